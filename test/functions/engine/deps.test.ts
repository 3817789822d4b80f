/** engineDeps() and routerDeps(): the engine functions' ports from the environment. */
import { describe, expect, it } from 'vitest';
import { BudgetedCluster } from '../../../functions/adapters/budgeted-cluster';
import { DynamoEcsBudget } from '../../../functions/adapters/dynamo-ecs-budget';
import { EcsCluster } from '../../../functions/adapters/ecs-cluster';
import { Elbv2ListenerRules } from '../../../functions/adapters/elbv2-listener-rules';
import { DynamoEventLog } from '../../../functions/adapters/event-log';
import { EventBridgeNotifier } from '../../../functions/adapters/eventbridge-notifier';
import { SqsActionQueue } from '../../../functions/adapters/sqs-action-queue';
import { SqsWakeups } from '../../../functions/adapters/sqs-wakeups';
import { EcsTaskDefinitions } from '../../../functions/adapters/task-definitions';
import { PowertoolsEngineMetrics } from '../../../functions/adapters/powertools-metrics';
import { SqsReconcileQueue } from '../../../functions/adapters/sqs-reconcile-queue';
import { SqsRedelivery } from '../../../functions/adapters/sqs-redelivery';
import { engineDeps } from '../../../functions/engine/deps';
import { routerDeps } from '../../../functions/engine/router-deps';

const env = {
  TABLE_NAME: 'blox-dev',
  ACTIONS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-actions.fifo',
  AWS_REGION: 'us-east-1',
};

describe('engineDeps', () => {
  it('wires the AWS adapters', () => {
    const deps = engineDeps({ ...env, WAKEUPS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-wakeups' });
    expect(deps.eventLog).toBeInstanceOf(DynamoEventLog);
    // ECS behind the account's budget on the table (every ECS call taken from it first).
    expect(deps.cluster).toBeInstanceOf(BudgetedCluster);
    expect((deps.cluster as BudgetedCluster).inner).toBeInstanceOf(EcsCluster);
    expect((deps.cluster as BudgetedCluster).budget).toBeInstanceOf(DynamoEcsBudget);
    expect(deps.taskDefinitions).toBeInstanceOf(EcsTaskDefinitions);
    expect(deps.queue).toBeInstanceOf(SqsActionQueue);
    expect(deps.notifier).toBeInstanceOf(EventBridgeNotifier);
    // ALB listener rules' weights (Canary / BlueGreen); the SDK client is built on first use.
    expect(deps.listenerRules).toBeInstanceOf(Elbv2ListenerRules);
    expect(deps.wakeups).toBeInstanceOf(SqsWakeups);
    expect(deps.log).toBeTypeOf('function');
    expect(deps.metrics).toBeInstanceOf(PowertoolsEngineMetrics);
    expect(deps.redelivery).toBeUndefined();
    // Lifecycle hooks are invoked by the executor (executor-deps.ts), not the reconciler.
    expect(deps.hooks).toBeUndefined();
  });

  it('backs off on the reconcile queue when RECONCILE_QUEUE_URL is set (the reconciler)', () => {
    expect(engineDeps({ ...env, RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-reconcile.fifo' }).redelivery).toBeInstanceOf(SqsRedelivery);
  });

  it('publishes to the default bus unless EVENT_BUS_NAME says otherwise', () => {
    expect((engineDeps(env).notifier as unknown as { eventBusName: string }).eventBusName).toBe('default');
    expect((engineDeps({ ...env, EVENT_BUS_NAME: 'blox' }).notifier as unknown as { eventBusName: string }).eventBusName).toBe('blox');
  });

  it('has no wake-ups without WAKEUPS_QUEUE_URL (the executor)', () => {
    expect(engineDeps(env).wakeups).toBeUndefined();
  });

  it('requires TABLE_NAME and ACTIONS_QUEUE_URL', () => {
    expect(() => engineDeps({ ...env, TABLE_NAME: '' })).toThrow('TABLE_NAME is not set');
    expect(() => engineDeps({ TABLE_NAME: 't' })).toThrow('ACTIONS_QUEUE_URL is not set');
  });
});

describe('routerDeps', () => {
  const routerEnv = { TABLE_NAME: 'blox-dev', RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-reconcile.fifo', AWS_REGION: 'us-east-1' };

  it('wires the log and the reconcile queue', () => {
    const deps = routerDeps(routerEnv);
    expect(deps.eventLog).toBeInstanceOf(DynamoEventLog);
    expect(deps.reconciles).toBeInstanceOf(SqsReconcileQueue);
  });

  it('requires TABLE_NAME and RECONCILE_QUEUE_URL', () => {
    expect(() => routerDeps({ ...routerEnv, TABLE_NAME: '' })).toThrow('TABLE_NAME is not set');
    expect(() => routerDeps({ ...routerEnv, RECONCILE_QUEUE_URL: '' })).toThrow('RECONCILE_QUEUE_URL is not set');
  });
});
