/**
 * The engine's picture of the cluster between full looks (domain/rollout/observation.ts): given a
 * picture, when ECS's changes arrive (late, twice, out of order), then the picture the planner sees.
 * Expected values are worked out by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import type { Observation, ObservationChange, ObservedService, PlannerState, TaskChange, TaskSighting } from '../../../domain/rollout';
import {
  afterFullLook,
  applyDelta,
  confirmationReason,
  fold,
  FULL_LOOK_EVERY_MS,
  fullLookReason,
  HEALTH_POLL_MS,
  healthToLookUp,
  observationDelta,
  observedFrom,
  parseTaskGroup,
  prune,
  serviceLook,
  STOPPED_KEPT_MS,
  taskGroup,
  toDescribe,
  vanished,
} from '../../../domain/rollout';

const NOW = Date.parse('2024-01-01T12:00:00.000Z');
const I1 = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/i1';
const I2 = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/i2';
const T1 = 'arn:aws:ecs:us-east-1:123456789012:task/default/t1';
const T2 = 'arn:aws:ecs:us-east-1:123456789012:task/default/t2';

const engine = (more: Partial<PlannerState> = {}) => ({ deploymentId: 'E:2@1', environment: 'E', query: 'attribute:stack == prod', ...more }) as PlannerState;

const sighting = (arn: string, more: Partial<TaskSighting> = {}): TaskSighting => ({
  arn,
  instanceArn: I1,
  revision: 1,
  actionKey: 'k0',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  health: 'UNKNOWN',
  version: 3,
  ...more,
});

/** Given: a picture taken at NOW for deployment E:2@1, i1 ACTIVE, t1 revision 1 RUNNING version 3. */
const given = (more: Partial<Observation> = {}): Observation => ({
  ...afterFullLook(engine(), { instances: [{ arn: I1, status: 'ACTIVE' }], tasks: [sighting(T1)] }, NOW),
  ...more,
});

const task = (arn: string, version: number, more: Partial<TaskChange> = {}): TaskChange => ({
  kind: 'task',
  arn,
  instanceArn: I1,
  group: 'blox:1:k0',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  health: 'UNKNOWN',
  version,
  ...more,
});

const instance = (arn: string, status: string, attributes: Record<string, string>, version = 1): ObservationChange => ({ kind: 'instance', arn, status, facts: { attributes }, version });
const statusOf = (picture: Observation, arn: string) => picture.instances.get(arn)?.status;

describe('task groups: the revision and launch of a task, read off its events', () => {
  it.each([
    ['blox:2:start-ab-2-cd-0', { revision: 2, actionKey: 'start-ab-2-cd-0' }],
    ['blox:12:k', { revision: 12, actionKey: 'k' }],
    ['blox:blox-0123456789abcdef', undefined], // the group an older Blox set: no revision in it
    ['family:log-daemon', undefined],
    ['blox:0:k', undefined], // revisions start at 1
    [undefined, undefined],
  ])('parseTaskGroup(%s)', (group, expected) => {
    expect(parseTaskGroup(group)).toEqual(expected);
  });

  it('taskGroup writes what parseTaskGroup reads, within ECS 255 characters', () => {
    expect(taskGroup(2, 'start-0123456789abcdef-2-0123456789abcdef-0')).toBe('blox:2:start-0123456789abcdef-2-0123456789abcdef-0');
    expect(parseTaskGroup(taskGroup(7, 'stop-x'))).toEqual({ revision: 7, actionKey: 'stop-x' });
  });
});

describe('when a full look is due', () => {
  it.each([
    ['no picture', undefined, engine(), NOW, 'no picture of the cluster yet'],
    ['a picture of this deployment, 1 s old', given(), engine(), NOW + 1_000, undefined],
    ['a picture of another deployment', given(), engine({ deploymentId: 'E:3@2' }), NOW + 1_000, 'a new deployment'],
    ['the instance group changed', given(), engine({ query: 'attribute:stack == dev' }), NOW + 1_000, 'the instance group changed'],
    ['9 min 59 s old', given(), engine(), NOW + FULL_LOOK_EVERY_MS - 1_000, undefined],
    ['10 min old: the backstop for a lost event', given(), engine(), NOW + FULL_LOOK_EVERY_MS, 'the last full look is 600 s old'],
  ])('%s', (_name, picture, planner, now, expected) => {
    expect(fullLookReason(picture, planner, now)).toBe(expected);
  });

  it('a picture looked at before the engine that must trust it started (the local stack restarted) is looked at again', () => {
    expect(fullLookReason(given(), engine(), NOW + 1_000, NOW + 500)).toBe('the picture predates this engine: changes may have been lost');
    expect(fullLookReason(given(), engine(), NOW + 1_000, NOW)).toBeUndefined();
  });
});

