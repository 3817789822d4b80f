/**
 * delete-environment as decider specs: given events / when DeleteEnvironment / then events or error.
 * Every expected value is worked out by hand from the rules in domain/environment.ts (decideDelete).
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../../domain/environment';
import { alarmWatchChanges, decide, environmentSummary, fold, statusChanges } from '../../domain/environment';
import { ConflictError, NotFoundError } from '../../domain/errors';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';

const NAME = 'Fleet/Logs';
const AT = '2026-11-30T12:00:00.000Z';
const LATER = '2026-11-30T12:05:00.000Z';
const T0 = Date.parse(AT);
const daemon: EnvironmentSpec = {
  Name: NAME,
  TaskDefinition: 'log-daemon:1',
  Cluster: 'default',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentType: 'Daemon',
  DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100, StuckAfterSeconds: 60, FailingAfterSeconds: 120 },
};
const service: EnvironmentSpec = { Name: NAME, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 4, DeploymentConfiguration: { Method: 'Rolling' } };

const create = (s: EnvironmentSpec = daemon, at = AT): EnvironmentCommand => ({ type: 'CreateEnvironment', spec: s, at });
const deploy = (revision: number): EnvironmentCommand => ({ type: 'DeployRevision', name: NAME, revision, at: AT });
const del = (force: boolean, at = LATER): EnvironmentCommand => ({ type: 'DeleteEnvironment', name: NAME, force, at });

function apply(state: EnvironmentState | undefined, command: EnvironmentCommand): EnvironmentState {
  return fold(decide(command, state), state)!;
}

/** Created, deployed, and Active with `running` tasks of revision 1 (as the engine records it). */
function activeWith(running: number, spec: EnvironmentSpec = daemon): EnvironmentState {
  const deploying = apply(apply(undefined, create(spec)), deploy(1));
  const events: EnvironmentEvent[] = [
    { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: running, current: running }], at: T0 + 1000 },
    { type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 + 2000 },
  ];
  return fold(events, deploying)!;
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

describe('delete-environment: refusals', () => {
  it('an unknown environment is not found', () => {
    expect(() => decide(del(false), undefined)).toThrow(NotFoundError);
  });

  it('without --force, an environment that runs tasks is refused naming how many and of which revision', () => {
    expect(conflict(() => decide(del(false), activeWith(5)))).toBe('environment "Fleet/Logs" runs 5 task(s) (revision 1: 5): delete-environment --force scales it to zero first');
  });

  it('without --force, a deployment in progress is refused even before it counted a task', () => {
    const deploying = apply(apply(undefined, create()), deploy(1));
    expect(conflict(() => decide(del(false), deploying))).toBe(
      'environment "Fleet/Logs" has a deploy in progress (Fleet/Logs:1@2026113012000000) and runs 0 task(s): delete-environment --force stops it and scales the environment to zero',
    );
  });

  it('a frozen environment with something to scale down is refused (nothing moves while frozen)', () => {
    const frozen = apply(activeWith(2), { type: 'FreezeEnvironment', name: NAME, at: AT });
    expect(conflict(() => decide(del(true), frozen))).toMatch(/is frozen \(Suspended\).*thaw-environment first/);
  });
});

