/**
 * The contract of the `EcsBudget` port, run on every adapter (in memory: `ecs-budget.test.ts`;
 * DynamoDB Local: `dynamo-ecs-budget.test.ts`). On a virtual clock: time moves only when a test
 * moves it; `settle()` lets every pending promise and store request finish first.
 *
 * Limits are `ECS_BUDGET_LIMITS`: reads 80 at once and 16/s (one token every 62.5 ms: a wait of
 * 63 whole ms), StartTask/StopTask 80 at once and 32/s.
 */
import { describe, expect, it } from 'vitest';
import type { EcsBudget } from '../../../functions/ecs-budget-port';
import { ECS_BUDGET_LIMITS } from '../../../functions/ecs-budget-port';
import type { VirtualClock } from '../../../local/sim/clock';

export interface BudgetBed {
  clock: VirtualClock;
  /** Two handles on ONE budget (the same object in memory; two adapters, "two Lambda containers", on DynamoDB). */
  budgets: [EcsBudget, EcsBudget];
  /** Resolves once no promise and no store request is left pending. */
  settle(): Promise<void>;
}

/** A promise with its outcome observable without awaiting it. */
export function track(promise: Promise<void>): { done: boolean; error: unknown; promise: Promise<void> } {
  const tracked = { done: false, error: undefined as unknown, promise };
  promise.then(
    () => void (tracked.done = true),
    (error: unknown) => void (tracked.error = error),
  );
  return tracked;
}

const READ = 'cluster-resource-read';
const MODIFY = 'cluster-resource-modify';

