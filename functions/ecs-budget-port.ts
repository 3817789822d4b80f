/**
 * ECS's request rate limits, the ECS calls each `Cluster` method costs, and the `EcsBudget` port
 * every ECS call of the engine is taken from. One place for the arithmetic: the simulated cluster
 * (`local/sim/ecs-rate-limits.ts`) throttles with it, the budget (`adapters/ecs-budget.ts`,
 * `adapters/dynamo-ecs-budget.ts`) and `adapters/budgeted-cluster.ts` stay below it with it.
 *
 * What ECS does ("Request throttling for the Amazon ECS API", ECS API Reference,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html):
 *
 * - Throttling is per account and Region (not per cluster), a token bucket per *category* of
 *   actions: bucket capacity = burst, refill = sustained rate per second. Every request takes one
 *   token from its category's bucket; a request that finds the bucket empty fails with
 *   `ThrottlingException: Rate exceeded` (the SDK retries it, the tokens stay spent).
 * - "Cluster resource read actions" — DescribeContainerInstances, DescribeTasks, ListAttributes,
 *   ListContainerInstances, ListTasks: ONE bucket, burst 100, sustained 20/s.
 * - "Cluster resource modify actions" — DeleteAttributes, DeregisterContainerInstance,
 *   ExecuteCommand, PutAttributes, RunTask, StartTask, StopTask, UpdateContainerAgent,
 *   UpdateContainerInstancesStates: ONE bucket, burst 100, sustained 40/s. (Fargate additionally
 *   limits RunTask; Blox only uses StartTask on EC2 instances.)
 * - "Service modify actions" — CreateService, DeleteService, UpdateService: ONE bucket, burst 50,
 *   sustained 5/s. "Service read actions" — DescribeServices, ListServices: ONE bucket, burst 100,
 *   sustained 20/s.
 * - The task set actions (CreateTaskSet, UpdateTaskSet, UpdateServicePrimaryTaskSet, DeleteTaskSet,
 *   DescribeTaskSets) are in none of the page's categories (checked against the page's table, which
 *   lists every category with its actions). They are counted here as what they do to a service: the
 *   four that change a task set in the service modify bucket (the smaller one: a budget that stays
 *   below it stays below whatever ECS really applies, if that is the same bucket or a larger one),
 *   DescribeTaskSets in the service read bucket. Undocumented, so a guess on the safe side.
 * - Limits can be raised through AWS Support, not by the caller: the figures below are the defaults.
 *
 * What the ECS adapter (`adapters/ecs-cluster.ts`) sends for each port method, hence its cost:
 * - listTasks: ListTasks pages of ≤ 100 for desiredStatus RUNNING, then for STOPPED (at least one
 *   page each, even when empty), then DescribeTasks in chunks of ≤ 100 ARNs (none when nothing is
 *   listed).
 * - listContainerInstances: ListContainerInstances pages of ≤ 100 (at least one), then
 *   DescribeContainerInstances in chunks of ≤ 100.
 * - startTask: one StartTask (1 to 10 container instances a call).
 * - stopTask: one StopTask.
 *
 * And for each `Services` method (`adapters/ecs-services.ts`): ensureService is one DescribeServices,
 * plus one CreateService when there is no ACTIVE service of that name (plus one more DescribeServices
 * when that create lost a race); describeService one DescribeServices; setDesiredCount one
 * UpdateService; addTaskSet one CreateTaskSet; scaleTaskSet one UpdateTaskSet; setPrimaryTaskSet one
 * UpdateServicePrimaryTaskSet; removeTaskSet one DeleteTaskSet; removeService one DeleteService.
 */

// ── ECS's limits ─────────────────────────────────────────────────────────────────────────────────

/** ECS's token buckets for the actions Blox calls (named after ECS's API action categories). */
export const ECS_RATE_BUCKETS = ['cluster-resource-read', 'cluster-resource-modify', 'service-read', 'service-modify'] as const;
export type EcsRateBucket = (typeof ECS_RATE_BUCKETS)[number];

export interface EcsRateLimit {
  /** Bucket capacity: the calls allowed at once from a full bucket. */
  burst: number;
  /** Refill: tokens added per second, up to the capacity. */
  sustainedPerSecond: number;
}

export type EcsRateLimits = Readonly<Record<EcsRateBucket, Readonly<EcsRateLimit>>>;

