/** What the API functions need, built once per Lambda container (module scope) from the environment. */
import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../adapters/clock';
import { createDocumentClient } from '../adapters/dynamo';
import { DynamoEventLog } from '../adapters/event-log';
import { createEventBridgeClient, EventBridgeNotifier } from '../adapters/eventbridge-notifier';
import { createSqsClient } from '../adapters/sqs-action-queue';
import type { Wakeups } from '../adapters/sqs-wakeups';
import { SqsWakeups } from '../adapters/sqs-wakeups';
import type { Clock, EventLog, Notifier } from '../ports';

export interface ApiDeps {
  eventLog: EventLog;
  clock: Clock;
  logger: Logger;
  /** Announces status changes a command causes (`Deployment State Change`); none when absent. */
  notifier?: Notifier | undefined;
  /** Asks the planner to reconcile at once after a deploy, rollback or thaw; else it waits for the tick. */
  wakeups?: Wakeups | undefined;
}

/**
 * From the environment: `TABLE_NAME` (required); `EVENT_BUS_NAME` and `WAKEUPS_QUEUE_URL` build the
 * notifier and the wake-ups only when set (api-write has them; api-read and the local stack do not).
 */
export function defaultDeps(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const table = env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set');
  return {
    eventLog: new DynamoEventLog(createDocumentClient(), table),
    clock: systemClock,
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'blox-deployments' }),
    notifier: env.EVENT_BUS_NAME ? new EventBridgeNotifier(createEventBridgeClient(), env.EVENT_BUS_NAME) : undefined,
    wakeups: env.WAKEUPS_QUEUE_URL ? new SqsWakeups(createSqsClient(), env.WAKEUPS_QUEUE_URL, systemClock) : undefined,
  };
}
