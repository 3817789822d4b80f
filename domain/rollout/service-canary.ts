/**
 * Service Canary with traffic routing: the weight schedule of `Steps` over two task sets, each in its
 * own target group (ALB: the blue and green groups of the production listener rule; Route 53: the
 * groups of the two load balancers behind the weighted records). Pure arithmetic over counts and
 * weights, after Argo Rollouts' canary with a traffic router (`utils/replicaset/canary.go`,
 * `utils/trafficrouting/trafficroutingutil.go`): the canary's scale follows its weight, the stable
 * set keeps its full scale until the canary has all the traffic.
 *
 * Terms: D the service's desired count; the *stable* task set serves the live target group (the one
 * the rule gives the weight to when the deployment starts), the *canary* is revision T's task set in
 * the other group. `weight` is the canary group's share, 0–100 (the stable group has 100 − weight).
 *
 * A step of `Steps` (the last one implied: `SetWeight: 100`, unless the list ends with it):
 *   SetWeight w — the canary needs `canaryTasks(D, w)` = max(1, ceil(D × w / 100)) ready tasks (at most
 *     D) before any traffic moves: first it is scaled to that (`ScaleCanary`), then, with that many
 *     ready, the weights are set (`SetWeight`), then read back (ALB: DescribeRules; Route 53: the change
 *     INSYNC); the step is done when the read-back weight is w and in sync and the canary has its
 *     share of ready tasks (checked first: a weight already at w does not end the step without them).
 *   Pause { Seconds: s } — done s seconds after it started, or when promoted.
 *   Pause {} — done only when promoted (`promote-deployment`).
 * `promote-deployment` ends the current pause; `--full` goes straight to the implied last step
 * (the canary is still scaled first and the weight still verified).
 *
 * What never happens (the property test checks it over random step lists): weight moves to a group
 * whose task set has fewer ready tasks than its share needs (so never to a group without a healthy
 * target); the stable set is scaled down while its group has weight (this file never scales it: once
 * the canary has 100, verified, the service plan bakes and then deletes the stable set); a weight
 * goes down during a deployment (Steps are non-decreasing; a rollback is the service plan's business:
 * weights back to stable first, then the canary scaled down).
 *
 * Worked examples (D = 10, Steps [SetWeight 10, Pause {Seconds: 300}, SetWeight 50, Pause {}]):
 *   step 0, canary 0 tasks, weight 0            → ScaleCanary to 1 (ceil(10 × 10 %) = 1)
 *   step 0, canary 1 ready, weight 0            → SetWeight 10
 *   step 0, weight read back 10, in sync at t   → step 1 starts at t: Wait until t + 300 s
 *   step 1 at t + 300 s                          → step 2: ScaleCanary to 5
 *   step 2, canary 5 ready, weight 10           → SetWeight 50; read back 50 → step 3: Wait for promote
 *   step 3, promoted                             → step 4 (implied SetWeight 100): ScaleCanary to 10,
 *                                                   then SetWeight 100, then Shifted.
 * D = 3, SetWeight 20: ceil(0.6) = 1 task. D = 3, SetWeight 34: ceil(1.02) = 2 tasks.
 */

import type { CanaryStep } from '../spec';

export type { CanaryStep };

export interface CanaryInput {
  steps: readonly CanaryStep[];
  /** The step in progress: an index into `canarySchedule(steps)`. */
  step: number;
  /** When it started (epoch ms). */
  stepStartedAt: number;
  /** `promote-deployment` since the step started: `step` ends the current pause, `full` skips to the last step. */
  promoted?: 'step' | 'full' | undefined;
  desiredCount: number;
  /** The canary task set: tasks ECS keeps for it, and how many of them are ready. */
  canary: { scale: number; ready: number };
  /** The canary group's weight as read back, and whether that read is in effect (Route 53: INSYNC; ALB: always). */
  weight: { value: number; inSync: boolean };
  now: number;
}

