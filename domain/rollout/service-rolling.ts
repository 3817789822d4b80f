/**
 * Service Rolling on ECS task sets: desired vs observed → the next scale of every task set, in tasks
 * (the adapter turns them into ECS's `scale` percent of the service's desired count). Pure arithmetic
 * over counts, after Argo Rollouts' `CalculateReplicaCountsForBasicCanary` (utils/replicaset/canary.go):
 * old sets give way within the availability budget, the new set grows into the room under the ceiling.
 *
 * The limits, from DesiredCount D, MinHealthyPercent m and MaxPercent M (ECS's own rounding):
 *   minReady   = ceil(D × m / 100)   ready tasks, of every task set, never fewer;
 *   maxRunning = floor(D × M / 100)  tasks that run or stop, of every task set, never more
 *                                    (ECS counts PENDING, RUNNING and STOPPING against maximumPercent).
 * When rounding leaves no room on either side (minReady = D = maxRunning) although the configuration
 * opens one (M > 100 or m < 100) — D = 3 at (90, 110): ceil(2.7) = 3, floor(3.3) = 3 — one task is
 * granted on the side it opens, the surge first (more capacity rather than less availability): 4 may
 * run. That is Kubernetes' fencepost rule (both resolve to 0 → one unavailable), and the repo's own
 * `maxSurge` "at least 1". With m = 100 and M = 100 there is no side to open: a deployment with ready
 * old tasks cannot make progress, and the step says so (`Blocked`), for the core to report Stuck.
 *
 * What the planner counts per task set:
 *   scale     tasks ECS was asked to keep;
 *   running   tasks ECS keeps (desired RUNNING, not yet STOPPED: PROVISIONING … RUNNING);
 *   ready     of those, the ready ones (healthy in the target group; without a load balancer RUNNING
 *             and, with a health check, HEALTHY);
 *   stopping  tasks on their way out (desired STOPPED, not yet STOPPED).
 * A set's *footprint* is max(scale, running) + stopping: ECS fills it up to its scale, and a stopped
 * task frees its place only once STOPPED. The ready tasks the floor counts on are min(ready, scale) per
 * set: whatever ECS trims above the scale is not counted.
 *
 * One step, in order:
 *   1. Converged: the new set has D ready of D, the old sets have nothing left → done.
 *   2. The new set above D (D lowered mid-deployment) comes down to D. Free: the D it keeps meet the floor.
 *   3. Old sets shed what is not ready (unready or not yet placed tasks) — free, they count nothing.
 *   4. Old sets shed ready tasks, oldest set first, as far as the budget (ready counted − minReady) allows.
 *   5. The new set grows into the room: maxRunning − the footprint of every set after 2–4 (a task asked
 *      to stop keeps its place until STOPPED), up to D. Its unready tasks hold their place meanwhile.
 * A scale-down names how many of the tasks it stops are not ready and how many are ready: the adapter
 * stops those tasks (the not-ready ones it chose) and lowers the scale by as many. ECS's own scale-in
 * picks victims for Availability Zone balance, not readiness, so leaving the choice to ECS would spend
 * ready tasks the budget did not grant.
 *
 * Invariants of every step (test/domain/rollout/service-rolling.test.ts checks them, and a property
 * over random D, m, M and readiness): ready counted after ≥ min(before, minReady); footprint after ≤
 * max(before, maxRunning), and ≤ maxRunning whenever the new set grows; the new set never above D,
 * an old set never grows; and when nothing is in flight a step that is not Converged always moves,
 * unless m = M = 100.
 *
 * Worked examples (old set: D tasks, all ready; new set empty; one step):
 *   D = 10, (100, 200): minReady 10, maxRunning 20 → budget 10 − 10 = 0: old stays 10; room 20 − 10 = 10:
 *     new 10. Once the 10 are ready: counted 20, budget 10 → old 0. Then Converged.
 *   D = 10, (50, 100): minReady 5, maxRunning 10 → budget 5: old 10 → 5 (5 ready tasks stopped); room
 *     10 − 10 = 0 (the 5 still stopping hold their place): new 0. Once they are STOPPED: room 5 → new 5.
 *   D = 10, (90, 110): minReady 9, maxRunning 11 → old 10 → 9; room 11 − 10 = 1 → new 1.
 *   D = 3, (90, 110): minReady 3 = D = maxRunning 3 → fencepost: maxRunning 4 → old 3, new 1.
 *   D = 2, (50, 100): minReady 1, maxRunning 2 → old 2 → 1, new 0.
 *   D = 10, (100, 100): minReady 10, maxRunning 10, nothing in flight → Blocked: "MinHealthyPercent 100
 *     and MaxPercent 100 leave no room: 10 of 10 tasks ready, at least 10 must stay ready and at most 10
 *     may run (raise MaxPercent above 100 or lower MinHealthyPercent below 100)".
 *   D = 10, (90, 110), old 10 with 2 of them not ready (8 ready): minReady 9 → the 2 go for free (old 10 →
 *     8, stopUnready 2), budget 8 − 9 < 0: no ready one; room 11 − 10 = 1 → new 1.
 *   Scaled mid-deployment, D 10 → 4 at (100, 150), new 5 ready, old 10 ready: minReady 4, maxRunning 6 →
 *     new 5 → 4 (free: it keeps 4 ready ≥ 4); counted 4 + 10 = 14, budget 10 → old 0; footprint 5 + 10 =
 *     15 > 6: no growth.
 */

