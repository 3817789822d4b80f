/**
 * `CloudWatch Alarm State Change` (source `aws.cloudwatch`): sent when an alarm changes state. The
 * engine watches the alarms an environment names (rollback/halt conditions).
 *
 * - `resources[0]` is the alarm ARN; `detail.alarmName` its name.
 * - `state` and `previousState` are `{ value, reason, reasonData?, timestamp }`. `reasonData` is a JSON
 *   *string*; `timestamp` uses an offset without colon ("2019-10-02T17:04:40.989+0000").
 * - `configuration` differs by alarm kind (single metric, metric math, anomaly band: `metrics[]`;
 *   composite: `alarmRule`); only `description` and the presence of the object are relied on.
 * - Alarms with tag propagation enabled also carry `alarmTags` / `alarmTagsStatus` (kept by `.loose()`).
 * - CloudWatch guarantees delivery of alarm state change events, but a state is only reported on a
 *   change: an alarm that is already in ALARM when the engine starts watching it sends nothing.
 */
import * as z from 'zod';
import { awsTimestamp, eventBridgeEvent } from './envelope';

export const CLOUDWATCH_SOURCE = 'aws.cloudwatch';
export const CLOUDWATCH_ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';

export const ALARM_STATE_VALUES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmStateValue = (typeof ALARM_STATE_VALUES)[number];

export const alarmStateSchema = z
  .object({
    value: z.enum(ALARM_STATE_VALUES),
    reason: z.string(),
    /** A JSON document serialized as a string. */
    reasonData: z.string().optional(),
    timestamp: awsTimestamp,
  })
  .loose();

export const alarmConfigurationSchema = z
  .object({
    description: z.string().optional(),
    metrics: z.array(z.object({ id: z.string() }).loose()).optional(),
    /** Composite alarms. */
    alarmRule: z.string().optional(),
  })
  .loose();

export const cloudWatchAlarmDetailSchema = z
  .object({
    alarmName: z.string(),
    state: alarmStateSchema,
    previousState: alarmStateSchema,
    configuration: alarmConfigurationSchema,
  })
  .loose();

export const cloudWatchAlarmStateChangeSchema = eventBridgeEvent(
  CLOUDWATCH_SOURCE,
  CLOUDWATCH_ALARM_STATE_CHANGE,
  cloudWatchAlarmDetailSchema,
);

export type AlarmState = z.infer<typeof alarmStateSchema>;
export type CloudWatchAlarmDetail = z.infer<typeof cloudWatchAlarmDetailSchema>;
export type CloudWatchAlarmStateChange = z.infer<typeof cloudWatchAlarmStateChangeSchema>;
