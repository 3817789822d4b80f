/**
 * The environment spec: what runs, where, and how a rollout is controlled.
 *
 * The spec is stored *as given* (numbers normalised, no defaults filled in), so that a partial
 * update merges onto what the user wrote; defaults are applied when a deployment starts
 * (`effectiveDeploymentConfiguration`).
 *
 * Worked example — the walkthrough's environment:
 *
 * ```yaml
 * Name: "SomeEnvironment/Prod"
 * TaskDefinition: "log-daemon:1"
 * Cluster: "default"
 * InstanceGroup:
 *   Query: "attribute:stack == prod"
 * DeploymentType: Daemon
 * DeploymentConfiguration:
 *   Method: "Replace"
 *   MinHealthyPercent: "100"      # numeric strings are accepted and stored as numbers
 * ```
 * parses to `{ …, DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100 } }` and its
 * effective configuration is `{ Method: 'Replace', MinHealthyPercent: 100, MaxOver: 1,
 * StuckAfterSeconds: 300, FailingAfterSeconds: 900 }`.
 *
 * `{ DeploymentType: 'Daemon', DesiredCount: 3, … }` is refused with
 * `DesiredCount: only allowed when DeploymentType is Service`; `{ …, Foo: 1 }` with
 * `Foo: unknown field (expected one of Name, TaskDefinition, …)`; `MinHealthyPercent: "lots"` with
 * `DeploymentConfiguration.MinHealthyPercent: expected an integer from 0 to 100 (a number or a numeric string)`.
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors';
import { formatQueryError, parseQuery } from './query';

export const ENVIRONMENT_NAME_PATTERN = /^[A-Za-z0-9_/.-]{1,255}$/;
const FAMILY = '[A-Za-z0-9_-]{1,255}';
const TASK_DEFINITION_PATTERN = new RegExp(
  `^(?:${FAMILY}:[1-9][0-9]{0,9}|arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/${FAMILY}:[1-9][0-9]{0,9})$`,
);
const CLUSTER_PATTERN = /^(?:[A-Za-z0-9_-]{1,255}|arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:ecs:[a-z0-9-]+:[0-9]{12}:cluster\/[A-Za-z0-9_-]{1,255})$/;
export const MAX_QUERY_LENGTH = 2048;
const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
const TARGET_GROUP_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
const TARGET_GROUP_ARN_ERROR = 'expected a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)';
/** An Application Load Balancer's listener rule (weighted forwarding is an ALB feature). */
const LISTENER_RULE_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener-rule\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/;
const LISTENER_RULE_ARN_ERROR = 'expected an Application Load Balancer listener rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<load balancer>/<id>/<listener id>/<rule id>)';
const LOAD_BALANCER_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer\/(?:app|net)\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
const LOAD_BALANCER_ARN_ERROR = 'expected a load balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>, or net/…)';
/** A Lambda function: its ARN, optionally qualified by a version or an alias. */
const FUNCTION_ARN_PATTERN = /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
const FUNCTION_ARN_ERROR = 'expected a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>, optionally :<version or alias>)';
const HOSTED_ZONE_ID_PATTERN = /^Z[A-Z0-9]{1,31}$/;
/** A DNS name (labels of letters, digits, "-" and "_"; an optional trailing dot), at most 253 characters. */
const RECORD_NAME_PATTERN = /^(?=.{1,253}\.?$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/;
// eslint-disable-next-line no-control-regex -- control characters are what Route 53 refuses in a set identifier
const SET_IDENTIFIER_PATTERN = /^[^\u0000-\u001f\u007f]{1,128}$/;
/** At most this many Steps, and Hooks, per configuration. */
export const MAX_STEPS = 50;
export const MAX_HOOKS = 10;
/** The stages a lifecycle hook is called at (DESIGN.md, Safety). */
export const HOOK_STAGES = ['PreTraffic', 'PostTestTraffic', 'PostTraffic', 'PreRollback', 'PostRollback'] as const;
export type HookStage = (typeof HOOK_STAGES)[number];
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 300;

/**
 * The ECS service of a Service environment: the spec's ServiceName, else the Name with every
 * character ECS does not allow in a service name turned into "-".
 * serviceNameOf({ Name: 'Web/Prod' }) === 'Web-Prod'
 */
export function serviceNameOf(spec: Pick<EnvironmentSpec, 'Name' | 'Service'>): string {
  return spec.Service?.ServiceName ?? spec.Name.replace(/[^A-Za-z0-9_-]/g, '-');
}

export const DAEMON_METHODS = ['Replace', 'Surge'] as const;
export const SERVICE_METHODS = ['Rolling', 'Canary', 'BlueGreen'] as const;
export type DeploymentMethod = (typeof DAEMON_METHODS)[number] | (typeof SERVICE_METHODS)[number];

/*
 * The schemas use `zod/mini` (the functional API), which keeps the Lambda bundles small. It loads no
 * locale, so a check without its own `error` would say only "Invalid input": every check whose
 * issue can reach a user carries its message, and `describeIssues` words the rest (unknown keys,
 * missing fields, non-objects).
 */

/** A copy of `schema` with a description, for the JSON Schema (what classic zod's `.meta()` does). */
function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, { description });
  return copy;
}

/** A number that is an integer from `min` to `max`; every check says `error`. */
function integerNumber(min: number, max: number, error: string) {
  return z.number({ error }).check(z.int({ error }), z.gte(min, { error }), z.lte(max, { error }));
}

/**
 * An integer field that accepts numbers and numeric strings ("100"), as the walkthrough writes them.
 * Every way of getting it wrong (a fraction, out of range, not numeric) gives the same message: each
 * check carries it, because a union whose string branch fails its pattern reports that branch's issue,
 * not the union's.
 */
function integer(min: number, max: number, description: string) {
  const error = `expected an integer from ${min} to ${max} (a number or a numeric string)`;
  return described(
    z.pipe(
      z.pipe(
        z.union([integerNumber(min, max, error), z.string({ error }).check(z.regex(/^\s*-?[0-9]{1,12}\s*$/, { error }))], { error }),
        z.transform((value: number | string) => Number(value) || 0), // "-0" and -0 are stored as 0
      ),
      integerNumber(min, max, error),
    ),
    description,
  );
}

