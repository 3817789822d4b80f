/**
 * `blox`: the command line of Blox Deployments, a thin client of the HTTP API (`docs/api.md`).
 *
 * ```
 * blox create-environment --yaml-file spec.yaml            → { "EnvironmentRevision": 1 }
 * blox deploy-environment --environment-name SomeEnvironment/Prod --environment-revision 1
 *                                                          → { "DeploymentId": "SomeEnvironment/Prod:1@2017090611472301" }
 * blox describe-environment-status --all --environment-name SomeEnvironment/Prod --table
 * blox list-deployments --environment-name SomeEnvironment/Prod --table    (newest first)
 * blox diff-revisions --environment-name SomeEnvironment/Prod --from 1 --to 2
 * ```
 * `--all` follows every page of the revision table (`--max-items N` stops after N, printing the
 * NextToken to resume from with `--starting-token`), as list-environments does.
 *
 * Output is JSON (see `format.ts`), or a table with `--table`. Errors are one line on stderr,
 * `blox: <message>`; exit code 1 when the API refused or could not be reached, 2 for usage errors.
 * `BLOX_API_URL` selects the API (default `http://127.0.0.1:3000`); https URLs are SigV4-signed.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  BloxApiError,
  BloxClient,
  BloxConnectionError,
  DEFAULT_API_URL,
  type EnvironmentDescription,
  type EnvironmentStatus,
} from './client';
import {
  formatDeploymentLines,
  formatDeploymentsTable,
  formatEnvironmentListTable,
  formatEnvironmentTable,
  formatErrorLine,
  formatJson,
  formatRevisionDiff,
  formatPlanTable,
  formatStatusTable,
  statusTablePrinter,
} from './format';
import { buildUpdateRequest, readDocument, UsageError, type UpdateFlags } from './input';
import { positiveInteger, positiveSeconds, wholeNumber } from './options';
import { registerSimCommands } from './sim';
import { DEFAULT_INTERVAL_SECONDS, isAtRest, registerWaitCommands, watchView } from './watch';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: Readable;
  stdinIsTTY: boolean;
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal: `--watch` then redraws in place (default false: print each change). */
  stdoutIsTTY?: boolean;
  /** For tests; default the global fetch. */
  fetch?: typeof fetch;
}

