import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local';

/**
 * Starts one in-memory DynamoDB Local for the whole test run.
 * Tests get the endpoint with `inject('dynamoEndpoint')` (or `process.env.DYNAMODB_ENDPOINT`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo: DynamoDbLocal = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  // Fallback for code that reads the environment; workers are spawned after global setup
  // and inherit it.
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;

  return async () => {
    await dynamo.stop();
  };
}
