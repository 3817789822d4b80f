/**
 * The engine's side of a Service environment (domain/rollout/service.ts decides):
 *
 * - `observeService`: the service and its task sets (DescribeServices, through the `Services` port),
 *   each task set's tasks (ListTasks by its `startedBy`, the task set id, then DescribeTasks), and —
 *   with a load balancer — the production target group's target health (one DescribeTargetHealth)
 *   matched to the tasks by the instance's EC2 id and the task's host port (one
 *   ListContainerInstances, only when a task runs on an instance not seen before: an instance's EC2 id
 *   never changes). A task is ready when its target is `healthy`; without a load balancer
 *   when it is RUNNING and, if its task definition has a container health check, HEALTHY. Every
 *   reconcile of a Service deployment looks in full, page by page (a hundred tasks a page, each page
 *   taken from the ECS budget before it is asked for): about 2 calls per 100 tasks, so at 10,000 tasks
 *   in each of two task sets a look is ~400 calls, ~25 s of the budget's 16 cluster reads a second.
 * - `executeServiceUpdate`: the operations of an `UpdateService` action, in order. Each is idempotent:
 *   EnsureService adopts the service of that name; CreateTaskSet carries a clientToken (a retry returns
 *   the task set the first try made); a scale is absolute; a task set already gone counts as deleted.
 */
import type { GroupWeight, Observed, ObservedService, ObservedServiceTask, ObservedTaskSet, ObservedTraffic, PlannerAction, PlannerState, ServiceOperation, ServiceTarget, TargetState, TrafficRoute } from '../../domain/rollout';
import type { Cluster, ClusterTask, Hooks, ListenerRules, Services, TargetHealth, TaskDefinitions, WeightedRecords } from '../ports';
import { ListenerRuleError, WeightedRecordError } from '../ports';
import { allPages } from './observe';

export interface ServiceDeps {
  cluster: Cluster;
  taskDefinitions: TaskDefinitions;
  services?: Services | undefined;
  targetHealth?: TargetHealth | undefined;
  /** Listener rules' forward weights (TrafficRouting.Alb): read back before a Canary step (not observed yet). */
  listenerRules?: ListenerRules | undefined;
  weightedRecords?: WeightedRecords | undefined;
  hooks?: Hooks | undefined;
}

const TARGET_STATES: readonly TargetState[] = ['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable', 'unhealthy.draining'];

function requireServices(deps: ServiceDeps): Services {
  if (!deps.services) throw new Error('a Service deployment needs the Services port (ECS services and task sets), and none is wired');
  return deps.services;
}

/** `family:revision` of a task definition ARN (or the name as given). */
function taskDefinitionName(arnOrName: string): string {
  return arnOrName.slice(arnOrName.lastIndexOf('/') + 1);
}

