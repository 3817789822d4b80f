/**
 * The ECS adapter against a mocked ECS client: the requests it sends (pagination, chunks of 100,
 * the normalised filter, tags), the mapping of ECS's answers to the port's shapes, and errors
 * passed through unchanged.
 */
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StartTaskCommand,
  ServerException,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import type { ContainerInstance as EcsContainerInstance, Task as EcsTask } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEcsClient, EcsCluster, normaliseFilter } from '../../../functions/adapters/ecs-cluster';

const ecs = mockClient(ECSClient);
let cluster: EcsCluster;

beforeEach(() => {
  ecs.reset();
  cluster = new EcsCluster(new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
});
afterEach(() => ecs.reset());

const ARN = 'arn:aws:ecs:us-east-1:123456789012';
const instanceArn = (n: number) => `${ARN}:container-instance/default/${n.toString(16).padStart(32, '0')}`;
const taskArn = (n: number) => `${ARN}:task/default/${n.toString(16).padStart(32, '0')}`;

function ecsInstance(n: number, overrides: Partial<EcsContainerInstance> = {}): EcsContainerInstance {
  return {
    containerInstanceArn: instanceArn(n),
    ec2InstanceId: `i-${n.toString(16).padStart(17, '0')}`,
    status: 'ACTIVE',
    agentConnected: true,
    versionInfo: { agentVersion: '1.86.3', agentHash: 'abc', dockerVersion: 'DockerVersion: 25.0.8' },
    attributes: [
      { name: 'stack', value: 'prod' },
      { name: 'ecs.instance-type', value: 'm5.large' },
      { name: 'ecs.availability-zone', value: 'us-east-1a' },
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.17' },
    ],
    registeredAt: new Date('2024-01-01T00:00:00.000Z'),
    registeredResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375'] },
    ],
    remainingResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 1024 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 },
    ],
    runningTasksCount: 1,
    pendingTasksCount: 0,
    ...overrides,
  };
}

function ecsTask(n: number, overrides: Partial<EcsTask> = {}): EcsTask {
  return {
    taskArn: taskArn(n),
    clusterArn: `${ARN}:cluster/default`,
    containerInstanceArn: instanceArn(n),
    taskDefinitionArn: `${ARN}:task-definition/log-daemon:1`,
    startedBy: 'blox/SomeEnvironment-Prod',
    group: 'family:log-daemon',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    createdAt: new Date('2024-01-01T00:01:00.000Z'),
    startedAt: new Date('2024-01-01T00:01:05.000Z'),
    tags: [
      { key: 'blox:environment', value: 'SomeEnvironment/Prod' },
      { key: 'blox:revision', value: '1' },
    ],
    ...overrides,
  };
}

/** ECS's throttling error (the SDK models it as a plain error named ThrottlingException). */
function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

describe('createEcsClient', () => {
  it('uses the adaptive retry mode', async () => {
    const client = createEcsClient({ region: 'us-east-1' });
    expect(client.config.retryMode).toBe('adaptive');
    expect(await client.config.retryStrategy()).toHaveProperty('mode', 'adaptive');
  });
});

describe('normaliseFilter', () => {
  it('sends ECS the canonical spelling', () => {
    expect(normaliseFilter('attribute:stack in (prod, gamma)')).toBe('attribute:stack in [prod, gamma]');
    expect(normaliseFilter('attribute:stack equals prod AND attribute:x exists')).toBe('attribute:stack == prod and attribute:x exists');
    expect(normaliseFilter('  ')).toBeUndefined();
    expect(normaliseFilter(undefined)).toBeUndefined();
  });

  it('refuses a query that does not parse', () => {
    expect(() => normaliseFilter('attribute:stack ==')).toThrow(/invalid cluster query: expected a value/);
  });
});

