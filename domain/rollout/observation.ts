/**
 * The engine's picture of the cluster between full looks: what a reconcile plans with, kept up to
 * date by ECS's own events instead of being listed again every time.
 *
 * A full look at 10,000 instances is about 200 ECS read calls (instances listed by status, tasks
 * listed, 100 a call; 100 more to describe the tasks when there is no old picture to vouch for them,
 * `toDescribe`), and ECS allows 20 a second: ten seconds of the account's read rate for one plan. So the engine looks in full only when it has to, and otherwise folds what
 * ECS said since (task and container-instance state change events, carried to the reconciler in its
 * requests) into the picture it kept (`fold`):
 *
 * - **When a full look is due** (`fullLookReason`): there is no picture; the picture was taken for
 *   another deployment or instance group (the picture is not kept up to date while the environment is
 *   at rest: no event is routed to it); or it is older than `FULL_LOOK_EVERY_MS`, the backstop for
 *   an event EventBridge never delivered.
 * - **A full look** (`afterFullLook`): the instances of the group (listed by status), the tasks that
 *   want to run (listed; described with their tags unless the old picture vouches for them,
 *   `toDescribe`), and — described by ARN — the tasks of the
 *   old picture that are no longer listed (they stopped: ECS describes stopped tasks for an hour).
 *   With no old picture, every task of the environment, stopped ones included, is listed.
 * - **A change** (`fold`): a task event is taken when it is newer than what the picture has (ECS's
 *   `version` of the task; EventBridge may deliver late, twice, or out of order), and a STOPPED task
 *   never comes back. The revision and launch of a task come from its `group` (`blox:<revision>:<action key>`,
 *   `taskGroup`), since events carry no tags; a task whose group does not say (started by an older
 *   Blox) is described with its tags at the next reconcile (`toLookUp`). A container-instance event
 *   says whether the instance is in the group now: its status, and the query evaluated on the
 *   event's facts — except for a query on `task:group`, which the event cannot answer: then the
 *   instances are listed again (`relist`). The newer of two events of an instance wins (ECS's
 *   `version`), and an instance that went INACTIVE stays gone.
 * - **Health** (`healthToLookUp`): ECS sends no event when a task turns HEALTHY, so the tasks that
 *   run without a health verdict yet are described again, at most every `HEALTH_POLL_MS`.
 * - Stopped tasks are forgotten an hour after they stopped, as ECS forgets them (`prune`).
 *
 * Worked example. Picture taken for deployment D at 12:00:00 with instance i1 ACTIVE and task t1
 * (revision 1, RUNNING, version 3). Events arrive: t1 version 5 STOPPED; then, late, t1 version 4
 * RUNNING/desired STOPPED; t2 on i1 group `blox:2:k1` version 1 PENDING. `fold` gives t1 STOPPED
 * (version 5: the late version 4 is older and dropped) and t2 revision 2, action k1, PENDING.
 */
import type { InstanceFacts } from '../query';
import { evaluateQuery, parseQuery } from '../query';
import type { QueryAst } from '../query/ast';
import { HEALTH_POLL_MS } from './keys';
import type { Observed, ObservedInstance, ObservedService, ObservedTask, Plan, PlannerState, TaskLastStatus } from './types';

/** The backstop: a full look at least this often while deploying. */
export const FULL_LOOK_EVERY_MS = 10 * 60_000;
/** Stopped tasks are kept this long after they stopped (ECS describes them for at least an hour). */
export const STOPPED_KEPT_MS = 60 * 60_000;
/** At most this many tasks are described for their health per reconcile (10 DescribeTasks calls). */
export const MAX_HEALTH_LOOKUPS = 1_000;

/** A task as last seen, with ECS's version of it. */
export interface TaskSighting extends ObservedTask {
  version: number;
}

export interface Observation {
  /** The deployment and instance group the last full look was for, and when it was taken. */
  deploymentId: string;
  query: string | undefined;
  lookedAt: number;
  /** When the tasks waiting for a health verdict were last described. */
  healthLookedAt: number;
  /**
   * Instances by ARN, with ECS's version of what was last seen of them (0: listed by a full look).
   * OUT: out of the group for now (its attributes or status); INACTIVE: gone for good (a late event
   * does not bring it back). The planner sees the ACTIVE and DRAINING ones.
   */
  instances: Map<string, InstanceSighting>;
  /** The environment's tasks by ARN. */
  tasks: Map<string, TaskSighting>;
  /** Tasks seen in an event that did not say their revision: described at the next reconcile. */
  toLookUp: Set<string>;
  /** An instance changed in a way its event cannot place in or out of the group: list them again. */
  relist: boolean;
}

