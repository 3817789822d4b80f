/**
 * `schema/environment.schema.json`, the JSON Schema editors use for YAML specs: the committed file is
 * what `scripts/write-schema.ts` generates (so it cannot go stale), it describes what the parser
 * accepts, and a small hand-written validator (the subset of draft-07 the file uses; no dependency)
 * agrees with `parseEnvironmentSpec` on the cases a schema can express.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseEnvironmentSpec } from '../../domain/spec';
import { SCHEMA_PATH, renderSchemaFile, run } from '../../scripts/write-schema';

type Schema = Record<string, unknown>;

/** The walkthrough's spec, exactly as its YAML reads. */
const WALKTHROUGH_YAML = `# yaml-language-server: $schema=./schema/environment.schema.json
Name: "SomeEnvironment/Prod"
TaskDefinition: "log-daemon:1"
Cluster: "default"
InstanceGroup:
  Query: "attribute:stack == prod"
DeploymentType: Daemon
DeploymentConfiguration:
  Method: "Replace" # (or "Surge")
  MinHealthyPercent: "100"
`;

let schema: Schema;
beforeAll(async () => {
  schema = JSON.parse(await readFile(SCHEMA_PATH, 'utf8')) as Schema;
});

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const propertiesOf = (s: Schema) => s.properties as Record<string, Schema>;

