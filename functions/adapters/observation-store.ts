/**
 * Where the engine keeps its picture of the cluster between reconciles (domain/rollout/observation.ts):
 * items of the revision log's table, written by the reconciler — which runs one at a time per
 * environment (the FIFO reconcile queue) — and read at the start of every reconcile.
 *
 * - **Encoding** (`encodeObservation`): columnar JSON, gzipped. Tasks name their instance by its index
 *   in the instance list; ARNs share long prefixes, which gzip takes out. About 40 B an instance and
 *   60 B a task: 10,000 instances with 20,000 tasks (old and new) come to about 1.3 MB.
 * - **Items**: `pk = observation#<environment>`; a head (`sk = head`: generation, parts, bytes) and
 *   the gzipped picture cut into parts of at most `PART_BYTES` (`sk = part#<n>`, binary), each within
 *   DynamoDB's 400 KB item limit.
 * - **Writes** (`observationTransaction`): one TransactWriteItems, on condition that the stored
 *   generation is the one loaded (two writers never interleave), of one of two kinds:
 *   - **a delta** (`sk = delta#<generation>`, gzipped: the sightings a reconcile changed, the ones
 *     gone, and the picture's few scalars) and the head. A reconcile changes a few dozen sightings,
 *     so it writes a few hundred bytes, not the whole picture (at 10,000 instances about 1 MB, a
 *     thousand write units, every reconcile);
 *   - **the whole picture**, cut into parts, the head, and the deletes of the parts and deltas it
 *     replaces — when the caller has no picture to diff against (`base`), after `MAX_DELTAS` deltas,
 *     when a delta is over `MAX_DELTA_BYTES` (a full look changes everything), or when the deltas
 *     together grow past the picture itself (a load never reads more than about twice the picture).
 *   So a picture is replaced whole or not at all. Within DynamoDB's 100 items and 4 MB a transaction:
 *   at most `MAX_PARTS` parts, about 3.5 MB gzipped; a larger picture is refused with
 *   `ObservationTooLargeError` before anything is sent.
 * - **Reads**: one strongly consistent Query of the partition (paged by 1 MB): the parts of the head's
 *   `base` generation, then every delta after it in order — or, for a caller that still holds the
 *   picture of a generation (`CachedObservationStore`, one per Lambda container), a GetItem of the
 *   head alone when that generation is still the stored one.
 *
 * The in-memory twin (local/memory-observation-store.ts) takes the same transaction and refuses what
 * DynamoDB refuses (test/functions/observation-store.contract.test.ts runs on both).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { applyDelta, observationDelta } from '../../domain/rollout';
import type { InstanceSighting, Observation, ObservationDelta, TaskSighting } from '../../domain/rollout';
import type { ObservationHead, ObservationStore, StoredObservation } from '../ports';
import { ObservationConflictError } from '../ports';
import { MAX_TRANSACTION_BYTES, MAX_TRANSACTION_ITEMS } from './dynamodb-limits';
import type { ExpressionParts, TransactAction } from './dynamodb-limits';

/** The gzipped picture is cut into parts of this many bytes (an item: the part, its key, a few bytes more). */
export const PART_BYTES = 380_000;
/** Deltas written after a whole picture before the next whole picture. */
export const MAX_DELTAS = 32;
/** A delta larger than this (gzipped) is written as a whole picture instead. */
export const MAX_DELTA_BYTES = 100_000;
/**
 * Parts a transaction can write with the head and the deletes of the parts and deltas it replaces
 * (at most MAX_PARTS + 1 + MAX_DELTAS items), within 4 MB with room for keys.
 */
export const MAX_PARTS = Math.min(MAX_TRANSACTION_ITEMS - 1 - MAX_DELTAS, Math.floor((MAX_TRANSACTION_BYTES - 64 * 1024) / PART_BYTES));

export const observationKey = (environment: string) => `observation#${environment}`;
const partKey = (n: number) => `part#${String(n).padStart(3, '0')}`;
const deltaKey = (generation: number) => `delta#${String(generation).padStart(12, '0')}`;
const HEAD = 'head';

/** The picture does not fit one transaction. */
export class ObservationTooLargeError extends Error {
  constructor(
    readonly environment: string,
    readonly bytes: number,
  ) {
    super(`the picture of ${environment}'s cluster is ${bytes} B gzipped: more than ${MAX_PARTS} parts of ${PART_BYTES} B (one DynamoDB transaction)`);
    this.name = 'ObservationTooLargeError';
  }
}

