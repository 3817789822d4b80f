/**
 * Simulated ELBv2 load balancers, listeners and weighted forward rules: the traffic a rule splits by
 * weight (counted exactly; expected figures worked out in the comments), the metrics the load
 * balancer publishes, the API's shapes and refusals, and ELBv2's request throttling.
 *
 * The bed: load balancer `alb` (100 requests a second on its first listener, port 80) with a rule
 * forwarding to `blue` 90 / `green` 10, and a test listener (port 8080, no traffic) forwarding to
 * `green`; load balancer `other` with target group `elsewhere`; target group `web` that no rule
 * forwards to. Task web:1 on instance 0 and web:2 on instance 1 (RUNNING at 2 s, HEALTHY at 3 s,
 * host port 32768) are registered at 3 s in blue and green: healthy at 3 + 5 × 30 = 153 s.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../local/sim/clock';
import { ELB_NAMESPACE, ELBV2_RATE_LIMITS } from '../../../local/sim/elbv2';
import type { SimServicesDescription } from '../../../local/sim/kernel';
import { createSimulatedServices, DEFAULT_SIM_SERVICES } from '../../../local/sim/kernel';
import { SimulatedCluster } from '../../../local/sim/world';
import { START, T0 } from './helpers';

const MINUTE = 60_000;

function bed(options: { throttled?: boolean; description?: Partial<SimServicesDescription> } = {}) {
  const clock = new VirtualClock(T0);
  const world = new SimulatedCluster({ clock, rateLimits: false, taskDefaults: { cpu: 16, memory: 16 } });
  const instances = world.addInstances({ count: 3 });
  const services = createSimulatedServices({
    world,
    clock,
    description: {
      targetGroups: { blue: { loadBalancer: 'alb' }, green: { loadBalancer: 'alb' }, elsewhere: { loadBalancer: 'other' }, web: {} },
      loadBalancers: {
        alb: {
          requestsPerSecond: 100,
          listeners: [
            { port: 80, rules: [{ priority: 1, forward: { blue: 90, green: 10 } }] },
            { port: 8080, rules: [{ priority: 1, forward: { green: 100 } }] },
          ],
        },
        other: { listeners: [{ port: 80, defaultForward: { elsewhere: 100 } }] },
      },
      traffic: {},
      alarms: {},
      ...options.description,
    },
    ...(options.throttled ? {} : { rateLimits: false as const }),
  });
  const elb = services.elbv2;
  const arn = (name: string) => elb.targetGroupArn(name)!;
  const ec2 = instances.map((i) => i.ec2InstanceId);
  const start = async (instance: number, taskDefinition: string) => {
    await world.startTask({ ...START, taskDefinition, containerInstances: [instances[instance]!.arn] });
  };
  /** web:1 in blue, web:2 in green, both healthy at 153 s. */
  const serveBoth = async () => {
    await start(0, 'web:1');
    await start(1, 'web:2');
    clock.runUntil(T0 + 3_000);
    await elb.registerTargets({ TargetGroupArn: arn('blue'), Targets: [{ Id: ec2[0]!, Port: 32768 }] });
    await elb.registerTargets({ TargetGroupArn: arn('green'), Targets: [{ Id: ec2[1]!, Port: 32768 }] });
  };
  const rules = async (loadBalancer: string) => {
    const [lb] = (await elb.describeLoadBalancers({ Names: [loadBalancer] })).LoadBalancers;
    const listeners = (await elb.describeListeners({ LoadBalancerArn: lb!.LoadBalancerArn })).Listeners;
    return Promise.all(listeners.map(async (l) => (await elb.describeRules({ ListenerArn: l.ListenerArn })).Rules));
  };
  const productionRule = async () => (await rules('alb'))[0]![0]!;
  const metric = (MetricName: string, loadBalancer: string, targetGroup?: string) => {
    const dimensions = [{ Name: 'LoadBalancer', Value: elb.loadBalancerDimension(loadBalancer)! }];
    if (targetGroup) dimensions.push({ Name: 'TargetGroup', Value: elb.metricDimensions(targetGroup)!.TargetGroup });
    return services.cloudwatch.statistic({ Namespace: ELB_NAMESPACE, MetricName, Dimensions: dimensions }, 'Sum', T0 + 3 * MINUTE);
  };
  return { clock, world, services, elb, arn, ec2, start, serveBoth, rules, productionRule, metric };
}

