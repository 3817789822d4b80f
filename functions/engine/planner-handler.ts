/**
 * The planner function: one Lambda for everything that should make the engine look at an
 * environment again. It parses, routes and calls `reconcile` (engine.ts); it decides nothing.
 *
 * - EventBridge events (async invocation): `ECS Task State Change` and `ECS Container Instance
 *   State Change` of the clusters environments use, and the `Scheduled Event` tick. The event is
 *   read with `parseInboundEvent`, mapped to an `EngineTrigger`, and every environment it concerns
 *   (`environmentsFor`) is reconciled, one after the other. An unrecognized or malformed event is
 *   logged and dropped: retrying it cannot help, and a retry storm would only add load. A task
 *   event of a task Blox did not start (its `startedBy` is not `blox-…`) concerns nobody.
 *   If a reconcile fails the others still run, then the invocation fails (visible in the Errors
 *   metric); the function is not retried (serverless.yml: the next event or tick, ≤ 1 min away,
 *   reconciles again — reconciling is level-triggered and idempotent).
 * - SQS wake-ups (`eventSource: 'aws:sqs'`, body `{"environment": …}`, see adapters/sqs-wakeups.ts):
 *   each environment of the batch is reconciled once; the records of an environment whose
 *   reconcile threw, and records that are not wake-ups, are reported in `batchItemFailures` (SQS
 *   redelivers them, then moves them to the dead-letter queue).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { InboundEvent } from '../../events/aws';
import { InboundEventError, parseInboundEvent } from '../../events/aws';
import { parseWakeup } from '../adapters/sqs-wakeups';
import type { EngineFunctionDeps } from './deps';
import { reconcile } from './engine';
import type { EngineTrigger } from './route';
import { environmentsFor } from './route';

/** Every `startedBy` Blox sets starts with this (`startedByOf`); the EventBridge rule filters on it too. */
export const STARTED_BY_PREFIX = 'blox-';

/** What the planner is invoked with: an SQS batch, or an EventBridge event (checked at run time). */
export type PlannerInput = SQSEvent | Record<string, unknown>;

/** The engine trigger of an inbound event, or undefined for a kind the engine does not route. */
export function triggerOf(inbound: InboundEvent): EngineTrigger | undefined {
  switch (inbound.kind) {
    case 'task':
      return { kind: 'task', clusterArn: inbound.event.detail.clusterArn, startedBy: inbound.event.detail.startedBy };
    case 'containerInstance':
      return { kind: 'containerInstance', clusterArn: inbound.event.detail.clusterArn };
    case 'tick':
      return { kind: 'tick' };
    case 'alarm':
      // Alarm-driven rollbacks are not routed yet: the planner has no rule for them.
      return undefined;
  }
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

export function createPlannerHandler(deps: EngineFunctionDeps) {
  const { logger } = deps;

  const reconcileOne = async (environment: string, cause: Record<string, unknown>): Promise<void> => {
    const result = await reconcile(deps, environment);
    logger.info('reconciled', {
      environment,
      ...cause,
      events: result.events,
      actions: result.actions.length,
      actionKeys: result.actions.map((a) => a.key),
    });
  };

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
    if (trigger.kind === 'task' && !trigger.startedBy?.startsWith(STARTED_BY_PREFIX)) {
      logger.debug('event ignored: not a task Blox started', { ...cause, startedBy: trigger.startedBy });
      return;
    }
    const environments = await environmentsFor(deps.eventLog, trigger);
    if (environments.length === 0) logger.debug('event concerns no environment', cause);
    const failed: Array<{ environment: string; error: unknown }> = [];
    for (const environment of environments) {
      try {
        await reconcileOne(environment, cause);
      } catch (error) {
        failed.push({ environment, error });
        logger.error('reconcile failed', { environment, ...cause, error: error as Error });
      }
    }
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((f) => f.error),
        `reconcile failed for ${failed.length} of ${environments.length} environment(s): ${failed.map((f) => f.environment).join(', ')}`,
      );
    }
  };

  const onWakeups = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    const byEnvironment = new Map<string, string[]>();
    for (const record of event.Records) {
      try {
        const { environment } = parseWakeup(record.body);
        const ids = byEnvironment.get(environment);
        if (ids) ids.push(record.messageId);
        else byEnvironment.set(environment, [record.messageId]);
      } catch (error) {
        logger.error('wake-up message refused', { messageId: record.messageId, reason: (error as Error).message });
        failures.push(record.messageId);
      }
    }
    for (const [environment, messageIds] of byEnvironment) {
      try {
        await reconcileOne(environment, { trigger: 'wakeup', messageIds });
      } catch (error) {
        logger.error('reconcile failed', { environment, trigger: 'wakeup', messageIds, error: error as Error });
        failures.push(...messageIds);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };

  const dispatch = async (event: PlannerInput, _context: Context): Promise<SQSBatchResponse | void> =>
    isSqsEvent(event) ? onWakeups(event) : onEventBridge(event);

  return middy(dispatch).use(injectLambdaContext(logger, { resetKeys: true }));
}
