/**
 * The dashboard's sparkline (dashboard/deployments.ts), from a page of GET …/deployments (newest
 * first): bars oldest to newest, the longest full height on a log scale, none below a quarter, one
 * still running measured to now, colour by outcome (a completed rollback amber).
 */
import { describe, expect, it } from 'vitest';
import type { ApiDeployment } from '../../dashboard/deployments';
import { sparkBars } from '../../dashboard/deployments';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function deployment(revision: number, start: number, end: number | null, outcome: string, more: Partial<ApiDeployment> = {}): ApiDeployment {
  return {
    DeploymentId: `E:${revision}@${start}`,
    EnvironmentRevision: revision,
    Kind: 'deploy',
    Trigger: { Kind: 'User', By: 'local', Reason: null },
    StartedAt: iso(start),
    EndedAt: end === null ? null : iso(end),
    Outcome: outcome,
    DurationSeconds: end === null ? null : end - start,
    Reason: null,
    EndedBy: null,
    ...more,
  };
}

describe('sparkBars', () => {
  it('heights on a log scale against the longest: 999 s full, 9 s a third (log 10 / log 1000), 0 s a quarter at least; oldest first', () => {
    // The API's order: newest first.
    const page = [deployment(3, 2000, 2000, 'Completed'), deployment(2, 1000, 1009, 'Completed'), deployment(1, 0, 999, 'Completed')];
    const bars = sparkBars(page, T0 + 3_000_000);
    expect(bars.map((b) => Number(b.height.toFixed(3)))).toEqual([1, 0.333, 0.25]);
    expect(bars[0]!.title).toBe('deploy of revision 1: Completed, 999 s');
  });

  it('one still running is measured until now; colours: rolled back red, a completed rollback amber, in progress blue; the trigger in the title', () => {
    const page = [
      deployment(3, 200, null, 'InProgress'),
      deployment(1, 120, 150, 'Completed', { Kind: 'rollback', Trigger: { Kind: 'CircuitBreaker', By: null, Reason: 'circuit breaker: 3 of 3' } }),
      deployment(2, 100, 120, 'RolledBack'),
    ];
    const bars = sparkBars(page, T0 + 299_000);
    expect(bars.map((b) => b.colour)).toEqual(['#dc2626', '#d97706', '#2563eb']);
    expect(bars[1]!.title).toBe('rollback of revision 1: Completed (CircuitBreaker), 30 s');
    expect(bars[2]!.title).toBe('deploy of revision 3: InProgress, 99 s');
  });

  it('keeps the newest 20', () => {
    const page = Array.from({ length: 25 }, (_, i) => deployment(25 - i, (25 - i) * 10, (25 - i) * 10 + 5, 'Superseded'));
    const bars = sparkBars(page, T0 + 1_000_000);
    expect(bars).toHaveLength(20);
    expect(bars[0]!.title).toMatch(/^deploy of revision 6: Superseded/);
    expect(bars[19]!.title).toMatch(/^deploy of revision 25: Superseded/);
  });
});
