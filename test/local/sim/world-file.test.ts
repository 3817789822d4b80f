import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../local/sim/clock';
import { DEFAULT_SIM_SERVICES } from '../../../local/sim/kernel';
import { createWorld, DEFAULT_WORLD_FILE, parseWorldDescription, readWorldFile, simServicesOf, WorldFileError } from '../../../local/sim/world-file';
import { START, T0 } from './helpers';

describe('the default world (local/cluster.yml)', () => {
  const description = readWorldFile();

  it('is 5 stack=prod and 1 stack=gamma instances of 2048 CPU / 4096 MiB', async () => {
    const world = createWorld(description, { clock: new VirtualClock(T0) });
    expect(await world.listContainerInstances('default', 'attribute:stack == prod')).toHaveLength(5);
    expect(await world.listContainerInstances('default', 'attribute:stack == gamma')).toHaveLength(1);
    expect(await world.listContainerInstances('default', 'attribute:stack in [prod, gamma]')).toHaveLength(6);
    for (const instance of await world.listContainerInstances('default')) expect(instance.registered).toEqual({ cpu: 2048, memory: 4096 });
  });

  it('fits two log-daemon copies per instance and not a third; starts in 2 s, stops in 1 s', async () => {
    const clock = new VirtualClock(T0);
    const world = createWorld(description, { clock });
    const [instance] = await world.listContainerInstances('default', 'attribute:stack == prod');
    const start = (taskDefinition: string) => world.startTask({ ...START, taskDefinition, containerInstances: [instance!.arn] });
    const first = await start('log-daemon:1');
    expect((await start('log-daemon:2')).tasks).toHaveLength(1); // the family entry covers other revisions
    expect((await start('log-daemon:1')).failures).toEqual([{ arn: instance!.arn, reason: 'RESOURCE:CPU' }]);
    clock.advance(2000);
    expect(world.describeTask(first.tasks[0]!.arn)?.lastStatus).toBe('RUNNING');
    await world.stopTask('default', first.tasks[0]!.arn, 'bye');
    clock.advance(1000);
    expect(world.describeTask(first.tasks[0]!.arn)?.lastStatus).toBe('STOPPED');
    expect(world.taskBehaviour('other:1')).toMatchObject({ cpu: 512, memory: 1024 });
  });

  it('has target group web in cluster default (web tasks registered), web-alb over web-blue / web-green, web-a and web-b, alarms web-5xx, web-alb-5xx, web-dns-5xx and daemon-errors, hosted zone example.internal (web: blue 100 / green 0), functions smoke-ok and smoke-fail: DEFAULT_SIM_SERVICES', () => {
    expect(simServicesOf(description)).toEqual({
      targetGroups: {
        web: { cluster: 'default', registerTasksOf: 'web' },
        'web-blue': { loadBalancer: 'web-alb' },
        'web-green': { loadBalancer: 'web-alb' },
        'web-a': {},
        'web-b': {},
      },
      loadBalancers: {
        'web-alb': {
          requestsPerSecond: 100,
          listeners: [
            { port: 80, rules: [{ priority: 1, forward: { 'web-blue': 100, 'web-green': 0 } }] },
            { port: 8080, rules: [{ priority: 1, forward: { 'web-green': 100 } }] },
          ],
        },
        'web-a': { requestsPerSecond: 100, listeners: [{ port: 80, defaultForward: { 'web-a': 100 } }] },
        'web-b': { requestsPerSecond: 0, listeners: [{ port: 80, defaultForward: { 'web-b': 100 } }] },
      },
      traffic: {},
      alarms: {
        'web-5xx': { targetGroup5xxPercent: 'web', threshold: 5, description: '5xx rate of target group web above 5 %' },
        'web-alb-5xx': { loadBalancer5xxPercent: 'web-alb', threshold: 5, description: '5xx rate of load balancer web-alb above 5 %' },
        'web-dns-5xx': { loadBalancer5xxPercent: ['web-a', 'web-b'], threshold: 5, description: '5xx rate of load balancers web-a and web-b (behind web.example.internal) above 5 %' },
        'daemon-errors': { taskFamilyErrors: 'log-daemon', threshold: 0, description: 'errors of task family log-daemon' },
      },
      hostedZones: {
        'example.internal': {
          records: { 'web.example.internal': { requestsPerSecond: 100, weighted: { blue: { loadBalancer: 'web-a', weight: 100 }, green: { loadBalancer: 'web-b', weight: 0 } } } },
        },
      },
      route53: { changePropagationSeconds: 60 },
      functions: { 'smoke-ok': { answer: 'SUCCEEDED' }, 'smoke-fail': { answer: 'FAILED' } },
    });
    expect(simServicesOf(description)).toEqual(DEFAULT_SIM_SERVICES);
  });

  it('the path points into local/', () => {
    expect(DEFAULT_WORLD_FILE.endsWith(join('local', 'cluster.yml'))).toBe(true);
  });
});

