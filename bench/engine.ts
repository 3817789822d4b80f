/**
 * The deployment engine: the planner's cost on a large fleet, and how close a deployment on the
 * deterministic harness (local/harness.ts: the real planner and executor, the simulated ECS, the
 * AWS latency model, virtual time) comes to the fastest rollout its configuration allows.
 *
 * - `planner.plan_10000_instances.median`: one `plan()` over 10,000 ACTIVE instances in the middle
 *   of a Replace at MinHealthyPercent 80 — 5,000 replaced (revision 2 RUNNING, the old task
 *   STOPPED), 500 starting (revision 2 PENDING, its launch not yet settled), 200 launches planned
 *   with no task yet, 500 old tasks STOPPING (their stop on record), 3,800 still on revision 1
 *   (available: 5,000 + 3,800 = 8,800 against a floor of 8,000, so the plan stops 800 of them).
 *   Median of `runs` runs after a warm-up.
 * - `engine.replace_100` / `engine.surge_100`: revision 1 → 2 on 100 instances, task start 20 s,
 *   stop 5 s, no health check (ready = RUNNING), the harness's default AWS latency model; the
 *   virtual time from the deploy call to Active, and its ratio to the lower bound:
 *     Replace, MinHealthyPercent 80: the budget is 100 − ceil(100 × 0.8) = 20 instances, and a wave
 *       must be RUNNING before the next one may stop: ceil(100 / 20) = 5 waves × (stop 5 s +
 *       start 20 s) = 125 s.
 *     Surge, MaxOver 20: MaxOver counts the instances running two copies, and an old task is a
 *       copy until ECS says STOPPED (the planner's rule — "the host is not free of the old version
 *       until ECS says STOPPED" — and what test/domain/planner.test.ts checks). So a wave's 20
 *       instances stay "two copies" while their old tasks stop, and the next wave may start only
 *       then: 5 waves × (start 20 s + stop 5 s) = 125 s. (Were a STOPPING task not counted, the
 *       stops would overlap the next wave's starts: 5 × 20 s + the last stop 5 s = 105 s, and this
 *       run would score about 1.22 against it — the planner's MaxOver rule, not latency.)
 * - ECS API calls, event-log loads and appends per replaced task (`Harness.counts`), over both
 *   rollouts (200 replaced tasks), the first deployment not counted.
 * - `engine.service_rolling_100`: a Service environment of 100 tasks behind a target group (ECS's
 *   EXTERNAL controller, one task set per revision) rolls 1 → 2 at MinHealthyPercent 100, MaxPercent
 *   200; task start 20 s, stop 5 s; the target group's health check every 30 s, healthy after 5. The
 *   fastest rollout those allow: the new task set's 100 tasks start at once (200 % leaves room for
 *   all of them next to the old 100), each is RUNNING after 20 s and healthy 5 × 30 s after its
 *   registration, and only then may the old ones stop (the floor is 100 ready): 20 + 150 + 5 = 175 s.
 * `--quick` runs the rollouts on 20 instances (`engine.replace_20.*`, `engine.surge_20.*`) and
 * skips the Service rollout.
 */
import type { Observed, ObservedInstance, ObservedTask, PlannerState } from '../domain/rollout';
import { JOINED_RECENTLY_MS, launchBatchKey, plan, shortId, stopBatchKey } from '../domain/rollout';
import type { EnvironmentSpec } from '../domain/spec';
import { effectiveDeploymentConfiguration } from '../domain/spec';
import { ECS_BUDGET_LIMITS } from '../functions/ecs-budget-port';
import type { EventLog, ObservationStore } from '../functions/ports';

/** Where a rollout keeps its log and the engine's picture of the cluster (default: both in memory, with DynamoDB's limits). */
export interface Store {
  eventLog: EventLog;
  observations: ObservationStore;
}
import { Harness } from '../local/harness';
import { DEFAULT_SIM_SERVICES, ELBV2_LIMITS } from '../local/sim';
import type { BenchResult } from './stats';
import { percentile, progress, round } from './stats';

