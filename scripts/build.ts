/**
 * Bundles every Lambda function into `.build/<name>/index.mjs` and the chunks beside it
 * (`chunk-<hash>.mjs`: what the function imports with `import()`, loaded on first use, and the code
 * such chunks share with the entry), each with its `.map`, + `meta.json`.
 *
 * `serverless.yml` packages each function from its own `.build/<name>/` folder only, so this
 * list and the `functions:` section there must stay in step (test/infra/serverless.test.ts
 * checks it). The AWS SDK is bundled (`SDK_MODE`): its ESM builds (`mainFields` module first),
 * tree-shaken and minified with the function's code. That makes each bundle bigger (0.41–0.58 MB,
 * of which a DynamoDB client alone, the bench's baseline, is 0.33 MB; over the 400 KB the bundles
 * were sized for) but imports it 1.6–2.4× faster than leaving `@aws-sdk/*` to the copy the
 * `nodejs22.x` runtime ships, which Node loads as dozens of CommonJS files and modules we do not
 * use (`npx tsx bench/bundle.ts --compare` measures both; the figures are in bench/README.md). It also pins the SDK to the version in package-lock.json, the one
 * the tests run against. The credential provider chain comes along whole (environment variables as
 * Lambda sets them, container credentials, web identity, SSO, …: the providers it loads lazily are
 * in chunks, loaded on first use) and so does the Node HTTP handler; `test/infra/bundles.test.ts`
 * runs a bundle away from node_modules against a local DynamoDB endpoint both ways.
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
  /**
   * What a cold start loads, in bytes: the entry and the chunks it imports statically (not the chunks
   * loaded with `import()` on first use, nor the source maps).
   */
  readonly bytes: number;
}

/**
 * How a bundle gets the AWS SDK: `bundled` inlines the `@aws-sdk/*` and `@smithy/*` modules it
 * uses (their ESM builds, tree-shaken and minified with the rest); `external` leaves `@aws-sdk/*` to
 * the copy the Lambda runtime ships.
 */
export type SdkMode = 'bundled' | 'external';

/** What `build()` ships (see the comment at the top and bench/README.md for the measurements). */
export const SDK_MODE: SdkMode = 'bundled';

export interface BuildOptions {
  /** Repository root; defaults to the folder above this script. */
  readonly root?: string;
  readonly functions?: readonly FunctionSpec[];
  /** Defaults to `SDK_MODE`. */
  readonly sdk?: SdkMode;
  /**
   * The folder the `<name>/` folders go in; defaults to `<root>/.build`. An external SDK is resolved
   * from the bundle's location, so keep it inside the repository (node_modules must be above it).
   */
  readonly outRoot?: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * ESM bundles that inline CommonJS dependencies need a `require` for their `require()` calls of
 * Node built-ins; ESM has none, so give them one.
 */
const REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * `@middy/core` imports `ReadableStream` from `node:stream/web` for one `instanceof`, in its path for
 * streamed responses (`streamifyResponse`, which no function uses). Importing `node:stream/web` loads
 * Node's web streams — eight internal modules (`internal/webstreams/*`, `internal/worker/io`) that
 * nothing else loads at cold start, a few ms of every function's cold start. Its import resolves to
 * this module instead: the same test against the global `ReadableStream`, the same class (Node
 * defines the global lazily: the web streams load when the test first runs).
 */
export const MIDDY_WEB_STREAMS = 'export class ReadableStream { static [Symbol.hasInstance](value) { return value instanceof globalThis.ReadableStream; } }';

const lazyWebStreamsForMiddy: esbuild.Plugin = {
  name: 'middy-lazy-web-streams',
  setup(build) {
    build.onResolve({ filter: /^node:stream\/web$/ }, (args) =>
      /[\\/]node_modules[\\/]@middy[\\/]core[\\/]/.test(args.importer) ? { path: 'node:stream/web', namespace: 'middy-web-streams' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'middy-web-streams' }, () => ({ contents: MIDDY_WEB_STREAMS, loader: 'js' }));
  },
};

export function buildDir(name: string, root: string = ROOT, outRoot: string = join(root, '.build')): string {
  return join(outRoot, name);
}

/** The esbuild options every bundle is built with (the functions' and the bench's baseline). */
export function bundleOptions(sdk: SdkMode): esbuild.BuildOptions {
  return {
    platform: 'node',
    target: 'node22',
    format: 'esm',
    bundle: true,
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    // ESM first: the SDK's `dist-es` builds tree-shake, its `dist-cjs` bundles do not.
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_SHIM },
    // What a function loads only with `import()` (the CloudWatch and ELBv2 clients) goes into chunks of
    // its own beside the entry, read when first imported, not at cold start (without splitting esbuild
    // inlines a dynamic import into the entry: parsed with it, run on first use). Code the entry and a
    // chunk share stays with the entry or goes into a chunk the entry imports statically.
    splitting: true,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    metafile: true,
    external: sdk === 'external' ? ['@aws-sdk/*'] : [],
    plugins: [lazyWebStreamsForMiddy],
    logLevel: 'warning',
  };
}

export async function build(options: BuildOptions = {}): Promise<BuiltFunction[]> {
  const root = options.root ?? ROOT;
  const functions = options.functions ?? FUNCTIONS;
  const sdk = options.sdk ?? SDK_MODE;
  const results: BuiltFunction[] = [];
  for (const fn of functions) {
    const outdir = buildDir(fn.name, root, options.outRoot);
    // A clean folder: it is exactly what gets zipped.
    await rm(outdir, { recursive: true, force: true });
    await mkdir(outdir, { recursive: true });
    const outfile = join(outdir, 'index.mjs');
    const result = await esbuild.build({ ...bundleOptions(sdk), absWorkingDir: root, entryPoints: { index: join(root, fn.entry) }, outdir });
    const { metafile } = result;
    if (!metafile) throw new Error(`${fn.name}: esbuild wrote no metafile`);
    await writeFile(join(outdir, 'meta.json'), JSON.stringify(metafile));
    results.push({ name: fn.name, outfile, bytes: await coldStartBytes(metafile, root, outfile) });
  }
  return results;
}

/**
 * The bytes a cold start loads: the entry and the chunks it imports statically, transitively (not
 * the chunks it loads with `import()`, nor the source maps).
 */
async function coldStartBytes(metafile: esbuild.Metafile, root: string, outfile: string): Promise<number> {
  const key = (file: string) => relative(root, file).split('\\').join('/');
  const seen = new Set<string>();
  const pending = [key(outfile)];
  let bytes = 0;
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    bytes += (await stat(join(root, file))).size;
    for (const i of metafile.outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) pending.push(i.path);
  }
  return bytes;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (invokedDirectly) {
  try {
    for (const built of await build()) {
      console.log(`${built.name.padEnd(12)} ${relative(process.cwd(), built.outfile).padEnd(28)} ${formatSize(built.bytes).padStart(10)} (${built.bytes} bytes at cold start)`);
    }
  } catch (error) {
    // esbuild has already printed the diagnostics.
    console.error(error instanceof Error ? error.message.split('\n')[0] : String(error));
    process.exitCode = 1;
  }
}
