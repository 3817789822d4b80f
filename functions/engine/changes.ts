/**
 * ECS events as changes of the engine's picture of the cluster (domain/rollout/observation.ts): the
 * router reads them off the `ECS Task State Change` and `ECS Container Instance State Change` events
 * it routes (`observationChangeOf`) and puts each in the reconcile request it sends (the request's
 * `change`, checked with `readObservationChange` when the reconciler reads it). The reconciler folds
 * the changes of a batch, in the queue's order, into the picture it kept.
 *
 * A task change is about 300 B, an instance change about 1–3 KB (its attributes): far within SQS's
 * 256 KB a message.
 */
import type { InstanceFacts } from '../../domain/query';
import type { ObservationChange } from '../../domain/rollout';
import type { InboundEvent } from '../../events/aws';
import { HEALTH_STATUSES, TASK_STATUSES } from '../../events/aws/ecs-task-statuses';
import type { FieldPath } from '../json-fields';
import { boolean, number, object, oneOf, optional, string } from '../json-fields';

/** A change as a reconcile request carries it (`change`), read back field by field; unknown keys dropped. */
export function readObservationChange(value: unknown, path: FieldPath): ObservationChange {
  const fields = object(value, path);
  const kind = oneOf(fields, 'kind', path, ['task', 'instance'] as const);
  switch (kind) {
    case 'task':
      return {
        kind,
        arn: string(fields, 'arn', path),
        instanceArn: string(fields, 'instanceArn', path, { nonEmpty: false }),
        ...optional(fields, 'group', () => string(fields, 'group', path, { nonEmpty: false })),
        lastStatus: oneOf(fields, 'lastStatus', path, TASK_STATUSES),
        desiredStatus: oneOf(fields, 'desiredStatus', path, ['RUNNING', 'STOPPED'] as const),
        health: oneOf(fields, 'health', path, HEALTH_STATUSES),
        ...optional(fields, 'stopCode', () => string(fields, 'stopCode', path, { nonEmpty: false })),
        ...optional(fields, 'stoppedReason', () => string(fields, 'stoppedReason', path, { nonEmpty: false })),
        ...optional(fields, 'stoppedAt', () => number(fields, 'stoppedAt', path)),
        version: number(fields, 'version', path, { integer: true }),
      };
    case 'instance': {
      const at = [...path, 'facts'];
      const facts = object(fields.facts, at);
      const given = object(facts.attributes, [...at, 'attributes']);
      const attributes: InstanceFacts['attributes'] = {};
      for (const name of Object.keys(given)) {
        if (given[name] !== undefined) attributes[name] = string(given, name, [...at, 'attributes'], { nonEmpty: false });
      }
      return {
        kind,
        arn: string(fields, 'arn', path),
        status: string(fields, 'status', path, { nonEmpty: false }),
        facts: {
          attributes,
          ...optional(facts, 'agentConnected', () => boolean(facts, 'agentConnected', at)),
          ...optional(facts, 'agentVersion', () => string(facts, 'agentVersion', at, { nonEmpty: false })),
          ...optional(facts, 'ec2InstanceId', () => string(facts, 'ec2InstanceId', at, { nonEmpty: false })),
          ...optional(facts, 'registeredAt', () => string(facts, 'registeredAt', at, { nonEmpty: false })),
          ...optional(facts, 'runningTasksCount', () => number(facts, 'runningTasksCount', at)),
        },
        version: number(fields, 'version', path, { integer: true }),
      };
    }
    default: {
      const never: never = kind;
      throw new Error(`unexpected change kind ${String(never)}`);
    }
  }
}

/** What an ECS event says changed in the cluster, or undefined for an event that is not an ECS change. */
export function observationChangeOf(inbound: InboundEvent): ObservationChange | undefined {
  switch (inbound.kind) {
    case 'task': {
      const d = inbound.event.detail;
      const stoppedAt = d.stoppedAt === undefined ? undefined : Date.parse(d.stoppedAt);
      return omitUndefined({
        kind: 'task' as const,
        arn: d.taskArn,
        instanceArn: d.containerInstanceArn ?? '',
        group: d.group,
        lastStatus: d.lastStatus,
        desiredStatus: d.desiredStatus === 'STOPPED' ? ('STOPPED' as const) : ('RUNNING' as const),
        health: d.healthStatus ?? 'UNKNOWN',
        stopCode: d.stopCode,
        stoppedReason: d.stoppedReason,
        stoppedAt: stoppedAt !== undefined && Number.isFinite(stoppedAt) ? stoppedAt : undefined,
        version: d.version,
      });
    }
    case 'containerInstance': {
      const d = inbound.event.detail;
      const attributes: InstanceFacts['attributes'] = {};
      for (const a of d.attributes) attributes[a.name] = a.value;
      return {
        kind: 'instance',
        arn: d.containerInstanceArn,
        status: d.status,
        facts: omitUndefined({
          attributes,
          agentConnected: d.agentConnected,
          agentVersion: d.versionInfo?.agentVersion,
          ec2InstanceId: d.ec2InstanceId,
          registeredAt: d.registeredAt,
          runningTasksCount: d.runningTasksCount,
        }),
        version: d.version,
      };
    }
    default:
      return undefined;
  }
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
