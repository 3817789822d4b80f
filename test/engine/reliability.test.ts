/**
 * The engine's reliability on the deterministic harness: many small seeded deployments under
 * faults (every ECS event and every SQS message delivered twice and reordered, the executor killed
 * between its ECS call and its record, ECS throttling, instances removed or drained mid-deploy),
 * with the safety invariants checked on the world after every clock step:
 *
 * - never two tasks of the deploying revision alive (not STOPPED) on one instance;
 * - after the environment's first deployment, the matching ACTIVE instances with a RUNNING task
 *   never drop below ceil(N × MinHealthyPercent / 100) for Replace, below N for Surge;
 * - Surge never has more than MaxOver instances running two copies (an old task and a new one);
 * - at the end: Active, exactly one RUNNING task of the target revision on every matching ACTIVE
 *   instance, no live task of an old revision, nothing anywhere else.
 *
 * Every case is a pure function of its seed: a failure message names the case to replay.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../domain/environment';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';
import type { ClusterTask } from '../../functions/ports';
import type { HarnessOptions } from '../../local/harness';
import { Harness } from '../../local/harness';
import { mulberry32 } from '../../local/sim';

const NAME = 'SomeEnvironment/Prod';
const TAG_REVISION = 'blox:revision';

interface Case {
  seed: number;
  instances: number;
  method: 'Replace' | 'Surge';
  minHealthyPercent: number;
  maxOver: number | `${number}%`;
  startSeconds: number;
  stopSeconds: number;
  /** 'none': RUNNING is ready; 'healthy': HEALTHY `healthyAfterSeconds` after RUNNING (polled). */
  health: 'none' | 'healthy';
  healthyAfterSeconds: number;
  /** Instances outside the group (`stack: other`): they must never get a task. */
  others: number;
}

/**
 * A random deployment whose Replace budget is at least 1 (ceil(N × MinHealthyPercent / 100) < N):
 * with a budget of 0, Replace is Stuck by design (tested on its own below).
 */
function randomCase(seed: number): Case {
  const random = mulberry32(seed * 2654435761);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const instances = int(1, 12);
  const method = random() < 0.5 ? 'Replace' : 'Surge';
  const maxReplaceMhp = Math.floor((100 * (instances - 1)) / instances);
  const minHealthyPercent = method === 'Replace' ? int(0, maxReplaceMhp) : int(0, 100);
  const maxOver: Case['maxOver'] = random() < 0.5 ? int(1, 4) : `${int(1, 100)}%`;
  return {
    seed,
    instances,
    method,
    minHealthyPercent,
    maxOver,
    startSeconds: int(0, 30),
    stopSeconds: int(0, 10),
    health: random() < 0.25 ? 'healthy' : 'none',
    healthyAfterSeconds: int(0, 5),
    others: int(0, 2),
  };
}

const minAvailableOf = (n: number, percent: number) => Math.ceil((n * percent) / 100);
const maxSurgeOf = (n: number, maxOver: number | `${number}%`) =>
  typeof maxOver === 'number' ? maxOver : Math.max(1, Math.floor((n * Number(maxOver.slice(0, -1))) / 100));

const spec = (c: Pick<Case, 'method' | 'minHealthyPercent' | 'maxOver'>, extra: Record<string, unknown> = {}): EnvironmentSpec =>
  ({
    Name: NAME,
    TaskDefinition: 'daemon:1',
    Cluster: 'default',
    InstanceGroup: { Query: 'attribute:stack == prod' },
    DeploymentType: 'Daemon',
    DeploymentConfiguration: { Method: c.method, MinHealthyPercent: c.minHealthyPercent, MaxOver: c.maxOver, ...extra },
  }) as EnvironmentSpec;

const revisionOf = (t: ClusterTask) => Number(t.tags[TAG_REVISION]);
const alive = (t: ClusterTask) => t.lastStatus !== 'STOPPED';
const running = (t: ClusterTask) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING';

