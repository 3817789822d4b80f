/**
 * The DynamoDB EventLog on a real engine (DynamoDB Local): append, conflict, projection
 * consistency, revision table, listing, idempotency, the routing index and the items written before
 * it, the table's indexes. What both stores must do alike is in event-log.contract.test.ts.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import type { EnvironmentCommand, EnvironmentState } from '../../domain/environment';
import { fold } from '../../domain/environment';
import { startedByOf } from '../../domain/identity';
import type { EnvironmentSpec } from '../../domain/spec';
import { ensureTable } from '../../functions/adapters/create-table';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { parseUpdate } from '../../functions/adapters/dynamodb-limits';
import { entities } from '../../functions/adapters/electrodb-entities';
import { DynamoEventLog, IDEMPOTENCY_TTL_SECONDS, appendTransaction, routingAttributes } from '../../functions/adapters/event-log';
import { tableDefinition } from '../../functions/adapters/table-definition';
import { runCommand } from '../../functions/commands';
import { encodeEvent } from '../../events/catalogue';
import { environmentsFor } from '../../functions/engine/route';
import type { AppendRequest } from '../../functions/ports';
import { ConcurrencyError } from '../../functions/ports';
import { dynamoEndpoint, freshEventLog } from '../support/store';

const spec = (name: string): EnvironmentSpec => ({
  Name: name,
  TaskDefinition: 'log-daemon:1',
  DeploymentType: 'Daemon',
  InstanceGroup: { Query: 'attribute:stack == prod' },
});
let clock = Date.parse('2026-11-21T10:00:00.000Z');
const at = () => new Date((clock += 1000)).toISOString();
const ok = () => ({ statusCode: 200, body: {} });

async function run(eventLog: Awaited<ReturnType<typeof freshEventLog>>['eventLog'], environment: string, command: EnvironmentCommand) {
  return runCommand(eventLog, { environment, command, reply: ok });
}

describe('DynamoEventLog', () => {
  it('appends events with the projection; load is the fold of the log', async () => {
    const { eventLog } = await freshEventLog();
    const name = 'Team/Env-1';
    await run(eventLog, name, { type: 'CreateEnvironment', spec: spec(name), at: at() });
    await run(eventLog, name, { type: 'UpdateEnvironment', name, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' }, at: at() });
    await run(eventLog, name, { type: 'DeployRevision', name, revision: 2, at: at() });
    await run(eventLog, name, { type: 'FreezeEnvironment', name, at: at() });

    const events = await eventLog.readEvents(name);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.event.type)).toEqual([
      'EnvironmentCreated',
      'RevisionCreated',
      'RevisionCreated',
      'DeploymentStarted',
      'EnvironmentFrozen',
    ]);
    const state = await eventLog.load(name);
    expect(state?.version).toBe(5);
    // The projection equals the (compacted) fold of the whole log.
    const folded = fold(events.map((e) => e.event))!;
    expect(state?.latestSpec).toEqual(folded.latestSpec);
    expect(state?.frozen).toBe(true);
    expect(state?.revisions.map((r) => [r.revision, r.status])).toEqual([[2, 'Deploying']]);
  });

  it('keeps the revision table in step: dormant and retired revisions keep their rows', async () => {
    const { eventLog } = await freshEventLog();
    const name = 'rows';
    await run(eventLog, name, { type: 'CreateEnvironment', spec: spec(name), at: at() });
    await run(eventLog, name, { type: 'UpdateEnvironment', name, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' }, at: at() });
    await run(eventLog, name, { type: 'DeployRevision', name, revision: 2, at: at() });
    const rows = await eventLog.listRevisions(name);
    expect(rows.map((r) => [r.revision, r.status, r.spec.TaskDefinition])).toEqual([
      [1, 'Created', 'log-daemon:1'],
      [2, 'Deploying', 'log-daemon:2'],
    ]);
    expect(rows[1]).toMatchObject({ basedOn: 1, desired: 0, current: 0 });
  });

  it('refuses an append at a stale version with a ConcurrencyError and writes nothing', async () => {
    const { eventLog, tableName, endpoint } = await freshEventLog();
    const name = 'race';
    await run(eventLog, name, { type: 'CreateEnvironment', spec: spec(name), at: at() });
    const before = (await eventLog.load(name))!;
    const count = async () =>
      (await createDocumentClient(endpoint).send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }))).Count;
    const itemsBefore = await count();
    const frozenAt = at();
    const after = { ...before, version: before.version + 1, frozen: true, updatedAt: frozenAt };
    await eventLog.append({
      environment: name,
      expectedVersion: before.version,
      events: [{ type: 'EnvironmentFrozen', at: frozenAt }],
      state: after,
      changedRevisions: [],
      newRevisions: [],
    });
    // A second writer that decided against the same version loses, atomically.
    await expect(
      eventLog.append({
        environment: name,
        expectedVersion: before.version,
        events: [{ type: 'EnvironmentFrozen', at: frozenAt }],
        state: after,
        changedRevisions: [],
        newRevisions: [],
        idempotency: { key: 'k-lost', fingerprint: 'f', statusCode: 200, body: {} },
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await count()).toBe(itemsBefore! + 1);
    expect(await eventLog.getIdempotencyRecord('k-lost')).toBeUndefined();
  });

  it('refuses to create an environment twice (the projection create is conditional)', async () => {
    const { eventLog } = await freshEventLog();
    const name = 'twice';
    await run(eventLog, name, { type: 'CreateEnvironment', spec: spec(name), at: at() });
    const state = (await eventLog.load(name))!;
    await expect(
      eventLog.append({ environment: name, expectedVersion: 0, events: [{ type: 'EnvironmentCreated', name, at: at() }], state, changedRevisions: [], newRevisions: [] }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('lists environments by name, a page at a time, case kept', async () => {
    const { eventLog } = await freshEventLog();
    const names = ['b/Two', 'a/One', 'B/two', 'c.three', 'd_four'];
    for (const name of names) await run(eventLog, name, { type: 'CreateEnvironment', spec: spec(name), at: at() });
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await eventLog.listEnvironments({ limit: 2, nextToken });
      seen.push(...page.environments.map((e) => e.name));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken && pages < 10);
    expect([...seen].sort()).toEqual([...names].sort());
    expect(pages).toBeGreaterThanOrEqual(3);
    await expect(eventLog.listEnvironments({ limit: 2, nextToken: 'garbage' })).rejects.toMatchObject({ field: 'nextToken' });
  });

  it('stores the first answer of an idempotent command and replays it', async () => {
    const { eventLog } = await freshEventLog();
    const name = 'idem';
    await run(eventLog, name, { type: 'CreateEnvironment', spec: spec(name), at: at() });
    const command: EnvironmentCommand = { type: 'UpdateEnvironment', name, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' }, at: at() };
    const idempotency = { key: 'retry-1', fingerprint: 'same' };
    const reply = (events: { type: string }[]) => ({ statusCode: 201, body: { n: events.length } });
    const first = await runCommand(eventLog, { environment: name, command, reply, idempotency });
    const second = await runCommand(eventLog, { environment: name, command, reply, idempotency });
    expect(second).toEqual(first);
    expect((await eventLog.load(name))?.latestRevision).toBe(2);
    await expect(
      runCommand(eventLog, { environment: name, command, reply, idempotency: { key: 'retry-1', fingerprint: 'other' } }),
    ).rejects.toThrow(/already used for a different request/);
  });

  it('writes the routing attributes on every projection, the deploying index keys only while deploying', async () => {
    const { eventLog, tableName, endpoint } = await freshEventLog();
    const name = 'Team/Routed';
    await run(eventLog, name, { type: 'CreateEnvironment', spec: { ...spec(name), Cluster: 'blue' }, at: at() });
    const raw = async () =>
      (await createDocumentClient(endpoint).send(new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': `$blox#environment_${name}`, ':sk': '$environment_1' },
      }))).Items![0]!;
    const idle = await raw();
    expect([idle.startedBy, idle.deployingOn, idle.gsi2pk, idle.gsi2sk]).toEqual([startedByOf(name), undefined, undefined, undefined]);
    await run(eventLog, name, { type: 'DeployRevision', name, revision: 1, at: at() });
    const deploying = await raw();
    expect([deploying.deployingOn, deploying.gsi2pk, deploying.gsi2sk]).toEqual(['blue', 'deploying', `blue#${idle.startedBy}#${name}`]);
    expect(await environmentsFor(eventLog, { kind: 'task', clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/blue', startedBy: idle.startedBy })).toEqual([name]);
  });

  it('a deploying projection written before the routing index (no startedBy): the tick finds it until it is rewritten', async () => {
    const { tableName, endpoint } = await freshEventLog();
    const client = createDocumentClient(endpoint);
    // The projection as the code before the index wrote it: the same item without the routing attributes.
    const legacy = (name: string, cluster?: string) => {
      const state = { name, version: 1, updatedAt: '2026-11-21T10:00:00.000Z', ...(cluster ? { engine: { cluster } } : {}) } as unknown as EnvironmentState;
      const request: AppendRequest = { environment: name, expectedVersion: 0, events: [{ type: 'EnvironmentCreated', name, at: state.updatedAt }], state, changedRevisions: [], newRevisions: [] };
      const { Item } = (appendTransaction(tableName, request).TransactItems[1] as { Put: { Item: Record<string, unknown> } }).Put;
      for (const attribute of ['startedBy', 'deployingOn', 'gsi2pk', 'gsi2sk']) delete Item[attribute];
      return { request, Item };
    };
    const old = legacy('old', 'arn:aws:ecs:eu-west-1:123456789012:cluster/blue');
    await client.send(new PutCommand({ TableName: tableName, Item: old.Item }));
    await client.send(new PutCommand({ TableName: tableName, Item: legacy('old-idle').Item }));
    const eventLog = new DynamoEventLog(client, tableName);
    await run(eventLog, 'new', { type: 'CreateEnvironment', spec: { ...spec('new'), Cluster: 'blue' }, at: at() });
    await run(eventLog, 'new', { type: 'DeployRevision', name: 'new', revision: 1, at: at() });
    const task = (name: string) => ({ kind: 'task' as const, clusterArn: 'blue', startedBy: startedByOf(name) });
    const instance = { kind: 'containerInstance' as const, clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/blue' };

    // The tick finds it (the idle one is not deploying: not routed); ECS events read the index alone.
    expect(await environmentsFor(eventLog, { kind: 'tick' })).toEqual(['new', 'old']);
    expect(await eventLog.deployingEnvironments()).toEqual([
      { environment: 'new', cluster: 'blue' },
      { environment: 'old', cluster: 'blue' },
    ]);
    expect(await environmentsFor(eventLog, instance)).toEqual(['new']);
    expect(await environmentsFor(eventLog, task('old'))).toEqual([]);

    // Its next append (what reconciling it records) rewrites it with the attributes: indexed from then on.
    await eventLog.append({ ...old.request, expectedVersion: 1, events: [{ type: 'EnvironmentThawed', at: at() }], state: { ...old.request.state, version: 2 } });
    expect(await environmentsFor(eventLog, instance)).toEqual(['new', 'old']);
    expect(await environmentsFor(eventLog, task('old'))).toEqual(['old']);
    expect(await environmentsFor(eventLog, task('old-idle'))).toEqual([]);
    const send = vi.spyOn(client, 'send');
    expect(await environmentsFor(eventLog, { kind: 'tick' })).toEqual(['new', 'old']);
    expect(send).toHaveBeenCalledTimes(3); // the index's two partitions (deploying, serving), and one last pass that finds nothing left
    send.mockClear();
    expect(await environmentsFor(eventLog, { kind: 'tick' })).toEqual(['new', 'old']);
    expect(send).toHaveBeenCalledTimes(2); // the index alone (deploying, serving), from now on
  });

  it('ensureTable adds the indexes a table made before them lacks, and the projections written since are found', async () => {
    const endpoint = dynamoEndpoint();
    const tableName = `blox-test-old-${Date.now()}`;
    const raw = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const definition = tableDefinition(tableName);
    // The table as it was before the routing index.
    await raw.send(new CreateTableCommand({
      ...definition,
      AttributeDefinitions: definition.AttributeDefinitions!.filter((a) => !a.AttributeName!.startsWith('gsi2')),
      GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes!.filter((i) => i.IndexName === 'gsi1'),
    }));
    await ensureTable(endpoint, tableName);
    const indexes = (await raw.send(new DescribeTableCommand({ TableName: tableName }))).Table!.GlobalSecondaryIndexes!;
    expect(indexes.map((i) => [i.IndexName, i.IndexStatus, i.Projection?.ProjectionType]).sort()).toEqual([
      ['gsi1', 'ACTIVE', 'ALL'],
      ['gsi2', 'ACTIVE', 'INCLUDE'],
    ]);
    await ensureTable(endpoint, tableName); // nothing left to add
    const eventLog = new DynamoEventLog(createDocumentClient(endpoint), tableName);
    await run(eventLog, 'later', { type: 'CreateEnvironment', spec: { ...spec('later'), Cluster: 'blue' }, at: at() });
    await run(eventLog, 'later', { type: 'DeployRevision', name: 'later', revision: 1, at: at() });
    expect(await eventLog.deployingEnvironments({ cluster: 'blue' })).toEqual([{ environment: 'later', cluster: 'blue' }]);
    raw.destroy();
  });
});

describe('appendTransaction', () => {
  // What electrodb's own write builders make of the same append: the items must be theirs to the
  // attribute, the format every read expects.
  function electrodbTransaction(table: string, request: AppendRequest) {
    const { environment, expectedVersion, events, state } = request;
    const projectionItem = { environment, version: state.version, state, updatedAt: state.updatedAt, ...routingAttributes(state) };
    return entities(table)
      .transaction.write(({ event, environment: projection, revision, idempotency }) => [
        ...events.map((e, i) => event.create({ environment, sequence: expectedVersion + 1 + i, recordedAt: state.updatedAt, ...encodeEvent(e) }).commit()),
        expectedVersion === 0
          ? projection.create(projectionItem).commit()
          : projection.put(projectionItem).where((attr, { eq }) => eq(attr.version, expectedVersion)).commit(),
        ...request.newRevisions.map((row) =>
          revision.create({ environment, ...row, ...(row.basedOn === undefined ? { basedOn: undefined } : {}) } as never).commit(),
        ),
        ...request.changedRevisions
          .filter((row) => !request.newRevisions.some((n) => n.revision === row.revision))
          .map((row) => {
            let update = revision.patch({ environment, revision: row.revision }).set({
              status: row.status,
              desired: row.desired,
              current: row.current,
              updatedAt: row.updatedAt,
              ...(row.health ? { health: row.health } : {}),
              ...(row.statusReason ? { statusReason: row.statusReason } : {}),
            });
            const removed = [...(row.health ? [] : ['health' as const]), ...(row.statusReason ? [] : ['statusReason' as const])];
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
      .params() as { TransactItems: Array<Record<string, Record<string, unknown>>> };
  }

  it("builds electrodb's items, keys and conditions: events, projection, new and changed rows, idempotency record", () => {
    const T = '2026-11-21T10:00:00.000Z';
    const state = { name: 'Team/Env', version: 13, updatedAt: T, engine: { cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/blue' }, nested: { gone: undefined } } as unknown as EnvironmentState;
    const requests: AppendRequest[] = [
      {
        environment: 'Team/Env',
        expectedVersion: 0,
        events: [{ type: 'EnvironmentCreated', name: 'Team/Env', at: T }],
        state: { ...state, version: 1, engine: undefined } as unknown as EnvironmentState,
        changedRevisions: [],
        newRevisions: [{ revision: 1, status: 'Created', desired: 0, current: 0, updatedAt: T, spec: spec('Team/Env'), createdAt: T }],
      },
      {
        environment: 'Team/Env',
        expectedVersion: 10,
        events: [{ type: 'EnvironmentFrozen', at: T }, { type: 'EnvironmentThawed', at: T }, { type: 'EnvironmentFrozen', at: T }],
        state,
        changedRevisions: [
          { revision: 2, status: 'Active', health: 'Stuck', statusReason: 'no progress for 600 s', desired: 3, current: 3, updatedAt: T },
          { revision: 3, status: 'Inactive', desired: 0, current: 0, updatedAt: T },
          { revision: 12, status: 'Created', desired: 0, current: 0, updatedAt: T },
        ],
        newRevisions: [{ revision: 12, status: 'Created', statusReason: 'new', desired: 0, current: 0, updatedAt: T, spec: spec('Team/Env'), basedOn: 3, createdAt: T }],
        idempotency: { key: 'ci-run-42', fingerprint: 'f'.repeat(64), statusCode: 201, body: { EnvironmentRevision: 12 } },
      },
    ];
    for (const request of requests) {
      const ours = appendTransaction('t', request).TransactItems as unknown as Array<Record<string, Record<string, unknown>>>;
      const theirs = electrodbTransaction('t', request).TransactItems;
      expect(ours.map((a) => Object.keys(a)[0])).toEqual(theirs.map((a) => Object.keys(a)[0]));
      ours.forEach((action, i) => {
        const other = theirs[i]!;
        if (action.Put) {
          expect(action.Put).toEqual(other.Put);
        } else {
          type Update = { Key: object; UpdateExpression: string; ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> };
          const mine = action.Update as unknown as Update;
          const yours = other.Update as unknown as Update;
          expect(mine.Key).toEqual(yours.Key);
          expect(mine.ConditionExpression).toBe(yours.ConditionExpression);
          const sorted = (u: typeof mine) => {
            const { set, remove } = parseUpdate(u);
            return { set: [...set].sort((a, b) => a.name.localeCompare(b.name)), remove: [...remove].sort() };
          };
          expect(sorted(mine)).toEqual(sorted(yours));
        }
      });
    }
  });
});
