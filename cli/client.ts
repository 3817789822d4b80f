/**
 * The HTTP client of the Blox API (`docs/api.md`): one method per API call, no printing, no exits.
 *
 * ```ts
 * const blox = new BloxClient({ baseUrl: 'http://127.0.0.1:3000' });
 * await blox.createEnvironment(rawDocument('application/yaml', yamlText)); // → { EnvironmentRevision: 1 }
 * await blox.deployEnvironment('SomeEnvironment/Prod', 1, { idempotencyKey: 'ci-run-42' });
 * ```
 *
 * Against an `https:` URL every request is SigV4-signed (`execute-api`); the signer is built on first
 * use (see `cli/sign.ts`) so the plain-http local case never loads the AWS SDK. Failures are thrown as
 * `BloxApiError` (the API answered with an error status) or `BloxConnectionError` (no answer).
 */

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

// ---- shapes (docs/api.md "Shapes") ----

export type RevisionStatusName =
  | 'Created'
  | 'Deploying'
  | 'Active'
  | 'Undeploying'
  | 'Inactive'
  | 'Reverting'
  | 'Reverted'
  | 'Stuck'
  | 'Failing';

/** Environment-level status: a revision status, or `Suspended` while frozen. */
/** `Deleting` while delete-environment scales it to zero, `Deleted` once done. */
export type EnvironmentStatusName = RevisionStatusName | 'Suspended' | 'Deleting' | 'Deleted';