async function refusal(call: Promise<unknown>): Promise<{ name: string; Code?: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return error as { name: string; Code?: string; message: string };
  }
  throw new Error('expected the call to be refused');
}

describe('simulated ELBv2: weighted forwarding', () => {
  it('splits 100 requests a second 90/10: over a minute blue 5,400 and green 600, exactly', async () => {
    const { clock, elb, serveBoth } = bed();
    await serveBoth();
    clock.runUntil(T0 + 3 * MINUTE);
    const before = elb.requestTotals();
    clock.runUntil(T0 + 4 * MINUTE);
    const after = elb.requestTotals();
    expect(after.targetGroups.blue!.requests - before.targetGroups.blue!.requests).toBeCloseTo(5400, 9);
    expect(after.targetGroups.green!.requests - before.targetGroups.green!.requests).toBeCloseTo(600, 9);
    expect(after.taskDefinitions['web:1']!.requests - before.taskDefinitions['web:1']!.requests).toBeCloseTo(5400, 9);
    expect(after.taskDefinitions['web:2']!.requests - before.taskDefinitions['web:2']!.requests).toBeCloseTo(600, 9);
  });

  it('a bad canary at 10 % with 20 % errors shows 2 % in the load balancer 5xx metric (120 of 6,000 in the minute)', async () => {
    const { clock, services, serveBoth, metric, elb } = bed();
    services.traffic.configure('web:2', { errorRate: 0.2 });
    await serveBoth();
    clock.runUntil(T0 + 4 * MINUTE + 1);
    // Minute [3, 4): both targets healthy the whole minute.
    expect(metric('RequestCount', 'alb')).toBe(6000);
    expect(metric('HTTPCode_Target_5XX_Count', 'alb')).toBe(120);
    expect(metric('RequestCount', 'alb', 'green')).toBe(600);
    expect(metric('HTTPCode_Target_5XX_Count', 'alb', 'green')).toBe(120);
    expect(metric('RequestCount', 'alb', 'blue')).toBe(5400);
    expect(metric('HTTPCode_Target_5XX_Count', 'alb', 'blue')).toBeUndefined();
    // The bench's counter: green's 5xx since it turned healthy at 153 s: 10/s × 87 s × 0.2 = 174 to 240 s.
    expect(elb.requestTotals().taskDefinitions['web:2']!.errors).toBeCloseTo(10 * (240 - 153) * 0.2 + 10 * 0.001 * 0.2, 6);
  });

  it('ModifyRule moves the weights from that instant: 90/10 until 210 s, 50/50 after → blue 4,200 and green 1,800 in [180, 240) s', async () => {
    const { clock, elb, arn, serveBoth, productionRule, metric } = bed();
    await serveBoth();
    const rule = await productionRule();
    clock.runUntil(T0 + 210_000);
    await elb.modifyRule({
      RuleArn: rule.RuleArn,
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn('blue'), Weight: 50 }, { TargetGroupArn: arn('green'), Weight: 50 }] } }],
    });
    clock.runUntil(T0 + 4 * MINUTE + 1);
    // blue: 90 × 30 + 50 × 30 = 4,200; green: 10 × 30 + 50 × 30 = 1,800.
    expect(metric('RequestCount', 'alb', 'blue')).toBe(4200);
    expect(metric('RequestCount', 'alb', 'green')).toBe(1800);
  });

  it('a target group at weight 0 gets nothing; a target group no rule forwards to keeps 10 requests a second per target', async () => {
    const { clock, elb, arn, ec2, serveBoth, start, productionRule } = bed();
    await serveBoth();
    await start(2, 'api:1');
    await elb.registerTargets({ TargetGroupArn: arn('web'), Targets: [{ Id: ec2[2]!, Port: 32768 }] });
    const rule = await productionRule();
    await elb.modifyRule({
      RuleArn: rule.RuleArn,
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn('blue'), Weight: 999 }, { TargetGroupArn: arn('green'), Weight: 0 }] } }],
    });
    clock.runUntil(T0 + 3 * MINUTE);
    const before = elb.requestTotals();
    clock.runUntil(T0 + 4 * MINUTE);
    const after = elb.requestTotals();
    expect(after.targetGroups.blue!.requests - before.targetGroups.blue!.requests).toBeCloseTo(6000, 9);
    expect(after.targetGroups.green!.requests - before.targetGroups.green!.requests).toBe(0);
    expect(after.targetGroups.web!.requests - before.targetGroups.web!.requests).toBeCloseTo(600, 9);
  });

  it("a weighted target group without a target: its share is the load balancer's 503 (ELB 5xx, not in RequestCount); one with only unhealthy targets fails open", async () => {
    // Decision (ELB docs, "Health checks for Application Load Balancer target groups"): a target group
    // whose targets are all unhealthy fails open — its share goes to them; the docs describe no failover
    // between the target groups of a forward action, so a group with no target to send to (none
    // registered, or all initial / draining) answers its share with 503 ("HTTP 503: Service unavailable").
    const { clock, elb, serveBoth, services } = bed();
    await serveBoth(); // both targets initial until 153 s: until then neither group has a target to send to
    clock.runUntil(T0 + 3 * MINUTE + 1);
    const lb = (MetricName: string) => services.cloudwatch.statistic({ Namespace: ELB_NAMESPACE, MetricName, Dimensions: [{ Name: 'LoadBalancer', Value: elb.loadBalancerDimension('alb')! }] }, 'Sum', T0 + 2 * MINUTE);
    // Minute [2, 3): [120, 153) s answered 503, 100/s × 33 s = 3,300; [153, 180) s sent to targets, 100/s × 27 s = 2,700.
    expect(lb('HTTPCode_ELB_5XX_Count')).toBe(3300);
    expect(lb('RequestCount')).toBe(2700);
    const totals = elb.requestTotals();
    // 0–153 s: blue's 90/s and green's 10/s answered 503.
    expect(totals.targetGroups.blue!.noTarget503).toBeCloseTo(90 * 153, 6);
    expect(totals.targetGroups.green!.noTarget503).toBeCloseTo(10 * 153, 6);
    expect(totals.loadBalancers.alb!.noTarget503).toBeCloseTo(100 * 153, 6);
  });

  it("a target group whose only target is unhealthy still gets its share (fail open), every request a 5xx", async () => {
    const { clock, world, elb, serveBoth } = bed();
    await serveBoth();
    clock.runUntil(T0 + 160_000);
    const task = world.describeTasks().find((t) => t.taskDefinitionArn.endsWith('/web:2'))!;
    world.setTaskHealth(task.arn, 'UNHEALTHY');
    // Checks at 183 and 213 s fail: unhealthy at 213 s.
    clock.runUntil(T0 + 4 * MINUTE);
    const before = elb.requestTotals();
    clock.runUntil(T0 + 5 * MINUTE);
    const after = elb.requestTotals();
    expect(after.targetGroups.green!.requests - before.targetGroups.green!.requests).toBeCloseTo(600, 9);
    expect(after.targetGroups.green!.target5xx - before.targetGroups.green!.target5xx).toBeCloseTo(600, 9);
    expect(after.targetGroups.green!.noTarget503 - before.targetGroups.green!.noTarget503).toBe(0);
  });

  it('setOfferedLoad changes what the first listener receives from that instant (web-a / web-b for Route 53)', async () => {
    const { clock, elb, arn, ec2, start } = bed();
    await start(2, 'api:1');
    clock.runUntil(T0 + 3_000);
    await elb.registerTargets({ TargetGroupArn: arn('elsewhere'), Targets: [{ Id: ec2[2]!, Port: 32768 }] });
    clock.runUntil(T0 + 3 * MINUTE);
    expect(elb.offeredLoad('other')).toEqual([{ port: 80, requestsPerSecond: 100 }]);
    const before = elb.requestTotals();
    clock.runUntil(T0 + 3 * MINUTE + 30_000);
    elb.setOfferedLoad('other', 40);
    clock.runUntil(T0 + 4 * MINUTE);
    // 100 × 30 + 40 × 30 = 4,200.
    expect(elb.requestTotals().loadBalancers.other!.requests - before.loadBalancers.other!.requests).toBeCloseTo(4200, 9);
    expect(() => elb.setOfferedLoad('nope', 1)).toThrow(/Load balancer 'nope' not found/);
    expect(() => elb.setOfferedLoad('other', -1)).toThrow(/requestsPerSecond/);
  });
});

