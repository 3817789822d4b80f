/**
 * Deployments read from the revision log's events (the timeline the API serves): each start
 * (DeploymentStarted, RollbackStarted) opens one, and the next start, a completion or a trigger
 * closes it. Tolerant: an event it does not know is skipped.
 */
import type { LogEvent } from './api';

export type Outcome = 'running' | 'completed' | 'rolled-back' | 'superseded' | 'failing';

export interface DeploymentRun {
  id: string;
  revision: number | null;
  kind: 'deploy' | 'rollback';
  trigger: string | null;
  reason: string | null;
  startedAt: number;
  endedAt: number | null;
  outcome: Outcome;
}

export function deploymentsOf(events: LogEvent[]): DeploymentRun[] {
  const runs: DeploymentRun[] = [];
  let open: DeploymentRun | undefined;
  const close = (at: number, outcome: Outcome) => {
    if (!open) return;
    open.endedAt = at;
    open.outcome = outcome;
    open = undefined;
  };
  for (const event of events) {
    const at = Date.parse(event.At);
    if (event.Type === 'DeploymentStarted' || event.Type === 'RollbackStarted') {
      const rollback = event.Type === 'RollbackStarted';
      if (open) close(at, rollback ? 'rolled-back' : 'superseded');
      open = {
        id: typeof event.Detail.deploymentId === 'string' ? event.Detail.deploymentId : `#${event.Sequence}`,
        revision: event.Revision,
        kind: rollback ? 'rollback' : 'deploy',
        trigger: event.Trigger,
        reason: event.Reason,
        startedAt: at,
        endedAt: null,
        outcome: 'running',
      };
      runs.push(open);
    } else if (event.Type === 'DeploymentCompleted') {
      close(at, 'completed');
    } else if (event.Type === 'DeploymentFailing' && open) {
      open.outcome = 'failing';
    }
  }
  return runs;
}

const COLOURS: Record<Outcome, string> = {
  running: '#2563eb',
  completed: '#16a34a',
  'rolled-back': '#dc2626',
  superseded: '#9ca3af',
  failing: '#ea580c',
};

export function outcomeColour(outcome: Outcome, kind: DeploymentRun['kind']): string {
  return kind === 'rollback' && outcome === 'completed' ? '#d97706' : COLOURS[outcome];
}

/**
 * The last `count` deployments as bars: height the duration (log scale, the longest of them full
 * height, none below a quarter), colour the outcome.
 */
export function sparkBars(runs: DeploymentRun[], now: number, count = 20): Array<{ height: number; colour: string; title: string }> {
  const shown = runs.slice(-count).map((run) => ({ run, seconds: Math.max(1, ((run.endedAt ?? now) - run.startedAt) / 1000) }));
  const longest = Math.log10(Math.max(1, ...shown.map((s) => s.seconds)) + 1);
  return shown.map(({ run, seconds }) => {
    const title = `${run.kind} of revision ${run.revision ?? '?'}: ${run.outcome}${run.trigger && run.trigger !== 'User' ? ` (${run.trigger})` : ''}, ${Math.round(seconds)} s`;
    return { height: Math.max(0.25, Math.log10(seconds + 1) / longest), colour: outcomeColour(run.outcome, run.kind), title };
  });
}
