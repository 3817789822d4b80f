/**
 * Names and small arithmetic the rollout shares: ids, idempotency keys, the availability floor,
 * the surge allowance, back-off, and the limits that keep a plan and the projection bounded.
 */
import { fnv1a64 } from '../identity';

/** Instances (StartTask takes up to 10 container instances) or tasks per executor message. */
export const ACTION_BATCH = 10;
/**
 * At most this many launches and this many stops are in flight at once, whatever the fleet: the
 * bookkeeping of one deployment (ids of 32 characters; 2,000 × 33 B ≈ 66 KB for each list, plus
 * ≈ 14 KB of batch keys and times) stays a fraction of the projection's 400 KB item, and so does
 * each event that names them. A wave larger than this moves in parts, as launches and stops settle.
 */
export const MAX_LAUNCHES_IN_FLIGHT = 2_000;
export const MAX_STOPS_IN_FLIGHT = 2_000;
/**
 * StopTask calls one UpdateService action makes at most. The executor makes them one after the other
 * from the ECS budget (StopTask: 80 at once, 32 a second) within its 30 s, a batch of actions sharing
 * them: 100 take about 3 s from an empty bucket. A larger scale-down goes in several steps (the next
 * plan, 2 s later, goes on from what ECS then shows).
 */
export const MAX_SERVICE_STOPS = 100;
/** Failed launches kept (the most recent), and the length a failure reason is cut to. */
export const MAX_FAILURES_KEPT = 500;
export const MAX_REASON_LENGTH = 160;

/** How often to look at a task waiting for its health check (ECS sends no event for health). */
export const HEALTH_POLL_MS = 1_000;
/** A planned launch with no task and no recorded outcome after this long is presumed lost. */
export const LAUNCH_TIMEOUT_MS = 60_000;
/** A planned stop whose task still wants to run after this long is sent again (the task still counts as going). */
export const STOP_TIMEOUT_MS = 60_000;

/**
 * How long a replacement launch may wait for others to share its StartTask call (`gatherLaunches`),
 * counted from when its old task stopped: the STOPPED event takes ≈ 0.35 s to reach the planner
 * (EventBridge, the router, the reconcile queue), up to about a second while a large wave's events
 * queue up; then ten STOPPED events arrive in about 0.3 s when stops go at ECS's sustained rate.
 */
export const LAUNCH_GATHER_MS = 2_000;

/**
 * Replacement launches (instances whose old task Blox stopped) sent now, and those held to fill a
 * StartTask call. ECS counts a StartTask the same whether it names 1 container instance or 10, and
 * on a large fleet the modify bucket is what a rollout waits on: a call per instance is 2 calls a
 * task (StopTask + StartTask) instead of 1.1, and the rollout goes at nearly half the pace. So the
 * launches that do not fill a call wait while enough old tasks are still stopping to fill it, at
 * most LAUNCH_GATHER_MS after their old task stopped; a small wave (fewer stopping than a call
 * needs) is never held.
 *
 * `ready` is in the order the old tasks stopped (earliest first; `stoppedAt` unknown counts as long ago).
 * - 3 ready (stopped at 1000, 1200, 1300), 7 stopping, now 1500 → send none, hold 3 until 3000.
 * - the same at now 3000 → send all 3 (the earliest has waited 2000 ms).
 * - 3 ready, 6 stopping (3 + 6 < 10: the call would not fill) → send all 3.
 * - 12 ready (the 11th stopped at 1400), 8 stopping, now 1500 → send the first 10, hold 2 until 3400.
 * - 20 ready, 50 stopping → send all 20 (two full calls).
 */
export function gatherLaunches<T extends { stoppedAt: number | undefined }>(
  ready: readonly T[],
  stillStopping: number,
  now: number,
): { send: T[]; hold: T[]; until: number | undefined } {
  const full = ready.length - (ready.length % ACTION_BATCH);
  const rest = ready.slice(full);
  const earliest = rest[0]?.stoppedAt ?? -Infinity;
  const fills = rest.length + stillStopping >= ACTION_BATCH;
  if (rest.length === 0 || !fills || now - earliest >= LAUNCH_GATHER_MS) return { send: [...ready], hold: [], until: undefined };
  return { send: ready.slice(0, full), hold: rest, until: earliest + LAUNCH_GATHER_MS };
}

