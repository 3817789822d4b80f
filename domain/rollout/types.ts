/**
 * The rollout's vocabulary: what the observer saw, what the engine remembers of a deployment in
 * progress, and what a plan decides (events that explain it, actions the executor carries out).
 *
 * Sizes are bounded whatever the fleet: the bookkeeping names instances and tasks by their ECS ids
 * (the last segment of the ARN, 32 hex digits), groups launches and stops in batches of at most
 * `ACTION_BATCH` (one executor message, one StartTask call), and never holds more than
 * `MAX_LAUNCHES_IN_FLIGHT` launches and `MAX_STOPS_IN_FLIGHT` stops at once. The projection that
 * stores this state is one DynamoDB item (≤ 400 KB); see `core.ts` for the arithmetic.
 */
import type { EffectiveDeploymentConfiguration, HookStage } from '../spec';
import type { BreakerRecord } from './circuit-breaker';
import type { CanaryTaskState } from './service-canary-task';
import type { PauseRecord, PromoteRecord } from './controls';

export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'DEPROVISIONING' | 'STOPPED';

export interface ObservedInstance {
  arn: string;
  status: 'ACTIVE' | 'DRAINING';
}

export interface ObservedTask {
  arn: string;
  instanceArn: string;
  revision: number;
  /** The StartTask action that launched it (task tag), when Blox launched it. */
  actionKey?: string | undefined;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  health: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  /** Epoch ms, for STOPPED tasks. */
  stoppedAt?: number | undefined;
}

/** What the observer saw: the group's instances (ACTIVE and DRAINING) and every task of the environment. */
export interface Observed {
  instances: ObservedInstance[];
  tasks: ObservedTask[];
  /** Whether the target revision's task definition has container health checks. */
  targetHealthChecked: boolean;
  /** Watched alarms' states read since the last plan (alarm events, DescribeAlarms), in any order, duplicates included. */
  alarms?: AlarmReading[] | undefined;
  /** A Service environment: its ECS service and task sets (then `instances` and `tasks` are empty). */
  service?: ObservedService | undefined;
  /** A Service with TrafficRouting: the weights as read back. */
  traffic?: ObservedTraffic | undefined;
}

export type AlarmValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A CloudWatch alarm's state and when it entered it (epoch ms), from its event or DescribeAlarms. */
export interface AlarmReading {
  name: string;
  value: AlarmValue;
  at: number;
  reason: string;
}

/** A watched alarm's state on record (the newest reading). */
export interface KnownAlarm {
  value: AlarmValue;
  /** When it entered this state (epoch ms). */
  at: number;
  reason: string;
}

/** What acts on a deployment by itself (CanaryTask: a Service's canary task failing its checks; Hook: a lifecycle hook answering FAILED or timing out). */
export type SafetyTrigger = 'Alarm' | 'CircuitBreaker' | 'CanaryTask' | 'Hook';

/**
 * Where a deployment is, beyond its counts. Canary → CanaryBaking → Rolling → Baking → completed (a
 * deployment without Canary starts Rolling; without BakeSeconds it completes from Rolling); Halted by a
 * trigger with Rollback: false (nothing moves until a rollback or a new deployment).
 */
export type DeploymentPhase =
  | { phase: 'Canary' }
  | { phase: 'CanaryBaking'; instances: number; since: number }
  | { phase: 'Rolling' }
  | { phase: 'Baking'; since: number }
  | { phase: 'Halted'; trigger: SafetyTrigger; reason: string; at: number };

// ── Service environments (ECS task sets) ─────────────────────────────────────────────────────────

/** What a Service environment runs as (from its spec): one ECS service with the EXTERNAL controller. */
export interface ServiceTarget {
  name: string;
  /** The spec's DesiredCount: the service is created with it; once it exists, its own desired count rules. */
  desiredCount: number;
  launchType?: 'EC2' | 'FARGATE' | undefined;
  networkConfiguration?: { subnets: string[]; securityGroups?: string[] | undefined; assignPublicIp?: 'ENABLED' | 'DISABLED' | undefined } | undefined;
  /** The one production target group every task set registers in (with `traffic`: blue, until the strategy chooses). */
  loadBalancer?: { containerName: string; containerPort: number; targetGroupArn: string } | undefined;
  /** TrafficRouting (Canary, BlueGreen): the task sets register in blue or green, and the traffic moves between them. */
  traffic?: TrafficRoute | undefined;
}

