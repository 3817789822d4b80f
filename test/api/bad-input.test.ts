/**
 * Bad input, generated: ≥ 10,000 malformed bodies, specs, queries, revision numbers and names sent
 * through the real handlers → only 4xx answers, never a 5xx, and nothing written.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../../domain/query';
import { ENVIRONMENT_NAME_PATTERN, parseEnvironmentSpec } from '../../domain/spec';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import type { TestApi } from '../support/api';
import { env, startTestApi } from '../support/api';
import { Logger } from '@aws-lambda-powertools/logger';
import { positionOf } from '../../functions/api/history';
import { createReadHandler } from '../../functions/api/read-routes';
import { createWriteHandler } from '../../functions/api/write-routes';
import { systemClock } from '../../functions/adapters/clock';

const NAME = 'Fuzz/Target';
const VALID = {
  Name: NAME,
  TaskDefinition: 'log-daemon:1',
  Cluster: 'default',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentType: 'Daemon',
  DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: '100' },
};

let api: TestApi;
let read: ReturnType<typeof createReadHandler>;
let write: ReturnType<typeof createWriteHandler>;
const context = { functionName: 'fuzz', awsRequestId: 'fuzz', getRemainingTimeInMillis: () => 30000 } as unknown as Context;
const statuses = new Map<number, number>();
let requests = 0;

async function itemCount(): Promise<number> {
  const client = createDocumentClient(api.endpoint);
  const result = await client.send(new ScanCommand({ TableName: api.tableName, Select: 'COUNT', ConsistentRead: true }));
  return result.Count ?? 0;
}

function event(routeKey: string, options: { name?: string; body?: string; contentType?: string; query?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    ...(options.name !== undefined ? { pathParameters: { name: options.name } } : {}),
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
  };
}

async function send(e: APIGatewayProxyEventV2): Promise<number> {
  const handler = e.routeKey.startsWith('GET') ? read : write;
  const result = await handler(e, context);
  const status = result.statusCode ?? 0;
  requests++;
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  return status;
}

/** Whether list-deployments would take the token (a forged one can be well-formed). */
const isPosition = (token: string) => {
  try {
    positionOf(token);
    return true;
  } catch {
    return false;
  }
};

const expect4xx = (status: number) => {
  if (status < 400 || status >= 500) throw new Error(`expected a 4xx, got ${status}`);
};

/** Arbitrary JSON that is NOT a valid spec. */
const invalidSpec = fc
  .oneof(
    fc.jsonValue(),
    // A valid spec with one field replaced by arbitrary JSON, or one required field dropped, or a key added.
    fc.tuple(fc.constantFrom(...Object.keys(VALID)), fc.jsonValue()).map(([key, value]) => ({ ...VALID, [key]: value })),
    fc.constantFrom('Name', 'TaskDefinition', 'DeploymentType').map((key) => {
      const copy: Record<string, unknown> = { ...VALID };
      delete copy[key];
      return copy;
    }),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue()).map(([key, value]) => ({ ...VALID, [`X${key}`]: value })),
    fc.record({ MinHealthyPercent: fc.oneof(fc.integer({ min: 101 }), fc.integer({ max: -1 }), fc.double(), fc.string()) }).map((dc) => ({ ...VALID, DeploymentConfiguration: dc })),
  )
  .filter((value) => {
    try {
      parseEnvironmentSpec(value);
      return false;
    } catch {
      return true;
    }
  });

/** Strings the ECS query parser refuses. */
const invalidQuery = fc
  .oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom('attribute:', '==', 'attribute:a ==', '(attribute:a exists', 'attribute:a in ()', 'attribute:a in (x', 'and', 'not', "attribute:a == 'x"),
    fc.tuple(fc.constantFrom('attribute:stack == prod', 'agentVersion >= 1.0.0'), fc.constantFrom(' and', ' ||', ')', ' in', ' ==', ' (')).map(([a, b]) => a + b),
  )
  .filter((q) => q.trim() !== '' && !parseQuery(q).ok);

/** Names the API must refuse: characters outside [A-Za-z0-9_/.-], or too long. */
const invalidName = fc
  .oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 256, maxLength: 300 }).map((s) => `a${s}`))
  .filter((name) => !ENVIRONMENT_NAME_PATTERN.test(name));

