/**
 * Bundle benchmarks: for every function in scripts/build.ts, the size of its minified bundle and
 * the time a fresh Node.js process takes to `import()` it (module load + top-level init, the part
 * of a Lambda cold start that the bundle controls), against a baseline built the same way: a bundle
 * that only creates a DynamoDB document client (`cold_import_ratio`).
 *
 * `npx tsx bench/bundle.ts --compare [--runs N] [--source-maps]` builds the functions and the
 * baseline both ways of shipping the AWS SDK (bundled, minified / external, left to the Lambda
 * runtime) into `.build/.bench/` and times all of them in the same run (`bundle.sdk_<mode>.*`):
 * the measurement behind `SDK_MODE` in scripts/build.ts. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, FUNCTIONS, SDK_MODE, type BuiltFunction, type SdkMode } from '../scripts/build';

type Result = { name: string; value: number; unit: string };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bench builds what it does not ship (the baseline, the other SDK mode); not packaged. */
const BENCH_OUT = join(ROOT, '.build', '.bench');

/** Samples per bundle (fresh processes), interleaved; `--quick` takes 3. */
export const COLD_IMPORT_RUNS = 11;
const QUICK_RUNS = 3;

/** The baseline's name in the figures (`bundle.baseline.cold_import`). */
export const BASELINE = 'baseline';

/**
 * The baseline's entry: the least a function that reads DynamoDB does at module scope — create the
 * document client (`functions/adapters/dynamo.ts` does the same with more options) — and a handler.
 */
const BASELINE_SOURCE = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async () => ({ statusCode: 200, body: typeof client.send });
`;

/**
 * Runs inside the child: times the import only (process start-up is not counted). With a preload
 * list, those packages (the AWS SDK packages the bundle leaves to the Lambda runtime) are imported
 * first and not timed: what remains is the function's own code (`cold_import_own`).
 */
const CHILD_SCRIPT = `
const url = process.argv[1];
const external = process.argv[2] ? JSON.parse(process.argv[2]) : [];
for (const name of external) await import(name);
const cpu = process.cpuUsage();
const start = performance.now();
await import(url);
const elapsed = performance.now() - start;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ elapsed, cpu: (used.user + used.system) / 1000 }) + '\\n');
`;

interface ColdImportOptions {
  /** Packages imported (untimed) before the bundle. */
  readonly preload?: readonly string[];
  /** `node --enable-source-maps`, as serverless.yml's NODE_OPTIONS runs the functions. */
  readonly sourceMaps?: boolean;
}

/** One fresh-process import: wall-clock ms, and the CPU ms (user + system) the process spent in it. */
export interface ImportSample {
  readonly elapsed: number;
  readonly cpu: number;
}

function coldImportOnce(bundleUrl: string, { preload = [], sourceMaps = false }: ColdImportOptions = {}): Promise<ImportSample> {
  return new Promise((resolvePromise, reject) => {
    const flags = ['--input-type=module', '--no-warnings', ...(sourceMaps ? ['--enable-source-maps'] : [])];
    const child = spawn(process.execPath, [...flags, '-e', CHILD_SCRIPT, bundleUrl, ...(preload.length ? [JSON.stringify(preload)] : [])], {
      // A clean environment: nothing inherited (no NODE_OPTIONS from tsx, no AWS profile).
      // What serverless.yml sets (values are never used at import: no call is made).
      env: {
        PATH: process.env.PATH ?? '',
        TABLE_NAME: 'x',
        AWS_REGION: 'us-east-1',
        ACTIONS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/actions.fifo',
        WAKEUPS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/wakeups',
        RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/reconcile.fifo',
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
        const { elapsed, cpu } = JSON.parse(line) as ImportSample;
        resolvePromise({ elapsed, cpu });
      } catch (error) {
        reject(new Error(`importing ${bundleUrl} failed (${(error as Error).message}): ${stderr.trim()}`));
      }
    });
  });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** One thing to time: a bundle, possibly with its external SDK packages preloaded. */
export interface ImportSubject {
  readonly key: string;
  readonly outfile: string;
  readonly preload?: readonly string[];
}

/**
 * `runs` fresh-process imports of every subject, interleaved: each round takes one sample of every
 * subject, in a new random order, so load on the machine (2 cores, other work) falls on all alike.
 * Sequential on purpose: parallel children would compete for CPU and skew each other.
 */
export async function timeColdImports(subjects: readonly ImportSubject[], runs: number, options: { sourceMaps?: boolean } = {}): Promise<Map<string, ImportSample[]>> {
  const samples = new Map(subjects.map((s) => [s.key, [] as ImportSample[]]));
  for (let round = 0; round < runs; round++) {
    for (const subject of shuffled(subjects)) {
      samples.get(subject.key)!.push(await coldImportOnce(pathToFileURL(subject.outfile).href, { preload: subject.preload, sourceMaps: options.sourceMaps }));
    }
  }
  return samples;
}

const wall = (samples: readonly ImportSample[] | undefined) => median(samples!.map((s) => s.elapsed));
const cpu = (samples: readonly ImportSample[] | undefined) => median(samples!.map((s) => s.cpu));

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The `@aws-sdk/*` packages a bundle imports at run time (left external), from esbuild's metafile. */
export async function externalSdkPackages(outfile: string): Promise<string[]> {
  const meta = JSON.parse(await readFile(join(dirname(outfile), 'meta.json'), 'utf8')) as {
    outputs: Record<string, { imports?: Array<{ path: string; external?: boolean }> }>;
  };
  return [...new Set(Object.values(meta.outputs).flatMap((o) => (o.imports ?? []).filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path)))].sort();
}