describe('folding changes into the picture', () => {
  it('a newer version wins; a late older one is dropped; a STOPPED task never comes back', () => {
    // t1: version 5 STOPPED, then (late) version 4 RUNNING/desired STOPPED → stays STOPPED version 5.
    const after = fold(given(), [task(T1, 5, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedAt: NOW + 5_000 }), task(T1, 4, { desiredStatus: 'STOPPED' })], engine());
    expect(after.tasks.get(T1)).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', version: 5, stopCode: 'UserInitiated' });
  });

  it('the same change delivered twice is the same picture', () => {
    const change = task(T2, 1, { group: 'blox:2:k1', lastStatus: 'PENDING' });
    expect(fold(given(), [change, change], engine())).toEqual(fold(given(), [change], engine()));
  });

  it('a new task takes its revision and launch from its group', () => {
    const after = fold(given(), [task(T2, 1, { group: 'blox:2:k1', lastStatus: 'PENDING' })], engine());
    expect(after.tasks.get(T2)).toMatchObject({ revision: 2, actionKey: 'k1', lastStatus: 'PENDING', instanceArn: I1 });
    // The picture folded into is left as it was.
    expect(given().tasks.has(T2)).toBe(false);
  });

  it('a task whose group says nothing is described at the next reconcile, not guessed', () => {
    const after = fold(given(), [task(T2, 1, { group: 'blox:blox-0123456789abcdef' })], engine());
    expect(after.tasks.has(T2)).toBe(false);
    expect([...after.toLookUp]).toEqual([T2]);
  });

  it('an instance joins, drains and leaves the group as its events say (the query evaluated on their facts)', () => {
    const joined = fold(given(), [instance(I2, 'ACTIVE', { stack: 'prod' }, 1)], engine());
    expect(statusOf(joined, I2)).toBe('ACTIVE');
    const other = fold(given(), [instance(I2, 'ACTIVE', { stack: 'dev' }, 1)], engine());
    expect(statusOf(other, I2)).toBe('OUT');
    const draining = fold(joined, [instance(I2, 'DRAINING', { stack: 'prod' }, 2)], engine());
    expect(statusOf(draining, I2)).toBe('DRAINING');
    const gone = fold(draining, [instance(I2, 'INACTIVE', { stack: 'prod' }, 3)], engine());
    expect(statusOf(gone, I2)).toBe('INACTIVE');
    // An attribute taken off moves it out; put back, in again.
    const retagged = fold(joined, [instance(I2, 'ACTIVE', {}, 2)], engine());
    expect(statusOf(retagged, I2)).toBe('OUT');
    expect(statusOf(fold(retagged, [instance(I2, 'ACTIVE', { stack: 'prod' }, 3)], engine()), I2)).toBe('ACTIVE');
    // The planner sees the ACTIVE and DRAINING ones only.
    expect(observedFrom(fold(given(), [instance(I2, 'ACTIVE', { stack: 'dev' }, 1)], engine()), false).instances).toEqual([{ arn: I1, status: 'ACTIVE' }]);
  });

  it('instance events out of order: the newer version wins, and an instance gone INACTIVE does not come back', async () => {
    // Versions 2 (DRAINING) then, late, 1 (ACTIVE): DRAINING.
    expect(statusOf(fold(given(), [instance(I2, 'DRAINING', { stack: 'prod' }, 2), instance(I2, 'ACTIVE', { stack: 'prod' }, 1)], engine()), I2)).toBe('DRAINING');
    // INACTIVE (version 5), then a duplicate of an ACTIVE event with a higher version number than ECS would ever send after it: still gone.
    expect(statusOf(fold(given(), [instance(I2, 'INACTIVE', { stack: 'prod' }, 5), instance(I2, 'ACTIVE', { stack: 'prod' }, 6)], engine()), I2)).toBe('INACTIVE');
  });

  it('a query on task:group cannot be answered from an instance event: the instances are listed again', () => {
    const planner = engine({ query: 'task:group == service:web' });
    const after = fold(given(), [instance(I2, 'ACTIVE', { stack: 'prod' })], planner);
    expect(after.relist).toBe(true);
    expect(after.instances.has(I2)).toBe(false);
  });
});

