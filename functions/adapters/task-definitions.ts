/**
 * The `TaskDefinitions` port over Amazon ECS: `DescribeTaskDefinition`, read for whether any container
 * of the task definition declares a `healthCheck` (then the planner waits for HEALTHY, not RUNNING),
 * and for what diff-revisions shows of it (`describe`: containers, images, environment, CPU and memory,
 * port mappings).
 *
 * A task definition revision (`family:revision` or its ARN — the only forms an environment spec
 * accepts) is immutable, so each answer is cached for the life of the Lambda container. The promise
 * is cached, so concurrent reconciles of one revision share one call; a failed call is not cached.
 * A bare family name (which ECS resolves to its latest ACTIVE revision) is never cached.
 *
 * It takes an `ECSClient`, or the one call it makes as a function of the SDK's input and output shapes
 * (the local stack's simulated ECS answers it).
 */
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { DescribeTaskDefinitionCommandInput, DescribeTaskDefinitionCommandOutput, TaskDefinition } from '@aws-sdk/client-ecs';
import type { TaskDefinitionSummary } from '../../domain/revision-diff';
import type { TaskDefinitionDescriptions, TaskDefinitions } from '../ports';

/** `family:revision` or `arn:…:task-definition/family:revision`: a pinned, immutable revision. */
const PINNED = /:[1-9][0-9]*$/;

export type DescribeTaskDefinition = (input: DescribeTaskDefinitionCommandInput) => Promise<DescribeTaskDefinitionCommandOutput>;

export class EcsTaskDefinitions implements TaskDefinitions, TaskDefinitionDescriptions {
  private readonly cache = new Map<string, Promise<TaskDefinition>>();
  private readonly send: DescribeTaskDefinition;

  constructor(client: ECSClient | DescribeTaskDefinition) {
    this.send = typeof client === 'function' ? client : (input) => client.send(new DescribeTaskDefinitionCommand(input));
  }

  async hasHealthCheck(taskDefinition: string): Promise<boolean> {
    const definition = await this.read(taskDefinition);
    return definition.containerDefinitions!.some((container) => container.healthCheck !== undefined && container.healthCheck !== null);
  }

  async describe(taskDefinition: string): Promise<TaskDefinitionSummary> {
    return taskDefinitionSummary(taskDefinition, await this.read(taskDefinition));
  }

  private read(taskDefinition: string): Promise<TaskDefinition> {
    const cached = this.cache.get(taskDefinition);
    if (cached) return cached;
    const answer = this.describeOnce(taskDefinition);
    if (PINNED.test(taskDefinition)) {
      this.cache.set(taskDefinition, answer);
      answer.catch(() => this.cache.delete(taskDefinition));
    }
    return answer;
  }

  private async describeOnce(taskDefinition: string): Promise<TaskDefinition> {
    const output = await this.send({ taskDefinition });
    const definition = output.taskDefinition;
    if (!definition?.containerDefinitions) throw new Error(`DescribeTaskDefinition ${taskDefinition}: no task definition in the answer`);
    return definition;
  }
}

/**
 * The adapter on its own ECS client (adaptive retries, 5 attempts, as `createEcsClient`'s): what api-read
 * loads on its first diff-revisions, without the cluster adapter (and the query parser) beside it.
 */
export function ecsTaskDefinitions(): EcsTaskDefinitions {
  return new EcsTaskDefinitions(new ECSClient({ retryMode: 'adaptive', maxAttempts: 5 }));
}

/** What a diff shows of DescribeTaskDefinition's `taskDefinition` (environment variables by name; ports as mapped). */
export function taskDefinitionSummary(asked: string, definition: TaskDefinition): TaskDefinitionSummary {
  return {
    arn: definition.taskDefinitionArn ?? asked,
    family: definition.family ?? asked.replace(/^.*task-definition\//, '').replace(/:[0-9]+$/, ''),
    revision: definition.revision ?? 0,
    ...(definition.cpu ? { cpu: definition.cpu } : {}),
    ...(definition.memory ? { memory: definition.memory } : {}),
    ...(definition.networkMode ? { networkMode: definition.networkMode } : {}),
    containers: (definition.containerDefinitions ?? []).map((container) => ({
      name: container.name ?? '',
      image: container.image ?? '',
      ...(container.cpu !== undefined ? { cpu: container.cpu } : {}),
      ...(container.memory !== undefined ? { memory: container.memory } : {}),
      ...(container.memoryReservation !== undefined ? { memoryReservation: container.memoryReservation } : {}),
      environment: Object.fromEntries((container.environment ?? []).filter((pair) => pair.name !== undefined).map((pair) => [pair.name!, pair.value ?? ''])),
      portMappings: (container.portMappings ?? []).map((mapping) => ({
        containerPort: mapping.containerPort ?? 0,
        ...(mapping.hostPort !== undefined ? { hostPort: mapping.hostPort } : {}),
        ...(mapping.protocol !== undefined ? { protocol: mapping.protocol } : {}),
      })),
    })),
  };
}
