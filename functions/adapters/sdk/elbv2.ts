/**
 * The ELBv2 SDK call the TargetHealth adapter makes, in a module of their own so it can be imported
 * on first use (`elbv2-target-health.ts`): esbuild keeps only what is named here (a dynamic import of
 * the package itself would bundle every command) and puts it in a chunk read only when imported.
 */
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DescribeTargetHealthCommandInput, DescribeTargetHealthCommandOutput, ElasticLoadBalancingV2ClientConfig } from '@aws-sdk/client-elastic-load-balancing-v2';

export function describeTargetHealthClient(config: ElasticLoadBalancingV2ClientConfig): (input: DescribeTargetHealthCommandInput) => Promise<DescribeTargetHealthCommandOutput> {
  const client = new ElasticLoadBalancingV2Client(config);
  return (input) => client.send(new DescribeTargetHealthCommand(input));
}
