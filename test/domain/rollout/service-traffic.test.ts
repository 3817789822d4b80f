/**
 * The Service plan with TrafficRouting (domain/rollout/service.ts `trafficStep`): given a deployment
 * folded by the real decider and what ECS and the load balancer show, when the planner plans, then
 * these calls. Worked out by hand for every step kind, the verification rules and each rollback
 * point; then a property over a small model of ECS and the listener rule (random step lists, random
 * readiness, random promotions, a random trigger time): the weights always sum to 100, weight never
 * moves to a group with fewer ready tasks than its share needs (never to one without a healthy
 * target), and a task set whose group has weight is never scaled down or deleted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../../../domain/environment';
import { decide, fold } from '../../../domain/environment';
import type { GroupWeight, Observed, ObservedServiceTask, ObservedTaskSet, Plan, PlannerState, ServiceOperation } from '../../../domain/rollout';
import { applyPlannerEvent, canaryTasks, plan, recordTrafficChange } from '../../../domain/rollout';
import type { CanaryStep, DeploymentConfiguration, EnvironmentSpec } from '../../../domain/spec';

const NAME = 'Web/Prod';
const AT = '2017-09-06T11:47:23.000Z';
const T0 = Date.parse(AT);
const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const BLUE = tg('web-blue');
const GREEN = tg('web-green');
const RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const TEST_RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/0000000000000001';

function spec(revision: number, desiredCount: number, configuration: DeploymentConfiguration): EnvironmentSpec {
  return {
    Name: NAME,
    TaskDefinition: `web:${revision}`,
    DeploymentType: 'Service',
    DesiredCount: desiredCount,
    DeploymentConfiguration: { Method: 'Canary', MinHealthyPercent: 100, ...configuration },
    Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
    TrafficRouting: { Alb: { ListenerRuleArn: RULE, TestListenerRuleArn: TEST_RULE, BlueTargetGroupArn: BLUE, GreenTargetGroupArn: GREEN } },
  };
}

function then(state: EnvironmentState, command: EnvironmentCommand): EnvironmentState {
  return fold(decide(command, state), state)!;
}

/** Revision 1 Active (on blue), revision 2 deploying. */
function deployingEnvironment(desiredCount: number, configuration: DeploymentConfiguration): EnvironmentState {
  const events: EnvironmentEvent[] = [
    { type: 'EnvironmentCreated', name: NAME, at: AT },
    { type: 'RevisionCreated', revision: 1, spec: spec(1, desiredCount, configuration), at: AT },
  ];
  let state = fold(events)!;
  state = then(state, { type: 'DeployRevision', name: NAME, revision: 1, at: AT });
  state = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 }], state)!;
  state = fold([{ type: 'RevisionCreated', revision: 2, spec: spec(2, desiredCount, configuration), basedOn: 1, at: AT }], state)!;
  return then(state, { type: 'DeployRevision', name: NAME, revision: 2, at: AT });
}

const deploying = (D: number, configuration: DeploymentConfiguration): PlannerState => deployingEnvironment(D, configuration).engine!;

