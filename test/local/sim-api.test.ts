/**
 * The simulator's control routes (`/_sim`, local/sim-api.ts) over the default world
 * (local/cluster.yml) on a virtual clock: target groups and target health, the CloudWatch alarms
 * (list, SetAlarmState until the next evaluation), a task definition's error rate driving
 * `web-5xx` into ALARM, and refusals that name their field and change nothing.
 */
import type http from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SimApiState } from '../../local/sim-api';
import { handleSimRequest, simRequest } from '../../local/sim-api';
import type { CloudWatchAlarmStateChangeEvent, SimulatedCluster, SimulatedServices } from '../../local/sim';
import { createSimulatedServices, createWorld, readWorldFile, simServicesOf, VirtualClock } from '../../local/sim';
import { START, T0 } from './sim/helpers';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const FIRST = 'i-00000000000000001';

let clock: VirtualClock;
let world: SimulatedCluster;
let services: SimulatedServices;
let state: SimApiState;
let changes: number;
let trafficChanges: Array<[string, { errorRate: number }]>;
let events: Array<[string, string, string]>;

beforeEach(() => {
  clock = new VirtualClock(T0);
  const description = readWorldFile();
  world = createWorld(description, { clock });
  services = createSimulatedServices({ world, clock, description: simServicesOf(description) });
  changes = 0;
  trafficChanges = [];
  events = [];
  services.cloudwatch.onEvent((event: CloudWatchAlarmStateChangeEvent) => events.push([event.detail.alarmName, event.detail.previousState.value, event.detail.state.value]));
  state = {
    world,
    services,
    onChange: () => changes++,
    onTrafficChange: (taskDefinition, traffic) => trafficChanges.push([taskDefinition, traffic]),
  };
});

/** The route's answer as the client reads it (JSON: dates become ISO strings). */
async function call(method: string, path: string, body?: unknown) {
  const answer = await simRequest(state, method, new URL(path, 'http://127.0.0.1'), body === undefined ? '' : JSON.stringify(body));
  return { status: answer.status, body: JSON.parse(JSON.stringify(answer.body)) as Record<string, unknown> };
}

async function alarmStates(): Promise<Record<string, [string, string]>> {
  const { body } = await call('GET', '/_sim/alarms');
  return Object.fromEntries((body.MetricAlarms as Array<{ AlarmName: string; StateValue: string; StateReason: string }>).map((a) => [a.AlarmName, [a.StateValue, a.StateReason]]));
}

/** Starts a task of `taskDefinition` on the first instance (RUNNING 2 s later, the default world's timing). */
async function startOnFirst(taskDefinition: string) {
  const instance = world.describeInstances('default').find((i) => i.ec2InstanceId === FIRST)!;
  const result = await world.startTask({ ...START, taskDefinition, containerInstances: [instance.arn] });
  expect(result.tasks).toHaveLength(1);
}

