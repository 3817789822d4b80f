/**
 * The revision log's event catalogue: the schema of every event item the log stores, versioned.
 *
 * An item stores `{ type, schemaVersion, data }`. Reading checks the item against this catalogue
 * (an unknown type or a malformed payload is a corrupt log, never silently ignored) and upcasts
 * older schema versions to the current one. Version 1 is the only version so far.
 *
 * The schemas are tied to the domain's TypeScript types with `satisfies`, so the catalogue and
 * `domain/environment.ts` cannot drift apart without a type error.
 */
import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import type { EnvironmentEvent } from '../domain/environment';
import type { ServiceOperation } from '../domain/rollout';
import { CURRENT_SCHEMA_VERSION } from './encoding';

// Writing needs no schema: the stored form is in encoding.ts (see there), re-exported here.
export { CURRENT_SCHEMA_VERSION, encodeEvent } from './encoding';

const at = z.iso.datetime();
const revision = z.number().check(z.int(), z.gte(1));

/** The stored spec: already validated when it was accepted; here only its shape is checked. */
const storedSpec = z.looseObject({
  Name: z.string(),
  TaskDefinition: z.string(),
  DeploymentType: z.enum(['Daemon', 'Service']),
});

const storedConfiguration = z.looseObject({
  Method: z.optional(z.string()),
  MinHealthyPercent: z.optional(z.number()),
  MaxOver: z.optional(z.union([z.number(), z.string()])),
  StuckAfterSeconds: z.optional(z.number()),
  FailingAfterSeconds: z.optional(z.number()),
});

const target = z.object({
  taskDefinition: z.string(),
  cluster: z.string(),
  query: z.optional(z.string()),
  configuration: z.looseObject({
    Method: z.string(),
    MinHealthyPercent: z.number(),
    MaxOver: z.union([z.number(), z.string()]),
    StuckAfterSeconds: z.number(),
    FailingAfterSeconds: z.number(),
    Coverage: z.optional(z.object({ MaxInstancesWithout: z.number(), ForSeconds: z.number() })),
  }),
  /** A Service environment's ECS service (name, desired count, launch type, network, load balancer). */
  service: z.optional(z.looseObject({ name: z.string(), desiredCount: z.number() })),
});

/** A rollback's trigger: a safety trigger, or `Abort` (abort-deployment). */
const SAFETY_TRIGGERS = ['Alarm', 'CircuitBreaker', 'CanaryTask', 'Hook'] as const;
const trigger = z.object({ kind: z.enum([...SAFETY_TRIGGERS, 'Abort']), reason: z.string() });
const HOOK_STAGE = z.enum(['PreTraffic', 'PostTestTraffic', 'PostTraffic', 'PreRollback', 'PostRollback']);
const groupWeights = z.array(z.object({ targetGroupArn: z.string(), weight: z.number().check(z.gte(0), z.lte(100)) }));
/** Who used a control of a running deployment, and why. */
const control = { deploymentId: z.string(), caller: z.string().check(z.minLength(1)), reason: z.optional(z.string()), at };
const breakerRecord = z.object({
  failed: z.number(),
  since: z.number(),
  counted: z.array(z.object({ id: z.string(), at: z.number() })),
  last: z.optional(z.object({ id: z.string(), cause: z.string(), reason: z.string(), at: z.number() })),
});

/** Engine events carry epoch milliseconds. */
const ms = z.number();
const count = z.object({ revision, desired: z.number(), current: z.number() });
/** ECS ids (the last segment of an ARN) of container instances or tasks. */
const ids = z.array(z.string());

/** Every Service operation (checked below: none missing). */
const SERVICE_OPERATIONS = ['EnsureService', 'CreateTaskSet', 'ScaleTaskSet', 'SetPrimaryTaskSet', 'DeleteTaskSet', 'SetDesiredCount', 'DeleteService', 'SetWeights'] as const satisfies ReadonlyArray<ServiceOperation['op']>;
type MissingOperation = Exclude<ServiceOperation['op'], (typeof SERVICE_OPERATIONS)[number]>;
const _operations: [MissingOperation] extends [never] ? true : MissingOperation = true;
void _operations;

