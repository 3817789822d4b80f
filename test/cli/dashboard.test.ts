/**
 * `blox dashboard`'s server (cli/dashboard.ts): the page from the package, the API's routes
 * forwarded to BLOX_API_URL — an https one signed with SigV4, over exactly what is sent — and
 * nothing else: not other paths, not requests from another Host or Origin, not a POST that is not
 * JSON (a cross-site form). The browser test (test/e2e/dashboard.test.ts) drives it for real.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardServer } from '../../cli/dashboard';
import { startDashboardServer } from '../../cli/dashboard';
import { sigV4Signer } from '../../cli/sign';

const CREDENTIALS = { accessKeyId: 'AKID', secretAccessKey: 'SECRET' };
const CLOCK = () => new Date('2026-11-21T10:00:00.000Z');
const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';

const calls: Array<{ url: string; method: string; headers: Record<string, string>; body: string | undefined }> = [];
const recordingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  calls.push({ url: String(input), method: init?.method ?? 'GET', headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined });
  return new Response('{"DeploymentId":"A/B:2@1"}', { status: 201, headers: { 'content-type': 'application/json' } });
}) as typeof fetch;

let server: DashboardServer;
beforeAll(async () => {
  server = await startDashboardServer({ apiUrl: API, port: 0, env: {}, fetch: recordingFetch, signer: sigV4Signer({ region: 'eu-west-1', credentials: CREDENTIALS, now: CLOCK }) });
});
afterAll(async () => {
  await server.close();
});

describe('blox dashboard', () => {
  it('serves the page and its bundle', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/_dashboard/app.js">');
    const script = await fetch(`${server.url}/_dashboard/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(calls).toEqual([]);
  });

  it('forwards an API call to BLOX_API_URL (stage kept), signed with SigV4 over what it sends, and answers what the API answered', async () => {
    calls.length = 0;
    const body = '{"EnvironmentRevision":2}';
    const answer = await fetch(`${server.url}/environments/A%2FB/deployments?x=1`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body });
    expect(answer.status).toBe(201);
    expect(await answer.json()).toEqual({ DeploymentId: 'A/B:2@1' });
    expect(calls).toHaveLength(1);
    const sent = calls[0]!;
    expect(sent).toMatchObject({ url: `${API}/environments/A%2FB/deployments?x=1`, method: 'POST', body });
    expect(sent.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/20261121\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    const expected = await sigV4Signer({ region: 'eu-west-1', credentials: CREDENTIALS, now: CLOCK })({
      method: 'POST',
      url: new URL(`${API}/environments/A%2FB/deployments?x=1`),
      headers: { accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': 'k-1' },
      body,
    });
    expect(sent.headers).toEqual(expected);
  });

  it('forwards nothing but the API routes, from this server\'s own page', async () => {
    calls.length = 0;
    expect((await fetch(`${server.url}/_sim/instances`)).status).toBe(404);
    const port = new URL(server.url).port;
    // fetch will not send another Host: a raw request, as a rebound DNS name would arrive
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/environments', headers: { host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(rebound).toBe(403);
    const crossSite = await fetch(`${server.url}/environments/A%2FB/freeze`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
    expect(crossSite.status).toBe(403);
    const form = await fetch(`${server.url}/environments/A%2FB/freeze`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { error: { message: string } }).error.message).toBe('the dashboard forwards JSON bodies only (content-type: application/json)');
    expect(calls).toEqual([]);
  });
});
