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
import * as z from 'zod';
import type { EnvironmentEvent } from '../domain/environment';

export const CURRENT_SCHEMA_VERSION = 1;

const at = z.iso.datetime();
const revision = z.number().int().min(1);

/** The stored spec: already validated when it was accepted; here only its shape is checked. */
const storedSpec = z
  .object({
    Name: z.string(),
    TaskDefinition: z.string(),
    DeploymentType: z.enum(['Daemon', 'Service']),
  })
  .loose();

const storedConfiguration = z
  .object({
    Method: z.string().optional(),
    MinHealthyPercent: z.number().optional(),
    MaxOver: z.union([z.number(), z.string()]).optional(),
    StuckAfterSeconds: z.number().optional(),
    FailingAfterSeconds: z.number().optional(),
  })
  .loose();

export const environmentEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('EnvironmentCreated'), name: z.string(), at }),
  z.object({ type: z.literal('RevisionCreated'), revision, spec: storedSpec, basedOn: revision.optional(), at }),
  z.object({
    type: z.literal('DeploymentStarted'),
    deploymentId: z.string(),
    revision,
    undeploying: z.array(revision),
    initial: z.boolean(),
    at,
  }),
  z.object({
    type: z.literal('RollbackStarted'),
    deploymentId: z.string(),
    revision,
    reverting: z.array(revision),
    undeploying: z.array(revision),
    rollbackConfiguration: storedConfiguration.optional(),
    at,
  }),
  z.object({ type: z.literal('EnvironmentFrozen'), at }),
  z.object({ type: z.literal('EnvironmentThawed'), at }),
]);

// Every domain event type has a schema, and every schema a domain event type.
type CatalogueType = z.infer<typeof environmentEventSchema>['type'];
type Missing = Exclude<EnvironmentEvent['type'], CatalogueType> | Exclude<CatalogueType, EnvironmentEvent['type']>;
const _complete: [Missing] extends [never] ? true : Missing = true;
void _complete;

export class CorruptEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptEventError';
  }
}

/** Turns a stored `{ type, schemaVersion, data }` into a domain event, upcasting old versions. */
export function decodeEvent(type: string, schemaVersion: number, data: unknown): EnvironmentEvent {
  if (schemaVersion > CURRENT_SCHEMA_VERSION) {
    throw new CorruptEventError(`event ${type} has schema version ${schemaVersion}, newer than this code (${CURRENT_SCHEMA_VERSION})`);
  }
  const parsed = environmentEventSchema.safeParse({ ...(data as object), type });
  if (!parsed.success) {
    throw new CorruptEventError(`event ${type} v${schemaVersion} does not match the catalogue: ${parsed.error.message}`);
  }
  return parsed.data as EnvironmentEvent;
}

/** The stored form of a domain event. */
export function encodeEvent(event: EnvironmentEvent): { type: string; schemaVersion: number; data: Record<string, unknown> } {
  const { type, ...data } = event;
  return { type, schemaVersion: CURRENT_SCHEMA_VERSION, data: stripUndefined(data) };
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
