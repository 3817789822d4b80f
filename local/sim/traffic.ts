/**
 * What the simulated tasks serve: the host port each task listens on, how it answers (its task
 * definition's error rate), and the request and error counts its family reports to CloudWatch.
 * It is told about tasks by the simulated ECS cluster (`taskChanged`, fed by `world.onTaskChange`
 * in `kernel.ts`) and answers the load balancer's probes (`TargetEndpoints` of `elbv2.ts`).
 *
 * - Ports: a task gets a dynamic host port when it is placed (ECS's bridge networking with host port
 *   0: the lowest free port of the instance's ephemeral range, 32768–60999), freed when it STOPPED.
 * - Answers: a RUNNING task serves, answering a request with a 5xx at its task definition's
 *   `errorRate`; a RUNNING task whose health is UNHEALTHY is broken and answers 500 to everything
 *   (health checks included); a task that is not RUNNING (PENDING, STOPPING, STOPPED) refuses
 *   connections.
 * - Behaviour per task definition, `family:revision` or `family` (the revision's own entry wins, as
 *   in the world file's `taskDefinitions`): `errorRate` (0–1, default 0) and `requestsPerSecond`
 *   (what a task is sent when nothing routes to it by load balancer — daemons; default 10).
 *   `configure` applies at once, to running tasks too (`blox sim` "serve errors at a chosen rate").
 * - Metrics: once a minute, per task family that had a RUNNING task in that minute, the app's own
 *   counters through CloudWatch's PutMetricData (one call for all families, as an agent would):
 *   namespace `Blox/Sim`, dimension `TaskDefinitionFamily`, `Requests` (requestsPerSecond × the
 *   seconds each task was RUNNING) and `Errors` (requests × error rate; all of them while UNHEALTHY),
 *   whole numbers, the fraction carried to the next minute, published even when zero. This is the
 *   metric of the alarm `daemon-errors` (errors of family `log-daemon`) in the default world.
 *   A load-balanced task's requests are counted by the load balancer (`AWS/ApplicationELB`), which
 *   sends it its own share; these per-family counters assume the daemon's constant rate.
 */
import type { SimClock } from './clock';
import type { EndpointAnswer, TargetEndpoints } from './elbv2';
import { DYNAMIC_HOST_PORTS } from './elbv2';

export const SIM_METRICS_NAMESPACE = 'Blox/Sim';

export interface TaskTraffic {
  /** The share of requests answered with a 5xx, 0–1. */
  errorRate: number;
  /** Requests a second a task receives outside a load balancer. */
  requestsPerSecond: number;
}

export const DEFAULT_TASK_TRAFFIC: Readonly<TaskTraffic> = Object.freeze({ errorRate: 0, requestsPerSecond: 10 });

/** What the cluster says about a task. */
export interface TaskSighting {
  taskArn: string;
  cluster: string;
  /** `family:revision`. */
  taskDefinition: string;
  /** The EC2 instance id of its container instance. */
  instanceId: string;
  lastStatus: string;
  desiredStatus: string;
  healthStatus: string;
}

/** A task the traffic model knows: where it listens. */
export interface TaskEndpoint {
  taskArn: string;
  cluster: string;
  taskDefinition: string;
  family: string;
  instanceId: string;
  port: number;
}

/** The part of CloudWatch's API the tasks' metrics go through. */
export interface MetricDataClient {
  putMetricData(input: {
    Namespace: string;
    MetricData: Array<{ MetricName: string; Dimensions: Array<{ Name: string; Value: string }>; Timestamp: Date; Value: number; Unit: 'Count' }>;
  }): Promise<unknown>;
}

interface TaskRecord extends TaskEndpoint {
  sighting: TaskSighting;
  /** What the task adds to its family's rates now. */
  rps: number;
  errorRps: number;
  running: boolean;
  announcedRunning: boolean;
  announcedStopping: boolean;
}

interface FamilyCounters {
  at: number;
  rps: number;
  errorRps: number;
  runningTasks: number;
  requests: number;
  errors: number;
  /** A task of the family was RUNNING during the minute being counted. */
  active: boolean;
}

export type TaskLifecycleListener = (task: TaskEndpoint, change: 'running' | 'stopping') => void;

export interface SimulatedTrafficOptions {
  clock: SimClock;
  /** Where the families' counters go (CloudWatch); without it, none are published. */
  metrics?: MetricDataClient;
  /** Behaviour per `family:revision` or `family`. */
  taskDefinitions?: Record<string, Partial<TaskTraffic>>;
  defaults?: Partial<TaskTraffic>;
}

