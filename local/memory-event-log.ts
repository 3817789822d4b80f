/**
 * The `EventLog` port in memory, for the deterministic engine harness (thousands of simulated
 * deployments in seconds). Same contract as the DynamoDB adapter, checked by the contract suite
 * (test/functions/event-log.contract.test.ts) that runs the same cases on both:
 * - an append is atomic and conditional on the version it was decided against (ConcurrencyError);
 * - it refuses what DynamoDB refuses, before writing anything: it builds the very TransactWriteItems
 *   request the DynamoDB adapter sends (`appendTransaction`) and checks it against DynamoDB's limits
 *   (`dynamodb-limits.ts`: 100 items, 400 KB an item, 4 MB a transaction), throwing the same
 *   StoreLimitError with DynamoDB's message;
 * - pages, tokens and the routing query answer as the adapter's do (the routing index holds what the
 *   projection items it builds carry).
 * The local stack never uses it.
 */
import { ValidationError } from '../domain/errors';
import type { EnvironmentEventType, EnvironmentState } from '../domain/environment';
import type { NativeItem } from '../functions/adapters/dynamodb-limits';
import { MAX_ITEM_BYTES, MESSAGES, itemSize, resultingItem, transactionViolation } from '../functions/adapters/dynamodb-limits';
import { DEPLOYING, SERVING, appendTransaction, byName, deployingPrefix, revisionAfter, revisionToken } from '../functions/adapters/event-log';
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
} from '../functions/ports';
import { ConcurrencyError, StoreLimitError } from '../functions/ports';

const clone = <T>(value: T): T => structuredClone(value);

/** The table name in the requests this log builds (it only sizes them). */
const TABLE = 'memory';

/** Only revision rows are ever patched (the others are put whole): their items are kept to size the patches. */
const PATCHED_ENTITY = 'revision';

const itemKey = (key: NativeItem) => `${String(key.pk)}\u0000${String(key.sk)}`;

export class MemoryEventLog implements EventLog {
  private readonly projections = new Map<string, EnvironmentState>();
  private readonly logs = new Map<string, StoredEvent[]>();
  private readonly rows = new Map<string, Map<number, RevisionRow>>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  /** The stored items of revision rows, as DynamoDB would hold them. */
  private readonly items = new Map<string, NativeItem>();
  /** The routing index (gsi2): what the projection items written carry, by environment (gsi2pk "deploying" or "serving"). */
  private readonly deploying = new Map<string, { gsi2pk: string; gsi2sk: string; cluster: string }>();
  /** The alarm index: alarm name → the environments watching it. */
  private readonly watching = new Map<string, Set<string>>();
  appends = 0;

  async load(environment: string): Promise<EnvironmentState | undefined> {
    const state = this.projections.get(environment);
    return state && clone(state);
  }

  async append(request: AppendRequest): Promise<void> {
    const { environment, expectedVersion } = request;
    if (request.events.length === 0) return;
    const { TransactItems: actions } = appendTransaction(TABLE, request);
    // DynamoDB validates the request before it runs it…
    const violation = transactionViolation(actions);
    if (violation) throw new StoreLimitError(environment, violation.limit, violation.message);
    // …then evaluates the conditions: the projection's version, new rows absent, changed rows present, the key unused.
    const current = this.projections.get(environment)?.version ?? 0;
    const rows = this.rows.get(environment) ?? new Map<number, RevisionRow>();
    const changed = request.changedRevisions.filter((row) => !request.newRevisions.some((n) => n.revision === row.revision));
    if (
      current !== expectedVersion ||
      (request.idempotency && this.idempotency.has(request.idempotency.key)) ||
      request.newRevisions.some((row) => rows.has(row.revision)) ||
      changed.some((row) => !rows.has(row.revision))
    ) {
      throw new ConcurrencyError(environment, expectedVersion);
    }
    // …and the size of the items its updates leave.
    const patched: Array<[string, NativeItem]> = [];
    let indexed: { gsi2pk: string; gsi2sk: string; cluster: string } | undefined;
    for (const action of actions) {
      if ('Put' in action) {
        const item = action.Put.Item;
        if (item.__edb_e__ === PATCHED_ENTITY) patched.push([itemKey(item), item]);
        if (item.__edb_e__ === 'environment' && (item.gsi2pk === DEPLOYING || item.gsi2pk === SERVING)) {
          indexed = { gsi2pk: String(item.gsi2pk), gsi2sk: String(item.gsi2sk), cluster: String(item.deployingOn) };
        }
        continue;
      }
      if ('Delete' in action) continue; // an alarm index entry (applied below)
      const key = itemKey(action.Update.Key);
      const item = resultingItem(this.items.get(key), action.Update);
      if (itemSize(item) > MAX_ITEM_BYTES) throw new StoreLimitError(environment, 'ItemSize', MESSAGES.updateTooLarge);
      patched.push([key, item]);
    }

    this.appends++;
    for (const [key, item] of patched) this.items.set(key, clone(item));
    const log = this.logs.get(environment) ?? [];
    request.events.forEach((event, i) => log.push({ sequence: expectedVersion + 1 + i, event: clone(event) }));
    this.logs.set(environment, log);
    this.projections.set(environment, clone(request.state));
    if (indexed) this.deploying.set(environment, indexed);
    else this.deploying.delete(environment);
    for (const row of request.newRevisions) rows.set(row.revision, clone(row));
    for (const change of changed) rows.set(change.revision, { ...rows.get(change.revision)!, ...clone(change) });
    this.rows.set(environment, rows);
    if (request.idempotency) this.idempotency.set(request.idempotency.key, clone(request.idempotency));
    for (const alarm of request.alarmWatch?.add ?? []) this.watching.set(alarm, new Set([...(this.watching.get(alarm) ?? []), environment]));
    for (const alarm of request.alarmWatch?.remove ?? []) this.watching.get(alarm)?.delete(environment);
  }