export async function observeService(deps: ServiceDeps, engine: PlannerState): Promise<Observed> {
  const target = engine.service;
  if (!target) throw new Error('observeService: not a Service deployment');
  const services = requireServices(deps);
  const described = await services.describeService(engine.cluster, target.name);
  const empty: Observed = { instances: [], tasks: [], targetHealthChecked: false };
  if (!described || described.status === 'INACTIVE') {
    const traffic = target.traffic ? await observeTraffic(deps, engine, target.traffic) : undefined;
    return { ...empty, service: { status: described ? 'INACTIVE' : 'MISSING', desiredCount: target.desiredCount, taskSets: [], events: [] }, ...(traffic ? { traffic } : {}) };
  }
  const balancer = target.loadBalancer;
  // Page by page (each page taken from the ECS budget before it is asked for): a task set of 10,000 tasks
  // is 200 calls, more than ECS's burst of cluster reads; one listing taken at once would be throttled.
  const taskLists: ClusterTask[][] = [];
  for (const set of described.taskSets) taskLists.push(await listSetTasks(deps.cluster, engine.cluster, set.id));
  // Each task set's target group (with TrafficRouting: blue or green; else the one production group): one DescribeTargetHealth each.
  const groupOf = (set: (typeof described.taskSets)[number]) => set.loadBalancers[0]?.targetGroupArn ?? balancer?.targetGroupArn;
  const groups = balancer ? [...new Set(described.taskSets.map(groupOf).filter((g): g is string => g !== undefined))] : [];
  const [healthByGroup, ec2Ids, traffic] = await Promise.all([
    Promise.all(groups.map((g) => requireTargetHealth(deps).describeTargetHealth(g))),
    balancer ? ec2InstanceIds(deps.cluster, engine.cluster, taskLists.flat()) : Promise.resolve(undefined),
    target.traffic ? observeTraffic(deps, engine, target.traffic) : Promise.resolve(undefined),
  ]);
  const health = new Map<string, { state: TargetState; reason?: string | undefined }>();
  groups.forEach((group, i) => {
    for (const t of healthByGroup[i] ?? []) {
      const state = (TARGET_STATES as readonly string[]).includes(t.state) ? (t.state as TargetState) : 'unavailable';
      health.set(`${group}\0${t.id}:${t.port ?? ''}`, { state, ...(t.reason ? { reason: t.reason } : {}) });
    }
  });
  const checked = new Map<string, boolean>();
  for (const set of described.taskSets) {
    const name = taskDefinitionName(set.taskDefinitionArn);
    if (!checked.has(name)) checked.set(name, await deps.taskDefinitions.hasHealthCheck(name));
  }
  const taskSets: ObservedTaskSet[] = described.taskSets.map((set, i) => {
    const healthChecked = checked.get(taskDefinitionName(set.taskDefinitionArn)) ?? false;
    const revision = Number(set.externalId);
    const group = groupOf(set);
    return {
      id: set.id,
      ...(set.loadBalancers[0] ? { targetGroupArn: set.loadBalancers[0].targetGroupArn } : {}),
      ...(Number.isInteger(revision) && revision >= 1 ? { revision } : {}),
      status: set.status,
      scale: set.scale,
      computedDesiredCount: set.computedDesiredCount,
      tasks: (taskLists[i] ?? []).map((task) => serviceTask(task, healthChecked, balancer && group ? targetOf(task, group, ec2Ids, health) : undefined)),
    };
  });
  const service: ObservedService = {
    status: described.status,
    deploymentController: described.deploymentController,
    desiredCount: described.desiredCount,
    taskSets,
    events: described.events.slice(0, 5).map((e) => e.message),
  };
  return { ...empty, service, ...(traffic ? { traffic } : {}) };
}

/**
 * The traffic as read back (TrafficRouting), in percent of the production traffic per target group:
 * ALB — the production rule's forward weights (DescribeRules; weights 0–999, as shares), and for
 * BlueGreen the group the test rule sends all of its traffic to; Route 53 — the two weighted records
 * (ListResourceRecordSets), in sync once GetChange says the latest change Blox submitted is INSYNC and
 * the records still carry its weights (a newer change, not yet recorded, is not in sync). A route
 * that cannot be read as asked (no such rule or record, no forward action, access denied) is not
 * thrown: `error` says why, and the deployment is Stuck with it.
 * percentWeights([{ tg blue, 9 }, { tg green, 1 }]) → blue 90, green 10.
 */
