/**
 * The engine's two jobs, behind its ports:
 *
 * - `reconcile(environment)`: load → observe the cluster → `plan()` → append the planner's events
 *   → enqueue its actions → schedule the next look → announce status changes. Runs on every ECS
 *   event and every tick (in AWS one at a time per environment: see the reconciler function).
 * - `execute(action)`: drop it if it no longer stands (`staleReason`: a deploy, rollback, freeze or
 *   thaw came in since, or the launches were settled or given up) — otherwise carry it out. A
 *   redelivered StartTasks first asks ECS which of its instances already got their task (found by
 *   the action tag), so nothing starts twice; a first delivery does not pay for that look-up (SQS
 *   FIFO delivers a message again only after a receive that did not delete it).
 *
 * The executor writes to the log only what observation cannot show: launches ECS refused (their
 * back-off and retry priority), and a Service step ECS refused with a client error (the deployment
 * Stuck with its reason: `recordServiceRefusal`). Tasks that start, and stops, are seen by the next
 * plan in ECS.
 *
 * Order after a plan: the append, then the actions, then the wake-up, then notifications. A
 * notification that fails is logged and never loses or delays an action.
 *
 * A write the log refuses (not a lost race: those are retried from a fresh load) turns the
 * deployment Stuck with the store's reason at once — a small write of its own — and the reconcile
 * fails, so the refusal is never silent.
 */
import type { EngineEvent, EnvironmentEvent, EnvironmentState } from '../../domain/environment';
import { decideRollbackToRevision, fold as foldEvents, serviceTarget, servingService, statusChanges } from '../../domain/environment';
import { isoFromMs } from '../../domain/time';
import { startedByOf, TAG_ACTION, TAG_ENVIRONMENT, TAG_REVISION } from '../../domain/identity';
import type { AlarmReading, GroupWeight, Observation, ObservationChange, PlannerAction, PlannerEvent, PlannerState } from '../../domain/rollout';
import { confirmationReason, serviceLook, fold, observeAtRest, pendingLaunches, planDeletion, planScale, SCALE_ACTION, taskGroup, plan, shortId, staleReason, storeRefused, truncateReason } from '../../domain/rollout';
import { deploymentStateChange } from '../../events/notifications';
import { appendWithRetry, StoreWriteError } from '../commands';
import type { ActionQueue, Alarms, Clock, Cluster, EventLog, Hooks, ListenerRules, Notifier, ObservationStore, Services, StoredObservation, TargetHealth, TaskDefinitions, WeightedRecords } from '../ports';
import { ObservationConflictError } from '../ports';
import type { Look } from './observe';
import { observe } from './observe';
import { describeServiceOnly, executeServiceUpdate, observeService, ServiceOperationRefused } from './service';
import type { ServiceUpdateResult } from './service';

/** What the engine reports to Powertools Metrics (EMF) per environment; see functions/adapters. */
export interface EngineMetrics {
  add(name: string, unit: 'Count' | 'Milliseconds', value: number, environment: string): void;
}

export interface EngineDeps {
  eventLog: EventLog;
  cluster: Cluster;
  taskDefinitions: TaskDefinitions;
  /** ECS services and task sets (Service environments); without it a Service deployment cannot be observed. */
  services?: Services | undefined;
  /** ELBv2 target health (Service environments behind a target group). */
  targetHealth?: TargetHealth | undefined;
  /** ELBv2 listener rules' forward weights (Canary / BlueGreen with TrafficRouting.Alb); not used by the planner yet. */
  listenerRules?: ListenerRules | undefined;
  /** Route 53 weighted records (Service Canary with `TrafficRouting.Route53`); without it such a deployment cannot move traffic. */
  weightedRecords?: WeightedRecords | undefined;
  /** Lambda lifecycle hooks (`DeploymentConfiguration.Hooks`); without it a deployment with hooks cannot run them. */
  hooks?: Hooks | undefined;
  /** Where the picture of the cluster is kept between reconciles; without it every reconcile looks in full. */
  observations?: ObservationStore | undefined;
  /**
   * Pictures last looked at in full before this instant are looked at again first (epoch ms): the
   * local stack sets its start, since its in-process queue loses the changes of a restart. In AWS the
   * changes wait in SQS, and this is not set.
   */
  pictureTrustedSince?: number | undefined;
  queue: ActionQueue;
  notifier: Notifier;
  clock: Clock;
  /** The watched alarms' states (DescribeAlarms): read when a deployment starts and on each tick (the backstop); none: events only. */
  alarms?: Alarms | undefined;
  /** Delayed reconciles (ECS sends no event when a task turns HEALTHY or a deadline passes). */
  wakeups?: { schedule(environment: string, atMs: number): Promise<void> } | undefined;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  metrics?: EngineMetrics | undefined;
}

