/**
 * `blox dashboard`: the dashboard served on this machine (127.0.0.1 only), its API calls forwarded
 * to `BLOX_API_URL` — signed with SigV4 from the standard credential chain when the URL is https,
 * as every CLI call is. The API stays IAM-only: nothing is exposed beyond loopback.
 *
 * Only the API's routes (`/environments…`) are forwarded, and only requests from the dashboard's
 * own page: the Host must be this server (no DNS rebinding), an Origin, when sent, this server's,
 * and a POST must carry `content-type: application/json` (which a cross-site form cannot send
 * without a CORS preflight, which this server never grants) — another site open in the same browser
 * cannot deploy with your credentials.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestSigner } from './client';

export interface DashboardServerOptions {
  /** The API to forward to (`BLOX_API_URL`). */
  apiUrl: string;
  port: number;
  /** Signs the forwarded requests when the API URL is https (default: SigV4, `cli/sign.ts`). */
  signer?: RequestSigner;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/** API Gateway's own limit on a request body. */
const BODY_LIMIT = 10 * 1024 * 1024;
/** Headers of the page's request passed on to the API. */
const FORWARDED_HEADERS = ['content-type', 'idempotency-key'];

function refuse(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message } }));
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const base = new URL(options.apiUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`BLOX_API_URL: expected an http or https URL, got ${options.apiUrl}`);
  // Bundled once, here: esbuild is loaded only by this command.
  const { buildDashboard, isDashboardPath, serveDashboard } = await import('../local/dashboard');
  const files = await buildDashboard();
  const doFetch = options.fetch ?? fetch;
  let signer = options.signer;
  const sign = async (): Promise<RequestSigner> => {
    if (!signer) {
      const { defaultSigner } = await import('./sign');
      signer = defaultSigner(base, options.env);
    }
    return signer;
  };
  let own: string[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (!own.includes(req.headers.host ?? '')) return refuse(res, 403, 'Forbidden', `this server answers only as ${own[0]}`);
    const origin = req.headers.origin;
    if (origin !== undefined && !own.some((host) => origin === `http://${host}`)) return refuse(res, 403, 'Forbidden', `requests from ${origin} are not forwarded`);
    if (isDashboardPath(req.method, path.replace(/\/+$/, '') || '/')) {
      req.resume();
      return serveDashboard(files, path.replace(/\/+$/, '') || '/', res);
    }
    if (path !== '/environments' && !path.startsWith('/environments/')) {
      req.resume();
      return refuse(res, 404, 'NotFound', `no route for ${req.method} ${path} (only the API's /environments routes are forwarded)`);
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      req.resume();
      return refuse(res, 405, 'MethodNotAllowed', `${req.method} is not forwarded`);
    }
    if (req.method === 'POST' && !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      req.resume();
      return refuse(res, 415, 'UnsupportedMediaType', 'the dashboard forwards JSON bodies only (content-type: application/json)');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > BODY_LIMIT) return refuse(res, 413, 'PayloadTooLarge', 'request body is larger than 10 MB');
      const target = new URL(base.href);
      target.pathname = base.pathname.replace(/\/+$/, '') + path;
      target.search = url.search;
      target.hash = '';
      const body = req.method === 'POST' ? Buffer.concat(chunks).toString('utf8') : undefined;
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const name of FORWARDED_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      void (async () => {
        try {
          const sendHeaders = target.protocol === 'https:' ? await (await sign())({ method: req.method!, url: target, headers, body }) : headers;
          const answer = await doFetch(target, { method: req.method!, headers: sendHeaders, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(30_000) });
          const text = await answer.text();
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        } catch (error) {
          refuse(res, 502, 'BadGateway', `cannot reach the Blox API at ${base.origin}: ${(error as Error).message}`);
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  own = [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
