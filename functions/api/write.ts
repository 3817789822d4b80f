/** Lambda entry point of api-write (routes in write-routes.ts; dependencies in write-deps.ts). */
import { writeDeps } from './write-deps';
import { createWriteHandler } from './write-routes';

export const handler = createWriteHandler(writeDeps());
