/**
 * `GET /environments/{name}/plan?revision=N` (`blox plan-deployment`): what deploying
 * revision N would do, from the real planner run on a simulated copy of the environment's cluster
 * (`local/dry-run.ts`). Read-only: the log is read, and ECS is only listed and described —
 * ListContainerInstances / DescribeContainerInstances (the instances and their free CPU and memory),
 * ListTasks / DescribeTasks (the environment's tasks and their start and stop times), DescribeServices
 * (a Service's task sets and desired count) and DescribeTaskDefinition (what a task needs). Nothing is
 * written anywhere.
 *
 * Refused like a deploy would be: an unknown revision (404), one older than the Active one or the
 * Active one itself (409), each naming `revision`.
 */
import type { EnvironmentState } from '../../domain/environment';
import { ConflictError, NotFoundError } from '../../domain/errors';
import type { DerivedTimings, Resources, TaskTimes } from '../../domain/dry-run';
import { capacityForEnvironment, copiesThatFit, deriveTimings, simulatedTimings } from '../../domain/dry-run';
import { HEALTH_POLL_MS } from '../../domain/rollout/keys';
import { startedByOf, TAG_REVISION } from '../../domain/identity';
import type { EnvironmentSpec } from '../../domain/spec';
import { serviceNameOf } from '../../domain/spec';
import { msFromIso } from '../../domain/time';
import type { ClusterTask, ContainerInstance, EventLog, Services } from '../ports';
import type { Cluster } from '../ports';

/** What a task definition asks of an instance (DescribeTaskDefinition). */
export interface TaskDefinitionNeeds extends Resources {
  /** A container declares a health check: ready means HEALTHY, not RUNNING. */
  healthCheck: boolean;
}

/** The read-only ports the dry run observes through, and how its simulation runs. */
export interface PlanningPorts {
  cluster: Pick<Cluster, 'listContainerInstances' | 'listTasks'>;
  services?: Pick<Services, 'describeService'> | undefined;
  /**
   * A Service's tasks, running and recently stopped, those of deleted task sets too (ListTasks with
   * `serviceName`, then DescribeTasks). Without it, the tasks of the task sets DescribeServices shows.
   */
  serviceTasks?: ((cluster: string, serviceName: string) => Promise<ClusterTask[]>) | undefined;
  taskDefinitions: { needsOf(taskDefinition: string): Promise<TaskDefinitionNeeds> };
  /** The control plane's own delays and tick, as the engine runs where the environment lives (default: AWS's). */
  simulation?: { latency?: { eventBridgeMs?: number; lambdaMs?: number; sqsMs?: number }; tickMs?: number } | undefined;
}

/** How far back the log is read for timings (the newest events; a long log is not read whole). */
export const TIMING_EVENTS = 5_000;

/** A Fargate task has no instance to fit on: the simulation gives it instances that never run out. */
const FARGATE_ROOM: Resources = { cpu: 1_000_000, memory: 1_000_000 };

export interface PlanStepView {
  AtSeconds: number;
  Kind: 'Wave' | 'Scale' | 'Bake';
  Launches?: number;
  Stops?: number;
  Revision?: number;
  DesiredCount?: number;
}

export interface DeploymentPlan {
  EnvironmentName: string;
  EnvironmentRevision: number;
  ActiveRevision: number | null;
  DeploymentType: EnvironmentSpec['DeploymentType'];
  Method: string;
  /** Whether the revision would become Active; if not, `Reason`. */
  Completes: boolean;
  Reason?: string;
  EstimatedDurationSeconds: number;
  DesiredCount: number;
  LowestReadyCount: number;
  LowestReadyPercent: number;
  MostExtraTasks: number;
  Steps: PlanStepView[];
  Seed: {
    Instances: number;
    TaskNeeds: { Cpu: number; Memory: number; HealthCheck: boolean };
    /** Copies of the revision's task that fit beside what runs now: on the roomiest and the tightest instance, and in all. */
    Headroom: { MostOnOneInstance: number; LeastOnOneInstance: number; Total: number };
    Timings: {
      StartSeconds: number;
      ReadySeconds: number;
      StopSeconds: number;
      Sources: DerivedTimings['sources'];
      Samples: DerivedTimings['samples'];
    };
  };
  Assumptions: string[];
}

