/**
 * Which environments an inbound event concerns. A task event names its `startedBy` (one value per
 * environment); a container-instance event concerns every environment deploying on that cluster;
 * a tick concerns every environment with a deployment in progress; an alarm event every environment
 * watching the alarm. The event log answers each from an index: the projections with a deployment in
 * progress (`adapters/event-log.ts`, "Routing"), or the alarm index (alarm name → environments).
 */
import type { EnvironmentState } from '../../domain/environment';
import { servingService, watchedAlarms } from '../../domain/environment';
import { SERVICE_GROUP_PREFIX, serviceGroupOf, startedByOf } from '../../domain/identity';
import type { EventLog } from '../ports';

export type EngineTrigger =
  /** `startedBy`: the task's, or for a task of an ECS service, its group (`service:<name>`, `serviceGroupOf`). */
  | { kind: 'task'; clusterArn: string; startedBy?: string | undefined }
  | { kind: 'containerInstance'; clusterArn: string }
  /** A CloudWatch alarm changed state: the environments watching it (the alarm index). */
  | { kind: 'alarm'; alarmName: string }
  | { kind: 'tick' };

/** Cluster names and ARNs both identify a cluster: compare by name. */
export function clusterName(clusterOrArn: string): string {
  return clusterOrArn.slice(clusterOrArn.lastIndexOf('/') + 1);
}

export function concerns(state: EnvironmentState, trigger: EngineTrigger): boolean {
  const engine = state.engine;
  if (!engine) {
    // A Service at rest: its tasks' events and the tick (the counts ECS has; Application Auto Scaling).
    const serving = servingService(state);
    if (!serving) return false;
    if (trigger.kind === 'tick') return true;
    return trigger.kind === 'task' && clusterName(serving.cluster) === clusterName(trigger.clusterArn) && trigger.startedBy === serviceGroupOf(serving.name);
  }
  switch (trigger.kind) {
    case 'tick':
      return true;
    case 'containerInstance':
      return clusterName(engine.cluster) === clusterName(trigger.clusterArn);
    case 'task':
      return (
        clusterName(engine.cluster) === clusterName(trigger.clusterArn) &&
        trigger.startedBy === (engine.service ? serviceGroupOf(engine.service.name) : startedByOf(state.name))
      );
    case 'alarm':
      return watchedAlarms(state).includes(trigger.alarmName);
    default: {
      const never: never = trigger;
      throw new Error(`unexpected trigger ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Every environment the trigger concerns, by name: one query of the deploying index, never a list of
 * every environment — the one deploying on the event's cluster whose startedBy the task carries (a
 * task event), every one deploying on the cluster (a container-instance event), every one deploying
 * (a tick). The same answer as `concerns` over every environment.
 */
export async function environmentsFor(eventLog: EventLog, trigger: EngineTrigger): Promise<string[]> {
  if (trigger.kind === 'alarm') return eventLog.environmentsWatching(trigger.alarmName);
  const query =
    trigger.kind === 'tick'
      ? {}
      : trigger.kind === 'containerInstance'
        ? { cluster: clusterName(trigger.clusterArn) }
        : trigger.startedBy === undefined
          ? undefined
          : { cluster: clusterName(trigger.clusterArn), startedBy: trigger.startedBy };
  if (!query) return [];
  const deploying = await eventLog.deployingEnvironments(query);
  // Services at rest (Application Auto Scaling's counts): ticks and their tasks' events, not instance
  // events. A service's group is one environment's, deploying or at rest: while it deploys, its tasks'
  // events cost the one query they always did.
  const atRest =
    trigger.kind === 'tick' || (trigger.kind === 'task' && deploying.length === 0 && trigger.startedBy?.startsWith(SERVICE_GROUP_PREFIX))
      ? await eventLog.servingEnvironments(query)
      : [];
  return [...new Set([...deploying, ...atRest].map((e) => e.environment))].sort();
}
