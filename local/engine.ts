/**
 * The engine in the local stack, in real time: the same wiring as the harness (`local/wiring.ts`) —
 * the simulated cluster's ECS events and a tick (every second) reach the router handler, whose
 * requests go through the in-process SQS FIFO reconcile queue (one batch per environment at a
 * time: reconciles of one environment never overlap, and a burst of events is coalesced into the
 * next batch) to the reconciler handler, whose actions go through the in-process FIFO action queue to
 * the executor handler. Same handler code as the Lambda functions; only the adapters differ.
 * The simulated CloudWatch's `CloudWatch Alarm State Change` events (`alarms`) reach the router
 * the same way, as EventBridge delivers them in AWS.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EngineDeps } from '../functions/engine/engine';
import { BudgetedCluster } from '../functions/adapters/budgeted-cluster';
import { BudgetedServices } from '../functions/adapters/budgeted-services';
import { ACCOUNT_BUDGET, InMemoryEcsBudget } from '../functions/adapters/ecs-budget';
import type { Cluster } from '../functions/ports';
import type { InProcessActionQueue, InProcessFifoQueue } from './queue';
import type { ReconcileRequest } from '../functions/adapters/sqs-reconcile-queue';
import type { EventLog, Hooks, ListenerRules, ObservationStore, TargetHealth, WeightedRecords } from '../functions/ports';
import { CloudWatchAlarms } from '../functions/adapters/cloudwatch-alarms';
import type { AlarmEventListener, SimScheduler, SimulatedCloudWatch, SimulatedCluster, SimulatedEcsEvent } from './sim';
import { wireEngine } from './wiring';

export interface LocalEngineOptions {
  eventLog: EventLog;
  /** Where the engine keeps its picture of the cluster (the local stack: DynamoDB Local, the log's table). */
  observations?: ObservationStore;
  world: SimulatedCluster;
  /** Whose alarm state change events reach the router too, and whose DescribeAlarms the engine reads (the simulated CloudWatch). */
  alarms?: { onEvent(listener: AlarmEventListener): () => void } & Pick<SimulatedCloudWatch, 'describeAlarms'>;
  /** Target health of Service environments behind a target group (the simulated ELBv2). */
  targetHealth?: TargetHealth;
  /** Listener rules' forward weights of Canary / BlueGreen Service environments (the simulated ELBv2). */
  listenerRules?: ListenerRules;
  /** Route 53 weighted records (the simulated Route 53, through the same adapter as in AWS). */
  weightedRecords?: WeightedRecords;
  /** Lambda lifecycle hooks (the simulated Lambda, through the same adapter as in AWS). */
  hooks?: Hooks;
  clock: SimScheduler;
  logger: Logger;
  tickMs?: number;
  /** Called with each ECS call the executor makes, for the reaction-latency measurement. */
  onEcsCall?: (name: string, at: number) => void;
}

export interface LocalEngine {
  deps: EngineDeps;
  /** The action queue. */
  queue: InProcessActionQueue;
  reconciles: InProcessFifoQueue<ReconcileRequest>;
  /** Reconcile now (after a deploy, rollback or thaw), or at `atMs`. */
  wake(environment: string, atMs?: number): void;
  stop(): Promise<void>;
}

export function startLocalEngine(options: LocalEngineOptions): LocalEngine {
  const { eventLog, world, clock, logger } = options;
  const onEcsCall = options.onEcsCall;
  const executorCluster: Cluster | undefined = onEcsCall
    ? {
        listContainerInstances: world.listContainerInstances.bind(world),
        listTasks: world.listTasks.bind(world),
        listContainerInstanceArnPage: world.listContainerInstanceArnPage.bind(world),
        listTaskPage: world.listTaskPage.bind(world),
        listTaskArnPage: world.listTaskArnPage.bind(world),
        lookUpTasks: world.lookUpTasks.bind(world),
        startTask: (input) => (onEcsCall('StartTask', Date.now()), world.startTask(input)),
        stopTask: (c, t, r) => (onEcsCall('StopTask', Date.now()), world.stopTask(c, t, r)),
      }
    : undefined;

  // Every ECS call of the reconciler and the executor from one budget below ECS's limits.
  const budget = new InMemoryEcsBudget({ clock });
  const budgeted = (cluster: Cluster) => new BudgetedCluster(cluster, budget, { budgetKey: ACCOUNT_BUDGET });
  // The router's inbound events: the cluster's ECS events and, when given, CloudWatch's alarm
  // events (wireEngine passes each on as a plain EventBridge event; the router tells them apart).
  const alarms = options.alarms;
  const inbound: Pick<SimulatedCluster, 'onEvent'> = alarms
    ? {
        onEvent: (listener) => {
          const fromWorld = world.onEvent(listener);
          const fromAlarms = alarms.onEvent((event) => listener(event as unknown as SimulatedEcsEvent));
          return () => {
            fromWorld();
            fromAlarms();
          };
        },
      }
    : world;
  const wiring = wireEngine({
    scheduler: clock,
    world: inbound,
    eventLog,
    ...(options.observations ? { observations: options.observations } : {}),
    // The in-process queues do not survive a restart: a picture from before it is looked at again.
    pictureTrustedSince: clock.now(),
    cluster: budgeted(world),
    executorCluster: budgeted(executorCluster ?? world),
    taskDefinitions: { hasHealthCheck: async (td) => world.taskBehaviour(td).health !== 'none' },
    ...(alarms ? { alarms: new CloudWatchAlarms((input) => alarms.describeAlarms(input)) } : {}),
    // ECS services and task sets: the world's (Service environments), from the same budget.
    services: new BudgetedServices(world, budget, { budgetKey: ACCOUNT_BUDGET }),
    ...(options.targetHealth ? { targetHealth: options.targetHealth } : {}),
    ...(options.listenerRules ? { listenerRules: options.listenerRules } : {}),
    ...(options.weightedRecords ? { weightedRecords: options.weightedRecords } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    notifier: {
      publish: async (entries) => {
        for (const e of entries) {
          const d = JSON.parse(e.Detail) as { environment: string; revision: number; status: string; previousStatus: string | null; reason: string; desired: number; current: number };
          logger.info(`${d.environment}:${d.revision} ${d.previousStatus ?? 'new'} → ${d.status}`, { reason: d.reason, desired: d.desired, current: d.current });
        }
      },
    },
    logger,
    log: (message, fields) => logger.info(message, fields ?? {}),
    tickMs: options.tickMs ?? 1000,
    // As deployed (serverless.yml): 6 × the reconciler's 60 s, so a long reconcile (a full look at a
    // thousand tasks on a loaded machine) is not handed to a second reconciler while the first still
    // runs; a failed one comes back after the reconciler's back-off (1, 2, 4 … 60 s), not this.
    reconcileQueue: { visibilityTimeoutMs: 360_000, maxReceiveCount: 8 },
    actionQueue: { visibilityTimeoutMs: 10_000, maxReceiveCount: 10 },
    onInvocationError: (error, functionName) => logger.warn(`${functionName} invocation failed; SQS redelivers its batch`, { error: error as Error }),
  });

  return {
    deps: wiring.deps,
    queue: wiring.actions,
    reconciles: wiring.reconciles,
    wake: (environment, atMs) => wiring.wake(environment, atMs),
    stop: () => wiring.stop(),
  };
}
