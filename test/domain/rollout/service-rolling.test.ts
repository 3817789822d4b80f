/**
 * Service Rolling on task sets: one step's arithmetic (tables worked out by hand), a walk through a
 * rollout against a small model of ECS task sets, scale-environment mid-deployment, and a property over
 * random D, MinHealthyPercent, MaxPercent and readiness.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RollingInput, RollingLimits, RollingStep, TaskSetView } from '../../../domain/rollout/service-rolling';
import { describeRollingStep, planRolling, rollingLimits } from '../../../domain/rollout/service-rolling';

const set = (id: string, scale: number, running = scale, ready = running, stopping = 0): TaskSetView => ({ id, scale, running, ready, stopping });

/** The first step of a deployment: the old set runs D ready tasks, the new set nothing. */
function firstStep(D: number, m: number, M: number): RollingStep {
  return planRolling({ desiredCount: D, minHealthyPercent: m, maxPercent: M, target: set('new', 0), olds: [set('old', D)] });
}

describe('rollingLimits: ECS rounding (min up, max down), and one task when rounding leaves no room', () => {
  it.each([
    { D: 10, m: 90, M: 110, minReady: 9, maxRunning: 11, fencepost: undefined }, //   ceil(9), floor(11)
    { D: 3, m: 90, M: 110, minReady: 3, maxRunning: 4, fencepost: 'surge' }, //        ceil(2.7) = 3, floor(3.3) = 3 = D → 3 + 1
    { D: 1, m: 50, M: 100, minReady: 0, maxRunning: 1, fencepost: 'unavailable' }, // ceil(0.5) = 1 = D, floor(1) = 1, M = 100 → 1 − 1
    { D: 4, m: 100, M: 100, minReady: 4, maxRunning: 4, fencepost: undefined }, //    no side to open
    { D: 0, m: 100, M: 100, minReady: 0, maxRunning: 0, fencepost: undefined }, //
    { D: 1000, m: 99, M: 101, minReady: 990, maxRunning: 1010, fencepost: undefined },
  ])('D = $D, ($m, $M) → min $minReady, max $maxRunning', ({ D, m, M, minReady, maxRunning, fencepost }) => {
    const limits: RollingLimits = rollingLimits(D, m, M);
    expect(limits).toEqual({ desiredCount: D, minReady, maxRunning, ...(fencepost ? { fencepost } : {}) });
  });
});