/** Where a target group's traffic comes from (the spec's TrafficRouting). */
export type TrafficRoute =
  /** The production listener rule's forward weights (and, for BlueGreen, the test rule's). */
  | { kind: 'Alb'; listenerRuleArn: string; testListenerRuleArn?: string | undefined; blueTargetGroupArn: string; greenTargetGroupArn: string }
  /** Two weighted records of `recordName`, one per load balancer (weights 0–255; Blox sets percentages, 0–100). */
  | {
      kind: 'Route53';
      hostedZoneId: string;
      recordName: string;
      blue: { setIdentifier: string; targetGroupArn: string };
      green: { setIdentifier: string; targetGroupArn: string };
    };

/** A target group's share of the production traffic, in percent (the two of a route sum to 100). */
export interface GroupWeight {
  targetGroupArn: string;
  weight: number;
}

/** The traffic as read back: the production weights (ALB DescribeRules, Route 53 ListResourceRecordSets), and whether they are in effect. */
export interface ObservedTraffic {
  weights: GroupWeight[];
  /** Route 53: the latest change Blox submitted is INSYNC (or none is pending). ALB: always (ModifyRule is in effect when it answers). */
  inSync: boolean;
  /** BlueGreen: the target group the test listener rule forwards to (all of its traffic), if any. */
  testTargetGroupArn?: string | undefined;
  /** The rule or records could not be read as a weighted route (not found, no forward action, access denied): why. */
  error?: string | undefined;
}

/** ELBv2's target health states, and `absent` when the target is not listed. */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining' | 'absent';

/** A task of a task set, as the planner needs it. */
export interface ObservedServiceTask {
  arn: string;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  /**
   * Ready: its target is `healthy` in the target group; without a load balancer, RUNNING and (with a
   * container health check) HEALTHY.
   */
  ready: boolean;
  /** Its target's state in the target group (with a load balancer). */
  target?: { state: TargetState; reason?: string | undefined } | undefined;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  stoppedAt?: number | undefined;
}

export interface ObservedTaskSet {
  id: string;
  /** The target group its tasks register in (its load balancer), if any. */
  targetGroupArn?: string | undefined;
  /** The environment's revision it runs (its externalId), undefined for a task set Blox did not make. */
  revision?: number | undefined;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  /** Percent of the service's desired count. */
  scale: number;
  /** ceil(desiredCount × scale / 100): the tasks ECS keeps for it. */
  computedDesiredCount: number;
  tasks: ObservedServiceTask[];
}

export interface ObservedService {
  /** MISSING: ECS does not know it (yet). */
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'MISSING';
  deploymentController?: string | undefined;
  desiredCount: number;
  /** In creation order. */
  taskSets: ObservedTaskSet[];
  /** The service's latest event messages, newest first (placement failures say why nothing starts). */
  events: string[];
}

/** One step of a Service action, carried out in order by the executor. */
export type ServiceOperation =
  /** Create the service (EXTERNAL controller, this desired count) unless one of its name exists: adopt it. */
  | { op: 'EnsureService'; desiredCount: number }
  /** CreateTaskSet of the action's revision (externalId), at `scale` percent; `clientToken` makes a retry return the same one. */
  | { op: 'CreateTaskSet'; taskDefinition: string; scale: number; clientToken: string; targetGroupArn?: string | undefined }
  /** Stop these tasks (the ones the plan chose: not ready first), then UpdateTaskSet to `scale` percent. */
  | { op: 'ScaleTaskSet'; taskSet: string; scale: number; stopTasks: string[] }
  | { op: 'SetPrimaryTaskSet'; taskSet: string }
  | { op: 'DeleteTaskSet'; taskSet: string }
  /** UpdateService desiredCount (scale-environment): every task set's computed count follows. */
  | { op: 'SetDesiredCount'; desiredCount: number }
  /** DeleteService (delete-environment, after the scale-down): DRAINING, then INACTIVE once its tasks stop. */
  | { op: 'DeleteService' }
  /**
   * The traffic (the service's TrafficRoute): the production rule's (or records') weights, or the test
   * rule's forward (BlueGreen; one group at 100). Route 53 answers a change id (recorded: TrafficChangeSubmitted).
   */
  | { op: 'SetWeights'; rule: 'production' | 'test'; weights: GroupWeight[] };

