/**
 * The Daemon planner: desired vs observed → the next actions, and the events that explain them.
 * Pure: `plan(input, observed, now)`; no clock, no I/O. The engine calls it on every ECS event and on
 * every tick; whatever it plans is idempotent (deterministic keys), so planning twice is harmless.
 *
 * Target: one task of the deploying revision T on every ACTIVE instance of the instance group, and
 * no task of any other revision anywhere. DRAINING instances get no new task.
 *
 * Availability: an instance is *available* when it runs a ready task (RUNNING, and HEALTHY when the
 * task definition has health checks; an old revision's task counts while it is not UNHEALTHY and
 * not being stopped). After the environment's first deployment the planner never lets the number
 * of available instances drop below `ceil(N × MinHealthyPercent / 100)`, N = ACTIVE instances.
 *
 * Replace (terminate before replace), 5 instances running revision 1, MinHealthyPercent 80:
 *   minAvailable = ceil(5 × 0.8) = 4, available = 5 → stop budget 1:
 *   plan #1 → StopTask(old on i-1)                        [1: 0/5 … undeploying 5 → 4 as it stops]
 *   i-1 STOPPED → plan #2 → StartTask(T on i-1)           (an instance with no task: priority 2)
 *   T on i-1 RUNNING → available 5 again → StopTask(old on i-2) … until no old task is left.
 *
 * Surge (terminate after replace), MaxOver 1: start T on i-1 (old still running there); once T on
 * i-1 is ready, stop the old one on i-1; i-1 counts against MaxOver until its old task is STOPPED,
 * then T starts on i-2. Never more than MaxOver hosts with two copies; never two T on one host.
 *
 * A target task that stops on its own (failed to start, essential container exited) holds new
 * replacements and surge copies until StuckAfterSeconds pass without another such stop; the
 * crashed instance is retried with a back-off. Without health checks a task counts as ready once
 * RUNNING, so waves already under way when the first crash shows are not undone.
 *
 * Priorities, from the walkthrough: (1) retry a failed launch (after a per-instance back-off),
 * (2) instances with no task at all (new instances, crashed tasks), (3) replacements.
 *
 * Stuck: no progress for StuckAfterSeconds → `DeploymentStuck` with the reason (placement failure
 * and ECS's reason, crash loop, unhealthy tasks); a Replace whose budget is 0 with nothing in flight
 * is Stuck at once ("MinHealthyPercent budget is 0"), never a breach. Stuck for
 * FailingAfterSeconds → `DeploymentFailing`; the planner keeps trying. Progress → `DeploymentResumed`.
 */
import { fnv1a64 } from './identity';
import type { EffectiveDeploymentConfiguration } from './spec';

export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'DEPROVISIONING' | 'STOPPED';

export interface ObservedInstance {
  arn: string;
  status: 'ACTIVE' | 'DRAINING';
}

export interface ObservedTask {
  arn: string;
  instanceArn: string;
  revision: number;
  /** The StartTask action that launched it (task tag), when Blox launched it. */
  actionKey?: string | undefined;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  health: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  /** Epoch ms, for STOPPED tasks. */
  stoppedAt?: number | undefined;
}

/** What the observer saw: the group's instances (ACTIVE and DRAINING) and every task of the environment. */
export interface Observed {
  instances: ObservedInstance[];
  tasks: ObservedTask[];
  /** Whether the target revision's task definition has container health checks. */
  targetHealthChecked: boolean;
}

export interface PlannedLaunch {
  key: string;
  instanceArn: string;
  revision: number;
  at: number;
}

export interface PlannedStop {
  key: string;
  taskArn: string;
  at: number;
}

export interface LaunchFailure {
  count: number;
  lastAt: number;
  reason: string;
}

/** The engine's view of the deployment in progress (kept in the environment's projection). */
export interface PlannerState {
  environment: string;
  deploymentId: string;
  /** Bumped by every deploy, rollback, freeze and thaw: actions of an older epoch are dropped. */
  epoch: number;
  revision: number;
  taskDefinition: string;
  cluster: string;
  /** The instance group (ECS cluster query language); none = every instance of the cluster. */
  query?: string | undefined;
  /** The revisions being drained, with the status they end in. */
  draining: Array<{ revision: number; status: 'Undeploying' | 'Reverting' }>;
  configuration: EffectiveDeploymentConfiguration;
  /** First deployment of the environment: MinHealthyPercent does not apply. */
  initial: boolean;
  frozen: boolean;
  startedAt: number;
  lastProgressAt: number;
  /** Ready target tasks and live old tasks at the last progress: progress is a change of these. */
  progressMark: { ready: number; old: number };
  health?: { status: 'Stuck' | 'Failing'; since: number; reason: string } | undefined;
  launches: PlannedLaunch[];
  stops: PlannedStop[];
  failures: Record<string, LaunchFailure>;
  counts: RevisionCount[];
}

