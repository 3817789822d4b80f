/** `blox pause-deployment | resume-deployment | promote-deployment | abort-deployment`, in process against a fake API. */
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

const PAUSED = { EnvironmentName: 'Fleet/Logs', DeploymentId: 'Fleet/Logs:2@2026113012000000', Status: 'Deploying', Paused: { Since: '2026-11-30T12:01:00.000Z', By: 'arn:aws:iam::123456789012:user/ops', Reason: 'dashboards' } };

describe('the controls of a running deployment', () => {
  it.each([
    ['pause-deployment', 'pause', ['--reason', 'dashboards'], { Reason: 'dashboards' }],
    ['resume-deployment', 'resume', [], {}],
    ['promote-deployment', 'promote', ['--full', '--reason', 'looks good'], { Full: true, Reason: 'looks good' }],
    ['promote-deployment', 'promote', [], {}],
    ['abort-deployment', 'abort', ['--reason', 'error rate'], { Reason: 'error rate' }],
  ])('%s %j: POST …/deployment/%s with the body, prints the answer as JSON', async (command, control, flags, body) => {
    api.handle(() => ({ status: control === 'abort' ? 201 : 200, body: PAUSED }));
    const result = await blox([command, '--environment-name', 'Fleet/Logs', ...flags, '--client-token', 'once']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(PAUSED);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: `/environments/Fleet%2FLogs/deployment/${control}` });
    expect(JSON.parse(api.requests[0]!.body)).toEqual(body);
    expect(api.requests[0]!.headers['idempotency-key']).toBe('once');
  });

  it("the API's 409 is one line on stderr, exit 1", async () => {
    const message = 'deployment Fleet/Logs:2@2026113012000000 of "Fleet/Logs" has nothing to promote: it is rolling out (no bake or pause in progress)';
    api.handle(() => ({ status: 409, body: { error: { code: 'Conflict', message } } }));
    const result = await blox(['promote-deployment', '--environment-name', 'Fleet/Logs']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });

  it('without --environment-name: a usage error (exit 2), nothing sent; --full only on promote-deployment', async () => {
    expect((await blox(['pause-deployment'])).code).toBe(2);
    expect((await blox(['abort-deployment', '--environment-name', 'Fleet/Logs', '--full'])).code).toBe(2);
    expect(api.requests).toEqual([]);
    expect((await blox(['promote-deployment', '--help'])).stdout).toContain('--full');
    expect((await blox(['--help'])).stdout).toMatch(/pause-deployment[\s\S]*resume-deployment[\s\S]*promote-deployment[\s\S]*abort-deployment/);
  });
});
