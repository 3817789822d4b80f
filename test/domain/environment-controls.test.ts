/**
 * Controls of a running deployment as decider specs: given events / when Pause-, Resume-, Promote- or
 * AbortDeployment / then events or the 409. Every expected value is worked out by hand from
 * domain/environment.ts (decideControl) and domain/rollout/controls.ts.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../../domain/environment';
import { decide, environmentSummary, fold } from '../../domain/environment';
import { ConflictError, NotFoundError } from '../../domain/errors';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';

const NAME = 'Fleet/Logs';
const CALLER = 'arn:aws:iam::123456789012:user/ops';
const T0 = Date.parse('2026-11-30T12:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const daemon: EnvironmentSpec = {
  Name: NAME,
  TaskDefinition: 'log-daemon:1',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentType: 'Daemon',
  DeploymentConfiguration: { Method: 'Replace', StuckAfterSeconds: 300, FailingAfterSeconds: 900, BakeSeconds: 600, Canary: { Instances: 1, BakeSeconds: 120 } },
};

const pause = (at: number, reason?: string): EnvironmentCommand => ({ type: 'PauseDeployment', name: NAME, caller: CALLER, ...(reason ? { reason } : {}), at: iso(at) });
const resume = (at: number): EnvironmentCommand => ({ type: 'ResumeDeployment', name: NAME, caller: CALLER, at: iso(at) });
const promote = (at: number, full = false): EnvironmentCommand => ({ type: 'PromoteDeployment', name: NAME, full, caller: CALLER, at: iso(at) });
/** The API reads the target's spec from the revision table (revision 1's here). */
const abort = (at: number, reason?: string): EnvironmentCommand => ({ type: 'AbortDeployment', name: NAME, caller: CALLER, ...(reason ? { reason } : {}), targetSpec: daemon, at: iso(at) });

function when(state: EnvironmentState, command: EnvironmentCommand): { events: EnvironmentEvent[]; state: EnvironmentState } {
  const events = decide(command, state);
  return { events, state: fold(events, state)! };
}

function conflict(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConflictError);
    return (error as Error).message;
  }
  throw new Error('expected a ConflictError');
}

/** Revision 1 Active (deployed at T0, completed at T0 + 2 s); revision 2 created. */
function activeOne(): EnvironmentState {
  let state = fold([
    { type: 'EnvironmentCreated', name: NAME, at: iso(0) },
    { type: 'RevisionCreated', revision: 1, spec: daemon, at: iso(0) },
  ])!;
  state = when(state, { type: 'DeployRevision', name: NAME, revision: 1, at: iso(0) }).state;
  state = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 + 2000 }], state)!;
  return fold([{ type: 'RevisionCreated', revision: 2, spec: { ...daemon, TaskDefinition: 'log-daemon:2' }, basedOn: 1, at: iso(3) }], state)!;
}

/** Revision 2 deploying since T0 + 10 s, revision 1 Undeploying. */
function deployingTwo(): EnvironmentState {
  return when(activeOne(), { type: 'DeployRevision', name: NAME, revision: 2, at: iso(10) }).state;
}