export interface RevisionCount {
  revision: number;
  desired: number;
  current: number;
}

export type PlannerAction =
  | { type: 'StartTask'; key: string; environment: string; deploymentId: string; epoch: number; revision: number; cluster: string; taskDefinition: string; instanceArn: string; reason: string }
  | { type: 'StopTask'; key: string; environment: string; deploymentId: string; epoch: number; revision: number; cluster: string; taskArn: string; reason: string };

export type PlannerEvent =
  | { type: 'TaskLaunchPlanned'; key: string; instanceArn: string; revision: number; reason: string; at: number }
  | { type: 'TaskStopPlanned'; key: string; taskArn: string; instanceArn: string; revision: number; reason: string; at: number }
  | { type: 'LaunchesSettled'; keys: string[]; at: number }
  | { type: 'StopsSettled'; keys: string[]; at: number }
  | { type: 'RevisionCountsChanged'; counts: RevisionCount[]; at: number }
  | { type: 'DeploymentProgressed'; ready: number; old: number; at: number }
  | { type: 'DeploymentStuck'; reason: string; at: number }
  | { type: 'DeploymentFailing'; reason: string; at: number }
  | { type: 'DeploymentResumed'; at: number }
  | { type: 'DeploymentCompleted'; revision: number; retired: Array<{ revision: number; status: 'Inactive' | 'Reverted' }>; at: number };

export interface Plan {
  events: PlannerEvent[];
  actions: PlannerAction[];
  /**
   * When to look again even if no event comes (epoch ms): ECS sends no event when a task turns
   * HEALTHY, a back-off ends or a Stuck deadline passes. The engine schedules a reconcile then.
   */
  wakeAt?: number | undefined;
}

/** How often to look at a task waiting for its health check (ECS sends no event for health). */
export const HEALTH_POLL_MS = 1_000;

/** A planned launch with no task and no recorded outcome after this long is presumed lost. */
export const LAUNCH_TIMEOUT_MS = 60_000;
/** A planned stop whose task still wants to run after this long is planned again. */
export const STOP_TIMEOUT_MS = 60_000;
/** Back-off before retrying a failed launch on an instance: 2^(failures-1) s, at most 60 s. */
export function launchBackoffMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}

const LIVE = (t: ObservedTask) => t.lastStatus !== 'STOPPED';
const WANTS_TO_RUN = (t: ObservedTask) => LIVE(t) && t.desiredStatus === 'RUNNING';

/** The idempotency key of the n-th launch attempt of `revision` on an instance (≤ 128 characters). */
export function launchKey(deploymentId: string, revision: number, instanceArn: string, attempt: number): string {
  return `start-${fnv1a64(deploymentId)}-${revision}-${shortArn(instanceArn)}-${attempt}`;
}

/** The idempotency key of stopping a task (≤ 128 characters: an SQS deduplication id). */
export function stopKey(taskArn: string): string {
  return `stop-${shortArn(taskArn)}`;
}

/** MinHealthyPercent → the fewest instances that must stay available. minAvailable(5, 80) === 4. */
export function minAvailable(instances: number, minHealthyPercent: number): number {
  return Math.ceil((instances * minHealthyPercent) / 100);
}

/** MaxOver → how many instances may run two copies at once. maxSurge(10, '20%') === 2, at least 1. */
export function maxSurge(instances: number, maxOver: number | `${number}%`): number {
  if (typeof maxOver === 'number') return maxOver;
  return Math.max(1, Math.floor((instances * Number(maxOver.slice(0, -1))) / 100));
}

