/**
 * The DynamoDB EventLog builds its read requests itself, in electrodb's item format, without
 * electrodb (whose entities cost ~50 ms of every cold start to construct; see event-log.ts). Here
 * every read is held to what electrodb made of it: on one table on DynamoDB Local, each read of the
 * adapter and the same read through the entities of electrodb-entities.ts (as the adapter made it
 * before) send the same requests and answer the same, items of another entity in the partition
 * included; a listing's tokens are electrodb's cursors, either way round.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentCommand, EnvironmentState } from '../../domain/environment';
import type { EnvironmentSpec } from '../../domain/spec';
import { decodeEvent } from '../../events/catalogue';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { entities } from '../../functions/adapters/electrodb-entities';
import { DynamoEventLog } from '../../functions/adapters/event-log';
import { runCommand } from '../../functions/commands';
import { freshTable } from '../support/store';

const spec = (name: string): EnvironmentSpec => ({
  Name: name,
  TaskDefinition: 'web:1',
  DeploymentType: 'Daemon',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/blue',
});
let clock = Date.parse('2026-11-21T10:00:00.000Z');
const at = () => new Date((clock += 1000)).toISOString();

/** A document client that records the input of every command it sends. */
function recording(client: DynamoDBDocumentClient) {
  const sent: Array<{ command: string; input: unknown }> = [];
  const wrapper = {
    send: (command: { constructor: { name: string }; input: unknown }) => {
      sent.push({ command: command.constructor.name, input: structuredClone(command.input) });
      return client.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client: wrapper, sent };
}

/** The reads as the adapter made them through electrodb (the same calls and mapping). */
function electrodbReads(service: ReturnType<typeof entities>) {
  const row = (item: Record<string, unknown>) => ({
    revision: item.revision,
    status: item.status,
    health: item.health,
    statusReason: item.statusReason,
    desired: item.desired,
    current: item.current,
    spec: item.spec,
    basedOn: item.basedOn,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  });
  return {
    load: async (environment: string) => (await service.entities.environment.get({ environment }).go({ consistent: true })).data?.state,
    readEvents: async (environment: string, fromSequence = 1) =>
      (await service.entities.event.query.log({ environment }).gte({ sequence: fromSequence }).go({ pages: 'all' })).data.map((item) => ({
        sequence: item.sequence,
        event: decodeEvent(item.type, item.schemaVersion, item.data),
      })),
    readEventRange: async (environment: string, fromSequence: number, toSequence: number) =>
      (await service.entities.event.query.log({ environment }).between({ sequence: fromSequence }, { sequence: toSequence }).go({ pages: 'all' })).data.map((item) => ({
        sequence: item.sequence,
        event: decodeEvent(item.type, item.schemaVersion, item.data),
      })),
    getRevision: async (environment: string, revision: number) => {
      const { data } = await service.entities.revision.get({ environment, revision }).go({ consistent: true });
      return data ? row(data) : undefined;
    },
    listRevisions: async (environment: string) => (await service.entities.revision.query.table({ environment }).go({ pages: 'all' })).data.map(row),
    revisionPage: async (environment: string, after: number, limit: number) =>
      (await service.entities.revision.query.table({ environment }).gt({ revision: after }).go({ limit })).data.map(row),
    listEnvironments: async (limit: number, cursor?: string) => {
      const { data, cursor: next } = await service.entities.environment.query.byName({}).go({ limit, cursor: cursor ?? null });
      return { environments: data.map((item) => item.state), nextToken: next ?? undefined };
    },
    getIdempotencyRecord: async (key: string) => {
      const { data } = await service.entities.idempotency.get({ key }).go({ consistent: true });
      return data ? { key: data.key, fingerprint: data.fingerprint, statusCode: data.statusCode, body: data.body } : undefined;
    },
  };
}

describe('DynamoEventLog reads, against electrodb', () => {
  let ours: ReturnType<typeof recording>;
  let theirs: ReturnType<typeof recording>;
  let log: DynamoEventLog;
  let electro: ReturnType<typeof electrodbReads>;
  let table: string;
  const names = ['b/Two', 'a/One', 'B/two', 'c.three', 'd_four'];

  beforeAll(async () => {
    const { tableName, endpoint } = await freshTable();
    table = tableName;
    const documents = createDocumentClient(endpoint);
    const writer = new DynamoEventLog(documents, tableName);
    const run = (environment: string, command: EnvironmentCommand, idempotency?: { key: string; fingerprint: string }) =>
      runCommand(writer, { environment, command, reply: () => ({ statusCode: 201, body: { ok: environment } }), idempotency });
    for (const name of names) {
      await run(name, { type: 'CreateEnvironment', spec: spec(name), at: at() });
      await run(name, { type: 'UpdateEnvironment', name, baseRevision: 1, patch: { TaskDefinition: 'web:2' }, at: at() });
      await run(name, { type: 'UpdateEnvironment', name, baseRevision: 2, patch: { TaskDefinition: 'web:3' }, at: at() }, { key: `key-${name}`, fingerprint: 'f'.repeat(64) });
      await run(name, { type: 'DeployRevision', name, revision: 3, at: at() });
    }
    // Items in a's partition that are no entity's of these: electrodb leaves them out, so must the adapter.
    for (const [sk, entity, version] of [
      ['$event_1#sequence_000000000002x', 'stranger', '1'],
      ['$revision_1#revision_000000000002x', 'revision', '2'],
      ['$zzz', 'event', '2'],
    ]) {
      await documents.send(new PutCommand({ TableName: tableName, Item: { pk: '$blox#environment_a/One', sk, __edb_e__: entity, __edb_v__: version, sequence: 99, revision: 99 } }));
    }
    ours = recording(documents);
    theirs = recording(documents);
    log = new DynamoEventLog(ours.client, tableName);
    electro = electrodbReads(entities(tableName, theirs.client));
  });

  /** Runs the same read both ways: the same requests, the same answer. */
  async function same<T>(mine: () => Promise<T>, electrodb: () => Promise<unknown>): Promise<T> {
    ours.sent.length = 0;
    theirs.sent.length = 0;
    const [a, b] = [await mine(), await electrodb()];
    expect(ours.sent).toEqual(theirs.sent);
    expect(ours.sent.length).toBeGreaterThan(0);
    expect(a).toEqual(b);
    return a;
  }

  it('load, getRevision, getIdempotencyRecord: the same GetItem; nothing for an item that is not there', async () => {
    for (const name of [...names, 'none']) {
      const state = await same(() => log.load(name), () => electro.load(name));
      expect(state === undefined).toBe(name === 'none');
      for (const revision of [1, 3, 4]) await same(() => log.getRevision(name, revision), () => electro.getRevision(name, revision));
      await same(() => log.getIdempotencyRecord(`key-${name}`), () => electro.getIdempotencyRecord(`key-${name}`));
    }
    expect(await log.getIdempotencyRecord('key-a/One')).toEqual({ key: 'key-a/One', fingerprint: 'f'.repeat(64), statusCode: 201, body: { ok: 'a/One' } });
  });

  it("readEvents (from a sequence on, and between two) and listRevisions: the same Query; the partition's other items left out", async () => {
    for (const name of [...names, 'none']) {
      for (const from of [1, 2, 4, 9]) {
        const events = await same(() => log.readEvents(name, from), () => electro.readEvents(name, from));
        if (name !== 'none' && from === 1) expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
      }
      for (const [from, to] of [[1, 5], [2, 4], [4, 9], [6, 8]] as const) {
        const events = await same(() => log.readEvents(name, from, to), () => electro.readEventRange(name, from, to));
        if (name !== 'none') expect(events.map((e) => e.sequence)).toEqual({ 1: [1, 2, 3, 4, 5], 2: [2, 3, 4], 4: [4, 5], 6: [] }[from]);
      }
      const rows = await same(() => log.listRevisions(name), () => electro.listRevisions(name));
      expect(rows.map((r) => r.revision)).toEqual(name === 'none' ? [] : [1, 2, 3]);
    }
  });

  it('listRevisionPage: the same Query (one row more than the page)', async () => {
    for (const after of [0, 1, 2, 3]) {
      for (const limit of [1, 2, 5]) {
        const page = await log.listRevisionPage('a/One', { limit, ...(after > 0 ? { nextToken: Buffer.from(`after:${after}`).toString('base64url') } : {}) });
        ours.sent.length = 0;
        theirs.sent.length = 0;
        await log.listRevisionPage('a/One', { limit, ...(after > 0 ? { nextToken: Buffer.from(`after:${after}`).toString('base64url') } : {}) });
        const rows = await electro.revisionPage('a/One', after, limit + 1);
        expect(ours.sent).toEqual(theirs.sent);
        expect(page.revisions).toEqual(rows.slice(0, limit));
        expect(page.nextToken !== undefined).toBe(rows.length > limit);
      }
    }
  });

  it("listEnvironments: the same Query a page at a time, electrodb's cursors as tokens (either's accepted by the other)", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await same(() => log.listEnvironments({ limit: 2, nextToken: token }), () => electro.listEnvironments(2, token));
      seen.push(...page.environments.map((e: EnvironmentState) => e.name));
      token = page.nextToken;
      pages++;
    } while (token && pages < 10);
    expect(seen).toEqual([...names].sort());
    expect(pages).toBe(3);
    await same(() => log.listEnvironments({ limit: 100 }), () => electro.listEnvironments(100));
  });

  it('listEnvironments refuses a token it did not give out, naming nextToken', async () => {
    for (const token of ['garbage', Buffer.from('[1]').toString('base64url'), Buffer.from('"x"').toString('base64url'), Buffer.from('{"pk":1}').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      await expect(log.listEnvironments({ limit: 2, nextToken: token }), token).rejects.toMatchObject({ name: 'ValidationError', field: 'nextToken' });
    }
  });

  it("the tick's pass for projections written before the routing index queries gsi1 as electrodb's byName does", async () => {
    ours.sent.length = 0;
    await log.deployingEnvironments();
    const byName = entities(table).entities.environment.query.byName({}).params() as Record<string, Record<string, string>>;
    const pass = ours.sent.find((s) => (s.input as { IndexName?: string }).IndexName === 'gsi1')!.input as Record<string, Record<string, string>>;
    expect(pass).toMatchObject({ ...byName, ExpressionAttributeNames: expect.objectContaining(byName.ExpressionAttributeNames) });
  });
});
