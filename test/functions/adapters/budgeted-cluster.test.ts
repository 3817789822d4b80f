/**
 * `BudgetedCluster`: what each method takes from the budget and when (before calling through),
 * how listings settle their estimate, and — the point of it — that many independent callers
 * hammering the simulated cluster (ECS's rate limits on) through ONE shared budget are never
 * throttled, while the same load without it is.
 */
import { describe, expect, it } from 'vitest';
import { BudgetedCluster } from '../../../functions/adapters/budgeted-cluster';
import { createDocumentClient } from '../../../functions/adapters/dynamo';
import { DynamoEcsBudget } from '../../../functions/adapters/dynamo-ecs-budget';
import { InMemoryEcsBudget, sleepUntil } from '../../../functions/adapters/ecs-budget';
import type { EcsBudget, EcsRateBucket, EcsRateLimits } from '../../../functions/ecs-budget-port';
import { scaleLimits } from '../../../functions/ecs-budget-port';
import type { Cluster, ClusterTask, ContainerInstance, StartTaskInput } from '../../../functions/ports';
import { VirtualClock } from '../../../local/sim/clock';
import { mulberry32 } from '../../../local/sim/random';
import { SimulatedCluster } from '../../../local/sim/world';
import { freshTable } from '../../support/store';
import { settleWhile, track } from './ecs-budget-contract';

const READ: EcsRateBucket = 'cluster-resource-read';
const MODIFY: EcsRateBucket = 'cluster-resource-modify';

/** Records the budget calls and the cluster calls in one sequence. */
function recorder() {
  const log: string[] = [];
  const budget: EcsBudget = {
    take: async (cluster, bucket, calls) => void log.push(`take ${cluster} ${bucket} ${calls}`),
    adjust: async (cluster, bucket, calls) => void log.push(`adjust ${cluster} ${bucket} ${calls}`),
  };
  const answers = { tasks: [] as ClusterTask[], instances: [] as ContainerInstance[] };
  const inner: Cluster = {
    listContainerInstances: async (cluster, filter) => (log.push(`listContainerInstances ${cluster} ${filter ?? ''}`), answers.instances),
    listTasks: async (cluster, startedBy) => (log.push(`listTasks ${cluster} ${startedBy}`), answers.tasks),
    listContainerInstanceArnPage: async (cluster, filter, status) => (log.push(`listContainerInstanceArnPage ${cluster} ${filter ?? ''} ${status}`), { items: answers.instances.map((i) => i.arn) }),
    listTaskPage: async (cluster, startedBy, desired) => (log.push(`listTaskPage ${cluster} ${startedBy} ${desired}`), { items: answers.tasks.filter((t) => t.desiredStatus === desired) }),
    listTaskArnPage: async (cluster, startedBy, desired) => (log.push(`listTaskArnPage ${cluster} ${startedBy} ${desired}`), { items: answers.tasks.filter((t) => t.desiredStatus === desired).map((t) => t.arn) }),
    lookUpTasks: async (cluster, arns) => (log.push(`lookUpTasks ${cluster} ${arns.length}`), answers.tasks.filter((t) => arns.includes(t.arn))),
    startTask: async (input) => (log.push(`startTask ${input.cluster} ${input.containerInstances.length}`), { tasks: [], failures: [] }),
    stopTask: async (cluster, taskArn) => (log.push(`stopTask ${cluster} ${taskArn}`), undefined),
  };
  return { log, budget, inner, answers };
}

const task = (n: number, desiredStatus: 'RUNNING' | 'STOPPED'): ClusterTask => ({
  arn: `task-${n}`,
  clusterArn: 'c',
  containerInstanceArn: 'i',
  taskDefinitionArn: 'td',
  lastStatus: desiredStatus,
  desiredStatus,
  healthStatus: 'UNKNOWN',
  createdAt: '2024-01-01T00:00:00.000Z',
  version: 1,
  tags: {},
});
const instance = (n: number) => ({ arn: `instance-${n}` }) as ContainerInstance;
const start = (cluster: string, containerInstances: string[]): StartTaskInput => ({ cluster, taskDefinition: 'x:1', containerInstances, startedBy: 'blox/env', tags: {} });

