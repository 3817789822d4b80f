/**
 * The SQS FIFO action queue against a mocked SQS client: group and deduplication ids, batches of
 * 10 in order, one retry of the entries SQS reports failed, then an error naming them.
 */
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PlannerAction } from '../../../domain/rollout';
import { ActionQueueSendError, createSqsClient, fifoId, SqsActionQueue, sqsClientConfig } from '../../../functions/adapters/sqs-action-queue';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-actions.fifo';
const sqs = mockClient(SQSClient);
let queue: SqsActionQueue;

beforeEach(() => {
  sqs.reset();
  queue = new SqsActionQueue(new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), QUEUE_URL);
});

function stop(n: number, environment = 'SomeEnvironment/Prod'): PlannerAction {
  return {
    type: 'StopTasks',
    key: `stop:${environment}:1@2024010100000000:task-${n}`,
    environment,
    deploymentId: `${environment}:2@2024010100000000`,
    epoch: 1,
    revision: 1,
    cluster: 'default',
    taskArns: [`arn:aws:ecs:us-east-1:123456789012:task/default/${n}`],
    reason: 'replaced by revision 2',
  };
}

function start(n: number, environment = 'SomeEnvironment/Prod'): PlannerAction {
  return {
    type: 'StartTasks',
    key: `start-${n}`,
    environment,
    deploymentId: `${environment}:2@2024010100000000`,
    epoch: 1,
    revision: 2,
    cluster: 'default',
    taskDefinition: 'log-daemon:2',
    instanceArns: [`arn:aws:ecs:us-east-1:123456789012:container-instance/default/${n}`],
    reason: 'replace: the old task has stopped',
  };
}

const entriesOf = (call: number): SendMessageBatchRequestEntry[] => sqs.commandCalls(SendMessageBatchCommand)[call]!.args[0].input.Entries ?? [];
const ok = (input: { Entries?: SendMessageBatchRequestEntry[] }) => ({
  Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id!, MessageId: `id-${e.Id}`, MD5OfMessageBody: 'x', SequenceNumber: '1' })),
  Failed: [],
});

describe('fifoId', () => {
  it('keeps a valid id as it is', () => {
    expect(fifoId('SomeEnvironment/Prod')).toBe('SomeEnvironment/Prod');
    expect(fifoId('x'.repeat(128))).toBe('x'.repeat(128));
    expect(fifoId('a!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~z')).toBe('a!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~z');
  });

  it('shortens a long value deterministically, keeping ids distinct', () => {
    const long = `Team/${'a'.repeat(250)}`;
    const id = fifoId(long);
    expect(id).toHaveLength(128);
    expect(id).toMatch(/^[\x21-\x7e]{1,128}$/);
    expect(id.startsWith('Team/aaaa')).toBe(true);
    expect(fifoId(long)).toBe(id);
    expect(fifoId(`${long}b`)).not.toBe(id);
    expect(fifoId('x'.repeat(129))).not.toBe(fifoId('x'.repeat(130)));
  });

  it('replaces characters SQS refuses', () => {
    for (const value of ['', 'with space', 'café']) {
      const id = fifoId(value);
      expect(id).toMatch(/^[\x21-\x7e]{1,128}$/);
      expect(fifoId(value)).toBe(id);
    }
    expect(fifoId('with space')).not.toBe(fifoId('with_space'));
  });
});

describe('createSqsClient', () => {
  it('builds nothing until the first send, then one SQS client (adaptive retries, 5 attempts) for every send, through its mocks', async () => {
    expect(sqsClientConfig({ region: 'eu-west-1' })).toEqual({ retryMode: 'adaptive', maxAttempts: 5, region: 'eu-west-1' });
    const client = createSqsClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    expect(sqs.calls()).toHaveLength(0);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const send = () => client.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: '{}' }));
    expect(await send()).toMatchObject({ MessageId: 'm1' });
    expect(await send()).toMatchObject({ MessageId: 'm1' });
    const built = new Set(sqs.commandCalls(SendMessageCommand).map((c) => c.thisValue as SQSClient));
    expect(built.size).toBe(1);
    const [real] = [...built];
    expect(real).toBeInstanceOf(SQSClient);
    expect(real!.config.retryMode).toBe('adaptive');
    expect(await real!.config.maxAttempts()).toBe(5);
    expect(await real!.config.region()).toBe('eu-west-1');
  });
});

