import { describe, expect, it } from 'vitest';
import { DEFAULT_TASK_BEHAVIOUR } from '../../../local/sim/world';
import { START, T0, taskEvents, testBed } from './helpers';

const iso = (ms: number) => new Date(ms).toISOString();

describe('task lifecycle', () => {
  it('PENDING at once, RUNNING after startSeconds, HEALTHY healthyAfterSeconds later', async () => {
    const { clock, world } = testBed();
    const [instance] = world.addInstances({ attributes: { stack: 'prod' } });
    const { tasks, failures } = await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance!.arn] });
    expect(failures).toEqual([]);
    const task = tasks[0]!;
    expect(task).toMatchObject({
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      startedBy: 'blox/env-prod',
      group: 'family:log-daemon',
      tags: { 'blox:environment': 'SomeEnvironment/Prod' },
      containerInstanceArn: instance!.arn,
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/log-daemon:1',
      createdAt: iso(T0),
    });
    expect(task.arn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/default\/[0-9a-f]{32}$/);

    clock.advance(1999);
    expect(world.describeTask(task.arn)?.lastStatus).toBe('PENDING');
    clock.advance(1);
    expect(world.describeTask(task.arn)).toMatchObject({ lastStatus: 'RUNNING', healthStatus: 'UNKNOWN', startedAt: iso(T0 + 2000) });
    clock.advance(999);
    expect(world.describeTask(task.arn)?.healthStatus).toBe('UNKNOWN');
    clock.advance(1);
    expect(world.describeTask(task.arn)?.healthStatus).toBe('HEALTHY');
    expect(clock.pending).toBe(0);
  });

  it('reserves and releases resources, and counts tasks like ECS', async () => {
    const { clock, world } = testBed({ taskDefinitions: { 'log-daemon:1': { cpu: 1024, memory: 2048 } } });
    const [instance] = world.addInstances({ cpu: 2048, memory: 4096 });
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance!.arn] });
    expect(world.describeInstance(instance!.arn)).toMatchObject({ remaining: { cpu: 1024, memory: 2048 }, runningTasksCount: 1, pendingTasksCount: 1 });
    clock.advance(2000);
    expect(world.describeInstance(instance!.arn)).toMatchObject({ runningTasksCount: 1, pendingTasksCount: 0 });
    await world.stopTask('default', tasks[0]!.arn, 'done');
    // Reserved until STOPPED; runningTasksCount counts desired-RUNNING tasks.
    expect(world.describeInstance(instance!.arn)).toMatchObject({ remaining: { cpu: 1024, memory: 2048 }, runningTasksCount: 0 });
    clock.advance(1000);
    expect(world.describeInstance(instance!.arn)).toMatchObject({ remaining: { cpu: 2048, memory: 4096 }, runningTasksCount: 0 });
  });

  it('uses per-definition timings, family-wide settings, and defaults for unknown definitions', async () => {
    const { clock, world } = testBed({
      taskDefinitions: { 'slow:3': { startSeconds: 10, health: 'none' }, web: { cpu: 256, memory: 256 } },
    });
    const [instance] = world.addInstances();
    expect(world.taskBehaviour('anything:7')).toMatchObject({ ...DEFAULT_TASK_BEHAVIOUR, containerName: 'anything' });
    expect(world.taskBehaviour('web:12')).toMatchObject({ cpu: 256, memory: 256, startSeconds: 2 });
    expect(world.taskBehaviour('arn:aws:ecs:us-east-1:123456789012:task-definition/slow:3')).toMatchObject({ startSeconds: 10 });
    expect(world.taskBehaviour('slow')).toMatchObject({ startSeconds: 10 }); // family alone: its highest configured revision
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'slow:3', containerInstances: [instance!.arn] });
    clock.advance(9999);
    expect(world.describeTask(tasks[0]!.arn)?.lastStatus).toBe('PENDING');
    clock.advance(1);
    expect(world.describeTask(tasks[0]!.arn)?.lastStatus).toBe('RUNNING');
    clock.advance(60_000);
    expect(world.describeTask(tasks[0]!.arn)?.healthStatus).toBe('UNKNOWN'); // no health check
  });

  it('keeps the group given to StartTask', async () => {
    const { world } = testBed();
    const [instance] = world.addInstances();
    const { tasks } = await world.startTask({ ...START, group: 'blox:SomeEnvironment/Prod', taskDefinition: 'x:1', containerInstances: [instance!.arn] });
    expect(tasks[0]!.group).toBe('blox:SomeEnvironment/Prod');
  });

  it('refuses a malformed startedBy or task definition like ECS', async () => {
    const { world } = testBed();
    const [instance] = world.addInstances();
    await expect(world.startTask({ ...START, startedBy: 'x'.repeat(37), taskDefinition: 'x:1', containerInstances: [instance!.arn] })).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(world.startTask({ ...START, taskDefinition: 'not a task def', containerInstances: [instance!.arn] })).rejects.toMatchObject({
      name: 'ClientException',
    });
    await expect(world.startTask({ ...START, cluster: 'nope', taskDefinition: 'x:1', containerInstances: [instance!.arn] })).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
    });
  });
});

