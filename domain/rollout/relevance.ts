/**
 * Which ECS events the router passes on to the reconciler. Each one it passes is a change folded
 * into the engine's picture of the cluster (observation.ts) — the picture is kept up to date by these
 * events, not by listing the cluster again — and a reason to plan again. ECS sends about six events
 * per replaced task (the old one: stop requested, STOPPING, STOPPED; the new one: PENDING, RUNNING;
 * and a container instance event each time the instance's free resources change). Four of them say
 * something the plan uses:
 *
 * - a task PENDING: the launch arrived (a launch that shows no task for LAUNCH_TIMEOUT_MS is taken as
 *   lost and sent again, so a slow start must be seen before it is RUNNING);
 * - a task RUNNING (and wanted): it is up, the next wave may go;
 * - a task still RUNNING whose desired status turned STOPPED: it is on its way down, no longer available;
 * - a task STOPPED: its instance is free;
 * - an instance that joins, drains or leaves the group.
 *
 * The rest (PROVISIONING, ACTIVATING, DEACTIVATING, STOPPING, DEPROVISIONING, and the resources of an
 * established instance changing) is noise that would cost a reconcile each. The price: an instance
 * registered long ago that is reactivated (DRAINING → ACTIVE) or given new attributes sends an event
 * this cannot tell from a resource change, so the picture learns of it at the next full look — within
 * 10 minutes, and always before a deployment completes (observation.ts).
 *
 * relevant({ kind: 'task', lastStatus: 'PENDING', desiredStatus: 'RUNNING' }) === true
 * relevant({ kind: 'task', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }) === true
 * relevant({ kind: 'task', lastStatus: 'RUNNING', desiredStatus: 'STOPPED' }) === true    (on its way down)
 * relevant({ kind: 'task', lastStatus: 'STOPPING', desiredStatus: 'STOPPED' }) === false
 * relevant({ kind: 'task', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }) === true
 * relevant({ kind: 'containerInstance', status: 'DRAINING', … }) === true
 * relevant({ kind: 'containerInstance', status: 'ACTIVE', registeredAt: at − 30 s, at }) === true   (joined)
 * relevant({ kind: 'containerInstance', status: 'ACTIVE', registeredAt: at − 2 h, at }) === false  (resources changed)
 */

/** An instance registered this recently is taken as joining (its first events may come late). */
export const JOINED_RECENTLY_MS = 10 * 60_000;

export type EcsChange =
  | { kind: 'task'; lastStatus: string; desiredStatus: string }
  /** `at` and `registeredAt` in epoch ms; an instance with no registeredAt is taken as joining. */
  | { kind: 'containerInstance'; status: string; registeredAt?: number | undefined; at: number };

export function relevant(change: EcsChange): boolean {
  switch (change.kind) {
    case 'task':
      return change.lastStatus === 'STOPPED' || change.lastStatus === 'RUNNING' || (change.lastStatus === 'PENDING' && change.desiredStatus === 'RUNNING');
    case 'containerInstance':
      if (change.status !== 'ACTIVE') return true;
      return change.registeredAt === undefined || change.at - change.registeredAt <= JOINED_RECENTLY_MS;
    default: {
      const never: never = change;
      throw new Error(`unexpected change ${JSON.stringify(never)}`);
    }
  }
}
