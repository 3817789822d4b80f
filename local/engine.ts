/**
 * The engine in the local stack, in real time: the simulated cluster's ECS events and a tick
 * (every second) feed the planner; the executor consumes the in-process FIFO-per-environment queue
 * (visibility timeout and redelivery like SQS); planner wake-ups are timers. Same `reconcile` and
 * `execute` as the Lambda functions; only the adapters differ.
 *
 * Reconciles of one environment never overlap: a trigger that comes while one runs marks it dirty
 * and it runs once more right after (coalescing a burst of ECS events into one plan).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EngineDeps } from '../functions/engine/engine';
import { reconcile } from '../functions/engine/engine';
import type { EngineFunctionDeps } from '../functions/engine/deps';
import { createExecutorHandler } from '../functions/engine/executor-handler';
import { triggerOf } from '../functions/engine/router-handler';
import type { EngineTrigger } from '../functions/engine/route';
import { environmentsFor } from '../functions/engine/route';
import { parseInboundEvent } from '../events/aws';
import { lambdaContext } from './http-server';
import type { EventLog } from '../functions/ports';
import { InProcessActionQueue, schedulerFromSim } from './queue';
import type { SimScheduler, SimulatedCluster } from './sim';

export interface LocalEngineOptions {
  eventLog: EventLog;
  world: SimulatedCluster;
  clock: SimScheduler;
  logger: Logger;
  tickMs?: number;
  /** Called with each ECS call the executor makes, for the reaction-latency measurement. */
  onEcsCall?: (name: string, at: number) => void;
}

export interface LocalEngine {
  deps: EngineDeps;
  queue: InProcessActionQueue;
  /** Reconcile now (after a deploy, rollback or thaw), or at `atMs`. */
  wake(environment: string, atMs?: number): void;
  stop(): Promise<void>;
}

export function startLocalEngine(options: LocalEngineOptions): LocalEngine {
  const { eventLog, world, clock, logger } = options;
  const queue = new InProcessActionQueue({
    scheduler: schedulerFromSim(clock),
    visibilityTimeoutMs: 10_000,
    maxReceiveCount: 10,
    onError: (error) => logger.warn('action failed; it will be redelivered', { error: error as Error }),
  });
  const running = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  const timers = new Map<string, { at: number; cancel(): void }>();
  let stopped = false;

  const cluster = options.onEcsCall
    ? {
        listContainerInstances: world.listContainerInstances.bind(world),
        listTasks: world.listTasks.bind(world),
        startTask: (input: Parameters<SimulatedCluster['startTask']>[0]) => (options.onEcsCall!('StartTask', Date.now()), world.startTask(input)),
        stopTask: (c: string, t: string, r: string) => (options.onEcsCall!('StopTask', Date.now()), world.stopTask(c, t, r)),
      }
    : world;

  const deps: EngineDeps = {
    eventLog,
    cluster,
    taskDefinitions: { hasHealthCheck: async (td) => world.taskBehaviour(td).health !== 'none' },
    queue,
    notifier: {
      publish: async (entries) => {
        for (const e of entries) {
          const d = JSON.parse(e.Detail) as { environment: string; revision: number; status: string; previousStatus: string | null; reason: string; desired: number; current: number };
          logger.info(`${d.environment}:${d.revision} ${d.previousStatus ?? 'new'} → ${d.status}`, { reason: d.reason, desired: d.desired, current: d.current });
        }
      },
    },
    clock: { now: () => new Date(clock.now()) },
    wakeups: { schedule: async (environment, atMs) => wake(environment, atMs) },
    log: (message, fields) => logger.info(message, fields ?? {}),
  };

  const run = (environment: string): void => {
    if (stopped) return;
    if (running.has(environment)) {
      dirty.add(environment);
      return;
    }
    const job = reconcile(deps, environment)
      .then(() => undefined)
      .catch((error: unknown) => logger.warn('reconcile failed; the next event or tick retries', { environment, error: error as Error }))
      .finally(() => {
        running.delete(environment);
        if (dirty.delete(environment)) run(environment);
      });
    running.set(environment, job);
  };

  const trigger = (t: EngineTrigger): void => {
    environmentsFor(eventLog, t)
      .then((names) => names.forEach(run))
      .catch((error: unknown) => logger.warn('could not list environments', { error: error as Error }));
  };

  function wake(environment: string, atMs = clock.now()): void {
    const existing = timers.get(environment);
    if (existing && existing.at <= atMs) return;
    existing?.cancel();
    const timer = clock.schedule(atMs, () => {
      timers.delete(environment);
      run(environment);
    });
    timers.set(environment, { at: atMs, cancel: () => timer.cancel() });
  }

  // The simulated cluster's events are in EventBridge's shape: parsed and routed by the planner
  // function's own code (parseInboundEvent, triggerOf), as in AWS.
  const unsubscribe = world.onEvent((event) => {
    try {
      const t = triggerOf(parseInboundEvent(event));
      if (t) trigger(t);
    } catch (error) {
      logger.warn('event dropped', { reason: (error as Error).message });
    }
  });

  const tickMs = options.tickMs ?? 1000;
  let tickTimer: { cancel(): void } | undefined;
  const tick = () => {
    trigger({ kind: 'tick' });
    tickTimer = clock.schedule(clock.now() + tickMs, tick);
  };
  tickTimer = clock.schedule(clock.now() + tickMs, tick);

  // The executor is the Lambda function's handler, fed SQS-shaped records one at a time.
  const executor = createExecutorHandler({ ...deps, logger } satisfies EngineFunctionDeps);
  queue.start(async (action, info) => {
    const result = await executor(
      {
        Records: [
          {
            messageId: info.messageId,
            receiptHandle: info.messageId,
            body: JSON.stringify(action),
            attributes: {
              ApproximateReceiveCount: String(info.receiveCount),
              SentTimestamp: String(info.sentAt),
              SenderId: 'local',
              ApproximateFirstReceiveTimestamp: String(clock.now()),
              MessageGroupId: info.group,
              MessageDeduplicationId: action.key,
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:local:000000000000:actions.fifo',
            awsRegion: 'local',
          },
        ],
      },
      lambdaContext('executor'),
    );
    if (result.batchItemFailures.length > 0) throw new Error(`action ${action.key} failed; it will be redelivered`);
  });

  return {
    deps,
    queue,
    wake: (environment, atMs) => wake(environment, atMs),
    stop: async () => {
      stopped = true;
      unsubscribe();
      tickTimer?.cancel();
      for (const t of timers.values()) t.cancel();
      await queue.stop();
      await Promise.allSettled([...running.values()]);
    },
  };
}
