/**
 * Controls of a running deployment (DESIGN.md): what pause-deployment, resume-deployment and
 * promote-deployment do to the planner's state, and whether each applies. Pure; the environment
 * (domain/environment.ts) decides the commands and folds their events through these.
 *
 * Pause: nothing moves — every plan stops after its bookkeeping, counts and safety (a watched alarm or
 * the circuit breaker still rolls a paused deployment back: a pause stops progress, not protection),
 * and the executor drops actions planned before the pause (`staleReason`). The deployment's clock stops:
 * no Stuck, no Failing, no bake running out while paused. A new deployment (or rollback) ends the pause:
 * it starts a planner state of its own.
 *
 * Resume: the clock starts again where it stopped — every timer of the deployment is shifted by the time
 * spent paused: the Stuck clock (`lastProgressAt`), Stuck → Failing (`health.since`), coverage
 * (`coverage.since`), the bake or the Daemon canary's bake (`phase.since`) and each lifecycle hook's
 * timeout (`hooks[…].startedAt`; an invocation the pause dropped is sent again: hooks.ts).
 *
 * Worked example: StuckAfterSeconds 300, last progress at 12:00:00, paused at 12:02:00, resumed at
 * 12:12:00 (600 s paused) → `lastProgressAt` 12:10:00: Stuck at 12:15:00 if nothing moves, not at once
 * (without the shift it would have been Stuck at 12:05:00, in the middle of the pause). A bake of 600 s
 * started at 12:01:00 and paused for 600 s ends at 12:21:00.
 *
 * Promote: ends what the deployment is waiting for now — the bake (`Baking`, BakeSeconds) or the Daemon
 * canary's bake (`CanaryBaking`) — at the next plan; `promoted.at` on or after the phase's start is what
 * the planner reads (`promotedSince`). `full` also skips every remaining step: a deployment without Steps
 * behaves as a plain promote. Hook point for the Service Canary strategy: a `Pause` step that started at
 * `since` is over when `promotedSince(state, since)`; with `promoted.full`, every remaining step is skipped
 * (straight to SetWeight 100) — `canaryPromotion(state, stepSince)` gives planCanary's `promoted` input —
 * and `promotable` must then also accept a deployment in a Pause step (and, with `full`, in any step).
 */
import type { PlannerState } from './types';
import { canarySchedule } from './service-canary';

/** Who used a control, and why (shown in the log and in describe-environment). */
export interface ControlCaller {
  caller: string;
  reason?: string | undefined;
}

/** The pause, as the planner keeps it (epoch ms). */
export interface PauseRecord {
  since: number;
  by: string;
  reason?: string | undefined;
}

/** The last promote-deployment (epoch ms): ends a bake or pause that started on or before `at`. */
export interface PromoteRecord {
  at: number;
  full: boolean;
  by: string;
}

export function pauseEngine(engine: PlannerState, at: number, by: ControlCaller): PlannerState {
  return { ...engine, paused: { since: at, by: by.caller, ...(by.reason !== undefined ? { reason: by.reason } : {}) } };
}

/**
 * The paused time is given back to every timer of the deployment (see the worked example above).
 * resumeEngine({ lastProgressAt: t0, paused: { since: t0 + 120 s } }, t0 + 720 s).lastProgressAt === t0 + 600 s
 */
export function resumeEngine(engine: PlannerState, at: number): PlannerState {
  const paused = engine.paused;
  if (!paused) return engine;
  const shift = Math.max(0, at - paused.since);
  const { paused: _paused, ...rest } = engine;
  const phase = rest.phase;
  return {
    ...rest,
    lastProgressAt: rest.lastProgressAt + shift,
    ...(rest.health ? { health: { ...rest.health, since: rest.health.since + shift } } : {}),
    ...(rest.coverage ? { coverage: { ...rest.coverage, since: rest.coverage.since + shift } } : {}),
    ...(phase?.phase === 'Baking' || phase?.phase === 'CanaryBaking' ? { phase: { ...phase, since: phase.since + shift } } : {}),
    // A traffic step's clock (a timed Pause) stops too.
    ...(rest.traffic?.step ? { traffic: { ...rest.traffic, step: { ...rest.traffic.step, since: rest.traffic.step.since + shift } } } : {}),
    // A lifecycle hook's TimeoutSeconds counts from its first invocation (hooks.ts): not while paused.
    ...(rest.hooks ? { hooks: Object.fromEntries(Object.entries(rest.hooks).map(([id, h]) => [id, { ...h, startedAt: h.startedAt + shift }])) } : {}),
  };
}

