/**
 * bench/traffic.ts at a tiny scale (2 tasks): a revision answering 20 % 5xx behind web-alb (100
 * requests a second), caught by the bench's alarm (web-alb-5xx above 0.5 %, 1 of 1 minutes).
 */
import { describe, expect, it } from 'vitest';
import { badDeployment } from '../../bench/traffic';

describe('traffic bench: a bad revision’s blast radius', () => {
  it('the Canary is rolled back by the alarm at its 5 % step, after a small fraction of the bad requests an all-at-once Rolling deploy serves', async () => {
    // Given a Canary 5 (pause 300 s) / 25 / 100 and a Rolling (100 / 200) of the same bad revision, deployed at the same moment
    // When each runs until the alarm's rollback has traffic back on revision 1
    const canary = await badDeployment('Canary', { desiredCount: 2 });
    const rolling = await badDeployment('Rolling', { desiredCount: 2 });

    // Then both were rolled back by the alarm
    for (const run of [canary, rolling]) {
      expect(run.trigger).toBe('Alarm');
      expect(run.reason).toMatch(/^alarm web-alb-5xx entered ALARM at /);
      expect(run.restoredAfter).toBeGreaterThanOrEqual(run.triggeredAfter);
    }
    // The canary was caught at 5 %, its first step: the production rule never gave web-green more.
    expect(canary.peakWeight).toBe(5);
    // web:2 got 5 requests a second, 1 of them a 5xx. The alarm needs more than
    // 0.5 % of a minute's 6,000 requests (> 30 of them, > 30 s at 1 a second) and evaluates at the minute's
    // end: between 30 and 90 s of exposure, 150–450 requests, 30–90 of them 5xx.
    expect(canary.badRevisionRequests).toBeGreaterThan(150);
    expect(canary.badRevisionRequests).toBeLessThanOrEqual(450);
    expect(canary.badRequests).toBeCloseTo(canary.badRevisionRequests * 0.2, 6);
    // The Rolling deploy gave web:2 all 100 requests a second (20 5xx a second) until the rollback.
    expect(rolling.badRequests).toBeCloseTo(rolling.badRevisionRequests * 0.2, 6);
    expect(rolling.badRevisionRequests).toBeGreaterThan(canary.badRevisionRequests);
    // At this phase (the deploy on the minute) the canary's 5xx are under a tenth of the baseline's.
    expect(canary.badRequests / rolling.badRequests).toBeLessThan(0.1);
  }, 60_000);
});
