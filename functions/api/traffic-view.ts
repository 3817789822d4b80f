/**
 * What describe-environment (and, compactly, describe-environment-status) shows of a deployment's
 * traffic and hooks, derived from the projection alone (the planner's state): no ELBv2, Route 53 or
 * Lambda call is made to answer a read. Presentation only; pure.
 *
 * `trafficView(engine)` — a Service with TrafficRouting (null otherwise):
 * - `Step` (`"3/5"`, 1-based) and `StepDescription` of the traffic schedule the planner walks
 *   (`canarySchedule` of the deployment's Steps for a Canary deploy that is not the environment's first
 *   and not a rollback; the one step `SetWeight 100` otherwise); null for a BlueGreen deploy (it has
 *   phases, not steps) and before the first plan;
 * - `Weights`: the production weights as last read back, by target group (name and ARN, percent);
 * - `InEffect`: the last weight change is in effect — an ALB rule's is when ModifyRule answers; a Route 53
 *   change once GetChange says INSYNC (`Change` is `INSYNC` or `PENDING`; null: Blox submitted none);
 * - `PauseEndsAt` in a Pause step: a timed one ends at the step's start + Seconds (promoted: when it was
 *   promoted, the next plan ends it), `until promote-deployment` otherwise; null in any other step.
 *   While pause-deployment holds the deployment it ends later by the time paused (the clock stops).
 *
 * Worked examples (Steps [SetWeight 10, Pause {Seconds: 300}, SetWeight 50, Pause {}]: the schedule is
 * those four and the implied SetWeight 100, five steps):
 *   step { index: 1, since: 12:00:00 }, weights blue 90 / green 10 (ALB)
 *     → Step "2/5", "Pause 300 s", PauseEndsAt 12:05:00, InEffect true, Change null
 *   step { index: 3 }, not promoted → Step "4/5", "Pause until promoted", PauseEndsAt "until promote-deployment"
 *   step { index: 3, since: 12:10:00 }, promoted at 12:20:00 → PauseEndsAt 12:20:00
 *   step { index: 2 }, Route 53 change { inSync: false } → Step "3/5", "SetWeight 50", InEffect false, Change PENDING
 *   a rollback (or a first deployment) → Step "1/1", "SetWeight 100"
 *
 * `hooksInProgress(engine)` — the lifecycle hooks invoked and not yet answered SUCCEEDED or FAILED, in
 * their order in DeploymentConfiguration.Hooks: stage, function, attempt, the last answer (IN_PROGRESS,
 * with when it is called again: the answer's time + its call-back delay, 30 s by default), and when it
 * times out (its first invocation + TimeoutSeconds).
 */
import type { PlannerState } from '../../domain/rollout';
import { canarySchedule, describeTrafficStep, promotedSince, routeGroups, targetGroupName } from '../../domain/rollout';
import { isoFromMs } from '../../domain/time';

/** IN_PROGRESS without a call-back delay: called again after this long (hooks.ts). */
const DEFAULT_CALL_BACK_SECONDS = 30;

export const UNTIL_PROMOTED = 'until promote-deployment';

export interface TrafficView {
  Routing: 'Alb' | 'Route53';
  /** How the traffic moves: Canary (the weight steps; every rollback and a first deployment walk the one step SetWeight 100), or BlueGreen (one flip after the test). */
  Strategy: 'Canary' | 'BlueGreen';
  /** `"3/5"` (1-based); null: BlueGreen (phases, not steps), or no step started yet. */
  Step: string | null;
  /** `SetWeight 50`, `Pause 300 s`, `Pause until promoted`. */
  StepDescription: string | null;
  StepStartedAt: string | null;
  /** The production weights as last read back, blue's group first (empty: not read yet). */
  Weights: Array<{ TargetGroupName: string; TargetGroupArn: string; Weight: number }>;
  /** The last weight change is in effect (ALB: always; Route 53: INSYNC, or no change submitted). */
  InEffect: boolean;
  /** Route 53: the last change Blox submitted, PENDING until GetChange says INSYNC (null: none). */
  Change: { Id: string; SubmittedAt: string; Status: 'PENDING' | 'INSYNC' } | null;
  /** A Pause step: when it ends (ISO), or `until promote-deployment`; null in any other step. */
  PauseEndsAt: string | null;
}

