/**
 * Traffic shifting end to end on the deterministic harness (issue 10): a Service Canary over the
 * simulated ALB `web-alb` (production rule web-blue / web-green, test rule on port 8080), and over
 * Route 53 (the weighted record web.example.internal between load balancers web-a and web-b). Each
 * step's weights are read back from the simulated ELBv2 / Route 53 by the AWS adapters, as the
 * planner reads them.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import type { EnvironmentSpec } from '../../domain/spec';
import { Elbv2ListenerRules } from '../../functions/adapters/elbv2-listener-rules';
import { Harness } from '../../local/harness';
import { DEFAULT_SIM_SERVICES } from '../../local/sim';

const NAME = 'Web/Canary';
const SERVICE = 'Web-Canary';

/** The production (port 80) and test (port 8080) rules of web-alb. */
async function albRules(h: Harness): Promise<{ production: string; test: string }> {
  const elbv2 = h.services!.elbv2;
  const [balancer] = (await elbv2.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers;
  const listeners = (await elbv2.describeListeners({ LoadBalancerArn: balancer!.LoadBalancerArn })).Listeners;
  const ruleOn = async (port: number) => {
    const listener = listeners.find((l) => l.Port === port)!;
    const rules = (await elbv2.describeRules({ ListenerArn: listener.ListenerArn })).Rules;
    return rules.find((r) => r.Priority !== 'default')!.RuleArn!;
  };
  return { production: await ruleOn(80), test: await ruleOn(8080) };
}

function albSpec(h: Harness, rules: { production: string; test: string }, config: Record<string, unknown>, desiredCount = 4): EnvironmentSpec {
  const elbv2 = h.services!.elbv2;
  return {
    Name: NAME,
    TaskDefinition: 'web:1',
    Cluster: 'default',
    DeploymentType: 'Service',
    DesiredCount: desiredCount,
    DeploymentConfiguration: { Method: 'Canary', MinHealthyPercent: 100, ...config },
    Service: { ServiceName: SERVICE, LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
    TrafficRouting: {
      Alb: { ListenerRuleArn: rules.production, TestListenerRuleArn: rules.test, BlueTargetGroupArn: elbv2.targetGroupArn('web-blue')!, GreenTargetGroupArn: elbv2.targetGroupArn('web-green')! },
    },
  } as EnvironmentSpec;
}

/** The production rule's weights by target group name (as DescribeRules has them). */
async function weights(h: Harness, rule: string): Promise<Record<string, number>> {
  const forward = await new Elbv2ListenerRules(h.services!.elbv2).describeForward(rule);
  return Object.fromEntries(forward.targetGroups.map((g) => [/targetgroup\/([^/]+)/.exec(g.targetGroupArn)![1]!, g.weight]));
}

/** Task sets of the service: [revision, status, tasks ECS keeps, target group name]. */
async function taskSets(h: Harness): Promise<Array<[string, string, number, string]>> {
  const service = await h.world.describeService('default', SERVICE);
  return (service?.taskSets ?? []).map((s) => [s.externalId ?? '?', s.status, s.computedDesiredCount, /targetgroup\/([^/]+)/.exec(s.loadBalancers[0]?.targetGroupArn ?? '')?.[1] ?? '-']);
}

async function events(h: Harness): Promise<EnvironmentEvent[]> {
  return (await h.eventLog.readEvents(NAME)).map((e) => e.event);
}

async function activeOn(h: Harness, revision: number): Promise<boolean> {
  const s = await h.state(NAME);
  return s?.activeRevision === revision && !s.deployment;
}

describe('Service Canary over ALB listener-rule weights (harness)', () => {
  it('steps 25 → pause 120 s → 50 → pause until promoted → 100: scale follows weight, weights verified, blue kept until done', async () => {
    const h = new Harness({ seed: 21, services: true, tickMs: 60_000 });
    h.world.addInstances({ count: 8, attributes: { stack: 'prod' } });
    const rules = await albRules(h);
    const steps = [{ SetWeight: 25 }, { Pause: { Seconds: 120 } }, { SetWeight: 50 }, { Pause: {} }];
    await h.command({ type: 'CreateEnvironment', spec: albSpec(h, rules, { Steps: steps }) });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 900_000);
    // The first deployment takes the live group (blue, 100 %) at full size: nothing to protect.
    expect(await taskSets(h)).toEqual([['1', 'PRIMARY', 4, 'web-blue']]);
    expect(await weights(h, rules.production)).toEqual({ 'web-blue': 100, 'web-green': 0 });

    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    // Step 1 (SetWeight 25): the canary in green at ceil(4 × 25 %) = 1 task, then 25 % once it is ready.
    await h.runUntil(async () => (await weights(h, rules.production))['web-green'] === 25, 900_000);
    expect(await taskSets(h)).toEqual([
      ['1', 'PRIMARY', 4, 'web-blue'],
      ['2', 'ACTIVE', 1, 'web-green'],
    ]);
    expect(await weights(h, rules.production)).toEqual({ 'web-blue': 75, 'web-green': 25 });
    // Step 4 (Pause {}): 50 % with ceil(4 × 50 %) = 2 tasks, and it waits there for promote-deployment.
    await h.runUntil(async () => (await h.state(NAME))?.engine?.traffic?.step?.index === 3, 900_000);
    const pausedAt = h.clock.now();
    expect(await weights(h, rules.production)).toEqual({ 'web-blue': 50, 'web-green': 50 });
    await h.runFor(600_000);
    expect(await weights(h, rules.production)).toEqual({ 'web-blue': 50, 'web-green': 50 });
    expect(await taskSets(h)).toEqual([
      ['1', 'PRIMARY', 4, 'web-blue'],
      ['2', 'ACTIVE', 2, 'web-green'],
    ]);
    // The timed pause lasted its 120 s: from 25 in effect to step 3's start.
    // (The first deployment walked its one step, SetWeight 100, of 1.)
    const started = (await events(h)).filter((e) => e.type === 'TrafficStepStarted' && e.steps === 5) as Array<Extract<EnvironmentEvent, { type: 'TrafficStepStarted' }>>;
    expect(started.map((e) => [e.step, e.steps, e.description])).toEqual([
      [0, 5, 'SetWeight 25'],
      [1, 5, 'Pause 120 s'],
      [2, 5, 'SetWeight 50'],
      [3, 5, 'Pause until promoted'],
    ]);
    expect(started[2]!.at - started[1]!.at).toBeGreaterThanOrEqual(120_000);
    expect(started[3]!.at).toBeLessThan(pausedAt + 1);
    // Not Stuck while paused: a pause is not "no progress".
    expect((await h.state(NAME))?.engine?.health).toBeUndefined();

    await h.command({ type: 'PromoteDeployment', name: NAME, full: false, caller: 'test', reason: 'canary looks good' });
    await h.runUntil(() => activeOn(h, 2), 900_000);
    expect(await weights(h, rules.production)).toEqual({ 'web-blue': 0, 'web-green': 100 });
    expect(await taskSets(h)).toEqual([['2', 'PRIMARY', 4, 'web-green']]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});

describe('Service Canary over Route 53 weighted records (harness)', () => {
  it('10 → 100 with each step in effect (INSYNC) before the next', async () => {
    const h = new Harness({ seed: 22, services: true, tickMs: 60_000 });
    h.world.addInstances({ count: 8, attributes: { stack: 'prod' } });
    const zoneId = h.services!.route53.hostedZone('example.internal')!.Id.replace('/hostedzone/', '');
    const elbv2 = h.services!.elbv2;
    const spec = {
      Name: NAME,
      TaskDefinition: 'web:1',
      Cluster: 'default',
      DeploymentType: 'Service',
      DesiredCount: 4,
      DeploymentConfiguration: { Method: 'Canary', MinHealthyPercent: 100, Steps: [{ SetWeight: 10 }, { Pause: { Seconds: 60 } }] },
      Service: { ServiceName: SERVICE, LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
      TrafficRouting: {
        Route53: {
          HostedZoneId: zoneId,
          RecordName: 'web.example.internal',
          Blue: { SetIdentifier: 'blue', TargetGroupArn: elbv2.targetGroupArn('web-a')! },
          Green: { SetIdentifier: 'green', TargetGroupArn: elbv2.targetGroupArn('web-b')! },
        },
      },
    } as EnvironmentSpec;
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 900_000);
    // Read from the simulator's own view (not through the API: Route 53's 5 requests a second are the engine's).
    const dns = async () =>
      Object.fromEntries(
        h.services!.route53.describeRecords('example.internal')
          .filter((r) => r.Name === 'web.example.internal.' && r.SetIdentifier !== undefined)
          .map((r) => [r.SetIdentifier!, r.Weight!]),
      );
    expect(await dns()).toEqual({ blue: 100, green: 0 });

    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => (await dns()).green === 10, 900_000);
    const submitted = h.clock.now();
    // The pause starts only once the change is INSYNC (60 s of simulated propagation by default).
    await h.runUntil(async () => (await events(h)).some((e) => e.type === 'TrafficInSync'), 900_000);
    const inSync = (await events(h)).find((e) => e.type === 'TrafficInSync')!;
    expect(inSync.at - submitted).toBeGreaterThanOrEqual(55_000);
    const pause = (await events(h)).find((e) => e.type === 'TrafficStepStarted' && e.step === 1)!;
    expect(pause.at).toBeGreaterThanOrEqual(inSync.at);
    await h.runUntil(() => activeOn(h, 2), 1_800_000);
    expect(await dns()).toEqual({ blue: 0, green: 100 });
    expect(await taskSets(h)).toEqual([['2', 'PRIMARY', 4, 'web-b']]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});

describe("seed 001's flow: Route 53 weights between two load balancers, a bad revision caught at 10 %", () => {
  it('web-dns-5xx enters ALARM while the canary has 10 %: the weights go back to blue (INSYNC) before the canary is scaled down', async () => {
    // Revision 2 answers every request with a 5xx: at 10 % of the record's traffic, 10 % of web-a + web-b's requests fail (> 5 %).
    const h = new Harness({ seed: 23, services: { ...DEFAULT_SIM_SERVICES, traffic: { 'web:2': { errorRate: 1 } } }, tickMs: 60_000 });
    h.world.addInstances({ count: 8, attributes: { stack: 'prod' } });
    const zoneId = h.services!.route53.hostedZone('example.internal')!.Id.replace('/hostedzone/', '');
    const elbv2 = h.services!.elbv2;
    const spec = {
      Name: NAME,
      TaskDefinition: 'web:1',
      Cluster: 'default',
      DeploymentType: 'Service',
      DesiredCount: 4,
      DeploymentConfiguration: {
        Method: 'Canary',
        MinHealthyPercent: 100,
        Steps: [{ SetWeight: 10 }, { Pause: { Seconds: 600 } }, { SetWeight: 50 }, { Pause: { Seconds: 600 } }],
        Alarms: { AlarmNames: ['web-dns-5xx'], Rollback: true },
      },
      Service: { ServiceName: SERVICE, LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
      TrafficRouting: {
        Route53: {
          HostedZoneId: zoneId,
          RecordName: 'web.example.internal',
          Blue: { SetIdentifier: 'blue', TargetGroupArn: elbv2.targetGroupArn('web-a')! },
          Green: { SetIdentifier: 'green', TargetGroupArn: elbv2.targetGroupArn('web-b')! },
        },
      },
    } as EnvironmentSpec;
    const dns = () =>
      Object.fromEntries(
        h.services!.route53.describeRecords('example.internal')
          .filter((r) => r.Name === 'web.example.internal.' && r.SetIdentifier !== undefined)
          .map((r) => [r.SetIdentifier!, r.Weight!]),
      );
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 900_000);
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => dns().green === 10, 900_000);
    await h.runUntil(async () => (await events(h)).some((e) => e.type === 'RollbackTriggered'), 900_000);
    const trigger = (await events(h)).find((e) => e.type === 'RollbackTriggered')!;
    expect(trigger).toMatchObject({ trigger: 'Alarm', to: 1 });
    expect((trigger as { reason: string }).reason).toMatch(/^alarm web-dns-5xx entered ALARM at /);
    // Caught at 10 %: the weights never went further.
    expect(dns()).toEqual({ blue: 90, green: 10 });
    // Traffic first: blue has it all back while the canary's task set still runs.
    await h.runUntil(() => dns().green === 0, 900_000);
    expect(dns()).toEqual({ blue: 100, green: 0 });
    expect((await taskSets(h)).map(([revision, , tasks]) => [revision, tasks])).toEqual([
      ['1', 4],
      ['2', 1],
    ]);
    await h.runUntil(() => activeOn(h, 1), 900_000);
    const completed = (await events(h)).filter((e) => e.type === 'DeploymentCompleted').at(-1);
    expect(completed).toMatchObject({ revision: 1, retired: [{ revision: 2, status: 'Reverted' }] });
    // The canary's task set deleted (DRAINING at 0 until ECS forgets it).
    expect((await taskSets(h)).filter(([, status]) => status !== 'DRAINING')).toEqual([['1', 'PRIMARY', 4, 'web-a']]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});

describe('Service BlueGreen over the ALB (harness)', () => {
  async function blueGreen(hook: 'smoke-ok' | 'smoke-fail', seed: number) {
    const h = new Harness({ seed, services: true, tickMs: 60_000 });
    h.world.addInstances({ count: 8, attributes: { stack: 'prod' } });
    const rules = await albRules(h);
    const hooks = [{ Stage: 'PostTestTraffic', FunctionArn: h.services!.lambda.functionArn(hook) }];
    await h.command({ type: 'CreateEnvironment', spec: albSpec(h, rules, { Method: 'BlueGreen', BakeSeconds: 120, Hooks: hooks }) });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 900_000);
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    return { h, rules };
  }

  it('green at full size behind the test rule, PostTestTraffic smoke-ok, one flip, a bake with blue at full size, then blue deleted', async () => {
    const { h, rules } = await blueGreen('smoke-ok', 31);
    const production: Array<Record<string, number>> = [];
    await h.runUntil(async () => {
      const w = await weights(h, rules.production);
      if (JSON.stringify(production.at(-1)) !== JSON.stringify(w)) production.push(w);
      return (await h.state(NAME))?.engine?.phase?.phase === 'Baking';
    }, 900_000);
    // One change of the production rule: blue 100 → green 100, nothing in between.
    expect(production).toEqual([
      { 'web-blue': 100, 'web-green': 0 },
      { 'web-blue': 0, 'web-green': 100 },
    ]);
    expect(await weights(h, rules.test)).toEqual({ 'web-green': 100 });
    // The bake: blue still at full size, no traffic.
    expect(await taskSets(h)).toEqual([
      ['1', 'PRIMARY', 4, 'web-blue'],
      ['2', 'ACTIVE', 4, 'web-green'],
    ]);
    const invoked = (await events(h)).filter((e) => e.type === 'HookInvoked' || e.type === 'HookAnswered').map((e) => e.type);
    expect(invoked).toEqual(['HookInvoked', 'HookAnswered']);
    await h.runUntil(() => activeOn(h, 2), 900_000);
    expect((await taskSets(h)).filter(([, status]) => status !== 'DRAINING')).toEqual([['2', 'PRIMARY', 4, 'web-green']]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a failing PostTestTraffic hook rolls back before any production request reached green (trigger Hook)', async () => {
    const { h, rules } = await blueGreen('smoke-fail', 32);
    let touched = false;
    await h.runUntil(async () => {
      if ((await weights(h, rules.production))['web-green'] !== 0) touched = true;
      return activeOn(h, 1);
    }, 900_000);
    expect(touched).toBe(false);
    const trigger = (await events(h)).find((e) => e.type === 'RollbackTriggered');
    expect(trigger).toMatchObject({ trigger: 'Hook', to: 1 });
    expect((trigger as { reason: string }).reason).toMatch(/^hook smoke-fail \(PostTestTraffic\) answered FAILED/);
    expect(await weights(h, rules.production)).toEqual({ 'web-blue': 100, 'web-green': 0 });
    expect((await taskSets(h)).filter(([, status]) => status !== 'DRAINING')).toEqual([['1', 'PRIMARY', 4, 'web-blue']]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});

describe('controls of a traffic rollout (harness)', () => {
  async function canaryAt50(seed: number) {
    const h = new Harness({ seed, services: true, tickMs: 60_000 });
    h.world.addInstances({ count: 8, attributes: { stack: 'prod' } });
    const rules = await albRules(h);
    const steps = [{ SetWeight: 25 }, { Pause: {} }, { SetWeight: 50 }, { Pause: {} }];
    await h.command({ type: 'CreateEnvironment', spec: albSpec(h, rules, { Steps: steps }) });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 900_000);
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => (await h.state(NAME))?.engine?.traffic?.step?.index === 1, 900_000);
    return { h, rules };
  }

  it('promote --full at the first pause: straight to 100 (the canary scaled to D first), the later steps skipped', async () => {
    const { h, rules } = await canaryAt50(41);
    expect(await weights(h, rules.production)).toEqual({ 'web-blue': 75, 'web-green': 25 });
    await h.command({ type: 'PromoteDeployment', name: NAME, full: true, caller: 'test' });
    const seen = new Set<string>();
    await h.runUntil(async () => {
      seen.add(JSON.stringify(await weights(h, rules.production)));
      return activeOn(h, 2);
    }, 900_000);
    // Never 50: the step was skipped.
    expect([...seen].map((w) => JSON.parse(w) as Record<string, number>)).toEqual([
      { 'web-blue': 75, 'web-green': 25 },
      { 'web-blue': 0, 'web-green': 100 },
    ]);
    const started = (await events(h)).filter((e) => e.type === 'TrafficStepStarted' && e.steps === 5).map((e) => (e as { description: string }).description);
    expect(started).toEqual(['SetWeight 25', 'Pause until promoted', 'SetWeight 100']);
    await h.stop();
  });

  it('abort-deployment at 25 %: the weights go back to blue before the canary set is deleted; trigger Abort', async () => {
    const { h, rules } = await canaryAt50(42);
    await h.command({ type: 'AbortDeployment', name: NAME, caller: 'test', reason: 'errors in the canary' });
    await h.runUntil(async () => (await weights(h, rules.production))['web-green'] === 0, 900_000);
    // Traffic first: the canary's task set still has its task when blue has all the traffic back.
    expect((await taskSets(h)).map(([revision, status, tasks]) => [revision, status, tasks])).toEqual([
      ['1', 'PRIMARY', 4],
      ['2', 'ACTIVE', 1],
    ]);
    await h.runUntil(() => activeOn(h, 1), 900_000);
    const completed = (await events(h)).filter((e) => e.type === 'DeploymentCompleted').at(-1);
    expect(completed).toMatchObject({ revision: 1, retired: [{ revision: 2, status: 'Reverted' }] });
    expect((await h.state(NAME))?.lastDeployment?.trigger).toMatchObject({ kind: 'Abort' });
    await h.stop();
  });
});
