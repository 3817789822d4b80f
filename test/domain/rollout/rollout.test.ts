/**
 * The rollout core and the Daemon strategies, given(history) / when(observed at t) / then(decision).
 * Every expected value below is worked out by hand in the comment next to it.
 */
import { describe, expect, it } from 'vitest';
import { environmentSummary } from '../../../domain/environment';
import { displayStatus } from '../../../domain/revision-status';
import type { EnvironmentEvent } from '../../../domain/environment';
import { ACTION_BATCH, MAX_LAUNCHES_IN_FLIGHT, MAX_STOPS_IN_FLIGHT, planReplace, planSurge, storeRefused } from '../../../domain/rollout';
import { deploying, given, instanceArn, instances, NAME, T0, task } from './given';

const S = 1000;

describe('daemon-replace: how many old tasks one plan stops (MinHealthyPercent rounded up)', () => {
  // stopped = N − ceil(N × M / 100), or Stuck at once when that is 0 with nothing in flight.
  it.each([
    { N: 1, M: 0, stopped: 1 }, //   floor ceil(0) = 0
    { N: 1, M: 50, stopped: 0 }, //  floor ceil(0.5) = 1 → budget 0
    { N: 2, M: 50, stopped: 1 }, //  floor ceil(1) = 1
    { N: 3, M: 33, stopped: 2 }, //  floor ceil(0.99) = 1
    { N: 3, M: 34, stopped: 1 }, //  floor ceil(1.02) = 2
    { N: 3, M: 50, stopped: 1 }, //  floor ceil(1.5) = 2
    { N: 10, M: 80, stopped: 2 }, // floor 8
    { N: 10, M: 85, stopped: 1 }, // floor ceil(8.5) = 9
    { N: 10, M: 100, stopped: 0 }, // floor 10 → budget 0
    { N: 1000, M: 90, stopped: 100 }, // floor 900
    { N: 1000, M: 99, stopped: 10 }, //  floor 990
  ])('N = $N, MinHealthyPercent $M → $stopped', ({ N, M, stopped }) => {
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: M })).when({
      instances: instances(N),
      tasks: Array.from({ length: N }, (_, i) => task(i + 1, 1)),
    });
    expect(then.stopped).toHaveLength(stopped);
    expect(then.actions).toHaveLength(Math.ceil(stopped / ACTION_BATCH));
    if (stopped === 0) {
      const floor = Math.ceil((N * M) / 100);
      expect(then.events).toContainEqual({
        type: 'DeploymentStuck',
        reason: `MinHealthyPercent budget is 0: ${N} of ${N} instances available, ${floor} must stay (MinHealthyPercent ${M})`,
        at: T0,
      });
    }
  });

  it('an old task that is already unavailable is replaced first, and costs no budget', () => {
    // N = 5, M = 80: floor 4. i3's old task is UNHEALTHY: available 4 → only i3 may go.
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: 80 })).when({
      instances: instances(5),
      tasks: [task(1, 1), task(2, 1), task(3, 1, { health: 'UNHEALTHY' }), task(4, 1), task(5, 1)],
    });
    expect(then.stopped).toEqual(['t1-3']);
  });

  it('unavailable ones first even when they come last: M = 60 over 5 → the unhealthy i5 and one healthy', () => {
    // floor ceil(3) = 3, available 4 (i5 unhealthy): i5 free, then one healthy (4 → 3).
    const moves = planReplace({
      candidates: [1, 2, 3, 4, 5].map((n) => ({ instanceArn: instanceArn(n), olds: [task(n, 1)], available: n !== 5 })),
      instances: 5,
      available: 4,
      floor: 3,
      minHealthyPercent: 60,
      moving: false,
    });
    expect(moves.stop.map((c) => c.instanceArn)).toEqual([instanceArn(5), instanceArn(1)]);
  });

  it('a wave of 10,000 at 50 % is capped at MAX_STOPS_IN_FLIGHT', () => {
    // budget 10,000 − 5,000 = 5,000 > the cap of 2,000.
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: 50 })).when({
      instances: instances(10_000),
      tasks: Array.from({ length: 10_000 }, (_, i) => task(i + 1, 1)),
    });
    expect(MAX_STOPS_IN_FLIGHT).toBe(2_000);
    expect(then.stopped).toHaveLength(2_000);
    expect(then.actions).toHaveLength(200);
    expect(then.types.filter((t) => t === 'StopsPlanned')).toHaveLength(1);
  });
});

