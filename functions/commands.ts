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
import { alarmWatchChanges, changedRevisions, compact, decide, fold } from '../domain/environment';
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

/** A write the revision log refused for another reason than a lost race (a limit, an outage). */
export class StoreWriteError extends Error {
  constructor(
    readonly environment: string,
    override readonly cause: unknown,
  ) {
    super(`the revision log refused the write: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StoreWriteError';
  }
}

export interface Decision {
  events: EnvironmentEvent[];
  idempotency?: IdempotencyRecord | undefined;
}

export interface Appended {
  before: EnvironmentState | undefined;
  after: EnvironmentState | undefined;
  events: EnvironmentEvent[];
}

export interface RetryOptions {
  attempts: number;
  /** Called for every append that lost a race (metrics). */
  onLostRace?: (() => void) | undefined;
}

/**
 * The one append-with-retry of the API and the engine: load → decide → append, and on a lost race
 * (`ConcurrencyError`) load and decide again, up to `attempts` times; after the last the race
 * surfaces. A write the store refuses for another reason is a `StoreWriteError` (never retried
 * here: the SDK already retried what is transient). `decide` gets the attempt number (1, 2, …).
 */
export async function appendWithRetry(
  log: EventLog,
  environment: string,
  decide: (before: EnvironmentState | undefined, attempt: number) => Promise<Decision> | Decision,
  options: RetryOptions,
): Promise<Appended> {
  for (let attempt = 1; ; attempt++) {
    const before = await log.load(environment);
    const { events, idempotency } = await decide(before, attempt);
    if (events.length === 0) return { before, after: before, events };
    const after = fold(events, before);
    if (!after) throw new Error(`no state after ${events[0]?.type}`);
    try {
      await appendDecided(log, environment, before, events, after, idempotency);
      return { before, after, events };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw new StoreWriteError(environment, error);
      options.onLostRace?.();
      if (attempt >= options.attempts) throw error;
    }
  }
}

export async function runCommand(log: EventLog, input: RunCommand): Promise<CommandReply> {
  const { environment, command, idempotency } = input;
  let reply: CommandReply | undefined;
  /** The last lost race may have been lost to this very request's first try (a client retry): replay it. */
  const appendOrReplay = async (env: string, decideStep: (before: EnvironmentState | undefined, attempt: number) => Promise<Decision>): Promise<Appended> => {
    try {
      return await appendWithRetry(log, env, decideStep, { attempts: MAX_ATTEMPTS });
    } catch (error) {
      const first = error instanceof ConcurrencyError && idempotency ? await log.getIdempotencyRecord(idempotency.key) : undefined;
      if (!first || !idempotency) throw error;
      reply = replay(first, idempotency.fingerprint);
      return { before: undefined, after: undefined, events: [] };
    }
  };
  if (idempotency) {
    const first = await log.getIdempotencyRecord(idempotency.key);
    if (first) return replay(first, idempotency.fingerprint);
  }
  const appended = await appendOrReplay(
    environment,
    async (before: EnvironmentState | undefined, attempt: number): Promise<Decision> => {
      // A lost race may have been lost to this very request's first try (a client retry): replay it.
      const first = idempotency && attempt > 1 ? await log.getIdempotencyRecord(idempotency.key) : undefined;
      if (first && idempotency) {
        reply = replay(first, idempotency.fingerprint);
        return { events: [] };
      }
      const events = decide(command, before);
      const after = fold(events, before);
      if (!after) throw new Error(`no state after ${command.type}`);
      reply = input.reply(events, after);
      return { events, idempotency: idempotency && { ...idempotency, statusCode: reply.statusCode, body: reply.body } };
    },
  );
  if (!reply) throw new Error(`no reply to ${command.type}`);
  if (appended.events.length > 0 && appended.after) await input.afterAppend?.(appended.before, appended.after);
  return reply;
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
    alarmWatch: alarmWatchChanges(before, after),
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
