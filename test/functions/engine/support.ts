/**
 * Test bed for the engine functions: a MemoryEventLog, the simulated cluster on a virtual clock, and
 * in-memory captures of the action queue, the notifier, the wake-ups, the metrics, the back-off and
 * the reconcile queue — the ports `engineDeps()` and `routerDeps()` build from AWS clients in a Lambda.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EnvironmentCommand } from '../../../domain/environment';
import type { PlannerAction } from '../../../domain/rollout';
import type { EnvironmentSpec } from '../../../domain/spec';
import type { PutEventsEntry } from '../../../events/notifications';
import { appendWithRetry, runCommand } from '../../../functions/commands';
import type { ReconcileRequest } from '../../../functions/adapters/sqs-reconcile-queue';
import type { EngineFunctionDeps } from '../../../functions/engine/deps';
import type { RouterDeps } from '../../../functions/engine/router-handler';
import { MemoryEventLog } from '../../../local/memory-event-log';
import { SimulatedCluster, VirtualClock } from '../../../local/sim';

export const NAME = 'SomeEnvironment/Prod';

export const spec = (name = NAME, overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec =>
  ({
    Name: name,
    TaskDefinition: 'log-daemon:1',
    Cluster: 'default',
    InstanceGroup: { Query: 'attribute:stack == prod' },
    DeploymentType: 'Daemon',
    DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80 },
    ...overrides,
  }) as EnvironmentSpec;

export type SampleEvent = Record<string, unknown> & { detail: Record<string, unknown> };

/** A recorded sample payload from events/samples/, parsed (a fresh copy each time). */
export function sample(file: string): SampleEvent {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../../events/samples/${file}`, import.meta.url)), 'utf8'));
}

export function lambdaContext(remainingMs = 30_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
    memoryLimitInMB: '1024',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function sqsRecord(messageId: string, body: string, attributes: Partial<SQSRecord['attributes']> = {}): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1704067200000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1704067200000',
      ...attributes,
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:queue',
    awsRegion: 'us-east-1',
  };
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

export class Bed {
  readonly clock = new VirtualClock(Date.parse('2024-01-01T00:00:00.000Z'));
  readonly world = new SimulatedCluster({ clock: this.clock, seed: 3 });
  readonly eventLog = new MemoryEventLog();
  readonly enqueued: PlannerAction[] = [];
  readonly notifications: PutEventsEntry[] = [];
  readonly wakeups: Array<{ environment: string; atMs: number }> = [];
  readonly requests: ReconcileRequest[] = [];
  readonly metrics: Array<[name: string, unit: string, value: number, environment: string]> = [];
  readonly backoffs: Array<{ receiptHandle: string; delaySeconds: number }> = [];
  readonly logger = new Logger({ serviceName: 'blox-test', logLevel: 'SILENT' });
  readonly deps: EngineFunctionDeps = {
    eventLog: this.eventLog,
    cluster: this.world,
    taskDefinitions: { hasHealthCheck: async () => false },
    queue: { enqueue: async (actions) => void this.enqueued.push(...actions) },
    notifier: { publish: async (entries) => void this.notifications.push(...entries) },
    clock: { now: () => new Date(this.clock.now()) },
    wakeups: { schedule: async (environment, atMs) => void this.wakeups.push({ environment, atMs }) },
    log: () => undefined,
    logger: this.logger,
    metrics: { add: (name, unit, value, environment) => void this.metrics.push([name, unit, value, environment]) },
    redelivery: { later: async (messages) => void this.backoffs.push(...messages) },
  };
  readonly routerDeps: RouterDeps = {
    eventLog: this.eventLog,
    reconciles: { request: async (requests) => void this.requests.push(...requests) },
    logger: this.logger,
  };

  /** The sum of a metric, per environment. */
  metric(name: string): Record<string, number> {
    const sums: Record<string, number> = {};
    for (const [n, , value, environment] of this.metrics) if (n === name) sums[environment] = (sums[environment] ?? 0) + value;
    return sums;
  }

  at(): string {
    return new Date(this.clock.now()).toISOString();
  }

  async run(command: EnvironmentCommand): Promise<void> {
    const environment = command.type === 'CreateEnvironment' ? command.spec.Name : command.name;
    await runCommand(this.eventLog, { environment, command, reply: () => ({ statusCode: 200, body: null }) });
  }

  /** Records the deployment in progress as completed (the engine's `DeploymentCompleted`): the environment is at rest, revision 1 Active. */
  async completed(name = NAME): Promise<void> {
    await appendWithRetry(this.eventLog, name, (before) => ({ events: [{ type: 'DeploymentCompleted', revision: before!.deployment!.revision, retired: [], at: this.clock.now() }] }), { attempts: 1 });
  }

  /** Creates the environment and starts deploying revision 1. */
  async deploying(name = NAME, overrides: Partial<EnvironmentSpec> = {}): Promise<void> {
    const created = spec(name, overrides);
    await this.run({ type: 'CreateEnvironment', spec: created, at: this.at() });
    await this.run({ type: 'DeployRevision', name, revision: 1, targetSpec: created, at: this.at() });
  }
}
