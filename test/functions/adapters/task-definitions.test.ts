/**
 * The TaskDefinitions adapter against a mocked ECS client: `hasHealthCheck` and `describe` from
 * DescribeTaskDefinition, one call per pinned revision (immutable: cached), failures not cached.
 */
import { ClientException, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EcsTaskDefinitions } from '../../../functions/adapters/task-definitions';

const ecs = mockClient(ECSClient);
let taskDefinitions: EcsTaskDefinitions;

beforeEach(() => {
  ecs.reset();
  taskDefinitions = new EcsTaskDefinitions(new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
});
afterEach(() => ecs.reset());

const withContainers = (...containers: ContainerDefinition[]) => ({
  taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/log-daemon:1', containerDefinitions: containers },
});
const healthCheck = { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 30, retries: 3 };

describe('EcsTaskDefinitions', () => {
  it('is true when any container has a health check', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(withContainers({ name: 'sidecar' }, { name: 'app', healthCheck }));
    expect(await taskDefinitions.hasHealthCheck('log-daemon:1')).toBe(true);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({ taskDefinition: 'log-daemon:1' });
  });

  it('is false when no container has one', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(withContainers({ name: 'app' }, { name: 'sidecar' }));
    expect(await taskDefinitions.hasHealthCheck('log-daemon:1')).toBe(false);
  });

  it('asks ECS once per task definition revision (they are immutable), concurrent callers included', async () => {
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'log-daemon:1' }).resolves(withContainers({ name: 'app', healthCheck }));
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/log-daemon:2' }).resolves(withContainers({ name: 'app' }));
    const answers = await Promise.all([taskDefinitions.hasHealthCheck('log-daemon:1'), taskDefinitions.hasHealthCheck('log-daemon:1')]);
    expect(answers).toEqual([true, true]);
    expect(await taskDefinitions.hasHealthCheck('log-daemon:1')).toBe(true);
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/log-daemon:2';
    expect(await taskDefinitions.hasHealthCheck(arn)).toBe(false);
    expect(await taskDefinitions.hasHealthCheck(arn)).toBe(false);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2);
  });

  it('does not cache a bare family (ECS resolves it to the latest ACTIVE revision)', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves(withContainers({ name: 'app' }));
    await taskDefinitions.hasHealthCheck('log-daemon');
    await taskDefinitions.hasHealthCheck('log-daemon');
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2);
  });

  it('passes errors through and does not cache them', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejectsOnce(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }))
      .resolves(withContainers({ name: 'app', healthCheck }));
    await expect(taskDefinitions.hasHealthCheck('log-daemon:1')).rejects.toBeInstanceOf(ClientException);
    expect(await taskDefinitions.hasHealthCheck('log-daemon:1')).toBe(true);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2);
  });

  it('refuses an answer without a task definition', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({});
    await expect(taskDefinitions.hasHealthCheck('log-daemon:1')).rejects.toThrow(/no task definition/);
  });

  it('describes the containers: images, environment by name, CPU and memory, port mappings; task CPU and memory (one call for both questions)', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
        family: 'web',
        revision: 7,
        cpu: '512',
        memory: '1024',
        networkMode: 'awsvpc',
        containerDefinitions: [
          {
            name: 'web',
            image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2',
            cpu: 256,
            memory: 512,
            environment: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'EMPTY' }],
            portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
            healthCheck,
          },
          { name: 'envoy', image: 'envoyproxy/envoy:v1.30', memoryReservation: 128 },
        ],
      },
    });
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
    expect(await taskDefinitions.describe(arn)).toEqual({
      arn,
      family: 'web',
      revision: 7,
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
      containers: [
        {
          name: 'web',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2',
          cpu: 256,
          memory: 512,
          environment: { LOG_LEVEL: 'info', EMPTY: '' },
          portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
        },
        { name: 'envoy', image: 'envoyproxy/envoy:v1.30', memoryReservation: 128, environment: {}, portMappings: [] },
      ],
    });
    expect(await taskDefinitions.hasHealthCheck(arn)).toBe(true);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((call) => call.args[0].input)).toEqual([{ taskDefinition: arn }]);
  });

  it('passes ECS\'s refusal of an unknown task definition through from describe', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    await expect(taskDefinitions.describe('gone:3')).rejects.toMatchObject({ name: 'ClientException', message: 'Unable to describe task definition.' });
  });

  it('takes the call as a function of the SDK shapes instead of a client (the simulated ECS)', async () => {
    const asked: unknown[] = [];
    const fromFunction = new EcsTaskDefinitions(async (input) => {
      asked.push(input);
      return { $metadata: {}, taskDefinition: { family: 'web', revision: 2, containerDefinitions: [{ name: 'web', image: 'web:2' }] } };
    });
    expect(await fromFunction.describe('web:2')).toEqual({ arn: 'web:2', family: 'web', revision: 2, containers: [{ name: 'web', image: 'web:2', environment: {}, portMappings: [] }] });
    expect(asked).toEqual([{ taskDefinition: 'web:2' }]);
  });
});