const MAX_OVER_COUNT = 100000;
const MAX_OVER_ERROR = `expected a count from 1 to ${MAX_OVER_COUNT} or a percentage from 1% to 100% (e.g. 2 or "20%")`;
const FAILED_TASKS_ERROR = MAX_OVER_ERROR.replace('(e.g. 2', '(e.g. 3');
const CANARY_INSTANCES_ERROR = MAX_OVER_ERROR.replace('(e.g. 2 or "20%")', '(e.g. 1 or "10%")');
/** At most this many alarms per deployment (each is an item of the alarm index, written with the projection). */
export const MAX_ALARM_NAMES = 10;
/** CloudWatch's alarm names: 1 to 255 characters, no control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what CloudWatch refuses
const ALARM_NAME_PATTERN = /^[^\u0000-\u001f\u007f]{1,255}$/;
const ALARM_NAME_ERROR = 'expected a CloudWatch alarm name (1 to 255 characters, no control characters)';

/** A string that must match `pattern` (else `error`), with its description. */
function patterned(pattern: RegExp, error: string, description: string) {
  return described(z.string({ error: 'expected a string' }).check(z.regex(pattern, { error })), description);
}

/**
 * The schemas, built on first use (`specSchemas()`) rather than when the module loads: every Lambda
 * function imports this module (through domain/environment.ts), and building them is zod work (~15 ms)
 * that only a command carrying a spec needs; the engine functions never validate one.
 */