interface WatchFlags {
  watch?: boolean;
  interval?: number;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const CLIENT_TOKEN_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

function clientToken(value: string): string {
  if (!CLIENT_TOKEN_PATTERN.test(value)) {
    throw new InvalidArgumentError('expected 1 to 128 characters from A-Z a-z 0-9 _ . : -');
  }
  return value;
}

/** `--max-over 2` is a count, `--max-over 20%` a percentage (sent as the string "20%"). */
function maxOver(value: string): number | string {
  return /^\s*[0-9]+\s*$/.test(value) ? Number(value) : value.trim();
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Runs one command line (without `node` and the script: `['deploy-environment', …]`); returns the exit code. */
export async function main(args: readonly string[], io: CliIo): Promise<number> {
  let client: BloxClient | undefined;
  let exitCode = EXIT_OK;
  const apiUrl = () => io.env.BLOX_API_URL?.trim() || DEFAULT_API_URL;
  const api = (): BloxClient => {
    if (!client) {
      const baseUrl = apiUrl();
      try {
        client = new BloxClient({ baseUrl, env: io.env, fetch: io.fetch });
      } catch (error) {
        throw new UsageError(`BLOX_API_URL: ${(error as Error).message}`);
      }
    }
    return client;
  };
  const print = (value: unknown) => io.stdout(`${formatJson(value)}\n`);
  const printText = (text: string) => io.stdout(`${text}\n`);

  const program = new Command('blox');
  program
    .description(
      'Blox Deployments: declare ECS environments, deploy, roll back, freeze and watch them.\n' +
        `Talks to the API at $BLOX_API_URL (default ${DEFAULT_API_URL}); https URLs are signed with SigV4 (AWS credentials).`,
    )
    .version(packageVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand(false)
    .option('--client-token <token>', 'idempotency key for a mutating command (sent as Idempotency-Key)', clientToken)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(`${formatErrorLine(text.replace(/^error: /, ''))}\n`),
    });

  const watching = (command: string, options: WatchFlags): boolean => {
    if (options.interval !== undefined && !options.watch) throw new UsageError(`${command}: --interval needs --watch`);
    return options.watch === true;
  };
  const watchOptions = (options: WatchFlags) => ({
    intervalMs: (options.interval ?? DEFAULT_INTERVAL_SECONDS) * 1000,
    tty: io.stdoutIsTTY === true,
    write: io.stdout,
  });

  const mutation = (command: Command) => {
    const token = command.optsWithGlobals<{ clientToken?: string }>().clientToken;
    return token === undefined ? {} : { idempotencyKey: token };
  };

  program
    .command('create-environment')
    .description('create an environment from a spec (YAML or JSON); prints { "EnvironmentRevision": 1 }')
    .addOption(new Option('--yaml-file [file]', 'the spec as YAML; - (or no value) reads standard input'))
    .addOption(new Option('--json-file [file]', 'the spec as JSON; - (or no value) reads standard input').conflicts('yamlFile'))
    .action(async (options: { yamlFile?: string | true; jsonFile?: string | true }, command: Command) => {
      const document =
        options.yamlFile !== undefined
          ? await readDocument('--yaml-file', options.yamlFile, io)
          : options.jsonFile !== undefined
            ? await readDocument('--json-file', options.jsonFile, io)
            : undefined;
      if (!document) throw new UsageError('create-environment: give --yaml-file FILE (or - for standard input) or --json-file FILE');
      print(await api().createEnvironment(document, mutation(command)));
    });

  program
    .command('update-environment')
    .summary('create a new revision (changed fields, or a whole new spec); prints { "EnvironmentRevision": N+1 }')
    .description(
      'create a new revision: change the given fields of revision N, or replace the spec with --yaml-file;\n' +
        'prints { "EnvironmentRevision": N+1 }',
    )
    .option('--environment <name>', 'environment name (default: the Name in --yaml-file)')
    .addOption(new Option('--environment-name <name>').hideHelp())
    .option('--revision <n>', 'the revision the change is based on (required unless --yaml-file gives the whole spec)', positiveInteger)
    .option('--task-definition <family:revision>', 'new TaskDefinition')
    .option('--instance-group-query <query>', 'new InstanceGroup.Query (ECS cluster query language)')
    .option('--desired-count <n>', 'new DesiredCount (Service environments)', wholeNumber)
    .option('--min-healthy-percent <n>', 'new DeploymentConfiguration.MinHealthyPercent', wholeNumber)
    .option('--method <method>', 'new DeploymentConfiguration.Method (Replace, Surge; Rolling, Canary, BlueGreen)')
    .option('--max-over <n|n%>', 'new DeploymentConfiguration.MaxOver', maxOver)
    .option('--stuck-after-seconds <s>', 'new DeploymentConfiguration.StuckAfterSeconds', positiveInteger)
    .option('--failing-after-seconds <s>', 'new DeploymentConfiguration.FailingAfterSeconds', positiveInteger)
    .option('--yaml-file [file]', 'the whole spec as YAML; - (or no value) reads standard input')
    .action(
      async (
        options: UpdateFlags & { environment?: string; environmentName?: string; yamlFile?: string | true },
        command: Command,
      ) => {
        if (
          options.environment !== undefined &&
          options.environmentName !== undefined &&
          options.environment !== options.environmentName
        ) {
          throw new UsageError('update-environment: --environment and --environment-name name different environments');
        }
        const document =
          options.yamlFile === undefined ? undefined : await readDocument('--yaml-file', options.yamlFile, io);
        const request = await buildUpdateRequest({
          environment: options.environment ?? options.environmentName,
          document,
          flags: options,
        });
        print(await api().updateEnvironment(request.name, request.body, mutation(command)));
      },
    );

  program
    .command('deploy-environment')
    .description('start deploying a revision (not older than the Active one: use rollback-environment for that)')
    .requiredOption('--environment-name <name>', 'environment name')
    .requiredOption('--environment-revision <n>', 'the revision to deploy', positiveInteger)
    .action(async (options: { environmentName: string; environmentRevision: number }, command: Command) => {
      print(await api().deployEnvironment(options.environmentName, options.environmentRevision, mutation(command)));
    });

  program
    .command('rollback-environment')
    .description('re-activate an earlier revision; the revisions it abandons are Reverted')
    .requiredOption('--environment-name <name>', 'environment name')
    .requiredOption('--environment-revision <n>', 'the revision to roll back to', positiveInteger)
    .action(async (options: { environmentName: string; environmentRevision: number }, command: Command) => {
      print(await api().rollbackEnvironment(options.environmentName, options.environmentRevision, mutation(command)));
    });

  program
    .command('freeze-environment')
    .description('suspend every action in an environment (prints nothing)')
    .requiredOption('--environment-name <name>', 'environment name')
    .action(async (options: { environmentName: string }, command: Command) => {
      await api().freezeEnvironment(options.environmentName, mutation(command));
    });

  program
    .command('scale-environment')
    .description('set a Service environment\'s desired count, without a deployment (also mid-deployment: the rollout follows)')
    .requiredOption('--environment-name <name>', 'environment name')
    .requiredOption('--desired-count <n>', 'tasks to run, 0 to 10000', wholeNumber)
    .action(async (options: { environmentName: string; desiredCount: number }, command: Command) => {
      print(await api().scaleEnvironment(options.environmentName, options.desiredCount, mutation(command)));
    });

  program
    .command('delete-environment')
    .description('delete an environment (its log is kept); refused while it runs tasks unless --force, which scales it to zero first and removes a Service\'s ECS service and task sets')
    .requiredOption('--environment-name <name>', 'environment name')
    .option('--force', 'stop every task of the environment (a Service: desired count and task sets to 0, then the service deleted) before deleting it')
    .action(async (options: { environmentName: string; force?: boolean }, command: Command) => {
      print(await api().deleteEnvironment(options.environmentName, options.force === true, mutation(command)));
    });

  program
    .command('thaw-environment')
    .description('resume a frozen environment (prints nothing)')
    .requiredOption('--environment-name <name>', 'environment name')
    .action(async (options: { environmentName: string }, command: Command) => {
      await api().thawEnvironment(options.environmentName, mutation(command));
    });

  // The controls of a running deployment (each recorded with the caller and the --reason).
  const controls = [
    ['pause-deployment', 'pause', 'pause the deployment in progress: nothing moves and its clock stops (Stuck, Failing and the bake wait) until resume-deployment; alarms still roll it back'],
    ['resume-deployment', 'resume', 'resume a paused deployment: it goes on where it stopped, its timers shifted by the pause'],
    ['promote-deployment', 'promote', 'end the bake (or the canary\'s bake, or a Canary pause) in progress now; --full also skips every remaining step'],
    ['abort-deployment', 'abort', 'roll the deployment in progress back to the revision that was Active when it started, now (trigger Abort)'],
  ] as const;
  for (const [name, control, description] of controls) {
    const sub = program
      .command(name)
      .description(description)
      .requiredOption('--environment-name <name>', 'environment name')
      .option('--reason <text>', 'why (recorded in the log with who did it)');
    if (control === 'promote') sub.option('--full', 'skip every remaining step as well (a deployment without Canary steps: as without --full)');
    sub.action(async (options: { environmentName: string; reason?: string; full?: boolean }, command: Command) => {
      print(await api().controlDeployment(options.environmentName, control, { reason: options.reason, full: options.full === true }, mutation(command)));
    });
  }

  program
    .command('describe-environment')
    .description('show an environment: status, counts, deployment, latest spec')
    .requiredOption('--environment-name <name>', 'environment name')
    .option('--table', 'print ENVIRONMENT STATUS DESIRED CURRENT')
    .option('--watch', 'show it again each time it changes, until the environment is at rest')
    .option('--interval <seconds>', `with --watch: seconds between polls (default ${DEFAULT_INTERVAL_SECONDS})`, positiveSeconds)
    .action(async (options: { environmentName: string; table?: boolean } & WatchFlags) => {
      const render = (description: EnvironmentDescription) =>
        options.table ? formatEnvironmentTable(description) : formatJson(description);
      if (!watching('describe-environment', options)) {
        printText(render(await api().describeEnvironment(options.environmentName)));
        return;
      }
      await watchView(async () => {
        const description = await api().describeEnvironment(options.environmentName);
        const status = await api().describeEnvironmentStatus(options.environmentName);
        return { text: render(description), atRest: isAtRest(status) };
      }, watchOptions(options));
    });

  program
    .command('describe-environment-status')
    .description("show each revision's status and task counts")
    .requiredOption('--environment-name <name>', 'environment name')
    .option('--all', 'include Inactive and Reverted revisions (every page of them, unless --max-items)')
    .option('--table', 'print REVISION STATUS DESIRED CURRENT')
    .option(
      '--watch',
      'show it again each time it changes, until the environment is at rest (nothing Deploying, Undeploying, Reverting, Stuck or Failing)',
    )
    .option('--interval <seconds>', `with --watch: seconds between polls (default ${DEFAULT_INTERVAL_SECONDS})`, positiveSeconds)
    .option('--max-items <n>', 'with --all: return at most N revisions (and a NextToken if there are more)', positiveInteger)
    .option('--starting-token <token>', 'with --all: continue from the NextToken of an earlier --max-items call')
    .action(
      async (
        options: { environmentName: string; all?: boolean; table?: boolean; maxItems?: number; startingToken?: string } & WatchFlags,
      ) => {
        const name = options.environmentName;
        if (!options.all && (options.maxItems !== undefined || options.startingToken !== undefined)) {
          throw new UsageError(
            `describe-environment-status: ${options.maxItems !== undefined ? '--max-items' : '--starting-token'} needs --all`,
          );
        }
        const paging = { maxItems: options.maxItems, startingToken: options.startingToken };
        const fetchStatus = () =>
          options.all ? api().describeAllEnvironmentStatus(name, paging) : api().describeEnvironmentStatus(name);
        const render = (status: EnvironmentStatus) => (options.table ? formatStatusTable(status) : formatJson(status));
        if (watching('describe-environment-status', options)) {
          await watchView(async () => {
            const status = await fetchStatus();
            return { text: render(status), atRest: isAtRest(status) };
          }, watchOptions(options));
          return;
        }
        if (!(options.all && options.table)) {
          printText(render(await fetchStatus()));
          return;
        }
        // A table of every revision: printed as the pages arrive, in the columns the whole table would have.
        let print: ((status: EnvironmentStatus) => string) | undefined;
        let rows = 0;
        let last: EnvironmentStatus | undefined;
        for await (const page of api().environmentStatusPages(name, paging)) {
          last = page;
          rows += (page.Revisions ?? []).length;
          if (!print) {
            const more = page.NextToken !== undefined && (options.maxItems === undefined || rows < options.maxItems);
            const latest = more ? (await api().describeEnvironment(name)).LatestRevision : undefined;
            print = statusTablePrinter(latest === undefined ? {} : { widestRevision: `${name}:${latest}` });
          }
          const text = print(page);
          if (text !== '') printText(text);
        }
        // The deployment in progress as the last page saw it (traffic, pause, bake, hooks), under the table.
        const lines = formatDeploymentLines(last?.Deployment);
        if (lines.length > 0) printText(lines.join('\n'));
      },
    );

  program
    .command('plan-deployment')
    .description('what deploying a revision would do (a dry run on a simulated copy of the cluster; nothing changes): steps, lowest ready count, most extra tasks, duration')
    .requiredOption('--environment-name <name>', 'environment name')
    .requiredOption('--environment-revision <n>', 'the revision to plan', positiveInteger)
    .option('--table', 'print the estimate and the steps readably')
    .action(async (options: { environmentName: string; environmentRevision: number; table?: boolean }) => {
      const plan = await api().planDeployment(options.environmentName, options.environmentRevision);
      if (options.table) printText(formatPlanTable(plan));
      else print(plan);
    });

  program
    .command('list-environments')
    .description('list environments (every page, unless --max-items)')
    .option('--table', 'print ENVIRONMENT STATUS REVISION DESIRED CURRENT')
    .option('--max-items <n>', 'return at most N environments (and a NextToken if there are more)', positiveInteger)
    .option('--starting-token <token>', 'continue from the NextToken of an earlier --max-items call')
    .action(async (options: { table?: boolean; maxItems?: number; startingToken?: string }) => {
      const result = await api().listAllEnvironments({
        maxItems: options.maxItems,
        startingToken: options.startingToken,
      });
      if (options.table) printText(formatEnvironmentListTable(result.Environments));
      else print(result);
    });

  program
    .command('list-deployments')
    .description('list every deployment, rollback and deletion of the environment, newest first (every page, unless --max-items)')
    .requiredOption('--environment-name <name>', 'environment name')
    .option('--table', 'print DEPLOYMENT KIND REVISION TRIGGER STARTED DURATION OUTCOME')
    .option('--max-items <n>', 'return at most N deployments (and a NextToken if there are more)', positiveInteger)
    .option('--starting-token <token>', 'continue from the NextToken of an earlier --max-items call')
    .action(async (options: { environmentName: string; table?: boolean; maxItems?: number; startingToken?: string }) => {
      const result = await api().listAllDeployments(options.environmentName, { maxItems: options.maxItems, startingToken: options.startingToken });
      if (options.table) {
        printText(formatDeploymentsTable(result.Deployments));
        if (result.NextToken) io.stderr(`NextToken: ${result.NextToken}\n`);
      } else print(result);
    });

  program
    .command('diff-revisions')
    .description('show what changed between two revisions: the spec, and the task definitions (DescribeTaskDefinition)')
    .requiredOption('--environment-name <name>', 'environment name')
    .requiredOption('--from <revision>', 'the revision to compare from', positiveInteger)
    .requiredOption('--to <revision>', 'the revision to compare to', positiveInteger)
    .option('--table', 'print the changed fields, FROM → TO, one per line')
    .action(async (options: { environmentName: string; from: number; to: number; table?: boolean }) => {
      const diff = await api().diffRevisions(options.environmentName, options.from, options.to);
      if (options.table) printText(formatRevisionDiff(diff));
      else print(diff);
    });

  program
    .command('dashboard')
    .description(`serve the dashboard on http://127.0.0.1:PORT, its API calls forwarded to $BLOX_API_URL (https: signed with SigV4); Ctrl-C stops it`)
    .option('--port <port>', 'port on 127.0.0.1 (default 3001)', wholeNumber, 3001)
    .action(async (options: { port: number }) => {
      if (options.port > 65535) throw new UsageError('--port: expected a port number from 0 to 65535');
      const { startDashboardServer } = await import('./dashboard');
      const server = await startDashboardServer({ apiUrl: apiUrl(), port: options.port, env: io.env, ...(io.fetch ? { fetch: io.fetch } : {}) });
      io.stderr(`Blox dashboard on ${server.url} (API: ${apiUrl()}); Ctrl-C stops it.\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  registerWaitCommands(program, {
    api,
    stderr: io.stderr,
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  registerSimCommands(program, { baseUrl: apiUrl, env: io.env, fetch: io.fetch, stdout: io.stdout });

  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (one line, through outputError) or the help.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    return EXIT_USAGE;
  }
  const say = (message: string) => io.stderr(`${formatErrorLine(message)}\n`);
  if (error instanceof UsageError) {
    say(error.message);
    return EXIT_USAGE;
  }
  if (error instanceof BloxConnectionError) {
    say(
      // The hint is for the local stack (plain http); a refused https API is reported as is.
      error.errorCode === 'ECONNREFUSED' && error.url.startsWith('http:')
        ? `cannot reach the Blox API at ${error.url} (is \`npm start\` running?)`
        : error.message,
    );
    return EXIT_FAILURE;
  }
  if (error instanceof BloxApiError) {
    say(error.message);
    return EXIT_FAILURE;
  }
  say(error instanceof Error ? error.message : String(error));
  return EXIT_FAILURE;
}

/** The process entry point (`bin/blox.js`): real streams, real exit code. */
export async function run(): Promise<void> {
  // The AWS SDK (loaded only to sign https requests) warns on Node < 22 over several stderr lines.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK); // `blox … | head`
  });
  const pending: Promise<void>[] = [];
  const write = (stream: NodeJS.WriteStream) => (text: string) => {
    pending.push(new Promise((resolve) => stream.write(text, () => resolve())));
  };
  const code = await main(process.argv.slice(2), {
    stdout: write(process.stdout),
    stderr: write(process.stderr),
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    env: process.env,
  });
  await Promise.all(pending);
  // Exit now rather than when idle: keep-alive sockets must not hold a finished command open.
  process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
