/**
 * The Alarms adapter against a mocked CloudWatch client: DescribeAlarms by name (metric and composite
 * alarms, at most 100 names a call, every page), each alarm read as its state and when it entered it.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarms, describeAlarmsThroughSdk } from '../../../functions/adapters/cloudwatch-alarms';

const cloudwatch = mockClient(CloudWatchClient);
let alarms: CloudWatchAlarms;

beforeEach(() => {
  cloudwatch.reset();
  alarms = new CloudWatchAlarms(describeAlarmsThroughSdk({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
});
afterEach(() => cloudwatch.reset());

const transitioned = new Date('2026-11-30T12:03:10.000Z');
const updated = new Date('2026-11-30T12:09:00.000Z');

describe('CloudWatchAlarms', () => {
  it('asks for the named metric and composite alarms, and reads StateTransitionedTimestamp (not StateUpdatedTimestamp)', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'daemon-errors', StateValue: 'ALARM', StateReason: 'Threshold Crossed', StateTransitionedTimestamp: transitioned, StateUpdatedTimestamp: updated }],
      CompositeAlarms: [{ AlarmName: 'all', StateValue: 'OK', StateReason: 'ok', StateTransitionedTimestamp: transitioned }],
    });
    expect(await alarms.describe(['daemon-errors', 'all', 'daemon-errors'])).toEqual([
      { name: 'daemon-errors', value: 'ALARM', at: transitioned.getTime(), reason: 'Threshold Crossed' },
      { name: 'all', value: 'OK', at: transitioned.getTime(), reason: 'ok' },
    ]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['daemon-errors', 'all'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
  });

  it('sends at most 100 names a call and follows NextToken', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `a${i}`);
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'a0', StateValue: 'OK', StateTransitionedTimestamp: transitioned }], NextToken: 't1' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'a1', StateValue: 'INSUFFICIENT_DATA', StateTransitionedTimestamp: transitioned }] })
      .resolvesOnce({ MetricAlarms: [] });
    const read = await alarms.describe(names);
    expect(read.map((r) => [r.name, r.value])).toEqual([
      ['a0', 'OK'],
      ['a1', 'INSUFFICIENT_DATA'],
    ]);
    const inputs = cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.AlarmNames?.length, i.NextToken])).toEqual([
      [100, undefined],
      [100, 't1'],
      [50, undefined],
    ]);
  });

  it('an error of CloudWatch propagates (the reconcile fails and is retried)', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(alarms.describe(['daemon-errors'])).rejects.toThrow('Rate exceeded');
  });
});
