/**
 * The simulated ECS's services with the EXTERNAL deployment controller and their task sets
 * (`local/sim/ecs-services.ts`, through the world's API in the AWS SDK's shapes): counts and
 * statuses as ECS reports them, the service scheduler (placement spread, scale-in, replacement of
 * tasks that exit or fail their health check, draining instances), ECS's errors and limits, its
 * rate-limit buckets, load balancer registration on ECS's behalf, snapshots. Every expected value is
 * worked out in the comments; time only moves with the virtual clock.
 *
 * The default world here: 3 instances of 2048 CPU units and 4096 MiB, in us-east-1a, -1b, -1c (the
 * world's round-robin), tasks of 512 / 1024 (4 fit on an instance), up 2 s after placement, HEALTHY
 * 1 s after RUNNING, stopped 1 s after being stopped.
 */
import { describe, expect, it } from 'vitest';
import { createSimulatedServices } from '../../../local/sim/kernel';
import { SimulatedCluster } from '../../../local/sim/world';
import { VirtualClock } from '../../../local/sim/clock';
import { T0, taskEvents, testBed } from './helpers';

const ARN = 'arn:aws:ecs:us-east-1:123456789012';
const TASK_SET_ID = /^ecs-svc\/[1-9][0-9]{18}$/;

async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected the call to fail');
}

/** A world with 3 instances and service `web` (desired 4) with one task set of `web:1` at `scale` %. */
async function webService(scale = 100, options: Parameters<typeof testBed>[0] = {}) {
  const bed = testBed({ rateLimits: false, ...options });
  const instances = bed.world.addInstances({ count: 3 });
  await bed.world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 4, deploymentController: { type: 'EXTERNAL' } });
  const { taskSet } = await bed.world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:1', externalId: '1', scale: { unit: 'PERCENT', value: scale } });
  const describe = async () => (await bed.world.describeTaskSets({ cluster: 'default', service: 'web', taskSets: [taskSet!.id!] })).taskSets![0]!;
  const live = () => bed.world.describeTasks().filter((task) => task.startedBy === taskSet!.id && task.desiredStatus === 'RUNNING');
  return { ...bed, instances, taskSet: taskSet!, describe, live };
}

describe('CreateService with the EXTERNAL deployment controller', () => {
  it('creates an ACTIVE service without task definition or load balancers, and describes it', async () => {
    const { world } = testBed({ rateLimits: false });
    const { service } = await world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 4, deploymentController: { type: 'EXTERNAL' } });
    expect(service).toMatchObject({
      serviceArn: `${ARN}:service/default/web`,
      serviceName: 'web',
      clusterArn: `${ARN}:cluster/default`,
      status: 'ACTIVE',
      desiredCount: 4,
      runningCount: 0,
      pendingCount: 0,
      taskSets: [],
      deployments: [],
      loadBalancers: [],
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'EXTERNAL' },
      createdAt: new Date(T0),
    });
    expect(service!.taskDefinition).toBeUndefined(); // no primary task set yet
    const described = await world.describeServices({ cluster: 'default', services: ['web', 'nope'] });
    expect(described.services!.map((s) => s.serviceName)).toEqual(['web']);
    expect(described.failures).toEqual([{ arn: `${ARN}:service/default/nope`, reason: 'MISSING' }]);
  });

  it('refuses what ECS refuses, with its messages', async () => {
    const { world } = testBed({ rateLimits: false });
    const create = (input: Record<string, unknown>) =>
      failure(world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 1, deploymentController: { type: 'EXTERNAL' }, ...input }));
    expect(await create({ taskDefinition: 'web:1' })).toEqual({ name: 'InvalidParameterException', message: 'TaskDefinition must be blank.' });
    expect(await create({ loadBalancers: [{ targetGroupArn: 'x', containerName: 'web', containerPort: 80 }] })).toEqual({
      name: 'InvalidParameterException',
      message: 'LoadBalancers must be empty or null.',
    });
    expect(await create({ cluster: 'nope' })).toEqual({ name: 'ClusterNotFoundException', message: 'Cluster not found.' });
    expect((await create({ serviceName: 'a/b' })).name).toBe('InvalidParameterException');
    expect((await create({ desiredCount: -1 })).message).toMatch(/^desiredCount: a whole number >= 0/);
    expect((await create({ deploymentController: { type: 'ECS' } })).name).toBe('InvalidParameterException');
    await world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 1, deploymentController: { type: 'EXTERNAL' } });
    expect(await create({})).toEqual({ name: 'InvalidParameterException', message: 'Creation of service was not idempotent.' });
  });
});

