/**
 * api-read: GET /environments, GET /environments/{name}, GET /environments/{name}/status.
 * Each is one projection read (plus one page of the revision table for `?all=true`: `limit` rows,
 * default 100, from `nextToken`; the answer's `NextToken` when more follow).
 * GET /environments/{name}/deployments: a page of the deployment history (history.ts), read from the
 * log backwards. GET /environments/{name}/revision-diff?from=A&to=B: the two revisions' rows, their
 * specs' diff, and their task definitions' (DescribeTaskDefinition, two calls when they differ).
 *
 * For the dashboard: GET /environments/{name}/events (the revision log, `limit` events from
 * `fromSequence`) and GET /environments/{name}/instances (the engine's last picture of the
 * environment's instances and tasks, `limit` instances a page).
 *
 * GET /environments/{name}/plan?revision=N: the dry run of deploying N (plan-deployment.ts), from
 * read-only ECS calls and the log.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { EnvironmentState } from '../../domain/environment';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { httpApi } from '../http/middleware';
import { HttpError } from '../http/errors';
import { environmentName, queryFlag, queryInteger, revisionNumber } from '../http/request';
import type { EventLog, RevisionRow, TaskDefinitionDescriptions } from '../ports';
import { specDiff, taskDefinitionDiff } from '../../domain/revision-diff';
import type { ApiDeps } from './deps';
import { DEFAULT_DEPLOYMENT_PAGE, deploymentPage, MAX_DEPLOYMENT_PAGE } from './history';
import { changeView, deploymentView, environmentDescription, environmentListItem, environmentStatus, instancesPage, logEventView } from './views';
import { planDeployment } from './plan-deployment';

/** Revision rows a page of `describe-environment-status --all` holds, by default and at most. */
export const DEFAULT_REVISION_PAGE = 100;
export const MAX_REVISION_PAGE = 1000;
/** Log events a page of GET …/events holds, by default and at most. */
export const DEFAULT_EVENT_PAGE = 200;
export const MAX_EVENT_PAGE = 1000;
/** Instances a page of GET …/instances holds, by default and at most (10,000 instances: two pages). */
export const DEFAULT_INSTANCE_PAGE = 1000;
export const MAX_INSTANCE_PAGE = 5000;

async function existing(eventLog: EventLog, event: APIGatewayProxyEventV2): Promise<EnvironmentState> {
  const name = environmentName(event);
  const state = await eventLog.load(name);
  if (!state) throw new NotFoundError(`environment "${name}" does not exist`);
  return state;
}

/** A revision of the environment, by the query field that names it: 404 naming the field when there is none. */
async function revisionRow(eventLog: EventLog, state: EnvironmentState, field: string, revision: number): Promise<RevisionRow> {
  const row = revision <= state.latestRevision ? await eventLog.getRevision(state.name, revision) : undefined;
  if (!row) throw new NotFoundError(`${field}: revision ${revision} of environment "${state.name}" does not exist (the latest is ${state.latestRevision})`);
  return row;
}

/** The task definitions' diff; what ECS answered instead when it could not describe one of them. */
async function taskDefinitionChanges(taskDefinitions: TaskDefinitionDescriptions | undefined, from: string, to: string) {
  if (from === to) return { From: from, To: to, Changes: [], Error: null };
  if (!taskDefinitions) return { From: from, To: to, Changes: null, Error: 'task definitions cannot be read here (no DescribeTaskDefinition)' };
  const described = await Promise.allSettled([taskDefinitions.describe(from), taskDefinitions.describe(to)]);
  const failed = described.flatMap((d, i) => (d.status === 'rejected' ? [`DescribeTaskDefinition ${i === 0 ? from : to}: ${errorText(d.reason)}`] : []));
  if (described[0].status === 'fulfilled' && described[1].status === 'fulfilled') {
    return { From: from, To: to, Changes: taskDefinitionDiff(described[0].value, described[1].value).map(changeView), Error: null };
  }
  return { From: from, To: to, Changes: null, Error: failed.join('; ') };
}

const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

