/**
 * Service environments end to end on the deterministic harness: the planner moves scale between the
 * ECS task sets of one service (the EXTERNAL controller) on the simulated ECS, gated by target health
 * in the simulated target group `web` (healthy after 5 checks 30 s apart, ELB's defaults in the sim).
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../domain/environment';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';
import { Harness } from '../../local/harness';
import { MemoryObservationStore } from '../../local/memory-observation-store';
import { ObservationConflictError } from '../../functions/ports';
import { DEFAULT_SIM_SERVICES } from '../../local/sim';
import { notificationSchemas } from '../../events/notifications';
import { environmentStatus } from '../../functions/api/views';

const NAME = 'Web/Prod';
const SERVICE = 'Web-Prod';

function spec(h: Harness, config: Record<string, unknown> = {}, desiredCount = 6): EnvironmentSpec {
  return {
    Name: NAME,
    TaskDefinition: 'web:1',
    Cluster: 'default',
    DeploymentType: 'Service',
    DesiredCount: desiredCount,
    DeploymentConfiguration: { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 150, ...config },
    Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: h.services!.elbv2.targetGroupArn('web')! } },
  } as EnvironmentSpec;
}

const table = (state: EnvironmentState | undefined) => (state?.revisions ?? []).map((r) => [r.revision, displayStatus(r), r.desired, r.current]);

async function activeOn(h: Harness, revision: number): Promise<boolean> {
  const s = await h.state(NAME);
  return s?.activeRevision === revision && !s.deployment;
}

/** Tasks of the service by revision, and how many of them are healthy targets in `web`. */
async function census(h: Harness): Promise<{ running: Record<string, number>; healthy: Record<string, number>; live: number }> {
  const service = await h.world.describeService('default', SERVICE);
  const running: Record<string, number> = {};
  const healthy: Record<string, number> = {};
  let live = 0;
  const targets = (await h.services!.elbv2.describeTargetHealth({ TargetGroupArn: h.services!.elbv2.targetGroupArn('web')! })).TargetHealthDescriptions;
  for (const set of service?.taskSets ?? []) {
    const revision = set.externalId ?? '?';
    for (const task of h.world.describeTasks().filter((t) => t.startedBy === set.id)) {
      if (task.lastStatus !== 'STOPPED') live++;
      if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') continue;
      running[revision] = (running[revision] ?? 0) + 1;
      const instance = h.world.describeInstance(task.containerInstanceArn)!;
      const port = h.services!.traffic.endpointOf(task.arn)?.port;
      if (targets.some((t) => t.Target?.Id === instance.ec2InstanceId && t.Target.Port === port && t.TargetHealth?.State === 'healthy')) {
        healthy[revision] = (healthy[revision] ?? 0) + 1;
      }
    }
  }
  return { running, healthy, live };
}

async function setUp(config: Record<string, unknown> = {}, desiredCount = 6, quotas?: { targetsPerTargetGroup: number }) {
  const h = new Harness({ seed: 11, services: quotas ? { ...DEFAULT_SIM_SERVICES, quotas } : true, tickMs: 60_000 });
  h.world.addInstances({ count: 6, attributes: { stack: 'prod' } });
  await h.command({ type: 'CreateEnvironment', spec: spec(h, config, desiredCount) });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
  await h.runUntil(() => activeOn(h, 1), 900_000);
  return h;
}