describe('task sets: counts, statuses, stability', () => {
  it('keeps computedDesiredCount = ceil(desired × scale / 100) tasks, placed on the clock, spread across zones', async () => {
    const { clock, world, instances, taskSet, describe, events } = await webService(100);
    // The answer: nothing placed yet (the scheduler acts on the clock, not inside the call).
    expect(taskSet).toMatchObject({
      taskSetArn: `${ARN}:task-set/default/web/${taskSet.id}`,
      serviceArn: `${ARN}:service/default/web`,
      externalId: '1',
      status: 'ACTIVE',
      taskDefinition: `${ARN}:task-definition/web:1`,
      computedDesiredCount: 4,
      runningCount: 0,
      pendingCount: 0,
      launchType: 'EC2',
      scale: { value: 100, unit: 'PERCENT' },
      stabilityStatus: 'STABILIZING',
      stabilityStatusAt: new Date(T0),
    });
    expect(taskSet.id).toMatch(TASK_SET_ID);
    expect(world.describeTasks()).toEqual([]);

    clock.advance(0);
    // Zones a, b, c get one each (instances 1, 2, 3), then zone a again: instance 1 (fewest of the service, first registered).
    const tasks = world.describeTasks();
    expect(tasks.map((task) => task.containerInstanceArn)).toEqual([instances[0]!.arn, instances[1]!.arn, instances[2]!.arn, instances[0]!.arn]);
    expect(tasks.every((task) => task.startedBy === taskSet.id && task.group === 'service:web' && task.lastStatus === 'PENDING')).toBe(true);
    expect(await describe()).toMatchObject({ computedDesiredCount: 4, pendingCount: 4, runningCount: 0, stabilityStatus: 'STABILIZING' });
    // The task events are ECS's for a service task: startedBy the task set, group service:<name>.
    expect(taskEvents(events, tasks[0]!.arn)[0]!.detail).toMatchObject({ lastStatus: 'PENDING', startedBy: taskSet.id, group: 'service:web' });

    clock.advance(2000); // RUNNING, health UNKNOWN until 1 s later: not steady yet
    expect(await describe()).toMatchObject({ pendingCount: 0, runningCount: 4, stabilityStatus: 'STABILIZING', stabilityStatusAt: new Date(T0) });
    clock.advance(1000); // HEALTHY
    expect(await describe()).toMatchObject({ runningCount: 4, stabilityStatus: 'STEADY_STATE', stabilityStatusAt: new Date(T0 + 3000) });
    const { services } = await world.describeServices({ cluster: 'default', services: ['web'] });
    expect(services![0]).toMatchObject({ runningCount: 4, pendingCount: 0 });
    // Newest first: steady at 3 s, and at creation (no task set yet then).
    expect(services![0]!.events!.map((event) => [event.message, event.createdAt])).toEqual([
      ['(service web) has reached a steady state.', new Date(T0 + 3000)],
      ['(service web) has reached a steady state.', new Date(T0)],
    ]);
  });

  it('rounds the computed desired count up, as ECS documents (4 × 30 % = 1.2 → 2)', async () => {
    const { clock, world, taskSet, describe } = await webService(30);
    expect(taskSet.computedDesiredCount).toBe(2);
    clock.advance(0);
    expect(world.describeTasks()).toHaveLength(2);
    await world.updateService({ cluster: 'default', service: 'web', desiredCount: 3 }); // 3 × 30 % = 0.9 → 1
    expect((await describe()).computedDesiredCount).toBe(1);
    await world.updateTaskSet({ cluster: 'default', service: 'web', taskSet: taskSet.id!, scale: { unit: 'PERCENT', value: 0 } });
    expect((await describe()).computedDesiredCount).toBe(0);
    await world.updateTaskSet({ cluster: 'default', service: 'web', taskSet: taskSet.id!, scale: { unit: 'PERCENT', value: 33.4 } }); // 1.002 → 2
    expect((await describe()).computedDesiredCount).toBe(2);
  });

  it('scaling in stops tasks keeping the zones balanced: the fullest zone, its fullest instance, the newest task there', async () => {
    const { clock, world, taskSet, describe } = await webService(100);
    clock.advance(3000);
    const [t1, t2, t3, t4] = world.describeTasks();
    const { taskSet: updated } = await world.updateTaskSet({ cluster: 'default', service: 'web', taskSet: taskSet.taskSetArn!, scale: { unit: 'PERCENT', value: 50 } });
    expect(updated).toMatchObject({ computedDesiredCount: 2, runningCount: 4, stabilityStatus: 'STABILIZING', stabilityStatusAt: new Date(T0 + 3000) });
    clock.advance(0);
    // Zone a has t1 and t4 on instance 1: t4 (newest) goes; then a, b, c have one each: zone a first, t1.
    const reason = `Scaling activity initiated by (deployment ${taskSet.id})`;
    expect(world.describeTask(t4!.arn)).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'STOPPING', stopCode: 'ServiceSchedulerInitiated', stoppedReason: reason });
    expect(world.describeTask(t1!.arn)).toMatchObject({ desiredStatus: 'STOPPED', stoppedReason: reason });
    expect([t2, t3].map((task) => world.describeTask(task!.arn)!.desiredStatus)).toEqual(['RUNNING', 'RUNNING']);
    expect(await describe()).toMatchObject({ computedDesiredCount: 2, runningCount: 2, pendingCount: 0, stabilityStatus: 'STEADY_STATE' });
  });

  it('UpdateService desiredCount moves every task set; its task definition cannot change', async () => {
    const { clock, world, describe } = await webService(50);
    await world.updateService({ cluster: 'default', service: 'web', desiredCount: 10 }); // 10 × 50 % = 5
    expect((await describe()).computedDesiredCount).toBe(5);
    clock.advance(0);
    expect(world.describeTasks()).toHaveLength(5);
    expect(await failure(world.updateService({ cluster: 'default', service: 'web', taskDefinition: 'web:2' }))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/^Unable to update task definition on services with a EXTERNAL deployment controller\./),
    });
  });
});

