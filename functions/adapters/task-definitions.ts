/**
 * The `TaskDefinitions` port over Amazon ECS: `DescribeTaskDefinition`, and whether any container of
 * the task definition declares a `healthCheck` (then the planner waits for HEALTHY, not RUNNING).
 *
 * A task definition revision (`family:revision` or its ARN — the only forms an environment spec
 * accepts) is immutable, so each answer is cached for the life of the Lambda container. The promise
 * is cached, so concurrent reconciles of one revision share one call; a failed call is not cached.
 * A bare family name (which ECS resolves to its latest ACTIVE revision) is never cached.
 */
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { TaskDefinitions } from '../ports';

/** `family:revision` or `arn:…:task-definition/family:revision`: a pinned, immutable revision. */
const PINNED = /:[1-9][0-9]*$/;

export class EcsTaskDefinitions implements TaskDefinitions {
  private readonly cache = new Map<string, Promise<boolean>>();

  constructor(private readonly client: ECSClient) {}

  hasHealthCheck(taskDefinition: string): Promise<boolean> {
    const cached = this.cache.get(taskDefinition);
    if (cached) return cached;
    const answer = this.describe(taskDefinition);
    if (PINNED.test(taskDefinition)) {
      this.cache.set(taskDefinition, answer);
      answer.catch(() => this.cache.delete(taskDefinition));
    }
    return answer;
  }

  private async describe(taskDefinition: string): Promise<boolean> {
    const output = await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
    const containers = output.taskDefinition?.containerDefinitions;
    if (!containers) throw new Error(`DescribeTaskDefinition ${taskDefinition}: no task definition in the answer`);
    return containers.some((container) => container.healthCheck !== undefined && container.healthCheck !== null);
  }
}
