/**
 * The EventBridge notifier against a mocked client: PutEvents in batches of 10 on the configured
 * bus, one retry of the entries EventBridge refused, then an error naming them.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deploymentStateChange } from '../../../events/notifications';
import type { PutEventsEntry } from '../../../events/notifications';
import { EventBridgeNotifier, NotificationPublishError, putEventsThroughSdk } from '../../../functions/adapters/eventbridge-notifier';
import { createEventBridgeClient, putEventsClient } from '../../../functions/adapters/sdk/eventbridge';

const eventBridge = mockClient(EventBridgeClient);
const client = () => putEventsClient(new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));

beforeEach(() => eventBridge.reset());

function entry(revision: number, extra: { eventBusName?: string } = {}): PutEventsEntry {
  return deploymentStateChange({
    environment: 'SomeEnvironment/Prod',
    revision,
    deploymentId: `SomeEnvironment/Prod:${revision}@2024010100000000`,
    status: 'Failing',
    previousStatus: 'Stuck',
    reason: 'no progress for 900 s',
    desired: 4,
    current: 2,
    at: '2024-01-01T00:15:00.000Z',
    resources: ['arn:aws:ecs:us-east-1:123456789012:cluster/default'],
    ...extra,
  });
}

const sent = (call: number): PutEventsRequestEntry[] => eventBridge.commandCalls(PutEventsCommand)[call]!.args[0].input.Entries ?? [];
const allOk = (input: { Entries?: PutEventsRequestEntry[] }) => ({ FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `e${i}` })) });

describe('createEventBridgeClient', () => {
  it('uses the adaptive retry mode', () => {
    expect(createEventBridgeClient({ region: 'us-east-1' }).config.retryMode).toBe('adaptive');
  });
});

describe('putEventsThroughSdk', () => {
  it("sends through the SDK's client, loaded and built on the first call and kept", async () => {
    eventBridge.on(PutEventsCommand).callsFake(allOk);
    const notifier = new EventBridgeNotifier(putEventsThroughSdk({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), 'blox-bus');
    await notifier.publish([entry(1)]);
    await notifier.publish([entry(2)]);
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.map((e) => e.EventBusName))).toEqual([['blox-bus'], ['blox-bus']]);
    expect(new Set(eventBridge.commandCalls(PutEventsCommand).map((c) => c.thisValue)).size).toBe(1);
  });
});

describe('EventBridgeNotifier', () => {
  it('puts the entries on the configured bus', async () => {
    eventBridge.on(PutEventsCommand).callsFake(allOk);
    const e = entry(1);
    await new EventBridgeNotifier(client(), 'blox-bus').publish([e]);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ Source: 'blox.deployments', DetailType: 'Deployment State Change', Detail: e.Detail, Resources: e.Resources, Time: e.Time, EventBusName: 'blox-bus' }],
    });
  });

  it("keeps an entry's own bus, and sends no bus name when there is none (the default bus)", async () => {
    eventBridge.on(PutEventsCommand).callsFake(allOk);
    await new EventBridgeNotifier(client(), 'blox-bus').publish([entry(1, { eventBusName: 'other-bus' })]);
    await new EventBridgeNotifier(client()).publish([entry(1)]);
    expect(sent(0)[0]!.EventBusName).toBe('other-bus');
    expect(sent(1)[0]).not.toHaveProperty('EventBusName');
  });

  it('puts in batches of 10, in order', async () => {
    eventBridge.on(PutEventsCommand).callsFake(allOk);
    const entries = Array.from({ length: 25 }, (_, i) => entry(i + 1));
    await new EventBridgeNotifier(client(), 'blox-bus').publish(entries);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 5]);
    expect(calls.flatMap((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.Detail!).revision))).toEqual(entries.map((_, i) => i + 1));
  });

  it('sends nothing for no entries', async () => {
    await new EventBridgeNotifier(client(), 'blox-bus').publish([]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('puts the failed entries once more (results are positional)', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }, { EventId: 'e1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .callsFake(allOk);
    await new EventBridgeNotifier(client(), 'blox-bus').publish([entry(1), entry(2), entry(3)]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(sent(1).map((e) => JSON.parse(e.Detail!).revision)).toEqual([1, 3]);
    expect(sent(1).every((e) => e.EventBusName === 'blox-bus')).toBe(true);
  });

  it('throws an error naming the entries that failed twice', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'e0' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'still oops' }] });
    const error = await new EventBridgeNotifier(client(), 'blox-bus')
      .publish([entry(1), entry(2)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationPublishError);
    expect((error as NotificationPublishError).failed).toEqual([{ entry: entry(2), code: 'InternalFailure', message: 'still oops' }]);
    expect((error as Error).message).toContain('SomeEnvironment/Prod:2 → Failing: InternalFailure still oops');
  });

  it('lets a failed request through', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(new EventBridgeNotifier(client(), 'blox-bus').publish([entry(1)])).rejects.toThrow('Rate exceeded');
  });
});
