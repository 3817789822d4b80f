/**
 * `describe-environment-status --all` over a revision table of several pages: every page followed
 * (JSON: one combined answer; --table: rows printed as the pages arrive, in the columns of the whole
 * table), `--max-items` / `--starting-token` as list-environments has them, `--watch` on all pages.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentStatus, RevisionStatusName } from '../../cli/client';
import { main } from '../../cli/main';
import { notFound, startFakeApi, type FakeApi, type Handler, type RecordedRequest } from './fake-api';

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
  const writes: string[] = [];
  const code = await main(args, {
    stdout: (text) => {
      stdout += text;
      writes.push(text);
    },
    stderr: (text) => (stderr += text),
    stdin: Readable.from([]),
    stdinIsTTY: true,
    stdoutIsTTY: false,
    env: { BLOX_API_URL: api.url },
  });
  return { code, stdout, stderr, writes };
}

/** 26 characters: its labels are wider than the table's minimum first column (26). */
const NAME = 'SomeEnvironment/Production';
const PATH = `/environments/${encodeURIComponent(NAME)}`;

const row = (n: number, status: RevisionStatusName = 'Inactive') => ({
  EnvironmentRevision: n,
  Revision: `${NAME}:${n}`,
  Status: status,
  Desired: status === 'Active' ? 5 : 0,
  Current: status === 'Active' ? 5 : 0,
  StatusReason: null,
  UpdatedAt: '2026-11-21T10:00:00.000Z',
});

/**
 * The read API over revisions 1..`total` (the last Active): pages of `limit` rows (its default 100)
 * but never more than `pageSize`, token "after:N"; GET /environments/{name} gives LatestRevision.
 */
function revisionTable(total: number, pageSize: number, header: Partial<EnvironmentStatus> = {}): Handler {
  return (request: RecordedRequest) => {
    if (request.path === PATH) return { status: 200, body: { EnvironmentName: NAME, LatestRevision: total } };
    if (request.path !== `${PATH}/status` || request.query.get('all') !== 'true') return notFound(request);
    const after = Number((request.query.get('nextToken') ?? 'after:0').slice('after:'.length));
    const limit = Math.min(Number(request.query.get('limit') ?? 100), pageSize);
    const numbers = Array.from({ length: total }, (_, i) => i + 1).filter((n) => n > after).slice(0, limit);
    const last = numbers.at(-1)!;
    return {
      status: 200,
      body: {
        EnvironmentName: NAME,
        Status: 'Active',
        Frozen: false,
        Revisions: numbers.map((n) => row(n, n === total ? 'Active' : 'Inactive')),
        ...(last < total ? { NextToken: `after:${last}` } : {}),
        ...header,
      },
    };
  };
}

