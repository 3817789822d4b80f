/**
 * What the router function needs, built once per Lambda container from the environment:
 *
 * - `TABLE_NAME` (required): the revision log table (only its environment index is read);
 * - `RECONCILE_QUEUE_URL` (required): the SQS FIFO reconcile queue it sends to.
 *
 * Kept apart from deps.ts so the router's bundle carries no ECS, EventBridge or action-queue code.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient } from '../adapters/dynamo';
import { DynamoEventLog } from '../adapters/event-log';
import { createSqsClient } from '../adapters/sqs-action-queue';
import { SqsReconcileQueue } from '../adapters/sqs-reconcile-queue';
import type { RouterDeps } from './router-handler';

export function routerDeps(env: NodeJS.ProcessEnv = process.env): RouterDeps {
  const table = env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set');
  const queueUrl = env.RECONCILE_QUEUE_URL;
  if (!queueUrl) throw new Error('RECONCILE_QUEUE_URL is not set');
  return {
    eventLog: new DynamoEventLog(createDocumentClient(), table),
    reconciles: new SqsReconcileQueue(createSqsClient(), queueUrl),
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'blox-deployments' }),
  };
}
