/**
 * Simulated Amazon CloudWatch: metrics (what the simulated services and tasks publish) and metric
 * alarms evaluated on them, with the real service's API shapes, errors, limits, throttling, alarm
 * state machine and `CloudWatch Alarm State Change` EventBridge events, on the simulation's clock.
 *
 * ```ts
 * const cloudwatch = new SimulatedCloudWatch({ clock });
 * cloudwatch.onEvent((event) => console.log(event.detail.alarmName, event.detail.state.value));
 * await cloudwatch.putMetricAlarm({ AlarmName: 'web-5xx', … });   // INSUFFICIENT_DATA
 * clock.advance(60_000);                                            // producers publish, alarms evaluate
 * ```
 *
 * Metrics:
 * - Standard resolution: datapoints are kept per minute as statistic sets (SampleCount, Sum,
 *   Minimum, Maximum), for 25 hours (no alarm looks back further than a day). `putMetricData` is the
 *   customer API (custom namespaces; a namespace beginning with `AWS/` is refused, as CloudWatch
 *   reserves them); `recordServiceMetrics` is how AWS services' own metrics arrive (`AWS/ApplicationELB`
 *   from `elbv2.ts`), outside the API.
 * - PutMetricData limits (PutMetricData, CloudWatch API Reference): at most 1,000 datums a call,
 *   30 dimensions a metric, names and values 1–255 characters, `Value` finite and within ±2^360,
 *   one of `Value` / `StatisticValues` / `Values` (≤ 150, with `Counts` of the same length),
 *   `Timestamp` no more than two weeks back nor two hours ahead, `StorageResolution` 1 or 60 (1 is
 *   accepted but stored per minute: high-resolution alarms are not simulated). `Unit` is stored but
 *   not used to select data.
 * - Producers (`addProducer`): once a minute, on the minute, before the alarms are evaluated, each
 *   producer is asked for the minute that just ended (the load balancer's counts, the tasks'
 *   counters), so an alarm evaluated at a minute's end sees that minute.
 *
 * Alarms (metric alarms only; "Using Amazon CloudWatch alarms", CloudWatch User Guide):
 * - PutMetricAlarm on a single metric (`Namespace`, `MetricName`, `Dimensions`, `Statistic`,
 *   `Period`) or on `Metrics` (MetricDataQuery: metric stats and one metric math expression with
 *   `ReturnData: true`, at most 10 metrics, all of one period). Metric math is a subset, evaluated
 *   honestly per period: numbers, metric ids, `+ - * /`, parentheses and `FILL(x, value)`. As in
 *   CloudWatch, an operation on a period where a metric has no datapoint has no result for that
 *   period (so `m1/m2*100` is missing when the load balancer sent no 5xx count — the real ALB sends
 *   none for a zero count: use `FILL(m1, 0)` or `TreatMissingData: notBreaching`), and a division by
 *   zero has none either. Periods are multiples of 60 s; EvaluationPeriods × Period ≤ one day;
 *   DatapointsToAlarm ≤ EvaluationPeriods. Percentiles, anomaly detection and composite alarms are
 *   not simulated (refused with a plain Error, never silently accepted).
 * - A new alarm is `INSUFFICIENT_DATA` ("Unchecked: Initial alarm creation"); updating one keeps
 *   its state. An alarm is evaluated at the end of each of its periods (on period boundaries of the
 *   epoch), over the last EvaluationPeriods + 2 periods (its evaluation range; the User Guide's
 *   example has a range of 5 for 3 periods), by the User Guide's rules for "M out of N" alarms and
 *   missing data ("Configuring how CloudWatch alarms treat missing data", with its tables): the most
 *   recent N datapoints when none is missing; else the most recent N real ones when the range has
 *   that many; else every real one, the rest filled as TreatMissingData says (`breaching`,
 *   `notBreaching`; `missing`: INSUFFICIENT_DATA when all are missing; `ignore`: the state is kept
 *   when the real datapoints cannot decide), with the "premature alarm" rule for `missing`.
 * - SetAlarmState sets a state that holds until the next evaluation, which may change it back (the
 *   User Guide: "This temporary state change lasts only until the next alarm comparison occurs").
 * - Every change of state emits a `CloudWatch Alarm State Change` event (source `aws.cloudwatch`),
 *   shaped like the User Guide's examples (`events/samples/cloudwatch-alarm-*.json`): `resources` is
 *   the alarm ARN; `detail` has `alarmName`, `state` / `previousState` (`value`, `reason`,
 *   `reasonData` as a JSON string, `timestamp` as `2019-10-02T17:04:40.989+0000`) and
 *   `configuration` (`description`, `metrics[]` with `metricStat` or `expression`). Events reach
 *   `onEvent` listeners through the clock, `eventDelayMs` later (never from inside an API call).
 * - DescribeAlarms: by `AlarmNames` (at most 100, else `ValidationError`), `AlarmNamePrefix` (not
 *   with names: `InvalidParameterCombination`) or all, optionally one `StateValue`; alarms in name
 *   order, `MaxRecords` 1–100 (default 50) a page, `NextToken` for the next (a token it did not
 *   give is `InvalidNextToken`).
 * - Request throttling (CloudWatch service quotas, "Rate of <Action> requests", per account and
 *   Region): DescribeAlarms 9 a second, PutMetricAlarm 3, SetAlarmState 3, DeleteAlarms 3,
 *   PutMetricData 500. CloudWatch documents rates, not bursts: each action has a token bucket
 *   holding one second's worth (the conservative reading). A refused request fails with
 *   `Throttling: Rate exceeded` (HTTP 400, the code CloudWatch answers with) and changes nothing.
 * - Errors carry the AWS SDK v3 names: `ResourceNotFound`, `InvalidNextToken`, `InvalidFormatFault`,
 *   `InvalidParameterValueException`, `InvalidParameterCombinationException`,
 *   `MissingRequiredParameterException`, and the query protocol's `ValidationError`.
 *
 * Wiring (see `kernel.ts`): the default world has the alarm `web-5xx` (5xx rate of target group
 * `web` above 5 %: `m1/m2*100` on `HTTPCode_Target_5XX_Count` and `RequestCount`, Sum over 60 s,
 * 3 of 3 periods, missing data not breaching) and `daemon-errors` (Sum of `Errors` of task family
 * `log-daemon` in `Blox/Sim` above 0, 2 of 2 periods, missing data not breaching); `blox sim
 * set-alarm` is `setAlarmState`; the planner's events are `onEvent`'s.
 */
import type { ScheduledTimer, SimScheduler } from './clock';
import type { ServiceMetricDatum } from './elbv2';
import { SimulatedAwsError } from './errors';
import { eventTime } from './events';
import type { TokenBucketLimit } from './rate-buckets';
import { TokenBuckets } from './rate-buckets';
import { uuidLike } from './random';

// ── Shapes (the API's, PascalCase) ───────────────────────────────────────────────────────────────

export interface Dimension {
  Name: string;
  Value: string;
}

export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];
export const COMPARISON_OPERATORS = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
export const TREAT_MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];
export const STATE_VALUES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type StateValue = (typeof STATE_VALUES)[number];

