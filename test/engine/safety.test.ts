/**
 * Safety end to end on the deterministic harness (the simulated cluster, load balancer and CloudWatch;
 * the engine's Lambda handlers on the in-process queues; AWS latencies; a virtual clock): a Daemon
 * rolled back by its alarm after its canary, by the circuit breaker; duplicate and reordered alarm
 * events cause one rollback; a lost alarm event is caught by the tick's DescribeAlarms; and the
 * property: an alarm entering ALARM at any step of a deployment or its bake ends with the old revision
 * at its full count and the new one Reverted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent, EnvironmentState } from '../../domain/environment';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';
import type { HarnessOptions } from '../../local/harness';
import { Harness } from '../../local/harness';
import { notificationSchemas } from '../../events/notifications';
import { environmentDescription } from '../../functions/api/views';
import { DEFAULT_SIM_SERVICES } from '../../local/sim';

const NAME = 'Fleet/Logs';
const spec = (config: Record<string, unknown> = {}): EnvironmentSpec =>
  ({
    Name: NAME,
    TaskDefinition: 'log-daemon:1',
    Cluster: 'default',
    InstanceGroup: { Query: 'attribute:stack == prod' },
    DeploymentType: 'Daemon',
    DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 80, Alarms: { AlarmNames: ['daemon-errors'] }, ...config },
  }) as EnvironmentSpec;

const table = (state: EnvironmentState | undefined) => (state?.revisions ?? []).map((r) => [r.revision, displayStatus(r), r.desired, r.current]);

async function settled(h: Harness): Promise<boolean> {
  const s = await h.state(NAME);
  return s !== undefined && s.deployment === undefined && s.activeRevision !== undefined;
}

/** Revision 1 Active on 5 instances, revision 2 (log-daemon:2) created with `config`. */
async function setUp(config: Record<string, unknown> = {}, options: HarnessOptions = {}) {
  const h = new Harness({ seed: 11, services: DEFAULT_SIM_SERVICES, ...options });
  h.world.addInstances({ count: 5, attributes: { stack: 'prod' } });
  await h.command({ type: 'CreateEnvironment', spec: spec(config) });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
  await h.runUntil(() => settled(h), 30 * 60_000); // the first deployment bakes too
  await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: { TaskDefinition: 'log-daemon:2' } });
  return h;
}

async function logged(h: Harness, type: EnvironmentEvent['type']): Promise<EnvironmentEvent[]> {
  return (await h.eventLog.readEvents(NAME)).map((e) => e.event).filter((e) => e.type === type);
}

/** Rolled back: revision 1 Active on all 5 again, revision 2 Reverted. */
async function rolledBack(h: Harness): Promise<boolean> {
  const s = await h.state(NAME);
  return s !== undefined && !s.deployment && s.activeRevision === 1;
}