/** What the world looked like at its worst, sampled after every clock step. */
interface Watch {
  violations: string[];
  /** Clock steps sampled. */
  steps: number;
  /** Steps at which the world had changed, and was checked. */
  checked: number;
  /** Something changed since the last check (see `watchWorld`). */
  dirty: boolean;
  /** The fewest matching ACTIVE instances with a RUNNING task seen while deploying over an old revision. */
  minAvailable: number;
  /** The most instances with two copies seen. */
  maxDoubled: number;
}

/** The safety rules of one deployment phase, checked against the world. */
interface Rules {
  target: number;
  /** The floor of available instances (0 for the first deployment). */
  floor: (n: number) => number;
  /** How many instances may have two copies (Infinity for Replace: it never has two). */
  doubled: (n: number) => number;
  /**
   * Check the floor and the surge limit. Off when instances leave mid-deploy: both are computed
   * from N, which then drops under the planner's feet (an instance terminated while it was being
   * replaced takes its availability with it).
   */
  checkFloor: boolean;
}

function matchingActive(h: Harness): Set<string> {
  return new Set(
    h.world
      .describeInstances()
      .filter((i) => i.status === 'ACTIVE' && i.attributes.stack === 'prod')
      .map((i) => i.arn),
  );
}

/**
 * A watch on the world that knows when it changed: a step at which nothing changed needs no check
 * (checking is most of a small harness's cost). Every change the rules look at (task and instance
 * statuses) happens in StartTask or StopTask, or in a world timer, which emits an event delivered
 * within the same clock step — before the step's sample. Health changes emit nothing, but the
 * rules only look at RUNNING.
 */
function watchWorld(h: Harness): Watch {
  const watch: Watch = { violations: [], steps: 0, checked: 0, dirty: true, minAvailable: Infinity, maxDoubled: 0 };
  h.world.onEvent(() => (watch.dirty = true));
  const world = h.world as unknown as Record<'startTask' | 'stopTask', (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['startTask', 'stopTask'] as const) {
    const original = world[name].bind(h.world);
    world[name] = (...args) => {
      watch.dirty = true;
      return original(...args);
    };
  }
  return watch;
}

/** Checks the rules on the world now; records the first few violations in `watch`. */
function sample(h: Harness, rules: Rules, watch: Watch): void {
  watch.steps++;
  if (!watch.dirty) return;
  watch.dirty = false;
  watch.checked++;
  const active = matchingActive(h);
  const tasks = h.world.describeTasks();
  const byInstance = new Map<string, ClusterTask[]>();
  for (const t of tasks) if (alive(t)) byInstance.set(t.containerInstanceArn, [...(byInstance.get(t.containerInstanceArn) ?? []), t]);
  const at = () => `t=${(h.clock.now() / 1000).toFixed(3)}`;
  const violate = (message: string) => {
    if (watch.violations.length < 5) watch.violations.push(`${at()}: ${message}`);
  };
  let available = 0;
  let doubled = 0;
  for (const [instance, live] of byInstance) {
    const targets = live.filter((t) => revisionOf(t) === rules.target).length;
    if (targets > 1) violate(`${targets} tasks of revision ${rules.target} alive on ${instance.slice(-8)}`);
    if (targets >= 1 && live.some((t) => revisionOf(t) !== rules.target)) doubled++;
  }
  for (const instance of active) if ((byInstance.get(instance) ?? []).some(running)) available++;
  const n = active.size;
  if (rules.checkFloor && available < rules.floor(n)) violate(`${available} of ${n} instances available, floor ${rules.floor(n)}`);
  if (rules.checkFloor && doubled > rules.doubled(n)) violate(`${doubled} instances with two copies, MaxOver allows ${rules.doubled(n)}`);
  watch.minAvailable = Math.min(watch.minAvailable, available);
  watch.maxDoubled = Math.max(watch.maxDoubled, doubled);
}

