/**
 * What the API functions need, built once per Lambda container (module scope) from the environment.
 *
 * `defaultDeps` builds only what both functions use (event log, clock, logger): api-read's bundle
 * must not carry the EventBridge and SQS adapters. api-write adds its notifier and wake-ups with
 * `writeDeps` (write-deps.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../adapters/clock';
import { createDocumentClient } from '../adapters/dynamo';
import { DynamoEventLog } from '../adapters/event-log';
import type { Wakeups } from '../adapters/sqs-wakeups';
import type { Clock, EventLog, Notifier, ObservationStore, TaskDefinitionDescriptions } from '../ports';

export interface ApiDeps {
  eventLog: EventLog;
  clock: Clock;
  logger: Logger;
  /** Announces status changes a command causes (`Deployment State Change`); none when absent. */
  notifier?: Notifier | undefined;
  /** Asks the planner to reconcile at once after a deploy, rollback or thaw; else it waits for the tick. */
  wakeups?: Wakeups | undefined;
  /** diff-revisions: DescribeTaskDefinition (none: the answer says the task definitions could not be read). */
  taskDefinitions?: TaskDefinitionDescriptions | undefined;
  /** The engine's pictures of the clusters (GET …/instances); without it, that route answers an empty picture. */
  observations?: ObservationStore | undefined;
}

/** From the environment: `TABLE_NAME` (required). No notifier, no wake-ups (see `writeDeps`). */
export function defaultDeps(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const table = env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set');
  return {
    eventLog: new DynamoEventLog(createDocumentClient(), table),
    clock: systemClock,
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'blox-deployments' }),
    taskDefinitions: taskDefinitionsOnFirstUse(),
  };
}

/**
 * ECS's DescribeTaskDefinition, its adapter and SDK client loaded on the first diff-revisions (a chunk
 * of their own in the bundle): the other routes of api-read never pay for them.
 */
function taskDefinitionsOnFirstUse(): TaskDefinitionDescriptions {
  let adapter: Promise<TaskDefinitionDescriptions> | undefined;
  const load = () =>
    (adapter ??= import('../adapters/task-definitions').then(
      ({ ecsTaskDefinitions }) => ecsTaskDefinitions(),
      (error: unknown) => {
        adapter = undefined; // a chunk that failed to load is tried again by the next request
        throw error;
      },
    ));
  return { describe: async (taskDefinition) => (await load()).describe(taskDefinition) };
}