export interface InstanceSighting {
  status: ObservedInstance['status'] | 'OUT' | 'INACTIVE';
  version: number;
}

/** What a task state change event says of a Blox task (ECS's event detail, trimmed). */
export interface TaskChange {
  kind: 'task';
  arn: string;
  instanceArn: string;
  group?: string | undefined;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  health: ObservedTask['health'];
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  stoppedAt?: number | undefined;
  version: number;
}

/** What a container instance state change event says of an instance. */
export interface InstanceChange {
  kind: 'instance';
  arn: string;
  status: string;
  facts: InstanceFacts;
  version: number;
}

export type ObservationChange = TaskChange | InstanceChange;

// ── Task groups ──────────────────────────────────────────────────────────────────────────────────

/**
 * The ECS task group of a task Blox starts (≤ 255 characters): its revision and the launch that
 * started it, readable from task events (which carry no tags).
 * taskGroup(2, 'start-ab-2-cd-0') === 'blox:2:start-ab-2-cd-0'
 */
export function taskGroup(revision: number, actionKey: string): string {
  return `blox:${revision}:${actionKey}`;
}

/** parseTaskGroup('blox:2:start-ab-2-cd-0') → { revision: 2, actionKey: 'start-ab-2-cd-0' }; anything else → undefined. */
export function parseTaskGroup(group: string | undefined): { revision: number; actionKey: string } | undefined {
  const match = group === undefined ? null : /^blox:([1-9][0-9]{0,8}):(.+)$/.exec(group);
  return match ? { revision: Number(match[1]), actionKey: match[2]! } : undefined;
}

// ── When to look in full ─────────────────────────────────────────────────────────────────────────

/** Why the next plan needs a full look, or undefined when the kept picture will do. */
export function fullLookReason(observation: Observation | undefined, engine: PlannerState, now: number, trustedSince?: number): string | undefined {
  if (!observation) return 'no picture of the cluster yet';
  // A picture older than the process that must trust it: changes may have been lost in between (the
  // local stack's in-process queue does not survive a restart; SQS does).
  if (trustedSince !== undefined && observation.lookedAt < trustedSince) return 'the picture predates this engine: changes may have been lost';
  if (observation.deploymentId !== engine.deploymentId) return 'a new deployment';
  if ((observation.query ?? '') !== (engine.query ?? '')) return 'the instance group changed';
  if (now - observation.lookedAt >= FULL_LOOK_EVERY_MS) return `the last full look is ${Math.round((now - observation.lookedAt) / 1000)} s old`;
  return undefined;
}

/**
 * Why a plan must be made again on a full look before it is recorded, or undefined — a plan made on
 * a picture kept from events that
 * - completes the deployment (an instance that joined a moment ago may have no event in yet), or
 * - gives up launches as lost: their tasks' events may be waiting in the reconcile queue behind a
 *   backlog (a 1,000-instance wave sends thousands), or lost; launching again would put a second
 *   copy on the instance. The full look lists the tasks that want to run, PENDING ones included.
 * confirmationReason({events: [LaunchesLost]}, false) → 'confirming launches are lost …'; (…, true) → undefined.
 */
export function confirmationReason(planned: Pick<Plan, 'events'>, lookedInFull: boolean): string | undefined {
  if (lookedInFull) return undefined;
  if (planned.events.some((e) => e.type === 'DeploymentCompleted')) return 'confirming the deployment is complete';
  if (planned.events.some((e) => e.type === 'DeletionCompleted')) return 'confirming no task of the environment is left';
  if (planned.events.some((e) => e.type === 'LaunchesLost')) return 'confirming launches are lost (their task events may not have arrived yet)';
  return undefined;
}

