/**
 * The Service rollout: a Service environment's ECS service and task sets (observed) → the ECS calls
 * of the next step (one `UpdateService` action, its operations in order) and the events that explain
 * it. The rollout core (`core.ts`) hands a plan to this file when the deployment is a Service's, as it
 * hands the Daemon's moves to `daemon-replace.ts` / `daemon-surge.ts`; the arithmetic of a step is
 * `service-rolling.ts` (`planRolling`).
 *
 * One service per environment (the EXTERNAL deployment controller), one task set per revision
 * (`externalId` = the revision). The deploying revision T's task set is the *target*; every other task
 * set of the service is *old* and drains, oldest first — those of the revisions the deployment retires,
 * and any task set Blox did not make (an adopted service's). Whether the deployment goes forward or is
 * a rollback makes no difference here: a rollback's target is the older revision (its task set scaled
 * back up, or created again), and the abandoned revision's task set drains like any old one — then
 * `DeploymentCompleted` retires it `Reverted` and its task set is deleted.
 *
 * Safety first, as for a Daemon (safety.ts): the watched alarms (`readAlarms`), the circuit breaker over
 * the tasks of revision T's task sets (`countServiceBreaker`) and a failed CanaryTask each trip the
 * deployment (`tripEvent`: `RollbackTriggered`, or `DeploymentHalted` with Rollback: false) and nothing
 * moves in that plan; a halted deployment moves nothing until a rollback or a new deployment.
 *
 * A step, in order:
 *   1. No service (or an INACTIVE one): EnsureService (the spec's DesiredCount), then CreateTaskSet at
 *      the scale the first step allows.
 *   2. `planRolling` over the task sets' counts, D = the service's own desired count (scale-environment
 *      and Application Auto Scaling change it; the rollout follows, never fights it).
 *   3. Scale: the target's task set created (CreateTaskSet) or scaled, old ones scaled down — the tasks a
 *      scale-down gives up are named (not ready ones first) and stopped before the scale is lowered, so
 *      ECS's own scale-in, which picks for zone balance, never spends a ready task the budget did not grant;
 *      at most MAX_SERVICE_STOPS of them an action (the next step goes on), none for a scale to 0.
 *   4. Converged: with BakeSeconds (a deploy), `BakeStarted` and BakeSeconds with the alarms watched, the old
 *      task sets (scaled to 0) kept; then the target's task set becomes PRIMARY, every old one is deleted; once that is done
 *      (the target PRIMARY, no other task set left but DRAINING ones without tasks) → DeploymentCompleted.
 *   5. Wait / Blocked: nothing to call; Blocked (no room at all) is Stuck at once, with the reason.
 *   6. Refused: ECS refused this very step with a client error (the executor's `ServiceUpdateRefused`,
 *      `state.serviceRefusal`) → Stuck at once, `CreateTaskSet refused by ECS: InvalidParameterException: …`
 *      (Failing after FailingAfterSeconds as usual); the step is held for `refusalBackoffMs` (30 s,
 *      doubled per refusal, at most 5 min), then sent again under a new key (`<step>-r<n>`) — the FIFO
 *      queue's deduplication would drop the same key. Progress → `DeploymentResumed` clears it.
 *
 * Scales are percentages of D (ECS rounds the computed desired count up): `scalePercent(tasks, D)` is
 * the smallest percentage, to 4 decimals, whose ceil(D × p / 100) is `tasks`.
 *
 * Progress and health as for a Daemon: progress is more ready tasks of T or fewer old tasks; none for
 * StuckAfterSeconds → Stuck (the reason: the step's, or the service's latest event — ECS's placement
 * failure); Stuck for FailingAfterSeconds → Failing; progress → Resumed. A step that waits for tasks
 * while ECS's latest registration in the target group failed (`registrationFailure`: the target group
 * at its quota of targets, say) is Stuck at once with ECS's message: those tasks never turn ready.
 *
 * Worked example (D = 4, MinHealthyPercent 50, MaxPercent 150; old set s1 of revision 1 at 4 ready tasks,
 * no task set for revision 2): planRolling → old 4 → 2 (budget 4 − 2), new 0 → 2 (room 6 − 4):
 * `UpdateService [ScaleTaskSet s1 50 % stopping two ready tasks, CreateTaskSet web:2 at 50 %]`.
 */
import type { Observed, ObservedService, ObservedServiceTask, ObservedTaskSet, Plan, PlannerAction, PlannerEvent, PlannerState, RevisionCount, ServiceOperation, ServiceTarget, TrafficRoute } from './types';
import type { HookStage } from '../spec';
import { canarySchedule, planCanary } from './service-canary';
import type { CanaryStep } from './service-canary';
import { planBlueGreen } from './blue-green';
import { runHooks } from './hooks';
import { fnv1a64 } from '../identity';
import { planRolling } from './service-rolling';
import { CANARY_TASK_START, stepCanaryTask } from './service-canary-task';
import type { CanaryTaskRead } from './service-canary-task';
import type { RollingStep, TaskSetMove, TaskSetView } from './service-rolling';
import { canaryTaskTrip, countServiceBreaker, readAlarms, safetyGate, tripEvent, watching } from './safety';
import { MAX_SERVICE_STOPS, refusalBackoffMs, serviceRetryKey, serviceStepKey } from './keys';
import { canaryPromotion, promotedSince } from './controls';