/** What the planner sees of one task set. */
export interface TaskSetView {
  /** The task set, for the adapter (its id, or the revision). */
  id: string;
  /** Tasks ECS was asked to keep (the task set's computed desired count). */
  scale: number;
  /** Tasks ECS keeps: desired RUNNING and not yet STOPPED (PROVISIONING … RUNNING). */
  running: number;
  /** Of `running`, the ready ones. */
  ready: number;
  /** Tasks on their way out (desired STOPPED, not yet STOPPED). Default 0. */
  stopping?: number | undefined;
}

export interface RollingInput {
  desiredCount: number;
  minHealthyPercent: number;
  maxPercent: number;
  /** The target revision's task set (scale 0 before it has any). */
  target: TaskSetView;
  /** The old task sets, oldest first: they are drained in this order. */
  olds: readonly TaskSetView[];
}

export interface RollingLimits {
  desiredCount: number;
  /** Ready tasks never fewer: ceil(D × m / 100) (D − 1 with an `unavailable` fencepost). */
  minReady: number;
  /** Tasks running or stopping never more: floor(D × M / 100) (D + 1 with a `surge` fencepost). */
  maxRunning: number;
  /** Rounding left no room on either side although the configuration opens one: one task granted there. */
  fencepost?: 'surge' | 'unavailable' | undefined;
}

/** A task set whose scale changes. On a scale-down, the kept tasks to stop: not-ready ones, then ready ones. */
export interface TaskSetMove {
  id: string;
  from: number;
  to: number;
  stopUnready: number;
  stopReady: number;
}

export type RollingStep =
  /** The new set runs D ready tasks, the old sets nothing: the deployment is done. */
  | { kind: 'Converged'; limits: RollingLimits }
  /** Scale the task sets: `target` and `olds` (same order as the input) are every set's next scale. */
  | { kind: 'Scale'; target: number; olds: number[]; moves: TaskSetMove[]; limits: RollingLimits }
  /** Nothing to change now; tasks are starting, turning ready or stopping. */
  | { kind: 'Wait'; reason: string; limits: RollingLimits }
  /** Nothing can change and nothing is in flight: the deployment cannot make progress. */
  | { kind: 'Blocked'; reason: string; limits: RollingLimits };

/**
 * The limits for D, m, M, with the fencepost.
 * rollingLimits(10, 90, 110) → { desiredCount: 10, minReady: 9, maxRunning: 11 }
 * rollingLimits(3, 90, 110)  → { desiredCount: 3, minReady: 3, maxRunning: 4, fencepost: 'surge' }
 * rollingLimits(1, 50, 100)  → { desiredCount: 1, minReady: 0, maxRunning: 1, fencepost: 'unavailable' }
 * rollingLimits(4, 100, 100) → { desiredCount: 4, minReady: 4, maxRunning: 4 }   (no room: see planRolling)
 */
export function rollingLimits(desiredCount: number, minHealthyPercent: number, maxPercent: number): RollingLimits {
  const D = desiredCount;
  const minReady = Math.ceil((D * minHealthyPercent) / 100);
  const maxRunning = Math.floor((D * maxPercent) / 100);
  if (D > 0 && minReady >= D && maxRunning <= D) {
    if (maxPercent > 100) return { desiredCount: D, minReady, maxRunning: D + 1, fencepost: 'surge' };
    if (minHealthyPercent < 100) return { desiredCount: D, minReady: D - 1, maxRunning, fencepost: 'unavailable' };
  }
  return { desiredCount: D, minReady, maxRunning };
}

interface SetCounts {
  scale: number;
  running: number;
  ready: number;
  stopping: number;
}

function counts(view: TaskSetView): SetCounts {
  const nat = (n: number | undefined) => Math.max(0, Math.floor(n ?? 0));
  const running = nat(view.running);
  return { scale: nat(view.scale), running, ready: Math.min(nat(view.ready), running), stopping: nat(view.stopping) };
}

/** The ready tasks the floor counts on when a set's scale is `scale`. */
const counted = (set: SetCounts, scale: number) => Math.min(set.ready, scale);
/** The places a set holds when its scale is `scale`. */
const footprint = (set: SetCounts, scale: number) => Math.max(scale, set.running) + set.stopping;