export interface EngineBenchOptions {
  /** Timed `plan()` runs (after `warmup` untimed ones). Default 50 and 5. */
  runs?: number;
  warmup?: number;
  /** Instances for `plan()`. Default 10,000. */
  instances?: number;
  /**
   * Instances for the rollouts (default 100; `--quick` uses 20, named `replace_20` and `surge_20`:
   * the same 5 waves of 20 %, so the same lower bounds, in a fifth of the wall time).
   */
  rolloutInstances?: number;
  /**
   * Where the rollouts keep the revision log: `memory` (default; the in-memory log refuses what
   * DynamoDB refuses) or `dynamodb` (DynamoDB Local at `dynamoEndpoint`; the rollouts' names get
   * `_dynamodb`).
   */
  store?: 'memory' | 'dynamodb';
  /**
   * A fresh DynamoDB store (a new table on DynamoDB Local): the event log and the engine's picture of
   * the cluster, for `store: 'dynamodb'` and the 1,000-instance rollout.
   */
  dynamoStore?: () => Promise<Store>;
  /** The 1,000-instance rollout on DynamoDB Local and the 10,000-instance one in memory (skipped by --quick). */
  large?: boolean;
  /** The Service rollout, `engine.service_rolling_100` (default true; skipped by --quick). */
  service?: boolean;
}

export async function engineBench(options: EngineBenchOptions = {}): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  results.push(...plannerBench(options.instances ?? 10_000, options.runs ?? 50, options.warmup ?? 5));
  const dynamo = options.store === 'dynamodb';
  if (dynamo && !options.dynamoStore) throw new Error('engineBench: store dynamodb needs dynamoStore');
  results.push(...(await rolloutBench(options.rolloutInstances ?? 100, dynamo ? options.dynamoStore : undefined)));
  if (options.service !== false) results.push(...(await serviceRollingBench(100)));
  if (options.large) {
    if (!options.dynamoStore) throw new Error('engineBench: the 1,000-instance rollout needs dynamoStore');
    results.push(...(await largeRolloutBench(1_000, 'replace_1000_dynamodb', await options.dynamoStore())));
    results.push(...(await largeRolloutBench(10_000, 'replace_10000')));
  }
  return results;
}

// ── plan() on a large fleet ──────────────────────────────────────────────────────────────────────

const ENVIRONMENT = 'Bench/Engine';
const DEPLOYMENT = 'Bench/Engine:2@2024010100000000';

