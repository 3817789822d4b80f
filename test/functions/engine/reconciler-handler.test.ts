/**
 * The reconciler function: SQS FIFO batches of reconcile requests (one group per environment) over
 * a MemoryEventLog and the simulated cluster; each environment of a batch reconciled once; a failed
 * environment fails its own group only, with a back-off; metrics.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReconcileRequest } from '../../../functions/adapters/sqs-reconcile-queue';
import { createReconcilerHandler } from '../../../functions/engine/reconciler-handler';
import { Bed, lambdaContext, NAME, sqsEvent, sqsRecord } from './support';

const OTHER = 'Other/Staging';
let bed: Bed;
let handler: ReturnType<typeof createReconcilerHandler>;

beforeEach(() => {
  bed = new Bed();
  bed.world.addInstances({ count: 3, attributes: { stack: 'prod' } });
  handler = createReconcilerHandler(bed.deps);
});

let seq = 0;
const request = (id: string, environment: string, receiveCount = 1) =>
  sqsRecord(id, JSON.stringify({ environment, trigger: 'task', eventId: `event-${++seq}` } satisfies ReconcileRequest), {
    MessageGroupId: environment,
    ApproximateReceiveCount: String(receiveCount),
  });
const failures = (...ids: string[]) => ({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });
const environmentsOf = (actions: Array<{ environment: string }>) => [...new Set(actions.map((a) => a.environment))].sort();

/** OTHER deploys a task definition whose health-check lookup throws (a throttled DescribeTaskDefinition). */
async function otherBroken() {
  await bed.deploying(OTHER, { TaskDefinition: 'broken:1' });
  bed.deps.taskDefinitions.hasHealthCheck = async (td) => {
    if (td === 'broken:1') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    return false;
  };
}

describe('reconciler', () => {
  it('reconciles each environment of a batch once, whatever the number of its records', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER);
    const loads = vi.spyOn(bed.eventLog, 'load');

    const result = await handler(sqsEvent(request('m1', NAME), request('m2', OTHER), request('m3', NAME), request('m4', NAME)), lambdaContext());

    expect(result).toEqual(failures());
    expect(environmentsOf(bed.enqueued)).toEqual([OTHER, NAME].sort());
    expect(bed.metric('Reconciles')).toEqual({ [NAME]: 1, [OTHER]: 1 });
    expect(bed.metric('ReconcileRequestsCoalesced')).toEqual({ [NAME]: 2 });
    expect(loads.mock.calls.filter(([e]) => e === NAME)).toHaveLength(1);
  });

  it('enqueues the plan, schedules the wake-up it asks for, and reports what it planned', async () => {
    await bed.deploying(NAME);
    const info = vi.spyOn(bed.logger, 'info');
    await handler(sqsEvent(request('m1', NAME)), lambdaContext());
    expect(bed.enqueued.length).toBeGreaterThan(0);
    expect(bed.metric('ActionsPlanned')).toEqual({ [NAME]: bed.enqueued.length });
    expect(bed.metric('ReconcileDuration')[NAME]).toBeGreaterThanOrEqual(0);
    expect(info).toHaveBeenCalledWith('reconciled', expect.objectContaining({ environment: NAME, messageId: 'm1', group: NAME, actions: bed.enqueued.length }));
    expect(bed.wakeups.every((w) => w.environment === NAME && w.atMs >= bed.clock.now())).toBe(true);
  });

  it('a failed reconcile fails its own group only (the other environments go on), counted, with a back-off', async () => {
    await bed.deploying(NAME);
    await otherBroken();
    const error = vi.spyOn(bed.logger, 'error');

    const result = await handler(sqsEvent(request('m1', OTHER, 3), request('m2', NAME), request('m3', OTHER), request('m4', NAME)), lambdaContext());

    expect(result).toEqual(failures('m1', 'm3'));
    expect(environmentsOf(bed.enqueued)).toEqual([NAME]);
    expect(error).toHaveBeenCalledWith('reconcile failed', expect.objectContaining({ environment: OTHER, messageId: 'm1' }));
    expect(bed.metric('ReconcilesFailed')).toEqual({ [OTHER]: 1 });
    expect(bed.metric('EcsThrottles')).toEqual({ [OTHER]: 1 });
    // Both records of the group come back together, after the back-off of the third receive (4 s).
    expect(bed.backoffs).toEqual([
      { receiptHandle: 'receipt-m1', delaySeconds: 4 },
      { receiptHandle: 'receipt-m3', delaySeconds: 4 },
    ]);
  });

  it('a back-off that cannot be set is logged; the response stands', async () => {
    await otherBroken();
    bed.deps.redelivery = { later: async () => Promise.reject(new Error('AccessDenied')) };
    const warn = vi.spyOn(bed.logger, 'warn');
    handler = createReconcilerHandler(bed.deps);
    expect(await handler(sqsEvent(request('m1', OTHER)), lambdaContext())).toEqual(failures('m1'));
    expect(warn).toHaveBeenCalledWith('back-off not set: the failed requests come back after the visibility timeout', expect.anything());
  });

  it('a malformed body fails (and the later records of its group), logged as refused', async () => {
    await bed.deploying(NAME);
    const error = vi.spyOn(bed.logger, 'error');
    const broken = sqsRecord('m1', '{"environment":""}', { MessageGroupId: NAME });
    const result = await handler(sqsEvent(broken, request('m2', NAME), request('m3', OTHER)), lambdaContext());
    expect(result).toEqual(failures('m1', 'm2'));
    expect(error).toHaveBeenCalledWith('reconcile request refused: malformed message body', expect.objectContaining({ messageId: 'm1' }));
  });

  it('a request for an environment that does not exist (any more) is done, not failed', async () => {
    expect(await handler(sqsEvent(request('m1', 'Gone/Env')), lambdaContext())).toEqual(failures());
  });

  it('leaves the records it has no time for to SQS', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER);
    let calls = 0;
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => (calls++ < 1 ? 30_000 : 1_000) };
    const result = await handler(sqsEvent(request('m1', NAME), request('m2', OTHER)), context);
    expect(result).toEqual(failures('m2'));
    expect(environmentsOf(bed.enqueued)).toEqual([NAME]);
  });
});