describe('a stop not taken within STOP_TIMEOUT_MS (60 s): the same task is stopped again, never another in its place', () => {
  // A stop waits in the environment's stop lane behind the others (every environment on the account
  // shares ECS's 40 StopTask calls a second): one planned 60 s ago may still be on its way. Its task
  // still counts as going, or both stops would land and take the fleet below the floor.
  it('Replace at 80 % of 5 (budget 1): t1-3 was stopped 60 s ago and still runs → the plan stops t1-3 again, not t1-1', () => {
    const history: EnvironmentEvent[] = [
      ...deploying({ Method: 'Replace', MinHealthyPercent: 80 }),
      { type: 'StopsPlanned', reason: 'replace: make room for revision 2', batches: [{ key: 's1', tasks: ['t1-3'] }], at: T0 - 60 * S },
    ];
    const then = given(history).when({ instances: instances(5), tasks: [1, 2, 3, 4, 5].map((n) => task(n, 1)) }, T0);
    expect(then.events.find((e) => e.type === 'StopsSettled')).toEqual({ type: 'StopsSettled', tasks: ['t1-3'], at: T0 });
    // floor = ceil(5 × 0.8) = 4: with t1-3 going, 4 are available — nothing else may go.
    expect(then.stopped).toEqual(['t1-3']);
    expect(then.actions.map((a) => a.reason)).toEqual(['the stop was not taken within 60 s: sent again']);
  });

  it('frozen: nothing is sent, and the stop stays in flight (t1-3 still counts as going when thawed)', () => {
    const history: EnvironmentEvent[] = [
      ...deploying({ Method: 'Replace', MinHealthyPercent: 80 }),
      { type: 'StopsPlanned', reason: 'replace: make room for revision 2', batches: [{ key: 's1', tasks: ['t1-3'] }], at: T0 - 60 * S },
      { type: 'EnvironmentFrozen', at: new Date(T0 - 30 * S).toISOString() },
    ];
    const then = given(history).when({ instances: instances(5), tasks: [1, 2, 3, 4, 5].map((n) => task(n, 1)) }, T0);
    expect(then.types).not.toContain('StopsSettled');
    expect(then.actions).toEqual([]);
  });

  it('59 s after: still in flight — nothing is sent', () => {
    const history: EnvironmentEvent[] = [
      ...deploying({ Method: 'Replace', MinHealthyPercent: 80 }),
      { type: 'StopsPlanned', reason: 'replace: make room for revision 2', batches: [{ key: 's1', tasks: ['t1-3'] }], at: T0 - 59 * S },
    ];
    const then = given(history).when({ instances: instances(5), tasks: [1, 2, 3, 4, 5].map((n) => task(n, 1)) }, T0);
    expect(then.stopped).toEqual([]);
  });
});

describe('daemon-surge: how many instances get a surge copy', () => {
  it.each([
    { N: 10, maxOver: 1 as number | `${number}%`, inUse: 0, started: 1 },
    { N: 10, maxOver: '20%' as const, inUse: 0, started: 2 }, // floor(10 × 0.2)
    { N: 3, maxOver: '10%' as const, inUse: 0, started: 1 }, //  floor(0.3) = 0 → at least 1
    { N: 10, maxOver: 2, inUse: 1, started: 1 }, //               2 − 1
    { N: 10, maxOver: 2, inUse: 2, started: 0 },
  ])('N = $N, MaxOver $maxOver, $inUse in use → $started', ({ N, maxOver, inUse, started }) => {
    // Instances 1..inUse run both copies (the new one PENDING); the others only the old one.
    const tasks = Array.from({ length: N }, (_, i) => task(i + 1, 1));
    for (let i = 1; i <= inUse; i++) tasks.push(task(i, 2, { lastStatus: 'PENDING' }));
    const then = given(deploying({ Method: 'Surge', MaxOver: maxOver })).when({ instances: instances(N), tasks });
    expect(then.started).toHaveLength(started);
    expect(then.stopped).toEqual([]);
  });

  it('retries first: planSurge takes the retries before untouched candidates', () => {
    expect(planSurge({ retries: ['r'], candidates: ['a', 'b'], inUse: 0, limit: 2 })).toEqual(['r', 'a']);
  });
});

