/**
 * `npm run bench` output contract: stdout holds only `{"name":…,"value":…,"unit":…}` lines, the
 * figures the README documents are there, and no java process outlives the run. Runs the bench's
 * `--quick` mode (tiny sample counts, a 200-event history) in a child process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../scripts/build';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGTERM'); // the bench's own handlers stop its DynamoDB Local
      reject(new Error(`bench ${args.join(' ')} took over ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('npm run bench -- --quick', () => {
  it('prints only result lines, with every expected figure, and leaves no java behind', async () => {
    const run = await runBench(['--quick'], 55_000);
    expect(run.code, run.stderr).toBe(0);

    const lines = run.stdout.split('\n').filter((line) => line !== '');
    const results = lines.map((line) => {
      const parsed = JSON.parse(line) as unknown;
      expect(parsed, line).toEqual({ name: expect.any(String), value: expect.any(Number), unit: expect.any(String) });
      const { value } = parsed as { value: number };
      expect(Number.isFinite(value) && value >= 0, line).toBe(true);
      return parsed as { name: string; value: number; unit: string };
    });
    const units = Object.fromEntries(results.map((r) => [r.name, r.unit]));
    expect(results.length, 'one line per figure').toBe(Object.keys(units).length);

    const expected: Record<string, string> = {
      'describe_status.p99.events_10': 'ms',
      'describe_status.p99.events_200': 'ms',
      'describe_status.p99_ratio_200_vs_10': 'ratio',
      'describe_status_all.p99.events_200': 'ms',
    };
    for (const op of ['create', 'update', 'deploy', 'describe_status']) {
      expected[`api.${op}.p50`] = 'ms';
      expected[`api.${op}.p99`] = 'ms';
    }
    // The alarm part: from an alarm's state change to the first rollback action (virtual seconds).
    expected['engine.alarm_to_rollback.p50'] = 's';
    // Every function scripts/build.ts bundles, and the baseline the cold imports are divided by.
    expected['bundle.baseline.cold_import'] = 'ms';
    for (const { name: fn } of FUNCTIONS) {
      expected[`bundle.${fn}.size`] = 'bytes';
      expected[`bundle.${fn}.cold_import`] = 'ms';
      expected[`bundle.${fn}.cold_import_ratio`] = 'ratio';
    }
    for (const [name, unit] of Object.entries(expected)) expect(units[name], name).toBe(unit);

    const pids = /java pid (\d+), guardian pid (\d+)/.exec(run.stderr);
    expect(pids, run.stderr).not.toBeNull();
    for (const pid of [Number(pids![1]), Number(pids![2])]) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  }, 60_000);

  it('refuses an unknown part without printing anything on stdout', async () => {
    const run = await runBench(['--only', 'api,nope'], 20_000);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--only: expected a comma-separated list of bundle, api, ratio/);
  });
});