describe('EcsCluster.listContainerInstances', () => {
  it('lists with the normalised filter, pages with nextToken, describes in chunks of 100', async () => {
    const arns = Array.from({ length: 250 }, (_, i) => instanceArn(i + 1));
    ecs
      .on(ListContainerInstancesCommand)
      .resolvesOnce({ containerInstanceArns: arns.slice(0, 100), nextToken: 'page-2' })
      .resolvesOnce({ containerInstanceArns: arns.slice(100, 200), nextToken: 'page-3' })
      .resolvesOnce({ containerInstanceArns: arns.slice(200) });
    ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
      containerInstances: input.containerInstances.map((arn) => ecsInstance(arns.indexOf(arn) + 1)),
      failures: [],
    }));

    const instances = await cluster.listContainerInstances('default', 'attribute:stack in (prod, gamma)');

    const lists = ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input);
    expect(lists).toEqual([
      { cluster: 'default', filter: 'attribute:stack in [prod, gamma]', maxResults: 100 },
      { cluster: 'default', filter: 'attribute:stack in [prod, gamma]', maxResults: 100, nextToken: 'page-2' },
      { cluster: 'default', filter: 'attribute:stack in [prod, gamma]', maxResults: 100, nextToken: 'page-3' },
    ]);
    // No `status`: ECS then lists every instance but INACTIVE (ACTIVE and DRAINING included).
    expect(lists.every((input) => !('status' in input))).toBe(true);

    const describes = ecs.commandCalls(DescribeContainerInstancesCommand).map((call) => call.args[0].input);
    expect(describes.map((input) => input.containerInstances?.length)).toEqual([100, 100, 50]);
    expect(describes.map((input) => input.cluster)).toEqual(['default', 'default', 'default']);
    expect(describes.flatMap((input) => input.containerInstances)).toEqual(arns);
    expect(instances).toHaveLength(250);
  });

  it('sends no filter when there is none (or it is blank)', async () => {
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });
    await cluster.listContainerInstances('default');
    await cluster.listContainerInstances('default', '   ');
    expect(ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'default', maxResults: 100 },
      { cluster: 'default', maxResults: 100 },
    ]);
    expect(ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(0);
  });

  it('maps ECS container instances to the port shape', async () => {
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [instanceArn(1), instanceArn(2)] });
    ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [ecsInstance(1), ecsInstance(2, { status: 'DRAINING', agentConnected: false, runningTasksCount: 0, pendingTasksCount: 2 })],
    });

    const instances = await cluster.listContainerInstances('default', 'attribute:stack == prod');

    expect(instances).toEqual([
      {
        arn: instanceArn(1),
        ec2InstanceId: 'i-00000000000000001',
        status: 'ACTIVE',
        agentConnected: true,
        agentVersion: '1.86.3',
        attributes: {
          stack: 'prod',
          'ecs.instance-type': 'm5.large',
          'ecs.availability-zone': 'us-east-1a',
          'com.amazonaws.ecs.capability.docker-remote-api.1.17': undefined,
        },
        registeredAt: '2024-01-01T00:00:00.000Z',
        registered: { cpu: 2048, memory: 7680 },
        remaining: { cpu: 1024, memory: 4096 },
        runningTasksCount: 1,
        pendingTasksCount: 0,
      },
      expect.objectContaining({ arn: instanceArn(2), status: 'DRAINING', agentConnected: false, runningTasksCount: 0, pendingTasksCount: 2 }),
    ]);
  });

  it('keeps ACTIVE and DRAINING instances only (the listing also returns transitional states)', async () => {
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [1, 2, 3, 4].map(instanceArn) });
    ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        ecsInstance(1, { status: 'ACTIVE' }),
        ecsInstance(2, { status: 'REGISTERING' }),
        ecsInstance(3, { status: 'DRAINING' }),
        ecsInstance(4, { status: 'DEREGISTERING' }),
      ],
    });
    const instances = await cluster.listContainerInstances('default');
    expect(instances.map((i) => [i.arn, i.status])).toEqual([
      [instanceArn(1), 'ACTIVE'],
      [instanceArn(3), 'DRAINING'],
    ]);
  });

  it('lets errors through (the SDK has already retried)', async () => {
    const throttled = throttling();
    ecs.on(ListContainerInstancesCommand).rejects(throttled);
    await expect(cluster.listContainerInstances('default')).rejects.toBe(throttled);
  });
});