describe('the service scheduler keeps the tasks alive', () => {
  it('replaces a task whose essential container exits', async () => {
    const { clock, world, describe, live } = await webService(25); // 4 × 25 % = 1
    clock.advance(3000);
    const [first] = live();
    world.crashTask(first!.arn);
    expect(world.describeTask(first!.arn)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited' });
    expect(await describe()).toMatchObject({ runningCount: 0, stabilityStatus: 'STABILIZING' });
    clock.advance(0);
    const [second] = live();
    expect(second!.arn).not.toBe(first!.arn);
    expect(second!.lastStatus).toBe('PENDING');
    clock.advance(3000);
    expect(await describe()).toMatchObject({ runningCount: 1, stabilityStatus: 'STEADY_STATE', stabilityStatusAt: new Date(T0 + 6000) });
  });

  it('stops a task whose container health check fails, and replaces it', async () => {
    const { clock, world, live } = await webService(25, { taskDefinitions: { 'web:1': { health: 'unhealthy' } } });
    clock.advance(2000); // RUNNING
    const [first] = live();
    clock.advance(1000); // UNHEALTHY, stopped in the same instant's pass, a replacement placed
    expect(world.describeTask(first!.arn)).toMatchObject({
      healthStatus: 'UNHEALTHY',
      desiredStatus: 'STOPPED',
      lastStatus: 'STOPPING',
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Task failed container health checks',
    });
    const [second] = live();
    expect(second).toMatchObject({ lastStatus: 'PENDING', createdAt: new Date(T0 + 3000).toISOString() });
  });

  it('says why it cannot place a task, and places it when room appears', async () => {
    const bed = testBed({ rateLimits: false, taskDefinitions: { 'big:1': { cpu: 1536, memory: 1024 } } });
    const [small] = bed.world.addInstances({ cpu: 1024, memory: 4096 });
    await bed.world.createService({ cluster: 'default', serviceName: 'big', desiredCount: 1, deploymentController: { type: 'EXTERNAL' } });
    await bed.world.createTaskSet({ cluster: 'default', service: 'big', taskDefinition: 'big:1', scale: { value: 100, unit: 'PERCENT' } });
    bed.clock.advance(0);
    const { services } = await bed.world.describeServices({ cluster: 'default', services: ['big'] });
    expect(services![0]!.events![0]!.message).toBe(
      `(service big) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${small!.arn.split('/').pop()}) has insufficient CPU units available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
    );
    expect(bed.world.describeTasks()).toEqual([]);
    const [room] = bed.world.addInstances(); // 2048 units: fits
    bed.clock.advance(0);
    expect(bed.world.describeTasks().map((task) => task.containerInstanceArn)).toEqual([room!.arn]);
  });

  it('moves tasks off a draining instance: the replacement first, the old one once it is RUNNING', async () => {
    const { clock, world, instances, live, describe } = await webService(25); // one task, on instance 1
    clock.advance(3000);
    const [old] = live();
    expect(old!.containerInstanceArn).toBe(instances[0]!.arn);
    world.drainInstance(instances[0]!.arn);
    clock.advance(0);
    const replacement = live().find((task) => task.arn !== old!.arn)!;
    expect(replacement.containerInstanceArn).toBe(instances[1]!.arn); // zone b: instance 1's zone has the old task
    expect(world.describeTask(old!.arn)!.desiredStatus).toBe('RUNNING');
    expect(await describe()).toMatchObject({ runningCount: 1, pendingCount: 1, stabilityStatus: 'STABILIZING' });
    clock.advance(2000); // the replacement RUNNING: the old one goes
    expect(world.describeTask(old!.arn)).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' });
    clock.advance(1000);
    expect(await describe()).toMatchObject({ runningCount: 1, pendingCount: 0, stabilityStatus: 'STEADY_STATE' });
  });
});

describe('primary task set, deleting task sets and services', () => {
  it('makes one task set PRIMARY (the previous one ACTIVE); the service shows the primary`s task definition', async () => {
    const { world, taskSet } = await webService(100);
    const { taskSet: green } = await world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:2', externalId: '2', scale: { unit: 'PERCENT', value: 0 } });
    expect((await world.updateServicePrimaryTaskSet({ cluster: 'default', service: 'web', primaryTaskSet: taskSet.id! })).taskSet!.status).toBe('PRIMARY');
    expect((await world.describeServices({ cluster: 'default', services: ['web'] })).services![0]!.taskDefinition).toBe(`${ARN}:task-definition/web:1`);
    await world.updateServicePrimaryTaskSet({ cluster: 'default', service: 'web', primaryTaskSet: green!.taskSetArn! });
    const { services } = await world.describeServices({ cluster: 'default', services: ['web'] });
    expect(services![0]!.taskSets!.map((ts) => [ts.externalId, ts.status])).toEqual([
      ['1', 'ACTIVE'],
      ['2', 'PRIMARY'],
    ]);
    expect(services![0]!.taskDefinition).toBe(`${ARN}:task-definition/web:2`);
  });

  it('deletes a task set: refused while scaled above 0 without force; DRAINING until its tasks are STOPPED, then gone', async () => {
    const { clock, world, taskSet } = await webService(50);
    clock.advance(3000);
    const ref = { cluster: 'default', service: 'web', taskSet: taskSet.id! };
    expect((await failure(world.deleteTaskSet(ref))).name).toBe('InvalidParameterException');
    const { taskSet: deleted } = await world.deleteTaskSet({ ...ref, force: true });
    expect(deleted).toMatchObject({ status: 'DRAINING', computedDesiredCount: 0, runningCount: 2 });
    clock.advance(0); // both stopped: STOPPING
    expect((await world.describeTaskSets({ cluster: 'default', service: 'web', taskSets: [taskSet.id!] })).taskSets![0]).toMatchObject({ status: 'DRAINING', runningCount: 0 });
    expect((await failure(world.updateTaskSet({ ...ref, scale: { unit: 'PERCENT', value: 10 } }))).name).toBe('InvalidParameterException');
    clock.advance(1000); // STOPPED: the task set is gone
    expect(await world.describeTaskSets({ cluster: 'default', service: 'web', taskSets: [taskSet.id!] })).toEqual({ taskSets: [], failures: [{ arn: taskSet.id, reason: 'MISSING' }] });
    expect(await failure(world.updateTaskSet({ ...ref, scale: { unit: 'PERCENT', value: 10 } }))).toEqual({ name: 'TaskSetNotFoundException', message: 'The specified task set was not found.' });
  });

  it('allows 5 task sets per service (DRAINING ones count)', async () => {
    const { world } = await webService(0);
    for (let revision = 2; revision <= 5; revision++) await world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: `web:${revision}`, scale: { unit: 'PERCENT', value: 0 } });
    expect(await failure(world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:6', scale: { unit: 'PERCENT', value: 0 } }))).toEqual({
      name: 'InvalidParameterException',
      message: '5 deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.',
    });
  });

  it('checks scale, load balancers, launch type and the client token', async () => {
    const { world } = await webService(0);
    const create = (input: Record<string, unknown>) => world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:2', ...input });
    expect((await failure(create({ scale: { unit: 'PERCENT', value: 100.5 } }))).message).toMatch(/^scale.value: a percentage between 0 and 100/);
    expect((await failure(create({ scale: { unit: 'PERCENT', value: -1 } }))).name).toBe('InvalidParameterException');
    expect((await failure(create({ launchType: 'FARGATE' }))).name).toBe('InvalidParameterException');
    const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
    expect(
      await failure(
        create({
          loadBalancers: [
            { targetGroupArn: tg('blue'), containerName: 'web', containerPort: 80 },
            { targetGroupArn: tg('green'), containerName: 'web', containerPort: 80 },
          ],
        }),
      ),
    ).toEqual({ name: 'InvalidParameterException', message: 'CreateTaskSet cannot have more than 1 load balancer.' });
    expect(await failure(create({ loadBalancers: [{ targetGroupArn: tg('blue'), containerName: 'api', containerPort: 80 }] }))).toEqual({
      name: 'InvalidParameterException',
      message: 'The container api does not exist in the task definition.',
    });
    // The same client token: the same task set, not a second one.
    const first = await create({ clientToken: 'deploy-2', scale: { unit: 'PERCENT', value: 0 } });
    const again = await create({ clientToken: 'deploy-2', scale: { unit: 'PERCENT', value: 0 } });
    expect(again.taskSet!.id).toBe(first.taskSet!.id);
    expect((await world.describeTaskSets({ cluster: 'default', service: 'web' })).taskSets).toHaveLength(2);
  });

  it('deletes a service: refused while scaled above 0; DRAINING until its tasks stop, then INACTIVE; its name can then be used again', async () => {
    const { clock, world } = await webService(100);
    clock.advance(3000);
    expect(await failure(world.deleteService({ cluster: 'default', service: 'web' }))).toEqual({
      name: 'InvalidParameterException',
      message: 'The service cannot be stopped while it is scaled above 0.',
    });
    const { service } = await world.deleteService({ cluster: 'default', service: 'web', force: true });
    expect(service).toMatchObject({ status: 'DRAINING', desiredCount: 0, runningCount: 4 });
    expect(service!.taskSets!.map((ts) => ts.status)).toEqual(['DRAINING']);
    const create = () => world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 1, deploymentController: { type: 'EXTERNAL' } });
    expect(await failure(create())).toEqual({ name: 'InvalidParameterException', message: 'Unable to Start a service that is still Draining.' });
    expect(await failure(world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:2' }))).toEqual({
      name: 'ServiceNotActiveException',
      message: 'Service was not ACTIVE.',
    });
    clock.advance(0); // every task STOPPING: INACTIVE
    expect((await world.describeServices({ cluster: 'default', services: ['web'] })).services![0]!.status).toBe('INACTIVE');
    expect(world.describeTasks().every((task) => task.desiredStatus === 'STOPPED')).toBe(true);
    expect((await create()).service).toMatchObject({ status: 'ACTIVE', desiredCount: 1, taskSets: [] });
    expect(await failure(world.updateService({ cluster: 'default', service: 'other', desiredCount: 1 }))).toEqual({ name: 'ServiceNotFoundException', message: 'Service not found.' });
  });
});

