/**
 * The dashboard in a real browser: `npm start` as a real process (10× speed) and Debian's chromium
 * driven by playwright-core. A Daemon environment is deployed through the API and the page is
 * watched as the simulated cluster moves: the counts and the instance grid fill in; a revision that
 * cannot start is deployed from the page's own button and the circuit breaker's rollback shows in
 * the timeline with its reason; a refused control shows the API's message. Then a picture of 10,000
 * instances is drawn and the page still answers a click. Screenshots go to test-output/dashboard/
 * (gitignored).
 *
 * Chromium: `/usr/bin/chromium` (Debian: `apt-get install -y chromium`), or CHROMIUM_PATH.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { getFreePort } from '../../local/dynamodb-local';
import { ROOT, startStackProcess } from '../support/stack-process';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'dashboard');
const NAME = 'Logs/Prod';

async function api(url: string, method: 'GET' | 'POST', path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

const envPath = (name: string) => `/environments/${encodeURIComponent(name)}`;

describe('the dashboard in chromium', () => {
  let stack: StackProcess;
  let browser: Browser;
  let page: Page;

  /** Why the browser or the stack could not start: every test fails with it (none is skipped). */
  let setupError: Error | undefined;
  beforeAll(async () => {
    try {
      if (!existsSync(CHROMIUM)) {
        throw new Error(`no chromium at ${CHROMIUM}: install it (Debian: sudo apt-get install -y chromium) or set CHROMIUM_PATH`);
      }
      mkdirSync(SHOTS, { recursive: true });
      stack = await startStackProcess(['--speed', '10']);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    } catch (error) {
      setupError = error as Error;
    }
  }, 120_000);
  const test = (name: string, body: () => Promise<void>, timeout?: number) =>
    it(
      name,
      async () => {
        if (setupError) throw setupError;
        await body();
      },
      timeout,
    );

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('serves the page and its bundle from the stack (nothing from elsewhere)', async () => {
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(stack.url)) outside.push(request.url());
    });
    await page.goto(`${stack.url}/`);
    await page.getByText('No environments yet').waitFor();
    expect(outside).toEqual([]);
    const script = await fetch(`${stack.url}/_dashboard/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  test('shows a Daemon deployment as the cluster moves: counts change and the grid fills with the revision', async () => {
    // Given a Daemon environment over the 5 prod instances, created through the API
    await api(
      stack.url,
      'POST',
      '/environments',
      `Name: "${NAME}"\nTaskDefinition: "log-daemon:1"\nInstanceGroup:\n  Query: "attribute:stack == prod"\nDeploymentType: Daemon\nDeploymentConfiguration:\n  MinHealthyPercent: 0\n  CircuitBreaker: {}\n`,
      'application/yaml',
    );
    await page.goto(`${stack.url}/#/environments/${encodeURIComponent(NAME)}`);
    await page.locator('[data-testid=revisions] tr[data-revision="1"]').getByText('Created').waitFor();
    const current = page.locator('[data-testid=summary] [data-field=current]');
    expect(await current.textContent()).toBe('0');

    // When it is deployed through the API
    await api(stack.url, 'POST', `${envPath(NAME)}/deployments`, { EnvironmentRevision: 1 });

    // Then the page, without a reload, sees it Deploying with fewer than 5 current, then Active 5/5
    const seen = new Set<string>();
    for (;;) {
      const text = await current.textContent();
      seen.add(text ?? '');
      if (text === '5') break;
      await page.waitForTimeout(50);
    }
    expect([...seen].some((n) => Number(n) < 5)).toBe(true);
    await page.locator('[data-testid=revisions] tr[data-revision="1"]').getByText('Active').waitFor();
    await page.locator('[data-legend-revision="1"]').getByText('5').waitFor();
    expect(await page.locator('[data-testid=grid]').getAttribute('data-cells')).toBe('5');
    await page.locator('[data-testid=timeline] li[data-type=DeploymentStarted]').waitFor();
    await page.locator('[data-testid=timeline] li[data-type=DeploymentCompleted]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'environment-active.png'), fullPage: true });
  }, 120_000);

  test("shows the API's message when a control is refused", async () => {
    // When Deploy is confirmed for a revision that does not exist
    await page.locator('button[data-control=deploy]').click();
    await page.locator('.dialog input[name=revision]').fill('99');
    await page.locator('.dialog button[data-action=confirm]').click();
    // Then the page says what the API said
    const error = page.locator('[data-testid=action-error]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^deploy refused \(4\d\d\): .*99/);
    await page.screenshot({ path: join(SHOTS, 'refused.png') });
  });

  test("deploys from the page's button; the circuit breaker's rollback appears in the timeline with its reason", async () => {
    // Given revision 2, whose task definition cannot start
    await api(stack.url, 'POST', '/_sim/task-definitions', { TaskDefinition: 'log-daemon:3', FailStart: 'CannotPullContainerError: image not found', StartSeconds: 10 });
    await api(stack.url, 'POST', `${envPath(NAME)}/revisions`, { Revision: 1, TaskDefinition: 'log-daemon:3' });
    await page.locator('[data-testid=summary]').getByText('Latest').locator('..').getByText('2').waitFor();

    // When it is deployed with the page's Deploy button (its revision proposed: the latest)
    await page.locator('button[data-control=deploy]').click();
    expect(await page.locator('.dialog input[name=revision]').inputValue()).toBe('2');
    await page.locator('.dialog button[data-action=confirm]').click();
    await page.locator('[data-testid=notice]').getByText(/deploy: done/).waitFor();
    await page.locator('[data-testid=deployment]').getByText('deploy of revision 2').waitFor();
    await page.screenshot({ path: join(SHOTS, 'deploying.png'), fullPage: true });

    // Then the rollback shows in the timeline, its trigger and reason with it, and revision 1 is Active on 5 again
    const rollback = page.locator('[data-testid=timeline] li[data-type=RollbackStarted]');
    await rollback.waitFor({ timeout: 90_000 });
    expect(await rollback.locator('.trigger').textContent()).toBe('CircuitBreaker');
    // 5 instances, MinHealthyPercent 0: up to 5 launched at once; the threshold is ECS's minimum, 3 (stops seen together count together)
    const reason = (await rollback.locator('.what').textContent()) ?? '';
    const counted = /^circuit breaker: ([3-5]) of ([3-5]) new tasks stopped before ready \(last: CannotPullContainerError: image not found\)$/.exec(reason);
    expect(counted, reason).not.toBeNull();
    expect(Number(counted![1])).toBeLessThanOrEqual(Number(counted![2]));
    await page.locator('[data-testid=revisions] tr[data-revision="2"]').getByText(/Reverting|Reverted/).waitFor();
    await page.locator('[data-testid=revisions] tr[data-revision="1"]').getByText('Active').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, 'rolled-back.png'), fullPage: true });
  }, 180_000);

  test('lists every environment with its status, counts and a sparkline of its deployments', async () => {
    await page.goto(`${stack.url}/#/`);
    const row = page.locator(`tr[data-environment="${NAME}"]`);
    await row.waitFor();
    await row.locator('[data-field=current]').getByText('5').waitFor();
    // Two deployments and the rollback: three bars
    await page.waitForFunction(`document.querySelectorAll('tr[data-environment="${NAME}"] svg.spark rect').length === 3`);
    await page.screenshot({ path: join(SHOTS, 'environments.png'), fullPage: true });
  });

  test('draws 10,000 instances and still answers a click', async () => {
    // Given the API's picture of 10,000 instances, half on revision 1 and half starting revision 2
    const instances = Array.from({ length: 10_000 }, (_, i) => ({
      InstanceId: `i-${String(i).padStart(17, '0')}`,
      Status: i % 97 === 0 ? 'DRAINING' : 'ACTIVE',
      Tasks: [{ TaskId: `t${i}`, Revision: i < 5000 ? 1 : 2, LastStatus: i < 5000 || i % 3 === 0 ? 'RUNNING' : 'PENDING', DesiredStatus: 'RUNNING', Health: 'UNKNOWN' }],
    }));
    await page.route('**/instances?**', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify({ EnvironmentName: NAME, DeploymentType: 'Daemon', DeploymentId: 'x', LookedAt: new Date().toISOString(), InstanceCount: 10_000, Instances: instances }) }),
    );
    await page.goto(`${stack.url}/#/environments/${encodeURIComponent(NAME)}`);
    const grid = page.locator('[data-testid=grid]');
    await page.waitForFunction(`document.querySelector('[data-testid=grid]')?.getAttribute('data-cells') === '10000'`);
    // Then a click on the last cell is answered (the page is not frozen) and frames are painted
    const box = (await grid.boundingBox())!;
    const columns = Math.floor((box.width + 1) / 7);
    const rows = Math.ceil(10_000 / columns);
    const last = 9_999;
    await grid.click({ position: { x: (last % columns) * 7 + 3, y: Math.floor(last / columns) * 7 + 3 } });
    await page.locator('[data-testid=grid-info]').getByText('i-00000000000009999').waitFor();
    expect(rows * 7).toBeGreaterThan(box.height - 7);
    // Two frames painted after the click
    expect(await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))')).toBe(true);
    await page.locator('[data-legend-revision="2"]').getByText('5000').waitFor();
    await grid.screenshot({ path: join(SHOTS, 'ten-thousand.png') });
    await page.unroute('**/instances?**');
  }, 60_000);

  test("shows a traffic rollout's step and weights when the deployment carries them", async () => {
    // Given describe-environment answering a deployment with a traffic object (a Service Canary's, here grafted onto the real answer)
    const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${name}/0123456789abcdef`;
    const described = (url: URL) => url.pathname === envPath(NAME);
    await page.route(described, async (route) => {
      const answer = (await (await route.fetch()).json()) as Record<string, unknown>;
      const deployment = { DeploymentId: `${NAME}:2@x`, Revision: 2, Kind: 'deploy', Phase: 'Rolling', Paused: null, Trigger: 'User', Reason: null, Alarms: [] };
      await route.fulfill({ json: { ...answer, Deployment: { ...deployment, traffic: { step: '3/5', weights: [{ targetGroupArn: tg('web-blue'), weight: 80 }, { targetGroupArn: tg('web-green'), weight: 20 }] } } } });
    });
    await page.goto(`${stack.url}/#/environments/${encodeURIComponent(NAME)}`);
    // Then the step and each target group's share show
    const traffic = page.locator('[data-testid=traffic]');
    await traffic.getByText('3/5').waitFor();
    expect(await traffic.locator('.weight').allTextContents()).toEqual(['web-blue 80 %', 'web-green 20 %']);
    await page.locator('[data-testid=traffic]').screenshot({ path: join(SHOTS, 'traffic.png') });
    await page.unroute(described);
  });

  test('blox dashboard: the same page on another port, its API calls forwarded to BLOX_API_URL (the stack); Freeze and Thaw go through', async () => {
    // Given `blox dashboard` pointed at the stack
    const port = await getFreePort();
    const child = spawn(process.execPath, [join(ROOT, 'bin/blox.js'), 'dashboard', '--port', String(port)], { cwd: ROOT, env: { ...process.env, BLOX_API_URL: stack.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('Blox dashboard on')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`blox dashboard did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const forwarder = `http://127.0.0.1:${port}`;
      // When the page is opened there and Freeze is confirmed
      await page.goto(`${forwarder}/#/`);
      await page.locator(`tr[data-environment="${NAME}"] [data-field=current]`).getByText('5').waitFor();
      await page.locator(`a[href="#/environments/${encodeURIComponent(NAME)}"]`).click();
      await page.locator('button[data-control=freeze]').click();
      await page.locator('.dialog button[data-action=confirm]').click();
      // Then the stack's environment is frozen, and the page shows it
      await page.locator('.title').getByText('Suspended').waitFor();
      expect(await api(stack.url, 'GET', envPath(NAME))).toMatchObject({ Frozen: true, Status: 'Suspended' });
      await page.screenshot({ path: join(SHOTS, 'forwarded-frozen.png'), fullPage: true });
      await page.locator('button[data-control=thaw]').click();
      await page.locator('.dialog button[data-action=confirm]').click();
      await page.locator('.title').getByText('Active').waitFor();
      expect(await api(stack.url, 'GET', envPath(NAME))).toMatchObject({ Frozen: false, Status: 'Active' });
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 60_000);

  test('a Service: one grid per task set, filling as its tasks start, then drawn from the tasks the engine saw', async () => {
    // Given a Service of 4 tasks behind target group web, deployed through the API
    const name = 'Web/Prod';
    const groups = (await api(stack.url, 'GET', '/_sim/target-groups')) as { TargetGroups: Array<{ TargetGroupName: string; TargetGroupArn: string }> };
    const web = groups.TargetGroups.find((g) => g.TargetGroupName === 'web')!.TargetGroupArn;
    await api(
      stack.url,
      'POST',
      '/environments',
      `Name: "${name}"\nTaskDefinition: "web:1"\nDeploymentType: Service\nDesiredCount: 4\nDeploymentConfiguration:\n  Method: Rolling\nService:\n  LoadBalancer:\n    ContainerName: web\n    ContainerPort: 80\n    TargetGroupArn: "${web}"\n`,
      'application/yaml',
    );
    await page.goto(`${stack.url}/#/environments/${encodeURIComponent(name)}`);
    await page.getByText('No task set runs tasks.').waitFor();
    // Its tasks take 30 s (3 s at 10×) to start: the page has time to show them starting
    await api(stack.url, 'POST', '/_sim/task-definitions', { TaskDefinition: 'web:1', StartSeconds: 30 });
    await api(stack.url, 'POST', `${envPath(name)}/deployments`, { EnvironmentRevision: 1 });

    // Then revision 1's task set shows 4 cells, fewer than 4 running at first, then 4 of 4
    const taskSet = page.locator('[data-task-set="1"]');
    await taskSet.locator('canvas[data-cells="4"]').waitFor({ timeout: 60_000 });
    const seen = new Set<string>();
    for (;;) {
      const text = (await taskSet.locator('.task-set-head .muted-text').textContent()) ?? '';
      seen.add(text);
      if (text === '4 running of 4 desired') break;
      await page.waitForTimeout(50);
    }
    expect([...seen].some((t) => /^[0-3] running of 4 desired$/.test(t))).toBe(true);
    await page.locator('[data-testid=revisions] tr[data-revision="1"]').getByText('Active').waitFor({ timeout: 90_000 });
    // And the grid is drawn from the tasks the engine saw (not the counts): 4 running; a click names a task and its health
    const fromTasks = page.locator('[data-task-set="1"][data-source="tasks"]');
    await fromTasks.locator('canvas[data-cells="4"][data-running="4"]').waitFor({ timeout: 30_000 });
    await fromTasks.locator('canvas').click({ position: { x: 5, y: 5 } });
    expect(await fromTasks.getByTestId('grid-info').textContent()).toMatch(/^task [0-9a-f]+ · revision 1 · RUNNING HEALTHY$/);
    await page.screenshot({ path: join(SHOTS, 'service.png'), fullPage: true });
  }, 150_000);
});
