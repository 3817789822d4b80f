/**
 * The ListenerRules port on DescribeRules and ModifyRule: the request shapes sent through the SDK
 * (aws-sdk-client-mock), what is kept of the rule read back when the whole action list is replaced,
 * and the same adapter over the simulated ELBv2 (the default world's `web-alb` rules), which must
 * answer and refuse as ELBv2 does.
 */
import { DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListenerRulesClient, RuleShape } from '../../../functions/adapters/elbv2-listener-rules';
import { Elbv2ListenerRules, listenerRulesThroughSdk } from '../../../functions/adapters/elbv2-listener-rules';
import { ListenerRuleError } from '../../../functions/ports';
import { VirtualClock } from '../../../local/sim/clock';
import { createSimulatedServices, DEFAULT_SIM_SERVICES } from '../../../local/sim/kernel';
import { SimulatedCluster } from '../../../local/sim/world';

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const RULE = `${ARN}:listener-rule/app/web-alb/1111111111111111/2222222222222222/3333333333333333`;
const BLUE = `${ARN}:targetgroup/web-blue/aaaaaaaaaaaaaaaa`;
const GREEN = `${ARN}:targetgroup/web-green/bbbbbbbbbbbbbbbb`;

/** A client that answers DescribeRules with `rule` and ModifyRule with the rule it was sent, recording the requests. */
function fake(rule: RuleShape): ListenerRulesClient & { requests: Array<[string, unknown]> } {
  const requests: Array<[string, unknown]> = [];
  return {
    requests,
    describeRules: async (input) => {
      requests.push(['DescribeRules', input]);
      return { Rules: [rule] };
    },
    modifyRule: async (input) => {
      requests.push(['ModifyRule', input]);
      return { Rules: [{ RuleArn: input.RuleArn, Actions: input.Actions }] };
    },
  };
}

describe('Elbv2ListenerRules', () => {
  it('describeForward reads ForwardConfig.TargetGroups (an absent weight is 1) in one DescribeRules of that rule', async () => {
    const client = fake({ RuleArn: RULE, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 90 }, { TargetGroupArn: GREEN }] } }] });
    expect(await new Elbv2ListenerRules(client).describeForward(RULE)).toEqual({
      ruleArn: RULE,
      targetGroups: [
        { targetGroupArn: BLUE, weight: 90 },
        { targetGroupArn: GREEN, weight: 1 },
      ],
    });
    expect(client.requests).toEqual([['DescribeRules', { RuleArns: [RULE] }]]);
  });

  it('a forward with only TargetGroupArn is that group at weight 1; a rule without a forward action is a ListenerRuleError', async () => {
    expect(await new Elbv2ListenerRules(fake({ RuleArn: RULE, Actions: [{ Type: 'forward', TargetGroupArn: BLUE }] })).describeForward(RULE)).toEqual({
      ruleArn: RULE,
      targetGroups: [{ targetGroupArn: BLUE, weight: 1 }],
    });
    const fixed = new Elbv2ListenerRules(fake({ RuleArn: RULE, Actions: [{ Type: 'fixed-response' }] }));
    await expect(fixed.describeForward(RULE)).rejects.toBeInstanceOf(ListenerRuleError);
    await expect(fixed.describeForward(RULE)).rejects.toThrow(`listener rule ${RULE}: has no forward action (actions: fixed-response)`);
    await expect(fixed.setForwardWeights(RULE, [{ targetGroupArn: BLUE, weight: 1 }])).rejects.toBeInstanceOf(ListenerRuleError);
  });

  it('setForwardWeights sends every action back: the forward with the new target groups, its Order and stickiness kept, TargetGroupArn dropped; an OIDC action keeps its secret', async () => {
    const client = fake({
      RuleArn: RULE,
      Actions: [
        { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ClientSecret: undefined } },
        { Type: 'forward', Order: 2, TargetGroupArn: BLUE, ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 } } },
      ],
    });
    const answer = await new Elbv2ListenerRules(client).setForwardWeights(RULE, [
      { targetGroupArn: BLUE, weight: 90 },
      { targetGroupArn: GREEN, weight: 10 },
    ]);
    expect(client.requests).toEqual([
      ['DescribeRules', { RuleArns: [RULE] }],
      [
        'ModifyRule',
        {
          RuleArn: RULE,
          Actions: [
            { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ClientSecret: undefined, UseExistingClientSecret: true } },
            {
              Type: 'forward',
              Order: 2,
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: BLUE, Weight: 90 },
                  { TargetGroupArn: GREEN, Weight: 10 },
                ],
                TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 },
              },
            },
          ],
        },
      ],
    ]);
    expect(answer).toEqual({
      ruleArn: RULE,
      targetGroups: [
        { targetGroupArn: BLUE, weight: 90 },
        { targetGroupArn: GREEN, weight: 10 },
      ],
    });
  });
});

