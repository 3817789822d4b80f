/**
 * Builds environments with a long history fast, straight on the `EventLog` port (no HTTP).
 *
 * The history of an environment of N events:
 *   create (2 events), then three rounds of [filler…, update, deploy of that update];
 *   the filler alternates an update (1 event, 1 revision row) with a freeze + thaw (2 events).
 * So a third of the log is updates and the revision table grows with the log, while the live
 * set at the end is the same whatever N is: the three deployed revisions (two Undeploying, one
 * Deploying; older Created revisions are dormant and compacted away).
 *
 * Why only three deploys: nothing completes a deployment yet (there is no engine event that turns
 * a revision Active or Inactive), so every deploy leaves the previous target Undeploying in the
 * live set for good. A history with a deploy every few events would grow the live set — the
 * projection item — and measure that instead of the length of the log.
 *
 * Speed: one `runCommand` per command (load + one transaction) costs ~10 ms on DynamoDB Local, so
 * commands are grouped: a group is decided exactly as consecutive `runCommand`s would decide it
 * (decide → fold → compact, command after command) and written as ONE `EventLog.append` holding all
 * its events, the final projection and the revision rows. What ends up in the table — events,
 * projection, revision rows — is what one append per command would have written.
 */
import type { EnvironmentCommand, EnvironmentState, RevisionSummary } from '../domain/environment';
import { changedRevisions, compact, decide, fold } from '../domain/environment';
import type { EnvironmentSpec } from '../domain/spec';
import { runCommand } from '../functions/commands';
import type { EventLog, RevisionRow } from '../functions/ports';

type Step = 'update' | 'deploy' | 'freeze' | 'thaw';

const DEPLOY_ROUNDS = 3;
/** TransactWriteItems takes at most 100 items; a group stays below this many. */
const MAX_ITEMS_PER_APPEND = 90;

/** The one-event steps after `create` (2 events), so that the history has exactly `totalEvents` events. */
export function historyPlan(totalEvents: number): Step[] {
  const fixed = 2 + DEPLOY_ROUNDS * 2; // create + rounds of (update, deploy)
  if (!Number.isInteger(totalEvents) || totalEvents < fixed) throw new Error(`a history needs at least ${fixed} events`);
  let fillerLeft = totalEvents - fixed;
  const steps: Step[] = [];
  for (let round = 0; round < DEPLOY_ROUNDS; round++) {
    let roundFiller = Math.floor(fillerLeft / (DEPLOY_ROUNDS - round));
    fillerLeft -= roundFiller;
    let updateNext = true;
    while (roundFiller > 0) {
      if (updateNext || roundFiller === 1) {
        steps.push('update');
        roundFiller -= 1;
      } else {
        steps.push('freeze', 'thaw');
        roundFiller -= 2;
      }
      updateNext = !updateNext;
    }
    steps.push('update', 'deploy');
  }
  return steps;
}

const noReply = () => ({ statusCode: 200, body: null });

/** A group of commands, decided in order against the loaded state and appended at once. */
class PendingAppend {
  readonly events: ReturnType<typeof decide> = [];
  readonly newRows = new Map<number, RevisionRow>();
  readonly changedRows = new Map<number, RevisionSummary>();

  constructor(
    readonly before: EnvironmentState,
    public state: EnvironmentState,
  ) {}

  get items(): number {
    return this.events.length + this.newRows.size + this.changedRows.size + 1;
  }

  /** What `runCommand` does between load and append, for one command. */
  add(command: EnvironmentCommand): void {
    const events = decide(command, this.state);
    const after = fold(events, this.state);
    if (!after) throw new Error(`no state after ${command.type}`);
    for (const event of events) {
      if (event.type !== 'RevisionCreated') continue;
      const summary = after.revisions.find((r) => r.revision === event.revision)!;
      this.newRows.set(event.revision, { ...summary, spec: event.spec, basedOn: event.basedOn, createdAt: event.at });
    }
    for (const row of changedRevisions(this.state, after)) {
      const created = this.newRows.get(row.revision);
      // A row created earlier in the group is written once, as it is at the end of the group.
      if (created) this.newRows.set(row.revision, { ...created, ...row });
      else this.changedRows.set(row.revision, row);
    }
    this.events.push(...events);
    this.state = compact(after);
  }

  async flush(eventLog: EventLog): Promise<void> {
    await eventLog.append({
      environment: this.before.name,
      expectedVersion: this.before.version,
      events: this.events,
      state: this.state,
      changedRevisions: [...this.changedRows.values()],
      newRevisions: [...this.newRows.values()],
    });
  }
}

/**
 * Creates `spec.Name` and plays `historyPlan(totalEvents)` on it. Returns the state's version
 * (= number of events) and latest revision, read back from the log.
 */
export async function buildHistory(
  eventLog: EventLog,
  spec: EnvironmentSpec,
  totalEvents: number,
  onProgress?: (eventsDone: number) => void,
): Promise<{ version: number; latestRevision: number }> {
  const name = spec.Name;
  const at = () => new Date().toISOString();
  await runCommand(eventLog, { environment: name, command: { type: 'CreateEnvironment', spec, at: at() }, reply: noReply });

  let pending: PendingAppend | undefined;
  let reported = 0;
  const flush = async () => {
    if (!pending) return;
    await pending.flush(eventLog);
    const { version } = pending.state;
    pending = undefined;
    if (onProgress && Math.floor(version / 1000) > Math.floor(reported / 1000)) onProgress(version);
    reported = version;
  };
  for (const step of historyPlan(totalEvents)) {
    if (!pending) {
      const loaded = await eventLog.load(name);
      if (!loaded) throw new Error(`environment ${name} vanished`);
      pending = new PendingAppend(loaded, loaded);
    }
    const latest = pending.state.latestRevision;
    const command: EnvironmentCommand =
      step === 'update'
        ? { type: 'UpdateEnvironment', name, baseRevision: latest, patch: { TaskDefinition: `d:${latest + 1}` }, at: at() }
        : step === 'deploy'
          ? { type: 'DeployRevision', name, revision: latest, at: at() }
          : step === 'freeze'
            ? { type: 'FreezeEnvironment', name, at: at() }
            : { type: 'ThawEnvironment', name, at: at() };
    pending.add(command);
    // A command adds at most one event, one new row and two changed rows.
    if (pending.items + 4 > MAX_ITEMS_PER_APPEND) await flush();
  }
  await flush();

  const state = await eventLog.load(name);
  if (!state) throw new Error(`environment ${name} vanished`);
  return { version: state.version, latestRevision: state.latestRevision };
}
