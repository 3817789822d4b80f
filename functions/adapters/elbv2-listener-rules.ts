/**
 * The `ListenerRules` port on ELBv2's DescribeRules and ModifyRule: a listener rule's weighted
 * forward action read back and set (TrafficRouting.Alb's production and test rules).
 *
 * What ELBv2 does, and what this adapter does about it (ELBv2 API Reference: DescribeRules,
 * ModifyRule, Action, ForwardActionConfig, TargetGroupTuple, AuthenticateOidcActionConfig):
 *
 * - DescribeRules with `RuleArns: [arn]`: one call, one rule (no pages for a single ARN).
 * - A forward action names its target groups in `ForwardConfig.TargetGroups` (`Weight` 0–999; absent:
 *   1) and, with one target group, also in `TargetGroupArn`; an action with only `TargetGroupArn`
 *   forwards everything to it. At most 5 target groups per action (ELBv2 refuses more:
 *   `ValidationError`); a target group of another load balancer is `TargetGroupAssociationLimit`.
 * - ModifyRule replaces the whole `Actions` list; `Conditions` not sent are kept. So the adapter
 *   sends back every action of the rule as DescribeRules answered it, the forward action with only
 *   its target groups changed: its `Order` and `TargetGroupStickinessConfig` are kept, its
 *   `TargetGroupArn` is dropped (ELBv2 refuses it beside a `ForwardConfig` of several target groups).
 *   An `authenticate-oidc` action is answered without its client secret (write-only), and ModifyRule
 *   refuses it back without one unless `UseExistingClientSecret` is true: the adapter sets that.
 * - The default rule of a listener cannot be changed with ModifyRule (`OperationNotPermitted`:
 *   TrafficRouting.Alb names non-default rules).
 * - Neither call has pages to follow. IAM: `elasticloadbalancing:DescribeRules` has no resource-level
 *   permissions (`*`); `elasticloadbalancing:ModifyRule` is scoped to the `listener-rule/app/…` ARNs
 *   (serverless.yml, param `trafficListenerRuleArns`).
 * - Request throttling ("Request throttling for the Elastic Load Balancing API"): DescribeRules is
 *   a non-mutating call, ModifyRule a mutating one (smaller bucket); the SDK retries throttling
 *   (adaptive retry mode, 5 attempts; a ModifyRule sent again sets the same weights); whatever still
 *   fails propagates unchanged (by `name`).
 *
 * The client is anything that answers DescribeRules and ModifyRule in the SDK's shapes: the
 * simulated ELBv2 (`local/sim/elbv2.ts`) does, and so does `listenerRulesThroughSdk()` over the SDK's
 * ELBv2 client (loaded on first use: only a Canary or BlueGreen Service moves weights).
 *
 * setForwardWeights(rule, [{ targetGroupArn: blue, weight: 90 }, { targetGroupArn: green, weight: 10 }])
 *   → DescribeRules { RuleArns: [rule] }
 *   → ModifyRule { RuleArn: rule, Actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 90 }, { TargetGroupArn: green, Weight: 10 }], TargetGroupStickinessConfig: { Enabled: false } } }] }
 *   → { ruleArn: rule, targetGroups: [{ targetGroupArn: blue, weight: 90 }, { targetGroupArn: green, weight: 10 }] }
 */
