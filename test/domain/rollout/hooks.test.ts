/**
 * runHooks (domain/rollout/hooks.ts): the gate of a deployment's stage over its lifecycle hooks.
 * given(what is on record: HookInvoked and the executor's answers, folded by the real folds) / when(the
 * stage, now) / then(the gate). Times worked out by hand (S = 1 s after T). Then a property over random
 * configurations, answers, losses and times: attempts only go up by one, and no hook already SUCCEEDED
 * is invoked again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HookGate, HookStatus, PlannerAction, PlannerEvent, PlannerState } from '../../../domain/rollout';
import { applyPlannerEvent, hookFunctionName, hookInvocationKey, pauseEngine, recordHookAnswer, resumeEngine, runHooks } from '../../../domain/rollout';
import type { DeploymentConfiguration, HookStage } from '../../../domain/spec';
import { effectiveDeploymentConfiguration } from '../../../domain/spec';

const S = 1000;
const T = Date.parse('2024-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const arn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const DEPLOYMENT = 'Web/Prod:2@2024010100000000';
const EPOCH = 4;

/** 0 PreTraffic smoke-pre (60 s); 1 PostTestTraffic smoke-ok (300 s, the default); 2 PostTestTraffic smoke-2 (120 s); 3 PostTraffic smoke-post. */
const HOOKS: DeploymentConfiguration['Hooks'] = [
  { Stage: 'PreTraffic', FunctionArn: arn('smoke-pre'), TimeoutSeconds: 60 },
  { Stage: 'PostTestTraffic', FunctionArn: arn('smoke-ok') },
  { Stage: 'PostTestTraffic', FunctionArn: arn('smoke-2'), TimeoutSeconds: 120 },
  { Stage: 'PostTraffic', FunctionArn: arn('smoke-post') },
];

function state(hooks: DeploymentConfiguration['Hooks']): PlannerState {
  return {
    environment: 'Web/Prod',
    deploymentId: DEPLOYMENT,
    epoch: EPOCH,
    revision: 2,
    taskDefinition: 'web:2',
    cluster: 'default',
    draining: [{ revision: 1, status: 'Undeploying' }],
    configuration: effectiveDeploymentConfiguration({ DeploymentType: 'Service', DeploymentConfiguration: { Method: 'BlueGreen', ...(hooks ? { Hooks: hooks } : {}) } }),
    initial: false,
    frozen: false,
    startedAt: T - 100 * S,
    lastProgressAt: T - 100 * S,
    progressMark: { ready: 0, old: 0 },
    launches: [],
    stops: [],
    failures: {},
    counts: [],
  };
}

type Answer = { hook: number; attempt: number; status: HookStatus; callBackDelaySeconds?: number; reason?: string; at: number };
type Fact = { invoked: [hook: number, attempt: number, at: number] } | { answered: Answer };

const stageOf = (hook: number): HookStage => (HOOKS![hook]!.Stage);
const invoked = (hook: number, attempt: number, at: number): Fact => ({ invoked: [hook, attempt, at] });
const answered = (hook: number, attempt: number, status: HookStatus, at: number, more: { callBackDelaySeconds?: number; reason?: string } = {}): Fact => ({ answered: { hook, attempt, status, at, ...more } });

/** The state after what is on record, folded as the environment folds it (HookInvoked; the executor's HookAnswered). */
function given(...facts: Fact[]): PlannerState {
  return facts.reduce((s, fact) => {
    if ('invoked' in fact) {
      const [hook, attempt, at] = fact.invoked;
      return applyPlannerEvent(s, { type: 'HookInvoked', hook, stage: stageOf(hook), functionArn: HOOKS![hook]!.FunctionArn, attempt, at });
    }
    return recordHookAnswer(s, fact.answered);
  }, state(HOOKS));
}

/** The gate that invokes `hook` (its attempt) at `now`. */
function invoking(hook: number, attempt: number, now: number): HookGate {
  const name = hookFunctionName(HOOKS![hook]!.FunctionArn);
  const stage = stageOf(hook);
  return {
    kind: 'Waiting',
    events: [{ type: 'HookInvoked', hook, stage, functionArn: arn(name), attempt, at: now }],
    actions: [
      {
        type: 'InvokeHook',
        key: hookInvocationKey(DEPLOYMENT, EPOCH, hook, attempt),
        environment: 'Web/Prod',
        deploymentId: DEPLOYMENT,
        epoch: EPOCH,
        revision: 2,
        cluster: 'default',
        reason: `${stage} hook ${name} (attempt ${attempt})`,
        hook,
        stage,
        functionArn: arn(name),
        attempt,
      },
    ],
    wakeAt: now + S,
    reason: `waiting for hook ${name} (${stage}) to answer (attempt ${attempt})`,
  };
}

