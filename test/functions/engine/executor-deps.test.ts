/**
 * executorDeps(): the executor's ports from the environment — those `execute` uses, and no SQS
 * adapter (the executor queues nothing, schedules no wake-up, backs off on no queue).
 */
import { describe, expect, it } from 'vitest';
import { BudgetedCluster } from '../../../functions/adapters/budgeted-cluster';
import { DynamoEcsBudget } from '../../../functions/adapters/dynamo-ecs-budget';
import { EcsCluster } from '../../../functions/adapters/ecs-cluster';
import { Elbv2ListenerRules } from '../../../functions/adapters/elbv2-listener-rules';
import { DynamoEventLog } from '../../../functions/adapters/event-log';
import { LambdaHooks } from '../../../functions/adapters/lambda-hooks';
import { EventBridgeNotifier } from '../../../functions/adapters/eventbridge-notifier';
import { PowertoolsEngineMetrics } from '../../../functions/adapters/powertools-metrics';
import { EcsTaskDefinitions } from '../../../functions/adapters/task-definitions';
import { reconcile } from '../../../functions/engine/engine';
import { executorDeps, NO_ACTION_QUEUE } from '../../../functions/engine/executor-deps';
import { createExecutorHandler } from '../../../functions/engine/executor-handler';
import { Bed, lambdaContext, NAME, sqsEvent, sqsRecord } from './support';

const env = {
  TABLE_NAME: 'blox-dev',
  ACTIONS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-actions.fifo',
  WAKEUPS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-wakeups',
  RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-reconcile.fifo',
  AWS_REGION: 'us-east-1',
};

describe('executorDeps', () => {
  it('wires the AWS adapters the executor uses, and no SQS adapter', () => {
    const deps = executorDeps(env);
    expect(deps.eventLog).toBeInstanceOf(DynamoEventLog);
    // ECS behind the account's budget on the table (every ECS call taken from it first).
    expect(deps.cluster).toBeInstanceOf(BudgetedCluster);
    expect((deps.cluster as BudgetedCluster).inner).toBeInstanceOf(EcsCluster);
    expect((deps.cluster as BudgetedCluster).budget).toBeInstanceOf(DynamoEcsBudget);
    expect(deps.taskDefinitions).toBeInstanceOf(EcsTaskDefinitions);
    expect(deps.notifier).toBeInstanceOf(EventBridgeNotifier);
    // ALB listener rules' weights (Canary / BlueGreen); the SDK client is built on first use.
    expect(deps.listenerRules).toBeInstanceOf(Elbv2ListenerRules);
    // Lifecycle hooks (InvokeHook actions): Lambda Invoke, the SDK client built on first use.
    expect(deps.hooks).toBeInstanceOf(LambdaHooks);
    expect(deps.log).toBeTypeOf('function');
    expect(deps.metrics).toBeInstanceOf(PowertoolsEngineMetrics);
    expect(deps.queue).toBe(NO_ACTION_QUEUE);
    expect(deps.wakeups).toBeUndefined();
    expect(deps.redelivery).toBeUndefined();
  });

  it('publishes to the default bus unless EVENT_BUS_NAME says otherwise', () => {
    expect((executorDeps(env).notifier as unknown as { eventBusName: string }).eventBusName).toBe('default');
    expect((executorDeps({ ...env, EVENT_BUS_NAME: 'blox' }).notifier as unknown as { eventBusName: string }).eventBusName).toBe('blox');
  });

  it('requires TABLE_NAME', () => {
    expect(() => executorDeps({ ...env, TABLE_NAME: '' })).toThrow('TABLE_NAME is not set');
  });

  it('the executor carries out actions, a refused launch recorded, without the queue, wake-ups or back-off it is not given', async () => {
    const bed = new Bed();
    const instances = bed.world.addInstances({ count: 12, attributes: { stack: 'prod' } });
    await bed.deploying(NAME);
    const launches = (await reconcile(bed.deps, NAME)).actions;
    expect(launches.map((a) => a.type)).toEqual(['StartTasks', 'StartTasks']);
    bed.world.drainInstance(instances[0]!.arn); // StartTask onto it is refused (DRAINING)
    const handler = createExecutorHandler({ ...bed.deps, queue: NO_ACTION_QUEUE, wakeups: undefined, redelivery: undefined });
    const records = sqsEvent(...launches.map((action, i) => sqsRecord(`m${i}`, JSON.stringify(action), { MessageGroupId: action.environment })));
    expect(await handler(records, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(bed.world.describeTasks()).toHaveLength(11);
    expect((await bed.eventLog.readEvents(NAME)).map((e) => e.event.type)).toContain('LaunchesFailed');
    await expect(NO_ACTION_QUEUE.enqueue([])).rejects.toThrow('the executor queues no actions');
  });
});
