/**
 * Observing the cluster for the planner: the instance group's instances (ACTIVE and DRAINING) and
 * every task Blox started for the environment, each with its revision (from the task's tags).
 */
import { startedByOf, TAG_ACTION, TAG_ENVIRONMENT, TAG_REVISION } from '../../domain/identity';
import type { Observed, ObservedTask, PlannerState } from '../../domain/rollout';
import type { Cluster, ClusterTask, TaskDefinitions } from '../ports';

export async function observe(cluster: Cluster, taskDefinitions: TaskDefinitions, engine: PlannerState): Promise<Observed> {
  const [instances, tasks, targetHealthChecked] = await Promise.all([
    cluster.listContainerInstances(engine.cluster, engine.query),
    cluster.listTasks(engine.cluster, startedByOf(engine.environment)),
    taskDefinitions.hasHealthCheck(engine.taskDefinition),
  ]);
  return {
    instances: instances.flatMap((i) => (i.status === 'ACTIVE' || i.status === 'DRAINING' ? [{ arn: i.arn, status: i.status }] : [])),
    tasks: tasks.flatMap((t) => observedTask(t, engine.environment)),
    targetHealthChecked,
  };
}

function observedTask(task: ClusterTask, environment: string): ObservedTask[] {
  const revision = Number(task.tags[TAG_REVISION]);
  // startedBy is a hash of the name: the environment tag rules out a collision.
  if (task.tags[TAG_ENVIRONMENT] !== environment || !Number.isInteger(revision) || revision < 1) return [];
  return [
    {
      arn: task.arn,
      instanceArn: task.containerInstanceArn,
      revision,
      actionKey: task.tags[TAG_ACTION],
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      health: task.healthStatus,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      stoppedAt: task.stoppedAt ? Date.parse(task.stoppedAt) : undefined,
    },
  ];
}
