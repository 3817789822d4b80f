/** `--watch` (redraw until at rest) and `blox wait environment-stable` against a fake API whose answers change. */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentStatus, RevisionStatusName } from '../../cli/client';
import { main } from '../../cli/main';
import { isAtRest, judgeStability } from '../../cli/watch';
import { DESCRIPTION_SUSPENDED, notFound, startFakeApi, type FakeApi, type Handler } from './fake-api';

const NAME = 'SomeEnvironment/Prod';
const STATUS_PATH = '/environments/SomeEnvironment%2FProd/status';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.handle(notFound);
});

async function blox(args: string[], options: { tty?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stdin: Readable.from([]),
    stdinIsTTY: true,
    stdoutIsTTY: options.tty ?? false,
    env: { BLOX_API_URL: api.url },
  });
  return { code, stdout, stderr };
}

type Row = [revision: number, status: RevisionStatusName, desired: number, current: number, reason?: string];

function status(rows: Row[], extra: Partial<EnvironmentStatus> = {}): EnvironmentStatus {
  return {
    EnvironmentName: NAME,
    Status: rows.find((row) => row[1] !== 'Inactive' && row[1] !== 'Reverted' && row[1] !== 'Created')?.[1] ?? 'Created',
    Frozen: false,
    Revisions: rows.map(([revision, rowStatus, desired, current, reason]) => ({
      EnvironmentRevision: revision,
      Revision: `${NAME}:${revision}`,
      Status: rowStatus,
      Desired: desired,
      Current: current,
      StatusReason: reason ?? null,
    })),
    ...extra,
  };
}

/** Answers the status route with each of `answers` in turn (the last one from then on). */
function sequence(answers: EnvironmentStatus[]): Handler {
  let calls = 0;
  return (request) => {
    if (request.path !== STATUS_PATH) return notFound(request);
    const body = answers[Math.min(calls, answers.length - 1)];
    calls += 1;
    return { status: 200, body };
  };
}

const REPLACE = [
  status([[1, 'Undeploying', 0, 5], [2, 'Deploying', 5, 0]]),
  status([[1, 'Undeploying', 0, 5], [2, 'Deploying', 5, 0]]),
  status([[1, 'Undeploying', 0, 4], [2, 'Deploying', 5, 0]]),
  status([[1, 'Undeploying', 0, 4], [2, 'Deploying', 5, 1]]),
  status([[1, 'Inactive', 0, 0], [2, 'Active', 5, 5]]),
];

