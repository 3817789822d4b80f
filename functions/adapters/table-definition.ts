/**
 * The one DynamoDB table behind the `EventLog` port. `serverless.yml` declares the same keys
 * (a test keeps the two in step); the local stack and the tests create it from here.
 *
 * Items (electrodb's format, the entities in `electrodb-entities.ts`; read and written by `event-log.ts`):
 * - event        pk = environment, sk = sequence (zero-padded) — the revision log, append-only
 * - environment  pk = environment, sk = (none)                 — the projection: live state and version
 *                gsi1pk = "environments", gsi1sk = name      — lists environments without a scan
 *                gsi2pk = "deploying",                       — only while a deployment is in progress
 *                gsi2sk = cluster#startedBy#name               (sparse): routes ticks and ECS events
 * - revision     pk = environment, sk = revision (zero-padded) — the revision table (status, counts, spec)
 * - idempotency  pk = key                                      — first answers of idempotent commands (TTL)
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TTL_ATTRIBUTE = 'expiresAt';

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
      { AttributeName: 'gsi2pk', AttributeType: 'S' },
      { AttributeName: 'gsi2sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: 'gsi2',
        KeySchema: [
          { AttributeName: 'gsi2pk', KeyType: 'HASH' },
          { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
        ],
        // The environment's name and the cluster it deploys on: all routing needs.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['environment', 'deployingOn'] },
      },
    ],
  };
}
