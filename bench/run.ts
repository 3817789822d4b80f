/**
 * `npm run bench [-- --only api,ratio,bundle,engine,alarm,traffic,stack] [-- --quick]`
 *
 * Prints one JSON line per figure on stdout — `{"name":…,"value":…,"unit":…}` and nothing else —
 * and progress on stderr. Starts its own in-memory DynamoDB Local for the `api` and `ratio` parts
 * and stops it before exiting (no java process is left behind). The `engine` part needs none (the
 * planner, and the engine on the in-memory harness). See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local';
import { apiBench } from './api';
import { bundleBench } from './bundle';
import { dashboardBench } from './dashboard';
import { alarmToRollbackBench, engineBench } from './engine';
import { ensureTable } from '../functions/adapters/create-table';
import { createDocumentClient } from '../functions/adapters/dynamo';
import { DynamoEventLog } from '../functions/adapters/event-log';
import { DynamoObservationStore } from '../functions/adapters/observation-store';
import { stackBench } from './stack';
import { ratioBench } from './ratio';
import { trafficBench } from './traffic';
import { emit, progress } from './stats';

/** In the order they run. */
const PARTS = ['bundle', 'api', 'ratio', 'engine', 'alarm', 'traffic', 'stack', 'dashboard'] as const;
/** The parts that talk to DynamoDB Local. */
const DYNAMO_PARTS: readonly Part[] = ['api', 'ratio'];
type Part = (typeof PARTS)[number];

interface BenchConfig {
  parts: Part[];
  quick: boolean;
  /** Where the engine's rollouts keep the log. */
  store: 'memory' | 'dynamodb';
}

const FULL = { apiWarmup: 50, apiSamples: 500, shortEvents: 10, longEvents: 10_000, ratioWarmup: 100, ratioSamples: 1_500, allSamples: 100, planWarmup: 5, planRuns: 50, rolloutInstances: 100 };
const QUICK = { apiWarmup: 5, apiSamples: 20, shortEvents: 10, longEvents: 200, ratioWarmup: 10, ratioSamples: 50, allSamples: 10, planWarmup: 1, planRuns: 5, rolloutInstances: 20 };

function parseConfig(argv: string[]): BenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, store: { type: 'string', default: 'memory' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(`usage: npm run bench -- [--only ${PARTS.join(',')}] [--quick] [--store memory|dynamodb]\n`);
    process.exit(0);
  }
  const requested = values.only === undefined ? [...PARTS] : values.only.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = requested.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0 || requested.length === 0) {
    throw new Error(`--only: expected a comma-separated list of ${PARTS.join(', ')} (got "${values.only ?? ''}")`);
  }
  if (values.store !== 'memory' && values.store !== 'dynamodb') throw new Error(`--store: expected memory or dynamodb (got "${values.store}")`);
  return { parts: PARTS.filter((p) => requested.includes(p)), quick: values.quick ?? false, store: values.store };
}

async function main(config: BenchConfig): Promise<void> {
  const sizes = config.quick ? QUICK : FULL;
  const started = performance.now();
  progress(`parts: ${config.parts.join(', ')}${config.quick ? ' (quick)' : ''}`);
  let dynamo: DynamoDbLocal | undefined;
  try {
    const table = (part: string) => `blox-bench-${part}-${randomUUID().slice(0, 8)}`;
    for (const part of config.parts) {
      const partStarted = performance.now();
      // Started lazily: `bundle` (first in PARTS) then runs without an idle JVM next to it.
      if (DYNAMO_PARTS.includes(part) && !dynamo) {
        dynamo = await startDynamoDbLocal();
        progress(`DynamoDB Local at ${dynamo.endpoint} (java pid ${dynamo.pid}, guardian pid ${dynamo.guardianPid})`);
      }
      switch (part) {
        case 'api':
          for (const result of await apiBench({
            dynamoEndpoint: dynamo!.endpoint,
            tableName: table('api'),
            warmup: sizes.apiWarmup,
            samples: sizes.apiSamples,
          }))
            emit(result);
          break;
        case 'ratio':
          for (const result of await ratioBench({
            dynamoEndpoint: dynamo!.endpoint,
            tableName: table('ratio'),
            shortEvents: sizes.shortEvents,
            longEvents: sizes.longEvents,
            warmup: sizes.ratioWarmup,
            samples: sizes.ratioSamples,
            allSamples: sizes.allSamples,
          }))
            emit(result);
          break;
        case 'bundle':
          progress('bundle: building and timing cold imports');
          for (const result of await bundleBench()) emit(result);
          break;
        case 'engine': {
          // The engine's rollouts on DynamoDB Local when asked (--store dynamodb), and the 1,000-instance
          // one always (unless --quick); the planner's timing runs before the JVM is needed.
          const needsDynamo = config.store === 'dynamodb' || !config.quick;
          if (needsDynamo && !dynamo) {
            dynamo = await startDynamoDbLocal();
            progress(`DynamoDB Local at ${dynamo.endpoint} (java pid ${dynamo.pid}, guardian pid ${dynamo.guardianPid})`);
          }
          const endpoint = dynamo?.endpoint;
          const dynamoStore = endpoint
            ? async () => {
                const tableName = table('engine');
                await ensureTable(endpoint, tableName);
                const documents = createDocumentClient(endpoint);
                return { eventLog: new DynamoEventLog(documents, tableName), observations: new DynamoObservationStore(documents, tableName) };
              }
            : undefined;
          for (const result of await engineBench({
            runs: sizes.planRuns,
            warmup: sizes.planWarmup,
            rolloutInstances: sizes.rolloutInstances,
            store: config.store,
            dynamoStore,
            large: !config.quick,
            service: !config.quick,
          }))
            emit(result);
          break;
        }
        case 'alarm':
          // The virtual time from an alarm's state change to the first rollback action (bench/engine.ts).
          for (const result of await alarmToRollbackBench(config.quick ? 3 : 9)) emit(result);
          break;
        case 'traffic':
          // A bad revision's blast radius: Canary 5/25/100 against an all-at-once Rolling (bench/traffic.ts),
          // 12 deployments on the harness (~30 s of wall time), skipped by --quick (test/bench/traffic.test.ts runs it small).
          if (config.quick) break;
          progress('traffic: a revision answering 20 % 5xx, Canary 5/25/100 against Rolling all at once, web-alb-5xx above 0.5 % for 1 minute');
          for (const result of await trafficBench()) emit(result);
          break;
        case 'stack':
          // The local stack in real time (its own DynamoDB Local): ~2 minutes, skipped by --quick.
          if (config.quick) break;
          progress('stack: the local stack in real time, 4 Replace deployments over 5 instances');
          for (const result of await stackBench()) emit(result);
          break;
        case 'dashboard':
          // The dashboard's 10,000-cell grid in Chromium (bench/dashboard.ts).
          progress('dashboard: 10,000 instances drawn in chromium');
          for (const result of await dashboardBench()) emit(result);
          break;
      }
      progress(`${part}: done in ${((performance.now() - partStarted) / 1000).toFixed(1)} s`);
    }
  } finally {
    if (dynamo) {
      await dynamo.stop();
      progress('DynamoDB Local stopped');
    }
  }
  progress(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// The SDK warns about Node 20 on every client (the Lambda runtime is Node 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Anything a library logs goes to stderr: stdout is for result lines only.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

let exitCode = 0;
try {
  await main(parseConfig(process.argv.slice(2)));
} catch (error) {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitCode = 1;
}
// Keep-alive sockets and SDK timers must not hold the process open once DynamoDB Local is gone.
process.exit(exitCode);