/** ECS's documented defaults, per account and Region (see the header). */
export const ECS_RATE_LIMITS: EcsRateLimits = Object.freeze({
  'cluster-resource-read': Object.freeze({ burst: 100, sustainedPerSecond: 20 }),
  'cluster-resource-modify': Object.freeze({ burst: 100, sustainedPerSecond: 40 }),
  'service-read': Object.freeze({ burst: 100, sustainedPerSecond: 20 }),
  'service-modify': Object.freeze({ burst: 50, sustainedPerSecond: 5 }),
});

/** The ECS actions the `Cluster` port is made of. */
export type EcsClusterAction = 'ListTasks' | 'DescribeTasks' | 'ListContainerInstances' | 'DescribeContainerInstances' | 'StartTask' | 'StopTask';

/** The ECS actions the `Services` port is made of (services with the EXTERNAL deployment controller and their task sets). */
export type EcsServiceAction =
  | 'CreateService'
  | 'DescribeServices'
  | 'UpdateService'
  | 'DeleteService'
  | 'CreateTaskSet'
  | 'DescribeTaskSets'
  | 'UpdateTaskSet'
  | 'UpdateServicePrimaryTaskSet'
  | 'DeleteTaskSet';

export type EcsAction = EcsClusterAction | EcsServiceAction;

export const ECS_ACTION_BUCKET: Readonly<Record<EcsAction, EcsRateBucket>> = Object.freeze({
  ListTasks: 'cluster-resource-read',
  DescribeTasks: 'cluster-resource-read',
  ListContainerInstances: 'cluster-resource-read',
  DescribeContainerInstances: 'cluster-resource-read',
  StartTask: 'cluster-resource-modify',
  StopTask: 'cluster-resource-modify',
  CreateService: 'service-modify',
  UpdateService: 'service-modify',
  DeleteService: 'service-modify',
  DescribeServices: 'service-read',
  // Not in ECS's throttling table (see the header): the service buckets, modify for what changes a task set.
  CreateTaskSet: 'service-modify',
  UpdateTaskSet: 'service-modify',
  UpdateServicePrimaryTaskSet: 'service-modify',
  DeleteTaskSet: 'service-modify',
  DescribeTaskSets: 'service-read',
});

// ── What a Cluster method costs ──────────────────────────────────────────────────────────────────

/** ListTasks / ListContainerInstances page size (`maxResults` 1..100; the adapter asks for 100). */
export const ECS_LIST_PAGE_SIZE = 100;
/** DescribeTasks / DescribeContainerInstances: at most 100 ARNs a call. */
export const ECS_DESCRIBE_MAX = 100;

/** ECS calls by action, in the order they are made (an action absent = no call). */
export type EcsCalls = Partial<Record<EcsAction, number>>;

const listPages = (listed: number) => Math.max(1, Math.ceil(listed / ECS_LIST_PAGE_SIZE));
const describeCalls = (described: number) => Math.ceil(described / ECS_DESCRIBE_MAX);

/** The ECS calls each `Cluster` method makes, from the sizes involved. */
export const ECS_CALLS = Object.freeze({
  /** `running` / `stopped`: the tasks listed for desiredStatus RUNNING / STOPPED. */
  listTasks({ running, stopped }: { running: number; stopped: number }): EcsCalls {
    return { ListTasks: listPages(running) + listPages(stopped), DescribeTasks: describeCalls(running + stopped) };
  },
  /** `listed`: the container instances the listing returns. */
  listContainerInstances(listed: number): EcsCalls {
    return { ListContainerInstances: listPages(listed), DescribeContainerInstances: describeCalls(listed) };
  },
  /** One page of ListContainerInstances (no Describe). */
  listContainerInstanceArnPage(): EcsCalls {
    return { ListContainerInstances: 1 };
  },
  /** One page of ListTasks, and the DescribeTasks of the `listed` tasks on it (none for an empty page). */
  listTaskPage(listed: number): EcsCalls {
    return listed === 0 ? { ListTasks: 1 } : { ListTasks: 1, DescribeTasks: describeCalls(listed) };
  },
  /** One page of ListTasks (no Describe). */
  listTaskArnPage(): EcsCalls {
    return { ListTasks: 1 };
  },
  /** `named`: the task ARNs described (no call for none). */
  describeTasks(named: number): EcsCalls {
    return named === 0 ? {} : { DescribeTasks: describeCalls(named) };
  },
  /** One call for up to 10 container instances (the adapter refuses more). */
  startTask(): EcsCalls {
    return { StartTask: 1 };
  },
  stopTask(): EcsCalls {
    return { StopTask: 1 };
  },
  /** `created`: no ACTIVE service had the name (CreateService); `raced`: the create found one made meanwhile (described again). */
  ensureService({ created, raced }: { created: boolean; raced: boolean }): EcsCalls {
    return created ? { DescribeServices: raced ? 2 : 1, CreateService: 1 } : { DescribeServices: 1 };
  },
  describeService(): EcsCalls {
    return { DescribeServices: 1 };
  },
  setDesiredCount(): EcsCalls {
    return { UpdateService: 1 };
  },
  addTaskSet(): EcsCalls {
    return { CreateTaskSet: 1 };
  },
  scaleTaskSet(): EcsCalls {
    return { UpdateTaskSet: 1 };
  },
  setPrimaryTaskSet(): EcsCalls {
    return { UpdateServicePrimaryTaskSet: 1 };
  },
  removeTaskSet(): EcsCalls {
    return { DeleteTaskSet: 1 };
  },
  removeService(): EcsCalls {
    return { DeleteService: 1 };
  },
});

