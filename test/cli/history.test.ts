/**
 * `blox list-deployments` and `blox diff-revisions` against a stand-in API: the requests they send,
 * the pages they follow, JSON by default and the tables with --table, usage errors (exit 2) and the
 * API's refusals (exit 1, one line).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentHistoryItem, RevisionDiff } from '../../cli/client';
import { main } from '../../cli/main';
import { notFound, startFakeApi, type FakeApi } from './fake-api';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.handle(notFound);
});

async function blox(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stdin: Readable.from([]),
    stdinIsTTY: true,
    stdoutIsTTY: false,
    env: { BLOX_API_URL: api.url },
  });
  return { code, stdout, stderr };
}

const NAME = 'Web/Prod';
const PATH = `/environments/${encodeURIComponent(NAME)}`;
const deployment = (n: number, extra: Partial<DeploymentHistoryItem> = {}): DeploymentHistoryItem => ({
  DeploymentId: `${NAME}:${n}@20261130120${n}0000`,
  EnvironmentRevision: n,
  Kind: 'deploy',
  Trigger: { Kind: 'User', By: 'local', Reason: null },
  StartedAt: `2026-11-30T12:0${n}:00.000Z`,
  EndedAt: `2026-11-30T12:0${n}:30.000Z`,
  Outcome: 'Completed',
  DurationSeconds: 30,
  Reason: null,
  EndedBy: null,
  ...extra,
});
/** Five deployments, newest first, served `limit` at a time (token: the index to go on from). */
const HISTORY = [
  deployment(5, { EndedAt: null, Outcome: 'InProgress', DurationSeconds: null }),
  deployment(4, { Kind: 'rollback', Trigger: { Kind: 'Alarm', By: null, Reason: 'alarm web-5xx entered ALARM' }, DurationSeconds: 3725 }),
  deployment(3, { Outcome: 'RolledBack', DurationSeconds: 95, Reason: 'alarm web-5xx entered ALARM' }),
  deployment(2, { Kind: 'rollback', Trigger: { Kind: 'Abort', By: 'arn:aws:iam::1:user/ops', Reason: 'abort-deployment by arn:aws:iam::1:user/ops' }, DurationSeconds: 41.25 }),
  deployment(1),
];
const serveHistory = () =>
  api.handle((request) => {
    if (request.path !== `${PATH}/deployments`) return { status: 404, body: { error: { code: 'NotFound', message: 'no route' } } };
    const from = Number(request.query.get('nextToken') ?? 0);
    const limit = Number(request.query.get('limit') ?? 25);
    const page = HISTORY.slice(from, from + limit);
    const next = from + limit < HISTORY.length ? { NextToken: String(from + limit) } : {};
    return { status: 200, body: { EnvironmentName: NAME, Deployments: page, ...next } };
  });

describe('blox list-deployments', () => {
  it('follows every page and prints one JSON answer, newest first', async () => {
    serveHistory();
    const result = await blox(['list-deployments', '--environment-name', NAME]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(JSON.parse(result.stdout)).toEqual({ EnvironmentName: NAME, Deployments: HISTORY });
    expect(api.requests.map((r) => [r.method, r.path, r.query.get('limit'), r.query.get('nextToken')])).toEqual([['GET', `${PATH}/deployments`, '100', null]]);
  });

  it('--max-items N stops after N with the NextToken; --starting-token goes on from it', async () => {
    serveHistory();
    const first = await blox(['list-deployments', '--environment-name', NAME, '--max-items', '2']);
    expect(JSON.parse(first.stdout)).toEqual({ EnvironmentName: NAME, Deployments: HISTORY.slice(0, 2), NextToken: '2' });
    const rest = await blox(['list-deployments', '--environment-name', NAME, '--starting-token', '2']);
    expect(JSON.parse(rest.stdout)).toEqual({ EnvironmentName: NAME, Deployments: HISTORY.slice(2) });
    expect(api.requests.map((r) => [r.query.get('limit'), r.query.get('nextToken')])).toEqual([['2', null], ['100', '2']]);
    // With --table the rows go to stdout and the token to stderr.
    const table = await blox(['list-deployments', '--environment-name', NAME, '--max-items', '1', '--table']);
    expect([table.code, table.stdout.trimEnd().split('\n').length, table.stderr]).toEqual([0, 2, 'NextToken: 1\n']);
  });

  it('--table: one row per deployment, the trigger the person or what triggered it, durations readable', async () => {
    serveHistory();
    const result = await blox(['list-deployments', '--environment-name', NAME, '--table']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));
    expect(lines).toEqual([
      ['DEPLOYMENT', 'KIND', 'REVISION', 'TRIGGER', 'STARTED', 'DURATION', 'OUTCOME'],
      [HISTORY[0]!.DeploymentId, 'deploy', '5', 'local', '2026-11-30T12:05:00.000Z', '-', 'InProgress'],
      [HISTORY[1]!.DeploymentId, 'rollback', '4', 'Alarm', '2026-11-30T12:04:00.000Z', '1h02m05s', 'Completed'],
      [HISTORY[2]!.DeploymentId, 'deploy', '3', 'local', '2026-11-30T12:03:00.000Z', '1m35s', 'RolledBack'],
      [HISTORY[3]!.DeploymentId, 'rollback', '2', 'Abort by arn:aws:iam::1:user/ops', '2026-11-30T12:02:00.000Z', '41.3s', 'Completed'],
      [HISTORY[4]!.DeploymentId, 'deploy', '1', 'local', '2026-11-30T12:01:00.000Z', '30s', 'Completed'],
    ]);
  });

  it('refuses a missing --environment-name or a bad --max-items (exit 2, nothing sent); the API\'s 404 is exit 1, one line', async () => {
    expect((await blox(['list-deployments'])).code).toBe(2);
    expect((await blox(['list-deployments', '--environment-name', NAME, '--max-items', '0'])).code).toBe(2);
    expect(api.requests).toEqual([]);
    api.handle(() => ({ status: 404, body: { error: { code: 'NotFound', message: `environment "${NAME}" does not exist` } } }));
    const missing = await blox(['list-deployments', '--environment-name', NAME]);
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([1, '', `blox: environment "${NAME}" does not exist\n`]);
  });
});