/** Launches of the target revision sent in one executor message (one StartTask call). */
export interface LaunchBatch {
  key: string;
  at: number;
  /** Container instance ids whose task has not shown up yet. */
  instances: string[];
}

/** Stops sent in one executor message. */
export interface StopBatch {
  key: string;
  at: number;
  /** Task ids that still want to run. */
  tasks: string[];
}

export interface LaunchFailure {
  count: number;
  lastAt: number;
  reason: string;
}

export type DeploymentHealth = { status: 'Stuck' | 'Failing'; since: number; reason: string };

/**
 * A step of a Service deployment ECS refused with a client error (the executor's `ServiceUpdateRefused`):
 * the latest one only. `key` is the refused action's key (its step: `serviceStepKey`), `count` how many
 * times in a row that step was refused (the retry's back-off). Cleared by `DeploymentResumed`.
 */
export interface ServiceRefusal {
  key: string;
  operation: ServiceOperation['op'];
  /** `<ErrorName>: <message>`, cut to MAX_REASON_LENGTH. */
  reason: string;
  at: number;
  count: number;
}

/** The engine's view of the deployment in progress (kept in the environment's projection). */
export interface PlannerState {
  environment: string;
  deploymentId: string;
  /** Bumped by every deploy, rollback, freeze and thaw: actions of an older epoch are dropped. */
  epoch: number;
  revision: number;
  taskDefinition: string;
  cluster: string;
  /** The instance group (ECS cluster query language); none = every instance of the cluster. */
  query?: string | undefined;
  /** The revisions being drained, with the status they end in. */
  draining: Array<{ revision: number; status: 'Undeploying' | 'Reverting' }>;
  configuration: EffectiveDeploymentConfiguration;
  /** First deployment of the environment: MinHealthyPercent does not apply. */
  initial: boolean;
  frozen: boolean;
  startedAt: number;
  lastProgressAt: number;
  /** Ready target tasks and live old tasks at the last progress: progress is a change of these. */
  progressMark: { ready: number; old: number };
  health?: DeploymentHealth | undefined;
  /** Since when more instances than Coverage.MaxInstancesWithout lack a ready target task, and whether that has turned Failing. */
  coverage?: { since: number; failing: false } | { since: number; failing: true; reason: string } | undefined;
  launches: LaunchBatch[];
  stops: StopBatch[];
  /** Failed launches by container instance id (at most MAX_FAILURES_KEPT, the most recent). */
  failures: Record<string, LaunchFailure>;
  counts: RevisionCount[];
  /** A deploy or a rollback (none: a deploy, recorded before rollbacks were told apart). Triggers act on deploys only. */
  kind?: 'deploy' | 'rollback' | 'delete' | undefined;
  /** Where an automatic rollback goes: the revision Active when the deployment started (none: a trigger halts). */
  rollbackTo?: number | undefined;
  /** None: Rolling. */
  phase?: DeploymentPhase | undefined;
  /** The watched alarms' states on record. */
  alarms?: Record<string, KnownAlarm> | undefined;
  /** The circuit breaker's count (when CircuitBreaker is set). */
  breaker?: BreakerRecord | undefined;
  /** A Service environment: its ECS service (a Daemon has none). */
  service?: ServiceTarget | undefined;
  /**
   * delete-environment: this "deployment" scales the environment to zero and removes its ECS service
   * (deletion.ts). Without `force` it stops no task: tasks found running then hold it Stuck until --force.
   */
  deleting?: { force: boolean } | undefined;
  /** Service with CanaryTask: the canary task's checks so far (none: not started). */
  canaryTask?: CanaryTaskState | undefined;
  /** Service: the step ECS last refused (none: no refusal since the last progress). */
  serviceRefusal?: ServiceRefusal | undefined;
  /** pause-deployment: nothing moves and the clock stops until resume-deployment (controls.ts). */
  paused?: PauseRecord | undefined;
  /**
   * promote-deployment: the bake (or, with Steps, the Pause) in progress then ends; `full` skips every
   * remaining step (the Canary strategy reads it: controls.ts `promotedSince`).
   */
  promoted?: PromoteRecord | undefined;
  /** Service with TrafficRouting: the step of the traffic schedule in progress, and the weights as last read. */
  traffic?: TrafficProgress | undefined;
  /** Lifecycle hooks of this deployment so far, by their index in DeploymentConfiguration.Hooks (hooks.ts). */
  hooks?: Record<string, HookRecord> | undefined;
}

