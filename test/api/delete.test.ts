/**
 * POST /environments/{name}/deletion through the real handlers and store (DynamoDB Local): bad
 * input is a 400 naming the field, an unknown environment a 404, a refusal a 409 — and none of them
 * writes anything; a never-deployed environment is Deleted at once, then refuses commands, and its
 * name can be used again (its revisions go on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../support/api';
import { env, startTestApi } from '../support/api';

const NAME = 'Api/Delete';
const SPEC = { Name: NAME, TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon', InstanceGroup: { Query: 'attribute:stack == prod' } };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

describe('POST /environments/{name}/deletion', () => {
  it('refuses bad input naming the field, and an unknown environment, writing nothing', async () => {
    expect((await api.call('POST', '/environments', SPEC)).status).toBe(201);
    const version = (await api.eventLog.load(NAME))?.version;
    const badForce = await api.call('POST', `${env(NAME)}/deletion`, { Force: 'yes' });
    expect(badForce.status).toBe(400);
    expect(JSON.stringify(badForce.body)).toContain('Force: expected true or false');
    const unknownField = await api.call('POST', `${env(NAME)}/deletion`, { Forced: true });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body)).toContain('Forced');
    const missing = await api.call('POST', `${env('Api/Nobody')}/deletion`, {});
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'NotFound', message: 'environment "Api/Nobody" does not exist' });
    expect((await api.eventLog.load(NAME))?.version).toBe(version);
    expect(await api.eventLog.load('Api/Nobody')).toBeUndefined();
  });

  it('never deployed: Deleted at once (202); then commands are 409 naming the deletion; create again starts afresh at revision 2', async () => {
    const deleted = await api.call('POST', `${env(NAME)}/deletion`);
    expect(deleted.status).toBe(202);
    expect(deleted.body).toMatchObject({ EnvironmentName: NAME, Status: 'Deleted', Tasks: 0 });
    expect((await api.call('GET', env(NAME))).body).toMatchObject({ Status: 'Deleted', Deletion: { DeletionId: deleted.body.DeletionId, Force: false, TasksAtStart: 0 } });
    const deploy = await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 1 });
    expect(deploy.status).toBe(409);
    expect(JSON.stringify(deploy.body)).toMatch(/environment \\"Api\/Delete\\" was deleted at .*: deploy-environment is refused/);
    expect((await api.call('POST', `${env(NAME)}/deletion`, { Force: true })).status).toBe(409);
    const again = await api.call('POST', '/environments', SPEC);
    expect(again).toMatchObject({ status: 201, body: { EnvironmentRevision: 2 } });
    expect((await api.call('GET', env(NAME))).body).toMatchObject({ Status: 'Created', LatestRevision: 2, Deletion: null });
    // The log kept everything: created, revision 1, deleted, created again, revision 2.
    expect((await api.eventLog.readEvents(NAME)).map((e) => e.event.type)).toEqual(['EnvironmentCreated', 'RevisionCreated', 'EnvironmentDeleted', 'EnvironmentCreated', 'RevisionCreated']);
  });
});
