/**
 * Creates the table if it is missing (local stack and tests; in AWS CloudFormation owns it), and adds
 * the indexes of `tableDefinition()` that an existing table lacks (a persisted local stack made
 * before an index was added), one at a time as DynamoDB requires, waiting for each to be ACTIVE.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition } from './table-definition';

const INDEX_WAIT_MS = 60_000;

export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const definition = tableDefinition(tableName);
  const describe = async (): Promise<TableDescription | undefined> => {
    try {
      return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
  try {
    const existing = await describe();
    if (!existing) {
      await client.send(new CreateTableCommand(definition));
      return;
    }
    const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    for (const index of definition.GlobalSecondaryIndexes ?? []) {
      if (present.has(index.IndexName)) continue;
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: definition.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
      const deadline = Date.now() + INDEX_WAIT_MS;
      for (;;) {
        const status = (await describe())?.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.IndexName)?.IndexStatus;
        if (status === 'ACTIVE') break;
        if (Date.now() > deadline) throw new Error(`index ${index.IndexName} of ${tableName} is still ${status ?? 'missing'} after ${INDEX_WAIT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}
