/**
 * The simulated ECS's services: services with the EXTERNAL deployment controller, their task sets,
 * and ECS's service scheduler that keeps each task set at its computed desired count. The world
 * (`world.ts`) composes it: it answers the API (`SimulatedCluster#createService`, …, in the AWS SDK's
 * request and response shapes, charged to ECS's rate limits there) and places and stops the tasks
 * through the world, so service tasks are ordinary tasks of the cluster (same events, same
 * resources, `startedBy` = the task set id `ecs-svc/…`, `group` = `service:<name>`).
 *
 * What is enforced, and where it comes from (ECS API Reference: CreateService, UpdateService,
 * DeleteService, CreateTaskSet, UpdateTaskSet, UpdateServicePrimaryTaskSet, DeleteTaskSet,
 * DescribeServices, DescribeTaskSets and the `Service` / `TaskSet` / `Scale` shapes; ECS Developer
 * Guide, "Deploy Amazon ECS services using a third-party controller"; error texts as ECS words them,
 * from users' reports where the reference gives none — those marked (*) are this simulator's own
 * wording, as no report of ECS's was found):
 *
 * - Services: only the EXTERNAL deployment controller and the REPLICA strategy (the simulator has no
 *   other). The name: 1–255 letters, digits, `-`, `_` (*). `desiredCount` required, a whole number
 *   >= 0 (*). A task definition is refused ("TaskDefinition must be blank."), load balancers too
 *   ("LoadBalancers must be empty or null.": they go on the task set). A name in use by an ACTIVE
 *   service: "Creation of service was not idempotent."; by a DRAINING one: "Unable to Start a
 *   service that is still Draining."; an INACTIVE one is replaced.
 * - DescribeServices: 1 to 10 services a call (*); an unknown one is a `MISSING` failure. Deleted
 *   services are described (DRAINING, then INACTIVE) until their name is used again.
 * - UpdateService: the desired count (every task set's computed desired count follows); a task
 *   definition or load balancers are refused ("Unable to update task definition on services with a
 *   EXTERNAL deployment controller. …", worded like ECS's answer for CODE_DEPLOY services (*)).
 * - DeleteService: refused while the desired count is above 0 without `force` ("The service cannot
 *   be stopped while it is scaled above 0."); the service and its task sets turn DRAINING, its tasks
 *   are stopped, and it is INACTIVE once every task is STOPPING or STOPPED (at once if it had none).
 * - CreateTaskSet: launch type EC2 only (the simulator has no other) (*); `scale` unit PERCENT, value
 *   0–100 (*; absent: 100 (*)); at most one load balancer ("CreateTaskSet cannot have more than 1
 *   load balancer.", as reported, its last word restored), a target group ARN (not a classic load
 *   balancer name) (*), the task definition's container ("The container <name> does not exist in
 *   the task definition."), a port 1–65535 (*); with load balancing attached, a target group that
 *   exists ("Unable to assume role and validate the specified targetGroupArn. Please verify that the
 *   ECS service role being passed has the proper permissions.", ECS's answer to a target group it
 *   cannot use); 5 task sets per service, DRAINING ones included ("5 deployments exist on the
 *   service. Unable to create new TaskSet since this exceeds the maximum limit."); `clientToken` (1–36
 *   ASCII characters 33–126 (*)): a create with a token already used on the service returns that
 *   task set. A created task set is ACTIVE; UpdateServicePrimaryTaskSet makes one PRIMARY and the
 *   previous primary ACTIVE; the service's task definition and load balancers are its primary's.
 * - UpdateTaskSet: the scale only. DeleteTaskSet: refused while the scale is above 0 without
 *   `force` (*); the task set turns DRAINING, its tasks are stopped, and it is gone (DescribeTaskSets:
 *   `MISSING`; the others: TaskSetNotFoundException) once its last task is STOPPED. A DRAINING task
 *   set cannot be scaled or made primary (*). DeleteTaskSet of a DRAINING task set returns it.
 * - Errors for the service: ServiceNotFoundException ("Service not found."), ServiceNotActiveException
 *   ("Service was not ACTIVE.") for a DRAINING or INACTIVE one, ClusterNotFoundException.
 *
 * The service scheduler (ECS Developer Guide, "Amazon ECS services", "Task placement"):
 * - Each task set keeps computedDesiredCount = ceil(desiredCount × scale / 100) tasks ("The result
 *   is always rounded up. For example, if the computed desired count is 1.2, it rounds up to 2
 *   tasks.", `TaskSet.computedDesiredCount`); 0 for a DRAINING task set or a deleted service.
 * - It acts on the clock, never inside an API call: a pass runs at the instant of any change that
 *   may need it (an API change, a service task's change, an instance's change).
 * - Placement: ACTIVE instances with a connected agent and room (CPU, memory) for the task
 *   definition, spread across Availability Zones ("By default, the service scheduler spreads tasks
 *   across Availability Zones"), then across instances (fewest tasks of the service), then in
 *   registration order. When nothing fits, the service gets ECS's event "(service x) was unable to
 *   place a task because no container instance met all of its requirements. The closest matching
 *   (container-instance …) has insufficient CPU units|memory available. …" (or "Reason: No Container
 *   Instances were found in your cluster."), and it tries again when an instance changes.
 * - Scale-in stops tasks keeping the zones balanced (the zone with the most tasks of the task set,
 *   then its instance with the most, then the newest task there), `stopCode`
 *   ServiceSchedulerInitiated, "Scaling activity initiated by (deployment ecs-svc/…)".
 * - Replacement: a task that stops (its essential container exited, it failed to start, its instance
 *   went away) is replaced; a task whose container health check reports UNHEALTHY is stopped ("Task
 *   failed container health checks") and replaced. No back-off between replacements is simulated
 *   (ECS slows down the launches of a service whose tasks keep failing to start).
 * - Draining instances: service tasks there that are not RUNNING yet are stopped at once; RUNNING
 *   ones are stopped once replacements elsewhere are RUNNING (minimumHealthyPercent 100, the
 *   default), new tasks are never placed there.
 * - Task set counts: runningCount = tasks RUNNING, pendingCount = tasks not yet RUNNING (both
 *   wanting to run); stabilityStatus STEADY_STATE when runningCount = computedDesiredCount,
 *   pendingCount = 0, no task on a DRAINING instance and every task healthy by its container health
 *   check (a task definition without one counts as healthy); STABILIZING otherwise;
 *   stabilityStatusAt when it last changed. The service gets "(service x) has reached a steady
 *   state." when all its task sets reach STEADY_STATE. Load balancer health is not part of it here.
 * - Load balancers (optional, `ServiceLoadBalancing`, e.g. `elbv2.ts` + `traffic.ts`): a task set's
 *   task is registered in its target group on ECS's behalf (the instance id and the task's host
 *   port) when it is RUNNING, and deregistered when it starts stopping; the service gets ECS's
 *   events "(service x) registered 1 targets in (target-group …)", "(service x) deregistered 1
 *   targets in (target-group …)", or "(service x) failed to register targets in (target-group …)
 *   with (error …)". ECS's wait for the deregistration delay before stopping a task (DEACTIVATING) is
 *   not simulated, nor replacing tasks the load balancer finds unhealthy.
 */
