/**
 * `blox plan-deployment` end to end: `npm start` as a real process (simulated cluster at 5× speed)
 * and `blox` as real processes. Two Replace deployments give the history; revision 3 is planned
 * (JSON and --table), then deployed, and the estimate is compared with the duration describe-environment
 * reports. At 5× the stack's own latencies (DynamoDB Local, in real time) weigh five times more on
 * the simulated clock than at 1×, where `npm run bench -- --only dryrun` measures the 15 % target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackProcess } from '../support/stack-process';
import { blox, startStackProcess } from '../support/stack-process';

const NAME = 'Plan/Logs';
const spec = (revision: number) => `Name: "${NAME}"
TaskDefinition: "log-daemon:${revision}"
InstanceGroup:
  Query: "attribute:stack == prod"
DeploymentType: Daemon
DeploymentConfiguration:
  Method: Replace
  MinHealthyPercent: 80
`;

async function ok(url: string, args: string[], stdin = ''): Promise<string> {
  const result = await blox(url, args, stdin);
  if (result.code !== 0) throw new Error(`blox ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

async function deployed(url: string, revision: number): Promise<void> {
  await ok(url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', String(revision)]);
  await ok(url, ['wait', 'environment-stable', '--environment-name', NAME, '--timeout', '120']);
}

describe('blox plan-deployment on the local stack', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(['--speed', '5']);
    await ok(stack.url, ['create-environment', '--yaml-file', '-'], spec(1));
    await deployed(stack.url, 1);
    await ok(stack.url, ['update-environment', '--environment', NAME, '--yaml-file', '-'], spec(2));
    await deployed(stack.url, 2);
    await ok(stack.url, ['update-environment', '--environment', NAME, '--yaml-file', '-'], spec(3));
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('plans revision 3 from what the stack observed, and the deployment then takes about that long', async () => {
    // when
    const plan = JSON.parse(await ok(stack.url, ['plan-deployment', '--environment-name', NAME, '--environment-revision', '3']));
    // then: 5 instances of stack=prod; MinHealthyPercent 80 keeps ceil(5 × 0.8) = 4 ready, one at a time
    expect(plan).toMatchObject({ EnvironmentRevision: 3, ActiveRevision: 2, Completes: true, DesiredCount: 5, LowestReadyCount: 4, LowestReadyPercent: 80, MostExtraTasks: 0 });
    expect(plan.Seed.Timings.Sources).toEqual({ start: 'observed', ready: 'observed', stop: 'observed' });
    // the default world's log-daemon: RUNNING 2 s after it is placed (plus how late the stack's timers fire, ×5)
    expect(plan.Seed.Timings.StartSeconds).toBeGreaterThanOrEqual(2);
    expect(plan.Seed.Timings.StartSeconds).toBeLessThan(4);
    expect(plan.Steps.reduce((n: number, s: { Stops?: number }) => n + (s.Stops ?? 0), 0)).toBe(5);

    const table = await ok(stack.url, ['plan-deployment', '--environment-name', NAME, '--environment-revision', '3', '--table']);
    expect(table).toContain(`${NAME}:3 (Daemon Replace, from Active 2)`);
    expect(table).toContain('Lowest ready         4 of 5 (80 %)');

    await deployed(stack.url, 3);
    const described = JSON.parse(await ok(stack.url, ['describe-environment', '--environment-name', NAME]));
    expect(described.LastDeployment.Revision).toBe(3);
    const actual = (Date.parse(described.LastDeployment.CompletedAt) - Date.parse(described.LastDeployment.StartedAt)) / 1000;
    expect(Math.abs(plan.EstimatedDurationSeconds - actual) / actual).toBeLessThan(0.25);
  });

  it('refuses a revision older than the Active one, naming the field', async () => {
    const result = await blox(stack.url, ['plan-deployment', '--environment-name', NAME, '--environment-revision', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^blox: revision: revision 1 is older than the Active revision [23]: /);
  });
});
