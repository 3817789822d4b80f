/**
 * DynamoDB Local process manager.
 *
 * Starts the DynamoDB Local JVM shipped in the `amplify-dynamodb-simulator`
 * dev dependency, listening on 127.0.0.1 only, waits until it answers real API
 * calls, and guarantees that no `java` process survives us.
 *
 * Loopback only: DynamoDB Local's own entry point (`java -jar DynamoDBLocal.jar`,
 * main class ServerRunner) always listens on every interface (it does
 * `new org.eclipse.jetty.server.Server(port)`) and has no host option. So we do not
 * run its main class: `local/dynamodb-local-jetty.xml` builds the same Jetty server
 * and DynamoDB Local handlers, but with a connector whose host is 127.0.0.1, and
 * Jetty's own launcher (`org.eclipse.jetty.xml.XmlConfiguration`, on the jar's
 * manifest class path) builds and starts it:
 *
 *   java -Djava.library.path=./DynamoDBLocal_lib -Djava.net.preferIPv4Stack=true ...
 *     -cp DynamoDBLocal.jar org.eclipse.jetty.xml.XmlConfiguration
 *     ddb.port=PORT [ddb.inMemory=false ddb.dbPath=DIR] local/dynamodb-local-jetty.xml
 *
 * (run in the emulator folder; the equivalent of `-inMemory` or `-dbPath DIR`, always
 * with `-sharedDb`; no compilation step, a JRE is enough). Nothing on that path sends
 * telemetry (only ServerRunner does).
 *
 * No `java` process survives us:
 *
 *  - java is started through `local/java-guardian.mjs`, a tiny node watchdog
 *    that kills java as soon as this process disappears (also after SIGKILL,
 *    detected by EOF on its stdin pipe and by polling our pid);
 *  - `exit`, `SIGINT` and `SIGTERM` handlers kill java and the guardian
 *    synchronously;
 *  - `stop()` sends SIGTERM, waits for the exit, and escalates to SIGKILL
 *    after 3 s.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocal {
  /** e.g. `http://127.0.0.1:8000` */
  endpoint: string;
  port: number;
  /** pid of the DynamoDB Local JVM. */
  pid: number;
  /** pid of the watchdog process that owns the JVM. */
  guardianPid: number;
  /** Stops the JVM (SIGTERM, SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** 0 or undefined = pick a free port. */
  port?: number;
  /** Persist tables in SQLite files in DIR (DynamoDB Local's `-dbPath DIR`; the directory is created). Default: in memory. */
  dataDir?: string;
  /** Receives every stdout/stderr line of DynamoDB Local. */
  log?: (line: string) => void;
  /** The java executable (default: `$JAVA_HOME/bin/java` if JAVA_HOME is set, otherwise `java` from PATH). */
  javaCommand?: string;
  /** How long to wait for DynamoDB Local to answer `ListTables` (default 30 000 ms). */
  startTimeoutMs?: number;
}

export class JavaNotFoundError extends Error {
  constructor(detail?: string) {
    super(
      [
        'DynamoDB Local needs Java 11+ on PATH.',
        detail ? `(${detail})` : undefined,
        'Install it with `apt-get install openjdk-17-jre-headless` (Debian/Ubuntu),',
        '`brew install openjdk@17` (macOS; then follow brew\'s hint to put it on PATH),',
        'or any JDK/JRE 11+ from https://adoptium.net, and make sure `java -version` works',
        '(or set JAVA_HOME).',
      ]
        .filter(Boolean)
        .join(' '),
    );
    this.name = 'JavaNotFoundError';
  }
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_CHARS = 16_000;
const MAX_PORT_ATTEMPTS = 3;

/** Absolute path of the folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`. */
export function dynamoDbLocalEmulatorDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

const guardianScript = fileURLToPath(new URL('./java-guardian.mjs', import.meta.url));
/** Jetty XmlConfiguration that builds DynamoDB Local's server with a 127.0.0.1-only connector. */
const jettyXml = fileURLToPath(new URL('./dynamodb-local-jetty.xml', import.meta.url));

function defaultJavaCommand(): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome ? join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java') : 'java';
}