describe('a Service environment on the harness', () => {
  it('the first deployment creates the service (EXTERNAL) and a task set of revision 1 at 100 %, primary: Active 6 6', async () => {
    const h = await setUp();
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 6, 6]]);
    const service = await h.world.describeService('default', SERVICE);
    expect(service).toMatchObject({ status: 'ACTIVE', deploymentController: 'EXTERNAL', desiredCount: 6 });
    expect(service!.taskSets.map((s) => [s.externalId, s.status, s.scale, s.computedDesiredCount])).toEqual([['1', 'PRIMARY', 100, 6]]);
    expect((await census(h)).healthy).toEqual({ '1': 6 });
    // The engine kept the picture of the tasks its last look saw (for the dashboard): 6 of revision 1, running, healthy
    const kept = [...((await h.observations.load(NAME))?.observation?.tasks.values() ?? [])];
    expect(kept.map((t) => [t.revision, t.lastStatus, t.health])).toEqual(Array.from({ length: 6 }, () => [1, 'RUNNING', 'HEALTHY']));
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it("a picture of the service's tasks that cannot be kept (every save refused) does not hold the deployment: Active 6 6, no reconcile failed", async () => {
    // Given an observation store that refuses every save
    const store = new MemoryObservationStore();
    let refused = 0;
    store.save = async () => {
      refused++;
      throw new ObservationConflictError('Web/Prod');
    };
    const h = new Harness({ seed: 11, services: true, tickMs: 60_000, observations: store });
    h.world.addInstances({ count: 6, attributes: { stack: 'prod' } });
    await h.command({ type: 'CreateEnvironment', spec: spec(h, {}, 6) });
    // When revision 1 is deployed
    await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 900_000);
    // Then it completes; the refusals were met, and no reconcile failed for them
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 6, 6]]);
    expect(refused).toBeGreaterThan(0);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('Rolling 1 → 2 at (100, 150): never fewer than 6 healthy targets, never more than 9 tasks; 2 primary, 1 deleted and Inactive', async () => {
    const h = await setUp();
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    let minHealthy = Infinity;
    let maxLive = 0;
    const rows = new Set<string>();
    await h.runUntil(async () => {
      const c = await census(h);
      minHealthy = Math.min(minHealthy, (c.healthy['1'] ?? 0) + (c.healthy['2'] ?? 0));
      maxLive = Math.max(maxLive, c.live);
      rows.add(JSON.stringify(table(await h.state(NAME))));
      return activeOn(h, 2);
    }, 1_800_000);
    // minReady = ceil(6 × 100 %) = 6; maxRunning = floor(6 × 150 %) = 9.
    expect(minHealthy).toBeGreaterThanOrEqual(6);
    expect(maxLive).toBeLessThanOrEqual(9);
    // The first step: the new set takes the 3 places the ceiling leaves (old 6 stays, the floor is 6).
    expect(rows).toContain(JSON.stringify([[1, 'Undeploying', 6, 6], [2, 'Deploying', 3, 0]]));
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status, r.desired, r.current])).toEqual([
      [1, 'Inactive', 0, 0],
      [2, 'Active', 6, 6],
    ]);
    const service = await h.world.describeService('default', SERVICE);
    expect(service!.taskSets.filter((s) => s.status !== 'DRAINING').map((s) => [s.externalId, s.status, s.computedDesiredCount])).toEqual([['2', 'PRIMARY', 6]]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a rollback mid-rollout: revision 1 back to its full count, 2 Reverted and its task set deleted', async () => {
    const h = await setUp();
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => ((await h.state(NAME))?.revisions.find((r) => r.revision === 2)?.current ?? 0) >= 3, 600_000);
    await h.command({ type: 'RollbackToRevision', name: NAME, revision: 1 });
    await h.runUntil(() => activeOn(h, 1), 1_800_000);
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status])).toEqual([
      [1, 'Active'],
      [2, 'Reverted'],
    ]);
    const service = await h.world.describeService('default', SERVICE);
    expect(service!.taskSets.filter((s) => s.status !== 'DRAINING').map((s) => [s.externalId, s.status, s.computedDesiredCount])).toEqual([['1', 'PRIMARY', 6]]);
    expect((await census(h)).healthy).toEqual({ '1': 6 });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a step ECS refuses (CreateTaskSet with a NetworkConfiguration the cluster cannot run): revision 2 Stuck at once with ECS’s reason; revision 1 keeps its 6 tasks', async () => {
    const h = await setUp();
    await h.command({
      type: 'UpdateEnvironment',
      name: NAME,
      baseRevision: 1,
      patch: { ...spec(h), TaskDefinition: 'web:2', Service: { ...spec(h).Service, NetworkConfiguration: { Subnets: ['subnet-0a1b'] } } },
    });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    const revision2 = async () => (await h.state(NAME))?.revisions.find((r) => r.revision === 2);
    // Stuck at once: within seconds, not after StuckAfterSeconds (300 s by default).
    const took = await h.runUntil(async () => (await revision2())?.health === 'Stuck', 30_000);
    expect(took).toBeLessThan(30_000);
    expect((await revision2())?.statusReason).toMatch(/^CreateTaskSet refused by ECS: InvalidParameterException: Network Configuration is not valid/);
    // Retried at a sane pace: over the next 10 minutes a handful of refusals, not one every 2 s.
    await h.runFor(600_000);
    const refused = (await h.eventLog.readEvents(NAME)).flatMap((e) => (e.event.type === 'ServiceUpdateRefused' ? [e.event] : []));
    // Refused at 0 s, then sent again 30 s, 60 s, 120 s and 240 s after each refusal (the next would be 300 s later: past the 10 minutes).
    expect(refused.slice(1).map((e, i) => Math.round((e.at - refused[i]!.at) / 1000))).toEqual([30, 60, 120, 240]);
    expect(refused.every((e) => e.operation === 'CreateTaskSet')).toBe(true);
    expect(new Set(refused.map((e) => e.key)).size).toBe(refused.length); // once per key
    // Failing after FailingAfterSeconds (900 s by default) — not yet; still Stuck, still saying why.
    expect(await revision2()).toMatchObject({ status: 'Deploying', health: 'Stuck', statusReason: expect.stringContaining('Network Configuration is not valid') });
    expect(table(await h.state(NAME))).toEqual([
      [1, 'Undeploying', 6, 6],
      [2, 'Stuck', 0, 0],
    ]);
    expect((await census(h)).running).toEqual({ '1': 6 });
    // describe-environment-status says why.
    const status = environmentStatus((await h.state(NAME))!);
    expect(status.Status).toBe('Stuck');
    expect(status.Revisions.find((r) => r.EnvironmentRevision === 2)).toMatchObject({ Status: 'Stuck', StatusReason: expect.stringMatching(/^CreateTaskSet refused by ECS: InvalidParameterException: Network Configuration is not valid/) });
    // Recorded, not thrown: the executor logged no error.
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a target group at its quota of targets (6 here; 1,000 by default): ECS cannot register the new tasks, so revision 2 is Stuck at once with ECS’s message; revision 1 keeps its 6', async () => {
    // D = 6 at (100, 150): the new set gets the 3 places the ceiling leaves; they run, but `web` already holds
    // its 6 targets (revision 1's), so ECS's registrations fail and they never turn healthy: no step can follow.
    const h = await setUp({}, 6, { targetsPerTargetGroup: 6 });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    const t0 = h.clock.now();
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    const revision2 = async () => (await h.state(NAME))?.revisions.find((r) => r.revision === 2);
    await h.runUntil(async () => (await revision2())?.health === 'Stuck', 300_000);
    // At once: within seconds of the tasks running (start about 2 s), not after StuckAfterSeconds (300 s).
    expect(h.clock.now() - t0).toBeLessThan(30_000);
    expect((await revision2())?.statusReason).toMatch(/^\(service Web-Prod\) failed to register targets in \(target-group arn:aws:elasticloadbalancing:[^)]+\) with \(error You've reached the limit on the number of targets\.\)$/);
    expect(await census(h)).toMatchObject({ running: { '1': 6, '2': 3 }, healthy: { '1': 6 } });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('scale-environment at rest: the service goes to 8 tasks, all healthy, Active 8 8; an outside change afterwards is recorded (Active 5 5, with the reason), not undone', async () => {
    const h = await setUp();
    await h.command({ type: 'ScaleEnvironment', name: NAME, desiredCount: 8 });
    await h.runUntil(async () => (await h.state(NAME))?.scale?.pending === false, 600_000);
    await h.runUntil(async () => (await census(h)).healthy['1'] === 8, 600_000);
    expect((await h.world.describeService('default', SERVICE))!.desiredCount).toBe(8);
    // The revision table follows the service at rest: DESIRED from scale-environment, CURRENT as the tasks run.
    await h.runUntil(async () => table(await h.state(NAME))[0]?.[3] === 8, 120_000);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 8, 8]]);
    // Application Auto Scaling sets 5: recorded from the tasks' events (or the tick), nothing sets it back.
    const before = (await h.eventLog.readEvents(NAME)).length;
    await h.world.setDesiredCount('default', SERVICE, 5);
    await h.runUntil(async () => table(await h.state(NAME))[0]?.[3] === 5, 300_000);
    await h.runFor(300_000);
    expect((await h.world.describeService('default', SERVICE))!.desiredCount).toBe(5);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 5, 5]]);
    expect((await h.state(NAME))?.scale).toEqual({ desiredCount: 5, pending: false });
    const observed = (await h.eventLog.readEvents(NAME)).slice(before).map((e) => e.event).filter((e) => e.type === 'ServiceObserved');
    // The first says why (8 → 5 set outside Blox); the CURRENT count follows as ECS stops the 3 tasks.
    expect(observed[0]).toMatchObject({ revision: 1, desiredCount: 5, reason: 'desired count 8 → 5, set outside Blox (Application Auto Scaling?): kept' });
    expect(observed.at(-1)).toMatchObject({ revision: 1, desiredCount: 5, running: 5 });
    expect(observed.filter((e) => 'reason' in e && e.reason !== undefined)).toHaveLength(1);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('scale-environment mid-deployment: 6 → 4 while rolling 1 → 2; it completes with revision 2 at 4 tasks', async () => {
    const h = await setUp();
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(async () => ((await h.state(NAME))?.revisions.find((r) => r.revision === 2)?.current ?? 0) >= 2, 600_000);
    await h.command({ type: 'ScaleEnvironment', name: NAME, desiredCount: 4 });
    await h.runUntil(() => activeOn(h, 2), 1_800_000);
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status, r.desired, r.current])).toEqual([
      [1, 'Inactive', 0, 0],
      [2, 'Active', 4, 4],
    ]);
    expect((await census(h)).healthy).toEqual({ '2': 4 });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('scale-environment is for Service environments, and needs a count from 0 to 10000', async () => {
    const h = await setUp();
    await expect(h.command({ type: 'ScaleEnvironment', name: NAME, desiredCount: 10001 })).rejects.toThrow(/DesiredCount: expected an integer from 0 to 10000/);
    await h.stop();
  });

  it('CanaryTask (seed 004): one task of revision 2 first, healthy 3 reads in a row, while revision 1 keeps its 6; then the rollout', async () => {
    const h = await setUp({ CanaryTask: { HealthyChecks: 3 } });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    let maxNewBeforePass = 0;
    let minOldBeforePass = Infinity;
    let passedAt: number | undefined;
    await h.runUntil(async () => {
      const s = await h.state(NAME);
      if (s?.engine?.canaryTask?.phase !== 'Passed' && passedAt === undefined) {
        const sets = (await h.world.describeService('default', SERVICE))!.taskSets;
        maxNewBeforePass = Math.max(maxNewBeforePass, sets.find((t) => t.externalId === '2')?.computedDesiredCount ?? 0);
        minOldBeforePass = Math.min(minOldBeforePass, sets.find((t) => t.externalId === '1')?.computedDesiredCount ?? 0);
      } else passedAt ??= h.clock.now();
      return activeOn(h, 2);
    }, 1_800_000);
    expect(passedAt).toBeDefined();
    expect(maxNewBeforePass).toBe(1);
    expect(minOldBeforePass).toBe(6);
    const checks = (await h.eventLog.readEvents(NAME)).flatMap((e) => (e.event.type === 'CanaryTaskChecked' ? [e.event.canary.phase] : []));
    expect(checks.at(-1)).toBe('Passed');
    expect(checks).toContain('Checking');
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('CanaryTask failing (its task UNHEALTHY): rolled back with nothing else touched — revision 1 at 6 throughout, 2 Reverted', async () => {
    const h = await setUp({ CanaryTask: { HealthyChecks: 3 } });
    h.world.configureTaskDefinition('web:2', { health: 'unhealthy' });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    let minOldHealthy = Infinity;
    await h.runUntil(async () => {
      minOldHealthy = Math.min(minOldHealthy, (await census(h)).healthy['1'] ?? 0);
      return activeOn(h, 1);
    }, 1_800_000);
    expect(minOldHealthy).toBe(6);
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status])).toEqual([
      [1, 'Active'],
      [2, 'Reverted'],
    ]);
    const failed = (await h.eventLog.readEvents(NAME)).find((e) => e.event.type === 'CanaryTaskFailed');
    expect(failed?.event).toMatchObject({ reason: expect.stringMatching(/^canary task/) });
    // The same trip as any trigger: RollbackTriggered → RollbackStarted naming the canary task, in one append.
    const started = (await h.eventLog.readEvents(NAME)).find((e) => e.event.type === 'RollbackStarted');
    expect(started?.event).toMatchObject({ revision: 1, reverting: [2], trigger: { kind: 'CanaryTask', reason: failed?.event.type === 'CanaryTaskFailed' ? failed.event.reason : '' } });
    expect((await h.state(NAME))?.lastDeployment).toMatchObject({ kind: 'rollback', trigger: { kind: 'CanaryTask' } });
    const details = h.notifications.map((n) => notificationSchemas().detail.parse(JSON.parse(n.Detail)));
    expect(details.find((d) => d.revision === 2 && d.status === 'Reverted')).toMatchObject({ trigger: 'CanaryTask', reason: expect.stringMatching(/^canary task/) });
    const service = await h.world.describeService('default', SERVICE);
    expect(service!.taskSets.filter((s) => s.status !== 'DRAINING').map((s) => [s.externalId, s.status, s.computedDesiredCount])).toEqual([['1', 'PRIMARY', 6]]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('web-5xx: a revision serving 20 % errors is rolled back by the alarm on its own — revision 1 at 6 again, 2 Reverted, the notification naming the trigger', async () => {
    const h = await setUp({ Alarms: { AlarmNames: ['web-5xx'] }, BakeSeconds: 600 });
    h.services!.traffic.configure('web:2', { errorRate: 0.2 });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => activeOn(h, 1), 1_800_000);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 6, 6]]);
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status])).toEqual([
      [1, 'Active'],
      [2, 'Reverted'],
    ]);
    const events = (await h.eventLog.readEvents(NAME)).map((e) => e.event);
    expect(events.find((e) => e.type === 'RollbackStarted')).toMatchObject({ revision: 1, reverting: [2], trigger: { kind: 'Alarm', reason: expect.stringMatching(/^alarm web-5xx entered ALARM at /) } });
    expect((await h.state(NAME))?.lastDeployment).toMatchObject({ kind: 'rollback', trigger: { kind: 'Alarm' } });
    const service = await h.world.describeService('default', SERVICE);
    expect(service!.taskSets.filter((s) => s.status !== 'DRAINING').map((s) => [s.externalId, s.status, s.computedDesiredCount])).toEqual([['1', 'PRIMARY', 6]]);
    expect((await census(h)).healthy).toEqual({ '1': 6 });
    const details = h.notifications.map((n) => notificationSchemas().detail.parse(JSON.parse(n.Detail)));
    expect(details.find((d) => d.revision === 2 && d.status === 'Reverted')).toMatchObject({ trigger: 'Alarm', reason: expect.stringMatching(/^alarm web-5xx entered ALARM at /) });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a revision that fails to start is rolled back by the circuit breaker: 3 of its new tasks stopped before ready', async () => {
    const h = await setUp({ CircuitBreaker: {} });
    h.world.configureTaskDefinition('web:2', { failStart: 'CannotPullContainerError: image not found' });
    await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    let minOldHealthy = Infinity;
    await h.runUntil(async () => {
      minOldHealthy = Math.min(minOldHealthy, (await census(h)).healthy['1'] ?? 0);
      return activeOn(h, 1);
    }, 1_800_000);
    // MinHealthyPercent 100: revision 1 never had fewer than its 6 healthy targets.
    expect(minOldHealthy).toBe(6);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 6, 6]]);
    expect((await h.eventLog.listRevisions(NAME)).map((r) => [r.revision, r.status])).toEqual([
      [1, 'Active'],
      [2, 'Reverted'],
    ]);
    const events = (await h.eventLog.readEvents(NAME)).map((e) => e.event);
    // D = 6: clamp(ceil(3), 3, 200) = 3.
    expect(events.find((e) => e.type === 'RollbackStarted')).toMatchObject({
      trigger: { kind: 'CircuitBreaker', reason: expect.stringMatching(/^circuit breaker: 3 of \d+ new tasks stopped before ready \(last: CannotPullContainerError: image not found\)$/) },
    });
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});