describe('StartTask on several instances', () => {
  it('places one task on each of up to 10 instances in one call, answering each instance that fails on its own', async () => {
    const { world } = testBed({ taskDefinitions: { 'big:1': { cpu: 2048, memory: 1024 } } });
    const instances = world.addInstances({ count: 10 });
    world.drainInstance(instances[3]!.arn);
    const arns = instances.map((instance) => instance.arn);
    const result = await world.startTask({ ...START, taskDefinition: 'big:1', containerInstances: arns });
    expect(result.tasks.map((task) => task.containerInstanceArn)).toEqual(arns.filter((_, i) => i !== 3));
    expect(result.failures).toEqual([{ arn: arns[3], reason: 'DRAINING' }]);
    // Full now (2048 CPU units each): the same call again fails on every instance, in order.
    const again = await world.startTask({ ...START, taskDefinition: 'big:1', containerInstances: [arns[0]!, 'no-such-instance', arns[3]!] });
    expect(again).toEqual({
      tasks: [],
      failures: [
        { arn: arns[0], reason: 'RESOURCE:CPU' },
        { arn: 'no-such-instance', reason: 'MISSING' },
        { arn: arns[3], reason: 'DRAINING' },
      ],
    });
  });

  it('refuses no instance or more than 10, like ECS', async () => {
    const { world } = testBed();
    const instances = world.addInstances({ count: 11 });
    for (const containerInstances of [[], instances.map((instance) => instance.arn)]) {
      await expect(world.startTask({ ...START, taskDefinition: 'x:1', containerInstances })).rejects.toMatchObject({ name: 'InvalidParameterException' });
    }
    expect(world.describeTasks()).toEqual([]);
  });
});

describe('placement failures', () => {
  it('a third copy on an instance sized for two fails with RESOURCE:CPU, and nothing is created', async () => {
    const { clock, world, events } = testBed({ taskDefinitions: { 'log-daemon:1': { cpu: 1024, memory: 2048 } } });
    const [instance] = world.addInstances({ cpu: 2048, memory: 4096 });
    const start = () => world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance!.arn] });
    expect((await start()).tasks).toHaveLength(1);
    expect((await start()).tasks).toHaveLength(1);
    clock.advance(0);
    const before = events.length;
    expect(await start()).toEqual({ tasks: [], failures: [{ arn: instance!.arn, reason: 'RESOURCE:CPU' }] });
    clock.advance(0);
    expect(events).toHaveLength(before); // a task that was never placed emits nothing
    expect(await world.listTasks('default', START.startedBy)).toHaveLength(2);
  });

  it('RESOURCE:MEMORY when the CPU fits but the memory does not', async () => {
    const { world } = testBed({ taskDefinitions: { 'fat:1': { cpu: 128, memory: 3000 } } });
    const [instance] = world.addInstances({ cpu: 2048, memory: 4096 });
    await world.startTask({ ...START, taskDefinition: 'fat:1', containerInstances: [instance!.arn] });
    expect((await world.startTask({ ...START, taskDefinition: 'fat:1', containerInstances: [instance!.arn] })).failures).toEqual([
      { arn: instance!.arn, reason: 'RESOURCE:MEMORY' },
    ]);
  });

  it('MISSING, INACTIVE, AGENT and DRAINING', async () => {
    const { world } = testBed();
    const [a, b, c, d] = world.addInstances({ count: 4 });
    const start = (containerInstance: string) => world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [containerInstance] });
    const missing = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/0000';
    expect((await start(missing)).failures).toEqual([{ arn: missing, reason: 'MISSING' }]);
    world.removeInstance(a!.arn);
    expect((await start(a!.arn)).failures).toEqual([{ arn: a!.arn, reason: 'INACTIVE' }]);
    world.setAgentConnected(b!.arn, false);
    expect((await start(b!.arn)).failures).toEqual([{ arn: b!.arn, reason: 'AGENT' }]);
    world.setAgentConnected(b!.arn, true);
    expect((await start(b!.arn)).tasks).toHaveLength(1);
    world.drainInstance(c!.arn);
    expect((await start(c!.arn)).failures).toEqual([{ arn: c!.arn, reason: 'DRAINING' }]);
    // An instance id works as well as its ARN.
    const id = d!.arn.split('/').pop()!;
    expect((await start(id)).tasks[0]!.containerInstanceArn).toBe(d!.arn);
  });

  it('startOnDraining: allow places on a draining instance', async () => {
    const { world } = testBed({ startOnDraining: 'allow' });
    const [instance] = world.addInstances();
    world.drainInstance(instance!.arn);
    expect((await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] })).tasks).toHaveLength(1);
  });
});

