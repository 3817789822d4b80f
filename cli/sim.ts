/**
 * `blox sim …`: drive the local stack's simulated ECS cluster (`npm start` only) — add, drain and
 * remove instances, list tasks, make a task definition fail or crash, set an alarm.
 *
 * ```
 * blox sim list-instances --table
 * blox sim add-instances --count 5 --attribute stack=prod --table
 * blox sim set-task-definition --task-definition log-daemon:9 --fail-start "CannotPullContainerError: image not found"
 * blox sim list-tasks --environment-name SomeEnvironment/Prod --table
 * ```
 *
 * Against anything but the local stack (BLOX_API_URL not on this machine, or an API without `/_sim`)
 * every command fails with exit code 1 and
 * `blox: sim commands only work against the local stack (npm start); BLOX_API_URL is <url>`.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BloxApiError } from './client';
import { formatInstanceTable, formatJson, formatTaskTable } from './format';
import { UsageError } from './input';
import { nonNegativeSeconds, positiveInteger } from './options';
import { isLoopbackUrl, SimClient, type TaskDefinitionBehaviour } from './sim-client';

/** The API is not the local stack: exit 1. */
export class NotLocalStackError extends Error {
  constructor(readonly url: string) {
    super(`sim commands only work against the local stack (npm start); BLOX_API_URL is ${url}`);
    this.name = 'NotLocalStackError';
  }
}

export interface SimCommandContext {
  /** The API base URL in effect (BLOX_API_URL or the default). */
  baseUrl: () => string;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  stdout: (text: string) => void;
}

const TASK_DEFINITION_PATTERN = /^[A-Za-z0-9_-]{1,255}:[1-9][0-9]*$/;

function taskDefinition(value: string): string {
  if (!TASK_DEFINITION_PATTERN.test(value)) throw new InvalidArgumentError('expected FAMILY:REVISION, e.g. log-daemon:9');
  return value;
}

function attribute(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = value.indexOf('=');
  const key = at === -1 ? '' : value.slice(0, at).trim();
  if (key === '') throw new InvalidArgumentError('expected KEY=VALUE, e.g. stack=prod');
  return { ...previous, [key]: value.slice(at + 1).trim() };
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a value');
  return value;
}

