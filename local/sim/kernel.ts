/**
 * The simulated load balancing and monitoring of a world, in one call: `createSimulatedServices`
 * builds ELBv2 target groups (`elbv2.ts`), CloudWatch metrics and alarms (`cloudwatch.ts`) and the
 * tasks' traffic (`traffic.ts`) from a description, and connects them to the simulated ECS cluster
 * (`world.onTaskChange`): tasks get host ports and answer probes, the load balancer publishes its
 * metrics every minute, alarms are evaluated on them and emit `CloudWatch Alarm State Change`
 * events.
 *
 * ```ts
 * const services = createSimulatedServices({ world, clock, description: DEFAULT_SIM_SERVICES });
 * services.cloudwatch.onEvent((event) => planner.handle(event));   // alarm events, like ECS's
 * services.traffic.configure('web:2', { errorRate: 0.2 });          // `blox sim` serve errors
 * await services.cloudwatch.setAlarmState({ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: 'blox sim set-alarm' });
 * ```
 *
 * The world description's section (YAML, validated strictly like the rest of the world file; to be
 * composed into `worldFileSchema` as optional keys):
 *
 * ```yaml
 * targetGroups:
 *   web:
 *     cluster: default                 # whose tasks `registerTasksOf` registers (default "default")
 *     port: 80                         # ELBv2's defaults below when absent
 *     protocol: HTTP
 *     healthCheckIntervalSeconds: 30
 *     healthCheckTimeoutSeconds: 5
 *     healthyThresholdCount: 5
 *     unhealthyThresholdCount: 2
 *     deregistrationDelaySeconds: 300
 *     requestsPerTargetPerSecond: 10   # the simulated traffic each target that gets any receives
 *     loadBalancer: web                # default: a load balancer named like the target group
 *     registerTasksOf: web             # optional: tasks of this family are registered when RUNNING and
 *                                      # deregistered when stopping, as ECS does for a service with a
 *                                      # load balancer (stand-in until the ECS service simulation does it)
 *   web-blue: { loadBalancer: web-alb }
 *   web-green: { loadBalancer: web-alb }
 * loadBalancers:                       # listeners and weighted forward rules over the target groups above
 *   web-alb:
 *     requestsPerSecond: 100           # offered load of its first listener (default 100; setOfferedLoad)
 *     listeners:
 *       - port: 80                     # production
 *         rules: [{ priority: 1, forward: { web-blue: 100, web-green: 0 } }]   # weights 0-999
 *       - port: 8080                   # test listener: requestsPerSecond 0 unless given
 *         rules: [{ priority: 1, forward: { web-green: 100 } }]
 *         defaultForward: { web-green: 1 }   # optional; absent: the default rule answers 404
 * traffic:                             # "family:revision" or "family"
 *   "web:2": { errorRate: 0.2 }        # share of requests answered 5xx (default 0)
 *   log-daemon: { requestsPerSecond: 10 }
 * alarms:
 *   web-5xx: { targetGroup5xxPercent: web, threshold: 5 }
 *   daemon-errors: { taskFamilyErrors: log-daemon, threshold: 0 }
 *   other: { metricAlarm: { Namespace: …, MetricName: …, Statistic: Sum, Period: 60, … } }   # PutMetricAlarm's fields
 * hostedZones:                         # Route 53 (`route53.ts`); records INSYNC from the start
 *   example.internal:
 *     id: Z0EXAMPLE                    # optional (default: derived from the seed)
 *     records:
 *       web.example.internal:
 *         requestsPerSecond: 100       # what the record's clients send (default 100)
 *         weighted:                    # by set identifier: an A alias to a load balancer, or a CNAME
 *           blue: { loadBalancer: web-a, weight: 100 }
 *           green: { loadBalancer: web-b, weight: 0 }
 *           other: { cname: other.example.com, ttl: 60, weight: 0 }
 * route53: { changePropagationSeconds: 60 }   # how long a change stays PENDING (simulated seconds)
 * functions:                           # Lambda hook functions (`lambda.ts`) and their answers
 *   smoke-ok: { answer: SUCCEEDED }    # SUCCEEDED | FAILED | IN_PROGRESS | ERROR
 *   slow: { answer: IN_PROGRESS, callBackDelaySeconds: 30 }
 * ```
 *
 * Alarm shorthands (each also takes `threshold`, `evaluationPeriods`, `datapointsToAlarm`,
 * `periodSeconds`, `treatMissingData`, `description`):
 * - `loadBalancer5xxPercent: <load balancer>`: as `targetGroup5xxPercent`, on the load balancer's
 *   {LoadBalancer} metrics (its targets' 5xx over its requests; the load balancer's own 502/503 are
 *   not in it, as they are not in `HTTPCode_Target_5XX_Count`). A list of load balancers (at most 4:
 *   the two behind a weighted record) is their 5xx over their requests together,
 *   `(FILL(m1,0)+FILL(m3,0))/(FILL(m2,0)+FILL(m4,0))*100`.
 * - `targetGroup5xxPercent: <target group>`: the metric math alarm `m1/m2*100` on the target group's
 *   `HTTPCode_Target_5XX_Count` (m1) and `RequestCount` (m2), Sum, above `threshold` % (default 5),
 *   3 of 3 periods of 60 s, missing data not breaching (the load balancer sends no 5xx count for a
 *   minute without 5xx, and no request count without requests).
 * - `taskFamilyErrors: <family>`: Sum of `Errors` of `Blox/Sim` for the family above `threshold`
 *   (default 0), 2 of 2 periods of 60 s, missing data not breaching.
 *
 * Wiring: the world file's `targetGroups`, `traffic` and `alarms` are this description
 * (`world-file.ts`, `simServicesOf`; `local/cluster.yml` describes `DEFAULT_SIM_SERVICES`). The
 * local stack (`local/stack.ts`) calls `createSimulatedServices` next to `createWorld`, routes
 * `cloudwatch.onEvent` to the engine's router as the ECS events are (`local/engine.ts`), and serves
 * the services through `/_sim` (`local/sim-api.ts`: `blox sim set-alarm` → `cloudwatch.setAlarmState`,
 * `set-task-definition --error-rate` → `traffic.configure`, target groups, target health, alarms).
 * Not wired yet: the harness (`local/harness.ts`), and the engine's alarm port (DescribeAlarms) and
 * traffic port (DescribeTargetHealth, RegisterTargets). Snapshots of these services are not written
 * yet: the local stack keeps their description only.
 */
