/**
 * The middy stack every API function uses: Powertools logging, routing by `routeKey`, JSON
 * responses, and the error mapping of `errors.ts`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { HttpError, toErrorResponse } from './errors';

export interface Reply {
  statusCode: number;
  body?: unknown;
}

export type Route = (event: APIGatewayProxyEventV2) => Promise<Reply>;

function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/** A Lambda handler serving `routes` (keyed like API Gateway's routeKey, e.g. `POST /environments`). */
export function httpApi(logger: Logger, routes: Record<string, Route>) {
  const dispatch = async (event: APIGatewayProxyEventV2, _context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const route = routes[event.routeKey];
    if (!route) throw new HttpError(404, 'NotFound', `no route for ${event.routeKey}`);
    const reply = await route(event);
    return json(reply.statusCode, reply.body);
  };
  return middy(dispatch)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        const failure = toErrorResponse(request.error);
        const detail = { routeKey: request.event.routeKey, statusCode: failure.statusCode, code: failure.body.error.code };
        if (failure.internal) logger.error('request failed', { ...detail, error: request.error as Error });
        else logger.info('request refused', { ...detail, reason: failure.body.error.message });
        request.response = json(failure.statusCode, failure.body);
      },
    });
}
