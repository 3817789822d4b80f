/**
 * 100 concurrent updates on the same base revision, through the HTTP API on DynamoDB Local:
 * exactly one new revision, 99 conflicts, and a log with no gap and no duplicate.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestApi } from '../support/api';
import { env, startTestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

it('100 concurrent updates on the same base → 1 × 201, 99 × 409, the log gapless', async () => {
  const name = 'Race/Env';
  expect((await api.call('POST', '/environments', { Name: name, TaskDefinition: 'd:1', DeploymentType: 'Daemon' })).status).toBe(201);
  const answers = await Promise.all(
    Array.from({ length: 100 }, (_, i) => api.call('POST', `${env(name)}/revisions`, { Revision: 1, TaskDefinition: `d:${i + 2}` })),
  );
  const byStatus = answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});
  expect(byStatus).toEqual({ 201: 1, 409: 99 });
  expect(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'Conflict')).toBe(true);

  const events = await api.eventLog.readEvents(name);
  expect(events.map((e) => e.sequence)).toEqual([1, 2, 3]);
  expect(events.map((e) => e.event.type)).toEqual(['EnvironmentCreated', 'RevisionCreated', 'RevisionCreated']);
  const state = await api.eventLog.load(name);
  expect(state).toMatchObject({ version: 3, latestRevision: 2 });
  const winner = answers.find((a) => a.status === 201)!;
  expect(winner.body).toEqual({ EnvironmentRevision: 2 });
  // The projection's spec is the winner's, and the revision table has exactly two rows.
  const rows = await api.eventLog.listRevisions(name);
  expect(rows.map((r) => r.revision)).toEqual([1, 2]);
  expect(rows[1]!.spec.TaskDefinition).toBe(state!.latestSpec.TaskDefinition);
});

it('concurrent deploys and freezes that do not depend on a base all land, in some order, without gaps', async () => {
  const name = 'Race/Mixed';
  await api.call('POST', '/environments', { Name: name, TaskDefinition: 'd:1', DeploymentType: 'Daemon' });
  await api.call('POST', `${env(name)}/revisions`, { Revision: 1, TaskDefinition: 'd:2' });
  const answers = await Promise.all([
    api.call('POST', `${env(name)}/deployments`, { EnvironmentRevision: 2 }),
    api.call('POST', `${env(name)}/freeze`),
    api.call('POST', `${env(name)}/revisions`, { Name: name, TaskDefinition: 'd:3', DeploymentType: 'Daemon' }),
  ]);
  // None is based on a revision: a lost race is retried against the new state, so all land.
  expect(answers.map((a) => a.status)).toEqual([201, 200, 201]);
  expect((await api.eventLog.load(name))?.latestRevision).toBe(3);
  const events = await api.eventLog.readEvents(name);
  expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  const state = await api.eventLog.load(name);
  expect(state?.version).toBe(events.length);
});
