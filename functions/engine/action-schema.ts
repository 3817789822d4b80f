/**
 * The executor's input contract: one `PlannerAction` (domain/rollout/types.ts) per SQS message body,
 * as `SqsActionQueue` sends it (`JSON.stringify(action)`). Unknown keys are dropped, not refused: a
 * planner one release ahead must not make the executor dead-letter its actions.
 *
 * Checked by hand (functions/json-fields.ts) rather than with a zod schema: every executor invocation
 * parses actions, and building the schema at cold start cost more than the rest of the executor's own
 * code (bench/README.md). The result is built field by field,
 * so the compiler checks it against `PlannerAction`, and `SERVICE_OPERATIONS` must name every
 * `ServiceOperation`: a new operation or a renamed field does not compile until it is read here.
 */
import type { PlannerAction, ServiceOperation, ServiceTarget } from '../../domain/rollout';
import { ACTION_BATCH } from '../../domain/rollout';
import type { FieldPath, Fields } from '../json-fields';
import { FieldError, number, object, oneOf, optional, parseBody, string, strings } from '../json-fields';

type Path = FieldPath;

function serviceTarget(value: unknown, path: Path): ServiceTarget {
  const fields = object(value, path);
  return {
    name: string(fields, 'name', path),
    desiredCount: number(fields, 'desiredCount', path, { integer: true, min: 0 }),
    ...optional(fields, 'launchType', () => oneOf(fields, 'launchType', path, ['EC2', 'FARGATE'] as const)),
    ...optional(fields, 'networkConfiguration', () => {
      const at = [...path, 'networkConfiguration'];
      const network = object(fields.networkConfiguration, at);
      return {
        subnets: strings(network, 'subnets', at),
        ...optional(network, 'securityGroups', () => strings(network, 'securityGroups', at)),
        ...optional(network, 'assignPublicIp', () => oneOf(network, 'assignPublicIp', at, ['ENABLED', 'DISABLED'] as const)),
      };
    }),
    ...optional(fields, 'loadBalancer', () => {
      const at = [...path, 'loadBalancer'];
      const balancer = object(fields.loadBalancer, at);
      return {
        containerName: string(balancer, 'containerName', at),
        containerPort: number(balancer, 'containerPort', at, { integer: true, min: 1, max: 65535 }),
        targetGroupArn: string(balancer, 'targetGroupArn', at),
      };
    }),
    ...optional(fields, 'traffic', () => trafficRoute(fields.traffic, [...path, 'traffic'])),
  };
}

/** TrafficRouting as the Service target carries it (Alb: the listener rules and the two groups; Route53: the record and its two sides). */
function trafficRoute(value: unknown, path: Path): NonNullable<ServiceTarget['traffic']> {
  const fields = object(value, path);
  const kind = oneOf(fields, 'kind', path, ['Alb', 'Route53'] as const);
  switch (kind) {
    case 'Alb':
      return {
        kind,
        listenerRuleArn: string(fields, 'listenerRuleArn', path),
        ...optional(fields, 'testListenerRuleArn', () => string(fields, 'testListenerRuleArn', path)),
        blueTargetGroupArn: string(fields, 'blueTargetGroupArn', path),
        greenTargetGroupArn: string(fields, 'greenTargetGroupArn', path),
      };
    case 'Route53': {
      const side = (name: 'blue' | 'green') => {
        const at = [...path, name];
        const f = object(fields[name], at);
        return { setIdentifier: string(f, 'setIdentifier', at), targetGroupArn: string(f, 'targetGroupArn', at) };
      };
      return { kind, hostedZoneId: string(fields, 'hostedZoneId', path), recordName: string(fields, 'recordName', path), blue: side('blue'), green: side('green') };
    }
    default: {
      const never: never = kind;
      throw new Error(`unexpected traffic route ${String(never)}`);
    }
  }
}

/** SetWeights' weights: one or two target groups, each 0–100 %. */
function groupWeights(fields: Fields, path: Path): Array<{ targetGroupArn: string; weight: number }> {
  const list = fields.weights;
  if (!Array.isArray(list) || list.length < 1 || list.length > 2) throw new FieldError([...path, 'weights'], 'an array of 1 or 2 weights');
  return list.map((w: unknown, i) => {
    const at = [...path, 'weights', i];
    const f = object(w, at);
    return { targetGroupArn: string(f, 'targetGroupArn', at), weight: number(f, 'weight', at, percent) };
  });
}

