/**
 * The wiring invokes the engine's handlers as Lambda does, on the scheduler's clock
 * (`invokeAsLambda`, local/wiring.ts): the context counts the function's timeout down in virtual
 * time, an invocation still running at its timeout fails with a TimeoutError, and wall-clock time
 * spent computing counts for nothing (the harness may run far slower than AWS would).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/sim';
import { invokeAsLambda } from '../../local/wiring';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('a Lambda invocation on the scheduler`s clock', () => {
  it('the context says what is left of the timeout in virtual time', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const done = invokeAsLambda(clock, { functionName: 'executor', timeoutMs: 30_000, requestId: 'r1' }, async (context) => {
      seen.push(context.getRemainingTimeInMillis());
      await new Promise<void>((resolve) => clock.schedule(clock.now() + 12_000, resolve));
      seen.push(context.getRemainingTimeInMillis());
      return 'answered';
    });
    clock.advance(12_000);
    await expect(done).resolves.toBe('answered');
    // 30 s at the start; 12 s of virtual time later, 18 s.
    expect(seen).toEqual([30_000, 18_000]);
  });

  it('an invocation still running at its timeout fails with a TimeoutError, counted', async () => {
    const clock = new VirtualClock();
    let timedOut = 0;
    const done = invokeAsLambda(clock, { functionName: 'executor', timeoutMs: 30_000, requestId: 'r2', onTimeout: () => timedOut++ }, async () => {
      await new Promise<void>((resolve) => clock.schedule(clock.now() + 40_000, resolve));
      return 'too late';
    });
    const outcome = done.then(
      () => 'resolved',
      (error: Error) => `${error.name}: ${error.message}`,
    );
    clock.advance(29_999);
    await settle();
    expect(timedOut).toBe(0);
    clock.advance(1);
    expect(await outcome).toBe('TimeoutError: executor invocation timed out after 30 s');
    expect(timedOut).toBe(1);
  });

  it('wall-clock time spent computing does not count: no virtual time passed, no timeout', async () => {
    const clock = new VirtualClock();
    const timers = new Set<{ cancel(): void }>();
    const answer = await invokeAsLambda(clock, { functionName: 'reconciler', timeoutMs: 50, requestId: 'r3', timers }, async () => {
      // 100 ms of real time: twice the (virtual) timeout.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'answered';
    });
    expect(answer).toBe('answered');
    // The timeout's timer is cancelled and forgotten once the invocation answered.
    expect(timers.size).toBe(0);
    expect(clock.nextAt()).toBeUndefined();
  });
});
