/**
 * The dashboard in Chromium (playwright-core, Debian's /usr/bin/chromium or CHROMIUM_PATH): the page
 * served as the local stack serves it, its API answered with a picture of 10,000 instances (half on
 * revision 1, half starting revision 2), re-read every half second as the page does.
 *
 * - `dashboard.grid_draw_10000.p50` / `.max` (ms): drawing the 10,000-cell grid on its canvas (the
 *   page's own `blox:grid-draw` measures, one per redraw, over about 5 s of polling);
 * - `dashboard.first_grid_10000` (ms): from navigation to the grid drawn with 10,000 cells.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { buildDashboard, isDashboardPath, serveDashboard } from '../local/dashboard';
import type { BenchResult } from './stats';
import { percentile, progress, round } from './stats';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NAME = 'Bench/Grid';

function picture() {
  return {
    EnvironmentName: NAME,
    DeploymentType: 'Daemon',
    DeploymentId: `${NAME}:2@1`,
    LookedAt: new Date().toISOString(),
    InstanceCount: 10_000,
    Instances: Array.from({ length: 10_000 }, (_, i) => ({
      InstanceId: `i-${String(i).padStart(17, '0')}`,
      Status: 'ACTIVE',
      Tasks: [{ TaskId: `t${i}`, Revision: i < 5000 ? 1 : 2, LastStatus: i < 5000 ? 'RUNNING' : 'PENDING', DesiredStatus: 'RUNNING', Health: 'UNKNOWN' }],
    })),
  };
}

const DESCRIPTION = { EnvironmentName: NAME, Status: 'Deploying', Desired: 10_000, Current: 5000, Frozen: false, LatestRevision: 2, ActiveRevision: 1, DeployingRevision: 2, Deployment: null, LastDeployment: null, Spec: { DeploymentType: 'Daemon' } };

export async function dashboardBench(): Promise<BenchResult[]> {
  if (!existsSync(CHROMIUM)) throw new Error(`dashboard: no chromium at ${CHROMIUM}: install it (Debian: sudo apt-get install -y chromium) or set CHROMIUM_PATH`);
  const files = await buildDashboard();
  const body = JSON.stringify(picture());
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (isDashboardPath(req.method, path)) return serveDashboard(files, path, res);
    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof value === 'string' ? value : JSON.stringify(value));
    };
    if (path.endsWith('/instances')) return json(body);
    if (path.endsWith('/events')) return json({ EnvironmentName: NAME, Events: [] });
    if (path.endsWith('/status')) return json({ EnvironmentName: NAME, Status: 'Deploying', Frozen: false, Revisions: [] });
    return json(DESCRIPTION);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const started = performance.now();
    await page.goto(`${url}/#/environments/${encodeURIComponent(NAME)}`);
    await page.waitForFunction(`document.querySelector('[data-testid=grid]')?.getAttribute('data-cells') === '10000'`);
    const first = performance.now() - started;
    progress('dashboard: grid of 10,000 drawn; timing the redraws for 5 s');
    await page.waitForTimeout(5000);
    const draws = (await page.evaluate(
      `performance.getEntriesByName('blox:grid-draw').filter((e) => e.detail && e.detail.cells === 10000).map((e) => e.duration)`,
    )) as number[];
    if (draws.length === 0) throw new Error('dashboard: the page measured no grid draw');
    return [
      { name: 'dashboard.grid_draw_10000.p50', value: round(percentile(draws, 0.5)), unit: 'ms' },
      { name: 'dashboard.grid_draw_10000.max', value: round(Math.max(...draws)), unit: 'ms' },
      { name: 'dashboard.first_grid_10000', value: round(first, 1), unit: 'ms' },
    ];
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