describe('describe-environment-status --table --watch', () => {
  it('without a terminal: prints each changed table once, blank-line separated, until at rest; exit 0', async () => {
    api.handle(sequence(REPLACE));
    const result = await blox(['describe-environment-status', '--all', '--environment-name', NAME, '--table', '--watch', '--interval', '0.01']);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'REVISION                  STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod:1    Undeploying  0         5',
        'SomeEnvironment/Prod:2    Deploying    5         0',
        '',
        'REVISION                  STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod:1    Undeploying  0         4',
        'SomeEnvironment/Prod:2    Deploying    5         0',
        '',
        'REVISION                  STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod:1    Undeploying  0         4',
        'SomeEnvironment/Prod:2    Deploying    5         1',
        '',
        'REVISION                  STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod:1    Inactive     0         0',
        'SomeEnvironment/Prod:2    Active       5         5',
        '',
      ].join('\n'),
    });
    expect(api.requests).toHaveLength(5);
    expect(api.requests.every((request) => request.url === `${STATUS_PATH}?all=true`)).toBe(true);
  });

  it('on a terminal: redraws in place (cursor up by the previous line count, clear each line)', async () => {
    api.handle(sequence([REPLACE[0]!, REPLACE[4]!]));
    const result = await blox(['describe-environment-status', '--environment-name', NAME, '--table', '--watch', '--interval', '0.01'], {
      tty: true,
    });
    expect(result.code).toBe(0);
    const line = (text: string) => `\r\x1b[2K${text}\n`;
    expect(result.stdout).toBe(
      line('REVISION                  STATUS       DESIRED   CURRENT') +
        line('SomeEnvironment/Prod:1    Undeploying  0         5') +
        line('SomeEnvironment/Prod:2    Deploying    5         0') +
        '\x1b[J' +
        '\x1b[3A' +
        line('REVISION                  STATUS       DESIRED   CURRENT') +
        line('SomeEnvironment/Prod:1    Inactive     0         0') +
        line('SomeEnvironment/Prod:2    Active       5         5') +
        '\x1b[J',
    );
  });

  it('an environment already at rest: one table, one request', async () => {
    api.handle(sequence([REPLACE[4]!]));
    const result = await blox(['describe-environment-status', '--environment-name', NAME, '--table', '--watch']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(4);
    expect(api.requests).toHaveLength(1);
  });

  it('keeps watching through Stuck and Failing; JSON without --table', async () => {
    api.handle(
      sequence([
        status([[2, 'Undeploying', 0, 3], [3, 'Stuck', 6, 3, 'no progress']]),
        status([[2, 'Undeploying', 0, 3], [3, 'Failing', 6, 3, 'no progress']]),
        status([[3, 'Active', 6, 6]]),
      ]),
    );
    const result = await blox(['describe-environment-status', '--environment-name', NAME, '--watch', '--interval', '0.01']);
    expect(result.code).toBe(0);
    const documents = result.stdout.trim().split('\n\n').map((text) => JSON.parse(text) as EnvironmentStatus);
    expect(documents.map((document) => document.Revisions.map((row) => row.Status).join(','))).toEqual([
      'Undeploying,Stuck',
      'Undeploying,Failing',
      'Active',
    ]);
  });

  it('--interval without --watch is a usage error; so is a bad interval', async () => {
    expect((await blox(['describe-environment-status', '--environment-name', NAME, '--interval', '2'])).code).toBe(2);
    expect((await blox(['describe-environment-status', '--environment-name', NAME, '--watch', '--interval', '0'])).code).toBe(2);
    expect((await blox(['describe-environment', '--environment-name', NAME, '--interval', '2'])).code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it('an API error while watching: exit 1, one line', async () => {
    let calls = 0;
    api.handle(() => {
      calls += 1;
      return calls === 1
        ? { status: 200, body: REPLACE[0] }
        : { status: 404, body: { error: { code: 'NotFound', message: `no environment ${NAME}` } } };
    });
    const result = await blox(['describe-environment-status', '--environment-name', NAME, '--table', '--watch', '--interval', '0.01']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`blox: no environment ${NAME}\n`);
  });
});

describe('describe-environment --table --watch', () => {
  it('prints ENVIRONMENT STATUS DESIRED CURRENT on each change, until the status says at rest', async () => {
    const descriptions = [
      { ...DESCRIPTION_SUSPENDED, Status: 'Deploying', Frozen: false, Desired: 6, Current: 3 },
      { ...DESCRIPTION_SUSPENDED, Status: 'Deploying', Frozen: false, Desired: 6, Current: 5 },
      { ...DESCRIPTION_SUSPENDED, Status: 'Active', Frozen: false, Desired: 6, Current: 6, DeployingRevision: null, ActiveRevision: 3 },
    ];
    const statuses = [
      status([[2, 'Undeploying', 0, 3], [3, 'Deploying', 6, 3]]),
      status([[2, 'Undeploying', 0, 1], [3, 'Deploying', 6, 5]]),
      status([[3, 'Active', 6, 6]]),
    ];
    let described = 0;
    let statused = 0;
    api.handle((request) => {
      if (request.path === STATUS_PATH) return { status: 200, body: statuses[Math.min(statused++, 2)] };
      if (request.path === '/environments/SomeEnvironment%2FProd') return { status: 200, body: descriptions[Math.min(described++, 2)] };
      return notFound(request);
    });
    const result = await blox(['describe-environment', '--environment-name', NAME, '--table', '--watch', '--interval', '0.01']);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'ENVIRONMENT               STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod      Deploying    6         3',
        '',
        'ENVIRONMENT               STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod      Deploying    6         5',
        '',
        'ENVIRONMENT               STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod      Active       6         6',
        '',
      ].join('\n'),
    });
  });
});

