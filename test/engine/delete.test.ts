/**
 * delete-environment --force on the deterministic harness (virtual clock, simulated ECS, the ECS
 * budget, the reconcile and action queues): the planner's stops go through the executor; a Service's
 * ECS service is scaled to 0 and deleted with its task sets; a deletion that cannot progress is
 * Stuck, then Failing, with the reason, and completes when the tasks finally stop.
 */
import { describe, expect, it } from 'vitest';
import { environmentSummary } from '../../domain/environment';
import type { EnvironmentSpec } from '../../domain/spec';
import { Harness } from '../../local/harness';

const FLEET = 'Fleet/Logs';
const WEB = 'Web/Prod';

describe('delete-environment --force on the harness', () => {
  it('a Daemon whose tasks take 10 minutes to stop: Deleting, Stuck after 60 s and Failing after 120 s more, with the reason; Deleted once they stop; the log kept', async () => {
    const h = new Harness({ seed: 5, tickMs: 60_000 });
    h.world.addInstances({ count: 4, attributes: { stack: 'prod' } });
    // A task's behaviour is fixed when it starts: these take 10 minutes to stop.
    h.world.configureTaskDefinition('log-daemon:1', { stopSeconds: 600 });
    const spec: EnvironmentSpec = {
      Name: FLEET,
      TaskDefinition: 'log-daemon:1',
      DeploymentType: 'Daemon',
      InstanceGroup: { Query: 'attribute:stack == prod' },
      DeploymentConfiguration: { Method: 'Replace', StuckAfterSeconds: 60, FailingAfterSeconds: 120 },
    } as EnvironmentSpec;
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: FLEET, revision: 1 });
    await h.runUntil(async () => (await h.state(FLEET))?.activeRevision === 1, 600_000);
    const live = () => h.world.describeTasks().filter((t) => t.tags['blox:environment'] === FLEET && t.lastStatus !== 'STOPPED');
    expect(live()).toHaveLength(4);
    const logged = (await h.eventLog.readEvents(FLEET)).length;

    await h.command({ type: 'DeleteEnvironment', name: FLEET, force: true });
    await h.runUntil(async () => (await h.state(FLEET))?.engine?.health?.status === 'Stuck', 300_000);
    let state = (await h.state(FLEET))!;
    expect(environmentSummary(state)).toMatchObject({ status: 'Stuck', current: 4 });
    // The picture of the cluster learns of a stop when the task STOPPED (ECS's STOPPING events are not routed).
    expect(state.engine?.health?.reason).toMatch(/^delete-environment: no progress for 6\d s: 4 task\(s\) of the environment still running \(task \w+ on \w+: last seen RUNNING, desired RUNNING(; a stop was sent)?\)$/);
    expect(state.revisions).toMatchObject([{ revision: 1, status: 'Undeploying', health: 'Stuck', desired: 0, current: 4 }]);
    // Every task was asked to stop once, by the executor.
    expect(live().every((t) => t.desiredStatus === 'STOPPED')).toBe(true);

    await h.runUntil(async () => (await h.state(FLEET))?.engine?.health?.status === 'Failing', 300_000);
    await h.runUntil(async () => !!(await h.state(FLEET))?.deletion?.completedAt, 1_200_000);
    state = (await h.state(FLEET))!;
    expect(environmentSummary(state)).toEqual({ status: 'Deleted', desired: 0, current: 0 });
    expect(live()).toEqual([]);
    expect((await h.eventLog.listRevisions(FLEET)).map((r) => [r.revision, r.status, r.desired, r.current])).toEqual([[1, 'Inactive', 0, 0]]);

    // The log is kept: what was there before, then the deletion's events.
    const events = await h.eventLog.readEvents(FLEET);
    expect(events.length).toBeGreaterThan(logged);
    const types = events.slice(logged).map((e) => e.event.type);
    expect(types[0]).toBe('DeletionStarted');
    expect(types).toContain('StopsPlanned');
    expect(types).toContain('DeploymentStuck');
    expect(types).toContain('DeploymentFailing');
    expect(types.at(-1)).toBe('DeletionCompleted');
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a Service: desired count and task set to 0, the task set and the service deleted (INACTIVE); Deleted', async () => {
    const h = new Harness({ seed: 7, services: true, tickMs: 60_000 });
    h.world.addInstances({ count: 4, attributes: { stack: 'prod' } });
    const spec = { Name: WEB, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 3, DeploymentConfiguration: { Method: 'Rolling' } } as EnvironmentSpec;
    await h.command({ type: 'CreateEnvironment', spec });
    await h.command({ type: 'DeployRevision', name: WEB, revision: 1 });
    await h.runUntil(async () => (await h.state(WEB))?.activeRevision === 1, 900_000);
    expect(await h.world.describeService('default', 'Web-Prod')).toMatchObject({ status: 'ACTIVE', desiredCount: 3 });

    await h.command({ type: 'DeleteEnvironment', name: WEB, force: true });
    expect(environmentSummary((await h.state(WEB))!)).toMatchObject({ status: 'Deleting', current: 3 });
    await h.runUntil(async () => !!(await h.state(WEB))?.deletion?.completedAt, 600_000);
    const service = await h.world.describeService('default', 'Web-Prod');
    expect(service).toMatchObject({ status: 'INACTIVE', desiredCount: 0, taskSets: [] });
    expect(h.world.describeTasks().filter((t) => t.taskDefinitionArn.endsWith('/web:1') && t.lastStatus !== 'STOPPED' && t.desiredStatus === 'RUNNING')).toEqual([]);
    expect(environmentSummary((await h.state(WEB))!)).toEqual({ status: 'Deleted', desired: 0, current: 0 });
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});