describe('ECS rate limits for services', () => {
  it('Create/Update/DeleteService and the task set changes share the service modify bucket (50, 5/s); Describe* the read one (100, 20/s)', async () => {
    const { clock, world } = testBed();
    world.addInstances();
    expect(world.rateLimitTokens('service-modify')).toBe(50);
    await world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 0, deploymentController: { type: 'EXTERNAL' } });
    const { taskSet } = await world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:1', scale: { unit: 'PERCENT', value: 0 } });
    for (let i = 0; i < 48; i++) await world.updateService({ cluster: 'default', service: 'web', desiredCount: i % 2 });
    expect(world.rateLimitTokens('service-modify')).toBe(0); // 1 + 1 + 48 = 50
    const refused = await failure(world.updateTaskSet({ cluster: 'default', service: 'web', taskSet: taskSet!.id!, scale: { unit: 'PERCENT', value: 10 } }));
    expect(refused).toEqual({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect((await world.describeTaskSets({ cluster: 'default', service: 'web' })).taskSets![0]!.scale!.value).toBe(0); // unchanged
    expect(world.rateLimitTokens('service-read')).toBe(99);
    expect(world.rateLimitTokens('cluster-resource-modify')).toBe(100); // the scheduler's placements are ECS's own
    clock.advance(200); // 5/s: one token
    await world.updateTaskSet({ cluster: 'default', service: 'web', taskSet: taskSet!.id!, scale: { unit: 'PERCENT', value: 10 } });
    expect(world.rateLimitTokens('service-modify')).toBeCloseTo(0, 9);
  });
});

