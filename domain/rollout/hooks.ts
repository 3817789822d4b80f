/**
 * Lifecycle hooks of a Service deployment (DESIGN.md, "Safety"): the gate a stage of the deployment
 * passes once every hook of that stage has answered SUCCEEDED. Pure: `runHooks(state, stage, now)`
 * reads the hooks of the configuration and what the deployment's state has on record of them
 * (`state.hooks`, folded from `HookInvoked` and the executor's `HookAnswered`), and says what to do.
 *
 * The hooks of a stage run one after another, in the order of `DeploymentConfiguration.Hooks`; a
 * hook's index in that list is its id (`state.hooks[String(index)]`). For the first hook of the stage
 * not yet SUCCEEDED:
 *
 * - nothing on record → invoke it: `HookInvoked` attempt 1 and an `InvokeHook` action (Waiting);
 * - answered FAILED → Failed, `hook <name> (<Stage>) answered FAILED: <reason>`;
 * - `TimeoutSeconds` past its first invocation (`startedAt`) → Failed, `hook <name> (<Stage>) timed out
 *   after N s (last answer IN_PROGRESS | no answer)`;
 * - answered IN_PROGRESS → invoke it again (attempt + 1) once `callBackDelaySeconds` after the answer
 *   have passed; until then Waiting, woken then (or at the timeout, if sooner);
 * - invoked, no answer yet → Waiting. The executor does not wake the planner (it schedules no wake-up
 *   in AWS: executor-deps.ts), so the planner looks again HOOK_POLL_FIRST_MS after the invocation,
 *   then at doubling intervals (1 s, 2 s, 4 s … after it). With no answer HOOK_RESEND_MS after the
 *   invocation, it was lost — dropped because the deployment was paused or frozen, or a message that
 *   never arrived — and the hook is invoked again as a new attempt (a late answer of the old attempt
 *   is then not recorded: `recordHookAnswer`, `staleReason`). HOOK_RESEND_MS is longer than any
 *   invocation can take: the executor function's timeout is 30 s (serverless.yml).
 *
 * A paused or frozen deployment: the caller does not ask (nothing moves); resuming gives the paused
 * time back to every hook's timeout (`resumeEngine`, controls.ts).
 *
 * Worked examples (T = the time the stage's gate is first asked, hook 0 `…:function:smoke-ok`,
 * Stage PostTestTraffic, TimeoutSeconds 300; hook 1 `…:function:smoke-2`, the same stage):
 *   nothing on record, now T → Waiting: HookInvoked { hook 0, attempt 1, at T }, InvokeHook (key
 *     `hook-<deployment>-<epoch>-0-1`, reason `PostTestTraffic hook smoke-ok (attempt 1)`), wakeAt T + 1 s.
 *   invoked at T, no answer, now T + 3 s → Waiting, wakeAt T + 4 s (the polls: T + 1, 2, 4, 8, 16, 32 s, T + 60 s).
 *   invoked at T, no answer, now T + 60 s → Waiting: HookInvoked attempt 2 and its action, wakeAt T + 61 s.
 *   answered IN_PROGRESS (callBackDelaySeconds 30) at T + 1 s, now T + 10 s → Waiting, wakeAt T + 31 s.
 *   …the same at T + 31 s → Waiting: HookInvoked attempt 2 (startedAt stays T) and its action.
 *   answered IN_PROGRESS at T + 290 s, now T + 300 s → Failed: `hook smoke-ok (PostTestTraffic) timed out
 *     after 300 s (last answer IN_PROGRESS)`.
 *   answered FAILED (reason `function error (Unhandled): Error: 502 from /health`) → Failed: `hook smoke-ok
 *     (PostTestTraffic) answered FAILED: function error (Unhandled): Error: 502 from /health`.
 *   hook 0 SUCCEEDED, hook 1 nothing on record → Waiting: HookInvoked { hook 1, attempt 1 } and its action.
 *   hooks 0 and 1 SUCCEEDED, or no hook of the stage → Passed.
 */
import { fnv1a64 } from '../identity';
import type { HookStage } from '../spec';
import { isoFromMs } from '../time';
import { truncateReason } from './keys';
import type { HookRecord, PlannerAction, PlannerEvent, PlannerState } from './types';

export type HookGate =
  /** Every hook of the stage answered SUCCEEDED (or the stage has none). */
  | { kind: 'Passed' }
  /** A hook is being invoked (the events and the action, to append and send), or its answer or call-back is awaited; plan again at `wakeAt`. */
  | { kind: 'Waiting'; events: PlannerEvent[]; actions: PlannerAction[]; wakeAt: number; reason: string }
  /** A hook answered FAILED, or did not answer SUCCEEDED within its TimeoutSeconds: roll back (trigger `Hook`). */
  | { kind: 'Failed'; events: PlannerEvent[]; reason: string };