/** Runs `java -version`; throws JavaNotFoundError if java is missing, broken, or older than 11. */
function checkJava(javaCommand: string): void {
  const result = spawnSync(javaCommand, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new JavaNotFoundError(`\`${javaCommand}\` was not found`);
    throw new JavaNotFoundError(`\`${javaCommand} -version\` failed: ${result.error.message}`);
  }
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  if (result.status !== 0) {
    throw new JavaNotFoundError(`\`${javaCommand} -version\` exited with ${result.status ?? result.signal}: ${output.trim()}`);
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (match) {
    const first = Number(match[1]);
    const major = first === 1 ? Number(match[2] ?? 0) : first; // "1.8.0_422" → 8
    if (major < 11) throw new JavaNotFoundError(`found Java ${major} at \`${javaCommand}\``);
  }
}

/** Picks a free TCP port by listening on port 0 and closing again. */
export async function getFreePort(): Promise<number> {
  return listenAndClose(0);
}

function listenAndClose(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------------------
// Process registry + parent exit/signal handlers
// ---------------------------------------------------------------------------

interface Running {
  guardian: ChildProcess;
  javaPid?: number;
}

const running = new Set<Running>();
let handlersInstalled = false;

function signalPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function killSync(entry: Running, signal: NodeJS.Signals): void {
  signalPid(entry.javaPid, signal);
  signalPid(entry.guardian.pid, signal);
}

/**
 * Synchronous last-resort kill used from exit/signal handlers: SIGKILL the JVM and
 * SIGTERM the guardian (which then reaps the JVM and exits on its own; it would also
 * notice our death through its stdin pipe).
 */
function killAllNow(): void {
  for (const entry of running) {
    signalPid(entry.javaPid, 'SIGKILL');
    signalPid(entry.guardian.pid, 'SIGTERM');
  }
}

function onExit(): void {
  killAllNow();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  running.clear();
  uninstallHandlers();
  // We replaced Node's default "terminate on signal" behaviour by listening; if nobody
  // else handles the signal, restore the default and re-raise it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

// ---------------------------------------------------------------------------
// Start / stop
// ---------------------------------------------------------------------------

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((r) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      r(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      r(true);
    };
    child.once('exit', onExit);
  });
}

async function waitForPidGone(pid: number | undefined, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

async function stopEntry(entry: Running): Promise<void> {
  const { guardian } = entry;
  // SIGTERM the guardian (forwards to java) and java itself.
  killSync(entry, 'SIGTERM');
  let exited = await waitForExit(guardian, STOP_GRACE_MS);
  exited = (await waitForPidGone(entry.javaPid, exited ? 500 : 0)) && exited;
  if (!exited) {
    // Java first (killing only the guardian could orphan it); the guardian then reaps it and exits.
    signalPid(entry.javaPid, 'SIGKILL');
    if (!(await waitForExit(guardian, 1_000))) {
      signalPid(guardian.pid, 'SIGKILL');
      await waitForExit(guardian, STOP_GRACE_MS);
    }
    await waitForPidGone(entry.javaPid, STOP_GRACE_MS);
  }
  running.delete(entry);
  if (running.size === 0) uninstallHandlers();
}

async function answersListTables(endpoint: string): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_500) });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

class PortInUseError extends Error {}

