/**
 * The environment spec: what runs, where, and how a rollout is controlled.
 *
 * The spec is stored *as given* (numbers normalised, no defaults filled in), so that a partial
 * update merges onto what the user wrote; defaults are applied when a deployment starts
 * (`effectiveDeploymentConfiguration`).
 *
 * Worked example — the walkthrough's environment:
 *
 * ```yaml
 * Name: "SomeEnvironment/Prod"
 * TaskDefinition: "log-daemon:1"
 * Cluster: "default"
 * InstanceGroup:
 *   Query: "attribute:stack == prod"
 * DeploymentType: Daemon
 * DeploymentConfiguration:
 *   Method: "Replace"
 *   MinHealthyPercent: "100"      # numeric strings are accepted and stored as numbers
 * ```
 * parses to `{ …, DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100 } }` and its
 * effective configuration is `{ Method: 'Replace', MinHealthyPercent: 100, MaxOver: 1,
 * StuckAfterSeconds: 300, FailingAfterSeconds: 900 }`.
 *
 * `{ DeploymentType: 'Daemon', DesiredCount: 3, … }` is refused with
 * `DesiredCount: only allowed when DeploymentType is Service`; `{ …, Foo: 1 }` with
 * `Foo: unknown field`; `MinHealthyPercent: "lots"` with
 * `DeploymentConfiguration.MinHealthyPercent: expected an integer from 0 to 100 (a number or a numeric string)`.
 */
import { z } from 'zod';
import { ValidationError } from './errors';
import { formatQueryError, parseQuery } from './query';

export const ENVIRONMENT_NAME_PATTERN = /^[A-Za-z0-9_/.-]{1,255}$/;
const FAMILY = '[A-Za-z0-9_-]{1,255}';
const TASK_DEFINITION_PATTERN = new RegExp(
  `^(?:${FAMILY}:[1-9][0-9]{0,9}|arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/${FAMILY}:[1-9][0-9]{0,9})$`,
);
const CLUSTER_PATTERN = /^(?:[A-Za-z0-9_-]{1,255}|arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:ecs:[a-z0-9-]+:[0-9]{12}:cluster\/[A-Za-z0-9_-]{1,255})$/;
export const MAX_QUERY_LENGTH = 2048;

export const DAEMON_METHODS = ['Replace', 'Surge'] as const;
export const SERVICE_METHODS = ['Rolling', 'Canary', 'BlueGreen'] as const;
export type DeploymentMethod = (typeof DAEMON_METHODS)[number] | (typeof SERVICE_METHODS)[number];

/** An integer field that accepts numbers and numeric strings ("100"), as the walkthrough writes them. */
function integer(min: number, max: number) {
  const expected = `expected an integer from ${min} to ${max} (a number or a numeric string)`;
  return z
    .union([z.number().int().min(min).max(max), z.string().regex(/^\s*-?[0-9]{1,12}\s*$/)], { error: expected })
    .transform((value) => Number(value))
    .pipe(z.number().int().min(min, { error: expected }).max(max, { error: expected }));
}

/** `MaxOver`: a count of extra copies (`2`, `"2"`) or a percentage of the target (`"20%"`). */
const maxOver = z
  .union([z.number().int().min(1).max(100000), z.string().regex(/^\s*(?:[0-9]{1,6}|[0-9]{1,3}%)\s*$/)], {
    error: 'expected a count of at least 1 or a percentage like "20%"',
  })
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const trimmed = value.trim();
    if (trimmed.endsWith('%')) {
      const percent = Number(trimmed.slice(0, -1));
      if (percent < 1 || percent > 100) {
        ctx.addIssue({ code: 'custom', message: 'expected a percentage from 1% to 100%' });
        return z.NEVER;
      }
      return `${percent}%` as const;
    }
    const count = Number(trimmed);
    if (count < 1) {
      ctx.addIssue({ code: 'custom', message: 'expected a count of at least 1 or a percentage like "20%"' });
      return z.NEVER;
    }
    return count;
  });

const deploymentConfiguration = z.strictObject({
  Method: z.enum([...DAEMON_METHODS, ...SERVICE_METHODS], {
    error: `expected one of ${[...DAEMON_METHODS, ...SERVICE_METHODS].join(', ')}`,
  }).optional(),
  MinHealthyPercent: integer(0, 100).optional(),
  MaxOver: maxOver.optional(),
  StuckAfterSeconds: integer(1, 604800).optional(),
  FailingAfterSeconds: integer(1, 604800).optional(),
});

const query = z
  .string({ error: 'expected a string in the ECS cluster query language' })
  .max(MAX_QUERY_LENGTH, { error: `expected at most ${MAX_QUERY_LENGTH} characters` })
  .superRefine((source, ctx) => {
    const parsed = parseQuery(source);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: formatQueryError(source, parsed.error) });
  });

