/**
 * Properties of the engine on the deterministic harness, over random clusters, faults and
 * interleavings (fast-check; every run is a seeded harness, so a counterexample replays exactly):
 *
 * - safety, whatever the faults: never two tasks of the deploying revision alive on one instance;
 *   with a stable membership, never fewer matching ACTIVE instances with a RUNNING task than
 *   ceil(N × MinHealthyPercent / 100) (Replace) or N (Surge), never more than MaxOver instances
 *   with two copies (Surge);
 * - liveness: on a healthy cluster (the revision starts and keeps running; faults are transient:
 *   duplicated and reordered deliveries, executor crashes, throttling; instances joining, leaving
 *   or draining) every deployment converges to one RUNNING task of the target revision on every
 *   matching ACTIVE instance and nothing of the old one.
 *
 * Interleavings come from the harness seed (delivery jitter, throttling draws), the latency model
 * and the tick period, all drawn here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../domain/spec';
import type { ClusterTask } from '../../functions/ports';
import { Harness } from '../../local/harness';

const NAME = 'SomeEnvironment/Prod';

interface Scenario {
  seed: number;
  instances: number;
  others: number;
  method: 'Replace' | 'Surge';
  /** Replace: a percentage that leaves a budget of at least 1 (drawn as a share of the allowed range). */
  mhpShare: number;
  maxOver: number | `${number}%`;
  startSeconds: number;
  stopSeconds: number;
  health: 'none' | 'healthy';
  healthyAfterSeconds: number;
  latency: { eventBridgeMs: number; lambdaMs: number; sqsMs: number };
  tickMs: number;
  duplicateAndReorder: boolean;
  /** Each action's executor dies after its ECS call (once per action) with this probability. */
  crashRate: number;
  throttle: number;
  /** Membership changes during the rollout, at these offsets (ms after the deploy). */
  membership: Array<{ kind: 'join' | 'remove' | 'drain'; atMs: number }>;
}

const scenario = (membership: boolean): fc.Arbitrary<Scenario> =>
  fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    instances: fc.integer({ min: 1, max: 10 }),
    others: fc.integer({ min: 0, max: 2 }),
    method: fc.constantFrom('Replace' as const, 'Surge' as const),
    mhpShare: fc.double({ min: 0, max: 1, noNaN: true }),
    maxOver: fc.oneof(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 100 }).map((p) => `${p}%` as const),
    ),
    startSeconds: fc.integer({ min: 0, max: 30 }),
    stopSeconds: fc.integer({ min: 0, max: 10 }),
    health: fc.constantFrom('none' as const, 'healthy' as const),
    healthyAfterSeconds: fc.integer({ min: 0, max: 5 }),
    latency: fc.record({
      eventBridgeMs: fc.integer({ min: 0, max: 2_000 }),
      lambdaMs: fc.integer({ min: 0, max: 500 }),
      sqsMs: fc.integer({ min: 0, max: 500 }),
    }),
    tickMs: fc.integer({ min: 5_000, max: 120_000 }),
    duplicateAndReorder: fc.boolean(),
    crashRate: fc.constantFrom(0, 0, 0.2, 1),
    throttle: fc.constantFrom(0, 0, 0.1, 0.3),
    membership: membership
      ? fc.array(
          fc.record({ kind: fc.constantFrom('join' as const, 'remove' as const, 'drain' as const), atMs: fc.integer({ min: 0, max: 60_000 }) }),
          { minLength: 1, maxLength: 4 },
        )
      : fc.constant([]),
  });

/**
 * The MinHealthyPercent of a scenario: Replace keeps a budget of at least 1 — for its starting N,
 * and with membership changes (down to 2 instances) at most 50 %: ceil(N' × 50 / 100) < N' for N' ≥ 2.
 */
function minHealthyPercent(s: Scenario): number {
  if (s.method === 'Surge') return Math.round(s.mhpShare * 100);
  const allowed = Math.floor((100 * (s.instances - 1)) / s.instances);
  return Math.round(s.mhpShare * (s.membership.length > 0 ? Math.min(50, allowed) : allowed));
}

const floorOf = (s: Scenario, n: number) => (s.method === 'Surge' ? n : Math.ceil((n * minHealthyPercent(s)) / 100));
const surgeOf = (s: Scenario, n: number) =>
  s.method === 'Replace' ? 0 : typeof s.maxOver === 'number' ? s.maxOver : Math.max(1, Math.floor((n * Number(s.maxOver.slice(0, -1))) / 100));

const revisionOf = (t: ClusterTask) => Number(t.tags['blox:revision']);
const alive = (t: ClusterTask) => t.lastStatus !== 'STOPPED';
const running = (t: ClusterTask) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING';

function matchingActive(h: Harness): Set<string> {
  return new Set(
    h.world
      .describeInstances()
      .filter((i) => i.status === 'ACTIVE' && i.attributes.stack === 'prod')
      .map((i) => i.arn),
  );
}

async function isActive(h: Harness, revision: number): Promise<boolean> {
  const s = await h.state(NAME);
  return s?.activeRevision === revision && !s.deployment;
}

/** Checks the safety rules whenever the world changed (see reliability.test.ts, `watchWorld`). */
class Watch {
  violations: string[] = [];
  private dirty = true;

  constructor(private readonly h: Harness) {
    h.world.onEvent(() => this.touch());
    const world = h.world as unknown as Record<'startTask' | 'stopTask', (...args: unknown[]) => Promise<unknown>>;
    for (const name of ['startTask', 'stopTask'] as const) {
      const original = world[name].bind(h.world);
      world[name] = (...args) => {
        this.touch();
        return original(...args);
      };
    }
  }

  touch(): void {
    this.dirty = true;
  }