describe('faults', () => {
  it('failStart: PENDING, then STOPPED with TaskFailedToStart and the reason; resources released', async () => {
    const reason = 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found';
    const { clock, world, events } = testBed({ taskDefinitions: { 'broken:1': { failStart: reason, startSeconds: 3 } } });
    const [instance] = world.addInstances();
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'broken:1', containerInstances: [instance!.arn] });
    clock.advance(2999);
    expect(world.describeTask(tasks[0]!.arn)?.lastStatus).toBe('PENDING');
    clock.advance(1);
    const stopped = world.describeTask(tasks[0]!.arn)!;
    expect(stopped).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: reason, stoppedAt: iso(T0 + 3000) });
    expect(stopped.startedAt).toBeUndefined();
    expect(world.describeInstance(instance!.arn)?.remaining).toEqual({ cpu: 2048, memory: 4096 });
    const statuses = taskEvents(events, tasks[0]!.arn).map((e) => e.detail.lastStatus);
    expect(statuses).toEqual(['PENDING', 'STOPPED']);
    expect(taskEvents(events, tasks[0]!.arn)[1]!.detail.containers[0]).toMatchObject({ lastStatus: 'STOPPED', reason });
  });

  it('crashAfterSeconds: RUNNING, then STOPPED with EssentialContainerExited and exit code 1; no restart', async () => {
    const { clock, world, events } = testBed({ taskDefinitions: { 'crashy:1': { crashAfterSeconds: 5 } } });
    const [instance] = world.addInstances();
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'crashy:1', containerInstances: [instance!.arn] });
    clock.advance(2000 + 4999);
    expect(world.describeTask(tasks[0]!.arn)).toMatchObject({ lastStatus: 'RUNNING', healthStatus: 'HEALTHY' });
    clock.advance(1);
    expect(world.describeTask(tasks[0]!.arn)).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      stoppedAt: iso(T0 + 7000),
    });
    const last = taskEvents(events, tasks[0]!.arn).at(-1)!;
    expect(last.detail.containers[0]).toMatchObject({ lastStatus: 'STOPPED', exitCode: 1 });
    clock.advance(3600_000 - 1);
    expect((await world.listTasks('default', START.startedBy)).map((t) => t.lastStatus)).toEqual(['STOPPED']);
    expect(clock.pending).toBe(0);
  });

  it('unhealthy: RUNNING and UNHEALTHY, and it keeps running', async () => {
    const { clock, world } = testBed({ taskDefinitions: { 'sick:1': { health: 'unhealthy', healthyAfterSeconds: 4 } } });
    const [instance] = world.addInstances();
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'sick:1', containerInstances: [instance!.arn] });
    clock.advance(2000 + 3999);
    expect(world.describeTask(tasks[0]!.arn)?.healthStatus).toBe('UNKNOWN');
    clock.advance(1);
    expect(world.describeTask(tasks[0]!.arn)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNHEALTHY' });
    clock.advance(24 * 3600_000);
    expect(world.describeTask(tasks[0]!.arn)).toMatchObject({ lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' });
  });

  it('configureTaskDefinition applies to tasks started afterwards; setTaskHealth and crashTask act at once', async () => {
    const { clock, world } = testBed();
    const [instance] = world.addInstances();
    const first = (await world.startTask({ ...START, taskDefinition: 'app:1', containerInstances: [instance!.arn] })).tasks[0]!;
    world.configureTaskDefinition('app:1', { failStart: 'CannotPullContainerError: denied' });
    const second = (await world.startTask({ ...START, taskDefinition: 'app:1', containerInstances: [instance!.arn] })).tasks[0]!;
    clock.advance(5000);
    expect(world.describeTask(first.arn)).toMatchObject({ lastStatus: 'RUNNING', healthStatus: 'HEALTHY' });
    expect(world.describeTask(second.arn)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart' });
    world.configureTaskDefinition('app:1', { failStart: undefined });
    expect(world.taskBehaviour('app:1').failStart).toBeUndefined();

    world.setTaskHealth(first.arn, 'UNHEALTHY');
    expect(world.describeTask(first.arn)?.healthStatus).toBe('UNHEALTHY');
    world.crashTask(first.arn, 137);
    expect(world.describeTask(first.arn)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited' });
  });
});

describe('stopTask', () => {
  it('STOPPING at once, STOPPED after stopSeconds, UserInitiated with the given reason', async () => {
    const { clock, world, events } = testBed({ taskDefinitions: { 'log-daemon:1': { stopSeconds: 3 } } });
    const [instance] = world.addInstances();
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance!.arn] });
    clock.advance(5000);
    const stopping = await world.stopTask('default', tasks[0]!.arn, 'Blox: replaced by revision 2');
    expect(stopping).toMatchObject({ lastStatus: 'STOPPING', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'Blox: replaced by revision 2' });
    clock.advance(2999);
    expect(world.describeTask(tasks[0]!.arn)?.lastStatus).toBe('STOPPING');
    clock.advance(1);
    const stopped = world.describeTask(tasks[0]!.arn)!;
    expect(stopped).toMatchObject({ lastStatus: 'STOPPED', stoppedAt: iso(T0 + 8000), stopCode: 'UserInitiated' });
    expect(taskEvents(events, stopped.arn).map((e) => e.detail.lastStatus)).toEqual(['PENDING', 'RUNNING', 'STOPPING', 'STOPPED']);
    expect(taskEvents(events, stopped.arn).at(-1)!.detail.containers[0]).toMatchObject({ lastStatus: 'STOPPED', exitCode: 0 });

    // Stopping a stopped task returns it unchanged, without an event.
    const count = events.length;
    expect(await world.stopTask('default', stopped.arn, 'again')).toEqual(stopped);
    clock.advance(10_000);
    expect(events).toHaveLength(count);
  });

  it('stopping twice while STOPPING changes nothing; a PENDING task can be stopped; unknown tasks are undefined', async () => {
    const { clock, world } = testBed();
    const [instance] = world.addInstances();
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] });
    const first = await world.stopTask('default', tasks[0]!.arn, 'one');
    expect(await world.stopTask('default', tasks[0]!.arn, 'two')).toEqual(first);
    clock.advance(10_000);
    expect(world.describeTask(tasks[0]!.arn)).toMatchObject({ lastStatus: 'STOPPED', stoppedReason: 'one' });
    expect(world.describeTask(tasks[0]!.arn)?.startedAt).toBeUndefined(); // stopped before it ran
    expect(await world.stopTask('default', 'arn:aws:ecs:us-east-1:123456789012:task/default/ffff', 'x')).toBeUndefined();
  });
});

