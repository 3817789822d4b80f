/**
 * The simulated ECS cluster: the deployment engine's test bed and the local stack's cluster.
 * Deterministic and in memory; time comes from the `SimScheduler` it is given (a `VirtualClock` in
 * tests, a `RealTimeClock` in the local stack), randomness from a seeded PRNG.
 *
 * ```ts
 * const clock = new VirtualClock();
 * const world = new SimulatedCluster({ clock, taskDefinitions: { 'log-daemon:1': { cpu: 1024, memory: 2048 } } });
 * world.onEvent((event) => console.log(event['detail-type'], event.detail.version));
 * const [instance] = world.addInstances({ count: 1, attributes: { stack: 'prod' } });
 * const { tasks } = await world.startTask({ cluster: 'default', taskDefinition: 'log-daemon:1',
 *   containerInstance: instance!.arn, startedBy: 'blox/SomeEnvironment', tags: {} });
 * clock.advance(0);        // events are delivered through the clock: PENDING (+ instance resources)
 * clock.advance(2_000);    // RUNNING (startSeconds 2)
 * clock.advance(1_000);    // HEALTHY (healthyAfterSeconds 1; no event by default, see healthChangeEvents)
 * await world.stopTask('default', tasks[0]!.arn, 'replaced');   // STOPPING now, STOPPED 1 s later
 * ```
 *
 * Behaviour (every delay configurable per task definition, see `TaskBehaviour`):
 * - StartTask places on the named container instance or answers ECS's `failures[]`: `MISSING`
 *   (no such instance), `INACTIVE` (deregistered), `AGENT` (agent disconnected), `DRAINING` (see
 *   `startOnDraining`), `RESOURCE:CPU` / `RESOURCE:MEMORY` (does not fit what remains).
 *   A placed task is PENDING, then RUNNING after `startSeconds`; health as configured; with
 *   `failStart` it goes STOPPED (`TaskFailedToStart`) instead; with `crashAfterSeconds` it exits
 *   (`EssentialContainerExited`, exit code 1) and stays stopped — there is no service scheduler.
 * - StopTask: desired STOPPED, STOPPING at once, STOPPED after `stopSeconds` (`UserInitiated`,
 *   the given reason); resources are released at STOPPED. A stopped task is returned unchanged.
 * - Draining an instance leaves its standalone tasks running (ECS only moves *service* tasks off a
 *   draining instance: see the services below). Removing (terminating) an instance stops its tasks at
 *   once (`TerminationNotice`, "Host EC2 (instance i-…) terminated.") and deregisters it (INACTIVE,
 *   no longer listed).
 * - ListContainerInstances lists ACTIVE and DRAINING instances (ECS's default: all but INACTIVE),
 *   filtered with the cluster query language; a filter that does not parse is an
 *   `InvalidParameterException`. ListTasks lists a `startedBy`'s tasks, stopped ones for
 *   `stoppedRetentionSeconds` (ECS keeps them about an hour).
 * - Every task and container-instance change emits an EventBridge event (`events.ts`), delivered
 *   to `onEvent` listeners through the clock `eventDelayMs` later (never from inside an API call).
 * - ECS's request rate limits (`ecs-rate-limits.ts`), on by default: each `Cluster` method costs
 *   the ECS calls the real adapter makes for it (`ECS_CALLS`: a listing is its List pages and its
 *   Describe chunks), taken from ECS's token buckets (cluster resource reads: 100 at once, 20/s;
 *   StartTask/StopTask: 100 at once, 40/s; one set per world, as ECS's are per account and Region).
 *   A call that finds its bucket empty throws `ThrottlingException: Rate exceeded` and changes
 *   nothing. `rateLimits: false` (option or `setRateLimits`) turns them off; `{ buckets, callSpacingMs }`
 *   overrides them.
 * - `throttle(p)`: each API call (the `Cluster` methods and the service API below) throws
 *   `ThrottlingException` with probability p, drawn from the seeded PRNG (fault injection, on top of
 *   the rate limits).
 * - `toJSON()` / `SimulatedCluster.fromJSON()`: the whole world, pending timers included.
 *
 * ECS services (`ecs-services.ts`, which documents what it enforces): CreateService (EXTERNAL
 * deployment controller), DescribeServices, UpdateService, DeleteService, CreateTaskSet,
 * DescribeTaskSets, UpdateTaskSet, UpdateServicePrimaryTaskSet, DeleteTaskSet, in the AWS SDK's
 * request and response shapes, each one call of ECS's service buckets (`ECS_ACTION_BUCKET`). ECS's
 * service scheduler keeps each task set at its computed desired count with ordinary tasks of the
 * world (`startedBy` the task set id `ecs-svc/…`, `group` `service:<name>`, the same events), and
 * replaces those that stop or fail their container health check. The world also implements the
 * `Services` port, by running the ECS adapter (`adapters/ecs-services.ts`) over that API. With
 * `loadBalancing` (ELBv2 and the tasks' host ports), task sets' tasks are registered in their target
 * group while RUNNING. A world that never had a service behaves, and snapshots, as before.
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
  ECSClient,
  UpdateServicePrimaryTaskSetRequest,
  UpdateServicePrimaryTaskSetResponse,
  UpdateServiceRequest,
  UpdateServiceResponse,
  UpdateTaskSetRequest,
  UpdateTaskSetResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
} from '@aws-sdk/client-ecs';
import type {
  AddTaskSetInput,
  Cluster,
  ClusterService,
  ClusterTask,
  ContainerInstance,
  Page,
  Services,
  ServiceTaskSet,
  StartTaskInput,
  StartTaskResult,
  TaskHealthStatus,
} from '../../functions/ports';
import type { InstanceFacts, QueryAst } from '../../domain/query';
import { evaluateQuery, formatQueryError, parseQuery } from '../../domain/query';
import type { EcsCalls, EcsRateBucket } from '../../functions/ecs-budget-port';
import { ECS_CALLS, ECS_LIST_PAGE_SIZE } from '../../functions/ecs-budget-port';
import type { ScheduledTimer, SimScheduler } from './clock';
import type { SimRateLimitsOption } from './ecs-rate-limits';
import { EcsRateLimiter, resolveRateLimits } from './ecs-rate-limits';
import type { ServiceLoadBalancing } from './ecs-services';
import { SimulatedEcsServices } from './ecs-services';
import { clientException, clusterNotFoundException, invalidParameterException, throttlingException } from './errors';
import type { EcsContainerInstanceStateChangeEvent, EcsResource, EcsTaskStateChangeEvent, SimulatedEcsEvent } from './events';
import { CONTAINER_INSTANCE_STATE_CHANGE, eventTime, TASK_STATE_CHANGE } from './events';
import { hexId, SeededRandom, uuidLike } from './random';
import type { InstanceState, TaskBehaviour, TaskState, TaskTimerKind, WorldSnapshot } from './state';
import { SNAPSHOT_FORMAT, worldSnapshotSchema } from './state';

// ── Defaults (documented in local/cluster.yml) ───────────────────────────────────────────────────

/** A task definition the world was not told about: 512 CPU units, 1024 MiB, up in 2 s, down in 1 s, HEALTHY 1 s after RUNNING. */
export const DEFAULT_TASK_BEHAVIOUR: Readonly<Omit<TaskBehaviour, 'containerName'>> = Object.freeze({
  cpu: 512,
  memory: 1024,
  startSeconds: 2,
  stopSeconds: 1,
  health: 'healthy',
  healthyAfterSeconds: 1,
  crashExitCode: 1,
});

/** An instance added without sizes: a t3.medium (2 vCPU = 2048 units, 4096 MiB), zones round-robin. */
export const DEFAULT_INSTANCE = Object.freeze({
  cpu: 2048,
  memory: 4096,
  instanceType: 't3.medium',
  availabilityZones: Object.freeze(['us-east-1a', 'us-east-1b', 'us-east-1c']),
});

export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_AGENT_VERSION = '1.89.0';
/** How long ECS keeps describing stopped tasks (about an hour). */
export const DEFAULT_STOPPED_RETENTION_SECONDS = 3600;

