/**
 * The engine wired as in AWS, in process — one wiring for the deterministic harness (virtual clock,
 * `local/harness.ts`) and the local stack (real time, `local/engine.ts`). It runs the Lambda
 * handlers' own code (router, reconciler, executor: `functions/engine/*-handler.ts`) on the
 * in-process SQS FIFO queues (`local/queue.ts`), and plays the parts of EventBridge, Lambda and SQS
 * around them:
 *
 *   simulated ECS event ──(EventBridge + Lambda)──► router ──► reconcile queue (FIFO, group = environment)
 *   tick every `tickMs` ──(Lambda)───────────────► router        │ (SQS; one batch of ≤ 10 per group in flight)
 *   wake-up (engine, delayed) ──(SQS + Lambda)───► router        ▼
 *   wake(env) (the API after deploy/rollback/thaw) ──────────► reconciler ──► action queue (FIFO) ──► executor ──► ECS
 *
 * Lambda's concurrency as in AWS: every router invocation runs on its own (concurrently with the
 * others); the event source of each FIFO queue invokes its function with one batch per message group,
 * the batches of different groups concurrently; `latency` applies per hop (EventBridge delivery, SQS
 * send → receive, the Lambda invocation of every batch).
 *
 * `planner: 'direct'` is the engine before the reconcile queue: the router's requests are reconciled
 * at once inside the router invocation (each event reconciles what it concerns, concurrently with
 * every other event's reconciles) — for measuring what the queue buys.
 *
 * Faults (the harness): `duplicateAndReorder` — EventBridge delivers every ECS event twice (the
 * router's deduplication ids make the second request a duplicate SQS FIFO drops) and every action is
 * received a second time, out of band, as a redelivery (ApproximateReceiveCount 2, a delete that got
 * lost), at random extra delays; `Invocations.die()` — the current executor invocation dies (nothing
 * of its batch is deleted; SQS redelivers it after the visibility timeout).
 *
 * Two simplifications, both harmless by construction: a delayed wake-up is dropped when one for the
 * same environment is already due no later (the earlier reconcile plans the later wake-up again if it
 * is still needed), and the reconcile queue has no out-of-band redeliveries (a reconcile is level-
 * triggered; a duplicate only costs a reconcile).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { PlannerAction } from '../domain/rollout';
import type { EngineMetrics } from '../functions/adapters/powertools-metrics';
import type { ReconcileRequest } from '../functions/adapters/sqs-reconcile-queue';
import { reconcileDeduplicationId } from '../functions/adapters/sqs-reconcile-queue';
import type { EngineFunctionDeps } from '../functions/engine/deps';
import { createExecutorHandler } from '../functions/engine/executor-handler';
import { createReconcilerHandler } from '../functions/engine/reconciler-handler';
import { createRouterHandler } from '../functions/engine/router-handler';
import type { Alarms, Cluster, EventLog, Hooks, ListenerRules, Notifier, ObservationStore, Services, TargetHealth, TaskDefinitions, WeightedRecords } from '../functions/ports';
import type { ReceivedMessage } from './queue';
import { InProcessActionQueue, InProcessFifoQueue, schedulerFromSim } from './queue';
import type { SimScheduler, SimulatedCluster } from './sim';

export interface LatencyModel {
  /** ECS event → EventBridge rule target. */
  eventBridgeMs: number;
  /** Lambda invocation overhead (warm), per invocation. */
  lambdaMs: number;
  /** SQS send → receive. */
  sqsMs: number;
}

export const AWS_LATENCY: LatencyModel = { eventBridgeMs: 250, lambdaMs: 30, sqsMs: 20 };
export const NO_LATENCY: LatencyModel = { eventBridgeMs: 0, lambdaMs: 0, sqsMs: 0 };

export type PlannerMode = 'fifo' | 'direct';

export interface QueueSettings {
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
}

/** Marks the executor invocation the caller runs in as dead (its batch is left to SQS). */
export class Invocations {
  private readonly storage = new AsyncLocalStorage<{ died: boolean }>();

  async run<T>(fn: () => Promise<T>): Promise<{ result: T; died: boolean }> {
    const state = { died: false };
    const result = await this.storage.run(state, fn);
    return { result, died: state.died };
  }

  /** Called from inside an invocation (a wrapped cluster, say): it dies once it returns. */
  die(): void {
    const state = this.storage.getStore();
    if (state) state.died = true;
  }
}

