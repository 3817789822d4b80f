/**
 * Output formatting for the CLI: pure functions from API answers to text (no trailing newline).
 *
 * JSON: small flat objects on one line, as the walkthrough prints them —
 * `formatJson({ EnvironmentRevision: 1 })` is `{ "EnvironmentRevision": 1 }` — anything larger
 * pretty-printed with two spaces.
 *
 * Tables, as the walkthrough prints them:
 * ```
 * REVISION                  STATUS       DESIRED   CURRENT
 * SomeEnvironment/Prod:1    Undeploying  0         5
 * SomeEnvironment/Prod:2    Deploying    5         0
 * ```
 * Column widths: the first column is max(26, longest value + 4), STATUS max(13, longest + 2), the
 * numeric columns max(10, longest + 2), other text columns (identifiers, attributes) max(10, longest + 4),
 * the last column unpadded; no trailing spaces.
 */
import type { DeploymentHistoryItem, DeploymentInfo, DeploymentPlan, EnvironmentDescription, EnvironmentStatus, EnvironmentSummary, FieldChangeView, PlanStep, RevisionDiff, TrafficInfo } from './client';
import type { SimAlarm, SimFunction, SimInstance, SimListenerRule, SimRecord, SimResources, SimTargetGroup, SimTargetHealthDescription, SimTask } from './sim-client';

/** Objects with at most this many primitive values print on one line (if short enough). */
const ONE_LINE_MAX_KEYS = 4;
const ONE_LINE_MAX_WIDTH = 100;

function isPrimitive(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** `{ "EnvironmentRevision": 1 }` for a small flat object, two-space pretty JSON otherwise. */
export function formatJson(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    if (entries.length <= ONE_LINE_MAX_KEYS && entries.every(([, v]) => isPrimitive(v))) {
      const line = `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')} }`;
      if (line.length <= ONE_LINE_MAX_WIDTH) return line;
    }
  }
  return JSON.stringify(value, null, 2) ?? 'null';
}

export type ColumnKind = 'first' | 'status' | 'number' | 'text' | 'last';

export interface Column {
  header: string;
  kind: ColumnKind;
}

/** The width a column takes (header and values), by the rule in the module comment. */
export function columnWidth(kind: ColumnKind, cells: readonly string[]): number {
  const longest = Math.max(0, ...cells.map((cell) => cell.length));
  switch (kind) {
    case 'first':
      return Math.max(26, longest + 4);
    case 'status':
      return Math.max(13, longest + 2);
    case 'number':
      return Math.max(10, longest + 2);
    case 'text':
      return Math.max(10, longest + 4);
    case 'last':
      return longest;
  }
}

/** Renders a header line and one line per row; every column but the last is padded to its width. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, index) =>
    columnWidth(column.kind, [column.header, ...rows.map((row) => row[index] ?? '')]),
  );
  return renderLines(columns, widths, [columns.map((column) => column.header), ...rows]);
}

/** Lines of a table whose column widths are given (the last column unpadded; no trailing spaces). */
function renderLines(columns: readonly Column[], widths: readonly number[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) =>
    columns
      .map((_, index) => {
        const cell = cells[index] ?? '';
        return index === columns.length - 1 ? cell : cell.padEnd(widths[index] ?? 0);
      })
      .join('')
      .trimEnd();
  return rows.map(line).join('\n');
}

function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : String(value);
}

const STATUS_COLUMNS: readonly Column[] = [
  { header: 'REVISION', kind: 'first' },
  { header: 'STATUS', kind: 'status' },
  { header: 'DESIRED', kind: 'number' },
  { header: 'CURRENT', kind: 'last' },
];

function statusRows(status: EnvironmentStatus): string[][] {
  return (status.Revisions ?? []).map((revision) => [
    revision.Revision ?? `${status.EnvironmentName}:${revision.EnvironmentRevision}`,
    revision.Status,
    count(revision.Desired),
    count(revision.Current),
  ]);
}

/**
 * `describe-environment-status --table`: REVISION STATUS DESIRED CURRENT, one row per revision, then
 * the deployment in progress's lines (`formatDeploymentLines`: traffic, pause, bake, hooks), if any.
 */
export function formatStatusTable(status: EnvironmentStatus): string {
  return withDeploymentLines(renderTable(STATUS_COLUMNS, statusRows(status)), status.Deployment);
}

function withDeploymentLines(table: string, deployment: DeploymentInfo | null | undefined): string {
  return [table, ...formatDeploymentLines(deployment)].join('\n');
}