export class SimulatedTraffic implements TargetEndpoints {
  private readonly clock: SimClock;
  private readonly metrics: MetricDataClient | undefined;
  private readonly defaults: TaskTraffic;
  private readonly behaviours = new Map<string, Partial<TaskTraffic>>();
  private readonly tasks = new Map<string, TaskRecord>();
  /** instance id → port → task ARN. */
  private readonly ports = new Map<string, Map<number, string>>();
  private readonly families = new Map<string, FamilyCounters>();
  private readonly willChange = new Set<(instanceId: string, port: number) => void>();
  private readonly lifecycle = new Set<TaskLifecycleListener>();
  /** PutMetricData calls the service refused (e.g. throttled): the app drops them, as one without retries would. */
  failedMetricCalls = 0;

  constructor(options: SimulatedTrafficOptions) {
    this.clock = options.clock;
    this.metrics = options.metrics;
    this.defaults = { ...DEFAULT_TASK_TRAFFIC, ...options.defaults };
    validateTraffic('defaults', this.defaults);
    for (const [key, traffic] of Object.entries(options.taskDefinitions ?? {})) this.configure(key, traffic);
  }

  /** Sets (merges) how a task definition's tasks answer: `family:revision` or `family`. Applies now, to running tasks too. */
  configure(taskDefinition: string, traffic: Partial<TaskTraffic>): void {
    validateTraffic(`taskDefinitions.${taskDefinition}`, traffic);
    for (const task of this.tasks.values()) this.announceWillChange(task);
    for (const family of this.families.values()) this.accrue(family);
    this.behaviours.set(taskDefinition, { ...this.behaviours.get(taskDefinition), ...traffic });
    for (const task of this.tasks.values()) this.recount(task);
  }

  /** How tasks of `family:revision` answer now. */
  trafficOf(taskDefinition: string): TaskTraffic {
    const family = familyOf(taskDefinition);
    return { ...this.defaults, ...this.behaviours.get(family), ...this.behaviours.get(taskDefinition) };
  }

  /** Calls `listener` when a task first turns RUNNING, and when it starts stopping (for registrations made on ECS's behalf). */
  onTaskLifecycle(listener: TaskLifecycleListener): () => void {
    this.lifecycle.add(listener);
    return () => this.lifecycle.delete(listener);
  }

  /** The cluster's news about a task (placed, or its status or health changed). */
  taskChanged(sighting: TaskSighting): void {
    let task = this.tasks.get(sighting.taskArn);
    if (!task) {
      if (sighting.lastStatus === 'STOPPED') return;
      const port = this.allocatePort(sighting.instanceId, sighting.taskArn);
      task = {
        taskArn: sighting.taskArn,
        cluster: sighting.cluster,
        taskDefinition: sighting.taskDefinition,
        family: familyOf(sighting.taskDefinition),
        instanceId: sighting.instanceId,
        port,
        sighting,
        rps: 0,
        errorRps: 0,
        running: false,
        announcedRunning: false,
        announcedStopping: false,
      };
      this.tasks.set(task.taskArn, task);
    }
    this.announceWillChange(task);
    task.sighting = { ...sighting };
    this.recount(task);
    const endpoint = toEndpoint(task);
    if (!task.announcedRunning && sighting.lastStatus === 'RUNNING' && sighting.desiredStatus === 'RUNNING') {
      task.announcedRunning = true;
      for (const listener of [...this.lifecycle]) listener(endpoint, 'running');
    }
    if (task.announcedRunning && !task.announcedStopping && (sighting.desiredStatus === 'STOPPED' || sighting.lastStatus === 'STOPPED')) {
      task.announcedStopping = true;
      for (const listener of [...this.lifecycle]) listener(endpoint, 'stopping');
    }
    if (sighting.lastStatus === 'STOPPED') {
      this.ports.get(task.instanceId)?.delete(task.port);
      this.tasks.delete(task.taskArn);
    }
  }

  /** Where a task listens, while it is not STOPPED. */
  endpointOf(taskArn: string): TaskEndpoint | undefined {
    const task = this.tasks.get(taskArn);
    return task && toEndpoint(task);
  }

  /** Every task not STOPPED, in the order they were first seen. */
  endpoints(): TaskEndpoint[] {
    return [...this.tasks.values()].map(toEndpoint);
  }

  // ── TargetEndpoints ────────────────────────────────────────────────────────────────────────────

  probe(instanceId: string, port: number): EndpointAnswer {
    const arn = this.ports.get(instanceId)?.get(port);
    const task = arn === undefined ? undefined : this.tasks.get(arn);
    if (!task) return { kind: 'refused' };
    if (task.sighting.lastStatus !== 'RUNNING') return { kind: 'refused', taskDefinition: task.taskDefinition };
    if (task.sighting.healthStatus === 'UNHEALTHY') return { kind: 'error', statusCode: 500, taskDefinition: task.taskDefinition };
    return { kind: 'serving', errorRate: this.trafficOf(task.taskDefinition).errorRate, taskDefinition: task.taskDefinition };
  }

