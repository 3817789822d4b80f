/**
 * Safety end to end on the local stack, through the CLI: `npm start` as a real process (10× speed)
 * and `blox …` as real processes.
 *
 * - A Daemon with `Canary` (1 instance, a 600 s bake) watching `daemon-errors` deploys a revision whose
 *   task definition serves 20 % errors: the canary instance gets it, the rest wait through the bake,
 *   the alarm enters ALARM two (simulated) minutes later, and the deployment rolls back on its own;
 *   `wait environment-stable` exits 1 naming the alarm, revision 1 is Active on all 5 instances again
 *   and revision 2 Reverted, with the reason in describe-environment.
 * - A daemon revision that fails to start is rolled back by the circuit breaker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { blox, startStackProcess } from '../support/stack-process';

async function ok(url: string, args: string[], stdin = ''): Promise<string> {
  const result = await blox(url, args, stdin);
  if (result.code !== 0) throw new Error(`blox ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Polls `check` until it returns something; the last value seen is in the timeout's message. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check().catch((error: unknown) => ((last = error), undefined));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Status {
  Revisions: Array<{ EnvironmentRevision: number; Status: string; Desired: number; Current: number; StatusReason: string | null }>;
}
interface Description {
  Deployment: { Revision: number; Kind: string; Phase: string; Trigger: string; Reason: string | null; Alarms: Array<{ AlarmName: string; State: string }> } | null;
  LastDeployment: { Revision: number; Kind: string; Trigger: string; Reason: string | null } | null;
}

describe('npm start: automatic rollbacks through the CLI', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(['--speed', '10']);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const status = async (name: string) => JSON.parse(await ok(stack.url, ['describe-environment-status', '--environment-name', name, '--all'])) as Status;
  const describeEnvironment = async (name: string) => JSON.parse(await ok(stack.url, ['describe-environment', '--environment-name', name])) as Description;
  const table = (s: Status) => s.Revisions.map((r) => [r.EnvironmentRevision, r.Status, r.Desired, r.Current]);

  it('a Daemon with Canary and daemon-errors stops after its canary instance and rolls back on its own', async () => {
    const name = 'Logs/Prod';
    await ok(
      stack.url,
      ['create-environment', '--yaml-file', '-'],
      [
        `Name: "${name}"`,
        'TaskDefinition: "log-daemon:1"',
        'Cluster: "default"',
        'InstanceGroup:',
        '  Query: "attribute:stack == prod"',
        'DeploymentType: Daemon',
        'DeploymentConfiguration:',
        '  Method: Replace',
        '  MinHealthyPercent: 80',
        '  Alarms:',
        '    AlarmNames: [daemon-errors]',
        '  Canary:',
        '    Instances: 1',
        '    BakeSeconds: 600',
        '',
      ].join('\n'),
    );
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '1']);
    // The first deployment: every instance is new (nothing to protect): all start at once.
    expect(await blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '150'])).toMatchObject({ code: 0 });

    await ok(stack.url, ['sim', 'set-task-definition', '--task-definition', 'log-daemon:2', '--error-rate', '0.2']);
    expect(JSON.parse(await ok(stack.url, ['update-environment', '--environment', name, '--revision', '1', '--task-definition', 'log-daemon:2']))).toEqual({ EnvironmentRevision: 2 });
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '2']);
    // Waiting from now on (the alarm comes about 12 s later, at 10×).
    const waiting = blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '150']);

    // The canary: one instance runs revision 2 and bakes, watched (the alarm may come first: then this is skipped).
    const baking = await until('the canary baking, or the rollback', async () => {
      const d = await describeEnvironment(name);
      return d.Deployment?.Revision === 2 && d.Deployment.Phase === 'CanaryBaking' ? d : d.Deployment?.Kind === 'rollback' || d.LastDeployment?.Kind === 'rollback' ? d : undefined;
    });
    if (baking.Deployment?.Revision === 2) expect(baking.Deployment.Alarms.map((a) => a.AlarmName)).toEqual(['daemon-errors']);

    // daemon-errors enters ALARM (errors for two simulated minutes): the deployment rolls back by itself.
    const waited = await waiting;
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/^blox: Logs\/Prod:2 was rolled back \(it is Revert(ing|ed)\): alarm daemon-errors entered ALARM at \d{4}-\d\d-\d\dT[\d:.]+Z \(Threshold Crossed/);

    const after = await until('revision 1 Active again on all five', async () => {
      const s = await status(name);
      return JSON.stringify(table(s)) === JSON.stringify([[1, 'Active', 5, 5], [2, 'Reverted', 0, 0]]) ? s : undefined;
    });
    expect(after.Revisions[1]?.StatusReason).toMatch(/^alarm daemon-errors entered ALARM at /);
    // Only the canary instance ever ran revision 2 (ECS remembers stopped tasks: every one is listed).
    const tasks = JSON.parse(await ok(stack.url, ['sim', 'list-tasks', '--environment-name', name])) as { Tasks: Array<{ Revision: number; ContainerInstanceArn: string }> };
    const onTwo = tasks.Tasks.filter((t) => t.Revision === 2);
    expect(onTwo).toHaveLength(1);
    const described = await describeEnvironment(name);
    expect(described.Deployment).toBeNull();
    expect(described.LastDeployment).toMatchObject({ Revision: 1, Kind: 'rollback', Trigger: 'Alarm', Reason: after.Revisions[1]?.StatusReason });
  }, 300_000);

  it('a daemon revision that fails to start is rolled back by the circuit breaker', async () => {
    const name = 'Logs/Gamma';
    await ok(
      stack.url,
      ['create-environment', '--yaml-file', '-'],
      `Name: "${name}"\nTaskDefinition: "log-daemon:1"\nInstanceGroup:\n  Query: "attribute:stack == gamma"\nDeploymentType: Daemon\nDeploymentConfiguration:\n  MinHealthyPercent: 0\n  CircuitBreaker: {}\n`,
    );
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '1']);
    expect(await blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '60'])).toMatchObject({ code: 0 });
    // Each launch fails after 20 s (2 s at 10×): the breaker trips after the third, some 6 s after the deploy.
    await ok(stack.url, ['sim', 'set-task-definition', '--task-definition', 'log-daemon:3', '--fail-start', 'CannotPullContainerError: image not found', '--start-seconds', '20']);
    await ok(stack.url, ['update-environment', '--environment', name, '--revision', '1', '--task-definition', 'log-daemon:3']);
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '2']);

    const waited = await blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '120']);
    expect(waited.code).toBe(1);
    // One gamma instance: the threshold is ECS's minimum, 3.
    expect(waited.stderr).toMatch(/^blox: Logs\/Gamma:2 was rolled back \(it is Revert(ing|ed)\): circuit breaker: 3 of 3 new tasks stopped before ready \(last: CannotPullContainerError: image not found\)\n$/);
    await until('revision 1 Active again', async () => {
      const s = await status(name);
      return JSON.stringify(table(s)) === JSON.stringify([[1, 'Active', 1, 1], [2, 'Reverted', 0, 0]]) ? s : undefined;
    });
    expect(await describeEnvironment(name)).toMatchObject({ LastDeployment: { Kind: 'rollback', Trigger: 'CircuitBreaker' } });
  }, 240_000);
});
