/**
 * The inbound AWS events the planner reacts to, and one parser that tells them apart.
 *
 * `parseInboundEvent(raw)` looks at `source` and `detail-type` first, then checks the whole event
 * against that kind's schema. It throws:
 * - `UnrecognizedEventError` for an event that is none of the four kinds (an EventBridge rule
 *   matching too much, or something that is not an EventBridge event at all);
 * - `MalformedEventError` for an event of a known kind whose content does not fit the contract
 *   (its message names each offending field, e.g. `detail.lastStatus: missing`).
 * Both extend `InboundEventError`.
 */
import type * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import {
  CLOUDWATCH_ALARM_STATE_CHANGE,
  CLOUDWATCH_SOURCE,
  cloudWatchAlarmStateChangeSchema,
  type CloudWatchAlarmStateChange,
} from './cloudwatch-alarm-state-change';
import {
  ECS_CONTAINER_INSTANCE_STATE_CHANGE,
  ecsContainerInstanceStateChangeSchema,
  type EcsContainerInstanceStateChange,
} from './ecs-container-instance-state-change';
import { ECS_SOURCE, ECS_TASK_STATE_CHANGE, ecsTaskStateChangeSchema, type EcsTaskStateChange } from './ecs-task-state-change';
import { SCHEDULED_EVENT, SCHEDULED_EVENT_SOURCE, scheduledTickSchema, type ScheduledTick } from './scheduled-tick';

export * from './envelope';
export * from './ecs-task-state-change';
export * from './ecs-container-instance-state-change';
export * from './cloudwatch-alarm-state-change';
export * from './scheduled-tick';

export type InboundEvent =
  | { kind: 'task'; event: EcsTaskStateChange }
  | { kind: 'containerInstance'; event: EcsContainerInstanceStateChange }
  | { kind: 'alarm'; event: CloudWatchAlarmStateChange }
  | { kind: 'tick'; event: ScheduledTick };

export type InboundEventKind = InboundEvent['kind'];

/** Every kind, by the `source` and `detail-type` that select it. */
const KINDS = [
  { kind: 'task', source: ECS_SOURCE, detailType: ECS_TASK_STATE_CHANGE, schema: ecsTaskStateChangeSchema },
  {
    kind: 'containerInstance',
    source: ECS_SOURCE,
    detailType: ECS_CONTAINER_INSTANCE_STATE_CHANGE,
    schema: ecsContainerInstanceStateChangeSchema,
  },
  { kind: 'alarm', source: CLOUDWATCH_SOURCE, detailType: CLOUDWATCH_ALARM_STATE_CHANGE, schema: cloudWatchAlarmStateChangeSchema },
  { kind: 'tick', source: SCHEDULED_EVENT_SOURCE, detailType: SCHEDULED_EVENT, schema: scheduledTickSchema },
] as const satisfies readonly { kind: InboundEventKind; source: string; detailType: string; schema: z.ZodMiniType }[];

/** The `{ source, detail-type }` pairs the planner accepts: what its EventBridge rules should match. */
export const INBOUND_EVENT_TYPES: readonly { kind: InboundEventKind; source: string; detailType: string }[] = KINDS.map(
  ({ kind, source, detailType }) => ({ kind, source, detailType }),
);

export class InboundEventError extends Error {
  constructor(
    message: string,
    /** The event's `source`, when it had a string one. */
    readonly source: string | undefined,
    /** The event's `detail-type`, when it had a string one. */
    readonly detailType: string | undefined,
  ) {
    super(message);
    this.name = 'InboundEventError';
  }
}

/** Not one of the events the planner handles. */
export class UnrecognizedEventError extends InboundEventError {
  constructor(source: string | undefined, detailType: string | undefined) {
    const expected = KINDS.map((k) => `"${k.detailType}" from ${k.source}`).join(', ');
    const got =
      source === undefined && detailType === undefined
        ? 'an input without source and detail-type (not an EventBridge event)'
        : `source ${describe(source)}, detail-type ${describe(detailType)}`;
    super(`unrecognized event: ${got}; expected one of ${expected}`, source, detailType);
    this.name = 'UnrecognizedEventError';
  }
}

/** A known kind of event whose content does not fit its schema. */
export class MalformedEventError extends InboundEventError {
  constructor(
    readonly kind: InboundEventKind,
    source: string,
    detailType: string,
    readonly eventId: string | undefined,
    /** One line per problem: `path: what was wrong`. */
    readonly problems: readonly string[],
  ) {
    const which = eventId === undefined ? '' : ` ${eventId}`;
    super(`malformed "${detailType}" event${which} from ${source}: ${problems.join('; ')}`, source, detailType);
    this.name = 'MalformedEventError';
  }
}

/**
 * `zod/mini` loads no locale: the English messages (what full zod gives) are passed to each parse,
 * as in `events/catalogue.ts`.
 */
const ENGLISH = { error: english().localeError };

/** Parses an EventBridge event into one of the four kinds the planner handles, or throws an `InboundEventError`. */
export function parseInboundEvent(raw: unknown): InboundEvent {
  const record = isRecord(raw) ? raw : {};
  const source = typeof record.source === 'string' ? record.source : undefined;
  const detailType = typeof record['detail-type'] === 'string' ? record['detail-type'] : undefined;
  const match = KINDS.find((k) => k.source === source && k.detailType === detailType);
  if (match === undefined || source === undefined || detailType === undefined) {
    throw new UnrecognizedEventError(source, detailType);
  }
  const parsed = match.schema.safeParse(raw, { ...ENGLISH, reportInput: true });
  if (!parsed.success) {
    const eventId = typeof record.id === 'string' ? record.id : undefined;
    throw new MalformedEventError(match.kind, source, detailType, eventId, parsed.error.issues.map(describeIssue));
  }
  // The schema was chosen by `kind`, so the pair is consistent; TypeScript cannot see it through find().
  return { kind: match.kind, event: parsed.data } as InboundEvent;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length === 0 ? '(event)' : issue.path.map(String).join('.');
  const missing = 'input' in issue && issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
  if (!missing) return `${path}: ${issue.message}`;
  const expected = issue.code === 'invalid_value' ? ` (expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')})` : ` (expected ${issue.expected})`;
  return `${path}: missing${expected}`;
}

function describe(value: string | undefined): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