/**
 * The action queue's message group of an action (SQS FIFO delivers a group in order, one batch at a
 * time). An environment's stops have a lane of their own, `<environment>#stops`, beside the lane of
 * everything else, `<environment>`: a wave of 1,000 stops is half a minute of ECS's modify rate, and
 * in one lane the launches planned as the first old tasks stopped would wait behind all of it — the
 * new tasks would come up together, the next wave could start only then, and a large Replace would
 * go in bursts with the budget idle between them. Nothing needs a stop and a launch in the queue's
 * order: a launch is planned once its instance's old task is seen STOPPED, a stop once what it waits
 * for is seen, and an action of a deployment that is over is dropped when it is carried out.
 * actionGroup({ type: 'StopTasks', environment: 'A/B' }) === 'A/B#stops'; StartTasks → 'A/B'.
 */
export function actionGroup(action: { type: string; environment: string }): string {
  return action.type === 'StopTasks' ? `${action.environment}#stops` : action.environment;
}

/** Back-off before retrying a failed launch on an instance: 2^(failures-1) s, at most 60 s. */
export function launchBackoffMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}

/** An ECS id: the last segment of an ARN (`…:container-instance/default/abc` → `abc`). */
export function shortId(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * The idempotency key of a batch of launches (≤ 128 characters: an SQS deduplication id and the
 * `blox:action` tag of the tasks it starts), planned at `at`. A key is never used twice in a
 * deployment: a launch given up as lost and planned again later gets a new key (were it the same,
 * SQS FIFO would drop the resend within its 5-minute window, and after it the executor could not
 * tell the resend from a first try). `salt` separates batches planned in the same millisecond.
 * launchBatchKey('E:2@2017…', 2, ['a', 'b'], 1504698443000, 0) === `start-${fnv1a64('E:2@2017…')}-2-${fnv1a64('a,b@1504698443000')}-0`
 */
export function launchBatchKey(deploymentId: string, revision: number, instanceIds: readonly string[], at: number, salt: number): string {
  return `start-${fnv1a64(deploymentId)}-${revision}-${fnv1a64(`${instanceIds.join(',')}@${at}`)}-${salt}`;
}

/** The idempotency key of a batch of stops planned at `at` (a stop planned again later gets a new key). */
export function stopBatchKey(taskIds: readonly string[], at: number): string {
  return `stop-${fnv1a64(taskIds.join(','))}-${at}`;
}

/** MinHealthyPercent → the fewest instances that must stay available. minAvailable(5, 80) === 4. */
export function minAvailable(instances: number, minHealthyPercent: number): number {
  return Math.ceil((instances * minHealthyPercent) / 100);
}

/** MaxOver → how many instances may run two copies at once. maxSurge(10, '20%') === 2, at least 1. */
export function maxSurge(instances: number, maxOver: number | `${number}%`): number {
  if (typeof maxOver === 'number') return maxOver;
  return Math.max(1, Math.floor((instances * Number(maxOver.slice(0, -1))) / 100));
}

/** Splits `items` into runs of at most `size`. chunk([1, 2, 3], 2) → [[1, 2], [3]] */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function truncateReason(reason: string): string {
  return reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…`;
}

/** How long the planner waits before sending a Service step ECS refused again: 30 s, doubled per refusal, at most 5 min. */
export function refusalBackoffMs(refusals: number): number {
  return Math.min(300_000, 30_000 * 2 ** Math.max(0, refusals - 1));
}

/**
 * A Service step's action key, sent again after ECS refused it `attempt` times: the step's own key
 * first, then `<step>-r<attempt>` — a new key, which the FIFO queue's deduplication does not drop and
 * the executor records a refusal of once.
 * serviceRetryKey('svc-a-2-b', 0) === 'svc-a-2-b'; serviceRetryKey('svc-a-2-b', 2) === 'svc-a-2-b-r2'
 */
export function serviceRetryKey(step: string, attempt: number): string {
  return attempt > 0 ? `${step}-r${attempt}` : step;
}

/** The step a Service action key sends: serviceStepKey('svc-a-2-b-r2') === 'svc-a-2-b'. */
export function serviceStepKey(key: string): string {
  return key.replace(/-r\d+$/, '');
}