describe('priorities: failed launch > lost task > replacement under way > new instance > the strategy', () => {
  it('one plan starts them in that order, before any stop', () => {
    // i1: its launch failed 1 s ago once (back-off 1 s: due now); i2: its revision-2 task crashed
    // 400 s ago (back-off 1 s for 1 crash: due; older than the 300 s crash hold); i3: its old task was stopped by Blox; i4: new; i5..i10:
    // the old revision. Replace at 0 %: the strategy may stop all six.
    const history: EnvironmentEvent[] = [
      ...deploying({ Method: 'Replace', MinHealthyPercent: 0 }),
      { type: 'LaunchesPlanned', revision: 2, reason: 'r', batches: [{ key: 'k1', instances: ['i1'] }], at: T0 - 2 * S },
      { type: 'LaunchesFailed', key: 'k1', failures: [{ instance: 'i1', reason: 'RESOURCE:MEMORY' }], at: T0 - S },
    ];
    const then = given(history).when({
      instances: instances(10),
      tasks: [
        task(2, 2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: T0 - 400 * S }),
        task(3, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedAt: T0 - S }),
        ...[5, 6, 7, 8, 9, 10].map((n) => task(n, 1)),
      ],
    });
    expect(then.started).toEqual(['1', '2', '3', '4']);
    const reasons = then.actions.map((a) => `${a.type}: ${a.reason}`);
    expect(reasons).toEqual([
      'StartTasks: retry after a failed launch',
      'StartTasks: the task of the environment stopped on this instance',
      'StartTasks: replace: the old task has stopped',
      'StartTasks: new instance: it runs no task of the environment',
      'StopTasks: replace: make room for revision 2',
    ]);
  });

  it('under the cap the order decides who goes first: 2,500 new instances and 3 retries → the retries and 1,997 new ones', () => {
    const history: EnvironmentEvent[] = [
      ...deploying({ Method: 'Replace', MinHealthyPercent: 100 }),
      { type: 'LaunchesPlanned', revision: 2, reason: 'r', batches: [{ key: 'k1', instances: ['i2501', 'i2502', 'i2503'] }], at: T0 - 5 * S },
      { type: 'LaunchesFailed', key: 'k1', failures: ['i2501', 'i2502', 'i2503'].map((instance) => ({ instance, reason: 'AGENT' })), at: T0 - 5 * S },
    ];
    const then = given(history).when({ instances: instances(2_503) });
    expect(MAX_LAUNCHES_IN_FLIGHT).toBe(2_000);
    expect(then.started).toHaveLength(2_000);
    expect(then.started.slice(0, 3)).toEqual(['2501', '2502', '2503']);
    expect(then.started.at(-1)).toBe('1997');
    expect(then.plan.wakeAt).toBe(T0 + S); // the rest is planned as soon as the bookkeeping allows
  });
});

