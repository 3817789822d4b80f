/**
 * The grid's cells (no DOM here): one per instance (a Daemon) or per task (a Service task set),
 * coloured by revision and shaded by the task's state; grid.ts draws them.
 */
import type { InstanceView, TaskView } from './api';

/** Revision colours, by revision number (mod the palette). */
export const PALETTE = ['#2563eb', '#16a34a', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4f46e5', '#059669'];

export function revisionColour(revision: number): string {
  return PALETTE[revision % PALETTE.length]!;
}

export type CellState = 'running' | 'starting' | 'stopping' | 'unhealthy' | 'empty';

export interface Cell {
  id: string;
  revision: number | null;
  state: CellState;
  draining: boolean;
  label: string;
}

/** A task's cell state: stopping (asked to stop, or on its way), starting (not RUNNING yet), unhealthy, running; a STOPPED one none. */
export function taskState(task: TaskView | undefined): CellState {
  if (!task || task.LastStatus === 'STOPPED') return 'empty';
  if (task.DesiredStatus === 'STOPPED' || ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING'].includes(task.LastStatus)) return 'stopping';
  if (task.LastStatus !== 'RUNNING') return 'starting';
  if (task.Health === 'UNHEALTHY') return 'unhealthy';
  return 'running';
}

export function cellsOf(instances: InstanceView[]): Cell[] {
  return instances.map((instance) => {
    const task = instance.Tasks.find((t) => t.LastStatus !== 'STOPPED') ?? instance.Tasks[0];
    const state = taskState(task);
    const label = task
      ? `${instance.InstanceId} (${instance.Status}) · revision ${task.Revision} · ${task.LastStatus}${task.Health !== 'UNKNOWN' ? ` ${task.Health}` : ''}${task.StoppedReason ? ` · ${task.StoppedReason}` : ''}`
      : `${instance.InstanceId} (${instance.Status}) · no task`;
    return { id: instance.InstanceId, revision: task && task.LastStatus !== 'STOPPED' ? task.Revision : null, state, draining: instance.Status === 'DRAINING', label };
  });
}

/**
 * A Service task set's tasks as the engine's last full look saw them (GET …/instances `Tasks`): one cell
 * per task of the revision that has not STOPPED, in the order given.
 */
export function serviceTaskCells(tasks: TaskView[], revision: number): Cell[] {
  return tasks
    .filter((t) => t.Revision === revision && t.LastStatus !== 'STOPPED')
    .map((t) => ({
      id: t.TaskId,
      revision,
      state: taskState(t),
      draining: false,
      label: `task ${t.TaskId} · revision ${revision} · ${t.LastStatus}${t.DesiredStatus === 'STOPPED' ? ' (stopping)' : ''}${t.Health !== 'UNKNOWN' ? ` ${t.Health}` : ''}`,
    }));
}

/** A Service task set's tasks from its counts (no picture of them yet): CURRENT running, the rest of DESIRED starting, those above DESIRED stopping. */
export function taskSetCells(row: { EnvironmentRevision: number; Revision: string; Desired: number; Current: number }): Cell[] {
  const running = Math.min(row.Current, row.Desired);
  const cells: Cell[] = [];
  const total = Math.max(row.Current, row.Desired);
  for (let i = 0; i < total; i++) {
    const state: CellState = i < running ? 'running' : row.Current > row.Desired ? 'stopping' : 'starting';
    cells.push({ id: `${row.Revision}#${i + 1}`, revision: row.EnvironmentRevision, state, draining: false, label: `${row.Revision} · task ${i + 1} of ${total} · ${state}` });
  }
  return cells;
}

