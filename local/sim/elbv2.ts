/**
 * Simulated Elastic Load Balancing v2: Application Load Balancer target groups of `instance`
 * targets (ECS tasks on EC2 container instances, bridge networking: a target is the EC2 instance id
 * and the task's host port), with the real service's target health state machine, API shapes,
 * errors, quotas and request throttling, on the simulation's clock.
 *
 * ```ts
 * const elb = new SimulatedElbv2({ clock, endpoints: traffic, instances: traffic });
 * const web = elb.createTargetGroup({ name: 'web' });            // ELBv2's defaults: 30 s, 5 / 2, 300 s
 * await elb.registerTargets({ TargetGroupArn: web.TargetGroupArn, Targets: [{ Id: 'i-…', Port: 32768 }] });
 * clock.advance(150_000);                                          // 5 passed checks, 30 s apart
 * (await elb.describeTargetHealth({ TargetGroupArn: web.TargetGroupArn })).TargetHealthDescriptions[0].TargetHealth
 * // → { State: 'healthy' }
 * ```
 *
 * What is enforced, and where it comes from:
 * - Target group settings and their ranges (CreateTargetGroup, ELBv2 API Reference; the defaults are
 *   those of an HTTP/HTTPS target group of an Application Load Balancer): port 1–65535 (default 80
 *   here), protocol HTTP | HTTPS, HealthCheckIntervalSeconds 5–300 (default 30),
 *   HealthCheckTimeoutSeconds 2–120 (default 5, less than the interval), HealthyThresholdCount 2–10
 *   (default 5), UnhealthyThresholdCount 2–10 (default 2), the `deregistration_delay.timeout_seconds`
 *   attribute 0–3600 (default 300); names of 1–32 letters, digits and hyphens, not beginning or
 *   ending with a hyphen nor beginning with `internal-`. A bad setting is a `ValidationError` naming
 *   it; the same name with other settings is `DuplicateTargetGroupName`.
 * - Quotas ("Quotas for your Application Load Balancers"): 3,000 target groups per Region
 *   (`TooManyTargetGroups`), 1,000 targets per target group (`TooManyTargets`; a RegisterTargets
 *   that would go past it registers nothing; adjustable: `targetsPerTargetGroup` is a raised quota), a target id registered at most 1,000 times per load
 *   balancer (`TooManyRegistrationsForTargetId`).
 * - Errors (ELBv2 API Reference, the operations' Errors sections; `name` is the AWS SDK v3
 *   exception name, `Code` the wire code): `TargetGroupNotFound` ("Target groups '<arn>' not
 *   found"), `InvalidTarget` (an instance that is not running: "The following targets are not in a
 *   running state and cannot be registered: '<id>'", as the service words it; an unknown instance:
 *   the API Reference's description), `ValidationError` in the AWS query protocol's wording, naming
 *   the member (`Value '0' at 'targets.1.member.port' failed to satisfy constraint: …`).
 *   DeregisterTargets of a target that is not registered does nothing and succeeds (observed: a
 *   deregistration without the port of a target registered with another port is a silent no-op).
 *   A target without `Port` takes the target group's port.
 * - Request throttling ("Request throttling for the Elastic Load Balancing API", ELB User Guide):
 *   per account and Region, token buckets by category — registration (RegisterTargets,
 *   DeregisterTargets) 20 at once, 4 a second; non-mutating (Describe*) 40, 10 a second — and an
 *   account-level bucket of 40, 10 a second, shared by every action. A request takes a token from
 *   its category's bucket and from the account's (none when either is empty) and is refused with
 *   `ThrottlingException: Rate exceeded`, changing nothing. Registrations made on the caller's
 *   behalf by ECS (`registerOnBehalf`) use ECS's own buckets, as the guide says, and are not charged.
 *
 * Target health (DescribeTargetHealth; "Health checks for your target groups", ALB User Guide):
 * - A registered target is `initial` (`Elb.RegistrationInProgress` until its first check, then
 *   `Elb.InitialHealthChecking`); it is checked every HealthCheckIntervalSeconds from its
 *   registration, and turns `healthy` after HealthyThresholdCount consecutive passed checks (so a
 *   target registered at t = 0 with 30 s / 5 is healthy at 150 s, not before), `unhealthy` after
 *   UnhealthyThresholdCount consecutive failed ones (from `initial` or `healthy`), and `healthy` again
 *   after HealthyThresholdCount passed ones.
 * - A check passes when a task answers at the instance's port (RUNNING and not UNHEALTHY). A task
 *   that is UNHEALTHY answers 500 (`Target.ResponseCodeMismatch`, "Health checks failed with these
 *   codes: [500]"); a port nobody listens on refuses the connection (`Target.FailedHealthChecks`,
 *   "Health checks failed"). The check's timeout is not simulated (answers are immediate).
 * - An instance that is terminated makes its targets `unused` (`Target.InvalidState`, "Target is in
 *   the stopped or terminated state") until they are deregistered.
 * - DeregisterTargets makes a target `draining` (`Target.DeregistrationInProgress`) for the target
 *   group's deregistration delay; then it is gone, and DescribeTargetHealth naming it answers
 *   `unused` / `Target.NotRegistered` ("Target is not registered to the target group").
 *   Registering a draining target again cancels the deregistration: it keeps the health it had.
 * - Every target group is taken to be attached to a load balancer (of its own unless `loadBalancer`
 *   names a shared one): the `unused` / `Target.NotInUse` state of a target group that no listener
 *   uses is not simulated, nor `unavailable` (health checks disabled), nor `unhealthy.draining`.
 *
 * Traffic and metrics (CloudWatch namespace `AWS/ApplicationELB`, "CloudWatch metrics for your
 * Application Load Balancer"): each target that receives traffic gets `requestsPerTargetPerSecond`
 * requests a second (default 10). Traffic goes to the `healthy` targets; when there is none, to
 * the `unhealthy` ones (ALB "fails open"); `initial`, `draining` and `unused` targets get none. A
 * request to a task that answers is a 5xx at the task's error rate (every request, when the task
 * is UNHEALTHY): `HTTPCode_Target_5XX_Count`; a request to a port nobody answers is the load
 * balancer's 502: `HTTPCode_ELB_5XX_Count`. Counts are accumulated exactly over time (state changes
 * happen between minutes) and published once a minute as whole numbers (the fraction carried to
 * the next minute): `RequestCount`, `HTTPCode_Target_5XX_Count`, `HTTPCode_ELB_5XX_Count` for
 * dimensions {LoadBalancer, TargetGroup} and {LoadBalancer}, only when non-zero (like the real
 * load balancer, which reports no datapoint for a count that is zero); `HealthyHostCount` and
 * `UnHealthyHostCount` (time-averaged over the minute) for {LoadBalancer, TargetGroup}, every
 * minute. The per-Availability-Zone dimensions are not published.
 *
 * Wiring (see `kernel.ts`): the default world has one target group, `web`, in cluster `default`;
 * `createSimulatedServices` builds it from the world description, makes `traffic.ts` the source of
 * endpoints, and publishes the metrics through `cloudwatch.ts` (alarm `web-5xx`).
 */
