/**
 * The EventBridge events the simulated cluster emits, in the shape Amazon ECS delivers them
 * (see "Amazon ECS events" in the ECS developer guide: `ecs_cwe_events`): an envelope with
 * `version: '0'`, `source: 'aws.ecs'`, a `detail-type`, `time` at second precision, and a `detail`
 * that resembles the DescribeTasks / DescribeContainerInstances object (timestamps as ISO strings,
 * task `cpu`/`memory` as strings, `version` incremented on every change of the resource).
 *
 * Like the real events, task events carry `startedBy` and `group` but no tags.
 */

export const TASK_STATE_CHANGE = 'ECS Task State Change' as const;
export const CONTAINER_INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change' as const;

interface EventEnvelope<DetailType extends string, Detail> {
  version: '0';
  id: string;
  'detail-type': DetailType;
  source: 'aws.ecs';
  account: string;
  /** ISO-8601 at second precision, e.g. `2024-01-01T00:00:02Z`. */
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}

export interface EcsTaskContainerDetail {
  containerArn: string;
  name: string;
  taskArn: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  healthStatus: string;
  cpu: string;
  networkBindings: unknown[];
  networkInterfaces: unknown[];
}

export interface EcsTaskDetail {
  attachments: unknown[];
  attributes: Array<{ name: string; value?: string }>;
  availabilityZone: string;
  clusterArn: string;
  connectivity: 'CONNECTED';
  connectivityAt: string;
  containerInstanceArn: string;
  containers: EcsTaskContainerDetail[];
  cpu: string;
  createdAt: string;
  desiredStatus: string;
  enableExecuteCommand: boolean;
  executionStoppedAt?: string;
  group: string;
  healthStatus: string;
  launchType: 'EC2';
  lastStatus: string;
  memory: string;
  overrides: { containerOverrides: Array<{ name: string }> };
  startedAt?: string;
  startedBy?: string;
  stopCode?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  stoppingAt?: string;
  taskArn: string;
  taskDefinitionArn: string;
  updatedAt: string;
  version: number;
}

export interface EcsResource {
  name: 'CPU' | 'MEMORY' | 'PORTS' | 'PORTS_UDP';
  type: 'INTEGER' | 'STRINGSET';
  integerValue: number;
  doubleValue: number;
  longValue: number;
  stringSetValue?: string[];
}

export interface EcsContainerInstanceDetail {
  agentConnected: boolean;
  attributes: Array<{ name: string; value?: string }>;
  clusterArn: string;
  containerInstanceArn: string;
  ec2InstanceId: string;
  pendingTasksCount: number;
  registeredAt: string;
  registeredResources: EcsResource[];
  remainingResources: EcsResource[];
  runningTasksCount: number;
  status: string;
  updatedAt: string;
  version: number;
  versionInfo: { agentHash: string; agentVersion: string; dockerVersion: string };
}

export type EcsTaskStateChangeEvent = EventEnvelope<typeof TASK_STATE_CHANGE, EcsTaskDetail>;
export type EcsContainerInstanceStateChangeEvent = EventEnvelope<typeof CONTAINER_INSTANCE_STATE_CHANGE, EcsContainerInstanceDetail>;
export type SimulatedEcsEvent = EcsTaskStateChangeEvent | EcsContainerInstanceStateChangeEvent;

export function isTaskEvent(event: SimulatedEcsEvent): event is EcsTaskStateChangeEvent {
  return event['detail-type'] === TASK_STATE_CHANGE;
}

export function isContainerInstanceEvent(event: SimulatedEcsEvent): event is EcsContainerInstanceStateChangeEvent {
  return event['detail-type'] === CONTAINER_INSTANCE_STATE_CHANGE;
}

/** `2024-01-01T00:00:02.345Z` → `2024-01-01T00:00:02Z` (EventBridge's `time`). */
export function eventTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
