/**
 * The world description file of the simulated cluster (YAML, e.g. `local/cluster.yml`): which
 * clusters, which container instances with which attributes and sizes, and how task definitions
 * behave. Validated strictly: an unknown key, a bad type or a bad value is refused with a message
 * that names the field, e.g.
 * `clusters.default.instances[0].cpu: expected a whole number > 0, got "lots"`.
 *
 * ```yaml
 * clusters:
 *   default:
 *     instances:
 *       - count: 5                    # default 1
 *         attributes: { stack: prod } # custom attributes (ecs.* ones are filled in)
 *         cpu: 2048                   # CPU units, default 2048
 *         memory: 4096                # MiB, default 4096
 * taskDefinitions:                    # optional; "family:revision", or "family" for all its revisions
 *   "log-daemon:1": { cpu: 1024, memory: 2048, startSeconds: 2, stopSeconds: 1 }
 *   "broken:1": { failStart: "CannotPullContainerError: pull access denied" }
 * ```
 *
 * Task definition fields: `cpu`, `memory`, `startSeconds`, `stopSeconds`,
 * `health` (healthy | unhealthy | none), `healthyAfterSeconds`, `failStart` (a stopped reason),
 * `crashAfterSeconds`, `crashExitCode`, `containerName`; and what DescribeTaskDefinition answers of
 * its container: `image` (default `sim.local/<family>:<revision>`), `environment` (name: value),
 * `portMappings` (`[{ containerPort, hostPort?, protocol? }]`). Unlisted task definitions behave as
 * `DEFAULT_TASK_BEHAVIOUR` (512 CPU units, 1024 MiB, 2 s to start, 1 s to stop, healthy).
 *
 * `rateLimits` (optional): ECS's request rate limits, on with ECS's documented figures when absent
 * (`ecs-rate-limits.ts`); `false` turns them off; a mapping overrides them:
 * `{ callSpacingMs: 30, buckets: { cluster-resource-read: { burst: 100, sustainedPerSecond: 20 } } }`.
 * An explicit `rateLimits` option of `createWorld` wins over the file's.
 *
 * The simulated load balancing and monitoring (optional; `kernel.ts` builds them with
 * `createSimulatedServices({ world, clock, description: simServicesOf(description) })`; absent
 * sections are empty):
 *
 * ```yaml
 * targetGroups:                       # ELBv2 target groups (ELBv2's defaults for absent settings)
 *   web: { cluster: default, registerTasksOf: web, healthCheckIntervalSeconds: 30 }
 *   web-blue: { loadBalancer: web-alb }
 *   web-green: { loadBalancer: web-alb }
 * loadBalancers:                      # listeners and weighted forward rules (kernel.ts)
 *   web-alb:
 *     requestsPerSecond: 100
 *     listeners:
 *       - { port: 80, rules: [{ priority: 1, forward: { web-blue: 100, web-green: 0 } }] }
 * traffic:                            # how tasks answer, "family:revision" or "family"
 *   "web:2": { errorRate: 0.2 }
 * alarms:                             # CloudWatch alarms
 *   web-5xx: { targetGroup5xxPercent: web, threshold: 5 }
 *   daemon-errors: { taskFamilyErrors: log-daemon, threshold: 0 }
 * quotas:                             # ELBv2 quotas raised through Service Quotas
 *   targetsPerTargetGroup: 2000       #   (default 1,000: a 1,000-task Service at MaxPercent 200 needs 2,000)
 * hostedZones:                        # Route 53 hosted zones and weighted records (kernel.ts)
 *   example.internal:
 *     records:
 *       web.example.internal:
 *         weighted: { blue: { loadBalancer: web-a, weight: 100 }, green: { loadBalancer: web-b, weight: 0 } }
 * route53: { changePropagationSeconds: 60 }
 * functions:                          # Lambda hook functions and their answers
 *   smoke-ok: { answer: SUCCEEDED }
 * ```
 *
 * Beyond their types, these sections are checked the way ELBv2 and CloudWatch would check them (a
 * dry run: target group names and setting ranges, alarm periods, an alarm naming a target group
 * that is not in the file, a rule forwarding to a target group that is not in the file or is another
 * load balancer's), and a refusal names the field:
 * `targetGroups.web.healthCheckIntervalSeconds: Member must have value greater than or equal to 5 (got 3)`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import * as z from 'zod';
import { VirtualClock } from './clock';
import { SimulatedCloudWatch } from './cloudwatch';
import type { SimRateLimitsConfig, SimRateLimitsOption } from './ecs-rate-limits';
import { SimulatedElbv2 } from './elbv2';
import type { AlarmDescription, SimLoadBalancerDescription, SimServicesDescription, SimTargetGroupDescription } from './kernel';
import { recordSetsOf } from './kernel';
import { nameBasedLoadBalancers, SimulatedRoute53 } from './route53';
import { alarmInput, simServicesFileSchema } from './kernel';
import type { TaskTraffic } from './traffic';
import type { SimulatedClusterOptions } from './world';
import { SimulatedCluster } from './world';
import type { TaskBehaviour } from './state';

/** The default world of the local stack. */
export const DEFAULT_WORLD_FILE = fileURLToPath(new URL('../cluster.yml', import.meta.url));

