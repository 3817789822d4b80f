/**
 * The DynamoDB `EcsBudget` on DynamoDB Local: the port's contract with two adapter instances on one
 * table ("two Lambda containers"), the item it keeps, and that it stays in the event log's table
 * without disturbing it.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../functions/adapters/dynamo';
import { DynamoEcsBudget, ecsBudgetKey } from '../../../functions/adapters/dynamo-ecs-budget';
import { VirtualClock } from '../../../local/sim/clock';
import { freshTable } from '../../support/store';
import { ecsBudgetContract, settleWhile, track } from './ecs-budget-contract';

/** A document client that counts its requests in flight (so tests know when the store is idle). */
function countingClient(client: DynamoDBDocumentClient) {
  let inFlight = 0;
  const counting: Pick<DynamoDBDocumentClient, 'send'> = {
    send: ((command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
      inFlight++;
      return client.send(command).finally(() => inFlight--);
    }) as DynamoDBDocumentClient['send'],
  };
  return { counting, busy: () => inFlight > 0 };
}

async function bed() {
  const { tableName, endpoint } = await freshTable();
  const client = createDocumentClient(endpoint);
  const clock = new VirtualClock();
  const a = countingClient(client);
  const b = countingClient(client);
  const budgets: [DynamoEcsBudget, DynamoEcsBudget] = [new DynamoEcsBudget(a.counting, tableName, { clock }), new DynamoEcsBudget(b.counting, tableName, { clock })];
  return { clock, budgets, client, tableName, settle: () => settleWhile(() => a.busy() || b.busy()) };
}

ecsBudgetContract('DynamoDB, two adapter instances on one table', bed);

describe('DynamoEcsBudget', () => {
  it('keeps one item per cluster and bucket: pk "ecs-budget#<cluster>#<bucket>", sk "budget"', async () => {
    const { clock, budgets, client, tableName } = await bed();
    await budgets[0].take('default', 'cluster-resource-read', 30);
    await budgets[1].take('default', 'cluster-resource-read', 20);
    expect(ecsBudgetKey('default', 'cluster-resource-read')).toEqual({ pk: 'ecs-budget#default#cluster-resource-read', sk: 'budget' });
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: ecsBudgetKey('default', 'cluster-resource-read'), ConsistentRead: true }));
    expect(Item).toEqual({ pk: 'ecs-budget#default#cluster-resource-read', sk: 'budget', tokens: 30, refilledAt: clock.now(), version: 2 });
  });

  it('a take that loses the race to another container reads again and takes what is left', async () => {
    const { tableName, endpoint } = await freshTable();
    const client = createDocumentClient(endpoint);
    const clock = new VirtualClock();
    // Container B's first read is held until container A has taken and written.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const sentByB: string[] = [];
    const heldClient: Pick<DynamoDBDocumentClient, 'send'> = {
      send: (async (command: GetCommand | UpdateCommand) => {
        sentByB.push(command.constructor.name);
        const answer = await client.send(command as GetCommand);
        if (sentByB.length === 1) await released;
        return answer;
      }) as DynamoDBDocumentClient['send'],
    };
    const a = new DynamoEcsBudget(client, tableName, { clock });
    const b = new DynamoEcsBudget(heldClient, tableName, { clock });

    const fromB = track(b.take('default', 'cluster-resource-modify', 30));
    await settleWhile(() => sentByB.length === 0);
    await a.take('default', 'cluster-resource-modify', 50); // 80 − 50 = 30 left, version 1
    release();
    await fromB.promise;
    // B's write on the item it read (none) is refused; it reads again (30 at version 1) and takes them.
    expect(sentByB).toEqual(['GetCommand', 'UpdateCommand', 'GetCommand', 'UpdateCommand']);
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: ecsBudgetKey('default', 'cluster-resource-modify'), ConsistentRead: true }));
    expect(Item).toMatchObject({ tokens: 0, version: 2 });
  });
});
