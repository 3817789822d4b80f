/**
 * The circuit breaker: its threshold, what counts, counting once, the bounded record and the trip
 * decision. Every expected value is worked out by hand in the comment next to it.
 */
import { describe, expect, it } from 'vitest';
import type { StoppedTargetTask } from '../../../domain/rollout/circuit-breaker';
import {
  breakerThreshold,
  breakerVerdict,
  countBreakerFailures,
  describeBreakerVerdict,
  MAX_BREAKER_RECORDS,
  newBreakerRecord,
  stopCause,
} from '../../../domain/rollout/circuit-breaker';

const T0 = Date.parse('2017-09-06T11:47:23.000Z');
const S = 1000;
const HOUR = 3600 * S;
const PULL = 'CannotPullContainerError: pull image manifest has been retried 5 time(s)';

const failed = (n: number, overrides: Partial<StoppedTargetTask> = {}): StoppedTargetTask => ({
  id: `t${n}`,
  stoppedAt: T0 + n * S,
  stopCode: 'TaskFailedToStart',
  stoppedReason: PULL,
  everReady: false,
  ...overrides,
});

describe('breakerThreshold', () => {
  it.each([
    { setting: undefined, D: 0, threshold: 3 }, //     clamp(ceil(0), 3, 200) = 3
    { setting: undefined, D: 1, threshold: 3 }, //     ceil(0.5) = 1 → 3
    { setting: undefined, D: 6, threshold: 3 }, //     ceil(3) = 3
    { setting: undefined, D: 7, threshold: 4 }, //     ceil(3.5) = 4
    { setting: undefined, D: 25, threshold: 13 }, //   ceil(12.5) = 13
    { setting: undefined, D: 400, threshold: 200 }, // 200
    { setting: undefined, D: 401, threshold: 200 }, // ceil(200.5) = 201 → 200
    { setting: undefined, D: 1000, threshold: 200 }, // 500 → 200
    { setting: 5, D: 25, threshold: 5 }, //           a count is the count
    { setting: 1, D: 1000, threshold: 1 },
    { setting: '20%' as const, D: 10, threshold: 2 }, //   ceil(2) = 2
    { setting: '10%' as const, D: 3, threshold: 1 }, //    ceil(0.3) = 1
    { setting: '50%' as const, D: 0, threshold: 1 }, //    ceil(0) = 0 → at least 1
    { setting: '100%' as const, D: 10000, threshold: 10000 }, // no clamp for an explicit percentage
  ])('FailedTasks $setting, D = $D → $threshold', ({ setting, D, threshold }) => {
    expect(breakerThreshold(setting, D)).toBe(threshold);
  });
});

describe('stopCause: what counts against the revision', () => {
  it.each([
    { code: 'TaskFailedToStart', reason: PULL, cause: 'FailedToStart' },
    { code: 'TaskFailedToStart', reason: 'ResourceInitializationError: unable to pull secrets', cause: 'FailedToStart' },
    { code: 'EssentialContainerExited', reason: 'Essential container in task exited', cause: 'EssentialContainerExited' },
    { code: 'ServiceSchedulerInitiated', reason: 'Task failed container health checks', cause: 'FailedContainerHealthCheck' },
    { code: 'ServiceSchedulerInitiated', reason: 'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:…:targetgroup/web/1)', cause: 'UnhealthyTarget' },
    { code: 'ServiceSchedulerInitiated', reason: 'Scaling activity initiated by (deployment ecs-svc/123)', cause: 'StoppedByScheduler' },
    { code: 'UserInitiated', reason: 'blox: scale task set down', cause: 'StoppedByUser' },
    { code: 'SpotInterruption', reason: 'Your Spot Task was interrupted.', cause: 'Infrastructure' },
    { code: 'TerminationNotice', reason: undefined, cause: 'Infrastructure' },
    { code: undefined, reason: 'Task stopped', cause: 'Unknown' },
  ])('$code / $reason → $cause', ({ code, reason, cause }) => {
    expect(stopCause(code, reason)).toBe(cause);
  });
});

