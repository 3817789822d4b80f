/**
 * The engine's two jobs, behind its ports:
 *
 * - `reconcile(environment)`: load → observe the cluster → `plan()` → append the planner's events
 *   → enqueue its actions → announce status changes. Runs on every ECS event and every tick.
 * - `execute(action)`: drop it if it was planned in an older epoch (a deploy, rollback, freeze or
 *   thaw came in since) — otherwise carry it out idempotently (a StartTask whose task already
 *   exists, found by its action tag, is not started again), verify, and record the outcome.
 *
 * A lost race on the log (ConcurrencyError) is retried from a fresh load. Every write is an event.
 */
import type { EngineEvent, EnvironmentState } from '../../domain/environment';
import { fold, statusChanges } from '../../domain/environment';
import { startedByOf, TAG_ACTION, TAG_ENVIRONMENT, TAG_REVISION } from '../../domain/identity';
import type { PlannerAction } from '../../domain/planner';
import { plan, staleReason } from '../../domain/planner';
import { deploymentStateChange } from '../../events/notifications';
import { appendDecided } from '../commands';
import type { ActionQueue, Clock, Cluster, EventLog, Notifier, TaskDefinitions } from '../ports';
import { ConcurrencyError } from '../ports';
import { observe } from './observe';

export interface EngineDeps {
  eventLog: EventLog;
  cluster: Cluster;
  taskDefinitions: TaskDefinitions;
  queue: ActionQueue;
  notifier: Notifier;
  clock: Clock;
  /** Delayed reconciles (ECS sends no event when a task turns HEALTHY or a deadline passes). */
  wakeups?: { schedule(environment: string, atMs: number): Promise<void> } | undefined;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const MAX_ATTEMPTS = 5;

/** Appends what `decide` returns for the freshest state, retrying lost races; returns the states. */
async function record(
  deps: EngineDeps,
  environment: string,
  decide: (state: EnvironmentState) => Promise<EngineEvent[]> | EngineEvent[],
): Promise<{ before: EnvironmentState; after: EnvironmentState; events: EngineEvent[] } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const before = await deps.eventLog.load(environment);
    if (!before) return undefined;
    const events = await decide(before);
    if (events.length === 0) return { before, after: before, events };
    const after = fold(events, before)!;
    try {
      await appendDecided(deps.eventLog, environment, before, events, after);
      await announce(deps, before, after);
      return { before, after, events };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** Publishes a `Deployment State Change` for every revision whose shown status changed. */
export async function announce(deps: Pick<EngineDeps, 'notifier'>, before: EnvironmentState | undefined, after: EnvironmentState): Promise<void> {
  const changes = statusChanges(before, after).filter((c) => c.to !== 'Created');
  if (changes.length === 0) return;
  const deploymentId = after.deployment?.id ?? before?.deployment?.id ?? `${after.name}:${after.activeRevision ?? after.latestRevision}`;
  await deps.notifier.publish(
    changes.map((c) =>
      deploymentStateChange({
        environment: after.name,
        revision: c.revision,
        deploymentId,
        status: c.to as Exclude<typeof c.to, 'Created'>,
        previousStatus: c.from,
        reason: c.reason,
        desired: c.desired,
        current: c.current,
        at: after.updatedAt,
      }),
    ),
  );
}

export async function reconcile(deps: EngineDeps, environment: string): Promise<{ events: number; actions: PlannerAction[] }> {
  let actions: PlannerAction[] = [];
  let wakeAt: number | undefined;
  const result = await record(deps, environment, async (state) => {
    if (!state.engine) {
      actions = [];
      wakeAt = undefined;
      return [];
    }
    const observed = await observe(deps.cluster, deps.taskDefinitions, state.engine);
    const planned = plan(state.engine, observed, deps.clock.now().getTime());
    actions = planned.actions;
    wakeAt = planned.wakeAt;
    return planned.events;
  });
  if (actions.length > 0) await deps.queue.enqueue(actions);
  if (wakeAt !== undefined && deps.wakeups && !result?.events.some((e) => e.type === 'DeploymentCompleted')) {
    await deps.wakeups.schedule(environment, wakeAt);
  }
  for (const e of result?.events ?? []) {
    if (e.type === 'LaunchesSettled' || e.type === 'StopsSettled' || e.type === 'RevisionCountsChanged' || e.type === 'DeploymentProgressed') continue;
    const { type, at: _at, ...fields } = e;
    deps.log?.(type, { environment, ...fields });
  }
  return { events: result?.events.length ?? 0, actions };
}

export type ExecutionOutcome = 'done' | 'dropped' | 'already-done';

/**
 * A launch the planner no longer waits for: it settled or failed (no longer on record), or it is
 * older than LAUNCH_TIMEOUT_MS — the planner presumed it lost and planned another under a new key.
 * Carrying it out now (a message held up behind redeliveries in its FIFO group, say) would put a
 * second task of the revision on the instance.
 */
export async function execute(deps: EngineDeps, action: PlannerAction): Promise<ExecutionOutcome> {
  const state = await deps.eventLog.load(action.environment);
  const stale = staleReason(state?.engine, action, deps.clock.now().getTime());
  if (stale) {
    deps.log?.('action dropped', { key: action.key, environment: action.environment, reason: stale });
    return 'dropped';
  }
  const now = () => deps.clock.now().getTime();
  if (action.type === 'StopTask') {
    const task = await deps.cluster.stopTask(action.cluster, action.taskArn, action.reason);
    if (task && task.desiredStatus !== 'STOPPED') throw new Error(`StopTask ${action.taskArn}: the task still wants to run`);
    await record(deps, action.environment, () => [{ type: 'TaskStopRequested', key: action.key, taskArn: action.taskArn, at: now() }]);
    deps.log?.('StopTask', { key: action.key, taskArn: action.taskArn, reason: action.reason });
    return 'done';
  }
  // StartTask: was it carried out already (the executor died before recording, SQS redelivered)?
  const startedBy = startedByOf(action.environment);
  const existing = (await deps.cluster.listTasks(action.cluster, startedBy)).find((t) => t.tags[TAG_ACTION] === action.key);
  if (existing) {
    await record(deps, action.environment, () => [{ type: 'TaskLaunchRequested', key: action.key, instanceArn: action.instanceArn, taskArn: existing.arn, at: now() }]);
    return 'already-done';
  }
  const result = await deps.cluster.startTask({
    cluster: action.cluster,
    taskDefinition: action.taskDefinition,
    containerInstance: action.instanceArn,
    startedBy,
    group: `blox:${startedBy}`,
    tags: { [TAG_ENVIRONMENT]: action.environment, [TAG_REVISION]: String(action.revision), [TAG_ACTION]: action.key },
  });
  const failure = result.failures[0];
  const task = result.tasks[0];
  if (failure || !task) {
    const reason = failure ? [failure.reason, failure.detail].filter(Boolean).join(': ') : 'StartTask returned no task and no failure';
    await record(deps, action.environment, () => [{ type: 'TaskLaunchFailed', key: action.key, instanceArn: action.instanceArn, reason, at: now() }]);
    deps.log?.('StartTask failed', { key: action.key, instanceArn: action.instanceArn, reason });
    return 'done';
  }
  if (task.tags[TAG_ACTION] !== action.key) throw new Error(`StartTask ${action.key}: the task came back without its action tag`);
  await record(deps, action.environment, () => [{ type: 'TaskLaunchRequested', key: action.key, instanceArn: action.instanceArn, taskArn: task.arn, at: now() }]);
  deps.log?.('StartTask', { key: action.key, instanceArn: action.instanceArn, taskArn: task.arn, reason: action.reason });
  return 'done';
}
