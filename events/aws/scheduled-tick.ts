/**
 * The planner's tick: an EventBridge *rule* with a schedule expression (`rate(1 minute)`) delivers
 * `Scheduled Event` (source `aws.events`) with an empty `detail` and the rule ARN in `resources`.
 *
 * Only a schedule *rule* sends this envelope. EventBridge *Scheduler* (the separate `scheduler`
 * service) invokes its target with whatever input the schedule defines, not with this event, so a
 * tick configured that way must set its input to this shape (or be routed through a rule).
 *
 * The tick is how the planner notices what events do not tell it: time passing (Stuck/Failing
 * deadlines), task health (absent from task events), placement failures (no event at all).
 */
import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';

export const SCHEDULED_EVENT_SOURCE = 'aws.events';
export const SCHEDULED_EVENT = 'Scheduled Event';

/** Always `{}` from AWS; anything else there is kept but not read. */
export const scheduledTickDetailSchema = z.looseObject({});

export const scheduledTickSchema = eventBridgeEvent(SCHEDULED_EVENT_SOURCE, SCHEDULED_EVENT, scheduledTickDetailSchema);

export type ScheduledTick = z.infer<typeof scheduledTickSchema>;
