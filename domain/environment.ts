/**
 * The environment aggregate as a decider: `decide(command, state) → events`, `evolve(state, event) → state`.
 *
 * Worked example — the walkthrough, as events:
 *
 * ```
 * create (log-daemon:1)          → EnvironmentCreated, RevisionCreated{1}        1: Created
 * deploy 1                       → DeploymentStarted{1, undeploying: [], initial} 1: Deploying
 *   … the engine converges …     → DeploymentCompleted{1}                        1: Active
 * update base 1 (log-daemon:2)   → RevisionCreated{2, basedOn 1}                 1: Active, 2: Created
 * deploy 2                       → DeploymentStarted{2, undeploying: [1]}        1: Undeploying, 2: Deploying
 * rollback to 1                  → RollbackStarted{1, reverting: [2]}            1: Deploying, 2: Reverting
 * freeze                         → EnvironmentFrozen                             environment: Suspended
 * ```
 *
 * Refusals: deploy 1 while 2 is Active → ConflictError (use rollback); update based on 1 when 2
 * exists → ConflictError (stale base); update giving only TaskDefinition without a base →
 * ValidationError naming `Revision`; anything on an unknown environment → NotFoundError.
 *
 * The state kept here is the *live* part of the environment: the latest spec, the deployment in
 * progress, and the revisions that are not retired (Inactive, Reverted) or dormant (Created but
 * older than a deployed revision). Retired and dormant revisions live on in the revision table
 * (see `compact` and `changedRevisions`), so the state stays small however long the log grows.
 */
import { ConflictError, NotFoundError, ValidationError } from './errors';
import type { Health, LifecycleStatus, DisplayStatus } from './revision-status';
import { displayStatus, isRetired } from './revision-status';
import type { GroupWeight, HookStatus, PlannerEvent, PromotionEnds, PlannerState, SafetyTrigger, ServiceOperation, ServiceTarget } from './rollout';
import { applyPlannerEvent, pauseEngine, promotable, promoteEngine, recordHookAnswer, recordLaunchFailures, recordServiceRefusal, recordTrafficChange, resumeEngine } from './rollout';
import type { DeploymentConfiguration, EffectiveDeploymentConfiguration, EnvironmentSpec, HookStage, SpecPatch } from './spec';
import { effectiveDeploymentConfiguration, isWholeSpec, mergeSpec, describeIssues, serviceNameOf, specSchemas } from './spec';
import { isoFromMs, msFromIso } from './time';

// ── Commands (imperative) ───────────────────────────────────────────────────────────────────────

export type EnvironmentCommand =
  | { type: 'CreateEnvironment'; spec: EnvironmentSpec; at: string }
  | { type: 'UpdateEnvironment'; name: string; baseRevision?: number | undefined; patch: SpecPatch; at: string }
  /** `targetSpec`: the spec of the revision to deploy, from the revision table (not needed for the latest). */
  | { type: 'DeployRevision'; name: string; revision: number; targetSpec?: EnvironmentSpec | undefined; caller?: string | undefined; at: string }
  /** `trigger`: an automatic rollback (the engine, on an alarm or the circuit breaker), with its reason. */
  | { type: 'RollbackToRevision'; name: string; revision: number; targetSpec?: EnvironmentSpec | undefined; trigger?: DeploymentTrigger | undefined; caller?: string | undefined; at: string }
  | { type: 'FreezeEnvironment'; name: string; at: string }
  | { type: 'ThawEnvironment'; name: string; at: string }
  /** scale-environment (Service): the service's desired count, without a deployment. */
  | { type: 'ScaleEnvironment'; name: string; desiredCount: number; at: string }
  /**
   * delete-environment: refused while the environment runs tasks (or deploys) unless `force`.
   * `deployedSpec`: the spec of the newest deployed revision when it is not the latest (its cluster and service).
   */
  | { type: 'DeleteEnvironment'; name: string; force: boolean; deployedSpec?: EnvironmentSpec | undefined; caller?: string | undefined; at: string }
  | DeploymentControlCommand;

/**
 * Controls of a running deployment (DESIGN.md; domain/rollout/controls.ts), each with who used it
 * (`caller`: the IAM identity the API saw) and why. `AbortDeployment` carries the spec of the revision
 * it rolls back to when that is not the latest (from the revision table).
 */
export type DeploymentControlCommand =
  | { type: 'PauseDeployment'; name: string; caller: string; reason?: string | undefined; at: string }
  | { type: 'ResumeDeployment'; name: string; caller: string; reason?: string | undefined; at: string }
  | { type: 'PromoteDeployment'; name: string; full: boolean; caller: string; reason?: string | undefined; at: string }
  | { type: 'AbortDeployment'; name: string; caller: string; reason?: string | undefined; targetSpec?: EnvironmentSpec | undefined; at: string };

// ── Events (past tense) ─────────────────────────────────────────────────────────────────────────

export type EnvironmentEvent =
  | { type: 'EnvironmentCreated'; name: string; at: string }
  | { type: 'RevisionCreated'; revision: number; spec: EnvironmentSpec; basedOn?: number | undefined; at: string }
  | {
      type: 'DeploymentStarted';
      deploymentId: string;
      revision: number;
      /** Revisions that were running and now drain: the Active one, and a Deploying one it supersedes. */
      undeploying: number[];
      /** The environment's first deployment: MinHealthyPercent does not apply. */
      initial: boolean;
      target: DeploymentTarget;
      /** Who ran deploy-environment (the IAM identity the API saw; absent in logs written before it was recorded). */
      caller?: string | undefined;
      at: string;
    }
  | {
      type: 'RollbackStarted';
      deploymentId: string;
      revision: number;
      /** Revisions newer than the target that were deployed, deploying or draining: they turn Reverting. */
      reverting: number[];
      /** Revisions older than the target that were still deployed: they drain as usual. */
      undeploying: number[];
      /** The environment's `RollbackConfiguration` at the time, applied over the target's configuration. */
      rollbackConfiguration?: DeploymentConfiguration | undefined;
      /** An automatic rollback: what triggered it, and why. */
      trigger?: DeploymentTrigger | undefined;
      target: DeploymentTarget;
      /** Who ran rollback-environment or abort-deployment (none for a rollback the engine triggered). */
      caller?: string | undefined;
      at: string;
    }
  | { type: 'EnvironmentFrozen'; at: string }
  | { type: 'EnvironmentThawed'; at: string }
  /** scale-environment: the service is to run `desiredCount` tasks (the engine sets it, then records `ScaleApplied`). */
  | { type: 'EnvironmentScaled'; desiredCount: number; at: string }
  /**
   * delete-environment: the engine scales the environment to zero (Daemon: stops every task; Service:
   * desired count and task sets to 0, then deletes the task sets and the service) and records
   * `DeletionCompleted`. `tasks`: what it ran when the deletion started; `revision`: the revision in focus.
   */
  | { type: 'DeletionStarted'; deletionId: string; revision: number; force: boolean; tasks: number; target: DeploymentTarget; caller?: string | undefined; at: string }
  /** delete-environment of an environment that never deployed anything: deleted at once, nothing to stop. */
  | { type: 'EnvironmentDeleted'; at: string }
  /** delete-environment --force while a deletion without it is in progress: it may now stop tasks. */
  | { type: 'DeletionForced'; at: string }
  | DeploymentControlEvent
  | EngineEvent;

