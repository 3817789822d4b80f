/**
 * The deterministic engine harness: the simulated cluster and the engine wired as in AWS
 * (`local/wiring.ts`: the router, reconciler and executor Lambda handlers on the in-process SQS FIFO
 * queues, Lambda's concurrency, a latency model for EventBridge, SQS and Lambda), on a virtual clock.
 * The same handler code as the Lambda functions; only the adapters differ (in-memory log, simulated
 * ECS).
 *
 *   world event ──(EventBridge + Lambda)──► router ──► reconcile queue (FIFO per environment) ──► reconciler
 *   tick every `tickMs` ──► router                         ──► action queue (FIFO) ──(SQS + Lambda)──► executor
 *
 * `planner: 'direct'` reproduces the engine before the reconcile queue (every event reconciles at
 * once, concurrently): with it, `counts.lostRaces / counts.appends` shows what the queue saves.
 *
 * Faults for reliability tests, counted in `faults` (a test can check they fired): every ECS event
 * and every action message delivered twice and reordered (`duplicateAndReorder`), the executor dying
 * between its ECS call and what follows (`crashExecutorAfterEcs`), ECS throttling (`world.throttle(p)`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { EnvironmentCommand, EnvironmentState } from '../domain/environment';
import type { PlannerAction } from '../domain/rollout';
import type { PutEventsEntry } from '../events/notifications';
import type { ReconcileRequest } from '../functions/adapters/sqs-reconcile-queue';
import { runCommand } from '../functions/commands';
import { announce } from '../functions/engine/engine';
import type { Cluster, EventLog, Hooks, ListenerRules, ObservationStore, Services, WeightedRecords } from '../functions/ports';
import { BudgetedCluster } from '../functions/adapters/budgeted-cluster';
import { BudgetedServices } from '../functions/adapters/budgeted-services';
import { ACCOUNT_BUDGET, InMemoryEcsBudget } from '../functions/adapters/ecs-budget';
import type { EcsCalls } from '../functions/ecs-budget-port';
import { ECS_CALLS } from '../functions/ecs-budget-port';
import { ConcurrencyError } from '../functions/ports';
import { MemoryEventLog } from './memory-event-log';
import { MemoryObservationStore } from './memory-observation-store';
import { CachedObservationStore } from '../functions/adapters/observation-store';
import type { InProcessActionQueue, InProcessFifoQueue } from './queue';
import { CloudWatchAlarms } from '../functions/adapters/cloudwatch-alarms';
import { Elbv2TargetHealth } from '../functions/adapters/elbv2-target-health';
import { Elbv2ListenerRules } from '../functions/adapters/elbv2-listener-rules';
import { LambdaHooks } from '../functions/adapters/lambda-hooks';
import { Route53WeightedRecords } from '../functions/adapters/route53-records';
import type { SimServicesDescription, SimulatedClusterOptions, SimulatedEcsEvent, SimulatedServices } from './sim';
import { createSimulatedServices, DEFAULT_SIM_SERVICES, loadBalancingOf, SimulatedCluster, VirtualClock, mulberry32 } from './sim';
import type { EngineWiring, EngineWiringOptions, FaultCounts, LatencyModel, PlannerMode, ReconcilerStats } from './wiring';
import type { EngineFunctionDeps } from '../functions/engine/deps';
import { AWS_LATENCY, Invocations, wireEngine } from './wiring';

export type { LatencyModel, PlannerMode } from './wiring';
export { AWS_LATENCY } from './wiring';

export interface HarnessOptions {
  seed?: number;
  latency?: Partial<LatencyModel>;
  /** The scheduled tick. Default 60 s (EventBridge `rate(1 minute)`). */
  tickMs?: number;
  world?: Omit<SimulatedClusterOptions, 'clock' | 'seed'>;
  /** 'fifo' (default): as deployed, through the reconcile queue. 'direct': every event reconciles at once. */
  planner?: PlannerMode;
  /** Deliver every ECS event and every action twice, with random extra delays (reordering). */
  duplicateAndReorder?: boolean;
  /** ECS events EventBridge never delivers: those this picks (counted in `faults.droppedEvents`). */
  dropEvent?: EngineWiringOptions['dropEvent'];
  /** The executor dies after its ECS call, for the actions this picks (once per action and task). */
  crashExecutorAfterEcs?: (action: { key: string; type: PlannerAction['type'] }) => boolean;
  /** Every ECS call taken from one shared budget below ECS's limits, as deployed (default true). */
  budget?: boolean;
  /** The revision log (default: the in-memory log, which refuses what DynamoDB refuses). */
  eventLog?: EventLog;
  /** Where the engine keeps its picture of the cluster (default: the in-memory twin, which refuses what DynamoDB refuses). */
  observations?: ObservationStore;
  /**
   * The simulated ELBv2, CloudWatch and traffic next to the cluster (`createSimulatedServices`), with
   * service tasks registered in their task set's target group: `true` for the default world's
   * (`DEFAULT_SIM_SERVICES`: target group `web`, …), or a description. Default: none. Their alarm events reach the router as EventBridge delivers them, and the engine
   * reads DescribeAlarms.
   */
  services?: boolean | SimServicesDescription;
  /** Alarm events EventBridge never delivers: those this picks (counted in `faults.droppedAlarmEvents`). */
  dropAlarmEvent?: (event: { detail: { alarmName: string; state: { value: string } } }) => boolean;
  /** Deliver every alarm event twice, the second time later (after the next ones: reordered). */
  duplicateAlarmEvents?: { delayMs: number };
}

