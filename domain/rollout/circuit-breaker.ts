/**
 * The circuit breaker: new-revision tasks that stopped before they were ever ready, counted once each
 * per deployment, against a threshold; past it, the deployment rolls back (or halts, `Rollback: false`).
 *
 * What counts: a task of the deployment's target revision, stopped after the deployment started, never
 * seen ready, for a cause that is the revision's (`stopCause`): it failed to start (TaskFailedToStart:
 * CannotPullContainerError, ResourceInitializationError …), an essential container exited, ECS replaced
 * it for failing its container health check or its load balancer health check (ServiceSchedulerInitiated
 * with "Task failed container health checks" / "Task failed ELB health checks in …"). What does not: a
 * stop someone asked for (UserInitiated — Blox scaling a task set down included), other scheduler stops
 * (scale-in, maintenance), Spot interruptions and instance terminations, and a task that was ready once
 * (it stopped later: alarms and Stuck watch that, not the breaker).
 *
 * The threshold `FailedTasks`: a count; "N%" of DesiredCount D, ceil(D × N / 100), at least 1; by default
 * ECS's own rule. ECS documents the deployment circuit breaker's threshold as "a minimum threshold of 3
 * and a maximum threshold of 200", from the formula "0.5 * desired task count"
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html,
 * `threshold`), and its ThresholdConfiguration default as BOUNDED_PERCENT 50: "multiplying value by the
 * latest service desired count, then clamping the result to a minimum of 3 and a maximum of 200"
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ThresholdConfiguration.html). Those pages
 * do not say how 0.5 × D is rounded; this takes DESIGN.md's clamp(ceil(0.5 × D), 3, 200). Like ECS, D is
 * the latest desired count (a scale-environment mid-deployment moves the threshold). Unlike ECS's
 * `resetOnHealthyTask`, a task turning healthy does not reset the count: the count is per deployment.
 *
 * The count is kept in a bounded record: the tasks counted (id and stop time), so a task seen stopped
 * again in a later plan is not counted twice, and `since`, before which a stop is never counted (the
 * deployment's start, then raised as records are forgotten: a task stopped before `since` is either
 * counted already or too old for the observation to still show it). A record is forgotten once the
 * observation no longer shows its task (`forgetAfterMs` after it stopped: the core passes the time it
 * keeps stopped tasks) and the oldest go past MAX_BREAKER_RECORDS — so the record is a few KB of the
 * projection's 400 KB item whatever the fleet.
 *
 * Worked examples:
 *   D = 1 → clamp(ceil(0.5), 3, 200) = 3; D = 25 → ceil(12.5) = 13; D = 1000 → 500, clamped to 200.
 *   FailedTasks "20%", D = 10 → ceil(2) = 2; "10%", D = 3 → ceil(0.3) = 1.
 *   Default threshold, D = 4 (ceil(2) = 2 → 3): three new tasks fail to pull their image, none ever ran →
 *   after the third, Tripped: "circuit breaker: 3 of 3 new tasks stopped before ready (last:
 *   CannotPullContainerError: pull image manifest has been retried 5 time(s) …)". Had a fourth new task
 *   been alive then, "3 of 4".
 *   A new task ready for an hour, then exiting: not counted. A new task Blox stopped (UserInitiated): not counted.
 */
import { truncateReason } from './keys';

/** At most this many counted tasks are remembered (≈ 60 B each). */
export const MAX_BREAKER_RECORDS = 500;
/** The last stop's reason is cut to this many characters in the trip reason. */
const LAST_REASON_LENGTH = 80;

export type FailedTasksSetting = number | `${number}%`;

/** Why a task stopped, as far as the breaker is concerned. */
export type StopCause =
  | 'FailedToStart'
  | 'EssentialContainerExited'
  | 'FailedContainerHealthCheck'
  | 'UnhealthyTarget'
  | 'StoppedByScheduler'
  | 'StoppedByUser'
  | 'Infrastructure'
  | 'Unknown';

/**
 * The cause of a stop from ECS's stopCode and stoppedReason.
 * stopCause('TaskFailedToStart', 'CannotPullContainerError: …') === 'FailedToStart'
 * stopCause('ServiceSchedulerInitiated', 'Task failed ELB health checks in (target-group arn:…)') === 'UnhealthyTarget'
 * stopCause('ServiceSchedulerInitiated', 'Scaling activity initiated by (deployment ecs-svc/…)') === 'StoppedByScheduler'
 */
export function stopCause(stopCode: string | undefined, stoppedReason: string | undefined): StopCause {
  const reason = stoppedReason ?? '';
  switch (stopCode) {
    case 'TaskFailedToStart':
      return 'FailedToStart';
    case 'EssentialContainerExited':
      return 'EssentialContainerExited';
    case 'ServiceSchedulerInitiated':
      if (/ELB health checks/i.test(reason)) return 'UnhealthyTarget';
      if (/container health checks/i.test(reason)) return 'FailedContainerHealthCheck';
      return 'StoppedByScheduler';
    case 'UserInitiated':
      return 'StoppedByUser';
    case 'SpotInterruption':
    case 'TerminationNotice':
    case 'InfrastructureHealth':
      return 'Infrastructure';
    default:
      return 'Unknown';
  }
}

/** Whether a stop for this cause, before the task was ever ready, is the revision's failure. */
export function countsAgainstRevision(cause: StopCause): boolean {
  switch (cause) {
    case 'FailedToStart':
    case 'EssentialContainerExited':
    case 'FailedContainerHealthCheck':
    case 'UnhealthyTarget':
      return true;
    case 'StoppedByScheduler':
    case 'StoppedByUser':
    case 'Infrastructure':
    case 'Unknown':
      return false;
    default: {
      const never: never = cause;
      return never;
    }
  }
}