/**
 * The controls, as recorded: who, why, and what they did. `DeploymentAborted` is followed in the same
 * append by the `RollbackStarted` it decided (trigger `Abort`).
 */
export type DeploymentControlEvent =
  /** pause-deployment: nothing moves, the deployment's clock stops. */
  | { type: 'DeploymentPaused'; deploymentId: string; caller: string; reason?: string | undefined; at: string }
  /** resume-deployment: the deployment goes on; its timers are shifted by the time spent paused. */
  | { type: 'DeploymentUnpaused'; deploymentId: string; caller: string; reason?: string | undefined; at: string }
  /** promote-deployment: the bake (Bake) or the Daemon canary's bake (CanaryBake) in progress ends now; `full` skips every remaining step. */
  | { type: 'DeploymentPromoted'; deploymentId: string; full: boolean; ends: PromotionEnds; caller: string; reason?: string | undefined; at: string }
  /** abort-deployment: the deployment rolls back to `to`, the revision Active when it started. */
  | { type: 'DeploymentAborted'; deploymentId: string; to: number; caller: string; reason?: string | undefined; at: string };

/**
 * What acted on a deployment by itself: `alarm daemon-errors entered ALARM at …`, `circuit breaker: 3 of 3 new tasks …`;
 * or `Abort`: abort-deployment (`abort-deployment by <caller>: <reason>`), an automatic rollback a person asked for.
 */
export interface DeploymentTrigger {
  kind: SafetyTrigger | 'Abort';
  reason: string;
}

/** What a deployment moves to: the target revision's task definition, cluster, group and configuration. */
export interface DeploymentTarget {
  taskDefinition: string;
  cluster: string;
  query?: string | undefined;
  configuration: EffectiveDeploymentConfiguration;
  /** A Service environment: its ECS service. */
  service?: ServiceTarget | undefined;
}

/**
 * What the engine records: the planner's decisions (domain/rollout, `at` in epoch ms) and the
 * outcomes of the executor that observation cannot show: launches ECS refused (its `failures[]`,
 * by container instance id), and a Service step ECS refused with a client error (`operation`, and
 * `<ErrorName>: <message>`; once per action key). Launches that succeed and stops are seen by the
 * next plan in ECS itself.
 */
export type EngineEvent =
  | PlannerEvent
  | { type: 'LaunchesFailed'; key: string; failures: Array<{ instance: string; reason: string }>; at: number }
  | { type: 'ServiceUpdateRefused'; key: string; operation: ServiceOperation['op']; reason: string; at: number }
  /** Route 53 accepted a weight change (`changeId`, PENDING until INSYNC): the next plans ask GetChange. */
  | { type: 'TrafficChangeSubmitted'; key: string; changeId: string; weights: GroupWeight[]; at: number }
  /** A lifecycle hook answered (or could not be invoked: FAILED with the reason). */
  | { type: 'HookAnswered'; hook: number; stage: HookStage; attempt: number; status: HookStatus; callBackDelaySeconds?: number | undefined; reason?: string | undefined; at: number }
  /** The service runs at the desired count scale-environment asked for (or had none to scale yet). */
  | { type: 'ScaleApplied'; desiredCount: number; at: number }
  /**
   * A Service environment at rest: its service's desired and running counts as ECS has them, recorded
   * when they differ from the Active revision's DESIRED/CURRENT — the desired count set outside Blox
   * (Application Auto Scaling) is kept, never undone; `reason` says so when the desired count moved.
   */
  | { type: 'ServiceObserved'; revision: number; desiredCount: number; running: number; reason?: string | undefined; at: number };

export type EnvironmentEventType = EnvironmentEvent['type'];

// ── State ───────────────────────────────────────────────────────────────────────────────────────

export interface RevisionSummary {
  revision: number;
  status: LifecycleStatus;
  health?: Health | undefined;
  statusReason?: string | undefined;
  /** How many tasks the revision should have now. */
  desired: number;
  /** How many tasks it has running. */
  current: number;
  updatedAt: string;
}

export interface Deployment {
  id: string;
  revision: number;
  /** `delete`: delete-environment scaling the environment to zero (see `deletion`). */
  kind: 'deploy' | 'rollback' | 'delete';
  initial: boolean;
  startedAt: string;
  rollbackConfiguration?: DeploymentConfiguration | undefined;
  /** A trigger that started this rollback, or halted this deployment, with its reason (and when). */
  trigger?: (DeploymentTrigger & { at: string }) | undefined;
}

interface EnvironmentCommon {
  name: string;
  /** Sequence number of the last event folded in (the first event is 1). */
  version: number;
  createdAt: string;
  updatedAt: string;
  latestRevision: number;
  latestSpec: EnvironmentSpec;
  frozen: boolean;
  /** Whether any revision has ever become Active (the first deployment ignores MinHealthyPercent). */
  hasBeenActive: boolean;
  activeRevision?: number | undefined;
  /** Bumped by every deploy, rollback, freeze and thaw: actions planned in an older epoch are dropped. */
  epoch: number;
  /** Live revisions, ascending by number. */
  revisions: RevisionSummary[];
  /** The last deployment that completed (what a trigger did stays visible after it). */
  lastDeployment?: (Pick<Deployment, 'id' | 'revision' | 'kind' | 'startedAt' | 'trigger'> & { completedAt: string }) | undefined;
  /** A Service's desired count set by scale-environment (over the spec's DesiredCount); `pending` until the service has it. */
  scale?: { desiredCount: number; pending: boolean } | undefined;
  /** delete-environment: in progress (`Deleting`) until `completedAt` (`Deleted`). The log is kept. */
  deletion?: { id: string; startedAt: string; force: boolean; tasks: number; completedAt?: string | undefined } | undefined;
}

/** No deployment in progress. */
export interface EnvironmentAtRest extends EnvironmentCommon {
  deployment?: undefined;
  engine?: undefined;
}

/** A deployment in progress, and the planner's bookkeeping of it. */
export interface EnvironmentDeploying extends EnvironmentCommon {
  deployment: Deployment;
  engine: PlannerState;
}

/** The environment's state, by phase: `if (state.engine)` narrows to a deployment in progress. */
export type EnvironmentState = EnvironmentAtRest | EnvironmentDeploying;

// ── decide ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Decides what a command means for the environment, or throws a DomainError.
 * An empty result means "nothing to change" (freezing a frozen environment).
 */