describe('planRolling: the first step, old set at D ready, new set empty', () => {
  // Columns: the new set's and the old set's next scale. Arithmetic: min = ceil(D·m/100), max =
  // floor(D·M/100) (fenceposted); old → D − max(0, D − min) (budget = ready D − min); new → min(D, max − D)
  // (the old set's stopped tasks still hold their place).
  const blocked = 'blocked';
  it.each([
    // D = 1
    { D: 1, m: 100, M: 200, next: [1, 1] }, //   min 1, max 2: budget 0, room 1
    { D: 1, m: 50, M: 100, next: [0, 0] }, //    min ceil(0.5) = 1 = D, max 1 = D → fencepost min 0: budget 1, room 1 − 1 = 0
    { D: 1, m: 0, M: 100, next: [0, 0] }, //     min 0, max 1: budget 1, room 0
    { D: 1, m: 100, M: 150, next: [1, 1] }, //   min 1, max floor(1.5) = 1 → fencepost max 2: room 1
    { D: 1, m: 90, M: 110, next: [1, 1] }, //    min ceil(0.9) = 1, max floor(1.1) = 1 → max 2
    { D: 1, m: 100, M: 100, next: blocked },
    // D = 2
    { D: 2, m: 100, M: 200, next: [2, 2] }, //   min 2, max 4: room 2
    { D: 2, m: 50, M: 100, next: [0, 1] }, //    min 1, max 2: budget 1, room 0
    { D: 2, m: 0, M: 100, next: [0, 0] }, //     min 0: budget 2
    { D: 2, m: 100, M: 150, next: [1, 2] }, //   min 2, max 3: room 1
    { D: 2, m: 90, M: 110, next: [1, 2] }, //    min ceil(1.8) = 2, max floor(2.2) = 2 → max 3: room 1
    { D: 2, m: 100, M: 100, next: blocked },
    // D = 3
    { D: 3, m: 100, M: 200, next: [3, 3] }, //   min 3, max 6: room 3
    { D: 3, m: 50, M: 100, next: [0, 2] }, //    min ceil(1.5) = 2, max 3: budget 1, room 0
    { D: 3, m: 0, M: 100, next: [0, 0] }, //
    { D: 3, m: 100, M: 150, next: [1, 3] }, //   min 3, max floor(4.5) = 4: room 1
    { D: 3, m: 90, M: 110, next: [1, 3] }, //    min 3, max 3 → max 4: room 1
    { D: 3, m: 100, M: 100, next: blocked },
    // D = 10
    { D: 10, m: 100, M: 200, next: [10, 10] }, // min 10, max 20: room 10
    { D: 10, m: 50, M: 100, next: [0, 5] }, //    min 5, max 10: budget 5, room 0
    { D: 10, m: 0, M: 100, next: [0, 0] }, //
    { D: 10, m: 100, M: 150, next: [5, 10] }, //  min 10, max 15: room 5
    { D: 10, m: 90, M: 110, next: [1, 9] }, //    min 9, max 11: budget 1, room 11 − 10 = 1
    { D: 10, m: 100, M: 100, next: blocked },
    // D = 1000
    { D: 1000, m: 100, M: 200, next: [1000, 1000] }, // min 1000, max 2000
    { D: 1000, m: 50, M: 100, next: [0, 500] }, //      min 500, max 1000
    { D: 1000, m: 0, M: 100, next: [0, 0] }, //
    { D: 1000, m: 100, M: 150, next: [500, 1000] }, //  max 1500: room 500
    { D: 1000, m: 90, M: 110, next: [100, 900] }, //    min 900, max 1100: budget 100, room 100
    { D: 1000, m: 100, M: 100, next: blocked },
  ])('D = $D, ($m, $M) → $next', ({ D, m, M, next }) => {
    const step = firstStep(D, m, M);
    if (next === blocked) {
      expect(step.kind).toBe('Blocked');
      if (step.kind === 'Blocked') {
        expect(step.reason).toBe(
          `MinHealthyPercent 100 and MaxPercent 100 leave no room: ${D} of ${D} tasks ready, at least ${D} must stay ready and at most ${D} may run (raise MaxPercent above 100 or lower MinHealthyPercent below 100)`,
        );
      }
      return;
    }
    expect(step.kind).toBe('Scale');
    if (step.kind === 'Scale') expect([step.target, ...step.olds]).toEqual(next);
  });

  it('the old set names what it stops: D = 10, (50, 100) stops 5 ready tasks', () => {
    // budget 10 − 5 = 5: every task ready, so 0 not ready and 5 ready ones.
    const step = firstStep(10, 50, 100);
    expect(step).toMatchObject({ kind: 'Scale', moves: [{ id: 'old', from: 10, to: 5, stopUnready: 0, stopReady: 5 }] });
  });
});

