/**
 * Short, deterministic names for things ECS and SQS limit in length: the `startedBy` that marks an
 * environment's tasks (≤ 36 characters), and hashes inside action keys (SQS deduplication ids and
 * ECS tag values are limited to 128 and 256 characters; environment names run to 255).
 *
 * fnv1a64('SomeEnvironment/Prod') is 16 hex digits; startedByOf('SomeEnvironment/Prod') === 'blox-' + those.
 */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** The `startedBy` of every task Blox starts for an environment: how its tasks are listed. */
export function startedByOf(environment: string): string {
  return `blox-${fnv1a64(environment)}`;
}

/**
 * How a Service environment's tasks are told apart: ECS starts them with `startedBy` = the task set id
 * (`ecs-svc/…`, one per revision) and `group` = `service:<service name>`, which is what routes their
 * events to the environment. serviceGroupOf('web-prod') === 'service:web-prod'
 */
export function serviceGroupOf(serviceName: string): string {
  return `${SERVICE_GROUP_PREFIX}${serviceName}`;
}

/** The prefix of a service's task group (`serviceGroupOf`). */
export const SERVICE_GROUP_PREFIX = 'service:';

/** The `startedBy` prefix of the tasks ECS's service scheduler starts (the task set id). */
export const SERVICE_STARTED_BY_PREFIX = 'ecs-svc/';

/** Tags Blox puts on the tasks it starts (task state change events carry none; DescribeTasks does). */
export const TAG_ENVIRONMENT = 'blox:environment';
export const TAG_REVISION = 'blox:revision';
export const TAG_ACTION = 'blox:action';
