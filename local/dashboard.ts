/**
 * The dashboard's static files (dashboard/), bundled by esbuild when the server starts (about a
 * tenth of a second; nothing is fetched from the network): `/` is the page, `/_dashboard/app.js` its
 * script (preact + htm, bundled in), `/_dashboard/app.css` its style sheet. The page calls the same
 * API routes as the CLI, on its own origin: the local stack serves them beside it, `blox dashboard`
 * forwards them to `BLOX_API_URL`.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  contentType: string;
  body: Buffer;
}

/** Path → file. */
export type DashboardFiles = Map<string, StaticFile>;

const SOURCE = fileURLToPath(new URL('../dashboard/', import.meta.url));

let built: Promise<DashboardFiles> | undefined;

/** Bundles dashboard/ (once per process). */
export function buildDashboard(): Promise<DashboardFiles> {
  built ??= (async () => {
    const result = await build({
      entryPoints: [`${SOURCE}main.ts`],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
    });
    const script = result.outputFiles[0];
    if (!script) throw new Error('esbuild produced no dashboard bundle');
    return new Map<string, StaticFile>([
      ['/', { contentType: 'text/html; charset=utf-8', body: readFileSync(`${SOURCE}index.html`) }],
      ['/_dashboard/app.js', { contentType: 'text/javascript; charset=utf-8', body: Buffer.from(script.contents) }],
      ['/_dashboard/app.css', { contentType: 'text/css; charset=utf-8', body: readFileSync(`${SOURCE}style.css`) }],
    ]);
  })();
  return built;
}

/** Whether a request is for the dashboard (a GET of `/` or under `/_dashboard/`). */
export function isDashboardPath(method: string | undefined, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === '/' || path === '/index.html' || path.startsWith('/_dashboard/'));
}

/** Answers a dashboard request: the file, or a 404. */
export function serveDashboard(files: DashboardFiles, path: string, res: http.ServerResponse): void {
  const file = files.get(path === '/index.html' ? '/' : path);
  if (!file) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'NotFound', message: `no dashboard file ${path}` } }));
    return;
  }
  res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache', 'content-length': String(file.body.length) });
  res.end(file.body);
}