describe('simulated ELBv2: load balancers, listeners, rules', () => {
  it('describes the load balancer, its listeners and their rules in the API shapes (a default rule last, priority "default")', async () => {
    const { elb, arn, rules } = bed();
    const [lb] = (await elb.describeLoadBalancers({ Names: ['alb'] })).LoadBalancers;
    expect(lb).toMatchObject({ LoadBalancerName: 'alb', Type: 'application', State: { Code: 'active' }, Scheme: 'internet-facing', CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K' });
    expect(lb!.LoadBalancerArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/alb\/[0-9a-f]{16}$/);
    expect(lb!.DNSName).toMatch(/^alb-\d+\.us-east-1\.elb\.amazonaws\.com$/);
    const listeners = (await elb.describeListeners({ LoadBalancerArn: lb!.LoadBalancerArn })).Listeners;
    expect(listeners.map((l) => [l.Port, l.Protocol, l.DefaultActions[0]!.Type])).toEqual([
      [80, 'HTTP', 'fixed-response'],
      [8080, 'HTTP', 'fixed-response'],
    ]);
    const [production, test] = await rules('alb');
    expect(production!.map((r) => [r.Priority, r.IsDefault])).toEqual([
      ['1', false],
      ['default', true],
    ]);
    expect(production![0]).toEqual({
      RuleArn: expect.stringMatching(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule\/app\/alb\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/),
      Priority: '1',
      Conditions: [{ Field: 'path-pattern', Values: ['/*'], PathPatternConfig: { Values: ['/*'] } }],
      Actions: [
        {
          Type: 'forward',
          Order: 1,
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: arn('blue'), Weight: 90 },
              { TargetGroupArn: arn('green'), Weight: 10 },
            ],
            TargetGroupStickinessConfig: { Enabled: false },
          },
        },
      ],
      IsDefault: false,
    });
    // One target group: TargetGroupArn too, as ELBv2 answers.
    expect(test![0]!.Actions[0]).toEqual({ Type: 'forward', Order: 1, TargetGroupArn: arn('green'), ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn('green'), Weight: 100 }], TargetGroupStickinessConfig: { Enabled: false } } });
    expect((await elb.describeRules({ RuleArns: [production![0]!.RuleArn] })).Rules).toEqual([production![0]]);
  });

  it('ModifyRule replaces the actions and answers the rule; the stickiness given is kept', async () => {
    const { elb, arn, productionRule } = bed();
    const rule = await productionRule();
    const answer = await elb.modifyRule({
      RuleArn: rule.RuleArn,
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn('blue'), Weight: 0 }, { TargetGroupArn: arn('green'), Weight: 100 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 } },
        },
      ],
    });
    expect(answer.Rules[0]!.Actions[0]!.ForwardConfig).toEqual({
      TargetGroups: [
        { TargetGroupArn: arn('blue'), Weight: 0 },
        { TargetGroupArn: arn('green'), Weight: 100 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    });
    expect(await productionRule()).toEqual(answer.Rules[0]);
  });

  it.each([
    ['a weight above 999', (g: (n: string) => string) => [{ TargetGroupArn: g('blue'), Weight: 1000 }], 'ValidationError', /Value '1000' at 'actions\.1\.member\.forwardConfig\.targetGroups\.1\.member\.weight' failed to satisfy constraint: Member must have value less than or equal to 999/],
    ['a negative weight', (g: (n: string) => string) => [{ TargetGroupArn: g('blue'), Weight: 1 }, { TargetGroupArn: g('green'), Weight: -1 }], 'ValidationError', /at 'actions\.1\.member\.forwardConfig\.targetGroups\.2\.member\.weight'.*greater than or equal to 0/],
    ['a target group named twice', (g: (n: string) => string) => [{ TargetGroupArn: g('blue'), Weight: 1 }, { TargetGroupArn: g('blue'), Weight: 2 }], 'ValidationError', /named more than once/],
    ['6 target groups', (g: (n: string) => string) => Array.from({ length: 6 }, () => ({ TargetGroupArn: g('blue'), Weight: 1 })), 'ValidationError', /at 'actions\.1\.member\.forwardConfig\.targetGroups' failed to satisfy constraint: Member must have length less than or equal to 5/],
    ['an unknown target group', () => [{ TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/0123456789abcdef', Weight: 1 }], 'TargetGroupNotFoundException', /Target groups 'arn:.*targetgroup\/gone\/0123456789abcdef' not found/],
    ['a target group of another load balancer', (g: (n: string) => string) => [{ TargetGroupArn: g('elsewhere'), Weight: 1 }], 'TargetGroupAssociationLimitException', /limit on the number of load balancers per target group/],
    ['a target group ARN that is not one', () => [{ TargetGroupArn: 'blue', Weight: 1 }], 'ValidationError', /'blue' is not a valid target group ARN/],
  ])('ModifyRule with %s is refused and changes nothing', async (_what, tuples, name, message) => {
    const { elb, arn, productionRule } = bed();
    const rule = await productionRule();
    const error = await refusal(elb.modifyRule({ RuleArn: rule.RuleArn, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: tuples(arn) } }] }));
    expect(error.name).toBe(name);
    expect(error.message).toMatch(message);
    expect(await productionRule()).toEqual(rule);
  });

  it('ModifyRule refuses an unknown rule (RuleNotFound), a default rule (OperationNotPermitted), a redirect (not simulated), no actions', async () => {
    const { elb, rules } = bed();
    const [production] = await rules('alb');
    const unknown = production![0]!.RuleArn.replace(/[0-9a-f]{16}$/, '0123456789abcdef');
    expect(await refusal(elb.modifyRule({ RuleArn: unknown, Actions: [] }))).toMatchObject({ name: 'RuleNotFoundException', Code: 'RuleNotFound', message: 'One or more rules not found' });
    expect(await refusal(elb.modifyRule({ RuleArn: production![1]!.RuleArn, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] }))).toMatchObject({
      name: 'OperationNotPermittedException',
    });
    expect(await refusal(elb.modifyRule({ RuleArn: production![0]!.RuleArn, Actions: [{ Type: 'redirect' }] }))).toMatchObject({ name: 'InvalidLoadBalancerActionException', message: expect.stringMatching(/does not simulate redirect/) });
    expect(await refusal(elb.modifyRule({ RuleArn: production![0]!.RuleArn, Actions: [] }))).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/at 'actions'.*length greater than or equal to 1/) });
    expect(await refusal(elb.modifyRule({ RuleArn: 'arn:nope', Actions: [] }))).toMatchObject({ name: 'ValidationError', message: "'arn:nope' is not a valid listener rule ARN" });
  });

  it('DescribeRules wants a listener or rule ARNs; unknown ones are ListenerNotFound / RuleNotFound', async () => {
    const { elb, rules } = bed();
    const [production] = await rules('alb');
    expect(await refusal(elb.describeRules({}))).toMatchObject({ name: 'ValidationError' });
    expect(await refusal(elb.describeRules({ RuleArns: [production![0]!.RuleArn.replace(/[0-9a-f]{16}$/, '0123456789abcdef')] }))).toMatchObject({ name: 'RuleNotFoundException' });
    const listener = production![0]!.RuleArn.replace(':listener-rule/', ':listener/').replace(/\/[0-9a-f]{16}$/, '');
    expect((await elb.describeRules({ ListenerArn: listener })).Rules).toHaveLength(2);
    expect(await refusal(elb.describeRules({ ListenerArn: listener.replace(/[0-9a-f]{16}$/, '0123456789abcdef') }))).toMatchObject({ name: 'ListenerNotFoundException' });
  });

  it('ModifyRule is a mutating call (20 at once, 3 a second), DescribeRules a non-mutating one (40, 10 a second); a throttled call changes nothing', async () => {
    expect(ELBV2_RATE_LIMITS.mutating).toEqual({ capacity: 20, refillPerSecond: 3 });
    const { clock, elb, arn, productionRule } = bed({ throttled: true });
    const rule = await productionRule(); // 3 non-mutating calls
    const weights = (blue: number) => [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn('blue'), Weight: blue }, { TargetGroupArn: arn('green'), Weight: 100 - blue }] } }];
    for (let i = 0; i < 20; i++) await elb.modifyRule({ RuleArn: rule.RuleArn, Actions: weights(i) });
    expect(await refusal(elb.modifyRule({ RuleArn: rule.RuleArn, Actions: weights(50) }))).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect((await productionRule()).Actions[0]!.ForwardConfig!.TargetGroups[0]!.Weight).toBe(19);
    clock.advance(334); // one token back after 1/3 s
    await elb.modifyRule({ RuleArn: rule.RuleArn, Actions: weights(50) });
    expect(elb.rateLimitTokens('non-mutating')).toBeGreaterThan(30);
  });
});

