/**
 * The in-process SQS FIFO queue on a fake scheduler: order within a group, groups in parallel,
 * deduplication within 5 minutes (and not after), redelivery after the visibility timeout, the
 * dead-letter list after maxReceiveCount, latency, stop — and the same queue on the simulator's
 * VirtualClock; then batches of one group with partial failures (Lambda's event source with
 * `ReportBatchItemFailures`), ChangeMessageVisibility, and any message body.
 */
import { describe, expect, it } from 'vitest';
import type { PlannerAction } from '../../domain/rollout';
import type { BatchResult, QueueMessageInfo, QueueScheduler, ReceivedMessage } from '../../local/queue';
import { InProcessActionQueue, InProcessFifoQueue, schedulerFromSim } from '../../local/queue';
import { VirtualClock } from '../../local/sim/clock';

const T0 = Date.UTC(2024, 0, 1);

/** Timers that only fire when told to; `advance` also lets the handlers' promises settle. */
class FakeScheduler implements QueueScheduler {
  private current = T0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.current + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.current = Math.max(this.current, due[1].at);
      due[1].fn();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

let counter = 0;
function action(environment: string, key = `k${++counter}`): PlannerAction {
  return {
    type: 'StopTasks',
    key,
    environment,
    deploymentId: `${environment}:1@2024010100000000`,
    epoch: 1,
    revision: 1,
    cluster: 'default',
    taskArns: [`arn:aws:ecs:us-east-1:123456789012:task/default/${key}`],
    reason: 'test',
  };
}

/** A consumer whose every delivery waits until the test settles it. */
function manualConsumer(queue: InProcessActionQueue) {
  const deliveries: Array<{ action: PlannerAction; info: QueueMessageInfo; done: ReturnType<typeof deferred> }> = [];
  queue.start((a, info) => {
    const done = deferred();
    deliveries.push({ action: a, info, done });
    return done.promise;
  });
  return deliveries;
}

describe('InProcessActionQueue', () => {
  it('delivers a group in order, one in flight at a time', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessActionQueue({ scheduler });
    const deliveries = manualConsumer(queue);
    const [a1, a2, a3] = [action('A'), action('A'), action('A')];
    await queue.enqueue([a1!, a2!]);
    await queue.enqueue([a3!]);
    await settle();

    expect(deliveries.map((d) => d.action.key)).toEqual([a1!.key]);
    await scheduler.advance(10_000);
    expect(deliveries).toHaveLength(1); // a2 waits for a1, however long it takes (within the timeout)

    deliveries[0]!.done.resolve();
    await settle();
    expect(deliveries.map((d) => d.action.key)).toEqual([a1!.key, a2!.key]);
    deliveries[1]!.done.resolve();
    await settle();
    deliveries[2]!.done.resolve();
    await queue.idle();
    expect(deliveries.map((d) => d.action.key)).toEqual([a1!.key, a2!.key, a3!.key]);
    expect(deliveries.map((d) => d.info.receiveCount)).toEqual([1, 1, 1]);
    expect(queue.stats()).toEqual({ waiting: 0, inFlight: 0, deadLetters: 0, running: 0 });
    expect(scheduler.pending).toBe(0); // nothing left to wake up for
  });

  it('delivers different groups in parallel, in send order', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessActionQueue({ scheduler });
    const deliveries = manualConsumer(queue);
    const a1 = action('A');
    const b1 = action('B');
    const a2 = action('A');
    const c1 = action('C');
    await queue.enqueue([a1, b1, a2, c1]);
    await settle();

    expect(deliveries.map((d) => d.action.key)).toEqual([a1.key, b1.key, c1.key]);
    expect(deliveries.map((d) => d.info.group)).toEqual(['A#stops', 'B#stops', 'C#stops']); // stops: each environment's stop lane
    deliveries[1]!.done.resolve(); // B finishing does not release A's next message
    await settle();
    expect(deliveries).toHaveLength(3);
    deliveries[0]!.done.resolve();
    await settle();
    expect(deliveries.map((d) => d.action.key)).toEqual([a1.key, b1.key, c1.key, a2.key]);
  });

