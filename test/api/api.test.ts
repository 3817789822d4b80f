/**
 * The HTTP API through the real handlers (the same middy functions as in Lambda) on DynamoDB Local.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../support/api';
import { env, startTestApi } from '../support/api';

const NAME = 'SomeEnvironment/Prod';
const YAML_SPEC = `Name: "SomeEnvironment/Prod"
TaskDefinition: "log-daemon:1"
Cluster: "default"
InstanceGroup:
  Query: "attribute:stack == prod"
DeploymentType: Daemon
DeploymentConfiguration:
  Method: "Replace" # (or "Surge")
  MinHealthyPercent: "100"
`;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
const rows = (body: any) => body.Revisions.map((r: any) => [r.Revision, r.Status, r.Desired, r.Current]);

describe('the walkthrough through the API', () => {
  it('create (YAML) → status Created 0 0', async () => {
    const created = await api.call('POST', '/environments', YAML_SPEC, { 'content-type': 'application/yaml' });
    expect(created).toEqual({ status: 201, body: { EnvironmentRevision: 1 } });
    const status = await api.call('GET', `${env(NAME)}/status?all=true`);
    expect(status.status).toBe(200);
    expect(rows(status.body)).toEqual([['SomeEnvironment/Prod:1', 'Created', 0, 0]]);
  });

  it('describe shows the spec as given, numbers normalised', async () => {
    const described = await api.call('GET', env(NAME));
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({
      EnvironmentName: NAME,
      Status: 'Created',
      LatestRevision: 1,
      Frozen: false,
      Spec: { TaskDefinition: 'log-daemon:1', DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100 } },
    });
  });

  it('deploy → Deploying, with a DeploymentId of the walkthrough form', async () => {
    const deployed = await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 1 });
    expect(deployed.status).toBe(201);
    expect(deployed.body.DeploymentId).toMatch(/^SomeEnvironment\/Prod:1@\d{16}$/);
    expect(rows((await api.call('GET', `${env(NAME)}/status?all=true`)).body)).toEqual([['SomeEnvironment/Prod:1', 'Deploying', 0, 0]]);
  });

  it('update with a base revision → revision 2 Created; a stale base → 409', async () => {
    const updated = await api.call('POST', `${env(NAME)}/revisions`, { Revision: 1, TaskDefinition: 'log-daemon:2' });
    expect(updated).toEqual({ status: 201, body: { EnvironmentRevision: 2 } });
    const stale = await api.call('POST', `${env(NAME)}/revisions`, { Revision: 1, TaskDefinition: 'log-daemon:3' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('Conflict');
    const noBase = await api.call('POST', `${env(NAME)}/revisions`, { TaskDefinition: 'log-daemon:3' });
    expect(noBase.status).toBe(400);
    expect(noBase.body.error).toMatchObject({ code: 'ValidationError', field: 'Revision' });
  });

  it('deploy 2 → 1 Undeploying, 2 Deploying; deploy 1 again is refused (use rollback)', async () => {
    expect((await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: '2' })).status).toBe(201);
    expect(rows((await api.call('GET', `${env(NAME)}/status?all=true`)).body)).toEqual([
      ['SomeEnvironment/Prod:1', 'Undeploying', 0, 0],
      ['SomeEnvironment/Prod:2', 'Deploying', 0, 0],
    ]);
    const older = await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 1 });
    expect(older.status).toBe(409);
    expect(older.body.error.message).toMatch(/rollback/);
  });

  it('rollback to 1 → 1 Deploying, 2 Reverting, no new revision', async () => {
    const rolled = await api.call('POST', `${env(NAME)}/rollbacks`, { EnvironmentRevision: 1 });
    expect(rolled.status).toBe(201);
    expect(rolled.body.DeploymentId).toMatch(/^SomeEnvironment\/Prod:1@/);
    expect(rows((await api.call('GET', `${env(NAME)}/status?all=true`)).body)).toEqual([
      ['SomeEnvironment/Prod:1', 'Deploying', 0, 0],
      ['SomeEnvironment/Prod:2', 'Reverting', 0, 0],
    ]);
    expect((await api.call('GET', env(NAME))).body.LatestRevision).toBe(2);
  });

  it('freeze → Suspended; deploy still accepted while frozen; thaw → back to the revision status', async () => {
    expect(await api.call('POST', `${env(NAME)}/freeze`)).toEqual({ status: 200, body: { EnvironmentName: NAME, Status: 'Suspended' } });
    expect((await api.call('GET', env(NAME))).body.Status).toBe('Suspended');
    await api.call('POST', `${env(NAME)}/revisions`, { Revision: 2, TaskDefinition: 'log-daemon:3' });
    expect((await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 3 })).status).toBe(201);
    expect((await api.call('GET', env(NAME))).body).toMatchObject({ Status: 'Suspended', Frozen: true, DeployingRevision: 3 });
    expect(await api.call('POST', `${env(NAME)}/thaw`)).toEqual({ status: 200, body: { EnvironmentName: NAME, Status: 'Deploying' } });
  });

  it('lists environments', async () => {
    const listed = await api.call('GET', '/environments');
    expect(listed.status).toBe(200);
    expect(listed.body.Environments).toEqual([expect.objectContaining({ EnvironmentName: NAME, DeploymentType: 'Daemon', LatestRevision: 3 })]);
  });

  it('hides Inactive/Reverted and dormant revisions without all=true', async () => {
    const name = 'hide/me';
    await api.call('POST', '/environments', { Name: name, TaskDefinition: 'd:1', DeploymentType: 'Daemon' });
    await api.call('POST', `${env(name)}/revisions`, { Revision: 1, TaskDefinition: 'd:2' });
    await api.call('POST', `${env(name)}/deployments`, { EnvironmentRevision: 2 });
    expect(rows((await api.call('GET', `${env(name)}/status`)).body)).toEqual([['hide/me:2', 'Deploying', 0, 0]]);
    expect(rows((await api.call('GET', `${env(name)}/status?all=true`)).body)).toEqual([
      ['hide/me:1', 'Created', 0, 0],
      ['hide/me:2', 'Deploying', 0, 0],
    ]);
  });
});

describe('errors', () => {
  it('400 names the field, for the spec and for the body', async () => {
    const bad = await api.call('POST', '/environments', { Name: 'x', TaskDefinition: 'd:1', DeploymentType: 'Daemon', DeploymentConfiguration: { MinHealthyPercent: 'lots' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'ValidationError', field: 'DeploymentConfiguration.MinHealthyPercent' });
    expect(bad.body.error.message).toMatch(/^DeploymentConfiguration\.MinHealthyPercent: /);
    const unknown = await api.call('POST', '/environments', { Name: 'x', TaskDefinition: 'd:1', DeploymentType: 'Daemon', Foo: 1 });
    expect(unknown.body.error).toMatchObject({ code: 'ValidationError', field: 'Foo' });
    const query = await api.call('POST', '/environments', { Name: 'x', TaskDefinition: 'd:1', DeploymentType: 'Daemon', InstanceGroup: { Query: 'attribute:stack ==' } });
    expect(query.status).toBe(400);
    expect(query.body.error.field).toBe('InstanceGroup.Query');
    const notJson = await api.call('POST', '/environments', '{"Name": ');
    expect(notJson.body.error).toMatchObject({ code: 'ValidationError', field: 'body' });
    const badYaml = await api.call('POST', '/environments', 'a: [', { 'content-type': 'application/yaml' });
    expect(badYaml.status).toBe(400);
    const list = await api.call('POST', '/environments', [1, 2]);
    expect(list.status).toBe(400);
    const badRevision = await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 'two' });
    expect(badRevision.body.error).toMatchObject({ code: 'ValidationError', field: 'EnvironmentRevision' });
    const extra = await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 1, Force: true });
    expect(extra.body.error).toMatchObject({ field: 'Force' });
    const badName = await api.call('GET', `/environments/${encodeURIComponent('has space')}`);
    expect(badName.body.error).toMatchObject({ code: 'ValidationError', field: 'name' });
    const badLimit = await api.call('GET', '/environments?limit=0');
    expect(badLimit.body.error).toMatchObject({ field: 'limit' });
  });

  it('400 for the safety keys names the field, and nothing is written', async () => {
    const base = { Name: 'Safety/Bad', TaskDefinition: 'd:1', DeploymentType: 'Daemon' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ Alarms: { AlarmNames: 'daemon-errors' } }, 'DeploymentConfiguration.Alarms.AlarmNames'],
      [{ Alarms: { AlarmNames: ['daemon-errors'], Rollback: 'yes' } }, 'DeploymentConfiguration.Alarms.Rollback'],
      [{ CircuitBreaker: { FailedTasks: '0%' } }, 'DeploymentConfiguration.CircuitBreaker.FailedTasks'],
      [{ Canary: { Instances: 1 } }, 'DeploymentConfiguration.Canary.BakeSeconds'],
      [{ BakeSeconds: 'long' }, 'DeploymentConfiguration.BakeSeconds'],
    ];
    for (const [configuration, field] of cases) {
      const bad = await api.call('POST', '/environments', { ...base, DeploymentConfiguration: configuration });
      expect(bad.status, field).toBe(400);
      expect(bad.body.error, field).toMatchObject({ code: 'ValidationError', field });
    }
    expect((await api.call('GET', env('Safety/Bad'))).status).toBe(404);
  });

  it('404 for unknown environments, revisions and routes; 405 for a wrong method', async () => {
    expect((await api.call('GET', env('nope'))).status).toBe(404);
    expect((await api.call('GET', `${env('nope')}/status`)).status).toBe(404);
    expect((await api.call('POST', `${env('nope')}/freeze`)).status).toBe(404);
    expect((await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 99 })).status).toBe(404);
    expect((await api.call('GET', '/nothing/here')).status).toBe(404);
    expect((await api.call('DELETE', env(NAME))).status).toBe(405);
  });

  it('409 for an existing name', async () => {
    const again = await api.call('POST', '/environments', YAML_SPEC, { 'content-type': 'application/yaml' });
    expect(again.status).toBe(409);
  });

  it('413 for a body over 64 KiB, 415 for another content type', async () => {
    const big = await api.call('POST', '/environments', { Name: 'big', TaskDefinition: 'd:1', DeploymentType: 'Daemon', Pad: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PayloadTooLarge');
    const xml = await api.call('POST', '/environments', '<Name/>', { 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe('UnsupportedMediaType');
  });
});

describe('idempotency', () => {
  it('a retried create, update or deploy with the same Idempotency-Key answers the first answer and writes once', async () => {
    const name = 'idem/env';
    const key = { 'idempotency-key': 'create-123' };
    const body = { Name: name, TaskDefinition: 'd:1', DeploymentType: 'Daemon' };
    const first = await api.call('POST', '/environments', body, key);
    const retry = await api.call('POST', '/environments', body, key);
    expect(first).toEqual({ status: 201, body: { EnvironmentRevision: 1 } });
    expect(retry).toEqual(first);

    const u1 = await api.call('POST', `${env(name)}/revisions`, { Revision: 1, TaskDefinition: 'd:2' }, { 'idempotency-key': 'upd-1' });
    const u2 = await api.call('POST', `${env(name)}/revisions`, { Revision: 1, TaskDefinition: 'd:2' }, { 'idempotency-key': 'upd-1' });
    expect(u1).toEqual({ status: 201, body: { EnvironmentRevision: 2 } });
    expect(u2).toEqual(u1);

    const d1 = await api.call('POST', `${env(name)}/deployments`, { EnvironmentRevision: 2 }, { 'idempotency-key': 'dep-1' });
    const d2 = await api.call('POST', `${env(name)}/deployments`, { EnvironmentRevision: 2 }, { 'idempotency-key': 'dep-1' });
    expect(d2).toEqual(d1);
    expect((await api.eventLog.readEvents(name)).map((e) => e.event.type)).toEqual([
      'EnvironmentCreated',
      'RevisionCreated',
      'RevisionCreated',
      'DeploymentStarted',
    ]);
    const reused = await api.call('POST', `${env(name)}/deployments`, { EnvironmentRevision: 1 }, { 'idempotency-key': 'dep-1' });
    expect(reused.status).toBe(409);
    const badKey = await api.call('POST', `${env(name)}/freeze`, undefined, { 'idempotency-key': 'has space' });
    expect(badKey.body.error).toMatchObject({ field: 'Idempotency-Key' });
  });
});
