/**
 * The executor's input contract: one `PlannerAction` (domain/rollout/types.ts) per SQS message body,
 * as `SqsActionQueue` sends it (`JSON.stringify(action)`). Unknown keys are dropped, not refused: a
 * planner one release ahead must not make the executor dead-letter its actions.
 *
 * Checked by hand rather than with a zod schema: every executor invocation parses actions, and
 * building the schema (zod's objects, and compiling zod's code on the way) was the largest part of the
 * executor's cold start beyond its SDK clients (bench/README.md). The result is built field by field,
 * so the compiler checks it against `PlannerAction`, and `SERVICE_OPERATIONS` must name every
 * `ServiceOperation`: a new operation or a renamed field does not compile until it is read here.
 */
import type { PlannerAction, ServiceOperation, ServiceTarget } from '../../domain/rollout';
import { ACTION_BATCH } from '../../domain/rollout';

type Path = ReadonlyArray<string | number>;

class ActionBodyError extends Error {
  constructor(path: Path, expected: string) {
    super(`action body: ${path.map(String).join('.') || '(body)'}: expected ${expected}`);
    this.name = 'ActionBodyError';
  }
}

type Fields = Record<string, unknown>;

function object(value: unknown, path: Path): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ActionBodyError(path, 'an object');
  return value as Fields;
}

function string(fields: Fields, key: string, path: Path, { nonEmpty = true } = {}): string {
  const value = fields[key];
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) throw new ActionBodyError([...path, key], nonEmpty ? 'a non-empty string' : 'a string');
  return value;
}

function number(fields: Fields, key: string, path: Path, { integer = false, min, max, above }: { integer?: boolean; min?: number; max?: number; above?: number } = {}): number {
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
    throw new ActionBodyError([...path, key], `${integer ? 'an integer' : 'a number'}${bounds ? ` ${bounds}` : ''}`);
  }
  return value;
}

function strings(fields: Fields, key: string, path: Path, { min = 0, max = Infinity } = {}): string[] {
  const value = fields[key];
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    throw new ActionBodyError([...path, key], `an array of ${min}${max === Infinity ? ' or more' : ` to ${max}`} non-empty strings`);
  }
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string' || item.length === 0) throw new ActionBodyError([...path, key, index], 'a non-empty string');
    return item;
  });
}

function oneOf<T extends string>(fields: Fields, key: string, path: Path, values: readonly T[]): T {
  const value = fields[key];
  if (!values.includes(value as T)) throw new ActionBodyError([...path, key], `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
  return value as T;
}

/** `fields[key]` read with `read` when present (not undefined), else absent from the result. */
function optional<K extends string, T>(fields: Fields, key: K, read: () => T): { [P in K]?: T } {
  return fields[key] === undefined ? {} : ({ [key]: read() } as { [P in K]?: T });
}

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
  };
}

const percent = { min: 0, max: 100 };
const count = { integer: true, min: 0 };

/** Every `ServiceOperation`, read from its fields (the compiler checks the record names them all). */
const SERVICE_OPERATIONS: { [K in ServiceOperation['op']]: (fields: Fields, path: Path) => Extract<ServiceOperation, { op: K }> } = {
  EnsureService: (f, p) => ({ op: 'EnsureService', desiredCount: number(f, 'desiredCount', p, count) }),
  CreateTaskSet: (f, p) => ({ op: 'CreateTaskSet', taskDefinition: string(f, 'taskDefinition', p), scale: number(f, 'scale', p, percent), clientToken: string(f, 'clientToken', p) }),
  ScaleTaskSet: (f, p) => ({ op: 'ScaleTaskSet', taskSet: string(f, 'taskSet', p), scale: number(f, 'scale', p, percent), stopTasks: strings(f, 'stopTasks', p) }),
  SetPrimaryTaskSet: (f, p) => ({ op: 'SetPrimaryTaskSet', taskSet: string(f, 'taskSet', p) }),
  DeleteTaskSet: (f, p) => ({ op: 'DeleteTaskSet', taskSet: string(f, 'taskSet', p) }),
  SetDesiredCount: (f, p) => ({ op: 'SetDesiredCount', desiredCount: number(f, 'desiredCount', p, count) }),
  DeleteService: () => ({ op: 'DeleteService' }),
};

function serviceOperation(value: unknown, path: Path): ServiceOperation {
  const fields = object(value, path);
  const op = oneOf(fields, 'op', path, Object.keys(SERVICE_OPERATIONS) as Array<ServiceOperation['op']>);
  return SERVICE_OPERATIONS[op](fields, path);
}

function action(value: unknown): PlannerAction {
  const path: Path = [];
  const fields = object(value, path);
  const type = oneOf(fields, 'type', path, ['StartTasks', 'StopTasks', 'UpdateService'] as const);
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
      if (!Array.isArray(operations) || operations.length === 0) throw new ActionBodyError(['operations'], 'an array of 1 or more operations');
      return { type, ...common, service: serviceTarget(fields.service, ['service']), operations: operations.map((op: unknown, index) => serviceOperation(op, ['operations', index])) };
    }
    default: {
      const never: never = type;
      throw new Error(`unexpected action type ${String(never)}`);
    }
  }
}

/** Parses a message body into an action; throws an Error naming the offending field. */
export function parseAction(body: string): PlannerAction {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('action body is not JSON');
  }
  return action(json);
}
