/**
 * The local stack's simulated load balancer and CloudWatch, end to end: `npm start` as a real
 * process (10× speed) and `blox sim …` as real processes — web tasks of a Daemon environment join
 * target group `web` and turn healthy, a 20 % error rate drives alarm `web-5xx` into ALARM, and
 * the alarm's `CloudWatch Alarm State Change` events reach the engine's router, which routes them to
 * the environment watching the alarm. Then, in process,
 * `--data-dir` keeps the services' description (error rates included) across a restart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../local/dynamodb-local';
import type { Stack } from '../../local/stack';
import { startStack } from '../../local/stack';
import type { StackProcess } from '../support/stack-process';
import { blox, rows, startStackProcess } from '../support/stack-process';

const NAME = 'Web/Prod';

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
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start: target group web and alarm web-5xx', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess(['--speed', '10']);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the default world’s target groups, listener rules and alarms', async () => {
    const check = ['every', '30', 's,', 'healthy', '5,', 'unhealthy', '2'];
    expect(rows(await ok(stack.url, ['sim', 'list-target-groups', '--table']))).toEqual([
      ['web', 'HTTP', '80', ...check, 'web'],
      ['web-blue', 'HTTP', '80', ...check, 'web-alb'],
      ['web-green', 'HTTP', '80', ...check, 'web-alb'],
      ['web-a', 'HTTP', '80', ...check, 'web-a'],
      ['web-b', 'HTTP', '80', ...check, 'web-b'],
    ]);
    const rules = rows(await ok(stack.url, ['sim', 'list-listener-rules', '--load-balancer', 'web-alb', '--table']));
    expect(rules.map((row) => row.slice(0, 4))).toEqual([
      ['web-alb', '80', '1', 'web-blue=100,web-green=0'],
      ['web-alb', '80', 'default', 'fixed-response'],
      ['web-alb', '8080', '1', 'web-green=100'],
      ['web-alb', '8080', 'default', 'fixed-response'],
    ]);
    expect(rules[0]!.at(-1)).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:listener-rule\/app\/web-alb\//);
    const alarms = JSON.parse(await ok(stack.url, ['sim', 'list-alarms'])) as { MetricAlarms: Array<{ AlarmName: string }> };
    expect(alarms.MetricAlarms.map((a) => a.AlarmName)).toEqual(['daemon-errors', 'web-5xx', 'web-alb-5xx', 'web-dns-5xx']);
  });

  it('web tasks register and turn healthy; at 20 % errors web-5xx goes ALARM, and its event reaches the router', async () => {
    expect(await ok(stack.url, ['sim', 'set-task-definition', '--task-definition', 'web:1', '--error-rate', '0.2'])).toBe('');
    await ok(
      stack.url,
      ['create-environment', '--yaml-file', '-'],
      `Name: "${NAME}"\nTaskDefinition: "web:1"\nCluster: "default"\nInstanceGroup:\n  Query: "attribute:stack == prod"\nDeploymentType: Daemon\nDeploymentConfiguration:\n  Alarms:\n    AlarmNames: [web-5xx]\n`,
    );
    await ok(stack.url, ['deploy-environment', '--environment-name', NAME, '--environment-revision', '1']);
    // Five prod instances, one web task each: healthy after 5 checks 30 s apart.
    const healthy = await until('five healthy targets', async () => {
      const targets = rows(await ok(stack.url, ['sim', 'describe-target-health', '--target-group', 'web', '--table']));
      return targets.length === 5 && targets.every((t) => t[2] === 'healthy') ? targets : undefined;
    });
    expect(new Set(healthy.map((t) => t[0])).size).toBe(5);
    // Three minutes at 20 % (> 5 %) after that: ALARM.
    const alarm = await until('web-5xx in ALARM', async () => {
      const result = JSON.parse(await ok(stack.url, ['sim', 'list-alarms', '--state-value', 'ALARM'])) as { MetricAlarms: Array<{ AlarmName: string; StateReason: string }> };
      return result.MetricAlarms.find((a) => a.AlarmName === 'web-5xx');
    });
    expect(alarm.StateReason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints \[(19|20)\.\d+ .*\] were greater than the threshold \(5\.0\)/);
    await until('the ALARM event at the router', async () =>
      /alarm web-5xx OK → ALARM/.test(stack.output()) && /routed +trigger=alarm .*detailType="?CloudWatch Alarm State Change/.test(stack.output()) ? true : undefined,
    );
  }, 120_000);

  it('set-alarm goes through CloudWatch (an event, in the log); bad input names the flag and changes nothing', async () => {
    expect(await blox(stack.url, ['sim', 'set-alarm', '--alarm-name', 'daemon-errors', '--state', 'ALARM'])).toEqual({ code: 0, stdout: '', stderr: '' });
    await until('the set-alarm event', async () => (/alarm daemon-errors OK → ALARM +reason=Set by blox sim set-alarm/.test(stack.output()) ? true : undefined));
    expect(await blox(stack.url, ['sim', 'set-alarm', '--alarm-name', 'nope', '--state', 'OK'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: --alarm-name: no alarm "nope" (known: daemon-errors, web-5xx, web-alb-5xx, web-dns-5xx)\n',
    });
    expect(await blox(stack.url, ['sim', 'describe-target-health', '--target-group', 'api'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'blox: --target-group: no target group "api" (known: web, web-blue, web-green, web-a, web-b)\n',
    });
    const refused = await blox(stack.url, ['sim', 'set-task-definition', '--task-definition', 'web:1', '--error-rate', '1.5']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^blox: option '--error-rate <share>' argument '1\.5' is invalid/);
  });
});

describe('npm start --data-dir: the services across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blox-services-'));
  const logger = new Logger({ logLevel: 'SILENT' });
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the target groups, the alarms, the error rates, hook answers and record weights set while running (services.json)', async () => {
    stack = await startStack({ port: await getFreePort(), dataDir: dir, logger });
    const post = await fetch(`${stack.url}/_sim/task-definitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ TaskDefinition: 'web:3', ErrorRate: 0.25 }),
    });
    expect(post.status).toBe(200);
    expect(stack.services.traffic.trafficOf('web:3').errorRate).toBe(0.25);
    // A hook function's answer and a weight moved (as the engine moves them) are kept too.
    expect((await fetch(`${stack.url}/_sim/functions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ FunctionName: 'smoke-ok', Answer: 'FAILED' }) })).status).toBe(200);
    const route53 = stack.services.route53;
    await route53.changeResourceRecordSets({
      HostedZoneId: route53.hostedZone('example.internal')!.Id,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'web.example.internal', Type: 'A', SetIdentifier: 'green', Weight: 10, AliasTarget: route53.aliasTargetOf('web-b')! } }] },
    });
    await stack.stop();
    stack = undefined;

    const saved = JSON.parse(readFileSync(join(dir, 'services.json'), 'utf8')) as { format: string; description: { targetGroups: object; loadBalancers: object; traffic: object; alarms: object } };
    expect(saved.format).toBe('blox-sim-services');
    expect(saved.description.traffic).toEqual({ 'web:3': { errorRate: 0.25 } });
    expect(Object.keys(saved.description.targetGroups)).toEqual(['web', 'web-blue', 'web-green', 'web-a', 'web-b']);
    expect(Object.keys(saved.description.loadBalancers)).toEqual(['web-alb', 'web-a', 'web-b']);
    expect(Object.keys(saved.description.alarms)).toEqual(['web-5xx', 'web-alb-5xx', 'web-dns-5xx', 'daemon-errors']);

    stack = await startStack({ port: await getFreePort(), dataDir: dir, logger });
    expect(stack.services.traffic.trafficOf('web:3').errorRate).toBe(0.25);
    expect(stack.services.elbv2.targetGroupArn('web')).toMatch(/:targetgroup\/web\//);
    expect(stack.services.lambda.describeFunction('smoke-ok')!.Answer).toBe('FAILED');
    expect(stack.services.route53.describeRecords('example.internal').filter((r) => r.Type === 'A').map((r) => [r.SetIdentifier, r.Weight])).toEqual([
      ['blue', 100],
      ['green', 10],
    ]);
    const alarms = (await (await fetch(`${stack.url}/_sim/alarms`)).json()) as { MetricAlarms: Array<{ AlarmName: string }> };
    expect(alarms.MetricAlarms.map((a) => a.AlarmName)).toEqual(['daemon-errors', 'web-5xx', 'web-alb-5xx', 'web-dns-5xx']);
    expect(stack.services.elbv2.offeredLoad('web-alb')).toEqual([
      { port: 80, requestsPerSecond: 100 },
      { port: 8080, requestsPerSecond: 0 },
    ]);
  }, 120_000);
});
