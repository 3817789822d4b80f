/**
 * `GET /environments/{name}/status?all=true` a page at a time: `limit` rows (100 unless given, at
 * most 1000) from `nextToken`, `NextToken` while more follow; without it the answer is as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../domain/spec';
import { runCommand } from '../../functions/commands';
import type { TestApi } from '../support/api';
import { env, startTestApi } from '../support/api';

const NAME = 'Paged/Env';
const spec = (n: number): EnvironmentSpec => ({ Name: NAME, TaskDefinition: `log-daemon:${n}`, DeploymentType: 'Daemon' });
const REVISIONS = 102;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  let clock = Date.parse('2026-11-21T10:00:00.000Z');
  const at = () => new Date((clock += 1000)).toISOString();
  const reply = () => ({ statusCode: 200, body: {} });
  await runCommand(api.eventLog, { environment: NAME, command: { type: 'CreateEnvironment', spec: spec(1), at: at() }, reply });
  for (let n = 2; n <= REVISIONS; n++) {
    await runCommand(api.eventLog, { environment: NAME, command: { type: 'UpdateEnvironment', name: NAME, patch: spec(n), at: at() }, reply });
  }
  // The newest revision deploys: its row on the last page shows the live status.
  await runCommand(api.eventLog, { environment: NAME, command: { type: 'DeployRevision', name: NAME, revision: REVISIONS, at: at() }, reply });
}, 120_000);
afterAll(async () => {
  await api.close();
});

const path = (query: string) => `${env(NAME)}/status?${query}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
const numbers = (body: any): number[] => body.Revisions.map((r: { EnvironmentRevision: number }) => r.EnvironmentRevision);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('describe-environment-status --all, a page at a time', () => {
  it('answers 100 revisions and a NextToken, then the rest without one', async () => {
    const first = await api.call('GET', path('all=true'));
    expect(first.status).toBe(200);
    expect(Object.keys(first.body)).toEqual(['EnvironmentName', 'Status', 'Frozen', 'Deployment', 'Revisions', 'NextToken']);
    expect(numbers(first.body)).toEqual(range(1, 100));
    const rest = await api.call('GET', path(`all=true&nextToken=${encodeURIComponent(first.body.NextToken)}`));
    expect(numbers(rest.body)).toEqual([101, 102]);
    expect(rest.body.NextToken).toBeUndefined();
    expect(rest.body.Revisions.at(-1)).toMatchObject({ Revision: `${NAME}:102`, Status: 'Deploying' });
    expect(first.body.Revisions[0]).toMatchObject({ Revision: `${NAME}:1`, Status: 'Created', Desired: 0, Current: 0, StatusReason: null });
  });

  it('takes a limit from 1 to 1000; the page that reaches the end carries no token', async () => {
    const pages: number[][] = [];
    let token: string | undefined;
    do {
      const page = await api.call('GET', path(`all=true&limit=40${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`));
      expect(page.status).toBe(200);
      pages.push(numbers(page.body));
      token = page.body.NextToken;
    } while (token && pages.length < 10);
    expect(pages).toEqual([range(1, 40), range(41, 80), range(81, 102)]);
    const whole = await api.call('GET', path('all=true&limit=1000'));
    expect([numbers(whole.body).length, whole.body.NextToken]).toEqual([102, undefined]);
    expect(numbers((await api.call('GET', path('all=true&limit=102'))).body)).toEqual(range(1, 102));
    expect((await api.call('GET', path('all=true&limit=102'))).body.NextToken).toBeUndefined();
  });

  it('without all=true: the live revisions only, no token, as before', async () => {
    const live = await api.call('GET', `${env(NAME)}/status`);
    expect(Object.keys(live.body)).toEqual(['EnvironmentName', 'Status', 'Frozen', 'Deployment', 'Revisions']);
    expect(numbers(live.body)).toEqual([102]);
  });

  it('refuses a bad limit or token with a 400 naming the field', async () => {
    const refused = async (query: string) => {
      const answer = await api.call('GET', path(query));
      return [answer.status, answer.body?.error?.code, answer.body?.error?.field];
    };
    for (const limit of ['0', '1001', 'abc', '-1', '']) {
      expect(await refused(`all=true&limit=${limit}`), limit).toEqual([400, 'ValidationError', 'limit']);
    }
    for (const token of ['garbage', Buffer.from('after:0').toString('base64url'), '', '%00']) {
      expect(await refused(`all=true&nextToken=${token}`), token).toEqual([400, 'ValidationError', 'nextToken']);
    }
    expect(await refused('limit=5')).toEqual([400, 'ValidationError', 'limit']);
    expect(await refused(`nextToken=${Buffer.from('after:3').toString('base64url')}`)).toEqual([400, 'ValidationError', 'nextToken']);
    expect(await refused('all=false&limit=5')).toEqual([400, 'ValidationError', 'limit']);
  });
});