// ── Encoding ─────────────────────────────────────────────────────────────────────────────────────

const STATUSES = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const;
const HEALTH = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY'] as const;
const INSTANCE_STATUSES = ['ACTIVE', 'DRAINING', 'OUT', 'INACTIVE'] as const;

/** The picture's scalars, in a whole picture and in a delta alike. */
interface EncodedScalars {
  v: 1;
  d: string;
  q: string | null;
  l: number;
  h: number;
  r: boolean;
  u: string[];
}

interface Encoded extends EncodedScalars {
  /** Instance ARNs, then their statuses (indexes in INSTANCE_STATUSES) and versions. */
  i: string[];
  is: number[];
  iv: number[];
  /** Tasks: [arn, instance (index or ARN), revision, action key ('' none), lastStatus, desired (0 RUNNING, 1 STOPPED), health, version, stopCode, stoppedReason, stoppedAt] */
  t: TaskRow[];
}

type TaskRow = [string, number | string, number, string, number, number, number, number, string?, string?, number?];

/** A delta (ObservationDelta): the scalars as in Encoded; instances [arn, status, version]; tasks as rows naming their instance by ARN. */
interface EncodedDelta extends EncodedScalars {
  i: Array<[string, number, number]>;
  ig: string[];
  t: TaskRow[];
  tg: string[];
}

function taskRow(t: TaskSighting, index?: Map<string, number>): TaskRow {
  const row: TaskRow = [
    t.arn,
    index?.get(t.instanceArn) ?? t.instanceArn,
    t.revision,
    t.actionKey ?? '',
    STATUSES.indexOf(t.lastStatus),
    t.desiredStatus === 'STOPPED' ? 1 : 0,
    HEALTH.indexOf(t.health),
    t.version,
  ];
  if (t.stopCode !== undefined || t.stoppedReason !== undefined || t.stoppedAt !== undefined) row.push(t.stopCode ?? '', t.stoppedReason ?? '', t.stoppedAt ?? 0);
  return row;
}

function taskFromRow([arn, instance, revision, actionKey, lastStatus, desired, health, version, stopCode, stoppedReason, stoppedAt]: TaskRow, instanceArns: readonly string[]): TaskSighting {
  const task: TaskSighting = {
    arn,
    instanceArn: typeof instance === 'number' ? instanceArns[instance]! : instance,
    revision,
    actionKey: actionKey === '' ? undefined : actionKey,
    lastStatus: STATUSES[lastStatus]!,
    desiredStatus: desired === 1 ? 'STOPPED' : 'RUNNING',
    health: HEALTH[health]!,
    version,
  };
  if (stopCode) task.stopCode = stopCode;
  if (stoppedReason) task.stoppedReason = stoppedReason;
  if (stoppedAt) task.stoppedAt = stoppedAt;
  return task;
}

const instanceSighting = (status: number, version: number): InstanceSighting => ({ status: INSTANCE_STATUSES[status]!, version });

export function encodeObservation(observation: Observation): Buffer {
  const instanceArns = [...observation.instances.keys()];
  const index = new Map(instanceArns.map((arn, n) => [arn, n]));
  const encoded: Encoded = {
    v: 1,
    d: observation.deploymentId,
    q: observation.query ?? null,
    l: observation.lookedAt,
    h: observation.healthLookedAt,
    r: observation.relist,
    u: [...observation.toLookUp],
    i: instanceArns,
    is: instanceArns.map((arn) => INSTANCE_STATUSES.indexOf(observation.instances.get(arn)!.status)),
    iv: instanceArns.map((arn) => observation.instances.get(arn)!.version),
    t: [...observation.tasks.values()].map((t) => taskRow(t, index)),
  };
  // Level 1: a few per cent larger than the default 6, three times faster (the reconciler saves often).
  return gzipSync(JSON.stringify(encoded), { level: 1 });
}

export function decodeObservation(bytes: Uint8Array): Observation {
  const encoded = JSON.parse(gunzipSync(bytes).toString('utf8')) as Encoded;
  if (encoded.v !== 1) throw new Error(`unknown observation encoding ${String(encoded.v)}`);
  const tasks = new Map<string, TaskSighting>();
  for (const row of encoded.t) tasks.set(row[0], taskFromRow(row, encoded.i));
  return {
    deploymentId: encoded.d,
    query: encoded.q ?? undefined,
    lookedAt: encoded.l,
    healthLookedAt: encoded.h,
    relist: encoded.r,
    toLookUp: new Set(encoded.u),
    instances: new Map(encoded.i.map((arn, n) => [arn, instanceSighting(encoded.is[n]!, encoded.iv[n]!)])),
    tasks,
  };
}