export interface StatisticSet {
  SampleCount: number;
  Sum: number;
  Minimum: number;
  Maximum: number;
}

export interface MetricDatum {
  MetricName: string;
  Dimensions?: Dimension[] | undefined;
  Timestamp?: Date | undefined;
  Value?: number | undefined;
  StatisticValues?: StatisticSet | undefined;
  Values?: number[] | undefined;
  Counts?: number[] | undefined;
  Unit?: string | undefined;
  StorageResolution?: number | undefined;
}

export interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] | undefined };
  Period: number;
  Stat: string;
  Unit?: string | undefined;
}

export interface MetricDataQuery {
  Id: string;
  MetricStat?: MetricStat | undefined;
  Expression?: string | undefined;
  Label?: string | undefined;
  ReturnData?: boolean | undefined;
  Period?: number | undefined;
}

export interface PutMetricAlarmInput {
  AlarmName: string;
  AlarmDescription?: string | undefined;
  ActionsEnabled?: boolean | undefined;
  OKActions?: string[] | undefined;
  AlarmActions?: string[] | undefined;
  InsufficientDataActions?: string[] | undefined;
  MetricName?: string | undefined;
  Namespace?: string | undefined;
  Statistic?: string | undefined;
  ExtendedStatistic?: string | undefined;
  Dimensions?: Dimension[] | undefined;
  Period?: number | undefined;
  Unit?: string | undefined;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number | undefined;
  Threshold?: number | undefined;
  ComparisonOperator: string;
  TreatMissingData?: string | undefined;
  Metrics?: MetricDataQuery[] | undefined;
  ThresholdMetricId?: string | undefined;
}

export interface MetricAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  AlarmConfigurationUpdatedTimestamp: Date;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: StateValue;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: Date;
  StateTransitionedTimestamp: Date;
  MetricName?: string;
  Namespace?: string;
  Statistic?: Statistic;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  TreatMissingData?: TreatMissingData;
  Metrics?: MetricDataQuery[];
}

export interface DescribeAlarmsInput {
  AlarmNames?: string[] | undefined;
  AlarmNamePrefix?: string | undefined;
  AlarmTypes?: Array<'MetricAlarm' | 'CompositeAlarm'> | undefined;
  StateValue?: string | undefined;
  MaxRecords?: number | undefined;
  NextToken?: string | undefined;
}

export interface SetAlarmStateInput {
  AlarmName: string;
  StateValue: string;
  StateReason: string;
  StateReasonData?: string | undefined;
}

/** The EventBridge event CloudWatch sends when an alarm changes state (the shape `events/aws/cloudwatch-alarm-state-change.ts` parses). */
export interface CloudWatchAlarmStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'CloudWatch Alarm State Change';
  source: 'aws.cloudwatch';
  account: string;
  time: string;
  region: string;
  resources: [string];
  detail: {
    alarmName: string;
    state: AlarmStateRecord;
    previousState: AlarmStateRecord;
    configuration: { description?: string; metrics: Array<Record<string, unknown>> };
  };
}

export interface AlarmStateRecord {
  value: StateValue;
  reason: string;
  reasonData?: string;
  timestamp: string;
}

/** What publishes metrics once a minute (the load balancer, the tasks). */
export interface MetricProducer {
  produceMetrics(startMs: number, endMs: number): void;
}

// ── Limits ───────────────────────────────────────────────────────────────────────────────────────

export type CloudWatchAction = 'DescribeAlarms' | 'PutMetricAlarm' | 'SetAlarmState' | 'DeleteAlarms' | 'PutMetricData';

/** CloudWatch service quotas ("Rate of <Action> requests", per account and Region): rates; bursts of one second's worth. */
export const CLOUDWATCH_RATE_LIMITS: Readonly<Record<CloudWatchAction, Readonly<TokenBucketLimit>>> = Object.freeze({
  DescribeAlarms: Object.freeze({ capacity: 9, refillPerSecond: 9 }),
  PutMetricAlarm: Object.freeze({ capacity: 3, refillPerSecond: 3 }),
  SetAlarmState: Object.freeze({ capacity: 3, refillPerSecond: 3 }),
  DeleteAlarms: Object.freeze({ capacity: 3, refillPerSecond: 3 }),
  PutMetricData: Object.freeze({ capacity: 500, refillPerSecond: 500 }),
});

export const CLOUDWATCH_LIMITS = Object.freeze({
  alarmNamesPerDescribe: 100,
  maxRecords: 100,
  defaultMaxRecords: 50,
  datumsPerPutMetricData: 1000,
  dimensionsPerMetric: 30,
  valuesPerDatum: 150,
  metricsPerMathAlarm: 10,
  alarmRangeSeconds: 86_400,
  stateReasonLength: 1023,
  stateReasonDataLength: 4000,
});

const MINUTE = 60_000;
/** Metric data kept (no alarm looks back further than a day). */
const RETENTION_MS = 25 * 3600_000;
const VALUE_LIMIT = 2 ** 360;

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────

function cwError(name: string, message: string, status = 400): SimulatedAwsError {
  return new SimulatedAwsError(name, message, { httpStatusCode: status });
}

function validationError(message: string): SimulatedAwsError {
  return cwError('ValidationError', message);
}

function constraintError(value: unknown, member: string, constraint: string): SimulatedAwsError {
  const shown = value === undefined || value === null ? 'null' : `'${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}'`;
  return validationError(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}

function notSimulated(what: string): Error {
  return new Error(`simulated CloudWatch: ${what} is not simulated`);
}

// ── Metric math (a subset) ───────────────────────────────────────────────────────────────────────

type Expr = { kind: 'number'; value: number } | { kind: 'id'; id: string } | { kind: 'neg'; operand: Expr } | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr } | { kind: 'fill'; operand: Expr; value: number };

/** Parses the supported subset of metric math, or throws a ValidationError naming the query. */
export function parseMetricMath(text: string, where = 'Expression'): Expr {
  const tokens = text.match(/\s*(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),]|\S)/g)?.map((token) => token.trim()) ?? [];
  let position = 0;
  const fail = (message: string): never => {
    throw validationError(`${where}: ${message} in metric math expression '${text}'`);
  };
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const expect = (token: string) => {
    if (next() !== token) fail(`expected '${token}'`);
  };
  const expression = (): Expr => {
    let left = term();
    while (peek() === '+' || peek() === '-') left = { kind: 'binary', op: next() as '+' | '-', left, right: term() };
    return left;
  };
  const term = (): Expr => {
    let left = factor();
    while (peek() === '*' || peek() === '/') left = { kind: 'binary', op: next() as '*' | '/', left, right: factor() };
    return left;
  };
  const factor = (): Expr => {
    const token = next();
    if (token === undefined) return fail('unexpected end');
    if (token === '-') return { kind: 'neg', operand: factor() };
    if (token === '(') {
      const inner = expression();
      expect(')');
      return inner;
    }
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (/^[a-z][A-Za-z0-9_]*$/.test(token)) return { kind: 'id', id: token };
    if (/^[A-Z][A-Z0-9_]*$/.test(token) && peek() === '(') {
      next();
      if (token !== 'FILL') return fail(`the function ${token} is not simulated (only FILL)`);
      const operand = expression();
      expect(',');
      const sign = peek() === '-' ? (next(), -1) : 1;
      const value = next();
      if (value === undefined || !/^\d/.test(value)) return fail('FILL expects a number as its second argument');
      expect(')');
      return { kind: 'fill', operand, value: sign * Number(value) };
    }
    return fail(`unexpected '${token}'`);
  };
  const parsed = expression();
  if (position < tokens.length) fail(`unexpected '${tokens[position]}'`);
  return parsed;
}

