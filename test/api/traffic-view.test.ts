/**
 * What describe-environment and describe-environment-status show of a traffic rollout
 * (functions/api/traffic-view.ts, views.ts): given an environment folded by the real decider from its
 * commands and what the engine recorded, then the view — the step (`3/5`), the weights, whether the last
 * change is in effect, a pause's or the bake's end, the pause of pause-deployment, the hooks in progress.
 * Every expected time worked out by hand from the step's start and its Seconds.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent, EnvironmentCommand, EnvironmentState } from '../../domain/environment';
import { decide, fold } from '../../domain/environment';
import { parseEnvironmentSpec } from '../../domain/spec';
import { hooksInProgress, trafficView } from '../../functions/api/traffic-view';
import { environmentDescription, environmentStatus } from '../../functions/api/views';

const NAME = 'Web/Prod';
const TG_BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef';
const TG_GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210';
const RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const TEST_RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/1111b2d02a6cabee';
const SMOKE = 'arn:aws:lambda:us-east-1:123456789012:function:smoke-ok';
const ALB = { Alb: { ListenerRuleArn: RULE, TestListenerRuleArn: TEST_RULE, BlueTargetGroupArn: TG_BLUE, GreenTargetGroupArn: TG_GREEN } };
const ROUTE53 = {
  Route53: { HostedZoneId: 'Z0123456789ABCDEFGHIJ', RecordName: 'web.example.internal', Blue: { SetIdentifier: 'blue', TargetGroupArn: TG_BLUE }, Green: { SetIdentifier: 'green', TargetGroupArn: TG_GREEN } },
};
/** Five steps once the implied SetWeight 100 is added. */
const STEPS = [{ SetWeight: 10 }, { Pause: { Seconds: 300 } }, { SetWeight: 50 }, { Pause: {} }];

const AT = '2026-12-01T12:00:00.000Z';
const T0 = Date.parse(AT);
/** 12:MM:SS on the test's day, in epoch ms. */
const at = (clock: string) => Date.parse(`2026-12-01T${clock}.000Z`);
const iso = (clock: string) => `2026-12-01T${clock}.000Z`;

function spec(revision: number, configuration: Record<string, unknown>, routing: Record<string, unknown> | undefined) {
  return parseEnvironmentSpec({
    Name: NAME,
    TaskDefinition: `web:${revision}`,
    DeploymentType: 'Service',
    DesiredCount: 4,
    DeploymentConfiguration: { Method: 'Canary', ...configuration },
    Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, ...(routing ? {} : { TargetGroupArn: TG_BLUE }) } },
    ...(routing ? { TrafficRouting: routing } : {}),
  });
}

function then(state: EnvironmentState, command: EnvironmentCommand): EnvironmentState {
  return fold(decide(command, state), state)!;
}

/** Revision 1 Active (unless `first`), revision 2 deploying with `configuration`, then what the engine recorded. */
function given(configuration: Record<string, unknown>, options: { routing?: Record<string, unknown> | null; first?: boolean; engine?: EngineEvent[] } = {}): EnvironmentState {
  const routing = options.routing === null ? undefined : (options.routing ?? ALB);
  let state = fold([
    { type: 'EnvironmentCreated', name: NAME, at: AT },
    { type: 'RevisionCreated', revision: 1, spec: spec(1, configuration, routing), at: AT },
  ])!;
  state = then(state, { type: 'DeployRevision', name: NAME, revision: 1, at: AT });
  if (!options.first) {
    state = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 }], state)!;
    state = fold([{ type: 'RevisionCreated', revision: 2, spec: spec(2, configuration, routing), basedOn: 1, at: AT }], state)!;
    state = then(state, { type: 'DeployRevision', name: NAME, revision: 2, at: AT });
  }
  return fold(options.engine ?? [], state)!;
}

const step = (index: number, steps: number, description: string, clock: string): EngineEvent => ({ type: 'TrafficStepStarted', step: index, steps, description, at: at(clock) });
const weights = (blue: number, green: number, clock = '12:00:05'): EngineEvent => ({
  type: 'TrafficWeightsObserved',
  weights: [
    { targetGroupArn: TG_BLUE, weight: blue },
    { targetGroupArn: TG_GREEN, weight: green },
  ],
  at: at(clock),
});
const shown = (blue: number, green: number) => [
  { TargetGroupName: 'web-blue', TargetGroupArn: TG_BLUE, Weight: blue },
  { TargetGroupName: 'web-green', TargetGroupArn: TG_GREEN, Weight: green },
];

