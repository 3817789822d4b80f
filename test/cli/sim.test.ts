/** `blox sim …` against a fake `/_sim`: request shapes, tables, and the refusal away from the local stack. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { isLoopbackUrl } from '../../cli/sim-client';
import { notFound, startFakeApi, type FakeApi, type Handler } from './fake-api';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.handle(notFound);
});

async function blox(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stdin: Readable.from([]),
    stdinIsTTY: true,
    env: { BLOX_API_URL: api.url, ...env },
  });
  return { code, stdout, stderr };
}

const instance = (n: number, attributes: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  ContainerInstanceArn: `arn:aws:ecs:us-east-1:000000000000:container-instance/default/ci${n}`,
  Ec2InstanceId: `i-000000000000000${n}`,
  Cluster: 'default',
  Status: 'ACTIVE',
  Attributes: attributes,
  RunningTasks: 1,
  Cpu: { Registered: 2048, Remaining: 1024 },
  Memory: { Registered: 4096, Remaining: 2048 },
  ...extra,
});

const INSTANCES = [
  instance(1, { stack: 'prod' }),
  instance(2, { stack: 'gamma', zone: 'a' }, { Status: 'DRAINING', RunningTasks: 0, Cpu: { Registered: 2048, Remaining: 2048 }, Memory: { Registered: 4096, Remaining: 4096 } }),
];

const TASKS = [
  {
    TaskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/5f1e2d3c4b5a69788796a5b4c3d2e1f0',
    ContainerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/ci1',
    Ec2InstanceId: 'i-0000000000000001',
    Environment: 'SomeEnvironment/Prod',
    Revision: 2,
    TaskDefinition: 'log-daemon:2',
    LastStatus: 'RUNNING',
    DesiredStatus: 'RUNNING',
    HealthStatus: 'HEALTHY',
  },
  {
    TaskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0a0b0c0d0e0f00112233445566778899',
    ContainerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/ci2',
    Ec2InstanceId: 'i-0000000000000002',
    Environment: 'SomeEnvironment/Prod',
    Revision: 9,
    TaskDefinition: 'log-daemon:9',
    LastStatus: 'STOPPED',
    DesiredStatus: 'STOPPED',
    HealthStatus: 'UNKNOWN',
    StopCode: 'TaskFailedToStart',
    StoppedReason: 'CannotPullContainerError: image not found',
  },
];

const answer =
  (status: number, body: unknown): Handler =>
  () => ({ status, body });

describe('sim list-instances', () => {
  it('GETs /_sim/instances with the cluster and prints JSON', async () => {
    api.handle(answer(200, { Instances: INSTANCES }));
    const result = await blox(['sim', 'list-instances', '--cluster', 'default']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ Instances: INSTANCES });
    expect(api.requests[0]).toMatchObject({ method: 'GET', url: '/_sim/instances?cluster=default' });
  });

  it('--table prints INSTANCE STATUS ATTRIBUTES TASKS CPU MEMORY', async () => {
    api.handle(answer(200, { Instances: INSTANCES }));
    const result = await blox(['sim', 'list-instances', '--table']);
    expect(api.requests[0]!.url).toBe('/_sim/instances');
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'INSTANCE                  STATUS       ATTRIBUTES            TASKS     CPU          MEMORY\n' +
        'i-0000000000000001        ACTIVE       stack=prod            1         1024/2048    2048/4096\n' +
        'i-0000000000000002        DRAINING     stack=gamma,zone=a    0         2048/2048    4096/4096\n',
    });
  });
});

describe('sim add-instances', () => {
  it('POSTs Count, Attributes (repeated --attribute), Cluster, Cpu and Memory', async () => {
    api.handle(answer(201, { Instances: [INSTANCES[0]] }));
    const result = await blox([
      'sim',
      'add-instances',
      '--count',
      '5',
      '--attribute',
      'stack=prod',
      '--attribute',
      'zone=us-east-1a',
      '--cluster',
      'default',
      '--cpu',
      '4096',
      '--memory',
      '8192',
    ]);
    expect(result.code).toBe(0);
    expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/_sim/instances' });
    expect(api.requests[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      Count: 5,
      Attributes: { stack: 'prod', zone: 'us-east-1a' },
      Cluster: 'default',
      Cpu: 4096,
      Memory: 8192,
    });
    expect(JSON.parse(result.stdout)).toEqual({ Instances: [INSTANCES[0]] });
  });

  it('sends only what was given; --table prints the new instances', async () => {
    api.handle(answer(201, { Instances: [INSTANCES[0]] }));
    const result = await blox(['sim', 'add-instances', '--count', '1', '--attribute', 'stack=prod', '--table']);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ Count: 1, Attributes: { stack: 'prod' } });
    expect(result.stdout).toMatch(/^INSTANCE +STATUS +ATTRIBUTES +TASKS +CPU +MEMORY\ni-0000000000000001 +ACTIVE +stack=prod/);
  });

  it('usage errors exit 2 without a request', async () => {
    for (const args of [
      ['sim', 'add-instances', '--attribute', 'stack=prod'],
      ['sim', 'add-instances', '--count', '0', '--attribute', 'stack=prod'],
      ['sim', 'add-instances', '--count', '2', '--attribute', 'prod'],
      ['sim', 'add-instances', '--count', '2', '--attribute', '=prod'],
      ['sim', 'add-instances', '--count', '2', '--cpu', 'lots'],
    ]) {
      const result = await blox(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^blox: .+\n$/);
    }
    expect(api.requests).toHaveLength(0);
  });
});

describe('sim remove-instance and drain-instance', () => {
  it('POST …/{id}/remove and …/{id}/drain, print nothing', async () => {
    api.handle(answer(200, {}));
    expect(await blox(['sim', 'remove-instance', '--instance-id', 'i-0000000000000001'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await blox(['sim', 'drain-instance', '--instance-id', 'ci2'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /_sim/instances/i-0000000000000001/remove',
      'POST /_sim/instances/ci2/drain',
    ]);
  });

  it('an unknown instance is the API’s 404, not "not the local stack"', async () => {
    api.handle((request) =>
      request.method === 'GET'
        ? { status: 200, body: { Instances: INSTANCES } }
        : { status: 404, body: { error: { code: 'NotFound', message: 'no instance i-nope' } } },
    );
    expect(await blox(['sim', 'remove-instance', '--instance-id', 'i-nope'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: no instance i-nope\n',
    });
  });
});

describe('sim list-tasks', () => {
  it('GETs /_sim/tasks?environment=NAME; --table prints TASK INSTANCE REVISION STATUS HEALTH', async () => {
    api.handle(answer(200, { Tasks: TASKS }));
    const result = await blox(['sim', 'list-tasks', '--environment-name', 'SomeEnvironment/Prod', '--table']);
    expect(api.requests[0]).toMatchObject({ method: 'GET', url: '/_sim/tasks?environment=SomeEnvironment%2FProd' });
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'TASK                                INSTANCE              REVISION                  STATUS       HEALTH\n' +
        '5f1e2d3c4b5a69788796a5b4c3d2e1f0    i-0000000000000001    SomeEnvironment/Prod:2    RUNNING      HEALTHY\n' +
        '0a0b0c0d0e0f00112233445566778899    i-0000000000000002    SomeEnvironment/Prod:9    STOPPED      UNKNOWN (CannotPullContainerError: image not found)\n',
    });
  });

  it('without --environment-name asks for every task, as JSON', async () => {
    api.handle(answer(200, { Tasks: TASKS }));
    const result = await blox(['sim', 'list-tasks']);
    expect(api.requests[0]!.url).toBe('/_sim/tasks');
    expect(JSON.parse(result.stdout)).toEqual({ Tasks: TASKS });
  });
});

describe('sim set-task-definition', () => {
  it('POSTs the behaviour, prints nothing', async () => {
    api.handle(answer(200, {}));
    const result = await blox([
      'sim',
      'set-task-definition',
      '--task-definition',
      'log-daemon:9',
      '--fail-start',
      'CannotPullContainerError: image not found',
      '--start-seconds',
      '2.5',
      '--crash-after-seconds',
      '30',
      '--unhealthy',
    ]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/_sim/task-definitions' });
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      TaskDefinition: 'log-daemon:9',
      FailStart: 'CannotPullContainerError: image not found',
      StartSeconds: 2.5,
      CrashAfterSeconds: 30,
      Unhealthy: true,
    });
  });

  it('--healthy alone; bad values and --healthy with --unhealthy are usage errors', async () => {
    api.handle(answer(200, {}));
    expect((await blox(['sim', 'set-task-definition', '--task-definition', 'log-daemon:3', '--healthy'])).code).toBe(0);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ TaskDefinition: 'log-daemon:3', Healthy: true });
    for (const args of [
      ['--task-definition', 'log-daemon'],
      ['--task-definition', 'log-daemon:3', '--healthy', '--unhealthy'],
      ['--task-definition', 'log-daemon:3', '--start-seconds', '-1'],
      [],
    ]) {
      expect((await blox(['sim', 'set-task-definition', ...args])).code, args.join(' ')).toBe(2);
    }
    expect(api.requests).toHaveLength(1);
  });
});

describe('sim set-alarm', () => {
  it('POSTs AlarmName and State', async () => {
    api.handle(answer(200, {}));
    expect(await blox(['sim', 'set-alarm', '--alarm-name', 'log-daemon-errors', '--state', 'ALARM'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/_sim/alarms' });
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ AlarmName: 'log-daemon-errors', State: 'ALARM' });
  });

  it('--state must be ALARM or OK', async () => {
    const result = await blox(['sim', 'set-alarm', '--alarm-name', 'x', '--state', 'INSUFFICIENT_DATA']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ALARM, OK/);
    expect(api.requests).toHaveLength(0);
  });
});

const TARGET_GROUPS = [
  {
    TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/82720221ab88272d',
    TargetGroupName: 'web',
    Protocol: 'HTTP',
    Port: 80,
    HealthCheckIntervalSeconds: 30,
    HealthyThresholdCount: 5,
    UnhealthyThresholdCount: 2,
    LoadBalancerArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/409af549c2e04c29'],
  },
  {
    TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef',
    TargetGroupName: 'api',
    Protocol: 'HTTPS',
    Port: 443,
    HealthCheckIntervalSeconds: 10,
    HealthyThresholdCount: 3,
    UnhealthyThresholdCount: 2,
    LoadBalancerArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shared/fedcba9876543210'],
  },
];

const TARGETS = [
  { Target: { Id: 'i-00000000000000001', Port: 32768 }, HealthCheckPort: '32768', TargetHealth: { State: 'healthy' } },
  {
    Target: { Id: 'i-00000000000000002', Port: 32769 },
    HealthCheckPort: '32769',
    TargetHealth: { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' },
  },
];

const ALARMS = [
  {
    AlarmName: 'daemon-errors',
    AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:daemon-errors',
    StateValue: 'INSUFFICIENT_DATA',
    StateReason: 'Unchecked: Initial alarm creation',
    StateUpdatedTimestamp: '2024-01-01T00:00:00.000Z',
    StateTransitionedTimestamp: '2024-01-01T00:00:00.000Z',
  },
  {
    AlarmName: 'web-5xx',
    AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx',
    StateValue: 'ALARM',
    StateReason: 'Set by blox sim set-alarm',
    StateUpdatedTimestamp: '2024-01-01T00:01:01.000Z',
    StateTransitionedTimestamp: '2024-01-01T00:01:01.000Z',
  },
];

/** The simulator is there (GET /_sim/instances answers), and everything else answers `refusal`. */
const refusing =
  (status: number, error: Record<string, string>): Handler =>
  (request) =>
    request.method === 'GET' && request.path === '/_sim/instances' ? { status: 200, body: { Instances: INSTANCES } } : { status, body: { error } };

