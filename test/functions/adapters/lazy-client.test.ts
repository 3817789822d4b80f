/** lazyClient: an SDK client built on its first use, once, behind a stand-in that forwards to it. */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { lazyClient } from '../../../functions/adapters/lazy-client';
import { createSqsClient } from '../../../functions/adapters/sqs-action-queue';

class Counter {
  static built = 0;
  count = 0;
  constructor() {
    Counter.built++;
  }
  add(n: number): number {
    this.count += n;
    return this.count;
  }
}

describe('lazyClient', () => {
  it('builds nothing until a property is used, then one client for every use', () => {
    Counter.built = 0;
    const client = lazyClient(() => new Counter());
    expect(Counter.built).toBe(0);
    expect(client.add(2)).toBe(2);
    const { add } = client; // methods are bound to the client
    expect(add(3)).toBe(5);
    expect(client.count).toBe(5);
    client.count = 10;
    expect(client.add(1)).toBe(11);
    expect('add' in client).toBe(true);
    expect(client).toBeInstanceOf(Counter);
    expect(Counter.built).toBe(1);
  });

  it("stands for the adapters' SQS client: configured as before, sends through the client (and its mocks)", async () => {
    const sqs = createSqsClient({ region: 'eu-west-1' });
    expect(sqs).toBeInstanceOf(SQSClient);
    expect(await sqs.config.region()).toBe('eu-west-1');
    expect(await sqs.config.maxAttempts()).toBe(5);
    expect(sqs.config.retryMode).toBe('adaptive');
    const mock = mockClient(SQSClient);
    mock.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    try {
      expect(await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', MessageBody: '{}' }))).toMatchObject({ MessageId: 'm1' });
    } finally {
      mock.restore();
    }
  });
});
