/** `blox delete-environment`, in process against a fake API: what it sends, prints, and exits with. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
    env: { BLOX_API_URL: api.url },
  });
  return { code, stdout, stderr };
}

describe('blox delete-environment', () => {
  it('--force: POST …/deletion { Force: true }, prints the answer', async () => {
    const body = { EnvironmentName: 'Fleet/Logs', Status: 'Deleting', DeletionId: 'Fleet/Logs:delete@2026113012050000', Tasks: 5 };
    api.handle(() => ({ status: 202, body }));
    const result = await blox(['delete-environment', '--environment-name', 'Fleet/Logs', '--force', '--client-token', 'once']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(body);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/environments/Fleet%2FLogs/deletion' });
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ Force: true });
    expect(api.requests[0]!.headers['idempotency-key']).toBe('once');
  });

  it('without --force: an empty body; the API\'s refusal is one line on stderr, exit 1', async () => {
    api.handle(() => ({ status: 409, body: { error: { code: 'Conflict', message: 'environment "Fleet/Logs" runs 5 task(s) (revision 1: 5): delete-environment --force scales it to zero first' } } }));
    const result = await blox(['delete-environment', '--environment-name', 'Fleet/Logs']);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({});
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('runs 5 task(s) (revision 1: 5): delete-environment --force scales it to zero first');
  });

  it('without --environment-name: a usage error (exit 2), nothing sent; --help names --force', async () => {
    const result = await blox(['delete-environment']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--environment-name');
    expect(api.requests).toEqual([]);
    const help = await blox(['delete-environment', '--help']);
    expect(help.stdout).toContain('--force');
  });
});
