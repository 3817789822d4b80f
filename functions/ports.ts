/**
 * The narrow ports the handlers talk to. Adapters: `adapters/event-log.ts` (DynamoDB via electrodb),
 * `adapters/clock.ts`. The local stack and the tests wire the same adapters to DynamoDB Local.
 */
import type { EnvironmentEvent, EnvironmentEventType, EnvironmentState, RevisionSummary } from '../domain/environment';
import type { AlarmReading, Observation, PlannerAction } from '../domain/rollout';
import type { TaskDefinitionSummary } from '../domain/revision-diff';
import type { EnvironmentSpec } from '../domain/spec';
import type { PutEventsEntry } from '../events/notifications';

/** A lost race: another writer appended to the environment first. Maps to HTTP 409. */
export class ConcurrencyError extends Error {
  readonly code = 'Conflict' as const;
  constructor(
    readonly environment: string,
    readonly expectedVersion: number,
  ) {
    super(`environment "${environment}" was changed by another request (expected version ${expectedVersion}); read it again and retry`);
    this.name = 'ConcurrencyError';
  }
}

/** Which of DynamoDB's write limits an append broke (see `adapters/dynamodb-limits.ts`). */
export type StoreLimit =
  /** More than 100 items in one transaction. */
  | 'TransactionItems'
  /** An item over 400 KB (an event, the projection, a revision row, the idempotency record). */
  | 'ItemSize'
  /** A transaction over 4 MB. */
  | 'TransactionSize';

/**
 * The store refused an append for one of its limits; nothing was written. Retrying the same append
 * fails the same way: the caller has to write less at once. `storeMessage` is the store's own words
 * (DynamoDB's, repeated word for word by the in-memory log).
 */
export class StoreLimitError extends Error {
  readonly code = 'StoreLimit' as const;
  constructor(
    readonly environment: string,
    readonly limit: StoreLimit,
    readonly storeMessage: string,
  ) {
    super(`append to "${environment}" refused by the store (${limit}): ${storeMessage}`);
    this.name = 'StoreLimitError';
  }
}

export interface StoredEvent {
  sequence: number;
  event: EnvironmentEvent;
}

/** One page of a backward read of the log: newest first; `before` where the next page starts (absent: nothing older is left). */
export interface BackwardEventPage {
  events: StoredEvent[];
  before?: number | undefined;
}

/** A row of the revision table. */
export interface RevisionRow extends RevisionSummary {
  spec: EnvironmentSpec;
  basedOn?: number | undefined;
  createdAt: string;
}

/** The first answer to an idempotent command, replayed for retries with the same key. */
export interface IdempotencyRecord {
  key: string;
  /** Hash of the request (route, environment, body): the same key with another request is refused. */
  fingerprint: string;
  statusCode: number;
  body: unknown;
}

export interface AppendRequest {
  environment: string;
  /** The version the events were decided against (0 for a new environment). */
  expectedVersion: number;
  events: EnvironmentEvent[];
  /** The projection after the events (compacted live state). */
  state: EnvironmentState;
  /** Revision-table rows whose status or counts changed. */
  changedRevisions: RevisionSummary[];
  /** Revisions the events created. */
  newRevisions: RevisionRow[];
  idempotency?: IdempotencyRecord | undefined;
  /** Alarm index entries (alarm name → this environment) to add and remove with the append. */
  alarmWatch?: { add: string[]; remove: string[] } | undefined;
}

export interface EnvironmentListing {
  environments: EnvironmentState[];
  nextToken?: string | undefined;
}

/** One page of the revision table, ascending; `nextToken` when more rows follow. */
export interface RevisionPage {
  revisions: RevisionRow[];
  nextToken?: string | undefined;
}

/** An environment with a deployment in progress, and the cluster (by name, not ARN) it deploys on. */
export interface DeployingEnvironment {
  environment: string;
  cluster: string;
}

