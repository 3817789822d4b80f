/**
 * api-write's hand-off to the engine: status changes announced through the notifier, and a
 * reconcile requested at once (on the SQS FIFO reconcile queue) after a deploy, rollback or thaw
 * (both optional; a failure of either does not fail a command already in the log).
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createWriteHandler } from '../../../functions/api/write-routes';
import type { ApiDeps } from '../../../functions/api/deps';
import { defaultDeps } from '../../../functions/api/deps';
import { parseReconcileRequest } from '../../../functions/adapters/sqs-reconcile-queue';
import { writeDeps } from '../../../functions/api/write-deps';
import { Bed, lambdaContext, NAME, spec } from './support';

let bed: Bed;
let deps: ApiDeps;
let handler: ReturnType<typeof createWriteHandler>;

beforeEach(() => {
  bed = new Bed();
  deps = { eventLog: bed.eventLog, clock: bed.deps.clock, logger: bed.logger, notifier: bed.deps.notifier, wakeups: bed.deps.wakeups };
  handler = createWriteHandler(deps);
});

async function call(routeKey: string, body?: unknown, name?: string): Promise<{ status: number; body: unknown }> {
  const event = {
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    ...(name ? { pathParameters: { name: encodeURIComponent(name) } } : {}),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
    requestContext: { routeKey, http: { method: 'POST', path: '/' } },
  } as unknown as APIGatewayProxyEventV2;
  const response = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
  return { status: response.statusCode!, body: response.body ? JSON.parse(response.body) : undefined };
}

const statuses = () => bed.notifications.map((n) => JSON.parse(n.Detail).status);

describe('api-write → engine', () => {
  it('wakes the planner at once after deploy, rollback and thaw — not after create, update or freeze', async () => {
    expect((await call('POST /environments', spec())).status).toBe(201);
    expect((await call('POST /environments/{name}/revisions', { Revision: 1, TaskDefinition: 'log-daemon:2' }, NAME)).status).toBe(201);
    expect((await call('POST /environments/{name}/freeze', undefined, NAME)).status).toBe(200);
    expect(bed.wakeups).toEqual([]);

    expect((await call('POST /environments/{name}/deployments', { EnvironmentRevision: 1 }, NAME)).status).toBe(201);
    expect((await call('POST /environments/{name}/thaw', undefined, NAME)).status).toBe(200);
    expect((await call('POST /environments/{name}/deployments', { EnvironmentRevision: 2 }, NAME)).status).toBe(201);
    expect((await call('POST /environments/{name}/rollbacks', { EnvironmentRevision: 1 }, NAME)).status).toBe(201);
    expect(bed.wakeups).toEqual(Array.from({ length: 4 }, () => ({ environment: NAME, atMs: bed.clock.now() })));
  });

  it('does not wake the planner for a refused command', async () => {
    await call('POST /environments', spec());
    expect((await call('POST /environments/{name}/deployments', { EnvironmentRevision: 7 }, NAME)).status).toBeGreaterThanOrEqual(400);
    expect(bed.wakeups).toEqual([]);
  });

  it('announces the status changes a command causes', async () => {
    await call('POST /environments', spec());
    expect(bed.notifications).toEqual([]);
    await call('POST /environments/{name}/deployments', { EnvironmentRevision: 1 }, NAME);
    expect(statuses()).toEqual(['Deploying']);
    expect(JSON.parse(bed.notifications[0]!.Detail)).toMatchObject({ environment: NAME, revision: 1 });
  });

  it('answers the command even when announcing or waking fails (both are logged)', async () => {
    const error = vi.spyOn(bed.logger, 'error');
    handler = createWriteHandler({
      ...deps,
      notifier: { publish: async () => Promise.reject(new Error('PutEvents refused')) },
      wakeups: { schedule: async () => Promise.reject(new Error('SendMessage refused')) },
    });
    await call('POST /environments', spec());
    const deployed = await call('POST /environments/{name}/deployments', { EnvironmentRevision: 1 }, NAME);
    expect(deployed.status).toBe(201);
    expect((await bed.eventLog.load(NAME))!.deployment?.revision).toBe(1);
    expect(error.mock.calls.map((c) => c[0])).toEqual(['could not announce the status change', 'could not wake the planner; it will reconcile on its next tick']);
  });

  it('works without notifier and wake-ups (the local stack)', async () => {
    handler = createWriteHandler({ eventLog: bed.eventLog, clock: bed.deps.clock, logger: bed.logger });
    await call('POST /environments', spec());
    expect((await call('POST /environments/{name}/deployments', { EnvironmentRevision: 1 }, NAME)).status).toBe(201);
  });
});

describe('defaultDeps / writeDeps (api)', () => {
  const env = { TABLE_NAME: 'blox', AWS_REGION: 'us-east-1' };
  const engineEnv = { EVENT_BUS_NAME: 'default', RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/r.fifo' };
  it('builds the notifier and the wake-ups only when their variables are set', () => {
    const bare = writeDeps(env);
    expect(bare.notifier).toBeUndefined();
    expect(bare.wakeups).toBeUndefined();
    const full = writeDeps({ ...env, ...engineEnv });
    expect(full.notifier).toBeDefined();
    expect(full.wakeups).toBeDefined();
    // The wake-ups go to the reconcile queue, not the delayed wake-up queue.
    expect(writeDeps({ ...env, WAKEUPS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/w' }).wakeups).toBeUndefined();
  });

  it('a wake-up is a request on the SQS FIFO reconcile queue (SendMessageBatch: the environment as group)', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: 'r0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [] });
    try {
      await writeDeps({ ...env, ...engineEnv }).wakeups!.schedule(NAME, Date.now());
      const input = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input;
      expect(input.QueueUrl).toBe(engineEnv.RECONCILE_QUEUE_URL);
      expect(input.Entries).toEqual([
        expect.objectContaining({ MessageGroupId: NAME, MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      ]);
      expect(parseReconcileRequest(input.Entries![0]!.MessageBody!)).toMatchObject({ environment: NAME, trigger: 'api' });
    } finally {
      sqs.restore();
    }
  });

  it('builds neither for api-read (defaultDeps)', () => {
    const read = defaultDeps({ ...env, ...engineEnv });
    expect(read.notifier).toBeUndefined();
    expect(read.wakeups).toBeUndefined();
  });
});
