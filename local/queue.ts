/**
 * The local stand-in for the SQS FIFO action queue (`functions/adapters/sqs-action-queue.ts`): the
 * same `ActionQueue` port, the same delivery semantics, in process.
 *
 * - FIFO per group: the group is the action's environment. A group's messages are delivered in the
 *   order they were sent, one in flight at a time; groups are delivered in parallel.
 * - Deduplication: a message whose key was sent less than `deduplicationWindowMs` (5 min) ago is
 *   accepted and dropped, even if the first one was already processed (SQS's rule).
 * - Visibility timeout: a received message that is not deleted within `visibilityTimeoutMs` becomes
 *   visible again and is redelivered (its group stays blocked until then). The consumer deletes on
 *   success; on failure it leaves the message, which comes back when the timeout runs out. A success
 *   reported after the timeout is a stale delete and is ignored (the message is delivered again).
 * - Dead letters: a message already received `maxReceiveCount` times is moved to the dead-letter
 *   list instead of being delivered again; its group moves on.
 * - `latencyMs`: delay between send and availability (the harness's latency model).
 *
 * Time comes from an injectable scheduler, so the same queue runs on real timers (the local stack)
 * and on a virtual clock (the test harness: `schedulerFromSim(new VirtualClock())`):
 *
 * ```ts
 * const queue = new InProcessActionQueue({ scheduler: schedulerFromSim(clock), latencyMs: 50 });
 * queue.start(async (action) => executor.execute(action));
 * await queue.enqueue(plan.actions);
 * clock.advance(50);          // the actions become available; handlers run on the next microtasks
 * await queue.idle();         // every handler that could run now has settled
 * ```
 *
 * Handlers are always called from a microtask, never from inside `enqueue` or a timer callback.
 */
import type { PlannerAction } from '../domain/planner';
import type { ActionQueue } from '../functions/ports';
import type { SimScheduler } from './sim/clock';

/** The time source and timers the queue runs on. */
export interface QueueScheduler {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall time and Node's timers (unref'd: the queue alone does not keep the process alive). */
export const realTimeScheduler: QueueScheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A queue scheduler on the simulator's clock (`VirtualClock` or `RealTimeClock`). */
export function schedulerFromSim(clock: SimScheduler): QueueScheduler {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.schedule(clock.now() + ms, fn),
    clearTimeout: (handle) => (handle as ReturnType<SimScheduler['schedule']>).cancel(),
  };
}

export interface QueueMessageInfo {
  messageId: string;
  group: string;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  receiveCount: number;
  sentAt: number;
}

export type ActionHandler = (action: PlannerAction, info: QueueMessageInfo) => Promise<void>;

export interface DeadLetter {
  messageId: string;
  group: string;
  action: PlannerAction;
  receiveCount: number;
  sentAt: number;
  movedAt: number;
  /** What the handler threw the last time, if it threw. */
  lastError?: unknown;
}

export interface QueueStats {
  /** Messages waiting (not yet available, or available behind their group's head). */
  waiting: number;
  inFlight: number;
  deadLetters: number;
  /** Handlers running now. */
  running: number;
}

export interface InProcessActionQueueOptions {
  /** Default: real timers. */
  scheduler?: QueueScheduler;
  /** Default 30 s (SQS's default). */
  visibilityTimeoutMs?: number;
  /** Deliveries before a message goes to the dead-letter list. Default 5. */
  maxReceiveCount?: number;
  /** Default 5 min (SQS FIFO's). */
  deduplicationWindowMs?: number;
  /** Delay between send and availability: a constant or a per-message model. Default 0. */
  latencyMs?: number | ((action: PlannerAction) => number);
  /** Told about every handler failure (the message will be redelivered or dead-lettered). */
  onError?: (error: unknown, action: PlannerAction, info: QueueMessageInfo) => void;
}

export const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
export const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

interface Message {
  id: string;
  seq: number;
  group: string;
  action: PlannerAction;
  sentAt: number;
  availableAt: number;
  receiveCount: number;
  inFlight: boolean;
  /** While in flight: when it becomes visible again. */
  visibleAt: number;
  /** Bumped on every receive: a delete with an older receipt is stale. */
  receipt: number;
  lastError?: unknown;
  hasError: boolean;
}

export class InProcessActionQueue implements ActionQueue {
  private readonly scheduler: QueueScheduler;
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;
  private readonly deduplicationWindowMs: number;
  private readonly latency: (action: PlannerAction) => number;
  private readonly onError: InProcessActionQueueOptions['onError'];

  /** Group → its messages in send order (the head is the only one that can be in flight). */
  private readonly groups = new Map<string, Message[]>();
  /** Deduplication key → when its window ends (insertion order = send order). */
  private readonly dedup = new Map<string, number>();
  private readonly dead: DeadLetter[] = [];
  private seq = 0;
  private handler: ActionHandler | undefined;
  private running = 0;
  private pumpQueued = false;
  private wake: { at: number; handle: unknown } | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(options: InProcessActionQueueOptions = {}) {
    this.scheduler = options.scheduler ?? realTimeScheduler;
    this.visibilityTimeoutMs = positive('visibilityTimeoutMs', options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS);
    this.maxReceiveCount = positive('maxReceiveCount', options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT);
    this.deduplicationWindowMs = nonNegative('deduplicationWindowMs', options.deduplicationWindowMs ?? DEDUPLICATION_WINDOW_MS);
    const latency = options.latencyMs ?? 0;
    this.latency = typeof latency === 'function' ? latency : () => latency;
    nonNegative('latencyMs', typeof latency === 'number' ? latency : 0);
    this.onError = options.onError;
  }

  // ── Producer ─────────────────────────────────────────────────────────────────────────────────

