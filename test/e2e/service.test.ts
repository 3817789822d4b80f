/**
 * A Service environment end to end: `npm start` as a real process (10× speed) and `blox` as real
 * processes. Six web tasks behind target group `web` (ECS's EXTERNAL controller, one task set per
 * revision) roll from revision 1 to 2; `wait environment-stable` returns once 2 is Active, and the
 * target group then holds six healthy targets, all of revision 2's task set; `scale-environment`
 * then takes it to 8 without a deployment, and a desired count of 5 set outside Blox (as Application
 * Auto Scaling does, `blox sim set-desired-count`) is recorded (Active 5 5), not undone.
 *
 * Then safety, as for a Daemon: another Service of 6 tasks behind `web` watching web-5xx deploys a
 * revision whose task definition serves 20 % errors (`blox sim set-task-definition --error-rate 0.2`):
 * web-5xx enters ALARM (during the rollout or its bake) and the deployment rolls back on its own —
 * `wait environment-stable` exits 1 naming the alarm, describe-environment shows the Trigger and the
 * Reason, revision 1 is back at 6 tasks. And a Service revision that fails to start (`--fail-start`) is
 * rolled back by the circuit breaker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { blox, rows, startStackProcess } from '../support/stack-process';

const NAME = 'Web/Prod';

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

/** A Service of `desiredCount` tasks of `taskDefinition` behind `web`, with these DeploymentConfiguration lines. */
function serviceYaml(name: string, taskDefinition: string, web: string, configuration: string[], desiredCount = 6): string {
  return [
    `Name: "${name}"`,
    `TaskDefinition: "${taskDefinition}"`,
    'Cluster: "default"',
    'DeploymentType: Service',
    `DesiredCount: ${desiredCount}`,
    'DeploymentConfiguration:',
    '  Method: Rolling',
    ...configuration.map((line) => `  ${line}`),
    'Service:',
    '  LoadBalancer:',
    '    ContainerName: web',
    '    ContainerPort: 80',
    `    TargetGroupArn: "${web}"`,
    '',
  ].join('\n');
}

