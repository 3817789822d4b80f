/**
 * What describe-environment shows of a real traffic rollout (issue 10's display): a Service Canary over
 * the simulated ALB `web-alb` on the deterministic harness, read at each step from the projection the
 * engine wrote — the step, the weights as read back from the simulated ELBv2, the end of the timed
 * pause, the pause until promoted — as the API answers and as `--table` prints it.
 */
import { describe, expect, it } from 'vitest';
import { formatDeploymentLines } from '../../cli/format';
import type { DeploymentInfo } from '../../cli/client';
import type { EnvironmentSpec } from '../../domain/spec';
import { environmentDescription, environmentStatus } from '../../functions/api/views';
import { Harness } from '../../local/harness';

const NAME = 'Web/Canary';

/** The production (port 80) and test (port 8080) rules of web-alb. */
async function albRules(h: Harness): Promise<{ production: string; test: string }> {
  const elbv2 = h.services!.elbv2;
  const [balancer] = (await elbv2.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers;
  const listeners = (await elbv2.describeListeners({ LoadBalancerArn: balancer!.LoadBalancerArn })).Listeners;
  const ruleOn = async (port: number) => {
    const listener = listeners.find((l) => l.Port === port)!;
    const rules = (await elbv2.describeRules({ ListenerArn: listener.ListenerArn })).Rules;
    return rules.find((r) => r.Priority !== 'default')!.RuleArn!;
  };
  return { production: await ruleOn(80), test: await ruleOn(8080) };
}

describe('describe-environment during an ALB canary (harness)', () => {
  it('step 2/5 Pause 120 s ends 120 s after it started; step 4/5 waits for promote-deployment at 50 / 50', async () => {
    const h = new Harness({ seed: 31, services: true, tickMs: 60_000 });
    h.world.addInstances({ count: 8, attributes: { stack: 'prod' } });
    const rules = await albRules(h);
    const elbv2 = h.services!.elbv2;
    const spec = (taskDefinition: string) =>
      ({
        Name: NAME,
        TaskDefinition: taskDefinition,
        Cluster: 'default',
        DeploymentType: 'Service',
        DesiredCount: 4,
        DeploymentConfiguration: { Method: 'Canary', MinHealthyPercent: 100, Steps: [{ SetWeight: 25 }, { Pause: { Seconds: 120 } }, { SetWeight: 50 }, { Pause: {} }] },
        Service: { ServiceName: 'Web-Canary', LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
        TrafficRouting: {
          Alb: { ListenerRuleArn: rules.production, TestListenerRuleArn: rules.test, BlueTargetGroupArn: elbv2.targetGroupArn('web-blue')!, GreenTargetGroupArn: elbv2.targetGroupArn('web-green')! },
        },
      }) as EnvironmentSpec;
    const described = async () => environmentDescription((await h.state(NAME))!);
    await h.command({ type: 'CreateEnvironment', spec: spec('web:1') });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    // The first deployment: the one step SetWeight 100.
    await h.runUntil(async () => (await described()).Deployment?.Traffic?.Step === '1/1', 900_000);
    expect((await described()).Deployment?.Traffic).toMatchObject({ Strategy: 'Canary', StepDescription: 'SetWeight 100' });
    await h.runUntil(async () => (await h.state(NAME))?.activeRevision === 1 && !(await h.state(NAME))?.deployment, 900_000);

    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => (await described()).Deployment?.Traffic?.Step === '2/5', 900_000);
    const pausing = (await described()).Deployment!.Traffic!;
    expect(pausing).toMatchObject({
      Routing: 'Alb',
      StepDescription: 'Pause 120 s',
      Weights: [
        { TargetGroupName: 'web-blue', Weight: 75 },
        { TargetGroupName: 'web-green', Weight: 25 },
      ],
      InEffect: true,
      Change: null,
    });
    expect(Date.parse(pausing.PauseEndsAt!) - Date.parse(pausing.StepStartedAt!)).toBe(120_000);

    await h.runUntil(async () => (await described()).Deployment?.Traffic?.Step === '4/5', 900_000);
    const description = await described();
    expect(description.Deployment?.Traffic).toMatchObject({ StepDescription: 'Pause until promoted', PauseEndsAt: 'until promote-deployment' });
    // As `--table` prints it (the status page carries the same).
    const status = environmentStatus((await h.state(NAME))!);
    expect(status.Deployment?.Traffic).toEqual(description.Deployment?.Traffic);
    expect(formatDeploymentLines(status.Deployment as DeploymentInfo)).toEqual([
      'Traffic: step 4/5 Pause until promoted · web-blue 50 % / web-green 50 % · in effect',
      'Pause until promote-deployment',
    ]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});