describe('SqsActionQueue', () => {
  it("sends each action to its environment's group (stops to the environment's stop lane), deduplicated by its key, with the action as body", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(ok);
    const actions = [stop(1), stop(2, 'Other/Env'), start(3)];
    await queue.enqueue(actions);

    const input = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input;
    expect(input).toEqual({
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: 'm0', MessageBody: JSON.stringify(actions[0]), MessageGroupId: 'SomeEnvironment/Prod#stops', MessageDeduplicationId: actions[0]!.key },
        { Id: 'm1', MessageBody: JSON.stringify(actions[1]), MessageGroupId: 'Other/Env#stops', MessageDeduplicationId: actions[1]!.key },
        { Id: 'm2', MessageBody: JSON.stringify(actions[2]), MessageGroupId: 'SomeEnvironment/Prod', MessageDeduplicationId: 'start-3' },
      ],
    });
    expect(JSON.parse(input.Entries![0]!.MessageBody!)).toEqual(actions[0]);
  });

  it('shortens long environment names and keys to valid FIFO ids', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(ok);
    const environment = `Team/${'e'.repeat(200)}`;
    const action = stop(1, environment);
    expect(action.key.length).toBeGreaterThan(128);
    await queue.enqueue([action]);
    const [entry] = entriesOf(0);
    expect(entry!.MessageGroupId).toBe(fifoId(`${environment}#stops`));
    expect(entry!.MessageDeduplicationId).toBe(fifoId(action.key));
    expect(entry!.MessageGroupId!.length).toBeLessThanOrEqual(128);
    expect(entry!.MessageDeduplicationId!.length).toBeLessThanOrEqual(128);
    expect(JSON.parse(entry!.MessageBody!)).toEqual(action);
  });

  it('sends batches of 10, one after the other, in order', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(ok);
    const actions = Array.from({ length: 23 }, (_, i) => stop(i));
    await queue.enqueue(actions);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls.flatMap((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!).key))).toEqual(actions.map((a) => a.key));
    expect(calls.every((c) => c.args[0].input.Entries!.every((e, i) => e.Id === `m${i}`))).toBe(true);
  });

  it('sends nothing for no actions', async () => {
    await queue.enqueue([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('sends the failed entries once more', async () => {
    const actions = [stop(1), stop(2), stop(3)];
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: 'm1', MessageId: 'a', MD5OfMessageBody: 'x' }],
        Failed: [
          { Id: 'm2', SenderFault: false, Code: 'InternalError' },
          { Id: 'm0', SenderFault: false, Code: 'ServiceUnavailable' },
        ],
      })
      .callsFake(ok);

    await queue.enqueue(actions);

    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    const retried = entriesOf(1);
    // Same group and deduplication ids (a duplicate of a message that did go through is dropped).
    expect(retried.map((e) => [e.Id, e.MessageDeduplicationId, e.MessageGroupId])).toEqual([
      ['m0', actions[0]!.key, 'SomeEnvironment/Prod#stops'],
      ['m1', actions[2]!.key, 'SomeEnvironment/Prod#stops'],
    ]);
  });

  it('throws an error naming the entries that failed twice (and sends no later batch)', async () => {
    const actions = Array.from({ length: 12 }, (_, i) => stop(i));
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: 'm3', SenderFault: false, Code: 'InternalError', Message: 'try again' }] })
      .resolvesOnce({ Successful: [], Failed: [{ Id: 'm0', SenderFault: false, Code: 'InternalError', Message: 'try again' }] })
      .callsFake(ok);

    const error = await queue.enqueue(actions).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ActionQueueSendError);
    const failed = (error as ActionQueueSendError).failed;
    expect(failed).toEqual([{ key: actions[3]!.key, environment: 'SomeEnvironment/Prod', code: 'InternalError', message: 'try again', senderFault: false }]);
    expect((error as Error).message).toContain(actions[3]!.key);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  it('lets a failed request through (the SDK has already retried)', async () => {
    sqs.on(SendMessageBatchCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled' }));
    await expect(queue.enqueue([stop(1)])).rejects.toThrow('Rate exceeded');
  });
});
