/**
 * Deterministic randomness and identifiers for the simulated cluster (no `Math.random`).
 */

/**
 * mulberry32: a tiny seeded PRNG with a 32-bit state, uniform in [0, 1). Its state can be read and
 * restored, so a snapshot of the world continues the same sequence.
 */
export class SeededRandom {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  readonly next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `mulberry32(seed)` as a plain `() => number`. */
export function mulberry32(seed: number): () => number {
  return new SeededRandom(seed).next;
}

/** murmur3's 32-bit finaliser: a bijection on 32-bit integers that mixes every bit. */
function fmix32(input: number): number {
  let h = input >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * `length` hex digits derived from (seed, stream, n). For a fixed seed and stream, distinct `n`
 * (below 2^32) give distinct ids: each 8-digit block is a bijection of `n`.
 */
export function hexId(seed: number, stream: number, n: number, length: number): string {
  let out = '';
  for (let block = 0; out.length < length; block++) {
    const input = Math.imul(n + 1, 0x27d4eb2f) ^ fmix32(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35) ^ Math.imul(block + 1, 0x165667b1));
    out += fmix32(input).toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/** A UUID-looking id (8-4-4-4-12 hex digits) derived from (seed, stream, n). */
export function uuidLike(seed: number, stream: number, n: number): string {
  const hex = hexId(seed, stream, n, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
