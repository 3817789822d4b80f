/** Lambda entry point of the executor (the SQS FIFO action queue; see executor-handler.ts). */
import { executorDeps } from './executor-deps';
import { createExecutorHandler } from './executor-handler';

export const handler = createExecutorHandler(executorDeps());