const MAX_ATTEMPTS = 5;

/** Appends what `decideEvents` returns for the freshest state, retrying lost races. */
function record(deps: EngineDeps, environment: string, decideEvents: (state: EnvironmentState) => Promise<EnvironmentEvent[]> | EngineEvent[]) {
  return appendWithRetry(
    deps.eventLog,
    environment,
    async (before) => ({ events: before ? await decideEvents(before) : [] }),
    { attempts: MAX_ATTEMPTS, onLostRace: () => deps.metrics?.add('LostRaces', 'Count', 1, environment) },
  );
}

/** Publishes a `Deployment State Change` for every revision whose shown status changed. */
export async function announce(deps: Pick<EngineDeps, 'notifier'>, before: EnvironmentState | undefined, after: EnvironmentState): Promise<void> {
  const changes = statusChanges(before, after).filter((c) => c.to !== 'Created');
  if (changes.length === 0) return;
  const deploymentId = after.deployment?.id ?? before?.deployment?.id ?? `${after.name}:${after.activeRevision ?? after.latestRevision}`;
  // A trigger that started the rollback (or halted the deployment) these changes belong to.
  const trigger = (after.deployment ?? before?.deployment)?.trigger?.kind;
  await deps.notifier.publish(
    changes.map((c) =>
      deploymentStateChange({
        ...(trigger && (c.to === 'Reverting' || c.to === 'Reverted' || c.to === 'Stuck' || c.revision === (after.deployment ?? before?.deployment)?.revision) ? { trigger } : {}),
        environment: after.name,
        revision: c.revision,
        deploymentId,
        status: c.to as Exclude<typeof c.to, 'Created'>,
        previousStatus: c.from,
        reason: c.reason,
        desired: c.desired,
        current: c.current,
        at: after.updatedAt,
      }),
    ),
  );
}

/** `announce`, but a failure is logged, never thrown: nothing the engine does waits on it. */
async function announceSafely(deps: EngineDeps, before: EnvironmentState | undefined, after: EnvironmentState | undefined): Promise<void> {
  if (!after) return;
  try {
    await announce(deps, before, after);
  } catch (error) {
    deps.log?.('notification failed', { environment: after.name, error: (error as Error).message });
  }
}

/** The store refused a write: the deployment is Stuck with the store's reason (unless it already says so). */
async function recordStoreFailure(deps: EngineDeps, environment: string, error: StoreWriteError): Promise<void> {
  const reason = error.message;
  try {
    const result = await record(deps, environment, (state) => storeRefused(state.engine, reason, deps.clock.now().getTime()));
    if (result.events.length > 0) await announceSafely(deps, result.before, result.after);
  } catch (second) {
    deps.log?.('could not record the store failure either', { environment, error: (second as Error).message });
  }
}

/**
 * Saves the picture. Should another reconcile have saved one since it was loaded (never in AWS, where
 * one reconcile per environment runs at a time; possible in the harness's direct mode), this one's
 * changes are folded into that picture instead, so no change is lost.
 */