/** Errors of `value` against `s`, for the keywords the generated schema uses (fails on any other). */
function validate(s: Schema | boolean, value: unknown, path = ''): string[] {
  if (s === true) return [];
  if (s === false) return [`${path}: not allowed`];
  const known = new Set(['$schema', '$id', '$comment', 'title', 'description', 'type', 'enum', 'const', 'pattern', 'minimum', 'maximum', 'maxLength', 'anyOf', 'allOf', 'if', 'then', 'not', 'properties', 'required', 'additionalProperties']);
  for (const keyword of Object.keys(s)) if (!known.has(keyword)) throw new Error(`validate: keyword ${keyword} not supported`);
  const errors: string[] = [];
  const type = s.type as string | undefined;
  if (type === 'object' && !isObject(value)) return [`${path}: not an object`];
  if (type === 'string' && typeof value !== 'string') return [`${path}: not a string`];
  if (type === 'integer' && !Number.isInteger(value)) return [`${path}: not an integer`];
  if (s.enum && !(s.enum as unknown[]).includes(value)) errors.push(`${path}: not in enum`);
  if ('const' in s && s.const !== value) errors.push(`${path}: not the const`);
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${path}: does not match the pattern`);
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) errors.push(`${path}: too long`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: too small`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: too big`);
  }
  if (s.anyOf && (s.anyOf as Schema[]).every((option) => validate(option, value, path).length > 0)) errors.push(`${path}: matches no option`);
  for (const sub of (s.allOf as Schema[] | undefined) ?? []) errors.push(...validate(sub, value, path));
  if (s.if && validate(s.if as Schema, value, path).length === 0 && s.then) errors.push(...validate(s.then as Schema, value, path));
  if (s.not && validate(s.not as Schema, value, path).length === 0) errors.push(`${path}: matches "not"`);
  if (isObject(value)) {
    for (const key of (s.required as string[] | undefined) ?? []) if (!(key in value)) errors.push(`${path}.${key}: is required`);
    const properties = (s.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, child] of Object.entries(value)) {
      if (key in properties) errors.push(...validate(properties[key]!, child, path ? `${path}.${key}` : key));
      else if (s.additionalProperties === false) errors.push(`${path ? `${path}.` : ''}${key}: unknown`);
    }
  }
  return errors;
}

/** Every object schema in the file, with its path. */
function objectSchemas(s: Schema, path = '(root)'): [string, Schema][] {
  if (s.type !== 'object') return [];
  return [[path, s], ...Object.entries(propertiesOf(s)).flatMap(([key, child]) => objectSchemas(child, key))];
}

describe('schema/environment.schema.json', () => {
  it('is what scripts/write-schema.ts generates (run `npm run schema` after changing domain/spec.ts)', async () => {
    expect(await readFile(SCHEMA_PATH, 'utf8')).toBe(renderSchemaFile());
  });

  it('says how to use it from a YAML file', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).toEqual(expect.any(String));
    expect(schema.title).toEqual(expect.any(String));
    expect(schema.description).toContain('# yaml-language-server: $schema=./schema/environment.schema.json');
  });

  it('lists every field, refuses unknown ones at every level, and describes every field', () => {
    expect(Object.keys(propertiesOf(schema))).toEqual([
      'Name',
      'TaskDefinition',
      'Cluster',
      'DeploymentType',
      'InstanceGroup',
      'DesiredCount',
      'DeploymentConfiguration',
      'RollbackConfiguration',
      'Service',
      'TrafficRouting',
    ]);
    expect(schema.required).toEqual(['Name', 'TaskDefinition', 'DeploymentType']);
    const objects = objectSchemas(schema);
    expect(objects.map(([path]) => path)).toEqual([
      '(root)',
      'InstanceGroup',
      'DeploymentConfiguration',
      'CanaryTask',
      'Alarms',
      'CircuitBreaker',
      'Canary',
      'Coverage',
      'RollbackConfiguration',
      'CanaryTask',
      'Alarms',
      'CircuitBreaker',
      'Canary',
      'Coverage',
      'Service',
      'NetworkConfiguration',
      'LoadBalancer',
      'TrafficRouting',
      'Alb',
      'Route53',
      'Blue',
      'Green',
    ]);
    for (const [path, object] of objects) {
      expect(object.additionalProperties, path).toBe(false);
      for (const [key, field] of Object.entries(propertiesOf(object))) {
        expect(field.description, `${path}.${key}`).toEqual(expect.stringMatching(/\w{3}/));
      }
    }
  });

  it('has the enums for DeploymentType and Method, narrowed by DeploymentType', () => {
    const properties = propertiesOf(schema);
    expect(properties.DeploymentType!.enum).toEqual(['Daemon', 'Service']);
    for (const key of ['DeploymentConfiguration', 'RollbackConfiguration']) {
      expect(propertiesOf(properties[key]!).Method!.enum).toEqual(['Replace', 'Surge', 'Rolling', 'Canary', 'BlueGreen']);
    }
    const base = { Name: 'a', TaskDefinition: 'a:1' };
    expect(validate(schema, { ...base, DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Surge' } })).toEqual([]);
    expect(validate(schema, { ...base, DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Rolling' } })).not.toEqual([]);
    expect(validate(schema, { ...base, DeploymentType: 'Service', DesiredCount: 1, RollbackConfiguration: { Method: 'Replace' } })).not.toEqual([]);
  });

  it('lets the numeric fields be a number or a numeric string', () => {
    const configuration = propertiesOf(propertiesOf(schema).DeploymentConfiguration!);
    for (const field of [configuration.MinHealthyPercent!, configuration.StuckAfterSeconds!, configuration.FailingAfterSeconds!, propertiesOf(schema).DesiredCount!]) {
      expect((field.anyOf as Schema[]).map((option) => option.type)).toEqual(['integer', 'string']);
    }
    expect(configuration.MinHealthyPercent!.anyOf).toContainEqual({ type: 'integer', minimum: 0, maximum: 100 });
    for (const value of [100, '100', ' 50 ']) expect(validate(configuration.MinHealthyPercent!, value)).toEqual([]);
    for (const value of [101, 50.5, 'lots', true, null]) expect(validate(configuration.MinHealthyPercent!, value)).not.toEqual([]);
    for (const value of [2, '2', '20%']) expect(validate(configuration.MaxOver!, value)).toEqual([]);
  });

  it("accepts the walkthrough's YAML spec, whose keys are all listed in the schema", () => {
    const spec = parseYaml(WALKTHROUGH_YAML) as Record<string, unknown>;
    const listed = (object: Record<string, unknown>, s: Schema, path: string): string[] =>
      Object.entries(object).flatMap(([key, value]) => {
        const child = propertiesOf(s)[key];
        if (!child) return [`${path}${key}`];
        return isObject(value) ? listed(value, child, `${path}${key}.`) : [];
      });
    expect(listed(spec, schema, '')).toEqual([]);
    expect(validate(schema, spec)).toEqual([]);
    expect(() => parseEnvironmentSpec(spec)).not.toThrow();
  });

  // Where schema and parser can disagree by design: the query language, and numeric strings out of range.
  const agreements: [string, Record<string, unknown>][] = [
    ['the walkthrough', { Name: 'SomeEnvironment/Prod', TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon', DeploymentConfiguration: { MinHealthyPercent: '100' } }],
    ['a Service', { Name: 'Web', TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 2 }],
    ['a task definition ARN', { Name: 'a', TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/a:3', DeploymentType: 'Daemon' }],
    ['an unknown key', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', Foo: 1 }],
    ['an unknown nested key', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', DeploymentConfiguration: { Foo: 1 } }],
    ['a missing TaskDefinition', { Name: 'a', DeploymentType: 'Daemon' }],
    ['a bad task definition', { Name: 'a', TaskDefinition: 'log-daemon', DeploymentType: 'Daemon' }],
    ['a bad name', { Name: 'a b', TaskDefinition: 'a:1', DeploymentType: 'Daemon' }],
    ['a name too long', { Name: 'n'.repeat(256), TaskDefinition: 'a:1', DeploymentType: 'Daemon' }],
    ['MinHealthyPercent 101', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', DeploymentConfiguration: { MinHealthyPercent: 101 } }],
    ['MinHealthyPercent 50.5', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', DeploymentConfiguration: { MinHealthyPercent: 50.5 } }],
    ['MaxOver 0', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', DeploymentConfiguration: { MaxOver: 0 } }],
    ['DesiredCount on a Daemon', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', DesiredCount: 1 }],
    ['a Service without DesiredCount', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Service' }],
    ['Rolling on a Daemon', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Rolling' } }],
    ['Surge rollback on a Service', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Service', DesiredCount: 1, RollbackConfiguration: { Method: 'Surge' } }],
    ['an instance group without a query', { Name: 'a', TaskDefinition: 'a:1', DeploymentType: 'Daemon', InstanceGroup: {} }],
  ];
  it.each(agreements)('agrees with the parser: %s', (_label, spec) => {
    let parses = true;
    try {
      parseEnvironmentSpec(spec);
    } catch {
      parses = false;
    }
    expect(validate(schema, spec).length === 0).toBe(parses);
  });
});

describe('scripts/write-schema.ts', () => {
  let dir: string;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blox-schema-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--check passes on the committed file', async () => {
    expect(await run(['--check'], SCHEMA_PATH, log)).toBe(0);
  });

  it('--check fails on a missing or stale file; without it, writes the file', async () => {
    const out = join(dir, 'schema', 'environment.schema.json');
    expect(await run(['--check'], out, log)).toBe(1);
    expect(lines.at(-1)).toMatch(/is missing; run `npm run schema`/);
    expect(await run([], out, log)).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(renderSchemaFile());
    expect(await run(['--check'], out, log)).toBe(0);
    await writeFile(out, renderSchemaFile().replace('"Daemon"', '"Deamon"'));
    expect(await run(['--check'], out, log)).toBe(1);
    expect(lines.at(-1)).toMatch(/is out of date/);
  });

  it('refuses an unknown argument', async () => {
    expect(await run(['--chek'], join(dir, 'x.json'), log)).toBe(2);
  });
});
