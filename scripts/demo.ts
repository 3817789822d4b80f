/**
 * `npm run demo`: the walkthrough (docs: the Blox Deployments UX seed), played for real.
 *
 * Starts a fresh local stack (`npx tsx local/start.ts --port <free port> --speed 4`: DynamoDB Local in
 * memory, the API, the engine and the simulated cluster of local/cluster.yml — 5 instances with
 * stack=prod, 1 with stack=gamma), then runs real `blox` commands against it (`node bin/blox.js …`,
 * BLOX_API_URL set) and prints each one as `$ blox …` followed by its output: create, deploy,
 * Replace and Surge deployments, a new instance group, instances joining mid-deployment, a broken
 * task definition going Stuck then Failing, a rollback, freeze and thaw.
 *
 * The stack (and its DynamoDB Local) is always stopped at the end — also after an error or Ctrl-C.
 * Exit code 0 when the walkthrough went as expected, 1 otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'blox.js');
const NAME = 'SomeEnvironment/Prod';
const SPEED = 4;
const STACK_START_TIMEOUT_MS = 90_000;
/** Seconds a `wait` or `--watch` step may take before the demo gives up on it. */
const STEP_TIMEOUT_S = 60;
/** Seconds between polls of `--watch` and `wait` (the stack runs 4× faster than real time). */
const POLL_S = '0.25';

const SPEC_YAML = `Name: "SomeEnvironment/Prod"
TaskDefinition: "log-daemon:1"
Cluster: "default"
InstanceGroup:
  Query: "attribute:stack == prod"
DeploymentType: Daemon
DeploymentConfiguration:
  Method: "Replace" # (or "Surge")
  MinHealthyPercent: "100"
`;

const started = performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const out = (text: string) => process.stdout.write(text);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

class DemoError extends Error {}

// ---- the stack ----

interface Stack {
  child: ChildProcess;
  url: string;
  speed: number | undefined;
  exited: Promise<void>;
  log: () => string;
}

let stack: Stack | undefined;
/** The stack's process group leader, until no process of the group is left. */
let stackGroup: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launchStack(port: number, speed: number | undefined): Stack {
  const args = ['tsx', 'local/start.ts', '--port', String(port), ...(speed === undefined ? [] : ['--speed', String(speed)])];
  // Its own process group: the stack, its DynamoDB Local guardian and JVM are stopped together
  // (kill -PGID), and a Ctrl-C in the terminal reaches only us, who stop them in order.
  const child = spawn('npx', args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  stackGroup = child;
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      log += `\n${error.message}`;
      resolve();
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, speed, exited, log: () => log };
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** The HTTP status of `GET url`, or undefined when nothing answers. */
async function probe(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.text();
    return response.status;
  } catch {
    return undefined;
  }
}

/** Starts the stack with `--speed 4`, or without it when this stack does not know the flag. */
async function startStack(): Promise<Stack> {
  for (const speed of [SPEED, undefined]) {
    const candidate = launchStack(await freePort(), speed);
    stack = candidate;
    const deadline = performance.now() + STACK_START_TIMEOUT_MS;
    while (running(candidate.child) && performance.now() < deadline) {
      if ((await probe(`${candidate.url}/environments`)) === 200) {
        if ((await probe(`${candidate.url}/_sim/instances`)) !== 200) {
          await stopStack();
          throw new DemoError('this stack has no simulator (GET /_sim/instances failed): the demo needs the engine and the simulated cluster');
        }
        return candidate;
      }
      await sleep(200);
    }
    if (running(candidate.child)) {
      await stopStack();
      throw new DemoError(`the stack did not answer on ${candidate.url} within ${seconds(STACK_START_TIMEOUT_MS)}:\n${candidate.log()}`);
    }
    stack = undefined;
    if (speed !== undefined && /unknown option '--speed'/.test(candidate.log())) {
      out(`(local/start.ts refused --speed ${speed}; running in real time)\n`);
      continue;
    }
    throw new DemoError(`the stack stopped while starting:\n${candidate.log().trim()}`);
  }
  throw new DemoError('the stack did not start');
}

/** Sends `signal` (0: only test) to the stack's process group; false when no process is left in it. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the stack's process group; SIGKILL to whatever is left after 10 s. */
async function stopStack(): Promise<void> {
  const current = stack;
  if (!current) return;
  stack = undefined;
  signalGroup(current.child, 'SIGTERM');
  const deadline = performance.now() + 10_000;
  // The group outlives its leader (npx) while DynamoDB Local shuts down: wait for all of it.
  while (performance.now() < deadline && signalGroup(current.child, 0)) await sleep(100);
  signalGroup(current.child, 'SIGKILL');
  await Promise.race([current.exited, sleep(2000)]);
  if (stackGroup === current.child) stackGroup = undefined;
}