export function plan(state: PlannerState, observed: Observed, now: number): Plan {
  const events: PlannerEvent[] = [];
  const actions: PlannerAction[] = [];
  const T = state.revision;
  const config = state.configuration;
  const groupArns = new Set(observed.instances.map((i) => i.arn));
  const active = observed.instances.filter((i) => i.status === 'ACTIVE');
  const N = active.length;

  const ready = (t: ObservedTask) =>
    t.lastStatus === 'RUNNING' &&
    t.desiredStatus === 'RUNNING' &&
    (t.revision === T ? !observed.targetHealthChecked || t.health === 'HEALTHY' : t.health !== 'UNHEALTHY');

  // ── Bookkeeping: which planned launches and stops are settled, lost, or still in flight ──
  const keysSeen = new Set(observed.tasks.map((t) => t.actionKey).filter((k): k is string => !!k));
  const settledLaunches = state.launches.filter((l) => keysSeen.has(l.key)).map((l) => l.key);
  const inFlightLaunch = new Map(
    state.launches.filter((l) => !keysSeen.has(l.key) && now - l.at < LAUNCH_TIMEOUT_MS).map((l) => [l.instanceArn, l]),
  );
  // Only the tasks with a stop on record (a map of every task costs more than the rest of the plan).
  const stopArns = new Set(state.stops.map((s) => s.taskArn));
  const taskByArn = new Map(observed.tasks.filter((t) => stopArns.has(t.arn)).map((t) => [t.arn, t]));
  const settledStops = state.stops.filter((s) => taskByArn.get(s.taskArn)?.desiredStatus !== 'RUNNING').map((s) => s.key);
  const stopInFlight = new Set(
    state.stops.filter((s) => taskByArn.get(s.taskArn)?.desiredStatus === 'RUNNING' && now - s.at < STOP_TIMEOUT_MS).map((s) => s.taskArn),
  );
  if (settledLaunches.length > 0) events.push({ type: 'LaunchesSettled', keys: settledLaunches, at: now });
  if (settledStops.length > 0) events.push({ type: 'StopsSettled', keys: settledStops, at: now });

  // ── Counts (DESIRED follows membership; CURRENT counts running tasks) ──
  const counts = countRevisions(state, observed, N);
  if (!sameCounts(counts, state.counts)) events.push({ type: 'RevisionCountsChanged', counts, at: now });

  // ── Per-instance view ──
  const live = observed.tasks.filter(WANTS_TO_RUN);
  const onInstance = new Map<string, ObservedTask[]>();
  for (const t of live) {
    const here = onInstance.get(t.instanceArn);
    if (here) here.push(t);
    else onInstance.set(t.instanceArn, [t]);
  }
  // Indexes for the per-instance loops (each a single pass over the tasks: plan() is O(tasks + instances)).
  const activeArns = new Set(active.map((i) => i.arn));
  /** Instances with an old task still alive (stopping counts). */
  const oldAliveOn = new Set<string>();
  /** Target tasks that stopped on their own, per instance. */
  const crashesOn = new Map<string, ObservedTask[]>();
  for (const t of observed.tasks) {
    if (t.revision !== T && LIVE(t)) oldAliveOn.add(t.instanceArn);
    if (t.revision === T && stoppedAbnormally(t)) {
      const here = crashesOn.get(t.instanceArn);
      if (here) here.push(t);
      else crashesOn.set(t.instanceArn, [t]);
    }
  }
  const liveOld = live.filter((t) => t.revision !== T);
  const readyTargets = active.filter((i) => (onInstance.get(i.arn) ?? []).some((t) => t.revision === T && ready(t))).length;

  // ── Completion ──
  // A revision whose tasks keep exiting is not done, even at an instant when every copy is up.
  // Long enough to see two crashes even at the longest restart back-off (60 s).
  const crashLoopWindowMs = Math.max(config.StuckAfterSeconds * 1000, 3 * launchBackoffMs(Infinity));
  const crashLoop = crashLoopReason(observed, T, now - crashLoopWindowMs);
  const stillStopping = observed.tasks.some((t) => t.revision !== T && LIVE(t));
  const extraTargets = [...onInstance.values()].some((ts) => ts.filter((t) => t.revision === T).length > 1);
  if (readyTargets === N && liveOld.length === 0 && !stillStopping && !extraTargets && !crashLoop) {
    events.push({
      type: 'DeploymentCompleted',
      revision: T,
      retired: state.draining.map((d) => ({ revision: d.revision, status: d.status === 'Reverting' ? 'Reverted' : 'Inactive' })),
      at: now,
    });
    return { events, actions };
  }

  // ── Progress and health ──
  const mark = { ready: readyTargets, old: observed.tasks.filter((t) => t.revision !== T && LIVE(t)).length };
  // While the revision crash-loops, copies coming back up (and going down again) are not progress.
  const progressed = !crashLoop && (mark.ready > state.progressMark.ready || mark.old < state.progressMark.old);
  if (!crashLoop && (mark.ready !== state.progressMark.ready || mark.old !== state.progressMark.old)) {
    events.push({ type: 'DeploymentProgressed', ready: mark.ready, old: mark.old, at: now });
  }
  const lastProgressAt = progressed ? now : state.lastProgressAt;
  let health = state.health;
  if (progressed && health) {
    events.push({ type: 'DeploymentResumed', at: now });
    health = undefined;
  }

  if (state.frozen) return { events, actions };

  // ── Availability budget ──
  const isAvailable = (i: ObservedInstance) => (onInstance.get(i.arn) ?? []).some((t) => ready(t) && !stopInFlight.has(t.arn));
  let available = active.filter(isAvailable).length;
  const floor = state.initial ? 0 : minAvailable(N, config.MinHealthyPercent);
  const surge = config.Method === 'Surge';
  const surgeLimit = maxSurge(N, config.MaxOver);

  const failures = new Map(Object.entries(state.failures));
  const launchKeys = new Set(state.launches.map((l) => l.key));
  const launchesOn = new Map<string, number>();
  for (const l of state.launches) if (l.revision === T) launchesOn.set(l.instanceArn, (launchesOn.get(l.instanceArn) ?? 0) + 1);
  const start = (instanceArn: string, reason: string) => {
    let attempt = (failures.get(instanceArn)?.count ?? 0) + (launchesOn.get(instanceArn) ?? 0);
    let key = launchKey(state.deploymentId, T, instanceArn, attempt);
    // Never reuse a key a task still carries (its launch settled, then it crashed or was stopped) or
    // a launch on record holds: the queue would drop it as a duplicate and the executor would find
    // that task and call it done — nothing would start, and the instance would be retried forever.
    while (keysSeen.has(key) || launchKeys.has(key)) key = launchKey(state.deploymentId, T, instanceArn, ++attempt);
    events.push({ type: 'TaskLaunchPlanned', key, instanceArn, revision: T, reason, at: now });
    actions.push({ type: 'StartTask', key, environment: state.environment, deploymentId: state.deploymentId, epoch: state.epoch, revision: T, cluster: state.cluster, taskDefinition: state.taskDefinition, instanceArn, reason });
  };
  const stop = (task: ObservedTask, reason: string) => {
    const key = stopKey(task.arn);
    stopInFlight.add(task.arn);
    events.push({ type: 'TaskStopPlanned', key, taskArn: task.arn, instanceArn: task.instanceArn, revision: task.revision, reason, at: now });
    actions.push({ type: 'StopTask', key, environment: state.environment, deploymentId: state.deploymentId, epoch: state.epoch, revision: task.revision, cluster: state.cluster, taskArn: task.arn, reason });
  };

  // Tasks outside the group's ACTIVE instances are not part of the target: old ones go, freely.
  for (const t of liveOld) {
    if (!stopInFlight.has(t.arn) && (!groupArns.has(t.instanceArn) || !activeArns.has(t.instanceArn))) {
      stop(t, groupArns.has(t.instanceArn) ? 'instance is DRAINING' : 'instance left the instance group');
    }
  }
  for (const t of live) {
    if (t.revision === T && !groupArns.has(t.instanceArn) && !stopInFlight.has(t.arn)) stop(t, 'instance left the instance group');
  }

  let wakeAt: number | undefined;
  const wake = (at: number) => {
    wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
  };
  for (const l of inFlightLaunch.values()) wake(l.at + LAUNCH_TIMEOUT_MS);
  const blockers: string[] = [];
  /** Something is on its way (a task starting, an old one stopping): not stuck on the budget. */
  let moving = inFlightLaunch.size > 0 || stopInFlight.size > 0;
  let surgeInUse = 0;
  const replaceCandidates: ObservedInstance[] = [];
  const surgeCandidates: ObservedInstance[] = [];
  const surgeRetries: ObservedInstance[] = [];
  const priorityStarts: Array<{ instance: ObservedInstance; reason: string; retry: boolean }> = [];

  for (const instance of active) {
    const tasks = onInstance.get(instance.arn) ?? [];
    const targets = tasks.filter((t) => t.revision === T);
    // Old tasks that still want to run, and old tasks still alive at all (stopping counts: the host
    // is not free of the old version until ECS says STOPPED).
    const olds = tasks.filter((t) => t.revision !== T);
    const oldAlive = oldAliveOn.has(instance.arn);
    // Never two target tasks on one instance: keep the most advanced one.
    if (targets.length > 1) {
      const keep = [...targets].sort((a, b) => rank(b, ready) - rank(a, ready))[0]!;
      for (const extra of targets) if (extra !== keep && !stopInFlight.has(extra.arn)) stop(extra, 'a second copy of the revision on one instance');
    }
    const target = targets.find((t) => ready(t)) ?? targets[0];
    const launching = inFlightLaunch.has(instance.arn);
    const failure = failures.get(instance.arn);

    if (target || launching) {
      if (oldAlive) surgeInUse++;
      if (launching || (target && target.lastStatus !== 'RUNNING')) moving = true;
      if (target && target.lastStatus === 'RUNNING' && !ready(target) && target.health !== 'UNHEALTHY') {
        moving = true;
        wake(now + HEALTH_POLL_MS);
      }
      if (target && ready(target)) {
        // The new task is ready: the old one may go without costing availability.
        for (const old of olds) if (!stopInFlight.has(old.arn)) stop(old, `revision ${T} is ready on this instance`);
      } else if (target && target.lastStatus === 'RUNNING' && target.health === 'UNHEALTHY') {
        blockers.push(`task of revision ${T} on ${shortArn(instance.arn)} is UNHEALTHY`);
      }
      continue;
    }
    // No target task and none on its way. A target task that stopped on its own here backs off
    // like a failed launch (a crash loop must not turn into a tight restart loop).
    const crashes = crashesOn.get(instance.arn) ?? [];
    const lastCrash = Math.max(0, ...crashes.map((t) => t.stoppedAt ?? 0));
    if (crashes.length > 0 && now - lastCrash < launchBackoffMs(crashes.length)) {
      wake(lastCrash + launchBackoffMs(crashes.length));
      moving = true;
      continue;
    }
    if (failure && now - failure.lastAt < launchBackoffMs(failure.count)) {
      blockers.push(failure.reason);
      wake(failure.lastAt + launchBackoffMs(failure.count));
      continue;
    }
    if (!oldAlive) {
      if (failure) blockers.push(failure.reason);
      priorityStarts.push({ instance, reason: failure ? `retry after: ${failure.reason}` : 'instance runs no task of the environment', retry: !!failure });
    } else if (olds.length === 0 || olds.every((o) => stopInFlight.has(o.arn))) {
      // Waiting for the old task to stop.
      moving = true;
    } else if (surge && crashes.length > 0) {
      // Its surge copy stopped on its own: retrying it here comes first (the old task still runs).
      surgeRetries.push(instance);
    } else if (surge) {
      surgeCandidates.push(instance);
    } else {
      replaceCandidates.push(instance);
    }
  }

  // (1) retries, (2) instances with no task at all.
  priorityStarts.sort((a, b) => Number(b.retry) - Number(a.retry));
  for (const p of priorityStarts) start(p.instance.arn, p.reason);

  // A target task that stopped on its own lately: hold new replacements (Replace) and new surge
  // copies until it has been quiet for StuckAfterSeconds — the revision may not run, and each
  // further step would put another instance at risk. Retrying the crashed instance goes on.
  const lastTargetCrash = Math.max(
    -Infinity,
    ...observed.tasks.filter((t) => t.revision === T && stoppedAbnormally(t)).map((t) => t.stoppedAt ?? now),
  );
  const holding = now - lastTargetCrash < crashLoopWindowMs;
  if (holding) {
    wake(lastTargetCrash + crashLoopWindowMs);
    surgeCandidates.length = 0;
    replaceCandidates.length = 0;
    const last = observed.tasks.find((t) => t.revision === T && stoppedAbnormally(t) && (t.stoppedAt ?? now) === lastTargetCrash);
    blockers.push(`a task of revision ${T} stopped on its own (${last?.stopCode ?? 'stopped'}: ${last?.stoppedReason ?? 'no reason given'}); holding new replacements`);
  }

  if (surge) {
    for (const instance of [...surgeRetries, ...surgeCandidates]) {
      if (surgeInUse >= surgeLimit) break;
      start(instance.arn, `surge: start revision ${T} next to the old task`);
      surgeInUse++;
    }
  } else {
    for (const instance of replaceCandidates) {
      const olds = (onInstance.get(instance.arn) ?? []).filter((t) => t.revision !== T && !stopInFlight.has(t.arn));
      const wasAvailable = isAvailable(instance);
      if (wasAvailable && available - 1 < floor) {
        if (!moving && actions.length === 0 && available <= floor) {
          blockers.push(
            `MinHealthyPercent budget is 0: ${available} of ${N} instances available, ${floor} must stay (MinHealthyPercent ${config.MinHealthyPercent})`,
          );
        }
        break;
      }
      for (const old of olds) stop(old, `replace: make room for revision ${T}`);
      if (wasAvailable) available--;
    }
  }

  // ── Stuck and Failing ──
  if (crashLoop) {
    blockers.unshift(crashLoop.reason);
    wake(crashLoop.lastAt + crashLoopWindowMs); // it may be over by then
  }
  // The budget is the cause only when nothing else blocks (a failed launch on an instance, say,
  // is what holds the budget down, and is the reason to report).
  const budgetZero = blockers.length === 1 ? blockers.find((b) => b.startsWith('MinHealthyPercent budget is 0')) : undefined;
  if (!budgetZero) {
    const i = blockers.findIndex((b) => b.startsWith('MinHealthyPercent budget is 0'));
    if (i >= 0 && blockers.length > 1) blockers.push(...blockers.splice(i, 1));
  }
  const stuckFor = now - lastProgressAt;
  if (!health && (budgetZero || stuckFor >= config.StuckAfterSeconds * 1000)) {
    const reason = budgetZero ?? blockers[0] ?? `no progress for ${Math.round(stuckFor / 1000)} s`;
    events.push({ type: 'DeploymentStuck', reason, at: now });
    health = { status: 'Stuck', since: now, reason };
  }
  if (health?.status === 'Stuck' && now - health.since >= config.FailingAfterSeconds * 1000) {
    events.push({ type: 'DeploymentFailing', reason: health.reason, at: now });
  } else if (health?.status === 'Stuck') {
    wake(health.since + config.FailingAfterSeconds * 1000);
  } else if (!health) {
    wake(lastProgressAt + config.StuckAfterSeconds * 1000);
  }
  return { events, actions, wakeAt };
}