function revisionOf(task: ClusterTask, fallback?: number): number | undefined {
  const tag = Number(task.tags[TAG_REVISION]);
  return Number.isInteger(tag) && tag > 0 ? tag : fallback;
}

const times = (task: ClusterTask, revision: number | undefined): TaskTimes => ({
  id: task.arn.slice(task.arn.lastIndexOf('/') + 1),
  revision,
  createdAt: msFromIso(task.createdAt),
  startedAt: task.startedAt ? msFromIso(task.startedAt) : undefined,
  stoppingAt: task.stoppingAt ? msFromIso(task.stoppingAt) : undefined,
  stoppedAt: task.stoppedAt ? msFromIso(task.stoppedAt) : undefined,
});

/** The revision asked about, checked as a deploy checks it (without deciding anything). */
async function targetSpec(eventLog: EventLog, state: EnvironmentState, revision: number): Promise<EnvironmentSpec> {
  const row = await eventLog.getRevision(state.name, revision);
  if (!row) throw new NotFoundError(`revision: revision ${revision} of "${state.name}" does not exist (the latest is ${state.latestRevision})`);
  const active = state.activeRevision;
  if (active !== undefined && revision < active) {
    throw new ConflictError(`revision: revision ${revision} is older than the Active revision ${active}: a deployment of it would be refused (rollback-environment re-activates an earlier revision)`);
  }
  if (active !== undefined && revision === active && !state.deployment) {
    throw new ConflictError(`revision: revision ${revision} is already Active: there is nothing to deploy`);
  }
  return row.spec;
}