export function decide(command: EnvironmentCommand, state: EnvironmentState | undefined): EnvironmentEvent[] {
  if (state?.deletion && command.type !== 'CreateEnvironment' && command.type !== 'DeleteEnvironment') refuseDeleted(state, command.type);
  switch (command.type) {
    case 'CreateEnvironment': {
      if (state?.deletion && !state.deletion.completedAt) {
        throw new ConflictError(`environment "${state.name}" is being deleted (${state.deletion.id}): create it again once it is Deleted`);
      }
      if (state && !state.deletion) throw new ConflictError(`environment "${command.spec.Name}" already exists`);
      // A deleted environment's name may be used again (as ECS lets a deleted service's): a fresh start
      // whose log goes on after the deleted one's, so its first revision is numbered after theirs.
      return [
        { type: 'EnvironmentCreated', name: command.spec.Name, at: command.at },
        { type: 'RevisionCreated', revision: (state?.latestRevision ?? 0) + 1, spec: command.spec, at: command.at },
      ];
    }
    case 'DeleteEnvironment':
      return decideDelete(command, existing(state, command.name));
    case 'UpdateEnvironment': {
      const current = existing(state, command.name);
      return [decideUpdate(command, current)];
    }
    case 'DeployRevision': {
      const current = existing(state, command.name);
      return [decideDeploy(command, current)];
    }
    case 'RollbackToRevision':
      return decideRollbackToRevision(command, state);
    case 'FreezeEnvironment':
      return existing(state, command.name).frozen ? [] : [{ type: 'EnvironmentFrozen', at: command.at }];
    case 'ThawEnvironment':
      return existing(state, command.name).frozen ? [{ type: 'EnvironmentThawed', at: command.at }] : [];
    case 'PauseDeployment':
    case 'ResumeDeployment':
    case 'PromoteDeployment':
    case 'AbortDeployment':
      return decideControl(command, existing(state, command.name));
    case 'ScaleEnvironment': {
      const current = existing(state, command.name);
      if (current.latestSpec.DeploymentType !== 'Service') {
        throw new ConflictError(`"${current.name}" is a ${current.latestSpec.DeploymentType} environment: scale-environment applies to Service environments (a Daemon runs one task per instance)`);
      }
      if (!Number.isInteger(command.desiredCount) || command.desiredCount < 0 || command.desiredCount > 10000) {
        throw new ValidationError('DesiredCount: expected an integer from 0 to 10000', 'DesiredCount');
      }
      return [{ type: 'EnvironmentScaled', desiredCount: command.desiredCount, at: command.at }];
    }
    default:
      return assertNever(command);
  }
}

/**
 * `decide` for rollback-environment alone: what the engine decides for a trigger's rollback. The
 * engine functions call this rather than `decide`, so their bundles carry neither the other commands'
 * code nor what it uses (the spec's schemas, which an update validates a whole spec with).
 */
export function decideRollbackToRevision(command: Extract<EnvironmentCommand, { type: 'RollbackToRevision' }>, state: EnvironmentState | undefined): EnvironmentEvent[] {
  if (state?.deletion) refuseDeleted(state, command.type);
  return [decideRollback(command, existing(state, command.name))];
}

const COMMAND_NAMES: Record<Exclude<EnvironmentCommand['type'], 'CreateEnvironment' | 'DeleteEnvironment'>, string> = {
  UpdateEnvironment: 'update-environment',
  DeployRevision: 'deploy-environment',
  RollbackToRevision: 'rollback-environment',
  FreezeEnvironment: 'freeze-environment',
  ThawEnvironment: 'thaw-environment',
  ScaleEnvironment: 'scale-environment',
  PauseDeployment: 'pause-deployment',
  ResumeDeployment: 'resume-deployment',
  PromoteDeployment: 'promote-deployment',
  AbortDeployment: 'abort-deployment',
};

/** Nothing but delete-environment (and create, once Deleted) applies to a deleted or deleting environment. */
function refuseDeleted(state: EnvironmentState, type: keyof typeof COMMAND_NAMES): never {
  const deletion = state.deletion!;
  const what = deletion.completedAt ? `was deleted at ${deletion.completedAt}` : `is being deleted (${deletion.id}, started ${deletion.startedAt})`;
  throw new ConflictError(`environment "${state.name}" ${what}: ${COMMAND_NAMES[type]} is refused`);
}

/** Tasks the environment runs, as the revision table last counted them. */
export function runningTasks(state: EnvironmentState): number {
  return state.revisions.reduce((sum, r) => sum + (isRetired(r.status) ? 0 : r.current), 0);
}

/**
 * delete-environment. Refused (409) while the environment runs tasks or deploys, unless `force`;
 * refused while frozen when there is something to scale down (nothing moves while frozen).
 * Never deployed: `EnvironmentDeleted` at once. Otherwise `DeletionStarted`: the engine scales it to
 * zero (and removes a Service's ECS service), then records `DeletionCompleted`.
 * Already being deleted: nothing to change. Deleted: 409.
 */
function decideDelete(command: Extract<EnvironmentCommand, { type: 'DeleteEnvironment' }>, state: EnvironmentState): EnvironmentEvent[] {
  if (state.deletion?.completedAt) throw new ConflictError(`environment "${state.name}" was already deleted at ${state.deletion.completedAt}`);
  // Being deleted: nothing to change, unless --force now lets a deletion asked without it stop tasks.
  if (state.deletion) return command.force && !state.deletion.force ? [{ type: 'DeletionForced', at: command.at }] : [];
  const tasks = runningTasks(state);
  if (!command.force) {
    const byRevision = state.revisions.filter((r) => r.current > 0 && !isRetired(r.status)).map((r) => `revision ${r.revision}: ${r.current}`);
    if (state.deployment) {
      throw new ConflictError(
        `environment "${state.name}" has a ${state.deployment.kind} in progress (${state.deployment.id}) and runs ${tasks} task(s): delete-environment --force stops it and scales the environment to zero`,
      );
    }
    if (tasks > 0) {
      throw new ConflictError(`environment "${state.name}" runs ${tasks} task(s) (${byRevision.join(', ')}): delete-environment --force scales it to zero first`);
    }
  }
  if (!state.hasBeenActive && !state.deployment) return [{ type: 'EnvironmentDeleted', at: command.at }];
  if (state.frozen) {
    throw new ConflictError(`environment "${state.name}" is frozen (Suspended): nothing moves while it is frozen, so it cannot be scaled to zero; thaw-environment first`);
  }
  const revision = newestDeployedRevision(state) ?? state.latestRevision;
  const spec = revision === state.latestRevision ? state.latestSpec : (command.deployedSpec ?? state.latestSpec);
  return [
    {
      type: 'DeletionStarted',
      deletionId: `${state.name}:delete@${stamp(command.at)}`,
      revision,
      force: command.force,
      tasks,
      target: {
        taskDefinition: spec.TaskDefinition,
        cluster: spec.Cluster ?? 'default',
        query: spec.InstanceGroup?.Query,
        configuration: effectiveDeploymentConfiguration(spec),
        ...(spec.DeploymentType === 'Service' ? { service: serviceTarget(spec, 0) } : {}),
      },
      ...(command.caller ? { caller: command.caller } : {}),
      at: command.at,
    },
  ];
}

/**
 * pause-, resume-, promote- and abort-deployment (domain/rollout/controls.ts). Each is refused (409) when
 * it does not apply: no deployment in progress; pause when paused; resume when not paused; promote with
 * no bake (or pause) in progress; abort of a rollback, or of a deployment with no revision to go back to
 * (none was Active when it started: the first deployment, or one that replaced a deployment in progress).
 * Abort: `DeploymentAborted`, then the `RollbackStarted` of rollback-environment to that revision, with
 * trigger `Abort` (an automatic rollback a person asked for: RollbackConfiguration applies).
 */
