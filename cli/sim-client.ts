/**
 * The client of the local stack's simulator control API (`/_sim`, served by `npm start` next to the
 * Blox API, loopback only): the simulated ECS cluster's instances and tasks, how task definitions
 * behave, the simulated load balancer's target groups and target health, and CloudWatch alarms.
 *
 * ```ts
 * const sim = new SimClient({ baseUrl: 'http://127.0.0.1:3000' });
 * await sim.addInstances({ Count: 5, Attributes: { stack: 'prod' } }); // → { Instances: [ … ] }
 * await sim.setTaskDefinition({ TaskDefinition: 'log-daemon:9', FailStart: 'CannotPullContainerError: image not found' });
 * ```
 *
 * A deployed API has no `/_sim`: its calls fail with a 404 `BloxApiError`.
 */
import { BloxClient } from './client';

export interface SimResources {
  Registered: number;
  Remaining: number;
}

export interface SimInstance {
  ContainerInstanceArn: string;
  Ec2InstanceId: string;
  Cluster: string;
  Status: 'ACTIVE' | 'DRAINING';
  Attributes: Record<string, string>;
  RunningTasks: number;
  Cpu: SimResources;
  Memory: SimResources;
}

export interface SimInstancesResult {
  Instances: SimInstance[];
}

export interface SimTask {
  TaskArn: string;
  ContainerInstanceArn: string;
  /** null when its instance is gone. */
  Ec2InstanceId: string | null;
  /** The Blox environment that launched it, when one did. */
  Environment?: string | null;
  Revision?: number | null;
  TaskDefinition: string;
  LastStatus: string;
  DesiredStatus: string;
  HealthStatus: string;
  StopCode?: string | null;
  StoppedReason?: string | null;
}

export interface SimTasksResult {
  Tasks: SimTask[];
}

export interface AddInstancesRequest {
  Count: number;
  Attributes: Record<string, string>;
  Cluster?: string;
  /** CPU units per instance. */
  Cpu?: number;
  /** MiB per instance. */
  Memory?: number;
}

export interface TaskDefinitionBehaviour {
  /** `family:revision`. */
  TaskDefinition: string;
  StartSeconds?: number;
  /** The stopped reason of every launch: the task never starts. */
  FailStart?: string;
  CrashAfterSeconds?: number;
  Unhealthy?: true;
  Healthy?: true;
  /** The share of requests its tasks answer with a 5xx, 0–1 (applies at once, to running tasks too). */
  ErrorRate?: number;
}

/** A target group, as ELBv2's DescribeTargetGroups describes it (the fields the CLI reads). */
export interface SimTargetGroup {
  TargetGroupArn: string;
  TargetGroupName: string;
  Protocol: string;
  Port: number;
  HealthCheckIntervalSeconds: number;
  HealthyThresholdCount: number;
  UnhealthyThresholdCount: number;
  LoadBalancerArns: string[];
  [key: string]: unknown;
}

export interface SimTargetGroupsResult {
  TargetGroups: SimTargetGroup[];
}

/** ELBv2's DescribeTargetHealth entry. */
export interface SimTargetHealthDescription {
  Target: { Id: string; Port: number };
  HealthCheckPort?: string;
  TargetHealth: { State: string; Reason?: string; Description?: string };
}

export interface SimTargetHealthResult {
  TargetHealthDescriptions: SimTargetHealthDescription[];
}

/** A listener rule as DescribeRules describes it, with its load balancer and listener (`GET /_sim/listener-rules`). */
export interface SimListenerRule {
  RuleArn: string;
  LoadBalancerName: string;
  LoadBalancerArn: string;
  ListenerArn: string;
  Port: number;
  Priority: string;
  IsDefault: boolean;
  Actions: Array<{
    Type: string;
    TargetGroupArn?: string;
    ForwardConfig?: { TargetGroups?: Array<{ TargetGroupArn: string; Weight?: number }> };
    FixedResponseConfig?: { StatusCode: string };
  }>;
  [key: string]: unknown;
}

export interface SimListenerRulesResult {
  Rules: SimListenerRule[];
}

/** A CloudWatch metric alarm, as DescribeAlarms describes it (the fields the CLI reads; timestamps are ISO strings). */
export interface SimAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  StateReason: string;
  StateUpdatedTimestamp: string;
  StateTransitionedTimestamp?: string;
  [key: string]: unknown;
}

export interface SimAlarmsResult {
  MetricAlarms: SimAlarm[];
  CompositeAlarms: unknown[];
}

export interface SetAlarmRequest {
  AlarmName: string;
  State: 'ALARM' | 'OK';
}

/** A Route 53 record set as the simulator shows it: ListResourceRecordSets' fields plus its target and the status of its latest change. */
export interface SimRecord {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
  /** The load balancer (or DNS name) its clients go to. */
  Target?: string;
  ChangeId?: string;
  ChangeStatus?: 'PENDING' | 'INSYNC';
}

export interface SimRecordsResult {
  HostedZone: { Id: string; Name: string; [key: string]: unknown };
  ResourceRecordSets: SimRecord[];
}