describe('instances', () => {
  it('registers ACTIVE instances with ECS-style ids and attributes', () => {
    const { world } = testBed();
    const added = world.addInstances({ count: 4, attributes: { stack: 'prod' } });
    expect(added.map((i) => i.ec2InstanceId)).toEqual(['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003', 'i-00000000000000004']);
    expect(added[0]!.arn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:container-instance\/default\/[0-9a-f]{32}$/);
    expect(added[0]).toMatchObject({
      status: 'ACTIVE',
      agentConnected: true,
      registered: { cpu: 2048, memory: 4096 },
      remaining: { cpu: 2048, memory: 4096 },
      registeredAt: iso(T0),
      attributes: { stack: 'prod', 'ecs.instance-type': 't3.medium', 'ecs.availability-zone': 'us-east-1a', 'ecs.os-type': 'linux' },
    });
    expect(added.map((i) => i.attributes['ecs.availability-zone'])).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a']);
  });

  it('draining keeps the tasks running and the instance listed', async () => {
    const { clock, world } = testBed();
    const [instance] = world.addInstances({ attributes: { stack: 'prod' } });
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance!.arn] });
    clock.advance(3000);
    expect(world.drainInstance(instance!.arn).status).toBe('DRAINING');
    clock.advance(3600_000);
    expect(world.describeTask(tasks[0]!.arn)?.lastStatus).toBe('RUNNING');
    expect((await world.listContainerInstances('default')).map((i) => i.status)).toEqual(['DRAINING']);
    expect(world.activateInstance(instance!.arn).status).toBe('ACTIVE');
  });

  it('removing an instance stops its tasks (TerminationNotice) and unlists it', async () => {
    const { clock, world, events } = testBed();
    const [keep, gone] = world.addInstances({ count: 2 });
    const onGone = (await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [gone!.arn] })).tasks[0]!;
    const onKeep = (await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [keep!.arn] })).tasks[0]!;
    clock.advance(3000);
    const removed = world.removeInstance(gone!.arn);
    expect(removed).toMatchObject({ status: 'INACTIVE', agentConnected: false });
    expect(world.describeTask(onGone.arn)).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'TerminationNotice',
      stoppedReason: `Host EC2 (instance ${gone!.ec2InstanceId}) terminated.`,
      stoppedAt: iso(T0 + 3000),
    });
    expect(world.describeTask(onKeep.arn)?.lastStatus).toBe('RUNNING');
    expect((await world.listContainerInstances('default')).map((i) => i.arn)).toEqual([keep!.arn]);
    clock.advance(0);
    expect(taskEvents(events, onGone.arn).map((e) => e.detail.lastStatus)).toEqual(['PENDING', 'RUNNING', 'STOPPED']);
    expect(world.removeInstance(gone!.arn).status).toBe('INACTIVE'); // idempotent
    expect(() => world.drainInstance(gone!.arn)).toThrow(/not active/);
  });
});

