/**
 * The Route 53 SDK calls the WeightedRecords adapter makes, in a module of their own so it can be
 * imported on first use (`route53-records.ts`): esbuild keeps only what is named here (a dynamic
 * import of the package itself would bundle every command) and runs it only when imported.
 */
import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import type {
  ChangeResourceRecordSetsCommandInput,
  ChangeResourceRecordSetsCommandOutput,
  GetChangeCommandInput,
  GetChangeCommandOutput,
  ListResourceRecordSetsCommandInput,
  ListResourceRecordSetsCommandOutput,
  Route53ClientConfig,
} from '@aws-sdk/client-route-53';

export interface Route53Calls {
  listResourceRecordSets(input: ListResourceRecordSetsCommandInput): Promise<ListResourceRecordSetsCommandOutput>;
  changeResourceRecordSets(input: ChangeResourceRecordSetsCommandInput): Promise<ChangeResourceRecordSetsCommandOutput>;
  getChange(input: GetChangeCommandInput): Promise<GetChangeCommandOutput>;
}

export function route53Calls(config: Route53ClientConfig): Route53Calls {
  const client = new Route53Client(config);
  return {
    listResourceRecordSets: (input) => client.send(new ListResourceRecordSetsCommand(input)),
    changeResourceRecordSets: (input) => client.send(new ChangeResourceRecordSetsCommand(input)),
    getChange: (input) => client.send(new GetChangeCommand(input)),
  };
}
