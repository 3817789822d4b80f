/** Lambda entry point of the router (ECS events, the tick, wake-ups → the reconcile queue; see router-handler.ts). */
import { routerDeps } from './router-deps';
import { createRouterHandler } from './router-handler';

export const handler = createRouterHandler(routerDeps());