import type { ScheduledTimer, SimScheduler } from './clock';
import { SimulatedAwsError } from './errors';
import type { TokenBucketLimit } from './rate-buckets';
import { TokenBuckets } from './rate-buckets';
import { hexId, uuidLike } from './random';

// ── The service's figures ────────────────────────────────────────────────────────────────────────

export const ELBV2_DEFAULTS = Object.freeze({
  port: 80,
  protocol: 'HTTP' as const,
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 5,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
  deregistrationDelaySeconds: 300,
  /** Not ELBv2's: how many requests a second each target that gets traffic receives in the simulation. */
  requestsPerTargetPerSecond: 10,
});

export const ELBV2_LIMITS = Object.freeze({
  targetGroupsPerRegion: 3000,
  targetsPerTargetGroup: 1000,
  registrationsPerTargetIdPerLoadBalancer: 1000,
});

export type Elbv2RateBucket = 'account' | 'registration' | 'non-mutating' | 'mutating';

/** "Request throttling for the Elastic Load Balancing API": per account and Region. */
export const ELBV2_RATE_LIMITS: Readonly<Record<Elbv2RateBucket, Readonly<TokenBucketLimit>>> = Object.freeze({
  account: Object.freeze({ capacity: 40, refillPerSecond: 10 }),
  registration: Object.freeze({ capacity: 20, refillPerSecond: 4 }),
  'non-mutating': Object.freeze({ capacity: 40, refillPerSecond: 10 }),
  mutating: Object.freeze({ capacity: 20, refillPerSecond: 3 }),
});

type Elbv2Action = 'RegisterTargets' | 'DeregisterTargets' | 'DescribeTargetHealth' | 'DescribeTargetGroups';

const ACTION_BUCKET: Readonly<Record<Elbv2Action, Elbv2RateBucket>> = {
  RegisterTargets: 'registration',
  DeregisterTargets: 'registration',
  DescribeTargetHealth: 'non-mutating',
  DescribeTargetGroups: 'non-mutating',
};

export const ELB_NAMESPACE = 'AWS/ApplicationELB';

/** The ephemeral host ports ECS gives a container with a dynamic host port on Linux (the kernel's ip_local_port_range). */
export const DYNAMIC_HOST_PORTS = Object.freeze({ first: 32768, last: 60999 });

// ── Shapes (the API's, PascalCase) ───────────────────────────────────────────────────────────────

export interface TargetDescription {
  Id: string;
  Port?: number | undefined;
}

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused' | 'unavailable' | 'unhealthy.draining';

export interface TargetHealth {
  State: TargetHealthState;
  Reason?: string;
  Description?: string;
}

export interface TargetHealthDescription {
  Target: { Id: string; Port: number };
  HealthCheckPort: string;
  TargetHealth: TargetHealth;
}

export interface TargetGroupDescription {
  TargetGroupArn: string;
  TargetGroupName: string;
  Protocol: 'HTTP' | 'HTTPS';
  Port: number;
  VpcId: string;
  HealthCheckProtocol: 'HTTP' | 'HTTPS';
  HealthCheckPort: 'traffic-port';
  HealthCheckEnabled: true;
  HealthCheckIntervalSeconds: number;
  HealthCheckTimeoutSeconds: number;
  HealthyThresholdCount: number;
  UnhealthyThresholdCount: number;
  HealthCheckPath: '/';
  Matcher: { HttpCode: '200' };
  LoadBalancerArns: string[];
  TargetType: 'instance';
  IpAddressType: 'ipv4';
}