describe('sim list-target-groups', () => {
  it('GETs /_sim/target-groups and prints the DescribeTargetGroups answer', async () => {
    api.handle(answer(200, { TargetGroups: TARGET_GROUPS }));
    const result = await blox(['sim', 'list-target-groups']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ TargetGroups: TARGET_GROUPS });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_sim/target-groups']);
  });

  it('--table prints NAME PROTOCOL PORT HEALTH CHECK LOAD BALANCER', async () => {
    api.handle(answer(200, { TargetGroups: TARGET_GROUPS }));
    // NAME 26 wide; PROTOCOL: "PROTOCOL" + 4 = 12; PORT 10; HEALTH CHECK: the longest value (34) + 4 = 38.
    expect(await blox(['sim', 'list-target-groups', '--table'])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'NAME                      PROTOCOL    PORT      HEALTH CHECK                          LOAD BALANCER\n' +
        'web                       HTTP        80        every 30 s, healthy 5, unhealthy 2    web\n' +
        'api                       HTTPS       443       every 10 s, healthy 3, unhealthy 2    shared\n',
    });
  });
});

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const RULES = [
  {
    LoadBalancerName: 'web-alb',
    LoadBalancerArn: `${ARN}:loadbalancer/app/web-alb/1111111111111111`,
    ListenerArn: `${ARN}:listener/app/web-alb/1111111111111111/2222222222222222`,
    Port: 80,
    RuleArn: `${ARN}:listener-rule/app/web-alb/1111111111111111/2222222222222222/3333333333333333`,
    Priority: '1',
    Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
    Actions: [
      {
        Type: 'forward',
        Order: 1,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: `${ARN}:targetgroup/web-blue/aaaaaaaaaaaaaaaa`, Weight: 100 },
            { TargetGroupArn: `${ARN}:targetgroup/web-green/bbbbbbbbbbbbbbbb`, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ],
    IsDefault: false,
  },
  {
    LoadBalancerName: 'web-alb',
    LoadBalancerArn: `${ARN}:loadbalancer/app/web-alb/1111111111111111`,
    ListenerArn: `${ARN}:listener/app/web-alb/1111111111111111/2222222222222222`,
    Port: 80,
    RuleArn: `${ARN}:listener-rule/app/web-alb/1111111111111111/2222222222222222/4444444444444444`,
    Priority: 'default',
    Conditions: [],
    Actions: [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404' } }],
    IsDefault: true,
  },
  {
    LoadBalancerName: 'web-a',
    LoadBalancerArn: `${ARN}:loadbalancer/app/web-a/5555555555555555`,
    ListenerArn: `${ARN}:listener/app/web-a/5555555555555555/6666666666666666`,
    Port: 80,
    RuleArn: `${ARN}:listener-rule/app/web-a/5555555555555555/6666666666666666/7777777777777777`,
    Priority: 'default',
    Conditions: [],
    Actions: [{ Type: 'forward', Order: 1, TargetGroupArn: `${ARN}:targetgroup/web-a/cccccccccccccccc`, ForwardConfig: { TargetGroups: [{ TargetGroupArn: `${ARN}:targetgroup/web-a/cccccccccccccccc`, Weight: 100 }] } }],
    IsDefault: true,
  },
];

describe('sim list-listener-rules', () => {
  it('GETs /_sim/listener-rules and prints the rules as the simulator answers them', async () => {
    api.handle(answer(200, { Rules: RULES }));
    const result = await blox(['sim', 'list-listener-rules']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ Rules: RULES });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_sim/listener-rules']);
  });

  it('--load-balancer filters (a query parameter); --table prints LOAD BALANCER PORT PRIORITY FORWARD RULE ARN', async () => {
    api.handle(answer(200, { Rules: RULES }));
    // LOAD BALANCER 26 wide; PORT 10; PRIORITY: "PRIORITY" + 4 = 12; FORWARD: "web-blue=100,web-green=0" (24) + 4 = 28.
    expect(await blox(['sim', 'list-listener-rules', '--load-balancer', 'web-alb', '--table'])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'LOAD BALANCER             PORT      PRIORITY    FORWARD                     RULE ARN\n' +
        `web-alb                   80        1           web-blue=100,web-green=0    ${RULES[0]!.RuleArn}\n` +
        `web-alb                   80        default     fixed-response 404          ${RULES[1]!.RuleArn}\n` +
        `web-a                     80        default     web-a=100                   ${RULES[2]!.RuleArn}\n`,
    });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_sim/listener-rules?load-balancer=web-alb']);
  });

  it('an unknown load balancer: the simulator\'s refusal, naming --load-balancer', async () => {
    api.handle(refusing(404, { code: 'LoadBalancerNotFound', message: 'load-balancer: no load balancer "nope" (known: web-alb)', field: 'load-balancer' }));
    expect(await blox(['sim', 'list-listener-rules', '--load-balancer', 'nope'])).toEqual({ code: 1, stdout: '', stderr: 'blox: --load-balancer: no load balancer "nope" (known: web-alb)\n' });
  });
});

