/**
 * Decider specs: given events / when command / then events or error, for every rule of the walkthrough.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../../domain/environment';
import { changedRevisions, compact, decide, deploymentId, environmentSummary, evolve, fold, servingService } from '../../domain/environment';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { displayStatus } from '../../domain/revision-status';
import type { EnvironmentSpec } from '../../domain/spec';

const NAME = 'SomeEnvironment/Prod';
const AT = '2017-09-06T11:47:23.015Z';
const spec: EnvironmentSpec = {
  Name: NAME,
  TaskDefinition: 'log-daemon:1',
  Cluster: 'default',
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentType: 'Daemon',
  DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100 },
};

/** Runs commands one after another, folding their events; returns the state and all events. */
function given(...commands: EnvironmentCommand[]): { state: EnvironmentState; events: EnvironmentEvent[] } {
  let state: EnvironmentState | undefined;
  const events: EnvironmentEvent[] = [];
  for (const command of commands) {
    const decided = decide(command, state);
    events.push(...decided);
    state = fold(decided, state);
  }
  if (!state) throw new Error('no state');
  return { state, events };
}

const create = (s: EnvironmentSpec = spec): EnvironmentCommand => ({ type: 'CreateEnvironment', spec: s, at: AT });
const update = (baseRevision: number | undefined, patch: Record<string, unknown>): EnvironmentCommand => ({
  type: 'UpdateEnvironment',
  name: NAME,
  baseRevision,
  patch,
  at: AT,
});
const deploy = (revision: number, at = AT): EnvironmentCommand => ({ type: 'DeployRevision', name: NAME, revision, at });
/** Rollbacks (and deploys of older revisions) carry the target's spec, read from the revision table. */
const specOf = (revision: number): EnvironmentSpec => ({ ...spec, TaskDefinition: `log-daemon:${revision}` });
const rollback = (revision: number): EnvironmentCommand => ({ type: 'RollbackToRevision', name: NAME, revision, targetSpec: specOf(revision), at: AT });
const freeze: EnvironmentCommand = { type: 'FreezeEnvironment', name: NAME, at: AT };
const thaw: EnvironmentCommand = { type: 'ThawEnvironment', name: NAME, at: AT };

/** Marks the deployment complete the way the engine will (test-only event fold). */
function completed(state: EnvironmentState): EnvironmentState {
  const target = state.deployment!.revision;
  return {
    ...state,
    activeRevision: target,
    hasBeenActive: true,
    deployment: undefined,
    engine: undefined,
    revisions: state.revisions.map((r) =>
      r.revision === target
        ? { ...r, status: 'Active' }
        : r.status === 'Undeploying'
          ? { ...r, status: 'Inactive' }
          : r.status === 'Reverting'
            ? { ...r, status: 'Reverted' }
            : r,
    ),
  };
}

function statuses(state: EnvironmentState): Record<number, string> {
  return Object.fromEntries(state.revisions.map((r) => [r.revision, displayStatus(r)]));
}

function then(state: EnvironmentState | undefined, command: EnvironmentCommand) {
  return decide(command, state);
}

describe('create-environment', () => {
  it('creates revision 1 as Created with DESIRED 0 CURRENT 0', () => {
    const { state, events } = given(create());
    expect(events.map((e) => e.type)).toEqual(['EnvironmentCreated', 'RevisionCreated']);
    expect(state.revisions).toEqual([{ revision: 1, status: 'Created', desired: 0, current: 0, updatedAt: AT }]);
    expect(state.latestRevision).toBe(1);
    expect(environmentSummary(state)).toMatchObject({ status: 'Created', desired: 0, current: 0 });
  });

  it('refuses a name that already exists', () => {
    const { state } = given(create());
    expect(() => then(state, create())).toThrow(ConflictError);
  });
});

