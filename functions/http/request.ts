/**
 * Reading an API Gateway HTTP API (payload v2) request: the environment name from the path, query
 * flags, revision numbers and the idempotency key (the body: `body.ts`). Every refusal names what
 * was wrong and is a 4xx; nothing here touches the store.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { ValidationError } from '../../domain/errors';
import { ENVIRONMENT_NAME_PATTERN } from '../../domain/spec';
import { HttpError } from './errors';

export const MAX_BODY_BYTES = 64 * 1024;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

export function rawBody(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PayloadTooLarge', `request body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
  }
  return text;
}

/** The `{name}` path parameter, URL-decoded (names contain `/`, sent as `%2F`) and checked. */
export function environmentName(event: APIGatewayProxyEventV2): string {
  const raw = event.pathParameters?.name ?? '';
  let name: string;
  try {
    name = raw.includes('%') ? decodeURIComponent(raw) : raw;
  } catch {
    throw new ValidationError('name: not a valid URL-encoded environment name', 'name');
  }
  if (!ENVIRONMENT_NAME_PATTERN.test(name)) {
    throw new ValidationError('name: expected 1 to 255 characters from A-Z a-z 0-9 _ / - .', 'name');
  }
  return name;
}

/** A revision number field of a body: an integer ≥ 1, given as a number or a numeric string. */
export function revisionNumber(value: unknown, field: string, options: { optional?: boolean } = {}): number | undefined {
  if (value === undefined && options.optional) return undefined;
  const n = typeof value === 'string' && /^\s*[0-9]{1,10}\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 9_999_999_999) {
    throw new ValidationError(
      value === undefined ? `${field}: is required` : `${field}: expected a revision number (an integer of at least 1)`,
      field,
    );
  }
  return n;
}

/** Refuses body fields a route does not know, naming the first. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new ValidationError(`${unknown}: unknown field (expected ${allowed.join(', ') || 'no fields'})`, unknown);
  }
}

export function queryFlag(event: APIGatewayProxyEventV2, name: string): boolean {
  const value = event.queryStringParameters?.[name];
  if (value === undefined) return false;
  if (['true', '1', ''].includes(value.toLowerCase())) return true;
  if (['false', '0'].includes(value.toLowerCase())) return false;
  throw new ValidationError(`${name}: expected true or false`, name);
}

export function queryInteger(event: APIGatewayProxyEventV2, name: string, min: number, max: number, fallback: number): number {
  const value = event.queryStringParameters?.[name];
  if (value === undefined) return fallback;
  const n = /^[0-9]{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new ValidationError(`${name}: expected an integer from ${min} to ${max}`, name);
  return n;
}

/**
 * Who sent the request: the IAM identity API Gateway authenticated (`requestContext.authorizer.iam.userArn`,
 * every route has IAM authorization); the local stack has none and says `local`.
 */
export function callerOf(event: APIGatewayProxyEventV2): string {
  const context = event.requestContext as { authorizer?: { iam?: { userArn?: string | null; callerId?: string | null } } } | undefined;
  const iam = context?.authorizer?.iam;
  return iam?.userArn || iam?.callerId || 'local';
}

export const MAX_REASON_LENGTH = 512;

/** An optional `Reason` of a body: a string of 1 to MAX_REASON_LENGTH characters, no control characters but newlines. */
export function reasonOf(body: Record<string, unknown>): string | undefined {
  const value = body.Reason;
  if (value === undefined) return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_REASON_LENGTH || /[\u0000-\u0009\u000b-\u001f\u007f]/.test(value)) {
    throw new ValidationError(`Reason: expected a string of 1 to ${MAX_REASON_LENGTH} characters (no control characters)`, 'Reason');
  }
  return value.trim();
}

/** The Idempotency-Key header with a fingerprint of the request it came with, if given. */
export function idempotencyOf(event: APIGatewayProxyEventV2, scope: string): { key: string; fingerprint: string } | undefined {
  const key = header(event, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('Idempotency-Key: expected 1 to 128 characters from A-Z a-z 0-9 _ . : -', 'Idempotency-Key');
  }
  const fingerprint = createHash('sha256').update(`${event.routeKey}\n${scope}\n${rawBody(event)}`).digest('hex');
  return { key, fingerprint };
}