// ---- running blox ----

let runningCommand: ChildProcess | undefined;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const SAFE_ARG = /^[A-Za-z0-9_./:=@%+,-]+$/;
const quote = (arg: string) => (SAFE_ARG.test(arg) ? arg : `"${arg.replace(/(["\\$`])/g, '\\$1')}"`);

/**
 * Runs `blox ARGS`, printing `$ blox ARGS` and then its output as it comes. Fails the demo on a
 * non-zero exit unless `expectCode` says otherwise.
 */
async function blox(args: string[], options: { stdin?: string; heredoc?: boolean; expectCode?: number } = {}): Promise<Result> {
  if (!stack) throw new DemoError('the stack is not running');
  const shown = args.map(quote).join(' ');
  out(options.heredoc ? `\n$ blox ${shown} <<EOF\n${options.stdin ?? ''}EOF\n` : `\n$ blox ${shown}\n`);
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, BLOX_API_URL: stack.url },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  runningCommand = child;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    out(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    out(chunk);
  });
  child.stdin.end(options.stdin ?? '');
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  runningCommand = undefined;
  if (finishing) await finishing; // interrupted: the demo is stopping, do not report this command
  const expected = options.expectCode ?? 0;
  if (code !== 0) out(`(exit ${code ?? 'signal'})\n`);
  if (code !== expected) throw new DemoError(`\`blox ${shown}\` exited ${code ?? 'on a signal'}, expected ${expected}`);
  return { code, stdout, stderr };
}

const statusTable = (...extra: string[]) => ['describe-environment-status', '--all', '--environment-name', NAME, '--table', ...extra];
const watchStatus = () => blox(statusTable('--watch', '--interval', POLL_S));
const waitStable = () => blox(['wait', 'environment-stable', '--environment-name', NAME, '--timeout', String(STEP_TIMEOUT_S), '--interval', POLL_S]);

interface StatusRow {
  EnvironmentRevision: number;
  Status: string;
  Desired: number;
  Current: number;
}

/** Reads the status behind the scenes (not shown), to time the next shown command. */
async function statusRows(): Promise<StatusRow[]> {
  if (!stack) throw new DemoError('the stack is not running');
  const response = await fetch(`${stack.url}/environments/${encodeURIComponent(NAME)}/status?all=true`);
  const body = (await response.json()) as { Revisions?: StatusRow[] };
  if (!response.ok) throw new DemoError(`GET …/status answered ${response.status}: ${JSON.stringify(body)}`);
  return body.Revisions ?? [];
}

async function until(what: string, predicate: (rows: StatusRow[]) => boolean): Promise<void> {
  const deadline = performance.now() + STEP_TIMEOUT_S * 1000;
  while (performance.now() < deadline) {
    if (predicate(await statusRows())) return;
    await sleep(100);
  }
  throw new DemoError(`gave up waiting for ${what} after ${STEP_TIMEOUT_S} s`);
}

const revision = (rows: StatusRow[], n: number) => rows.find((row) => row.EnvironmentRevision === n);

function say(text: string): void {
  out(`\n# ${text}\n`);
}

// ---- the walkthrough ----

