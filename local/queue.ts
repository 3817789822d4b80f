/**
 * The local stand-in for an SQS FIFO queue and its Lambda event source mapping: the action queue
 * (`functions/adapters/sqs-action-queue.ts`, the `ActionQueue` port) and the reconcile queue
 * (`functions/adapters/sqs-reconcile-queue.ts`) run on it, in process, with SQS FIFO's delivery
 * semantics:
 *
 * - FIFO per group: a group's messages are delivered in the order they were sent, and a group with
 *   a message in flight delivers nothing else until that message is deleted or visible again; groups
 *   are delivered in parallel.
 * - Batches (`batchSize`, default 1): like Lambda's SQS event source, a delivery hands the consumer
 *   up to `batchSize` consecutive messages of one group, all in flight together. The consumer reports
 *   the messages that failed (`ReportBatchItemFailures`); the others are deleted.
 * - Deduplication: a message whose deduplication id was sent less than `deduplicationWindowMs`
 *   (5 min) ago is accepted and dropped, even if the first one was already processed (SQS's rule;
 *   the scope is the queue, SQS's default).
 * - Visibility timeout: a received message that is not deleted within `visibilityTimeoutMs` becomes
 *   visible again and is redelivered (its group stays blocked until then). On failure the message
 *   stays, and comes back when the timeout runs out — or sooner, after `changeVisibility` (SQS's
 *   ChangeMessageVisibility: a consumer's back-off). A success reported after the timeout is a stale
 *   delete and is ignored (the message is delivered again).
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
 * Handlers are always called from a microtask, never from inside `send` or a timer callback.
 */
import type { PlannerAction } from '../domain/rollout';
import { actionGroup } from '../domain/rollout';
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

/** What a producer sends (SendMessage with `MessageGroupId` and `MessageDeduplicationId`). */
export interface FifoMessage<T> {
  body: T;
  group: string;
  deduplicationId: string;
}

export interface QueueMessageInfo {
  messageId: string;
  group: string;
  /** 1 on the first delivery, 2 on the first redelivery, … (SQS's ApproximateReceiveCount). */
  receiveCount: number;
  sentAt: number;
  deduplicationId: string;
}

/** A delivered message: what a Lambda SQS record carries. */
export interface ReceivedMessage<T> extends QueueMessageInfo {
  body: T;
  /** This receive's handle (for `changeVisibility`); a later receive of the message gets another. */
  receiptHandle: string;
}

/** What a batch consumer reports: the messages that failed (`batchItemFailures`); the rest are deleted. */
export interface BatchResult {
  failed: string[];
}

export type MessageHandler<T> = (body: T, info: QueueMessageInfo) => Promise<void>;
export type BatchHandler<T> = (batch: Array<ReceivedMessage<T>>) => Promise<BatchResult | void>;
export type ActionHandler = MessageHandler<PlannerAction>;

export interface DeadLetter<T> {
  messageId: string;
  group: string;
  body: T;
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

export interface InProcessFifoQueueOptions<T> {
  /** Default: real timers. */
  scheduler?: QueueScheduler;
  /** Default 30 s (SQS's default). */
  visibilityTimeoutMs?: number;
  /** Deliveries before a message goes to the dead-letter list. Default 5. */
  maxReceiveCount?: number;
  /** Default 5 min (SQS FIFO's). */
  deduplicationWindowMs?: number;
  /** Delay between send and availability: a constant or a per-message model. Default 0. */
  latencyMs?: number | ((body: T) => number);
  /** Messages per delivery, all of one group (Lambda's `batchSize`). Default 1. */
  batchSize?: number;
  /** Told about every handler that threw (each message of its delivery will be redelivered or dead-lettered). */
  onError?: (error: unknown, body: T, info: QueueMessageInfo) => void;
}

/** @deprecated the action queue's options: `InProcessFifoQueueOptions<PlannerAction>`. */
export type InProcessActionQueueOptions = InProcessFifoQueueOptions<PlannerAction>;

export const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
export const DEDUPLICATION_WINDOW_MS = 5 * 60_000;
/** Lambda's SQS event source: at most 10 messages per batch from a FIFO queue. */
export const MAX_FIFO_BATCH_SIZE = 10;

interface Message<T> {
  id: string;
  seq: number;
  group: string;
  deduplicationId: string;
  body: T;
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

export class InProcessFifoQueue<T> {
  private readonly scheduler: QueueScheduler;
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;
  private readonly deduplicationWindowMs: number;
  private readonly batchSize: number;
  private readonly latency: (body: T) => number;
  private readonly onError: InProcessFifoQueueOptions<T>['onError'];