describe('Traffic: the step, the weights, in effect, the pause', () => {
  const cases: Array<[string, EnvironmentState, Record<string, unknown>]> = [
    [
      'before the first plan: no step, no weights read',
      given({ Steps: STEPS }),
      { Routing: 'Alb', Strategy: 'Canary', Step: null, StepDescription: null, StepStartedAt: null, Weights: [], InEffect: true, Change: null, PauseEndsAt: null },
    ],
    [
      'step 1 of 5 (SetWeight 10): blue 100 / green 0 as read back, an ALB rule is in effect at once',
      given({ Steps: STEPS }, { engine: [step(0, 5, 'SetWeight 10', '12:00:05'), weights(100, 0)] }),
      { Step: '1/5', StepDescription: 'SetWeight 10', StepStartedAt: iso('12:00:05'), Weights: shown(100, 0), InEffect: true, Change: null, PauseEndsAt: null },
    ],
    [
      'step 2 of 5 (Pause 300 s) started at 12:01:00: it ends at 12:06:00',
      given({ Steps: STEPS }, { engine: [step(0, 5, 'SetWeight 10', '12:00:05'), weights(90, 10, '12:00:50'), step(1, 5, 'Pause 300 s', '12:01:00')] }),
      { Step: '2/5', StepDescription: 'Pause 300 s', StepStartedAt: iso('12:01:00'), Weights: shown(90, 10), PauseEndsAt: iso('12:06:00') },
    ],
    [
      'step 4 of 5 (Pause {}): until promote-deployment',
      given({ Steps: STEPS }, { engine: [weights(50, 50), step(3, 5, 'Pause until promoted', '12:10:00')] }),
      { Step: '4/5', StepDescription: 'Pause until promoted', Weights: shown(50, 50), PauseEndsAt: 'until promote-deployment' },
    ],
    [
      'the weights as read in another order: blue first all the same',
      given({ Steps: STEPS }, { engine: [{ type: 'TrafficWeightsObserved', weights: [{ targetGroupArn: TG_GREEN, weight: 25 }, { targetGroupArn: TG_BLUE, weight: 75 }], at: T0 }] }),
      { Weights: shown(75, 25) },
    ],
    [
      'Route 53: the change submitted and not INSYNC yet is not in effect',
      given({ Steps: STEPS }, { routing: ROUTE53, engine: [step(0, 5, 'SetWeight 10', '12:00:05'), { type: 'TrafficChangeSubmitted', key: 'k', changeId: 'C0001', weights: [], at: at('12:00:20') }, weights(90, 10, '12:00:21')] }),
      { Routing: 'Route53', Step: '1/5', Weights: shown(90, 10), InEffect: false, Change: { Id: 'C0001', SubmittedAt: iso('12:00:20'), Status: 'PENDING' } },
    ],
    [
      'Route 53: once GetChange said INSYNC it is in effect',
      given({ Steps: STEPS }, {
        routing: ROUTE53,
        engine: [step(0, 5, 'SetWeight 10', '12:00:05'), { type: 'TrafficChangeSubmitted', key: 'k', changeId: 'C0001', weights: [], at: at('12:00:20') }, { type: 'TrafficInSync', changeId: 'C0001', at: at('12:01:20') }],
      }),
      { InEffect: true, Change: { Id: 'C0001', SubmittedAt: iso('12:00:20'), Status: 'INSYNC' } },
    ],
    [
      "the environment's first deployment walks the one step SetWeight 100, whatever its Steps",
      given({ Steps: STEPS }, { first: true, engine: [step(0, 1, 'SetWeight 100', '12:00:05')] }),
      { Strategy: 'Canary', Step: '1/1', StepDescription: 'SetWeight 100' },
    ],
    [
      'a Canary without Steps: the one step SetWeight 100',
      given({}, { engine: [step(0, 1, 'SetWeight 100', '12:00:05')] }),
      { Step: '1/1', StepDescription: 'SetWeight 100' },
    ],
    [
      'BlueGreen: phases, no steps; the weights as read',
      given({ Method: 'BlueGreen' }, { engine: [weights(100, 0)] }),
      { Strategy: 'BlueGreen', Step: null, StepDescription: null, Weights: shown(100, 0), PauseEndsAt: null },
    ],
  ];
  it.each(cases)('%s', (_name, state, expected) => {
    expect(trafficView(state.engine)).toMatchObject(expected);
    // describe-environment and describe-environment-status show the same object.
    expect(environmentDescription(state).Deployment?.Traffic).toEqual(trafficView(state.engine));
    expect(environmentStatus(state).Deployment?.Traffic).toEqual(trafficView(state.engine));
  });

  it('a Pause step promoted at 12:20:00 ends then (at the next plan)', () => {
    const paused = given({ Steps: STEPS }, { engine: [step(3, 5, 'Pause until promoted', '12:10:00')] });
    const promoted = then(paused, { type: 'PromoteDeployment', name: NAME, full: false, caller: 'alice', at: iso('12:20:00') });
    expect(trafficView(promoted.engine)).toMatchObject({ Step: '4/5', PauseEndsAt: iso('12:20:00') });
    // A promotion before the step started does not end it: step 4 started after the promote of step 2.
    const earlier = given({ Steps: STEPS }, { engine: [step(1, 5, 'Pause 300 s', '12:01:00')] });
    const next = fold([step(3, 5, 'Pause until promoted', '12:10:00')], then(earlier, { type: 'PromoteDeployment', name: NAME, full: false, caller: 'alice', at: iso('12:02:00') }))!;
    expect(trafficView(next.engine)).toMatchObject({ Step: '4/5', PauseEndsAt: 'until promote-deployment' });
  });

  it('a rollback walks SetWeight 100 back to the old revision: step 1/1', () => {
    const deploying = given({ Steps: STEPS }, { engine: [step(1, 5, 'Pause 300 s', '12:01:00')] });
    const rolledBack = fold([step(0, 1, 'SetWeight 100', '12:02:00')], then(deploying, { type: 'RollbackToRevision', name: NAME, revision: 1, targetSpec: spec(1, { Steps: STEPS }, ALB), at: iso('12:02:00') }))!;
    expect(rolledBack.engine?.kind).toBe('rollback');
    expect(trafficView(rolledBack.engine)).toMatchObject({ Strategy: 'Canary', Step: '1/1', StepDescription: 'SetWeight 100', PauseEndsAt: null });
  });

  it('no TrafficRouting (Rolling), or no deployment in progress: Traffic is null', () => {
    const rolling = given({ Method: 'Rolling' }, { routing: null });
    expect(environmentDescription(rolling).Deployment?.Traffic).toBeNull();
    expect(environmentStatus(rolling).Deployment?.Traffic).toBeNull();
    const done = fold([{ type: 'DeploymentCompleted', revision: 2, retired: [{ revision: 1, status: 'Inactive' }], at: at('12:30:00') }], given({ Steps: STEPS }))!;
    expect(environmentDescription(done).Deployment).toBeNull();
    expect(environmentStatus(done).Deployment).toBeNull();
  });
});