/** The `deploymentId` of a scale-environment action (not part of any deployment). */
export const SCALE_ACTION = 'scale-environment';

/**
 * scale-environment's step, deployment or not: nothing while the service does not exist (the next
 * deployment creates it at the scaled count) or already runs at it (→ ScaleApplied); otherwise one
 * UpdateService desiredCount. The rollout, if any, follows the service's desired count on its own.
 * planScale({ desiredCount: 8, pending: true }, service at 4) → an action SetDesiredCount 8.
 */
export function planScale(
  environment: { name: string; epoch: number; revision: number; cluster: string; service: ServiceTarget },
  scale: { desiredCount: number; pending: boolean } | undefined,
  service: ObservedService,
  now: number,
): { events: Array<{ type: 'ScaleApplied'; desiredCount: number; at: number }>; actions: PlannerAction[]; wakeAt?: number | undefined } {
  if (!scale?.pending) return { events: [], actions: [] };
  if (service.status !== 'ACTIVE' || service.desiredCount === scale.desiredCount) {
    return { events: [{ type: 'ScaleApplied', desiredCount: scale.desiredCount, at: now }], actions: [] };
  }
  const operations: ServiceOperation[] = [{ op: 'SetDesiredCount', desiredCount: scale.desiredCount }];
  return {
    events: [],
    actions: [
      {
        type: 'UpdateService',
        key: `scale-${fnv1a64(environment.name)}-${environment.epoch}-${scale.desiredCount}-${Math.floor(now / 60_000)}`,
        environment: environment.name,
        deploymentId: SCALE_ACTION,
        epoch: environment.epoch,
        revision: environment.revision,
        cluster: environment.cluster,
        reason: `scale-environment: desired count ${service.desiredCount} → ${scale.desiredCount}`,
        service: environment.service,
        operations,
      },
    ],
    wakeAt: now + SERVICE_POLL_MS,
  };
}

/**
 * A Service environment at rest (no deployment): the service's desired and running counts, as
 * DescribeServices has them, against what the Active revision records (DESIRED, CURRENT). When they
 * differ, `ServiceObserved` records ECS's — a desired count changed outside Blox (Application Auto
 * Scaling, or a person in the console) is kept, never undone, and the event says so. Nothing while a
 * scale-environment is pending (`planScale` sets the count and records `ScaleApplied`), nor while the
 * service is not ACTIVE.
 *
 * Worked examples (Active revision 2 recorded at DESIRED 8, CURRENT 8):
 *   service ACTIVE, desired 5, running 8 → ServiceObserved { revision 2, desiredCount 5, running 8,
 *     reason 'desired count 8 → 5, set outside Blox (Application Auto Scaling?): kept' }
 *   then desired 5, running 5 (recorded 5/8) → ServiceObserved { desiredCount 5, running 5 } (no reason)
 *   then desired 5, running 5 (recorded 5/5) → nothing
 */
export function observeAtRest(
  recorded: { revision: number; desired: number; current: number },
  scale: { desiredCount: number; pending: boolean } | undefined,
  service: { status: ObservedService['status']; desiredCount: number; runningCount: number },
  now: number,
): Array<{ type: 'ServiceObserved'; revision: number; desiredCount: number; running: number; reason?: string; at: number }> {
  if (scale?.pending || service.status !== 'ACTIVE') return [];
  if (service.desiredCount === recorded.desired && service.runningCount === recorded.current) return [];
  const moved = service.desiredCount !== recorded.desired;
  return [
    {
      type: 'ServiceObserved',
      revision: recorded.revision,
      desiredCount: service.desiredCount,
      running: service.runningCount,
      ...(moved ? { reason: `desired count ${recorded.desired} → ${service.desiredCount}, set outside Blox (Application Auto Scaling?): kept` } : {}),
      at: now,
    },
  ];
}

/** How soon to look again while waiting for something ECS sends no event for (target health, an executed call). */
export const SERVICE_POLL_MS = 2_000;

const NEW_TASK_SET = '(new task set)';

const wantsToRun = (t: ObservedServiceTask) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED';
const stopping = (t: ObservedServiceTask) => t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED';

/**
 * The scale (percent of D) that makes ECS keep `tasks` tasks: ceil(D × p / 100) = tasks.
 * scalePercent(1, 3) === 33.3333 (ceil(0.999999) = 1); scalePercent(2, 4) === 50; scalePercent(0, 0) === 0.
 */
export function scalePercent(tasks: number, desiredCount: number): number {
  if (desiredCount <= 0) return tasks > 0 ? 100 : 0;
  if (tasks >= desiredCount) return 100;
  const exact = (tasks * 100) / desiredCount;
  if (Number.isInteger(exact)) return exact;
  // Rounded down to 4 decimals: just under the exact share, so ECS's ceil lands on `tasks` (checked:
  // floating point may still land a hair above, then one step lower does).
  let p = Math.floor(exact * 10_000) / 10_000;
  while (Math.ceil((desiredCount * p) / 100) > tasks) p = Math.round((p - 0.0001) * 10_000) / 10_000;
  return p;
}

/** What `planRolling` sees of a task set. */
export function taskSetView(set: ObservedTaskSet): TaskSetView {
  const live = set.tasks.filter(wantsToRun);
  return {
    id: set.id,
    scale: set.status === 'DRAINING' ? 0 : set.computedDesiredCount,
    running: live.length,
    ready: live.filter((t) => t.ready).length,
    stopping: set.tasks.filter(stopping).length,
  };
}

