/**
 * The dry run's estimate against the real thing, on the local stack (`npm start`'s wiring, in real
 * time, its own DynamoDB Local): `npx tsx bench/dryrun.ts [--speed N] [--only replace,surge,rolling]`,
 * or `npm run bench -- --only dryrun`.
 *
 * For each method, an environment of its own (its own instances, so the environments do not take
 * each other's room) is created and deployed twice — the history the dry run learns its timings
 * from — then revision 3 is planned through the API (`GET /environments/{name}/plan`, as
 * `blox plan-deployment` asks) and deployed for real. Figures:
 *
 * - `dryrun.eta_error.<method>` (ratio): |estimate − actual| ÷ actual, the actual being the log's
 *   DeploymentStarted → DeploymentCompleted of revision 3 (the simulated clock's seconds);
 * - `dryrun.estimate.<method>` and `dryrun.actual.<method>` (s).
 *
 * Methods: `replace` (Daemon Replace, MinHealthyPercent 80, over 5 instances: one at a time),
 * `surge` (Daemon Surge, MaxOver 2, over 5 instances), `rolling` (Service Rolling, 6 tasks,
 * MinHealthyPercent 100, MaxPercent 150, no load balancer: ready is RUNNING and HEALTHY) — on one
 * stack at `--speed` (default 1) — and `canary` (Service Canary over the stack's load balancer
 * web-alb, blue/green target groups web-blue/web-green, 4 tasks, steps 25 %, pause 60 s, 50 %,
 * pause 60 s, then 100 %) on a stack of its own at 10× (`--speed` overrides), its pauses and
 * target health checks taking minutes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BloxClient } from '../cli/client';
import type { DeploymentPlan } from '../cli/client';
import { etaError, eventMs } from '../domain/dry-run';
import { getFreePort } from '../local/dynamodb-local';
import type { Stack } from '../local/stack';
import { startStack } from '../local/stack';
import type { SimulatedTraffic } from '../local/dry-run';
import { simulatedTraffic } from '../local/dry-run';
import { progress, round } from './stats';
import type { BenchResult } from './stats';

export const DRYRUN_METHODS = ['replace', 'surge', 'rolling', 'canary'] as const;
export type DryRunMethod = (typeof DRYRUN_METHODS)[number];

interface Case {
  name: string;
  cluster: string;
  /** The instances it gets to itself. */
  instances: { count: number; attributes: Record<string, string> };
  spec(revision: number, traffic: SimulatedTraffic): Record<string, unknown>;
}

const CASES: Record<DryRunMethod, Case> = {
  replace: {
    name: 'DryRun/Replace',
    cluster: 'default',
    instances: { count: 5, attributes: { stack: 'dryrun-replace' } },
    spec: (revision) => ({
      Name: 'DryRun/Replace',
      TaskDefinition: `dr-replace:${revision}`,
      DeploymentType: 'Daemon',
      InstanceGroup: { Query: 'attribute:stack == dryrun-replace' },
      DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80 },
    }),
  },
  surge: {
    name: 'DryRun/Surge',
    cluster: 'default',
    instances: { count: 5, attributes: { stack: 'dryrun-surge' } },
    spec: (revision) => ({
      Name: 'DryRun/Surge',
      TaskDefinition: `dr-surge:${revision}`,
      DeploymentType: 'Daemon',
      InstanceGroup: { Query: 'attribute:stack == dryrun-surge' },
      DeploymentConfiguration: { Method: 'Surge', MaxOver: 2 },
    }),
  },
  rolling: {
    name: 'DryRun/Rolling',
    cluster: 'dryrun',
    instances: { count: 4, attributes: { stack: 'dryrun-rolling' } },
    spec: (revision) => ({
      Name: 'DryRun/Rolling',
      TaskDefinition: `dr-rolling:${revision}`,
      Cluster: 'dryrun',
      DeploymentType: 'Service',
      DesiredCount: 6,
      DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 150 },
    }),
  },
  canary: {
    name: 'DryRun/Canary',
    cluster: 'dryrun-canary',
    instances: { count: 4, attributes: { stack: 'dryrun-canary' } },
    spec: (revision, traffic) => ({
      Name: 'DryRun/Canary',
      TaskDefinition: `dr-canary:${revision}`,
      Cluster: 'dryrun-canary',
      DeploymentType: 'Service',
      DesiredCount: 4,
      DeploymentConfiguration: { Method: 'Canary', Steps: [{ SetWeight: 25 }, { Pause: { Seconds: 60 } }, { SetWeight: 50 }, { Pause: { Seconds: 60 } }] },
      Service: { LoadBalancer: { ContainerName: 'dr-canary', ContainerPort: 80 } },
      TrafficRouting: { Alb: { ListenerRuleArn: traffic.listenerRuleArn, BlueTargetGroupArn: traffic.blueTargetGroupArn, GreenTargetGroupArn: traffic.greenTargetGroupArn } },
    }),
  },
};

/** The canary's pauses and target health checks (30 s apart) take minutes: its stack runs this much faster. */
const CANARY_SPEED = 10;