export const environmentEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('EnvironmentCreated'), name: z.string(), at }),
  z.object({ type: z.literal('RevisionCreated'), revision, spec: storedSpec, basedOn: z.optional(revision), at }),
  z.object({
    type: z.literal('DeploymentStarted'),
    deploymentId: z.string(),
    revision,
    undeploying: z.array(revision),
    initial: z.boolean(),
    target,
    caller: z.optional(z.string()),
    at,
  }),
  z.object({
    type: z.literal('RollbackStarted'),
    deploymentId: z.string(),
    revision,
    reverting: z.array(revision),
    undeploying: z.array(revision),
    rollbackConfiguration: z.optional(storedConfiguration),
    trigger: z.optional(trigger),
    target,
    caller: z.optional(z.string()),
    at,
  }),
  z.object({ type: z.literal('EnvironmentFrozen'), at }),
  z.object({ type: z.literal('EnvironmentThawed'), at }),
  z.object({ type: z.literal('EnvironmentScaled'), desiredCount: z.number().check(z.int(), z.gte(0)), at }),
  z.object({
    type: z.literal('DeletionStarted'),
    deletionId: z.string(),
    revision,
    force: z.boolean(),
    tasks: z.number().check(z.int(), z.gte(0)),
    target,
    caller: z.optional(z.string()),
    at,
  }),
  z.object({ type: z.literal('EnvironmentDeleted'), at }),
  z.object({ type: z.literal('DeletionForced'), at }),
  // Controls of a running deployment.
  z.object({ type: z.literal('DeploymentPaused'), ...control }),
  z.object({ type: z.literal('DeploymentUnpaused'), ...control }),
  z.object({ type: z.literal('DeploymentPromoted'), full: z.boolean(), ends: z.enum(['Bake', 'CanaryBake', 'Pause', 'Steps']), ...control }),
  z.object({ type: z.literal('DeploymentAborted'), to: revision, ...control }),
  z.object({ type: z.literal('DeletionCompleted'), at: ms }),
  z.object({ type: z.literal('ScaleApplied'), desiredCount: z.number(), at: ms }),
  z.object({
    type: z.literal('ServiceObserved'),
    revision,
    desiredCount: z.number().check(z.int(), z.gte(0)),
    running: z.number().check(z.int(), z.gte(0)),
    reason: z.optional(z.string()),
    at: ms,
  }),
  z.object({ type: z.literal('CanaryTaskChecked'), canary: z.looseObject({ phase: z.enum(['Starting', 'Registering', 'Checking', 'Passed', 'Failed']) }), at: ms }),
  z.object({ type: z.literal('CanaryTaskFailed'), reason: z.string(), at: ms }),
  // The engine: the planner's decisions…
  z.object({ type: z.literal('LaunchesPlanned'), revision, reason: z.string(), batches: z.array(z.object({ key: z.string(), instances: ids })), at: ms }),
  z.object({ type: z.literal('StopsPlanned'), reason: z.string(), batches: z.array(z.object({ key: z.string(), tasks: ids })), at: ms }),
  z.object({ type: z.literal('LaunchesSettled'), instances: ids, at: ms }),
  z.object({ type: z.literal('LaunchesLost'), instances: ids, at: ms }),
  z.object({ type: z.literal('StopsSettled'), tasks: ids, at: ms }),
  z.object({ type: z.literal('RevisionCountsChanged'), counts: z.array(count), at: ms }),
  z.object({ type: z.literal('DeploymentProgressed'), ready: z.number(), old: z.number(), at: ms }),
  z.object({ type: z.literal('DeploymentStuck'), reason: z.string(), at: ms }),
  z.object({ type: z.literal('DeploymentFailing'), reason: z.string(), at: ms }),
  z.object({ type: z.literal('DeploymentResumed'), at: ms }),
  z.object({ type: z.literal('CoverageDropped'), without: z.number(), at: ms }),
  z.object({ type: z.literal('CoverageFailing'), without: z.number(), reason: z.string(), at: ms }),
  z.object({ type: z.literal('CoverageRestored'), at: ms }),
  z.object({ type: z.literal('AlarmStateObserved'), alarm: z.string(), value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), changedAt: ms, reason: z.string(), at: ms }),
  z.object({ type: z.literal('CircuitBreakerCounted'), tasks: ids, record: breakerRecord, at: ms }),
  z.object({ type: z.literal('CanaryBakeStarted'), instances: z.number(), at: ms }),
  z.object({ type: z.literal('CanaryPassed'), at: ms }),
  z.object({ type: z.literal('BakeStarted'), at: ms }),
  z.object({ type: z.literal('DeploymentHalted'), trigger: z.enum(SAFETY_TRIGGERS), reason: z.string(), at: ms }),
  z.object({ type: z.literal('RollbackTriggered'), trigger: z.enum(SAFETY_TRIGGERS), reason: z.string(), to: revision, at: ms }),
  z.object({ type: z.literal('TrafficStepStarted'), step: z.number().check(z.int(), z.gte(0)), steps: z.number().check(z.int(), z.gte(1)), description: z.string(), at: ms }),
  z.object({ type: z.literal('TrafficWeightsObserved'), weights: groupWeights, at: ms }),
  z.object({ type: z.literal('TrafficInSync'), changeId: z.string(), at: ms }),
  z.object({ type: z.literal('TrafficChangePlanned'), weights: groupWeights, at: ms }),
  z.object({ type: z.literal('HookInvoked'), hook: z.number().check(z.int(), z.gte(0)), stage: HOOK_STAGE, functionArn: z.string(), attempt: z.number().check(z.int(), z.gte(1)), at: ms }),
  z.object({
    type: z.literal('DeploymentCompleted'),
    revision,
    retired: z.array(z.object({ revision, status: z.enum(['Inactive', 'Reverted']) })),
    at: ms,
  }),
  // …and the executor's outcomes that observation cannot show.
  z.object({ type: z.literal('LaunchesFailed'), key: z.string(), failures: z.array(z.object({ instance: z.string(), reason: z.string() })), at: ms }),
  z.object({
    type: z.literal('ServiceUpdateRefused'),
    key: z.string(),
    operation: z.enum(SERVICE_OPERATIONS),
    reason: z.string(),
    at: ms,
  }),
  z.object({ type: z.literal('TrafficChangeSubmitted'), key: z.string(), changeId: z.string(), weights: groupWeights, at: ms }),
  z.object({
    type: z.literal('HookAnswered'),
    hook: z.number().check(z.int(), z.gte(0)),
    stage: HOOK_STAGE,
    attempt: z.number().check(z.int(), z.gte(1)),
    status: z.enum(['SUCCEEDED', 'FAILED', 'IN_PROGRESS']),
    callBackDelaySeconds: z.optional(z.number().check(z.gte(0))),
    reason: z.optional(z.string()),
    at: ms,
  }),
]);