function decideControl(command: DeploymentControlCommand, state: EnvironmentState): EnvironmentEvent[] {
  const verb = COMMAND_NAMES[command.type];
  if (!state.engine || !state.deployment) {
    const last = state.lastDeployment ? ` (the last one, ${state.lastDeployment.id}, completed at ${state.lastDeployment.completedAt})` : '';
    throw new ConflictError(`"${state.name}" has no deployment in progress${last}: ${verb} applies to a running deployment`);
  }
  const { deployment, engine } = state;
  const who = { caller: command.caller, ...(command.reason !== undefined ? { reason: command.reason } : {}) };
  const what = `${deployment.kind === 'rollback' ? 'rollback' : 'deployment'} ${deployment.id}`;
  const pausedSince = engine.paused ? `paused since ${isoFromMs(engine.paused.since)} by ${engine.paused.by}` : undefined;
  switch (command.type) {
    case 'PauseDeployment':
      if (pausedSince) throw new ConflictError(`${what} of "${state.name}" is already ${pausedSince}: resume-deployment to go on`);
      return [{ type: 'DeploymentPaused', deploymentId: deployment.id, ...who, at: command.at }];
    case 'ResumeDeployment':
      if (!pausedSince) throw new ConflictError(`${what} of "${state.name}" is not paused (it is ${environmentSummary(state).status}): nothing to resume`);
      return [{ type: 'DeploymentUnpaused', deploymentId: deployment.id, ...who, at: command.at }];
    case 'PromoteDeployment': {
      const verdict = promotable(engine, command.full);
      if (!verdict.ok) throw new ConflictError(`${what} of "${state.name}" has nothing to promote: ${verdict.why}`);
      return [{ type: 'DeploymentPromoted', deploymentId: deployment.id, full: command.full, ends: verdict.ends, ...who, at: command.at }];
    }
    case 'AbortDeployment': {
      if (deployment.kind === 'rollback') {
        throw new ConflictError(`${what} of "${state.name}" is a rollback: abort-deployment rolls a deployment back (use rollback-environment or deploy-environment to go elsewhere)`);
      }
      const to = engine.rollbackTo;
      if (to === undefined) {
        const why = deployment.initial ? 'it is the first deployment of the environment' : 'no revision was Active when it started';
        throw new ConflictError(`${what} of "${state.name}" has no revision to roll back to (${why}): use rollback-environment to name one`);
      }
      if (to !== state.latestRevision && !command.targetSpec) {
        // The API read the target's spec for the deployment it saw; another one started meanwhile.
        throw new ConflictError(`${what} of "${state.name}" changed while abort-deployment was sent: send it again`);
      }
      const reason = `abort-deployment by ${command.caller}${command.reason ? `: ${command.reason}` : ''}`;
      const rollback = decideRollback(
        { type: 'RollbackToRevision', name: state.name, revision: to, targetSpec: command.targetSpec, trigger: { kind: 'Abort', reason }, caller: command.caller, at: command.at },
        state,
      );
      return [{ type: 'DeploymentAborted', deploymentId: deployment.id, to, ...who, at: command.at }, rollback];
    }
    default:
      return assertNever(command);
  }
}

function existing(state: EnvironmentState | undefined, name: string): EnvironmentState {
  if (!state) throw new NotFoundError(`environment "${name}" does not exist`);
  return state;
}

function requireRevision(state: EnvironmentState, revision: number, field = 'EnvironmentRevision'): void {
  if (!Number.isInteger(revision) || revision < 1) {
    throw new ValidationError(`${field}: expected a revision number of at least 1`, field);
  }
  if (revision > state.latestRevision) {
    throw new NotFoundError(
      `revision ${revision} of environment "${state.name}" does not exist (the latest is ${state.latestRevision})`,
    );
  }
}

function decideUpdate(command: Extract<EnvironmentCommand, { type: 'UpdateEnvironment' }>, state: EnvironmentState): EnvironmentEvent {
  const whole = isWholeSpec(command.patch);
  if (command.baseRevision === undefined && !whole) {
    throw new ValidationError(
      'Revision: required when the update does not give the whole spec (Name, TaskDefinition and DeploymentType); name the revision your change is based on',
      'Revision',
    );
  }
  if (command.baseRevision !== undefined) {
    requireRevision(state, command.baseRevision, 'Revision');
    if (command.baseRevision !== state.latestRevision) {
      throw new ConflictError(
        `revision ${command.baseRevision} is not the latest revision of "${state.name}" (${state.latestRevision} is): describe the environment and base your change on revision ${state.latestRevision}`,
      );
    }
  }
  const spec = whole ? replaceSpec(state.latestSpec, command.patch) : mergeSpec(state.latestSpec, command.patch);
  return {
    type: 'RevisionCreated',
    revision: state.latestRevision + 1,
    spec,
    basedOn: command.baseRevision ?? state.latestRevision,
    at: command.at,
  };
}

/** A whole spec replaces the base; it may not rename the environment or change its type. */
function replaceSpec(base: EnvironmentSpec, patch: SpecPatch): EnvironmentSpec {
  if (patch.Name !== base.Name) {
    throw new ValidationError(`Name: cannot be changed by an update (the environment is "${base.Name}")`, 'Name');
  }
  if (patch.DeploymentType !== base.DeploymentType) {
    throw new ValidationError(
      `DeploymentType: cannot change from ${base.DeploymentType} to ${patch.DeploymentType}; create a new environment`,
      'DeploymentType',
    );
  }
  const result = specSchemas().environmentSpecSchema.safeParse(patch, { reportInput: true });
  if (!result.success) {
    const { field, message } = describeIssues(result.error.issues);
    throw new ValidationError(message, field || undefined);
  }
  return result.data;
}

/** The newest revision that is deployed or being deployed: the deployment's target, else the Active one. */
export function newestDeployedRevision(state: EnvironmentState): number | undefined {
  return state.deployment?.revision ?? state.activeRevision;
}

function decideDeploy(command: Extract<EnvironmentCommand, { type: 'DeployRevision' }>, state: EnvironmentState): EnvironmentEvent {
  requireRevision(state, command.revision);
  const { revision } = command;
  const active = state.activeRevision;
  const deploying = state.deployment?.revision;
  if (revision === deploying) {
    throw new ConflictError(`revision ${revision} of "${state.name}" is already being deployed (deployment ${state.deployment?.id})`);
  }
  if (active !== undefined && revision === active && deploying === undefined) {
    throw new ConflictError(`revision ${revision} of "${state.name}" is already Active`);
  }
  if (active !== undefined && revision < active) {
    throw new ConflictError(
      `revision ${revision} is older than the Active revision ${active} of "${state.name}": use rollback-environment to go back`,
    );
  }
  if (deploying !== undefined && revision < deploying) {
    throw new ConflictError(
      `revision ${revision} is older than revision ${deploying}, which is being deployed in "${state.name}": use rollback-environment to go back`,
    );
  }
  const undeploying = state.revisions
    .filter((r) => r.revision !== revision && (r.status === 'Active' || r.status === 'Deploying'))
    .map((r) => r.revision);
  return {
    type: 'DeploymentStarted',
    deploymentId: deploymentId(state.name, revision, command.at),
    revision,
    undeploying,
    initial: !state.hasBeenActive,
    target: deploymentTarget(state, revision, command.targetSpec),
    ...(command.caller ? { caller: command.caller } : {}),
    at: command.at,
  };
}

