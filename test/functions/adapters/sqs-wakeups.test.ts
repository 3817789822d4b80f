/**
 * The wake-up queue against a mocked SQS client: the body, and DelaySeconds = the seconds until
 * the wake-up time, rounded up, clamped to SQS's 0..900, from the injected clock.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { delaySeconds, MAX_DELAY_SECONDS, parseWakeup, SqsWakeups } from '../../../functions/adapters/sqs-wakeups';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-wakeups';
const NOW = Date.parse('2024-01-01T00:00:00.000Z');
const sqs = mockClient(SQSClient);
let wakeups: SqsWakeups;

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  wakeups = new SqsWakeups(client, QUEUE_URL, { now: () => new Date(NOW) });
});
afterEach(() => sqs.reset());

const sent = (n = 0) => sqs.commandCalls(SendMessageCommand)[n]!.args[0].input;

describe('SqsWakeups', () => {
  it('sends {"environment": …} to the queue, delayed until the wake-up time', async () => {
    await wakeups.schedule('SomeEnvironment/Prod', NOW + 5_000);
    expect(sent()).toEqual({ QueueUrl: QUEUE_URL, MessageBody: '{"environment":"SomeEnvironment/Prod"}', DelaySeconds: 5 });
    expect(parseWakeup(sent().MessageBody!)).toEqual({ environment: 'SomeEnvironment/Prod' });
  });

  it('rounds up to whole seconds (never wakes early)', async () => {
    await wakeups.schedule('e', NOW + 1);
    await wakeups.schedule('e', NOW + 4_001);
    expect([sent(0).DelaySeconds, sent(1).DelaySeconds]).toEqual([1, 5]);
  });

  it('sends a time already passed at once, and a time beyond 15 minutes after 900 s', async () => {
    await wakeups.schedule('e', NOW);
    await wakeups.schedule('e', NOW - 60_000);
    await wakeups.schedule('e', NOW + 3_600_000);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.DelaySeconds)).toEqual([0, 0, MAX_DELAY_SECONDS]);
  });

  it('refuses a time that is not a number', async () => {
    await expect(wakeups.schedule('e', Number.NaN)).rejects.toThrow(RangeError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('passes SQS errors through', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('AWS.SimpleQueueService.NonExistentQueue'));
    await expect(wakeups.schedule('e', NOW)).rejects.toThrow(/NonExistentQueue/);
  });
});

describe('delaySeconds', () => {
  it('clamps to 0..900', () => {
    expect(delaySeconds(NOW + 900_000, NOW)).toBe(900);
    expect(delaySeconds(NOW + 900_001, NOW)).toBe(900);
    expect(delaySeconds(NOW + 899_001, NOW)).toBe(900);
    expect(delaySeconds(NOW + 899_000, NOW)).toBe(899);
    expect(delaySeconds(NOW - 1, NOW)).toBe(0);
  });
});

describe('parseWakeup', () => {
  it('refuses what is not a wake-up', () => {
    expect(() => parseWakeup('not json')).toThrow(/not JSON/);
    expect(() => parseWakeup('{}')).toThrow(/environment/);
    expect(() => parseWakeup('{"environment": ""}')).toThrow(/environment/);
    expect(() => parseWakeup('[]')).toThrow(/wake-up body/);
  });
});
