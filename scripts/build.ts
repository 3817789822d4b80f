/**
 * Bundles every Lambda function into `.build/<name>/index.mjs` (+ `index.mjs.map`, + `meta.json`).
 *
 * `serverless.yml` packages each function from its own `.build/<name>/` folder only, so this
 * list and the `functions:` section there must stay in step (test/infra/serverless.test.ts
 * checks it). `@aws-sdk/*` is NOT bundled: the `nodejs22.x` Lambda runtime ships AWS SDK v3
 * (clients and `lib-dynamodb`), and bundling it would add ~370 KB and its parse time to every cold
 * start. The SDK calls we make (GetItem, Query, TransactWriteItems, …) are stable across v3.
 *
 * Usage: `tsx scripts/build.ts` (also the first half of `npm run package`).
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export interface FunctionSpec {
  /** The function's key in `serverless.yml` and its folder under `.build/`. */
  readonly name: string;
  /** Entry module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
}

export const FUNCTIONS: readonly FunctionSpec[] = [
  { name: 'api-read', entry: 'functions/api/read.ts' },
  { name: 'api-write', entry: 'functions/api/write.ts' },
  { name: 'router', entry: 'functions/engine/router.ts' },
  { name: 'reconciler', entry: 'functions/engine/reconciler.ts' },
  { name: 'executor', entry: 'functions/engine/executor.ts' },
];

export interface BuiltFunction {
  readonly name: string;
  /** Absolute path of the bundle (`.build/<name>/index.mjs`). */
  readonly outfile: string;
  /** Size of the minified bundle in bytes (the source map is not counted). */
  readonly bytes: number;
}

export interface BuildOptions {
  /** Repository root; defaults to the folder above this script. */
  readonly root?: string;
  readonly functions?: readonly FunctionSpec[];
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * ESM bundles that inline CommonJS dependencies need a `require` for their `require()` calls of
 * Node built-ins; ESM has none, so give them one.
 */
const REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export function buildDir(name: string, root: string = ROOT): string {
  return join(root, '.build', name);
}

export async function build(options: BuildOptions = {}): Promise<BuiltFunction[]> {
  const root = options.root ?? ROOT;
  const functions = options.functions ?? FUNCTIONS;
  const results: BuiltFunction[] = [];
  for (const fn of functions) {
    const outdir = buildDir(fn.name, root);
    // A clean folder: it is exactly what gets zipped.
    await rm(outdir, { recursive: true, force: true });
    await mkdir(outdir, { recursive: true });
    const outfile = join(outdir, 'index.mjs');
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: [join(root, fn.entry)],
      outfile,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      bundle: true,
      minify: true,
      sourcemap: 'external',
      sourcesContent: false,
      mainFields: ['module', 'main'],
      banner: { js: REQUIRE_SHIM },
      metafile: true,
      external: ['@aws-sdk/*'],
      logLevel: 'warning',
    });
    await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
    const { size } = await stat(outfile);
    results.push({ name: fn.name, outfile, bytes: size });
  }
  return results;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (invokedDirectly) {
  try {
    for (const built of await build()) {
      console.log(`${built.name.padEnd(12)} ${relative(process.cwd(), built.outfile).padEnd(28)} ${formatSize(built.bytes).padStart(10)} (${built.bytes} bytes)`);
    }
  } catch (error) {
    // esbuild has already printed the diagnostics.
    console.error(error instanceof Error ? error.message.split('\n')[0] : String(error));
    process.exitCode = 1;
  }
}