export interface EventLog {
  /** The environment's projection (one read), or undefined if it does not exist. */
  load(environment: string): Promise<EnvironmentState | undefined>;
  /**
   * Appends atomically with the projection; throws ConcurrencyError when `expectedVersion` is stale,
   * StoreLimitError (writing nothing) when the append breaks one of DynamoDB's limits.
   */
  append(request: AppendRequest): Promise<void>;
  /**
   * Events in order, from a sequence number on (audit, rebuilding projections, tests), up to
   * `toSequence` included when given (one page of the dashboard's timeline: a Query bounded by the
   * sort key, not the whole log read and cut).
   */
  readEvents(environment: string, fromSequence?: number, toSequence?: number): Promise<StoredEvent[]>;
  /**
   * ONE page of the environment's events of the given types, newest first, with sequence numbers below
   * `before` (from the newest without): a Query read backwards, at most `limit` events of any type
   * (default: as many as DynamoDB's 1 MB page holds) read and the other types filtered out, so a page
   * may hold none and still have a `before` (the history of list-deployments).
   */
  readEventsBackward(environment: string, options: { types: readonly EnvironmentEventType[]; before?: number | undefined; limit?: number | undefined }): Promise<BackwardEventPage>;
  /** One revision row (its spec: what a deploy or rollback of an older revision moves to). */
  getRevision(environment: string, revision: number): Promise<RevisionRow | undefined>;
  /** Every revision row, ascending (reads every page: for tests and small environments). */
  listRevisions(environment: string): Promise<RevisionRow[]>;
  /**
   * Revision rows after the page `nextToken` ends (from the first without), ascending, at most `limit`
   * (describe-environment-status --all). A token this store did not give out is a ValidationError
   * naming `nextToken`.
   */
  listRevisionPage(environment: string, options: { limit: number; nextToken?: string | undefined }): Promise<RevisionPage>;
  /** Environments by name, a page at a time, without a table scan. */
  listEnvironments(options: { limit: number; nextToken?: string | undefined }): Promise<EnvironmentListing>;
  getIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * The environments with a deployment in progress (the planner's state is set), by name: all of them
   * (routing a tick), those deploying on `cluster` (a cluster name, not an ARN: a container-instance
   * event), or the one there whose tasks carry `startedBy` (`startedByOf(name)`: a task event).
   * One query of an index, whatever the number of environments.
   */
  deployingEnvironments(query?: { cluster?: undefined } | { cluster: string; startedBy?: string | undefined }): Promise<DeployingEnvironment[]>;
  /**
   * The Service environments at rest whose service runs (`servingService`), by name, as
   * `deployingEnvironments` (same index, its "serving" partition): their tasks' events and the tick
   * record the counts ECS has (a desired count Application Auto Scaling changed).
   */
  servingEnvironments(query?: { cluster?: undefined } | { cluster: string; startedBy?: string | undefined }): Promise<DeployingEnvironment[]>;
  /** The environments watching a CloudWatch alarm (the alarm index, kept by every append), by name. One query, whatever the number of environments. */
  environmentsWatching(alarmName: string): Promise<string[]>;
}

export interface Clock {
  now(): Date;
}

// ── The cluster (ECS in AWS, the simulated cluster locally and in tests) ─────────────────────────

export type ContainerInstanceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'REGISTERING' | 'DEREGISTERING' | 'REGISTRATION_FAILED' | 'DEREGISTRATION_FAILED';
export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'DEPROVISIONING' | 'STOPPED';
export type TaskHealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface ContainerInstance {
  arn: string;
  ec2InstanceId: string;
  status: ContainerInstanceStatus;
  agentConnected: boolean;
  agentVersion?: string | undefined;
  /** Custom and `ecs.*` attributes (e.g. `stack`, `ecs.instance-type`, `ecs.availability-zone`). */
  attributes: Record<string, string | undefined>;
  registeredAt: string;
  registered: { cpu: number; memory: number };
  remaining: { cpu: number; memory: number };
  runningTasksCount: number;
  pendingTasksCount: number;
}

export interface ClusterTask {
  arn: string;
  clusterArn: string;
  containerInstanceArn: string;
  taskDefinitionArn: string;
  /** Set by StartTask (≤ 36 chars): Blox uses one value per environment, so ListTasks finds its tasks. */
  startedBy?: string | undefined;
  group?: string | undefined;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: TaskHealthStatus;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  createdAt: string;
  startedAt?: string | undefined;
  /** When ECS began stopping it (a StopTask, or its service scaling in). */
  stoppingAt?: string | undefined;
  stoppedAt?: string | undefined;
  /** ECS's `version` of the task: incremented on every change (events carry it too), so the newer of two sightings wins. */
  version: number;
  /** Blox tags: `blox:environment`, `blox:revision`, `blox:action` (the idempotency key of the StartTask action). */
  tags: Record<string, string>;
  /** The host port of its first network binding (bridge networking): with the instance's EC2 id, its target in a target group. */
  hostPort?: number | undefined;
}

/** One page of a listing, and where the next one starts (absent: it was the last). */
export interface Page<T> {
  items: T[];
  nextToken?: string | undefined;
}

export interface StartTaskInput {
  cluster: string;
  taskDefinition: string;
  /** 1 to 10 container instances (ids or ARNs): one task on each, in one StartTask call. */
  containerInstances: string[];
  startedBy: string;
  group?: string | undefined;
  tags: Record<string, string>;
}

export interface StartTaskResult {
  tasks: ClusterTask[];
  /** ECS's `failures[]`, one per instance it could not place: e.g. `{ arn: <instance>, reason: 'RESOURCE:MEMORY' }`. */
  failures: Array<{ arn?: string | undefined; reason: string; detail?: string | undefined }>;
}

export interface Cluster {
  /** Instances of the cluster matching the query (ListContainerInstances with `filter`, then Describe). */
  listContainerInstances(cluster: string, filter?: string): Promise<ContainerInstance[]>;
  /** Tasks started with `startedBy` (running and recently stopped), described with their tags. */
  listTasks(cluster: string, startedBy: string): Promise<ClusterTask[]>;
  /**
   * One page (≤ 100) of the ARNs of the instances matching the query with the given status: ONE
   * ListContainerInstances call (`filter`, `status`; no Describe). Paged, so that a listing of
   * 10,000 instances is 100 calls each taken from the ECS budget in turn, not one burst.
   */
  listContainerInstanceArnPage(cluster: string, filter: string | undefined, status: 'ACTIVE' | 'DRAINING', nextToken?: string): Promise<Page<string>>;
  /** One page (≤ 100) of the tasks started with `startedBy` of a desired status: one ListTasks call, then one DescribeTasks (with tags) of that page. */
  listTaskPage(cluster: string, startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED', nextToken?: string): Promise<Page<ClusterTask>>;
  /**
   * One page (≤ 100) of the ARNs of the tasks started with `startedBy` of a desired status: ONE
   * ListTasks call, no Describe (a full look describes only the tasks its old picture cannot vouch
   * for, `toDescribe` in domain/rollout/observation.ts).
   */
  listTaskArnPage(cluster: string, startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED', nextToken?: string): Promise<Page<string>>;
  /** The tasks named (DescribeTasks with tags, ≤ 100 a call): ECS answers stopped tasks for at least an hour; unknown ones are left out. */
  lookUpTasks(cluster: string, taskArns: string[]): Promise<ClusterTask[]>;
  startTask(input: StartTaskInput): Promise<StartTaskResult>;
  stopTask(cluster: string, taskArn: string, reason: string): Promise<ClusterTask | undefined>;
}

// ── The engine's picture of the cluster (DynamoDB items of the log's table; in memory locally) ─────

/** The stored head of a picture: its generation (each save adds one), its parts and gzipped bytes. */
export interface ObservationHead {
  generation: number;
  /** The generation whose whole picture the parts hold; the deltas after it, up to `generation`, apply in order. */
  base: number;
  parts: number;
  bytes: number;
  deltas: number;
  deltaBytes: number;
}

export interface StoredObservation {
  /** Undefined when the stored parts do not make a whole picture (then a full look replaces it). */
  observation: Observation | undefined;
  head: ObservationHead;
  /** The stored head is the `known` one the caller gave: the parts were not read. */
  unchanged?: boolean;
}

export interface ObservationStore {
  /**
   * The stored picture. Given the head of a picture the caller still holds (`known`), and the
   * stored head is that one, only the head is read: `{ head, observation: undefined, unchanged: true }`.
   */
  load(environment: string, known?: ObservationHead): Promise<StoredObservation | undefined>;
  /**
   * Saves the picture, on condition that the stored head is still `previous`; ObservationConflictError
   * otherwise. Given `base` (the picture `previous` holds, as loaded), only what changed since may be
   * written (a delta); the picture read back is the same either way.
   */
  save(environment: string, observation: Observation, previous: ObservationHead | undefined, base?: Observation): Promise<ObservationHead>;
}

/** Someone else saved a picture of the environment since it was loaded. */
export class ObservationConflictError extends Error {
  constructor(readonly environment: string) {
    super(`the picture of ${environment}'s cluster was saved by someone else since it was loaded`);
    this.name = 'ObservationConflictError';
  }
}

// ── The action queue (SQS FIFO in AWS; an in-process FIFO-per-group queue locally) ───────────────

export interface ActionQueue {
  /**
   * Sends actions in order. Each goes to the FIFO group of its environment, deduplicated by its
   * idempotency key (SQS FIFO drops a duplicate key within 5 minutes).
   */
  enqueue(actions: PlannerAction[]): Promise<void>;
}

// ── Notifications (EventBridge custom events) ─────────────────────────────────────────────────────

export interface Notifier {
  /** Publishes `Deployment State Change` events (events/notifications.ts builds the entries). */
  publish(entries: PutEventsEntry[]): Promise<void>;
}

// ── Alarms (CloudWatch DescribeAlarms in AWS; the simulated CloudWatch locally) ────────────────────

export interface Alarms {
  /**
   * The named alarms' states and when they entered them (StateTransitionedTimestamp): the backstop for
   * an alarm event EventBridge never delivered, and the state of each watched alarm when a deployment
   * starts. Alarms CloudWatch does not know are left out.
   */
  describe(alarmNames: readonly string[]): Promise<AlarmReading[]>;
}

/** What the engine needs to know of a task definition (DescribeTaskDefinition in AWS; cached). */
export interface TaskDefinitions {
  /** Whether any container of the task definition has a health check (then "ready" means HEALTHY). */
  hasHealthCheck(taskDefinition: string): Promise<boolean>;
}

/**
 * What diff-revisions shows of a task definition (DescribeTaskDefinition; the same adapter as
 * `TaskDefinitions`, apart so that the engine's stand-ins need not describe).
 */
export interface TaskDefinitionDescriptions {
  /**
   * The task definition's containers (image, environment, CPU and memory, port mappings) and task-level
   * CPU and memory. ECS's errors propagate unchanged (`ClientException: Unable to describe task definition.`).
   */
  describe(taskDefinition: string): Promise<TaskDefinitionSummary>;
}

// ── Services (ECS services with the EXTERNAL deployment controller and their task sets) ─────────────

export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';
/** PRIMARY: serves production traffic; ACTIVE: does not; DRAINING: deleted, its tasks stopping and targets deregistering. */
export type TaskSetStatus = 'PRIMARY' | 'ACTIVE' | 'DRAINING';
/**
 * STEADY_STATE: runningCount = computedDesiredCount, nothing PENDING, no task on a DRAINING instance,
 * every task healthy (container health check; and load balancer, in AWS); STABILIZING otherwise.
 */
export type TaskSetStability = 'STEADY_STATE' | 'STABILIZING';

/** The target group a task set's tasks are registered in (with the EXTERNAL controller ECS takes at most one per task set). */
export interface TaskSetLoadBalancer {
  targetGroupArn: string;
  /** The container (as named in the task definition) and its port that receive the traffic. */
  containerName: string;
  containerPort: number;
}

/** A task set as ECS describes it (DescribeServices / DescribeTaskSets). */
export interface ServiceTaskSet {
  /** `ecs-svc/<19 digits>`: the `startedBy` of its tasks (their `group` is `service:<service name>`). */
  id: string;
  arn: string;
  /** Blox puts the environment's revision here. */
  externalId?: string | undefined;
  status: TaskSetStatus;
  taskDefinitionArn: string;
  /** Percent of the service's desired count, 0–100 (fractions allowed). */
  scale: number;
  /** ceil(desiredCount × scale / 100): the tasks ECS places and keeps running for the task set. */
  computedDesiredCount: number;
  pendingCount: number;
  runningCount: number;
  stabilityStatus: TaskSetStability;
  stabilityStatusAt?: string | undefined;
  loadBalancers: TaskSetLoadBalancer[];
  createdAt: string;
  updatedAt: string;
}

/** One of the service's events (ECS keeps the latest 100): placement failures, steady state, registration failures. */
export interface ServiceEvent {
  id: string;
  createdAt: string;
  message: string;
}

export interface ClusterService {
  arn: string;
  name: string;
  clusterArn: string;
  status: ServiceStatus;
  /** `EXTERNAL` for the services Blox creates; an adopted name may turn out to be `ECS` or `CODE_DEPLOY`. */
  deploymentController: string;
  /** Blox's scale-environment sets it; Application Auto Scaling may change it (observe it, do not fight it). */
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  /** Every task set of the service, DRAINING ones included, in creation order. */
  taskSets: ServiceTaskSet[];
  /** Newest first. */
  events: ServiceEvent[];
  createdAt: string;
}

export interface AddTaskSetInput {
  cluster: string;
  service: string;
  /** `family:revision` or a task definition ARN. */
  taskDefinition: string;
  /** The revision of the environment the task set runs (ECS's `externalId`). */
  externalId: string;
  /** Percent of the service's desired count, 0–100. */
  scale: number;
  loadBalancer?: TaskSetLoadBalancer | undefined;
  /** EC2 (the default) or FARGATE. */
  launchType?: 'EC2' | 'FARGATE' | undefined;
  /** awsvpc task definitions: the subnets (and security groups, public IP) their tasks attach to. */
  networkConfiguration?: { subnets: string[]; securityGroups?: string[] | undefined; assignPublicIp?: 'ENABLED' | 'DISABLED' | undefined } | undefined;
  /**
   * ECS's `clientToken` (up to 36 ASCII characters 33–126): a create retried with the same token
   * returns the task set the first one made instead of a second one (the executor's idempotency key).
   */
  clientToken?: string | undefined;
}

/**
 * An ECS service controlled by Blox (the EXTERNAL deployment controller): ECS keeps each task set at
 * its computed desired count (placing, and replacing tasks that exit or fail their container health
 * check); the planner only moves scale between task sets and says which one is primary.
 * `taskSet` arguments take a task set id or ARN. ECS's errors propagate unchanged (by `name`:
 * `ServiceNotFoundException`, `ServiceNotActiveException`, `TaskSetNotFoundException`,
 * `ClusterNotFoundException`, `InvalidParameterException`, `ThrottlingException`, …).
 */
export interface Services {
  /**
   * The ACTIVE service of that name, adopted as it is (its desired count kept: it may be Application
   * Auto Scaling's), or a new one with the EXTERNAL controller and `desiredCount`. A service of that
   * name with another deployment controller is refused (`ServiceControllerError`).
   */
  ensureService(input: { cluster: string; name: string; desiredCount: number }): Promise<ClusterService>;
  /** The service (DRAINING and INACTIVE ones too), or undefined when ECS does not know it. */
  describeService(cluster: string, name: string): Promise<ClusterService | undefined>;
  /** UpdateService desiredCount: every task set's computed desired count follows. */
  setDesiredCount(cluster: string, name: string, desiredCount: number): Promise<ClusterService>;
  /** CreateTaskSet (ACTIVE, not primary). */
  addTaskSet(input: AddTaskSetInput): Promise<ServiceTaskSet>;
  /** UpdateTaskSet scale (percent, 0–100). */
  scaleTaskSet(cluster: string, service: string, taskSet: string, scale: number): Promise<ServiceTaskSet>;
  /** UpdateServicePrimaryTaskSet: this one PRIMARY, the previous primary ACTIVE. */
  setPrimaryTaskSet(cluster: string, service: string, taskSet: string): Promise<ServiceTaskSet>;
  /** DeleteTaskSet: DRAINING until its tasks are stopped. Without `force`, refused while its scale is above 0. */
  removeTaskSet(cluster: string, service: string, taskSet: string, options?: { force?: boolean }): Promise<ServiceTaskSet>;
  /** DeleteService: DRAINING until its tasks are stopping, then INACTIVE. Without `force`, refused while its desired count is above 0. */
  removeService(cluster: string, name: string, options?: { force?: boolean }): Promise<ClusterService>;
}

// ── Target health (ELBv2 DescribeTargetHealth) ─────────────────────────────────────────────────────

/** One target of a target group and its health, as ELBv2 describes it. */
export interface TargetHealthDescription {
  /** The EC2 instance id (instance targets) or IP address (ip targets). */
  id: string;
  port?: number | undefined;
  /** initial | healthy | unhealthy | unused | draining | unavailable | unhealthy.draining */
  state: string;
  /** ELB's reason code and description, when not healthy (`Elb.InitialHealthChecking: Initial health checks in progress`). */
  reason?: string | undefined;
}

export interface TargetHealth {
  /** Every registered target of the group (DescribeTargetHealth without Targets: one call). */
  describeTargetHealth(targetGroupArn: string): Promise<TargetHealthDescription[]>;
}

// ── Listener rules (ELBv2 DescribeRules / ModifyRule) ─────────────────────────────────────────────

/** A target group of a forward action and its weight (ELBv2: 0–999, relative to the action's other weights). */
export interface ForwardWeight {
  targetGroupArn: string;
  weight: number;
}

/** A listener rule's forward action: its target groups and their weights, in the rule's order. */
export interface ForwardRule {
  ruleArn: string;
  targetGroups: ForwardWeight[];
}

/**
 * The weighted forward action of a listener rule (TrafficRouting.Alb's production and test rules):
 * what a Canary step or a BlueGreen flip reads back and sets. Errors of ELBv2 propagate unchanged
 * (by `name`: `RuleNotFoundException`, `TargetGroupNotFoundException`, `ValidationError`,
 * `TargetGroupAssociationLimitException`, `OperationNotPermittedException` for a default rule,
 * `ThrottlingException`, …); a rule whose action is not a forward is refused with `ListenerRuleError`.
 */
export interface ListenerRules {
  /** DescribeRules of that rule: its forward action's target groups and weights (one call). */
  describeForward(ruleArn: string): Promise<ForwardRule>;
  /**
   * Sets the rule's forward action to exactly these target groups and weights (the list replaces the
   * action's: a target group left out gets no traffic and is no longer in the rule), keeping the
   * rule's other settings (its conditions, the action's order and target group stickiness, other
   * actions). A DescribeRules, then a ModifyRule (which replaces the whole action list); answers the
   * rule as ModifyRule left it. Not atomic: a change made by someone else between the two calls is
   * overwritten — read it back (`describeForward`) to verify.
   */
  setForwardWeights(ruleArn: string, weights: readonly ForwardWeight[]): Promise<ForwardRule>;
}

/** A listener rule that cannot be read or set as a weighted forward (no forward action, or several). */
export class ListenerRuleError extends Error {
  readonly code = 'ListenerRule' as const;
  constructor(
    readonly ruleArn: string,
    message: string,
  ) {
    super(`listener rule ${ruleArn}: ${message}`);
    this.name = 'ListenerRuleError';
  }
}

// ── Weighted DNS records (Route 53 ChangeResourceRecordSets, GetChange, ListResourceRecordSets) ────

/** One record of a weighted group, as Route 53 lists it. */
export interface WeightedRecord {
  setIdentifier: string;
  /** 0–255. */
  weight: number;
  /** A, AAAA or CNAME. */
  type: string;
  /** Where its clients go: the alias target's DNS name (a load balancer's, no trailing dot) or the CNAME's value. */
  target: string;
}

/** PENDING until the change has reached every Route 53 DNS server, then INSYNC. */
export type DnsChangeStatus = 'PENDING' | 'INSYNC';

export interface WeightedRecords {
  /** The weighted records named `recordName` in the zone (every page of that name; records without a Weight left out), sorted by set identifier. */
  read(hostedZoneId: string, recordName: string): Promise<WeightedRecord[]>;
  /**
   * One UPSERT batch setting the weights of the set identifiers named (whole numbers 0–255): each
   * record is sent back as read — type, alias target or TTL and values — with only its Weight
   * changed. Throws (nothing sent) for a set identifier that is not a weighted record of that name,
   * or a weight out of range.
   */
  setWeights(hostedZoneId: string, recordName: string, weights: Readonly<Record<string, number>>): Promise<{ changeId: string; status: DnsChangeStatus }>;
  // (When every record already has its weight, nothing is sent: `changeId` is '' and `status` INSYNC.)
  /** GetChange: whether resolvers see the change yet (a step's clock starts at INSYNC). */
  changeStatus(changeId: string): Promise<DnsChangeStatus>;
}

/** The weighted records cannot be set as asked (no weighted record with that set identifier): asking again will not cure it. */
export class WeightedRecordError extends Error {
  readonly code = 'WeightedRecord' as const;
  constructor(message: string) {
    super(message);
    this.name = 'WeightedRecordError';
  }
}

// ── Lifecycle hooks (Lambda Invoke, RequestResponse) ───────────────────────────────────────────────

export type HookStage = 'PreTraffic' | 'PostTestTraffic' | 'PostTraffic' | 'PreRollback' | 'PostRollback';

/** What a hook function is invoked with (DESIGN.md, "Safety"). */
export interface HookPayload {
  EnvironmentName: string;
  Revision: number;
  DeploymentId: string;
  Stage: HookStage;
}

/** IN_PROGRESS without a delay: call again after this many seconds. */
export const DEFAULT_HOOK_CALL_BACK_SECONDS = 30;

/**
 * A hook's answer. `FAILED` also stands for an answer that is no answer — the function threw
 * (`FunctionError`), answered something that is not `{ hookStatus }`, or does not exist — with
 * `reason` saying which (empty when the function itself answered FAILED); the planner treats every
 * FAILED alike (roll back) and shows the reason after the hook's name and stage.
 */
export type HookResult =
  | { hookStatus: 'SUCCEEDED' }
  | { hookStatus: 'IN_PROGRESS'; callBackDelaySeconds: number }
  | { hookStatus: 'FAILED'; reason: string };

export interface Hooks {
  /** Invokes the function synchronously. Throttling and other transient errors throw (the reconcile is retried). */
  invoke(functionArn: string, payload: HookPayload): Promise<HookResult>;
}

/** `ensureService` found a service of that name that another deployment controller owns: Blox does not take it over. */
export class ServiceControllerError extends Error {
  readonly code = 'ServiceController' as const;
  constructor(
    readonly service: string,
    readonly deploymentController: string,
  ) {
    super(`service "${service}" exists with the ${deploymentController} deployment controller; Blox only manages services with the EXTERNAL controller (delete it, or use another name)`);
    this.name = 'ServiceControllerError';
  }
}