describe('replacements fill StartTask calls while old tasks are still stopping (LAUNCH_GATHER_MS 2 s)', () => {
  // 20 instances, Replace at 50 %: floor 10. i1..i3: old task stopped by Blox (ready for their
  // replacement); then `stopping` old tasks on their way down (desired STOPPED, still RUNNING); the
  // rest run the old revision — exactly 10 available, so the strategy stops nothing more.
  const observed = (ready: number, stopping: number, stoppedAt: (n: number) => number) => ({
    instances: instances(20),
    tasks: Array.from({ length: 20 }, (_, i) => {
      const n = i + 1;
      if (n <= ready) return task(n, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedAt: stoppedAt(n) });
      if (n <= ready + stopping) return task(n, 1, { desiredStatus: 'STOPPED' });
      return task(n, 1);
    }),
  });
  const history = deploying({ Method: 'Replace', MinHealthyPercent: 50 });

  it('3 ready and 7 stopping: a call of 10 can fill, so none is sent yet; the plan looks again 2 s after the first stopped', () => {
    // stopped at T0 − 500, −400, −300 ms: the earliest waited 500 ms < 2,000 → held until T0 + 1,500.
    const then = given(history).when(observed(3, 7, (n) => T0 - 600 + 100 * n));
    expect(then.started).toEqual([]);
    expect(then.actions).toEqual([]);
    expect(then.plan.wakeAt).toBe(T0 + 1_500);
    expect(then.types).not.toContain('DeploymentStuck');
  });

  it('2 s after the first of them stopped, the 3 go in one call', () => {
    const then = given(history).when(observed(3, 7, (n) => T0 - 600 + 100 * n), T0 + 1_500);
    expect(then.started).toEqual(['1', '2', '3']);
    expect(then.actions).toHaveLength(1);
  });

  it('3 ready and 6 stopping: 9 cannot fill a call of 10, so the 3 go at once', () => {
    expect(given(history).when(observed(3, 6, () => T0 - 100)).started).toEqual(['1', '2', '3']);
  });

  it('12 ready and 8 stopping: the 10 that stopped first go as one call, the last 2 wait', () => {
    // i1..i12 stopped at T0 − 1,200 … T0 − 100 (i12 last): i1..i10 go; i11 stopped at T0 − 200 → held until T0 + 1,800.
    const stoppedAt = (n: number) => T0 - 1_300 + 100 * n;
    const then = given([...history]).when({
      instances: instances(20),
      tasks: Array.from({ length: 20 }, (_, i) => {
        const n = i + 1;
        return n <= 12 ? task(n, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedAt: stoppedAt(n) }) : task(n, 1, { desiredStatus: 'STOPPED' });
      }),
    });
    expect(then.started).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(then.actions.filter((a) => a.type === 'StartTasks')).toHaveLength(1);
    expect(then.plan.wakeAt).toBe(T0 + 1_800);
  });

  it('a lost task or a new instance is never held', () => {
    // i1: a task of revision 2 that stopped on its own (not a replacement); 9 old tasks stopping.
    const then = given(history).when({
      instances: instances(20),
      tasks: [
        task(1, 2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: T0 - 400 * S }),
        ...Array.from({ length: 9 }, (_, i) => task(i + 2, 1, { desiredStatus: 'STOPPED' })),
        ...Array.from({ length: 10 }, (_, i) => task(i + 11, 1)),
      ],
    });
    expect(then.started).toEqual(['1']);
  });
});

describe('back-off of a failed launch: 2^(failures − 1) s', () => {
  const failedTwice: EnvironmentEvent[] = [
    ...deploying({ Method: 'Replace', MinHealthyPercent: 80 }),
    { type: 'LaunchesPlanned', revision: 2, reason: 'r', batches: [{ key: 'k1', instances: ['i1'] }], at: T0 },
    { type: 'LaunchesFailed', key: 'k1', failures: [{ instance: 'i1', reason: 'RESOURCE:CPU' }], at: T0 },
    { type: 'LaunchesPlanned', revision: 2, reason: 'r', batches: [{ key: 'k2', instances: ['i1'] }], at: T0 + S },
    { type: 'LaunchesFailed', key: 'k2', failures: [{ instance: 'i1', reason: 'RESOURCE:CPU' }], at: T0 + S },
  ];
  // Two failures, the last at T0 + 1 s: back-off 2 s → due at T0 + 3 s.
  const observed = { instances: instances(5), tasks: [2, 3, 4, 5].map((n) => task(n, 1)) };
  it('not before it ends, and the plan asks to look again then', () => {
    const then = given(failedTwice).when(observed, T0 + 3 * S - 1);
    expect(then.started).toEqual([]);
    expect(then.plan.wakeAt).toBe(T0 + 3 * S);
  });
  it('retried when it ends', () => {
    expect(given(failedTwice).when(observed, T0 + 3 * S).started).toEqual(['1']);
  });
});