export interface EngineWiringOptions {
  scheduler: SimScheduler;
  /** Whose ECS events feed the router. */
  world: Pick<SimulatedCluster, 'onEvent'>;
  eventLog: EventLog;
  /** Where the reconciler keeps its picture of the cluster (default: none — every reconcile looks in full). */
  observations?: ObservationStore;
  /** Pictures last looked at in full before this instant are looked at again first (see EngineDeps). */
  pictureTrustedSince?: number;
  /** The cluster the reconciler observes. */
  cluster: Cluster;
  /** The cluster the executor calls (default: `cluster`). */
  executorCluster?: Cluster;
  taskDefinitions: TaskDefinitions;
  /** ECS services and task sets (Service environments). */
  services?: Services;
  /** ELBv2 target health (Service environments behind a target group). */
  targetHealth?: TargetHealth;
  /** ELBv2 listener rules' forward weights (Canary / BlueGreen with TrafficRouting.Alb). */
  listenerRules?: ListenerRules;
  /** Route 53 weighted records (a Canary with TrafficRouting.Route53; the simulated Route 53). */
  weightedRecords?: WeightedRecords;
  /** Lambda lifecycle hooks (the simulated Lambda): the executor's, as in AWS (it carries out InvokeHook actions). */
  hooks?: Hooks;
  notifier: Notifier;
  /** The watched alarms' states (DescribeAlarms on the simulated CloudWatch); none: alarm events only. */
  alarms?: Alarms;
  logger: Logger;
  log?: EngineFunctionDeps['log'];
  metrics?: EngineMetrics;
  planner?: PlannerMode;
  latency?: Partial<LatencyModel>;
  /** The scheduled tick (EventBridge `rate(…)`). */
  tickMs: number;
  /** Messages per batch, both queues (Lambda's `batchSize`; serverless.yml: 10). */
  batchSize?: number;
  reconcileQueue: QueueSettings;
  actionQueue: QueueSettings;
  duplicateAndReorder?: boolean;
  /** ECS events EventBridge never delivers (a target that kept failing past its retries): those this picks. */
  dropEvent?: (event: { 'detail-type': string; detail: Record<string, unknown> }) => boolean;
  /** Random numbers for the faults' extra delays (default Math.random). */
  random?: () => number;
  /** Executor invocations that may die (`Invocations.die()`); none by default. */
  invocations?: Invocations;
  /** Told about every batch a handler threw for (a dead invocation is not one). */
  onInvocationError?: (error: unknown, functionName: string) => void;
}

export interface FaultCounts {
  /** ECS events EventBridge delivered a second time. */
  duplicatedEvents: number;
  /** ECS events EventBridge never delivered (`dropEvent`). */
  droppedEvents: number;
  /** Actions received a second time out of band (a lost delete). */
  duplicatedActions: number;
  /** Executor invocations that died (`Invocations.die()`). */
  deadInvocations: number;
  /** Invocations killed at their function's timeout (on the scheduler's clock). */
  timedOutInvocations: number;
}

/** What the reconciler did: how many reconciler invocations, and the most that ever ran at once for one environment. */
export interface ReconcilerStats {
  invocations: number;
  /** The most reconciler invocations in flight at once for one environment (1 in AWS, by the FIFO queue). */
  maxConcurrentPerEnvironment: number;
}

export interface EngineWiring {
  /** The reconciler's ports. */
  deps: EngineFunctionDeps;
  /**
   * The executor's: the reconciler's, with its cluster (`executorCluster`), the hooks, and — as in AWS
   * (functions/engine/executor-deps.ts) — no wake-ups: the planner looks for a hook's answer itself.
   */
  executorDeps: EngineFunctionDeps;
  reconciler: ReconcilerStats;
  actions: InProcessActionQueue;
  reconciles: InProcessFifoQueue<ReconcileRequest>;
  faults: FaultCounts;
  /** Reconcile `environment` now (api-write after deploy, rollback, thaw), or at `atMs` (a delayed wake-up). */
  wake(environment: string, atMs?: number): void;
  /** Router invocations running now (and those due to start). */
  routing(): number;
  stop(): Promise<void>;
}

/**
 * A Lambda context whose invocation has `remainingMs()` left when asked: in the wiring, what is left
 * of the function's timeout on the scheduler's clock (virtual time in the harness).
 */
export function localContext(functionName: string, remainingMs: () => number, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Invokes a handler as Lambda does: with a context counting down the function's timeout on the
 * scheduler's clock, and killed at the timeout — it fails with a TimeoutError (its batch's messages
 * come back after their visibility timeout), whatever it was doing. The handlers' own wall-clock
 * timer is off in the wiring (`wallClockTimeout: false`): in virtual time it would fire at the
 * harness's pace, not Lambda's.
 *
 * A handler that waits 40 s of virtual time under a 30 s timeout fails at 30 s; one that takes a
 * long wall-clock time but no virtual time answers.
 */
