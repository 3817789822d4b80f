/**
 * The sparkline's deployments: a page of the API's history (GET /environments/{name}/deployments,
 * `blox list-deployments`: domain/history.ts derives each deployment's outcome from the log), not a
 * second reading of the log in the page. Newest first from the API; the bars oldest to newest.
 */

/** One deployment as GET …/deployments gives it (functions/api/views.ts `deploymentView`). */
export interface ApiDeployment {
  DeploymentId: string;
  EnvironmentRevision: number;
  Kind: string;
  Trigger: { Kind: string; By: string | null; Reason: string | null };
  StartedAt: string;
  EndedAt: string | null;
  Outcome: string;
  DurationSeconds: number | null;
  Reason: string | null;
  EndedBy: string | null;
}

/** How a bar looks: the outcome's colour (a completed rollback amber: it ended well, but it was a rollback). */
const COLOURS: Record<string, string> = {
  InProgress: '#2563eb',
  Completed: '#16a34a',
  RolledBack: '#dc2626',
  Superseded: '#9ca3af',
  Failing: '#ea580c',
  Stuck: '#b91c1c',
  Halted: '#ea580c',
};
const UNKNOWN_COLOUR = '#6b7280';

export function outcomeColour(outcome: string, kind: string): string {
  return kind === 'rollback' && outcome === 'Completed' ? '#d97706' : (COLOURS[outcome] ?? UNKNOWN_COLOUR);
}

/**
 * The deployments (newest first, as the API pages them) as bars oldest to newest, at most `count`:
 * height the duration (log scale, the longest of them full height, none below a quarter; one still
 * running counts until `now`), colour the outcome.
 *
 * Worked example: durations 999 s, 9 s and 0 s → log10(1000) = 3 the full height; log10(10) / 3 =
 * 0.333; log10(2) / 3 = 0.1 → raised to 0.25 (a zero duration counts as 1 s).
 */
export function sparkBars(deployments: ApiDeployment[], now: number, count = 20): Array<{ height: number; colour: string; title: string }> {
  const shown = deployments
    .slice(0, count)
    .reverse()
    .map((d) => {
      const end = d.EndedAt === null ? now : Date.parse(d.EndedAt);
      return { d, seconds: Math.max(1, (end - Date.parse(d.StartedAt)) / 1000) };
    });
  const longest = Math.log10(Math.max(1, ...shown.map((s) => s.seconds)) + 1);
  return shown.map(({ d, seconds }) => {
    const trigger = d.Trigger.Kind !== 'User' ? ` (${d.Trigger.Kind})` : '';
    const title = `${d.Kind} of revision ${d.EnvironmentRevision}: ${d.Outcome}${trigger}, ${Math.round(seconds)} s`;
    return { height: Math.max(0.25, Math.log10(seconds + 1) / longest), colour: outcomeColour(d.Outcome, d.Kind), title };
  });
}