  it("an environment's stops have a lane of their own: a launch is not held behind them", async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessActionQueue({ scheduler });
    const deliveries = manualConsumer(queue);
    const stop1 = action('A');
    const stop2 = action('A');
    const launch: PlannerAction = {
      type: 'StartTasks',
      key: 'launch',
      environment: 'A',
      deploymentId: 'A:1@2024010100000000',
      epoch: 1,
      revision: 1,
      cluster: 'default',
      taskDefinition: 'x:1',
      instanceArns: ['i-1'],
      reason: 'test',
    };
    await queue.enqueue([stop1, stop2, launch]);
    await settle();
    // The first stop is in flight (its lane waits for it); the launch, sent after both stops, goes at once.
    expect(deliveries.map((d) => [d.action.key, d.info.group])).toEqual([
      [stop1.key, 'A#stops'],
      [launch.key, 'A'],
    ]);
  });

  it('drops a duplicate key sent within 5 minutes, even after the first was processed', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessActionQueue({ scheduler });
    const seen: string[] = [];
    queue.start(async (a) => {
      seen.push(a.key);
    });

    await queue.enqueue([action('A', 'dup'), action('A', 'dup'), action('B', 'dup')]);
    await queue.idle();
    expect(seen).toEqual(['dup']);

    await scheduler.advance(5 * 60_000 - 1);
    await queue.enqueue([action('A', 'dup')]);
    await queue.idle();
    expect(seen).toEqual(['dup']);

    await scheduler.advance(1); // 5 minutes after the first send: the window is over
    await queue.enqueue([action('A', 'dup')]);
    await queue.idle();
    expect(seen).toEqual(['dup', 'dup']);

    // The window restarts from the accepted send.
    await scheduler.advance(60_000);
    await queue.enqueue([action('A', 'dup')]);
    await queue.idle();
    expect(seen).toEqual(['dup', 'dup']);
  });

  it('redelivers a failed message after the visibility timeout, and its group waits', async () => {
    const scheduler = new FakeScheduler();
    const errors: unknown[] = [];
    const queue = new InProcessActionQueue({ scheduler, visibilityTimeoutMs: 30_000, onError: (error) => errors.push(error) });
    const deliveries = manualConsumer(queue);
    const [a1, a2] = [action('A'), action('A')];
    await queue.enqueue([a1!, a2!]);
    await settle();

    deliveries[0]!.done.reject(new Error('throttled'));
    await settle();
    expect(errors).toEqual([new Error('throttled')]);
    expect(deliveries).toHaveLength(1);

    await scheduler.advance(29_999);
    expect(deliveries).toHaveLength(1); // still invisible; a2 stays behind it

    await scheduler.advance(1);
    expect(deliveries.map((d) => [d.action.key, d.info.receiveCount])).toEqual([
      [a1!.key, 1],
      [a1!.key, 2],
    ]);
    deliveries[1]!.done.resolve();
    await settle();
    expect(deliveries.map((d) => d.action.key)).toEqual([a1!.key, a1!.key, a2!.key]);
  });

  it('redelivers a message not deleted in time; the late success is a stale delete', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessActionQueue({ scheduler, visibilityTimeoutMs: 1_000 });
    const deliveries = manualConsumer(queue);
    const a1 = action('A');
    await queue.enqueue([a1]);
    await settle();

    await scheduler.advance(1_000); // the handler is still running
    expect(deliveries.map((d) => d.info.receiveCount)).toEqual([1, 2]);

    deliveries[0]!.done.resolve(); // the first receipt is stale: the message stays
    await settle();
    expect(queue.stats().inFlight).toBe(1);
    deliveries[1]!.done.resolve();
    await queue.idle();
    expect(queue.stats()).toEqual({ waiting: 0, inFlight: 0, deadLetters: 0, running: 0 });
  });

  it('moves a message to the dead-letter list after maxReceiveCount deliveries; the group moves on', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessActionQueue({ scheduler, visibilityTimeoutMs: 1_000, maxReceiveCount: 3 });
    const seen: Array<[string, number]> = [];
    const poison = action('A', 'poison');
    const next = action('A', 'next');
    queue.start(async (a, info) => {
      seen.push([a.key, info.receiveCount]);
      if (a.key === 'poison') throw new Error(`attempt ${info.receiveCount}`);
    });
    await queue.enqueue([poison, next]);
    await settle();

    await scheduler.advance(1_000);
    await scheduler.advance(1_000);
    expect(seen).toEqual([
      ['poison', 1],
      ['poison', 2],
      ['poison', 3],
    ]);
    expect(queue.deadLetters).toEqual([]);

    await scheduler.advance(1_000); // the third receive's timeout: dead-lettered, not delivered again
    await queue.idle();
    expect(seen).toEqual([
      ['poison', 1],
      ['poison', 2],
      ['poison', 3],
      ['next', 1],
    ]);
    expect(queue.deadLetters).toEqual([
      { messageId: 'msg-1', group: 'A#stops', body: poison, receiveCount: 3, sentAt: T0, movedAt: T0 + 3_000, lastError: new Error('attempt 3') },
    ]);
    expect(queue.stats()).toEqual({ waiting: 0, inFlight: 0, deadLetters: 1, running: 0 });
  });

  it('makes a message available latencyMs after it was sent, keeping the group order', async () => {
    const scheduler = new FakeScheduler();
    let latency = 500;
    const queue = new InProcessActionQueue({ scheduler, latencyMs: () => latency });
    const seen: Array<[string, number]> = [];
    queue.start(async (a) => {
      seen.push([a.key, scheduler.now() - T0]);
    });
    const slow = action('A');
    await queue.enqueue([slow]);
    latency = 100;
    const fast = action('A');
    const other = action('B');
    await queue.enqueue([fast, other]);

    await scheduler.advance(99);
    expect(seen).toEqual([]);
    await scheduler.advance(1);
    expect(seen).toEqual([[other.key, 100]]); // A's head is not available yet: A's second message waits behind it
    await scheduler.advance(400);
    expect(seen).toEqual([
      [other.key, 100],
      [slow.key, 500],
      [fast.key, 500],
    ]);
  });

  it('delivers nothing before start and nothing after stop; stop waits for running handlers', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessActionQueue({ scheduler });
    const a1 = action('A');
    const b1 = action('B');
    await queue.enqueue([a1]);
    await settle();
    expect(queue.stats().waiting).toBe(1);

    const deliveries = manualConsumer(queue);
    await settle();
    expect(deliveries).toHaveLength(1);

    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await queue.enqueue([b1]);
    await settle();
    expect(stopped).toBe(false);
    deliveries[0]!.done.resolve();
    await stopping;
    expect(deliveries).toHaveLength(1);
    expect(queue.stats()).toEqual({ waiting: 1, inFlight: 0, deadLetters: 0, running: 0 });
    expect(scheduler.pending).toBe(0);
    expect(() => queue.start(async () => undefined)).not.toThrow();
    expect(() => queue.start(async () => undefined)).toThrow(/already started/);
  });

  it('runs on the simulator VirtualClock', async () => {
    const clock = new VirtualClock(T0);
    const queue = new InProcessActionQueue({ scheduler: schedulerFromSim(clock), latencyMs: 50, visibilityTimeoutMs: 1_000 });
    const seen: Array<[string, number, number]> = [];
    let fail = true;
    queue.start(async (a, info) => {
      seen.push([a.key, info.receiveCount, clock.now() - T0]);
      if (fail) {
        fail = false;
        throw new Error('once');
      }
    });
    const a1 = action('A');
    await queue.enqueue([a1]);
    await queue.idle();
    expect(seen).toEqual([]);

    clock.advance(50);
    await queue.idle();
    expect(seen).toEqual([[a1.key, 1, 50]]);

    clock.advance(1_000);
    await queue.idle();
    expect(seen).toEqual([
      [a1.key, 1, 50],
      [a1.key, 2, 1_050],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('refuses nonsense options', () => {
    expect(() => new InProcessActionQueue({ visibilityTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new InProcessActionQueue({ maxReceiveCount: 0 })).toThrow(RangeError);
    expect(() => new InProcessActionQueue({ latencyMs: -1 })).toThrow(RangeError);
    expect(() => new InProcessActionQueue({ batchSize: 11 })).toThrow(RangeError);
    expect(() => new InProcessActionQueue({ batchSize: 1.5 })).toThrow(RangeError);
  });
});

describe('InProcessFifoQueue: batches (Lambda event source on a FIFO queue)', () => {
  interface Request {
    environment: string;
    n: number;
  }
  const message = (environment: string, n: number, deduplicationId = `${environment}-${n}`) => ({ body: { environment, n }, group: environment, deduplicationId });

  /** A batch consumer whose every delivery waits until the test settles it with the failed ids. */
  function batchConsumer(queue: InProcessFifoQueue<Request>) {
    const deliveries: Array<{ batch: Array<ReceivedMessage<Request>>; done: (result?: BatchResult) => void; fail: (error: unknown) => void }> = [];
    queue.startBatches(
      (batch) =>
        new Promise<BatchResult | void>((resolve, reject) => {
          deliveries.push({ batch, done: resolve, fail: reject });
        }),
    );
    return deliveries;
  }
  const ns = (batch: Array<ReceivedMessage<Request>>) => batch.map((m) => m.body.n);

  it('delivers up to batchSize messages of one group at once, in order; one batch per group in flight; groups in parallel', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessFifoQueue<Request>({ scheduler, batchSize: 3 });
    const deliveries = batchConsumer(queue);
    await queue.send([1, 2, 3, 4].map((n) => message('A', n)));
    await queue.send([message('B', 1)]);
    await settle();

    expect(deliveries.map((d) => [d.batch[0]!.group, ns(d.batch)])).toEqual([
      ['A', [1, 2, 3]],
      ['B', [1]],
    ]);
    await queue.send([message('A', 5)]);
    await settle();
    expect(deliveries).toHaveLength(2); // A's batch is in flight: nothing more of A

    deliveries[0]!.done();
    await settle();
    expect(deliveries.map((d) => ns(d.batch))).toEqual([[1, 2, 3], [1], [4, 5]]);
    deliveries[1]!.done();
    deliveries[2]!.done();
    await queue.idle();
    expect(queue.stats()).toEqual({ waiting: 0, inFlight: 0, deadLetters: 0, running: 0 });
  });

  it('deletes what succeeded; the failed messages block their group until visible again, then come first', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessFifoQueue<Request>({ scheduler, batchSize: 10, visibilityTimeoutMs: 30_000 });
    const deliveries = batchConsumer(queue);
    await queue.send([1, 2, 3].map((n) => message('A', n)));
    await settle();
    const [first] = deliveries;
    first!.done({ failed: [first!.batch[1]!.messageId, first!.batch[2]!.messageId] });
    await queue.send([message('A', 4)]);
    await settle();
    expect(deliveries).toHaveLength(1);
    expect(queue.stats()).toMatchObject({ inFlight: 2, waiting: 1 });

    await scheduler.advance(30_000);
    expect(deliveries.map((d) => ns(d.batch))).toEqual([
      [1, 2, 3],
      [2, 3, 4],
    ]);
    expect(deliveries[1]!.batch.map((m) => m.receiveCount)).toEqual([2, 2, 1]);
  });

  it('a batch handler that throws fails the whole batch (each message told to onError)', async () => {
    const scheduler = new FakeScheduler();
    const errors: Array<[unknown, number]> = [];
    const queue = new InProcessFifoQueue<Request>({ scheduler, batchSize: 10, visibilityTimeoutMs: 1_000, onError: (error, body) => errors.push([error, body.n]) });
    const deliveries = batchConsumer(queue);
    await queue.send([1, 2].map((n) => message('A', n)));
    await settle();
    deliveries[0]!.fail(new Error('crashed'));
    await settle();
    expect(errors).toEqual([
      [new Error('crashed'), 1],
      [new Error('crashed'), 2],
    ]);
    await scheduler.advance(1_000);
    expect(deliveries.map((d) => ns(d.batch))).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('ChangeMessageVisibility: a failed message comes back after the back-off the consumer set, not the timeout', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessFifoQueue<Request>({ scheduler, batchSize: 10, visibilityTimeoutMs: 360_000 });
    const deliveries = batchConsumer(queue);
    await queue.send([message('A', 1)]);
    await settle();
    const received = deliveries[0]!.batch[0]!;
    queue.changeVisibility(received.receiptHandle, 2_000);
    deliveries[0]!.done({ failed: [received.messageId] });
    await scheduler.advance(1_999);
    expect(deliveries).toHaveLength(1);
    await scheduler.advance(1);
    expect(deliveries).toHaveLength(2);
    // A stale handle (the first receive's) changes nothing.
    queue.changeVisibility(received.receiptHandle, 0);
    deliveries[1]!.done();
    await queue.idle();
    expect(queue.stats()).toEqual({ waiting: 0, inFlight: 0, deadLetters: 0, running: 0 });
  });

  it('dead-letters a message at the head of a batch received maxReceiveCount times; the rest of the group moves on', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessFifoQueue<Request>({ scheduler, batchSize: 10, visibilityTimeoutMs: 1_000, maxReceiveCount: 2 });
    const seen: number[][] = [];
    queue.startBatches(async (batch) => {
      seen.push(ns(batch));
      return { failed: batch.filter((m) => m.body.n === 1).map((m) => m.messageId) };
    });
    await queue.send([1, 2].map((n) => message('A', n)));
    await settle();
    await scheduler.advance(1_000);
    await scheduler.advance(1_000);
    expect(seen).toEqual([[1, 2], [1]]);
    expect(queue.deadLetters.map((d) => [d.body.n, d.receiveCount])).toEqual([[1, 2]]);
  });

  it('deduplicates by deduplication id, whatever the body', async () => {
    const scheduler = new FakeScheduler();
    const queue = new InProcessFifoQueue<Request>({ scheduler, batchSize: 10 });
    const seen: number[][] = [];
    queue.startBatches(async (batch) => void seen.push(ns(batch)));
    await queue.send([message('A', 1, 'event-1'), message('A', 2, 'event-1'), message('A', 3, 'event-2')]);
    await queue.idle();
    expect(seen).toEqual([[1, 3]]);
    expect(queue.sent).toEqual({ accepted: 2, deduplicated: 1 });
  });
});