/** A fleet of `n` instances in the middle of a Replace from revision 1 to 2 (see the file comment). */
export function midDeployment(n: number, now: number): { state: PlannerState; observed: Observed } {
  const instanceArn = (i: number) => `arn:aws:ecs:us-east-1:123456789012:container-instance/default/${i.toString(16).padStart(32, '0')}`;
  let taskCount = 0;
  const task = (instance: string, revision: number, lastStatus: ObservedTask['lastStatus'], desiredStatus: ObservedTask['desiredStatus'], actionKey?: string): ObservedTask => ({
    arn: `arn:aws:ecs:us-east-1:123456789012:task/default/${(++taskCount).toString(16).padStart(32, '0')}`,
    instanceArn: instance,
    revision,
    actionKey,
    lastStatus,
    desiredStatus,
    health: 'UNKNOWN',
    ...(lastStatus === 'STOPPED' ? { stopCode: 'UserInitiated', stoppedReason: 'replace', stoppedAt: now - 30_000 } : {}),
  });
  const instances: ObservedInstance[] = [];
  const tasks: ObservedTask[] = [];
  const state: PlannerState = {
    environment: ENVIRONMENT,
    deploymentId: DEPLOYMENT,
    epoch: 2,
    revision: 2,
    taskDefinition: 'daemon:2',
    cluster: 'default',
    draining: [{ revision: 1, status: 'Undeploying' }],
    configuration: effectiveDeploymentConfiguration({ DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80 } } as Pick<
      EnvironmentSpec,
      'DeploymentType' | 'DeploymentConfiguration'
    >),
    initial: false,
    frozen: false,
    startedAt: now - 600_000,
    lastProgressAt: now - 5_000,
    progressMark: { ready: Math.floor(n / 2), old: n },
    launches: [],
    stops: [],
    failures: {},
    counts: [
      { revision: 1, desired: 0, current: 0 },
      { revision: 2, desired: n, current: 0 },
    ],
  };
  const replaced = Math.floor(n / 2);
  const starting = Math.floor(n / 20);
  const launching = Math.floor(n / 50);
  const stopping = Math.floor(n / 20);
  // Launches and stops on record in batches of 10, as the planner keeps them.
  const launchBatch = (at: number) => {
    const last = state.launches.at(-1);
    if (last && last.at === at && last.instances.length < 10) return last;
    const batch = { key: '', at, instances: [] as string[] };
    state.launches.push(batch);
    return batch;
  };
  const stopBatch = () => {
    const last = state.stops.at(-1);
    if (last && last.tasks.length < 10) return last;
    const batch = { key: stopBatchKey([String(state.stops.length)], now - 2_000), at: now - 2_000, tasks: [] as string[] };
    state.stops.push(batch);
    return batch;
  };
  const keyOf = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const arn = instanceArn(i);
    instances.push({ arn, status: 'ACTIVE' });
    const key = launchBatchKey(DEPLOYMENT, 2, [String(Math.floor(i / 10))], now - 3_000, 0);
    keyOf.set(arn, key);
    if (i < replaced) {
      tasks.push(task(arn, 1, 'STOPPED', 'STOPPED'), task(arn, 2, 'RUNNING', 'RUNNING', key));
    } else if (i < replaced + starting) {
      tasks.push(task(arn, 1, 'STOPPED', 'STOPPED'), task(arn, 2, 'PENDING', 'RUNNING', key));
      const batch = launchBatch(now - 3_000);
      batch.key ||= key;
      batch.instances.push(shortId(arn));
    } else if (i < replaced + starting + launching) {
      tasks.push(task(arn, 1, 'STOPPED', 'STOPPED'));
      const batch = launchBatch(now - 1_000);
      batch.key ||= key;
      batch.instances.push(shortId(arn));
    } else if (i < replaced + starting + launching + stopping) {
      const old = task(arn, 1, 'STOPPING', 'STOPPED');
      tasks.push(old);
      stopBatch().tasks.push(shortId(old.arn));
    } else {
      tasks.push(task(arn, 1, 'RUNNING', 'RUNNING'));
    }
  }
  // A PENDING task carries the key of the batch that launched it.
  for (const t of tasks) {
    if (t.revision !== 2 || t.lastStatus !== 'PENDING') continue;
    const batch = state.launches.find((b) => b.instances.includes(shortId(t.instanceArn)));
    if (batch) t.actionKey = batch.key;
  }
  return { state, observed: { instances, tasks, targetHealthChecked: false } };
}

function plannerBench(n: number, runs: number, warmup: number): BenchResult[] {
  const now = Date.UTC(2024, 0, 1, 1);
  const { state, observed } = midDeployment(n, now);
  // What the plan comes to: the rest of the budget in stops (800 for 10,000), the settled launches.
  const first = plan(state, observed, now);
  const stops = first.actions.filter((a) => a.type === 'StopTasks').reduce((sum, a) => sum + (a.type === 'StopTasks' ? a.taskArns.length : 0), 0);
  const starts = first.actions.filter((a) => a.type === 'StartTasks').reduce((sum, a) => sum + (a.type === 'StartTasks' ? a.instanceArns.length : 0), 0);
  progress(`engine: plan() on ${n} instances → ${stops} stops, ${starts} starts, ${first.events.length} events`);
  for (let i = 0; i < warmup; i++) plan(state, observed, now);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    plan(state, observed, now);
    samples.push(performance.now() - t0);
  }
  const median = percentile(samples, 0.5);
  progress(`engine: plan() median ${median.toFixed(2)} ms over ${runs} runs (min ${Math.min(...samples).toFixed(2)}, max ${Math.max(...samples).toFixed(2)})`);
  return [{ name: `planner.plan_${n}_instances.median`, value: round(median), unit: 'ms' }];
}

// ── Rollouts on the harness ──────────────────────────────────────────────────────────────────────

