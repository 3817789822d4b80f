/**
 * The rollout core: desired vs observed → the next actions, and the events that explain them.
 * Pure: `plan(state, observed, now)`; no clock, no I/O. The engine calls it on every ECS event and
 * every tick; whatever it plans is idempotent (deterministic keys), so planning twice is harmless.
 *
 * Target: one task of the deploying revision T on every ACTIVE instance of the instance group, and
 * no task of any other revision anywhere. DRAINING instances get no new task.
 *
 * What the core owns, in order: bookkeeping (launches and stops settled, lost or still in flight),
 * DESIRED/CURRENT counts, completion, progress and health (Stuck, Failing, coverage), the moves every
 * strategy shares (old tasks off DRAINING or departed instances, a second copy on one host, the old
 * task of an instance whose new one is ready, the target on instances with no task at all — failed
 * launches first, after their back-off), the hold while the revision crashes, and the caps that keep
 * a plan and the bookkeeping within the store's limits. The strategy decides only how fast old tasks
 * make way: `daemon-replace.ts` (stop within the MinHealthyPercent budget) or `daemon-surge.ts`
 * (start next to the old one, at most MaxOver at a time). A Service deployment (`state.service`) is
 * planned by `service.ts` instead: ECS places its tasks; the plan moves scale between task sets.
 *
 * Priorities, from the walkthrough: (1) retry a failed launch (after a per-instance back-off),
 * (2) instances whose task of the environment stopped on its own (crashed, stopped by someone else),
 * (3) instances whose old task Blox stopped (the replacement goes on), (4) new instances (no task
 * ever), (5) the strategy's moves. They are planned, queued and capped in that order.
 *
 * Stuck: no progress for StuckAfterSeconds → `DeploymentStuck` with the reason (placement failure
 * and ECS's reason, crash loop, unhealthy tasks); a Replace whose budget is 0 with nothing in flight
 * is Stuck at once, never a breach. Stuck for FailingAfterSeconds → `DeploymentFailing`; the planner
 * keeps trying. Progress → `DeploymentResumed`.
 *
 * A large decision: a plan emits one `LaunchesPlanned` per reason and one `StopsPlanned` per reason,
 * each naming its batches (≤ ACTION_BATCH ids and one key each), and never puts more than
 * MAX_LAUNCHES_IN_FLIGHT launches or MAX_STOPS_IN_FLIGHT stops in flight: the rest waits for the next
 * plan. So a plan's events are a handful of items of at most ≈ 80 KB each, written with the
 * projection in one transaction (well under DynamoDB's 100 items and 4 MB), whatever the fleet.
 */
import type { LaunchBatch, Observed, ObservedTask, Plan, PlannerAction, PlannerEvent, PlannerState, RevisionCount } from './types';
import {
  ACTION_BATCH,
  chunk,
  gatherLaunches,
  HEALTH_POLL_MS,
  LAUNCH_TIMEOUT_MS,
  launchBackoffMs,
  launchBatchKey,
  MAX_LAUNCHES_IN_FLIGHT,
  MAX_STOPS_IN_FLIGHT,
  maxSurge,
  minAvailable,
  shortId,
  STOP_TIMEOUT_MS,
  stopBatchKey,
} from './keys';
import { planReplace } from './daemon-replace';
import type { ReplaceCandidate } from './daemon-replace';
import { planSurge } from './daemon-surge';
import { canaryInstances, countBreaker, readAlarms, safetyGate, watching } from './safety';
import { planService } from './service';
import { promotedSince } from './controls';

type StartKind = 'retry' | 'lost' | 'replaced' | 'new';
const START_ORDER: readonly StartKind[] = ['retry', 'lost', 'replaced', 'new'];
const START_REASONS: Record<StartKind, string> = {
  retry: 'retry after a failed launch',
  lost: 'the task of the environment stopped on this instance',
  replaced: 'replace: the old task has stopped',
  new: 'new instance: it runs no task of the environment',
};

const LIVE = (t: ObservedTask) => t.lastStatus !== 'STOPPED';
const WANTS_TO_RUN = (t: ObservedTask) => LIVE(t) && t.desiredStatus === 'RUNNING';