/** Builds the baseline bundle with the functions' esbuild options and the given SDK mode. */
export async function buildBaseline(sdk: SdkMode, outRoot: string = join(BENCH_OUT, sdk)): Promise<BuiltFunction> {
  const entry = join(BENCH_OUT, 'baseline-entry.mjs');
  await mkdir(dirname(entry), { recursive: true });
  await writeFile(entry, BASELINE_SOURCE);
  const [built] = await build({ root: ROOT, sdk, outRoot, functions: [{ name: BASELINE, entry: relative(ROOT, entry) }] });
  return built!;
}

export interface BundleBenchOptions {
  /** Samples per bundle; defaults to COLD_IMPORT_RUNS, or 3 when the bench runs with `--quick`. */
  readonly runs?: number;
}

/**
 * The shipped build (`build()`, into `.build/` as `npm run package` zips it) and the baseline built
 * the same way: size, cold import and its ratio to the baseline's, the same in CPU time
 * (`cold_import_cpu`, `cold_import_cpu_ratio`); `cold_import_own` when the SDK is external (with the
 * SDK bundled there is nothing to preload).
 */
export async function bundleBench(options: BundleBenchOptions = {}): Promise<Result[]> {
  const runs = options.runs ?? (process.argv.includes('--quick') ? QUICK_RUNS : COLD_IMPORT_RUNS);
  const functions = await build();
  const baseline = await buildBaseline(SDK_MODE);
  const subjects: ImportSubject[] = [{ key: BASELINE, outfile: baseline.outfile }];
  for (const fn of functions) {
    subjects.push({ key: fn.name, outfile: fn.outfile });
    const sdk = await externalSdkPackages(fn.outfile);
    if (sdk.length > 0) subjects.push({ key: `${fn.name}:own`, outfile: fn.outfile, preload: sdk });
  }
  const samples = await timeColdImports(subjects, runs);
  const base = wall(samples.get(BASELINE));
  const baseCpu = cpu(samples.get(BASELINE));
  const results: Result[] = [
    { name: `bundle.${BASELINE}.cold_import`, value: round2(base), unit: 'ms' },
    { name: `bundle.${BASELINE}.cold_import_cpu`, value: round2(baseCpu), unit: 'ms' },
  ];
  for (const fn of functions) {
    const cold = wall(samples.get(fn.name));
    const coldCpu = cpu(samples.get(fn.name));
    results.push({ name: `bundle.${fn.name}.size`, value: fn.bytes, unit: 'bytes' });
    results.push({ name: `bundle.${fn.name}.cold_import`, value: round2(cold), unit: 'ms' });
    results.push({ name: `bundle.${fn.name}.cold_import_ratio`, value: round2(cold / base), unit: 'ratio' });
    // The same in CPU time: on a loaded machine, waiting for a core inflates the wall figures.
    results.push({ name: `bundle.${fn.name}.cold_import_cpu`, value: round2(coldCpu), unit: 'ms' });
    results.push({ name: `bundle.${fn.name}.cold_import_cpu_ratio`, value: round2(coldCpu / baseCpu), unit: 'ratio' });
    const own = samples.get(`${fn.name}:own`);
    if (own) results.push({ name: `bundle.${fn.name}.cold_import_own`, value: round2(wall(own)), unit: 'ms' });
  }
  results.push({ name: `bundle.${BASELINE}.size`, value: baseline.bytes, unit: 'bytes' });
  return results;
}