/** A simulated hook function: its answer and how often it was invoked. */
export interface SimFunction {
  FunctionName: string;
  FunctionArn: string;
  Answer: string;
  CallBackDelaySeconds?: number;
  ReservedConcurrency?: number;
  Invocations: number;
  LastInvokedAt?: string;
}

export interface SetFunctionRequest {
  FunctionName: string;
  Answer: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS' | 'ERROR';
  CallBackDelaySeconds?: number;
}

export const SIM_PREFIX = '/_sim';

export class SimClient extends BloxClient {
  /** `GET /_sim/instances[?cluster=C]`. */
  listInstances(options: { cluster?: string } = {}): Promise<SimInstancesResult> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/instances`, query: { cluster: options.cluster } });
  }

  /** `POST /_sim/instances` → `201 { Instances }` (the new ones). */
  addInstances(request: AddInstancesRequest): Promise<SimInstancesResult> {
    return this.request({ method: 'POST', path: `${SIM_PREFIX}/instances`, body: { ...request } });
  }

  /** `POST /_sim/instances/{id}/remove`; `id` is an EC2 instance id (`i-…`) or a container instance id. */
  async removeInstance(id: string): Promise<void> {
    await this.request({ method: 'POST', path: `${SIM_PREFIX}/instances/${encodeURIComponent(id)}/remove` });
  }

  /** `POST /_sim/instances/{id}/drain`. */
  async drainInstance(id: string): Promise<void> {
    await this.request({ method: 'POST', path: `${SIM_PREFIX}/instances/${encodeURIComponent(id)}/drain` });
  }

  /** `GET /_sim/tasks[?environment=NAME]` (every task without `environment`). */
  listTasks(options: { environment?: string } = {}): Promise<SimTasksResult> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/tasks`, query: { environment: options.environment } });
  }

  /** `GET /_sim/services`: ECS DescribeServices of one service (its status and task sets). */
  describeServices(options: { service: string; cluster?: string | undefined }): Promise<{ services?: unknown[]; failures?: unknown[] }> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/services`, query: { service: options.service, cluster: options.cluster } });
  }

  /** `POST /_sim/services/desired-count`: UpdateService desiredCount, as Application Auto Scaling calls it; the service. */
  setDesiredCount(options: { service: string; desiredCount: number; cluster?: string | undefined }): Promise<{ service?: unknown }> {
    return this.request({ method: 'POST', path: `${SIM_PREFIX}/services/desired-count`, body: { Service: options.service, DesiredCount: options.desiredCount, ...(options.cluster ? { Cluster: options.cluster } : {}) } });
  }

  /** `POST /_sim/task-definitions`: how tasks of this task definition behave from now on. */
  async setTaskDefinition(behaviour: TaskDefinitionBehaviour): Promise<void> {
    await this.request({ method: 'POST', path: `${SIM_PREFIX}/task-definitions`, body: { ...behaviour } });
  }

  /** `POST /_sim/alarms`: SetAlarmState (the state holds until the alarm's next evaluation). */
  async setAlarm(request: SetAlarmRequest): Promise<void> {
    await this.request({ method: 'POST', path: `${SIM_PREFIX}/alarms`, body: { ...request } });
  }

  /** `GET /_sim/alarms[?state=S]`: every alarm (DescribeAlarms' shape). */
  listAlarms(options: { state?: string } = {}): Promise<SimAlarmsResult> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/alarms`, query: { state: options.state } });
  }

  /** `GET /_sim/target-groups` (DescribeTargetGroups' shape). */
  listTargetGroups(): Promise<SimTargetGroupsResult> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/target-groups` });
  }

  /** `GET /_sim/listener-rules[?load-balancer=NAME]`: every rule of every listener (DescribeRules' shape, with the load balancer and listener). */
  listListenerRules(options: { loadBalancer?: string } = {}): Promise<SimListenerRulesResult> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/listener-rules`, query: { 'load-balancer': options.loadBalancer } });
  }

  /** `GET /_sim/target-groups/{name or ARN}/health` (DescribeTargetHealth's shape). */
  describeTargetHealth(targetGroup: string): Promise<SimTargetHealthResult> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/target-groups/${encodeURIComponent(targetGroup)}/health` });
  }

  /** `GET /_sim/hosted-zones/{name or id}/records`: the zone's records, their targets and their changes' status. */
  listRecords(hostedZone: string): Promise<SimRecordsResult> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/hosted-zones/${encodeURIComponent(hostedZone)}/records` });
  }

  /** `GET /_sim/functions`: the hook functions, their answers and invocation counts. */
  listFunctions(): Promise<{ Functions: SimFunction[] }> {
    return this.request({ method: 'GET', path: `${SIM_PREFIX}/functions` });
  }

  /** `POST /_sim/functions`: what a hook function answers from now on. */
  setFunction(request: SetFunctionRequest): Promise<SimFunction> {
    return this.request({ method: 'POST', path: `${SIM_PREFIX}/functions`, body: { ...request } });
  }
}

/** Whether a URL points at this machine (`localhost`, `127.0.0.0/8`, `::1`). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '::1' ||
    host === '::ffff:127.0.0.1' ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host)
  );
}
