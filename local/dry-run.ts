/**
 * The dry run's simulation (`blox plan-deployment`): the real engine — the same handlers, planner and
 * wiring as `local/harness.ts` — on a private simulated cluster built from what was observed of the
 * environment's own (its instances and the room they have for its tasks, its tasks' start, ready and
 * stop times), on a virtual clock: an hour-long deployment is simulated in a fraction of a second.
 *
 * The world starts with the Active revision deployed (as the real one is), then the revision asked
 * about is deployed and watched until it is Active: every instant the world changes is sampled (ready
 * and live tasks), and the simulated log gives the waves or steps (`domain/dry-run.ts`).
 *
 * What the simulation leaves out, and says so in `assumptions`: alarms stay OK (they are not
 * watched), hooks answer at once, and a Service's readiness behind its one target group is modelled as
 * the task's own (RUNNING, then ready after the observed delay). A Canary or BlueGreen with
 * TrafficRouting runs on the simulator's own load balancer `web-alb` (its production and test rules,
 * target groups `web-blue` and `web-green`, their health checks the simulator's), the spec's ARNs
 * swapped for those: the planner's traffic steps move real (simulated) weights, and timed pauses
 * and bakes elapse on the simulated clock.
 */
import type { EnvironmentState } from '../domain/environment';
import type { PlanStep, RunSample, RunSummary, Timings } from '../domain/dry-run';
import { eventMs, stepsOf, summarizeRun } from '../domain/dry-run';
import type { EnvironmentSpec } from '../domain/spec';
import type { LatencyModel } from './wiring';
import { Harness } from './harness';
import type { SimulatedServices } from './sim';

export interface DryRunInstance {
  /** The instance's attributes (custom and `ecs.*`): the environment's query is evaluated on them. */
  attributes: Record<string, string | undefined>;
  /** What it offers the environment (`capacityForEnvironment`). */
  cpu: number;
  memory: number;
}

export interface DryRunTask {
  cpu: number;
  memory: number;
  /** Whether readiness waits beyond RUNNING (a container health check, or a target group's checks). */
  waitsForReady: boolean;
}

export interface DryRunInput {
  /** The spec of the Active revision (deployed in the world first), or none for a first deployment. */
  active?: EnvironmentSpec | undefined;
  /** The spec of the revision asked about. */
  target: EnvironmentSpec;
  instances: DryRunInstance[];
  /** Per task definition of `active` and `target`. */
  tasks: Record<string, DryRunTask>;
  timings: Timings;
  /** The control plane's own delays (default: AWS's, `AWS_LATENCY`). */
  latency?: Partial<LatencyModel> | undefined;
  /** The scheduled tick (default 60 s, as deployed). */
  tickMs?: number | undefined;
  /** Give up after this much simulated time (default 24 h). */
  limitSeconds?: number | undefined;
}

export interface DryRunOutcome extends RunSummary {
  /** Whether the revision became Active in the simulation; if not, why (`Failing`, or the limit). */
  completes: boolean;
  reason?: string | undefined;
  /** The count the deployment aims at: the instances of the group (Daemon), DesiredCount (Service). */
  desired: number;
  steps: PlanStep[];
  assumptions: string[];
}

/** The simulator's load balancer a TrafficRouting is played on: `web-alb`'s rules and its two target groups. */
export interface SimulatedTraffic {
  listenerRuleArn: string;
  testListenerRuleArn: string;
  blueTargetGroupArn: string;
  greenTargetGroupArn: string;
}

