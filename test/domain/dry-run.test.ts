/**
 * The dry run's arithmetic (domain/dry-run.ts): timings from an environment's past tasks and log,
 * an instance's room for the environment, and what a simulated run shows. Every expected value is
 * worked out by hand next to it. T0 = 2026-11-30T12:00:00Z.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import {
  capacityForEnvironment,
  copiesThatFit,
  DEFAULT_TIMINGS,
  deriveTimings,
  etaError,
  median,
  simulatedTimings,
  stepsOf,
  summarizeRun,
} from '../../domain/dry-run';
import type { TaskTimes } from '../../domain/dry-run';
import { isoFromMs, msFromIso } from '../../domain/time';

const T0 = msFromIso('2026-11-30T12:00:00.000Z');
const S = 1000;

const started = (revision: number, at: number): EnvironmentEvent =>
  ({ type: 'DeploymentStarted', deploymentId: `E:${revision}@x`, revision, undeploying: [revision - 1], initial: false, target: {}, at: isoFromMs(at) }) as unknown as EnvironmentEvent;
const progressed = (ready: number, at: number): EnvironmentEvent => ({ type: 'DeploymentProgressed', ready, old: 0, at });
const stopsPlanned = (tasks: string[], at: number): EnvironmentEvent => ({ type: 'StopsPlanned', reason: 'replaced', batches: [{ key: 'k', tasks }], at });
const launchesPlanned = (instances: string[], at: number): EnvironmentEvent => ({ type: 'LaunchesPlanned', revision: 2, reason: 'r', batches: [{ key: 'k', instances }], at });

describe('median', () => {
  it('the middle value, the mean of the middle two for an even count, none for no values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5); // (2 + 3) / 2
    expect(median([])).toBeUndefined();
  });
});

describe('deriveTimings: from the tasks ECS still describes and the log', () => {
  it('start is createdAt → startedAt, stop is the planned stop → stoppedAt, ready is startedAt → the count that first included it', () => {
    // given revision 1's two tasks, stopped by the deployment of revision 2, and revision 2's two tasks
    const tasks: TaskTimes[] = [
      { id: 'old-a', revision: 1, createdAt: T0 - 100 * S, startedAt: T0 - 97 * S, stoppedAt: T0 + 1.5 * S },
      { id: 'old-b', revision: 1, createdAt: T0 - 100 * S, startedAt: T0 - 95 * S, stoppedAt: T0 + 12.5 * S },
      { id: 'new-a', revision: 2, createdAt: T0 + 2 * S, startedAt: T0 + 6 * S },
      { id: 'new-b', revision: 2, createdAt: T0 + 13 * S, startedAt: T0 + 17 * S },
    ];
    const events = [
      started(2, T0),
      stopsPlanned(['old-a'], T0 + 0.5 * S),
      launchesPlanned(['i-1'], T0 + 2 * S),
      progressed(1, T0 + 8 * S),
      stopsPlanned(['old-b'], T0 + 10 * S),
      progressed(2, T0 + 20 * S),
    ];
    // when
    const timings = deriveTimings(tasks, events);
    // then start: 3, 5, 4, 4 s → median (4 + 4) / 2 = 4; ready: new-a 8 − 6 = 2 s, new-b 20 − 17 = 3 s → 2.5;
    // stop: old-a 1.5 − 0.5 = 1 s, old-b 12.5 − 10 = 2.5 s → 1.75
    expect(timings).toEqual({
      startSeconds: 4,
      readySeconds: 2.5,
      stopSeconds: 1.75,
      sources: { start: 'observed', ready: 'observed', stop: 'observed' },
      samples: { start: 4, ready: 2, stop: 2 },
    });
  });

  it('a ready count that rises by two matches the two earliest-started tasks of the deploying revision, never one started after it', () => {
    const tasks: TaskTimes[] = [
      { id: 'a', revision: 2, createdAt: T0, startedAt: T0 + 2 * S },
      { id: 'b', revision: 2, createdAt: T0, startedAt: T0 + 3 * S },
      { id: 'c', revision: 2, createdAt: T0, startedAt: T0 + 9 * S },
      { id: 'x', revision: 1, createdAt: T0 - 9 * S, startedAt: T0 - 1 * S },
    ];
    // at T0 + 5 s the count goes 0 → 3, but only a and b had started: 5 − 2 = 3 s and 5 − 3 = 2 s
    const timings = deriveTimings(tasks, [started(2, T0), progressed(3, T0 + 5 * S)]);
    expect(timings.samples.ready).toBe(2);
    expect(timings.readySeconds).toBe(2.5);
  });

  it('a task Blox did not stop (a Service task set scaling in) gives its stop time from ECS: stoppingAt → stoppedAt', () => {
    const tasks: TaskTimes[] = [{ id: 'svc-a', revision: 1, createdAt: T0, startedAt: T0 + 2 * S, stoppingAt: T0 + 60 * S, stoppedAt: T0 + 61.2 * S }];
    const timings = deriveTimings(tasks, []);
    expect(timings.stopSeconds).toBe(1.2);
    expect(timings.sources.stop).toBe('observed');
  });

  it('nothing observed: every timing is the default, and says so', () => {
    const timings = deriveTimings([], []);
    expect(timings).toEqual({
      ...DEFAULT_TIMINGS,
      sources: { start: 'default', ready: 'default', stop: 'default' },
      samples: { start: 0, ready: 0, stop: 0 },
    });
    // ECS's orders of magnitude: 20 s to start, 30 s to pass health checks, stopTimeout 30 s
    expect(DEFAULT_TIMINGS).toEqual({ startSeconds: 20, readySeconds: 30, stopSeconds: 30 });
  });
});

describe('simulatedTimings: the observed ready time includes the engine health poll; the simulation polls too', () => {
  it('half a poll comes off an observed ready time (1.036 − 0.5 = 0.536), not off a default, and never below 0', () => {
    const observed = { startSeconds: 2, readySeconds: 1.036, stopSeconds: 1, sources: { start: 'observed', ready: 'observed', stop: 'observed' }, samples: { start: 1, ready: 1, stop: 1 } } as const;
    expect(simulatedTimings(observed, 1)).toEqual({ startSeconds: 2, readySeconds: 0.536, stopSeconds: 1 });
    expect(simulatedTimings({ ...observed, readySeconds: 0.2 }, 1).readySeconds).toBe(0);
    expect(simulatedTimings({ ...observed, sources: { ...observed.sources, ready: 'default' } }, 1).readySeconds).toBe(1.036);
  });
});

describe('placement headroom', () => {
  it("an instance offers the environment what it has left plus what the environment's own tasks hold there, never more than it registered", () => {
    // 2048 CPU / 4096 MiB registered; 512 / 1024 left; the environment runs 1 task of 1024 / 2048 there:
    // 512 + 1024 = 1536 CPU, 1024 + 2048 = 3072 MiB
    const instance = { registered: { cpu: 2048, memory: 4096 }, remaining: { cpu: 512, memory: 1024 } };
    expect(capacityForEnvironment(instance, 1, { cpu: 1024, memory: 2048 })).toEqual({ cpu: 1536, memory: 3072 });
    // a count that would go past the registered amount is capped at it
    expect(capacityForEnvironment(instance, 3, { cpu: 1024, memory: 2048 })).toEqual({ cpu: 2048, memory: 4096 });
  });

  it('copies that fit: the scarcer resource decides; a need of 0 takes no room', () => {
    // CPU 1536 / 512 = 3, memory 3072 / 2048 = 1 → 1
    expect(copiesThatFit({ cpu: 1536, memory: 3072 }, { cpu: 512, memory: 2048 })).toBe(1);
    expect(copiesThatFit({ cpu: 1536, memory: 3072 }, { cpu: 0, memory: 1024 })).toBe(3);
  });
});

describe('summarizeRun: what the samples of the simulated run show', () => {
  it('the lowest ready count and its percentage of desired, the most live tasks beyond desired, the duration', () => {
    // 5 desired; a Replace at 80 %: one stops (4 ready), its replacement starts (5 live), is ready (5)
    const samples = [
      { at: T0 - 5 * S, ready: 2, live: 9 }, // before the deployment: not counted
      { at: T0, ready: 5, live: 5 },
      { at: T0 + 1 * S, ready: 4, live: 5 },
      { at: T0 + 2 * S, ready: 4, live: 6 },
      { at: T0 + 4 * S, ready: 5, live: 5 },
    ];
    expect(summarizeRun(samples, 5, T0, T0 + 20.5 * S)).toEqual({ durationSeconds: 20.5, lowestReady: 4, lowestReadyPercent: 80, mostExtra: 1 });
  });

  it('a percentage to one decimal (4 of 6 = 66.7 %), 100 when nothing is desired', () => {
    expect(summarizeRun([{ at: T0, ready: 4, live: 6 }], 6, T0, T0 + S).lowestReadyPercent).toBe(66.7);
    expect(summarizeRun([{ at: T0, ready: 0, live: 0 }], 0, T0, T0 + S).lowestReadyPercent).toBe(100);
  });
});

describe('stepsOf: the waves or steps of the simulated log', () => {
  it("a Daemon's waves: the launches and stops planned at one instant make one wave, at seconds after the start", () => {
    const events: EnvironmentEvent[] = [
      started(2, T0),
      { type: 'RevisionCountsChanged', counts: [{ revision: 2, desired: 5, current: 0 }], at: T0 },
      stopsPlanned(['t1'], T0),
      launchesPlanned(['i-1', 'i-2'], T0 + 1.5 * S),
      stopsPlanned(['t2', 't3'], T0 + 1.5 * S),
      { type: 'BakeStarted', at: T0 + 9 * S },
    ];
    expect(stepsOf(events, 2, T0)).toEqual([
      { kind: 'Wave', atSeconds: 0, launches: 0, stops: 1 },
      { kind: 'Wave', atSeconds: 1.5, launches: 2, stops: 2 },
      { kind: 'Bake', atSeconds: 9 },
    ]);
  });

  it("a Service's steps: the deploying revision's desired count as it moves (from 0, which is not a step)", () => {
    const counts = (desired: number, at: number): EnvironmentEvent => ({ type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 6, current: 6 }, { revision: 2, desired, current: 0 }], at });
    const events = [started(2, T0), counts(0, T0), counts(3, T0 + 0.4 * S), counts(3, T0 + 2 * S), counts(6, T0 + 6 * S)];
    expect(stepsOf(events, 2, T0)).toEqual([
      { kind: 'Scale', atSeconds: 0.4, revision: 2, desired: 3 },
      { kind: 'Scale', atSeconds: 6, revision: 2, desired: 6 },
    ]);
  });
});

describe('etaError', () => {
  it('|estimate − actual| ÷ actual: 20.47 s for 21.41 s is 0.0439', () => {
    expect(etaError(20.47, 21.41)).toBeCloseTo(0.0439, 4);
    expect(etaError(25, 20)).toBe(0.25);
    expect(() => etaError(1, 0)).toThrow(/positive/);
  });
});