describe('EcsCluster.listTasks', () => {
  it('lists RUNNING then STOPPED by startedBy, pages, describes in chunks of 100 with TAGS', async () => {
    const running = Array.from({ length: 150 }, (_, i) => taskArn(i + 1));
    const stopped = Array.from({ length: 60 }, (_, i) => taskArn(i + 1001));
    ecs
      .on(ListTasksCommand, { desiredStatus: 'RUNNING' })
      .resolvesOnce({ taskArns: running.slice(0, 100), nextToken: 'r2' })
      .resolvesOnce({ taskArns: running.slice(100) });
    // A task stopped between the two listings shows up in both: it is described once.
    ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [running[0]!, ...stopped] });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => ecsTask(Number.parseInt(arn.slice(arn.lastIndexOf('/') + 1), 16))),
    }));

    const tasks = await cluster.listTasks('default', 'blox/SomeEnvironment-Prod');

    expect(ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'default', startedBy: 'blox/SomeEnvironment-Prod', desiredStatus: 'RUNNING', maxResults: 100 },
      { cluster: 'default', startedBy: 'blox/SomeEnvironment-Prod', desiredStatus: 'RUNNING', maxResults: 100, nextToken: 'r2' },
      { cluster: 'default', startedBy: 'blox/SomeEnvironment-Prod', desiredStatus: 'STOPPED', maxResults: 100 },
    ]);
    const describes = ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input);
    expect(describes.map((input) => input.tasks?.length)).toEqual([100, 100, 10]);
    expect(describes.every((input) => input.cluster === 'default' && JSON.stringify(input.include) === '["TAGS"]')).toBe(true);
    expect(describes.flatMap((input) => input.tasks)).toEqual([...running, ...stopped]);
    expect(tasks).toHaveLength(210);
  });

  it('maps ECS tasks to the port shape (tags, health, stop code and reason, ISO dates)', async () => {
    ecs.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [taskArn(1)] });
    ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [taskArn(2)] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        ecsTask(1),
        ecsTask(2, {
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          healthStatus: undefined,
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          stoppedAt: new Date('2024-01-01T00:05:00.000Z'),
          tags: undefined,
          version: 7,
        }),
      ],
    });

    const tasks = await cluster.listTasks('default', 'blox/SomeEnvironment-Prod');

    expect(tasks).toEqual([
      {
        arn: taskArn(1),
        clusterArn: `${ARN}:cluster/default`,
        containerInstanceArn: instanceArn(1),
        taskDefinitionArn: `${ARN}:task-definition/log-daemon:1`,
        startedBy: 'blox/SomeEnvironment-Prod',
        group: 'family:log-daemon',
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        healthStatus: 'HEALTHY',
        createdAt: '2024-01-01T00:01:00.000Z',
        startedAt: '2024-01-01T00:01:05.000Z',
        version: 0, // ECS left it out
        tags: { 'blox:environment': 'SomeEnvironment/Prod', 'blox:revision': '1' },
      },
      {
        arn: taskArn(2),
        clusterArn: `${ARN}:cluster/default`,
        containerInstanceArn: instanceArn(2),
        taskDefinitionArn: `${ARN}:task-definition/log-daemon:1`,
        startedBy: 'blox/SomeEnvironment-Prod',
        group: 'family:log-daemon',
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        healthStatus: 'UNKNOWN',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        createdAt: '2024-01-01T00:01:00.000Z',
        startedAt: '2024-01-01T00:01:05.000Z',
        stoppedAt: '2024-01-01T00:05:00.000Z',
        version: 7,
        tags: {},
      },
    ]);
  });

  it('describes nothing when nothing is listed', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    expect(await cluster.listTasks('default', 'blox/x')).toEqual([]);
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(2);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it('lets errors through', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn(1)] });
    ecs.on(DescribeTasksCommand).rejects(new ServerException({ message: 'Service unavailable', $metadata: {} }));
    await expect(cluster.listTasks('default', 'blox/x')).rejects.toBeInstanceOf(ServerException);
  });
});

