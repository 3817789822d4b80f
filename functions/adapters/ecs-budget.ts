/**
 * The `EcsBudget` port in memory: one instance shared by every caller of the process (the harness
 * and the local stack, where every environment deploys in one process). In AWS, where each Lambda
 * container has its own memory, `dynamo-ecs-budget.ts` shares the budget through the table.
 *
 * A token bucket per cluster and ECS bucket, `ECS_BUDGET_LIMITS` by default (80 % of ECS's:
 * cluster resource reads 80 at once and 16/s, StartTask/StopTask 80 at once and 32/s). Takes are
 * served first come, first served per bucket: a large take (a listing) is not overtaken forever by
 * small ones. Waiting is on the injected clock (`BudgetClock`: the harness's `VirtualClock`, or
 * `systemBudgetClock`), never on a fixed sleep.
 *
 * The arithmetic both adapters share is here: `budgetLevel` (refill up to the burst) and
 * `budgetWaitMs` (how long until a take can be served).
 */
import type { BudgetClock, EcsBudget, EcsRateBucket, EcsRateLimit, EcsRateLimits } from '../ecs-budget-port';
import { ECS_BUDGET_LIMITS } from '../ecs-budget-port';

/** Tolerance for float arithmetic on token levels. */
const EPSILON = 1e-9;

/** Wall time and `setTimeout`: the budget's clock in AWS. */
export const systemBudgetClock: BudgetClock = {
  now: () => Date.now(),
  schedule: (atMs, fn) => setTimeout(fn, Math.max(0, atMs - Date.now())),
};

/** A promise that resolves at `atMs` on `clock`. */
export function sleepUntil(clock: BudgetClock, atMs: number): Promise<void> {
  return new Promise((resolve) => void clock.schedule(atMs, resolve));
}

/** A bucket's level (tokens; below zero in deficit) at an instant (epoch ms). */
export interface BudgetBucketState {
  tokens: number;
  at: number;
}

/** The level at `now`: refilled at the sustained rate since `at`, up to the burst. */
export function budgetLevel(state: BudgetBucketState, limit: EcsRateLimit, now: number): number {
  return Math.min(limit.burst, state.tokens + (Math.max(0, now - state.at) * limit.sustainedPerSecond) / 1000);
}

/** The tokens a take of `calls` waits for: all of them, or a full bucket for a take beyond the burst. */
export function budgetNeed(calls: number, limit: EcsRateLimit): number {
  return Math.min(calls, limit.burst);
}

/** Whether `level` covers `need`. */
export function budgetCovers(level: number, need: number): boolean {
  return level + EPSILON >= need;
}

/** Whole milliseconds until `level` has refilled to `need` (0 when it already has). */
export function budgetWaitMs(level: number, need: number, limit: EcsRateLimit): number {
  if (budgetCovers(level, need)) return 0;
  return Math.max(1, Math.ceil(((need - level) * 1000) / limit.sustainedPerSecond));
}

/** Refuses what is not a whole number of calls (`take`: at least 0; `adjust`: any sign). */
export function checkCalls(calls: number, method: 'take' | 'adjust'): void {
  if (!Number.isInteger(calls) || (method === 'take' && calls < 0)) {
    throw new RangeError(`EcsBudget.${method}: calls must be a whole number${method === 'take' ? ' >= 0' : ''}, got ${calls}`);
  }
}

export interface InMemoryEcsBudgetOptions {
  clock: BudgetClock;
  /** Default `ECS_BUDGET_LIMITS`. */
  limits?: EcsRateLimits;
}

interface Waiter {
  calls: number;
  resolve: () => void;
}

interface Bucket {
  limit: EcsRateLimit;
  state: BudgetBucketState;
  queue: Waiter[];
  /** When the timer armed for the head of the queue fires. */
  wakeAt?: number | undefined;
}

/**
 * The budget key Blox uses: one budget for every cluster of the account and Region. ECS throttles
 * per account and Region, not per cluster, and a Blox stack drives the clusters of its own account
 * and Region: a budget per cluster would let two clusters deploying at once go over ECS's limits
 * together. (So the "per-cluster budget" is shared by all the clusters of the account.)
 */
export const ACCOUNT_BUDGET = (_cluster: string): string => 'account';

export class InMemoryEcsBudget implements EcsBudget {
  private readonly clock: BudgetClock;
  private readonly limits: EcsRateLimits;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: InMemoryEcsBudgetOptions) {
    this.clock = options.clock;
    this.limits = options.limits ?? ECS_BUDGET_LIMITS;
  }

  take(cluster: string, bucket: EcsRateBucket, calls: number): Promise<void> {
    checkCalls(calls, 'take');
    if (calls === 0) return Promise.resolve();
    const state = this.bucket(cluster, bucket);
    return new Promise((resolve) => {
      state.queue.push({ calls, resolve });
      this.serve(state);
    });
  }

  async adjust(cluster: string, bucket: EcsRateBucket, calls: number): Promise<void> {
    checkCalls(calls, 'adjust');
    if (calls === 0) return;
    const state = this.bucket(cluster, bucket);
    const now = this.clock.now();
    state.state = { tokens: Math.min(state.limit.burst, budgetLevel(state.state, state.limit, now) - calls), at: now };
    this.serve(state);
  }

  /** Serves the queue in order while the tokens last; arms a timer for the head otherwise. */
  private serve(bucket: Bucket): void {
    while (bucket.queue.length > 0) {
      const head = bucket.queue[0]!;
      const now = this.clock.now();
      const level = budgetLevel(bucket.state, bucket.limit, now);
      const need = budgetNeed(head.calls, bucket.limit);
      if (budgetCovers(level, need)) {
        bucket.state = { tokens: level - head.calls, at: now };
        bucket.queue.shift();
        head.resolve();
        continue;
      }
      const at = now + budgetWaitMs(level, need, bucket.limit);
      if (bucket.wakeAt === undefined || at < bucket.wakeAt) {
        bucket.wakeAt = at;
        this.clock.schedule(at, () => {
          if (bucket.wakeAt === at) bucket.wakeAt = undefined;
          this.serve(bucket);
        });
      }
      return;
    }
  }

  private bucket(cluster: string, bucket: EcsRateBucket): Bucket {
    const key = `${cluster}#${bucket}`;
    let state = this.buckets.get(key);
    if (!state) {
      const limit = this.limits[bucket];
      state = { limit, state: { tokens: limit.burst, at: this.clock.now() }, queue: [] };
      this.buckets.set(key, state);
    }
    return state;
  }
}
