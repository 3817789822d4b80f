/**
 * The `ActionQueue` port over an SQS FIFO queue (`@aws-sdk/client-sqs`). The local stack uses the
 * in-process stand-in (`local/queue.ts`) with the same semantics.
 *
 * - Two FIFO message groups per environment (`MessageGroupId` = `actionGroup`: the environment's
 *   name for its launches and Service updates, `<name>#stops` for its stops): each lane is delivered
 *   in order, one batch at a time; lanes and environments run in parallel.
 * - `MessageDeduplicationId` = the action's idempotency key: SQS drops a second message with the
 *   same key sent within 5 minutes.
 * - Both ids allow 1..128 characters, alphanumerics and punctuation (`!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`):
 *   a longer value (an environment name may have 255 characters) or one with other characters is
 *   replaced by a deterministic short form: a readable prefix, `#`, and the SHA-256 of the whole value.
 * - SendMessageBatch takes 10 entries; batches are sent one after the other so the group order holds.
 *   Entries reported in `Failed` are sent once more; entries that fail again raise
 *   `ActionQueueSendError`, which names them.
 */
import { createHash } from 'node:crypto';
import type { SendMessageBatchRequestEntry, SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import type { PlannerAction } from '../../domain/rollout';
import { actionGroup } from '../../domain/rollout';
import type { ActionQueue } from '../ports';

/** SendMessageBatch: at most 10 entries. */
export const SQS_BATCH_SIZE = 10;
/** MessageGroupId / MessageDeduplicationId: at most 128 characters. */
export const SQS_FIFO_ID_MAX = 128;

/** Alphanumerics and punctuation: the printable ASCII characters but the space. */
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;
const HASH_LENGTH = 64;

/**
 * A valid FIFO group or deduplication id for `value`: the value itself when it is one, otherwise
 * (too long, empty, or a character SQS refuses) `<prefix>#<sha256 hex>`, at most 128 characters. The
 * same value always gives the same id; different values give different ids (barring a SHA-256
 * collision).
 */
export function fifoId(value: string): string {
  if (FIFO_ID.test(value)) return value;
  const hash = createHash('sha256').update(value, 'utf8').digest('hex');
  const prefix = value.replace(/[^\x21-\x7e]/g, '_').slice(0, SQS_FIFO_ID_MAX - HASH_LENGTH - 1);
  return `${prefix}#${hash}`;
}

/**
 * The SQS SDK: the client and the commands the adapters send (`sdk/sqs.ts`), imported on first use —
 * a dynamic import, which esbuild puts in a chunk of its own, read on the first send rather than at
 * cold start (actions to queue, wake-ups, back-offs come with some invocations only).
 */
export const sqsSdk = () => import('./sdk/sqs');

/** What the SQS adapters need of a client: `send` (an `SQSClient`, or `createSqsClient()`). */
export type SqsClient = Pick<SQSClient, 'send'>;

/** The adapters' SQS client configuration: adaptive retries, 5 attempts. */
export function sqsClientConfig(config: SQSClientConfig = {}): SQSClientConfig {
  return { retryMode: 'adaptive', maxAttempts: 5, ...config };
}

/**
 * An SQS client for the adapters (`sqsClientConfig`), loaded (`sqsSdk()`) and built on its first
 * send, then kept for the life of the container like the client it stands for.
 */
export function createSqsClient(config: SQSClientConfig = {}): SqsClient {
  let client: Promise<SQSClient> | undefined;
  const load = (): Promise<SQSClient> =>
    (client ??= sqsSdk().then(
      (sdk) => new sdk.SQSClient(sqsClientConfig(config)),
      (error: unknown) => {
        client = undefined;
        throw error;
      },
    ));
  const send = async (...args: unknown[]): Promise<unknown> => {
    const real = await load();
    return (real.send as (...a: unknown[]) => Promise<unknown>).apply(real, args);
  };
  return { send: send as SQSClient['send'] };
}

export interface FailedAction {
  key: string;
  environment: string;
  code: string;
  message: string;
  senderFault: boolean;
}

/** Some actions could not be queued, even after one more attempt. */
export class ActionQueueSendError extends Error {
  constructor(readonly failed: FailedAction[]) {
    super(
      `could not queue ${failed.length} action(s): ${failed
        .map((f) => `${f.key} (${f.environment}): ${f.code}${f.message ? ` ${f.message}` : ''}`)
        .join('; ')}`,
    );
    this.name = 'ActionQueueSendError';
  }
}

export class SqsActionQueue implements ActionQueue {
  constructor(
    private readonly client: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(actions: PlannerAction[]): Promise<void> {
    for (let i = 0; i < actions.length; i += SQS_BATCH_SIZE) {
      const batch = actions.slice(i, i + SQS_BATCH_SIZE);
      const failedOnce = await this.sendBatch(batch);
      if (failedOnce.length === 0) continue;
      const failedTwice = await this.sendBatch(failedOnce.map((f) => f.action));
      if (failedTwice.length > 0) {
        throw new ActionQueueSendError(
          failedTwice.map(({ action, code, message, senderFault }) => ({ key: action.key, environment: action.environment, code, message, senderFault })),
        );
      }
    }
  }

  /** Sends up to 10 actions; returns those SQS reported in `Failed`. */
  private async sendBatch(actions: PlannerAction[]): Promise<Array<{ action: PlannerAction; code: string; message: string; senderFault: boolean }>> {
    const entries: SendMessageBatchRequestEntry[] = actions.map((action, index) => ({
      Id: `m${index}`,
      MessageBody: JSON.stringify(action),
      MessageGroupId: fifoId(actionGroup(action)),
      MessageDeduplicationId: fifoId(action.key),
    }));
    const { SendMessageBatchCommand } = await sqsSdk();
    const output = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
    const failed: Array<{ action: PlannerAction; code: string; message: string; senderFault: boolean }> = [];
    for (const failure of output.Failed ?? []) {
      const index = entries.findIndex((entry) => entry.Id === failure.Id);
      const action = actions[index];
      if (action === undefined) continue;
      failed.push({ action, code: failure.Code ?? 'Unknown', message: failure.Message ?? '', senderFault: failure.SenderFault ?? false });
    }
    // Keep the original order (SQS does not promise `Failed` is ordered).
    return failed.sort((a, b) => actions.indexOf(a.action) - actions.indexOf(b.action));
  }
}