function buildSchemas() {
  /** A count (`2`, `"2"`) from 1 to MAX_OVER_COUNT or a percentage (`"20%"`) from 1% to 100%. */
  const countOrPercent = (error: string, description: string) =>
    described(
      z.pipe(
        z.union(
          [integerNumber(1, MAX_OVER_COUNT, error), z.string({ error }).check(z.regex(/^\s*(?:[0-9]{1,6}|[0-9]{1,3}%)\s*$/, { error }))],
          { error },
        ),
        z.transform((value: number | string, ctx) => {
          if (typeof value === 'number') return value;
          const trimmed = value.trim();
          const percent = trimmed.endsWith('%');
          const amount = Number(percent ? trimmed.slice(0, -1) : trimmed);
          if (amount < 1 || amount > (percent ? 100 : MAX_OVER_COUNT)) {
            ctx.issues.push({ code: 'custom', message: error, input: value });
            return z.NEVER;
          }
          return percent ? (`${amount}%` as const) : amount;
        }),
      ),
      description,
    );

  /** `MaxOver`: a count of extra copies (`2`, `"2"`) or a percentage of the target (`"20%"`). */
  const maxOver = countOrPercent(
    MAX_OVER_ERROR,
    'Surge: how many extra copies may run at once while old ones are replaced — a count (2) or a percentage of the target ("20%"). Default: 1.',
  );

  const rollbackFlag = (description: string) => described(z.boolean({ error: 'expected true or false' }), description);
  const alarmName = z.string({ error: ALARM_NAME_ERROR }).check(z.regex(ALARM_NAME_PATTERN, { error: ALARM_NAME_ERROR }));

  /** One step of a Service Canary (Argo-style): exactly one of SetWeight and Pause. */
  const step = z
    .strictObject({
      SetWeight: z.optional(integer(0, 100, 'The share of the traffic the new revision gets from this step on, 0 to 100 (its task set is scaled to match, at least one task). Weights never go down from one step to the next.')),
      Pause: z.optional(
        described(
          z.strictObject({
            Seconds: z.optional(integer(1, 604800, 'How long to wait, 1 to 604800 seconds. Without it, the pause lasts until promote-deployment.')),
          }),
          'Wait before the next step: { Seconds: N } for N seconds, {} until promote-deployment. The deployment\'s alarms are watched meanwhile.',
        ),
      ),
    })
    .check(
      z.superRefine((given: { SetWeight?: number | undefined; Pause?: unknown }, ctx) => {
        if ((given.SetWeight === undefined) === (given.Pause === undefined)) {
          ctx.addIssue({ code: 'custom', message: 'expected exactly one of SetWeight, Pause (e.g. { SetWeight: 10 } or { Pause: { Seconds: 300 } })' });
        }
      }),
    );
  const stepsError = `expected a list of 1 to ${MAX_STEPS} steps ({ SetWeight: N } or { Pause: { Seconds: N } } or { Pause: {} })`;
  const steps = described(
    z.array(step, { error: stepsError }).check(z.minLength(1, { error: stepsError }), z.maxLength(MAX_STEPS, { error: stepsError })),
    `Service Canary: the weight schedule, in order (1 to ${MAX_STEPS} steps): { SetWeight: 0 to 100 }, { Pause: { Seconds: N } }, or { Pause: {} } (until promote-deployment). Weights never go down; when the last SetWeight is below 100, a final SetWeight 100 is implied.`,
  );

  const hookStageError = `expected one of ${HOOK_STAGES.join(', ')}`;
  const hook = z.strictObject({
    Stage: described(
      z.enum(HOOK_STAGES, { error: hookStageError }),
      'When the function is called: PreTraffic (before any production traffic moves), PostTestTraffic (BlueGreen: green serves the test listener rule), PostTraffic (all traffic moved), PreRollback, PostRollback.',
    ),
    FunctionArn: patterned(FUNCTION_ARN_PATTERN, FUNCTION_ARN_ERROR, 'The Lambda function to call (its ARN, optionally with a version or alias).'),
    TimeoutSeconds: z.optional(
      integer(1, 3600, `How long the hook may take, answers IN_PROGRESS included, 1 to 3600 seconds; past it, it counts as FAILED. Default: ${DEFAULT_HOOK_TIMEOUT_SECONDS}.`),
    ),
  });
  const hooksError = `expected a list of 1 to ${MAX_HOOKS} hooks ({ Stage, FunctionArn, TimeoutSeconds? })`;
  const hooks = described(
    z.array(hook, { error: hooksError }).check(z.minLength(1, { error: hooksError }), z.maxLength(MAX_HOOKS, { error: hooksError })),
    `Service: Lambda functions called around stages (1 to ${MAX_HOOKS}), each with { EnvironmentName, Revision, DeploymentId, Stage }; it answers SUCCEEDED, FAILED or IN_PROGRESS (call again later). FAILED, or past TimeoutSeconds, rolls the deployment back.`,
  );

  const deploymentConfiguration = z.strictObject({
    Method: z.optional(
      described(
        z.enum([...DAEMON_METHODS, ...SERVICE_METHODS], {
          error: `expected one of ${[...DAEMON_METHODS, ...SERVICE_METHODS].join(', ')}`,
        }),
        'How tasks move to the new revision. Daemon: Replace (stop old tasks, then start new ones; default) or Surge (start new ones first). Service: Rolling (default), Canary or BlueGreen.',
      ),
    ),
    MinHealthyPercent: z.optional(
      integer(
        0,
        100,
        'The share of the target that must stay running and healthy during the rollout, 0 to 100 (a number or a numeric string like "100"). Default: 50 for Replace, 100 otherwise.',
      ),
    ),
    MaxOver: z.optional(maxOver),
    MaxPercent: z.optional(
      integer(
        100,
        400,
        'Service Rolling: the ceiling on tasks running (or stopping) at once during the rollout, in percent of DesiredCount, rounded down, 100 to 400. Default: 200.',
      ),
    ),
    CanaryTask: z.optional(
      described(
        z.strictObject({
          HealthyChecks: integer(1, 100, 'How many target health reads in a row the canary task must be healthy, 1 to 100.'),
        }),
        'Service Rolling (seed 004): before anything else moves, one task of the new revision runs in the production target group and must read healthy HealthyChecks times in a row; otherwise the deployment rolls back with nothing else touched.',
      ),
    ),
    StuckAfterSeconds: z.optional(
      integer(1, 604800, 'A deployment that makes no progress for this many seconds is reported as Stuck. Default: 300.'),
    ),
    FailingAfterSeconds: z.optional(
      integer(
        1,
        604800,
        'A deployment that stays Stuck for this many seconds is reported as Failing (and a notification is sent). Default: 900.',
      ),
    ),
    BakeSeconds: z.optional(
      integer(0, 604800, 'After the new revision has everything, the watched alarms are still watched this long before the old revision is retired, 0 to 604800. Default: 0.'),
    ),
    Alarms: z.optional(
      described(
        z.strictObject({
          AlarmNames: described(
            z.array(alarmName, { error: `expected a list of 1 to ${MAX_ALARM_NAMES} CloudWatch alarm names` }).check(
              z.minLength(1, { error: `expected a list of 1 to ${MAX_ALARM_NAMES} CloudWatch alarm names` }),
              z.maxLength(MAX_ALARM_NAMES, { error: `expected a list of 1 to ${MAX_ALARM_NAMES} CloudWatch alarm names` }),
            ),
            `The CloudWatch alarms to watch (1 to ${MAX_ALARM_NAMES} names).`,
          ),
          Rollback: z.optional(rollbackFlag('true (default): a watched alarm entering ALARM rolls the deployment back; false: it halts it (Stuck, with the reason).')),
        }),
        'CloudWatch alarms watched during the deployment and its bake: one entering ALARM rolls back (or halts). An alarm already in ALARM when the deployment starts is shown, and triggers on its next entry.',
      ),
    ),
    CircuitBreaker: z.optional(
      described(
        z.strictObject({
          FailedTasks: z.optional(
            countOrPercent(
              FAILED_TASKS_ERROR,
              'How many new-revision tasks may stop before they are ready: a count (3) or a percentage of the target ("20%"). Default: ECS\'s, clamp(ceil(0.5 × target), 3, 200).',
            ),
          ),
          Rollback: z.optional(rollbackFlag('true (default): the breaker rolls the deployment back; false: it halts it (Stuck, with the reason).')),
        }),
        'New-revision tasks that stop before they are ready (failed launch, essential container exit, failed health check) are counted per deployment; at FailedTasks the deployment rolls back (or halts).',
      ),
    ),
    Canary: z.optional(
      described(
        z.strictObject({
          Instances: countOrPercent(
            CANARY_INSTANCES_ERROR,
            'Daemon: how many instances get the new revision first: a count (1) or a percentage of the group ("10%", at least 1).',
          ),
          BakeSeconds: integer(0, 604800, 'How long the canary instances run, with the alarms watched, before the rest follow, 0 to 604800.'),
        }),
        'Daemon: the new revision goes to these instances first, then the bake with the alarms watched, then the rest at the Method\'s pace.',
      ),
    ),
    Coverage: z.optional(
      described(
        z.strictObject({
          MaxInstancesWithout: integer(0, 100000, 'How many instances may lack a ready task of the deploying revision, 0 to 100000.'),
          ForSeconds: integer(1, 604800, 'For how long more than MaxInstancesWithout may lack it before the deployment is Failing, 1 to 604800.'),
        }),
        'Daemon: when more than MaxInstancesWithout instances of the group have no ready task of the deploying revision for ForSeconds, the deployment is Failing (and notified) while it keeps trying; it is Deploying again once coverage recovers.',
      ),
    ),
    Steps: z.optional(steps),
    Hooks: z.optional(hooks),
  });

  const query = described(
    z.string({ error: 'expected a string in the ECS cluster query language' }).check(
      z.maxLength(MAX_QUERY_LENGTH, { error: `expected at most ${MAX_QUERY_LENGTH} characters` }),
      z.superRefine((source: string, ctx) => {
        if (source.length > MAX_QUERY_LENGTH) return; // already refused; not worth parsing
        const parsed = parseQuery(source);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: formatQueryError(source, parsed.error) });
      }),
    ),
    'An ECS cluster query language expression that selects container instances, e.g. "attribute:stack == prod" (at most 2048 characters).',
  );


  const stringList = (pattern: RegExp, what: string, max: number, description: string) =>
    described(
      z.array(z.string({ error: `expected ${what}` }).check(z.regex(pattern, { error: `expected ${what}` })), { error: `expected a list of ${what}` }).check(
        z.minLength(1, { error: `expected at least one ${what}` }),
        z.maxLength(max, { error: `expected at most ${max}` }),
      ),
      description,
    );

  const service = z.strictObject({
    ServiceName: z.optional(
      patterned(
        SERVICE_NAME_PATTERN,
        'expected 1 to 255 characters from A-Z a-z 0-9 _ -',
        'The ECS service of the environment (created with the EXTERNAL deployment controller, or adopted when it exists). Default: the Name with every other character turned into "-".',
      ),
    ),
    LaunchType: z.optional(described(z.enum(['EC2', 'FARGATE'], { error: 'expected "EC2" or "FARGATE"' }), 'The launch type of the task sets. Default: EC2.')),
    NetworkConfiguration: z.optional(
      described(
        z.strictObject({
          Subnets: stringList(/^subnet-[0-9a-f]{1,17}$/, 'a subnet id (subnet-…)', 16, 'The subnets of awsvpc tasks, 1 to 16.'),
          SecurityGroups: z.optional(stringList(/^sg-[0-9a-f]{1,17}$/, 'a security group id (sg-…)', 5, 'Their security groups, 1 to 5.')),
          AssignPublicIp: z.optional(
            described(z.enum(['ENABLED', 'DISABLED'], { error: 'expected "ENABLED" or "DISABLED"' }), 'Whether the tasks get a public IP (Fargate). Default: DISABLED.'),
          ),
        }),
        'awsvpc task definitions: where the tasks are attached.',
      ),
    ),
    LoadBalancer: z.optional(
      described(
        z.strictObject({
          ContainerName: patterned(/^[A-Za-z0-9_-]{1,255}$/, 'expected a container name of the task definition', 'The container that receives the traffic.'),
          ContainerPort: integer(1, 65535, 'Its port, 1 to 65535.'),
          TargetGroupArn: z.optional(
            patterned(
              TARGET_GROUP_ARN_PATTERN,
              TARGET_GROUP_ARN_ERROR,
              'The production target group: every task set registers there; a task is ready when its target is healthy. Required without TrafficRouting; with it, absent or one of its two target groups (the task sets register in blue and green).',
            ),
          ),
        }),
        'The container and port that receive the traffic, and (without TrafficRouting) the one production target group of the service.',
      ),
    ),
  });

  const targetGroupArn = (description: string) => patterned(TARGET_GROUP_ARN_PATTERN, TARGET_GROUP_ARN_ERROR, description);
  const listenerRuleArn = (description: string) => patterned(LISTENER_RULE_ARN_PATTERN, LISTENER_RULE_ARN_ERROR, description);
  const weightedRecord = (colour: 'Blue' | 'Green') =>
    described(
      z.strictObject({
        SetIdentifier: patterned(SET_IDENTIFIER_PATTERN, 'expected a set identifier (1 to 128 characters, no control characters)', `The SetIdentifier of the ${colour.toLowerCase()} weighted record.`),
        TargetGroupArn: targetGroupArn(`The target group behind the ${colour.toLowerCase()} load balancer, where that side's task set registers.`),
        LoadBalancerArn: z.optional(patterned(LOAD_BALANCER_ARN_PATTERN, LOAD_BALANCER_ARN_ERROR, `The ${colour.toLowerCase()} load balancer the record points at (an alias record).`)),
      }),
      `The ${colour.toLowerCase()} side: its weighted record and target group.`,
    );
  const trafficRouting = z.strictObject({
    Alb: z.optional(
      described(
        z.strictObject({
          ListenerRuleArn: listenerRuleArn('The production listener rule, which forwards to blue and green with weights.'),
          TestListenerRuleArn: z.optional(listenerRuleArn('BlueGreen (required there): the test listener rule, where green is tested (PostTestTraffic hooks) before the production rule flips.')),
          BlueTargetGroupArn: targetGroupArn('One of the two target groups the rule forwards to.'),
          GreenTargetGroupArn: targetGroupArn('The other one (a different target group from BlueTargetGroupArn).'),
        }),
        'An Application Load Balancer listener rule with weighted forwarding between two target groups: the new task set goes to the one that is not live.',
      ),
    ),
    Route53: z.optional(
      described(
        z.strictObject({
          HostedZoneId: patterned(HOSTED_ZONE_ID_PATTERN, 'expected a Route 53 hosted zone id (Z followed by capital letters and digits)', 'The hosted zone of the record.'),
          RecordName: patterned(RECORD_NAME_PATTERN, 'expected a DNS name (e.g. web.example.com), at most 253 characters', 'The name of the two weighted records.'),
          Blue: weightedRecord('Blue'),
          Green: weightedRecord('Green'),
        }),
        'Canary only: two weighted Route 53 records, one per load balancer; each step moves the weights (0 to 255, from the percentages) and its clock starts once the change is INSYNC.',
      ),
    ),
  });

  /** Every top-level field and its schema; the full spec and the partial update share them. */
  const fields = {
    Name: patterned(
      ENVIRONMENT_NAME_PATTERN,
      'expected 1 to 255 characters from A-Z a-z 0-9 _ / - .',
      'The environment\'s name: 1 to 255 characters from A-Z a-z 0-9 _ / - . (e.g. "SomeEnvironment/Prod"). It cannot be changed by an update.',
    ),
    TaskDefinition: patterned(
      TASK_DEFINITION_PATTERN,
      'expected "family:revision" (e.g. "log-daemon:1") or a task definition ARN',
      'The task definition to run: "family:revision" (e.g. "log-daemon:1") or a full task definition ARN.',
    ),
    Cluster: patterned(
      CLUSTER_PATTERN,
      'expected a cluster name (A-Z a-z 0-9 _ -, up to 255) or a cluster ARN',
      'The ECS cluster to run in: a cluster name or a cluster ARN. Default: "default".',
    ),
    DeploymentType: described(
      z.enum(['Daemon', 'Service'], { error: 'expected "Daemon" or "Service"' }),
      'Daemon: one task on every instance of the InstanceGroup. Service: DesiredCount tasks. It cannot be changed by an update.',
    ),
    InstanceGroup: described(
      z.strictObject({ Query: query }),
      'The container instances to run on (Daemon: one task per matching instance).',
    ),
    DesiredCount: integer(0, 10000, 'Service only (and required there): how many tasks to run, 0 to 10000.'),
    DeploymentConfiguration: described(deploymentConfiguration, 'How a deployment rolls out; every field is optional.'),
    RollbackConfiguration: described(
      deploymentConfiguration,
      'The deployment configuration a rollback uses, over DeploymentConfiguration; every field is optional.',
    ),
    Service: described(service, 'Service only: the ECS service and how its task sets run.'),
    TrafficRouting: described(
      trafficRouting,
      'Service Canary and BlueGreen (required there, not allowed otherwise): how traffic moves between the old and the new task set — exactly one of Alb and Route53 (Canary only).',
    ),
  };

  const specObject = z.strictObject({
    Name: fields.Name,
    TaskDefinition: fields.TaskDefinition,
    Cluster: z.optional(fields.Cluster),
    DeploymentType: fields.DeploymentType,
    InstanceGroup: z.optional(fields.InstanceGroup),
    DesiredCount: z.optional(fields.DesiredCount),
    DeploymentConfiguration: z.optional(fields.DeploymentConfiguration),
    RollbackConfiguration: z.optional(fields.RollbackConfiguration),
    Service: z.optional(fields.Service),
    TrafficRouting: z.optional(fields.TrafficRouting),
  });

  /** Rules that span fields: what each DeploymentType allows. */
  function checkTypeRules(spec: z.output<typeof specObject>, ctx: z.core.$RefinementCtx<z.output<typeof specObject>>): void {
    const methods: readonly string[] = spec.DeploymentType === 'Daemon' ? DAEMON_METHODS : SERVICE_METHODS;
    for (const key of ['DeploymentConfiguration', 'RollbackConfiguration'] as const) {
      const method = spec[key]?.Method;
      if (method !== undefined && !methods.includes(method)) {
        ctx.addIssue({
          code: 'custom',
          path: [key, 'Method'],
          message: `expected one of ${methods.join(', ')} for a ${spec.DeploymentType} environment`,
        });
      }
    }
    for (const key of ['DeploymentConfiguration', 'RollbackConfiguration'] as const) {
      for (const field of ['Coverage', 'Canary'] as const) {
        if (spec.DeploymentType !== 'Daemon' && spec[key]?.[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key, field], message: 'only allowed when DeploymentType is Daemon' });
        }
      }
    }
    // Keys that fit only one DeploymentType, or one Method (a rollback's method is its own over the deployment's).
    const defaultMethod = spec.DeploymentType === 'Daemon' ? 'Replace' : 'Rolling';
    for (const key of ['DeploymentConfiguration', 'RollbackConfiguration'] as const) {
      const given = spec[key];
      if (!given) continue;
      const method = given.Method ?? (key === 'RollbackConfiguration' ? spec.DeploymentConfiguration?.Method : undefined) ?? defaultMethod;
      const only = (field: keyof typeof given, allowed: string, fits: boolean) => {
        if (given[field] !== undefined && !fits) ctx.addIssue({ code: 'custom', path: [key, field], message: `only allowed ${allowed} (this one is ${spec.DeploymentType} ${method})` });
      };
      only('MaxOver', 'when DeploymentType is Daemon', spec.DeploymentType === 'Daemon');
      only('MaxPercent', 'when DeploymentType is Service and Method is Rolling', spec.DeploymentType === 'Service' && method === 'Rolling');
      only('CanaryTask', 'when DeploymentType is Service and Method is Rolling', spec.DeploymentType === 'Service' && method === 'Rolling');
    }
    if (spec.DeploymentType === 'Daemon' && spec.Service !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['Service'], message: 'only allowed when DeploymentType is Service' });
    }
    if (spec.DeploymentType === 'Service' && spec.InstanceGroup !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['InstanceGroup'], message: 'only allowed when DeploymentType is Daemon (ECS places a Service\'s tasks)' });
    }
    if (spec.Service?.LaunchType === 'FARGATE' && spec.Service.NetworkConfiguration === undefined) {
      ctx.addIssue({ code: 'custom', path: ['Service', 'NetworkConfiguration'], message: 'is required when LaunchType is FARGATE (Fargate tasks use awsvpc networking)' });
    }
    if (spec.DeploymentType === 'Daemon' && spec.DesiredCount !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['DesiredCount'], message: 'only allowed when DeploymentType is Service (a Daemon runs one task per instance)' });
    }
    if (spec.DeploymentType === 'Service' && spec.DesiredCount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['DesiredCount'], message: 'is required when DeploymentType is Service' });
    }
    checkProgressiveRules(spec, ctx);
  }

  /**
   * Steps, Hooks and TrafficRouting (Service Canary and BlueGreen):
   * - Steps only for a Service Canary's DeploymentConfiguration; weights never go down. A final
   *   SetWeight 100 is implied when the last one is below (`effectiveDeploymentConfiguration` adds it).
   * - Hooks only for a Service, in DeploymentConfiguration (PreRollback and PostRollback run on
   *   rollbacks from there); PostTestTraffic only with BlueGreen (only it has a test listener rule).
   * - TrafficRouting required when a Method (DeploymentConfiguration's, or RollbackConfiguration's) is
   *   Canary or BlueGreen, refused otherwise; exactly one of Alb and Route53; Route53 not with BlueGreen;
   *   Alb.TestListenerRuleArn required with BlueGreen; blue and green differ.
   * - Service.LoadBalancer is required with TrafficRouting (its ContainerName and ContainerPort take the
   *   traffic); its TargetGroupArn is then absent or one of the two target groups (the task sets register
   *   in blue and green, never in a third one); without TrafficRouting it is required.
   */
  function checkProgressiveRules(spec: z.output<typeof specObject>, ctx: z.core.$RefinementCtx<z.output<typeof specObject>>): void {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const service = spec.DeploymentType === 'Service';
    const deployMethod = spec.DeploymentConfiguration?.Method ?? (service ? 'Rolling' : 'Replace');
    const rollbackMethod = spec.RollbackConfiguration?.Method ?? deployMethod;
    const shifts = (method: string) => method === 'Canary' || method === 'BlueGreen';
    const kind = `${spec.DeploymentType} ${deployMethod}`;

    const deploying = spec.DeploymentConfiguration;
    if (deploying?.Steps !== undefined) {
      if (!service || deployMethod !== 'Canary') {
        issue(['DeploymentConfiguration', 'Steps'], `only allowed when DeploymentType is Service and Method is Canary (this one is ${kind})`);
      } else {
        let highest = 0;
        let from = -1;
        deploying.Steps.forEach((s, i) => {
          if (s.SetWeight === undefined) return;
          if (s.SetWeight < highest) {
            issue(['DeploymentConfiguration', 'Steps', i, 'SetWeight'], `expected at least ${highest}: weights never go down (step ${from + 1} set ${highest})`);
          } else {
            highest = s.SetWeight;
            from = i;
          }
        });
      }
    }
    if (spec.RollbackConfiguration?.Steps !== undefined) {
      issue(['RollbackConfiguration', 'Steps'], 'only allowed in DeploymentConfiguration (a rollback restores the traffic at once)');
    }
    if (deploying?.Hooks !== undefined) {
      if (!service) {
        issue(['DeploymentConfiguration', 'Hooks'], `only allowed when DeploymentType is Service (this one is ${kind})`);
      } else {
        deploying.Hooks.forEach((h, i) => {
          if (h.Stage === 'PostTestTraffic' && deployMethod !== 'BlueGreen') {
            issue(['DeploymentConfiguration', 'Hooks', i, 'Stage'], `PostTestTraffic is only allowed when Method is BlueGreen (this one is ${kind}): only BlueGreen has test traffic`);
          }
        });
      }
    }
    if (spec.RollbackConfiguration?.Hooks !== undefined) {
      issue(['RollbackConfiguration', 'Hooks'], 'only allowed in DeploymentConfiguration (its PreRollback and PostRollback hooks run on rollbacks)');
    }

    const traffic = spec.TrafficRouting;
    const balancer = spec.Service?.LoadBalancer;
    if (traffic === undefined) {
      if (service) {
        const needs = (['DeploymentConfiguration', 'RollbackConfiguration'] as const).find((key) => shifts(key === 'DeploymentConfiguration' ? deployMethod : rollbackMethod) && spec[key]?.Method !== undefined);
        if (needs) issue(['TrafficRouting'], `is required when ${needs}.Method is ${spec[needs]!.Method} (TrafficRouting.Alb or TrafficRouting.Route53: how the traffic moves)`);
      }
      if (balancer && balancer.TargetGroupArn === undefined) {
        issue(['Service', 'LoadBalancer', 'TargetGroupArn'], 'is required without TrafficRouting (every task set registers in this production target group)');
      }
      return;
    }
    if (!service) {
      issue(['TrafficRouting'], 'only allowed when DeploymentType is Service and Method is Canary or BlueGreen');
      return;
    }
    if (!shifts(deployMethod) && !shifts(rollbackMethod)) {
      issue(['TrafficRouting'], `only allowed when Method is Canary or BlueGreen (this one is ${kind})`);
    }
    const given = (['Alb', 'Route53'] as const).filter((key) => traffic[key] !== undefined);
    if (given.length !== 1) {
      issue(['TrafficRouting'], `expected exactly one of Alb, Route53 (${given.length === 0 ? 'neither' : 'both'} given)`);
    }
    const blueGreen = deployMethod === 'BlueGreen' || rollbackMethod === 'BlueGreen';
    let sides: string[] = [];
    if (traffic.Alb) {
      const alb = traffic.Alb;
      sides = [alb.BlueTargetGroupArn, alb.GreenTargetGroupArn];
      if (blueGreen && alb.TestListenerRuleArn === undefined) {
        issue(['TrafficRouting', 'Alb', 'TestListenerRuleArn'], 'is required when Method is BlueGreen (green is tested behind it before the production rule flips)');
      }
      if (alb.TestListenerRuleArn !== undefined && alb.TestListenerRuleArn === alb.ListenerRuleArn) {
        issue(['TrafficRouting', 'Alb', 'TestListenerRuleArn'], 'expected a different listener rule from ListenerRuleArn');
      }
      if (alb.GreenTargetGroupArn === alb.BlueTargetGroupArn) {
        issue(['TrafficRouting', 'Alb', 'GreenTargetGroupArn'], 'expected a different target group from BlueTargetGroupArn');
      }
    }
    if (traffic.Route53) {
      const dns = traffic.Route53;
      if (!traffic.Alb) sides = [dns.Blue.TargetGroupArn, dns.Green.TargetGroupArn];
      if (blueGreen) {
        issue(['TrafficRouting', 'Route53'], 'only allowed when Method is Canary (BlueGreen flips a listener rule: use TrafficRouting.Alb)');
      }
      if (dns.Green.SetIdentifier === dns.Blue.SetIdentifier) {
        issue(['TrafficRouting', 'Route53', 'Green', 'SetIdentifier'], 'expected a different SetIdentifier from Blue.SetIdentifier');
      }
      if (dns.Green.TargetGroupArn === dns.Blue.TargetGroupArn) {
        issue(['TrafficRouting', 'Route53', 'Green', 'TargetGroupArn'], 'expected a different target group from Blue.TargetGroupArn');
      }
    }
    if (!balancer) {
      issue(['Service', 'LoadBalancer'], 'is required with TrafficRouting (its ContainerName and ContainerPort receive the traffic)');
    } else if (balancer.TargetGroupArn !== undefined && sides.length > 0 && !sides.includes(balancer.TargetGroupArn)) {
      issue(['Service', 'LoadBalancer', 'TargetGroupArn'], 'expected nothing, or one of the two target groups of TrafficRouting (the task sets register in blue and green)');
    }
  }

  const environmentSpecSchema = specObject.check(z.superRefine(checkTypeRules));

  /** A partial update: any field of the spec; nested configurations merge key by key onto the base. */
  const specPatchSchema = z.strictObject({
    Name: z.optional(fields.Name),
    TaskDefinition: z.optional(fields.TaskDefinition),
    Cluster: z.optional(fields.Cluster),
    DeploymentType: z.optional(fields.DeploymentType),
    InstanceGroup: z.optional(fields.InstanceGroup),
    DesiredCount: z.optional(fields.DesiredCount),
    DeploymentConfiguration: z.optional(fields.DeploymentConfiguration),
    RollbackConfiguration: z.optional(fields.RollbackConfiguration),
    Service: z.optional(fields.Service),
    TrafficRouting: z.optional(fields.TrafficRouting),
  });

  return { deploymentConfiguration, fields, specObject, environmentSpecSchema, specPatchSchema };
}