/** The target's task set (the newest live one of revision T) and the old ones, oldest first. */
export function splitTaskSets(service: ObservedService, revision: number): { target?: ObservedTaskSet | undefined; olds: ObservedTaskSet[] } {
  const target = [...service.taskSets].reverse().find((s) => s.revision === revision && s.status !== 'DRAINING');
  return { target, olds: service.taskSets.filter((s) => s !== target) };
}

export function planService(state: PlannerState, observed: Observed, now: number): Plan {
  const target = state.service;
  if (!target) throw new Error('planService: not a Service deployment');
  const T = state.revision;
  const config = state.configuration;
  const events: PlannerEvent[] = [];
  let wakeAt: number | undefined;
  const wake = (at: number) => {
    wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
  };
  const service: ObservedService = observed.service ?? { status: 'MISSING', desiredCount: target.desiredCount, taskSets: [], events: [] };
  const exists = service.status === 'ACTIVE' || service.status === 'DRAINING';
  const D = exists ? service.desiredCount : target.desiredCount;
  const { target: set, olds } = exists ? splitTaskSets(service, T) : { target: undefined, olds: [] };

  // ── Counts: DESIRED what ECS keeps for the revision's task set now, CURRENT its RUNNING tasks ──
  const counts = countRevisions(state, service);
  if (!sameCounts(counts, state.counts)) events.push({ type: 'RevisionCountsChanged', counts, at: now });

  // ── Safety, as for a Daemon (safety.ts): the watched alarms and the circuit breaker over revision T's tasks ──
  const alarms = readAlarms(state, observed.alarms ?? [], now);
  events.push(...alarms.events);
  const targetTasks = exists ? service.taskSets.filter((s) => s.revision === T).flatMap((s) => s.tasks) : [];
  const breaker = countServiceBreaker(state, targetTasks, D, now);
  events.push(...breaker.events);
  const stopped = safetyGate(state, alarms.trip ?? breaker.trip, events, now);
  if (stopped) return stopped;
  // Paused (pause-deployment): nothing moves, nothing completes, no clock runs (controls.ts); resume wakes it.
  if (state.paused) return { events, actions: [] };

  const blockers: string[] = [];
  const operations: ServiceOperation[] = [];
  /** Hook invocations (InvokeHook actions) of this plan. */
  const hookActions: PlannerAction[] = [];
  let step: RollingStep | undefined;
  /** Converged and held by the bake (or finishing after it), a pause step or a hook: not "no progress". */
  let baking = false;
  /** A blocker nothing will clear by waiting (the traffic route cannot be read): Stuck at once. */
  let stuckNow: string | undefined;
  /** The traffic schedule moved on (a step started): progress. */
  let advanced = false;
  const rollback = state.kind === 'rollback';

  /**
   * A stage's lifecycle hooks (hooks.ts): 'go' once every one answered SUCCEEDED; 'wait' while one runs
   * (its invocation planned, the plan holds); 'trip' when one failed or timed out — a deploy rolls back
   * (trigger Hook); a rollback's own hooks (PreRollback, PostRollback) cannot stop it: it goes on.
   */
  let hookTrip: string | undefined;
  const gate = (stage: HookStage): 'go' | 'wait' | 'trip' => {
    const g = runHooks(state, stage, now);
    if (g.kind === 'Passed') return 'go';
    if (g.kind === 'Failed') {
      if (stage === 'PreRollback' || stage === 'PostRollback') return 'go';
      events.push(...g.events);
      hookTrip = g.reason;
      return 'trip';
    }
    baking = true;
    blockers.push(g.reason);
    wake(g.wakeAt);
    if (state.frozen) return 'wait'; // nothing is invoked while frozen
    events.push(...g.events);
    hookActions.push(...g.actions);
    return 'wait';
  };

  /** Converged (Rolling), or Shifted (traffic): the bake, then the target PRIMARY and every old task set deleted, then DeploymentCompleted. */
  const finish = (): 'completed' | 'going' => {
    if (gate(rollback ? 'PostRollback' : 'PostTraffic') !== 'go') return 'going';
    // The bake: the alarms are watched BakeSeconds more; the old task sets stay until then (Rolling: at 0
    // tasks; traffic: at full size, with no traffic), so a rollback uses the old revision's own task set.
    const bakeMs = watching(state) ? (config.BakeSeconds ?? 0) * 1000 : 0;
    baking = baking || bakeMs > 0;
    if (bakeMs > 0 && state.phase?.phase !== 'Baking') {
      events.push({ type: 'BakeStarted', at: now });
      wake(now + bakeMs);
      return 'going';
    }
    // promote-deployment ends the bake now.
    if (bakeMs > 0 && state.phase?.phase === 'Baking' && now < state.phase.since + bakeMs && !promotedSince(state, state.phase.since)) {
      wake(state.phase.since + bakeMs);
      return 'going';
    }
    const live = olds.filter((o) => o.status !== 'DRAINING');
    if (set && set.status !== 'PRIMARY') operations.push({ op: 'SetPrimaryTaskSet', taskSet: set.id });
    for (const old of live) operations.push({ op: 'DeleteTaskSet', taskSet: old.id });
    if (operations.length > 0) return 'going';
    events.push({
      type: 'DeploymentCompleted',
      revision: T,
      retired: state.draining.map((d) => ({ revision: d.revision, status: d.status === 'Reverting' ? 'Reverted' : 'Inactive' })),
      at: now,
    });
    return 'completed';
  };

  if (service.status === 'DRAINING') {
    blockers.push(`service ${target.name} is DRAINING (being deleted): it cannot run task sets until it is INACTIVE`);
  } else if (exists && service.deploymentController !== undefined && service.deploymentController !== 'EXTERNAL') {
    blockers.push(`service ${target.name} has the ${service.deploymentController} deployment controller; Blox only manages services with the EXTERNAL controller`);
  } else if (rollback && gate('PreRollback') !== 'go') {
    // A rollback's PreRollback hooks run before anything moves.
  } else if (target.traffic) {
    if (!exists) operations.push({ op: 'EnsureService', desiredCount: D });
    const t = trafficStep(state, target.traffic, observed, set, D, now, gate);
    events.push(...t.events);
    operations.push(...t.operations);
    blockers.push(...t.blockers);
    if (t.wakeAt !== undefined) wake(t.wakeAt);
    if (t.holding) baking = true;
    stuckNow = t.stuckNow;
    advanced = t.advanced;
    if (t.shifted && finish() === 'completed') return { events, actions: [] };
  } else {
    const empty: TaskSetView = { id: NEW_TASK_SET, scale: 0, running: 0, ready: 0 };
    const canary = canaryStep(state, set, D, now);
    if (canary?.failed !== undefined && watching(state)) {
      // The canary task failed: the same trip as any trigger (nothing else was touched).
      events.push(...canary.events, tripEvent(state, canaryTaskTrip(canary.failed), now));
      return { events, actions: [] };
    }
    if (canary) {
      events.push(...canary.events);
      operations.push(...canary.operations);
      if (canary.wakeAt !== undefined) wake(canary.wakeAt);
      if (canary.reason) blockers.push(canary.reason);
    }
    // PreTraffic hooks run before the first task of the revision (a rollback's do not).
    const preflight = !canary && !set && !rollback ? gate('PreTraffic') : 'go';
    step =
      canary || preflight !== 'go'
        ? undefined
        : planRolling({
            desiredCount: D,
            minHealthyPercent: state.initial ? 0 : config.MinHealthyPercent,
            maxPercent: config.MaxPercent ?? 200,
            target: set ? taskSetView(set) : empty,
            olds: olds.map(taskSetView),
          });
    if (!exists) operations.unshift({ op: 'EnsureService', desiredCount: D });
    switch (step?.kind) {
      case undefined:
        break; // the canary task's phase, or a PreTraffic hook
      case 'Converged':
        if (finish() === 'completed') return { events, actions: [] };
        break;
      case 'Scale': {
        const byId = new Map(olds.map((o) => [o.id, o]));
        // Old sets give way first (their tasks named), then the target grows.
        for (const move of step.moves) {
          if (move.id === NEW_TASK_SET || move.id === set?.id) continue;
          const old = byId.get(move.id);
          if (old) operations.push(scaleDown(old, move, D));
        }
        for (const move of step.moves) {
          if (move.id === NEW_TASK_SET) {
            operations.push({ op: 'CreateTaskSet', taskDefinition: state.taskDefinition, scale: scalePercent(move.to, D), clientToken: clientToken(state, T) });
          } else if (set && move.id === set.id) {
            operations.push(scaleDown(set, move, D));
          }
        }
        break;
      }
      case 'Wait':
        blockers.push(step.reason);
        break;
      case 'Blocked':
        blockers.push(step.reason);
        break;
      default: {
        const never: never = step;
        throw new Error(`unexpected rolling step ${JSON.stringify(never)}`);
      }
    }
  }
  // A lifecycle hook failed or timed out: the same trip as any trigger (a rollback, or a halt).
  if (hookTrip !== undefined && watching(state)) {
    events.push(tripEvent(state, { trigger: 'Hook', reason: hookTrip, rollback: true }, now));
    return { events, actions: [] };
  }

  // ── Progress and health ──
  const mark = {
    ready: set ? set.tasks.filter((t) => wantsToRun(t) && t.ready).length : 0,
    old: olds.reduce((n, o) => n + o.tasks.filter((t) => t.lastStatus !== 'STOPPED').length, 0),
  };
  const progressed = mark.ready > state.progressMark.ready || mark.old < state.progressMark.old || advanced;
  if (mark.ready !== state.progressMark.ready || mark.old !== state.progressMark.old) {
    events.push({ type: 'DeploymentProgressed', ready: mark.ready, old: mark.old, at: now });
  }
  const lastProgressAt = progressed ? now : state.lastProgressAt;
  let health = state.health;
  if (progressed && health) {
    events.push({ type: 'DeploymentResumed', at: now });
    health = undefined;
  }

  // ── A step ECS refused (the executor's ServiceUpdateRefused, for this very step): Stuck at once with
  // ECS's reason (below), and the step sent again only after a back-off, under a new key ──
  const stepKey = `svc-${fnv1a64(state.deploymentId)}-${state.epoch}-${fnv1a64(`${D}:${JSON.stringify(operations)}`)}`;
  const refusal = !progressed && operations.length > 0 && state.serviceRefusal && serviceStepKey(state.serviceRefusal.key) === stepKey ? state.serviceRefusal : undefined;
  const retryAt = refusal ? refusal.at + refusalBackoffMs(refusal.count) : undefined;
  const holding = retryAt !== undefined && now < retryAt;

  const actions: PlannerAction[] = [...hookActions];
  if (!state.frozen && operations.length > 0 && !holding) {
    const reason = describeOperations(operations);
    actions.push({
      type: 'UpdateService',
      key: serviceRetryKey(stepKey, refusal?.count ?? 0),
      environment: state.environment,
      deploymentId: state.deploymentId,
      epoch: state.epoch,
      revision: T,
      cluster: state.cluster,
      reason,
      service: target,
      operations,
    });
  }
  // ECS sends no event when a target turns healthy, nor when a call of ours is done: look again soon.
  // A refused step waits for its back-off instead (no look every 2 s at a step that cannot go).
  if (holding) wake(retryAt);
  else if (operations.length > 0 || step?.kind === 'Wait') wake(now + SERVICE_POLL_MS);

  // ── Stuck and Failing ──
  const placement = service.events.find((m) => /unable to place a task/.test(m));
  if (placement) blockers.unshift(placement);
  // ECS could not register the tasks it started in the target group (its latest registration says so):
  // those tasks never turn ready, so waiting for them is no progress — Stuck at once, with ECS's reason.
  const registration = registrationFailure(service.events);
  if (registration) blockers.unshift(registration);
  const blockedNow = stuckNow ?? (step?.kind === 'Blocked' ? step.reason : step?.kind === 'Wait' && !progressed ? registration : undefined);
  const stuckFor = now - lastProgressAt;
  const refused = refusal ? `${refusal.operation} refused by ECS: ${refusal.reason}` : undefined;
  if (refused && health && health.reason !== refused) {
    // Already Stuck (or Failing) for another reason: it now says ECS's (its clock goes on).
    events.push({ type: health.status === 'Failing' ? 'DeploymentFailing' : 'DeploymentStuck', reason: refused, at: now });
    health = { ...health, reason: refused };
  } else if (refused && !health) {
    events.push({ type: 'DeploymentStuck', reason: refused, at: now });
    health = { status: 'Stuck', since: now, reason: refused };
  }
  if (!health && !baking && (blockedNow || stuckFor >= config.StuckAfterSeconds * 1000)) {
    const reason = blockedNow ?? blockers[0] ?? `no progress for ${Math.round(stuckFor / 1000)} s`;
    events.push({ type: 'DeploymentStuck', reason, at: now });
    health = { status: 'Stuck', since: now, reason };
  }
  if (health?.status === 'Stuck' && now - health.since >= config.FailingAfterSeconds * 1000) {
    events.push({ type: 'DeploymentFailing', reason: health.reason, at: now });
  } else if (health?.status === 'Stuck') {
    wake(health.since + config.FailingAfterSeconds * 1000);
  } else if (!health && !baking) {
    wake(lastProgressAt + config.StuckAfterSeconds * 1000);
  }
  return { events, actions: state.frozen ? [] : actions, wakeAt };
}

