/** plan-deployment's ECS looks (functions/adapters/ecs-planning.ts) against a mocked ECS client: read calls only. */
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ecsPlanningPorts, taskDefinitionNeeds } from '../../../functions/adapters/ecs-planning';

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

describe('taskDefinitionNeeds', () => {
  it("the task-level cpu and memory when set (ECS's strings), and whether a container has a health check", () => {
    expect(taskDefinitionNeeds({ cpu: '1024', memory: '2048', containerDefinitions: [{ name: 'a', cpu: 10, memory: 20, healthCheck: { command: ['CMD', 'true'] } }] })).toEqual({ cpu: 1024, memory: 2048, healthCheck: true });
  });

  it('else the sum over the containers: cpu, and memory or memoryReservation (256 + 128 = 384, 512 + 64 = 576)', () => {
    expect(taskDefinitionNeeds({ containerDefinitions: [{ name: 'a', cpu: 256, memory: 512 }, { name: 'b', cpu: 128, memoryReservation: 64 }] })).toEqual({ cpu: 384, memory: 576, healthCheck: false });
  });
});

describe('ecsPlanningPorts', () => {
  it('needsOf: one DescribeTaskDefinition of the revision named', async () => {
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web:3' }).resolves({ taskDefinition: { cpu: '512', memory: '1024', containerDefinitions: [{ name: 'web' }] } });
    expect(await ecsPlanningPorts(new ECSClient({ region: 'us-east-1' })).taskDefinitions.needsOf('web:3')).toEqual({ cpu: 512, memory: 1024, healthCheck: false });
  });

  it("serviceTasks: the service's running and stopped tasks, every ListTasks page (serviceName), described with their tags", async () => {
    const arn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/default/${id}`;
    ecs.on(ListTasksCommand, { serviceName: 'web-prod', desiredStatus: 'RUNNING' }).resolvesOnce({ taskArns: [arn('a')], nextToken: 'n' }).resolvesOnce({ taskArns: [arn('b')] });
    ecs.on(ListTasksCommand, { serviceName: 'web-prod', desiredStatus: 'STOPPED' }).resolves({ taskArns: [arn('c')] });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((taskArn) => ({ taskArn, lastStatus: taskArn.endsWith('c') ? 'STOPPED' : 'RUNNING', createdAt: new Date(0), tags: [] })),
    }));
    const tasks = await ecsPlanningPorts(new ECSClient({ region: 'us-east-1' })).serviceTasks!('default', 'web-prod');
    expect(tasks.map((t) => [t.arn.slice(-1), t.lastStatus])).toEqual([['a', 'RUNNING'], ['b', 'RUNNING'], ['c', 'STOPPED']]);
    // reads only
    const commands = ecs.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(new Set(commands)).toEqual(new Set(['ListTasksCommand', 'DescribeTasksCommand']));
  });
});