describe('Hooks in progress', () => {
  const HOOKS = [
    { Stage: 'PreTraffic', FunctionArn: SMOKE, TimeoutSeconds: 300 },
    { Stage: 'PostTraffic', FunctionArn: `${SMOKE}:live` },
  ];
  const invoked = (hook: number, attempt: number, clock: string): EngineEvent => ({ type: 'HookInvoked', hook, stage: hook === 0 ? 'PreTraffic' : 'PostTraffic', functionArn: hook === 0 ? SMOKE : `${SMOKE}:live`, attempt, at: at(clock) });
  const answered = (hook: number, attempt: number, status: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS', clock: string, extra: { callBackDelaySeconds?: number; reason?: string } = {}): EngineEvent => ({
    type: 'HookAnswered',
    hook,
    stage: hook === 0 ? 'PreTraffic' : 'PostTraffic',
    attempt,
    status,
    ...extra,
    at: at(clock),
  });

  const cases: Array<[string, EngineEvent[], unknown[]]> = [
    ['none invoked yet', [], []],
    [
      'invoked at 12:00:10, no answer yet: it times out 300 s after',
      [invoked(0, 1, '12:00:10')],
      [{ Stage: 'PreTraffic', FunctionName: 'smoke-ok', FunctionArn: SMOKE, Attempt: 1, StartedAt: iso('12:00:10'), InvokedAt: iso('12:00:10'), LastAnswer: null, NextAttemptAt: null, TimesOutAt: iso('12:05:10') }],
    ],
    [
      'IN_PROGRESS with a call-back delay of 60 s: called again at 12:01:11',
      [invoked(0, 1, '12:00:10'), answered(0, 1, 'IN_PROGRESS', '12:00:11', { callBackDelaySeconds: 60, reason: 'warming up' })],
      [{ Attempt: 1, LastAnswer: { Status: 'IN_PROGRESS', At: iso('12:00:11'), Reason: 'warming up' }, NextAttemptAt: iso('12:01:11'), TimesOutAt: iso('12:05:10') }],
    ],
    [
      'IN_PROGRESS without a delay: again after 30 s',
      [invoked(0, 1, '12:00:10'), answered(0, 1, 'IN_PROGRESS', '12:00:11')],
      [{ LastAnswer: { Status: 'IN_PROGRESS', At: iso('12:00:11'), Reason: null }, NextAttemptAt: iso('12:00:41') }],
    ],
    [
      'the second attempt: its timeout still counts from the first',
      [invoked(0, 1, '12:00:10'), answered(0, 1, 'IN_PROGRESS', '12:00:11'), invoked(0, 2, '12:00:41')],
      [{ Attempt: 2, StartedAt: iso('12:00:10'), InvokedAt: iso('12:00:41'), LastAnswer: null, TimesOutAt: iso('12:05:10') }],
    ],
    ['SUCCEEDED: no longer in progress', [invoked(0, 1, '12:00:10'), answered(0, 1, 'SUCCEEDED', '12:00:11')], []],
    [
      'one passed, the next running (the default TimeoutSeconds, 300 s, filled in by the spec)',
      [invoked(0, 1, '12:00:10'), answered(0, 1, 'SUCCEEDED', '12:00:11'), invoked(1, 1, '12:20:00')],
      [{ Stage: 'PostTraffic', FunctionName: 'smoke-ok', FunctionArn: `${SMOKE}:live`, Attempt: 1, TimesOutAt: iso('12:25:00') }],
    ],
  ];
  it.each(cases)('%s', (_name, engine, expected) => {
    const state = given({ Steps: STEPS, Hooks: HOOKS }, { engine });
    const hooks = hooksInProgress(state.engine);
    expect(hooks).toHaveLength(expected.length);
    expect(hooks).toMatchObject(expected);
    expect(environmentDescription(state).Deployment?.Hooks).toEqual(hooks);
    expect(environmentStatus(state).Deployment?.Hooks).toEqual(hooks);
  });
});