/** What the traffic strategies decided in one plan (service.ts turns it into the plan). */
interface TrafficOutcome {
  events: PlannerEvent[];
  operations: ServiceOperation[];
  blockers: string[];
  wakeAt?: number | undefined;
  /** A pause step, or a hook running: not "no progress". */
  holding: boolean;
  /** The schedule moved on: progress. */
  advanced: boolean;
  /** The target has all the traffic, verified: the plan finishes (PostTraffic hooks, bake, retire the old sets). */
  shifted: boolean;
  /** Stuck at once with this reason (the route cannot be read, or the task set is in a third group). */
  stuckNow?: string | undefined;
}

/** `SetWeight 10`, `Pause 300 s`, `Pause until promoted`. */
export function describeTrafficStep(step: CanaryStep): string {
  if ('SetWeight' in step) return `SetWeight ${step.SetWeight}`;
  return step.Pause.Seconds === undefined ? 'Pause until promoted' : `Pause ${step.Pause.Seconds} s`;
}

/** The production groups of a route: blue and green. */
export function routeGroups(route: TrafficRoute): { blue: string; green: string } {
  return route.kind === 'Alb' ? { blue: route.blueTargetGroupArn, green: route.greenTargetGroupArn } : { blue: route.blue.targetGroupArn, green: route.green.targetGroupArn };
}