/** The stop codes and reasons the world uses (ECS's `Task.stopCode` enum and its usual reasons). */
export const STOP_CODES = Object.freeze({
  userInitiated: 'UserInitiated',
  taskFailedToStart: 'TaskFailedToStart',
  essentialContainerExited: 'EssentialContainerExited',
  terminationNotice: 'TerminationNotice',
  serviceSchedulerInitiated: 'ServiceSchedulerInitiated',
});
export const ESSENTIAL_CONTAINER_EXITED_REASON = 'Essential container in task exited';
export const DEFAULT_STOP_REASON = 'Task stopped by user';

/** StartTask's failure reasons (ECS's "API failure reasons"; DRAINING is this simulator's). */
export type StartTaskFailureReason = 'MISSING' | 'INACTIVE' | 'AGENT' | 'DRAINING' | 'RESOURCE:CPU' | 'RESOURCE:MEMORY';

const DOCKER_VERSION = 'DockerVersion: 25.0.8';
const AGENT_HASH = 'a1b2c3d4';
const PORTS = ['22', '2375', '2376', '51678', '51679'];
/** ECS: up to 36 letters, digits, hyphens, forward slashes and underscores. */
const STARTED_BY = /^[A-Za-z0-9_/-]{1,36}$/;
const MAX_TAGS = 50;

// ── Options and inputs ───────────────────────────────────────────────────────────────────────────

export interface InstanceDefaults {
  cpu: number;
  memory: number;
  instanceType: string;
  availabilityZones: string[];
}

export interface SimulatedClusterOptions {
  /** The clock and scheduler that drives the world. */
  clock: SimScheduler;
  /** Seeds the default PRNG and the identifiers (task ids, event ids). Default 1. */
  seed?: number;
  /** The PRNG for faults (throttling). Default: mulberry32(seed). */
  random?: () => number;
  account?: string;
  region?: string;
  agentVersion?: string;
  /** Behaviour of task definitions not configured otherwise (merged over `DEFAULT_TASK_BEHAVIOUR`). */
  taskDefaults?: Partial<TaskBehaviour>;
  /** Per task definition: `family:revision`, or `family` for every revision without its own entry. */
  taskDefinitions?: Record<string, Partial<TaskBehaviour>>;
  instanceDefaults?: Partial<InstanceDefaults>;
  /** How long ListTasks still lists a stopped task. Default 3600. */
  stoppedRetentionSeconds?: number;
  /** Delay between a change and its event's delivery to listeners. Default 0 (next clock run). */
  eventDelayMs?: number;
  /**
   * Emit a task event when only the health status changes. Default false: ECS documents that task
   * state change events do not report task health ("use DescribeTasks"); health shows in ListTasks.
   */
  healthChangeEvents?: boolean;
  /** StartTask onto a DRAINING instance: refuse (`DRAINING` failure, the default) or place it. */
  startOnDraining?: 'reject' | 'allow';
  /**
   * ECS's request rate limits (`ecs-rate-limits.ts`). Default: ECS's documented limits. `false`
   * turns them off (for tests that are not about them and call the API faster than ECS allows).
   */
  rateLimits?: SimRateLimitsOption;
  /**
   * Where service tasks are registered on ECS's behalf (`ecs-services.ts`): ELBv2's target groups and
   * the tasks' host ports. Without it, task sets' load balancers are accepted and not registered
   * anywhere. Also `useLoadBalancing`, for services built after the world.
   */
  loadBalancing?: ServiceLoadBalancing;
}

export interface AddInstancesInput {
  /** Default 1. */
  count?: number;
  /** Custom attributes, e.g. `{ stack: 'prod' }`; may override the `ecs.*` ones. */
  attributes?: Record<string, string | undefined>;
  /** CPU units (default 2048). */
  cpu?: number;
  /** MiB (default 4096). */
  memory?: number;
  /** Default `default` (created if new). */
  cluster?: string;
  instanceType?: string;
  /** Default: round-robin over the default zones. */
  availabilityZone?: string;
}

export type EventListener = (event: SimulatedEcsEvent) => void;

export interface RestoreOptions {
  clock: SimScheduler;
  /** A PRNG to use instead of the snapshot's (required to continue when the snapshot has none). */
  random?: () => number;
}

// ── The world ────────────────────────────────────────────────────────────────────────────────────

interface OutboxEntry {
  seq: number;
  at: number;
  event: SimulatedEcsEvent;
}

export class SimulatedCluster implements Cluster, Services {
  readonly account: string;
  readonly region: string;
  readonly seed: number;

  private readonly clock: SimScheduler;
  private random: () => number;
  private readonly seededRandom: SeededRandom | undefined;
  private readonly settings: WorldSnapshot['settings'];

  private readonly clusters = new Set<string>(['default']);
  private readonly taskDefinitions = new Map<string, Partial<TaskBehaviour>>();
  /** By id, in registration order (Map insertion order). */
  private readonly instances = new Map<string, InstanceState>();
  /** By id, in creation order (Map insertion order). */
  private readonly tasks = new Map<string, TaskState>();
  /** The tasks placed on each instance (by instance id), in creation order. */
  private readonly tasksByInstance = new Map<string, Map<string, TaskState>>();
  /** `startedBy` → its tasks in creation order (a listing by `startedBy` looks at these only, not every task of the world). */
  private readonly tasksByStartedBy = new Map<string, Map<string, TaskState>>();
  /** EC2 instance id → instance: a cache (checked against `instances` on every hit, refilled on a miss). */
  private readonly instancesByEc2Id = new Map<string, InstanceState>();
  private outbox: OutboxEntry[] = [];
  private readonly handles = new Map<number, ScheduledTimer>();
  private readonly listeners = new Set<EventListener>();
  private readonly taskObservers = new Set<(task: ClusterTask) => void>();
  private readonly filterCache = new Map<string, QueryAst | null>();
  private counters = { instance: 0, task: 0, event: 0, timer: 0, request: 0 };
  private throttleProbability = 0;
  private throttleRandom: () => number;
  private rateLimiter: EcsRateLimiter | undefined;
  /** ECS's services and task sets, and the service scheduler (`ecs-services.ts`). */
  private readonly ecsServices: SimulatedEcsServices;
  /** Where tasks listen (their host port), when load balancing is attached. */
  private loadBalancing: ServiceLoadBalancing | undefined;
  private servicesPort: Promise<Services> | undefined;

  constructor(options: SimulatedClusterOptions) {
    this.clock = options.clock;
    this.seed = options.seed ?? 1;
    this.account = options.account ?? DEFAULT_ACCOUNT;
    this.region = options.region ?? DEFAULT_REGION;
    if (options.random) {
      this.random = options.random;
    } else {
      this.seededRandom = new SeededRandom(this.seed);
      this.random = this.seededRandom.next;
    }
    this.throttleRandom = this.random;
    const instanceDefaults = { ...DEFAULT_INSTANCE, ...options.instanceDefaults };
    this.settings = {
      stoppedRetentionSeconds: options.stoppedRetentionSeconds ?? DEFAULT_STOPPED_RETENTION_SECONDS,
      eventDelayMs: options.eventDelayMs ?? 0,
      healthChangeEvents: options.healthChangeEvents ?? false,
      startOnDraining: options.startOnDraining ?? 'reject',
      agentVersion: options.agentVersion ?? DEFAULT_AGENT_VERSION,
      instanceDefaults: { ...instanceDefaults, availabilityZones: [...instanceDefaults.availabilityZones] },
      taskDefaults: { ...options.taskDefaults },
      rateLimits: resolveRateLimits(options.rateLimits),
    };
    if (this.settings.rateLimits) this.rateLimiter = new EcsRateLimiter(this.settings.rateLimits, this.clock);
    for (const [key, behaviour] of Object.entries(options.taskDefinitions ?? {})) this.configureTaskDefinition(key, behaviour);
    this.ecsServices = new SimulatedEcsServices({
      account: this.account,
      region: this.region,
      seed: this.seed,
      now: () => this.now(),
      schedule: (atMs, fn) => this.clock.schedule(atMs, fn),
      clusterArn: (name) => this.clusterArn(name),
      requireCluster: (cluster) => this.requireCluster(cluster),
      resolveTaskDefinition: (taskDefinition) => {
        const { key, family } = this.resolveTaskDefinition(taskDefinition);
        return { key, family, arn: `arn:aws:ecs:${this.region}:${this.account}:task-definition/${key}` };
      },
      behaviour: (taskDefinition) => this.taskBehaviour(taskDefinition),
      instances: (cluster) => [...this.instances.values()].filter((instance) => instance.cluster === cluster),
      instance: (id) => this.instances.get(id),
      tasks: () => this.tasks.values(),
      place: (input) => this.placeServiceTask(input),
      stop: (task, reason) => this.stopForService(task, reason),
    });
    if (options.loadBalancing) this.useLoadBalancing(options.loadBalancing);
  }

