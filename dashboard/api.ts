/**
 * The API the page calls: the same routes as the CLI (docs/api.md), on the page's own origin (the
 * local stack serves them; `blox dashboard` forwards them, signed, to BLOX_API_URL).
 */
import type { ApiDeployment } from './deployments';

export interface EnvironmentSummary {
  EnvironmentName: string;
  Status: string;
  DeploymentType?: string;
  Cluster?: string;
  LatestRevision: number;
  ActiveRevision: number | null;
  DeployingRevision: number | null;
  Frozen: boolean;
  Desired: number;
  Current: number;
  UpdatedAt?: string;
}

export interface AlarmView {
  AlarmName: string;
  State: string;
  Since: string | null;
  Reason: string;
}

/** A traffic rollout's position (Service Canary / BlueGreen): whatever of it the API gives. */
export interface TrafficView {
  step?: string;
  weights?: Array<{ targetGroupArn: string; weight: number }>;
  pausedUntil?: string | null;
  bakeEndsAt?: string | null;
}

export interface DeploymentView {
  DeploymentId: string;
  Revision: number;
  Kind: string;
  StartedAt?: string;
  CompletedAt?: string;
  Phase?: string;
  Paused?: { Since: string; By: string; Reason: string | null } | null;
  BakeEndsAt?: string | null;
  Trigger?: string;
  Reason?: string | null;
  Alarms?: AlarmView[];
  traffic?: TrafficView;
  /** describe-environment's traffic (functions/api/traffic-view.ts). */
  Traffic?: ApiTraffic | null;
}

/** The API's `Deployment.Traffic`. */
export interface ApiTraffic {
  Step?: string | null;
  StepDescription?: string | null;
  Weights?: Array<{ TargetGroupName: string; TargetGroupArn: string; Weight: number }>;
  InEffect?: boolean;
  PauseEndsAt?: string | null;
}

/** The API's traffic as the Traffic panel draws it: the step with its description, the weights, the pause's end (a time, or "until promote-deployment"). */
export function trafficView(deployment: DeploymentView | undefined): TrafficView | undefined {
  if (deployment?.traffic) return deployment.traffic;
  const t = deployment?.Traffic;
  if (!t) return undefined;
  const pause = t.PauseEndsAt ?? null;
  const timed = pause !== null && !Number.isNaN(Date.parse(pause));
  return {
    ...(t.Step ? { step: `${t.Step}${t.StepDescription ? ` ${t.StepDescription}` : ''}${!timed && pause ? ` (${pause})` : ''}${t.InEffect === false ? ' · change not in effect yet' : ''}` } : {}),
    weights: (t.Weights ?? []).map((w) => ({ targetGroupArn: w.TargetGroupArn, weight: w.Weight })),
    pausedUntil: timed ? pause : null,
    bakeEndsAt: deployment?.BakeEndsAt ?? null,
  };
}

export interface EnvironmentDescription extends EnvironmentSummary {
  Deployment: DeploymentView | null;
  LastDeployment: DeploymentView | null;
  Spec: Record<string, unknown>;
}

export interface RevisionRow {
  EnvironmentRevision: number;
  Revision: string;
  Status: string;
  Desired: number;
  Current: number;
  StatusReason: string | null;
  UpdatedAt?: string;
}

export interface LogEvent {
  Sequence: number;
  Type: string;
  At: string;
  Revision: number | null;
  Trigger: string | null;
  By: string | null;
  Reason: string | null;
  Detail: Record<string, unknown>;
}

export interface TaskView {
  TaskId: string;
  Revision: number;
  LastStatus: string;
  DesiredStatus: string;
  Health: string;
  StoppedReason?: string;
}

export interface InstanceView {
  InstanceId: string;
  Status: string;
  Tasks: TaskView[];
}

export interface InstancesPicture {
  LookedAt: string | null;
  DeploymentId: string | null;
  InstanceCount: number;
  Instances: InstanceView[];
  /** A Service: its task sets' tasks (no instances). */
  Tasks?: TaskView[];
}

/** The API answered with an error: its `error.message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? (text || response.statusText);
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

const env = (name: string) => `/environments/${encodeURIComponent(name)}`;

export async function listEnvironments(): Promise<EnvironmentSummary[]> {
  const all: EnvironmentSummary[] = [];
  let token: string | undefined;
  do {
    const page = await call<{ Environments: EnvironmentSummary[]; NextToken?: string }>('GET', `/environments?limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
    all.push(...page.Environments);
    token = page.NextToken;
  } while (token && all.length < 1000);
  return all;
}

export const describeEnvironment = (name: string) => call<EnvironmentDescription>('GET', env(name));

export async function revisions(name: string): Promise<RevisionRow[]> {
  const page = await call<{ Revisions: RevisionRow[] }>('GET', `${env(name)}/status?all=true&limit=1000`);
  return page.Revisions;
}

/** Log events from `fromSequence` on, every page. */
export async function eventsFrom(name: string, fromSequence: number): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  let from: number | undefined = fromSequence;
  while (from !== undefined) {
    const page: { Events: LogEvent[]; NextSequence?: number } = await call('GET', `${env(name)}/events?fromSequence=${from}&limit=1000`);
    events.push(...page.Events);
    from = page.NextSequence;
  }
  return events;
}

/** The newest `limit` deployments (one page of the history, newest first). */
export async function recentDeployments(name: string, limit = 20): Promise<ApiDeployment[]> {
  return (await call<{ Deployments: ApiDeployment[] }>('GET', `${env(name)}/deployments?limit=${limit}`)).Deployments;
}

export async function instances(name: string): Promise<InstancesPicture> {
  const first = await call<InstancesPicture & { NextToken?: string }>('GET', `${env(name)}/instances?limit=5000`);
  let token = first.NextToken;
  const all = [...first.Instances];
  const tasks = [...(first.Tasks ?? [])];
  while (token) {
    const page: InstancesPicture & { NextToken?: string } = await call('GET', `${env(name)}/instances?limit=5000&nextToken=${encodeURIComponent(token)}`);
    all.push(...page.Instances);
    tasks.push(...(page.Tasks ?? []));
    token = page.NextToken;
  }
  return { ...first, Instances: all, ...(first.Tasks ? { Tasks: tasks } : {}) };
}

export type Control = 'deploy' | 'rollback' | 'freeze' | 'thaw' | 'pause' | 'resume' | 'promote' | 'abort';

/** One of the page's buttons: the API call it makes. */
export function control(name: string, what: Control, input: { revision?: number; reason?: string }): Promise<unknown> {
  const reason = input.reason ? { Reason: input.reason } : {};
  switch (what) {
    case 'deploy':
      return call('POST', `${env(name)}/deployments`, { EnvironmentRevision: input.revision });
    case 'rollback':
      return call('POST', `${env(name)}/rollbacks`, { EnvironmentRevision: input.revision });
    case 'freeze':
      return call('POST', `${env(name)}/freeze`, {});
    case 'thaw':
      return call('POST', `${env(name)}/thaw`, {});
    case 'pause':
    case 'resume':
    case 'promote':
    case 'abort':
      return call('POST', `${env(name)}/deployment/${what}`, reason);
    default: {
      const never: never = what;
      throw new Error(`unknown control ${String(never)}`);
    }
  }
}