/**
 * A time as a person watching reads it: `12:05:00Z` on the day of `reference` (the deployment's
 * start), the whole `2026-12-02T12:05:00Z` on another day; milliseconds dropped; anything else as given.
 * clockTime('2026-12-01T12:05:00.250Z', '2026-12-01T11:58:00.000Z') === '12:05:00Z'
 * clockTime('2026-12-02T00:05:00.000Z', '2026-12-01T11:58:00.000Z') === '2026-12-02T00:05:00Z'
 */
export function clockTime(iso: string, reference?: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  if (!match) return iso;
  return reference?.startsWith(`${match[1]}T`) ? `${match[2]}Z` : `${match[1]}T${match[2]}Z`;
}

/** `step 3/5 SetWeight 50 · web-blue 50 % / web-green 50 % · in effect` (after `Traffic: `). */
function trafficLine(traffic: TrafficInfo): string {
  const step = traffic.Step !== null ? `step ${traffic.Step}${traffic.StepDescription ? ` ${traffic.StepDescription}` : ''}` : traffic.Strategy === 'BlueGreen' ? 'BlueGreen' : 'no step started yet';
  const weights = traffic.Weights.length > 0 ? traffic.Weights.map((w) => `${w.TargetGroupName} ${w.Weight} %`).join(' / ') : 'weights not read yet';
  const effect = traffic.InEffect ? 'in effect' : traffic.Change ? `not in effect yet (Route 53 change ${traffic.Change.Status})` : 'not in effect yet';
  return `Traffic: ${step} · ${weights} · ${effect}`;
}

/**
 * What `--table` (and `--watch`) shows of the deployment in progress under its table, one line each:
 * ```
 * Traffic: step 2/5 Pause 300 s · web-blue 90 % / web-green 10 % · in effect
 * Pause ends 12:06:00Z
 * Bake ends 12:40:00Z
 * Paused by alice since 12:03:00Z: looking at the logs
 * Hook PreTraffic smoke-ok: attempt 1, IN_PROGRESS (warming up), next call 12:01:11Z, times out 12:05:10Z
 * ```
 * A pause or bake end while pause-deployment holds the deployment comes later by the time paused (its
 * clock stops), and says so. No deployment, or nothing of these: no lines.
 */
export function formatDeploymentLines(deployment: DeploymentInfo | null | undefined): string[] {
  if (!deployment) return [];
  const time = (iso: string) => clockTime(iso, deployment.StartedAt);
  const held = deployment.Paused ? ' (later by the time paused)' : '';
  const lines: string[] = [];
  const traffic = deployment.Traffic;
  if (traffic) {
    lines.push(trafficLine(traffic));
    if (traffic.PauseEndsAt === 'until promote-deployment') lines.push('Pause until promote-deployment');
    else if (traffic.PauseEndsAt) lines.push(`Pause ends ${time(traffic.PauseEndsAt)}${held}`);
  }
  if (deployment.BakeEndsAt) lines.push(`${deployment.Phase === 'CanaryBaking' ? 'Canary bake' : 'Bake'} ends ${time(deployment.BakeEndsAt)}${held}`);
  const paused = deployment.Paused;
  if (paused) lines.push(`Paused by ${paused.By} since ${time(paused.Since)}${paused.Reason ? `: ${paused.Reason}` : ''}`);
  for (const hook of deployment.Hooks ?? []) {
    const answer = hook.LastAnswer ? `${hook.LastAnswer.Status}${hook.LastAnswer.Reason ? ` (${hook.LastAnswer.Reason})` : ''}` : 'waiting for its answer';
    const next = hook.NextAttemptAt ? `, next call ${time(hook.NextAttemptAt)}` : '';
    const timeout = hook.TimesOutAt ? `, times out ${time(hook.TimesOutAt)}` : '';
    lines.push(`Hook ${hook.Stage} ${hook.FunctionName}: attempt ${hook.Attempt}, ${answer}${next}${timeout}`);
  }
  return lines;
}

/**
 * `describe-environment-status --all --table` a page at a time: the first call gives the header and
 * the first page's rows, each later call the rows of the next page, in the same columns. The widths
 * are the first page's, or wider for `widestRevision` (the longest REVISION still to come, e.g.
 * `NAME:<latest>`): then the pages together print exactly what `formatStatusTable` prints for all
 * the rows at once. A later cell wider still widens its column from there on. Empty string: no rows.
 */
