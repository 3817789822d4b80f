/**
 * Errors the simulated cluster throws, shaped like the AWS SDK v3's service exceptions (`name`,
 * `$fault`, `$metadata`, `$retryable`), so the code that handles ECS errors handles these too.
 */

export interface SimulatedErrorMetadata {
  httpStatusCode: number;
  requestId: string;
  attempts: number;
  totalRetryDelay: number;
}

export class SimulatedAwsError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: SimulatedErrorMetadata;
  readonly $retryable?: { throttling: boolean } | undefined;

  constructor(
    name: string,
    message: string,
    options: { fault?: 'client' | 'server'; httpStatusCode?: number; retryable?: { throttling: boolean }; requestId?: string } = {},
  ) {
    super(message);
    this.name = name;
    this.$fault = options.fault ?? 'client';
    this.$metadata = { httpStatusCode: options.httpStatusCode ?? 400, requestId: options.requestId ?? '', attempts: 1, totalRetryDelay: 0 };
    if (options.retryable) this.$retryable = options.retryable;
  }
}

/** ECS's throttling answer: `ThrottlingException: Rate exceeded`, retryable as a throttle. */
export function throttlingException(requestId = ''): SimulatedAwsError {
  return new SimulatedAwsError('ThrottlingException', 'Rate exceeded', { retryable: { throttling: true }, requestId });
}

export function invalidParameterException(message: string): SimulatedAwsError {
  return new SimulatedAwsError('InvalidParameterException', message);
}

export function clusterNotFoundException(): SimulatedAwsError {
  return new SimulatedAwsError('ClusterNotFoundException', 'Cluster not found.');
}

export function clientException(message: string): SimulatedAwsError {
  return new SimulatedAwsError('ClientException', message);
}

/** ECS: the service named does not exist in the cluster (DescribeServices answers a `MISSING` failure instead). */
export function serviceNotFoundException(): SimulatedAwsError {
  return new SimulatedAwsError('ServiceNotFoundException', 'Service not found.');
}

/** ECS: the service is DRAINING or INACTIVE (deleted): it cannot be changed. */
export function serviceNotActiveException(): SimulatedAwsError {
  return new SimulatedAwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
}

/** ECS: no such task set in the service (or it was deleted and is gone). */
export function taskSetNotFoundException(message: string): SimulatedAwsError {
  return new SimulatedAwsError('TaskSetNotFoundException', message);
}
