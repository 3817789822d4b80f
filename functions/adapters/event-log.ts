/**
 * The `EventLog` port on DynamoDB, in electrodb's item format (the entities in
 * `electrodb-entities.ts`), with the document client's requests built here (see "Keys" below).
 *
 * An append is ONE TransactWriteItems, built by the pure `appendTransaction` in that item
 * format (the in-memory log sizes the very same request against DynamoDB's limits, `dynamodb-limits.ts`):
 *   - a conditional create per event on (environment, sequence): a second writer that decided on the
 *     same version collides on the same sequence number and the whole transaction is cancelled;
 *   - the projection item (live state + version), conditional on the version it was read at;
 *   - new revision rows (conditional create) and changed revision rows (status/counts only);
 *   - the idempotency record, if the command carried a key (conditional create).
 * A cancelled transaction whose reasons are condition failures becomes a typed `ConcurrencyError`;
 * a refusal for one of DynamoDB's limits (100 items, 400 KB an item, 4 MB a transaction) a typed
 * `StoreLimitError` carrying DynamoDB's message. Either way nothing is written.
 *
 * Reads: `load` is one GetItem of the projection, whatever the length of the log;
 * `listEnvironments` queries the `gsi1` index (all projections share one gsi1pk, sorted by name);
 * `listRevisionPage` one Query of the revision rows after the token's revision.
 *
 * Routing (which environments an ECS event or a tick concerns) reads `gsi2`, a sparse index of the
 * projections with a deployment in progress (`routingAttributes`): gsi2pk = "deploying", gsi2sk =
 * `${clusterName}#${startedBy}#${name}`, present only while `state.engine` is set; it projects
 * `environment` and `deployingOn` (the cluster's name). A tick reads all of it, a container-instance
 * event begins_with `${cluster}#`, a task event begins_with `${cluster}#${startedBy}#`. One index serves
 * the three (CloudFormation adds one index per stack update to an existing table); its entries are
 * small (keys, name, cluster) and change only when a deployment starts or ends. A Service environment
 * at rest whose service runs is in the same index under gsi2pk = "serving" (same gsi2sk, startedBy its
 * service's group): a tick and a task event of a service's group also read that partition
 * (`servingEnvironments`), container-instance events do not (ECS places a service's tasks itself).
 * Every projection also carries `startedBy`. A projection without it was written before this index
 * existed: it is indexed when it is next written (any append). Until then the tick finds it: the
 * query of every deploying environment also pages through gsi1 for such projections with a
 * deployment in progress (only their name and cluster are read back) and answers them as if they
 * were indexed, so a deployment in flight at the upgrade is reconciled within a tick, which indexes
 * it as soon as it records anything; ECS events reach it from then on. Once a pass finds none, this
 * instance stops looking (a deployment starts with an append, and every append since writes the
 * attributes): after the upgrade has settled, one pass per cold container, on its first tick.
 */