// Every domain event type has a schema, and every schema a domain event type.
type CatalogueType = z.infer<typeof environmentEventSchema>['type'];
type Missing = Exclude<EnvironmentEvent['type'], CatalogueType> | Exclude<CatalogueType, EnvironmentEvent['type']>;
const _complete: [Missing] extends [never] ? true : Missing = true;
void _complete;

/**
 * `zod/mini` loads no locale, so its issues would all say "Invalid input": the English messages
 * (what full zod gives) are passed to each parse, leaving zod's global config alone. Imported from
 * its own module: `z.locales.en` would bundle every locale.
 */
const ENGLISH = { error: english().localeError };

export class CorruptEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptEventError';
  }
}

/**
 * Engine events of the first release, one per task, as the log may still hold them; read as their
 * batched successors (`TaskLaunchRequested` and `TaskStopRequested` changed nothing and read as an
 * empty `LaunchesSettled`).
 */
const legacyEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('TaskLaunchPlanned'), key: z.string(), instanceArn: z.string(), revision, reason: z.string(), at: ms }),
  z.object({ type: z.literal('TaskStopPlanned'), key: z.string(), taskArn: z.string(), instanceArn: z.string(), revision, reason: z.string(), at: ms }),
  z.object({ type: z.literal('LaunchesSettled'), keys: z.array(z.string()), at: ms }),
  z.object({ type: z.literal('StopsSettled'), keys: z.array(z.string()), at: ms }),
  z.object({ type: z.literal('TaskLaunchRequested'), key: z.string(), instanceArn: z.string(), taskArn: z.string(), at: ms }),
  z.object({ type: z.literal('TaskLaunchFailed'), key: z.string(), instanceArn: z.string(), reason: z.string(), at: ms }),
  z.object({ type: z.literal('TaskStopRequested'), key: z.string(), taskArn: z.string(), at: ms }),
]);

