import { describe, expect, it } from 'vitest';
import { parseInboundEvent } from '../../../events/aws';
import { VirtualClock } from '../../../local/sim/clock';
import type { SimulatedEcsEvent } from '../../../local/sim/events';
import { SimulatedCluster } from '../../../local/sim/world';
import { instanceEvents, START, T0, taskEvents, testBed } from './helpers';

/** A scripted scenario touching every kind of change: placements, health, a stop, a crash, a failed start, a drain, a termination. */
async function scenario(world: SimulatedCluster, clock: VirtualClock): Promise<void> {
  world.configureTaskDefinition('crashy:1', { crashAfterSeconds: 4 });
  world.configureTaskDefinition('broken:1', { failStart: 'CannotPullContainerError: pull access denied' });
  world.configureTaskDefinition('sick:1', { health: 'unhealthy' });
  const instances = world.addInstances({ count: 3, attributes: { stack: 'prod' } });
  clock.advance(500);
  for (const [i, taskDefinition] of ['log-daemon:1', 'crashy:1', 'broken:1'].entries()) {
    await world.startTask({ ...START, taskDefinition, containerInstances: [instances[i]!.arn] });
  }
  const sick = (await world.startTask({ ...START, taskDefinition: 'sick:1', containerInstances: [instances[0]!.arn] })).tasks[0]!;
  clock.advance(3_500);
  await world.stopTask('default', sick.arn, 'unhealthy');
  world.drainInstance(instances[1]!.arn);
  clock.advance(10_000);
  world.removeInstance(instances[0]!.arn);
  clock.advance(10_000);
}

async function eventStream(seed: number): Promise<SimulatedEcsEvent[]> {
  const clock = new VirtualClock(T0);
  const world = new SimulatedCluster({ clock, seed });
  const events: SimulatedEcsEvent[] = [];
  world.onEvent((event) => events.push(event));
  await scenario(world, clock);
  return events;
}