function decideRollback(command: Extract<EnvironmentCommand, { type: 'RollbackToRevision' }>, state: EnvironmentState): EnvironmentEvent {
  requireRevision(state, command.revision);
  const { revision } = command;
  const newest = newestDeployedRevision(state);
  if (newest === undefined) {
    throw new ConflictError(`"${state.name}" has no deployed revision to roll back from: use deploy-environment`);
  }
  if (revision === newest) {
    const what = state.deployment ? 'is already being deployed' : 'is already Active';
    throw new ConflictError(`revision ${revision} of "${state.name}" ${what}: nothing to roll back`);
  }
  if (revision > newest) {
    throw new ConflictError(
      `revision ${revision} is newer than revision ${newest}, the newest deployed one of "${state.name}": use deploy-environment to roll forward`,
    );
  }
  const moving = (r: RevisionSummary) => r.status === 'Active' || r.status === 'Deploying' || r.status === 'Undeploying';
  return {
    type: 'RollbackStarted',
    deploymentId: deploymentId(state.name, revision, command.at),
    revision,
    reverting: state.revisions.filter((r) => r.revision > revision && moving(r)).map((r) => r.revision),
    undeploying: state.revisions
      .filter((r) => r.revision < revision && (r.status === 'Active' || r.status === 'Deploying'))
      .map((r) => r.revision),
    rollbackConfiguration: state.latestSpec.RollbackConfiguration,
    ...(command.trigger ? { trigger: command.trigger } : {}),
    target: deploymentTarget(state, revision, command.targetSpec, state.latestSpec.RollbackConfiguration),
    ...(command.caller ? { caller: command.caller } : {}),
    at: command.at,
  };
}

/**
 * The target of a deployment, from the revision's spec (the latest one is in the state; any
 * other comes with the command, read from the revision table). A rollback runs with the
 * environment's `RollbackConfiguration` over the target's own configuration.
 */
function deploymentTarget(state: EnvironmentState, revision: number, given: EnvironmentSpec | undefined, rollback?: DeploymentConfiguration): DeploymentTarget {
  const spec = revision === state.latestRevision ? state.latestSpec : given;
  if (!spec) throw new Error(`deploying revision ${revision} of "${state.name}" needs its spec from the revision table`);
  const configuration = effectiveDeploymentConfiguration(spec, rollback);
  return {
    taskDefinition: spec.TaskDefinition,
    cluster: spec.Cluster ?? 'default',
    query: spec.InstanceGroup?.Query,
    configuration,
    ...(spec.DeploymentType === 'Service' ? { service: serviceTarget(spec, state.scale?.desiredCount) } : {}),
  };
}

/**
 * The ECS service a Service environment at rest runs (it has an Active revision, no deployment and no
 * deletion): the engine watches it between deployments, because Application Auto Scaling may change
 * its desired count (recorded as `ServiceObserved`, never undone). Named from the latest spec, as
 * scale-environment's is.
 */
export function servingService(state: EnvironmentState): { cluster: string; name: string; revision: number } | undefined {
  // (A projection read back in part — the routing index's pass over older items — may have no spec.)
  const spec = state.latestSpec as EnvironmentSpec | undefined;
  if (state.engine || state.deletion || spec?.DeploymentType !== 'Service' || state.activeRevision === undefined) return undefined;
  return { cluster: spec.Cluster ?? 'default', name: serviceNameOf(spec), revision: state.activeRevision };
}

/** What a Service revision runs as: its ECS service, from the spec. */
export function serviceTarget(spec: EnvironmentSpec, scaledTo?: number): ServiceTarget {
  const given = spec.Service;
  const network = given?.NetworkConfiguration;
  const balancer = given?.LoadBalancer;
  // With TrafficRouting the LoadBalancer may leave out its target group: the task sets register in blue
  // and green (the Canary and BlueGreen strategies choose); until they exist, blue stands in.
  const routing = spec.TrafficRouting;
  const targetGroupArn = balancer?.TargetGroupArn ?? routing?.Alb?.BlueTargetGroupArn ?? routing?.Route53?.Blue.TargetGroupArn;
  return {
    name: serviceNameOf(spec),
    desiredCount: scaledTo ?? spec.DesiredCount ?? 0,
    ...(given?.LaunchType ? { launchType: given.LaunchType } : {}),
    ...(network
      ? {
          networkConfiguration: {
            subnets: network.Subnets,
            ...(network.SecurityGroups ? { securityGroups: network.SecurityGroups } : {}),
            ...(network.AssignPublicIp ? { assignPublicIp: network.AssignPublicIp } : {}),
          },
        }
      : {}),
    ...(balancer && targetGroupArn ? { loadBalancer: { containerName: balancer.ContainerName, containerPort: balancer.ContainerPort, targetGroupArn } } : {}),
    ...(routing?.Alb
      ? {
          traffic: {
            kind: 'Alb' as const,
            listenerRuleArn: routing.Alb.ListenerRuleArn,
            ...(routing.Alb.TestListenerRuleArn ? { testListenerRuleArn: routing.Alb.TestListenerRuleArn } : {}),
            blueTargetGroupArn: routing.Alb.BlueTargetGroupArn,
            greenTargetGroupArn: routing.Alb.GreenTargetGroupArn,
          },
        }
      : routing?.Route53
        ? {
            traffic: {
              kind: 'Route53' as const,
              hostedZoneId: routing.Route53.HostedZoneId,
              recordName: routing.Route53.RecordName,
              blue: { setIdentifier: routing.Route53.Blue.SetIdentifier, targetGroupArn: routing.Route53.Blue.TargetGroupArn },
              green: { setIdentifier: routing.Route53.Green.SetIdentifier, targetGroupArn: routing.Route53.Green.TargetGroupArn },
            },
          }
        : {}),
  };
}

/**
 * `NAME:N@yyyyMMddHHmmssSS` (UTC, SS = hundredths of a second), as in the walkthrough:
 * deploymentId('SomeEnvironment/Prod', 1, '2017-09-06T11:47:23.015Z') === 'SomeEnvironment/Prod:1@2017090611472301'
 */
export function deploymentId(name: string, revision: number, at: string): string {
  return `${name}:${revision}@${stamp(at)}`;
}

/** `yyyyMMddHHmmssSS` of an ISO-8601 UTC timestamp: stamp('2017-09-06T11:47:23.015Z') === '2017090611472301'. */
function stamp(at: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(at);
  if (!m) throw new Error(`deploymentId: not an ISO-8601 UTC timestamp: ${at}`);
  const hundredths = (m[7] ?? '00').padEnd(3, '0').slice(0, 2);
  return `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}${hundredths}`;
}