import type {
  CreateServiceRequest,
  CreateServiceResponse,
  CreateTaskSetRequest,
  CreateTaskSetResponse,
  DeleteServiceRequest,
  DeleteServiceResponse,
  DeleteTaskSetRequest,
  DeleteTaskSetResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  DescribeTaskSetsRequest,
  DescribeTaskSetsResponse,
  Service,
  TaskSet,
  UpdateServicePrimaryTaskSetRequest,
  UpdateServicePrimaryTaskSetResponse,
  UpdateServiceRequest,
  UpdateServiceResponse,
  UpdateTaskSetRequest,
  UpdateTaskSetResponse,
} from '@aws-sdk/client-ecs';
import * as z from 'zod';
import type { ScheduledTimer } from './clock';
import { invalidParameterException, serviceNotActiveException, serviceNotFoundException, taskSetNotFoundException } from './errors';
import { hexId, uuidLike } from './random';
import type { InstanceState, TaskBehaviour, TaskState } from './state';

// ── ECS's figures ────────────────────────────────────────────────────────────────────────────────

export const ECS_SERVICE_LIMITS = Object.freeze({
  /** DescribeServices: services a call. */
  describeServices: 10,
  /** Task sets a service may have (DRAINING ones included). */
  taskSetsPerService: 5,
  /** The latest events a service keeps. */
  serviceEvents: 100,
  /** Load balancers a task set may have (EXTERNAL controller). */
  loadBalancersPerTaskSet: 1,
});

const SERVICE_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/([A-Za-z0-9-]{1,32})\/[0-9a-f]{16}$/;
const CLIENT_TOKEN = /^[\x21-\x7e]{1,36}$/;
const PLACEMENT_HELP = 'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';
const HEALTH_CHECK_FAILED = 'Task failed container health checks';

// ── What the services need of the world, and of load balancing ───────────────────────────────────

export interface EcsServicesHost {
  readonly account: string;
  readonly region: string;
  readonly seed: number;
  now(): number;
  schedule(atMs: number, fn: () => void): ScheduledTimer;
  clusterArn(name: string): string;
  /** The cluster's name (from a name or an ARN); ClusterNotFoundException when unknown. */
  requireCluster(cluster: string): string;
  /** `family:revision` and its ARN; ClientException when it does not parse. */
  resolveTaskDefinition(taskDefinition: string): { key: string; family: string; arn: string };
  /** How tasks of the task definition started now behave (CPU, memory, container name, health check). */
  behaviour(taskDefinition: string): TaskBehaviour;
  /** The cluster's registered instances (live records, read only), in registration order. */
  instances(cluster: string): InstanceState[];
  instance(id: string): InstanceState | undefined;
  /** Every task the world still remembers (live records, read only). */
  tasks(): Iterable<TaskState>;
  /** Places one task on the instance (the world's StartTask placement, not charged): the task, or the reason it did not fit. */
  place(input: { cluster: string; taskDefinition: string; instanceId: string; startedBy: string; group: string }): TaskState | string;
  /** Stops the task as the service scheduler does (`ServiceSchedulerInitiated`). */
  stop(task: TaskState, reason: string): void;
}

/** Registrations ECS makes in target groups on a service's behalf: `SimulatedElbv2` and the tasks' host ports (`SimulatedTraffic`). */
export interface ServiceLoadBalancing {
  registerOnBehalf(targetGroupName: string, targets: Array<{ Id: string; Port?: number | undefined }>): void;
  deregisterOnBehalf(targetGroupName: string, targets: Array<{ Id: string; Port?: number | undefined }>): void;
  /** The target group's ARN by name, or undefined when there is none. */
  targetGroupArn(name: string): string | undefined;
  /** The host port the task listens on (e.g. `traffic.endpointOf(taskArn)?.port`), or undefined. */
  hostPort(taskArn: string): number | undefined;
}

// ── State (plain JSON: part of the world's snapshot) ─────────────────────────────────────────────

const count = z.number().int().min(0);
const loadBalancerStateSchema = z.object({ targetGroupArn: z.string(), containerName: z.string(), containerPort: z.number().int() });
const taskSetStateSchema = z.object({
  id: z.string(),
  arn: z.string(),
  externalId: z.string().optional(),
  status: z.enum(['PRIMARY', 'ACTIVE', 'DRAINING']),
  /** `family:revision`. */
  taskDefinition: z.string(),
  taskDefinitionArn: z.string(),
  scale: z.number(),
  loadBalancers: z.array(loadBalancerStateSchema),
  clientToken: z.string().optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })),
  createdAt: z.number(),
  updatedAt: z.number(),
  stabilityStatus: z.enum(['STEADY_STATE', 'STABILIZING']),
  stabilityStatusAt: z.number(),
});
const serviceStateSchema = z.object({
  name: z.string(),
  cluster: z.string(),
  arn: z.string(),
  status: z.enum(['ACTIVE', 'DRAINING', 'INACTIVE']),
  desiredCount: count,
  createdAt: z.number(),
  taskSets: z.array(taskSetStateSchema),
  /** Newest first. */
  events: z.array(z.object({ id: z.string(), createdAt: z.number(), message: z.string() })),
  steady: z.boolean(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })),
});
const targetSchema = z.object({ targetGroup: z.string(), id: z.string(), port: z.number().int(), serviceKey: z.string() });

