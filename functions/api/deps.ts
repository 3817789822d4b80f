/** What the API functions need, built once per Lambda container (module scope) from the environment. */
import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../adapters/clock';
import { createDocumentClient } from '../adapters/dynamo';
import { DynamoEventLog } from '../adapters/event-log';
import type { Clock, EventLog } from '../ports';

export interface ApiDeps {
  eventLog: EventLog;
  clock: Clock;
  logger: Logger;
}

export function defaultDeps(): ApiDeps {
  const table = process.env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set');
  return {
    eventLog: new DynamoEventLog(createDocumentClient(), table),
    clock: systemClock,
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'blox-deployments' }),
  };
}
