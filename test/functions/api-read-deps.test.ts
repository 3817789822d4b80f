/**
 * api-read's dependencies (functions/api/deps.ts): diff-revisions describes task definitions with
 * ECS's DescribeTaskDefinition (a mocked ECS client), the adapter loaded on the first call.
 */
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDeps } from '../../functions/api/deps';

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

describe('defaultDeps (api-read): task definitions', () => {
  it('describes a task definition with one DescribeTaskDefinition, then from its cache', async () => {
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'web:3' }).resolves({
      taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3', family: 'web', revision: 3, containerDefinitions: [{ name: 'web', image: 'web:3.0' }] },
    });
    const deps = defaultDeps({ TABLE_NAME: 'blox', AWS_REGION: 'us-east-1' });
    const expected = { arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3', family: 'web', revision: 3, containers: [{ name: 'web', image: 'web:3.0', environment: {}, portMappings: [] }] };
    expect(await deps.taskDefinitions!.describe('web:3')).toEqual(expected);
    expect(await deps.taskDefinitions!.describe('web:3')).toEqual(expected);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((call) => call.args[0].input)).toEqual([{ taskDefinition: 'web:3' }]);
  });
});