describe('sim describe-target-health', () => {
  it('GETs /_sim/target-groups/{name}/health; --table prints TARGET PORT STATE REASON', async () => {
    api.handle(answer(200, { TargetHealthDescriptions: TARGETS }));
    const json = await blox(['sim', 'describe-target-health', '--target-group', 'web']);
    expect(JSON.parse(json.stdout)).toEqual({ TargetHealthDescriptions: TARGETS });
    expect(await blox(['sim', 'describe-target-health', '--target-group', 'web', '--table'])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'TARGET                    PORT      STATE        REASON\n' +
        'i-00000000000000001       32768     healthy\n' +
        'i-00000000000000002       32769     unhealthy    Target.ResponseCodeMismatch: Health checks failed with these codes: [500]\n',
    });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_sim/target-groups/web/health', 'GET /_sim/target-groups/web/health']);
  });

  it('an ARN is sent encoded; without --target-group: exit 2, no request', async () => {
    api.handle(answer(200, { TargetHealthDescriptions: [] }));
    await blox(['sim', 'describe-target-health', '--target-group', TARGET_GROUPS[0]!.TargetGroupArn]);
    expect(api.requests[0]!.path).toBe(`/_sim/target-groups/${encodeURIComponent(TARGET_GROUPS[0]!.TargetGroupArn)}/health`);
    api.requests.length = 0;
    const result = await blox(['sim', 'describe-target-health']);
    expect(result).toEqual({ code: 2, stdout: '', stderr: "blox: required option '--target-group <name>' not specified\n" });
    expect(api.requests).toHaveLength(0);
  });

  it('an unknown target group: the refusal names --target-group, exit 1', async () => {
    api.handle(refusing(404, { code: 'TargetGroupNotFound', message: 'TargetGroup: no target group "nope" (known: web)', field: 'TargetGroup' }));
    expect(await blox(['sim', 'describe-target-health', '--target-group', 'nope'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: --target-group: no target group "nope" (known: web)\n',
    });
  });
});