describe('GET /_sim/target-groups and /_sim/target-groups/{name}/health', () => {
  it('set-desired-count is UpdateService desiredCount (as Application Auto Scaling calls it); a bad field or an unknown service is named, and nothing changes', async () => {
    await world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 4, deploymentController: { type: 'EXTERNAL' } });
    const set = await call('POST', '/_sim/services/desired-count', { Service: 'web', DesiredCount: 7 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ service: { serviceName: 'web', desiredCount: 7 } });
    for (const [body, status, field] of [
      [{ DesiredCount: 3 }, 400, 'Service'],
      [{ Service: 'web' }, 400, 'DesiredCount'],
      [{ Service: 'web', DesiredCount: -1 }, 400, 'DesiredCount'],
      [{ Service: 'web', DesiredCount: 2.5 }, 400, 'DesiredCount'],
      [{ Service: 'web', DesiredCount: 3, Cluster: 'nowhere' }, 404, 'Cluster'],
      [{ Service: 'api', DesiredCount: 3 }, 404, 'Service'],
    ] as const) {
      const refused = await call('POST', '/_sim/services/desired-count', body);
      expect([refused.status, (refused.body as { error: { field?: string } }).error.field], JSON.stringify(body)).toEqual([status, field]);
    }
    expect((await world.describeServices({ cluster: 'default', services: ['web'] })).services?.[0]?.desiredCount).toBe(7);
  });

  it('the default world has target groups web, web-blue, web-green, web-a, web-b (ELBv2 defaults), web empty until a web task runs', async () => {
    const { status, body } = await call('GET', '/_sim/target-groups');
    expect(status).toBe(200);
    const groups = body.TargetGroups as Array<Record<string, unknown>>;
    expect(groups.map((g) => [g.TargetGroupName, g.Protocol, g.Port, g.HealthCheckIntervalSeconds, g.HealthyThresholdCount, g.UnhealthyThresholdCount])).toEqual([
      ['web', 'HTTP', 80, 30, 5, 2],
      ['web-blue', 'HTTP', 80, 30, 5, 2],
      ['web-green', 'HTTP', 80, 30, 5, 2],
      ['web-a', 'HTTP', 80, 30, 5, 2],
      ['web-b', 'HTTP', 80, 30, 5, 2],
    ]);
    expect(await call('GET', '/_sim/target-groups/web/health')).toEqual({ status: 200, body: { TargetHealthDescriptions: [] } });
  });

  it('a web task is registered when RUNNING (2 s), checked every 30 s from then, healthy after 5 passes (152 s)', async () => {
    await startOnFirst('web:1');
    const health = async () => ((await call('GET', '/_sim/target-groups/web/health')).body.TargetHealthDescriptions as Array<Record<string, unknown>>);
    clock.advance(2 * SECOND);
    // The first dynamic host port of the instance: 32768.
    expect(await health()).toEqual([
      {
        Target: { Id: FIRST, Port: 32768 },
        HealthCheckPort: '32768',
        TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
      },
    ]);
    clock.runUntil(T0 + 32 * SECOND); // first check passed
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' });
    clock.runUntil(T0 + 152 * SECOND - 1); // four checks passed: 32, 62, 92, 122 s
    expect(((await health())[0]!.TargetHealth as { State: string }).State).toBe('initial');
    clock.runUntil(T0 + 152 * SECOND); // the fifth
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'healthy' });
    // By ARN too.
    const arn = services.elbv2.targetGroupArn('web')!;
    expect((await call('GET', `/_sim/target-groups/${encodeURIComponent(arn)}/health`)).body).toEqual((await call('GET', '/_sim/target-groups/web/health')).body);
  });

  it('an unknown target group is a 404 naming TargetGroup and the known ones', async () => {
    expect(await call('GET', '/_sim/target-groups/nope/health')).toEqual({
      status: 404,
      body: { error: { code: 'TargetGroupNotFound', message: 'TargetGroup: no target group "nope" (known: web, web-blue, web-green, web-a, web-b)', field: 'TargetGroup' } },
    });
  });
});

describe('GET /_sim/listener-rules', () => {
  it("the default world's rules: web-alb's production (80) and test (8080) rules and their defaults, web-a's and web-b's default rules", async () => {
    const { status, body } = await call('GET', '/_sim/listener-rules');
    expect(status).toBe(200);
    const rules = body.Rules as Array<{ LoadBalancerName: string; Port: number; Priority: string; RuleArn: string; Actions: Array<{ Type: string; ForwardConfig?: { TargetGroups: Array<{ TargetGroupArn: string; Weight: number }> } }> }>;
    const name = (arn: string) => arn.split('/').at(-2);
    expect(rules.map((r) => [r.LoadBalancerName, r.Port, r.Priority, r.Actions[0]!.Type, (r.Actions[0]!.ForwardConfig?.TargetGroups ?? []).map((g) => `${name(g.TargetGroupArn)}=${g.Weight}`).join(',')])).toEqual([
      ['web-alb', 80, '1', 'forward', 'web-blue=100,web-green=0'],
      ['web-alb', 80, 'default', 'fixed-response', ''],
      ['web-alb', 8080, '1', 'forward', 'web-green=100'],
      ['web-alb', 8080, 'default', 'fixed-response', ''],
      ['web-a', 80, 'default', 'forward', 'web-a=100'],
      ['web-b', 80, 'default', 'forward', 'web-b=100'],
    ]);
    // The ARN is DescribeRules' own: the one TrafficRouting.Alb names.
    expect((await services.elbv2.describeRules({ RuleArns: [rules[0]!.RuleArn] })).Rules[0]!.Priority).toBe('1');
    expect((await call('GET', '/_sim/listener-rules?load-balancer=web-a')).body).toEqual({ Rules: [rules[4]] });
  });

  it('an unknown load balancer is a 404 naming load-balancer and the known ones', async () => {
    expect(await call('GET', '/_sim/listener-rules?load-balancer=nope')).toEqual({
      status: 404,
      body: { error: { code: 'LoadBalancerNotFound', message: 'load-balancer: no load balancer "nope" (known: web, web-alb, web-a, web-b)', field: 'load-balancer' } },
    });
  });
});

