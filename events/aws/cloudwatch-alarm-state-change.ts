/**
 * `CloudWatch Alarm State Change` (source `aws.cloudwatch`): sent when an alarm changes state. The
 * engine watches the alarms an environment names (rollback/halt conditions).
 *
 * - `resources[0]` is the alarm ARN; `detail.alarmName` its name.
 * - `state` and `previousState` are `{ value, reason, reasonData?, timestamp }`. `reasonData` is a JSON
 *   *string*; `timestamp` uses an offset without colon ("2019-10-02T17:04:40.989+0000").
 * - `configuration` differs by alarm kind (single metric, metric math, anomaly band: `metrics[]`;
 *   composite: `alarmRule`); only `description` and the presence of the object are relied on.
 * - Alarms with tag propagation enabled also carry `alarmTags` / `alarmTagsStatus` (kept: the objects
 *   are `z.looseObject`).
 * - CloudWatch guarantees delivery of alarm state change events, but a state is only reported on a
 *   change: an alarm that is already in ALARM when the engine starts watching it sends nothing.
 */
import * as z from 'zod/mini';
import { awsTimestamp, eventBridgeEvent } from './envelope';

export const CLOUDWATCH_SOURCE = 'aws.cloudwatch';
export const CLOUDWATCH_ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';

export const ALARM_STATE_VALUES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmStateValue = (typeof ALARM_STATE_VALUES)[number];

export const alarmStateSchema = z.looseObject({
  value: z.enum(ALARM_STATE_VALUES),
  reason: z.string(),
  /** A JSON document serialized as a string. */
  reasonData: z.optional(z.string()),
  timestamp: awsTimestamp,
});

export const alarmConfigurationSchema = z.looseObject({
  description: z.optional(z.string()),
  metrics: z.optional(z.array(z.looseObject({ id: z.string() }))),
  /** Composite alarms. */
  alarmRule: z.optional(z.string()),
});

export const cloudWatchAlarmDetailSchema = z.looseObject({
  alarmName: z.string(),
  state: alarmStateSchema,
  previousState: alarmStateSchema,
  configuration: alarmConfigurationSchema,
});

export const cloudWatchAlarmStateChangeSchema = eventBridgeEvent(
  CLOUDWATCH_SOURCE,
  CLOUDWATCH_ALARM_STATE_CHANGE,
  cloudWatchAlarmDetailSchema,
);

export type AlarmState = z.infer<typeof alarmStateSchema>;
export type CloudWatchAlarmDetail = z.infer<typeof cloudWatchAlarmDetailSchema>;
export type CloudWatchAlarmStateChange = z.infer<typeof cloudWatchAlarmStateChangeSchema>;
