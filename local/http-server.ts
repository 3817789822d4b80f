/**
 * The local stand-in for API Gateway's HTTP API: matches a request to a route the way the
 * `httpApi` routes in serverless.yml do, builds a payload-v2 event and calls the same Lambda
 * handler AWS would. Only the transport differs.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DashboardFiles } from './dashboard';
import { isDashboardPath, serveDashboard } from './dashboard';

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

interface RouteDef {
  method: 'GET' | 'POST';
  /** Path template segments; `{name}` matches one URL-encoded segment. */
  template: string;
  function: 'api-read' | 'api-write';
}

/** The routes of serverless.yml, by function. */
export const ROUTES: RouteDef[] = [
  { method: 'GET', template: '/environments', function: 'api-read' },
  { method: 'POST', template: '/environments', function: 'api-write' },
  { method: 'GET', template: '/environments/{name}', function: 'api-read' },
  { method: 'GET', template: '/environments/{name}/status', function: 'api-read' },
  { method: 'GET', template: '/environments/{name}/deployments', function: 'api-read' },
  { method: 'GET', template: '/environments/{name}/revision-diff', function: 'api-read' },
  { method: 'GET', template: '/environments/{name}/events', function: 'api-read' },
  { method: 'GET', template: '/environments/{name}/instances', function: 'api-read' },
  { method: 'POST', template: '/environments/{name}/revisions', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/deployments', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/rollbacks', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/freeze', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/thaw', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/scale', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/deletion', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/deployment/pause', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/deployment/resume', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/deployment/promote', function: 'api-write' },
  { method: 'POST', template: '/environments/{name}/deployment/abort', function: 'api-write' },
];

/** API Gateway refuses bodies over 10 MB itself; the handlers' own limit is lower. */
const TRANSPORT_LIMIT = 10 * 1024 * 1024;

function match(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{')) {
      if (g === '') return undefined;
      params[w.slice(1, -1)] = g;
    } else if (w !== g) return undefined;
  }
  return params;
}

/** A Lambda invocation context for a locally invoked handler. */
export function lambdaContext(functionName: string): Context {
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: http.ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(statusCode, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

/** Local-only routes (the simulator's controls): return true when the request was handled. */
export type ExtraRoutes = (method: string, url: URL, body: string, res: http.ServerResponse) => boolean;

export function createApiServer(handlers: Record<RouteDef['function'], LambdaHttpHandler>, extra?: ExtraRoutes, dashboard?: DashboardFiles): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (dashboard && isDashboardPath(req.method, path)) {
      req.resume();
      serveDashboard(dashboard, path, res);
      return;
    }
    if (extra && path.startsWith('/_sim')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!extra(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'), res)) {
          send(res, 404, { error: { code: 'NotFound', message: `no route for ${req.method} ${path}` } });
        }
      });
      return;
    }
    const candidates = ROUTES.map((route) => ({ route, params: match(route.template, path) })).filter((c) => c.params);
    const found = candidates.find((c) => c.route.method === req.method);
    if (!found) {
      if (candidates.length > 0) {
        const allow = candidates.map((c) => c.route.method).join(', ');
        send(res, 405, { error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed on ${path} (allowed: ${allow})` } }, { allow });
      } else {
        send(res, 404, { error: { code: 'NotFound', message: `no route for ${req.method} ${path}` } });
      }
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > TRANSPORT_LIMIT) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        send(res, 413, { error: { code: 'PayloadTooLarge', message: 'request body is larger than 10 MB' } });
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
      const query = Object.fromEntries(url.searchParams.entries());
      const routeKey = `${found.route.method} ${found.route.template}`;
      const event: APIGatewayProxyEventV2 = {
        version: '2.0',
        routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        ...(Object.keys(found.params!).length > 0 ? { pathParameters: found.params } : {}),
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: 'localhost',
          domainPrefix: 'localhost',
          http: { method: found.route.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
          requestId: randomUUID(),
          routeKey,
          stage: '$default',
          time: new Date().toISOString(),
          timeEpoch: Date.now(),
        },
        ...(body ? { body } : {}),
        isBase64Encoded: false,
      };
      handlers[found.route.function](event, lambdaContext(found.route.function))
        .then((result) => send(res, result.statusCode ?? 200, result.body ?? '', (result.headers ?? {}) as Record<string, string>))
        .catch(() => send(res, 500, { error: { code: 'InternalError', message: 'the handler failed' } }));
    });
  });
}

export async function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
