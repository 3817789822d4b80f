/**
 * The simulator's controls, served by the local stack only (loopback, prefix `/_sim`): list, add,
 * drain and remove instances; list tasks; give a task definition faults; flip an alarm.
 * `blox sim …` is their client. In AWS there is no `/_sim`: the CLI says so.
 */
import type http from 'node:http';
import { TAG_ENVIRONMENT, TAG_REVISION } from '../domain/identity';
import type { ContainerInstance, ClusterTask } from '../functions/ports';
import type { SimulatedCluster } from './sim';

export interface SimApiState {
  world: SimulatedCluster;
  alarms: Map<string, 'ALARM' | 'OK'>;
  /** Called after a change that the world does not announce with an event. */
  onChange?: () => void;
}

class SimApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function instanceView(i: ContainerInstance) {
  return {
    ContainerInstanceArn: i.arn,
    Ec2InstanceId: i.ec2InstanceId,
    Cluster: i.arn.split('/').at(-2) ?? 'default',
    Status: i.status,
    Attributes: Object.fromEntries(Object.entries(i.attributes).filter(([k]) => !k.startsWith('ecs.'))),
    RunningTasks: i.runningTasksCount,
    Cpu: { Registered: i.registered.cpu, Remaining: i.remaining.cpu },
    Memory: { Registered: i.registered.memory, Remaining: i.remaining.memory },
  };
}

function taskView(t: ClusterTask, instances: Map<string, ContainerInstance>) {
  return {
    TaskArn: t.arn,
    ContainerInstanceArn: t.containerInstanceArn,
    Ec2InstanceId: instances.get(t.containerInstanceArn)?.ec2InstanceId ?? null,
    Environment: t.tags[TAG_ENVIRONMENT] ?? null,
    Revision: t.tags[TAG_REVISION] ? Number(t.tags[TAG_REVISION]) : null,
    TaskDefinition: t.taskDefinitionArn.slice(t.taskDefinitionArn.lastIndexOf('/') + 1),
    LastStatus: t.lastStatus,
    DesiredStatus: t.desiredStatus,
    HealthStatus: t.healthStatus,
    ...(t.stopCode ? { StopCode: t.stopCode } : {}),
    ...(t.stoppedReason ? { StoppedReason: t.stoppedReason } : {}),
  };
}

function positiveNumber(value: unknown, field: string, options: { integer?: boolean; min?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < (options.min ?? 0) || (options.integer && !Number.isInteger(n))) {
    throw new SimApiError(400, 'ValidationError', `${field}: expected a ${options.integer ? 'whole ' : ''}number of at least ${options.min ?? 0}`);
  }
  return n;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SimApiError(400, 'ValidationError', `${field}: expected an object`);
  return value as Record<string, unknown>;
}

