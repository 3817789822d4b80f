/**
 * ECS's request rate limits in the simulated cluster: the documented buckets (cluster resource
 * reads 100 at once and 20/s, StartTask/StopTask 100 at once and 40/s), what each method costs
 * (the real adapter's pages and describe chunks), throttling that changes nothing, the spacing of a
 * listing's pages, switching limits off, snapshots. Expected levels are worked out in the comments.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../local/sim/clock';
import { resolveRateLimits } from '../../../local/sim/ecs-rate-limits';
import type { SimulatedCluster } from '../../../local/sim/world';
import { SimulatedCluster as World } from '../../../local/sim/world';
import { ECS_RATE_LIMITS } from '../../../functions/ecs-budget-port';
import { START, T0, testBed } from './helpers';

const READ = 'cluster-resource-read';
const MODIFY = 'cluster-resource-modify';
/** Matches no instance: a listing that costs exactly one ListContainerInstances page. */
const NOTHING = 'attribute:stack == nowhere';

async function start(world: SimulatedCluster, instanceArn: string) {
  const result = await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instanceArn] });
  expect(result.failures).toEqual([]);
  return result.tasks[0]!;
}

async function outcome(call: Promise<unknown>): Promise<'ok' | 'throttled'> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if ((error as Error).name === 'ThrottlingException') return 'throttled';
    throw error;
  }
}

