/**
 * The executor and a Service step ECS refuses (engine.ts `execute`, functions/engine/service.ts): a
 * client error (InvalidParameterException from the simulated ECS, for a NetworkConfiguration it cannot
 * run) is recorded once per action key as `ServiceUpdateRefused` and the action counts as carried out
 * (`refused`: SQS does not redeliver it); a ThrottlingException is thrown as before (SQS retries it),
 * nothing recorded.
 */
import { describe, expect, it, vi } from 'vitest';
import type { EnvironmentEvent } from '../../../domain/environment';
import type { PlannerAction } from '../../../domain/rollout';
import { execute, reconcile } from '../../../functions/engine/engine';
import { createExecutorHandler } from '../../../functions/engine/executor-handler';
import { isRefusal } from '../../../functions/engine/service';
import { Bed, lambdaContext, sqsEvent, sqsRecord } from './support';

const WEB = 'Web/Prod';
const ECS_SAYS = 'InvalidParameterException: Network Configuration is not valid for the given networkMode of this task definition.';

/** A Service environment deploying revision 1 (2 tasks, web:1), and its first step: [EnsureService, CreateTaskSet]. */
async function firstStep(network: boolean) {
  const bed = new Bed();
  const deps = { ...bed.deps, services: bed.world };
  await bed.deploying(WEB, {
    TaskDefinition: 'web:1',
    DeploymentType: 'Service',
    DesiredCount: 2,
    InstanceGroup: undefined,
    DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200 },
    ...(network ? { Service: { NetworkConfiguration: { Subnets: ['subnet-0a1b'] } } } : {}),
  });
  const { actions } = await reconcile(deps, WEB);
  expect(actions.map((a) => (a.type === 'UpdateService' ? a.operations.map((o) => o.op) : a.type))).toEqual([['EnsureService', 'CreateTaskSet']]);
  return { bed, deps, action: actions[0]! };
}

const refusals = async (bed: Bed): Promise<EnvironmentEvent[]> =>
  (await bed.eventLog.readEvents(WEB)).map((e) => e.event).filter((e) => e.type === 'ServiceUpdateRefused');

describe('the executor, when ECS refuses a Service step', () => {
  it('a client error (InvalidParameterException) is recorded once per action key, with the operation and ECS’s reason; the action is done with (refused)', async () => {
    const { bed, deps, action } = await firstStep(true);

    expect(await execute(deps, action)).toBe('refused');
    // SQS delivers it again (a copy, or the delete got lost): ECS refuses again, nothing more is recorded.
    expect(await execute(deps, action, { receiveCount: 2 })).toBe('refused');

    expect(await refusals(bed)).toEqual([{ type: 'ServiceUpdateRefused', key: action.key, operation: 'CreateTaskSet', reason: ECS_SAYS, at: bed.clock.now() }]);
    // EnsureService, before it, went through.
    expect((await bed.world.describeService('default', 'Web-Prod'))?.status).toBe('ACTIVE');
    expect((await bed.eventLog.load(WEB))?.engine?.serviceRefusal).toMatchObject({ key: action.key, operation: 'CreateTaskSet', count: 1 });
    expect(bed.metric('ActionsRefused')).toEqual({ [WEB]: 2 });
  });

  it('through the executor function: the record is not a failure (SQS deletes it) and nothing is logged as an error', async () => {
    const { bed, deps, action } = await firstStep(true);
    const error = vi.spyOn(bed.logger, 'error');
    const handler = createExecutorHandler(deps);
    const result = await handler(sqsEvent(sqsRecord('m1', JSON.stringify(action), { MessageGroupId: WEB })), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    expect(error).not.toHaveBeenCalled();
    expect(await refusals(bed)).toHaveLength(1);
  });

  it('a ThrottlingException is thrown as before (SQS retries it), nothing recorded', async () => {
    const { bed, deps, action } = await firstStep(false);
    vi.spyOn(bed.world, 'addTaskSet').mockRejectedValue(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $retryable: { throttling: true } }));

    await expect(execute(deps, action)).rejects.toThrow('Rate exceeded');

    expect(await refusals(bed)).toEqual([]);
    expect((await bed.eventLog.load(WEB))?.engine?.serviceRefusal).toBeUndefined();
  });

  it('a refused action of a deployment replaced since is not recorded', async () => {
    const { bed, deps, action } = await firstStep(true);
    const stale: PlannerAction = { ...action, epoch: action.epoch - 1 };
    expect(await execute(deps, stale)).toBe('dropped');
    expect(await refusals(bed)).toEqual([]);
  });
});

describe('the executor, when ECS refuses a step of delete-environment', () => {
  it('recorded once per refusal, though the deletion’s step comes with a new key each minute; the service already gone is no refusal', async () => {
    const { bed, deps, action } = await firstStep(false);
    expect(await execute(deps, action)).toBe('done');
    await bed.run({ type: 'DeleteEnvironment', name: WEB, force: true, at: bed.at() });
    const [deletion] = (await reconcile(deps, WEB)).actions;
    expect(deletion?.type === 'UpdateService' && deletion.operations.map((o) => o.op)).toEqual(['SetDesiredCount', 'ScaleTaskSet', 'DeleteTaskSet', 'DeleteService']);
    const denied = Object.assign(new Error('User is not authorized to perform: ecs:DeleteService'), { name: 'AccessDeniedException', $fault: 'client' });
    const removeService = vi.spyOn(bed.world, 'removeService').mockRejectedValue(denied);

    expect(await execute(deps, deletion!)).toBe('refused');
    // The next minute's step: only DeleteService is left (the rest went through).
    const next: PlannerAction = { ...(deletion as Extract<PlannerAction, { type: 'UpdateService' }>), key: `${deletion!.key}-next-minute`, operations: [{ op: 'DeleteService' }] };
    expect(await execute(deps, next)).toBe('refused');

    expect(await refusals(bed)).toEqual([
      { type: 'ServiceUpdateRefused', key: deletion!.key, operation: 'DeleteService', reason: 'AccessDeniedException: User is not authorized to perform: ecs:DeleteService', at: bed.clock.now() },
    ]);
    // Gone meanwhile (deleted by hand): what was asked for.
    removeService.mockRejectedValue(Object.assign(new Error('Service not found.'), { name: 'ServiceNotFoundException', $fault: 'client' }));
    expect(await execute(deps, next)).toBe('done');
    expect(await refusals(bed)).toHaveLength(1);
  });
});

describe('isRefusal: what counts as ECS refusing the call', () => {
  it.each<[string, unknown, boolean]>([
    ['InvalidParameterException', { name: 'InvalidParameterException', $fault: 'client' }, true],
    ['AccessDeniedException', { name: 'AccessDeniedException', $fault: 'client' }, true],
    ['ServiceNotFoundException, by name alone', { name: 'ServiceNotFoundException' }, true],
    ['any client fault', { name: 'SomethingNew', $fault: 'client' }, true],
    ['ThrottlingException (a client fault)', { name: 'ThrottlingException', $fault: 'client' }, false],
    ['a throttle by $retryable', { name: 'X', $fault: 'client', $retryable: { throttling: true } }, false],
    ['DynamoDB throttling the ECS budget', { name: 'ProvisionedThroughputExceededException', $fault: 'client' }, false],
    ['a server fault', { name: 'ServerException', $fault: 'server' }, false],
    ['a plain Error', new Error('socket hang up'), false],
  ])('%s → %s', (_, error, expected) => {
    expect(isRefusal(error)).toBe(expected);
  });
});
