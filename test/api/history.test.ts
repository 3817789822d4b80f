/**
 * The history routes on the real API handlers (DynamoDB Local): `GET /environments/{name}/deployments`
 * (list-deployments: newest first, paged) and `GET /environments/{name}/revision-diff?from=A&to=B`
 * (diff-revisions: the specs' and the task definitions' changes). Deploys and rollbacks go through
 * the API (the caller is `local`); the engine's completions are appended as the engine appends them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentId } from '../../domain/environment';
import type { TaskDefinitionSummary } from '../../domain/revision-diff';
import { appendWithRetry } from '../../functions/commands';
import type { TaskDefinitionDescriptions } from '../../functions/ports';
import type { TestApi } from '../support/api';
import { env, startTestApi } from '../support/api';

const NAME = 'History/Env';
const T0 = Date.parse('2026-11-30T12:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
let now = T0;

const summary = (family: string, revision: number, image: string, environment: Record<string, string>): TaskDefinitionSummary => ({
  arn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`,
  family,
  revision,
  containers: [{ name: family, image, cpu: 1024, memory: 2048, environment, portMappings: [] }],
});
const described: string[] = [];
const taskDefinitions: TaskDefinitionDescriptions = {
  describe: async (taskDefinition) => {
    described.push(taskDefinition);
    if (taskDefinition === 'log-daemon:1') return summary('log-daemon', 1, 'registry/log-daemon:1.0', { LEVEL: 'info' });
    if (taskDefinition === 'log-daemon:2') return summary('log-daemon', 2, 'registry/log-daemon:1.1', { LEVEL: 'debug' });
    throw Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' });
  },
};

let api: TestApi;
/** The engine's completion of the deployment in progress, at `s`. */
const complete = async (revision: number, s: number) => {
  await appendWithRetry(api.eventLog, NAME, () => ({ events: [{ type: 'DeploymentCompleted', revision, retired: [], at: T0 + s * 1000 }] }), { attempts: 1 });
};
const at = (s: number) => {
  now = T0 + s * 1000;
};
const ok = async (method: string, path: string, body?: unknown) => {
  const answer = await api.call(method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};

beforeAll(async () => {
  api = await startTestApi({ clock: { now: () => new Date(now) }, extraDeps: { taskDefinitions } });
  at(0);
  await ok('POST', '/environments', { Name: NAME, TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon', InstanceGroup: { Query: 'attribute:stack == prod' } });
  at(1);
  await ok('POST', `${env(NAME)}/revisions`, { Revision: 1, TaskDefinition: 'log-daemon:2', DeploymentConfiguration: { MinHealthyPercent: 50 } });
  at(2);
  await ok('POST', `${env(NAME)}/revisions`, { Revision: 2, TaskDefinition: 'gone:1' });
  at(10);
  await ok('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 1 });
  await complete(1, 70);
  at(100);
  await ok('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 2 });
  at(130);
  await ok('POST', `${env(NAME)}/rollbacks`, { EnvironmentRevision: 1 });
  await complete(1, 160.25);
  at(200);
  await ok('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 3 });
}, 60_000);
afterAll(async () => {
  await api.close();
});

const user = { Kind: 'User', By: 'local', Reason: null };
const WHOLE = [
  { DeploymentId: deploymentId(NAME, 3, iso(200)), EnvironmentRevision: 3, Kind: 'deploy', Trigger: user, StartedAt: iso(200), EndedAt: null, Outcome: 'InProgress', DurationSeconds: null, Reason: null, EndedBy: null },
  { DeploymentId: deploymentId(NAME, 1, iso(130)), EnvironmentRevision: 1, Kind: 'rollback', Trigger: user, StartedAt: iso(130), EndedAt: iso(160.25), Outcome: 'Completed', DurationSeconds: 30.25, Reason: null, EndedBy: null },
  {
    DeploymentId: deploymentId(NAME, 2, iso(100)),
    EnvironmentRevision: 2,
    Kind: 'deploy',
    Trigger: user,
    StartedAt: iso(100),
    EndedAt: iso(130),
    Outcome: 'RolledBack',
    DurationSeconds: 30,
    Reason: 'rollback-environment to revision 1 by local',
    EndedBy: deploymentId(NAME, 1, iso(130)),
  },
  { DeploymentId: deploymentId(NAME, 1, iso(10)), EnvironmentRevision: 1, Kind: 'deploy', Trigger: user, StartedAt: iso(10), EndedAt: iso(70), Outcome: 'Completed', DurationSeconds: 60, Reason: null, EndedBy: null },
];

describe('GET /environments/{name}/deployments (list-deployments)', () => {
  it('answers every deployment, newest first, with its trigger, times, outcome and duration', async () => {
    const answer = await api.call('GET', `${env(NAME)}/deployments`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ EnvironmentName: NAME, Deployments: WHOLE });
  });

  it('pages with limit and nextToken; the page that reaches the first deployment has no token', async () => {
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const answer = await api.call('GET', `${env(NAME)}/deployments?limit=3${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
      expect(answer.status).toBe(200);
      pages.push(answer.body.Deployments.map((d: { DeploymentId: string }) => d.DeploymentId));
      token = answer.body.NextToken;
    } while (token && pages.length < 10);
    expect(pages).toEqual([WHOLE.slice(0, 3).map((d) => d.DeploymentId), [WHOLE[3]!.DeploymentId]]);
    const ones: unknown[] = [];
    token = undefined;
    do {
      const answer = await api.call('GET', `${env(NAME)}/deployments?limit=1${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
      ones.push(...answer.body.Deployments);
      token = answer.body.NextToken;
    } while (token && ones.length < 10);
    expect(ones).toEqual(WHOLE);
  });

  it('refuses a bad limit or token with a 400 naming it; an unknown environment is a 404', async () => {
    const refused = async (query: string) => {
      const answer = await api.call('GET', `${env(NAME)}/deployments?${query}`);
      return [answer.status, answer.body?.error?.code, answer.body?.error?.field];
    };
    for (const limit of ['0', '101', 'abc', '']) expect(await refused(`limit=${limit}`), limit).toEqual([400, 'ValidationError', 'limit']);
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const token of ['garbage', forged({ b: 0, c: {} }), forged({ b: 5, c: { next: { id: 'x', kind: 'upgrade', revision: 1, at: iso(0) } } }), forged({ b: 5, c: { completedAt: 'yesterday' } }), forged([1])]) {
      expect(await refused(`nextToken=${encodeURIComponent(token)}`), token).toEqual([400, 'ValidationError', 'nextToken']);
    }
    const missing = await api.call('GET', `${env('No/Such')}/deployments`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NotFound']);
  });
});

describe('GET /environments/{name}/revision-diff (diff-revisions)', () => {
  it('answers the spec changes and the task definitions\' changes, from DescribeTaskDefinition', async () => {
    described.length = 0;
    const answer = await api.call('GET', `${env(NAME)}/revision-diff?from=1&to=2`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      EnvironmentName: NAME,
      From: 1,
      To: 2,
      SpecChanges: [
        { Field: 'DeploymentConfiguration', From: null, To: { MinHealthyPercent: 50 } },
        { Field: 'TaskDefinition', From: 'log-daemon:1', To: 'log-daemon:2' },
      ],
      TaskDefinition: {
        From: 'log-daemon:1',
        To: 'log-daemon:2',
        Changes: [
          { Field: 'containers.log-daemon.environment.LEVEL', From: 'info', To: 'debug' },
          { Field: 'containers.log-daemon.image', From: 'registry/log-daemon:1.0', To: 'registry/log-daemon:1.1' },
        ],
        Error: null,
      },
    });
    expect(described.sort()).toEqual(['log-daemon:1', 'log-daemon:2']);
  });

  it('the same revision twice: no change, and no DescribeTaskDefinition call', async () => {
    described.length = 0;
    const answer = await api.call('GET', `${env(NAME)}/revision-diff?from=2&to=2`);
    expect([answer.status, answer.body.SpecChanges, answer.body.TaskDefinition]).toEqual([200, [], { From: 'log-daemon:2', To: 'log-daemon:2', Changes: [], Error: null }]);
    expect(described).toEqual([]);
  });

  it('a task definition ECS cannot describe: the spec diff, and the task definition part says why (not a 500)', async () => {
    const answer = await api.call('GET', `${env(NAME)}/revision-diff?from=2&to=3`);
    expect(answer.status).toBe(200);
    expect(answer.body.SpecChanges).toEqual([{ Field: 'TaskDefinition', From: 'log-daemon:2', To: 'gone:1' }]);
    expect(answer.body.TaskDefinition).toEqual({ From: 'log-daemon:2', To: 'gone:1', Changes: null, Error: 'DescribeTaskDefinition gone:1: ClientException: Unable to describe task definition.' });
  });

  it('refuses a missing or malformed revision with a 400 naming it, an unknown one with a 404 naming it', async () => {
    const refused = async (query: string) => {
      const answer = await api.call('GET', `${env(NAME)}/revision-diff?${query}`);
      return [answer.status, answer.body?.error?.code, answer.body?.error?.field ?? answer.body?.error?.message?.split(':')[0]];
    };
    expect(await refused('to=2')).toEqual([400, 'ValidationError', 'from']);
    expect(await refused('from=1')).toEqual([400, 'ValidationError', 'to']);
    expect(await refused('from=abc&to=2')).toEqual([400, 'ValidationError', 'from']);
    expect(await refused('from=1&to=0')).toEqual([400, 'ValidationError', 'to']);
    expect(await refused('from=9&to=2')).toEqual([404, 'NotFound', 'from']);
    expect(await refused('from=1&to=4')).toEqual([404, 'NotFound', 'to']);
    const missing = await api.call('GET', `${env('No/Such')}/revision-diff?from=1&to=2`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NotFound']);
  });
});
