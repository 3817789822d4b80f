/**
 * Lifecycle hooks (interim: the full module with re-sends and its table tests comes from the hooks
 * branch). The hooks of a stage run one after another in list order; a hook's index in
 * DeploymentConfiguration.Hooks is its id.
 */
import { fnv1a64 } from '../identity';
import type { HookStage } from '../spec';
import type { PlannerAction, PlannerEvent, PlannerState } from './types';

export type HookGate =
  | { kind: 'Passed' }
  | { kind: 'Waiting'; events: PlannerEvent[]; actions: PlannerAction[]; wakeAt: number; reason: string }
  | { kind: 'Failed'; events: PlannerEvent[]; reason: string };

const functionName = (arn: string) => arn.split(':function:')[1]?.split(':')[0] ?? arn;

export function runHooks(state: PlannerState, stage: HookStage, now: number): HookGate {
  const hooks = (state.configuration.Hooks ?? []).map((h, index) => ({ ...h, index })).filter((h) => h.Stage === stage);
  for (const hook of hooks) {
    const record = state.hooks?.[String(hook.index)];
    const name = functionName(hook.FunctionArn);
    if (record?.answer?.status === 'SUCCEEDED') continue;
    if (record?.answer?.status === 'FAILED') return { kind: 'Failed', events: [], reason: `hook ${name} (${stage}) answered FAILED: ${record.answer.reason ?? 'no reason given'}` };
    const timeoutAt = (record?.startedAt ?? now) + hook.TimeoutSeconds * 1000;
    if (record && now >= timeoutAt) {
      return { kind: 'Failed', events: [], reason: `hook ${name} (${stage}) timed out after ${hook.TimeoutSeconds} s${record.answer ? ` (last answer ${record.answer.status})` : ''}` };
    }
    const again = record?.answer?.status === 'IN_PROGRESS' ? record.answer.at + (record.answer.callBackDelaySeconds ?? 30) * 1000 : undefined;
    if (!record || (again !== undefined && now >= again)) {
      const attempt = (record?.attempt ?? 0) + 1;
      const event: PlannerEvent = { type: 'HookInvoked', hook: hook.index, stage, functionArn: hook.FunctionArn, attempt, at: now };
      const action: PlannerAction = {
        type: 'InvokeHook',
        key: `hook-${fnv1a64(state.deploymentId)}-${state.epoch}-${hook.index}-${attempt}`,
        environment: state.environment,
        deploymentId: state.deploymentId,
        epoch: state.epoch,
        revision: state.revision,
        cluster: state.cluster,
        reason: `${stage} hook ${name} (attempt ${attempt})`,
        hook: hook.index,
        stage,
        functionArn: hook.FunctionArn,
        attempt,
      };
      return { kind: 'Waiting', events: [event], actions: [action], wakeAt: Math.min(timeoutAt, now + 30_000), reason: `${stage} hook ${name}: invoked (attempt ${attempt})` };
    }
    return { kind: 'Waiting', events: [], actions: [], wakeAt: Math.min(timeoutAt, again ?? now + 30_000), reason: `${stage} hook ${name}: ${record.answer ? `answered ${record.answer.status}` : 'waiting for its answer'}` };
  }
  return { kind: 'Passed' };
}