describe('GET /_sim/alarms and POST /_sim/alarms (SetAlarmState)', () => {
  it('lists web-5xx, web-alb-5xx, web-dns-5xx and daemon-errors in name order, DescribeAlarms-shaped; evaluated each minute', async () => {
    const { status, body } = await call('GET', '/_sim/alarms');
    expect(status).toBe(200);
    expect(body.CompositeAlarms).toEqual([]);
    const alarms = body.MetricAlarms as Array<Record<string, unknown>>;
    expect(alarms.map((a) => [a.AlarmName, a.StateValue, a.StateReason, a.AlarmDescription])).toEqual([
      ['daemon-errors', 'INSUFFICIENT_DATA', 'Unchecked: Initial alarm creation', 'errors of task family log-daemon'],
      ['web-5xx', 'INSUFFICIENT_DATA', 'Unchecked: Initial alarm creation', '5xx rate of target group web above 5 %'],
      ['web-alb-5xx', 'INSUFFICIENT_DATA', 'Unchecked: Initial alarm creation', '5xx rate of load balancer web-alb above 5 %'],
      ['web-dns-5xx', 'INSUFFICIENT_DATA', 'Unchecked: Initial alarm creation', '5xx rate of load balancers web-a and web-b (behind web.example.internal) above 5 %'],
    ]);
    expect(alarms[1]).toMatchObject({
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx',
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      StateUpdatedTimestamp: '2024-01-01T00:00:00.000Z',
    });
    expect(alarms[0]).toMatchObject({ Namespace: 'Blox/Sim', MetricName: 'Errors', Dimensions: [{ Name: 'TaskDefinitionFamily', Value: 'log-daemon' }], Period: 60, EvaluationPeriods: 2 });
    expect(alarms[2]).toMatchObject({ Metrics: [{ Id: 'e1', Expression: 'm1/m2*100' }, { Id: 'm1' }, { Id: 'm2' }], Threshold: 5, EvaluationPeriods: 3 });
    // Two load balancers: their 5xx over their requests, together (a missing count is 0).
    expect(alarms[3]).toMatchObject({ Metrics: [{ Id: 'e1', Expression: '(FILL(m1,0)+FILL(m3,0))/(FILL(m2,0)+FILL(m4,0))*100' }, { Id: 'm1' }, { Id: 'm2' }, { Id: 'm3' }, { Id: 'm4' }], Threshold: 5 });
    // No data at all (web-alb's requests, with no target yet, are 503s: no RequestCount), missing data not breaching: all OK at the first minute.
    clock.runUntil(T0 + MINUTE);
    expect(Object.values(await alarmStates()).map(([value]) => value)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect((await call('GET', '/_sim/alarms?state=ALARM')).body).toEqual({ MetricAlarms: [], CompositeAlarms: [] });
  });

  it('set-alarm is SetAlarmState: ALARM now (with an event), back to OK at the next evaluation (with another)', async () => {
    clock.runUntil(T0 + MINUTE);
    clock.advance(SECOND);
    expect(await call('POST', '/_sim/alarms', { AlarmName: 'web-5xx', State: 'ALARM' })).toEqual({ status: 200, body: {} });
    expect(changes).toBe(1);
    expect((await alarmStates())['web-5xx']).toEqual(['ALARM', 'Set by blox sim set-alarm']);
    const inAlarm = (await call('GET', '/_sim/alarms?state=ALARM')).body.MetricAlarms as Array<{ AlarmName: string; StateTransitionedTimestamp: string }>;
    expect(inAlarm.map((a) => [a.AlarmName, a.StateTransitionedTimestamp])).toEqual([['web-5xx', '2024-01-01T00:01:01.000Z']]);
    clock.advance(0); // events are delivered through the clock, never from inside the call
    clock.runUntil(T0 + 2 * MINUTE - 1);
    expect((await alarmStates())['web-5xx']![0]).toBe('ALARM');
    clock.runUntil(T0 + 2 * MINUTE);
    expect((await alarmStates())['web-5xx']![0]).toBe('OK');
    expect(events).toEqual([
      ['web-5xx', 'INSUFFICIENT_DATA', 'OK'],
      ['web-alb-5xx', 'INSUFFICIENT_DATA', 'OK'],
      ['web-dns-5xx', 'INSUFFICIENT_DATA', 'OK'],
      ['daemon-errors', 'INSUFFICIENT_DATA', 'OK'],
      ['web-5xx', 'OK', 'ALARM'],
      ['web-5xx', 'ALARM', 'OK'],
    ]);
  });

  it('refuses a bad state, an unknown alarm and a bad filter, naming the field, changing nothing', async () => {
    const before = await alarmStates();
    expect(await call('POST', '/_sim/alarms', { AlarmName: 'web-5xx', State: 'INSUFFICIENT_DATA' })).toEqual({
      status: 400,
      body: { error: { code: 'ValidationError', message: 'State: expected ALARM or OK', field: 'State' } },
    });
    expect(await call('POST', '/_sim/alarms', { State: 'OK' })).toEqual({
      status: 400,
      body: { error: { code: 'ValidationError', message: 'AlarmName: expected a name', field: 'AlarmName' } },
    });
    expect(await call('POST', '/_sim/alarms', { AlarmName: 'nope', State: 'ALARM' })).toEqual({
      status: 404,
      body: { error: { code: 'ResourceNotFound', message: 'AlarmName: no alarm "nope" (known: daemon-errors, web-5xx, web-alb-5xx, web-dns-5xx)', field: 'AlarmName' } },
    });
    expect(await call('GET', '/_sim/alarms?state=RED')).toEqual({
      status: 400,
      body: { error: { code: 'ValidationError', message: 'state: expected one of OK, ALARM, INSUFFICIENT_DATA', field: 'state' } },
    });
    expect(await alarmStates()).toEqual(before);
    expect(changes).toBe(0);
    clock.advance(0);
    expect(events).toEqual([]);
  });

  it("SetAlarmState is CloudWatch's API call: more than 3 in a second is throttled (429)", async () => {
    for (let i = 0; i < 3; i++) expect((await call('POST', '/_sim/alarms', { AlarmName: 'web-5xx', State: i % 2 === 0 ? 'ALARM' : 'OK' })).status).toBe(200);
    expect(await call('POST', '/_sim/alarms', { AlarmName: 'web-5xx', State: 'OK' })).toEqual({
      status: 429,
      body: { error: { code: 'Throttling', message: 'Throttling: Rate exceeded' } },
    });
    expect((await alarmStates())['web-5xx']![0]).toBe('ALARM');
    clock.advance(334); // one token back (3 a second: one every 333⅓ ms)
    expect((await call('POST', '/_sim/alarms', { AlarmName: 'web-5xx', State: 'OK' })).status).toBe(200);
  });
});

describe('POST /_sim/task-definitions: ErrorRate', () => {
  it('sets the error rate (at once), tells onTrafficChange, keeps the other behaviours working', async () => {
    expect(await call('POST', '/_sim/task-definitions', { TaskDefinition: 'web:1', ErrorRate: 0.2 })).toEqual({ status: 200, body: {} });
    expect(services.traffic.trafficOf('web:1')).toEqual({ errorRate: 0.2, requestsPerSecond: 10 });
    expect(services.traffic.trafficOf('web:2').errorRate).toBe(0);
    expect(trafficChanges).toEqual([['web:1', { errorRate: 0.2 }]]);
    expect(await call('POST', '/_sim/task-definitions', { TaskDefinition: 'web:2', Unhealthy: true, ErrorRate: 1 })).toEqual({ status: 200, body: {} });
    expect(world.taskBehaviour('web:2').health).toBe('unhealthy');
    expect(services.traffic.trafficOf('web:2').errorRate).toBe(1);
    expect(changes).toBe(2);
  });

  it('refuses an error rate outside 0-1 naming ErrorRate, and changes nothing (not even the other fields)', async () => {
    for (const ErrorRate of [1.5, -0.1, 'lots', null]) {
      expect(await call('POST', '/_sim/task-definitions', { TaskDefinition: 'web:1', FailStart: 'CannotPullContainerError: nope', ErrorRate })).toEqual({
        status: 400,
        body: { error: { code: 'ValidationError', message: 'ErrorRate: expected a share of requests from 0 to 1 (e.g. 0.2)', field: 'ErrorRate' } },
      });
    }
    expect(world.taskBehaviour('web:1').failStart).toBeUndefined();
    expect(services.traffic.trafficOf('web:1').errorRate).toBe(0);
    expect(changes).toBe(0);
    expect(trafficChanges).toEqual([]);
  });

  it('web:1 at 20 % errors behind web: web-5xx ALARM once 3 minutes are above 5 % (at 5 min), OK until then', async () => {
    await call('POST', '/_sim/task-definitions', { TaskDefinition: 'web:1', ErrorRate: 0.2 });
    await startOnFirst('web:1');
    // RUNNING at 2 s, healthy at 152 s: traffic (10 a second) from then, 20 % of it 5xx.
    // Minutes [2, 3) (28 s: 280 requests, 56 5xx), [3, 4) and [4, 5) min are at 20 %; evaluated at 5 min.
    clock.runUntil(T0 + 5 * MINUTE - 1);
    expect((await alarmStates())['web-5xx']![0]).toBe('OK');
    const dimensions = services.elbv2.metricDimensions('web')!;
    const metric = (MetricName: string) => ({
      Namespace: 'AWS/ApplicationELB',
      MetricName,
      Dimensions: [
        { Name: 'LoadBalancer', Value: dimensions.LoadBalancer },
        { Name: 'TargetGroup', Value: dimensions.TargetGroup },
      ],
    });
    expect(services.cloudwatch.statistic(metric('RequestCount'), 'Sum', T0 + 2 * MINUTE)).toBe(280);
    expect(services.cloudwatch.statistic(metric('HTTPCode_Target_5XX_Count'), 'Sum', T0 + 2 * MINUTE)).toBe(56);
    expect(services.cloudwatch.statistic(metric('RequestCount'), 'Sum', T0 + 3 * MINUTE)).toBe(600);
    expect(services.cloudwatch.statistic(metric('HTTPCode_Target_5XX_Count'), 'Sum', T0 + 3 * MINUTE)).toBe(120);
    clock.runUntil(T0 + 5 * MINUTE);
    const [value, reason] = (await alarmStates())['web-5xx']!;
    expect(value).toBe('ALARM');
    expect(reason).toBe(
      'Threshold Crossed: 3 out of the last 3 datapoints [20.0 (01/01/24 00:04:00), 20.0 (01/01/24 00:03:00), 20.0 (01/01/24 00:02:00)] were greater than the threshold (5.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    expect(events.at(-1)).toEqual(['web-5xx', 'OK', 'ALARM']);
  });
});

describe('GET /_sim/hosted-zones/{zone}/records', () => {
  it('the default world: web.example.internal blue → web-a 100, green → web-b 0, no change yet; a change shows PENDING, then INSYNC at 60 s', async () => {
    const rows = (body: Record<string, unknown>) =>
      (body.ResourceRecordSets as Array<Record<string, unknown>>).filter((r) => r.Type === 'A').map((r) => [r.Name, r.SetIdentifier, r.Weight, r.Target, r.ChangeStatus ?? '-']);
    const before = await call('GET', '/_sim/hosted-zones/example.internal/records');
    expect(before.status).toBe(200);
    expect((before.body.HostedZone as { Name: string }).Name).toBe('example.internal.');
    expect(rows(before.body)).toEqual([
      ['web.example.internal.', 'blue', 100, 'web-a', '-'],
      ['web.example.internal.', 'green', 0, 'web-b', '-'],
    ]);
    const zoneId = (before.body.HostedZone as { Id: string }).Id;
    const alias = services.route53.aliasTargetOf('web-b')!;
    await services.route53.changeResourceRecordSets({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'web.example.internal', Type: 'A', SetIdentifier: 'green', Weight: 10, AliasTarget: alias } }] },
    });
    expect(rows((await call('GET', `/_sim/hosted-zones/${encodeURIComponent(zoneId)}/records`)).body)[1]).toEqual(['web.example.internal.', 'green', 10, 'web-b', 'PENDING']);
    clock.advance(MINUTE);
    expect(rows((await call('GET', '/_sim/hosted-zones/example.internal./records')).body)[1]).toEqual(['web.example.internal.', 'green', 10, 'web-b', 'INSYNC']);
  });

  it('an unknown zone is a 404 naming HostedZone and the known ones', async () => {
    const answer = await call('GET', '/_sim/hosted-zones/nope.internal/records');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'NoSuchHostedZone', field: 'HostedZone' });
    expect((answer.body.error as { message: string }).message).toMatch(/^HostedZone: no hosted zone "nope.internal" \(known: example.internal \(Z[0-9A-F]+\)\)$/);
  });
});

