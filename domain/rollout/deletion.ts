/**
 * delete-environment: scaling an environment to zero and removing what it runs in ECS.
 * Pure: `planDeletion(state, observed, now)`, called by the engine instead of `plan` while the
 * environment is being deleted (`state.deleting`).
 *
 * - Daemon: every task of the environment that still wants to run is stopped, in batches of
 *   ACTION_BATCH (one StopTasks message each), at most MAX_STOPS_IN_FLIGHT in flight: the rollout's
 *   stops (`StopsPlanned` / `StopsSettled`), so they go through the executor and the ECS budget.
 *   Done when no task of the environment is left that is not STOPPED.
 * - Service: one UpdateService action, in order: the service's desired count to 0, every task set's
 *   scale to 0, every task set deleted, the service deleted (EXTERNAL controller: DeleteService after
 *   the scale-down). Done when ECS says the service is INACTIVE (or does not know it).
 *
 * Counts: CURRENT is the tasks still alive (not STOPPED) of each revision, DESIRED 0. Progress is
 * fewer tasks alive; no progress for StuckAfterSeconds → `DeploymentStuck` with the reason (which
 * task, or what ECS says of the service), then `DeploymentFailing` after FailingAfterSeconds; the
 * engine keeps trying (a stop not taken after STOP_TIMEOUT_MS is sent again).
 *
 * A step ECS refuses with a client error (the executor's `ServiceUpdateRefused`) is Stuck at once, with
 * ECS's reason; the step goes again with the next minute's key.
 *
 * Without --force (asked when no task was counted), nothing is ever stopped: tasks found running (a
 * Daemon's; a Service's, or a desired count above 0) hold the deletion `Stuck` at once, saying
 * `delete-environment --force` is needed; a Service at 0 is deleted as above (no SetDesiredCount).
 *
 * Worked example (Daemon, tasks a and b of revision 1 RUNNING, nothing planned yet, now = t):
 *   → RevisionCountsChanged [{1, desired 0, current 2}], StopsPlanned {batches [{key stop-…-t, tasks [a, b]}]},
 *     DeploymentProgressed {ready 0, old 2}, one StopTasks action; wake at t + 5 s.
 * Both STOPPED later, on a full look: → StopsSettled [a, b], counts {1, 0, 0}, progress {0, 0},
 *   DeletionCompleted.
 */
import { fnv1a64 } from '../identity';
import { ACTION_BATCH, chunk, HEALTH_POLL_MS, MAX_STOPS_IN_FLIGHT, shortId, STOP_TIMEOUT_MS, stopBatchKey } from './keys';
import { SERVICE_POLL_MS } from './service';
import type { Observed, ObservedTask, Plan, PlannerAction, PlannerEvent, PlannerState, RevisionCount, ServiceOperation } from './types';

export const DELETE_STOP_REASON = 'delete-environment: stop every task of the environment';

/**
 * A Daemon deletion's backstop look while tasks are stopping: their STOPPED events drive it; this
 * only catches one that never came (and a stop to send again after STOP_TIMEOUT_MS).
 */
const DAEMON_POLL_MS = 5 * HEALTH_POLL_MS;

export function planDeletion(state: PlannerState, observed: Observed, now: number): Plan {
  return state.service ? planServiceDeletion(state, observed, now) : planDaemonDeletion(state, observed, now);
}

function planDaemonDeletion(state: PlannerState, observed: Observed, now: number): Plan {
  const events: PlannerEvent[] = [];
  const actions: PlannerAction[] = [];
  const alive = observed.tasks.filter((t) => t.lastStatus !== 'STOPPED');

  // Stops on record: settled once the task no longer wants to run (or is gone), sent again after STOP_TIMEOUT_MS.
  const byId = new Map(observed.tasks.map((t) => [shortId(t.arn), t]));
  const settled: string[] = [];
  const inFlight = new Set<string>();
  for (const batch of state.stops) {
    for (const id of batch.tasks) {
      const task = byId.get(id);
      if (task?.desiredStatus !== 'RUNNING' || task.lastStatus === 'STOPPED' || now - batch.at >= STOP_TIMEOUT_MS) settled.push(id);
      else inFlight.add(task.arn);
    }
  }
  if (settled.length > 0) events.push({ type: 'StopsSettled', tasks: settled, at: now });

  const counts = deletionCounts(state, alive);
  if (!sameCounts(counts, state.counts)) events.push({ type: 'RevisionCountsChanged', counts, at: now });

  const wanted = alive.filter((t) => t.desiredStatus === 'RUNNING' && !inFlight.has(t.arn));
  if (wanted.length > 0 && !forced(state)) {
    // Asked without --force when none was counted: the tasks found running are not stopped; held, Stuck at once, saying how to go on.
    const reason = `delete-environment: ${wanted.length} task(s) of the environment are running (the deletion was asked without --force, when none were counted): delete-environment --force stops them`;
    return { events: [...events, ...hold(state, alive.length, reason, now)], actions, wakeAt: wakeAt(state, alive.length, now, DAEMON_POLL_MS) };
  }
  const toStop = wanted.slice(0, Math.max(0, MAX_STOPS_IN_FLIGHT - inFlight.size));
  if (toStop.length > 0) {
    const common = { environment: state.environment, deploymentId: state.deploymentId, epoch: state.epoch, revision: state.revision, cluster: state.cluster };
    const batches = chunk(
      toStop.map((t) => t.arn),
      ACTION_BATCH,
    ).map((taskArns) => {
      const ids = taskArns.map(shortId);
      const key = stopBatchKey(ids, now);
      actions.push({ type: 'StopTasks', key, ...common, taskArns, reason: DELETE_STOP_REASON });
      return { key, tasks: ids };
    });
    events.push({ type: 'StopsPlanned', reason: DELETE_STOP_REASON, batches, at: now });
  }

  if (alive.length === 0 && inFlight.size === 0) {
    if (state.progressMark.old !== 0) events.push({ type: 'DeploymentProgressed', ready: 0, old: 0, at: now });
    events.push({ type: 'DeletionCompleted', at: now });
    return { events, actions };
  }
  const blocker = stuckTask(alive, inFlight);
  return { events: [...events, ...health(state, alive.length, blocker, now)], actions, wakeAt: wakeAt(state, alive.length, now, DAEMON_POLL_MS) };
}