describe('BudgetedCluster', () => {
  it('takes one modify call for StartTask (up to 10 instances) and for StopTask, before calling through', async () => {
    const { log, budget, inner } = recorder();
    const cluster = new BudgetedCluster(inner, budget);
    await cluster.startTask(start('prod', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']));
    await cluster.stopTask('prod', 'task-1', 'replaced');
    expect(log).toEqual([`take prod ${MODIFY} 1`, 'startTask prod 10', `take prod ${MODIFY} 1`, 'stopTask prod task-1']);
  });

  it('takes one read call for a page of task ARNs (ListTasks, no DescribeTasks), whatever the page holds', async () => {
    const { log, budget, inner, answers } = recorder();
    answers.tasks = [task(1, 'RUNNING'), task(2, 'RUNNING'), task(3, 'STOPPED')];
    const cluster = new BudgetedCluster(inner, budget);
    expect(await cluster.listTaskArnPage('prod', 'blox/env', 'RUNNING')).toEqual({ items: ['task-1', 'task-2'] });
    expect(log).toEqual([`take prod ${READ} 1`, 'listTaskArnPage prod blox/env RUNNING']);
  });

  it('estimates a listing from the size it saw last for the same cluster and startedBy, and settles the difference', async () => {
    const { log, budget, inner, answers } = recorder();
    const cluster = new BudgetedCluster(inner, budget);
    // Never seen: one page of each kind (ListTasks RUNNING + STOPPED, one DescribeTasks) = 3; made 2.
    await cluster.listTasks('prod', 'blox/a');
    // Seen empty: 3 again; now 250 running and 120 stopped: 3 + 2 ListTasks, 4 DescribeTasks = 9.
    answers.tasks = [...Array.from({ length: 250 }, (_, i) => task(i, 'RUNNING')), ...Array.from({ length: 120 }, (_, i) => task(1000 + i, 'STOPPED'))];
    await cluster.listTasks('prod', 'blox/a');
    // Seen 250 + 120: 9, exactly.
    await cluster.listTasks('prod', 'blox/a');
    // Another startedBy, another cluster: never seen.
    answers.tasks = [task(1, 'RUNNING')];
    await cluster.listTasks('prod', 'blox/b');
    await cluster.listTasks('gamma', 'blox/a');
    expect(log).toEqual([
      `take prod ${READ} 3`,
      'listTasks prod blox/a',
      `adjust prod ${READ} -1`,
      `take prod ${READ} 3`,
      'listTasks prod blox/a',
      `adjust prod ${READ} 6`,
      `take prod ${READ} 9`,
      'listTasks prod blox/a',
      `take prod ${READ} 3`,
      'listTasks prod blox/b',
      `take gamma ${READ} 3`,
      'listTasks gamma blox/a',
    ]);
  });

  it('remembers instance listings per filter', async () => {
    const { log, budget, inner, answers } = recorder();
    const cluster = new BudgetedCluster(inner, budget);
    answers.instances = Array.from({ length: 250 }, (_, i) => instance(i)); // 3 pages + 3 describes
    await cluster.listContainerInstances('prod', 'attribute:stack == prod');
    await cluster.listContainerInstances('prod', 'attribute:stack == prod');
    answers.instances = [];
    await cluster.listContainerInstances('prod'); // never seen without a filter: 1 + 1; made 1 + 0
    expect(log).toEqual([
      `take prod ${READ} 2`,
      'listContainerInstances prod attribute:stack == prod',
      `adjust prod ${READ} 4`,
      `take prod ${READ} 6`,
      'listContainerInstances prod attribute:stack == prod',
      `take prod ${READ} 2`,
      'listContainerInstances prod ',
      `adjust prod ${READ} -1`,
    ]);
  });

  it('forgets the oldest listing sizes beyond rememberedListings', async () => {
    const { log, budget, inner, answers } = recorder();
    const cluster = new BudgetedCluster(inner, budget, { rememberedListings: 2 });
    answers.tasks = Array.from({ length: 150 }, (_, i) => task(i, 'RUNNING')); // 2 + 1 pages, 2 describes = 5
    for (const startedBy of ['a', 'b', 'c', 'a', 'c']) await cluster.listTasks('prod', startedBy);
    expect(log.filter((line) => line.startsWith('take'))).toEqual([3, 3, 3, 3, 5].map((calls) => `take prod ${READ} ${calls}`));
  });

  it('uses budgetKey for the budget, the cluster as given for the call', async () => {
    const { log, budget, inner } = recorder();
    const cluster = new BudgetedCluster(inner, budget, { budgetKey: () => '123456789012/us-east-1' });
    await cluster.stopTask('arn:aws:ecs:us-east-1:123456789012:cluster/prod', 't', 'r');
    expect(log).toEqual([`take 123456789012/us-east-1 ${MODIFY} 1`, 'stopTask arn:aws:ecs:us-east-1:123456789012:cluster/prod t']);
  });

  it('never calls through while the budget is short', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryEcsBudget({ clock });
    const { log, inner } = recorder();
    const cluster = new BudgetedCluster(inner, budget);
    await budget.take('prod', MODIFY, 80);
    const stop = track(cluster.stopTask('prod', 'task-1', 'replaced').then(() => undefined));
    await settleWhile(() => false);
    expect(log).toEqual([]);
    clock.advance(31); // 32/s: a token after 31.25 ms
    await settleWhile(() => false);
    expect(log).toEqual([]);
    clock.advance(1);
    await settleWhile(() => false);
    expect(log).toEqual(['stopTask prod task-1']);
    expect(stop.done).toBe(true);
  });

  it('lets the cluster`s errors through, its take spent and nothing settled', async () => {
    const { log, budget, inner } = recorder();
    inner.listTasks = async () => {
      throw Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' });
    };
    const cluster = new BudgetedCluster(inner, budget);
    await expect(cluster.listTasks('nope', 'blox/a')).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
    expect(log).toEqual([`take nope ${READ} 3`]);
  });
});

// ── Under load ───────────────────────────────────────────────────────────────────────────────────

interface Load {
  callers: number;
  rounds: number;
  /** The simulated ECS's limits (default: ECS's). */
  worldLimits?: EcsRateLimits;
  /** Each caller's cluster: the world itself, or the world through a budget. */
  clusterFor(world: SimulatedCluster, caller: number): Cluster;
  clock: VirtualClock;
  /** Whether store requests are in flight (DynamoDB). */
  busy?: () => boolean;
}

/**
 * `callers` independent deployments, each on its own instance and startedBy, each doing `rounds`
 * times: list the cluster's instances, list its tasks, start a task, stop it. A throttled call is
 * counted and retried as the SDK does: exponential back-off from 100 ms, at most 20 s, full jitter
 * (seeded). Time moves only when every caller waits on the clock.
 */
async function hammer(load: Load) {
  const { clock } = load;
  const world = new SimulatedCluster({ clock, seed: 7, ...(load.worldLimits ? { rateLimits: { buckets: load.worldLimits } } : {}) });
  const instances = world.addInstances({ count: load.callers });
  const t0 = clock.now();
  let throttled = 0;
  const jitter = mulberry32(11);
  const retried = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if ((error as Error).name !== 'ThrottlingException') throw error;
        throttled++;
        await sleepUntil(clock, clock.now() + Math.ceil(jitter() * Math.min(20_000, 100 * 2 ** attempt)));
      }
    }
  };
  const callers = instances.map(async (instance, i) => {
    const cluster = load.clusterFor(world, i);
    const startedBy = `blox/env-${i}`;
    for (let round = 0; round < load.rounds; round++) {
      await retried(() => cluster.listContainerInstances('default'));
      await retried(() => cluster.listTasks('default', startedBy));
      const { tasks } = await retried(() => cluster.startTask({ cluster: 'default', taskDefinition: 'x:1', containerInstances: [instance.arn], startedBy, tags: {} }));
      await retried(() => cluster.stopTask('default', tasks[0]!.arn, 'replaced'));
    }
  });
  const all = track(Promise.all(callers).then(() => undefined));
  while (!all.done && all.error === undefined) {
    await settleWhile(load.busy ?? (() => false));
    if (all.done || all.error !== undefined) break;
    const next = clock.nextAt();
    if (next === undefined) throw new Error('every caller waits and nothing is scheduled');
    clock.runUntil(next);
  }
  if (all.error !== undefined) throw all.error;
  return { throttled, elapsedMs: clock.now() - t0, world };
}