/**
 * The end state: Active on `revision`, one RUNNING task of it per matching ACTIVE instance, no
 * live task of another revision. A task of `revision` may stay on a DRAINING instance of the group
 * (the planner's target: "DRAINING instances get no new task"; ECS leaves standalone tasks there).
 */
async function checkConverged(h: Harness, revision: number): Promise<string[]> {
  const problems: string[] = [];
  const state = await h.state(NAME);
  const active = matchingActive(h);
  const draining = new Set(
    h.world
      .describeInstances()
      .filter((i) => i.status === 'DRAINING' && i.attributes.stack === 'prod')
      .map((i) => i.arn),
  );
  if (state?.activeRevision !== revision || state.deployment) problems.push(`not Active on ${revision}: ${JSON.stringify(table(state))}`);
  const row = state?.revisions.find((r) => r.revision === revision);
  if (row && (row.desired !== active.size || row.current < active.size)) problems.push(`revision ${revision} shows ${row.desired}/${row.current}, expected ${active.size}`);
  const tasks = h.world.describeTasks();
  for (const instance of active) {
    const here = tasks.filter((t) => t.containerInstanceArn === instance && alive(t));
    if (here.length !== 1 || !running(here[0]!) || revisionOf(here[0]!) !== revision) {
      problems.push(`${instance.slice(-8)} runs ${JSON.stringify(here.map((t) => [revisionOf(t), t.lastStatus, t.desiredStatus]))}`);
    }
  }
  const strays = tasks.filter((t) => alive(t) && !active.has(t.containerInstanceArn) && !(draining.has(t.containerInstanceArn) && revisionOf(t) === revision));
  if (strays.length > 0) problems.push(`${strays.length} task(s) alive outside the group's ACTIVE instances`);
  return problems;
}

const table = (state: EnvironmentState | undefined) => (state?.revisions ?? []).map((r) => [r.revision, displayStatus(r), r.desired, r.current]);

async function isActive(h: Harness, revision: number): Promise<boolean> {
  const s = await h.state(NAME);
  return s?.activeRevision === revision && !s.deployment;
}

/** A harness with the cluster and the environment, revision 1 deployed (initial: no floor), watched. */
async function setUp(c: Case, options: HarnessOptions = {}, extra: Record<string, unknown> = {}): Promise<{ h: Harness; watch: Watch }> {
  return prepare(new Harness({ seed: c.seed, ...options }), c, extra);
}

async function prepare(h: Harness, c: Case, extra: Record<string, unknown> = {}): Promise<{ h: Harness; watch: Watch }> {
  for (const td of ['daemon:1', 'daemon:2']) {
    h.world.configureTaskDefinition(td, {
      startSeconds: c.startSeconds,
      stopSeconds: c.stopSeconds,
      health: c.health,
      healthyAfterSeconds: c.healthyAfterSeconds,
    });
  }
  h.world.addInstances({ count: c.instances, attributes: { stack: 'prod' } });
  if (c.others > 0) h.world.addInstances({ count: c.others, attributes: { stack: 'other' } });
  await h.command({ type: 'CreateEnvironment', spec: spec(c, extra) });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
  const watch = watchWorld(h);
  const rules: Rules = { target: 1, floor: () => 0, doubled: () => 0, checkFloor: false };
  await h.runUntil(() => (sample(h, rules, watch), isActive(h, 1)), 3_600_000);
  return { h, watch };
}

/** Deploys revision 2 over revision 1, sampling the world after every step; returns the virtual time it took. */
async function deployRevision2(h: Harness, c: Case, watch: Watch, options: { checkFloor?: boolean; during?: (h: Harness) => void } = {}): Promise<number> {
  await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'daemon:2' } });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
  const rules: Rules = {
    target: 2,
    floor: (n) => (c.method === 'Surge' ? n : minAvailableOf(n, c.minHealthyPercent)),
    doubled: (n) => (c.method === 'Surge' ? maxSurgeOf(n, c.maxOver) : 0),
    checkFloor: options.checkFloor ?? true,
  };
  const t0 = h.clock.now();
  // The extremes of this deployment only (the first one starts from nothing available).
  watch.minAvailable = Infinity;
  watch.maxDoubled = 0;
  await h.runUntil(() => {
    options.during?.(h);
    sample(h, rules, watch);
    return isActive(h, 2);
  }, 3_600_000);
  return h.clock.now() - t0;
}