const NAME = 'Bench/Rollout';
const START_SECONDS = 20;
const STOP_SECONDS = 5;

interface Rollout {
  seconds: number;
  ecsCalls: number;
  loads: number;
  appends: number;
  lostRaces: number;
  throttles: number;
  replaced: number;
  wallSeconds: number;
}

/**
 * Revision 1 → 2 on `instances` instances (the first deployment not counted), on the harness as
 * deployed: the FIFO reconcile queue, the AWS latency model, ECS's rate limits in the simulated ECS
 * and the engine's ECS budget, and the given store (default: the in-memory log, which refuses what
 * DynamoDB refuses).
 */
async function rollout(instances: number, configuration: Record<string, unknown>, store?: Store): Promise<Rollout> {
  const wall = performance.now();
  const h = new Harness({ seed: 1, ...(store ? { eventLog: store.eventLog, observations: store.observations } : {}) });
  try {
    for (const td of ['daemon:1', 'daemon:2']) h.world.configureTaskDefinition(td, { startSeconds: START_SECONDS, stopSeconds: STOP_SECONDS, health: 'none' });
    h.world.addInstances({ count: instances, attributes: { stack: 'prod' } });
    const spec = {
      Name: NAME,
      TaskDefinition: 'daemon:1',
      Cluster: 'default',
      InstanceGroup: { Query: 'attribute:stack == prod' },
      DeploymentType: 'Daemon',
      DeploymentConfiguration: configuration,
    } as EnvironmentSpec;
    const activeOn = async (revision: number) => {
      const s = await h.state(NAME);
      return s?.activeRevision === revision && !s.deployment;
    };
    // A large rollout runs for many minutes of wall time: say how far it is, every 60 virtual seconds.
    const watching = (revision: number) => {
      const since = h.clock.now();
      let next = since;
      return async () => {
        const now = h.clock.now();
        if (instances >= 1_000 && now >= next) {
          next = now + 60_000;
          const running = h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING' && t.tags['blox:revision'] === String(revision)).length;
          progress(`engine: ${instances} instances, revision ${revision}: ${running} running after ${Math.round((now - since) / 1000)} s virtual, ${Math.round((performance.now() - wall) / 1000)} s wall`);
        }
        return activeOn(revision);
      };
    };
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(watching(1), 24 * 3600_000);
    // The fleet is established, as one rolled to a new revision is: its instances registered more
    // than JOINED_RECENTLY_MS ago, so a change of their free resources is noise the router drops
    // (relevance.ts). On a fleet that has just joined every task start and stop also sends a
    // container instance event the planner must see: twice the reconcile queue's traffic.
    await h.runFor(JOINED_RECENTLY_MS + 1_000);

    const before = { ecs: sum(h.counts.ecs), loads: h.counts.loads, appends: h.counts.appends, lostRaces: h.counts.lostRaces, throttles: h.counts.throttles };
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'daemon:2' } });
    const t0 = h.clock.now();
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(watching(2), 24 * 3600_000);
    const seconds = (h.clock.now() - t0) / 1000;
    const replaced = h.world.describeTasks().filter((t) => t.tags['blox:revision'] === '2').length;
    if (replaced !== instances) throw new Error(`rollout started ${replaced} tasks of revision 2 for ${instances} instances`);
    if (h.errors.length > 0) throw new Error(`rollout: ${h.errors.length} errors, the first: ${String(h.errors[0])}`);
    return {
      seconds,
      ecsCalls: sum(h.counts.ecs) - before.ecs,
      loads: h.counts.loads - before.loads,
      appends: h.counts.appends - before.appends,
      lostRaces: h.counts.lostRaces - before.lostRaces,
      throttles: h.counts.throttles - before.throttles,
      replaced,
      wallSeconds: (performance.now() - wall) / 1000,
    };
  } finally {
    await h.stop();
  }
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * The fastest Replace rollout the configuration allows (no health check: ready = RUNNING), the
 * larger of two bounds, each a true lower bound:
 * - availability: each instance is unavailable at least stop + start seconds, and at most `budget`
 *   may be unavailable at once: N × (stop + start) / budget;
 * - ECS's request rate: every stop is one StopTask and every 10 starts one StartTask, all from the
 *   engine's budget (80 at once, then 32 a second); the last call is followed by a stop and a start:
 *   (N + N/10 − 80) / 32 + stop + start.
 * replaceLowerBound(100, 20) = max(125, 25.6) = 125 s; (1,000, 100) = max(250, 56.9) = 250 s;
 * (10,000, 1,000) = max(250, 366.3) = 366.3 s.
 */
