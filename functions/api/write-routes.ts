/**
 * api-write: the commands. Each route parses the request into a domain command and hands it to
 * `runCommand` (load → decide → append); the reply is built from the events decided.
 *
 * After the append (both optional, see write-deps.ts): the status changes are announced on EventBridge,
 * and a deploy, rollback or thaw asks the planner to reconcile now (a wake-up due at once) instead
 * of at the next tick. Neither can undo a command already in the log, so a failure of either is
 * logged, not answered: the planner announces and reconciles on its own at the latest on the tick.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../../domain/environment';
import { environmentSummary } from '../../domain/environment';
import { ValidationError } from '../../domain/errors';
import { parseEnvironmentSpec, parseSpecPatch } from '../../domain/spec';
import { isoFromMs } from '../../domain/time';
import type { CommandReply } from '../commands';
import { runCommand } from '../commands';
import { announce } from '../engine/engine';
import { httpApi } from '../http/middleware';
import { readObjectBody } from '../http/body';
import { callerOf, environmentName, idempotencyOf, onlyFields, reasonOf, revisionNumber } from '../http/request';
import type { ApiDeps } from './deps';

type Reply = (events: EnvironmentEvent[], state: EnvironmentState) => CommandReply;

const revisionCreated: Reply = (events) => {
  const created = events.find((e) => e.type === 'RevisionCreated');
  return { statusCode: 201, body: { EnvironmentRevision: created?.type === 'RevisionCreated' ? created.revision : undefined } };
};
const deploymentStarted: Reply = (events) => {
  const started = events.find((e) => e.type === 'DeploymentStarted' || e.type === 'RollbackStarted');
  return { statusCode: 201, body: { DeploymentId: started && 'deploymentId' in started ? started.deploymentId : undefined } };
};
const frozenStatus: Reply = (_events, state) => ({
  statusCode: 200,
  body: { EnvironmentName: state.name, Status: environmentSummary(state).status },
});

/** pause-, resume- and promote-deployment: the deployment and where it stands now. */
const deploymentControlled: Reply = (_events, state) => ({
  statusCode: 200,
  body: {
    EnvironmentName: state.name,
    DeploymentId: state.deployment?.id,
    Status: environmentSummary(state).status,
    Paused: state.engine?.paused ? { Since: isoFromMs(state.engine.paused.since), By: state.engine.paused.by, Reason: state.engine.paused.reason ?? null } : null,
  },
});
/** abort-deployment: the deployment aborted, and the rollback it started. */
const aborted: Reply = (events) => {
  const abort = events.find((e) => e.type === 'DeploymentAborted');
  const rollback = events.find((e) => e.type === 'RollbackStarted');
  return {
    statusCode: 201,
    body: {
      AbortedDeploymentId: abort?.type === 'DeploymentAborted' ? abort.deploymentId : undefined,
      DeploymentId: rollback?.type === 'RollbackStarted' ? rollback.deploymentId : undefined,
      EnvironmentRevision: rollback?.type === 'RollbackStarted' ? rollback.revision : undefined,
    },
  };
};

/** Commands after which the planner should look at the environment at once. */
const WAKES_THE_PLANNER: ReadonlySet<EnvironmentCommand['type']> = new Set([
  'DeployRevision',
  'RollbackToRevision',
  'ThawEnvironment',
  'ScaleEnvironment',
  'DeleteEnvironment',
  // The controls: a resumed deployment goes on, a promoted bake ends, an abort's rollback starts — now, not at the tick.
  'ResumeDeployment',
  'PromoteDeployment',
  'AbortDeployment',
]);
/** delete-environment: `Deleting` (the engine scales it to zero) or `Deleted` (nothing ran), and the tasks it ran. */
const deletion: Reply = (_events, state) => ({
  statusCode: 202,
  body: { EnvironmentName: state.name, Status: environmentSummary(state).status, DeletionId: state.deletion?.id, Tasks: state.deletion?.tasks ?? 0 },
});
const scaled: Reply = (events, state) => {
  const scale = events.find((e) => e.type === 'EnvironmentScaled');
  return { statusCode: 200, body: { EnvironmentName: state.name, DesiredCount: scale?.type === 'EnvironmentScaled' ? scale.desiredCount : undefined } };
};