/** Where a traffic rollout stands (service-canary.ts's schedule). */
export interface TrafficProgress {
  /** The step in progress: its index into the schedule (`canarySchedule`), and when it started (epoch ms). None before the first plan. */
  step?: { index: number; since: number } | undefined;
  /**
   * Route 53: the latest change Blox planned or submitted, and whether it was seen INSYNC. `id` is ''
   * while planned and not yet submitted (or when the records already had those weights: nothing to change).
   */
  change?: { id: string; at: number; weights: GroupWeight[]; inSync: boolean } | undefined;
  /** The production weights as last read back. */
  weights?: GroupWeight[] | undefined;
}

export type HookStatus = 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';

/** A lifecycle hook of the deployment: its invocations so far and its latest answer. */
export interface HookRecord {
  stage: HookStage;
  functionArn: string;
  /** The first invocation (TimeoutSeconds counts from it), and the latest one. */
  startedAt: number;
  invokedAt: number;
  attempt: number;
  answer?: { status: HookStatus; at: number; callBackDelaySeconds?: number | undefined; reason?: string | undefined } | undefined;
}

export interface RevisionCount {
  revision: number;
  desired: number;
  current: number;
}

interface ActionCommon {
  key: string;
  environment: string;
  deploymentId: string;
  epoch: number;
  revision: number;
  cluster: string;
  reason: string;
}

export type PlannerAction =
  /** StartTask of the target revision on up to ACTION_BATCH container instances (one ECS call). */
  | (ActionCommon & { type: 'StartTasks'; taskDefinition: string; instanceArns: string[] })
  /** StopTask of up to ACTION_BATCH tasks (one ECS call each; `revision` is the deployment's target). */
  | (ActionCommon & { type: 'StopTasks'; taskArns: string[] })
  /** A Service environment's ECS calls of one plan, in order (`revision` is the deployment's target). */
  | (ActionCommon & { type: 'UpdateService'; service: ServiceTarget; operations: ServiceOperation[] })
  /** Invoke a lifecycle hook (Lambda, RequestResponse); the executor records its answer (HookAnswered). */
  | (ActionCommon & { type: 'InvokeHook'; hook: number; stage: HookStage; functionArn: string; attempt: number });

