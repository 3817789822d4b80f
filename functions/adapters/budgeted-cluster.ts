/**
 * `BudgetedCluster`: a `Cluster` whose every ECS call is first taken from the per-cluster
 * `EcsBudget` (below ECS's request rate limits, shared by every environment deploying at once), so
 * the engine's calls are paced instead of throttled. It wraps any `Cluster`: `EcsCluster` in AWS,
 * the simulated cluster in the harness and the local stack.
 *
 * What each method takes (`ECS_CALLS`, the same arithmetic the simulated cluster throttles with):
 * - startTask: one StartTask call (1 to 10 instances); stopTask: one StopTask call — exact.
 * - listTasks / listContainerInstances: the number of pages depends on the answer, so the take is an
 *   estimate from the size this instance saw last time for the same cluster and `startedBy` (or
 *   filter), at least one page of each kind; once the answer is in, the difference is settled with
 *   `adjust`: calls short of the estimate go back, calls beyond it leave a small deficit that later
 *   takes wait out. A listing seen for the first time is taken as one page of each kind.
 * - Nothing is called through before its take is granted. A call that fails keeps its take spent.
 *
 * Each `Cluster` method is one entry of `plans` (which cluster it goes to, what it is expected to
 * cost, what it cost): the methods themselves are one-line calls of `call`, so a change of the
 * port's signatures is a change of one entry.
 *
 * The budget's key is the cluster as the caller names it (`budgetKey` to change that). ECS's limits
 * are per account and Region: clusters of one account deploying at once each get a full budget.
 */
import type { EcsBudget, EcsCalls } from '../ecs-budget-port';
import { callsByBucket, ECS_CALLS } from '../ecs-budget-port';
import type { Cluster, ClusterTask } from '../ports';

type ClusterMethod = keyof Cluster;
type Args<M extends ClusterMethod> = Parameters<Cluster[M]>;
type Result<M extends ClusterMethod> = Awaited<ReturnType<Cluster[M]>>;

/** How one `Cluster` method is budgeted. */
interface CallPlan<M extends ClusterMethod> {
  /** The cluster the call goes to. */
  cluster(args: Args<M>): string;
  /** The ECS calls taken before the call. */
  estimate(args: Args<M>): EcsCalls;
  /** The ECS calls it made, from its answer (absent: the estimate is exact). */
  actual?(args: Args<M>, result: Result<M>): EcsCalls;
}

type CallPlans = { [M in ClusterMethod]: CallPlan<M> };

export interface BudgetedClusterOptions {
  /** The budget's key for a cluster. Default: the cluster as given. */
  budgetKey?: (cluster: string) => string;
  /** How many listings' sizes are remembered (oldest forgotten first). Default 10,000. */
  rememberedListings?: number;
}

interface TaskListingSize {
  running: number;
  stopped: number;
}

export class BudgetedCluster implements Cluster {
  private readonly budgetKey: (cluster: string) => string;
  private readonly remembered: number;
  private readonly taskListings = new Map<string, TaskListingSize>();
  private readonly instanceListings = new Map<string, number>();
  private readonly plans: CallPlans;

