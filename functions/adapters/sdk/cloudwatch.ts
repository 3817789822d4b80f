/**
 * The CloudWatch SDK calls the Alarms adapter makes, in a module of their own so it can be imported
 * on first use (`cloudwatch-alarms.ts`): esbuild keeps only what is named here (a dynamic import of the
 * package itself would bundle every command) and puts it in a chunk read only when imported.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClientConfig, DescribeAlarmsCommandInput, DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';

export function describeAlarmsClient(config: CloudWatchClientConfig): (input: DescribeAlarmsCommandInput) => Promise<DescribeAlarmsCommandOutput> {
  const client = new CloudWatchClient(config);
  return (input) => client.send(new DescribeAlarmsCommand(input));
}
