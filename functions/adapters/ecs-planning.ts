/**
 * plan-deployment's read-only looks at Amazon ECS (api-read; `functions/api/plan-deployment.ts`):
 * the cluster adapter's listings (ListContainerInstances + DescribeContainerInstances, ListTasks +
 * DescribeTasks), DescribeServices through the services adapter, a Service's tasks by `serviceName`
 * (those of deleted task sets too, stopped ones for about an hour), and what a task definition needs
 * (DescribeTaskDefinition). Nothing here changes anything in ECS.
 */
import { DescribeTaskDefinitionCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import type { ECSClient, TaskDefinition } from '@aws-sdk/client-ecs';
import type { PlanningPorts, TaskDefinitionNeeds } from '../api/plan-deployment';
import type { ClusterTask } from '../ports';
import { EcsCluster } from './ecs-cluster';
import { EcsServices } from './ecs-services';

/** Tasks listed per ListTasks page (ECS's most). */
const PAGE = 100;

/**
 * What one task of the definition reserves on an instance: the task-level `cpu` and `memory` when
 * set, else the sum over its containers (`memory`, or `memoryReservation`, as ECS places them).
 */
export function taskDefinitionNeeds(definition: TaskDefinition): TaskDefinitionNeeds {
  const containers = definition.containerDefinitions ?? [];
  const taskCpu = Number(definition.cpu);
  const taskMemory = Number(definition.memory);
  return {
    cpu: definition.cpu !== undefined && Number.isFinite(taskCpu) ? taskCpu : containers.reduce((n, c) => n + (c.cpu ?? 0), 0),
    memory: definition.memory !== undefined && Number.isFinite(taskMemory) ? taskMemory : containers.reduce((n, c) => n + (c.memory ?? c.memoryReservation ?? 0), 0),
    healthCheck: containers.some((c) => c.healthCheck !== undefined && c.healthCheck !== null),
  };
}

export function ecsPlanningPorts(client: ECSClient): PlanningPorts {
  const cluster = new EcsCluster(client);
  const services = new EcsServices(client);
  return {
    cluster,
    services,
    serviceTasks: async (clusterName, serviceName) => {
      const tasks: ClusterTask[] = [];
      for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
        let nextToken: string | undefined;
        do {
          const page = await client.send(new ListTasksCommand({ cluster: clusterName, serviceName, desiredStatus, maxResults: PAGE, ...(nextToken ? { nextToken } : {}) }));
          tasks.push(...(await cluster.lookUpTasks(clusterName, page.taskArns ?? [])));
          nextToken = page.nextToken || undefined;
        } while (nextToken);
      }
      return tasks;
    },
    taskDefinitions: {
      needsOf: async (taskDefinition) => {
        const output = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
        if (!output.taskDefinition) throw new Error(`DescribeTaskDefinition ${taskDefinition}: no task definition in the answer`);
        return taskDefinitionNeeds(output.taskDefinition);
      },
    },
  };
}
