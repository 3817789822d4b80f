/**
 * The SQS FIFO reconcile queue against a mocked SQS client: the request shape (group = environment,
 * deduplication id = hash of the event id and the environment, the request as body), batches of
 * 10, one retry of the entries SQS reports failed, then an error naming them; api-write's
 * "reconcile now".
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { fifoId } from '../../../functions/adapters/sqs-action-queue';
import type { ReconcileRequest } from '../../../functions/adapters/sqs-reconcile-queue';
import {
  parseReconcileRequest,
  reconcileDeduplicationId,
  reconcileNow,
  ReconcileQueueSendError,
  SqsReconcileQueue,
} from '../../../functions/adapters/sqs-reconcile-queue';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/blox-dev-reconcile.fifo';
const sqs = mockClient(SQSClient);
let queue: SqsReconcileQueue;

beforeEach(() => {
  sqs.reset();
  queue = new SqsReconcileQueue(new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), QUEUE_URL);
});

const request = (environment: string, eventId = 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c', trigger: ReconcileRequest['trigger'] = 'task'): ReconcileRequest => ({
  environment,
  trigger,
  eventId,
});
const inputOf = (call: number) => sqs.commandCalls(SendMessageBatchCommand)[call]!.args[0].input;
const ok = (input: { Entries?: SendMessageBatchRequestEntry[] }) => ({
  Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id!, MessageId: `id-${e.Id}`, MD5OfMessageBody: 'x', SequenceNumber: '1' })),
  Failed: [],
});

describe('reconcileDeduplicationId', () => {
  it('is 64 hex characters, the same for the same event and environment, different otherwise', () => {
    const id = reconcileDeduplicationId(request('A'));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(reconcileDeduplicationId(request('A'))).toBe(id);
    expect(reconcileDeduplicationId(request('B'))).not.toBe(id);
    expect(reconcileDeduplicationId(request('A', 'another-event'))).not.toBe(id);
    // No ambiguity between where the event id ends and the environment begins.
    expect(reconcileDeduplicationId({ eventId: 'ab', environment: 'c' })).not.toBe(reconcileDeduplicationId({ eventId: 'a', environment: 'bc' }));
    // A 255-character environment still gives a valid id.
    expect(reconcileDeduplicationId(request('x'.repeat(255)))).toHaveLength(64);
  });
});

describe('parseReconcileRequest', () => {
  const task = {
    kind: 'task',
    arn: 'arn:task/t1',
    instanceArn: '',
    group: 'blox:2:start-k1',
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    health: 'UNKNOWN',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'exit 1',
    stoppedAt: 1_700_000_000_000,
    version: 4,
  } as const;
  const instance = {
    kind: 'instance',
    arn: 'arn:ci/i1',
    status: 'DRAINING',
    facts: { attributes: { stack: 'prod', 'ecs.os-type': 'linux' }, agentConnected: true, agentVersion: '1.80.0', ec2InstanceId: 'i-0abc', registeredAt: '2026-11-30T00:00:00Z', runningTasksCount: 3 },
    version: 7,
  } as const;
  const alarm = { name: 'web-5xx', value: 'ALARM', at: 1_700_000_000_000, reason: 'Threshold Crossed' } as const;

  it.each([
    ['a task change', { ...request('A'), change: task }],
    ['an instance change', { ...request('A', 'e2', 'containerInstance'), change: instance }],
    ['an instance change with no optional facts', { ...request('A'), change: { ...instance, facts: { attributes: {} } } }],
    ['an alarm reading', { ...request('A', 'e3', 'alarm'), alarm }],
  ])('given %s, reads back what the router sent', (_what, sent) => {
    expect(parseReconcileRequest(JSON.stringify(sent))).toEqual(sent);
  });

  it('drops unknown keys, in the change too', () => {
    const ahead = { ...request('A'), extra: 1, change: { ...instance, extra: 2, facts: { ...instance.facts, extra: 3 } } };
    expect(parseReconcileRequest(JSON.stringify(ahead))).toEqual({ ...request('A'), change: instance });
  });

  it.each([
    ['a change of an unknown kind', { change: { ...task, kind: 'service' } }, 'reconcile request body: change.kind: expected one of "task", "instance"'],
    ['a task change without its ARN', { change: { ...task, arn: '' } }, 'reconcile request body: change.arn: expected a non-empty string'],
    ['an unknown task status', { change: { ...task, lastStatus: 'GONE' } }, 'reconcile request body: change.lastStatus: expected one of "PROVISIONING"'],
    ['a fractional version', { change: { ...task, version: 1.5 } }, 'reconcile request body: change.version: expected an integer'],
    ['an attribute that is not a string', { change: { ...instance, facts: { attributes: { stack: 1 } } } }, 'reconcile request body: change.facts.attributes.stack: expected a string'],
    ['instance facts that are not an object', { change: { ...instance, facts: 'x' } }, 'reconcile request body: change.facts: expected an object'],
    ['agentConnected as text', { change: { ...instance, facts: { attributes: {}, agentConnected: 'yes' } } }, 'reconcile request body: change.facts.agentConnected: expected true or false'],
    ['an alarm in an unknown state', { alarm: { ...alarm, value: 'RED' } }, 'reconcile request body: alarm.value: expected one of "OK", "ALARM", "INSUFFICIENT_DATA"'],
    ['an alarm without its time', { alarm: { ...alarm, at: undefined } }, 'reconcile request body: alarm.at: expected a number'],
    ['a body that is not an object', null, 'reconcile request body: (body): expected an object'],
  ])('refuses %s, naming the field', (_what, extra, message) => {
    expect(() => parseReconcileRequest(JSON.stringify(extra === null ? null : { ...request('A'), ...extra }))).toThrow(message);
  });

  it('reads what the queue sends and names what is wrong', () => {
    expect(parseReconcileRequest(JSON.stringify(request('A')))).toEqual(request('A'));
    expect(() => parseReconcileRequest('nope')).toThrow(/not JSON/);
    expect(() => parseReconcileRequest(JSON.stringify({ ...request('A'), environment: '' }))).toThrow(/environment/);
    expect(() => parseReconcileRequest(JSON.stringify({ ...request('A'), trigger: 'reboot' }))).toThrow(/trigger/);
  });
});

describe('SqsReconcileQueue', () => {
  it('sends SendMessageBatch: the environment as group, the hashed (event, environment) as deduplication id, the request as body', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(ok);
    const long = `Team/${'a'.repeat(250)}`;
    await queue.request([request('SomeEnvironment/Prod'), request(long, 'e-2', 'tick')]);
    expect(inputOf(0)).toEqual({
      QueueUrl: QUEUE_URL,
      Entries: [
        {
          Id: 'r0',
          MessageBody: JSON.stringify(request('SomeEnvironment/Prod')),
          MessageGroupId: 'SomeEnvironment/Prod',
          MessageDeduplicationId: reconcileDeduplicationId(request('SomeEnvironment/Prod')),
        },
        { Id: 'r1', MessageBody: JSON.stringify(request(long, 'e-2', 'tick')), MessageGroupId: fifoId(long), MessageDeduplicationId: reconcileDeduplicationId(request(long, 'e-2')) },
      ],
    });
    for (const entry of inputOf(0).Entries!) {
      expect(entry.MessageGroupId!.length).toBeLessThanOrEqual(128);
      expect(entry.MessageDeduplicationId!.length).toBeLessThanOrEqual(128);
    }
  });

  it('sends in chunks of 10', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(ok);
    await queue.request(Array.from({ length: 23 }, (_, i) => request(`Env/${i}`)));
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
    expect(inputOf(2).Entries!.map((e) => e.MessageGroupId)).toEqual(['Env/20', 'Env/21', 'Env/22']);
  });

  it('sends the entries SQS reported failed once more', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [{ Id: 'r0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [{ Id: 'r1', Code: 'InternalError', SenderFault: false }] })
      .callsFake(ok);
    await queue.request([request('A'), request('B')]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    expect(inputOf(1).Entries!.map((e) => e.MessageGroupId)).toEqual(['B']);
  });

  it('names the requests that failed twice (and still sends the later chunks)', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: input.Entries.filter((e) => e.MessageGroupId !== 'Env/3').map((e) => ({ Id: e.Id!, MessageId: 'm', MD5OfMessageBody: 'x' })),
      Failed: input.Entries.filter((e) => e.MessageGroupId === 'Env/3').map((e) => ({ Id: e.Id!, Code: 'KmsThrottled', Message: 'slow down', SenderFault: false })),
    }));
    const error = await queue.request(Array.from({ length: 12 }, (_, i) => request(`Env/${i}`))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReconcileQueueSendError);
    expect((error as ReconcileQueueSendError).failed).toEqual([{ request: request('Env/3'), code: 'KmsThrottled', message: 'slow down', senderFault: false }]);
    expect((error as Error).message).toContain('Env/3 (task cdc73f9d-aea9-11e3-9d5a-835b769c0d9c): KmsThrottled slow down');
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 1, 2]);
  });

  it('sends nothing for no request', async () => {
    await queue.request([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });
});

describe('reconcileNow (api-write)', () => {
  it('asks for a reconcile at once, with a fresh event id per call', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(ok);
    let n = 0;
    const wakeups = reconcileNow(queue, () => `id-${++n}`);
    await wakeups.schedule('SomeEnvironment/Prod', Date.now());
    await wakeups.schedule('SomeEnvironment/Prod', Date.now());
    const bodies = [0, 1].map((i) => parseReconcileRequest(inputOf(i).Entries![0]!.MessageBody!));
    expect(bodies).toEqual([
      { environment: 'SomeEnvironment/Prod', trigger: 'api', eventId: 'api:id-1' },
      { environment: 'SomeEnvironment/Prod', trigger: 'api', eventId: 'api:id-2' },
    ]);
    expect(inputOf(0).Entries![0]!.MessageDeduplicationId).not.toBe(inputOf(1).Entries![0]!.MessageDeduplicationId);
  });
});