describe("describe-environment-status's Deployment: pause-deployment and the bake, as describe-environment shows them", () => {
  it('paused by alice at 12:03:00: who, since when, why', () => {
    const state = then(given({ Steps: STEPS }), { type: 'PauseDeployment', name: NAME, caller: 'alice', reason: 'looking at the logs', at: iso('12:03:00') });
    const status = environmentStatus(state);
    expect(status.Deployment).toMatchObject({ DeploymentId: state.deployment!.id, Revision: 2, Kind: 'deploy', Phase: 'Rolling', Paused: { Since: iso('12:03:00'), By: 'alice', Reason: 'looking at the logs' }, BakeEndsAt: null });
    expect(environmentDescription(state).Deployment).toMatchObject(status.Deployment!);
  });

  it('baking since 12:30:00 with BakeSeconds 600: the bake ends at 12:40:00', () => {
    const state = given({ Steps: STEPS, BakeSeconds: 600 }, { engine: [step(4, 5, 'SetWeight 100', '12:25:00'), weights(0, 100), { type: 'BakeStarted', at: at('12:30:00') }] });
    expect(environmentStatus(state).Deployment).toMatchObject({ Phase: 'Baking', BakeEndsAt: iso('12:40:00'), Paused: null, Traffic: { Step: '5/5', StepDescription: 'SetWeight 100', Weights: shown(0, 100) } });
  });

  it('the keys in order: the status page stays small (no spec, alarms or trigger)', () => {
    const status = environmentStatus(given({ Steps: STEPS }));
    expect(Object.keys(status)).toEqual(['EnvironmentName', 'Status', 'Frozen', 'Deployment', 'Revisions']);
    expect(Object.keys(status.Deployment!)).toEqual(['DeploymentId', 'Revision', 'Kind', 'StartedAt', 'Phase', 'Paused', 'BakeEndsAt', 'Traffic', 'Hooks']);
  });
});