describe('reconciler: the watched alarms', () => {
  const watching = { DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80, Alarms: { AlarmNames: ['daemon-errors'] } } } as const;
  const alarmRequest = (id: string, trigger: ReconcileRequest['trigger'], alarm?: ReconcileRequest['alarm']) =>
    sqsRecord(id, JSON.stringify({ environment: NAME, trigger, eventId: `event-${++seq}`, ...(alarm ? { alarm } : {}) } satisfies ReconcileRequest), { MessageGroupId: NAME });

  it('reads DescribeAlarms when the deployment has no state on record for a watched alarm, and on a tick (the backstop) — not on every event', async () => {
    const described: string[][] = [];
    const okSince = bed.clock.now() - 3_600_000;
    bed.deps.alarms = { describe: async (names) => (described.push([...names]), [{ name: 'daemon-errors', value: 'OK', at: okSince, reason: 'fine' }]) };
    await bed.deploying(NAME, watching as never);

    await handler(sqsEvent(alarmRequest('m1', 'task')), lambdaContext());
    expect(described).toEqual([['daemon-errors']]);
    expect((await bed.eventLog.load(NAME))?.engine?.alarms).toEqual({ 'daemon-errors': { value: 'OK', at: okSince, reason: 'fine' } });

    await handler(sqsEvent(alarmRequest('m2', 'task')), lambdaContext());
    expect(described).toHaveLength(1);
    await handler(sqsEvent(alarmRequest('m3', 'tick')), lambdaContext());
    expect(described).toHaveLength(2);

    // An alarm event: its reading is planned with, without a DescribeAlarms. The first deployment has
    // nothing to roll back to: it halts, with the reason.
    const at = bed.clock.now();
    await handler(sqsEvent(alarmRequest('m4', 'alarm', { name: 'daemon-errors', value: 'ALARM', at, reason: 'Threshold Crossed' })), lambdaContext());
    expect(described).toHaveLength(2);
    const state = await bed.eventLog.load(NAME);
    expect(state?.engine?.phase).toMatchObject({ phase: 'Halted', trigger: 'Alarm' });
    expect(state?.revisions.find((r) => r.revision === 1)).toMatchObject({ health: 'Stuck', statusReason: expect.stringMatching(/^alarm daemon-errors entered ALARM at .*; halted: no earlier revision to roll back to$/) });
  });
});
