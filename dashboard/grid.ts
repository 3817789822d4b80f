/**
 * The grid of instances drawn on a <canvas>: one cell per instance, coloured by the revision of its
 * task and shaded by the task's state (cells.ts). 10,000 cells are 10,000 fillRects: a few milliseconds.
 */
import type { Cell } from './cells';
import { revisionColour } from './cells';

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