describe('update-environment', () => {
  it('creates the next revision based on the latest, merging the changed fields', () => {
    const { state, events } = given(create(), update(1, { TaskDefinition: 'log-daemon:2' }));
    const created = events.at(-1);
    expect(created).toMatchObject({ type: 'RevisionCreated', revision: 2, basedOn: 1 });
    expect(state.latestSpec).toEqual({ ...spec, TaskDefinition: 'log-daemon:2' });
    expect(statuses(state)).toEqual({ 1: 'Created', 2: 'Created' });
  });

  it('merges nested configuration key by key', () => {
    const { state } = given(create(), update(1, { DeploymentConfiguration: { MinHealthyPercent: 80 } }));
    expect(state.latestSpec.DeploymentConfiguration).toEqual({ Method: 'Replace', MinHealthyPercent: 80 });
  });

  it('changes the instance group query', () => {
    const { state } = given(create(), update(1, { InstanceGroup: { Query: 'attribute:stack in (prod, gamma)' } }));
    expect(state.latestSpec.InstanceGroup).toEqual({ Query: 'attribute:stack in (prod, gamma)' });
  });

  it('requires the base revision unless the whole spec is given', () => {
    const { state } = given(create());
    expect(() => then(state, update(undefined, { TaskDefinition: 'log-daemon:2' }))).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'Revision' }),
    );
    const whole = then(state, update(undefined, { ...spec, TaskDefinition: 'log-daemon:3' }));
    expect(whole).toMatchObject([{ type: 'RevisionCreated', revision: 2, basedOn: 1 }]);
  });

  it('a whole spec replaces the spec: fields it leaves out are gone', () => {
    const { state } = given(create(), update(undefined, { Name: NAME, TaskDefinition: 'log-daemon:9', DeploymentType: 'Daemon' }));
    expect(state.latestSpec).toEqual({ Name: NAME, TaskDefinition: 'log-daemon:9', DeploymentType: 'Daemon' });
  });

  it('refuses a stale base revision with a conflict', () => {
    const { state } = given(create(), update(1, { TaskDefinition: 'log-daemon:2' }));
    expect(() => then(state, update(1, { TaskDefinition: 'log-daemon:3' }))).toThrow(ConflictError);
    expect(() => then(state, update(1, { ...spec }))).toThrow(ConflictError);
  });

  it('refuses a base revision that does not exist', () => {
    const { state } = given(create());
    expect(() => then(state, update(5, { TaskDefinition: 'log-daemon:2' }))).toThrow(NotFoundError);
  });

  it('refuses renaming the environment or changing its type', () => {
    const { state } = given(create());
    expect(() => then(state, update(1, { Name: 'Other' }))).toThrow(expect.objectContaining({ field: 'Name' }));
    expect(() => then(state, update(1, { DeploymentType: 'Service', DesiredCount: 2 }))).toThrow(
      expect.objectContaining({ field: 'DeploymentType' }),
    );
  });

  it('validates the merged spec (a Daemon takes no DesiredCount)', () => {
    const { state } = given(create());
    expect(() => then(state, update(1, { DesiredCount: 3 }))).toThrow(expect.objectContaining({ field: 'DesiredCount' }));
  });

  it('refuses an unknown environment', () => {
    expect(() => then(undefined, update(1, { TaskDefinition: 'log-daemon:2' }))).toThrow(NotFoundError);
  });
});

