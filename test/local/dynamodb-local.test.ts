import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  dynamoDbLocalEmulatorDir,
  JavaNotFoundError,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from '../../local/dynamodb-local';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const moduleUnderTest = fileURLToPath(new URL('../../local/dynamodb-local.ts', import.meta.url));

function client(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function createTable(ddb: DynamoDBClient, TableName: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

/** True if `pid` is a live (non-zombie) process. */
function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  const stat = ps.stdout.trim();
  return stat !== '' && !stat.startsWith('Z');
}

/** Command lines of live DynamoDB Local JVMs listening on `port`. */
function dynamoJavaProcessesOnPort(port: number): string[] {
  const ps = spawnSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => !line.startsWith('Z'))
    .filter((line) => line.includes('DynamoDBLocal.jar') && new RegExp(`ddb\\.port=${port}(\\s|$)`).test(line))
    .filter((line) => !line.includes('java-guardian.mjs'));
}

/** Resolves 'connected' or the error code (e.g. 'ECONNREFUSED') of a TCP connect to host:port. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** This machine's non-loopback addresses (IPv4, and IPv6 that needs no zone id). */
function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal)
    .filter((info) => info!.family === 'IPv4' || !info!.address.toLowerCase().startsWith('fe80:'))
    .map((info) => info!.address);
}

/** Decodes a /proc/net/tcp{,6} address column (hex, host byte order per 32-bit word). */
function decodeProcAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join(''));
  if (words.length === 1) return words[0]!.match(/../g)!.map((byte) => parseInt(byte, 16)).join('.');
  const full = words.join('');
  if (full.startsWith('00000000000000000000FFFF')) {
    return `::ffff:${full.slice(24).match(/../g)!.map((byte) => parseInt(byte, 16)).join('.')}`;
  }
  if (/^0+$/.test(full)) return '::';
  return full.match(/.{4}/g)!.join(':').toLowerCase();
}

/** Local addresses of the TCP sockets in LISTEN state on `port`, as the kernel reports them. */
function listeningAddresses(port: number): string[] {
  if (existsSync('/proc/net/tcp')) {
    const addresses: string[] = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const [, local, , state] = line.trim().split(/\s+/);
        if (!local || state !== '0A') continue; // 0A = LISTEN
        const [hexAddress, hexPort] = local.split(':');
        if (parseInt(hexPort!, 16) === port) addresses.push(decodeProcAddress(hexAddress!));
      }
    }
    return addresses;
  }
  // No /proc (macOS): lsof prints one `n<address>:<port>` line per listening socket.
  const lsof = spawnSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fn'], { encoding: 'utf8' });
  if (lsof.error) throw lsof.error;
  return lsof.stdout
    .split('\n')
    .filter((line) => line.startsWith('n'))
    .map((line) => line.slice(1).replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'));
}

const loopbackAddresses = ['127.0.0.1', '::ffff:127.0.0.1'];

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - start;
}

describe('global setup', () => {
  it('provides the shared DynamoDB Local endpoint', async () => {
    const endpoint = inject('dynamoEndpoint');
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.DYNAMODB_ENDPOINT).toBe(endpoint);
    const ddb = client(endpoint);
    try {
      const out = await ddb.send(new ListTablesCommand({}));
      expect(Array.isArray(out.TableNames)).toBe(true);
    } finally {
      ddb.destroy();
    }
  });
});