/** The picture after a full look: the listing wins; vanished tasks are as described (or dropped). */
export function afterFullLook(
  engine: PlannerState,
  look: { instances: ObservedInstance[]; tasks: TaskSighting[] },
  now: number,
): Observation {
  const tasks = new Map<string, TaskSighting>();
  for (const task of look.tasks) keepNewer(tasks, task);
  return {
    deploymentId: engine.deploymentId,
    query: engine.query,
    lookedAt: now,
    healthLookedAt: now,
    instances: new Map(look.instances.map((i) => [i.arn, { status: i.status, version: 0 }])),
    tasks,
    toLookUp: new Set(),
    relist: false,
  };
}

/**
 * Of the ARNs a RUNNING listing shows (ListTasks, desiredStatus RUNNING), those a full look must
 * describe, and the sightings the old picture vouches for. A task the old picture has RUNNING with
 * desired status RUNNING that ECS still lists as wanting to run is unchanged in everything the
 * planner reads: ECS never moves a task back from RUNNING, nor to another instance, and stopping it
 * would set its desired status to STOPPED (so it would not be listed). Its health can change,
 * though: when the revision has a health check (`healthChecked`), every listed task is described.
 * At 10,000 tasks this saves 100 DescribeTasks calls a look: 6 s of ECS's read rate.
 *
 * Old picture {t1 RUNNING/RUNNING, t2 PENDING/RUNNING, t3 STOPPED}, listing [t1, t2, t4]:
 * healthChecked false → describe [t2, t4], known [t1]; healthChecked true → describe [t1, t2, t4].
 */
export function toDescribe(previous: Observation, listed: readonly string[], healthChecked: boolean): { describe: string[]; known: TaskSighting[] } {
  if (healthChecked) return { describe: [...listed], known: [] };
  const describe: string[] = [];
  const known: TaskSighting[] = [];
  for (const arn of listed) {
    const seen = previous.tasks.get(arn);
    if (seen && seen.lastStatus === 'RUNNING' && seen.desiredStatus === 'RUNNING') known.push(seen);
    else describe.push(arn);
  }
  return { describe, known };
}

