/**
 * The executor function: consumes the SQS FIFO action queue (one message group per environment),
 * one record at a time, in order. Each body is a `PlannerAction` (action-schema.ts) handed to
 * `execute` (engine.ts), which drops stale actions and carries out the others idempotently.
 *
 * Partial batch responses (`ReportBatchItemFailures`), FIFO style: once a record fails, it and
 * every record after it in the batch are reported failed without being tried, so no action
 * overtakes an earlier one of its group; SQS redelivers them in order after the visibility timeout
 * (and dead-letters a record after `maxReceiveCount` failed receives). A body that is not an
 * action fails the same way (logged as refused): it ends in the dead-letter queue, whose alarm
 * tells someone. When the invocation is about to run out of time, the records not yet started are
 * reported failed too rather than cut off mid-action.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { PlannerAction } from '../../domain/planner';
import { parseAction } from './action-schema';
import type { EngineFunctionDeps } from './deps';
import { execute } from './engine';

export interface ExecutorOptions {
  /** Records are not started with less time than this left (default 5 s). */
  minRemainingMs?: number;
}

export const DEFAULT_MIN_REMAINING_MS = 5_000;

export function createExecutorHandler(deps: EngineFunctionDeps, options: ExecutorOptions = {}) {
  const { logger } = deps;
  const minRemainingMs = options.minRemainingMs ?? DEFAULT_MIN_REMAINING_MS;

  const describe = (record: SQSRecord) => ({
    messageId: record.messageId,
    group: record.attributes?.MessageGroupId,
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0) || undefined,
  });

  const dispatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const records = event.Records ?? [];
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      const remaining = context?.getRemainingTimeInMillis?.();
      if (remaining !== undefined && remaining < minRemainingMs) {
        logger.warn('out of time: the rest of the batch is left for redelivery', { remainingMs: remaining, left: records.length - index });
        return failedFrom(records, index);
      }
      let action: PlannerAction;
      try {
        action = parseAction(record.body);
      } catch (error) {
        logger.error('action refused: malformed message body', { ...describe(record), reason: (error as Error).message });
        return failedFrom(records, index, logger);
      }
      try {
        const outcome = await execute(deps, action);
        logger.info('action executed', { ...describe(record), key: action.key, type: action.type, environment: action.environment, outcome });
      } catch (error) {
        logger.error('action failed', { ...describe(record), key: action.key, type: action.type, environment: action.environment, error: error as Error });
        return failedFrom(records, index, logger);
      }
    }
    return { batchItemFailures: [] };
  };

  return middy(dispatch).use(injectLambdaContext(logger, { resetKeys: true }));
}

/** Records `index` and after, reported failed (FIFO: nothing may overtake a failed record). */
function failedFrom(records: SQSRecord[], index: number, logger?: EngineFunctionDeps['logger']): SQSBatchResponse {
  const failed = records.slice(index);
  if (logger && failed.length > 1) logger.warn('later records of the batch reported failed to keep FIFO order', { count: failed.length - 1 });
  return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
}
