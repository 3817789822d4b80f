/**
 * ECS's request rate limits in the simulated cluster: a token bucket per action category
 * (`ECS_RATE_LIMITS` in `functions/ecs-budget-port.ts`: cluster resource reads 100 at once and
 * 20/s, cluster resource modifications 100 at once and 40/s, service reads 100 and 20/s, service
 * modifications 50 and 5/s), per world (ECS throttles per account and Region, not per cluster), on
 * the world's clock. A service API call of the world (CreateService, CreateTaskSet, …) is one call
 * of its action's bucket (`ECS_ACTION_BUCKET`).
 *
 * A `Cluster` method of the world costs the ECS calls the real adapter would make for it
 * (`ECS_CALLS`). Those calls are made one after the other, `callSpacingMs` apart (the adapter awaits
 * each page before it asks for the next), each needing one token of its bucket at its instant, so
 * a long listing gets the refill that arrives between its pages, as it would from ECS. A call that
 * finds less than one token is throttled: the method throws ECS's `ThrottlingException`, the calls
 * before it keep their tokens spent (ECS took them), and the world's state is unchanged.
 *
 * The world answers a method at once, so all its calls are charged at its instant: the bucket is
 * left at the level ECS's would have after the method's last call, less the refill until then.
 * The level may therefore be negative for as long as a listing's later pages "are still being
 * made", during which other calls are throttled a little sooner than by ECS — never later.
 *
 * `callSpacingMs` 0 makes a method's calls simultaneous (a listing of more than `burst` calls can
 * then never succeed, which ECS does not do); the default, 30 ms, is a fast same-Region round trip:
 * smaller is harsher.
 */
import type { EcsAction, EcsCalls, EcsRateBucket, EcsRateLimit } from '../../functions/ecs-budget-port';
import { ECS_ACTION_BUCKET, ECS_RATE_BUCKETS, ECS_RATE_LIMITS } from '../../functions/ecs-budget-port';
import type { SimClock } from './clock';

export const DEFAULT_CALL_SPACING_MS = 30;

/** How the world limits its API: ECS's limits by default; `false` turns limiting off. */
export interface SimRateLimitsConfig {
  /** Per bucket, over ECS's defaults. */
  buckets?: Partial<Record<EcsRateBucket, EcsRateLimit>>;
  /** Between two ECS calls of one method. Default 30. */
  callSpacingMs?: number;
}
export type SimRateLimitsOption = false | SimRateLimitsConfig;

export interface ResolvedRateLimits {
  buckets: Record<EcsRateBucket, EcsRateLimit>;
  callSpacingMs: number;
}

/** A bucket's level (tokens: fractional while refilling, negative in debt) at an instant (epoch ms). */
export interface RateBucketState {
  tokens: number;
  at: number;
}

/** Tolerance for float arithmetic on token levels. */
const EPSILON = 1e-9;

/** The option with every default filled in (validated), or `false`. */
export function resolveRateLimits(option: SimRateLimitsOption | undefined): ResolvedRateLimits | false {
  if (option === false) return false;
  const buckets = {} as Record<EcsRateBucket, EcsRateLimit>;
  for (const bucket of ECS_RATE_BUCKETS) {
    const limit = { ...ECS_RATE_LIMITS[bucket], ...option?.buckets?.[bucket] };
    if (!(Number.isInteger(limit.burst) && limit.burst >= 1)) throw new RangeError(`rateLimits.buckets.${bucket}.burst: expected a whole number >= 1, got ${limit.burst}`);
    if (!(limit.sustainedPerSecond > 0 && Number.isFinite(limit.sustainedPerSecond))) {
      throw new RangeError(`rateLimits.buckets.${bucket}.sustainedPerSecond: expected a number > 0, got ${limit.sustainedPerSecond}`);
    }
    buckets[bucket] = limit;
  }
  const callSpacingMs = option?.callSpacingMs ?? DEFAULT_CALL_SPACING_MS;
  if (!(callSpacingMs >= 0 && Number.isFinite(callSpacingMs))) throw new RangeError(`rateLimits.callSpacingMs: expected a number >= 0, got ${callSpacingMs}`);
  return { buckets, callSpacingMs };
}

export class EcsRateLimiter {
  private readonly state = new Map<EcsRateBucket, RateBucketState>();

  constructor(
    readonly limits: ResolvedRateLimits,
    private readonly clock: SimClock,
    state?: Partial<Record<EcsRateBucket, RateBucketState>>,
  ) {
    for (const bucket of ECS_RATE_BUCKETS) {
      const saved = state?.[bucket];
      this.state.set(bucket, saved ? { ...saved } : { tokens: limits.buckets[bucket].burst, at: clock.now() });
    }
  }

  /**
   * Makes `calls` in order, `callSpacingMs` apart from now, each taking a token from its bucket.
   * Returns false at the first call that finds less than one token (the calls before it keep their
   * tokens spent).
   */
  charge(calls: EcsCalls): boolean {
    const now = this.clock.now();
    const spacing = this.limits.callSpacingMs;
    // Each touched bucket, followed from now through the calls: its level and that level's instant.
    const followed = new Map<EcsRateBucket, { level: number; at: number }>();
    let ok = true;
    let index = 0;
    outer: for (const [action, count] of Object.entries(calls) as Array<[EcsAction, number | undefined]>) {
      const bucket = ECS_ACTION_BUCKET[action];
      const limit = this.limits.buckets[bucket];
      for (let i = 0; i < (count ?? 0); i++, index++) {
        const at = now + index * spacing;
        const state = followed.get(bucket) ?? { level: this.levelAt(bucket, now), at: now };
        state.level = Math.min(limit.burst, state.level + ((at - state.at) * limit.sustainedPerSecond) / 1000);
        state.at = at;
        followed.set(bucket, state);
        if (state.level < 1 - EPSILON) {
          ok = false;
          break outer;
        }
        state.level -= 1;
      }
    }
    // Back to now: the level after the last call made, less the refill until it.
    for (const [bucket, state] of followed) {
      const perMs = this.limits.buckets[bucket].sustainedPerSecond / 1000;
      this.state.set(bucket, { tokens: state.level - (state.at - now) * perMs, at: now });
    }
    return ok;
  }

  /** The tokens in the bucket now: fractional while refilling, negative while a listing's later pages are due. */
  tokens(bucket: EcsRateBucket): number {
    return this.levelAt(bucket, this.clock.now());
  }

  toJSON(): Record<EcsRateBucket, RateBucketState> {
    return Object.fromEntries([...this.state].map(([bucket, state]) => [bucket, { ...state }])) as Record<EcsRateBucket, RateBucketState>;
  }

  private levelAt(bucket: EcsRateBucket, at: number): number {
    const state = this.state.get(bucket)!;
    const limit: EcsRateLimit = this.limits.buckets[bucket];
    return Math.min(limit.burst, state.tokens + (Math.max(0, at - state.at) * limit.sustainedPerSecond) / 1000);
  }
}

