/**
 * The deployment history projection (domain/history.ts): given the events of a log, then the list
 * `list-deployments` shows, newest first. Every expected record is worked out by hand from the events.
 */
import { describe, expect, it } from 'vitest';
import type { DeploymentTarget, EnvironmentEvent } from '../../domain/environment';
import type { DeploymentRecord, HistoryCursor } from '../../domain/history';
import { decide, fold } from '../../domain/environment';
import { deploymentHistory, foldBack } from '../../domain/history';

const T0 = Date.parse('2026-11-30T12:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const ms = (s: number) => T0 + s * 1000;
const OPS = 'arn:aws:iam::123456789012:user/ops';
const target: DeploymentTarget = {
  taskDefinition: 'log-daemon:1',
  cluster: 'default',
  configuration: { Method: 'Replace', MinHealthyPercent: 100, MaxOver: 1, StuckAfterSeconds: 300, FailingAfterSeconds: 900 } as DeploymentTarget['configuration'],
};
const id = (revision: number, s: number) => `Fleet:${revision}@${s}`;

const deploy = (revision: number, s: number, caller?: string): EnvironmentEvent => ({
  type: 'DeploymentStarted',
  deploymentId: id(revision, s),
  revision,
  undeploying: [],
  initial: false,
  target,
  ...(caller ? { caller } : {}),
  at: iso(s),
});
const rollback = (revision: number, s: number, extra: { trigger?: { kind: 'Alarm' | 'CircuitBreaker' | 'CanaryTask' | 'Abort'; reason: string }; caller?: string } = {}): EnvironmentEvent => ({
  type: 'RollbackStarted',
  deploymentId: id(revision, s),
  revision,
  reverting: [],
  undeploying: [],
  target,
  ...extra,
  at: iso(s),
});
const completed = (revision: number, s: number): EnvironmentEvent => ({ type: 'DeploymentCompleted', revision, retired: [], at: ms(s) });
const deletion = (revision: number, s: number, caller?: string): EnvironmentEvent => ({
  type: 'DeletionStarted',
  deletionId: `Fleet:delete@${s}`,
  revision,
  force: true,
  tasks: 5,
  target,
  ...(caller ? { caller } : {}),
  at: iso(s),
});
/** Events the history does not read: they must change nothing. */
const noise = (s: number): EnvironmentEvent[] => [
  { type: 'DeploymentProgressed', ready: 3, old: 2, at: ms(s) },
  { type: 'EnvironmentFrozen', at: iso(s) },
  { type: 'EnvironmentThawed', at: iso(s) },
];

const record = (r: Partial<DeploymentRecord> & Pick<DeploymentRecord, 'id' | 'revision' | 'kind' | 'startedAt' | 'outcome'>): DeploymentRecord => ({
  trigger: { kind: 'User', by: null, reason: null },
  endedAt: null,
  durationSeconds: null,
  reason: null,
  endedBy: null,
  ...r,
});

describe('deploymentHistory: given the events, then the deployments, newest first', () => {
  const cases: Array<{ name: string; given: EnvironmentEvent[]; then: DeploymentRecord[] }> = [
    { name: 'no deployment yet', given: [{ type: 'EnvironmentCreated', name: 'Fleet', at: iso(0) }], then: [] },
    {
      name: 'a deploy in progress',
      given: [deploy(1, 10, OPS), ...noise(20)],
      then: [record({ id: id(1, 10), revision: 1, kind: 'deploy', trigger: { kind: 'User', by: OPS, reason: null }, startedAt: iso(10), outcome: 'InProgress' })],
    },
    {
      name: 'a completed deploy: 60 s',
      given: [deploy(1, 10, OPS), ...noise(30), completed(1, 70)],
      then: [record({ id: id(1, 10), revision: 1, kind: 'deploy', trigger: { kind: 'User', by: OPS, reason: null }, startedAt: iso(10), endedAt: iso(70), durationSeconds: 60, outcome: 'Completed' })],
    },
    {
      name: 'an alarm rolls a deploy back: RolledBack with the alarm, and the rollback triggered by it',
      given: [
        deploy(2, 100),
        { type: 'RollbackTriggered', trigger: 'Alarm', reason: 'alarm web-5xx entered ALARM', to: 1, at: ms(150) },
        rollback(1, 160, { trigger: { kind: 'Alarm', reason: 'alarm web-5xx entered ALARM' } }),
        completed(1, 200.5),
      ],
      then: [
        record({ id: id(1, 160), revision: 1, kind: 'rollback', trigger: { kind: 'Alarm', by: null, reason: 'alarm web-5xx entered ALARM' }, startedAt: iso(160), endedAt: iso(200.5), durationSeconds: 40.5, outcome: 'Completed' }),
        record({ id: id(2, 100), revision: 2, kind: 'deploy', startedAt: iso(100), endedAt: iso(160), durationSeconds: 60, outcome: 'RolledBack', reason: 'alarm web-5xx entered ALARM', endedBy: id(1, 160) }),
      ],
    },
    {
      name: 'abort-deployment: the deploy RolledBack, the rollback triggered Abort by the caller',
      given: [
        deploy(2, 100, OPS),
        { type: 'DeploymentAborted', deploymentId: id(2, 100), to: 1, caller: OPS, reason: 'bad build', at: iso(130) },
        rollback(1, 130, { trigger: { kind: 'Abort', reason: `abort-deployment by ${OPS}: bad build` }, caller: OPS }),
      ],
      then: [
        record({ id: id(1, 130), revision: 1, kind: 'rollback', trigger: { kind: 'Abort', by: OPS, reason: `abort-deployment by ${OPS}: bad build` }, startedAt: iso(130), outcome: 'InProgress' }),
        record({ id: id(2, 100), revision: 2, kind: 'deploy', trigger: { kind: 'User', by: OPS, reason: null }, startedAt: iso(100), endedAt: iso(130), durationSeconds: 30, outcome: 'RolledBack', reason: `abort-deployment by ${OPS}: bad build`, endedBy: id(1, 130) }),
      ],
    },
    {
      name: 'rollback-environment by a person: RolledBack, the reason names the command and the caller',
      given: [deploy(2, 100), rollback(1, 110, { caller: OPS })],
      then: [
        record({ id: id(1, 110), revision: 1, kind: 'rollback', trigger: { kind: 'User', by: OPS, reason: null }, startedAt: iso(110), outcome: 'InProgress' }),
        record({ id: id(2, 100), revision: 2, kind: 'deploy', startedAt: iso(100), endedAt: iso(110), durationSeconds: 10, outcome: 'RolledBack', reason: `rollback-environment to revision 1 by ${OPS}`, endedBy: id(1, 110) }),
      ],
    },
    {
      name: 'a deploy superseded by the next; a rollback superseded by a deploy',
      given: [deploy(3, 300), deploy(4, 320, OPS), rollback(3, 330), deploy(5, 345)],
      then: [
        record({ id: id(5, 345), revision: 5, kind: 'deploy', startedAt: iso(345), outcome: 'InProgress' }),
        record({ id: id(3, 330), revision: 3, kind: 'rollback', startedAt: iso(330), endedAt: iso(345), durationSeconds: 15, outcome: 'Superseded', reason: 'deploy-environment of revision 5', endedBy: id(5, 345) }),
        record({ id: id(4, 320), revision: 4, kind: 'deploy', trigger: { kind: 'User', by: OPS, reason: null }, startedAt: iso(320), endedAt: iso(330), durationSeconds: 10, outcome: 'RolledBack', reason: 'rollback-environment to revision 3', endedBy: id(3, 330) }),
        record({ id: id(3, 300), revision: 3, kind: 'deploy', startedAt: iso(300), endedAt: iso(320), durationSeconds: 20, outcome: 'Superseded', reason: `deploy-environment of revision 4 by ${OPS}`, endedBy: id(4, 320) }),
      ],
    },
    {
      name: 'halted by the circuit breaker (Rollback: false), nothing ended it yet',
      given: [deploy(2, 100), { type: 'DeploymentStuck', reason: 'no progress', at: ms(120) }, { type: 'DeploymentHalted', trigger: 'CircuitBreaker', reason: 'circuit breaker: 3 of 3 new tasks stopped', at: ms(130) }],
      then: [record({ id: id(2, 100), revision: 2, kind: 'deploy', startedAt: iso(100), outcome: 'Halted', reason: 'circuit breaker: 3 of 3 new tasks stopped' })],
    },
    {
      name: 'Stuck, then Failing: the newest health shows',
      given: [deploy(2, 100), { type: 'DeploymentStuck', reason: 'no progress for 300 s', at: ms(400) }, { type: 'DeploymentFailing', reason: 'Stuck for 900 s', at: ms(1300) }],
      then: [record({ id: id(2, 100), revision: 2, kind: 'deploy', startedAt: iso(100), outcome: 'Failing', reason: 'Stuck for 900 s' })],
    },
    {
      name: 'Stuck, then resumed: InProgress again',
      given: [deploy(2, 100), { type: 'DeploymentStuck', reason: 'no progress for 300 s', at: ms(400) }, { type: 'DeploymentResumed', at: ms(420) }],
      then: [record({ id: id(2, 100), revision: 2, kind: 'deploy', startedAt: iso(100), outcome: 'InProgress' })],
    },
    {
      name: 'Stuck, then completed: Completed (health only matters while it runs)',
      given: [deploy(2, 100), { type: 'DeploymentStuck', reason: 'no progress', at: ms(400) }, completed(2, 500)],
      then: [record({ id: id(2, 100), revision: 2, kind: 'deploy', startedAt: iso(100), endedAt: iso(500), durationSeconds: 400, outcome: 'Completed' })],
    },
    {
      name: 'delete-environment --force during a deploy: the deploy Superseded, the deletion Completed',
      given: [deploy(2, 100), deletion(2, 150, OPS), { type: 'DeletionCompleted', at: ms(190) }],
      then: [
        record({ id: 'Fleet:delete@150', revision: 2, kind: 'delete', trigger: { kind: 'User', by: OPS, reason: null }, startedAt: iso(150), endedAt: iso(190), durationSeconds: 40, outcome: 'Completed' }),
        record({ id: id(2, 100), revision: 2, kind: 'deploy', startedAt: iso(100), endedAt: iso(150), durationSeconds: 50, outcome: 'Superseded', reason: `delete-environment by ${OPS}`, endedBy: 'Fleet:delete@150' }),
      ],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      expect(deploymentHistory(c.given)).toEqual(c.then);
    });
  }
});

