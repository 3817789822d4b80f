import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../local/sim/clock';
import type { SimulatedEcsEvent } from '../../../local/sim/events';
import { mulberry32 } from '../../../local/sim/random';
import { SimulatedCluster } from '../../../local/sim/world';
import { START, T0, taskEvents, testBed } from './helpers';

/** Through JSON text, as the local stack will persist it. */
function persisted(world: SimulatedCluster): unknown {
  return JSON.parse(JSON.stringify(world));
}

function restore(snapshot: unknown, at: number) {
  const clock = new VirtualClock(at);
  const world = SimulatedCluster.fromJSON(snapshot, { clock });
  const events: SimulatedEcsEvent[] = [];
  world.onEvent((event) => events.push(event));
  return { clock, world, events };
}

describe('snapshot and restore', () => {
  it('a PENDING task still becomes RUNNING (then HEALTHY) after restore, on time', async () => {
    const { clock, world } = testBed({ taskDefinitions: { 'log-daemon:1': { cpu: 1024, memory: 2048 } } });
    const [instance] = world.addInstances({ attributes: { stack: 'prod' } });
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance!.arn] });
    clock.advance(1000);
    const snapshot = persisted(world);

    const after = restore(snapshot, T0 + 1000);
    expect(after.world.describeTask(tasks[0]!.arn)?.lastStatus).toBe('PENDING');
    after.clock.advance(999);
    expect(after.world.describeTask(tasks[0]!.arn)?.lastStatus).toBe('PENDING');
    after.clock.advance(1);
    expect(after.world.describeTask(tasks[0]!.arn)).toMatchObject({ lastStatus: 'RUNNING', startedAt: new Date(T0 + 2000).toISOString() });
    after.clock.advance(1000);
    expect(after.world.describeTask(tasks[0]!.arn)?.healthStatus).toBe('HEALTHY');
    expect(taskEvents(after.events, tasks[0]!.arn).map((e) => [e.detail.lastStatus, e.detail.version])).toEqual([['RUNNING', 2]]);
    // Resources, configuration and listing survive too.
    expect(after.world.describeInstance(instance!.arn)?.remaining).toEqual({ cpu: 1024, memory: 2048 });
    expect(await after.world.listContainerInstances('default', 'attribute:stack == prod')).toHaveLength(1);
    expect(after.world.taskBehaviour('log-daemon:1')).toMatchObject({ cpu: 1024, memory: 2048 });
  });

  it('a restored world continues exactly as the original would have (events, ids, PRNG)', async () => {
    async function firstHalf(world: SimulatedCluster, clock: VirtualClock) {
      world.configureTaskDefinition('crashy:1', { crashAfterSeconds: 3 });
      const instances = world.addInstances({ count: 2 });
      await world.startTask({ ...START, taskDefinition: 'crashy:1', containerInstances: [instances[0]!.arn] });
      const t = (await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instances[1]!.arn] })).tasks[0]!;
      clock.advance(2500);
      await world.stopTask('default', t.arn, 'stop it');
      world.throttle(0.5);
      return instances;
    }
    async function secondHalf(world: SimulatedCluster, clock: VirtualClock, instances: { arn: string }[]) {
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        try {
          await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instances[1]!.arn] });
          outcomes.push('ok');
        } catch {
          outcomes.push('throttled');
        }
      }
      world.throttle(0);
      clock.advance(20_000);
      return { outcomes, tasks: await world.listTasks('default', START.startedBy) };
    }

    // Uninterrupted.
    const a = testBed({ seed: 9 });
    const instances = await firstHalf(a.world, a.clock);
    const aEventsBefore = a.events.length;
    const aResult = await secondHalf(a.world, a.clock, instances);

    // Interrupted at the same point: snapshot (with an event still undelivered), restore, carry on.
    const b = testBed({ seed: 9 });
    await firstHalf(b.world, b.clock);
    const snapshot = persisted(b.world);
    expect((snapshot as { outbox: unknown[] }).outbox.length).toBeGreaterThan(0);
    const c = restore(snapshot, b.clock.now());
    const cResult = await secondHalf(c.world, c.clock, instances);

    expect(cResult).toEqual(aResult);
    expect(JSON.stringify(b.events.concat(c.events))).toBe(JSON.stringify(a.events));
    expect(a.events.length).toBeGreaterThan(aEventsBefore);
  });

  it('timers that fell due while the world was down run at once, in order', async () => {
    const { world } = testBed();
    const [instance] = world.addInstances();
    const first = (await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] })).tasks[0]!;
    const second = (await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] })).tasks[0]!;
    const later = restore(persisted(world), T0 + 3_600_000);
    later.clock.advance(0);
    expect(later.world.describeTask(first.arn)).toMatchObject({ lastStatus: 'RUNNING', startedAt: new Date(T0 + 3_600_000).toISOString() });
    expect(later.world.describeTask(second.arn)?.lastStatus).toBe('RUNNING');
    // What follows from a late transition is timed from it: HEALTHY 1 s after the (late) RUNNING.
    later.clock.advance(1000);
    expect(later.world.describeTask(first.arn)?.healthStatus).toBe('HEALTHY');
    const statuses = later.events.flatMap((e) => (e['detail-type'] === 'ECS Task State Change' ? [`${e.detail.taskArn === first.arn ? 1 : 2}:${e.detail.lastStatus}`] : []));
    expect(statuses).toEqual(['1:PENDING', '2:PENDING', '1:RUNNING', '2:RUNNING']);
  });

  it('refuses what is not a snapshot, naming the field', () => {
    const clock = new VirtualClock(T0);
    expect(() => SimulatedCluster.fromJSON({ format: 'nope' }, { clock })).toThrow(/not a simulated-cluster snapshot: format/);
    const { world } = testBed();
    world.addInstances();
    const broken = persisted(world) as { instances: Array<{ status: string }> };
    broken.instances[0]!.status = 'SLEEPY';
    expect(() => SimulatedCluster.fromJSON(broken, { clock })).toThrow(/instances\.0\.status/);
  });

  it('a world with its own random() needs one again on restore', () => {
    const clock = new VirtualClock(T0);
    const world = new SimulatedCluster({ clock, random: mulberry32(5) });
    const snapshot = persisted(world);
    expect(() => SimulatedCluster.fromJSON(snapshot, { clock })).toThrow(/own random/);
    expect(SimulatedCluster.fromJSON(snapshot, { clock, random: mulberry32(5) })).toBeInstanceOf(SimulatedCluster);
  });
});