type SpecSchemas = ReturnType<typeof buildSchemas>;
let schemas: SpecSchemas | undefined;

/** The spec's schemas (built once, on the first call). */
export function specSchemas(): SpecSchemas {
  return (schemas ??= buildSchemas());
}

export type EnvironmentSpec = z.output<SpecSchemas['environmentSpecSchema']>;
export type EnvironmentSpecInput = z.input<SpecSchemas['environmentSpecSchema']>;
export type SpecPatch = z.output<SpecSchemas['specPatchSchema']>;
export type DeploymentConfiguration = z.output<SpecSchemas['deploymentConfiguration']>;

/** The fields a whole spec must give; an update that gives all of them replaces the spec. */
export const REQUIRED_SPEC_FIELDS = ['Name', 'TaskDefinition', 'DeploymentType'] as const;

export interface EffectiveDeploymentConfiguration {
  Method: DeploymentMethod;
  MinHealthyPercent: number;
  MaxOver: number | `${number}%`;
  /** Service: ceiling on running tasks, percent of DesiredCount (default 200; absent for a Daemon). */
  MaxPercent?: number | undefined;
  /** Service Rolling: the canary task of seed 004 (none: no canary task). */
  CanaryTask?: { HealthyChecks: number } | undefined;
  StuckAfterSeconds: number;
  FailingAfterSeconds: number;
  /** Daemon coverage (none: not watched). */
  Coverage?: { MaxInstancesWithout: number; ForSeconds: number } | undefined;
  /** After the new revision has everything, alarms are still watched this long (none: 0). */
  BakeSeconds?: number | undefined;
  /** The CloudWatch alarms watched (none: no alarm is). */
  Alarms?: { AlarmNames: string[]; Rollback: boolean } | undefined;
  /** The circuit breaker (none: off, as ECS's is unless enabled); FailedTasks none: ECS's default threshold. */
  CircuitBreaker?: { FailedTasks?: number | `${number}%` | undefined; Rollback: boolean } | undefined;
  /** Daemon: these instances first, then their bake, then the rest. */
  Canary?: { Instances: number | `${number}%`; BakeSeconds: number } | undefined;
  /** Service Canary: the weight schedule, ending at SetWeight 100 (added when the spec's last weight is below). */
  Steps?: CanaryStep[] | undefined;
  /** Service: the lifecycle hooks, TimeoutSeconds filled in. */
  Hooks?: Array<{ Stage: HookStage; FunctionArn: string; TimeoutSeconds: number }> | undefined;
}

