/**
 * The Service rollout (domain/rollout/service.ts): given the deployment (folded by the real decider)
 * and what ECS shows of the service, when the planner plans, then these ECS calls — the expected
 * values worked out by hand from MinHealthyPercent (rounded up) and MaxPercent (rounded down). Then a
 * property over a small model of ECS (task sets kept at ceil(D × scale / 100) tasks, tasks turning
 * ready and stopping at random): never fewer ready tasks than the floor, never more tasks than the
 * ceiling, and the deployment completes with the new task set PRIMARY and nothing else left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../../../domain/environment';
import { decide, fold } from '../../../domain/environment';
import type { Observed, ObservedServiceTask, ObservedTaskSet, Plan, PlannerState, ServiceOperation } from '../../../domain/rollout';
import { observeAtRest, plan, rollingLimits, scalePercent } from '../../../domain/rollout';
import type { DeploymentConfiguration, EnvironmentSpec } from '../../../domain/spec';

const NAME = 'Web/Prod';
const AT = '2017-09-06T11:47:23.000Z';
const T0 = Date.parse(AT);

function spec(revision: number, desiredCount: number, configuration: DeploymentConfiguration): EnvironmentSpec {
  return { Name: NAME, TaskDefinition: `web:${revision}`, DeploymentType: 'Service', DesiredCount: desiredCount, DeploymentConfiguration: { Method: 'Rolling', ...configuration } };
}

/** Revision 1 Active (unless `first`), revision 2 deploying. */
function deploying(desiredCount: number, configuration: DeploymentConfiguration, first = false): PlannerState {
  return deployingEnvironment(desiredCount, configuration, first).engine!;
}

/** The same, the whole environment (to fold what the engine records into it). */
function deployingEnvironment(desiredCount: number, configuration: DeploymentConfiguration, first = false): EnvironmentState {
  const events: EnvironmentEvent[] = [
    { type: 'EnvironmentCreated', name: NAME, at: AT },
    { type: 'RevisionCreated', revision: 1, spec: spec(1, desiredCount, configuration), at: AT },
  ];
  let state = fold(events)!;
  if (!first) {
    state = then(state, { type: 'DeployRevision', name: NAME, revision: 1, at: AT });
    state = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 }], state)!;
    state = fold([{ type: 'RevisionCreated', revision: 2, spec: spec(2, desiredCount, configuration), basedOn: 1, at: AT }], state)!;
    state = then(state, { type: 'DeployRevision', name: NAME, revision: 2, at: AT });
  } else {
    state = then(state, { type: 'DeployRevision', name: NAME, revision: 1, at: AT });
  }
  return state;
}

function then(state: EnvironmentState, command: EnvironmentCommand): EnvironmentState {
  return fold(decide(command, state), state)!;
}

