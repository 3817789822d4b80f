import { describe, expect, it } from 'vitest';
import { DEFAULT_VIRTUAL_START, RealTimeClock, VirtualClock } from '../../../local/sim/clock';
import { SimulatedCluster } from '../../../local/sim/world';

describe('VirtualClock', () => {
  it('starts at a fixed instant, never the wall clock', () => {
    expect(new VirtualClock().now()).toBe(DEFAULT_VIRTUAL_START);
    expect(new VirtualClock(1234).now()).toBe(1234);
  });

  it('runs due callbacks in time order, ties in insertion order, and stops at the target', () => {
    const clock = new VirtualClock(0);
    const log: string[] = [];
    clock.schedule(300, () => log.push(`c@${clock.now()}`));
    clock.schedule(100, () => log.push(`a@${clock.now()}`));
    clock.schedule(200, () => log.push(`b1@${clock.now()}`));
    clock.schedule(200, () => log.push(`b2@${clock.now()}`));
    clock.advance(250);
    expect(log).toEqual(['a@100', 'b1@200', 'b2@200']);
    expect(clock.now()).toBe(250);
    expect(clock.pending).toBe(1);
    clock.runUntil(300);
    expect(log).toEqual(['a@100', 'b1@200', 'b2@200', 'c@300']);
  });

  it('lets callbacks schedule more, which run in the same pass when due', () => {
    const clock = new VirtualClock(0);
    const log: number[] = [];
    clock.schedule(10, () => {
      log.push(clock.now());
      clock.schedule(clock.now(), () => log.push(clock.now())); // same instant: runs after
      clock.schedule(clock.now() + 5, () => log.push(clock.now()));
      clock.schedule(clock.now() + 500, () => log.push(clock.now()));
    });
    clock.schedule(12, () => log.push(clock.now()));
    clock.advance(100);
    expect(log).toEqual([10, 10, 12, 15]);
    expect(clock.nextAt()).toBe(510);
  });

  it('runs a callback scheduled in the past at the current instant', () => {
    const clock = new VirtualClock(1000);
    let ranAt: number | undefined;
    clock.schedule(5, () => (ranAt = clock.now()));
    clock.advance(0);
    expect(ranAt).toBe(1000);
  });

  it('cancels', () => {
    const clock = new VirtualClock(0);
    const log: string[] = [];
    const a = clock.schedule(10, () => log.push('a'));
    clock.schedule(20, () => log.push('b'));
    a.cancel();
    a.cancel();
    expect(clock.pending).toBe(1);
    clock.advance(30);
    expect(log).toEqual(['b']);
    expect(clock.pending).toBe(0);
  });

  it('runUntilIdle jumps from callback to callback and refuses a runaway', () => {
    const clock = new VirtualClock(0);
    const log: number[] = [];
    clock.schedule(1000, () => log.push(clock.now()));
    clock.schedule(50_000, () => log.push(clock.now()));
    expect(clock.runUntilIdle(60_000)).toBe(50_000);
    expect(log).toEqual([1000, 50_000]);

    const tick = (): void => void clock.schedule(clock.now() + 1000, tick);
    tick();
    expect(() => clock.runUntilIdle(10_000)).toThrow(/still 1 callback\(s\) scheduled after 10000 ms/);
    expect(clock.now()).toBe(60_000);
  });

  it('never goes backwards', () => {
    const clock = new VirtualClock(100);
    clock.runUntil(50);
    expect(clock.now()).toBe(100);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('RealTimeClock', () => {
  it('scales delays by speed and keeps the virtual clock\'s order', async () => {
    const clock = new RealTimeClock({ speed: 100, startMs: 0 });
    const log: string[] = [];
    const done = new Promise<void>((resolve) => {
      clock.schedule(1000, () => log.push('b1'));
      clock.schedule(500, () => log.push('a'));
      clock.schedule(1000, () => log.push('b2'));
      clock.schedule(2000, () => {
        log.push(`c:${clock.now() >= 2000}`);
        resolve();
      });
    });
    const started = performance.now();
    await done;
    const elapsed = performance.now() - started;
    expect(log).toEqual(['a', 'b1', 'b2', 'c:true']);
    // 2 s of world time at speed 100 is 20 ms of real time (generous bounds for a busy machine).
    expect(elapsed).toBeGreaterThanOrEqual(15);
    expect(elapsed).toBeLessThan(1500);
    expect(clock.pending).toBe(0);
  });

  it('cancels and closes', async () => {
    const clock = new RealTimeClock({ speed: 1000, startMs: 0 });
    const log: string[] = [];
    clock.schedule(10, () => log.push('cancelled')).cancel();
    clock.schedule(20, () => log.push('closed'));
    clock.close();
    clock.schedule(30, () => log.push('after close'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(log).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('now() follows wall time times speed', async () => {
    const clock = new RealTimeClock({ speed: 10, startMs: 1_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(150);
  });
});

describe('both clocks drive the world identically', () => {
  async function run(clock: VirtualClock | RealTimeClock): Promise<string[]> {
    const world = new SimulatedCluster({ clock, healthChangeEvents: true, taskDefinitions: { 'x:1': { crashAfterSeconds: 3 } } });
    const log: string[] = [];
    const done = new Promise<void>((resolve) =>
      world.onEvent((event) => {
        if (event['detail-type'] !== 'ECS Task State Change') return;
        log.push(`${event.detail.lastStatus}/${event.detail.healthStatus}@${Date.parse(event.detail.updatedAt) - 1_000_000}`);
        if (event.detail.lastStatus === 'STOPPED') resolve();
      }),
    );
    const [instance] = world.addInstances();
    await world.startTask({ cluster: 'default', taskDefinition: 'x:1', containerInstances: [instance!.arn], startedBy: 'test', tags: {} });
    if (clock instanceof VirtualClock) clock.runUntilIdle();
    await done;
    return log;
  }

  it('a RealTimeClock at speed 200 gives the VirtualClock\'s event sequence', async () => {
    const virtual = await run(new VirtualClock(1_000_000));
    expect(virtual).toEqual(['PENDING/UNKNOWN@0', 'RUNNING/UNKNOWN@2000', 'RUNNING/HEALTHY@3000', 'STOPPED/HEALTHY@5000']);
    const real = await run(new RealTimeClock({ speed: 200, startMs: 1_000_000 }));
    // Same sequence; real timers fire at or a little after their instant.
    expect(real.map((line) => line.split('@')[0])).toEqual(virtual.map((line) => line.split('@')[0]));
    real.forEach((line, i) => {
      const late = Number(line.split('@')[1]) - Number(virtual[i]!.split('@')[1]);
      expect(late).toBeGreaterThanOrEqual(0);
    });
  });
});