describe('ECS rate limits in the simulated cluster', () => {
  it('uses the documented buckets by default', () => {
    expect(ECS_RATE_LIMITS).toEqual({
      'cluster-resource-read': { burst: 100, sustainedPerSecond: 20 },
      'cluster-resource-modify': { burst: 100, sustainedPerSecond: 40 },
      'service-read': { burst: 100, sustainedPerSecond: 20 },
      'service-modify': { burst: 50, sustainedPerSecond: 5 },
    });
    const { world } = testBed();
    expect(world.rateLimitTokens(READ)).toBe(100);
    expect(world.rateLimitTokens(MODIFY)).toBe(100);
  });

  it('StartTask and StopTask share one bucket of 100; the 101st call is throttled like ECS and changes nothing; 40/s refill', async () => {
    const { clock, world, events } = testBed({ rateLimits: { callSpacingMs: 0 } });
    const instances = world.addInstances({ count: 25 });
    const started = [];
    for (let i = 0; i < 60; i++) started.push(await start(world, instances[i % 25]!.arn));
    for (let i = 0; i < 40; i++) await world.stopTask('default', started[i]!.arn, 'replaced');
    expect(world.rateLimitTokens(MODIFY)).toBe(0); // 60 + 40 = 100 calls
    clock.advance(0);
    const eventsBefore = events.length;

    const refused = await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instances[24]!.arn] }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $retryable: { throttling: true } });
    expect(refused).toMatchObject({ $metadata: { httpStatusCode: 400 } });
    expect(await outcome(world.stopTask('default', started[59]!.arn, 'replaced'))).toBe('throttled');
    clock.advance(0);
    expect(events).toHaveLength(eventsBefore);
    expect(world.describeTasks()).toHaveLength(60);
    expect(world.describeTask(started[59]!.arn)?.desiredStatus).toBe('RUNNING');
    // Reads come from the other bucket.
    expect(await world.listTasks('default', START.startedBy)).toHaveLength(60);

    clock.advance(24); // 24 ms × 40/s = 0.96 of a token
    expect(await outcome(world.stopTask('default', started[59]!.arn, 'replaced'))).toBe('throttled');
    clock.advance(1); // 1 token at 25 ms
    expect(await outcome(world.stopTask('default', started[59]!.arn, 'replaced'))).toBe('ok');
    expect(await outcome(world.stopTask('default', started[58]!.arn, 'replaced'))).toBe('throttled');
    expect(world.describeTask(started[59]!.arn)?.desiredStatus).toBe('STOPPED');
    expect(world.describeTask(started[58]!.arn)?.desiredStatus).toBe('RUNNING');
  });

  it('StartTask on 10 instances is one call', async () => {
    const { world } = testBed({ rateLimits: { callSpacingMs: 0 } });
    const instances = world.addInstances({ count: 10 });
    const result = await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: instances.map((instance) => instance.arn) });
    expect(result.tasks).toHaveLength(10);
    expect(world.rateLimitTokens(MODIFY)).toBe(99);
  });

  it('a listing costs its List pages and Describe chunks, from the read bucket that ListTasks and ListContainerInstances share', async () => {
    const { world } = testBed({ rateLimits: false });
    const instances = world.addInstances({ count: 250 });
    const tasks = [];
    for (let i = 0; i < 370; i++) tasks.push(await start(world, instances[i % 250]!.arn));
    for (let i = 0; i < 120; i++) await world.stopTask('default', tasks[i]!.arn, 'replaced');
    world.setRateLimits({ callSpacingMs: 0 });
    expect(world.rateLimitTokens(READ)).toBe(100);

    // 250 running: 3 ListTasks pages; 120 stopped: 2 pages; 370 described: 4 DescribeTasks → 9.
    expect(await world.listTasks('default', START.startedBy)).toHaveLength(370);
    expect(world.rateLimitTokens(READ)).toBe(91);
    // Nothing listed: one empty page for RUNNING, one for STOPPED, nothing described → 2.
    expect(await world.listTasks('default', 'blox/nobody')).toEqual([]);
    expect(world.rateLimitTokens(READ)).toBe(89);
    // 250 instances: 3 ListContainerInstances pages + 3 DescribeContainerInstances → 6.
    expect(await world.listContainerInstances('default')).toHaveLength(250);
    expect(world.rateLimitTokens(READ)).toBe(83);
    // No match: one empty page → 1.
    expect(await world.listContainerInstances('default', NOTHING)).toEqual([]);
    expect(world.rateLimitTokens(READ)).toBe(82);
    // Refused requests are requests: one call each.
    await expect(world.listTasks('nope', START.startedBy)).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
    await expect(world.listContainerInstances('default', 'attribute:stack ==')).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(world.rateLimitTokens(READ)).toBe(80);
    expect(world.rateLimitTokens(MODIFY)).toBe(100);
  });

  it('a listing that runs out of tokens part-way is throttled; the pages made before keep their tokens spent', async () => {
    const { clock, world } = testBed({ rateLimits: false });
    world.addInstances({ count: 250 });
    world.setRateLimits({ callSpacingMs: 0 });
    for (let i = 0; i < 97; i++) await world.listContainerInstances('default', NOTHING);
    expect(world.rateLimitTokens(READ)).toBe(3);
    expect(await outcome(world.listContainerInstances('default'))).toBe('throttled'); // needs 6
    expect(world.rateLimitTokens(READ)).toBe(0);
    clock.advance(50); // 20/s: one token
    expect(world.rateLimitTokens(READ)).toBeCloseTo(1, 9);
    expect(await outcome(world.listContainerInstances('default', NOTHING))).toBe('ok');
  });

  it.each([
    { bucket: READ, perSecond: 20, call: (world: SimulatedCluster) => world.listContainerInstances('default', NOTHING) },
    { bucket: MODIFY, perSecond: 40, call: (world: SimulatedCluster) => world.stopTask('default', 'no-such-task', 'x') },
  ])('after the burst, $bucket lets $perSecond calls a second through', async ({ call, perSecond }) => {
    const { clock, world } = testBed({ rateLimits: { callSpacingMs: 0 } });
    for (let i = 0; i < 100; i++) expect(await outcome(call(world))).toBe('ok');
    expect(await outcome(call(world))).toBe('throttled');
    let ok = 0;
    let throttled = 0;
    for (let step = 0; step < 1000; step++) {
      clock.advance(10); // 10 s in steps of 10 ms, one try a step
      if ((await outcome(call(world))) === 'ok') ok++;
      else throttled++;
    }
    expect(ok).toBe(perSecond * 10);
    expect(throttled).toBe(1000 - perSecond * 10);
  });

  it('spaces a listing`s pages (callSpacingMs): the bucket refills between them, as it does for the SDK making them in turn', async () => {
    // A bucket of 10 refilled at 20/s; 550 instances list in 6 pages and describe in 6 chunks: 12 calls.
    const spaced = testBed({ rateLimits: { buckets: { [READ]: { burst: 10, sustainedPerSecond: 20 } }, callSpacingMs: 50 } });
    spaced.world.addInstances({ count: 550 });
    // 50 ms apart, each call finds the token the previous one used back: 10 → 9 → (+1 −1) … → 9
    // after the 12th call, 550 ms from now; now, that is 9 − 550 ms × 20/s = −2.
    expect(await spaced.world.listContainerInstances('default')).toHaveLength(550);
    expect(spaced.world.rateLimitTokens(READ)).toBeCloseTo(-2, 9);
    expect(await outcome(spaced.world.listContainerInstances('default', NOTHING))).toBe('throttled');
    spaced.clock.advance(550);
    expect(spaced.world.rateLimitTokens(READ)).toBeCloseTo(9, 9);

    // 100 ms apart, 2 tokens come back between pages, but the bucket holds 10 at most: 9 after the
    // 12th call, 1100 ms from now; now, 9 − 1100 ms × 20/s = −13 (without the cap it would be −2).
    const slow = testBed({ rateLimits: { buckets: { [READ]: { burst: 10, sustainedPerSecond: 20 } }, callSpacingMs: 100 } });
    slow.world.addInstances({ count: 550 });
    expect(await slow.world.listContainerInstances('default')).toHaveLength(550);
    expect(slow.world.rateLimitTokens(READ)).toBeCloseTo(-13, 9);

    // The same calls at once: the 11th finds the bucket empty.
    const atOnce = testBed({ rateLimits: { buckets: { [READ]: { burst: 10, sustainedPerSecond: 20 } }, callSpacingMs: 0 } });
    atOnce.world.addInstances({ count: 550 });
    expect(await outcome(atOnce.world.listContainerInstances('default'))).toBe('throttled');
    expect(atOnce.world.rateLimitTokens(READ)).toBe(0);
  });

  it('with ECS`s limits and the default spacing (30 ms) a listing of 10,000 instances (200 calls) gets through from a full bucket, a second one at once does not', async () => {
    const { clock, world } = testBed();
    world.addInstances({ count: 10_000 });
    // Call k (0-based) finds 100 − k + k × 0.6 (30 ms × 20/s) tokens: 20.4 at k = 199, never < 1.
    // After it, 19.4 left, 199 × 30 ms = 5970 ms from now: now, 19.4 − 119.4 = −100.
    expect(await world.listContainerInstances('default')).toHaveLength(10_000);
    expect(world.rateLimitTokens(READ)).toBeCloseTo(-100, 9);
    expect(await outcome(world.listContainerInstances('default'))).toBe('throttled');
    // The second listing needs 1 + 199 × 0.4 = 80.6 tokens at its start: −100 + 20/s × 9.1 s = 82.
    clock.advance(9_100);
    expect(await world.listContainerInstances('default')).toHaveLength(10_000);
  });

  it('rateLimits: false never throttles; setRateLimits switches them at runtime, with full buckets', async () => {
    const { world } = testBed({ rateLimits: false });
    for (let i = 0; i < 300; i++) await world.listContainerInstances('default');
    expect(world.rateLimitTokens(READ)).toBeUndefined();
    world.setRateLimits({});
    expect(world.rateLimitTokens(READ)).toBe(100);
    world.setRateLimits(false);
    expect(world.rateLimitTokens(MODIFY)).toBeUndefined();
  });

  it('snapshots keep the limits and the levels of the buckets; an older snapshot gets ECS`s limits, full', async () => {
    const { world } = testBed({ rateLimits: { callSpacingMs: 0, buckets: { [MODIFY]: { burst: 50, sustainedPerSecond: 5 } } } });
    for (let i = 0; i < 30; i++) await world.listContainerInstances('default', NOTHING);
    for (let i = 0; i < 20; i++) await world.stopTask('default', 'no-such-task', 'x');
    const snapshot = JSON.parse(JSON.stringify(world.toJSON())) as Record<string, unknown> & { settings: Record<string, unknown> };

    const restored = World.fromJSON(snapshot, { clock: new VirtualClock(T0 + 1_000) });
    expect(restored.rateLimitTokens(READ)).toBe(90); // 70 + 1 s × 20/s
    expect(restored.rateLimitTokens(MODIFY)).toBe(35); // 30 + 1 s × 5/s (the custom bucket)

    const off = testBed({ rateLimits: false });
    expect(World.fromJSON(JSON.parse(JSON.stringify(off.world.toJSON())), { clock: new VirtualClock(T0) }).rateLimitTokens(READ)).toBeUndefined();

    const older = structuredClone(snapshot);
    delete older.settings.rateLimits;
    delete older.rateLimitState;
    const fromOlder = World.fromJSON(older, { clock: new VirtualClock(T0) });
    expect(fromOlder.rateLimitTokens(READ)).toBe(100);
    expect(fromOlder.rateLimitTokens(MODIFY)).toBe(100);
  });

  it('a snapshot taken before the service buckets existed restores with them at ECS`s limits, full, the others as saved', async () => {
    const { world } = testBed({ rateLimits: { callSpacingMs: 0 } });
    for (let i = 0; i < 10; i++) await world.listContainerInstances('default', NOTHING);
    const snapshot = JSON.parse(JSON.stringify(world.toJSON())) as {
      settings: { rateLimits: { buckets: Record<string, unknown> } };
      rateLimitState: Record<string, unknown>;
    };
    for (const bucket of ['service-read', 'service-modify']) {
      delete snapshot.settings.rateLimits.buckets[bucket];
      delete snapshot.rateLimitState[bucket];
    }
    const restored = World.fromJSON(snapshot, { clock: new VirtualClock(T0) });
    expect(restored.rateLimitTokens(READ)).toBe(90); // 100 − 10 pages
    expect(restored.rateLimitTokens('service-read')).toBe(100);
    expect(restored.rateLimitTokens('service-modify')).toBe(50);
    expect(restored.toJSON().settings.rateLimits).toMatchObject({ buckets: { 'service-modify': { burst: 50, sustainedPerSecond: 5 } } });
  });

  it('refuses limits that make no sense, naming the field', () => {
    expect(() => resolveRateLimits({ buckets: { [READ]: { burst: 0, sustainedPerSecond: 20 } } })).toThrow(/buckets\.cluster-resource-read\.burst/);
    expect(() => resolveRateLimits({ buckets: { [MODIFY]: { burst: 10, sustainedPerSecond: 0 } } })).toThrow(/buckets\.cluster-resource-modify\.sustainedPerSecond/);
    expect(() => resolveRateLimits({ callSpacingMs: -1 })).toThrow(/callSpacingMs/);
    expect(() => testBed({ rateLimits: { callSpacingMs: Number.NaN } })).toThrow(RangeError);
  });
});
