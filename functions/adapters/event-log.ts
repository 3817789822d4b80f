/**
 * The `EventLog` port on DynamoDB, through electrodb (which stays behind this file).
 *
 * An append is ONE TransactWriteItems:
 *   - a conditional create per event on (environment, sequence): a second writer that decided on the
 *     same version collides on the same sequence number and the whole transaction is cancelled;
 *   - the projection item (live state + version), conditional on the version it was read at;
 *   - new revision rows (conditional create) and changed revision rows (status/counts only);
 *   - the idempotency record, if the command carried a key (conditional create).
 * A cancelled transaction whose reasons are condition failures becomes a typed `ConcurrencyError`.
 *
 * Reads: `load` is one GetItem of the projection, whatever the length of the log;
 * `listEnvironments` queries the `gsi1` index (all projections share one gsi1pk, sorted by name).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ElectroError, Entity, Service } from 'electrodb';
import { ValidationError } from '../../domain/errors';
import type { EnvironmentState, RevisionSummary } from '../../domain/environment';
import type { EnvironmentSpec } from '../../domain/spec';
import { decodeEvent, encodeEvent } from '../../events/catalogue';
import type { AppendRequest, EnvironmentListing, EventLog, IdempotencyRecord, RevisionRow, StoredEvent } from '../ports';
import { ConcurrencyError } from '../ports';

/** How long a first answer is replayed for an Idempotency-Key. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

const SEQUENCE_PADDING = { length: 12, char: '0' };

function entities(client: DynamoDBDocumentClient, table: string) {
  const config = { client, table };
  const event = new Entity(
    {
      model: { entity: 'event', version: '1', service: 'blox' },
      attributes: {
        environment: { type: 'string', required: true, readOnly: true },
        sequence: { type: 'number', required: true, readOnly: true, padding: SEQUENCE_PADDING },
        type: { type: 'string', required: true },
        schemaVersion: { type: 'number', required: true },
        data: { type: 'any', required: true },
        recordedAt: { type: 'string', required: true },
      },
      indexes: {
        log: {
          pk: { field: 'pk', composite: ['environment'], casing: 'none' },
          sk: { field: 'sk', composite: ['sequence'], casing: 'none' },
        },
      },
    },
    config,
  );
  const environment = new Entity(
    {
      model: { entity: 'environment', version: '1', service: 'blox' },
      attributes: {
        environment: { type: 'string', required: true, readOnly: true },
        version: { type: 'number', required: true },
        state: { type: 'any', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        projection: {
          pk: { field: 'pk', composite: ['environment'], casing: 'none' },
          sk: { field: 'sk', composite: [], casing: 'none' },
        },
        byName: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: [], casing: 'none' },
          sk: { field: 'gsi1sk', composite: ['environment'], casing: 'none' },
        },
      },
    },
    config,
  );
  const revision = new Entity(
    {
      model: { entity: 'revision', version: '1', service: 'blox' },
      attributes: {
        environment: { type: 'string', required: true, readOnly: true },
        revision: { type: 'number', required: true, readOnly: true, padding: SEQUENCE_PADDING },
        status: { type: 'string', required: true },
        health: { type: 'string' },
        statusReason: { type: 'string' },
        desired: { type: 'number', required: true },
        current: { type: 'number', required: true },
        spec: { type: 'any', required: true },
        basedOn: { type: 'number' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        table: {
          pk: { field: 'pk', composite: ['environment'], casing: 'none' },
          sk: { field: 'sk', composite: ['revision'], casing: 'none' },
        },
      },
    },
    config,
  );
  const idempotency = new Entity(
    {
      model: { entity: 'idempotency', version: '1', service: 'blox' },
      attributes: {
        key: { type: 'string', required: true, readOnly: true },
        fingerprint: { type: 'string', required: true },
        statusCode: { type: 'number', required: true },
        body: { type: 'any', required: true },
        environment: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        record: {
          pk: { field: 'pk', composite: ['key'], casing: 'none' },
          sk: { field: 'sk', composite: [], casing: 'none' },
        },
      },
    },
    config,
  );
  return new Service({ event, environment, revision, idempotency }, config);
}

export class DynamoEventLog implements EventLog {
  private readonly service: ReturnType<typeof entities>;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.service = entities(client, table);
  }

  async load(environment: string): Promise<EnvironmentState | undefined> {
    const { data } = await this.service.entities.environment.get({ environment }).go({ consistent: true });
    return data ? (data.state as EnvironmentState) : undefined;
  }

  async append(request: AppendRequest): Promise<void> {
    const { environment, expectedVersion, events, state } = request;
    if (events.length === 0) return;
    const recordedAt = state.updatedAt;
    const result = await this.service.transaction
      .write(({ event, environment: projection, revision, idempotency }) => [
        ...events.map((e, i) =>
          event.create({ environment, sequence: expectedVersion + 1 + i, recordedAt, ...encodeEvent(e) }).commit(),
        ),
        expectedVersion === 0
          ? projection.create({ environment, version: state.version, state, updatedAt: state.updatedAt }).commit()
          : projection
              .put({ environment, version: state.version, state, updatedAt: state.updatedAt })
              .where((attr, { eq }) => eq(attr.version, expectedVersion))
              .commit(),
        ...request.newRevisions.map((row) => revision.create({ environment, ...rowItem(row) }).commit()),
        ...request.changedRevisions
          .filter((row) => !request.newRevisions.some((n) => n.revision === row.revision))
          .map((row) => {
            const set = { status: row.status, desired: row.desired, current: row.current, updatedAt: row.updatedAt };
            const removed = [...(row.health ? [] : ['health' as const]), ...(row.statusReason ? [] : ['statusReason' as const])];
            let update = revision.patch({ environment, revision: row.revision }).set({
              ...set,
              ...(row.health ? { health: row.health } : {}),
              ...(row.statusReason ? { statusReason: row.statusReason } : {}),
            });
            if (removed.length > 0) update = update.remove(removed);
            return update.commit();
          }),
        ...(request.idempotency
          ? [
              idempotency
                .create({
                  ...request.idempotency,
                  body: request.idempotency.body as object,
                  environment,
                  expiresAt: Math.floor(Date.parse(state.updatedAt) / 1000) + IDEMPOTENCY_TTL_SECONDS,
                })
                .commit(),
            ]
          : []),
      ])
      .go();
    if (result.canceled) {
      const reasons = (result.data as unknown as Array<{ code?: string }>).map((d) => d.code ?? "None");
      // A condition failed (another writer appended first), or DynamoDB saw two transactions on the
      // same items at once: either way, this writer lost the race.
      if (reasons.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) {
        throw new ConcurrencyError(environment, expectedVersion);
      }
      throw new Error(`append to "${environment}" was cancelled: ${reasons.join(', ')}`);
    }
  }

  async readEvents(environment: string, fromSequence = 1): Promise<StoredEvent[]> {
    const { data } = await this.service.entities.event.query
      .log({ environment })
      .gte({ sequence: fromSequence })
      .go({ pages: 'all' });
    return data.map((item) => ({ sequence: item.sequence, event: decodeEvent(item.type, item.schemaVersion, item.data) }));
  }

  async getRevision(environment: string, revision: number): Promise<RevisionRow | undefined> {
    const { data } = await this.service.entities.revision.get({ environment, revision }).go({ consistent: true });
    return data ? toRow(data) : undefined;
  }

  async listRevisions(environment: string): Promise<RevisionRow[]> {
    const { data } = await this.service.entities.revision.query.table({ environment }).go({ pages: 'all' });
    return data.map(toRow);
  }

  async listEnvironments(options: { limit: number; nextToken?: string | undefined }): Promise<EnvironmentListing> {
    const query = this.service.entities.environment.query.byName({});
    let page: Awaited<ReturnType<typeof query.go>>;
    try {
      page = await query.go({ limit: options.limit, cursor: options.nextToken ?? null });
    } catch (error) {
      if (options.nextToken !== undefined && error instanceof ElectroError) {
        throw new ValidationError('nextToken: not a token this API gave out', 'nextToken');
      }
      throw error;
    }
    const { data, cursor } = page;
    return { environments: data.map((item) => item.state as EnvironmentState), nextToken: cursor ?? undefined };
  }

  async getIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const { data } = await this.service.entities.idempotency.get({ key }).go({ consistent: true });
    if (!data) return undefined;
    return { key: data.key, fingerprint: data.fingerprint, statusCode: data.statusCode, body: data.body };
  }
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
