/**
 * list-deployments and diff-revisions end to end: `npm start` as a real process (10× speed) and
 * `blox` as real processes. A Daemon environment on the one gamma instance is deployed at revision 1,
 * updated to log-daemon:2 and deployed again; the history lists both deployments, newest first, and
 * the diff shows the spec's new task definition and the simulated ECS's images for the two.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { blox, startStackProcess } from '../support/stack-process';

const NAME = 'Gamma/History';

async function ok(url: string, args: string[], stdin = ''): Promise<string> {
  const result = await blox(url, args, stdin);
  if (result.code !== 0) throw new Error(`blox ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

describe('npm start: list-deployments and diff-revisions', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(['--speed', '10']);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the two deployments newest first, and diffs the revisions and their task definitions', async () => {
    const yaml = ['Name: "Gamma/History"', 'TaskDefinition: "log-daemon:1"', 'DeploymentType: Daemon', 'InstanceGroup:', '  Query: "attribute:stack == gamma"', 'DeploymentConfiguration:', '  Method: Replace', '  MinHealthyPercent: 0', ''].join('\n');
    await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml);
    const first = JSON.parse(await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '1'])) as { DeploymentId: string };
    await ok(stack.url, ['wait', 'environment-stable', '--environment-name', NAME, '--timeout', '120']);
    expect(JSON.parse(await ok(stack.url, ['update-environment', '--environment', NAME, '--revision', '1', '--task-definition', 'log-daemon:2']))).toEqual({ EnvironmentRevision: 2 });
    const second = JSON.parse(await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '2'])) as { DeploymentId: string };
    await ok(stack.url, ['wait', 'environment-stable', '--environment-name', NAME, '--timeout', '120']);

    const history = JSON.parse(await ok(stack.url, ['list-deployments', '--environment-name', NAME])) as {
      Deployments: Array<{ DeploymentId: string; EnvironmentRevision: number; Kind: string; Trigger: unknown; Outcome: string; StartedAt: string; EndedAt: string; DurationSeconds: number }>;
    };
    expect(history.Deployments.map((d) => [d.DeploymentId, d.EnvironmentRevision, d.Kind, d.Trigger, d.Outcome])).toEqual([
      [second.DeploymentId, 2, 'deploy', { Kind: 'User', By: 'local', Reason: null }, 'Completed'],
      [first.DeploymentId, 1, 'deploy', { Kind: 'User', By: 'local', Reason: null }, 'Completed'],
    ]);
    for (const d of history.Deployments) expect(d.DurationSeconds).toBeCloseTo((Date.parse(d.EndedAt) - Date.parse(d.StartedAt)) / 1000, 3);
    expect(Date.parse(history.Deployments[1]!.EndedAt)).toBeLessThanOrEqual(Date.parse(history.Deployments[0]!.StartedAt));

    const table = await ok(stack.url, ['list-deployments', '--environment-name', NAME, '--table', '--max-items', '1']);
    expect(table.trim().split('\n').map((line) => line.split(/\s{2,}/)[0])).toEqual(['DEPLOYMENT', second.DeploymentId]);

    const diff = JSON.parse(await ok(stack.url, ['diff-revisions', '--environment-name', NAME, '--from', '1', '--to', '2']));
    expect(diff).toEqual({
      EnvironmentName: NAME,
      From: 1,
      To: 2,
      SpecChanges: [{ Field: 'TaskDefinition', From: 'log-daemon:1', To: 'log-daemon:2' }],
      TaskDefinition: {
        From: 'log-daemon:1',
        To: 'log-daemon:2',
        Changes: [{ Field: 'containers.log-daemon.image', From: 'sim.local/log-daemon:1', To: 'sim.local/log-daemon:2' }],
        Error: null,
      },
    });
    const unknown = await blox(stack.url, ['diff-revisions', '--environment-name', NAME, '--from', '1', '--to', '9']);
    expect([unknown.code, unknown.stderr]).toEqual([1, `blox: to: revision 9 of environment "${NAME}" does not exist (the latest is 2)\n`]);
  }, 240_000);
});
