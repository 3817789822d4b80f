/**
 * The `Notifier` port over Amazon EventBridge (`@aws-sdk/client-eventbridge`): `PutEvents`, 10
 * entries a call (the API's limit), in order. PutEvents answers 200 even when some entries fail: it
 * reports them with `FailedEntryCount` and an `ErrorCode` on the entry at the same position. Those
 * entries are put once more; entries that fail again raise `NotificationPublishError`.
 *
 * The bus: the entry's own `EventBusName` when it has one, else the bus given to the constructor,
 * else (neither) the account's default bus.
 *
 * The notifier sends through a `PutEvents` function: `putEventsThroughSdk()` in the functions (the
 * SDK's client, loaded on first use), `putEventsClient(client)` of `sdk/eventbridge.ts` over a client
 * of your own.
 */
import type { EventBridgeClientConfig, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { PutEventsEntry } from '../../events/notifications';
import type { Notifier } from '../ports';
import type { putEventsClient } from './sdk/eventbridge';

/** PutEvents: at most 10 entries a call. */
export const PUT_EVENTS_BATCH_SIZE = 10;

/** PutEvents in the SDK's shapes (the fields sent and read here). */
export type PutEvents = (input: { Entries: PutEventsRequestEntry[] }) => Promise<{
  FailedEntryCount?: number | undefined;
  Entries?: Array<{ ErrorCode?: string | undefined; ErrorMessage?: string | undefined }> | undefined;
}>;

/**
 * PutEvents through the SDK's EventBridge client (adaptive retries, 5 attempts), which is loaded (a
 * dynamic import: esbuild puts `sdk/eventbridge.ts` and the client in a chunk of their own, read only
 * then) and built on the first call: only a status change is announced, and a function that announces
 * none pays nothing for the client at cold start. The client is kept for the life of the container.
 */
export function putEventsThroughSdk(config: EventBridgeClientConfig = {}): PutEvents {
  let send: ReturnType<typeof putEventsClient> | undefined;
  return async (input) => {
    if (send === undefined) {
      const sdk = await import('./sdk/eventbridge');
      send ??= sdk.putEventsClient(sdk.createEventBridgeClient(config));
    }
    return send(input);
  };
}

export interface FailedNotification {
  entry: PutEventsEntry;
  code: string;
  message: string;
}

/** Some events could not be put, even after one more attempt. */
export class NotificationPublishError extends Error {
  constructor(readonly failed: FailedNotification[]) {
    super(
      `could not publish ${failed.length} event(s): ${failed
        .map((f) => `${f.entry.DetailType} ${describe(f.entry)}: ${f.code}${f.message ? ` ${f.message}` : ''}`)
        .join('; ')}`,
    );
    this.name = 'NotificationPublishError';
  }
}

export class EventBridgeNotifier implements Notifier {
  constructor(
    private readonly putEvents: PutEvents,
    private readonly eventBusName?: string | undefined,
  ) {}

  async publish(entries: PutEventsEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += PUT_EVENTS_BATCH_SIZE) {
      const batch = entries.slice(i, i + PUT_EVENTS_BATCH_SIZE);
      const failedOnce = await this.put(batch);
      if (failedOnce.length === 0) continue;
      const failedTwice = await this.put(failedOnce.map((f) => f.entry));
      if (failedTwice.length > 0) throw new NotificationPublishError(failedTwice);
    }
  }

  /** Puts up to 10 entries; returns those EventBridge refused. */
  private async put(entries: PutEventsEntry[]): Promise<FailedNotification[]> {
    const request: PutEventsRequestEntry[] = entries.map((entry) => {
      const bus = entry.EventBusName ?? this.eventBusName;
      return {
        Source: entry.Source,
        DetailType: entry.DetailType,
        Detail: entry.Detail,
        Resources: entry.Resources,
        Time: entry.Time,
        ...(bus !== undefined ? { EventBusName: bus } : {}),
      };
    });
    const output = await this.putEvents({ Entries: request });
    if (!output.FailedEntryCount) return [];
    const failed: FailedNotification[] = [];
    // Result entries are positional: the n-th result is the n-th request entry.
    (output.Entries ?? []).forEach((result, index) => {
      const entry = entries[index];
      if (entry !== undefined && result.ErrorCode) failed.push({ entry, code: result.ErrorCode, message: result.ErrorMessage ?? '' });
    });
    // A count without per-entry errors: we cannot tell which failed, so every entry is retried.
    if (failed.length === 0) return entries.map((entry) => ({ entry, code: 'Unknown', message: `FailedEntryCount ${output.FailedEntryCount}` }));
    return failed;
  }
}

function describe(entry: PutEventsEntry): string {
  try {
    const detail = JSON.parse(entry.Detail) as { environment?: unknown; revision?: unknown; status?: unknown };
    if (typeof detail.environment === 'string') return `${detail.environment}:${String(detail.revision)} → ${String(detail.status)}`;
  } catch {
    // not JSON: fall through
  }
  return entry.Source;
}
