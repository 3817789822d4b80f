/**
 * The executor and an InvokeHook action (engine.ts `execute`): the hook function (the simulated Lambda,
 * through the same adapter as in AWS) is invoked with { EnvironmentName, Revision, DeploymentId, Stage },
 * and its answer recorded as `HookAnswered` while that invocation is the one on record. The planner's side
 * is `runHooks` (domain/rollout/hooks.ts), whose events are appended here as the reconciler would; the
 * executor's ports are as in AWS (executor-deps.ts): the hooks, and no wake-ups.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent, EnvironmentEvent } from '../../../domain/environment';
import type { HookGate, PlannerAction } from '../../../domain/rollout';
import { runHooks } from '../../../domain/rollout';
import type { HookStage } from '../../../domain/spec';
import { LambdaHooks } from '../../../functions/adapters/lambda-hooks';
import { appendWithRetry } from '../../../functions/commands';
import type { EngineFunctionDeps } from '../../../functions/engine/deps';
import { execute } from '../../../functions/engine/engine';
import { createExecutorHandler } from '../../../functions/engine/executor-handler';
import type { Hooks } from '../../../functions/ports';
import { SimulatedLambda } from '../../../local/sim/lambda';
import { Bed, lambdaContext, spec, sqsEvent, sqsRecord } from './support';

const WEB = 'Web/Prod';
const S = 1000;
type InvokeHook = Extract<PlannerAction, { type: 'InvokeHook' }>;

/**
 * A Service environment deploying revision 1 with hooks: PreTraffic smoke-ok then smoke-fail, PostTraffic
 * smoke-slow (IN_PROGRESS, call back in 45 s); the executor's ports with the simulated Lambda.
 */
async function deployingWithHooks(hooks?: (lambda: SimulatedLambda) => Hooks) {
  const bed = new Bed();
  const lambda = new SimulatedLambda({ clock: bed.clock });
  lambda.defineFunction({ name: 'smoke-ok', answer: 'SUCCEEDED' });
  lambda.defineFunction({ name: 'smoke-fail', answer: 'FAILED' });
  lambda.defineFunction({ name: 'smoke-slow', answer: 'IN_PROGRESS', callBackDelaySeconds: 45 });
  const executor: EngineFunctionDeps = { ...bed.deps, services: bed.world, hooks: hooks ? hooks(lambda) : new LambdaHooks(lambda), wakeups: undefined };
  const hooked = spec(WEB, {
    TaskDefinition: 'web:1',
    DeploymentType: 'Service',
    DesiredCount: 2,
    InstanceGroup: undefined,
    DeploymentConfiguration: {
      Method: 'Rolling',
      Hooks: [
        { Stage: 'PreTraffic', FunctionArn: lambda.functionArn('smoke-ok') },
        { Stage: 'PreTraffic', FunctionArn: lambda.functionArn('smoke-fail') },
        { Stage: 'PostTraffic', FunctionArn: lambda.functionArn('smoke-slow'), TimeoutSeconds: 600 },
      ],
    },
  });
  await bed.run({ type: 'CreateEnvironment', spec: hooked, at: bed.at() });
  await bed.run({ type: 'DeployRevision', name: WEB, revision: 1, targetSpec: hooked, at: bed.at() });
  expect((await bed.eventLog.load(WEB))?.engine?.configuration.Hooks).toHaveLength(3);
  const deploymentId = (await bed.eventLog.load(WEB))!.deployment!.id;

  /** The planner's part: the stage's gate now, its events appended (as the reconciler appends a plan's). */
  const gate = async (stage: HookStage): Promise<HookGate> => {
    let result: HookGate | undefined;
    await appendWithRetry(
      bed.eventLog,
      WEB,
      (before) => {
        result = runHooks(before!.engine!, stage, bed.clock.now());
        return { events: result.kind === 'Passed' ? [] : (result.events as EngineEvent[]) };
      },
      { attempts: 1 },
    );
    return result!;
  };
  /** The gate's one action (it must have one). */
  const invocation = async (stage: HookStage): Promise<InvokeHook> => {
    const g = await gate(stage);
    if (g.kind !== 'Waiting' || g.actions[0]?.type !== 'InvokeHook') throw new Error(`expected an invocation, got ${JSON.stringify(g)}`);
    return g.actions[0];
  };
  const answers = async (): Promise<EnvironmentEvent[]> => (await bed.eventLog.readEvents(WEB)).map((e) => e.event).filter((e) => e.type === 'HookAnswered');
  return { bed, lambda, executor, deploymentId, gate, invocation, answers };
}