/**
 * The threshold for DesiredCount D.
 * breakerThreshold(undefined, 25) === 13; breakerThreshold(5, 25) === 5; breakerThreshold('20%', 10) === 2
 */
export function breakerThreshold(setting: FailedTasksSetting | undefined, desiredCount: number): number {
  if (setting === undefined) return Math.min(200, Math.max(3, Math.ceil(desiredCount * 0.5)));
  if (typeof setting === 'number') return Math.max(1, Math.floor(setting));
  return Math.max(1, Math.ceil((desiredCount * Number(setting.slice(0, -1))) / 100));
}

/** A stopped task of the target revision, as the core sees it. */
export interface StoppedTargetTask {
  /** The task's ECS id. */
  id: string;
  /** Epoch ms. */
  stoppedAt: number;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  /** Whether it was ever seen ready (sticky: the observation keeps it once set). */
  everReady: boolean;
}

export interface BreakerRecord {
  /** Failures counted in this deployment. */
  failed: number;
  /** A stop before this (epoch ms) is never counted. */
  since: number;
  /** Tasks counted, still possibly shown by the observation (id, stoppedAt), oldest first. */
  counted: Array<{ id: string; at: number }>;
  last?: { id: string; cause: StopCause; reason: string; at: number } | undefined;
}

/** The record of a deployment that started at `startedAt`. */
export function newBreakerRecord(startedAt: number): BreakerRecord {
  return { failed: 0, since: startedAt, counted: [] };
}

/**
 * Counts the stops of `stopped` that are the revision's failures and not counted yet; forgets records
 * the observation no longer shows. Returns the new record and the ids newly counted (for the event that
 * records them: the core folds `record` into its state).
 */
export function countBreakerFailures(
  record: BreakerRecord,
  stopped: readonly StoppedTargetTask[],
  now: number,
  forgetAfterMs: number,
): { record: BreakerRecord; counted: string[] } {
  const known = new Set(record.counted.map((c) => c.id));
  const fresh = stopped
    .filter((t) => t.stoppedAt >= record.since && !t.everReady && !known.has(t.id) && countsAgainstRevision(stopCause(t.stopCode, t.stoppedReason)))
    .sort((a, b) => a.stoppedAt - b.stoppedAt || a.id.localeCompare(b.id));
  const seen = new Set<string>();
  const unique: StoppedTargetTask[] = [];
  for (const t of fresh) {
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    unique.push(t);
  }
  let since = Math.max(record.since, now - forgetAfterMs);
  let entries = [...record.counted, ...unique.map((t) => ({ id: t.id, at: t.stoppedAt }))]
    .filter((c) => c.at >= since)
    .sort((a, b) => a.at - b.at);
  if (entries.length > MAX_BREAKER_RECORDS) {
    const dropped = entries.slice(0, entries.length - MAX_BREAKER_RECORDS);
    since = Math.max(since, ...dropped.map((d) => d.at + 1));
    entries = entries.filter((c) => c.at >= since);
  }
  const latest = unique[unique.length - 1];
  const last =
    latest && (!record.last || latest.stoppedAt >= record.last.at)
      ? {
          id: latest.id,
          cause: stopCause(latest.stopCode, latest.stoppedReason),
          reason: latest.stoppedReason ?? latest.stopCode ?? 'no reason given',
          at: latest.stoppedAt,
        }
      : record.last;
  return { record: { failed: record.failed + unique.length, since, counted: entries, last }, counted: unique.map((t) => t.id) };
}

export type BreakerVerdict =
  | { kind: 'Closed'; failed: number; threshold: number }
  | { kind: 'Tripped'; failed: number; threshold: number; action: 'Rollback' | 'Halt'; reason: string };

export interface BreakerSettings {
  FailedTasks?: FailedTasksSetting | undefined;
  /** Default true. */
  Rollback?: boolean | undefined;
}

/**
 * The trip decision. `alive` is how many tasks of the target revision are alive now (not STOPPED): the
 * reason says "N of (N + alive) new tasks".
 */
export function breakerVerdict(record: BreakerRecord, settings: BreakerSettings, desiredCount: number, alive: number): BreakerVerdict {
  const threshold = breakerThreshold(settings.FailedTasks, desiredCount);
  if (record.failed < threshold) return { kind: 'Closed', failed: record.failed, threshold };
  const lastReason = record.last?.reason ?? 'no reason given';
  const cut = lastReason.length <= LAST_REASON_LENGTH ? lastReason : `${lastReason.slice(0, LAST_REASON_LENGTH - 1)}…`;
  return {
    kind: 'Tripped',
    failed: record.failed,
    threshold,
    action: settings.Rollback === false ? 'Halt' : 'Rollback',
    reason: truncateReason(`circuit breaker: ${record.failed} of ${record.failed + Math.max(0, alive)} new tasks stopped before ready (last: ${cut})`),
  };
}

/** What the core does with a verdict. */
export function describeBreakerVerdict(verdict: BreakerVerdict): string {
  switch (verdict.kind) {
    case 'Closed':
      return `circuit breaker: ${verdict.failed} of at most ${verdict.threshold - 1} failures`;
    case 'Tripped':
      return verdict.action === 'Rollback' ? `${verdict.reason}; rolling back` : `${verdict.reason}; halted (Rollback: false)`;
    default: {
      const never: never = verdict;
      return never;
    }
  }
}
