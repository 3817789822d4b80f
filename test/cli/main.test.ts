/** The commands, in process: argv → requests to a fake API → stdout, stderr, exit code. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import {
  DESCRIPTION_SUSPENDED,
  notFound,
  startFakeApi,
  STATUS_UNDEPLOYING,
  unusedPort,
  WALKTHROUGH_YAML,
  type FakeApi,
  type Handler,
} from './fake-api';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.handle(notFound);
});

async function blox(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdinIsTTY: options.stdin === undefined,
    env: { BLOX_API_URL: api.url, ...options.env },
  });
  return { code, stdout, stderr };
}

const answer =
  (status: number, body: unknown): Handler =>
  () => ({ status, body });

describe('mutating commands', () => {
  it('create-environment --yaml-file - sends the heredoc as YAML and prints the revision on one line', async () => {
    api.handle(answer(201, { EnvironmentRevision: 1 }));
    const result = await blox(['create-environment', '--yaml-file', '-'], { stdin: WALKTHROUGH_YAML });
    expect(result).toEqual({ code: 0, stdout: '{ "EnvironmentRevision": 1 }\n', stderr: '' });
    expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/environments', body: WALKTHROUGH_YAML });
    expect(api.requests[0]!.headers['content-type']).toBe('application/yaml');
  });

  it('create-environment --json-file - sends JSON', async () => {
    api.handle(answer(201, { EnvironmentRevision: 1 }));
    const json = '{"Name":"a","TaskDefinition":"x:1","DeploymentType":"Daemon"}';
    expect((await blox(['create-environment', '--json-file', '-'], { stdin: json })).code).toBe(0);
    expect(api.requests[0]!.headers['content-type']).toBe('application/json');
    expect(api.requests[0]!.body).toBe(json);
  });

  it('create-environment without a spec, or with both, is a usage error', async () => {
    expect(await blox(['create-environment'])).toMatchObject({ code: 2, stdout: '' });
    const both = await blox(['create-environment', '--yaml-file', 'a', '--json-file', 'b']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^blox: .*cannot be used with.*\n$/);
    expect(api.requests).toHaveLength(0);
  });

  it('update-environment --environment … --revision 1 --task-definition (the walkthrough)', async () => {
    api.handle(answer(201, { EnvironmentRevision: 2 }));
    const result = await blox([
      'update-environment',
      '--environment',
      'SomeEnvironment/Prod',
      '--revision',
      '1',
      '--task-definition',
      'log-daemon:2',
    ]);
    expect(result).toEqual({ code: 0, stdout: '{ "EnvironmentRevision": 2 }\n', stderr: '' });
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/environments/SomeEnvironment%2FProd/revisions' });
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ Revision: 1, TaskDefinition: 'log-daemon:2' });
  });

  it('update-environment accepts --environment-name and every field flag', async () => {
    api.handle(answer(201, { EnvironmentRevision: 3 }));
    const result = await blox([
      'update-environment',
      '--environment-name',
      'SomeEnvironment/Prod',
      '--revision',
      '2',
      '--instance-group-query',
      'attribute:stack in (prod, gamma)',
      '--desired-count',
      '0',
      '--min-healthy-percent',
      '50',
      '--method',
      'Surge',
      '--max-over',
      '20%',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      Revision: 2,
      InstanceGroup: { Query: 'attribute:stack in (prod, gamma)' },
      DesiredCount: 0,
      DeploymentConfiguration: { Method: 'Surge', MinHealthyPercent: 50, MaxOver: '20%' },
    });
  });

  it('update-environment --yaml-file - sends the whole spec as YAML, named by its Name', async () => {
    api.handle(answer(201, { EnvironmentRevision: 2 }));
    expect((await blox(['update-environment', '--yaml-file', '-'], { stdin: WALKTHROUGH_YAML })).code).toBe(0);
    expect(api.requests[0]).toMatchObject({ path: '/environments/SomeEnvironment%2FProd/revisions', body: WALKTHROUGH_YAML });
    expect(api.requests[0]!.headers['content-type']).toBe('application/yaml');
  });

  it('update-environment --yaml-file with --revision merges the revision in', async () => {
    api.handle(answer(201, { EnvironmentRevision: 2 }));
    expect((await blox(['update-environment', '--revision', '1', '--yaml-file', '-'], { stdin: WALKTHROUGH_YAML })).code).toBe(0);
    expect(JSON.parse(api.requests[0]!.body)).toMatchObject({ Name: 'SomeEnvironment/Prod', Revision: 1 });
  });

  it('update-environment usage errors exit 2 without a request', async () => {
    for (const args of [
      ['update-environment', '--environment', 'e', '--task-definition', 'x:1'],
      ['update-environment', '--environment', 'e', '--revision', 'one', '--task-definition', 'x:1'],
      ['update-environment', '--environment', 'e', '--revision', '0', '--task-definition', 'x:1'],
      ['update-environment', '--environment', 'e', '--revision', '1'],
      ['update-environment', '--environment', 'e', '--environment-name', 'f', '--revision', '1', '--task-definition', 'x:1'],
      ['update-environment', '--revision', '1', '--task-definition', 'x:1'],
    ]) {
      const result = await blox(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^blox: [^\n]+\n$/);
    }
    expect(api.requests).toHaveLength(0);
  });

  it('deploy-environment prints the DeploymentId on one line; --client-token becomes Idempotency-Key', async () => {
    api.handle(answer(201, { DeploymentId: 'SomeEnvironment/Prod:1@2017090611472301' }));
    const args = ['deploy-environment', '--environment-name', 'SomeEnvironment/Prod', '--environment-revision', '1'];
    const result = await blox([...args, '--client-token', 'deploy-1']);
    expect(result).toEqual({ code: 0, stdout: '{ "DeploymentId": "SomeEnvironment/Prod:1@2017090611472301" }\n', stderr: '' });
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/environments/SomeEnvironment%2FProd/deployments' });
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ EnvironmentRevision: 1 });
    expect(api.requests[0]!.headers['idempotency-key']).toBe('deploy-1');
    // before the command too
    expect((await blox(['--client-token', 'deploy-2', ...args])).code).toBe(0);
    expect(api.requests[1]!.headers['idempotency-key']).toBe('deploy-2');
    // and none unless asked
    expect((await blox(args)).code).toBe(0);
    expect(api.requests[2]!.headers['idempotency-key']).toBeUndefined();
  });

  it('a malformed --client-token is a usage error', async () => {
    const result = await blox(['--client-token', 'has space', 'freeze-environment', '--environment-name', 'e']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^blox: .*--client-token.*\n$/);
  });

  it('rollback-environment posts to rollbacks', async () => {
    api.handle(answer(201, { DeploymentId: 'SomeEnvironment/Prod:1@2017090611472301' }));
    const result = await blox(['rollback-environment', '--environment-name', 'SomeEnvironment/Prod', '--environment-revision', '1']);
    expect(result.stdout).toBe('{ "DeploymentId": "SomeEnvironment/Prod:1@2017090611472301" }\n');
    expect(api.requests[0]!.path).toBe('/environments/SomeEnvironment%2FProd/rollbacks');
  });

  it('freeze-environment and thaw-environment print nothing', async () => {
    api.handle(answer(200, { EnvironmentName: 'SomeEnvironment/Prod', Status: 'Suspended' }));
    expect(await blox(['freeze-environment', '--environment-name', 'SomeEnvironment/Prod'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await blox(['thaw-environment', '--environment-name', 'SomeEnvironment/Prod'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /environments/SomeEnvironment%2FProd/freeze',
      'POST /environments/SomeEnvironment%2FProd/thaw',
    ]);
  });
});

describe('read commands', () => {
  it('describe-environment-status --all --table prints the walkthrough table', async () => {
    api.handle(answer(200, STATUS_UNDEPLOYING));
    const result = await blox(['describe-environment-status', '--all', '--environment-name', 'SomeEnvironment/Prod', '--table']);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'REVISION                  STATUS       DESIRED   CURRENT\n' +
        'SomeEnvironment/Prod:1    Undeploying  0         5\n' +
        'SomeEnvironment/Prod:2    Deploying    5         0\n',
    });
    expect(api.requests[0]!.url).toBe('/environments/SomeEnvironment%2FProd/status?all=true');
  });

  it('describe-environment-status without --all, as pretty JSON', async () => {
    api.handle(answer(200, STATUS_UNDEPLOYING));
    const result = await blox(['describe-environment-status', '--environment-name', 'SomeEnvironment/Prod']);
    expect(result.stdout).toBe(`${JSON.stringify(STATUS_UNDEPLOYING, null, 2)}\n`);
    expect(api.requests[0]!.url).toBe('/environments/SomeEnvironment%2FProd/status');
  });

  it('describe-environment --table prints the walkthrough table, JSON otherwise', async () => {
    api.handle(answer(200, DESCRIPTION_SUSPENDED));
    expect((await blox(['describe-environment', '--environment-name', 'SomeEnvironment/Prod', '--table'])).stdout).toBe(
      'ENVIRONMENT               STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod      Suspended    6         3\n',
    );
    expect((await blox(['describe-environment', '--environment-name', 'SomeEnvironment/Prod'])).stdout).toBe(
      `${JSON.stringify(DESCRIPTION_SUSPENDED, null, 2)}\n`,
    );
    expect(api.requests[0]!.url).toBe('/environments/SomeEnvironment%2FProd');
  });

  const summary = (n: number) => ({
    EnvironmentName: `env-${n}`,
    Status: 'Active',
    LatestRevision: 1,
    ActiveRevision: 1,
    DeployingRevision: null,
    Frozen: false,
    Desired: n,
    Current: n,
  });
  const paged: Handler = (request) => {
    const start = Number(request.query.get('nextToken') ?? '0');
    const size = Number(request.query.get('limit') ?? '2');
    const all = [1, 2, 3, 4, 5].map(summary);
    const next = start + size;
    return { status: 200, body: { Environments: all.slice(start, next), ...(next < all.length ? { NextToken: String(next) } : {}) } };
  };

  it('list-environments follows NextToken to every page', async () => {
    api.handle(paged);
    const result = await blox(['list-environments']);
    expect(JSON.parse(result.stdout)).toEqual({ Environments: [1, 2, 3, 4, 5].map(summary) });
    expect(api.requests).toHaveLength(3);
  });

  it('list-environments --max-items stops early and returns the NextToken; --table prints rows', async () => {
    api.handle(paged);
    expect(JSON.parse((await blox(['list-environments', '--max-items', '1'])).stdout)).toEqual({
      Environments: [summary(1)],
      NextToken: '1',
    });
    const table = await blox(['list-environments', '--table', '--max-items', '2', '--starting-token', '1']);
    expect(table.stdout).toBe(
      'ENVIRONMENT               STATUS       REVISION  DESIRED   CURRENT\n' +
        'env-2                     Active       1         2         2\n' +
        'env-3                     Active       1         3         3\n',
    );
  });
});

describe('errors', () => {
  it('an API error prints its message on one line and exits 1', async () => {
    api.handle(
      answer(409, { error: { code: 'Conflict', message: 'SomeEnvironment/Prod: revision 1 is not the latest (2)\nupdate from 2' } }),
    );
    const result = await blox(['update-environment', '--environment', 'SomeEnvironment/Prod', '--revision', '1', '--task-definition', 'x:2']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'blox: SomeEnvironment/Prod: revision 1 is not the latest (2) update from 2\n' });
  });

  it('404 exits 1', async () => {
    const result = await blox(['describe-environment', '--environment-name', 'Nope']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'blox: no route GET /environments/Nope\n' });
  });

  it('a refused connection says where and what to run', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const result = await blox(['list-environments'], { env: { BLOX_API_URL: url } });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `blox: cannot reach the Blox API at ${url} (is \`npm start\` running?)\n` });
  });

  it('commander errors are one line and exit 2', async () => {
    for (const args of [
      ['deploy-environment', '--environment-name', 'e'],
      ['deploy-environment', '--environment-name', 'e', '--environment-revision', 'x'],
      ['describe-environment', '--environment-nme', 'e'],
      ['no-such-command'],
      ['list-environments', 'extra'],
    ]) {
      const result = await blox(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(/^blox: [^\n]+\n$/);
    }
    expect((await blox(['describe-environment', '--environment-nme', 'e'])).stderr).toContain('--environment-name');
  });

  it('--help and --version exit 0', async () => {
    const help = await blox(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('describe-environment-status');
    expect((await blox(['update-environment', '--help'])).stdout).toContain('--instance-group-query');
    expect((await blox(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('a bad BLOX_API_URL is a usage error', async () => {
    expect(await blox(['list-environments'], { env: { BLOX_API_URL: 'localhost:3000' } })).toMatchObject({ code: 2 });
  });
});