/** The calls per bucket (buckets with no call left out), in bucket order. */
export function callsByBucket(calls: EcsCalls): Array<[EcsRateBucket, number]> {
  const sums = new Map<EcsRateBucket, number>();
  for (const [action, count] of Object.entries(calls) as Array<[EcsAction, number | undefined]>) {
    if (!count) continue;
    const bucket = ECS_ACTION_BUCKET[action];
    sums.set(bucket, (sums.get(bucket) ?? 0) + count);
  }
  return ECS_RATE_BUCKETS.flatMap((bucket) => (sums.has(bucket) ? [[bucket, sums.get(bucket)!] as [EcsRateBucket, number]] : []));
}

// ── The budget ───────────────────────────────────────────────────────────────────────────────────

/** The share of ECS's limits the budget allows itself (burst and sustained): the rest is headroom. */
export const ECS_BUDGET_FRACTION = 0.8;

/** `limits` scaled by `fraction` (burst rounded down, at least 1). */
export function scaleLimits(limits: EcsRateLimits, fraction: number): EcsRateLimits {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`scaleLimits: fraction must be in (0, 1], got ${fraction}`);
  const scaled = {} as Record<EcsRateBucket, EcsRateLimit>;
  for (const bucket of ECS_RATE_BUCKETS) {
    const limit = limits[bucket];
    scaled[bucket] = Object.freeze({ burst: Math.max(1, Math.floor(limit.burst * fraction)), sustainedPerSecond: limit.sustainedPerSecond * fraction });
  }
  return Object.freeze(scaled);
}

/** The budget's default limits: 80 % of ECS's (cluster resource read: 80 at once, 16/s; modify: 80 at once, 32/s; service read: 80, 16/s; service modify: 40, 4/s). */
export const ECS_BUDGET_LIMITS: EcsRateLimits = scaleLimits(ECS_RATE_LIMITS, ECS_BUDGET_FRACTION);

/**
 * A token-bucket budget of ECS calls per cluster and bucket, shared by every caller of the same
 * cluster (in AWS: every concurrent Lambda invocation; locally: every environment of the harness).
 */
export interface EcsBudget {
  /**
   * Waits until `calls` tokens are available in the cluster's bucket, then takes them. A take
   * larger than the bucket's capacity waits for a full bucket and leaves it in deficit (a listing
   * of 10,000 tasks is 201 calls), which later takes wait out. `calls` 0 returns at once.
   */
  take(cluster: string, bucket: EcsRateBucket, calls: number): Promise<void>;
  /**
   * Accounts for calls made beyond what was taken (`calls` > 0: the balance may go below zero,
   * later takes wait it out) or short of it (`calls` < 0: given back, never above capacity).
   * Never waits.
   */
  adjust(cluster: string, bucket: EcsRateBucket, calls: number): Promise<void>;
}

/** The time and timers a budget waits on: `VirtualClock` in the harness, wall time in AWS. */
export interface BudgetClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once at `atMs` (an instant in the past: as soon as possible). */
  schedule(atMs: number, fn: () => void): unknown;
}
