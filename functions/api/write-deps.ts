/**
 * api-write's dependencies: `defaultDeps` plus the hand-off to the engine. Kept out of deps.ts so
 * that api-read's bundle has no EventBridge or SQS adapter code.
 */
import { systemClock } from '../adapters/clock';
import { createEventBridgeClient, EventBridgeNotifier } from '../adapters/eventbridge-notifier';
import { createSqsClient } from '../adapters/sqs-action-queue';
import { SqsWakeups } from '../adapters/sqs-wakeups';
import type { ApiDeps } from './deps';
import { defaultDeps } from './deps';

/**
 * From the environment: what `defaultDeps` reads, and `EVENT_BUS_NAME` and `WAKEUPS_QUEUE_URL`, which
 * build the notifier and the wake-ups only when set (api-write has them; the local stack does not).
 */
export function writeDeps(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  return {
    ...defaultDeps(env),
    notifier: env.EVENT_BUS_NAME ? new EventBridgeNotifier(createEventBridgeClient(), env.EVENT_BUS_NAME) : undefined,
    wakeups: env.WAKEUPS_QUEUE_URL ? new SqsWakeups(createSqsClient(), env.WAKEUPS_QUEUE_URL, systemClock) : undefined,
  };
}