  /** Group → its messages in send order (the messages in flight are a prefix). */
  private readonly groups = new Map<string, Array<Message<T>>>();
  /** Deduplication id → when its window ends (insertion order = send order). */
  private readonly dedup = new Map<string, number>();
  /** Message id → message, for `changeVisibility`. */
  private readonly byId = new Map<string, Message<T>>();
  private readonly dead: Array<DeadLetter<T>> = [];
  private seq = 0;
  private handler: BatchHandler<T> | undefined;
  private running = 0;
  private pumpQueued = false;
  private wake: { at: number; handle: unknown } | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Sends accepted and sends dropped as duplicates (within the deduplication window). */
  readonly sent = { accepted: 0, deduplicated: 0 };

  constructor(options: InProcessFifoQueueOptions<T> = {}) {
    this.scheduler = options.scheduler ?? realTimeScheduler;
    this.visibilityTimeoutMs = positive('visibilityTimeoutMs', options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS);
    this.maxReceiveCount = positive('maxReceiveCount', options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT);
    this.deduplicationWindowMs = nonNegative('deduplicationWindowMs', options.deduplicationWindowMs ?? DEDUPLICATION_WINDOW_MS);
    this.batchSize = positive('batchSize', options.batchSize ?? 1);
    if (!Number.isInteger(this.batchSize) || this.batchSize > MAX_FIFO_BATCH_SIZE) {
      throw new RangeError(`InProcessFifoQueue: batchSize must be an integer in 1..${MAX_FIFO_BATCH_SIZE}, got ${this.batchSize}`);
    }
    const latency = options.latencyMs ?? 0;
    this.latency = typeof latency === 'function' ? latency : () => latency;
    nonNegative('latencyMs', typeof latency === 'number' ? latency : 0);
    this.onError = options.onError;
  }

  // ── Producer ─────────────────────────────────────────────────────────────────────────────────

  /** SendMessage(Batch): in order; a deduplication id seen within the window is accepted and dropped. */
  async send(messages: Array<FifoMessage<T>>): Promise<void> {
    const now = this.scheduler.now();
    this.forgetExpiredKeys(now);
    for (const { body, group: groupId, deduplicationId } of messages) {
      const until = this.dedup.get(deduplicationId);
      if (until !== undefined && until > now) {
        this.sent.deduplicated++;
        continue;
      }
      this.sent.accepted++;
      this.dedup.delete(deduplicationId);
      this.dedup.set(deduplicationId, now + this.deduplicationWindowMs);
      const seq = ++this.seq;
      const message: Message<T> = {
        id: `msg-${seq}`,
        seq,
        group: groupId,
        deduplicationId,
        body,
        sentAt: now,
        availableAt: now + Math.max(0, this.latency(body)),
        receiveCount: 0,
        inFlight: false,
        visibleAt: 0,
        receipt: 0,
        hasError: false,
      };
      this.byId.set(message.id, message);
      const group = this.groups.get(groupId);
      if (group) group.push(message);
      else this.groups.set(groupId, [message]);
    }
    this.schedulePump();
  }

  // ── Consumer ─────────────────────────────────────────────────────────────────────────────────

  /** Starts delivering one message at a time: resolved → deleted, rejected → redelivered later. */
  start(handler: MessageHandler<T>): void {
    this.startBatches(async (batch) => {
      const failed: string[] = [];
      for (const message of batch) {
        try {
          await handler(message.body, info(message));
        } catch (error) {
          this.reportError(error, message);
          // FIFO: nothing after a failed message of the group may run before it.
          failed.push(...batch.slice(batch.indexOf(message)).map((m) => m.messageId));
          break;
        }
      }
      return { failed };
    });
  }

