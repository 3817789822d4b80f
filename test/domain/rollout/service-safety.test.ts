/**
 * Safety for a Service deployment (domain/rollout/service.ts through safety.ts): the watched alarms, the
 * circuit breaker over the new task set's tasks, the bake that holds the old task set, and the failed
 * canary task — each the same trip as a Daemon's (`RollbackTriggered`, or `DeploymentHalted` with
 * Rollback: false). Given the deployment (folded by the real decider), when ECS shows the task sets at a
 * time, then these events and ECS calls; every expected value is worked out by hand next to it.
 *
 * The deployment of revision 2 starts at T0 (2017-09-06T11:47:23Z); revision 1 (task set s1) was Active
 * at D = 6 tasks; Rolling at MinHealthyPercent 100, MaxPercent 150: at least ceil(6 × 1) = 6 ready, at
 * most floor(6 × 1.5) = 9 tasks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../../../domain/environment';
import { decide, fold } from '../../../domain/environment';
import { displayStatus } from '../../../domain/revision-status';
import type { AlarmReading, Observed, ObservedServiceTask, ObservedTaskSet, Plan, PlannerEvent, ServiceOperation } from '../../../domain/rollout';
import { plan } from '../../../domain/rollout';
import type { DeploymentConfiguration, EnvironmentSpec } from '../../../domain/spec';

const NAME = 'Web/Prod';
const AT = '2017-09-06T11:47:23.000Z';
const T0 = Date.parse(AT);
const S = 1000;
const D = 6;
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const ROLLING: DeploymentConfiguration = { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 150, Alarms: { AlarmNames: ['web-5xx'] } };

function spec(revision: number, configuration: DeploymentConfiguration): EnvironmentSpec {
  return {
    Name: NAME,
    TaskDefinition: `web:${revision}`,
    DeploymentType: 'Service',
    DesiredCount: D,
    DeploymentConfiguration: configuration,
    Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: TG } },
  } as EnvironmentSpec;
}

function then(state: EnvironmentState, command: EnvironmentCommand): EnvironmentState {
  return fold(decide(command, state), state)!;
}

/** Revision 1 Active, revision 2 deploying with `configuration` (the environment's state). */
function deploying(configuration: DeploymentConfiguration): EnvironmentState {
  let state = fold([
    { type: 'EnvironmentCreated', name: NAME, at: AT },
    { type: 'RevisionCreated', revision: 1, spec: spec(1, configuration), at: AT },
  ] as EnvironmentEvent[])!;
  state = then(state, { type: 'DeployRevision', name: NAME, revision: 1, at: AT });
  state = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 }], state)!;
  state = fold([{ type: 'RevisionCreated', revision: 2, spec: spec(2, configuration), basedOn: 1, at: AT }], state)!;
  return then(state, { type: 'DeployRevision', name: NAME, revision: 2, at: AT });
}

