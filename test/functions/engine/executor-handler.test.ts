/**
 * The executor function: SQS FIFO records (one group per environment) executed in order against the
 * simulated cluster through Powertools' FIFO processor: once a record fails, the later records of
 * its group are reported failed without being tried, while the other groups go on; the receive
 * count reaches `execute`; out of time; metrics.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PlannerAction } from '../../../domain/rollout';
import { parseAction } from '../../../functions/engine/action-schema';
import { reconcile } from '../../../functions/engine/engine';
import { createExecutorHandler } from '../../../functions/engine/executor-handler';
import { Bed, lambdaContext, NAME, sqsEvent, sqsRecord } from './support';

const OTHER = 'Other/Staging';
let bed: Bed;
let handler: ReturnType<typeof createExecutorHandler>;
/** NAME's first plan: StartTasks on 25 instances, in batches of at most 10. */
let actions: PlannerAction[];
/** OTHER's first plan: StartTasks on its 3 instances. */
let other: PlannerAction[];

beforeEach(async () => {
  bed = new Bed();
  bed.world.addInstances({ count: 25, attributes: { stack: 'prod' } });
  bed.world.addInstances({ count: 3, attributes: { stack: 'gamma' } });
  handler = createExecutorHandler(bed.deps);
  await bed.deploying(NAME);
  await bed.deploying(OTHER, { InstanceGroup: { Query: 'attribute:stack == gamma' } });
  actions = (await reconcile(bed.deps, NAME)).actions;
  other = (await reconcile(bed.deps, OTHER)).actions;
  expect(actions.map((a) => a.type)).toEqual(['StartTasks', 'StartTasks', 'StartTasks']);
  expect(other).toHaveLength(1);
});

let n = 0;
const record = (action: PlannerAction, id = `m${++n}`, receiveCount = 1) =>
  sqsRecord(id, JSON.stringify(action), { MessageGroupId: action.environment, ApproximateReceiveCount: String(receiveCount) });
const failures = (...ids: string[]) => ({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });
/** The action keys of the tasks started, one per task. */
const started = () => bed.world.describeTasks().map((t) => t.tags['blox:action']);
const startedBy = (key: string) => started().filter((k) => k === key).length;
const size = (action: PlannerAction) => (action.type === 'StartTasks' ? action.instanceArns.length : action.type === 'StopTasks' ? action.taskArns.length : action.type === 'UpdateService' ? action.operations.length : 1);
const throttleOn = (key: string) => {
  const startTask = bed.world.startTask.bind(bed.world);
  vi.spyOn(bed.world, 'startTask').mockImplementation(async (input) => {
    if (input.tags['blox:action'] === key) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $retryable: { throttling: true } });
    return startTask(input);
  });
};

