/**
 * The statuses an ECS task reports (`lastStatus`, `desiredStatus`, `healthStatus`), apart from the
 * event's schemas (ecs-task-state-change.ts, which re-exports them): the reconcile request's `change`
 * (functions/engine/changes.ts) uses the lists, and importing them from the schemas' module would build
 * every ECS event schema in each cold start of the functions that only read such a change.
 */
export const TASK_STATUSES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const HEALTH_STATUSES = ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
