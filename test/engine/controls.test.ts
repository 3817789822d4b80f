/**
 * The controls of a running deployment end to end on the deterministic harness (the simulated cluster,
 * the engine's Lambda handlers on the in-process queues, a virtual clock): a Daemon rollout paused
 * mid-way starts no task and turns neither Stuck nor Failing however long it waits, then resumes and
 * completes; abort-deployment mid-way ends with the old revision Active and the new one Reverted
 * (trigger Abort); promote-deployment ends a Daemon canary's bake of an hour within minutes.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent, EnvironmentState } from '../../domain/environment';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';
import { Harness } from '../../local/harness';

const NAME = 'Fleet/Logs';
const CALLER = 'arn:aws:iam::123456789012:user/ops';
const spec: EnvironmentSpec = {
  Name: NAME,
  TaskDefinition: 'log-daemon:1',
  Cluster: 'default',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentType: 'Daemon',
  DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80, StuckAfterSeconds: 300, FailingAfterSeconds: 600 },
};

const table = (state: EnvironmentState | undefined) => (state?.revisions ?? []).map((r) => [r.revision, displayStatus(r), r.desired, r.current]);
const onTwo = (h: Harness) => h.world.describeTasks().filter((t) => t.taskDefinitionArn.endsWith('log-daemon:2'));

async function logged(h: Harness, type: EnvironmentEvent['type']): Promise<EnvironmentEvent[]> {
  return (await h.eventLog.readEvents(NAME)).map((e) => e.event).filter((e) => e.type === type);
}

/** Revision 1 Active on 5 instances, revision 2 (log-daemon:2, with `config` over the spec's) created. */
async function setUp(config: Record<string, unknown> = {}) {
  const h = new Harness({ seed: 17 });
  h.world.addInstances({ count: 5, attributes: { stack: 'prod' } });
  await h.command({ type: 'CreateEnvironment', spec });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
  await h.runUntil(async () => (await h.state(NAME))?.activeRevision === 1, 10 * 60_000);
  await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2', DeploymentConfiguration: config } });
  return h;
}

const at = (h: Harness) => new Date(h.clock.now()).toISOString();

