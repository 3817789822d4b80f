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
 *   A draining target nothing answers at any more (its task stopped, or its instance is not
 *   running) has no in-flight requests and no connections left, so its deregistration completes at
 *   once, without waiting for the delay — ELB's "Deregistration delay" (the section the
 *   DeregisterTargets API reference links to; this wording as quoted from it in
 *   kubernetes-sigs/aws-load-balancer-controller#3270): "If a deregistering target has no in-flight
 *   requests and no active connections, Elastic Load Balancing immediately completes the
 *   deregistration process, without waiting for the deregistration delay to elapse."
 *   The simulated requests take no time, so "nothing answers" is the only "no connections" there is:
 *   at DeregisterTargets when the endpoint already refuses, or as soon as it stops answering.
 * - RegisterTargets of a target that is draining (its task still answering) starts it over as a new
 *   registration: `initial` (`Elb.RegistrationInProgress`), checked from the registration, `healthy`
 *   only after HealthyThresholdCount passed checks (30 s × 5: 150 s), as for a target never
 *   registered. "Register targets with your target group" (ALB User Guide,
 *   application/target-group-register-targets.html): "The load balancer starts
 *   routing requests to the target as soon as the registration process completes and the target
 *   passes the initial health checks" and, of a deregistered target, "When the target is ready to
 *   receive requests, you can register it with the target group again." The stored documentation
 *   says nothing else about registering a target while it drains (its one restriction — wait out the
 *   delay before registering the same IP address again — is for `ip` targets; these are `instance`),
 *   so no earlier health is kept. This is what happens when ECS gives a new task the host port an
 *   old task just stopped on (the lowest free one): the old target is gone, the new one is `initial`.
 * - Every target group is taken to be attached to a load balancer (of its own unless `loadBalancer`
 *   names a shared one): the `unused` / `Target.NotInUse` state of a target group that no listener
 *   uses is not simulated, nor `unavailable` (health checks disabled), nor `unhealthy.draining`.
 *
 * Listener rules and traffic (`elbv2-listeners.ts` has the shapes and the actions' validation):
 * - A load balancer (`createLoadBalancer`, the world file's `loadBalancers`) has listeners, each with
 *   a default rule and rules by priority whose one action is `forward` (target groups with weights
 *   0–999, at most 5) or `fixed-response`. DescribeLoadBalancers, DescribeListeners, DescribeRules
 *   (by ListenerArn or RuleArns) and ModifyRule (which cannot change a default rule) answer in the
 *   API's shapes; ModifyRule is charged to the `mutating` bucket, the Describe calls to
 *   `non-mutating`.
 * - Offered load (not ELBv2's: the simulated clients): a load balancer's first listener receives
 *   `requestsPerSecond` (default 100; `setOfferedLoad` changes it, e.g. Route 53 weighting two load
 *   balancers), its other listeners (test listeners) 0 unless given. Conditions are not evaluated:
 *   every request of a listener matches its first rule by priority (its default rule when it has
 *   none), as with the `/*` path patterns of the world file. The rule splits them among its target
 *   groups by weight (a weight 0 gets nothing; all weights 0: the load balancer answers 503), and a
 *   target group among its routed targets equally.
 * - A target group no rule forwards to keeps the simple model: each routed target gets
 *   `requestsPerTargetPerSecond` (default 10). So does every target group of a world without rules.
 * - Which targets are routed: the `healthy` ones; when there is none, the `unhealthy` ones (ALB
 *   "fails open" within a target group); `initial`, `draining` and `unused` targets get none. A
 *   target group given weight with no routed target at all (none registered, or all initial or
 *   draining) does not pass its share to the rule's other target groups — ELB's documentation
 *   describes fail-open within a target group and no failover between the target groups of a
 *   forward action — so its share is answered 503 by the load balancer ("HTTP 503: Service
 *   unavailable", the troubleshooting guide): counted in the load balancer's `HTTPCode_ELB_5XX_Count`,
 *   not in `RequestCount` (which counts only requests for which a target was chosen).
 * - `requestTotals()`: exact counts since the start by target group, load balancer and the task
 *   definition that answered (the bench's "requests answered with a 5xx").
 *
 * Traffic and metrics (CloudWatch namespace `AWS/ApplicationELB`, "CloudWatch metrics for your
 * Application Load Balancer"): routed as above. A
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
 * Wiring (see `kernel.ts`): the default world has target group `web` in cluster `default` (no rule
 * forwards to it), load balancer `web-alb` (rules over `web-blue` / `web-green`), and `web-a` / `web-b`;
 * `createSimulatedServices` builds it from the world description, makes `traffic.ts` the source of
 * endpoints, and publishes the metrics through `cloudwatch.ts` (alarm `web-5xx`).
 */
import type { ScheduledTimer, SimScheduler } from './clock';
import { constraintError, Elbv2Error, validationError } from './elbv2-errors';
import type { ListenerDescription, ListenerSetup, LoadBalancerDescription, LoadBalancerSetup, RuleAction, RuleActionInput, RuleCondition, RuleDescription } from './elbv2-listeners';
import { describeAction, LISTENER_RULE_LIMITS, validateActions } from './elbv2-listeners';
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
  /** Not ELBv2's: the requests a second a load balancer's first listener receives in the simulation (its offered load). */
  requestsPerLoadBalancerPerSecond: 100,
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

type Elbv2Action =
  | 'RegisterTargets'
  | 'DeregisterTargets'
  | 'DescribeTargetHealth'
  | 'DescribeTargetGroups'
  | 'DescribeLoadBalancers'
  | 'DescribeListeners'
  | 'DescribeRules'
  | 'ModifyRule';

const ACTION_BUCKET: Readonly<Record<Elbv2Action, Elbv2RateBucket>> = {
  RegisterTargets: 'registration',
  DeregisterTargets: 'registration',
  DescribeTargetHealth: 'non-mutating',
  DescribeTargetGroups: 'non-mutating',
  DescribeLoadBalancers: 'non-mutating',
  DescribeListeners: 'non-mutating',
  DescribeRules: 'non-mutating',
  ModifyRule: 'mutating',
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

/**
 * What answers at a port of an instance: a task that serves (failing a share of requests), one that
 * answers 5xx to everything, or nothing; `taskDefinition` (`family:revision`) names the task that
 * listens there, when there is one (for `requestTotals`).
 */
export type EndpointAnswer = ({ kind: 'serving'; errorRate: number } | { kind: 'error'; statusCode: number } | { kind: 'refused' }) & { taskDefinition?: string };

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

// ── Errors (elbv2-errors.ts) ──────────────────────────────────────────────────────────────────────

export { Elbv2Error } from './elbv2-errors';

const INVALID_TARGET_DESCRIPTION = 'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.';

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
  checkTimer?: ScheduledTimer;
  drainTimer?: ScheduledTimer;
  /** A look, right after what answers at its address changed, at whether a draining target has anything left to drain. */
  settleTimer?: ScheduledTimer;
}

interface Accumulated {
  at: number;
  requests: number;
  target5xx: number;
  elb5xx: number;
  /** The group's share of a rule's requests while it had no target to send them to: the load balancer's 503. */
  noTarget503: number;
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
  /** Everything since the group was created, exact (never rounded, never reset): `requestTotals()`. */
  totals: RequestTotals;
}

/** Requests counted exactly since the start: those sent to a target, those it answered 5xx, the load balancer's 502s (nobody answered) and 503s (no target to send them to). */
export interface RequestTotals {
  requests: number;
  target5xx: number;
  elb5xx: number;
  noTarget503: number;
}

interface RuleState {
  arn: string;
  /** null: the listener's default rule. */
  priority: number | null;
  conditions: RuleCondition[];
  action: RuleAction<GroupState>;
}

interface ListenerState {
  arn: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** The requests a second it receives. */
  requestsPerSecond: number;
  /** Non-default rules by ascending priority. */
  rules: RuleState[];
  defaultRule: RuleState;
}

interface LoadBalancerState {
  name: string;
  arn: string;
  /** The `LoadBalancer` dimension value (`app/<name>/<id>`). */
  dimension: string;
  createdAt: number;
  listeners: ListenerState[];
  /** 503s of a rule whose weights are all 0 (no target group to send its requests to), accrued like a group's counts. */
  acc: { at: number; noTarget503: number; total503: number };
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
const LOAD_BALANCER_NAME = /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const LOAD_BALANCER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
const LISTENER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}\/[0-9a-f]{16}$/;
const RULE_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/;
/** The hosted zone of Application Load Balancers' DNS names in us-east-1 (Route 53 alias targets name it). */
export const ALB_HOSTED_ZONE_ID = 'Z35SXDOTRQ7X7K';

function requireRate(value: number, member: string): void {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) throw new RangeError(`${member}: expected a number of requests a second >= 0, got ${String(value)}`);
}

function describeRule(rule: RuleState): RuleDescription {
  return {
    RuleArn: rule.arn,
    Priority: rule.priority === null ? 'default' : String(rule.priority),
    Conditions: structuredClone(rule.conditions),
    Actions: [describeAction(rule.action)],
    IsDefault: rule.priority === null,
  };
}

function describeListener(listener: ListenerState, loadBalancer: LoadBalancerState): ListenerDescription {
  return { ListenerArn: listener.arn, LoadBalancerArn: loadBalancer.arn, Port: listener.port, Protocol: listener.protocol, DefaultActions: [describeAction(listener.defaultRule.action)] };
}

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
  /** By name, in creation order (those only named by a target group's `loadBalancer` have no listener). */
  private readonly loadBalancers = new Map<string, LoadBalancerState>();
  private readonly rulesByArn = new Map<string, { rule: RuleState; listener: ListenerState; loadBalancer: LoadBalancerState }>();
  private readonly listenersByArn = new Map<string, { listener: ListenerState; loadBalancer: LoadBalancerState }>();
  /** Requests and 5xx by the task definition of the target that answered (or did not): exact, since the start. */
  private readonly taskDefinitionTotals = new Map<string, { requests: number; errors: number }>();
  /** `${id}:${port}` → the target groups with a target there (for accounting before an endpoint changes). */
  private readonly byAddress = new Map<string, Set<GroupState>>();
  private counters = { group: 0, loadBalancer: 0, request: 0, listener: 0, rule: 0 };
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
      for (const group of this.byAddress.get(`${id}:${port}`) ?? []) {
        this.accrue(group);
        const target = group.targets.get(`${id}:${port}`);
        // Called just before the change: look once it is made (same instant, the scheduler's next turn).
        if (target?.state === 'draining' && !target.settleTimer) {
          target.settleTimer = this.clock.schedule(this.clock.now(), () => {
            delete target.settleTimer;
            if (target.state === 'draining' && group.targets.get(`${target.id}:${target.port}`) === target && this.drained(target)) this.completeDeregistration(group, target);
          });
        }
      }
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
    const loadBalancerArn = this.loadBalancerNamed(setup.loadBalancer).arn;
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
      acc: { at: now, since: now, requests: 0, target5xx: 0, elb5xx: 0, noTarget503: 0, healthyMs: 0, unhealthyMs: 0 },
      totals: { requests: 0, target5xx: 0, elb5xx: 0, noTarget503: 0 },
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

  /**
   * A load balancer with its listeners and their rules (the world file's `loadBalancers`; target
   * groups by name, created before). One only named so far by a target group's `loadBalancer` gets
   * its listeners now; one that already has listeners is `DuplicateLoadBalancerName`.
   */
  createLoadBalancer(input: LoadBalancerSetup): LoadBalancerDescription {
    const name = input.name;
    if (typeof name !== 'string' || !LOAD_BALANCER_NAME.test(name)) {
      throw validationError(`Load balancer name '${String(name)}' can contain only alphanumeric characters or hyphens (-), up to 32, and must not begin or end with a hyphen nor begin with 'internal-'`);
    }
    const existing = this.loadBalancers.get(name);
    if (existing && existing.listeners.length > 0) throw new Elbv2Error('DuplicateLoadBalancerNameException', 'DuplicateLoadBalancerName', 'A load balancer with the same name already exists');
    const offered = input.requestsPerSecond ?? ELBV2_DEFAULTS.requestsPerLoadBalancerPerSecond;
    requireRate(offered, 'requestsPerSecond');
    const ports = new Set<number>();
    const listeners = input.listeners ?? [];
    const created = existing ?? this.loadBalancerNamed(name);
    let built: Array<{ listener: ListenerState; rules: RuleState[] }>;
    try {
      // Everything is checked before anything changes.
      built = listeners.map((listener, index) => this.buildListener(created, listener, index, index === 0 ? offered : 0, ports));
    } catch (error) {
      if (!existing) this.loadBalancers.delete(name);
      throw error;
    }
    this.accrueLoadBalancer(created);
    for (const { listener, rules } of built) {
      created.listeners.push(listener);
      this.listenersByArn.set(listener.arn, { listener, loadBalancer: created });
      for (const rule of rules) this.rulesByArn.set(rule.arn, { rule, listener, loadBalancer: created });
    }
    return this.describeLoadBalancer(created);
  }

  /** Sets the requests a second a load balancer's listener receives (default: its first listener). Accounts what came before at the old rate. */
  setOfferedLoad(loadBalancerName: string, requestsPerSecond: number, options: { port?: number } = {}): void {
    requireRate(requestsPerSecond, 'requestsPerSecond');
    const loadBalancer = this.loadBalancers.get(loadBalancerName);
    if (!loadBalancer) throw new Elbv2Error('LoadBalancerNotFoundException', 'LoadBalancerNotFound', `Load balancer '${loadBalancerName}' not found`);
    const listener = options.port === undefined ? loadBalancer.listeners[0] : loadBalancer.listeners.find((l) => l.port === options.port);
    if (!listener) {
      throw new Elbv2Error('ListenerNotFoundException', 'ListenerNotFound', `Load balancer '${loadBalancerName}' has no listener${options.port === undefined ? '' : ` on port ${options.port}`}`);
    }
    this.accrueLoadBalancer(loadBalancer);
    listener.requestsPerSecond = requestsPerSecond;
  }

  /** The requests a second a load balancer's listeners receive, by port. */
  offeredLoad(loadBalancerName: string): Array<{ port: number; requestsPerSecond: number }> | undefined {
    return this.loadBalancers.get(loadBalancerName)?.listeners.map((l) => ({ port: l.port, requestsPerSecond: l.requestsPerSecond }));
  }

  /** The `LoadBalancer` dimension of a load balancer's metrics (`app/<name>/<id>`), or undefined. */
  loadBalancerDimension(name: string): string | undefined {
    return this.loadBalancers.get(name)?.dimension;
  }

  /**
   * Requests counted exactly since the start (not rounded like the metrics): by target group, by
   * load balancer (the sums of its groups, plus the 503s of rules whose weights are all 0), and by
   * the task definition of the target (`errors`: its 5xx and the load balancer's 502s when it did not
   * answer). For the bench's "requests answered with a 5xx".
   */
  requestTotals(): {
    targetGroups: Record<string, RequestTotals>;
    loadBalancers: Record<string, RequestTotals>;
    taskDefinitions: Record<string, { requests: number; errors: number }>;
  } {
    for (const loadBalancer of this.loadBalancers.values()) this.accrueLoadBalancer(loadBalancer);
    const targetGroups: Record<string, RequestTotals> = {};
    const loadBalancers: Record<string, RequestTotals> = {};
    for (const loadBalancer of this.loadBalancers.values()) loadBalancers[loadBalancer.name] = { requests: 0, target5xx: 0, elb5xx: 0, noTarget503: loadBalancer.acc.total503 };
    for (const group of this.groups.values()) {
      targetGroups[group.setup.name] = { ...group.totals };
      const sum = loadBalancers[group.setup.loadBalancer]!;
      sum.requests += group.totals.requests;
      sum.target5xx += group.totals.target5xx;
      sum.elb5xx += group.totals.elb5xx;
      sum.noTarget503 += group.totals.noTarget503;
    }
    return { targetGroups, loadBalancers, taskDefinitions: Object.fromEntries([...this.taskDefinitionTotals].map(([td, totals]) => [td, { ...totals }])) };
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

  async describeLoadBalancers(input: { LoadBalancerArns?: string[] | undefined; Names?: string[] | undefined } = {}): Promise<{ LoadBalancers: LoadBalancerDescription[] }> {
    this.charge('DescribeLoadBalancers');
    if (input.LoadBalancerArns !== undefined && input.Names !== undefined) throw validationError('Load balancer names and load balancer ARNs cannot be specified at the same time');
    let found: Array<LoadBalancerState | undefined> = [...this.loadBalancers.values()];
    if (input.Names !== undefined) found = input.Names.map((name) => this.loadBalancers.get(name));
    else if (input.LoadBalancerArns !== undefined) {
      found = input.LoadBalancerArns.map((arn) => {
        if (!LOAD_BALANCER_ARN.test(arn)) throw validationError(`'${arn}' is not a valid load balancer ARN`);
        return [...this.loadBalancers.values()].find((lb) => lb.arn === arn);
      });
    }
    if (found.some((lb) => lb === undefined)) throw new Elbv2Error('LoadBalancerNotFoundException', 'LoadBalancerNotFound', 'One or more load balancers not found');
    return { LoadBalancers: found.map((lb) => this.describeLoadBalancer(lb!)) };
  }

  async describeListeners(input: { LoadBalancerArn?: string | undefined; ListenerArns?: string[] | undefined }): Promise<{ Listeners: ListenerDescription[] }> {
    this.charge('DescribeListeners');
    if ((input.LoadBalancerArn === undefined) === (input.ListenerArns === undefined)) throw validationError('Exactly one of LoadBalancerArn and ListenerArns must be specified');
    if (input.LoadBalancerArn !== undefined) {
      const arn = input.LoadBalancerArn;
      if (!LOAD_BALANCER_ARN.test(arn)) throw validationError(`'${arn}' is not a valid load balancer ARN`);
      const loadBalancer = [...this.loadBalancers.values()].find((lb) => lb.arn === arn);
      if (!loadBalancer) throw new Elbv2Error('LoadBalancerNotFoundException', 'LoadBalancerNotFound', 'One or more load balancers not found');
      return { Listeners: loadBalancer.listeners.map((listener) => describeListener(listener, loadBalancer)) };
    }
    return {
      Listeners: input.ListenerArns!.map((arn) => {
        if (!LISTENER_ARN.test(arn)) throw validationError(`'${arn}' is not a valid listener ARN`);
        const found = this.listenersByArn.get(arn);
        if (!found) throw new Elbv2Error('ListenerNotFoundException', 'ListenerNotFound', 'One or more listeners not found');
        return describeListener(found.listener, found.loadBalancer);
      }),
    };
  }

  /** A listener's rules (default rule last), or the rules named. */
  async describeRules(input: { ListenerArn?: string | undefined; RuleArns?: string[] | undefined; Marker?: string | undefined; PageSize?: number | undefined }): Promise<{ Rules: RuleDescription[] }> {
    this.charge('DescribeRules');
    if ((input.ListenerArn === undefined) === (input.RuleArns === undefined)) throw validationError('Exactly one of ListenerArn and RuleArns must be specified');
    if (input.PageSize !== undefined && (!Number.isInteger(input.PageSize) || input.PageSize < 1 || input.PageSize > 400)) {
      throw constraintError(input.PageSize, 'pageSize', 'Member must have value between 1 and 400');
    }
    if (input.ListenerArn !== undefined) {
      if (!LISTENER_ARN.test(input.ListenerArn)) throw validationError(`'${input.ListenerArn}' is not a valid listener ARN`);
      const found = this.listenersByArn.get(input.ListenerArn);
      if (!found) throw new Elbv2Error('ListenerNotFoundException', 'ListenerNotFound', 'One or more listeners not found');
      return { Rules: [...found.listener.rules, found.listener.defaultRule].map(describeRule) };
    }
    return { Rules: input.RuleArns!.map((arn) => describeRule(this.requireRule(arn).rule)) };
  }

  /**
   * ModifyRule: replaces the rule's `Actions` (the whole list) and, when given, its `Conditions`;
   * what is not given is kept. A change of weights applies to the requests from now on.
   */
  async modifyRule(input: { RuleArn: string; Actions?: RuleActionInput[] | undefined; Conditions?: RuleCondition[] | undefined }): Promise<{ Rules: RuleDescription[] }> {
    this.charge('ModifyRule');
    const { rule, loadBalancer } = this.requireRule(input.RuleArn);
    if (rule.priority === null) {
      throw new Elbv2Error('OperationNotPermittedException', 'OperationNotPermitted', `Default rule '${rule.arn}' cannot be modified with ModifyRule (use ModifyListener)`);
    }
    const action = input.Actions === undefined ? undefined : validateActions(input.Actions, loadBalancer.name, this.resolver());
    if (input.Conditions !== undefined && !Array.isArray(input.Conditions)) throw validationError('conditions: expected a list of conditions');
    this.accrueLoadBalancer(loadBalancer);
    if (action) rule.action = action;
    if (input.Conditions !== undefined) rule.conditions = structuredClone(input.Conditions);
    return { Rules: [describeRule(rule)] };
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
    for (const loadBalancer of this.loadBalancers.values()) this.accrueLoadBalancer(loadBalancer);
    for (const group of this.groups.values()) {
      this.accrue(group);
      const acc = group.acc;
      const take = (key: 'requests' | 'target5xx' | 'elb5xx' | 'noTarget503'): number => {
        const whole = Math.floor(acc[key] + 1e-9);
        acc[key] = Math.max(0, acc[key] - whole);
        return whole;
      };
      const counts = { requests: take('requests'), target5xx: take('target5xx'), elb5xx: take('elb5xx') };
      // The 503s for want of a target were answered before a target group was chosen: the load balancer's count only.
      const noTarget = take('noTarget503');
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
      total.elb5xx += counts.elb5xx + noTarget;
      byLoadBalancer.set(group.loadBalancerDimension, total);
    }
    for (const loadBalancer of this.loadBalancers.values()) {
      const whole = Math.floor(loadBalancer.acc.noTarget503 + 1e-9);
      if (whole === 0) continue;
      loadBalancer.acc.noTarget503 = Math.max(0, loadBalancer.acc.noTarget503 - whole);
      const total = byLoadBalancer.get(loadBalancer.dimension) ?? { requests: 0, target5xx: 0, elb5xx: 0 };
      total.elb5xx += whole;
      byLoadBalancer.set(loadBalancer.dimension, total);
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
      // Registered again while draining: a new registration (initial, a fresh count) in its place, nothing of the old health kept.
      if (draining) this.cancelTimers(draining);
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
      target.state = 'draining';
      target.reason = 'Target.DeregistrationInProgress';
      target.description = 'Target deregistration is in progress';
      if (this.drained(target)) this.completeDeregistration(group, target);
      else target.drainTimer = this.clock.schedule(until, () => this.completeDeregistration(group, target));
    }
  }

  /** Whether a draining target has no in-flight requests and no connections left: nothing answers at its address. */
  private drained(target: TargetState): boolean {
    return this.instances.instanceState(target.id) !== 'running' || this.endpoints.probe(target.id, target.port).kind === 'refused';
  }

  /** The deregistration completes: the target is no longer in the group. */
  private completeDeregistration(group: GroupState, target: TargetState): void {
    this.cancelTimers(target);
    this.accrue(group);
    const key = `${target.id}:${target.port}`;
    group.targets.delete(key);
    this.byAddress.get(key)?.delete(group);
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
    target.settleTimer?.cancel();
    delete target.checkTimer;
    delete target.drainTimer;
    delete target.settleTimer;
  }

  // ── Load balancers, listeners, rules ───────────────────────────────────────────────────────────

  /** The load balancer of that name, created (without listeners) if there is none. */
  private loadBalancerNamed(name: string): LoadBalancerState {
    const existing = this.loadBalancers.get(name);
    if (existing) return existing;
    const id = hexId(this.seed, 22, ++this.counters.loadBalancer, 16);
    const arn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:loadbalancer/app/${name}/${id}`;
    const now = this.clock.now();
    const loadBalancer: LoadBalancerState = { name, arn, dimension: `app/${name}/${id}`, createdAt: now, listeners: [], acc: { at: now, noTarget503: 0, total503: 0 } };
    this.loadBalancers.set(name, loadBalancer);
    return loadBalancer;
  }

  private buildListener(loadBalancer: LoadBalancerState, setup: ListenerSetup, index: number, offered: number, ports: Set<number>): { listener: ListenerState; rules: RuleState[] } {
    const at = `listeners.${index + 1}.member`;
    if (!Number.isInteger(setup.port) || setup.port < 1 || setup.port > 65535) throw constraintError(setup.port, `${at}.port`, 'Member must have value between 1 and 65535');
    if (ports.has(setup.port)) throw new Elbv2Error('DuplicateListenerException', 'DuplicateListener', 'A listener already exists on this port for this load balancer');
    ports.add(setup.port);
    const protocol = setup.protocol ?? 'HTTP';
    if (protocol !== 'HTTP' && protocol !== 'HTTPS') throw constraintError(protocol, `${at}.protocol`, 'Member must satisfy enum value set: [HTTP, HTTPS]');
    const requestsPerSecond = setup.requestsPerSecond ?? offered;
    requireRate(requestsPerSecond, `${at}.requestsPerSecond`);
    const lbPart = loadBalancer.arn.slice(loadBalancer.arn.indexOf(':loadbalancer/') + ':loadbalancer/'.length);
    const listenerArn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:listener/${lbPart}/${hexId(this.seed, 24, ++this.counters.listener, 16)}`;
    const ruleArn = () => `${listenerArn.replace(':listener/', ':listener-rule/')}/${hexId(this.seed, 25, ++this.counters.rule, 16)}`;
    const forward = (weights: Record<string, number>, member: string): RuleAction<GroupState> =>
      validateActions(
        [{ Type: 'forward', ForwardConfig: { TargetGroups: Object.entries(weights).map(([name, Weight]) => ({ TargetGroupArn: this.groups.get(name)?.description.TargetGroupArn ?? `unknown:${name}`, Weight })) } }],
        loadBalancer.name,
        this.resolver(),
        member,
      );
    for (const weights of [setup.defaultForward ?? {}, ...(setup.rules ?? []).map((rule) => rule.forward)]) {
      for (const name of Object.keys(weights)) {
        if (!this.groups.has(name)) throw new Elbv2Error('TargetGroupNotFoundException', 'TargetGroupNotFound', `Target group '${name}' not found`);
      }
    }
    const defaultRule: RuleState = {
      arn: ruleArn(),
      priority: null,
      conditions: [],
      action: setup.defaultForward
        ? forward(setup.defaultForward, `${at}.defaultActions`)
        : { type: 'fixed-response', order: 1, config: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } },
    };
    const priorities = new Set<number>();
    const rules = (setup.rules ?? []).map((rule, ruleIndex): RuleState => {
      if (!Number.isInteger(rule.priority) || rule.priority < 1 || rule.priority > LISTENER_RULE_LIMITS.maxPriority) {
        throw constraintError(rule.priority, `${at}.rules.${ruleIndex + 1}.member.priority`, `Member must have value between 1 and ${LISTENER_RULE_LIMITS.maxPriority}`);
      }
      if (priorities.has(rule.priority)) throw new Elbv2Error('PriorityInUseException', 'PriorityInUse', `The specified priority '${rule.priority}' is in use`);
      priorities.add(rule.priority);
      const pattern = rule.pathPattern ?? '/*';
      return {
        arn: ruleArn(),
        priority: rule.priority,
        conditions: [{ Field: 'path-pattern', Values: [pattern], PathPatternConfig: { Values: [pattern] } }],
        action: forward(rule.forward, `${at}.rules.${ruleIndex + 1}.member.actions`),
      };
    });
    rules.sort((a, b) => a.priority! - b.priority!);
    const listener: ListenerState = { arn: listenerArn, port: setup.port, protocol, requestsPerSecond, rules, defaultRule };
    return { listener, rules: [...rules, defaultRule] };
  }

  private resolver() {
    return { byArn: (arn: string) => this.byArn.get(arn), loadBalancerOf: (group: GroupState) => group.setup.loadBalancer };
  }

  private requireRule(arn: string | undefined): { rule: RuleState; listener: ListenerState; loadBalancer: LoadBalancerState } {
    if (arn === undefined || arn === null) throw constraintError(arn, 'ruleArn', 'Member must not be null');
    if (!RULE_ARN.test(arn)) throw validationError(`'${arn}' is not a valid listener rule ARN`);
    const found = this.rulesByArn.get(arn);
    if (!found) throw new Elbv2Error('RuleNotFoundException', 'RuleNotFound', 'One or more rules not found');
    return found;
  }

  private describeLoadBalancer(loadBalancer: LoadBalancerState): LoadBalancerDescription {
    const id = loadBalancer.arn.slice(loadBalancer.arn.lastIndexOf('/') + 1);
    return {
      LoadBalancerArn: loadBalancer.arn,
      DNSName: `${loadBalancer.name}-${parseInt(id.slice(0, 8), 16)}.${this.region}.elb.amazonaws.com`,
      CanonicalHostedZoneId: ALB_HOSTED_ZONE_ID,
      CreatedTime: new Date(loadBalancer.createdAt),
      LoadBalancerName: loadBalancer.name,
      Scheme: 'internet-facing',
      VpcId: `vpc-${hexId(this.seed, 23, 0, 17)}`,
      State: { Code: 'active' },
      Type: 'application',
      AvailabilityZones: [],
      SecurityGroups: [],
      IpAddressType: 'ipv4',
    };
  }

  /**
   * The requests a second that rules send to a group now, or undefined when no rule of its load
   * balancer forwards to it (then each routed target gets `requestsPerTargetPerSecond`, as before
   * there were rules). A listener's requests go to its first rule by priority (its default rule
   * when it has none), split among the rule's target groups by weight.
   */
  private offeredRps(group: GroupState): number | undefined {
    const loadBalancer = this.loadBalancers.get(group.setup.loadBalancer);
    if (!loadBalancer) return undefined;
    let referenced = false;
    let rps = 0;
    for (const listener of loadBalancer.listeners) {
      const live = listener.rules[0] ?? listener.defaultRule;
      for (const rule of [...listener.rules, listener.defaultRule]) {
        if (rule.action.type !== 'forward') continue;
        const own = rule.action.targetGroups.find((tg) => tg.group === group);
        if (!own) continue;
        referenced = true;
        if (rule !== live) continue;
        const total = rule.action.targetGroups.reduce((sum, tg) => sum + tg.weight, 0);
        if (total > 0) rps += (listener.requestsPerSecond * own.weight) / total;
      }
    }
    return referenced ? rps : undefined;
  }

  /** Accounts every group of the load balancer, and its own 503s, up to now (before its rules or offered load change). */
  private accrueLoadBalancer(loadBalancer: LoadBalancerState): void {
    for (const group of this.groups.values()) if (group.setup.loadBalancer === loadBalancer.name) this.accrue(group);
    const now = this.clock.now();
    const seconds = (now - loadBalancer.acc.at) / 1000;
    loadBalancer.acc.at = now;
    if (seconds <= 0) return;
    for (const listener of loadBalancer.listeners) {
      const live = listener.rules[0] ?? listener.defaultRule;
      if (live.action.type !== 'forward') continue;
      if (live.action.targetGroups.every((tg) => tg.weight === 0)) {
        loadBalancer.acc.noTarget503 += listener.requestsPerSecond * seconds;
        loadBalancer.acc.total503 += listener.requestsPerSecond * seconds;
      }
    }
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
    const offered = this.offeredRps(group);
    if (offered !== undefined && routed.length === 0) {
      // A rule's share for a group with no target to send it to: the load balancer answers 503.
      acc.noTarget503 += offered * seconds;
      group.totals.noTarget503 += offered * seconds;
      return;
    }
    const perTarget = (offered === undefined ? group.setup.requestsPerTargetPerSecond : offered / routed.length) * seconds;
    // By task definition: summed here, added to the totals once (a group's targets are mostly of one or two).
    let byTaskDefinition: Map<string, { requests: number; errors: number }> | undefined;
    for (const target of routed) {
      const answer = this.endpoints.probe(target.id, target.port);
      const errors = answer.kind === 'serving' ? perTarget * answer.errorRate : perTarget;
      acc.requests += perTarget;
      group.totals.requests += perTarget;
      if (answer.kind === 'refused') {
        acc.elb5xx += perTarget;
        group.totals.elb5xx += perTarget;
      } else {
        acc.target5xx += errors;
        group.totals.target5xx += errors;
      }
      if (answer.taskDefinition !== undefined) {
        byTaskDefinition ??= new Map();
        const sum = byTaskDefinition.get(answer.taskDefinition);
        if (sum) {
          sum.requests += perTarget;
          sum.errors += errors;
        } else byTaskDefinition.set(answer.taskDefinition, { requests: perTarget, errors });
      }
    }
    for (const [taskDefinition, sum] of byTaskDefinition ?? []) {
      const totals = this.taskDefinitionTotals.get(taskDefinition);
      if (totals) {
        totals.requests += sum.requests;
        totals.errors += sum.errors;
      } else this.taskDefinitionTotals.set(taskDefinition, sum);
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
