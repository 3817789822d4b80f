/**
 * The rollout's safety, for every strategy: the watched CloudWatch alarms, the circuit breaker, the
 * bake after the new revision has everything, and the Daemon canary. Pure: the core (`core.ts`) calls
 * these with what it was given and records what they decide as planner events; a Service strategy
 * plugs into the same calls.
 *
 * Triggers act on a deployment (`kind: 'deploy'`), during its rollout and its bake, never on a
 * rollback. A trigger rolls back to `rollbackTo` (the revision that was Active when the deployment
 * started: `RollbackTriggered`, which the engine turns into a `RollbackStarted` in the same append),
 * or, with `Rollback: false` or no earlier revision, halts (`DeploymentHalted`: nothing moves, the
 * revision is Stuck with the reason, then Failing).
 *
 * Alarms. A reading is an alarm's state and the instant it entered it (the `state.timestamp` of a
 * `CloudWatch Alarm State Change`, or DescribeAlarms' `StateTransitionedTimestamp`: the tick's
 * backstop for a lost event). A reading no newer than the one on record is a duplicate or arrived out
 * of order: ignored. A newer one is recorded (`AlarmStateObserved`); it triggers when its state is
 * ALARM and it entered ALARM at or after the deployment's start — so an alarm already in ALARM when the
 * deployment started is shown and triggers only on its next entry, and one entry triggers once
 * however often it is delivered.
 *
 * Worked example: deployment started at 12:00:00; daemon-errors read ALARM since 11:58 (recorded, no
 * trigger); OK since 12:01 (recorded); ALARM since 12:03:10 → "alarm daemon-errors entered ALARM at
 * 2026-11-30T12:03:10.000Z (…reason…)"; the same event again → ignored; a late OK since 12:02 → ignored.
 *
 * Canary (Daemon): `canaryInstances(N, Instances)` instances get the revision first — a count, at most
 * N; "p%" of N rounded up, at least 1 — then `CanaryBakeStarted`, Canary.BakeSeconds with the alarms
 * watched, `CanaryPassed`, and the rest at the Method's pace. Canary { Instances: "10%" } over 6
 * instances → ceil(0.6) = 1; { Instances: 3 } over 2 → 2.
 *
 * Bake: once the new revision has everything, `BakeStarted`, BakeSeconds with the alarms watched,
 * then `DeploymentCompleted` (the old revision retired only then).
 *
 * Service (service.ts) goes through the same calls: `readAlarms`, `countServiceBreaker` over the target
 * revision's task sets, `tripEvent`; a failed CanaryTask is one more trip (`canaryTaskTrip`, trigger
 * CanaryTask); its bake holds the old task sets (scaled to 0, not deleted) until BakeSeconds have passed,
 * so a rollback during the bake scales the old revision's own task set back up.
 */
import { isoFromMs } from '../time';
import type { BreakerRecord, StoppedTargetTask } from './circuit-breaker';
import { breakerVerdict, countBreakerFailures, newBreakerRecord } from './circuit-breaker';
import { shortId } from './keys';
import type { AlarmReading, KnownAlarm, Observed, ObservedServiceTask, ObservedTask, Plan, PlannerEvent, PlannerState, SafetyTrigger } from './types';

/** Stopped tasks are kept in the picture this long (observation.ts `STOPPED_KEPT_MS`): a counted one is forgotten after. */
const BREAKER_FORGET_MS = 60 * 60_000;

export interface Trip {
  trigger: SafetyTrigger;
  reason: string;
  rollback: boolean;
}

/** Whether triggers act on this deployment (a deploy, not a rollback, and not halted). */
export function watching(state: PlannerState): boolean {
  return (state.kind ?? 'deploy') === 'deploy' && state.phase?.phase !== 'Halted';
}

/** How many instances are the canary. canaryInstances(6, '10%') === 1; canaryInstances(2, 3) === 2. */
export function canaryInstances(instances: number, setting: number | `${number}%`): number {
  if (typeof setting === 'number') return Math.min(instances, setting);
  return Math.min(instances, Math.max(1, Math.ceil((instances * Number(setting.slice(0, -1))) / 100)));
}

/** The alarm readings newer than the ones on record (as events), and the first entry into ALARM that triggers. */
export function readAlarms(state: PlannerState, readings: readonly AlarmReading[], now: number): { events: PlannerEvent[]; trip?: Trip | undefined } {
  const rule = state.configuration.Alarms;
  if (!rule || readings.length === 0) return { events: [] };
  const watched = new Set(rule.AlarmNames);
  const known: Record<string, KnownAlarm> = { ...state.alarms };
  const events: PlannerEvent[] = [];
  let trip: Trip | undefined;
  for (const r of [...readings].sort((a, b) => a.at - b.at)) {
    if (!watched.has(r.name)) continue;
    const was = known[r.name];
    if (was && r.at <= was.at) continue; // a duplicate, or older than what is on record
    known[r.name] = { value: r.value, at: r.at, reason: r.reason };
    events.push({ type: 'AlarmStateObserved', alarm: r.name, value: r.value, changedAt: r.at, reason: r.reason, at: now });
    if (!trip && r.value === 'ALARM' && r.at >= state.startedAt) {
      trip = { trigger: 'Alarm', reason: `alarm ${r.name} entered ALARM at ${isoFromMs(r.at)}${r.reason ? ` (${r.reason})` : ''}`, rollback: rule.Rollback };
    }
  }
  return { events, trip };
}

