/** Lambda entry point of api-read (routes in read-routes.ts). */
import { defaultDeps } from './deps';
import { createReadHandler } from './read-routes';

export const handler = createReadHandler(defaultDeps());
