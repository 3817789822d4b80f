/** Lambda entry point of api-read (routes in read-routes.ts). */
import { createDocumentClient } from '../adapters/dynamo';
import type { ObservationStore } from '../ports';
import { defaultDeps } from './deps';
import type { PlanningPorts } from './plan-deployment';
import { createReadHandler } from './read-routes';

const deps = defaultDeps();

/** The engine's pictures (GET …/instances only): the adapter and the domain code it decodes with are loaded on first use, not at every cold start. */
let store: Promise<ObservationStore> | undefined;
const observations: ObservationStore = {
  load: async (environment, known) => {
    store ??= import('../adapters/observation-store').then(({ DynamoObservationStore }) => new DynamoObservationStore(createDocumentClient(), process.env.TABLE_NAME!));
    return (await store).load(environment, known);
  },
  save: () => Promise.reject(new Error('api-read does not save pictures of the cluster')),
};

/**
 * plan-deployment's read-only ECS ports, loaded on its first request: the ECS client and adapters
 * (and the simulator the plan runs on) stay out of the cold start of the other read routes.
 */
function lazyEcsPlanning(): PlanningPorts {
  let loaded: Promise<PlanningPorts> | undefined;
  const ports = () =>
    (loaded ??= Promise.all([import('../adapters/ecs-planning'), import('../adapters/ecs-cluster')]).then(([planning, cluster]) =>
      planning.ecsPlanningPorts(cluster.createEcsClient()),
    ));
  return {
    cluster: {
      listContainerInstances: async (cluster, filter) => (await ports()).cluster.listContainerInstances(cluster, filter),
      listTasks: async (cluster, startedBy) => (await ports()).cluster.listTasks(cluster, startedBy),
    },
    services: { describeService: async (cluster, name) => (await ports()).services!.describeService(cluster, name) },
    serviceTasks: async (cluster, serviceName) => (await ports()).serviceTasks!(cluster, serviceName),
    taskDefinitions: { needsOf: async (taskDefinition) => (await ports()).taskDefinitions.needsOf(taskDefinition) },
  };
}

export const handler = createReadHandler({ ...deps, observations, planning: lazyEcsPlanning() });
