/**
 * Engine metrics over Powertools Metrics: EMF lines in the `BloxDeployments` namespace with the
 * `environment` dimension, one line per environment run, flushed by the `logMetrics` middleware.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngineMetrics, isThrottle, metricsMiddleware, METRICS_NAMESPACE, PowertoolsEngineMetrics } from '../../../functions/adapters/powertools-metrics';

interface Emf {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

/** The EMF lines the metrics print (Powertools writes them with its own console). */
function capture(metrics: Metrics): Emf[] {
  const lines: Emf[] = [];
  vi.spyOn((metrics as unknown as { console: Console }).console, 'log').mockImplementation((line: string) => void lines.push(JSON.parse(line) as Emf));
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('PowertoolsEngineMetrics', () => {
  it('the namespace is BloxDeployments', () => {
    expect(METRICS_NAMESPACE).toBe('BloxDeployments');
    expect(createEngineMetrics('blox').metrics).toBeInstanceOf(Metrics);
  });

  it('a run of one environment is one EMF line with the environment dimension; another environment starts a new line', () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'blox' });
    const lines = capture(metrics);
    const engine = new PowertoolsEngineMetrics(metrics);
    engine.add('Reconciles', 'Count', 1, 'A');
    engine.add('ReconcileDuration', 'Milliseconds', 12, 'A');
    engine.add('Reconciles', 'Count', 1, 'B');
    metrics.publishStoredMetrics();
    engine.add('Reconciles', 'Count', 1, 'B'); // after a flush, the dimension is set again
    metrics.publishStoredMetrics();

    expect(lines.map((l) => [l.environment, l.Reconciles, l.ReconcileDuration])).toEqual([
      ['A', 1, 12],
      ['B', 1, undefined],
      ['B', 1, undefined],
    ]);
    const directive = lines[0]!._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('BloxDeployments');
    expect(directive.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'environment']));
    expect(directive.Metrics).toEqual([
      { Name: 'Reconciles', Unit: 'Count' },
      { Name: 'ReconcileDuration', Unit: 'Milliseconds' },
    ]);
  });

  it('is flushed by the middy logMetrics middleware, also when the handler throws', async () => {
    const engine = createEngineMetrics('blox');
    const lines = capture(engine.metrics);
    const ok = middy(async () => engine.add('ActionsExecuted', 'Count', 1, 'A')).use(metricsMiddleware(engine));
    const failing = middy(async () => {
      engine.add('ActionsFailed', 'Count', 1, 'A');
      throw new Error('boom');
    }).use(metricsMiddleware(engine));
    await ok({}, {} as never);
    await expect(failing({}, {} as never)).rejects.toThrow('boom');
    expect(lines.map((l) => [l.environment, l.ActionsExecuted ?? l.ActionsFailed])).toEqual([
      ['A', 1],
      ['A', 1],
    ]);
  });

  it('any other EngineMetrics gets no middleware', () => {
    expect(metricsMiddleware({ add: () => undefined })).toEqual([]);
    expect(metricsMiddleware(undefined)).toEqual([]);
    expect(metricsMiddleware(createEngineMetrics())).toHaveLength(1);
  });
});

describe('isThrottle', () => {
  it('knows the SDK throttles', () => {
    expect(isThrottle(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))).toBe(true);
    expect(isThrottle(Object.assign(new Error('x'), { name: 'Other', $retryable: { throttling: true } }))).toBe(true);
    expect(isThrottle(new Error('x'))).toBe(false);
    expect(isThrottle(undefined)).toBe(false);
  });
});