export function statusTablePrinter(options: { widestRevision?: string } = {}): (status: EnvironmentStatus) => string {
  let widths: number[] | undefined;
  return (status) => {
    const rows = statusRows(status);
    const header = widths === undefined;
    const needed = STATUS_COLUMNS.map((column, index) =>
      columnWidth(column.kind, [
        ...(header ? [column.header] : []),
        ...(header && index === 0 && options.widestRevision !== undefined ? [options.widestRevision] : []),
        ...rows.map((row) => row[index] ?? ''),
      ]),
    );
    widths = widths ? widths.map((width, index) => Math.max(width, needed[index] ?? 0)) : needed;
    return renderLines(STATUS_COLUMNS, widths, header ? [STATUS_COLUMNS.map((column) => column.header), ...rows] : rows);
  };
}

/** `describe-environment --table`: ENVIRONMENT STATUS DESIRED CURRENT, then the deployment's lines (`formatDeploymentLines`). */
export function formatEnvironmentTable(description: EnvironmentDescription): string {
  const table = renderTable(
    [
      { header: 'ENVIRONMENT', kind: 'first' },
      { header: 'STATUS', kind: 'status' },
      { header: 'DESIRED', kind: 'number' },
      { header: 'CURRENT', kind: 'last' },
    ],
    [[description.EnvironmentName, description.Status, count(description.Desired), count(description.Current)]],
  );
  return withDeploymentLines(table, description.Deployment);
}

function planStepChange(step: PlanStep): string {
  switch (step.Kind) {
    case 'Wave':
      return [step.Stops ? `stop ${step.Stops}` : '', step.Launches ? `launch ${step.Launches}` : ''].filter(Boolean).join(', ');
    case 'Scale':
      return `revision ${step.Revision ?? '?'} to ${step.DesiredCount ?? '?'} tasks`;
    case 'Bake':
      return 'bake (alarms watched)';
    default: {
      const never: never = step.Kind;
      return String(never);
    }
  }
}

/**
 * `plan-deployment --table`: the estimate, then one line per step.
 *
 *   Fleet/Logs:2 (Daemon Replace, from Active 1)
 *   Estimated duration   20 s
 *   Lowest ready         4 of 5 (80 %)
 *   Most extra tasks     0
 *   Timings              start 2 s (observed), ready 1 s (observed), stop 1 s (observed)
 *
 *   AT (S)    STEP      CHANGE
 *   0         Wave      stop 1
 */
export function formatPlanTable(plan: DeploymentPlan): string {
  const t = plan.Seed.Timings;
  const summary = [
    `${plan.EnvironmentName}:${plan.EnvironmentRevision} (${plan.DeploymentType} ${plan.Method}${plan.ActiveRevision === null ? ', first deployment' : `, from Active ${plan.ActiveRevision}`})`,
    `Estimated duration   ${plan.EstimatedDurationSeconds} s${plan.Completes ? '' : ` — does not complete: ${plan.Reason ?? ''}`}`,
    `Lowest ready         ${plan.LowestReadyCount} of ${plan.DesiredCount} (${plan.LowestReadyPercent} %)`,
    `Most extra tasks     ${plan.MostExtraTasks}`,
    `Timings              start ${t.StartSeconds} s (${t.Sources.start}), ready ${t.ReadySeconds} s (${t.Sources.ready}), stop ${t.StopSeconds} s (${t.Sources.stop})`,
    ...plan.Assumptions.map((a, i) => `${i === 0 ? 'Assuming            ' : '                    '} ${a}`),
  ];
  const steps = renderTable(
    [
      { header: 'AT (S)', kind: 'number' },
      { header: 'STEP', kind: 'number' },
      { header: 'CHANGE', kind: 'last' },
    ],
    plan.Steps.map((step) => [String(step.AtSeconds), step.Kind, planStepChange(step)]),
  );
  return `${summary.join('\n')}\n\n${steps}`;
}

/**
 * The revision an environment's list row stands for: the one deploying, else the active one, else
 * the latest (never deployed).
 */
export function summaryRevision(summary: EnvironmentSummary): number | null {
  return summary.DeployingRevision ?? summary.ActiveRevision ?? summary.LatestRevision ?? null;
}