import type { DynamoDBDocumentClient, QueryCommandInput, QueryCommandOutput, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../domain/errors';
import type { EnvironmentEventType, EnvironmentState, RevisionSummary } from '../../domain/environment';
import { serviceGroupOf, startedByOf } from '../../domain/identity';
import { servingService } from '../../domain/environment';
import type { EnvironmentSpec } from '../../domain/spec';
import { encodeEvent } from '../../events/encoding';
import { clusterName } from '../engine/route';
import type {
  AppendRequest,
  BackwardEventPage,
  EnvironmentListing,
  EventLog,
  IdempotencyRecord,
  RevisionPage,
  RevisionRow,
  DeployingEnvironment,
  StoredEvent,
} from '../ports';
import { ConcurrencyError, StoreLimitError } from '../ports';
import type { TransactAction } from './dynamodb-limits';
import { limitOfMessage } from './dynamodb-limits';

/** How long a first answer is replayed for an Idempotency-Key. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** How the keys pad sequence and revision numbers (electrodb's `padding`). */
export const SEQUENCE_PADDING = { length: 12, char: '0' } as const;

/** The value of gsi2pk on every projection with a deployment in progress. */
export const DEPLOYING = 'deploying';

/**
 * The value of gsi2pk on a Service environment at rest whose service runs (`servingService`): its
 * tasks' events and the tick reach it, so a desired count Application Auto Scaling changed is recorded.
 */
export const SERVING = 'serving';

/** The gsi2sk prefix of the environments deploying on a cluster (and, given, whose tasks carry `startedBy`). */
export function deployingPrefix(cluster: string, startedBy?: string): string {
  return startedBy === undefined ? `${cluster}#` : `${cluster}#${startedBy}#`;
}

/**
 * The routing attributes of a projection item: `startedBy` always; while a deployment is in progress
 * the cluster's name (`deployingOn`) and the keys of the sparse `gsi2` index.
 */
export function routingAttributes(state: EnvironmentState) {
  // A Service deployment's tasks are ECS's (startedBy its task set): they are routed by their group.
  const serving = servingService(state);
  const startedBy = state.engine?.service ? serviceGroupOf(state.engine.service.name) : serving ? serviceGroupOf(serving.name) : startedByOf(state.name);
  const cluster = state.engine ? clusterName(state.engine.cluster) : serving ? clusterName(serving.cluster) : undefined;
  return {
    startedBy,
    ...(cluster === undefined ? {} : { deployingOn: cluster, gsi2pk: state.engine ? DEPLOYING : SERVING, gsi2sk: `${deployingPrefix(cluster, startedBy)}${state.name}` }),
  };
}


// ── Keys: electrodb's item format, read and written without electrodb ───────────────────────────

/*
 * Every item is in the format electrodb gives the entities of `electrodb-entities.ts`: its keys
 * (`$blox#environment_<name>`, …) and identity attributes (`__edb_e__`, `__edb_v__`). The adapter
 * builds its requests itself rather than through electrodb, whose entities cost ~50 ms to construct
 * (model validation) and whose module ~20 ms more to load, in every cold start of every function:
 * the requests are the ones electrodb's builders make (`.params()`), a read keeps an item only if
 * electrodb would (its identity is the entity's), and a listing's `nextToken` is electrodb's cursor
 * (base64url of the LastEvaluatedKey's JSON); test/functions/event-log-requests.test.ts checks them
 * against electrodb.
 */
const pad = (n: number) => String(n).padStart(SEQUENCE_PADDING.length, SEQUENCE_PADDING.char);
const MODEL_VERSION = '1';
const environmentPk = (environment: string) => `$blox#environment_${environment}`;
const PROJECTION_SK = '$environment_1';
const EVENT_SK = '$event_1#sequence_';
const REVISION_SK = '$revision_1#revision_';
const idempotencyPk = (key: string) => `$blox#key_${key}`;
const IDEMPOTENCY_SK = '$idempotency_1';
/** The `byName` index (gsi1): every projection under one partition, sorted by name. */
const BY_NAME_PK = '$blox';
const BY_NAME_SK = '$environment_1#environment_';
/**
 * The alarm index: one item per (alarm, environment watching it), under the alarm's partition, written
 * and removed in the append that changes what the environment watches (`alarmWatchChanges`); the
 * router reads one partition per alarm event.
 */
const alarmPk = (alarm: string) => `$blox#alarm_${alarm}`;
const WATCH_SK = '$watch_1#environment_';
type EntityName = 'event' | 'environment' | 'revision' | 'idempotency' | 'watch';
const identity = (entity: EntityName) => ({ __edb_e__: entity, __edb_v__: MODEL_VERSION });
/** Whether an item read back is one of `entity`'s (what electrodb keeps of a response). */
const isEntity = (item: Record<string, unknown>, entity: EntityName) => item.__edb_e__ === entity && item.__edb_v__ === MODEL_VERSION;

type Item = Record<string, unknown>;

/** The Query of every projection on `byName`, sorted by name (electrodb's `environment.query.byName({})`). */
function byNameQuery(table: string): QueryCommandInput {
  return {
    KeyConditionExpression: '#pk = :pk and begins_with(#sk1, :sk1)',
    TableName: table,
    ExpressionAttributeNames: { '#pk': 'gsi1pk', '#sk1': 'gsi1sk' },
    ExpressionAttributeValues: { ':pk': BY_NAME_PK, ':sk1': BY_NAME_SK },
    IndexName: 'gsi1',
  };
}

/** The Query of an environment's revision rows (electrodb's `revision.query.table`), after a revision if given. */
function revisionQuery(table: string, environment: string, after?: number): QueryCommandInput {
  return {
    TableName: table,
    ExpressionAttributeNames: { '#pk': 'pk', '#sk1': 'sk' },
    ExpressionAttributeValues: { ':pk': environmentPk(environment), ':sk1': after === undefined ? REVISION_SK : `${REVISION_SK}${pad(after)}` },
    KeyConditionExpression: after === undefined ? '#pk = :pk and begins_with(#sk1, :sk1)' : '#pk = :pk and #sk1 > :sk1',
  };
}

/**
 * The Query of a backward page of an environment's events (`readEventsBackward`): sequences below
 * `before`, newest first, the types filtered (after the read: a page may hold none of them).
 */
export function backwardEventQuery(
  table: string,
  environment: string,
  options: { types: readonly string[]; before?: number | undefined; limit?: number | undefined },
): QueryCommandInput {
  const types = Object.fromEntries(options.types.map((type, i) => [`:type${i}`, type]));
  const highest = options.before === undefined ? 10 ** SEQUENCE_PADDING.length - 1 : options.before - 1;
  return {
    TableName: table,
    ExpressionAttributeNames: { '#pk': 'pk', '#sk1': 'sk', '#type': 'type' },
    ExpressionAttributeValues: { ':pk': environmentPk(environment), ':from': `${EVENT_SK}${pad(0)}`, ':to': `${EVENT_SK}${pad(highest)}`, ...types },
    KeyConditionExpression: '#pk = :pk and #sk1 between :from and :to',
    FilterExpression: `#type IN (${Object.keys(types).join(', ')})`,
    ScanIndexForward: false,
    ...(options.limit === undefined ? {} : { Limit: options.limit }),
  };
}

/**
 * The key a listing page resumes after, from a `nextToken` (electrodb's cursor: base64url of the
 * LastEvaluatedKey's JSON); a ValidationError naming `nextToken` for anything else.
 */
function listingStartKey(token: string): Item {
  let keys: unknown;
  try {
    keys = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    keys = undefined;
  }
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw new ValidationError('nextToken: not a token this API gave out', 'nextToken');
  // The index's keys and the table's, as electrodb trims a cursor.
  const { gsi1pk, gsi1sk, pk, sk } = keys as Item;
  return { gsi1pk, gsi1sk, pk, sk };
}

/** The `nextToken` of a listing page that ended at `key`. */
function listingToken(key: Item): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export class DynamoEventLog implements EventLog {
  /** Set once a pass found no projection written before the routing indexes (see the module comment). */
  private everyProjectionIndexed = false;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async load(environment: string): Promise<EnvironmentState | undefined> {
    const item = await this.get(environmentPk(environment), PROJECTION_SK, 'environment');
    return item ? (item.state as EnvironmentState) : undefined;
  }

  async append(request: AppendRequest): Promise<void> {
    if (request.events.length === 0) return;
    try {
      await this.client.send(new TransactWriteCommand(appendTransaction(this.table, request) as TransactWriteCommandInput));
    } catch (error) {
      throw appendFailure(request, error);
    }
  }

  async readEvents(environment: string, fromSequence = 1, toSequence?: number): Promise<StoredEvent[]> {
    // The catalogue's schemas are built when its module loads: only here, not in every cold start
    // (no function reads the log back; bundled, the import is of a module in the same file).
    const { decodeEvent } = await import('../../events/catalogue');
    const items = await this.queryAll(
      {
        TableName: this.table,
        ExpressionAttributeNames: { '#pk': 'pk', '#sk1': 'sk' },
        ...(toSequence === undefined
          ? {
              ExpressionAttributeValues: { ':pk': environmentPk(environment), ':sk1': `${EVENT_SK}${pad(fromSequence)}` },
              KeyConditionExpression: '#pk = :pk and #sk1 >= :sk1',
            }
          : {
              ExpressionAttributeValues: { ':pk': environmentPk(environment), ':sk1': `${EVENT_SK}${pad(fromSequence)}`, ':sk2': `${EVENT_SK}${pad(toSequence)}` },
              KeyConditionExpression: '#pk = :pk and #sk1 BETWEEN :sk1 AND :sk2',
            }),
      },
      'event',
    );
    return items.map((item) => ({ sequence: item.sequence as number, event: decodeEvent(item.type as string, item.schemaVersion as number, item.data) }));
  }

  async readEventsBackward(
    environment: string,
    options: { types: readonly EnvironmentEventType[]; before?: number | undefined; limit?: number | undefined },
  ): Promise<BackwardEventPage> {
    const { decodeEvent } = await import('../../events/catalogue');
    const page = await this.client.send(new QueryCommand(backwardEventQuery(this.table, environment, options)));
    const events = (page.Items ?? [])
      .filter((item) => isEntity(item, 'event'))
      .map((item) => ({ sequence: item.sequence as number, event: decodeEvent(item.type as string, item.schemaVersion as number, item.data) }));
    const last = page.LastEvaluatedKey?.sk;
    return { events, before: typeof last === 'string' ? Number(last.slice(EVENT_SK.length)) : undefined };
  }

  async environmentsWatching(alarmName: string): Promise<string[]> {
    const items = await this.queryAll(
      {
        TableName: this.table,
        ExpressionAttributeNames: { '#pk': 'pk', '#sk1': 'sk' },
        ExpressionAttributeValues: { ':pk': alarmPk(alarmName), ':sk1': WATCH_SK },
        KeyConditionExpression: '#pk = :pk and begins_with(#sk1, :sk1)',
      },
      'watch',
    );
    return items.map((item) => String(item.environment)).sort();
  }

  async getRevision(environment: string, revision: number): Promise<RevisionRow | undefined> {
    const item = await this.get(environmentPk(environment), `${REVISION_SK}${pad(revision)}`, 'revision');
    return item ? toRow(item as unknown as RevisionItem) : undefined;
  }

  async listRevisions(environment: string): Promise<RevisionRow[]> {
    const items = await this.queryAll(revisionQuery(this.table, environment), 'revision');
    return items.map((item) => toRow(item as unknown as RevisionItem));
  }

  async listRevisionPage(environment: string, options: { limit: number; nextToken?: string | undefined }): Promise<RevisionPage> {
    const after = options.nextToken === undefined ? 0 : revisionAfter(options.nextToken);
    // One row more than asked for tells whether another page follows (no empty last page).
    const page = await this.client.send(new QueryCommand({ ...revisionQuery(this.table, environment, after), Limit: options.limit + 1 }));
    const data = (page.Items ?? []).filter((item) => isEntity(item, 'revision')) as unknown as RevisionItem[];
    const rows = data.slice(0, options.limit).map(toRow);
    return { revisions: rows, nextToken: data.length > options.limit ? revisionToken(rows.at(-1)!.revision) : undefined };
  }

  async listEnvironments(options: { limit: number; nextToken?: string | undefined }): Promise<EnvironmentListing> {
    const start = options.nextToken === undefined ? undefined : listingStartKey(options.nextToken);
    let page: QueryCommandOutput;
    try {
      page = await this.client.send(new QueryCommand({ ExclusiveStartKey: start, ...byNameQuery(this.table), Limit: options.limit }));
    } catch (error) {
      // DynamoDB refuses a start key that is not one of the index's.
      if (start !== undefined && error instanceof Error && error.name === 'ValidationException') {
        throw new ValidationError('nextToken: not a token this API gave out', 'nextToken');
      }
      throw error;
    }
    const data = (page.Items ?? []).filter((item) => isEntity(item, 'environment'));
    return { environments: data.map((item) => item.state as EnvironmentState), nextToken: page.LastEvaluatedKey ? listingToken(page.LastEvaluatedKey) : undefined };
  }

  async getIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const item = await this.get(idempotencyPk(key), IDEMPOTENCY_SK, 'idempotency');
    if (!item) return undefined;
    return { key: item.key as string, fingerprint: item.fingerprint as string, statusCode: item.statusCode as number, body: item.body };
  }

  async deployingEnvironments(
    query: { cluster?: undefined } | { cluster: string; startedBy?: string | undefined } = {},
  ): Promise<DeployingEnvironment[]> {
    const prefix = query.cluster === undefined ? undefined : deployingPrefix(query.cluster, query.startedBy);
    const indexed = await this.queryRouting(DEPLOYING, prefix);
    // Projections written before the index: found by the tick (see the module comment).
    const unindexed = prefix === undefined ? (await this.unindexedProjections()).filter((item) => item.gsi2pk === DEPLOYING) : [];
    return byName([...indexed, ...unindexed.map((item) => ({ environment: item.environment, cluster: item.deployingOn! }))]);
  }

  async servingEnvironments(query: { cluster?: undefined } | { cluster: string; startedBy?: string | undefined } = {}): Promise<DeployingEnvironment[]> {
    return byName(await this.queryRouting(SERVING, query.cluster === undefined ? undefined : deployingPrefix(query.cluster, query.startedBy)));
  }

  /** Every entry of one partition of the routing index (gsi2), those whose sort key begins with `prefix` if given. */
  private async queryRouting(partition: string, prefix: string | undefined): Promise<DeployingEnvironment[]> {
    const indexed: DeployingEnvironment[] = [];
    let ExclusiveStartKey: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi2',
          KeyConditionExpression: prefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'gsi2pk', ...(prefix === undefined ? {} : { '#sk': 'gsi2sk' }) },
          ExpressionAttributeValues: { ':pk': partition, ...(prefix === undefined ? {} : { ':prefix': prefix }) },
          ExclusiveStartKey,
        }),
      );
      for (const item of (page.Items ?? []) as Array<{ environment: string; deployingOn: string }>) {
        indexed.push({ environment: item.environment, cluster: item.deployingOn });
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return indexed;
  }

  /** One item by its keys (a consistent read), if it is one of `entity`'s. */
  private async get(pk: string, sk: string, entity: EntityName): Promise<Item | undefined> {
    const { Item: item } = await this.client.send(new GetCommand({ Key: { pk, sk }, TableName: this.table, ConsistentRead: true }));
    return item && isEntity(item, entity) ? item : undefined;
  }

  /** Every page of a Query, the items that are `entity`'s. */
  private async queryAll(input: QueryCommandInput, entity: EntityName): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.client.send(new QueryCommand({ ExclusiveStartKey, ...input }));
      for (const item of page.Items ?? []) if (isEntity(item, entity)) items.push(item);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  /**
   * Projections written before the routing index existed (no startedBy) that have a deployment in
   * progress, with the routing attributes they will have once rewritten. A pass through gsi1 (filtered,
   * only the name and cluster read back) per query, until a pass finds none: from then on every
   * deployment starts with a write that carries the attributes.
   */
  private async unindexedProjections(): Promise<Array<{ environment: string } & ReturnType<typeof routingAttributes>>> {
    if (this.everyProjectionIndexed) return [];
    const listing = byNameQuery(this.table);
    const found: Array<{ environment: string } & ReturnType<typeof routingAttributes>> = [];
    let ExclusiveStartKey: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.client.send(
        new QueryCommand({
          ...listing,
          FilterExpression: 'attribute_not_exists(#startedBy) AND attribute_exists(#state.#engine)',
          ProjectionExpression: '#environment, #state.#engine.#cluster',
          ExpressionAttributeNames: {
            ...listing.ExpressionAttributeNames,
            '#startedBy': 'startedBy',
            '#state': 'state',
            '#engine': 'engine',
            '#cluster': 'cluster',
            '#environment': 'environment',
          },
          ExclusiveStartKey,
        }),
      );
      for (const item of (page.Items ?? []) as Array<{ environment: string; state: Pick<EnvironmentState, 'engine'> }>) {
        found.push({ environment: item.environment, ...routingAttributes({ ...item.state, name: item.environment } as EnvironmentState) });
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    if (found.length === 0) this.everyProjectionIndexed = true;
    return found;
  }
}