import * as z from 'zod';
import type { ClusterTask, ContainerInstance } from '../../functions/ports';
import type { SimScheduler } from './clock';
import type { PutMetricAlarmInput, TreatMissingData } from './cloudwatch';
import { SimulatedCloudWatch, TREAT_MISSING_DATA } from './cloudwatch';
import type { ServiceLoadBalancing } from './ecs-services';
import type { TargetGroupSetup } from './elbv2';
import type { LoadBalancerSetup } from './elbv2-listeners';
import { ELB_NAMESPACE, SimulatedElbv2 } from './elbv2';
import type { HookAnswer } from './lambda';
import { HOOK_ANSWERS, SimulatedLambda } from './lambda';
import type { LoadBalancerDirectory, LoadBalancerTraffic, ResourceRecordSetInput } from './route53';
import { nameBasedLoadBalancers, ROUTE53_DEFAULTS, SimulatedRoute53 } from './route53';
import type { TaskTraffic } from './traffic';
import { SIM_METRICS_NAMESPACE, SimulatedTraffic } from './traffic';

// ── The description ──────────────────────────────────────────────────────────────────────────────

interface AlarmCommon {
  threshold?: number | undefined;
  evaluationPeriods?: number | undefined;
  datapointsToAlarm?: number | undefined;
  periodSeconds?: number | undefined;
  treatMissingData?: TreatMissingData | undefined;
  description?: string | undefined;
}

export type AlarmDescription =
  | (AlarmCommon & { targetGroup5xxPercent: string })
  | (AlarmCommon & { loadBalancer5xxPercent: string | string[] })
  | (AlarmCommon & { taskFamilyErrors: string })
  | { metricAlarm: Omit<PutMetricAlarmInput, 'AlarmName'> };

export interface SimTargetGroupDescription extends Omit<TargetGroupSetup, 'name'> {
  cluster?: string | undefined;
  registerTasksOf?: string | undefined;
}

/** A load balancer with listeners and rules (`elbv2-listeners.ts`' `LoadBalancerSetup` without its name). */
export type SimLoadBalancerDescription = Omit<LoadBalancerSetup, 'name'>;
/** One record of a hosted zone's weighted group: an A alias to a load balancer, or a CNAME. */
export interface WeightedRecordDescription {
  weight: number;
  /** A: alias to this load balancer (by name). */
  loadBalancer?: string | undefined;
  /** CNAME: this DNS name (with `ttl`, default 60). */
  cname?: string | undefined;
  ttl?: number | undefined;
}

export interface RecordDescription {
  /** The requests a second the record's clients send (default 100). */
  requestsPerSecond?: number | undefined;
  /** By set identifier. */
  weighted: Record<string, WeightedRecordDescription>;
}

export interface HostedZoneDescription {
  /** A fixed id (`Z…`); default: derived from the seed. */
  id?: string | undefined;
  /** By record name (`web.example.internal`). */
  records: Record<string, RecordDescription>;
}