/** What a stuck case looked like: the revision table, the planner's view, the tasks per instance. */
async function diagnose(h: Harness): Promise<string> {
  const state = await h.state(NAME);
  const engine = state?.engine;
  const tasks = h.world.describeTasks().map((t) => `${t.containerInstanceArn.slice(-6)}:r${revisionOf(t)}:${t.lastStatus}/${t.desiredStatus}:${(t.tags['blox:action'] ?? '').slice(-8)}`);
  const instances = h.world.describeInstances().map((i) => `${i.arn.slice(-6)}:${i.status}:${i.attributes.stack}`);
  return [
    `table ${JSON.stringify(table(state))}`,
    `engine ${JSON.stringify(engine && { health: engine.health, launches: engine.launches, stops: engine.stops, failures: engine.failures, progressMark: engine.progressMark })}`,
    `instances ${instances.join(' ')}`,
    `tasks ${tasks.join(' ')}`,
    `errors ${h.errors.length}: ${h.errors.slice(0, 3).map(String).join(' | ')}`,
    `queue ${JSON.stringify(h.queue.stats())}`,
  ].join('\n      ');
}

const targetTasks = (h: Harness, revision: number) => h.world.describeTasks().filter((t) => revisionOf(t) === revision);

/** Across the randomized cases: how hard the rules were pressed, and what the runs cost. */
const pressure = { cases: 0, replaceAtFloor: 0, replaceCases: 0, surgeAtLimit: 0, surgeCases: 0, steps: 0, checked: 0, virtualMs: 0, wallMs: 0 };

/** The faults the randomized cases got (`Harness.faults`): proof that they were there. */
const injected = { duplicatedEvents: 0, duplicatedActions: 0, deduplicatedRequests: 0 };

/** One full case: deploy 1, then 2, watched; returns what went wrong (nothing, hopefully). */
async function runCase(c: Case, options: HarnessOptions): Promise<{ problems: string[]; steps: number; extra: number }> {
  const started = performance.now();
  const { h, watch } = await setUp(c, options);
  const problems: string[] = [];
  try {
    const virtualMs = await deployRevision2(h, c, watch);
    // Pressure: did the rollout use its whole budget (the floor reached, the surge limit reached)?
    const n = c.instances;
    pressure.cases++;
    pressure.steps += watch.steps;
    pressure.checked += watch.checked;
    pressure.virtualMs += virtualMs;
    pressure.wallMs += performance.now() - started;
    if (c.method === 'Replace') {
      pressure.replaceCases++;
      if (watch.minAvailable === minAvailableOf(n, c.minHealthyPercent)) pressure.replaceAtFloor++;
    } else {
      pressure.surgeCases++;
      if (watch.maxDoubled === Math.min(n, maxSurgeOf(n, c.maxOver))) pressure.surgeAtLimit++;
    }
    problems.push(...watch.violations, ...(await checkConverged(h, 2)));
    // Nothing crashed and nothing failed: one StartTask effect per instance, no more.
    const extra = targetTasks(h, 2).length - c.instances;
    if (extra !== 0) problems.push(`${extra} extra task(s) of revision 2 started`);
    if (h.errors.length > 0) problems.push(`errors: ${String(h.errors[0])}`);
    injected.duplicatedEvents += h.faults.duplicatedEvents;
    injected.duplicatedActions += h.faults.duplicatedActions;
    injected.deduplicatedRequests += h.reconciles.sent.deduplicated;
    return { problems, steps: watch.steps, extra };
  } catch (error) {
    return { problems: [...watch.violations, String(error), await diagnose(h)], steps: watch.steps, extra: 0 };
  } finally {
    await h.stop();
  }
}

