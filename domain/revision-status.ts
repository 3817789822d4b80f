/**
 * The revision status machine.
 *
 * ```
 *  Created ──deploy──► Deploying ──converged──► Active ──newer deploy──► Undeploying ──drained──► Inactive
 *                         │  ▲                                             │
 *                         │  └──────────── rollback to it ◄────────────────┘ (also from Inactive/Reverted/Created)
 *                         └─ rollback to an older one ─► Reverting ──drained──► Reverted
 * ```
 *
 * `Stuck` and `Failing` are not lifecycle states: they are a *health overlay* on a moving revision
 * (Deploying, Undeploying or Reverting) that cannot make progress. The table shows the overlay when
 * there is one: `displayStatus({ status: 'Deploying', health: 'Stuck' }) === 'Stuck'`.
 */
export const LIFECYCLE_STATUSES = ['Created', 'Deploying', 'Active', 'Undeploying', 'Inactive', 'Reverting', 'Reverted'] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];
export type Health = 'Stuck' | 'Failing';
export type DisplayStatus = LifecycleStatus | Health;

const transitions: Record<LifecycleStatus, readonly LifecycleStatus[]> = {
  Created: ['Deploying'],
  Deploying: ['Active', 'Undeploying', 'Reverting'],
  Active: ['Undeploying', 'Reverting'],
  Undeploying: ['Inactive', 'Deploying', 'Reverting'],
  Inactive: ['Deploying'],
  Reverting: ['Reverted', 'Deploying'],
  Reverted: ['Deploying'],
};

/** Whether the lifecycle allows `from → to`. canTransition('Created', 'Active') === false. */
export function canTransition(from: LifecycleStatus, to: LifecycleStatus): boolean {
  return from === to || transitions[from].includes(to);
}

/** Terminal statuses: the revision runs nothing and nothing is planned for it. */
export function isAtRest(status: LifecycleStatus): boolean {
  return status === 'Inactive' || status === 'Reverted' || status === 'Created' || status === 'Active';
}

/** Statuses hidden from `describe-environment-status` unless `--all` is given. */
export function isRetired(status: LifecycleStatus): boolean {
  return status === 'Inactive' || status === 'Reverted';
}

export function displayStatus(revision: { status: LifecycleStatus; health?: Health | undefined }): DisplayStatus {
  return revision.health ?? revision.status;
}