describe('GET and POST /_sim/functions', () => {
  it('lists smoke-ok and smoke-fail; set-function changes the answer (IN_PROGRESS with a delay), which Invoke then gives', async () => {
    expect((await call('GET', '/_sim/functions')).body.Functions).toEqual([
      { FunctionName: 'smoke-ok', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke-ok', Answer: 'SUCCEEDED', Invocations: 0 },
      { FunctionName: 'smoke-fail', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke-fail', Answer: 'FAILED', Invocations: 0 },
    ]);
    const set = await call('POST', '/_sim/functions', { FunctionName: 'smoke-ok', Answer: 'IN_PROGRESS', CallBackDelaySeconds: 45 });
    expect(set).toMatchObject({ status: 200, body: { FunctionName: 'smoke-ok', Answer: 'IN_PROGRESS', CallBackDelaySeconds: 45 } });
    expect(changes).toBe(1);
    const out = await services.lambda.invoke({ FunctionName: 'smoke-ok', Payload: '{}' });
    expect(JSON.parse(new TextDecoder().decode(out.Payload))).toEqual({ hookStatus: 'IN_PROGRESS', callBackDelaySeconds: 45 });
    expect(((await call('GET', '/_sim/functions')).body.Functions as Array<{ Invocations: number }>)[0]!.Invocations).toBe(1);
  });

  it('refuses an unknown function (404) and a bad answer or delay (400), naming the field, changing nothing', async () => {
    expect((await call('POST', '/_sim/functions', { FunctionName: 'nope', Answer: 'FAILED' })).body.error).toEqual({
      code: 'ResourceNotFoundException',
      message: 'FunctionName: no function "nope" (known: smoke-ok, smoke-fail)',
      field: 'FunctionName',
    });
    expect((await call('POST', '/_sim/functions', { FunctionName: 'smoke-ok', Answer: 'MAYBE' })).body.error).toMatchObject({ field: 'Answer' });
    expect((await call('POST', '/_sim/functions', { FunctionName: 'smoke-ok', Answer: 'IN_PROGRESS', CallBackDelaySeconds: -1 })).body.error).toMatchObject({ field: 'CallBackDelaySeconds' });
    expect(services.lambda.describeFunction('smoke-ok')!.Answer).toBe('SUCCEEDED');
    expect(changes).toBe(0);
  });
});

describe('handleSimRequest', () => {
  it('leaves other paths alone; answers /_sim paths as JSON, unknown ones with a 404', async () => {
    const answered: Array<{ status: number; body: string }> = [];
    const res = (resolve: () => void) => {
      let status = 0;
      return {
        writeHead: (code: number) => {
          status = code;
        },
        end: (text: string) => {
          answered.push({ status, body: text });
          resolve();
        },
      } as unknown as http.ServerResponse;
    };
    expect(handleSimRequest(state, 'GET', new URL('http://127.0.0.1/environments'), '', res(() => undefined))).toBe(false);
    await new Promise<void>((resolve) => expect(handleSimRequest(state, 'GET', new URL('http://127.0.0.1/_sim/nope'), '', res(resolve))).toBe(true));
    await new Promise<void>((resolve) => handleSimRequest(state, 'GET', new URL('http://127.0.0.1/_sim/target-groups/'), '', res(resolve)));
    expect(answered[0]).toEqual({ status: 404, body: JSON.stringify({ error: { code: 'NotFound', message: 'no simulator route for GET /_sim/nope' } }) });
    expect(answered[1]!.status).toBe(200);
    expect((JSON.parse(answered[1]!.body) as { TargetGroups: unknown[] }).TargetGroups).toHaveLength(5);
  });
});