async function keepPicture(
  store: ObservationStore,
  environment: string,
  engine: PlannerState,
  observation: Observation,
  loaded: StoredObservation | undefined,
  changes: readonly ObservationChange[],
): Promise<void> {
  let picture = observation;
  let previous = loaded?.head;
  let base = loaded?.observation;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.save(environment, picture, previous, base);
      return;
    } catch (error) {
      if (!(error instanceof ObservationConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      const fresh = await store.load(environment);
      previous = fresh?.head;
      base = fresh?.observation;
      // A Daemon's picture: the events folded into the fresher one. A Service's: its own full look, as taken.
      if (fresh?.observation && !engine.service) picture = fold(fresh.observation, changes, engine);
    }
  }
}

/**
 * A trigger's rollback, in the same append as the plan that decided it: the plan's events, then the
 * `RollbackStarted` the environment decides for `RollbackToRevision` with the trigger (the target's
 * spec read from the revision table when it is not the latest).
 */
async function automaticRollback(deps: EngineDeps, state: EnvironmentState, planned: PlannerEvent[], now: number): Promise<EnvironmentEvent[] | undefined> {
  const triggered = planned.find((e) => e.type === 'RollbackTriggered');
  if (triggered?.type !== 'RollbackTriggered') return undefined;
  const after = foldEvents(planned, state);
  if (!after) return undefined;
  const targetSpec = triggered.to === state.latestRevision ? undefined : (await deps.eventLog.getRevision(state.name, triggered.to))?.spec;
  const rollback = decideRollbackToRevision(
    { type: 'RollbackToRevision', name: state.name, revision: triggered.to, targetSpec, trigger: { kind: triggered.trigger, reason: triggered.reason }, at: isoFromMs(now) },
    after,
  );
  return [...planned, ...rollback];
}

/** What a reconcile is told besides the ECS changes: alarm readings from alarm events, and whether a tick asks for the alarms' backstop. */
export interface ReconcileSignals {
  alarms?: readonly AlarmReading[] | undefined;
  backstop?: boolean | undefined;
}

