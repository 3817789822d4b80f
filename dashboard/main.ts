/**
 * The Blox dashboard: every environment (#/), and one environment (#/environments/NAME) with its
 * revisions, instances, alarms, traffic and timeline, and the controls of its deployments. Live: the
 * page reads the API again every POLL_MS (no reloads).
 */
import { h, render } from 'preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import type { Control, EnvironmentDescription, EnvironmentSummary, InstancesPicture, LogEvent, RevisionRow, TrafficView } from './api';
import { trafficView } from './api';
import { ApiError, control, describeEnvironment, eventsFrom, instances, listEnvironments, recentDeployments, revisions } from './api';
import type { ApiDeployment } from './deployments';
import { sparkBars } from './deployments';
import type { Cell } from './cells';
import { cellsOf, PALETTE, revisionColour, serviceTaskCells, taskSetCells } from './cells';
import type { Layout } from './grid';
import { cellAt, drawGrid } from './grid';

const html = htm.bind(h);

/** Changes show within a second. */
const POLL_MS = 500;

// ── live data ─────────────────────────────────────────────────────────────────────────────────────

/** Calls `read` now and again POLL_MS after each answer; the latest value, or the latest error. */
function usePoll<T>(read: () => Promise<T>, key: string): { value: T | undefined; error: string | undefined } {
  const [state, setState] = useState<{ value: T | undefined; error: string | undefined }>({ value: undefined, error: undefined });
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      try {
        const value = await read();
        if (!stopped) setState({ value, error: undefined });
      } catch (error) {
        if (!stopped) setState((s) => ({ value: s.value, error: (error as Error).message }));
      }
      if (!stopped) timer = window.setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [key]);
  return state;
}

/** Every log event of an environment, read incrementally (only the new ones each time). */
const eventCache = new Map<string, LogEvent[]>();
async function allEvents(name: string): Promise<LogEvent[]> {
  const known = eventCache.get(name) ?? [];
  const fresh = await eventsFrom(name, (known.at(-1)?.Sequence ?? 0) + 1);
  const events = fresh.length === 0 ? known : [...known, ...fresh];
  eventCache.set(name, events);
  return events;
}

// ── formatting ────────────────────────────────────────────────────────────────────────────────────

function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