describe('after a full look', () => {
  it('the tasks the RUNNING listing no longer shows are the ones to describe (they stopped)', () => {
    const previous = given({ tasks: new Map([[T1, sighting(T1)], [T2, sighting(T2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })]]) });
    // t1 is not listed any more; t2 was already STOPPED: only t1 is described.
    expect(vanished(previous, [])).toEqual([T1]);
    expect(vanished(previous, [sighting(T1)])).toEqual([]);
  });

  it('a listed task the old picture has RUNNING (desired RUNNING) is not described again — unless the revision has a health check', () => {
    const T3 = 'arn:aws:ecs:us-east-1:123456789012:task/default/t3';
    const T4 = 'arn:aws:ecs:us-east-1:123456789012:task/default/t4';
    const previous = given({
      tasks: new Map([
        [T1, sighting(T1)],
        [T2, sighting(T2, { lastStatus: 'PENDING' })],
        [T3, sighting(T3, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })],
      ]),
    });
    // Listed t1, t2, t4: t1 is vouched for (RUNNING/RUNNING); t2 was PENDING (it may be RUNNING now);
    // t4 is unknown. With a health check, t1's verdict may have changed: all three are described.
    expect(toDescribe(previous, [T1, T2, T4], false)).toEqual({ describe: [T2, T4], known: [sighting(T1)] });
    expect(toDescribe(previous, [T1, T2, T4], true)).toEqual({ describe: [T1, T2, T4], known: [] });
    // A task the picture saw asked to stop (desired STOPPED) but listed as wanting to run is described.
    const stopping = given({ tasks: new Map([[T1, sighting(T1, { desiredStatus: 'STOPPED' })]]) });
    expect(toDescribe(stopping, [T1], false)).toEqual({ describe: [T1], known: [] });
  });
});

describe('health and forgetting', () => {
  it('tasks running without a verdict are described again, at most every HEALTH_POLL_MS, and only with a health check', () => {
    const picture = given({ healthLookedAt: NOW });
    expect(healthToLookUp(picture, true, NOW + HEALTH_POLL_MS - 1)).toEqual([]);
    expect(healthToLookUp(picture, true, NOW + HEALTH_POLL_MS)).toEqual([T1]);
    expect(healthToLookUp(picture, false, NOW + HEALTH_POLL_MS)).toEqual([]);
    const healthy = given({ healthLookedAt: NOW, tasks: new Map([[T1, sighting(T1, { health: 'HEALTHY' })]]) });
    expect(healthToLookUp(healthy, true, NOW + HEALTH_POLL_MS)).toEqual([]);
  });

  it('a stopped task is forgotten an hour after it stopped, as ECS forgets it', () => {
    const stopped = () => given({ tasks: new Map([[T1, sighting(T1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: NOW })]]) });
    expect(prune(stopped(), NOW + STOPPED_KEPT_MS).tasks.has(T1)).toBe(true);
    expect(prune(stopped(), NOW + STOPPED_KEPT_MS + 1).tasks.has(T1)).toBe(false);
  });

  it('the planner sees the instances and tasks, without versions', () => {
    expect(observedFrom(given(), true)).toEqual({
      instances: [{ arn: I1, status: 'ACTIVE' }],
      tasks: [{ arn: T1, instanceArn: I1, revision: 1, actionKey: 'k0', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', health: 'UNKNOWN' }],
      targetHealthChecked: true,
    });
  });
});

describe('deltas: what a reconcile changed, for the store to write', () => {
  it('names the sightings a fold replaced or added, and those pruned; applied to the old picture it gives the new one', () => {
    // Given i1 and t1 (version 3). Changes: i2 joins (ACTIVE, facts match), t1 version 4 STOPPED at
    // NOW − 2 h (so prune forgets it), t2 version 1 PENDING, and a late t1 version 2 (dropped).
    const before = given();
    const folded = fold(
      before,
      [
        instance(I2, 'ACTIVE', { stack: 'prod' }, 7),
        task(T1, 4, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: NOW - 2 * 60 * 60_000 }),
        task(T2, 1, { group: 'blox:2:k1', lastStatus: 'PENDING' }),
        task(T1, 2),
      ],
      engine(),
    );
    const after = prune(folded, NOW);
    const delta = observationDelta(before, after);
    // i1 is the same object in both pictures: not named. t1 was replaced, then forgotten: gone.
    expect(delta.instances).toEqual([[I2, { status: 'ACTIVE', version: 7 }]]);
    expect(delta.instancesGone).toEqual([]);
    expect(delta.tasks.map((t) => [t.arn, t.revision, t.lastStatus, t.version])).toEqual([[T2, 2, 'PENDING', 1]]);
    expect(delta.tasksGone).toEqual([T1]);
    expect(applyDelta(before, delta)).toEqual(after);
  });

  it('a change that is older than the picture makes an empty delta', () => {
    const before = given();
    const delta = observationDelta(before, fold(before, [task(T1, 2)], engine()));
    expect([delta.instances, delta.instancesGone, delta.tasks, delta.tasksGone]).toEqual([[], [], [], []]);
  });
});

