/** Lambda entry point of the planner (ECS events, the tick and wake-ups; see planner-handler.ts). */
import { engineDeps } from './deps';
import { createPlannerHandler } from './planner-handler';

export const handler = createPlannerHandler(engineDeps());
