/**
 * The bundles `npm run package` zips (scripts/build.ts), built into a temporary folder away from the
 * repository's node_modules — as in /var/task — and run in fresh Node processes with only what the
 * Lambda runtime gives them: they import nothing but Node built-ins (and the SDK only if `SDK_MODE`
 * leaves it to the runtime), they load, and api-read answers a request through the SDK it carries:
 * the default credential provider chain (environment variables as Lambda sets them, and the container
 * endpoint, a provider the chain loads lazily), SigV4 signing and the Node HTTP handler, against a
 * local stand-in for DynamoDB.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, FUNCTIONS, MIDDY_WEB_STREAMS, SDK_MODE, type BuiltFunction } from '../../scripts/build';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs in the child: imports the bundle, calls its handler once, prints the result after a marker. */
const CHILD_SCRIPT = `
const [url, eventJson] = process.argv.slice(1);
const { handler } = await import(url);
if (typeof handler !== 'function') throw new Error('no handler export');
if (eventJson === undefined) {
  process.stdout.write('RESULT:' + JSON.stringify({ loaded: true }) + '\\n', () => process.exit(0));
} else {
  const context = {
    callbackWaitsForEmptyEventLoop: false, functionName: 'api-read', functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api-read', memoryLimitInMB: '1024',
    awsRequestId: 'request-1', logGroupName: '/aws/lambda/api-read', logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10000, done() {}, fail() {}, succeed() {},
  };
  const result = await handler(JSON.parse(eventJson), context);
  process.stdout.write('RESULT:' + JSON.stringify(result) + '\\n', () => process.exit(0));
}
`;

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let outRoot: string;
let bundles: BuiltFunction[];
let server: Server;
let endpoint: string;
const requests: Recorded[] = [];

const CONTAINER_TOKEN = 'container-token';
const CONTAINER_KEY = 'AKIDFROMCONTAINER';