/** Handles a `/_sim` request; returns false when the path is not a simulator route. */
export function handleSimRequest(state: SimApiState, method: string, url: URL, body: string, res: http.ServerResponse): boolean {
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.startsWith('/_sim')) return false;
  const send = (status: number, payload: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };
  try {
    const { world } = state;
    const parsed = (): Record<string, unknown> => {
      if (body.trim() === '') return {};
      try {
        return object(JSON.parse(body), 'body');
      } catch (error) {
        if (error instanceof SimApiError) throw error;
        throw new SimApiError(400, 'ValidationError', 'body: not valid JSON');
      }
    };
    const segments = path.split('/').slice(2);
    if (method === 'GET' && path === '/_sim/instances') {
      const cluster = url.searchParams.get('cluster') ?? undefined;
      send(200, { Instances: world.describeInstances(cluster).filter((i) => i.status !== 'INACTIVE').map(instanceView) });
    } else if (method === 'POST' && path === '/_sim/instances') {
      const input = parsed();
      const attributes = input.Attributes === undefined ? {} : object(input.Attributes, 'Attributes');
      for (const [k, v] of Object.entries(attributes)) {
        if (typeof v !== 'string') throw new SimApiError(400, 'ValidationError', `Attributes.${k}: expected a string`);
      }
      const count = positiveNumber(input.Count ?? 1, 'Count', { integer: true, min: 1 })!;
      if (count > 1000) throw new SimApiError(400, 'ValidationError', 'Count: at most 1000 at a time');
      const instances = world.addInstances({
        count,
        attributes: attributes as Record<string, string>,
        ...(typeof input.Cluster === 'string' ? { cluster: input.Cluster } : {}),
        ...(input.Cpu !== undefined ? { cpu: positiveNumber(input.Cpu, 'Cpu', { integer: true, min: 1 }) } : {}),
        ...(input.Memory !== undefined ? { memory: positiveNumber(input.Memory, 'Memory', { integer: true, min: 1 }) } : {}),
      });
      send(201, { Instances: instances.map(instanceView) });
    } else if (method === 'POST' && segments[0] === 'instances' && segments.length === 3 && (segments[2] === 'remove' || segments[2] === 'drain')) {
      const id = decodeURIComponent(segments[1]!);
      const known = world.describeInstances().some((i) => i.ec2InstanceId === id || i.arn === id || i.arn.endsWith(`/${id}`));
      if (!known) throw new SimApiError(404, 'NotFound', `no container instance "${id}"`);
      if (segments[2] === 'remove') world.removeInstance(id);
      else world.drainInstance(id);
      send(200, {});
    } else if (method === 'GET' && path === '/_sim/tasks') {
      const environment = url.searchParams.get('environment');
      const instances = new Map(world.describeInstances().map((i) => [i.arn, i]));
      const tasks = world.describeTasks().filter((t) => !environment || t.tags[TAG_ENVIRONMENT] === environment);
      send(200, { Tasks: tasks.map((t) => taskView(t, instances)) });
    } else if (method === 'POST' && path === '/_sim/task-definitions') {
      const input = parsed();
      const td = input.TaskDefinition;
      if (typeof td !== 'string' || !/^[A-Za-z0-9_-]{1,255}(:[1-9][0-9]*)?$/.test(td)) {
        throw new SimApiError(400, 'ValidationError', 'TaskDefinition: expected "family:revision"');
      }
      if (input.FailStart !== undefined && typeof input.FailStart !== 'string') throw new SimApiError(400, 'ValidationError', 'FailStart: expected a reason string');
      world.configureTaskDefinition(td, {
        ...(input.StartSeconds !== undefined ? { startSeconds: positiveNumber(input.StartSeconds, 'StartSeconds') } : {}),
        ...(input.FailStart !== undefined ? { failStart: input.FailStart as string } : {}),
        ...(input.CrashAfterSeconds !== undefined ? { crashAfterSeconds: positiveNumber(input.CrashAfterSeconds, 'CrashAfterSeconds') } : {}),
        ...(input.Unhealthy === true ? { health: 'unhealthy' as const } : {}),
        ...(input.Healthy === true ? { health: 'healthy' as const } : {}),
      });
      state.onChange?.();
      send(200, {});
    } else if (method === 'POST' && path === '/_sim/alarms') {
      const input = parsed();
      if (typeof input.AlarmName !== 'string' || input.AlarmName === '') throw new SimApiError(400, 'ValidationError', 'AlarmName: expected a name');
      if (input.State !== 'ALARM' && input.State !== 'OK') throw new SimApiError(400, 'ValidationError', 'State: expected ALARM or OK');
      state.alarms.set(input.AlarmName, input.State);
      state.onChange?.();
      send(200, {});
    } else {
      throw new SimApiError(404, 'NotFound', `no simulator route for ${method} ${path}`);
    }
  } catch (error) {
    if (error instanceof SimApiError) send(error.statusCode, { error: { code: error.code, message: error.message } });
    else send(400, { error: { code: 'ValidationError', message: (error as Error).message } });
  }
  return true;
}
