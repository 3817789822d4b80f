/**
 * Token buckets on the simulation's clock, for the simulated AWS services that throttle their API
 * (`elbv2.ts`, `cloudwatch.ts`; ECS has its own in `ecs-rate-limits.ts`, which also spaces a
 * listing's pages). A bucket holds at most `capacity` tokens and gains `refillPerSecond` a second;
 * a request takes one token from every bucket it is charged to, or — when any of them has less
 * than one — takes none and is throttled. Buckets start full.
 */
import type { SimClock } from './clock';

export interface TokenBucketLimit {
  /** The most tokens the bucket holds: the requests allowed at once from a full bucket. */
  capacity: number;
  /** Tokens added per second, up to the capacity. */
  refillPerSecond: number;
}

/** Tolerance for float arithmetic on token levels. */
const EPSILON = 1e-9;

export class TokenBuckets<Bucket extends string> {
  private readonly levels = new Map<Bucket, { tokens: number; at: number }>();

  constructor(
    readonly limits: Readonly<Record<Bucket, TokenBucketLimit>>,
    private readonly clock: SimClock,
  ) {
    for (const [bucket, limit] of Object.entries(limits) as Array<[Bucket, TokenBucketLimit]>) {
      if (!(limit.capacity >= 1 && Number.isFinite(limit.capacity))) throw new RangeError(`${bucket}: capacity must be a number >= 1, got ${limit.capacity}`);
      if (!(limit.refillPerSecond > 0 && Number.isFinite(limit.refillPerSecond))) {
        throw new RangeError(`${bucket}: refillPerSecond must be a number > 0, got ${limit.refillPerSecond}`);
      }
      this.levels.set(bucket, { tokens: limit.capacity, at: clock.now() });
    }
  }

  /** Takes one token from each bucket named, all or none: false (nothing taken) when one of them has less than one. */
  take(buckets: readonly Bucket[]): boolean {
    const now = this.clock.now();
    const levels = buckets.map((bucket) => this.level(bucket, now));
    if (levels.some((tokens) => tokens < 1 - EPSILON)) return false;
    buckets.forEach((bucket, index) => this.levels.set(bucket, { tokens: levels[index]! - 1, at: now }));
    return true;
  }

  /** The tokens in a bucket now (fractional while refilling). */
  tokens(bucket: Bucket): number {
    return this.level(bucket, this.clock.now());
  }

  private level(bucket: Bucket, at: number): number {
    const state = this.levels.get(bucket);
    const limit = this.limits[bucket];
    if (!state || !limit) throw new RangeError(`no such rate bucket: ${bucket}`);
    return Math.min(limit.capacity, state.tokens + (Math.max(0, at - state.at) * limit.refillPerSecond) / 1000);
  }
}