describe('countBreakerFailures and breakerVerdict', () => {
  it('three new tasks that cannot pull their image trip the default breaker at D = 4', () => {
    // threshold clamp(ceil(2), 3, 200) = 3; 3 counted, none alive → "3 of 3".
    const { record, counted } = countBreakerFailures(newBreakerRecord(T0), [failed(1), failed(2), failed(3)], T0 + 10 * S, HOUR);
    expect(counted).toEqual(['t1', 't2', 't3']);
    expect(record.failed).toBe(3);
    const verdict = breakerVerdict(record, {}, 4, 0);
    expect(verdict).toEqual({
      kind: 'Tripped',
      failed: 3,
      threshold: 3,
      action: 'Rollback',
      reason: `circuit breaker: 3 of 3 new tasks stopped before ready (last: ${PULL})`,
    });
    expect(describeBreakerVerdict(verdict)).toBe(`circuit breaker: 3 of 3 new tasks stopped before ready (last: ${PULL}); rolling back`);
  });

  it('two of three: Closed; with two tasks alive the reason would say "of 5"', () => {
    const { record } = countBreakerFailures(newBreakerRecord(T0), [failed(1), failed(2)], T0 + 10 * S, HOUR);
    expect(breakerVerdict(record, {}, 4, 2)).toEqual({ kind: 'Closed', failed: 2, threshold: 3 });
    // FailedTasks 2: 2 ≥ 2 → tripped; 2 counted + 3 alive = 5; Rollback false → Halt.
    expect(breakerVerdict(record, { FailedTasks: 2, Rollback: false }, 4, 3)).toMatchObject({
      kind: 'Tripped',
      action: 'Halt',
      reason: `circuit breaker: 2 of 5 new tasks stopped before ready (last: ${PULL})`,
    });
  });

  it('a task seen stopped in several plans counts once', () => {
    const first = countBreakerFailures(newBreakerRecord(T0), [failed(1)], T0 + 5 * S, HOUR);
    const second = countBreakerFailures(first.record, [failed(1), failed(1), failed(2)], T0 + 6 * S, HOUR);
    expect(second.counted).toEqual(['t2']);
    expect(second.record.failed).toBe(2); // 1 + 1
  });

  it('not counted: ready once, stopped by someone, Spot, scheduler scale-in, before the deployment started', () => {
    const stopped = [
      failed(1, { everReady: true, stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }),
      failed(2, { stopCode: 'UserInitiated', stoppedReason: 'blox: scale task set down' }),
      failed(3, { stopCode: 'SpotInterruption' }),
      failed(4, { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' }),
      failed(5, { stoppedAt: T0 - S }),
    ];
    const { record, counted } = countBreakerFailures(newBreakerRecord(T0), stopped, T0 + 10 * S, HOUR);
    expect(counted).toEqual([]);
    expect(record.failed).toBe(0);
  });

  it('counted: failed container health check and unhealthy target, before ready', () => {
    const stopped = [
      failed(1, { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' }),
      failed(2, { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed ELB health checks in (target-group arn:…/web/1)' }),
      failed(3, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }),
    ];
    const { record } = countBreakerFailures(newBreakerRecord(T0), stopped, T0 + 10 * S, HOUR);
    expect(record.failed).toBe(3);
    expect(record.last).toEqual({ id: 't3', cause: 'EssentialContainerExited', reason: 'Essential container in task exited', at: T0 + 3 * S });
  });

  it('the last reason is cut to 80 characters in the trip reason', () => {
    // 100 characters → the first 79 and "…".
    const long = `CannotPullContainerError: ${'x'.repeat(74)}`;
    expect(long).toHaveLength(100);
    const { record } = countBreakerFailures(newBreakerRecord(T0), [failed(1, { stoppedReason: long })], T0 + 10 * S, HOUR);
    const verdict = breakerVerdict(record, { FailedTasks: 1 }, 4, 0);
    expect(verdict).toMatchObject({ reason: `circuit breaker: 1 of 1 new tasks stopped before ready (last: ${long.slice(0, 79)}…)` });
  });

  it('records the observation no longer shows are forgotten, and never counted again', () => {
    // t1 stopped at T0 + 1 s; an hour and 2 s later it is forgotten: since = now − 1 h = T0 + 2 s.
    const first = countBreakerFailures(newBreakerRecord(T0), [failed(1)], T0 + 2 * S, HOUR);
    const later = countBreakerFailures(first.record, [failed(1)], T0 + 2 * S + HOUR, HOUR);
    expect(later.record).toMatchObject({ failed: 1, since: T0 + 2 * S, counted: [] });
    expect(later.counted).toEqual([]);
  });

  it(`the record keeps at most ${MAX_BREAKER_RECORDS} tasks; the count goes on`, () => {
    // 600 failures at T0 + 1 s … T0 + 600 s: the oldest 100 are dropped, since = (T0 + 100 s) + 1 ms.
    const stopped = Array.from({ length: 600 }, (_, i) => failed(i + 1));
    const { record } = countBreakerFailures(newBreakerRecord(T0), stopped, T0 + 601 * S, HOUR);
    expect(record.failed).toBe(600);
    expect(record.counted).toHaveLength(500);
    expect(record.since).toBe(T0 + 100 * S + 1);
    // The dropped ones seen again are not counted again.
    expect(countBreakerFailures(record, stopped.slice(0, 100), T0 + 602 * S, HOUR).record.failed).toBe(600);
  });
});
