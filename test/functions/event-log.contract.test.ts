/**
 * The EventLog contract, run on BOTH stores: the in-memory log (engine harness, benches) and the
 * DynamoDB adapter on DynamoDB Local. Whatever one accepts the other accepts, whatever one refuses
 * the other refuses with the same error — DynamoDB's limits included — and nothing is written.
 *
 * Byte counts are worked out by hand below (DynamoDB's rules: an attribute is its name's UTF-8 bytes
 * plus its value; a string its UTF-8 bytes; a number 1 byte + 1 per pair of digits aligned on the
 * decimal point (2 → 2, 10 → 2); a map 3 bytes + per element 1 byte, its name and its value).
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent, EnvironmentState, RevisionSummary } from '../../domain/environment';
import { startedByOf } from '../../domain/identity';
import type { EnvironmentSpec } from '../../domain/spec';
import { runCommand } from '../../functions/commands';
import type { AppendRequest, EventLog, RevisionRow } from '../../functions/ports';
import { ConcurrencyError, StoreLimitError } from '../../functions/ports';
import { MemoryEventLog } from '../../local/memory-event-log';
import { freshEventLog } from '../support/store';

const T = '2026-11-21T10:00:00.000Z'; // 24 characters, as every timestamp below

const stores: Array<[string, () => Promise<EventLog>]> = [
  ['in-memory log', async () => new MemoryEventLog()],
  ['DynamoDB adapter on DynamoDB Local', async () => (await freshEventLog()).eventLog],
];

/** A projection the store only stores (it never looks inside but for what routes it: `name`, `engine`, and a Service's `latestSpec` and `activeRevision`). */
const mini = (name: string, version: number, extra: Record<string, unknown> = {}) =>
  ({ name, version, updatedAt: T, ...extra }) as unknown as EnvironmentState;

const frozen = (n: number): EnvironmentEvent[] => Array.from({ length: n }, () => ({ type: 'EnvironmentFrozen', at: T }));

const request = (environment: string, expectedVersion: number, events: EnvironmentEvent[], more: Partial<AppendRequest> = {}): AppendRequest => ({
  environment,
  expectedVersion,
  events,
  state: mini(environment, expectedVersion + events.length),
  changedRevisions: [],
  newRevisions: [],
  ...more,
});

async function create(log: EventLog, name: string, more: Partial<AppendRequest> = {}) {
  await log.append(request(name, 0, [{ type: 'EnvironmentCreated', name, at: T }], more));
}

/** What an observer can see of an environment: nothing may change when an append is refused. */
async function snapshot(log: EventLog, name: string) {
  return {
    version: (await log.load(name))?.version,
    events: (await log.readEvents(name)).length,
    rows: await log.listRevisions(name),
  };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('the append was accepted');
    },
    (error: unknown) => error,
  );
}

const spec = (name: string, extra: Partial<EnvironmentSpec> = {}): EnvironmentSpec => ({
  Name: name,
  TaskDefinition: 'log-daemon:1',
  DeploymentType: 'Daemon',
  ...extra,
});

const row = (revision: number, extra: Partial<RevisionRow> = {}): RevisionRow => ({
  revision,
  status: 'Created',
  desired: 0,
  current: 0,
  updatedAt: T,
  spec: spec('rows'),
  createdAt: T,
  ...extra,
});

