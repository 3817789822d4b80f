/**
 * The ECS services adapter against a mocked ECS client: the requests it sends for each `Services`
 * method (EXTERNAL controller, no task definition or load balancers on the service, scale in
 * percent, EC2, the client token), adopting an existing service, losing a create race, the mapping
 * of ECS's answers to the port's shapes, errors passed through unchanged, and `ECS_CALLS` against
 * what it sends.
 */
import {
  CreateServiceCommand,
  CreateTaskSetCommand,
  DeleteServiceCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  ECSClient,
  InvalidParameterException,
  ServiceNotActiveException,
  UpdateServiceCommand,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
} from '@aws-sdk/client-ecs';
import type { Service as EcsService, TaskSet as EcsTaskSet } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EcsServices, toClusterService, toServiceTaskSet } from '../../../functions/adapters/ecs-services';
import type { EcsCalls } from '../../../functions/ecs-budget-port';
import { ECS_CALLS } from '../../../functions/ecs-budget-port';
import { ServiceControllerError } from '../../../functions/ports';

const ecs = mockClient(ECSClient);
let services: EcsServices;

beforeEach(() => {
  ecs.reset();
  services = new EcsServices(new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
});
afterEach(() => ecs.reset());

const ARN = 'arn:aws:ecs:us-east-1:123456789012';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const at = (seconds: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, seconds));

function ecsTaskSet(n: number, overrides: Partial<EcsTaskSet> = {}): EcsTaskSet {
  const id = `ecs-svc/${String(n).repeat(19).slice(0, 19)}`;
  return {
    id,
    taskSetArn: `${ARN}:task-set/default/web/${id}`,
    serviceArn: `${ARN}:service/default/web`,
    clusterArn: `${ARN}:cluster/default`,
    externalId: String(n),
    status: 'ACTIVE',
    taskDefinition: `${ARN}:task-definition/web:${n}`,
    computedDesiredCount: 2,
    pendingCount: 0,
    runningCount: 2,
    createdAt: at(n),
    updatedAt: at(n + 10),
    launchType: 'EC2',
    loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 80 }],
    serviceRegistries: [],
    scale: { value: 50, unit: 'PERCENT' },
    stabilityStatus: 'STEADY_STATE',
    stabilityStatusAt: at(n + 20),
    ...overrides,
  };
}

function ecsService(overrides: Partial<EcsService> = {}): EcsService {
  return {
    serviceArn: `${ARN}:service/default/web`,
    serviceName: 'web',
    clusterArn: `${ARN}:cluster/default`,
    status: 'ACTIVE',
    desiredCount: 4,
    runningCount: 4,
    pendingCount: 0,
    deploymentController: { type: 'EXTERNAL' },
    taskSets: [ecsTaskSet(2), ecsTaskSet(1, { status: 'PRIMARY' })],
    events: [{ id: 'e2', createdAt: at(30), message: '(service web) has reached a steady state.' }],
    createdAt: at(0),
    ...overrides,
  };
}

