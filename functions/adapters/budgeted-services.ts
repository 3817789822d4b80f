/**
 * `BudgetedServices`: a `Services` (Service environments: the ECS service and its task sets) whose
 * every ECS call is first taken from the same per-account `EcsBudget` as the cluster's
 * (`budgeted-cluster.ts`), so a Service rollout, its scale-environment and a delete are paced with
 * every Daemon deploying at once instead of throttled.
 *
 * What each method takes (`ECS_CALLS`, from the service read and service modify buckets):
 * - describeService: one DescribeServices; setDesiredCount: one UpdateService; addTaskSet: one
 *   CreateTaskSet; scaleTaskSet: one UpdateTaskSet; setPrimaryTaskSet: one
 *   UpdateServicePrimaryTaskSet; removeTaskSet: one DeleteTaskSet; removeService: one DeleteService —
 *   exact.
 * - ensureService: at most two DescribeServices and one CreateService (a create that lost a race
 *   describes again); the answer does not say which were made, so the most is taken. It runs once per
 *   deployment step that finds no service: the few tokens it may over-take are the safe side.
 * A call that fails keeps its take spent.
 */
import type { EcsBudget, EcsCalls } from '../ecs-budget-port';
import { callsByBucket, ECS_CALLS } from '../ecs-budget-port';
import type { Services } from '../ports';

export interface BudgetedServicesOptions {
  /** The budget's key for a cluster. Default: the cluster as given. */
  budgetKey?: (cluster: string) => string;
}

export class BudgetedServices implements Services {
  private readonly budgetKey: (cluster: string) => string;

  constructor(
    readonly inner: Services,
    readonly budget: EcsBudget,
    options: BudgetedServicesOptions = {},
  ) {
    this.budgetKey = options.budgetKey ?? ((cluster) => cluster);
  }

  async ensureService(...args: Parameters<Services['ensureService']>): ReturnType<Services['ensureService']> {
    await this.take(args[0].cluster, ECS_CALLS.ensureService({ created: true, raced: true }));
    return this.inner.ensureService(...args);
  }

  async describeService(...args: Parameters<Services['describeService']>): ReturnType<Services['describeService']> {
    await this.take(args[0], ECS_CALLS.describeService());
    return this.inner.describeService(...args);
  }

  async setDesiredCount(...args: Parameters<Services['setDesiredCount']>): ReturnType<Services['setDesiredCount']> {
    await this.take(args[0], ECS_CALLS.setDesiredCount());
    return this.inner.setDesiredCount(...args);
  }

  async addTaskSet(...args: Parameters<Services['addTaskSet']>): ReturnType<Services['addTaskSet']> {
    await this.take(args[0].cluster, ECS_CALLS.addTaskSet());
    return this.inner.addTaskSet(...args);
  }

  async scaleTaskSet(...args: Parameters<Services['scaleTaskSet']>): ReturnType<Services['scaleTaskSet']> {
    await this.take(args[0], ECS_CALLS.scaleTaskSet());
    return this.inner.scaleTaskSet(...args);
  }

  async setPrimaryTaskSet(...args: Parameters<Services['setPrimaryTaskSet']>): ReturnType<Services['setPrimaryTaskSet']> {
    await this.take(args[0], ECS_CALLS.setPrimaryTaskSet());
    return this.inner.setPrimaryTaskSet(...args);
  }

  async removeTaskSet(...args: Parameters<Services['removeTaskSet']>): ReturnType<Services['removeTaskSet']> {
    await this.take(args[0], ECS_CALLS.removeTaskSet());
    return this.inner.removeTaskSet(...args);
  }

  async removeService(...args: Parameters<Services['removeService']>): ReturnType<Services['removeService']> {
    await this.take(args[0], ECS_CALLS.removeService());
    return this.inner.removeService(...args);
  }

  private async take(cluster: string, calls: EcsCalls): Promise<void> {
    const key = this.budgetKey(cluster);
    for (const [bucket, n] of callsByBucket(calls)) await this.budget.take(key, bucket, n);
  }
}