export function invokeAsLambda<T>(
  scheduler: Pick<SimScheduler, 'now' | 'schedule'>,
  options: { functionName: string; timeoutMs: number; requestId: string; timers?: Set<{ cancel(): void }>; stopped?: () => boolean; onTimeout?: () => void },
  handler: (context: Context) => Promise<T>,
): Promise<T> {
  const deadline = scheduler.now() + options.timeoutMs;
  const context = localContext(options.functionName, () => Math.max(0, deadline - scheduler.now()), options.requestId);
  return new Promise<T>((resolve, reject) => {
    const timer = scheduler.schedule(deadline, () => {
      options.timers?.delete(timer);
      if (options.stopped?.()) return;
      options.onTimeout?.();
      const error = new Error(`${options.functionName} invocation timed out after ${options.timeoutMs / 1000} s`);
      error.name = 'TimeoutError';
      reject(error);
    });
    options.timers?.add(timer);
    const settle = () => {
      timer.cancel();
      options.timers?.delete(timer);
    };
    handler(context).then(
      (value) => (settle(), resolve(value)),
      (error: unknown) => (settle(), reject(error)),
    );
  });
}

/** The function timeouts of serverless.yml (what a context says is left). */
const TIMEOUT_MS = { router: 30_000, reconciler: 60_000, executor: 30_000 };