describe('executor', () => {
  it('executes a good batch in order and reports no failure', async () => {
    const result = await handler(sqsEvent(record(actions[0]!, 'm1'), record(actions[1]!, 'm2'), record(actions[2]!, 'm3')), lambdaContext());
    expect(result).toEqual(failures());
    expect(started()).toHaveLength(25);
    for (const action of actions) expect(startedBy(action.key)).toBe(size(action));
    expect(bed.metric('ActionDuration')[NAME]).toBeGreaterThanOrEqual(0);
  });

  it('a failing record fails with the later records of its group, which are not tried; another group goes on', async () => {
    throttleOn(actions[1]!.key);
    const error = vi.spyOn(bed.logger, 'error');

    const result = await handler(sqsEvent(record(actions[0]!, 'm1'), record(actions[1]!, 'm2'), record(other[0]!, 'm3'), record(actions[2]!, 'm4')), lambdaContext());

    expect(result).toEqual(failures('m2', 'm4'));
    expect(startedBy(actions[0]!.key)).toBe(size(actions[0]!));
    expect(startedBy(actions[1]!.key)).toBe(0);
    expect(startedBy(actions[2]!.key)).toBe(0);
    expect(startedBy(other[0]!.key)).toBe(3);
    expect(error).toHaveBeenCalledWith('action failed', expect.objectContaining({ messageId: 'm2', key: actions[1]!.key, group: NAME }));
    expect(bed.metric('ActionsFailed')).toEqual({ [NAME]: 1 });
    expect(bed.metric('EcsThrottles')).toEqual({ [NAME]: 1 });
  });

  it('a malformed body fails (and the later records of its group), logged as refused', async () => {
    const error = vi.spyOn(bed.logger, 'error');
    const broken = sqsRecord('m2', JSON.stringify({ ...actions[1], type: 'Reboot' }), { MessageGroupId: NAME });

    const result = await handler(sqsEvent(record(actions[0]!, 'm1'), broken, record(actions[2]!, 'm3'), record(other[0]!, 'm4')), lambdaContext());

    expect(result).toEqual(failures('m2', 'm3'));
    expect(startedBy(actions[0]!.key)).toBe(size(actions[0]!));
    expect(startedBy(actions[2]!.key)).toBe(0);
    expect(startedBy(other[0]!.key)).toBe(3);
    expect(error).toHaveBeenCalledWith('action refused: malformed message body', expect.objectContaining({ messageId: 'm2' }));
    expect(String((error.mock.calls[0]![1] as { reason?: string }).reason)).toMatch(/type/);
  });

  it('passes the receive count to execute: only a redelivery asks ECS what was already started', async () => {
    const listTasks = vi.spyOn(bed.world, 'listTasks');
    await handler(sqsEvent(record(actions[0]!, 'm1', 1)), lambdaContext());
    expect(listTasks).not.toHaveBeenCalled();
    // The delete got lost: SQS delivers it again, with ApproximateReceiveCount 2.
    const result = await handler(sqsEvent(record(actions[0]!, 'm1', 2)), lambdaContext());
    expect(result).toEqual(failures());
    expect(listTasks).toHaveBeenCalled();
    expect(startedBy(actions[0]!.key)).toBe(size(actions[0]!));
    expect(bed.metric('ActionsAlreadyDone')).toEqual({ [NAME]: 1 });
  });

  it('a copy of an action it already carried out (sent again after the deduplication window: receive count 1) asks ECS first', async () => {
    const listTasks = vi.spyOn(bed.world, 'listTasks');
    // Both copies in one batch, as when the first sat in the queue for more than 5 minutes.
    const result = await handler(sqsEvent(record(actions[0]!, 'm1', 1), record(actions[0]!, 'm2', 1)), lambdaContext());
    expect(result).toEqual(failures());
    expect(listTasks).toHaveBeenCalledTimes(1);
    expect(startedBy(actions[0]!.key)).toBe(size(actions[0]!));
    // And in a later batch.
    await handler(sqsEvent(record(actions[0]!, 'm3', 1)), lambdaContext());
    expect(startedBy(actions[0]!.key)).toBe(size(actions[0]!));
    expect(bed.metric('ActionsAlreadyDone')).toEqual({ [NAME]: 2 });
  });

  it('leaves the records it has no time for to SQS', async () => {
    // Plenty of time for the first action, then 1 s left.
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => (started().length === 0 ? 30_000 : 1_000) };
    const warn = vi.spyOn(bed.logger, 'warn');
    const result = await handler(sqsEvent(record(actions[0]!, 'm1'), record(actions[1]!, 'm2'), record(other[0]!, 'm3')), context);
    expect(result).toEqual(failures('m2', 'm3'));
    expect(started()).toHaveLength(size(actions[0]!));
    expect(warn).toHaveBeenCalledWith('out of time: the rest of the batch is left for redelivery', expect.objectContaining({ remainingMs: 1_000 }));
  });
});

describe('action schema', () => {
  it('reads what the planner sends', () => {
    for (const action of actions) expect(parseAction(JSON.stringify(action))).toEqual(action);
    const stop: PlannerAction = { type: 'StopTasks', key: 'stop-x', environment: NAME, deploymentId: 'd', epoch: 2, revision: 1, cluster: 'default', taskArns: ['arn:t'], reason: 'replaced' };
    expect(parseAction(JSON.stringify(stop))).toEqual(stop);
  });

  it('drops unknown keys and names the offending fields', () => {
    expect(parseAction(JSON.stringify({ ...actions[0], extra: 1 }))).toEqual(actions[0]);
    expect(() => parseAction(JSON.stringify({ ...actions[0], epoch: 'one' }))).toThrow(/epoch/);
    expect(() => parseAction('[]')).toThrow(/action body/);
    expect(() => parseAction('nope')).toThrow(/not JSON/);
  });
});