describe('delete-environment: deciding', () => {
  it('never deployed: deleted at once, nothing to stop', () => {
    const created = apply(undefined, create());
    expect(decide(del(false), created)).toEqual([{ type: 'EnvironmentDeleted', at: LATER }]);
    const deleted = apply(created, del(false));
    expect(environmentSummary(deleted)).toEqual({ status: 'Deleted', desired: 0, current: 0 });
    expect(deleted.deletion).toEqual({ id: 'Fleet/Logs:delete@2026113012050000', startedAt: LATER, force: false, tasks: 0, completedAt: LATER });
  });

  it('--force on a Daemon running 3 tasks: DeletionStarted; revision 1 Undeploying (DESIRED 0, CURRENT 3); the planner deletes', () => {
    const state = activeWith(3);
    const events = decide(del(true), state);
    expect(events).toEqual([
      {
        type: 'DeletionStarted',
        deletionId: 'Fleet/Logs:delete@2026113012050000',
        revision: 1,
        force: true,
        tasks: 3,
        target: {
          taskDefinition: 'log-daemon:1',
          cluster: 'default',
          query: 'attribute:stack == prod',
          configuration: expect.objectContaining({ StuckAfterSeconds: 60, FailingAfterSeconds: 120 }),
        },
        at: LATER,
      },
    ]);
    const deleting = fold(events, state)!;
    expect(deleting.revisions.map((r) => [r.revision, displayStatus(r), r.desired, r.current])).toEqual([[1, 'Undeploying', 0, 3]]);
    expect(environmentSummary(deleting)).toEqual({ status: 'Deleting', desired: 0, current: 3, revision: 1 });
    expect(deleting.epoch).toBe(state.epoch + 1);
    expect(deleting.activeRevision).toBeUndefined();
    expect(deleting.engine).toMatchObject({ deleting: { force: true }, kind: 'delete', revision: 1, draining: [{ revision: 1, status: 'Undeploying' }], deploymentId: 'Fleet/Logs:delete@2026113012050000' });
  });

  it('without --force and no task running (a Service scaled to 0): the deletion still goes through the engine, to delete the ECS service', () => {
    const events = decide(del(false), activeWith(0, service));
    expect(events).toMatchObject([{ type: 'DeletionStarted', force: false, tasks: 0, target: { service: { name: 'Fleet-Logs', desiredCount: 0 } } }]);
  });

  it('--force during a deployment: the deploying revision drains too, and the deployment is replaced (new epoch)', () => {
    const deploying = apply(apply(undefined, create()), deploy(1));
    const deleting = apply(deploying, del(true));
    expect(deleting.deployment).toMatchObject({ kind: 'delete', revision: 1 });
    expect(deleting.revisions.map((r) => [r.revision, r.status])).toEqual([[1, 'Undeploying']]);
  });

  it('without --force, then --force while Deleting: DeletionForced lets it stop tasks, and clears the hold (Stuck) it was in', () => {
    const T = Date.parse(LATER);
    let state = apply(activeWith(0), del(false));
    expect(state.engine?.deleting).toEqual({ force: false });
    state = fold([{ type: 'DeploymentStuck', reason: 'delete-environment: 2 task(s) of the environment are running …', at: T + 1000 }], state)!;
    expect(environmentSummary(state).status).toBe('Stuck');
    expect(decide(del(false, '2026-11-30T12:06:00.000Z'), state)).toEqual([]);
    const forcedAt = '2026-11-30T12:07:00.000Z';
    expect(decide(del(true, forcedAt), state)).toEqual([{ type: 'DeletionForced', at: forcedAt }]);
    state = apply(state, del(true, forcedAt));
    expect(state.deletion?.force).toBe(true);
    expect(state.engine).toMatchObject({ deleting: { force: true }, health: undefined, lastProgressAt: Date.parse(forcedAt) });
    expect(state.revisions.map((r) => [displayStatus(r), r.statusReason])).toEqual([['Undeploying', undefined]]);
    expect(environmentSummary(state).status).toBe('Deleting');
  });

  it('a second delete while Deleting decides nothing; once Deleted it is a 409', () => {
    const deleting = apply(activeWith(3), del(true));
    expect(decide(del(true), deleting)).toEqual([]);
    const deleted = fold([{ type: 'DeletionCompleted', at: T0 + 600_000 }], deleting)!;
    expect(conflict(() => decide(del(true), deleted))).toBe('environment "Fleet/Logs" was already deleted at 2026-11-30T12:10:00.000Z');
  });
});