import type { ElasticLoadBalancingV2ClientConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { listenerRulesClient } from './sdk/elbv2';
import type { ForwardRule, ForwardWeight, ListenerRules } from '../ports';
import { ListenerRuleError } from '../ports';

/** An action in the SDK's shape (the fields this adapter reads or writes; the others are sent back as they came). */
export interface RuleActionShape {
  Type?: string | undefined;
  Order?: number | undefined;
  TargetGroupArn?: string | undefined;
  ForwardConfig?:
    | {
        TargetGroups?: Array<{ TargetGroupArn?: string | undefined; Weight?: number | undefined }> | undefined;
        TargetGroupStickinessConfig?: { Enabled?: boolean | undefined; DurationSeconds?: number | undefined } | undefined;
      }
    | undefined;
  AuthenticateOidcConfig?: { ClientSecret?: string | undefined; UseExistingClientSecret?: boolean | undefined } | undefined;
}

export interface RuleShape {
  RuleArn?: string | undefined;
  Actions?: RuleActionShape[] | undefined;
}

/** DescribeRules and ModifyRule in the SDK's request and response shapes. */
export interface ListenerRulesClient {
  describeRules(input: { RuleArns: string[] }): Promise<{ Rules?: RuleShape[] | undefined }>;
  modifyRule(input: { RuleArn: string; Actions: RuleActionShape[] }): Promise<{ Rules?: RuleShape[] | undefined }>;
}

/** The SDK client's settings: adaptive retries (backs off on throttling), 5 attempts. */
export const LISTENER_RULES_CLIENT_DEFAULTS: ElasticLoadBalancingV2ClientConfig = Object.freeze({ retryMode: 'adaptive', maxAttempts: 5 });

/**
 * DescribeRules and ModifyRule through the SDK's ELBv2 client, loaded (a dynamic import of
 * `sdk/elbv2.ts`) and built on the first call, kept for the life of the container.
 */
export function listenerRulesThroughSdk(config: ElasticLoadBalancingV2ClientConfig = {}): ListenerRulesClient {
  let client: ReturnType<typeof listenerRulesClient> | undefined;
  const loaded = async () => (client ??= (await import('./sdk/elbv2')).listenerRulesClient({ ...LISTENER_RULES_CLIENT_DEFAULTS, ...config }));
  return {
    describeRules: async (input) => (await loaded()).describeRules(input),
    // The SDK's Action type names its enum; the shapes sent are the ones DescribeRules answered.
    modifyRule: async (input) => (await loaded()).modifyRule(input as Parameters<ReturnType<typeof listenerRulesClient>['modifyRule']>[0]),
  };
}

export class Elbv2ListenerRules implements ListenerRules {
  constructor(private readonly client: ListenerRulesClient) {}

  async describeForward(ruleArn: string): Promise<ForwardRule> {
    const rule = await this.read(ruleArn);
    return { ruleArn, targetGroups: targetGroupsOf(forwardOf(rule, ruleArn)) };
  }

  async setForwardWeights(ruleArn: string, weights: readonly ForwardWeight[]): Promise<ForwardRule> {
    const rule = await this.read(ruleArn);
    const forward = forwardOf(rule, ruleArn);
    const actions = (rule.Actions ?? []).map((action): RuleActionShape => {
      if (action === forward) {
        const { TargetGroupArn: _single, ForwardConfig: config, ...rest } = action;
        return {
          ...rest,
          ForwardConfig: {
            ...config,
            TargetGroups: weights.map(({ targetGroupArn, weight }) => ({ TargetGroupArn: targetGroupArn, Weight: weight })),
          },
        };
      }
      if (action.Type === 'authenticate-oidc' && action.AuthenticateOidcConfig && action.AuthenticateOidcConfig.ClientSecret === undefined) {
        return { ...action, AuthenticateOidcConfig: { ...action.AuthenticateOidcConfig, UseExistingClientSecret: true } };
      }
      return action;
    });
    const answer = await this.client.modifyRule({ RuleArn: ruleArn, Actions: actions });
    const modified = answer.Rules?.find((r) => r.RuleArn === ruleArn) ?? answer.Rules?.[0];
    if (!modified) throw new ListenerRuleError(ruleArn, 'ModifyRule answered no rule');
    return { ruleArn, targetGroups: targetGroupsOf(forwardOf(modified, ruleArn)) };
  }

  private async read(ruleArn: string): Promise<RuleShape> {
    const answer = await this.client.describeRules({ RuleArns: [ruleArn] });
    const rule = answer.Rules?.find((r) => r.RuleArn === ruleArn) ?? answer.Rules?.[0];
    if (!rule) throw new ListenerRuleError(ruleArn, 'DescribeRules answered no rule');
    return rule;
  }
}

function forwardOf(rule: RuleShape, ruleArn: string): RuleActionShape {
  const forwards = (rule.Actions ?? []).filter((action) => action.Type === 'forward');
  if (forwards.length !== 1) {
    throw new ListenerRuleError(ruleArn, forwards.length === 0 ? `has no forward action (actions: ${(rule.Actions ?? []).map((a) => a.Type).join(', ') || 'none'})` : `has ${forwards.length} forward actions`);
  }
  return forwards[0]!;
}

function targetGroupsOf(action: RuleActionShape): ForwardWeight[] {
  const tuples = action.ForwardConfig?.TargetGroups ?? [];
  if (tuples.length > 0) {
    return tuples.flatMap((tuple) => (tuple.TargetGroupArn === undefined ? [] : [{ targetGroupArn: tuple.TargetGroupArn, weight: tuple.Weight ?? 1 }]));
  }
  return action.TargetGroupArn === undefined ? [] : [{ targetGroupArn: action.TargetGroupArn, weight: 1 }];
}
