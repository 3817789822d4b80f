/**
 * The `EventLog` port in memory, for the deterministic engine harness (thousands of simulated
 * deployments in seconds). Same contract as the DynamoDB adapter: an append is atomic and
 * conditional on the version it was decided against (ConcurrencyError otherwise). The storage
 * behaviour itself is tested on DynamoDB Local (test/functions/event-log.test.ts); this is only
 * the engine's test bed and the local stack never uses it.
 */
import type { EnvironmentState } from '../domain/environment';
import type { AppendRequest, EnvironmentListing, EventLog, IdempotencyRecord, RevisionRow, StoredEvent } from '../functions/ports';
import { ConcurrencyError } from '../functions/ports';

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryEventLog implements EventLog {
  private readonly projections = new Map<string, EnvironmentState>();
  private readonly logs = new Map<string, StoredEvent[]>();
  private readonly rows = new Map<string, Map<number, RevisionRow>>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  appends = 0;

  async load(environment: string): Promise<EnvironmentState | undefined> {
    const state = this.projections.get(environment);
    return state && clone(state);
  }

  async append(request: AppendRequest): Promise<void> {
    const current = this.projections.get(request.environment)?.version ?? 0;
    if (current !== request.expectedVersion || (request.idempotency && this.idempotency.has(request.idempotency.key))) {
      throw new ConcurrencyError(request.environment, request.expectedVersion);
    }
    this.appends++;
    const log = this.logs.get(request.environment) ?? [];
    request.events.forEach((event, i) => log.push({ sequence: request.expectedVersion + 1 + i, event: clone(event) }));
    this.logs.set(request.environment, log);
    this.projections.set(request.environment, clone(request.state));
    const rows = this.rows.get(request.environment) ?? new Map<number, RevisionRow>();
    for (const row of request.newRevisions) rows.set(row.revision, clone(row));
    for (const change of request.changedRevisions) {
      const row = rows.get(change.revision);
      if (row) rows.set(change.revision, { ...row, ...clone(change) });
    }
    this.rows.set(request.environment, rows);
    if (request.idempotency) this.idempotency.set(request.idempotency.key, clone(request.idempotency));
  }

  async readEvents(environment: string, fromSequence = 1): Promise<StoredEvent[]> {
    return clone((this.logs.get(environment) ?? []).filter((e) => e.sequence >= fromSequence));
  }

  async getRevision(environment: string, revision: number): Promise<RevisionRow | undefined> {
    const row = this.rows.get(environment)?.get(revision);
    return row && clone(row);
  }

  async listRevisions(environment: string): Promise<RevisionRow[]> {
    return clone([...(this.rows.get(environment)?.values() ?? [])].sort((a, b) => a.revision - b.revision));
  }

  async listEnvironments(options: { limit: number; nextToken?: string | undefined }): Promise<EnvironmentListing> {
    const names = [...this.projections.keys()].sort();
    const start = options.nextToken ? names.indexOf(options.nextToken) + 1 : 0;
    const page = names.slice(start, start + options.limit);
    const more = start + options.limit < names.length;
    return { environments: page.map((n) => clone(this.projections.get(n)!)), nextToken: more ? page.at(-1) : undefined };
  }

  async getIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const record = this.idempotency.get(key);
    return record && clone(record);
  }
}
