/**
 * Simulated CloudWatch: the alarm state machine on the virtual clock (the User Guide's missing-data
 * tables, row by row), `web-5xx` over the simulated load balancer and tasks (expected minutes worked
 * out in the comments), SetAlarmState until the next evaluation, DescribeAlarms paging and limits,
 * the emitted event against the repo's inbound alarm event schema (and a recorded sample), and
 * CloudWatch's request throttling.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInboundEvent } from '../../../events/aws';
import { VirtualClock } from '../../../local/sim/clock';
import type { CloudWatchAlarmStateChangeEvent, PutMetricAlarmInput } from '../../../local/sim/cloudwatch';
import { CLOUDWATCH_RATE_LIMITS, SimulatedCloudWatch } from '../../../local/sim/cloudwatch';
import { createSimulatedServices, DEFAULT_SIM_SERVICES } from '../../../local/sim/kernel';
import { SimulatedCluster } from '../../../local/sim/world';
import { START, T0 } from './helpers';

const MINUTE = 60_000;

function alarmOn(name: string, overrides: Partial<PutMetricAlarmInput> = {}): PutMetricAlarmInput {
  return {
    AlarmName: name,
    Namespace: 'Test',
    MetricName: 'Errors',
    Dimensions: [{ Name: 'Service', Value: 'web' }],
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 3,
    Threshold: 10,
    ComparisonOperator: 'GreaterThanThreshold',
    ...overrides,
  };
}

/**
 * One evaluation of a 3-period alarm over 5 minutes of data: `pattern` is the evaluation range,
 * oldest first, as the User Guide writes it (`0` not breaching, `X` breaching, `-` missing). The
 * datapoints are put for the minutes [1, 6) min, and the alarm is evaluated once, at 6 min.
 */
async function evaluateOnce(pattern: string, treatMissingData: string, datapointsToAlarm = 3) {
  const clock = new VirtualClock(T0 + 5 * MINUTE + 30_000);
  const cloudwatch = new SimulatedCloudWatch({ clock, rateLimits: false });
  cloudwatch.defineAlarm(alarmOn('a', { TreatMissingData: treatMissingData, DatapointsToAlarm: datapointsToAlarm }));
  const points = pattern.split(' ');
  expect(points).toHaveLength(5);
  const data = points.flatMap((point, i) => (point === '-' ? [] : [{ MetricName: 'Errors', Dimensions: [{ Name: 'Service', Value: 'web' }], Timestamp: new Date(T0 + (i + 1) * MINUTE), Value: point === 'X' ? 50 : 1 }]));
  if (data.length > 0) await cloudwatch.putMetricData({ Namespace: 'Test', MetricData: data });
  clock.runUntil(T0 + 6 * MINUTE);
  return (await cloudwatch.describeAlarms({ AlarmNames: ['a'] })).MetricAlarms[0]!.StateValue;
}

describe('simulated CloudWatch: evaluating alarms with missing data (the User Guide tables)', () => {
  // "Configuring how CloudWatch alarms treat missing data": evaluation range 5, Evaluation Periods 3.
  // A "Retain current state" outcome keeps the new alarm's INSUFFICIENT_DATA.
  const retain = 'INSUFFICIENT_DATA';
  const datapointsToAlarm3: Array<[string, [string, string, string, string]]> = [
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', ['INSUFFICIENT_DATA', retain, 'ALARM', 'OK']],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - X - -', ['ALARM', retain, 'ALARM', 'OK']],
  ];
  const datapointsToAlarm2: Array<[string, [string, string, string, string]]> = [
    ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - X -', ['ALARM', retain, 'ALARM', 'OK']],
  ];
  const treatments = ['missing', 'ignore', 'breaching', 'notBreaching'] as const;
  it.each(datapointsToAlarm3)('3 of 3: %s', async (pattern, expected) => {
    for (const [i, treat] of treatments.entries()) expect([treat, await evaluateOnce(pattern, treat, 3)]).toEqual([treat, expected[i]]);
  });
  it.each(datapointsToAlarm2)('2 of 3: %s', async (pattern, expected) => {
    for (const [i, treat] of treatments.entries()) expect([treat, await evaluateOnce(pattern, treat, 2)]).toEqual([treat, expected[i]]);
  });
});

