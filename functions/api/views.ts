/**
 * The API's response shapes (docs/api.md), from the projection. Presentation only.
 */
import type { EnvironmentState, RevisionSummary } from '../../domain/environment';
import { environmentSummary } from '../../domain/environment';
import { displayStatus, isRetired } from '../../domain/revision-status';
import { isoFromMs } from '../../domain/time';
import type { RevisionRow } from '../ports';
import { hooksInProgress, trafficView } from './traffic-view';

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
  const progress = deploymentProgress(state);
  return {
    EnvironmentName,
    Status,
    Desired,
    Current,
    Frozen,
    LatestRevision,
    ActiveRevision,
    DeployingRevision,
    /**
     * The deployment in progress: Phase; Paused (pause-deployment: since when, by whom and why; null: not
     * paused); BakeEndsAt (the bake, or the Daemon canary's bake, in progress: when it ends — paused, later
     * by the time paused; promoted, at the next plan); Traffic (TrafficRouting: step, weights, in effect,
     * a Pause step's end; null without); Hooks (lifecycle hooks not answered yet); the trigger; the alarms.
     */
    Deployment: progress
      ? {
          ...progress,
          ...triggerView(state.deployment?.trigger),
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

/**
 * describe-environment-status's compact view of the deployment in progress (what `--watch` redraws):
 * its id, phase, pause, bake end, traffic and hooks in progress, as describe-environment shows them;
 * null when none is in progress (a deletion is shown by the environment's status).
 */
function deploymentProgress(state: EnvironmentState) {
  const deployment = state.deployment;
  if (!deployment || deployment.kind === 'delete') return null;
  const engine = state.engine;
  return {
    DeploymentId: deployment.id,
    Revision: deployment.revision,
    Kind: deployment.kind,
    StartedAt: deployment.startedAt,
    Phase: engine?.phase?.phase ?? 'Rolling',
    Paused: engine?.paused ? { Since: isoFromMs(engine.paused.since), By: engine.paused.by, Reason: engine.paused.reason ?? null } : null,
    BakeEndsAt: bakeEndsAt(state),
    Traffic: trafficView(engine),
    Hooks: hooksInProgress(engine),
  };
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
    Deployment: deploymentProgress(state),
    Revisions: revisions.map((r) => revisionView(state.name, r)),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}