const HOOK_STAGES = ['PreTraffic', 'PostTestTraffic', 'PostTraffic', 'PreRollback', 'PostRollback'] as const;

const percent = { min: 0, max: 100 };
const count = { integer: true, min: 0 };

/** Every `ServiceOperation`, read from its fields (the compiler checks the record names them all). */
const SERVICE_OPERATIONS: { [K in ServiceOperation['op']]: (fields: Fields, path: Path) => Extract<ServiceOperation, { op: K }> } = {
  EnsureService: (f, p) => ({ op: 'EnsureService', desiredCount: number(f, 'desiredCount', p, count) }),
  CreateTaskSet: (f, p) => ({
    op: 'CreateTaskSet',
    taskDefinition: string(f, 'taskDefinition', p),
    scale: number(f, 'scale', p, percent),
    clientToken: string(f, 'clientToken', p),
    ...optional(f, 'targetGroupArn', () => string(f, 'targetGroupArn', p)),
  }),
  ScaleTaskSet: (f, p) => ({ op: 'ScaleTaskSet', taskSet: string(f, 'taskSet', p), scale: number(f, 'scale', p, percent), stopTasks: strings(f, 'stopTasks', p) }),
  SetPrimaryTaskSet: (f, p) => ({ op: 'SetPrimaryTaskSet', taskSet: string(f, 'taskSet', p) }),
  DeleteTaskSet: (f, p) => ({ op: 'DeleteTaskSet', taskSet: string(f, 'taskSet', p) }),
  SetDesiredCount: (f, p) => ({ op: 'SetDesiredCount', desiredCount: number(f, 'desiredCount', p, count) }),
  DeleteService: () => ({ op: 'DeleteService' }),
  SetWeights: (f, p) => ({ op: 'SetWeights', rule: oneOf(f, 'rule', p, ['production', 'test'] as const), weights: groupWeights(f, p) }),
};

function serviceOperation(value: unknown, path: Path): ServiceOperation {
  const fields = object(value, path);
  const op = oneOf(fields, 'op', path, Object.keys(SERVICE_OPERATIONS) as Array<ServiceOperation['op']>);
  return SERVICE_OPERATIONS[op](fields, path);
}

function action(value: unknown): PlannerAction {
  const path: Path = [];
  const fields = object(value, path);
  const type = oneOf(fields, 'type', path, ['StartTasks', 'StopTasks', 'UpdateService', 'InvokeHook'] as const);
  const common = {
    key: string(fields, 'key', path),
    environment: string(fields, 'environment', path),
    deploymentId: string(fields, 'deploymentId', path),
    epoch: number(fields, 'epoch', path, { integer: true, min: 0 }),
    revision: number(fields, 'revision', path, { integer: true, above: 0 }),
    cluster: string(fields, 'cluster', path),
    reason: string(fields, 'reason', path, { nonEmpty: false }),
  };
  const batch = { min: 1, max: ACTION_BATCH };
  switch (type) {
    case 'StartTasks':
      return { type, ...common, taskDefinition: string(fields, 'taskDefinition', path), instanceArns: strings(fields, 'instanceArns', path, batch) };
    case 'StopTasks':
      return { type, ...common, taskArns: strings(fields, 'taskArns', path, batch) };
    case 'UpdateService': {
      const operations = fields.operations;
      if (!Array.isArray(operations) || operations.length === 0) throw new FieldError(['operations'], 'an array of 1 or more operations');
      return { type, ...common, service: serviceTarget(fields.service, ['service']), operations: operations.map((op: unknown, index) => serviceOperation(op, ['operations', index])) };
    }
    case 'InvokeHook':
      return {
        type,
        ...common,
        hook: number(fields, 'hook', path, { integer: true, min: 0 }),
        stage: oneOf(fields, 'stage', path, HOOK_STAGES),
        functionArn: string(fields, 'functionArn', path),
        attempt: number(fields, 'attempt', path, { integer: true, min: 1 }),
      };
    default: {
      const never: never = type;
      throw new Error(`unexpected action type ${String(never)}`);
    }
  }
}

/** Parses a message body into an action; throws an Error naming the offending field. */
export function parseAction(body: string): PlannerAction {
  return parseBody('action body', body, action);
}