describe('BudgetedCluster under load (simulated ECS, rate limits on)', () => {
  // 50 callers × 4 rounds. Reads: every listContainerInstances of 50 instances is 2 calls (400);
  // listTasks is 2 calls in round 1 (nothing listed), 3 afterwards (550): 950 reads. At the
  // budget's 80 at once and 16/s, the last one cannot come before (950 − 80) / 16 s = 54.375 s.
  const READS = 950;

  it('50 callers through ONE shared in-memory budget: never throttled, paced at the budget`s rate', async () => {
    const clock = new VirtualClock();
    const budget = new InMemoryEcsBudget({ clock });
    const { throttled, elapsedMs, world } = await hammer({ callers: 50, rounds: 4, clock, clusterFor: (world) => new BudgetedCluster(world, budget) });
    expect(throttled).toBe(0);
    expect(elapsedMs).toBeGreaterThanOrEqual(((READS - 80) / 16) * 1000);
    expect(elapsedMs).toBeLessThan(((READS - 80) / 16) * 1000 + 5_000);
    expect(world.describeTasks()).toHaveLength(200);
  });

  it('the same load without the budget is throttled', async () => {
    const clock = new VirtualClock();
    const { throttled, world } = await hammer({ callers: 50, rounds: 4, clock, clusterFor: (world) => world });
    expect(throttled).toBeGreaterThan(0);
    expect(world.describeTasks()).toHaveLength(200);
  });

  it('a budget per caller (no sharing) is throttled too: the budget must be shared', async () => {
    const clock = new VirtualClock();
    const { throttled } = await hammer({ callers: 50, rounds: 4, clock, clusterFor: (world) => new BudgetedCluster(world, new InMemoryEcsBudget({ clock })) });
    expect(throttled).toBeGreaterThan(0);
  });
});