/** By name, each once (DynamoDB returns them by cluster and startedBy). */
export function byName(entries: DeployingEnvironment[]): DeployingEnvironment[] {
  return [...new Map(entries.map((e) => [e.environment, e])).values()].sort((a, b) =>
    a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0,
  );
}

// ── Revision page tokens: opaque to callers, "after revision N" to the stores ───────────────────

const REVISION_TOKEN = /^after:([1-9][0-9]{0,11})$/;

/** The token of a page that ends at `revision`. */
export function revisionToken(revision: number): string {
  return Buffer.from(`after:${revision}`, 'utf8').toString('base64url');
}

/** The revision a page token ends at; a ValidationError naming `nextToken` for anything else. */
export function revisionAfter(token: string): number {
  const match = /^[A-Za-z0-9_-]{1,40}$/.test(token) ? REVISION_TOKEN.exec(Buffer.from(token, 'base64url').toString('utf8')) : null;
  if (!match) throw new ValidationError('nextToken: not a token this API gave out', 'nextToken');
  return Number(match[1]);
}

// ── The append, as one TransactWriteItems request ─────────────────────────────────────────────

/*
 * The items are built here rather than by electrodb's write builders (about 0.1–0.4 ms an item: too
 * slow for the in-memory log, which sizes every append of thousands of simulated deployments): the
 * same attributes, keys and identity attributes electrodb writes and reads back, which a test checks
 * against electrodb's own builders.
 */
