/**
 * The reconcile queue: an SQS FIFO queue of "look at this environment again" requests
 * (`@aws-sdk/client-sqs`). The router function (ECS events, the tick, delayed wake-ups) and api-write
 * (after a deploy, rollback or thaw) send to it; the reconciler function consumes it. The local stack
 * and the harness use the in-process stand-in (`local/queue.ts`) with the same semantics.
 *
 * - `MessageGroupId` = the environment (`fifoId`): SQS FIFO hands a group to one consumer batch at a
 *   time, so no two reconciles of one environment overlap, and the requests that pile up while one
 *   runs are coalesced into the next batch (the reconciler reconciles each environment of a batch once).
 * - `MessageDeduplicationId` = the SHA-256 (64 hex characters) of the inbound event's id and the
 *   environment: the same event routed twice (EventBridge delivers at least once; a retried router
 *   invocation) is one request within SQS's 5-minute window, and one event concerning several
 *   environments is one request per environment.
 * - SendMessageBatch takes 10 entries. Entries reported in `Failed` are sent once more; entries that
 *   fail again raise `ReconcileQueueSendError`, which names them.
 * - The body is `{"environment", "trigger", "eventId", "change"?, "alarm"?}` (`parseReconcileRequest`):
 *   the environment to reconcile and, for an ECS event, what it said changed (folded into the engine's
 *   picture of the cluster); for an alarm event, the alarm's new state (read by the planner); a `tick`
 *   also makes the reconciler read the watched alarms (the backstop); the event id is for logs.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { AlarmReading, ObservationChange } from '../../domain/rollout';
import { readObservationChange } from '../engine/changes';
import { number, object, oneOf, optional, parseBody, string } from '../json-fields';
import { fifoId, SQS_BATCH_SIZE, sqsSdk } from './sqs-action-queue';
import type { SqsClient } from './sqs-action-queue';
import type { Wakeups } from './sqs-wakeups';

/** What caused a request (for logs): the inbound event's kind, a delayed wake-up, or an API command. */
export const RECONCILE_TRIGGERS = ['task', 'containerInstance', 'alarm', 'tick', 'wakeup', 'api'] as const;
export type ReconcileTrigger = (typeof RECONCILE_TRIGGERS)[number];

/** One request: the message body. */
export interface ReconcileRequest {
  environment: string;
  trigger: ReconcileTrigger;
  /** The inbound event's id (EventBridge `id`, the wake-up's SQS message id, a fresh id per API call). */
  eventId: string;
  /** What the ECS event said changed (functions/engine/changes.ts): folded into the engine's picture of the cluster. */
  change?: ObservationChange | undefined;
  /** What a CloudWatch alarm event said: the alarm's new state and when it entered it (epoch ms). */
  alarm?: AlarmReading | undefined;
}

/** A request read back field by field (functions/json-fields.ts: no zod schema to build at cold start); unknown keys dropped. */
function readReconcileRequest(value: unknown): ReconcileRequest {
  const fields = object(value, []);
  return {
    environment: string(fields, 'environment', []),
    trigger: oneOf(fields, 'trigger', [], RECONCILE_TRIGGERS),
    eventId: string(fields, 'eventId', []),
    ...optional(fields, 'change', () => readObservationChange(fields.change, ['change'])),
    ...optional(fields, 'alarm', () => {
      const alarm = object(fields.alarm, ['alarm']);
      return {
        name: string(alarm, 'name', ['alarm']),
        value: oneOf(alarm, 'value', ['alarm'], ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const),
        at: number(alarm, 'at', ['alarm']),
        reason: string(alarm, 'reason', ['alarm'], { nonEmpty: false }),
      };
    }),
  };
}

/** What the router and api-write need of the reconcile queue. */
export interface ReconcileRequests {
  /** Sends the requests; throws `ReconcileQueueSendError` naming those SQS refused twice. */
  request(requests: ReconcileRequest[]): Promise<void>;
}

/** Unique per (inbound event, environment), 64 characters: a valid `MessageDeduplicationId`. */
export function reconcileDeduplicationId(request: Pick<ReconcileRequest, 'eventId' | 'environment'>): string {
  return createHash('sha256').update(request.eventId, 'utf8').update('\0').update(request.environment, 'utf8').digest('hex');
}

/** Reads a request body; throws with the reason when it is not one. */
export function parseReconcileRequest(body: string): ReconcileRequest {
  return parseBody('reconcile request body', body, readReconcileRequest);
}

export interface FailedRequest {
  request: ReconcileRequest;
  code: string;
  message: string;
  senderFault: boolean;
}

/** Some requests could not be sent, even after one more attempt. */
export class ReconcileQueueSendError extends Error {
  constructor(readonly failed: FailedRequest[]) {
    super(
      `could not queue ${failed.length} reconcile request(s): ${failed
        .map((f) => `${f.request.environment} (${f.request.trigger} ${f.request.eventId}): ${f.code}${f.message ? ` ${f.message}` : ''}`)
        .join('; ')}`,
    );
    this.name = 'ReconcileQueueSendError';
  }
}

export class SqsReconcileQueue implements ReconcileRequests {
  constructor(
    private readonly client: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async request(requests: ReconcileRequest[]): Promise<void> {
    const failed: FailedRequest[] = [];
    for (let i = 0; i < requests.length; i += SQS_BATCH_SIZE) {
      const batch = requests.slice(i, i + SQS_BATCH_SIZE);
      const failedOnce = await this.sendBatch(batch);
      if (failedOnce.length === 0) continue;
      failed.push(...(await this.sendBatch(failedOnce.map((f) => f.request))));
    }
    if (failed.length > 0) throw new ReconcileQueueSendError(failed);
  }

  /** Sends up to 10 requests; returns those SQS reported in `Failed`, in their order. */
  private async sendBatch(requests: ReconcileRequest[]): Promise<FailedRequest[]> {
    const entries: SendMessageBatchRequestEntry[] = requests.map((request, index) => ({
      Id: `r${index}`,
      MessageBody: JSON.stringify(request),
      MessageGroupId: fifoId(request.environment),
      MessageDeduplicationId: reconcileDeduplicationId(request),
    }));
    const { SendMessageBatchCommand } = await sqsSdk();
    const output = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
    const failed: Array<FailedRequest & { index: number }> = [];
    for (const failure of output.Failed ?? []) {
      const index = entries.findIndex((entry) => entry.Id === failure.Id);
      const request = requests[index];
      if (request === undefined) continue;
      failed.push({ index, request, code: failure.Code ?? 'Unknown', message: failure.Message ?? '', senderFault: failure.SenderFault ?? false });
    }
    return failed.sort((a, b) => a.index - b.index).map(({ index: _index, ...rest }) => rest);
  }
}

/**
 * The `Wakeups` port api-write is given: "reconcile now", as a request on the reconcile queue (a
 * FIFO queue has no per-message delay, and the API only ever asks for now). A later time is sent
 * now all the same — an early reconcile is harmless: it plans its own next wake-up.
 */
export function reconcileNow(requests: ReconcileRequests, newId: () => string = randomUUID): Wakeups {
  return {
    schedule: async (environment) => requests.request([{ environment, trigger: 'api', eventId: `api:${newId()}` }]),
  };
}