function set(id: string, revision: number, group: string, computed: number, ready: number): ObservedTaskSet {
  const tasks: ObservedServiceTask[] = [];
  for (let i = 0; i < computed; i++) tasks.push({ arn: `${id}-${i}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', ready: i < ready });
  return { id, revision, targetGroupArn: group, status: revision === 1 ? 'PRIMARY' : 'ACTIVE', scale: 100, computedDesiredCount: computed, tasks };
}

function look(D: number, sets: ObservedTaskSet[], weights: { blue: number; green: number }, extra: { inSync?: boolean; test?: string } = {}): Observed {
  return {
    instances: [],
    tasks: [],
    targetHealthChecked: false,
    service: { status: 'ACTIVE', deploymentController: 'EXTERNAL', desiredCount: D, taskSets: sets, events: [] },
    traffic: {
      weights: [
        { targetGroupArn: BLUE, weight: weights.blue },
        { targetGroupArn: GREEN, weight: weights.green },
      ],
      inSync: extra.inSync ?? true,
      ...(extra.test ? { testTargetGroupArn: extra.test } : {}),
    },
  };
}

const ops = (p: Plan): ServiceOperation[] => p.actions.flatMap((a) => (a.type === 'UpdateService' ? a.operations : []));
const withoutTokens = (list: ServiceOperation[]) => list.map((o) => (o.op === 'CreateTaskSet' ? { ...o, clientToken: '…' } : o));
const after = (state: PlannerState, p: Plan): PlannerState => p.events.reduce(applyPlannerEvent, state);
const weightsOp = (green: number, blue: number): ServiceOperation => ({
  op: 'SetWeights',
  rule: 'production',
  weights: [
    { targetGroupArn: GREEN, weight: green },
    { targetGroupArn: BLUE, weight: blue },
  ],
});

describe('Canary over ALB weights: one plan at a time (D = 10, Steps [SetWeight 10, Pause 300 s, SetWeight 50, Pause {}])', () => {
  const steps: CanaryStep[] = [{ SetWeight: 10 }, { Pause: { Seconds: 300 } }, { SetWeight: 50 }, { Pause: {} }];
  const config = { Steps: steps };

  it('the canary task set is created in green (no traffic), at ceil(10 × 10 %) = 1 task; nothing else moves', () => {
    const p = plan(deploying(10, config), look(10, [set('s1', 1, BLUE, 10, 10)], { blue: 100, green: 0 }), T0);
    expect(withoutTokens(ops(p))).toEqual([{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 10, clientToken: '…', targetGroupArn: GREEN }]);
    expect(p.events.find((e) => e.type === 'TrafficStepStarted')).toEqual({ type: 'TrafficStepStarted', step: 0, steps: 5, description: 'SetWeight 10', at: T0 });
  });

  it('the canary task not ready: no weight moves (it waits), and it looks again in 2 s (no ECS event says a target turned healthy)', () => {
    const p = plan(deploying(10, config), look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 1, 0)], { blue: 100, green: 0 }), T0);
    expect(ops(p)).toEqual([]);
    expect(p.wakeAt).toBe(T0 + 2_000);
  });

  it('the canary task ready: green 10 %, blue 90 %', () => {
    const p = plan(deploying(10, config), look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 1, 1)], { blue: 100, green: 0 }), T0);
    expect(ops(p)).toEqual([weightsOp(10, 90)]);
  });

  it('10 read back: the pause starts (300 s), and the plan wakes at its end; a pause is not "no progress"', () => {
    const state = deploying(10, config);
    const first = plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 1, 1)], { blue: 90, green: 10 }), T0 + 4_000);
    // (The first plan found step 1 done already: it records the step it is in.)
    expect(first.events.filter((e) => e.type === 'TrafficStepStarted').map((e) => (e as { description: string }).description)).toEqual(['Pause 300 s']);
    expect(ops(first)).toEqual([]);
    expect(first.wakeAt).toBe(T0 + 304_000);
    // Ten minutes later with StuckAfterSeconds 300 (the default): still paused, not Stuck.
    const paused = after(state, first);
    const later = plan(paused, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 1, 1)], { blue: 90, green: 10 }), T0 + 200_000);
    expect(later.events.some((e) => e.type === 'DeploymentStuck')).toBe(false);
  });

  it('at the indefinite pause (50 read back): nothing moves and nothing wakes it but promote-deployment', () => {
    const state = after(deploying(10, config), { events: [{ type: 'TrafficStepStarted', step: 3, steps: 5, description: 'Pause until promoted', at: T0 }], actions: [] });
    const p = plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 5, 5)], { blue: 50, green: 50 }), T0 + 5_000);
    expect(ops(p)).toEqual([]);
    expect(p.wakeAt).toBeUndefined();
  });

  it('the weights read back are not what was set (someone changed the rule): the step sets them again', () => {
    const state = after(deploying(10, config), { events: [{ type: 'TrafficStepStarted', step: 0, steps: 5, description: 'SetWeight 10', at: T0 }], actions: [] });
    const p = plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 1, 1)], { blue: 95, green: 5 }), T0 + 2_000);
    expect(ops(p)).toEqual([weightsOp(10, 90)]);
  });

  it('the rule cannot be read: Stuck at once with the reason', () => {
    const observed = look(10, [set('s1', 1, BLUE, 10, 10)], { blue: 100, green: 0 });
    observed.traffic = { weights: [], inSync: false, error: 'RuleNotFoundException: One or more rules not found' };
    const p = plan(deploying(10, config), observed, T0);
    expect(p.events).toContainEqual({ type: 'DeploymentStuck', reason: 'RuleNotFoundException: One or more rules not found', at: T0 });
    expect(ops(p)).toEqual([]);
  });

  it('the last step: the canary grows to D, then green 100 %; only then is blue deleted (and green made PRIMARY)', () => {
    let state = after(deploying(10, config), { events: [{ type: 'TrafficStepStarted', step: 4, steps: 5, description: 'SetWeight 100', at: T0 }], actions: [] });
    expect(ops(plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 5, 5)], { blue: 50, green: 50 }), T0))).toEqual([{ op: 'ScaleTaskSet', taskSet: 's2', scale: 100, stopTasks: [] }]);
    expect(ops(plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 10, 9)], { blue: 50, green: 50 }), T0))).toEqual([]);
    expect(ops(plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 10, 10)], { blue: 50, green: 50 }), T0))).toEqual([weightsOp(100, 0)]);
    const shifted = plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 10, 10)], { blue: 0, green: 100 }), T0);
    expect(ops(shifted)).toEqual([
      { op: 'SetPrimaryTaskSet', taskSet: 's2' },
      { op: 'DeleteTaskSet', taskSet: 's1' },
    ]);
    state = after(state, shifted);
    const done = plan(state, look(10, [{ ...set('s2', 2, GREEN, 10, 10), status: 'PRIMARY' }], { blue: 0, green: 100 }), T0 + 2_000);
    expect(done.events.find((e) => e.type === 'DeploymentCompleted')).toMatchObject({ revision: 2, retired: [{ revision: 1, status: 'Inactive' }] });
  });

  it('with BakeSeconds: at 100 % the bake starts and blue keeps its full size until it ends', () => {
    const state = after(deploying(10, { ...config, BakeSeconds: 600 }), { events: [{ type: 'TrafficStepStarted', step: 4, steps: 5, description: 'SetWeight 100', at: T0 }], actions: [] });
    const p = plan(state, look(10, [set('s1', 1, BLUE, 10, 10), set('s2', 2, GREEN, 10, 10)], { blue: 0, green: 100 }), T0);
    expect(p.events).toContainEqual({ type: 'BakeStarted', at: T0 });
    expect(ops(p)).toEqual([]);
  });
});

describe('Canary over Route 53: a step is done only once its change is INSYNC', () => {
  it('weights read back at 10 but PENDING: the pause does not start yet; INSYNC: TrafficInSync, then the pause', () => {
    const state = after(deploying(4, { Steps: [{ SetWeight: 10 }, { Pause: { Seconds: 60 } }] }), {
      events: [{ type: 'TrafficStepStarted', step: 0, steps: 3, description: 'SetWeight 10', at: T0 }],
      actions: [],
    });
    const changed = { ...state, traffic: { ...state.traffic, change: { id: 'C1', at: T0, weights: [{ targetGroupArn: GREEN, weight: 10 }], inSync: false } } };
    const pending = plan(changed, look(4, [set('s1', 1, BLUE, 4, 4), set('s2', 2, GREEN, 1, 1)], { blue: 90, green: 10 }, { inSync: false }), T0 + 10_000);
    expect(pending.events.filter((e) => e.type === 'TrafficStepStarted' || e.type === 'TrafficInSync')).toEqual([]);
    expect(ops(pending)).toEqual([]);
    // GetChange again in 2 s (no event says a change is INSYNC)
    expect(pending.wakeAt).toBe(T0 + 12_000);
    const synced = plan(changed, look(4, [set('s1', 1, BLUE, 4, 4), set('s2', 2, GREEN, 1, 1)], { blue: 90, green: 10 }, { inSync: true }), T0 + 61_000);
    expect(synced.events.filter((e) => e.type === 'TrafficStepStarted' || e.type === 'TrafficInSync')).toEqual([
      { type: 'TrafficInSync', changeId: 'C1', at: T0 + 61_000 },
      { type: 'TrafficStepStarted', step: 1, steps: 3, description: 'Pause 60 s', at: T0 + 61_000 },
    ]);
  });
});

describe('rollback points: traffic is restored before capacity', () => {
  function rollingBack(D: number): PlannerState {
    const state = deployingEnvironment(D, { Steps: [{ SetWeight: 20 }, { Pause: {} }] });
    return then(state, { type: 'AbortDeployment', name: NAME, caller: 'test', targetSpec: spec(1, D, { Steps: [{ SetWeight: 20 }, { Pause: {} }] }), at: AT }).engine!;
  }

  it('at 20 %: the weights go back to blue (whose set never shrank) before anything is scaled', () => {
    const p = plan(rollingBack(5), look(5, [set('s1', 1, BLUE, 5, 5), set('s2', 2, GREEN, 1, 1)], { blue: 80, green: 20 }), T0);
    expect(ops(p)).toEqual([
      {
        op: 'SetWeights',
        rule: 'production',
        weights: [
          { targetGroupArn: BLUE, weight: 100 },
          { targetGroupArn: GREEN, weight: 0 },
        ],
      },
    ]);
  });

  it('blue at 100 again: the canary set is deleted, blue made PRIMARY (it was), revision 2 Reverted', () => {
    const state = rollingBack(5);
    const p = plan(state, look(5, [set('s1', 1, BLUE, 5, 5), set('s2', 2, GREEN, 1, 1)], { blue: 100, green: 0 }), T0);
    expect(ops(p)).toEqual([{ op: 'DeleteTaskSet', taskSet: 's2' }]);
    const done = plan(after(state, p), look(5, [set('s1', 1, BLUE, 5, 5)], { blue: 100, green: 0 }), T0 + 2_000);
    expect(done.events.find((e) => e.type === 'DeploymentCompleted')).toMatchObject({ revision: 1, retired: [{ revision: 2, status: 'Reverted' }] });
  });

  it('an alarm mid-step trips the deploy (RollbackTriggered), moving nothing in that plan', () => {
    const state = deploying(5, { Steps: [{ SetWeight: 20 }, { Pause: {} }], Alarms: { AlarmNames: ['web-alb-5xx'] } });
    const observed = { ...look(5, [set('s1', 1, BLUE, 5, 5), set('s2', 2, GREEN, 1, 1)], { blue: 100, green: 0 }), alarms: [{ name: 'web-alb-5xx', value: 'ALARM' as const, at: T0 + 1, reason: 'Threshold Crossed' }] };
    const p = plan(state, observed, T0 + 2);
    expect(p.events.find((e) => e.type === 'RollbackTriggered')).toMatchObject({ trigger: 'Alarm', to: 1 });
    expect(p.actions).toEqual([]);
  });
});

describe('BlueGreen over ALB (D = 4)', () => {
  const hooks = [{ Stage: 'PostTestTraffic' as const, FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke-ok' }];
  const bg = () => deploying(4, { Method: 'BlueGreen', Hooks: hooks });

  it('green comes up at full size in the group without traffic; no traffic of any kind before it is ready', () => {
    expect(withoutTokens(ops(plan(bg(), look(4, [set('s1', 1, BLUE, 4, 4)], { blue: 100, green: 0 }), T0)))).toEqual([{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 100, clientToken: '…', targetGroupArn: GREEN }]);
    const waiting = plan(bg(), look(4, [set('s1', 1, BLUE, 4, 4), set('s2', 2, GREEN, 4, 3)], { blue: 100, green: 0 }), T0);
    expect(ops(waiting)).toEqual([]);
    // 3 of 4 ready: it looks again in 2 s
    expect(waiting.wakeAt).toBe(T0 + 2_000);
  });

  it('green ready: the test rule to green; then the PostTestTraffic hook is invoked; production untouched', () => {
    const ready = [set('s1', 1, BLUE, 4, 4), set('s2', 2, GREEN, 4, 4)];
    expect(ops(plan(bg(), look(4, ready, { blue: 100, green: 0 }, { test: BLUE }), T0))).toEqual([
      { op: 'SetWeights', rule: 'test', weights: [{ targetGroupArn: GREEN, weight: 100 }, { targetGroupArn: BLUE, weight: 0 }] },
    ]);
    const p = plan(bg(), look(4, ready, { blue: 100, green: 0 }, { test: GREEN }), T0);
    expect(ops(p)).toEqual([]);
    expect(p.actions).toEqual([expect.objectContaining({ type: 'InvokeHook', hook: 0, stage: 'PostTestTraffic', attempt: 1 })]);
  });

  it('the hook answered SUCCEEDED: one flip, green 100 / blue 0', () => {
    const state = { ...bg(), hooks: { '0': { stage: 'PostTestTraffic' as const, functionArn: hooks[0]!.FunctionArn, startedAt: T0, invokedAt: T0, attempt: 1, answer: { status: 'SUCCEEDED' as const, at: T0 } } } };
    expect(ops(plan(state, look(4, [set('s1', 1, BLUE, 4, 4), set('s2', 2, GREEN, 4, 4)], { blue: 100, green: 0 }, { test: GREEN }), T0))).toEqual([weightsOp(100, 0)]);
  });

  it('the hook answered FAILED: the deploy rolls back (trigger Hook) with production untouched', () => {
    const state = { ...bg(), hooks: { '0': { stage: 'PostTestTraffic' as const, functionArn: hooks[0]!.FunctionArn, startedAt: T0, invokedAt: T0, attempt: 1, answer: { status: 'FAILED' as const, at: T0, reason: 'smoke test: 3 of 10 requests failed' } } } };
    const p = plan(state, look(4, [set('s1', 1, BLUE, 4, 4), set('s2', 2, GREEN, 4, 4)], { blue: 100, green: 0 }, { test: GREEN }), T0);
    expect(p.events.find((e) => e.type === 'RollbackTriggered')).toMatchObject({ trigger: 'Hook', to: 1, reason: 'hook smoke-ok (PostTestTraffic) answered FAILED: smoke test: 3 of 10 requests failed' });
    expect(p.actions).toEqual([]);
  });
});

describe('property: random steps, readiness, promotions and a trigger time', () => {
  const stepArb: fc.Arbitrary<CanaryStep> = fc.oneof(
    fc.integer({ min: 1, max: 100 }).map((w) => ({ SetWeight: w })),
    fc.integer({ min: 0, max: 600 }).map((s) => ({ Pause: { Seconds: s } })),
    fc.constant({ Pause: {} }),
  );
  /** Steps as the spec allows them: weights never go down. */
  const stepsArb = fc.array(stepArb, { minLength: 1, maxLength: 6 }).map((steps) => {
    let highest = 0;
    return steps.map((s) => {
      if (!('SetWeight' in s)) return s;
      highest = Math.max(highest, s.SetWeight);
      return { SetWeight: highest };
    });
  });

  it('weights sum to 100; no weight to a group short of ready tasks; a set whose group has weight is never scaled down', () => {
    fc.assert(
      fc.property(stepsArb, fc.integer({ min: 1, max: 12 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 60, maxLength: 60 }), fc.integer({ min: 0, max: 80 }), (steps, D, dice, tripAt) => {
        const environment = deployingEnvironment(D, { Steps: steps });
        let state = environment.engine!;
        let rolledBack = false;
        // The model: task sets (revision, group, tasks, ready) and the production weights.
        const sets = new Map<string, { revision: number; group: string; tasks: number; ready: number }>([['s1', { revision: 1, group: BLUE, tasks: D, ready: D }]]);
        let weights: GroupWeight[] = [
          { targetGroupArn: BLUE, weight: 100 },
          { targetGroupArn: GREEN, weight: 0 },
        ];
        let now = T0;
        for (let i = 0; i < 80; i++) {
          const die = dice[i % dice.length]!;
          // Tasks turn ready at random.
          for (const s of sets.values()) s.ready = Math.min(s.tasks, s.ready + die);
          const observed = look(
            D,
            [...sets.entries()].map(([id, s]) => set(id, s.revision, s.group, s.tasks, s.ready)),
            { blue: weights[0]!.weight, green: weights[1]!.weight },
          );
          if (i === tripAt && !rolledBack) {
            state = then(fold([], environment)!, { type: 'AbortDeployment', name: NAME, caller: 'test', targetSpec: spec(1, D, { Steps: steps }), at: new Date(now).toISOString() }).engine!;
            rolledBack = true;
          }
          if (die === 4 && !rolledBack) state = { ...state, promoted: { at: now, full: false, by: 'test' } };
          const p = plan(state, observed, now);
          if (p.events.some((e) => e.type === 'DeploymentCompleted')) break;
          for (const op of ops(p)) {
            switch (op.op) {
              case 'SetWeights': {
                if (op.rule !== 'production') break;
                expect(op.weights.reduce((n, w) => n + w.weight, 0)).toBe(100);
                for (const w of op.weights) {
                  if (w.weight === 0) continue;
                  const ready = [...sets.values()].filter((s) => s.group === w.targetGroupArn).reduce((n, s) => n + s.ready, 0);
                  expect(ready).toBeGreaterThanOrEqual(canaryTasks(D, w.weight));
                }
                weights = [BLUE, GREEN].map((g) => ({ targetGroupArn: g, weight: op.weights.find((w) => w.targetGroupArn === g)?.weight ?? 0 }));
                break;
              }
              case 'CreateTaskSet':
                sets.set(`s${sets.size + 1}`, { revision: 2, group: op.targetGroupArn!, tasks: Math.ceil((D * op.scale) / 100 - 1e-9), ready: 0 });
                break;
              case 'ScaleTaskSet': {
                const s = sets.get(op.taskSet)!;
                const to = Math.ceil((D * op.scale) / 100 - 1e-9);
                if (to < s.tasks) expect(weights.find((w) => w.targetGroupArn === s.group)?.weight).toBe(0);
                s.tasks = to;
                s.ready = Math.min(s.ready, to);
                break;
              }
              case 'DeleteTaskSet': {
                const s = sets.get(op.taskSet)!;
                expect(weights.find((w) => w.targetGroupArn === s.group)?.weight).toBe(0);
                sets.delete(op.taskSet);
                break;
              }
              case 'SetPrimaryTaskSet':
              case 'EnsureService':
                break;
              default:
                throw new Error(`unexpected ${op.op}`);
            }
          }
          state = after(state, p);
          now += 30_000;
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('Route 53 change bookkeeping: planned, submitted, in effect', () => {
  const w10: GroupWeight[] = [
    { targetGroupArn: GREEN, weight: 10 },
    { targetGroupArn: BLUE, weight: 90 },
  ];
  const base = deploying(4, { Steps: [{ SetWeight: 10 }] });

  it('a plan that sends weights records them as planned (id ""), not in effect until the executor records its change and GetChange says INSYNC', () => {
    const planned = applyPlannerEvent(base, { type: 'TrafficChangePlanned', weights: w10, at: T0 });
    expect(planned.traffic?.change).toEqual({ id: '', at: T0, weights: w10, inSync: false });
    const submitted = recordTrafficChange(planned, 'C1', w10, T0 + 100);
    expect(submitted.traffic?.change).toEqual({ id: 'C1', at: T0 + 100, weights: w10, inSync: false });
    // A plan appended after the executor's record (it ran before it) does not forget the change id.
    expect(applyPlannerEvent(submitted, { type: 'TrafficChangePlanned', weights: w10, at: T0 + 50 }).traffic?.change?.id).toBe('C1');
    // A copy of the action found the records already so ('' = nothing changed): the change C1 is still followed.
    expect(recordTrafficChange(submitted, '', w10, T0 + 200).traffic?.change).toEqual({ id: 'C1', at: T0 + 100, weights: w10, inSync: false });
  });

  it('weights already so when the first copy ran (someone set them): in effect at once', () => {
    const planned = applyPlannerEvent(base, { type: 'TrafficChangePlanned', weights: w10, at: T0 });
    expect(recordTrafficChange(planned, '', w10, T0 + 100).traffic?.change).toEqual({ id: '', at: T0 + 100, weights: w10, inSync: true });
  });

  it('the plan that sends Route 53 weights records TrafficChangePlanned with them', () => {
    const route53Spec = (revision: number): EnvironmentSpec => ({
      ...spec(revision, 4, { Steps: [{ SetWeight: 10 }] }),
      TrafficRouting: { Route53: { HostedZoneId: 'Z0EXAMPLE', RecordName: 'web.example.internal', Blue: { SetIdentifier: 'blue', TargetGroupArn: BLUE }, Green: { SetIdentifier: 'green', TargetGroupArn: GREEN } } },
    });
    let env = fold([
      { type: 'EnvironmentCreated', name: NAME, at: AT },
      { type: 'RevisionCreated', revision: 1, spec: route53Spec(1), at: AT },
    ])!;
    env = then(env, { type: 'DeployRevision', name: NAME, revision: 1, at: AT });
    env = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 }], env)!;
    env = fold([{ type: 'RevisionCreated', revision: 2, spec: route53Spec(2), basedOn: 1, at: AT }], env)!;
    env = then(env, { type: 'DeployRevision', name: NAME, revision: 2, at: AT });
    const p = plan(env.engine!, look(4, [set('s1', 1, BLUE, 4, 4), set('s2', 2, GREEN, 1, 1)], { blue: 100, green: 0 }), T0);
    expect(ops(p)).toEqual([weightsOp(10, 90)]);
    expect(p.events).toContainEqual({ type: 'TrafficChangePlanned', weights: w10, at: T0 });
  });
});
