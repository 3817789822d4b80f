/**
 * Running one command against an environment: load → decide → append → respond, with optimistic
 * concurrency and idempotency. The decision is the domain's; this only moves data.
 *
 * - A lost race (`ConcurrencyError`) reloads and decides again, a few times: a deploy that raced
 *   an unrelated append still goes through, while an update based on a revision that is no longer
 *   the latest is refused by `decide` itself (409). After the last attempt the race surfaces as 409.
 * - With an idempotency key, the first answer is stored in the same transaction as the events and
 *   replayed for a retry with the same key; the same key with another request is a 409.
 */
import type { EnvironmentCommand, EnvironmentEvent, EnvironmentState } from '../domain/environment';
import { changedRevisions, compact, decide, fold } from '../domain/environment';
import { ConflictError } from '../domain/errors';
import type { EventLog, IdempotencyRecord, RevisionRow } from './ports';
import { ConcurrencyError } from './ports';

export interface CommandReply {
  statusCode: number;
  body: unknown;
}

export interface RunCommand {
  environment: string;
  command: EnvironmentCommand;
  /** The answer, from what was decided (events may be empty: a no-op). */
  reply: (events: EnvironmentEvent[], state: EnvironmentState) => CommandReply;
  idempotency?: { key: string; fingerprint: string } | undefined;
  /** Called once the events are in the log (announcing status changes). */
  afterAppend?: ((before: EnvironmentState | undefined, after: EnvironmentState) => Promise<void>) | undefined;
}

export const MAX_ATTEMPTS = 4;

export async function runCommand(log: EventLog, input: RunCommand): Promise<CommandReply> {
  const { environment, command, idempotency } = input;
  if (idempotency) {
    const first = await log.getIdempotencyRecord(idempotency.key);
    if (first) return replay(first, idempotency.fingerprint);
  }
  for (let attempt = 1; ; attempt++) {
    const before = await log.load(environment);
    const events = decide(command, before);
    const after = fold(events, before);
    if (!after) throw new Error(`no state after ${command.type}`);
    const reply = input.reply(events, after);
    if (events.length === 0) return reply;
    try {
      await appendDecided(log, environment, before, events, after, idempotency && { ...idempotency, statusCode: reply.statusCode, body: reply.body });
      await input.afterAppend?.(before, after);
      return reply;
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      if (idempotency) {
        const first = await log.getIdempotencyRecord(idempotency.key);
        if (first) return replay(first, idempotency.fingerprint);
      }
      if (attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * Appends decided events with the projection they lead to (compacted), the revision rows they
 * change or create, and the idempotency record if any. Throws ConcurrencyError on a lost race.
 */
export async function appendDecided(
  log: EventLog,
  environment: string,
  before: EnvironmentState | undefined,
  events: EnvironmentEvent[],
  after: EnvironmentState,
  idempotency?: IdempotencyRecord,
): Promise<void> {
  await log.append({
    environment,
    expectedVersion: before?.version ?? 0,
    events,
    state: compact(after),
    changedRevisions: changedRevisions(before, after),
    newRevisions: newRevisionRows(events, after),
    idempotency,
  });
}

function replay(first: IdempotencyRecord, fingerprint: string): CommandReply {
  if (first.fingerprint !== fingerprint) {
    throw new ConflictError(`Idempotency-Key "${first.key}" was already used for a different request`);
  }
  return { statusCode: first.statusCode, body: first.body };
}

function newRevisionRows(events: EnvironmentEvent[], after: EnvironmentState): RevisionRow[] {
  return events.flatMap((event) => {
    if (event.type !== 'RevisionCreated') return [];
    const summary = after.revisions.find((r) => r.revision === event.revision);
    if (!summary) throw new Error(`revision ${event.revision} missing from the state it was created in`);
    return [{ ...summary, spec: event.spec, basedOn: event.basedOn, createdAt: event.at }];
  });
}