describe('planRolling: readiness, placement and several old sets', () => {
  const plan = (over: Partial<RollingInput>) =>
    planRolling({ desiredCount: 10, minHealthyPercent: 90, maxPercent: 110, target: set('new', 0), olds: [set('old', 10)], ...over });

  it('old tasks that are not ready go first, for free, and are not counted toward the floor', () => {
    // D = 10, (90, 110): min 9, max 11. Old 10 running, 8 ready → the 2 go (10 → 8, free); counted 8 < 9:
    // no ready one may go. Footprint: the old set max(8, 10) = 10 (2 stopping) → room 11 − 10 = 1 → new 1.
    const step = plan({ olds: [set('old', 10, 10, 8)] });
    expect(step).toEqual({
      kind: 'Scale',
      target: 1,
      olds: [8],
      moves: [
        { id: 'new', from: 0, to: 1, stopUnready: 0, stopReady: 0 },
        { id: 'old', from: 10, to: 8, stopUnready: 2, stopReady: 0 },
      ],
      limits: { desiredCount: 10, minReady: 9, maxRunning: 11 },
    });
  });

  it('old tasks not placed yet are dropped from the scale for free, and free their place at once', () => {
    // D = 10, (100, 120): min 10, max 12. Old scale 10, 8 running and ready → 8 (nothing to stop);
    // counted 8 < 10: budget 0. Footprint old 8 → room 12 − 8 = 4 → new 4.
    const step = plan({ minHealthyPercent: 100, maxPercent: 120, olds: [set('old', 10, 8, 8)] });
    expect(step).toMatchObject({ kind: 'Scale', target: 4, olds: [8], moves: [{ id: 'new', to: 4 }, { id: 'old', from: 10, to: 8, stopUnready: 0, stopReady: 0 }] });
  });

  it('the new set with unready tasks does not grow beyond the room', () => {
    // D = 10, (100, 150): min 10, max 15. New 5 running, 2 ready; old 10 ready. Counted 2 + 10 = 12 →
    // budget 2: old 10 → 8. Footprint: old max(8, 10) = 10 → new may hold 15 − 10 = 5, it has 5: no growth.
    const step = plan({ minHealthyPercent: 100, maxPercent: 150, target: set('new', 5, 5, 2), olds: [set('old', 10)] });
    expect(step).toMatchObject({ kind: 'Scale', target: 5, olds: [8], moves: [{ id: 'old', from: 10, to: 8, stopUnready: 0, stopReady: 2 }] });
  });

  it('several old sets drain oldest first', () => {
    // D = 10, (50, 100): min 5, max 10. Old sets 4 and 6, all ready: counted 10, budget 5 → the first
    // 4 → 0 (4), the second 6 → 5 (1). Footprint 4 + 6 = 10 → room 0.
    const step = plan({ minHealthyPercent: 50, maxPercent: 100, olds: [set('old-1', 4), set('old-2', 6)] });
    expect(step).toMatchObject({ kind: 'Scale', target: 0, olds: [0, 5] });
  });

  it('tasks still stopping hold their place: nothing moves, it waits', () => {
    // D = 10, (50, 100): old 5 ready + 5 stopping, new 0. Counted 5 = min 5: budget 0; footprint 5 + 5 = 10
    // → room 0.
    const step = plan({ minHealthyPercent: 50, maxPercent: 100, olds: [set('old', 5, 5, 5, 5)] });
    expect(step).toEqual({
      kind: 'Wait',
      reason: 'waiting for tasks: 5 stopping; 5 ready (at least 5), 10 running (at most 10)',
      limits: { desiredCount: 10, minReady: 5, maxRunning: 10 },
    });
  });

  it('the new set at D, old sets gone, tasks not ready yet → Wait; all ready → Converged', () => {
    // D = 10, (100, 200): new 10 running, 7 ready.
    const waiting = plan({ minHealthyPercent: 100, maxPercent: 200, target: set('new', 10, 10, 7), olds: [set('old', 0)] });
    expect(waiting).toMatchObject({ kind: 'Wait', reason: 'waiting for tasks: 3 not ready; 7 ready (at least 10), 10 running (at most 20)' });
    const done = plan({ minHealthyPercent: 100, maxPercent: 200, target: set('new', 10), olds: [set('old', 0)] });
    expect(done.kind).toBe('Converged');
    expect(describeRollingStep(done)).toBe('converged: 10 ready tasks of the new revision');
  });

  it('m = M = 100 with nothing old is not blocked: the first deployment fills the room', () => {
    // D = 10, (100, 100): min 10, max 10; no old task → room 10.
    const step = plan({ minHealthyPercent: 100, maxPercent: 100, olds: [] });
    expect(step).toMatchObject({ kind: 'Scale', target: 10, olds: [] });
  });

  it('D = 0: every set goes to 0 at once, then Converged', () => {
    // min 0, max 0: budget = every ready task.
    const step = plan({ desiredCount: 0, target: set('new', 5), olds: [set('old', 10)] });
    expect(step).toMatchObject({ kind: 'Scale', target: 0, olds: [0] });
    expect(plan({ desiredCount: 0, target: set('new', 0), olds: [set('old', 0)] }).kind).toBe('Converged');
  });

  it('a configuration outside the rules is Blocked with what is wrong', () => {
    expect(plan({ maxPercent: 90 })).toMatchObject({ kind: 'Blocked', reason: 'MaxPercent 90 is below 100: a rolling deployment needs room for the tasks it keeps' });
    expect(plan({ minHealthyPercent: 120 })).toMatchObject({ kind: 'Blocked', reason: 'MinHealthyPercent 120 is not between 0 and 100' });
  });
});