describe('a crash holds the strategy', () => {
  it('a revision-2 task that stopped on its own 10 s ago: its instance is retried, no old task is stopped', () => {
    // Within the crash-loop window (max(StuckAfterSeconds 300 s, 3 × 60 s) = 300 s).
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: 0 })).when({
      instances: instances(3),
      tasks: [task(1, 2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'exit 1', stoppedAt: T0 - 10 * S }), task(2, 1), task(3, 1)],
    });
    expect(then.started).toEqual(['1']);
    expect(then.stopped).toEqual([]);
    expect(then.plan.wakeAt).toBe(T0 + 290 * S);
  });
});

describe('membership', () => {
  it('instances joining mid-deploy raise DESIRED and are started in the same plan', () => {
    const history: EnvironmentEvent[] = [
      ...deploying({ Method: 'Replace', MinHealthyPercent: 80 }),
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 3 }, { revision: 2, desired: 5, current: 2 }], at: T0 },
    ];
    // The walkthrough: 1 Undeploying 0 3, 2 Deploying 5 2 → five instances join → DESIRED 10.
    const then = given(history).when({
      instances: instances(10),
      tasks: [task(1, 2), task(2, 2), task(3, 1), task(4, 1), task(5, 1)],
    });
    expect(then.events).toContainEqual({ type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 3 }, { revision: 2, desired: 10, current: 2 }], at: T0 });
    expect(then.started).toEqual(['6', '7', '8', '9', '10']);
  });

  it('old tasks on a DRAINING instance, or one that left the group, are stopped freely', () => {
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: 100 })).when({
      instances: [...instances(2), { arn: instanceArn(3), status: 'DRAINING' }],
      tasks: [task(1, 1), task(2, 1), task(3, 1), task(4, 1)],
    });
    expect(then.stopped.sort()).toEqual(['t1-3', 't1-4']);
  });
});

describe('bookkeeping stays bounded', () => {
  it('a launch whose task shows up is settled; one with no task for 60 s is given up and planned again', () => {
    const history: EnvironmentEvent[] = [
      ...deploying({ Method: 'Replace', MinHealthyPercent: 0 }),
      { type: 'LaunchesPlanned', revision: 2, reason: 'r', batches: [{ key: 'k1', instances: ['i1', 'i2'] }], at: T0 },
    ];
    const then = given(history).when({ instances: instances(2), tasks: [task(1, 2, { lastStatus: 'PENDING', actionKey: 'k1' })] }, T0 + 60 * S);
    expect(then.events).toContainEqual({ type: 'LaunchesSettled', instances: ['i1'], at: T0 + 60 * S });
    expect(then.events).toContainEqual({ type: 'LaunchesLost', instances: ['i2'], at: T0 + 60 * S });
    expect(then.started).toEqual(['2']);
    expect(then.next.engine?.launches.map((b) => b.instances)).toEqual([['i2']]);
    expect(then.next.engine?.launches[0]?.key).not.toBe('k1');
  });

  it('a launch planned again after it was given up gets a key never used before (SQS would drop a repeat)', () => {
    const history = deploying({ Method: 'Replace', MinHealthyPercent: 0 });
    const first = given(history).when({ instances: instances(1) });
    const firstKey = first.actions[0]?.key;
    // No task ever shows up: the launch is given up (its key leaves the record), and planned again later.
    const lost: EnvironmentEvent = { type: 'LaunchesLost', instances: ['i1'], at: T0 + 60 * S };
    const again = given(history, first.events, [lost]).when({ instances: instances(1) }, T0 + 61 * S);
    expect(again.started).toEqual(['1']);
    expect(firstKey).toMatch(/^start-/);
    expect(again.actions[0]?.key).not.toBe(firstKey);
  });

  it('the first plan of 10,000 new instances: 200 messages, one event of ≤ 100 KB, a projection ≤ 150 KB', () => {
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: 90 })).when({ instances: instances(10_000) });
    expect(then.actions).toHaveLength(200); // 2,000 launches in batches of 10
    const planned = then.events.filter((e) => e.type === 'LaunchesPlanned');
    expect(planned).toHaveLength(1);
    // 2,000 ids of up to 6 characters (quoted, comma) + 200 keys of ~60 characters: ~36 KB.
    expect(JSON.stringify(planned[0]).length).toBeLessThan(100_000);
    expect(JSON.stringify(then.next).length).toBeLessThan(150_000);
  });
});

