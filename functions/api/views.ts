/**
 * The API's response shapes (docs/api.md), from the projection. Presentation only.
 */
import type { EnvironmentState, RevisionSummary } from '../../domain/environment';
import type { DeploymentRecord } from '../../domain/history';
import type { FieldChange } from '../../domain/revision-diff';
import { environmentSummary } from '../../domain/environment';
import { ValidationError } from '../../domain/errors';
import { displayStatus, isRetired } from '../../domain/revision-status';
import type { Observation, TaskSighting } from '../../domain/rollout';
import { isoFromMs } from '../../domain/time';
import type { RevisionRow, StoredEvent } from '../ports';
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

/** An array longer than this is given as its length in an event's `Detail` (a batch of 100 ids says "100"). */
const DETAIL_ARRAY_MAX = 10;

/**
 * A revision log event for the timeline (GET …/events): its type, time, revision, what set it off
 * (`Trigger`: a safety trigger, `Abort`, or the caller of a control) and its `Reason`, with the rest
 * of its fields in `Detail` (specs left out, long id lists as their length).
 */
export function logEventView({ sequence, event }: StoredEvent) {
  const fields = event as unknown as Record<string, unknown>;
  const at = fields.at;
  const trigger = fields.trigger;
  const triggerKind = typeof trigger === 'string' ? trigger : trigger && typeof trigger === 'object' ? (trigger as { kind?: string }).kind : undefined;
  const triggerReason = trigger && typeof trigger === 'object' ? (trigger as { reason?: string }).reason : undefined;
  const reason = typeof fields.reason === 'string' ? fields.reason : triggerReason;
  const revision = typeof fields.revision === 'number' ? fields.revision : typeof fields.to === 'number' ? fields.to : null;
  const detail: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (['type', 'at', 'reason', 'trigger', 'revision', 'spec', 'target', 'rollbackConfiguration', 'caller'].includes(key)) continue;
    detail[key] = Array.isArray(value) && value.length > DETAIL_ARRAY_MAX ? value.length : value;
  }
  return {
    Sequence: sequence,
    Type: event.type,
    At: typeof at === 'number' ? isoFromMs(at) : String(at),
    Revision: revision,
    Trigger: triggerKind ?? (typeof fields.caller === 'string' ? 'User' : null),
    By: typeof fields.caller === 'string' ? fields.caller : null,
    Reason: reason ?? null,
    Detail: detail,
  };
}

/** Tasks of one instance a page gives at most: those that want to run first, then the newest stopped. */
const TASKS_PER_INSTANCE = 4;

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function instancesToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function afterOf(nextToken: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof decoded.after === 'string' && decoded.after !== '') return decoded.after;
  } catch {
    // not ours
  }
  throw new ValidationError('nextToken: not a token this API gave out', 'nextToken');
}

/**
 * GET …/instances: a page of the engine's last picture of the environment's instances (those in its
 * instance group, ACTIVE or DRAINING, by ARN) with their tasks. The picture is kept up to date while
 * a deployment runs; at rest it is the one the last deployment left (`LookedAt`). No picture yet: no
 * instances. A Service environment: no instances, and `Tasks` instead — a page of its task sets' tasks
 * as its last full look saw them (by ARN; `Revision` the task set's), `TaskCount` of them in all.
 */
export function instancesPage(state: EnvironmentState, observation: Observation | undefined, options: { limit: number; nextToken?: string | undefined }) {
  const after = options.nextToken === undefined ? undefined : afterOf(options.nextToken);
  if (state.latestSpec.DeploymentType === 'Service') return serviceTasksPage(state, observation, options.limit, after);
  const tasksByInstance = new Map<string, TaskSighting[]>();
  for (const task of observation?.tasks.values() ?? []) {
    const list = tasksByInstance.get(task.instanceArn);
    if (list) list.push(task);
    else tasksByInstance.set(task.instanceArn, [task]);
  }
  const arns = [...(observation?.instances.entries() ?? [])]
    .filter(([, sighting]) => sighting.status === 'ACTIVE' || sighting.status === 'DRAINING')
    .map(([arn]) => arn)
    .sort();
  const { page, more } = pageAfter(arns, (arn) => arn, after, options.limit);
  return {
    EnvironmentName: state.name,
    DeploymentType: state.latestSpec.DeploymentType,
    DeploymentId: observation?.deploymentId ?? null,
    LookedAt: observation ? isoFromMs(observation.lookedAt) : null,
    InstanceCount: arns.length,
    Instances: page.map((arn) => {
      const tasks = (tasksByInstance.get(arn) ?? [])
        .slice()
        .sort((a, b) => (a.lastStatus === 'STOPPED' ? 1 : 0) - (b.lastStatus === 'STOPPED' ? 1 : 0) || (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0) || b.revision - a.revision)
        .slice(0, TASKS_PER_INSTANCE);
      return {
        InstanceId: lastSegment(arn),
        Status: observation!.instances.get(arn)!.status,
        Tasks: tasks.map(taskView),
      };
    }),
    ...(more ? { NextToken: instancesToken(page.at(-1)!) } : {}),
  };
}

function serviceTasksPage(state: EnvironmentState, observation: Observation | undefined, limit: number, after: string | undefined) {
  const tasks = [...(observation?.tasks.values() ?? [])].sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  const { page, more } = pageAfter(tasks, (t) => t.arn, after, limit);
  return {
    EnvironmentName: state.name,
    DeploymentType: state.latestSpec.DeploymentType,
    DeploymentId: observation?.deploymentId ?? null,
    LookedAt: observation ? isoFromMs(observation.lookedAt) : null,
    InstanceCount: 0,
    Instances: [],
    TaskCount: tasks.length,
    Tasks: page.map(taskView),
    ...(more ? { NextToken: instancesToken(page.at(-1)!.arn) } : {}),
  };
}

/** A task of GET …/instances (an instance's, or a Service's). */
function taskView(t: TaskSighting) {
  return {
    TaskId: lastSegment(t.arn),
    Revision: t.revision,
    LastStatus: t.lastStatus,
    DesiredStatus: t.desiredStatus,
    Health: t.health,
    ...(t.stoppedReason ? { StoppedReason: t.stoppedReason } : {}),
  };
}

/** The `limit` items after the key `after` (all sorted by that key), and whether more follow. */
function pageAfter<T>(sorted: readonly T[], keyOf: (item: T) => string, after: string | undefined, limit: number): { page: T[]; more: boolean } {
  const start = after === undefined ? 0 : sorted.findIndex((item) => keyOf(item) > after);
  return { page: start < 0 ? [] : sorted.slice(start, start + limit), more: start >= 0 && start + limit < sorted.length };
}
