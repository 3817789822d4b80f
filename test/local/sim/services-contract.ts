/**
 * The `Services` port's contract: one scenario a deployment of a Service environment goes through —
 * create the service, a task set at 100 %, scale it to 50 %, a second task set, make it primary,
 * delete the first, delete the service — asserting what ECS answers (counts, statuses, errors).
 * Written against the port and a `waitFor` that lets ECS act, so it can run against any
 * implementation: the simulated cluster (`ecs-services.contract.test.ts`), or an account's ECS with
 * a bed that polls.
 *
 * The bed's cluster has room for at least 4 tasks of each task definition it names, and no service
 * named `web`. Errors are checked by their ECS name, and by message where ECS's own wording is known.
 */
import { expect, it } from 'vitest';
import type { ClusterService, Services } from '../../../functions/ports';

export interface ServicesBed {
  services: Services;
  cluster: string;
  /** Task definitions to run (`family:revision`), two revisions of one family. */
  revisions: [string, string];
  /** Lets ECS act until `check` holds (the simulated cluster: its clock moves). Throws when it never does. */
  waitFor(check: () => Promise<boolean>, what: string): Promise<void>;
}

async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected ECS to refuse the call');
}

export function servicesContract(name: string, bed: () => Promise<ServicesBed>): void {
  it(`Services contract (${name}): create, 100 %, 50 %, a second task set made primary, the first deleted, the service deleted`, async () => {
    const { services, cluster, revisions, waitFor } = await bed();
    const describe = async (): Promise<ClusterService> => (await services.describeService(cluster, 'web'))!;
    const steady = (count: number) => async () => {
      const service = await describe();
      return service.runningCount === count && service.pendingCount === 0 && service.taskSets.every((ts) => ts.stabilityStatus === 'STEADY_STATE');
    };

    // 1. The service: EXTERNAL, no task sets, nothing running. Ensuring it again adopts it as it is.
    const created = await services.ensureService({ cluster, name: 'web', desiredCount: 4 });
    expect(created).toMatchObject({ name: 'web', status: 'ACTIVE', deploymentController: 'EXTERNAL', desiredCount: 4, runningCount: 0, pendingCount: 0, taskSets: [] });
    const adopted = await services.ensureService({ cluster, name: 'web', desiredCount: 9 });
    expect(adopted).toMatchObject({ arn: created.arn, desiredCount: 4 });

    // 2. Revision 1 at 100 %: ceil(4 × 100 / 100) = 4 tasks, none yet in the answer; ACTIVE, not primary.
    const blue = await services.addTaskSet({ cluster, service: 'web', taskDefinition: revisions[0], externalId: '1', scale: 100 });
    expect(blue).toMatchObject({ status: 'ACTIVE', externalId: '1', scale: 100, computedDesiredCount: 4, runningCount: 0, stabilityStatus: 'STABILIZING', loadBalancers: [] });
    expect(blue.id).toMatch(/^ecs-svc\/\d+$/);
    await waitFor(steady(4), '4 tasks of revision 1 RUNNING and healthy');
    expect((await describe()).taskSets).toMatchObject([{ id: blue.id, runningCount: 4, pendingCount: 0, computedDesiredCount: 4, stabilityStatus: 'STEADY_STATE' }]);
    expect((await services.setPrimaryTaskSet(cluster, 'web', blue.id)).status).toBe('PRIMARY');

    // 3. 50 %: ceil(4 × 50 / 100) = 2, at once in the answer; two tasks stopped.
    const half = await services.scaleTaskSet(cluster, 'web', blue.arn, 50);
    expect(half).toMatchObject({ scale: 50, computedDesiredCount: 2, status: 'PRIMARY' });
    await waitFor(steady(2), 'revision 1 down to 2 tasks');

    // 4. Revision 2 at 50 %: 2 more tasks; the service runs 4. Made primary: revision 1 turns ACTIVE.
    const green = await services.addTaskSet({ cluster, service: 'web', taskDefinition: revisions[1], externalId: '2', scale: 50 });
    expect(green).toMatchObject({ status: 'ACTIVE', computedDesiredCount: 2 });
    await waitFor(steady(4), '2 + 2 tasks RUNNING and healthy');
    expect((await services.setPrimaryTaskSet(cluster, 'web', green.id)).status).toBe('PRIMARY');
    expect((await describe()).taskSets.map((ts) => [ts.externalId, ts.status, ts.runningCount])).toEqual([
      ['1', 'ACTIVE', 2],
      ['2', 'PRIMARY', 2],
    ]);

    // 5. Revision 1 deleted: refused while scaled above 0; at 0 %, DRAINING, then gone.
    expect((await refusal(services.removeTaskSet(cluster, 'web', blue.id))).name).toBe('InvalidParameterException');
    expect(await services.scaleTaskSet(cluster, 'web', blue.id, 0)).toMatchObject({ computedDesiredCount: 0 });
    expect((await services.removeTaskSet(cluster, 'web', blue.id)).status).toBe('DRAINING');
    await waitFor(async () => (await describe()).taskSets.length === 1, 'revision 1 gone');
    expect((await refusal(services.scaleTaskSet(cluster, 'web', blue.id, 10))).name).toBe('TaskSetNotFoundException');

    // 6. Revision 2 to 100 %: 4 tasks.
    expect(await services.scaleTaskSet(cluster, 'web', green.id, 100)).toMatchObject({ computedDesiredCount: 4 });
    await waitFor(steady(4), '4 tasks of revision 2');

    // 7. The service deleted: refused while its desired count is above 0; at 0, DRAINING then INACTIVE.
    expect(await refusal(services.removeService(cluster, 'web'))).toEqual({ name: 'InvalidParameterException', message: 'The service cannot be stopped while it is scaled above 0.' });
    expect((await services.setDesiredCount(cluster, 'web', 0)).taskSets[0]).toMatchObject({ computedDesiredCount: 0 });
    expect(['DRAINING', 'INACTIVE']).toContain((await services.removeService(cluster, 'web')).status);
    await waitFor(async () => (await describe()).status === 'INACTIVE', 'the service INACTIVE');
    expect(await refusal(services.scaleTaskSet(cluster, 'web', green.id, 10))).toEqual({ name: 'ServiceNotActiveException', message: 'Service was not ACTIVE.' });
    expect(await refusal(services.setDesiredCount(cluster, 'nope', 1))).toEqual({ name: 'ServiceNotFoundException', message: 'Service not found.' });
    expect(await services.describeService(cluster, 'nope')).toBeUndefined();
  });
}