const CREATE = {
  ConditionExpression: 'attribute_not_exists(#pk) AND attribute_not_exists(#sk)',
  ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
};

type RevisionPatch = Pick<RevisionSummary, 'status' | 'health' | 'statusReason' | 'desired' | 'current' | 'updatedAt'>;

/** A changed revision row: SET its status and counts (and the identity electrodb's patch sets), REMOVE a cleared health or reason. */
function revisionPatch(table: string, environment: string, revision: number, row: RevisionPatch): TransactAction {
  const set: Record<string, unknown> = {
    status: row.status,
    desired: row.desired,
    current: row.current,
    updatedAt: row.updatedAt,
    ...(row.health ? { health: row.health } : {}),
    ...(row.statusReason ? { statusReason: row.statusReason } : {}),
    environment,
    revision,
    ...identity('revision'),
  };
  const removed = [...(row.health ? [] : ['health']), ...(row.statusReason ? [] : ['statusReason'])];
  const names: Record<string, string> = { '#pk': 'pk', '#sk': 'sk' };
  const values: Record<string, unknown> = {};
  const actions = Object.entries(set).map(([name, value]) => {
    names[`#${name}`] = name;
    values[`:${name}_u0`] = value;
    return `#${name} = :${name}_u0`;
  });
  for (const name of removed) names[`#${name}`] = name;
  return {
    Update: {
      TableName: table,
      Key: { pk: environmentPk(environment), sk: `${REVISION_SK}${pad(revision)}` },
      UpdateExpression: `SET ${actions.join(', ')}${removed.length > 0 ? ` REMOVE ${removed.map((n) => `#${n}`).join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ConditionExpression: 'attribute_exists(#pk) AND attribute_exists(#sk)',
    },
  };
}

/**
 * The TransactWriteItems request of an append (pure: builds, sends nothing), in the document
 * client's shapes. Both stores use it: DynamoDB gets it, the in-memory log checks it against
 * DynamoDB's limits. Items: one per event, the projection, each new revision row, a patch of each
 * changed one, the idempotency record.
 */
export function appendTransaction(table: string, request: AppendRequest): { TransactItems: TransactAction[] } {
  const { environment, expectedVersion, events, state } = request;
  const pk = environmentPk(environment);
  const items: TransactAction[] = events.map((event, i) => {
    const sequence = expectedVersion + 1 + i;
    const item = { environment, sequence, ...encodeEvent(event), recordedAt: state.updatedAt, pk, sk: `${EVENT_SK}${pad(sequence)}`, ...identity('event') };
    return { Put: { TableName: table, Item: item, ...CREATE } };
  });
  const projection = {
    environment,
    version: state.version,
    state,
    updatedAt: state.updatedAt,
    ...routingAttributes(state),
    pk,
    sk: PROJECTION_SK,
    gsi1pk: BY_NAME_PK,
    gsi1sk: `${BY_NAME_SK}${environment}`,
    ...identity('environment'),
  };
  items.push(
    expectedVersion === 0
      ? { Put: { TableName: table, Item: projection, ...CREATE } }
      : {
          Put: {
            TableName: table,
            Item: projection,
            ConditionExpression: '#version = :version0',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version0': expectedVersion },
          },
        },
  );
  for (const row of request.newRevisions) {
    const item = { environment, ...rowItem(row), pk, sk: `${REVISION_SK}${pad(row.revision)}`, ...identity('revision') };
    items.push({ Put: { TableName: table, Item: item, ...CREATE } });
  }
  for (const row of request.changedRevisions) {
    if (!request.newRevisions.some((n) => n.revision === row.revision)) items.push(revisionPatch(table, environment, row.revision, row));
  }
  for (const alarm of request.alarmWatch?.add ?? []) {
    items.push({ Put: { TableName: table, Item: { alarm, environment, pk: alarmPk(alarm), sk: `${WATCH_SK}${environment}`, ...identity('watch') } } });
  }
  for (const alarm of request.alarmWatch?.remove ?? []) {
    items.push({ Delete: { TableName: table, Key: { pk: alarmPk(alarm), sk: `${WATCH_SK}${environment}` } } });
  }
  if (request.idempotency) {
    const { key, fingerprint, statusCode, body } = request.idempotency;
    const item = {
      key,
      fingerprint,
      statusCode,
      body,
      environment,
      expiresAt: Math.floor(Date.parse(state.updatedAt) / 1000) + IDEMPOTENCY_TTL_SECONDS,
      pk: idempotencyPk(key),
      sk: IDEMPOTENCY_SK,
      ...identity('idempotency'),
    };
    items.push({ Put: { TableName: table, Item: item, ...CREATE } });
  }
  return { TransactItems: items };
}

interface CancellationReason {
  Code?: string | undefined;
  Message?: string | undefined;
}

/** What a refused TransactWriteItems means for the caller. */
function appendFailure(request: AppendRequest, error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { environment, expectedVersion } = request;
  if (error.name === 'TransactionCanceledException') {
    const reasons = ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []);
    const codes = reasons.map((r) => r.Code ?? 'None');
    // A condition failed (another writer appended first), or DynamoDB saw two transactions on the
    // same items at once: either way, this writer lost the race.
    if (codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) {
      return new ConcurrencyError(environment, expectedVersion);
    }
    // An update that would leave an item over 400 KB is refused when the transaction runs.
    for (const reason of reasons) {
      const limit = reason.Code === 'ValidationError' && reason.Message ? limitOfMessage(reason.Message) : undefined;
      if (limit) return new StoreLimitError(environment, limit, reason.Message!);
    }
    return new Error(`append to "${environment}" was cancelled: ${codes.join(', ')}`, { cause: error });
  }
  if (error.name === 'ValidationException') {
    const limit = limitOfMessage(error.message);
    if (limit) return new StoreLimitError(environment, limit, error.message);
  }
  return error;
}

interface RevisionItem {
  revision: number;
  status: string;
  health?: string | undefined;
  statusReason?: string | undefined;
  desired: number;
  current: number;
  spec: unknown;
  basedOn?: number | undefined;
  createdAt: string;
  updatedAt: string;
}

function toRow(item: RevisionItem): RevisionRow {
  return {
    revision: item.revision,
    status: item.status as RevisionSummary['status'],
    health: item.health as RevisionSummary['health'],
    statusReason: item.statusReason,
    desired: item.desired,
    current: item.current,
    spec: item.spec as EnvironmentSpec,
    basedOn: item.basedOn,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

function rowItem(row: RevisionRow) {
  return {
    revision: row.revision,
    status: row.status,
    ...(row.health ? { health: row.health } : {}),
    ...(row.statusReason ? { statusReason: row.statusReason } : {}),
    desired: row.desired,
    current: row.current,
    spec: row.spec,
    ...(row.basedOn !== undefined ? { basedOn: row.basedOn } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
