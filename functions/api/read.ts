/** Lambda entry point of api-read (routes in read-routes.ts). */
import { createDocumentClient } from '../adapters/dynamo';
import { DynamoObservationStore } from '../adapters/observation-store';
import { defaultDeps } from './deps';
import { createReadHandler } from './read-routes';

const deps = defaultDeps();
export const handler = createReadHandler({ ...deps, observations: new DynamoObservationStore(createDocumentClient(), process.env.TABLE_NAME!) });