/**
 * A deployment with TrafficRouting (Canary, BlueGreen; and every rollback of such a service), over two
 * target groups, blue and green:
 * - The target revision's task set (T's) is in its *group*: the group of its task set when it has one (a
 *   rollback's target still runs in its own group), else the group with no (or less) production traffic
 *   — a first deployment takes the live one (nothing to protect). The other group is the *stable* one.
 * - Canary (service-canary.ts `planCanary`): the Steps, their scale and weights; every rollback, and a
 *   first deployment, walk the one step `SetWeight 100` — the target's task set at D ready tasks, then
 *   all the traffic to it (a rollback: the old revision's task set never shrank while it had traffic,
 *   so the weights go back at once, before anything is scaled down).
 * - BlueGreen (blue-green.ts `planBlueGreen`): green at D, the test rule, the PostTestTraffic and
 *   PreTraffic hooks, the flip.
 * - PreTraffic hooks (Canary) run before the first weight moves to the canary.
 * - Once the target has 100 % in effect (`shifted`), the plan finishes: PostTraffic hooks, the bake
 *   (the old task sets still at full size), then they are deleted. Old task sets are never scaled down
 *   before: a task set whose group has weight keeps its size.
 * Weights are read back every plan (ALB DescribeRules; Route 53 records and GetChange), recorded when
 * they change (`TrafficWeightsObserved`); a step's change in effect starts the next step's clock.
 */
