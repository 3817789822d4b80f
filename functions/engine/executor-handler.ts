/**
 * The executor function: consumes the SQS FIFO action queue (one message group per environment).
 * Each body is a `PlannerAction` (action-schema.ts) handed to `execute` (engine.ts) with the
 * record's receive count — a redelivery (count > 1) is the only case in which the executor asks ECS
 * what a previous try already started — which drops stale actions and carries out the others.
 *
 * Partial batch responses (`ReportBatchItemFailures`) through Powertools'
 * `SqsFifoPartialProcessorAsync` with `skipGroupOnError` (fifo-batch.ts): once a record fails, the
 * later records of its group are reported failed without being tried, so no action overtakes an
 * earlier one of its environment, while the other environments of the batch go on. SQS redelivers
 * the failed records in order after the visibility timeout (and dead-letters a record after
 * `maxReceiveCount` failed receives). A body that is not an action fails the same way (logged as
 * refused): it ends in the dead-letter queue, whose alarm tells someone. When the invocation is about
 * to run out of time, the records not yet started are reported failed too rather than cut off
 * mid-action.
 *
 * A message whose action key this container already carried out (within `rememberMs`) is handed to
 * `execute` as a redelivery, whatever its receive count: the planner sends a launch that is still
 * pending again under the same key, and a copy sent after SQS's 5-minute deduplication window is a
 * new message (receive count 1) for an action that may have been done meanwhile — ECS is asked
 * first. Best effort (another container may have done it); it catches the copies that share a batch.
 *
 * Metrics (EMF, per environment), besides the engine's own (`ActionsCarriedOut`, `ActionsDropped`, …):
 * `ActionsAlreadyDone` (a redelivery whose work was done), `ActionsFailed`, `EcsThrottles`,
 * `ActionDuration`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { lambdaOptions } from './lambda-options';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PlannerAction } from '../../domain/rollout';
import { isThrottle, metricsMiddleware } from '../adapters/powertools-metrics';
import { parseAction } from './action-schema';
import type { EngineFunctionDeps } from './deps';
import type { EngineDeps } from './engine';
import { execute } from './engine';
import { describeRecord, processFifoBatch, receiveCountOf } from './fifo-batch';

export { DEFAULT_MIN_REMAINING_MS } from './fifo-batch';

export interface ExecutorOptions {
  /** Records are not started with less time than this left (default 5 s). */
  minRemainingMs?: number;
  /** How long an executed action key is remembered (default 15 min). */
  rememberMs?: number;
  /** How many executed action keys are remembered (default 10,000; the oldest are forgotten first). */
  rememberKeys?: number;
  /** Middy's early timeout on a wall-clock timer, as in Lambda (default true; `lambdaOptions`). */
  wallClockTimeout?: boolean;
}

/** Action keys this handler carried out, and when (insertion order = age). */
class RecentKeys {
  private readonly keys = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  has(key: string, now: number): boolean {
    const at = this.keys.get(key);
    return at !== undefined && now - at < this.ttlMs;
  }

  add(key: string, now: number): void {
    this.keys.delete(key);
    this.keys.set(key, now);
    for (const [oldest, at] of this.keys) {
      if (this.keys.size <= this.max && now - at < this.ttlMs) break;
      this.keys.delete(oldest);
    }
  }
}

/** What an execution came to (`execute`'s outcome). */
type Outcome = Awaited<ReturnType<typeof execute>>;

/** `execute` with the delivery it came in (its third parameter; see engine.ts). */
const executeDelivered: (deps: EngineDeps, action: PlannerAction, delivery: { receiveCount: number }) => Promise<Outcome> = execute;

export function createExecutorHandler(deps: EngineFunctionDeps, options: ExecutorOptions = {}) {
  const { logger, metrics } = deps;
  const recent = new RecentKeys(options.rememberMs ?? 15 * 60_000, options.rememberKeys ?? 10_000);

  const dispatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processFifoBatch(
      event,
      context,
      async (record) => {
        let action: PlannerAction;
        try {
          action = parseAction(record.body);
        } catch (error) {
          logger.error('action refused: malformed message body', { ...describeRecord(record), reason: (error as Error).message });
          throw error;
        }
        const about = { ...describeRecord(record), key: action.key, type: action.type, environment: action.environment };
        const started = performance.now();
        const now = deps.clock.now().getTime();
        // A key done before by this container: a copy, whatever SQS counts (see the file comment).
        const receiveCount = recent.has(action.key, now) ? Math.max(2, receiveCountOf(record)) : receiveCountOf(record);
        recent.add(action.key, now);
        try {
          const outcome = await executeDelivered(deps, action, { receiveCount });
          logger.info('action executed', { ...about, outcome });
          if (outcome === 'already-done') metrics?.add('ActionsAlreadyDone', 'Count', 1, action.environment);
          metrics?.add('ActionDuration', 'Milliseconds', Math.round(performance.now() - started), action.environment);
          return outcome;
        } catch (error) {
          logger.error('action failed', { ...about, error: error as Error });
          metrics?.add('ActionsFailed', 'Count', 1, action.environment);
          if (isThrottle(error)) metrics?.add('EcsThrottles', 'Count', 1, action.environment);
          throw error;
        }
      },
      { logger, ...(options.minRemainingMs !== undefined ? { minRemainingMs: options.minRemainingMs } : {}) },
    );

  return middy(dispatch, lambdaOptions(options)).use(injectLambdaContext(logger, { resetKeys: true })).use(metricsMiddleware(metrics));
}