function rank(t: ObservedTask, ready: (t: ObservedTask) => boolean): number {
  if (ready(t)) return 3;
  if (t.lastStatus === 'RUNNING') return 2;
  return 1;
}

function shortArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** A task that stopped without Blox asking: it failed to start, or its essential container exited. */
export function stoppedAbnormally(t: ObservedTask): boolean {
  return t.lastStatus === 'STOPPED' && !!t.stopCode && t.stopCode !== 'UserInitiated';
}

/** Target tasks that keep stopping on their own (since `since`): the revision cannot run; ECS says why. */
function crashLoopReason(observed: Observed, revision: number, since: number): { reason: string; lastAt: number } | undefined {
  const crashed = observed.tasks.filter((t) => t.revision === revision && stoppedAbnormally(t) && (t.stoppedAt ?? since) >= since);
  if (crashed.length < 2) return undefined;
  const last = [...crashed].sort((a, b) => (b.stoppedAt ?? since) - (a.stoppedAt ?? since))[0]!;
  const what = last.stopCode === 'TaskFailedToStart' ? 'failed to start' : 'exited';
  return {
    reason: `task crash loop: ${crashed.length} tasks of revision ${revision} ${what} (${last.stopCode}: ${last.stoppedReason ?? 'no reason given'})`,
    lastAt: last.stoppedAt ?? since,
  };
}

