/**
 * The simulated cluster's state records and its snapshot format (`SimulatedCluster#toJSON` /
 * `SimulatedCluster.fromJSON`). The records are plain JSON: instants are epoch ms, pending timers
 * are kept on the task they belong to (what is due, when, and in which order), so a restored world
 * re-creates them and carries on.
 */
import * as z from 'zod';
import { ECS_RATE_LIMITS } from '../../functions/ecs-budget-port';
import { ecsServicesStateSchema } from './ecs-services';
import type { SimulatedEcsEvent } from './events';

const count = z.number().int().min(0);
const instant = z.number();

/** How the tasks of one task definition behave. */
export const taskBehaviourSchema = z.object({
  /** CPU units reserved on the instance. */
  cpu: count,
  /** MiB reserved on the instance. */
  memory: count,
  /** PENDING → RUNNING (or → STOPPED when `failStart`) after this long. */
  startSeconds: z.number().min(0),
  /** STOPPING → STOPPED after this long, once StopTask is called. */
  stopSeconds: z.number().min(0),
  /** `healthy`: HEALTHY `healthyAfterSeconds` after RUNNING; `unhealthy`: UNHEALTHY then (and it keeps running); `none`: no health check, UNKNOWN. */
  health: z.enum(['healthy', 'unhealthy', 'none']),
  healthyAfterSeconds: z.number().min(0),
  /** The task never starts: PENDING, then STOPPED (`TaskFailedToStart`) with this stopped reason. */
  failStart: z.string().min(1).optional(),
  /** RUNNING, then STOPPED (`EssentialContainerExited`, exit code `crashExitCode`) this long after. */
  crashAfterSeconds: z.number().min(0).optional(),
  crashExitCode: z.number().int(),
  /** The name of the task's (single, essential) container. */
  containerName: z.string().min(1),
  /** What DescribeTaskDefinition answers of the container (diff-revisions): its image (default `sim.local/<family>:<revision>`), */
  image: z.string().min(1).optional(),
  /** its environment variables, */
  environment: z.record(z.string(), z.string()).optional(),
  /** and its port mappings. */
  portMappings: z.array(z.object({ containerPort: z.number().int().min(1).max(65535), hostPort: z.number().int().min(0).max(65535).optional(), protocol: z.enum(['tcp', 'udp']).optional() })).optional(),
});
export type TaskBehaviour = z.infer<typeof taskBehaviourSchema>;

export const TASK_TIMER_KINDS = ['running', 'failStart', 'health', 'crash', 'stopped'] as const;
export type TaskTimerKind = (typeof TASK_TIMER_KINDS)[number];

const timerSchema = z.object({ seq: count, at: instant, kind: z.enum(TASK_TIMER_KINDS) });
export type TaskTimer = z.infer<typeof timerSchema>;

export const instanceStateSchema = z.object({
  id: z.string(),
  cluster: z.string(),
  arn: z.string(),
  ec2InstanceId: z.string(),
  status: z.enum(['ACTIVE', 'DRAINING', 'INACTIVE']),
  agentConnected: z.boolean(),
  agentVersion: z.string(),
  /** `null`: an attribute with a name but no value (ECS allows those). */
  attributes: z.record(z.string(), z.string().nullable()),
  registeredAt: instant,
  registered: z.object({ cpu: count, memory: count }),
  remaining: z.object({ cpu: z.number().int(), memory: z.number().int() }),
  version: count,
  updatedAt: instant,
  /** Registration order (listing order). */
  seq: count,
});
export type InstanceState = z.infer<typeof instanceStateSchema>;

