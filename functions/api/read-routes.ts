/**
 * api-read: GET /environments, GET /environments/{name}, GET /environments/{name}/status.
 * Each is one projection read (plus one page of the revision table for `?all=true`: `limit` rows,
 * default 100, from `nextToken`; the answer's `NextToken` when more follow).
 * GET /environments/{name}/plan?revision=N: the dry run of deploying N (plan-deployment.ts), from
 * read-only ECS calls and the log.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { EnvironmentState } from '../../domain/environment';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { httpApi } from '../http/middleware';
import { HttpError } from '../http/errors';
import { environmentName, queryFlag, queryInteger, revisionNumber } from '../http/request';
import type { EventLog } from '../ports';
import type { ApiDeps } from './deps';
import { planDeployment } from './plan-deployment';
import { environmentDescription, environmentListItem, environmentStatus } from './views';

/** Revision rows a page of `describe-environment-status --all` holds, by default and at most. */
export const DEFAULT_REVISION_PAGE = 100;
export const MAX_REVISION_PAGE = 1000;

async function existing(eventLog: EventLog, event: APIGatewayProxyEventV2): Promise<EnvironmentState> {
  const name = environmentName(event);
  const state = await eventLog.load(name);
  if (!state) throw new NotFoundError(`environment "${name}" does not exist`);
  return state;
}

export function createReadHandler({ eventLog, logger, planning }: Pick<ApiDeps, 'eventLog' | 'logger' | 'planning'>) {
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
