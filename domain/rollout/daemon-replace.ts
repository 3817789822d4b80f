/**
 * Daemon Replace (terminate before replace): stop old tasks within the availability budget; the
 * core then starts the target revision on each instance the moment its old task is STOPPED.
 *
 * The budget: an instance is *available* while it runs a ready task. After the environment's first
 * deployment no plan lets the available instances drop below `floor = ceil(N × MinHealthyPercent / 100)`.
 * Candidates whose old task is already unavailable (UNHEALTHY, not yet RUNNING) come first: stopping
 * them costs nothing, so they never wait behind healthy ones.
 *
 * Worked examples (N = 5 ACTIVE instances, every one running revision 1):
 *   MinHealthyPercent 80: floor = ceil(5 × 0.8) = 4, available 5 → stop 1 (5 − 1 = 4 ≥ 4), the 2nd would
 *     leave 3 < 4: one wave of 1.
 *   MinHealthyPercent 50: floor = ceil(2.5) = 3 → stop 2.
 *   MinHealthyPercent 100: floor 5 → stop none; with nothing in flight that is Stuck at once:
 *     "MinHealthyPercent budget is 0: 5 of 5 instances available, 5 must stay (MinHealthyPercent 100)".
 *   MinHealthyPercent 80, the old task on i-3 UNHEALTHY: available 4, floor 4 → i-3 is stopped (free),
 *     no healthy one is.
 *   N = 10,000, MinHealthyPercent 90: floor 9,000 → a wave of 1,000 (the core then caps what is in
 *     flight at MAX_STOPS_IN_FLIGHT).
 */
import type { ObservedTask } from './types';

export interface ReplaceCandidate {
  instanceArn: string;
  /** Its old tasks that still want to run and have no stop in flight. */
  olds: ObservedTask[];
  /** Whether the instance counts as available now (its old task is ready). */
  available: boolean;
}

export interface ReplaceInput {
  candidates: ReplaceCandidate[];
  /** ACTIVE instances of the group. */
  instances: number;
  /** Instances available now. */
  available: number;
  floor: number;
  minHealthyPercent: number;
  /** Something is on its way (a launch, a stop, a task starting) or another move was planned: not stuck on the budget. */
  moving: boolean;
}

export interface ReplaceMoves {
  stop: ReplaceCandidate[];
  /** Set when nothing can move because of the budget alone. */
  budgetBlocker?: string | undefined;
}

export function planReplace(input: ReplaceInput): ReplaceMoves {
  const ordered = [...input.candidates].sort((a, b) => Number(a.available) - Number(b.available));
  const stop: ReplaceCandidate[] = [];
  let available = input.available;
  for (const candidate of ordered) {
    if (candidate.available && available - 1 < input.floor) {
      if (!input.moving && stop.length === 0 && available <= input.floor) {
        return {
          stop,
          budgetBlocker: `MinHealthyPercent budget is 0: ${available} of ${input.instances} instances available, ${input.floor} must stay (MinHealthyPercent ${input.minHealthyPercent})`,
        };
      }
      break;
    }
    stop.push(candidate);
    if (candidate.available) available--;
  }
  return { stop };
}