function invalid(input: RollingInput): string | undefined {
  const { desiredCount: D, minHealthyPercent: m, maxPercent: M } = input;
  if (!Number.isInteger(D) || D < 0) return `DesiredCount ${D} is not a count of tasks`;
  if (!Number.isFinite(m) || m < 0 || m > 100) return `MinHealthyPercent ${m} is not between 0 and 100`;
  if (!Number.isFinite(M) || M < 100) return `MaxPercent ${M} is below 100: a rolling deployment needs room for the tasks it keeps`;
  return undefined;
}

export function planRolling(input: RollingInput): RollingStep {
  const wrong = invalid(input);
  const limits = rollingLimits(Math.max(0, Math.floor(input.desiredCount)), input.minHealthyPercent, input.maxPercent);
  if (wrong) return { kind: 'Blocked', reason: wrong, limits };
  const D = limits.desiredCount;
  const target = counts(input.target);
  const olds = input.olds.map(counts);

  // 1. Converged.
  const oldsGone = olds.every((o) => o.scale === 0 && o.running === 0 && o.stopping === 0);
  if (oldsGone && target.scale === D && target.running === D && target.ready === D && target.stopping === 0) {
    return { kind: 'Converged', limits };
  }

  // 2. The new set above D comes down to D (free: see the header).
  let targetScale = Math.min(target.scale, D);
  // 3. Old sets shed what is not ready: free.
  const oldScales = olds.map((o) => Math.min(o.scale, o.ready));
  // 4. …and ready tasks, oldest set first, within the budget.
  const readyCounted = counted(target, targetScale) + olds.reduce((sum, o, i) => sum + counted(o, oldScales[i] ?? 0), 0);
  let budget = Math.max(0, readyCounted - limits.minReady);
  for (let i = 0; i < oldScales.length && budget > 0; i++) {
    const take = Math.min(budget, oldScales[i] ?? 0);
    oldScales[i] = (oldScales[i] ?? 0) - take;
    budget -= take;
  }
  // 5. The new set grows into the room left under the ceiling.
  const others = olds.reduce((sum, o, i) => sum + footprint(o, oldScales[i] ?? 0), 0) + target.stopping;
  const allowed = limits.maxRunning - others;
  if (targetScale < D && target.running <= allowed && Math.min(D, allowed) > targetScale) targetScale = Math.min(D, allowed);

  const moves: TaskSetMove[] = [];
  const move = (id: string, set: SetCounts, to: number) => {
    if (to === set.scale) return;
    const stop = Math.max(0, set.running - to);
    const stopUnready = Math.min(stop, set.running - set.ready);
    moves.push({ id, from: set.scale, to, stopUnready, stopReady: stop - stopUnready });
  };
  move(input.target.id, target, targetScale);
  olds.forEach((o, i) => move(input.olds[i]?.id ?? String(i), o, oldScales[i] ?? 0));
  if (moves.length > 0) return { kind: 'Scale', target: targetScale, olds: oldScales, moves, limits };

  // Nothing changes: waiting for something in flight, or no room at all.
  const all = [target, ...olds];
  const sum = (f: (s: SetCounts) => number) => all.reduce((n, s) => n + f(s), 0);
  const ready = sum((s) => s.ready);
  const running = sum((s) => footprint(s, s.scale));
  const settled = all.every((s) => s.stopping === 0 && s.running === s.scale && s.ready === s.running);
  if (settled) {
    return {
      kind: 'Blocked',
      reason:
        `MinHealthyPercent ${input.minHealthyPercent} and MaxPercent ${input.maxPercent} leave no room: ${ready} of ${D} tasks ready, ` +
        `at least ${limits.minReady} must stay ready and at most ${limits.maxRunning} may run (raise MaxPercent above 100 or lower MinHealthyPercent below 100)`,
      limits,
    };
  }
  const waiting: string[] = [];
  const notReady = sum((s) => s.running - s.ready);
  const unplaced = sum((s) => Math.max(0, s.scale - s.running));
  const stopping = sum((s) => s.stopping);
  if (notReady > 0) waiting.push(`${notReady} not ready`);
  if (unplaced > 0) waiting.push(`${unplaced} not placed yet`);
  if (stopping > 0) waiting.push(`${stopping} stopping`);
  return {
    kind: 'Wait',
    reason: `waiting for tasks: ${waiting.join(', ')}; ${ready} ready (at least ${limits.minReady}), ${running} running (at most ${limits.maxRunning})`,
    limits,
  };
}

/** One line for logs and the deployment's status. */
export function describeRollingStep(step: RollingStep): string {
  switch (step.kind) {
    case 'Converged':
      return `converged: ${step.limits.desiredCount} ready tasks of the new revision`;
    case 'Scale':
      return step.moves.map((m) => `${m.id} ${m.from} → ${m.to}`).join(', ');
    case 'Wait':
    case 'Blocked':
      return step.reason;
    default: {
      const never: never = step;
      return never;
    }
  }
}
