/** Test support: a fresh table on the DynamoDB Local of the test run, and an EventLog on it. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ensureTable } from '../../functions/adapters/create-table';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { DynamoEventLog } from '../../functions/adapters/event-log';

export function dynamoEndpoint(): string {
  return inject('dynamoEndpoint') ?? process.env.DYNAMODB_ENDPOINT!;
}

/** A new table per call, so tests never see each other's data. */
export async function freshTable(): Promise<{ tableName: string; endpoint: string }> {
  const endpoint = dynamoEndpoint();
  const tableName = `blox-test-${randomUUID().slice(0, 8)}`;
  await ensureTable(endpoint, tableName);
  return { tableName, endpoint };
}

export async function freshEventLog(): Promise<{ eventLog: DynamoEventLog; tableName: string; endpoint: string }> {
  const { tableName, endpoint } = await freshTable();
  return { eventLog: new DynamoEventLog(createDocumentClient(endpoint), tableName), tableName, endpoint };
}
