/**
 * What the engine functions (planner, executor) need, built once per Lambda container (the entry
 * files call this at module scope) from the environment:
 *
 * - `TABLE_NAME` (required): the revision log table;
 * - `ACTIONS_QUEUE_URL` (required): the SQS FIFO action queue;
 * - `WAKEUPS_QUEUE_URL` (optional): the delayed-reconcile queue; without it the planner only wakes
 *   up on ECS events and the tick (the executor never schedules wake-ups and is not given it);
 * - `EVENT_BUS_NAME`: where `Deployment State Change` events go (default: the account's `default` bus).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../adapters/clock';
import { createDocumentClient } from '../adapters/dynamo';
import { createEcsClient, EcsCluster } from '../adapters/ecs-cluster';
import { DynamoEventLog } from '../adapters/event-log';
import { createEventBridgeClient, EventBridgeNotifier } from '../adapters/eventbridge-notifier';
import { createSqsClient, SqsActionQueue } from '../adapters/sqs-action-queue';
import { SqsWakeups } from '../adapters/sqs-wakeups';
import { EcsTaskDefinitions } from '../adapters/task-definitions';
import type { EngineDeps } from './engine';

/** The engine's ports plus the function's logger. */
export interface EngineFunctionDeps extends EngineDeps {
  logger: Logger;
}

export const DEFAULT_EVENT_BUS = 'default';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function engineDeps(env: NodeJS.ProcessEnv = process.env): EngineFunctionDeps {
  const table = required(env, 'TABLE_NAME');
  const actionsQueueUrl = required(env, 'ACTIONS_QUEUE_URL');
  const wakeupsQueueUrl = env.WAKEUPS_QUEUE_URL || undefined;
  const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'blox-deployments' });
  const ecs = createEcsClient();
  const sqs = createSqsClient();
  return {
    eventLog: new DynamoEventLog(createDocumentClient(), table),
    cluster: new EcsCluster(ecs),
    taskDefinitions: new EcsTaskDefinitions(ecs),
    queue: new SqsActionQueue(sqs, actionsQueueUrl),
    notifier: new EventBridgeNotifier(createEventBridgeClient(), env.EVENT_BUS_NAME || DEFAULT_EVENT_BUS),
    clock: systemClock,
    wakeups: wakeupsQueueUrl ? new SqsWakeups(sqs, wakeupsQueueUrl, systemClock) : undefined,
    log: (message, fields) => logger.info(message, fields ?? {}),
    logger,
  };
}
