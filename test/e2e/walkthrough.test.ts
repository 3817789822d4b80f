/**
 * The walkthrough (../shared/seeds/blox-deployments-ux.md) through real `blox` processes against
 * the real API handlers on DynamoDB Local: create → describe → update → deploy → rollback →
 * freeze/thaw, output compared with the seed. Tasks do not move yet (that is the engine's work),
 * so DESIRED and CURRENT stay 0 here; statuses, revisions and outputs are the seed's.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../support/api';
import { startTestApi } from '../support/api';

const BIN = fileURLToPath(new URL('../../bin/blox.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NAME = 'SomeEnvironment/Prod';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

function blox(command: string, stdin = '') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // The seed's command line, split like a shell would (quotes kept together).
    const args = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, BLOX_API_URL: api.url } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** A table as rows of cells, the way a reader compares it (column widths aside). */
const cells = (table: string) => table.trim().split('\n').map((line) => line.trim().split(/\s{2,}|\s+(?=\S+$)/).flatMap((c) => c.split(/\s+/)));

async function table(command: string): Promise<string[][]> {
  const result = await blox(command);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return cells(result.stdout);
}

const STATUS = `describe-environment-status --all --environment-name ${NAME} --table`;

describe('the walkthrough with blox', () => {
  it('create-environment --yaml-file <<EOF', async () => {
    const result = await blox(
      'create-environment --yaml-file',
      `Name: "SomeEnvironment/Prod"
TaskDefinition: "log-daemon:1"
Cluster: "default"
InstanceGroup:
  Query: "attribute:stack == prod"
DeploymentType: Daemon
DeploymentConfiguration:
  Method: "Replace" # (or "Surge")
  MinHealthyPercent: "100"
`,
    );
    expect(result).toEqual({ code: 0, stdout: '{ "EnvironmentRevision": 1 }\n', stderr: '' });
  });

  it('"At this point, nothing has actually happened": Created 0 0', async () => {
    const seed = `REVISION                  STATUS     DESIRED   CURRENT
SomeEnvironment/Prod:1    Created    0         0`;
    expect(await table(STATUS)).toEqual(cells(seed));
    // And to the letter, with our column widths.
    expect((await blox(STATUS)).stdout).toBe(
      'REVISION                  STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod:1    Created      0         0\n',
    );
  });

  it('deploy-environment → a DeploymentId NAME:N@yyyyMMddHHmmssSS; the revision is Deploying', async () => {
    const result = await blox(`deploy-environment --environment-name ${NAME} --environment-revision 1`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\{ "DeploymentId": "SomeEnvironment\/Prod:1@\d{16}" \}\n$/);
    expect((await table(STATUS))[1]).toEqual(['SomeEnvironment/Prod:1', 'Deploying', '0', '0']);
  });

  it('describe-environment shows the spec as given', async () => {
    const result = await blox(`describe-environment --environment-name ${NAME}`);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      EnvironmentName: NAME,
      Status: 'Deploying',
      Spec: { TaskDefinition: 'log-daemon:1', InstanceGroup: { Query: 'attribute:stack == prod' } },
    });
  });

  it('update-environment --revision 1 --task-definition → revision 2, Created', async () => {
    const result = await blox(`update-environment --environment ${NAME} --revision 1 --task-definition "log-daemon:2"`);
    expect(result).toEqual({ code: 0, stdout: '{ "EnvironmentRevision": 2 }\n', stderr: '' });
    expect((await table(STATUS)).slice(1)).toEqual([
      ['SomeEnvironment/Prod:1', 'Deploying', '0', '0'],
      ['SomeEnvironment/Prod:2', 'Created', '0', '0'],
    ]);
  });

  it('a stale base revision is refused with one line on stderr', async () => {
    const result = await blox(`update-environment --environment ${NAME} --revision 1 --instance-group-query "attribute:stack in (prod, gamma)"`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/not the latest revision/);
  });

  it('update-environment --revision 2 --instance-group-query → revision 3', async () => {
    const result = await blox(`update-environment --environment ${NAME} --revision 2 --instance-group-query "attribute:stack in (prod, gamma)"`);
    expect(result.stdout).toBe('{ "EnvironmentRevision": 3 }\n');
  });

  it('deploy-environment 3 → the deploying revision drains (Undeploying), 3 Deploying', async () => {
    const result = await blox(`deploy-environment --environment-name ${NAME} --environment-revision 3`);
    expect(result.code).toBe(0);
    expect((await table(STATUS)).slice(1)).toEqual([
      ['SomeEnvironment/Prod:1', 'Undeploying', '0', '0'],
      ['SomeEnvironment/Prod:2', 'Created', '0', '0'],
      ['SomeEnvironment/Prod:3', 'Deploying', '0', '0'],
    ]);
    // Without --all, the never-deployed revision 2 (older than a deployed one) is not shown.
    expect((await table(`describe-environment-status --environment-name ${NAME} --table`)).slice(1).map((r) => r[0])).toEqual([
      'SomeEnvironment/Prod:1',
      'SomeEnvironment/Prod:3',
    ]);
  });

  it('deploying an older revision is refused: use rollback-environment', async () => {
    const result = await blox(`deploy-environment --environment-name ${NAME} --environment-revision 1`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/rollback-environment/);
  });

  it('rollback-environment 1 → 1 Deploying, 3 Reverting, no new revision', async () => {
    const result = await blox(`rollback-environment --environment-name ${NAME} --environment-revision 1`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\{ "DeploymentId": "SomeEnvironment\/Prod:1@\d{16}" \}\n$/);
    const rows = (await table(STATUS)).slice(1);
    expect(rows).toEqual([
      ['SomeEnvironment/Prod:1', 'Deploying', '0', '0'],
      ['SomeEnvironment/Prod:2', 'Created', '0', '0'],
      ['SomeEnvironment/Prod:3', 'Reverting', '0', '0'],
    ]);
  });

  it('freeze-environment → Suspended (and prints nothing); thaw-environment → back to Deploying', async () => {
    expect(await blox(`freeze-environment --environment-name ${NAME}`)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await table(`describe-environment --environment-name ${NAME} --table`)).toEqual(
      cells(`ENVIRONMENT               STATUS       DESIRED   CURRENT
SomeEnvironment/Prod      Suspended    0         0`),
    );
    // Suspending doesn't prevent starting a new deployment, and a deployment doesn't thaw.
    await blox(`update-environment --environment ${NAME} --revision 3 --task-definition "log-daemon:3"`);
    expect((await blox(`deploy-environment --environment-name ${NAME} --environment-revision 4`)).code).toBe(0);
    expect((await table(`describe-environment --environment-name ${NAME} --table`))[1]![1]).toBe('Suspended');
    expect(await blox(`thaw-environment --environment-name ${NAME}`)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await table(`describe-environment --environment-name ${NAME} --table`))[1]).toEqual(['SomeEnvironment/Prod', 'Deploying', '0', '0']);
  });

  it('list-environments', async () => {
    const result = await blox('list-environments');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).Environments).toEqual([expect.objectContaining({ EnvironmentName: NAME, LatestRevision: 4 })]);
  });
});
