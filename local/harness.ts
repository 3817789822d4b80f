/**
 * The deterministic engine harness: the simulated cluster, the action queue, the planner and the
 * executor wired as in AWS, on a virtual clock, with a latency model for EventBridge, SQS and
 * Lambda. Same engine code as the Lambda functions; only the adapters differ.
 *
 *   world event ──(EventBridge + Lambda latency)──► reconcile(env) ──► queue ──(SQS + Lambda)──► execute
 *   tick every `tickMs` ─────────────────────────► reconcile(every deploying env)
 *
 * Faults for reliability tests: every ECS event and every SQS message delivered twice and
 * reordered (`duplicateAndReorder`), the executor dying between its ECS call and its record
 * (`crashExecutorAfterEcs`), ECS throttling (`world.throttle(p)`).
 */
import type { EnvironmentCommand, EnvironmentState } from '../domain/environment';
import type { PlannerAction } from '../domain/rollout';
import type { PutEventsEntry } from '../events/notifications';
import { runCommand } from '../functions/commands';
import type { EngineDeps } from '../functions/engine/engine';
import { announce, execute, reconcile } from '../functions/engine/engine';
import type { EngineTrigger } from '../functions/engine/route';
import { environmentsFor } from '../functions/engine/route';
import { triggerOf } from '../functions/engine/router-handler';
import { parseInboundEvent } from '../events/aws';
import type { Cluster, EventLog } from '../functions/ports';
import { MemoryEventLog } from './memory-event-log';
import { InProcessActionQueue, schedulerFromSim } from './queue';
import type { SimulatedClusterOptions } from './sim';
import { SimulatedCluster, VirtualClock, mulberry32 } from './sim';

export interface LatencyModel {
  /** ECS event → EventBridge rule target. */
  eventBridgeMs: number;
  /** Lambda invocation overhead (warm). */
  lambdaMs: number;
  /** SQS send → receive. */
  sqsMs: number;
}

export const AWS_LATENCY: LatencyModel = { eventBridgeMs: 250, lambdaMs: 30, sqsMs: 20 };

export interface HarnessOptions {
  seed?: number;
  latency?: Partial<LatencyModel>;
  /** The scheduled reconcile of every moving environment. Default 60 s (EventBridge `rate(1 minute)`). */
  tickMs?: number;
  world?: Omit<SimulatedClusterOptions, 'clock' | 'seed'>;
  /** Deliver every ECS event and every queued action twice, with random extra delays (reordering). */
  duplicateAndReorder?: boolean;
  /** The executor dies after its ECS call and before recording it, for actions this picks. */
  crashExecutorAfterEcs?: (action: PlannerAction) => boolean;
}

export interface ApiCounts {
  ecs: Record<string, number>;
  loads: number;
  appends: number;
}

class CrashAfterEcs extends Error {}

/** A command without its time: the harness stamps it with the virtual clock. */
export type CommandInput = EnvironmentCommand extends infer C ? (C extends unknown ? Omit<C, 'at'> : never) : never;

export class Harness {
  readonly clock = new VirtualClock();
  readonly world: SimulatedCluster;
  readonly eventLog = new MemoryEventLog();
  readonly queue: InProcessActionQueue;
  readonly notifications: PutEventsEntry[] = [];
  readonly counts: ApiCounts = { ecs: {}, loads: 0, appends: 0 };
  readonly errors: unknown[] = [];
  private readonly deps: EngineDeps;
  private readonly latency: LatencyModel;
  private readonly random: () => number;
  private pending = 0;