/** The services' part of a world snapshot (`ecsServices`). */
export const ecsServicesStateSchema = z.object({
  counters: z.object({ taskSet: count, event: count }),
  services: z.array(serviceStateSchema),
  /** Task id → its targets registered on ECS's behalf (deregistered when it stops). */
  registered: z.record(z.string(), z.array(targetSchema)),
});
export type EcsServicesState = z.infer<typeof ecsServicesStateSchema>;
type ServiceState = z.infer<typeof serviceStateSchema>;
type TaskSetState = z.infer<typeof taskSetStateSchema>;
type RegisteredTarget = z.infer<typeof targetSchema>;

// ── The services ─────────────────────────────────────────────────────────────────────────────────

export class SimulatedEcsServices {
  /** `${cluster}/${name}` → service, in creation order (an INACTIVE one is replaced when its name is used again). */
  private readonly services = new Map<string, ServiceState>();
  /** Task set id → its service's key (task sets that are gone are dropped). */
  private readonly taskSetOwner = new Map<string, string>();
  /** Task set id → its tasks that are not STOPPED (live records of the world). */
  private readonly members = new Map<string, Map<string, TaskState>>();
  private registered = new Map<string, RegisteredTarget[]>();
  /** Services whose tasks changed since their stability was last worked out. */
  private readonly dirty = new Set<ServiceState>();
  private counters = { taskSet: 0, event: 0 };
  private pass: ScheduledTimer | undefined;
  private loadBalancing: ServiceLoadBalancing | undefined;

  constructor(private readonly host: EcsServicesHost) {}

  /** Attaches (or, with undefined, detaches) the load balancers service tasks are registered in. */
  useLoadBalancing(loadBalancing: ServiceLoadBalancing | undefined): void {
    this.loadBalancing = loadBalancing;
  }

  /** No service was ever created (the world's snapshot then has no `ecsServices`). */
  isEmpty(): boolean {
    return this.services.size === 0;
  }

  // ── The API (the world charges the rate limits before calling these) ───────────────────────────

  createService(input: CreateServiceRequest): CreateServiceResponse {
    const cluster = this.host.requireCluster(input.cluster ?? 'default');
    const name = input.serviceName ?? '';
    if (!SERVICE_NAME.test(name)) {
      throw invalidParameterException('serviceName: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.');
    }
    const controller = input.deploymentController?.type ?? 'ECS';
    if (controller !== 'EXTERNAL') {
      throw invalidParameterException(`The simulated cluster only runs services with the EXTERNAL deployment controller, not ${controller}.`);
    }
    if (input.schedulingStrategy !== undefined && input.schedulingStrategy !== 'REPLICA') {
      throw invalidParameterException('Services using an external deployment controller support only the REPLICA scheduling strategy.');
    }
    if (input.taskDefinition !== undefined) throw invalidParameterException('TaskDefinition must be blank.');
    if (input.loadBalancers !== undefined && input.loadBalancers.length > 0) throw invalidParameterException('LoadBalancers must be empty or null.');
    if (input.desiredCount === undefined) throw invalidParameterException('desiredCount: required for a service with the REPLICA scheduling strategy.');
    requireCount('desiredCount', input.desiredCount);
    const key = serviceKey(cluster, name);
    const existing = this.services.get(key);
    if (existing?.status === 'ACTIVE') throw invalidParameterException('Creation of service was not idempotent.');
    if (existing?.status === 'DRAINING') throw invalidParameterException('Unable to Start a service that is still Draining.');
    const now = this.host.now();
    const service: ServiceState = {
      name,
      cluster,
      arn: `arn:aws:ecs:${this.host.region}:${this.host.account}:service/${cluster}/${name}`,
      status: 'ACTIVE',
      desiredCount: input.desiredCount,
      createdAt: now,
      taskSets: [],
      events: [],
      steady: false,
      tags: (input.tags ?? []).map((tag) => ({ key: tag.key ?? '', value: tag.value ?? '' })),
    };
    if (existing) {
      // An INACTIVE one of that name: replaced (and listed last); tasks of its task sets still stopping are no longer followed.
      for (const taskSet of existing.taskSets) {
        this.taskSetOwner.delete(taskSet.id);
        this.members.delete(taskSet.id);
      }
      this.services.delete(key);
    }
    this.services.set(key, service);
    this.refresh(service);
    return { service: this.describe(service) };
  }

  describeServices(input: DescribeServicesRequest): DescribeServicesResponse {
    const cluster = this.host.requireCluster(input.cluster ?? 'default');
    const names = input.services ?? [];
    if (names.length === 0) throw invalidParameterException('Services cannot be empty.');
    if (names.length > ECS_SERVICE_LIMITS.describeServices) throw invalidParameterException(`services can have at most ${ECS_SERVICE_LIMITS.describeServices} items.`);
    const services: Service[] = [];
    const failures: NonNullable<DescribeServicesResponse['failures']> = [];
    for (const given of names) {
      const service = this.services.get(serviceKey(cluster, nameOf(given)));
      if (service) services.push(this.describe(service));
      else failures.push({ arn: given.startsWith('arn:') ? given : `arn:aws:ecs:${this.host.region}:${this.host.account}:service/${cluster}/${given}`, reason: 'MISSING' });
    }
    return { services, failures };
  }

