/**
 * The engine end to end on the deterministic harness: planner → queue → executor → simulated ECS →
 * events → planner, with EventBridge/SQS/Lambda latencies, on a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../domain/environment';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';
import { Harness } from '../../local/harness';

const NAME = 'SomeEnvironment/Prod';
const spec = (config: Record<string, unknown> = {}): EnvironmentSpec =>
  ({
    Name: NAME,
    TaskDefinition: 'log-daemon:1',
    Cluster: 'default',
    InstanceGroup: { Query: 'attribute:stack == prod' },
    DeploymentType: 'Daemon',
    DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80, ...config },
  }) as EnvironmentSpec;

const table = (state: EnvironmentState | undefined) => (state?.revisions ?? []).map((r) => [r.revision, displayStatus(r), r.desired, r.current]);

async function activeOn(h: Harness, revision: number): Promise<boolean> {
  const s = await h.state(NAME);
  return s?.activeRevision === revision && !s.deployment;
}

async function setUp(config: Record<string, unknown> = {}, options: ConstructorParameters<typeof Harness>[0] = {}) {
  const h = new Harness({ seed: 7, ...options });
  h.world.addInstances({ count: 5, attributes: { stack: 'prod' } });
  h.world.addInstances({ count: 1, attributes: { stack: 'gamma' } });
  await h.command({ type: 'CreateEnvironment', spec: spec(config) });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
  await h.runUntil(() => activeOn(h, 1), 120_000);
  return h;
}

describe('the engine on the harness', () => {
  it('the first deployment places one task per matching instance: Deploying 5 0 → Active 5 5', async () => {
    const h = await setUp();
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 5, 5]]);
    expect(h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING')).toHaveLength(5);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('Replace at 80%: revision 2 replaces revision 1 one instance at a time; 1 ends Inactive', async () => {
    const h = await setUp();
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    const seen: string[] = [];
    const t0 = h.clock.now();
    const seenAt: number[] = [];
    let minRunning = Infinity;
    const took = await h.runUntil(async () => {
      const s = await h.state(NAME);
      const row = JSON.stringify(table(s));
      if (seen.at(-1) !== row) {
        seen.push(row);
        seenAt.push(h.clock.now() - t0);
      }
      const running = h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING').length;
      minRunning = Math.min(minRunning, running);
      return activeOn(h, 2);
    }, 300_000);
    const rows = await h.eventLog.listRevisions(NAME);
    expect(rows.map((r) => [r.revision, r.status, r.desired, r.current])).toEqual([
      [1, 'Inactive', 0, 0],
      [2, 'Active', 5, 5],
    ]);
    expect(minRunning).toBeGreaterThanOrEqual(4);
    expect(seen[0]).toBe(JSON.stringify([[1, 'Undeploying', 0, 5], [2, 'Deploying', 0, 0]]));
    expect(seen).toContain(JSON.stringify([[1, 'Undeploying', 0, 4], [2, 'Deploying', 5, 0]]));
    expect(took).toBeLessThan(60_000);
    expect(h.notifications.map((n) => JSON.parse(n.Detail).status)).toEqual(expect.arrayContaining(['Deploying', 'Active', 'Undeploying', 'Inactive']));
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a task definition that fails to start: Stuck, then Failing, with the reason; rollback recovers', async () => {
    const h = await setUp({ Method: 'Surge', MinHealthyPercent: 100, StuckAfterSeconds: 30, FailingAfterSeconds: 60 });
    h.world.configureTaskDefinition('log-daemon:2', { failStart: 'CannotPullContainerError: pull access denied' });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => displayStatus((await h.state(NAME))!.revisions.find((r) => r.revision === 2)!) === 'Failing', 600_000);
    const failing = await h.state(NAME);
    expect(failing!.revisions.find((r) => r.revision === 2)).toMatchObject({ health: 'Failing' });
    expect(failing!.revisions.find((r) => r.revision === 2)!.statusReason).toMatch(/TaskFailedToStart: CannotPullContainerError: pull access denied/);
    // Surge never stopped an old task: all 5 still run revision 1.
    expect(h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING' && t.tags['blox:revision'] === '1')).toHaveLength(5);
    expect(h.notifications.map((n) => JSON.parse(n.Detail).status)).toContain('Failing');

    await h.command({ type: 'RollbackToRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 300_000);
    const rows = await h.eventLog.listRevisions(NAME);
    expect(rows.map((r) => [r.revision, r.status])).toEqual([
      [1, 'Active'],
      [2, 'Reverted'],
    ]);
    await h.stop();
  });

  it('freeze mid-deploy: nothing moves; thaw: it converges', async () => {
    const h = await setUp({ MinHealthyPercent: 60 });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runFor(3_000);
    await h.command({ type: 'FreezeEnvironment', name: NAME });
    await h.runFor(5_000);
    const before = JSON.stringify(h.world.describeTasks().map((t) => [t.arn, t.desiredStatus]));
    await h.runFor(120_000);
    expect(JSON.stringify(h.world.describeTasks().map((t) => [t.arn, t.desiredStatus]))).toBe(before);
    await h.command({ type: 'ThawEnvironment', name: NAME });
    await h.runUntil(() => activeOn(h, 2), 300_000);
    await h.stop();
  });

  it('instances joining mid-deploy raise DESIRED (5 → 10) and get the daemon', async () => {
    const h = await setUp();
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runFor(4_000);
    h.world.addInstances({ count: 5, attributes: { stack: 'prod' } });
    await h.runUntil(() => activeOn(h, 2), 300_000);
    expect(table(await h.state(NAME))).toEqual([[2, 'Active', 10, 10]]);
    await h.stop();
  });

  it('rollback of a Deploying revision: the Undeploying one deploys again, the bad one ends Reverted', async () => {
    const h = await setUp({ MinHealthyPercent: 60 });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => ((await h.state(NAME))?.revisions.find((r) => r.revision === 2)?.current ?? 0) >= 2, 120_000);
    await h.command({ type: 'RollbackToRevision', name: NAME, revision: 1 });
    expect(table(await h.state(NAME)).map((r) => r.slice(0, 2))).toEqual([
      [1, 'Deploying'],
      [2, 'Reverting'],
    ]);
    await h.runUntil(() => activeOn(h, 1), 300_000);
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status, r.current])).toEqual([
      [1, 'Active', 5],
      [2, 'Reverted', 0],
    ]);
    const live = h.world.describeTasks().filter((t) => t.lastStatus !== 'STOPPED');
    expect(live.map((t) => t.tags['blox:revision'])).toEqual(['1', '1', '1', '1', '1']);
    await h.stop();
  });

  it('rollback past the Undeploying revision: both it and the Deploying one are reverted', async () => {
    const h = await setUp({ MinHealthyPercent: 60 });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => activeOn(h, 2), 300_000);
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 2, patch: { TaskDefinition: 'log-daemon:3' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 3 });
    await h.runUntil(async () => ((await h.state(NAME))?.revisions.find((r) => r.revision === 3)?.current ?? 0) >= 2, 120_000);
    await h.command({ type: 'RollbackToRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 300_000);
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status])).toEqual([
      [1, 'Active'],
      [2, 'Reverted'],
      [3, 'Reverted'],
    ]);
    await h.stop();
  });

  it('a rollback runs with the RollbackConfiguration (here: Surge, never below 100%)', async () => {
    const h = await setUp({ MinHealthyPercent: 60 });
    await h.command({
      type: 'UpdateEnvironment',
      name: NAME,
      baseRevision: 1,
      patch: { TaskDefinition: 'log-daemon:2', RollbackConfiguration: { Method: 'Surge', MinHealthyPercent: 100, MaxOver: 1 } },
    });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => activeOn(h, 2), 300_000);
    await h.command({ type: 'RollbackToRevision', name: NAME, revision: 1 });
    let minRunning = Infinity;
    await h.runUntil(async () => {
      minRunning = Math.min(minRunning, h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING').length);
      return activeOn(h, 1);
    }, 300_000);
    expect(minRunning).toBe(5);
    await h.stop();
  });
});
