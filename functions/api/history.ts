/**
 * list-deployments: a page of an environment's deployment history (domain/history.ts), newest first,
 * read from the log backwards a DynamoDB page at a time (`EventLog.readEventsBackward`, only the
 * event types the history reads). A request stops reading as soon as it has `limit` deployments, or
 * after `MAX_LOG_PAGES` pages of the log (each at most 1 MB): a long deployment's thousands of
 * engine events cost pages, not one unbounded read, so a page may hold fewer deployments than asked
 * for (even none) and still have a `NextToken`, as a DynamoDB Query page may.
 *
 * The token is where the reading stopped (the sequence number to go on below) and the history's
 * cursor there (what it knows of the newer events), base64url JSON; anything else is a 400 naming
 * `nextToken`.
 */
import type { EventLog } from '../ports';
import { ValidationError } from '../../domain/errors';
import type { DeploymentRecord, HistoryCursor } from '../../domain/history';
import { foldBack, HISTORY_EVENT_TYPES } from '../../domain/history';

/** Deployments a page holds, by default and at most. */
export const DEFAULT_DEPLOYMENT_PAGE = 25;
export const MAX_DEPLOYMENT_PAGE = 100;
const STARTS: ReadonlySet<string> = new Set(['DeploymentStarted', 'RollbackStarted', 'DeletionStarted']);

/** Pages of the log (Query pages, at most 1 MB each) one request reads at most. */
export const MAX_LOG_PAGES = 8;

export interface DeploymentPage {
  deployments: DeploymentRecord[];
  nextToken?: string | undefined;
}

interface Position {
  before: number;
  cursor: HistoryCursor;
}

export async function deploymentPage(
  eventLog: Pick<EventLog, 'readEventsBackward'>,
  environment: string,
  options: { limit: number; nextToken?: string | undefined; maxLogPages?: number; eventsPerRead?: number },
): Promise<DeploymentPage> {
  const start = options.nextToken === undefined ? undefined : positionOf(options.nextToken);
  let before = start?.before;
  let cursor: HistoryCursor = start?.cursor ?? {};
  const deployments: DeploymentRecord[] = [];
  for (let pages = 0; pages < (options.maxLogPages ?? MAX_LOG_PAGES); pages++) {
    const page = await eventLog.readEventsBackward(environment, { types: HISTORY_EVENT_TYPES, before, limit: options.eventsPerRead });
    for (const [i, { sequence, event }] of page.events.entries()) {
      const step = foldBack(cursor, event);
      cursor = step.cursor;
      if (!step.record) continue;
      deployments.push(step.record);
      if (deployments.length < options.limit) continue;
      // Full: the next page goes on below this start (its cursor: this deployment ended the older one),
      // unless this read was the log's last and nothing older starts a deployment.
      const more = page.before !== undefined || page.events.slice(i + 1).some((e) => STARTS.has(e.event.type));
      return { deployments, nextToken: more ? tokenOf({ before: sequence, cursor }) : undefined };
    }
    if (page.before === undefined) return { deployments };
    before = page.before;
  }
  return { deployments, nextToken: tokenOf({ before: before!, cursor }) };
}

export function tokenOf(position: Position): string {
  return Buffer.from(JSON.stringify({ b: position.before, c: position.cursor }), 'utf8').toString('base64url');
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const KINDS = new Set(['deploy', 'rollback', 'delete']);
const HEALTH = new Set(['Stuck', 'Failing', 'ok']);

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The position a token names; a ValidationError naming `nextToken` for anything this API did not give out. */
export function positionOf(token: string): Position {
  const refuse = () => new ValidationError('nextToken: not a token this API gave out', 'nextToken');
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!isObject(parsed) || !Number.isInteger(parsed.b) || (parsed.b as number) < 1 || !isObject(parsed.c)) throw refuse();
  const { next, completedAt, halted, health, ...rest } = parsed.c;
  if (Object.keys(rest).length > 0) throw refuse();
  if (next !== undefined) {
    if (!isObject(next) || typeof next.id !== 'string' || !KINDS.has(next.kind as string) || !Number.isInteger(next.revision)) throw refuse();
    if (typeof next.at !== 'string' || !ISO.test(next.at) || !optionalString(next.by) || !optionalString(next.reason)) throw refuse();
  }
  if (completedAt !== undefined && (typeof completedAt !== 'string' || !ISO.test(completedAt))) throw refuse();
  if (!optionalString(halted)) throw refuse();
  if (health !== undefined && (!isObject(health) || !HEALTH.has(health.status as string) || !optionalString(health.reason))) throw refuse();
  return { before: parsed.b as number, cursor: parsed.c as HistoryCursor };
}