  updateService(input: UpdateServiceRequest): UpdateServiceResponse {
    const service = this.activeService(input.cluster, input.service);
    if (input.taskDefinition !== undefined) {
      throw invalidParameterException('Unable to update task definition on services with a EXTERNAL deployment controller. Create a new task set (CreateTaskSet).');
    }
    if (input.loadBalancers !== undefined) {
      throw invalidParameterException('Unable to update load balancers on services with a EXTERNAL deployment controller. Create a new task set (CreateTaskSet).');
    }
    if (input.desiredCount !== undefined) {
      requireCount('desiredCount', input.desiredCount);
      if (service.desiredCount !== input.desiredCount) {
        service.desiredCount = input.desiredCount;
        const now = this.host.now();
        for (const taskSet of service.taskSets) taskSet.updatedAt = now;
        this.refresh(service);
        this.schedule();
      }
    }
    return { service: this.describe(service) };
  }

  deleteService(input: DeleteServiceRequest): DeleteServiceResponse {
    const service = this.activeService(input.cluster, input.service);
    if (service.desiredCount > 0 && input.force !== true) throw invalidParameterException('The service cannot be stopped while it is scaled above 0.');
    const now = this.host.now();
    service.status = 'DRAINING';
    service.desiredCount = 0;
    for (const taskSet of service.taskSets) {
      taskSet.status = 'DRAINING';
      taskSet.updatedAt = now;
    }
    this.refresh(service);
    this.schedule();
    return { service: this.describe(service) };
  }

  createTaskSet(input: CreateTaskSetRequest): CreateTaskSetResponse {
    const service = this.activeService(input.cluster, input.service);
    if (input.clientToken !== undefined && !CLIENT_TOKEN.test(input.clientToken)) {
      throw invalidParameterException('clientToken: up to 36 ASCII characters in the range of 33-126 (inclusive) are allowed.');
    }
    const again = input.clientToken === undefined ? undefined : service.taskSets.find((taskSet) => taskSet.clientToken === input.clientToken);
    if (again) return { taskSet: this.describeTaskSet(service, again) };
    if (input.launchType !== undefined && input.launchType !== 'EC2') {
      throw invalidParameterException(`The simulated cluster only runs the EC2 launch type, not ${input.launchType}.`);
    }
    if (input.capacityProviderStrategy !== undefined && input.capacityProviderStrategy.length > 0) {
      throw invalidParameterException('The simulated cluster has no capacity providers: use the EC2 launch type.');
    }
    if (input.networkConfiguration !== undefined) throw invalidParameterException('Network Configuration is not valid for the given networkMode of this task definition.');
    const definition = this.host.resolveTaskDefinition(input.taskDefinition ?? '');
    const scale = requireScale(input.scale ?? { unit: 'PERCENT', value: 100 });
    const loadBalancers = this.requireLoadBalancers(input.loadBalancers ?? [], this.host.behaviour(definition.key).containerName);
    if ((input.tags ?? []).length > 50) throw invalidParameterException('A task set can have at most 50 tags.');
    if (service.taskSets.length >= ECS_SERVICE_LIMITS.taskSetsPerService) {
      throw invalidParameterException(`${service.taskSets.length} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.`);
    }
    const now = this.host.now();
    const id = `ecs-svc/${digits19(this.host.seed, ++this.counters.taskSet)}`;
    const taskSet: TaskSetState = {
      id,
      arn: `arn:aws:ecs:${this.host.region}:${this.host.account}:task-set/${service.cluster}/${service.name}/${id}`,
      ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
      status: 'ACTIVE',
      taskDefinition: definition.key,
      taskDefinitionArn: definition.arn,
      scale,
      loadBalancers,
      ...(input.clientToken !== undefined ? { clientToken: input.clientToken } : {}),
      tags: (input.tags ?? []).map((tag) => ({ key: tag.key ?? '', value: tag.value ?? '' })),
      createdAt: now,
      updatedAt: now,
      stabilityStatus: 'STABILIZING',
      stabilityStatusAt: now,
    };
    service.taskSets.push(taskSet);
    this.taskSetOwner.set(id, serviceKey(service.cluster, service.name));
    this.members.set(id, new Map());
    this.refresh(service);
    this.schedule();
    return { taskSet: this.describeTaskSet(service, taskSet) };
  }

  describeTaskSets(input: DescribeTaskSetsRequest): DescribeTaskSetsResponse {
    const service = this.activeService(input.cluster, input.service);
    if (input.taskSets === undefined) return { taskSets: service.taskSets.map((taskSet) => this.describeTaskSet(service, taskSet)), failures: [] };
    const taskSets: TaskSet[] = [];
    const failures: NonNullable<DescribeTaskSetsResponse['failures']> = [];
    for (const given of input.taskSets) {
      const taskSet = findTaskSet(service, given);
      if (taskSet) taskSets.push(this.describeTaskSet(service, taskSet));
      else failures.push({ arn: given, reason: 'MISSING' });
    }
    return { taskSets, failures };
  }

  updateTaskSet(input: UpdateTaskSetRequest): UpdateTaskSetResponse {
    const service = this.activeService(input.cluster, input.service);
    const taskSet = requireTaskSet(service, input.taskSet);
    if (taskSet.status === 'DRAINING') throw invalidParameterException(`The task set ${taskSet.arn} is DRAINING: it cannot be scaled.`);
    const scale = requireScale(input.scale);
    if (scale !== taskSet.scale) {
      taskSet.scale = scale;
      taskSet.updatedAt = this.host.now();
      this.refresh(service);
      this.schedule();
    }
    return { taskSet: this.describeTaskSet(service, taskSet) };
  }