describe('events', () => {
  it('every emitted event is a valid inbound ECS event (events/aws schemas)', async () => {
    const events = await eventStream(7);
    expect(events.length).toBeGreaterThan(20);
    for (const event of events) {
      const parsed = parseInboundEvent(JSON.parse(JSON.stringify(event)));
      expect(parsed.kind).toBe(event['detail-type'] === 'ECS Task State Change' ? 'task' : 'containerInstance');
    }
  });

  it('have the AWS envelope: version "0", source aws.ecs, time at second precision, the resource ARN', async () => {
    const { clock, world, events } = testBed();
    const [instance] = world.addInstances({ attributes: { stack: 'prod' } });
    clock.advance(1234);
    const { tasks } = await world.startTask({ ...START, taskDefinition: 'log-daemon:1', containerInstances: [instance!.arn] });
    clock.advance(0);
    const [registered, pending, resources] = events;
    expect(registered).toMatchObject({
      version: '0',
      'detail-type': 'ECS Container Instance State Change',
      source: 'aws.ecs',
      account: '123456789012',
      region: 'us-east-1',
      time: '2024-01-01T00:00:00Z',
      resources: [instance!.arn],
      detail: {
        agentConnected: true,
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
        containerInstanceArn: instance!.arn,
        ec2InstanceId: 'i-00000000000000001',
        status: 'ACTIVE',
        version: 1,
        runningTasksCount: 0,
        pendingTasksCount: 0,
        registeredAt: '2024-01-01T00:00:00.000Z',
        versionInfo: { agentVersion: '1.89.0' },
        registeredResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: 2048, doubleValue: 0, longValue: 0 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 4096, doubleValue: 0, longValue: 0 },
          { name: 'PORTS', type: 'STRINGSET' },
          { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
        ],
      },
    });
    expect(registered!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(registered!['detail-type'] === 'ECS Container Instance State Change' && registered!.detail.attributes).toContainEqual({ name: 'stack', value: 'prod' });

    expect(pending).toMatchObject({
      'detail-type': 'ECS Task State Change',
      time: '2024-01-01T00:00:01Z',
      resources: [tasks[0]!.arn],
      detail: {
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
        containerInstanceArn: instance!.arn,
        taskArn: tasks[0]!.arn,
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/log-daemon:1',
        group: 'family:log-daemon',
        startedBy: 'blox/env-prod',
        launchType: 'EC2',
        lastStatus: 'PENDING',
        desiredStatus: 'RUNNING',
        healthStatus: 'UNKNOWN',
        cpu: '512',
        memory: '1024',
        availabilityZone: 'us-east-1a',
        connectivity: 'CONNECTED',
        createdAt: '2024-01-01T00:00:01.234Z',
        updatedAt: '2024-01-01T00:00:01.234Z',
        version: 1,
        containers: [{ name: 'log-daemon', lastStatus: 'PENDING', taskArn: tasks[0]!.arn, healthStatus: 'UNKNOWN' }],
      },
    });
    // Like real task state change events: no tags, and absent fields are left out.
    expect(pending!.detail).not.toHaveProperty('tags');
    expect(pending!.detail).not.toHaveProperty('startedAt');
    expect(pending!.detail).not.toHaveProperty('stopCode');
    // The placement shows on the instance: remaining resources, counts, version.
    expect(resources).toMatchObject({
      'detail-type': 'ECS Container Instance State Change',
      detail: {
        version: 2,
        runningTasksCount: 1,
        pendingTasksCount: 1,
        remainingResources: [{ name: 'CPU', integerValue: 1536 }, { name: 'MEMORY', integerValue: 3072 }, { name: 'PORTS' }, { name: 'PORTS_UDP' }],
      },
    });
  });

  it('per task: PENDING before RUNNING before STOPPING before STOPPED, versions increasing, timestamps filled in', async () => {
    const events = await eventStream(3);
    const taskArns = [...new Set(events.flatMap((e) => (e['detail-type'] === 'ECS Task State Change' ? [e.detail.taskArn] : [])))];
    expect(taskArns).toHaveLength(4);
    const order = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'];
    const sequences = new Map<string, string[]>();
    for (const arn of taskArns) {
      const own = taskEvents(events, arn);
      const statuses = own.map((e) => e.detail.lastStatus);
      sequences.set(own[0]!.detail.taskDefinitionArn.split('/').pop()!, statuses);
      const ranks = statuses.map((s) => order.indexOf(s));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      const versions = own.map((e) => e.detail.version);
      for (let i = 1; i < versions.length; i++) expect(versions[i]!).toBeGreaterThan(versions[i - 1]!);
      const stopped = own.at(-1)!;
      expect(stopped.detail).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
      expect(stopped.detail.stoppedAt).toBeDefined();
      expect(stopped.detail.stopCode).toBeDefined();
    }
    expect(Object.fromEntries(sequences)).toEqual({
      'log-daemon:1': ['PENDING', 'RUNNING', 'STOPPED'], // terminated with its instance
      'crashy:1': ['PENDING', 'RUNNING', 'STOPPED'],
      'broken:1': ['PENDING', 'STOPPED'],
      'sick:1': ['PENDING', 'RUNNING', 'STOPPING', 'STOPPED'],
    });
    const stopCodes = taskArns.map((arn) => taskEvents(events, arn).at(-1)!.detail.stopCode);
    expect(stopCodes.sort()).toEqual(['EssentialContainerExited', 'TaskFailedToStart', 'TerminationNotice', 'UserInitiated']);
  });

  it('per instance: versions increase by one with every change; times never go back', async () => {
    const events = await eventStream(3);
    for (const arn of new Set(instanceEvents(events).map((e) => e.detail.containerInstanceArn))) {
      const versions = instanceEvents(events, arn).map((e) => e.detail.version);
      expect(versions).toEqual(versions.map((_, i) => i + 1));
    }
    const times = events.map((e) => Date.parse(e.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const statuses = instanceEvents(events).map((e) => e.detail.status);
    expect(statuses).toContain('DRAINING');
    expect(statuses.at(-1)).toBe('INACTIVE');
  });

  it('a health change emits no event by default (as in ECS), one with healthChangeEvents', async () => {
    for (const healthChangeEvents of [false, true]) {
      const { clock, world, events } = testBed({ healthChangeEvents });
      const [instance] = world.addInstances();
      const { tasks } = await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] });
      clock.advance(10_000);
      const own = taskEvents(events, tasks[0]!.arn).map((e) => `${e.detail.lastStatus}/${e.detail.healthStatus}/v${e.detail.version}`);
      expect(own).toEqual(healthChangeEvents ? ['PENDING/UNKNOWN/v1', 'RUNNING/UNKNOWN/v2', 'RUNNING/HEALTHY/v3'] : ['PENDING/UNKNOWN/v1', 'RUNNING/UNKNOWN/v2']);
    }
  });

  it('are delivered through the clock (never from inside an API call), eventDelayMs later', async () => {
    const { clock, world, events } = testBed({ eventDelayMs: 250 });
    const [instance] = world.addInstances();
    expect(events).toHaveLength(0);
    await world.startTask({ ...START, taskDefinition: 'x:1', containerInstances: [instance!.arn] });
    expect(events).toHaveLength(0);
    clock.advance(249);
    expect(events).toHaveLength(0);
    clock.advance(1);
    expect(events.map((e) => e['detail-type'])).toEqual(['ECS Container Instance State Change', 'ECS Task State Change', 'ECS Container Instance State Change']);
  });

  it('unsubscribe stops delivery; a throwing listener does not starve the others', async () => {
    const { clock, world } = testBed();
    const seen: string[] = [];
    const off = world.onEvent(() => seen.push('a'));
    world.onEvent(() => {
      throw new Error('listener failed');
    });
    world.onEvent(() => seen.push('c'));
    world.addInstances();
    expect(() => clock.advance(0)).toThrow('listener failed');
    expect(seen).toEqual(['a', 'c']);
    off();
    world.addInstances();
    expect(() => clock.advance(0)).toThrow('listener failed');
    expect(seen).toEqual(['a', 'c', 'c']);
  });
});

describe('determinism', () => {
  it('the same seed and the same calls give the identical event stream', async () => {
    const first = JSON.stringify(await eventStream(11));
    const second = JSON.stringify(await eventStream(11));
    expect(second).toBe(first);
  });

  it('another seed gives other ids (and the same story)', async () => {
    const a = await eventStream(11);
    const b = await eventStream(12);
    expect(b.map((e) => e.id)).not.toEqual(a.map((e) => e.id));
    const story = (events: SimulatedEcsEvent[]) => events.map((e) => `${e['detail-type']}:${e.time}`);
    expect(story(b)).toEqual(story(a));
  });

  it('ids are unique', async () => {
    const events = await eventStream(5);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});
