/**
 * Following an environment over time:
 *
 * - `--watch` on `describe-environment-status` / `describe-environment`: poll every `--interval`
 *   seconds and show the answer each time it changes — redrawn in place on a terminal, each changed
 *   version printed once (separated by a blank line) otherwise — until the environment is at rest.
 * - `blox wait environment-stable`: poll until the newest deployed revision is `Active` and nothing
 *   else moves (exit 0), or a revision is `Failing`, the deployment was rolled back, or time is up
 *   (exit 1, one line on stderr), like `aws ecs wait services-stable`.
 */
import type { Command } from 'commander';
import type { BloxClient, EnvironmentStatus, RevisionStatusName, RevisionStatusRow } from './client';
import { formatErrorLine } from './format';
import { positiveSeconds } from './options';

/** Statuses of a revision on its way somewhere: while any revision has one, the environment moves. */
export const MOVING_STATUSES: ReadonlySet<RevisionStatusName> = new Set<RevisionStatusName>([
  'Deploying',
  'Undeploying',
  'Reverting',
  'Stuck',
  'Failing',
]);

/** Statuses of the revision a deployment is about (the one being deployed, or the deployed one). */
const DEPLOYED_STATUSES: ReadonlySet<RevisionStatusName> = new Set<RevisionStatusName>(['Deploying', 'Stuck', 'Failing', 'Active']);

export const DEFAULT_INTERVAL_SECONDS = 1;
export const DEFAULT_TIMEOUT_SECONDS = 600;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function rows(status: EnvironmentStatus): RevisionStatusRow[] {
  return [...(status.Revisions ?? [])].sort((a, b) => a.EnvironmentRevision - b.EnvironmentRevision);
}

/** The newest revision that is deployed or being deployed, if any. */
export function newestDeployed(status: EnvironmentStatus): RevisionStatusRow | undefined {
  return rows(status)
    .reverse()
    .find((row) => DEPLOYED_STATUSES.has(row.Status));
}

/**
 * At rest: no revision Deploying, Undeploying, Reverting, Stuck or Failing — so the newest deployed
 * revision is Active (or nothing was ever deployed, and nothing will move by itself either).
 */
export function isAtRest(status: EnvironmentStatus): boolean {
  return !rows(status).some((row) => MOVING_STATUSES.has(row.Status));
}

function revisionName(status: EnvironmentStatus, row: RevisionStatusRow): string {
  return row.Revision ?? `${status.EnvironmentName}:${row.EnvironmentRevision}`;
}

function describeRow(status: EnvironmentStatus, row: RevisionStatusRow): string {
  const reason = row.StatusReason ? `: ${row.StatusReason}` : '';
  return `${revisionName(status, row)} is ${row.Status} (${row.Current} of ${row.Desired})${reason}`;
}

export type StabilityVerdict =
  | { kind: 'stable' }
  | { kind: 'failed'; reason: string }
  | { kind: 'pending'; progress: string };

/**
 * One poll of `wait environment-stable`. `waitedOn` collects the revisions the wait has been about
 * (the newest deployed one at each poll): one of them turning Reverting or Reverted means the
 * deployment was rolled back.
 */
export function judgeStability(status: EnvironmentStatus, waitedOn: Set<number>): StabilityVerdict {
  // A deleted environment never turns stable (create it again and deploy).
  if (status.Status === 'Deleted') return { kind: 'failed', reason: `${status.EnvironmentName} is Deleted` };
  const all = rows(status);
  const failing = all.find((row) => row.Status === 'Failing');
  if (failing) {
    const reason = failing.StatusReason ? `: ${failing.StatusReason}` : '';
    return { kind: 'failed', reason: `${revisionName(status, failing)} is Failing${reason}` };
  }
  // A trigger (alarm, circuit breaker, canary) may have rolled the deployment back before the first
  // poll: the newest revision ever deployed is Reverted and says why (a rollback asked for by hand
  // leaves no reason, and the wait is then about the revision rolled back to).
  const newest = all.filter((row) => row.Status !== 'Created').at(-1);
  if (waitedOn.size === 0 && newest?.Status === 'Reverted' && newest.StatusReason) {
    return { kind: 'failed', reason: `${revisionName(status, newest)} was rolled back (it is Reverted): ${newest.StatusReason}` };
  }
  const target = newestDeployed(status);
  if (target) waitedOn.add(target.EnvironmentRevision);
  const rolledBack = all.find(
    (row) => waitedOn.has(row.EnvironmentRevision) && (row.Status === 'Reverting' || row.Status === 'Reverted'),
  );
  if (rolledBack) {
    const why = rolledBack.StatusReason ? `: ${rolledBack.StatusReason}` : '';
    return { kind: 'failed', reason: `${revisionName(status, rolledBack)} was rolled back (it is ${rolledBack.Status})${why}` };
  }
  const moving = all.filter((row) => MOVING_STATUSES.has(row.Status));
  if (moving.length === 0) {
    if (target?.Status === 'Active') return { kind: 'stable' };
    return { kind: 'failed', reason: `${status.EnvironmentName} has no deployed revision (deploy one first)` };
  }
  const about = target ?? moving[moving.length - 1]!;
  const frozen = status.Frozen ? ` (${status.EnvironmentName} is frozen)` : '';
  return { kind: 'pending', progress: `${describeRow(status, about)}${frozen}` };
}