  /**
   * Starts delivering batches (up to `batchSize` messages of one group): the messages the handler
   * reports failed stay (redelivered after their visibility timeout); the others are deleted. A
   * handler that throws fails the whole batch.
   */
  startBatches(handler: BatchHandler<T>): void {
    if (this.handler) throw new Error('InProcessFifoQueue: already started');
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
   * ChangeMessageVisibility: the message received with `receiptHandle` becomes visible again in
   * `timeoutMs` (0: at once). Ignored for a stale handle or a message already deleted (SQS refuses those).
   */
  changeVisibility(receiptHandle: string, timeoutMs: number): void {
    const [id, receipt] = receiptHandle.split('#');
    const message = this.byId.get(id ?? '');
    if (!message || !message.inFlight || String(message.receipt) !== receipt || this.scheduler.now() >= message.visibleAt) return;
    message.visibleAt = this.scheduler.now() + Math.max(0, timeoutMs);
    this.schedulePump();
  }

  /**
   * Resolves when no handler is running and nothing is deliverable right now (messages waiting for
   * their latency or visibility timeout need time to pass: advance the clock, then wait again).
   */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get deadLetters(): ReadonlyArray<DeadLetter<T>> {
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

  /**
   * The group's next batch if it can have one now, else when it may (`at`). A group with a message
   * in flight is blocked until that message is deleted or visible again.
   */
  private nextBatch(name: string, messages: Array<Message<T>>, now: number): { batch: Array<Message<T>>; at: number } {
    let at = Infinity;
    for (const message of messages) {
      if (!message.inFlight) break;
      if (message.visibleAt > now) return { batch: [], at: Math.min(at, message.visibleAt) };
      message.inFlight = false; // the visibility timeout ran out: visible again
    }
    // Dead-letter heads received too often.
    for (;;) {
      const head = messages[0];
      if (head === undefined) {
        this.groups.delete(name);
        return { batch: [], at };
      }
      if (head.availableAt > now) return { batch: [], at: head.availableAt };
      if (head.receiveCount < this.maxReceiveCount) break;
      messages.shift();
      this.byId.delete(head.id);
      this.dead.push({
        messageId: head.id,
        group: head.group,
        body: head.body,
        receiveCount: head.receiveCount,
        sentAt: head.sentAt,
        movedAt: now,
        ...(head.hasError ? { lastError: head.lastError } : {}),
      });
    }
    const batch: Array<Message<T>> = [];
    for (const message of messages) {
      if (batch.length >= this.batchSize || message.inFlight || message.availableAt > now || message.receiveCount >= this.maxReceiveCount) {
        if (message.availableAt > now) at = Math.min(at, message.availableAt);
        break;
      }
      batch.push(message);
    }
    return { batch, at };
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) {
      this.notifyIdle();
      return;
    }
    const now = this.scheduler.now();
    const ready: Array<Array<Message<T>>> = [];
    let nextAt = Infinity;
    for (const [name, messages] of [...this.groups]) {
      const { batch, at } = this.nextBatch(name, messages, now);
      if (batch.length > 0) ready.push(batch);
      nextAt = Math.min(nextAt, at);
    }
    // Across groups, in send order.
    ready.sort((a, b) => a[0]!.seq - b[0]!.seq);
    for (const batch of ready) {
      this.deliver(batch, handler, now);
      nextAt = Math.min(nextAt, now + this.visibilityTimeoutMs);
    }
    this.arm(nextAt, now);
    this.notifyIdle();
  }

  private deliver(batch: Array<Message<T>>, handler: BatchHandler<T>, now: number): void {
    const receipts = new Map<Message<T>, number>();
    const received: Array<ReceivedMessage<T>> = batch.map((message) => {
      message.inFlight = true;
      message.receiveCount++;
      message.receipt++;
      message.visibleAt = now + this.visibilityTimeoutMs;
      receipts.set(message, message.receipt);
      return { ...info(message), body: message.body, receiptHandle: `${message.id}#${message.receipt}` };
    });
    this.running++;
    Promise.resolve()
      .then(() => handler(received))
      .then(
        (result) => {
          const failed = new Set(result?.failed ?? []);
          for (const message of batch) if (!failed.has(message.id)) this.delete(message, receipts.get(message)!);
        },
        (error: unknown) => {
          for (const message of received) this.reportError(error, message);
        },
      )
      .finally(() => {
        this.running--;
        this.schedulePump();
      });
  }

  private reportError(error: unknown, received: ReceivedMessage<T>): void {
    const message = this.byId.get(received.messageId);
    if (message) {
      message.lastError = error;
      message.hasError = true;
    }
    try {
      this.onError?.(error, received.body, info(received));
    } catch {
      // an observer's failure does not change delivery
    }
  }

  /** Deletes a message received with `receipt`, unless that receipt is stale. */
  private delete(message: Message<T>, receipt: number): void {
    if (!message.inFlight || message.receipt !== receipt || this.scheduler.now() >= message.visibleAt) return;
    const messages = this.groups.get(message.group);
    const index = messages?.indexOf(message) ?? -1;
    if (!messages || index < 0) return;
    messages.splice(index, 1);
    this.byId.delete(message.id);
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
      const blocked = messages.some((m) => m.inFlight && m.visibleAt > now);
      if (!blocked && head.availableAt <= now) return false;
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

/**
 * The stand-in for the SQS FIFO action queue: the `ActionQueue` port (group = `actionGroup`: the
 * environment, or its stops' lane; deduplication id = the idempotency key, as `SqsActionQueue` sends them).
 */
export class InProcessActionQueue extends InProcessFifoQueue<PlannerAction> implements ActionQueue {
  async enqueue(actions: PlannerAction[]): Promise<void> {
    await this.send(actions.map((action) => ({ body: action, group: actionGroup(action), deduplicationId: action.key })));
  }
}

function info(message: { id?: string; messageId?: string; group: string; receiveCount: number; sentAt: number; deduplicationId: string }): QueueMessageInfo {
  return {
    messageId: message.messageId ?? message.id!,
    group: message.group,
    receiveCount: message.receiveCount,
    sentAt: message.sentAt,
    deduplicationId: message.deduplicationId,
  };
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`InProcessFifoQueue: ${name} must be > 0, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`InProcessFifoQueue: ${name} must be >= 0, got ${value}`);
  return value;
}