/** The first look for the answer of an invocation, after it; then at doubling intervals. */
export const HOOK_POLL_FIRST_MS = 1_000;
/** An invocation with no answer after this long was lost: the hook is invoked again (a new attempt). */
export const HOOK_RESEND_MS = 60_000;

/**
 * The idempotency key of a hook's invocation: one per deployment, epoch, hook and attempt (never used
 * twice, so SQS FIFO's deduplication never drops an invocation sent again).
 * hookInvocationKey('E:2@2017…', 3, 0, 2) === `hook-${fnv1a64('E:2@2017…')}-3-0-2`
 */
export function hookInvocationKey(deploymentId: string, epoch: number, hook: number, attempt: number): string {
  return `hook-${fnv1a64(deploymentId)}-${epoch}-${hook}-${attempt}`;
}

/** A function's name from its ARN (`arn:aws:lambda:…:function:smoke-ok[:qualifier]` → `smoke-ok`), or what was given. */
export function hookFunctionName(functionArn: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(functionArn);
  return match?.[1] ?? functionArn;
}

export function runHooks(state: PlannerState, stage: HookStage, now: number): HookGate {
  const hooks = (state.configuration.Hooks ?? []).map((hook, index) => ({ ...hook, index })).filter((hook) => hook.Stage === stage);
  for (const hook of hooks) {
    const known = state.hooks?.[String(hook.index)];
    // A record of another stage or function is not this hook's (the configuration is the deployment's own: it should not happen).
    const record = known && known.stage === stage && known.functionArn === hook.FunctionArn ? known : undefined;
    if (record?.answer?.status === 'SUCCEEDED') continue;
    return gate(state, { index: hook.index, stage, functionArn: hook.FunctionArn, timeoutSeconds: hook.TimeoutSeconds }, record, now);
  }
  return { kind: 'Passed' };
}

interface Hook {
  index: number;
  stage: HookStage;
  functionArn: string;
  timeoutSeconds: number;
}

/** The gate of the first hook of the stage not yet SUCCEEDED. */
function gate(state: PlannerState, hook: Hook, record: HookRecord | undefined, now: number): HookGate {
  const name = `hook ${hookFunctionName(hook.functionArn)} (${hook.stage})`;
  if (!record) return invoke(state, hook, 1, now);
  const answer = record.answer;
  if (answer?.status === 'FAILED') {
    return { kind: 'Failed', events: [], reason: truncateReason(`${name} answered FAILED${answer.reason ? `: ${answer.reason}` : ''}`) };
  }
  const deadline = record.startedAt + hook.timeoutSeconds * 1000;
  if (now >= deadline) {
    return { kind: 'Failed', events: [], reason: `${name} timed out after ${hook.timeoutSeconds} s (${answer ? `last answer ${answer.status}` : 'no answer'})` };
  }
  if (answer) {
    // IN_PROGRESS (SUCCEEDED was passed over, FAILED handled above): call again after the delay.
    const due = answer.at + (answer.callBackDelaySeconds ?? 0) * 1000;
    if (now >= due) return invoke(state, hook, record.attempt + 1, now);
    return { kind: 'Waiting', events: [], actions: [], wakeAt: Math.min(due, deadline), reason: `${name} answered IN_PROGRESS: invoked again at ${isoFromMs(due)}` };
  }
  const resend = record.invokedAt + HOOK_RESEND_MS;
  if (now >= resend) return invoke(state, hook, record.attempt + 1, now);
  return { kind: 'Waiting', events: [], actions: [], wakeAt: Math.min(nextPoll(record.invokedAt, now), resend, deadline), reason: `waiting for ${name} to answer (attempt ${record.attempt})` };
}

/** The first of invokedAt + 1 s, 2 s, 4 s … after `now`. */
function nextPoll(invokedAt: number, now: number): number {
  let after = HOOK_POLL_FIRST_MS;
  while (invokedAt + after <= now) after *= 2;
  return invokedAt + after;
}

function invoke(state: PlannerState, hook: Hook, attempt: number, now: number): HookGate {
  const name = hookFunctionName(hook.functionArn);
  const event: PlannerEvent = { type: 'HookInvoked', hook: hook.index, stage: hook.stage, functionArn: hook.functionArn, attempt, at: now };
  const action: PlannerAction = {
    type: 'InvokeHook',
    key: hookInvocationKey(state.deploymentId, state.epoch, hook.index, attempt),
    environment: state.environment,
    deploymentId: state.deploymentId,
    epoch: state.epoch,
    revision: state.revision,
    cluster: state.cluster,
    reason: `${hook.stage} hook ${name} (attempt ${attempt})`,
    hook: hook.index,
    stage: hook.stage,
    functionArn: hook.functionArn,
    attempt,
  };
  return { kind: 'Waiting', events: [event], actions: [action], wakeAt: now + HOOK_POLL_FIRST_MS, reason: `waiting for hook ${name} (${hook.stage}) to answer (attempt ${attempt})` };
}