/** Every top-level field and its schema; the full spec and the partial update share them. */
const fields = {
  Name: z.string({ error: 'expected a string' }).regex(ENVIRONMENT_NAME_PATTERN, {
    error: 'expected 1 to 255 characters from A-Z a-z 0-9 _ / - .',
  }),
  TaskDefinition: z.string({ error: 'expected a string' }).regex(TASK_DEFINITION_PATTERN, {
    error: 'expected "family:revision" (e.g. "log-daemon:1") or a task definition ARN',
  }),
  Cluster: z.string({ error: 'expected a string' }).regex(CLUSTER_PATTERN, {
    error: 'expected a cluster name (A-Z a-z 0-9 _ -, up to 255) or a cluster ARN',
  }),
  DeploymentType: z.enum(['Daemon', 'Service'], { error: 'expected "Daemon" or "Service"' }),
  InstanceGroup: z.strictObject({ Query: query }),
  DesiredCount: integer(0, 10000),
  DeploymentConfiguration: deploymentConfiguration,
  RollbackConfiguration: deploymentConfiguration,
};

const specObject = z.strictObject({
  Name: fields.Name,
  TaskDefinition: fields.TaskDefinition,
  Cluster: fields.Cluster.optional(),
  DeploymentType: fields.DeploymentType,
  InstanceGroup: fields.InstanceGroup.optional(),
  DesiredCount: fields.DesiredCount.optional(),
  DeploymentConfiguration: fields.DeploymentConfiguration.optional(),
  RollbackConfiguration: fields.RollbackConfiguration.optional(),
});

/** Rules that span fields: what each DeploymentType allows. */
function checkTypeRules(spec: z.output<typeof specObject>, ctx: z.RefinementCtx): void {
  const methods: readonly string[] = spec.DeploymentType === 'Daemon' ? DAEMON_METHODS : SERVICE_METHODS;
  for (const key of ['DeploymentConfiguration', 'RollbackConfiguration'] as const) {
    const method = spec[key]?.Method;
    if (method !== undefined && !methods.includes(method)) {
      ctx.addIssue({
        code: 'custom',
        path: [key, 'Method'],
        message: `expected one of ${methods.join(', ')} for a ${spec.DeploymentType} environment`,
      });
    }
  }
  if (spec.DeploymentType === 'Daemon' && spec.DesiredCount !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['DesiredCount'], message: 'only allowed when DeploymentType is Service (a Daemon runs one task per instance)' });
  }
  if (spec.DeploymentType === 'Service' && spec.DesiredCount === undefined) {
    ctx.addIssue({ code: 'custom', path: ['DesiredCount'], message: 'is required when DeploymentType is Service' });
  }
}

export const environmentSpecSchema = specObject.superRefine(checkTypeRules);

/** A partial update: any field of the spec; nested configurations merge key by key onto the base. */
export const specPatchSchema = z.strictObject({
  Name: fields.Name.optional(),
  TaskDefinition: fields.TaskDefinition.optional(),
  Cluster: fields.Cluster.optional(),
  DeploymentType: fields.DeploymentType.optional(),
  InstanceGroup: fields.InstanceGroup.optional(),
  DesiredCount: fields.DesiredCount.optional(),
  DeploymentConfiguration: fields.DeploymentConfiguration.optional(),
  RollbackConfiguration: fields.RollbackConfiguration.optional(),
});

export type EnvironmentSpec = z.output<typeof environmentSpecSchema>;
export type EnvironmentSpecInput = z.input<typeof environmentSpecSchema>;
export type SpecPatch = z.output<typeof specPatchSchema>;
export type DeploymentConfiguration = z.output<typeof deploymentConfiguration>;

/** The fields a whole spec must give; an update that gives all of them replaces the spec. */
export const REQUIRED_SPEC_FIELDS = ['Name', 'TaskDefinition', 'DeploymentType'] as const;

export interface EffectiveDeploymentConfiguration {
  Method: DeploymentMethod;
  MinHealthyPercent: number;
  MaxOver: number | `${number}%`;
  StuckAfterSeconds: number;
  FailingAfterSeconds: number;
}

export const DEFAULT_STUCK_AFTER_SECONDS = 300;
export const DEFAULT_FAILING_AFTER_SECONDS = 900;

/**
 * The configuration a deployment runs with: the spec's values over the defaults, and for a rollback
 * the `RollbackConfiguration` over that.
 *
 * Defaults: Daemon → `Replace` at MinHealthyPercent 50 (half the fleet keeps its daemon); `Surge` at
 * MinHealthyPercent 100 with MaxOver 1; Service → `Rolling` at 100. Stuck after 300 s, Failing 900 s
 * after that.
 *
 * effectiveDeploymentConfiguration({ DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Surge' }, … })
 *   → { Method: 'Surge', MinHealthyPercent: 100, MaxOver: 1, StuckAfterSeconds: 300, FailingAfterSeconds: 900 }
 */
