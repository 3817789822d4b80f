/**
 * The deployment history of an environment (`list-deployments`): a pure projection of its event log,
 * every deploy, rollback and deletion with what started it, when it ended and how, newest first.
 *
 * Events belong to the deployment in progress when they were recorded, and a deployment ends when it
 * completes or when the next one starts (a deploy, a rollback or a deletion supersedes the one in
 * progress), so every event between two starts is about the older one. The projection therefore reads
 * the log **backwards**, newest first: `foldBack(cursor, event)` carries what it has seen of the events
 * after the current position (the `HistoryCursor`, a small JSON value) and answers a record each time it
 * reaches a start. Reading stops after any event and resumes from the cursor, so a page of the history
 * never needs the whole log (the API's continuation token is the sequence number and the cursor).
 *
 * Worked example (times in seconds after T0, `caller` = who used the command):
 *
 * ```
 * 10  DeploymentStarted{1, caller ops}          ─┐ deploy 1: started 10, DeploymentCompleted at 70
 * 70  DeploymentCompleted{1}                    ─┘   → Completed, 60 s, trigger User (ops)
 * 100 DeploymentStarted{2, caller ops}          ─┐ deploy 2: the alarm rolled it back at 160
 * 150 RollbackTriggered{Alarm, 'alarm web-5xx entered ALARM …'}
 * 160 RollbackStarted{1, trigger Alarm}         ─┘   → RolledBack, 60 s, Reason 'alarm web-5xx …', EndedBy rollback 1
 *                                               ─┐ rollback 1 (trigger Alarm, reason the alarm's)
 * 200 DeploymentCompleted{1}                    ─┘   → Completed, 40 s
 * 300 DeploymentStarted{3}                      ─┐ deploy 3: superseded by deploy 4 at 320
 * 320 DeploymentStarted{4}                      ─┘   → Superseded, 20 s, EndedBy deploy 4
 * 400 DeploymentStuck{'no progress …'}          ─  deploy 4: nothing ended it → Stuck, EndedAt null
 *
 * deploymentHistory(those events) → [deploy 4 Stuck, deploy 3 Superseded, rollback 1 Completed,
 *                                     deploy 2 RolledBack, deploy 1 Completed]
 * ```
 *
 * Outcomes: `Completed` (DeploymentCompleted; a deletion's DeletionCompleted); `RolledBack` (a deploy
 * ended by a rollback: rollback-environment, abort-deployment, or a trigger — the reason says which);
 * `Superseded` (ended by another deploy, or a rollback or deletion ending a rollback or a deploy ended
 * by delete-environment); `Halted` (a watched alarm or the circuit breaker halted it with `Rollback:
 * false`, and nothing has ended it yet); and for the one still running `Stuck`, `Failing` or `InProgress`.
 */
import type { EnvironmentEvent, EnvironmentEventType } from './environment';
import { assertNever } from './environment';
import type { SafetyTrigger } from './rollout';
import { isoFromMs, msFromIso } from './time';

export type DeploymentKind = 'deploy' | 'rollback' | 'delete';
export type DeploymentOutcome = 'InProgress' | 'Stuck' | 'Failing' | 'Halted' | 'Completed' | 'RolledBack' | 'Superseded';
/** `User`: someone ran deploy-, rollback- or delete-environment; otherwise what rolled back by itself, or abort-deployment. */
export type TriggerKind = 'User' | SafetyTrigger | 'Abort';

export interface DeploymentRecord {
  id: string;
  revision: number;
  kind: DeploymentKind;
  /** What started it: who (the caller recorded on the command, when it was) and, for an automatic rollback or an abort, why. */
  trigger: { kind: TriggerKind; by: string | null; reason: string | null };
  startedAt: string;
  /** Null while it runs (Halted included: it is still the environment's deployment). */
  endedAt: string | null;
  outcome: DeploymentOutcome;
  /** endedAt − startedAt, in seconds (milliseconds kept); null while it runs. */
  durationSeconds: number | null;
  /** Why it ended as it did: the rollback's trigger, the halt, the Stuck or Failing reason; null when it completed. */
  reason: string | null;
  /** The deployment that ended it (RolledBack, Superseded). */
  endedBy: string | null;
}

/** What the backward reading knows of the events after its position, for the deployment it is in. */
export interface HistoryCursor {
  /** The start of the deployment after the one being read: it ended that one (unless it completed first). */
  next?: { id: string; kind: DeploymentKind; revision: number; at: string; by?: string | undefined; reason?: string | undefined } | undefined;
  /** Its completion (DeploymentCompleted, DeletionCompleted); the oldest seen, as the first one ended it. */
  completedAt?: string | undefined;
  /** A halt (Rollback: false); the oldest seen. */
  halted?: string | undefined;
  /** The newest health seen: `ok` once DeploymentResumed. */
  health?: { status: 'Stuck' | 'Failing' | 'ok'; reason?: string | undefined } | undefined;
}

