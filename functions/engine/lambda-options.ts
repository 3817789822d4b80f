/**
 * Middy's options for the engine's handlers. In Lambda, middy races each invocation against a
 * wall-clock timer set to the context's remaining time less 5 ms (`timeoutEarlyInMillis`), so an
 * invocation about to be killed fails with a TimeoutError instead. On a clock that is not the wall
 * clock — the deterministic harness's virtual time, the local stack at `--speed 10` — that timer
 * measures the wrong time: the wiring (local/wiring.ts) turns it off with `wallClockTimeout: false`
 * and times invocations out on its own clock, as Lambda would.
 */
export function lambdaOptions(options: { wallClockTimeout?: boolean | undefined }): { timeoutEarlyInMillis?: number } {
  return options.wallClockTimeout === false ? { timeoutEarlyInMillis: 0 } : {};
}
