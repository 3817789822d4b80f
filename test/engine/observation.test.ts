/**
 * The engine's picture of the cluster, end to end on the harness (AWS latency model, ECS's rate
 * limits, the budget): a rollout looks at ECS in full when it starts and when it completes, and in
 * between lives on ECS's events; what an event that never arrives costs, and what catches it.
 */
import { describe, expect, it } from 'vitest';
import { FULL_LOOK_EVERY_MS } from '../../domain/rollout';
import type { EnvironmentSpec } from '../../domain/spec';
import type { HarnessOptions } from '../../local/harness';
import { Harness } from '../../local/harness';

const NAME = 'Fleet/LogShipper';

async function activeOn(h: Harness, revision: number): Promise<boolean> {
  const s = await h.state(NAME);
  return s?.activeRevision === revision && !s.deployment;
}

/** 5 instances of stack=prod (and 1 other), revision 1 Active; task start 10 s, stop 2 s. */
async function deployed(health: 'none' | 'healthy', options: HarnessOptions = {}) {
  const h = new Harness({ seed: 3, ...options });
  for (const td of ['log-daemon:1', 'log-daemon:2']) h.world.configureTaskDefinition(td, { startSeconds: 10, stopSeconds: 2, health, healthyAfterSeconds: 5 });
  h.world.addInstances({ count: 5, attributes: { stack: 'prod' } });
  h.world.addInstances({ count: 1, attributes: { stack: 'other' } });
  const spec = {
    Name: NAME,
    TaskDefinition: 'log-daemon:1',
    Cluster: 'default',
    InstanceGroup: { Query: 'attribute:stack == prod' },
    DeploymentType: 'Daemon',
    DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80 },
  } as EnvironmentSpec;
  await h.command({ type: 'CreateEnvironment', spec });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
  await h.runUntil(() => activeOn(h, 1), 3600_000);
  await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
  return h;
}

const calls = (h: Harness) => ({ ...h.counts.ecs });
const since = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(Object.keys({ ...before, ...after }).flatMap((k) => ((after[k] ?? 0) - (before[k] ?? 0) > 0 ? [[k, (after[k] ?? 0) - (before[k] ?? 0)]] : [])));

describe("the engine's picture of the cluster on the harness", () => {
  it('a rollout reads ECS twice in full — when it starts and when it completes — and lives on the events in between', async () => {
    const h = await deployed('none');
    const before = calls(h);
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => activeOn(h, 2), 3600_000);
    // Worked out: each full look lists ACTIVE and DRAINING instances (one page each: 5 and 0) and the
    // ARNs of the tasks that want to run (one page: 5). The picture has each of them RUNNING (the
    // first look: revision 1's tasks; the last: revision 2's, from their events) and the revision
    // has no health check, so none is described (toDescribe); no task vanished from the picture
    // without its event, so nothing else is either. Two looks: 4 + 2 reads.
    // Replace at 80 % of 5: one instance at a time — 5 StopTask and 5 StartTask calls.
    expect(since(before, calls(h))).toEqual({ ListContainerInstances: 4, ListTasks: 2, StopTask: 5, StartTask: 5 });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('with a health check, only the tasks waiting for a verdict are described again (ECS sends no event for health)', async () => {
    const h = await deployed('healthy');
    const before = calls(h);
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => activeOn(h, 2), 3600_000);
    const made = since(before, calls(h));
    // The same two full looks and 10 modify calls; with a health check each look describes the 5
    // listed tasks (a verdict can change while a task runs: one call each look). The health look-ups
    // are DescribeTasks only: each new task is RUNNING for 5 s before it turns HEALTHY and is looked
    // at about once a second meanwhile.
    expect(made).toMatchObject({ ListContainerInstances: 4, ListTasks: 2, StopTask: 5, StartTask: 5 });
    expect(made.DescribeTasks).toBeGreaterThan(2);
    expect(made.DescribeTasks).toBeLessThanOrEqual(2 + 5 * 7);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('an ECS event that never arrives is caught by the full look every 10 minutes: the rollout completes, late', async () => {
    let dropped: string | undefined;
    const h = await deployed('none', {
      // The first RUNNING event of a revision-2 task is lost: the picture keeps that task PENDING.
      dropEvent: (event) => {
        const d = event.detail as { group?: string; lastStatus?: string; taskArn?: string };
        if (dropped || event['detail-type'] !== 'ECS Task State Change' || !d.group?.startsWith('blox:2:') || d.lastStatus !== 'RUNNING') return false;
        dropped = d.taskArn;
        return true;
      },
    });
    const t0 = h.clock.now();
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => activeOn(h, 2), 3600_000);
    expect(h.faults.droppedEvents).toBe(1);
    expect(dropped).toBeDefined();
    // Without the event the wave waits for the backstop: it completes only after a full look, 10 min in.
    expect(h.clock.now() - t0).toBeGreaterThanOrEqual(FULL_LOOK_EVERY_MS);
    expect(h.clock.now() - t0).toBeLessThan(FULL_LOOK_EVERY_MS + 120_000);
    const tasks = h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING');
    expect(tasks.map((t) => t.tags['blox:revision'])).toEqual(['2', '2', '2', '2', '2']);
    await h.stop();
  });

  it('a launch whose task events never arrive is not launched again: the full look before giving it up finds its task', async () => {
    let lost: string | undefined;
    const h = await deployed('none', {
      // Every event of the first revision-2 task is lost: to the picture, its launch left no task.
      dropEvent: (event) => {
        const d = event.detail as { group?: string; taskArn?: string };
        if (event['detail-type'] !== 'ECS Task State Change' || !d.group?.startsWith('blox:2:')) return false;
        lost ??= d.taskArn;
        return d.taskArn === lost;
      },
    });
    const before = calls(h);
    const t0 = h.clock.now();
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => activeOn(h, 2), 3600_000);
    expect(h.faults.droppedEvents).toBeGreaterThanOrEqual(2);
    // One launch per instance: 5 StartTask calls, and no instance ever had two revision-2 tasks.
    expect(since(before, calls(h)).StartTask).toBe(5);
    const revision2 = h.world.describeTasks().filter((t) => t.tags['blox:revision'] === '2');
    expect(revision2.map((t) => t.lastStatus)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
    // Caught when the launch would be given up (60 s after it was planned), not by the 10-minute backstop.
    expect(h.clock.now() - t0).toBeGreaterThanOrEqual(60_000);
    expect(h.clock.now() - t0).toBeLessThan(FULL_LOOK_EVERY_MS);
    await h.stop();
  });
});