async function observeTraffic(deps: ServiceDeps, engine: PlannerState, route: TrafficRoute): Promise<ObservedTraffic> {
  try {
    switch (route.kind) {
      case 'Alb': {
        if (!deps.listenerRules) throw new Error('TrafficRouting.Alb needs the ListenerRules port (ELBv2), and none is wired');
        const rules = deps.listenerRules;
        const [production, test] = await Promise.all([
          rules.describeForward(route.listenerRuleArn),
          route.testListenerRuleArn ? rules.describeForward(route.testListenerRuleArn) : Promise.resolve(undefined),
        ]);
        const groups = [route.blueTargetGroupArn, route.greenTargetGroupArn];
        const stray = production.targetGroups.find((g) => g.weight > 0 && !groups.includes(g.targetGroupArn));
        if (stray) return { weights: [], inSync: false, error: `listener rule ${route.listenerRuleArn} forwards to ${stray.targetGroupArn}, neither blue nor green` };
        const testGroups = test?.targetGroups.filter((g) => g.weight > 0) ?? [];
        const testTargetGroupArn = testGroups.length === 1 ? testGroups[0]?.targetGroupArn : undefined;
        return { weights: percentWeights(groups, production.targetGroups), inSync: true, ...(testTargetGroupArn ? { testTargetGroupArn } : {}) };
      }
      case 'Route53': {
        if (!deps.weightedRecords) throw new Error('TrafficRouting.Route53 needs the WeightedRecords port (Route 53), and none is wired');
        const records = await deps.weightedRecords.read(route.hostedZoneId, route.recordName);
        const sides = [route.blue, route.green];
        const missing = sides.filter((side) => !records.some((r) => r.setIdentifier === side.setIdentifier));
        if (missing.length > 0) {
          return { weights: [], inSync: false, error: `${route.recordName} in hosted zone ${route.hostedZoneId} has no weighted record with set identifier ${missing.map((m) => `"${m.setIdentifier}"`).join(', ')}` };
        }
        const raw = sides.map((side) => ({ targetGroupArn: side.targetGroupArn, weight: records.find((r) => r.setIdentifier === side.setIdentifier)?.weight ?? 0 }));
        const weights = percentWeights(sides.map((side) => side.targetGroupArn), raw);
        const change = engine.traffic?.change;
        let inSync = true;
        if (change && !change.inSync) {
          // Planned, not yet submitted (id ''): not in effect, whatever the records say now.
          const same = change.weights.every((w) => weights.find((o) => o.targetGroupArn === w.targetGroupArn)?.weight === w.weight);
          inSync = change.id !== '' && same && (await deps.weightedRecords.changeStatus(change.id)) === 'INSYNC';
        }
        return { weights, inSync };
      }
      default: {
        const never: never = route;
        throw new Error(`unexpected traffic route ${JSON.stringify(never)}`);
      }
    }
  } catch (error) {
    if (error instanceof ListenerRuleError || error instanceof WeightedRecordError || isRefusal(error)) {
      const e = error as Error;
      return { weights: [], inSync: false, error: `${e.name}: ${e.message}` };
    }
    throw error;
  }
}

/**
 * Weights (ALB 0–999, Route 53 0–255) as percentages of their sum, for the two groups named (in that
 * order; a group not listed has 0). Rounded; the two always sum to 100 (or both 0 when nothing has weight).
 * percentWeights([a, b], [{ a, 1 }, { b, 2 }]) → a 33, b 67
 */
export function percentWeights(groups: readonly string[], weights: ReadonlyArray<{ targetGroupArn: string; weight: number }>): GroupWeight[] {
  const of = (g: string) => weights.filter((w) => w.targetGroupArn === g).reduce((n, w) => n + w.weight, 0);
  const total = groups.reduce((n, g) => n + of(g), 0);
  if (total === 0) return groups.map((g) => ({ targetGroupArn: g, weight: 0 }));
  const first = Math.round((of(groups[0]!) * 100) / total);
  return groups.map((g, i) => ({ targetGroupArn: g, weight: i === 0 ? first : i === 1 ? 100 - first : 0 }));
}

/** A task set's tasks: those desired RUNNING, then those desired STOPPED (stopping, and stopped ones ECS still shows), a page (≤ 100) at a time. */
async function listSetTasks(cluster: Cluster, clusterName: string, taskSet: string): Promise<ClusterTask[]> {
  const listed = (desiredStatus: 'RUNNING' | 'STOPPED') => allPages((token) => cluster.listTaskPage(clusterName, taskSet, desiredStatus, token));
  return [...(await listed('RUNNING')), ...(await listed('STOPPED'))];
}