export interface HookView {
  Stage: string;
  FunctionName: string;
  FunctionArn: string;
  Attempt: number;
  StartedAt: string;
  InvokedAt: string;
  /** The latest invocation's answer (null: none yet). */
  LastAnswer: { Status: string; At: string; Reason: string | null } | null;
  /** IN_PROGRESS: when it is invoked again. */
  NextAttemptAt: string | null;
  /** Its first invocation + TimeoutSeconds: FAILED after that. */
  TimesOutAt: string | null;
}

/** `arn:aws:lambda:…:function:smoke-ok[:alias]` → `smoke-ok`; anything else as given. */
export function functionName(arn: string): string {
  return arn.split(':function:')[1]?.split(':')[0] ?? arn;
}

/** Whether this deployment walks BlueGreen's phases (not a rollback, not the first deployment, over an ALB), as the Service plan decides. */
function walksBlueGreen(engine: PlannerState): boolean {
  return engine.configuration.Method === 'BlueGreen' && engine.kind !== 'rollback' && !engine.initial && engine.service?.traffic?.kind === 'Alb';
}

/** The traffic schedule the Service plan walks: the Steps of a Canary deploy (not the first, not a rollback), else the one step SetWeight 100. */
function schedule(engine: PlannerState) {
  const steps = engine.kind === 'rollback' || engine.initial || engine.configuration.Method !== 'Canary' ? [] : (engine.configuration.Steps ?? []);
  return canarySchedule(steps);
}

export function trafficView(engine: PlannerState | undefined): TrafficView | null {
  const route = engine?.service?.traffic;
  if (!engine || !route) return null;
  const progress = engine.traffic;
  const blueGreen = walksBlueGreen(engine);
  const steps = schedule(engine);
  const step = blueGreen ? undefined : progress?.step;
  const current = step ? steps[Math.min(step.index, steps.length - 1)] : undefined;
  const { blue, green } = routeGroups(route);
  const order = (arn: string) => (arn === blue ? 0 : arn === green ? 1 : 2);
  const weights = [...(progress?.weights ?? [])].sort((a, b) => order(a.targetGroupArn) - order(b.targetGroupArn));
  const change = route.kind === 'Route53' ? progress?.change : undefined;
  let pauseEndsAt: string | null = null;
  if (step && current && 'Pause' in current) {
    if (promotedSince(engine, step.since)) pauseEndsAt = isoFromMs(engine.promoted!.at);
    else if (current.Pause.Seconds === undefined) pauseEndsAt = UNTIL_PROMOTED;
    else pauseEndsAt = isoFromMs(step.since + current.Pause.Seconds * 1000);
  }
  return {
    Routing: route.kind,
    Strategy: blueGreen ? 'BlueGreen' : 'Canary',
    Step: step ? `${Math.min(step.index, steps.length - 1) + 1}/${steps.length}` : null,
    StepDescription: current ? describeTrafficStep(current) : null,
    StepStartedAt: step ? isoFromMs(step.since) : null,
    Weights: weights.map((w) => ({ TargetGroupName: targetGroupName(w.targetGroupArn), TargetGroupArn: w.targetGroupArn, Weight: w.weight })),
    InEffect: change ? change.inSync : true,
    Change: change ? { Id: change.id, SubmittedAt: isoFromMs(change.at), Status: change.inSync ? 'INSYNC' : 'PENDING' } : null,
    PauseEndsAt: pauseEndsAt,
  };
}

export function hooksInProgress(engine: PlannerState | undefined): HookView[] {
  if (!engine?.hooks) return [];
  const configured = engine.configuration.Hooks ?? [];
  return Object.entries(engine.hooks)
    .map(([index, record]) => ({ index: Number(index), record }))
    .filter(({ record }) => record.answer === undefined || record.answer.status === 'IN_PROGRESS')
    .sort((a, b) => a.index - b.index)
    .map(({ index, record }) => {
      const timeout = configured[index]?.TimeoutSeconds;
      const answer = record.answer;
      return {
        Stage: record.stage,
        FunctionName: functionName(record.functionArn),
        FunctionArn: record.functionArn,
        Attempt: record.attempt,
        StartedAt: isoFromMs(record.startedAt),
        InvokedAt: isoFromMs(record.invokedAt),
        LastAnswer: answer ? { Status: answer.status, At: isoFromMs(answer.at), Reason: answer.reason ?? null } : null,
        NextAttemptAt: answer?.status === 'IN_PROGRESS' ? isoFromMs(answer.at + (answer.callBackDelaySeconds ?? DEFAULT_CALL_BACK_SECONDS) * 1000) : null,
        TimesOutAt: timeout === undefined ? null : isoFromMs(record.startedAt + timeout * 1000),
      };
    });
}
