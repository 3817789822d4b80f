/**
 * The dashboard's read routes through the real handlers and store (DynamoDB Local):
 * - GET /environments/{name}/events: the revision log a page at a time (`limit` from `fromSequence`,
 *   `NextSequence` while more follow), each event with its trigger, caller and reason;
 * - GET /environments/{name}/instances: the engine's picture of the instances in the group (ACTIVE
 *   and DRAINING, not OUT), with their tasks, `limit` a page, `NextToken` while more follow; for a
 *   Service, its task sets' tasks instead, a page at a time by ARN.
 * Bad input is a 400 naming the parameter; an unknown environment a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import type { Observation, TaskSighting } from '../../domain/rollout';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { DynamoObservationStore } from '../../functions/adapters/observation-store';
import { appendWithRetry } from '../../functions/commands';
import type { TestApi } from '../support/api';
import { env, startTestApi } from '../support/api';

const NAME = 'Api/Dashboard';
const SPEC = { Name: NAME, TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon', InstanceGroup: { Query: 'attribute:stack == prod' } };
const CLUSTER = 'arn:aws:ecs:us-east-1:000000000000';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

async function record(events: EnvironmentEvent[]): Promise<void> {
  await appendWithRetry(api.eventLog, NAME, () => ({ events }), { attempts: 1 });
}

describe('GET /environments/{name}/events', () => {
  it('pages the log from a sequence number; an abort shows its caller and reason, its rollback the trigger Abort', async () => {
    // Given revision 1 deployed and completed, revision 2 deploying, then aborted
    expect((await api.call('POST', '/environments', SPEC)).status).toBe(201);
    expect((await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 1 })).status).toBe(201);
    await record([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: Date.parse('2026-11-21T10:00:00.000Z') }]);
    expect((await api.call('POST', `${env(NAME)}/revisions`, { Revision: 1, TaskDefinition: 'log-daemon:2' })).status).toBe(201);
    expect((await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 2 })).status).toBe(201);
    expect((await api.call('POST', `${env(NAME)}/deployment/abort`, { Reason: 'error rate' })).status).toBe(201);

    // When the whole log is read
    const all = await api.call('GET', `${env(NAME)}/events`);
    expect(all.status).toBe(200);
    expect(all.body.Events.map((e: { Sequence: number; Type: string }) => `${e.Sequence} ${e.Type}`)).toEqual([
      '1 EnvironmentCreated',
      '2 RevisionCreated',
      '3 DeploymentStarted',
      '4 DeploymentCompleted',
      '5 RevisionCreated',
      '6 DeploymentStarted',
      '7 DeploymentAborted',
      '8 RollbackStarted',
    ]);
    expect(all.body.NextSequence).toBeUndefined();
    expect(all.body.Events[3]).toEqual({ Sequence: 4, Type: 'DeploymentCompleted', At: '2026-11-21T10:00:00.000Z', Revision: 1, Trigger: null, By: null, Reason: null, Detail: { retired: [] } });
    expect(all.body.Events[6]).toMatchObject({ Type: 'DeploymentAborted', Revision: 1, Trigger: 'User', By: 'local', Reason: 'error rate' });
    expect(all.body.Events[7]).toMatchObject({ Type: 'RollbackStarted', Revision: 1, Trigger: 'Abort', Reason: 'abort-deployment by local: error rate', Detail: { reverting: [2] } });
    expect(all.body.Events[7].Detail.spec).toBeUndefined();

    // Then 3 at a time from 2: 2–4 (next 5), 5–7 (next 8), 8 (no next)
    const page = async (from: number) => (await api.call('GET', `${env(NAME)}/events?limit=3&fromSequence=${from}`)).body;
    const first = await page(2);
    expect(first.Events.map((e: { Sequence: number }) => e.Sequence)).toEqual([2, 3, 4]);
    expect(first.NextSequence).toBe(5);
    expect((await page(5)).NextSequence).toBe(8);
    const last = await page(8);
    expect(last.Events.map((e: { Sequence: number }) => e.Sequence)).toEqual([8]);
    expect(last.NextSequence).toBeUndefined();
    expect((await page(9)).Events).toEqual([]);
  });

  it('bad limit or fromSequence: 400 naming it; an unknown environment: 404', async () => {
    const limit = await api.call('GET', `${env(NAME)}/events?limit=0`);
    expect(limit.status).toBe(400);
    expect(limit.body.error).toMatchObject({ field: 'limit', message: 'limit: expected an integer from 1 to 1000' });
    const from = await api.call('GET', `${env(NAME)}/events?fromSequence=x`);
    expect(from.body.error).toMatchObject({ field: 'fromSequence' });
    expect((await api.call('GET', `${env('Api/Nobody')}/events`)).status).toBe(404);
  });
});

describe('GET /environments/{name}/instances', () => {
  const instance = (n: number) => `${CLUSTER}:container-instance/default/${String(n).padStart(32, '0')}`;
  const task = (n: number, instanceArn: string, revision: number, lastStatus: TaskSighting['lastStatus'], stoppedAt?: number): TaskSighting => ({
    arn: `${CLUSTER}:task/default/${String(n).padStart(32, 'a')}`,
    instanceArn,
    revision,
    lastStatus,
    desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    health: 'UNKNOWN',
    version: 1,
    ...(stoppedAt ? { stoppedAt, stoppedReason: 'Essential container in task exited' } : {}),
  });

  it('no picture yet: no instances, LookedAt null', async () => {
    const answer = await api.call('GET', `${env(NAME)}/instances`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ EnvironmentName: NAME, DeploymentType: 'Daemon', DeploymentId: null, LookedAt: null, InstanceCount: 0, Instances: [] });
  });

  it('pages the instances in the group by ARN with their tasks, running ones first; OUT instances are left out', async () => {
    // Given a picture of 3 instances (the third OUT of the group) and their tasks
    const observation: Observation = {
      deploymentId: `${NAME}:2@x`,
      query: 'attribute:stack == prod',
      lookedAt: Date.parse('2026-11-21T10:05:00.000Z'),
      healthLookedAt: 0,
      instances: new Map([
        [instance(2), { status: 'DRAINING', version: 0 }],
        [instance(1), { status: 'ACTIVE', version: 0 }],
        [instance(3), { status: 'OUT', version: 0 }],
      ]),
      tasks: new Map(
        [task(1, instance(1), 1, 'STOPPED', 1000), task(2, instance(1), 2, 'PENDING'), task(3, instance(2), 1, 'RUNNING'), task(4, instance(3), 1, 'RUNNING')].map((t) => [t.arn, t]),
      ),
      toLookUp: new Set(),
      relist: false,
    };
    await new DynamoObservationStore(createDocumentClient(api.endpoint), api.tableName).save(NAME, observation, undefined);

    // When it is read one instance a page
    const first = await api.call('GET', `${env(NAME)}/instances?limit=1`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ DeploymentId: `${NAME}:2@x`, LookedAt: '2026-11-21T10:05:00.000Z', InstanceCount: 2 });
    expect(first.body.Instances).toEqual([
      {
        InstanceId: String(1).padStart(32, '0'),
        Status: 'ACTIVE',
        Tasks: [
          { TaskId: String(2).padStart(32, 'a'), Revision: 2, LastStatus: 'PENDING', DesiredStatus: 'RUNNING', Health: 'UNKNOWN' },
          { TaskId: String(1).padStart(32, 'a'), Revision: 1, LastStatus: 'STOPPED', DesiredStatus: 'STOPPED', Health: 'UNKNOWN', StoppedReason: 'Essential container in task exited' },
        ],
      },
    ]);
    const second = await api.call('GET', `${env(NAME)}/instances?limit=1&nextToken=${encodeURIComponent(first.body.NextToken)}`);
    expect(second.body.Instances.map((i: { InstanceId: string; Status: string }) => [i.InstanceId, i.Status])).toEqual([[String(2).padStart(32, '0'), 'DRAINING']]);
    expect(second.body.NextToken).toBeUndefined();
    // Then all of them in one page
    expect((await api.call('GET', `${env(NAME)}/instances`)).body.Instances).toHaveLength(2);
  });

  it("a Service: no instances, its task sets' tasks a page at a time by ARN, as its last full look saw them", async () => {
    // Given a Service environment and the picture its engine kept: tasks of task sets 1 and 2
    const name = 'Api/DashboardService';
    expect((await api.call('POST', '/environments', { Name: name, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 2 })).status).toBe(201);
    const tasks = [task(7, '', 2, 'PENDING'), task(5, '', 1, 'RUNNING'), { ...task(6, '', 1, 'RUNNING'), health: 'UNHEALTHY' as const }];
    const observation: Observation = {
      deploymentId: `${name}:2@y`,
      query: undefined,
      lookedAt: Date.parse('2026-11-21T10:06:00.000Z'),
      healthLookedAt: 0,
      instances: new Map(),
      tasks: new Map(tasks.map((t) => [t.arn, t])),
      toLookUp: new Set(),
      relist: false,
    };
    await new DynamoObservationStore(createDocumentClient(api.endpoint), api.tableName).save(name, observation, undefined);

    // When they are read two a page: tasks 5 and 6 (by ARN), then 7
    const first = await api.call('GET', `${env(name)}/instances?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ DeploymentType: 'Service', DeploymentId: `${name}:2@y`, LookedAt: '2026-11-21T10:06:00.000Z', InstanceCount: 0, Instances: [], TaskCount: 3 });
    expect(first.body.Tasks).toEqual([
      { TaskId: String(5).padStart(32, 'a'), Revision: 1, LastStatus: 'RUNNING', DesiredStatus: 'RUNNING', Health: 'UNKNOWN' },
      { TaskId: String(6).padStart(32, 'a'), Revision: 1, LastStatus: 'RUNNING', DesiredStatus: 'RUNNING', Health: 'UNHEALTHY' },
    ]);
    const second = await api.call('GET', `${env(name)}/instances?limit=2&nextToken=${encodeURIComponent(first.body.NextToken)}`);
    expect(second.body.Tasks).toEqual([{ TaskId: String(7).padStart(32, 'a'), Revision: 2, LastStatus: 'PENDING', DesiredStatus: 'RUNNING', Health: 'UNKNOWN' }]);
    expect(second.body.NextToken).toBeUndefined();
  });

  it('bad limit or nextToken: 400 naming it', async () => {
    expect((await api.call('GET', `${env(NAME)}/instances?limit=5001`)).body.error).toMatchObject({ field: 'limit', message: 'limit: expected an integer from 1 to 5000' });
    const token = await api.call('GET', `${env(NAME)}/instances?nextToken=nope`);
    expect(token.status).toBe(400);
    expect(token.body.error).toMatchObject({ field: 'nextToken', message: 'nextToken: not a token this API gave out' });
    expect((await api.call('GET', `${env('Api/Nobody')}/instances`)).status).toBe(404);
  });
});
