/**
 * Which ECS events can change a Daemon plan, so the router wakes the planner only for those. ECS
 * sends about six events per replaced task (the old one: stop requested, STOPPING, STOPPED; the new
 * one: PENDING, RUNNING; and a container instance event each time the instance's free resources
 * change). A plan moves on only when a task is up (RUNNING), is gone (STOPPED), or the group's
 * membership changes (an instance joins, drains or leaves). The rest is noise that would cost a
 * reconcile — an ECS observation — each. Launches settle and timeouts pass at the next reconcile
 * anyway, and the tick (and the planner's own wake-ups) look again regardless.
 *
 * relevant({ kind: 'task', lastStatus: 'PENDING', desiredStatus: 'RUNNING' }) === false
 * relevant({ kind: 'task', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }) === true
 * relevant({ kind: 'task', lastStatus: 'RUNNING', desiredStatus: 'STOPPED' }) === false   (on its way down)
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
      return change.lastStatus === 'STOPPED' || (change.lastStatus === 'RUNNING' && change.desiredStatus === 'RUNNING');
    case 'containerInstance':
      if (change.status !== 'ACTIVE') return true;
      return change.registeredAt === undefined || change.at - change.registeredAt <= JOINED_RECENTLY_MS;
    default: {
      const never: never = change;
      throw new Error(`unexpected change ${JSON.stringify(never)}`);
    }
  }
}
