/**
 * Service BlueGreen with an ALB (DESIGN.md, "Service environments"): the new revision's task set (green)
 * comes up at full size in the target group that has no production traffic, is tested behind the test
 * listener rule, and only then takes all the production traffic at once; the old one (blue) keeps its
 * full size through the bake, so a rollback during the bake is one listener change. Pure arithmetic over
 * counts and the weights as read back; the Service plan (service.ts) turns each move into ECS and ELBv2
 * calls, runs the hooks and the bake.
 *
 * In order, the first that applies:
 *   1. green's scale below D                    → ScaleGreen to D (CreateTaskSet, or UpdateTaskSet)
 *   2. fewer than D green tasks ready            → Wait (no traffic of any kind goes to green before)
 *   3. the test rule does not forward to green   → SetTestTraffic (test rule: green 100)
 *   4. green's production weight below 100:
 *        PostTestTraffic hooks not all passed    → Hooks PostTestTraffic (they test green behind the test rule)
 *        PreTraffic hooks not all passed         → Hooks PreTraffic
 *        otherwise                               → Flip (production rule: green 100, blue 0)
 *   5. green at 100, not yet in effect           → Wait
 *   6. green at 100, in effect                   → Shifted (the plan runs PostTraffic hooks, bakes, deletes blue)
 * Once green has the production traffic the hooks before it are not asked again.
 *
 * Worked example (D = 4; blue at 100 %, green's task set not created):
 *   green 0 tasks                                 → ScaleGreen 4
 *   green 4 tasks, 2 ready                        → Wait "2 of 4 green tasks ready"
 *   green 4 ready, test rule → blue               → SetTestTraffic
 *   test rule → green, PostTestTraffic pending    → Hooks PostTestTraffic
 *   hooks passed                                  → Flip
 *   production green 100                          → Shifted
 * A failing PostTestTraffic hook trips the deployment before step 4's Flip: no production request ever
 * reached green.
 */

export interface BlueGreenInput {
  desiredCount: number;
  /** The new revision's task set: tasks ECS keeps for it, and how many are ready. */
  green: { scale: number; ready: number };
  greenTargetGroupArn: string;
  /** The group the test listener rule sends its traffic to, as read back. */
  testTargetGroupArn?: string | undefined;
  /** Green's share of the production traffic as read back (percent), and whether that is in effect. */
  weight: { value: number; inSync: boolean };
  /** Whether every hook of the stage answered SUCCEEDED (or the stage has none). */
  hooksPassed: { PostTestTraffic: boolean; PreTraffic: boolean };
}

export type BlueGreenMove =
  | { kind: 'ScaleGreen'; to: number; reason: string }
  | { kind: 'Wait'; reason: string }
  | { kind: 'SetTestTraffic'; reason: string }
  | { kind: 'Hooks'; stage: 'PostTestTraffic' | 'PreTraffic' }
  | { kind: 'Flip'; reason: string }
  | { kind: 'Shifted' };

export function planBlueGreen(input: BlueGreenInput): BlueGreenMove {
  const D = input.desiredCount;
  if (input.weight.value >= 100) {
    return input.weight.inSync ? { kind: 'Shifted' } : { kind: 'Wait', reason: 'green has the production traffic; waiting for the change to be in effect' };
  }
  if (input.green.scale < D) return { kind: 'ScaleGreen', to: D, reason: `green comes up at full size (${D} task${D === 1 ? '' : 's'}) before any traffic` };
  if (input.green.ready < D) return { kind: 'Wait', reason: `${input.green.ready} of ${D} green tasks ready; no traffic goes to green before` };
  if (input.testTargetGroupArn !== input.greenTargetGroupArn) return { kind: 'SetTestTraffic', reason: 'the test listener rule forwards to green' };
  if (!input.hooksPassed.PostTestTraffic) return { kind: 'Hooks', stage: 'PostTestTraffic' };
  if (!input.hooksPassed.PreTraffic) return { kind: 'Hooks', stage: 'PreTraffic' };
  return { kind: 'Flip', reason: 'green passed its tests: the production rule flips to green 100 %, blue 0 %' };
}