/**
 * Container instance ARN → EC2 instance id, for matching tasks to their targets. An instance's EC2 id never
 * changes, so what was listed once is kept (per `Cluster`, i.e. per Lambda instance) and the container
 * instances are listed again only for a task on an instance not seen yet — not on every look (at 5,000
 * instances a listing is 100 calls).
 */
const ec2IdsByCluster = new WeakMap<Cluster, Map<string, string>>();

async function ec2InstanceIds(cluster: Cluster, clusterName: string, tasks: readonly ClusterTask[]): Promise<Map<string, string>> {
  let known = ec2IdsByCluster.get(cluster);
  if (!known) ec2IdsByCluster.set(cluster, (known = new Map()));
  const key = (arn: string) => `${clusterName}\0${arn}`;
  if (tasks.some((t) => !known.has(key(t.containerInstanceArn)))) {
    for (const instance of await cluster.listContainerInstances(clusterName)) known.set(key(instance.arn), instance.ec2InstanceId);
  }
  const ids = new Map<string, string>();
  for (const t of tasks) {
    const id = known.get(key(t.containerInstanceArn));
    if (id !== undefined) ids.set(t.containerInstanceArn, id);
  }
  return ids;
}

/** The service alone (DescribeServices): what scale-environment needs at rest. */
export async function describeServiceOnly(deps: ServiceDeps, cluster: string, target: Pick<ServiceTarget, 'name' | 'desiredCount'>): Promise<ObservedService & { runningCount: number }> {
  const described = await requireServices(deps).describeService(cluster, target.name);
  if (!described || described.status === 'INACTIVE') return { status: described ? 'INACTIVE' : 'MISSING', desiredCount: target.desiredCount, runningCount: 0, taskSets: [], events: [] };
  return { status: described.status, deploymentController: described.deploymentController, desiredCount: described.desiredCount, runningCount: described.runningCount, taskSets: [], events: [] };
}

function requireTargetHealth(deps: ServiceDeps): TargetHealth {
  if (!deps.targetHealth) throw new Error('a Service with a load balancer needs the TargetHealth port (ELBv2), and none is wired');
  return deps.targetHealth;
}

function targetOf(
  task: ClusterTask,
  group: string,
  ec2Ids: Map<string, string> | undefined,
  health: Map<string, { state: TargetState; reason?: string | undefined }>,
): { state: TargetState; reason?: string | undefined } {
  const ec2 = ec2Ids?.get(task.containerInstanceArn);
  if (ec2 === undefined || task.hostPort === undefined) return { state: 'absent' };
  return health.get(`${group}\0${ec2}:${task.hostPort}`) ?? { state: 'absent' };
}

function serviceTask(task: ClusterTask, healthChecked: boolean, target: ObservedServiceTask['target']): ObservedServiceTask {
  const running = task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING';
  const ready = running && (target ? target.state === 'healthy' : !healthChecked || task.healthStatus === 'HEALTHY');
  return {
    arn: task.arn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    ready,
    ...(target ? { target } : {}),
    ...(task.stopCode !== undefined ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
    ...(task.stoppedAt !== undefined ? { stoppedAt: Date.parse(task.stoppedAt) } : {}),
  };
}

/** What ECS says when it refuses a call for what it was asked (a client error), by name. */
const REFUSALS: ReadonlySet<string> = new Set([
  'InvalidParameterException',
  'ClientException',
  'AccessDeniedException',
  'ServiceNotFoundException',
  'ServiceNotActiveException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
  'ClusterNotFoundException',
]);
/** Throttles (ECS's, and DynamoDB's under the ECS budget): client faults a retry does cure. */
const THROTTLES: ReadonlySet<string> = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException']);

/**
 * Whether ECS refused the call for what it was asked — a client error (`$fault: 'client'`, or one of
 * ECS's client exceptions by name) that asking again will not cure — rather than a throttle or a
 * server fault, which a retry may.
 * isRefusal(InvalidParameterException) === true; isRefusal(ThrottlingException) === false; isRefusal({ $fault: 'server' }) === false
 */
export function isRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; $fault?: unknown; $retryable?: { throttling?: unknown } };
  if (e.$retryable?.throttling === true || THROTTLES.has(String(e.name)) || e.$fault === 'server') return false;
  return e.$fault === 'client' || REFUSALS.has(String(e.name));
}

