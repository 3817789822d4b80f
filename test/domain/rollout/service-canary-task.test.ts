/**
 * The canary task (seed 004): a state machine over target-health reads. Each row gives the reads in
 * order and the state they end in, worked out by hand from the transition table in the module's header.
 */
import { describe, expect, it } from 'vitest';
import type { CanaryTaskRead, CanaryTaskState, TargetHealthState } from '../../../domain/rollout/service-canary-task';
import { canaryTaskVerdict, foldCanaryTask, stepCanaryTask } from '../../../domain/rollout/service-canary-task';

const S = 1000;
/** Reads one second apart: 'healthy', 'initial', … or a stop ('stop'). */
function reads(...states: Array<TargetHealthState | 'stop'>): CanaryTaskRead[] {
  return states.map((state, i) =>
    state === 'stop'
      ? { type: 'TaskStopped', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', at: (i + 1) * S }
      : { type: 'TargetHealth', state, at: (i + 1) * S },
  );
}
const three = { HealthyChecks: 3 };

describe('canary task: the reads in order → the state', () => {
  it.each<{ name: string; reads: CanaryTaskRead[]; state: CanaryTaskState }>([
    {
      name: 'absent, initial ×2, healthy ×3 → Passed at the 6th read',
      reads: reads('absent', 'initial', 'initial', 'healthy', 'healthy', 'healthy'),
      state: { phase: 'Passed', at: 6 * S },
    },
    {
      name: 'unused and absent before registration: still Starting',
      reads: reads('absent', 'unused', 'unavailable'),
      state: { phase: 'Starting' },
    },
    {
      name: 'initial: Registering since the first initial read',
      reads: reads('absent', 'initial', 'initial'),
      state: { phase: 'Registering', since: 2 * S },
    },
    {
      name: 'healthy ×2: Checking 2',
      reads: reads('initial', 'healthy', 'healthy'),
      state: { phase: 'Checking', healthy: 2, lastAt: 3 * S },
    },
    {
      name: 'healthy straight away counts (the target registered between two reads)',
      reads: reads('absent', 'healthy', 'healthy', 'healthy'),
      state: { phase: 'Passed', at: 4 * S },
    },
    {
      name: 'unhealthy during the initial checks → Failed before its first healthy check',
      reads: reads('initial', 'unhealthy'),
      state: { phase: 'Failed', reason: 'canary task: target unhealthy before its first healthy check', at: 2 * S },
    },
    {
      name: 'initial after a healthy read → Failed',
      reads: reads('initial', 'healthy', 'initial'),
      state: { phase: 'Failed', reason: 'canary task: target initial after 1 of 3 healthy checks', at: 3 * S },
    },
    {
      name: 'the target vanishing after registration → Failed',
      reads: reads('initial', 'absent'),
      state: { phase: 'Failed', reason: 'canary task: target absent before its first healthy check', at: 2 * S },
    },
    {
      name: 'draining after two healthy reads → Failed',
      reads: reads('healthy', 'healthy', 'draining'),
      state: { phase: 'Failed', reason: 'canary task: target draining after 2 of 3 healthy checks', at: 3 * S },
    },
    {
      name: 'the task stopping after one healthy read → Failed, with ECS’s reason',
      reads: reads('initial', 'healthy', 'stop'),
      state: {
        phase: 'Failed',
        reason: 'canary task stopped after 1 of 3 healthy checks (EssentialContainerExited: Essential container in task exited)',
        at: 3 * S,
      },
    },
    {
      name: 'the task stopping before it registers → Failed',
      reads: reads('absent', 'stop'),
      state: {
        phase: 'Failed',
        reason: 'canary task stopped before its first healthy check (EssentialContainerExited: Essential container in task exited)',
        at: 2 * S,
      },
    },
    {
      name: 'Passed is final: a later unhealthy read or stop changes nothing',
      reads: reads('healthy', 'healthy', 'healthy', 'unhealthy', 'stop'),
      state: { phase: 'Passed', at: 3 * S },
    },
    {
      name: 'Failed is final: later healthy reads change nothing',
      reads: reads('unhealthy', 'healthy', 'healthy', 'healthy'),
      state: { phase: 'Failed', reason: 'canary task: target unhealthy before its first healthy check', at: 1 * S },
    },
  ])('$name', ({ reads: rs, state }) => {
    expect(foldCanaryTask(rs, three)).toEqual(state);
  });

  it('ELB’s reason is carried into the failure', () => {
    // Checking 2, then unhealthy with a reason code and description.
    const state = foldCanaryTask(
      [
        ...reads('initial', 'healthy', 'healthy'),
        { type: 'TargetHealth', state: 'unhealthy', reason: 'Target.ResponseCodeMismatch: Health checks failed with these codes: [502]', at: 4 * S },
      ],
      three,
    );
    expect(state).toEqual({
      phase: 'Failed',
      reason: 'canary task: target unhealthy after 2 of 3 healthy checks (Target.ResponseCodeMismatch: Health checks failed with these codes: [502])',
      at: 4 * S,
    });
  });

  it('HealthyChecks 1: the first healthy read passes', () => {
    expect(foldCanaryTask(reads('initial', 'healthy'), { HealthyChecks: 1 })).toEqual({ phase: 'Passed', at: 2 * S });
  });

  it('minIntervalMs: a healthy read inside the interval is neither counted nor a failure', () => {
    // healthy at 0 s (1), 10 s (< 30 s after 0 s: not counted), 30 s (2), 60 s (3) → Passed at 60 s.
    const at = (state: TargetHealthState, seconds: number): CanaryTaskRead => ({ type: 'TargetHealth', state, at: seconds * S });
    const settings = { HealthyChecks: 3, minIntervalMs: 30 * S };
    const after10 = foldCanaryTask([at('healthy', 0), at('healthy', 10)], settings);
    expect(after10).toEqual({ phase: 'Checking', healthy: 1, lastAt: 0 });
    expect(stepCanaryTask(stepCanaryTask(after10, at('healthy', 30), settings), at('healthy', 60), settings)).toEqual({ phase: 'Passed', at: 60 * S });
  });
});

describe('canaryTaskVerdict: hold, proceed, roll back', () => {
  it.each<{ state: CanaryTaskState; verdict: ReturnType<typeof canaryTaskVerdict> }>([
    { state: { phase: 'Starting' }, verdict: { kind: 'Hold', healthy: 0, of: 3 } },
    { state: { phase: 'Registering', since: S }, verdict: { kind: 'Hold', healthy: 0, of: 3 } },
    { state: { phase: 'Checking', healthy: 2, lastAt: S }, verdict: { kind: 'Hold', healthy: 2, of: 3 } },
    { state: { phase: 'Passed', at: S }, verdict: { kind: 'Proceed' } },
    { state: { phase: 'Failed', reason: 'canary task stopped', at: S }, verdict: { kind: 'RollBack', reason: 'canary task stopped' } },
  ])('$state.phase → $verdict.kind', ({ state, verdict }) => {
    expect(canaryTaskVerdict(state, three)).toEqual(verdict);
  });
});
