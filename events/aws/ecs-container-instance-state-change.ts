/**
 * `ECS Container Instance State Change` (source `aws.ecs`): sent when an instance registers, changes
 * status (ACTIVE → DRAINING …), its agent connects or disconnects, its agent is upgraded, or its
 * remaining resources change because a task was placed on it or stopped.
 *
 * `detail` resembles the `ContainerInstance` object of `DescribeContainerInstances`. Worth knowing:
 *
 * - `agentConnected: false` is routine: the agent disconnects and reconnects several times an hour as
 *   part of normal operation (ECS guide). It is not, by itself, a reason to move tasks away.
 * - `attributes` entries have a `name` and, for custom attributes (`stack=prod`, what instance-group
 *   queries match), a `value`; built-in capability attributes have no value.
 * - `remainingResources` changes with every placement, so there are many of these events; like task
 *   events, `detail.version` identifies duplicates.
 * - Only EC2 (and external) instances exist: Fargate tasks produce no container instance events.
 */
import * as z from 'zod/mini';
import { awsTimestamp, eventBridgeEvent } from './envelope';
import { ECS_SOURCE } from './ecs-task-state-change';

export const ECS_CONTAINER_INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change';

export const CONTAINER_INSTANCE_STATUSES = [
  'ACTIVE',
  'DRAINING',
  'INACTIVE',
  'REGISTERING',
  'DEREGISTERING',
  'REGISTRATION_FAILED',
  'DEREGISTRATION_FAILED',
] as const;
export type ContainerInstanceStatus = (typeof CONTAINER_INSTANCE_STATUSES)[number];

export const ecsAttributeSchema = z.looseObject({
  name: z.string(),
  value: z.optional(z.string()),
});

/** One resource: CPU and MEMORY are INTEGER, PORTS and PORTS_UDP are STRINGSET. */
export const ecsResourceSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  integerValue: z.optional(z.number()),
  longValue: z.optional(z.number()),
  doubleValue: z.optional(z.number()),
  stringSetValue: z.optional(z.array(z.string())),
});

export const ecsContainerInstanceDetailSchema = z.looseObject({
  clusterArn: z.string(),
  containerInstanceArn: z.string(),
  ec2InstanceId: z.optional(z.string()),
  agentConnected: z.boolean(),
  status: z.enum(CONTAINER_INSTANCE_STATUSES),
  statusReason: z.optional(z.string()),
  attributes: z._default(z.array(ecsAttributeSchema), []),
  registeredResources: z._default(z.array(ecsResourceSchema), []),
  remainingResources: z._default(z.array(ecsResourceSchema), []),
  runningTasksCount: z.optional(z.number().check(z.int())),
  pendingTasksCount: z.optional(z.number().check(z.int())),
  /** The instance's change counter: the same version twice is a duplicate delivery. */
  version: z.number().check(z.int()),
  versionInfo: z.optional(
    z.looseObject({
      agentHash: z.optional(z.string()),
      agentVersion: z.optional(z.string()),
      dockerVersion: z.optional(z.string()),
    }),
  ),
  agentUpdateStatus: z.optional(z.string()),
  registeredAt: z.optional(awsTimestamp),
  updatedAt: z.optional(awsTimestamp),
});

export const ecsContainerInstanceStateChangeSchema = eventBridgeEvent(
  ECS_SOURCE,
  ECS_CONTAINER_INSTANCE_STATE_CHANGE,
  ecsContainerInstanceDetailSchema,
);

export type EcsAttribute = z.infer<typeof ecsAttributeSchema>;
export type EcsResource = z.infer<typeof ecsResourceSchema>;
export type EcsContainerInstanceDetail = z.infer<typeof ecsContainerInstanceDetailSchema>;
export type EcsContainerInstanceStateChange = z.infer<typeof ecsContainerInstanceStateChangeSchema>;
