/**
 * The `Services` port over Amazon ECS (`@aws-sdk/client-ecs`): services with the EXTERNAL deployment
 * controller and their task sets. The local stack and the tests use the simulated cluster
 * (`local/sim/world.ts`, which answers with these same mapping functions) instead.
 *
 * What ECS does, and what this adapter does about it (ECS API reference; "Deploy Amazon ECS services
 * using a third-party controller", ECS Developer Guide):
 *
 * - CreateService with `deploymentController: { type: 'EXTERNAL' }` takes only what is not set per
 *   task set: the name (1–255 letters, digits, `-`, `_`), `desiredCount` (required for the REPLICA
 *   strategy, the only one EXTERNAL allows), placement, tags. A task definition is refused
 *   ("TaskDefinition must be blank."), and so are load balancers ("LoadBalancers must be empty or
 *   null."): the target group goes on the task set. This adapter sends neither.
 * - A name already used by an ACTIVE service is refused ("Creation of service was not idempotent."),
 *   one used by a DRAINING service too ("Unable to Start a service that is still Draining."); an
 *   INACTIVE (deleted) service's name can be used again. `ensureService` describes first and adopts
 *   an ACTIVE service as it is (its desired count may be Application Auto Scaling's); a create that
 *   loses a race to another creator describes again and adopts.
 * - DescribeServices: at most 10 services a call; an unknown service is a `MISSING` failure, not an
 *   error. For an EXTERNAL service it returns `taskSets` (the service's task definition and load
 *   balancers are the primary task set's); `deploymentController` and `taskSets` are absent for a
 *   service with the ECS controller. `events`: the latest 100, newest first.
 * - UpdateService on an EXTERNAL service changes the desired count (and placement, grace period,
 *   tag options), never the task definition: that is a new task set.
 * - CreateTaskSet: `scale` in percent (0–100) of the service's desired count, ECS keeps
 *   ceil(desiredCount × scale / 100) tasks (`computedDesiredCount`, "always rounded up"); at most
 *   one load balancer (target group) per task set; 5 task sets per service ("5 deployments exist on
 *   the service. Unable to create new TaskSet since this exceeds the maximum limit."). A created
 *   task set is ACTIVE, not PRIMARY. `clientToken` (up to 36 ASCII characters 33–126) makes a retried
 *   create return the same task set: the SDK retries a create whose answer was lost.
 * - UpdateTaskSet changes the scale only; UpdateServicePrimaryTaskSet makes one PRIMARY (the previous
 *   one ACTIVE); DeleteTaskSet: DRAINING until its tasks are stopped, refused while scaled above 0
 *   unless `force`. DeleteService: refused while the desired count is above 0 unless `force`.
 * - Rate limits ("Request throttling for the Amazon ECS API"): Create/Update/DeleteService share the
 *   service modify bucket (50 at once, 5 a second), DescribeServices the service read bucket (100,
 *   20/s); the task set actions are not in ECS's table (`ECS_ACTION_BUCKET` counts them as service
 *   modify / read). What each method sends: `ECS_CALLS` in `ecs-budget-port.ts`.
 *
 * Throttling and transient errors are retried by the SDK (adaptive retry mode, `createEcsClient`);
 * whatever still fails propagates unchanged: the executor decides.
 */
import {
  CreateServiceCommand,
  CreateTaskSetCommand,
  DeleteServiceCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  UpdateServiceCommand,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
} from '@aws-sdk/client-ecs';
import type { ECSClient, Service as EcsService, TaskSet as EcsTaskSet } from '@aws-sdk/client-ecs';
import type { AddTaskSetInput, ClusterService, ServiceStatus, Services, ServiceTaskSet, TaskSetStability, TaskSetStatus } from '../ports';
import { ServiceControllerError } from '../ports';

export { createEcsClient } from './ecs-cluster';

const EPOCH_ISO = new Date(0).toISOString();

export class EcsServices implements Services {
  constructor(private readonly client: ECSClient) {}

  async ensureService(input: { cluster: string; name: string; desiredCount: number }): Promise<ClusterService> {
    const existing = await this.describeService(input.cluster, input.name);
    if (existing?.status === 'ACTIVE') return adopt(existing);
    try {
      const output = await this.client.send(
        new CreateServiceCommand({
          cluster: input.cluster,
          serviceName: input.name,
          desiredCount: input.desiredCount,
          schedulingStrategy: 'REPLICA',
          deploymentController: { type: 'EXTERNAL' },
        }),
      );
      return toClusterService(required(output.service, 'CreateService'));
    } catch (error) {
      // Another creator got there between our describe and our create: theirs is the service.
      if (isNotIdempotent(error)) {
        const again = await this.describeService(input.cluster, input.name);
        if (again?.status === 'ACTIVE') return adopt(again);
      }
      throw error;
    }
  }

  async describeService(cluster: string, name: string): Promise<ClusterService | undefined> {
    const output = await this.client.send(new DescribeServicesCommand({ cluster, services: [name] }));
    const [service] = output.services ?? [];
    return service && toClusterService(service);
  }

  async setDesiredCount(cluster: string, name: string, desiredCount: number): Promise<ClusterService> {
    const output = await this.client.send(new UpdateServiceCommand({ cluster, service: name, desiredCount }));
    return toClusterService(required(output.service, 'UpdateService'));
  }

