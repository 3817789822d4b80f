/**
 * An AWS SDK client built on first use rather than when it is created: building one resolves its
 * configuration and assembles its middleware stack (a few ms each), which a function that creates
 * its clients at module scope pays in every cold start, also for a client the invocation may never
 * use (the SQS client: actions to queue, wake-ups, back-offs come with some invocations only). The
 * EventBridge client goes further: its module is imported on first use too
 * (`putEventsThroughSdk` in eventbridge-notifier.ts), like the CloudWatch and ELBv2 clients.
 *
 * The stand-in forwards every property (methods bound to the client) to the one client built on
 * the first access, kept for the life of the container like the client it stands for.
 */
export function lazyClient<C extends object>(build: () => C): C {
  let client: C | undefined;
  const real = (): C => (client ??= build());
  return new Proxy(Object.create(null) as C, {
    get(_target, property) {
      const target = real();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set: (_target, property, value) => Reflect.set(real(), property, value),
    has: (_target, property) => Reflect.has(real(), property),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