describe('delete-environment: the engine in the log', () => {
  it('Stuck shows on the environment and the revision with the reason; progress resumes; completion leaves it Deleted with the revision Inactive', () => {
    let state = apply(activeWith(3), del(true));
    state = fold(
      [
        { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 1 }], at: T0 + 400_000 },
        { type: 'DeploymentStuck', reason: 'delete-environment: no progress for 60 s: 1 task(s) still running', at: T0 + 400_000 },
      ],
      state,
    )!;
    expect(environmentSummary(state)).toEqual({ status: 'Stuck', desired: 0, current: 1, revision: 1 });
    expect(state.revisions.map((r) => [displayStatus(r), r.statusReason])).toEqual([['Stuck', 'delete-environment: no progress for 60 s: 1 task(s) still running']]);
    state = fold([{ type: 'DeploymentResumed', at: T0 + 410_000 }], state)!;
    expect(environmentSummary(state).status).toBe('Deleting');
    state = fold([{ type: 'DeletionCompleted', at: T0 + 420_000 }], state)!;
    expect(environmentSummary(state)).toEqual({ status: 'Deleted', desired: 0, current: 0 });
    expect(state.revisions.map((r) => [r.revision, r.status, r.desired, r.current])).toEqual([[1, 'Inactive', 0, 0]]);
    expect(state).toMatchObject({ deployment: undefined, engine: undefined, deletion: { completedAt: '2026-11-30T12:07:00.000Z', tasks: 3, force: true } });
  });

  it('the Deployment State Change notifications say it is a deletion', () => {
    const active = activeWith(3);
    const deleting = apply(active, del(true));
    expect(statusChanges(active, deleting)).toEqual([
      { revision: 1, from: 'Active', to: 'Undeploying', reason: 'delete-environment: the environment is being scaled to zero', desired: 0, current: 3 },
    ]);
    const deleted = fold([{ type: 'DeletionCompleted', at: T0 + 1 }], deleting)!;
    expect(statusChanges(deleting, deleted)).toEqual([
      { revision: 1, from: 'Undeploying', to: 'Inactive', reason: 'delete-environment: no task of the revision is left; the environment is deleted', desired: 0, current: 0 },
    ]);
  });

  it('a deletion takes the environment out of the alarm index (it deploys nothing any more)', () => {
    const watching = activeWith(2, { ...daemon, DeploymentConfiguration: { ...daemon.DeploymentConfiguration, Alarms: { AlarmNames: ['daemon-errors'] } } });
    expect(alarmWatchChanges(watching, apply(watching, del(true)))).toEqual({ add: [], remove: ['daemon-errors'] });
  });

  it('an engine event that arrives after the deletion completed changes nothing but the version', () => {
    const deleted = fold([{ type: 'DeletionCompleted', at: T0 + 1 }], apply(activeWith(1), del(true)))!;
    const after = fold([{ type: 'StopsSettled', tasks: ['a'], at: T0 + 2 }], deleted)!;
    expect(after).toEqual({ ...deleted, version: deleted.version + 1, updatedAt: after.updatedAt });
  });
});

describe('a deleted (or deleting) environment', () => {
  const deleted = () => fold([{ type: 'DeletionCompleted', at: T0 + 1 }], apply(activeWith(2), del(true)))!;

  it('refuses deploy, update, rollback, scale, freeze and thaw naming the command and the deletion', () => {
    const state = deleted();
    const commands: Array<[EnvironmentCommand, string]> = [
      [deploy(1), 'deploy-environment'],
      [{ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' }, at: AT }, 'update-environment'],
      [{ type: 'RollbackToRevision', name: NAME, revision: 1, at: AT }, 'rollback-environment'],
      [{ type: 'ScaleEnvironment', name: NAME, desiredCount: 2, at: AT }, 'scale-environment'],
      [{ type: 'FreezeEnvironment', name: NAME, at: AT }, 'freeze-environment'],
      [{ type: 'ThawEnvironment', name: NAME, at: AT }, 'thaw-environment'],
    ];
    for (const [command, cli] of commands) {
      expect(conflict(() => decide(command, state))).toBe(`environment "Fleet/Logs" was deleted at 2026-11-30T12:00:00.001Z: ${cli} is refused`);
    }
    const deleting = apply(activeWith(2), del(true));
    expect(conflict(() => decide(deploy(1), deleting))).toBe(
      'environment "Fleet/Logs" is being deleted (Fleet/Logs:delete@2026113012050000, started 2026-11-30T12:05:00.000Z): deploy-environment is refused',
    );
    expect(conflict(() => decide(create(), deleting))).toBe('environment "Fleet/Logs" is being deleted (Fleet/Logs:delete@2026113012050000): create it again once it is Deleted');
  });

  it('create-environment of the same name again is a fresh start whose log goes on: revision 2 Created, never deployed, not deleted', () => {
    const state = deleted();
    const events = decide(create({ ...daemon, TaskDefinition: 'log-daemon:7' }, '2026-11-30T13:00:00.000Z'), state);
    expect(events).toEqual([
      { type: 'EnvironmentCreated', name: NAME, at: '2026-11-30T13:00:00.000Z' },
      { type: 'RevisionCreated', revision: 2, spec: { ...daemon, TaskDefinition: 'log-daemon:7' }, at: '2026-11-30T13:00:00.000Z' },
    ]);
    const again = fold(events, state)!;
    expect(again).toMatchObject({ version: state.version + 2, latestRevision: 2, hasBeenActive: false, frozen: false, createdAt: '2026-11-30T13:00:00.000Z' });
    expect(again.deletion).toBeUndefined();
    expect(again.revisions.map((r) => [r.revision, r.status])).toEqual([[2, 'Created']]);
    expect(environmentSummary(again).status).toBe('Created');
    // …and it deploys as a first deployment.
    expect(decide(deploy(2), again)).toMatchObject([{ type: 'DeploymentStarted', revision: 2, initial: true, undeploying: [] }]);
  });
});