export async function reconcile(
  deps: EngineDeps,
  environment: string,
  changes: readonly ObservationChange[] = [],
  signals: ReconcileSignals = {},
): Promise<{ events: number; actions: PlannerAction[]; fullLook?: string | undefined }> {
  let actions: PlannerAction[] = [];
  let wakeAt: number | undefined;
  let rolledBack = false;
  /** DescribeAlarms once per reconcile (a lost race re-plans on the same answer). */
  let described: { names: string; readings: AlarmReading[] } | undefined;
  let result;
  // The kept picture, loaded once; the look, taken once per deployment epoch (a lost race re-plans on it).
  const kept: { loaded: boolean; stored?: StoredObservation | undefined } = { loaded: false };
  let looked: { epoch: number; deploymentId: string; engine: PlannerState; look: Look } | undefined;
  try {
    result = await record(deps, environment, async (state) => {
      actions = [];
      wakeAt = undefined;
      rolledBack = false;
      const now = deps.clock.now().getTime();
      if (!state.engine) {
        // At rest, a Service environment: scale-environment's step, or the counts ECS has (Application
        // Auto Scaling's desired count recorded, never undone). A Daemon at rest has nothing to do.
        if (state.latestSpec.DeploymentType !== 'Service') return [];
        const serving = servingService(state);
        if (!state.scale?.pending && !serving) return [];
        const target = serviceTarget(state.latestSpec, state.scale?.desiredCount);
        const cluster = state.latestSpec.Cluster ?? 'default';
        const service = await describeServiceOnly(deps, cluster, target);
        if (!state.scale?.pending) {
          const recorded = serving && state.revisions.find((r) => r.revision === serving.revision);
          return recorded ? observeAtRest(recorded, state.scale, service, now) : [];
        }
        const scaled = planScale(
          { name: state.name, epoch: state.epoch, revision: state.activeRevision ?? state.latestRevision, cluster, service: target },
          state.scale,
          service,
          now,
        );
        actions = scaled.actions;
        wakeAt = scaled.wakeAt;
        return scaled.events;
      }
      if (!kept.loaded) {
        kept.stored = deps.observations ? await deps.observations.load(environment) : undefined;
        kept.loaded = true;
      }
      if (state.engine.deleting) {
        // delete-environment: scale to zero, remove the service (domain/rollout/deletion.ts).
        const engine = state.engine;
        let deletion;
        if (engine.service) {
          deletion = planDeletion(engine, await observeService(deps, engine), now);
        } else {
          if (!looked || looked.epoch !== engine.epoch || looked.deploymentId !== engine.deploymentId) {
            looked = { epoch: engine.epoch, deploymentId: engine.deploymentId, engine, look: await observe(deps, engine, kept.stored?.observation, changes, now) };
          }
          deletion = planDeletion(engine, looked.look.observed, now);
          const confirm = confirmationReason(deletion, looked.look.fullLook !== undefined);
          if (confirm) {
            looked.look = await observe(deps, engine, looked.look.observation, [], now, confirm);
            deletion = planDeletion(engine, looked.look.observed, now);
          }
        }
        actions = deletion.actions;
        wakeAt = deletion.wakeAt;
        return deletion.events;
      }
      // The watched alarms, Daemon and Service alike: what their events said, and — when the deployment has
      // no state on record for one of them yet (it just started), or a tick asks for the backstop — what
      // DescribeAlarms says.
      const watched = state.engine.configuration.Alarms?.AlarmNames ?? [];
      const alarms = [...(signals.alarms ?? [])];
      if (deps.alarms && watched.length > 0 && (signals.backstop || watched.some((name) => !state.engine!.alarms?.[name]))) {
        if (described?.names !== watched.join('\0')) described = { names: watched.join('\0'), readings: await deps.alarms.describe(watched) };
        alarms.push(...described.readings);
      }
      if (state.engine.service) {
        // A Service deployment looks at its service in full every time (functions/engine/service.ts).
        if (!looked || looked.epoch !== state.engine.epoch || looked.deploymentId !== state.engine.deploymentId) {
          const observed = await observeService(deps, state.engine);
          // The picture of its tasks is kept for the dashboard only (GET …/instances): saved when it changed.
          const picture = serviceLook(state.engine, kept.stored?.observation, observed.service, now);
          looked = { epoch: state.engine.epoch, deploymentId: state.engine.deploymentId, engine: state.engine, look: { observed, observation: picture.observation, fullLook: 'service', changed: picture.changed } };
        }
        const planned = plan(state.engine, alarms.length > 0 ? { ...looked.look.observed, alarms } : looked.look.observed, now);
        // A trigger (alarm, circuit breaker, canary task) rolls back in the same append, as for a Daemon.
        const rollback = await automaticRollback(deps, state, planned.events, now);
        if (rollback) {
          rolledBack = true;
          return rollback;
        }
        // scale-environment mid-deployment: the service's desired count first; the rollout follows it.
        const service = state.engine.service;
        const scaled = looked.look.observed.service
          ? planScale({ name: state.name, epoch: state.epoch, revision: state.engine.revision, cluster: state.engine.cluster, service }, state.scale, looked.look.observed.service, now)
          : { events: [], actions: [] };
        actions = [...scaled.actions, ...planned.actions];
        wakeAt = [planned.wakeAt, scaled.wakeAt].filter((t): t is number => t !== undefined).reduce((a, b) => Math.min(a, b), Infinity);
        if (wakeAt === Infinity) wakeAt = undefined;
        return [...scaled.events, ...planned.events];
      }
      if (!looked || looked.epoch !== state.engine.epoch || looked.deploymentId !== state.engine.deploymentId) {
        const look = await observe(deps, state.engine, kept.stored?.observation, changes, now);
        looked = { epoch: state.engine.epoch, deploymentId: state.engine.deploymentId, engine: state.engine, look };
      }
      const observed = alarms.length > 0 ? { ...looked.look.observed, alarms } : looked.look.observed;
      let planned = plan(state.engine, observed, now);
      const confirm = confirmationReason(planned, looked.look.fullLook !== undefined);
      if (confirm) {
        looked.look = await observe(deps, state.engine, looked.look.observation, [], now, confirm);
        planned = plan(state.engine, alarms.length > 0 ? { ...looked.look.observed, alarms } : looked.look.observed, now);
      }
      const rollback = await automaticRollback(deps, state, planned.events, now);
      if (rollback) {
        rolledBack = true;
        return rollback;
      }
      actions = planned.actions;
      wakeAt = planned.wakeAt;
      return planned.events;
    });
  } catch (error) {
    if (error instanceof StoreWriteError) await recordStoreFailure(deps, environment, error);
    throw error;
  }
  // After the append: a picture is never ahead of a plan that was not recorded (a failed reconcile
  // comes back with its changes, and folding them again changes nothing).
  if (looked?.look.changed && deps.observations) {
    const keeping = keepPicture(deps.observations, environment, looked.engine, looked.look.observation, kept.stored, changes);
    // A Service's picture is only shown (the dashboard): failing to keep it never fails the reconcile.
    await (looked.engine.service
      ? keeping.catch((error: unknown) =>
          deps.log?.('the picture of the service tasks was not kept', { environment, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
        )
      : keeping);
  }
  if (actions.length > 0) await deps.queue.enqueue(actions);
  const completed = result.events.some((e) => e.type === 'DeploymentCompleted' || e.type === 'DeletionCompleted');
  if (wakeAt !== undefined && deps.wakeups && !completed) await deps.wakeups.schedule(environment, wakeAt);
  // The rollback a trigger started is planned at once, as one the API started would be.
  if (rolledBack && deps.wakeups) await deps.wakeups.schedule(environment, deps.clock.now().getTime());
  await announceSafely(deps, result.before, result.after);
  deps.metrics?.add('Reconciles', 'Count', 1, environment);
  if (completed && result.before?.deployment && result.before.deployment.kind !== 'delete') {
    deps.metrics?.add('DeploymentDuration', 'Milliseconds', deps.clock.now().getTime() - Date.parse(result.before.deployment.startedAt), environment);
  }
  for (const e of result.events) {
    if (e.type === 'LaunchesSettled' || e.type === 'StopsSettled' || e.type === 'RevisionCountsChanged' || e.type === 'DeploymentProgressed') continue;
    const { type, at: _at, ...fields } = e;
    deps.log?.(type, { environment, ...fields });
  }
  return { events: result.events.length, actions, fullLook: looked?.look.fullLook };
}

/** `refused`: ECS refused a Service step with a client error; recorded (`ServiceUpdateRefused`), not retried by SQS. */
export type ExecutionOutcome = 'done' | 'dropped' | 'already-done' | 'refused';

/**
 * ECS refused an operation of a Service step with a client error (InvalidParameterException, AccessDenied…):
 * recorded as `ServiceUpdateRefused`, once per action key (a redelivery finds it on record; a deletion's,
 * once per refusal: its key changes each minute) and only while the action still stands, and the action counts as carried out — not thrown. Thrown, SQS would
 * redeliver it every visibility timeout, holding the environment's message group (a rollback's step
 * would wait behind it) and ending in the dead-letter queue after maxReceiveCount, for a refusal that
 * asking again the same way does not cure; while the planner, never told, would call it "no progress".
 * Recorded, the planner turns the deployment Stuck at once with ECS's reason, and sends the step again
 * itself after a back-off under a new key (domain/rollout/service.ts): neither silent nor a hot loop.
 */
async function recordServiceRefusal(deps: EngineDeps, action: Extract<PlannerAction, { type: 'UpdateService' }>, refused: ServiceOperationRefused): Promise<void> {
  const at = deps.clock.now().getTime();
  const event: EngineEvent = { type: 'ServiceUpdateRefused', key: action.key, operation: refused.operation, reason: truncateReason(refused.reason), at };
  const recorded = await record(deps, action.environment, (state) => {
    const known = state.engine?.serviceRefusal;
    // A deletion's step has a new key each minute: the same refusal again is not recorded again.
    const same = known !== undefined && (known.key === action.key || (state.engine?.deleting !== undefined && known.operation === event.operation && known.reason === event.reason));
    return staleReason(state.engine, action, at) !== undefined || same ? [] : [event];
  });
  deps.log?.('UpdateService refused', { key: action.key, environment: action.environment, operation: refused.operation, reason: event.reason, recorded: recorded.events.length > 0 });
  deps.metrics?.add('ActionsRefused', 'Count', 1, action.environment);
  if (recorded.events.length > 0) await announceSafely(deps, recorded.before, recorded.after);
}

/** Route 53 accepted a weight change: recorded (while the action stands) so the planner asks GetChange until it is INSYNC. */
async function recordTrafficChange(deps: EngineDeps, action: Extract<PlannerAction, { type: 'UpdateService' }>, changeId: string, weights: GroupWeight[]): Promise<void> {
  const at = deps.clock.now().getTime();
  const recorded = await record(deps, action.environment, (state) =>
    staleReason(state.engine, action, at) !== undefined ? [] : [{ type: 'TrafficChangeSubmitted', key: action.key, changeId, weights, at } satisfies EngineEvent],
  );
  deps.log?.('TrafficChangeSubmitted', { key: action.key, environment: action.environment, changeId, recorded: recorded.events.length > 0 });
}

/**
 * A lifecycle hook (Lambda, RequestResponse) with `{ EnvironmentName, Revision, DeploymentId, Stage }`; its
 * answer recorded as `HookAnswered` while the invocation is still the one on record (a late answer of an
 * older attempt, or of a deployment since replaced, is not). A throttle or another transient error throws:
 * SQS delivers the action again.
 */
async function invokeHook(deps: EngineDeps, action: Extract<PlannerAction, { type: 'InvokeHook' }>): Promise<void> {
  if (!deps.hooks) throw new Error('a deployment with lifecycle hooks needs the Hooks port (Lambda), and none is wired');
  const answer = await deps.hooks.invoke(action.functionArn, { EnvironmentName: action.environment, Revision: action.revision, DeploymentId: action.deploymentId, Stage: action.stage });
  const at = deps.clock.now().getTime();
  const event: EngineEvent = {
    type: 'HookAnswered',
    hook: action.hook,
    stage: action.stage,
    attempt: action.attempt,
    status: answer.hookStatus,
    ...(answer.hookStatus === 'IN_PROGRESS' ? { callBackDelaySeconds: answer.callBackDelaySeconds } : {}),
    ...(answer.hookStatus === 'FAILED' && answer.reason ? { reason: truncateReason(answer.reason) } : {}),
    at,
  };
  const recorded = await record(deps, action.environment, (state) => (staleReason(state.engine, action, at) !== undefined ? [] : [event]));
  deps.log?.('InvokeHook', { key: action.key, environment: action.environment, stage: action.stage, functionArn: action.functionArn, status: answer.hookStatus, recorded: recorded.events.length > 0 });
  // The answer is news for the planner: plan at once (not at the next tick).
  if (recorded.events.length > 0 && deps.wakeups) await deps.wakeups.schedule(action.environment, at);
}

export interface Delivery {
  /** SQS's ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
}

export async function execute(deps: EngineDeps, action: PlannerAction, delivery: Delivery = { receiveCount: 1 }): Promise<ExecutionOutcome> {
  const state = await deps.eventLog.load(action.environment);
  if (action.type === 'UpdateService' && action.deploymentId === SCALE_ACTION) {
    // scale-environment: it stands while the environment still asks for that desired count.
    const wanted = action.operations.find((o) => o.op === 'SetDesiredCount');
    if (!state?.scale?.pending || wanted?.op !== 'SetDesiredCount' || wanted.desiredCount !== state.scale.desiredCount) {
      deps.log?.('action dropped', { key: action.key, environment: action.environment, reason: 'the environment no longer asks for this desired count' });
      return 'dropped';
    }
    await executeServiceUpdate(deps, action);
    return 'done';
  }
  const engine = state?.engine;
  const stale = staleReason(engine, action, deps.clock.now().getTime());
  if (stale || !engine) {
    deps.log?.('action dropped', { key: action.key, environment: action.environment, reason: stale });
    deps.metrics?.add('ActionsDropped', 'Count', 1, action.environment);
    return 'dropped';
  }
  if (action.type === 'StopTasks') {
    const stopped = await Promise.all(action.taskArns.map((arn) => deps.cluster.stopTask(action.cluster, arn, action.reason)));
    const running = stopped.find((task) => task && task.desiredStatus !== 'STOPPED');
    if (running) throw new Error(`StopTask ${running.arn}: the task still wants to run`);
    deps.log?.('StopTasks', { key: action.key, tasks: action.taskArns.length, reason: action.reason });
    deps.metrics?.add('ActionsCarriedOut', 'Count', action.taskArns.length, action.environment);
    return 'done';
  }
  if (action.type === 'UpdateService') {
    let result: ServiceUpdateResult;
    try {
      result = await executeServiceUpdate(deps, action);
    } catch (error) {
      if (!(error instanceof ServiceOperationRefused)) throw error;
      await recordServiceRefusal(deps, action, error);
      return 'refused';
    }
    if (result.trafficChange !== undefined) await recordTrafficChange(deps, action, result.trafficChange.id, result.trafficChange.weights);
    deps.metrics?.add('ActionsCarriedOut', 'Count', action.operations.length, action.environment);
    return 'done';
  }
  if (action.type === 'InvokeHook') {
    await invokeHook(deps, action);
    return 'done';
  }
  const startedBy = startedByOf(action.environment);
  let instances = pendingLaunches(engine, action);
  if (instances.length > 0 && delivery.receiveCount > 1) {
    // A redelivery: the first try may have started some of them before it died.
    const started = new Set(
      (await deps.cluster.listTasks(action.cluster, startedBy)).filter((t) => t.tags[TAG_ACTION] === action.key).map((t) => shortId(t.containerInstanceArn)),
    );
    instances = instances.filter((arn) => !started.has(shortId(arn)));
  }
  if (instances.length === 0) return 'already-done';
  const result = await deps.cluster.startTask({
    cluster: action.cluster,
    taskDefinition: action.taskDefinition,
    containerInstances: instances,
    startedBy,
    // Task events carry no tags: the group tells the revision and the launch (observation.ts).
    group: taskGroup(action.revision, action.key),
    tags: { [TAG_ENVIRONMENT]: action.environment, [TAG_REVISION]: String(action.revision), [TAG_ACTION]: action.key },
  });
  const untagged = result.tasks.find((task) => task.tags[TAG_ACTION] !== action.key);
  if (untagged) throw new Error(`StartTask ${action.key}: task ${untagged.arn} came back without its action tag`);
  const placed = new Set(result.tasks.map((t) => shortId(t.containerInstanceArn)));
  const failures = result.failures.map((f) => ({ instance: shortId(f.arn ?? ''), reason: [f.reason, f.detail].filter(Boolean).join(': ') }));
  const answered = new Set([...placed, ...failures.map((f) => f.instance)]);
  for (const arn of instances) {
    if (!answered.has(shortId(arn))) failures.push({ instance: shortId(arn), reason: 'StartTask returned no task and no failure' });
  }
  deps.metrics?.add('ActionsCarriedOut', 'Count', result.tasks.length, action.environment);
  deps.log?.('StartTasks', { key: action.key, started: result.tasks.length, failed: failures.length, reason: action.reason });
  if (failures.length > 0) {
    const at = deps.clock.now().getTime();
    const recorded = await record(deps, action.environment, () => [{ type: 'LaunchesFailed', key: action.key, failures, at }]);
    await announceSafely(deps, recorded.before, recorded.after);
    deps.log?.('StartTask failed', { key: action.key, failures });
  }
  return 'done';
}