export async function planDeployment(ports: PlanningPorts, eventLog: EventLog, state: EnvironmentState, revision: number): Promise<DeploymentPlan> {
  const target = await targetSpec(eventLog, state, revision);
  const activeRevision = state.activeRevision;
  const active = activeRevision !== undefined ? (await eventLog.getRevision(state.name, activeRevision))?.spec : undefined;
  const cluster = target.Cluster ?? 'default';
  const fargate = target.DeploymentType === 'Service' && target.Service?.LaunchType === 'FARGATE';

  // ── The environment's tasks (running, and stopped ones ECS still describes) ──
  const tasks: TaskTimes[] = [];
  const liveOn = new Map<string, number>();
  let desiredCount = target.DesiredCount ?? 0;
  const collect = (listed: ClusterTask[], revisionFallback?: number) => {
    for (const t of listed) {
      tasks.push(times(t, revisionOf(t, revisionFallback)));
      if (t.desiredStatus === 'RUNNING') liveOn.set(t.containerInstanceArn, (liveOn.get(t.containerInstanceArn) ?? 0) + 1);
    }
  };
  if (target.DeploymentType === 'Daemon') {
    collect(await ports.cluster.listTasks(cluster, startedByOf(state.name)));
  } else {
    const service = await ports.services?.describeService(cluster, serviceNameOf(target));
    if (service && service.status === 'ACTIVE') {
      desiredCount = state.scale?.desiredCount ?? service.desiredCount;
      const revisionBySet = new Map<string, number>();
      for (const set of service.taskSets) {
        const externalId = Number(set.externalId);
        if (Number.isInteger(externalId) && externalId > 0) revisionBySet.set(set.id, externalId);
      }
      if (ports.serviceTasks) {
        for (const t of await ports.serviceTasks(cluster, service.name)) collect([t], t.startedBy ? revisionBySet.get(t.startedBy) : undefined);
      } else {
        for (const set of service.taskSets) collect(await ports.cluster.listTasks(cluster, set.id), revisionBySet.get(set.id));
      }
    }
  }

  // ── What the tasks need, and the room each instance has for them ──
  const targetNeeds = await ports.taskDefinitions.needsOf(target.TaskDefinition);
  const activeNeeds = active ? await ports.taskDefinitions.needsOf(active.TaskDefinition) : targetNeeds;
  const needs: Record<string, TaskDefinitionNeeds> = { [target.TaskDefinition]: targetNeeds };
  if (active) needs[active.TaskDefinition] = activeNeeds;
  const assumptions: string[] = [];
  let instances: Array<{ attributes: Record<string, string | undefined>; cpu: number; memory: number }>;
  /** Per instance, the copies of the revision's task that fit beside the environment's tasks there now. */
  let fits: number[] = [];
  if (fargate) {
    const count = Math.max(1, desiredCount * 4);
    instances = Array.from({ length: count }, () => ({ attributes: {}, ...FARGATE_ROOM }));
    assumptions.push('FARGATE: every task finds room');
  } else {
    const query = target.DeploymentType === 'Daemon' ? target.InstanceGroup?.Query : undefined;
    const observed: ContainerInstance[] = (await ports.cluster.listContainerInstances(cluster, query)).filter((i) => i.status === 'ACTIVE' && i.agentConnected);
    instances = observed.map((i) => ({ attributes: { ...i.attributes }, ...capacityForEnvironment(i, liveOn.get(i.arn) ?? 0, activeNeeds) }));
    fits = observed.map((i) => copiesThatFit(i.remaining, targetNeeds)).map((n) => (Number.isFinite(n) ? n : 0));
  }

  // ── Timings from the log's recent events and the tasks ──
  const from = Math.max(1, state.version - TIMING_EVENTS + 1);
  const events = (await eventLog.readEvents(state.name, from)).map((e) => e.event);
  const timings = deriveTimings(tasks, events);
  for (const [key, source] of Object.entries(timings.sources)) {
    if (source === 'default') assumptions.push(`no ${key} time observed in the environment's past deployments: the default ${timings[`${key}Seconds` as 'startSeconds' | 'readySeconds' | 'stopSeconds']} s`);
  }

  const { simulateDeployment } = await import('../../local/dry-run');
  const waitsForReady = (n: TaskDefinitionNeeds) => n.healthCheck || (target.DeploymentType === 'Service' && target.Service?.LoadBalancer !== undefined);
  const outcome = await simulateDeployment({
    ...(active ? { active } : {}),
    target,
    instances,
    tasks: Object.fromEntries(Object.entries(needs).map(([td, n]) => [td, { cpu: n.cpu, memory: n.memory, waitsForReady: waitsForReady(n) }])),
    timings: simulatedTimings(timings, HEALTH_POLL_MS / 1000),
    latency: ports.simulation?.latency,
    tickMs: ports.simulation?.tickMs,
  });
  return {
    EnvironmentName: state.name,
    EnvironmentRevision: revision,
    ActiveRevision: activeRevision ?? null,
    DeploymentType: target.DeploymentType,
    Method: target.DeploymentConfiguration?.Method ?? (target.DeploymentType === 'Daemon' ? 'Replace' : 'Rolling'),
    Completes: outcome.completes,
    ...(outcome.reason ? { Reason: outcome.reason } : {}),
    EstimatedDurationSeconds: outcome.durationSeconds,
    DesiredCount: outcome.desired,
    LowestReadyCount: outcome.lowestReady,
    LowestReadyPercent: outcome.lowestReadyPercent,
    MostExtraTasks: outcome.mostExtra,
    Steps: outcome.steps.map((s): PlanStepView => {
      switch (s.kind) {
        case 'Wave':
          return { AtSeconds: s.atSeconds, Kind: 'Wave', Launches: s.launches, Stops: s.stops };
        case 'Scale':
          return { AtSeconds: s.atSeconds, Kind: 'Scale', Revision: s.revision, DesiredCount: s.desired };
        case 'Bake':
          return { AtSeconds: s.atSeconds, Kind: 'Bake' };
        default: {
          const never: never = s;
          throw new Error(`unknown step ${JSON.stringify(never)}`);
        }
      }
    }),
    Seed: {
      Instances: fargate ? 0 : instances.length,
      TaskNeeds: { Cpu: targetNeeds.cpu, Memory: targetNeeds.memory, HealthCheck: targetNeeds.healthCheck },
      Headroom: {
        MostOnOneInstance: fits.length === 0 ? 0 : Math.max(...fits),
        LeastOnOneInstance: fits.length === 0 ? 0 : Math.min(...fits),
        Total: fits.reduce((a, n) => a + n, 0),
      },
      Timings: { StartSeconds: timings.startSeconds, ReadySeconds: timings.readySeconds, StopSeconds: timings.stopSeconds, Sources: timings.sources, Samples: timings.samples },
    },
    Assumptions: [...assumptions, ...outcome.assumptions],
  };
}