// ── evolve ──────────────────────────────────────────────────────────────────────────────────────

/** Folds one event into the state. Pure; unknown transitions are impossible by construction of `decide`. */
export function evolve(state: EnvironmentState | undefined, event: EnvironmentEvent): EnvironmentState {
  if (event.type === 'EnvironmentCreated') {
    // Created again after a deletion: a fresh environment whose log (version, revision numbers) goes on.
    return {
      name: event.name,
      version: (state?.version ?? 0) + 1,
      createdAt: event.at,
      updatedAt: event.at,
      latestRevision: state?.latestRevision ?? 0,
      // Replaced by the RevisionCreated{1} that always follows EnvironmentCreated.
      latestSpec: { Name: event.name, TaskDefinition: 'unset:1', DeploymentType: 'Daemon' },
      frozen: false,
      hasBeenActive: false,
      epoch: 0,
      revisions: [],
    };
  }
  if (!state) throw new Error(`evolve: ${event.type} before EnvironmentCreated`);
  const updatedAt = typeof event.at === 'number' ? isoFromMs(event.at) : event.at;
  const next: EnvironmentState = { ...state, version: state.version + 1, updatedAt };
  switch (event.type) {
    case 'RevisionCreated':
      return {
        ...next,
        latestRevision: event.revision,
        latestSpec: event.spec,
        revisions: upsert(next.revisions, { revision: event.revision, status: 'Created', desired: 0, current: 0, updatedAt: event.at }),
      };
    case 'DeploymentStarted': {
      let revisions = setStatus(next.revisions, event.revision, 'Deploying', event.at);
      for (const r of event.undeploying) revisions = setStatus(revisions, r, 'Undeploying', event.at, { desired: 0 });
      const started: EnvironmentCommon = {
        ...next,
        epoch: next.epoch + 1,
        activeRevision: event.undeploying.includes(next.activeRevision ?? -1) ? undefined : next.activeRevision,
        revisions,
      };
      const deployment: Deployment = { id: event.deploymentId, revision: event.revision, kind: 'deploy', initial: event.initial, startedAt: event.at };
      return { ...started, deployment, engine: startEngine(started, deployment, event.target, next.activeRevision) };
    }
    case 'RollbackStarted': {
      let revisions = setStatus(next.revisions, event.revision, 'Deploying', event.at);
      for (const r of event.reverting) revisions = setStatus(revisions, r, 'Reverting', event.at, { desired: 0 });
      if (event.trigger) {
        const reverting = new Set(event.reverting);
        revisions = revisions.map((r) => (reverting.has(r.revision) ? { ...r, statusReason: event.trigger!.reason } : r));
      }
      for (const r of event.undeploying) revisions = setStatus(revisions, r, 'Undeploying', event.at, { desired: 0 });
      const started: EnvironmentCommon = { ...next, epoch: next.epoch + 1, activeRevision: undefined, revisions };
      const deployment: Deployment = {
        id: event.deploymentId,
        revision: event.revision,
        kind: 'rollback',
        initial: false,
        startedAt: event.at,
        rollbackConfiguration: event.rollbackConfiguration,
        ...(event.trigger ? { trigger: { ...event.trigger, at: event.at } } : {}),
      };
      return { ...started, deployment, engine: startEngine(started, deployment, event.target, undefined) };
    }
    case 'EnvironmentFrozen': {
      const epoch = next.epoch + 1;
      return next.engine ? { ...next, frozen: true, epoch, engine: { ...next.engine, frozen: true, epoch } } : { ...next, frozen: true, epoch };
    }
    case 'EnvironmentThawed': {
      // Time spent frozen is not "no progress": the Stuck clock starts again at the thaw.
      const epoch = next.epoch + 1;
      return next.engine
        ? { ...next, frozen: false, epoch, engine: { ...next.engine, frozen: false, epoch, lastProgressAt: msFromIso(event.at) } }
        : { ...next, frozen: false, epoch };
    }
    case 'EnvironmentScaled':
      return { ...next, scale: { desiredCount: event.desiredCount, pending: true } };
    case 'DeploymentPaused':
      return next.engine ? { ...next, engine: pauseEngine(next.engine, msFromIso(event.at), event) } : next;
    case 'DeploymentUnpaused':
      return next.engine ? { ...next, engine: resumeEngine(next.engine, msFromIso(event.at)) } : next;
    case 'DeploymentPromoted':
      return next.engine ? { ...next, engine: promoteEngine(next.engine, msFromIso(event.at), event.full, event) } : next;
    case 'DeploymentAborted':
      return next; // the RollbackStarted that follows does the work
    case 'EnvironmentDeleted':
      return { ...next, deletion: { id: `${next.name}:delete@${stamp(event.at)}`, startedAt: event.at, force: false, tasks: 0, completedAt: event.at } };
    case 'DeletionForced': {
      const deletion = next.deletion && { ...next.deletion, force: true };
      // The hold was waiting for this: the Stuck clock starts again.
      return next.engine
        ? { ...next, deletion, engine: { ...next.engine, deleting: { force: true }, health: undefined, lastProgressAt: msFromIso(event.at) }, revisions: next.revisions.map((r) => (r.health ? { ...r, health: undefined, statusReason: undefined, updatedAt: event.at } : r)) }
        : { ...next, deletion };
    }
    case 'DeletionStarted': {
      let revisions = next.revisions;
      for (const r of revisions) {
        if (r.status === 'Active' || r.status === 'Deploying') revisions = setStatus(revisions, r.revision, 'Undeploying', event.at, { desired: 0, current: r.current });
      }
      const started: EnvironmentCommon = {
        ...next,
        epoch: next.epoch + 1,
        activeRevision: undefined,
        scale: undefined,
        revisions,
        deletion: { id: event.deletionId, startedAt: event.at, force: event.force, tasks: event.tasks },
      };
      const deployment: Deployment = { id: event.deletionId, revision: event.revision, kind: 'delete', initial: false, startedAt: event.at };
      const engine = startEngine(started, deployment, event.target, undefined);
      return { ...started, deployment, engine: { ...engine, kind: 'delete', deleting: { force: event.force } } };
    }
    case 'ScaleApplied': {
      if (next.scale?.desiredCount !== event.desiredCount) return next;
      // At rest the Active revision should have that many now (its CURRENT follows: ServiceObserved).
      const revisions = next.engine ? next.revisions : next.revisions.map((r) => (r.revision === next.activeRevision ? { ...r, desired: event.desiredCount, updatedAt: next.updatedAt } : r));
      return { ...next, revisions, scale: { desiredCount: event.desiredCount, pending: false } };
    }
    case 'ServiceObserved': {
      if (next.engine) return next; // a deployment counts its own tasks (RevisionCountsChanged)
      const revisions = next.revisions.map((r) => (r.revision === event.revision ? { ...r, desired: event.desiredCount, current: event.running, updatedAt: next.updatedAt } : r));
      // What the service runs at now is the environment's desired count (a pending scale-environment still wins).
      return { ...next, revisions, scale: next.scale?.pending ? next.scale : { desiredCount: event.desiredCount, pending: false } };
    }
    default:
      return evolveEngine(next, event);
  }
}

