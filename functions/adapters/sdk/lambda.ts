/**
 * The Lambda SDK call the Hooks adapter makes (Invoke), in a module of its own so it can be imported
 * on first use (`lambda-hooks.ts`): esbuild keeps only what is named here and runs it only when
 * imported — only a deployment with hooks invokes one.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { InvokeCommandInput, InvokeCommandOutput, LambdaClientConfig } from '@aws-sdk/client-lambda';

export function invokeClient(config: LambdaClientConfig): (input: InvokeCommandInput) => Promise<InvokeCommandOutput> {
  const client = new LambdaClient(config);
  return (input) => client.send(new InvokeCommand(input));
}