describe('plans confirmed on a full look before they are recorded', () => {
  const planned = (...types: string[]) => ({ events: types.map((type) => ({ type, at: NOW })) }) as never;
  it.each([
    [['DeploymentCompleted'], false, 'confirming the deployment is complete'],
    [['LaunchesLost', 'LaunchesPlanned'], false, 'confirming launches are lost (their task events may not have arrived yet)'],
    [['LaunchesLost'], true, undefined],
    [['DeploymentCompleted'], true, undefined],
    [['LaunchesSettled', 'StopsPlanned'], false, undefined],
  ])('%j on a full look: %s → %s', (types, lookedInFull, reason) => {
    expect(confirmationReason(planned(...types), lookedInFull)).toBe(reason);
  });
});

describe("serviceLook: a Service's tasks kept for the dashboard", () => {
  const service = (sets: Array<{ revision?: number; tasks: ObservedService['taskSets'][number]['tasks'] }>): ObservedService => ({
    status: 'ACTIVE',
    desiredCount: 2,
    events: [],
    taskSets: sets.map((set, i) => ({ id: `ts-${i}`, status: i === 0 ? 'PRIMARY' : 'ACTIVE', scale: 100, computedDesiredCount: 2, ...(set.revision ? { revision: set.revision } : {}), tasks: set.tasks })),
  });
  const running = { lastStatus: 'RUNNING' as const, desiredStatus: 'RUNNING' as const };

  it('given t1 of revision 1 kept; when the look shows t1 ready and t2 of revision 2 starting: t1 the same object, t2 new, changed; the same look again: unchanged', () => {
    const first = serviceLook(engine(), undefined, service([{ revision: 1, tasks: [{ arn: T1, ...running, ready: true }] }]), NOW);
    expect(first.changed).toBe(true);
    expect([...first.observation.tasks.values()]).toEqual([{ arn: T1, instanceArn: '', revision: 1, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', health: 'HEALTHY', version: 0 }]);

    const look = service([
      { revision: 1, tasks: [{ arn: T1, ...running, ready: true }] },
      { revision: 2, tasks: [{ arn: T2, lastStatus: 'PENDING', desiredStatus: 'RUNNING', ready: false, target: { state: 'initial' } }] },
    ]);
    const second = serviceLook(engine(), first.observation, look, NOW + 1000);
    expect(second.changed).toBe(true);
    expect(second.observation.tasks.get(T1)).toBe(first.observation.tasks.get(T1));
    expect(second.observation.tasks.get(T2)).toMatchObject({ revision: 2, lastStatus: 'PENDING', health: 'UNKNOWN' });
    // Only t2 goes to the store
    expect(observationDelta(first.observation, second.observation)).toMatchObject({ tasks: [{ arn: T2 }], tasksGone: [] });

    expect(serviceLook(engine(), second.observation, look, NOW + 2000).changed).toBe(false);
  });

  it('an unhealthy target is UNHEALTHY; a task gone is a change; a task set Blox did not make is revision 0; a picture of another deployment is not reused', () => {
    const kept = serviceLook(engine(), undefined, service([{ revision: 1, tasks: [{ arn: T1, ...running, ready: true }, { arn: T2, ...running, ready: true }] }]), NOW).observation;
    const unhealthy = serviceLook(engine(), kept, service([{ revision: 1, tasks: [{ arn: T1, ...running, ready: false, target: { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' } }, { arn: T2, ...running, ready: true }] }]), NOW);
    expect([unhealthy.changed, unhealthy.observation.tasks.get(T1)?.health]).toEqual([true, 'UNHEALTHY']);
    const gone = serviceLook(engine(), kept, service([{ revision: 1, tasks: [{ arn: T1, ...running, ready: true }] }]), NOW);
    expect([gone.changed, [...gone.observation.tasks.keys()]]).toEqual([true, [T1]]);
    const foreign = serviceLook(engine(), kept, service([{ tasks: [{ arn: T1, ...running, ready: true }] }]), NOW);
    expect(foreign.observation.tasks.get(T1)?.revision).toBe(0);
    const other = serviceLook(engine({ deploymentId: 'E:3@2' }), kept, service([{ revision: 1, tasks: [{ arn: T1, ...running, ready: true }, { arn: T2, ...running, ready: true }] }]), NOW);
    expect(other.changed).toBe(true);
    expect(other.observation.tasks.get(T1)).not.toBe(kept.tasks.get(T1));
  });
});
