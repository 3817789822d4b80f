/**
 * The reconciler function: consumes the SQS FIFO reconcile queue (one message group per
 * environment; the router and api-write send to it, see adapters/sqs-reconcile-queue.ts) and calls
 * `reconcile` (engine.ts) for the environments of each batch.
 *
 * - At most one reconcile per environment is in flight: SQS FIFO hands a group to one batch at a
 *   time, and a batch's records are processed one after the other.
 * - Each environment of a batch is reconciled ONCE: its later records reuse the first one's
 *   reconcile, which folds the ECS changes of all of them, in the queue's order, into the engine's
 *   picture of the cluster (functions/engine/observe.ts) before it plans. The requests that arrive while it runs
 *   wait in the queue and are coalesced into the next batch of the group.
 * - Powertools `SqsFifoPartialProcessorAsync` with `skipGroupOnError` (fifo-batch.ts): a failed
 *   reconcile fails its group's records; the other environments of the batch go on. The failed
 *   records come back after a short back-off (ChangeMessageVisibility, adapters/sqs-redelivery.ts:
 *   1, 2, 4 … 60 s) rather than the queue's visibility timeout, and are dead-lettered after
 *   `maxReceiveCount` receives. A body that is not a request fails the same way, logged as refused.
 * - Metrics (EMF, per environment), besides the engine's own (`Reconciles`, `LostRaces`, …):
 *   `ReconcileDuration`, `ActionsPlanned`, `ReconcileRequestsCoalesced` (records that reused a
 *   reconcile), `ReconcilesFailed`, `EcsThrottles`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { lambdaOptions } from './lambda-options';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AlarmReading, ObservationChange } from '../../domain/rollout';
import { isThrottle, metricsMiddleware } from '../adapters/powertools-metrics';
import { backoffSeconds } from '../adapters/sqs-redelivery';
import { parseReconcileRequest } from '../adapters/sqs-reconcile-queue';
import type { EngineFunctionDeps } from './deps';
import { reconcile } from './engine';
import { describeRecord, processFifoBatch, receiveCountOf } from './fifo-batch';

export interface ReconcilerOptions {
  /** Records are not started with less time than this left (default 5 s). */
  minRemainingMs?: number;
  /** Middy's early timeout on a wall-clock timer, as in Lambda (default true; `lambdaOptions`). */
  wallClockTimeout?: boolean;
}

type ReconcileResult = Awaited<ReturnType<typeof reconcile>>;
type Signals = { alarms: AlarmReading[]; backstop: boolean };

export function createReconcilerHandler(deps: EngineFunctionDeps, options: ReconcilerOptions = {}) {
  const { logger, metrics } = deps;

  const reconcileOnce = async (environment: string, record: SQSRecord, changes: ObservationChange[], signals: Signals): Promise<ReconcileResult> => {
    const started = performance.now();
    try {
      const result = await reconcile(deps, environment, changes, signals);
      const ms = Math.round(performance.now() - started);
      logger.info('reconciled', {
        environment,
        ...describeRecord(record),
        events: result.events,
        changes: changes.length,
        ...(result.fullLook ? { fullLook: result.fullLook } : {}),
        actions: result.actions.length,
        actionKeys: result.actions.map((a) => a.key),
        ms,
      });
      metrics?.add('ReconcileDuration', 'Milliseconds', ms, environment);
      metrics?.add('ActionsPlanned', 'Count', result.actions.length, environment);
      return result;
    } catch (error) {
      logger.error('reconcile failed', { environment, ...describeRecord(record), error: error as Error });
      metrics?.add('ReconcilesFailed', 'Count', 1, environment);
      if (isThrottle(error)) metrics?.add('EcsThrottles', 'Count', 1, environment);
      throw error;
    }
  };

  const dispatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const records = event.Records ?? [];
    // This batch's reconciles, by environment: later records of an environment reuse the first.
    const reconciles = new Map<string, Promise<ReconcileResult>>();
    // Every change the batch carries, by environment, in the queue's order: the one reconcile of an
    // environment folds them all (a record that is not a request is refused below, on its turn).
    const changes = new Map<string, ObservationChange[]>();
    // …and the alarm readings and whether a tick asks for the alarms' backstop.
    const signals = new Map<string, Signals>();
    for (const record of records) {
      try {
        const request = parseReconcileRequest(record.body);
        const list = changes.get(request.environment) ?? [];
        if (request.change) list.push(request.change);
        changes.set(request.environment, list);
        const signal = signals.get(request.environment) ?? { alarms: [], backstop: false };
        if (request.alarm) signal.alarms.push(request.alarm);
        if (request.trigger === 'tick') signal.backstop = true;
        signals.set(request.environment, signal);
      } catch {
        // refused on its turn
      }
    }
    const response = await processFifoBatch(
      event,
      context,
      async (record) => {
        let environment: string;
        try {
          ({ environment } = parseReconcileRequest(record.body));
        } catch (error) {
          logger.error('reconcile request refused: malformed message body', { ...describeRecord(record), reason: (error as Error).message });
          throw error;
        }
        const running = reconciles.get(environment);
        if (running) {
          metrics?.add('ReconcileRequestsCoalesced', 'Count', 1, environment);
          return running;
        }
        const job = reconcileOnce(environment, record, changes.get(environment) ?? [], signals.get(environment) ?? { alarms: [], backstop: false });
        reconciles.set(environment, job);
        return job;
      },
      { logger, ...(options.minRemainingMs !== undefined ? { minRemainingMs: options.minRemainingMs } : {}) },
    );
    await backOff(deps, records, response);
    return response;
  };

  return middy(dispatch, lambdaOptions(options)).use(injectLambdaContext(logger, { resetKeys: true })).use(metricsMiddleware(metrics));
}

/**
 * The failed records come back after a back-off instead of the queue's visibility timeout: each
 * group's records after the back-off of its most-received failed record (they are delivered again
 * together, in order).
 */
async function backOff(deps: EngineFunctionDeps, records: SQSRecord[], response: SQSBatchResponse): Promise<void> {
  if (!deps.redelivery || response.batchItemFailures.length === 0) return;
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const byGroup = new Map<string, SQSRecord[]>();
  for (const record of records) {
    if (!failed.has(record.messageId)) continue;
    const group = record.attributes?.MessageGroupId ?? record.messageId;
    byGroup.set(group, [...(byGroup.get(group) ?? []), record]);
  }
  const messages = [...byGroup.values()].flatMap((group) => {
    const delaySeconds = backoffSeconds(Math.max(...group.map(receiveCountOf)));
    return group.map((record) => ({ receiptHandle: record.receiptHandle, delaySeconds }));
  });
  try {
    await deps.redelivery.later(messages);
  } catch (error) {
    deps.logger.warn('back-off not set: the failed requests come back after the visibility timeout', { error: error as Error });
  }
}