export function effectiveDeploymentConfiguration(
  spec: Pick<EnvironmentSpec, 'DeploymentType' | 'DeploymentConfiguration'>,
  rollback?: DeploymentConfiguration,
): EffectiveDeploymentConfiguration {
  const given = { ...spec.DeploymentConfiguration, ...rollback };
  const method: DeploymentMethod = given.Method ?? (spec.DeploymentType === 'Daemon' ? 'Replace' : 'Rolling');
  return {
    Method: method,
    MinHealthyPercent: given.MinHealthyPercent ?? (method === 'Replace' ? 50 : 100),
    MaxOver: given.MaxOver ?? 1,
    StuckAfterSeconds: given.StuckAfterSeconds ?? DEFAULT_STUCK_AFTER_SECONDS,
    FailingAfterSeconds: given.FailingAfterSeconds ?? DEFAULT_FAILING_AFTER_SECONDS,
  };
}

/** Turns zod issues into one message that names every offending field (dotted path) and what was expected. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): { field: string; message: string } {
  const parts: string[] = [];
  let firstField = '';
  for (const issue of issues.slice(0, 5)) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    let field = base;
    let text: string;
    if (issue.code === 'unrecognized_keys') {
      field = [base, issue.keys[0]].filter(Boolean).join('.');
      text = issue.keys.length === 1 ? 'unknown field' : `unknown fields (${issue.keys.join(', ')})`;
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      text = 'is required';
    } else if (issue.code === 'invalid_type' && issue.expected === 'object') {
      text = `expected an object, got ${describeValue(issue.input)}`;
    } else if (issue.code === 'invalid_union' && issue.path.length === 0 && prefix === '') {
      text = issue.message;
    } else {
      text = issue.message;
    }
    if (!firstField) firstField = field;
    parts.push(field ? `${field}: ${text}` : text);
  }
  if (issues.length > 5) parts.push(`and ${issues.length - 5} more`);
  return { field: firstField, message: parts.join('; ') };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? 'a string' : `${typeof value}`;
}

function failOn(issues: readonly z.core.$ZodIssue[], prefix = ''): never {
  const { field, message } = describeIssues(issues, prefix);
  throw new ValidationError(message, field || undefined);
}

function requireObject(input: unknown, what: string): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError(`${what}: expected an object (a YAML or JSON mapping), got ${describeValue(input)}`);
  }
  return input as Record<string, unknown>;
}

/** Parses a whole environment spec, or throws a `ValidationError` naming the field. */
export function parseEnvironmentSpec(input: unknown): EnvironmentSpec {
  requireObject(input, 'environment spec');
  const result = environmentSpecSchema.safeParse(input, { reportInput: true });
  if (!result.success) failOn(result.error.issues);
  return result.data;
}

/** Parses the fields of a partial update, or throws a `ValidationError` naming the field. */
export function parseSpecPatch(input: unknown): SpecPatch {
  requireObject(input, 'update');
  const result = specPatchSchema.safeParse(input, { reportInput: true });
  if (!result.success) failOn(result.error.issues);
  return result.data;
}

/** True when a patch gives every field a whole spec needs, so it replaces the spec instead of merging. */
export function isWholeSpec(patch: SpecPatch): boolean {
  return REQUIRED_SPEC_FIELDS.every((field) => patch[field] !== undefined);
}

/**
 * Applies a partial update to the spec it is based on. Nested objects merge one level deep, so
 * `{ DeploymentConfiguration: { MinHealthyPercent: 80 } }` keeps the base's `Method`.
 *
 * mergeSpec({ Name: 'A', TaskDefinition: 'd:1', DeploymentType: 'Daemon' }, { TaskDefinition: 'd:2' })
 *   → { Name: 'A', TaskDefinition: 'd:2', DeploymentType: 'Daemon' }
 */
export function mergeSpec(base: EnvironmentSpec, patch: SpecPatch): EnvironmentSpec {
  if (patch.Name !== undefined && patch.Name !== base.Name) {
    throw new ValidationError(`Name: cannot be changed by an update (the environment is "${base.Name}")`, 'Name');
  }
  if (patch.DeploymentType !== undefined && patch.DeploymentType !== base.DeploymentType) {
    throw new ValidationError(
      `DeploymentType: cannot change from ${base.DeploymentType} to ${patch.DeploymentType}; create a new environment`,
      'DeploymentType',
    );
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] =
      typeof value === 'object' && value !== null && typeof current === 'object' && current !== null
        ? { ...current, ...value }
        : value;
  }
  const result = environmentSpecSchema.safeParse(merged, { reportInput: true });
  if (!result.success) failOn(result.error.issues);
  return result.data;
}

/** The JSON Schema of the spec as users write it (numbers or numeric strings), for editors. */
export function environmentSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(specObject, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
