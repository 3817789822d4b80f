/** Lambda entry point of api-read (routes in read-routes.ts). */
import { createDocumentClient } from '../adapters/dynamo';
import type { ObservationStore } from '../ports';
import { defaultDeps } from './deps';
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

export const handler = createReadHandler({ ...deps, observations });