describe('npm start: a Service environment of 6 tasks behind target group web', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(['--speed', '10']);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('rolls 1 → 2 and wait environment-stable returns; web then holds 6 healthy targets', async () => {
    const groups = JSON.parse(await ok(stack.url, ['sim', 'list-target-groups'])) as { TargetGroups: Array<{ TargetGroupName: string; TargetGroupArn: string }> };
    const web = groups.TargetGroups.find((g) => g.TargetGroupName === 'web')!.TargetGroupArn;
    const yaml = [
      `Name: "${NAME}"`,
      'TaskDefinition: "web:1"',
      'Cluster: "default"',
      'DeploymentType: Service',
      'DesiredCount: 6',
      'DeploymentConfiguration:',
      '  Method: Rolling',
      '  MinHealthyPercent: 100',
      '  MaxPercent: 200',
      'Service:',
      '  LoadBalancer:',
      '    ContainerName: web',
      '    ContainerPort: 80',
      `    TargetGroupArn: "${web}"`,
      '',
    ].join('\n');
    expect(JSON.parse(await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml))).toEqual({ EnvironmentRevision: 1 });
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '1']);
    await ok(stack.url, ['wait', 'environment-stable', '--environment-name', NAME, '--timeout', '120']);
    expect(rows(await ok(stack.url, ['describe-environment-status', '--all', '--environment-name', NAME, '--table']))).toEqual([
      [`${NAME}:1`, 'Active', '6', '6'],
    ]);

    expect(JSON.parse(await ok(stack.url, ['update-environment', '--environment', NAME, '--revision', '1', '--task-definition', 'web:2']))).toEqual({ EnvironmentRevision: 2 });
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '2']);
    await ok(stack.url, ['wait', 'environment-stable', '--environment-name', NAME, '--timeout', '120']);
    expect(rows(await ok(stack.url, ['describe-environment-status', '--all', '--environment-name', NAME, '--table']))).toEqual([
      [`${NAME}:1`, 'Inactive', '0', '0'],
      [`${NAME}:2`, 'Active', '6', '6'],
    ]);
    const targets = rows(await ok(stack.url, ['sim', 'describe-target-health', '--target-group', 'web', '--table'])).filter((t) => t[2] === 'healthy');
    expect(targets).toHaveLength(6);
    const tasks = (JSON.parse(await ok(stack.url, ['sim', 'list-tasks'])) as { Tasks: Array<{ TaskDefinition: string; LastStatus: string; DesiredStatus: string }> }).Tasks;
    const running = tasks.filter((t) => t.DesiredStatus === 'RUNNING' && t.LastStatus !== 'STOPPED').map((t) => t.TaskDefinition);
    expect(running).toEqual(Array(6).fill('web:2'));

    // scale-environment, without a deployment: 8 tasks, all healthy in web. Bad input: 400 naming the field.
    const bad = await fetch(`${stack.url}/environments/${encodeURIComponent(NAME)}/scale`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ DesiredCount: 'lots' }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/DesiredCount: expected an integer from 0 to 10000/);
    expect(JSON.parse(await ok(stack.url, ['scale-environment', '--environment-name', NAME, '--desired-count', '8']))).toEqual({ EnvironmentName: NAME, DesiredCount: 8 });
    const deadline = Date.now() + 90_000;
    let healthy = 0;
    while (healthy !== 8 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      healthy = rows(await ok(stack.url, ['sim', 'describe-target-health', '--target-group', 'web', '--table'])).filter((t) => t[2] === 'healthy').length;
    }
    expect(healthy).toBe(8);
    const revisions = async () =>
      (JSON.parse(await ok(stack.url, ['describe-environment-status', '--environment-name', NAME])) as Status).Revisions.map((r) => [r.EnvironmentRevision, r.Status, r.Desired, r.Current]);
    await until('Active 8 8', async () => ((await revisions()).some((r) => r[2] === 8 && r[3] === 8) ? true : undefined), 60_000);

    // Application Auto Scaling sets 5 (UpdateService desiredCount): recorded (Active 5 5, the log says why), never undone.
    const set = JSON.parse(await ok(stack.url, ['sim', 'set-desired-count', '--service', 'Web-Prod', '--desired-count', '5'])) as { service: { desiredCount: number } };
    expect(set.service.desiredCount).toBe(5);
    await until('Active 5 5', async () => ((await revisions()).some((r) => r[1] === 'Active' && r[2] === 5 && r[3] === 5) ? true : undefined), 90_000);
    const service = JSON.parse(await ok(stack.url, ['sim', 'describe-services', '--service', 'Web-Prod'])) as { services: Array<{ desiredCount: number }> };
    expect(service.services[0]!.desiredCount).toBe(5);
  }, 300_000);

  const webArn = async () => {
    const groups = JSON.parse(await ok(stack.url, ['sim', 'list-target-groups'])) as { TargetGroups: Array<{ TargetGroupName: string; TargetGroupArn: string }> };
    return groups.TargetGroups.find((g) => g.TargetGroupName === 'web')!.TargetGroupArn;
  };
  const status = async (name: string) => JSON.parse(await ok(stack.url, ['describe-environment-status', '--environment-name', name, '--all'])) as Status;
  const describeEnvironment = async (name: string) => JSON.parse(await ok(stack.url, ['describe-environment', '--environment-name', name])) as Description;
  const table = (s: Status) => s.Revisions.map((r) => [r.EnvironmentRevision, r.Status, r.Desired, r.Current]);
  /** The running tasks of each task definition (the whole cluster). */
  const running = async () => {
    const tasks = (JSON.parse(await ok(stack.url, ['sim', 'list-tasks'])) as { Tasks: Array<{ TaskDefinition: string; LastStatus: string; DesiredStatus: string }> }).Tasks;
    const counts: Record<string, number> = {};
    for (const t of tasks) if (t.LastStatus === 'RUNNING' && t.DesiredStatus === 'RUNNING') counts[t.TaskDefinition] = (counts[t.TaskDefinition] ?? 0) + 1;
    return counts;
  };

  it('web-5xx: a revision serving 20 % errors is rolled back on its own; describe shows Trigger and Reason; revision 1 back at 6', async () => {
    // Its own task definitions (web:11, web:12): Web/Prod's 8 tasks of web:2 stay in `web`, error-free.
    const name = 'Web/Safety';
    const yaml = serviceYaml(name, 'web:11', await webArn(), ['MinHealthyPercent: 100', 'MaxPercent: 200', 'BakeSeconds: 600', 'Alarms:', '  AlarmNames: [web-5xx]']);
    expect(JSON.parse(await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml))).toEqual({ EnvironmentRevision: 1 });
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '1']);
    // The first deployment bakes too (600 s, 60 s at 10×), with web-5xx OK.
    expect(await blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '240'])).toMatchObject({ code: 0 });
    expect(table(await status(name))).toEqual([[1, 'Active', 6, 6]]);

    await ok(stack.url, ['sim', 'set-task-definition', '--task-definition', 'web:12', '--error-rate', '0.2']);
    expect(JSON.parse(await ok(stack.url, ['update-environment', '--environment', name, '--revision', '1', '--task-definition', 'web:12']))).toEqual({ EnvironmentRevision: 2 });
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '2']);
    const waiting = blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '240']);

    // While revision 2 deploys (or bakes), describe-environment shows the watched alarm; then the rollback's trigger.
    const deploying = await until('revision 2 deploying, or the rollback', async () => {
      const d = await describeEnvironment(name);
      return d.Deployment?.Revision === 2 || d.Deployment?.Kind === 'rollback' || d.LastDeployment?.Kind === 'rollback' ? d : undefined;
    });
    if (deploying.Deployment?.Revision === 2) {
      expect(deploying.Deployment).toMatchObject({ Kind: 'deploy', Trigger: 'User', Reason: null });
      expect(deploying.Deployment.Alarms.map((a) => a.AlarmName)).toEqual(['web-5xx']);
    }
    const rolling = await until(
      'the rollback (describe-environment)',
      async () => {
        const d = await describeEnvironment(name);
        return d.Deployment?.Kind === 'rollback' || d.LastDeployment?.Kind === 'rollback' ? d : undefined;
      },
      240_000,
    );
    const trigger = rolling.Deployment?.Kind === 'rollback' ? rolling.Deployment : rolling.LastDeployment;
    expect(trigger).toMatchObject({ Revision: 1, Trigger: 'Alarm', Reason: expect.stringMatching(/^alarm web-5xx entered ALARM at \d{4}-\d\d-\d\dT[\d:.]+Z \(Threshold Crossed/) });

    const waited = await waiting;
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/^blox: Web\/Safety:2 was rolled back \(it is Revert(ing|ed)\): alarm web-5xx entered ALARM at \d{4}-\d\d-\d\dT[\d:.]+Z \(Threshold Crossed/);

    const after = await until(
      'revision 1 Active again at 6, 2 Reverted',
      async () => {
        const s = await status(name);
        return JSON.stringify(table(s)) === JSON.stringify([[1, 'Active', 6, 6], [2, 'Reverted', 0, 0]]) ? s : undefined;
      },
      240_000,
    );
    expect(after.Revisions[1]?.StatusReason).toBe(trigger?.Reason);
    expect(await describeEnvironment(name)).toMatchObject({ Deployment: null, LastDeployment: { Revision: 1, Kind: 'rollback', Trigger: 'Alarm', Reason: trigger?.Reason } });
    const counts = await until('6 tasks of web:11 and none of web:12 running', async () => {
      const c = await running();
      return c['web:11'] === 6 && !c['web:12'] ? c : undefined;
    });
    expect(counts['web:11']).toBe(6);
  }, 600_000);

  it('a Service revision that fails to start is rolled back by the circuit breaker', async () => {
    const name = 'Web/Gamma';
    const yaml = serviceYaml(name, 'web:21', await webArn(), ['MinHealthyPercent: 100', 'MaxPercent: 150', 'CircuitBreaker: {}']);
    await ok(stack.url, ['create-environment', '--yaml-file', '-'], yaml);
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '1']);
    expect(await blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '120'])).toMatchObject({ code: 0 });
    // Each launch fails after 100 s (10 s at 10×: the wait below starts well before the first failure, so it
    // is about revision 2 and sees it rolled back); D = 6: the threshold is clamp(ceil(3), 3, 200) = 3.
    await ok(stack.url, ['sim', 'set-task-definition', '--task-definition', 'web:22', '--fail-start', 'CannotPullContainerError: image not found', '--start-seconds', '100']);
    await ok(stack.url, ['update-environment', '--environment', name, '--revision', '1', '--task-definition', 'web:22']);
    await ok(stack.url, ['deploy-environment', '--environment-name', name, '--environment-revision', '2']);

    const waited = await blox(stack.url, ['wait', 'environment-stable', '--environment-name', name, '--timeout', '120']);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/^blox: Web\/Gamma:2 was rolled back \(it is Revert(ing|ed)\): circuit breaker: \d+ of \d+ new tasks stopped before ready \(last: CannotPullContainerError: image not found\)\n$/);
    await until('revision 1 Active again at 6', async () => {
      const s = await status(name);
      return JSON.stringify(table(s)) === JSON.stringify([[1, 'Active', 6, 6], [2, 'Reverted', 0, 0]]) ? s : undefined;
    });
    expect(await describeEnvironment(name)).toMatchObject({ LastDeployment: { Revision: 1, Kind: 'rollback', Trigger: 'CircuitBreaker', Reason: expect.stringMatching(/^circuit breaker: /) } });
    expect((await running())['web:21']).toBe(6);
  }, 300_000);
});
