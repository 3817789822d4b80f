/**
 * The grid of instances drawn on a <canvas>: one cell per instance, coloured by the revision of its
 * task and shaded by the task's state. 10,000 cells are 10,000 fillRects: a few milliseconds.
 */
import type { InstanceView } from './api';

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

export function cellsOf(instances: InstanceView[]): Cell[] {
  return instances.map((instance) => {
    const task = instance.Tasks.find((t) => t.LastStatus !== 'STOPPED') ?? instance.Tasks[0];
    let state: CellState = 'empty';
    if (task && task.LastStatus !== 'STOPPED') {
      if (task.DesiredStatus === 'STOPPED' || ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING'].includes(task.LastStatus)) state = 'stopping';
      else if (task.LastStatus !== 'RUNNING') state = 'starting';
      else if (task.Health === 'UNHEALTHY') state = 'unhealthy';
      else state = 'running';
    }
    const label = task
      ? `${instance.InstanceId} (${instance.Status}) · revision ${task.Revision} · ${task.LastStatus}${task.Health !== 'UNKNOWN' ? ` ${task.Health}` : ''}${task.StoppedReason ? ` · ${task.StoppedReason}` : ''}`
      : `${instance.InstanceId} (${instance.Status}) · no task`;
    return { id: instance.InstanceId, revision: task && task.LastStatus !== 'STOPPED' ? task.Revision : null, state, draining: instance.Status === 'DRAINING', label };
  });
}

/** A Service task set's tasks from its counts: CURRENT running, the rest of DESIRED starting, those above DESIRED stopping. */
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

export interface Layout {
  cell: number;
  gap: number;
  columns: number;
  rows: number;
}

export function layoutFor(count: number, width: number): Layout {
  const cell = count <= 300 ? 18 : count <= 2000 ? 10 : 6;
  const gap = count <= 2000 ? 2 : 1;
  const columns = Math.max(1, Math.floor((width + gap) / (cell + gap)));
  return { cell, gap, columns, rows: Math.ceil(count / columns) };
}

/** Which cell is at (x, y) in CSS pixels, or -1. */
export function cellAt(layout: Layout, count: number, x: number, y: number): number {
  const pitch = layout.cell + layout.gap;
  const column = Math.floor(x / pitch);
  const row = Math.floor(y / pitch);
  if (column < 0 || column >= layout.columns || row < 0 || x - column * pitch > layout.cell || y - row * pitch > layout.cell) return -1;
  const index = row * layout.columns + column;
  return index < count ? index : -1;
}

export function drawGrid(canvas: HTMLCanvasElement, cells: Cell[], width: number, selected: number): Layout {
  const layout = layoutFor(cells.length, width);
  const pitch = layout.cell + layout.gap;
  const ratio = window.devicePixelRatio || 1;
  const height = Math.max(layout.cell, layout.rows * pitch - layout.gap);
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d');
  if (!g) return layout;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const c = layout.cell;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    const x = (i % layout.columns) * pitch;
    const y = Math.floor(i / layout.columns) * pitch;
    const colour = cell.revision === null ? '#e5e7eb' : revisionColour(cell.revision);
    switch (cell.state) {
      case 'running':
        g.fillStyle = colour;
        g.fillRect(x, y, c, c);
        break;
      case 'starting':
        g.globalAlpha = 0.35;
        g.fillStyle = colour;
        g.fillRect(x, y, c, c);
        g.globalAlpha = 1;
        break;
      case 'stopping':
        g.fillStyle = colour;
        g.fillRect(x, y, c, c);
        g.fillStyle = 'rgba(255,255,255,0.6)';
        g.fillRect(x, y + c / 2, c, c / 2);
        break;
      case 'unhealthy':
        g.fillStyle = '#dc2626';
        g.fillRect(x, y, c, c);
        g.fillStyle = colour;
        g.fillRect(x + 2, y + 2, c - 4, c - 4);
        break;
      case 'empty':
        g.fillStyle = '#e5e7eb';
        g.fillRect(x, y, c, c);
        break;
      default: {
        const never: never = cell.state;
        throw new Error(`unknown cell state ${String(never)}`);
      }
    }
    if (cell.draining && c >= 6) {
      g.strokeStyle = '#111827';
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(x, y + c);
      g.lineTo(x + c, y);
      g.stroke();
    }
    if (i === selected) {
      g.strokeStyle = '#111827';
      g.lineWidth = 2;
      g.strokeRect(x + 1, y + 1, c - 2, c - 2);
    }
  }
  return layout;
}