const NAME = /^[A-Za-z0-9_.\-/\\]{1,128}$/;
const TASK_DEFINITION_KEY = /^[A-Za-z0-9_-]{1,255}(:[1-9][0-9]*)?$/;
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const FAMILY = /^[A-Za-z0-9_-]{1,255}$/;

function wholeNumber(min: number) {
  const what = `expected a whole number >= ${min}`;
  return z.number({ error: (issue) => `${what}, got ${describe(issue.input)}` }).int({ error: what }).min(min, { error: what });
}

function seconds() {
  const what = 'expected a number of seconds >= 0';
  return z.number({ error: (issue) => `${what}, got ${describe(issue.input)}` }).min(0, { error: what });
}

const attributeValue = z
  .union([z.string(), z.number(), z.boolean(), z.null()], { error: (issue) => `expected a text value, got ${describe(issue.input)}` })
  .transform((value) => (value === null ? undefined : String(value)));

const instanceGroupSchema = z.strictObject({
  count: wholeNumber(0).default(1),
  attributes: z.record(z.string(), attributeValue).default({}),
  cpu: wholeNumber(1).optional(),
  memory: wholeNumber(1).optional(),
  instanceType: z.string().min(1).optional(),
  availabilityZone: z.string().min(1).optional(),
});

const clusterSchema = z.strictObject({
  instances: z.array(instanceGroupSchema, { error: (issue) => `expected a list of instance groups, got ${describe(issue.input)}` }).default([]),
});

const taskDefinitionSchema = z.strictObject({
  cpu: wholeNumber(0).optional(),
  memory: wholeNumber(0).optional(),
  startSeconds: seconds().optional(),
  stopSeconds: seconds().optional(),
  health: z.enum(['healthy', 'unhealthy', 'none'], { error: 'expected healthy, unhealthy or none' }).optional(),
  healthyAfterSeconds: seconds().optional(),
  failStart: z.string().min(1, { error: 'expected a stopped reason (text)' }).optional(),
  crashAfterSeconds: seconds().optional(),
  crashExitCode: z.number().int({ error: 'expected a whole number' }).optional(),
  containerName: z.string().min(1).optional(),
  image: z.string().min(1, { error: 'expected an image name (text)' }).optional(),
  environment: z.record(z.string(), z.string({ error: (issue) => `expected a text value, got ${describe(issue.input)}` })).optional(),
  portMappings: z
    .array(
      z.strictObject({
        containerPort: z.number().int().min(1, { error: 'expected a port from 1 to 65535' }).max(65535, { error: 'expected a port from 1 to 65535' }),
        hostPort: z.number().int().min(0, { error: 'expected a port from 0 to 65535' }).max(65535, { error: 'expected a port from 0 to 65535' }).optional(),
        protocol: z.enum(['tcp', 'udp'], { error: 'expected tcp or udp' }).optional(),
      }),
    )
    .optional(),
});

