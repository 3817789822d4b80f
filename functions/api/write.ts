/** Lambda entry point of api-write (routes in write-routes.ts). */
import { defaultDeps } from './deps';
import { createWriteHandler } from './write-routes';

export const handler = createWriteHandler(defaultDeps());