describe('1,000 randomized deployments, every ECS event and SQS message delivered twice and reordered', () => {
  const BATCHES = 10;
  const PER_BATCH = 100;
  it.each(Array.from({ length: BATCHES }, (_, b) => [b * PER_BATCH + 1, (b + 1) * PER_BATCH]))(
    'seeds %i–%i: every deployment converges, no extra task, no constraint breach',
    async (from, to) => {
      const failures: string[] = [];
      for (let seed = from; seed <= to; seed++) {
        const c = randomCase(seed);
        const { problems } = await runCase(c, { duplicateAndReorder: true });
        if (problems.length > 0) failures.push(`${JSON.stringify(c)}\n    ${problems.join('\n    ')}`);
      }
      expect(failures).toEqual([]);
    },
    60_000,
  );
});

describe('the randomized cases pressed the rules', () => {
  it('most rollouts ran at the floor (Replace) or at the surge limit (Surge): the checks were not vacuous', () => {
    expect(pressure.cases).toBe(1000);
    // The faults fired: events delivered twice (their second reconcile request dropped by the FIFO
    // queue's deduplication), actions received a second time as redeliveries.
    expect(injected.duplicatedEvents).toBeGreaterThan(10_000);
    expect(injected.deduplicatedRequests).toBeGreaterThan(5_000);
    expect(injected.duplicatedActions).toBeGreaterThan(2_000);
    expect(pressure.replaceAtFloor / pressure.replaceCases).toBeGreaterThan(0.5);
    expect(pressure.surgeAtLimit / pressure.surgeCases).toBeGreaterThan(0.5);
    console.info(
      `1,000 cases (2,000 deployments): ${pressure.replaceAtFloor}/${pressure.replaceCases} Replace rollouts reached the floor, ` +
        `${pressure.surgeAtLimit}/${pressure.surgeCases} Surge rollouts the surge limit; ${Math.round(pressure.steps / pressure.cases)} clock steps per case ` +
        `(${Math.round(pressure.checked / pressure.cases)} checked), ${(pressure.virtualMs / pressure.cases / 1000).toFixed(1)} s of virtual time per rollout, ` +
        `${(pressure.wallMs / pressure.cases).toFixed(1)} ms of wall time per case; ` +
        `${injected.duplicatedEvents} ECS events delivered twice (${injected.deduplicatedRequests} duplicate reconcile requests dropped), ` +
        `${injected.duplicatedActions} actions received twice`,
    );
  });
});

