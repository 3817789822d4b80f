/**
 * The blast radius of a bad revision (issue 10): how many simulated requests a revision that
 * answers 20 % of its requests with a 5xx gets to answer badly before the engine, watching an alarm,
 * has traffic back on the old revision — for a Service Canary over the ALB's listener-rule weights,
 * and for an all-at-once Rolling deploy of the same revision as the baseline.
 *
 * Both run on the deterministic harness (local/harness.ts) over the same world: the default local
 * world (`DEFAULT_SIM_SERVICES`: load balancer `web-alb`, 100 requests a second on its production
 * listener, rule over target groups `web-blue` / `web-green`), with revision 2 (`web:2`) answering
 * 20 % 5xx, and alarm `web-alb-5xx` redefined as a canary's alarm: the 5xx of `web-alb`'s targets
 * over its requests above **0.5 %**, one datapoint of 60 s (`BENCH_ALARM`). The default one (above
 * 5 %, 3 of 3 minutes) cannot see this canary: at 5 % of the traffic a 20 % error rate is 1 % of the
 * load balancer's requests, and at 25 % exactly 5 %, which is not above 5 %.
 *
 * - Canary: `TrafficRouting.Alb` (the production rule, blue / green), Steps SetWeight 5, Pause 300 s,
 *   SetWeight 25, Pause 300 s (then the implicit 100), BakeSeconds 600, Alarms web-alb-5xx with Rollback.
 * - Baseline: Rolling at MinHealthyPercent 100, MaxPercent 200 — the whole new task set at once,
 *   the old one stopped as soon as the new one is healthy (the fastest, and the only safe
 *   all-at-once: at 0 / 100 the old tasks stop before the new ones serve), the service registered
 *   in `web-blue` (the rule's 100 % group), so it takes the same 100 requests a second, watching the
 *   same alarm with Rollback, BakeSeconds 600 (without a bake the Rolling deploy completes before the
 *   alarm's first evaluation, and a completed deployment is not rolled back).
 *
 * Bad requests are the 5xx answered by `web:2`'s tasks, counted exactly by the simulated ELBv2
 * (`requestTotals()`, not the rounded per-minute metrics), from the deploy until traffic is
 * restored: for the canary, the production rule back at blue 100 / green 0; for the baseline, no
 * `web:2` target routed any more (the old task set healthy again and the bad one deregistered). The
 * run then goes on to the rollback's end and checks that the count did not grow.
 *
 * Where in the alarm's minute the bad revision starts answering decides how much of that minute it
 * gets before the evaluation at the minute's end: `trafficBench` deploys at evenly spread offsets into
 * the minute and reports the means. What it measured is in bench/README.md.
 */
import type { EnvironmentEvent } from '../domain/environment';
import type { EnvironmentSpec } from '../domain/spec';
import { Harness } from '../local/harness';
import type { SimServicesDescription } from '../local/sim';
import { DEFAULT_SIM_SERVICES } from '../local/sim';
import type { BenchResult } from './stats';
import { progress, round } from './stats';

/** The alarm both deployments watch: a canary's alarm, not the default world's 5 % over 3 minutes. */
export const BENCH_ALARM = { threshold: 0.5, evaluationPeriods: 1, datapointsToAlarm: 1, periodSeconds: 60 } as const;
/** The bad revision's share of requests answered 5xx. */
export const BAD_ERROR_RATE = 0.2;
export const CANARY_STEPS = [{ SetWeight: 5 }, { Pause: { Seconds: 300 } }, { SetWeight: 25 }, { Pause: { Seconds: 300 } }] as const;

/** Both watch the alarm for 10 minutes after the new revision has all the traffic (without it, a Rolling deploy completes before the alarm's first evaluation and is never rolled back). */
export const BAKE_SECONDS = 600;
const NAME = 'Bench/Traffic';
const SERVICE = 'Bench-Traffic';
const BAD = 'web:2';
/** Virtual time allowed for each wait (a rollout with its rollback takes minutes). */
const LIMIT_MS = 3 * 3600_000;

export interface TrafficRun {
  method: 'Canary' | 'Rolling';
  /** 5xx answered by web:2 from the deploy until traffic was restored. */
  badRequests: number;
  /** All requests web:2 answered in that time. */
  badRevisionRequests: number;
  /** The load balancer's requests in that time (what the alarm divides by). */
  loadBalancerRequests: number;
  /** Virtual seconds from the deploy to the rollback's trigger, and to traffic restored. */
  triggeredAfter: number;
  restoredAfter: number;
  /** Canary: the highest weight of web-green read at any point of the run (0 for Rolling). */
  peakWeight: number;
  /** The RollbackTriggered event's trigger kind and reason. */
  trigger: string;
  reason: string;
  wallSeconds: number;
}