export interface ApiCounts {
  ecs: Record<string, number>;
  loads: number;
  /** Append attempts, those that lost a race included. */
  appends: number;
  /** Appends refused with ConcurrencyError (another writer appended first; the engine retries them). */
  lostRaces: number;
  /** ECS calls the simulated ECS refused with ThrottlingException (its rate limits, or `throttle(p)`). */
  throttles: number;
}

export interface HarnessFaults extends FaultCounts {
  /** Executor calls to ECS after which the executor died. */
  crashesAfterEcs: number;
}

class CrashAfterEcs extends Error {
  override name = 'CrashAfterEcs';
}

/** A silent logger that keeps the errors the handlers log (what they caught and reported to SQS). */
class CapturingLogger extends Logger {
  constructor(private readonly sink: (error: unknown) => void) {
    super({ serviceName: 'blox-harness', logLevel: 'SILENT' });
  }

  override error(...args: Parameters<Logger['error']>): void {
    const [message, ...extra] = args;
    for (const item of extra) {
      if (item instanceof Error) this.sink(item);
      else if (item && typeof item === 'object' && 'error' in item) this.sink((item as { error: unknown }).error);
      else if (item && typeof item === 'object' && 'reason' in item) this.sink(new Error(`${String(message)}: ${String((item as { reason: unknown }).reason)}`));
    }
  }
}

/** A command without its time: the harness stamps it with the virtual clock. */
export type CommandInput = EnvironmentCommand extends infer C ? (C extends unknown ? Omit<C, 'at'> : never) : never;