describe('faults', () => {
  it('the executor killed after every ECS call (once per action and task): converges, no duplicate task', async () => {
    const failures: string[] = [];
    const fired = { crashes: 0, deadInvocations: 0, duplicatedActions: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const c = randomCase(5000 + seed);
      const { h, watch } = await setUp(c, { crashExecutorAfterEcs: () => true, duplicateAndReorder: seed % 2 === 0 });
      try {
        await deployRevision2(h, c, watch).catch(async (error: unknown) => {
          throw new Error(`${String(error)}\n    ${await diagnose(h)}`);
        });
        const problems = [...watch.violations, ...(await checkConverged(h, 2))];
        // Every StartTask effect counted: exactly one task of each revision per instance.
        for (const revision of [1, 2]) {
          const perInstance = new Map<string, number>();
          for (const t of targetTasks(h, revision)) perInstance.set(t.containerInstanceArn, (perInstance.get(t.containerInstanceArn) ?? 0) + 1);
          if (perInstance.size !== c.instances || [...perInstance.values()].some((n) => n !== 1)) {
            problems.push(`revision ${revision}: tasks per instance ${JSON.stringify([...perInstance.values()])}`);
          }
        }
        // Every action did crash once (and was redelivered): the fault was really there.
        if (h.queue.stats().deadLetters > 0) problems.push('dead letters');
        if (h.faults.crashesAfterEcs === 0 || h.faults.deadInvocations === 0) problems.push(`the executor never died: ${JSON.stringify(h.faults)}`);
        fired.crashes += h.faults.crashesAfterEcs;
        fired.deadInvocations += h.faults.deadInvocations;
        fired.duplicatedActions += h.faults.duplicatedActions;
        if (problems.length > 0) failures.push(`${JSON.stringify(c)}\n    ${problems.join('\n    ')}`);
      } finally {
        await h.stop();
      }
    }
    expect(failures).toEqual([]);
    // The faults fired: every seed's executor died (after each ECS call), half the seeds also got duplicates.
    console.info(`executor crashes: ${fired.crashes} after an ECS call, ${fired.deadInvocations} invocations died; ${fired.duplicatedActions} actions received twice`);
    expect(fired.crashes).toBeGreaterThanOrEqual(80);
    expect(fired.deadInvocations).toBeGreaterThanOrEqual(80);
    expect(fired.duplicatedActions).toBeGreaterThan(0);
  });

  it('30 % of ECS calls throttled: converges (the queue redelivers; failed planner calls are retried by the next event, tick or wake-up)', async () => {
    const failures: string[] = [];
    let throttled = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const c = randomCase(7000 + seed);
      const h = new Harness({ seed: c.seed });
      // Throttled from the start: the first deployment has to get through it too.
      h.world.throttle(0.3);
      try {
        const { watch } = await prepare(h, c);
        await deployRevision2(h, c, watch);
        const problems = [...watch.violations, ...(await checkConverged(h, 2))];
        throttled += h.errors.filter((e) => (e as { name?: string }).name === 'ThrottlingException').length;
        if (problems.length > 0) failures.push(`${JSON.stringify(c)}\n    ${problems.join('\n    ')}`);
      } catch (error) {
        failures.push(`${JSON.stringify(c)}\n    ${String(error)}\n    ${await diagnose(h)}`);
      } finally {
        await h.stop();
      }
    }
    expect(failures).toEqual([]);
    expect(throttled).toBeGreaterThan(100);
  });

  it('Replace at MinHealthyPercent 100 (budget 0): Stuck with "MinHealthyPercent budget is 0", no task stopped', async () => {
    const c: Case = { ...randomCase(1), instances: 5, method: 'Replace', minHealthyPercent: 100, others: 0, startSeconds: 2, stopSeconds: 1, health: 'none' };
    const { h } = await setUp(c, { duplicateAndReorder: true });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => displayStatus((await h.state(NAME))!.revisions.find((r) => r.revision === 2)!) === 'Stuck', 60_000);
    const row = (await h.state(NAME))!.revisions.find((r) => r.revision === 2)!;
    expect(row.statusReason).toContain('MinHealthyPercent budget is 0');
    await h.runFor(600_000);
    expect(h.counts.ecs.StopTask ?? 0).toBe(0);
    expect(h.world.describeTasks().filter((t) => t.desiredStatus !== 'RUNNING')).toEqual([]);
    expect(targetTasks(h, 2)).toEqual([]);
    expect(targetTasks(h, 1).filter(running)).toHaveLength(5);
    await h.stop();
  });

  it('a crash-looping task definition: Stuck with a "crash loop" reason, then Failing; it keeps trying', async () => {
    const c: Case = { ...randomCase(2), instances: 8, method: 'Replace', minHealthyPercent: 75, others: 0, startSeconds: 2, stopSeconds: 1, health: 'none' };
    const { h, watch } = await setUp(c, { duplicateAndReorder: true }, { StuckAfterSeconds: 60, FailingAfterSeconds: 120 });
    h.world.configureTaskDefinition('daemon:2', { crashAfterSeconds: 3 });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    // Only "never two copies of revision 2 on one instance" for the floor: a task that crashes 3 s
    // after it turned RUNNING looks available for those 3 s (no health check), so the waves already
    // under way can spend the budget before the first crash. Once a crash is seen, the planner holds:
    // no old task is stopped any more (checked below), only the crashed instances are retried.
    const rules: Rules = { target: 2, floor: (n) => minAvailableOf(n, 75), doubled: () => 0, checkFloor: false };
    const status = async () => displayStatus((await h.state(NAME))!.revisions.find((r) => r.revision === 2)!);
    await h.runUntil(async () => (sample(h, rules, watch), (await status()) === 'Stuck'), 600_000);
    expect((await h.state(NAME))!.revisions.find((r) => r.revision === 2)!.statusReason).toMatch(/crash loop/);
    await h.runUntil(async () => (sample(h, rules, watch), (await status()) === 'Failing'), 600_000);
    expect((await h.state(NAME))!.revisions.find((r) => r.revision === 2)!.statusReason).toMatch(/crash loop/);
    // Tasks, not StartTask calls: one call starts the task on up to 10 instances.
    const startsWhenFailing = targetTasks(h, 2).length;
    const oldAlive = () => h.world.describeTasks().filter((t) => t.tags['blox:revision'] === '1' && t.desiredStatus === 'RUNNING').length;
    const oldWhenFailing = oldAlive();
    await h.runFor(300_000);
    expect(targetTasks(h, 2).length).toBeGreaterThan(startsWhenFailing + 10);
    expect(oldWhenFailing).toBeGreaterThan(0);
    expect(oldAlive()).toBe(oldWhenFailing);
    expect(await status()).toBe('Failing');
    expect(watch.violations).toEqual([]);
    await h.stop();
  });

  for (const method of ['Replace', 'Surge'] as const) {
    it(`${method}: instances removed and drained mid-deploy: converges on the remaining ones`, async () => {
      const failures: string[] = [];
      for (let seed = 1; seed <= 20; seed++) {
        const base = randomCase(9000 + seed);
        // 3 to 8 instances left once 4 are gone: a Replace at 50 % keeps a budget (with 1 left it is
        // Stuck by design: ceil(1 × 50 / 100) = 1).
        const instances = 7 + (seed % 6);
        const c: Case = { ...base, method, instances, minHealthyPercent: method === 'Replace' ? 50 : 100 };
        const { h, watch } = await setUp(c, { duplicateAndReorder: true });
        const random = mulberry32(seed);
        const group = [...matchingActive(h)];
        // Two instances go away (terminated), two are drained, at random instants of the rollout.
        const removals = group.slice(0, 2).map((arn) => ({ arn, at: 0, kind: 'remove' as const }));
        const drains = group.slice(2, 4).map((arn) => ({ arn, at: 0, kind: 'drain' as const }));
        const faults = [...removals, ...drains].map((f) => ({ ...f, at: h.clock.now() + Math.floor(random() * (c.startSeconds + c.stopSeconds + 5) * 1000) }));
        try {
          await deployRevision2(h, c, watch, {
            checkFloor: false,
            during: (world) => {
              for (const f of faults) {
                if (f.at >= 0 && world.clock.now() >= f.at) {
                  if (f.kind === 'remove') world.world.removeInstance(f.arn);
                  else world.world.drainInstance(f.arn);
                  f.at = -1;
                  watch.dirty = true;
                }
              }
            },
          });
          const problems = [...watch.violations, ...(await checkConverged(h, 2))];
          if (matchingActive(h).size !== instances - 4) problems.push(`${matchingActive(h).size} instances left`);
          for (const f of faults) if (f.at !== -1) problems.push(`fault on ${f.arn.slice(-8)} never happened`);
          if (problems.length > 0) failures.push(`${JSON.stringify(c)}\n    ${problems.join('\n    ')}`);
        } catch (error) {
          failures.push(`${JSON.stringify(c)}\n    ${String(error)}\n    ${await diagnose(h)}`);
        } finally {
          await h.stop();
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