describe('Elbv2ListenerRules over the SDK client (aws-sdk-client-mock)', () => {
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  afterEach(() => elbv2.reset());
  const sdk = () => new Elbv2ListenerRules(listenerRulesThroughSdk({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));

  it('sends DescribeRules { RuleArns: [rule] }, then ModifyRule { RuleArn, Actions } with the forward rewritten, and reads its answer', async () => {
    const forward = (blue: number, green: number) => ({
      Type: 'forward' as const,
      Order: 1,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: BLUE, Weight: blue },
          { TargetGroupArn: GREEN, Weight: green },
        ],
        TargetGroupStickinessConfig: { Enabled: false },
      },
    });
    elbv2.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: RULE, Priority: '1', IsDefault: false, Conditions: [{ Field: 'path-pattern', Values: ['/*'] }], Actions: [forward(100, 0)] }] });
    elbv2.on(ModifyRuleCommand).resolves({ Rules: [{ RuleArn: RULE, Priority: '1', IsDefault: false, Actions: [forward(95, 5)] }] });
    expect(await sdk().setForwardWeights(RULE, [{ targetGroupArn: BLUE, weight: 95 }, { targetGroupArn: GREEN, weight: 5 }])).toEqual({
      ruleArn: RULE,
      targetGroups: [
        { targetGroupArn: BLUE, weight: 95 },
        { targetGroupArn: GREEN, weight: 5 },
      ],
    });
    expect(elbv2.commandCalls(DescribeRulesCommand).map((c) => c.args[0].input)).toEqual([{ RuleArns: [RULE] }]);
    // No Conditions: ModifyRule keeps them.
    expect(elbv2.commandCalls(ModifyRuleCommand).map((c) => c.args[0].input)).toEqual([{ RuleArn: RULE, Actions: [forward(95, 5)] }]);
  });

  it("ELBv2's errors reach the caller by name (RuleNotFound on the read, ValidationError on the write)", async () => {
    elbv2.on(DescribeRulesCommand).rejects(Object.assign(new Error('One or more rules not found'), { name: 'RuleNotFoundException' }));
    await expect(sdk().describeForward(RULE)).rejects.toMatchObject({ name: 'RuleNotFoundException' });
    elbv2.reset();
    elbv2.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: RULE, Actions: [{ Type: 'forward', TargetGroupArn: BLUE }] }] });
    elbv2.on(ModifyRuleCommand).rejects(Object.assign(new Error('1 validation error detected'), { name: 'ValidationError' }));
    await expect(sdk().setForwardWeights(RULE, [{ targetGroupArn: BLUE, weight: 1000 }])).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('Elbv2ListenerRules over the simulated ELBv2 (the default world)', () => {
  async function world() {
    const clock = new VirtualClock(Date.UTC(2024, 0, 1));
    const cluster = new SimulatedCluster({ clock, rateLimits: false });
    const services = createSimulatedServices({ world: cluster, clock, description: DEFAULT_SIM_SERVICES, rateLimits: false });
    const elb = services.elbv2;
    const [alb] = (await elb.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers;
    const [production, test] = (await elb.describeListeners({ LoadBalancerArn: alb!.LoadBalancerArn })).Listeners;
    const rule = async (listenerArn: string) => (await elb.describeRules({ ListenerArn: listenerArn })).Rules;
    return { elb, rules: new Elbv2ListenerRules(elb), production: await rule(production!.ListenerArn), test: await rule(test!.ListenerArn), arn: (name: string) => elb.targetGroupArn(name)! };
  }

  it('reads the production rule (web-blue 100 / web-green 0), sets 90/10 and reads it back; the test rule is untouched', async () => {
    const { rules, production, test, arn } = await world();
    const rule = production[0]!.RuleArn;
    expect(await rules.describeForward(rule)).toEqual({ ruleArn: rule, targetGroups: [{ targetGroupArn: arn('web-blue'), weight: 100 }, { targetGroupArn: arn('web-green'), weight: 0 }] });
    const set = await rules.setForwardWeights(rule, [{ targetGroupArn: arn('web-blue'), weight: 90 }, { targetGroupArn: arn('web-green'), weight: 10 }]);
    expect(set).toEqual({ ruleArn: rule, targetGroups: [{ targetGroupArn: arn('web-blue'), weight: 90 }, { targetGroupArn: arn('web-green'), weight: 10 }] });
    expect(await rules.describeForward(rule)).toEqual(set);
    expect(await rules.describeForward(test[0]!.RuleArn)).toEqual({ ruleArn: test[0]!.RuleArn, targetGroups: [{ targetGroupArn: arn('web-green'), weight: 100 }] });
  });

  it('keeps the stickiness and the conditions the rule had', async () => {
    const { elb, rules, production, arn } = await world();
    const rule = production[0]!.RuleArn;
    await elb.modifyRule({ RuleArn: rule, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn('web-blue'), Weight: 1 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 120 } } }] });
    await rules.setForwardWeights(rule, [{ targetGroupArn: arn('web-blue'), weight: 50 }, { targetGroupArn: arn('web-green'), weight: 50 }]);
    const [after] = (await elb.describeRules({ RuleArns: [rule] })).Rules;
    expect(after!.Actions[0]!.ForwardConfig!.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 120 });
    expect(after!.Conditions).toEqual(production[0]!.Conditions);
  });

  it("refuses as ELBv2 does: an unknown rule, a weight of 1000, another load balancer's target group, the default rule", async () => {
    const { rules, production, arn } = await world();
    const rule = production[0]!.RuleArn;
    await expect(rules.describeForward(rule.replace(/[0-9a-f]{16}$/, '0123456789abcdef'))).rejects.toMatchObject({ name: 'RuleNotFoundException' });
    await expect(rules.setForwardWeights(rule, [{ targetGroupArn: arn('web-blue'), weight: 1000 }])).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(rules.setForwardWeights(rule, [{ targetGroupArn: arn('web-a'), weight: 1 }])).rejects.toMatchObject({ name: 'TargetGroupAssociationLimitException' });
    // The default rule answers 404 (fixed-response): not a forward.
    await expect(rules.setForwardWeights(production[1]!.RuleArn, [{ targetGroupArn: arn('web-blue'), weight: 1 }])).rejects.toBeInstanceOf(ListenerRuleError);
    expect(await rules.describeForward(rule)).toMatchObject({ targetGroups: [{ weight: 100 }, { weight: 0 }] });
  });
});