function metricMathIds(expr: Expr, into = new Set<string>()): Set<string> {
  switch (expr.kind) {
    case 'id':
      into.add(expr.id);
      break;
    case 'neg':
    case 'fill':
      metricMathIds(expr.operand, into);
      break;
    case 'binary':
      metricMathIds(expr.left, into);
      metricMathIds(expr.right, into);
      break;
    case 'number':
      break;
  }
  return into;
}

/** One period's value: undefined when a metric it uses has no datapoint there (and nothing fills it), or it is not finite. */
function evaluateMetricMath(expr: Expr, lookup: (id: string) => number | undefined): number | undefined {
  const value = (() => {
    switch (expr.kind) {
      case 'number':
        return expr.value;
      case 'id':
        return lookup(expr.id);
      case 'neg': {
        const operand = evaluateMetricMath(expr.operand, lookup);
        return operand === undefined ? undefined : -operand;
      }
      case 'fill':
        return evaluateMetricMath(expr.operand, lookup) ?? expr.value;
      case 'binary': {
        const left = evaluateMetricMath(expr.left, lookup);
        const right = evaluateMetricMath(expr.right, lookup);
        if (left === undefined || right === undefined) return undefined;
        switch (expr.op) {
          case '+':
            return left + right;
          case '-':
            return left - right;
          case '*':
            return left * right;
          case '/':
            return left / right;
        }
      }
    }
  })();
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

// ── State ────────────────────────────────────────────────────────────────────────────────────────

interface Bucket {
  count: number;
  sum: number;
  min: number;
  max: number;
}

interface Series {
  namespace: string;
  name: string;
  dimensions: Dimension[];
  /** Minute start → statistic set. */
  minutes: Map<number, Bucket>;
}

interface AlarmConfig {
  name: string;
  description?: string;
  actionsEnabled: boolean;
  okActions: string[];
  alarmActions: string[];
  insufficientDataActions: string[];
  evaluationPeriods: number;
  datapointsToAlarm: number;
  datapointsToAlarmGiven: boolean;
  threshold: number;
  comparison: ComparisonOperator;
  treatMissingData: TreatMissingData;
  treatMissingDataGiven: boolean;
  period: number;
  /** Single-metric alarms. */
  single?: { namespace: string; metricName: string; dimensions: Dimension[]; statistic: Statistic; unit?: string };
  /** Metric math alarms. */
  queries?: Array<{ id: string; label?: string; returnData: boolean; stat?: { namespace: string; metricName: string; dimensions: Dimension[]; stat: Statistic; period: number; unit?: string }; expression?: { text: string; ast: Expr } }>;
  returnId?: string;
  /** `configuration.metrics[].id` of a single-metric alarm's event. */
  eventMetricId: string;
}

interface AlarmRecord {
  arn: string;
  config: AlarmConfig;
  configUpdatedAt: number;
  value: StateValue;
  reason: string;
  reasonData?: string;
  updatedAt: number;
  transitionedAt: number;
}

interface Slot {
  start: number;
  value: number | undefined;
}

export interface SimulatedCloudWatchOptions {
  clock: SimScheduler;
  /** Seeds the identifiers (event ids, metric ids in events). Default 1. */
  seed?: number;
  account?: string;
  region?: string;
  /** Delay between a state change and its event's delivery to listeners. Default 0 (the next clock run). */
  eventDelayMs?: number;
  /** CloudWatch's request throttling: its documented rates by default, `false` off, or other figures. */
  rateLimits?: false | Partial<Record<CloudWatchAction, TokenBucketLimit>>;
}

export type AlarmEventListener = (event: CloudWatchAlarmStateChangeEvent) => void;

export class SimulatedCloudWatch {
  readonly account: string;
  readonly region: string;
  readonly seed: number;
  private readonly clock: SimScheduler;
  private readonly eventDelayMs: number;
  private readonly buckets: TokenBuckets<CloudWatchAction> | undefined;
  private readonly series = new Map<string, Series>();
  private readonly alarms = new Map<string, AlarmRecord>();
  private readonly producers: MetricProducer[] = [];
  private readonly listeners = new Set<AlarmEventListener>();
  private readonly pending = new Set<ScheduledTimer>();
  private tick: ScheduledTimer | undefined;
  private counters = { event: 0, alarm: 0 };

  constructor(options: SimulatedCloudWatchOptions) {
    this.clock = options.clock;
    this.seed = options.seed ?? 1;
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.eventDelayMs = options.eventDelayMs ?? 0;
    if (options.rateLimits !== false) this.buckets = new TokenBuckets({ ...CLOUDWATCH_RATE_LIMITS, ...options.rateLimits }, this.clock);
    this.armTick();
  }

  /** Stops the minute clock and drops undelivered events (the service is gone). */
  close(): void {
    this.tick?.cancel();
    this.tick = undefined;
    for (const timer of this.pending) timer.cancel();
    this.pending.clear();
  }

  /** Subscribes to alarm state change events; returns the unsubscribe function. */
  onEvent(listener: AlarmEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks `producer` for each minute's metrics, on the minute, before alarms are evaluated. */
  addProducer(producer: MetricProducer): void {
    this.producers.push(producer);
  }

  /** The tokens left in an action's throttling bucket (undefined when throttling is off). */
  rateLimitTokens(action: CloudWatchAction): number | undefined {
    return this.buckets?.tokens(action);
  }

  // ── Metrics ────────────────────────────────────────────────────────────────────────────────────

  async putMetricData(input: { Namespace: string; MetricData: MetricDatum[] }): Promise<Record<string, never>> {
    this.charge('PutMetricData');
    const namespace = input.Namespace;
    if (namespace === undefined || namespace === null) throw cwError('MissingRequiredParameterException', 'The parameter Namespace is required.');
    if (namespace.length < 1 || namespace.length > 255) throw constraintError(namespace, 'namespace', 'Member must have length between 1 and 255');
    if (namespace.startsWith('AWS/')) throw cwError('InvalidParameterValueException', `The value ${namespace} for parameter Namespace is invalid.`);
    const data = input.MetricData;
    if (!Array.isArray(data) || data.length === 0) throw cwError('MissingRequiredParameterException', 'The parameter MetricData is required.');
    if (data.length > CLOUDWATCH_LIMITS.datumsPerPutMetricData) throw constraintError(`${data.length} items`, 'metricData', `Member must have length less than or equal to ${CLOUDWATCH_LIMITS.datumsPerPutMetricData}`);
    const now = this.clock.now();
    const sets = data.map((datum, index) => this.validateDatum(datum, `MetricData.member.${index + 1}`, now));
    data.forEach((datum, index) => this.store(namespace, datum.MetricName, datum.Dimensions ?? [], datum.Timestamp?.getTime() ?? now, sets[index]!));
    return {};
  }

  /** An AWS service's own metrics (e.g. `AWS/ApplicationELB`): not an API call, not throttled. */
  recordServiceMetrics(namespace: string, data: readonly ServiceMetricDatum[]): void {
    for (const datum of data) {
      this.store(namespace, datum.MetricName, datum.Dimensions, datum.Timestamp.getTime(), { count: 1, sum: datum.Value, min: datum.Value, max: datum.Value });
    }
  }

  /**
   * A metric's statistic over [startMs, startMs + periodSeconds) (the GetMetricStatistics view of
   * one period), or undefined when it has no datapoint there. For inspection and tests.
   */
  statistic(metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] }, stat: Statistic, startMs: number, periodSeconds = 60): number | undefined {
    return this.aggregate(metric.Namespace, metric.MetricName, metric.Dimensions ?? [], stat, startMs, periodSeconds);
  }

  // ── Alarms: the API ────────────────────────────────────────────────────────────────────────────

  async putMetricAlarm(input: PutMetricAlarmInput): Promise<Record<string, never>> {
    this.charge('PutMetricAlarm');
    this.defineAlarm(input);
    return {};
  }

  /** PutMetricAlarm's effect without the API call (the world file's alarms): validated alike, not throttled. */
  defineAlarm(input: PutMetricAlarmInput): void {
    const existing = this.alarms.get(input.AlarmName);
    const config = this.validateAlarm(input, existing?.config.eventMetricId);
    const now = this.clock.now();
    if (existing) {
      existing.config = config;
      existing.configUpdatedAt = now;
    } else {
      this.alarms.set(config.name, {
        arn: `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${config.name}`,
        config,
        configUpdatedAt: now,
        value: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        updatedAt: now,
        transitionedAt: now,
      });
    }
  }

  async describeAlarms(input: DescribeAlarmsInput = {}): Promise<{ MetricAlarms: MetricAlarm[]; CompositeAlarms: []; NextToken?: string }> {
    this.charge('DescribeAlarms');
    const names = input.AlarmNames;
    if (names !== undefined && names.length > CLOUDWATCH_LIMITS.alarmNamesPerDescribe) {
      throw constraintError(names, 'alarmNames', `Member must have length less than or equal to ${CLOUDWATCH_LIMITS.alarmNamesPerDescribe}`);
    }
    const maxRecords = input.MaxRecords ?? CLOUDWATCH_LIMITS.defaultMaxRecords;
    if (!Number.isInteger(maxRecords)) throw constraintError(maxRecords, 'maxRecords', 'Member must be an integer');
    if (maxRecords < 1) throw constraintError(maxRecords, 'maxRecords', 'Member must have value greater than or equal to 1');
    if (maxRecords > CLOUDWATCH_LIMITS.maxRecords) throw constraintError(maxRecords, 'maxRecords', `Member must have value less than or equal to ${CLOUDWATCH_LIMITS.maxRecords}`);
    if (names !== undefined && input.AlarmNamePrefix !== undefined) {
      throw cwError('InvalidParameterCombinationException', 'AlarmNamePrefix and AlarmNames cannot be specified together.');
    }
    if (input.StateValue !== undefined && !(STATE_VALUES as readonly string[]).includes(input.StateValue)) {
      throw constraintError(input.StateValue, 'stateValue', `Member must satisfy enum value set: [${STATE_VALUES.join(', ')}]`);
    }
    let after: string | undefined;
    if (input.NextToken !== undefined) {
      after = decodeToken(input.NextToken);
      if (after === undefined) throw cwError('InvalidNextToken', 'The service returned an invalid NextToken.');
    }
    const wantMetricAlarms = input.AlarmTypes === undefined || input.AlarmTypes.includes('MetricAlarm');
    const wanted = names !== undefined ? new Set(names) : undefined;
    const matching = wantMetricAlarms
      ? [...this.alarms.keys()]
          .filter((name) => (wanted ? wanted.has(name) : true))
          .filter((name) => input.AlarmNamePrefix === undefined || name.startsWith(input.AlarmNamePrefix))
          .filter((name) => input.StateValue === undefined || this.alarms.get(name)!.value === input.StateValue)
          .sort(compareNames)
      : [];
    const remaining = after === undefined ? matching : matching.filter((name) => compareNames(name, after) > 0);
    const page = remaining.slice(0, maxRecords);
    const result: { MetricAlarms: MetricAlarm[]; CompositeAlarms: []; NextToken?: string } = {
      MetricAlarms: page.map((name) => this.toMetricAlarm(this.alarms.get(name)!)),
      CompositeAlarms: [],
    };
    if (remaining.length > page.length) result.NextToken = encodeToken(page[page.length - 1]!);
    return result;
  }

  /** Sets an alarm's state now; the next evaluation may change it back. */
  async setAlarmState(input: SetAlarmStateInput): Promise<Record<string, never>> {
    this.charge('SetAlarmState');
    if (!input.AlarmName) throw cwError('MissingRequiredParameterException', 'The parameter AlarmName is required.');
    if (!(STATE_VALUES as readonly string[]).includes(input.StateValue)) {
      throw constraintError(input.StateValue, 'stateValue', `Member must satisfy enum value set: [${STATE_VALUES.join(', ')}]`);
    }
    if (input.StateReason === undefined || input.StateReason === null) throw cwError('MissingRequiredParameterException', 'The parameter StateReason is required.');
    if (input.StateReason.length > CLOUDWATCH_LIMITS.stateReasonLength) {
      throw constraintError(input.StateReason, 'stateReason', `Member must have length less than or equal to ${CLOUDWATCH_LIMITS.stateReasonLength}`);
    }
    if (input.StateReasonData !== undefined) {
      if (input.StateReasonData.length > CLOUDWATCH_LIMITS.stateReasonDataLength) {
        throw constraintError(input.StateReasonData, 'stateReasonData', `Member must have length less than or equal to ${CLOUDWATCH_LIMITS.stateReasonDataLength}`);
      }
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw cwError('InvalidFormatFault', 'Data was not syntactically valid JSON');
      }
    }
    const alarm = this.alarms.get(input.AlarmName);
    if (!alarm) throw cwError('ResourceNotFound', `Alarm ${input.AlarmName} not found`, 404);
    this.changeState(alarm, input.StateValue as StateValue, input.StateReason, input.StateReasonData);
    return {};
  }

  async deleteAlarms(input: { AlarmNames: string[] }): Promise<Record<string, never>> {
    this.charge('DeleteAlarms');
    const names = input.AlarmNames ?? [];
    if (names.length > CLOUDWATCH_LIMITS.alarmNamesPerDescribe) {
      throw constraintError(names, 'alarmNames', `Member must have length less than or equal to ${CLOUDWATCH_LIMITS.alarmNamesPerDescribe}`);
    }
    const missing = names.filter((name) => !this.alarms.has(name));
    if (missing.length > 0) throw cwError('ResourceNotFound', `The following alarms were not found: [${missing.join(', ')}]`, 404);
    for (const name of names) this.alarms.delete(name);
    return {};
  }

  // ── The minute clock ───────────────────────────────────────────────────────────────────────────

  private armTick(): void {
    const next = (Math.floor(this.clock.now() / MINUTE) + 1) * MINUTE;
    this.tick = this.clock.schedule(next, () => {
      this.onMinute(next);
      this.armTick();
    });
  }

  private onMinute(end: number): void {
    for (const producer of this.producers) producer.produceMetrics(end - MINUTE, end);
    for (const alarm of [...this.alarms.values()]) {
      if (end % (alarm.config.period * 1000) === 0) this.evaluate(alarm, end);
    }
    if (end % 3600_000 === 0) this.prune(end - RETENTION_MS);
  }

  // ── Evaluation ─────────────────────────────────────────────────────────────────────────────────

  private evaluate(alarm: AlarmRecord, at: number): void {
    const config = alarm.config;
    const n = config.evaluationPeriods;
    const m = config.datapointsToAlarm;
    const periodMs = config.period * 1000;
    const range = n + 2;
    const slots: Slot[] = [];
    for (let k = range; k >= 1; k--) {
      const start = at - k * periodMs;
      slots.push({ start, value: this.valueAt(config, start) });
    }
    const breaches = (value: number) => compare(config.comparison, value, config.threshold);
    const real = slots.filter((slot) => slot.value !== undefined);
    const lastN = slots.slice(-n);
    let evaluated: Slot[];
    let filled = 0;
    if (lastN.every((slot) => slot.value !== undefined)) evaluated = lastN;
    else if (real.length >= n) evaluated = real.slice(-n);
    else {
      evaluated = real;
      filled = n - real.length;
    }
    const breaching = evaluated.filter((slot) => breaches(slot.value!)).length;
    const notBreaching = evaluated.length - breaching;
    const treat = config.treatMissingData;
    let next: StateValue | 'retain';
    if (filled === 0 || treat === 'breaching' || treat === 'notBreaching') {
      next = breaching + (treat === 'breaching' ? filled : 0) >= m ? 'ALARM' : 'OK';
    } else if (real.length === 0) {
      next = treat === 'missing' ? 'INSUFFICIENT_DATA' : 'retain';
    } else if (breaching >= m) {
      next = 'ALARM';
    } else if (treat === 'missing' && notBreaching === 0 && this.premature(lastN, m, breaches)) {
      next = 'ALARM';
    } else {
      next = notBreaching > 0 ? 'OK' : 'retain';
    }
    if (next === 'retain' || next === alarm.value) return;
    const { reason, reasonData } = this.explain(config, next, at, evaluated, filled, breaching, notBreaching);
    this.changeState(alarm, next, reason, reasonData);
  }

  /** The User Guide's "premature alarm" rule: the oldest breaching datapoint of the last N is at least M periods old, and every newer one breaches or is missing. */
  private premature(lastN: Slot[], m: number, breaches: (value: number) => boolean): boolean {
    const oldest = lastN.findIndex((slot) => slot.value !== undefined && breaches(slot.value));
    if (oldest < 0) return false;
    const age = lastN.length - oldest;
    return age >= m && lastN.slice(oldest).every((slot) => slot.value === undefined || breaches(slot.value));
  }

  private explain(config: AlarmConfig, next: StateValue, at: number, evaluated: Slot[], filled: number, breaching: number, notBreaching: number): { reason: string; reasonData: string } {
    const newestFirst = [...evaluated].reverse();
    const list = newestFirst.map((slot) => `${javaNumber(slot.value!)} (${reasonDate(slot.start)})`).join(', ');
    const phrase = OPERATOR_PHRASE[config.comparison];
    const treatedAs = config.treatMissingData === 'breaching' ? 'Breaching' : config.treatMissingData === 'notBreaching' ? 'NonBreaching' : 'Missing';
    const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
    let reason: string;
    if (next === 'INSUFFICIENT_DATA') {
      reason = `Insufficient Data: ${plural(config.evaluationPeriods, 'datapoint')} ${config.evaluationPeriods === 1 ? 'was' : 'were'} unknown.`;
    } else if (evaluated.length === 0) {
      reason = `Threshold Crossed: no datapoints were received for ${plural(filled, 'period')} and ${plural(filled, 'missing datapoint')} ${filled === 1 ? 'was' : 'were'} treated as [${treatedAs}].`;
    } else {
      const counted = next === 'ALARM' ? breaching : notBreaching;
      const total = evaluated.length;
      const verb = counted === 1 ? 'was' : 'were';
      const transition = next === 'ALARM' ? `minimum ${plural(config.datapointsToAlarm, 'datapoint')} for OK -> ALARM transition` : 'minimum 1 datapoint for ALARM -> OK transition';
      const missing = filled > 0 ? ` and ${plural(filled, 'missing datapoint')} ${filled === 1 ? 'was' : 'were'} treated as [${treatedAs}]` : '';
      reason = `Threshold Crossed: ${counted} out of the last ${total} datapoints [${list}] ${verb} ${next === 'ALARM' ? '' : 'not '}${phrase} the threshold (${javaNumber(config.threshold)})${missing} (${transition}).`;
    }
    const data: Record<string, unknown> = { version: '1.0', queryDate: cloudWatchTimestamp(at) };
    if (evaluated.length > 0) data.startDate = cloudWatchTimestamp(evaluated[0]!.start);
    if (config.single) data.statistic = config.single.statistic;
    data.period = config.period;
    data.recentDatapoints = evaluated.map((slot) => slot.value);
    data.threshold = config.threshold;
    if (evaluated.length > 0) data.evaluatedDatapoints = newestFirst.map((slot) => ({ timestamp: cloudWatchTimestamp(slot.start), value: slot.value }));
    return { reason, reasonData: JSON.stringify(data) };
  }

  private changeState(alarm: AlarmRecord, value: StateValue, reason: string, reasonData: string | undefined): void {
    const now = this.clock.now();
    const previous: AlarmStateRecord = { value: alarm.value, reason: alarm.reason, timestamp: cloudWatchTimestamp(alarm.updatedAt) };
    if (alarm.reasonData !== undefined) previous.reasonData = alarm.reasonData;
    const changed = alarm.value !== value;
    alarm.value = value;
    alarm.reason = reason;
    if (reasonData === undefined) delete alarm.reasonData;
    else alarm.reasonData = reasonData;
    alarm.updatedAt = now;
    if (!changed) return;
    alarm.transitionedAt = now;
    const state: AlarmStateRecord = { value, reason, timestamp: cloudWatchTimestamp(now) };
    if (reasonData !== undefined) state.reasonData = reasonData;
    const event: CloudWatchAlarmStateChangeEvent = {
      version: '0',
      id: uuidLike(this.seed, 31, ++this.counters.event),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: this.account,
      time: eventTime(now),
      region: this.region,
      resources: [alarm.arn],
      detail: { alarmName: alarm.config.name, state, previousState: previous, configuration: this.eventConfiguration(alarm.config) },
    };
    const timer = this.clock.schedule(now + this.eventDelayMs, () => {
      this.pending.delete(timer);
      let failure: unknown;
      for (const listener of [...this.listeners]) {
        try {
          listener(structuredClone(event));
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    });
    this.pending.add(timer);
  }

  private eventConfiguration(config: AlarmConfig): CloudWatchAlarmStateChangeEvent['detail']['configuration'] {
    const metricStat = (stat: { namespace: string; metricName: string; dimensions: Dimension[] }, period: number, statistic: string) => ({
      metric: { dimensions: Object.fromEntries(stat.dimensions.map((d) => [d.Name, d.Value])), name: stat.metricName, namespace: stat.namespace },
      period,
      stat: statistic,
    });
    const metrics: Array<Record<string, unknown>> = config.single
      ? [{ id: config.eventMetricId, metricStat: metricStat(config.single, config.period, config.single.statistic), returnData: true }]
      : (config.queries ?? []).map((query) =>
          query.expression
            ? { expression: query.expression.text, id: query.id, ...(query.label !== undefined ? { label: query.label } : {}), returnData: query.returnData }
            : { id: query.id, metricStat: metricStat(query.stat!, query.stat!.period, query.stat!.stat), returnData: query.returnData },
        );
    return { ...(config.description !== undefined ? { description: config.description } : {}), metrics };
  }

  private valueAt(config: AlarmConfig, start: number): number | undefined {
    if (config.single) {
      const s = config.single;
      return this.aggregate(s.namespace, s.metricName, s.dimensions, s.statistic, start, config.period);
    }
    const queries = new Map((config.queries ?? []).map((query) => [query.id, query]));
    const cache = new Map<string, number | undefined>();
    const lookup = (id: string): number | undefined => {
      if (cache.has(id)) return cache.get(id);
      const query = queries.get(id)!;
      const value = query.stat
        ? this.aggregate(query.stat.namespace, query.stat.metricName, query.stat.dimensions, query.stat.stat, start, query.stat.period)
        : evaluateMetricMath(query.expression!.ast, lookup);
      cache.set(id, value);
      return value;
    };
    return lookup(config.returnId!);
  }

  // ── Storage ────────────────────────────────────────────────────────────────────────────────────

  private store(namespace: string, name: string, dimensions: Dimension[], timestamp: number, set: Bucket): void {
    const key = seriesKey(namespace, name, dimensions);
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { namespace, name, dimensions: dimensions.map((d) => ({ Name: d.Name, Value: d.Value })), minutes: new Map() }));
    const minute = Math.floor(timestamp / MINUTE) * MINUTE;
    const bucket = series.minutes.get(minute);
    if (!bucket) series.minutes.set(minute, { ...set });
    else {
      bucket.count += set.count;
      bucket.sum += set.sum;
      bucket.min = Math.min(bucket.min, set.min);
      bucket.max = Math.max(bucket.max, set.max);
    }
  }

  private aggregate(namespace: string, name: string, dimensions: Dimension[], stat: Statistic, start: number, periodSeconds: number): number | undefined {
    const series = this.series.get(seriesKey(namespace, name, dimensions));
    if (!series) return undefined;
    let total: Bucket | undefined;
    for (let minute = start; minute < start + periodSeconds * 1000; minute += MINUTE) {
      const bucket = series.minutes.get(minute);
      if (!bucket) continue;
      total = total ? { count: total.count + bucket.count, sum: total.sum + bucket.sum, min: Math.min(total.min, bucket.min), max: Math.max(total.max, bucket.max) } : { ...bucket };
    }
    if (!total) return undefined;
    switch (stat) {
      case 'SampleCount':
        return total.count;
      case 'Sum':
        return total.sum;
      case 'Average':
        return total.sum / total.count;
      case 'Minimum':
        return total.min;
      case 'Maximum':
        return total.max;
    }
  }

  private prune(before: number): void {
    for (const [key, series] of this.series) {
      for (const minute of series.minutes.keys()) if (minute < before) series.minutes.delete(minute);
      if (series.minutes.size === 0) this.series.delete(key);
    }
  }

  // ── Validation ─────────────────────────────────────────────────────────────────────────────────

  private charge(action: CloudWatchAction): void {
    if (this.buckets && !this.buckets.take([action])) {
      throw new SimulatedAwsError('Throttling', 'Rate exceeded', { retryable: { throttling: true } });
    }
  }

  private validateDatum(datum: MetricDatum, where: string, now: number): Bucket {
    if (!datum.MetricName || datum.MetricName.length > 255) throw constraintError(datum.MetricName, `${where}.metricName`, 'Member must have length between 1 and 255');
    this.validateDimensions(datum.Dimensions ?? [], `${where}.Dimensions`);
    const given = [datum.Value !== undefined, datum.StatisticValues !== undefined, datum.Values !== undefined].filter(Boolean).length;
    if (given > 1) throw cwError('InvalidParameterCombinationException', `The parameters ${where}.Value, ${where}.StatisticValues and ${where}.Values are mutually exclusive and you have specified more than one.`);
    if (given === 0) throw cwError('MissingRequiredParameterException', `At least one of the parameters ${where}.Value, ${where}.StatisticValues or ${where}.Values must be specified.`);
    const finite = (value: number, member: string) => {
      if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > VALUE_LIMIT) throw cwError('InvalidParameterValueException', `The value ${value} for parameter ${member} is invalid.`);
    };
    if (datum.Timestamp !== undefined) {
      const at = datum.Timestamp.getTime();
      if (!Number.isFinite(at)) throw cwError('InvalidParameterValueException', `The parameter ${where}.Timestamp is not a valid timestamp.`);
      if (at < now - 14 * 86_400_000) throw cwError('InvalidParameterValueException', `The parameter ${where}.Timestamp must specify a time no more than two weeks in the past.`);
      if (at > now + 2 * 3600_000) throw cwError('InvalidParameterValueException', `The parameter ${where}.Timestamp must specify a time no more than two hours in the future.`);
    }
    if (datum.StorageResolution !== undefined && datum.StorageResolution !== 1 && datum.StorageResolution !== 60) {
      throw cwError('InvalidParameterValueException', `The value ${datum.StorageResolution} for parameter ${where}.StorageResolution is invalid: valid values are 1 and 60.`);
    }
    if (datum.Value !== undefined) {
      finite(datum.Value, `${where}.Value`);
      return { count: 1, sum: datum.Value, min: datum.Value, max: datum.Value };
    }
    if (datum.StatisticValues !== undefined) {
      const s = datum.StatisticValues;
      for (const key of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) finite(s[key], `${where}.StatisticValues.${key}`);
      if (!(s.SampleCount > 0) || s.Minimum > s.Maximum) throw cwError('InvalidParameterValueException', `The parameter ${where}.StatisticValues is not a consistent statistic set.`);
      return { count: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum };
    }
    const values = datum.Values!;
    if (values.length === 0 || values.length > CLOUDWATCH_LIMITS.valuesPerDatum) throw constraintError(`${values.length} values`, `${where}.values`, `Member must have length between 1 and ${CLOUDWATCH_LIMITS.valuesPerDatum}`);
    const counts = datum.Counts ?? values.map(() => 1);
    if (counts.length !== values.length) throw cwError('InvalidParameterValueException', `The parameters ${where}.Values and ${where}.Counts must be of the same size.`);
    values.forEach((value, i) => finite(value, `${where}.Values.member.${i + 1}`));
    const count = counts.reduce((a, b) => a + b, 0);
    return { count, sum: values.reduce((a, value, i) => a + value * counts[i]!, 0), min: Math.min(...values), max: Math.max(...values) };
  }

  private validateDimensions(dimensions: Dimension[], where: string): void {
    if (dimensions.length > CLOUDWATCH_LIMITS.dimensionsPerMetric) {
      throw constraintError(`${dimensions.length} dimensions`, where, `Member must have length less than or equal to ${CLOUDWATCH_LIMITS.dimensionsPerMetric}`);
    }
    const seen = new Set<string>();
    dimensions.forEach((dimension, i) => {
      if (!dimension.Name || dimension.Name.length > 255) throw constraintError(dimension.Name, `${where}.member.${i + 1}.name`, 'Member must have length between 1 and 255');
      if (!dimension.Value || dimension.Value.length > 255) throw constraintError(dimension.Value, `${where}.member.${i + 1}.value`, 'Member must have length between 1 and 255');
      if (seen.has(dimension.Name)) throw cwError('InvalidParameterValueException', `No metric may have more than one dimension named ${dimension.Name}.`);
      seen.add(dimension.Name);
    });
  }

  private validateAlarm(input: PutMetricAlarmInput, eventMetricId: string | undefined): AlarmConfig {
    const name = input.AlarmName;
    if (!name) throw cwError('MissingRequiredParameterException', 'The parameter AlarmName is required.');
    if (name.length > 255) throw constraintError(name, 'alarmName', 'Member must have length less than or equal to 255');
    if ([...name].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) throw cwError('InvalidParameterValueException', 'The alarm name must not contain control characters.');
    if (input.AlarmDescription !== undefined && input.AlarmDescription.length > 1024) throw constraintError(input.AlarmDescription, 'alarmDescription', 'Member must have length less than or equal to 1024');
    if (input.ExtendedStatistic !== undefined) throw notSimulated('ExtendedStatistic (percentiles)');
    if (input.ThresholdMetricId !== undefined) throw notSimulated('ThresholdMetricId (anomaly detection)');
    if (!(COMPARISON_OPERATORS as readonly string[]).includes(input.ComparisonOperator)) {
      if (/Band|UpperThreshold|LowerThreshold/.test(String(input.ComparisonOperator))) throw notSimulated(`ComparisonOperator ${input.ComparisonOperator}`);
      throw constraintError(input.ComparisonOperator, 'comparisonOperator', `Member must satisfy enum value set: [${COMPARISON_OPERATORS.join(', ')}]`);
    }
    if (typeof input.Threshold !== 'number' || !Number.isFinite(input.Threshold)) throw cwError('MissingRequiredParameterException', 'The parameter Threshold is required.');
    const treat = input.TreatMissingData ?? 'missing';
    if (!(TREAT_MISSING_DATA as readonly string[]).includes(treat)) {
      throw cwError('InvalidParameterValueException', `The value ${treat} for parameter TreatMissingData is invalid: valid values are ${TREAT_MISSING_DATA.join(', ')}.`);
    }
    const evaluationPeriods = input.EvaluationPeriods;
    if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) throw constraintError(evaluationPeriods, 'evaluationPeriods', 'Member must have value greater than or equal to 1');
    const datapointsToAlarm = input.DatapointsToAlarm ?? evaluationPeriods;
    if (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1) throw constraintError(datapointsToAlarm, 'datapointsToAlarm', 'Member must have value greater than or equal to 1');
    if (datapointsToAlarm > evaluationPeriods) throw validationError('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
    const single = input.MetricName !== undefined || input.Namespace !== undefined || input.Statistic !== undefined || input.Dimensions !== undefined || input.Period !== undefined;
    if (single && input.Metrics !== undefined) {
      throw cwError('InvalidParameterCombinationException', 'The parameters MetricName, Namespace, Statistic, Dimensions and Period cannot be specified together with Metrics.');
    }
    const checkPeriod = (period: unknown, member: string): number => {
      if (!Number.isInteger(period) || (period as number) < 1) throw constraintError(period, member, 'Member must have value greater than or equal to 1');
      const value = period as number;
      if (value === 10 || value === 20 || value === 30) throw notSimulated('a high-resolution alarm (Period 10, 20 or 30)');
      if (value % 60 !== 0) throw validationError(`The value ${value} for ${member} is invalid: the period must be 10, 20, 30 or a multiple of 60.`);
      return value;
    };
    const checkStatistic = (stat: unknown, member: string): Statistic => {
      if (!(STATISTICS as readonly unknown[]).includes(stat)) {
        if (typeof stat === 'string' && /^(p|tm|wm|tc|ts|pr|iqm)/i.test(stat)) throw notSimulated(`the statistic ${stat}`);
        throw constraintError(stat, member, `Member must satisfy enum value set: [${STATISTICS.join(', ')}]`);
      }
      return stat as Statistic;
    };
    const base = {
      name,
      ...(input.AlarmDescription !== undefined ? { description: input.AlarmDescription } : {}),
      actionsEnabled: input.ActionsEnabled ?? true,
      okActions: [...(input.OKActions ?? [])],
      alarmActions: [...(input.AlarmActions ?? [])],
      insufficientDataActions: [...(input.InsufficientDataActions ?? [])],
      evaluationPeriods,
      datapointsToAlarm,
      datapointsToAlarmGiven: input.DatapointsToAlarm !== undefined,
      threshold: input.Threshold,
      comparison: input.ComparisonOperator as ComparisonOperator,
      treatMissingData: treat as TreatMissingData,
      treatMissingDataGiven: input.TreatMissingData !== undefined,
      eventMetricId: eventMetricId ?? uuidLike(this.seed, 32, ++this.counters.alarm),
    };
    let config: AlarmConfig;
    if (input.Metrics === undefined) {
      if (!input.Namespace) throw cwError('MissingRequiredParameterException', 'The parameter Namespace is required.');
      if (!input.MetricName) throw cwError('MissingRequiredParameterException', 'The parameter MetricName is required.');
      if (input.Statistic === undefined) throw cwError('MissingRequiredParameterException', 'The parameter Statistic is required.');
      if (input.Period === undefined) throw cwError('MissingRequiredParameterException', 'The parameter Period is required.');
      const dimensions = input.Dimensions ?? [];
      this.validateDimensions(dimensions, 'Dimensions');
      config = {
        ...base,
        period: checkPeriod(input.Period, 'period'),
        single: {
          namespace: input.Namespace,
          metricName: input.MetricName,
          dimensions: dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
          statistic: checkStatistic(input.Statistic, 'statistic'),
          ...(input.Unit !== undefined ? { unit: input.Unit } : {}),
        },
      };
    } else {
      const metrics = input.Metrics;
      if (metrics.length === 0) throw cwError('MissingRequiredParameterException', 'The parameter Metrics is required.');
      const ids = new Set<string>();
      const queries: NonNullable<AlarmConfig['queries']> = metrics.map((query, i) => {
        const member = `metrics.${i + 1}.member`;
        if (!query.Id || !/^[a-z][A-Za-z0-9_]*$/.test(query.Id)) {
          throw validationError(`The value ${String(query.Id)} for ${member}.id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores.`);
        }
        if (ids.has(query.Id)) throw validationError(`The Id ${query.Id} is used more than once in Metrics.`);
        ids.add(query.Id);
        if ((query.MetricStat === undefined) === (query.Expression === undefined)) {
          throw validationError(`${member}: exactly one of MetricStat and Expression must be specified.`);
        }
        const returnData = query.ReturnData ?? true;
        const label = query.Label !== undefined ? { label: query.Label } : {};
        if (query.MetricStat) {
          const stat = query.MetricStat;
          if (!stat.Metric?.Namespace || !stat.Metric.MetricName) throw cwError('MissingRequiredParameterException', `The parameters ${member}.MetricStat.Metric.Namespace and MetricName are required.`);
          const dimensions = stat.Metric.Dimensions ?? [];
          this.validateDimensions(dimensions, `${member}.MetricStat.Metric.Dimensions`);
          return {
            id: query.Id,
            ...label,
            returnData,
            stat: {
              namespace: stat.Metric.Namespace,
              metricName: stat.Metric.MetricName,
              dimensions: dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
              stat: checkStatistic(stat.Stat, `${member}.metricStat.stat`),
              period: checkPeriod(stat.Period, `${member}.metricStat.period`),
              ...(stat.Unit !== undefined ? { unit: stat.Unit } : {}),
            },
          };
        }
        return { id: query.Id, ...label, returnData, expression: { text: query.Expression!, ast: parseMetricMath(query.Expression!, `${member}.expression`) } };
      });
      const returning = queries.filter((query) => query.returnData);
      if (returning.length !== 1) throw validationError('Exactly one element of the metrics list should return data.');
      const stats = queries.filter((query) => query.stat);
      if (stats.length > CLOUDWATCH_LIMITS.metricsPerMathAlarm) throw validationError(`An alarm on a math expression can include at most ${CLOUDWATCH_LIMITS.metricsPerMathAlarm} metrics.`);
      if (stats.length === 0) throw validationError('The metrics list must contain at least one metric.');
      const periods = new Set(stats.map((query) => query.stat!.period));
      if (periods.size > 1) throw validationError('All metrics in an alarm on a math expression must use the same period.');
      for (const query of queries) {
        if (!query.expression) continue;
        for (const id of metricMathIds(query.expression.ast)) {
          if (!ids.has(id)) throw validationError(`The expression of ${query.id} refers to ${id}, which is not in the metrics list.`);
        }
      }
      assertAcyclic(queries);
      config = { ...base, period: [...periods][0]!, queries, returnId: returning[0]!.id };
    }
    if (config.period * evaluationPeriods > CLOUDWATCH_LIMITS.alarmRangeSeconds) {
      throw validationError('The product of EvaluationPeriods and Period must not exceed 86400 (one day).');
    }
    return config;
  }

  private toMetricAlarm(alarm: AlarmRecord): MetricAlarm {
    const config = alarm.config;
    const out: MetricAlarm = {
      AlarmName: config.name,
      AlarmArn: alarm.arn,
      ...(config.description !== undefined ? { AlarmDescription: config.description } : {}),
      AlarmConfigurationUpdatedTimestamp: new Date(alarm.configUpdatedAt),
      ActionsEnabled: config.actionsEnabled,
      OKActions: [...config.okActions],
      AlarmActions: [...config.alarmActions],
      InsufficientDataActions: [...config.insufficientDataActions],
      StateValue: alarm.value,
      StateReason: alarm.reason,
      ...(alarm.reasonData !== undefined ? { StateReasonData: alarm.reasonData } : {}),
      StateUpdatedTimestamp: new Date(alarm.updatedAt),
      StateTransitionedTimestamp: new Date(alarm.transitionedAt),
      EvaluationPeriods: config.evaluationPeriods,
      ...(config.datapointsToAlarmGiven ? { DatapointsToAlarm: config.datapointsToAlarm } : {}),
      Threshold: config.threshold,
      ComparisonOperator: config.comparison,
      ...(config.treatMissingDataGiven ? { TreatMissingData: config.treatMissingData } : {}),
    };
    if (config.single) {
      out.MetricName = config.single.metricName;
      out.Namespace = config.single.namespace;
      out.Statistic = config.single.statistic;
      out.Dimensions = config.single.dimensions.map((d) => ({ ...d }));
      out.Period = config.period;
      if (config.single.unit !== undefined) out.Unit = config.single.unit;
    } else {
      out.Metrics = (config.queries ?? []).map((query) => ({
        Id: query.id,
        ...(query.label !== undefined ? { Label: query.label } : {}),
        ReturnData: query.returnData,
        ...(query.stat
          ? {
              MetricStat: {
                Metric: { Namespace: query.stat.namespace, MetricName: query.stat.metricName, Dimensions: query.stat.dimensions.map((d) => ({ ...d })) },
                Period: query.stat.period,
                Stat: query.stat.stat,
                ...(query.stat.unit !== undefined ? { Unit: query.stat.unit } : {}),
              },
            }
          : { Expression: query.expression!.text }),
      }));
    }
    return out;
  }
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────────────

