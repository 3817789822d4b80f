/**
 * Folding the planner's events (and the executor's launch failures) into the deployment's
 * bookkeeping, and deciding whether an action still stands when the executor gets to it.
 *
 * Launches and stops are kept in batches, one per executor message; an instance (or task) leaves
 * its batch when its outcome is known (its task showed up, ECS refused it, it was given up as lost),
 * and an empty batch is dropped. So the bookkeeping holds what is in flight, never history.
 */
import type { GroupWeight, HookStatus, LaunchBatch, LaunchFailure, PlannerAction, PlannerEvent, PlannerState, ServiceRefusal, StopBatch } from './types';
import { LAUNCH_TIMEOUT_MS, MAX_FAILURES_KEPT, serviceStepKey, shortId, truncateReason } from './keys';
import { isoFromMs } from '../time';

function withoutInstances(batches: LaunchBatch[], ids: ReadonlySet<string>): LaunchBatch[] {
  return batches.flatMap((b) => {
    const instances = b.instances.filter((i) => !ids.has(i));
    if (instances.length === b.instances.length) return [b];
    return instances.length > 0 ? [{ ...b, instances }] : [];
  });
}

function withoutTasks(batches: StopBatch[], ids: ReadonlySet<string>): StopBatch[] {
  return batches.flatMap((b) => {
    const tasks = b.tasks.filter((t) => !ids.has(t));
    if (tasks.length === b.tasks.length) return [b];
    return tasks.length > 0 ? [{ ...b, tasks }] : [];
  });
}

export function applyPlannerEvent(state: PlannerState, event: PlannerEvent): PlannerState {
  switch (event.type) {
    case 'LaunchesPlanned':
      return { ...state, launches: [...state.launches, ...event.batches.map((b) => ({ key: b.key, at: event.at, instances: b.instances }))] };
    case 'StopsPlanned': {
      const planned = new Set(event.batches.flatMap((b) => b.tasks));
      return { ...state, stops: [...withoutTasks(state.stops, planned), ...event.batches.map((b) => ({ key: b.key, at: event.at, tasks: b.tasks }))] };
    }
    case 'LaunchesSettled': {
      const settled = new Set(event.instances);
      // A launch that produced a task clears the instance's failure record; a crash is counted afresh.
      const failures = Object.fromEntries(Object.entries(state.failures).filter(([id]) => !settled.has(id)));
      return { ...state, launches: withoutInstances(state.launches, settled), failures };
    }
    case 'LaunchesLost':
      return { ...state, launches: withoutInstances(state.launches, new Set(event.instances)) };
    case 'StopsSettled':
      return { ...state, stops: withoutTasks(state.stops, new Set(event.tasks)) };
    case 'RevisionCountsChanged':
      return { ...state, counts: event.counts };
    case 'DeploymentProgressed': {
      const progressed = event.ready > state.progressMark.ready || event.old < state.progressMark.old;
      return { ...state, progressMark: { ready: event.ready, old: event.old }, lastProgressAt: progressed ? event.at : state.lastProgressAt };
    }
    case 'DeploymentStuck':
      // Already Stuck, with a new reason: the clock towards Failing goes on.
      return { ...state, health: { status: 'Stuck', since: state.health?.status === 'Stuck' ? state.health.since : event.at, reason: event.reason } };
    case 'DeploymentFailing':
      return { ...state, health: { status: 'Failing', since: state.health?.since ?? event.at, reason: event.reason } };
    case 'DeploymentResumed':
      // Progress: a step ECS refused before is behind us.
      return { ...state, health: undefined, lastProgressAt: event.at, serviceRefusal: undefined };
    case 'CoverageDropped':
      return { ...state, coverage: { since: event.at, failing: false } };
    case 'CoverageFailing':
      return { ...state, coverage: { since: state.coverage?.since ?? event.at, failing: true, reason: event.reason } };
    case 'CoverageRestored':
      return { ...state, coverage: undefined };
    case 'AlarmStateObserved':
      return { ...state, alarms: { ...state.alarms, [event.alarm]: { value: event.value, at: event.changedAt, reason: event.reason } } };
    case 'CircuitBreakerCounted':
      return { ...state, breaker: event.record };
    case 'CanaryBakeStarted':
      return { ...state, phase: { phase: 'CanaryBaking', instances: event.instances, since: event.at } };
    case 'CanaryPassed':
      // The bake was not "no progress": the Stuck clock starts again.
      return { ...state, phase: { phase: 'Rolling' }, lastProgressAt: event.at };
    case 'BakeStarted':
      return { ...state, phase: { phase: 'Baking', since: event.at } };
    case 'DeploymentHalted':
      return {
        ...state,
        phase: { phase: 'Halted', trigger: event.trigger, reason: event.reason, at: event.at },
        health: { status: 'Stuck', since: event.at, reason: event.reason },
      };
    case 'RollbackTriggered':
    case 'DeploymentCompleted':
    case 'DeletionCompleted':
      return state;
    case 'CanaryTaskChecked':
      return { ...state, canaryTask: event.canary };
    case 'CanaryTaskFailed':
      return { ...state, health: { status: 'Stuck', since: event.at, reason: event.reason } };
    case 'TrafficStepStarted':
      // A new step: its clock starts now; the change of the step before, if any, is kept (its INSYNC is still read).
      return { ...state, traffic: { ...state.traffic, step: { index: event.step, since: event.at } } };
    case 'TrafficWeightsObserved':
      return { ...state, traffic: { ...state.traffic, weights: event.weights } };
    case 'TrafficChangePlanned': {
      // The same weights already submitted (a plan that ran before the executor's record came in): kept.
      const known = state.traffic?.change;
      if (known && known.id !== '' && sameGroupWeights(known.weights, event.weights)) return state;
      return { ...state, traffic: { ...state.traffic, change: { id: '', at: event.at, weights: event.weights, inSync: false } } };
    }
    case 'TrafficInSync': {
      const change = state.traffic?.change;
      if (!state.traffic || change?.id !== event.changeId) return state;
      return { ...state, traffic: { ...state.traffic, change: { ...change, inSync: true } } };
    }
    case 'HookInvoked': {
      const previous = state.hooks?.[String(event.hook)];
      const startedAt = event.attempt > 1 && previous ? previous.startedAt : event.at;
      return { ...state, hooks: { ...state.hooks, [String(event.hook)]: { stage: event.stage, functionArn: event.functionArn, startedAt, invokedAt: event.at, attempt: event.attempt } } };
    }
    default: {
      const never: never = event;
      throw new Error(`unexpected planner event ${JSON.stringify(never)}`);
    }
  }
}

