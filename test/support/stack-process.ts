/** Test support: `npm start` (local/start.ts) as a real child process, and `blox` as real processes. */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getFreePort } from '../../local/dynamodb-local';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/blox.js', import.meta.url));

export interface StackProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Ctrl-C: a clean stop. */
  stop(): Promise<void>;
  /** kill -9, the stack's own process only (its DynamoDB Local dies with it, through the guardian). */
  kill(): Promise<void>;
}

export async function startStackProcess(args: string[] = [], port?: number): Promise<StackProcess> {
  const p = port ?? (await getFreePort());
  // One process (node with tsx's loader), so that SIGKILL really kills the stack.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', '--port', String(p), ...args], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Blox Deployments is running')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the stack did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${p}`,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface BloxResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function blox(url: string, args: string[], stdin = ''): Promise<BloxResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, BLOX_API_URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Rows of a `--table` output, as [name, status, desired, current]. */
export function rows(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/));
}

/** The DynamoDB Local (java and its guardian) a stack started, from its log. */
export function stackChildPids(output: string): number[] {
  return [...output.matchAll(/DynamoDB Local started .*?pid=(\d+) guardianPid=(\d+)/g)].flatMap((m) => [Number(m[1]), Number(m[2])]);
}

/** Which of these processes still run (zombies — exited, not yet reaped — count as gone). */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
    } catch {
      return false;
    }
  });
}