const LEGACY_TYPES: ReadonlySet<string> = new Set(['TaskLaunchPlanned', 'TaskStopPlanned', 'TaskLaunchRequested', 'TaskLaunchFailed', 'TaskStopRequested']);

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function upcastLegacy(event: z.infer<typeof legacyEventSchema>): EnvironmentEvent {
  switch (event.type) {
    case 'TaskLaunchPlanned':
      return { type: 'LaunchesPlanned', revision: event.revision, reason: event.reason, batches: [{ key: event.key, instances: [lastSegment(event.instanceArn)] }], at: event.at };
    case 'TaskStopPlanned':
      return { type: 'StopsPlanned', reason: event.reason, batches: [{ key: event.key, tasks: [lastSegment(event.taskArn)] }], at: event.at };
    case 'TaskLaunchFailed':
      return { type: 'LaunchesFailed', key: event.key, failures: [{ instance: lastSegment(event.instanceArn), reason: event.reason }], at: event.at };
    // Settled by key: the keys named one launch (or stop) each, which the batched bookkeeping cannot
    // map back to ids; the next plan settles them from what ECS shows.
    case 'LaunchesSettled':
    case 'TaskLaunchRequested':
      return { type: 'LaunchesSettled', instances: [], at: event.at };
    case 'StopsSettled':
    case 'TaskStopRequested':
      return { type: 'StopsSettled', tasks: [], at: event.at };
  }
}

/** Turns a stored `{ type, schemaVersion, data }` into a domain event, upcasting old versions. */
export function decodeEvent(type: string, schemaVersion: number, data: unknown): EnvironmentEvent {
  if (schemaVersion > CURRENT_SCHEMA_VERSION) {
    throw new CorruptEventError(`event ${type} has schema version ${schemaVersion}, newer than this code (${CURRENT_SCHEMA_VERSION})`);
  }
  if (LEGACY_TYPES.has(type) || ((type === 'LaunchesSettled' || type === 'StopsSettled') && 'keys' in (data as object))) {
    const legacy = legacyEventSchema.safeParse({ ...(data as object), type }, ENGLISH);
    if (!legacy.success) throw new CorruptEventError(`event ${type} v${schemaVersion} does not match the catalogue: ${legacy.error.message}`);
    return upcastLegacy(legacy.data);
  }
  const parsed = environmentEventSchema.safeParse({ ...(data as object), type }, ENGLISH);
  if (!parsed.success) {
    throw new CorruptEventError(`event ${type} v${schemaVersion} does not match the catalogue: ${parsed.error.message}`);
  }
  return parsed.data as EnvironmentEvent;
}
