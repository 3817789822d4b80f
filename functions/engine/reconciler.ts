/** Lambda entry point of the reconciler (the SQS FIFO reconcile queue; see reconciler-handler.ts). */
import { engineDeps } from './deps';
import { createReconcilerHandler } from './reconciler-handler';

export const handler = createReconcilerHandler(engineDeps());
