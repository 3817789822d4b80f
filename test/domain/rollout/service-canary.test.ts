/**
 * Service Canary with traffic routing: one plan's arithmetic (tables worked out by hand), a walk
 * through the DESIGN's example schedule, and a property over random step lists, desired counts,
 * readiness and promotions: weight only ever moves to a canary with the ready tasks its share needs
 * (never to a group without a healthy target), never goes down, and the schedule ends Shifted at 100.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanaryInput, CanaryStep } from '../../../domain/rollout/service-canary';
import { canarySchedule, canaryTasks, planCanary } from '../../../domain/rollout/service-canary';

const T0 = 1_000_000;
const STEPS: CanaryStep[] = [{ SetWeight: 10 }, { Pause: { Seconds: 300 } }, { SetWeight: 50 }, { Pause: {} }];

const input = (over: Partial<CanaryInput>): CanaryInput => ({
  steps: STEPS,
  step: 0,
  stepStartedAt: T0,
  desiredCount: 10,
  canary: { scale: 0, ready: 0 },
  weight: { value: 0, inSync: true },
  now: T0,
  ...over,
});

describe('canaryTasks: max(1, ceil(D × w / 100)), at most D', () => {
  it.each([
    [10, 10, 1], //  ceil(1) = 1
    [10, 50, 5],
    [10, 100, 10],
    [10, 0, 1], //   at least one task, even at weight 0
    [3, 20, 1], //   ceil(0.6) = 1
    [3, 34, 2], //   ceil(1.02) = 2
    [3, 33, 1], //   ceil(0.99) = 1
    [1000, 5, 50],
    [7, 15, 2], //   ceil(1.05) = 2
    [0, 50, 0], //   a service scaled to 0 has no canary
  ])('D = %i, weight %i → %i tasks', (D, w, tasks) => {
    expect(canaryTasks(D, w)).toBe(tasks);
  });
});

describe('canarySchedule: SetWeight 100 is implied at the end', () => {
  it.each([
    [[{ SetWeight: 10 }], [{ SetWeight: 10 }, { SetWeight: 100 }]],
    [[{ SetWeight: 10 }, { SetWeight: 100 }], [{ SetWeight: 10 }, { SetWeight: 100 }]],
    [[{ SetWeight: 100 }, { Pause: {} }], [{ SetWeight: 100 }, { Pause: {} }, { SetWeight: 100 }]],
    [[], [{ SetWeight: 100 }]],
  ] as Array<[CanaryStep[], CanaryStep[]]>)('%j → %j', (steps, schedule) => {
    expect(canarySchedule(steps)).toEqual(schedule);
  });
});

describe('planCanary: one plan (D = 10, Steps [SetWeight 10, Pause 300 s, SetWeight 50, Pause {}] + SetWeight 100)', () => {
  it.each([
    ['no canary yet: scale it to 1 first', input({}), { step: 0, stepStartedAt: T0, move: { kind: 'ScaleCanary', to: 1, reason: 'step 1/5 (SetWeight 10): the canary needs 1 ready task before traffic moves' } }],
    ['1 task, not ready: no traffic moves', input({ canary: { scale: 1, ready: 0 } }), { step: 0, stepStartedAt: T0, move: { kind: 'Wait', reason: 'step 1/5 (SetWeight 10): 0 of 1 canary tasks ready; no traffic moves before' } }],
    ['1 ready: set 10 / 90', input({ canary: { scale: 1, ready: 1 } }), { step: 0, stepStartedAt: T0, move: { kind: 'SetWeight', weight: 10, reason: 'step 1/5 (SetWeight 10): canary 10 %, stable 90 %' } }],
    ['10 set, not yet in sync (Route 53 PENDING): wait', input({ canary: { scale: 1, ready: 1 }, weight: { value: 10, inSync: false } }), { step: 0, stepStartedAt: T0, move: { kind: 'Wait', reason: 'step 1/5 (SetWeight 10): the weights are set, waiting for the change to be in sync' } }],
    ['10 read back in sync at T0 + 5 s: the pause starts then, 300 s', input({ canary: { scale: 1, ready: 1 }, weight: { value: 10, inSync: true }, now: T0 + 5_000 }), { step: 1, stepStartedAt: T0 + 5_000, move: { kind: 'Wait', reason: 'step 2/5: paused for 300 s', until: T0 + 305_000 } }],
    ['the pause 1 s short of its end', input({ step: 1, stepStartedAt: T0, canary: { scale: 1, ready: 1 }, weight: { value: 10, inSync: true }, now: T0 + 299_000 }), { step: 1, stepStartedAt: T0, move: { kind: 'Wait', reason: 'step 2/5: paused for 300 s', until: T0 + 300_000 } }],
    ['the pause over: SetWeight 50 needs 5 tasks first', input({ step: 1, stepStartedAt: T0, canary: { scale: 1, ready: 1 }, weight: { value: 10, inSync: true }, now: T0 + 300_000 }), { step: 2, stepStartedAt: T0 + 300_000, move: { kind: 'ScaleCanary', to: 5, reason: 'step 3/5 (SetWeight 50): the canary needs 5 ready tasks before traffic moves' } }],
    ['a timed pause promoted early', input({ step: 1, stepStartedAt: T0, promoted: 'step', canary: { scale: 1, ready: 1 }, weight: { value: 10, inSync: true }, now: T0 + 10_000 }), { step: 2, stepStartedAt: T0 + 10_000, move: { kind: 'ScaleCanary', to: 5, reason: 'step 3/5 (SetWeight 50): the canary needs 5 ready tasks before traffic moves' } }],
    ['50 in sync: the indefinite pause waits for promote-deployment', input({ step: 2, canary: { scale: 5, ready: 5 }, weight: { value: 50, inSync: true }, now: T0 + 400_000 }), { step: 3, stepStartedAt: T0 + 400_000, move: { kind: 'Wait', reason: 'step 4/5: paused until promote-deployment', until: undefined } }],
    ['the indefinite pause, an hour later: still waiting', input({ step: 3, canary: { scale: 5, ready: 5 }, weight: { value: 50, inSync: true }, now: T0 + 3_600_000 }), { step: 3, stepStartedAt: T0, move: { kind: 'Wait', reason: 'step 4/5: paused until promote-deployment', until: undefined } }],
    ['promoted: the implied SetWeight 100 scales the canary to D', input({ step: 3, promoted: 'step', canary: { scale: 5, ready: 5 }, weight: { value: 50, inSync: true }, now: T0 + 500 }), { step: 4, stepStartedAt: T0 + 500, move: { kind: 'ScaleCanary', to: 10, reason: 'step 5/5 (SetWeight 100): the canary needs 10 ready tasks before traffic moves' } }],
    ['10 of 10 ready: all traffic to the canary', input({ step: 4, canary: { scale: 10, ready: 10 }, weight: { value: 50, inSync: true } }), { step: 4, stepStartedAt: T0, move: { kind: 'SetWeight', weight: 100, reason: 'step 5/5 (SetWeight 100): canary 100 %, stable 0 %' } }],
    ['100 read back: Shifted (the service plan bakes, then retires the stable set)', input({ step: 4, canary: { scale: 10, ready: 10 }, weight: { value: 100, inSync: true } }), { step: 4, stepStartedAt: T0, move: { kind: 'Shifted' } }],
    ['promote --full at step 1: straight to the last step', input({ step: 1, promoted: 'full', canary: { scale: 1, ready: 1 }, weight: { value: 10, inSync: true }, now: T0 + 7_000 }), { step: 4, stepStartedAt: T0 + 7_000, move: { kind: 'ScaleCanary', to: 10, reason: 'step 5/5 (SetWeight 100): the canary needs 10 ready tasks before traffic moves' } }],
    ['a promotion given at a SetWeight step does not end the pause after it', input({ step: 0, promoted: 'step', canary: { scale: 1, ready: 1 }, weight: { value: 10, inSync: true }, now: T0 + 1_000 }), { step: 1, stepStartedAt: T0 + 1_000, move: { kind: 'Wait', reason: 'step 2/5: paused for 300 s', until: T0 + 301_000 } }],
    ['the canary lost its task after 10 was set: the step holds (no pause starts) until ECS replaces it', input({ step: 0, canary: { scale: 1, ready: 0 }, weight: { value: 10, inSync: true }, now: T0 + 1_000 }), { step: 0, stepStartedAt: T0, move: { kind: 'Wait', reason: 'step 1/5 (SetWeight 10): 0 of 1 canary tasks ready; no traffic moves before' } }],
    ['a first deployment: its group already has 100, the step still waits for D ready tasks', input({ steps: [], canary: { scale: 0, ready: 0 }, weight: { value: 100, inSync: true } }), { step: 0, stepStartedAt: T0, move: { kind: 'ScaleCanary', to: 10, reason: 'step 1/1 (SetWeight 100): the canary needs 10 ready tasks before traffic moves' } }],
  ])('%s', (_name, given, expected) => {
    expect(planCanary(given)).toEqual(expected);
  });
});

describe('planCanary: property over random step lists, D, readiness and promotions', () => {
  const stepArb: fc.Arbitrary<CanaryStep> = fc.oneof(
    fc.integer({ min: 0, max: 100 }).map((w) => ({ SetWeight: w })),
    fc.integer({ min: 0, max: 600 }).map((s) => ({ Pause: { Seconds: s } })),
    fc.constant({ Pause: {} }),
  );
  /** Steps as the spec allows them: SetWeight never goes down. */
  const stepsArb = fc.array(stepArb, { maxLength: 8 }).map((steps) => {
    let top = 0;
    return steps.map((s) => ('SetWeight' in s ? { SetWeight: (top = Math.max(top, s.SetWeight)) } : s));
  });

  it('weight moves only to a canary with the ready tasks its share needs, never down, and ends Shifted at 100 with D ready', () => {
    fc.assert(
      fc.property(
        stepsArb,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 120 }), //  seconds a canary task takes to turn ready
        fc.integer({ min: 0, max: 90 }), //   seconds a weight change takes to be in sync (Route 53)
        fc.integer({ min: 1, max: 900 }), //  seconds until a person promotes an indefinite pause
        (steps, D, readySeconds, syncSeconds, promoteAfter) => {
          let now = T0;
          let step = 0;
          let stepStartedAt = T0;
          const canary = { scale: 0, ready: 0 };
          const starting: number[] = []; // when each not-yet-ready task turns ready
          let weight = 0;
          let syncAt = now;
          let pausedSince: number | undefined;
          for (let i = 0; i < 10_000; i++) {
            const promoted = pausedSince !== undefined && now >= pausedSince + promoteAfter * 1000 ? 'step' : undefined;
            const planned = planCanary({ steps, step, stepStartedAt, promoted, desiredCount: D, canary: { ...canary }, weight: { value: weight, inSync: now >= syncAt }, now });
            if (planned.step !== step) pausedSince = undefined;
            step = planned.step;
            stepStartedAt = planned.stepStartedAt;
            const move = planned.move;
            switch (move.kind) {
              case 'Shifted':
                expect(weight).toBe(100);
                expect(canary.ready).toBe(D);
                return;
              case 'ScaleCanary':
                expect(move.to).toBeGreaterThan(canary.scale); // it only grows
                expect(move.to).toBeLessThanOrEqual(D);
                for (let n = canary.scale; n < move.to; n++) starting.push(now + readySeconds * 1000);
                canary.scale = move.to;
                break;
              case 'SetWeight':
                expect(move.weight).toBeGreaterThan(weight); // never down
                expect(canary.ready).toBeGreaterThanOrEqual(Math.max(1, Math.ceil((D * move.weight) / 100 - 1e-9)));
                expect(canary.ready).toBeGreaterThan(0); // never to a group without a healthy target
                weight = move.weight;
                syncAt = now + syncSeconds * 1000;
                break;
              case 'Wait':
                if (move.until === undefined && move.reason.includes('until promote-deployment')) pausedSince ??= now;
                now += 1_000;
                break;
              default: {
                const never: never = move;
                throw new Error(`unexpected ${JSON.stringify(never)}`);
              }
            }
            // Tasks turn ready as their time comes.
            for (let k = starting.length - 1; k >= 0; k--) {
              if (starting[k]! <= now) {
                canary.ready += 1;
                starting.splice(k, 1);
              }
            }
          }
          throw new Error('the schedule never ended');
        },
      ),
      { numRuns: 300 },
    );
  });
});
