/**
 * The executor function: SQS FIFO records executed one at a time, in order, against the simulated
 * cluster; once a record fails, it and every later record are reported failed (FIFO order).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PlannerAction } from '../../../domain/rollout';
import { parseAction } from '../../../functions/engine/action-schema';
import { reconcile } from '../../../functions/engine/engine';
import { createExecutorHandler } from '../../../functions/engine/executor-handler';
import { Bed, lambdaContext, NAME, sqsEvent, sqsRecord } from './support';

let bed: Bed;
let handler: ReturnType<typeof createExecutorHandler>;
let actions: PlannerAction[];

beforeEach(async () => {
  bed = new Bed();
  bed.world.addInstances({ count: 3, attributes: { stack: 'prod' } });
  handler = createExecutorHandler(bed.deps);
  await bed.deploying(NAME);
  actions = (await reconcile(bed.deps, NAME)).actions;
  expect(actions).toHaveLength(3);
});

const record = (action: PlannerAction, i: number) => sqsRecord(`m${i + 1}`, JSON.stringify(action), { MessageGroupId: action.environment });
const failures = (...ids: string[]) => ({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });
const started = () => bed.world.describeTasks().map((t) => t.tags['blox:action']);

describe('executor', () => {
  it('executes a good batch in order and reports no failure', async () => {
    const result = await handler(sqsEvent(...actions.map(record)), lambdaContext());
    expect(result).toEqual(failures());
    expect(started()).toEqual(actions.map((a) => a.key));
    const events = (await bed.eventLog.readEvents(NAME)).map((e) => e.event.type);
    expect(events.filter((t) => t === 'TaskLaunchRequested')).toHaveLength(3);
  });

  it('a failing record is reported failed with every record after it, which are not tried', async () => {
    const startTask = bed.world.startTask.bind(bed.world);
    vi.spyOn(bed.world, 'startTask').mockImplementation(async (input) => {
      if (input.tags['blox:action'] === actions[1]!.key) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return startTask(input);
    });
    const error = vi.spyOn(bed.logger, 'error');

    const result = await handler(sqsEvent(...actions.map(record)), lambdaContext());

    expect(result).toEqual(failures('m2', 'm3'));
    expect(started()).toEqual([actions[0]!.key]);
    expect(error).toHaveBeenCalledWith('action failed', expect.objectContaining({ messageId: 'm2', key: actions[1]!.key, group: NAME }));
  });

  it('a malformed body is reported failed (and the rest of the batch), and logged', async () => {
    const error = vi.spyOn(bed.logger, 'error');
    const broken = sqsRecord('m2', JSON.stringify({ ...actions[1], type: 'Reboot' }));

    const result = await handler(sqsEvent(record(actions[0]!, 0), broken, record(actions[2]!, 2), sqsRecord('m4', '{')), lambdaContext());

    expect(result).toEqual(failures('m2', 'm3', 'm4'));
    expect(started()).toEqual([actions[0]!.key]);
    expect(error).toHaveBeenCalledWith('action refused: malformed message body', expect.objectContaining({ messageId: 'm2' }));
    expect(String((error.mock.calls[0]![1] as { reason?: string }).reason)).toMatch(/type/);
  });

  it('a redelivered action already carried out is not done twice', async () => {
    await handler(sqsEvent(record(actions[0]!, 0)), lambdaContext());
    const result = await handler(sqsEvent(record(actions[0]!, 0)), lambdaContext());
    expect(result).toEqual(failures());
    expect(started()).toEqual([actions[0]!.key]);
  });

  it('leaves the records it has no time for to SQS', async () => {
    // Plenty of time for two actions, then 1 s left.
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => (started().length < 2 ? 30_000 : 1_000) };
    const result = await handler(sqsEvent(...actions.map(record)), context);
    expect(result).toEqual(failures('m3'));
    expect(started()).toEqual(actions.slice(0, 2).map((a) => a.key));
  });
});

describe('action schema', () => {
  it('reads what the planner sends', () => {
    for (const action of actions) expect(parseAction(JSON.stringify(action))).toEqual(action);
    const stop: PlannerAction = { type: 'StopTask', key: 'stop-x', environment: NAME, deploymentId: 'd', epoch: 2, revision: 1, cluster: 'default', taskArn: 'arn:t', reason: 'replaced' };
    expect(parseAction(JSON.stringify(stop))).toEqual(stop);
  });

  it('drops unknown keys and names the offending fields', () => {
    expect(parseAction(JSON.stringify({ ...actions[0], extra: 1 }))).toEqual(actions[0]);
    expect(() => parseAction(JSON.stringify({ ...actions[0], epoch: 'one' }))).toThrow(/epoch/);
    expect(() => parseAction('[]')).toThrow(/action body/);
    expect(() => parseAction('nope')).toThrow(/not JSON/);
  });
});
