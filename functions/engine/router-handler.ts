/**
 * The router function: everything that should make the engine look at an environment again becomes
 * one request per concerned environment on the SQS FIFO reconcile queue (group = environment), which
 * the reconciler function consumes one batch per environment at a time. The router decides nothing
 * and reconciles nothing: it parses, routes and sends.
 *
 * - EventBridge events (async invocation): `ECS Task State Change` and `ECS Container Instance
 *   State Change` of the clusters environments use, and the `Scheduled Event` tick. The event is
 *   read with `parseInboundEvent`, mapped to an `EngineTrigger` (`triggerOf`), and every environment
 *   it concerns (`environmentsFor`) gets a request — carrying what the event says changed in the
 *   cluster (`observationChangeOf`, changes.ts), which the reconciler folds into its picture of the
 *   cluster instead of listing it again — whose deduplication id is derived from the event's
 *   id and the environment — so a retried invocation or an event EventBridge delivered twice is one
 *   request (SQS FIFO drops the copy within 5 minutes). An unrecognized or malformed event is logged
 *   and dropped: retrying it cannot help. A task event of a task Blox did not start (its `startedBy`
 *   is not `blox-…`) concerns nobody, and neither does an ECS event that cannot change a plan
 *   (`relevant`, domain/rollout: a task PROVISIONING, ACTIVATING or on its way down but not yet
 *   STOPPED, an established instance whose resources changed) — two of the six events of a replaced task. If the requests cannot be sent, the invocation fails and
 *   Lambda retries it (serverless.yml: `maximumRetryAttempts`), which is safe for that reason.
 * - SQS wake-ups (`eventSource: 'aws:sqs'`, body `{"environment": …}`, see adapters/sqs-wakeups.ts:
 *   a standard queue, because FIFO queues have no per-message delay): forwarded to the reconcile
 *   queue, deduplicated by the wake-up's message id. Records that are not wake-ups, and those whose
 *   request SQS refused, are reported in `batchItemFailures` (redelivered, then dead-lettered).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { lambdaOptions } from './lambda-options';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SERVICE_GROUP_PREFIX, SERVICE_STARTED_BY_PREFIX } from '../../domain/identity';
import type { AlarmReading, EcsChange } from '../../domain/rollout';
import { relevant } from '../../domain/rollout';
import type { InboundEvent } from '../../events/aws';
import { InboundEventError, parseInboundEvent } from '../../events/aws';
import type { ReconcileRequest, ReconcileRequests } from '../adapters/sqs-reconcile-queue';
import { ReconcileQueueSendError } from '../adapters/sqs-reconcile-queue';
import { parseWakeup } from '../adapters/sqs-wakeups';
import type { EventLog } from '../ports';
import type { EngineTrigger } from './route';
import { observationChangeOf } from './changes';
import { environmentsFor } from './route';

/** Every `startedBy` Blox sets starts with this (`startedByOf`); the EventBridge rule filters on it too. */
export const STARTED_BY_PREFIX = 'blox-';

/** What the router is invoked with: an SQS batch, or an EventBridge event (checked at run time). */
export type RouterInput = SQSEvent | Record<string, unknown>;

export interface RouterDeps {
  /** Only `listEnvironments` is used (`environmentsFor`). */
  eventLog: EventLog;
  reconciles: ReconcileRequests;
  logger: Logger;
  /** Middy's early timeout on a wall-clock timer, as in Lambda (default true; `lambdaOptions`). */
  wallClockTimeout?: boolean;
}

/** The engine trigger of an inbound event, or undefined for a kind the engine does not route. */
export function triggerOf(inbound: InboundEvent): EngineTrigger | undefined {
  switch (inbound.kind) {
    case 'task': {
      const { clusterArn, startedBy, group } = inbound.event.detail;
      // A task of an ECS service (a Service environment's): its group names the service.
      if (startedBy?.startsWith(SERVICE_STARTED_BY_PREFIX) && group?.startsWith('service:')) return { kind: 'task', clusterArn, startedBy: group };
      return { kind: 'task', clusterArn, startedBy };
    }
    case 'containerInstance':
      return { kind: 'containerInstance', clusterArn: inbound.event.detail.clusterArn };
    case 'tick':
      return { kind: 'tick' };
    case 'alarm':
      return { kind: 'alarm', alarmName: inbound.event.detail.alarmName };
    default: {
      const never: never = inbound;
      throw new Error(`unexpected inbound event ${JSON.stringify(never)}`);
    }
  }
}