export function replaceLowerBound(instances: number, budget: number): number {
  const task = STOP_SECONDS + START_SECONDS;
  const { burst, sustainedPerSecond } = ECS_BUDGET_LIMITS['cluster-resource-modify'];
  const calls = instances + Math.ceil(instances / 10);
  return Math.max((instances * task) / budget, Math.max(0, calls - burst) / sustainedPerSecond + task);
}

function report(name: string, r: Rollout, lowerBound: number): BenchResult[] {
  progress(
    `engine: ${name} took ${r.seconds.toFixed(2)} s of virtual time (lower bound ${round(lowerBound)} s, ratio ${(r.seconds / lowerBound).toFixed(3)}), ` +
      `${r.ecsCalls} ECS calls, ${r.loads} log loads, ${r.appends} appends (${r.lostRaces} lost a race), ${r.throttles} throttled; ${r.wallSeconds.toFixed(1)} s of wall time`,
  );
  return [
    { name: `engine.${name}.duration`, value: round(r.seconds), unit: 's' },
    { name: `engine.${name}.lower_bound`, value: round(lowerBound), unit: 's' },
    { name: `engine.${name}.duration_ratio`, value: round(r.seconds / lowerBound), unit: 'ratio' },
  ];
}

async function rolloutBench(instances: number, dynamoStore?: () => Promise<Store>): Promise<BenchResult[]> {
  const suffix = dynamoStore ? '_dynamodb' : '';
  // Waves of 20 %: Replace's budget (MinHealthyPercent 80) and Surge's MaxOver.
  const perWave = Math.max(1, instances - Math.ceil(instances * 0.8));
  const waves = Math.ceil(instances / perWave);
  const results: BenchResult[] = [];
  const runs: Rollout[] = [];
  for (const [name, configuration, lowerBound] of [
    [`replace_${instances}${suffix}`, { Method: 'Replace', MinHealthyPercent: 80 }, replaceLowerBound(instances, perWave)],
    [`surge_${instances}${suffix}`, { Method: 'Surge', MaxOver: perWave }, waves * (START_SECONDS + STOP_SECONDS)],
  ] as const) {
    const r = await rollout(instances, configuration, dynamoStore ? await dynamoStore() : undefined);
    runs.push(r);
    results.push(...report(name, r, lowerBound));
  }
  const replaced = runs.reduce((a, r) => a + r.replaced, 0);
  const appends = runs.reduce((a, r) => a + r.appends, 0);
  results.push({ name: 'engine.ecs_calls_per_task', value: round(runs.reduce((a, r) => a + r.ecsCalls, 0) / replaced), unit: 'calls' });
  results.push({ name: 'engine.log_reads_per_task', value: round(runs.reduce((a, r) => a + r.loads, 0) / replaced), unit: 'loads' });
  results.push({ name: 'engine.log_writes_per_task', value: round(appends / replaced), unit: 'appends' });
  results.push({ name: 'engine.lost_race_share', value: round(runs.reduce((a, r) => a + r.lostRaces, 0) / appends), unit: 'ratio' });
  results.push({ name: 'engine.throttles', value: runs.reduce((a, r) => a + r.throttles, 0), unit: 'calls' });
  return results;
}