/** A task set of `revision`: `ready` ready tasks, then `notReady` RUNNING ones, then `stopped` (failed) ones. */
function taskSet(id: string, revision: number, computed: number, ready: number, options: { notReady?: number; stopped?: ObservedServiceTask[]; status?: ObservedTaskSet['status'] } = {}): ObservedTaskSet {
  const tasks: ObservedServiceTask[] = [];
  for (let i = 0; i < ready; i++) tasks.push({ arn: `${id}-r${i}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', ready: true, target: { state: 'healthy' } });
  for (let i = 0; i < (options.notReady ?? 0); i++) tasks.push({ arn: `${id}-n${i}`, lastStatus: 'PENDING', desiredStatus: 'RUNNING', ready: false });
  tasks.push(...(options.stopped ?? []));
  return { id, revision, status: options.status ?? 'ACTIVE', scale: (computed * 100) / D, computedDesiredCount: computed, tasks };
}

const failedToStart = (id: string, at: number, code = 'TaskFailedToStart', reason = 'CannotPullContainerError: image not found'): ObservedServiceTask => ({
  arn: id,
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  ready: false,
  stopCode: code,
  stoppedReason: reason,
  stoppedAt: at,
});

function observed(taskSets: ObservedTaskSet[], alarms: AlarmReading[] = []): Observed {
  return { instances: [], tasks: [], targetHealthChecked: false, alarms, service: { status: 'ACTIVE', deploymentController: 'EXTERNAL', desiredCount: D, taskSets, events: [] } };
}

const alarm = (value: AlarmReading['value'], at: number): AlarmReading => ({ name: 'web-5xx', value, at, reason: 'Threshold Crossed' });
const operations = (p: Plan): ServiceOperation[] => p.actions.flatMap((a) => (a.type === 'UpdateService' ? a.operations : []));
const types = (p: Plan) => p.events.map((e) => e.type);

/** Plans on the state, and folds what it decided (a RollbackTriggered turned into the rollback, as the engine does). */
function step(state: EnvironmentState, seen: Observed, now: number): { plan: Plan; next: EnvironmentState } {
  const p = plan(state.engine!, seen, now);
  let next = fold(p.events, state)!;
  const triggered = p.events.find((e): e is Extract<PlannerEvent, { type: 'RollbackTriggered' }> => e.type === 'RollbackTriggered');
  if (triggered) {
    const command: EnvironmentCommand = {
      type: 'RollbackToRevision',
      name: NAME,
      revision: triggered.to,
      targetSpec: spec(triggered.to, next.latestSpec.DeploymentConfiguration ?? {}),
      trigger: { kind: triggered.trigger, reason: triggered.reason },
      at: new Date(now).toISOString(),
    };
    next = then(next, command);
  }
  return { plan: p, next };
}

describe('alarms: web-5xx entering ALARM during a Service rolling deployment', () => {
  // Mid-rollout: s1 scaled to 3 (3 ready), s2 at 3 (3 ready).
  const midway = () => [taskSet('s1', 1, 3, 3, { status: 'PRIMARY' }), taskSet('s2', 2, 3, 3)];

  it('rolls back (no call in that plan), and the rollback restores s1 to its full count, then retires 2 Reverted', () => {
    const start = deploying(ROLLING);
    const tripped = step(start, observed(midway(), [alarm('ALARM', T0 + 60 * S)]), T0 + 61 * S);
    expect(tripped.plan.actions).toEqual([]);
    expect(tripped.plan.events).toContainEqual({
      type: 'RollbackTriggered',
      trigger: 'Alarm',
      // T0 + 60 s = 11:48:23
      reason: 'alarm web-5xx entered ALARM at 2017-09-06T11:48:23.000Z (Threshold Crossed)',
      to: 1,
      at: T0 + 61 * S,
    });
    let state = tripped.next;
    expect(state.deployment).toMatchObject({ kind: 'rollback', revision: 1, trigger: { kind: 'Alarm', reason: expect.stringMatching(/^alarm web-5xx entered ALARM at /) } });
    expect(state.revisions.map((r) => [r.revision, displayStatus(r)])).toEqual([
      [1, 'Deploying'],
      [2, 'Reverting'],
    ]);

    // The rollback's first step: target s1 (3 ready), old s2 (3 ready). Ready counted 3 + 3 = 6 = floor 6: no
    // budget; room 9 − 3 (s2's footprint) = 6 → s1 3 → 6 (100 %).
    let p = step(state, observed(midway()), T0 + 62 * S);
    expect(operations(p.plan)).toEqual([{ op: 'ScaleTaskSet', taskSet: 's1', scale: 100, stopTasks: [] }]);
    state = p.next;
    // s1 at 6 ready: counted 6 + 3 = 9, budget 3 → s2 3 → 0 (to 0: ECS stops all 3 itself, none named).
    p = step(state, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), taskSet('s2', 2, 3, 3)]), T0 + 92 * S);
    expect(operations(p.plan)).toEqual([{ op: 'ScaleTaskSet', taskSet: 's2', scale: 0, stopTasks: [] }]);
    state = p.next;
    // Converged on s1 (already PRIMARY): a rollback does not bake; s2 is deleted.
    p = step(state, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), taskSet('s2', 2, 0, 0)]), T0 + 100 * S);
    expect(operations(p.plan)).toEqual([{ op: 'DeleteTaskSet', taskSet: 's2' }]);
    state = p.next;
    p = step(state, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' })]), T0 + 102 * S);
    expect(p.plan.events.find((e) => e.type === 'DeploymentCompleted')).toEqual({ type: 'DeploymentCompleted', revision: 1, retired: [{ revision: 2, status: 'Reverted' }], at: T0 + 102 * S });
    expect(p.next.revisions.map((r) => [r.revision, displayStatus(r), r.desired, r.current])).toEqual([
      [1, 'Active', 6, 6],
      [2, 'Reverted', 0, 0],
    ]);
    expect(p.next.lastDeployment).toMatchObject({ kind: 'rollback', trigger: { kind: 'Alarm' } });
  });

  it('the same alarm event twice, and a late older OK, cause one rollback', () => {
    const start = deploying({ ...ROLLING, Alarms: { AlarmNames: ['web-5xx'], Rollback: false } });
    const first = step(start, observed(midway(), [alarm('ALARM', T0 + 60 * S), alarm('ALARM', T0 + 60 * S)]), T0 + 61 * S);
    expect(types(first.plan).filter((t) => t === 'DeploymentHalted')).toHaveLength(1);
    expect(types(first.plan).filter((t) => t === 'AlarmStateObserved')).toHaveLength(1);
    // Again, with an OK from before it (+30 s): nothing new on record, no second trip (and halted: nothing moves).
    const second = step(first.next, observed(midway(), [alarm('OK', T0 + 30 * S), alarm('ALARM', T0 + 60 * S)]), T0 + 62 * S);
    expect(second.plan.events).toEqual([]);
    expect(second.plan.actions).toEqual([]);
  });

  it('an alarm already in ALARM when the deployment started is shown and does not trip; the rollout goes on', () => {
    const start = deploying(ROLLING);
    // Before any new task: s1 at 6 ready, no s2. Floor 6, room 9 − 6 = 3 → a task set of web:2 at 3 of 6 (50 %).
    const p = step(start, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' })], [alarm('ALARM', T0 - 120 * S)]), T0 + S);
    expect(types(p.plan)).toContain('AlarmStateObserved');
    expect(types(p.plan)).not.toContain('RollbackTriggered');
    expect(operations(p.plan).map((o) => (o.op === 'CreateTaskSet' ? [o.op, o.scale] : [o.op]))).toEqual([['CreateTaskSet', 50]]);
  });

  it('Rollback: false halts with the reason: Stuck, nothing moves; Failing after FailingAfterSeconds', () => {
    const start = deploying({ ...ROLLING, Alarms: { AlarmNames: ['web-5xx'], Rollback: false }, FailingAfterSeconds: 900 });
    const halted = step(start, observed(midway(), [alarm('ALARM', T0 + 60 * S)]), T0 + 61 * S);
    const reason = 'alarm web-5xx entered ALARM at 2017-09-06T11:48:23.000Z (Threshold Crossed); halted (Rollback: false)';
    expect(halted.plan.events).toContainEqual({ type: 'DeploymentHalted', trigger: 'Alarm', reason, at: T0 + 61 * S });
    expect(halted.plan.actions).toEqual([]);
    expect(halted.next.deployment).toMatchObject({ kind: 'deploy', revision: 2, trigger: { kind: 'Alarm', reason } });
    expect(halted.next.revisions.find((r) => r.revision === 2)).toMatchObject({ health: 'Stuck', statusReason: reason });
    // s1 could shed 3 more now (6 ready of 2 + …), but a halted deployment moves nothing; it wakes when Failing is due.
    const later = step(halted.next, observed([taskSet('s1', 1, 3, 3, { status: 'PRIMARY' }), taskSet('s2', 2, 6, 6)]), T0 + 120 * S);
    expect(later.plan.actions).toEqual([]);
    expect(later.plan.wakeAt).toBe(T0 + 61 * S + 900 * S);
    // 900 s after the halt: Failing, still nothing moves.
    const failing = step(later.next, observed(midway()), T0 + 961 * S);
    // (The counts are shown as ECS has them: s1 and s2 at 3 each again.)
    expect(failing.plan.events.filter((e) => e.type !== 'RevisionCountsChanged')).toEqual([{ type: 'DeploymentFailing', reason, at: T0 + 961 * S }]);
    expect(failing.plan.actions).toEqual([]);
  });
});

describe('circuit breaker: new tasks of revision 2 stopping before they are ready', () => {
  // CircuitBreaker {} at D = 6: clamp(ceil(0.5 × 6), 3, 200) = 3.
  const BREAKER: DeploymentConfiguration = { Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 150, CircuitBreaker: {} };

  it('two failures are counted (the rollout goes on); the third trips: a rollback naming the last stop', () => {
    const start = deploying(BREAKER);
    const s2 = (stopped: ObservedServiceTask[], pending: number) => taskSet('s2', 2, 3, 0, { notReady: pending, stopped });
    // Not counted: a task Blox stopped (UserInitiated), and ECS's scale-in (a scheduler stop that is not a health check).
    const notCounted = [
      failedToStart('s2-u', T0 + 5 * S, 'UserInitiated', 'scale task set'),
      failedToStart('s2-s', T0 + 6 * S, 'ServiceSchedulerInitiated', 'Scaling activity initiated by (deployment ecs-svc/1)'),
    ];
    const first = step(start, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), s2([...notCounted, failedToStart('s2-f1', T0 + 10 * S), failedToStart('s2-f2', T0 + 20 * S)], 1)]), T0 + 21 * S);
    expect(first.plan.events.find((e) => e.type === 'CircuitBreakerCounted')).toMatchObject({ tasks: ['s2-f1', 's2-f2'], record: { failed: 2 } });
    expect(types(first.plan)).not.toContain('RollbackTriggered');
    // Seen again, plus a third (an essential container exiting before the target was healthy), two replacements PENDING:
    // 3 of 3 + 2 alive = "3 of 5".
    const third = failedToStart('s2-f3', T0 + 30 * S, 'EssentialContainerExited', 'Essential container in task exited');
    const second = step(first.next, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), s2([...notCounted, failedToStart('s2-f1', T0 + 10 * S), failedToStart('s2-f2', T0 + 20 * S), third], 2)]), T0 + 31 * S);
    expect(second.plan.events.find((e) => e.type === 'CircuitBreakerCounted')).toMatchObject({ tasks: ['s2-f3'], record: { failed: 3 } });
    expect(second.plan.events).toContainEqual({
      type: 'RollbackTriggered',
      trigger: 'CircuitBreaker',
      reason: 'circuit breaker: 3 of 5 new tasks stopped before ready (last: Essential container in task exited)',
      to: 1,
      at: T0 + 31 * S,
    });
    expect(second.plan.actions).toEqual([]);
    expect(second.next.deployment).toMatchObject({ kind: 'rollback', revision: 1, trigger: { kind: 'CircuitBreaker' } });
  });

  it('FailedTasks 1 with Rollback: false: the first failed ELB health check halts the deployment', () => {
    const start = deploying({ ...BREAKER, CircuitBreaker: { FailedTasks: 1, Rollback: false } });
    const elb = failedToStart('s2-e', T0 + 40 * S, 'ServiceSchedulerInitiated', 'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:…)');
    const p = step(start, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), taskSet('s2', 2, 3, 2, { stopped: [elb] })]), T0 + 41 * S);
    expect(p.plan.events).toContainEqual({
      type: 'DeploymentHalted',
      trigger: 'CircuitBreaker',
      reason: 'circuit breaker: 1 of 3 new tasks stopped before ready (last: Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:…)); halted (Rollback: false)',
      at: T0 + 41 * S,
    });
    expect(p.plan.actions).toEqual([]);
  });
});

describe('bake: BakeSeconds 600 after the new task set has everything', () => {
  const BAKE: DeploymentConfiguration = { ...ROLLING, BakeSeconds: 600, StuckAfterSeconds: 300 };
  // Converged: s2 at 6 ready, s1 (still PRIMARY) scaled to 0.
  const converged = () => [taskSet('s1', 1, 0, 0, { status: 'PRIMARY' }), taskSet('s2', 2, 6, 6)];

  it('holds the deletion of the old task set for the bake, with the alarms watched; then s2 PRIMARY and s1 deleted', () => {
    const start = deploying(BAKE);
    const baking = step(start, observed(converged()), T0 + 100 * S);
    expect(types(baking.plan)).toContain('BakeStarted');
    expect(baking.plan.actions).toEqual([]);
    expect(baking.plan.wakeAt).toBe(T0 + 700 * S); // 100 s + 600 s
    // 400 s in: more than StuckAfterSeconds (300) without progress, but baking is not Stuck; s1 still there.
    const during = step(baking.next, observed(converged()), T0 + 500 * S);
    expect(during.plan.actions).toEqual([]);
    expect(types(during.plan)).not.toContain('DeploymentStuck');
    expect(during.plan.wakeAt).toBe(T0 + 700 * S);
    // The bake is over: now the ECS calls that retire s1.
    const after = step(during.next, observed(converged()), T0 + 700 * S);
    expect(operations(after.plan)).toEqual([
      { op: 'SetPrimaryTaskSet', taskSet: 's2' },
      { op: 'DeleteTaskSet', taskSet: 's1' },
    ]);
    expect(types(after.plan)).not.toContain('DeploymentStuck');
    const done = step(after.next, observed([taskSet('s2', 2, 6, 6, { status: 'PRIMARY' })]), T0 + 702 * S);
    expect(done.plan.events.find((e) => e.type === 'DeploymentCompleted')).toMatchObject({ revision: 2, retired: [{ revision: 1, status: 'Inactive' }] });
  });

  it('an alarm during the bake rolls back: s1, never deleted, is scaled back up', () => {
    const start = deploying(BAKE);
    const baking = step(start, observed(converged()), T0 + 100 * S);
    const tripped = step(baking.next, observed(converged(), [alarm('ALARM', T0 + 300 * S)]), T0 + 301 * S);
    expect(tripped.plan.events.find((e) => e.type === 'RollbackTriggered')).toMatchObject({ trigger: 'Alarm', to: 1 });
    expect(tripped.plan.actions).toEqual([]);
    // The rollback: target s1 (0), old s2 (6 ready): counted 6, floor 6, no budget; room 9 − 6 = 3 → s1 0 → 3 (50 %).
    const back = step(tripped.next, observed(converged()), T0 + 302 * S);
    expect(operations(back.plan)).toEqual([{ op: 'ScaleTaskSet', taskSet: 's1', scale: 50, stopTasks: [] }]);
  });
});

describe('CanaryTask: a failed canary task is the same trip (trigger CanaryTask), no engine-side stand-in', () => {
  it('the canary task stopped → CanaryTaskFailed and RollbackTriggered naming it; nothing else touched', () => {
    const start = deploying({ ...ROLLING, CanaryTask: { HealthyChecks: 3 } });
    const canary: ObservedTaskSet = { ...taskSet('s2', 2, 1, 0), tasks: [failedToStart('s2-c', T0 + 20 * S, 'ServiceSchedulerInitiated', 'Task failed container health checks')] };
    const p = step(start, observed([taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), canary]), T0 + 21 * S);
    const reason = 'canary task stopped before its first healthy check (ServiceSchedulerInitiated: Task failed container health checks)';
    expect(p.plan.events.filter((e) => e.type === 'CanaryTaskFailed' || e.type === 'RollbackTriggered')).toEqual([
      { type: 'CanaryTaskFailed', reason, at: T0 + 21 * S },
      { type: 'RollbackTriggered', trigger: 'CanaryTask', reason, to: 1, at: T0 + 21 * S },
    ]);
    expect(p.plan.actions).toEqual([]);
    expect(p.next.deployment).toMatchObject({ kind: 'rollback', revision: 1, trigger: { kind: 'CanaryTask', reason } });
    expect(p.next.revisions.find((r) => r.revision === 2)).toMatchObject({ statusReason: reason });
  });
});

// ── Property: an alarm at any step ───────────────────────────────────────────────────────────────

/** A small ECS: each task set kept at ceil(D × scale / 100) tasks; tasks turn ready, and stop, at random. */
interface ModelTask {
  arn: string;
  state: 'PENDING' | 'READY' | 'STOPPING';
}
interface ModelSet {
  id: string;
  revision: number;
  status: ObservedTaskSet['status'];
  scale: number;
  tasks: ModelTask[];
}

class Ecs {
  sets: ModelSet[] = [{ id: 's1', revision: 1, status: 'PRIMARY', scale: 100, tasks: Array.from({ length: D }, (_, i) => ({ arn: `s1-t${i}`, state: 'READY' as const })) }];
  private seq = 1;

  computed = (set: ModelSet) => (set.status === 'DRAINING' ? 0 : Math.ceil((D * set.scale) / 100));

  apply(ops: ServiceOperation[], revision: number): void {
    for (const o of ops) {
      switch (o.op) {
        case 'EnsureService':
        case 'SetDesiredCount':
          break;
        case 'CreateTaskSet':
          this.sets.push({ id: `s${++this.seq}`, revision, status: 'ACTIVE', scale: o.scale, tasks: [] });
          break;
        case 'ScaleTaskSet': {
          const set = this.sets.find((s) => s.id === o.taskSet)!;
          for (const t of set.tasks) if (o.stopTasks.includes(t.arn)) t.state = 'STOPPING';
          set.scale = o.scale;
          break;
        }
        case 'SetPrimaryTaskSet':
          for (const s of this.sets) s.status = s.id === o.taskSet ? 'PRIMARY' : s.status === 'PRIMARY' ? 'ACTIVE' : s.status;
          break;
        case 'DeleteTaskSet': {
          const set = this.sets.find((s) => s.id === o.taskSet)!;
          set.status = 'DRAINING';
          for (const t of set.tasks) t.state = 'STOPPING';
          break;
        }
        case 'DeleteService':
          throw new Error('a deployment never deletes the service (delete-environment does)');
        case 'SetWeights':
          throw new Error('a Rolling deployment moves no traffic');
        default: {
          const never: never = o;
          throw new Error(`unexpected ${JSON.stringify(never)}`);
        }
      }
    }
  }

  tick(pick: () => boolean): void {
    for (const set of this.sets) {
      set.tasks = set.tasks.filter((t) => !(t.state === 'STOPPING' && pick()));
      for (const t of set.tasks) if (t.state === 'PENDING' && pick()) t.state = 'READY';
      const live = set.tasks.filter((t) => t.state !== 'STOPPING');
      for (const t of live.slice(this.computed(set))) t.state = 'STOPPING';
      for (let i = live.length; i < this.computed(set); i++) set.tasks.push({ arn: `${set.id}-t${++this.seq}`, state: 'PENDING' });
    }
    this.sets = this.sets.filter((s) => !(s.status === 'DRAINING' && s.tasks.length === 0));
  }

  observed(alarms: AlarmReading[]): Observed {
    return observed(
      this.sets.map((s) => ({
        id: s.id,
        revision: s.revision,
        status: s.status,
        scale: s.scale,
        computedDesiredCount: this.computed(s),
        tasks: s.tasks.map((t) => ({
          arn: t.arn,
          lastStatus: t.state === 'PENDING' ? 'PENDING' : 'RUNNING',
          desiredStatus: t.state === 'STOPPING' ? 'STOPPED' : 'RUNNING',
          ready: t.state === 'READY',
        })),
      })),
      alarms,
    );
  }
}

describe('property: web-5xx entering ALARM at any step of the deployment or its bake', () => {
  it('ends with revision 1 at its full count (6 ready, its task set alone and PRIMARY) and revision 2 Reverted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.infiniteStream(fc.boolean()), (alarmStep, coins) => {
        const it = coins[Symbol.iterator]();
        const pick = () => it.next().value as boolean;
        const ecs = new Ecs();
        let state = deploying({ ...ROLLING, BakeSeconds: 120 });
        let tripped = false;
        for (let n = 0; n < 400; n++) {
          const now = T0 + (n + 1) * 10 * S;
          // The alarm entered ALARM just before this step (if the deployment is still on, or baking).
          const alarms = n === alarmStep ? [alarm('ALARM', now - S)] : [];
          const revision = state.engine?.revision ?? 0;
          const { plan: p, next } = step(state, ecs.observed(alarms), now);
          if (p.events.some((e) => e.type === 'RollbackTriggered')) tripped = true;
          ecs.apply(operations(p), revision);
          state = next;
          if (!state.deployment) break;
          ecs.tick(pick);
        }
        expect(state.deployment).toBeUndefined();
        if (!tripped) {
          // The alarm came after the bake had ended: the deployment had completed.
          expect(state.activeRevision).toBe(2);
          return;
        }
        expect(state.activeRevision).toBe(1);
        expect(state.revisions.map((r) => [r.revision, displayStatus(r)])).toEqual([
          [1, 'Active'],
          [2, 'Reverted'],
        ]);
        const live = ecs.sets.filter((s) => s.status !== 'DRAINING');
        expect(live.map((s) => [s.revision, s.status, ecs.computed(s)])).toEqual([[1, 'PRIMARY', D]]);
        expect(live[0]!.tasks.filter((t) => t.state === 'READY')).toHaveLength(D);
      }),
      { numRuns: 200 },
    );
  });
});
