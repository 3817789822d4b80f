/**
 * Delayed reconciles over a standard SQS queue (`@aws-sdk/client-sqs`): ECS sends no event when a
 * task turns HEALTHY, a launch back-off ends or a Stuck deadline passes, so the engine asks to look
 * again at a given time. `schedule(environment, atMs)` sends `{"environment": …}` with
 * `DelaySeconds` = the seconds until `atMs`, rounded up, within SQS's 0..900; the planner function
 * consumes the queue and reconciles that environment.
 *
 * A time more than 15 minutes away is delivered after 15 minutes: the reconcile then plans a new
 * wake-up. Duplicates (standard queues deliver at least once, and every reconcile may schedule one)
 * are harmless: a reconcile is idempotent.
 */
import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import { systemClock } from './clock';
import { sqsSdk } from './sqs-action-queue';
import type { SqsClient } from './sqs-action-queue';
import type { Clock } from '../ports';

/** SQS `DelaySeconds`: 0..900. */
export const MAX_DELAY_SECONDS = 900;

/** What the engine needs of delayed reconciles (`EngineDeps['wakeups']`). */
export interface Wakeups {
  schedule(environment: string, atMs: number): Promise<void>;
}

/** The message body's schema. Built on the first `parseWakeup` (the router's): the reconciler and api-write only send wake-ups. */
const buildWakeupSchema = () => z.object({ environment: z.string().check(z.minLength(1)) });
let wakeupSchema: ReturnType<typeof buildWakeupSchema> | undefined;
export type Wakeup = z.infer<ReturnType<typeof buildWakeupSchema>>;

/** Seconds from `nowMs` until `atMs`, rounded up, clamped to 0..900. */
export function delaySeconds(atMs: number, nowMs: number): number {
  if (!Number.isFinite(atMs)) throw new RangeError(`wake-up time must be a finite epoch-ms number, got ${atMs}`);
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((atMs - nowMs) / 1000)));
}

/** `zod/mini` loads no locale: the English messages (what full zod gives), as in `events/catalogue.ts`. */
const ENGLISH = { error: english().localeError };

/** Reads a wake-up message body; throws with the reason when it is not one. */
export function parseWakeup(body: string): Wakeup {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('wake-up body is not JSON');
  }
  const parsed = (wakeupSchema ??= buildWakeupSchema()).safeParse(json, ENGLISH);
  if (!parsed.success) throw new Error(`wake-up body: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export class SqsWakeups implements Wakeups {
  constructor(
    private readonly client: SqsClient,
    private readonly queueUrl: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async schedule(environment: string, atMs: number): Promise<void> {
    const body: Wakeup = { environment };
    const { SendMessageCommand } = await sqsSdk();
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(body),
        DelaySeconds: delaySeconds(atMs, this.clock.now().getTime()),
      }),
    );
  }
}