describe('planRolling: scale-environment mid-deployment (the arithmetic follows the new D)', () => {
  it('D 10 → 4 at (100, 150): the new set comes down to 4, the old set goes', () => {
    // min ceil(4) = 4, max floor(6) = 6. New 5 → 4 (free: 4 ready ≥ 4); counted 4 + 10 = 14 → budget 10
    // → old 0. Footprint max(4, 5) + 10 = 15 > 6: no growth.
    const step = planRolling({ desiredCount: 4, minHealthyPercent: 100, maxPercent: 150, target: set('new', 5), olds: [set('old', 10)] });
    expect(step).toMatchObject({
      kind: 'Scale',
      target: 4,
      olds: [0],
      moves: [
        { id: 'new', from: 5, to: 4, stopUnready: 0, stopReady: 1 },
        { id: 'old', from: 10, to: 0, stopUnready: 0, stopReady: 10 },
      ],
    });
  });

  it('D 10 → 20 at (100, 200): the new set grows to the new D, the old set waits for the floor', () => {
    // min 20, max 40. New 5 ready, old 5 ready: counted 10 < 20, budget 0. Footprint old 5 → room 35 → new 20.
    const step = planRolling({ desiredCount: 20, minHealthyPercent: 100, maxPercent: 200, target: set('new', 5), olds: [set('old', 5)] });
    expect(step).toMatchObject({ kind: 'Scale', target: 20, olds: [5] });
  });
});

// ── A small model of ECS task sets: a scale-down stops the tasks the step names (not-ready ones first),
// a scale-up launches PENDING tasks, a stopped task is gone at the next tick, a PENDING one turns ready
// when the test says. ──

interface SimTask {
  ready: boolean;
}
interface SimSet {
  id: string;
  scale: number;
  kept: SimTask[];
  stopping: number;
}

class Sim {
  target: SimSet;
  olds: SimSet[];
  constructor(
    public D: number,
    public m: number,
    public M: number,
    oldSizes: number[],
    newStart = { scale: 0, ready: 0 },
  ) {
    const tasks = (n: number, ready: number) => Array.from({ length: n }, (_, i) => ({ ready: i < ready }));
    this.target = { id: 'new', scale: newStart.scale, kept: tasks(newStart.scale, newStart.ready), stopping: 0 };
    this.olds = oldSizes.map((n, i) => ({ id: `old-${i + 1}`, scale: n, kept: tasks(n, n), stopping: 0 }));
  }
  private view(s: SimSet): TaskSetView {
    return { id: s.id, scale: s.scale, running: s.kept.length, ready: s.kept.filter((t) => t.ready).length, stopping: s.stopping };
  }
  input(): RollingInput {
    return { desiredCount: this.D, minHealthyPercent: this.m, maxPercent: this.M, target: this.view(this.target), olds: this.olds.map((o) => this.view(o)) };
  }
  get all(): SimSet[] {
    return [this.target, ...this.olds];
  }
  ready(): number {
    return this.all.reduce((n, s) => n + s.kept.filter((t) => t.ready).length, 0);
  }
  /** Tasks PENDING, RUNNING or STOPPING: what MaxPercent bounds. */
  running(): number {
    return this.all.reduce((n, s) => n + s.kept.length + s.stopping, 0);
  }
  settled(): boolean {
    return this.all.every((s) => s.stopping === 0 && s.kept.length === s.scale && s.kept.every((t) => t.ready));
  }
  apply(step: Extract<RollingStep, { kind: 'Scale' }>): void {
    for (const move of step.moves) {
      const s = this.all.find((x) => x.id === move.id);
      if (!s) throw new Error(`no set ${move.id}`);
      expect(s.scale).toBe(move.from);
      s.scale = move.to;
      for (const [count, ready] of [
        [move.stopUnready, false],
        [move.stopReady, true],
      ] as const) {
        for (let i = 0; i < count; i++) {
          const at = s.kept.findIndex((t) => t.ready === ready);
          expect(at).toBeGreaterThanOrEqual(0);
          s.kept.splice(at, 1);
          s.stopping++;
        }
      }
      expect(s.kept.length).toBeLessThanOrEqual(s.scale);
    }
    for (const s of this.all) while (s.kept.length < s.scale) s.kept.push({ ready: false });
  }
  /** Stopped tasks are gone; `turnReady` of the PENDING ones turn ready (all with `Infinity`). */
  tick(turnReady: number): void {
    let left = turnReady;
    for (const s of this.all) {
      s.stopping = 0;
      for (const t of s.kept) {
        if (!t.ready && left > 0) {
          t.ready = true;
          left--;
        }
      }
    }
  }
}

