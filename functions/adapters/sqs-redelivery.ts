/**
 * A consumer's back-off on an SQS queue: ChangeMessageVisibility(Batch) on the messages a handler
 * reports failed, so they come back after a few seconds instead of the queue's visibility timeout.
 *
 * Why: the reconcile queue's visibility timeout is 6 × the reconciler's timeout (AWS's advice for an
 * SQS event source), and a FIFO group with a message in flight delivers nothing else — so without a
 * back-off one failed reconcile (a throttled ECS call, say) would hold every later request of its
 * environment for six minutes. With it: 1 s after the first failed receive, then 2, 4, 8, … capped
 * at 60 s (`backoffSeconds`); the queue's `maxReceiveCount` still dead-letters a request that never
 * succeeds.
 *
 * A visibility change that fails is not retried: the message then comes back after the queue's
 * visibility timeout, which is only later, never sooner or twice.
 */
import { SQS_BATCH_SIZE, sqsSdk } from './sqs-action-queue';
import type { SqsClient } from './sqs-action-queue';

/** SQS's ceiling on a visibility timeout (12 hours). */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** The back-off's ceiling. */
export const MAX_BACKOFF_SECONDS = 60;

/** What a handler needs to back off: make received messages visible again after a delay. */
export interface Redelivery {
  /** Throws `RedeliveryError` naming the messages whose visibility could not be changed. */
  later(messages: Array<{ receiptHandle: string; delaySeconds: number }>): Promise<void>;
}

/** The delay before the next receive, after `receiveCount` receives: 1, 2, 4, … 60 s. */
export function backoffSeconds(receiveCount: number): number {
  const n = Math.max(1, Math.floor(receiveCount));
  return Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.min(n - 1, 16));
}

export class RedeliveryError extends Error {
  constructor(readonly failed: Array<{ receiptHandle: string; code: string; message: string }>) {
    super(`could not change the visibility of ${failed.length} message(s): ${failed.map((f) => `${f.code}${f.message ? ` ${f.message}` : ''}`).join('; ')}`);
    this.name = 'RedeliveryError';
  }
}

export class SqsRedelivery implements Redelivery {
  constructor(
    private readonly client: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async later(messages: Array<{ receiptHandle: string; delaySeconds: number }>): Promise<void> {
    const failed: RedeliveryError['failed'] = [];
    const { ChangeMessageVisibilityBatchCommand } = await sqsSdk();
    for (let i = 0; i < messages.length; i += SQS_BATCH_SIZE) {
      const batch = messages.slice(i, i + SQS_BATCH_SIZE);
      const output = await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((m, index) => ({
            Id: `v${index}`,
            ReceiptHandle: m.receiptHandle,
            VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(m.delaySeconds))),
          })),
        }),
      );
      for (const failure of output.Failed ?? []) {
        const message = batch[Number(failure.Id?.slice(1))];
        if (message) failed.push({ receiptHandle: message.receiptHandle, code: failure.Code ?? 'Unknown', message: failure.Message ?? '' });
      }
    }
    if (failed.length > 0) throw new RedeliveryError(failed);
  }
}