export interface EnvironmentSummary {
  EnvironmentName: string;
  Status: EnvironmentStatusName;
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

export interface ListEnvironmentsResult {
  Environments: EnvironmentSummary[];
  NextToken?: string;
}

/** list-deployments: one deployment of the history (docs/api.md, "DeploymentHistory"). */
export interface DeploymentHistoryItem {
  DeploymentId: string;
  EnvironmentRevision: number;
  Kind: 'deploy' | 'rollback' | 'delete';
  Trigger: { Kind: string; By: string | null; Reason: string | null };
  StartedAt: string;
  EndedAt: string | null;
  Outcome: string;
  DurationSeconds: number | null;
  Reason: string | null;
  EndedBy: string | null;
}

export interface ListDeploymentsResult {
  EnvironmentName: string;
  Deployments: DeploymentHistoryItem[];
  NextToken?: string;
}

/** diff-revisions: a changed field, old → new (null: absent). */
export interface FieldChangeView {
  Field: string;
  From: unknown;
  To: unknown;
}

export interface RevisionDiff {
  EnvironmentName: string;
  From: number;
  To: number;
  SpecChanges: FieldChangeView[];
  /** `Changes` null and `Error` set when a task definition could not be described. */
  TaskDefinition: { From: string; To: string; Changes: FieldChangeView[] | null; Error: string | null };
}

/** What pause-, resume- and promote-deployment answer (abort: the rollback it started). */
export type DeploymentControlResult =
  | { EnvironmentName: string; DeploymentId: string; Status: EnvironmentStatusName; Paused: { Since: string; By: string; Reason: string | null } | null }
  | { AbortedDeploymentId: string; DeploymentId: string; EnvironmentRevision: number };

/** A traffic rollout (TrafficRouting), as the API shows it (docs/api.md). */
export interface TrafficInfo {
  Routing: 'Alb' | 'Route53';
  Strategy: 'Canary' | 'BlueGreen';
  /** `3/5`; null: BlueGreen, or no step started yet. */
  Step: string | null;
  StepDescription: string | null;
  StepStartedAt?: string | null;
  Weights: Array<{ TargetGroupName: string; TargetGroupArn: string; Weight: number }>;
  InEffect: boolean;
  Change?: { Id: string; SubmittedAt: string; Status: 'PENDING' | 'INSYNC' } | null;
  /** A Pause step: when it ends (ISO), or `until promote-deployment`. */
  PauseEndsAt: string | null;
}

/** A lifecycle hook invoked and not answered SUCCEEDED or FAILED yet. */
export interface HookInfo {
  Stage: string;
  FunctionName: string;
  FunctionArn?: string;
  Attempt: number;
  StartedAt?: string;
  InvokedAt?: string;
  LastAnswer: { Status: string; At: string; Reason: string | null } | null;
  NextAttemptAt: string | null;
  TimesOutAt: string | null;
}

export interface DeploymentInfo {
  DeploymentId: string;
  Revision: number;
  Kind: string;
  StartedAt?: string;
  Phase?: string;
  /** pause-deployment: since when, by whom (null: not paused). */
  Paused?: { Since: string; By: string; Reason: string | null } | null;
  /** A bake in progress: when it ends. */
  BakeEndsAt?: string | null;
  /** TrafficRouting: the step, the weights, in effect, a pause's end (null: none). */
  Traffic?: TrafficInfo | null;
  /** Lifecycle hooks in progress. */
  Hooks?: HookInfo[];
}

export interface EnvironmentDescription {
  EnvironmentName: string;
  Status: EnvironmentStatusName;
  Desired: number;
  Current: number;
  Frozen: boolean;
  LatestRevision: number;
  ActiveRevision: number | null;
  DeployingRevision: number | null;
  Deployment: DeploymentInfo | null;
  Spec: Record<string, unknown>;
  Version?: number;
  CreatedAt?: string;
  UpdatedAt?: string;
}

export interface RevisionStatusRow {
  EnvironmentRevision: number;
  /** `NAME:N`, e.g. `SomeEnvironment/Prod:1`. */
  Revision: string;
  Status: RevisionStatusName;
  Desired: number;
  Current: number;
  StatusReason: string | null;
  UpdatedAt?: string;
}

export interface EnvironmentStatus {
  EnvironmentName: string;
  Status: EnvironmentStatusName;
  Frozen: boolean;
  /** The deployment in progress, compactly (its phase, pause, bake, traffic and hooks); null: none. */
  Deployment?: DeploymentInfo | null;
  Revisions: RevisionStatusRow[];
  /** With `all`: there are more revisions; pass it back as `nextToken` for the next page. */
  NextToken?: string;
}

export interface EnvironmentRevisionResult {
  EnvironmentRevision: number;
}

export interface DeploymentResult {
  DeploymentId: string;
}

export interface FreezeResult {
  EnvironmentName: string;
  Status: EnvironmentStatusName;
}

// ---- request bodies ----

/** One move of a planned rollout (`plan-deployment`), seconds after the deployment starts. */
export interface PlanStep {
  AtSeconds: number;
  Kind: 'Wave' | 'Scale' | 'Bake';
  Launches?: number;
  Stops?: number;
  Revision?: number;
  DesiredCount?: number;
}

/** `GET /environments/{name}/plan?revision=N`: the dry run of deploying revision N. */
export interface DeploymentPlan {
  EnvironmentName: string;
  EnvironmentRevision: number;
  ActiveRevision: number | null;
  DeploymentType: 'Daemon' | 'Service';
  Method: string;
  Completes: boolean;
  Reason?: string;
  EstimatedDurationSeconds: number;
  DesiredCount: number;
  LowestReadyCount: number;
  LowestReadyPercent: number;
  MostExtraTasks: number;
  Steps: PlanStep[];
  Seed: {
    Instances: number;
    TaskNeeds: { Cpu: number; Memory: number; HealthCheck: boolean };
    Headroom: { MostOnOneInstance: number; LeastOnOneInstance: number; Total: number };
    Timings: {
      StartSeconds: number;
      ReadySeconds: number;
      StopSeconds: number;
      Sources: { start: 'observed' | 'default'; ready: 'observed' | 'default'; stop: 'observed' | 'default' };
      Samples: { start: number; ready: number; stop: number };
    };
  };
  Assumptions: string[];
}

export type DocumentContentType = 'application/yaml' | 'application/json';

/** A body sent exactly as written (a spec file), with its content type. */
export interface RawDocument {
  readonly raw: string;
  readonly contentType: DocumentContentType;
}

export function rawDocument(contentType: DocumentContentType, raw: string): RawDocument {
  return { raw, contentType };
}

function isRawDocument(value: unknown): value is RawDocument {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RawDocument).raw === 'string' &&
    typeof (value as RawDocument).contentType === 'string'
  );
}

/** A spec (or an update) as an object; sent as JSON. Keys are the spec's PascalCase keys. */
export type SpecObject = Record<string, unknown>;

export interface MutationOptions {
  /** Sent as `Idempotency-Key`: a retry with the same key returns the first answer. */
  idempotencyKey?: string;
}

// ---- errors ----

/** The API answered with an error status (`{ "error": { code, message, field? } }`). */
export class BloxApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BloxApiError';
  }
}