describe('the default world: web-alb and alarm web-alb-5xx', () => {
  it('shop:2 in web-green at 20 % errors: at weight 10 the load balancer shows 2 % (alarm OK); at weight 50, 10 % (ALARM after 3 minutes)', async () => {
    const clock = new VirtualClock(T0);
    const world = new SimulatedCluster({ clock, rateLimits: false, taskDefaults: { cpu: 16, memory: 16 } });
    const instances = world.addInstances({ count: 2 });
    const services = createSimulatedServices({ world, clock, description: { ...DEFAULT_SIM_SERVICES, traffic: { 'shop:2': { errorRate: 0.2 } } }, rateLimits: false });
    const elb = services.elbv2;
    const alarm = async () => (await services.cloudwatch.describeAlarms({ AlarmNames: ['web-alb-5xx'] })).MetricAlarms[0]!.StateValue;
    // Family shop: not registered in target group web (which registers family web's tasks).
    for (const [index, taskDefinition] of ['shop:1', 'shop:2'].entries()) await world.startTask({ ...START, taskDefinition, containerInstances: [instances[index]!.arn] });
    clock.runUntil(T0 + 3_000);
    await elb.registerTargets({ TargetGroupArn: elb.targetGroupArn('web-blue')!, Targets: [{ Id: instances[0]!.ec2InstanceId, Port: 32768 }] });
    await elb.registerTargets({ TargetGroupArn: elb.targetGroupArn('web-green')!, Targets: [{ Id: instances[1]!.ec2InstanceId, Port: 32768 }] });
    const [alb] = (await elb.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers;
    const [production] = (await elb.describeListeners({ LoadBalancerArn: alb!.LoadBalancerArn })).Listeners;
    const [rule] = (await elb.describeRules({ ListenerArn: production!.ListenerArn })).Rules;
    const weights = (blue: number, green: number) => [
      { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: elb.targetGroupArn('web-blue')!, Weight: blue }, { TargetGroupArn: elb.targetGroupArn('web-green')!, Weight: green }] } },
    ];
    await elb.modifyRule({ RuleArn: rule!.RuleArn, Actions: weights(90, 10) });
    // Healthy at 153 s. Each minute from [3, 4): 6,000 requests, 600 to green, 120 answered 5xx: 2 % ≤ 5 %.
    clock.runUntil(T0 + 6 * MINUTE + 1);
    expect(await alarm()).toBe('OK');
    await elb.modifyRule({ RuleArn: rule!.RuleArn, Actions: weights(50, 50) });
    // From 6 min: 3,000 to green a minute, 600 5xx: 10 %. Breaching [6, 7), [7, 8), [8, 9): ALARM at the 3rd.
    clock.runUntil(T0 + 8 * MINUTE + 1);
    expect(await alarm()).toBe('OK');
    clock.runUntil(T0 + 9 * MINUTE + 1);
    expect(await alarm()).toBe('ALARM');
    // The bench's counter: shop:2's 5xx, exactly: 10/s × (360.001 − 153) s × 0.2 + 50/s × (540.001 − 360.001) s × 0.2.
    expect(elb.requestTotals().taskDefinitions['shop:2']!.errors).toBeCloseTo(10 * 207.001 * 0.2 + 50 * 180 * 0.2, 6);
  });
});
