/**
 * The dashboard's deployments, read from the log's events (dashboard/deployments.ts): each start
 * opens one; a completion closes it, a rollback closes it as rolled back, a new deployment as
 * superseded; unknown events are skipped. The sparkline's bars: the longest full height, none below
 * a quarter.
 */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../dashboard/api';
import { deploymentsOf, sparkBars } from '../../dashboard/deployments';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
let sequence = 0;
function event(type: string, seconds: number, fields: Partial<LogEvent> = {}): LogEvent {
  return { Sequence: ++sequence, Type: type, At: new Date(T0 + seconds * 1000).toISOString(), Revision: null, Trigger: null, By: null, Reason: null, Detail: {}, ...fields };
}

describe('deploymentsOf', () => {
  it('deploy 1 done; deploy 2 rolled back by the breaker; the rollback done; deploy 3 superseded by deploy 4, still running', () => {
    const runs = deploymentsOf([
      event('EnvironmentCreated', 0),
      event('DeploymentStarted', 10, { Revision: 1, Detail: { deploymentId: 'E:1@a' } }),
      event('LaunchesPlanned', 11, { Revision: 1 }),
      event('DeploymentCompleted', 30, { Revision: 1 }),
      event('DeploymentStarted', 100, { Revision: 2, Detail: { deploymentId: 'E:2@b' } }),
      event('SomethingNew', 101),
      event('RollbackTriggered', 120, { Trigger: 'CircuitBreaker', Reason: 'circuit breaker: 3 of 3' }),
      event('RollbackStarted', 120, { Revision: 1, Trigger: 'CircuitBreaker', Reason: 'circuit breaker: 3 of 3', Detail: { deploymentId: 'E:1@c' } }),
      event('DeploymentCompleted', 150, { Revision: 1 }),
      event('DeploymentStarted', 200, { Revision: 3, Detail: { deploymentId: 'E:3@d' } }),
      event('DeploymentStarted', 210, { Revision: 4, Detail: { deploymentId: 'E:4@e' } }),
    ]);
    expect(runs.map((r) => [r.id, r.kind, r.revision, r.outcome, r.endedAt === null ? null : (r.endedAt - r.startedAt) / 1000])).toEqual([
      ['E:1@a', 'deploy', 1, 'completed', 20],
      ['E:2@b', 'deploy', 2, 'rolled-back', 20],
      ['E:1@c', 'rollback', 1, 'completed', 30],
      ['E:3@d', 'deploy', 3, 'superseded', 10],
      ['E:4@e', 'deploy', 4, 'running', null],
    ]);
    expect(runs[2]).toMatchObject({ trigger: 'CircuitBreaker', reason: 'circuit breaker: 3 of 3' });
  });
});

describe('sparkBars', () => {
  it('heights on a log scale against the longest: 999 s full, 9 s a third (log 10 / log 1000), 0 s a quarter at least', () => {
    const runs = deploymentsOf([
      event('DeploymentStarted', 0, { Revision: 1 }),
      event('DeploymentCompleted', 999),
      event('DeploymentStarted', 1000, { Revision: 2 }),
      event('DeploymentCompleted', 1009),
      event('DeploymentStarted', 2000, { Revision: 3 }),
      event('DeploymentCompleted', 2000),
    ]);
    const bars = sparkBars(runs, T0 + 3_000_000);
    expect(bars.map((b) => Number(b.height.toFixed(3)))).toEqual([1, 0.333, 0.25]);
    expect(bars[0]!.title).toBe('deploy of revision 1: completed, 999 s');
  });

  it('keeps the last 20', () => {
    const events = Array.from({ length: 25 }, (_, i) => event('DeploymentStarted', i * 10, { Revision: i + 1 }));
    const bars = sparkBars(deploymentsOf(events), T0 + 1_000_000);
    expect(bars).toHaveLength(20);
    expect(bars[0]!.title).toMatch(/^deploy of revision 6: superseded/);
  });
});