describe('EcsCluster: the calls of an incremental look', () => {
  it('listContainerInstanceArnPage: ONE ListContainerInstances call of one status with the normalised filter, its token passed on; no Describe', async () => {
    const arns = Array.from({ length: 150 }, (_, i) => instanceArn(i + 1));
    ecs
      .on(ListContainerInstancesCommand)
      .resolvesOnce({ containerInstanceArns: arns.slice(0, 100), nextToken: 'page-2' })
      .resolvesOnce({ containerInstanceArns: arns.slice(100) });
    expect(await cluster.listContainerInstanceArnPage('default', 'attribute:stack in (prod, gamma)', 'DRAINING')).toEqual({ items: arns.slice(0, 100), nextToken: 'page-2' });
    expect(await cluster.listContainerInstanceArnPage('default', 'attribute:stack in (prod, gamma)', 'DRAINING', 'page-2')).toEqual({ items: arns.slice(100), nextToken: undefined });
    expect(ecs.commandCalls(ListContainerInstancesCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'default', filter: 'attribute:stack in [prod, gamma]', status: 'DRAINING', maxResults: 100 },
      { cluster: 'default', filter: 'attribute:stack in [prod, gamma]', status: 'DRAINING', maxResults: 100, nextToken: 'page-2' },
    ]);
    expect(ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(0);
  });

  it('listTaskPage: one ListTasks page of a desired status, then one DescribeTasks of it with tags; an empty page describes nothing', async () => {
    ecs.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [taskArn(1)], nextToken: 'more' });
    ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [ecsTask(1, { version: 3 })] });
    const page = await cluster.listTaskPage('default', 'blox-0123456789abcdef', 'RUNNING');
    expect(page.nextToken).toBe('more');
    expect(page.items.map((t) => [t.arn, t.version])).toEqual([[taskArn(1), 3]]);
    expect(await cluster.listTaskPage('default', 'blox-0123456789abcdef', 'STOPPED', 'x')).toEqual({ items: [], nextToken: undefined });
    expect(ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'default', startedBy: 'blox-0123456789abcdef', desiredStatus: 'RUNNING', maxResults: 100 },
      { cluster: 'default', startedBy: 'blox-0123456789abcdef', desiredStatus: 'STOPPED', maxResults: 100, nextToken: 'x' },
    ]);
    expect(ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input)).toEqual([{ cluster: 'default', tasks: [taskArn(1)], include: ['TAGS'] }]);
  });

  it('listTaskArnPage: one ListTasks page of a desired status, ARNs only (no DescribeTasks)', async () => {
    ecs.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [taskArn(1), taskArn(2)], nextToken: 'more' });
    ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [] });
    expect(await cluster.listTaskArnPage('default', 'blox-0123456789abcdef', 'RUNNING')).toEqual({ items: [taskArn(1), taskArn(2)], nextToken: 'more' });
    expect(await cluster.listTaskArnPage('default', 'blox-0123456789abcdef', 'STOPPED', 'x')).toEqual({ items: [], nextToken: undefined });
    expect(ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'default', startedBy: 'blox-0123456789abcdef', desiredStatus: 'RUNNING', maxResults: 100 },
      { cluster: 'default', startedBy: 'blox-0123456789abcdef', desiredStatus: 'STOPPED', maxResults: 100, nextToken: 'x' },
    ]);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it('lookUpTasks describes the named tasks in chunks of 100 (each once), and calls nothing for none', async () => {
    expect(await cluster.lookUpTasks('default', [])).toEqual([]);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
    const arns = Array.from({ length: 205 }, (_, i) => taskArn(i + 1));
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({ tasks: input.tasks.map((arn) => ecsTask(arns.indexOf(arn) + 1)), failures: [] }));
    const tasks = await cluster.lookUpTasks('default', [...arns, arns[0]!]);
    const calls = ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.tasks?.length)).toEqual([100, 100, 5]);
    expect(calls.every((input) => input.include?.[0] === 'TAGS' && input.cluster === 'default')).toBe(true);
    expect(tasks).toHaveLength(205);
  });
});