describe('simulated CloudWatch: web-5xx over the simulated load balancer', () => {
  function stack() {
    const clock = new VirtualClock(T0);
    const world = new SimulatedCluster({ clock, rateLimits: false });
    const instances = world.addInstances({ count: 2 });
    const services = createSimulatedServices({
      world,
      clock,
      // The default world's web-5xx and daemon-errors, without its load balancers (the event ids count every alarm's events).
      description: {
        targetGroups: { web: { registerTasksOf: 'web' } },
        traffic: { web: { errorRate: 0.1 } },
        alarms: { 'web-5xx': DEFAULT_SIM_SERVICES.alarms['web-5xx']!, 'daemon-errors': DEFAULT_SIM_SERVICES.alarms['daemon-errors']! },
      },
    });
    const events: CloudWatchAlarmStateChangeEvent[] = [];
    services.cloudwatch.onEvent((event) => events.push(event));
    const state = async (name: string) => (await services.cloudwatch.describeAlarms({ AlarmNames: [name] })).MetricAlarms[0]!;
    return { clock, world, instances, services, events, state };
  }

  it('goes ALARM after 3 periods above 5 % and back to OK once a period is below', async () => {
    const { clock, world, instances, services, events, state } = stack();
    for (const instance of instances) await world.startTask({ ...START, taskDefinition: 'web:1', containerInstances: [instance.arn] });
    // RUNNING at 2 s: registered; healthy at 2 + 150 = 152 s. Each healthy target gets 10 requests a second, 10 % answered 5xx.
    expect((await state('web-5xx')).StateValue).toBe('INSUFFICIENT_DATA');
    clock.runUntil(T0 + MINUTE);
    // 1 min: no request yet, so neither count is published; missing data is not breaching: OK.
    expect((await state('web-5xx')).StateValue).toBe('OK');
    clock.runUntil(T0 + 3 * MINUTE);
    // [2, 3) min: 2 targets × 28 s × 10/s = 560 requests, 56 5xx → 10 % (breaching); 1 of the last 3 periods.
    const dimensions = services.elbv2.metricDimensions('web')!;
    const metric = (MetricName: string) => ({ Namespace: 'AWS/ApplicationELB', MetricName, Dimensions: [{ Name: 'LoadBalancer', Value: dimensions.LoadBalancer }, { Name: 'TargetGroup', Value: dimensions.TargetGroup }] });
    expect(services.cloudwatch.statistic(metric('RequestCount'), 'Sum', T0 + 2 * MINUTE)).toBe(560);
    expect(services.cloudwatch.statistic(metric('HTTPCode_Target_5XX_Count'), 'Sum', T0 + 2 * MINUTE)).toBe(56);
    expect(services.cloudwatch.statistic(metric('HealthyHostCount'), 'Average', T0 + 2 * MINUTE)).toBeCloseTo((2 * 28) / 60, 9);
    expect((await state('web-5xx')).StateValue).toBe('OK');
    clock.runUntil(T0 + 5 * MINUTE - 1);
    // [3, 4) min: 1,200 requests, 120 5xx → 10 %: 2 of 3.
    expect((await state('web-5xx')).StateValue).toBe('OK');
    clock.runUntil(T0 + 5 * MINUTE);
    // [4, 5) min: 10 % again: 3 of 3 → ALARM at 5 min.
    const alarm = await state('web-5xx');
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateReason).toBe(
      'Threshold Crossed: 3 out of the last 3 datapoints [10.0 (01/01/24 00:04:00), 10.0 (01/01/24 00:03:00), 10.0 (01/01/24 00:02:00)] were greater than the threshold (5.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    expect(JSON.parse(alarm.StateReasonData!)).toMatchObject({ version: '1.0', queryDate: '2024-01-01T00:05:00.000+0000', startDate: '2024-01-01T00:02:00.000+0000', period: 60, recentDatapoints: [10, 10, 10], threshold: 5 });

    // The error rate falls to 1 % at 5 min: [5, 6) min is 12 of 1,200 = 1 %, not breaching → OK at 6 min.
    services.traffic.configure('web', { errorRate: 0.01 });
    clock.runUntil(T0 + 6 * MINUTE);
    expect((await state('web-5xx')).StateValue).toBe('OK');
    clock.advance(0); // deliver the events
    expect(events.filter((e) => e.detail.alarmName === 'web-5xx').map((e) => [e.time, e.detail.previousState.value, e.detail.state.value])).toEqual([
      ['2024-01-01T00:01:00Z', 'INSUFFICIENT_DATA', 'OK'],
      ['2024-01-01T00:05:00Z', 'OK', 'ALARM'],
      ['2024-01-01T00:06:00Z', 'ALARM', 'OK'],
    ]);
    for (const event of events) expect(parseInboundEvent(event).kind).toBe('alarm');
  });

  it('the event matches the recorded sample and parses with the repo’s inbound alarm event schema', async () => {
    const { clock, world, instances, events } = stack();
    for (const instance of instances) await world.startTask({ ...START, taskDefinition: 'web:1', containerInstances: [instance.arn] });
    clock.runUntil(T0 + 5 * MINUTE);
    clock.advance(0);
    const toAlarm = events.find((event) => event.detail.alarmName === 'web-5xx' && event.detail.state.value === 'ALARM')!;
    const recorded = JSON.parse(readFileSync(new URL('./samples/cloudwatch-alarm-web-5xx-ok-to-alarm.json', import.meta.url), 'utf8')) as unknown;
    expect(toAlarm).toEqual(recorded);
    const parsed = parseInboundEvent(recorded);
    expect(parsed.kind).toBe('alarm');
    if (parsed.kind === 'alarm') {
      expect(parsed.event.detail.alarmName).toBe('web-5xx');
      expect(parsed.event.resources).toEqual(['arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx']);
      expect(parsed.event.detail.configuration.metrics?.map((m) => m.id)).toEqual(['e1', 'm1', 'm2']);
    }
  });

  it('daemon-errors: the errors log-daemon tasks report go ALARM after 2 periods above 0', async () => {
    const { clock, world, instances, services, state } = stack();
    services.traffic.configure('log-daemon', { errorRate: 0.05 });
    for (const instance of instances) await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance.arn] });
    // RUNNING at 2 s. [0, 1) min: 2 × 58 s × 10/s = 1,160 requests, 58 errors; [1, 2) min: 1,200 and 60.
    clock.runUntil(T0 + MINUTE);
    const errors = (start: number) => services.cloudwatch.statistic({ Namespace: 'Blox/Sim', MetricName: 'Errors', Dimensions: [{ Name: 'TaskDefinitionFamily', Value: 'log-daemon' }] }, 'Sum', start);
    expect(errors(T0)).toBe(58);
    expect((await state('daemon-errors')).StateValue).toBe('OK'); // 1 of 2 (the other missing: not breaching)
    clock.runUntil(T0 + 2 * MINUTE);
    expect(errors(T0 + MINUTE)).toBe(60);
    expect((await state('daemon-errors')).StateValue).toBe('ALARM');
  });
});

