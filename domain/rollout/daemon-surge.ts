/**
 * Daemon Surge (terminate after replace): start the target revision next to the old task, at most
 * `MaxOver` instances at a time; the core stops the old task once the new one is ready. An instance
 * counts against MaxOver from its surge launch until its old task is STOPPED (the host is not free of
 * the old version before), and never runs two target tasks.
 *
 * Worked examples:
 *   N = 10, MaxOver 1, nothing in flight → start on 1 instance; while it runs two copies, none.
 *   N = 10, MaxOver "20%" → maxSurge = floor(10 × 0.2) = 2 instances at a time.
 *   N = 3, MaxOver "10%" → floor(0.3) = 0, at least 1.
 *   MaxOver 2, one instance still stopping its old task (in use 1) → 1 more start.
 *   A surge copy that stopped on its own (a retry) goes before untouched instances.
 */
export interface SurgeInput<I> {
  /** Instances whose surge copy stopped on its own: retried first. */
  retries: I[];
  /** Instances with only the old task, nothing in flight. */
  candidates: I[];
  /** Instances running (or about to run) two copies now. */
  inUse: number;
  /** maxSurge(N, MaxOver). */
  limit: number;
}

export function planSurge<I>(input: SurgeInput<I>): I[] {
  const room = Math.max(0, input.limit - input.inUse);
  return [...input.retries, ...input.candidates].slice(0, room);
}