const rateLimitSchema = z.strictObject({
  burst: wholeNumber(1),
  sustainedPerSecond: z.number({ error: (issue) => `expected a number of calls a second > 0, got ${describe(issue.input)}` }).positive({ error: 'expected a number of calls a second > 0' }),
});

const bucketsSchema = z.strictObject({ 'cluster-resource-read': rateLimitSchema.optional(), 'cluster-resource-modify': rateLimitSchema.optional() });

/** `rateLimits: false` is taken out before validation (see `parseWorldDescription`): this is the mapping. */
const rateLimitsSchema = z.strictObject({
  callSpacingMs: z.number({ error: (issue) => `expected a number of milliseconds >= 0, got ${describe(issue.input)}` }).min(0, { error: 'expected a number of milliseconds >= 0' }).optional(),
  buckets: bucketsSchema.optional(),
});

/** The simulated services' sections (`kernel.ts`'s schema), optional: a file without them describes none. */
const targetGroupsSchema = simServicesFileSchema.shape.targetGroups.unwrap();
const loadBalancersSchema = simServicesFileSchema.shape.loadBalancers.unwrap();
const trafficSchema = simServicesFileSchema.shape.traffic.unwrap();
const alarmsSchema = simServicesFileSchema.shape.alarms.unwrap();
const quotasSchema = simServicesFileSchema.shape.quotas.unwrap();
const hostedZonesSchema = simServicesFileSchema.shape.hostedZones.unwrap();
const route53Schema = simServicesFileSchema.shape.route53.unwrap();
const functionsSchema = simServicesFileSchema.shape.functions.unwrap();

export const worldFileSchema = z.strictObject({
  clusters: z.record(z.string(), clusterSchema).default({}),
  taskDefinitions: z.record(z.string(), taskDefinitionSchema).default({}),
  rateLimits: rateLimitsSchema.optional(),
  targetGroups: targetGroupsSchema.optional(),
  loadBalancers: loadBalancersSchema.optional(),
  traffic: trafficSchema.optional(),
  alarms: alarmsSchema.optional(),
  quotas: quotasSchema.optional(),
  hostedZones: hostedZonesSchema.optional(),
  route53: route53Schema.optional(),
  functions: functionsSchema.optional(),
});

export interface InstanceGroupDescription {
  count: number;
  attributes: Record<string, string | undefined>;
  cpu?: number | undefined;
  memory?: number | undefined;
  instanceType?: string | undefined;
  availabilityZone?: string | undefined;
}

export interface WorldDescription {
  clusters: Record<string, { instances: InstanceGroupDescription[] }>;
  taskDefinitions: Record<string, Partial<TaskBehaviour>>;
  /** Absent: ECS's limits. */
  rateLimits?: SimRateLimitsOption | undefined;
  /** ELBv2 target groups (absent: none). */
  targetGroups?: Record<string, SimTargetGroupDescription> | undefined;
  /** Load balancers with listeners and weighted forward rules (absent: none). */
  loadBalancers?: Record<string, SimLoadBalancerDescription> | undefined;
  /** How tasks answer, by `family:revision` or `family` (absent: every task serves without errors). */
  traffic?: Record<string, Partial<TaskTraffic>> | undefined;
  /** CloudWatch alarms (absent: none). */
  alarms?: Record<string, AlarmDescription> | undefined;
  /** ELBv2 quotas raised through Service Quotas (absent: ELBv2's defaults). */
  quotas?: SimServicesDescription['quotas'];
  /** Route 53 hosted zones with weighted records (absent: none). */
  hostedZones?: SimServicesDescription['hostedZones'];
  /** Route 53's settings (absent: a change is PENDING for 60 s). */
  route53?: SimServicesDescription['route53'];
  /** Lambda hook functions (absent: none). */
  functions?: SimServicesDescription['functions'];
}