describe('BudgetedCluster under load with the DynamoDB budget (two Lambda containers)', () => {
  // Limits scaled down so DynamoDB Local serves the load quickly: ECS's at a tenth (reads 10 at
  // once and 2/s, modify 10 and 4/s), the budget 80 % of that.
  const worldLimits = scaleLimits(
    {
      'cluster-resource-read': { burst: 100, sustainedPerSecond: 20 },
      'cluster-resource-modify': { burst: 100, sustainedPerSecond: 40 },
      'service-read': { burst: 100, sustainedPerSecond: 20 },
      'service-modify': { burst: 50, sustainedPerSecond: 5 },
    },
    0.1,
  );

  it('10 callers, half on each of two adapter instances sharing one table: never throttled', async () => {
    const { tableName, endpoint } = await freshTable();
    const client = createDocumentClient(endpoint);
    let inFlight = 0;
    const counting = {
      send: ((command: Parameters<typeof client.send>[0]) => {
        inFlight++;
        return client.send(command).finally(() => inFlight--);
      }) as typeof client.send,
    };
    const clock = new VirtualClock();
    const limits = scaleLimits(worldLimits, 0.8);
    const containers = [new DynamoEcsBudget(counting, tableName, { clock, limits }), new DynamoEcsBudget(counting, tableName, { clock, limits })];
    const budgeted = await hammer({ callers: 10, rounds: 2, clock, worldLimits, busy: () => inFlight > 0, clusterFor: (world, i) => new BudgetedCluster(world, containers[i % 2]!) });
    expect(budgeted.throttled).toBe(0);
    expect(budgeted.world.describeTasks()).toHaveLength(20);

    const bare = await hammer({ callers: 10, rounds: 2, clock: new VirtualClock(), worldLimits, clusterFor: (world) => world });
    expect(bare.throttled).toBeGreaterThan(0);
  }, 120_000); // a few hundred DynamoDB Local requests
});
