/**
 * What the executor function needs, built once per Lambda container (executor.ts calls this at
 * module scope) from the environment:
 *
 * - `TABLE_NAME` (required): the revision log table (and the account's ECS budget item on it);
 * - `EVENT_BUS_NAME`: where `Deployment State Change` events go (default: the account's `default` bus);
 * - `POWERTOOLS_SERVICE_NAME`: the logger's and the metrics' `service`.
 *
 * The executor carries out actions (`execute` in engine.ts): it reads the log, calls ECS through the
 * account's budget, records and announces what failed. It queues no action, schedules no wake-up and
 * backs off on no queue, so unlike the reconciler's (deps.ts) its set has no SQS adapter, and its
 * bundle no SQS client: ~25 KB and ~10 ms less of every cold start. `execute` takes the engine's
 * ports, the action queue among them: the executor's refuses (it is never called).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../adapters/clock';
import { createDocumentClient } from '../adapters/dynamo';
import { BudgetedCluster } from '../adapters/budgeted-cluster';
import { createEcsClient, EcsCluster } from '../adapters/ecs-cluster';
import { BudgetedServices } from '../adapters/budgeted-services';
import { EcsServices } from '../adapters/ecs-services';
import { ACCOUNT_BUDGET } from '../adapters/ecs-budget';
import { DynamoEcsBudget } from '../adapters/dynamo-ecs-budget';
import { DynamoEventLog } from '../adapters/event-log';
import { Elbv2ListenerRules, listenerRulesThroughSdk } from '../adapters/elbv2-listener-rules';
import { EventBridgeNotifier, putEventsThroughSdk } from '../adapters/eventbridge-notifier';
import { createEngineMetrics } from '../adapters/powertools-metrics';
import { EcsTaskDefinitions } from '../adapters/task-definitions';
import type { ActionQueue } from '../ports';
import type { EngineFunctionDeps } from './deps';
import { DEFAULT_EVENT_BUS, required } from './deps';

/** The executor's action queue: it queues nothing (only the reconciler plans). */
export const NO_ACTION_QUEUE: ActionQueue = {
  enqueue: async () => {
    throw new Error('the executor queues no actions (executor-deps.ts)');
  },
};

export function executorDeps(env: NodeJS.ProcessEnv = process.env): EngineFunctionDeps {
  const table = required(env, 'TABLE_NAME');
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? 'blox-deployments';
  const logger = new Logger({ serviceName });
  const ecs = createEcsClient();
  const documents = createDocumentClient();
  const budget = new DynamoEcsBudget(documents, table);
  return {
    eventLog: new DynamoEventLog(documents, table),
    // Every ECS call from the account's budget (a DynamoDB item shared by every container).
    cluster: new BudgetedCluster(new EcsCluster(ecs), budget, { budgetKey: ACCOUNT_BUDGET }),
    taskDefinitions: new EcsTaskDefinitions(ecs),
    // Service environments: their ECS service and task sets, from the same budget.
    services: new BudgetedServices(new EcsServices(ecs), budget, { budgetKey: ACCOUNT_BUDGET }),
    // Canary / BlueGreen behind an ALB: it moves the listener rules' weights (SDK client built on first use).
    listenerRules: new Elbv2ListenerRules(listenerRulesThroughSdk()),
    queue: NO_ACTION_QUEUE,
    notifier: new EventBridgeNotifier(putEventsThroughSdk(), env.EVENT_BUS_NAME || DEFAULT_EVENT_BUS),
    clock: systemClock,
    log: (message, fields) => logger.info(message, fields ?? {}),
    logger,
    metrics: createEngineMetrics(serviceName),
  };
}