function planServiceDeletion(state: PlannerState, observed: Observed, now: number): Plan {
  const events: PlannerEvent[] = [];
  const service = observed.service;
  const target = state.service!;
  const gone = !service || service.status === 'MISSING' || service.status === 'INACTIVE';
  const alive = gone ? [] : service.taskSets.flatMap((set) => set.tasks.filter((t) => t.lastStatus !== 'STOPPED').map((t) => ({ revision: set.revision, arn: t.arn })));

  const running = new Map<number, number>();
  for (const t of alive) if (t.revision !== undefined) running.set(t.revision, (running.get(t.revision) ?? 0) + 1);
  const counts = revisionsOf(state).map((revision) => ({ revision, desired: 0, current: running.get(revision) ?? 0 }));
  if (!sameCounts(counts, state.counts)) events.push({ type: 'RevisionCountsChanged', counts, at: now });

  if (gone) {
    if (state.progressMark.old !== 0) events.push({ type: 'DeploymentProgressed', ready: 0, old: 0, at: now });
    events.push({ type: 'DeletionCompleted', at: now });
    return { events, actions: [] };
  }

  const actions: PlannerAction[] = [];
  if (service.status === 'ACTIVE' && !forced(state) && (service.desiredCount > 0 || alive.length > 0)) {
    const reason = `delete-environment: service ${target.name} runs ${alive.length} task(s) (desired count ${service.desiredCount}; the deletion was asked without --force, when none were counted): delete-environment --force scales it to zero`;
    return { events: [...events, ...hold(state, alive.length, reason, now)], actions, wakeAt: wakeAt(state, alive.length, now, SERVICE_POLL_MS) };
  }
  if (service.status === 'ACTIVE') {
    const operations: ServiceOperation[] = [];
    if (service.desiredCount > 0) operations.push({ op: 'SetDesiredCount', desiredCount: 0 });
    for (const set of service.taskSets) if (set.status !== 'DRAINING' && set.scale > 0) operations.push({ op: 'ScaleTaskSet', taskSet: set.id, scale: 0, stopTasks: [] });
    for (const set of service.taskSets) if (set.status !== 'DRAINING') operations.push({ op: 'DeleteTaskSet', taskSet: set.id });
    operations.push({ op: 'DeleteService' });
    actions.push({
      type: 'UpdateService',
      // One a minute at most: the FIFO queue drops a repeat within its deduplication window.
      key: `delete-${fnv1a64(state.deploymentId)}-${state.epoch}-${Math.floor(now / 60_000)}`,
      environment: state.environment,
      deploymentId: state.deploymentId,
      epoch: state.epoch,
      revision: state.revision,
      cluster: state.cluster,
      reason: `delete-environment: scale service ${target.name} to 0, delete its ${service.taskSets.length} task set(s) and the service`,
      service: target,
      operations,
    });
  }
  const blocker =
    service.status === 'ACTIVE'
      ? `service ${target.name} is still ACTIVE (desired count ${service.desiredCount}, ${service.taskSets.length} task set(s))${service.events[0] ? `: ${service.events[0]}` : ''}`
      : `service ${target.name} is ${service.status}: ${alive.length} task(s) still running`;
  const healthEvents = health(state, alive.length, blocker, now);
  // ECS refused a step of the deletion (the executor's ServiceUpdateRefused): Stuck at once, saying so
  // (the step goes again with the next minute's key; progress clears it).
  const refusal = state.serviceRefusal;
  // Only while the step still has that call (a ScaleTaskSet of a task set gone since is no refusal to report).
  const stillAsked = refusal !== undefined && actions.some((a) => a.type === 'UpdateService' && a.operations.some((o) => o.op === refusal.operation));
  const refused = refusal && stillAsked ? `delete-environment: ${refusal.operation} refused by ECS: ${refusal.reason}` : undefined;
  if (refused && state.health?.reason !== refused && !healthEvents.some((e) => e.type === 'DeploymentResumed')) {
    const progress = healthEvents.filter((e) => e.type === 'DeploymentProgressed');
    const type = state.health?.status === 'Failing' ? 'DeploymentFailing' : 'DeploymentStuck';
    return { events: [...events, ...progress, { type, reason: refused, at: now }], actions, wakeAt: wakeAt(state, alive.length, now, SERVICE_POLL_MS) };
  }
  return { events: [...events, ...healthEvents], actions, wakeAt: wakeAt(state, alive.length, now, SERVICE_POLL_MS) };
}