/** The description's simulated services (`createSimulatedServices`' description): absent sections are empty. */
export function simServicesOf(description: WorldDescription): SimServicesDescription {
  return {
    targetGroups: description.targetGroups ?? {},
    ...(description.loadBalancers ? { loadBalancers: description.loadBalancers } : {}),
    traffic: description.traffic ?? {},
    alarms: description.alarms ?? {},
    ...(description.quotas ? { quotas: description.quotas } : {}),
    ...(description.hostedZones ? { hostedZones: description.hostedZones } : {}),
    ...(description.route53 ? { route53: description.route53 } : {}),
    ...(description.functions ? { functions: description.functions } : {}),
  };
}

/** A world file that cannot be used; `field` is the dotted path of the first offending field. */
export class WorldFileError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'WorldFileError';
  }
}

/** Parses and validates a world description (YAML, core schema). `source` names it in errors. */
export function parseWorldDescription(text: string, source = 'world file'): WorldDescription {
  let document: unknown;
  if (text.trim() === '') {
    document = {};
  } else {
    try {
      document = loadYaml(text, { schema: CORE_SCHEMA, maxAliases: 100 });
    } catch (error) {
      const message = error instanceof YAMLException ? error.message.split('\n')[0] : String(error);
      throw new WorldFileError(`${source}: not valid YAML (${message})`);
    }
  }
  if (document === null || document === undefined) document = {};
  // `rateLimits: false` (off) is the one value that is not a mapping: validated apart, so the
  // mapping's errors keep naming their field.
  const rateLimitsOff = typeof document === 'object' && !Array.isArray(document) && (document as Record<string, unknown>).rateLimits === false;
  if (rateLimitsOff) document = { ...(document as Record<string, unknown>), rateLimits: undefined };
  const parsed = worldFileSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) {
    const { field, message } = describeIssues(parsed.error.issues);
    throw new WorldFileError(`${source}: ${message}`, field);
  }
  const { rateLimits, ...rest } = parsed.data;
  const description = rest as WorldDescription;
  if (rateLimitsOff) description.rateLimits = false;
  else if (rateLimits !== undefined) description.rateLimits = rateLimits as SimRateLimitsConfig;
  for (const [name, cluster] of Object.entries(description.clusters)) {
    if (!CLUSTER_NAME.test(name)) throw new WorldFileError(`${source}: clusters.${display(name)}: not a cluster name (letters, digits, "-" and "_", up to 255)`, `clusters.${name}`);
    cluster.instances.forEach((group, index) => {
      for (const attribute of Object.keys(group.attributes)) {
        if (!NAME.test(attribute)) {
          const field = `clusters.${name}.instances[${index}].attributes.${display(attribute)}`;
          throw new WorldFileError(`${source}: ${field}: not an attribute name (letters, digits, "-", "_", ".", "/", up to 128)`, field);
        }
      }
    });
  }
  for (const key of Object.keys(description.taskDefinitions)) {
    if (!TASK_DEFINITION_KEY.test(key)) {
      const field = `taskDefinitions.${display(key)}`;
      throw new WorldFileError(`${source}: ${field}: expected "family:revision" (e.g. "log-daemon:1") or a family name`, field);
    }
  }
  checkServices(description, source);
  return description;
}