  async environmentsWatching(alarmName: string): Promise<string[]> {
    return [...(this.watching.get(alarmName) ?? [])].sort();
  }

  async readEvents(environment: string, fromSequence = 1, toSequence = Number.MAX_SAFE_INTEGER): Promise<StoredEvent[]> {
    return clone((this.logs.get(environment) ?? []).filter((e) => e.sequence >= fromSequence && e.sequence <= toSequence));
  }

  async readEventsBackward(
    environment: string,
    options: { types: readonly EnvironmentEventType[]; before?: number | undefined; limit?: number | undefined },
  ): Promise<BackwardEventPage> {
    const log = this.logs.get(environment) ?? [];
    const older = log.filter((e) => options.before === undefined || e.sequence < options.before).reverse();
    // As DynamoDB's Query: `limit` events read, then filtered; a page that stopped at its limit resumes
    // after its last read event (even when nothing older is left: then the next page is empty).
    const read = options.limit === undefined ? older : older.slice(0, options.limit);
    const types = new Set<string>(options.types);
    const events = clone(read.filter((e) => types.has(e.event.type)));
    return { events, before: options.limit !== undefined && read.length === options.limit ? read.at(-1)!.sequence : undefined };
  }

  async getRevision(environment: string, revision: number): Promise<RevisionRow | undefined> {
    const row = this.rows.get(environment)?.get(revision);
    return row && clone(row);
  }

  async listRevisions(environment: string): Promise<RevisionRow[]> {
    return clone([...(this.rows.get(environment)?.values() ?? [])].sort((a, b) => a.revision - b.revision));
  }

  async listRevisionPage(environment: string, options: { limit: number; nextToken?: string | undefined }): Promise<RevisionPage> {
    const after = options.nextToken === undefined ? 0 : revisionAfter(options.nextToken);
    const rest = (await this.listRevisions(environment)).filter((row) => row.revision > after);
    const revisions = rest.slice(0, options.limit);
    return { revisions, nextToken: rest.length > options.limit ? revisionToken(revisions.at(-1)!.revision) : undefined };
  }

  async listEnvironments(options: { limit: number; nextToken?: string | undefined }): Promise<EnvironmentListing> {
    const names = [...this.projections.keys()].sort();
    if (options.nextToken !== undefined && !this.projections.has(options.nextToken)) {
      throw new ValidationError('nextToken: not a token this API gave out', 'nextToken');
    }
    const start = options.nextToken ? names.indexOf(options.nextToken) + 1 : 0;
    const page = names.slice(start, start + options.limit);
    const more = start + options.limit < names.length;
    return { environments: page.map((n) => clone(this.projections.get(n)!)), nextToken: more ? page.at(-1) : undefined };
  }

  async getIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const record = this.idempotency.get(key);
    return record && clone(record);
  }

  async deployingEnvironments(
    query: { cluster?: undefined } | { cluster: string; startedBy?: string | undefined } = {},
  ): Promise<DeployingEnvironment[]> {
    return this.routed(DEPLOYING, query);
  }

  async servingEnvironments(query: { cluster?: undefined } | { cluster: string; startedBy?: string | undefined } = {}): Promise<DeployingEnvironment[]> {
    return this.routed(SERVING, query);
  }

  private routed(partition: string, query: { cluster?: undefined } | { cluster: string; startedBy?: string | undefined }): DeployingEnvironment[] {
    const prefix = query.cluster === undefined ? undefined : deployingPrefix(query.cluster, query.startedBy);
    const found: DeployingEnvironment[] = [];
    for (const [environment, { gsi2pk, gsi2sk, cluster }] of this.deploying) {
      if (gsi2pk === partition && (prefix === undefined || gsi2sk.startsWith(prefix))) found.push({ environment, cluster });
    }
    return byName(found);
  }
}

