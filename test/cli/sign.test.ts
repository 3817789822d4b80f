import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BloxClient, type SignableRequest } from '../../cli/client';
import { defaultSigner, regionFromHost, resolveRegion, sigV4Signer } from '../../cli/sign';
import { startFakeApi, type FakeApi } from './fake-api';

const CREDENTIALS = { accessKeyId: 'AKID', secretAccessKey: 'SECRET' };
const CLOCK = () => new Date('2026-11-21T10:00:00.000Z');
const HOST = 'abc123.execute-api.eu-west-1.amazonaws.com';

/** A fetch that records what it was asked to send and answers 200 {}. */
function recordingFetch() {
  const calls: { url: string; method: string; headers: Record<string, string>; body: string | undefined }[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body as string | undefined,
    });
    return new Response('{"EnvironmentRevision":2}', { status: 201, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

/** SigV4 computed independently (node:crypto), to check the signer's canonical request, not just its shape. */
function expectedSignature(request: { method: string; host: string; path: string; query: string; headers: Record<string, string>; body: string }) {
  const headers = { ...request.headers, host: request.host };
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => !['authorization', 'user-agent', 'content-length'].includes(name))
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  // Every segment encoded twice: `%2F` in a name becomes `%252F`.
  const canonicalPath = request.path.split('/').map((segment) => encodeURIComponent(segment)).join('/');
  const canonical = [
    request.method,
    canonicalPath,
    request.query,
    ...names.map((name) => `${name}:${String(lower[name]).trim()}`),
    '',
    names.join(';'),
    createHash('sha256').update(request.body).digest('hex'),
  ].join('\n');
  const date = lower['x-amz-date']!;
  const scope = `${date.slice(0, 8)}/eu-west-1/execute-api/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${CREDENTIALS.secretAccessKey}`).update(date.slice(0, 8)).digest();
  for (const part of ['eu-west-1', 'execute-api', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return { signature: createHmac('sha256', key).update(toSign).digest('hex'), signedHeaders: names.join(';') };
}

describe('sigV4Signer', () => {
  it('adds authorization and x-amz-date for execute-api with fixed credentials and clock', async () => {
    const sign = sigV4Signer({ region: 'eu-west-1', credentials: CREDENTIALS, now: CLOCK });
    const body = '{"EnvironmentRevision":1}';
    const request: SignableRequest = {
      method: 'POST',
      url: new URL(`https://${HOST}/environments/SomeEnvironment%2FProd/deployments`),
      headers: { accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': 'k-1' },
      body,
    };
    const headers = await sign(request);
    expect(headers['x-amz-date']).toBe('20261121T100000Z');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20261121\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(headers.host).toBeUndefined(); // fetch sends Host itself
    expect(headers['idempotency-key']).toBe('k-1');
    expect(headers['x-amz-security-token']).toBeUndefined();

    const { signature, signedHeaders } = expectedSignature({
      method: 'POST',
      host: HOST,
      path: '/environments/SomeEnvironment%2FProd/deployments',
      query: '',
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'authorization')),
      body,
    });
    expect(headers.authorization).toContain(`SignedHeaders=${signedHeaders},`);
    expect(signedHeaders.split(';')).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type', 'idempotency-key']));
    expect(headers.authorization).toContain(`Signature=${signature}`);
  });

  it('signs the query string and a session token', async () => {
    const sign = sigV4Signer({ region: 'eu-west-1', credentials: { ...CREDENTIALS, sessionToken: 'TOKEN' }, now: CLOCK });
    const headers = await sign({
      method: 'GET',
      url: new URL(`https://${HOST}/environments?limit=2&nextToken=a%2Bb`),
      headers: { accept: 'application/json' },
      body: undefined,
    });
    expect(headers['x-amz-security-token']).toBe('TOKEN');
    expect(headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
  });
});

describe('region', () => {
  it('is read from an execute-api host name', () => {
    expect(regionFromHost(HOST)).toBe('eu-west-1');
    expect(regionFromHost('abc.execute-api.us-gov-west-1.amazonaws.com')).toBe('us-gov-west-1');
    expect(regionFromHost('abc.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(regionFromHost('api.example.com')).toBeUndefined();
  });

  it('prefers the host, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(resolveRegion(new URL(`https://${HOST}`), { AWS_REGION: 'us-east-1' })).toBe('eu-west-1');
    const custom = new URL('https://blox.example.com');
    expect(resolveRegion(custom, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-west-2' })).toBe('us-east-1');
    expect(resolveRegion(custom, { AWS_DEFAULT_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(resolveRegion(custom, {})).toBeUndefined();
  });

  it('is required for a custom https domain', () => {
    expect(() => defaultSigner(new URL('https://blox.example.com'), {})).toThrow(/set AWS_REGION/);
  });
});

describe('BloxClient signing', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi(() => ({ status: 200, body: { Environments: [] } }));
  });
  afterAll(() => api.close());

  it('signs https requests', async () => {
    const { calls, fetchImpl } = recordingFetch();
    const client = new BloxClient({
      baseUrl: `https://${HOST}`,
      fetch: fetchImpl,
      signer: sigV4Signer({ region: 'eu-west-1', credentials: CREDENTIALS, now: CLOCK }),
    });
    await client.updateEnvironment('SomeEnvironment/Prod', { Revision: 1, TaskDefinition: 'log-daemon:2' }, { idempotencyKey: 'k' });
    const [call] = calls;
    expect(call!.url).toBe(`https://${HOST}/environments/SomeEnvironment%2FProd/revisions`);
    expect(call!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/20261121\/eu-west-1\/execute-api\/aws4_request, /);
    expect(call!.headers['x-amz-date']).toBe('20261121T100000Z');
    expect(call!.headers['idempotency-key']).toBe('k');
  });

  it('signs with the default chain (credentials from the environment) and the host region', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'SECRETENV');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
    try {
      const { calls, fetchImpl } = recordingFetch();
      await new BloxClient({ baseUrl: `https://${HOST}`, fetch: fetchImpl, env: {} }).listEnvironments();
      expect(calls[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDENV\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('does not sign http requests, even with a signer', async () => {
    let signed = 0;
    const client = new BloxClient({
      baseUrl: api.url,
      signer: async (request) => {
        signed += 1;
        return request.headers;
      },
    });
    await client.listEnvironments();
    expect(signed).toBe(0);
    const [request] = api.requests;
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.headers['x-amz-date']).toBeUndefined();
    expect(client.signs).toBe(false);
  });
});
