/**
 * diff-revisions: what changed between two revisions of an environment — their specs, field by field,
 * and their task definitions (images per container, environment variables, CPU and memory, port
 * mappings), as ECS's DescribeTaskDefinition describes them. Pure: the caller reads the revisions and
 * the task definitions.
 *
 * A change is `{ field, from, to }`, the field a dotted path; a value the revision does not have is
 * `null`. Objects are compared key by key; lists (Steps, AlarmNames, port mappings) as a whole.
 *
 * ```
 * specDiff({ TaskDefinition: 'web:1', DeploymentConfiguration: { MinHealthyPercent: 100 } },
 *          { TaskDefinition: 'web:2', DeploymentConfiguration: { MinHealthyPercent: 50, BakeSeconds: 60 } })
 *   → [ { field: 'DeploymentConfiguration.BakeSeconds', from: null, to: 60 },
 *       { field: 'DeploymentConfiguration.MinHealthyPercent', from: 100, to: 50 },
 *       { field: 'TaskDefinition', from: 'web:1', to: 'web:2' } ]
 *
 * taskDefinitionDiff(web:1 { web: image web:1.0, env { LOG: info }, 256 CPU },
 *                    web:2 { web: image web:1.1, env { LOG: debug }, 256 CPU; sidecar: image envoy })
 *   → [ { field: 'containers.sidecar', from: null, to: { image: 'envoy', … } },
 *       { field: 'containers.web.environment.LOG', from: 'info', to: 'debug' },
 *       { field: 'containers.web.image', from: 'web:1.0', to: 'web:1.1' } ]
 * ```
 */
import type { EnvironmentSpec } from './spec';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface PortMapping {
  containerPort: number;
  hostPort?: number | undefined;
  protocol?: string | undefined;
}

/** One container of a task definition: what a diff shows of it. */
export interface ContainerSummary {
  name: string;
  image: string;
  cpu?: number | undefined;
  /** MiB: the hard limit, and the soft one. */
  memory?: number | undefined;
  memoryReservation?: number | undefined;
  environment: Record<string, string>;
  portMappings: PortMapping[];
}

/** A task definition as DescribeTaskDefinition describes it, the fields a diff shows. */
export interface TaskDefinitionSummary {
  arn: string;
  family: string;
  revision: number;
  /** Task-level CPU units and MiB (ECS answers them as strings), when set. */
  cpu?: string | undefined;
  memory?: string | undefined;
  networkMode?: string | undefined;
  containers: ContainerSummary[];
}

/** The changed fields between two specs, sorted by field. */
export function specDiff(from: EnvironmentSpec, to: EnvironmentSpec): FieldChange[] {
  return sorted(diffValues('', from, to));
}

/** The changed fields between two task definitions (containers by name), sorted by field. */
export function taskDefinitionDiff(from: TaskDefinitionSummary, to: TaskDefinitionSummary): FieldChange[] {
  const shape = (td: TaskDefinitionSummary) => ({
    cpu: td.cpu,
    memory: td.memory,
    networkMode: td.networkMode,
    containers: Object.fromEntries(td.containers.map(({ name, ...container }) => [name, defined(container)])),
  });
  return sorted(diffValues('', shape(from), shape(to)));
}

/** Without its undefined fields (a container added or removed shows whole). */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function diffValues(path: string, from: unknown, to: unknown): FieldChange[] {
  if (isRecord(from) && isRecord(to)) {
    const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
    return [...keys].flatMap((key) => diffValues(path ? `${path}.${key}` : key, from[key], to[key]));
  }
  const a = from ?? null;
  const b = to ?? null;
  return equal(a, b) ? [] : [{ field: path, from: a, to: b }];
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => equal(a[key] ?? null, b[key] ?? null));
  }
  return false;
}

function sorted(changes: FieldChange[]): FieldChange[] {
  return changes.sort((x, y) => (x.field < y.field ? -1 : x.field > y.field ? 1 : 0));
}