export interface FunctionDescription {
  answer: HookAnswer;
  callBackDelaySeconds?: number | undefined;
  reservedConcurrency?: number | undefined;
}

export interface SimServicesDescription {
  /** Route 53 hosted zones by name (`example.internal`), with weighted records (absent: none). */
  hostedZones?: Record<string, HostedZoneDescription> | undefined;
  /** Route 53's settings: how long a change stays PENDING (default 60 s of simulated time). */
  route53?: { changePropagationSeconds?: number | undefined } | undefined;
  /** Lambda functions for hooks, by name, with the answer each gives (absent: none). */
  functions?: Record<string, FunctionDescription> | undefined;
  targetGroups: Record<string, SimTargetGroupDescription>;
  /** Load balancers with listeners and weighted forward rules over `targetGroups` (absent: none; a target group's `loadBalancer` is then one without listeners). */
  loadBalancers?: Record<string, SimLoadBalancerDescription> | undefined;
  traffic: Record<string, Partial<TaskTraffic>>;
  alarms: Record<string, AlarmDescription>;
  /**
   * The account's ELBv2 quotas where raised through Service Quotas (absent: the defaults, `ELBV2_LIMITS`).
   * "Targets per Target Group per Region" is adjustable: a Service of 1,000 tasks rolling at MaxPercent 200
   * in one target group needs 2,000. The world file's `quotas: { targetsPerTargetGroup: 2000 }`.
   */
  quotas?: { targetsPerTargetGroup?: number | undefined } | undefined;
}

/**
 * The default world's (`local/cluster.yml` says the same): target group `web` in cluster `default`
 * (tasks of family `web` registered while they run); load balancer `web-alb` with a production rule
 * (listener 80: `web-blue` 100 / `web-green` 0) and a test rule (listener 8080, no traffic unless
 * set: `web-green` 100) for Canary and BlueGreen; load balancers `web-a` (100 requests a second) and
 * `web-b` (0), each forwarding everything to its target group of the same name, for Route 53
 * weighted records (`setOfferedLoad`); alarms `web-5xx` (5xx rate of `web` above 5 %), `web-alb-5xx`
 * (5xx rate of `web-alb` above 5 %) and `daemon-errors` (errors of family `log-daemon`); hosted zone
 * `example.internal` with the weighted record `web.example.internal` (set identifiers `blue` → load
 * balancer `web-a` at weight 100, `green` → `web-b` at 0: with weights summing to 100 a percentage is
 * its weight, 10 % is 10 / 90 exactly, where 255-based weights would round); hook functions
 * `smoke-ok` (SUCCEEDED) and `smoke-fail` (FAILED).
 */
export const DEFAULT_SIM_SERVICES: SimServicesDescription = Object.freeze({
  hostedZones: {
    'example.internal': {
      records: {
        'web.example.internal': {
          requestsPerSecond: ROUTE53_DEFAULTS.requestsPerSecond,
          weighted: { blue: { loadBalancer: 'web-a', weight: 100 }, green: { loadBalancer: 'web-b', weight: 0 } },
        },
      },
    },
  },
  route53: { changePropagationSeconds: ROUTE53_DEFAULTS.changePropagationSeconds },
  functions: { 'smoke-ok': { answer: 'SUCCEEDED' }, 'smoke-fail': { answer: 'FAILED' } },
  targetGroups: {
    web: { cluster: 'default', registerTasksOf: 'web' },
    'web-blue': { loadBalancer: 'web-alb' },
    'web-green': { loadBalancer: 'web-alb' },
    'web-a': {},
    'web-b': {},
  },
  loadBalancers: {
    'web-alb': {
      requestsPerSecond: 100,
      listeners: [
        { port: 80, rules: [{ priority: 1, forward: { 'web-blue': 100, 'web-green': 0 } }] },
        { port: 8080, rules: [{ priority: 1, forward: { 'web-green': 100 } }] },
      ],
    },
    'web-a': { requestsPerSecond: 100, listeners: [{ port: 80, defaultForward: { 'web-a': 100 } }] },
    'web-b': { requestsPerSecond: 0, listeners: [{ port: 80, defaultForward: { 'web-b': 100 } }] },
  },
  traffic: {},
  alarms: {
    'web-5xx': { targetGroup5xxPercent: 'web', threshold: 5, description: '5xx rate of target group web above 5 %' },
    'web-alb-5xx': { loadBalancer5xxPercent: 'web-alb', threshold: 5, description: '5xx rate of load balancer web-alb above 5 %' },
    'web-dns-5xx': { loadBalancer5xxPercent: ['web-a', 'web-b'], threshold: 5, description: '5xx rate of load balancers web-a and web-b (behind web.example.internal) above 5 %' },
    'daemon-errors': { taskFamilyErrors: 'log-daemon', threshold: 0, description: 'errors of task family log-daemon' },
  },
}) as SimServicesDescription;

