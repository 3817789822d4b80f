/**
 * Observing the cluster for the planner: the picture kept between reconciles, brought up to date
 * with the changes ECS's events announced (domain/rollout/observation.ts says when a full look is
 * due, and what each change does), plus the few ECS calls a reconcile still needs:
 *
 * - a full look (`fullLookReason`): the group's instances listed by status (ACTIVE, then DRAINING;
 *   no Describe), the tasks that want to run (ListTasks; DescribeTasks with tags of those the old
 *   picture cannot vouch for, `toDescribe`), and the tasks of the old picture that are no longer
 *   listed, described by ARN (they stopped). With no old picture: every task of the environment,
 *   stopped ones included, listed and described. At 10,000 instances and as many tasks: 100 + 100
 *   calls (+ 100 DescribeTasks with no old picture, or when the revision has a health check);
 * - otherwise: DescribeTasks for the tasks whose event did not say their revision, and for those
 *   waiting for a health verdict (at most every HEALTH_POLL_MS); the instances listed again only
 *   when a change could not be placed (a `task:group` query). Usually no call at all.
 * - a deployment completes only on a full look (`reconcile`, engine.ts): an instance that joined just
 *   before, whose event has not reached the reconciler yet, is not left without its task.
 */
import { startedByOf, TAG_ACTION, TAG_ENVIRONMENT, TAG_REVISION } from '../../domain/identity';
import type { Observation, ObservationChange, Observed, ObservedInstance, PlannerState, TaskSighting } from '../../domain/rollout';
import { afterFullLook, fold, fullLookReason, healthToLookUp, keepNewer, observedFrom, parseTaskGroup, prune, toDescribe, vanished } from '../../domain/rollout';
import type { Cluster, ClusterTask, Page, TaskDefinitions } from '../ports';

/** Vanished tasks beyond this many are found by listing the stopped ones instead of describing each. */
const MAX_VANISHED_LOOKUPS = 1_000;

export interface Look {
  observed: Observed;
  observation: Observation;
  /** Why the cluster was looked at in full, when it was. */
  fullLook?: string | undefined;
  /** Whether the picture differs from the one given (else there is nothing to save). */
  changed: boolean;
}

export async function observe(
  deps: { cluster: Cluster; taskDefinitions: TaskDefinitions; pictureTrustedSince?: number | undefined },
  engine: PlannerState,
  previous: Observation | undefined,
  changes: readonly ObservationChange[],
  now: number,
  /** Look in full whatever the picture (with this reason). */
  force?: string,
): Promise<Look> {
  const targetHealthChecked = await deps.taskDefinitions.hasHealthCheck(engine.taskDefinition);
  const reason = force ?? fullLookReason(previous, engine, now, deps.pictureTrustedSince);
  let observation: Observation;
  let changed = reason !== undefined || changes.length > 0;
  if (reason !== undefined) {
    observation = fold(await fullLook(deps.cluster, engine, previous, now, targetHealthChecked), changes, engine);
  } else {
    observation = fold(previous!, changes, engine);
    if (observation.relist) {
      observation.instances = new Map([...(await listInstances(deps.cluster, engine))].map(([arn, status]) => [arn, { status, version: 0 }]));
      observation.relist = false;
      changed = true;
    }
    const health = healthToLookUp(observation, targetHealthChecked, now);
    const lookUp = [...new Set([...observation.toLookUp, ...health])];
    if (lookUp.length > 0) {
      for (const task of await deps.cluster.lookUpTasks(engine.cluster, lookUp)) {
        const seen = sighting(task, engine.environment);
        if (seen) keepNewer(observation.tasks, seen);
      }
      observation.toLookUp = new Set();
      if (health.length > 0) observation.healthLookedAt = now;
      changed = true;
    }
  }
  const kept = observation.tasks.size;
  prune(observation, now);
  changed ||= observation.tasks.size !== kept;
  return { observed: observedFrom(observation, targetHealthChecked), observation, fullLook: reason, changed };
}

/** Every page of a listing, one after the other (each page one ECS call, taken from the budget in turn). */
export async function allPages<T>(page: (nextToken: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const next = await page(nextToken);
    items.push(...next.items);
    nextToken = next.nextToken;
  } while (nextToken !== undefined);
  return items;
}

async function listInstances(cluster: Cluster, engine: PlannerState): Promise<Map<string, ObservedInstance['status']>> {
  const listed = (status: ObservedInstance['status']) => allPages((token) => cluster.listContainerInstanceArnPage(engine.cluster, engine.query, status, token));
  const [active, draining] = await Promise.all([listed('ACTIVE'), listed('DRAINING')]);
  return new Map([...active.map((arn) => [arn, 'ACTIVE'] as const), ...draining.map((arn) => [arn, 'DRAINING'] as const)]);
}

async function listTasks(cluster: Cluster, engine: PlannerState, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<TaskSighting[]> {
  const tasks = await allPages((token) => cluster.listTaskPage(engine.cluster, startedByOf(engine.environment), desiredStatus, token));
  return tasks.flatMap((t) => sighting(t, engine.environment) ?? []);
}

async function fullLook(cluster: Cluster, engine: PlannerState, previous: Observation | undefined, now: number, healthChecked: boolean): Promise<Observation> {
  if (!previous) {
    const [instances, running] = await Promise.all([listInstances(cluster, engine), listTasks(cluster, engine, 'RUNNING')]);
    const tasks = [...running, ...(await listTasks(cluster, engine, 'STOPPED'))];
    return afterFullLook(engine, { instances: [...instances].map(([arn, status]) => ({ arn, status })), tasks }, now);
  }
  // With an old picture, the RUNNING listing is ARNs only; only what the picture cannot vouch for is described.
  const [instances, listed] = await Promise.all([
    listInstances(cluster, engine),
    allPages((token) => cluster.listTaskArnPage(engine.cluster, startedByOf(engine.environment), 'RUNNING', token)),
  ]);
  const { describe, known } = toDescribe(previous, listed, healthChecked);
  const tasks = [...known, ...(await cluster.lookUpTasks(engine.cluster, describe)).flatMap((t) => sighting(t, engine.environment) ?? [])];
  const gone = vanished(previous, tasks);
  if (gone.length > MAX_VANISHED_LOOKUPS) {
    tasks.push(...(await listTasks(cluster, engine, 'STOPPED')));
  } else if (gone.length > 0) {
    tasks.push(...(await cluster.lookUpTasks(engine.cluster, gone)).flatMap((t) => sighting(t, engine.environment) ?? []));
  }
  return afterFullLook(engine, { instances: [...instances].map(([arn, status]) => ({ arn, status })), tasks }, now);
}

/** A task of the environment as the planner sees it (revision and launch from its tags), or undefined. */
export function sighting(task: ClusterTask, environment: string): TaskSighting | undefined {
  // startedBy is a hash of the name: the environment tag rules out a collision.
  if (task.tags[TAG_ENVIRONMENT] !== environment) return undefined;
  const placed = parseTaskGroup(task.group);
  const revision = Number(task.tags[TAG_REVISION] ?? placed?.revision);
  if (!Number.isInteger(revision) || revision < 1) return undefined;
  return {
    arn: task.arn,
    instanceArn: task.containerInstanceArn,
    revision,
    actionKey: task.tags[TAG_ACTION] ?? placed?.actionKey,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    health: task.healthStatus,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    stoppedAt: task.stoppedAt ? Date.parse(task.stoppedAt) : undefined,
    version: task.version,
  };
}