  // ── Events ─────────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to every event; returns the unsubscribe function. Do not mutate the events. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Observes every task change as it happens (placed; lastStatus, desiredStatus or health changed),
   * synchronously and without the clock: for the simulated services that follow tasks (`traffic.ts`:
   * ports, load balancer targets). The observer must not throw nor call the world. Returns the
   * unsubscribe function.
   */
  onTaskChange(observer: (task: ClusterTask) => void): () => void {
    this.taskObservers.add(observer);
    return () => this.taskObservers.delete(observer);
  }

  // ── Configuration and control (the local stack's "world controls") ─────────────────────────────

  /**
   * Sets (merges) how a task definition behaves: `family:revision`, or `family` for all its
   * revisions without their own entry. Applies to tasks started afterwards.
   */
  configureTaskDefinition(taskDefinition: string, behaviour: Partial<TaskBehaviour>): void {
    const key = taskDefinition.includes(':') ? this.resolveTaskDefinition(taskDefinition).key : taskDefinition;
    const merged = { ...this.taskDefinitions.get(key), ...behaviour };
    // An explicit `undefined` clears a fault (e.g. `{ failStart: undefined }`).
    for (const [name, value] of Object.entries(behaviour)) if (value === undefined) delete (merged as Record<string, unknown>)[name];
    this.taskDefinitions.set(key, merged);
  }

  /** The behaviour tasks of this task definition get when started now. */
  taskBehaviour(taskDefinition: string): TaskBehaviour {
    const { key, family } = this.resolveTaskDefinition(taskDefinition);
    const defaults = { ...DEFAULT_TASK_BEHAVIOUR, containerName: family, ...this.settings.taskDefaults };
    return { ...defaults, ...this.taskDefinitions.get(family), ...this.taskDefinitions.get(key) } as TaskBehaviour;
  }

  /**
   * ECS's DescribeTaskDefinition, in the SDK's shapes: the task definition as the world runs it — one
   * essential container (`containerName`) reserving the behaviour's CPU and memory, with the configured
   * `image` (default `sim.local/<family>:<revision>`), `environment` and `portMappings`, and a health
   * check unless its health is `none`. Every well-formed `family:revision` or ARN is registered in the
   * simulated world (StartTask takes any); a family alone is its latest configured revision; anything
   * else is ECS's `ClientException`, as is a missing `taskDefinition`.
   */
  async describeTaskDefinition(input: DescribeTaskDefinitionRequest): Promise<DescribeTaskDefinitionResponse> {
    if (!input.taskDefinition) throw clientException('Unable to describe task definition.');
    const { key, family } = this.resolveTaskDefinition(input.taskDefinition);
    const behaviour = this.taskBehaviour(key);
    const revision = Number(key.slice(family.length + 1));
    return {
      taskDefinition: {
        taskDefinitionArn: `arn:aws:ecs:${this.region}:${this.account}:task-definition/${key}`,
        family,
        revision,
        status: 'ACTIVE',
        networkMode: 'bridge',
        requiresCompatibilities: ['EC2'],
        containerDefinitions: [
          {
            name: behaviour.containerName,
            image: behaviour.image ?? `sim.local/${family}:${revision}`,
            cpu: behaviour.cpu,
            memory: behaviour.memory,
            essential: true,
            environment: Object.entries(behaviour.environment ?? {}).map(([name, value]) => ({ name, value })),
            portMappings: (behaviour.portMappings ?? []).map((mapping) => ({ ...mapping, protocol: mapping.protocol ?? 'tcp' })),
            ...(behaviour.health === 'none' ? {} : { healthCheck: { command: ['CMD-SHELL', 'exit 0'], interval: 30, timeout: 5, retries: 3, startPeriod: 0 } }),
          },
        ],
      },
    };
  }

  createCluster(name: string): void {
    this.clusters.add(name);
  }

