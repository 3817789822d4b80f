/**
 * A Service environment end to end: `npm start` as a real process (10× speed) and `blox` as real
 * processes. Six web tasks behind target group `web` (ECS's EXTERNAL controller, one task set per
 * revision) roll from revision 1 to 2; `wait environment-stable` returns once 2 is Active, and the
 * target group then holds six healthy targets, all of revision 2's task set; `scale-environment`
 * then takes it to 8 without a deployment.
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
  }, 300_000);
});
