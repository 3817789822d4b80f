/**
 * The API's response shapes (docs/api.md), from the projection. Presentation only.
 */
import type { EnvironmentState, RevisionSummary } from '../../domain/environment';
import type { DeploymentRecord } from '../../domain/history';
import type { FieldChange } from '../../domain/revision-diff';
import { environmentSummary } from '../../domain/environment';
import { displayStatus, isRetired } from '../../domain/revision-status';
import { isoFromMs } from '../../domain/time';
import type { RevisionRow } from '../ports';

export function environmentListItem(state: EnvironmentState) {
  const summary = environmentSummary(state);
  return {
    EnvironmentName: state.name,
    Status: summary.status,
    DeploymentType: state.latestSpec.DeploymentType,
    Cluster: state.latestSpec.Cluster ?? 'default',
    LatestRevision: state.latestRevision,
    ActiveRevision: state.activeRevision ?? null,
    DeployingRevision: state.deployment && state.deployment.kind !== 'delete' ? state.deployment.revision : null,
    Frozen: state.frozen,
    Desired: summary.desired,
    Current: summary.current,
    UpdatedAt: state.updatedAt,
  };
}

export function environmentDescription(state: EnvironmentState) {
  const { EnvironmentName, Status, Desired, Current, Frozen, LatestRevision, ActiveRevision, DeployingRevision } = environmentListItem(state);
  return {
    EnvironmentName,
    Status,
    Desired,
    Current,
    Frozen,
    LatestRevision,
    ActiveRevision,
    DeployingRevision,
    Deployment: state.deployment && state.deployment.kind !== 'delete'
      ? {
          DeploymentId: state.deployment.id,
          Revision: state.deployment.revision,
          Kind: state.deployment.kind,
          StartedAt: state.deployment.startedAt,
          Phase: state.engine?.phase?.phase ?? 'Rolling',
          /** pause-deployment: since when, by whom and why (null: not paused). */
          Paused: state.engine?.paused ? { Since: isoFromMs(state.engine.paused.since), By: state.engine.paused.by, Reason: state.engine.paused.reason ?? null } : null,
          /** The bake (or the Daemon canary's bake) in progress: when it ends (paused, it ends later by the time paused; promoted, at the next plan). */
          BakeEndsAt: bakeEndsAt(state),
          ...triggerView(state.deployment.trigger),
          Alarms: (state.engine?.configuration.Alarms?.AlarmNames ?? []).map((name) => {
            const known = state.engine?.alarms?.[name];
            return known
              ? { AlarmName: name, State: known.value, Since: isoFromMs(known.at), Reason: known.reason }
              : { AlarmName: name, State: 'UNKNOWN', Since: null, Reason: 'not read yet' };
          }),
        }
      : null,
    LastDeployment: state.lastDeployment
      ? {
          DeploymentId: state.lastDeployment.id,
          Revision: state.lastDeployment.revision,
          Kind: state.lastDeployment.kind,
          StartedAt: state.lastDeployment.startedAt,
          CompletedAt: state.lastDeployment.completedAt,
          ...triggerView(state.lastDeployment.trigger),
        }
      : null,
    /** delete-environment: in progress (CompletedAt null; Reason when it is Stuck or Failing) or done. */
    Deletion: state.deletion
      ? {
          DeletionId: state.deletion.id,
          StartedAt: state.deletion.startedAt,
          CompletedAt: state.deletion.completedAt ?? null,
          Force: state.deletion.force,
          TasksAtStart: state.deletion.tasks,
          Reason: state.engine?.health?.reason ?? null,
        }
      : null,
    Spec: state.latestSpec,
    Version: state.version,
    CreatedAt: state.createdAt,
    UpdatedAt: state.updatedAt,
  };
}

/** When the bake in progress ends (null: no bake in progress); a pause moves it later by the time paused, when resumed. */
function bakeEndsAt(state: EnvironmentState): string | null {
  const engine = state.engine;
  const phase = engine?.phase;
  if (!engine || !phase) return null;
  const seconds = phase.phase === 'Baking' ? engine.configuration.BakeSeconds : phase.phase === 'CanaryBaking' ? engine.configuration.Canary?.BakeSeconds : undefined;
  if (seconds === undefined || (phase.phase !== 'Baking' && phase.phase !== 'CanaryBaking')) return null;
  if (engine.promoted && engine.promoted.at >= phase.since) return isoFromMs(engine.promoted.at);
  return isoFromMs(phase.since + seconds * 1000);
}

/** `Trigger` (Alarm, CircuitBreaker, CanaryTask, Abort; User when someone started it) and `Reason` (null for a user's). */
function triggerView(trigger: { kind: string; reason: string; at: string } | undefined) {
  return trigger ? { Trigger: trigger.kind, Reason: trigger.reason, TriggeredAt: trigger.at } : { Trigger: 'User', Reason: null, TriggeredAt: null };
}

function revisionView(name: string, r: RevisionSummary) {
  return {
    EnvironmentRevision: r.revision,
    Revision: `${name}:${r.revision}`,
    Status: displayStatus(r),
    Desired: r.desired,
    Current: r.current,
    StatusReason: r.statusReason ?? null,
    UpdatedAt: r.updatedAt,
  };
}

/**
 * `describe-environment-status`: the live revisions from the projection; with `rows` (a page of the
 * revision table, for `--all`) those revisions, the live summaries taking precedence, and the
 * `NextToken` of the next page if there is one.
 */
export function environmentStatus(state: EnvironmentState, rows?: RevisionRow[], nextToken?: string) {
  const live = new Map(state.revisions.map((r) => [r.revision, r]));
  const revisions = rows
    ? rows.map((row) => live.get(row.revision) ?? row)
    : state.revisions.filter((r) => !isRetired(r.status));
  return {
    EnvironmentName: state.name,
    Status: environmentSummary(state).status,
    Frozen: state.frozen,
    Revisions: revisions.map((r) => revisionView(state.name, r)),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

/** list-deployments: one deployment of the history (domain/history.ts). */
export function deploymentView(record: DeploymentRecord) {
  return {
    DeploymentId: record.id,
    EnvironmentRevision: record.revision,
    Kind: record.kind,
    Trigger: { Kind: record.trigger.kind, By: record.trigger.by, Reason: record.trigger.reason },
    StartedAt: record.startedAt,
    EndedAt: record.endedAt,
    Outcome: record.outcome,
    DurationSeconds: record.durationSeconds,
    Reason: record.reason,
    EndedBy: record.endedBy,
  };
}

/** diff-revisions: one changed field, old → new (null: absent). */
export function changeView(change: FieldChange) {
  return { Field: change.field, From: change.from, To: change.to };
}