describe('pause-deployment and resume-deployment', () => {
  it('pause records DeploymentPaused with the caller and reason; the planner state says since when and by whom', () => {
    const { events, state } = when(deployingTwo(), pause(20, 'looking at the dashboards'));
    expect(events).toEqual([{ type: 'DeploymentPaused', deploymentId: state.deployment!.id, caller: CALLER, reason: 'looking at the dashboards', at: iso(20) }]);
    expect(state.engine!.paused).toEqual({ since: T0 + 20_000, by: CALLER, reason: 'looking at the dashboards' });
    // The revision table does not change: the deployment is still Deploying, only held.
    expect(displayStatus(state.revisions.find((r) => r.revision === 2)!)).toBe('Deploying');
  });

  it('resume shifts the Stuck clock by the time paused: last progress at +10 s, paused +20 s → +620 s ⇒ lastProgressAt +610 s (Stuck at +910 s, not +310 s)', () => {
    const paused = when(deployingTwo(), pause(20)).state;
    expect(paused.engine!.lastProgressAt).toBe(T0 + 10_000);
    const { events, state } = when(paused, resume(620));
    expect(events).toEqual([{ type: 'DeploymentUnpaused', deploymentId: state.deployment!.id, caller: CALLER, at: iso(620) }]);
    expect(state.engine!.paused).toBeUndefined();
    expect(state.engine!.lastProgressAt).toBe(T0 + 610_000);
  });

  it('resume shifts a bake, a canary bake, and the Stuck → Failing clock by the time paused', () => {
    const baking = fold([{ type: 'BakeStarted', at: T0 + 100_000 }, { type: 'DeploymentStuck', reason: 'r', at: T0 + 150_000 }], deployingTwo())!;
    const resumed = when(when(baking, pause(200)).state, resume(500)).state;
    expect(resumed.engine!.phase).toEqual({ phase: 'Baking', since: T0 + 400_000 });
    expect(resumed.engine!.health).toEqual({ status: 'Stuck', since: T0 + 450_000, reason: 'r' });
    const canaryBaking = fold([{ type: 'CanaryBakeStarted', instances: 1, at: T0 + 30_000 }], deployingTwo())!;
    const after = when(when(canaryBaking, pause(40)).state, resume(100)).state;
    expect(after.engine!.phase).toEqual({ phase: 'CanaryBaking', instances: 1, since: T0 + 90_000 });
  });

  it('a new deployment (or rollback) ends the pause: its planner state starts unpaused', () => {
    const paused = when(deployingTwo(), pause(20)).state;
    const three = fold([{ type: 'RevisionCreated', revision: 3, spec: { ...daemon, TaskDefinition: 'log-daemon:3' }, basedOn: 2, at: iso(30) }], paused)!;
    const { state } = when(three, { type: 'DeployRevision', name: NAME, revision: 3, at: iso(40) });
    expect(state.engine!.paused).toBeUndefined();
  });

  it('refuses (409) pause when already paused, resume when not paused, both with no deployment in progress', () => {
    const paused = when(deployingTwo(), pause(20)).state;
    expect(conflict(() => decide(pause(30), paused))).toBe(
      `deployment ${paused.deployment!.id} of "Fleet/Logs" is already paused since ${iso(20)} by ${CALLER}: resume-deployment to go on`,
    );
    expect(conflict(() => decide(resume(30), deployingTwo()))).toBe(`deployment ${deployingTwo().deployment!.id} of "Fleet/Logs" is not paused (it is Deploying): nothing to resume`);
    expect(conflict(() => decide(pause(30), activeOne()))).toMatch(/^"Fleet\/Logs" has no deployment in progress \(the last one, Fleet\/Logs:1@\d+, completed at 2026-11-30T12:00:02.000Z\): pause-deployment applies to a running deployment$/);
    expect(conflict(() => decide(resume(30), activeOne()))).toMatch(/resume-deployment applies to a running deployment$/);
    expect(() => decide(pause(30), undefined)).toThrow(NotFoundError);
  });

  it('a deleting environment refuses every control (as every other command)', () => {
    const deleting = when(activeOne(), { type: 'DeleteEnvironment', name: NAME, force: true, at: iso(50) }).state;
    for (const command of [pause(60), resume(60), promote(60), abort(60)]) {
      expect(conflict(() => decide(command, deleting))).toMatch(/is being deleted .*: (pause|resume|promote|abort)-deployment is refused$/);
    }
  });
});

describe('promote-deployment', () => {
  it('during the bake: DeploymentPromoted ends Bake; the planner state records when (the planner reads it)', () => {
    const baking = fold([{ type: 'BakeStarted', at: T0 + 100_000 }], deployingTwo())!;
    const { events, state } = when(baking, promote(130));
    expect(events).toEqual([{ type: 'DeploymentPromoted', deploymentId: state.deployment!.id, full: false, ends: 'Bake', caller: CALLER, at: iso(130) }]);
    expect(state.engine!.promoted).toEqual({ at: T0 + 130_000, full: false, by: CALLER });
  });

  it('during the Daemon canary bake: ends CanaryBake; --full is a plain promote without Steps', () => {
    const canaryBaking = fold([{ type: 'CanaryBakeStarted', instances: 1, at: T0 + 30_000 }], deployingTwo())!;
    const { events } = when(canaryBaking, promote(40, true));
    expect(events).toMatchObject([{ type: 'DeploymentPromoted', full: true, ends: 'CanaryBake' }]);
  });

  it('refuses (409) with nothing to promote, naming the state', () => {
    const two = deployingTwo();
    expect(conflict(() => decide(promote(20), two))).toBe(`deployment ${two.deployment!.id} of "Fleet/Logs" has nothing to promote: its canary instances are still deploying (no bake or pause in progress yet)`);
    const rolling = fold([{ type: 'CanaryBakeStarted', instances: 1, at: T0 + 30_000 }, { type: 'CanaryPassed', at: T0 + 150_000 }], two)!;
    expect(conflict(() => decide(promote(160), rolling))).toMatch(/has nothing to promote: it is rolling out \(no bake or pause in progress\)$/);
    const promoted = when(fold([{ type: 'BakeStarted', at: T0 + 100_000 }], two)!, promote(130)).state;
    expect(conflict(() => decide(promote(131), promoted))).toMatch(/has nothing to promote: it was already promoted \(by arn:aws:iam::123456789012:user\/ops\); the bake ends at the next plan$/);
    const halted = fold([{ type: 'DeploymentHalted', trigger: 'Alarm', reason: 'alarm a entered ALARM', at: T0 + 20_000 }], two)!;
    expect(conflict(() => decide(promote(30), halted))).toMatch(/it is halted \(alarm a entered ALARM\): roll it back, or deploy another revision$/);
    expect(conflict(() => decide(promote(30), activeOne()))).toMatch(/promote-deployment applies to a running deployment$/);
  });
});