  check(target: number, floor: ((n: number) => number) | undefined, surge: ((n: number) => number) | undefined): void {
    if (!this.dirty) return;
    this.dirty = false;
    const active = matchingActive(this.h);
    const byInstance = new Map<string, ClusterTask[]>();
    for (const t of this.h.world.describeTasks()) if (alive(t)) byInstance.set(t.containerInstanceArn, [...(byInstance.get(t.containerInstanceArn) ?? []), t]);
    const at = `t+${this.h.clock.now() % 10_000_000}`;
    let available = 0;
    let doubled = 0;
    for (const [instance, live] of byInstance) {
      const targets = live.filter((t) => revisionOf(t) === target).length;
      if (targets > 1) this.violations.push(`${at}: ${targets} tasks of revision ${target} on ${instance.slice(-8)}`);
      if (targets >= 1 && live.some((t) => revisionOf(t) !== target)) doubled++;
    }
    for (const instance of active) if ((byInstance.get(instance) ?? []).some(running)) available++;
    if (floor && available < floor(active.size)) this.violations.push(`${at}: ${available} of ${active.size} available, floor ${floor(active.size)}`);
    if (surge && doubled > surge(active.size)) this.violations.push(`${at}: ${doubled} instances with two copies, limit ${surge(active.size)}`);
  }
}

/** Deploys 1 (initial), then 2 over it, with the scenario's faults; returns what went wrong. */
async function run(s: Scenario): Promise<string[]> {
  const h = new Harness({
    seed: s.seed,
    latency: s.latency,
    tickMs: s.tickMs,
    duplicateAndReorder: s.duplicateAndReorder,
    ...(s.crashRate > 0 ? { crashExecutorAfterEcs: (action) => fnvUnit(`${s.seed}:${action.key}`) < s.crashRate } : {}),
  });
  const problems: string[] = [];
  try {
    for (const td of ['daemon:1', 'daemon:2']) {
      h.world.configureTaskDefinition(td, { startSeconds: s.startSeconds, stopSeconds: s.stopSeconds, health: s.health, healthyAfterSeconds: s.healthyAfterSeconds });
    }
    h.world.addInstances({ count: s.instances, attributes: { stack: 'prod' } });
    if (s.others > 0) h.world.addInstances({ count: s.others, attributes: { stack: 'other' } });
    h.world.throttle(s.throttle);
    const watch = new Watch(h);
    const spec = {
      Name: NAME,
      TaskDefinition: 'daemon:1',
      Cluster: 'default',
      InstanceGroup: { Query: 'attribute:stack == prod' },
      DeploymentType: 'Daemon',
      DeploymentConfiguration: { Method: s.method, MinHealthyPercent: minHealthyPercent(s), MaxOver: s.maxOver },
    } as EnvironmentSpec;
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => (watch.check(1, undefined, undefined), isActive(h, 1)), 4 * 3600_000);

    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    const t0 = h.clock.now();
    const pending = s.membership.map((m) => ({ ...m }));
    // A membership change moves N (and the floor and the surge limit) under the planner's feet:
    // those rules hold only while the membership is stable.
    const stable = s.membership.length === 0;
    await h.runUntil(() => {
      for (const m of pending) {
        if (m.atMs < 0 || h.clock.now() - t0 < m.atMs) continue;
        m.atMs = -1;
        const group = [...matchingActive(h)];
        if (m.kind === 'join') h.world.addInstances({ count: 1, attributes: { stack: 'prod' } });
        // Keep at least two instances: a Replace on one is Stuck by design (budget 0).
        else if (group.length > 2 && m.kind === 'remove') h.world.removeInstance(group[0]!);
        else if (group.length > 2) h.world.drainInstance(group[group.length - 1]!);
        watch.touch();
      }
      watch.check(2, stable ? (n) => floorOf(s, n) : undefined, stable ? (n) => surgeOf(s, n) : undefined);
      return isActive(h, 2);
    }, 4 * 3600_000);

    problems.push(...watch.violations.slice(0, 5));
    const active = matchingActive(h);
    const tasks = h.world.describeTasks();
    for (const instance of active) {
      const here = tasks.filter((t) => t.containerInstanceArn === instance && alive(t));
      if (here.length !== 1 || !running(here[0]!) || revisionOf(here[0]!) !== 2) {
        problems.push(`${instance.slice(-8)} runs ${JSON.stringify(here.map((t) => [revisionOf(t), t.lastStatus]))}`);
      }
    }
    // Revision 2 may stay on a DRAINING instance (DRAINING instances only get no *new* task).
    const old = tasks.filter((t) => alive(t) && revisionOf(t) !== 2);
    if (old.length > 0) problems.push(`${old.length} task(s) of revision 1 alive`);
    const elsewhere = tasks.filter((t) => alive(t) && !active.has(t.containerInstanceArn) && h.world.describeInstance(t.containerInstanceArn)?.status !== 'DRAINING');
    if (elsewhere.length > 0) problems.push(`${elsewhere.length} task(s) alive outside the group`);
  } catch (error) {
    problems.push(String(error));
  } finally {
    await h.stop();
  }
  return problems;
}

/** A deterministic number in [0, 1) from a string (which actions crash the executor). */
function fnvUnit(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) / 2 ** 32;
}

describe('the engine on random clusters, faults and interleavings', () => {
  it('stable membership: safe at every step, and always converges on a healthy cluster', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(false), async (s) => {
        expect(await run(s)).toEqual([]);
      }),
      { numRuns: 100, seed: 20240101 },
    );
  }, 120_000);

  it('instances joining, leaving and draining mid-deploy: never two copies of a revision on one instance, converges', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(true), async (s) => {
        expect(await run(s)).toEqual([]);
      }),
      { numRuns: 100, seed: 20240102 },
    );
  }, 120_000);
});