/** The planner's state at the start of a deployment; `state` already has the new statuses. */
function startEngine(state: EnvironmentCommon, deployment: Deployment, target: DeploymentTarget, rollbackTo: number | undefined): PlannerState {
  const at = msFromIso(deployment.startedAt);
  const watched = deployment.kind === 'deploy';
  const canary = watched && target.configuration.Canary;
  return {
    kind: deployment.kind,
    ...(rollbackTo !== undefined ? { rollbackTo } : {}),
    ...(canary ? { phase: { phase: 'Canary' as const } } : {}),
    environment: state.name,
    deploymentId: deployment.id,
    epoch: state.epoch,
    revision: deployment.revision,
    taskDefinition: target.taskDefinition,
    cluster: target.cluster,
    query: target.query,
    draining: state.revisions
      .filter((r) => r.status === 'Undeploying' || r.status === 'Reverting')
      .map((r) => ({ revision: r.revision, status: r.status as 'Undeploying' | 'Reverting' })),
    configuration: target.configuration,
    initial: deployment.initial,
    frozen: state.frozen,
    startedAt: at,
    lastProgressAt: at,
    progressMark: { ready: 0, old: Number.MAX_SAFE_INTEGER },
    launches: [],
    stops: [],
    failures: {},
    counts: [],
    ...(target.service ? { service: target.service } : {}),
  };
}

/** Folds what the engine recorded: the planner's state, and the revision table it shows. */
function evolveEngine(state: EnvironmentState, event: EngineEvent): EnvironmentState {
  const engine = state.engine;
  // An engine event that arrives after its deployment ended changes nothing but the version.
  if (!engine) return state;
  const at = state.updatedAt;
  switch (event.type) {
    case 'LaunchesFailed':
      return { ...state, engine: recordLaunchFailures(engine, event.key, event.failures, event.at) };
    case 'ServiceUpdateRefused':
      // The Service planner turns the deployment Stuck with it at its next plan (rollout/service.ts).
      return { ...state, engine: recordServiceRefusal(engine, { key: event.key, operation: event.operation, reason: event.reason, at: event.at }) };
    case 'TrafficChangeSubmitted':
      return { ...state, engine: recordTrafficChange(engine, event.changeId, event.weights, event.at) };
    case 'HookAnswered':
      return { ...state, engine: recordHookAnswer(engine, event) };
    case 'ScaleApplied':
    case 'ServiceObserved':
      return state; // folded in evolve
    case 'DeletionCompleted': {
      const draining = new Map(engine.draining.map((d) => [d.revision, d.status]));
      const revisions = state.revisions.map((r): RevisionSummary => {
        const status = draining.get(r.revision);
        if (!status && r.revision !== engine.revision) return r;
        return { ...r, status: status === 'Reverting' ? 'Reverted' : 'Inactive', health: undefined, statusReason: undefined, desired: 0, current: 0, updatedAt: at };
      });
      return { ...state, revisions, deployment: undefined, engine: undefined, deletion: { ...state.deletion!, completedAt: at } };
    }
    case 'RevisionCountsChanged': {
      let revisions = state.revisions;
      for (const c of event.counts) {
        revisions = revisions.map((r) => (r.revision === c.revision ? { ...r, desired: c.desired, current: c.current, updatedAt: at } : r));
      }
      return { ...state, engine: applyPlannerEvent(engine, event), revisions };
    }
    case 'DeploymentStuck':
    case 'DeploymentFailing':
    case 'DeploymentResumed':
    case 'CoverageDropped':
    case 'CoverageFailing':
    case 'CoverageRestored': {
      const next = applyPlannerEvent(engine, event);
      return { ...state, engine: next, revisions: healthOverlay(state.revisions, next, at) };
    }
    case 'DeploymentCompleted': {
      const retired = new Map(event.retired.map((r) => [r.revision, r.status]));
      const revisions = state.revisions.map((r): RevisionSummary => {
        if (r.revision === event.revision) return { ...r, status: 'Active', health: undefined, statusReason: undefined, updatedAt: at };
        const status = retired.get(r.revision);
        // A revision rolled back by a trigger keeps saying why.
        const statusReason = status === 'Reverted' && state.deployment?.trigger ? r.statusReason : undefined;
        return status ? { ...r, status, health: undefined, statusReason, desired: 0, current: 0, updatedAt: at } : r;
      });
      const done = state.deployment;
      const lastDeployment = { id: done.id, revision: done.revision, kind: done.kind, startedAt: done.startedAt, ...(done.trigger ? { trigger: done.trigger } : {}), completedAt: at };
      return { ...state, revisions, activeRevision: event.revision, hasBeenActive: true, deployment: undefined, engine: undefined, lastDeployment };
    }
    case 'DeploymentHalted': {
      const next = applyPlannerEvent(engine, event);
      const deployment: Deployment = { ...state.deployment!, trigger: { kind: event.trigger, reason: event.reason, at: isoFromMs(event.at) } };
      return { ...state, deployment, engine: next, revisions: healthOverlay(state.revisions, next, at) };
    }
    case 'CanaryTaskFailed': {
      const next = applyPlannerEvent(engine, event);
      return { ...state, engine: next, revisions: healthOverlay(state.revisions, next, at) };
    }
    case 'CanaryTaskChecked':
    case 'LaunchesPlanned':
    case 'StopsPlanned':
    case 'LaunchesSettled':
    case 'LaunchesLost':
    case 'StopsSettled':
    case 'DeploymentProgressed':
    case 'AlarmStateObserved':
    case 'CircuitBreakerCounted':
    case 'CanaryBakeStarted':
    case 'CanaryPassed':
    case 'BakeStarted':
    case 'RollbackTriggered':
    case 'TrafficStepStarted':
    case 'TrafficWeightsObserved':
    case 'TrafficInSync':
    case 'TrafficChangePlanned':
    case 'HookInvoked':
      return { ...state, engine: applyPlannerEvent(engine, event) };
    default:
      return assertNever(event);
  }
}

/**
 * The health the revision table shows for a deployment: the deploying revision is Stuck or Failing
 * as the deployment is (or Failing for coverage); while it is Failing, the revisions it replaces are
 * Stuck, as in the walkthrough. Everything else shows no overlay.
 */
function healthOverlay(revisions: RevisionSummary[], engine: PlannerState, at: string): RevisionSummary[] {
  const draining = new Set(engine.draining.map((d) => d.revision));
  const coverageFailing = engine.coverage?.failing ? engine.coverage : undefined;
  return revisions.map((r) => {
    let health: Health | undefined;
    let reason: string | undefined;
    if (r.revision === engine.revision || (engine.deleting && draining.has(r.revision))) {
      if (engine.health) [health, reason] = [engine.health.status, engine.health.reason];
      else if (coverageFailing) [health, reason] = ['Failing', coverageFailing.reason];
    } else if (draining.has(r.revision) && engine.health?.status === 'Failing') {
      [health, reason] = ['Stuck', engine.health.reason];
    }
    if (r.health === health && r.statusReason === reason) return r;
    return { ...r, health, statusReason: reason, updatedAt: at };
  });
}