export function createWriteHandler({ eventLog, clock, logger, notifier, wakeups }: ApiDeps) {
  const afterAppend = notifier
    ? async (before: EnvironmentState | undefined, after: EnvironmentState) => {
        try {
          await announce({ notifier }, before, after);
        } catch (error) {
          logger.error('could not announce the status change', { environment: after.name, error: error as Error });
        }
      }
    : undefined;

  const wakePlanner = async (environment: string) => {
    if (!wakeups) return;
    try {
      await wakeups.schedule(environment, clock.now().getTime());
    } catch (error) {
      logger.error('could not wake the planner; it will reconcile on its next tick', { environment, error: error as Error });
    }
  };

  const run = async (event: APIGatewayProxyEventV2, environment: string, command: EnvironmentCommand, reply: Reply) => {
    const idempotency = idempotencyOf(event, environment);
    const result = await runCommand(eventLog, { environment, command, reply, idempotency, afterAppend });
    logger.info('command accepted', { command: command.type, environment, statusCode: result.statusCode, reply: result.body });
    if (WAKES_THE_PLANNER.has(command.type) && result.statusCode < 300) await wakePlanner(environment);
    return result;
  };
  const at = () => clock.now().toISOString();

  /** `{ EnvironmentRevision: N }` bodies of deploy and rollback. */
  const targetRevision = (event: APIGatewayProxyEventV2) => {
    const body = readObjectBody(event);
    onlyFields(body, ['EnvironmentRevision']);
    return revisionNumber(body.EnvironmentRevision, 'EnvironmentRevision') as number;
  };

  return httpApi(logger, {
    'POST /environments': async (event) => {
      const spec = parseEnvironmentSpec(readObjectBody(event));
      return run(event, spec.Name, { type: 'CreateEnvironment', spec, at: at() }, revisionCreated);
    },
    'POST /environments/{name}/revisions': async (event) => {
      const name = environmentName(event);
      const { Revision, ...fields } = readObjectBody(event);
      const baseRevision = revisionNumber(Revision, 'Revision', { optional: true });
      const patch = parseSpecPatch(fields);
      return run(event, name, { type: 'UpdateEnvironment', name, baseRevision, patch, at: at() }, revisionCreated);
    },
    'POST /environments/{name}/deployments': async (event) => {
      const name = environmentName(event);
      const revision = targetRevision(event);
      const targetSpec = (await eventLog.getRevision(name, revision))?.spec;
      return run(event, name, { type: 'DeployRevision', name, revision, targetSpec, caller: callerOf(event), at: at() }, deploymentStarted);
    },
    'POST /environments/{name}/rollbacks': async (event) => {
      const name = environmentName(event);
      const revision = targetRevision(event);
      const targetSpec = (await eventLog.getRevision(name, revision))?.spec;
      return run(event, name, { type: 'RollbackToRevision', name, revision, targetSpec, caller: callerOf(event), at: at() }, deploymentStarted);
    },
    'POST /environments/{name}/freeze': async (event) => {
      const name = environmentName(event);
      onlyFields(readObjectBody(event, { optional: true }), []);
      return run(event, name, { type: 'FreezeEnvironment', name, at: at() }, frozenStatus);
    },
    'POST /environments/{name}/scale': async (event) => {
      const name = environmentName(event);
      const body = readObjectBody(event);
      onlyFields(body, ['DesiredCount']);
      const value = body.DesiredCount;
      const desiredCount = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[0-9]{1,6}\s*$/.test(value) ? Number(value) : NaN;
      if (value === undefined) throw new ValidationError('DesiredCount: is required', 'DesiredCount');
      if (!Number.isInteger(desiredCount) || desiredCount < 0 || desiredCount > 10000) throw new ValidationError('DesiredCount: expected an integer from 0 to 10000', 'DesiredCount');
      return run(event, name, { type: 'ScaleEnvironment', name, desiredCount, at: at() }, scaled);
    },
    'POST /environments/{name}/deletion': async (event) => {
      const name = environmentName(event);
      const body = readObjectBody(event, { optional: true });
      onlyFields(body, ['Force']);
      if (body.Force !== undefined && typeof body.Force !== 'boolean') throw new ValidationError('Force: expected true or false', 'Force');
      const force = body.Force === true;
      // The spec of the newest deployed revision when it is not the latest (its cluster and ECS service).
      const current = await eventLog.load(name);
      const newest = current ? (current.deployment?.revision ?? current.activeRevision) : undefined;
      const deployedSpec = current && newest !== undefined && newest !== current.latestRevision ? (await eventLog.getRevision(name, newest))?.spec : undefined;
      return run(event, name, { type: 'DeleteEnvironment', name, force, deployedSpec, caller: callerOf(event), at: at() }, deletion);
    },
    // Controls of a running deployment: body { Reason? } (promote: { Full?, Reason? }); the caller is the IAM identity.
    'POST /environments/{name}/deployment/pause': async (event) => {
      const name = environmentName(event);
      const body = readObjectBody(event, { optional: true });
      onlyFields(body, ['Reason']);
      return run(event, name, { type: 'PauseDeployment', name, caller: callerOf(event), reason: reasonOf(body), at: at() }, deploymentControlled);
    },
    'POST /environments/{name}/deployment/resume': async (event) => {
      const name = environmentName(event);
      const body = readObjectBody(event, { optional: true });
      onlyFields(body, ['Reason']);
      return run(event, name, { type: 'ResumeDeployment', name, caller: callerOf(event), reason: reasonOf(body), at: at() }, deploymentControlled);
    },
    'POST /environments/{name}/deployment/promote': async (event) => {
      const name = environmentName(event);
      const body = readObjectBody(event, { optional: true });
      onlyFields(body, ['Full', 'Reason']);
      if (body.Full !== undefined && typeof body.Full !== 'boolean') throw new ValidationError('Full: expected true or false', 'Full');
      return run(event, name, { type: 'PromoteDeployment', name, full: body.Full === true, caller: callerOf(event), reason: reasonOf(body), at: at() }, deploymentControlled);
    },
    'POST /environments/{name}/deployment/abort': async (event) => {
      const name = environmentName(event);
      const body = readObjectBody(event, { optional: true });
      onlyFields(body, ['Reason']);
      const reason = reasonOf(body);
      // The spec of the revision the abort goes back to, when it is not the latest (from the revision table).
      const current = await eventLog.load(name);
      const to = current?.engine?.rollbackTo;
      const targetSpec = current && to !== undefined && to !== current.latestRevision ? (await eventLog.getRevision(name, to))?.spec : undefined;
      return run(event, name, { type: 'AbortDeployment', name, caller: callerOf(event), reason, targetSpec, at: at() }, aborted);
    },
    'POST /environments/{name}/thaw': async (event) => {
      const name = environmentName(event);
      onlyFields(readObjectBody(event, { optional: true }), []);
      return run(event, name, { type: 'ThawEnvironment', name, at: at() }, frozenStatus);
    },
  });
}
