/**
 * given(events) / when(observation at a time) / then(events, actions) for the rollout, in the style
 * of Emmett's business-logic specs: the history is environment events (create, deploy, and what the
 * engine recorded), folded by the real decider; `when` runs `plan()` on the engine state and what
 * ECS shows; `then` reads the decision.
 *
 * Instances are `i1`, `i2`, … (ARN `…:container-instance/default/iN`), tasks `t1`, `t2`, …
 */
import type { EnvironmentEvent, EnvironmentState } from '../../../domain/environment';
import { fold } from '../../../domain/environment';
import type { Observed, ObservedInstance, ObservedTask, Plan, PlannerAction, PlannerEvent } from '../../../domain/rollout';
import { plan } from '../../../domain/rollout';
import type { DeploymentConfiguration } from '../../../domain/spec';
import { effectiveDeploymentConfiguration } from '../../../domain/spec';

export const NAME = 'SomeEnvironment/Prod';
export const T0 = Date.parse('2017-09-06T11:47:23.000Z');
const AT = new Date(T0).toISOString();

export const instanceArn = (n: number | string) => `arn:aws:ecs:us-east-1:123456789012:container-instance/default/i${n}`;
export const taskArn = (n: number | string) => `arn:aws:ecs:us-east-1:123456789012:task/default/t${n}`;

export function instances(count: number, from = 1): ObservedInstance[] {
  return Array.from({ length: count }, (_, i) => ({ arn: instanceArn(from + i), status: 'ACTIVE' as const }));
}

/** A task of `revision` on instance `n`: RUNNING and wanted unless said otherwise. */
export function task(n: number | string, revision: number, overrides: Partial<ObservedTask> = {}): ObservedTask {
  return {
    arn: taskArn(`${revision}-${n}`),
    instanceArn: instanceArn(n),
    revision,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    health: 'UNKNOWN',
    ...overrides,
  };
}

export const created = (configuration: DeploymentConfiguration = {}): EnvironmentEvent[] => [
  { type: 'EnvironmentCreated', name: NAME, at: AT },
  {
    type: 'RevisionCreated',
    revision: 1,
    spec: { Name: NAME, TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon', DeploymentConfiguration: configuration },
    at: AT,
  },
  {
    type: 'RevisionCreated',
    revision: 2,
    spec: { Name: NAME, TaskDefinition: 'log-daemon:2', DeploymentType: 'Daemon', DeploymentConfiguration: configuration },
    basedOn: 1,
    at: AT,
  },
];

/** Revision 1 Active, revision 2 deploying with `configuration` (not the first deployment). */
export function deploying(configuration: DeploymentConfiguration): EnvironmentEvent[] {
  const effective = effectiveDeploymentConfiguration({ DeploymentType: 'Daemon', DeploymentConfiguration: configuration });
  const target = (taskDefinition: string) => ({ taskDefinition, cluster: 'default', configuration: effective });
  return [
    ...created(configuration),
    { type: 'DeploymentStarted', deploymentId: `${NAME}:1@2017090611472300`, revision: 1, undeploying: [], initial: true, target: target('log-daemon:1'), at: AT },
    { type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 },
    { type: 'DeploymentStarted', deploymentId: `${NAME}:2@2017090611472300`, revision: 2, undeploying: [1], initial: false, target: target('log-daemon:2'), at: AT },
  ];
}

export interface Then {
  state: EnvironmentState;
  plan: Plan;
  events: PlannerEvent[];
  actions: PlannerAction[];
  /** Event types, in order. */
  types: string[];
  /** Instance numbers started, in order (`i3` → '3'). */
  started: string[];
  /** Task ids stopped, in order. */
  stopped: string[];
  /** The state after folding the plan's events. */
  next: EnvironmentState;
}

export function given(...history: EnvironmentEvent[][]) {
  const events = history.flat();
  const state = fold(events);
  if (!state?.engine) throw new Error('given: no deployment in progress');
  const engine = state.engine;
  return {
    state,
    when(observed: Partial<Observed> & { instances: ObservedInstance[] }, now = T0): Then {
      const p = plan(engine, { tasks: [], targetHealthChecked: false, ...observed }, now);
      const next = fold(p.events, state);
      if (!next) throw new Error('no state');
      return {
        state,
        plan: p,
        events: p.events,
        actions: p.actions,
        types: p.events.map((e) => e.type),
        started: p.actions.flatMap((a) => (a.type === 'StartTasks' ? a.instanceArns.map((arn) => arn.slice(arn.lastIndexOf('/i') + 2)) : [])),
        stopped: p.actions.flatMap((a) => (a.type === 'StopTasks' ? a.taskArns.map((arn) => arn.slice(arn.lastIndexOf('/') + 1)) : [])),
        next,
      };
    },
  };
}
