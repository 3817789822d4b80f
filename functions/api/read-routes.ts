/**
 * api-read: GET /environments, GET /environments/{name}, GET /environments/{name}/status.
 * Each is one projection read (plus one page of the revision table for `?all=true`: `limit` rows,
 * default 100, from `nextToken`; the answer's `NextToken` when more follow).
 *
 * For the dashboard: GET /environments/{name}/events (the revision log, `limit` events from
 * `fromSequence`) and GET /environments/{name}/instances (the engine's last picture of the
 * environment's instances and tasks, `limit` instances a page).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { EnvironmentState } from '../../domain/environment';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { httpApi } from '../http/middleware';
import { environmentName, queryFlag, queryInteger } from '../http/request';
import type { EventLog } from '../ports';
import type { ApiDeps } from './deps';
import { environmentDescription, environmentListItem, environmentStatus, instancesPage, logEventView } from './views';

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

export function createReadHandler({ eventLog, logger, observations }: Pick<ApiDeps, 'eventLog' | 'logger' | 'observations'>) {
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
    'GET /environments/{name}/events': async (event) => {
      const limit = queryInteger(event, 'limit', 1, MAX_EVENT_PAGE, DEFAULT_EVENT_PAGE);
      const fromSequence = queryInteger(event, 'fromSequence', 1, 999_999, 1);
      const state = await existing(eventLog, event);
      const events = fromSequence > state.version ? [] : await eventLog.readEvents(state.name, fromSequence);
      const page = events.slice(0, limit);
      const next = page.length < events.length ? page.at(-1)!.sequence + 1 : undefined;
      return { statusCode: 200, body: { EnvironmentName: state.name, Events: page.map(logEventView), ...(next !== undefined ? { NextSequence: next } : {}) } };
    },
    'GET /environments/{name}/instances': async (event) => {
      const limit = queryInteger(event, 'limit', 1, MAX_INSTANCE_PAGE, DEFAULT_INSTANCE_PAGE);
      const nextToken = event.queryStringParameters?.nextToken;
      const state = await existing(eventLog, event);
      const stored = observations ? await observations.load(state.name) : undefined;
      return { statusCode: 200, body: instancesPage(state, stored?.observation, { limit, nextToken }) };
    },
  });
}
