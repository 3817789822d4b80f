/**
 * Which environments an inbound event concerns. A task event names its `startedBy` (one value per
 * environment); a container-instance event concerns every environment deploying on that cluster;
 * a tick concerns every environment with a deployment in progress.
 */
import type { EnvironmentState } from '../../domain/environment';
import { startedByOf } from '../../domain/identity';
import type { EventLog } from '../ports';

export type EngineTrigger =
  | { kind: 'task'; clusterArn: string; startedBy?: string | undefined }
  | { kind: 'containerInstance'; clusterArn: string }
  | { kind: 'tick' };

/** Cluster names and ARNs both identify a cluster: compare by name. */
export function clusterName(clusterOrArn: string): string {
  return clusterOrArn.slice(clusterOrArn.lastIndexOf('/') + 1);
}

export function concerns(state: EnvironmentState, trigger: EngineTrigger): boolean {
  const engine = state.engine;
  if (!engine) return false;
  switch (trigger.kind) {
    case 'tick':
      return true;
    case 'containerInstance':
      return clusterName(engine.cluster) === clusterName(trigger.clusterArn);
    case 'task':
      return clusterName(engine.cluster) === clusterName(trigger.clusterArn) && trigger.startedBy === startedByOf(state.name);
  }
}

/** Every environment the trigger concerns (pages through the environment index; no table scan). */
export async function environmentsFor(eventLog: EventLog, trigger: EngineTrigger): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await eventLog.listEnvironments({ limit: 100, nextToken });
    for (const state of page.environments) if (concerns(state, trigger)) names.push(state.name);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}