describe('startDynamoDbLocal', () => {
  let dynamo: DynamoDbLocal;
  let ddb: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal({ port: 0 });
    ddb = client(dynamo.endpoint);
  });

  afterAll(async () => {
    ddb?.destroy();
    await dynamo?.stop();
  });

  it('runs a second instance on its own free port', () => {
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`);
    expect(dynamo.endpoint).not.toBe(inject('dynamoEndpoint'));
    expect(processRunning(dynamo.pid)).toBe(true);
    expect(processRunning(dynamo.guardianPid)).toBe(true);
    expect(dynamoJavaProcessesOnPort(dynamo.port)).toHaveLength(1);
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(await tryConnect('127.0.0.1', dynamo.port)).toBe('connected');

    // What the kernel says about the listening socket(s) on that port: loopback only, no 0.0.0.0 / ::.
    const listening = listeningAddresses(dynamo.port);
    expect(listening.length).toBeGreaterThan(0);
    for (const address of listening) expect(loopbackAddresses).toContain(address);

    // And from the network's side: the machine's other addresses are refused.
    const others = nonLoopbackAddresses();
    if (others.length === 0) return; // no network interface besides lo: the socket check above is the proof
    // Control: those addresses do reach a server that listens on every interface.
    const wildcard = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => wildcard.listen(0, resolve));
    try {
      const wildcardPort = (wildcard.address() as AddressInfo).port;
      for (const address of others) {
        expect({ address, result: await tryConnect(address, wildcardPort) }).toEqual({ address, result: 'connected' });
      }
    } finally {
      await new Promise((resolve) => wildcard.close(resolve));
    }
    for (const address of others) {
      expect({ address, result: await tryConnect(address, dynamo.port) }).toEqual({ address, result: 'ECONNREFUSED' });
    }
  });

  it('exposes the emulator folder', () => {
    expect(existsSync(join(dynamoDbLocalEmulatorDir(), 'DynamoDBLocal.jar'))).toBe(true);
    expect(existsSync(join(dynamoDbLocalEmulatorDir(), 'DynamoDBLocal_lib'))).toBe(true);
  });

  it('supports conditional writes', async () => {
    await createTable(ddb, 'conditional');
    const put = () =>
      ddb.send(
        new PutItemCommand({
          TableName: 'conditional',
          Item: { pk: { S: 'a' }, n: { N: '1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await expect(put()).resolves.toBeDefined();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('supports TransactWriteItems', async () => {
    await createTable(ddb, 'transactions');
    await ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: 'transactions', Item: { pk: { S: 'x' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: 'transactions', Item: { pk: { S: 'y' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
    const x = await ddb.send(new GetItemCommand({ TableName: 'transactions', Key: { pk: { S: 'x' } } }));
    const y = await ddb.send(new GetItemCommand({ TableName: 'transactions', Key: { pk: { S: 'y' } } }));
    expect(x.Item?.pk?.S).toBe('x');
    expect(y.Item?.pk?.S).toBe('y');

    // All-or-nothing: one failing condition cancels the whole transaction.
    await expect(
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'transactions', Item: { pk: { S: 'z' } } } },
            { Put: { TableName: 'transactions', Item: { pk: { S: 'x' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(TransactionCanceledException);
    const z = await ddb.send(new GetItemCommand({ TableName: 'transactions', Key: { pk: { S: 'z' } } }));
    expect(z.Item).toBeUndefined();
  });
});

describe('stop()', () => {
  it('leaves no java process behind and is idempotent', async () => {
    const dynamo = await startDynamoDbLocal();
    expect(processRunning(dynamo.pid)).toBe(true);
    await dynamo.stop();
    expect(() => process.kill(dynamo.pid, 0)).toThrow();
    expect(processRunning(dynamo.guardianPid)).toBe(false);
    expect(dynamoJavaProcessesOnPort(dynamo.port)).toEqual([]);
    await expect(dynamo.stop()).resolves.toBeUndefined();
  });
});

describe('dataDir', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ddb-local-test-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('persists tables and items across stop/start', async () => {
    const dataDir = join(dir, 'nested', 'data'); // created on demand
    const first = await startDynamoDbLocal({ dataDir });
    const ddb1 = client(first.endpoint);
    try {
      await createTable(ddb1, 'persistent');
      await ddb1.send(new PutItemCommand({ TableName: 'persistent', Item: { pk: { S: 'kept' } } }));
    } finally {
      ddb1.destroy();
      await first.stop();
    }
    expect(existsSync(dataDir)).toBe(true);

    const second = await startDynamoDbLocal({ dataDir });
    const ddb2 = client(second.endpoint);
    try {
      const table = await ddb2.send(new DescribeTableCommand({ TableName: 'persistent' }));
      expect(table.Table?.TableStatus).toBe('ACTIVE');
      const item = await ddb2.send(new GetItemCommand({ TableName: 'persistent', Key: { pk: { S: 'kept' } } }));
      expect(item.Item?.pk?.S).toBe('kept');
    } finally {
      ddb2.destroy();
      await second.stop();
    }
  });
});

describe('JavaNotFoundError', () => {
  it('is raised when PATH has no java', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'no-java-'));
    const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
    process.env.PATH = emptyDir;
    delete process.env.JAVA_HOME;
    try {
      const error = await startDynamoDbLocal().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JavaNotFoundError);
      expect((error as Error).message).toContain('Java 11+');
      expect((error as Error).message).toContain('apt-get install openjdk-17-jre-headless');
      expect((error as Error).message).toContain('brew install openjdk');
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.JAVA_HOME !== undefined) process.env.JAVA_HOME = saved.JAVA_HOME;
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  it('is raised for a missing or broken javaCommand', async () => {
    await expect(startDynamoDbLocal({ javaCommand: '/nonexistent/bin/java' })).rejects.toBeInstanceOf(JavaNotFoundError);
    await expect(startDynamoDbLocal({ javaCommand: 'false' })).rejects.toBeInstanceOf(JavaNotFoundError);
  });
});

describe('orphan protection', () => {
  it('kills java when the parent node process is SIGKILLed', async () => {
    const script = `
      import { startDynamoDbLocal } from ${JSON.stringify(moduleUnderTest)};
      const d = await startDynamoDbLocal();
      console.log(JSON.stringify({ pid: d.pid, guardianPid: d.guardianPid, port: d.port }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    type ChildInfo = { pid: number; guardianPid: number; port: number };
    let info: ChildInfo | undefined;
    try {
      const started = await new Promise<ChildInfo>((resolve, reject) => {
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const line = stdout.split('\n').find((l) => l.startsWith('{'));
          if (line && stdout.includes('\n')) resolve(JSON.parse(line) as ChildInfo);
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
      });
      info = started;
      expect(processRunning(started.pid)).toBe(true);
      expect(dynamoJavaProcessesOnPort(started.port)).toHaveLength(1);

      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;

      const { pid, guardianPid, port } = started;
      const elapsed = await waitUntil(
        () => !processRunning(pid) && !processRunning(guardianPid) && dynamoJavaProcessesOnPort(port).length === 0,
        5_000,
      );
      expect(elapsed).toBeLessThan(3_500);
    } finally {
      // Never leak, even if the assertions above failed.
      child.kill('SIGKILL');
      if (info) {
        for (const pid of [info.pid, info.guardianPid]) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    }
  });
});