  constructor(private readonly options: HarnessOptions = {}) {
    this.latency = { ...AWS_LATENCY, ...options.latency };
    this.random = mulberry32((options.seed ?? 1) * 7919 + 17);
    this.world = new SimulatedCluster({ clock: this.clock, seed: options.seed ?? 1, ...options.world });
    const dup = options.duplicateAndReorder ?? false;
    this.queue = new InProcessActionQueue({
      scheduler: schedulerFromSim(this.clock),
      latencyMs: () => this.latency.sqsMs + this.latency.lambdaMs + (dup ? Math.floor(this.random() * 200) : 0),
      visibilityTimeoutMs: 30_000,
      maxReceiveCount: 1000,
      onError: (error) => this.errors.push(error),
    });
    const cluster = this.countingCluster(this.world);
    const eventLog = this.countingLog(this.eventLog);
    this.deps = {
      eventLog,
      cluster,
      taskDefinitions: { hasHealthCheck: async (td) => this.world.taskBehaviour(td).health !== 'none' },
      // Not `enqueue([...actions, ...actions])`: the FIFO queue drops the second copy (same
      // deduplication id within 5 min), so nothing would be delivered twice. See the handler below.
      queue: this.queue,
      notifier: { publish: async (entries) => void this.notifications.push(...entries) },
      clock: { now: () => new Date(this.clock.now()) },
      wakeups: { schedule: async (environment, atMs) => this.wakeUp(environment, atMs) },
    };
    const executorDeps: EngineDeps = options.crashExecutorAfterEcs
      ? { ...this.deps, cluster: this.crashingCluster(cluster, options.crashExecutorAfterEcs) }
      : this.deps;
    this.queue.start(async (action, info) => {
      try {
        await execute(executorDeps, action);
      } catch (error) {
        if (!(error instanceof CrashAfterEcs)) this.errors.push(error);
        throw error; // left on the queue: SQS redelivers after the visibility timeout
      } finally {
        // At-least-once delivery: the message comes again (the delete got lost, say), after the
        // first delivery and out of order with the messages sent since.
        if (dup && info.receiveCount === 1) this.redeliver(executorDeps, action, this.latency.sqsMs + this.latency.lambdaMs + Math.floor(this.random() * 1000));
      }
    });
    // ECS events, parsed and routed by the planner function's own code (as in AWS and locally).
    this.world.onEvent((event) => {
      const trigger = triggerOf(parseInboundEvent(event));
      if (!trigger) return;
      const delay = this.latency.eventBridgeMs + this.latency.lambdaMs;
      this.trigger(trigger, delay + (dup ? Math.floor(this.random() * 300) : 0));
      if (dup) this.trigger(trigger, delay + Math.floor(this.random() * 1000));
    });
    const tickMs = options.tickMs ?? 60_000;
    const tick = () => {
      this.trigger({ kind: 'tick' }, this.latency.lambdaMs);
      this.clock.schedule(this.clock.now() + tickMs, tick);
    };
    this.clock.schedule(this.clock.now() + tickMs, tick);
  }

  private readonly wakeups = new Map<string, number>();

  /** A second delivery of an action (`duplicateAndReorder`), straight to the executor after `delayMs`. */
  private redeliver(deps: EngineDeps, action: PlannerAction, delayMs: number): void {
    this.clock.schedule(this.clock.now() + delayMs, () => {
      this.pending++;
      void execute(deps, action)
        .catch((error: unknown) => {
          if (!(error instanceof CrashAfterEcs)) this.errors.push(error);
        })
        .finally(() => this.pending--);
    });
  }

  /** A delayed reconcile of one environment (the AWS side: a message with DelaySeconds). */
  private wakeUp(environment: string, atMs: number): void {
    const at = Math.max(atMs, this.clock.now()) + this.latency.sqsMs + this.latency.lambdaMs;
    const already = this.wakeups.get(environment);
    if (already !== undefined && already <= at && already > this.clock.now()) return;
    this.wakeups.set(environment, at);
    this.clock.schedule(at, () => {
      if (this.wakeups.get(environment) === at) this.wakeups.delete(environment);
      this.pending++;
      void reconcile(this.deps, environment)
        .catch((error: unknown) => this.errors.push(error))
        .finally(() => this.pending--);
    });
  }