describe('parseWorldDescription', () => {
  it('reads the brief\'s example, with defaults', () => {
    const description = parseWorldDescription(`
clusters:
  default:
    instances:
      - count: 5
        attributes: { stack: prod }
        cpu: 2048
        memory: 4096
      - count: 1
        attributes: { stack: gamma, rack: 3, spot: true, marker: null }
taskDefinitions:
  "log-daemon:1": { cpu: 1024, memory: 2048, startSeconds: 2, stopSeconds: 1 }
  broken: { failStart: "CannotPullContainerError: denied", health: none }
`);
    expect(description).toEqual({
      clusters: {
        default: {
          instances: [
            { count: 5, attributes: { stack: 'prod' }, cpu: 2048, memory: 4096 },
            { count: 1, attributes: { stack: 'gamma', rack: '3', spot: 'true', marker: undefined } },
          ],
        },
      },
      taskDefinitions: {
        'log-daemon:1': { cpu: 1024, memory: 2048, startSeconds: 2, stopSeconds: 1 },
        broken: { failStart: 'CannotPullContainerError: denied', health: 'none' },
      },
    });
    expect(parseWorldDescription('')).toEqual({ clusters: {}, taskDefinitions: {} });
    expect(parseWorldDescription('clusters: { default: {} }')).toEqual({ clusters: { default: { instances: [] } }, taskDefinitions: {} });
  });

  it.each([
    ['clusters: { default: { instances: [ { cpu: lots } ] } }', 'clusters.default.instances[0].cpu', /expected a whole number >= 1, got "lots"/],
    ['clusters: { default: { instances: [ { count: 1.5 } ] } }', 'clusters.default.instances[0].count', /expected a whole number/],
    ['clusters: { default: { instances: [ { cout: 2 } ] } }', 'clusters.default.instances[0].cout', /unknown field \(expected one of count, attributes, cpu, memory/],
    ['clusters: { default: { instance: [] } }', 'clusters.default.instance', /unknown field \(expected one of instances\)/],
    ['clusterz: {}', 'clusterz', /unknown field \(expected one of clusters, taskDefinitions, rateLimits, targetGroups, loadBalancers, traffic, alarms, quotas, hostedZones, route53, functions\)/],
    ['rateLimits: true', 'rateLimits', /expected a mapping, got true/],
    ['rateLimits: { spacing: 1 }', 'rateLimits.spacing', /unknown field \(expected one of callSpacingMs, buckets\)/],
    ['rateLimits: { buckets: { reads: {} } }', 'rateLimits.buckets.reads', /unknown field \(expected one of cluster-resource-read, cluster-resource-modify\)/],
    ['rateLimits: { buckets: { cluster-resource-read: { burst: 0, sustainedPerSecond: 20 } } }', 'rateLimits.buckets.cluster-resource-read.burst', /expected a whole number >= 1/],
    ['rateLimits: { buckets: { cluster-resource-modify: { burst: 10, sustainedPerSecond: 0 } } }', 'rateLimits.buckets.cluster-resource-modify.sustainedPerSecond', /expected a number of calls a second > 0/],
    ['rateLimits: { callSpacingMs: -5 }', 'rateLimits.callSpacingMs', /expected a number of milliseconds >= 0/],
    ['clusters: { default: { instances: [ { attributes: { stack: [a] } } ] } }', 'clusters.default.instances[0].attributes.stack', /expected a text value, got a list/],
    ['clusters: { default: { instances: [ { attributes: { "bad name": x } } ] } }', 'clusters.default.instances[0].attributes."bad name"', /not an attribute name/],
    ['clusters: { "bad/name": {} }', 'clusters."bad/name"', /not a cluster name/],
    ['taskDefinitions: { "log-daemon:0": {} }', 'taskDefinitions."log-daemon:0"', /expected "family:revision"/],
    ['taskDefinitions: { "x:1": { health: sometimes } }', 'taskDefinitions.x:1.health', /expected healthy, unhealthy or none/],
    ['taskDefinitions: { "x:1": { stopSeconds: -1 } }', 'taskDefinitions.x:1.stopSeconds', /expected a number of seconds >= 0/],
    ['taskDefinitions: { "x:1": { startSecs: 1 } }', 'taskDefinitions.x:1.startSecs', /unknown field \(expected one of cpu, memory, startSeconds/],
    ['clusters: [a, b]', 'clusters', /expected a mapping, got a list/],
    ['targetGroups: [web]', 'targetGroups', /expected a mapping, got a list/],
    ['targetGroups: { web: { prot: HTTP } }', 'targetGroups.web.prot', /unknown field \(expected one of cluster, port, protocol, loadBalancer, healthCheckIntervalSeconds/],
    ['targetGroups: { web: { protocol: TCP } }', 'targetGroups.web.protocol', /expected HTTP or HTTPS/],
    ['targetGroups: { web: { healthCheckIntervalSeconds: 3 } }', 'targetGroups.web.healthCheckIntervalSeconds', /Member must have value greater than or equal to 5 \(got 3\)/],
    ['targetGroups: { web: { healthyThresholdCount: 11 } }', 'targetGroups.web.healthyThresholdCount', /Member must have value less than or equal to 10 \(got 11\)/],
    ['targetGroups: { web: { healthCheckIntervalSeconds: 10, healthCheckTimeoutSeconds: 10 } }', 'targetGroups.web.healthCheckTimeoutSeconds', /interval must be greater than the timeout/],
    ['targetGroups: { web: { deregistrationDelaySeconds: 3601 } }', 'targetGroups.web.deregistrationDelaySeconds', /must be between 0 and 3600/],
    ['targetGroups: { web_1: {} }', 'targetGroups.web_1', /can contain only alphanumeric characters or hyphens/],
    ['targetGroups: { web: { cluster: "a/b" } }', 'targetGroups.web.cluster', /not a cluster name/],
    ['targetGroups: { web: { registerTasksOf: "web:1" } }', 'targetGroups.web.registerTasksOf', /expected a task definition family/],
    ['traffic: { "web:0": { errorRate: 0.1 } }', 'traffic."web:0"', /expected "family:revision"/],
    ['traffic: { "web:1": { errorRate: 1.5 } }', 'traffic.web:1.errorRate', /expected a share between 0 and 1/],
    ['traffic: { "web:1": { errors: 1 } }', 'traffic.web:1.errors', /unknown field \(expected one of errorRate, requestsPerSecond\)/],
    ['alarms: { web-5xx: { targetGroup5xxPercent: api } }', 'alarms.web-5xx.targetGroup5xxPercent', /no target group named api/],
    ['targetGroups: { web: {} }\nalarms: { a: { targetGroup5xxPercent: web, periodSeconds: 90 } }', 'alarms.a.periodSeconds', /expected a multiple of 60/],
    ['alarms: { a: { taskFamilyErrors: log-daemon, evaluationPeriods: 1441 } }', 'alarms.a', /must not exceed 86400/],
    ['alarms: { a: { taskFamilyErrors: "log-daemon:1" } }', 'alarms.a.taskFamilyErrors', /expected a task definition family/],
    ['alarms: { a: { treshold: 1 } }', 'alarms.a', /expected one of \{ targetGroup5xxPercent: <target group>, … \}, \{ loadBalancer5xxPercent: <load balancer>, … \}, \{ taskFamilyErrors: <family>, … \}, \{ metricAlarm/],
    ['alarms: { a: { loadBalancer5xxPercent: alb } }', 'alarms.a.loadBalancer5xxPercent', /no load balancer named alb/],
    ['loadBalancers: { alb: { listener: [] } }', 'loadBalancers.alb.listener', /unknown field \(expected one of requestsPerSecond, listeners\)/],
    ['loadBalancers: { alb: { requestsPerSecond: -1 } }', 'loadBalancers.alb.requestsPerSecond', /expected a number of requests a second >= 0/],
    ['loadBalancers: { alb: { listeners: [{ port: 0 }] } }', 'loadBalancers.alb.listeners[0].port', /expected a port, 1-65535/],
    ['loadBalancers: { alb: { listeners: [{ port: 80, rule: [] }] } }', 'loadBalancers.alb.listeners[0].rule', /unknown field \(expected one of port, protocol, requestsPerSecond, defaultForward, rules\)/],
    ['loadBalancers: { alb: { listeners: [{ port: 80, rules: [{ priority: 1, forward: { blue: 1000 } }] }] } }', 'loadBalancers.alb.listeners[0].rules[0].forward.blue', /expected a weight, a whole number 0-999/],
    ['loadBalancers: { alb: { listeners: [{ port: 80, rules: [{ priority: 0, forward: {} }] }] } }', 'loadBalancers.alb.listeners[0].rules[0].priority', /expected a priority, 1-50000/],
    ['loadBalancers: { alb: { listeners: [{ port: 80, rules: [{ priority: 1, forward: { blue: 1 } }] }] } }', 'loadBalancers.alb.listeners[0].rules[0].forward.blue', /no target group named blue in targetGroups/],
    ['targetGroups: { blue: {} }\nloadBalancers: { alb: { listeners: [{ port: 80, defaultForward: { blue: 1 } }] } }', 'loadBalancers.alb.listeners[0].defaultForward.blue', /target group blue is on load balancer blue/],
    ['targetGroups: { blue: { loadBalancer: alb } }\nloadBalancers: { alb: { listeners: [{ port: 80, rules: [{ priority: 1, forward: {} }] }] } }', 'loadBalancers.alb.listeners[0].rules[0].forward', /expected at least one target group/],
    ['targetGroups: { blue: { loadBalancer: alb } }\nloadBalancers: { alb: { listeners: [{ port: 80, rules: [{ priority: 1, forward: { blue: 1 } }, { priority: 1, forward: { blue: 1 } }] }] } }', 'loadBalancers.alb.listeners[0].rules[1].priority', /priority 1 is already used/],
    ['targetGroups: { blue: { loadBalancer: alb } }\nloadBalancers: { alb: { listeners: [{ port: 80 }, { port: 80 }] } }', 'loadBalancers.alb.listeners[1].port', /another listener of alb is on port 80/],
  ])('refuses %s naming %s', (text, field, message) => {
    let error: unknown;
    try {
      parseWorldDescription(text, 'cluster.yml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WorldFileError);
    expect((error as WorldFileError).message).toMatch(/^cluster\.yml: /);
    expect((error as WorldFileError).message).toMatch(message);
    expect((error as WorldFileError).message).toContain(field.replace('x:1', '"x:1"').replace('web:1', '"web:1"'));
    // The simulated services' sections: `field` is the path as the message shows it.
    if (/^(targetGroups|loadBalancers|traffic|alarms)\b/.test(field)) expect((error as WorldFileError).field).toBe(field.replace('web:1', '"web:1"'));
  });

  it('reads the services sections; a file without them describes none', () => {
    const description = parseWorldDescription(`
targetGroups:
  web: { cluster: default, registerTasksOf: web, healthCheckIntervalSeconds: 10, healthyThresholdCount: 2 }
  api: {}
traffic:
  "web:2": { errorRate: 0.2 }
  log-daemon: { requestsPerSecond: 5 }
alarms:
  web-5xx: { targetGroup5xxPercent: web }
  api-5xx: { targetGroup5xxPercent: api, threshold: 1, evaluationPeriods: 5, datapointsToAlarm: 2, treatMissingData: breaching }
  custom: { metricAlarm: { Namespace: App, MetricName: Latency, Statistic: Average, Period: 60, EvaluationPeriods: 1, Threshold: 250, ComparisonOperator: GreaterThanThreshold } }
`);
    expect(simServicesOf(description)).toEqual({
      targetGroups: { web: { cluster: 'default', registerTasksOf: 'web', healthCheckIntervalSeconds: 10, healthyThresholdCount: 2 }, api: {} },
      traffic: { 'web:2': { errorRate: 0.2 }, 'log-daemon': { requestsPerSecond: 5 } },
      alarms: {
        'web-5xx': { targetGroup5xxPercent: 'web' },
        'api-5xx': { targetGroup5xxPercent: 'api', threshold: 1, evaluationPeriods: 5, datapointsToAlarm: 2, treatMissingData: 'breaching' },
        custom: { metricAlarm: { Namespace: 'App', MetricName: 'Latency', Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 250, ComparisonOperator: 'GreaterThanThreshold' } },
      },
    });
    expect(simServicesOf(parseWorldDescription('clusters: { default: {} }'))).toEqual({ targetGroups: {}, traffic: {}, alarms: {} });
  });

  it('quotas: the targets per target group raised, as Service Quotas allows; a quota that is not a whole number >= 1 is refused naming the field', () => {
    expect(simServicesOf(parseWorldDescription('quotas: { targetsPerTargetGroup: 2000 }')).quotas).toEqual({ targetsPerTargetGroup: 2000 });
    expect(() => parseWorldDescription('quotas: { targetsPerTargetGroup: 0 }')).toThrow(/quotas\.targetsPerTargetGroup: expected a whole number >= 1/);
    expect(() => parseWorldDescription('quotas: { targetsPerLoadBalancer: 5 }')).toThrow(/quotas/);
  });

  it('hostedZones, route53 and functions: read as written', () => {
    const description = parseWorldDescription(`
hostedZones:
  example.internal:
    id: ZFIXED1
    records:
      web.example.internal:
        weighted:
          blue: { loadBalancer: web-a, weight: 255 }
      old.example.internal:
        weighted:
          legacy: { cname: old.example.com, ttl: 30, weight: 0 }
route53: { changePropagationSeconds: 5 }
functions:
  slow: { answer: IN_PROGRESS, callBackDelaySeconds: 45 }
`);
    expect(simServicesOf(description)).toMatchObject({
      hostedZones: { 'example.internal': { id: 'ZFIXED1', records: { 'web.example.internal': { weighted: { blue: { loadBalancer: 'web-a', weight: 255 } } }, 'old.example.internal': { weighted: { legacy: { cname: 'old.example.com', ttl: 30, weight: 0 } } } } } },
      route53: { changePropagationSeconds: 5 },
      functions: { slow: { answer: 'IN_PROGRESS', callBackDelaySeconds: 45 } },
    });
  });

  it('hostedZones, route53 and functions: a refusal names the field', () => {
    const refused = (yaml: string) => {
      try {
        parseWorldDescription(yaml, 'cluster.yml');
      } catch (error) {
        return [(error as WorldFileError).field, (error as Error).message];
      }
      throw new Error('expected a refusal');
    };
    expect(refused('hostedZones: { example.internal: { records: { web.example.internal: { weighted: { blue: { loadBalancer: web-a, weight: 256 } } } } } }')).toEqual([
      'hostedZones."example.internal".records."web.example.internal".weighted.blue.weight',
      'cluster.yml: hostedZones."example.internal".records."web.example.internal".weighted.blue.weight: expected a whole number 0-255',
    ]);
    expect(refused('hostedZones: { example.internal: { records: { web.example.internal: { weighted: { blue: { weight: 1 } } } } } }')[1]).toBe(
      'cluster.yml: hostedZones."example.internal".records."web.example.internal".weighted.blue: expected exactly one of loadBalancer (an A alias) or cname',
    );
    expect(refused('hostedZones: { example.internal: { records: { web.other.internal: { weighted: { blue: { loadBalancer: web-a, weight: 1 } } } } } }')).toEqual([
      'hostedZones."example.internal".records."web.other.internal"',
      'cluster.yml: hostedZones."example.internal".records."web.other.internal": RRSet with DNS name web.other.internal. is not permitted in zone example.internal.',
    ]);
    expect(refused('hostedZones: { example.internal: { records: { web.example.internal: { weighted: { blue: { loadBalancer: web-a, weight: 1, colour: blue } } } } } }')[1]).toMatch(
      /weighted\.blue\.colour: unknown field \(expected one of weight, loadBalancer, cname, ttl\)/,
    );
    expect(refused('route53: { changePropagationSeconds: -1 }')[1]).toBe('cluster.yml: route53.changePropagationSeconds: expected a number of seconds >= 0');
    expect(refused('functions: { smoke: { answer: MAYBE } }')[1]).toBe('cluster.yml: functions.smoke.answer: expected one of SUCCEEDED, FAILED, IN_PROGRESS, ERROR');
    expect(refused('functions: { smoke: { answer: IN_PROGRESS, callBackDelaySeconds: 1.5 } }')[0]).toBe('functions.smoke.callBackDelaySeconds');
  });

  it('refuses YAML that does not parse, and a missing file', () => {
    expect(() => parseWorldDescription('clusters: [', 'w.yml')).toThrow(/^w\.yml: not valid YAML/);
    expect(() => readWorldFile('/nonexistent/world.yml')).toThrow(WorldFileError);
  });
});

describe('rateLimits in the world file', () => {
  it('absent: ECS`s limits; false: off; a mapping: over ECS`s; an explicit option wins', () => {
    const clock = new VirtualClock(T0);
    const read = 'cluster-resource-read';
    expect(createWorld(parseWorldDescription(''), { clock }).rateLimitTokens(read)).toBe(100);
    const off = parseWorldDescription('rateLimits: false');
    expect(off).toEqual({ clusters: {}, taskDefinitions: {}, rateLimits: false });
    expect(createWorld(off, { clock }).rateLimitTokens(read)).toBeUndefined();
    const custom = parseWorldDescription('rateLimits: { callSpacingMs: 0, buckets: { cluster-resource-read: { burst: 10, sustainedPerSecond: 2 } } }');
    expect(custom.rateLimits).toEqual({ callSpacingMs: 0, buckets: { [read]: { burst: 10, sustainedPerSecond: 2 } } });
    const world = createWorld(custom, { clock });
    expect(world.rateLimitTokens(read)).toBe(10);
    expect(world.rateLimitTokens('cluster-resource-modify')).toBe(100);
    expect(createWorld(custom, { clock, rateLimits: false }).rateLimitTokens(read)).toBeUndefined();
  });
});

describe('readWorldFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blox-world-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and builds a world with several clusters', async () => {
    const path = join(dir, 'world.yml');
    writeFileSync(path, 'clusters:\n  default: { instances: [ { count: 2 } ] }\n  batch: { instances: [ { count: 3, instanceType: c5.large, cpu: 2048, memory: 4096 } ] }\n');
    const world = createWorld(readWorldFile(path), { clock: new VirtualClock(T0) });
    expect(await world.listContainerInstances('default')).toHaveLength(2);
    const batch = await world.listContainerInstances('batch', 'attribute:ecs.instance-type == c5.large');
    expect(batch).toHaveLength(3);
    expect(batch[0]!.arn).toContain(':container-instance/batch/');
  });
});