function sqsRecord(message: ReceivedMessage<unknown>, queue: string, receiveCount = message.receiveCount): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: JSON.stringify(message.body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
      MessageGroupId: message.group,
      MessageDeduplicationId: message.deduplicationId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queue}`,
    awsRegion: 'local',
  };
}

export function wireEngine(options: EngineWiringOptions): EngineWiring {
  const { scheduler, logger } = options;
  const latency: LatencyModel = { ...NO_LATENCY, ...options.latency };
  const mode = options.planner ?? 'fifo';
  const dup = options.duplicateAndReorder ?? false;
  const random = options.random ?? Math.random;
  const batchSize = options.batchSize ?? 10;
  const faults: FaultCounts = { duplicatedEvents: 0, droppedEvents: 0, duplicatedActions: 0, deadInvocations: 0, timedOutInvocations: 0 };
  const timers = new Set<{ cancel(): void }>();
  let stopped = false;
  let requestIds = 0;
  let routing = 0;

  /** Runs `fn` at `atMs` on the scheduler (not after `stop`). */
  const at = (atMs: number, fn: () => void): void => {
    if (stopped) return;
    const timer = scheduler.schedule(atMs, () => {
      timers.delete(timer);
      if (!stopped) fn();
    });
    timers.add(timer);
  };
  /** Waits `ms` on the scheduler; on `stop`, at once (so no handler waits forever for a cancelled timer). */
  const waiting = new Set<() => void>();
  const after = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || stopped) return resolve();
      const done = () => {
        waiting.delete(done);
        resolve();
      };
      waiting.add(done);
      at(scheduler.now() + ms, done);
    });
  const invoke = <T>(name: keyof typeof TIMEOUT_MS, handler: (context: Context) => Promise<T>): Promise<T> =>
    invokeAsLambda(scheduler, { functionName: name, timeoutMs: TIMEOUT_MS[name], requestId: `${name}-${++requestIds}`, timers, stopped: () => stopped, onTimeout: () => faults.timedOutInvocations++ }, handler);
  const jitter = (maxMs: number) => (dup ? Math.floor(random() * maxMs) : 0);

  const reconciles = new InProcessFifoQueue<ReconcileRequest>({
    scheduler: schedulerFromSim(scheduler),
    latencyMs: () => latency.sqsMs + jitter(200),
    batchSize,
    ...options.reconcileQueue,
    onError: (error) => options.onInvocationError?.(error, 'reconciler'),
  });
  const actions = new InProcessActionQueue({
    scheduler: schedulerFromSim(scheduler),
    latencyMs: () => latency.sqsMs + jitter(200),
    batchSize,
    ...options.actionQueue,
    onError: (error) => options.onInvocationError?.(error, 'executor'),
  });

  // ── Delayed wake-ups: the standard queue with DelaySeconds, consumed by the router ─────────────
  const pendingWakeups = new Map<string, number>();
  let wakeupIds = 0;
  const scheduleWakeup = (environment: string, atMs: number): void => {
    const due = Math.max(atMs, scheduler.now()) + latency.sqsMs;
    const already = pendingWakeups.get(environment);
    if (already !== undefined && already <= due) return;
    pendingWakeups.set(environment, due);
    at(due, () => {
      if (pendingWakeups.get(environment) === due) pendingWakeups.delete(environment);
      const record: SQSRecord = {
        messageId: `wakeup-${++wakeupIds}`,
        receiptHandle: `wakeup-${wakeupIds}`,
        body: JSON.stringify({ environment }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(due), SenderId: 'local', ApproximateFirstReceiveTimestamp: String(due) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:wakeups',
        awsRegion: 'local',
      };
      invokeRouter({ Records: [record] }, latency.lambdaMs);
    });
  };

  const deps: EngineFunctionDeps = {
    eventLog: options.eventLog,
    ...(options.observations ? { observations: options.observations } : {}),
    ...(options.pictureTrustedSince !== undefined ? { pictureTrustedSince: options.pictureTrustedSince } : {}),
    cluster: options.cluster,
    taskDefinitions: options.taskDefinitions,
    ...(options.services ? { services: options.services } : {}),
    ...(options.targetHealth ? { targetHealth: options.targetHealth } : {}),
    ...(options.listenerRules ? { listenerRules: options.listenerRules } : {}),
    ...(options.weightedRecords ? { weightedRecords: options.weightedRecords } : {}),
    queue: actions,
    notifier: options.notifier,
    ...(options.alarms ? { alarms: options.alarms } : {}),
    clock: { now: () => new Date(scheduler.now()) },
    wakeups: { schedule: async (environment, atMs) => scheduleWakeup(environment, atMs) },
    logger,
    ...(options.log ? { log: options.log } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    redelivery: {
      later: async (messages) => {
        for (const m of messages) reconciles.changeVisibility(m.receiptHandle, m.delaySeconds * 1000);
      },
    },
  };
  const { wakeups: _wakeups, ...executorBase } = deps;
  const executorDeps: EngineFunctionDeps = {
    ...executorBase,
    ...(options.executorCluster ? { cluster: options.executorCluster } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  };

  const reconciler = createReconcilerHandler(deps, { wallClockTimeout: false });
  const executor = createExecutorHandler(executorDeps, { wallClockTimeout: false });

  const reconcilerStats: ReconcilerStats = { invocations: 0, maxConcurrentPerEnvironment: 0 };
  const reconciling = new Map<string, number>();

  /** The reconciler invoked with a batch (Lambda's SQS event source). */
  const runReconciler = async (records: SQSRecord[]): Promise<SQSBatchResponse> => {
    const environments = [...new Set(records.map((r) => r.attributes.MessageGroupId ?? ''))];
    reconcilerStats.invocations++;
    for (const e of environments) {
      const n = (reconciling.get(e) ?? 0) + 1;
      reconciling.set(e, n);
      reconcilerStats.maxConcurrentPerEnvironment = Math.max(reconcilerStats.maxConcurrentPerEnvironment, n);
    }
    try {
      return await invoke('reconciler', (context) => reconciler({ Records: records }, context));
    } catch (error) {
      options.onInvocationError?.(error, 'reconciler');
      throw error;
    } finally {
      for (const e of environments) reconciling.set(e, reconciling.get(e)! - 1);
    }
  };

  // ── The router, and where its requests go ──────────────────────────────────────────────────────
  let directIds = 0;
  const router = createRouterHandler({
    wallClockTimeout: false,
    eventLog: options.eventLog,
    logger,
    reconciles: {
      request: async (requests) => {
        if (mode === 'fifo') {
          await reconciles.send(requests.map((r) => ({ body: r, group: r.environment, deduplicationId: reconcileDeduplicationId(r) })));
          return;
        }
        // 'direct': reconcile each at once, inside this router invocation.
        for (const request of requests) {
          const id = `direct-${++directIds}`;
          const received: ReceivedMessage<ReconcileRequest> = {
            messageId: id,
            receiptHandle: id,
            group: request.environment,
            deduplicationId: reconcileDeduplicationId(request),
            receiveCount: 1,
            sentAt: scheduler.now(),
            body: request,
          };
          await runReconciler([sqsRecord(received, 'reconcile.fifo')]).catch(() => undefined);
        }
      },
    },
  });

  function invokeRouter(event: SQSEvent | Record<string, unknown>, delayMs: number): void {
    routing++;
    at(scheduler.now() + delayMs, () => {
      void invoke('router', (context) => router(event, context))
        .catch((error: unknown) => options.onInvocationError?.(error, 'router'))
        .finally(() => routing--);
    });
  }

  // ── Consumers ──────────────────────────────────────────────────────────────────────────────────
  if (mode === 'fifo') {
    reconciles.startBatches(async (batch) => {
      await after(latency.lambdaMs);
      const response = await runReconciler(batch.map((m) => sqsRecord(m, 'reconcile.fifo')));
      return { failed: response.batchItemFailures.map((f) => f.itemIdentifier) };
    });
  }

  const runExecutor = async (records: SQSRecord[]): Promise<{ response?: SQSBatchResponse; died: boolean }> => {
    const run = () => invoke('executor', (context) => executor({ Records: records }, context));
    if (!options.invocations) return { response: await run(), died: false };
    const { result, died } = await options.invocations.run(run);
    if (died) faults.deadInvocations++;
    return died ? { died } : { response: result, died };
  };

  actions.startBatches(async (batch) => {
    await after(latency.lambdaMs);
    try {
      const { response, died } = await runExecutor(batch.map((m) => sqsRecord(m, 'actions.fifo')));
      // A dead invocation answers nothing: every message of its batch stays until its visibility timeout.
      if (died) return { failed: batch.map((m) => m.messageId) };
      return { failed: response!.batchItemFailures.map((f) => f.itemIdentifier) };
    } finally {
      // At-least-once delivery: a message comes again (its delete got lost), after the first delivery
      // and out of order with the messages sent since — a redelivery, as SQS counts it.
      if (dup) for (const message of batch) if (message.receiveCount === 1) redeliverAction(message);
    }
  });

  function redeliverAction(message: ReceivedMessage<PlannerAction>): void {
    faults.duplicatedActions++;
    at(scheduler.now() + latency.sqsMs + latency.lambdaMs + Math.floor(random() * 1000), () => {
      void runExecutor([sqsRecord(message, 'actions.fifo', 2)]).catch((error: unknown) => options.onInvocationError?.(error, 'executor'));
    });
  }

  // ── Inbound: ECS events, the tick ──────────────────────────────────────────────────────────────
  const unsubscribe = options.world.onEvent((event) => {
    if (options.dropEvent?.(event as unknown as { 'detail-type': string; detail: Record<string, unknown> })) {
      faults.droppedEvents++;
      return;
    }
    const delay = latency.eventBridgeMs + latency.lambdaMs;
    invokeRouter(event as unknown as Record<string, unknown>, delay + jitter(300));
    if (dup) {
      faults.duplicatedEvents++;
      invokeRouter(event as unknown as Record<string, unknown>, delay + Math.floor(random() * 1000));
    }
  });

  let ticks = 0;
  const tick = () => {
    const time = new Date(scheduler.now()).toISOString();
    invokeRouter(
      {
        version: '0',
        id: `tick-${++ticks}`,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '000000000000',
        time: time.replace(/\.\d{3}Z$/, 'Z'),
        region: 'local',
        resources: ['arn:aws:events:local:000000000000:rule/blox-tick'],
        detail: {},
      },
      latency.lambdaMs,
    );
    at(scheduler.now() + options.tickMs, tick);
  };
  at(scheduler.now() + options.tickMs, tick);

  let apiIds = 0;
  return {
    deps,
    executorDeps,
    reconciler: reconcilerStats,
    actions,
    reconciles,
    faults,
    wake: (environment, atMs) => {
      if (atMs !== undefined && atMs > scheduler.now()) {
        scheduleWakeup(environment, atMs);
        return;
      }
      // api-write's wake-up: a request on the reconcile queue (adapters/sqs-reconcile-queue.ts, `reconcileNow`).
      const request: ReconcileRequest = { environment, trigger: 'api', eventId: `api:${++apiIds}` };
      if (mode === 'fifo') {
        void reconciles.send([{ body: request, group: environment, deduplicationId: reconcileDeduplicationId(request) }]);
      } else {
        // The planner function invoked by the API, as before the reconcile queue.
        at(scheduler.now() + latency.lambdaMs, () => {
          const id = `direct-${++directIds}`;
          void runReconciler([
            sqsRecord({ messageId: id, receiptHandle: id, group: environment, deduplicationId: id, receiveCount: 1, sentAt: scheduler.now(), body: request }, 'reconcile.fifo'),
          ]).catch(() => undefined);
        });
      }
    },
    routing: () => routing,
    stop: async () => {
      stopped = true;
      unsubscribe();
      for (const timer of timers) timer.cancel();
      timers.clear();
      for (const resolve of [...waiting]) resolve();
      await Promise.all([reconciles.stop(), actions.stop()]);
    },
  };
}
