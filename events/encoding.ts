/**
 * The stored form of a domain event, `{ type, schemaVersion, data }`: what the event log writes.
 * Apart from the catalogue (catalogue.ts, which reads it back) because writing needs no schema: the
 * catalogue's zod schemas are built when its module loads, which the Lambda functions, which only
 * append, would otherwise pay on every cold start (the event log imports the catalogue only to read).
 */
import type { EnvironmentEvent } from '../domain/environment';

export const CURRENT_SCHEMA_VERSION = 1;

/** The stored form of a domain event. */
export function encodeEvent(event: EnvironmentEvent): { type: string; schemaVersion: number; data: Record<string, unknown> } {
  const { type, ...data } = event;
  return { type, schemaVersion: CURRENT_SCHEMA_VERSION, data: stripUndefined(data) };
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