  constructor(
    readonly inner: Cluster,
    readonly budget: EcsBudget,
    options: BudgetedClusterOptions = {},
  ) {
    this.budgetKey = options.budgetKey ?? ((cluster) => cluster);
    this.remembered = options.rememberedListings ?? 10_000;
    this.plans = {
      listContainerInstances: {
        cluster: ([cluster]) => cluster,
        estimate: ([cluster, filter]) => ECS_CALLS.listContainerInstances(Math.max(1, this.instanceListings.get(listingKey(cluster, filter ?? '')) ?? 1)),
        actual: ([cluster, filter], instances) => {
          this.remember(this.instanceListings, listingKey(cluster, filter ?? ''), instances.length);
          return ECS_CALLS.listContainerInstances(instances.length);
        },
      },
      listTasks: {
        cluster: ([cluster]) => cluster,
        estimate: ([cluster, startedBy]) => {
          const last = this.taskListings.get(listingKey(cluster, startedBy)) ?? { running: 1, stopped: 0 };
          // At least one page of each kind, one DescribeTasks included.
          return ECS_CALLS.listTasks({ running: Math.max(1, last.running), stopped: last.stopped });
        },
        actual: ([cluster, startedBy], tasks) => {
          const size = taskListingSize(tasks);
          this.remember(this.taskListings, listingKey(cluster, startedBy), size);
          return ECS_CALLS.listTasks(size);
        },
      },
      // Pages: one call each (and the DescribeTasks of a non-empty task page), taken in turn.
      listContainerInstanceArnPage: {
        cluster: ([cluster]) => cluster,
        estimate: () => ECS_CALLS.listContainerInstanceArnPage(),
      },
      listTaskPage: {
        cluster: ([cluster]) => cluster,
        estimate: () => ECS_CALLS.listTaskPage(1),
        actual: (_args, page) => ECS_CALLS.listTaskPage(page.items.length),
      },
      listTaskArnPage: {
        cluster: ([cluster]) => cluster,
        estimate: () => ECS_CALLS.listTaskArnPage(),
      },
      lookUpTasks: {
        cluster: ([cluster]) => cluster,
        // Exact: one DescribeTasks per 100 ARNs named, whatever comes back.
        estimate: ([, taskArns]) => ECS_CALLS.describeTasks(new Set(taskArns).size),
      },
      startTask: {
        cluster: ([input]) => input.cluster,
        estimate: () => ECS_CALLS.startTask(),
      },
      stopTask: {
        cluster: ([cluster]) => cluster,
        estimate: () => ECS_CALLS.stopTask(),
      },
    };
  }

  listContainerInstances(...args: Args<'listContainerInstances'>): Promise<Result<'listContainerInstances'>> {
    return this.call('listContainerInstances', args);
  }

  listTasks(...args: Args<'listTasks'>): Promise<Result<'listTasks'>> {
    return this.call('listTasks', args);
  }

  listContainerInstanceArnPage(...args: Args<'listContainerInstanceArnPage'>): Promise<Result<'listContainerInstanceArnPage'>> {
    return this.call('listContainerInstanceArnPage', args);
  }

  listTaskPage(...args: Args<'listTaskPage'>): Promise<Result<'listTaskPage'>> {
    return this.call('listTaskPage', args);
  }

  listTaskArnPage(...args: Args<'listTaskArnPage'>): Promise<Result<'listTaskArnPage'>> {
    return this.call('listTaskArnPage', args);
  }

  lookUpTasks(...args: Args<'lookUpTasks'>): Promise<Result<'lookUpTasks'>> {
    return this.call('lookUpTasks', args);
  }

  startTask(...args: Args<'startTask'>): Promise<Result<'startTask'>> {
    return this.call('startTask', args);
  }

  stopTask(...args: Args<'stopTask'>): Promise<Result<'stopTask'>> {
    return this.call('stopTask', args);
  }

  /** Takes the estimate, calls through, settles the difference. */
  private async call<M extends ClusterMethod>(method: M, args: Args<M>): Promise<Result<M>> {
    const plan = this.plans[method] as unknown as CallPlan<M>;
    const key = this.budgetKey(plan.cluster(args));
    const taken = callsByBucket(plan.estimate(args));
    for (const [bucket, calls] of taken) await this.budget.take(key, bucket, calls);
    const invoke = this.inner[method] as unknown as (...callArgs: Args<M>) => Promise<Result<M>>;
    const result = await invoke.apply(this.inner, args);
    if (plan.actual) {
      const made = new Map(callsByBucket(plan.actual(args, result)));
      const estimated = new Map(taken);
      for (const bucket of new Set([...made.keys(), ...estimated.keys()])) {
        const difference = (made.get(bucket) ?? 0) - (estimated.get(bucket) ?? 0);
        if (difference !== 0) await this.budget.adjust(key, bucket, difference);
      }
    }
    return result;
  }

  private remember<T>(memory: Map<string, T>, key: string, value: T): void {
    memory.delete(key);
    memory.set(key, value);
    if (memory.size > this.remembered) memory.delete(memory.keys().next().value!);
  }
}

function listingKey(cluster: string, what: string): string {
  return `${cluster}\u0000${what}`;
}

/** ListTasks lists by desired status: RUNNING, then STOPPED. */
function taskListingSize(tasks: ClusterTask[]): TaskListingSize {
  const running = tasks.filter((task) => task.desiredStatus === 'RUNNING').length;
  return { running, stopped: tasks.length - running };
}