/** No answer from the API: connection refused, DNS failure, timeout, TLS error, … */
export class BloxConnectionError extends Error {
  constructor(
    /** The API base URL that could not be reached. */
    readonly url: string,
    /** A system error code when there is one (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, …). */
    readonly errorCode: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BloxConnectionError';
  }
}

// ---- signing hook ----

/** What a signer sees: the request as it will be sent. */
export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Returns the headers to send (the given ones plus authentication headers). */
export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

export interface BloxClientOptions {
  /** API base URL; default `http://127.0.0.1:3000`. A path prefix (an API Gateway stage) is kept. */
  baseUrl?: string;
  /**
   * Signs requests when `baseUrl` is `https:` (never for `http:`). Default: SigV4 for `execute-api`
   * with the Node credential provider chain and the region from the host or `AWS_REGION`.
   */
  signer?: RequestSigner;
  /** Environment used to build the default signer (region variables); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
}

/** One request, as `BloxClient.request` sends it (for subclasses such as the simulator client). */
export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | undefined>;
  body?: RawDocument | SpecObject | undefined;
  idempotencyKey?: string | undefined;
}

export class BloxClient {
  readonly baseUrl: string;
  private readonly base: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly env: Record<string, string | undefined>;
  private signer: RequestSigner | undefined;

