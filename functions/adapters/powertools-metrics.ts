/**
 * Engine metrics as CloudWatch Embedded Metric Format (EMF) log lines, over Powertools Metrics
 * (`@aws-lambda-powertools/metrics`): namespace `BloxDeployments`, dimension `environment` (and the
 * `service` default dimension Powertools adds). Flushed at the end of every invocation by the middy
 * `logMetrics` middleware (`metricsMiddleware`), also when the handler throws.
 *
 * EMF gives one set of dimension values per log line, and a batch can concern several environments:
 * metrics for one environment accumulate in the Powertools store, and a metric for another
 * environment first publishes what is stored (one line per environment run of a batch).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type middy from '@middy/core';

export const METRICS_NAMESPACE = 'BloxDeployments';
export const ENVIRONMENT_DIMENSION = 'environment';

export type EngineMetricUnit = 'Count' | 'Milliseconds';

/** What the engine and its handlers report (`EngineDeps['metrics']` in functions/engine/engine.ts). */
export interface EngineMetrics {
  add(name: string, unit: EngineMetricUnit, value: number, environment: string): void;
}

export class PowertoolsEngineMetrics implements EngineMetrics {
  /** The environment of the metrics in the store now (valid while the store holds metrics). */
  private environment: string | undefined;

  constructor(readonly metrics: Metrics) {}

  add(name: string, unit: EngineMetricUnit, value: number, environment: string): void {
    const stored = this.metrics.hasStoredMetrics();
    if (stored && this.environment !== environment) this.metrics.publishStoredMetrics();
    // A publish (ours, or the middleware's at the end of the last invocation) clears the dimensions.
    if (!stored || this.environment !== environment) this.metrics.addDimension(ENVIRONMENT_DIMENSION, environment);
    this.environment = environment;
    this.metrics.addMetric(name, unit, value);
  }
}

/** The metrics of an engine function (`POWERTOOLS_SERVICE_NAME` gives the `service` dimension). */
export function createEngineMetrics(serviceName?: string): PowertoolsEngineMetrics {
  return new PowertoolsEngineMetrics(new Metrics({ namespace: METRICS_NAMESPACE, ...(serviceName ? { serviceName } : {}) }));
}

/** For `.use()`: `logMetrics` for Powertools-backed metrics; no middleware for anything else (tests, the harness). */
export function metricsMiddleware(metrics: EngineMetrics | undefined): middy.MiddlewareObj[] {
  return metrics instanceof PowertoolsEngineMetrics ? [logMetrics(metrics.metrics)] : [];
}

/** Whether an error is a throttle (the AWS SDK's `$retryable.throttling`, or its name). */
export function isThrottle(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; $retryable?: { throttling?: unknown } };
  return e.$retryable?.throttling === true || e.name === 'ThrottlingException' || e.name === 'TooManyRequestsException';
}