  async addTaskSet(input: AddTaskSetInput): Promise<ServiceTaskSet> {
    const output = await this.client.send(
      new CreateTaskSetCommand({
        cluster: input.cluster,
        service: input.service,
        taskDefinition: input.taskDefinition,
        externalId: input.externalId,
        scale: { unit: 'PERCENT', value: input.scale },
        launchType: input.launchType ?? 'EC2',
        ...(input.networkConfiguration
          ? {
              networkConfiguration: {
                awsvpcConfiguration: {
                  subnets: input.networkConfiguration.subnets,
                  ...(input.networkConfiguration.securityGroups ? { securityGroups: input.networkConfiguration.securityGroups } : {}),
                  ...(input.networkConfiguration.assignPublicIp ? { assignPublicIp: input.networkConfiguration.assignPublicIp } : {}),
                },
              },
            }
          : {}),
        ...(input.loadBalancer
          ? { loadBalancers: [{ targetGroupArn: input.loadBalancer.targetGroupArn, containerName: input.loadBalancer.containerName, containerPort: input.loadBalancer.containerPort }] }
          : {}),
        ...(input.clientToken !== undefined ? { clientToken: input.clientToken } : {}),
      }),
    );
    return toServiceTaskSet(required(output.taskSet, 'CreateTaskSet'));
  }

  async scaleTaskSet(cluster: string, service: string, taskSet: string, scale: number): Promise<ServiceTaskSet> {
    const output = await this.client.send(new UpdateTaskSetCommand({ cluster, service, taskSet, scale: { unit: 'PERCENT', value: scale } }));
    return toServiceTaskSet(required(output.taskSet, 'UpdateTaskSet'));
  }

  async setPrimaryTaskSet(cluster: string, service: string, taskSet: string): Promise<ServiceTaskSet> {
    const output = await this.client.send(new UpdateServicePrimaryTaskSetCommand({ cluster, service, primaryTaskSet: taskSet }));
    return toServiceTaskSet(required(output.taskSet, 'UpdateServicePrimaryTaskSet'));
  }

  async removeTaskSet(cluster: string, service: string, taskSet: string, options: { force?: boolean } = {}): Promise<ServiceTaskSet> {
    const output = await this.client.send(new DeleteTaskSetCommand({ cluster, service, taskSet, ...(options.force ? { force: true } : {}) }));
    return toServiceTaskSet(required(output.taskSet, 'DeleteTaskSet'));
  }

  async removeService(cluster: string, name: string, options: { force?: boolean } = {}): Promise<ClusterService> {
    const output = await this.client.send(new DeleteServiceCommand({ cluster, service: name, ...(options.force ? { force: true } : {}) }));
    return toClusterService(required(output.service, 'DeleteService'));
  }
}

// ── Mapping (shared with the simulated cluster, which answers in the SDK's shapes) ─────────────────

export function toClusterService(service: EcsService): ClusterService {
  return {
    arn: service.serviceArn ?? '',
    name: service.serviceName ?? '',
    clusterArn: service.clusterArn ?? '',
    status: (service.status ?? 'ACTIVE') as ServiceStatus,
    // ECS omits the controller of a service with the ECS controller.
    deploymentController: service.deploymentController?.type ?? 'ECS',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    pendingCount: service.pendingCount ?? 0,
    taskSets: (service.taskSets ?? []).map(toServiceTaskSet).sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    events: (service.events ?? []).map((event) => ({ id: event.id ?? '', createdAt: iso(event.createdAt) ?? EPOCH_ISO, message: event.message ?? '' })),
    createdAt: iso(service.createdAt) ?? EPOCH_ISO,
  };
}

export function toServiceTaskSet(taskSet: EcsTaskSet): ServiceTaskSet {
  const createdAt = iso(taskSet.createdAt) ?? EPOCH_ISO;
  const result: ServiceTaskSet = {
    id: taskSet.id ?? '',
    arn: taskSet.taskSetArn ?? '',
    status: (taskSet.status ?? 'ACTIVE') as TaskSetStatus,
    taskDefinitionArn: taskSet.taskDefinition ?? '',
    scale: taskSet.scale?.value ?? 0,
    computedDesiredCount: taskSet.computedDesiredCount ?? 0,
    pendingCount: taskSet.pendingCount ?? 0,
    runningCount: taskSet.runningCount ?? 0,
    stabilityStatus: (taskSet.stabilityStatus ?? 'STABILIZING') as TaskSetStability,
    loadBalancers: (taskSet.loadBalancers ?? []).flatMap((lb) =>
      lb.targetGroupArn === undefined ? [] : [{ targetGroupArn: lb.targetGroupArn, containerName: lb.containerName ?? '', containerPort: lb.containerPort ?? 0 }],
    ),
    createdAt,
    updatedAt: iso(taskSet.updatedAt) ?? createdAt,
  };
  // Absent fields stay absent, as ECS omits them.
  if (taskSet.externalId !== undefined) result.externalId = taskSet.externalId;
  const stabilityStatusAt = iso(taskSet.stabilityStatusAt);
  if (stabilityStatusAt !== undefined) result.stabilityStatusAt = stabilityStatusAt;
  return result;
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────────────

function adopt(service: ClusterService): ClusterService {
  if (service.deploymentController !== 'EXTERNAL') throw new ServiceControllerError(service.name, service.deploymentController);
  return service;
}

function isNotIdempotent(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'InvalidParameterException' && /Creation of service was not idempotent/.test((error as Error).message);
}

function required<T>(value: T | undefined, action: string): T {
  if (value === undefined) throw new Error(`ECS ${action} answered without the resource it changed`);
  return value;
}

function iso(date: Date | string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const parsed = date instanceof Date ? date : new Date(date);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}
