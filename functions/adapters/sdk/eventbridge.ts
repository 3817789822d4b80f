/**
 * The EventBridge SDK call the notifier makes (`eventbridge-notifier.ts`), in a module of its own so
 * it can be imported on first use: esbuild puts it and the client in a chunk read only when a status
 * change is first announced, not at cold start.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClientConfig, PutEventsCommandInput, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';

/** An EventBridge client for the notifier: adaptive retries, 5 attempts. */
export function createEventBridgeClient(config: EventBridgeClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient({ retryMode: 'adaptive', maxAttempts: 5, ...config });
}

/** PutEvents through `client`. */
export function putEventsClient(client: EventBridgeClient): (input: PutEventsCommandInput) => Promise<PutEventsCommandOutput> {
  return (input) => client.send(new PutEventsCommand(input));
}