/**
 * The circuit breaker over the target revision's stopped tasks: those newly counted (as an event) and
 * the trip, if the count reached the threshold. A task counts when it stopped after the deployment
 * started for a cause that is the revision's (circuit-breaker.ts) and was not HEALTHY when last seen
 * (a daemon task's readiness is not remembered once it stopped: a task of a revision without a health
 * check that exits counts, as ECS counts an essential container's exit).
 */
export function countBreaker(state: PlannerState, observed: Observed, instances: number, now: number): { events: PlannerEvent[]; trip?: Trip | undefined } {
  if (!state.configuration.CircuitBreaker) return { events: [] };
  const stopped: StoppedTargetTask[] = observed.tasks
    .filter((t: ObservedTask) => t.revision === state.revision && t.lastStatus === 'STOPPED')
    .map((t) => ({ id: shortId(t.arn), stoppedAt: t.stoppedAt ?? now, stopCode: t.stopCode, stoppedReason: t.stoppedReason, everReady: t.health === 'HEALTHY' }));
  const alive = observed.tasks.filter((t) => t.revision === state.revision && t.lastStatus !== 'STOPPED').length;
  return breaker(state, stopped, instances, alive, now);
}

/**
 * The circuit breaker of a Service deployment, over the tasks of the target revision's task sets
 * (`tasks`: every task ECS lists for them, STOPPED ones included) against the service's desired count
 * D. The same count as a Daemon's: a task stopped after the deployment started, for a cause that is the
 * revision's (failed to start or to be placed, essential container exited, failed its container or ELB
 * health check), and not ready when it stopped (a STOPPED task is never ready: a Service's observation is
 * a fresh look each time; a task ECS replaces for failing its checks was not ready when it stopped).
 * Worked example: D = 6, CircuitBreaker {} → clamp(ceil(3), 3, 200) = 3; three new tasks
 * TaskFailedToStart and two still PENDING → "circuit breaker: 3 of 5 new tasks stopped before ready (…)".
 */
export function countServiceBreaker(state: PlannerState, tasks: readonly ObservedServiceTask[], desiredCount: number, now: number): { events: PlannerEvent[]; trip?: Trip | undefined } {
  if (!state.configuration.CircuitBreaker) return { events: [] };
  const stopped: StoppedTargetTask[] = tasks
    .filter((t) => t.lastStatus === 'STOPPED')
    .map((t) => ({ id: shortId(t.arn), stoppedAt: t.stoppedAt ?? now, stopCode: t.stopCode, stoppedReason: t.stoppedReason, everReady: t.ready }));
  const alive = tasks.filter((t) => t.lastStatus !== 'STOPPED').length;
  return breaker(state, stopped, desiredCount, alive, now);
}

function breaker(state: PlannerState, stopped: StoppedTargetTask[], desiredCount: number, alive: number, now: number): { events: PlannerEvent[]; trip?: Trip | undefined } {
  const rule = state.configuration.CircuitBreaker;
  if (!rule) return { events: [] };
  const before: BreakerRecord = state.breaker ?? newBreakerRecord(state.startedAt);
  const { record, counted } = countBreakerFailures(before, stopped, now, BREAKER_FORGET_MS);
  const events: PlannerEvent[] = counted.length > 0 ? [{ type: 'CircuitBreakerCounted', tasks: counted, record, at: now }] : [];
  const verdict = breakerVerdict(record, rule, desiredCount, alive);
  return { events, trip: verdict.kind === 'Tripped' ? { trigger: 'CircuitBreaker', reason: verdict.reason, rollback: rule.Rollback } : undefined };
}

/** A Service's canary task failed its checks (service-canary-task.ts): always a rollback (halted when there is nothing to go back to). */
export function canaryTaskTrip(reason: string): Trip {
  return { trigger: 'CanaryTask', reason, rollback: true };
}

/** What a trip does: roll back to the revision that was Active, or halt (Rollback: false, or nothing to go back to). */
export function tripEvent(state: PlannerState, trip: Trip, now: number): PlannerEvent {
  if (trip.rollback && state.rollbackTo !== undefined) {
    return { type: 'RollbackTriggered', trigger: trip.trigger, reason: trip.reason, to: state.rollbackTo, at: now };
  }
  const why = trip.rollback ? `${trip.reason}; halted: no earlier revision to roll back to` : `${trip.reason}; halted (Rollback: false)`;
  return { type: 'DeploymentHalted', trigger: trip.trigger, reason: why, at: now };
}

/**
 * The gate every rollout (Daemon and Service) passes before it moves: a trip of a deployment that
 * watches → its `RollbackTriggered` or `DeploymentHalted`, and nothing else; a halted deployment →
 * nothing moves until a rollback or a new deployment, Stuck turning Failing as usual. Appends to
 * `events` (what the plan recorded so far) and returns the plan to return, or undefined to go on.
 */
export function safetyGate(state: PlannerState, trip: Trip | undefined, events: PlannerEvent[], now: number): Plan | undefined {
  if (trip && watching(state)) {
    events.push(tripEvent(state, trip, now));
    return { events, actions: [] };
  }
  // Paused, a halted deployment's clock stops too (the plan stops right after this gate: controls.ts).
  if (state.phase?.phase !== 'Halted' || state.paused) return undefined;
  const halted = state.health;
  const failingAt = halted?.status === 'Stuck' ? halted.since + state.configuration.FailingAfterSeconds * 1000 : undefined;
  if (halted?.status === 'Stuck' && failingAt !== undefined && now >= failingAt) {
    events.push({ type: 'DeploymentFailing', reason: halted.reason, at: now });
    return { events, actions: [] };
  }
  return { events, actions: [], wakeAt: failingAt };
}