/** Replace at MinHealthyPercent 90 on `instances` instances (a wave of 10 %), on the given store. */
export async function largeRolloutBench(instances: number, name: string, store?: Store): Promise<BenchResult[]> {
  const budget = instances - Math.ceil(instances * 0.9);
  let r: Rollout;
  try {
    r = await rollout(instances, { Method: 'Replace', MinHealthyPercent: 90 }, store);
  } catch (error) {
    // Said, not hidden: the figure is `completed 0`, and why is on stderr.
    progress(`engine: ${name} did not complete: ${error instanceof Error ? error.message : String(error)}`);
    return [{ name: `engine.${name}.completed`, value: 0, unit: 'bool' }];
  }
  return [
    { name: `engine.${name}.completed`, value: 1, unit: 'bool' },
    ...report(name, r, replaceLowerBound(instances, budget)),
    { name: `engine.${name}.ecs_calls_per_task`, value: round(r.ecsCalls / r.replaced), unit: 'calls' },
    { name: `engine.${name}.throttles`, value: r.throttles, unit: 'calls' },
  ];
}

// ── Alarm → rollback ─────────────────────────────────────────────────────────────────────────────

/**
 * `engine.alarm_to_rollback.p50` (and `.p90`, `.max`): the virtual seconds from a watched alarm's
 * state change to the first rollback action — the first StartTask or StopTask the executor sends
 * after the rollback started — on the harness with the simulated CloudWatch and the AWS latency model
 * (EventBridge 250 ms, each SQS hop 20 ms, each Lambda invocation 30 ms). `runs` deployments of a
 * Daemon over 5 instances (Replace at 80 %, Alarms daemon-errors, BakeSeconds 600), each with the alarm
 * set to ALARM (SetAlarmState) at another moment 5 to 65 s into the deployment or its bake.
 * The path: the alarm event (EventBridge + router) → the reconcile queue → a reconcile that appends
 * RollbackTriggered + RollbackStarted → a wake-up (SQS) → the router → the reconcile queue → the
 * rollback's first plan → the action queue → the executor's ECS call: about 0.5 s.
 */
export async function alarmToRollbackBench(runs = 9): Promise<BenchResult[]> {
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const h = new Harness({ seed: 100 + run, services: DEFAULT_SIM_SERVICES });
    try {
      h.world.addInstances({ count: 5, attributes: { stack: 'prod' } });
      const spec = {
        Name: NAME,
        TaskDefinition: 'log-daemon:1',
        Cluster: 'default',
        InstanceGroup: { Query: 'attribute:stack == prod' },
        DeploymentType: 'Daemon',
        DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80, BakeSeconds: 600, Alarms: { AlarmNames: ['daemon-errors'] } },
      } as EnvironmentSpec;
      await h.command({ type: 'CreateEnvironment', spec });
      await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
      await h.runUntil(async () => (await h.state(NAME))?.activeRevision === 1, 3600_000);
      await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
      await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
      await h.runFor(5_000 + Math.round((60_000 * run) / Math.max(1, runs - 1)));
      const changedAt = h.clock.now();
      await h.services!.cloudwatch.setAlarmState({ AlarmName: 'daemon-errors', StateValue: 'ALARM', StateReason: 'bench' });
      let callsAtRollback: number | undefined;
      const calls = () => (h.counts.ecs.StartTask ?? 0) + (h.counts.ecs.StopTask ?? 0);
      await h.runUntil(async () => {
        if (callsAtRollback === undefined) {
          if ((await h.state(NAME))?.deployment?.kind === 'rollback') callsAtRollback = calls();
          return false;
        }
        return calls() > callsAtRollback;
      }, 600_000);
      if (h.errors.length > 0) throw new Error(`alarm_to_rollback: ${h.errors.length} errors, the first: ${String(h.errors[0])}`);
      seconds.push((h.clock.now() - changedAt) / 1000);
    } finally {
      await h.stop();
    }
  }
  progress(`engine: alarm → first rollback action over ${runs} runs: ${seconds.map((s) => s.toFixed(3)).join(', ')} s (virtual)`);
  return [
    { name: 'engine.alarm_to_rollback.p50', value: round(percentile(seconds, 0.5)), unit: 's' },
    { name: 'engine.alarm_to_rollback.p90', value: round(percentile(seconds, 0.9)), unit: 's' },
    { name: 'engine.alarm_to_rollback.max', value: round(Math.max(...seconds)), unit: 's' },
  ];
}

// ── A Service rollout on the harness ─────────────────────────────────────────────────────────────