/**
 * Both ways of shipping the SDK, in one interleaved run: `bundle.sdk_<mode>.<fn>.size`,
 * `.cold_import`, `.cold_import_cpu` (the CPU ms the import took: work, not waiting for a core),
 * `.cold_import_ratio` (÷ that mode's baseline) and `bundle.sdk_<mode>.baseline.*`.
 */
export async function compareSdkModes(runs: number, options: { sourceMaps?: boolean } = {}): Promise<Result[]> {
  const modes: SdkMode[] = ['external', 'bundled'];
  const built = new Map<SdkMode, BuiltFunction[]>();
  const subjects: ImportSubject[] = [];
  for (const sdk of modes) {
    const outRoot = join(BENCH_OUT, sdk);
    const bundles = [await buildBaseline(sdk, outRoot), ...(await build({ root: ROOT, sdk, outRoot }))];
    built.set(sdk, bundles);
    for (const b of bundles) subjects.push({ key: `${sdk}/${b.name}`, outfile: b.outfile });
  }
  const samples = await timeColdImports(subjects, runs, options);
  const results: Result[] = [];
  for (const sdk of modes) {
    const base = wall(samples.get(`${sdk}/${BASELINE}`));
    for (const b of built.get(sdk)!) {
      const mine = samples.get(`${sdk}/${b.name}`);
      const cold = wall(mine);
      const prefix = `bundle.sdk_${sdk}.${b.name}`;
      results.push({ name: `${prefix}.size`, value: b.bytes, unit: 'bytes' });
      results.push({ name: `${prefix}.cold_import`, value: round2(cold), unit: 'ms' });
      results.push({ name: `${prefix}.cold_import_cpu`, value: round2(cpu(mine)), unit: 'ms' });
      if (b.name !== BASELINE) results.push({ name: `${prefix}.cold_import_ratio`, value: round2(cold / base), unit: 'ratio' });
    }
  }
  return results;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (invokedDirectly) {
  const { values } = parseArgs({
    options: { compare: { type: 'boolean', default: false }, runs: { type: 'string' }, 'source-maps': { type: 'boolean', default: false } },
    strict: true,
  });
  const runs = values.runs === undefined ? COLD_IMPORT_RUNS : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a positive integer (got "${values.runs}")`);
  const started = performance.now();
  const results = values.compare ? await compareSdkModes(runs, { sourceMaps: values['source-maps'] }) : await bundleBench({ runs });
  for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stderr.write(`[bench] bundle: ${runs} samples per bundle, ${FUNCTIONS.length} functions, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