function ago(iso: string | null | undefined): string {
  if (!iso) return '';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.max(0, seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

const STATUS_CLASS: Record<string, string> = {
  Active: 'ok',
  Inactive: 'muted',
  Created: 'muted',
  Deploying: 'busy',
  Undeploying: 'busy',
  Reverting: 'warn',
  Reverted: 'warn',
  Stuck: 'bad',
  Failing: 'bad',
  Suspended: 'frozen',
  Deleting: 'busy',
  Deleted: 'muted',
  ALARM: 'bad',
  OK: 'ok',
  INSUFFICIENT_DATA: 'muted',
  UNKNOWN: 'muted',
};

function Badge({ status }: { status: string }) {
  return html`<span class=${`badge ${STATUS_CLASS[status] ?? 'muted'}`}>${status}</span>`;
}

function Sparkline({ runs }: { runs: ApiDeployment[] }) {
  const bars = sparkBars(runs, Date.now());
  if (bars.length === 0) return html`<span class="muted-text">no deployments</span>`;
  const w = 8;
  const height = 24;
  return html`<svg class="spark" width=${bars.length * (w + 2)} height=${height} role="img" aria-label=${`${bars.length} recent deployments`}>
    ${bars.map(
      (bar, i) => html`<rect x=${i * (w + 2)} y=${height - bar.height * height} width=${w} height=${bar.height * height} rx="1" fill=${bar.colour}><title>${bar.title}</title></rect>`,
    )}
  </svg>`;
}

// ── the list of environments ──────────────────────────────────────────────────────────────────────

function useDeploymentsOf(names: string[]): Map<string, ApiDeployment[]> {
  const [runs, setRuns] = useState(new Map<string, ApiDeployment[]>());
  const key = names.join('\n');
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      const next = new Map<string, ApiDeployment[]>();
      for (const name of names.slice(0, 50)) {
        try {
          next.set(name, await recentDeployments(name));
        } catch {
          // shown without a sparkline
        }
      }
      if (!stopped) setRuns(next);
      if (!stopped) timer = window.setTimeout(() => void tick(), POLL_MS * 2);
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [key]);
  return runs;
}

function EnvironmentList() {
  const { value, error } = usePoll(listEnvironments, 'list');
  const names = useMemo(() => (value ?? []).map((e) => e.EnvironmentName), [value]);
  const runs = useDeploymentsOf(names);
  return html`<main>
    <h1>Environments</h1>
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${value === undefined
      ? html`<p class="muted-text">Loading…</p>`
      : value.length === 0
        ? html`<p class="muted-text">No environments yet. Create one with <code>npx blox create-environment --yaml-file FILE</code>.</p>`
        : html`<table class="table" data-testid="environments">
            <thead><tr><th>Environment</th><th>Type</th><th>Status</th><th class="num">Desired</th><th class="num">Current</th><th>Revision</th><th>Recent deployments</th><th>Updated</th></tr></thead>
            <tbody>
              ${value.map((e: EnvironmentSummary) => html`<tr data-environment=${e.EnvironmentName}>
                <td><a href=${`#/environments/${encodeURIComponent(e.EnvironmentName)}`}>${e.EnvironmentName}</a></td>
                <td>${e.DeploymentType ?? ''}</td>
                <td><${Badge} status=${e.Status} />${e.Frozen && e.Status !== 'Suspended' ? html` <${Badge} status="Suspended" />` : ''}</td>
                <td class="num" data-field="desired">${e.Desired}</td>
                <td class="num" data-field="current">${e.Current}</td>
                <td>${e.DeployingRevision !== null ? html`${e.ActiveRevision ?? '—'} → <b>${e.DeployingRevision}</b>` : (e.ActiveRevision ?? '—')}<span class="muted-text"> / ${e.LatestRevision}</span></td>
                <td><${Sparkline} runs=${runs.get(e.EnvironmentName) ?? []} /></td>
                <td class="muted-text">${ago(e.UpdatedAt)}</td>
              </tr>`)}
            </tbody>
          </table>`}
  </main>`;
}

// ── one environment ───────────────────────────────────────────────────────────────────────────────

interface Pending {
  what: Control;
  title: string;
  text: string;
  revision?: number;
  askReason?: boolean;
}

function ConfirmDialog({ pending, onConfirm, onCancel }: { pending: Pending; onConfirm: (input: { revision?: number; reason?: string }) => void; onCancel: () => void }) {
  const [revision, setRevision] = useState(pending.revision === undefined ? '' : String(pending.revision));
  const [reason, setReason] = useState('');
  return html`<div class="overlay">
    <div class="dialog" role="dialog" aria-label=${pending.title}>
      <h3>${pending.title}</h3>
      <p>${pending.text}</p>
      ${pending.revision !== undefined &&
      html`<label>Revision <input name="revision" type="number" min="1" value=${revision} onInput=${(e: Event) => setRevision((e.target as HTMLInputElement).value)} /></label>`}
      ${pending.askReason && html`<label>Reason <input name="reason" type="text" placeholder="optional" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} /></label>`}
      <div class="buttons">
        <button class="secondary" onClick=${onCancel}>Cancel</button>
        <button
          class="primary"
          data-action="confirm"
          onClick=${() => onConfirm({ ...(pending.revision !== undefined ? { revision: Number(revision) } : {}), ...(reason ? { reason } : {}) })}
        >
          Confirm
        </button>
      </div>
    </div>
  </div>`;
}

function Controls({ env, onError, onDone }: { env: EnvironmentDescription; onError: (message: string | undefined) => void; onDone: (message: string) => void }) {
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const deployment = env.Deployment;
  const name = env.EnvironmentName;
  const ask = (p: Pending) => {
    onError(undefined);
    setPending(p);
  };
  const run = async (input: { revision?: number; reason?: string }) => {
    const what = pending!.what;
    setPending(undefined);
    try {
      const answer = (await control(name, what, input)) as { DeploymentId?: string };
      onDone(`${what}: done${answer.DeploymentId ? ` (${answer.DeploymentId})` : ''}`);
    } catch (error) {
      onError(error instanceof ApiError ? `${what} refused (${error.status}): ${error.message}` : `${what} failed: ${(error as Error).message}`);
    }
  };
  const button = (label: string, p: Pending, enabled = true, danger = false) =>
    html`<button class=${danger ? 'danger' : 'secondary'} data-control=${p.what} disabled=${!enabled} onClick=${() => ask(p)}>${label}</button>`;
  return html`<div class="controls">
    ${button('Deploy…', { what: 'deploy', title: `Deploy ${name}`, text: 'Deploy this revision of the environment.', revision: env.LatestRevision })}
    ${button('Roll back…', { what: 'rollback', title: `Roll back ${name}`, text: 'Re-activate an earlier revision.', revision: Math.max(1, (env.ActiveRevision ?? env.LatestRevision) - 1) })}
    ${env.Frozen
      ? button('Thaw', { what: 'thaw', title: `Thaw ${name}`, text: 'Let the engine act again.' })
      : button('Freeze', { what: 'freeze', title: `Freeze ${name}`, text: 'Stop every action on this environment until it is thawed.' })}
    <span class="sep"></span>
    ${deployment?.Paused
      ? button('Resume', { what: 'resume', title: 'Resume the deployment', text: 'Let the paused deployment move again.', askReason: true }, !!deployment)
      : button('Pause', { what: 'pause', title: 'Pause the deployment', text: 'Nothing of the deployment moves until it is resumed.', askReason: true }, !!deployment)}
    ${button('Promote', { what: 'promote', title: 'Promote the deployment', text: 'End the current pause or bake now.', askReason: true }, !!deployment)}
    ${button('Abort', { what: 'abort', title: 'Abort the deployment', text: 'Roll back to the revision that was Active when it started.', askReason: true }, !!deployment, true)}
    ${pending && html`<${ConfirmDialog} pending=${pending} onConfirm=${(input: { revision?: number; reason?: string }) => void run(input)} onCancel=${() => setPending(undefined)} />`}
  </div>`;
}

function Section({ title, children, extra }: { title: string; children: ComponentChildren; extra?: ComponentChildren }) {
  return html`<section class="card"><div class="card-head"><h2>${title}</h2>${extra}</div>${children}</section>`;
}

function RevisionTable({ rows }: { rows: RevisionRow[] }) {
  return html`<table class="table" data-testid="revisions">
    <thead><tr><th>Revision</th><th>Status</th><th class="num">Desired</th><th class="num">Current</th><th>Reason</th><th>Updated</th></tr></thead>
    <tbody>
      ${rows
        .slice()
        .reverse()
        .map(
          (r) => html`<tr data-revision=${r.EnvironmentRevision}>
            <td><span class="swatch" style=${`background:${revisionColour(r.EnvironmentRevision)}`}></span>${r.Revision}</td>
            <td><${Badge} status=${r.Status} /></td>
            <td class="num">${r.Desired}</td>
            <td class="num">${r.Current}</td>
            <td class="reason">${r.StatusReason ?? ''}</td>
            <td class="muted-text">${time(r.UpdatedAt)}</td>
          </tr>`,
        )}
    </tbody>
  </table>`;
}

/** Cells on a canvas: hover says what a cell is, a click keeps it in the line below. */
function CellGrid({ cells, idle }: { cells: Cell[]; idle: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const layout = useRef<Layout | undefined>(undefined);
  const [selected, setSelected] = useState(-1);
  const [hover, setHover] = useState<string | undefined>(undefined);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(200, Math.floor(element.clientWidth))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if (!canvas.current) return;
    const start = performance.now();
    layout.current = drawGrid(canvas.current, cells, width, selected);
    // On the page's performance timeline (npm run bench reads it): how long drawing took.
    performance.measure('blox:grid-draw', { start, detail: { cells: cells.length } });
  }, [cells, width, selected]);
  const at = (e: MouseEvent) => {
    const rect = (e.target as HTMLCanvasElement).getBoundingClientRect();
    return layout.current ? cellAt(layout.current, cells.length, e.clientX - rect.left, e.clientY - rect.top) : -1;
  };
  const chosen = selected >= 0 ? cells[selected] : undefined;
  return html`<div>
    <div ref=${box} class="grid-box">
      <canvas
        ref=${canvas}
        data-testid="grid"
        data-cells=${cells.length}
        data-running=${cells.filter((c) => c.state === 'running').length}
        onMouseMove=${(e: MouseEvent) => {
          const i = at(e);
          setHover(i >= 0 ? cells[i]!.label : undefined);
        }}
        onMouseLeave=${() => setHover(undefined)}
        onClick=${(e: MouseEvent) => setSelected(at(e))}
      ></canvas>
    </div>
    <div class="grid-info" data-testid="grid-info">${chosen ? chosen.label : (hover ?? idle)}</div>
  </div>`;
}

function Legend({ cells }: { cells: Cell[] }) {
  const counts = new Map<string, number>();
  const states = new Map<string, number>();
  for (const cell of cells) {
    const key = cell.revision === null ? 'none' : String(cell.revision);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    states.set(cell.state, (states.get(cell.state) ?? 0) + 1);
  }
  return html`<div class="legend">
    ${[...counts.entries()]
      .sort()
      .map(
        ([revision, n]) =>
          html`<span class="legend-item" data-legend-revision=${revision}><span class="swatch" style=${`background:${revision === 'none' ? '#e5e7eb' : revisionColour(Number(revision))}`}></span>${revision === 'none' ? 'no task' : `revision ${revision}`}: <b>${n}</b></span>`,
      )}
    <span class="legend-states">${[...states.entries()].map(([s, n]) => html`<span class="legend-item" data-legend-state=${s}>${s} ${n}</span>`)}</span>
  </div>`;
}

const GRID_KEY = 'Faded: starting · half white: stopping · red border: unhealthy · slash: draining.';

function InstanceGrid({ picture }: { picture: InstancesPicture }) {
  const cells: Cell[] = useMemo(() => cellsOf(picture.Instances), [picture]);
  return html`<div>
    <${Legend} cells=${cells} />
    <${CellGrid} cells=${cells} idle=${`${cells.length} instances · click one for its task`} />
    <p class="muted-text small">As the engine last saw them${picture.LookedAt ? ` (full look at ${time(picture.LookedAt)})` : ''}; kept current while a deployment runs. ${GRID_KEY}</p>
  </div>`;
}

/**
 * A Service: one grid per task set (revision), its tasks as the engine's last full look saw them
 * (state and health), or — before there is a picture of them — from the revision's counts.
 */
function TaskSets({ rows, picture }: { rows: RevisionRow[]; picture: InstancesPicture | undefined }) {
  const live = rows.filter((r) => r.Desired > 0 || r.Current > 0).reverse();
  if (live.length === 0) return html`<p class="muted-text">No task set runs tasks.</p>`;
  const tasks = picture?.Tasks;
  return html`<div>
    ${live.map((r) => {
      const seen = tasks ? serviceTaskCells(tasks, r.EnvironmentRevision) : [];
      const cells = seen.length > 0 ? seen : taskSetCells(r);
      return html`<div class="task-set" data-task-set=${r.EnvironmentRevision} data-source=${seen.length > 0 ? 'tasks' : 'counts'}>
        <div class="task-set-head"><span class="swatch" style=${`background:${revisionColour(r.EnvironmentRevision)}`}></span><b>${r.Revision}</b> <${Badge} status=${r.Status} /> <span class="muted-text">${r.Current} running of ${r.Desired} desired</span></div>
        <${CellGrid} cells=${cells} idle=${`${cells.length} tasks`} />
      </div>`;
    })}
    <p class="muted-text small">One row per task set: its tasks as the engine last saw them${picture?.LookedAt ? ` (full look at ${time(picture.LookedAt)})` : ''}, else from its counts. ${GRID_KEY}</p>
  </div>`;
}

function Alarms({ env }: { env: EnvironmentDescription }) {
  const watched = env.Deployment?.Alarms;
  const configured = ((env.Spec.DeploymentConfiguration as { Alarms?: { AlarmNames?: string[] } } | undefined)?.Alarms?.AlarmNames ?? []) as string[];
  const rows = watched && watched.length > 0 ? watched : configured.map((name) => ({ AlarmName: name, State: 'UNKNOWN', Since: null, Reason: 'watched during deployments only' }));
  if (rows.length === 0) return html`<p class="muted-text">No alarms watched.</p>`;
  return html`<table class="table" data-testid="alarms">
    <thead><tr><th>Alarm</th><th>State</th><th>Since</th><th>Reason</th></tr></thead>
    <tbody>${rows.map((a) => html`<tr><td>${a.AlarmName}</td><td><${Badge} status=${a.State} /></td><td>${time(a.Since)}</td><td class="reason">${a.Reason}</td></tr>`)}</tbody>
  </table>`;
}

function Traffic({ traffic }: { traffic: TrafficView }) {
  const weights = traffic.weights ?? [];
  const total = weights.reduce((sum, w) => sum + w.weight, 0) || 1;
  return html`<div data-testid="traffic">
    ${traffic.step && html`<p>Step <b>${traffic.step}</b>${traffic.pausedUntil ? html` · paused until ${time(traffic.pausedUntil)}` : ''}${traffic.bakeEndsAt ? html` · bake ends ${time(traffic.bakeEndsAt)}` : ''}</p>`}
    ${weights.length > 0 &&
    html`<div class="weights">
      ${weights.map(
        (w, i) => html`<div class="weight" style=${`flex:${Math.max(w.weight, 0.0001)};background:${PALETTE[i % PALETTE.length]}`} title=${w.targetGroupArn}>
          ${w.weight > 0 ? `${w.targetGroupArn.split('/').at(-2) ?? w.targetGroupArn} ${Math.round((w.weight / total) * 100)} %` : ''}
        </div>`,
      )}
    </div>`}
  </div>`;
}

/** Bookkeeping events the timeline folds away unless asked. */
const QUIET = new Set(['LaunchesSettled', 'StopsSettled', 'RevisionCountsChanged', 'DeploymentProgressed', 'CircuitBreakerCounted', 'ServiceObserved', 'CanaryTaskChecked']);

function summary(e: LogEvent): string {
  const d = e.Detail;
  const n = (v: unknown) => (typeof v === 'number' ? v : Array.isArray(v) ? v.length : 0);
  switch (e.Type) {
    case 'LaunchesPlanned':
      return `launch on ${(d.batches as Array<{ instances: unknown }> | undefined)?.reduce((s, b) => s + n(b.instances), 0) ?? '?'} instances`;
    case 'StopsPlanned':
      return `stop ${(d.batches as Array<{ tasks: unknown }> | undefined)?.reduce((s, b) => s + n(b.tasks), 0) ?? '?'} tasks`;
    case 'RevisionCountsChanged':
      return ((d.counts as Array<{ revision: number; desired: number; current: number }> | undefined) ?? []).map((c) => `r${c.revision} ${c.current}/${c.desired}`).join(' · ');
    case 'DeploymentProgressed':
      return `${String(d.ready)} ready, ${String(d.old)} old`;
    case 'AlarmStateObserved':
      return `${String(d.alarm)} ${String(d.value)}`;
    case 'DeploymentStarted':
    case 'RollbackStarted':
      return String(d.deploymentId ?? '');
    default:
      return '';
  }
}

function Timeline({ events }: { events: LogEvent[] }) {
  const [all, setAll] = useState(false);
  const [limit, setLimit] = useState(300);
  const shown = (all ? events : events.filter((e) => !QUIET.has(e.Type))).slice().reverse();
  return html`<div>
    <label class="toggle"><input type="checkbox" checked=${all} onChange=${() => setAll(!all)} /> show bookkeeping events (${events.length} in all)</label>
    <ol class="timeline" data-testid="timeline">
      ${shown.slice(0, limit).map(
        (e) => html`<li data-type=${e.Type} class=${e.Trigger && e.Trigger !== 'User' ? 'triggered' : ''}>
          <span class="when" title=${e.At}>${time(e.At)}</span>
          <span class="type">${e.Type}</span>
          ${e.Revision !== null && html`<span class="rev"><span class="swatch" style=${`background:${revisionColour(e.Revision)}`}></span>r${e.Revision}</span>`}
          ${e.Trigger && html`<span class="trigger">${e.Trigger}${e.By ? ` · ${e.By}` : ''}</span>`}
          <span class="what">${e.Reason ?? summary(e)}</span>
        </li>`,
      )}
    </ol>
    ${shown.length > limit && html`<button class="secondary" onClick=${() => setLimit(limit + 300)}>Show ${Math.min(300, shown.length - limit)} more</button>`}
  </div>`;
}

function EnvironmentPage({ name }: { name: string }) {
  const description = usePoll(() => describeEnvironment(name), `d:${name}`);
  const table = usePoll(() => revisions(name), `r:${name}`);
  // The instance picture is a Daemon's (a Service's task sets are drawn from the revision table).
  const picture = usePoll(() => instances(name), `i:${name}`);
  const log = usePoll(() => allEvents(name), `e:${name}`);
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const env = description.value;
  const events = log.value ?? [];
  const history = usePoll(() => recentDeployments(name), `h:${name}`);
  const runs = history.value ?? [];
  const deployment = env?.Deployment;
  const traffic = trafficView(deployment ?? undefined);
  return html`<main>
    <p class="crumbs"><a href="#/">Environments</a> / </p>
    <div class="title">
      <h1>${name}</h1>
      ${env && html`<${Badge} status=${env.Status} />`}
      ${env?.Frozen && env.Status !== 'Suspended' && html`<${Badge} status="Suspended" />`}
    </div>
    ${description.error && html`<div class="error" role="alert">${description.error}</div>`}
    ${env &&
    html`<div class="summary" data-testid="summary">
        <div class="stat"><span>Desired</span><b data-field="desired">${env.Desired}</b></div>
        <div class="stat"><span>Current</span><b data-field="current">${env.Current}</b></div>
        <div class="stat"><span>Active</span><b>${env.ActiveRevision ?? '—'}</b></div>
        <div class="stat"><span>Latest</span><b>${env.LatestRevision}</b></div>
        <div class="stat wide">
          <span>Deployment</span>
          ${deployment
            ? html`<b data-testid="deployment">${deployment.Kind} of revision ${deployment.Revision} · ${deployment.Phase ?? ''}${deployment.Paused ? ' · paused' : ''}</b>
                ${deployment.Trigger && deployment.Trigger !== 'User' && html`<small class="reason">${deployment.Trigger}: ${deployment.Reason}</small>`}
                ${deployment.BakeEndsAt && html`<small>bake ends ${time(deployment.BakeEndsAt)}</small>`}`
            : html`<b data-testid="deployment">none${env.LastDeployment ? html` <small class="muted-text">(last: ${env.LastDeployment.Kind} of revision ${env.LastDeployment.Revision})</small>` : ''}</b>`}
        </div>
        <div class="stat"><span>Deployments</span><${Sparkline} runs=${runs} /></div>
      </div>
      <${Controls} env=${env} onError=${(m: string | undefined) => { setActionError(m); if (m) setNotice(undefined); }} onDone=${(m: string) => { setNotice(m); setActionError(undefined); }} />
      ${actionError && html`<div class="error" role="alert" data-testid="action-error">${actionError}</div>`}
      ${notice && html`<div class="notice" data-testid="notice">${notice}</div>`}`}
    <div class="columns">
      <div class="col-main">
        <${Section} title="Revisions">${table.value ? html`<${RevisionTable} rows=${table.value} />` : html`<p class="muted-text">Loading…</p>`}</${Section}>
        ${(env?.DeploymentType ?? env?.Spec.DeploymentType) === 'Service'
          ? html`<${Section} title="Tasks by task set">${table.value ? html`<${TaskSets} rows=${table.value} picture=${picture.value} />` : html`<p class="muted-text">Loading…</p>`}</${Section}>`
          : html`<${Section} title="Instances">
              ${picture.value
                ? picture.value.Instances.length > 0
                  ? html`<${InstanceGrid} picture=${picture.value} />`
                  : html`<p class="muted-text">No picture of the cluster yet: the engine takes one when a deployment starts.</p>`
                : html`<p class="muted-text">Loading…</p>`}
            </${Section}>`}
        ${traffic && html`<${Section} title="Traffic"><${Traffic} traffic=${traffic} /></${Section}>`}
        ${env && html`<${Section} title="Alarms"><${Alarms} env=${env} /></${Section}>`}
      </div>
      <div class="col-side">
        <${Section} title="Timeline">${html`<${Timeline} events=${events} />`}</${Section}>
      </div>
    </div>
  </main>`;
}

// ── routing ───────────────────────────────────────────────────────────────────────────────────────

function route(): string | undefined {
  const match = /^#\/environments\/(.+)$/.exec(window.location.hash);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

function App() {
  const [name, setName] = useState(route());
  useEffect(() => {
    const listener = () => setName(route());
    window.addEventListener('hashchange', listener);
    return () => window.removeEventListener('hashchange', listener);
  }, []);
  return html`<div class="app">
    <header><a href="#/" class="brand">Blox Deployments</a><span class="live" title="read every ${POLL_MS} ms">● live</span></header>
    ${name === undefined ? html`<${EnvironmentList} />` : html`<${EnvironmentPage} key=${name} name=${name} />`}
  </div>`;
}

render(html`<${App} />`, document.getElementById('app')!);