  constructor(options: BloxClientOptions = {}) {
    const baseUrl = options.baseUrl ?? DEFAULT_API_URL;
    let base: URL;
    try {
      base = new URL(baseUrl);
    } catch {
      throw new TypeError(`not a URL: ${JSON.stringify(baseUrl)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`expected an http: or https: URL, got ${JSON.stringify(baseUrl)}`);
    }
    this.base = base;
    this.baseUrl = baseUrl;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.env = options.env ?? process.env;
    this.signer = options.signer;
  }

  /** Whether requests are SigV4-signed (the base URL is `https:`). */
  get signs(): boolean {
    return this.base.protocol === 'https:';
  }

  /** `POST /environments` → `{ EnvironmentRevision: 1 }`. */
  createEnvironment(spec: RawDocument | SpecObject, options: MutationOptions = {}): Promise<EnvironmentRevisionResult> {
    return this.request({ method: 'POST', path: '/environments', body: spec, idempotencyKey: options.idempotencyKey });
  }

  /** `POST /environments/{name}/revisions` → `{ EnvironmentRevision: N+1 }`. The body is `{ Revision?, …spec fields }`. */
  updateEnvironment(
    name: string,
    update: RawDocument | SpecObject,
    options: MutationOptions = {},
  ): Promise<EnvironmentRevisionResult> {
    return this.request({
      method: 'POST',
      path: `${environmentPath(name)}/revisions`,
      body: update,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** `POST /environments/{name}/deployments` → `{ DeploymentId }`. */
  deployEnvironment(name: string, revision: number, options: MutationOptions = {}): Promise<DeploymentResult> {
    return this.request({
      method: 'POST',
      path: `${environmentPath(name)}/deployments`,
      body: { EnvironmentRevision: revision },
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** `POST /environments/{name}/rollbacks` → `{ DeploymentId }`. */
  rollbackEnvironment(name: string, revision: number, options: MutationOptions = {}): Promise<DeploymentResult> {
    return this.request({
      method: 'POST',
      path: `${environmentPath(name)}/rollbacks`,
      body: { EnvironmentRevision: revision },
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** `POST /environments/{name}/freeze` → `{ EnvironmentName, Status: "Suspended" }`. */
  freezeEnvironment(name: string, options: MutationOptions = {}): Promise<FreezeResult> {
    return this.request({ method: 'POST', path: `${environmentPath(name)}/freeze`, idempotencyKey: options.idempotencyKey });
  }

  /** `POST /environments/{name}/scale` → `{ EnvironmentName, DesiredCount }` (Service environments). */
  scaleEnvironment(name: string, desiredCount: number, options: MutationOptions = {}): Promise<{ EnvironmentName: string; DesiredCount: number }> {
    return this.request({ method: 'POST', path: `${environmentPath(name)}/scale`, body: { DesiredCount: desiredCount }, idempotencyKey: options.idempotencyKey });
  }

  /** `POST /environments/{name}/deletion` → `{ EnvironmentName, Status: "Deleting" | "Deleted", DeletionId, Tasks }`. */
  deleteEnvironment(name: string, force: boolean, options: MutationOptions = {}): Promise<{ EnvironmentName: string; Status: string; DeletionId: string; Tasks: number }> {
    return this.request({ method: 'POST', path: `${environmentPath(name)}/deletion`, body: force ? { Force: true } : {}, idempotencyKey: options.idempotencyKey });
  }

  /**
   * The controls of a running deployment: `POST /environments/{name}/deployment/pause|resume|promote`
   * → `{ EnvironmentName, DeploymentId, Status, Paused }`; `…/abort` → `{ AbortedDeploymentId, DeploymentId, EnvironmentRevision }`.
   * `reason` is recorded in the log with the caller; `full` (promote) skips every remaining Canary step.
   */
  controlDeployment(
    name: string,
    control: 'pause' | 'resume' | 'promote' | 'abort',
    body: { reason?: string | undefined; full?: boolean | undefined } = {},
    options: MutationOptions = {},
  ): Promise<DeploymentControlResult> {
    const sent = { ...(body.reason !== undefined ? { Reason: body.reason } : {}), ...(body.full ? { Full: true } : {}) };
    return this.request({ method: 'POST', path: `${environmentPath(name)}/deployment/${control}`, body: sent, idempotencyKey: options.idempotencyKey });
  }

  /** `POST /environments/{name}/thaw` → `{ EnvironmentName, Status }`. */
  thawEnvironment(name: string, options: MutationOptions = {}): Promise<FreezeResult> {
    return this.request({ method: 'POST', path: `${environmentPath(name)}/thaw`, idempotencyKey: options.idempotencyKey });
  }

  /** `GET /environments/{name}/plan?revision=N`: what deploying revision N would do (a dry run; nothing changes). */
  planDeployment(name: string, revision: number): Promise<DeploymentPlan> {
    return this.request({ method: 'GET', path: `${environmentPath(name)}/plan`, query: { revision: String(revision) } });
  }

  /** `GET /environments/{name}`. */
  describeEnvironment(name: string): Promise<EnvironmentDescription> {
    return this.request({ method: 'GET', path: environmentPath(name) });
  }

  /**
   * `GET /environments/{name}/status[?all=true]`. With `all`, one page of every revision (`limit`,
   * the API's default 100 unless given, from `nextToken`); its `NextToken` when more follow.
   */
  describeEnvironmentStatus(
    name: string,
    options: { all?: boolean; limit?: number; nextToken?: string } = {},
  ): Promise<EnvironmentStatus> {
    return this.request({
      method: 'GET',
      path: `${environmentPath(name)}/status`,
      query: {
        all: options.all ? 'true' : undefined,
        limit: options.limit === undefined ? undefined : String(options.limit),
        nextToken: options.nextToken,
      },
    });
  }

  /**
   * Every revision, a page at a time, following `NextToken` (each page as it arrives, with the API's
   * `NextToken` while more follow) — or at most `maxItems` revisions, the last page then carrying the
   * `NextToken` to resume from (pass it back as `startingToken`) when more remain.
   *
   * The first page is the API's default size (100: a small environment is one request, as before);
   * the following ones ask for `pageSize` (default 1000, the API's most), fewer round trips for a
   * long history. With `maxItems` each page asks for no more than is still wanted, so the token
   * resumes exactly after the last row.
   */
  async *environmentStatusPages(
    name: string,
    options: { maxItems?: number; startingToken?: string; pageSize?: number } = {},
  ): AsyncGenerator<EnvironmentStatus> {
    const { maxItems } = options;
    const seen = new Set<string>();
    let token = options.startingToken;
    let count = 0;
    for (let first = true; ; first = false) {
      const size = first ? undefined : (options.pageSize ?? 1000);
      const limit = maxItems === undefined ? size : Math.min(maxItems - count, size ?? 100);
      const page = await this.describeEnvironmentStatus(name, { all: true, limit, nextToken: token });
      count += (page.Revisions ?? []).length;
      token = page.NextToken ?? undefined;
      if (!token || (maxItems !== undefined && count >= maxItems)) {
        yield page;
        return;
      }
      if (seen.has(token)) throw new Error(`the API returned the same NextToken twice (${token})`);
      seen.add(token);
      yield page;
    }
  }

  /**
   * `describe-environment-status --all`: every revision (or `maxItems` of them, with the `NextToken`
   * to resume from), in one answer. The environment's fields are those of the last page read.
   */
  async describeAllEnvironmentStatus(
    name: string,
    options: { maxItems?: number; startingToken?: string; pageSize?: number } = {},
  ): Promise<EnvironmentStatus> {
    const revisions: RevisionStatusRow[] = [];
    let last: EnvironmentStatus | undefined;
    for await (const page of this.environmentStatusPages(name, options)) {
      revisions.push(...(page.Revisions ?? []));
      last = page;
    }
    const { NextToken, ...envelope } = last!;
    return { ...envelope, Revisions: revisions, ...(NextToken ? { NextToken } : {}) };
  }

  /** One page of the deployment history, newest first: `GET /environments/{name}/deployments?limit=N&nextToken=T`. */
  listDeployments(name: string, options: { limit?: number; nextToken?: string } = {}): Promise<ListDeploymentsResult> {
    return this.request({
      method: 'GET',
      path: `${environmentPath(name)}/deployments`,
      query: { limit: options.limit === undefined ? undefined : String(options.limit), nextToken: options.nextToken },
    });
  }

  /**
   * The whole history, following `NextToken` — or at most `maxItems` deployments, the result then
   * carrying the `NextToken` to resume from (pass it back as `startingToken`) when more remain. Each
   * page asks for no more than is still wanted (at most `pageSize`, default 100, the API's most); a
   * page may hold fewer than asked (the API reads a bounded part of the log per request).
   */
  async listAllDeployments(name: string, options: { maxItems?: number; startingToken?: string; pageSize?: number } = {}): Promise<ListDeploymentsResult> {
    const { maxItems } = options;
    const deployments: DeploymentHistoryItem[] = [];
    const seen = new Set<string>();
    let token = options.startingToken;
    for (;;) {
      const size = options.pageSize ?? 100;
      const limit = maxItems === undefined ? size : Math.min(maxItems - deployments.length, size);
      const page = await this.listDeployments(name, { limit, nextToken: token });
      deployments.push(...(page.Deployments ?? []));
      token = page.NextToken ?? undefined;
      if (!token) return { EnvironmentName: page.EnvironmentName, Deployments: deployments };
      if (maxItems !== undefined && deployments.length >= maxItems) return { EnvironmentName: page.EnvironmentName, Deployments: deployments, NextToken: token };
      if (seen.has(token)) throw new Error(`the API returned the same NextToken twice (${token})`);
      seen.add(token);
    }
  }

  /** `GET /environments/{name}/revision-diff?from=A&to=B`. */
  diffRevisions(name: string, from: number, to: number): Promise<RevisionDiff> {
    return this.request({ method: 'GET', path: `${environmentPath(name)}/revision-diff`, query: { from: String(from), to: String(to) } });
  }

  /** One page: `GET /environments?limit=N&nextToken=T`. */
  listEnvironments(options: { limit?: number; nextToken?: string } = {}): Promise<ListEnvironmentsResult> {
    return this.request({
      method: 'GET',
      path: '/environments',
      query: {
        limit: options.limit === undefined ? undefined : String(options.limit),
        nextToken: options.nextToken,
      },
    });
  }

  /**
   * Every page, following `NextToken` — or at most `maxItems` environments, in which case the
   * result carries the `NextToken` to resume from (pass it back as `startingToken`) when more remain.
   * With `maxItems`, each page asks for no more than is still wanted (capped at `pageSize`, default 100),
   * so the returned token resumes exactly after the last returned item.
   */
  async listAllEnvironments(
    options: { maxItems?: number; startingToken?: string; pageSize?: number } = {},
  ): Promise<ListEnvironmentsResult> {
    const { maxItems, pageSize } = options;
    const environments: EnvironmentSummary[] = [];
    const seen = new Set<string>();
    let token = options.startingToken;
    for (;;) {
      let limit = pageSize;
      if (maxItems !== undefined) limit = Math.min(maxItems - environments.length, pageSize ?? 100);
      const page = await this.listEnvironments({ limit, nextToken: token });
      environments.push(...(page.Environments ?? []));
      token = page.NextToken ?? undefined;
      if (!token) return { Environments: environments };
      if (maxItems !== undefined && environments.length >= maxItems) {
        return { Environments: environments, NextToken: token };
      }
      if (seen.has(token)) throw new Error(`the API returned the same NextToken twice (${token})`);
      seen.add(token);
    }
  }

  /** Sends one request; the parsed JSON answer (undefined for an empty body), or a `BloxApiError` / `BloxConnectionError`. */
  protected async request<T>(spec: RequestSpec): Promise<T> {
    const url = this.urlFor(spec.path, spec.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (spec.body !== undefined) {
      if (isRawDocument(spec.body)) {
        headers['content-type'] = spec.body.contentType;
        body = spec.body.raw;
      } else {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(spec.body);
      }
    }
    if (spec.idempotencyKey !== undefined) headers['idempotency-key'] = spec.idempotencyKey;

    const sendHeaders = this.signs
      ? await (await this.getSigner())({ method: spec.method, url, headers, body })
      : headers;

    // A connection the server closed as the request went out (a kept-alive socket it timed out
    // meanwhile: ECONNRESET, "other side closed") is tried again, as the AWS SDK does, when sending the
    // request twice does no harm: a read, or a write with an idempotency key.
    const retriable = spec.method === 'GET' || spec.idempotencyKey !== undefined;
    let response: Response | undefined;
    let text = '';
    for (let attempt = 1; response === undefined; attempt++) {
      try {
        const answer = await this.fetchImpl(url, {
          method: spec.method,
          headers: sendHeaders,
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await answer.text();
        response = answer;
      } catch (error) {
        if (!retriable || attempt >= CONNECTION_ATTEMPTS || !connectionDropped(error)) throw this.connectionError(error);
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }

    if (!response.ok) throw apiError(response, text);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new BloxApiError(response.status, 'InvalidResponse', `the API answered ${response.status} with a body that is not JSON`);
    }
  }

  private urlFor(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(this.base.href);
    url.pathname = url.pathname.replace(/\/+$/, '') + path;
    url.search = '';
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    url.hash = '';
    return url;
  }

  private async getSigner(): Promise<RequestSigner> {
    if (!this.signer) {
      const { defaultSigner } = await import('./sign');
      this.signer = defaultSigner(this.base, this.env);
    }
    return this.signer;
  }

  private connectionError(error: unknown): BloxConnectionError {
    const code = systemErrorCode(error);
    let detail: string;
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      detail = `no answer within ${Math.round(this.timeoutMs / 1000)} s`;
    } else {
      detail = code ?? describeCause(error);
    }
    return new BloxConnectionError(this.baseUrl, code, `cannot reach the Blox API at ${this.baseUrl}: ${detail}`, {
      cause: error,
    });
  }
}

function environmentPath(name: string): string {
  return `/environments/${encodeURIComponent(name)}`;
}

function apiError(response: Response, text: string): BloxApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const envelope = (parsed as { error?: unknown } | undefined)?.error;
  if (typeof envelope === 'object' && envelope !== null) {
    const { code, message, field } = envelope as { code?: unknown; message?: unknown; field?: unknown };
    return new BloxApiError(
      response.status,
      typeof code === 'string' ? code : `HTTP${response.status}`,
      typeof message === 'string' && message !== '' ? message : `${response.status} ${response.statusText}`.trim(),
      typeof field === 'string' ? field : undefined,
    );
  }
  // API Gateway's own refusals (IAM auth, throttling) look like { "message": "Forbidden" }.
  const message = (parsed as { message?: unknown; Message?: unknown } | undefined)?.message ??
    (parsed as { Message?: unknown } | undefined)?.Message;
  return new BloxApiError(
    response.status,
    `HTTP${response.status}`,
    typeof message === 'string' && message !== ''
      ? `${message} (HTTP ${response.status})`
      : `the API answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
  );
}

/** Tries of one request whose connection the server dropped (`connectionDropped`). */
const CONNECTION_ATTEMPTS = 3;

/** The server closed the connection under the request (not: nothing listens, or no answer in time). */
function connectionDropped(error: unknown): boolean {
  const code = systemErrorCode(error);
  if (code === 'ECONNRESET' || code === 'EPIPE') return true;
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if ((current as { code?: unknown }).code === 'UND_ERR_SOCKET') return true; // undici: "other side closed"
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function systemErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    const errors = (current as { errors?: unknown }).errors; // AggregateError (IPv4 + IPv6 attempts)
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = systemErrorCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeCause(error: unknown): string {
  let current = error;
  while ((current as { cause?: unknown })?.cause instanceof Error) current = (current as { cause: Error }).cause;
  return current instanceof Error ? current.message : String(current);
}