export function promoteEngine(engine: PlannerState, at: number, full: boolean, by: ControlCaller): PlannerState {
  return { ...engine, promoted: { at, full, by: by.caller } };
}

/** What a promote-deployment ends: the bake, the Daemon canary's bake, a Canary's Pause step, or (--full) every remaining traffic step. */
export type PromotionEnds = 'Bake' | 'CanaryBake' | 'Pause' | 'Steps';

/** Whether a promote-deployment came on or after `since` (the start of the bake or pause in progress). */
export function promotedSince(engine: PlannerState, since: number): boolean {
  return engine.promoted !== undefined && engine.promoted.at >= since;
}

/**
 * The promotion as `planCanary` (service-canary.ts) takes it: 'full' or 'step' when a promote-deployment
 * came on or after `stepSince` (when the step in progress started), else undefined.
 * canaryPromotion({ promoted: { at: 50, full: true } }, 40) === 'full'; canaryPromotion(…, 60) === undefined
 */
export function canaryPromotion(engine: PlannerState, stepSince: number): 'step' | 'full' | undefined {
  if (!promotedSince(engine, stepSince)) return undefined;
  return engine.promoted?.full ? 'full' : 'step';
}

/**
 * What promote-deployment would end now, or why there is nothing to promote (the 409's words).
 * promotable({ phase: { phase: 'Baking', since } }) → { ok: true, ends: 'Bake' }
 * promotable({ phase: { phase: 'Rolling' } }) → { ok: false, why: 'it is rolling out (no bake or pause in progress)' }
 */
export function promotable(engine: PlannerState, full = false): { ok: true; ends: PromotionEnds } | { ok: false; why: string } {
  const phase = engine.phase;
  // A Service Canary's traffic steps: a Pause step ends; with --full, any step before the last one skips to it.
  const steps = engine.service?.traffic && engine.configuration.Method === 'Canary' && engine.kind !== 'rollback' && !engine.initial ? canarySchedule(engine.configuration.Steps ?? []) : undefined;
  const step = engine.traffic?.step;
  if (steps && step && phase?.phase !== 'Baking' && phase?.phase !== 'Halted') {
    const current = steps[step.index];
    const last = step.index >= steps.length - 1;
    if (promotedSince(engine, step.since) && (engine.promoted?.full || !full)) {
      return { ok: false, why: `it was already promoted (by ${engine.promoted?.by ?? 'someone'}); step ${step.index + 1}/${steps.length} ends at the next plan` };
    }
    if (full && !last) return { ok: true, ends: 'Steps' };
    if (current && 'Pause' in current) return { ok: true, ends: 'Pause' };
    return { ok: false, why: `step ${step.index + 1}/${steps.length} (SetWeight ${current && 'SetWeight' in current ? current.SetWeight : 100}) is moving traffic, not paused${last ? '' : ': --full skips to the last step'}` };
  }
  if (engine.promoted && phase && (phase.phase === 'Baking' || phase.phase === 'CanaryBaking') && promotedSince(engine, phase.since)) {
    return { ok: false, why: `it was already promoted (by ${engine.promoted.by}); the ${phase.phase === 'Baking' ? 'bake' : "canary's bake"} ends at the next plan` };
  }
  switch (phase?.phase) {
    case 'Baking':
      return { ok: true, ends: 'Bake' };
    case 'CanaryBaking':
      return { ok: true, ends: 'CanaryBake' };
    case 'Canary':
      return { ok: false, why: 'its canary instances are still deploying (no bake or pause in progress yet)' };
    case 'Halted':
      return { ok: false, why: `it is halted (${phase.reason}): roll it back, or deploy another revision` };
    default:
      return { ok: false, why: `it is ${engine.kind === 'rollback' ? 'rolling back' : 'rolling out'} (no bake or pause in progress)` };
  }
}
