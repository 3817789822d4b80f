/**
 * Time for the simulated ECS cluster: a clock and a discrete-event scheduler.
 *
 * The world only ever talks to `SimScheduler` (read the time, schedule a callback at an instant),
 * so the same world runs under either clock:
 *
 * - `VirtualClock` — for tests and benchmarks. Time stands still until you move it:
 *   `advance(ms)` / `runUntil(atMs)` run the due callbacks in time order (ties in the order they
 *   were scheduled), and callbacks may schedule more (they run in the same pass if due).
 *
 *   ```ts
 *   const clock = new VirtualClock(Date.parse('2024-01-01T00:00:00Z'));
 *   clock.schedule(clock.now() + 2_000, () => console.log('two seconds later'));
 *   clock.advance(1_999);   // nothing yet
 *   clock.advance(1);       // → "two seconds later"; clock.now() is start + 2000
 *   ```
 *
 * - `RealTimeClock` — for the local stack. Wall time, optionally sped up: with `speed: 10` a
 *   callback scheduled 10 s of world time ahead fires after 1 s of real time. Callbacks fire in the
 *   same order as under the virtual clock (one timer for the earliest entry of a queue).
 */

/** What reads the time: epoch milliseconds. */
export interface SimClock {
  now(): number;
}

/** A scheduled callback; `cancel()` is a no-op once it ran. */
export interface ScheduledTimer {
  cancel(): void;
}

/** The clock the world is driven by. */
export interface SimScheduler extends SimClock {
  /** Runs `fn` once at `atMs` (epoch ms). An instant in the past means "as soon as possible". */
  schedule(atMs: number, fn: () => void): ScheduledTimer;
}

/** 2024-01-01T00:00:00Z: the default start of virtual time (never the wall clock: runs must repeat). */
export const DEFAULT_VIRTUAL_START = Date.UTC(2024, 0, 1);

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A binary min-heap on (at, seq): time order, ties in insertion order. */
class TimerQueue {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(at: number, fn: () => void): Entry {
    const entry: Entry = { at, seq: this.seq++, fn, cancelled: false };
    this.heap.push(entry);
    this.live++;
    this.up(this.heap.length - 1);
    return entry;
  }

  cancel(entry: Entry): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    this.live--;
  }

  /** The earliest live entry, without removing it. */
  peek(): Entry | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  /** Removes and returns the earliest live entry (it counts as done: cancelling it is a no-op). */
  pop(): Entry | undefined {
    this.dropCancelled();
    const top = this.removeTop();
    if (top) {
      top.cancelled = true;
      this.live--;
    }
    return top;
  }

  clear(): void {
    for (const entry of this.heap) entry.cancelled = true;
    this.heap.length = 0;
    this.live = 0;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.removeTop();
  }

  private removeTop(): Entry | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top !== undefined && last !== undefined && this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(index: number): void {
    const heap = this.heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(index: number): void {
    const heap = this.heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

/**
 * Virtual time: a discrete-event scheduler. Nothing happens until `advance`, `runUntil` or
 * `runUntilIdle` is called; a callback scheduled in the past runs at the current instant on the
 * next run. An exception thrown by a callback propagates out of the run (the clock stays at that
 * callback's instant; later callbacks stay queued).
 */
export class VirtualClock implements SimScheduler {
  private current: number;
  private readonly queue = new TimerQueue();

  constructor(startMs: number = DEFAULT_VIRTUAL_START) {
    if (!Number.isFinite(startMs)) throw new RangeError(`VirtualClock: start must be a finite epoch-ms number, got ${startMs}`);
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  schedule(atMs: number, fn: () => void): ScheduledTimer {
    if (Number.isNaN(atMs)) throw new RangeError('VirtualClock.schedule: the instant is NaN');
    const entry = this.queue.push(Math.max(atMs, this.current), fn);
    return { cancel: () => this.queue.cancel(entry) };
  }

  /** How many callbacks are waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** When the next callback is due, or undefined when nothing is scheduled. */
  nextAt(): number | undefined {
    return this.queue.peek()?.at;
  }

  /** Moves time forward by `ms`, running every callback due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`VirtualClock.advance: expected a duration >= 0, got ${ms}`);
    this.runUntil(this.current + ms);
  }

  /** Moves time to `atMs` (never backwards), running every callback due at or before it, in order. */
  runUntil(atMs: number): void {
    if (Number.isNaN(atMs)) throw new RangeError('VirtualClock.runUntil: the instant is NaN');
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > atMs) break;
      this.queue.pop();
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = Math.max(this.current, atMs);
  }

  /**
   * Runs callbacks until none is left, jumping from one to the next; returns the instant it became
   * idle. Throws if callbacks are still due after `limitMs` of virtual time (a runaway: something
   * keeps rescheduling itself) — time is then at the limit.
   */
  runUntilIdle(limitMs: number = 24 * 3600_000): number {
    const deadline = this.current + limitMs;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined) return this.current;
      if (next.at > deadline) {
        this.current = Math.max(this.current, deadline);
        throw new Error(`VirtualClock.runUntilIdle: still ${this.queue.size} callback(s) scheduled after ${limitMs} ms (next at ${new Date(next.at).toISOString()})`);
      }
      this.runUntil(next.at);
    }
  }
}