/** The tasks of the old picture a RUNNING listing no longer shows (to be described by ARN). */
export function vanished(previous: Observation, listed: readonly TaskSighting[]): string[] {
  const seen = new Set(listed.map((t) => t.arn));
  return [...previous.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED' && !seen.has(t.arn)).map((t) => t.arn);
}

// ── Folding changes ──────────────────────────────────────────────────────────────────────────────

/** The picture with the changes folded in (a new picture; the old one is left as it was). */
export function fold(observation: Observation, changes: readonly ObservationChange[], engine: PlannerState): Observation {
  const next: Observation = {
    ...observation,
    instances: new Map(observation.instances),
    tasks: new Map(observation.tasks),
    toLookUp: new Set(observation.toLookUp),
  };
  let ast: QueryAst | null | undefined;
  for (const change of changes) {
    switch (change.kind) {
      case 'task': {
        const placed = parseTaskGroup(change.group);
        if (!placed) {
          const known = next.tasks.get(change.arn);
          if (!known || change.version > known.version) next.toLookUp.add(change.arn);
          break;
        }
        keepNewer(next.tasks, {
          arn: change.arn,
          instanceArn: change.instanceArn,
          revision: placed.revision,
          actionKey: placed.actionKey,
          lastStatus: change.lastStatus,
          desiredStatus: change.desiredStatus,
          health: change.health,
          stopCode: change.stopCode,
          stoppedReason: change.stoppedReason,
          stoppedAt: change.stoppedAt,
          version: change.version,
        });
        break;
      }
      case 'instance': {
        if (ast === undefined) {
          const parsed = parseQuery(engine.query ?? '');
          ast = parsed.ok ? parsed.ast : null;
        }
        if (mentionsTaskGroup(ast)) {
          next.relist = true;
          break;
        }
        // The newer event wins (EventBridge may deliver late or out of order); INACTIVE is for good.
        const known = next.instances.get(change.arn);
        if (known && (known.status === 'INACTIVE' || known.version > change.version)) break;
        const status: InstanceSighting['status'] =
          change.status === 'INACTIVE' || change.status === 'DEREGISTERING'
            ? 'INACTIVE'
            : (change.status === 'ACTIVE' || change.status === 'DRAINING') && evaluateQuery(ast, change.facts)
              ? change.status
              : 'OUT';
        next.instances.set(change.arn, { status, version: change.version });
        break;
      }
      default: {
        const never: never = change;
        throw new Error(`unexpected change ${JSON.stringify(never)}`);
      }
    }
  }
  return next;
}

/** Whether the query asks about `task:group` (which no container instance event tells). */
export function mentionsTaskGroup(ast: QueryAst | null): boolean {
  if (ast === null) return false;
  switch (ast.type) {
    case 'and':
    case 'or':
      return ast.operands.some(mentionsTaskGroup);
    case 'not':
      return mentionsTaskGroup(ast.operand);
    case 'compare':
    case 'exists':
    case 'in':
    case 'matches':
      return ast.subject.field === 'task:group';
    default: {
      const never: never = ast;
      throw new Error(`unexpected query node ${JSON.stringify(never)}`);
    }
  }
}

/** Takes `task` unless the map has a newer sighting (a higher version, or a STOPPED one). */
export function keepNewer(tasks: Map<string, TaskSighting>, task: TaskSighting): boolean {
  const known = tasks.get(task.arn);
  if (known && (known.version > task.version || (known.lastStatus === 'STOPPED' && task.lastStatus !== 'STOPPED'))) return false;
  tasks.set(task.arn, task);
  return true;
}

// ── Deltas (what a reconcile changed, for the store to write instead of the whole picture) ────────

/** What changed between two pictures: the entries set or replaced, the ones gone, and the scalars. */
export interface ObservationDelta {
  deploymentId: string;
  query: string | undefined;
  lookedAt: number;
  healthLookedAt: number;
  relist: boolean;
  toLookUp: string[];
  instances: Array<[string, InstanceSighting]>;
  instancesGone: string[];
  tasks: TaskSighting[];
  tasksGone: string[];
}

/**
 * The delta from `before` to `after`. Entries are compared by identity: `fold`, `keepNewer` and
 * `afterFullLook` put new sightings in new maps and keep the old objects for what did not change, so
 * an entry that is the same object is unchanged (a full look replaces every entry: its delta is the
 * whole picture, and the store writes the picture whole instead).
 * Worked example: before {i1, i2; t1, t2}, after {i1, i2' (a new sighting); t1, t3} → instances [i2'],
 * tasks [t3], tasksGone [t2].
 */
export function observationDelta(before: Observation, after: Observation): ObservationDelta {
  const [instances, instancesGone] = changedEntries(before.instances, after.instances);
  const [tasks, tasksGone] = changedEntries(before.tasks, after.tasks);
  return {
    deploymentId: after.deploymentId,
    query: after.query,
    lookedAt: after.lookedAt,
    healthLookedAt: after.healthLookedAt,
    relist: after.relist,
    toLookUp: [...after.toLookUp],
    instances,
    instancesGone,
    tasks: tasks.map(([, task]) => task),
    tasksGone,
  };
}

/** The entries of `after` that are not the same object in `before`, and the keys of `before` that `after` lacks. */
function changedEntries<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): [Array<[string, T]>, string[]] {
  const set: Array<[string, T]> = [];
  let added = 0;
  for (const [key, value] of after) {
    const was = before.get(key);
    if (was === value) continue;
    set.push([key, value]);
    if (was === undefined) added++;
  }
  const gone: string[] = [];
  // Every key of `before` is in `after` unless `after` has fewer old keys than `before` has keys.
  if (after.size - added < before.size) for (const key of before.keys()) if (!after.has(key)) gone.push(key);
  return [set, gone];
}

/** The picture with a delta applied (a new picture; entries the delta does not name are shared). */
export function applyDelta(observation: Observation, delta: ObservationDelta): Observation {
  const instances = new Map(observation.instances);
  for (const arn of delta.instancesGone) instances.delete(arn);
  for (const [arn, sighting] of delta.instances) instances.set(arn, sighting);
  const tasks = new Map(observation.tasks);
  for (const arn of delta.tasksGone) tasks.delete(arn);
  for (const task of delta.tasks) tasks.set(task.arn, task);
  return {
    deploymentId: delta.deploymentId,
    query: delta.query,
    lookedAt: delta.lookedAt,
    healthLookedAt: delta.healthLookedAt,
    relist: delta.relist,
    toLookUp: new Set(delta.toLookUp),
    instances,
    tasks,
  };
}

