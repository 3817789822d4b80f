/**
 * The outbound notification: an EventBridge custom event the engine puts on every revision status
 * change. Users subscribe with a rule such as
 *
 * ```json
 * { "source": ["blox.deployments"], "detail-type": ["Deployment State Change"],
 *   "detail": { "environment": ["SomeEnvironment/Prod"], "status": ["Failing"] } }
 * ```
 *
 * `Failing` is the alarmable one (a deployment that has been Stuck too long and keeps trying).
 *
 * `deploymentStateChange(...)` builds the `PutEvents` entry. It is pure (no SDK, no clock: the time
 * is the `at` it is given), so the executor's adapter only has to send what it returns.
 */
import * as z from 'zod/mini';
import { $constructor, $ZodError, _parse } from 'zod/v4/core';
import english from 'zod/v4/locales/en.js';
import type { DisplayStatus } from '../domain/revision-status';

export const DEPLOYMENT_EVENT_SOURCE = 'blox.deployments';
export const DEPLOYMENT_STATE_CHANGE = 'Deployment State Change';

/** What a revision can change *to*: every displayed status but `Created`, which is only a start. */
export const NOTIFIED_STATUSES = ['Deploying', 'Active', 'Undeploying', 'Inactive', 'Reverting', 'Reverted', 'Stuck', 'Failing'] as const;
export type NotifiedStatus = (typeof NOTIFIED_STATUSES)[number];

/** What a revision can change *from*. */
export const PREVIOUS_STATUSES = ['Created', ...NOTIFIED_STATUSES] as const;
export type PreviousStatus = (typeof PREVIOUS_STATUSES)[number];

// The lists and the domain's statuses cannot drift apart without a type error.
type Drift = Exclude<DisplayStatus, PreviousStatus> | Exclude<PreviousStatus, DisplayStatus> | Exclude<DisplayStatus, NotifiedStatus | 'Created'>;
const _inSync: [Drift] extends [never] ? true : Drift = true;
void _inSync;

/**
 * The schemas, built on first use (`notificationSchemas()`) rather than when the module loads: the
 * engine functions import this module at cold start, and building them is zod work that only a
 * status change needs (a minority of reconciles; the executor's failures).
 */
function buildSchemas() {
  const count = z.number().check(z.int(), z.gte(0));

  const detail = z.object({
    environment: z.string().check(z.minLength(1)),
    revision: z.number().check(z.int(), z.gte(1)),
    deploymentId: z.string().check(z.minLength(1)),
    status: z.enum(NOTIFIED_STATUSES),
    /** `null` only if the previous status is not known. */
    previousStatus: z.nullable(z.enum(PREVIOUS_STATUSES)),
    /** Why the status changed, in words (e.g. "no progress for 300 s: 2 of 4 tasks failed to start"). */
    reason: z.string(),
    /** How many tasks the revision should have now. */
    desired: count,
    /** How many it has running. */
    current: count,
    /** When the status changed (ISO 8601, UTC). */
    at: z.iso.datetime(),
    /**
     * What acted by itself, when a trigger caused the change: `Alarm`, `CircuitBreaker`, `CanaryTask` or `Hook`
     * (the reason says which alarm, how many tasks, or how the Service's canary task failed), or `Abort`
     * (abort-deployment; the reason names who): the revisions an automatic rollback abandons (Reverting,
     * Reverted) and the one it deploys again, and a deployment a trigger halted (Stuck).
     */
    trigger: z.optional(z.enum(['Alarm', 'CircuitBreaker', 'CanaryTask', 'Hook', 'Abort'])),
  });

  /** The event as a subscriber receives it (EventBridge wraps the detail in its envelope). */
  const event = z.looseObject({
    version: z.string(),
    id: z.string(),
    'detail-type': z.literal(DEPLOYMENT_STATE_CHANGE),
    source: z.literal(DEPLOYMENT_EVENT_SOURCE),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail,
  });

  return { detail, event };
}

type NotificationSchemas = ReturnType<typeof buildSchemas>;
let schemas: NotificationSchemas | undefined;

/** The notification's schemas: `detail` (what `deploymentStateChange` checks) and `event` (as a subscriber receives it); built once, on the first call. */
export function notificationSchemas(): NotificationSchemas {
  return (schemas ??= buildSchemas());
}

export type DeploymentStateChangeDetail = z.infer<NotificationSchemas['detail']>;

export type DeploymentStateChangeEvent = z.infer<NotificationSchemas['event']>;

/**
 * One entry of a `PutEvents` request, typed here so this module needs no SDK. Structurally the
 * `PutEventsRequestEntry` of `@aws-sdk/client-eventbridge` (which has these fields, all optional).
 */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  /** The detail, serialized: EventBridge takes a JSON string. */
  Detail: string;
  /** ARNs the event concerns (cluster, task definition, …); may be empty. */
  Resources: string[];
  Time: Date;
  /** Omitted: the account's default bus. */
  EventBusName?: string;
}

export interface DeploymentStateChangeInput extends DeploymentStateChangeDetail {
  resources?: readonly string[] | undefined;
  eventBusName?: string | undefined;
}

/*
 * The schemas use `zod/mini`, which keeps the Lambda bundles small. It loads no locale: the English
 * messages (what full zod gives) are passed to the parse, as in `events/catalogue.ts`.
 */
const ENGLISH = { error: english().localeError };

/**
 * What full zod's `parse` throws. zod recognises its classes by trait name, not by identity, so this
 * error is `instanceof ZodError` (from `zod`) without bundling full zod; its message is the same JSON
 * list of issues. (Imported from `zod/v4/core` by name: `z.core.…` would bundle all of zod's core.)
 */
const ZodError = $constructor(
  'ZodError',
  (inst: $ZodError, issues: z.core.$ZodIssue[]) => {
    $ZodError.init(inst, issues);
    inst.name = 'ZodError';
  },
  undefined,
  { Parent: Error },
);
const parse = _parse(ZodError);

/**
 * The `PutEvents` entry for a revision status change. Throws a `ZodError` if the input breaks the
 * contract (a negative count, an unknown status, a malformed `at`…): a notification that subscribers
 * could not parse is a bug, better found where it is built.
 */
export function deploymentStateChange(input: DeploymentStateChangeInput): PutEventsEntry {
  const { resources = [], eventBusName, ...rest } = input;
  const detail = parse(notificationSchemas().detail, rest, ENGLISH);
  const entry: PutEventsEntry = {
    Source: DEPLOYMENT_EVENT_SOURCE,
    DetailType: DEPLOYMENT_STATE_CHANGE,
    Detail: JSON.stringify(detail),
    Resources: [...resources],
    Time: new Date(detail.at),
  };
  if (eventBusName !== undefined) entry.EventBusName = eventBusName;
  return entry;
}