  /** Registers `count` ACTIVE container instances (one event each). */
  addInstances(input: AddInstancesInput = {}): ContainerInstance[] {
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`addInstances: count must be a whole number >= 0, got ${count}`);
    const cluster = input.cluster ?? 'default';
    this.clusters.add(cluster);
    const defaults = this.settings.instanceDefaults;
    const cpu = input.cpu ?? defaults.cpu;
    const memory = input.memory ?? defaults.memory;
    const added: ContainerInstance[] = [];
    for (let i = 0; i < count; i++) {
      const n = ++this.counters.instance;
      const id = hexId(this.seed, 1, n, 32);
      const zones = defaults.availabilityZones;
      const zone = input.availabilityZone ?? zones[(n - 1) % zones.length]!;
      const attributes: Record<string, string | null> = {
        'ecs.instance-type': input.instanceType ?? defaults.instanceType,
        'ecs.availability-zone': zone,
        'ecs.os-type': 'linux',
        'ecs.os-family': 'LINUX',
        'ecs.cpu-architecture': 'x86_64',
        'ecs.ami-id': `ami-${hexId(this.seed, 4, 0, 17)}`,
      };
      for (const [name, value] of Object.entries(input.attributes ?? {})) attributes[name] = value ?? null;
      const now = this.now();
      const instance: InstanceState = {
        id,
        cluster,
        arn: `arn:aws:ecs:${this.region}:${this.account}:container-instance/${cluster}/${id}`,
        ec2InstanceId: `i-${n.toString(16).padStart(17, '0')}`,
        status: 'ACTIVE',
        agentConnected: true,
        agentVersion: this.settings.agentVersion,
        attributes,
        registeredAt: now,
        registered: { cpu, memory },
        remaining: { cpu, memory },
        version: 1,
        updatedAt: now,
        seq: n,
      };
      this.instances.set(id, instance);
      this.emitInstance(instance);
      added.push(this.toContainerInstance(instance));
    }
    return added;
  }

  /** ACTIVE → DRAINING. Its tasks keep running (ECS only moves service tasks off a draining instance). */
  drainInstance(idOrArn: string): ContainerInstance {
    return this.setInstanceStatus(idOrArn, 'DRAINING');
  }

  /** DRAINING → ACTIVE. */
  activateInstance(idOrArn: string): ContainerInstance {
    return this.setInstanceStatus(idOrArn, 'ACTIVE');
  }

  /** The agent disconnects (StartTask answers `AGENT`) or reconnects. */
  setAgentConnected(idOrArn: string, connected: boolean): ContainerInstance {
    const instance = this.requireInstance(idOrArn);
    if (instance.status === 'INACTIVE') throw invalidParameterException('The container instance is not active.');
    if (instance.agentConnected !== connected) {
      instance.agentConnected = connected;
      this.touchInstance(instance);
    }
    return this.toContainerInstance(instance);
  }

  /**
   * The EC2 instance is terminated: its tasks stop at once (`TerminationNotice`, "Host EC2
   * (instance i-…) terminated."), then it is deregistered (INACTIVE, agent disconnected, no longer
   * listed). Removing a removed instance does nothing.
   */
  removeInstance(idOrArn: string): ContainerInstance {
    const instance = this.requireInstance(idOrArn);
    if (instance.status === 'INACTIVE') return this.toContainerInstance(instance);
    const reason = `Host EC2 (instance ${instance.ec2InstanceId}) terminated.`;
    for (const task of this.tasksOn(instance)) {
      if (task.lastStatus === 'STOPPED') continue;
      this.cancelTimers(task);
      const now = this.now();
      task.desiredStatus = 'STOPPED';
      task.stopCode ??= STOP_CODES.terminationNotice;
      task.stoppedReason ??= reason;
      task.stoppingAt ??= now;
      task.executionStoppedAt = now;
      this.finishStop(task, { releaseResources: false });
    }
    instance.status = 'INACTIVE';
    instance.agentConnected = false;
    instance.remaining = { ...instance.registered };
    this.touchInstance(instance);
    return this.toContainerInstance(instance);
  }

  /** Forces a task's health status now (e.g. a running daemon turns unhealthy). */
  setTaskHealth(taskArnOrId: string, health: TaskHealthStatus): ClusterTask {
    const task = this.requireTask(taskArnOrId);
    if (task.lastStatus === 'STOPPED') throw invalidParameterException('The task is stopped.');
    this.cancelTimers(task, 'health');
    this.changeHealth(task, health);
    return this.toClusterTask(task);
  }

  /** The task's essential container exits now (`EssentialContainerExited`, the given exit code). */
  crashTask(taskArnOrId: string, exitCode?: number): ClusterTask {
    const task = this.requireTask(taskArnOrId);
    if (task.lastStatus !== 'RUNNING') throw invalidParameterException(`Only a RUNNING task can crash; this one is ${task.lastStatus}.`);
    this.cancelTimers(task);
    this.crash(task, exitCode ?? task.behaviour.crashExitCode);
    return this.toClusterTask(task);
  }

  /**
   * Fault injection: every API call (the four `Cluster` methods) throws a `ThrottlingException`
   * with this probability, drawn from `random` (default: the world's seeded PRNG). 0 turns it off.
   */
  throttle(probability: number, random?: () => number): void {
    if (!(probability >= 0 && probability <= 1)) throw new RangeError(`throttle: probability must be in [0, 1], got ${probability}`);
    this.throttleProbability = probability;
    this.throttleRandom = random ?? this.random;
  }

  /**
   * ECS's request rate limits: `false` turns them off, `{}` is ECS's defaults, `{ buckets,
   * callSpacingMs }` overrides them. The buckets start full.
   */
  setRateLimits(option: SimRateLimitsOption): void {
    this.settings.rateLimits = resolveRateLimits(option);
    this.rateLimiter = this.settings.rateLimits ? new EcsRateLimiter(this.settings.rateLimits, this.clock) : undefined;
  }

  // ── Inspection ─────────────────────────────────────────────────────────────────────────────────

  /** The tokens left now in one of ECS's buckets (fractional while refilling); undefined when limits are off. */
  rateLimitTokens(bucket: EcsRateBucket): number | undefined {
    return this.rateLimiter?.tokens(bucket);
  }

  /** Every instance ever registered (INACTIVE ones included), in registration order. */
  describeInstances(cluster?: string): ContainerInstance[] {
    return [...this.instances.values()]
      .filter((instance) => cluster === undefined || instance.cluster === this.clusterName(cluster))
      .map((instance) => this.toContainerInstance(instance));
  }

  /** Every task still remembered (stopped ones until the retention passes), in creation order. */
  describeTasks(cluster?: string): ClusterTask[] {
    this.forgetOldTasks();
    return [...this.tasks.values()]
      .filter((task) => cluster === undefined || task.cluster === this.clusterName(cluster))
      .map((task) => this.toClusterTask(task));
  }

  describeTask(taskArnOrId: string): ClusterTask | undefined {
    const task = this.findTask(taskArnOrId);
    return task && this.toClusterTask(task);
  }

  describeInstance(idOrArn: string): ContainerInstance | undefined {
    const instance = this.findInstance(idOrArn);
    return instance && this.toContainerInstance(instance);
  }

  // ── The Cluster port ───────────────────────────────────────────────────────────────────────────

  async listContainerInstances(cluster: string, filter?: string): Promise<ContainerInstance[]> {
    this.maybeThrottle();
    let listed: InstanceState[];
    try {
      const name = this.requireCluster(cluster);
      const ast = this.parseFilter(filter ?? '');
      listed = [...this.instances.values()]
        .filter((instance) => instance.cluster === name && (instance.status === 'ACTIVE' || instance.status === 'DRAINING'))
        .filter((instance) => evaluateQuery(ast, this.facts(instance)));
    } catch (error) {
      this.charge({ ListContainerInstances: 1 }); // the first page is refused: still a request
      throw error;
    }
    this.charge(ECS_CALLS.listContainerInstances(listed.length));
    return listed.map((instance) => this.toContainerInstance(instance));
  }

  async listTasks(cluster: string, startedBy: string): Promise<ClusterTask[]> {
    this.maybeThrottle();
    let name: string;
    try {
      name = this.requireCluster(cluster);
    } catch (error) {
      this.charge({ ListTasks: 1 });
      throw error;
    }
    this.forgetOldTasks();
    const listed = [...this.tasks.values()].filter((task) => task.cluster === name && task.startedBy === startedBy);
    const running = listed.filter((task) => task.desiredStatus === 'RUNNING').length;
    this.charge(ECS_CALLS.listTasks({ running, stopped: listed.length - running }));
    return listed.map((task) => this.toClusterTask(task));
  }

  /** One page of ListContainerInstances; the token is the last ARN of the page (instances in registration order). */
  async listContainerInstanceArnPage(cluster: string, filter: string | undefined, status: 'ACTIVE' | 'DRAINING', nextToken?: string): Promise<Page<string>> {
    this.maybeThrottle();
    this.charge(ECS_CALLS.listContainerInstanceArnPage());
    const name = this.requireCluster(cluster);
    const ast = this.parseFilter(filter ?? '');
    const all = [...this.instances.values()].filter((instance) => instance.cluster === name && instance.status === status && evaluateQuery(ast, this.facts(instance)));
    return simPage(all.map((instance) => instance.arn), nextToken, (arn) => arn);
  }

  /** One page of ListTasks (by desired status, in creation order) and the DescribeTasks of it. */
  async listTaskPage(cluster: string, startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED', nextToken?: string): Promise<Page<ClusterTask>> {
    this.maybeThrottle();
    let name: string;
    try {
      name = this.requireCluster(cluster);
    } catch (error) {
      this.charge({ ListTasks: 1 });
      throw error;
    }
    this.forgetOldTasks();
    const all = this.startedWith(name, startedBy, desiredStatus);
    const page = simPage(all, nextToken, (task) => task.arn);
    this.charge(ECS_CALLS.listTaskPage(page.items.length));
    return { items: page.items.map((task) => this.toClusterTask(task)), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /** One page of ListTasks (by desired status, in creation order): ARNs only. */
  async listTaskArnPage(cluster: string, startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED', nextToken?: string): Promise<Page<string>> {
    this.maybeThrottle();
    this.charge(ECS_CALLS.listTaskArnPage());
    const name = this.requireCluster(cluster);
    this.forgetOldTasks();
    const all = this.startedWith(name, startedBy, desiredStatus);
    return simPage(all.map((task) => task.arn), nextToken, (arn) => arn);
  }

  /** The tasks of a cluster started with `startedBy` of a desired status, in creation order (ListTasks' order). */
  private startedWith(cluster: string, startedBy: string, desiredStatus: 'RUNNING' | 'STOPPED'): TaskState[] {
    return [...(this.tasksByStartedBy.get(startedBy)?.values() ?? [])].filter((task) => task.cluster === cluster && task.desiredStatus === desiredStatus);
  }

  async lookUpTasks(cluster: string, taskArns: string[]): Promise<ClusterTask[]> {
    const named = [...new Set(taskArns)];
    if (named.length === 0) return [];
    this.maybeThrottle();
    let name: string;
    try {
      name = this.requireCluster(cluster);
    } catch (error) {
      this.charge({ DescribeTasks: 1 });
      throw error;
    }
    this.forgetOldTasks();
    this.charge(ECS_CALLS.describeTasks(named.length));
    // Like DescribeTasks: unknown (or forgotten) tasks come back as failures, left out here.
    return named.flatMap((arn) => {
      const task = this.findTask(arn);
      return task && task.cluster === name ? [this.toClusterTask(task)] : [];
    });
  }

  async startTask(input: StartTaskInput): Promise<StartTaskResult> {
    this.maybeThrottle();
    this.charge(ECS_CALLS.startTask());
    const cluster = this.requireCluster(input.cluster);
    if (!STARTED_BY.test(input.startedBy)) {
      throw invalidParameterException('startedBy: up to 36 letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores are allowed.');
    }
    if (Object.keys(input.tags).length > MAX_TAGS) throw invalidParameterException(`A task can have at most ${MAX_TAGS} tags.`);
    if (input.containerInstances.length < 1 || input.containerInstances.length > 10) {
      throw invalidParameterException('containerInstances: between 1 and 10 container instances may be specified.');
    }
    const definition = this.resolveTaskDefinition(input.taskDefinition);
    const result: StartTaskResult = { tasks: [], failures: [] };
    for (const containerInstance of input.containerInstances) {
      const one = this.placeTask(input, cluster, definition, containerInstance);
      result.tasks.push(...one.tasks);
      result.failures.push(...one.failures);
    }
    return result;
  }

  /** StartTask on one container instance (ECS answers each instance of a call on its own). */
  private placeTask(input: StartTaskInput, cluster: string, definition: ReturnType<SimulatedCluster['resolveTaskDefinition']>, containerInstance: string): StartTaskResult {
    const instance = this.findInstance(containerInstance);
    const fail = (reason: StartTaskFailureReason): StartTaskResult => ({
      tasks: [],
      failures: [{ arn: instance?.arn ?? containerInstance, reason }],
    });
    if (!instance || instance.cluster !== cluster) return fail('MISSING');
    if (instance.status === 'INACTIVE') return fail('INACTIVE');
    if (!instance.agentConnected) return fail('AGENT');
    if (instance.status === 'DRAINING' && this.settings.startOnDraining === 'reject') return fail('DRAINING');
    const behaviour = this.taskBehaviour(input.taskDefinition);
    if (behaviour.cpu > instance.remaining.cpu) return fail('RESOURCE:CPU');
    if (behaviour.memory > instance.remaining.memory) return fail('RESOURCE:MEMORY');

    const n = ++this.counters.task;
    const id = hexId(this.seed, 2, n, 32);
    const now = this.now();
    const arnPrefix = `arn:aws:ecs:${this.region}:${this.account}`;
    const task: TaskState = {
      id,
      arn: `${arnPrefix}:task/${cluster}/${id}`,
      cluster,
      instanceId: instance.id,
      containerInstanceArn: instance.arn,
      taskDefinition: definition.key,
      taskDefinitionArn: `${arnPrefix}:task-definition/${definition.key}`,
      startedBy: input.startedBy,
      group: input.group ?? `family:${definition.family}`,
      tags: { ...input.tags },
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      createdAt: now,
      updatedAt: now,
      version: 1,
      availabilityZone: instance.attributes['ecs.availability-zone'] ?? '',
      container: {
        arn: `${arnPrefix}:container/${cluster}/${id}/${uuidLike(this.seed, 3, n)}`,
        name: behaviour.containerName,
        lastStatus: 'PENDING',
        healthStatus: 'UNKNOWN',
      },
      behaviour,
      timers: [],
      seq: n,
    };
    this.addTask(task);
    instance.remaining = { cpu: instance.remaining.cpu - behaviour.cpu, memory: instance.remaining.memory - behaviour.memory };
    this.emitTask(task);
    this.touchInstance(instance);
    this.scheduleTask(task, now + behaviour.startSeconds * 1000, behaviour.failStart !== undefined ? 'failStart' : 'running');
    return { tasks: [this.toClusterTask(task)], failures: [] };
  }

  async stopTask(cluster: string, taskArn: string, reason: string): Promise<ClusterTask | undefined> {
    this.maybeThrottle();
    this.charge(ECS_CALLS.stopTask());
    const name = this.requireCluster(cluster);
    const task = this.findTask(taskArn);
    if (!task || task.cluster !== name) return undefined;
    if (task.desiredStatus === 'STOPPED' || task.lastStatus === 'STOPPED') return this.toClusterTask(task);
    this.cancelTimers(task);
    const now = this.now();
    task.desiredStatus = 'STOPPED';
    task.stopCode = STOP_CODES.userInitiated;
    task.stoppedReason = reason === '' ? DEFAULT_STOP_REASON : reason;
    task.stoppingAt = now;
    task.lastStatus = 'STOPPING';
    this.touchTask(task);
    this.scheduleTask(task, now + task.behaviour.stopSeconds * 1000, 'stopped');
    return this.toClusterTask(task);
  }

  // ── ECS services and task sets (the API, in the AWS SDK's shapes; `ecs-services.ts`) ───────────────

  /** Attaches (undefined: detaches) the load balancers service tasks are registered in on ECS's behalf. */
  useLoadBalancing(loadBalancing: ServiceLoadBalancing | undefined): void {
    this.loadBalancing = loadBalancing;
    this.ecsServices.useLoadBalancing(loadBalancing);
  }

  async createService(input: CreateServiceRequest): Promise<CreateServiceResponse> {
    this.serviceCall('CreateService');
    return this.ecsServices.createService(input);
  }

  async describeServices(input: DescribeServicesRequest): Promise<DescribeServicesResponse> {
    this.serviceCall('DescribeServices');
    return this.ecsServices.describeServices(input);
  }

  async updateService(input: UpdateServiceRequest): Promise<UpdateServiceResponse> {
    this.serviceCall('UpdateService');
    return this.ecsServices.updateService(input);
  }

  async deleteService(input: DeleteServiceRequest): Promise<DeleteServiceResponse> {
    this.serviceCall('DeleteService');
    return this.ecsServices.deleteService(input);
  }

  async createTaskSet(input: CreateTaskSetRequest): Promise<CreateTaskSetResponse> {
    this.serviceCall('CreateTaskSet');
    return this.ecsServices.createTaskSet(input);
  }

  async describeTaskSets(input: DescribeTaskSetsRequest): Promise<DescribeTaskSetsResponse> {
    this.serviceCall('DescribeTaskSets');
    return this.ecsServices.describeTaskSets(input);
  }

  async updateTaskSet(input: UpdateTaskSetRequest): Promise<UpdateTaskSetResponse> {
    this.serviceCall('UpdateTaskSet');
    return this.ecsServices.updateTaskSet(input);
  }

  async updateServicePrimaryTaskSet(input: UpdateServicePrimaryTaskSetRequest): Promise<UpdateServicePrimaryTaskSetResponse> {
    this.serviceCall('UpdateServicePrimaryTaskSet');
    return this.ecsServices.updateServicePrimaryTaskSet(input);
  }

  async deleteTaskSet(input: DeleteTaskSetRequest): Promise<DeleteTaskSetResponse> {
    this.serviceCall('DeleteTaskSet');
    return this.ecsServices.deleteTaskSet(input);
  }

  // ── The Services port: the real adapter (`adapters/ecs-services.ts`) over the API above ───────────

  async ensureService(input: { cluster: string; name: string; desiredCount: number }): Promise<ClusterService> {
    return (await this.overApi()).ensureService(input);
  }

  async describeService(cluster: string, name: string): Promise<ClusterService | undefined> {
    return (await this.overApi()).describeService(cluster, name);
  }

  async setDesiredCount(cluster: string, name: string, desiredCount: number): Promise<ClusterService> {
    return (await this.overApi()).setDesiredCount(cluster, name, desiredCount);
  }

  async addTaskSet(input: AddTaskSetInput): Promise<ServiceTaskSet> {
    return (await this.overApi()).addTaskSet(input);
  }

  async scaleTaskSet(cluster: string, service: string, taskSet: string, scale: number): Promise<ServiceTaskSet> {
    return (await this.overApi()).scaleTaskSet(cluster, service, taskSet, scale);
  }

  async setPrimaryTaskSet(cluster: string, service: string, taskSet: string): Promise<ServiceTaskSet> {
    return (await this.overApi()).setPrimaryTaskSet(cluster, service, taskSet);
  }

  async removeTaskSet(cluster: string, service: string, taskSet: string, options?: { force?: boolean }): Promise<ServiceTaskSet> {
    return (await this.overApi()).removeTaskSet(cluster, service, taskSet, options);
  }

  async removeService(cluster: string, name: string, options?: { force?: boolean }): Promise<ClusterService> {
    return (await this.overApi()).removeService(cluster, name, options);
  }

  /**
   * The ECS adapter with a client that answers from this world: the port behaves here as it does
   * against ECS (same requests, same mapping). Loaded on first use (the AWS SDK is only needed then).
   */
  private overApi(): Promise<Services> {
    this.servicesPort ??= (async () => {
      const [sdk, { EcsServices }] = await Promise.all([import('@aws-sdk/client-ecs'), import('../../functions/adapters/ecs-services')]);
      const send = async (command: object): Promise<unknown> => {
        if (command instanceof sdk.CreateServiceCommand) return this.createService(command.input);
        if (command instanceof sdk.DescribeServicesCommand) return this.describeServices(command.input);
        if (command instanceof sdk.UpdateServiceCommand) return this.updateService(command.input);
        if (command instanceof sdk.DeleteServiceCommand) return this.deleteService(command.input);
        if (command instanceof sdk.CreateTaskSetCommand) return this.createTaskSet(command.input);
        if (command instanceof sdk.DescribeTaskSetsCommand) return this.describeTaskSets(command.input);
        if (command instanceof sdk.UpdateTaskSetCommand) return this.updateTaskSet(command.input);
        if (command instanceof sdk.UpdateServicePrimaryTaskSetCommand) return this.updateServicePrimaryTaskSet(command.input);
        if (command instanceof sdk.DeleteTaskSetCommand) return this.deleteTaskSet(command.input);
        throw new Error(`the simulated cluster does not answer ${command.constructor.name}`);
      };
      return new EcsServices({ send } as unknown as ECSClient);
    })();
    return this.servicesPort;
  }

  /** A service API call: fault injection, then one call of ECS's rate limits (a refused request still counts). */
  private serviceCall(action: 'CreateService' | 'DescribeServices' | 'UpdateService' | 'DeleteService' | 'CreateTaskSet' | 'DescribeTaskSets' | 'UpdateTaskSet' | 'UpdateServicePrimaryTaskSet' | 'DeleteTaskSet'): void {
    this.maybeThrottle();
    this.charge({ [action]: 1 });
  }

  /** The service scheduler places a task (StartTask's placement on one instance, not charged to the caller's limits). */
  private placeServiceTask(input: { cluster: string; taskDefinition: string; instanceId: string; startedBy: string; group: string }): TaskState | string {
    const definition = this.resolveTaskDefinition(input.taskDefinition);
    const result = this.placeTask(
      { cluster: input.cluster, taskDefinition: input.taskDefinition, containerInstances: [input.instanceId], startedBy: input.startedBy, group: input.group, tags: {} },
      input.cluster,
      definition,
      input.instanceId,
    );
    const placed = result.tasks[0];
    return placed ? this.findTask(placed.arn)! : (result.failures[0]?.reason ?? 'unknown');
  }

  /** The service scheduler stops a task (scale-in, failed health check, draining): like StopTask, `ServiceSchedulerInitiated`. */
  private stopForService(task: TaskState, reason: string): void {
    if (task.desiredStatus === 'STOPPED' || task.lastStatus === 'STOPPED') return;
    this.cancelTimers(task);
    const now = this.now();
    task.desiredStatus = 'STOPPED';
    task.stopCode = STOP_CODES.serviceSchedulerInitiated;
    task.stoppedReason = reason;
    task.stoppingAt = now;
    task.lastStatus = 'STOPPING';
    this.touchTask(task);
    this.scheduleTask(task, now + task.behaviour.stopSeconds * 1000, 'stopped');
  }

  // ── Snapshot ───────────────────────────────────────────────────────────────────────────────────

  /** The whole world as plain JSON (pending timers and undelivered events included). */
  toJSON(): WorldSnapshot {
    this.forgetOldTasks();
    return structuredClone({
      format: SNAPSHOT_FORMAT,
      formatVersion: 1 as const,
      now: this.now(),
      seed: this.seed,
      account: this.account,
      region: this.region,
      settings: this.settings,
      counters: this.counters,
      ...(this.seededRandom && this.random === this.seededRandom.next ? { randomState: this.seededRandom.state } : {}),
      throttleProbability: this.throttleProbability,
      ...(this.rateLimiter ? { rateLimitState: this.rateLimiter.toJSON() } : {}),
      clusters: [...this.clusters],
      taskDefinitions: Object.fromEntries(this.taskDefinitions),
      instances: [...this.instances.values()],
      tasks: [...this.tasks.values()],
      outbox: this.outbox,
      ...(this.ecsServices.isEmpty() ? {} : { ecsServices: this.ecsServices.toJSON() }),
    });
  }

  /**
   * A world from `toJSON()`'s output (validated). Pending timers are re-created on `clock`: give
   * it a clock at or after the snapshot's `now` (e.g. `new VirtualClock(snapshot.now)`); what fell
   * due in between runs at once, in its original order, and what follows from it is timed from
   * then (a task that turns RUNNING late turns HEALTHY `healthyAfterSeconds` after that).
   * Listeners are not part of the world: subscribe again. A custom throttle RNG is not kept
   * (the restored world throttles from its own PRNG at the saved probability).
   */
  static fromJSON(snapshot: unknown, options: RestoreOptions): SimulatedCluster {
    const parsed = worldSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`not a simulated-cluster snapshot: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const data = parsed.data;
    if (data.randomState === undefined && !options.random) {
      throw new Error('the snapshot was taken from a world with its own random(): pass one in RestoreOptions.random');
    }
    const world = new SimulatedCluster({
      clock: options.clock,
      seed: data.seed,
      account: data.account,
      region: data.region,
      agentVersion: data.settings.agentVersion,
      taskDefaults: data.settings.taskDefaults,
      instanceDefaults: data.settings.instanceDefaults,
      stoppedRetentionSeconds: data.settings.stoppedRetentionSeconds,
      eventDelayMs: data.settings.eventDelayMs,
      healthChangeEvents: data.settings.healthChangeEvents,
      startOnDraining: data.settings.startOnDraining,
      ...(data.settings.rateLimits !== undefined ? { rateLimits: data.settings.rateLimits } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    if (world.settings.rateLimits && data.rateLimitState) world.rateLimiter = new EcsRateLimiter(world.settings.rateLimits, options.clock, data.rateLimitState);
    if (!options.random && world.seededRandom) world.seededRandom.state = data.randomState!;
    world.throttleProbability = data.throttleProbability;
    world.counters = { ...data.counters };
    for (const cluster of data.clusters) world.clusters.add(cluster);
    for (const [key, behaviour] of Object.entries(data.taskDefinitions)) world.taskDefinitions.set(key, behaviour);
    for (const instance of [...data.instances].sort((a, b) => a.seq - b.seq)) world.instances.set(instance.id, instance);
    for (const task of [...data.tasks].sort((a, b) => a.seq - b.seq)) world.addTask(task);
    world.outbox = [...data.outbox];

    type Pending = { seq: number; at: number; run: () => void };
    const pending: Pending[] = [];
    for (const task of world.tasks.values()) {
      for (const timer of task.timers) pending.push({ seq: timer.seq, at: timer.at, run: () => world.armTaskTimer(task, timer.seq, timer.at, timer.kind) });
    }
    for (const entry of world.outbox) pending.push({ seq: entry.seq, at: entry.at, run: () => world.armDelivery(entry) });
    pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const item of pending) item.run();
    if (data.ecsServices) world.ecsServices.restore(data.ecsServices);
    return world;
  }

  // ── Task transitions ───────────────────────────────────────────────────────────────────────────

  private fireTaskTimer(task: TaskState, kind: TaskTimerKind): void {
    const now = this.now();
    switch (kind) {
      case 'running': {
        task.lastStatus = 'RUNNING';
        task.container.lastStatus = 'RUNNING';
        task.startedAt = now;
        this.touchTask(task);
        const behaviour = task.behaviour;
        if (behaviour.health !== 'none') this.scheduleTask(task, now + behaviour.healthyAfterSeconds * 1000, 'health');
        if (behaviour.crashAfterSeconds !== undefined) this.scheduleTask(task, now + behaviour.crashAfterSeconds * 1000, 'crash');
        return;
      }
      case 'failStart': {
        const reason = task.behaviour.failStart ?? 'Task failed to start';
        task.desiredStatus = 'STOPPED';
        task.stopCode = STOP_CODES.taskFailedToStart;
        task.stoppedReason = reason;
        task.container.reason = reason;
        task.stoppingAt = now;
        task.executionStoppedAt = now;
        this.finishStop(task, { releaseResources: true });
        return;
      }
      case 'health':
        this.changeHealth(task, task.behaviour.health === 'unhealthy' ? 'UNHEALTHY' : 'HEALTHY');
        return;
      case 'crash':
        this.cancelTimers(task);
        this.crash(task, task.behaviour.crashExitCode);
        return;
      case 'stopped':
        task.executionStoppedAt = now;
        if (task.container.lastStatus === 'RUNNING') task.container.exitCode = 0;
        this.finishStop(task, { releaseResources: true });
        return;
    }
  }

  private crash(task: TaskState, exitCode: number): void {
    const now = this.now();
    task.desiredStatus = 'STOPPED';
    task.stopCode = STOP_CODES.essentialContainerExited;
    task.stoppedReason = ESSENTIAL_CONTAINER_EXITED_REASON;
    task.container.exitCode = exitCode;
    task.stoppingAt = now;
    task.executionStoppedAt = now;
    this.finishStop(task, { releaseResources: true });
  }

  /** lastStatus STOPPED (one event), then the instance gets its resources back (one event). */
  private finishStop(task: TaskState, options: { releaseResources: boolean }): void {
    const now = this.now();
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    task.container.lastStatus = 'STOPPED';
    task.stoppedAt = now;
    this.touchTask(task);
    if (!options.releaseResources) return;
    const instance = this.instances.get(task.instanceId);
    if (instance && instance.status !== 'INACTIVE') {
      instance.remaining = {
        cpu: Math.min(instance.registered.cpu, instance.remaining.cpu + task.behaviour.cpu),
        memory: Math.min(instance.registered.memory, instance.remaining.memory + task.behaviour.memory),
      };
      this.touchInstance(instance);
    }
  }

  private changeHealth(task: TaskState, health: TaskHealthStatus): void {
    if (task.healthStatus === health) return;
    task.healthStatus = health;
    task.container.healthStatus = health;
    task.version++;
    task.updatedAt = this.now();
    if (this.settings.healthChangeEvents) this.emitTask(task);
    else this.observeTask(task);
  }

  private touchTask(task: TaskState): void {
    task.version++;
    task.updatedAt = this.now();
    this.emitTask(task);
  }

  private touchInstance(instance: InstanceState): void {
    instance.version++;
    instance.updatedAt = this.now();
    this.emitInstance(instance);
  }

  private setInstanceStatus(idOrArn: string, status: 'ACTIVE' | 'DRAINING'): ContainerInstance {
    const instance = this.requireInstance(idOrArn);
    if (instance.status === 'INACTIVE') throw invalidParameterException('The container instance is not active: it cannot change status.');
    if (instance.status !== status) {
      instance.status = status;
      this.touchInstance(instance);
    }
    return this.toContainerInstance(instance);
  }

  // ── Timers ─────────────────────────────────────────────────────────────────────────────────────

  private scheduleTask(task: TaskState, at: number, kind: TaskTimerKind): void {
    const seq = ++this.counters.timer;
    task.timers.push({ seq, at, kind });
    this.armTaskTimer(task, seq, at, kind);
  }

  private armTaskTimer(task: TaskState, seq: number, at: number, kind: TaskTimerKind): void {
    const handle = this.clock.schedule(at, () => {
      this.handles.delete(seq);
      task.timers = task.timers.filter((timer) => timer.seq !== seq);
      this.fireTaskTimer(task, kind);
    });
    this.handles.set(seq, handle);
  }

  /** Cancels the task's pending timers (of one kind, or all). */
  private cancelTimers(task: TaskState, kind?: TaskTimerKind): void {
    task.timers = task.timers.filter((timer) => {
      if (kind !== undefined && timer.kind !== kind) return true;
      this.handles.get(timer.seq)?.cancel();
      this.handles.delete(timer.seq);
      return false;
    });
  }

  // ── Event emission ─────────────────────────────────────────────────────────────────────────────

  private emitTask(task: TaskState): void {
    this.enqueue(this.taskEvent(task));
    this.observeTask(task);
  }

  private observeTask(task: TaskState): void {
    if (this.taskObservers.size > 0) {
      const seen = this.toClusterTask(task);
      for (const observer of [...this.taskObservers]) observer(seen);
    }
    this.ecsServices.taskChanged(task);
  }

  private emitInstance(instance: InstanceState): void {
    this.enqueue(this.instanceEvent(instance));
    this.ecsServices.instanceChanged();
  }

  private enqueue(event: SimulatedEcsEvent): void {
    const entry: OutboxEntry = { seq: ++this.counters.timer, at: this.now() + this.settings.eventDelayMs, event };
    this.outbox.push(entry);
    this.armDelivery(entry);
  }

  private armDelivery(entry: OutboxEntry): void {
    const handle = this.clock.schedule(entry.at, () => {
      this.handles.delete(entry.seq);
      this.outbox = this.outbox.filter((other) => other !== entry);
      let failure: unknown;
      for (const listener of [...this.listeners]) {
        try {
          listener(entry.event);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    });
    this.handles.set(entry.seq, handle);
  }

  private envelope<DetailType extends string>(detailType: DetailType, resource: string) {
    const n = ++this.counters.event;
    return {
      version: '0' as const,
      id: uuidLike(this.seed, 5, n),
      'detail-type': detailType,
      source: 'aws.ecs' as const,
      account: this.account,
      time: eventTime(this.now()),
      region: this.region,
      resources: [resource],
    };
  }

  private taskEvent(task: TaskState): EcsTaskStateChangeEvent {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const detail: EcsTaskStateChangeEvent['detail'] = {
      attachments: [],
      attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
      availabilityZone: task.availabilityZone,
      clusterArn: this.clusterArn(task.cluster),
      connectivity: 'CONNECTED',
      connectivityAt: iso(task.createdAt)!,
      containerInstanceArn: task.containerInstanceArn,
      containers: [
        omitUndefined({
          containerArn: task.container.arn,
          name: task.container.name,
          taskArn: task.arn,
          lastStatus: task.container.lastStatus,
          exitCode: task.container.exitCode,
          reason: task.container.reason,
          healthStatus: task.container.healthStatus,
          cpu: '0',
          networkBindings: [],
          networkInterfaces: [],
        }),
      ],
      cpu: String(task.behaviour.cpu),
      createdAt: iso(task.createdAt)!,
      desiredStatus: task.desiredStatus,
      enableExecuteCommand: false,
      executionStoppedAt: iso(task.executionStoppedAt),
      group: task.group,
      healthStatus: task.healthStatus,
      launchType: 'EC2',
      lastStatus: task.lastStatus,
      memory: String(task.behaviour.memory),
      overrides: { containerOverrides: [{ name: task.container.name }] },
      startedAt: iso(task.startedAt),
      startedBy: task.startedBy,
      stopCode: task.stopCode,
      stoppedAt: iso(task.stoppedAt),
      stoppedReason: task.stoppedReason,
      stoppingAt: iso(task.stoppingAt),
      taskArn: task.arn,
      taskDefinitionArn: task.taskDefinitionArn,
      updatedAt: iso(task.updatedAt)!,
      version: task.version,
    };
    return { ...this.envelope(TASK_STATE_CHANGE, task.arn), detail: omitUndefined(detail) };
  }

  private instanceEvent(instance: InstanceState): EcsContainerInstanceStateChangeEvent {
    const resources = (amounts: { cpu: number; memory: number }): EcsResource[] => [
      { name: 'CPU', type: 'INTEGER', integerValue: amounts.cpu, doubleValue: 0, longValue: 0 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: amounts.memory, doubleValue: 0, longValue: 0 },
      { name: 'PORTS', type: 'STRINGSET', integerValue: 0, doubleValue: 0, longValue: 0, stringSetValue: [...PORTS] },
      { name: 'PORTS_UDP', type: 'STRINGSET', integerValue: 0, doubleValue: 0, longValue: 0, stringSetValue: [] },
    ];
    const counts = this.taskCounts(instance);
    const detail: EcsContainerInstanceStateChangeEvent['detail'] = {
      agentConnected: instance.agentConnected,
      attributes: Object.entries(instance.attributes).map(([name, value]) => (value === null ? { name } : { name, value })),
      clusterArn: this.clusterArn(instance.cluster),
      containerInstanceArn: instance.arn,
      ec2InstanceId: instance.ec2InstanceId,
      pendingTasksCount: counts.pending,
      registeredAt: new Date(instance.registeredAt).toISOString(),
      registeredResources: resources(instance.registered),
      remainingResources: resources(instance.remaining),
      runningTasksCount: counts.running,
      status: instance.status,
      updatedAt: new Date(instance.updatedAt).toISOString(),
      version: instance.version,
      versionInfo: { agentHash: AGENT_HASH, agentVersion: instance.agentVersion, dockerVersion: DOCKER_VERSION },
    };
    return { ...this.envelope(CONTAINER_INSTANCE_STATE_CHANGE, instance.arn), detail };
  }

  // ── Lookups and conversions ────────────────────────────────────────────────────────────────────

  private now(): number {
    return this.clock.now();
  }

  private maybeThrottle(): void {
    if (this.throttleProbability > 0 && this.throttleRandom() < this.throttleProbability) {
      throw throttlingException(uuidLike(this.seed, 6, ++this.counters.request));
    }
  }

  /** Takes the ECS calls from the rate-limit buckets, or throws ECS's ThrottlingException. */
  private charge(calls: EcsCalls): void {
    if (this.rateLimiter && !this.rateLimiter.charge(calls)) {
      throw throttlingException(uuidLike(this.seed, 6, ++this.counters.request));
    }
  }

  private clusterArn(name: string): string {
    return `arn:aws:ecs:${this.region}:${this.account}:cluster/${name}`;
  }

  /** A cluster name from a name or an ARN. */
  private clusterName(cluster: string): string {
    const match = /^arn:aws[a-z-]*:ecs:[^:]*:[^:]*:cluster\/(.+)$/.exec(cluster);
    return match ? match[1]! : cluster;
  }

  private requireCluster(cluster: string): string {
    const name = this.clusterName(cluster);
    if (!this.clusters.has(name)) throw clusterNotFoundException();
    return name;
  }

  /** `family:revision`, full ARN, or `family` (its highest configured revision, else 1). */
  private resolveTaskDefinition(taskDefinition: string): { key: string; family: string } {
    const fromArn = /^arn:aws[a-z-]*:ecs:[^:]*:[^:]*:task-definition\/(.+)$/.exec(taskDefinition);
    const text = fromArn ? fromArn[1]! : taskDefinition;
    const match = /^([A-Za-z0-9_-]{1,255})(?::([1-9][0-9]*))?$/.exec(text);
    if (!match) throw clientException(`Unable to describe task definition "${taskDefinition}".`);
    const family = match[1]!;
    let revision = match[2];
    if (revision === undefined) {
      const revisions = [...this.taskDefinitions.keys()]
        .filter((key) => key.startsWith(`${family}:`))
        .map((key) => Number(key.slice(family.length + 1)));
      revision = String(revisions.length > 0 ? Math.max(...revisions) : 1);
    }
    return { key: `${family}:${revision}`, family };
  }

  private findInstance(idOrArn: string): InstanceState | undefined {
    const id = idOrArn.includes('/') ? idOrArn.slice(idOrArn.lastIndexOf('/') + 1) : idOrArn;
    const byId = this.instances.get(id);
    if (byId) return byId;
    const cached = this.instancesByEc2Id.get(idOrArn);
    if (cached && this.instances.get(cached.id) === cached) return cached;
    this.instancesByEc2Id.clear();
    for (const instance of this.instances.values()) this.instancesByEc2Id.set(instance.ec2InstanceId, instance);
    return this.instancesByEc2Id.get(idOrArn);
  }

  private requireInstance(idOrArn: string): InstanceState {
    const instance = this.findInstance(idOrArn);
    if (!instance) throw invalidParameterException(`The referenced container instance ${idOrArn} was not found.`);
    return instance;
  }

  private findTask(arnOrId: string): TaskState | undefined {
    const id = arnOrId.includes('/') ? arnOrId.slice(arnOrId.lastIndexOf('/') + 1) : arnOrId;
    return this.tasks.get(id);
  }

  private requireTask(arnOrId: string): TaskState {
    const task = this.findTask(arnOrId);
    if (!task) throw invalidParameterException('The referenced task was not found.');
    return task;
  }

  private addTask(task: TaskState): void {
    this.tasks.set(task.id, task);
    let placed = this.tasksByInstance.get(task.instanceId);
    if (!placed) this.tasksByInstance.set(task.instanceId, (placed = new Map()));
    placed.set(task.id, task);
    if (task.startedBy !== undefined) {
      let started = this.tasksByStartedBy.get(task.startedBy);
      if (!started) this.tasksByStartedBy.set(task.startedBy, (started = new Map()));
      started.set(task.id, task);
    }
  }

  private tasksOn(instance: InstanceState): TaskState[] {
    return [...(this.tasksByInstance.get(instance.id)?.values() ?? [])];
  }

  /** ECS: runningTasksCount counts tasks whose *desired* status is RUNNING; pendingTasksCount those PENDING. */
  private taskCounts(instance: InstanceState): { running: number; pending: number } {
    let running = 0;
    let pending = 0;
    for (const task of this.tasksByInstance.get(instance.id)?.values() ?? []) {
      if (task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED') running++;
      if (task.lastStatus === 'PENDING') pending++;
    }
    return { running, pending };
  }

  /** Drops stopped tasks past the retention (ECS stops describing them). */
  private forgetOldTasks(): void {
    const horizon = this.now() - this.settings.stoppedRetentionSeconds * 1000;
    for (const [id, task] of this.tasks) {
      if (task.lastStatus === 'STOPPED' && task.stoppedAt !== undefined && task.stoppedAt < horizon) {
        this.tasks.delete(id);
        this.tasksByInstance.get(task.instanceId)?.delete(id);
        if (task.startedBy !== undefined) this.tasksByStartedBy.get(task.startedBy)?.delete(id);
      }
    }
  }

  private parseFilter(filter: string): QueryAst | null {
    const cached = this.filterCache.get(filter);
    if (cached !== undefined || this.filterCache.has(filter)) return cached ?? null;
    const parsed = parseQuery(filter);
    if (!parsed.ok) throw invalidParameterException(`Invalid filter: ${formatQueryError(filter, parsed.error)}`);
    if (this.filterCache.size > 1000) this.filterCache.clear();
    this.filterCache.set(filter, parsed.ast);
    return parsed.ast;
  }

  private facts(instance: InstanceState): InstanceFacts {
    const attributes: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(instance.attributes)) attributes[name] = value ?? undefined;
    const taskGroups = new Set<string>();
    for (const task of this.tasksByInstance.get(instance.id)?.values() ?? []) {
      if (task.lastStatus !== 'STOPPED') taskGroups.add(task.group);
    }
    return {
      attributes,
      agentConnected: instance.agentConnected,
      agentVersion: instance.agentVersion,
      ec2InstanceId: instance.ec2InstanceId,
      registeredAt: new Date(instance.registeredAt).toISOString(),
      runningTasksCount: this.taskCounts(instance).running,
      taskGroups: [...taskGroups],
    };
  }

  private toContainerInstance(instance: InstanceState): ContainerInstance {
    const attributes: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(instance.attributes)) attributes[name] = value ?? undefined;
    const counts = this.taskCounts(instance);
    return {
      arn: instance.arn,
      ec2InstanceId: instance.ec2InstanceId,
      status: instance.status,
      agentConnected: instance.agentConnected,
      agentVersion: instance.agentVersion,
      attributes,
      registeredAt: new Date(instance.registeredAt).toISOString(),
      registered: { ...instance.registered },
      remaining: { ...instance.remaining },
      runningTasksCount: counts.running,
      pendingTasksCount: counts.pending,
    };
  }

  private toClusterTask(task: TaskState): ClusterTask {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return omitUndefined({
      arn: task.arn,
      clusterArn: this.clusterArn(task.cluster),
      containerInstanceArn: task.containerInstanceArn,
      taskDefinitionArn: task.taskDefinitionArn,
      startedBy: task.startedBy,
      group: task.group,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      healthStatus: task.healthStatus,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      createdAt: iso(task.createdAt)!,
      startedAt: iso(task.startedAt),
      stoppedAt: iso(task.stoppedAt),
      version: task.version,
      tags: { ...task.tags },
      hostPort: task.lastStatus === 'STOPPED' ? undefined : this.loadBalancing?.hostPort(task.arn),
    });
  }
}

/**
 * A page of at most ECS_LIST_PAGE_SIZE from `all` after the item whose key is `nextToken` (a token
 * whose item is gone starts from the beginning: a listing may repeat or miss what changed meanwhile,
 * as ECS's may).
 */
function simPage<T>(all: T[], nextToken: string | undefined, key: (item: T) => string): { items: T[]; nextToken?: string } {
  const start = nextToken === undefined ? 0 : all.findIndex((item) => key(item) === nextToken) + 1;
  const items = all.slice(start, start + ECS_LIST_PAGE_SIZE);
  return start + ECS_LIST_PAGE_SIZE < all.length ? { items, nextToken: key(items.at(-1)!) } : { items };
}

/** A copy without the keys whose value is undefined (AWS omits absent fields). */
function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
