/**
 * The rollout's safety (domain/rollout/safety.ts through the core): alarms, the circuit breaker, the
 * bake and the Daemon canary, given(history) / when(observed at t) / then(decision). Every expected
 * value is worked out by hand next to it. The deployment of revision 2 starts at T0 (2017-09-06T11:47:23Z);
 * revision 1 was Active.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../../domain/environment';
import { decide, environmentSummary, fold } from '../../../domain/environment';
import { displayStatus } from '../../../domain/revision-status';
import type { AlarmReading } from '../../../domain/rollout';
import { canaryInstances } from '../../../domain/rollout';
import type { DeploymentConfiguration } from '../../../domain/spec';
import { effectiveDeploymentConfiguration } from '../../../domain/spec';
import { created, deploying, given, instances, NAME, T0, task } from './given';

const S = 1000;
const alarm = (value: AlarmReading['value'], at: number, name = 'daemon-errors'): AlarmReading => ({ name, value, at, reason: 'Threshold Crossed' });
const ALARMS: DeploymentConfiguration = { Method: 'Replace', MinHealthyPercent: 50, Alarms: { AlarmNames: ['daemon-errors'] } };
/** Four instances, all on revision 1: the deployment's first step. */
const before = { instances: instances(4), tasks: [1, 2, 3, 4].map((n) => task(n, 1)) };
/** Four instances, all on revision 2 and ready, nothing old left. */
const done = { instances: instances(4), tasks: [1, 2, 3, 4].map((n) => task(n, 2)) };