/** A step of a Service Canary: a weight, or a pause (no Seconds: until promote-deployment). */
export type CanaryStep = { SetWeight: number } | { Pause: { Seconds?: number | undefined } };

/**
 * The steps a Canary runs: the spec's, each as exactly one key, and a final SetWeight 100 when the
 * highest weight given is below it (the canary always ends with all the traffic).
 * canarySteps([{ SetWeight: 10 }, { Pause: {} }]) → [{ SetWeight: 10 }, { Pause: {} }, { SetWeight: 100 }]
 */
export function canarySteps(steps: ReadonlyArray<{ SetWeight?: number | undefined; Pause?: { Seconds?: number | undefined } | undefined }>): CanaryStep[] {
  const out: CanaryStep[] = steps.map((s) => (s.SetWeight !== undefined ? { SetWeight: s.SetWeight } : { Pause: s.Pause?.Seconds !== undefined ? { Seconds: s.Pause.Seconds } : {} }));
  const highest = Math.max(0, ...out.map((s) => ('SetWeight' in s ? s.SetWeight : 0)));
  if (highest < 100) out.push({ SetWeight: 100 });
  return out;
}

export const DEFAULT_STUCK_AFTER_SECONDS = 300;
export const DEFAULT_FAILING_AFTER_SECONDS = 900;