  updateServicePrimaryTaskSet(input: UpdateServicePrimaryTaskSetRequest): UpdateServicePrimaryTaskSetResponse {
    const service = this.activeService(input.cluster, input.service);
    const taskSet = requireTaskSet(service, input.primaryTaskSet);
    if (taskSet.status === 'DRAINING') throw invalidParameterException(`The task set ${taskSet.arn} is DRAINING: it cannot be the primary task set.`);
    if (taskSet.status !== 'PRIMARY') {
      const now = this.host.now();
      for (const other of service.taskSets) {
        if (other.status === 'PRIMARY') {
          other.status = 'ACTIVE';
          other.updatedAt = now;
        }
      }
      taskSet.status = 'PRIMARY';
      taskSet.updatedAt = now;
    }
    return { taskSet: this.describeTaskSet(service, taskSet) };
  }

  deleteTaskSet(input: DeleteTaskSetRequest): DeleteTaskSetResponse {
    const service = this.activeService(input.cluster, input.service);
    const taskSet = requireTaskSet(service, input.taskSet);
    if (taskSet.status !== 'DRAINING') {
      if (taskSet.scale > 0 && input.force !== true) {
        throw invalidParameterException(`The task set ${taskSet.arn} cannot be deleted while it is scaled above 0: scale it to 0 first, or delete it with force.`);
      }
      taskSet.status = 'DRAINING';
      taskSet.updatedAt = this.host.now();
      this.refresh(service);
      this.schedule();
    }
    return { taskSet: this.describeTaskSet(service, taskSet) };
  }

  // ── What the world tells the services ──────────────────────────────────────────────────────────

  /** A task changed (placed; status, desired status or health): follows service tasks. */
  taskChanged(task: TaskState): void {
    if (this.services.size === 0 || task.startedBy === undefined) return;
    const key = this.taskSetOwner.get(task.startedBy);
    if (key === undefined) return;
    const service = this.services.get(key)!;
    const members = this.members.get(task.startedBy)!;
    if (task.lastStatus === 'STOPPED') members.delete(task.id);
    else members.set(task.id, task);
    this.followTargets(service, task);
    // Counts and stability are brought up to date once for all the changes of the instant (the pass), or when described.
    this.dirty.add(service);
    this.schedule();
  }

  /** An instance changed (registered, status, agent, resources): placements may now succeed, draining may need moves. */
  instanceChanged(): void {
    if (this.services.size > 0) this.schedule();
  }

  // ── Snapshot ───────────────────────────────────────────────────────────────────────────────────

  toJSON(): EcsServicesState {
    return structuredClone({ counters: this.counters, services: [...this.services.values()], registered: Object.fromEntries(this.registered) });
  }

  /** Takes the state of a snapshot (after the world's tasks are back) and schedules a pass. */
  restore(state: EcsServicesState): void {
    this.counters = { ...state.counters };
    for (const service of state.services) {
      const key = serviceKey(service.cluster, service.name);
      this.services.set(key, service);
      for (const taskSet of service.taskSets) {
        this.taskSetOwner.set(taskSet.id, key);
        this.members.set(taskSet.id, new Map());
      }
    }
    for (const task of this.host.tasks()) {
      if (task.startedBy !== undefined && task.lastStatus !== 'STOPPED') this.members.get(task.startedBy)?.set(task.id, task);
    }
    this.registered = new Map(Object.entries(state.registered));
    this.schedule();
  }

  // ── The service scheduler ──────────────────────────────────────────────────────────────────────

  private schedule(): void {
    if (this.pass !== undefined) return;
    this.pass = this.host.schedule(this.host.now(), () => {
      this.pass = undefined;
      this.run();
    });
  }

  private run(): void {
    for (const service of this.services.values()) {
      if (service.status === 'INACTIVE') {
        if (this.dirty.has(service)) this.refresh(service);
        continue;
      }
      let placementFailure: string | undefined;
      for (const taskSet of service.taskSets) {
        const failure = this.reconcile(service, taskSet);
        placementFailure ??= failure;
      }
      if (placementFailure !== undefined) this.addEvent(service, placementFailure, { unlessLatest: true });
      this.refresh(service);
    }
  }

  /** Brings one task set to its computed desired count; returns the placement failure message, if any. */
  private reconcile(service: ServiceState, taskSet: TaskSetState): string | undefined {
    const target = this.computedDesiredCount(service, taskSet);
    const stop = (task: TaskState, reason: string) => this.host.stop(task, reason); // desiredStatus STOPPED from then on
    const wanted = (task: TaskState) => task.desiredStatus === 'RUNNING';
    const scaling = `Scaling activity initiated by (deployment ${taskSet.id})`;
    const live = this.liveTasks(taskSet);
    for (const task of live) if (task.healthStatus === 'UNHEALTHY') stop(task, HEALTH_CHECK_FAILED);
    const onDraining = (task: TaskState) => this.host.instance(task.instanceId)?.status === 'DRAINING';
    for (const task of live) if (wanted(task) && onDraining(task) && task.lastStatus !== 'RUNNING') stop(task, drainingReason(this.host.instance(task.instanceId)));
    const draining = live.filter((task) => wanted(task) && onDraining(task));
    const good = live.filter((task) => wanted(task) && !onDraining(task));
    let failure: string | undefined;
    if (good.length > target) {
      for (const task of this.scaleInChoice(good, good.length - target)) stop(task, scaling);
    } else {
      failure = this.place(service, taskSet, target - good.length);
    }
    // RUNNING tasks on draining instances leave once enough RUNNING tasks elsewhere keep the count (minimumHealthyPercent 100).
    const goodRunning = good.filter((task) => task.desiredStatus === 'RUNNING' && task.lastStatus === 'RUNNING').length;
    const leaving = Math.min(draining.length, Math.max(0, goodRunning + draining.length - target));
    for (const task of draining.slice(0, leaving)) stop(task, drainingReason(this.host.instance(task.instanceId)));
    return failure;
  }

