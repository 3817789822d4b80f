/**
 * The grid's cells (dashboard/cells.ts): a task's state (stopping before starting before unhealthy
 * before running; a STOPPED task no cell colour), a Service task set's cells from the tasks the
 * engine saw (its revision's, STOPPED ones left out), and from its counts when there is no picture.
 */
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../../dashboard/api';
import { serviceTaskCells, taskSetCells, taskState } from '../../dashboard/cells';

const task = (id: string, revision: number, lastStatus: string, more: Partial<TaskView> = {}): TaskView => ({
  TaskId: id,
  Revision: revision,
  LastStatus: lastStatus,
  DesiredStatus: 'RUNNING',
  Health: 'UNKNOWN',
  ...more,
});

describe('taskState', () => {
  it.each([
    ['RUNNING, desired RUNNING, HEALTHY', task('a', 1, 'RUNNING', { Health: 'HEALTHY' }), 'running'],
    ['RUNNING, UNHEALTHY', task('a', 1, 'RUNNING', { Health: 'UNHEALTHY' }), 'unhealthy'],
    ['RUNNING, desired STOPPED (even UNHEALTHY)', task('a', 1, 'RUNNING', { DesiredStatus: 'STOPPED', Health: 'UNHEALTHY' }), 'stopping'],
    ['DEACTIVATING', task('a', 1, 'DEACTIVATING'), 'stopping'],
    ['PENDING', task('a', 1, 'PENDING'), 'starting'],
    ['PROVISIONING', task('a', 1, 'PROVISIONING'), 'starting'],
    ['STOPPED', task('a', 1, 'STOPPED', { DesiredStatus: 'STOPPED' }), 'empty'],
  ] as const)('%s → %s', (_, given, state) => {
    expect(taskState(given)).toBe(state);
  });
});

describe('serviceTaskCells', () => {
  it("revision 2's tasks that have not stopped, in order, each labelled with its id, status and health", () => {
    const tasks = [
      task('t1', 1, 'RUNNING', { Health: 'HEALTHY' }),
      task('t2', 2, 'RUNNING', { Health: 'HEALTHY' }),
      task('t3', 2, 'PENDING'),
      task('t4', 2, 'STOPPED', { DesiredStatus: 'STOPPED' }),
      task('t5', 2, 'RUNNING', { DesiredStatus: 'STOPPED' }),
    ];
    expect(serviceTaskCells(tasks, 2).map((c) => [c.id, c.revision, c.state, c.label])).toEqual([
      ['t2', 2, 'running', 'task t2 · revision 2 · RUNNING HEALTHY'],
      ['t3', 2, 'starting', 'task t3 · revision 2 · PENDING'],
      ['t5', 2, 'stopping', 'task t5 · revision 2 · RUNNING (stopping)'],
    ]);
    expect(serviceTaskCells(tasks, 3)).toEqual([]);
  });
});

describe('taskSetCells (no picture yet)', () => {
  it('3 of 5 current: 3 running, 2 starting; 6 current of 4 desired: 4 running, 2 stopping', () => {
    expect(taskSetCells({ EnvironmentRevision: 1, Revision: 'r1', Desired: 5, Current: 3 }).map((c) => c.state)).toEqual(['running', 'running', 'running', 'starting', 'starting']);
    expect(taskSetCells({ EnvironmentRevision: 1, Revision: 'r1', Desired: 4, Current: 6 }).map((c) => c.state)).toEqual(['running', 'running', 'running', 'running', 'stopping', 'stopping']);
  });
});
