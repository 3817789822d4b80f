/**
 * `npm start`: the control plane on this machine, no AWS account needed.
 *
 *   DynamoDB Local (in memory, or --data-dir DIR to keep data across restarts)
 *   the HTTP API on 127.0.0.1:3000 (PORT or --port), the same handlers as the Lambda functions
 *
 * Ctrl-C or SIGTERM stops everything, DynamoDB Local included.
 */
import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { startLocalApi } from './api';
import { JavaNotFoundError, startDynamoDbLocal } from './dynamodb-local';
import type { LogFormat } from './logger';
import { createLocalLogger } from './logger';

export const TABLE_NAME = 'blox-local';
// The SDK warns about Node 20 on every start; the Lambda runtime is Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

const program = new Command('npm start')
  .description('Run the Blox Deployments control plane locally')
  .option('--port <port>', 'port of the HTTP API', port, process.env.PORT ? port(process.env.PORT) : 3000)
  .option('--data-dir <dir>', 'keep the revision log in this folder across restarts (default: in memory)')
  .option('--log-format <format>', 'readable or json', (v) => {
    if (v !== 'readable' && v !== 'json') throw new InvalidArgumentError('expected readable or json');
    return v as LogFormat;
  }, 'readable' as LogFormat)
  .parse();

const options = program.opts<{ port: number; dataDir?: string; logFormat: LogFormat }>();
const logger = createLocalLogger(options.logFormat);

async function main(): Promise<void> {
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  let dynamo;
  try {
    dynamo = await startDynamoDbLocal(dataDir ? { dataDir } : {});
  } catch (error) {
    if (error instanceof JavaNotFoundError) {
      console.error(`npm start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  logger.info('DynamoDB Local started', { endpoint: dynamo.endpoint, dataDir: dataDir ?? 'in memory' });
  let api;
  try {
    api = await startLocalApi({ dynamoEndpoint: dynamo.endpoint, tableName: TABLE_NAME, port: options.port, logger });
  } catch (error) {
    await dynamo.stop();
    const code = (error as NodeJS.ErrnoException).code;
    console.error(code === 'EADDRINUSE' ? `npm start: port ${options.port} is in use (set PORT or --port)` : `npm start: ${(error as Error).message}`);
    process.exit(1);
  }
  logger.info('Blox API listening', { url: api.url });
  console.log(`\nBlox Deployments is running. In another terminal:\n  npx blox list-environments\n(BLOX_API_URL=${api.url})  Ctrl-C stops it.\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    await api.close();
    await dynamo.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`npm start: ${(error as Error).message}`);
  process.exit(1);
});