export function encodeDelta(delta: ObservationDelta): Buffer {
  const encoded: EncodedDelta = {
    v: 1,
    d: delta.deploymentId,
    q: delta.query ?? null,
    l: delta.lookedAt,
    h: delta.healthLookedAt,
    r: delta.relist,
    u: delta.toLookUp,
    i: delta.instances.map(([arn, i]) => [arn, INSTANCE_STATUSES.indexOf(i.status), i.version]),
    ig: delta.instancesGone,
    t: delta.tasks.map((t) => taskRow(t)),
    tg: delta.tasksGone,
  };
  return gzipSync(JSON.stringify(encoded), { level: 1 });
}

export function decodeDelta(bytes: Uint8Array): ObservationDelta {
  const encoded = JSON.parse(gunzipSync(bytes).toString('utf8')) as EncodedDelta;
  if (encoded.v !== 1) throw new Error(`unknown observation delta encoding ${String(encoded.v)}`);
  return {
    deploymentId: encoded.d,
    query: encoded.q ?? undefined,
    lookedAt: encoded.l,
    healthLookedAt: encoded.h,
    relist: encoded.r,
    toLookUp: encoded.u,
    instances: encoded.i.map(([arn, status, version]) => [arn, instanceSighting(status, version)]),
    instancesGone: encoded.ig,
    tasks: encoded.t.map((row) => taskFromRow(row, [])),
    tasksGone: encoded.tg,
  };
}

// ── Items ────────────────────────────────────────────────────────────────────────────────────────

const condition = (previous: ObservationHead | undefined): ExpressionParts =>
  previous
    ? { ConditionExpression: '#g = :g', ExpressionAttributeNames: { '#g': 'generation' }, ExpressionAttributeValues: { ':g': previous.generation } }
    : { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } };

/**
 * The one transaction that saves a picture, on condition that the stored head is `previous`: a
 * delta from `base` (the picture `previous` holds) and the head, or the whole picture — parts, head,
 * and the deletes of the parts and deltas no longer used. Throws ObservationTooLargeError when the
 * whole picture cannot fit.
 */
export function observationTransaction(
  table: string,
  environment: string,
  observation: Observation,
  previous: ObservationHead | undefined,
  base?: Observation,
): { TransactItems: TransactAction[]; head: ObservationHead } {
  const pk = observationKey(environment);
  const generation = (previous?.generation ?? 0) + 1;
  if (previous && base && previous.deltas < MAX_DELTAS) {
    const data = encodeDelta(observationDelta(base, observation));
    const deltaBytes = previous.deltaBytes + data.byteLength;
    if (data.byteLength <= MAX_DELTA_BYTES && deltaBytes <= Math.max(previous.bytes, MAX_DELTA_BYTES)) {
      const head: ObservationHead = { ...previous, generation, deltas: previous.deltas + 1, deltaBytes };
      return {
        TransactItems: [
          { Put: { TableName: table, Item: { pk, sk: deltaKey(generation), generation, data } } },
          { Put: { TableName: table, Item: { pk, sk: HEAD, ...head }, ...condition(previous) } },
        ],
        head,
      };
    }
  }
  const bytes = encodeObservation(observation);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength || parts.length === 0; at += PART_BYTES) parts.push(bytes.subarray(at, at + PART_BYTES));
  if (parts.length > MAX_PARTS) throw new ObservationTooLargeError(environment, bytes.byteLength);
  const head: ObservationHead = { generation, base: generation, parts: parts.length, bytes: bytes.byteLength, deltas: 0, deltaBytes: 0 };
  const items: TransactAction[] = parts.map((data, n) => ({ Put: { TableName: table, Item: { pk, sk: partKey(n), generation, data } } }));
  items.push({ Put: { TableName: table, Item: { pk, sk: HEAD, ...head }, ...condition(previous) } });
  for (let n = parts.length; n < (previous?.parts ?? 0); n++) items.push({ Delete: { TableName: table, Key: { pk, sk: partKey(n) } } });
  if (previous) for (let g = previous.base + 1; g <= previous.generation; g++) items.push({ Delete: { TableName: table, Key: { pk, sk: deltaKey(g) } } });
  return { TransactItems: items, head };
}

