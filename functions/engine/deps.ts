/**
 * What the reconciler function needs, built once per Lambda container (reconciler.ts calls this at
 * module scope) from the environment:
 *
 * - `TABLE_NAME` (required): the revision log table;
 * - `ACTIONS_QUEUE_URL` (required): the SQS FIFO action queue;
 * - `WAKEUPS_QUEUE_URL` (optional): the delayed-reconcile queue; without it the engine only looks
 *   again on ECS events and the tick;
 * - `RECONCILE_QUEUE_URL` (optional): the reconcile queue the reconciler consumes, for its back-off
 *   on failed requests (without it they come back after the queue's visibility timeout);
 * - `EVENT_BUS_NAME`: where `Deployment State Change` events go (default: the account's `default` bus);
 * - `POWERTOOLS_SERVICE_NAME`: the logger's and the metrics' `service`.
 *
 * The router has its own, smaller set (router-deps.ts): it talks to neither ECS nor the action queue;
 * so has the executor (executor-deps.ts): it queues nothing, so its bundle carries no SQS client.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../adapters/clock';
import { CloudWatchAlarms, describeAlarmsThroughSdk } from '../adapters/cloudwatch-alarms';
import { createDocumentClient } from '../adapters/dynamo';
import { BudgetedCluster } from '../adapters/budgeted-cluster';
import { BudgetedServices } from '../adapters/budgeted-services';
import { createEcsClient, EcsCluster } from '../adapters/ecs-cluster';
import { EcsServices } from '../adapters/ecs-services';
import { describeTargetHealthThroughSdk, Elbv2TargetHealth } from '../adapters/elbv2-target-health';
import { Elbv2ListenerRules, listenerRulesThroughSdk } from '../adapters/elbv2-listener-rules';
import { invokeThroughSdk, LambdaHooks } from '../adapters/lambda-hooks';
import { route53ThroughSdk, Route53WeightedRecords } from '../adapters/route53-records';
import { ACCOUNT_BUDGET } from '../adapters/ecs-budget';
import { DynamoEcsBudget } from '../adapters/dynamo-ecs-budget';
import { DynamoEventLog } from '../adapters/event-log';
import { CachedObservationStore, DynamoObservationStore } from '../adapters/observation-store';
import { EventBridgeNotifier, putEventsThroughSdk } from '../adapters/eventbridge-notifier';
import type { EngineMetrics } from '../adapters/powertools-metrics';
import { createEngineMetrics } from '../adapters/powertools-metrics';
import { createSqsClient, SqsActionQueue } from '../adapters/sqs-action-queue';
import type { Redelivery } from '../adapters/sqs-redelivery';
import { SqsRedelivery } from '../adapters/sqs-redelivery';
import { SqsWakeups } from '../adapters/sqs-wakeups';
import { EcsTaskDefinitions } from '../adapters/task-definitions';
import type { EngineDeps } from './engine';

/** The engine's ports plus what the handlers use: the logger, metrics, the consumer's back-off. */
export interface EngineFunctionDeps extends EngineDeps {
  logger: Logger;
  /** EMF metrics per environment (adapters/powertools-metrics.ts); none when absent. */
  metrics?: EngineMetrics | undefined;
  /** Makes failed records visible again after a back-off (the reconciler); none when absent. */
  redelivery?: Redelivery | undefined;
}

export const DEFAULT_EVENT_BUS = 'default';

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function engineDeps(env: NodeJS.ProcessEnv = process.env): EngineFunctionDeps {
  const table = required(env, 'TABLE_NAME');
  const actionsQueueUrl = required(env, 'ACTIONS_QUEUE_URL');
  const wakeupsQueueUrl = env.WAKEUPS_QUEUE_URL || undefined;
  const reconcileQueueUrl = env.RECONCILE_QUEUE_URL || undefined;
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? 'blox-deployments';
  const logger = new Logger({ serviceName });
  const ecs = createEcsClient();
  const sqs = createSqsClient();
  const documents = createDocumentClient();
  const budget = new DynamoEcsBudget(documents, table);
  return {
    eventLog: new DynamoEventLog(documents, table),
    // The picture of the cluster between reconciles; the container holds the last ones it saved.
    observations: new CachedObservationStore(new DynamoObservationStore(documents, table)),
    // Every ECS call from the account's budget (a DynamoDB item shared by every container).
    cluster: new BudgetedCluster(new EcsCluster(ecs), budget, { budgetKey: ACCOUNT_BUDGET }),
    taskDefinitions: new EcsTaskDefinitions(ecs),
    // Service environments: their ECS service and task sets, from the same budget.
    services: new BudgetedServices(new EcsServices(ecs), budget, { budgetKey: ACCOUNT_BUDGET }),
    queue: new SqsActionQueue(sqs, actionsQueueUrl),
    notifier: new EventBridgeNotifier(putEventsThroughSdk(), env.EVENT_BUS_NAME || DEFAULT_EVENT_BUS),
    clock: systemClock,
    // The watched alarms' states: read when a deployment starts and on each tick (the backstop for a lost alarm event).
    alarms: new CloudWatchAlarms(describeAlarmsThroughSdk()),
    // A Service behind a load balancer: its target group's health is what makes a task ready.
    targetHealth: new Elbv2TargetHealth(describeTargetHealthThroughSdk()),
    // Canary / BlueGreen behind an ALB: the listener rules' weights, read back before each step (SDK client built on first use).
    listenerRules: new Elbv2ListenerRules(listenerRulesThroughSdk()),
    // A Canary with TrafficRouting.Route53: the weighted records it moves (the SDK's client built on first use).
    weightedRecords: new Route53WeightedRecords(route53ThroughSdk()),
    // Lifecycle hooks: Lambda functions invoked synchronously (the SDK's client built on first use).
    hooks: new LambdaHooks(invokeThroughSdk()),
    wakeups: wakeupsQueueUrl ? new SqsWakeups(sqs, wakeupsQueueUrl, systemClock) : undefined,
    log: (message, fields) => logger.info(message, fields ?? {}),
    logger,
    metrics: createEngineMetrics(serviceName),
    redelivery: reconcileQueueUrl ? new SqsRedelivery(sqs, reconcileQueueUrl) : undefined,
  };
}
