/** The rollout: a small core (core.ts, bookkeeping.ts) plus one file per strategy. */
export * from './types';
export * from './keys';
export * from './bookkeeping';
export { plan, stoppedAbnormally } from './core';
export { planReplace } from './daemon-replace';
export type { ReplaceCandidate, ReplaceInput, ReplaceMoves } from './daemon-replace';
export { planSurge } from './daemon-surge';
export type { SurgeInput } from './daemon-surge';
export { relevant, JOINED_RECENTLY_MS } from './relevance';
export type { EcsChange } from './relevance';
export * from './observation';
export { planScale, planService, SCALE_ACTION, scalePercent, SERVICE_POLL_MS, splitTaskSets, taskSetView, describeOperations } from './service';
export { describeRollingStep, planRolling, rollingLimits } from './service-rolling';
export type { RollingInput, RollingLimits, RollingStep, TaskSetMove, TaskSetView } from './service-rolling';
export { breakerThreshold, breakerVerdict, countBreakerFailures, countsAgainstRevision, describeBreakerVerdict, MAX_BREAKER_RECORDS, newBreakerRecord, stopCause } from './circuit-breaker';
export type { BreakerRecord, BreakerSettings, BreakerVerdict, FailedTasksSetting, StopCause, StoppedTargetTask } from './circuit-breaker';
export { CANARY_TASK_START, canaryTaskVerdict, foldCanaryTask, stepCanaryTask } from './service-canary-task';
export type { CanaryTaskRead, CanaryTaskSettings, CanaryTaskState, CanaryTaskVerdict, TargetHealthState } from './service-canary-task';