describe('describe-environment-status --all over several pages', () => {
  it('JSON: follows every NextToken and prints one answer, as for one page', async () => {
    api.handle(revisionTable(12, 5));
    const result = await blox(['describe-environment-status', '--all', '--environment-name', NAME]);
    expect(result.code).toBe(0);
    const expected = { EnvironmentName: NAME, Status: 'Active', Frozen: false, Revisions: Array.from({ length: 12 }, (_, i) => row(i + 1, i === 11 ? 'Active' : 'Inactive')) };
    expect(result.stdout).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    // The first page at the API's default size (a small environment: one request, as before), the
    // following ones at 1000, the most the API gives: fewer round trips for a long history.
    expect(api.requests.map((r) => r.url)).toEqual([
      `${PATH}/status?all=true`,
      `${PATH}/status?all=true&limit=1000&nextToken=after%3A5`,
      `${PATH}/status?all=true&limit=1000&nextToken=after%3A10`,
    ]);
  });

  it('--table: prints each page as it arrives, in the columns of the whole table', async () => {
    api.handle(revisionTable(12, 9));
    const result = await blox(['describe-environment-status', '--all', '--table', '--environment-name', NAME]);
    // The widest label is "SomeEnvironment/Production:12" (29 characters): the first column is 33
    // wide on every page, though the first page's own labels (28) would make it 32.
    const line = (n: number) => `${`${NAME}:${n}`.padEnd(33)}${(n === 12 ? 'Active' : 'Inactive').padEnd(13)}${(n === 12 ? '5' : '0').padEnd(10)}${n === 12 ? '5' : '0'}`;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${`${'REVISION'.padEnd(33)}STATUS       DESIRED   CURRENT`}\n${Array.from({ length: 12 }, (_, i) => line(i + 1)).join('\n')}\n`);
    // Two writes: the first page (with the header), then the second.
    expect(result.writes).toHaveLength(2);
    expect(result.writes[1]).toBe(`${line(10)}\n${line(11)}\n${line(12)}\n`);
    expect(api.requests.map((r) => r.path)).toEqual([`${PATH}/status`, PATH, `${PATH}/status`]);
  });

  it('--table on one page: no extra request, the table as before', async () => {
    api.handle(revisionTable(3, 100));
    const result = await blox(['describe-environment-status', '--all', '--table', '--environment-name', NAME]);
    // "SomeEnvironment/Production:1" is 28 characters: a first column of 32.
    expect(result.stdout).toBe(
      'REVISION                        STATUS       DESIRED   CURRENT\n' +
        'SomeEnvironment/Production:1    Inactive     0         0\n' +
        'SomeEnvironment/Production:2    Inactive     0         0\n' +
        'SomeEnvironment/Production:3    Active       5         5\n',
    );
    expect(api.requests.map((r) => r.url)).toEqual([`${PATH}/status?all=true`]);
  });

  it('--max-items N: at most N revisions and the NextToken to resume from; --starting-token resumes', async () => {
    api.handle(revisionTable(130, 1000));
    const first = await blox(['describe-environment-status', '--all', '--max-items', '120', '--environment-name', NAME]);
    const answer = JSON.parse(first.stdout) as EnvironmentStatus;
    expect(answer.Revisions.map((r) => r.EnvironmentRevision)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(answer.NextToken).toBe('after:120');
    // Each page asks for no more than is still wanted: 100 (the first page's size), then 20.
    expect(api.requests.map((r) => r.query.get('limit'))).toEqual(['100', '20']);

    api.requests.length = 0;
    const rest = await blox(['describe-environment-status', '--all', '--starting-token', 'after:120', '--environment-name', NAME]);
    const resumed = JSON.parse(rest.stdout) as EnvironmentStatus;
    expect(resumed.Revisions.map((r) => r.EnvironmentRevision)).toEqual([121, 122, 123, 124, 125, 126, 127, 128, 129, 130]);
    expect(resumed.NextToken).toBeUndefined();
    expect(api.requests.map((r) => r.url)).toEqual([`${PATH}/status?all=true&nextToken=after%3A120`]);

    const table = await blox(['describe-environment-status', '--all', '--table', '--max-items', '2', '--environment-name', NAME]);
    expect(table.stdout.split('\n').slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual([`${NAME}:1`, `${NAME}:2`]);
    expect(table.stdout.split('\n')).toHaveLength(4); // header, 2 rows, final newline
  });

  it('--max-items or --starting-token without --all is a usage error; nothing is sent', async () => {
    api.handle(revisionTable(3, 100));
    const result = await blox(['describe-environment-status', '--max-items', '2', '--environment-name', NAME]);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: 'blox: describe-environment-status: --max-items needs --all\n' });
    expect((await blox(['describe-environment-status', '--starting-token', 'x', '--environment-name', NAME])).stderr).toBe(
      'blox: describe-environment-status: --starting-token needs --all\n',
    );
    expect(api.requests).toEqual([]);
  });

  it('--watch: each poll reads every page; at rest it stops', async () => {
    api.handle(revisionTable(7, 3));
    const result = await blox(['describe-environment-status', '--all', '--watch', '--table', '--environment-name', NAME]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(8); // header + 7 rows, printed once
    expect(api.requests.map((r) => r.query.get('nextToken'))).toEqual([null, 'after:3', 'after:6']);
  });

  it('stops on a NextToken the API repeats instead of asking forever', async () => {
    api.handle((request) =>
      request.path === PATH
        ? { status: 200, body: { LatestRevision: 9 } }
        : { status: 200, body: { EnvironmentName: NAME, Status: 'Active', Frozen: false, Revisions: [row(1)], NextToken: 'same' } },
    );
    const result = await blox(['describe-environment-status', '--all', '--environment-name', NAME]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('blox: the API returned the same NextToken twice (same)\n');
  });
});