describe('wait environment-stable', () => {
  const wait = (...extra: string[]) => blox(['wait', 'environment-stable', '--environment-name', NAME, '--interval', '0.01', ...extra]);

  it('stable at once: exit 0, prints nothing', async () => {
    api.handle(sequence([status([[1, 'Inactive', 0, 0], [2, 'Active', 5, 5]])]));
    expect(await wait()).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(api.requests.map((request) => request.url)).toEqual([`${STATUS_PATH}?all=true`]);
  });

  it('deploying, then stable: exit 0 after polling', async () => {
    api.handle(sequence(REPLACE));
    expect(await wait()).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(api.requests).toHaveLength(5);
  });

  it('a revision turns Failing: exit 1 with its reason', async () => {
    api.handle(
      sequence([
        status([[2, 'Undeploying', 0, 3], [3, 'Deploying', 6, 3]]),
        status([[2, 'Undeploying', 0, 3], [3, 'Stuck', 6, 3, 'CannotPullContainerError: image not found']]),
        status([[2, 'Stuck', 0, 3], [3, 'Failing', 6, 3, 'CannotPullContainerError: image not found']]),
      ]),
    );
    expect(await wait()).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: SomeEnvironment/Prod:3 is Failing: CannotPullContainerError: image not found\n',
    });
    expect(api.requests).toHaveLength(3);
  });

  it('the deployment is rolled back: exit 1', async () => {
    api.handle(
      sequence([
        status([[1, 'Undeploying', 0, 5], [2, 'Deploying', 5, 0]]),
        status([[1, 'Deploying', 5, 4], [2, 'Reverting', 0, 1]]),
      ]),
    );
    expect(await wait()).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: SomeEnvironment/Prod:2 was rolled back (it is Reverting)\n',
    });
  });

  it('the deployment is rolled back by a trigger: exit 1 with the trigger\'s reason', async () => {
    const reason = 'alarm daemon-errors entered ALARM at 2026-11-30T12:03:10.000Z (Threshold Crossed)';
    api.handle(
      sequence([
        status([[1, 'Undeploying', 0, 5], [2, 'Deploying', 5, 1]]),
        status([[1, 'Deploying', 5, 4], [2, 'Reverting', 0, 1, reason]]),
      ]),
    );
    expect(await wait()).toEqual({
      code: 1,
      stdout: '',
      stderr: `blox: SomeEnvironment/Prod:2 was rolled back (it is Reverting): ${reason}\n`,
    });
  });

  it('waiting on a rollback itself succeeds when the rolled-back-to revision is Active', async () => {
    api.handle(
      sequence([
        status([[1, 'Deploying', 5, 0], [2, 'Reverting', 0, 5]]),
        status([[1, 'Active', 5, 5], [2, 'Reverted', 0, 0]]),
      ]),
    );
    expect(await wait()).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('timeout: exit 1 with where it got to', async () => {
    api.handle(sequence([status([[1, 'Undeploying', 0, 4], [2, 'Deploying', 5, 1]])]));
    const started = performance.now();
    const result = await blox(['wait', 'environment-stable', '--environment-name', NAME, '--timeout', '0.3', '--interval', '0.05']);
    const elapsed = performance.now() - started;
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: timed out after 0.3 s waiting for SomeEnvironment/Prod to be stable: SomeEnvironment/Prod:2 is Deploying (1 of 5)\n',
    });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
    expect(api.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('nothing deployed: exit 1 at once', async () => {
    api.handle(sequence([status([[1, 'Created', 0, 0]])]));
    expect(await wait()).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: SomeEnvironment/Prod has no deployed revision (deploy one first)\n',
    });
  });

  it('an unknown environment: exit 1 with the API message; missing name: exit 2', async () => {
    api.handle(() => ({ status: 404, body: { error: { code: 'NotFound', message: `no environment ${NAME}` } } }));
    expect(await wait()).toEqual({ code: 1, stdout: '', stderr: `blox: no environment ${NAME}\n` });
    expect((await blox(['wait', 'environment-stable'])).code).toBe(2);
    expect((await blox(['wait', 'environment-stable', '--environment-name', NAME, '--timeout', 'soon'])).code).toBe(2);
  });

  it('the real process exits 1 on Failing', async () => {
    api.handle(sequence([status([[3, 'Failing', 6, 3, 'no progress for 900 s']])]));
    const bin = fileURLToPath(new URL('../../bin/blox.js', import.meta.url));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'wait', 'environment-stable', '--environment-name', NAME], {
        env: { ...process.env, BLOX_API_URL: api.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'blox: SomeEnvironment/Prod:3 is Failing: no progress for 900 s\n' });
  });
});