const SERVICE_NAME = 'Bench/Service';
const HEALTH_CHECK = { intervalSeconds: 30, healthyThreshold: 5 };

/** The fastest Service Rolling at (100, 200): start, then healthy in the target group, then the old tasks stop (see the file comment). */
export function serviceRollingLowerBound(): number {
  return START_SECONDS + HEALTH_CHECK.intervalSeconds * HEALTH_CHECK.healthyThreshold + STOP_SECONDS;
}

/** `engine.service_rolling_<tasks>`: a Service environment of `tasks` tasks behind target group `web` rolls 1 → 2. */
export async function serviceRollingBench(tasks: number): Promise<BenchResult[]> {
  const wall = performance.now();
  const h = new Harness({
    seed: 1,
    // Target group `web` only (no registration but ECS's: the task sets' tasks), ELBv2's default health check.
    // At MaxPercent 200 both task sets' tasks are registered at once: 2 × tasks targets. ELBv2's quota of
    // targets per target group is 1,000 by default (adjustable): a real account running this service behind
    // one target group has it raised, and so does this one (without it, past 500 tasks ECS cannot register
    // the new tasks and the rollout is Stuck with ECS's "failed to register targets").
    services: {
      targetGroups: { web: { cluster: 'default', healthCheckIntervalSeconds: HEALTH_CHECK.intervalSeconds, healthyThresholdCount: HEALTH_CHECK.healthyThreshold } },
      traffic: {},
      alarms: {},
      quotas: { targetsPerTargetGroup: Math.max(ELBV2_LIMITS.targetsPerTargetGroup, 2 * tasks) },
    },
  });
  try {
    for (const td of ['web:1', 'web:2']) h.world.configureTaskDefinition(td, { startSeconds: START_SECONDS, stopSeconds: STOP_SECONDS, health: 'none' });
    // 512 CPU units a task, 2048 an instance: room for 4 each, 200 % of the tasks on half as many instances.
    h.world.addInstances({ count: Math.ceil(tasks / 2), attributes: { stack: 'prod' } });
    const spec = {
      Name: SERVICE_NAME,
      TaskDefinition: 'web:1',
      Cluster: 'default',
      DeploymentType: 'Service',
      DesiredCount: tasks,
      DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200 },
      Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: h.services!.elbv2.targetGroupArn('web')! } },
    } as EnvironmentSpec;
    const activeOn = async (revision: number) => {
      const s = await h.state(SERVICE_NAME);
      return s?.activeRevision === revision && !s.deployment;
    };
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: SERVICE_NAME, revision: 1 });
    await h.runUntil(() => activeOn(1), 24 * 3600_000);
    const before = { ecs: sum(h.counts.ecs), loads: h.counts.loads, appends: h.counts.appends, lostRaces: h.counts.lostRaces, throttles: h.counts.throttles };
    await h.command({ type: 'UpdateEnvironment', name: SERVICE_NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    const t0 = h.clock.now();
    await h.command({ type: 'DeployRevision', name: SERVICE_NAME, revision: 2 });
    await h.runUntil(() => activeOn(2), 24 * 3600_000);
    const seconds = (h.clock.now() - t0) / 1000;
    const running = h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING');
    if (running.length !== tasks || running.some((t) => !t.taskDefinitionArn.endsWith('/web:2'))) throw new Error(`service rollout: ${running.length} tasks running, not ${tasks} of web:2`);
    if (h.errors.length > 0) throw new Error(`service rollout: ${h.errors.length} errors, the first: ${String(h.errors[0])}`);
    return report(
      `service_rolling_${tasks}`,
      {
        seconds,
        ecsCalls: sum(h.counts.ecs) - before.ecs,
        loads: h.counts.loads - before.loads,
        appends: h.counts.appends - before.appends,
        lostRaces: h.counts.lostRaces - before.lostRaces,
        throttles: h.counts.throttles - before.throttles,
        replaced: tasks,
        wallSeconds: (performance.now() - wall) / 1000,
      },
      serviceRollingLowerBound(),
    );
  } finally {
    await h.stop();
  }
}