/** What an ECS event says changed (for `relevant`), or undefined for an event that is not an ECS change. */
export function changeOf(inbound: InboundEvent): EcsChange | undefined {
  switch (inbound.kind) {
    case 'task':
      return { kind: 'task', lastStatus: inbound.event.detail.lastStatus, desiredStatus: inbound.event.detail.desiredStatus };
    case 'containerInstance': {
      const registeredAt = inbound.event.detail.registeredAt;
      return {
        kind: 'containerInstance',
        status: inbound.event.detail.status,
        registeredAt: registeredAt === undefined ? undefined : Date.parse(registeredAt),
        at: Date.parse(inbound.event.time),
      };
    }
    default:
      return undefined;
  }
}

/** What an alarm event says: the alarm's new state and when it entered it (its `state.timestamp`). */
export function alarmReadingOf(inbound: InboundEvent): AlarmReading | undefined {
  if (inbound.kind !== 'alarm') return undefined;
  const { alarmName, state } = inbound.event.detail;
  return { name: alarmName, value: state.value, at: Date.parse(state.timestamp), reason: state.reason };
}

export function isSqsEvent(event: unknown): event is SQSEvent {
  if (typeof event !== 'object' || event === null || !('Records' in event)) return false;
  const records = (event as { Records: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((r: unknown) => typeof r === 'object' && r !== null && (r as { eventSource?: unknown }).eventSource === 'aws:sqs')
  );
}

export function createRouterHandler(deps: RouterDeps) {
  const { logger } = deps;

  const onEventBridge = async (event: unknown): Promise<void> => {
    let inbound: InboundEvent;
    try {
      inbound = parseInboundEvent(event);
    } catch (error) {
      if (!(error instanceof InboundEventError)) throw error;
      logger.warn('event dropped', { reason: error.message, source: error.source, detailType: error.detailType });
      return;
    }
    const cause = { trigger: inbound.kind, eventId: inbound.event.id, detailType: inbound.event['detail-type'] };
    const trigger = triggerOf(inbound);
    if (trigger === undefined) {
      logger.info('event ignored: no route for this kind', cause);
      return;
    }
    if (trigger.kind === 'task' && !trigger.startedBy?.startsWith(STARTED_BY_PREFIX) && !trigger.startedBy?.startsWith(SERVICE_GROUP_PREFIX)) {
      logger.debug('event ignored: not a task Blox started', { ...cause, startedBy: trigger.startedBy });
      return;
    }
    const change = changeOf(inbound);
    if (change && !relevant(change)) {
      logger.debug('event ignored: it cannot change a plan', { ...cause, change });
      return;
    }
    const environments = await environmentsFor(deps.eventLog, trigger);
    if (environments.length === 0) {
      logger.debug('event concerns no environment', cause);
      return;
    }
    const observed = observationChangeOf(inbound);
    const alarm = alarmReadingOf(inbound);
    await deps.reconciles.request(
      environments.map((environment) => ({
        environment,
        trigger: trigger.kind,
        eventId: inbound.event.id,
        ...(observed ? { change: observed } : {}),
        ...(alarm ? { alarm } : {}),
      })),
    );
    logger.info('routed', { ...cause, environments });
  };

  const onWakeups = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    const forwarded: Array<{ record: SQSRecord; request: ReconcileRequest }> = [];
    for (const record of event.Records) {
      try {
        const { environment } = parseWakeup(record.body);
        forwarded.push({ record, request: { environment, trigger: 'wakeup', eventId: `wakeup:${record.messageId}` } });
      } catch (error) {
        logger.error('wake-up message refused', { messageId: record.messageId, reason: (error as Error).message });
        failures.push(record.messageId);
      }
    }
    if (forwarded.length > 0) {
      try {
        await deps.reconciles.request(forwarded.map((f) => f.request));
        logger.info('wake-ups forwarded', { environments: [...new Set(forwarded.map((f) => f.request.environment))], count: forwarded.length });
      } catch (error) {
        // SQS named what it refused: only those are retried; anything else fails them all (a
        // retried forward is deduplicated by the wake-up's message id).
        const refused = error instanceof ReconcileQueueSendError ? new Set(error.failed.map((f) => f.request.eventId)) : undefined;
        const failed = forwarded.filter((f) => refused === undefined || refused.has(f.request.eventId));
        logger.error('wake-ups not forwarded', { count: failed.length, error: error as Error });
        failures.push(...failed.map((f) => f.record.messageId));
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };

  const dispatch = async (event: RouterInput, _context: Context): Promise<SQSBatchResponse | void> =>
    isSqsEvent(event) ? onWakeups(event) : onEventBridge(event);

  return middy(dispatch, lambdaOptions(deps)).use(injectLambdaContext(logger, { resetKeys: true }));
}
