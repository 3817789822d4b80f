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
import { INBOUND_EVENT_TYPES } from '../../events/aws';
import { STARTED_BY_PREFIX } from '../../functions/engine/router-handler';

interface HttpApiEvent {
  method: string;
  path: string;
  authorizer?: { type?: string; name?: string; id?: string };
}

interface FunctionConfig {
  handler: string;
  role?: unknown;
  timeout?: number;
  maximumRetryAttempts?: number;
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
  Condition?: Record<string, Record<string, unknown>>;
}

interface ServerlessConfig {
  service: string;
  params?: { default?: Record<string, unknown> };
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

const raw = parse(readFileSync(fileURLToPath(new URL('../../serverless.yml', import.meta.url)), 'utf8')) as ServerlessConfig;
const params = raw.params?.default ?? {};

/**
 * `${param:x}` resolved with the default stage's value, as the framework does: a whole-string
 * reference becomes the value itself (lists and intrinsics included), one inside a string is
 * interpolated. Every check below reads the resolved file.
 */
function resolveParams(value: unknown): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{param:([A-Za-z0-9_]+)\}$/.exec(value);
    if (whole) {
      expect(params, `param ${whole[1]} has a default`).toHaveProperty(whole[1]!);
      return structuredClone(params[whole[1]!]);
    }
    return value.replace(/\$\{param:([A-Za-z0-9_]+)\}/g, (_, name: string) => {
      expect(typeof params[name], `param ${name} is interpolated into a string`).toBe('string');
      return params[name] as string;
    });
  }
  if (Array.isArray(value)) return value.map(resolveParams);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveParams(v)]));
  return value;
}