describe('listContainerInstances', () => {
  async function world6() {
    const bed = testBed();
    bed.world.addInstances({ count: 5, attributes: { stack: 'prod' } });
    bed.world.addInstances({ count: 1, attributes: { stack: 'gamma' } });
    return bed;
  }

  it('filters with the cluster query language', async () => {
    const { world } = await world6();
    expect(await world.listContainerInstances('default', 'attribute:stack == prod')).toHaveLength(5);
    expect(await world.listContainerInstances('default', 'attribute:stack in [prod, gamma]')).toHaveLength(6);
    expect(await world.listContainerInstances('default', 'attribute:stack in (prod, gamma)')).toHaveLength(6);
    expect(await world.listContainerInstances('default', 'attribute:stack == gamma')).toHaveLength(1);
    expect(await world.listContainerInstances('default', 'attribute:ecs.availability-zone == us-east-1b')).toHaveLength(2);
    expect(await world.listContainerInstances('default', 'ec2InstanceId == i-00000000000000006')).toHaveLength(1);
    expect(await world.listContainerInstances('default')).toHaveLength(6);
    expect(await world.listContainerInstances('default', '')).toHaveLength(6);
    expect(await world.listContainerInstances('arn:aws:ecs:us-east-1:123456789012:cluster/default', 'attribute:stack == prod')).toHaveLength(5);
  });

  it('sees runningTasksCount and task groups', async () => {
    const { world } = await world6();
    const [first] = await world.listContainerInstances('default', 'attribute:stack == prod');
    await world.startTask({ ...START, group: 'blox:env', taskDefinition: 'log-daemon:1', containerInstances: [first!.arn] });
    expect(await world.listContainerInstances('default', 'runningTasksCount > 0')).toHaveLength(1);
    expect(await world.listContainerInstances('default', 'task:group == blox:env')).toHaveLength(1);
    expect(await world.listContainerInstances('default', 'not(task:group == blox:env) and attribute:stack == prod')).toHaveLength(4);
  });

  it('lists ACTIVE and DRAINING, not INACTIVE; other clusters apart', async () => {
    const { world } = await world6();
    const all = await world.listContainerInstances('default');
    world.drainInstance(all[0]!.arn);
    world.removeInstance(all[1]!.arn);
    world.addInstances({ cluster: 'other', count: 2, attributes: { stack: 'prod' } });
    expect(await world.listContainerInstances('default', 'attribute:stack == prod')).toHaveLength(4);
    expect(await world.listContainerInstances('other')).toHaveLength(2);
  });

  it('refuses a filter that does not parse with InvalidParameterException, and an unknown cluster', async () => {
    const { world } = await world6();
    await expect(world.listContainerInstances('default', 'attribute:stack ==')).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('expected a value after "=="') as unknown,
    });
    await expect(world.listContainerInstances('nope')).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
  });
});