/**
 * The configuration a deployment runs with: the spec's values over the defaults, and for a rollback
 * the `RollbackConfiguration` over that.
 *
 * Defaults: Daemon → `Replace` at MinHealthyPercent 50 (half the fleet keeps its daemon); `Surge` at
 * MinHealthyPercent 100 with MaxOver 1; Service → `Rolling` at 100. Stuck after 300 s, Failing 900 s
 * after that.
 *
 * effectiveDeploymentConfiguration({ DeploymentType: 'Daemon', DeploymentConfiguration: { Method: 'Surge' }, … })
 *   → { Method: 'Surge', MinHealthyPercent: 100, MaxOver: 1, StuckAfterSeconds: 300, FailingAfterSeconds: 900 }
 */
export function effectiveDeploymentConfiguration(
  spec: Pick<EnvironmentSpec, 'DeploymentType' | 'DeploymentConfiguration'>,
  rollback?: DeploymentConfiguration,
): EffectiveDeploymentConfiguration {
  const given = { ...spec.DeploymentConfiguration, ...rollback };
  const method: DeploymentMethod = given.Method ?? (spec.DeploymentType === 'Daemon' ? 'Replace' : 'Rolling');
  return {
    Method: method,
    MinHealthyPercent: given.MinHealthyPercent ?? (method === 'Replace' ? 50 : 100),
    MaxOver: given.MaxOver ?? 1,
    ...(spec.DeploymentType === 'Service' ? { MaxPercent: given.MaxPercent ?? 200 } : {}),
    ...(given.CanaryTask ? { CanaryTask: given.CanaryTask } : {}),
    StuckAfterSeconds: given.StuckAfterSeconds ?? DEFAULT_STUCK_AFTER_SECONDS,
    FailingAfterSeconds: given.FailingAfterSeconds ?? DEFAULT_FAILING_AFTER_SECONDS,
    ...(given.Coverage ? { Coverage: given.Coverage } : {}),
    ...(given.BakeSeconds ? { BakeSeconds: given.BakeSeconds } : {}),
    ...(given.Alarms ? { Alarms: { AlarmNames: [...new Set(given.Alarms.AlarmNames)], Rollback: given.Alarms.Rollback ?? true } } : {}),
    ...(given.CircuitBreaker
      ? { CircuitBreaker: { ...(given.CircuitBreaker.FailedTasks !== undefined ? { FailedTasks: given.CircuitBreaker.FailedTasks } : {}), Rollback: given.CircuitBreaker.Rollback ?? true } }
      : {}),
    ...(given.Canary ? { Canary: given.Canary } : {}),
    ...(given.Steps ? { Steps: canarySteps(given.Steps) } : {}),
    ...(given.Hooks ? { Hooks: given.Hooks.map((h) => ({ Stage: h.Stage, FunctionArn: h.FunctionArn, TimeoutSeconds: h.TimeoutSeconds ?? DEFAULT_HOOK_TIMEOUT_SECONDS })) } : {}),
  };
}