describe('foldBack: stopping anywhere and going on from the cursor gives the same history', () => {
  const log: EnvironmentEvent[] = [
    deploy(1, 10, OPS),
    ...noise(20),
    completed(1, 70),
    deploy(2, 100),
    { type: 'RollbackTriggered', trigger: 'Alarm', reason: 'alarm web-5xx entered ALARM', to: 1, at: ms(150) },
    rollback(1, 160, { trigger: { kind: 'Alarm', reason: 'alarm web-5xx entered ALARM' } }),
    completed(1, 200),
    deploy(3, 300),
    deploy(4, 320),
    { type: 'DeploymentStuck', reason: 'no progress', at: ms(400) },
  ];

  it('for every split point, the cursor carried across (as JSON, as the API token carries it)', () => {
    const whole = deploymentHistory(log);
    expect(whole.map((r) => `${r.kind} ${r.revision} ${r.outcome}`)).toEqual(['deploy 4 Stuck', 'deploy 3 Superseded', 'rollback 1 Completed', 'deploy 2 RolledBack', 'deploy 1 Completed']);
    for (let split = 0; split <= log.length; split++) {
      const records: DeploymentRecord[] = [];
      let cursor: HistoryCursor = {};
      for (let i = log.length - 1; i >= split; i--) {
        const step = foldBack(cursor, log[i]!);
        cursor = step.cursor;
        if (step.record) records.push(step.record);
      }
      cursor = JSON.parse(JSON.stringify(cursor)) as HistoryCursor;
      for (let i = split - 1; i >= 0; i--) {
        const step = foldBack(cursor, log[i]!);
        cursor = step.cursor;
        if (step.record) records.push(step.record);
      }
      expect(records, `split at ${split}`).toEqual(whole);
    }
  });
});