/** Plans and applies one step, checking the invariants against the limits of the current D. */
function stepAndCheck(sim: Sim): RollingStep {
  const before = { ready: sim.ready(), running: sim.running(), target: sim.target.scale, olds: sim.olds.map((o) => o.scale) };
  const step = planRolling(sim.input());
  if (step.kind !== 'Scale') return step;
  const { minReady, maxRunning } = step.limits;
  expect(step.target).toBeLessThanOrEqual(sim.D);
  step.olds.forEach((scale, i) => expect(scale).toBeLessThanOrEqual(before.olds[i] ?? 0));
  sim.apply(step);
  // Ready never drops below the floor (nor below what there was, when below the floor already).
  expect(sim.ready()).toBeGreaterThanOrEqual(Math.min(before.ready, minReady));
  // Running never above the ceiling (nor above what there was, when D was lowered), and never above
  // the ceiling when the new set grew.
  expect(sim.running()).toBeLessThanOrEqual(Math.max(before.running, maxRunning));
  if (step.target > before.target) expect(sim.running()).toBeLessThanOrEqual(maxRunning);
  return step;
}

/** Walks until Converged or Blocked; returns each step's [new, old…] scales (or its kind). */
function walk(sim: Sim, options: { maxSteps?: number; turnReady?: (tick: number) => number; before?: (tick: number) => void } = {}): Array<number[] | string> {
  const seen: Array<number[] | string> = [];
  for (let tick = 0; tick < (options.maxSteps ?? 1000); tick++) {
    options.before?.(tick);
    const step = stepAndCheck(sim);
    if (step.kind === 'Converged' || step.kind === 'Blocked') {
      seen.push(step.kind);
      return seen;
    }
    seen.push(step.kind === 'Scale' ? [step.target, ...step.olds] : step.kind);
    sim.tick(options.turnReady?.(tick) ?? Infinity);
  }
  return seen;
}