describe('sim list-alarms', () => {
  it('GETs /_sim/alarms (?state= with --state-value) and prints the DescribeAlarms answer', async () => {
    api.handle(answer(200, { MetricAlarms: ALARMS, CompositeAlarms: [] }));
    expect(JSON.parse((await blox(['sim', 'list-alarms'])).stdout)).toEqual({ MetricAlarms: ALARMS, CompositeAlarms: [] });
    await blox(['sim', 'list-alarms', '--state-value', 'ALARM']);
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_sim/alarms', 'GET /_sim/alarms?state=ALARM']);
  });

  it('--table prints ALARM STATE SINCE REASON', async () => {
    api.handle(answer(200, { MetricAlarms: ALARMS, CompositeAlarms: [] }));
    // STATE: "INSUFFICIENT_DATA" (17) + 2 = 19 wide; SINCE: an ISO instant (24) + 4 = 28.
    expect(await blox(['sim', 'list-alarms', '--table'])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'ALARM                     STATE              SINCE                       REASON\n' +
        'daemon-errors             INSUFFICIENT_DATA  2024-01-01T00:00:00.000Z    Unchecked: Initial alarm creation\n' +
        'web-5xx                   ALARM              2024-01-01T00:01:01.000Z    Set by blox sim set-alarm\n',
    });
  });

  it('a --state-value that is no alarm state: exit 2, no request', async () => {
    const result = await blox(['sim', 'list-alarms', '--state-value', 'RED']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("blox: option '--state-value <state>' argument 'RED' is invalid. Allowed choices are OK, ALARM, INSUFFICIENT_DATA.\n");
    expect(api.requests).toHaveLength(0);
  });
});