  /** Places `count` tasks of the task set; returns ECS's placement failure message when one does not fit. */
  private place(service: ServiceState, taskSet: TaskSetState, count: number): string | undefined {
    if (count <= 0) return undefined;
    const behaviour = this.host.behaviour(taskSet.taskDefinition);
    const fitsNow = (instance: InstanceState) => behaviour.cpu <= instance.remaining.cpu && behaviour.memory <= instance.remaining.memory;
    const all = this.host.instances(service.cluster);
    const usable = all.filter((instance) => instance.status === 'ACTIVE' && instance.agentConnected);
    // Spread: the zone with the fewest tasks of the service, then its instance with the fewest, then registration order.
    const perInstance = new Map<string, number>();
    for (const other of service.taskSets) for (const task of this.liveTasks(other)) perInstance.set(task.instanceId, (perInstance.get(task.instanceId) ?? 0) + 1);
    const perZone = new Map<string, number>();
    for (const instance of all) perZone.set(zoneOf(instance), (perZone.get(zoneOf(instance)) ?? 0) + (perInstance.get(instance.id) ?? 0));
    // Per zone, the instances that fit, fewest tasks of the service first, then registration order.
    const candidates = new Map<string, MinHeap<{ instance: InstanceState; tasks: number }>>();
    for (const instance of usable) {
      if (!fitsNow(instance)) continue;
      const zone = zoneOf(instance);
      let heap = candidates.get(zone);
      if (!heap) candidates.set(zone, (heap = new MinHeap((a, b) => a.tasks - b.tasks || a.instance.seq - b.instance.seq)));
      heap.push({ instance, tasks: perInstance.get(instance.id) ?? 0 });
    }
    for (let i = 0; i < count; i++) {
      // The zone with the fewest tasks of the service; between equal zones, the better head instance.
      let zone: string | undefined;
      let best: [number, number, number] | undefined;
      for (const [candidate, heap] of candidates) {
        const head = heap.peek();
        if (!head) continue;
        const key: [number, number, number] = [perZone.get(candidate)!, head.tasks, head.instance.seq];
        if (!best || lexicographicallyLess(key, best)) {
          zone = candidate;
          best = key;
        }
      }
      if (zone === undefined) return placementFailure(service, usable, behaviour);
      const heap = candidates.get(zone)!;
      const chosen = heap.pop()!;
      const placed = this.host.place({ cluster: service.cluster, taskDefinition: taskSet.taskDefinition, instanceId: chosen.instance.id, startedBy: taskSet.id, group: `service:${service.name}` });
      if (typeof placed === 'string') return `(service ${service.name}) was unable to place a task: ${placed}. ${PLACEMENT_HELP}`;
      this.members.get(taskSet.id)!.set(placed.id, placed);
      perZone.set(zone, perZone.get(zone)! + 1);
      if (fitsNow(chosen.instance)) heap.push({ instance: chosen.instance, tasks: chosen.tasks + 1 });
    }
    return undefined;
  }

  /** Which `n` tasks scale-in stops: the zone with the most of them, its instance with the most, the newest task there. */
  private scaleInChoice(tasks: TaskState[], n: number): TaskState[] {
    // zone → instance → its tasks, oldest first.
    const zones = new Map<string, Map<string, TaskState[]>>();
    for (const task of [...tasks].sort((a, b) => a.seq - b.seq)) {
      let instances = zones.get(task.availabilityZone);
      if (!instances) zones.set(task.availabilityZone, (instances = new Map()));
      let onInstance = instances.get(task.instanceId);
      if (!onInstance) instances.set(task.instanceId, (onInstance = []));
      onInstance.push(task);
    }
    const zoneCount = new Map([...zones].map(([zone, instances]) => [zone, [...instances.values()].reduce((sum, list) => sum + list.length, 0)]));
    const chosen: TaskState[] = [];
    for (let i = 0; i < n; i++) {
      let zone: string | undefined;
      for (const [candidate, size] of zoneCount) {
        if (zone === undefined || size > zoneCount.get(zone)! || (size === zoneCount.get(zone)! && candidate.localeCompare(zone) < 0)) zone = candidate;
      }
      let instance: TaskState[] | undefined;
      for (const list of zones.get(zone!)!.values()) {
        if (list.length === 0) continue;
        if (instance === undefined || list.length > instance.length || (list.length === instance.length && this.instanceSeq(list[0]!) < this.instanceSeq(instance[0]!))) instance = list;
      }
      chosen.push(instance!.pop()!);
      zoneCount.set(zone!, zoneCount.get(zone!)! - 1);
    }
    return chosen;
  }

  private instanceSeq(task: TaskState): number {
    return this.host.instance(task.instanceId)?.seq ?? 0;
  }

  // ── Counts, stability, status ──────────────────────────────────────────────────────────────────

  private computedDesiredCount(service: ServiceState, taskSet: TaskSetState): number {
    if (service.status !== 'ACTIVE' || taskSet.status === 'DRAINING') return 0;
    // "always rounded up"; the epsilon keeps float noise (e.g. 10 × 29 / 100 = 2.9000000000000004) from adding a task.
    return Math.max(0, Math.ceil((service.desiredCount * taskSet.scale) / 100 - 1e-9));
  }

