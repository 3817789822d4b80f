/**
 * The `Cluster` port over Amazon ECS (`@aws-sdk/client-ecs`). The local stack and the tests use the
 * simulated cluster (`local/sim/world.ts`) instead; both answer the same shapes.
 *
 * What ECS does, and what this adapter does about it (ECS API reference):
 *
 * - ListContainerInstances without `status` lists every instance that is not INACTIVE (ACTIVE,
 *   DRAINING and the transitional REGISTERING / DEREGISTERING / REGISTRATION_FAILED), so one listing
 *   covers ACTIVE and DRAINING; the others are dropped after Describe, as the simulated cluster does.
 *   The filter is sent in canonical spelling (`printQuery(parseQuery(filter).ast)`): our parser also
 *   accepts `in (a, b)`, ECS documents `in [a, b]`. Pages of at most 100 (`maxResults` 1..100).
 * - DescribeContainerInstances and DescribeTasks take at most 100 ARNs a call.
 * - ListTasks filters by desired status, RUNNING when not given: RUNNING and STOPPED are listed in
 *   turn (stopped tasks stay listed for at least an hour). `include: ['TAGS']` makes DescribeTasks
 *   return the tags (Blox's `blox:*` tags identify revision and action).
 * - StartTask: up to 10 container instances a call (one task on each; the executor sends a batch);
 *   `startedBy` up to 36 characters
 *   of letters, digits, `-`, `/`, `_`; at most 50 tags. Placement failures come back in `failures[]`
 *   (`RESOURCE:MEMORY`, `AGENT`, …), not as errors.
 * - StopTask: `reason` up to 255 characters (truncated here).
 *
 * Throttling and transient errors are retried by the SDK (adaptive retry mode); whatever still fails
 * propagates unchanged: the executor decides.
 */
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StartTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import type {
  ContainerInstance as EcsContainerInstance,
  ECSClientConfig,
  Failure as EcsFailure,
  Resource as EcsResource,
  Task as EcsTask,
} from '@aws-sdk/client-ecs';
import { formatQueryError, parseQuery, printQuery } from '../../domain/query';
import { ECS_DESCRIBE_MAX, ECS_LIST_PAGE_SIZE } from '../ecs-budget-port';
import type {
  Cluster,
  ClusterTask,
  ContainerInstance,
  ContainerInstanceStatus,
  Page,
  StartTaskInput,
  StartTaskResult,
  TaskHealthStatus,
  TaskLastStatus,
} from '../ports';

/** ListContainerInstances / ListTasks page size (ECS: 1..100): the one the ECS call budget counts with. */
export const ECS_PAGE_SIZE = ECS_LIST_PAGE_SIZE;
/** DescribeContainerInstances / DescribeTasks: at most 100 ARNs a call (likewise). */
export const ECS_DESCRIBE_CHUNK = ECS_DESCRIBE_MAX;
/** StartTask: at most 10 container instances a call. */
export const ECS_START_TASK_MAX_INSTANCES = 10;
/** StopTask `reason`: up to 255 characters. */
export const ECS_STOP_REASON_MAX = 255;

const LISTED_INSTANCE_STATUSES: ReadonlySet<string> = new Set<ContainerInstanceStatus>(['ACTIVE', 'DRAINING']);
const EPOCH_ISO = new Date(0).toISOString();

/** An ECS client for the adapter: adaptive retries (backs off on throttling), 5 attempts. */
export function createEcsClient(config: ECSClientConfig = {}): ECSClient {
  return new ECSClient({ retryMode: 'adaptive', maxAttempts: 5, ...config });
}

/**
 * The cluster query in the spelling ECS documents (`in [a, b]`, symbol operators). An empty query
 * gives `undefined` (no filter: every instance). Throws on a query that does not parse (specs are
 * validated before they are stored, so this is a bug, not a user error).
 */
export function normaliseFilter(filter: string | undefined): string | undefined {
  if (filter === undefined) return undefined;
  const parsed = parseQuery(filter);
  if (!parsed.ok) throw new RangeError(`invalid cluster query: ${formatQueryError(filter, parsed.error)}`);
  const printed = printQuery(parsed.ast);
  return printed === '' ? undefined : printed;
}

