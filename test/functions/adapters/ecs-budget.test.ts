/** The in-memory `EcsBudget` (harness and local stack): the port's contract, and first come, first served. */
import { describe, expect, it } from 'vitest';
import { InMemoryEcsBudget } from '../../../functions/adapters/ecs-budget';
import { VirtualClock } from '../../../local/sim/clock';
import { ecsBudgetContract, settleWhile, track } from './ecs-budget-contract';

function bed() {
  const clock = new VirtualClock();
  const budget = new InMemoryEcsBudget({ clock });
  return { clock, budget, budgets: [budget, budget] as [InMemoryEcsBudget, InMemoryEcsBudget], settle: () => settleWhile(() => false) };
}

ecsBudgetContract('in memory', async () => bed());

describe('InMemoryEcsBudget', () => {
  it('serves takes in arrival order: a small take does not overtake a waiting listing', async () => {
    const { clock, budget, settle } = bed();
    const t0 = clock.now();
    await budget.take('default', 'cluster-resource-read', 80);
    const listing = track(budget.take('default', 'cluster-resource-read', 50)); // 50 / 16 per s = 3125 ms
    const small = track(budget.take('default', 'cluster-resource-read', 1));
    await settle();
    expect(clock.nextAt()).toBe(t0 + 3_125);
    clock.advance(3_124);
    await settle();
    expect([listing.done, small.done]).toEqual([false, false]); // 49.98 tokens: enough for `small`, not its turn
    clock.advance(1);
    await settle();
    expect([listing.done, small.done]).toEqual([true, false]);
    clock.advance(63);
    await settle();
    expect(small.done).toBe(true);
  });

  it('a refund serves the waiting takes at once', async () => {
    const { budget, settle } = bed();
    await budget.take('default', 'cluster-resource-modify', 80);
    const waiting = track(budget.take('default', 'cluster-resource-modify', 10));
    await settle();
    expect(waiting.done).toBe(false);
    await budget.adjust('default', 'cluster-resource-modify', -10);
    await settle();
    expect(waiting.done).toBe(true);
  });
});