  onWillChange(listener: (instanceId: string, port: number) => void): () => void {
    this.willChange.add(listener);
    return () => this.willChange.delete(listener);
  }

  // ── Metrics (called once a minute by CloudWatch) ───────────────────────────────────────────────

  produceMetrics(startMs: number, _endMs: number): void {
    const timestamp = new Date(startMs);
    const data: Parameters<MetricDataClient['putMetricData']>[0]['MetricData'] = [];
    for (const [family, counters] of this.families) {
      this.accrue(counters);
      if (!counters.active) {
        if (counters.runningTasks === 0) this.families.delete(family);
        continue;
      }
      const requests = Math.floor(counters.requests + 1e-9);
      const errors = Math.floor(counters.errors + 1e-9);
      counters.requests = Math.max(0, counters.requests - requests);
      counters.errors = Math.max(0, counters.errors - errors);
      counters.active = counters.runningTasks > 0;
      const dimensions = [{ Name: 'TaskDefinitionFamily', Value: family }];
      data.push({ MetricName: 'Requests', Dimensions: dimensions, Timestamp: timestamp, Value: requests, Unit: 'Count' });
      data.push({ MetricName: 'Errors', Dimensions: dimensions, Timestamp: timestamp, Value: errors, Unit: 'Count' });
    }
    if (!this.metrics) return;
    for (let i = 0; i < data.length; i += 1000) {
      this.metrics.putMetricData({ Namespace: SIM_METRICS_NAMESPACE, MetricData: data.slice(i, i + 1000) }).catch(() => {
        this.failedMetricCalls++;
      });
    }
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────────────

  private allocatePort(instanceId: string, taskArn: string): number {
    let used = this.ports.get(instanceId);
    if (!used) this.ports.set(instanceId, (used = new Map()));
    for (let port = DYNAMIC_HOST_PORTS.first; port <= DYNAMIC_HOST_PORTS.last; port++) {
      if (!used.has(port)) {
        used.set(port, taskArn);
        return port;
      }
    }
    throw new RangeError(`instance ${instanceId}: no free host port left in ${DYNAMIC_HOST_PORTS.first}-${DYNAMIC_HOST_PORTS.last}`);
  }

  private announceWillChange(task: TaskRecord): void {
    for (const listener of [...this.willChange]) listener(task.instanceId, task.port);
  }

  /** Brings the task's share of its family's rates up to date (after accruing the family until now). */
  private recount(task: TaskRecord): void {
    let family = this.families.get(task.family);
    if (!family) {
      family = { at: this.clock.now(), rps: 0, errorRps: 0, runningTasks: 0, requests: 0, errors: 0, active: false };
      this.families.set(task.family, family);
    }
    this.accrue(family);
    family.rps -= task.rps;
    family.errorRps -= task.errorRps;
    if (task.running) family.runningTasks--;
    const running = task.sighting.lastStatus === 'RUNNING';
    const traffic = this.trafficOf(task.taskDefinition);
    task.running = running;
    task.rps = running ? traffic.requestsPerSecond : 0;
    task.errorRps = running ? traffic.requestsPerSecond * (task.sighting.healthStatus === 'UNHEALTHY' ? 1 : traffic.errorRate) : 0;
    family.rps += task.rps;
    family.errorRps += task.errorRps;
    if (running) {
      family.runningTasks++;
      family.active = true;
    }
  }

  private accrue(family: FamilyCounters): void {
    const now = this.clock.now();
    const seconds = (now - family.at) / 1000;
    family.at = now;
    if (seconds <= 0) return;
    family.requests += family.rps * seconds;
    family.errors += family.errorRps * seconds;
  }
}

function familyOf(taskDefinition: string): string {
  const colon = taskDefinition.lastIndexOf(':');
  return colon < 0 ? taskDefinition : taskDefinition.slice(0, colon);
}

function toEndpoint(task: TaskRecord): TaskEndpoint {
  return { taskArn: task.taskArn, cluster: task.cluster, taskDefinition: task.taskDefinition, family: task.family, instanceId: task.instanceId, port: task.port };
}

function validateTraffic(where: string, traffic: Partial<TaskTraffic>): void {
  if (traffic.errorRate !== undefined && !(traffic.errorRate >= 0 && traffic.errorRate <= 1)) {
    throw new RangeError(`${where}.errorRate: expected a share of requests between 0 and 1, got ${traffic.errorRate}`);
  }
  if (traffic.requestsPerSecond !== undefined && !(traffic.requestsPerSecond >= 0 && Number.isFinite(traffic.requestsPerSecond))) {
    throw new RangeError(`${where}.requestsPerSecond: expected a number >= 0, got ${traffic.requestsPerSecond}`);
  }
}