/** An operation of an UpdateService action ECS refused (see `isRefusal`); `cause` is ECS's error. */
export class ServiceOperationRefused extends Error {
  override name = 'ServiceOperationRefused';

  constructor(
    readonly operation: ServiceOperation['op'],
    override readonly cause: Error,
  ) {
    super(`${operation} refused by ECS: ${cause.name}: ${cause.message}`);
  }

  /** `<ErrorName>: <message>`, as the deployment's reason says it. */
  get reason(): string {
    return `${this.cause.name}: ${this.cause.message}`;
  }
}

/**
 * Carries out an UpdateService action's operations in order. An operation ECS refuses (`isRefusal`)
 * throws `ServiceOperationRefused` naming it; anything else (a throttle, a server fault) as it came.
 */
export async function executeServiceUpdate(
  deps: ServiceDeps & { log?: ((message: string, fields?: Record<string, unknown>) => void) | undefined },
  action: Extract<PlannerAction, { type: 'UpdateService' }>,
): Promise<ServiceUpdateResult> {
  const services = requireServices(deps);
  let result: ServiceUpdateResult;
  try {
    result = await runOperations(deps, services, action);
  } catch (error) {
    // delete-environment: a service already deleted (DRAINING, INACTIVE or unknown) is what was asked for.
    const deleting = action.operations.some((o) => o.op === 'DeleteService');
    const name = (error instanceof ServiceOperationRefused ? error.cause : (error as Error)).name;
    const gone = name === 'ServiceNotActiveException' || name === 'ServiceNotFoundException';
    if (!deleting || !gone) throw error;
    deps.log?.('UpdateService: the service is already deleted', { key: action.key, serviceName: action.service.name });
    return {};
  }
  deps.log?.('UpdateService', { key: action.key, serviceName: action.service.name, reason: action.reason });
  return result;
}

/** What an UpdateService action leaves to record: a Route 53 change (PENDING until INSYNC). */
export interface ServiceUpdateResult {
  trafficChange?: { id: string; weights: GroupWeight[] } | undefined;
}

async function runOperations(deps: ServiceDeps, services: Services, action: Extract<PlannerAction, { type: 'UpdateService' }>): Promise<ServiceUpdateResult> {
  const result: ServiceUpdateResult = {};
  for (const operation of action.operations) {
    try {
      const changeId = await runOperation(deps, services, action, operation);
      if (changeId !== undefined && operation.op === 'SetWeights') result.trafficChange = { id: changeId, weights: operation.weights };
    } catch (error) {
      // A rule or record that cannot be set as asked is refused like ECS's client errors: asking again will not cure it.
      if (isRefusal(error) || error instanceof ListenerRuleError || error instanceof WeightedRecordError) throw new ServiceOperationRefused(operation.op, error as Error);
      throw error;
    }
  }
  return result;
}

/**
 * The traffic of a SetWeights operation: ALB — the production (or test) rule's forward weights, both
 * groups named (one left out would leave the rule); Route 53 — one UPSERT of both records' weights
 * (percentages are valid weights, 0–100 of 0–255), answering the change id to record.
 */