/** Adds `sim` and its subcommands to the program. */
export function registerSimCommands(program: Command, context: SimCommandContext): void {
  let client: SimClient | undefined;
  const sim = async <T>(call: (client: SimClient) => Promise<T>): Promise<T> => {
    const url = context.baseUrl();
    if (!client) {
      try {
        client = new SimClient({ baseUrl: url, env: context.env, fetch: context.fetch });
      } catch (error) {
        throw new UsageError(`BLOX_API_URL: ${(error as Error).message}`);
      }
    }
    if (!isLoopbackUrl(url)) throw new NotLocalStackError(url);
    const simClient = client;
    try {
      return await call(simClient);
    } catch (error) {
      if (error instanceof BloxApiError && error.status === 404 && !(await hasSimulator(simClient))) {
        throw new NotLocalStackError(url);
      }
      throw error;
    }
  };
  const print = (value: unknown) => context.stdout(`${formatJson(value)}\n`);
  const printText = (text: string) => context.stdout(`${text}\n`);

  const group = program
    .command('sim')
    .summary("drive the local stack's simulated cluster (npm start only)")
    .description(
      "drive the local stack's simulated ECS cluster: instances, tasks, task definition behaviour, alarms\n" +
        '(only against the local stack, `npm start`)',
    )
    .helpCommand(false);

  group
    .command('list-instances')
    .description('list the container instances of a cluster')
    .option('--cluster <cluster>', 'cluster name (default: the default cluster)')
    .option('--table', 'print INSTANCE STATUS ATTRIBUTES TASKS CPU MEMORY (CPU and MEMORY: remaining/registered)')
    .action(async (options: { cluster?: string; table?: boolean }) => {
      const result = await sim((c) => c.listInstances({ cluster: options.cluster }));
      if (options.table) printText(formatInstanceTable(result.Instances ?? []));
      else print(result);
    });

  group
    .command('add-instances')
    .description('register new container instances (they join at once, ACTIVE)')
    .requiredOption('--count <n>', 'how many', positiveInteger)
    .option('--attribute <key=value>', 'a custom attribute of every new instance (repeatable)', attribute)
    .option('--cluster <cluster>', 'cluster name (default: the default cluster)')
    .option('--cpu <units>', 'CPU units of each instance (default 2048)', positiveInteger)
    .option('--memory <MiB>', 'memory of each instance in MiB (default 4096)', positiveInteger)
    .option('--table', 'print the new instances as a table')
    .action(
      async (options: {
        count: number;
        attribute?: Record<string, string>;
        cluster?: string;
        cpu?: number;
        memory?: number;
        table?: boolean;
      }) => {
        const result = await sim((c) =>
          c.addInstances({
            Count: options.count,
            Attributes: options.attribute ?? {},
            ...(options.cluster === undefined ? {} : { Cluster: options.cluster }),
            ...(options.cpu === undefined ? {} : { Cpu: options.cpu }),
            ...(options.memory === undefined ? {} : { Memory: options.memory }),
          }),
        );
        if (options.table) printText(formatInstanceTable(result.Instances ?? []));
        else print(result);
      },
    );

  group
    .command('remove-instance')
    .description('deregister an instance at once (its tasks stop); prints nothing')
    .requiredOption('--instance-id <id>', 'EC2 instance id (i-…) or container instance id', nonEmpty)
    .action(async (options: { instanceId: string }) => {
      await sim((c) => c.removeInstance(options.instanceId));
    });

  group
    .command('drain-instance')
    .description('set an instance to DRAINING (no new tasks are placed on it); prints nothing')
    .requiredOption('--instance-id <id>', 'EC2 instance id (i-…) or container instance id', nonEmpty)
    .action(async (options: { instanceId: string }) => {
      await sim((c) => c.drainInstance(options.instanceId));
    });

  group
    .command('list-tasks')
    .description('list tasks (every task, or those of one environment)')
    .option('--environment-name <name>', 'only the tasks of this environment')
    .option('--table', 'print TASK INSTANCE REVISION STATUS HEALTH')
    .action(async (options: { environmentName?: string; table?: boolean }) => {
      const result = await sim((c) => c.listTasks({ environment: options.environmentName }));
      if (options.table) printText(formatTaskTable(result.Tasks ?? []));
      else print(result);
    });

  group
    .command('set-task-definition')
    .description('set how tasks of a task definition behave from now on; prints nothing')
    .requiredOption('--task-definition <family:revision>', 'the task definition, e.g. log-daemon:9', taskDefinition)
    .option('--start-seconds <s>', 'seconds from launch to RUNNING', nonNegativeSeconds)
    .option('--fail-start <reason>', 'every launch stops before RUNNING with this stopped reason', nonEmpty)
    .option('--crash-after-seconds <s>', 'a running task exits (code 1) after this many seconds', nonNegativeSeconds)
    .addOption(new Option('--unhealthy', 'the container health check fails').conflicts('healthy'))
    .addOption(new Option('--healthy', 'the container health check passes').conflicts('unhealthy'))
    .action(
      async (options: {
        taskDefinition: string;
        startSeconds?: number;
        failStart?: string;
        crashAfterSeconds?: number;
        unhealthy?: boolean;
        healthy?: boolean;
      }) => {
        const behaviour: TaskDefinitionBehaviour = { TaskDefinition: options.taskDefinition };
        if (options.startSeconds !== undefined) behaviour.StartSeconds = options.startSeconds;
        if (options.failStart !== undefined) behaviour.FailStart = options.failStart;
        if (options.crashAfterSeconds !== undefined) behaviour.CrashAfterSeconds = options.crashAfterSeconds;
        if (options.unhealthy) behaviour.Unhealthy = true;
        if (options.healthy) behaviour.Healthy = true;
        await sim((c) => c.setTaskDefinition(behaviour));
      },
    );

  group
    .command('set-alarm')
    .description('set the state of a CloudWatch alarm; prints nothing')
    .requiredOption('--alarm-name <name>', 'alarm name', nonEmpty)
    .addOption(new Option('--state <state>', 'the new state').choices(['ALARM', 'OK']).makeOptionMandatory())
    .action(async (options: { alarmName: string; state: 'ALARM' | 'OK' }) => {
      await sim((c) => c.setAlarm({ AlarmName: options.alarmName, State: options.state }));
    });
}

/** A 404 from /_sim can be an unknown instance as well as a missing simulator: ask the list. */
async function hasSimulator(client: SimClient): Promise<boolean> {
  try {
    await client.listInstances();
    return true;
  } catch (error) {
    return !(error instanceof BloxApiError && error.status === 404);
  }
}