const waiting = (wakeAt: number, reason: string): HookGate => ({ kind: 'Waiting', events: [], actions: [], wakeAt, reason });
const failed = (reason: string): HookGate => ({ kind: 'Failed', events: [], reason });
const PASSED: HookGate = { kind: 'Passed' };

describe('runHooks: PostTestTraffic (hook 1 smoke-ok, 300 s; then hook 2 smoke-2, 120 s), one plan at a time', () => {
  it.each<[string, PlannerState, HookStage, number, HookGate]>([
    // ── the first hook of the stage ──
    ['nothing on record: invoke smoke-ok, attempt 1; look again 1 s later', given(), 'PostTestTraffic', T, invoking(1, 1, T)],
    ['invoked at T, no answer at T + 0.5 s: look at T + 1 s', given(invoked(1, 1, T)), 'PostTestTraffic', T + 500, waiting(T + 1 * S, 'waiting for hook smoke-ok (PostTestTraffic) to answer (attempt 1)')],
    ['invoked at T, no answer at T + 3 s: the polls double (1, 2, 4 s): T + 4 s', given(invoked(1, 1, T)), 'PostTestTraffic', T + 3 * S, waiting(T + 4 * S, 'waiting for hook smoke-ok (PostTestTraffic) to answer (attempt 1)')],
    ['invoked at T, no answer at T + 40 s: the next poll (T + 64 s) is past the re-send: T + 60 s', given(invoked(1, 1, T)), 'PostTestTraffic', T + 40 * S, waiting(T + 60 * S, 'waiting for hook smoke-ok (PostTestTraffic) to answer (attempt 1)')],
    ['invoked at T, no answer at T + 60 s (lost, or dropped while paused): invoke again, attempt 2', given(invoked(1, 1, T)), 'PostTestTraffic', T + 60 * S, invoking(1, 2, T + 60 * S)],
    [
      'answered IN_PROGRESS (call back in 30 s) at T + 1 s; at T + 10 s: wait until T + 31 s',
      given(invoked(1, 1, T), answered(1, 1, 'IN_PROGRESS', T + 1 * S, { callBackDelaySeconds: 30 })),
      'PostTestTraffic',
      T + 10 * S,
      waiting(T + 31 * S, `hook smoke-ok (PostTestTraffic) answered IN_PROGRESS: invoked again at ${iso(T + 31 * S)}`),
    ],
    ['…at T + 31 s: invoke again, attempt 2', given(invoked(1, 1, T), answered(1, 1, 'IN_PROGRESS', T + 1 * S, { callBackDelaySeconds: 30 })), 'PostTestTraffic', T + 31 * S, invoking(1, 2, T + 31 * S)],
    ['IN_PROGRESS with a call-back delay of 0: invoked again at once', given(invoked(1, 1, T), answered(1, 1, 'IN_PROGRESS', T + 1 * S, { callBackDelaySeconds: 0 })), 'PostTestTraffic', T + 2 * S, invoking(1, 2, T + 2 * S)],
    [
      'attempt 2 invoked at T + 31 s; the late answer of attempt 1 (SUCCEEDED) is not its answer: still waiting for attempt 2',
      given(invoked(1, 1, T), answered(1, 1, 'IN_PROGRESS', T + 1 * S, { callBackDelaySeconds: 30 }), invoked(1, 2, T + 31 * S), answered(1, 1, 'SUCCEEDED', T + 32 * S)),
      'PostTestTraffic',
      T + 33 * S,
      waiting(T + 35 * S, 'waiting for hook smoke-ok (PostTestTraffic) to answer (attempt 2)'),
    ],
    [
      'IN_PROGRESS (30 s) at T + 290 s: the call-back would be past the timeout (T + 300 s): wake at the timeout',
      given(invoked(1, 1, T), invoked(1, 2, T + 280 * S), answered(1, 2, 'IN_PROGRESS', T + 290 * S, { callBackDelaySeconds: 30 })),
      'PostTestTraffic',
      T + 295 * S,
      waiting(T + 300 * S, `hook smoke-ok (PostTestTraffic) answered IN_PROGRESS: invoked again at ${iso(T + 320 * S)}`),
    ],
    [
      '…at T + 300 s, 300 s after the first invocation (not the last): Failed, timed out',
      given(invoked(1, 1, T), invoked(1, 2, T + 280 * S), answered(1, 2, 'IN_PROGRESS', T + 290 * S, { callBackDelaySeconds: 30 })),
      'PostTestTraffic',
      T + 300 * S,
      failed('hook smoke-ok (PostTestTraffic) timed out after 300 s (last answer IN_PROGRESS)'),
    ],
    ['invoked at T, then again at T + 250 s, never answered: Failed at T + 300 s (no answer)', given(invoked(1, 1, T), invoked(1, 2, T + 250 * S)), 'PostTestTraffic', T + 300 * S, failed('hook smoke-ok (PostTestTraffic) timed out after 300 s (no answer)')],
    [
      'answered FAILED, with the reason: Failed, the reason in it',
      given(invoked(1, 1, T), answered(1, 1, 'FAILED', T + 2 * S, { reason: 'function error (Unhandled): Error: 502 from /health' })),
      'PostTestTraffic',
      T + 3 * S,
      failed('hook smoke-ok (PostTestTraffic) answered FAILED: function error (Unhandled): Error: 502 from /health'),
    ],
    ['answered FAILED, no reason given', given(invoked(1, 1, T), answered(1, 1, 'FAILED', T + 2 * S)), 'PostTestTraffic', T + 3 * S, failed('hook smoke-ok (PostTestTraffic) answered FAILED')],
    [
      'FAILED after the timeout went by unnoticed: the answer is what is reported',
      given(invoked(1, 1, T), answered(1, 1, 'FAILED', T + 2 * S, { reason: 'smoke test: 3 of 10 requests failed' })),
      'PostTestTraffic',
      T + 900 * S,
      failed('hook smoke-ok (PostTestTraffic) answered FAILED: smoke test: 3 of 10 requests failed'),
    ],
    // ── the next hook of the stage, in list order ──
    ['smoke-ok SUCCEEDED: invoke smoke-2 (hook 2), attempt 1', given(invoked(1, 1, T), answered(1, 1, 'SUCCEEDED', T + 1 * S)), 'PostTestTraffic', T + 2 * S, invoking(2, 1, T + 2 * S)],
    [
      'smoke-2 (120 s) invoked at T + 2 s, IN_PROGRESS (60 s) at T + 3 s: Failed at T + 122 s, its own timeout',
      given(invoked(1, 1, T), answered(1, 1, 'SUCCEEDED', T + 1 * S), invoked(2, 1, T + 2 * S), answered(2, 1, 'IN_PROGRESS', T + 3 * S, { callBackDelaySeconds: 60 }), invoked(2, 2, T + 63 * S), answered(2, 2, 'IN_PROGRESS', T + 64 * S, { callBackDelaySeconds: 60 })),
      'PostTestTraffic',
      T + 122 * S,
      failed('hook smoke-2 (PostTestTraffic) timed out after 120 s (last answer IN_PROGRESS)'),
    ],
    ['both SUCCEEDED: Passed', given(invoked(1, 1, T), answered(1, 1, 'SUCCEEDED', T + 1 * S), invoked(2, 1, T + 2 * S), answered(2, 1, 'SUCCEEDED', T + 3 * S)), 'PostTestTraffic', T + 4 * S, PASSED],
    ['SUCCEEDED stays SUCCEEDED: asked again long after the timeout, Passed', given(invoked(1, 1, T), answered(1, 1, 'SUCCEEDED', T + 1 * S), invoked(2, 1, T + 2 * S), answered(2, 1, 'SUCCEEDED', T + 3 * S)), 'PostTestTraffic', T + 10_000 * S, PASSED],
    // ── other stages ──
    ['a stage with no hook (PreRollback): Passed', given(), 'PreRollback', T, PASSED],
    ['PreTraffic FAILED does not touch PostTestTraffic: smoke-ok is invoked', given(invoked(0, 1, T - 10 * S), answered(0, 1, 'FAILED', T - 9 * S)), 'PostTestTraffic', T, invoking(1, 1, T)],
    ['PostTraffic: its own hook (hook 3, smoke-post), attempt 1', given(invoked(1, 1, T), answered(1, 1, 'SUCCEEDED', T + 1 * S)), 'PostTraffic', T + 5 * S, invoking(3, 1, T + 5 * S)],
  ])('%s', (_name, s, stage, now, expected) => {
    expect(runHooks(s, stage, now)).toEqual(expected);
  });

  it('a configuration without Hooks: every stage is Passed', () => {
    for (const stage of ['PreTraffic', 'PostTestTraffic', 'PostTraffic', 'PreRollback', 'PostRollback'] as const) expect(runHooks(state(undefined), stage, T)).toEqual(PASSED);
  });

  it('the key is the deployment’s, the epoch’s, the hook’s and the attempt’s; the function’s name from its ARN', () => {
    expect(hookInvocationKey(DEPLOYMENT, 4, 1, 2)).toMatch(/^hook-[0-9a-f]{16}-4-1-2$/);
    expect(new Set([hookInvocationKey(DEPLOYMENT, 4, 1, 2), hookInvocationKey(DEPLOYMENT, 5, 1, 2), hookInvocationKey(DEPLOYMENT, 4, 2, 2), hookInvocationKey(DEPLOYMENT, 4, 1, 3), hookInvocationKey('Web/Prod:3@2024010100000000', 4, 1, 2)]).size).toBe(5);
    expect(hookFunctionName(arn('smoke-ok'))).toBe('smoke-ok');
    expect(hookFunctionName(`${arn('smoke-ok')}:$LATEST`)).toBe('smoke-ok');
    expect(hookFunctionName('123456789012:function:smoke-ok')).toBe('smoke-ok');
    expect(hookFunctionName('smoke-ok')).toBe('smoke-ok');
  });

  it('paused 600 s while smoke-ok was IN_PROGRESS: the timeout is shifted by the pause (T + 300 s → T + 900 s)', () => {
    const before = given(invoked(1, 1, T), answered(1, 1, 'IN_PROGRESS', T + 1 * S, { callBackDelaySeconds: 30 }));
    const resumed = resumeEngine(pauseEngine(before, T + 100 * S, { caller: 'ops' }), T + 700 * S);
    expect(resumed.hooks?.['1']?.startedAt).toBe(T + 600 * S);
    // Not timed out at T + 800 s: the call-back is long due, so it is invoked again.
    expect(runHooks(resumed, 'PostTestTraffic', T + 800 * S)).toEqual(invoking(1, 2, T + 800 * S));
    // Never paused, it would have timed out.
    expect(runHooks(before, 'PostTestTraffic', T + 800 * S)).toEqual(failed('hook smoke-ok (PostTestTraffic) timed out after 300 s (last answer IN_PROGRESS)'));
    expect(runHooks(resumed, 'PostTestTraffic', T + 900 * S).kind).toBe('Failed');
  });
});

