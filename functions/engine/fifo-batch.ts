/**
 * One SQS FIFO batch through Powertools' `SqsFifoPartialProcessorAsync` (the asynchronous flavour
 * of `SqsFifoPartialProcessor`: the record handlers here await I/O, which the synchronous processor
 * cannot) with `skipGroupOnError: true`: once a record fails, the later records of *its* message
 * group are reported failed without being tried — nothing overtakes an earlier message of its group —
 * while the other groups of the batch go on. Used by the reconciler and the executor.
 *
 * - A new processor per invocation: a processor holds its batch's state, and the local stack and the
 *   harness run several invocations of one handler at once.
 * - `throwOnFullBatchFailure: false`: a batch whose every record failed is answered like any other,
 *   with each record in `batchItemFailures` (SQS treats both the same; the failures are logged and
 *   counted by the handlers).
 * - Out of time: a record is not started with less than `minRemainingMs` of the invocation left; it
 *   fails without being tried (`OutOfTimeError`), so does every record after it (each finds even less
 *   time), and SQS redelivers them rather than the invocation being cut off mid-record.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export const DEFAULT_MIN_REMAINING_MS = 5_000;

export class OutOfTimeError extends Error {
  constructor(readonly remainingMs: number) {
    super(`${remainingMs} ms left in the invocation: the record is left for redelivery`);
    this.name = 'OutOfTimeError';
  }
}

/** SQS's ApproximateReceiveCount: 1 on the first delivery (1 when absent). */
export function receiveCountOf(record: SQSRecord): number {
  const n = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(n) && n >= 1 ? n : 1;
}

/** What logs say about a record. */
export function describeRecord(record: SQSRecord): Record<string, unknown> {
  return { messageId: record.messageId, group: record.attributes?.MessageGroupId, receiveCount: receiveCountOf(record) };
}

export interface FifoBatchOptions {
  logger: Logger;
  minRemainingMs?: number;
}

/** Runs `handle` on each record (in order, group by group as above); returns the partial batch response. */
export async function processFifoBatch(
  event: SQSEvent,
  context: Context | undefined,
  handle: (record: SQSRecord) => Promise<unknown>,
  options: FifoBatchOptions,
): Promise<SQSBatchResponse> {
  const minRemainingMs = options.minRemainingMs ?? DEFAULT_MIN_REMAINING_MS;
  let outOfTime = 0;
  const guarded = async (record: SQSRecord): Promise<unknown> => {
    const remaining = context?.getRemainingTimeInMillis?.();
    if (remaining !== undefined && remaining < minRemainingMs) {
      if (outOfTime++ === 0) options.logger.warn('out of time: the rest of the batch is left for redelivery', { remainingMs: remaining });
      throw new OutOfTimeError(remaining);
    }
    return handle(record);
  };
  const processor = new SqsFifoPartialProcessorAsync();
  const response = await processPartialResponse(event, guarded, processor, {
    ...(context ? { context } : {}),
    skipGroupOnError: true,
    throwOnFullBatchFailure: false,
  });
  const skipped = response.batchItemFailures.length - processor.errors.filter((e) => !isShortCircuit(e)).length;
  if (skipped > 0) options.logger.warn('later records of a failed group reported failed to keep FIFO order', { count: skipped });
  return response;
}

function isShortCircuit(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'SqsFifoMessageGroupShortCircuitError' || name === 'SqsFifoShortCircuitError';
}