describe.each(stores)('EventLog contract: %s', (_, open) => {
  it('appends and loads; a stale version is a ConcurrencyError and writes nothing', async () => {
    const log = await open();
    await create(log, 'env');
    await log.append(request('env', 1, frozen(2)));
    expect((await log.load('env'))?.version).toBe(3);
    expect((await log.readEvents('env')).map((e) => [e.sequence, e.event.type])).toEqual([
      [1, 'EnvironmentCreated'],
      [2, 'EnvironmentFrozen'],
      [3, 'EnvironmentFrozen'],
    ]);
    expect((await log.readEvents('env', 3)).map((e) => e.sequence)).toEqual([3]);

    const before = await snapshot(log, 'env');
    await expect(log.append(request('env', 1, frozen(1)))).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(create(log, 'env')).rejects.toBeInstanceOf(ConcurrencyError); // created twice
    expect(await snapshot(log, 'env')).toEqual(before);
    expect(await log.load('unknown')).toBeUndefined();
  });

  it('stores the idempotency record with the events; the same key again is a ConcurrencyError', async () => {
    const log = await open();
    await create(log, 'idem');
    const record = { key: 'retry-1', fingerprint: 'f', statusCode: 201, body: { EnvironmentRevision: 2 } };
    await log.append(request('idem', 1, frozen(1), { idempotency: record }));
    expect(await log.getIdempotencyRecord('retry-1')).toEqual(record);

    const before = await snapshot(log, 'idem');
    const again = await refusal(log.append(request('idem', 2, frozen(1), { idempotency: { ...record, fingerprint: 'g' } })));
    expect(again).toBeInstanceOf(ConcurrencyError);
    expect(await snapshot(log, 'idem')).toEqual(before);
    expect(await log.getIdempotencyRecord('retry-1')).toEqual(record);
    expect(await log.getIdempotencyRecord('never')).toBeUndefined();
  });

  it('runs a command end to end (runCommand: load, decide, append, replay)', async () => {
    const log = await open();
    const reply = () => ({ statusCode: 201, body: { ok: true } });
    await runCommand(log, { environment: 'cmd', command: { type: 'CreateEnvironment', spec: spec('cmd'), at: T }, reply });
    const idempotency = { key: 'k', fingerprint: 'same' };
    const update = { type: 'UpdateEnvironment' as const, name: 'cmd', baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' }, at: T };
    expect(await runCommand(log, { environment: 'cmd', command: update, reply, idempotency })).toEqual({ statusCode: 201, body: { ok: true } });
    expect(await runCommand(log, { environment: 'cmd', command: update, reply, idempotency })).toEqual({ statusCode: 201, body: { ok: true } });
    expect((await log.load('cmd'))?.latestRevision).toBe(2);
    expect((await log.listRevisions('cmd')).map((r) => [r.revision, r.status, r.spec.TaskDefinition])).toEqual([
      [1, 'Created', 'log-daemon:1'],
      [2, 'Created', 'log-daemon:2'],
    ]);
  });

  it('takes 100 items in one append (99 events + the projection) and refuses 101, writing nothing', async () => {
    const log = await open();
    await create(log, 'many');
    await log.append(request('many', 1, frozen(99))); // 99 event items + 1 projection item = 100
    expect((await log.load('many'))?.version).toBe(100);

    const before = await snapshot(log, 'many');
    const error = await refusal(log.append(request('many', 100, frozen(100)))); // 100 + 1 = 101
    expect(error).toBeInstanceOf(StoreLimitError);
    expect(error).toMatchObject({
      name: 'StoreLimitError',
      environment: 'many',
      limit: 'TransactionItems',
      storeMessage: 'Member must have length less than or equal to 100',
      message: 'append to "many" refused by the store (TransactionItems): Member must have length less than or equal to 100',
    });
    expect(await snapshot(log, 'many')).toEqual(before);
    expect(before.events).toBe(100);
  });

  it('stores a projection of exactly 400 KB and refuses one byte more, writing nothing', async () => {
    const log = await open();
    await create(log, 'big');
    // The projection item of "big" with state { name: 'big', version: v, updatedAt: T, pad: n × 'x' }:
    //   environment: 11 + 3 ('big')                                      =  14
    //   version:      7 + 2 (a one-digit number: 1 + 1 pair)             =   9
    //   updatedAt:    9 + 24                                             =  33
    //   startedBy:    9 + 21 ('blox-' + 16 hex digits)                   =  30
    //   pk:           2 + 21 ('$blox#environment_big')                   =  23
    //   sk:           2 + 14 ('$environment_1')                          =  16
    //   gsi1pk:       6 + 5  ('$blox')                                   =  11
    //   gsi1sk:       6 + 30 ('$environment_1#environment_big')          =  36
    //   __edb_e__:    9 + 11 ('environment')                             =  20
    //   __edb_v__:    9 + 1  ('1')                                       =  10
    //                                                                     = 202
    //   state:        5 + map: 3 + (1+4+3 name) + (1+7+2 version) + (1+9+24 updatedAt) + (1+3+n pad)
    //                 = 5 + 59 + n                                       = 64 + n
    // item = 266 + n: n = 409,334 makes 409,600 bytes (400 KB, the limit), n = 409,335 one byte more.
    expect(startedByOf('big')).toHaveLength(21);
    await log.append(request('big', 1, frozen(1), { state: mini('big', 2, { pad: 'x'.repeat(409_334) }) }));
    expect((await log.load('big'))?.version).toBe(2);

    const before = await snapshot(log, 'big');
    const error = await refusal(log.append(request('big', 2, frozen(1), { state: mini('big', 3, { pad: 'x'.repeat(409_335) }) })));
    expect(error).toBeInstanceOf(StoreLimitError);
    expect(error).toMatchObject({ limit: 'ItemSize', storeMessage: 'Item size has exceeded the maximum allowed size' });
    expect(await snapshot(log, 'big')).toEqual(before);
  });

  it('refuses a transaction over 4 MB of items under 400 KB each, naming its payload size, writing nothing', async () => {
    const log = await open();
    await create(log, 'huge');
    // An EnvironmentCreated event of "huge" at sequence s (2..12) whose name is N characters:
    //   environment 11+4 = 15; sequence 8+2 = 10; type 4+18 = 22; schemaVersion 13+2 = 15;
    //   data 4 + map: 3 + (1+4+N name) + (1+2+24 at) = 39 + N; recordedAt 10+24 = 34;
    //   pk 2+22 ('$blox#environment_huge') = 24; sk 2+30 ('$event_1#sequence_' + 12 digits) = 32;
    //   __edb_e__ 9+5 = 14; __edb_v__ 9+1 = 10                              item = 215 + N
    // Its payload adds the condition 'attribute_not_exists(#pk) AND attribute_not_exists(#sk)'
    // (55 bytes) and the names it mentions ('pk', 'sk': 4)                 payload = 274 + N
    // N = 389,785: items of 390,000 bytes (under 400 KB), payloads of 390,059.
    // 10 events: 3,900,590 ≤ 4,194,304 (4 MB); the 11th brings it to 4,290,649 > 4 MB.
    const big = (n: number): EnvironmentEvent[] =>
      Array.from({ length: n }, () => ({ type: 'EnvironmentCreated', name: 'x'.repeat(389_785), at: T }));
    await log.append(request('huge', 1, big(10)));
    expect((await log.load('huge'))?.version).toBe(11);

    const before = await snapshot(log, 'huge');
    const error = await refusal(log.append(request('huge', 11, big(11))));
    expect(error).toBeInstanceOf(StoreLimitError);
    // 11 events from sequence 12: 12 takes 2 bytes like 2..11, so the same 4,290,649.
    expect(error).toMatchObject({
      limit: 'TransactionSize',
      storeMessage: 'Transaction payload size cannot exceed 4MB. Payload Size: 4290649',
    });
    expect(await snapshot(log, 'huge')).toEqual(before);
  });

  it('refuses a revision-row patch that would leave the row over 400 KB, when it runs; a stale version wins', async () => {
    const log = await open();
    // The row's spec alone is 300,000 bytes of TaskDefinition; its other attributes under 1,000.
    await create(log, 'rows', { newRevisions: [row(1, { spec: spec('rows', { TaskDefinition: 'x'.repeat(300_000) }) })] });
    const patch = (reason: number): RevisionSummary => ({ revision: 1, status: 'Deploying', statusReason: 'y'.repeat(reason), desired: 1, current: 0, updatedAt: T });
    // 300,000 + 100,000 + < 1,000 ≤ 409,600: fine.
    await log.append(request('rows', 1, frozen(1), { changedRevisions: [patch(100_000)] }));
    expect((await log.getRevision('rows', 1))?.statusReason).toHaveLength(100_000);

    const before = await snapshot(log, 'rows');
    // 300,000 + 110,000 > 409,600, though what the patch SETs (≈ 110,000) is under 400 KB.
    const error = await refusal(log.append(request('rows', 2, frozen(1), { changedRevisions: [patch(110_000)] })));
    expect(error).toBeInstanceOf(StoreLimitError);
    expect(error).toMatchObject({ limit: 'ItemSize', storeMessage: 'Item size to update has exceeded the maximum allowed size' });
    // DynamoDB reports a failed condition with it: the lost race is what the caller hears.
    const stale = await refusal(log.append(request('rows', 1, frozen(1), { changedRevisions: [patch(110_000)] })));
    expect(stale).toBeInstanceOf(ConcurrencyError);
    expect(await snapshot(log, 'rows')).toEqual(before);
  });

  it('refuses a patch of a revision row that does not exist, and a second create of one (ConcurrencyError)', async () => {
    const log = await open();
    await create(log, 'rows', { newRevisions: [row(1)] });
    const before = await snapshot(log, 'rows');
    const missing = { revision: 7, status: 'Deploying' as const, desired: 1, current: 0, updatedAt: T };
    await expect(log.append(request('rows', 1, frozen(1), { changedRevisions: [missing] }))).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(log.append(request('rows', 1, frozen(1), { newRevisions: [row(1)] }))).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await snapshot(log, 'rows')).toEqual(before);
  });

  it('pages through the revision table in order; a page that ends the table has no token', async () => {
    const log = await open();
    await create(log, 'pages', { newRevisions: [1, 2, 3, 4, 5].map((n) => row(n)) });
    const pages: number[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await log.listRevisionPage('pages', { limit: 2, nextToken });
      pages.push(page.revisions.map((r) => r.revision));
      nextToken = page.nextToken;
    } while (nextToken && pages.length < 10);
    expect(pages).toEqual([[1, 2], [3, 4], [5]]);

    // A page that happens to end exactly at the last row says so (no token, no empty page after).
    const exact = await log.listRevisionPage('pages', { limit: 5 });
    expect(exact.revisions.map((r) => r.revision)).toEqual([1, 2, 3, 4, 5]);
    expect(exact.nextToken).toBeUndefined();
    const first = await log.listRevisionPage('pages', { limit: 4 });
    const last = await log.listRevisionPage('pages', { limit: 4, nextToken: first.nextToken });
    expect([first.revisions.length, last.revisions.map((r) => r.revision), last.nextToken]).toEqual([4, [5], undefined]);
    expect(last.revisions[0]).toEqual(row(5));
    expect(await log.listRevisionPage('nothing', { limit: 3 })).toEqual({ revisions: [], nextToken: undefined });

    for (const token of ['garbage', '', Buffer.from('after:0').toString('base64url'), Buffer.from('after:x').toString('base64url'), 'a'.repeat(500)]) {
      await expect(log.listRevisionPage('pages', { limit: 2, nextToken: token }), token).rejects.toMatchObject({ field: 'nextToken' });
    }
  });

  it('reads events backwards a page at a time, the types asked for only; a page stopped at its limit resumes below its last read event', async () => {
    const log = await open();
    // Sequences: 1 created, 2 frozen, 3 thawed, 4 frozen, 5 thawed, 6 frozen.
    await create(log, 'back');
    await log.append(request('back', 1, [{ type: 'EnvironmentFrozen', at: T }, { type: 'EnvironmentThawed', at: T }, { type: 'EnvironmentFrozen', at: T }]));
    await log.append(request('back', 4, [{ type: 'EnvironmentThawed', at: T }, { type: 'EnvironmentFrozen', at: T }]));
    const types = ['EnvironmentThawed', 'EnvironmentCreated'] as const;

    const all = await log.readEventsBackward('back', { types });
    expect([all.events.map((e) => e.sequence), all.before]).toEqual([[5, 3, 1], undefined]);
    expect(all.events[0]!.event).toEqual({ type: 'EnvironmentThawed', at: T });

    // Two events read a page (of any type): [6 frozen, 5 thawed], [4 frozen, 3 thawed], [2 frozen, 1 created], then an empty page.
    const pages: Array<[number[], number | undefined]> = [];
    let before: number | undefined;
    do {
      const page = await log.readEventsBackward('back', { types, before, limit: 2 });
      pages.push([page.events.map((e) => e.sequence), page.before]);
      before = page.before;
    } while (before !== undefined && pages.length < 10);
    expect(pages).toEqual([[[5], 5], [[3], 3], [[1], 1], [[], undefined]]);

    // Below 4, one event a page: 3 is a thaw; 2 (frozen) is read and filtered out.
    expect(await log.readEventsBackward('back', { types, before: 4, limit: 1 })).toMatchObject({ before: 3 });
    const filtered = await log.readEventsBackward('back', { types, before: 3, limit: 1 });
    expect([filtered.events, filtered.before]).toEqual([[], 2]);
    expect(await log.readEventsBackward('nothing', { types })).toEqual({ events: [], before: undefined });
  });

  it('reads events forwards between two sequences, both included (a page of the timeline)', async () => {
    const log = await open();
    // Sequences: 1 created, 2 frozen, 3 frozen, 4 frozen, 5 frozen; and a neighbour whose events must not show.
    await create(log, 'fwd');
    await log.append(request('fwd', 1, frozen(4)));
    await create(log, 'fwd2');
    expect((await log.readEvents('fwd', 2, 4)).map((e) => e.sequence)).toEqual([2, 3, 4]);
    expect((await log.readEvents('fwd', 4, 9)).map((e) => e.sequence)).toEqual([4, 5]);
    expect((await log.readEvents('fwd', 1, 1)).map((e) => e.event.type)).toEqual(['EnvironmentCreated']);
    expect(await log.readEvents('fwd', 6, 8)).toEqual([]);
    expect((await log.readEvents('fwd', 3)).map((e) => e.sequence)).toEqual([3, 4, 5]);
  });

  it('lists environments a page at a time; a token it did not give out is refused naming nextToken', async () => {
    const log = await open();
    for (const name of ['b', 'a', 'c']) await create(log, name);
    const first = await log.listEnvironments({ limit: 2 });
    const second = await log.listEnvironments({ limit: 2, nextToken: first.nextToken });
    expect([...first.environments, ...second.environments].map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(second.nextToken).toBeUndefined();
    await expect(log.listEnvironments({ limit: 2, nextToken: 'garbage' })).rejects.toMatchObject({ field: 'nextToken' });
  });

  it('answers the routing query from the deploying index: by cluster name, by startedBy, and all of it', async () => {
    const log = await open();
    const deploying = (cluster: string) => ({ engine: { cluster } });
    // "a" and "blue/x" deploy on blue (one by ARN), "b" on green, "c" on blue-2 (a prefix trap), "idle" nowhere.
    await create(log, 'a', { state: mini('a', 1, deploying('blue')) });
    await create(log, 'blue/x', { state: mini('blue/x', 1, deploying('arn:aws:ecs:us-east-1:123456789012:cluster/blue')) });
    await create(log, 'b', { state: mini('b', 1, deploying('green')) });
    await create(log, 'c', { state: mini('c', 1, deploying('blue-2')) });
    await create(log, 'idle');

    expect(await log.deployingEnvironments()).toEqual([
      { environment: 'a', cluster: 'blue' },
      { environment: 'b', cluster: 'green' },
      { environment: 'blue/x', cluster: 'blue' },
      { environment: 'c', cluster: 'blue-2' },
    ]);
    expect((await log.deployingEnvironments({ cluster: 'blue' })).map((e) => e.environment)).toEqual(['a', 'blue/x']);
    expect(await log.deployingEnvironments({ cluster: 'blue', startedBy: startedByOf('blue/x') })).toEqual([{ environment: 'blue/x', cluster: 'blue' }]);
    expect(await log.deployingEnvironments({ cluster: 'green', startedBy: startedByOf('a') })).toEqual([]);
    expect(await log.deployingEnvironments({ cluster: 'blue', startedBy: startedByOf('idle') })).toEqual([]);
    expect(await log.deployingEnvironments({ cluster: 'nowhere' })).toEqual([]);

    // The deployment ends (the planner's state is cleared): "a" leaves the index; "idle" starts: it joins.
    await log.append(request('a', 1, frozen(1)));
    await log.append(request('idle', 1, frozen(1), { state: mini('idle', 2, deploying('blue')) }));
    expect((await log.deployingEnvironments({ cluster: 'blue' })).map((e) => e.environment)).toEqual(['blue/x', 'idle']);
  });

  it('answers the routing query for Services at rest from the index\'s "serving" partition: a Service with an Active revision and no deployment, by cluster and its service\'s group', async () => {
    const log = await open();
    const service = (name: string, cluster: string, more: Record<string, unknown> = {}) => ({
      latestSpec: { Name: name, DeploymentType: 'Service', Cluster: cluster, Service: { ServiceName: `svc-${name}` } },
      activeRevision: 1,
      ...more,
    });
    // "web" serves on blue; "api" serves on blue too; "new" is a Service never deployed (no Active revision);
    // "busy" is a Service deploying (in the deploying partition only); "gone" is being deleted.
    await create(log, 'web', { state: mini('web', 1, service('web', 'blue')) });
    await create(log, 'api', { state: mini('api', 1, service('api', 'arn:aws:ecs:us-east-1:123456789012:cluster/blue')) });
    await create(log, 'new', { state: mini('new', 1, service('new', 'blue', { activeRevision: undefined })) });
    await create(log, 'busy', { state: mini('busy', 1, service('busy', 'blue', { engine: { cluster: 'blue', service: { name: 'svc-busy' } } })) });
    await create(log, 'gone', { state: mini('gone', 1, service('gone', 'blue', { deletion: { id: 'x', startedAt: T, force: false, tasks: 0 } })) });

    expect(await log.servingEnvironments()).toEqual([
      { environment: 'api', cluster: 'blue' },
      { environment: 'web', cluster: 'blue' },
    ]);
    expect(await log.servingEnvironments({ cluster: 'blue', startedBy: 'service:svc-web' })).toEqual([{ environment: 'web', cluster: 'blue' }]);
    expect(await log.servingEnvironments({ cluster: 'green', startedBy: 'service:svc-web' })).toEqual([]);
    expect(await log.deployingEnvironments({ cluster: 'blue', startedBy: 'service:svc-busy' })).toEqual([{ environment: 'busy', cluster: 'blue' }]);
    expect(await log.servingEnvironments({ cluster: 'blue', startedBy: 'service:svc-busy' })).toEqual([]);
    expect((await log.deployingEnvironments()).map((e) => e.environment)).toEqual(['busy']);

    // "web" starts a deployment: it moves to the deploying partition; "busy" completes: it serves.
    await log.append(request('web', 1, frozen(1), { state: mini('web', 2, service('web', 'blue', { engine: { cluster: 'blue', service: { name: 'svc-web' } } })) }));
    await log.append(request('busy', 1, frozen(1), { state: mini('busy', 2, service('busy', 'blue')) }));
    expect((await log.servingEnvironments({ cluster: 'blue' })).map((e) => e.environment)).toEqual(['api', 'busy']);
    expect((await log.deployingEnvironments({ cluster: 'blue' })).map((e) => e.environment)).toEqual(['web']);
  });

  it('keeps the alarm index with the appends: alarm name → the environments watching it', async () => {
    const log = await open();
    await create(log, 'a', { alarmWatch: { add: ['web-5xx', 'daemon-errors'], remove: [] } });
    await create(log, 'b', { alarmWatch: { add: ['daemon-errors'], remove: [] } });
    await create(log, 'c');
    expect(await log.environmentsWatching('daemon-errors')).toEqual(['a', 'b']);
    expect(await log.environmentsWatching('web-5xx')).toEqual(['a']);
    expect(await log.environmentsWatching('web')).toEqual([]); // a prefix of another alarm's name
    // "a" stops watching daemon-errors; a refused append changes nothing.
    await log.append(request('a', 1, frozen(1), { alarmWatch: { add: [], remove: ['daemon-errors'] } }));
    await expect(log.append(request('b', 0, frozen(1), { alarmWatch: { add: ['web-5xx'], remove: [] } }))).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await log.environmentsWatching('daemon-errors')).toEqual(['b']);
    expect(await log.environmentsWatching('web-5xx')).toEqual(['a']);
  });
});