describe('controls of a running deployment on the harness', () => {
  it('pause mid-rollout: no task starts and no Stuck for 30 min (StuckAfterSeconds 300); resume: it completes', async () => {
    const h = await setUp();
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => onTwo(h).some((t) => t.lastStatus === 'RUNNING'), 10 * 60_000);
    await h.command({ type: 'PauseDeployment', name: NAME, caller: CALLER, reason: 'checking' });
    await h.runFor(60_000); // what was in flight lands (or is dropped)
    const started = onTwo(h).length;
    const running = onTwo(h).filter((t) => t.lastStatus === 'RUNNING').length;
    expect(running).toBeLessThan(5);
    expect(started).toBeLessThan(5); // unpaused, 30 min is time enough to finish: it would have started the rest
    await h.runFor(30 * 60_000);
    expect(onTwo(h)).toHaveLength(started);
    expect(await logged(h, 'DeploymentStuck')).toEqual([]);
    const paused = await h.state(NAME);
    expect(paused?.engine?.paused).toMatchObject({ by: CALLER, reason: 'checking' });
    expect(displayStatus(paused!.revisions.find((r) => r.revision === 2)!)).toBe('Deploying');
    await h.command({ type: 'ResumeDeployment', name: NAME, caller: CALLER });
    await h.runUntil(async () => (await h.state(NAME))?.activeRevision === 2, 15 * 60_000);
    expect(table(await h.state(NAME))).toEqual([[2, 'Active', 5, 5]]);
    expect(await logged(h, 'DeploymentStuck')).toEqual([]);
    expect((await logged(h, 'DeploymentPaused')).length + (await logged(h, 'DeploymentUnpaused')).length).toBe(2);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('abort mid-rollout: revision 1 Active on all 5 again, revision 2 Reverted, trigger Abort naming the caller', async () => {
    const h = await setUp();
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => onTwo(h).some((t) => t.lastStatus === 'RUNNING'), 10 * 60_000);
    await h.command({ type: 'AbortDeployment', name: NAME, caller: CALLER, reason: 'error rate' });
    await h.runUntil(async () => {
      const s = await h.state(NAME);
      return s !== undefined && !s.deployment && s.activeRevision === 1;
    }, 15 * 60_000);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 5, 5]]);
    expect(onTwo(h).filter((t) => t.lastStatus !== 'STOPPED')).toEqual([]);
    const [aborted] = await logged(h, 'DeploymentAborted');
    expect(aborted).toMatchObject({ to: 1, caller: CALLER, reason: 'error rate' });
    const [rollback] = await logged(h, 'RollbackStarted');
    expect(rollback).toMatchObject({ revision: 1, reverting: [2], trigger: { kind: 'Abort', reason: `abort-deployment by ${CALLER}: error rate` } });
    const row = await h.eventLog.getRevision(NAME, 2);
    expect(row?.status).toBe('Reverted');
    expect(row?.statusReason).toBe(`abort-deployment by ${CALLER}: error rate`);
    expect((await h.state(NAME))?.lastDeployment?.trigger).toMatchObject({ kind: 'Abort' });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('promote during a Daemon canary bake of 3600 s: the rest follow at once and it completes within minutes', async () => {
    const h = await setUp({ Canary: { Instances: 1, BakeSeconds: 3600 } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => (await h.state(NAME))?.engine?.phase?.phase === 'CanaryBaking', 10 * 60_000);
    const bakeFrom = h.clock.now();
    await h.runFor(60_000);
    expect(onTwo(h).filter((t) => t.lastStatus !== 'STOPPED')).toHaveLength(1); // only the canary
    await h.command({ type: 'PromoteDeployment', name: NAME, full: false, caller: CALLER, reason: 'canary looks good' });
    const promotedAt = at(h);
    await h.runUntil(async () => (await h.state(NAME))?.activeRevision === 2, 15 * 60_000);
    expect(h.clock.now() - bakeFrom).toBeLessThan(20 * 60_000);
    expect(table(await h.state(NAME))).toEqual([[2, 'Active', 5, 5]]);
    expect(await logged(h, 'DeploymentPromoted')).toMatchObject([{ ends: 'CanaryBake', full: false, caller: CALLER, at: promotedAt }]);
    expect(await logged(h, 'CanaryPassed')).toHaveLength(1);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});

describe('controls of a running Service deployment on the harness', () => {
  const SERVICE_NAME = 'Web/Prod';
  it('pause: no task set scale changes for 30 min and no Stuck; resume: it completes', async () => {
    const h = new Harness({ seed: 11, services: true, tickMs: 60_000 });
    h.world.addInstances({ count: 6, attributes: { stack: 'prod' } });
    const web: EnvironmentSpec = {
      Name: SERVICE_NAME,
      TaskDefinition: 'web:1',
      Cluster: 'default',
      DeploymentType: 'Service',
      DesiredCount: 6,
      DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 150, StuckAfterSeconds: 300 },
      Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: h.services!.elbv2.targetGroupArn('web')! } },
    };
    const active = async (revision: number) => {
      const s = await h.state(SERVICE_NAME);
      return s?.activeRevision === revision && !s.deployment;
    };
    const scales = async () => ((await h.world.describeService('default', 'Web-Prod'))?.taskSets ?? []).map((s) => [s.externalId, s.scale]);
    await h.command({ type: 'CreateEnvironment', spec: web });
    await h.command({ type: 'DeployRevision', name: SERVICE_NAME, revision: 1 });
    await h.runUntil(() => active(1), 900_000);
    await h.command({ type: 'UpdateEnvironment', name: SERVICE_NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: SERVICE_NAME, revision: 2 });
    await h.runUntil(async () => (await scales()).some(([revision, scale]) => revision === '2' && Number(scale) > 0), 10 * 60_000);
    await h.command({ type: 'PauseDeployment', name: SERVICE_NAME, caller: CALLER });
    await h.runFor(60_000);
    const held = await scales();
    expect(Number(held.find(([revision]) => revision === '1')?.[1])).toBeGreaterThan(0); // mid-way: the old task set still has tasks
    await h.runFor(30 * 60_000);
    expect(await scales()).toEqual(held);
    const events = (await h.eventLog.readEvents(SERVICE_NAME)).map((e) => e.event.type);
    expect(events).not.toContain('DeploymentStuck');
    await h.command({ type: 'ResumeDeployment', name: SERVICE_NAME, caller: CALLER });
    await h.runUntil(() => active(2), 30 * 60_000);
    expect(table(await h.state(SERVICE_NAME))).toEqual([[2, 'Active', 6, 6]]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});