/** A target group as the world file describes it (camelCase); absent fields take ELBv2's defaults. */
export interface TargetGroupSetup {
  name: string;
  port?: number | undefined;
  protocol?: 'HTTP' | 'HTTPS' | undefined;
  /** The load balancer whose listener forwards to it (default: a load balancer named like the target group). */
  loadBalancer?: string | undefined;
  healthCheckIntervalSeconds?: number | undefined;
  healthCheckTimeoutSeconds?: number | undefined;
  healthyThresholdCount?: number | undefined;
  unhealthyThresholdCount?: number | undefined;
  deregistrationDelaySeconds?: number | undefined;
  requestsPerTargetPerSecond?: number | undefined;
}

// ── What the load balancer talks to ──────────────────────────────────────────────────────────────

/** What answers at a port of an instance: a task that serves (failing a share of requests), one that answers 5xx to everything, or nothing. */
export type EndpointAnswer = { kind: 'serving'; errorRate: number } | { kind: 'error'; statusCode: number } | { kind: 'refused' };

/** The tasks listening on instances' host ports (`traffic.ts` over the simulated ECS cluster). */
export interface TargetEndpoints {
  probe(instanceId: string, port: number): EndpointAnswer;
  /** `listener(instanceId, port)` is called just before what answers at that address changes. Returns the unsubscribe function. */
  onWillChange(listener: (instanceId: string, port: number) => void): () => void;
}

/** The EC2 instances: `undefined` for an id that is no instance. */
export interface InstanceDirectory {
  instanceState(instanceId: string): 'running' | 'terminated' | undefined;
}

/** Where the load balancer's metrics go (CloudWatch's side of AWS services publishing their own metrics). */
export interface ServiceMetricSink {
  recordServiceMetrics(namespace: string, data: readonly ServiceMetricDatum[]): void;
}

export interface ServiceMetricDatum {
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Timestamp: Date;
  Value: number;
  Unit: 'Count' | 'None';
}

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────

/** An ELBv2 error: `name` as the AWS SDK v3 names it, `Code` as the service sends it. */
export class Elbv2Error extends SimulatedAwsError {
  constructor(
    name: string,
    readonly Code: string,
    message: string,
    options: { httpStatusCode?: number; throttling?: boolean; requestId?: string } = {},
  ) {
    super(name, message, {
      httpStatusCode: options.httpStatusCode ?? 400,
      ...(options.throttling ? { retryable: { throttling: true } } : {}),
      ...(options.requestId !== undefined ? { requestId: options.requestId } : {}),
    });
    this.Message = message;
  }

  readonly Message: string;
}

const INVALID_TARGET_DESCRIPTION = 'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.';

function validationError(message: string): Elbv2Error {
  return new Elbv2Error('ValidationError', 'ValidationError', message);
}