export function ecsBudgetContract(name: string, bed: () => Promise<BudgetBed>): void {
  describe(`EcsBudget contract: ${name}`, () => {
    it('uses 80 % of ECS`s limits by default', () => {
      expect(ECS_BUDGET_LIMITS).toEqual({
        'cluster-resource-read': { burst: 80, sustainedPerSecond: 16 },
        'cluster-resource-modify': { burst: 80, sustainedPerSecond: 32 },
        'service-read': { burst: 80, sustainedPerSecond: 16 },
        'service-modify': { burst: 40, sustainedPerSecond: 4 },
      });
    });

    it('a full bucket gives its burst at once, then waits for the refill (16/s: 63 ms for one call)', async () => {
      const { clock, budgets, settle } = await bed();
      const t0 = clock.now();
      await budgets[0].take('default', READ, 80);
      expect(clock.now()).toBe(t0);
      const one = track(budgets[0].take('default', READ, 1));
      await settle();
      expect(one.done).toBe(false);
      expect(clock.nextAt()).toBe(t0 + 63);
      clock.advance(62);
      await settle();
      expect(one.done).toBe(false);
      clock.advance(1);
      await settle();
      expect(one.done).toBe(true);
    });

    it('keeps one bucket per cluster and per ECS bucket (modify refills at 32/s)', async () => {
      const { clock, budgets, settle } = await bed();
      const t0 = clock.now();
      await budgets[0].take('default', READ, 80);
      await budgets[0].take('default', MODIFY, 80);
      await budgets[0].take('other', READ, 80);
      const two = track(budgets[0].take('default', MODIFY, 2)); // 2 / 32 per s = 62.5 ms
      await settle();
      expect(clock.nextAt()).toBe(t0 + 63);
      clock.advance(63);
      await settle();
      expect(two.done).toBe(true);
    });

    it('refills up to the burst only', async () => {
      const { clock, budgets, settle } = await bed();
      await budgets[0].take('default', READ, 80);
      clock.advance(3_600_000);
      const t1 = clock.now();
      await budgets[0].take('default', READ, 80);
      const one = track(budgets[0].take('default', READ, 1));
      await settle();
      expect(one.done).toBe(false);
      expect(clock.nextAt()).toBe(t1 + 63);
    });

    it('a take beyond the burst waits for a full bucket and leaves a deficit that later takes wait out', async () => {
      const { clock, budgets, settle } = await bed();
      const t0 = clock.now();
      await budgets[0].take('default', READ, 80);
      const listing = track(budgets[0].take('default', READ, 100)); // a full bucket: 80 / 16 per s = 5 s
      await settle();
      expect(clock.nextAt()).toBe(t0 + 5_000);
      clock.advance(5_000);
      await settle();
      expect(listing.done).toBe(true);
      const one = track(budgets[0].take('default', READ, 1)); // from −20: 21 / 16 per s = 1312.5 ms
      await settle();
      expect(clock.nextAt()).toBe(t0 + 5_000 + 1_313);
      clock.advance(1_312);
      await settle();
      expect(one.done).toBe(false);
      clock.advance(1);
      await settle();
      expect(one.done).toBe(true);
    });

    it('adjust: calls beyond the take leave a deficit; calls short of it come back, never beyond the burst', async () => {
      const { clock, budgets, settle } = await bed();
      const t0 = clock.now();
      await budgets[0].take('a', READ, 80);
      await budgets[0].adjust('a', READ, 8); // −8: one more call waits 9 / 16 per s = 562.5 ms
      const one = track(budgets[0].take('a', READ, 1));
      await settle();
      expect(clock.nextAt()).toBe(t0 + 563);

      await budgets[0].take('b', READ, 80);
      await budgets[0].adjust('b', READ, -30);
      await budgets[0].take('b', READ, 30);

      await budgets[0].adjust('c', READ, -50); // already full
      await budgets[0].take('c', READ, 80);
      const more = track(budgets[0].take('c', READ, 1));
      await settle();
      expect(more.done).toBe(false);
      expect(one.done).toBe(false);
      clock.advance(63);
      await settle();
      expect(more.done).toBe(true);
      expect(one.done).toBe(false);
      clock.advance(500);
      await settle();
      expect(one.done).toBe(true);
    });

    it('two handles share the budget', async () => {
      const { clock, budgets, settle } = await bed();
      const t0 = clock.now();
      await budgets[0].take('default', MODIFY, 80);
      const other = track(budgets[1].take('default', MODIFY, 1)); // 1 / 32 per s = 31.25 ms
      await settle();
      expect(other.done).toBe(false);
      expect(clock.nextAt()).toBe(t0 + 32);
      clock.advance(32);
      await settle();
      expect(other.done).toBe(true);
    });

    it('concurrent takes through both handles never hand out more than the burst', async () => {
      const { clock, budgets, settle } = await bed();
      const t0 = clock.now();
      const takes = Array.from({ length: 41 }, (_, i) => track(budgets[i % 2]!.take('default', READ, 2)));
      await settle();
      expect(takes.filter((take) => take.done)).toHaveLength(40);
      expect(takes.filter((take) => take.error !== undefined)).toEqual([]);
      expect(clock.nextAt()).toBe(t0 + 125); // the 41st: 2 / 16 per s
      clock.advance(125);
      await settle();
      expect(takes.every((take) => take.done)).toBe(true);
    });

    it('takes 0 calls at once; refuses a negative or fractional number of calls', async () => {
      const { budgets } = await bed();
      await budgets[0].take('default', READ, 0);
      await expect(async () => budgets[0].take('default', READ, -1)).rejects.toThrow(RangeError);
      await expect(async () => budgets[0].take('default', READ, 1.5)).rejects.toThrow(RangeError);
      await expect(async () => budgets[0].adjust('default', READ, 0.5)).rejects.toThrow(RangeError);
    });
  });
}

/** Yields to the event loop until `busy()` has been false for three turns in a row. */
export async function settleWhile(busy: () => boolean): Promise<void> {
  for (let quiet = 0; quiet < 3; ) {
    await new Promise((resolve) => setImmediate(resolve));
    quiet = busy() ? 0 : quiet + 1;
  }
}