export class EcsCluster implements Cluster {
  constructor(private readonly client: ECSClient) {}

  async listContainerInstances(cluster: string, filter?: string): Promise<ContainerInstance[]> {
    const normalised = normaliseFilter(filter);
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListContainerInstancesCommand({
          cluster,
          ...(normalised !== undefined ? { filter: normalised } : {}),
          maxResults: ECS_PAGE_SIZE,
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      );
      arns.push(...(page.containerInstanceArns ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken !== undefined);

    const instances: ContainerInstance[] = [];
    for (const chunk of chunks(unique(arns), ECS_DESCRIBE_CHUNK)) {
      const described = await this.client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: chunk }));
      for (const instance of described.containerInstances ?? []) {
        if (LISTED_INSTANCE_STATUSES.has(instance.status ?? '')) instances.push(toContainerInstance(instance));
      }
    }
    return instances;
  }

  async listTasks(cluster: string, startedBy: string): Promise<ClusterTask[]> {
    const arns: string[] = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(
          new ListTasksCommand({
            cluster,
            startedBy,
            desiredStatus,
            maxResults: ECS_PAGE_SIZE,
            ...(nextToken !== undefined ? { nextToken } : {}),
          }),
        );
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken || undefined;
      } while (nextToken !== undefined);
    }

    const tasks: ClusterTask[] = [];
    // A task stopped between the two listings appears in both: describe it once.
    for (const chunk of chunks(unique(arns), ECS_DESCRIBE_CHUNK)) {
      const described = await this.client.send(new DescribeTasksCommand({ cluster, tasks: chunk, include: ['TAGS'] }));
      for (const task of described.tasks ?? []) tasks.push(toClusterTask(task));
    }
    return tasks;
  }

  async listContainerInstanceArnPage(cluster: string, filter: string | undefined, status: 'ACTIVE' | 'DRAINING', nextToken?: string): Promise<Page<string>> {
    const normalised = normaliseFilter(filter);
    const page = await this.client.send(
      new ListContainerInstancesCommand({
        cluster,
        ...(normalised !== undefined ? { filter: normalised } : {}),
        status,
        maxResults: ECS_PAGE_SIZE,
        ...(nextToken !== undefined ? { nextToken } : {}),
      }),
    );
    return { items: page.containerInstanceArns ?? [], nextToken: page.nextToken || undefined };
  }

  async listTaskPage(cluster: string, startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED', nextToken?: string): Promise<Page<ClusterTask>> {
    const page = await this.client.send(
      new ListTasksCommand({ cluster, startedBy, desiredStatus, maxResults: ECS_PAGE_SIZE, ...(nextToken !== undefined ? { nextToken } : {}) }),
    );
    return { items: await this.lookUpTasks(cluster, page.taskArns ?? []), nextToken: page.nextToken || undefined };
  }

  async listTaskArnPage(cluster: string, startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED', nextToken?: string): Promise<Page<string>> {
    const page = await this.client.send(
      new ListTasksCommand({ cluster, startedBy, desiredStatus, maxResults: ECS_PAGE_SIZE, ...(nextToken !== undefined ? { nextToken } : {}) }),
    );
    return { items: page.taskArns ?? [], nextToken: page.nextToken || undefined };
  }

  async lookUpTasks(cluster: string, taskArns: string[]): Promise<ClusterTask[]> {
    const tasks: ClusterTask[] = [];
    for (const chunk of chunks(unique(taskArns), ECS_DESCRIBE_CHUNK)) {
      const described = await this.client.send(new DescribeTasksCommand({ cluster, tasks: chunk, include: ['TAGS'] }));
      for (const task of described.tasks ?? []) tasks.push(toClusterTask(task));
    }
    return tasks;
  }

  async startTask(input: StartTaskInput): Promise<StartTaskResult> {
    if (input.containerInstances.length < 1 || input.containerInstances.length > ECS_START_TASK_MAX_INSTANCES) {
      throw new RangeError(`StartTask takes 1 to ${ECS_START_TASK_MAX_INSTANCES} container instances, got ${input.containerInstances.length}`);
    }
    const output = await this.client.send(
      new StartTaskCommand({
        cluster: input.cluster,
        taskDefinition: input.taskDefinition,
        containerInstances: input.containerInstances,
        startedBy: input.startedBy,
        ...(input.group !== undefined ? { group: input.group } : {}),
        tags: Object.entries(input.tags).map(([key, value]) => ({ key, value })),
        enableECSManagedTags: true,
      }),
    );
    return {
      tasks: (output.tasks ?? []).map(toClusterTask),
      failures: (output.failures ?? []).map(toFailure),
    };
  }

  async stopTask(cluster: string, taskArn: string, reason: string): Promise<ClusterTask | undefined> {
    const output = await this.client.send(new StopTaskCommand({ cluster, task: taskArn, reason: truncate(reason, ECS_STOP_REASON_MAX) }));
    return output.task && toClusterTask(output.task);
  }
}