describe('the decider records who started a deployment (the history\'s Trigger.By)', () => {
  const spec = { Name: 'Fleet', TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon' as const };
  const created = fold([
    { type: 'EnvironmentCreated', name: 'Fleet', at: iso(0) },
    { type: 'RevisionCreated', revision: 1, spec, at: iso(0) },
    { type: 'RevisionCreated', revision: 2, spec: { ...spec, TaskDefinition: 'log-daemon:2' }, basedOn: 1, at: iso(1) },
  ])!;

  it('deploy-environment, rollback-environment and delete-environment carry the caller; without one, none', () => {
    const deployed = decide({ type: 'DeployRevision', name: 'Fleet', revision: 1, targetSpec: spec, caller: OPS, at: iso(10) }, created);
    expect(deployed).toMatchObject([{ type: 'DeploymentStarted', revision: 1, caller: OPS }]);
    const deploying = fold([...deployed, { type: 'DeploymentCompleted', revision: 1, retired: [], at: ms(20) }], created)!;
    const second = decide({ type: 'DeployRevision', name: 'Fleet', revision: 2, at: iso(30) }, deploying);
    expect(second[0]).not.toHaveProperty('caller');
    const rollback = decide({ type: 'RollbackToRevision', name: 'Fleet', revision: 1, targetSpec: spec, caller: OPS, at: iso(40) }, fold(second, deploying)!);
    expect(rollback).toMatchObject([{ type: 'RollbackStarted', revision: 1, caller: OPS }]);
    const deletion = decide({ type: 'DeleteEnvironment', name: 'Fleet', force: true, caller: OPS, at: iso(50) }, fold(rollback, fold(second, deploying)!)!);
    expect(deletion).toMatchObject([{ type: 'DeletionStarted', caller: OPS }]);
  });

  it('abort-deployment: the rollback it starts carries the caller too', () => {
    const active = fold([...decide({ type: 'DeployRevision', name: 'Fleet', revision: 1, targetSpec: spec, at: iso(10) }, created), { type: 'DeploymentCompleted', revision: 1, retired: [], at: ms(20) }], created)!;
    const deploying = fold(decide({ type: 'DeployRevision', name: 'Fleet', revision: 2, at: iso(30) }, active), active)!;
    const events = decide({ type: 'AbortDeployment', name: 'Fleet', caller: OPS, reason: 'bad build', targetSpec: spec, at: iso(40) }, deploying);
    expect(events).toMatchObject([{ type: 'DeploymentAborted', caller: OPS }, { type: 'RollbackStarted', revision: 1, caller: OPS, trigger: { kind: 'Abort' } }]);
    expect(deploymentHistory([...events])[0]).toMatchObject({ kind: 'rollback', trigger: { kind: 'Abort', by: OPS, reason: `abort-deployment by ${OPS}: bad build` } });
  });
});
