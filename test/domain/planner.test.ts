/**
 * The Daemon planner, driven step by step against a minimal world model (tasks start in 2 steps,
 * stop in 1), checking the walkthrough's progressions and the safety invariants at every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observed, ObservedInstance, ObservedTask, PlannerAction, PlannerState } from '../../domain/rollout';
import { applyPlannerEvent, minAvailable, plan, recordLaunchFailures, staleReason } from '../../domain/rollout';
import { effectiveDeploymentConfiguration } from '../../domain/spec';

const STEP = 1000;

interface WorldOptions {
  instances: number;
  /** Instances (by index) where a launch fails with this reason, for the first `times` launches. */
  failLaunch?: { index: number; reason: string; times: number };
  healthChecked?: boolean;
  startSteps?: number;
}

class MiniWorld {
  instances: ObservedInstance[];
  tasks: Array<ObservedTask & { age: number }> = [];
  private n = 0;
  private failures = new Map<string, number>();
  constructor(private readonly options: WorldOptions) {
    this.instances = Array.from({ length: options.instances }, (_, i) => ({ arn: `ci/${i + 1}`, status: 'ACTIVE' as const }));
  }
  runOld(revision: number): void {
    for (const i of this.instances) this.tasks.push(this.task(i.arn, revision, 'RUNNING'));
  }
  addInstances(count: number): void {
    const start = this.instances.length;
    for (let i = 0; i < count; i++) this.instances.push({ arn: `ci/${start + i + 1}`, status: 'ACTIVE' });
  }
  private task(instanceArn: string, revision: number, lastStatus: ObservedTask['lastStatus'], actionKey?: string) {
    this.n++;
    return { arn: `task/${this.n}`, instanceArn, revision, actionKey, lastStatus, desiredStatus: 'RUNNING' as const, health: this.options.healthChecked ? ('HEALTHY' as const) : ('UNKNOWN' as const), age: 0 };
  }
  /** Carries out actions; returns launch failures like ECS's failures[], per batch. */
  apply(actions: PlannerAction[]): Array<{ key: string; failures: Array<{ instance: string; reason: string }> }> {
    const failed: Array<{ key: string; failures: Array<{ instance: string; reason: string }> }> = [];
    for (const action of actions) {
      if (action.type === 'StartTasks') {
        const failures: Array<{ instance: string; reason: string }> = [];
        for (const instanceArn of action.instanceArns) {
          const fail = this.options.failLaunch;
          const index = this.instances.findIndex((i) => i.arn === instanceArn);
          const count = this.failures.get(instanceArn) ?? 0;
          if (fail && fail.index === index && count < fail.times) {
            this.failures.set(instanceArn, count + 1);
            failures.push({ instance: instanceArn.split('/')[1]!, reason: fail.reason });
            continue;
          }
          if (this.tasks.some((t) => t.actionKey === action.key && t.instanceArn === instanceArn)) continue; // idempotent
          const t = this.task(instanceArn, action.revision, 'PENDING', action.key);
          t.health = 'UNKNOWN';
          this.tasks.push(t);
        }
        if (failures.length > 0) failed.push({ key: action.key, failures });
      } else if (action.type === 'StopTasks') {
        for (const taskArn of action.taskArns) {
          const t = this.tasks.find((x) => x.arn === taskArn);
          if (t && t.lastStatus !== 'STOPPED') {
            t.desiredStatus = 'STOPPED';
            t.lastStatus = 'STOPPING';
            t.age = 0;
          }
        }
      }
    }
    return failed;
  }
  step(): void {
    for (const t of this.tasks) {
      t.age++;
      if (t.lastStatus === 'PENDING' && t.age >= (this.options.startSteps ?? 2)) {
        t.lastStatus = 'RUNNING';
        if (this.options.healthChecked) t.health = 'HEALTHY';
      } else if (t.lastStatus === 'STOPPING' && t.age >= 1) t.lastStatus = 'STOPPED';
    }
  }
  observed(): Observed {
    return { instances: this.instances, tasks: this.tasks.map(({ age: _age, ...t }) => t), targetHealthChecked: !!this.options.healthChecked };
  }
  running(revision: number): number {
    return this.tasks.filter((t) => t.revision === revision && t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING').length;
  }
}

function initialState(options: { method: 'Replace' | 'Surge'; minHealthy: number; maxOver?: number; initial?: boolean; draining?: number[]; stuckAfter?: number; failingAfter?: number }): PlannerState {
  const configuration = effectiveDeploymentConfiguration({
    DeploymentType: 'Daemon',
    DeploymentConfiguration: {
      Method: options.method,
      MinHealthyPercent: options.minHealthy,
      MaxOver: options.maxOver ?? 1,
      StuckAfterSeconds: options.stuckAfter ?? 30,
      FailingAfterSeconds: options.failingAfter ?? 60,
    },
  });
  const draining = (options.draining ?? [1]).map((revision) => ({ revision, status: 'Undeploying' as const }));
  return {
    environment: 'SomeEnvironment/Prod',
    deploymentId: 'SomeEnvironment/Prod:2@2017090611472301',
    epoch: 1,
    revision: 2,
    taskDefinition: 'log-daemon:2',
    cluster: 'default',
    draining,
    configuration,
    initial: options.initial ?? false,
    frozen: false,
    startedAt: 0,
    lastProgressAt: 0,
    progressMark: { ready: 0, old: 0 },
    launches: [],
    stops: [],
    failures: {},
    counts: [],
  };
}

interface RunResult {
  state: PlannerState;
  steps: number;
  completed: boolean;
  /** (old running, new running) after every step, consecutive duplicates removed. */
  progression: Array<[number, number]>;
  events: string[];
  minAvailableSeen: number;
  maxSurgeSeen: number;
  twoTargetsOnOneHost: boolean;
}

function run(world: MiniWorld, start: PlannerState, options: { maxSteps?: number; onStep?: (step: number, world: MiniWorld) => void } = {}): RunResult {
  let state = start;
  let now = 0;
  const progression: Array<[number, number]> = [];
  const events: string[] = [];
  let minAvailableSeen = Infinity;
  let maxSurgeSeen = 0;
  let twoTargetsOnOneHost = false;
  const record = () => {
    const pair: [number, number] = [world.running(1), world.running(2)];
    const last = progression.at(-1);
    if (!last || last[0] !== pair[0] || last[1] !== pair[1]) progression.push(pair);
    const available = world.instances.filter((i) => world.tasks.some((t) => t.instanceArn === i.arn && t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING')).length;
    minAvailableSeen = Math.min(minAvailableSeen, available);
    const surging = world.instances.filter(
      (i) => world.tasks.some((t) => t.instanceArn === i.arn && t.revision === 2 && t.lastStatus !== 'STOPPED') && world.tasks.some((t) => t.instanceArn === i.arn && t.revision !== 2 && t.lastStatus !== 'STOPPED'),
    ).length;
    maxSurgeSeen = Math.max(maxSurgeSeen, surging);
    for (const i of world.instances) {
      if (world.tasks.filter((t) => t.instanceArn === i.arn && t.revision === 2 && t.lastStatus !== 'STOPPED' && t.desiredStatus === 'RUNNING').length > 1) twoTargetsOnOneHost = true;
    }
  };
  record();
  for (let step = 0; step < (options.maxSteps ?? 200); step++) {
    options.onStep?.(step, world);
    const result = plan(state, world.observed(), now);
    for (const e of result.events) {
      state = applyPlannerEvent(state, e);
      if (e.type !== 'RevisionCountsChanged' && e.type !== 'LaunchesSettled' && e.type !== 'StopsSettled' && e.type !== 'DeploymentProgressed' && e.type !== 'LaunchesPlanned' && e.type !== 'StopsPlanned') events.push(e.type === 'DeploymentStuck' || e.type === 'DeploymentFailing' ? `${e.type}: ${e.reason}` : e.type);
      if (e.type === 'DeploymentCompleted') return { state, steps: step, completed: true, progression, events, minAvailableSeen, maxSurgeSeen, twoTargetsOnOneHost };
    }
    for (const f of world.apply(result.actions)) state = recordLaunchFailures(state, f.key, f.failures, now);
    record();
    world.step();
    now += STEP;
    record();
  }
  return { state, steps: options.maxSteps ?? 200, completed: false, progression, events, minAvailableSeen, maxSurgeSeen, twoTargetsOnOneHost };
}

describe('Replace (terminate before replace)', () => {
  it('5 instances at MinHealthyPercent 80 move one at a time, as in the walkthrough', () => {
    const world = new MiniWorld({ instances: 5 });
    world.runOld(1);
    const result = run(world, initialState({ method: 'Replace', minHealthy: 80 }));
    expect(result.completed).toBe(true);
    expect(result.progression).toEqual([
      [5, 0], [4, 0], [4, 1], [3, 1], [3, 2], [2, 2], [2, 3], [1, 3], [1, 4], [0, 4], [0, 5],
    ]);
    expect(result.minAvailableSeen).toBeGreaterThanOrEqual(minAvailable(5, 80));
    expect(result.twoTargetsOnOneHost).toBe(false);
    expect(result.maxSurgeSeen).toBe(0);
  });

  it('at MinHealthyPercent 100 the budget is 0: Stuck at once with that reason, nothing stopped', () => {
    const world = new MiniWorld({ instances: 5 });
    world.runOld(1);
    const result = run(world, initialState({ method: 'Replace', minHealthy: 100 }), { maxSteps: 5 });
    expect(result.completed).toBe(false);
    expect(result.events[0]).toMatch(/^DeploymentStuck: MinHealthyPercent budget is 0: 5 of 5 instances available, 5 must stay/);
    expect(world.running(1)).toBe(5);
  });

  it('the first deployment ignores MinHealthyPercent', () => {
    const world = new MiniWorld({ instances: 5 });
    const result = run(world, initialState({ method: 'Replace', minHealthy: 100, initial: true, draining: [] }));
    expect(result.completed).toBe(true);
    expect(result.progression).toEqual([[0, 0], [0, 5]]);
  });
});

describe('Surge (terminate after replace)', () => {
  it('5 instances with MaxOver 1 start the new task first, then stop the old one', () => {
    const world = new MiniWorld({ instances: 5 });
    world.runOld(1);
    const result = run(world, initialState({ method: 'Surge', minHealthy: 100, maxOver: 1 }));
    expect(result.completed).toBe(true);
    expect(result.progression.slice(0, 3)).toEqual([[5, 0], [5, 1], [4, 1]]);
    expect(result.progression.at(-2)).toEqual([1, 5]);
    expect(result.progression.at(-1)).toEqual([0, 5]);
    expect(result.minAvailableSeen).toBe(5);
    expect(result.maxSurgeSeen).toBe(1);
    expect(result.twoTargetsOnOneHost).toBe(false);
  });

  it('waits for HEALTHY when the task definition has health checks', () => {
    const world = new MiniWorld({ instances: 3, healthChecked: true });
    world.runOld(1);
    const result = run(world, initialState({ method: 'Surge', minHealthy: 100, maxOver: 2 }));
    expect(result.completed).toBe(true);
    expect(result.maxSurgeSeen).toBeLessThanOrEqual(2);
    expect(result.minAvailableSeen).toBe(3);
  });
});

describe('priorities and membership', () => {
  it('instances joining mid-deploy raise DESIRED and get the daemon before replacements continue', () => {
    const world = new MiniWorld({ instances: 5 });
    world.runOld(1);
    const result = run(world, initialState({ method: 'Replace', minHealthy: 80 }), {
      onStep: (step, w) => {
        if (step === 4) w.addInstances(5);
      },
    });
    expect(result.completed).toBe(true);
    const desiredAfterJoin = result.state.counts.find((c) => c.revision === 2)?.desired ?? 0;
    expect(desiredAfterJoin).toBe(10);
    expect(world.running(2)).toBe(10);
    // The 5 new instances were all started in the plan right after they joined.
    const joinedStarts = world.tasks.filter((t) => t.revision === 2 && Number(t.instanceArn.split('/')[1]) > 5);
    expect(Math.max(...joinedStarts.map((t) => Number(t.arn.split('/')[1])))).toBeLessThan(
      Math.min(...world.tasks.filter((t) => t.revision === 2 && Number(t.instanceArn.split('/')[1]) <= 5).map((t) => Number(t.arn.split('/')[1]))) + 10,
    );
  });

  it('a failed launch is retried (after back-off) before anything else; its reason is kept', () => {
    const world = new MiniWorld({ instances: 5, failLaunch: { index: 0, reason: 'RESOURCE:MEMORY', times: 2 } });
    world.runOld(1);
    const result = run(world, initialState({ method: 'Replace', minHealthy: 80 }));
    expect(result.completed).toBe(true);
    expect(world.running(2)).toBe(5);
    expect(result.minAvailableSeen).toBeGreaterThanOrEqual(4);
  });

  it('stuck for resources → Stuck with ECS reason, then Failing; keeps trying', () => {
    const world = new MiniWorld({ instances: 5, failLaunch: { index: 0, reason: 'RESOURCE:MEMORY', times: 1000 } });
    world.runOld(1);
    const result = run(world, initialState({ method: 'Replace', minHealthy: 80, stuckAfter: 20, failingAfter: 30 }), { maxSteps: 120 });
    expect(result.completed).toBe(false);
    expect(result.events).toContain('DeploymentStuck: RESOURCE:MEMORY');
    expect(result.events).toContain('DeploymentFailing: RESOURCE:MEMORY');
    expect(result.events.indexOf('DeploymentStuck: RESOURCE:MEMORY')).toBeLessThan(result.events.indexOf('DeploymentFailing: RESOURCE:MEMORY'));
    expect(result.minAvailableSeen).toBeGreaterThanOrEqual(4);
  });

  it('frozen: no actions at all', () => {
    const world = new MiniWorld({ instances: 5 });
    world.runOld(1);
    const frozen = { ...initialState({ method: 'Replace', minHealthy: 0 }), frozen: true };
    const p = plan(frozen, world.observed(), 0);
    expect(p.actions).toEqual([]);
  });
});

describe('properties', () => {
  it('never below MinHealthyPercent, never more than MaxOver extra, never two new tasks on a host, converges', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom<'Replace' | 'Surge'>('Replace', 'Surge'),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (instances, method, minHealthy, maxOver, startSteps) => {
          const world = new MiniWorld({ instances, startSteps });
          world.runOld(1);
          const result = run(world, initialState({ method, minHealthy, maxOver }), { maxSteps: 400 });
          if (method === 'Replace' && minAvailable(instances, minHealthy) === instances) {
            // Replacing any task would breach MinHealthyPercent: Stuck, with that reason, and nothing stopped.
            expect(result.completed).toBe(false);
            expect(result.events[0]).toMatch(/^DeploymentStuck: MinHealthyPercent budget is 0/);
            expect(world.running(1)).toBe(instances);
            return;
          }
          expect(result.completed).toBe(true);
          if (method === 'Replace') expect(result.minAvailableSeen).toBeGreaterThanOrEqual(minAvailable(instances, minHealthy));
          else expect(result.minAvailableSeen).toBe(instances);
          expect(result.maxSurgeSeen).toBeLessThanOrEqual(method === 'Surge' ? maxOver : 0);
          expect(result.twoTargetsOnOneHost).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('staleReason: what the executor drops', () => {
  const engine = (): PlannerState => ({ ...initialState({ method: 'Replace', minHealthy: 80 }), launches: [{ key: 'k1', instances: ['1'], at: 0 }] });
  const start = (overrides: Partial<PlannerAction> = {}): PlannerAction =>
    ({ type: 'StartTasks', key: 'k1', environment: 'SomeEnvironment/Prod', deploymentId: engine().deploymentId, epoch: 1, revision: 2, cluster: 'default', taskDefinition: 'log-daemon:2', instanceArns: ['ci/1'], reason: 'r', ...overrides }) as PlannerAction;
  it('keeps a current launch', () => expect(staleReason(engine(), start(), 1000)).toBeUndefined());
  it('drops after a new deploy, rollback, freeze or thaw (epoch), when frozen, or with no deployment', () => {
    expect(staleReason(engine(), start({ epoch: 0 }), 1000)).toMatch(/epoch 0/);
    expect(staleReason({ ...engine(), frozen: true }, start(), 1000)).toMatch(/frozen/);
    expect(staleReason(undefined, start(), 1000)).toMatch(/no deployment/);
    expect(staleReason(engine(), start({ deploymentId: 'other' }), 1000)).toMatch(/replaced/);
  });
  it('drops a launch the planner settled, or gave up on as lost', () => {
    expect(staleReason(engine(), start({ key: 'k2' }), 1000)).toMatch(/no longer on record/);
    expect(staleReason(engine(), start(), 61_000)).toMatch(/presumed lost/);
  });
});
