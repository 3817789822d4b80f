/**
 * Traffic shifting end to end (issue 10): `npm start` as a real process (20× speed, the default
 * world with revision web:2 answering every request 5xx) and `blox …` as real processes; every
 * weight is read from the simulator through the CLI (`blox sim list-records`, `blox sim
 * list-listener-rules`), as an operator would watch it.
 *
 * - Seed 001: a Service Canary over Route 53's weighted record web.example.internal (load balancers
 *   web-a and web-b) goes 10 → 50 → 100 with timed pauses; then the bad revision web:2 is caught at
 *   10 % by web-dns-5xx and rolled back: the weights back first, the revision Reverted, trigger Alarm.
 * - A Service Canary over web-alb's production rule (web-blue / web-green): an indefinite pause
 *   ended by promote-deployment; promote-deployment --full from the first pause; abort-deployment
 *   mid-step (weights back to the stable group, trigger Abort).
 * - BlueGreen behind the test rule: a PostTestTraffic hook answering FAILED rolls back before the
 *   production rule ever moves (trigger Hook); with smoke-ok, one flip and a short bake.
 *
 * The two load balancers are independent: the Route 53 flow and the ALB flows run side by side.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { ROOT, blox, rows, startStackProcess } from '../support/stack-process';

async function ok(url: string, args: string[], stdin = ''): Promise<string> {
  const result = await blox(url, args, stdin);
  if (result.code !== 0) throw new Error(`blox ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Polls `check` until it returns something; the last value seen is in the timeout's message. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check().catch((error: unknown) => ((last = error), undefined));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Status {
  Revisions: Array<{ EnvironmentRevision: number; Status: string; Desired: number; Current: number; StatusReason: string | null }>;
}
interface Description {
  ActiveRevision: number | null;
  Deployment: { Revision: number; Kind: string; Phase: string; Trigger: string; Reason: string | null } | null;
  LastDeployment: { Revision: number; Kind: string; Trigger: string; Reason: string | null } | null;
}
type Weights = Record<string, number>;

/** The default world, but revision web:2 answers every request with a 5xx (the world file's `traffic`). */
function worldFile(dir: string): string {
  const world = readFileSync(join(ROOT, 'local/cluster.yml'), 'utf8');
  expect(world).toMatch(/^traffic: \{\}$/m);
  const file = join(dir, 'cluster.yml');
  writeFileSync(file, world.replace(/^traffic: \{\}$/m, 'traffic:\n  "web:2": { errorRate: 1 }'));
  return file;
}