export type CanaryMove =
  /** Scale the canary task set to `to` tasks (it only grows during a deployment). */
  | { kind: 'ScaleCanary'; to: number; reason: string }
  /** Set the weights: the canary group `weight`, the stable one 100 − weight. */
  | { kind: 'SetWeight'; weight: number; reason: string }
  /** Nothing to do until `until` (a timed pause), or until something changes (readiness, a change in sync, a promotion). */
  | { kind: 'Wait'; reason: string; until?: number | undefined }
  /** Every step done: the canary has 100, verified. The service plan bakes, then retires the stable set. */
  | { kind: 'Shifted' };

export interface CanaryPlan {
  /** The step in progress after this plan (steps found done were passed), and when it started. */
  step: number;
  stepStartedAt: number;
  move: CanaryMove;
}

/**
 * The schedule the plan walks: the deployment's steps (the spec's through `canarySteps`, which adds the
 * final SetWeight 100 when no step reaches it) ending on a SetWeight 100 — one is appended when the
 * list ends otherwise (e.g. a pause after 100: it still ends, then the weights are verified once more).
 */
export function canarySchedule(steps: readonly CanaryStep[]): CanaryStep[] {
  const final = steps.at(-1);
  return final && 'SetWeight' in final && final.SetWeight === 100 ? [...steps] : [...steps, { SetWeight: 100 }];
}

/** The canary's tasks at weight w: max(1, ceil(D × w / 100)), at most D (and 0 when D is 0). */
export function canaryTasks(desiredCount: number, weight: number): number {
  if (desiredCount <= 0) return 0;
  return Math.min(desiredCount, Math.max(1, Math.ceil((desiredCount * weight) / 100 - 1e-9)));
}

/** Where the canary stands: the step in progress and what to do about it (steps found done are passed in order). */
export function planCanary(input: CanaryInput): CanaryPlan {
  const schedule = canarySchedule(input.steps);
  const lastIndex = schedule.length - 1;
  let step = Math.min(input.step, lastIndex);
  let startedAt = input.stepStartedAt;
  const promoted = input.promoted;
  if (promoted === 'full' && step < lastIndex) {
    step = lastIndex;
    startedAt = input.now;
  }
  for (;;) {
    const current = schedule[step]!;
    const last = step === lastIndex;
    if ('Pause' in current) {
      const seconds = current.Pause.Seconds;
      const until = seconds === undefined ? undefined : startedAt + seconds * 1000;
      // A promotion ends the pause it was given in (the step in progress when the plan began), no later one.
      const done = (promoted === 'step' && step === input.step) || (until !== undefined && input.now >= until);
      if (!done) {
        return {
          step,
          stepStartedAt: startedAt,
          move: { kind: 'Wait', reason: until === undefined ? `step ${step + 1}/${schedule.length}: paused until promote-deployment` : `step ${step + 1}/${schedule.length}: paused for ${seconds} s`, until },
        };
      }
      // A pause ended (by its clock, or by the promotion): the next step starts now.
      step += 1;
      startedAt = input.now;
      continue;
    }
    const w = current.SetWeight;
    const label = `step ${step + 1}/${schedule.length} (SetWeight ${w})`;
    const needed = canaryTasks(input.desiredCount, w);
    // The canary's size first, even when the weight is already there (a first deployment's group is live
    // from the start; D may have grown): a step is done only with its share of ready tasks.
    if (input.canary.scale < needed) {
      return { step, stepStartedAt: startedAt, move: { kind: 'ScaleCanary', to: needed, reason: `${label}: the canary needs ${needed} ready task${needed === 1 ? '' : 's'} before traffic moves` } };
    }
    if (input.canary.ready < needed) {
      return { step, stepStartedAt: startedAt, move: { kind: 'Wait', reason: `${label}: ${input.canary.ready} of ${needed} canary tasks ready; no traffic moves before` } };
    }
    if (input.weight.value === w && input.weight.inSync) {
      if (last) return { step, stepStartedAt: startedAt, move: { kind: 'Shifted' } };
      step += 1;
      startedAt = input.now;
      continue;
    }
    if (input.weight.value === w) {
      return { step, stepStartedAt: startedAt, move: { kind: 'Wait', reason: `${label}: the weights are set, waiting for the change to be in sync` } };
    }
    return { step, stepStartedAt: startedAt, move: { kind: 'SetWeight', weight: w, reason: `${label}: canary ${w} %, stable ${100 - w} %` } };
  }
}