/** The services' sections beyond their types: names, references, and a dry run through ELBv2's and CloudWatch's own checks. */
function checkServices(description: WorldDescription, source: string): void {
  const refuse = (field: string, message: string): never => {
    throw new WorldFileError(`${source}: ${field}: ${message}`, field);
  };
  for (const key of Object.keys(description.traffic ?? {})) {
    if (!TASK_DEFINITION_KEY.test(key)) refuse(`traffic.${display(key)}`, 'expected "family:revision" (e.g. "web:2") or a family name');
  }
  for (const [name, group] of Object.entries(description.targetGroups ?? {})) {
    if (group.cluster !== undefined && !CLUSTER_NAME.test(group.cluster)) {
      refuse(`targetGroups.${display(name)}.cluster`, 'not a cluster name (letters, digits, "-" and "_", up to 255)');
    }
    if (group.registerTasksOf !== undefined && !FAMILY.test(group.registerTasksOf)) {
      refuse(`targetGroups.${display(name)}.registerTasksOf`, 'expected a task definition family (letters, digits, "-" and "_")');
    }
  }
  for (const [name, alarm] of Object.entries(description.alarms ?? {})) {
    const family = 'taskFamilyErrors' in alarm ? alarm.taskFamilyErrors : undefined;
    if (family !== undefined && !FAMILY.test(family)) refuse(`alarms.${display(name)}.taskFamilyErrors`, 'expected a task definition family (letters, digits, "-" and "_")');
  }
  const clock = new VirtualClock(0);
  const elbv2 = new SimulatedElbv2({
    clock,
    rateLimits: false,
    endpoints: { probe: () => ({ kind: 'refused' }), onWillChange: () => () => undefined },
    instances: { instanceState: () => undefined },
  });
  const cloudwatch = new SimulatedCloudWatch({ clock, rateLimits: false });
  try {
    for (const [name, group] of Object.entries(description.targetGroups ?? {})) {
      const { cluster: _cluster, registerTasksOf: _register, ...setup } = group;
      try {
        elbv2.createTargetGroup({ ...setup, name });
      } catch (error) {
        const message = (error as Error).message;
        // ELBv2's constraint wording names the setting: "Value '3' at 'healthCheckIntervalSeconds' failed to satisfy constraint: …".
        const constraint = /Value (.+?) at '([A-Za-z]+)' failed to satisfy constraint: (.*)$/.exec(message);
        if (constraint) refuse(`targetGroups.${display(name)}.${constraint[2]}`, `${constraint[3]} (got ${constraint[1]!.replace(/^'(.*)'$/, '$1')})`);
        if (/interval must be greater than the timeout/.test(message)) refuse(`targetGroups.${display(name)}.healthCheckTimeoutSeconds`, message);
        if (/deregistration_delay/.test(message)) refuse(`targetGroups.${display(name)}.deregistrationDelaySeconds`, message);
        refuse(`targetGroups.${display(name)}`, message);
      }
    }
    for (const [name, loadBalancer] of Object.entries(description.loadBalancers ?? {})) checkLoadBalancer(elbv2, name, loadBalancer, refuse);
    for (const [name, alarm] of Object.entries(description.alarms ?? {})) {
      try {
        cloudwatch.defineAlarm(alarmInput(name, alarm, elbv2));
      } catch (error) {
        const message = (error as Error).message;
        // alarmInput names the field itself (`alarms.<name>.targetGroup5xxPercent: no target group named …`).
        for (const key of ['targetGroup5xxPercent', 'loadBalancer5xxPercent']) {
          const own = `alarms.${name}.${key}: `;
          if (message.startsWith(own)) refuse(`alarms.${display(name)}.${key}`, message.slice(own.length));
        }
        refuse(`alarms.${display(name)}`, message);
      }
    }
    // Route 53: each zone created and its records written as ChangeResourceRecordSets checks them.
    const route53 = new SimulatedRoute53({ clock, rateLimits: false, loadBalancers: nameBasedLoadBalancers() });
    for (const [name, zone] of Object.entries(description.hostedZones ?? {})) {
      try {
        route53.createHostedZone({ name, ...(zone.id !== undefined ? { id: zone.id } : {}) });
      } catch (error) {
        refuse(`hostedZones.${display(name)}`, (error as Error).message);
      }
      try {
        route53.seedRecords(name, recordSetsOf(zone, route53));
      } catch (error) {
        const { message, messages } = error as Error & { messages?: string[] };
        const record = (messages ?? [message]).map((m) => /name='([^']+)\.'(?:, type='[^']+')?(?:, set-identifier='([^']+)')?/.exec(m) ?? /DNS name ([^ ,]+)\./.exec(m)).find(Boolean);
        const field = record ? `hostedZones.${display(name)}.records.${display(record[1]!)}${record[2] !== undefined ? `.weighted.${display(record[2])}` : ''}` : `hostedZones.${display(name)}`;
        refuse(field, messages ? messages.join('; ') : message);
      }
    }
    route53.close();
  } finally {
    elbv2.close();
    cloudwatch.close();
  }
}