/** A task that stopped without Blox asking: it failed to start, or its essential container exited. */
export function stoppedAbnormally(t: ObservedTask): boolean {
  return t.lastStatus === 'STOPPED' && !!t.stopCode && t.stopCode !== 'UserInitiated';
}

export function plan(state: PlannerState, observed: Observed, now: number): Plan {
  // A Service environment moves scale between its ECS task sets (service.ts); the rest is the Daemon's.
  if (state.service) return planService(state, observed, now);
  const events: PlannerEvent[] = [];
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
  const targetKeysOn = new Map<string, Set<string>>();
  const keysSeen = new Set<string>();
  for (const t of observed.tasks) {
    if (!t.actionKey) continue;
    keysSeen.add(t.actionKey);
    if (t.revision !== T) continue;
    const id = shortId(t.instanceArn);
    const keys = targetKeysOn.get(id);
    if (keys) keys.add(t.actionKey);
    else targetKeysOn.set(id, new Set([t.actionKey]));
  }
  const settledLaunches: string[] = [];
  const lostLaunches: string[] = [];
  /** Container instance id → the batch whose launch is still on its way there. */
  const inFlightLaunch = new Map<string, LaunchBatch>();
  for (const batch of state.launches) {
    for (const id of batch.instances) {
      if (targetKeysOn.get(id)?.has(batch.key)) settledLaunches.push(id);
      else if (now - batch.at >= LAUNCH_TIMEOUT_MS) lostLaunches.push(id);
      else inFlightLaunch.set(id, batch);
    }
  }
  const stopIds = new Set(state.stops.flatMap((b) => b.tasks));
  const taskById = new Map<string, ObservedTask>();
  if (stopIds.size > 0) {
    for (const t of observed.tasks) {
      const id = shortId(t.arn);
      if (stopIds.has(id)) taskById.set(id, t);
    }
  }
  const settledStops: string[] = [];
  /** ARNs of the tasks with a stop on its way (those planned below are added). */
  const stopInFlight = new Set<string>();
  /**
   * Stops not taken within STOP_TIMEOUT_MS whose task still wants to run: sent again (below). Until
   * ECS says otherwise the task still counts as going — its first stop may yet land (it can wait in
   * the stop lane behind every other environment's), and stopping another task in its place could
   * take both down.
   */
  const resendStops: ObservedTask[] = [];
  for (const batch of state.stops) {
    for (const id of batch.tasks) {
      const task = taskById.get(id);
      if (task?.desiredStatus !== 'RUNNING') {
        settledStops.push(id);
      } else if (now - batch.at >= STOP_TIMEOUT_MS && !state.frozen && !state.paused) {
        settledStops.push(id);
        resendStops.push(task);
        stopInFlight.add(task.arn);
      } else {
        stopInFlight.add(task.arn);
      }
    }
  }
  const stopping = (t: ObservedTask) => stopInFlight.has(t.arn);
  const failures = new Map(Object.entries(state.failures));
  if (settledLaunches.length > 0) events.push({ type: 'LaunchesSettled', instances: settledLaunches, at: now });
  if (lostLaunches.length > 0) events.push({ type: 'LaunchesLost', instances: lostLaunches, at: now });
  if (settledStops.length > 0) events.push({ type: 'StopsSettled', tasks: settledStops, at: now });

  // ── Counts (DESIRED follows membership; CURRENT counts running tasks) ──
  const counts = countRevisions(state, observed, N);
  if (!sameCounts(counts, state.counts)) events.push({ type: 'RevisionCountsChanged', counts, at: now });

  // ── Per-instance view ──
  const live = observed.tasks.filter(WANTS_TO_RUN);
  const onInstance = new Map<string, ObservedTask[]>();
  for (const t of live) push(onInstance, t.instanceArn, t);
  const activeArns = new Set(active.map((i) => i.arn));
  /** Instances with an old task still alive (stopping counts). */
  const oldAliveOn = new Set<string>();
  /** Target tasks that stopped on their own, per instance. */
  const crashesOn = new Map<string, ObservedTask[]>();
  for (const t of observed.tasks) {
    if (t.revision !== T && LIVE(t)) oldAliveOn.add(t.instanceArn);
    if (t.revision === T && stoppedAbnormally(t)) push(crashesOn, t.instanceArn, t);
  }
  const liveOld = live.filter((t) => t.revision !== T);
  const readyTargets = active.filter((i) => (onInstance.get(i.arn) ?? []).some((t) => t.revision === T && ready(t))).length;

  // ── Safety: the watched alarms and the circuit breaker (safety.ts) ──
  const alarms = readAlarms(state, observed.alarms ?? [], now);
  events.push(...alarms.events);
  const breaker = countBreaker(state, observed, N, now);
  events.push(...breaker.events);
  const stopped = safetyGate(state, alarms.trip ?? breaker.trip, events, now);
  if (stopped) return stopped;
  // Paused (pause-deployment): nothing moves, nothing completes, no clock runs (controls.ts); resume wakes it.
  if (state.paused) return { events, actions: [] };

  // ── Completion ──
  // A revision whose tasks keep exiting is not done, even at an instant when every copy is up.
  // Long enough to see two crashes even at the longest restart back-off (60 s).
  const crashLoopWindowMs = Math.max(config.StuckAfterSeconds * 1000, 3 * launchBackoffMs(Infinity));
  const crashLoop = crashLoopReason(observed, T, now - crashLoopWindowMs);
  const stillStopping = observed.tasks.some((t) => t.revision !== T && LIVE(t));
  const extraTargets = [...onInstance.values()].some((ts) => ts.filter((t) => t.revision === T).length > 1);
  if (readyTargets === N && liveOld.length === 0 && !stillStopping && !extraTargets && !crashLoop) {
    // The bake: the alarms are watched BakeSeconds more before the old revision is retired.
    const bakeMs = watching(state) ? (config.BakeSeconds ?? 0) * 1000 : 0;
    if (bakeMs > 0 && state.phase?.phase !== 'Baking') {
      events.push({ type: 'BakeStarted', at: now });
      return { events, actions: [], wakeAt: now + bakeMs };
    }
    // promote-deployment ends the bake now.
    if (bakeMs > 0 && state.phase?.phase === 'Baking' && now < state.phase.since + bakeMs && !promotedSince(state, state.phase.since)) {
      return { events, actions: [], wakeAt: state.phase.since + bakeMs };
    }
    events.push({
      type: 'DeploymentCompleted',
      revision: T,
      retired: state.draining.map((d) => ({ revision: d.revision, status: d.status === 'Reverting' ? 'Reverted' : 'Inactive' })),
      at: now,
    });
    return { events, actions: [] };
  }

  // ── Canary (Daemon): its instances first, then their bake, then the rest ──
  let phase = state.phase;
  const canaryRule = config.Canary;
  if (canaryRule && phase?.phase === 'Canary') {
    const k = canaryInstances(N, canaryRule.Instances);
    if (N > 0 && readyTargets >= k && !crashLoop) {
      events.push({ type: 'CanaryBakeStarted', instances: k, at: now });
      phase = { phase: 'CanaryBaking', instances: k, since: now };
    }
  }
  if (canaryRule && phase?.phase === 'CanaryBaking' && (now >= phase.since + canaryRule.BakeSeconds * 1000 || promotedSince(state, phase.since))) {
    events.push({ type: 'CanaryPassed', at: now });
    phase = { phase: 'Rolling' };
  }

  // ── Progress and health ──
  const mark = { ready: readyTargets, old: observed.tasks.filter((t) => t.revision !== T && LIVE(t)).length };
  // While the revision crash-loops, copies coming back up (and going down again) are not progress.
  const progressed = !crashLoop && (mark.ready > state.progressMark.ready || mark.old < state.progressMark.old);
  if (!crashLoop && (mark.ready !== state.progressMark.ready || mark.old !== state.progressMark.old)) {
    events.push({ type: 'DeploymentProgressed', ready: mark.ready, old: mark.old, at: now });
  }
  const lastProgressAt = progressed || phase?.phase !== state.phase?.phase ? now : state.lastProgressAt;
  let health = state.health;
  if (progressed && health) {
    events.push({ type: 'DeploymentResumed', at: now });
    health = undefined;
  }

  let wakeAt: number | undefined;
  const wake = (at: number) => {
    wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
  };
  coverage(state, N - readyTargets, N, now, events, wake);
  const canaryBaking = phase?.phase === 'CanaryBaking';
  if (phase?.phase === 'CanaryBaking' && canaryRule) wake(phase.since + canaryRule.BakeSeconds * 1000);
  /** Instances the rollout has touched (a task of the revision, one on its way, or its old task going): the canary's count. */
  let touched = 0;

  if (state.frozen) return { events, actions: [], wakeAt };

  // ── Moves ──
  const launchRequests: Array<{ instanceArn: string; reason: string }> = [];
  const stopRequests: Array<{ task: ObservedTask; reason: string }> = [];
  const start = (instanceArn: string, reason: string) => launchRequests.push({ instanceArn, reason });
  const stop = (task: ObservedTask, reason: string) => {
    stopInFlight.add(task.arn);
    stopRequests.push({ task, reason });
  };
  for (const t of resendStops) stop(t, `the stop was not taken within ${STOP_TIMEOUT_MS / 1000} s: sent again`);

  // Tasks outside the group's ACTIVE instances are not part of the target: old ones go, freely.
  for (const t of liveOld) {
    if (!stopping(t) && (!groupArns.has(t.instanceArn) || !activeArns.has(t.instanceArn))) {
      stop(t, groupArns.has(t.instanceArn) ? 'instance is DRAINING' : 'instance left the instance group');
    }
  }
  for (const t of live) {
    if (t.revision === T && !groupArns.has(t.instanceArn) && !stopping(t)) stop(t, 'instance left the instance group');
  }

  for (const l of inFlightLaunch.values()) wake(l.at + LAUNCH_TIMEOUT_MS);
  const blockers: string[] = [];
  /** Something is on its way (a task starting, an old one stopping): not stuck on the budget. */
  let moving = inFlightLaunch.size > 0 || stopInFlight.size > 0;
  let surgeInUse = 0;
  const isAvailable = (arn: string) => (onInstance.get(arn) ?? []).some((t) => ready(t) && !stopping(t));
  const replaceCandidates: ReplaceCandidate[] = [];
  const surgeCandidates: string[] = [];
  const surgeRetries: string[] = [];
  /** Instances with no task: a failed launch to retry, a task of the environment that stopped here, or a new instance. */
  const priorityStarts: Array<{ instanceArn: string; kind: StartKind }> = [];
  /** Instances whose old task Blox stopped (a replacement under way), and those whose task stopped otherwise. */
  const replacedOn = new Map<string, number | undefined>();
  const lostOn = new Set<string>();
  /** Old tasks on their way down (Blox's stops, and ECS's): replacements still to come. */
  let oldStopping = 0;
  for (const t of observed.tasks) {
    if (LIVE(t)) {
      if (t.revision !== T && (t.desiredStatus !== 'RUNNING' || stopping(t))) oldStopping++;
      continue;
    }
    if (t.revision !== T && t.stopCode === 'UserInitiated') replacedOn.set(t.instanceArn, Math.max(replacedOn.get(t.instanceArn) ?? -Infinity, t.stoppedAt ?? -Infinity));
    else lostOn.add(t.instanceArn);
  }

  for (const instance of active) {
    const tasks = onInstance.get(instance.arn) ?? [];
    const targets = tasks.filter((t) => t.revision === T);
    // Old tasks that still want to run; an old task still alive at all (stopping counts: the host is
    // not free of the old version until ECS says STOPPED).
    const olds = tasks.filter((t) => t.revision !== T);
    const oldAlive = oldAliveOn.has(instance.arn);
    // Never two target tasks on one instance: keep the most advanced one.
    if (targets.length > 1) {
      const keep = [...targets].sort((a, b) => rank(b, ready) - rank(a, ready))[0];
      for (const extra of targets) if (extra !== keep && !stopping(extra)) stop(extra, 'a second copy of the revision on one instance');
    }
    const target = targets.find((t) => ready(t)) ?? targets[0];
    const id = shortId(instance.arn);
    const launching = inFlightLaunch.has(id);
    const failure = failures.get(id);

    const crashes = crashesOn.get(instance.arn) ?? [];
    if (target || launching || crashes.length > 0 || (oldAlive && olds.every(stopping)) || (!oldAlive && replacedOn.has(instance.arn))) touched++;
    if (target || launching) {
      if (oldAlive) surgeInUse++;
      if (launching || (target && target.lastStatus !== 'RUNNING')) moving = true;
      if (target && target.lastStatus === 'RUNNING' && !ready(target) && target.health !== 'UNHEALTHY') {
        moving = true;
        wake(now + HEALTH_POLL_MS);
      }
      if (target && ready(target)) {
        // The new task is ready: the old one may go without costing availability.
        for (const old of olds) if (!stopping(old)) stop(old, `revision ${T} is ready on this instance`);
      } else if (target && target.lastStatus === 'RUNNING' && target.health === 'UNHEALTHY') {
        blockers.push(`task of revision ${T} on ${id} is UNHEALTHY`);
      }
      continue;
    }
    // No target task and none on its way. A target task that stopped on its own here backs off
    // like a failed launch (a crash loop must not turn into a tight restart loop).
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
      priorityStarts.push({ instanceArn: instance.arn, kind: failure ? 'retry' : lostOn.has(instance.arn) ? 'lost' : replacedOn.has(instance.arn) ? 'replaced' : 'new' });
    } else if (olds.length === 0 || olds.every(stopping)) {
      moving = true; // waiting for the old task to stop
    } else if (config.Method === 'Surge' && crashes.length > 0) {
      surgeRetries.push(instance.arn); // its surge copy stopped on its own: retrying it comes first
    } else if (config.Method === 'Surge') {
      surgeCandidates.push(instance.arn);
    } else {
      replaceCandidates.push({ instanceArn: instance.arn, olds: olds.filter((o) => !stopping(o)), available: isAvailable(instance.arn) });
    }
  }

  // (1) retries, (2) instances whose task stopped on its own, (3) replacements whose old task has
  // stopped, (4) new instances; then the strategy's moves.
  // Replacements fill StartTask calls while more old tasks are stopping (gatherLaunches).
  for (const kind of START_ORDER) {
    const starts = priorityStarts.filter((p) => p.kind === kind);
    if (kind !== 'replaced') {
      for (const p of starts) start(p.instanceArn, START_REASONS[kind]);
      continue;
    }
    const ready = starts.map((p) => ({ instanceArn: p.instanceArn, stoppedAt: replacedOn.get(p.instanceArn) })).sort((a, b) => (a.stoppedAt ?? -Infinity) - (b.stoppedAt ?? -Infinity));
    const gathered = gatherLaunches(ready, oldStopping, now);
    for (const p of gathered.send) start(p.instanceArn, START_REASONS[kind]);
    if (gathered.until !== undefined) {
      moving = true;
      wake(gathered.until);
    }
  }

  // A target task that stopped on its own lately: hold the strategy's moves until it has been quiet
  // for the crash-loop window — the revision may not run, and each further step would put another
  // instance at risk. Retrying the crashed instance goes on.
  const lastTargetCrash = Math.max(-Infinity, ...observed.tasks.filter((t) => t.revision === T && stoppedAbnormally(t)).map((t) => t.stoppedAt ?? now));
  const holding = now - lastTargetCrash < crashLoopWindowMs;
  if (holding) {
    wake(lastTargetCrash + crashLoopWindowMs);
    const last = observed.tasks.find((t) => t.revision === T && stoppedAbnormally(t) && (t.stoppedAt ?? now) === lastTargetCrash);
    blockers.push(`a task of revision ${T} stopped on its own (${last?.stopCode ?? 'stopped'}: ${last?.stoppedReason ?? 'no reason given'}); holding new replacements`);
  }
  // The canary: while it deploys, the strategy touches no more than its instances; while it bakes, none more.
  const canaryRoom = phase?.phase === 'Canary' ? Math.max(0, canaryInstances(N, canaryRule?.Instances ?? 1) - touched) : canaryBaking ? 0 : Infinity;
  if (config.Method === 'Surge') {
    const candidates = holding ? [] : surgeCandidates;
    const planned = planSurge({ retries: surgeRetries, candidates, inUse: surgeInUse, limit: maxSurge(N, config.MaxOver) });
    for (const arn of planned.slice(0, surgeRetries.length + Math.min(canaryRoom, planned.length))) {
      start(arn, `surge: start revision ${T} next to the old task`);
    }
  } else if (!holding) {
    const floor = state.initial ? 0 : minAvailable(N, config.MinHealthyPercent);
    const moves = planReplace({
      candidates: replaceCandidates,
      instances: N,
      available: active.filter((i) => isAvailable(i.arn)).length,
      floor,
      minHealthyPercent: config.MinHealthyPercent,
      moving: moving || launchRequests.length > 0 || stopRequests.length > 0,
    });
    for (const c of moves.stop.slice(0, canaryRoom)) for (const old of c.olds) stop(old, `replace: make room for revision ${T}`);
    if (moves.budgetBlocker) blockers.push(moves.budgetBlocker);
  }

  // ── Within the caps: what is sent now, batched ──
  const launchRoom = Math.max(0, MAX_LAUNCHES_IN_FLIGHT - inFlightLaunch.size);
  const stopRoom = Math.max(0, MAX_STOPS_IN_FLIGHT - (stopInFlight.size - stopRequests.length));
  const { events: moveEvents, actions } = batchMoves(state, launchRequests.slice(0, launchRoom), stopRequests.slice(0, stopRoom), keysSeen, now);
  events.push(...moveEvents);
  if (launchRequests.length > launchRoom || stopRequests.length > stopRoom) wake(now + HEALTH_POLL_MS);

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
  if (!health && !canaryBaking && (budgetZero || stuckFor >= config.StuckAfterSeconds * 1000)) {
    const reason = budgetZero ?? blockers[0] ?? `no progress for ${Math.round(stuckFor / 1000)} s`;
    events.push({ type: 'DeploymentStuck', reason, at: now });
    health = { status: 'Stuck', since: now, reason };
  }
  if (health?.status === 'Stuck' && now - health.since >= config.FailingAfterSeconds * 1000) {
    events.push({ type: 'DeploymentFailing', reason: health.reason, at: now });
  } else if (health?.status === 'Stuck') {
    wake(health.since + config.FailingAfterSeconds * 1000);
  } else if (!health && !canaryBaking) {
    wake(lastProgressAt + config.StuckAfterSeconds * 1000);
  }
  return { events, actions, wakeAt };
}