describe('the executor, an InvokeHook action', () => {
  it('invokes the function with { EnvironmentName, Revision, DeploymentId, Stage } and records SUCCEEDED; the next hook of the stage comes next', async () => {
    const { bed, lambda, executor, deploymentId, invocation, gate, answers } = await deployingWithHooks();
    const action = await invocation('PreTraffic');
    expect(action).toMatchObject({ hook: 0, stage: 'PreTraffic', attempt: 1, functionArn: lambda.functionArn('smoke-ok'), revision: 1, reason: 'PreTraffic hook smoke-ok (attempt 1)' });

    expect(await execute(executor, action)).toBe('done');

    expect(lambda.invocations('smoke-ok').map((i) => [i.payload, i.invocationType])).toEqual([[{ EnvironmentName: WEB, Revision: 1, DeploymentId: deploymentId, Stage: 'PreTraffic' }, 'RequestResponse']]);
    expect(await answers()).toEqual([{ type: 'HookAnswered', hook: 0, stage: 'PreTraffic', attempt: 1, status: 'SUCCEEDED', at: bed.clock.now() }]);
    expect((await bed.eventLog.load(WEB))?.engine?.hooks?.['0']?.answer).toEqual({ status: 'SUCCEEDED', at: bed.clock.now() });
    // smoke-ok passed: smoke-fail (hook 1) is invoked next.
    expect(await invocation('PreTraffic')).toMatchObject({ hook: 1, attempt: 1, functionArn: lambda.functionArn('smoke-fail') });
    // A copy of the answered action, delivered again: dropped, the function not invoked again.
    expect(await execute(executor, action, { receiveCount: 2 })).toBe('dropped');
    expect(lambda.invocations('smoke-ok')).toHaveLength(1);
    expect((await gate('PostTraffic')).kind).toBe('Waiting');
  });

  it('FAILED is recorded (with the function error as the reason when it threw), and the gate fails the stage with it', async () => {
    const { bed, lambda, executor, invocation, gate, answers } = await deployingWithHooks();
    await execute(executor, await invocation('PreTraffic'));
    const failing = await invocation('PreTraffic');
    lambda.defineFunction({ name: 'smoke-fail', answer: 'ERROR' });

    expect(await execute(executor, failing)).toBe('done');

    expect((await answers()).at(-1)).toEqual({
      type: 'HookAnswered',
      hook: 1,
      stage: 'PreTraffic',
      attempt: 1,
      status: 'FAILED',
      reason: 'function error (Unhandled): Error: smoke-fail: the hook threw (simulated)',
      at: bed.clock.now(),
    });
    expect(await gate('PreTraffic')).toEqual({ kind: 'Failed', events: [], reason: 'hook smoke-fail (PreTraffic) answered FAILED: function error (Unhandled): Error: smoke-fail: the hook threw (simulated)' });
  });

  it('the function’s own FAILED: recorded without a reason, the gate says it answered FAILED', async () => {
    const { executor, invocation, gate, answers } = await deployingWithHooks();
    await execute(executor, await invocation('PreTraffic'));
    await execute(executor, await invocation('PreTraffic'));
    expect((await answers()).at(-1)).toMatchObject({ hook: 1, status: 'FAILED' });
    expect((await answers()).at(-1)).not.toHaveProperty('reason');
    expect(await gate('PreTraffic')).toEqual({ kind: 'Failed', events: [], reason: 'hook smoke-fail (PreTraffic) answered FAILED' });
  });

  it('IN_PROGRESS with callBackDelaySeconds 45: recorded; invoked again 45 s after the answer; SUCCEEDED then passes the stage', async () => {
    const { bed, lambda, executor, invocation, gate, answers } = await deployingWithHooks();
    const first = await invocation('PostTraffic');
    const answeredAt = bed.clock.now();
    expect(await execute(executor, first)).toBe('done');
    expect(await answers()).toEqual([{ type: 'HookAnswered', hook: 2, stage: 'PostTraffic', attempt: 1, status: 'IN_PROGRESS', callBackDelaySeconds: 45, at: answeredAt }]);

    bed.clock.advance(10 * S);
    expect(await gate('PostTraffic')).toMatchObject({ kind: 'Waiting', actions: [], wakeAt: answeredAt + 45 * S });
    bed.clock.advance(35 * S);
    const second = await invocation('PostTraffic');
    expect(second).toMatchObject({ hook: 2, attempt: 2 });
    expect(second.key).not.toBe(first.key);

    lambda.defineFunction({ name: 'smoke-slow', answer: 'SUCCEEDED' });
    expect(await execute(executor, second)).toBe('done');
    expect((await answers()).at(-1)).toMatchObject({ hook: 2, attempt: 2, status: 'SUCCEEDED' });
    expect(await gate('PostTraffic')).toEqual({ kind: 'Passed' });
    expect(lambda.invocations('smoke-slow')).toHaveLength(2);
  });

  it('a stale attempt: not carried out once a newer attempt is on record; an answer that comes back after one was planned is not recorded', async () => {
    // The hook answers while the planner, meanwhile, invokes it again (no answer after 60 s: lost, it thought).
    let raceAgain: (() => Promise<void>) | undefined;
    const { bed, lambda, executor, invocation, answers } = await deployingWithHooks(
      (lambda) =>
        ({
          invoke: async (arn, payload) => {
            const answer = await new LambdaHooks(lambda).invoke(arn, payload);
            await raceAgain?.();
            return answer;
          },
        }) satisfies Hooks,
    );
    const first = await invocation('PreTraffic');
    bed.clock.advance(60 * S);
    const second = await invocation('PreTraffic');
    expect(second).toMatchObject({ hook: 0, attempt: 2 });

    // Attempt 1, delivered late: dropped before the function is invoked.
    expect(await execute(executor, first)).toBe('dropped');
    expect(lambda.invocations('smoke-ok')).toHaveLength(0);

    // Attempt 2 is invoked; while it runs, the planner invokes attempt 3: attempt 2's answer is not recorded.
    bed.clock.advance(60 * S);
    raceAgain = async () => {
      raceAgain = undefined;
      expect(await invocation('PreTraffic')).toMatchObject({ attempt: 3 });
    };
    expect(await execute(executor, second)).toBe('done');
    expect(lambda.invocations('smoke-ok')).toHaveLength(1);
    expect(await answers()).toEqual([]);
    expect((await bed.eventLog.load(WEB))?.engine?.hooks?.['0']).toMatchObject({ attempt: 3, startedAt: bed.clock.now() - 120 * S });
    expect((await bed.eventLog.load(WEB))?.engine?.hooks?.['0']?.answer).toBeUndefined();
  });

  it('a paused deployment: the invocation is dropped, the function not invoked', async () => {
    const { bed, lambda, executor, invocation, answers } = await deployingWithHooks();
    const action = await invocation('PreTraffic');
    await bed.run({ type: 'PauseDeployment', name: WEB, caller: 'ops', at: bed.at() });
    expect(await execute(executor, action)).toBe('dropped');
    expect(lambda.invocations()).toEqual([]);
    expect(await answers()).toEqual([]);
  });

  it('through the executor function: the action passes its schema, the answer is recorded, nothing fails', async () => {
    const { executor, invocation, answers } = await deployingWithHooks();
    const action = await invocation('PreTraffic');
    const handler = createExecutorHandler(executor);
    expect(await handler(sqsEvent(sqsRecord('m1', JSON.stringify(action), { MessageGroupId: WEB })), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await answers()).toMatchObject([{ hook: 0, status: 'SUCCEEDED' }]);
  });

  it('a throttled invocation throws (SQS delivers it again), nothing recorded; without the Hooks port it throws too', async () => {
    const { bed, lambda, executor, invocation, answers } = await deployingWithHooks();
    const action = await invocation('PreTraffic');
    lambda.defineFunction({ name: 'smoke-ok', answer: 'SUCCEEDED', reservedConcurrency: 0 });
    await expect(execute(executor, action)).rejects.toThrow('Rate Exceeded.');
    await expect(execute({ ...executor, hooks: undefined }, action)).rejects.toThrow('needs the Hooks port');
    expect(await answers()).toEqual([]);
    expect(bed.wakeups).toEqual([]);
  });
});