/**
 * Turns zod issues into one message that names every offending field (dotted path) and what was
 * expected; `field` is the first one named, and the message starts with it.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): { field: string; message: string } {
  const parts: string[] = [];
  let firstField = '';
  for (const issue of issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    let field = base;
    let text: string;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map(displayKey);
      field = [base, keys[0]].filter(Boolean).join('.');
      const known = knownKeys(issue.path);
      const expected = known.length > 0 ? ` (expected one of ${known.join(', ')})` : '';
      text = keys.length === 1 ? `unknown field${expected}` : `unknown fields ${keys.join(', ')}${expected}`;
    } else if (isMissing(issue)) {
      text = 'is required';
    } else if (issue.code === 'invalid_type' && issue.expected === 'object') {
      text = `expected an object, got ${describeValue(issue.input)}`;
    } else {
      text = issue.message;
    }
    const part = field ? `${field}: ${text}` : text;
    if (parts.includes(part)) continue; // one value can fail several checks with the same message
    if (!firstField) firstField = field;
    parts.push(part);
  }
  const shown = parts.slice(0, 5);
  if (parts.length > 5) shown.push(`and ${parts.length - 5} more`);
  return { field: firstField, message: shown.join('; ') };
}

/** A required field that was not given: zod reports it as a type, value or union mismatch on `undefined`. */
function isMissing(issue: z.core.$ZodIssue): boolean {
  return (
    (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') &&
    'input' in issue &&
    issue.input === undefined
  );
}

/** The fields allowed at a path of the spec (through nested objects and list items), to list after "unknown field". */
function knownKeys(path: readonly PropertyKey[]): readonly string[] {
  let schema: z.ZodMiniType | undefined = specSchemas().specObject;
  for (const key of path) {
    const def = unwrapped(schema)?._zod.def as { type: string; shape?: Record<string, z.ZodMiniType>; element?: z.ZodMiniType } | undefined;
    if (def?.type === 'object') schema = def.shape?.[String(key)];
    else if (def?.type === 'array') schema = def.element;
    else return [];
  }
  const def = unwrapped(schema)?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

/** A schema without its optional and pipe wrappers. */
function unwrapped(schema: z.ZodMiniType | undefined): z.ZodMiniType | undefined {
  let current = schema;
  for (;;) {
    const def = current?._zod.def as { type: string; innerType?: z.ZodMiniType; in?: z.ZodMiniType } | undefined;
    if (def?.type === 'optional' && def.innerType) current = def.innerType;
    else if (def?.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** An unknown key as it is shown in a field path: as is when plain, else quoted (and cut short). */
function displayKey(key: string): string {
  if (/^[A-Za-z0-9_$-]{1,64}$/.test(key)) return key;
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function failOn(issues: readonly z.core.$ZodIssue[], prefix = ''): never {
  const { field, message } = describeIssues(issues, prefix);
  throw new ValidationError(message, field || undefined);
}

function requireObject(input: unknown, what: string): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError(`${what}: expected an object (a YAML or JSON mapping), got ${describeValue(input)}`);
  }
  return input as Record<string, unknown>;
}

/** Parses a whole environment spec, or throws a `ValidationError` naming the field. */
export function parseEnvironmentSpec(input: unknown): EnvironmentSpec {
  requireObject(input, 'environment spec');
  const result = specSchemas().environmentSpecSchema.safeParse(input, { reportInput: true });
  if (!result.success) failOn(result.error.issues);
  return result.data;
}

/** Parses the fields of a partial update, or throws a `ValidationError` naming the field. */
export function parseSpecPatch(input: unknown): SpecPatch {
  requireObject(input, 'update');
  const result = specSchemas().specPatchSchema.safeParse(input, { reportInput: true });
  if (!result.success) failOn(result.error.issues);
  return result.data;
}

/** True when a patch gives every field a whole spec needs, so it replaces the spec instead of merging. */
export function isWholeSpec(patch: SpecPatch): boolean {
  return REQUIRED_SPEC_FIELDS.every((field) => patch[field] !== undefined);
}

/**
 * Applies a partial update to the spec it is based on. Nested objects merge one level deep, so
 * `{ DeploymentConfiguration: { MinHealthyPercent: 80 } }` keeps the base's `Method` (and a list such
 * as `Steps` is replaced whole); `TrafficRouting` is replaced whole.
 *
 * mergeSpec({ Name: 'A', TaskDefinition: 'd:1', DeploymentType: 'Daemon' }, { TaskDefinition: 'd:2' })
 *   → { Name: 'A', TaskDefinition: 'd:2', DeploymentType: 'Daemon' }
 */
export function mergeSpec(base: EnvironmentSpec, patch: SpecPatch): EnvironmentSpec {
  if (patch.Name !== undefined && patch.Name !== base.Name) {
    throw new ValidationError(`Name: cannot be changed by an update (the environment is "${base.Name}")`, 'Name');
  }
  if (patch.DeploymentType !== undefined && patch.DeploymentType !== base.DeploymentType) {
    throw new ValidationError(
      `DeploymentType: cannot change from ${base.DeploymentType} to ${patch.DeploymentType}; create a new environment`,
      'DeploymentType',
    );
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = merged[key];
    // TrafficRouting is replaced whole: it is one of Alb and Route53, and a switch must not keep the other.
    merged[key] =
      key !== 'TrafficRouting' && typeof value === 'object' && value !== null && typeof current === 'object' && current !== null
        ? { ...current, ...value }
        : value;
  }
  const result = specSchemas().environmentSpecSchema.safeParse(merged, { reportInput: true });
  if (!result.success) failOn(result.error.issues);
  return result.data;
}

/**
 * The JSON Schema (draft-07, which editors support best) of the spec as users write it (numbers or
 * numeric strings), with a description on every field. The rules that span fields (`checkTypeRules`)
 * are added as `if`/`then`, so an editor flags a Daemon with a `DesiredCount` or a `Rolling` method.
 * `scripts/write-schema.ts` writes it to `schema/environment.schema.json`.
 */
export function environmentSpecJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(specSchemas().specObject, { target: 'draft-07', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const methods = (allowed: readonly string[]) => ({ properties: { Method: { enum: [...allowed] } } });
  const rules = (type: 'Daemon' | 'Service', allowed: readonly string[], desiredCount: Record<string, unknown>) => ({
    if: { properties: { DeploymentType: { const: type } }, required: ['DeploymentType'] },
    then: {
      properties: { DeploymentConfiguration: methods(allowed), RollbackConfiguration: methods(allowed) },
      ...desiredCount,
    },
  });
  schema.allOf = [
    rules('Daemon', DAEMON_METHODS, { not: { required: ['DesiredCount'] } }),
    rules('Service', SERVICE_METHODS, { required: ['DesiredCount'] }),
  ];
  return schema;
}