beforeAll(async () => {
  outRoot = await mkdtemp(join(tmpdir(), 'blox-bundles-'));
  // With the SDK left to the runtime, give the bundles the SDK as the runtime would.
  if (SDK_MODE === 'external') await symlink(join(repoRoot, 'node_modules'), join(outRoot, 'node_modules'));
  bundles = await build({ outRoot });

  // DynamoDB (an empty table: every Query finds nothing) and a container credentials endpoint.
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      if (request.url === '/credentials') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ AccessKeyId: CONTAINER_KEY, SecretAccessKey: 'secret', Token: 'session', Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'r1' });
      response.end(JSON.stringify({ Count: 0, ScannedCount: 0, Items: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (outRoot) await rm(outRoot, { recursive: true, force: true });
});

function bundle(name: string): BuiltFunction {
  const found = bundles.find((b) => b.name === name);
  if (!found) throw new Error(`no bundle ${name}`);
  return found;
}

/** What serverless.yml and the Lambda runtime set; no AWS profile, no credentials unless given. */
function lambdaEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: outRoot,
    AWS_CONFIG_FILE: join(outRoot, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(outRoot, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'api-read',
    NODE_OPTIONS: '--enable-source-maps',
    TABLE_NAME: 'blox-test',
    ACTIONS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/actions.fifo',
    WAKEUPS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/wakeups',
    RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/reconcile.fifo',
    EVENT_BUS_NAME: 'default',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

type MetaOutputs = Record<string, { inputs: Record<string, unknown>; imports?: Array<{ path: string; kind: string; external?: boolean }> }>;

/** esbuild's metafile outputs of a bundle: its entry, its chunks and their source maps. */
async function metaOf(b: BuiltFunction): Promise<MetaOutputs> {
  return (JSON.parse(await readFile(join(dirname(b.outfile), 'meta.json'), 'utf8')) as { outputs: MetaOutputs }).outputs;
}

function runBundle(outfile: string, env: Record<string, string>, event?: unknown): Promise<unknown> {
  return runScript(CHILD_SCRIPT, dirname(outfile), env, [pathToFileURL(outfile).href, ...(event === undefined ? [] : [JSON.stringify(event)])]);
}

/** Runs `script` (ESM) in a fresh Node process in `cwd`; resolves with what it prints after `RESULT:`. */
function runScript(script: string, cwd: string, env: Record<string, string>, argv: string[] = []): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const args = ['--input-type=module', '-e', script, ...argv];
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT:'));
      if (code !== 0 || !line) reject(new Error(`${argv[0] ?? cwd}: exit ${code}\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(line.slice('RESULT:'.length)));
    });
  });
}

const listEnvironments = {
  version: '2.0',
  routeKey: 'GET /environments',
  rawPath: '/environments',
  rawQueryString: '',
  headers: {},
  isBase64Encoded: false,
  requestContext: {
    accountId: '123456789012',
    apiId: 'api',
    domainName: 'api.example.com',
    domainPrefix: 'api',
    http: { method: 'GET', path: '/environments', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
    requestId: 'request-1',
    routeKey: 'GET /environments',
    stage: '$default',
    time: '01/Jan/2026:00:00:00 +0000',
    timeEpoch: 0,
  },
};

const dynamoRequests = () => requests.filter((r) => r.headers['x-amz-target'] !== undefined);

describe(`the function bundles (SDK ${SDK_MODE})`, () => {
  it('are built for every function', () => {
    expect(bundles.map((b) => b.name)).toEqual(FUNCTIONS.map((f) => f.name));
  });

  it(`import nothing at run time but Node built-ins${SDK_MODE === 'external' ? ' and @aws-sdk/*' : ': the AWS SDK is inside'}`, async () => {
    const builtins = new Set(builtinModules);
    for (const b of bundles) {
      const meta = JSON.parse(await readFile(join(dirname(b.outfile), 'meta.json'), 'utf8')) as {
        outputs: Record<string, { imports?: Array<{ path: string; kind: string; external?: boolean }> }>;
      };
      // What the bundle's files import from outside it (not their own chunks, which are beside them).
      const imports = Object.values(meta.outputs).flatMap((o) => (o.imports ?? []).filter((i) => i.external).map((i) => i.path));
      const foreign = imports.filter((p) => !p.startsWith('node:') && !builtins.has(p) && !(SDK_MODE === 'external' && p.startsWith('@aws-sdk/')));
      expect(foreign, b.name).toEqual([]);
      if (SDK_MODE === 'bundled') expect(imports.some((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/')), b.name).toBe(false);
    }
  });

  it('carry no electrodb: the event log builds its requests itself (entities cost ~50 ms of every cold start to construct)', async () => {
    for (const b of bundles) {
      const meta = JSON.parse(await readFile(join(dirname(b.outfile), 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
      expect(Object.keys(meta.inputs).filter((path) => /node_modules\/(electrodb|jsonschema)\//.test(path)), b.name).toEqual([]);
    }
  });

  it(`each loads in a fresh Node process from a folder outside the repository${SDK_MODE === 'external' ? ' (the SDK beside it, as the runtime has it)' : ', without node_modules'}, and exports a handler`, async () => {
    for (const b of bundles) await expect(runBundle(b.outfile, lambdaEnv()), b.name).resolves.toEqual({ loaded: true });
  }, 60_000);

  it('each loads its chunks (what it imports on first use, and what they share) from beside it', async () => {
    for (const b of bundles) {
      const files = Object.keys(await metaOf(b)).filter((f) => f.endsWith('.mjs'));
      expect(files.length, b.name).toBeGreaterThan(1);
      // Every chunk, in one process: its imports resolve within the folder.
      const urls = files.map((f) => pathToFileURL(join(dirname(b.outfile), basename(f))).href);
      const script = `for (const url of ${JSON.stringify(urls)}) await import(url); process.stdout.write('RESULT:{"loaded":true}\\n', () => process.exit(0));`;
      await expect(runScript(script, dirname(b.outfile), lambdaEnv()), b.name).resolves.toEqual({ loaded: true });
    }
  }, 60_000);

  it('the reconciler does not load the CloudWatch, ELBv2, EventBridge and SQS clients at cold start: they are in chunks imported on first use', async () => {
    const outputs = await metaOf(bundle('reconciler'));
    const entry = Object.keys(outputs).find((f) => f.endsWith('/index.mjs'))!;
    const cold = new Set<string>();
    const pending = [entry];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (cold.has(file)) continue;
      cold.add(file);
      for (const i of outputs[file]!.imports ?? []) if (i.kind === 'import-statement' && !i.external) pending.push(i.path);
    }
    const inputsOf = (files: Iterable<string>) => [...files].flatMap((f) => Object.keys(outputs[f]!.inputs));
    const lazy = /node_modules\/@aws-sdk\/client-(cloudwatch|elastic-load-balancing-v2|eventbridge|sqs)\//;
    expect(inputsOf(cold).filter((path) => lazy.test(path))).toEqual([]);
    // …and they are in the bundle, for when they are needed.
    const packages = new Set(inputsOf(Object.keys(outputs)).flatMap((path) => lazy.exec(path)?.[1] ?? []));
    expect([...packages].sort()).toEqual(['cloudwatch', 'elastic-load-balancing-v2', 'eventbridge', 'sqs']);
  });

  it("none loads Node's web streams at cold start (@middy/core's `node:stream/web` import is resolved to MIDDY_WEB_STREAMS)", async () => {
    // What the import loads beyond what the process had loaded before it.
    const script = `const before = new Set(process.moduleLoadList); await import(process.argv[1]); const loaded = process.moduleLoadList.filter((m) => !before.has(m) && /webstreams|stream\\/web/.test(m)); process.stdout.write('RESULT:' + JSON.stringify(loaded) + '\\n', () => process.exit(0));`;
    for (const b of bundles) await expect(runScript(script, dirname(b.outfile), lambdaEnv(), [pathToFileURL(b.outfile).href]), b.name).resolves.toEqual([]);
  }, 60_000);

  it("MIDDY_WEB_STREAMS's ReadableStream answers `instanceof` as node:stream/web's does", async () => {
    const { ReadableStream: WebReadableStream } = await import('node:stream/web');
    const { Readable } = await import('node:stream');
    const { ReadableStream: Shim } = (await import(`data:text/javascript,${encodeURIComponent(MIDDY_WEB_STREAMS)}`)) as { ReadableStream: new () => unknown };
    expect(new WebReadableStream() instanceof Shim).toBe(true);
    expect(Readable.from(['x']) instanceof Shim).toBe(false);
    expect({ getReader() {} } instanceof Shim).toBe(false);
    expect(('body' as unknown) instanceof Shim).toBe(false);
  });

  it('api-read answers GET /environments through its SDK: credentials from the environment as Lambda sets them, SigV4, the Node HTTP handler', async () => {
    requests.length = 0;
    const result = await runBundle(
      bundle('api-read').outfile,
      lambdaEnv({ AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'env-session', AWS_ENDPOINT_URL_DYNAMODB: endpoint }),
      listEnvironments,
    );
    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ Environments: [] }) });
    const [query, ...more] = dynamoRequests();
    expect(more).toEqual([]);
    expect(query!.headers['x-amz-target']).toBe('DynamoDB_20120810.Query');
    expect(query!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFROMENV\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/);
    expect(query!.headers['x-amz-security-token']).toBe('env-session');
    expect(JSON.parse(query!.body)).toMatchObject({ TableName: 'blox-test', IndexName: 'gsi1' });
  });

  it('api-read gets credentials from the container endpoint when the environment has none (a provider the chain loads lazily)', async () => {
    requests.length = 0;
    const result = await runBundle(
      bundle('api-read').outfile,
      lambdaEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint}/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN: CONTAINER_TOKEN, AWS_ENDPOINT_URL_DYNAMODB: endpoint }),
      listEnvironments,
    );
    expect(result).toMatchObject({ statusCode: 200 });
    const credentials = requests.filter((r) => r.path === '/credentials');
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.headers.authorization).toBe(CONTAINER_TOKEN);
    const [query] = dynamoRequests();
    expect(query!.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${CONTAINER_KEY}/`));
    expect(query!.headers['x-amz-security-token']).toBe('session');
  });
});