/** The requests sent, by ECS action (absent when none). */
function sent(): EcsCalls {
  const counts: EcsCalls = {
    CreateService: ecs.commandCalls(CreateServiceCommand).length,
    DescribeServices: ecs.commandCalls(DescribeServicesCommand).length,
    UpdateService: ecs.commandCalls(UpdateServiceCommand).length,
    DeleteService: ecs.commandCalls(DeleteServiceCommand).length,
    CreateTaskSet: ecs.commandCalls(CreateTaskSetCommand).length,
    UpdateTaskSet: ecs.commandCalls(UpdateTaskSetCommand).length,
    UpdateServicePrimaryTaskSet: ecs.commandCalls(UpdateServicePrimaryTaskSetCommand).length,
    DeleteTaskSet: ecs.commandCalls(DeleteTaskSetCommand).length,
  };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

describe('ensureService', () => {
  it('creates a service with the EXTERNAL controller when ECS has none of that name: no task definition, no load balancers', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: `${ARN}:service/default/web`, reason: 'MISSING' }] });
    ecs.on(CreateServiceCommand).resolves({ service: ecsService({ desiredCount: 3, runningCount: 0, taskSets: [], events: [] }) });
    const service = await services.ensureService({ cluster: 'default', name: 'web', desiredCount: 3 });
    expect(ecs.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toEqual({ cluster: 'default', services: ['web'] });
    expect(ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'default',
      serviceName: 'web',
      desiredCount: 3,
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'EXTERNAL' },
    });
    expect(service).toMatchObject({ name: 'web', status: 'ACTIVE', deploymentController: 'EXTERNAL', desiredCount: 3, taskSets: [] });
    expect(sent()).toEqual(ECS_CALLS.ensureService({ created: true, raced: false }));
  });

  it('adopts an ACTIVE service as it is (its desired count kept), without creating one', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService({ desiredCount: 7 })], failures: [] });
    const service = await services.ensureService({ cluster: 'default', name: 'web', desiredCount: 3 });
    expect(service.desiredCount).toBe(7);
    expect(sent()).toEqual(ECS_CALLS.ensureService({ created: false, raced: false }));
  });

  it('creates again over an INACTIVE (deleted) service', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService({ status: 'INACTIVE' })] });
    ecs.on(CreateServiceCommand).resolves({ service: ecsService({ taskSets: [] }) });
    await services.ensureService({ cluster: 'default', name: 'web', desiredCount: 4 });
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(1);
  });

  it('refuses a service that another deployment controller owns (ECS omits deploymentController for the ECS controller)', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService({ deploymentController: undefined, taskSets: undefined })] });
    const refused = await services.ensureService({ cluster: 'default', name: 'web', desiredCount: 3 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServiceControllerError);
    expect(refused).toMatchObject({ service: 'web', deploymentController: 'ECS' });
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
  });

  it('a create that loses the race to another creator adopts theirs', async () => {
    ecs.on(DescribeServicesCommand).resolvesOnce({ services: [], failures: [{ reason: 'MISSING' }] }).resolves({ services: [ecsService()] });
    ecs.on(CreateServiceCommand).rejects(new InvalidParameterException({ message: 'Creation of service was not idempotent.', $metadata: {} }));
    const service = await services.ensureService({ cluster: 'default', name: 'web', desiredCount: 3 });
    expect(service.arn).toBe(`${ARN}:service/default/web`);
    expect(sent()).toEqual(ECS_CALLS.ensureService({ created: true, raced: true }));
  });

  it('passes other refusals through unchanged (a DRAINING service of that name)', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService({ status: 'DRAINING' })] });
    const draining = new InvalidParameterException({ message: 'Unable to Start a service that is still Draining.', $metadata: {} });
    ecs.on(CreateServiceCommand).rejects(draining);
    await expect(services.ensureService({ cluster: 'default', name: 'web', desiredCount: 3 })).rejects.toBe(draining);
  });
});

describe('task sets and the service', () => {
  it('addTaskSet: scale in percent, EC2, the revision as externalId, one target group, the client token', async () => {
    ecs.on(CreateTaskSetCommand).resolves({ taskSet: ecsTaskSet(3, { scale: { value: 25, unit: 'PERCENT' } }) });
    const taskSet = await services.addTaskSet({
      cluster: 'default',
      service: 'web',
      taskDefinition: 'web:3',
      externalId: '3',
      scale: 25,
      loadBalancer: { targetGroupArn: TG, containerName: 'web', containerPort: 80 },
      clientToken: 'web-3-create',
    });
    expect(ecs.commandCalls(CreateTaskSetCommand)[0]!.args[0].input).toEqual({
      cluster: 'default',
      service: 'web',
      taskDefinition: 'web:3',
      externalId: '3',
      scale: { unit: 'PERCENT', value: 25 },
      launchType: 'EC2',
      loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 80 }],
      clientToken: 'web-3-create',
    });
    expect(taskSet.scale).toBe(25);
    expect(sent()).toEqual(ECS_CALLS.addTaskSet());
  });

  it('FARGATE with awsvpc networking: the launch type and the awsvpcConfiguration as ECS names them', async () => {
    ecs.on(CreateTaskSetCommand).resolves({ taskSet: ecsTaskSet(3, { launchType: 'FARGATE', loadBalancers: [] }) });
    await services.addTaskSet({
      cluster: 'default',
      service: 'web',
      taskDefinition: 'web:3',
      externalId: '3',
      scale: 10,
      launchType: 'FARGATE',
      networkConfiguration: { subnets: ['subnet-0a1b', 'subnet-2c3d'], securityGroups: ['sg-0e4f'], assignPublicIp: 'DISABLED' },
    });
    expect(ecs.commandCalls(CreateTaskSetCommand)[0]!.args[0].input).toEqual({
      cluster: 'default',
      service: 'web',
      taskDefinition: 'web:3',
      externalId: '3',
      scale: { unit: 'PERCENT', value: 10 },
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b', 'subnet-2c3d'], securityGroups: ['sg-0e4f'], assignPublicIp: 'DISABLED' } },
    });
  });

  it('without a load balancer or token, sends neither', async () => {
    ecs.on(CreateTaskSetCommand).resolves({ taskSet: ecsTaskSet(3, { loadBalancers: [] }) });
    await services.addTaskSet({ cluster: 'default', service: 'web', taskDefinition: 'web:3', externalId: '3', scale: 0 });
    const input = ecs.commandCalls(CreateTaskSetCommand)[0]!.args[0].input;
    expect(input).not.toHaveProperty('loadBalancers');
    expect(input).not.toHaveProperty('clientToken');
  });

  it('scale, primary, delete, desired count: one request each, in ECS`s words', async () => {
    ecs.on(UpdateTaskSetCommand).resolves({ taskSet: ecsTaskSet(2) });
    ecs.on(UpdateServicePrimaryTaskSetCommand).resolves({ taskSet: ecsTaskSet(2, { status: 'PRIMARY' }) });
    ecs.on(DeleteTaskSetCommand).resolves({ taskSet: ecsTaskSet(1, { status: 'DRAINING' }) });
    ecs.on(UpdateServiceCommand).resolves({ service: ecsService({ desiredCount: 6 }) });
    ecs.on(DeleteServiceCommand).resolves({ service: ecsService({ status: 'DRAINING', desiredCount: 0 }) });
    const id = ecsTaskSet(2).id!;
    await services.scaleTaskSet('default', 'web', id, 50);
    await services.setPrimaryTaskSet('default', 'web', id);
    expect((await services.removeTaskSet('default', 'web', 'ts-1')).status).toBe('DRAINING');
    await services.removeTaskSet('default', 'web', 'ts-2', { force: true });
    expect((await services.setDesiredCount('default', 'web', 6)).desiredCount).toBe(6);
    expect((await services.removeService('default', 'web', { force: true })).status).toBe('DRAINING');
    expect(ecs.commandCalls(UpdateTaskSetCommand)[0]!.args[0].input).toEqual({ cluster: 'default', service: 'web', taskSet: id, scale: { unit: 'PERCENT', value: 50 } });
    expect(ecs.commandCalls(UpdateServicePrimaryTaskSetCommand)[0]!.args[0].input).toEqual({ cluster: 'default', service: 'web', primaryTaskSet: id });
    expect(ecs.commandCalls(DeleteTaskSetCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'default', service: 'web', taskSet: 'ts-1' },
      { cluster: 'default', service: 'web', taskSet: 'ts-2', force: true },
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'default', service: 'web', desiredCount: 6 });
    expect(ecs.commandCalls(DeleteServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'default', service: 'web', force: true });
    expect(sent()).toEqual({
      ...ECS_CALLS.scaleTaskSet(),
      ...ECS_CALLS.setPrimaryTaskSet(),
      DeleteTaskSet: 2 * ECS_CALLS.removeTaskSet().DeleteTaskSet!,
      ...ECS_CALLS.setDesiredCount(),
      ...ECS_CALLS.removeService(),
    });
  });

  it('describeService: undefined when ECS does not know it', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    expect(await services.describeService('default', 'web')).toBeUndefined();
    expect(sent()).toEqual(ECS_CALLS.describeService());
  });

  it('passes ECS`s errors through unchanged', async () => {
    const notActive = new ServiceNotActiveException({ message: 'Service was not ACTIVE.', $metadata: {} });
    ecs.on(UpdateTaskSetCommand).rejects(notActive);
    await expect(services.scaleTaskSet('default', 'web', 'x', 10)).rejects.toBe(notActive);
  });
});

