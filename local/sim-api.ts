/**
 * The simulator's controls, served by the local stack only (loopback, prefix `/_sim`): list, add,
 * drain and remove instances; list tasks; give a task definition faults or an error rate; the
 * simulated load balancer's target groups, target health and listener rules; the CloudWatch alarms, and setting
 * one's state. `blox sim …` is their client. In AWS there is no `/_sim`: the CLI says so.
 *
 * | Route | Answer |
 * |---|---|
 * | `GET /_sim/instances[?cluster=C]`, `POST /_sim/instances`, `POST /_sim/instances/{id}/remove\|drain` | the instances |
 * | `GET /_sim/tasks[?environment=NAME]` | `{ Tasks }` |
 * | `GET /_sim/services?service=NAME[&cluster=C]` | ECS DescribeServices' `{ services, failures }` (the service, its task sets; `MISSING` when ECS does not know it) |
 * | `POST /_sim/services/desired-count` `{ Service, DesiredCount, Cluster? }` | UpdateService's `{ service }`: the desired count set as Application Auto Scaling sets it |
 * | `POST /_sim/task-definitions` `{ TaskDefinition, StartSeconds?, FailStart?, CrashAfterSeconds?, Unhealthy?, Healthy?, ErrorRate? }` | `{}` |
 * | `GET /_sim/target-groups` | DescribeTargetGroups' `{ TargetGroups }` |
 * | `GET /_sim/target-groups/{name or ARN}/health` | DescribeTargetHealth's `{ TargetHealthDescriptions }` |
 * | `GET /_sim/listener-rules[?load-balancer=NAME]` | `{ Rules }`: DescribeRules' rules of every listener (DescribeLoadBalancers, DescribeListeners), each with `LoadBalancerName`, `LoadBalancerArn`, `ListenerArn`, `Port` |
 * | `GET /_sim/alarms[?state=ALARM\|OK\|INSUFFICIENT_DATA]` | DescribeAlarms' `{ MetricAlarms, CompositeAlarms }`, every page |
 * | `POST /_sim/alarms` `{ AlarmName, State: ALARM\|OK }` | `{}`: SetAlarmState, which holds until the alarm's next evaluation |
 * | `GET /_sim/hosted-zones/{name or id}/records` | `{ HostedZone, ResourceRecordSets }`: each record with its `Target` and the `ChangeStatus` (PENDING\|INSYNC) of the latest change that touched it |
 * | `GET /_sim/functions` | `{ Functions }`: each hook function's answer and invocation count |
 * | `POST /_sim/functions` `{ FunctionName, Answer: SUCCEEDED\|FAILED\|IN_PROGRESS\|ERROR, CallBackDelaySeconds? }` | the function |
 *
 * The ELBv2 and CloudWatch routes are calls to the simulated services' APIs, so they count against
 * those services' request rates as an operator's `aws` calls would (a throttled one answers 429).
 * The Route 53 and Lambda routes read and set the simulation's state (a record's change status is
 * not in the API): they take nothing from Route 53's five requests a second.
 * An error is `{ error: { code, message, field? } }`, `field` naming the offending body field or
 * query parameter; a refused request changes nothing.
 */
import type http from 'node:http';
import { TAG_ENVIRONMENT, TAG_REVISION } from '../domain/identity';
import type { ContainerInstance, ClusterTask } from '../functions/ports';
import type { MetricAlarm, SimulatedCluster, SimulatedServices } from './sim';
import { SimulatedAwsError, STATE_VALUES } from './sim';
import type { HookAnswer } from './sim/lambda';
import { HOOK_ANSWERS } from './sim/lambda';

export interface SimApiState {
  world: SimulatedCluster;
  /** The simulated load balancing and monitoring (`createSimulatedServices`). */
  services: SimulatedServices;
  /** Called after a change that the world does not announce with an event. */
  onChange?: () => void;
  /** Told of every task definition error rate set (the local stack saves them). */
  onTrafficChange?: (taskDefinition: string, traffic: { errorRate: number }) => void;
}

export interface SimResponse {
  status: number;
  body: unknown;
}

class SimApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A 400 naming its field: the message starts with it. */
function invalid(field: string, message: string): SimApiError {
  return new SimApiError(400, 'ValidationError', `${field}: ${message}`, field);
}

function instanceView(i: ContainerInstance) {
  return {
    ContainerInstanceArn: i.arn,
    Ec2InstanceId: i.ec2InstanceId,
    Cluster: i.arn.split('/').at(-2) ?? 'default',
    Status: i.status,
    Attributes: Object.fromEntries(Object.entries(i.attributes).filter(([k]) => !k.startsWith('ecs.'))),
    RunningTasks: i.runningTasksCount,
    Cpu: { Registered: i.registered.cpu, Remaining: i.remaining.cpu },
    Memory: { Registered: i.registered.memory, Remaining: i.remaining.memory },
  };
}

function taskView(t: ClusterTask, instances: Map<string, ContainerInstance>) {
  return {
    TaskArn: t.arn,
    ContainerInstanceArn: t.containerInstanceArn,
    Ec2InstanceId: instances.get(t.containerInstanceArn)?.ec2InstanceId ?? null,
    Environment: t.tags[TAG_ENVIRONMENT] ?? null,
    Revision: t.tags[TAG_REVISION] ? Number(t.tags[TAG_REVISION]) : null,
    TaskDefinition: t.taskDefinitionArn.slice(t.taskDefinitionArn.lastIndexOf('/') + 1),
    LastStatus: t.lastStatus,
    DesiredStatus: t.desiredStatus,
    HealthStatus: t.healthStatus,
    ...(t.stopCode ? { StopCode: t.stopCode } : {}),
    ...(t.stoppedReason ? { StoppedReason: t.stoppedReason } : {}),
  };
}

function positiveNumber(value: unknown, field: string, options: { integer?: boolean; min?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < (options.min ?? 0) || (options.integer && !Number.isInteger(n))) {
    throw invalid(field, `expected a ${options.integer ? 'whole ' : ''}number of at least ${options.min ?? 0}`);
  }
  return n;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'expected an object');
  return value as Record<string, unknown>;
}

/** A share of requests, 0 to 1. */
function share(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) throw invalid(field, 'expected a share of requests from 0 to 1 (e.g. 0.2)');
  return n;
}

/** A simulated AWS service's refusal, as an HTTP answer (a throttle is a 429). */
function awsError(error: SimulatedAwsError, field?: string): SimApiError {
  const throttled = error.$retryable?.throttling === true;
  return new SimApiError(throttled ? 429 : error.$metadata.httpStatusCode, error.name, `${error.name}: ${error.message}`, field);
}

/** Every alarm, every page of DescribeAlarms (100 a page). */
async function allAlarms(state: SimApiState, stateValue?: string): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  let token: string | undefined;
  do {
    const page = await state.services.cloudwatch.describeAlarms({ MaxRecords: 100, ...(stateValue ? { StateValue: stateValue } : {}), ...(token ? { NextToken: token } : {}) });
    alarms.push(...page.MetricAlarms);
    token = page.NextToken;
  } while (token !== undefined);
  return alarms;
}

/** The names a 404 lists, or nothing when listing them fails (throttled). */
async function known(list: () => Promise<string[]>): Promise<string> {
  try {
    const names = await list();
    return names.length === 0 ? ' (there are none)' : ` (known: ${names.join(', ')})`;
  } catch {
    return '';
  }
}

/** Answers a `/_sim` request (`handleSimRequest` writes it). */
export async function simRequest(state: SimApiState, method: string, url: URL, body: string): Promise<SimResponse> {
  const path = url.pathname.replace(/\/+$/, '');
  try {
    return await route(state, method, path, url, body);
  } catch (error) {
    if (error instanceof SimApiError) {
      return { status: error.statusCode, body: { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } } };
    }
    if (error instanceof SimulatedAwsError) {
      const answer = awsError(error);
      return { status: answer.statusCode, body: { error: { code: answer.code, message: answer.message } } };
    }
    return { status: 400, body: { error: { code: 'ValidationError', message: (error as Error).message } } };
  }
}