export function createReadHandler({ eventLog, logger, taskDefinitions, observations, planning }: Pick<ApiDeps, 'eventLog' | 'logger' | 'observations'> & Partial<Pick<ApiDeps, 'taskDefinitions' | 'planning'>>) {
  return httpApi(logger, {
    'GET /environments': async (event) => {
      const limit = queryInteger(event, 'limit', 1, 100, 50);
      const page = await eventLog.listEnvironments({ limit, nextToken: event.queryStringParameters?.nextToken });
      return { statusCode: 200, body: { Environments: page.environments.map(environmentListItem), ...(page.nextToken ? { NextToken: page.nextToken } : {}) } };
    },
    'GET /environments/{name}': async (event) => ({ statusCode: 200, body: environmentDescription(await existing(eventLog, event)) }),
    'GET /environments/{name}/status': async (event) => {
      const all = queryFlag(event, 'all');
      const nextToken = event.queryStringParameters?.nextToken;
      if (!all) {
        for (const field of ['limit', 'nextToken']) {
          if (event.queryStringParameters?.[field] !== undefined) throw new ValidationError(`${field}: only with all=true`, field);
        }
      }
      const limit = queryInteger(event, 'limit', 1, MAX_REVISION_PAGE, DEFAULT_REVISION_PAGE);
      const state = await existing(eventLog, event);
      if (!all) return { statusCode: 200, body: environmentStatus(state) };
      const page = await eventLog.listRevisionPage(state.name, { limit, nextToken });
      return { statusCode: 200, body: environmentStatus(state, page.revisions, page.nextToken) };
    },
    'GET /environments/{name}/deployments': async (event) => {
      const limit = queryInteger(event, 'limit', 1, MAX_DEPLOYMENT_PAGE, DEFAULT_DEPLOYMENT_PAGE);
      const nextToken = event.queryStringParameters?.nextToken;
      const state = await existing(eventLog, event);
      const page = await deploymentPage(eventLog, state.name, { limit, nextToken });
      return {
        statusCode: 200,
        body: { EnvironmentName: state.name, Deployments: page.deployments.map(deploymentView), ...(page.nextToken ? { NextToken: page.nextToken } : {}) },
      };
    },
    'GET /environments/{name}/revision-diff': async (event) => {
      const from = revisionNumber(event.queryStringParameters?.from, 'from') as number;
      const to = revisionNumber(event.queryStringParameters?.to, 'to') as number;
      const state = await existing(eventLog, event);
      const [a, b] = [await revisionRow(eventLog, state, 'from', from), await revisionRow(eventLog, state, 'to', to)];
      const taskDefinition = await taskDefinitionChanges(taskDefinitions, a.spec.TaskDefinition, b.spec.TaskDefinition);
      if (taskDefinition.Error) logger.warn('diff-revisions could not describe a task definition', { environment: state.name, error: taskDefinition.Error });
      return {
        statusCode: 200,
        body: { EnvironmentName: state.name, From: from, To: to, SpecChanges: specDiff(a.spec, b.spec).map(changeView), TaskDefinition: taskDefinition },
      };
    },
    'GET /environments/{name}/events': async (event) => {
      const limit = queryInteger(event, 'limit', 1, MAX_EVENT_PAGE, DEFAULT_EVENT_PAGE);
      const fromSequence = queryInteger(event, 'fromSequence', 1, 999_999, 1);
      const state = await existing(eventLog, event);
      // Sequences run 1…version without gaps: the page is one Query between two sort keys.
      const last = Math.min(state.version, fromSequence + limit - 1);
      const page = fromSequence > state.version ? [] : await eventLog.readEvents(state.name, fromSequence, last);
      const next = last < state.version ? last + 1 : undefined;
      return { statusCode: 200, body: { EnvironmentName: state.name, Events: page.map(logEventView), ...(next !== undefined ? { NextSequence: next } : {}) } };
    },
    'GET /environments/{name}/instances': async (event) => {
      const limit = queryInteger(event, 'limit', 1, MAX_INSTANCE_PAGE, DEFAULT_INSTANCE_PAGE);
      const nextToken = event.queryStringParameters?.nextToken;
      const state = await existing(eventLog, event);
      const stored = observations ? await observations.load(state.name) : undefined;
      return { statusCode: 200, body: instancesPage(state, stored?.observation, { limit, nextToken }) };
    },
    'GET /environments/{name}/plan': async (event) => {
      const query = event.queryStringParameters ?? {};
      const unknown = Object.keys(query).find((key) => key !== 'revision');
      if (unknown !== undefined) throw new ValidationError(`${unknown}: unknown parameter (expected revision)`, unknown);
      const revision = revisionNumber(query.revision, 'revision') as number;
      const state = await existing(eventLog, event);
      if (!planning) throw new HttpError(501, 'NotImplemented', 'plan-deployment: this API has no read access to ECS configured');
      return { statusCode: 200, body: await planDeployment(planning, eventLog, state, revision) };
    },
  });
}
