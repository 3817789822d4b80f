/**
 * Reading the fields of a message body parsed from JSON, by hand: what the engine functions parse on
 * every invocation (actions, reconcile requests) is checked with these rather than with zod schemas,
 * whose construction at cold start (zod's objects, and compiling zod's code on the way) cost those
 * functions more than the rest of their own code (bench/README.md). Each reader returns the value with
 * its type or throws `FieldError`, whose message names the field's path and what was expected.
 */

export type FieldPath = ReadonlyArray<string | number>;
export type Fields = Record<string, unknown>;

export class FieldError extends Error {
  constructor(path: FieldPath, expected: string) {
    super(`${path.map(String).join('.') || '(body)'}: expected ${expected}`);
    this.name = 'FieldError';
  }
}

/** `body` parsed and read with `read`; any error says `<what>: …` (`<what> is not JSON`, `<what>: <field>: expected …`). */
export function parseBody<T>(what: string, body: string, read: (value: unknown) => T): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  try {
    return read(json);
  } catch (error) {
    if (error instanceof FieldError) throw new Error(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

export function object(value: unknown, path: FieldPath): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldError(path, 'an object');
  return value as Fields;
}

export function string(fields: Fields, key: string, path: FieldPath, { nonEmpty = true } = {}): string {
  const value = fields[key];
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) throw new FieldError([...path, key], nonEmpty ? 'a non-empty string' : 'a string');
  return value;
}

export function boolean(fields: Fields, key: string, path: FieldPath): boolean {
  const value = fields[key];
  if (typeof value !== 'boolean') throw new FieldError([...path, key], 'true or false');
  return value;
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  above?: number;
}

export function number(fields: Fields, key: string, path: FieldPath, { integer = false, min, max, above }: NumberRule = {}): number {
  const value = fields[key];
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max) &&
    (above === undefined || value > above);
  if (!ok) {
    const bounds = [min !== undefined ? `≥ ${min}` : '', above !== undefined ? `> ${above}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(' and ');
    throw new FieldError([...path, key], `${integer ? 'an integer' : 'a number'}${bounds ? ` ${bounds}` : ''}`);
  }
  return value;
}

export function strings(fields: Fields, key: string, path: FieldPath, { min = 0, max = Infinity } = {}): string[] {
  const value = fields[key];
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    throw new FieldError([...path, key], `an array of ${min}${max === Infinity ? ' or more' : ` to ${max}`} non-empty strings`);
  }
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string' || item.length === 0) throw new FieldError([...path, key, index], 'a non-empty string');
    return item;
  });
}

export function oneOf<T extends string>(fields: Fields, key: string, path: FieldPath, values: readonly T[]): T {
  const value = fields[key];
  if (!values.includes(value as T)) throw new FieldError([...path, key], `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
  return value as T;
}

/** `fields[key]` read with `read` when present (not undefined), else absent from the result. */
export function optional<K extends string, T>(fields: Fields, key: K, read: () => T): { [P in K]?: T } {
  return fields[key] === undefined ? {} : ({ [key]: read() } as { [P in K]?: T });
}
