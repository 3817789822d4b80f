/**
 * The whole control plane on one machine: DynamoDB Local, the HTTP API (same handlers as the
 * Lambda functions), the engine (planner fed by the simulated cluster's ECS events and a 1 s tick,
 * executor on the in-process queue), and the simulated cluster running in real time (`speed` ×).
 *
 * With `dataDir`, both the revision log (DynamoDB Local's files) and the simulated world
 * (`world.json`, written after every change) survive a restart — even a SIGKILL mid-deployment:
 * the engine picks up from the log and the world, and converges.
 *
 * Next to the cluster, the simulated load balancing and monitoring (`createSimulatedServices`,
 * from the world file's `targetGroups`, `traffic` and `alarms`): target groups, the tasks'
 * traffic, CloudWatch metrics and alarms, whose `CloudWatch Alarm State Change` events reach the
 * engine's router as the ECS events do. With `dataDir` their description is kept in
 * `services.json` — the target groups, the alarms, every task definition's error rate
 * (including those set by `blox sim set-task-definition --error-rate`), the hosted zones' weighted
 * records with their current weights, and the hook functions' answers (`blox sim set-function`) —
 * and they are built again from it on a restart (a Route 53 change still PENDING is INSYNC then). Not persisted (the snapshot format of these services does not exist yet):
 * metric datapoints, alarm states and their history (alarms start again at INSUFFICIENT_DATA, as
 * newly created ones do, and are evaluated on fresh data), target registrations and their health
 * (tasks still running are registered again and start `initial`), host ports, and the services'
 * throttling buckets.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDocumentClient } from '../functions/adapters/dynamo';
import { CachedObservationStore, DynamoObservationStore } from '../functions/adapters/observation-store';
import type { LocalApi } from './api';
import { EcsTaskDefinitions } from '../functions/adapters/task-definitions';
import { startLocalApi } from './api';
import { buildDashboard } from './dashboard';
import type { DynamoDbLocal } from './dynamodb-local';
import { startDynamoDbLocal } from './dynamodb-local';
import type { LocalEngine } from './engine';
import { startLocalEngine } from './engine';
import { handleSimRequest } from './sim-api';
import type { SimServicesDescription, SimulatedCluster, SimulatedServices } from './sim';
import { Elbv2TargetHealth } from '../functions/adapters/elbv2-target-health';
import { Elbv2ListenerRules } from '../functions/adapters/elbv2-listener-rules';
import { LambdaHooks } from '../functions/adapters/lambda-hooks';
import { Route53WeightedRecords } from '../functions/adapters/route53-records';
import { createSimulatedServices, createWorld, functionsOf, hostedZonesOf, loadBalancingOf, parseSimServicesDescription, readWorldFile, RealTimeClock, simServicesOf, SimulatedCluster as World } from './sim';

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
  /** The simulated ELBv2 target groups, CloudWatch alarms and tasks' traffic. */
  services: SimulatedServices;
  dynamo: DynamoDbLocal;
  clock: RealTimeClock;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const clock = new RealTimeClock({ speed: options.speed ?? 1 });
  const worldFile = options.dataDir ? join(options.dataDir, 'world.json') : undefined;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });

  const servicesFile = options.dataDir ? join(options.dataDir, 'services.json') : undefined;

  let world: SimulatedCluster;
  let servicesDescription: SimServicesDescription;
  if (worldFile && existsSync(worldFile)) {
    world = World.fromJSON(JSON.parse(readFileSync(worldFile, 'utf8')), { clock });
    logger.info('simulated cluster restored', { file: worldFile, instances: world.describeInstances().length, tasks: world.describeTasks().length });
    if (servicesFile && existsSync(servicesFile)) {
      servicesDescription = readServicesFile(servicesFile);
    } else {
      // A data dir from before the services were kept: the world file's.
      servicesDescription = simServicesOf(readWorldFile(options.clusterFile));
    }
  } else {
    const description = readWorldFile(options.clusterFile);
    world = createWorld(description, { clock });
    servicesDescription = simServicesOf(description);
    logger.info('simulated cluster created', { file: options.clusterFile ?? 'local/cluster.yml', instances: world.describeInstances().length });
  }
  const services = createSimulatedServices({ world, clock, description: servicesDescription });
  // ECS registers service tasks in their task set's target group on its behalf.
  world.useLoadBalancing(loadBalancingOf(services));
  // Error rates set while running, on top of the description's (what services.json keeps).
  const traffic = structuredClone(servicesDescription.traffic);
  logger.info('simulated load balancing and monitoring', { targetGroups: Object.keys(servicesDescription.targetGroups), alarms: Object.keys(servicesDescription.alarms) });
  services.cloudwatch.onEvent((event) => {
    const { alarmName, state, previousState } = event.detail;
    logger.info(`alarm ${alarmName} ${previousState.value} → ${state.value}`, { reason: state.reason });
  });

  // Persist the world after every change (debounced), atomically.
  let saveTimer: NodeJS.Timeout | undefined;
  const writeAtomically = (file: string, value: unknown) => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, file);
  };
  const saveNow = () => {
    if (worldFile) writeAtomically(worldFile, world.toJSON());
    if (servicesFile) {
      // The records' weights and the functions' answers as they are now (set by the engine and `blox sim set-function`).
      const rps = (name: string) => Object.values(servicesDescription.hostedZones ?? {}).find((zone) => zone.records[name])?.records[name]?.requestsPerSecond;
      const description = { ...servicesDescription, traffic, hostedZones: hostedZonesOf(services.route53, rps), functions: functionsOf(services.lambda) };
      writeAtomically(servicesFile, { format: SERVICES_FORMAT, formatVersion: 1, description });
    }
  };
  const save = () => {
    if (!worldFile || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      saveNow();
    }, 100);
  };
  world.onEvent(save);
  services.route53.onRecordsChange(save);

  const dynamo = await startDynamoDbLocal(options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {});
  logger.info('DynamoDB Local started', { endpoint: dynamo.endpoint, dataDir: options.dataDir ?? 'in memory', pid: dynamo.pid, guardianPid: dynamo.guardianPid });

  // Built after the API (it needs the API's event log); the API's hooks reach it through this.
  const engineRef: { current?: LocalEngine } = {};
  const extraDeps = {
    notifier: { publish: async (entries: Parameters<LocalEngine['deps']['notifier']['publish']>[0]) => engineRef.current?.deps.notifier.publish(entries) },
    wakeups: { schedule: async (environment: string, atMs: number) => engineRef.current?.wake(environment, atMs) },
    // diff-revisions: the simulated ECS's DescribeTaskDefinition through the real adapter (a fresh one per
    // call, uncached: `blox sim set-task-definition` changes what the world answers).
    taskDefinitions: {
      describe: (taskDefinition: string) =>
        new EcsTaskDefinitions(async (input) => ({ $metadata: {}, ...(await world.describeTaskDefinition(input)) })).describe(taskDefinition),
    },
  };
  let api: LocalApi;
  try {
    const dashboard = await buildDashboard();
    api = await startLocalApi({
      dashboard,
      dynamoEndpoint: dynamo.endpoint,
      tableName: TABLE_NAME,
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      logger,
      clock: { now: () => new Date(clock.now()) },
      extraDeps,
      extraRoutes: (method, url, body, res) =>
        handleSimRequest(
          {
            world,
            services,
            onChange: save,
            onTrafficChange: (taskDefinition, change) => {
              traffic[taskDefinition] = { ...traffic[taskDefinition], ...change };
            },
          },
          method,
          url,
          body,
          res,
        ),
    });
  } catch (error) {
    await dynamo.stop();
    services.close();
    clock.close();
    throw error;
  }
  const started = startLocalEngine({
    eventLog: api.eventLog,
    observations: new CachedObservationStore(new DynamoObservationStore(createDocumentClient(dynamo.endpoint), TABLE_NAME)),
    world,
    alarms: services.cloudwatch,
    targetHealth: new Elbv2TargetHealth(services.elbv2),
    listenerRules: new Elbv2ListenerRules(services.elbv2),
    // The same adapters as in AWS, over the simulated Route 53 and Lambda.
    weightedRecords: new Route53WeightedRecords(services.route53),
    hooks: new LambdaHooks(services.lambda),
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
    services,
    dynamo,
    clock,
    stop: async () => {
      await started.stop();
      await api.close();
      services.close();
      if (saveTimer) clearTimeout(saveTimer);
      saveNow();
      clock.close();
      await dynamo.stop();
    },
  };
}

const SERVICES_FORMAT = 'blox-sim-services';

/** `services.json`: the simulated services' description as the stack last saved it. */
function readServicesFile(file: string): SimServicesDescription {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown; description?: unknown };
  if (saved.format !== SERVICES_FORMAT) throw new Error(`${file}: not a saved simulated-services description`);
  return parseSimServicesDescription(saved.description, file);
}
