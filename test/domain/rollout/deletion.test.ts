/**
 * planDeletion (domain/rollout/deletion.ts): given the environment's log up to `DeletionStarted`,
 * when ECS shows this, then these events and actions. Expected values worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent, EnvironmentState } from '../../../domain/environment';
import { decide, environmentSummary, fold } from '../../../domain/environment';
import { fnv1a64 } from '../../../domain/identity';
import type { Observed, ObservedService } from '../../../domain/rollout';
import { DELETE_STOP_REASON, planDeletion, stopBatchKey } from '../../../domain/rollout';
import type { EnvironmentSpec } from '../../../domain/spec';
import { instanceArn, task, taskArn } from './given';

const NAME = 'Fleet/Logs';
const AT = '2026-11-30T12:00:00.000Z';
const T0 = Date.parse(AT);
const T1 = T0 + 60_000;
const DELETION = 'Fleet/Logs:delete@2026113012010000';

function deleting(spec: EnvironmentSpec, running: number, force = true): EnvironmentState {
  const events: EnvironmentEvent[] = [];
  let state: EnvironmentState | undefined;
  const run = (decided: EnvironmentEvent[]) => {
    events.push(...decided);
    state = fold(decided, state);
  };
  run(decide({ type: 'CreateEnvironment', spec, at: AT }, state));
  run(decide({ type: 'DeployRevision', name: NAME, revision: 1, at: AT }, state));
  run([
    { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: running, current: running }], at: T0 + 1000 },
    { type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 + 2000 },
  ]);
  run(decide({ type: 'DeleteEnvironment', name: NAME, force, at: new Date(T1).toISOString() }, state));
  return state!;
}

const daemon: EnvironmentSpec = {
  Name: NAME,
  TaskDefinition: 'log-daemon:1',
  DeploymentType: 'Daemon',
  DeploymentConfiguration: { StuckAfterSeconds: 60, FailingAfterSeconds: 120 },
};
const observedTasks = (tasks: Observed['tasks']): Observed => ({ instances: [], tasks, targetHealthChecked: false });

describe('planDeletion: a Daemon', () => {
  it('stops every task that wants to run in one batch through the executor, counts them, and progresses as they stop', () => {
    let state = deleting(daemon, 3);
    const tasks = [task(1, 1), task(2, 1), task(3, 1)];
    const first = planDeletion(state.engine!, observedTasks(tasks), T1);
    const key = stopBatchKey(['t1-1', 't1-2', 't1-3'], T1);
    expect(first.events).toEqual([
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 3 }], at: T1 },
      { type: 'StopsPlanned', reason: DELETE_STOP_REASON, batches: [{ key, tasks: ['t1-1', 't1-2', 't1-3'] }], at: T1 },
      { type: 'DeploymentProgressed', ready: 0, old: 3, at: T1 },
    ]);
    expect(first.actions).toEqual([
      {
        type: 'StopTasks',
        key,
        environment: NAME,
        deploymentId: DELETION,
        epoch: state.epoch,
        revision: 1,
        cluster: 'default',
        taskArns: [taskArn('1-1'), taskArn('1-2'), taskArn('1-3')],
        reason: DELETE_STOP_REASON,
      },
    ]);
    expect(first.wakeAt).toBe(T1 + 5000);
    state = fold(first.events, state)!;
    expect(environmentSummary(state)).toEqual({ status: 'Deleting', desired: 0, current: 3, revision: 1 });

    // Two stopped, one still RUNNING but asked to stop: every stop settled, nothing sent again.
    const second = planDeletion(state.engine!, observedTasks([task(1, 1, { desiredStatus: 'STOPPED' }), task(2, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }), task(3, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })]), T1 + 2000);
    expect(second.events).toEqual([
      { type: 'StopsSettled', tasks: ['t1-1', 't1-2', 't1-3'], at: T1 + 2000 },
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 1 }], at: T1 + 2000 },
      { type: 'DeploymentProgressed', ready: 0, old: 1, at: T1 + 2000 },
    ]);
    expect(second.actions).toEqual([]);
    state = fold(second.events, state)!;

    // 61 s without the last one stopping: Stuck, with the task named.
    const still = observedTasks([task(1, 1, { desiredStatus: 'STOPPED' }), task(2, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })]);
    const stuck = planDeletion(state.engine!, still, T1 + 63_000);
    const reason = `delete-environment: no progress for 61 s: 1 task(s) of the environment still running (task t1-1 on i1: last seen RUNNING, desired STOPPED)`;
    expect(stuck.events).toEqual([{ type: 'DeploymentStuck', reason, at: T1 + 63_000 }]);
    state = fold(stuck.events, state)!;
    expect(environmentSummary(state).status).toBe('Stuck');
    expect(state.revisions[0]).toMatchObject({ health: 'Stuck', statusReason: reason });

    // Stuck for FailingAfterSeconds (120 s): Failing.
    const failing = planDeletion(state.engine!, still, T1 + 183_000);
    expect(failing.events).toEqual([{ type: 'DeploymentFailing', reason, at: T1 + 183_000 }]);
    state = fold(failing.events, state)!;
    expect(environmentSummary(state).status).toBe('Failing');

    // It stops: the deletion completes (the engine confirms it on a full look).
    const done = planDeletion(state.engine!, observedTasks([task(1, 1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })]), T1 + 200_000);
    expect(done.events).toEqual([
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 0 }], at: T1 + 200_000 },
      { type: 'DeploymentProgressed', ready: 0, old: 0, at: T1 + 200_000 },
      { type: 'DeletionCompleted', at: T1 + 200_000 },
    ]);
    expect(done.actions).toEqual([]);
    state = fold(done.events, state)!;
    expect(environmentSummary(state)).toEqual({ status: 'Deleted', desired: 0, current: 0 });
  });

  it('a stop not taken after 60 s is sent again; 25 tasks go in batches of 10', () => {
    const state = deleting(daemon, 25);
    const many = Array.from({ length: 25 }, (_, i) => task(i + 1, 1));
    const first = planDeletion(state.engine!, observedTasks(many), T1);
    expect(first.actions.map((a) => (a.type === 'StopTasks' ? a.taskArns.length : 0))).toEqual([10, 10, 5]);
    const planned = fold(first.events, state)!;
    // 60 s later all still RUNNING and wanted: the stops are given up and planned again.
    const again = planDeletion(planned.engine!, observedTasks(many), T1 + 60_000);
    expect(again.events[0]).toEqual({ type: 'StopsSettled', tasks: many.map((t) => t.arn.slice(t.arn.lastIndexOf('/') + 1)), at: T1 + 60_000 });
    expect(again.actions).toHaveLength(3);
  });

  it('asked without --force (none counted) but tasks found running: none stopped, Stuck at once saying to use --force', () => {
    const state = deleting(daemon, 0, false);
    const planned = planDeletion(state.engine!, observedTasks([task(1, 1), task(2, 1)]), T1);
    expect(planned.actions).toEqual([]);
    expect(planned.events).toEqual([
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 2 }], at: T1 },
      { type: 'DeploymentProgressed', ready: 0, old: 2, at: T1 },
      {
        type: 'DeploymentStuck',
        reason: 'delete-environment: 2 task(s) of the environment are running (the deletion was asked without --force, when none were counted): delete-environment --force stops them',
        at: T1,
      },
    ]);
  });

  it('nothing left to stop: completes at once (the planner had counted nothing yet: counts first)', () => {
    const state = deleting(daemon, 0);
    expect(planDeletion(state.engine!, observedTasks([]), T1).events).toEqual([
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 0 }], at: T1 },
      { type: 'DeploymentProgressed', ready: 0, old: 0, at: T1 },
      { type: 'DeletionCompleted', at: T1 },
    ]);
  });
});

describe('planDeletion: a Service', () => {
  const web: EnvironmentSpec = { Name: NAME, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 4, DeploymentConfiguration: { Method: 'Rolling' } };
  const serviceTask = (n: number, overrides: Partial<{ lastStatus: 'RUNNING' | 'STOPPED'; desiredStatus: 'RUNNING' | 'STOPPED' }> = {}) => ({
    arn: taskArn(n),
    lastStatus: 'RUNNING' as const,
    desiredStatus: 'RUNNING' as const,
    ready: true,
    ...overrides,
  });
  const withService = (service: ObservedService): Observed => ({ instances: [], tasks: [], targetHealthChecked: false, service });

  it('ACTIVE: one UpdateService — desired count 0, task sets to 0, task sets deleted, the service deleted', () => {
    const state = deleting(web, 4);
    const observed = withService({
      status: 'ACTIVE',
      deploymentController: 'EXTERNAL',
      desiredCount: 4,
      taskSets: [{ id: 'ecs-svc/1', revision: 1, status: 'PRIMARY', scale: 100, computedDesiredCount: 4, tasks: [1, 2, 3, 4].map((n) => serviceTask(n)) }],
      events: [],
    });
    const planned = planDeletion(state.engine!, observed, T1);
    expect(planned.events).toEqual([
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 4 }], at: T1 },
      { type: 'DeploymentProgressed', ready: 0, old: 4, at: T1 },
    ]);
    expect(planned.actions).toEqual([
      {
        type: 'UpdateService',
        key: `delete-${fnv1a64(DELETION)}-${state.epoch}-${Math.floor(T1 / 60_000)}`,
        environment: NAME,
        deploymentId: DELETION,
        epoch: state.epoch,
        revision: 1,
        cluster: 'default',
        reason: 'delete-environment: scale service Fleet-Logs to 0, delete its 1 task set(s) and the service',
        service: { name: 'Fleet-Logs', desiredCount: 0 },
        operations: [
          { op: 'SetDesiredCount', desiredCount: 0 },
          { op: 'ScaleTaskSet', taskSet: 'ecs-svc/1', scale: 0, stopTasks: [] },
          { op: 'DeleteTaskSet', taskSet: 'ecs-svc/1' },
          { op: 'DeleteService' },
        ],
      },
    ]);
    expect(planned.wakeAt).toBe(T1 + 2000);
  });

  it('without --force: a service scaled to 0 is deleted (no SetDesiredCount); one that runs tasks is held, Stuck', () => {
    const state = deleting(web, 0, false);
    const empty = withService({ status: 'ACTIVE', desiredCount: 0, taskSets: [{ id: 'ecs-svc/1', revision: 1, status: 'PRIMARY', scale: 100, computedDesiredCount: 0, tasks: [] }], events: [] });
    expect(planDeletion(state.engine!, empty, T1).actions.map((a) => (a.type === 'UpdateService' ? a.operations : []))).toEqual([
      [{ op: 'ScaleTaskSet', taskSet: 'ecs-svc/1', scale: 0, stopTasks: [] }, { op: 'DeleteTaskSet', taskSet: 'ecs-svc/1' }, { op: 'DeleteService' }],
    ]);
    const scaledUp = withService({ status: 'ACTIVE', desiredCount: 2, taskSets: [{ id: 'ecs-svc/1', revision: 1, status: 'PRIMARY', scale: 100, computedDesiredCount: 2, tasks: [serviceTask(1), serviceTask(2)] }], events: [] });
    const held = planDeletion(state.engine!, scaledUp, T1);
    expect(held.actions).toEqual([]);
    expect(held.events.at(-1)).toEqual({
      type: 'DeploymentStuck',
      reason: 'delete-environment: service Fleet-Logs runs 2 task(s) (desired count 2; the deletion was asked without --force, when none were counted): delete-environment --force scales it to zero',
      at: T1,
    });
  });

  it('DRAINING: waits, counting what still runs; INACTIVE: completed', () => {
    let state = deleting(web, 4);
    const draining = withService({
      status: 'DRAINING',
      desiredCount: 0,
      taskSets: [{ id: 'ecs-svc/1', revision: 1, status: 'DRAINING', scale: 0, computedDesiredCount: 0, tasks: [serviceTask(1, { desiredStatus: 'STOPPED' }), serviceTask(2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })] }],
      events: [],
    });
    const waiting = planDeletion(state.engine!, draining, T1);
    expect(waiting.actions).toEqual([]);
    expect(waiting.events).toEqual([
      { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 1 }], at: T1 },
      { type: 'DeploymentProgressed', ready: 0, old: 1, at: T1 },
    ]);
    state = fold(waiting.events, state)!;
    const gone = planDeletion(state.engine!, withService({ status: 'INACTIVE', desiredCount: 0, taskSets: [], events: [] }), T1 + 5000);
    expect(gone).toEqual({
      events: [
        { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 0 }], at: T1 + 5000 },
        { type: 'DeploymentProgressed', ready: 0, old: 0, at: T1 + 5000 },
        { type: 'DeletionCompleted', at: T1 + 5000 },
      ],
      actions: [],
    });
  });

  it('a step ECS refused (the executor’s ServiceUpdateRefused): Stuck at once, with ECS’s reason; the step still goes, with the next minute’s key', () => {
    const state = deleting(web, 0);
    const active = withService({ status: 'ACTIVE', deploymentController: 'EXTERNAL', desiredCount: 0, taskSets: [], events: [] });
    const first = planDeletion(state.engine!, active, T1);
    const ECS_SAYS = 'AccessDeniedException: User is not authorized to perform: ecs:DeleteService';
    const refused = fold([...first.events, { type: 'ServiceUpdateRefused', key: first.actions[0]!.key, operation: 'DeleteService', reason: ECS_SAYS, at: T1 + 500 }], state)!;

    const planned = planDeletion(refused.engine!, active, T1 + 60_000);

    const REASON = `delete-environment: DeleteService refused by ECS: ${ECS_SAYS}`;
    expect(planned.events).toEqual([{ type: 'DeploymentStuck', reason: REASON, at: T1 + 60_000 }]);
    expect(planned.actions.map((a) => a.key)).toEqual([`delete-${fnv1a64(DELETION)}-${state.epoch}-${Math.floor((T1 + 60_000) / 60_000)}`]);
    const stuck = fold(planned.events, refused)!;
    expect(environmentSummary(stuck).status).toBe('Stuck');
    expect(stuck.revisions.find((r) => r.revision === 1)?.statusReason).toBe(REASON);
    // Said once: the next plan adds nothing.
    expect(planDeletion(stuck.engine!, active, T1 + 62_000).events).toEqual([]);
  });

  it('still ACTIVE after StuckAfterSeconds (the executor keeps failing): Stuck with what ECS says', () => {
    const state = deleting({ ...web, DeploymentConfiguration: { Method: 'Rolling', StuckAfterSeconds: 30 } }, 0);
    const active = withService({ status: 'ACTIVE', desiredCount: 0, taskSets: [], events: ['(service Fleet-Logs) was unable to place a task.'] });
    const first = fold(planDeletion(state.engine!, active, T1).events, state)!;
    const stuck = planDeletion(first.engine!, active, T1 + 30_000);
    expect(stuck.events).toEqual([
      {
        type: 'DeploymentStuck',
        reason: 'delete-environment: no progress for 30 s: service Fleet-Logs is still ACTIVE (desired count 0, 0 task set(s)): (service Fleet-Logs) was unable to place a task.',
        at: T1 + 30_000,
      },
    ]);
    expect(stuck.actions.map((a) => (a.type === 'UpdateService' ? a.operations : []))).toEqual([[{ op: 'DeleteService' }]]);
  });
});

void instanceArn;