describe('mapping ECS`s answers', () => {
  it('a service: task sets in creation order, events, ISO times', () => {
    const service = toClusterService(ecsService());
    expect(service).toEqual({
      arn: `${ARN}:service/default/web`,
      name: 'web',
      clusterArn: `${ARN}:cluster/default`,
      status: 'ACTIVE',
      deploymentController: 'EXTERNAL',
      desiredCount: 4,
      runningCount: 4,
      pendingCount: 0,
      taskSets: [toServiceTaskSet(ecsTaskSet(1, { status: 'PRIMARY' })), toServiceTaskSet(ecsTaskSet(2))],
      events: [{ id: 'e2', createdAt: '2024-01-01T00:00:30.000Z', message: '(service web) has reached a steady state.' }],
      createdAt: '2024-01-01T00:00:00.000Z',
    });
  });

  it('a task set, and what ECS leaves out stays out', () => {
    expect(toServiceTaskSet(ecsTaskSet(1))).toEqual({
      id: 'ecs-svc/1111111111111111111',
      arn: `${ARN}:task-set/default/web/ecs-svc/1111111111111111111`,
      externalId: '1',
      status: 'ACTIVE',
      taskDefinitionArn: `${ARN}:task-definition/web:1`,
      scale: 50,
      computedDesiredCount: 2,
      pendingCount: 0,
      runningCount: 2,
      stabilityStatus: 'STEADY_STATE',
      stabilityStatusAt: '2024-01-01T00:00:21.000Z',
      loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 80 }],
      createdAt: '2024-01-01T00:00:01.000Z',
      updatedAt: '2024-01-01T00:00:11.000Z',
    });
    const bare = toServiceTaskSet({ id: 'ecs-svc/1', taskSetArn: 'arn', status: 'DRAINING', createdAt: at(5) });
    expect(bare).not.toHaveProperty('externalId');
    expect(bare).not.toHaveProperty('stabilityStatusAt');
    expect(bare).toMatchObject({ status: 'DRAINING', scale: 0, loadBalancers: [], stabilityStatus: 'STABILIZING', updatedAt: '2024-01-01T00:00:05.000Z' });
  });
});