async function setWeights(deps: ServiceDeps, service: ServiceTarget, operation: Extract<ServiceOperation, { op: 'SetWeights' }>): Promise<string | undefined> {
  const route = service.traffic;
  if (!route) throw new Error(`SetWeights: service ${service.name} has no TrafficRouting`);
  switch (route.kind) {
    case 'Alb': {
      if (!deps.listenerRules) throw new Error('TrafficRouting.Alb needs the ListenerRules port (ELBv2), and none is wired');
      const rule = operation.rule === 'test' ? route.testListenerRuleArn : route.listenerRuleArn;
      if (!rule) throw new Error(`SetWeights: service ${service.name} has no test listener rule`);
      await deps.listenerRules.setForwardWeights(rule, operation.weights);
      return undefined;
    }
    case 'Route53': {
      if (!deps.weightedRecords) throw new Error('TrafficRouting.Route53 needs the WeightedRecords port (Route 53), and none is wired');
      const ids = new Map([
        [route.blue.targetGroupArn, route.blue.setIdentifier],
        [route.green.targetGroupArn, route.green.setIdentifier],
      ]);
      const weights: Record<string, number> = {};
      for (const w of operation.weights) {
        const id = ids.get(w.targetGroupArn);
        if (id === undefined) throw new WeightedRecordError(`SetWeights: target group ${w.targetGroupArn} is neither Blue's nor Green's of ${route.recordName}`);
        weights[id] = w.weight;
      }
      // Idempotent (the adapter): records that already have these weights are not changed again — a copy
      // of the action would start a new PENDING change and hold the step another propagation time.
      const change = await deps.weightedRecords.setWeights(route.hostedZoneId, route.recordName, weights);
      return change.changeId;
    }
    default: {
      const never: never = route;
      throw new Error(`unexpected traffic route ${JSON.stringify(never)}`);
    }
  }
}

async function runOperation(deps: ServiceDeps, services: Services, action: Extract<PlannerAction, { type: 'UpdateService' }>, operation: ServiceOperation): Promise<string | undefined> {
  const { cluster } = action;
  const name = action.service.name;
  switch (operation.op) {
    case 'EnsureService':
      await services.ensureService({ cluster, name, desiredCount: operation.desiredCount });
      break;
    case 'CreateTaskSet':
      await services.addTaskSet({
        cluster,
        service: name,
        taskDefinition: operation.taskDefinition,
        externalId: String(action.revision),
        scale: operation.scale,
        // With TrafficRouting the plan names the task set's group (blue or green).
        loadBalancer: action.service.loadBalancer && operation.targetGroupArn ? { ...action.service.loadBalancer, targetGroupArn: operation.targetGroupArn } : action.service.loadBalancer,
        launchType: action.service.launchType,
        networkConfiguration: action.service.networkConfiguration,
        clientToken: operation.clientToken,
      });
      break;
    case 'ScaleTaskSet':
      // The plan's victims first (not ready ones before ready ones), so ECS's scale-in has none to pick.
      for (const arn of operation.stopTasks) await deps.cluster.stopTask(cluster, arn, action.reason);
      await services.scaleTaskSet(cluster, name, operation.taskSet, operation.scale);
      break;
    case 'SetPrimaryTaskSet':
      await services.setPrimaryTaskSet(cluster, name, operation.taskSet);
      break;
    case 'DeleteTaskSet':
      try {
        await services.removeTaskSet(cluster, name, operation.taskSet, { force: true });
      } catch (error) {
        if ((error as Error).name !== 'TaskSetNotFoundException') throw error;
      }
      break;
    case 'SetDesiredCount':
      await services.setDesiredCount(cluster, name, operation.desiredCount);
      break;
    case 'DeleteService':
      // After the scale-down; `force` in case Application Auto Scaling raised the count in between.
      await services.removeService(cluster, name, { force: true });
      break;
    case 'SetWeights':
      return setWeights(deps, action.service, operation);
    default: {
      const never: never = operation;
      throw new Error(`unexpected service operation ${JSON.stringify(never)}`);
    }
  }
  return undefined;
}