function trafficStep(
  state: PlannerState,
  route: TrafficRoute,
  observed: Observed,
  set: ObservedTaskSet | undefined,
  D: number,
  now: number,
  gate: (stage: HookStage) => 'go' | 'wait' | 'trip',
): TrafficOutcome {
  const out: TrafficOutcome = { events: [], operations: [], blockers: [], holding: false, advanced: false, shifted: false };
  const traffic = observed.traffic;
  if (!traffic || traffic.error !== undefined) {
    const reason = traffic?.error ?? 'the traffic route was not read';
    out.blockers.push(reason);
    out.stuckNow = reason;
    return out;
  }
  const previous = state.traffic?.weights;
  if (!previous || previous.length !== traffic.weights.length || previous.some((w, i) => w.targetGroupArn !== traffic.weights[i]?.targetGroupArn || w.weight !== traffic.weights[i]?.weight)) {
    out.events.push({ type: 'TrafficWeightsObserved', weights: traffic.weights, at: now });
  }
  const change = state.traffic?.change;
  if (change && !change.inSync && traffic.inSync) out.events.push({ type: 'TrafficInSync', changeId: change.id, at: now });

  const { blue, green } = routeGroups(route);
  const weightOf = (g: string) => traffic.weights.find((w) => w.targetGroupArn === g)?.weight ?? 0;
  const live = weightOf(green) > weightOf(blue) ? green : blue;
  const group = set?.targetGroupArn ?? (state.initial ? live : live === blue ? green : blue);
  if (group !== blue && group !== green) {
    const reason = `task set ${set?.id ?? ''} of revision ${state.revision} registers in ${group}, neither blue (${targetGroupName(blue)}) nor green (${targetGroupName(green)})`;
    out.blockers.push(reason);
    out.stuckNow = reason;
    return out;
  }
  const other = group === blue ? green : blue;
  const ready = set ? taskSetView(set).ready : 0;
  const canary = { scale: set ? set.computedDesiredCount : 0, ready };
  const weight = { value: weightOf(group), inSync: traffic.inSync };
  const production = (w: number): ServiceOperation => ({
    op: 'SetWeights',
    rule: 'production',
    weights: [
      { targetGroupArn: group, weight: w },
      { targetGroupArn: other, weight: 100 - w },
    ],
  });
  const scaleTo = (tasks: number): ServiceOperation[] => {
    if (!set) return [{ op: 'CreateTaskSet', taskDefinition: state.taskDefinition, scale: scalePercent(tasks, D), clientToken: clientToken(state, state.revision), targetGroupArn: group }];
    return set.computedDesiredCount >= tasks ? [] : [{ op: 'ScaleTaskSet', taskSet: set.id, scale: scalePercent(tasks, D), stopTasks: [] }];
  };
  const rollback = state.kind === 'rollback';

  if (state.configuration.Method === 'BlueGreen' && !rollback && !state.initial && route.kind === 'Alb') {
    const stagePassed = (stage: HookStage) => (state.configuration.Hooks ?? []).every((h, i) => h.Stage !== stage || state.hooks?.[String(i)]?.answer?.status === 'SUCCEEDED');
    const move = planBlueGreen({
      desiredCount: D,
      green: canary,
      greenTargetGroupArn: group,
      testTargetGroupArn: traffic.testTargetGroupArn,
      weight,
      hooksPassed: { PostTestTraffic: stagePassed('PostTestTraffic'), PreTraffic: stagePassed('PreTraffic') },
    });
    switch (move.kind) {
      case 'ScaleGreen':
        out.operations.push(...scaleTo(move.to));
        out.blockers.push(move.reason);
        break;
      case 'Wait':
        // Green's targets turning healthy, a change taking effect: no ECS event says so — look again soon.
        out.blockers.push(move.reason);
        out.wakeAt = now + SERVICE_POLL_MS;
        break;
      case 'SetTestTraffic':
        out.operations.push({ op: 'SetWeights', rule: 'test', weights: [{ targetGroupArn: group, weight: 100 }, { targetGroupArn: other, weight: 0 }] });
        out.blockers.push(move.reason);
        break;
      case 'Hooks':
        gate(move.stage);
        break;
      case 'Flip':
        out.operations.push(production(100));
        out.blockers.push(move.reason);
        break;
      case 'Shifted':
        out.shifted = true;
        break;
      default: {
        const never: never = move;
        throw new Error(`unexpected blue/green move ${JSON.stringify(never)}`);
      }
    }
    return out;
  }

  // Canary (and every rollback, and a first deployment: the one step SetWeight 100).
  const steps = rollback || state.initial || state.configuration.Method !== 'Canary' ? [] : (state.configuration.Steps ?? []);
  const schedule = canarySchedule(steps);
  const progress = state.traffic?.step;
  const planned = planCanary({
    steps,
    step: progress?.index ?? 0,
    stepStartedAt: progress?.since ?? now,
    promoted: progress ? canaryPromotion(state, progress.since) : undefined,
    desiredCount: D,
    canary,
    weight,
    now,
  });
  if (!progress || planned.step !== progress.index) {
    out.events.push({ type: 'TrafficStepStarted', step: planned.step, steps: schedule.length, description: describeTrafficStep(schedule[planned.step]!), at: planned.stepStartedAt });
    out.advanced = progress !== undefined;
  }
  const move = planned.move;
  switch (move.kind) {
    case 'ScaleCanary':
      out.operations.push(...scaleTo(move.to));
      out.blockers.push(move.reason);
      break;
    case 'SetWeight': {
      // PreTraffic hooks before the first production request reaches the new revision (not on a rollback).
      if (weight.value === 0 && !rollback && gate('PreTraffic') !== 'go') break;
      const op = production(move.weight);
      out.operations.push(op);
      // Route 53: the change is planned before it is sent, so weights read back before the executor
      // records its change id are not taken as in effect.
      if (route.kind === 'Route53' && op.op === 'SetWeights') out.events.push({ type: 'TrafficChangePlanned', weights: op.weights, at: now });
      out.blockers.push(move.reason);
      break;
    }
    case 'Wait': {
      out.blockers.push(move.reason);
      const current = schedule[planned.step];
      const paused = current !== undefined && 'Pause' in current;
      if (paused) out.holding = true;
      // A timed pause wakes at its end; one until promote-deployment at the command. Otherwise the wait is
      // for canary targets to turn healthy or a change to take effect, of which no ECS event tells: look
      // again soon (not at the next minute's tick: that would add up to a minute to every step).
      if (move.until !== undefined) out.wakeAt = move.until;
      else if (!paused) out.wakeAt = now + SERVICE_POLL_MS;
      break;
    }
    case 'Shifted':
      out.shifted = true;
      break;
    default: {
      const never: never = move;
      throw new Error(`unexpected canary move ${JSON.stringify(never)}`);
    }
  }
  return out;
}