describe('simulated CloudWatch: SetAlarmState, DescribeAlarms, limits, throttling', () => {
  it('SetAlarmState holds until the next evaluation, which puts the alarm back (with an event each way)', async () => {
    const clock = new VirtualClock(T0);
    const cloudwatch = new SimulatedCloudWatch({ clock, rateLimits: false });
    const events: CloudWatchAlarmStateChangeEvent[] = [];
    cloudwatch.onEvent((event) => events.push(event));
    cloudwatch.defineAlarm(alarmOn('quiet', { EvaluationPeriods: 1 }));
    await cloudwatch.putMetricData({ Namespace: 'Test', MetricData: [{ MetricName: 'Errors', Dimensions: [{ Name: 'Service', Value: 'web' }], Value: 1 }] });
    clock.runUntil(T0 + MINUTE); // [0, 1) min: 1, not above 10 → OK
    await cloudwatch.setAlarmState({ AlarmName: 'quiet', StateValue: 'ALARM', StateReason: 'blox sim set-alarm' });
    let alarm = (await cloudwatch.describeAlarms({ AlarmNames: ['quiet'] })).MetricAlarms[0]!;
    expect([alarm.StateValue, alarm.StateReason]).toEqual(['ALARM', 'blox sim set-alarm']);
    clock.runUntil(T0 + 2 * MINUTE - 1);
    expect((await cloudwatch.describeAlarms({ AlarmNames: ['quiet'] })).MetricAlarms[0]!.StateValue).toBe('ALARM');
    await cloudwatch.putMetricData({ Namespace: 'Test', MetricData: [{ MetricName: 'Errors', Dimensions: [{ Name: 'Service', Value: 'web' }], Value: 2 }] });
    clock.runUntil(T0 + 2 * MINUTE); // re-evaluated: [1, 2) min is 2 → OK again
    alarm = (await cloudwatch.describeAlarms({ AlarmNames: ['quiet'] })).MetricAlarms[0]!;
    expect(alarm.StateValue).toBe('OK');
    expect(alarm.StateReason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[2\.0 \(01\/01\/24 00:01:00\)\] was not greater than the threshold \(10\.0\)/);
    clock.advance(0);
    expect(events.map((e) => [e.detail.previousState.value, e.detail.state.value, e.detail.state.reason.slice(0, 18)])).toEqual([
      ['INSUFFICIENT_DATA', 'OK', 'Threshold Crossed:'],
      ['OK', 'ALARM', 'blox sim set-alarm'],
      ['ALARM', 'OK', 'Threshold Crossed:'],
    ]);
    expect(events[2]!.detail.previousState.reason).toBe('blox sim set-alarm');
    for (const event of events) expect(parseInboundEvent(event).kind).toBe('alarm');
    expect(await cloudwatch.setAlarmState({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' }).catch((e: Error) => e.name)).toBe('ResourceNotFound');
    expect(await cloudwatch.setAlarmState({ AlarmName: 'quiet', StateValue: 'OK', StateReason: 'x', StateReasonData: '{' }).catch((e: Error) => e.name)).toBe('InvalidFormatFault');
  });

  it('DescribeAlarms pages in name order (MaxRecords 1-100, default 50); more than 100 AlarmNames is a ValidationError', async () => {
    const clock = new VirtualClock(T0);
    const cloudwatch = new SimulatedCloudWatch({ clock, rateLimits: false });
    const names = Array.from({ length: 120 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
    for (const name of [...names].reverse()) cloudwatch.defineAlarm(alarmOn(name));
    const first = await cloudwatch.describeAlarms();
    expect(first.MetricAlarms.map((a) => a.AlarmName)).toEqual(names.slice(0, 50));
    const second = await cloudwatch.describeAlarms({ NextToken: first.NextToken! });
    expect(second.MetricAlarms.map((a) => a.AlarmName)).toEqual(names.slice(50, 100));
    const third = await cloudwatch.describeAlarms({ NextToken: second.NextToken! });
    expect(third.MetricAlarms.map((a) => a.AlarmName)).toEqual(names.slice(100));
    expect(third.NextToken).toBeUndefined();
    const byName = await cloudwatch.describeAlarms({ AlarmNames: [...names.slice(0, 99), 'missing'], MaxRecords: 100 });
    expect(byName.MetricAlarms).toHaveLength(99); // unknown names are left out
    expect(byName.MetricAlarms[0]).toMatchObject({ AlarmName: 'alarm-000', AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:alarm-000', StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation', Namespace: 'Test', MetricName: 'Errors', Statistic: 'Sum', Period: 60, EvaluationPeriods: 3, Threshold: 10 });

    const refused = await cloudwatch.describeAlarms({ AlarmNames: names.slice(0, 101) }).catch((error: Error) => error);
    expect(refused).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^1 validation error detected: Value '\[alarm-000, .*' at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100$/) });
    expect(await cloudwatch.describeAlarms({ MaxRecords: 101 }).catch((error: Error) => error.message)).toMatch(/at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100/);
    expect(await cloudwatch.describeAlarms({ NextToken: 'garbage' }).catch((error: Error) => error.name)).toBe('InvalidNextToken');
    expect(await cloudwatch.describeAlarms({ AlarmNames: ['a'], AlarmNamePrefix: 'a' }).catch((error: Error) => error.name)).toBe('InvalidParameterCombinationException');
  });

  it('refuses what PutMetricData and PutMetricAlarm refuse', async () => {
    const clock = new VirtualClock(T0);
    const cloudwatch = new SimulatedCloudWatch({ clock, rateLimits: false });
    const put = (Namespace: string, count = 1) => cloudwatch.putMetricData({ Namespace, MetricData: Array.from({ length: count }, () => ({ MetricName: 'M', Value: 1 })) }).catch((error: Error) => error);
    expect(await put('AWS/ApplicationELB')).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await put('Mine', 1001)).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('less than or equal to 1000') });
    expect(await put('Mine', 1000)).toEqual({});
    const alarm = (overrides: Partial<PutMetricAlarmInput>) => cloudwatch.putMetricAlarm(alarmOn('x', overrides)).catch((error: Error) => error);
    expect(await alarm({ DatapointsToAlarm: 4 })).toMatchObject({ name: 'ValidationError', message: 'DatapointsToAlarm must be less than or equal to EvaluationPeriods.' });
    expect(await alarm({ Period: 90 })).toMatchObject({ name: 'ValidationError' });
    expect(await alarm({ Period: 3600, EvaluationPeriods: 25 })).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('86400') });
    expect(await alarm({ TreatMissingData: 'sometimes' })).toMatchObject({ name: 'InvalidParameterValueException' });
    const math = (Expression: string) => cloudwatch.putMetricAlarm({
      AlarmName: 'm',
      Metrics: [
        { Id: 'e1', Expression, ReturnData: true },
        { Id: 'm1', MetricStat: { Metric: { Namespace: 'Mine', MetricName: 'M' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
      ],
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    }).catch((error: Error) => error);
    expect(await math('FILL(m1, 0) * 100')).toEqual({});
    expect(await math('m1 / m9')).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('m9') });
    expect(await math('ANOMALY_DETECTION_BAND(m1)')).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('not simulated') });
  });

  it("throttles at CloudWatch's documented rates: DescribeAlarms 9 a second, SetAlarmState 3 a second (Throttling: Rate exceeded)", async () => {
    expect(CLOUDWATCH_RATE_LIMITS).toMatchObject({ DescribeAlarms: { capacity: 9, refillPerSecond: 9 }, SetAlarmState: { capacity: 3, refillPerSecond: 3 }, PutMetricData: { refillPerSecond: 500 } });
    const clock = new VirtualClock(T0);
    const cloudwatch = new SimulatedCloudWatch({ clock });
    cloudwatch.defineAlarm(alarmOn('a'));
    const outcome = (call: Promise<unknown>) => call.then(() => 'ok', (error: { name: string; message: string }) => `${error.name}: ${error.message}`);
    for (let i = 0; i < 9; i++) expect(await outcome(cloudwatch.describeAlarms())).toBe('ok');
    expect(await outcome(cloudwatch.describeAlarms())).toBe('Throttling: Rate exceeded');
    clock.advance(111); // 0.999 of a token at 9 a second
    expect(await outcome(cloudwatch.describeAlarms())).toBe('Throttling: Rate exceeded');
    clock.advance(1);
    expect(await outcome(cloudwatch.describeAlarms())).toBe('ok');
    for (let i = 0; i < 3; i++) expect(await outcome(cloudwatch.setAlarmState({ AlarmName: 'a', StateValue: 'ALARM', StateReason: `try ${i}` }))).toBe('ok');
    expect(await outcome(cloudwatch.setAlarmState({ AlarmName: 'a', StateValue: 'OK', StateReason: 'one too many' }))).toBe('Throttling: Rate exceeded');
    expect((await cloudwatch.describeAlarms({ AlarmNames: ['a'] }).catch(() => undefined)) ?? 'throttled').toBe('throttled'); // the DescribeAlarms bucket is still short
    clock.advance(1000);
    expect((await cloudwatch.describeAlarms({ AlarmNames: ['a'] })).MetricAlarms[0]!.StateReason).toBe('try 2'); // the throttled call changed nothing
  });
});