describe('abort-deployment', () => {
  it('rolls back to the revision Active when the deployment started, as an automatic rollback with trigger Abort naming the caller', () => {
    const two = deployingTwo();
    const { events, state } = when(two, abort(30, 'error rate'));
    expect(events.map((e) => e.type)).toEqual(['DeploymentAborted', 'RollbackStarted']);
    expect(events[0]).toEqual({ type: 'DeploymentAborted', deploymentId: two.deployment!.id, to: 1, caller: CALLER, reason: 'error rate', at: iso(30) });
    expect(events[1]).toMatchObject({ type: 'RollbackStarted', revision: 1, reverting: [2], trigger: { kind: 'Abort', reason: `abort-deployment by ${CALLER}: error rate` } });
    expect(state.deployment).toMatchObject({ kind: 'rollback', revision: 1, trigger: { kind: 'Abort', reason: `abort-deployment by ${CALLER}: error rate`, at: iso(30) } });
    expect(Object.fromEntries(state.revisions.map((r) => [r.revision, displayStatus(r)]))).toEqual({ 1: 'Deploying', 2: 'Reverting' });
    expect(state.revisions.find((r) => r.revision === 2)!.statusReason).toBe(`abort-deployment by ${CALLER}: error rate`);
  });

  it('a paused deployment can be aborted: the rollback starts unpaused', () => {
    const { state } = when(when(deployingTwo(), pause(20)).state, abort(30));
    expect(state.deployment!.kind).toBe('rollback');
    expect(state.engine!.paused).toBeUndefined();
    expect(state.deployment!.trigger!.reason).toBe(`abort-deployment by ${CALLER}`);
  });

  it('completes as Active 1, Reverted 2 (trigger Abort kept on the last deployment)', () => {
    const rolledBack = when(deployingTwo(), abort(30)).state;
    const done = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [{ revision: 2, status: 'Reverted' }], at: T0 + 60_000 }], rolledBack)!;
    expect(environmentSummary(done)).toMatchObject({ status: 'Active', revision: 1 });
    expect(done.lastDeployment!.trigger).toMatchObject({ kind: 'Abort' });
  });

  it('refuses (409) the abort of a rollback, of a first deployment, and with no deployment in progress', () => {
    const rollback = when(deployingTwo(), abort(30)).state;
    expect(conflict(() => decide(abort(40), rollback))).toBe(
      `rollback ${rollback.deployment!.id} of "Fleet/Logs" is a rollback: abort-deployment rolls a deployment back (use rollback-environment or deploy-environment to go elsewhere)`,
    );
    const first = when(
      fold([
        { type: 'EnvironmentCreated', name: NAME, at: iso(0) },
        { type: 'RevisionCreated', revision: 1, spec: daemon, at: iso(0) },
      ])!,
      { type: 'DeployRevision', name: NAME, revision: 1, at: iso(0) },
    ).state;
    expect(conflict(() => decide(abort(5), first))).toBe(
      `deployment ${first.deployment!.id} of "Fleet/Logs" has no revision to roll back to (it is the first deployment of the environment): use rollback-environment to name one`,
    );
    expect(conflict(() => decide(abort(5), activeOne()))).toMatch(/abort-deployment applies to a running deployment$/);
    // Without the target's spec (a race with another deployment, in the API): a 409, never a 500.
    const { targetSpec: _spec, ...withoutSpec } = abort(30) as Extract<EnvironmentCommand, { type: 'AbortDeployment' }>;
    expect(conflict(() => decide(withoutSpec, deployingTwo()))).toMatch(/changed while abort-deployment was sent: send it again$/);
  });
});