export type PlannerEvent =
  /** One event per reason and plan: every batch of launches it sends. */
  | { type: 'LaunchesPlanned'; revision: number; reason: string; batches: Array<{ key: string; instances: string[] }>; at: number }
  | { type: 'StopsPlanned'; reason: string; batches: Array<{ key: string; tasks: string[] }>; at: number }
  /** Launches whose task showed up (container instance ids). */
  | { type: 'LaunchesSettled'; instances: string[]; at: number }
  /** Launches given up as lost after LAUNCH_TIMEOUT_MS: the instances may be planned again. */
  | { type: 'LaunchesLost'; instances: string[]; at: number }
  /** Stops whose task no longer wants to run (task ids), or sent again after STOP_TIMEOUT_MS (Daemon; a deletion plans them anew). */
  | { type: 'StopsSettled'; tasks: string[]; at: number }
  | { type: 'RevisionCountsChanged'; counts: RevisionCount[]; at: number }
  | { type: 'DeploymentProgressed'; ready: number; old: number; at: number }
  | { type: 'DeploymentStuck'; reason: string; at: number }
  | { type: 'DeploymentFailing'; reason: string; at: number }
  | { type: 'DeploymentResumed'; at: number }
  /** Coverage: more instances than MaxInstancesWithout lack a ready task of the revision (the clock starts)… */
  | { type: 'CoverageDropped'; without: number; at: number }
  /** …for ForSeconds: the revision is Failing (and notified) while the engine keeps trying… */
  | { type: 'CoverageFailing'; without: number; reason: string; at: number }
  /** …until no more than MaxInstancesWithout lack it. */
  | { type: 'CoverageRestored'; at: number }
  /** A watched alarm's newer state (`changedAt`: when it entered it). */
  | { type: 'AlarmStateObserved'; alarm: string; value: AlarmValue; changedAt: number; reason: string; at: number }
  /** Target tasks newly counted by the circuit breaker, and its record after them. */
  | { type: 'CircuitBreakerCounted'; tasks: string[]; record: BreakerRecord; at: number }
  /** The canary instances have a ready task of the revision: their bake starts. */
  | { type: 'CanaryBakeStarted'; instances: number; at: number }
  /** The canary's bake is over: the rest follow. */
  | { type: 'CanaryPassed'; at: number }
  /** The revision has everything: the bake starts (alarms still watched). */
  | { type: 'BakeStarted'; at: number }
  /** A trigger halted the deployment (Rollback: false, or no earlier revision): nothing moves. */
  | { type: 'DeploymentHalted'; trigger: SafetyTrigger; reason: string; at: number }
  /** A trigger rolls the deployment back to `to` (the engine appends the RollbackStarted with it). */
  | { type: 'RollbackTriggered'; trigger: SafetyTrigger; reason: string; to: number; at: number }
  | { type: 'DeploymentCompleted'; revision: number; retired: Array<{ revision: number; status: 'Inactive' | 'Reverted' }>; at: number }
  /** Service CanaryTask: the canary task's state after a read of its target (or its stop). */
  | { type: 'CanaryTaskChecked'; canary: CanaryTaskState; at: number }
  /** …it failed (`reason` says why): the same plan trips the deployment (`RollbackTriggered` or `DeploymentHalted`, trigger CanaryTask). */
  | { type: 'CanaryTaskFailed'; reason: string; at: number }
  /** delete-environment: no task of the environment is left (Service: its ECS service is INACTIVE). */
  | { type: 'DeletionCompleted'; at: number }
  /** Traffic: step `step` (0-based) of `steps` of the schedule starts (`description`: `SetWeight 10`, `Pause 300 s`, `Pause until promoted`). */
  | { type: 'TrafficStepStarted'; step: number; steps: number; description: string; at: number }
  /** Traffic: the production weights read back differ from the last ones on record. */
  | { type: 'TrafficWeightsObserved'; weights: GroupWeight[]; at: number }
  /**
   * Route 53: the plan sends these weights (before the executor's change id is known: until it is
   * recorded, and then INSYNC, the weights read back are not in effect — no race with the executor).
   */
  | { type: 'TrafficChangePlanned'; weights: GroupWeight[]; at: number }
  /** Route 53: the change is INSYNC (GetChange): the step's clock starts. */
  | { type: 'TrafficInSync'; changeId: string; at: number }
  /** A lifecycle hook is invoked (attempt 1, or again after IN_PROGRESS's call-back delay); the action goes with it. */
  | { type: 'HookInvoked'; hook: number; stage: HookStage; functionArn: string; attempt: number; at: number };

export interface Plan {
  events: PlannerEvent[];
  actions: PlannerAction[];
  /**
   * When to look again even if no event comes (epoch ms): ECS sends no event when a task turns
   * HEALTHY, a back-off ends or a Stuck deadline passes. The engine schedules a reconcile then.
   */
  wakeAt?: number | undefined;
}