function world(): SimServicesDescription {
  const alarms = { ...DEFAULT_SIM_SERVICES.alarms };
  alarms['web-alb-5xx'] = {
    loadBalancer5xxPercent: 'web-alb',
    ...BENCH_ALARM,
    description: `5xx rate of load balancer web-alb above ${BENCH_ALARM.threshold} % (1 of 1 minutes): the bench's canary alarm`,
  };
  // Target group `web` registers every task of family web (`registerTasksOf`, the stand-in for a
  // service of the local world's `web` family): here the only load balancer of the web tasks is web-alb.
  const targetGroups = { ...DEFAULT_SIM_SERVICES.targetGroups };
  targetGroups.web = { cluster: 'default' };
  return { ...DEFAULT_SIM_SERVICES, targetGroups, traffic: { [BAD]: { errorRate: BAD_ERROR_RATE } }, alarms };
}

/** The production (port 80) and test (port 8080) rules of web-alb. */
async function albRules(h: Harness): Promise<{ production: string; test: string }> {
  const elbv2 = h.services!.elbv2;
  const [balancer] = (await elbv2.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers;
  const listeners = (await elbv2.describeListeners({ LoadBalancerArn: balancer!.LoadBalancerArn })).Listeners;
  const ruleOn = async (port: number) => {
    const listener = listeners.find((l) => l.Port === port)!;
    const rules = (await elbv2.describeRules({ ListenerArn: listener.ListenerArn })).Rules;
    return rules.find((r) => r.Priority !== 'default')!.RuleArn!;
  };
  return { production: await ruleOn(80), test: await ruleOn(8080) };
}

async function greenWeight(h: Harness, rule: string): Promise<number> {
  const green = h.services!.elbv2.targetGroupArn('web-green')!;
  const [described] = (await h.services!.elbv2.describeRules({ RuleArns: [rule] })).Rules;
  const forward = described!.Actions.find((a) => a.Type === 'forward');
  return forward?.ForwardConfig?.TargetGroups.find((g) => g.TargetGroupArn === green)?.Weight ?? 0;
}

/**
 * One deployment of the bad revision over a healthy revision 1 of `desiredCount` tasks, until the
 * alarm's rollback has traffic back on revision 1.
 */
export async function badDeployment(method: 'Canary' | 'Rolling', options: { desiredCount?: number; seed?: number; offsetSeconds?: number } = {}): Promise<TrafficRun> {
  const wall = performance.now();
  const desiredCount = options.desiredCount ?? 10;
  const h = new Harness({ seed: options.seed ?? 51, services: world(), tickMs: 60_000 });
  try {
    // 4 tasks an instance (512 CPU units of 2048): room for both task sets at full size.
    h.world.addInstances({ count: Math.ceil(desiredCount / 2), attributes: { stack: 'prod' } });
    const elbv2 = h.services!.elbv2;
    const rules = await albRules(h);
    const alarms = { AlarmNames: ['web-alb-5xx'], Rollback: true };
    const spec = {
      Name: NAME,
      TaskDefinition: 'web:1',
      Cluster: 'default',
      DeploymentType: 'Service',
      DesiredCount: desiredCount,
      ...(method === 'Canary'
        ? {
            DeploymentConfiguration: { Method: 'Canary', MinHealthyPercent: 100, Steps: CANARY_STEPS, BakeSeconds: BAKE_SECONDS, Alarms: alarms },
            Service: { ServiceName: SERVICE, LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
            TrafficRouting: {
              Alb: { ListenerRuleArn: rules.production, TestListenerRuleArn: rules.test, BlueTargetGroupArn: elbv2.targetGroupArn('web-blue')!, GreenTargetGroupArn: elbv2.targetGroupArn('web-green')! },
            },
          }
        : {
            DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200, BakeSeconds: BAKE_SECONDS, Alarms: alarms },
            Service: { ServiceName: SERVICE, LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: elbv2.targetGroupArn('web-blue')! } },
          }),
    } as unknown as EnvironmentSpec;
    const activeOn = async (revision: number) => {
      const s = await h.state(NAME);
      return s?.activeRevision === revision && !s.deployment;
    };
    const events = async (): Promise<EnvironmentEvent[]> => (await h.eventLog.readEvents(NAME)).map((e) => e.event);
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(1), LIMIT_MS);
    // A few quiet minutes on revision 1 (the alarm OK on real datapoints before the deploy), and the
    // offset that puts the deploy elsewhere in the alarm's minute.
    await h.runFor(300_000 + (options.offsetSeconds ?? 0) * 1000);
    const alarm = (await h.services!.cloudwatch.describeAlarms({ AlarmNames: ['web-alb-5xx'] })).MetricAlarms?.[0];
    if (alarm?.StateValue !== 'OK') throw new Error(`traffic bench: alarm web-alb-5xx is ${alarm?.StateValue} before the deploy`);

    const totals = () => {
      const t = elbv2.requestTotals();
      const bad = t.taskDefinitions[BAD] ?? { requests: 0, errors: 0 };
      return { badErrors: bad.errors, badRequests: bad.requests, lb: t.loadBalancers['web-alb']!.requests };
    };
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: BAD } });
    const before = totals();
    const t0 = h.clock.now();
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });

    // Traffic restored: for the canary, the production rule back at blue 100 (read after the rollback
    // started); for Rolling, web:2 no longer answering anything (its count stops growing: the old task
    // set healthy in web-blue again and web:2's targets draining). The run goes on to the rollback's end.
    let triggeredAt: number | undefined;
    let restoredAt: number | undefined;
    let atRestore: ReturnType<typeof totals> | undefined;
    let lastBad = before.badRequests;
    let lastGrowthAt = t0;
    let peakWeight = 0;
    let atLastGrowth = before;
    await h.runUntil(async () => {
      const now = totals();
      if (now.badRequests > lastBad) {
        lastBad = now.badRequests;
        lastGrowthAt = h.clock.now();
        atLastGrowth = now;
      }
      const weight = method === 'Canary' ? await greenWeight(h, rules.production) : 0;
      peakWeight = Math.max(peakWeight, weight);
      if (triggeredAt === undefined) {
        if ((await events()).some((e) => e.type === 'RollbackTriggered')) triggeredAt = h.clock.now();
        return false;
      }
      if (method === 'Canary' && restoredAt === undefined && weight === 0) {
        restoredAt = h.clock.now();
        atRestore = now;
      }
      return activeOn(1);
    }, LIMIT_MS);
    if (method === 'Rolling') {
      restoredAt = lastGrowthAt;
      atRestore = atLastGrowth;
    }
    const atEnd = totals();
    if (!atRestore) throw new Error(`traffic bench (${method}): the rollback completed without the production rule read at blue 100`);
    if (atEnd.badErrors !== atRestore.badErrors) throw new Error(`traffic bench (${method}): web:2 answered ${atEnd.badErrors - atRestore.badErrors} more 5xx after traffic was restored`);
    const trigger = (await events()).find((e): e is Extract<EnvironmentEvent, { type: 'RollbackTriggered' }> => e.type === 'RollbackTriggered')!;
    if (h.errors.length > 0) throw new Error(`traffic bench (${method}): ${h.errors.length} errors, the first: ${String(h.errors[0])}`);
    return {
      method,
      badRequests: atRestore.badErrors - before.badErrors,
      badRevisionRequests: atRestore.badRequests - before.badRequests,
      loadBalancerRequests: atRestore.lb - before.lb,
      triggeredAfter: (triggeredAt! - t0) / 1000,
      restoredAfter: (restoredAt! - t0) / 1000,
      peakWeight,
      trigger: trigger.trigger,
      reason: trigger.reason,
      wallSeconds: (performance.now() - wall) / 1000,
    };
  } finally {
    await h.stop();
  }
}