describe('listTasks', () => {
  it('lists a startedBy\'s tasks, stopped ones for stoppedRetentionSeconds', async () => {
    const { clock, world } = testBed({ stoppedRetentionSeconds: 600 });
    const [instance] = world.addInstances();
    const mine = (await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] })).tasks[0]!;
    const stopped = (await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] })).tasks[0]!;
    await world.startTask({ ...START, startedBy: 'someone-else', taskDefinition: 'x:1', containerInstances: [instance!.arn] });
    await world.stopTask('default', stopped.arn, 'bye');
    clock.advance(1000); // stopped at T0 + 1 s
    expect((await world.listTasks('default', START.startedBy)).map((t) => [t.arn, t.lastStatus])).toEqual([
      [mine.arn, 'PENDING'],
      [stopped.arn, 'STOPPED'],
    ]);
    clock.advance(600_000);
    expect(await world.listTasks('default', START.startedBy)).toHaveLength(2); // exactly 600 s after: still listed
    clock.advance(1);
    expect((await world.listTasks('default', START.startedBy)).map((t) => t.arn)).toEqual([mine.arn]);
    expect(await world.listTasks('default', 'nobody')).toEqual([]);
  });
});

describe('throttling', () => {
  it('throws ThrottlingException on about 30% of the calls at probability 0.3 (seeded: an exact count)', async () => {
    // 1000 calls at one instant: ECS's rate limits would refuse most of them (rate-limits.test.ts).
    const { world } = testBed({ seed: 42, rateLimits: false });
    world.addInstances({ count: 2 });
    world.throttle(0.3);
    let throttled = 0;
    let first: unknown;
    for (let i = 0; i < 1000; i++) {
      try {
        await world.listContainerInstances('default');
      } catch (error) {
        throttled++;
        first ??= error;
      }
    }
    expect(throttled).toBe(EXPECTED_THROTTLED);
    expect(throttled).toBeGreaterThan(250);
    expect(throttled).toBeLessThan(350);
    expect(first).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $retryable: { throttling: true }, $fault: 'client' });
    expect(first).toBeInstanceOf(Error);

    world.throttle(0);
    await expect(world.listContainerInstances('default')).resolves.toHaveLength(2);
  });

  it('uses the RNG it is given, and a throttled StartTask changes nothing', async () => {
    const { clock, world, events } = testBed();
    const [instance] = world.addInstances();
    clock.advance(0);
    const before = events.length;
    world.throttle(1, () => 0.5);
    await expect(world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] })).rejects.toMatchObject({ name: 'ThrottlingException' });
    clock.advance(0);
    expect(events).toHaveLength(before);
    world.throttle(0.4, () => 0.5);
    await expect(world.listTasks('default', START.startedBy)).resolves.toEqual([]);
    expect(() => world.throttle(1.5)).toThrow(RangeError);
  });
});

/** The number of throttled calls out of 1000 at p = 0.3 with seed 42 (mulberry32); pinned. */
const EXPECTED_THROTTLED = 284;