export interface RealTimeClockOptions {
  /** How much faster than wall time the world runs: 10 = ten times faster. Default 1. */
  speed?: number;
  /** The world's time at creation (epoch ms). Default: the wall clock's. */
  startMs?: number;
  /** Do not keep the Node.js process alive just for the world's timers. Default false. */
  unref?: boolean;
}

/**
 * Wall time, scaled by `speed`. `now()` is `startMs + elapsed real time × speed` (monotonic, whole ms).
 * Callbacks run in (instant, insertion) order from one `setTimeout` armed for the earliest, and
 * never before their instant. An exception thrown by a callback escapes the timer (an uncaught
 * exception, as with a plain setTimeout); the queue is re-armed first.
 */
export class RealTimeClock implements SimScheduler {
  readonly speed: number;
  private readonly startMs: number;
  private readonly startPerf: number;
  private readonly unref: boolean;
  private readonly queue = new TimerQueue();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor: number | undefined;
  private closed = false;

  constructor(options: RealTimeClockOptions = {}) {
    const speed = options.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`RealTimeClock: speed must be a positive number, got ${speed}`);
    this.speed = speed;
    this.startMs = options.startMs ?? Date.now();
    this.startPerf = performance.now();
    this.unref = options.unref ?? false;
  }

  /** Whole epoch milliseconds. */
  now(): number {
    return Math.floor(this.startMs + (performance.now() - this.startPerf) * this.speed);
  }

  schedule(atMs: number, fn: () => void): ScheduledTimer {
    if (Number.isNaN(atMs)) throw new RangeError('RealTimeClock.schedule: the instant is NaN');
    if (this.closed) return { cancel: () => undefined };
    const entry = this.queue.push(atMs, fn);
    this.arm();
    return {
      cancel: () => {
        this.queue.cancel(entry);
        if (this.queue.size === 0) this.disarm();
      },
    };
  }

  /** How many callbacks are waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** Cancels every pending callback and refuses new ones (shutdown). */
  close(): void {
    this.closed = true;
    this.queue.clear();
    this.disarm();
  }

  private arm(): void {
    const next = this.queue.peek();
    if (next === undefined) {
      this.disarm();
      return;
    }
    if (this.timer !== undefined && this.armedFor !== undefined && this.armedFor <= next.at) return;
    this.disarm();
    const delay = Math.max(0, (next.at - this.now()) / this.speed);
    this.armedFor = next.at;
    this.timer = setTimeout(() => this.fire(), Math.ceil(delay));
    if (this.unref) this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    try {
      for (;;) {
        const next = this.queue.peek();
        if (next === undefined || next.at > this.now()) break;
        this.queue.pop();
        next.fn();
      }
    } finally {
      if (!this.closed) this.arm();
    }
  }
}