describe('load balancers: ECS registers a task set`s RUNNING tasks in its target group', () => {
  it('registers each task when RUNNING (instance id and host port) and deregisters it when it stops', async () => {
    const clock = new VirtualClock(T0);
    const world = new SimulatedCluster({ clock, rateLimits: false });
    const sim = createSimulatedServices({ world, clock, description: { targetGroups: { web: { cluster: 'default' } }, traffic: {}, alarms: {} }, rateLimits: false });
    world.useLoadBalancing({
      registerOnBehalf: (name, targets) => sim.elbv2.registerOnBehalf(name, targets),
      deregisterOnBehalf: (name, targets) => sim.elbv2.deregisterOnBehalf(name, targets),
      targetGroupArn: (name) => sim.elbv2.targetGroupArn(name),
      hostPort: (taskArn) => sim.traffic.endpointOf(taskArn)?.port,
    });
    const [instance] = world.addInstances();
    const web = sim.elbv2.targetGroupArn('web')!;
    await world.createService({ cluster: 'default', serviceName: 'web', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } });
    const missing = web.replace(/targetgroup\/web\//, 'targetgroup/nope/');
    expect((await failure(world.createTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:1', loadBalancers: [{ targetGroupArn: missing, containerName: 'web', containerPort: 80 }] }))).message).toMatch(
      /^Unable to assume role and validate the specified targetGroupArn/,
    );
    const { taskSet } = await world.createTaskSet({
      cluster: 'default',
      service: 'web',
      taskDefinition: 'web:1',
      scale: { unit: 'PERCENT', value: 100 },
      loadBalancers: [{ targetGroupArn: web, containerName: 'web', containerPort: 80 }],
    });
    clock.advance(0);
    expect((await sim.elbv2.describeTargetHealth({ TargetGroupArn: web })).TargetHealthDescriptions).toEqual([]); // PENDING: not yet
    clock.advance(2000);
    // Both RUNNING on the one instance, host ports 32768 and 32769 (the lowest free ones).
    const health = (await sim.elbv2.describeTargetHealth({ TargetGroupArn: web })).TargetHealthDescriptions;
    expect(health.map((d) => [d.Target.Id, d.Target.Port, d.TargetHealth.State])).toEqual([
      [instance!.ec2InstanceId, 32768, 'initial'],
      [instance!.ec2InstanceId, 32769, 'initial'],
    ]);
    await world.updateTaskSet({ cluster: 'default', service: 'web', taskSet: taskSet!.id!, scale: { unit: 'PERCENT', value: 50 } });
    clock.advance(0); // one stopped (the newest: port 32769): deregistered, and at once gone (nothing answers there to drain)
    const after = (await sim.elbv2.describeTargetHealth({ TargetGroupArn: web })).TargetHealthDescriptions;
    expect(after.map((d) => [d.Target.Port, d.TargetHealth.State])).toEqual([[32768, 'initial']]);
    const { services } = await world.describeServices({ cluster: 'default', services: ['web'] });
    expect(services![0]!.events!.slice(0, 3).map((e) => e.message)).toEqual([
      `(service web) deregistered 1 targets in (target-group ${web})`,
      `(service web) registered 1 targets in (target-group ${web})`,
      `(service web) registered 1 targets in (target-group ${web})`,
    ]);
    sim.close();
  });
});

describe('snapshots', () => {
  it('a world that never had a service snapshots as before (no ecsServices)', () => {
    const { world } = testBed();
    world.addInstances();
    expect('ecsServices' in world.toJSON()).toBe(false);
  });

  it('keeps services and task sets, and the scheduler carries on after a restore', async () => {
    const { clock, world, taskSet } = await webService(50);
    clock.advance(3000);
    const snapshot = JSON.parse(JSON.stringify(world.toJSON())) as unknown;
    const restoredClock = new VirtualClock(clock.now());
    const restored = SimulatedCluster.fromJSON(snapshot, { clock: restoredClock });
    const before = await world.describeServices({ cluster: 'default', services: ['web'] });
    const after = await restored.describeServices({ cluster: 'default', services: ['web'] });
    expect(after).toEqual(before);
    const [first] = restored.describeTasks().filter((task) => task.startedBy === taskSet.id);
    restored.crashTask(first!.arn);
    restoredClock.advance(0); // the restored scheduler replaces it
    expect(restored.describeTasks().filter((task) => task.startedBy === taskSet.id && task.desiredStatus === 'RUNNING')).toHaveLength(2);
  });
});