/** Route 53 accepted a weight change (the executor's `TrafficChangeSubmitted`): PENDING until the planner reads INSYNC. */
export function recordTrafficChange(state: PlannerState, changeId: string, weights: GroupWeight[], at: number): PlannerState {
  const known = state.traffic?.change;
  if (changeId === '') {
    // The records already had these weights (a copy of the action, or someone set them): nothing changed.
    // A change submitted for them is still followed to INSYNC; otherwise they are in effect.
    if (known && known.id !== '' && sameGroupWeights(known.weights, weights)) return state;
    return { ...state, traffic: { ...state.traffic, change: { id: '', at, weights, inSync: true } } };
  }
  return { ...state, traffic: { ...state.traffic, change: { id: changeId, at, weights, inSync: false } } };
}

/** The same target groups at the same weights (in any order). */
export function sameGroupWeights(a: readonly GroupWeight[], b: readonly GroupWeight[]): boolean {
  return a.length === b.length && a.every((w) => b.some((o) => o.targetGroupArn === w.targetGroupArn && o.weight === w.weight));
}

/** A hook's answer (the executor's `HookAnswered`), kept when it answers the latest invocation (an older attempt's answer is late). */
export function recordHookAnswer(state: PlannerState, answer: { hook: number; attempt: number; status: HookStatus; callBackDelaySeconds?: number | undefined; reason?: string | undefined; at: number }): PlannerState {
  const record = state.hooks?.[String(answer.hook)];
  if (!record || record.attempt !== answer.attempt) return state;
  // Only the answer's own fields (the environment passes the whole HookAnswered event: its type and stage are not kept).
  const kept = {
    status: answer.status,
    at: answer.at,
    ...(answer.callBackDelaySeconds !== undefined ? { callBackDelaySeconds: answer.callBackDelaySeconds } : {}),
    ...(answer.reason !== undefined ? { reason: answer.reason } : {}),
  };
  return { ...state, hooks: { ...state.hooks, [String(answer.hook)]: { ...record, answer: kept } } };
}

/**
 * The executor's record of launches ECS refused (its `failures[]`): they leave their batch, and
 * each instance gets a back-off and retry priority. Only the most recent MAX_FAILURES_KEPT
 * instances are remembered (an instance forgotten is retried without back-off, never lost).
 */
