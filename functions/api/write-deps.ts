/**
 * api-write's dependencies: `defaultDeps` plus the hand-off to the engine. Kept out of deps.ts so
 * that api-read's bundle has no EventBridge or SQS adapter code.
 */
import { EventBridgeNotifier, putEventsThroughSdk } from '../adapters/eventbridge-notifier';
import { createSqsClient } from '../adapters/sqs-action-queue';
import { reconcileNow, SqsReconcileQueue } from '../adapters/sqs-reconcile-queue';
import type { ApiDeps } from './deps';
import { defaultDeps } from './deps';

/**
 * From the environment: what `defaultDeps` reads, and `EVENT_BUS_NAME` and `RECONCILE_QUEUE_URL`,
 * which build the notifier and the wake-ups only when set (api-write has them; the local stack does
 * not). A wake-up after a deploy, rollback or thaw is a request on the SQS FIFO reconcile queue —
 * the same queue ECS events reach the engine through — so it never races a reconcile of the
 * environment already in flight.
 */
export function writeDeps(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  return {
    ...defaultDeps(env),
    notifier: env.EVENT_BUS_NAME ? new EventBridgeNotifier(putEventsThroughSdk(), env.EVENT_BUS_NAME) : undefined,
    wakeups: env.RECONCILE_QUEUE_URL ? reconcileNow(new SqsReconcileQueue(createSqsClient(), env.RECONCILE_QUEUE_URL)) : undefined,
  };
}
