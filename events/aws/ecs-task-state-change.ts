/**
 * `ECS Task State Change` (source `aws.ecs`): sent by ECS for every task status change and every
 * container status change inside a task. The planner's main input.
 *
 * What the real events carry (AWS documentation and recorded events, see `events/samples/README.md`):
 *
 * - `detail` resembles the `Task` object of `DescribeTasks`, but **not all of it**: timestamps are ISO
 *   strings (numbers in the API), and fields the API returns are missing from events.
 * - **No `tags`.** Task tags are not in task state change events (they need `DescribeTasks` with
 *   `include: ['TAGS']`; containers-roadmap #2329 asks for them). `tags` is typed here as optional only
 *   so a future AWS change, or the local simulator, is accepted; the engine must not rely on it.
 * - **No `healthStatus`, as documented.** The ECS guide says the health status is not available in
 *   task state change events (use `DescribeTasks`), and a health change alone does not emit an event
 *   (containers-roadmap #1515, #1019). The field is typed (task and container) because the
 *   `DescribeTasks` shape and the local simulator have it; when absent, health is unknown — not bad.
 * - What the engine set on `StartTask`/`RunTask` and gets back in every event of the task: `startedBy`
 *   (at most 36 of `[A-Za-z0-9_/-]`, see `STARTED_BY_PATTERN`) and `group` (defaults to
 *   `family:<task definition family>`). These are the only places to carry environment/revision
 *   identity; `taskDefinitionArn` is not enough (two revisions may share a task definition).
 * - `containerInstanceArn` is present for the EC2 launch type only (absent on Fargate).
 * - `detail.version` counts the task's changes. Events can be delivered more than once and out of
 *   order: equal versions are duplicates, a lower version than already seen is stale.
 * - `lastStatus` moves PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING →
 *   DEPROVISIONING → STOPPED (EC2 tasks skip the ENI states); `desiredStatus` turns `STOPPED` first.
 * - A task that cannot be *placed* (no instance with room: `RESOURCE:MEMORY`, …) never exists, so it
 *   emits no event: the failure is in the `failures` of the `StartTask`/`RunTask` response. A task that
 *   was placed but could not start (image pull, ENI, secrets…) stops with `stopCode: TaskFailedToStart`.
 */
import * as z from 'zod/mini';
import { awsTimestamp, eventBridgeEvent } from './envelope';
import { HEALTH_STATUSES, TASK_STATUSES } from './ecs-task-statuses';

export { HEALTH_STATUSES, TASK_STATUSES } from './ecs-task-statuses';
export type { HealthStatus, TaskStatus } from './ecs-task-statuses';

export const ECS_SOURCE = 'aws.ecs';
export const ECS_TASK_STATE_CHANGE = 'ECS Task State Change';

/**
 * The stop codes ECS documents today. `stopCode` is typed as a string, not this enum: a code AWS adds
 * later must not make a STOPPED event unreadable (the planner would never learn the task is gone).
 */
export const KNOWN_STOP_CODES = [
  'TaskFailedToStart',
  'EssentialContainerExited',
  'UserInitiated',
  'ServiceSchedulerInitiated',
  'SpotInterruption',
  'TerminationNotice',
] as const;
export type KnownStopCode = (typeof KNOWN_STOP_CODES)[number];

/** `startedBy` as `StartTask` accepts it: up to 36 letters, digits, `-`, `/` and `_`. */
export const STARTED_BY_MAX_LENGTH = 36;
export const STARTED_BY_PATTERN = /^[A-Za-z0-9_/-]{1,36}$/;

export const ecsContainerSchema = z.looseObject({
  containerArn: z.string(),
  name: z.string(),
  /** Container statuses are looser than task ones (PENDING, RUNNING, STOPPED, …): kept a string. */
  lastStatus: z.string(),
  taskArn: z.optional(z.string()),
  /** Present once the container exited; absent while it runs and when it never started. */
  exitCode: z.optional(z.number().check(z.int())),
  /** Why the container stopped or failed to start, e.g. "CannotPullContainerError: …". */
  reason: z.optional(z.string()),
  healthStatus: z.optional(z.enum(HEALTH_STATUSES)),
  image: z.optional(z.string()),
  imageDigest: z.optional(z.string()),
  runtimeId: z.optional(z.string()),
});

export const ecsTaskDetailSchema = z.looseObject({
  clusterArn: z.string(),
  taskArn: z.string(),
  taskDefinitionArn: z.string(),
  /** EC2 launch type only. */
  containerInstanceArn: z.optional(z.string()),
  /** Set by the caller of StartTask/RunTask, or `family:<family>` / `service:<name>` by default. */
  group: z.optional(z.string()),
  /** Set by the caller of StartTask/RunTask (≤ 36 chars), or `ecs-svc/<id>` for service tasks. */
  startedBy: z.optional(z.string()),
  launchType: z.optional(z.string()),
  lastStatus: z.enum(TASK_STATUSES),
  desiredStatus: z.enum(TASK_STATUSES),
  /** Not documented in events (see the file comment): absent means unknown. */
  healthStatus: z.optional(z.enum(HEALTH_STATUSES)),
  stopCode: z.optional(z.string()),
  stoppedReason: z.optional(z.string()),
  createdAt: z.optional(awsTimestamp),
  pullStartedAt: z.optional(awsTimestamp),
  pullStoppedAt: z.optional(awsTimestamp),
  startedAt: z.optional(awsTimestamp),
  stoppingAt: z.optional(awsTimestamp),
  executionStoppedAt: z.optional(awsTimestamp),
  stoppedAt: z.optional(awsTimestamp),
  updatedAt: z.optional(awsTimestamp),
  containers: z.array(ecsContainerSchema),
  /** Not sent by AWS today (see the file comment); accepted if it ever is. */
  tags: z.optional(z.array(z.looseObject({ key: z.string(), value: z.optional(z.string()) }))),
  /** The task's change counter: the same version twice is a duplicate delivery. */
  version: z.number().check(z.int()),
  availabilityZone: z.optional(z.string()),
  /** Task-level CPU units and MiB, as strings ("256", "512"), when the task definition sets them. */
  cpu: z.optional(z.string()),
  memory: z.optional(z.string()),
});

export const ecsTaskStateChangeSchema = eventBridgeEvent(ECS_SOURCE, ECS_TASK_STATE_CHANGE, ecsTaskDetailSchema);

export type EcsContainer = z.infer<typeof ecsContainerSchema>;
export type EcsTaskDetail = z.infer<typeof ecsTaskDetailSchema>;
export type EcsTaskStateChange = z.infer<typeof ecsTaskStateChangeSchema>;