const config = resolveParams(raw) as ServerlessConfig;
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
      expect(routes('api-read')).toEqual([
        'GET /environments',
        'GET /environments/{name}',
        'GET /environments/{name}/deployments',
        'GET /environments/{name}/events',
        'GET /environments/{name}/instances',
        'GET /environments/{name}/revision-diff',
        'GET /environments/{name}/status',
      ]);
      expect(routes('api-write')).toEqual(
        [
          'POST /environments',
          ...['revisions', 'deployments', 'rollbacks', 'freeze', 'thaw', 'scale', 'deletion', 'deployment/pause', 'deployment/resume', 'deployment/promote', 'deployment/abort'].map((a) => `POST /environments/{name}/${a}`),
        ].sort(),
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

    /**
     * Where a wildcard resource is allowed, and nowhere else (Service Authorization Reference,
     * "Actions, resources, and condition keys for Amazon Elastic Container Service"; ECS Developer
     * Guide, "Identity-based policy examples"):
     * - `ecs:DescribeTaskDefinition` has no resource type: it takes Resource "*" (no condition key);
     * - `ecs:ListTasks` is authorised with Resource "*" scoped by an `ecs:cluster` condition;
     * - ECS resources with random ids (`task/*`, `container-instance/*`) and the task definitions
     *   StartTask may use (`task-definition/*` unless narrowed) are this account's and region's
     *   ARNs of that one type, with an `ecs:cluster` (or, for TagResource, `ecs:CreateAction`) condition.
     */
    const STAR_ONLY_ACTIONS = new Set(['ecs:DescribeTaskDefinition', 'ecs:ListTasks', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeRules']);
    const SCOPED_ECS_ARN = /^arn:\$\{AWS::Partition\}:ecs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(task|container-instance|task-definition|service|task-set)\/\*$/;
    const PASS_ROLE = { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } };

    it('scopes every Resource: "*" only for ECS actions without resource types, wildcard ARNs only for ECS ids within the clusters', () => {
      for (const { where, statement } of statements) {
        const targets = asArray(statement.Resource as unknown);
        expect(targets.length, where).toBeGreaterThan(0);
        const actions = asArray(statement.Action);
        for (const target of targets) {
          for (const leaf of stringLeaves(target)) {
            if (!leaf.includes('*')) continue;
            const context = `${where}: ${actions.join(', ')} on ${JSON.stringify(target)}`;
            // CloudWatch alarms: any alarm of the account and Region (the ones watched are named at run time).
            if (actions.every((a) => a === 'cloudwatch:DescribeAlarms')) {
              expect(leaf, context).toBe('arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*');
              continue;
            }
            // Route 53 changes: GetChange's resource type `change`, whose ids are random.
            if (actions.every((a) => a === 'route53:GetChange')) {
              expect(leaf, context).toBe('arn:${AWS::Partition}:route53:::change/*');
              continue;
            }
            // Lifecycle hooks: the functions of the param `hookFunctions` (a name prefix by default).
            if (actions.every((a) => a === 'lambda:InvokeFunction')) {
              expect(statement.Resource, context).toEqual(params.hookFunctions);
              expect(leaf, context).toMatch(/^arn:\$\{AWS::Partition\}:lambda:\$\{AWS::Region\}:\$\{AWS::AccountId\}:function:[A-Za-z0-9_-]+\*$/);
              continue;
            }
            if (leaf === '*') {
              expect(actions.every((a) => STAR_ONLY_ACTIONS.has(a)), context).toBe(true);
              if (actions.includes('ecs:ListTasks')) expect(statement.Condition?.ArnEquals?.['ecs:cluster'], context).toEqual(params.clusters);
              continue;
            }
            if (actions.every((a) => a === 'elasticloadbalancing:ModifyRule')) {
              // The listener rules Canary and BlueGreen move (param `trafficListenerRuleArns`): Application Load Balancer rules only.
              expect(leaf, context).toMatch(/^arn:\$\{AWS::Partition\}:elasticloadbalancing:\$\{AWS::Region\}:\$\{AWS::AccountId\}:listener-rule\/app\//);
              expect(statement.Resource, context).toEqual(params.trafficListenerRuleArns);
              continue;
            }
            if (actions.every((a) => a === 'iam:PassRole')) {
              // The task roles (param `taskRoles`, a role path by default), passed to ECS's tasks only.
              expect(leaf, context).toMatch(/^arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:role\/[A-Za-z0-9_+=,.@-]+\/\*$/);
              expect(statement.Condition, context).toEqual(PASS_ROLE);
              continue;
            }
            expect(actions.every((a) => a.startsWith('ecs:')), context).toBe(true);
            expect(leaf, context).toMatch(SCOPED_ECS_ARN);
            const scoped = statement.Condition?.ArnEquals?.['ecs:cluster'] ?? statement.Condition?.StringEquals?.['ecs:CreateAction'];
            expect(scoped, `${context}: needs an ecs:cluster or ecs:CreateAction condition`).toBeDefined();
          }
        }
      }
    });

    it('scopes every ECS permission to the clusters environments use (param `clusters`)', () => {
      const clusters = params.clusters as unknown[];
      expect(Array.isArray(clusters) && clusters.length > 0).toBe(true);
      for (const cluster of clusters) expect(stringLeaves(cluster).join('')).toMatch(/^arn:.*:ecs:.*:cluster\/[A-Za-z0-9_-]+$/);
      for (const { where, statement } of statements) {
        const actions = asArray(statement.Action).filter((a) => a.startsWith('ecs:'));
        if (actions.length === 0) continue;
        const context = `${where}: ${actions.join(', ')}`;
        if (actions.every((a) => a === 'ecs:DescribeTaskDefinition')) continue; // no resource type, no condition key
        if (actions.every((a) => a === 'ecs:TagResource')) {
          expect(statement.Condition, context).toEqual({ StringEquals: { 'ecs:CreateAction': 'StartTask' } });
          continue;
        }
        const byResource = JSON.stringify(statement.Resource) === JSON.stringify(clusters);
        const byCondition = JSON.stringify(statement.Condition?.ArnEquals?.['ecs:cluster']) === JSON.stringify(clusters);
        expect(byResource || byCondition, context).toBe(true);
      }
    });

    it('grants iam:PassRole to the executor only, for the task roles (param `taskRoles`), to ecs-tasks.amazonaws.com only', () => {
      for (const { where, statement } of statements) {
        if (!asArray(statement.Action).includes('iam:PassRole')) continue;
        expect(where).toMatch(/ExecutorRole/);
        expect(asArray(statement.Action), where).toEqual(['iam:PassRole']);
        expect(statement.Resource, where).toEqual(params.taskRoles);
        expect(statement.Condition, where).toEqual(PASS_ROLE);
      }
      expect(roleStatements(roleId(config.functions.executor!)).some((s) => asArray(s.Action).includes('iam:PassRole'))).toBe(true);
    });

    it('Service environments: the reconciler reads services and target health; the executor manages services and task sets; the API none', () => {
      const actionsOf = (fn: string) => roleStatements(roleId(config.functions[fn]!)).flatMap((s) => asArray(s.Action));
      expect(actionsOf('reconciler')).toEqual(expect.arrayContaining(['ecs:DescribeServices', 'elasticloadbalancing:DescribeTargetHealth']));
      expect(actionsOf('reconciler')).not.toContain('ecs:CreateTaskSet');
      expect(actionsOf('executor')).toEqual(
        expect.arrayContaining(['ecs:DescribeServices', 'ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:CreateTaskSet', 'ecs:UpdateTaskSet', 'ecs:UpdateServicePrimaryTaskSet', 'ecs:DeleteTaskSet']),
      );
      for (const fn of ['api-write', 'router']) expect(actionsOf(fn).filter((a) => a.startsWith('ecs:') || a.startsWith('iam:')), fn).toEqual([]);
      // diff-revisions reads the two revisions' task definitions, nothing else of ECS.
      expect(actionsOf('api-read').filter((a) => a.startsWith('ecs:') || a.startsWith('iam:'))).toEqual(['ecs:DescribeTaskDefinition']);
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

  describe('engine functions', () => {
    const router = config.functions.router!;
    const reconciler = config.functions.reconciler!;
    const executor = config.functions.executor!;
    const eventsOf = <T = unknown>(fn: FunctionConfig, kind: string): T[] => (fn.events ?? []).flatMap((e) => (kind in e ? [e[kind] as T] : []));
    interface EventBridgeRule {
      eventBus?: unknown;
      pattern: { source: string[]; 'detail-type': string[]; detail?: unknown };
    }
    const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

    it('router: rules for ECS task and container instance state changes of the clusters, and the tick', () => {
      const rules = eventsOf<EventBridgeRule>(router, 'eventBridge');
      expect(rules.map((r) => r.pattern)).toEqual([
        {
          source: ['aws.ecs'],
          'detail-type': ['ECS Task State Change'],
          detail: { clusterArn: params.clusters, startedBy: [{ prefix: STARTED_BY_PREFIX }] },
        },
        {
          source: ['aws.ecs'],
          'detail-type': ['ECS Task State Change'],
          detail: { clusterArn: params.clusters, startedBy: [{ prefix: 'ecs-svc/' }], group: [{ prefix: 'service:' }] },
        },
        {
          source: ['aws.ecs'],
          'detail-type': ['ECS Container Instance State Change'],
          detail: { clusterArn: params.clusters },
        },
        { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] },
      ]);
      // Every rule matches events the router parses (events/aws), on the default bus.
      for (const rule of rules) {
        expect(rule.eventBus).toBeUndefined();
        for (const detailType of rule.pattern['detail-type']) {
          expect(INBOUND_EVENT_TYPES).toContainEqual(expect.objectContaining({ source: rule.pattern.source[0], detailType }));
        }
      }
      expect(eventsOf(router, 'schedule')).toEqual(['rate(1 minute)']);
      expect(INBOUND_EVENT_TYPES).toContainEqual(expect.objectContaining({ kind: 'tick', source: 'aws.events', detailType: 'Scheduled Event' }));
    });

    it('alarms, least privilege: DescribeAlarms on alarms for the reconciler alone; the alarm index read by the router and its entries deleted only under their partitions', () => {
      const alarmArn = { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*' };
      const onlyAlarmIndex = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['$blox#alarm_*'] } };
      for (const [name, fn] of functions) {
        const cloudwatch = roleStatements(roleId(fn)).filter((s) => asArray(s.Action).some((a) => a.startsWith('cloudwatch:')));
        if (name === 'reconciler') expect(cloudwatch).toEqual([{ Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms'], Resource: [alarmArn] }]);
        else expect(cloudwatch, name).toEqual([]);
        // Deleting items: only alarm index entries, and only by the functions whose appends change what is watched.
        const deletes = roleStatements(roleId(fn)).filter((s) => asArray(s.Action).includes('dynamodb:DeleteItem'));
        for (const statement of deletes) {
          expect(asArray(statement.Action), name).toEqual(['dynamodb:DeleteItem']);
          expect(statement.Condition, name).toEqual(onlyAlarmIndex);
        }
        expect(deletes.length, name).toBe(name === 'reconciler' || name === 'api-write' ? 1 : 0);
      }
      const routerQueries = roleStatements(roleId(router)).filter((s) => asArray(s.Action).includes('dynamodb:Query') && s.Condition);
      expect(routerQueries).toEqual([{ Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [{ 'Fn::GetAtt': ['Table', 'Arn'] }], Condition: onlyAlarmIndex }]);
    });

    it('router: consumes the wake-up queue with partial batch responses; async invocations are retried (the deduplication ids make a retry harmless)', () => {
      expect(eventsOf(router, 'sqs')).toEqual([{ arn: getAtt('WakeupsQueue'), batchSize: 10, functionResponseType: 'ReportBatchItemFailures' }]);
      expect(router.maximumRetryAttempts).toBeGreaterThan(0);
    });

    it('reconciler: consumes the FIFO reconcile queue, 10 at a time, with partial batch responses — and nothing else', () => {
      expect(reconciler.events).toEqual([{ sqs: { arn: getAtt('ReconcileQueue'), batchSize: 10, functionResponseType: 'ReportBatchItemFailures' } }]);
    });

    it('executor: consumes the FIFO action queue with partial batch responses', () => {
      expect(executor.events).toEqual([{ sqs: { arn: getAtt('ActionsQueue'), batchSize: 10, functionResponseType: 'ReportBatchItemFailures' } }]);
    });

    it('gives each function the queue URLs and the bus it uses, and no other', () => {
      const bus = params.eventBus;
      expect(router.environment).toEqual({ RECONCILE_QUEUE_URL: { Ref: 'ReconcileQueue' } });
      expect(reconciler.environment).toEqual({
        ACTIONS_QUEUE_URL: { Ref: 'ActionsQueue' },
        WAKEUPS_QUEUE_URL: { Ref: 'WakeupsQueue' },
        RECONCILE_QUEUE_URL: { Ref: 'ReconcileQueue' },
        EVENT_BUS_NAME: bus,
      });
      expect(executor.environment).toEqual({ ACTIONS_QUEUE_URL: { Ref: 'ActionsQueue' }, EVENT_BUS_NAME: bus });
      expect(config.functions['api-write']!.environment).toEqual({ RECONCILE_QUEUE_URL: { Ref: 'ReconcileQueue' }, EVENT_BUS_NAME: bus });
      expect(config.functions['api-read']!.environment).toBeUndefined();
    });

    it('the action queue is FIFO, deduplicated by id, visible again after 6 × the executor timeout, dead-lettered to a FIFO queue', () => {
      const queue = resources.ActionsQueue!;
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false });
      expect(String(queue.Properties!.QueueName)).toMatch(/\.fifo$/);
      expect(executor.timeout).toBeGreaterThan(0);
      expect(queue.Properties!.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * executor.timeout!);
      expect(queue.Properties!.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt('ActionsDLQ'), maxReceiveCount: 5 });
      const dlq = resources.ActionsDLQ!;
      expect(dlq.Type).toBe('AWS::SQS::Queue');
      expect(dlq.Properties).toMatchObject({ FifoQueue: true });
      expect(String(dlq.Properties!.QueueName)).toMatch(/\.fifo$/);
    });

    it('the reconcile queue is FIFO (high throughput: per group), deduplicated by id, visible again after 6 × the reconciler timeout, dead-lettered to a FIFO queue', () => {
      const queue = resources.ReconcileQueue!;
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false, DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
      expect(String(queue.Properties!.QueueName)).toMatch(/\.fifo$/);
      expect(reconciler.timeout).toBeGreaterThan(0);
      expect(queue.Properties!.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * reconciler.timeout!);
      expect(queue.Properties!.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt('ReconcileDLQ'), maxReceiveCount: 8 });
      const dlq = resources.ReconcileDLQ!;
      expect(dlq.Type).toBe('AWS::SQS::Queue');
      expect(dlq.Properties).toMatchObject({ FifoQueue: true });
      expect(String(dlq.Properties!.QueueName)).toMatch(/\.fifo$/);
    });

    it('the wake-up queue is standard, visible again after 6 × the router timeout, with a dead-letter queue', () => {
      const queue = resources.WakeupsQueue!;
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties!.FifoQueue).toBeUndefined();
      expect(queue.Properties!.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * router.timeout!);
      expect(queue.Properties!.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt('WakeupsDLQ'), maxReceiveCount: 5 });
      expect(resources.WakeupsDLQ!.Type).toBe('AWS::SQS::Queue');
      expect(resources.WakeupsDLQ!.Properties!.FifoQueue).toBeUndefined();
    });

    it('encrypts every queue, and keeps dead letters longer than the queues they come from', () => {
      const queues = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
      expect(queues.map(([id]) => id).sort()).toEqual(['ActionsDLQ', 'ActionsQueue', 'ReconcileDLQ', 'ReconcileQueue', 'WakeupsDLQ', 'WakeupsQueue']);
      for (const [id, queue] of queues) expect(queue.Properties!.SqsManagedSseEnabled, id).toBe(true);
      for (const dlq of ['ActionsDLQ', 'ReconcileDLQ', 'WakeupsDLQ']) expect(resources[dlq]!.Properties!.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    });

    it('alarms when any dead-letter queue holds a message', () => {
      const deadLetterQueues = Object.values(resources)
        .map((r) => (r.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': [string, string] } } | undefined)?.deadLetterTargetArn?.['Fn::GetAtt'][0])
        .filter((id): id is string => id !== undefined)
        .sort();
      expect(deadLetterQueues).toEqual(['ActionsDLQ', 'ReconcileDLQ', 'WakeupsDLQ']);
      const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      for (const dlq of deadLetterQueues) {
        const alarm = alarms.find((a) => JSON.stringify(a.Properties?.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: getAtt(dlq, 'QueueName') }]));
        expect(alarm, `alarm on ${dlq}`).toBeDefined();
        expect(alarm!.Properties).toMatchObject({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    describe('roles', () => {
      const actionsOn = (fn: string) => {
        const map = new Map<string, unknown[]>();
        for (const statement of roleStatements(roleId(config.functions[fn]!))) {
          for (const action of asArray(statement.Action)) map.set(action, [...(map.get(action) ?? []), ...asArray(statement.Resource as unknown)]);
        }
        return map;
      };
      const bus = { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${String(params.eventBus)}` };
      const servicePrefixes = (fn: string) => [...new Set([...actionsOn(fn).keys()].map((a) => a.split(':')[0]))].sort();

      const index = (name: string) => ({ 'Fn::Join': ['', [getAtt('Table'), `/index/${name}`]] });

      it('router: queries the environment indexes and the alarm index, sends to the reconcile queue, receives wake-ups — no ECS, no write, no PutEvents', () => {
        const actions = actionsOn('router');
        expect(servicePrefixes('router')).toEqual(['dynamodb', 'logs', 'sqs']);
        expect([...actions.keys()].filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:Query']);
        expect(actions.get('dynamodb:Query')).toEqual([index('gsi1'), index('gsi2'), getAtt('Table')]);
        expect(actions.get('sqs:SendMessage')).toEqual([getAtt('ReconcileQueue')]);
        for (const receive of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) expect(actions.get(receive)).toEqual([getAtt('WakeupsQueue')]);
        expect([...actions.keys()].filter((a) => a.startsWith('sqs:')).sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:SendMessage']);
      });

      it('reconciler: the table, ECS reads, target health, sending actions and wake-ups, receiving (and backing off) reconcile requests, PutEvents', () => {
        const actions = actionsOn('reconciler');
        expect(servicePrefixes('reconciler')).toEqual(['cloudwatch', 'dynamodb', 'ecs', 'elasticloadbalancing', 'events', 'logs', 'route53', 'sqs']);
        expect([...actions.keys()].filter((a) => a.startsWith('cloudwatch:'))).toEqual(['cloudwatch:DescribeAlarms']);
        expect([...actions.keys()].filter((a) => a.startsWith('ecs:')).sort()).toEqual(
          ['ecs:DescribeContainerInstances', 'ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:DescribeTasks', 'ecs:ListContainerInstances', 'ecs:ListTasks'],
        );
        expect([...actions.keys()].filter((a) => a.startsWith('elasticloadbalancing:'))).toEqual(['elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeRules']);
        expect(actions.get('elasticloadbalancing:DescribeRules')).toEqual(['*']);
        expect(actions.has('dynamodb:Query')).toBe(false);
        for (const write of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']) expect(actions.get(write)).toEqual([getAtt('Table')]);
        expect(actions.get('sqs:SendMessage')).toEqual([getAtt('ActionsQueue'), getAtt('WakeupsQueue')]);
        for (const receive of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility']) {
          expect(actions.get(receive)).toEqual([getAtt('ReconcileQueue')]);
        }
        expect(actions.get('events:PutEvents')).toEqual([bus]);
      });

      it('Route 53: the reconciler reads the weighted records of the hosted zones named (param `hostedZones`) and GetChange on changes; the executor reads and changes them; no other function touches Route 53', () => {
        const zones = params.hostedZones as unknown[];
        expect(Array.isArray(zones) && zones.length > 0).toBe(true);
        for (const zone of zones) expect(stringLeaves(zone).join('')).toMatch(/^arn:.*:route53:::hostedzone\/Z[A-Z0-9]+$/);
        const reconciler = actionsOn('reconciler');
        expect([...reconciler.keys()].filter((a) => a.startsWith('route53:')).sort()).toEqual(['route53:GetChange', 'route53:ListResourceRecordSets']);
        expect(reconciler.get('route53:ListResourceRecordSets')).toEqual(zones);
        expect(reconciler.get('route53:GetChange')).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:route53:::change/*' }]);
        const executor = actionsOn('executor');
        expect([...executor.keys()].filter((a) => a.startsWith('route53:')).sort()).toEqual(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets']);
        expect(executor.get('route53:ListResourceRecordSets')).toEqual(zones);
        expect(executor.get('route53:ChangeResourceRecordSets')).toEqual(zones);
        for (const fn of ['api-read', 'api-write', 'router']) expect(servicePrefixes(fn).filter((p) => p === 'route53'), fn).toEqual([]);
      });

      it('executor: invokes the lifecycle hooks of the param `hookFunctions` (InvokeHook actions), and no other function does', () => {
        const actions = actionsOn('executor');
        expect([...actions.keys()].filter((a) => a.startsWith('lambda:'))).toEqual(['lambda:InvokeFunction']);
        expect(actions.get('lambda:InvokeFunction')).toEqual(params.hookFunctions);
        for (const fn of ['api-read', 'api-write', 'router', 'reconciler']) expect(servicePrefixes(fn).filter((p) => p === 'lambda'), fn).toEqual([]);
      });

      it('executor: start, tag, stop and list tasks; services and task sets; pass the task roles; the table; receiving actions; PutEvents — and no sending', () => {
        const actions = actionsOn('executor');
        expect(servicePrefixes('executor')).toEqual(['dynamodb', 'ecs', 'elasticloadbalancing', 'events', 'iam', 'lambda', 'logs', 'route53', 'sqs']);
        // ModifyRule on the listener rules of param `trafficListenerRuleArns` only; DescribeRules has no resource type.
        expect([...actions.keys()].filter((a) => a.startsWith('elasticloadbalancing:')).sort()).toEqual(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:ModifyRule']);
        expect(actions.get('elasticloadbalancing:ModifyRule')).toEqual(params.trafficListenerRuleArns);
        expect(actions.get('elasticloadbalancing:DescribeRules')).toEqual(['*']);
        expect([...actions.keys()].filter((a) => a.startsWith('ecs:')).sort()).toEqual([
          'ecs:CreateService',
          'ecs:CreateTaskSet',
          'ecs:DeleteService',
          'ecs:DeleteTaskSet',
          'ecs:DescribeServices',
          'ecs:DescribeTasks',
          'ecs:ListTasks',
          'ecs:StartTask',
          'ecs:StopTask',
          'ecs:TagResource',
          'ecs:UpdateService',
          'ecs:UpdateServicePrimaryTaskSet',
          'ecs:UpdateTaskSet',
        ]);
        expect(actions.get('iam:PassRole')).toEqual(params.taskRoles);
        expect(actions.get('ecs:StartTask')).toEqual(params.taskDefinitions);
        for (const write of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']) expect(actions.get(write)).toEqual([getAtt('Table')]);
        expect(actions.has('dynamodb:Query')).toBe(false);
        expect([...actions.keys()].filter((a) => a.startsWith('sqs:')).sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
        for (const receive of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) expect(actions.get(receive)).toEqual([getAtt('ActionsQueue')]);
        expect(actions.get('events:PutEvents')).toEqual([bus]);
      });

      it('api-write: PutEvents on the bus and SendMessage on the reconcile queue; api-read neither', () => {
        const write = actionsOn('api-write');
        expect(write.get('events:PutEvents')).toEqual([bus]);
        expect(write.get('sqs:SendMessage')).toEqual([getAtt('ReconcileQueue')]);
        expect([...write.keys()].filter((a) => a.startsWith('sqs:') || a.startsWith('ecs:'))).toEqual(['sqs:SendMessage']);
        expect(servicePrefixes('api-read')).toEqual(['dynamodb', 'ecs', 'logs']);
      });

      it('grants SQS actions on the queues only, and PutEvents on the bus only', () => {
        for (const { where, statement } of policyStatements()) {
          const actions = asArray(statement.Action);
          for (const target of asArray(statement.Resource as unknown)) {
            if (actions.some((a) => a.startsWith('sqs:'))) expect(['ActionsQueue', 'ReconcileQueue', 'WakeupsQueue'], where).toContain((target as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0]);
            if (actions.some((a) => a.startsWith('events:'))) expect(target, where).toEqual(bus);
          }
        }
      });
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