async function route(state: SimApiState, method: string, path: string, url: URL, body: string): Promise<SimResponse> {
  const { world, services } = state;
  const parsed = (): Record<string, unknown> => {
    if (body.trim() === '') return {};
    try {
      return object(JSON.parse(body), 'body');
    } catch (error) {
      if (error instanceof SimApiError) throw error;
      throw invalid('body', 'not valid JSON');
    }
  };
  const segments = path.split('/').slice(2);
  if (method === 'GET' && path === '/_sim/instances') {
    const cluster = url.searchParams.get('cluster') ?? undefined;
    return { status: 200, body: { Instances: world.describeInstances(cluster).filter((i) => i.status !== 'INACTIVE').map(instanceView) } };
  }
  if (method === 'POST' && path === '/_sim/instances') {
    const input = parsed();
    const attributes = input.Attributes === undefined ? {} : object(input.Attributes, 'Attributes');
    for (const [k, v] of Object.entries(attributes)) {
      if (typeof v !== 'string') throw invalid(`Attributes.${k}`, 'expected a string');
    }
    const count = positiveNumber(input.Count ?? 1, 'Count', { integer: true, min: 1 })!;
    if (count > 1000) throw invalid('Count', 'at most 1000 at a time');
    const instances = world.addInstances({
      count,
      attributes: attributes as Record<string, string>,
      ...(typeof input.Cluster === 'string' ? { cluster: input.Cluster } : {}),
      ...(input.Cpu !== undefined ? { cpu: positiveNumber(input.Cpu, 'Cpu', { integer: true, min: 1 }) } : {}),
      ...(input.Memory !== undefined ? { memory: positiveNumber(input.Memory, 'Memory', { integer: true, min: 1 }) } : {}),
    });
    return { status: 201, body: { Instances: instances.map(instanceView) } };
  }
  if (method === 'POST' && segments[0] === 'instances' && segments.length === 3 && (segments[2] === 'remove' || segments[2] === 'drain')) {
    const id = decodeURIComponent(segments[1]!);
    const found = world.describeInstances().some((i) => i.ec2InstanceId === id || i.arn === id || i.arn.endsWith(`/${id}`));
    if (!found) throw new SimApiError(404, 'NotFound', `no container instance "${id}"`);
    if (segments[2] === 'remove') world.removeInstance(id);
    else world.drainInstance(id);
    return { status: 200, body: {} };
  }
  if (method === 'GET' && path === '/_sim/tasks') {
    const environment = url.searchParams.get('environment');
    const instances = new Map(world.describeInstances().map((i) => [i.arn, i]));
    const tasks = world.describeTasks().filter((t) => !environment || t.tags[TAG_ENVIRONMENT] === environment);
    return { status: 200, body: { Tasks: tasks.map((t) => taskView(t, instances)) } };
  }
  if (method === 'GET' && path === '/_sim/services') {
    const service = url.searchParams.get('service');
    if (!service) throw invalid('service', 'required: the name of an ECS service');
    const cluster = url.searchParams.get('cluster') ?? 'default';
    try {
      return { status: 200, body: await world.describeServices({ cluster, services: [service] }) };
    } catch (error) {
      if (error instanceof SimulatedAwsError && error.name === 'ClusterNotFoundException') throw new SimApiError(404, 'NotFound', `cluster: no cluster "${cluster}"`, 'cluster');
      throw error;
    }
  }
  if (method === 'POST' && path === '/_sim/services/desired-count') {
    const input = parsed();
    if (typeof input.Service !== 'string' || input.Service === '') throw invalid('Service', 'required: the name of an ECS service');
    if (input.Cluster !== undefined && (typeof input.Cluster !== 'string' || input.Cluster === '')) throw invalid('Cluster', 'expected a cluster name');
    if (input.DesiredCount === undefined) throw invalid('DesiredCount', 'required: a whole number of at least 0');
    const desiredCount = positiveNumber(input.DesiredCount, 'DesiredCount', { integer: true })!;
    const cluster = (input.Cluster as string | undefined) ?? 'default';
    try {
      return { status: 200, body: await world.updateService({ cluster, service: input.Service, desiredCount }) };
    } catch (error) {
      if (error instanceof SimulatedAwsError && error.name === 'ClusterNotFoundException') throw new SimApiError(404, 'NotFound', `Cluster: no cluster "${cluster}"`, 'Cluster');
      if (error instanceof SimulatedAwsError && error.name === 'ServiceNotFoundException') throw new SimApiError(404, 'NotFound', `Service: no service "${input.Service}" in cluster "${cluster}"`, 'Service');
      throw error;
    }
  }
  if (method === 'POST' && path === '/_sim/task-definitions') {
    const input = parsed();
    const td = input.TaskDefinition;
    if (typeof td !== 'string' || !/^[A-Za-z0-9_-]{1,255}(:[1-9][0-9]*)?$/.test(td)) throw invalid('TaskDefinition', 'expected "family:revision"');
    if (input.FailStart !== undefined && typeof input.FailStart !== 'string') throw invalid('FailStart', 'expected a reason string');
    // Everything is checked before anything changes.
    const behaviour = {
      ...(input.StartSeconds !== undefined ? { startSeconds: positiveNumber(input.StartSeconds, 'StartSeconds') } : {}),
      ...(input.FailStart !== undefined ? { failStart: input.FailStart as string } : {}),
      ...(input.CrashAfterSeconds !== undefined ? { crashAfterSeconds: positiveNumber(input.CrashAfterSeconds, 'CrashAfterSeconds') } : {}),
      ...(input.Unhealthy === true ? { health: 'unhealthy' as const } : {}),
      ...(input.Healthy === true ? { health: 'healthy' as const } : {}),
    };
    const errorRate = share(input.ErrorRate, 'ErrorRate');
    if (Object.keys(behaviour).length > 0 || errorRate === undefined) world.configureTaskDefinition(td, behaviour);
    if (errorRate !== undefined) {
      services.traffic.configure(td, { errorRate });
      state.onTrafficChange?.(td, { errorRate });
    }
    state.onChange?.();
    return { status: 200, body: {} };
  }
  if (method === 'GET' && path === '/_sim/target-groups') {
    return { status: 200, body: await services.elbv2.describeTargetGroups() };
  }
  if (method === 'GET' && segments[0] === 'target-groups' && segments.length === 3 && segments[2] === 'health') {
    const name = decodeURIComponent(segments[1]!);
    const arn = name.startsWith('arn:') ? name : services.elbv2.targetGroupArn(name);
    const missing = async () =>
      new SimApiError(
        404,
        'TargetGroupNotFound',
        `TargetGroup: no target group "${name}"${await known(async () => (await services.elbv2.describeTargetGroups()).TargetGroups.map((g) => g.TargetGroupName))}`,
        'TargetGroup',
      );
    if (arn === undefined) throw await missing();
    try {
      return { status: 200, body: await services.elbv2.describeTargetHealth({ TargetGroupArn: arn }) };
    } catch (error) {
      if (error instanceof SimulatedAwsError && (error.name === 'TargetGroupNotFoundException' || error.name === 'ValidationError')) throw await missing();
      throw error;
    }
  }
  if (method === 'GET' && path === '/_sim/listener-rules') {
    const name = url.searchParams.get('load-balancer') ?? undefined;
    const all = (await services.elbv2.describeLoadBalancers()).LoadBalancers;
    const loadBalancers = name === undefined ? all : all.filter((lb) => lb.LoadBalancerName === name);
    if (name !== undefined && loadBalancers.length === 0) {
      const names = all.map((lb) => lb.LoadBalancerName);
      throw new SimApiError(404, 'LoadBalancerNotFound', `load-balancer: no load balancer "${name}" (known: ${names.join(', ') || 'none'})`, 'load-balancer');
    }
    const rules = [];
    for (const lb of loadBalancers) {
      for (const listener of (await services.elbv2.describeListeners({ LoadBalancerArn: lb.LoadBalancerArn })).Listeners) {
        for (const rule of (await services.elbv2.describeRules({ ListenerArn: listener.ListenerArn })).Rules) {
          rules.push({ LoadBalancerName: lb.LoadBalancerName, LoadBalancerArn: lb.LoadBalancerArn, ListenerArn: listener.ListenerArn, Port: listener.Port, ...rule });
        }
      }
    }
    return { status: 200, body: { Rules: rules } };
  }
  if (method === 'GET' && path === '/_sim/alarms') {
    const stateValue = url.searchParams.get('state') ?? undefined;
    if (stateValue !== undefined && !(STATE_VALUES as readonly string[]).includes(stateValue)) throw invalid('state', `expected one of ${STATE_VALUES.join(', ')}`);
    return { status: 200, body: { MetricAlarms: await allAlarms(state, stateValue), CompositeAlarms: [] } };
  }
  if (method === 'POST' && path === '/_sim/alarms') {
    const input = parsed();
    if (typeof input.AlarmName !== 'string' || input.AlarmName === '') throw invalid('AlarmName', 'expected a name');
    if (input.State !== 'ALARM' && input.State !== 'OK') throw invalid('State', 'expected ALARM or OK');
    try {
      await services.cloudwatch.setAlarmState({ AlarmName: input.AlarmName, StateValue: input.State, StateReason: 'Set by blox sim set-alarm' });
    } catch (error) {
      if (error instanceof SimulatedAwsError && error.name === 'ResourceNotFound') {
        const names = await known(async () => (await allAlarms(state)).map((alarm) => alarm.AlarmName));
        throw new SimApiError(404, 'ResourceNotFound', `AlarmName: no alarm "${input.AlarmName}"${names}`, 'AlarmName');
      }
      throw error;
    }
    state.onChange?.();
    return { status: 200, body: {} };
  }
  if (method === 'GET' && segments[0] === 'hosted-zones' && segments.length === 3 && segments[2] === 'records') {
    const zone = decodeURIComponent(segments[1]!);
    const hostedZone = services.route53.hostedZone(zone);
    if (!hostedZone) {
      const names = services.route53.listHostedZones().map((z) => `${z.Name.replace(/\.$/, '')} (${z.Id.replace('/hostedzone/', '')})`);
      throw new SimApiError(404, 'NoSuchHostedZone', `HostedZone: no hosted zone "${zone}"${names.length === 0 ? ' (there are none)' : ` (known: ${names.join(', ')})`}`, 'HostedZone');
    }
    return { status: 200, body: { HostedZone: hostedZone, ResourceRecordSets: services.route53.describeRecords(hostedZone.Id) } };
  }
  if (method === 'GET' && path === '/_sim/functions') {
    return { status: 200, body: { Functions: services.lambda.listFunctions() } };
  }
  if (method === 'POST' && path === '/_sim/functions') {
    const input = parsed();
    if (typeof input.FunctionName !== 'string' || input.FunctionName === '') throw invalid('FunctionName', 'expected a function name');
    if (typeof input.Answer !== 'string' || !(HOOK_ANSWERS as readonly string[]).includes(input.Answer)) throw invalid('Answer', `expected one of ${HOOK_ANSWERS.join(', ')}`);
    const delay = input.CallBackDelaySeconds === undefined ? undefined : positiveNumber(input.CallBackDelaySeconds, 'CallBackDelaySeconds', { integer: true });
    const name = input.FunctionName;
    const existing = services.lambda.describeFunction(name);
    if (!existing) {
      const names = services.lambda.listFunctions().map((f) => f.FunctionName);
      throw new SimApiError(404, 'ResourceNotFoundException', `FunctionName: no function "${name}"${names.length === 0 ? ' (there are none)' : ` (known: ${names.join(', ')})`}`, 'FunctionName');
    }
    const view = services.lambda.defineFunction({
      name: existing.FunctionName,
      answer: input.Answer as HookAnswer,
      ...(delay !== undefined ? { callBackDelaySeconds: delay } : {}),
      ...(existing.ReservedConcurrency !== undefined ? { reservedConcurrency: existing.ReservedConcurrency } : {}),
    });
    state.onChange?.();
    return { status: 200, body: view };
  }
  throw new SimApiError(404, 'NotFound', `no simulator route for ${method} ${path}`);
}

/** Handles a `/_sim` request (answered asynchronously); returns false when the path is not a simulator route. */
export function handleSimRequest(state: SimApiState, method: string, url: URL, body: string, res: http.ServerResponse): boolean {
  if (!url.pathname.startsWith('/_sim')) return false;
  void simRequest(state, method, url, body).then(({ status, body: payload }) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  });
  return true;
}
