/**
 * The request body: JSON, or YAML when the content type says so (size-limited, alias-bomb-proof).
 * Only api-write imports this (it carries the YAML parser).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import { ValidationError } from '../../domain/errors';
import { HttpError } from './errors';
import { header, rawBody } from './request';

const MAX_DOCUMENT_NODES = 10_000;
const JSON_TYPES = ['application/json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * The request body as a plain value. An empty body is `{}` when `optional`, else a 400.
 * JSON by default; YAML when the content type says so. Anything else is a 415.
 */
export function readBody(event: APIGatewayProxyEventV2, options: { optional?: boolean } = {}): unknown {
  const text = rawBody(event);
  if (text.trim() === '') {
    if (options.optional) return {};
    throw new ValidationError('body: required (a JSON or YAML document)', 'body');
  }
  const contentType = (header(event, 'content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (JSON_TYPES.includes(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ValidationError(`body: not valid JSON (${(error as Error).message})`, 'body');
    }
  }
  if (YAML_TYPES.includes(contentType)) {
    let document: unknown;
    try {
      document = loadYaml(text, { schema: CORE_SCHEMA });
    } catch (error) {
      const message = error instanceof YAMLException ? error.message.split('\n')[0] : String(error);
      throw new ValidationError(`body: not valid YAML (${message})`, 'body');
    }
    // Aliases share nodes: a small document can stand for a huge one ("billion laughs").
    if (nodeCount(document, MAX_DOCUMENT_NODES) > MAX_DOCUMENT_NODES) {
      throw new ValidationError(`body: the YAML document expands to more than ${MAX_DOCUMENT_NODES} values`, 'body');
    }
    return document;
  }
  throw new HttpError(415, 'UnsupportedMediaType', `Content-Type "${contentType}" is not supported: send application/json or application/yaml`);
}

/** Counts the values of a document, stopping once past `limit`. */
function nodeCount(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const node = stack.pop();
    count++;
    if (node !== null && typeof node === 'object') stack.push(...Object.values(node));
  }
  return count;
}

/** The body as an object (mapping), or a 400 naming the body. */
export function readObjectBody(event: APIGatewayProxyEventV2, options: { optional?: boolean } = {}): Record<string, unknown> {
  const body = readBody(event, options);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('body: expected an object (a JSON object or a YAML mapping)', 'body');
  }
  return body as Record<string, unknown>;
}

