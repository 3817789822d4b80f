/**
 * The DynamoDB document client, configured once per process. `DYNAMODB_ENDPOINT` points it at
 * DynamoDB Local (the local stack and the tests); in AWS the default endpoint is used.
 * Retries use the SDK's adaptive mode, which also backs off on throttling.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function createDocumentClient(endpoint = process.env.DYNAMODB_ENDPOINT): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    retryMode: 'adaptive',
    maxAttempts: 5,
    ...(endpoint
      ? { endpoint, region: process.env.AWS_REGION ?? 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