function countRevisions(state: PlannerState, observed: Observed, activeInstances: number): RevisionCount[] {
  const revisions = [state.revision, ...state.draining.map((d) => d.revision)].sort((a, b) => a - b);
  return revisions.map((revision) => ({
    revision,
    desired: revision === state.revision ? activeInstances : 0,
    current: observed.tasks.filter((t) => t.revision === revision && t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING').length,
  }));
}

function sameCounts(a: RevisionCount[], b: RevisionCount[]): boolean {
  return a.length === b.length && a.every((c, i) => c.revision === b[i]?.revision && c.desired === b[i]?.desired && c.current === b[i]?.current);
}

/**
 * Folds planner events (and the executor's outcomes) into the planner state.
 * The executor reports `TaskLaunchFailed` (ECS's failures[] reason) through `recordLaunchFailure`.
 */
export function applyPlannerEvent(state: PlannerState, event: PlannerEvent): PlannerState {
  switch (event.type) {
    case 'TaskLaunchPlanned':
      return { ...state, launches: [...state.launches, { key: event.key, instanceArn: event.instanceArn, revision: event.revision, at: event.at }] };
    case 'TaskStopPlanned':
      return { ...state, stops: [...state.stops.filter((s) => s.taskArn !== event.taskArn), { key: event.key, taskArn: event.taskArn, at: event.at }] };
    case 'LaunchesSettled': {
      const settled = new Set(event.keys);
      const instances = new Set(state.launches.filter((l) => settled.has(l.key)).map((l) => l.instanceArn));
      // A launch that produced a task clears the instance's failure record; a crash is counted afresh.
      const failures = Object.fromEntries(Object.entries(state.failures).filter(([arn]) => !instances.has(arn)));
      return { ...state, launches: state.launches.filter((l) => !settled.has(l.key)), failures };
    }
    case 'StopsSettled': {
      const settled = new Set(event.keys);
      return { ...state, stops: state.stops.filter((s) => !settled.has(s.key)) };
    }
    case 'RevisionCountsChanged':
      return { ...state, counts: event.counts };
    case 'DeploymentProgressed': {
      const progressed = event.ready > state.progressMark.ready || event.old < state.progressMark.old;
      return { ...state, progressMark: { ready: event.ready, old: event.old }, lastProgressAt: progressed ? event.at : state.lastProgressAt };
    }
    case 'DeploymentStuck':
      return { ...state, health: { status: 'Stuck', since: event.at, reason: event.reason } };
    case 'DeploymentFailing':
      return { ...state, health: { status: 'Failing', since: state.health?.since ?? event.at, reason: event.reason } };
    case 'DeploymentResumed':
      return { ...state, health: undefined, lastProgressAt: event.at };
    case 'DeploymentCompleted':
      return state;
    default: {
      const never: never = event;
      throw new Error(`unexpected planner event ${JSON.stringify(never)}`);
    }
  }
}

/** The executor's record of a launch ECS refused: back-off and retry priority for that instance. */
export function recordLaunchFailure(state: PlannerState, key: string, instanceArn: string, reason: string, at: number): PlannerState {
  const previous = state.failures[instanceArn];
  return {
    ...state,
    launches: state.launches.filter((l) => l.key !== key),
    failures: { ...state.failures, [instanceArn]: { count: (previous?.count ?? 0) + 1, lastAt: at, reason } },
  };
}

/**
 * Why the executor must not carry out an action any more, or undefined if it still stands:
 * the deployment it was planned for was replaced, a deploy/rollback/freeze/thaw came in since
 * (epoch), the environment is frozen, or — for a launch — the planner has settled it, recorded its
 * failure, or given it up as lost and planned it again under a new key.
 *
 * staleReason(engine with epoch 4, { …, epoch: 3 }, now) === 'planned in epoch 3, the environment is in epoch 4'
 */
export function staleReason(engine: PlannerState | undefined, action: PlannerAction, now: number): string | undefined {
  if (!engine) return 'no deployment in progress';
  if (engine.deploymentId !== action.deploymentId) return `deployment ${engine.deploymentId} replaced ${action.deploymentId}`;
  if (engine.epoch !== action.epoch) return `planned in epoch ${action.epoch}, the environment is in epoch ${engine.epoch}`;
  if (engine.frozen) return 'the environment is frozen';
  if (action.type !== 'StartTask') return undefined;
  const launch = engine.launches.find((l) => l.key === action.key);
  if (!launch) return 'the launch is no longer on record (settled or failed)';
  if (now - launch.at >= LAUNCH_TIMEOUT_MS) return `planned ${Math.round((now - launch.at) / 1000)} s ago: presumed lost and planned again`;
  return undefined;
}
