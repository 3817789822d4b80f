/**
 * The DynamoDB EventLog on a real engine (DynamoDB Local): append, conflict, projection
 * consistency, revision table, listing, idempotency.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand } from '../../domain/environment';
import { fold } from '../../domain/environment';
import type { EnvironmentSpec } from '../../domain/spec';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { runCommand } from '../../functions/commands';
import { ConcurrencyError } from '../../functions/ports';
import { freshEventLog } from '../support/store';

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
});