/** The only events the projection reads: the store can leave every other out (a filtered read). */
export const HISTORY_EVENT_TYPES = [
  'DeploymentStarted',
  'RollbackStarted',
  'DeletionStarted',
  'DeploymentCompleted',
  'DeletionCompleted',
  'DeploymentHalted',
  'DeploymentStuck',
  'DeploymentFailing',
  'DeploymentResumed',
] as const satisfies readonly EnvironmentEventType[];

type HistoryEvent = Extract<EnvironmentEvent, { type: (typeof HISTORY_EVENT_TYPES)[number] }>;
const READ: ReadonlySet<string> = new Set(HISTORY_EVENT_TYPES);

const isoOf = (at: string | number) => (typeof at === 'number' ? isoFromMs(at) : at);

/**
 * One event, read backwards (newest first): the cursor for the events before it, and the record of
 * the deployment it starts, if it is a start. Events the projection does not read change nothing.
 */
export function foldBack(cursor: HistoryCursor, event: EnvironmentEvent): { cursor: HistoryCursor; record?: DeploymentRecord } {
  if (!READ.has(event.type)) return { cursor };
  const e = event as HistoryEvent;
  switch (e.type) {
    case 'DeploymentCompleted':
    case 'DeletionCompleted':
      return { cursor: { ...cursor, completedAt: isoOf(e.at) } };
    case 'DeploymentHalted':
      return { cursor: { ...cursor, halted: e.reason } };
    case 'DeploymentStuck':
    case 'DeploymentFailing':
      return { cursor: cursor.health ? cursor : { ...cursor, health: { status: e.type === 'DeploymentStuck' ? 'Stuck' : 'Failing', reason: e.reason } } };
    case 'DeploymentResumed':
      return { cursor: cursor.health ? cursor : { ...cursor, health: { status: 'ok' } } };
    case 'DeploymentStarted':
    case 'RollbackStarted':
    case 'DeletionStarted': {
      const start = startOf(e);
      return { cursor: { next: start }, record: recordOf(start, cursor) };
    }
    default:
      return assertNever(e);
  }
}

type Start = NonNullable<HistoryCursor['next']> & { triggerKind: TriggerKind };

function startOf(e: Extract<HistoryEvent, { type: 'DeploymentStarted' | 'RollbackStarted' | 'DeletionStarted' }>): Start {
  const by = e.caller;
  switch (e.type) {
    case 'DeploymentStarted':
      return { id: e.deploymentId, kind: 'deploy', revision: e.revision, at: e.at, by, triggerKind: 'User' };
    case 'RollbackStarted':
      return { id: e.deploymentId, kind: 'rollback', revision: e.revision, at: e.at, by, reason: e.trigger?.reason, triggerKind: e.trigger?.kind ?? 'User' };
    case 'DeletionStarted':
      return { id: e.deletionId, kind: 'delete', revision: e.revision, at: e.at, by, triggerKind: 'User' };
    default:
      return assertNever(e);
  }
}

const COMMAND_OF: Record<DeploymentKind, string> = { deploy: 'deploy-environment', rollback: 'rollback-environment', delete: 'delete-environment' };

function recordOf(start: Start, after: HistoryCursor): DeploymentRecord {
  const base = {
    id: start.id,
    revision: start.revision,
    kind: start.kind,
    trigger: { kind: start.triggerKind, by: start.by ?? null, reason: start.reason ?? null },
    startedAt: start.at,
  };
  const ended = (endedAt: string, outcome: DeploymentOutcome, reason: string | null, endedBy: string | null): DeploymentRecord => ({
    ...base,
    endedAt,
    outcome,
    durationSeconds: (msFromIso(endedAt) - msFromIso(start.at)) / 1000,
    reason,
    endedBy,
  });
  const running = (outcome: DeploymentOutcome, reason: string | null): DeploymentRecord => ({ ...base, endedAt: null, outcome, durationSeconds: null, reason, endedBy: null });
  if (after.completedAt) return ended(after.completedAt, 'Completed', null, null);
  const next = after.next;
  if (next) {
    const rolledBack = start.kind === 'deploy' && next.kind === 'rollback';
    const what = next.kind === 'rollback' ? `to revision ${next.revision}` : next.kind === 'deploy' ? `of revision ${next.revision}` : '';
    const why = next.reason ?? [COMMAND_OF[next.kind], what, next.by ? `by ${next.by}` : ''].filter(Boolean).join(' ');
    return ended(next.at, rolledBack ? 'RolledBack' : 'Superseded', why, next.id);
  }
  if (after.halted !== undefined) return running('Halted', after.halted);
  if (after.health && after.health.status !== 'ok') return running(after.health.status, after.health.reason ?? null);
  return running('InProgress', null);
}

/**
 * The whole history of a log (events in the order recorded), newest first: what `foldBack` answers,
 * reading it from the end. For tests and small logs; the API reads a page at a time.
 */
export function deploymentHistory(events: readonly EnvironmentEvent[]): DeploymentRecord[] {
  const records: DeploymentRecord[] = [];
  let cursor: HistoryCursor = {};
  for (let i = events.length - 1; i >= 0; i--) {
    const step = foldBack(cursor, events[i]!);
    cursor = step.cursor;
    if (step.record) records.push(step.record);
  }
  return records;
}
