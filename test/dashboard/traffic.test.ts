/**
 * The dashboard's Traffic panel reads describe-environment's `Deployment.Traffic`
 * (functions/api/traffic-view.ts): the step with its description, the weights, the pause's end.
 */
import { describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../dashboard/api';
import { trafficView } from '../../dashboard/api';

const base: DeploymentView = { DeploymentId: 'Web:2@1', Revision: 2, Kind: 'deploy' };
const weights = [
  { TargetGroupName: 'web-blue', TargetGroupArn: 'arn:…:targetgroup/web-blue/1', Weight: 75 },
  { TargetGroupName: 'web-green', TargetGroupArn: 'arn:…:targetgroup/web-green/2', Weight: 25 },
];

describe('trafficView', () => {
  it('a timed pause: the step, its description, the weights and the end time', () => {
    const view = trafficView({ ...base, Traffic: { Step: '2/5', StepDescription: 'Pause 300 s', Weights: weights, InEffect: true, PauseEndsAt: '2026-12-01T12:05:00.000Z' } });
    expect(view).toEqual({
      step: '2/5 Pause 300 s',
      weights: [
        { targetGroupArn: 'arn:…:targetgroup/web-blue/1', weight: 75 },
        { targetGroupArn: 'arn:…:targetgroup/web-green/2', weight: 25 },
      ],
      pausedUntil: '2026-12-01T12:05:00.000Z',
      bakeEndsAt: null,
    });
  });

  it('an indefinite pause and a Route 53 change not in effect say so in the step', () => {
    const view = trafficView({ ...base, Traffic: { Step: '4/5', StepDescription: 'Pause until promoted', Weights: weights, InEffect: false, PauseEndsAt: 'until promote-deployment' } });
    expect(view?.step).toBe('4/5 Pause until promoted (until promote-deployment) · change not in effect yet');
    expect(view?.pausedUntil).toBeNull();
  });

  it('no traffic routing: nothing to draw', () => {
    expect(trafficView({ ...base, Traffic: null })).toBeUndefined();
    expect(trafficView(undefined)).toBeUndefined();
  });
});