describe('EcsCluster.startTask', () => {
  const input = {
    cluster: 'default',
    taskDefinition: 'log-daemon:2',
    containerInstances: [instanceArn(1)],
    startedBy: 'blox/SomeEnvironment-Prod',
    group: 'blox:SomeEnvironment/Prod',
    tags: { 'blox:environment': 'SomeEnvironment/Prod', 'blox:revision': '2', 'blox:action': 'start:dep:2:0001:1' },
  };

  it('starts with startedBy, group and our tags', async () => {
    ecs.on(StartTaskCommand).resolves({ tasks: [ecsTask(1, { lastStatus: 'PENDING', healthStatus: 'UNKNOWN', startedAt: undefined })], failures: [] });

    const result = await cluster.startTask(input);

    expect(ecs.commandCalls(StartTaskCommand)[0]!.args[0].input).toEqual({
      cluster: 'default',
      taskDefinition: 'log-daemon:2',
      containerInstances: [instanceArn(1)],
      startedBy: 'blox/SomeEnvironment-Prod',
      group: 'blox:SomeEnvironment/Prod',
      tags: [
        { key: 'blox:environment', value: 'SomeEnvironment/Prod' },
        { key: 'blox:revision', value: '2' },
        { key: 'blox:action', value: 'start:dep:2:0001:1' },
      ],
      enableECSManagedTags: true,
    });
    expect(result.failures).toEqual([]);
    expect(result.tasks).toEqual([expect.objectContaining({ arn: taskArn(1), lastStatus: 'PENDING', healthStatus: 'UNKNOWN' })]);
    expect(result.tasks[0]).not.toHaveProperty('startedAt');
  });

  it('omits the group when there is none', async () => {
    ecs.on(StartTaskCommand).resolves({ tasks: [], failures: [] });
    const { group: _group, ...withoutGroup } = input;
    await cluster.startTask(withoutGroup);
    expect(ecs.commandCalls(StartTaskCommand)[0]!.args[0].input).not.toHaveProperty('group');
  });

  it('returns ECS failures as ECS reports them', async () => {
    ecs.on(StartTaskCommand).resolves({
      tasks: [],
      failures: [{ arn: instanceArn(1), reason: 'RESOURCE:MEMORY' }, { arn: instanceArn(1), reason: 'AGENT', detail: 'agent disconnected' }],
    });
    expect(await cluster.startTask(input)).toEqual({
      tasks: [],
      failures: [
        { arn: instanceArn(1), reason: 'RESOURCE:MEMORY' },
        { arn: instanceArn(1), reason: 'AGENT', detail: 'agent disconnected' },
      ],
    });
  });

  it('starts on up to 10 instances in one call, and refuses 0 or 11 before calling ECS', async () => {
    ecs.on(StartTaskCommand).resolves({ tasks: [], failures: [] });
    const ten = Array.from({ length: 10 }, (_, i) => instanceArn(i + 1));
    await cluster.startTask({ ...input, containerInstances: ten });
    expect(ecs.commandCalls(StartTaskCommand)).toHaveLength(1);
    expect(ecs.commandCalls(StartTaskCommand)[0]!.args[0].input.containerInstances).toEqual(ten);
    await expect(cluster.startTask({ ...input, containerInstances: [] })).rejects.toThrow(/1 to 10 container instances, got 0/);
    await expect(cluster.startTask({ ...input, containerInstances: [...ten, instanceArn(11)] })).rejects.toThrow(/1 to 10 container instances, got 11/);
    expect(ecs.commandCalls(StartTaskCommand)).toHaveLength(1);
  });

  it('lets errors through', async () => {
    ecs.on(StartTaskCommand).rejects(new InvalidParameterException({ message: 'Invalid startedBy', $metadata: {} }));
    await expect(cluster.startTask(input)).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('EcsCluster.stopTask', () => {
  it('stops with the reason and returns the task', async () => {
    ecs.on(StopTaskCommand).resolves({ task: ecsTask(1, { desiredStatus: 'STOPPED', lastStatus: 'RUNNING', stoppedReason: 'replaced by revision 2' }) });
    const task = await cluster.stopTask('default', taskArn(1), 'replaced by revision 2');
    expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input).toEqual({ cluster: 'default', task: taskArn(1), reason: 'replaced by revision 2' });
    expect(task).toEqual(expect.objectContaining({ arn: taskArn(1), desiredStatus: 'STOPPED', stoppedReason: 'replaced by revision 2' }));
  });

  it('truncates the reason to 255 characters', async () => {
    ecs.on(StopTaskCommand).resolves({});
    expect(await cluster.stopTask('default', taskArn(1), 'x'.repeat(300))).toBeUndefined();
    expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input.reason).toBe('x'.repeat(255));
  });

  it('lets errors through', async () => {
    ecs.on(StopTaskCommand).rejects(new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} }));
    await expect(cluster.stopTask('default', taskArn(9), 'gone')).rejects.toThrow('The referenced task was not found.');
  });
});
