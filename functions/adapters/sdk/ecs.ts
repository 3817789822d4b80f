/**
 * The ECS SDK the ECS adapters use (ecs-cluster.ts, ecs-services.ts, task-definitions.ts): the client
 * and the commands they send, in a module of their own so it can be imported on first use
 * (`ecsSdk()`): the reconciler, most of whose reconciles fold what ECS's events said and call no ECS
 * API, reads it (esbuild puts it and the client in a chunk) on its first ECS call, not at cold start.
 * The executor, whose every action calls ECS, imports it statically (`createEcsClient`).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import type { ECSClientConfig } from '@aws-sdk/client-ecs';

export {
  CreateServiceCommand,
  CreateTaskSetCommand,
  DeleteServiceCommand,
  DeleteTaskSetCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StartTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
} from '@aws-sdk/client-ecs';

/** The adapters' ECS client configuration: adaptive retries (backs off on throttling), 5 attempts. */
export function ecsClientConfig(config: ECSClientConfig = {}): ECSClientConfig {
  return { retryMode: 'adaptive', maxAttempts: 5, ...config };
}

/** An ECS client for the adapters (`ecsClientConfig`), built now. */
export function createEcsClient(config: ECSClientConfig = {}): ECSClient {
  return new ECSClient(ecsClientConfig(config));
}