/**
 * A load balancer of the file through ELBv2's own checks, the refusal naming the field: a target
 * group that is not in the file or is another load balancer's, a priority used twice, a port twice.
 */
function checkLoadBalancer(elbv2: SimulatedElbv2, name: string, loadBalancer: SimLoadBalancerDescription, refuse: (field: string, message: string) => never): void {
  const at = `loadBalancers.${display(name)}`;
  const listeners = loadBalancer.listeners ?? [];
  listeners.forEach((listener, index) => {
    const forwards: Array<[string, Record<string, number>]> = [
      ...(listener.defaultForward ? [[`${at}.listeners[${index}].defaultForward`, listener.defaultForward] as [string, Record<string, number>]] : []),
      ...(listener.rules ?? []).map((rule, r) => [`${at}.listeners[${index}].rules[${r}].forward`, rule.forward] as [string, Record<string, number>]),
    ];
    for (const [field, weights] of forwards) {
      const names = Object.keys(weights);
      if (names.length === 0) refuse(field, 'expected at least one target group');
      if (names.length > 5) refuse(field, `at most 5 target groups per forward action (got ${names.length})`);
      for (const group of names) {
        const dimensions = elbv2.metricDimensions(group);
        if (!dimensions) refuse(`${field}.${display(group)}`, `no target group named ${group} in targetGroups`);
        const owner = dimensions!.LoadBalancer.split('/')[1];
        if (owner !== name) refuse(`${field}.${display(group)}`, `target group ${group} is on load balancer ${owner} (set targetGroups.${display(group)}.loadBalancer: ${name}); a target group belongs to one load balancer`);
      }
    }
    const priorities = new Set<number>();
    (listener.rules ?? []).forEach((rule, r) => {
      if (priorities.has(rule.priority)) refuse(`${at}.listeners[${index}].rules[${r}].priority`, `priority ${rule.priority} is already used by another rule of this listener`);
      priorities.add(rule.priority);
    });
    if (listeners.findIndex((other) => other.port === listener.port) !== index) refuse(`${at}.listeners[${index}].port`, `another listener of ${name} is on port ${listener.port}`);
  });
  try {
    elbv2.createLoadBalancer({ ...loadBalancer, name });
  } catch (error) {
    refuse(at, (error as Error).message);
  }
}

/** Reads and validates a world file. */
export function readWorldFile(path: string = DEFAULT_WORLD_FILE): WorldDescription {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WorldFileError(`${path}: cannot read the world file (${(error as Error).message})`);
  }
  return parseWorldDescription(text, path);
}

/**
 * A world built from a description: its task definitions configured, its clusters created and
 * their instances registered in file order (so the instance ids and events are reproducible).
 */
export function createWorld(description: WorldDescription, options: SimulatedClusterOptions): SimulatedCluster {
  const rateLimits = options.rateLimits ?? description.rateLimits;
  const world = new SimulatedCluster({
    ...options,
    taskDefinitions: { ...options.taskDefinitions, ...description.taskDefinitions },
    ...(rateLimits !== undefined ? { rateLimits } : {}),
  });
  for (const [cluster, { instances }] of Object.entries(description.clusters)) {
    world.createCluster(cluster);
    for (const group of instances) {
      world.addInstances({
        cluster,
        count: group.count,
        attributes: group.attributes,
        ...(group.cpu !== undefined ? { cpu: group.cpu } : {}),
        ...(group.memory !== undefined ? { memory: group.memory } : {}),
        ...(group.instanceType !== undefined ? { instanceType: group.instanceType } : {}),
        ...(group.availabilityZone !== undefined ? { availabilityZone: group.availabilityZone } : {}),
      });
    }
  }
  return world;
}

// ── Error messages ───────────────────────────────────────────────────────────────────────────────

