/**
 * Bundle benchmarks: for every function in scripts/build.ts, the size of its minified bundle and
 * the time a fresh Node.js process takes to `import()` it (module load + top-level init, the part
 * of a Lambda cold start that the bundle controls).
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from '../scripts/build';

const COLD_IMPORT_RUNS = 7;

/**
 * Runs inside the child: times the import only (process start-up is not counted). With
 * `--own`, the AWS SDK packages the bundle leaves to the Lambda runtime are imported first and not
 * timed: what remains is the function's own code (`cold_import_own`).
 */
const CHILD_SCRIPT = `
const url = process.argv[1];
const external = process.argv[2] ? JSON.parse(process.argv[2]) : [];
for (const name of external) await import(name);
const start = performance.now();
await import(url);
const elapsed = performance.now() - start;
process.stdout.write(JSON.stringify({ elapsed }) + '\\n');
`;

function coldImportOnce(bundleUrl: string, preload: string[] = []): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--no-warnings', '-e', CHILD_SCRIPT, bundleUrl, ...(preload.length ? [JSON.stringify(preload)] : [])], {
      // A clean environment: nothing inherited (no NODE_OPTIONS from tsx, no AWS profile).
      // What serverless.yml sets (values are never used at import: no call is made).
      env: {
        PATH: process.env.PATH ?? '',
        TABLE_NAME: 'x',
        AWS_REGION: 'us-east-1',
        ACTIONS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/actions.fifo',
        WAKEUPS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/wakeups',
        EVENT_BUS_NAME: 'default',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        const { elapsed } = JSON.parse(line) as { elapsed: number };
        resolvePromise(elapsed);
      } catch (error) {
        reject(new Error(`importing ${bundleUrl} failed (${(error as Error).message}): ${stderr.trim()}`));
      }
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function bundleBench(): Promise<Array<{ name: string; value: number; unit: string }>> {
  const results: Array<{ name: string; value: number; unit: string }> = [];
  for (const fn of await build()) {
    const { size } = await stat(fn.outfile);
    results.push({ name: `bundle.${fn.name}.size`, value: size, unit: 'bytes' });
    const url = pathToFileURL(fn.outfile).href;
    const timings: number[] = [];
    // Sequential on purpose: parallel children would compete for CPU and skew each other.
    for (let run = 0; run < COLD_IMPORT_RUNS; run++) timings.push(await coldImportOnce(url));
    results.push({ name: `bundle.${fn.name}.cold_import`, value: Math.round(median(timings) * 100) / 100, unit: 'ms' });
    // The SDK packages it imports (external: the runtime ships them), from esbuild's metafile.
    const meta = JSON.parse(await readFile(join(dirname(fn.outfile), 'meta.json'), 'utf8')) as {
      outputs: Record<string, { imports?: Array<{ path: string; external?: boolean }> }>;
    };
    const sdk = [...new Set(Object.values(meta.outputs).flatMap((o) => (o.imports ?? []).filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path)))];
    const own: number[] = [];
    for (let run = 0; run < COLD_IMPORT_RUNS; run++) own.push(await coldImportOnce(url, sdk));
    results.push({ name: `bundle.${fn.name}.cold_import_own`, value: Math.round(median(own) * 100) / 100, unit: 'ms' });
  }
  return results;
}
