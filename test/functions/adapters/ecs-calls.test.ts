/**
 * `ECS_CALLS` (functions/ecs-budget-port.ts) is the arithmetic the simulated cluster throttles with
 * and the budget takes from: here it is checked against the requests the real adapter sends, on a
 * mocked ECS client, for listings around the page and chunk boundaries.
 */
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StartTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ECS_DESCRIBE_CHUNK, ECS_PAGE_SIZE, EcsCluster } from '../../../functions/adapters/ecs-cluster';
import type { EcsCalls } from '../../../functions/ecs-budget-port';
import { callsByBucket, ECS_CALLS, ECS_DESCRIBE_MAX, ECS_LIST_PAGE_SIZE } from '../../../functions/ecs-budget-port';

const ecs = mockClient(ECSClient);
let cluster: EcsCluster;
beforeEach(() => {
  ecs.reset();
  cluster = new EcsCluster(new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
});
afterEach(() => ecs.reset());

const ARN = 'arn:aws:ecs:us-east-1:123456789012';
const arns = (kind: string, from: number, count: number) => Array.from({ length: count }, (_, i) => `${ARN}:${kind}/default/${(from + i).toString(16).padStart(32, '0')}`);

/** A listing answered in pages of `maxResults`, `nextToken` = the offset of the next page. */
function page(all: string[], input: { maxResults?: number; nextToken?: string }) {
  const offset = Number(input.nextToken ?? 0);
  const next = offset + (input.maxResults ?? 100);
  return { items: all.slice(offset, next), ...(next < all.length ? { nextToken: String(next) } : {}) };
}

/** The requests the adapter sent, by ECS action (absent when none). */
function sent(): EcsCalls {
  const counts: EcsCalls = {
    ListTasks: ecs.commandCalls(ListTasksCommand).length,
    DescribeTasks: ecs.commandCalls(DescribeTasksCommand).length,
    ListContainerInstances: ecs.commandCalls(ListContainerInstancesCommand).length,
    DescribeContainerInstances: ecs.commandCalls(DescribeContainerInstancesCommand).length,
    StartTask: ecs.commandCalls(StartTaskCommand).length,
    StopTask: ecs.commandCalls(StopTaskCommand).length,
  };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

const nonZero = (calls: EcsCalls) => Object.fromEntries(Object.entries(calls).filter(([, n]) => n > 0));

describe('ECS_CALLS against the ECS adapter', () => {
  it('uses the adapter`s page and chunk sizes', () => {
    expect(ECS_LIST_PAGE_SIZE).toBe(ECS_PAGE_SIZE);
    expect(ECS_DESCRIBE_MAX).toBe(ECS_DESCRIBE_CHUNK);
  });

  it.each([
    { running: 0, stopped: 0, expected: { ListTasks: 2 } },
    { running: 1, stopped: 0, expected: { ListTasks: 2, DescribeTasks: 1 } },
    { running: 100, stopped: 0, expected: { ListTasks: 2, DescribeTasks: 1 } },
    { running: 101, stopped: 0, expected: { ListTasks: 3, DescribeTasks: 2 } },
    { running: 0, stopped: 100, expected: { ListTasks: 2, DescribeTasks: 1 } },
    { running: 250, stopped: 120, expected: { ListTasks: 5, DescribeTasks: 4 } },
    { running: 10_000, stopped: 0, expected: { ListTasks: 101, DescribeTasks: 100 } },
  ])('listTasks, $running running and $stopped stopped: $expected', async ({ running, stopped, expected }) => {
    const lists = { RUNNING: arns('task', 1, running), STOPPED: arns('task', 1_000_000, stopped) };
    ecs.on(ListTasksCommand).callsFake((input: { desiredStatus: 'RUNNING' | 'STOPPED'; maxResults?: number; nextToken?: string }) => {
      const { items, nextToken } = page(lists[input.desiredStatus], input);
      return { taskArns: items, ...(nextToken ? { nextToken } : {}) };
    });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({ tasks: input.tasks.map((taskArn) => ({ taskArn })) }));

    expect(await cluster.listTasks('default', 'blox/env')).toHaveLength(running + stopped);
    expect(sent()).toEqual(expected);
    expect(nonZero(ECS_CALLS.listTasks({ running, stopped }))).toEqual(expected);
  });

  it.each([
    { listed: 0, expected: { ListContainerInstances: 1 } },
    { listed: 1, expected: { ListContainerInstances: 1, DescribeContainerInstances: 1 } },
    { listed: 100, expected: { ListContainerInstances: 1, DescribeContainerInstances: 1 } },
    { listed: 101, expected: { ListContainerInstances: 2, DescribeContainerInstances: 2 } },
    { listed: 250, expected: { ListContainerInstances: 3, DescribeContainerInstances: 3 } },
  ])('listContainerInstances, $listed listed: $expected', async ({ listed, expected }) => {
    const all = arns('container-instance', 1, listed);
    ecs.on(ListContainerInstancesCommand).callsFake((input: { maxResults?: number; nextToken?: string }) => {
      const { items, nextToken } = page(all, input);
      return { containerInstanceArns: items, ...(nextToken ? { nextToken } : {}) };
    });
    ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
      containerInstances: input.containerInstances.map((containerInstanceArn) => ({ containerInstanceArn, status: 'ACTIVE' })),
    }));

    expect(await cluster.listContainerInstances('default', 'attribute:stack == prod')).toHaveLength(listed);
    expect(sent()).toEqual(expected);
    expect(nonZero(ECS_CALLS.listContainerInstances(listed))).toEqual(expected);
  });

  it('startTask on 10 instances is one StartTask; stopTask one StopTask; both from the modify bucket', async () => {
    ecs.on(StartTaskCommand).resolves({ tasks: [], failures: [] });
    ecs.on(StopTaskCommand).resolves({ task: { taskArn: 't' } });
    await cluster.startTask({ cluster: 'default', taskDefinition: 'x:1', containerInstances: arns('container-instance', 1, 10), startedBy: 'blox/env', tags: {} });
    expect(sent()).toEqual(ECS_CALLS.startTask());
    await cluster.stopTask('default', 't', 'replaced');
    expect(sent()).toEqual({ StartTask: 1, StopTask: 1 });
    expect(ECS_CALLS.stopTask()).toEqual({ StopTask: 1 });
    expect(callsByBucket({ ...ECS_CALLS.startTask(), ...ECS_CALLS.stopTask() })).toEqual([['cluster-resource-modify', 2]]);
    expect(callsByBucket(ECS_CALLS.listTasks({ running: 250, stopped: 120 }))).toEqual([['cluster-resource-read', 9]]);
  });
});