/** The head as stored (a head written before deltas existed: its parts are its own generation's). */
function headOf(item: Record<string, unknown>): ObservationHead {
  const generation = Number(item.generation);
  return {
    generation,
    base: item.base === undefined ? generation : Number(item.base),
    parts: Number(item.parts),
    bytes: Number(item.bytes),
    deltas: Number(item.deltas ?? 0),
    deltaBytes: Number(item.deltaBytes ?? 0),
  };
}

/** The picture from the items of its partition, or undefined when there is none (or it is torn). */
export function observationFromItems(items: ReadonlyArray<Record<string, unknown>>): StoredObservation | undefined {
  const bySk = new Map(items.map((item) => [String(item.sk), item]));
  const stored = bySk.get(HEAD);
  if (!stored) return undefined;
  const head = headOf(stored);
  const parts: Uint8Array[] = [];
  for (let n = 0; n < head.parts; n++) {
    const part = bySk.get(partKey(n));
    // A part of another generation: a torn picture cannot be (the transaction), but never plan on one.
    if (!part || Number(part.generation) !== head.base) return { observation: undefined, head };
    parts.push(part.data as Uint8Array);
  }
  const bytes = Buffer.concat(parts);
  if (bytes.byteLength !== head.bytes) return { observation: undefined, head };
  let observation = decodeObservation(bytes);
  for (let g = head.base + 1; g <= head.generation; g++) {
    const delta = bySk.get(deltaKey(g));
    if (!delta) return { observation: undefined, head };
    observation = applyDelta(observation, decodeDelta(delta.data as Uint8Array));
  }
  return { observation, head };
}

// ── The adapter ──────────────────────────────────────────────────────────────────────────────────

export class DynamoObservationStore implements ObservationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async load(environment: string, known?: ObservationHead): Promise<StoredObservation | undefined> {
    if (known) {
      const { Item: head } = await this.client.send(
        new GetCommand({ TableName: this.table, Key: { pk: observationKey(environment), sk: HEAD }, ConsistentRead: true }),
      );
      if (head && Number(head.generation) === known.generation) return { observation: undefined, head: known, unchanged: true };
    }
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': observationKey(environment) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return observationFromItems(items);
  }

  async save(environment: string, observation: Observation, previous: ObservationHead | undefined, base?: Observation): Promise<ObservationHead> {
    const { TransactItems, head } = observationTransaction(this.table, environment, observation, previous, base);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: TransactItems as never }));
    } catch (error) {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
      if ((error as Error).name === 'TransactionCanceledException' && reasons?.some((r) => r.Code === 'ConditionalCheckFailed')) {
        throw new ObservationConflictError(environment);
      }
      throw error;
    }
    return head;
  }
}

/**
 * The pictures this process saved or loaded last (a Lambda container keeps them between
 * invocations): a load whose stored generation is the one held reads only the head. The picture
 * handed out is never changed by the engine (`fold` makes a new one).
 */
export class CachedObservationStore implements ObservationStore {
  private readonly held = new Map<string, { head: ObservationHead; observation: Observation }>();

  constructor(
    private readonly inner: ObservationStore,
    private readonly capacity = 20,
  ) {}

  async load(environment: string): Promise<StoredObservation | undefined> {
    const held = this.held.get(environment);
    const stored = await this.inner.load(environment, held?.head);
    if (stored?.unchanged && held) return { head: held.head, observation: held.observation };
    if (stored?.observation) this.hold(environment, stored.head, stored.observation);
    else this.held.delete(environment);
    return stored;
  }

  /** Saves a delta from the picture held, when the caller gives no base and the held one is `previous`'s. */
  async save(environment: string, observation: Observation, previous: ObservationHead | undefined, base?: Observation): Promise<ObservationHead> {
    const held = this.held.get(environment);
    const from = base ?? (held && previous && held.head.generation === previous.generation ? held.observation : undefined);
    try {
      const head = await this.inner.save(environment, observation, previous, from);
      this.hold(environment, head, observation);
      return head;
    } catch (error) {
      this.held.delete(environment);
      throw error;
    }
  }

  private hold(environment: string, head: ObservationHead, observation: Observation): void {
    this.held.delete(environment);
    this.held.set(environment, { head, observation });
    if (this.held.size > this.capacity) this.held.delete(this.held.keys().next().value!);
  }
}