/**
 * The launches and stops of one plan as events (one per reason) and executor actions (one per
 * batch of ≤ ACTION_BATCH). A launch batch's key differs from every key a task carries or a batch on
 * record holds: the queue would drop a repeated key as a duplicate, and the executor would take
 * an old task carrying it for this launch.
 */
function batchMoves(
  state: PlannerState,
  launches: Array<{ instanceArn: string; reason: string }>,
  stops: Array<{ task: ObservedTask; reason: string }>,
  keysSeen: ReadonlySet<string>,
  now: number,
): { events: PlannerEvent[]; actions: PlannerAction[] } {
  const events: PlannerEvent[] = [];
  const actions: PlannerAction[] = [];
  const common = { environment: state.environment, deploymentId: state.deploymentId, epoch: state.epoch, revision: state.revision, cluster: state.cluster };
  const used = new Set([...keysSeen, ...state.launches.map((b) => b.key)]);
  for (const [reason, arns] of groupBy(launches, (l) => l.reason, (l) => l.instanceArn)) {
    const batches = chunk(arns, ACTION_BATCH).map((instanceArns) => {
      const ids = instanceArns.map(shortId);
      let salt = 0;
      let key = launchBatchKey(state.deploymentId, state.revision, ids, now, salt);
      while (used.has(key)) key = launchBatchKey(state.deploymentId, state.revision, ids, now, ++salt);
      used.add(key);
      actions.push({ type: 'StartTasks', key, ...common, taskDefinition: state.taskDefinition, instanceArns, reason });
      return { key, instances: ids };
    });
    events.push({ type: 'LaunchesPlanned', revision: state.revision, reason, batches, at: now });
  }
  for (const [reason, tasks] of groupBy(stops, (s) => s.reason, (s) => s.task.arn)) {
    const batches = chunk(tasks, ACTION_BATCH).map((taskArns) => {
      const ids = taskArns.map(shortId);
      const key = stopBatchKey(ids, now);
      actions.push({ type: 'StopTasks', key, ...common, taskArns, reason });
      return { key, tasks: ids };
    });
    events.push({ type: 'StopsPlanned', reason, batches, at: now });
  }
  return { events, actions };
}