export function recordLaunchFailures(state: PlannerState, key: string, failed: Array<{ instance: string; reason: string }>, at: number): PlannerState {
  const failures: Record<string, LaunchFailure> = { ...state.failures };
  for (const f of failed) {
    const previous = failures[f.instance];
    delete failures[f.instance]; // re-inserted last: insertion order is recency
    failures[f.instance] = { count: (previous?.count ?? 0) + 1, lastAt: at, reason: truncateReason(f.reason) };
  }
  const ids = Object.keys(failures);
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_FAILURES_KEPT))) delete failures[id];
  const batch = state.launches.find((b) => b.key === key);
  const refused = new Set(failed.map((f) => f.instance));
  const launches = batch ? withoutInstances(state.launches, new Set(batch.instances.filter((i) => refused.has(i)))) : state.launches;
  return { ...state, launches, failures };
}

/**
 * The executor's record of a Service step ECS refused (`ServiceUpdateRefused`): the latest refusal
 * only (bounded), counting the refusals of the same step in a row — the planner's back-off before it
 * sends the step again (service.ts).
 * recordServiceRefusal(engine refused 'svc-a-1-b' once, { key: 'svc-a-1-b-r1', … }) → count 2
 */
export function recordServiceRefusal(state: PlannerState, refused: Omit<ServiceRefusal, 'count'>): PlannerState {
  const previous = state.serviceRefusal;
  const again = previous !== undefined && serviceStepKey(previous.key) === serviceStepKey(refused.key);
  const serviceRefusal: ServiceRefusal = { ...refused, reason: truncateReason(refused.reason), count: again ? previous.count + 1 : 1 };
  return { ...state, serviceRefusal };
}

/**
 * Why the executor must not carry out an action any more, or undefined if it still stands:
 * the deployment it was planned for was replaced, a deploy/rollback/freeze/thaw came in since
 * (epoch), the environment is frozen, or — for launches — the planner no longer waits for them
 * (they settled, failed, or were given up as lost and may be planned again under a new key).
 *
 * staleReason(engine with epoch 4, { …, epoch: 3 }, now) === 'planned in epoch 3, the environment is in epoch 4'
 */
export function staleReason(engine: PlannerState | undefined, action: PlannerAction, now: number): string | undefined {
  if (!engine) return 'no deployment in progress';
  if (engine.deploymentId !== action.deploymentId) return `deployment ${engine.deploymentId} replaced ${action.deploymentId}`;
  if (engine.epoch !== action.epoch) return `planned in epoch ${action.epoch}, the environment is in epoch ${engine.epoch}`;
  if (engine.frozen) return 'the environment is frozen';
  if (engine.paused) return `the deployment is paused (since ${isoFromMs(engine.paused.since)}, by ${engine.paused.by})`;
  if (action.type === 'InvokeHook') {
    const record = engine.hooks?.[String(action.hook)];
    if (!record || record.attempt !== action.attempt) return `hook ${action.hook} (${action.stage}) attempt ${action.attempt} is not the invocation on record`;
    if (record.answer) return `hook ${action.hook} (${action.stage}) attempt ${action.attempt} already answered ${record.answer.status}`;
    return undefined;
  }
  if (action.type !== 'StartTasks') return undefined;
  const batch = engine.launches.find((l) => l.key === action.key);
  if (!batch) return 'the launches are no longer on record (settled, failed or given up)';
  if (now - batch.at >= LAUNCH_TIMEOUT_MS) return `planned ${Math.round((now - batch.at) / 1000)} s ago: presumed lost and planned again`;
  return undefined;
}

/** The instances of a StartTasks action the planner still waits for (the others settled or failed). */
export function pendingLaunches(engine: PlannerState, action: Extract<PlannerAction, { type: 'StartTasks' }>): string[] {
  const pending = new Set(engine.launches.find((l) => l.key === action.key)?.instances ?? []);
  return action.instanceArns.filter((arn) => pending.has(shortId(arn)));
}

/**
 * The revision log refused the engine's write (not a lost race): the deployment is Stuck with the
 * store's reason, unless it already says so (a write that keeps failing is recorded once).
 * storeRefused(engine Stuck with reason R, R, t) → []; storeRefused(engine Deploying, R, t) → [DeploymentStuck R]
 */
export function storeRefused(engine: PlannerState | undefined, reason: string, at: number): PlannerEvent[] {
  if (!engine || engine.health?.reason === reason) return [];
  return [{ type: 'DeploymentStuck', reason, at }];
}