// ── Health, pruning, and what the planner sees ──────────────────────────────────────────────────

/** Tasks running without a health verdict, to describe again (none before HEALTH_POLL_MS has passed). */
export function healthToLookUp(observation: Observation, targetHealthChecked: boolean, now: number): string[] {
  if (!targetHealthChecked || now - observation.healthLookedAt < HEALTH_POLL_MS) return [];
  const waiting: string[] = [];
  for (const t of observation.tasks.values()) {
    if (t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t.health === 'UNKNOWN') waiting.push(t.arn);
    if (waiting.length >= MAX_HEALTH_LOOKUPS) break;
  }
  return waiting;
}

/** Forgets tasks stopped more than STOPPED_KEPT_MS ago (in place). */
export function prune(observation: Observation, now: number): Observation {
  for (const [arn, t] of observation.tasks) {
    if (t.lastStatus === 'STOPPED' && now - (t.stoppedAt ?? observation.lookedAt) > STOPPED_KEPT_MS) observation.tasks.delete(arn);
  }
  return observation;
}

/** What the planner sees. */
export function observedFrom(observation: Observation, targetHealthChecked: boolean): Observed {
  const instances: ObservedInstance[] = [];
  for (const [arn, { status }] of observation.instances) if (status === 'ACTIVE' || status === 'DRAINING') instances.push({ arn, status });
  const tasks: ObservedTask[] = [];
  for (const { version: _version, ...task } of observation.tasks.values()) tasks.push(task);
  return { instances, tasks, targetHealthChecked };
}

/**
 * A Service's picture, kept for the dashboard (a Service is looked at in full every reconcile, so the
 * engine plans without it): the tasks of every task set, each as a sighting whose revision is its
 * task set's (0 for a task set Blox did not make) and whose `instanceArn` is empty (ECS places a task
 * set's tasks). Health: ready → HEALTHY; a target the load balancer found unhealthy → UNHEALTHY; else
 * UNKNOWN. A sighting that did not change is the previous picture's own object, so the stored delta is
 * what changed (`observationDelta`); `changed` says whether anything did.
 *
 * Worked example: previous picture of deployment D holds t1 (revision 1, RUNNING, HEALTHY). The look
 * shows set r1 {t1 RUNNING ready} and set r2 {t2 PENDING, target initial} → t1 the same object, t2 new
 * (revision 2, PENDING, UNKNOWN), changed. The same look again → changed false.
 */
export function serviceLook(engine: PlannerState, previous: Observation | undefined, service: ObservedService | undefined, now: number): { observation: Observation; changed: boolean } {
  const kept = previous?.deploymentId === engine.deploymentId ? previous.tasks : undefined;
  const tasks = new Map<string, TaskSighting>();
  let changed = kept === undefined;
  for (const set of service?.taskSets ?? []) {
    for (const task of set.tasks) {
      const health = task.ready ? 'HEALTHY' : task.target?.state === 'unhealthy' || task.target?.state === 'unhealthy.draining' ? 'UNHEALTHY' : 'UNKNOWN';
      const sighting: TaskSighting = {
        arn: task.arn,
        instanceArn: '',
        revision: set.revision ?? 0,
        lastStatus: task.lastStatus,
        desiredStatus: task.desiredStatus,
        health,
        ...(task.stopCode ? { stopCode: task.stopCode } : {}),
        ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
        ...(task.stoppedAt !== undefined ? { stoppedAt: task.stoppedAt } : {}),
        version: 0,
      };
      const was = kept?.get(task.arn);
      const same =
        was !== undefined &&
        was.revision === sighting.revision &&
        was.lastStatus === sighting.lastStatus &&
        was.desiredStatus === sighting.desiredStatus &&
        was.health === sighting.health &&
        was.stoppedReason === sighting.stoppedReason;
      tasks.set(task.arn, same ? was : sighting);
      if (!same) changed = true;
    }
  }
  if (kept && kept.size !== tasks.size) changed = true;
  const observation: Observation = {
    deploymentId: engine.deploymentId,
    query: engine.query,
    lookedAt: now,
    healthLookedAt: now,
    instances: new Map(),
    tasks,
    toLookUp: new Set(),
    relist: false,
  };
  return { observation, changed };
}
