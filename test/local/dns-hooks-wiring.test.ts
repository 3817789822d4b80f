/**
 * The WeightedRecords and Hooks ports as the harness wires them (the AWS adapters over the simulated
 * Route 53 and Lambda of the default services): read the default world's weights, move them, see
 * the change INSYNC 60 s later on the virtual clock, invoke smoke-ok and smoke-fail. The hooks are the
 * executor's (it carries out InvokeHook), as in AWS: not the reconciler's, and the executor has no wake-ups.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../../local/harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('the harness wires WeightedRecords and Hooks over the simulated services', () => {
  it('reads web.example.internal (blue 100, green 0), sets 90/10 (PENDING), INSYNC after 60 s; hooks answer as the functions are set', async () => {
    h = new Harness({ seed: 3, services: true });
    const { weightedRecords } = h.deps;
    const { hooks } = h.executorDeps;
    expect(h.deps.hooks).toBeUndefined();
    expect(h.executorDeps.wakeups).toBeUndefined();
    const zone = h.services!.route53.hostedZone('example.internal')!.Id;
    expect((await weightedRecords!.read(zone, 'web.example.internal')).map((r) => [r.setIdentifier, r.weight, r.target])).toEqual([
      ['blue', 100, 'web-a.us-east-1.elb.amazonaws.com'],
      ['green', 0, 'web-b.us-east-1.elb.amazonaws.com'],
    ]);
    const { changeId, status } = await weightedRecords!.setWeights(zone, 'web.example.internal', { blue: 90, green: 10 });
    expect(status).toBe('PENDING');
    await h.runFor(59_000);
    expect(await weightedRecords!.changeStatus(changeId)).toBe('PENDING');
    await h.runFor(1_000);
    expect(await weightedRecords!.changeStatus(changeId)).toBe('INSYNC');
    expect(h.services!.route53.offeredLoad()).toEqual({ 'web-a': 90, 'web-b': 10 });

    const payload = { EnvironmentName: 'Web/Prod', Revision: 2, DeploymentId: 'Web/Prod:2@2024010100000000', Stage: 'PreTraffic' } as const;
    expect(await hooks!.invoke(h.services!.lambda.functionArn('smoke-ok'), payload)).toEqual({ hookStatus: 'SUCCEEDED' });
    expect((await hooks!.invoke(h.services!.lambda.functionArn('smoke-fail'), payload)).hookStatus).toBe('FAILED');
    expect(h.services!.lambda.invocations().map((i) => [i.functionName, i.payload])).toEqual([
      ['smoke-ok', payload],
      ['smoke-fail', payload],
    ]);
  });

  it('without services, neither port is wired', async () => {
    h = new Harness({ seed: 3 });
    expect(h.deps.weightedRecords).toBeUndefined();
    expect(h.executorDeps.hooks).toBeUndefined();
  });
});