describe('a rollout, step by step, with tasks turning ready', () => {
  it('D = 4, (50, 150): two steps', () => {
    // min 2, max 6. Step 1: budget 4 − 2 = 2 → old 2; footprint old 4 (2 stopping) → room 2 → new 2.
    // Tick: the 2 stopped are gone, the 2 new are ready. Step 2: counted 4 → budget 2 → old 0; footprint
    // old 2 (stopping) → room 4 → new 4. Tick. Step 3: Converged.
    expect(walk(new Sim(4, 50, 150, [4]))).toEqual([[2, 2], [4, 0], 'Converged']);
  });

  it('D = 10, (90, 110): one task at a time', () => {
    // min 9, max 11. Step n (n = 1…10): counted 10 → budget 1 → old 10 − n; footprint (10 − n) + 1
    // stopping → room 11 − (11 − n) … the new set grows to n. Step 11: Converged.
    const expected = [...Array.from({ length: 10 }, (_, i) => [i + 1, 9 - i]), 'Converged'];
    expect(walk(new Sim(10, 90, 110, [10]))).toEqual(expected);
  });

  it('D = 10, (90, 110), new tasks slow to turn ready: it waits, and never breaks the limits', () => {
    // Ready one tick in three: the walk is longer, the invariants are checked at every step.
    const steps = walk(new Sim(10, 90, 110, [10]), { turnReady: (tick) => (tick % 3 === 2 ? Infinity : 0) });
    expect(steps.at(-1)).toBe('Converged');
    expect(steps).toContain('Wait');
  });

  it('D = 3, (100, 100): Blocked at once', () => {
    expect(walk(new Sim(3, 100, 100, [3]))).toEqual(['Blocked']);
  });

  it('scale-environment mid-deployment, D 10 → 4 at (100, 200)', () => {
    // D = 10: min 10, max 20 → new 10, old 10. Tick: new 10 ready. D = 4: min 4, max 8 → new 10 → 4
    // (free), counted 4 + 10 = 14 → budget 10 → old 0. Tick. Converged.
    const sim = new Sim(10, 100, 200, [10]);
    expect(walk(sim, { before: (tick) => tick === 1 && (sim.D = 4) })).toEqual([[10, 10], [4, 0], 'Converged']);
  });

  it('scale-environment mid-deployment, D 4 → 8 at (100, 200)', () => {
    // D = 4: min 4, max 8 → new 4, old 4. Tick. D = 8: min 8, max 16; counted 4 + 4 = 8 → budget 0;
    // footprint old 4 → room 12 → new 8. Tick: 8 ready. Counted 12 → budget 4 → old 0. Tick. Converged.
    const sim = new Sim(4, 100, 200, [4]);
    expect(walk(sim, { before: (tick) => tick === 1 && (sim.D = 8) })).toEqual([[4, 4], [8, 4], [8, 0], 'Converged']);
  });
});

describe('property: over random D, m, M, old sets and readiness', () => {
  it('the limits hold at every step, and it converges once tasks turn ready (Blocked only at m = M = 100)', () => {
    fc.assert(
      fc.property(
        fc.record({
          D: fc.integer({ min: 0, max: 40 }),
          // Edge values often: rounding is where the limits bite.
          m: fc.oneof(fc.constantFrom(0, 50, 90, 99, 100), fc.integer({ min: 0, max: 100 })),
          M: fc.oneof(fc.constantFrom(100, 101, 110, 150, 200), fc.integer({ min: 100, max: 200 })),
          olds: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 0, maxLength: 3 }),
          newStart: fc.integer({ min: 0, max: 40 }),
          newReady: fc.integer({ min: 0, max: 40 }),
          readiness: fc.array(fc.nat({ max: 5 }), { maxLength: 60 }),
          rescale: fc.option(fc.record({ at: fc.nat({ max: 6 }), D: fc.integer({ min: 0, max: 40 }) }), { nil: undefined }),
        }),
        ({ D, m, M, olds, newStart, newReady, readiness, rescale }) => {
          const start = Math.min(newStart, D);
          const sim = new Sim(D, m, M, olds, { scale: start, ready: Math.min(newReady, start) });
          const maxSteps = readiness.length + 6 * 40 + 6 * 120 + 40;
          let blocked = false;
          let converged = false;
          for (let tick = 0; tick < maxSteps; tick++) {
            if (rescale && tick === rescale.at) sim.D = rescale.D;
            const settled = sim.settled();
            const step = stepAndCheck(sim);
            if (step.kind === 'Converged') {
              converged = true;
              break;
            }
            if (step.kind === 'Blocked') {
              blocked = true;
              expect([sim.m, sim.M]).toEqual([100, 100]);
              break;
            }
            // Nothing in flight: a step that is not Converged or Blocked always moves.
            if (settled) expect(step.kind).toBe('Scale');
            sim.tick(tick < readiness.length ? (readiness[tick] ?? 0) : Infinity);
          }
          expect(converged || blocked).toBe(true);
          if (converged) {
            expect(sim.target.kept.length).toBe(sim.D);
            expect(sim.olds.every((o) => o.kept.length === 0 && o.scale === 0)).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