describe('safety on the harness', () => {
  it('a Daemon with Canary and daemon-errors, deploying a revision that serves errors: only the canary instance is touched, then it rolls back on its own', async () => {
    const h = await setUp({ Canary: { Instances: 1, BakeSeconds: 600 } });
    h.services!.traffic.configure('log-daemon:2', { errorRate: 0.2 });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    let mostOnTwo = 0;
    const described: Array<ReturnType<typeof environmentDescription>> = [];
    await h.runUntil(async () => {
      mostOnTwo = Math.max(mostOnTwo, h.world.describeTasks().filter((t) => t.taskDefinitionArn.endsWith('log-daemon:2') && t.lastStatus !== 'STOPPED').length);
      const s = await h.state(NAME);
      if (s) described.push(environmentDescription(s));
      return rolledBack(h);
    }, 15 * 60_000);
    expect(mostOnTwo).toBe(1);
    // describe-environment: the deployment of 2 showed its phases and the alarm's state; the rollback, its trigger and reason.
    const deploying = described.map((d) => d.Deployment).filter((d) => d?.Revision === 2);
    expect([...new Set(deploying.map((d) => d?.Phase))]).toEqual(['Canary', 'CanaryBaking']);
    expect(deploying.at(-1)?.Alarms).toEqual([{ AlarmName: 'daemon-errors', State: 'OK', Since: expect.any(String), Reason: expect.any(String) }]);
    expect(deploying.at(-1)?.Trigger).toBe('User');
    const rolling = described.map((d) => d.Deployment).find((d) => d?.Kind === 'rollback');
    expect(rolling).toMatchObject({ Revision: 1, Trigger: 'Alarm', Reason: expect.stringMatching(/^alarm daemon-errors entered ALARM at /) });
    expect(described.at(-1)?.LastDeployment).toMatchObject({ Revision: 1, Kind: 'rollback', Trigger: 'Alarm', Reason: rolling?.Reason });
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 5, 5]]);
    const [rollback] = await logged(h, 'RollbackStarted');
    expect(rollback).toMatchObject({ type: 'RollbackStarted', revision: 1, reverting: [2], trigger: { kind: 'Alarm', reason: expect.stringMatching(/^alarm daemon-errors entered ALARM at \d{4}-.*Z \(Threshold Crossed/) } });
    const row = await h.eventLog.getRevision(NAME, 2);
    expect(row?.status).toBe('Reverted');
    expect(row?.statusReason).toMatch(/^alarm daemon-errors entered ALARM at /);
    // The notification of the abandoned revision names the trigger.
    const details = h.notifications.map((n) => notificationSchemas().detail.parse(JSON.parse(n.Detail)));
    const reverting = details.find((d) => d.revision === 2 && d.status === 'Reverting');
    expect(reverting).toMatchObject({ trigger: 'Alarm', reason: expect.stringMatching(/^alarm daemon-errors entered ALARM at /) });
    expect(details.find((d) => d.revision === 2 && d.status === 'Reverted')).toMatchObject({ trigger: 'Alarm', reason: reverting?.reason });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a revision that fails to start is rolled back by the circuit breaker: 3 of 3 new tasks stopped before ready', async () => {
    const h = await setUp({ Alarms: undefined, MinHealthyPercent: 40, CircuitBreaker: {} });
    h.world.configureTaskDefinition('log-daemon:2', { failStart: 'CannotPullContainerError: image not found' });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runUntil(() => rolledBack(h), 15 * 60_000);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 5, 5]]);
    const [rollback] = await logged(h, 'RollbackStarted');
    // N = 5 → clamp(ceil(2.5), 3, 200) = 3.
    expect(rollback).toMatchObject({ trigger: { kind: 'CircuitBreaker', reason: expect.stringMatching(/^circuit breaker: 3 of 3 new tasks stopped before ready \(last: CannotPullContainerError: image not found\)$/) } });
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('duplicate and reordered alarm events: one rollback', async () => {
    // Every alarm event is delivered again 20 s later, under another id (after the ones that followed it).
    const h = await setUp({ BakeSeconds: 600 }, { duplicateAlarmEvents: { delayMs: 20_000 } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runFor(5_000);
    const cw = h.services!.cloudwatch;
    await cw.setAlarmState({ AlarmName: 'daemon-errors', StateValue: 'ALARM', StateReason: 'set by the test' });
    await h.runFor(2_000);
    await cw.setAlarmState({ AlarmName: 'daemon-errors', StateValue: 'OK', StateReason: 'set by the test' });
    await h.runUntil(() => rolledBack(h), 10 * 60_000);
    await h.runFor(60_000); // every duplicate delivered
    expect(h.alarmFaults.duplicated).toBeGreaterThanOrEqual(2);
    expect(await logged(h, 'RollbackTriggered')).toHaveLength(1);
    expect(await logged(h, 'RollbackStarted')).toHaveLength(1);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 5, 5]]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('Rollback: false, with a late duplicate of the ALARM event after the OK: one halt, and the alarm shown OK (the newer state)', async () => {
    const h = await setUp({ Alarms: { AlarmNames: ['daemon-errors'], Rollback: false } }, { duplicateAlarmEvents: { delayMs: 20_000 } });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runFor(5_000);
    const cw = h.services!.cloudwatch;
    await cw.setAlarmState({ AlarmName: 'daemon-errors', StateValue: 'ALARM', StateReason: 'set by the test' });
    await h.runFor(2_000);
    await cw.setAlarmState({ AlarmName: 'daemon-errors', StateValue: 'OK', StateReason: 'set by the test' });
    await h.runFor(40_000); // both duplicates delivered, the ALARM one after the OK
    expect(h.alarmFaults.duplicated).toBe(2);
    expect(await logged(h, 'DeploymentHalted')).toHaveLength(1);
    const s = await h.state(NAME);
    expect(s?.engine?.alarms?.['daemon-errors']?.value).toBe('OK');
    expect(displayStatus(s!.revisions.find((r) => r.revision === 2)!)).toBe('Stuck');
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('a lost alarm event: the tick\'s DescribeAlarms rolls back within a minute of it', async () => {
    const h = await setUp({ BakeSeconds: 900 }, { dropAlarmEvent: () => true });
    await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
    await h.runFor(5_000);
    h.services!.traffic.configure('log-daemon:2', { errorRate: 0.5 });
    let enteredAt: number | undefined;
    await h.runUntil(async () => {
      if (enteredAt === undefined) {
        const { MetricAlarms } = await h.services!.cloudwatch.describeAlarms({ AlarmNames: ['daemon-errors'] });
        if (MetricAlarms[0]?.StateValue === 'ALARM') enteredAt = MetricAlarms[0].StateTransitionedTimestamp.getTime();
      }
      return (await logged(h, 'RollbackStarted')).length > 0;
    }, 15 * 60_000);
    expect(h.alarmFaults.dropped).toBeGreaterThan(0);
    expect(enteredAt).toBeDefined();
    // The tick comes every 60 s: the rollback starts within one tick (plus its latencies) of the entry.
    expect(h.clock.now() - enteredAt!).toBeLessThanOrEqual(61_000);
    await h.runUntil(() => rolledBack(h), 10 * 60_000);
    expect(table(await h.state(NAME))).toEqual([[1, 'Active', 5, 5]]);
    await h.stop();
  });

  it('property: an alarm entering ALARM at any step of the deployment or its bake ends with revision 1 on all 5 instances and revision 2 Reverted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 240_000 }), fc.constantFrom('Replace', 'Surge'), async (delayMs, method) => {
        const h = await setUp({ Method: method, BakeSeconds: 300 });
        await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
        await h.runFor(delayMs);
        await h.services!.cloudwatch.setAlarmState({ AlarmName: 'daemon-errors', StateValue: 'ALARM', StateReason: 'set by the test' });
        await h.runUntil(() => rolledBack(h), 15 * 60_000);
        const s = await h.state(NAME);
        expect(table(s)).toEqual([[1, 'Active', 5, 5]]);
        expect((await h.eventLog.getRevision(NAME, 2))?.status).toBe('Reverted');
        expect(h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING' && t.taskDefinitionArn.endsWith('log-daemon:1'))).toHaveLength(5);
        expect(await logged(h, 'RollbackStarted')).toHaveLength(1);
        await h.stop();
      }),
      { numRuns: 6, seed: 42 },
    );
  });
});