describe('deploy-environment', () => {
  it('marks the revision Deploying; the first deployment ignores MinHealthyPercent', () => {
    const { state, events } = given(create(), deploy(1));
    expect(events.at(-1)).toEqual({
      type: 'DeploymentStarted',
      deploymentId: 'SomeEnvironment/Prod:1@2017090611472301',
      revision: 1,
      undeploying: [],
      initial: true,
      target: {
        taskDefinition: 'log-daemon:1',
        cluster: 'default',
        query: 'attribute:stack == prod',
        configuration: { Method: 'Replace', MinHealthyPercent: 100, MaxOver: 1, StuckAfterSeconds: 300, FailingAfterSeconds: 900 },
      },
      at: AT,
    });
    expect(statuses(state)).toEqual({ 1: 'Deploying' });
  });

  it('turns the Active revision Undeploying with DESIRED 0; not the first deployment any more', () => {
    const first = completed(given(create(), deploy(1)).state);
    const withTwo = fold(decide(update(1, { TaskDefinition: 'log-daemon:2' }), first), first)!;
    const events = decide(deploy(2), withTwo);
    expect(events).toMatchObject([{ type: 'DeploymentStarted', revision: 2, undeploying: [1], initial: false }]);
    const state = fold(events, withTwo)!;
    expect(statuses(state)).toEqual({ 1: 'Undeploying', 2: 'Deploying' });
    expect(state.revisions.find((r) => r.revision === 1)?.desired).toBe(0);
  });

  it('refuses a revision older than the latest Active one (use rollback)', () => {
    const first = completed(given(create(), update(1, { TaskDefinition: 'log-daemon:2' }), deploy(2)).state);
    expect(() => then(first, deploy(1))).toThrow(/use rollback-environment/);
  });

  it('refuses the revision already Active, and the one already deploying', () => {
    const active = completed(given(create(), deploy(1)).state);
    expect(() => then(active, deploy(1))).toThrow(/already Active/);
    const deploying = given(create(), deploy(1)).state;
    expect(() => then(deploying, deploy(1))).toThrow(/already being deployed/);
  });

  it('a newer deploy supersedes one in progress: the old target drains too', () => {
    const { state } = given(create(), deploy(1), update(1, { TaskDefinition: 'log-daemon:2' }), deploy(2));
    expect(statuses(state)).toEqual({ 1: 'Undeploying', 2: 'Deploying' });
    expect(state.deployment).toMatchObject({ revision: 2, initial: true });
  });

  it('refuses a revision older than the one being deployed', () => {
    const { state } = given(create(), update(1, { TaskDefinition: 'log-daemon:2' }), deploy(2));
    expect(() => then(state, deploy(1))).toThrow(ConflictError);
  });

  it('refuses unknown revisions and environments', () => {
    const { state } = given(create());
    expect(() => then(state, deploy(2))).toThrow(NotFoundError);
    expect(() => then(undefined, deploy(1))).toThrow(NotFoundError);
    expect(() => then(state, deploy(0))).toThrow(ValidationError);
  });

  it('deploys a Service environment (Rolling): the engine gets its service, named after the environment', () => {
    const service: EnvironmentSpec = { Name: NAME, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 3 };
    const { state } = given(create(service), deploy(1));
    expect(state.engine?.service).toEqual({ name: NAME.replace(/[^A-Za-z0-9_-]/g, '-'), desiredCount: 3 });
    expect(state.engine?.configuration).toMatchObject({ Method: 'Rolling', MinHealthyPercent: 100, MaxPercent: 200 });
  });

  it('scale-environment: a Service records the desired count (pending until the engine applies it); the next deployment creates the service at it', () => {
    const service: EnvironmentSpec = { Name: NAME, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 3 };
    const { state } = given(create(service), { type: 'ScaleEnvironment', name: NAME, desiredCount: 7, at: AT });
    expect(state.scale).toEqual({ desiredCount: 7, pending: true });
    expect(given(create(service), { type: 'ScaleEnvironment', name: NAME, desiredCount: 7, at: AT }, deploy(1)).state.engine?.service?.desiredCount).toBe(7);
    expect(fold([{ type: 'ScaleApplied', desiredCount: 7, at: 0 }], state)!.scale).toEqual({ desiredCount: 7, pending: false });
  });

  it('a Service at rest: ServiceObserved sets the Active revision\'s DESIRED/CURRENT and the desired count it keeps; ScaleApplied sets DESIRED; a Daemon, or a Service deploying, is not a serving one', () => {
    const service: EnvironmentSpec = { Name: NAME, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 3, Cluster: 'blue' };
    const deploying = fold([{ type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 3, current: 3 }], at: 0 }], given(create(service), deploy(1)).state)!;
    expect(servingService(deploying)).toBeUndefined();
    const atRest = completed(deploying);
    expect(servingService(atRest)).toEqual({ cluster: 'blue', name: 'SomeEnvironment-Prod', revision: 1 });
    expect(servingService(completed(given(create(), deploy(1)).state))).toBeUndefined();

    // Application Auto Scaling: 3 → 5, two tasks still starting.
    const observed = fold([{ type: 'ServiceObserved', revision: 1, desiredCount: 5, running: 3, reason: 'desired count 3 → 5, set outside Blox (Application Auto Scaling?): kept', at: 0 }], atRest)!;
    expect(observed.revisions.map((r) => [r.revision, r.status, r.desired, r.current])).toEqual([[1, 'Active', 5, 3]]);
    expect(observed.scale).toEqual({ desiredCount: 5, pending: false });
    // A pending scale-environment still wins over what was observed before the engine applied it…
    const scaling = given(create(service), deploy(1)).state;
    const pending = fold([{ type: 'ServiceObserved', revision: 1, desiredCount: 5, running: 5, at: 0 }], { ...completed(scaling), scale: { desiredCount: 8, pending: true } })!;
    expect(pending.scale).toEqual({ desiredCount: 8, pending: true });
    // …and once applied, the Active revision should have 8.
    expect(fold([{ type: 'ScaleApplied', desiredCount: 8, at: 0 }], pending)!.revisions.map((r) => [r.revision, r.desired, r.current])).toEqual([[1, 8, 5]]);
    // During a deployment the rollout counts its own tasks: ServiceObserved changes nothing.
    expect(fold([{ type: 'ServiceObserved', revision: 1, desiredCount: 9, running: 9, at: 0 }], deploying)!.revisions.map((r) => [r.revision, r.desired, r.current])).toEqual([[1, 3, 3]]);
  });

  it('scale-environment: refused for a Daemon (409) and for a count outside 0..10000 (naming DesiredCount)', () => {
    const { state } = given(create());
    expect(() => then(state, { type: 'ScaleEnvironment', name: NAME, desiredCount: 3, at: AT })).toThrow(ConflictError);
    const service: EnvironmentSpec = { Name: NAME, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 3 };
    const serviceState = given(create(service)).state;
    expect(() => then(serviceState, { type: 'ScaleEnvironment', name: NAME, desiredCount: -1, at: AT })).toThrow(/^DesiredCount: expected an integer from 0 to 10000$/);
  });

  it('deploys a Service Canary with its traffic route and hooks in the target (the planner moves the weights)', () => {
    const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
    const rule = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
    const base: EnvironmentSpec = { Name: NAME, TaskDefinition: 'web:1', DeploymentType: 'Service', DesiredCount: 3, Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } } };
    const canary: EnvironmentSpec = { ...base, DeploymentConfiguration: { Method: 'Canary', Steps: [{ SetWeight: 10 }] }, TrafficRouting: { Alb: { ListenerRuleArn: rule, BlueTargetGroupArn: tg('blue'), GreenTargetGroupArn: tg('green') } } };
    const started = then(given(create(canary)).state, deploy(1)).find((e) => e.type === 'DeploymentStarted');
    expect(started?.type === 'DeploymentStarted' && started.target.service?.traffic).toEqual({ kind: 'Alb', listenerRuleArn: rule, blueTargetGroupArn: tg('blue'), greenTargetGroupArn: tg('green') });
    // Without TargetGroupArn, the task sets' load balancer starts on blue (the strategy names the group of each task set).
    expect(started?.type === 'DeploymentStarted' && started.target.service?.loadBalancer).toEqual({ containerName: 'web', containerPort: 80, targetGroupArn: tg('blue') });
    const hooked: EnvironmentSpec = { ...base, Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80, TargetGroupArn: tg('web') } }, DeploymentConfiguration: { Hooks: [{ Stage: 'PreTraffic', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke' }] } };
    const hookedStart = then(given(create(hooked)).state, deploy(1)).find((e) => e.type === 'DeploymentStarted');
    expect(hookedStart?.type === 'DeploymentStarted' && hookedStart.target.configuration.Hooks).toEqual([{ Stage: 'PreTraffic', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke', TimeoutSeconds: 300 }]);
  });

  it('is accepted while frozen, and does not thaw', () => {
    const { state } = given(create(), freeze, deploy(1));
    expect(state.frozen).toBe(true);
    expect(statuses(state)).toEqual({ 1: 'Deploying' });
    expect(environmentSummary(state).status).toBe('Suspended');
  });
});

describe('rollback-environment', () => {
  const activeTwo = () => {
    const one = completed(given(create(), deploy(1)).state);
    const two = fold(decide(update(1, { TaskDefinition: 'log-daemon:2' }), one), one)!;
    return completed(fold(decide(deploy(2), two), two)!);
  };

  it('re-activates the named revision and turns the bad one Reverting, without creating a revision', () => {
    const state = activeTwo();
    expect(statuses(compact(state))).toEqual({ 2: 'Active' });
    const events = decide(rollback(1), compact(state));
    expect(events).toMatchObject([{ type: 'RollbackStarted', revision: 1, reverting: [2], undeploying: [] }]);
    const after = fold(events, compact(state))!;
    expect(statuses(after)).toEqual({ 1: 'Deploying', 2: 'Reverting' });
    expect(after.latestRevision).toBe(2);
    expect(after.deployment).toMatchObject({ kind: 'rollback', revision: 1 });
  });

  it('rolls back a Deploying revision: the Undeploying one deploys again', () => {
    const one = completed(given(create(), deploy(1)).state);
    const two = fold([...decide(update(1, { TaskDefinition: 'log-daemon:2' }), one)], one)!;
    const deploying = fold(decide(deploy(2), two), two)!;
    const after = fold(decide(rollback(1), deploying), deploying)!;
    expect(statuses(after)).toEqual({ 1: 'Deploying', 2: 'Reverting' });
  });

  it('rolling back past the Undeploying revision reverts both it and the Deploying one', () => {
    const two = activeTwo();
    const three = fold(decide(update(2, { TaskDefinition: 'log-daemon:3' }), two), two)!;
    const deploying = compact(fold(decide(deploy(3), three), three)!);
    expect(statuses(deploying)).toEqual({ 2: 'Undeploying', 3: 'Deploying' });
    const events = decide(rollback(1), deploying);
    expect(events).toMatchObject([{ type: 'RollbackStarted', revision: 1, reverting: [2, 3] }]);
    expect(statuses(fold(events, deploying)!)).toEqual({ 1: 'Deploying', 2: 'Reverting', 3: 'Reverting' });
  });

  it('carries the RollbackConfiguration', () => {
    const withRollbackConfig = { ...spec, RollbackConfiguration: { MinHealthyPercent: 0 } };
    const one = completed(given(create(withRollbackConfig), deploy(1)).state);
    const two = fold(decide(update(1, { TaskDefinition: 'log-daemon:2' }), one), one)!;
    const deploying = fold(decide(deploy(2), two), two)!;
    expect(decide(rollback(1), deploying)).toMatchObject([{ rollbackConfiguration: { MinHealthyPercent: 0 } }]);
  });

  it('refuses a target that is Active, newer than the newest deployed, or when nothing was deployed', () => {
    const state = activeTwo();
    expect(() => then(state, rollback(2))).toThrow(/already Active/);
    const three = fold(decide(update(2, { TaskDefinition: 'log-daemon:3' }), state), state)!;
    expect(() => then(three, rollback(3))).toThrow(/use deploy-environment/);
    expect(() => then(given(create()).state, rollback(1))).toThrow(/no deployed revision/);
    expect(() => then(state, rollback(7))).toThrow(NotFoundError);
  });

  it('is accepted while frozen', () => {
    const state = activeTwo();
    const frozen = fold(decide(freeze, state), state)!;
    expect(statuses(fold(decide(rollback(1), frozen), frozen)!)).toEqual({ 1: 'Deploying', 2: 'Reverting' });
  });
});

describe('freeze and thaw', () => {
  it('freeze makes the environment Suspended; thaw restores the revision status', () => {
    const { state } = given(create(), deploy(1), freeze);
    expect(environmentSummary(state).status).toBe('Suspended');
    const thawed = fold(decide(thaw, state), state)!;
    expect(environmentSummary(thawed).status).toBe('Deploying');
  });

  it('freezing a frozen environment (and thawing a thawed one) decides nothing', () => {
    const { state } = given(create(), freeze);
    expect(decide(freeze, state)).toEqual([]);
    expect(decide(thaw, given(create()).state)).toEqual([]);
  });

  it('refuses an unknown environment', () => {
    expect(() => decide(freeze, undefined)).toThrow(NotFoundError);
  });
});

describe('the live state and the revision table', () => {
  it('compact drops retired and dormant revisions; changedRevisions reports what to write', () => {
    const { state: before } = given(create(), update(1, { TaskDefinition: 'log-daemon:2' }), update(2, { TaskDefinition: 'log-daemon:3' }));
    const events = decide(deploy(3), before);
    const after = fold(events, before)!;
    expect(changedRevisions(before, after).map((r) => [r.revision, r.status])).toEqual([[3, 'Deploying']]);
    // 1 and 2 were never deployed and are older than 3: dormant, out of the live state.
    expect(compact(after).revisions.map((r) => r.revision)).toEqual([3]);
  });

  it('a rollback to a retired revision brings it back into the live state', () => {
    const one = completed(given(create(), deploy(1)).state);
    const two = fold(decide(update(1, { TaskDefinition: 'log-daemon:2' }), one), one)!;
    const live = compact(completed(fold(decide(deploy(2), two), two)!));
    expect(live.revisions.map((r) => r.revision)).toEqual([2]);
    const after = fold(decide(rollback(1), live), live)!;
    expect(changedRevisions(live, after).map((r) => [r.revision, r.status])).toEqual([
      [1, 'Deploying'],
      [2, 'Reverting'],
    ]);
  });

  it('evolve counts versions and refuses events before creation', () => {
    const { state } = given(create(), deploy(1), freeze);
    expect(state.version).toBe(4);
    expect(() => evolve(undefined, { type: 'EnvironmentFrozen', at: AT })).toThrow();
  });
});

describe('deploymentId', () => {
  it('formats NAME:N@yyyyMMddHHmmssSS in UTC hundredths', () => {
    expect(deploymentId(NAME, 1, '2017-09-06T11:47:23.015Z')).toBe('SomeEnvironment/Prod:1@2017090611472301');
    expect(deploymentId(NAME, 12, '2026-01-02T03:04:05Z')).toBe('SomeEnvironment/Prod:12@2026010203040500');
  });
});

describe('the engine in the log', () => {
  const T0 = Date.parse(AT);
  const deployingTwo = () => {
    const one = fold([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 }], given(create(), deploy(1)).state)!;
    return fold(decide(deploy(2), fold(decide(update(1, { TaskDefinition: 'log-daemon:2' }), one), one)!), fold(decide(update(1, { TaskDefinition: 'log-daemon:2' }), one), one))!;
  };

  it('a deployment starts the planner with the target and the revisions it drains', () => {
    const state = deployingTwo();
    expect(state.engine).toMatchObject({
      revision: 2,
      taskDefinition: 'log-daemon:2',
      cluster: 'default',
      draining: [{ revision: 1, status: 'Undeploying' }],
      initial: false,
      epoch: state.epoch,
    });
  });

  it('counts, Stuck and Failing show in the revision table as in the walkthrough', () => {
    let state = deployingTwo();
    state = fold(
      [
        { type: 'RevisionCountsChanged', counts: [{ revision: 1, desired: 0, current: 3 }, { revision: 2, desired: 6, current: 3 }], at: T0 + 1000 },
        { type: 'DeploymentStuck', reason: 'RESOURCE:MEMORY', at: T0 + 2000 },
      ],
      state,
    )!;
    expect(state.revisions.map((r) => [r.revision, displayStatus(r), r.desired, r.current])).toEqual([
      [1, 'Undeploying', 0, 3],
      [2, 'Stuck', 6, 3],
    ]);
    state = fold([{ type: 'DeploymentFailing', reason: 'RESOURCE:MEMORY', at: T0 + 3000 }], state)!;
    expect(state.revisions.map((r) => [r.revision, displayStatus(r), r.statusReason])).toEqual([
      [1, 'Stuck', 'RESOURCE:MEMORY'],
      [2, 'Failing', 'RESOURCE:MEMORY'],
    ]);
    state = fold([{ type: 'DeploymentResumed', at: T0 + 4000 }], state)!;
    expect(state.revisions.map((r) => displayStatus(r))).toEqual(['Undeploying', 'Deploying']);
  });

  it('ServiceUpdateRefused: the latest refusal kept (its reason cut to 160 characters), counted per step; DeploymentResumed clears it; after the deployment it changes nothing', () => {
    const long = `InvalidParameterException: ${'x'.repeat(200)}`;
    let state = fold([{ type: 'ServiceUpdateRefused', key: 'svc-a-2-b', operation: 'CreateTaskSet', reason: long, at: T0 + 1000 }], deployingTwo())!;
    expect(state.engine?.serviceRefusal).toEqual({ key: 'svc-a-2-b', operation: 'CreateTaskSet', reason: `${long.slice(0, 159)}…`, at: T0 + 1000, count: 1 });
    // The same step sent again (`-r1`) and refused again: 2. Another step: 1 again.
    state = fold([{ type: 'ServiceUpdateRefused', key: 'svc-a-2-b-r1', operation: 'CreateTaskSet', reason: 'AccessDeniedException: no', at: T0 + 2000 }], state)!;
    expect(state.engine?.serviceRefusal).toMatchObject({ key: 'svc-a-2-b-r1', reason: 'AccessDeniedException: no', count: 2 });
    state = fold([{ type: 'ServiceUpdateRefused', key: 'svc-a-2-c', operation: 'ScaleTaskSet', reason: 'ClientException: no', at: T0 + 3000 }], state)!;
    expect(state.engine?.serviceRefusal).toMatchObject({ key: 'svc-a-2-c', operation: 'ScaleTaskSet', count: 1 });
    // The planner's doing, not the fold's: the revision table shows nothing until it says Stuck.
    expect(state.revisions.map((r) => displayStatus(r))).toEqual(['Undeploying', 'Deploying']);
    expect(fold([{ type: 'DeploymentResumed', at: T0 + 4000 }], state)!.engine?.serviceRefusal).toBeUndefined();
    const done = fold([{ type: 'DeploymentCompleted', revision: 2, retired: [{ revision: 1, status: 'Inactive' }], at: T0 + 5000 }], state)!;
    const late = fold([{ type: 'ServiceUpdateRefused', key: 'svc-a-2-c', operation: 'ScaleTaskSet', reason: 'ClientException: no', at: T0 + 6000 }], done)!;
    expect(late).toEqual({ ...done, version: done.version + 1, updatedAt: new Date(T0 + 6000).toISOString() });
  });

  it('completion: the target Active, the drained revision Inactive (or Reverted after a rollback)', () => {
    const done = fold([{ type: 'DeploymentCompleted', revision: 2, retired: [{ revision: 1, status: 'Inactive' }], at: T0 + 5000 }], deployingTwo())!;
    expect(done.revisions.map((r) => [r.revision, r.status, r.desired, r.current])).toEqual([
      [1, 'Inactive', 0, 0],
      [2, 'Active', 0, 0],
    ]);
    expect(done).toMatchObject({ activeRevision: 2, deployment: undefined, engine: undefined, hasBeenActive: true });
    expect(compact(done).revisions.map((r) => r.revision)).toEqual([2]);
  });

  it('freeze and thaw bump the epoch and freeze the planner; a rollback runs with the RollbackConfiguration', () => {
    const state = deployingTwo();
    const frozen = fold(decide(freeze, state), state)!;
    expect(frozen.epoch).toBe(state.epoch + 1);
    expect(frozen.engine?.frozen).toBe(true);
    const withRollback = fold(decide(update(2, { RollbackConfiguration: { MinHealthyPercent: 0, Method: 'Surge' } }), state), state)!;
    const rolled = decide(rollback(1), withRollback);
    expect(rolled).toMatchObject([{ type: 'RollbackStarted', target: { taskDefinition: 'log-daemon:1', configuration: { Method: 'Surge', MinHealthyPercent: 0 } } }]);
  });
});
