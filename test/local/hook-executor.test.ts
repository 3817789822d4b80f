/**
 * An InvokeHook action through the harness's in-process action queue: the executor handler carries it
 * out with the simulated Lambda of the default services (smoke-ok answers SUCCEEDED, smoke-fail FAILED),
 * and its answer is in the log for the planner's next look (`runHooks`). The deployment with hooks is
 * started as the Service planner will start it (deploy-environment still refuses Hooks: environment.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../domain/environment';
import { decide } from '../../domain/environment';
import type { HookGate } from '../../domain/rollout';
import { runHooks } from '../../domain/rollout';
import type { EnvironmentSpec } from '../../domain/spec';
import { effectiveDeploymentConfiguration } from '../../domain/spec';
import { appendWithRetry } from '../../functions/commands';
import { Harness } from '../../local/harness';

const NAME = 'Web/Prod';
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The PreTraffic gate now, its events appended and its action sent, as a plan's. */
async function planGate(harness: Harness): Promise<HookGate> {
  let gate: HookGate | undefined;
  await appendWithRetry(
    harness.eventLog,
    NAME,
    (before) => {
      gate = runHooks(before!.engine!, 'PreTraffic', harness.clock.now());
      return { events: gate.kind === 'Waiting' ? (gate.events as EngineEvent[]) : [] };
    },
    { attempts: 1 },
  );
  if (gate!.kind === 'Waiting') await harness.queue.enqueue(gate!.actions);
  return gate!;
}

describe('the harness’s executor invokes lifecycle hooks on the simulated Lambda', () => {
  it('smoke-ok SUCCEEDED, then smoke-fail FAILED: each answer recorded; the gate then fails the stage', async () => {
    h = new Harness({ seed: 11, services: true, tickMs: 60_000 });
    const lambda = h.services!.lambda;
    h.world.addInstances({ count: 2, attributes: { stack: 'prod' } });
    const spec = {
      Name: NAME,
      TaskDefinition: 'web:1',
      Cluster: 'default',
      DeploymentType: 'Service',
      DesiredCount: 2,
      DeploymentConfiguration: {
        Method: 'Rolling',
        Hooks: [
          { Stage: 'PreTraffic', FunctionArn: lambda.functionArn('smoke-ok') },
          { Stage: 'PreTraffic', FunctionArn: lambda.functionArn('smoke-fail') },
        ],
      },
      Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: h.services!.elbv2.targetGroupArn('web')! } },
    } as EnvironmentSpec;
    await h.command({ type: 'CreateEnvironment', spec });
    const configuration = effectiveDeploymentConfiguration(spec);
    const { DeploymentConfiguration: _hooks, ...plain } = spec;
    await appendWithRetry(
      h.eventLog,
      NAME,
      (before) => ({
        events: decide({ type: 'DeployRevision', name: NAME, revision: 1, targetSpec: plain as EnvironmentSpec, at: new Date(h!.clock.now()).toISOString() }, { ...before!, latestSpec: plain as EnvironmentSpec }).map((e) =>
          e.type === 'DeploymentStarted' ? { ...e, target: { ...e.target, configuration } } : e,
        ),
      }),
      { attempts: 1 },
    );
    const deploymentId = (await h.state(NAME))!.deployment!.id;
    const answerOf = async (hook: number) => (await h!.state(NAME))?.engine?.hooks?.[String(hook)]?.answer;

    expect(await planGate(h)).toMatchObject({ kind: 'Waiting', actions: [{ type: 'InvokeHook', hook: 0, attempt: 1 }] });
    await h.runUntil(async () => (await answerOf(0)) !== undefined, 60_000);
    expect((await answerOf(0))?.status).toBe('SUCCEEDED');
    expect(lambda.invocations('smoke-ok').map((i) => i.payload)).toEqual([{ EnvironmentName: NAME, Revision: 1, DeploymentId: deploymentId, Stage: 'PreTraffic' }]);

    expect(await planGate(h)).toMatchObject({ kind: 'Waiting', actions: [{ type: 'InvokeHook', hook: 1, attempt: 1 }] });
    await h.runUntil(async () => (await answerOf(1)) !== undefined, 60_000);
    expect(await answerOf(1)).toMatchObject({ status: 'FAILED' });
    expect(await planGate(h)).toEqual({ kind: 'Failed', events: [], reason: 'hook smoke-fail (PreTraffic) answered FAILED' });
    expect(lambda.invocations().map((i) => i.functionName)).toEqual(['smoke-ok', 'smoke-fail']);
  });
});
