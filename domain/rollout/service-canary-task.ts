/**
 * The canary task of a Service deployment (seed 004, canarycage: "healthy targets being gone" is what a
 * broken service is): one task of the new revision joins the production target group first; it must read
 * `healthy` HealthyChecks times in a row before anything else moves. Any other read once it is registered,
 * or the task stopping, fails it: the deployment rolls back and nothing else has been touched.
 *
 * A pure state machine over target-health reads (ELBv2 DescribeTargetHealth: `initial`, `healthy`,
 * `unhealthy`, `unused`, `draining`, `unavailable`, `unhealthy.draining`; `absent` when the target is not
 * listed) and the task's stop:
 *
 *   Starting     not registered yet: `absent`, `unused`, `unavailable` → stay (the core's Stuck clock
 *                covers a task that never registers); `initial` → Registering; `healthy` → Checking 1;
 *                `unhealthy`, `draining`, `unhealthy.draining` → Failed.
 *   Registering  ELB's initial checks (`Elb.RegistrationInProgress`, `Elb.InitialHealthChecking`):
 *                `initial` → stay; `healthy` → Checking 1; anything else → Failed.
 *   Checking n   `healthy` → n + 1 (Passed at HealthyChecks); anything else → Failed. A healthy read less
 *                than `minIntervalMs` after the last one counted is not counted (two polls inside one
 *                health-check interval see the same check), nor does it fail.
 *   Passed, Failed  final: later reads change nothing.
 *   The task stopping, in any state but Passed → Failed.
 * `initial` is the one not-healthy read tolerated, and only before the first healthy read: a target
 * reads it while ELB runs its first checks; after a healthy read it cannot come back.
 *
 * Worked examples (HealthyChecks 3):
 *   absent, initial, initial, healthy, healthy, healthy → Passed at the 6th read (the 4th–6th are the three).
 *   initial, healthy, healthy, unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes:
 *     [502]) → Failed: "canary task: target unhealthy after 2 of 3 healthy checks (Target.ResponseCodeMismatch:
 *     Health checks failed with these codes: [502])".
 *   initial, healthy, then the task stops (EssentialContainerExited: Essential container in task exited) →
 *     Failed: "canary task stopped after 1 of 3 healthy checks (EssentialContainerExited: Essential container
 *     in task exited)".
 *   minIntervalMs 30 000: healthy at 0 s, 10 s, 30 s, 60 s → the 10 s read is not counted: 1 (0 s), 2 (30 s),
 *     3 (60 s) → Passed at 60 s.
 */
import { truncateReason } from './keys';

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining' | 'absent';

export type CanaryTaskRead =
  /** One DescribeTargetHealth read of the canary task's target (`reason`: ELB's reason code and description). */
  | { type: 'TargetHealth'; state: TargetHealthState; reason?: string | undefined; at: number }
  /** The canary task stopped (ECS's stop code and reason). */
  | { type: 'TaskStopped'; stopCode?: string | undefined; stoppedReason?: string | undefined; at: number };

export type CanaryTaskState =
  | { phase: 'Starting' }
  | { phase: 'Registering'; since: number }
  | { phase: 'Checking'; healthy: number; lastAt: number }
  | { phase: 'Passed'; at: number }
  | { phase: 'Failed'; reason: string; at: number };

export interface CanaryTaskSettings {
  /** Consecutive healthy reads needed, at least 1. */
  HealthyChecks: number;
  /** Healthy reads closer than this to the last one counted are not counted (the target group's interval). */
  minIntervalMs?: number | undefined;
}

export const CANARY_TASK_START: CanaryTaskState = { phase: 'Starting' };

function healthyChecks(settings: CanaryTaskSettings): number {
  return Math.max(1, Math.floor(settings.HealthyChecks));
}

function counted(state: CanaryTaskState): number {
  return state.phase === 'Checking' ? state.healthy : 0;
}

function fail(state: CanaryTaskState, settings: CanaryTaskSettings, what: string, detail: string | undefined, at: number): CanaryTaskState {
  const progress = `${counted(state)} of ${healthyChecks(settings)} healthy checks`;
  const where = state.phase === 'Checking' ? `after ${progress}` : `before its first healthy check`;
  return { phase: 'Failed', reason: truncateReason(`canary task${what} ${where}${detail ? ` (${detail})` : ''}`), at };
}

function healthy(state: CanaryTaskState, settings: CanaryTaskSettings, at: number): CanaryTaskState {
  const need = healthyChecks(settings);
  if (state.phase === 'Checking' && at - state.lastAt < (settings.minIntervalMs ?? 0)) return state;
  const n = counted(state) + 1;
  return n >= need ? { phase: 'Passed', at } : { phase: 'Checking', healthy: n, lastAt: at };
}

/** The next state after one read. */
export function stepCanaryTask(state: CanaryTaskState, read: CanaryTaskRead, settings: CanaryTaskSettings): CanaryTaskState {
  if (state.phase === 'Passed' || state.phase === 'Failed') return state;
  switch (read.type) {
    case 'TaskStopped': {
      const detail = [read.stopCode, read.stoppedReason].filter(Boolean).join(': ');
      return fail(state, settings, ' stopped', detail || undefined, read.at);
    }
    case 'TargetHealth':
      return onTargetHealth(state, read, settings);
    default: {
      const never: never = read;
      return never;
    }
  }
}

function onTargetHealth(
  state: Exclude<CanaryTaskState, { phase: 'Passed' | 'Failed' }>,
  read: Extract<CanaryTaskRead, { type: 'TargetHealth' }>,
  settings: CanaryTaskSettings,
): CanaryTaskState {
  const failed = () => fail(state, settings, `: target ${read.state}`, read.reason, read.at);
  switch (read.state) {
    case 'healthy':
      return healthy(state, settings, read.at);
    case 'initial':
      return state.phase === 'Checking' ? failed() : state.phase === 'Registering' ? state : { phase: 'Registering', since: read.at };
    case 'absent':
    case 'unused':
    case 'unavailable':
      return state.phase === 'Starting' ? state : failed();
    case 'unhealthy':
    case 'draining':
    case 'unhealthy.draining':
      return failed();
    default: {
      const never: never = read.state;
      return never;
    }
  }
}

/** Folds reads in order. */
export function foldCanaryTask(reads: readonly CanaryTaskRead[], settings: CanaryTaskSettings, from: CanaryTaskState = CANARY_TASK_START): CanaryTaskState {
  return reads.reduce((state, read) => stepCanaryTask(state, read, settings), from);
}

export type CanaryTaskVerdict =
  /** Nothing else moves yet. */
  | { kind: 'Hold'; healthy: number; of: number }
  /** The canary passed: the rollout goes on. */
  | { kind: 'Proceed' }
  /** Roll back now; nothing else was touched. */
  | { kind: 'RollBack'; reason: string };

export function canaryTaskVerdict(state: CanaryTaskState, settings: CanaryTaskSettings): CanaryTaskVerdict {
  switch (state.phase) {
    case 'Starting':
    case 'Registering':
    case 'Checking':
      return { kind: 'Hold', healthy: counted(state), of: healthyChecks(settings) };
    case 'Passed':
      return { kind: 'Proceed' };
    case 'Failed':
      return { kind: 'RollBack', reason: state.reason };
    default: {
      const never: never = state;
      return never;
    }
  }
}