describe('alarms: a watched alarm entering ALARM during the deployment', () => {
  it('rolls back to the revision that was Active, with the reason, and moves nothing else', () => {
    const then = given(deploying(ALARMS)).when({ ...before, alarms: [alarm('ALARM', T0 + 60 * S)] }, T0 + 61 * S);
    expect(then.actions).toEqual([]);
    expect(then.events).toContainEqual({
      type: 'RollbackTriggered',
      trigger: 'Alarm',
      // T0 + 60 s = 11:48:23
      reason: 'alarm daemon-errors entered ALARM at 2017-09-06T11:48:23.000Z (Threshold Crossed)',
      to: 1,
      at: T0 + 61 * S,
    });
  });

  it('the engine turns it into a rollback: revision 2 Reverting with the reason, revision 1 Deploying, the deployment naming its trigger', () => {
    const history = deploying(ALARMS);
    const then = given(history).when({ ...before, alarms: [alarm('ALARM', T0 + 60 * S)] }, T0 + 61 * S);
    const triggered = then.events.find((e) => e.type === 'RollbackTriggered');
    if (triggered?.type !== 'RollbackTriggered') throw new Error('no trigger');
    const at = new Date(T0 + 61 * S).toISOString();
    const targetSpec = { Name: NAME, TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon' as const, DeploymentConfiguration: ALARMS };
    const trigger = { kind: triggered.trigger, reason: triggered.reason };
    const rollback = decide({ type: 'RollbackToRevision', name: NAME, revision: triggered.to, targetSpec, trigger, at }, then.next);
    const after = fold(rollback, then.next)!;
    expect(after.deployment?.kind).toBe('rollback');
    expect(after.deployment?.trigger).toEqual({ kind: 'Alarm', reason: triggered.reason, at });
    expect(after.revisions.map((r) => [r.revision, displayStatus(r), r.statusReason])).toEqual([
      [1, 'Deploying', undefined],
      [2, 'Reverting', `${triggered.reason}`],
    ]);
    // A rollback is never rolled back itself: the same alarm entering ALARM again changes nothing.
    const again = given([...history, ...then.events, ...rollback]).when({ ...before, alarms: [alarm('ALARM', T0 + 90 * S)] }, T0 + 91 * S);
    expect(again.types).not.toContain('RollbackTriggered');
    expect(again.types).not.toContain('DeploymentHalted');
  });

  it('an alarm already in ALARM when the deployment started is shown, and triggers only on its next entry', () => {
    const history = deploying(ALARMS);
    const first = given(history).when({ ...before, alarms: [alarm('ALARM', T0 - 120 * S)] }, T0 + S);
    expect(first.types).toContain('AlarmStateObserved');
    expect(first.types).not.toContain('RollbackTriggered');
    expect(first.stopped).toHaveLength(2); // floor ceil(4 × 0.5) = 2: the rollout goes on
    expect(first.next.engine?.alarms).toEqual({ 'daemon-errors': { value: 'ALARM', at: T0 - 120 * S, reason: 'Threshold Crossed' } });
    // OK at +30 s, then ALARM again at +90 s: that entry triggers.
    const second = given([...history, ...first.events]).when({ ...before, alarms: [alarm('OK', T0 + 30 * S), alarm('ALARM', T0 + 90 * S)] }, T0 + 91 * S);
    expect(second.types).toEqual(expect.arrayContaining(['AlarmStateObserved', 'RollbackTriggered']));
    expect(second.events.filter((e) => e.type === 'AlarmStateObserved')).toHaveLength(2);
  });

  it('a duplicate, or an older reading arriving late, is ignored: one entry acts once', () => {
    const history = [...deploying({ ...ALARMS, Alarms: { AlarmNames: ['daemon-errors'], Rollback: false } })];
    const first = given(history).when({ ...before, alarms: [alarm('ALARM', T0 + 60 * S)] }, T0 + 61 * S);
    expect(first.types.filter((t) => t === 'DeploymentHalted')).toHaveLength(1);
    // The same event again, and a late OK from before it (+30 s): nothing new on record, no second trigger.
    const second = given([...history, ...first.events]).when({ ...before, alarms: [alarm('ALARM', T0 + 60 * S), alarm('OK', T0 + 30 * S)] }, T0 + 62 * S);
    expect(second.events).toEqual([]);
    expect(second.actions).toEqual([]);
  });

  it('Rollback: false halts: Stuck with the reason, nothing moves, then Failing after FailingAfterSeconds', () => {
    const history = deploying({ ...ALARMS, FailingAfterSeconds: 600, Alarms: { AlarmNames: ['daemon-errors'], Rollback: false } });
    const halted = given(history).when({ ...before, alarms: [alarm('ALARM', T0 + 60 * S)] }, T0 + 61 * S);
    const reason = 'alarm daemon-errors entered ALARM at 2017-09-06T11:48:23.000Z (Threshold Crossed); halted (Rollback: false)';
    expect(halted.events).toContainEqual({ type: 'DeploymentHalted', trigger: 'Alarm', reason, at: T0 + 61 * S });
    expect(environmentSummary(halted.next).status).toBe('Stuck');
    expect(halted.next.revisions.find((r) => r.revision === 2)?.statusReason).toBe(reason);
    expect(halted.next.deployment?.trigger).toEqual({ kind: 'Alarm', reason, at: new Date(T0 + 61 * S).toISOString() });
    const later = [...history, ...halted.events];
    // 300 s later: still nothing moves, and it is not Failing yet (600 s); it wakes at T0 + 661 s.
    const waiting = given(later).when(before, T0 + 361 * S);
    expect(waiting.actions).toEqual([]);
    expect(waiting.plan.wakeAt).toBe(T0 + 661 * S);
    const failing = given(later).when(before, T0 + 661 * S);
    expect(failing.events).toEqual([{ type: 'DeploymentFailing', reason, at: T0 + 661 * S }]);
    expect(failing.actions).toEqual([]);
  });

  it('the first deployment has nothing to roll back to: it halts, and says so', () => {
    const effective = effectiveDeploymentConfiguration({ DeploymentType: 'Daemon', DeploymentConfiguration: ALARMS });
    const history: EnvironmentEvent[] = [
      ...created(ALARMS),
      {
        type: 'DeploymentStarted',
        deploymentId: `${NAME}:1@2017090611472300`,
        revision: 1,
        undeploying: [],
        initial: true,
        target: { taskDefinition: 'log-daemon:1', cluster: 'default', configuration: effective },
        at: new Date(T0).toISOString(),
      },
    ];
    const then = given(history).when({ instances: instances(2), alarms: [alarm('ALARM', T0 + 10 * S)] }, T0 + 11 * S);
    expect(then.events.at(-1)).toEqual({
      type: 'DeploymentHalted',
      trigger: 'Alarm',
      reason: 'alarm daemon-errors entered ALARM at 2017-09-06T11:47:33.000Z (Threshold Crossed); halted: no earlier revision to roll back to',
      at: T0 + 11 * S,
    });
  });

  it('an alarm that is not watched changes nothing', () => {
    const then = given(deploying(ALARMS)).when({ ...before, alarms: [alarm('ALARM', T0 + 60 * S, 'web-5xx')] }, T0 + 61 * S);
    expect(then.types).not.toContain('AlarmStateObserved');
    expect(then.stopped).toHaveLength(2);
  });
});

describe('circuit breaker: new tasks that stop before ready, counted per deployment', () => {
  const failed = (n: number, at: number) =>
    task(n, 2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: image not found', stoppedAt: at });
  const config: DeploymentConfiguration = { Method: 'Replace', MinHealthyPercent: 0, CircuitBreaker: {} };

  it('below the threshold counts them; at it rolls back: N = 4 → clamp(ceil(2), 3, 200) = 3', () => {
    const history = deploying(config);
    const two = given(history).when({ instances: instances(4), tasks: [failed(1, T0 + S), failed(2, T0 + 2 * S)] }, T0 + 3 * S);
    expect(two.events.find((e) => e.type === 'CircuitBreakerCounted')).toMatchObject({ tasks: ['t2-1', 't2-2'], record: { failed: 2 } });
    expect(two.types).not.toContain('RollbackTriggered');
    // The third: 3 of 3 (none of revision 2 alive).
    const three = given([...history, ...two.events]).when({ instances: instances(4), tasks: [failed(1, T0 + S), failed(2, T0 + 2 * S), failed(3, T0 + 4 * S)] }, T0 + 5 * S);
    expect(three.events.find((e) => e.type === 'CircuitBreakerCounted')).toMatchObject({ tasks: ['t2-3'], record: { failed: 3 } });
    expect(three.events.at(-1)).toEqual({
      type: 'RollbackTriggered',
      trigger: 'CircuitBreaker',
      reason: 'circuit breaker: 3 of 3 new tasks stopped before ready (last: CannotPullContainerError: image not found)',
      to: 1,
      at: T0 + 5 * S,
    });
    expect(three.actions).toEqual([]);
  });

  it('FailedTasks "50%" of 4 → 2; a task Blox stopped, or one that stopped before the deployment, does not count', () => {
    const history = deploying({ ...config, CircuitBreaker: { FailedTasks: '50%', Rollback: false } });
    const then = given(history).when(
      {
        instances: instances(4),
        tasks: [
          failed(1, T0 - 10 * S), // before the deployment
          task(2, 2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedAt: T0 + S }),
          failed(3, T0 + 2 * S),
        ],
      },
      T0 + 3 * S,
    );
    expect(then.types).not.toContain('DeploymentHalted');
    const next = given([...history, ...then.events]).when({ instances: instances(4), tasks: [failed(3, T0 + 2 * S), failed(4, T0 + 4 * S)] }, T0 + 5 * S);
    // 2 of 2 counted; no task of revision 2 alive → "2 of 2"
    expect(next.events.at(-1)).toMatchObject({ type: 'DeploymentHalted', trigger: 'CircuitBreaker', reason: expect.stringMatching(/^circuit breaker: 2 of 2 new tasks stopped before ready \(last: CannotPull.*\); halted \(Rollback: false\)$/) });
  });

  it('without CircuitBreaker, nothing is counted', () => {
    const then = given(deploying({ Method: 'Replace', MinHealthyPercent: 0 })).when({ instances: instances(4), tasks: [failed(1, T0 + S), failed(2, T0 + S), failed(3, T0 + S)] }, T0 + 2 * S);
    expect(then.types).not.toContain('CircuitBreakerCounted');
    expect(then.types).not.toContain('RollbackTriggered');
  });
});

describe('bake: the old revision is retired only after BakeSeconds, alarms still watched', () => {
  const config: DeploymentConfiguration = { ...ALARMS, BakeSeconds: 120 };

  it('BakeStarted when the revision has everything, nothing completes before T + 120 s, then DeploymentCompleted', () => {
    const history = deploying(config);
    const started = given(history).when(done, T0 + 10 * S);
    expect(started.types).toContain('BakeStarted');
    expect(started.types).not.toContain('DeploymentCompleted');
    expect(started.plan.wakeAt).toBe(T0 + 130 * S);
    expect(environmentSummary(started.next).status).toBe('Deploying');
    const baking = given([...history, ...started.events]).when(done, T0 + 129 * S);
    expect(baking.events).toEqual([]);
    expect(baking.plan.wakeAt).toBe(T0 + 130 * S);
    const over = given([...history, ...started.events]).when(done, T0 + 130 * S);
    expect(over.types).toEqual(['DeploymentCompleted']);
  });

  it('a rollback does not bake (nor is it watched): it completes once the old revision is back', () => {
    const history = deploying(config);
    const started = given(history).when(done, T0 + 10 * S);
    const at = new Date(T0 + 20 * S).toISOString();
    const targetSpec = { Name: NAME, TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon' as const, DeploymentConfiguration: config };
    const rollback = decide({ type: 'RollbackToRevision', name: NAME, revision: 1, targetSpec, at }, fold(started.events, started.state)!);
    const back = { instances: instances(4), tasks: [1, 2, 3, 4].map((n) => task(n, 1)) };
    const then = given([...history, ...started.events, ...rollback]).when({ ...back, alarms: [alarm('ALARM', T0 + 25 * S)] }, T0 + 30 * S);
    expect(then.types).toEqual(['RevisionCountsChanged', 'AlarmStateObserved', 'DeploymentCompleted']);
  });

  it('an alarm entering ALARM during the bake rolls back', () => {
    const history = deploying(config);
    const started = given(history).when(done, T0 + 10 * S);
    const then = given([...history, ...started.events]).when({ ...done, alarms: [alarm('ALARM', T0 + 60 * S)] }, T0 + 61 * S);
    expect(then.types).toEqual(['AlarmStateObserved', 'RollbackTriggered']);
  });
});

describe('Daemon canary: its instances first, their bake, then the rest', () => {
  it.each([
    { N: 6, setting: '10%' as const, k: 1 }, // ceil(0.6)
    { N: 10, setting: '25%' as const, k: 3 }, // ceil(2.5)
    { N: 2, setting: 3, k: 2 }, //             at most N
    { N: 5, setting: 1, k: 1 },
  ])('canaryInstances($N, $setting) = $k', ({ N, setting, k }) => {
    expect(canaryInstances(N, setting)).toBe(k);
  });

  // Replace at 50 % over 4: the budget alone would stop 2 (floor ceil(2) = 2).
  const config: DeploymentConfiguration = { ...ALARMS, Canary: { Instances: 1, BakeSeconds: 600 } };

  it('stops one old task (the canary), not the two the budget allows', () => {
    const then = given(deploying(config)).when(before);
    expect(then.stopped).toEqual(['t1-1']);
  });

  it('once the canary instance runs the revision: its bake, no further move, not Stuck; then the rest at the Method\'s pace', () => {
    const history = deploying(config);
    const canary = { instances: instances(4), tasks: [task(1, 2), task(2, 1), task(3, 1), task(4, 1)] };
    const baking = given(history).when(canary, T0 + 10 * S);
    expect(baking.events).toContainEqual({ type: 'CanaryBakeStarted', instances: 1, at: T0 + 10 * S });
    expect(baking.actions).toEqual([]);
    expect(baking.plan.wakeAt).toBe(T0 + 610 * S);
    // 500 s in (past StuckAfterSeconds 300): still baking, not Stuck.
    const waiting = given([...history, ...baking.events]).when(canary, T0 + 510 * S);
    expect(waiting.actions).toEqual([]);
    expect(waiting.types).not.toContain('DeploymentStuck');
    // 600 s in: CanaryPassed, and Replace stops 1 more: available 4, floor 2 → 2 may go, but i1's
    // old task is gone already: candidates i2..i4, available 4 → stops 2 (4 → 2).
    const passed = given([...history, ...baking.events]).when(canary, T0 + 610 * S);
    expect(passed.types).toContain('CanaryPassed');
    expect(passed.stopped).toEqual(['t1-2', 't1-3']);
  });

  it('Surge: MaxOver 3 would start 3 copies; the canary starts 1', () => {
    const then = given(deploying({ ...config, Method: 'Surge', MaxOver: 3 })).when(before);
    expect(then.started).toEqual(['1']);
    expect(then.stopped).toEqual([]);
  });

  it('an alarm during the canary bake rolls back, with only the canary touched', () => {
    const history = deploying(config);
    const canary = { instances: instances(4), tasks: [task(1, 2), task(2, 1), task(3, 1), task(4, 1)] };
    const baking = given(history).when(canary, T0 + 10 * S);
    const then = given([...history, ...baking.events]).when({ ...canary, alarms: [alarm('ALARM', T0 + 100 * S)] }, T0 + 101 * S);
    expect(then.types).toEqual(['AlarmStateObserved', 'RollbackTriggered']);
  });
});