/** Revision numbers that are not a positive integer, or point past the latest revision. */
const badRevision = fc.oneof(
  fc.jsonValue().filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 1) && !(typeof v === 'string' && /^\s*[0-9]+\s*$/.test(v))),
  fc.integer({ min: 2, max: 1_000_000 }),
  fc.integer({ max: 0 }),
  fc.double({ noInteger: true }),
);

beforeAll(async () => {
  api = await startTestApi();
  const deps = { eventLog: api.eventLog, clock: systemClock, logger: new Logger({ logLevel: 'SILENT' }) };
  read = createReadHandler(deps);
  write = createWriteHandler(deps);
  expect((await api.call('POST', '/environments', VALID)).status).toBe(201);
});
afterAll(async () => {
  await api.close();
});

describe('generated bad input', () => {
  it('only 4xx, nothing written', async () => {
    const before = await itemCount();
    const versionBefore = (await api.eventLog.load(NAME))?.version;

    // 1. Specs that are not valid, as JSON and as YAML.
    await fc.assert(
      fc.asyncProperty(invalidSpec, fc.boolean(), async (spec, asYaml) => {
        const body = asYaml ? (await import('yaml')).stringify(spec) : JSON.stringify(spec);
        expect4xx(await send(event('POST /environments', { body, contentType: asYaml ? 'application/yaml' : 'application/json' })));
      }),
      { numRuns: 3000 },
    );
    // 2. Raw bodies that are not documents, or come with other content types.
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('application/json', 'application/yaml', 'text/plain', 'application/xml', 'multipart/form-data', ''),
        fc.constantFrom('POST /environments', 'POST /environments/{name}/revisions', 'POST /environments/{name}/deployments', 'POST /environments/{name}/rollbacks'),
        async (body, contentType, routeKey) => {
          let parsed: unknown;
          try {
            parsed = contentType.includes('yaml') ? (await import('yaml')).parse(body, { logLevel: 'silent' }) : JSON.parse(body);
          } catch {
            parsed = undefined;
          }
          // Skip the rare raw string that happens to be a well-formed, valid request.
          if (parsed && typeof parsed === 'object' && routeKey !== 'POST /environments') return;
          expect4xx(await send(event(routeKey, { name: encodeURIComponent(NAME), body, contentType: contentType || 'application/x-unknown' })));
        },
      ),
      { numRuns: 2000 },
    );
    // 3. Queries the ECS grammar refuses, inside otherwise valid specs (create and update).
    await fc.assert(
      fc.asyncProperty(invalidQuery, async (query) => {
        const created = await send(event('POST /environments', { body: JSON.stringify({ ...VALID, Name: 'Q', InstanceGroup: { Query: query } }) }));
        expect4xx(created);
        const updated = await send(
          event('POST /environments/{name}/revisions', { name: encodeURIComponent(NAME), body: JSON.stringify({ Revision: 1, InstanceGroup: { Query: query } }) }),
        );
        expect4xx(updated);
      }),
      { numRuns: 1500 },
    );
    // 4. Names that are not environment names, on every route.
    await fc.assert(
      fc.asyncProperty(
        invalidName,
        fc.constantFrom(
          'GET /environments/{name}',
          'GET /environments/{name}/status',
          'GET /environments/{name}/deployments',
          'GET /environments/{name}/revision-diff',
          'POST /environments/{name}/revisions',
          'POST /environments/{name}/deployments',
          'POST /environments/{name}/rollbacks',
          'POST /environments/{name}/freeze',
          'POST /environments/{name}/thaw',
        ),
        fc.boolean(),
        async (name, routeKey, encoded) => {
          const body = routeKey.startsWith('POST') ? JSON.stringify({ EnvironmentRevision: 1, Revision: 1, TaskDefinition: 'd:2' }) : undefined;
          expect4xx(await send(event(routeKey, { name: encoded ? encodeURIComponent(name) : name, ...(body ? { body } : {}) })));
        },
      ),
      { numRuns: 2000 },
    );
    // 5. Revision numbers and update patches that are wrong.
    await fc.assert(
      fc.asyncProperty(
        badRevision,
        fc.constantFrom('deployments', 'rollbacks', 'revisions'),
        async (revision, what) => {
          const body = what === 'revisions' ? { Revision: revision, TaskDefinition: 'log-daemon:2' } : { EnvironmentRevision: revision };
          expect4xx(await send(event(`POST /environments/{name}/${what}`, { name: encodeURIComponent(NAME), body: JSON.stringify(body) })));
        },
      ),
      { numRuns: 1500 },
    );
    // 6. Patches with wrong field values or unknown fields.
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('TaskDefinition', 'Cluster', 'DesiredCount', 'DeploymentConfiguration', 'InstanceGroup', 'Name', 'DeploymentType', 'Bogus'), fc.jsonValue(), async (key, value) => {
        const body = { Revision: 1, [key]: value };
        const status = await send(event('POST /environments/{name}/revisions', { name: encodeURIComponent(NAME), body: JSON.stringify(body) }));
        // A value that happens to be valid would create a revision: the final count check catches that.
        if (status !== 201) expect4xx(status);
      }).beforeEach(() => undefined),
      { numRuns: 500, examples: [] },
    );
    // 7. Query strings.
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), async (all, limit) => {
        fc.pre(!['true', 'false', '1', '0', ''].includes(all.toLowerCase()));
        expect4xx(await send(event('GET /environments/{name}/status', { name: encodeURIComponent(NAME), query: { all } })));
        fc.pre(!/^[0-9]{1,6}$/.test(limit) || Number(limit) < 1 || Number(limit) > 100);
        expect4xx(await send(event('GET /environments', { query: { limit } })));
      }),
      { numRuns: 500 },
    );
    // 8. Pages of the revision table: a bad limit or token, or either without all=true.
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 10 }), fc.string({ maxLength: 60 }), fc.boolean(), async (limit, nextToken, all) => {
        const route = (query: Record<string, string>) => event('GET /environments/{name}/status', { name: encodeURIComponent(NAME), query });
        const goodLimit = /^[0-9]{1,6}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 1000;
        if (!goodLimit || !all) expect4xx(await send(route({ ...(all ? { all: 'true' } : {}), limit })));
        // Tokens the API gives out are base64url("after:<revision>"): anything else is refused.
        fc.pre(!/^after:[1-9][0-9]{0,11}$/.test(Buffer.from(nextToken, 'base64url').toString('utf8')) || !all);
        expect4xx(await send(route({ ...(all ? { all: 'true' } : {}), nextToken })));
      }),
      { numRuns: 500 },
    );
    // 9. list-deployments: a bad limit, or a token the API did not give out (any string; any JSON,
    //    base64url'd, that is not a position in the log).
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url'))), async (limit, nextToken) => {
        const route = (query: Record<string, string>) => event('GET /environments/{name}/deployments', { name: encodeURIComponent(NAME), query });
        const goodLimit = /^[0-9]{1,6}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 100;
        if (!goodLimit) expect4xx(await send(route({ limit })));
        fc.pre(!isPosition(nextToken));
        expect4xx(await send(route({ nextToken })));
      }),
      { numRuns: 500 },
    );
    // 10. diff-revisions: from and to missing, malformed, or past the latest revision.
    await fc.assert(
      fc.asyncProperty(fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 5_000_000 }).map(String)), { nil: undefined }), fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 5_000_000 }).map(String)), { nil: undefined }), async (from, to) => {
        const existing = (v: string | undefined) => v !== undefined && /^\s*[0-9]{1,10}\s*$/.test(v) && Number(v) >= 1 && Number(v) <= 1000;
        fc.pre(!(existing(from) && existing(to)));
        const query = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
        expect4xx(await send(event('GET /environments/{name}/revision-diff', { name: encodeURIComponent(NAME), query })));
      }),
      { numRuns: 500 },
    );

    const revisionsCreated = statuses.get(201) ?? 0;
    expect(requests).toBeGreaterThanOrEqual(10_000);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500) || revisionsCreated > 0).toBe(true);
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    // Nothing written (but for the rare generated patch that was valid, each one revision: 1 event + 1 row).
    expect(await itemCount()).toBe(before + 2 * revisionsCreated);
    expect((await api.eventLog.load(NAME))?.version).toBe((versionBefore ?? 0) + revisionsCreated);
    const read404 = await api.call('GET', env('Q'));
    expect(read404.status).toBe(404);
  }, 300_000);
});