export class Harness {
  readonly clock = new VirtualClock();
  readonly world: SimulatedCluster;
  /** The simulated load balancer and CloudWatch (with `services`). */
  readonly services: SimulatedServices | undefined;
  /** Alarm events dropped (`dropAlarmEvent`) and delivered twice (`duplicateAlarmEvents`). */
  readonly alarmFaults = { dropped: 0, duplicated: 0 };
  readonly eventLog: EventLog;
  readonly observations: ObservationStore;
  /** The action queue (SQS FIFO stand-in). */
  readonly queue: InProcessActionQueue;
  /** The reconcile queue (SQS FIFO stand-in; unused with `planner: 'direct'`). */
  readonly reconciles: InProcessFifoQueue<ReconcileRequest>;
  readonly notifications: PutEventsEntry[] = [];
  readonly counts: ApiCounts = { ecs: {}, loads: 0, appends: 0, lostRaces: 0, throttles: 0 };
  readonly errors: unknown[] = [];
  readonly faults: HarnessFaults;
  /** Reconciler invocations, and the most in flight at once for one environment. */
  readonly reconciler: ReconcilerStats;
  private readonly wiring: EngineWiring;
  private readonly random: () => number;
  private crashes = 0;
  /** Store calls not yet answered (see `tracked`). */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly options: HarnessOptions = {}) {
    this.eventLog = options.eventLog ?? new MemoryEventLog();
    this.observations = options.observations ?? new MemoryObservationStore();
    this.random = mulberry32((options.seed ?? 1) * 7919 + 17);
    this.world = new SimulatedCluster({ clock: this.clock, seed: options.seed ?? 1, ...options.world });
    if (options.services) {
      const description = options.services === true ? DEFAULT_SIM_SERVICES : options.services;
      this.services = createSimulatedServices({ world: this.world, clock: this.clock, description, seed: options.seed ?? 1 });
      this.world.useLoadBalancing(loadBalancingOf(this.services));
    }
    // As deployed: every ECS call is counted as ECS would count it, and taken from one budget shared
    // by every environment (ECS's limits are per account and Region: one key for the whole world).
    const counted = this.countingCluster(this.world);
    const budget = options.budget === false ? undefined : new InMemoryEcsBudget({ clock: this.clock });
    const cluster = budget ? new BudgetedCluster(counted, budget, { budgetKey: ACCOUNT_BUDGET }) : counted;
    // Only with crashes: AsyncLocalStorage puts a hook on every promise, which costs the harness dearly.
    const invocations = options.crashExecutorAfterEcs ? new Invocations() : undefined;
    const keep = (error: unknown) => {
      if (!(error instanceof CrashAfterEcs)) this.errors.push(error);
    };
    const services = this.services;
    // The router's inbound events: ECS's and, with the services, CloudWatch's alarm events.
    const inbound: Pick<SimulatedCluster, 'onEvent'> = services
      ? {
          onEvent: (listener) => {
            const fromWorld = this.world.onEvent(listener);
            const fromAlarms = services.cloudwatch.onEvent((event) => {
              if (options.dropAlarmEvent?.(event)) {
                this.alarmFaults.dropped++;
                return;
              }
              listener(event as unknown as SimulatedEcsEvent);
              const again = options.duplicateAlarmEvents;
              if (again) {
                this.alarmFaults.duplicated++;
                this.clock.schedule(this.clock.now() + again.delayMs, () => listener({ ...event, id: `${event.id}-again` } as unknown as SimulatedEcsEvent));
              }
            });
            return () => {
              fromWorld();
              fromAlarms();
            };
          },
        }
      : this.world;
    this.wiring = wireEngine({
      scheduler: this.clock,
      world: inbound,
      ...(services ? { alarms: new CloudWatchAlarms((input) => services.cloudwatch.describeAlarms(input)) } : {}),
      eventLog: this.tracked(this.countingLog(this.eventLog)),
      observations: new CachedObservationStore(this.tracked(this.observations)),
      cluster,
      ...(options.crashExecutorAfterEcs && invocations ? { executorCluster: this.crashingCluster(cluster, options.crashExecutorAfterEcs, invocations), invocations } : {}),
      taskDefinitions: { hasHealthCheck: async (td) => this.world.taskBehaviour(td).health !== 'none' },
      // Tracked like the stores: the world answers its Services port through the ECS adapter, loaded
      // on first use (a real import the virtual clock must wait for).
      services: budget ? new BudgetedServices(this.tracked<Services>(this.world), budget, { budgetKey: ACCOUNT_BUDGET }) : this.tracked<Services>(this.world),
      ...(this.services ? { targetHealth: new Elbv2TargetHealth(this.services.elbv2) } : {}),
      // ALB listener rules: the AWS adapter over the simulated ELBv2 (tracked, like Route 53 and hooks).
      ...(this.services ? { listenerRules: this.tracked<ListenerRules>(new Elbv2ListenerRules(this.services.elbv2)) } : {}),
      // Route 53 and hooks: the AWS adapters over the simulated services (tracked: each call is a promise the virtual clock waits for).
      ...(this.services ? { weightedRecords: this.tracked<WeightedRecords>(new Route53WeightedRecords(this.services.route53)), hooks: this.tracked<Hooks>(new LambdaHooks(this.services.lambda)) } : {}),
      notifier: { publish: async (entries) => void this.notifications.push(...entries) },
      logger: new CapturingLogger(keep),
      planner: options.planner ?? 'fifo',
      latency: { ...AWS_LATENCY, ...options.latency },
      tickMs: options.tickMs ?? 60_000,
      // The harness runs much faster than AWS: 30 s (not serverless.yml's 180 s) before an action
      // left by a dead executor comes back; a failed reconcile request comes back after its back-off.
      actionQueue: { visibilityTimeoutMs: 30_000, maxReceiveCount: 1000 },
      reconcileQueue: { visibilityTimeoutMs: 360_000, maxReceiveCount: 1000 },
      duplicateAndReorder: options.duplicateAndReorder ?? false,
      ...(options.dropEvent ? { dropEvent: options.dropEvent } : {}),
      random: this.random,
      onInvocationError: keep,
    });
    this.queue = this.wiring.actions;
    this.reconciles = this.wiring.reconciles;
    this.reconciler = this.wiring.reconciler;
    const crashes = () => this.crashes;
    this.faults = Object.defineProperty(this.wiring.faults, 'crashesAfterEcs', { get: crashes, enumerable: true }) as HarnessFaults;
  }

  /** Counts the ECS calls each port method makes (pages and chunks, as the ECS adapter sends them). */
  private countingCluster(cluster: Cluster): Cluster {
    const count = (calls: EcsCalls) => {
      for (const [action, n] of Object.entries(calls)) this.counts.ecs[action] = (this.counts.ecs[action] ?? 0) + (n ?? 0);
    };
    const throttled = <T>(call: Promise<T>): Promise<T> =>
      call.catch((error: unknown) => {
        if ((error as Error).name === 'ThrottlingException') this.counts.throttles++;
        throw error;
      });
    return {
      listContainerInstances: async (c, f) => {
        const instances = await throttled(cluster.listContainerInstances(c, f));
        count(ECS_CALLS.listContainerInstances(instances.length));
        return instances;
      },
      listTasks: async (c, s) => {
        const tasks = await throttled(cluster.listTasks(c, s));
        const running = tasks.filter((t) => t.desiredStatus === 'RUNNING').length;
        count(ECS_CALLS.listTasks({ running, stopped: tasks.length - running }));
        return tasks;
      },
      listContainerInstanceArnPage: (c, f, status, token) => (count(ECS_CALLS.listContainerInstanceArnPage()), throttled(cluster.listContainerInstanceArnPage(c, f, status, token))),
      listTaskPage: async (c, s, desired, token) => {
        const page = await throttled(cluster.listTaskPage(c, s, desired, token));
        count(ECS_CALLS.listTaskPage(page.items.length));
        return page;
      },
      listTaskArnPage: (c, s, desired, token) => (count(ECS_CALLS.listTaskArnPage()), throttled(cluster.listTaskArnPage(c, s, desired, token))),
      lookUpTasks: async (c, arns) => {
        count(ECS_CALLS.describeTasks(new Set(arns).size));
        return throttled(cluster.lookUpTasks(c, arns));
      },
      startTask: (input) => (count(ECS_CALLS.startTask()), throttled(cluster.startTask(input))),
      stopTask: (c, t, r) => (count(ECS_CALLS.stopTask()), throttled(cluster.stopTask(c, t, r))),
    };
  }

  /** The executor's cluster: after the ECS call, the invocation dies (once per action key, and per stopped task). */
  private crashingCluster(cluster: Cluster, crash: NonNullable<HarnessOptions['crashExecutorAfterEcs']>, invocations: Invocations): Cluster {
    const crashed = new Set<string>();
    const die = (id: string, action: { key: string; type: PlannerAction['type'] }, what: string) => {
      if (crashed.has(id) || !crash(action)) return;
      crashed.add(id);
      this.crashes++;
      invocations.die();
      throw new CrashAfterEcs(`executor died after ${what}`);
    };
    return {
      // Not `...cluster`: a class's methods are on its prototype, which a spread leaves behind.
      listContainerInstances: (c, f) => cluster.listContainerInstances(c, f),
      listTasks: (c, s) => cluster.listTasks(c, s),
      listContainerInstanceArnPage: (c, f, status, token) => cluster.listContainerInstanceArnPage(c, f, status, token),
      listTaskPage: (c, s, desired, token) => cluster.listTaskPage(c, s, desired, token),
      listTaskArnPage: (c, s, desired, token) => cluster.listTaskArnPage(c, s, desired, token),
      lookUpTasks: (c, arns) => cluster.lookUpTasks(c, arns),
      startTask: async (input) => {
        const result = await cluster.startTask(input);
        const key = input.tags['blox:action'];
        if (key) die(key, { type: 'StartTasks', key }, `StartTask ${key}`);
        return result;
      },
      stopTask: async (c, taskArn, reason) => {
        const result = await cluster.stopTask(c, taskArn, reason);
        die(`stop:${taskArn}`, { type: 'StopTasks', key: `stop:${taskArn}` }, `StopTask ${taskArn}`);
        return result;
      },
    };
  }

  /**
   * A store whose calls the harness waits for before it moves virtual time on: a store call takes no
   * virtual time, in memory or on DynamoDB Local alike (without this, a DynamoDB Local request still
   * on the wire would let the world's timers run ahead of the engine waiting for it).
   */
  private tracked<T extends object>(store: T): T {
    const inflight = this.inflight;
    return new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (result instanceof Promise) {
            const settled: Promise<unknown> = result.then(
              (): void => void inflight.delete(settled),
              (): void => void inflight.delete(settled),
            );
            inflight.add(settled);
          }
          return result;
        };
      },
    });
  }

  /** The log, counting loads, append attempts and lost races (every other method passed through). */
  private countingLog(log: EventLog): EventLog {
    const counts = this.counts;
    return new Proxy(log, {
      get(target, property, receiver) {
        if (property === 'load') {
          return (environment: string) => {
            counts.loads++;
            return target.load(environment);
          };
        }
        if (property === 'append') {
          return async (request: Parameters<EventLog['append']>[0]) => {
            counts.appends++;
            try {
              await target.append(request);
            } catch (error) {
              if (error instanceof ConcurrencyError) counts.lostRaces++;
              throw error;
            }
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Runs a user command (create, update, deploy, …) at the current virtual time. */
  async command(command: CommandInput): Promise<unknown> {
    const at = new Date(this.clock.now()).toISOString();
    const full = { ...command, at } as EnvironmentCommand;
    const environment = full.type === 'CreateEnvironment' ? full.spec.Name : full.name;
    if ((full.type === 'DeployRevision' || full.type === 'RollbackToRevision') && !full.targetSpec) {
      full.targetSpec = (await this.eventLog.getRevision(environment, full.revision))?.spec;
    }
    if (full.type === 'AbortDeployment' && !full.targetSpec) {
      // As api-write does: the spec of the revision the abort goes back to.
      const to = (await this.eventLog.load(environment))?.engine?.rollbackTo;
      if (to !== undefined) full.targetSpec = (await this.eventLog.getRevision(environment, to))?.spec;
    }
    const reply = await runCommand(this.eventLog, {
      environment,
      command: full,
      reply: (events) => ({ statusCode: 200, body: events }),
      afterAppend: (before, after) => announce(this.wiring.deps, before, after),
    });
    // A deploy is an API call; api-write asks for a reconcile at once (the reconcile queue).
    const wakes: ReadonlyArray<EnvironmentCommand['type']> = ['DeployRevision', 'RollbackToRevision', 'ThawEnvironment', 'ScaleEnvironment', 'DeleteEnvironment', 'ResumeDeployment', 'PromoteDeployment', 'AbortDeployment'];
    if (wakes.includes(full.type)) {
      this.wiring.wake(environment);
    }
    return reply.body;
  }

  async state(environment: string): Promise<EnvironmentState | undefined> {
    return this.eventLog.load(environment);
  }

  /** Lets every promise started by the last callbacks settle (in-memory adapters resolve in microtasks). */
  private async settle(): Promise<void> {
    for (;;) {
      for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.inflight.size === 0) return;
      await Promise.all([...this.inflight]);
    }
  }

  /**
   * Advances virtual time callback by callback until `done()` holds or `limitMs` of virtual time
   * has passed; returns the virtual time it took.
   */
  async runUntil(done: () => boolean | Promise<boolean>, limitMs: number): Promise<number> {
    const start = this.clock.now();
    await this.settle();
    while (!(await done())) {
      const next = this.clock.nextAt();
      if (next === undefined || next - start > limitMs) throw new Error(`not done after ${limitMs} ms of virtual time`);
      this.clock.runUntil(next);
      await this.settle();
    }
    return this.clock.now() - start;
  }

  async runFor(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    await this.settle();
    for (;;) {
      const next = this.clock.nextAt();
      if (next === undefined || next > end) break;
      this.clock.runUntil(next);
      await this.settle();
    }
    this.clock.runUntil(end);
    await this.settle();
  }

  /** The reconciler's ports as wired. */
  get deps(): EngineFunctionDeps {
    return this.wiring.deps;
  }

  /** The executor's ports as wired: the reconciler's, the lifecycle hooks, and no wake-ups (as in AWS). */
  get executorDeps(): EngineFunctionDeps {
    return this.wiring.executorDeps;
  }

  async stop(): Promise<void> {
    await this.wiring.stop();
    this.services?.close();
  }
}