// ── Mapping ──────────────────────────────────────────────────────────────────────────────────────

function toContainerInstance(instance: EcsContainerInstance): ContainerInstance {
  const attributes: Record<string, string | undefined> = {};
  for (const attribute of instance.attributes ?? []) {
    if (attribute.name !== undefined) attributes[attribute.name] = attribute.value ?? undefined;
  }
  return {
    arn: instance.containerInstanceArn ?? '',
    ec2InstanceId: instance.ec2InstanceId ?? '',
    status: (instance.status ?? 'ACTIVE') as ContainerInstanceStatus,
    agentConnected: instance.agentConnected ?? false,
    agentVersion: instance.versionInfo?.agentVersion ?? undefined,
    attributes,
    registeredAt: iso(instance.registeredAt) ?? EPOCH_ISO,
    registered: cpuAndMemory(instance.registeredResources),
    remaining: cpuAndMemory(instance.remainingResources),
    runningTasksCount: instance.runningTasksCount ?? 0,
    pendingTasksCount: instance.pendingTasksCount ?? 0,
  };
}

function cpuAndMemory(resources: EcsResource[] | undefined): { cpu: number; memory: number } {
  const value = (name: string) => resources?.find((resource) => resource.name === name)?.integerValue ?? 0;
  return { cpu: value('CPU'), memory: value('MEMORY') };
}

function toClusterTask(task: EcsTask): ClusterTask {
  const tags: Record<string, string> = {};
  for (const tag of task.tags ?? []) {
    if (tag.key !== undefined) tags[tag.key] = tag.value ?? '';
  }
  const result: ClusterTask = {
    arn: task.taskArn ?? '',
    clusterArn: task.clusterArn ?? '',
    containerInstanceArn: task.containerInstanceArn ?? '',
    taskDefinitionArn: task.taskDefinitionArn ?? '',
    lastStatus: (task.lastStatus ?? 'PENDING') as TaskLastStatus,
    desiredStatus: task.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    healthStatus: (task.healthStatus ?? 'UNKNOWN') as TaskHealthStatus,
    createdAt: iso(task.createdAt) ?? EPOCH_ISO,
    version: task.version ?? 0,
    tags,
  };
  // Absent fields stay absent, as ECS omits them (and as the simulated cluster answers).
  if (task.startedBy !== undefined) result.startedBy = task.startedBy;
  if (task.group !== undefined) result.group = task.group;
  if (task.stopCode !== undefined) result.stopCode = task.stopCode;
  if (task.stoppedReason !== undefined) result.stoppedReason = task.stoppedReason;
  const hostPort = (task.containers ?? []).flatMap((c) => c.networkBindings ?? []).find((b) => b.hostPort !== undefined)?.hostPort;
  if (hostPort !== undefined) result.hostPort = hostPort;
  const startedAt = iso(task.startedAt);
  if (startedAt !== undefined) result.startedAt = startedAt;
  const stoppedAt = iso(task.stoppedAt);
  if (stoppedAt !== undefined) result.stoppedAt = stoppedAt;
  return result;
}

function toFailure(failure: EcsFailure): StartTaskResult['failures'][number] {
  const result: StartTaskResult['failures'][number] = { reason: failure.reason ?? '' };
  if (failure.arn !== undefined) result.arn = failure.arn;
  if (failure.detail !== undefined) result.detail = failure.detail;
  return result;
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────────────

function iso(date: Date | string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const parsed = date instanceof Date ? date : new Date(date);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut a surrogate pair in half.
  const cut = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