const KNOWN_KEYS = {
  root: Object.keys(worldFileSchema.shape),
  cluster: Object.keys(clusterSchema.shape),
  instanceGroup: Object.keys(instanceGroupSchema.shape),
  taskDefinition: Object.keys(taskDefinitionSchema.shape),
  rateLimits: Object.keys(rateLimitsSchema.shape),
  buckets: Object.keys(bucketsSchema.shape),
  rateLimit: Object.keys(rateLimitSchema.shape),
  targetGroup: Object.keys(targetGroupsSchema.valueType.shape),
  loadBalancer: Object.keys(loadBalancersSchema.valueType.shape),
  listener: Object.keys(loadBalancersSchema.valueType.shape.listeners.unwrap().element.shape),
  rule: Object.keys(loadBalancersSchema.valueType.shape.listeners.unwrap().element.shape.rules.unwrap().element.shape),
  traffic: Object.keys(trafficSchema.valueType.shape),
  hostedZone: Object.keys(hostedZonesSchema.valueType.shape),
  record: Object.keys(hostedZonesSchema.valueType.shape.records.unwrap().valueType.shape),
  route53: Object.keys(route53Schema.shape),
  function: Object.keys(functionsSchema.valueType.shape),
};

function knownKeys(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return KNOWN_KEYS.root;
  if (path[0] === 'clusters' && path.length === 2) return KNOWN_KEYS.cluster;
  if (path[0] === 'clusters' && path.length === 4 && path[2] === 'instances') return KNOWN_KEYS.instanceGroup;
  if (path[0] === 'taskDefinitions' && path.length === 2) return KNOWN_KEYS.taskDefinition;
  if (path[0] === 'rateLimits' && path.length === 1) return KNOWN_KEYS.rateLimits;
  if (path[0] === 'rateLimits' && path[1] === 'buckets' && path.length === 2) return KNOWN_KEYS.buckets;
  if (path[0] === 'rateLimits' && path[1] === 'buckets' && path.length === 3) return KNOWN_KEYS.rateLimit;
  if (path[0] === 'targetGroups' && path.length === 2) return KNOWN_KEYS.targetGroup;
  if (path[0] === 'loadBalancers' && path.length === 2) return KNOWN_KEYS.loadBalancer;
  if (path[0] === 'loadBalancers' && path.length === 4 && path[2] === 'listeners') return KNOWN_KEYS.listener;
  if (path[0] === 'loadBalancers' && path.length === 6 && path[2] === 'listeners' && path[4] === 'rules') return KNOWN_KEYS.rule;
  if (path[0] === 'traffic' && path.length === 2) return KNOWN_KEYS.traffic;
  if (path[0] === 'hostedZones' && path.length === 2) return KNOWN_KEYS.hostedZone;
  if (path[0] === 'hostedZones' && path.length === 4 && path[2] === 'records') return KNOWN_KEYS.record;
  if (path[0] === 'hostedZones' && path.length === 6 && path[4] === 'weighted') return ['weight', 'loadBalancer', 'cname', 'ttl'];
  if (path[0] === 'route53' && path.length === 1) return KNOWN_KEYS.route53;
  if (path[0] === 'functions' && path.length === 2) return KNOWN_KEYS.function;
  return [];
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? display(String(part)) : `.${display(String(part))}`;
  }
  return out;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): { field: string; message: string } {
  const parts: string[] = [];
  let first = '';
  for (const issue of issues) {
    let field = fieldPath(issue.path);
    let text: string;
    if (issue.code === 'unrecognized_keys') {
      field = fieldPath([...issue.path, issue.keys[0] ?? '']);
      const known = knownKeys(issue.path);
      text = `unknown field${known.length > 0 ? ` (expected one of ${known.join(', ')})` : ''}`;
    } else if (issue.code === 'invalid_type' && issue.expected === 'object') {
      text = `expected a mapping, got ${describe(issue.input)}`;
    } else if (issue.code === 'invalid_type' && issue.expected === 'record') {
      text = `expected a mapping, got ${describe(issue.input)}`;
    } else {
      text = issue.message;
    }
    const part = field ? `${field}: ${text}` : text;
    if (parts.includes(part)) continue;
    if (!first) first = field;
    parts.push(part);
  }
  const shown = parts.slice(0, 5);
  if (parts.length > 5) shown.push(`and ${parts.length - 5} more`);
  return { field: first, message: shown.join('; ') };
}

function display(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
