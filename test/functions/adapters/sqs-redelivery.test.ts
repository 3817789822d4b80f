/**
 * The consumer's back-off against a mocked SQS client: ChangeMessageVisibilityBatch in chunks of
 * 10 with whole seconds within SQS's range, an error naming the entries SQS refused; the back-off
 * schedule.
 */
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { backoffSeconds, MAX_BACKOFF_SECONDS, RedeliveryError, SqsRedelivery } from '../../../functions/adapters/sqs-redelivery';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-reconcile.fifo';
const sqs = mockClient(SQSClient);
let redelivery: SqsRedelivery;

beforeEach(() => {
  sqs.reset();
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] }));
  redelivery = new SqsRedelivery(new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), QUEUE_URL);
});

const inputOf = (call: number) => sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[call]!.args[0].input;

describe('backoffSeconds', () => {
  it('doubles from 1 s per receive, up to 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map(backoffSeconds)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(backoffSeconds(0)).toBe(1);
    expect(MAX_BACKOFF_SECONDS).toBe(60);
  });
});

describe('SqsRedelivery', () => {
  it('sends ChangeMessageVisibilityBatch with each receipt handle and its delay in whole seconds', async () => {
    await redelivery.later([
      { receiptHandle: 'rh-1', delaySeconds: 1 },
      { receiptHandle: 'rh-2', delaySeconds: 2.5 },
      { receiptHandle: 'rh-3', delaySeconds: 100_000 },
    ]);
    expect(inputOf(0)).toEqual({
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: 'v0', ReceiptHandle: 'rh-1', VisibilityTimeout: 1 },
        { Id: 'v1', ReceiptHandle: 'rh-2', VisibilityTimeout: 3 },
        { Id: 'v2', ReceiptHandle: 'rh-3', VisibilityTimeout: 43_200 },
      ],
    });
  });

  it('sends in chunks of 10', async () => {
    await redelivery.later(Array.from({ length: 12 }, (_, i) => ({ receiptHandle: `rh-${i}`, delaySeconds: 4 })));
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 2]);
  });

  it('names the entries SQS refused', async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [{ Id: 'v0' }], Failed: [{ Id: 'v1', Code: 'ReceiptHandleIsInvalid', Message: 'expired', SenderFault: true }] });
    const error = await redelivery.later([
      { receiptHandle: 'rh-1', delaySeconds: 1 },
      { receiptHandle: 'rh-2', delaySeconds: 1 },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedeliveryError);
    expect((error as RedeliveryError).failed).toEqual([{ receiptHandle: 'rh-2', code: 'ReceiptHandleIsInvalid', message: 'expired' }]);
  });
});
