/**
 * ECS events as changes of the engine's picture of the cluster (domain/rollout/observation.ts): the
 * router reads them off the `ECS Task State Change` and `ECS Container Instance State Change` events
 * it routes (`observationChangeOf`) and puts each in the reconcile request it sends (the request's
 * `change`, checked with `observationChangeSchema` when the reconciler reads it). The reconciler folds
 * the changes of a batch, in the queue's order, into the picture it kept.
 *
 * A task change is about 300 B, an instance change about 1–3 KB (its attributes): far within SQS's
 * 256 KB a message.
 */
import * as z from 'zod/mini';
import type { InstanceFacts } from '../../domain/query';
import type { ObservationChange } from '../../domain/rollout';
import type { InboundEvent } from '../../events/aws';
import { HEALTH_STATUSES, TASK_STATUSES } from '../../events/aws/ecs-task-statuses';

export const taskChangeSchema = z.object({
  kind: z.literal('task'),
  arn: z.string().check(z.minLength(1)),
  instanceArn: z.string(),
  group: z.optional(z.string()),
  lastStatus: z.enum(TASK_STATUSES),
  desiredStatus: z.enum(['RUNNING', 'STOPPED']),
  health: z.enum(HEALTH_STATUSES),
  stopCode: z.optional(z.string()),
  stoppedReason: z.optional(z.string()),
  stoppedAt: z.optional(z.number()),
  version: z.number().check(z.int()),
});

export const instanceChangeSchema = z.object({
  kind: z.literal('instance'),
  arn: z.string().check(z.minLength(1)),
  status: z.string(),
  facts: z.object({
    attributes: z.record(z.string(), z.optional(z.string())),
    agentConnected: z.optional(z.boolean()),
    agentVersion: z.optional(z.string()),
    ec2InstanceId: z.optional(z.string()),
    registeredAt: z.optional(z.string()),
    runningTasksCount: z.optional(z.number()),
  }),
  version: z.number().check(z.int()),
});

export const observationChangeSchema = z.discriminatedUnion('kind', [taskChangeSchema, instanceChangeSchema]);

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