/**
 * ECS's latest registration in the service's events (newest first), when it is a failure: "(service web)
 * failed to register targets in (target-group arn:…) with (error You've reached the limit on the number of
 * targets.)" — a target group at its quota (1,000 targets by default), for example. A later successful
 * registration ("(service web) registered 1 targets in …") means registrations go through again.
 * registrationFailure(['(service web) failed to register targets in (target-group tg) with (error E)']) === that message;
 * registrationFailure(['(service web) registered 1 targets in (target-group tg)', '(service web) failed to …']) === undefined.
 */
export function registrationFailure(events: readonly string[]): string | undefined {
  const latest = events.find((m) => /failed to register targets|\) registered \d+ targets/.test(m));
  return latest !== undefined && /failed to register targets/.test(latest) ? latest : undefined;
}

/** How often the canary task's target is read (two reads inside one health-check interval would see the same check). */
export const CANARY_READ_MS = 10_000;

/**
 * CanaryTask (seed 004), before anything else moves: the new task set at one task, in the production
 * target group; each plan reads its target (or its stop) into the state machine of
 * service-canary-task.ts. Undefined once the canary passed (the rollout goes on), or when there is
 * none: no CanaryTask, the first deployment (nothing to protect), a rollback, or no load balancer to read.
 * Failed → `CanaryTaskFailed` and `failed` (the reason): planService trips the deployment as any trigger
 * does (safety.ts, trigger CanaryTask: a rollback, or a halt with nothing to go back to); old task sets
 * were never touched.
 */
