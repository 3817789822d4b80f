/** `node bin/blox.js …` as a child process against the fake API: what a user's shell sees. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { notFound, startFakeApi, STATUS_UNDEPLOYING, unusedPort, WALKTHROUGH_YAML, type FakeApi } from './fake-api';

const BIN = fileURLToPath(new URL('../../bin/blox.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.handle(notFound);
});

function blox(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, BLOX_API_URL: api.url, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

describe('bin/blox.js', () => {
  it('create-environment --yaml-file <<EOF (the walkthrough, bare option) reads the heredoc from stdin', async () => {
    api.handle(() => ({ status: 201, body: { EnvironmentRevision: 1 } }));
    expect(await blox(['create-environment', '--yaml-file'], { stdin: WALKTHROUGH_YAML })).toEqual({
      code: 0,
      stdout: '{ "EnvironmentRevision": 1 }\n',
      stderr: '',
    });
    expect(api.requests[0]!.body).toBe(WALKTHROUGH_YAML);
    expect(api.requests[0]!.headers['content-type']).toBe('application/yaml');
  });

  it('create-environment --yaml-file - reads stdin, with --client-token as Idempotency-Key', async () => {
    api.handle(() => ({ status: 201, body: { EnvironmentRevision: 1 } }));
    const result = await blox(['create-environment', '--yaml-file', '-', '--client-token', 'create:1'], { stdin: WALKTHROUGH_YAML });
    expect(result).toEqual({ code: 0, stdout: '{ "EnvironmentRevision": 1 }\n', stderr: '' });
    expect(api.requests[0]!.body).toBe(WALKTHROUGH_YAML);
    expect(api.requests[0]!.headers['idempotency-key']).toBe('create:1');
  });

  it('describe-environment-status --table prints the walkthrough table and exits 0', async () => {
    api.handle(() => ({ status: 200, body: STATUS_UNDEPLOYING }));
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

  it('freeze-environment prints nothing', async () => {
    api.handle(() => ({ status: 200, body: { EnvironmentName: 'SomeEnvironment/Prod', Status: 'Suspended' } }));
    expect(await blox(['freeze-environment', '--environment-name', 'SomeEnvironment/Prod'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('an API refusal: exit 1, one line on stderr, no stack trace', async () => {
    api.handle(() => ({
      status: 409,
      body: { error: { code: 'Conflict', message: 'revision 1 is older than the Active revision 2: use rollback-environment' } },
    }));
    const result = await blox(['deploy-environment', '--environment-name', 'SomeEnvironment/Prod', '--environment-revision', '1']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: revision 1 is older than the Active revision 2: use rollback-environment\n',
    });
  });

  it('connection refused: exit 1 with the npm start hint', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    expect(await blox(['list-environments'], { env: { BLOX_API_URL: url } })).toEqual({
      code: 1,
      stdout: '',
      stderr: `blox: cannot reach the Blox API at ${url} (is \`npm start\` running?)\n`,
    });
  });

  it('usage errors: exit 2, one line', async () => {
    for (const args of [
      ['deploy-environment', '--environment-name', 'SomeEnvironment/Prod'],
      ['create-environment'],
      ['create-environment', '--yaml-file', 'does-not-exist.yaml'],
      ['frobnicate-environment'],
    ]) {
      const result = await blox(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(/^blox: [^\n]+\n$/);
    }
    expect(api.requests).toHaveLength(0);
  });

  it('--help exits 0 on stdout', async () => {
    const result = await blox(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: blox /);
    expect(result.stderr).toBe('');
  });
});