describe('sim set-alarm against the simulated CloudWatch', () => {
  it('an unknown alarm: the refusal names --alarm-name, exit 1', async () => {
    api.handle(refusing(404, { code: 'ResourceNotFound', message: 'AlarmName: no alarm "nope" (known: daemon-errors, web-5xx)', field: 'AlarmName' }));
    expect(await blox(['sim', 'set-alarm', '--alarm-name', 'nope', '--state', 'ALARM'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: --alarm-name: no alarm "nope" (known: daemon-errors, web-5xx)\n',
    });
  });

  it('throttled by CloudWatch: the 429 is reported as it is', async () => {
    api.handle(answer(429, { error: { code: 'Throttling', message: 'Throttling: Rate exceeded' } }));
    expect(await blox(['sim', 'set-alarm', '--alarm-name', 'web-5xx', '--state', 'OK'])).toEqual({ code: 1, stdout: '', stderr: 'blox: Throttling: Rate exceeded\n' });
  });
});

describe('sim set-task-definition --error-rate', () => {
  it('POSTs ErrorRate, alone or with the other behaviours', async () => {
    api.handle(answer(200, {}));
    expect(await blox(['sim', 'set-task-definition', '--task-definition', 'web:2', '--error-rate', '0.2'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await blox(['sim', 'set-task-definition', '--task-definition', 'web:3', '--error-rate', '1', '--unhealthy', '--start-seconds', '3'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await blox(['sim', 'set-task-definition', '--task-definition', 'web:2', '--error-rate', '0'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(api.requests.map((r) => JSON.parse(r.body) as unknown)).toEqual([
      { TaskDefinition: 'web:2', ErrorRate: 0.2 },
      { TaskDefinition: 'web:3', ErrorRate: 1, Unhealthy: true, StartSeconds: 3 },
      { TaskDefinition: 'web:2', ErrorRate: 0 },
    ]);
  });

  it('a rate outside 0-1 is a usage error naming --error-rate: exit 2, no request', async () => {
    for (const rate of ['2', '-0.1', '20%', 'lots', '']) {
      const result = await blox(['sim', 'set-task-definition', '--task-definition', 'web:2', '--error-rate', rate]);
      expect(result.code, rate).toBe(2);
      expect(result.stderr).toBe(`blox: option '--error-rate <share>' argument '${rate}' is invalid. expected a share of requests from 0 to 1 (e.g. 0.2).\n`);
    }
    expect(api.requests).toHaveLength(0);
  });

  it("the simulator's refusal of a field is reported with its flag", async () => {
    api.handle(refusing(400, { code: 'ValidationError', message: 'ErrorRate: expected a share of requests from 0 to 1 (e.g. 0.2)', field: 'ErrorRate' }));
    expect(await blox(['sim', 'set-task-definition', '--task-definition', 'web:2', '--error-rate', '0.5'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: --error-rate: expected a share of requests from 0 to 1 (e.g. 0.2)\n',
    });
  });
});

describe('away from the local stack', () => {
  const refusal = (url: string) => `blox: sim commands only work against the local stack (npm start); BLOX_API_URL is ${url}\n`;

  it('a non-loopback BLOX_API_URL: exit 1 without a request', async () => {
    const url = 'https://abc123.execute-api.us-east-1.amazonaws.com';
    for (const args of [
      ['sim', 'list-instances'],
      ['sim', 'set-alarm', '--alarm-name', 'a', '--state', 'OK'],
      ['sim', 'list-alarms'],
      ['sim', 'list-target-groups'],
      ['sim', 'list-listener-rules'],
      ['sim', 'describe-target-health', '--target-group', 'web'],
    ]) {
      expect(await blox(args, { BLOX_API_URL: url })).toEqual({ code: 1, stdout: '', stderr: refusal(url) });
    }
    expect(api.requests).toHaveLength(0);
  });

  it('an API without /_sim (404 for the route): exit 1 with the same line', async () => {
    // notFound answers every request with 404 NotFound, as the API does for an unknown route.
    expect(await blox(['sim', 'list-tasks'])).toEqual({ code: 1, stdout: '', stderr: refusal(api.url) });
    expect(await blox(['sim', 'drain-instance', '--instance-id', 'i-1'])).toEqual({ code: 1, stdout: '', stderr: refusal(api.url) });
    expect(await blox(['sim', 'add-instances', '--count', '1'])).toEqual({ code: 1, stdout: '', stderr: refusal(api.url) });
    expect(await blox(['sim', 'list-alarms'])).toEqual({ code: 1, stdout: '', stderr: refusal(api.url) });
    expect(await blox(['sim', 'describe-target-health', '--target-group', 'web'])).toEqual({ code: 1, stdout: '', stderr: refusal(api.url) });
  });

  it('other API errors are reported as they are', async () => {
    api.handle(answer(400, { error: { code: 'ValidationError', message: 'Count: expected at most 100' } }));
    expect(await blox(['sim', 'add-instances', '--count', '1000'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: Count: expected at most 100\n',
    });
  });

  it('isLoopbackUrl', () => {
    for (const url of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000/', 'http://127.1.2.3', 'http://LOCALHOST']) {
      expect(isLoopbackUrl(url), url).toBe(true);
    }
    for (const url of ['https://abc.execute-api.eu-west-1.amazonaws.com/prod', 'http://10.0.0.1:3000', 'http://0.0.0.0:3000', 'http://example.com', 'not a url']) {
      expect(isLoopbackUrl(url), url).toBe(false);
    }
  });
});

describe('sim set-desired-count', () => {
  it('POSTs Service, DesiredCount (and Cluster when given) and prints the service', async () => {
    api.handle(answer(200, { service: { serviceName: 'Web-Prod', desiredCount: 5 } }));
    const result = await blox(['sim', 'set-desired-count', '--service', 'Web-Prod', '--desired-count', '5']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ service: { serviceName: 'Web-Prod', desiredCount: 5 } });
    await blox(['sim', 'set-desired-count', '--service', 'Web-Prod', '--desired-count', '0', '--cluster', 'blue']);
    expect(api.requests.map((r) => [r.method, r.url, JSON.parse(r.body) as unknown])).toEqual([
      ['POST', '/_sim/services/desired-count', { Service: 'Web-Prod', DesiredCount: 5 }],
      ['POST', '/_sim/services/desired-count', { Service: 'Web-Prod', DesiredCount: 0, Cluster: 'blue' }],
    ]);
  });

  it('a count that is not a whole number is a usage error naming --desired-count: exit 2, no request', async () => {
    for (const count of ['-1', '2.5', 'many']) {
      const result = await blox(['sim', 'set-desired-count', '--service', 'Web-Prod', '--desired-count', count]);
      expect(result.code, count).toBe(2);
      expect(result.stderr).toContain('--desired-count');
    }
    expect(api.requests).toHaveLength(0);
  });

  it('an unknown service is reported with its flag', async () => {
    api.handle(refusing(404, { code: 'NotFound', message: 'Service: no service "api" in cluster "default"', field: 'Service' }));
    expect(await blox(['sim', 'set-desired-count', '--service', 'api', '--desired-count', '3'])).toEqual({ code: 1, stdout: '', stderr: 'blox: --service: no service "api" in cluster "default"\n' });
  });
});

const RECORDS = [
  { Name: 'example.internal.', Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: 'ns-1.awsdns-08.com.' }] },
  { Name: 'web.example.internal.', Type: 'A', SetIdentifier: 'blue', Weight: 90, AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'web-a.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: false }, Target: 'web-a', ChangeId: '/change/C1', ChangeStatus: 'INSYNC' },
  { Name: 'web.example.internal.', Type: 'A', SetIdentifier: 'green', Weight: 10, AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'web-b.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: false }, Target: 'web-b', ChangeId: '/change/C2', ChangeStatus: 'PENDING' },
];

describe('sim list-records', () => {
  it('GETs /_sim/hosted-zones/{zone}/records and prints the answer; --table prints NAME TYPE SET ID WEIGHT TARGET CHANGE', async () => {
    const body = { HostedZone: { Id: '/hostedzone/ZEXAMPLE', Name: 'example.internal.' }, ResourceRecordSets: RECORDS };
    api.handle(answer(200, body));
    const json = await blox(['sim', 'list-records', '--hosted-zone', 'example.internal']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(body);
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_sim/hosted-zones/example.internal/records']);
    // NAME: the longest (21) + 4 = 25, at least 26; TYPE, SET ID: at least 10; WEIGHT 10; TARGET: the longest (19) + 4 = 23.
    expect(await blox(['sim', 'list-records', '--hosted-zone', 'example.internal', '--table'])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'NAME                      TYPE      SET ID    WEIGHT    TARGET                 CHANGE\n' +
        'example.internal.         NS        -         -         ns-1.awsdns-08.com.    -\n' +
        'web.example.internal.     A         blue      90        web-a                  INSYNC\n' +
        'web.example.internal.     A         green     10        web-b                  PENDING\n',
    });
  });

  it('an unknown zone: the refusal names --hosted-zone', async () => {
    api.handle(refusing(404, { code: 'NoSuchHostedZone', message: 'HostedZone: no hosted zone "nope" (known: example.internal (ZEXAMPLE))', field: 'HostedZone' }));
    const result = await blox(['sim', 'list-records', '--hosted-zone', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('blox: --hosted-zone: no hosted zone "nope" (known: example.internal (ZEXAMPLE))\n');
  });
});

describe('sim list-functions and set-function', () => {
  const FUNCTIONS = [
    { FunctionName: 'smoke-ok', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke-ok', Answer: 'SUCCEEDED', Invocations: 2 },
    { FunctionName: 'smoke-fail', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke-fail', Answer: 'IN_PROGRESS', CallBackDelaySeconds: 30, Invocations: 0 },
  ];

  it('list-functions GETs /_sim/functions; --table prints FUNCTION ANSWER CALL BACK INVOCATIONS', async () => {
    api.handle(answer(200, { Functions: FUNCTIONS }));
    expect(JSON.parse((await blox(['sim', 'list-functions'])).stdout)).toEqual({ Functions: FUNCTIONS });
    expect(await blox(['sim', 'list-functions', '--table'])).toEqual({
      code: 0,
      stderr: '',
      stdout: 'FUNCTION                  ANSWER         CALL BACK    INVOCATIONS\n' + 'smoke-ok                  SUCCEEDED      -            2\n' + 'smoke-fail                IN_PROGRESS    30 s         0\n',
    });
  });

  it('set-function POSTs { FunctionName, Answer, CallBackDelaySeconds } and prints the function', async () => {
    api.handle(answer(200, FUNCTIONS[1]));
    const result = await blox(['sim', 'set-function', '--function-name', 'smoke-fail', '--answer', 'IN_PROGRESS', '--call-back-delay', '30']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(FUNCTIONS[1]);
    expect(api.requests.map((r) => [`${r.method} ${r.url}`, JSON.parse(r.body) as unknown])).toEqual([['POST /_sim/functions', { FunctionName: 'smoke-fail', Answer: 'IN_PROGRESS', CallBackDelaySeconds: 30 }]]);
  });

  it('refuses an answer not in the list, a delay without IN_PROGRESS, a delay that is no whole number — sending nothing; an unknown function names --function-name', async () => {
    expect((await blox(['sim', 'set-function', '--function-name', 'smoke-ok', '--answer', 'MAYBE'])).code).not.toBe(0);
    expect((await blox(['sim', 'set-function', '--function-name', 'smoke-ok', '--answer', 'FAILED', '--call-back-delay', '5'])).stderr).toBe('blox: --call-back-delay: only with --answer IN_PROGRESS\n');
    expect((await blox(['sim', 'set-function', '--function-name', 'smoke-ok', '--answer', 'IN_PROGRESS', '--call-back-delay', '1.5'])).code).not.toBe(0);
    expect(api.requests).toHaveLength(0);
    api.handle(refusing(404, { code: 'ResourceNotFoundException', message: 'FunctionName: no function "nope" (known: smoke-ok)', field: 'FunctionName' }));
    expect((await blox(['sim', 'set-function', '--function-name', 'nope', '--answer', 'FAILED'])).stderr).toBe('blox: --function-name: no function "nope" (known: smoke-ok)\n');
  });
});
