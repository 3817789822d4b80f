/**
 * The dry run's arithmetic (`blox plan-deployment`): what the real planner is run with, and what is
 * read off its simulated run. Pure: the caller gathers the observations (ECS's task times, the
 * environment's log) and runs the simulation; this module turns them into timings and a summary.
 *
 * Timings, from an environment's past deployments:
 * - start: a task's `createdAt` → `startedAt` (ECS: PENDING → RUNNING), over the tasks ECS still
 *   describes (running ones, and stopped ones for about an hour);
 * - ready: a task's `startedAt` → the reconcile that first counted it ready (the log's
 *   `DeploymentProgressed` raising the deploying revision's ready count), matched in start order;
 * - stop: a stop planned (the log's `StopsPlanned`, naming the task) → the task's `stoppedAt`; for a
 *   task Blox did not stop itself (a Service's, stopped by ECS as its task set scales in), ECS's
 *   `stoppingAt` → `stoppedAt`.
 * Each is the median of its samples; a timing without a sample takes its default, and says so.
 */
import type { EnvironmentEvent } from './environment';
import { msFromIso } from './time';

export type TimingSource = 'observed' | 'default';

export interface Timings {
  /** PENDING → RUNNING. */
  startSeconds: number;
  /** RUNNING → ready (HEALTHY, or a healthy target): 0 without a health check. */
  readySeconds: number;
  /** StopTask → STOPPED. */
  stopSeconds: number;
}

export interface DerivedTimings extends Timings {
  sources: { start: TimingSource; ready: TimingSource; stop: TimingSource };
  samples: { start: number; ready: number; stop: number };
}

/**
 * Without a past deployment to learn from: ECS's own orders of magnitude — an image pulled and a
 * container started in about 20 s, a health check passing in about 30 s (ELB's 5 checks of the
 * container's own, 5 to 10 s apart), and a stop taking ECS's default `stopTimeout` of 30 s.
 */
export const DEFAULT_TIMINGS: Timings = Object.freeze({ startSeconds: 20, readySeconds: 30, stopSeconds: 30 });

/** One task as ECS describes it, times in ms. `id`: the last segment of its ARN. */
export interface TaskTimes {
  id: string;
  /** The Blox revision it runs (its `blox:revision` tag, or its task set's external id). */
  revision?: number | undefined;
  createdAt?: number | undefined;
  startedAt?: number | undefined;
  stoppingAt?: number | undefined;
  stoppedAt?: number | undefined;
}