/**
 * Daemon coverage (the seed: "if a configurable number of instances are without the correct
 * version of a Daemon task for a configurable amount of time, the deployment will enter the
 * Failing state … it will continue to try and make progress").
 * Coverage { MaxInstancesWithout: 2, ForSeconds: 60 }, 10 instances, 7 with a ready target task:
 * 3 > 2 → CoverageDropped now; still 3 without 60 s later → CoverageFailing; ≤ 2 → CoverageRestored.
 */
function coverage(state: PlannerState, without: number, instances: number, now: number, events: PlannerEvent[], wake: (at: number) => void): void {
  const rule = state.configuration.Coverage;
  if (!rule) return;
  if (without <= rule.MaxInstancesWithout) {
    if (state.coverage) events.push({ type: 'CoverageRestored', at: now });
    return;
  }
  if (!state.coverage) {
    events.push({ type: 'CoverageDropped', without, at: now });
    wake(now + rule.ForSeconds * 1000);
    return;
  }
  if (state.coverage.failing) return;
  if (now - state.coverage.since >= rule.ForSeconds * 1000) {
    const reason = `coverage: ${without} of ${instances} instances without a ready task of revision ${state.revision} for ${Math.round((now - state.coverage.since) / 1000)} s (Coverage.MaxInstancesWithout ${rule.MaxInstancesWithout})`;
    events.push({ type: 'CoverageFailing', without, reason, at: now });
  } else {
    wake(state.coverage.since + rule.ForSeconds * 1000);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function groupBy<T, V>(items: readonly T[], key: (item: T) => string, value: (item: T) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const item of items) push(groups, key(item), value(item));
  return groups;
}

function rank(t: ObservedTask, ready: (t: ObservedTask) => boolean): number {
  if (ready(t)) return 3;
  if (t.lastStatus === 'RUNNING') return 2;
  return 1;
}

/** Target tasks that keep stopping on their own (since `since`): the revision cannot run; ECS says why. */
function crashLoopReason(observed: Observed, revision: number, since: number): { reason: string; lastAt: number } | undefined {
  const crashed = observed.tasks.filter((t) => t.revision === revision && stoppedAbnormally(t) && (t.stoppedAt ?? since) >= since);
  if (crashed.length < 2) return undefined;
  const last = crashed.reduce((a, b) => ((b.stoppedAt ?? since) > (a.stoppedAt ?? since) ? b : a));
  const what = last.stopCode === 'TaskFailedToStart' ? 'failed to start' : 'exited';
  return {
    reason: `task crash loop: ${crashed.length} tasks of revision ${revision} ${what} (${last.stopCode}: ${last.stoppedReason ?? 'no reason given'})`,
    lastAt: last.stoppedAt ?? since,
  };
}

function countRevisions(state: PlannerState, observed: Observed, activeInstances: number): RevisionCount[] {
  const running = new Map<number, number>();
  for (const t of observed.tasks) if (t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING') running.set(t.revision, (running.get(t.revision) ?? 0) + 1);
  const revisions = [state.revision, ...state.draining.map((d) => d.revision)].sort((a, b) => a - b);
  return revisions.map((revision) => ({ revision, desired: revision === state.revision ? activeInstances : 0, current: running.get(revision) ?? 0 }));
}

function sameCounts(a: RevisionCount[], b: RevisionCount[]): boolean {
  return a.length === b.length && a.every((c, i) => c.revision === b[i]?.revision && c.desired === b[i]?.desired && c.current === b[i]?.current);
}