const taskStatus = z.enum(['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
const healthStatus = z.enum(['HEALTHY', 'UNHEALTHY', 'UNKNOWN']);

export const taskStateSchema = z.object({
  id: z.string(),
  arn: z.string(),
  cluster: z.string(),
  instanceId: z.string(),
  containerInstanceArn: z.string(),
  /** `family:revision`. */
  taskDefinition: z.string(),
  taskDefinitionArn: z.string(),
  startedBy: z.string().optional(),
  group: z.string(),
  tags: z.record(z.string(), z.string()),
  lastStatus: taskStatus,
  desiredStatus: z.enum(['RUNNING', 'STOPPED']),
  healthStatus,
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  createdAt: instant,
  startedAt: instant.optional(),
  stoppingAt: instant.optional(),
  executionStoppedAt: instant.optional(),
  stoppedAt: instant.optional(),
  updatedAt: instant,
  version: count,
  availabilityZone: z.string(),
  container: z.object({
    arn: z.string(),
    name: z.string(),
    lastStatus: taskStatus,
    exitCode: z.number().int().optional(),
    reason: z.string().optional(),
    healthStatus,
  }),
  /** The task definition's behaviour when the task was started (later changes do not affect it). */
  behaviour: taskBehaviourSchema,
  timers: z.array(timerSchema),
  /** Creation order (listing order). */
  seq: count,
});
export type TaskState = z.infer<typeof taskStateSchema>;

const eventSchema = z.custom<SimulatedEcsEvent>(
  (value) => typeof value === 'object' && value !== null && 'detail-type' in value && 'detail' in value,
  { message: 'expected an ECS event' },
);

export const SNAPSHOT_FORMAT = 'blox-simulated-ecs' as const;

const rateLimitSchema = z.object({ burst: z.number().int().min(1), sustainedPerSecond: z.number().positive() });
const rateBucketStateSchema = z.object({ tokens: z.number(), at: instant });
/** A bucket that snapshots taken before the service buckets existed do not have: ECS's default then. */
const laterBucket = (bucket: 'service-read' | 'service-modify') => rateLimitSchema.default({ ...ECS_RATE_LIMITS[bucket] });

/** ECS's request rate limits as the world applies them (`false`: off); see `ecs-rate-limits.ts`. */
export const rateLimitsSettingSchema = z.union([
  z.literal(false),
  z.object({
    buckets: z.object({
      'cluster-resource-read': rateLimitSchema,
      'cluster-resource-modify': rateLimitSchema,
      'service-read': laterBucket('service-read'),
      'service-modify': laterBucket('service-modify'),
    }),
    callSpacingMs: z.number().min(0),
  }),
]);

export const worldSnapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  formatVersion: z.literal(1),
  /** The world's time when the snapshot was taken. */
  now: instant,
  seed: z.number().int(),
  account: z.string(),
  region: z.string(),
  settings: z.object({
    stoppedRetentionSeconds: z.number().min(0),
    eventDelayMs: z.number().min(0),
    healthChangeEvents: z.boolean(),
    startOnDraining: z.enum(['reject', 'allow']),
    agentVersion: z.string(),
    instanceDefaults: z.object({ cpu: count, memory: count, instanceType: z.string(), availabilityZones: z.array(z.string()).min(1) }),
    taskDefaults: taskBehaviourSchema.partial(),
    /** Absent in snapshots taken before rate limits existed: ECS's defaults then. */
    rateLimits: rateLimitsSettingSchema.optional(),
  }),
  counters: z.object({ instance: count, task: count, event: count, timer: count, request: count }),
  /** The default PRNG's state; absent when the world was given its own `random`. */
  randomState: z.number().int().optional(),
  throttleProbability: z.number().min(0).max(1),
  /** The rate-limit buckets' levels (absent when limits are off, or in older snapshots: full then). */
  rateLimitState: z
    .object({
      'cluster-resource-read': rateBucketStateSchema,
      'cluster-resource-modify': rateBucketStateSchema,
      // Absent in snapshots taken before the service buckets existed: full then.
      'service-read': rateBucketStateSchema.optional(),
      'service-modify': rateBucketStateSchema.optional(),
    })
    .optional(),
  clusters: z.array(z.string()),
  taskDefinitions: z.record(z.string(), taskBehaviourSchema.partial()),
  instances: z.array(instanceStateSchema),
  tasks: z.array(taskStateSchema),
  /** Events emitted but not yet delivered to listeners. */
  outbox: z.array(z.object({ seq: count, at: instant, event: eventSchema })),
  /** ECS services and task sets (`ecs-services.ts`); absent when the world never had one. */
  ecsServices: ecsServicesStateSchema.optional(),
});
export type WorldSnapshot = z.infer<typeof worldSnapshotSchema>;