const OPERATOR_PHRASE: Record<ComparisonOperator, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

function compare(operator: ComparisonOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

function assertAcyclic(queries: NonNullable<AlarmConfig['queries']>): void {
  const byId = new Map(queries.map((query) => [query.id, query]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw validationError(`The expressions of the metrics list refer to each other in a cycle (through ${id}).`);
    state.set(id, 'visiting');
    const query = byId.get(id);
    if (query?.expression) for (const used of metricMathIds(query.expression.ast)) visit(used);
    state.set(id, 'done');
  };
  for (const query of queries) visit(query.id);
}

function seriesKey(namespace: string, name: string, dimensions: Dimension[]): string {
  const sorted = [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((d) => [d.Name, d.Value]);
  return JSON.stringify([namespace, name, sorted]);
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeToken(lastName: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: lastName }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; after?: unknown };
    return parsed.v === 1 && typeof parsed.after === 'string' ? parsed.after : undefined;
  } catch {
    return undefined;
  }
}

/** CloudWatch's timestamps in alarm states and reason data: `2019-10-02T17:04:40.989+0000`. */
export function cloudWatchTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** The date in a state reason: `02/10/19 16:59:00` (dd/MM/yy HH:mm:ss, UTC). */
function reasonDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** Numbers as CloudWatch (Java) writes doubles in reasons: `5.0`, `99.50160229693434`. */
function javaNumber(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
