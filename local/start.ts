/**
 * `npm start`: the control plane on this machine, no AWS account needed.
 *
 *   DynamoDB Local (in memory, or --data-dir DIR to keep data across restarts)
 *   the HTTP API on 127.0.0.1:3000 (PORT or --port), the same handlers as the Lambda functions
 *   the engine (planner + executor) driving a simulated ECS cluster (local/cluster.yml) in real time
 *   the simulator's controls under /_sim (blox sim …), on loopback only
 *   the dashboard at / (dashboard/, bundled by esbuild as the stack starts)
 *
 * Ctrl-C or SIGTERM stops everything, DynamoDB Local included.
 */
import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { JavaNotFoundError } from './dynamodb-local';
import type { LogFormat } from './logger';
import { createLocalLogger } from './logger';
import { WorldFileError } from './sim';
import { startStack } from './stack';

// The SDK warns about Node 20 on every start; the Lambda runtime is Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

function speed(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1000)) throw new InvalidArgumentError('expected a number above 0 (1 = real time, 10 = ten times faster)');
  return n;
}

const program = new Command('npm start')
  .description('Run the Blox Deployments control plane locally, against a simulated ECS cluster')
  .option('--port <port>', 'port of the HTTP API', port, process.env.PORT ? port(process.env.PORT) : 3000)
  .option('--data-dir <dir>', 'keep the revision log and the simulated cluster in this folder across restarts (default: in memory)')
  .option('--cluster-file <file>', 'the simulated world to start from (default: local/cluster.yml)')
  .option('--speed <n>', "how much faster than real time the simulated cluster's clock runs", speed, 1)
  .option('--log-format <format>', 'readable or json', (v) => {
    if (v !== 'readable' && v !== 'json') throw new InvalidArgumentError('expected readable or json');
    return v as LogFormat;
  }, 'readable' as LogFormat)
  .parse();

const options = program.opts<{ port: number; dataDir?: string; clusterFile?: string; speed: number; logFormat: LogFormat }>();
const logger = createLocalLogger(options.logFormat);

async function main(): Promise<void> {
  let stack;
  try {
    stack = await startStack({
      port: options.port,
      dataDir: options.dataDir ? resolve(options.dataDir) : undefined,
      clusterFile: options.clusterFile ? resolve(options.clusterFile) : undefined,
      speed: options.speed,
      logger,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof JavaNotFoundError || error instanceof WorldFileError) console.error(`npm start: ${error.message}`);
    else if (code === 'EADDRINUSE') console.error(`npm start: port ${options.port} is in use (set PORT or --port)`);
    else console.error(`npm start: ${(error as Error).message}`);
    process.exit(1);
  }
  logger.info('Blox API listening', { url: stack.url, speed: options.speed });
  console.log(
    `\nBlox Deployments is running on ${stack.url} with a simulated ECS cluster (${stack.world.describeInstances().length} instances).\n` +
      `The dashboard: ${stack.url}/\n` +
      `In another terminal:\n  npx blox list-environments\n  npx blox sim list-instances --table\nCtrl-C stops it.\n`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`npm start: ${(error as Error).message}`);
  process.exit(1);
});