const positiveInt = (what: string) => z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` });
const weights = z.record(
  z.string().min(1),
  z.number({ error: 'expected a weight, a whole number 0-999' }).int({ error: 'expected a weight, a whole number 0-999' }).min(0, { error: 'expected a weight, a whole number 0-999' }).max(999, { error: 'expected a weight, a whole number 0-999' }),
  { error: 'expected a mapping of target group name to weight (0-999)' },
);
const rate = z.number({ error: 'expected a number of requests a second >= 0' }).min(0, { error: 'expected a number of requests a second >= 0' });
const alarmCommon = {
  threshold: z.number({ error: 'expected a number' }).optional(),
  evaluationPeriods: positiveInt('a whole number >= 1').min(1, { error: 'expected a whole number >= 1' }).optional(),
  datapointsToAlarm: positiveInt('a whole number >= 1').min(1, { error: 'expected a whole number >= 1' }).optional(),
  periodSeconds: positiveInt('a multiple of 60').refine((value) => value > 0 && value % 60 === 0, { error: 'expected a multiple of 60' }).optional(),
  treatMissingData: z.enum(TREAT_MISSING_DATA, { error: `expected one of ${TREAT_MISSING_DATA.join(', ')}` }).optional(),
  description: z.string().max(1024).optional(),
};

const weightedRecordSchema = z
  .strictObject({
    weight: positiveInt('a whole number 0-255').min(0, { error: 'expected a whole number 0-255' }).max(255, { error: 'expected a whole number 0-255' }),
    loadBalancer: z.string().min(1).optional(),
    cname: z.string().min(1).optional(),
    ttl: positiveInt('a whole number of seconds').min(0, { error: 'expected a whole number of seconds >= 0' }).optional(),
  })
  .refine((r) => (r.loadBalancer === undefined) !== (r.cname === undefined), { error: 'expected exactly one of loadBalancer (an A alias) or cname' });

/** The world file's `targetGroups`, `traffic`, `alarms`, `hostedZones`, `route53` and `functions` (to compose into `worldFileSchema`). */
export const simServicesFileSchema = z.strictObject({
  hostedZones: z
    .record(
      z.string().min(1),
      z.strictObject({
        id: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { error: 'expected Z and 1-31 capital letters or digits' }).optional(),
        records: z
          .record(
            z.string().min(1),
            z.strictObject({
              requestsPerSecond: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).optional(),
              weighted: z.record(z.string().min(1).max(128), weightedRecordSchema),
            }),
          )
          .default({}),
      }),
    )
    .optional(),
  route53: z
    .strictObject({
      changePropagationSeconds: z.number({ error: 'expected a number of seconds >= 0' }).min(0, { error: 'expected a number of seconds >= 0' }).optional(),
    })
    .optional(),
  functions: z
    .record(
      z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, { error: 'expected a function name: 1-64 letters, digits, "-" and "_"' }),
      z.strictObject({
        answer: z.enum(HOOK_ANSWERS, { error: `expected one of ${HOOK_ANSWERS.join(', ')}` }),
        callBackDelaySeconds: positiveInt('a whole number of seconds >= 0').min(0, { error: 'expected a whole number of seconds >= 0' }).optional(),
        reservedConcurrency: positiveInt('a whole number >= 0').min(0, { error: 'expected a whole number >= 0' }).optional(),
      }),
    )
    .optional(),
  targetGroups: z
    .record(
      z.string(),
      z.strictObject({
        cluster: z.string().min(1).optional(),
        port: positiveInt('a port, 1-65535').optional(),
        protocol: z.enum(['HTTP', 'HTTPS'], { error: 'expected HTTP or HTTPS' }).optional(),
        loadBalancer: z.string().min(1).optional(),
        healthCheckIntervalSeconds: positiveInt('a whole number of seconds').optional(),
        healthCheckTimeoutSeconds: positiveInt('a whole number of seconds').optional(),
        healthyThresholdCount: positiveInt('a whole number').optional(),
        unhealthyThresholdCount: positiveInt('a whole number').optional(),
        deregistrationDelaySeconds: positiveInt('a whole number of seconds').optional(),
        requestsPerTargetPerSecond: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).optional(),
        registerTasksOf: z.string().min(1).optional(),
      }),
    )
    .default({}),
  loadBalancers: z
    .record(
      z.string(),
      z.strictObject({
        requestsPerSecond: rate.optional(),
        listeners: z
          .array(
            z.strictObject({
              port: positiveInt('a port, 1-65535').min(1, { error: 'expected a port, 1-65535' }).max(65535, { error: 'expected a port, 1-65535' }),
              protocol: z.enum(['HTTP', 'HTTPS'], { error: 'expected HTTP or HTTPS' }).optional(),
              requestsPerSecond: rate.optional(),
              defaultForward: weights.optional(),
              rules: z
                .array(
                  z.strictObject({
                    priority: positiveInt('a priority, 1-50000').min(1, { error: 'expected a priority, 1-50000' }).max(50000, { error: 'expected a priority, 1-50000' }),
                    forward: weights,
                    pathPattern: z.string().min(1).optional(),
                  }),
                  { error: 'expected a list of rules' },
                )
                .optional(),
            }),
            { error: 'expected a list of listeners' },
          )
          .optional(),
      }),
    )
    .optional(),
  traffic: z
    .record(
      z.string(),
      z.strictObject({
        errorRate: z.number({ error: 'expected a share between 0 and 1' }).min(0, { error: 'expected a share between 0 and 1' }).max(1, { error: 'expected a share between 0 and 1' }).optional(),
        requestsPerSecond: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).optional(),
      }),
    )
    .default({}),
  alarms: z
    .record(
      z.string().min(1).max(255),
      z.union(
        [
          z.strictObject({ targetGroup5xxPercent: z.string().min(1), ...alarmCommon }),
          z.strictObject({ loadBalancer5xxPercent: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]), ...alarmCommon }),
          z.strictObject({ taskFamilyErrors: z.string().min(1), ...alarmCommon }),
          z.strictObject({ metricAlarm: z.record(z.string(), z.unknown()) }),
        ],
        { error: 'expected one of { targetGroup5xxPercent: <target group>, … }, { loadBalancer5xxPercent: <load balancer>, … }, { taskFamilyErrors: <family>, … }, { metricAlarm: { …PutMetricAlarm… } }' },
      ),
    )
    .default({}),
  quotas: z
    .strictObject({
      targetsPerTargetGroup: positiveInt('a whole number >= 1').min(1, { error: 'expected a whole number >= 1' }).optional(),
    })
    .optional(),
});

/** Validates the section (field-named errors); absent keys are empty. */
export function parseSimServicesDescription(value: unknown, source = 'world file'): SimServicesDescription {
  const parsed = simServicesFileSchema.safeParse(value ?? {}, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    throw new Error(`${source}: ${field ? `${field}: ` : ''}${issue.message}`);
  }
  return parsed.data as SimServicesDescription;
}

/** The PutMetricAlarm input an alarm description stands for (the target group's dimensions looked up in `elbv2`). */
export function alarmInput(name: string, alarm: AlarmDescription, elbv2: SimulatedElbv2): PutMetricAlarmInput {
  if ('metricAlarm' in alarm) return { ...alarm.metricAlarm, AlarmName: name } as PutMetricAlarmInput;
  const period = alarm.periodSeconds ?? 60;
  const description = alarm.description !== undefined ? { AlarmDescription: alarm.description } : {};
  if ('loadBalancer5xxPercent' in alarm && Array.isArray(alarm.loadBalancer5xxPercent)) {
    const period = alarm.periodSeconds ?? 60;
    const balancers = alarm.loadBalancer5xxPercent;
    const metrics = balancers.flatMap((balancer, i) => {
      const dimension = elbv2.loadBalancerDimension(balancer);
      if (!dimension) throw new Error(`alarms.${name}.loadBalancer5xxPercent: no load balancer named ${balancer}`);
      const metric = (MetricName: string) => ({ Namespace: ELB_NAMESPACE, MetricName, Dimensions: [{ Name: 'LoadBalancer', Value: dimension }] });
      return [
        { Id: `m${2 * i + 1}`, MetricStat: { Metric: metric('HTTPCode_Target_5XX_Count'), Period: period, Stat: 'Sum' }, ReturnData: false },
        { Id: `m${2 * i + 2}`, MetricStat: { Metric: metric('RequestCount'), Period: period, Stat: 'Sum' }, ReturnData: false },
      ];
    });
    const sum = (odd: boolean) => balancers.map((_, i) => `FILL(m${2 * i + (odd ? 1 : 2)},0)`).join('+');
    const evaluationPeriods = alarm.evaluationPeriods ?? 3;
    return {
      AlarmName: name,
      ...description,
      Metrics: [{ Id: 'e1', Expression: `(${sum(true)})/(${sum(false)})*100`, Label: '5xx rate (%)', ReturnData: true }, ...metrics],
      EvaluationPeriods: evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm ?? evaluationPeriods,
      Threshold: alarm.threshold ?? 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: alarm.treatMissingData ?? 'notBreaching',
    };
  }
  if ('targetGroup5xxPercent' in alarm || 'loadBalancer5xxPercent' in alarm) {
    let metricDimensions: Array<{ Name: string; Value: string }>;
    if ('targetGroup5xxPercent' in alarm) {
      const dimensions = elbv2.metricDimensions(alarm.targetGroup5xxPercent);
      if (!dimensions) throw new Error(`alarms.${name}.targetGroup5xxPercent: no target group named ${alarm.targetGroup5xxPercent}`);
      metricDimensions = [
        { Name: 'LoadBalancer', Value: dimensions.LoadBalancer },
        { Name: 'TargetGroup', Value: dimensions.TargetGroup },
      ];
    } else {
      const balancer = String(alarm.loadBalancer5xxPercent);
      const dimension = elbv2.loadBalancerDimension(balancer);
      if (!dimension) throw new Error(`alarms.${name}.loadBalancer5xxPercent: no load balancer named ${balancer}`);
      metricDimensions = [{ Name: 'LoadBalancer', Value: dimension }];
    }
    const metric = (MetricName: string) => ({ Namespace: ELB_NAMESPACE, MetricName, Dimensions: metricDimensions });
    const evaluationPeriods = alarm.evaluationPeriods ?? 3;
    return {
      AlarmName: name,
      ...description,
      Metrics: [
        { Id: 'e1', Expression: 'm1/m2*100', Label: '5xx rate (%)', ReturnData: true },
        { Id: 'm1', MetricStat: { Metric: metric('HTTPCode_Target_5XX_Count'), Period: period, Stat: 'Sum' }, ReturnData: false },
        { Id: 'm2', MetricStat: { Metric: metric('RequestCount'), Period: period, Stat: 'Sum' }, ReturnData: false },
      ],
      EvaluationPeriods: evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm ?? evaluationPeriods,
      Threshold: alarm.threshold ?? 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: alarm.treatMissingData ?? 'notBreaching',
    };
  }
  const evaluationPeriods = alarm.evaluationPeriods ?? 2;
  return {
    AlarmName: name,
    ...description,
    Namespace: SIM_METRICS_NAMESPACE,
    MetricName: 'Errors',
    Dimensions: [{ Name: 'TaskDefinitionFamily', Value: alarm.taskFamilyErrors }],
    Statistic: 'Sum',
    Period: period,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: alarm.datapointsToAlarm ?? evaluationPeriods,
    Threshold: alarm.threshold ?? 0,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: alarm.treatMissingData ?? 'notBreaching',
  };
}

/** The record sets a hosted zone description stands for (ChangeResourceRecordSets' shapes). */
export function recordSetsOf(zone: HostedZoneDescription, route53: Pick<SimulatedRoute53, 'aliasTargetOf'>): ResourceRecordSetInput[] {
  return Object.entries(zone.records).flatMap(([name, record]) =>
    Object.entries(record.weighted).map(([setIdentifier, r]): ResourceRecordSetInput => {
      const common = { Name: name, SetIdentifier: setIdentifier, Weight: r.weight };
      if (r.cname !== undefined) return { ...common, Type: 'CNAME', TTL: r.ttl ?? 60, ResourceRecords: [{ Value: r.cname }] };
      const alias = route53.aliasTargetOf(r.loadBalancer!);
      if (!alias) throw new Error(`records.${name}.weighted.${setIdentifier}.loadBalancer: no load balancer named ${r.loadBalancer}`);
      return { ...common, Type: 'A', AliasTarget: alias };
    }),
  );
}

/** Builds the hosted zones (records INSYNC from the start) and their clients' loads into `route53`. */
export function defineHostedZones(route53: SimulatedRoute53, zones: Record<string, HostedZoneDescription>): void {
  for (const [name, zone] of Object.entries(zones)) {
    route53.createHostedZone({ name, ...(zone.id !== undefined ? { id: zone.id } : {}) });
    route53.seedRecords(name, recordSetsOf(zone, route53));
    for (const [recordName, record] of Object.entries(zone.records)) {
      if (record.requestsPerSecond !== undefined) route53.setOfferedLoad(recordName, record.requestsPerSecond);
    }
  }
}

/**
 * The hosted zones as they are now, as a description (`hostedZones`): the weighted records with their
 * current weights (what the local stack keeps in services.json). An alias to a name the directory
 * does not know, and records that are not weighted (the apex's SOA and NS), are left out.
 */
export function hostedZonesOf(route53: SimulatedRoute53, requestsPerSecond: (recordName: string) => number | undefined = () => undefined): Record<string, HostedZoneDescription> {
  const zones: Record<string, HostedZoneDescription> = {};
  for (const zone of route53.listHostedZones()) {
    const records: Record<string, RecordDescription> = {};
    for (const record of route53.describeRecords(zone.Id)) {
      if (record.SetIdentifier === undefined || record.Weight === undefined) continue;
      const name = record.Name.replace(/\.$/, '');
      let weighted: WeightedRecordDescription;
      if (record.AliasTarget) {
        if (record.Target === undefined || record.Target.includes('.')) continue;
        weighted = { loadBalancer: record.Target, weight: record.Weight };
      } else if (record.Type === 'CNAME' && record.ResourceRecords?.[0]) {
        weighted = { cname: record.ResourceRecords[0].Value, ...(record.TTL !== undefined ? { ttl: record.TTL } : {}), weight: record.Weight };
      } else continue;
      const rps = requestsPerSecond(name);
      records[name] ??= { ...(rps !== undefined ? { requestsPerSecond: rps } : {}), weighted: {} };
      records[name].weighted[record.SetIdentifier] = weighted;
    }
    zones[zone.Name.replace(/\.$/, '')] = { id: zone.Id.replace('/hostedzone/', ''), records };
  }
  return zones;
}

/** The hook functions as they are now, as a description (`functions`). */
export function functionsOf(lambda: SimulatedLambda): Record<string, FunctionDescription> {
  return Object.fromEntries(
    lambda.listFunctions().map((f) => [
      f.FunctionName,
      { answer: f.Answer, ...(f.CallBackDelaySeconds !== undefined ? { callBackDelaySeconds: f.CallBackDelaySeconds } : {}), ...(f.ReservedConcurrency !== undefined ? { reservedConcurrency: f.ReservedConcurrency } : {}) },
    ]),
  );
}

/** Defines the hook functions into `lambda`. */
export function defineFunctions(lambda: SimulatedLambda, functions: Record<string, FunctionDescription>): void {
  for (const [name, fn] of Object.entries(functions)) lambda.defineFunction({ name, ...fn });
}

// ── The factory ──────────────────────────────────────────────────────────────────────────────────

/** What the services need of the simulated ECS cluster (`SimulatedCluster` has it). */
export interface TaskWorld {
  onTaskChange(observer: (task: ClusterTask) => void): () => void;
  describeTasks(): ClusterTask[];
  describeInstance(idOrArn: string): ContainerInstance | undefined;
}

export interface CreateSimulatedServicesOptions {
  world: TaskWorld;
  clock: SimScheduler;
  description?: SimServicesDescription;
  seed?: number;
  account?: string;
  region?: string;
  /** The services' request throttling (ELBv2's and CloudWatch's documented figures by default); `false` turns both off. */
  rateLimits?: false;
  /** Delay of alarm events. Default 0. */
  eventDelayMs?: number;
  /**
   * Where the weighted records' clients send their requests (the load balancers' offered load).
   * Default: the simulated ELBv2's load balancers with listeners (`setOfferedLoad` of their first
   * listener); targets it does not know are only counted by Route 53 (`route53.offeredLoad()`).
   */
  loadBalancerTraffic?: LoadBalancerTraffic;
  /** The load balancers aliases may name (default: any name, `nameBasedLoadBalancers`). */
  loadBalancers?: LoadBalancerDirectory;
}

export interface SimulatedServices {
  elbv2: SimulatedElbv2;
  cloudwatch: SimulatedCloudWatch;
  traffic: SimulatedTraffic;
  /** Hosted zones with weighted records. */
  route53: SimulatedRoute53;
  /** Hook functions. */
  lambda: SimulatedLambda;
  /** Registrations ECS could not make on a service's behalf (e.g. `TooManyTargets`), as ECS reports them in its service events. */
  registrationFailures: Array<{ targetGroup: string; taskArn: string; error: string }>;
  /** Unsubscribes from the world and stops the services' timers. */
  close(): void;
}

export function createSimulatedServices(options: CreateSimulatedServicesOptions): SimulatedServices {
  const { world, clock } = options;
  const description = options.description ?? DEFAULT_SIM_SERVICES;
  const common = {
    clock,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.account !== undefined ? { account: options.account } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.rateLimits === false ? { rateLimits: false as const } : {}),
  };
  const cloudwatch = new SimulatedCloudWatch({ ...common, ...(options.eventDelayMs !== undefined ? { eventDelayMs: options.eventDelayMs } : {}) });
  const traffic = new SimulatedTraffic({ clock, metrics: cloudwatch, taskDefinitions: description.traffic });
  const elbv2 = new SimulatedElbv2({
    ...common,
    ...(description.quotas?.targetsPerTargetGroup !== undefined ? { targetsPerTargetGroup: description.quotas.targetsPerTargetGroup } : {}),
    endpoints: traffic,
    metrics: cloudwatch,
    instances: {
      instanceState: (id) => {
        const instance = world.describeInstance(id);
        return instance === undefined ? undefined : instance.status === 'INACTIVE' ? 'terminated' : 'running';
      },
    },
  });
  for (const [name, group] of Object.entries(description.targetGroups)) {
    const { cluster: _cluster, registerTasksOf: _register, ...setup } = group;
    elbv2.createTargetGroup({ ...setup, name });
  }
  for (const [name, loadBalancer] of Object.entries(description.loadBalancers ?? {})) elbv2.createLoadBalancer({ ...loadBalancer, name });
  for (const [name, alarm] of Object.entries(description.alarms)) cloudwatch.defineAlarm(alarmInput(name, alarm, elbv2));
  const route53 = new SimulatedRoute53({
    clock,
    loadBalancers: options.loadBalancers ?? nameBasedLoadBalancers(options.region),
    // The records' clients send their requests to the simulated load balancers (web-a, web-b): a target
    // ELBv2 does not know (a DNS name outside the world) is only counted by Route 53.
    traffic: options.loadBalancerTraffic ?? {
      setOfferedLoad: (target, requestsPerSecond) => {
        if ((elbv2.offeredLoad(target)?.length ?? 0) > 0) elbv2.setOfferedLoad(target, requestsPerSecond);
      },
    },
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.rateLimits === false ? { rateLimits: false as const } : {}),
    ...(description.route53?.changePropagationSeconds !== undefined ? { changePropagationSeconds: description.route53.changePropagationSeconds } : {}),
  });
  defineHostedZones(route53, description.hostedZones ?? {});
  const lambda = new SimulatedLambda({ clock, ...(options.account !== undefined ? { account: options.account } : {}), ...(options.region !== undefined ? { region: options.region } : {}) });
  defineFunctions(lambda, description.functions ?? {});
  cloudwatch.addProducer(elbv2);
  cloudwatch.addProducer(traffic);

  const registrationFailures: SimulatedServices['registrationFailures'] = [];
  const registering = Object.entries(description.targetGroups).filter(([, group]) => group.registerTasksOf !== undefined);
  const stopLifecycle = traffic.onTaskLifecycle((task, change) => {
    for (const [name, group] of registering) {
      if (group.registerTasksOf !== task.family || (group.cluster ?? 'default') !== task.cluster) continue;
      try {
        if (change === 'running') elbv2.registerOnBehalf(name, [{ Id: task.instanceId, Port: task.port }]);
        else elbv2.deregisterOnBehalf(name, [{ Id: task.instanceId, Port: task.port }]);
      } catch (error) {
        registrationFailures.push({ targetGroup: name, taskArn: task.taskArn, error: `${(error as Error).name}: ${(error as Error).message}` });
      }
    }
  });

  const follow = (task: ClusterTask) => {
    const instance = world.describeInstance(task.containerInstanceArn);
    if (!instance) return;
    traffic.taskChanged({
      taskArn: task.arn,
      cluster: task.clusterArn.slice(task.clusterArn.lastIndexOf('/') + 1),
      taskDefinition: task.taskDefinitionArn.slice(task.taskDefinitionArn.lastIndexOf('/') + 1),
      instanceId: instance.ec2InstanceId,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      healthStatus: task.healthStatus,
    });
  };
  for (const task of world.describeTasks()) follow(task);
  const stopFollowing = world.onTaskChange(follow);

  return {
    elbv2,
    cloudwatch,
    traffic,
    route53,
    lambda,
    registrationFailures,
    close: () => {
      stopFollowing();
      stopLifecycle();
      route53.close();
      elbv2.close();
      cloudwatch.close();
    },
  };
}

/**
 * Where ECS registers a service's tasks on its behalf (`SimulatedCluster#useLoadBalancing`): these
 * services' target groups, and the host port each task listens on.
 *
 * world.useLoadBalancing(loadBalancingOf(services));
 */
export function loadBalancingOf(services: Pick<SimulatedServices, 'elbv2' | 'traffic'>): ServiceLoadBalancing {
  return {
    registerOnBehalf: (name, targets) => services.elbv2.registerOnBehalf(name, targets),
    deregisterOnBehalf: (name, targets) => services.elbv2.deregisterOnBehalf(name, targets),
    targetGroupArn: (name) => services.elbv2.targetGroupArn(name),
    hostPort: (taskArn) => services.traffic.endpointOf(taskArn)?.port,
  };
}
