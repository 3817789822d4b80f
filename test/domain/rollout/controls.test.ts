/**
 * The planner under the controls of a running deployment (domain/rollout/controls.ts): paused, nothing
 * moves and no clock runs; resumed, the Stuck clock is shifted by the time paused; promoted, the bake
 * or the Daemon canary's bake ends at the next plan. Times worked out by hand (S = 1 s).
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../../domain/environment';
import type { PlannerAction } from '../../../domain/rollout';
import { canaryPromotion, plan, staleReason } from '../../../domain/rollout';
import { deploying, given, instances, T0, task } from './given';

const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const CALLER = 'arn:aws:iam::123456789012:user/ops';
const DEPLOYMENT = 'SomeEnvironment/Prod:2@2017090611472300';
const paused = (at: number): EnvironmentEvent => ({ type: 'DeploymentPaused', deploymentId: DEPLOYMENT, caller: CALLER, at: iso(at) });
const unpaused = (at: number): EnvironmentEvent => ({ type: 'DeploymentUnpaused', deploymentId: DEPLOYMENT, caller: CALLER, at: iso(at) });
const promoted = (at: number, ends: 'Bake' | 'CanaryBake'): EnvironmentEvent => ({ type: 'DeploymentPromoted', deploymentId: DEPLOYMENT, full: false, ends, caller: CALLER, at: iso(at) });

/** Five instances, each with its old task: Replace at 80 % stops one (floor ceil(5 × 0.8) = 4). */
const fiveOld = { instances: instances(5), tasks: [1, 2, 3, 4, 5].map((n) => task(n, 1)) };
/** Every instance runs revision 2: the deployment has everything. */
const done = { instances: instances(4), tasks: [1, 2, 3, 4].map((n) => task(n, 2)) };
/** Progress on record at T0: 0 ready, 5 old (so a plan that sees the same counts has made no progress). */
const progressAtT0: EnvironmentEvent = { type: 'DeploymentProgressed', ready: 0, old: 5, at: T0 };

describe('pause: nothing moves, nothing completes, no clock runs', () => {
  const config = { Method: 'Replace' as const, MinHealthyPercent: 80, StuckAfterSeconds: 300 };

  it('unpaused, the plan stops one old task; paused, none — and 1,000 s later still no Stuck, no wake-up', () => {
    expect(given([...deploying(config), progressAtT0]).when(fiveOld, T0 + 10 * S).stopped).toHaveLength(1);
    const then = given([...deploying(config), progressAtT0, paused(T0 + 5 * S)]).when(fiveOld, T0 + 1000 * S);
    expect(then.actions).toEqual([]);
    expect(then.types).not.toContain('DeploymentStuck');
    expect(then.plan.wakeAt).toBeUndefined();
  });

  it('the bookkeeping goes on while paused (counts), and a watched alarm still rolls back: a pause stops progress, not protection', () => {
    const watched = { ...config, Alarms: { AlarmNames: ['daemon-errors'] } };
    const then = given([...deploying(watched), progressAtT0, paused(T0 + 5 * S)]).when(
      { ...fiveOld, alarms: [{ name: 'daemon-errors', value: 'ALARM', at: T0 + 20 * S, reason: 'r' }] },
      T0 + 30 * S,
    );
    expect(then.types).toEqual(['RevisionCountsChanged', 'AlarmStateObserved', 'RollbackTriggered']);
  });

  it('a halted deployment does not turn Failing while paused (halted at T0 + 10 s, FailingAfterSeconds 900: at T0 + 1000 s, Failing only unpaused)', () => {
    const halted = [...deploying({ ...config, FailingAfterSeconds: 900 }), progressAtT0, { type: 'DeploymentHalted', trigger: 'Alarm', reason: 'alarm a entered ALARM', at: T0 + 10 * S } as EnvironmentEvent];
    expect(given(halted).when(fiveOld, T0 + 1000 * S).types).toContain('DeploymentFailing');
    const then = given([...halted, paused(T0 + 20 * S)]).when(fiveOld, T0 + 1000 * S);
    expect(then.types).not.toContain('DeploymentFailing');
    expect(then.actions).toEqual([]);
  });

  it('a bake does not complete while paused', () => {
    const history = [...deploying({ Method: 'Replace', BakeSeconds: 120 }), { type: 'BakeStarted', at: T0 + 10 * S } as EnvironmentEvent, paused(T0 + 20 * S)];
    expect(given(history).when(done, T0 + 500 * S).types).not.toContain('DeploymentCompleted');
  });

  it('resumed: last progress at T0, paused T0 + 5 s → T0 + 605 s ⇒ the Stuck clock restarts from T0 + 600 s: not Stuck at T0 + 899 s (wake at T0 + 900 s), Stuck at T0 + 900 s', () => {
    const history = [...deploying(config), progressAtT0, paused(T0 + 5 * S), unpaused(T0 + 605 * S)];
    const before = given(history).when(fiveOld, T0 + 899 * S);
    expect(before.types).not.toContain('DeploymentStuck');
    expect(before.stopped).toHaveLength(1); // it moves again
    expect(before.plan.wakeAt).toBe(T0 + 900 * S);
    expect(given(history).when(fiveOld, T0 + 900 * S).types).toContain('DeploymentStuck');
    // Without the pause, the same plan at T0 + 899 s is Stuck (no progress for 899 s).
    expect(given([...deploying(config), progressAtT0]).when(fiveOld, T0 + 899 * S).types).toContain('DeploymentStuck');
  });

  it('the executor drops what was planned before the pause', () => {
    const state = given([...deploying(config), progressAtT0, paused(T0 + 5 * S)]).state;
    const action: PlannerAction = { type: 'StopTasks', key: 'k', environment: state.name, deploymentId: DEPLOYMENT, epoch: state.engine!.epoch, revision: 2, cluster: 'default', reason: 'r', taskArns: [] };
    expect(staleReason(state.engine, action, T0 + 6 * S)).toBe(`the deployment is paused (since ${iso(T0 + 5 * S)}, by ${CALLER})`);
  });

  it('a Service deployment plans no ECS call while paused either', () => {
    const state = given([...deploying(config), paused(T0 + 5 * S)]).state;
    const engine = { ...state.engine!, service: { name: 'web', desiredCount: 4 } };
    const p = plan(engine, { instances: [], tasks: [], targetHealthChecked: false, service: { status: 'MISSING', desiredCount: 0, taskSets: [], events: [] } }, T0 + 10 * S);
    expect(p.actions).toEqual([]);
    expect(plan({ ...engine, paused: undefined }, { instances: [], tasks: [], targetHealthChecked: false, service: { status: 'MISSING', desiredCount: 0, taskSets: [], events: [] } }, T0 + 10 * S).actions).toHaveLength(1);
  });
});