describe('isAtRest and judgeStability', () => {
  it('at rest: nothing Deploying, Undeploying, Reverting, Stuck or Failing', () => {
    expect(isAtRest(status([[1, 'Inactive', 0, 0], [2, 'Active', 5, 5], [3, 'Created', 0, 0]]))).toBe(true);
    expect(isAtRest(status([[1, 'Active', 5, 5], [2, 'Reverted', 0, 0]]))).toBe(true);
    expect(isAtRest(status([[1, 'Created', 0, 0]]))).toBe(true);
    for (const moving of ['Deploying', 'Undeploying', 'Reverting', 'Stuck', 'Failing'] as const) {
      expect(isAtRest(status([[1, 'Active', 5, 5], [2, moving, 5, 1]])), moving).toBe(false);
    }
  });

  it('a newer revision deploying supersedes the one waited on (no rollback)', () => {
    const waitedOn = new Set<number>();
    expect(judgeStability(status([[1, 'Undeploying', 0, 4], [2, 'Deploying', 5, 1]]), waitedOn).kind).toBe('pending');
    expect(judgeStability(status([[2, 'Undeploying', 0, 4], [3, 'Deploying', 5, 1]]), waitedOn).kind).toBe('pending');
    expect(judgeStability(status([[2, 'Inactive', 0, 0], [3, 'Active', 5, 5]]), waitedOn)).toEqual({ kind: 'stable' });
    expect([...waitedOn]).toEqual([2, 3]);
  });

  it('a frozen environment is pending, and says so', () => {
    expect(judgeStability(status([[2, 'Undeploying', 0, 3], [3, 'Deploying', 6, 3]], { Frozen: true, Status: 'Suspended' }), new Set())).toEqual({
      kind: 'pending',
      progress: 'SomeEnvironment/Prod:3 is Deploying (3 of 6) (SomeEnvironment/Prod is frozen)',
    });
  });
});

describe('wait environment-stable after the deployment already rolled itself back', () => {
  it('the newest deployed revision is Reverted with a trigger reason at the first poll: failed, with the reason', () => {
    expect(judgeStability(status([[1, 'Active', 6, 6], [2, 'Reverted', 0, 0, 'alarm web-5xx is in ALARM']]), new Set())).toEqual({
      kind: 'failed',
      reason: 'SomeEnvironment/Prod:2 was rolled back (it is Reverted): alarm web-5xx is in ALARM',
    });
  });

  it('a rollback asked for by hand leaves no reason: the revision rolled back to being Active is stable', () => {
    expect(judgeStability(status([[1, 'Active', 6, 6], [2, 'Reverted', 0, 0]]), new Set())).toEqual({ kind: 'stable' });
  });

  it('a revision deployed after the rolled-back one is what the wait is about', () => {
    expect(judgeStability(status([[2, 'Reverted', 0, 0, 'alarm web-5xx is in ALARM'], [3, 'Active', 6, 6]]), new Set())).toEqual({ kind: 'stable' });
  });
});

describe('update-environment deployment timing flags', () => {
  it('--stuck-after-seconds and --failing-after-seconds go into DeploymentConfiguration', async () => {
    api.handle(() => ({ status: 201, body: { EnvironmentRevision: 5 } }));
    const result = await blox([
      'update-environment',
      '--environment',
      NAME,
      '--revision',
      '4',
      '--task-definition',
      'log-daemon:9',
      '--stuck-after-seconds',
      '8',
      '--failing-after-seconds',
      '12',
    ]);
    expect(result).toEqual({ code: 0, stdout: '{ "EnvironmentRevision": 5 }\n', stderr: '' });
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      Revision: 4,
      TaskDefinition: 'log-daemon:9',
      DeploymentConfiguration: { StuckAfterSeconds: 8, FailingAfterSeconds: 12 },
    });
  });
});
