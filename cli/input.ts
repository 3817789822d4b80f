/**
 * Command-line input: spec files (`--yaml-file FILE|-`, `--json-file FILE|-`) and the update body.
 *
 * A spec file is sent as written (YAML as `application/yaml`), so the API reports its errors against
 * what the user wrote. Only `update-environment` looks inside it: to find the environment name when
 * `--environment` is not given, and to merge `--revision` and field flags onto it, in which case the
 * merged body goes as JSON.
 */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { rawDocument, type DocumentContentType, type RawDocument, type SpecObject } from './client';

/** A command-line mistake: reported as `blox: <message>`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface InputStreams {
  stdin: Readable;
  /** Whether stdin is a terminal (then a bare `--yaml-file` is refused instead of waiting for typing). */
  stdinIsTTY: boolean;
}

/**
 * Reads a spec file. `source` is the option's value: a path, `-` for standard input, or `true` for the
 * option given without a value (the walkthrough's `--yaml-file <<EOF`), which also reads standard input.
 */
export async function readDocument(
  option: '--yaml-file' | '--json-file',
  source: string | true,
  io: InputStreams,
): Promise<RawDocument> {
  const contentType: DocumentContentType = option === '--yaml-file' ? 'application/yaml' : 'application/json';
  if (source === true || source === '-') {
    if (source === true && io.stdinIsTTY) {
      throw new UsageError(`${option} needs a file name, or - to read standard input`);
    }
    return rawDocument(contentType, await readStream(io.stdin));
  }
  if (source === '') throw new UsageError(`${option} needs a file name, or - to read standard input`);
  try {
    return rawDocument(contentType, await readFile(source, 'utf8'));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UsageError(`${option} ${source}: ${reason}`);
  }
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The field flags of `update-environment`, already parsed. */
export interface UpdateFlags {
  revision?: number;
  taskDefinition?: string;
  instanceGroupQuery?: string;
  desiredCount?: number;
  minHealthyPercent?: number;
  method?: string;
  maxOver?: number | string;
  stuckAfterSeconds?: number;
  failingAfterSeconds?: number;
}

/** The update body's spec fields from the flags (without `Revision`). */
export function flagFields(flags: UpdateFlags): SpecObject {
  const fields: SpecObject = {};
  if (flags.taskDefinition !== undefined) fields.TaskDefinition = flags.taskDefinition;
  if (flags.instanceGroupQuery !== undefined) fields.InstanceGroup = { Query: flags.instanceGroupQuery };
  if (flags.desiredCount !== undefined) fields.DesiredCount = flags.desiredCount;
  const configuration: SpecObject = {};
  if (flags.method !== undefined) configuration.Method = flags.method;
  if (flags.minHealthyPercent !== undefined) configuration.MinHealthyPercent = flags.minHealthyPercent;
  if (flags.maxOver !== undefined) configuration.MaxOver = flags.maxOver;
  if (flags.stuckAfterSeconds !== undefined) configuration.StuckAfterSeconds = flags.stuckAfterSeconds;
  if (flags.failingAfterSeconds !== undefined) configuration.FailingAfterSeconds = flags.failingAfterSeconds;
  if (Object.keys(configuration).length > 0) fields.DeploymentConfiguration = configuration;
  return fields;
}

function isPlainObject(value: unknown): value is SpecObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A parsed spec file: the mapping, or undefined when it does not parse as one (the API will say why). */
export async function parseDocument(document: RawDocument): Promise<SpecObject | undefined> {
  try {
    if (document.contentType === 'application/json') {
      const value: unknown = JSON.parse(document.raw);
      return isPlainObject(value) ? value : undefined;
    }
    const { parseDocument: parseYaml } = await import('yaml');
    const parsed = parseYaml(document.raw);
    if (parsed.errors.length > 0) return undefined;
    const value: unknown = parsed.toJS();
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface UpdateRequest {
  name: string;
  body: RawDocument | SpecObject;
}

/**
 * The `update-environment` request:
 * - flags only: `{ Revision, …fields }` (JSON); `--revision` is required, and at least one field;
 * - a spec file only: the file as written (a whole spec, which replaces the latest revision);
 * - a spec file plus `--revision` and/or flags: the file's mapping with `Revision` and the flag
 *   fields merged on top (`DeploymentConfiguration` merged key by key), as JSON.
 * The name comes from `--environment`, else from the file's `Name`.
 */
export async function buildUpdateRequest(options: {
  environment?: string;
  document?: RawDocument;
  flags: UpdateFlags;
}): Promise<UpdateRequest> {
  const { document, flags } = options;
  const fields = flagFields(flags);
  const parsed = document ? await parseDocument(document) : undefined;

  const name = options.environment ?? (typeof parsed?.Name === 'string' ? parsed.Name : undefined);
  if (name === undefined || name === '') {
    throw new UsageError(
      document
        ? 'update-environment: give --environment NAME (the spec file has no Name)'
        : "required option '--environment <name>' not specified",
    );
  }

  if (!document) {
    if (flags.revision === undefined) {
      throw new UsageError(
        'update-environment: give --revision N (the revision your change is based on), or --yaml-file with the whole spec',
      );
    }
    if (Object.keys(fields).length === 0) {
      throw new UsageError(
        'update-environment: nothing to change (give --task-definition, --instance-group-query, --desired-count, --method, --min-healthy-percent, --max-over, --stuck-after-seconds, --failing-after-seconds or --yaml-file)',
      );
    }
    return { name, body: { Revision: flags.revision, ...fields } };
  }

  if (flags.revision === undefined && Object.keys(fields).length === 0) return { name, body: document };
  // Not a mapping (or not parsable): send it as written, so the API reports what is wrong with it.
  if (!parsed) return { name, body: document };

  const body: SpecObject = { ...parsed, ...fields };
  if (isPlainObject(parsed.DeploymentConfiguration) && isPlainObject(fields.DeploymentConfiguration)) {
    body.DeploymentConfiguration = { ...parsed.DeploymentConfiguration, ...fields.DeploymentConfiguration };
  }
  if (flags.revision !== undefined) body.Revision = flags.revision;
  return { name, body };
}