/** The AWS query protocol's wording of a constraint violation. */
function constraintError(value: unknown, member: string, constraint: string): Elbv2Error {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return validationError(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}

// ── State ────────────────────────────────────────────────────────────────────────────────────────

type FailureKind = { reason: 'Target.ResponseCodeMismatch'; statusCode: number } | { reason: 'Target.FailedHealthChecks' };

interface TargetState {
  id: string;
  port: number;
  state: 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';
  /** Set for `initial` (which phase), `unhealthy` (the last failure), `unused` (InvalidState). */
  reason?: string;
  description?: string;
  successes: number;
  failures: number;
  checked: boolean;
  /** The health a draining target goes back to if registered again. */
  beforeDraining?: Omit<TargetState, 'beforeDraining' | 'checkTimer' | 'drainTimer'>;
  checkTimer?: ScheduledTimer;
  drainTimer?: ScheduledTimer;
}

interface Accumulated {
  at: number;
  requests: number;
  target5xx: number;
  elb5xx: number;
  healthyMs: number;
  unhealthyMs: number;
  /** Start of the minute being accumulated (for the host counts' average). */
  since: number;
}

interface GroupState {
  description: TargetGroupDescription;
  setup: Required<Omit<TargetGroupSetup, 'loadBalancer'>> & { loadBalancer: string };
  /** CloudWatch dimension values. */
  targetGroupDimension: string;
  loadBalancerDimension: string;
  /** `${id}:${port}` → target, in registration order. */
  targets: Map<string, TargetState>;
  acc: Accumulated;
}

export interface SimulatedElbv2Options {
  clock: SimScheduler;
  endpoints: TargetEndpoints;
  instances: InstanceDirectory;
  /** Where the metrics go (CloudWatch); without one, none are published. */
  metrics?: ServiceMetricSink;
  /** Seeds the identifiers (ARN suffixes, request ids). Default 1. */
  seed?: number;
  account?: string;
  region?: string;
  /** ELBv2's request throttling: its documented buckets by default, `false` off, or other figures. */
  rateLimits?: false | Partial<Record<Elbv2RateBucket, TokenBucketLimit>>;
  /** The quota "Targets per Target Group per Region" as raised for the account (adjustable; default `ELBV2_LIMITS.targetsPerTargetGroup`, 1,000). */
  targetsPerTargetGroup?: number;
}

const TARGET_GROUP_NAME = /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;

export class SimulatedElbv2 {
  readonly account: string;
  readonly region: string;
  readonly seed: number;
  private readonly clock: SimScheduler;
  private readonly endpoints: TargetEndpoints;
  private readonly instances: InstanceDirectory;
  private readonly metrics: ServiceMetricSink | undefined;
  private readonly buckets: TokenBuckets<Elbv2RateBucket> | undefined;
  private readonly targetsPerTargetGroup: number;
  /** By name, in creation order. */
  private readonly groups = new Map<string, GroupState>();
  private readonly byArn = new Map<string, GroupState>();
  private readonly loadBalancers = new Map<string, string>();
  /** `${id}:${port}` → the target groups with a target there (for accounting before an endpoint changes). */
  private readonly byAddress = new Map<string, Set<GroupState>>();
  private counters = { group: 0, loadBalancer: 0, request: 0 };
  private readonly unsubscribe: () => void;

  constructor(options: SimulatedElbv2Options) {
    this.clock = options.clock;
    this.endpoints = options.endpoints;
    this.instances = options.instances;
    this.metrics = options.metrics;
    this.seed = options.seed ?? 1;
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.targetsPerTargetGroup = options.targetsPerTargetGroup ?? ELBV2_LIMITS.targetsPerTargetGroup;
    if (options.rateLimits !== false) this.buckets = new TokenBuckets({ ...ELBV2_RATE_LIMITS, ...options.rateLimits }, this.clock);
    this.unsubscribe = this.endpoints.onWillChange((id, port) => {
      for (const group of this.byAddress.get(`${id}:${port}`) ?? []) this.accrue(group);
    });
  }

  /** Stops following the endpoints and cancels every timer (the service is gone). */
  close(): void {
    this.unsubscribe();
    for (const group of this.groups.values()) for (const target of group.targets.values()) this.cancelTimers(target);
  }

  // ── Set-up (the world file; not an API call, not throttled) ────────────────────────────────────

  /** CreateTargetGroup with the target group's settings and its deregistration delay attribute. Idempotent for the same settings. */
  createTargetGroup(input: TargetGroupSetup): TargetGroupDescription {
    const setup = this.validateSetup(input);
    const existing = this.groups.get(setup.name);
    if (existing) {
      if (JSON.stringify(existing.setup) !== JSON.stringify(setup)) {
        throw new Elbv2Error('DuplicateTargetGroupNameException', 'DuplicateTargetGroupName', `A target group with the same name '${setup.name}' exists, but with different settings`);
      }
      return structuredClone(existing.description);
    }
    if (this.groups.size >= ELBV2_LIMITS.targetGroupsPerRegion) {
      throw new Elbv2Error('TooManyTargetGroupsException', 'TooManyTargetGroups', "You've reached the limit on the number of target groups for your AWS account.");
    }
    const suffix = hexId(this.seed, 21, ++this.counters.group, 16);
    let loadBalancerArn = this.loadBalancers.get(setup.loadBalancer);
    if (loadBalancerArn === undefined) {
      loadBalancerArn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:loadbalancer/app/${setup.loadBalancer}/${hexId(this.seed, 22, ++this.counters.loadBalancer, 16)}`;
      this.loadBalancers.set(setup.loadBalancer, loadBalancerArn);
    }
    const arn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:targetgroup/${setup.name}/${suffix}`;
    const description: TargetGroupDescription = {
      TargetGroupArn: arn,
      TargetGroupName: setup.name,
      Protocol: setup.protocol,
      Port: setup.port,
      VpcId: `vpc-${hexId(this.seed, 23, 0, 17)}`,
      HealthCheckProtocol: setup.protocol,
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: setup.healthCheckIntervalSeconds,
      HealthCheckTimeoutSeconds: setup.healthCheckTimeoutSeconds,
      HealthyThresholdCount: setup.healthyThresholdCount,
      UnhealthyThresholdCount: setup.unhealthyThresholdCount,
      HealthCheckPath: '/',
      Matcher: { HttpCode: '200' },
      LoadBalancerArns: [loadBalancerArn],
      TargetType: 'instance',
      IpAddressType: 'ipv4',
    };
    const now = this.clock.now();
    const group: GroupState = {
      description,
      setup,
      targetGroupDimension: arn.slice(arn.indexOf(':targetgroup/') + 1),
      loadBalancerDimension: loadBalancerArn.slice(loadBalancerArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length),
      targets: new Map(),
      acc: { at: now, since: now, requests: 0, target5xx: 0, elb5xx: 0, healthyMs: 0, unhealthyMs: 0 },
    };
    this.groups.set(setup.name, group);
    this.byArn.set(arn, group);
    return structuredClone(description);
  }

  /** The target group's ARN by name, or undefined. */
  targetGroupArn(name: string): string | undefined {
    return this.groups.get(name)?.description.TargetGroupArn;
  }

  /** The CloudWatch dimensions of a target group's metrics: `{ LoadBalancer, TargetGroup }` (as `AWS/ApplicationELB` names them). */
  metricDimensions(name: string): { LoadBalancer: string; TargetGroup: string } | undefined {
    const group = this.groups.get(name);
    return group && { LoadBalancer: group.loadBalancerDimension, TargetGroup: group.targetGroupDimension };
  }

  /** The tokens left in one of the throttling buckets (undefined when throttling is off). */
  rateLimitTokens(bucket: Elbv2RateBucket): number | undefined {
    return this.buckets?.tokens(bucket);
  }

  // ── The API ────────────────────────────────────────────────────────────────────────────────────

  async registerTargets(input: { TargetGroupArn: string; Targets: TargetDescription[] }): Promise<Record<string, never>> {
    this.charge('RegisterTargets');
    const group = this.requireGroup(input.TargetGroupArn);
    this.register(group, this.validateTargets(group, input.Targets));
    return {};
  }

  async deregisterTargets(input: { TargetGroupArn: string; Targets: TargetDescription[] }): Promise<Record<string, never>> {
    this.charge('DeregisterTargets');
    const group = this.requireGroup(input.TargetGroupArn);
    this.deregister(group, this.validateTargets(group, input.Targets));
    return {};
  }

  async describeTargetHealth(input: { TargetGroupArn: string; Targets?: TargetDescription[] | undefined }): Promise<{ TargetHealthDescriptions: TargetHealthDescription[] }> {
    this.charge('DescribeTargetHealth');
    const group = this.requireGroup(input.TargetGroupArn);
    if (input.Targets === undefined || input.Targets.length === 0) {
      return { TargetHealthDescriptions: [...group.targets.values()].map((target) => describe(target)) };
    }
    const asked = this.validateTargets(group, input.Targets);
    this.requireInstances(asked, 'describe');
    return {
      TargetHealthDescriptions: asked.map(({ id, port }) => {
        const target = group.targets.get(`${id}:${port}`);
        return target
          ? describe(target)
          : {
              Target: { Id: id, Port: port },
              HealthCheckPort: String(port),
              TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
            };
      }),
    };
  }

  async describeTargetGroups(input: { Names?: string[] | undefined; TargetGroupArns?: string[] | undefined } = {}): Promise<{ TargetGroups: TargetGroupDescription[] }> {
    this.charge('DescribeTargetGroups');
    if (input.Names !== undefined && input.TargetGroupArns !== undefined) {
      throw validationError('Target group names and target group ARNs cannot be specified at the same time');
    }
    let groups: Array<GroupState | undefined> = [...this.groups.values()];
    if (input.Names !== undefined) {
      groups = input.Names.map((name) => this.groups.get(name));
    } else if (input.TargetGroupArns !== undefined) {
      groups = input.TargetGroupArns.map((arn) => {
        if (!TARGET_GROUP_ARN.test(arn)) throw validationError(`'${arn}' is not a valid target group ARN`);
        return this.byArn.get(arn);
      });
    }
    if (groups.some((group) => group === undefined)) throw new Elbv2Error('TargetGroupNotFoundException', 'TargetGroupNotFound', 'One or more target groups not found');
    return { TargetGroups: groups.map((group) => structuredClone(group!.description)) };
  }

  /**
   * RegisterTargets made by another AWS service on the caller's behalf (ECS registering a service's
   * tasks): the same rules, but not charged to the caller's throttling buckets.
   */
  registerOnBehalf(targetGroupName: string, targets: TargetDescription[]): void {
    const group = this.groupByName(targetGroupName);
    this.register(group, this.validateTargets(group, targets));
  }

  /** DeregisterTargets on the caller's behalf (ECS, when a service's task is stopping). */
  deregisterOnBehalf(targetGroupName: string, targets: TargetDescription[]): void {
    const group = this.groupByName(targetGroupName);
    this.deregister(group, this.validateTargets(group, targets));
  }

  // ── Metrics (called once a minute by CloudWatch) ───────────────────────────────────────────────

  /** Publishes the minute [startMs, endMs) that ends now: counts accumulated since the last call, host counts averaged over it. */
  produceMetrics(startMs: number, endMs: number): void {
    const timestamp = new Date(startMs);
    const byLoadBalancer = new Map<string, { requests: number; target5xx: number; elb5xx: number }>();
    const data: ServiceMetricDatum[] = [];
    for (const group of this.groups.values()) {
      this.accrue(group);
      const acc = group.acc;
      const take = (key: 'requests' | 'target5xx' | 'elb5xx'): number => {
        const whole = Math.floor(acc[key] + 1e-9);
        acc[key] = Math.max(0, acc[key] - whole);
        return whole;
      };
      const counts = { requests: take('requests'), target5xx: take('target5xx'), elb5xx: take('elb5xx') };
      const span = Math.max(1, endMs - acc.since);
      const dimensions = [
        { Name: 'LoadBalancer', Value: group.loadBalancerDimension },
        { Name: 'TargetGroup', Value: group.targetGroupDimension },
      ];
      const count = (MetricName: string, Value: number) => {
        if (Value > 0) data.push({ MetricName, Dimensions: dimensions, Timestamp: timestamp, Value, Unit: 'Count' });
      };
      count('RequestCount', counts.requests);
      count('HTTPCode_Target_5XX_Count', counts.target5xx);
      count('HTTPCode_ELB_5XX_Count', counts.elb5xx);
      data.push({ MetricName: 'HealthyHostCount', Dimensions: dimensions, Timestamp: timestamp, Value: acc.healthyMs / span, Unit: 'None' });
      data.push({ MetricName: 'UnHealthyHostCount', Dimensions: dimensions, Timestamp: timestamp, Value: acc.unhealthyMs / span, Unit: 'None' });
      acc.healthyMs = 0;
      acc.unhealthyMs = 0;
      acc.since = endMs;
      const total = byLoadBalancer.get(group.loadBalancerDimension) ?? { requests: 0, target5xx: 0, elb5xx: 0 };
      total.requests += counts.requests;
      total.target5xx += counts.target5xx;
      total.elb5xx += counts.elb5xx;
      byLoadBalancer.set(group.loadBalancerDimension, total);
    }
    for (const [loadBalancer, total] of byLoadBalancer) {
      const dimensions = [{ Name: 'LoadBalancer', Value: loadBalancer }];
      if (total.requests > 0) data.push({ MetricName: 'RequestCount', Dimensions: dimensions, Timestamp: timestamp, Value: total.requests, Unit: 'Count' });
      if (total.target5xx > 0) data.push({ MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: dimensions, Timestamp: timestamp, Value: total.target5xx, Unit: 'Count' });
      if (total.elb5xx > 0) data.push({ MetricName: 'HTTPCode_ELB_5XX_Count', Dimensions: dimensions, Timestamp: timestamp, Value: total.elb5xx, Unit: 'Count' });
    }
    if (this.metrics && data.length > 0) this.metrics.recordServiceMetrics(ELB_NAMESPACE, data);
  }

  // ── Registration ───────────────────────────────────────────────────────────────────────────────

  private register(group: GroupState, targets: Array<{ id: string; port: number }>): void {
    this.requireInstances(targets, 'register');
    const fresh = uniqueTargets(targets).filter(({ id, port }) => {
      const existing = group.targets.get(`${id}:${port}`);
      return existing === undefined || existing.state === 'draining';
    });
    const added = fresh.filter(({ id, port }) => !group.targets.has(`${id}:${port}`));
    if (group.targets.size + added.length > this.targetsPerTargetGroup) {
      throw new Elbv2Error('TooManyTargetsException', 'TooManyTargets', "You've reached the limit on the number of targets.");
    }
    const perId = new Map<string, number>();
    for (const { id } of added) perId.set(id, (perId.get(id) ?? 0) + 1);
    for (const [id, more] of perId) {
      if (this.registrationsOf(id, group.setup.loadBalancer) + more > ELBV2_LIMITS.registrationsPerTargetIdPerLoadBalancer) {
        throw new Elbv2Error(
          'TooManyRegistrationsForTargetIdException',
          'TooManyRegistrationsForTargetId',
          "You've reached the limit on the number of times a target can be registered with a load balancer.",
        );
      }
    }
    if (fresh.length === 0) return;
    this.accrue(group);
    const now = this.clock.now();
    for (const { id, port } of fresh) {
      const key = `${id}:${port}`;
      const draining = group.targets.get(key);
      if (draining?.beforeDraining) {
        // Registered again while draining: the deregistration is called off, the health it had is kept.
        this.cancelTimers(draining);
        const health = draining.beforeDraining;
        delete draining.beforeDraining;
        delete draining.reason;
        delete draining.description;
        Object.assign(draining, health);
        this.scheduleCheck(group, draining, now + group.setup.healthCheckIntervalSeconds * 1000);
        continue;
      }
      const target: TargetState = {
        id,
        port,
        state: 'initial',
        reason: 'Elb.RegistrationInProgress',
        description: 'Target registration is in progress',
        successes: 0,
        failures: 0,
        checked: false,
      };
      group.targets.set(key, target);
      let groups = this.byAddress.get(key);
      if (!groups) this.byAddress.set(key, (groups = new Set()));
      groups.add(group);
      this.scheduleCheck(group, target, now + group.setup.healthCheckIntervalSeconds * 1000);
    }
  }

  private deregister(group: GroupState, targets: Array<{ id: string; port: number }>): void {
    this.requireInstances(targets, 'deregister');
    const leaving = uniqueTargets(targets)
      .map(({ id, port }) => group.targets.get(`${id}:${port}`))
      .filter((target): target is TargetState => target !== undefined && target.state !== 'draining');
    if (leaving.length === 0) return;
    this.accrue(group);
    const until = this.clock.now() + group.setup.deregistrationDelaySeconds * 1000;
    for (const target of leaving) {
      this.cancelTimers(target);
      const { checkTimer: _check, drainTimer: _drain, beforeDraining: _before, ...health } = target;
      target.beforeDraining = health;
      target.state = 'draining';
      target.reason = 'Target.DeregistrationInProgress';
      target.description = 'Target deregistration is in progress';
      target.drainTimer = this.clock.schedule(until, () => {
        this.accrue(group);
        group.targets.delete(`${target.id}:${target.port}`);
        this.byAddress.get(`${target.id}:${target.port}`)?.delete(group);
      });
    }
  }

  private registrationsOf(id: string, loadBalancer: string): number {
    let count = 0;
    for (const group of this.groups.values()) {
      if (group.setup.loadBalancer !== loadBalancer) continue;
      for (const target of group.targets.values()) if (target.id === id) count++;
    }
    return count;
  }

  // ── Health checks ──────────────────────────────────────────────────────────────────────────────

  private scheduleCheck(group: GroupState, target: TargetState, at: number): void {
    target.checkTimer = this.clock.schedule(at, () => {
      delete target.checkTimer;
      this.check(group, target);
      if (target.state !== 'draining' && group.targets.get(`${target.id}:${target.port}`) === target) {
        this.scheduleCheck(group, target, at + group.setup.healthCheckIntervalSeconds * 1000);
      }
    });
  }

  private check(group: GroupState, target: TargetState): void {
    const before = JSON.stringify([target.state, target.reason]);
    const next: Pick<TargetState, 'state' | 'reason' | 'description' | 'successes' | 'failures' | 'checked'> = {
      state: target.state,
      successes: target.successes,
      failures: target.failures,
      checked: true,
      ...(target.reason !== undefined ? { reason: target.reason } : {}),
      ...(target.description !== undefined ? { description: target.description } : {}),
    };
    if (this.instances.instanceState(target.id) !== 'running') {
      Object.assign(next, { state: 'unused', reason: 'Target.InvalidState', description: 'Target is in the stopped or terminated state', successes: 0, failures: 0 });
    } else {
      const answer = this.endpoints.probe(target.id, target.port);
      if (answer.kind === 'serving') {
        next.successes++;
        next.failures = 0;
        if (next.state !== 'healthy' && next.successes >= group.setup.healthyThresholdCount) {
          Object.assign(next, { state: 'healthy', reason: undefined, description: undefined });
        } else if (next.state === 'initial' || next.state === 'unused') {
          Object.assign(next, { state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' });
        }
      } else {
        const failure: FailureKind = answer.kind === 'error' ? { reason: 'Target.ResponseCodeMismatch', statusCode: answer.statusCode } : { reason: 'Target.FailedHealthChecks' };
        const reason = failure.reason;
        const description = failure.reason === 'Target.ResponseCodeMismatch' ? `Health checks failed with these codes: [${failure.statusCode}]` : 'Health checks failed';
        next.failures++;
        next.successes = 0;
        if (next.state === 'unhealthy' || next.failures >= group.setup.unhealthyThresholdCount) {
          Object.assign(next, { state: 'unhealthy', reason, description });
        } else if (next.state === 'initial' || next.state === 'unused') {
          Object.assign(next, { state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' });
        }
      }
    }
    if (JSON.stringify([next.state, next.reason]) !== before) this.accrue(group);
    target.state = next.state;
    target.successes = next.successes;
    target.failures = next.failures;
    target.checked = next.checked;
    if (next.reason === undefined) delete target.reason;
    else target.reason = next.reason;
    if (next.description === undefined) delete target.description;
    else target.description = next.description;
  }

  private cancelTimers(target: TargetState): void {
    target.checkTimer?.cancel();
    target.drainTimer?.cancel();
    delete target.checkTimer;
    delete target.drainTimer;
  }

  // ── Traffic accounting ─────────────────────────────────────────────────────────────────────────

  /** Adds the traffic from the last accounting until now, as routed with the targets' states since then. */
  private accrue(group: GroupState): void {
    const now = this.clock.now();
    const acc = group.acc;
    const seconds = (now - acc.at) / 1000;
    acc.at = now;
    if (seconds <= 0) return;
    const targets = [...group.targets.values()];
    const healthy = targets.filter((target) => target.state === 'healthy');
    const unhealthy = targets.filter((target) => target.state === 'unhealthy');
    acc.healthyMs += healthy.length * seconds * 1000;
    acc.unhealthyMs += unhealthy.length * seconds * 1000;
    // ALB fails open: with no healthy target, traffic goes to the unhealthy ones.
    const routed = healthy.length > 0 ? healthy : unhealthy;
    const perTarget = group.setup.requestsPerTargetPerSecond * seconds;
    for (const target of routed) {
      acc.requests += perTarget;
      const answer = this.endpoints.probe(target.id, target.port);
      if (answer.kind === 'serving') acc.target5xx += perTarget * answer.errorRate;
      else if (answer.kind === 'error') acc.target5xx += perTarget;
      else acc.elb5xx += perTarget;
    }
  }

  // ── Validation and lookups ─────────────────────────────────────────────────────────────────────

  private charge(action: Elbv2Action): void {
    if (this.buckets && !this.buckets.take(['account', ACTION_BUCKET[action]])) {
      throw new Elbv2Error('ThrottlingException', 'ThrottlingException', 'Rate exceeded', { throttling: true, requestId: uuidLike(this.seed, 24, ++this.counters.request) });
    }
  }

  private requireGroup(arn: string | undefined): GroupState {
    if (arn === undefined || arn === null) throw constraintError(arn, 'targetGroupArn', 'Member must not be null');
    if (!TARGET_GROUP_ARN.test(arn)) throw validationError(`'${arn}' is not a valid target group ARN`);
    const group = this.byArn.get(arn);
    if (!group) throw new Elbv2Error('TargetGroupNotFoundException', 'TargetGroupNotFound', `Target groups '${arn}' not found`);
    return group;
  }

  private groupByName(name: string): GroupState {
    const group = this.groups.get(name);
    if (!group) throw new Elbv2Error('TargetGroupNotFoundException', 'TargetGroupNotFound', 'One or more target groups not found');
    return group;
  }

  private validateTargets(group: GroupState, targets: TargetDescription[] | undefined): Array<{ id: string; port: number }> {
    if (targets === undefined || targets === null || targets.length === 0) throw constraintError(undefined, 'targets', 'Member must not be null');
    return targets.map((target, index) => {
      const member = `targets.${index + 1}.member`;
      if (typeof target?.Id !== 'string' || target.Id === '') throw constraintError(undefined, `${member}.id`, 'Member must not be null');
      const port = target.Port ?? group.setup.port;
      if (!Number.isInteger(port)) throw constraintError(port, `${member}.port`, 'Member must be an integer');
      if (port < 1) throw constraintError(port, `${member}.port`, 'Member must have value greater than or equal to 1');
      if (port > 65535) throw constraintError(port, `${member}.port`, 'Member must have value less than or equal to 65535');
      return { id: target.Id, port };
    });
  }

  /** Every target must be an instance; registration also wants it running. */
  private requireInstances(targets: Array<{ id: string }>, why: 'register' | 'deregister' | 'describe'): void {
    const unknown = targets.filter(({ id }) => this.instances.instanceState(id) === undefined);
    if (unknown.length > 0) throw new Elbv2Error('InvalidTargetException', 'InvalidTarget', INVALID_TARGET_DESCRIPTION);
    if (why !== 'register') return;
    const stopped = [...new Set(targets.filter(({ id }) => this.instances.instanceState(id) !== 'running').map(({ id }) => id))];
    if (stopped.length > 0) {
      throw new Elbv2Error('InvalidTargetException', 'InvalidTarget', `The following targets are not in a running state and cannot be registered: ${stopped.map((id) => `'${id}'`).join(', ')}`);
    }
  }

  private validateSetup(input: TargetGroupSetup): GroupState['setup'] {
    const name = input.name;
    if (typeof name !== 'string' || name.length === 0) throw constraintError(undefined, 'name', 'Member must not be null');
    if (name.length > 32) throw validationError(`Target group name '${name}' cannot be longer than '32' characters`);
    if (!TARGET_GROUP_NAME.test(name)) {
      throw validationError(`Target group name '${name}' can contain only alphanumeric characters or hyphens (-), must not begin or end with a hyphen, and must not begin with 'internal-'`);
    }
    const pick = <K extends keyof typeof ELBV2_DEFAULTS>(key: K): (typeof ELBV2_DEFAULTS)[K] => (input[key as keyof TargetGroupSetup] ?? ELBV2_DEFAULTS[key]) as (typeof ELBV2_DEFAULTS)[K];
    const setup = {
      name,
      port: pick('port'),
      protocol: pick('protocol') as 'HTTP' | 'HTTPS',
      loadBalancer: input.loadBalancer ?? name,
      healthCheckIntervalSeconds: pick('healthCheckIntervalSeconds'),
      healthCheckTimeoutSeconds: pick('healthCheckTimeoutSeconds'),
      healthyThresholdCount: pick('healthyThresholdCount'),
      unhealthyThresholdCount: pick('unhealthyThresholdCount'),
      deregistrationDelaySeconds: pick('deregistrationDelaySeconds'),
      requestsPerTargetPerSecond: pick('requestsPerTargetPerSecond'),
    };
    const range = (value: number, member: string, min: number, max: number) => {
      if (!Number.isInteger(value)) throw constraintError(value, member, 'Member must be an integer');
      if (value < min) throw constraintError(value, member, `Member must have value greater than or equal to ${min}`);
      if (value > max) throw constraintError(value, member, `Member must have value less than or equal to ${max}`);
    };
    range(setup.port, 'port', 1, 65535);
    if (setup.protocol !== 'HTTP' && setup.protocol !== 'HTTPS') throw constraintError(setup.protocol, 'protocol', 'Member must satisfy enum value set: [HTTP, HTTPS]');
    range(setup.healthCheckIntervalSeconds, 'healthCheckIntervalSeconds', 5, 300);
    range(setup.healthCheckTimeoutSeconds, 'healthCheckTimeoutSeconds', 2, 120);
    range(setup.healthyThresholdCount, 'healthyThresholdCount', 2, 10);
    range(setup.unhealthyThresholdCount, 'unhealthyThresholdCount', 2, 10);
    if (setup.healthCheckTimeoutSeconds >= setup.healthCheckIntervalSeconds) {
      throw validationError('Health check interval must be greater than the timeout.');
    }
    if (!Number.isInteger(setup.deregistrationDelaySeconds) || setup.deregistrationDelaySeconds < 0 || setup.deregistrationDelaySeconds > 3600) {
      throw validationError(`'${setup.deregistrationDelaySeconds}' is not a valid value for attribute 'deregistration_delay.timeout_seconds': must be between 0 and 3600`);
    }
    if (!(setup.requestsPerTargetPerSecond >= 0 && Number.isFinite(setup.requestsPerTargetPerSecond))) {
      throw new RangeError(`requestsPerTargetPerSecond: expected a number >= 0, got ${setup.requestsPerTargetPerSecond}`);
    }
    if (typeof setup.loadBalancer !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(setup.loadBalancer)) {
      throw validationError(`Load balancer name '${String(setup.loadBalancer)}' can contain only alphanumeric characters or hyphens (-), up to 32, and must not begin or end with a hyphen`);
    }
    return setup;
  }
}

function describe(target: TargetState): TargetHealthDescription {
  const health: TargetHealth = { State: target.state };
  if (target.reason !== undefined) health.Reason = target.reason;
  if (target.description !== undefined) health.Description = target.description;
  return { Target: { Id: target.id, Port: target.port }, HealthCheckPort: String(target.port), TargetHealth: health };
}

function uniqueTargets(targets: Array<{ id: string; port: number }>): Array<{ id: string; port: number }> {
  const seen = new Set<string>();
  return targets.filter(({ id, port }) => {
    const key = `${id}:${port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
