/**
 * The `EcsBudget` port on DynamoDB: the budget every Lambda container of the account shares. One
 * item per cluster and ECS bucket, in the event log's table (`table-definition.ts`):
 *
 *   pk = "ecs-budget#<cluster>#<bucket>", sk = "budget"
 *   tokens     the level at `refilledAt` (below zero: a deficit later takes wait out)
 *   refilledAt epoch ms
 *   version    bumped by every write (the condition of the next one)
 *
 * A take reads the item (consistent read), refills it on this container's clock up to the burst
 * (`budgetLevel`, shared with the in-memory budget), and if the tokens are there, writes the new
 * level with ONE conditional UpdateItem on the version it read (`attribute_not_exists(pk)` for a
 * new item): refill and take are atomic. A lost race (another container wrote first:
 * ConditionalCheckFailedException) reads again at once — someone else got tokens, so the budget
 * made progress. When the tokens are short, it waits the computed time on the injected clock and
 * reads again. Waiting takes nothing: a container that dies while it waits leaves the budget whole.
 * Within one adapter instance the takes of an item are served one after the other, in arrival
 * order (first come, first served, as in memory): only containers race each other, not the
 * concurrent calls of one invocation.
 *
 * DynamoDB cost: one consistent read and one write per take (more on contention); the items are a
 * handful per cluster, never a hot partition beyond the calls ECS itself would allow.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BudgetClock, EcsBudget, EcsRateBucket, EcsRateLimit, EcsRateLimits } from '../ecs-budget-port';
import { ECS_BUDGET_LIMITS } from '../ecs-budget-port';
import type { BudgetBucketState } from './ecs-budget';
import { budgetCovers, budgetLevel, budgetNeed, budgetWaitMs, checkCalls, sleepUntil, systemBudgetClock } from './ecs-budget';

export const ECS_BUDGET_SORT_KEY = 'budget';

/** The item's key: `pk = "ecs-budget#<cluster>#<bucket>"`, `sk = "budget"`. */
export function ecsBudgetKey(cluster: string, bucket: EcsRateBucket): { pk: string; sk: string } {
  return { pk: `ecs-budget#${cluster}#${bucket}`, sk: ECS_BUDGET_SORT_KEY };
}

export interface DynamoEcsBudgetOptions {
  /** Default `systemBudgetClock` (wall time). */
  clock?: BudgetClock;
  /** Default `ECS_BUDGET_LIMITS`. */
  limits?: EcsRateLimits;
}

interface StoredBucket extends BudgetBucketState {
  version: number;
}

export class DynamoEcsBudget implements EcsBudget {
  private readonly clock: BudgetClock;
  private readonly limits: EcsRateLimits;
  /** Per item: the last take queued in this instance (the next one starts when it is over). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly client: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
    options: DynamoEcsBudgetOptions = {},
  ) {
    this.clock = options.clock ?? systemBudgetClock;
    this.limits = options.limits ?? ECS_BUDGET_LIMITS;
  }

  async take(cluster: string, bucket: EcsRateBucket, calls: number): Promise<void> {
    checkCalls(calls, 'take');
    if (calls === 0) return;
    const key = ecsBudgetKey(cluster, bucket).pk;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.takeNow(cluster, bucket, calls));
    const tail = mine.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return mine;
  }

  private async takeNow(cluster: string, bucket: EcsRateBucket, calls: number): Promise<void> {
    const limit = this.limits[bucket];
    const need = budgetNeed(calls, limit);
    for (;;) {
      const stored = await this.read(cluster, bucket);
      const now = this.clock.now();
      const level = this.level(stored, limit, now);
      if (!budgetCovers(level, need)) {
        await sleepUntil(this.clock, now + budgetWaitMs(level, need, limit));
        continue;
      }
      if (await this.write(cluster, bucket, stored, level - calls, now)) return;
    }
  }

  async adjust(cluster: string, bucket: EcsRateBucket, calls: number): Promise<void> {
    checkCalls(calls, 'adjust');
    if (calls === 0) return;
    const limit = this.limits[bucket];
    for (;;) {
      const stored = await this.read(cluster, bucket);
      const now = this.clock.now();
      if (await this.write(cluster, bucket, stored, Math.min(limit.burst, this.level(stored, limit, now) - calls), now)) return;
    }
  }

  private level(stored: StoredBucket | undefined, limit: EcsRateLimit, now: number): number {
    return stored ? budgetLevel(stored, limit, now) : limit.burst;
  }

  private async read(cluster: string, bucket: EcsRateBucket): Promise<StoredBucket | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: ecsBudgetKey(cluster, bucket), ConsistentRead: true }));
    if (!Item) return undefined;
    return { tokens: Number(Item.tokens), at: Number(Item.refilledAt), version: Number(Item.version) };
  }

  /** Writes the level if the item is still as read; false when another writer came first. */
  private async write(cluster: string, bucket: EcsRateBucket, stored: StoredBucket | undefined, tokens: number, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ecsBudgetKey(cluster, bucket),
          UpdateExpression: 'SET #tokens = :tokens, #refilledAt = :refilledAt, #version = :next',
          ConditionExpression: stored ? '#version = :version' : 'attribute_not_exists(pk)',
          ExpressionAttributeNames: { '#tokens': 'tokens', '#refilledAt': 'refilledAt', '#version': 'version' },
          ExpressionAttributeValues: {
            ':tokens': tokens,
            // Never back in time (another container's clock may be ahead): the refill is not counted twice.
            ':refilledAt': Math.max(now, stored?.at ?? now),
            ':next': (stored?.version ?? 0) + 1,
            ...(stored ? { ':version': stored.version } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
