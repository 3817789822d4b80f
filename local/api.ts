/**
 * The control plane's API served locally: the same handlers as the Lambda functions, wired to a
 * DynamoDB endpoint (DynamoDB Local). Used by the local stack and by the API and CLI tests.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type http from 'node:http';
import { createReadHandler } from '../functions/api/read-routes';
import { createWriteHandler } from '../functions/api/write-routes';
import { systemClock } from '../functions/adapters/clock';
import { ensureTable } from '../functions/adapters/create-table';
import { createDocumentClient } from '../functions/adapters/dynamo';
import { DynamoEventLog } from '../functions/adapters/event-log';
import { DynamoObservationStore } from '../functions/adapters/observation-store';
import type { Clock, EventLog } from '../functions/ports';
import type { ApiDeps } from '../functions/api/deps';
import type { DashboardFiles } from './dashboard';
import type { ExtraRoutes } from './http-server';
import { createApiServer, listen } from './http-server';

export interface LocalApi {
  url: string;
  port: number;
  eventLog: EventLog;
  server: http.Server;
  close(): Promise<void>;
}

export interface LocalApiOptions {
  dynamoEndpoint: string;
  tableName: string;
  port?: number;
  host?: string;
  clock?: Clock;
  logger?: Logger;
  /** Local-only routes served beside the API (the simulator's controls). */
  extraRoutes?: ExtraRoutes;
  /** The dashboard's files, served at `/` and under `/_dashboard/` (buildDashboard). */
  dashboard?: DashboardFiles;
  /** More API dependencies (the local stack's notifier and planner wake-ups). */
  extraDeps?: Partial<Omit<ApiDeps, 'eventLog' | 'clock' | 'logger'>>;
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  await ensureTable(options.dynamoEndpoint, options.tableName);
  const eventLog = new DynamoEventLog(createDocumentClient(options.dynamoEndpoint), options.tableName);
  const logger = options.logger ?? new Logger({ serviceName: 'blox-deployments', logLevel: 'SILENT' });
  const observations = new DynamoObservationStore(createDocumentClient(options.dynamoEndpoint), options.tableName);
  const deps: ApiDeps = { observations, ...options.extraDeps, eventLog, clock: options.clock ?? systemClock, logger };
  const server = createApiServer({ 'api-read': createReadHandler(deps), 'api-write': createWriteHandler(deps) }, options.extraRoutes, options.dashboard);
  const port = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    eventLog,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
