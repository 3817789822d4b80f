/**
 * delete-environment end to end: `npm start` as a real process (10× speed) and `blox` as real
 * processes.
 *
 * - A Service environment of 3 web tasks: delete without --force is refused naming the tasks, and
 *   nothing is written (the environment's version is unchanged); with --force the ECS service is
 *   scaled to 0 and deleted with its task set (the simulator's DescribeServices says INACTIVE, no task
 *   set; no web task left running), the environment is `Deleted`, its revisions are still listed
 *   (Inactive), deploy is refused naming the deletion, and create-environment of the name starts it
 *   afresh (revision 2).
 * - A Daemon environment on the 5 prod instances: delete --force stops its 5 tasks through the
 *   executor; the environment is `Deleted` and every task of it STOPPED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { blox, rows, startStackProcess } from '../support/stack-process';

const WEB = 'Web/Delete';
const FLEET = 'Fleet/Delete';

async function ok(url: string, args: string[], stdin = ''): Promise<string> {
  const result = await blox(url, args, stdin);
  if (result.code !== 0) throw new Error(`blox ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Polls `check` until it returns something; the last value seen is in the timeout's message. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check().catch((error: unknown) => ((last = error), undefined));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Description {
  Status: string;
  Current: number;
  Version: number;
  Deletion: { DeletionId: string; CompletedAt: string | null; TasksAtStart: number; Force: boolean; Reason: string | null } | null;
}

describe('npm start: delete-environment', () => {
  let stack: StackProcess;
  const describeEnv = async (name: string) => JSON.parse(await ok(stack.url, ['describe-environment', '--environment-name', name])) as Description;
  const deleted = (name: string) =>
    until(`${name} Deleted`, async () => {
      const d = await describeEnv(name);
      last = d;
      return d.Status === 'Deleted' ? d : undefined;
    });
  let last: Description | undefined;

  beforeAll(async () => {
    stack = await startStackProcess(['--speed', '10']);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('a Service: refused while it runs tasks (nothing written); --force deletes its ECS service and task set; Deleted; its revisions kept; the name reusable', async () => {
    const yaml = ['Name: "Web/Delete"', 'TaskDefinition: "web:1"', 'DeploymentType: Service', 'DesiredCount: 3', 'DeploymentConfiguration:', '  Method: Rolling', ''].join('\n');
    expect(JSON.parse(await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml))).toEqual({ EnvironmentRevision: 1 });
    await ok(stack.url, ['deploy-environment', '--environment-name', WEB, '--environment-revision', '1']);
    await ok(stack.url, ['wait', 'environment-stable', '--environment-name', WEB, '--timeout', '120']);
    const service = async () => JSON.parse(await ok(stack.url, ['sim', 'describe-services', '--service', 'Web-Delete'])) as { services: Array<{ status: string; desiredCount: number; taskSets?: unknown[] }> };
    expect((await service()).services[0]).toMatchObject({ status: 'ACTIVE', desiredCount: 3, taskSets: [expect.anything()] });

    // Refused, naming why; nothing written.
    const before = await describeEnv(WEB);
    expect(before).toMatchObject({ Status: 'Active', Current: 3, Deletion: null });
    const refused = await blox(stack.url, ['delete-environment', '--environment-name', WEB]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('environment "Web/Delete" runs 3 task(s) (revision 1: 3): delete-environment --force scales it to zero first');
    expect((await describeEnv(WEB)).Version).toBe(before.Version);
    // Bad input through the API: 400 naming the field, nothing written.
    const bad = await fetch(`${stack.url}/environments/${encodeURIComponent(WEB)}/deletion`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Force: 'yes' }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('Force: expected true or false');
    expect((await describeEnv(WEB)).Version).toBe(before.Version);

    // --force: Deleting, then Deleted once ECS has no service left.
    const started = JSON.parse(await ok(stack.url, ['delete-environment', '--environment-name', WEB, '--force'])) as { Status: string; Tasks: number; DeletionId: string };
    expect(started).toMatchObject({ EnvironmentName: WEB, Status: 'Deleting', Tasks: 3 });
    expect(started.DeletionId).toMatch(/^Web\/Delete:delete@\d{16}$/);
    const done = await deleted(WEB);
    expect(done).toMatchObject({ Status: 'Deleted', Current: 0, Deletion: { DeletionId: started.DeletionId, TasksAtStart: 3, Force: true } });
    expect(done.Deletion?.CompletedAt).toEqual(expect.any(String));
    const gone = (await service()).services[0];
    expect(gone?.status).toBe('INACTIVE');
    expect(gone?.desiredCount).toBe(0);
    expect(gone?.taskSets ?? []).toEqual([]);
    const tasks = (JSON.parse(await ok(stack.url, ['sim', 'list-tasks'])) as { Tasks: Array<{ TaskDefinition: string; LastStatus: string; DesiredStatus: string }> }).Tasks;
    expect(tasks.filter((t) => t.TaskDefinition === 'web:1' && t.DesiredStatus === 'RUNNING')).toEqual([]);

    // The log is kept: the revision table and the environment still read; it lists as Deleted.
    expect(rows(await ok(stack.url, ['describe-environment-status', '--all', '--environment-name', WEB, '--table']))).toEqual([[`${WEB}:1`, 'Inactive', '0', '0']]);
    const listed = JSON.parse(await ok(stack.url, ['list-environments'])) as { Environments: Array<{ EnvironmentName: string; Status: string }> };
    expect(listed.Environments.find((e) => e.EnvironmentName === WEB)?.Status).toBe('Deleted');
    const status = JSON.parse(await ok(stack.url, ['describe-environment-status', '--environment-name', WEB])) as { Status: string };
    expect(status.Status).toBe('Deleted');

    // Further commands are refused naming the deletion; a second delete too.
    for (const args of [
      ['deploy-environment', '--environment-name', WEB, '--environment-revision', '1'],
      ['scale-environment', '--environment-name', WEB, '--desired-count', '2'],
      ['update-environment', '--environment', WEB, '--revision', '1', '--task-definition', 'web:2'],
      ['delete-environment', '--environment-name', WEB, '--force'],
    ]) {
      const result = await blox(stack.url, args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/environment "Web\/Delete" was (already )?deleted at /);
    }

    // The name is free again: a fresh start whose revisions go on after the deleted one's.
    expect(JSON.parse(await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml))).toEqual({ EnvironmentRevision: 2 });
    expect(await describeEnv(WEB)).toMatchObject({ Status: 'Created', Deletion: null });
  }, 300_000);

  it('a Daemon: --force stops every task of the environment through the executor; Deleted', async () => {
    const yaml = ['Name: "Fleet/Delete"', 'TaskDefinition: "log-daemon:1"', 'DeploymentType: Daemon', 'InstanceGroup:', '  Query: "attribute:stack == prod"', ''].join('\n');
    await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml);
    await ok(stack.url, ['deploy-environment', '--environment-name', FLEET, '--environment-revision', '1']);
    await ok(stack.url, ['wait', 'environment-stable', '--environment-name', FLEET, '--timeout', '120']);
    const running = async () =>
      (JSON.parse(await ok(stack.url, ['sim', 'list-tasks', '--environment-name', FLEET])) as { Tasks: Array<{ LastStatus: string; DesiredStatus: string }> }).Tasks.filter(
        (t) => t.LastStatus !== 'STOPPED',
      );
    expect(await running()).toHaveLength(5);

    expect((await blox(stack.url, ['delete-environment', '--environment-name', FLEET])).stderr).toContain('runs 5 task(s)');
    const started = JSON.parse(await ok(stack.url, ['delete-environment', '--environment-name', FLEET, '--force'])) as { Status: string; Tasks: number };
    expect(started).toMatchObject({ Status: 'Deleting', Tasks: 5 });
    const done = await deleted(FLEET);
    expect(done).toMatchObject({ Current: 0, Deletion: { TasksAtStart: 5 } });
    expect(await running()).toEqual([]);
    const all = (JSON.parse(await ok(stack.url, ['sim', 'list-tasks', '--environment-name', FLEET])) as { Tasks: Array<{ LastStatus: string }> }).Tasks;
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(rows(await ok(stack.url, ['describe-environment', '--environment-name', FLEET, '--table']))).toEqual([[FLEET, 'Deleted', '0', '0']]);
    expect(last?.Status).toBe('Deleted');
  }, 300_000);
});
