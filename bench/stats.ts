/** Shared helpers of the benchmarks: result lines, percentiles, timing, progress. */

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

/** Nearest-rank percentile (`q` in 0..1) of unsorted samples. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Rounds to `digits` decimals (results stay numbers, never strings). */
export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Milliseconds `fn` took (performance.now, sub-millisecond). */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Progress goes to stderr: stdout carries only result lines. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Writes one machine-readable result line on stdout. */
export function emit(result: BenchResult): void {
  if (typeof result.value !== 'number' || !Number.isFinite(result.value)) {
    throw new Error(`bench result ${result.name} is not a finite number: ${String(result.value)}`);
  }
  process.stdout.write(`${JSON.stringify({ name: result.name, value: result.value, unit: result.unit })}\n`);
}