/** Whether the deletion may stop tasks (a deletion recorded before `force` was kept: yes). */
function forced(state: PlannerState): boolean {
  return state.deleting?.force ?? true;
}

/** A deletion without --force that found tasks running: Stuck at once with the reason (Failing after FailingAfterSeconds). */
function hold(state: PlannerState, alive: number, reason: string, now: number): PlannerEvent[] {
  const events: PlannerEvent[] = [];
  if (alive !== state.progressMark.old) events.push({ type: 'DeploymentProgressed', ready: 0, old: alive, at: now });
  if (!state.health) events.push({ type: 'DeploymentStuck', reason, at: now });
  else if (state.health.status === 'Stuck' && now - state.health.since >= state.configuration.FailingAfterSeconds * 1000) {
    events.push({ type: 'DeploymentFailing', reason: state.health.reason, at: now });
  }
  return events;
}

/** The revisions the deletion shows counts for: the one in focus and those draining. */
function revisionsOf(state: PlannerState): number[] {
  return [...new Set([state.revision, ...state.draining.map((d) => d.revision)])].sort((a, b) => a - b);
}

function deletionCounts(state: PlannerState, alive: ObservedTask[]): RevisionCount[] {
  const running = new Map<number, number>();
  for (const t of alive) running.set(t.revision, (running.get(t.revision) ?? 0) + 1);
  return revisionsOf(state).map((revision) => ({ revision, desired: 0, current: running.get(revision) ?? 0 }));
}

function stuckTask(alive: ObservedTask[], inFlight: ReadonlySet<string>): string {
  const t = alive.find((task) => inFlight.has(task.arn)) ?? alive[0];
  if (!t) return 'waiting for the tasks to stop';
  const stop = inFlight.has(t.arn) ? '; a stop was sent' : '';
  return `${alive.length} task(s) of the environment still running (task ${shortId(t.arn)} on ${shortId(t.instanceArn)}: last seen ${t.lastStatus}, desired ${t.desiredStatus}${stop})`;
}

/**
 * Progress, Stuck, Failing and Resumed, from the number of tasks still alive (`old` of the progress
 * mark: fewer is progress).
 */
function health(state: PlannerState, alive: number, blocker: string, now: number): PlannerEvent[] {
  const events: PlannerEvent[] = [];
  const progressed = alive < state.progressMark.old;
  if (alive !== state.progressMark.old) events.push({ type: 'DeploymentProgressed', ready: 0, old: alive, at: now });
  const lastProgressAt = progressed ? now : state.lastProgressAt;
  const config = state.configuration;
  if (state.health && progressed) {
    events.push({ type: 'DeploymentResumed', at: now });
    return events;
  }
  if (!state.health && now - lastProgressAt >= config.StuckAfterSeconds * 1000) {
    const reason = `delete-environment: no progress for ${Math.round((now - lastProgressAt) / 1000)} s: ${blocker}`;
    events.push({ type: 'DeploymentStuck', reason, at: now });
    if (config.FailingAfterSeconds <= 0) events.push({ type: 'DeploymentFailing', reason, at: now });
    return events;
  }
  if (state.health?.status === 'Stuck' && now - state.health.since >= config.FailingAfterSeconds * 1000) {
    events.push({ type: 'DeploymentFailing', reason: state.health.reason, at: now });
  }
  return events;
}

/** Look again soon while something is to stop (ECS's events come too), and at the next Stuck or Failing deadline. */
function wakeAt(state: PlannerState, alive: number, now: number, poll: number): number {
  void alive;
  const deadlines = [now + poll];
  const config = state.configuration;
  if (!state.health) deadlines.push(Math.max(now, state.lastProgressAt) + config.StuckAfterSeconds * 1000);
  else if (state.health.status === 'Stuck') deadlines.push(state.health.since + config.FailingAfterSeconds * 1000);
  return Math.min(...deadlines);
}

function sameCounts(a: RevisionCount[], b: RevisionCount[]): boolean {
  return a.length === b.length && a.every((c, i) => c.revision === b[i]?.revision && c.desired === b[i]?.desired && c.current === b[i]?.current);
}