export interface WatchOptions {
  intervalMs: number;
  /** Redraw in place (ANSI) instead of printing each change. */
  tty: boolean;
  write: (text: string) => void;
}

/**
 * Polls `view` and shows its text whenever it changes, until `view` says the environment is at rest
 * (the last text is always shown).
 */
export async function watchView(view: () => Promise<{ text: string; atRest: boolean }>, options: WatchOptions): Promise<void> {
  let previous: string | undefined;
  let previousLines = 0;
  for (;;) {
    const { text, atRest } = await view();
    if (text !== previous) {
      const lines = text.split('\n');
      if (options.tty) {
        // Up to the first line of the previous drawing, rewrite each line, clear whatever is left below.
        const up = previousLines > 0 ? `\x1b[${previousLines}A` : '';
        options.write(`${up}${lines.map((line) => `\r\x1b[2K${line}\n`).join('')}\x1b[J`);
      } else {
        options.write(`${previous === undefined ? '' : '\n'}${text}\n`);
      }
      previous = text;
      previousLines = lines.length;
    }
    if (atRest) return;
    await sleep(options.intervalMs);
  }
}

export interface WaitContext {
  api: () => BloxClient;
  stderr: (text: string) => void;
  /** Where the exit code of a wait goes (commander actions return nothing). */
  setExitCode: (code: number) => void;
}

/** Adds `wait` and its subcommands (`environment-stable`). */
export function registerWaitCommands(program: Command, context: WaitContext): void {
  const group = program
    .command('wait')
    .summary('wait until an environment is stable (wait environment-stable), like `aws ecs wait`')
    .description('wait for a condition, like `aws ecs wait`: exit 0 when it holds, 1 when it never will or time is up')
    .helpCommand(false);

  group
    .command('environment-stable')
    .description(
      'wait until the newest deployed revision is Active and nothing else moves (exit 0); exit 1, with the reason ' +
        'on stderr, when a revision turns Failing, the deployment is rolled back, or after --timeout seconds',
    )
    .requiredOption('--environment-name <name>', 'environment name')
    .option('--timeout <seconds>', `give up after this long (default ${DEFAULT_TIMEOUT_SECONDS})`, positiveSeconds)
    .option('--interval <seconds>', `seconds between polls (default ${DEFAULT_INTERVAL_SECONDS})`, positiveSeconds)
    .action(async (options: { environmentName: string; timeout?: number; interval?: number }) => {
      const timeoutSeconds = options.timeout ?? DEFAULT_TIMEOUT_SECONDS;
      const intervalMs = (options.interval ?? DEFAULT_INTERVAL_SECONDS) * 1000;
      const deadline = performance.now() + timeoutSeconds * 1000;
      const waitedOn = new Set<number>();
      for (;;) {
        const status = await context.api().describeEnvironmentStatus(options.environmentName, { all: true });
        const verdict = judgeStability(status, waitedOn);
        if (verdict.kind === 'stable') return;
        if (verdict.kind === 'failed') {
          context.stderr(`${formatErrorLine(verdict.reason)}\n`);
          context.setExitCode(1);
          return;
        }
        const left = deadline - performance.now();
        if (left <= 0) {
          context.stderr(
            `${formatErrorLine(`timed out after ${timeoutSeconds} s waiting for ${options.environmentName} to be stable: ${verdict.progress}`)}\n`,
          );
          context.setExitCode(1);
          return;
        }
        await sleep(Math.min(intervalMs, left));
      }
    });
}