  /** A planner invocation for every environment the trigger concerns, after `delayMs`. */
  private trigger(trigger: EngineTrigger, delayMs: number): void {
    this.clock.schedule(this.clock.now() + delayMs, () => {
      this.pending++;
      void (async () => {
        try {
          for (const name of await environmentsFor(this.deps.eventLog, trigger)) await reconcile(this.deps, name);
        } catch (error) {
          this.errors.push(error);
        } finally {
          this.pending--;
        }
      })();
    });
  }

  private countingCluster(cluster: Cluster): Cluster {
    const count = (name: string) => (this.counts.ecs[name] = (this.counts.ecs[name] ?? 0) + 1);
    return {
      listContainerInstances: (c, f) => (count('ListContainerInstances'), cluster.listContainerInstances(c, f)),
      listTasks: (c, s) => (count('ListTasks'), cluster.listTasks(c, s)),
      startTask: (input) => (count('StartTask'), cluster.startTask(input)),
      stopTask: (c, t, r) => (count('StopTask'), cluster.stopTask(c, t, r)),
    };
  }

  private crashingCluster(cluster: Cluster, crash: (action: PlannerAction) => boolean): Cluster {
    // The executor's record comes right after these calls: failing here is "killed in between".
    const crashed = new Set<string>();
    const shouldCrash = (key: string | undefined, action: Partial<PlannerAction>) => {
      if (!key || crashed.has(key)) return false;
      if (!crash(action as PlannerAction)) return false;
      crashed.add(key);
      return true;
    };
    return {
      ...cluster,
      startTask: async (input) => {
        const result = await cluster.startTask(input);
        const key = input.tags['blox:action'];
        if (shouldCrash(key, { type: 'StartTasks', key })) throw new CrashAfterEcs(`executor died after StartTask ${key}`);
        return result;
      },
      stopTask: async (c, taskArn, reason) => {
        const result = await cluster.stopTask(c, taskArn, reason);
        if (shouldCrash(`stop:${taskArn}`, { type: 'StopTasks', taskArns: [taskArn] })) throw new CrashAfterEcs(`executor died after StopTask ${taskArn}`);
        return result;
      },
    };
  }

  private countingLog(log: EventLog): EventLog {
    return {
      load: (e) => (this.counts.loads++, log.load(e)),
      append: (r) => (this.counts.appends++, log.append(r)),
      readEvents: (e, f) => log.readEvents(e, f),
      getRevision: (e, r) => log.getRevision(e, r),
      listRevisions: (e) => log.listRevisions(e),
      listEnvironments: (o) => log.listEnvironments(o),
      getIdempotencyRecord: (k) => log.getIdempotencyRecord(k),
    };
  }

  /** Runs a user command (create, update, deploy, …) at the current virtual time. */
  async command(command: CommandInput): Promise<unknown> {
    const at = new Date(this.clock.now()).toISOString();
    const full = { ...command, at } as EnvironmentCommand;
    const environment = full.type === 'CreateEnvironment' ? full.spec.Name : full.name;
    if ((full.type === 'DeployRevision' || full.type === 'RollbackToRevision') && !full.targetSpec) {
      full.targetSpec = (await this.eventLog.getRevision(environment, full.revision))?.spec;
    }
    const reply = await runCommand(this.eventLog, {
      environment,
      command: full,
      reply: (events) => ({ statusCode: 200, body: events }),
      afterAppend: (before, after) => announce(this.deps, before, after),
    });
    // A deploy is an API call; the engine reacts at once (the API function invokes the planner).
    if (full.type === 'DeployRevision' || full.type === 'RollbackToRevision' || full.type === 'ThawEnvironment') {
      this.trigger({ kind: 'tick' }, this.latency.lambdaMs);
    }
    return reply.body;
  }

  async state(environment: string): Promise<EnvironmentState | undefined> {
    return this.eventLog.load(environment);
  }

  /** Lets every promise started by the last callbacks settle (in-memory adapters resolve in microtasks). */
  private async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
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

  async stop(): Promise<void> {
    await this.queue.stop();
  }
}