  /** The task set's tasks that still want to run. */
  private liveTasks(taskSet: TaskSetState): TaskState[] {
    return [...(this.members.get(taskSet.id)?.values() ?? [])].filter((task) => task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED');
  }

  private counts(taskSet: TaskSetState): { running: number; pending: number } {
    let running = 0;
    let pending = 0;
    for (const task of this.liveTasks(taskSet)) {
      if (task.lastStatus === 'RUNNING') running++;
      else if (task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING' || task.lastStatus === 'ACTIVATING') pending++;
    }
    return { running, pending };
  }

  /** Stability of every task set, gone task sets dropped, DRAINING → INACTIVE, the steady-state event. */
  private refresh(service: ServiceState): void {
    this.dirty.delete(service);
    const now = this.host.now();
    service.taskSets = service.taskSets.filter((taskSet) => {
      const gone = taskSet.status === 'DRAINING' && this.members.get(taskSet.id)!.size === 0;
      if (gone) {
        this.taskSetOwner.delete(taskSet.id);
        this.members.delete(taskSet.id);
      }
      return !gone;
    });
    for (const taskSet of service.taskSets) {
      const { running, pending } = this.counts(taskSet);
      const live = this.liveTasks(taskSet);
      const steady =
        running === this.computedDesiredCount(service, taskSet) &&
        pending === 0 &&
        !live.some((task) => this.host.instance(task.instanceId)?.status === 'DRAINING') &&
        live.every((task) => task.lastStatus !== 'RUNNING' || task.healthStatus === 'HEALTHY' || task.behaviour.health === 'none');
      const status = steady ? 'STEADY_STATE' : 'STABILIZING';
      if (status !== taskSet.stabilityStatus) {
        taskSet.stabilityStatus = status;
        taskSet.stabilityStatusAt = now;
      }
    }
    if (service.status === 'DRAINING') {
      const busy = [...this.allTasks(service)].some((task) => task.lastStatus !== 'STOPPING' && task.lastStatus !== 'STOPPED');
      if (!busy) service.status = 'INACTIVE';
    }
    const steady = service.status === 'ACTIVE' && service.taskSets.every((taskSet) => taskSet.stabilityStatus === 'STEADY_STATE');
    if (steady && !service.steady) this.addEvent(service, `(service ${service.name}) has reached a steady state.`);
    service.steady = steady;
  }

  private *allTasks(service: ServiceState): Iterable<TaskState> {
    for (const taskSet of service.taskSets) yield* this.members.get(taskSet.id)?.values() ?? [];
    // Task sets already gone have no tasks left that are not STOPPED.
  }

  private addEvent(service: ServiceState, message: string, options: { unlessLatest?: boolean } = {}): void {
    if (options.unlessLatest && service.events[0]?.message === message) return;
    service.events.unshift({ id: uuidLike(this.host.seed, 33, ++this.counters.event), createdAt: this.host.now(), message });
    if (service.events.length > ECS_SERVICE_LIMITS.serviceEvents) service.events.length = ECS_SERVICE_LIMITS.serviceEvents;
  }

  // ── Load balancers ─────────────────────────────────────────────────────────────────────────────

  private followTargets(service: ServiceState, task: TaskState): void {
    const taskSet = service.taskSets.find((candidate) => candidate.id === task.startedBy);
    const registered = this.registered.get(task.id);
    if (registered && (task.desiredStatus === 'STOPPED' || task.lastStatus === 'STOPPED')) {
      this.registered.delete(task.id);
      for (const target of registered) {
        try {
          this.loadBalancing?.deregisterOnBehalf(target.targetGroup, [{ Id: target.id, Port: target.port }]);
          this.addEvent(service, `(service ${service.name}) deregistered 1 targets in (target-group ${this.loadBalancing?.targetGroupArn(target.targetGroup) ?? target.targetGroup})`);
        } catch (error) {
          this.addEvent(service, `(service ${service.name}) failed to deregister targets in (target-group ${target.targetGroup}) with (error ${(error as Error).message})`);
        }
      }
      return;
    }
    const lb = this.loadBalancing;
    if (!lb || !taskSet || registered || task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return;
    const targets: RegisteredTarget[] = [];
    for (const balancer of taskSet.loadBalancers) {
      const targetGroup = TARGET_GROUP_ARN.exec(balancer.targetGroupArn)?.[1] ?? balancer.targetGroupArn;
      const instance = this.host.instance(task.instanceId);
      const port = lb.hostPort(task.arn);
      try {
        if (!instance || port === undefined) throw new Error(`task ${task.arn} has no host port for container ${balancer.containerName}`);
        lb.registerOnBehalf(targetGroup, [{ Id: instance.ec2InstanceId, Port: port }]);
        targets.push({ targetGroup, id: instance.ec2InstanceId, port, serviceKey: serviceKey(service.cluster, service.name) });
        this.addEvent(service, `(service ${service.name}) registered 1 targets in (target-group ${balancer.targetGroupArn})`);
      } catch (error) {
        this.addEvent(service, `(service ${service.name}) failed to register targets in (target-group ${balancer.targetGroupArn}) with (error ${(error as Error).message})`);
      }
    }
    if (targets.length > 0) this.registered.set(task.id, targets);
  }

  private requireLoadBalancers(given: NonNullable<CreateTaskSetRequest['loadBalancers']>, containerName: string): TaskSetState['loadBalancers'] {
    if (given.length > ECS_SERVICE_LIMITS.loadBalancersPerTaskSet) throw invalidParameterException('CreateTaskSet cannot have more than 1 load balancer.');
    return given.map((balancer) => {
      if (balancer.loadBalancerName !== undefined || balancer.targetGroupArn === undefined) {
        throw invalidParameterException('When using an external deployment controller, specify a targetGroupArn (Application or Network Load Balancer) and omit loadBalancerName.');
      }
      const match = TARGET_GROUP_ARN.exec(balancer.targetGroupArn);
      if (!match) throw invalidParameterException(`targetGroupArn: ${balancer.targetGroupArn} is not a target group ARN.`);
      if (this.loadBalancing && this.loadBalancing.targetGroupArn(match[1]!) !== balancer.targetGroupArn) {
        throw invalidParameterException('Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.');
      }
      if (balancer.containerName !== containerName) throw invalidParameterException(`The container ${balancer.containerName ?? ''} does not exist in the task definition.`);
      const port = balancer.containerPort;
      if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw invalidParameterException('containerPort: a port between 1 and 65535 is required.');
      return { targetGroupArn: balancer.targetGroupArn, containerName, containerPort: port };
    });
  }

  // ── Lookups and shapes ─────────────────────────────────────────────────────────────────────────

  /** The ACTIVE service: ServiceNotFoundException when unknown, ServiceNotActiveException when DRAINING or INACTIVE. */
  private activeService(cluster: string | undefined, service: string | undefined): ServiceState {
    const name = this.host.requireCluster(cluster ?? 'default');
    const found = this.services.get(serviceKey(name, nameOf(service ?? '')));
    if (!found) throw serviceNotFoundException();
    if (found.status !== 'ACTIVE') throw serviceNotActiveException();
    return found;
  }

  private describe(service: ServiceState): Service {
    if (this.dirty.has(service)) this.refresh(service);
    const primary = service.taskSets.find((taskSet) => taskSet.status === 'PRIMARY');
    let running = 0;
    let pending = 0;
    for (const taskSet of service.taskSets) {
      const counts = this.counts(taskSet);
      running += counts.running;
      pending += counts.pending;
    }
    return {
      serviceArn: service.arn,
      serviceName: service.name,
      clusterArn: this.host.clusterArn(service.cluster),
      // An EXTERNAL service shows its primary task set's task definition, launch type and load balancers.
      loadBalancers: primary ? primary.loadBalancers.map((balancer) => ({ ...balancer })) : [],
      serviceRegistries: [],
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: running,
      pendingCount: pending,
      ...(primary ? { launchType: 'EC2' as const, taskDefinition: primary.taskDefinitionArn } : {}),
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
      taskSets: service.taskSets.map((taskSet) => this.describeTaskSet(service, taskSet)),
      deployments: [],
      events: service.events.map((event) => ({ id: event.id, createdAt: new Date(event.createdAt), message: event.message })),
      createdAt: new Date(service.createdAt),
      placementConstraints: [],
      placementStrategy: [],
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'EXTERNAL' },
      enableECSManagedTags: false,
      propagateTags: 'NONE',
      enableExecuteCommand: false,
    };
  }

  private describeTaskSet(service: ServiceState, taskSet: TaskSetState): TaskSet {
    if (this.dirty.has(service)) this.refresh(service);
    const { running, pending } = this.counts(taskSet);
    return {
      id: taskSet.id,
      taskSetArn: taskSet.arn,
      serviceArn: service.arn,
      clusterArn: this.host.clusterArn(service.cluster),
      ...(taskSet.externalId !== undefined ? { externalId: taskSet.externalId } : {}),
      status: taskSet.status,
      taskDefinition: taskSet.taskDefinitionArn,
      computedDesiredCount: this.computedDesiredCount(service, taskSet),
      pendingCount: pending,
      runningCount: running,
      createdAt: new Date(taskSet.createdAt),
      updatedAt: new Date(taskSet.updatedAt),
      launchType: 'EC2',
      loadBalancers: taskSet.loadBalancers.map((balancer) => ({ ...balancer })),
      serviceRegistries: [],
      scale: { value: taskSet.scale, unit: 'PERCENT' },
      stabilityStatus: taskSet.stabilityStatus,
      stabilityStatusAt: new Date(taskSet.stabilityStatusAt),
    };
  }
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────────────

function serviceKey(cluster: string, name: string): string {
  return `${cluster}/${name}`;
}

/** A service name from a name or an ARN (`…:service/<cluster>/<name>` or the old `…:service/<name>`). */
function nameOf(service: string): string {
  const match = /^arn:aws[a-z-]*:ecs:[^:]*:[^:]*:service\/(.+)$/.exec(service);
  if (!match) return service;
  const path = match[1]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

function findTaskSet(service: ServiceState, given: string): TaskSetState | undefined {
  return service.taskSets.find((taskSet) => taskSet.id === given || taskSet.arn === given);
}

function requireTaskSet(service: ServiceState, given: string | undefined): TaskSetState {
  const taskSet = findTaskSet(service, given ?? '');
  if (!taskSet) throw taskSetNotFoundException('The specified task set was not found.');
  return taskSet;
}

function requireCount(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw invalidParameterException(`${field}: a whole number >= 0 is required, got ${value}.`);
}

function requireScale(scale: { unit?: string | undefined; value?: number | undefined } | undefined): number {
  if (scale?.unit !== undefined && scale.unit !== 'PERCENT') throw invalidParameterException(`scale.unit: PERCENT is the only unit, got ${scale.unit}.`);
  const value = scale?.value;
  if (value === undefined || !Number.isFinite(value) || value < 0 || value > 100) {
    throw invalidParameterException(`scale.value: a percentage between 0 and 100 is required, got ${value === undefined ? 'none' : value}.`);
  }
  return value;
}

/** ECS's service event when no instance can take a task: the closest one (most CPU left, then memory) and what it lacks. */
function placementFailure(service: { name: string }, usable: InstanceState[], behaviour: TaskBehaviour): string {
  const prefix = `(service ${service.name}) was unable to place a task because no container instance met all of its requirements.`;
  if (usable.length === 0) return `${prefix} Reason: No Container Instances were found in your cluster. ${PLACEMENT_HELP}`;
  const closest = [...usable].sort((a, b) => b.remaining.cpu - a.remaining.cpu || b.remaining.memory - a.remaining.memory || a.seq - b.seq)[0]!;
  const lacking = behaviour.cpu > closest.remaining.cpu ? 'CPU units' : 'memory';
  return `${prefix} The closest matching (container-instance ${closest.id}) has insufficient ${lacking} available. ${PLACEMENT_HELP}`;
}

function zoneOf(instance: InstanceState): string {
  return instance.attributes['ecs.availability-zone'] ?? '';
}

function drainingReason(instance: InstanceState | undefined): string {
  return `Container instance ${instance?.id ?? ''} is draining`;
}

function lexicographicallyLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** A binary min-heap. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let least = i;
        if (l < items.length && this.compare(items[l]!, items[least]!) < 0) least = l;
        if (r < items.length && this.compare(items[r]!, items[least]!) < 0) least = r;
        if (least === i) break;
        [items[i], items[least]] = [items[least]!, items[i]!];
        i = least;
      }
    }
    return top;
  }
}

/** 19 decimal digits from (seed, n), the first not 0: the number of an `ecs-svc/…` task set id. */
function digits19(seed: number, n: number): string {
  const value = BigInt(`0x${hexId(seed, 31, n, 16)}`);
  return (10n ** 18n + (value % (9n * 10n ** 18n))).toString();
}