describe('runHooks: property over random hooks, answers, losses and times', () => {
  const STAGES = ['PreTraffic', 'PostTraffic'] as const;
  const hookArb = fc.record({ Stage: fc.constantFrom(...STAGES), FunctionArn: fc.constantFrom(arn('a'), arn('b'), arn('c')), TimeoutSeconds: fc.integer({ min: 1, max: 600 }) });
  /** What happens to an invocation: no answer (lost), or an answer after `afterMs` (a late one may no longer be the invocation on record). */
  const fateArb = fc.oneof(
    fc.constant<undefined>(undefined),
    fc.record({ status: fc.constantFrom<HookStatus>('SUCCEEDED', 'FAILED', 'IN_PROGRESS', 'IN_PROGRESS'), callBackDelaySeconds: fc.integer({ min: 0, max: 90 }), afterMs: fc.integer({ min: 0, max: 90_000 }) }),
  );
  const stepArb = fc.record({ advanceMs: fc.integer({ min: 0, max: 70_000 }), stage: fc.constantFrom(...STAGES), fate: fateArb });

  it('attempts go up by exactly one, no SUCCEEDED hook is invoked again, a key is never used twice, and Waiting always wakes later', () => {
    fc.assert(
      fc.property(fc.array(hookArb, { minLength: 1, maxLength: 4 }), fc.array(stepArb, { minLength: 1, maxLength: 60 }), (hooks, steps) => {
        let s = state(hooks);
        let now = T;
        const pending: Array<{ action: Extract<PlannerAction, { type: 'InvokeHook' }>; status: HookStatus; callBackDelaySeconds: number; at: number }> = [];
        const keys = new Set<string>();
        for (const step of steps) {
          now += step.advanceMs;
          // The executor's answers due by now, in the order they come (recorded only for the invocation on record).
          pending.sort((a, b) => a.at - b.at);
          while (pending.length > 0 && pending[0]!.at <= now) {
            const { action, status, callBackDelaySeconds, at } = pending.shift()!;
            s = recordHookAnswer(s, { hook: action.hook, attempt: action.attempt, status, ...(status === 'IN_PROGRESS' ? { callBackDelaySeconds } : {}), at });
          }
          const gate = runHooks(s, step.stage, now);
          if (gate.kind !== 'Waiting') continue;
          expect(gate.wakeAt).toBeGreaterThan(now);
          expect(gate.actions.length).toBeLessThanOrEqual(1);
          for (const event of gate.events as PlannerEvent[]) {
            if (event.type !== 'HookInvoked') throw new Error(`unexpected event ${event.type}`);
            const before = s.hooks?.[String(event.hook)];
            expect(before?.answer?.status).not.toBe('SUCCEEDED');
            expect(event.attempt).toBe((before?.attempt ?? 0) + 1);
            s = applyPlannerEvent(s, event);
          }
          for (const action of gate.actions) {
            if (action.type !== 'InvokeHook') throw new Error(`unexpected action ${action.type}`);
            expect(keys.has(action.key)).toBe(false);
            keys.add(action.key);
            expect(hooks[action.hook]?.Stage).toBe(step.stage);
            if (step.fate) pending.push({ action, status: step.fate.status, callBackDelaySeconds: step.fate.callBackDelaySeconds, at: now + step.fate.afterMs });
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