describe.concurrent('npm start: traffic shifting through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blox-traffic-'));
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(['--speed', '20', '--cluster-file', worldFile(dir)]);
  }, 90_000);
  afterAll(async () => {
    if (process.env.TRAFFIC_LOG) writeFileSync(process.env.TRAFFIC_LOG, stack?.output() ?? '');
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (name: string) => JSON.parse(await ok(stack.url, ['describe-environment-status', '--environment-name', name, '--all'])) as Status;
  const describeEnvironment = async (name: string) => JSON.parse(await ok(stack.url, ['describe-environment', '--environment-name', name])) as Description;
  const table = (s: Status) => s.Revisions.map((r) => [r.EnvironmentRevision, r.Status, r.Desired, r.Current]);
  const targetGroupArn = async (name: string) => {
    const groups = JSON.parse(await ok(stack.url, ['sim', 'list-target-groups'])) as { TargetGroups: Array<{ TargetGroupName: string; TargetGroupArn: string }> };
    return groups.TargetGroups.find((g) => g.TargetGroupName === name)!.TargetGroupArn;
  };
  /** web.example.internal's weights by set identifier (`blox sim list-records --table`). */
  const records = async (): Promise<Weights> =>
    Object.fromEntries(
      rows(await ok(stack.url, ['sim', 'list-records', '--hosted-zone', 'example.internal', '--table']))
        .filter((r) => r[0] === 'web.example.internal.' && r[1] === 'A')
        .map((r) => [r[2]!, Number(r[3])]),
    );
  /** web-alb's rule on `port` (80: production, 8080: test): its ARN and weights (`blox sim list-listener-rules --table`). */
  const rule = async (port: number): Promise<{ arn: string; weights: Weights }> => {
    const row = rows(await ok(stack.url, ['sim', 'list-listener-rules', '--load-balancer', 'web-alb', '--table'])).find((r) => r[1] === String(port) && r[2] === '1')!;
    return { arn: row.at(-1)!, weights: Object.fromEntries(row[3]!.split(',').map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])])) };
  };
  /** Polls until `done`, keeping each distinct value of `read` seen on the way, after `before` (read before the action watched). */
  async function watch<T>(what: string, before: T, read: () => Promise<T>, done: (value: T) => boolean | Promise<boolean>, timeoutMs = 240_000): Promise<T[]> {
    const seen: T[] = [before];
    // Key order does not matter (a rule lists its groups in the order they were last set).
    const key = (value: T) => JSON.stringify(value, Object.keys(value as object).sort());
    const note = (value: T) => {
      if (key(seen.at(-1)!) !== key(value)) seen.push(value);
    };
    await until(
      what,
      async () => {
        const value = await read();
        note(value);
        return (await done(value)) ? true : undefined;
      },
      timeoutMs,
    );
    // The last change may come between the read and `done` (at 20× a step takes well under a second): read once more.
    note(await read());
    return seen;
  }
  const activeOn = async (name: string, revision: number) => {
    const d = await describeEnvironment(name);
    return d.ActiveRevision === revision && d.Deployment === null;
  };
  const deploy = async (name: string, revision: number) => {
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', String(revision)]);
  };

  it("seed 001: Route 53 weights 10 → 50 → 100 with timed pauses; then a bad revision caught at 10 % by web-dns-5xx and rolled back, traffic first", async () => {
    const name = 'Web/Dns';
    const zone = (JSON.parse(await ok(stack.url, ['sim', 'list-records', '--hosted-zone', 'example.internal'])) as { HostedZone: { Id: string } }).HostedZone.Id.replace('/hostedzone/', '');
    const [webA, webB] = [await targetGroupArn('web-a'), await targetGroupArn('web-b')];
    const spec = (taskDefinition: string, pauseSeconds: number) =>
      [
        `Name: "${name}"`,
        `TaskDefinition: "${taskDefinition}"`,
        'Cluster: "default"',
        'DeploymentType: Service',
        'DesiredCount: 4',
        'DeploymentConfiguration:',
        '  Method: Canary',
        '  MinHealthyPercent: 100',
        `  Steps: [{ SetWeight: 10 }, { Pause: { Seconds: ${pauseSeconds} } }, { SetWeight: 50 }, { Pause: { Seconds: ${pauseSeconds} } }]`,
        '  Alarms:',
        '    AlarmNames: [web-dns-5xx]',
        'Service:',
        '  LoadBalancer:',
        '    ContainerName: web',
        '    ContainerPort: 80',
        'TrafficRouting:',
        '  Route53:',
        `    HostedZoneId: "${zone}"`,
        '    RecordName: web.example.internal',
        `    Blue: { SetIdentifier: blue, TargetGroupArn: "${webA}" }`,
        `    Green: { SetIdentifier: green, TargetGroupArn: "${webB}" }`,
        '',
      ].join('\n');
    expect(JSON.parse(await ok(stack.url, ['create-environment', '--yaml-file', '-'], spec('web:1', 60)))).toEqual({ EnvironmentRevision: 1 });
    await deploy(name, 1);
    // The first deployment: straight to its group (blue, already 100 %) at full size.
    await until('revision 1 Active', async () => ((await activeOn(name, 1)) ? true : undefined));
    expect(await records()).toEqual({ blue: 100, green: 0 });
    expect(table(await status(name))).toEqual([[1, 'Active', 4, 4]]);

    // A good revision (web:3): green 10 → (60 s) → 50 → (60 s) → 100, each weight set once, never backwards.
    await ok(stack.url, ['update-environment', '--environment', name, '--yaml-file', '-'], spec('web:3', 60));
    const beforeGood = await records();
    await deploy(name, 2);
    const good = await watch('revision 2 Active', beforeGood, records, () => activeOn(name, 2));
    expect(good).toEqual([
      { blue: 100, green: 0 },
      { blue: 90, green: 10 },
      { blue: 50, green: 50 },
      { blue: 0, green: 100 },
    ]);
    expect(table(await status(name))).toEqual([
      [1, 'Inactive', 0, 0],
      [2, 'Active', 4, 4],
    ]);

    // The bad revision (web:2, every request a 5xx) goes to blue, now the idle side, with 10-minute pauses:
    // at 10 % of the record's requests web-a + web-b answer 10 % 5xx (> 5 %) and web-dns-5xx goes ALARM.
    await ok(stack.url, ['update-environment', '--environment', name, '--yaml-file', '-'], spec('web:2', 600));
    const beforeBad = await records();
    await deploy(name, 3);
    const waiting = blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '150']);
    const bad = await watch('the rollback to revision 2', beforeBad, records, async () => (await describeEnvironment(name)).LastDeployment?.Kind === 'rollback' && (await activeOn(name, 2)));
    // Caught at 10 %: never further, and back to green 100.
    // (The 10 % lasts a few seconds of real time: a slow poll may miss it; never more than 10 %, and green 100 at the end.)
    expect(bad.every((w) => w.blue! <= 10 && w.blue! + w.green! === 100)).toBe(true);
    expect(bad.at(-1)).toEqual({ blue: 0, green: 100 });
    expect(stack.output()).toMatch(/TrafficWeightsObserved {2}environment=Web\/Dns weights=\[\{"targetGroupArn":"[^"]+web-a[^"]+","weight":10\}/);
    const waited = await waiting;
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/^blox: Web\/Dns:3 was rolled back \(it is Revert(ing|ed)\): alarm web-dns-5xx entered ALARM at \d{4}-\d\d-\d\dT[\d:.]+Z \(Threshold Crossed/);
    const described = await describeEnvironment(name);
    expect(described).toMatchObject({ Deployment: null, LastDeployment: { Revision: 2, Kind: 'rollback', Trigger: 'Alarm', Reason: expect.stringMatching(/^alarm web-dns-5xx entered ALARM at /) } });
    expect(table(await status(name))).toEqual([
      [1, 'Inactive', 0, 0],
      [2, 'Active', 4, 4],
      [3, 'Reverted', 0, 0],
    ]);
    expect((await status(name)).Revisions[2]!.StatusReason).toBe(described.LastDeployment!.Reason);
    // Traffic before capacity (the stack's log of events): the weights restored and INSYNC before the rollback completed.
    const log = stack.output();
    const triggered = log.search(/RollbackTriggered {2}environment=Web\/Dns trigger=Alarm/);
    const completed = log.search(/DeploymentCompleted {2}environment=Web\/Dns revision=2 retired=\[\{"revision":3,"status":"Reverted"\}\]/);
    const inSync = log.slice(triggered).search(/TrafficInSync {2}environment=Web\/Dns/);
    expect(triggered).toBeGreaterThan(-1);
    expect(inSync).toBeGreaterThan(-1);
    expect(triggered + inSync).toBeLessThan(completed);
  }, 300_000);

  describe.sequential('web-alb (one environment, one revision after another)', () => {
    const name = 'Web/Alb';
    const spec = async (taskDefinition: string, configuration: string[]) => {
      const [production, test] = [await rule(80), await rule(8080)];
      return [
        `Name: "${name}"`,
        `TaskDefinition: "${taskDefinition}"`,
        'Cluster: "default"',
        'DeploymentType: Service',
        'DesiredCount: 4',
        'DeploymentConfiguration:',
        '  MinHealthyPercent: 100',
        ...configuration.map((line) => `  ${line}`),
        'Service:',
        '  LoadBalancer:',
        '    ContainerName: web',
        '    ContainerPort: 80',
        'TrafficRouting:',
        '  Alb:',
        `    ListenerRuleArn: "${production.arn}"`,
        `    TestListenerRuleArn: "${test.arn}"`,
        `    BlueTargetGroupArn: "${await targetGroupArn('web-blue')}"`,
        `    GreenTargetGroupArn: "${await targetGroupArn('web-green')}"`,
        '',
      ].join('\n');
    };
    const canary = (taskDefinition: string) => spec(taskDefinition, ['Method: Canary', 'Steps: [{ SetWeight: 25 }, { Pause: {} }, { SetWeight: 50 }, { Pause: {} }]']);
    const production = async () => (await rule(80)).weights;
    let revision = 0;
    const next = async (yaml: string) => {
      revision += 1;
      const created = revision === 1 ? await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml) : await ok(stack.url, ['update-environment', '--environment', name, '--yaml-file', '-'], yaml);
      expect(JSON.parse(created)).toEqual({ EnvironmentRevision: revision });
      await deploy(name, revision);
      return revision;
    };
    const control = async (args: string[]) => JSON.parse(await ok(stack.url, [...args, '--environment-name', name, '--reason', 'e2e'])) as unknown;

    it('an indefinite Pause ended by promote-deployment: 25 → 50 → waits → promoted → web-green 100', async () => {
      await next(await canary('web:11'));
      await until('revision 1 Active', async () => ((await activeOn(name, 1)) ? true : undefined));
      expect(await production()).toEqual({ 'web-blue': 100, 'web-green': 0 });

      const before = await production();
      await next(await canary('web:12'));
      // Step 1 → 25, step 2 waits for promote: promote once → step 3 → 50, step 4 waits again.
      const first = await watch('25 %', before, production, (w) => w['web-green'] === 25);
      expect(first).toEqual([
        { 'web-blue': 100, 'web-green': 0 },
        { 'web-blue': 75, 'web-green': 25 },
      ]);
      // It waits: step 2 (Pause until promoted) started (the stack's log of events), then a later look at the rule still finds 25 %.
      const pausing = /TrafficStepStarted {2}environment=Web\/Alb step=1 steps=5 description=Pause until promoted/;
      await until('the pause until promoted', async () => (pausing.test(stack.output()) ? stack.output().search(pausing) : undefined));
      expect(await production()).toEqual({ 'web-blue': 75, 'web-green': 25 });
      expect((await describeEnvironment(name)).Deployment).toMatchObject({ Revision: 2, Kind: 'deploy' });
      await control(['promote-deployment']);
      const second = await watch('50 %', { 'web-blue': 75, 'web-green': 25 }, production, (w) => w['web-green'] === 50);
      expect(second.at(-1)).toEqual({ 'web-blue': 50, 'web-green': 50 });
      await control(['promote-deployment']);
      const rest = await watch('revision 2 Active', { 'web-blue': 50, 'web-green': 50 }, production, () => activeOn(name, 2));
      expect(rest).toEqual([
        { 'web-blue': 50, 'web-green': 50 },
        { 'web-blue': 0, 'web-green': 100 },
      ]);
      expect(table(await status(name))).toEqual([
        [1, 'Inactive', 0, 0],
        [2, 'Active', 4, 4],
      ]);
    }, 300_000);

    it('promote-deployment --full at the first pause: straight to 100, the 50 % step skipped', async () => {
      // Green is live now: the canary goes to blue.
      const before = await production();
      await next(await canary('web:13'));
      await watch('25 %', before, production, (w) => w['web-blue'] === 25);
      expect(await production()).toEqual({ 'web-blue': 25, 'web-green': 75 });
      await control(['promote-deployment', '--full']);
      const seen = await watch('revision 3 Active', { 'web-blue': 25, 'web-green': 75 }, production, () => activeOn(name, 3));
      expect(seen).toEqual([
        { 'web-blue': 25, 'web-green': 75 },
        { 'web-blue': 100, 'web-green': 0 },
      ]);
      expect(table(await status(name)).at(-1)).toEqual([3, 'Active', 4, 4]);
    }, 300_000);

    it('abort-deployment mid-step: the weights back to the stable group first, then the canary goes; trigger Abort', async () => {
      // Blue is live: the canary goes to green; aborted once it has its 25 %.
      const before = await production();
      await next(await canary('web:14'));
      await watch('25 %', before, production, (w) => w['web-green'] === 25);
      await control(['abort-deployment']);
      const seen = await watch('revision 3 Active again', { 'web-blue': 75, 'web-green': 25 }, production, () => activeOn(name, 3));
      expect(seen).toEqual([
        { 'web-blue': 75, 'web-green': 25 },
        { 'web-blue': 100, 'web-green': 0 },
      ]);
      expect(await describeEnvironment(name)).toMatchObject({ Deployment: null, LastDeployment: { Revision: 3, Kind: 'rollback', Trigger: 'Abort' } });
      expect(table(await status(name)).filter(([r]) => r === 3 || r === 4)).toEqual([
        [3, 'Active', 4, 4],
        [4, 'Reverted', 0, 0],
      ]);
    }, 300_000);

    const hook = (fn: string) => [
      'Method: BlueGreen',
      'BakeSeconds: 120',
      'Hooks:',
      `  - { Stage: PostTestTraffic, FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:${fn}" }`,
    ];

    it('BlueGreen with a PostTestTraffic hook answering FAILED: rolled back before any production traffic moved; trigger Hook', async () => {
      const before = await production();
      await next(await spec('web:15', hook('smoke-fail')));
      const tests: Weights[] = [];
      const seen = await watch(
        'the rollback to revision 3',
        before,
        async () => {
          const test = (await rule(8080)).weights;
          if (JSON.stringify(tests.at(-1)) !== JSON.stringify(test)) tests.push(test);
          return production();
        },
        async () => (await describeEnvironment(name)).LastDeployment?.Kind === 'rollback' && (await activeOn(name, 3)),
      );
      expect(seen).toEqual([{ 'web-blue': 100, 'web-green': 0 }]);
      expect(tests).toEqual([{ 'web-green': 100 }]);
      const described = await describeEnvironment(name);
      expect(described.LastDeployment).toMatchObject({ Revision: 3, Kind: 'rollback', Trigger: 'Hook', Reason: expect.stringMatching(/^hook smoke-fail \(PostTestTraffic\) answered FAILED/) });
      expect(table(await status(name)).filter(([r]) => r === 3 || r === 5)).toEqual([
        [3, 'Active', 4, 4],
        [5, 'Reverted', 0, 0],
      ]);
      const functions = rows(await ok(stack.url, ['sim', 'list-functions', '--table']));
      expect(functions.find((f) => f[0] === 'smoke-fail')?.at(-1)).toBe('1');
    }, 300_000);

    it('BlueGreen with smoke-ok: one flip of the production rule, a short bake, then blue is gone', async () => {
      const before = await production();
      await next(await spec('web:16', hook('smoke-ok')));
      const seen = await watch('revision 6 Active', before, production, () => activeOn(name, 6));
      expect(seen).toEqual([
        { 'web-blue': 100, 'web-green': 0 },
        { 'web-blue': 0, 'web-green': 100 },
      ]);
      expect(table(await status(name)).slice(-2)).toEqual([
        [5, 'Reverted', 0, 0],
        [6, 'Active', 4, 4],
      ]);
      const functions = rows(await ok(stack.url, ['sim', 'list-functions', '--table']));
      expect(functions.find((f) => f[0] === 'smoke-ok')?.at(-1)).toBe('1');
    }, 300_000);
  });
});