function canaryStep(
  state: PlannerState,
  set: ObservedTaskSet | undefined,
  D: number,
  now: number,
): { events: PlannerEvent[]; operations: ServiceOperation[]; wakeAt?: number | undefined; reason?: string | undefined; failed?: string | undefined } | undefined {
  const settings = state.configuration.CanaryTask;
  // Not on a rollback (it goes back to what ran before; its task set may be running at full size).
  const rollback = state.draining.some((d) => d.status === 'Reverting');
  if (!settings || state.initial || rollback || !state.service?.loadBalancer || D === 0) return undefined;
  const current = state.canaryTask ?? CANARY_TASK_START;
  if (current.phase === 'Passed') return undefined;
  if (current.phase === 'Failed') return { events: [], operations: [], reason: current.reason, failed: current.reason };
  const one = scalePercent(1, D);
  if (!set) return { events: [], operations: [{ op: 'CreateTaskSet', taskDefinition: state.taskDefinition, scale: one, clientToken: clientToken(state, state.revision) }], wakeAt: now + SERVICE_POLL_MS };
  const operations: ServiceOperation[] = set.computedDesiredCount === 1 ? [] : [{ op: 'ScaleTaskSet', taskSet: set.id, scale: one, stopTasks: [] }];
  // Blox never stops a canary task: one that stopped (ECS replaced it: it exited, or failed its health
  // check) failed the canary, whatever its replacement does.
  const stopped = set.tasks.find((t) => t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED');
  const task = set.tasks.find(wantsToRun);
  let read: CanaryTaskRead | undefined;
  if (stopped) read = { type: 'TaskStopped', stopCode: stopped.stopCode, stoppedReason: stopped.stoppedReason, at: now };
  else if (task?.lastStatus === 'RUNNING') read = { type: 'TargetHealth', state: task.target?.state ?? 'absent', reason: task.target?.reason, at: now };
  const next = read ? stepCanaryTask(current, read, { HealthyChecks: settings.HealthyChecks, minIntervalMs: CANARY_READ_MS }) : current;
  const events: PlannerEvent[] = [];
  if (JSON.stringify(next) !== JSON.stringify(current)) events.push({ type: 'CanaryTaskChecked', canary: next, at: now });
  if (next.phase === 'Failed') {
    events.push({ type: 'CanaryTaskFailed', reason: next.reason, at: now });
    return { events, operations: [], reason: next.reason, failed: next.reason };
  }
  // Passed: the rollout goes on at the next plan (at once).
  return { events, operations, wakeAt: next.phase === 'Passed' ? now : now + (next.phase === 'Checking' ? CANARY_READ_MS : SERVICE_POLL_MS), reason: `canary task: ${next.phase}` };
}

/**
 * The ScaleTaskSet of a move (`move.to` ≤ the set's scale, or a growth): the tasks the scale-down gives
 * up named and stopped first, at most MAX_SERVICE_STOPS of them — the scale then comes down only by as
 * many (this step stops fewer; the next goes on). To 0, no task is named: ECS stops every task of a
 * task set at scale 0, there is no choice for its scale-in to get wrong (1,000 StopTask calls would
 * outlast the executor's 30 s).
 * D = 300, old set of 300 ready, move 300 → 150 (150 ready to stop) → scale 66.6666 % (200), the 100 newest stopped.
 */
function scaleDown(set: ObservedTaskSet, move: TaskSetMove, D: number): ServiceOperation {
  if (move.to === 0) return { op: 'ScaleTaskSet', taskSet: set.id, scale: 0, stopTasks: [] };
  const stops = move.stopUnready + move.stopReady;
  if (stops <= MAX_SERVICE_STOPS) return { op: 'ScaleTaskSet', taskSet: set.id, scale: scalePercent(move.to, D), stopTasks: victims(set, move.stopUnready, move.stopReady) };
  const unready = Math.min(move.stopUnready, MAX_SERVICE_STOPS);
  const to = Math.min(move.from, move.to + stops - MAX_SERVICE_STOPS);
  return { op: 'ScaleTaskSet', taskSet: set.id, scale: scalePercent(to, D), stopTasks: victims(set, unready, MAX_SERVICE_STOPS - unready) };
}

/** The tasks a scale-down stops: `unready` of the tasks not ready (not yet RUNNING first), then `ready` ready ones (newest first). */
function victims(set: ObservedTaskSet, unready: number, ready: number): string[] {
  const live = set.tasks.filter(wantsToRun);
  const rank = (t: ObservedServiceTask) => (t.lastStatus === 'RUNNING' ? 1 : 0);
  const notReady = live.filter((t) => !t.ready).sort((a, b) => rank(a) - rank(b));
  const readyOnes = live.filter((t) => t.ready).reverse();
  return [...notReady.slice(0, unready), ...readyOnes.slice(0, ready)].map((t) => t.arn);
}

/** ECS's clientToken (≤ 36 characters): one per deployment and revision, so a retried create returns the task set made. */
function clientToken(state: PlannerState, revision: number): string {
  return `blox-${fnv1a64(`${state.deploymentId}#${state.epoch}`)}-${revision}`.slice(0, 36);
}

export function describeOperations(operations: readonly ServiceOperation[]): string {
  return operations
    .map((o) => {
      switch (o.op) {
        case 'EnsureService':
          return `ensure the service (desired count ${o.desiredCount})`;
        case 'CreateTaskSet':
          return `create a task set of ${o.taskDefinition} at ${o.scale} %`;
        case 'ScaleTaskSet':
          return `scale ${o.taskSet} to ${o.scale} %${o.stopTasks.length > 0 ? ` (stopping ${o.stopTasks.length})` : ''}`;
        case 'SetPrimaryTaskSet':
          return `make ${o.taskSet} primary`;
        case 'DeleteTaskSet':
          return `delete ${o.taskSet}`;
        case 'SetDesiredCount':
          return `set the desired count to ${o.desiredCount}`;
        case 'DeleteService':
          return 'delete the service';
        case 'SetWeights':
          return `${o.rule === 'test' ? 'test traffic' : 'traffic'} ${o.weights.map((w) => `${targetGroupName(w.targetGroupArn)} ${w.weight} %`).join(', ')}`;
        default: {
          const never: never = o;
          return JSON.stringify(never);
        }
      }
    })
    .join('; ');
}

/** A target group's name, from its ARN (`arn:…:targetgroup/web-blue/0123` → `web-blue`), or the ARN as given. */
export function targetGroupName(arn: string): string {
  const match = /targetgroup\/([^/]+)/.exec(arn);
  return match?.[1] ?? arn;
}

function countRevisions(state: PlannerState, service: ObservedService): RevisionCount[] {
  const desired = new Map<number, number>();
  const current = new Map<number, number>();
  for (const set of service.taskSets) {
    if (set.revision === undefined) continue;
    if (set.status !== 'DRAINING') desired.set(set.revision, (desired.get(set.revision) ?? 0) + set.computedDesiredCount);
    const running = set.tasks.filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING').length;
    current.set(set.revision, (current.get(set.revision) ?? 0) + running);
  }
  const revisions = [state.revision, ...state.draining.map((d) => d.revision)].sort((a, b) => a - b);
  return revisions.map((revision) => ({ revision, desired: desired.get(revision) ?? 0, current: current.get(revision) ?? 0 }));
}

function sameCounts(a: RevisionCount[], b: RevisionCount[]): boolean {
  return a.length === b.length && a.every((c, i) => c.revision === b[i]?.revision && c.desired === b[i]?.desired && c.current === b[i]?.current);
}