/**
 * `traffic.bad_requests_before_rollback` (the canary), `traffic.bad_requests_before_rollback.rolling`
 * (the baseline) and `traffic.blast_radius_ratio` (canary ÷ baseline; goal ≤ 0.05). Each figure is
 * the mean over `phases` deployments started at evenly spread points of the alarm's 60-s period
 * (offsets 0, 60/phases, … s): where the bad revision's first requests fall in the minute decides how
 * much of that minute they get before the evaluation at its end, so one run is one draw.
 */
export async function trafficBench(options: { desiredCount?: number; phases?: number } = {}): Promise<BenchResult[]> {
  const phases = options.phases ?? 6;
  const mean: Record<TrafficRun['method'], number> = { Canary: 0, Rolling: 0 };
  for (const method of ['Canary', 'Rolling'] as const) {
    for (let phase = 0; phase < phases; phase++) {
      const offsetSeconds = (60 * phase) / phases;
      const run = await badDeployment(method, { ...options, offsetSeconds });
      if (run.trigger !== 'Alarm') throw new Error(`traffic bench (${method}): rolled back by ${run.trigger}, not the alarm: ${run.reason}`);
      progress(
        `traffic: ${method}, deploy ${offsetSeconds.toFixed(0)} s into a minute: ${run.badRequests.toFixed(1)} bad requests (web:2 answered ${run.badRevisionRequests.toFixed(1)} of web-alb's ${run.loadBalancerRequests.toFixed(1)}); ` +
          `alarm → rollback ${run.triggeredAfter.toFixed(1)} s after the deploy, traffic restored after ${run.restoredAfter.toFixed(1)} s; ${run.wallSeconds.toFixed(1)} s of wall time`,
      );
      mean[method] += run.badRequests / phases;
    }
  }
  return [
    { name: 'traffic.bad_requests_before_rollback', value: round(mean.Canary, 1), unit: 'requests' },
    { name: 'traffic.bad_requests_before_rollback.rolling', value: round(mean.Rolling, 1), unit: 'requests' },
    { name: 'traffic.blast_radius_ratio', value: round(mean.Canary / mean.Rolling, 4), unit: 'ratio' },
  ];
}
