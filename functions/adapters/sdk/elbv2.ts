/**
 * The ELBv2 SDK calls the TargetHealth and ListenerRules adapters make, in a module of their own so it can be imported
 * on first use (`elbv2-target-health.ts`): esbuild keeps only what is named here (a dynamic import of
 * the package itself would bundle every command) and puts it in a chunk read only when imported.
 */
import { DescribeRulesCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type {
  DescribeRulesCommandInput,
  DescribeRulesCommandOutput,
  DescribeTargetHealthCommandInput,
  DescribeTargetHealthCommandOutput,
  ElasticLoadBalancingV2ClientConfig,
  ModifyRuleCommandInput,
  ModifyRuleCommandOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';

export function describeTargetHealthClient(config: ElasticLoadBalancingV2ClientConfig): (input: DescribeTargetHealthCommandInput) => Promise<DescribeTargetHealthCommandOutput> {
  const client = new ElasticLoadBalancingV2Client(config);
  return (input) => client.send(new DescribeTargetHealthCommand(input));
}

/** DescribeRules and ModifyRule (the ListenerRules adapter, `elbv2-listener-rules.ts`), on one client. */
export function listenerRulesClient(config: ElasticLoadBalancingV2ClientConfig): {
  describeRules(input: DescribeRulesCommandInput): Promise<DescribeRulesCommandOutput>;
  modifyRule(input: ModifyRuleCommandInput): Promise<ModifyRuleCommandOutput>;
} {
  const client = new ElasticLoadBalancingV2Client(config);
  return {
    describeRules: (input) => client.send(new DescribeRulesCommand(input)),
    modifyRule: (input) => client.send(new ModifyRuleCommand(input)),
  };
}
