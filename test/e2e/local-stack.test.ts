/**
 * The local stack end to end: `npm start` as a real process (simulated cluster at 5× speed) and
 * `blox` as real processes, playing the walkthrough; then a SIGKILL mid-deployment and a restart
 * on the same data dir. No process may outlive a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { alive, blox, rows, stackChildPids, startStackProcess } from '../support/stack-process';

const NAME = 'SomeEnvironment/Prod';
const SPEED = '5';

async function statusRows(url: string): Promise<string[][]> {
  const response = await fetch(`${url}/environments/${encodeURIComponent(NAME)}/status?all=true`);
  const body = (await response.json()) as { Revisions: Array<{ Revision: string; Status: string; Desired: number; Current: number }> };
  return body.Revisions.map((r) => [r.Revision, r.Status, String(r.Desired), String(r.Current)]);
}

/** Polls the status until `done` holds; returns every distinct table seen on the way. */
async function watch(url: string, done: (rows: string[][]) => boolean, timeoutMs = 60_000): Promise<string[][][]> {
  const seen: string[][][] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await statusRows(url);
    if (JSON.stringify(seen.at(-1)) !== JSON.stringify(current)) seen.push(current);
    if (done(current)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out; last tables:\n${seen.slice(-3).map((t) => JSON.stringify(t)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statusOf = (table: string[][], revision: number) => table.find((r) => r[0] === `${NAME}:${revision}`);
const is = (revision: number, status: string, desired?: number, current?: number) => (table: string[][]) => {
  const row = statusOf(table, revision);
  return !!row && row[1] === status && (desired === undefined || row[2] === String(desired)) && (current === undefined || row[3] === String(current));
};

async function ok(url: string, args: string[], stdin = ''): Promise<string> {
  const result = await blox(url, args, stdin);
  if (result.code !== 0) throw new Error(`blox ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

async function sim(url: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${url}/_sim${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`/_sim${path}: ${response.status} ${await response.text()}`);
}

const SPEC = `Name: "SomeEnvironment/Prod"
TaskDefinition: "log-daemon:1"
Cluster: "default"
InstanceGroup:
  Query: "attribute:stack == prod"
DeploymentType: Daemon
DeploymentConfiguration:
  Method: "Replace" # (or "Surge")
  MinHealthyPercent: "100"
`;

describe('npm start: the walkthrough for real', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(['--speed', SPEED]);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('create → Created; deploy → Deploying 5 → Active 5 5 (the first deployment ignores MinHealthyPercent 100)', async () => {
    expect(await ok(stack.url, ['create-environment', '--yaml-file', '-'], SPEC)).toBe('{ "EnvironmentRevision": 1 }\n');
    expect(rows(await ok(stack.url, ['describe-environment-status', '--all', '--environment-name', NAME, '--table']))).toEqual([
      [`${NAME}:1`, 'Created', '0', '0'],
    ]);
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '1']);
    const seen = await watch(stack.url, is(1, 'Active', 5, 5));
    expect(seen.some(is(1, 'Deploying', 5))).toBe(true);
  });

  it('update the task definition, deploy with Replace at 80%: Undeploying → Inactive, one instance at a time', async () => {
    expect(await ok(stack.url, ['update-environment', '--environment', NAME, '--revision', '1', '--task-definition', 'log-daemon:2', '--min-healthy-percent', '80'])).toBe(
      '{ "EnvironmentRevision": 2 }\n',
    );
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '2']);
    const seen = await watch(stack.url, (t) => is(2, 'Active', 5, 5)(t) && is(1, 'Inactive', 0, 0)(t));
    const pairs = seen.filter((t) => statusOf(t, 1)?.[1] === 'Undeploying').map((t) => [Number(statusOf(t, 1)![3]), Number(statusOf(t, 2)![3])]);
    // Never more than one instance without the daemon: old + new ≥ 4 at every table seen.
    expect(pairs.every(([old, fresh]) => old! + fresh! >= 4)).toBe(true);
    expect(pairs.some(([old]) => old === 4)).toBe(true);
  });

  it('change the instance group to prod and gamma: DESIRED 6', async () => {
    await ok(stack.url, ['update-environment', '--environment', NAME, '--revision', '2', '--instance-group-query', 'attribute:stack in (prod, gamma)']);
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '3']);
    const seen = await watch(stack.url, (t) => is(3, 'Active', 6, 6)(t) && is(2, 'Inactive')(t));
    expect(seen.some(is(3, 'Deploying', 6))).toBe(true);
  });

  it('rollback to 2: Deploying / Reverting, then Active / Reverted', async () => {
    await ok(stack.url, ['rollback-environment', '--environment-name', NAME, '--environment-revision', '2']);
    const seen = await watch(stack.url, (t) => is(2, 'Active', 5, 5)(t) && is(3, 'Reverted', 0, 0)(t));
    expect(seen.some((t) => is(2, 'Deploying')(t) && is(3, 'Reverting')(t))).toBe(true);
  });

  it('freeze → Suspended, nothing moves; thaw → it goes on', async () => {
    await ok(stack.url, ['update-environment', '--environment', NAME, '--revision', '3', '--task-definition', 'log-daemon:4']);
    await ok(stack.url, ['freeze-environment', '--environment-name', NAME]);
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '4']);
    const suspended = rows(await ok(stack.url, ['describe-environment', '--environment-name', NAME, '--table']));
    expect(suspended[0]?.[1]).toBe('Suspended');
    await new Promise((r) => setTimeout(r, 1500));
    expect(is(4, 'Deploying', undefined, 0)(await statusRows(stack.url))).toBe(true);
    await ok(stack.url, ['thaw-environment', '--environment-name', NAME]);
    expect(rows(await ok(stack.url, ['describe-environment', '--environment-name', NAME, '--table']))[0]?.[1]).toBe('Deploying');
    await watch(stack.url, is(4, 'Active', 6, 6));
  });

  it('a task definition that fails to start: Stuck, then Failing, with the reason', async () => {
    await sim(stack.url, '/task-definitions', { TaskDefinition: 'log-daemon:9', FailStart: 'CannotPullContainerError: image not found' });
    await ok(stack.url, ['update-environment', '--environment', NAME, '--revision', '4', '--yaml-file', '-'], `${SPEC.replace('log-daemon:1', 'log-daemon:9').replace('"100"', '"50"')}  StuckAfterSeconds: 10\n  FailingAfterSeconds: 10\n`);
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '5']);
    const seen = await watch(stack.url, is(5, 'Failing'), 90_000);
    expect(seen.some(is(5, 'Stuck'))).toBe(true);
    const status = (await (await fetch(`${stack.url}/environments/${encodeURIComponent(NAME)}/status`)).json()) as { Revisions: Array<{ EnvironmentRevision: number; StatusReason: string | null }> };
    expect(status.Revisions.find((r) => r.EnvironmentRevision === 5)?.StatusReason).toMatch(/CannotPullContainerError|crash loop|TaskFailedToStart|image not found/);
  }, 120_000);

  it('leaves no process behind when stopped', async () => {
    const children = stackChildPids(stack.output());
    expect(children).toHaveLength(2);
    await stack.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(alive([stack.child.pid!, ...children])).toEqual([]);
  });
});

describe('npm start --data-dir: SIGKILL mid-deployment, restart, converge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blox-stack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes from the log and the saved world: no duplicate task, no lost event', async () => {
    let stack = await startStackProcess(['--data-dir', dir, '--speed', '2']);
    await ok(stack.url, ['create-environment', '--yaml-file', '-'], SPEC.replace('"100"', '"60"'));
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '1']);
    await watch(stack.url, is(1, 'Active', 5, 5));
    await ok(stack.url, ['update-environment', '--environment', NAME, '--revision', '1', '--task-definition', 'log-daemon:2']);
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '2']);
    await watch(stack.url, (t) => Number(statusOf(t, 2)?.[3] ?? 0) >= 1);
    const before = (await (await fetch(`${stack.url}/environments/${encodeURIComponent(NAME)}`)).json()) as { Version: number };
    const killed = stackChildPids(stack.output());
    await stack.kill();
    await new Promise((r) => setTimeout(r, 1500));
    // SIGKILL can't be caught: DynamoDB Local's guardian notices its parent is gone and ends it.
    expect(alive(killed)).toEqual([]);

    stack = await startStackProcess(['--data-dir', dir, '--speed', '2']);
    try {
      const after = (await (await fetch(`${stack.url}/environments/${encodeURIComponent(NAME)}`)).json()) as { Version: number };
      expect(after.Version).toBeGreaterThanOrEqual(before.Version);
      await watch(stack.url, (t) => is(2, 'Active', 5, 5)(t) && is(1, 'Inactive', 0, 0)(t), 120_000);
      const tasks = (await (await fetch(`${stack.url}/_sim/tasks?environment=${encodeURIComponent(NAME)}`)).json()) as {
        Tasks: Array<{ ContainerInstanceArn: string; Revision: number; LastStatus: string; DesiredStatus: string }>;
      };
      const live = tasks.Tasks.filter((t) => t.LastStatus !== 'STOPPED');
      expect(live).toHaveLength(5);
      expect(new Set(live.map((t) => t.ContainerInstanceArn)).size).toBe(5);
      expect(live.every((t) => t.Revision === 2 && t.LastStatus === 'RUNNING')).toBe(true);
    } finally {
      await stack.stop();
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(stackChildPids(stack.output()))).toEqual([]);
  }, 240_000);
});