  async enqueue(actions: PlannerAction[]): Promise<void> {
    const now = this.scheduler.now();
    this.forgetExpiredKeys(now);
    for (const action of actions) {
      const until = this.dedup.get(action.key);
      if (until !== undefined && until > now) continue; // a duplicate within the window: dropped
      this.dedup.delete(action.key);
      this.dedup.set(action.key, now + this.deduplicationWindowMs);
      const seq = ++this.seq;
      const message: Message = {
        id: `msg-${seq}`,
        seq,
        group: action.environment,
        action,
        sentAt: now,
        availableAt: now + Math.max(0, this.latency(action)),
        receiveCount: 0,
        inFlight: false,
        visibleAt: 0,
        receipt: 0,
        hasError: false,
      };
      const group = this.groups.get(message.group);
      if (group) group.push(message);
      else this.groups.set(message.group, [message]);
    }
    this.schedulePump();
  }

  // ── Consumer ─────────────────────────────────────────────────────────────────────────────────

  /** Starts delivering: each message is handed to `handler`; resolved → deleted, rejected → redelivered later. */
  start(handler: ActionHandler): void {
    if (this.handler) throw new Error('InProcessActionQueue: already started');
    this.handler = handler;
    this.schedulePump();
  }

  /** Stops delivering; resolves once the handlers already running have settled. */
  async stop(): Promise<void> {
    this.handler = undefined;
    this.disarm();
    await this.idle();
  }

  /**
   * Resolves when no handler is running and nothing is deliverable right now (messages waiting for
   * their latency or visibility timeout need time to pass: advance the clock, then wait again).
   */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get deadLetters(): readonly DeadLetter[] {
    return [...this.dead];
  }

  stats(): QueueStats {
    let waiting = 0;
    let inFlight = 0;
    for (const messages of this.groups.values()) {
      for (const message of messages) {
        if (message.inFlight) inFlight++;
        else waiting++;
      }
    }
    return { waiting, inFlight, deadLetters: this.dead.length, running: this.running };
  }

  // ── Delivery ─────────────────────────────────────────────────────────────────────────────────

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) {
      this.notifyIdle();
      return;
    }
    const now = this.scheduler.now();
    const ready: Message[] = [];
    let nextAt = Infinity;
    for (const [name, messages] of this.groups) {
      for (;;) {
        const head = messages[0];
        if (head === undefined) {
          this.groups.delete(name);
          break;
        }
        if (head.inFlight) {
          if (head.visibleAt > now) {
            nextAt = Math.min(nextAt, head.visibleAt);
            break;
          }
          head.inFlight = false; // the visibility timeout ran out: visible again
        }
        if (head.availableAt > now) {
          nextAt = Math.min(nextAt, head.availableAt);
          break;
        }
        if (head.receiveCount >= this.maxReceiveCount) {
          messages.shift();
          this.dead.push({
            messageId: head.id,
            group: head.group,
            action: head.action,
            receiveCount: head.receiveCount,
            sentAt: head.sentAt,
            movedAt: now,
            ...(head.hasError ? { lastError: head.lastError } : {}),
          });
          continue;
        }
        ready.push(head);
        break;
      }
    }
    // Across groups, in send order.
    ready.sort((a, b) => a.seq - b.seq);
    for (const message of ready) {
      this.deliver(message, handler, now);
      nextAt = Math.min(nextAt, message.visibleAt);
    }
    this.arm(nextAt, now);
    this.notifyIdle();
  }

  private deliver(message: Message, handler: ActionHandler, now: number): void {
    message.inFlight = true;
    message.receiveCount++;
    message.receipt++;
    message.visibleAt = now + this.visibilityTimeoutMs;
    const receipt = message.receipt;
    const info: QueueMessageInfo = { messageId: message.id, group: message.group, receiveCount: message.receiveCount, sentAt: message.sentAt };
    this.running++;
    Promise.resolve()
      .then(() => handler(message.action, info))
      .then(
        () => this.delete(message, receipt),
        (error: unknown) => {
          message.lastError = error;
          message.hasError = true;
          try {
            this.onError?.(error, message.action, info);
          } catch {
            // an observer's failure does not change delivery
          }
        },
      )
      .finally(() => {
        this.running--;
        this.schedulePump();
      });
  }

  /** Deletes a message received with `receipt`, unless that receipt is stale. */
  private delete(message: Message, receipt: number): void {
    if (!message.inFlight || message.receipt !== receipt || this.scheduler.now() >= message.visibleAt) return;
    const messages = this.groups.get(message.group);
    if (messages?.[0] !== message) return;
    messages.shift();
    if (messages.length === 0) this.groups.delete(message.group);
  }

  private arm(at: number, now: number): void {
    if (this.wake && this.wake.at === at) return;
    this.disarm();
    if (at === Infinity) return;
    const handle = this.scheduler.setTimeout(
      () => {
        this.wake = undefined;
        this.pump();
      },
      Math.max(0, at - now),
    );
    this.wake = { at, handle };
  }

  private disarm(): void {
    if (!this.wake) return;
    this.scheduler.clearTimeout(this.wake.handle);
    this.wake = undefined;
  }

  private forgetExpiredKeys(now: number): void {
    for (const [key, until] of this.dedup) {
      if (until > now) break;
      this.dedup.delete(key);
    }
  }

  private isIdle(): boolean {
    if (this.running > 0 || this.pumpQueued) return false;
    if (!this.handler) return true;
    const now = this.scheduler.now();
    for (const messages of this.groups.values()) {
      const head = messages[0];
      if (head === undefined) continue;
      const visible = !head.inFlight || head.visibleAt <= now;
      if (visible && head.availableAt <= now) return false;
    }
    return true;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`InProcessActionQueue: ${name} must be > 0, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`InProcessActionQueue: ${name} must be >= 0, got ${value}`);
  return value;
}
