/**
 * Static checks of serverless.yml: what the deployed stack must guarantee, read from the file
 * itself (no framework run; CI runs `serverless package` separately).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FUNCTIONS } from '../../scripts/build';
import { TTL_ATTRIBUTE, tableDefinition } from '../../functions/adapters/table-definition';

interface HttpApiEvent {
  method: string;
  path: string;
  authorizer?: { type?: string; name?: string; id?: string };
}

interface FunctionConfig {
  handler: string;
  role?: unknown;
  package?: { patterns?: string[] };
  environment?: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
}

interface CfResource {
  Type: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Properties?: Record<string, unknown>;
}

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
}

interface ServerlessConfig {
  service: string;
  provider: {
    name: string;
    runtime: string;
    architecture?: string;
    environment?: Record<string, unknown>;
    iam?: { role?: { statements?: Statement[] } | string };
    iamRoleStatements?: Statement[];
  };
  package?: { individually?: boolean };
  functions: Record<string, FunctionConfig>;
  resources: { Resources: Record<string, CfResource> };
}

const config = parse(readFileSync(fileURLToPath(new URL('../../serverless.yml', import.meta.url)), 'utf8')) as ServerlessConfig;
const resources = config.resources.Resources;
const functions = Object.entries(config.functions);

/** The framework's logical id for a function's log group (`api-read` → `ApiDashreadLogGroup`). */
function logGroupLogicalId(functionName: string): string {
  const normalized = functionName.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LogGroup`;
}

function httpApiEvents(fn: FunctionConfig): HttpApiEvent[] {
  return (fn.events ?? []).flatMap((event) => ('httpApi' in event ? [event.httpApi as HttpApiEvent] : []));
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Every string leaf of a value (intrinsic functions included). */
function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringLeaves);
  return [];
}

/** Identity policies declared in the file: provider-level statements and every role/policy resource. */
function policyStatements(): Array<{ where: string; statement: Statement }> {
  const found: Array<{ where: string; statement: Statement }> = [];
  const providerRole = config.provider.iam?.role;
  if (providerRole && typeof providerRole === 'object') {
    for (const statement of providerRole.statements ?? []) found.push({ where: 'provider.iam.role', statement });
  }
  for (const statement of config.provider.iamRoleStatements ?? []) found.push({ where: 'provider.iamRoleStatements', statement });
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asArray(props.Policies as Array<{ PolicyDocument: unknown }> | undefined)) documents.push(policy.PolicyDocument);
    } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::RolePolicy') {
      documents.push(props.PolicyDocument);
    }
    for (const document of documents) {
      for (const statement of asArray((document as { Statement: Statement | Statement[] }).Statement)) found.push({ where: id, statement });
    }
  }
  return found;
}

function roleStatements(roleId: string): Statement[] {
  return policyStatements()
    .filter((s) => s.where === roleId)
    .map((s) => s.statement);
}

function roleId(fn: FunctionConfig): string {
  expect(typeof fn.role, 'role must name a role defined in resources').toBe('string');
  return fn.role as string;
}

describe('serverless.yml', () => {
  it('declares exactly the functions that scripts/build.ts bundles', () => {
    expect(Object.keys(config.functions).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  it('packages each function from its own bundle folder only', () => {
    expect(config.package?.individually).toBe(true);
    for (const [name, fn] of functions) {
      expect(fn.handler, name).toBe(`.build/${name}/index.handler`);
      const patterns = fn.package?.patterns ?? [];
      expect(patterns[0], name).toBe('!**');
      expect(patterns, name).toContain(`.build/${name}/**`);
      for (const pattern of patterns.filter((p) => !p.startsWith('!'))) expect(pattern.startsWith(`.build/${name}/`), `${name}: ${pattern}`).toBe(true);
    }
  });

  it('runs on Node.js 22 (arm64) with the table name, source maps and Powertools settings', () => {
    expect(config.provider.name).toBe('aws');
    expect(config.provider.runtime).toBe('nodejs22.x');
    expect(config.provider.architecture).toBe('arm64');
    const env = config.provider.environment ?? {};
    expect(env.TABLE_NAME).toEqual({ Ref: 'Table' });
    expect(env.NODE_OPTIONS).toContain('--enable-source-maps');
    expect(env.POWERTOOLS_SERVICE_NAME).toBeTruthy();
    expect(env.LOG_LEVEL).toBeTruthy();
  });

  describe('HTTP API', () => {
    it('requires AWS_IAM authorization on every route', () => {
      const events = functions.flatMap(([, fn]) => httpApiEvents(fn));
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) {
        expect(event.authorizer, `${event.method} ${event.path}`).toEqual({ type: 'aws_iam' });
      }
    });

    it('routes reads to api-read and writes to api-write', () => {
      const routes = (name: string) => httpApiEvents(config.functions[name]!).map((e) => `${e.method.toUpperCase()} ${e.path}`).sort();
      expect(routes('api-read')).toEqual(['GET /environments', 'GET /environments/{name}', 'GET /environments/{name}/status']);
      expect(routes('api-write')).toEqual(
        ['POST /environments', ...['revisions', 'deployments', 'rollbacks', 'freeze', 'thaw'].map((a) => `POST /environments/{name}/${a}`)].sort(),
      );
    });

    it('uses HTTP API events only (a REST `http` event would escape the check above)', () => {
      const all = functions.flatMap(([, fn]) => (fn.events ?? []).filter((e) => 'http' in e));
      expect(all, 'REST (http) events are not used; use httpApi').toEqual([]);
    });
  });

  describe('IAM', () => {
    const statements = policyStatements();

    it('declares policies (sanity check of the parser)', () => {
      expect(statements.length).toBeGreaterThan(0);
    });

    it('has no wildcard in any Action and no NotAction / NotResource', () => {
      for (const { where, statement } of statements) {
        expect(statement.NotAction, where).toBeUndefined();
        expect(statement.NotResource, where).toBeUndefined();
        const actions = asArray(statement.Action);
        expect(actions.length, where).toBeGreaterThan(0);
        for (const action of actions) expect(action.includes('*'), `${where}: ${action}`).toBe(false);
      }
    });

    it('scopes every Resource (no "*", no wildcard ARN)', () => {
      for (const { where, statement } of statements) {
        const targets = asArray(statement.Resource as unknown);
        expect(targets.length, where).toBeGreaterThan(0);
        for (const target of targets) {
          for (const leaf of stringLeaves(target)) expect(leaf.includes('*'), `${where}: ${JSON.stringify(target)}`).toBe(false);
        }
      }
    });

    it('gives every function its own role defined in this file, and no shared provider role statements', () => {
      expect(config.provider.iam?.role, 'per-function roles only').toBeUndefined();
      expect(config.provider.iamRoleStatements).toBeUndefined();
      const roles = new Set<string>();
      for (const [name, fn] of functions) {
        const id = roleId(fn);
        expect(resources[id]?.Type, `${name} role ${id}`).toBe('AWS::IAM::Role');
        expect(roles.has(id), `${name} shares role ${id}`).toBe(false);
        roles.add(id);
        const trust = stringLeaves(resources[id]!.Properties?.AssumeRolePolicyDocument);
        expect(trust).toContain('lambda.amazonaws.com');
      }
    });

    it('lets each function write only to its own log group', () => {
      for (const [name, fn] of functions) {
        const logStatements = roleStatements(roleId(fn)).filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
        expect(logStatements.length, name).toBeGreaterThan(0);
        for (const statement of logStatements) {
          expect(asArray(statement.Action).every((a) => a.startsWith('logs:')), name).toBe(true);
          expect(asArray(statement.Resource as unknown), name).toEqual([{ 'Fn::GetAtt': [logGroupLogicalId(name), 'Arn'] }]);
        }
      }
    });

    it('gives api-read no DynamoDB write action', () => {
      const actions = roleStatements(roleId(config.functions['api-read']!)).flatMap((s) => asArray(s.Action));
      expect(actions).toContain('dynamodb:Query');
      const writes = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'ConditionCheckItem', 'PartiQLUpdate', 'PartiQLInsert', 'PartiQLDelete'];
      for (const write of writes) expect(actions).not.toContain(`dynamodb:${write}`);
    });

    it('grants DynamoDB actions on the table (and its index) only', () => {
      for (const { where, statement } of statements) {
        if (!asArray(statement.Action).some((a) => a.startsWith('dynamodb:'))) continue;
        for (const target of asArray(statement.Resource as unknown)) {
          const leaves = stringLeaves(target);
          expect(leaves, `${where}: ${JSON.stringify(target)}`).toContain('Table');
        }
      }
    });
  });

  describe('DynamoDB table', () => {
    const table = resources.Table!;
    const props = (table?.Properties ?? {}) as Record<string, unknown>;
    const expected = tableDefinition('ignored');

    it('is an on-demand table kept on stack deletion and replacement', () => {
      expect(table.Type).toBe('AWS::DynamoDB::Table');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(props.BillingMode).toBe(expected.BillingMode);
    });

    it('has the keys, attribute definitions and index of tableDefinition()', () => {
      const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? '');
      expect([...(props.AttributeDefinitions as Array<{ AttributeName: string }>)].sort(byName)).toEqual([...expected.AttributeDefinitions!].sort(byName));
      expect(props.KeySchema).toEqual(expected.KeySchema);
      expect(props.GlobalSecondaryIndexes).toEqual(expected.GlobalSecondaryIndexes);
      expect(props.LocalSecondaryIndexes).toBeUndefined();
    });

    it('expires items on the TTL attribute', () => {
      expect(props.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    });

    it('has point-in-time recovery and server-side encryption enabled', () => {
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(props.SSESpecification).toMatchObject({ SSEEnabled: true });
    });

    it('is the table the functions are given', () => {
      expect(config.provider.environment?.TABLE_NAME).toEqual({ Ref: 'Table' });
      for (const [name, fn] of functions) expect(fn.environment?.TABLE_NAME, name).toBeUndefined();
    });
  });
});