async function startOnce(
  port: number,
  options: StartOptions,
  javaCommand: string,
  emulatorDir: string,
): Promise<DynamoDbLocal> {
  if (jettyXml.includes('=')) {
    // XmlConfiguration reads every `name=value` argument as a property, not as a file.
    throw new Error(`DynamoDB Local cannot start from a folder whose path contains "=": ${jettyXml}`);
  }
  const javaArgs = [
    '-Djava.library.path=./DynamoDBLocal_lib', // sqlite4java's native libraries
    // A plain IPv4 socket: the listener shows as 127.0.0.1:PORT (not ::ffff:127.0.0.1).
    '-Djava.net.preferIPv4Stack=true',
    // What DynamoDB Local's ServerRunner sets before starting Jetty.
    '-Dorg.eclipse.jetty.util.log.announce=false',
    '-Dorg.eclipse.jetty.LEVEL=WARN',
    // The jar's manifest Class-Path brings in DynamoDBLocal_lib/*.jar (Jetty included).
    '-cp',
    'DynamoDBLocal.jar',
    'org.eclipse.jetty.xml.XmlConfiguration',
    `ddb.port=${port}`,
  ];
  if (options.dataDir !== undefined) {
    const dir = resolve(options.dataDir); // resolve against *our* cwd, java runs in emulatorDir
    mkdirSync(dir, { recursive: true });
    javaArgs.push('ddb.inMemory=false', `ddb.dbPath=${dir}`);
  } else {
    javaArgs.push('ddb.inMemory=true');
  }
  // sharedDb: one database regardless of region/credentials used by clients.
  javaArgs.push('ddb.sharedDb=true', jettyXml);

  const guardian = spawn(process.execPath, [guardianScript, String(process.pid), '--', javaCommand, ...javaArgs], {
    cwd: emulatorDir,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: false,
    windowsHide: true,
  });
  const entry: Running = { guardian };
  running.add(entry);
  installHandlers();

  let stderrTail = '';
  let stdoutTail = '';
  const appendTail = (tail: string, text: string) => (tail + text).slice(-STDERR_TAIL_CHARS);
  const lineBuffers = { stdout: '', stderr: '' };
  const emitLines = (stream: 'stdout' | 'stderr', chunk: string, flush = false) => {
    if (!options.log) return;
    lineBuffers[stream] += chunk;
    const lines = lineBuffers[stream].split(/\r?\n/);
    lineBuffers[stream] = flush ? '' : (lines.pop() ?? '');
    for (const line of lines) if (line.length > 0) options.log(line);
  };
  guardian.stdout?.setEncoding('utf8');
  guardian.stderr?.setEncoding('utf8');
  guardian.stdout?.on('data', (chunk: string) => {
    stdoutTail = appendTail(stdoutTail, chunk);
    emitLines('stdout', chunk);
  });
  guardian.stderr?.on('data', (chunk: string) => {
    stderrTail = appendTail(stderrTail, chunk);
    emitLines('stderr', chunk);
  });
  guardian.stdout?.on('end', () => emitLines('stdout', '', true));
  guardian.stderr?.on('end', () => emitLines('stderr', '', true));
  // Never write to the guardian's stdin: it's the "parent is alive" pipe. Ignore EPIPE.
  guardian.stdin?.on('error', () => {});

  const pidPipe = guardian.stdio[3] as NodeJS.ReadableStream | null | undefined;
  let pidBuffer = '';
  pidPipe?.setEncoding('utf8');
  pidPipe?.on('data', (chunk: string) => {
    pidBuffer += chunk;
    const newline = pidBuffer.indexOf('\n');
    if (newline >= 0 && entry.javaPid === undefined) {
      try {
        const parsed = JSON.parse(pidBuffer.slice(0, newline)) as { childPid?: unknown };
        if (typeof parsed.childPid === 'number') entry.javaPid = parsed.childPid;
      } catch {
        // ignore malformed line
      }
    }
  });
  pidPipe?.on('error', () => {});

  let spawnError: Error | undefined;
  guardian.on('error', (error) => {
    spawnError = error;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const describeOutput = () =>
    [stderrTail.trim() && `stderr:\n${stderrTail.trim()}`, stdoutTail.trim() && `stdout:\n${stdoutTail.trim()}`]
      .filter(Boolean)
      .join('\n') || '(no output)';

  for (;;) {
    // DynamoDB Local does not exit when its main thread dies (e.g. the port is taken):
    // the JVM keeps running with nothing listening. Treat that as fatal right away.
    const mainThreadDied = /Exception in thread "main"/.test(stderrTail);
    const exited = guardian.exitCode !== null || guardian.signalCode !== null || spawnError !== undefined;
    if (exited || mainThreadDied) {
      // Make sure the JVM is really gone too before reporting, and collect its last output.
      const closed = new Promise<void>((r) => {
        if (guardian.stdout?.readableEnded && guardian.stderr?.readableEnded) r();
        else guardian.once('close', () => r());
      });
      await stopEntry(entry);
      await Promise.race([closed, delay(1_000)]);
      const output = `${stderrTail}\n${stdoutTail}`;
      if (/Address already in use|BindException/i.test(output)) {
        throw new PortInUseError(`port ${port} is already in use`);
      }
      const status = mainThreadDied
        ? 'its main thread died'
        : `exit ${guardian.exitCode ?? guardian.signalCode ?? spawnError?.message}`;
      throw new Error(`DynamoDB Local failed before it became ready (${status}).\n${describeOutput()}`);
    }
    if (entry.javaPid !== undefined && (await answersListTables(endpoint)) && guardian.exitCode === null && guardian.signalCode === null) {
      break;
    }
    if (Date.now() > deadline) {
      await stopEntry(entry);
      throw new Error(`DynamoDB Local did not answer ListTables on ${endpoint} within ${timeoutMs} ms.\n${describeOutput()}`);
    }
    await delay(150);
  }

  let stopping: Promise<void> | undefined;
  const javaPid = entry.javaPid;
  return {
    endpoint,
    port,
    pid: javaPid,
    guardianPid: guardian.pid!,
    stop: () => (stopping ??= stopEntry(entry)),
  };
}

/**
 * Starts DynamoDB Local and resolves once it answers `ListTables`.
 * Throws JavaNotFoundError when no usable java is available.
 */
export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  const javaCommand = options.javaCommand ?? defaultJavaCommand();
  checkJava(javaCommand);
  const emulatorDir = dynamoDbLocalEmulatorDir();
  const fixedPort = options.port !== undefined && options.port !== 0 ? options.port : undefined;
  if (fixedPort !== undefined) {
    // Otherwise another server already listening there (maybe another DynamoDB Local)
    // would answer our readiness probe.
    try {
      await listenAndClose(fixedPort);
    } catch (error) {
      throw new Error(`DynamoDB Local could not start: port ${fixedPort} is already in use (${(error as Error).message})`, {
        cause: error,
      });
    }
  }

  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await getFreePort());
    try {
      return await startOnce(port, options, javaCommand, emulatorDir);
    } catch (error) {
      // A randomly chosen port can be grabbed by someone else between our probe and java's bind: retry.
      if (error instanceof PortInUseError && fixedPort === undefined && attempt < MAX_PORT_ATTEMPTS) continue;
      if (error instanceof PortInUseError) throw new Error(`DynamoDB Local could not start: ${error.message}`, { cause: error });
      throw error;
    }
  }
}