describe('coverage: Failing while too many instances lack the revision, and back', () => {
  const coverage = { Method: 'Replace' as const, MinHealthyPercent: 0, Coverage: { MaxInstancesWithout: 2, ForSeconds: 60 } };
  // 10 instances, 7 with a ready revision 2 task, 3 with nothing starting yet → 3 > 2 without.
  const observed = { instances: instances(10), tasks: [1, 2, 3, 4, 5, 6, 7].map((n) => task(n, 2)).concat([8, 9, 10].map((n) => task(n, 2, { lastStatus: 'PENDING' }))) };
  it('the clock starts, then 60 s later the revision is Failing with the reason, then it recovers', () => {
    const first = given(deploying(coverage)).when(observed);
    expect(first.events).toContainEqual({ type: 'CoverageDropped', without: 3, at: T0 });
    const second = given(deploying(coverage), first.events).when(observed, T0 + 60 * S);
    const reason = 'coverage: 3 of 10 instances without a ready task of revision 2 for 60 s (Coverage.MaxInstancesWithout 2)';
    expect(second.events).toContainEqual({ type: 'CoverageFailing', without: 3, reason, at: T0 + 60 * S });
    const failing = second.next.revisions.find((r) => r.revision === 2);
    expect(failing && displayStatus(failing)).toBe('Failing');
    expect(failing?.statusReason).toBe(reason);
    expect(environmentSummary(second.next).status).toBe('Failing');
    // i8 is ready now: 2 without ≤ 2.
    const recovered = { ...observed, tasks: observed.tasks.map((t) => (t.instanceArn === instanceArn(8) ? { ...t, lastStatus: 'RUNNING' as const } : t)) };
    const third = given(deploying(coverage), first.events, second.events).when(recovered, T0 + 70 * S);
    expect(third.events).toContainEqual({ type: 'CoverageRestored', at: T0 + 70 * S });
    const back = third.next.revisions.find((r) => r.revision === 2);
    expect(back && displayStatus(back)).toBe('Deploying');
  });
  it('without Coverage nothing is watched', () => {
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: 0 })).when(observed);
    expect(then.types.filter((t) => t.startsWith('Coverage'))).toEqual([]);
    expect(NAME).toBe('SomeEnvironment/Prod');
  });
});

describe('a write the store refuses', () => {
  const engine = given(deploying({ Method: 'Replace', MinHealthyPercent: 80 })).state.engine;
  const reason = 'the revision log refused the write: Item size has exceeded the maximum allowed size';
  it('makes the deployment Stuck with the store reason', () => {
    expect(storeRefused(engine, reason, T0)).toEqual([{ type: 'DeploymentStuck', reason, at: T0 }]);
  });
  it('once: a deployment already Stuck with that reason records nothing more', () => {
    const stuck = engine && { ...engine, health: { status: 'Stuck' as const, since: T0, reason } };
    expect(storeRefused(stuck, reason, T0 + S)).toEqual([]);
  });
  it('nothing without a deployment in progress', () => expect(storeRefused(undefined, reason, T0)).toEqual([]));
});