/** A task set of `revision` with `ready` ready tasks and `notReady` RUNNING ones not ready yet. */
function taskSet(id: string, revision: number, computed: number, ready: number, options: { notReady?: number; status?: ObservedTaskSet['status']; D?: number } = {}): ObservedTaskSet {
  const tasks: ObservedServiceTask[] = [];
  for (let i = 0; i < ready; i++) tasks.push({ arn: `${id}-r${i}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', ready: true });
  for (let i = 0; i < (options.notReady ?? 0); i++) tasks.push({ arn: `${id}-n${i}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', ready: false });
  return { id, revision, status: options.status ?? 'ACTIVE', scale: options.D ? (computed * 100) / options.D : 100, computedDesiredCount: computed, tasks };
}

function observed(desiredCount: number, taskSets: ObservedTaskSet[], exists = true): Observed {
  return { instances: [], tasks: [], targetHealthChecked: false, service: exists ? { status: 'ACTIVE', deploymentController: 'EXTERNAL', desiredCount, taskSets, events: [] } : { status: 'MISSING', desiredCount: 0, taskSets: [], events: [] } };
}

const operations = (p: Plan): ServiceOperation[] => p.actions.flatMap((a) => (a.type === 'UpdateService' ? a.operations : []));
const withoutTokens = (ops: ServiceOperation[]) => ops.map((o) => (o.op === 'CreateTaskSet' ? { ...o, clientToken: '…' } : o));

describe('scalePercent: the percentage whose ceil(D × p / 100) is the tasks wanted', () => {
  it.each([
    [0, 1, 0],
    [1, 1, 100],
    [1, 2, 50],
    [1, 3, 33.3333], // 3 × 33.3333 % = 0.999999 → ceil 1
    [2, 3, 66.6666], // 1.999998 → 2
    [3, 10, 30],
    [1, 7, 14.2857],
    [1, 1000, 0.1],
    [999, 1000, 99.9],
    [1, 10000, 0.01],
    [0, 0, 0],
  ])('%i of %i → %d %%', (tasks, D, percent) => {
    expect(scalePercent(tasks, D)).toBe(percent);
    if (D > 0) expect(Math.ceil((D * percent) / 100)).toBe(tasks);
  });

  it('property: for every D up to 10,000 and every count, ECS computes exactly that count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }).chain((D) => fc.tuple(fc.constant(D), fc.integer({ min: 0, max: D }))), ([D, tasks]) => {
        expect(Math.ceil((D * scalePercent(tasks, D)) / 100)).toBe(tasks);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('planService: the first step of a rollout, old set at D ready tasks (MinHealthyPercent up, MaxPercent down)', () => {
  it.each<[string, number, DeploymentConfiguration, ServiceOperation[]]>([
    // minReady ceil(1 × 100 %) = 1, maxRunning floor(1 × 200 %) = 2: the new task next to the old one.
    ['D = 1 at (100, 200)', 1, { MinHealthyPercent: 100, MaxPercent: 200 }, [{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 100, clientToken: '…' }]],
    // minReady 1 (ceil 0.5), maxRunning 1: fencepost — rounding leaves no room, MinHealthyPercent < 100 opens one: minReady 0.
    // Old 1 → 0: a task set at scale 0 keeps no task, ECS stops it (none named).
    ['D = 1 at (50, 100)', 1, { MinHealthyPercent: 50, MaxPercent: 100 }, [{ op: 'ScaleTaskSet', taskSet: 's1', scale: 0, stopTasks: [] }]],
    // minReady 2, maxRunning floor(3) = 3: room for 1 new task (50 % of 2).
    ['D = 2 at (100, 150)', 2, { MinHealthyPercent: 100, MaxPercent: 150 }, [{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 50, clientToken: '…' }]],
    // minReady 3, maxRunning floor(4.5) = 4: room for 1 (33.3333 % of 3).
    ['D = 3 at (100, 150)', 3, { MinHealthyPercent: 100, MaxPercent: 150 }, [{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 33.3333, clientToken: '…' }]],
    // minReady ceil(2.7) = 3 = D, maxRunning floor(3.3) = 3 = D: fencepost on the surge side → 4: one new task.
    ['D = 3 at (90, 110)', 3, { MinHealthyPercent: 90, MaxPercent: 110 }, [{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 33.3333, clientToken: '…' }]],
    // minReady 9, maxRunning 11: old 10 → 9 (one ready task named, the newest), room 11 − 10 = 1 → new 1 (10 %).
    [
      'D = 10 at (90, 110)',
      10,
      { MinHealthyPercent: 90, MaxPercent: 110 },
      [
        { op: 'ScaleTaskSet', taskSet: 's1', scale: 90, stopTasks: ['s1-r9'] },
        { op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 10, clientToken: '…' },
      ],
    ],
    // minReady 5, maxRunning 10: old 10 → 5 (5 ready tasks named); the 5 stopping hold their place: no new task yet.
    ['D = 10 at (50, 100)', 10, { MinHealthyPercent: 50, MaxPercent: 100 }, [{ op: 'ScaleTaskSet', taskSet: 's1', scale: 50, stopTasks: ['s1-r9', 's1-r8', 's1-r7', 's1-r6', 's1-r5'] }]],
    // minReady 1000, maxRunning 1100: 100 new tasks (10 %).
    ['D = 1000 at (100, 110)', 1000, { MinHealthyPercent: 100, MaxPercent: 110 }, [{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 10, clientToken: '…' }]],
    // minReady 500, maxRunning 1500: old 1000 → 500, room 1500 − 1000 = 500 → new 500 (50 %). The 500 stops are
    // more than one action makes (MAX_SERVICE_STOPS 100): this step stops the 100 newest, old 1000 → 900 (90 %).
    [
      'D = 1000 at (50, 150)',
      1000,
      { MinHealthyPercent: 50, MaxPercent: 150 },
      [
        { op: 'ScaleTaskSet', taskSet: 's1', scale: 90, stopTasks: Array.from({ length: 100 }, (_, i) => `s1-r${999 - i}`) },
        { op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 50, clientToken: '…' },
      ],
    ],
  ])('%s', (_label, D, configuration, expected) => {
    const state = deploying(D, configuration);
    const p = plan(state, observed(D, [taskSet('s1', 1, D, D, { status: 'PRIMARY' })]), T0 + 1000);
    expect(withoutTokens(operations(p))).toEqual(expected);
  });

  it('the first deployment: no service yet → EnsureService with the spec’s DesiredCount, then a task set at 100 %', () => {
    const state = deploying(6, { MinHealthyPercent: 100, MaxPercent: 150 }, true);
    const p = plan(state, observed(0, [], false), T0 + 1000);
    expect(withoutTokens(operations(p))).toEqual([
      { op: 'EnsureService', desiredCount: 6 },
      { op: 'CreateTaskSet', taskDefinition: 'web:1', scale: 100, clientToken: '…' },
    ]);
    expect(p.actions[0]).toMatchObject({ type: 'UpdateService', service: { name: 'Web-Prod', desiredCount: 6 }, revision: 1 });
  });

  it('old tasks not ready go first, for free: D = 4 at (100, 200), old 4 of which 1 is not ready → it is the one named', () => {
    const state = deploying(4, { MinHealthyPercent: 100, MaxPercent: 200 });
    const p = plan(state, observed(4, [taskSet('s1', 1, 4, 3, { notReady: 1, status: 'PRIMARY' }), taskSet('s2', 2, 0, 0)]), T0 + 1000);
    // Old: 4 → 3 (the unready one), budget 3 − 4 < 0: no ready one. New: room 8 − 4 (the stopping task holds its place) = 4 → 4.
    expect(operations(p)).toEqual([
      { op: 'ScaleTaskSet', taskSet: 's1', scale: 75, stopTasks: ['s1-n0'] },
      { op: 'ScaleTaskSet', taskSet: 's2', scale: 100, stopTasks: [] },
    ]);
  });
});

describe('planService: large scale-downs (an action makes at most MAX_SERVICE_STOPS = 100 StopTask calls)', () => {
  it('D = 1000 at (100, 200), new set 1000 ready, old 1000 ready: old → 0 in one UpdateTaskSet, no StopTask (ECS stops them all itself)', () => {
    const state = deploying(1000, { MinHealthyPercent: 100, MaxPercent: 200 });
    const p = plan(state, observed(1000, [taskSet('s1', 1, 1000, 1000, { status: 'PRIMARY' }), taskSet('s2', 2, 1000, 1000)]), T0 + 1000);
    // Counted 1000 + 1000 = 2000, budget 2000 − 1000 = 1000 → old 1000 → 0; new already at D.
    expect(operations(p)).toEqual([{ op: 'ScaleTaskSet', taskSet: 's1', scale: 0, stopTasks: [] }]);
  });

  it('D = 300 at (50, 100), old 300 ready: the budget (150) is more than an action stops → the 100 newest now, old 300 → 200 (66.6666 %)', () => {
    const state = deploying(300, { MinHealthyPercent: 50, MaxPercent: 100 });
    const p = plan(state, observed(300, [taskSet('s1', 1, 300, 300, { status: 'PRIMARY' })]), T0 + 1000);
    // minReady 150, maxRunning 300: budget 300 − 150 = 150 → old 300 → 150, capped at 100 stops → 200; room 300 − 300 = 0: no new set.
    expect(operations(p)).toEqual([{ op: 'ScaleTaskSet', taskSet: 's1', scale: 66.6666, stopTasks: Array.from({ length: 100 }, (_, i) => `s1-r${299 - i}`) }]);
  });

  it('then, those 100 stopping: the other 50 the budget allows (old 200 → 150, 50 %), still no room for the new set', () => {
    const state = deploying(300, { MinHealthyPercent: 50, MaxPercent: 100 });
    const s1 = taskSet('s1', 1, 200, 200, { status: 'PRIMARY', D: 300 });
    for (let i = 200; i < 300; i++) s1.tasks.push({ arn: `s1-x${i}`, lastStatus: 'RUNNING', desiredStatus: 'STOPPED', ready: false });
    const p = plan(state, observed(300, [s1]), T0 + 3000);
    // Ready 200, budget 200 − 150 = 50 → 150 (50 stops); room 300 − (max(150, 200) + 100 stopping) = 0.
    expect(operations(p)).toEqual([{ op: 'ScaleTaskSet', taskSet: 's1', scale: 50, stopTasks: Array.from({ length: 50 }, (_, i) => `s1-r${199 - i}`) }]);
  });
});

describe('planService: scale-environment mid-deployment (the arithmetic follows the service’s desired count)', () => {
  it('D 4 → 8 at (100, 200): new set at 50 % (4 of 8, 2 running ready), old at 100 % (8 of 8, 4 running ready)', () => {
    const state = deploying(4, { MinHealthyPercent: 100, MaxPercent: 200 });
    const p = plan(state, observed(8, [taskSet('s1', 1, 8, 4, { D: 8, status: 'PRIMARY' }), taskSet('s2', 2, 4, 2, { D: 8 })]), T0 + 1000);
    // Old: scale min(8, 4 ready) = 4 (the 4 unplaced dropped for free); counted 2 + 4 = 6 < minReady 8: no budget.
    // New: room 16 − 4 = 12 ≥ 8 → 8 (100 %).
    expect(operations(p)).toEqual([
      { op: 'ScaleTaskSet', taskSet: 's1', scale: 50, stopTasks: [] },
      { op: 'ScaleTaskSet', taskSet: 's2', scale: 100, stopTasks: [] },
    ]);
  });
});

describe('planService: completion', () => {
  const state = deploying(4, { MinHealthyPercent: 100, MaxPercent: 200 });

  it('the new set at D ready, the old one empty: the new one becomes PRIMARY and the old one is deleted; not done yet', () => {
    const p = plan(state, observed(4, [taskSet('s1', 1, 0, 0, { status: 'PRIMARY' }), taskSet('s2', 2, 4, 4)]), T0 + 1000);
    expect(operations(p)).toEqual([
      { op: 'SetPrimaryTaskSet', taskSet: 's2' },
      { op: 'DeleteTaskSet', taskSet: 's1' },
    ]);
    expect(p.events.map((e) => e.type)).not.toContain('DeploymentCompleted');
  });

  it('then: the new set PRIMARY, nothing else left → DeploymentCompleted, revision 1 Inactive; no action', () => {
    const p = plan(state, observed(4, [taskSet('s2', 2, 4, 4, { status: 'PRIMARY' })]), T0 + 1000);
    expect(p.actions).toEqual([]);
    expect(p.events.find((e) => e.type === 'DeploymentCompleted')).toMatchObject({ revision: 2, retired: [{ revision: 1, status: 'Inactive' }] });
  });

  it('counts: DESIRED is what ECS keeps for the revision’s task set now, CURRENT its RUNNING tasks', () => {
    const p = plan(state, observed(4, [taskSet('s1', 1, 4, 4, { status: 'PRIMARY' }), taskSet('s2', 2, 2, 1, { notReady: 1, D: 4 })]), T0 + 1000);
    expect(p.events.find((e) => e.type === 'RevisionCountsChanged')).toMatchObject({
      counts: [
        { revision: 1, desired: 4, current: 4 },
        { revision: 2, desired: 2, current: 2 },
      ],
    });
  });

  it('D = 3 at (100, 100): no room at all → Stuck at once, with the reason', () => {
    const stuck = deploying(3, { MinHealthyPercent: 100, MaxPercent: 100 });
    const p = plan(stuck, observed(3, [taskSet('s1', 1, 3, 3, { status: 'PRIMARY' })]), T0 + 1000);
    expect(p.actions).toEqual([]);
    expect(p.events.find((e) => e.type === 'DeploymentStuck')).toMatchObject({ reason: expect.stringMatching(/^MinHealthyPercent 100 and MaxPercent 100 leave no room/) });
  });
});

describe('planService: ECS could not register the new tasks in the target group (its quota of targets)', () => {
  // D = 4 at (100, 200): old s1 at 4 ready, new s2 at 4 RUNNING but never registered (ECS's service events say
  // why), so none ready. planRolling: old budget 4 − 4 = 0, room 8 − 4 − 4 = 0: Wait ("4 not ready").
  const FAILED = "(service Web-Prod) failed to register targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef) with (error You've reached the limit on the number of targets.)";
  const REGISTERED = '(service Web-Prod) registered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef)';
  const stalled = (events: string[]): Observed => {
    const o = observed(4, [taskSet('s1', 1, 4, 4, { status: 'PRIMARY' }), taskSet('s2', 2, 4, 0, { notReady: 4 })]);
    return { ...o, service: { ...o.service!, events } };
  };
  // The last plan already saw this picture (ready 0 of the new set, 4 old tasks): nothing has moved since.
  const seen = fold([{ type: 'DeploymentProgressed', ready: 0, old: 4, at: T0 + 1000 }], deployingEnvironment(4, { MinHealthyPercent: 100, MaxPercent: 200 }))!.engine!;

  it('the latest registration failed → Stuck at once (not after StuckAfterSeconds, 300 s), with ECS’s message; nothing to call', () => {
    const p = plan(seen, stalled([FAILED, FAILED, REGISTERED]), T0 + 3000);
    expect(p.actions).toEqual([]);
    expect(p.events.filter((e) => e.type === 'DeploymentStuck')).toEqual([{ type: 'DeploymentStuck', reason: FAILED, at: T0 + 3000 }]);
  });

  it('a registration that went through since (newest first) → only waiting, not Stuck', () => {
    const p = plan(seen, stalled([REGISTERED, FAILED]), T0 + 3000);
    expect(p.events.map((e) => e.type)).not.toContain('DeploymentStuck');
  });

  it('no registration failure at all → waiting, not Stuck (before StuckAfterSeconds)', () => {
    const p = plan(seen, stalled([]), T0 + 3000);
    expect(p.events.map((e) => e.type)).not.toContain('DeploymentStuck');
  });
});

describe('planService: a step ECS refused (the executor’s ServiceUpdateRefused)', () => {
  // D = 6 at (100, 150), old set s1 at 6 ready, no set of revision 2 yet: room floor(9) − 6 = 3 → CreateTaskSet web:2 at 50 %.
  const configuration: DeploymentConfiguration = { MinHealthyPercent: 100, MaxPercent: 150, StuckAfterSeconds: 600, FailingAfterSeconds: 300 };
  const before = observed(6, [taskSet('s1', 1, 6, 6, { status: 'PRIMARY' })]);
  const ECS_SAYS = 'InvalidParameterException: Network Configuration is not valid for the given networkMode of this task definition.';
  const REASON = `CreateTaskSet refused by ECS: ${ECS_SAYS}`;
  const revision2 = (state: EnvironmentState) => state.revisions.find((r) => r.revision === 2);

  /** Given the first step sent at T0 + 1 s and refused at T0 + 1.5 s. */
  function refusedOnce() {
    const start = deployingEnvironment(6, configuration);
    const first = plan(start.engine!, before, T0 + 1000);
    expect(withoutTokens(operations(first))).toEqual([{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 50, clientToken: '…' }]);
    const key = first.actions[0]!.key;
    const refused = fold([...first.events, { type: 'ServiceUpdateRefused', key, operation: 'CreateTaskSet', reason: ECS_SAYS, at: T0 + 1500 }], start)!;
    return { key, refused };
  }

  it('the next plan turns the deployment Stuck at once, with ECS’s reason; the step is held, not sent again, until its back-off (30 s)', () => {
    const { refused } = refusedOnce();
    expect(refused.engine?.serviceRefusal).toMatchObject({ operation: 'CreateTaskSet', reason: ECS_SAYS, at: T0 + 1500, count: 1 });

    const p = plan(refused.engine!, before, T0 + 3000);

    expect(p.events.filter((e) => e.type === 'DeploymentStuck')).toEqual([{ type: 'DeploymentStuck', reason: REASON, at: T0 + 3000 }]);
    expect(p.actions).toEqual([]);
    // min(the retry at 1.5 s + 30 s, Failing at 3 s + 300 s)
    expect(p.wakeAt).toBe(T0 + 31_500);
    // The revision table (describe-environment-status) shows it: revision 2 Stuck, with the reason.
    const after = fold(p.events, refused)!;
    expect(revision2(after)).toMatchObject({ status: 'Deploying', health: 'Stuck', statusReason: REASON });
  });

  it('after the back-off the step goes again under a new key; refused again, the next wait is twice as long (60 s)', () => {
    const { key, refused } = refusedOnce();
    const stuck = fold(plan(refused.engine!, before, T0 + 3000).events, refused)!;

    const retry = plan(stuck.engine!, before, T0 + 31_500);
    expect(retry.actions.map((a) => a.key)).toEqual([`${key}-r1`]);
    expect(withoutTokens(operations(retry))).toEqual([{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 50, clientToken: '…' }]);
    expect(retry.events.map((e) => e.type)).not.toContain('DeploymentStuck'); // already says so
    expect(retry.wakeAt).toBe(T0 + 33_500); // the usual look 2 s after a call

    const again = fold([...retry.events, { type: 'ServiceUpdateRefused', key: `${key}-r1`, operation: 'CreateTaskSet', reason: ECS_SAYS, at: T0 + 32_000 }], stuck)!;
    expect(again.engine?.serviceRefusal?.count).toBe(2);
    const held = plan(again.engine!, before, T0 + 34_000);
    expect(held.actions).toEqual([]);
    expect(held.wakeAt).toBe(T0 + 92_000); // 32 s + 60 s
  });

  it('Stuck for FailingAfterSeconds (300 s) → Failing, with the same reason', () => {
    const { refused } = refusedOnce();
    const stuck = fold(plan(refused.engine!, before, T0 + 3000).events, refused)!;
    const p = plan(stuck.engine!, before, T0 + 303_000);
    expect(p.events.filter((e) => e.type === 'DeploymentFailing')).toEqual([{ type: 'DeploymentFailing', reason: REASON, at: T0 + 303_000 }]);
    expect(revision2(fold(p.events, stuck)!)).toMatchObject({ health: 'Failing', statusReason: REASON });
  });

  it('progress (the task set made after all, its tasks ready) → DeploymentResumed, which clears the refusal', () => {
    const { refused } = refusedOnce();
    const stuck = fold(plan(refused.engine!, before, T0 + 3000).events, refused)!;
    const p = plan(stuck.engine!, observed(6, [taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), taskSet('s2', 2, 3, 3, { D: 6 })]), T0 + 10_000);
    expect(p.events.map((e) => e.type)).toContain('DeploymentResumed');
    expect(p.events.map((e) => e.type)).not.toContain('DeploymentStuck');
    const resumed = fold(p.events, stuck)!;
    expect(resumed.engine?.serviceRefusal).toBeUndefined();
    expect(revision2(resumed)).toMatchObject({ health: undefined, statusReason: undefined });
  });

  it('already Stuck for another reason: it now says ECS’s, and Failing comes FailingAfterSeconds after it first went Stuck', () => {
    const { refused } = refusedOnce();
    const earlier = fold([{ type: 'DeploymentStuck', reason: 'no progress for 600 s', at: T0 + 1200 }], refused)!;
    const p = plan(earlier.engine!, before, T0 + 3000);
    expect(p.events.filter((e) => e.type === 'DeploymentStuck')).toEqual([{ type: 'DeploymentStuck', reason: REASON, at: T0 + 3000 }]);
    const stuck = fold(p.events, earlier)!;
    expect(stuck.engine?.health).toEqual({ status: 'Stuck', since: T0 + 1200, reason: REASON });
    expect(plan(stuck.engine!, before, T0 + 301_200).events.filter((e) => e.type === 'DeploymentFailing')).toEqual([{ type: 'DeploymentFailing', reason: REASON, at: T0 + 301_200 }]);
  });

  it('a refusal of another step (the service changed since) does not hold this one, nor make it Stuck', () => {
    const start = deployingEnvironment(6, configuration);
    const other = fold([{ type: 'ServiceUpdateRefused', key: 'svc-0-0-0', operation: 'ScaleTaskSet', reason: 'InvalidParameterException: no', at: T0 + 500 }], start)!;
    const p = plan(other.engine!, before, T0 + 1000);
    expect(p.events.map((e) => e.type)).not.toContain('DeploymentStuck');
    expect(withoutTokens(operations(p))).toEqual([{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 50, clientToken: '…' }]);
  });
});

describe('planService: CanaryTask (seed 004) — one task of the new revision first, nothing else moves', () => {
  const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
  const withCanary = (): PlannerState => {
    const state = deploying(6, { MinHealthyPercent: 100, MaxPercent: 200, CanaryTask: { HealthyChecks: 3 } });
    return { ...state, service: { ...state.service!, loadBalancer: { containerName: 'web', containerPort: 80, targetGroupArn: TG } } };
  };
  const canarySet = (task: Partial<ObservedServiceTask>): ObservedTaskSet => ({
    id: 's2',
    revision: 2,
    status: 'ACTIVE',
    scale: 16.6666,
    computedDesiredCount: 1,
    tasks: [{ arn: 's2-c', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', ready: false, ...task }],
  });

  it('no task set yet: the new one at one task of 6 (16.6666 %), the old one untouched', () => {
    const p = plan(withCanary(), observed(6, [taskSet('s1', 1, 6, 6, { status: 'PRIMARY' })]), T0 + 1000);
    expect(withoutTokens(operations(p))).toEqual([{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 16.6666, clientToken: '…' }]);
  });

  it('the third healthy read 10 s after the second → Passed (no call this time; the rollout goes on at the next plan)', () => {
    const state = { ...withCanary(), canaryTask: { phase: 'Checking' as const, healthy: 2, lastAt: T0 } };
    const p = plan(state, observed(6, [taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), canarySet({ ready: true, target: { state: 'healthy' } })]), T0 + 10_000);
    expect(p.events.find((e) => e.type === 'CanaryTaskChecked')).toMatchObject({ canary: { phase: 'Passed' } });
    expect(operations(p)).toEqual([]);
    // Passed: the next plan rolls. Ready counted 6 old + 1 canary = 7, floor 6 → budget 1: old 6 → 5 (its
    // newest ready task named); room 12 − 6 (the stopping one holds its place) = 6 → the new set to 6 (100 %).
    const next = plan({ ...state, canaryTask: { phase: 'Passed', at: T0 + 10_000 } }, observed(6, [taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), canarySet({ ready: true, target: { state: 'healthy' } })]), T0 + 11_000);
    expect(operations(next)).toEqual([
      { op: 'ScaleTaskSet', taskSet: 's1', scale: 83.3333, stopTasks: ['s1-r5'] },
      { op: 'ScaleTaskSet', taskSet: 's2', scale: 100, stopTasks: [] },
    ]);
  });

  it('a healthy read sooner than 10 s after the last one counted is not counted', () => {
    const state = { ...withCanary(), canaryTask: { phase: 'Checking' as const, healthy: 2, lastAt: T0 } };
    const p = plan(state, observed(6, [taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), canarySet({ ready: true, target: { state: 'healthy' } })]), T0 + 4_000);
    expect(p.events.find((e) => e.type === 'CanaryTaskChecked')).toBeUndefined();
  });

  it('the canary task stopped (its health check failed): CanaryTaskFailed with ECS’s reason, no call at all', () => {
    const state = { ...withCanary(), canaryTask: { phase: 'Registering' as const, since: T0 } };
    const p = plan(
      state,
      observed(6, [taskSet('s1', 1, 6, 6, { status: 'PRIMARY' }), canarySet({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' })]),
      T0 + 5_000,
    );
    expect(p.events.find((e) => e.type === 'CanaryTaskFailed')).toMatchObject({ reason: 'canary task stopped before its first healthy check (ServiceSchedulerInitiated: Task failed container health checks)' });
    expect(p.actions).toEqual([]);
  });
});

// ── Property: a small model of ECS ───────────────────────────────────────────────────────────────

interface ModelTask {
  arn: string;
  state: 'PENDING' | 'RUNNING' | 'READY' | 'STOPPING';
}
interface ModelSet {
  id: string;
  revision: number;
  status: ObservedTaskSet['status'];
  scale: number;
  tasks: ModelTask[];
}

class EcsModel {
  sets: ModelSet[] = [];
  private seq = 0;
  constructor(public D: number) {}

  computed(set: ModelSet): number {
    return set.status === 'DRAINING' ? 0 : Math.ceil((this.D * set.scale) / 100);
  }

  apply(ops: ServiceOperation[], revision: number): void {
    for (const o of ops) {
      switch (o.op) {
        case 'EnsureService':
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
          for (const s of this.sets) if (s.status === 'PRIMARY') s.status = 'ACTIVE';
          this.sets.find((s) => s.id === o.taskSet)!.status = 'PRIMARY';
          break;
        case 'DeleteTaskSet': {
          const set = this.sets.find((s) => s.id === o.taskSet)!;
          set.status = 'DRAINING';
          for (const t of set.tasks) t.state = 'STOPPING';
          break;
        }
      }
    }
    this.schedule();
  }

  /** ECS's scheduler: each set at its computed count (extras stopped, newest first; missing ones placed). */
  schedule(): void {
    for (const set of this.sets) {
      const live = set.tasks.filter((t) => t.state !== 'STOPPING');
      const want = this.computed(set);
      for (const t of live.slice(want)) t.state = 'STOPPING';
      for (let i = live.length; i < want; i++) set.tasks.push({ arn: `${set.id}-t${++this.seq}`, state: 'PENDING' });
    }
  }

  /** Time passes: some tasks move on (random), stopped ones are gone, empty DRAINING sets vanish. */
  tick(pick: () => boolean): void {
    for (const set of this.sets) {
      set.tasks = set.tasks.filter((t) => !(t.state === 'STOPPING' && pick()));
      for (const t of set.tasks) {
        if (t.state === 'RUNNING' && pick()) t.state = 'READY';
        else if (t.state === 'PENDING' && pick()) t.state = 'RUNNING';
      }
    }
    this.sets = this.sets.filter((s) => !(s.status === 'DRAINING' && s.tasks.length === 0));
  }

  observed(): Observed {
    return observed(
      this.D,
      this.sets.map((s) => ({
        id: s.id,
        revision: s.revision,
        status: s.status,
        scale: s.scale,
        computedDesiredCount: this.computed(s),
        tasks: s.tasks.map((t) => ({
          arn: t.arn,
          lastStatus: t.state === 'PENDING' ? 'PENDING' : t.state === 'STOPPING' ? 'STOPPING' : 'RUNNING',
          desiredStatus: t.state === 'STOPPING' ? 'STOPPED' : 'RUNNING',
          ready: t.state === 'READY',
        })),
      })),
    );
  }

  ready(): number {
    return this.sets.reduce((n, s) => n + s.tasks.filter((t) => t.state === 'READY').length, 0);
  }

  footprint(): number {
    return this.sets.reduce((n, s) => n + s.tasks.length, 0);
  }
}

describe('property: over random D, MinHealthyPercent, MaxPercent and the pace of ECS', () => {
  it('never fewer ready tasks than ceil(D × m), never more tasks than floor(D × M), and it completes: new set PRIMARY, alone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 100, max: 250 }),
        fc.infiniteStream(fc.boolean()),
        (D, m, M, coins) => {
          const limits = rollingLimits(D, m, M);
          fc.pre(!(limits.minReady >= D && limits.maxRunning <= D)); // m = M = 100: Blocked, tested above
          const state = deploying(D, { MinHealthyPercent: m, MaxPercent: M });
          const ecs = new EcsModel(D);
          ecs.sets.push({ id: 's0', revision: 1, status: 'PRIMARY', scale: 100, tasks: Array.from({ length: D }, (_, i) => ({ arn: `s0-t${i}`, state: 'READY' as const })) });
          const pick = (() => {
            const it = coins[Symbol.iterator]();
            return () => it.next().value as boolean;
          })();
          let engine = state;
          for (let step = 0; step < 400; step++) {
            const now = T0 + 1000 * (step + 1);
            const p = plan(engine, ecs.observed(), now);
            if (p.events.some((e) => e.type === 'DeploymentCompleted')) {
              expect(ecs.sets.map((s) => [s.revision, s.status, ecs.computed(s)])).toEqual([[2, 'PRIMARY', D]]);
              expect(ecs.ready()).toBe(D);
              return;
            }
            expect(p.events.find((e) => e.type === 'DeploymentStuck')).toBeUndefined();
            ecs.apply(p.actions.flatMap((a) => (a.type === 'UpdateService' ? a.operations : [])), 2);
            expect(ecs.ready()).toBeGreaterThanOrEqual(limits.minReady);
            expect(ecs.footprint()).toBeLessThanOrEqual(limits.maxRunning);
            for (const e of p.events) if (e.type === 'DeploymentProgressed') engine = { ...engine, progressMark: { ready: e.ready, old: e.old }, lastProgressAt: now };
            ecs.tick(pick);
          }
          throw new Error(`not complete after 400 steps (D ${D}, m ${m}, M ${M})`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('observeAtRest: a Service at rest records the counts ECS has (Application Auto Scaling kept, never undone)', () => {
  const recorded = { revision: 2, desired: 8, current: 8 };
  const active = (desiredCount: number, runningCount: number) => ({ status: 'ACTIVE' as const, desiredCount, runningCount });
  const at = 1_000;
  it.each([
    ['desired 8 → 5 outside Blox, 8 still running: recorded, with the reason', recorded, undefined, active(5, 8), [{ type: 'ServiceObserved', revision: 2, desiredCount: 5, running: 8, reason: 'desired count 8 → 5, set outside Blox (Application Auto Scaling?): kept', at }]],
    ['then the tasks stop (recorded 5/8, ECS 5/5): CURRENT follows, no reason', { revision: 2, desired: 5, current: 8 }, undefined, active(5, 5), [{ type: 'ServiceObserved', revision: 2, desiredCount: 5, running: 5, at }]],
    ['nothing changed (8/8): nothing', recorded, undefined, active(8, 8), []],
    ['a scale-environment pending: planScale\'s business, nothing here', recorded, { desiredCount: 10, pending: true }, active(5, 8), []],
    ['a scale-environment applied (not pending): observed as usual', recorded, { desiredCount: 8, pending: false }, active(12, 8), [{ type: 'ServiceObserved', revision: 2, desiredCount: 12, running: 8, reason: 'desired count 8 → 12, set outside Blox (Application Auto Scaling?): kept', at }]],
    ['the service is DRAINING (deleted outside Blox): nothing', recorded, undefined, { status: 'DRAINING' as const, desiredCount: 0, runningCount: 3 }, []],
    ['the service is MISSING: nothing', recorded, undefined, { status: 'MISSING' as const, desiredCount: 8, runningCount: 0 }, []],
  ])('%s', (_name, rec, scale, service, expected) => {
    expect(observeAtRest(rec, scale, service, at)).toEqual(expected);
  });
});