/** The median (the mean of the middle two for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The ms of an event's `at` (ISO for the commands' events, ms for the engine's). */
export function eventMs(event: EnvironmentEvent): number {
  return typeof event.at === 'number' ? event.at : msFromIso(event.at);
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** Timings observed in the environment's tasks and log (see the module comment), defaults where none. */
export function deriveTimings(tasks: readonly TaskTimes[], events: readonly EnvironmentEvent[], defaults: Timings = DEFAULT_TIMINGS): DerivedTimings {
  const starts: number[] = [];
  for (const t of tasks) if (t.createdAt !== undefined && t.startedAt !== undefined && t.startedAt >= t.createdAt) starts.push(t.startedAt - t.createdAt);

  const byId = new Map(tasks.map((t) => [t.id, t]));
  const stopPlanned = new Map<string, number>();
  const readies: number[] = [];
  /** The deploying revision's tasks not yet matched to a ready count, earliest start first. */
  let waiting: TaskTimes[] = [];
  let ready = 0;
  for (const event of events) {
    switch (event.type) {
      case 'DeploymentStarted':
      case 'RollbackStarted': {
        const revision = event.revision;
        waiting = tasks.filter((t) => t.revision === revision && t.startedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt!);
        ready = 0;
        break;
      }
      case 'DeploymentProgressed': {
        const at = eventMs(event);
        for (let n = ready; n < event.ready; n++) {
          const index = waiting.findIndex((t) => t.startedAt! <= at);
          if (index < 0) break;
          const [task] = waiting.splice(index, 1);
          readies.push(at - task!.startedAt!);
        }
        ready = event.ready;
        break;
      }
      case 'StopsPlanned':
        for (const batch of event.batches) for (const id of batch.tasks) if (!stopPlanned.has(id)) stopPlanned.set(id, event.at);
        break;
      default:
        break;
    }
  }
  const stops: number[] = [];
  for (const [id, at] of stopPlanned) {
    const stoppedAt = byId.get(id)?.stoppedAt;
    if (stoppedAt !== undefined && stoppedAt >= at) stops.push(stoppedAt - at);
  }
  for (const t of tasks) {
    if (stopPlanned.has(t.id) || t.stoppingAt === undefined || t.stoppedAt === undefined || t.stoppedAt < t.stoppingAt) continue;
    stops.push(t.stoppedAt - t.stoppingAt);
  }
  const pick = (samples: number[], fallback: number): [number, TimingSource] => {
    const m = median(samples);
    return m === undefined ? [fallback, 'default'] : [seconds(m), 'observed'];
  };
  const [startSeconds, start] = pick(starts, defaults.startSeconds);
  const [readySeconds, readySource] = pick(readies, defaults.readySeconds);
  const [stopSeconds, stop] = pick(stops, defaults.stopSeconds);
  return {
    startSeconds,
    readySeconds,
    stopSeconds,
    sources: { start, ready: readySource, stop },
    samples: { start: starts.length, ready: readies.length, stop: stops.length },
  };
}

/**
 * The timings the simulation's tasks get. The engine counts a task ready at its first health poll
 * after the verdict (`pollSeconds` apart), so an observed ready time includes part of a poll; the
 * simulated engine polls too, so half a poll (the mean wait) is taken off an observed ready time —
 * never a default, which is the task's own.
 * simulatedTimings({ …, readySeconds: 1.036, sources.ready: 'observed' }, 1).readySeconds === 0.536
 */
export function simulatedTimings(timings: DerivedTimings, pollSeconds: number): Timings {
  const readySeconds = timings.sources.ready === 'observed' ? Math.max(0, timings.readySeconds - pollSeconds / 2) : timings.readySeconds;
  return { startSeconds: timings.startSeconds, readySeconds: Math.round(readySeconds * 1000) / 1000, stopSeconds: timings.stopSeconds };
}

// ── Placement headroom ─────────────────────────────────────────────────────────────────────────

export interface Resources {
  cpu: number;
  memory: number;
}

/**
 * What one instance offers the environment: what it has left (`remaining`) plus what the
 * environment's own tasks there hold (`ownTasks` × `need`, given back when they stop), never more
 * than it registered. The simulator's copy of the instance has exactly that, so its placements fail
 * where ECS's would (another environment's tasks are simply not there).
 */
export function capacityForEnvironment(instance: { registered: Resources; remaining: Resources }, ownTasks: number, need: Resources): Resources {
  return {
    cpu: Math.min(instance.registered.cpu, instance.remaining.cpu + ownTasks * need.cpu),
    memory: Math.min(instance.registered.memory, instance.remaining.memory + ownTasks * need.memory),
  };
}

/** How many copies of a task needing `need` fit in `capacity` (a need of 0 takes no room: unlimited, as ECS). */
export function copiesThatFit(capacity: Resources, need: Resources): number {
  const by = (have: number, want: number) => (want <= 0 ? Infinity : Math.floor(have / want));
  return Math.min(by(capacity.cpu, need.cpu), by(capacity.memory, need.memory));
}

// ── What the simulated run shows ───────────────────────────────────────────────────────────────

/** The environment's tasks at one instant of the simulated run. */
export interface RunSample {
  at: number;
  /** Tasks ready (any revision): RUNNING, wanted, and HEALTHY where there is a health check. */
  ready: number;
  /** Tasks placed and not yet STOPPED (any revision): what the cluster holds. */
  live: number;
}

export interface RunSummary {
  durationSeconds: number;
  lowestReady: number;
  /** `lowestReady` ÷ desired, in percent (one decimal); 100 when nothing is desired. */
  lowestReadyPercent: number;
  /** The most tasks live at once beyond the desired count. */
  mostExtra: number;
}

/** Lowest ready count, most extra tasks and duration over the samples of `[startAt, endAt]`. */
export function summarizeRun(samples: readonly RunSample[], desired: number, startAt: number, endAt: number): RunSummary {
  const inRun = samples.filter((s) => s.at >= startAt && s.at <= endAt);
  const lowestReady = inRun.length === 0 ? desired : Math.min(...inRun.map((s) => s.ready));
  const mostExtra = Math.max(0, ...inRun.map((s) => s.live - desired));
  return {
    durationSeconds: seconds(endAt - startAt),
    lowestReady,
    lowestReadyPercent: desired === 0 ? 100 : Math.round((lowestReady / desired) * 1000) / 10,
    mostExtra,
  };
}

/** One move of the rollout, seconds after the deployment started. */
export type PlanStep =
  | { kind: 'Wave'; atSeconds: number; launches: number; stops: number }
  | { kind: 'Scale'; atSeconds: number; revision: number; desired: number }
  | { kind: 'Bake'; atSeconds: number };

/**
 * The steps of a simulated deployment of `revision` from its log (events from `startAt` on): a
 * Daemon's waves — the launches and stops planned by one reconcile — and a Service's scale steps
 * (the deploying revision's desired count as it changes), with the bake when one starts.
 */
export function stepsOf(events: readonly EnvironmentEvent[], revision: number, startAt: number): PlanStep[] {
  const steps: PlanStep[] = [];
  let desired: number | undefined;
  const atSeconds = (at: number) => seconds(at - startAt);
  for (const event of events) {
    const at = eventMs(event);
    if (at < startAt) continue;
    switch (event.type) {
      case 'LaunchesPlanned':
      case 'StopsPlanned': {
        const launches = event.type === 'LaunchesPlanned' ? event.batches.reduce((n, b) => n + b.instances.length, 0) : 0;
        const stops = event.type === 'StopsPlanned' ? event.batches.reduce((n, b) => n + b.tasks.length, 0) : 0;
        const last = steps.at(-1);
        if (last?.kind === 'Wave' && last.atSeconds === atSeconds(at)) {
          last.launches += launches;
          last.stops += stops;
        } else steps.push({ kind: 'Wave', atSeconds: atSeconds(at), launches, stops });
        break;
      }
      case 'RevisionCountsChanged': {
        const target = event.counts.find((c) => c.revision === revision);
        // A Service's target task set starts at 0: not a step.
        if (target && desired === undefined && target.desired === 0) desired = 0;
        else if (target && target.desired !== desired) {
          // A Daemon's DESIRED is its membership, set once: only a Service's moves in steps.
          if (desired !== undefined || !steps.some((s) => s.kind === 'Wave')) steps.push({ kind: 'Scale', atSeconds: atSeconds(at), revision, desired: target.desired });
          desired = target.desired;
        }
        break;
      }
      case 'BakeStarted':
        steps.push({ kind: 'Bake', atSeconds: atSeconds(at) });
        break;
      default:
        break;
    }
  }
  // A Daemon's first count is not a step once its waves are known.
  return steps.some((s) => s.kind === 'Wave') ? steps.filter((s) => s.kind !== 'Scale') : steps;
}

/** |estimate − actual| ÷ actual (the bench's `dryrun.eta_error.<method>`). */
export function etaError(estimateSeconds: number, actualSeconds: number): number {
  if (actualSeconds <= 0) throw new Error(`etaError: the actual duration must be positive (got ${actualSeconds})`);
  return Math.abs(estimateSeconds - actualSeconds) / actualSeconds;
}