/** `list-environments --table`: ENVIRONMENT STATUS REVISION DESIRED CURRENT. */
export function formatEnvironmentListTable(environments: readonly EnvironmentSummary[]): string {
  return renderTable(
    [
      { header: 'ENVIRONMENT', kind: 'first' },
      { header: 'STATUS', kind: 'status' },
      { header: 'REVISION', kind: 'number' },
      { header: 'DESIRED', kind: 'number' },
      { header: 'CURRENT', kind: 'last' },
    ],
    environments.map((summary) => [
      summary.EnvironmentName,
      summary.Status,
      count(summaryRevision(summary)),
      count(summary.Desired),
      count(summary.Current),
    ]),
  );
}

function resources(value: SimResources | undefined): string {
  return value ? `${value.Remaining}/${value.Registered}` : '-';
}

/**
 * `sim list-instances --table`: INSTANCE STATUS ATTRIBUTES TASKS CPU MEMORY; CPU (units) and MEMORY
 * (MiB) are remaining/registered.
 * ```
 * INSTANCE                  STATUS       ATTRIBUTES    TASKS     CPU          MEMORY
 * i-0a1b2c3d4e5f60001       ACTIVE       stack=prod    1         1024/2048    2048/4096
 * ```
 */
export function formatInstanceTable(instances: readonly SimInstance[]): string {
  return renderTable(
    [
      { header: 'INSTANCE', kind: 'first' },
      { header: 'STATUS', kind: 'status' },
      { header: 'ATTRIBUTES', kind: 'text' },
      { header: 'TASKS', kind: 'number' },
      { header: 'CPU', kind: 'text' },
      { header: 'MEMORY', kind: 'last' },
    ],
    instances.map((instance) => {
      const attributes = Object.entries(instance.Attributes ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(',');
      return [
        instance.Ec2InstanceId ?? lastSegment(instance.ContainerInstanceArn),
        instance.Status,
        attributes || '-',
        count(instance.RunningTasks),
        resources(instance.Cpu),
        resources(instance.Memory),
      ];
    }),
  );
}

function lastSegment(arn: string | undefined): string {
  if (!arn) return '-';
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * `sim list-tasks --table`: TASK INSTANCE REVISION STATUS HEALTH. REVISION is `NAME:N` for a task of
 * a Blox environment, else its task definition; a stopped task's HEALTH carries its stopped reason.
 * ```
 * TASK                                INSTANCE               REVISION                  STATUS       HEALTH
 * 5f1e2d3c4b5a69788796a5b4c3d2e1f0    i-0a1b2c3d4e5f60001    SomeEnvironment/Prod:2    RUNNING      HEALTHY
 * ```
 */
export function formatTaskTable(tasks: readonly SimTask[]): string {
  return renderTable(
    [
      { header: 'TASK', kind: 'first' },
      { header: 'INSTANCE', kind: 'text' },
      { header: 'REVISION', kind: 'text' },
      { header: 'STATUS', kind: 'status' },
      { header: 'HEALTH', kind: 'last' },
    ],
    tasks.map((task) => {
      const revision =
        task.Environment && task.Revision !== undefined && task.Revision !== null
          ? `${task.Environment}:${task.Revision}`
          : (task.TaskDefinition ?? '-');
      const health = task.HealthStatus ?? '-';
      const stopped = task.LastStatus === 'STOPPED' && task.StoppedReason ? ` (${task.StoppedReason})` : '';
      return [
        lastSegment(task.TaskArn),
        task.Ec2InstanceId ?? lastSegment(task.ContainerInstanceArn),
        revision,
        task.LastStatus ?? '-',
        `${health}${stopped}`,
      ];
    }),
  );
}

/**
 * `sim list-target-groups --table`: NAME PROTOCOL PORT HEALTH CHECK LOAD BALANCER.
 * ```
 * NAME                      PROTOCOL    PORT      HEALTH CHECK                          LOAD BALANCER
 * web                       HTTP        80        every 30 s, healthy 5, unhealthy 2    web
 * ```
 */
export function formatTargetGroupTable(groups: readonly SimTargetGroup[]): string {
  return renderTable(
    [
      { header: 'NAME', kind: 'first' },
      { header: 'PROTOCOL', kind: 'text' },
      { header: 'PORT', kind: 'number' },
      { header: 'HEALTH CHECK', kind: 'text' },
      { header: 'LOAD BALANCER', kind: 'last' },
    ],
    groups.map((group) => [
      group.TargetGroupName ?? '-',
      group.Protocol ?? '-',
      count(group.Port),
      `every ${count(group.HealthCheckIntervalSeconds)} s, healthy ${count(group.HealthyThresholdCount)}, unhealthy ${count(group.UnhealthyThresholdCount)}`,
      (group.LoadBalancerArns ?? []).map((arn) => arn.split('/').at(-2) ?? arn).join(',') || '-',
    ]),
  );
}

/**
 * `sim list-listener-rules --table`: LOAD BALANCER PORT PRIORITY FORWARD RULE ARN — FORWARD is each
 * target group's name and weight (`web-blue=100,web-green=0`), or the fixed response's status.
 * ```
 * LOAD BALANCER   PORT   PRIORITY   FORWARD                    RULE ARN
 * web-alb         80     1          web-blue=100,web-green=0   arn:aws:elasticloadbalancing:…:listener-rule/app/web-alb/…
 * web-alb         80     default    fixed-response 404         arn:aws:elasticloadbalancing:…
 * ```
 */
export function formatListenerRuleTable(rules: readonly SimListenerRule[]): string {
  return renderTable(
    [
      { header: 'LOAD BALANCER', kind: 'first' },
      { header: 'PORT', kind: 'number' },
      { header: 'PRIORITY', kind: 'text' },
      { header: 'FORWARD', kind: 'text' },
      { header: 'RULE ARN', kind: 'last' },
    ],
    rules.map((rule) => [
      rule.LoadBalancerName ?? '-',
      count(rule.Port),
      rule.Priority ?? '-',
      (rule.Actions ?? [])
        .map((action) => {
          if (action.Type === 'forward') {
            const groups = action.ForwardConfig?.TargetGroups ?? (action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : []);
            return groups.map((g) => `${g.TargetGroupArn.split('/').at(-2) ?? g.TargetGroupArn}=${g.Weight ?? 1}`).join(',');
          }
          if (action.Type === 'fixed-response') return `fixed-response ${action.FixedResponseConfig?.StatusCode ?? '-'}`;
          return action.Type;
        })
        .join(' ') || '-',
      rule.RuleArn ?? '-',
    ]),
  );
}

/**
 * `sim describe-target-health --table`: TARGET PORT STATE REASON (ELBv2's reason code and description).
 * ```
 * TARGET                    PORT      STATE        REASON
 * i-00000000000000001       32768     initial      Elb.InitialHealthChecking: Initial health checks in progress
 * ```
 */
export function formatTargetHealthTable(targets: readonly SimTargetHealthDescription[]): string {
  return renderTable(
    [
      { header: 'TARGET', kind: 'first' },
      { header: 'PORT', kind: 'number' },
      { header: 'STATE', kind: 'status' },
      { header: 'REASON', kind: 'last' },
    ],
    targets.map((target) => {
      const health = target.TargetHealth ?? { State: '-' };
      const reason = [health.Reason, health.Description].filter((part) => part !== undefined && part !== '').join(': ');
      return [target.Target?.Id ?? '-', count(target.Target?.Port), health.State ?? '-', reason];
    }),
  );
}

/**
 * `sim list-alarms --table`: ALARM STATE SINCE REASON (SINCE: when it entered its state).
 * ```
 * ALARM                     STATE        SINCE                       REASON
 * web-5xx                   ALARM        2024-01-01T00:05:00.000Z    Threshold Crossed: 3 out of the last 3 datapoints [20.0 (01/01/24 00:04:00), …
 * ```
 */
export function formatAlarmTable(alarms: readonly SimAlarm[]): string {
  return renderTable(
    [
      { header: 'ALARM', kind: 'first' },
      { header: 'STATE', kind: 'status' },
      { header: 'SINCE', kind: 'text' },
      { header: 'REASON', kind: 'last' },
    ],
    alarms.map((alarm) => [alarm.AlarmName, alarm.StateValue ?? '-', alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp ?? '-', alarm.StateReason ?? '']),
  );
}

/** One line for stderr: `blox: <message>`, with any line breaks in the message folded into spaces. */
export function formatErrorLine(message: string): string {
  const folded = message
    .split(/\r?\n/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(' ');
  return `blox: ${folded || 'unknown error'}`;
}

/**
 * `sim list-records --table`: NAME TYPE SET ID WEIGHT TARGET CHANGE (the latest change's status).
 * ```
 * NAME                      TYPE      SET ID    WEIGHT    TARGET    CHANGE
 * web.example.internal.     A         blue      90        web-a     INSYNC
 * web.example.internal.     A         green     10        web-b     PENDING
 * ```
 */
export function formatRecordTable(records: readonly SimRecord[]): string {
  return renderTable(
    [
      { header: 'NAME', kind: 'first' },
      { header: 'TYPE', kind: 'text' },
      { header: 'SET ID', kind: 'text' },
      { header: 'WEIGHT', kind: 'number' },
      { header: 'TARGET', kind: 'text' },
      { header: 'CHANGE', kind: 'last' },
    ],
    records.map((record) => [
      record.Name ?? '-',
      record.Type ?? '-',
      record.SetIdentifier ?? '-',
      count(record.Weight),
      record.Target ?? record.ResourceRecords?.map((r) => r.Value).join(',') ?? '-',
      record.ChangeStatus ?? '-',
    ]),
  );
}

/**
 * `sim list-functions --table`: FUNCTION ANSWER CALL BACK INVOCATIONS.
 * ```
 * FUNCTION                  ANSWER       CALL BACK    INVOCATIONS
 * smoke-ok                  SUCCEEDED    -            2
 * ```
 */
export function formatFunctionTable(functions: readonly SimFunction[]): string {
  return renderTable(
    [
      { header: 'FUNCTION', kind: 'first' },
      { header: 'ANSWER', kind: 'text' },
      { header: 'CALL BACK', kind: 'text' },
      { header: 'INVOCATIONS', kind: 'last' },
    ],
    functions.map((fn) => [fn.FunctionName ?? '-', fn.Answer ?? '-', fn.CallBackDelaySeconds === undefined ? '-' : `${fn.CallBackDelaySeconds} s`, count(fn.Invocations)]),
  );
}

/** A duration in seconds as `1h02m03s`, `2m05s`, `41.5s`; `-` when there is none (still running). */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${sec}s` : `${m}m${sec}s`;
}

/**
 * `list-deployments --table`: DEPLOYMENT KIND REVISION TRIGGER STARTED DURATION OUTCOME, newest first.
 * TRIGGER is the person (the caller) for a command, else what triggered it (Alarm, CircuitBreaker, Abort by …).
 * ```
 * DEPLOYMENT                          KIND        REVISION    TRIGGER    STARTED                     DURATION    OUTCOME
 * Web/Prod:2@2026113012013000         deploy      2           local      2026-11-30T12:01:30.000Z    30s         RolledBack
 * ```
 */
export function formatDeploymentsTable(deployments: readonly DeploymentHistoryItem[]): string {
  return renderTable(
    [
      { header: 'DEPLOYMENT', kind: 'first' },
      { header: 'KIND', kind: 'status' },
      { header: 'REVISION', kind: 'number' },
      { header: 'TRIGGER', kind: 'text' },
      { header: 'STARTED', kind: 'text' },
      { header: 'DURATION', kind: 'number' },
      { header: 'OUTCOME', kind: 'last' },
    ],
    deployments.map((d) => [
      d.DeploymentId,
      d.Kind,
      String(d.EnvironmentRevision),
      d.Trigger.Kind === 'User' ? (d.Trigger.By ?? 'User') : d.Trigger.By ? `${d.Trigger.Kind} by ${d.Trigger.By}` : d.Trigger.Kind,
      d.StartedAt,
      formatDuration(d.DurationSeconds),
      d.Outcome,
    ]),
  );
}

function changeValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * `diff-revisions --table`: the spec's changed fields, then the task definitions', one per line,
 * `FIELD  FROM → TO`, under a heading each.
 * ```
 * Web/Prod: revision 1 → 2
 * Spec:
 *   TaskDefinition    web:1 → web:2
 * Task definition web:1 → web:2:
 *   containers.web.image    registry/web:1.0 → registry/web:1.1
 * ```
 */
export function formatRevisionDiff(diff: RevisionDiff): string {
  const block = (changes: readonly FieldChangeView[]) => {
    if (changes.length === 0) return ['  (no changes)'];
    const width = Math.max(...changes.map((c) => c.Field.length)) + 4;
    return changes.map((c) => `  ${c.Field.padEnd(width)}${changeValue(c.From)} → ${changeValue(c.To)}`);
  };
  const td = diff.TaskDefinition;
  const lines = [
    `${diff.EnvironmentName}: revision ${diff.From} → ${diff.To}`,
    'Spec:',
    ...block(diff.SpecChanges),
    `Task definition ${td.From === td.To ? td.From : `${td.From} → ${td.To}`}:`,
    ...(td.Changes ? block(td.Changes) : [`  (not described: ${td.Error ?? 'unknown error'})`]),
  ];
  return lines.join('\n');
}