const DIFF: RevisionDiff = {
  EnvironmentName: NAME,
  From: 1,
  To: 2,
  SpecChanges: [
    { Field: 'DeploymentConfiguration.MinHealthyPercent', From: 100, To: 50 },
    { Field: 'TaskDefinition', From: 'web:1', To: 'web:2' },
  ],
  TaskDefinition: {
    From: 'web:1',
    To: 'web:2',
    Changes: [
      { Field: 'containers.web.environment.FEATURE', From: null, To: 'on' },
      { Field: 'containers.web.image', From: 'registry/web:1.0', To: 'registry/web:1.1' },
    ],
    Error: null,
  },
};

describe('blox diff-revisions', () => {
  it('asks for the two revisions and prints the JSON answer', async () => {
    api.handle(() => ({ status: 200, body: DIFF }));
    const result = await blox(['diff-revisions', '--environment-name', NAME, '--from', '1', '--to', '2']);
    expect([result.code, JSON.parse(result.stdout)]).toEqual([0, DIFF]);
    expect(api.requests.map((r) => [r.method, r.path, r.query.get('from'), r.query.get('to')])).toEqual([['GET', `${PATH}/revision-diff`, '1', '2']]);
  });

  it('--table: the changed fields, FROM → TO, under the spec and the task definition', async () => {
    api.handle(() => ({ status: 200, body: DIFF }));
    const result = await blox(['diff-revisions', '--environment-name', NAME, '--from', '1', '--to', '2', '--table']);
    expect(result.stdout).toBe(
      [
        'Web/Prod: revision 1 → 2',
        'Spec:',
        '  DeploymentConfiguration.MinHealthyPercent    100 → 50',
        '  TaskDefinition                               web:1 → web:2',
        'Task definition web:1 → web:2:',
        '  containers.web.environment.FEATURE    (none) → on',
        '  containers.web.image                  registry/web:1.0 → registry/web:1.1',
        '',
      ].join('\n'),
    );
    api.handle(() => ({ status: 200, body: { ...DIFF, From: 2, SpecChanges: [], TaskDefinition: { From: 'web:2', To: 'gone:1', Changes: null, Error: 'DescribeTaskDefinition gone:1: ClientException: Unable to describe task definition.' } } }));
    const unreadable = await blox(['diff-revisions', '--environment-name', NAME, '--from', '2', '--to', '2', '--table']);
    expect(unreadable.stdout.split('\n').slice(1, 5)).toEqual(['Spec:', '  (no changes)', 'Task definition web:2 → gone:1:', '  (not described: DescribeTaskDefinition gone:1: ClientException: Unable to describe task definition.)']);
  });

  it('refuses missing or malformed revisions before sending anything (exit 2); the API\'s 404 naming the field is exit 1', async () => {
    for (const args of [['--from', '1'], ['--to', '2'], ['--from', 'one', '--to', '2'], ['--from', '1', '--to', '0']]) {
      const result = await blox(['diff-revisions', '--environment-name', NAME, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
    }
    expect(api.requests).toEqual([]);
    api.handle(() => ({ status: 404, body: { error: { code: 'NotFound', message: `to: revision 9 of environment "${NAME}" does not exist (the latest is 2)` } } }));
    const missing = await blox(['diff-revisions', '--environment-name', NAME, '--from', '1', '--to', '9']);
    expect([missing.code, missing.stderr]).toEqual([1, `blox: to: revision 9 of environment "${NAME}" does not exist (the latest is 2)\n`]);
  });
});