export async function simulatedTraffic(services: SimulatedServices): Promise<SimulatedTraffic> {
  const { elbv2 } = services;
  const balancer = (await elbv2.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers[0];
  if (!balancer) throw new Error('the simulated world has no load balancer web-alb');
  const rules: Record<number, string> = {};
  for (const listener of (await elbv2.describeListeners({ LoadBalancerArn: balancer.LoadBalancerArn })).Listeners) {
    const rule = (await elbv2.describeRules({ ListenerArn: listener.ListenerArn })).Rules.find((r) => !r.IsDefault);
    if (rule && listener.Port !== undefined) rules[listener.Port] = rule.RuleArn!;
  }
  return {
    listenerRuleArn: rules[80]!,
    testListenerRuleArn: rules[8080]!,
    blueTargetGroupArn: elbv2.targetGroupArn('web-blue')!,
    greenTargetGroupArn: elbv2.targetGroupArn('web-green')!,
  };
}

function isIndefinitePause(step: Record<string, unknown>): boolean {
  const pause = step.Pause as { Seconds?: unknown } | undefined;
  return pause !== undefined && pause.Seconds === undefined;
}

/** The spec as the simulation runs it: what the simulated world lacks taken out (see the module comment). */
export function simulatedSpec(spec: EnvironmentSpec, traffic?: SimulatedTraffic): { spec: EnvironmentSpec; assumptions: string[] } {
  const assumptions: string[] = [];
  const config = { ...spec.DeploymentConfiguration } as Record<string, unknown>;
  if (config.Alarms) {
    delete config.Alarms;
    assumptions.push('the watched alarms stay OK');
  }
  if (Array.isArray(config.Steps) && (config.Steps as Array<Record<string, unknown>>).some((step) => isIndefinitePause(step))) {
    const steps = (config.Steps as Array<Record<string, unknown>>).filter((step) => !isIndefinitePause(step));
    config.Steps = steps.length > 0 ? steps : [{ SetWeight: 100 }];
    assumptions.push('each Pause without Seconds is promoted at once (the time until promote-deployment is not in the estimate)');
  }
  if (config.Hooks) {
    delete config.Hooks;
    assumptions.push('the hooks answer SUCCEEDED at once');
  }
  const copy = { ...spec, DeploymentConfiguration: config } as EnvironmentSpec & { Service?: Record<string, unknown>; TrafficRouting?: unknown };
  if (copy.TrafficRouting && traffic) {
    copy.TrafficRouting = {
      Alb: {
        ListenerRuleArn: traffic.listenerRuleArn,
        TestListenerRuleArn: traffic.testListenerRuleArn,
        BlueTargetGroupArn: traffic.blueTargetGroupArn,
        GreenTargetGroupArn: traffic.greenTargetGroupArn,
      },
    };
    const { TargetGroupArn: _tg, ...balancer } = (copy.Service?.LoadBalancer ?? {}) as Record<string, unknown>;
    (copy as { Service?: Record<string, unknown> }).Service = { ...copy.Service, LoadBalancer: balancer };
    assumptions.push("the traffic moves on the simulator's load balancer: its target groups' health checks (5 passed checks 30 s apart) decide when a task is ready");
  } else if (copy.Service?.LoadBalancer) {
    const { LoadBalancer: _lb, ...service } = copy.Service;
    (copy as { Service?: Record<string, unknown> }).Service = service;
    assumptions.push("a task is ready its observed ready time after RUNNING (the target group's health checks, modelled as the task's own)");
  }
  return { spec: copy, assumptions };
}

const SIM_NAME = (spec: EnvironmentSpec) => spec.Name;

export async function simulateDeployment(input: DryRunInput): Promise<DryRunOutcome> {
  const { timings } = input;
  const taskDefinitions: Record<string, { cpu: number; memory: number; startSeconds: number; stopSeconds: number; health: 'healthy' | 'none'; healthyAfterSeconds: number }> = {};
  for (const [td, task] of Object.entries(input.tasks)) {
    taskDefinitions[td] = {
      cpu: task.cpu,
      memory: task.memory,
      startSeconds: timings.startSeconds,
      stopSeconds: timings.stopSeconds,
      health: task.waitsForReady ? 'healthy' : 'none',
      healthyAfterSeconds: task.waitsForReady ? timings.readySeconds : 0,
    };
  }
  const routed = (spec: EnvironmentSpec | undefined) => (spec as { TrafficRouting?: unknown } | undefined)?.TrafficRouting !== undefined;
  const withTraffic = routed(input.target) || routed(input.active);
  if (withTraffic) {
    // The task sets register their tasks' container in blue or green: the container the spec names.
    for (const spec of [input.active, input.target]) {
      const container = spec?.Service?.LoadBalancer?.ContainerName;
      if (spec && container && taskDefinitions[spec.TaskDefinition]) Object.assign(taskDefinitions[spec.TaskDefinition]!, { containerName: container });
    }
  }
  const h = new Harness({ seed: 1, latency: input.latency, tickMs: input.tickMs ?? 60_000, world: { taskDefinitions }, ...(withTraffic ? { services: true } : {}) });
  const traffic = withTraffic ? await simulatedTraffic(h.services!) : undefined;
  const target = simulatedSpec(input.target, traffic);
  const active = input.active ? simulatedSpec(input.active, traffic) : undefined;
  const cluster = input.target.Cluster ?? 'default';
  for (const instance of input.instances) h.world.addInstances({ count: 1, cluster, attributes: instance.attributes, cpu: instance.cpu, memory: instance.memory });
  const name = SIM_NAME(input.target);
  const limitMs = (input.limitSeconds ?? 86_400) * 1000;
  try {
    let revision = 1;
    await h.command({ type: 'CreateEnvironment', spec: (active ?? target).spec });
    if (active) {
      await h.command({ type: 'DeployRevision', name, revision: 1 });
      await h.runUntil(async () => atRest(await h.state(name), 1), limitMs);
      await h.command({ type: 'UpdateEnvironment', name, baseRevision: 1, patch: target.spec });
      revision = 2;
    }
    const samples: RunSample[] = [];
    const sample = () => {
      let ready = 0;
      let live = 0;
      for (const t of h.world.describeTasks(cluster)) {
        if (t.lastStatus === 'STOPPED') continue;
        live++;
        const behaviour = h.world.taskBehaviour(t.taskDefinitionArn);
        if (t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && (behaviour.health === 'none' || t.healthStatus === 'HEALTHY')) ready++;
      }
      const last = samples.at(-1);
      if (!last || last.ready !== ready || last.live !== live) samples.push({ at: h.clock.now(), ready, live });
    };
    const startAt = h.clock.now();
    sample();
    await h.command({ type: 'DeployRevision', name, revision });
    let failing: string | undefined;
    let completes = true;
    try {
      await h.runUntil(async () => {
        sample();
        const state = await h.state(name);
        const row = state?.revisions.find((r) => r.revision === revision);
        if (row?.health === 'Failing') failing = row.statusReason ?? 'Failing';
        return failing !== undefined || atRest(state, revision);
      }, limitMs);
    } catch {
      completes = false;
    }
    const events = (await h.eventLog.readEvents(name)).map((e) => e.event);
    const completed = events.find((e) => e.type === 'DeploymentCompleted' && e.revision === revision);
    const endAt = completed ? eventMs(completed) : h.clock.now();
    const state = await h.state(name);
    const desired = state?.revisions.find((r) => r.revision === revision)?.desired ?? 0;
    const reason = failing !== undefined ? `the deployment would be Failing: ${failing}` : completes ? undefined : `not Active after ${limitMs / 1000} s of simulated time`;
    return {
      ...summarizeRun(samples, desired, startAt, endAt),
      completes: completes && failing === undefined,
      ...(reason ? { reason } : {}),
      desired,
      steps: stepsOf(events, revision, startAt),
      assumptions: [...new Set([...(active?.assumptions ?? []), ...target.assumptions])],
    };
  } finally {
    await h.stop();
  }
}

function atRest(state: EnvironmentState | undefined, revision: number): boolean {
  return state?.activeRevision === revision && !state.deployment;
}
