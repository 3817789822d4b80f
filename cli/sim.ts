/**
 * `blox sim …`: drive the local stack's simulated ECS cluster (`npm start` only) — add, drain and
 * remove instances, list tasks, make a task definition fail, crash or serve errors, look at the
 * simulated load balancer's target groups, list the CloudWatch alarms and set one's state.
 *
 * ```
 * blox sim list-instances --table
 * blox sim add-instances --count 5 --attribute stack=prod --table
 * blox sim set-task-definition --task-definition log-daemon:9 --fail-start "CannotPullContainerError: image not found"
 * blox sim set-task-definition --task-definition web:2 --error-rate 0.2
 * blox sim list-tasks --environment-name SomeEnvironment/Prod --table
 * blox sim list-target-groups --table
 * blox sim describe-target-health --target-group web --table
 * blox sim list-listener-rules --load-balancer web-alb --table
 * blox sim list-alarms --table
 * blox sim set-alarm --alarm-name web-5xx --state ALARM
 * blox sim list-records --hosted-zone example.internal --table
 * blox sim list-functions --table
 * blox sim set-function --function-name smoke-ok --answer IN_PROGRESS --call-back-delay 30
 * ```
 *
 * A refusal of the simulator that names a field of the request is reported with the flag that
 * gave it: `blox: --alarm-name: no alarm "x" (known: daemon-errors, web-5xx)`.
 *
 * Against anything but the local stack (BLOX_API_URL not on this machine, or an API without `/_sim`)
 * every command fails with exit code 1 and
 * `blox: sim commands only work against the local stack (npm start); BLOX_API_URL is <url>`.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BloxApiError } from './client';
import { formatAlarmTable, formatFunctionTable, formatInstanceTable, formatJson, formatListenerRuleTable, formatRecordTable, formatTargetGroupTable, formatTargetHealthTable, formatTaskTable } from './format';
import { UsageError } from './input';
import { nonNegativeSeconds, positiveInteger, wholeNumber } from './options';
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

const SHARE = /^\s*(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*$/;

/** A share of requests: `0`, `0.2`, `1`. */
function share(value: string): number {
  const n = Number(value);
  if (!SHARE.test(value) || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a share of requests from 0 to 1 (e.g. 0.2).');
  return n;
}

/** The request fields of the simulator's answers, by the flag that gives them. */
type FlagsOfFields = Readonly<Record<string, string>>;

/** A refusal naming a request field (`{ field: 'AlarmName', message: 'AlarmName: …' }`) reworded to name the flag. */
function withFlag(error: unknown, flags: FlagsOfFields): unknown {
  if (!(error instanceof BloxApiError) || error.field === undefined) return error;
  const flag = flags[error.field];
  if (flag === undefined) return error;
  const message = error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message;
  return new BloxApiError(error.status, error.code, `${flag}: ${message}`, error.field);
}

/** Adds `sim` and its subcommands to the program. */
export function registerSimCommands(program: Command, context: SimCommandContext): void {
  let client: SimClient | undefined;
  const sim = async <T>(call: (client: SimClient) => Promise<T>, flags: FlagsOfFields = {}): Promise<T> => {
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
      throw withFlag(error, flags);
    }
  };
  const print = (value: unknown) => context.stdout(`${formatJson(value)}\n`);
  const printText = (text: string) => context.stdout(`${text}\n`);

  const group = program
    .command('sim')
    .summary("drive the local stack's simulated cluster (npm start only)")
    .description(
      "drive the local stack's simulated ECS cluster: instances, tasks, task definition behaviour,\n" +
        'target groups, alarms, DNS records, hook functions\n' +
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
    .command('describe-services')
    .description('describe an ECS service as DescribeServices does: its status, desired count and task sets (MISSING in failures when ECS does not know it)')
    .requiredOption('--service <name>', 'the ECS service name')
    .option('--cluster <name>', 'the cluster (default: default)')
    .action(async (options: { service: string; cluster?: string }) => {
      print(await sim((c) => c.describeServices({ service: options.service, cluster: options.cluster })));
    });

  group
    .command('set-desired-count')
    .description('set an ECS service\'s desired count as Application Auto Scaling does (UpdateService desiredCount); prints the service')
    .requiredOption('--service <name>', 'the ECS service name')
    .requiredOption('--desired-count <n>', 'tasks the service should run', wholeNumber)
    .option('--cluster <name>', 'the cluster (default: default)')
    .action(async (options: { service: string; desiredCount: number; cluster?: string }) => {
      print(await sim((c) => c.setDesiredCount({ service: options.service, desiredCount: options.desiredCount, cluster: options.cluster }), { Service: '--service', DesiredCount: '--desired-count', Cluster: '--cluster' }));
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
    .option('--error-rate <share>', 'the share of requests its tasks answer with a 5xx, 0 to 1 (at once, running tasks too)', share)
    .action(
      async (options: {
        taskDefinition: string;
        startSeconds?: number;
        failStart?: string;
        crashAfterSeconds?: number;
        unhealthy?: boolean;
        healthy?: boolean;
        errorRate?: number;
      }) => {
        const behaviour: TaskDefinitionBehaviour = { TaskDefinition: options.taskDefinition };
        if (options.startSeconds !== undefined) behaviour.StartSeconds = options.startSeconds;
        if (options.failStart !== undefined) behaviour.FailStart = options.failStart;
        if (options.crashAfterSeconds !== undefined) behaviour.CrashAfterSeconds = options.crashAfterSeconds;
        if (options.unhealthy) behaviour.Unhealthy = true;
        if (options.healthy) behaviour.Healthy = true;
        if (options.errorRate !== undefined) behaviour.ErrorRate = options.errorRate;
        await sim((c) => c.setTaskDefinition(behaviour), {
          TaskDefinition: '--task-definition',
          StartSeconds: '--start-seconds',
          FailStart: '--fail-start',
          CrashAfterSeconds: '--crash-after-seconds',
          ErrorRate: '--error-rate',
        });
      },
    );

  group
    .command('list-target-groups')
    .description("list the simulated load balancer's target groups (ELBv2 DescribeTargetGroups)")
    .option('--table', 'print NAME PROTOCOL PORT HEALTH CHECK LOAD BALANCER')
    .action(async (options: { table?: boolean }) => {
      const result = await sim((c) => c.listTargetGroups());
      if (options.table) printText(formatTargetGroupTable(result.TargetGroups ?? []));
      else print(result);
    });

  group
    .command('describe-target-health')
    .description("the targets of a target group and their health (ELBv2 DescribeTargetHealth)")
    .requiredOption('--target-group <name>', 'target group name (or ARN), e.g. web', nonEmpty)
    .option('--table', 'print TARGET PORT STATE REASON')
    .action(async (options: { targetGroup: string; table?: boolean }) => {
      const result = await sim((c) => c.describeTargetHealth(options.targetGroup), { TargetGroup: '--target-group' });
      if (options.table) printText(formatTargetHealthTable(result.TargetHealthDescriptions ?? []));
      else print(result);
    });

  group
    .command('list-listener-rules')
    .description("list the simulated load balancers' listener rules and their forward weights (ELBv2 DescribeRules); a rule's ARN is TrafficRouting.Alb's ListenerRuleArn")
    .option('--load-balancer <name>', 'only this load balancer, e.g. web-alb', nonEmpty)
    .option('--table', 'print LOAD BALANCER PORT PRIORITY FORWARD RULE ARN')
    .action(async (options: { loadBalancer?: string; table?: boolean }) => {
      const result = await sim((c) => c.listListenerRules({ ...(options.loadBalancer !== undefined ? { loadBalancer: options.loadBalancer } : {}) }), { 'load-balancer': '--load-balancer' });
      if (options.table) printText(formatListenerRuleTable(result.Rules ?? []));
      else print(result);
    });

  group
    .command('list-alarms')
    .description('list the CloudWatch alarms and their states (CloudWatch DescribeAlarms)')
    .addOption(new Option('--state-value <state>', 'only the alarms in this state').choices(['OK', 'ALARM', 'INSUFFICIENT_DATA']))
    .option('--table', 'print ALARM STATE SINCE REASON')
    .action(async (options: { stateValue?: string; table?: boolean }) => {
      const result = await sim((c) => c.listAlarms({ state: options.stateValue }), { state: '--state-value' });
      if (options.table) printText(formatAlarmTable(result.MetricAlarms ?? []));
      else print(result);
    });

  group
    .command('set-alarm')
    .description("set the state of a CloudWatch alarm (SetAlarmState: it holds until the alarm's next evaluation); prints nothing")
    .requiredOption('--alarm-name <name>', 'alarm name', nonEmpty)
    .addOption(new Option('--state <state>', 'the new state').choices(['ALARM', 'OK']).makeOptionMandatory())
    .action(async (options: { alarmName: string; state: 'ALARM' | 'OK' }) => {
      await sim((c) => c.setAlarm({ AlarmName: options.alarmName, State: options.state }), { AlarmName: '--alarm-name', State: '--state' });
    });

  group
    .command('list-records')
    .description("list a hosted zone's records (Route 53): name, type, set identifier, weight, target, and whether the latest change is PENDING or INSYNC")
    .requiredOption('--hosted-zone <zone>', 'hosted zone name or id, e.g. example.internal', nonEmpty)
    .option('--table', 'print NAME TYPE SET ID WEIGHT TARGET CHANGE')
    .action(async (options: { hostedZone: string; table?: boolean }) => {
      const result = await sim((c) => c.listRecords(options.hostedZone), { HostedZone: '--hosted-zone' });
      if (options.table) printText(formatRecordTable(result.ResourceRecordSets ?? []));
      else print(result);
    });

  group
    .command('list-functions')
    .description('list the simulated Lambda hook functions: their answers and how often each was invoked')
    .option('--table', 'print FUNCTION ANSWER CALL BACK INVOCATIONS')
    .action(async (options: { table?: boolean }) => {
      const result = await sim((c) => c.listFunctions());
      if (options.table) printText(formatFunctionTable(result.Functions ?? []));
      else print(result);
    });

  group
    .command('set-function')
    .description('set what a simulated hook function answers from now on (ERROR: it throws, a FunctionError); prints the function')
    .requiredOption('--function-name <name>', 'function name, e.g. smoke-ok', nonEmpty)
    .addOption(new Option('--answer <status>', 'its hookStatus').choices(['SUCCEEDED', 'FAILED', 'IN_PROGRESS', 'ERROR']).makeOptionMandatory())
    .option('--call-back-delay <s>', 'with IN_PROGRESS: the callBackDelaySeconds it answers', wholeSeconds)
    .action(async (options: { functionName: string; answer: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS' | 'ERROR'; callBackDelay?: number }) => {
      if (options.callBackDelay !== undefined && options.answer !== 'IN_PROGRESS') throw new UsageError('--call-back-delay: only with --answer IN_PROGRESS');
      const result = await sim(
        (c) => c.setFunction({ FunctionName: options.functionName, Answer: options.answer, ...(options.callBackDelay !== undefined ? { CallBackDelaySeconds: options.callBackDelay } : {}) }),
        { FunctionName: '--function-name', Answer: '--answer', CallBackDelaySeconds: '--call-back-delay' },
      );
      print(result);
    });
}

/** A whole number of seconds, 0 or more. */
function wholeSeconds(value: string): number {
  const n = Number(value);
  if (!/^\s*[0-9]+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number of seconds (e.g. 30)');
  return n;
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
