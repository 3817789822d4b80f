/**
 * Lifecycle hooks end to end on the harness: the Service planner's gate (runHooks) plans InvokeHook
 * actions, the in-process action queue delivers them, the executor invokes the simulated Lambda of the
 * default services (smoke-ok answers SUCCEEDED, smoke-fail FAILED) and records the answers, and the
 * planner reads them at its next look (the executor wakes nobody, as in AWS).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import type { EnvironmentSpec } from '../../domain/spec';
import { Harness } from '../../local/harness';

const NAME = 'Web/Prod';
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function spec(harness: Harness, taskDefinition: string, hooks: Array<{ Stage: string; FunctionArn: string }>): EnvironmentSpec {
  return {
    Name: NAME,
    TaskDefinition: taskDefinition,
    Cluster: 'default',
    DeploymentType: 'Service',
    DesiredCount: 2,
    DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200, Hooks: hooks },
    Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: harness.services!.elbv2.targetGroupArn('web')! } },
  } as EnvironmentSpec;
}

const events = async (harness: Harness): Promise<EnvironmentEvent[]> => (await harness.eventLog.readEvents(NAME)).map((e) => e.event);

describe('lifecycle hooks on the harness: planned, invoked by the executor on the simulated Lambda, answered', () => {
  it('revision 1 with PreTraffic and PostTraffic smoke-ok: both invoked once, SUCCEEDED, Active; revision 2 with PreTraffic smoke-fail: rolled back (trigger Hook)', async () => {
    h = new Harness({ seed: 11, services: true, tickMs: 60_000 });
    const harness = h;
    const lambda = harness.services!.lambda;
    harness.world.addInstances({ count: 4, attributes: { stack: 'prod' } });
    await harness.command({ type: 'CreateEnvironment', spec: spec(harness, 'web:1', [
      { Stage: 'PreTraffic', FunctionArn: lambda.functionArn('smoke-ok') },
      { Stage: 'PostTraffic', FunctionArn: lambda.functionArn('smoke-ok') },
    ]) });
    await harness.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await harness.runUntil(async () => {
      const s = await harness.state(NAME);
      return s?.activeRevision === 1 && !s.deployment;
    }, 900_000);

    const deploymentId = (await events(harness)).find((e) => e.type === 'DeploymentStarted' && e.revision === 1) as Extract<EnvironmentEvent, { type: 'DeploymentStarted' }>;
    expect(lambda.invocations('smoke-ok').map((i) => i.payload)).toEqual([
      { EnvironmentName: NAME, Revision: 1, DeploymentId: deploymentId.deploymentId, Stage: 'PreTraffic' },
      { EnvironmentName: NAME, Revision: 1, DeploymentId: deploymentId.deploymentId, Stage: 'PostTraffic' },
    ]);
    expect((await events(harness)).filter((e) => e.type === 'HookAnswered').map((e) => e.type === 'HookAnswered' && [e.hook, e.stage, e.attempt, e.status])).toEqual([
      [0, 'PreTraffic', 1, 'SUCCEEDED'],
      [1, 'PostTraffic', 1, 'SUCCEEDED'],
    ]);

    await harness.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2', DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200, Hooks: [{ Stage: 'PreTraffic', FunctionArn: lambda.functionArn('smoke-fail') }] } } });
    await harness.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await harness.runUntil(async () => (await events(harness)).some((e) => e.type === 'RollbackTriggered'), 900_000);

    expect((await events(harness)).find((e) => e.type === 'RollbackTriggered')).toMatchObject({ trigger: 'Hook', reason: 'hook smoke-fail (PreTraffic) answered FAILED', to: 1 });
    expect(lambda.invocations('smoke-fail').map((i) => (i.payload as { Revision: number; Stage: string }))).toMatchObject([{ Revision: 2, Stage: 'PreTraffic' }]);
    expect(harness.errors).toEqual([]);
  });
});