describe('promote: the bake in progress ends at the next plan', () => {
  it('a bake of 600 s started at T0 + 10 s, promoted at T0 + 15 s: completed at T0 + 20 s (not T0 + 610 s)', () => {
    const baking = [...deploying({ Method: 'Replace', BakeSeconds: 600 }), { type: 'BakeStarted', at: T0 + 10 * S } as EnvironmentEvent];
    expect(given(baking).when(done, T0 + 20 * S).plan.wakeAt).toBe(T0 + 610 * S);
    expect(given([...baking, promoted(T0 + 15 * S, 'Bake')]).when(done, T0 + 20 * S).types).toContain('DeploymentCompleted');
  });

  it('the Daemon canary bake (600 s from T0 + 10 s), promoted at T0 + 20 s: CanaryPassed at T0 + 30 s, and the rest follow', () => {
    const config = { Method: 'Replace' as const, MinHealthyPercent: 50, Canary: { Instances: 1, BakeSeconds: 600 } };
    const history = [...deploying(config), { type: 'CanaryBakeStarted', instances: 1, at: T0 + 10 * S } as EnvironmentEvent, promoted(T0 + 20 * S, 'CanaryBake')];
    const observed = { instances: instances(4), tasks: [task(1, 2), ...[2, 3, 4].map((n) => task(n, 1))] };
    const then = given(history).when(observed, T0 + 30 * S);
    expect(then.types).toContain('CanaryPassed');
    expect(then.stopped.length).toBeGreaterThan(0);
    // A promote before the phase started does not end a later bake.
    const early = [...deploying(config), promoted(T0 + 5 * S, 'CanaryBake'), { type: 'CanaryBakeStarted', instances: 1, at: T0 + 10 * S } as EnvironmentEvent];
    expect(given(early).when(observed, T0 + 30 * S).types).not.toContain('CanaryPassed');
  });
});

describe('canaryPromotion: the promotion as the Canary strategy (planCanary) reads it', () => {
  it("'step' or 'full' for a promote on or after the step's start, else undefined", () => {
    const engine = given(deploying({ Method: 'Replace' })).state.engine!;
    expect(canaryPromotion(engine, T0)).toBeUndefined();
    const promotedAt = { ...engine, promoted: { at: T0 + 50 * S, full: false, by: CALLER } };
    expect(canaryPromotion(promotedAt, T0 + 40 * S)).toBe('step');
    expect(canaryPromotion({ ...promotedAt, promoted: { ...promotedAt.promoted, full: true } }, T0 + 50 * S)).toBe('full');
    expect(canaryPromotion(promotedAt, T0 + 60 * S)).toBeUndefined();
  });
});
