/**
 * api-read: GET /environments, GET /environments/{name}, GET /environments/{name}/status.
 * Each is one projection read (plus the revision table for `?all=true`).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { EnvironmentState } from '../../domain/environment';
import { NotFoundError } from '../../domain/errors';
import { httpApi } from '../http/middleware';
import { environmentName, queryFlag, queryInteger } from '../http/request';
import type { EventLog } from '../ports';
import type { ApiDeps } from './deps';
import { environmentDescription, environmentListItem, environmentStatus } from './views';

async function existing(eventLog: EventLog, event: APIGatewayProxyEventV2): Promise<EnvironmentState> {
  const name = environmentName(event);
  const state = await eventLog.load(name);
  if (!state) throw new NotFoundError(`environment "${name}" does not exist`);
  return state;
}

export function createReadHandler({ eventLog, logger }: Pick<ApiDeps, 'eventLog' | 'logger'>) {
  return httpApi(logger, {
    'GET /environments': async (event) => {
      const limit = queryInteger(event, 'limit', 1, 100, 50);
      const page = await eventLog.listEnvironments({ limit, nextToken: event.queryStringParameters?.nextToken });
      return { statusCode: 200, body: { Environments: page.environments.map(environmentListItem), ...(page.nextToken ? { NextToken: page.nextToken } : {}) } };
    },
    'GET /environments/{name}': async (event) => ({ statusCode: 200, body: environmentDescription(await existing(eventLog, event)) }),
    'GET /environments/{name}/status': async (event) => {
      const all = queryFlag(event, 'all');
      const state = await existing(eventLog, event);
      return { statusCode: 200, body: environmentStatus(state, all ? await eventLog.listRevisions(state.name) : undefined) };
    },
  });
}