async function atRest(stack: Stack, name: string, revision: number, limitMs = 600_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const state = await stack.api.eventLog.load(name);
    if (state?.activeRevision === revision && !state.deployment) return;
    const failing = state?.revisions.find((r) => r.revision === revision && r.health === 'Failing');
    if (failing) throw new Error(`${name}:${revision} is Failing: ${failing.statusReason ?? ''}`);
    if (Date.now() - started > limitMs) throw new Error(`${name}:${revision} not Active after ${limitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** DeploymentStarted → DeploymentCompleted of `revision`, in seconds of the stack's clock. */
async function actualSeconds(stack: Stack, name: string, revision: number): Promise<number> {
  const events = (await stack.api.eventLog.readEvents(name)).map((e) => e.event);
  const started = events.findLast((e) => e.type === 'DeploymentStarted' && e.revision === revision);
  const completed = events.findLast((e) => e.type === 'DeploymentCompleted' && e.revision === revision);
  if (!started || !completed) throw new Error(`${name}:${revision}: no completed deployment in the log`);
  return (eventMs(completed) - eventMs(started)) / 1000;
}

export interface DryRunMeasure {
  method: DryRunMethod;
  plan: DeploymentPlan;
  actualSeconds: number;
  error: number;
}

/** One method on a running stack: two deployments of history, the plan of the third, then the third for real. */
export async function measureMethod(stack: Stack, method: DryRunMethod): Promise<DryRunMeasure> {
  const c = CASES[method];
  stack.world.addInstances({ count: c.instances.count, attributes: c.instances.attributes, cluster: c.cluster });
  // A plan runs a whole simulated deployment: longer than an ordinary call, more so on a busy machine.
  const api = new BloxClient({ baseUrl: stack.url, timeoutMs: 300_000 });
  const traffic = await simulatedTraffic(stack.services);
  await api.createEnvironment(c.spec(1, traffic));
  for (let revision = 1; revision <= 3; revision++) {
    if (revision > 1) await api.updateEnvironment(c.name, c.spec(revision, traffic));
    if (revision === 3) break;
    await api.deployEnvironment(c.name, revision);
    await atRest(stack, c.name, revision);
  }
  const plan = await api.planDeployment(c.name, 3);
  await api.deployEnvironment(c.name, 3);
  await atRest(stack, c.name, 3);
  const actual = await actualSeconds(stack, c.name, 3);
  return { method, plan, actualSeconds: actual, error: etaError(plan.EstimatedDurationSeconds, actual) };
}

export async function dryRunBench(options: { methods?: readonly DryRunMethod[]; speed?: number } = {}): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const methods = options.methods ?? DRYRUN_METHODS;
  const quick = methods.filter((m) => m !== 'canary');
  if (quick.length > 0) results.push(...(await onStack(quick, options.speed ?? 1)));
  if (methods.includes('canary')) results.push(...(await onStack(['canary'], options.speed ?? CANARY_SPEED)));
  return results;
}

async function onStack(methods: readonly DryRunMethod[], speed: number): Promise<BenchResult[]> {
  const stack = await startStack({ port: await getFreePort(), logger: new Logger({ logLevel: 'SILENT' }), speed });
  const results: BenchResult[] = [];
  try {
    for (const method of methods) {
      const m = await measureMethod(stack, method);
      const t = m.plan.Seed.Timings;
      progress(
        `dryrun ${method} (stack at ${speed}×): estimate ${m.plan.EstimatedDurationSeconds} s, actual ${round(m.actualSeconds)} s, error ${round(m.error * 100, 1)} %` +
          ` (timings start ${t.StartSeconds} s ${t.Sources.start}, ready ${t.ReadySeconds} s ${t.Sources.ready}, stop ${t.StopSeconds} s ${t.Sources.stop};` +
          ` lowest ready ${m.plan.LowestReadyCount}/${m.plan.DesiredCount}, most extra ${m.plan.MostExtraTasks}, ${m.plan.Steps.length} steps)`,
      );
      results.push(
        { name: `dryrun.eta_error.${method}`, value: round(m.error), unit: 'ratio' },
        { name: `dryrun.estimate.${method}`, value: round(m.plan.EstimatedDurationSeconds), unit: 's' },
        { name: `dryrun.actual.${method}`, value: round(m.actualSeconds), unit: 's' },
      );
    }
    return results;
  } finally {
    await stack.stop();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (invokedDirectly) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({ options: { speed: { type: 'string' }, only: { type: 'string' } }, strict: true });
  const speed = values.speed === undefined ? undefined : Number(values.speed);
  if (speed !== undefined && !(speed > 0)) throw new Error(`--speed: a positive number (got "${values.speed}")`);
  const methods = values.only === undefined ? [...DRYRUN_METHODS] : values.only.split(',').map((m) => m.trim());
  const unknown = methods.filter((m) => !(DRYRUN_METHODS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new Error(`--only: expected some of ${DRYRUN_METHODS.join(', ')} (got "${values.only}")`);
  let code = 0;
  try {
    for (const result of await dryRunBench({ methods: methods as DryRunMethod[], speed })) process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stderr.write(`[bench] dryrun failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    code = 1;
  }
  process.exit(code);
}