function upsert(revisions: RevisionSummary[], summary: RevisionSummary): RevisionSummary[] {
  const rest = revisions.filter((r) => r.revision !== summary.revision);
  return [...rest, summary].sort((a, b) => a.revision - b.revision);
}

function setStatus(
  revisions: RevisionSummary[],
  revision: number,
  status: LifecycleStatus,
  at: string,
  counts: Partial<Pick<RevisionSummary, 'desired' | 'current'>> = {},
): RevisionSummary[] {
  // A revision missing from the live set is retired or dormant: it comes back with what the
  // table row says about its tasks, which `changedRevisions` leaves untouched (it only writes statuses).
  const found = revisions.find((r) => r.revision === revision) ?? { revision, status, desired: 0, current: 0, updatedAt: at };
  return upsert(revisions, { ...found, ...counts, status, health: undefined, statusReason: undefined, updatedAt: at });
}

/** Folds a whole history (tests, and rebuilding a projection from the log). */
export function fold(events: readonly EnvironmentEvent[], initial?: EnvironmentState): EnvironmentState | undefined {
  return events.reduce<EnvironmentState | undefined>(evolve, initial);
}

// ── The live set and the revision table ─────────────────────────────────────────────────────────

/**
 * Drops what no longer moves from the live state: retired revisions (Inactive, Reverted) and
 * dormant ones (Created, older than the newest deployed revision — only a rollback can reach them).
 *
 * compact({ …, activeRevision: 3, revisions: [1 Inactive, 2 Created, 3 Active, 4 Created] })
 *   → revisions: [3 Active, 4 Created]
 */
export function compact(state: EnvironmentState): EnvironmentState {
  const newest = newestDeployedRevision(state) ?? 0;
  const revisions = state.revisions.filter((r) => !isRetired(r.status) && !(r.status === 'Created' && r.revision < newest));
  return revisions.length === state.revisions.length ? state : { ...state, revisions };
}

/**
 * The revision-table rows an append must write: every summary that is new or differs from before.
 * changedRevisions(before, after) lists revision 1 when a deploy of 2 turned it Undeploying.
 */
export function changedRevisions(before: EnvironmentState | undefined, after: EnvironmentState): RevisionSummary[] {
  const old = new Map((before?.revisions ?? []).map((r) => [r.revision, r]));
  return after.revisions.filter((r) => {
    const was = old.get(r.revision);
    return (
      !was ||
      was.status !== r.status ||
      was.health !== r.health ||
      was.statusReason !== r.statusReason ||
      was.desired !== r.desired ||
      was.current !== r.current
    );
  });
}

// ── Queries ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The CloudWatch alarms an environment watches, for the alarm index (alarm name → environments):
 * those of its latest spec and those of the deployment in progress (whose revision may be older).
 * watchedAlarms({ latestSpec: { …Alarms: { AlarmNames: ['a'] } }, engine: { configuration: { Alarms: { AlarmNames: ['b'] } } } }) → ['a', 'b']
 */
export function watchedAlarms(state: EnvironmentState | undefined): string[] {
  // A deleting or deleted environment deploys nothing: it watches no alarm (created again, it watches its new spec's).
  if (!state || state.deletion) return [];
  const names = new Set([...(state.latestSpec.DeploymentConfiguration?.Alarms?.AlarmNames ?? []), ...(state.engine?.configuration.Alarms?.AlarmNames ?? [])]);
  return [...names].sort();
}

/** The alarm index entries an append adds and removes. */
export function alarmWatchChanges(before: EnvironmentState | undefined, after: EnvironmentState): { add: string[]; remove: string[] } {
  const was = new Set(watchedAlarms(before));
  const now = new Set(watchedAlarms(after));
  return { add: [...now].filter((a) => !was.has(a)), remove: [...was].filter((a) => !now.has(a)) };
}

export type EnvironmentStatus = DisplayStatus | 'Suspended' | 'Deleting' | 'Deleted';

/**
 * The environment's one-line status, as `describe-environment --table` shows it: `Suspended` while
 * frozen; otherwise the status of the revision in focus — the deployment's target, else the Active
 * revision, else the newest revision — with that revision's DESIRED and CURRENT.
 */
export function environmentSummary(state: EnvironmentState): { status: EnvironmentStatus; desired: number; current: number; revision?: number } {
  if (state.deletion?.completedAt) return { status: 'Deleted', desired: 0, current: 0 };
  if (state.deletion) {
    // Deleting, with what still runs; Stuck or Failing (the reason on the revisions) when it cannot progress.
    return { status: state.engine?.health?.status ?? 'Deleting', desired: 0, current: runningTasks(state), ...(state.deployment ? { revision: state.deployment.revision } : {}) };
  }
  const focusNumber = state.deployment?.revision ?? state.activeRevision ?? state.latestRevision;
  const focus = state.revisions.find((r) => r.revision === focusNumber);
  if (!focus) return { status: state.frozen ? 'Suspended' : 'Created', desired: 0, current: 0 };
  return {
    status: state.frozen ? 'Suspended' : displayStatus(focus),
    desired: focus.desired,
    current: focus.current,
    revision: focus.revision,
  };
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

export interface StatusChange {
  revision: number;
  from: DisplayStatus | null;
  to: DisplayStatus;
  reason: string;
  desired: number;
  current: number;
}

/**
 * The revisions whose shown status changed between two states (what `Deployment State Change`
 * notifications announce). `after` is the uncompacted fold, so retired revisions are still in it.
 */
export function statusChanges(before: EnvironmentState | undefined, after: EnvironmentState): StatusChange[] {
  const old = new Map((before?.revisions ?? []).map((r) => [r.revision, displayStatus(r)]));
  return after.revisions.flatMap((r) => {
    const to = displayStatus(r);
    const from = old.get(r.revision) ?? null;
    if (from === to) return [];
    const reason = r.statusReason ?? (after.deletion ? describeDeletionChange(to) : undefined) ?? describeChange(from, to);
    return [{ revision: r.revision, from, to, reason, desired: r.desired, current: r.current }];
  });
}

/** What a status change during delete-environment means (undefined: as usual). */
function describeDeletionChange(to: DisplayStatus): string | undefined {
  if (to === 'Undeploying') return 'delete-environment: the environment is being scaled to zero';
  if (to === 'Inactive' || to === 'Reverted') return 'delete-environment: no task of the revision is left; the environment is deleted';
  return undefined;
}

function describeChange(from: DisplayStatus | null, to: DisplayStatus): string {
  switch (to) {
    case 'Deploying':
      return from === 'Stuck' || from === 'Failing' ? 'progress resumed' : 'deployment started';
    case 'Active':
      return 'every instance runs the revision';
    case 'Inactive':
      return 'no task of the revision is left';
    case 'Reverted':
      return 'rolled back: no task of the revision is left';
    case 'Undeploying':
      return 'a newer revision is being deployed';
    case 'Reverting':
      return 'rolled back to an earlier revision';
    default:
      return `${from ?? 'new'} → ${to}`;
  }
}