async function walkthrough(): Promise<void> {
  say('The simulated cluster: 5 instances with stack=prod, 1 with stack=gamma.');
  await blox(['sim', 'list-instances', '--table']);

  say('Creating and deploying an Environment');
  await blox(['create-environment', '--yaml-file'], { stdin: SPEC_YAML, heredoc: true });
  await blox(statusTable());
  await blox(['deploy-environment', '--environment-name', NAME, '--environment-revision', '1']);
  await blox(statusTable());
  await waitStable();
  await blox(statusTable());
  await blox(['sim', 'list-tasks', '--environment-name', NAME, '--table']);

  say('Updating the task definition: Replace (terminate before replace), MinHealthyPercent 80');
  await blox(['update-environment', '--environment', NAME, '--revision', '1', '--task-definition', 'log-daemon:2', '--min-healthy-percent', '80']);
  await blox(statusTable());
  await blox(['deploy-environment', '--environment-name', NAME, '--environment-revision', '2']);
  await watchStatus();

  say('Surge (terminate after replace), MaxOver 1');
  await blox(['update-environment', '--environment', NAME, '--revision', '2', '--task-definition', 'log-daemon:3', '--method', 'Surge', '--min-healthy-percent', '100']);
  await blox(['deploy-environment', '--environment-name', NAME, '--environment-revision', '3']);
  await watchStatus();

  say('Updating the Instance Group: prod and gamma (DESIRED 6); 5 more prod instances join mid-deployment');
  await blox(['update-environment', '--environment', NAME, '--revision', '3', '--instance-group-query', 'attribute:stack in (prod, gamma)']);
  await blox(statusTable());
  await blox(['deploy-environment', '--environment-name', NAME, '--environment-revision', '4']);
  await blox(statusTable());
  await blox(['sim', 'add-instances', '--count', '5', '--attribute', 'stack=prod', '--table']);
  await watchStatus();

  say('A broken task definition: every launch of log-daemon:9 fails; Stuck after 8 s, Failing 8 s later (simulated time)');
  await blox(['sim', 'set-task-definition', '--task-definition', 'log-daemon:9', '--fail-start', 'CannotPullContainerError: image not found']);
  await blox([
    'update-environment',
    '--environment',
    NAME,
    '--revision',
    '4',
    '--task-definition',
    'log-daemon:9',
    '--stuck-after-seconds',
    '8',
    '--failing-after-seconds',
    '8',
  ]);
  await blox(['deploy-environment', '--environment-name', NAME, '--environment-revision', '5']);
  await until('revision 5 to be Stuck', (rows) => ['Stuck', 'Failing'].includes(revision(rows, 5)?.Status ?? ''));
  await blox(['describe-environment-status', '--environment-name', NAME, '--table']);
  await blox(['wait', 'environment-stable', '--environment-name', NAME, '--timeout', String(STEP_TIMEOUT_S), '--interval', POLL_S], {
    expectCode: 1,
  });
  await blox(['describe-environment-status', '--environment-name', NAME, '--table']);

  say('Rollback to revision 4: revision 5 is Reverting, then Reverted (quickly: Surge never stopped a revision-4 task)');
  await blox(['rollback-environment', '--environment-name', NAME, '--environment-revision', '4']);
  await watchStatus();

  say('Pause ongoing deployments: freeze, then thaw');
  await blox(['update-environment', '--environment', NAME, '--revision', '5', '--task-definition', 'log-daemon:10']);
  await blox(['deploy-environment', '--environment-name', NAME, '--environment-revision', '6']);
  await until('revision 6 to have started', (rows) => (revision(rows, 6)?.Current ?? 0) > 0);
  await blox(['freeze-environment', '--environment-name', NAME]);
  await blox(['describe-environment', '--environment-name', NAME, '--table']);
  await sleep(1500);
  say('1.5 s later, still frozen: nothing moved');
  await blox(['describe-environment', '--environment-name', NAME, '--table']);
  await blox(['thaw-environment', '--environment-name', NAME]);
  await blox(['describe-environment', '--environment-name', NAME, '--table', '--watch', '--interval', POLL_S]);
  await blox(statusTable());
}

// ---- main ----

let finishing: Promise<never> | undefined;

/** Stops the stack, prints the wall time and exits; the first call wins, later ones wait for it. */
function finish(code: number, message?: string): Promise<never> {
  finishing ??= (async () => {
    if (runningCommand && runningCommand.exitCode === null) runningCommand.kill('SIGTERM');
    if (message) process.stderr.write(`\ndemo: ${message}\n`);
    await stopStack();
    out(`\nTotal wall time: ${seconds(performance.now() - started)}\n`);
    process.exit(code);
  })();
  return finishing;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void finish(130, `interrupted (${signal}); stopping the stack`));
}
// Last resort (an uncaught error, process.exit elsewhere): never leave the stack behind.
process.on('exit', () => {
  if (stackGroup) signalGroup(stackGroup, 'SIGKILL');
});

try {
  out(`Starting a fresh local stack (npx tsx local/start.ts --speed ${SPEED}, DynamoDB Local in memory)…\n`);
  const startedStack = await startStack();
  out(
    `Stack ready on ${startedStack.url} after ${seconds(performance.now() - started)}` +
      `${startedStack.speed === undefined ? ' (real time)' : ` (simulated clock ${startedStack.speed}× real time)`}.\n`,
  );
  await walkthrough();
  await finish(0);
} catch (error) {
  await finish(1, error instanceof DemoError ? error.message : ((error as Error).stack ?? String(error)));
}
