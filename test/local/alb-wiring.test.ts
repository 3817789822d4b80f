/**
 * The ListenerRules port as the harness wires it (the AWS adapter over the simulated ELBv2 of the
 * default services): read web-alb's production rule, move its weights, read them back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../../local/harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('the harness wires ListenerRules over the simulated ELBv2', () => {
  it("reads web-alb's production rule (web-blue 100 / web-green 0), sets 90/10, reads it back", async () => {
    h = new Harness({ seed: 3, services: true });
    const { listenerRules } = h.deps;
    const elb = h.services!.elbv2;
    const [alb] = (await elb.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers;
    const [production] = (await elb.describeListeners({ LoadBalancerArn: alb!.LoadBalancerArn })).Listeners;
    const [rule] = (await elb.describeRules({ ListenerArn: production!.ListenerArn })).Rules;
    const blue = elb.targetGroupArn('web-blue')!;
    const green = elb.targetGroupArn('web-green')!;
    expect(await listenerRules!.describeForward(rule!.RuleArn)).toEqual({ ruleArn: rule!.RuleArn, targetGroups: [{ targetGroupArn: blue, weight: 100 }, { targetGroupArn: green, weight: 0 }] });
    await listenerRules!.setForwardWeights(rule!.RuleArn, [{ targetGroupArn: blue, weight: 90 }, { targetGroupArn: green, weight: 10 }]);
    expect((await listenerRules!.describeForward(rule!.RuleArn)).targetGroups.map((g) => g.weight)).toEqual([90, 10]);
  });
});

describe('Route 53 weighted records drive the simulated load balancers web-a and web-b', () => {
  it('blue 90 / green 10, once INSYNC (60 s): web-a is offered 90 requests a second, web-b 10', async () => {
    h = new Harness({ seed: 3, services: true });
    const { weightedRecords } = h.deps;
    const services = h.services!;
    expect(services.elbv2.offeredLoad('web-a')).toEqual([{ port: 80, requestsPerSecond: 100 }]);
    expect(services.elbv2.offeredLoad('web-b')).toEqual([{ port: 80, requestsPerSecond: 0 }]);
    const zone = services.route53.hostedZone('example.internal')!.Id;
    await weightedRecords!.setWeights(zone, 'web.example.internal', { blue: 90, green: 10 });
    expect(services.elbv2.offeredLoad('web-b')).toEqual([{ port: 80, requestsPerSecond: 0 }]); // PENDING: resolvers see the old weights
    await h.runFor(60_000);
    expect(services.elbv2.offeredLoad('web-a')).toEqual([{ port: 80, requestsPerSecond: 90 }]);
    expect(services.elbv2.offeredLoad('web-b')).toEqual([{ port: 80, requestsPerSecond: 10 }]);
  });
});
