/**
 * The whole control plane on one machine: DynamoDB Local, the HTTP API (same handlers as the
 * Lambda functions), the engine (planner fed by the simulated cluster's ECS events and a 1 s tick,
 * executor on the in-process queue), and the simulated cluster running in real time (`speed` ×).
 *
 * With `dataDir`, both the revision log (DynamoDB Local's files) and the simulated world
 * (`world.json`, written after every change) survive a restart — even a SIGKILL mid-deployment:
 * the engine picks up from the log and the world, and converges.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDocumentClient } from '../functions/adapters/dynamo';
import { CachedObservationStore, DynamoObservationStore } from '../functions/adapters/observation-store';
import type { LocalApi } from './api';
import { startLocalApi } from './api';
import type { DynamoDbLocal } from './dynamodb-local';
import { startDynamoDbLocal } from './dynamodb-local';
import type { LocalEngine } from './engine';
import { startLocalEngine } from './engine';
import { handleSimRequest } from './sim-api';
import type { SimulatedCluster } from './sim';
import { createWorld, readWorldFile, RealTimeClock, SimulatedCluster as World } from './sim';

export const TABLE_NAME = 'blox-local';

export interface StackOptions {
  port: number;
  host?: string;
  dataDir?: string | undefined;
  speed?: number;
  clusterFile?: string | undefined;
  logger: Logger;
  tickMs?: number;
  onEcsCall?: (name: string, at: number) => void;
}

export interface Stack {
  url: string;
  api: LocalApi;
  engine: LocalEngine;
  world: SimulatedCluster;
  dynamo: DynamoDbLocal;
  clock: RealTimeClock;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const clock = new RealTimeClock({ speed: options.speed ?? 1 });
  const worldFile = options.dataDir ? join(options.dataDir, 'world.json') : undefined;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });

  let world: SimulatedCluster;
  if (worldFile && existsSync(worldFile)) {
    world = World.fromJSON(JSON.parse(readFileSync(worldFile, 'utf8')), { clock });
    logger.info('simulated cluster restored', { file: worldFile, instances: world.describeInstances().length, tasks: world.describeTasks().length });
  } else {
    world = createWorld(readWorldFile(options.clusterFile), { clock });
    logger.info('simulated cluster created', { file: options.clusterFile ?? 'local/cluster.yml', instances: world.describeInstances().length });
  }

  // Persist the world after every change (debounced), atomically.
  let saveTimer: NodeJS.Timeout | undefined;
  const saveNow = () => {
    if (!worldFile) return;
    const tmp = `${worldFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(world.toJSON()));
    renameSync(tmp, worldFile);
  };
  const save = () => {
    if (!worldFile || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      saveNow();
    }, 100);
  };
  world.onEvent(save);

  const dynamo = await startDynamoDbLocal(options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {});
  logger.info('DynamoDB Local started', { endpoint: dynamo.endpoint, dataDir: options.dataDir ?? 'in memory', pid: dynamo.pid, guardianPid: dynamo.guardianPid });

  // Built after the API (it needs the API's event log); the API's hooks reach it through this.
  const engineRef: { current?: LocalEngine } = {};
  const alarms = new Map<string, 'ALARM' | 'OK'>();
  const extraDeps = {
    notifier: { publish: async (entries: Parameters<LocalEngine['deps']['notifier']['publish']>[0]) => engineRef.current?.deps.notifier.publish(entries) },
    wakeups: { schedule: async (environment: string, atMs: number) => engineRef.current?.wake(environment, atMs) },
  };
  let api: LocalApi;
  try {
    api = await startLocalApi({
      dynamoEndpoint: dynamo.endpoint,
      tableName: TABLE_NAME,
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      logger,
      clock: { now: () => new Date(clock.now()) },
      extraDeps,
      extraRoutes: (method, url, body, res) => handleSimRequest({ world, alarms, onChange: save }, method, url, body, res),
    });
  } catch (error) {
    await dynamo.stop();
    clock.close();
    throw error;
  }
  const started = startLocalEngine({
    eventLog: api.eventLog,
    observations: new CachedObservationStore(new DynamoObservationStore(createDocumentClient(dynamo.endpoint), TABLE_NAME)),
    world,
    clock,
    logger,
    ...(options.tickMs ? { tickMs: options.tickMs } : {}),
    ...(options.onEcsCall ? { onEcsCall: options.onEcsCall } : {}),
  });
  engineRef.current = started;

  return {
    url: api.url,
    api,
    engine: started,
    world,
    dynamo,
    clock,
    stop: async () => {
      await started.stop();
      await api.close();
      if (saveTimer) clearTimeout(saveTimer);
      saveNow();
      clock.close();
      await dynamo.stop();
    },
  };
}
