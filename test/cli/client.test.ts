import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BloxApiError, BloxClient, BloxConnectionError, rawDocument } from '../../cli/client';
import { notFound, startFakeApi, STATUS_UNDEPLOYING, unusedPort, WALKTHROUGH_YAML, type FakeApi } from './fake-api';

const ENCODED = 'SomeEnvironment%2FProd';

let api: FakeApi;
let client: BloxClient;

beforeAll(async () => {
  api = await startFakeApi();
  client = new BloxClient({ baseUrl: api.url });
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  api.handle(notFound);
});

describe('BloxClient requests', () => {
  it('createEnvironment sends a YAML document as written, as application/yaml', async () => {
    api.handle(() => ({ status: 201, body: { EnvironmentRevision: 1 } }));
    const result = await client.createEnvironment(rawDocument('application/yaml', WALKTHROUGH_YAML), {
      idempotencyKey: 'create-1',
    });
    expect(result).toEqual({ EnvironmentRevision: 1 });
    const [request] = api.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/environments', body: WALKTHROUGH_YAML });
    expect(request!.headers['content-type']).toBe('application/yaml');
    expect(request!.headers['idempotency-key']).toBe('create-1');
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('createEnvironment sends an object as JSON, without Idempotency-Key unless given', async () => {
    api.handle(() => ({ status: 201, body: { EnvironmentRevision: 1 } }));
    await client.createEnvironment({ Name: 'a', TaskDefinition: 'x:1', DeploymentType: 'Daemon' });
    const [request] = api.requests;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['idempotency-key']).toBeUndefined();
    expect(JSON.parse(request!.body)).toEqual({ Name: 'a', TaskDefinition: 'x:1', DeploymentType: 'Daemon' });
  });

  it('updateEnvironment posts to the encoded revisions path', async () => {
    api.handle(() => ({ status: 201, body: { EnvironmentRevision: 2 } }));
    expect(
      await client.updateEnvironment('SomeEnvironment/Prod', { Revision: 1, TaskDefinition: 'log-daemon:2' }, { idempotencyKey: 'u:1' }),
    ).toEqual({ EnvironmentRevision: 2 });
    const [request] = api.requests;
    expect(request).toMatchObject({ method: 'POST', path: `/environments/${ENCODED}/revisions` });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['idempotency-key']).toBe('u:1');
    expect(JSON.parse(request!.body)).toEqual({ Revision: 1, TaskDefinition: 'log-daemon:2' });
  });

  it.each([
    ['deployEnvironment', 'deployments'],
    ['rollbackEnvironment', 'rollbacks'],
  ] as const)('%s posts { EnvironmentRevision } to /%s', async (method, segment) => {
    api.handle(() => ({ status: 201, body: { DeploymentId: 'SomeEnvironment/Prod:1@2017090611472301' } }));
    expect(await client[method]('SomeEnvironment/Prod', 1, { idempotencyKey: 'k' })).toEqual({
      DeploymentId: 'SomeEnvironment/Prod:1@2017090611472301',
    });
    const [request] = api.requests;
    expect(request).toMatchObject({ method: 'POST', url: `/environments/${ENCODED}/${segment}` });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['idempotency-key']).toBe('k');
    expect(JSON.parse(request!.body)).toEqual({ EnvironmentRevision: 1 });
  });

  it.each([
    ['freezeEnvironment', 'freeze'],
    ['thawEnvironment', 'thaw'],
  ] as const)('%s posts an empty body to /%s', async (method, segment) => {
    api.handle(() => ({ status: 200, body: { EnvironmentName: 'SomeEnvironment/Prod', Status: 'Suspended' } }));
    await client[method]('SomeEnvironment/Prod');
    const [request] = api.requests;
    expect(request).toMatchObject({ method: 'POST', url: `/environments/${ENCODED}/${segment}`, body: '' });
    expect(request!.headers['content-type']).toBeUndefined();
  });

  it('describeEnvironment and describeEnvironmentStatus GET the encoded paths', async () => {
    api.handle((request) => ({ status: 200, body: request.path.endsWith('/status') ? STATUS_UNDEPLOYING : { EnvironmentName: 'x' } }));
    await client.describeEnvironment('SomeEnvironment/Prod');
    expect(await client.describeEnvironmentStatus('SomeEnvironment/Prod', { all: true })).toEqual(STATUS_UNDEPLOYING);
    await client.describeEnvironmentStatus('SomeEnvironment/Prod');
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /environments/${ENCODED}`,
      `GET /environments/${ENCODED}/status?all=true`,
      `GET /environments/${ENCODED}/status`,
    ]);
    expect(api.requests[0]!.headers.accept).toBe('application/json');
  });

  it('encodes every reserved character of a name', async () => {
    api.handle(() => ({ status: 200, body: {} }));
    await client.describeEnvironment('a b/c?d#e%f');
    expect(api.requests[0]!.path).toBe('/environments/a%20b%2Fc%3Fd%23e%25f');
  });

  it('keeps a path prefix of the base URL (an API Gateway stage)', async () => {
    api.handle(() => ({ status: 200, body: { Environments: [] } }));
    await new BloxClient({ baseUrl: `${api.url}/prod/` }).listEnvironments();
    expect(api.requests[0]!.url).toBe('/prod/environments');
  });
});

describe('BloxClient.listAllEnvironments', () => {
  const env = (n: number) => ({ EnvironmentName: `env-${n}` });
  const pages: Record<string, { Environments: unknown[]; NextToken?: string }> = {
    '': { Environments: [env(1), env(2)], NextToken: 't2' },
    t2: { Environments: [env(3), env(4)], NextToken: 't3' },
    t3: { Environments: [env(5)] },
  };

  it('follows NextToken to the last page', async () => {
    api.handle((request) => ({ status: 200, body: pages[request.query.get('nextToken') ?? ''] }));
    const result = await client.listAllEnvironments();
    expect(result).toEqual({ Environments: [1, 2, 3, 4, 5].map(env) });
    expect(api.requests.map((r) => r.url)).toEqual(['/environments', '/environments?nextToken=t2', '/environments?nextToken=t3']);
  });

  it('stops at maxItems, asking for no more than wanted, and returns the token to resume from', async () => {
    api.handle((request) => {
      const limit = Number(request.query.get('limit'));
      const start = Number(request.query.get('nextToken') ?? '0');
      const all = [1, 2, 3, 4, 5].map(env);
      const next = start + limit;
      return { status: 200, body: { Environments: all.slice(start, next), ...(next < all.length ? { NextToken: String(next) } : {}) } };
    });
    expect(await client.listAllEnvironments({ maxItems: 3, pageSize: 2 })).toEqual({ Environments: [1, 2, 3].map(env), NextToken: '3' });
    expect(api.requests.map((r) => r.url)).toEqual(['/environments?limit=2', '/environments?limit=1&nextToken=2']);
    expect(await client.listAllEnvironments({ maxItems: 3, startingToken: '3' })).toEqual({ Environments: [4, 5].map(env) });
  });

  it('refuses a NextToken that repeats forever', async () => {
    api.handle(() => ({ status: 200, body: { Environments: [], NextToken: 'same' } }));
    await expect(client.listAllEnvironments()).rejects.toThrow(/same NextToken twice/);
  });
});

describe('BloxClient errors', () => {
  it('throws BloxApiError with the code, message and field of the error envelope', async () => {
    api.handle(() => ({
      status: 400,
      body: {
        error: {
          code: 'ValidationError',
          message: 'DeploymentConfiguration.MinHealthyPercent: expected an integer from 0 to 100',
          field: 'DeploymentConfiguration.MinHealthyPercent',
        },
      },
    }));
    const error = await client.createEnvironment({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BloxApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'ValidationError',
      message: 'DeploymentConfiguration.MinHealthyPercent: expected an integer from 0 to 100',
      field: 'DeploymentConfiguration.MinHealthyPercent',
    });
  });

  it('reads API Gateway refusals and bodies that are not JSON', async () => {
    api.handle(() => ({ status: 403, body: { message: 'Forbidden' } }));
    await expect(client.describeEnvironment('x')).rejects.toMatchObject({ status: 403, message: 'Forbidden (HTTP 403)' });
    api.handle(() => ({ status: 502, rawBody: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } }));
    await expect(client.describeEnvironment('x')).rejects.toMatchObject({
      status: 502,
      code: 'HTTP502',
      message: 'the API answered HTTP 502 Bad Gateway',
    });
  });

  it('throws BloxConnectionError (ECONNREFUSED) when nothing listens', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const error = await new BloxClient({ baseUrl: url }).listEnvironments().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BloxConnectionError);
    expect(error).toMatchObject({ url, errorCode: 'ECONNREFUSED' });
  });

  it('a read whose connection the server dropped (ECONNRESET) is sent again, up to 3 times; a write without an idempotency key is not', async () => {
    const reset = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 1) throw reset();
      return globalThis.fetch(input, init);
    };
    api.handle(() => ({ status: 200, body: { Environments: [] } }));
    await expect(new BloxClient({ baseUrl: api.url, fetch: flaky }).listEnvironments()).resolves.toEqual({ Environments: [] });
    expect(calls).toBe(2);

    let refused = 0;
    const alwaysReset: typeof fetch = async () => {
      refused++;
      throw reset();
    };
    await expect(new BloxClient({ baseUrl: api.url, fetch: alwaysReset }).listEnvironments()).rejects.toMatchObject({ errorCode: 'ECONNRESET' });
    expect(refused).toBe(3);
    refused = 0;
    await expect(new BloxClient({ baseUrl: api.url, fetch: alwaysReset }).createEnvironment({})).rejects.toBeInstanceOf(BloxConnectionError);
    expect(refused).toBe(1);
  });

  it('times out', async () => {
    api.handle(() => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: {} }), 500)));
    const error = await new BloxClient({ baseUrl: api.url, timeoutMs: 50 }).listEnvironments().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BloxConnectionError);
    expect((error as Error).message).toMatch(/no answer within/);
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new BloxClient({ baseUrl: 'ftp://x' })).toThrow(/http: or https:/);
    expect(() => new BloxClient({ baseUrl: 'nope' })).toThrow(/not a URL/);
  });
});
