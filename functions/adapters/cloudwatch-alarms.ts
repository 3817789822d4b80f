/**
 * The `Alarms` port on CloudWatch (`@aws-sdk/client-cloudwatch`): DescribeAlarms by name (at most 100
 * names a call, CloudWatch's limit; paged with NextToken), metric and composite alarms alike. Each
 * alarm's state is read with `StateTransitionedTimestamp` — when it entered the state — which is what
 * an alarm event's `state.timestamp` says too, so a reading from either source is compared on the same
 * clock (`StateUpdatedTimestamp` also moves when only the reason changes). The simulated CloudWatch
 * answers the same call (`local/sim/cloudwatch.ts`), so the local stack and the harness use this
 * adapter over it.
 */
import type { CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import type { describeAlarmsClient } from './sdk/cloudwatch';
import type { AlarmReading, AlarmValue } from '../../domain/rollout';
import type { Alarms } from '../ports';

/** CloudWatch's limit on AlarmNames in one DescribeAlarms. */
export const DESCRIBE_ALARMS_NAMES = 100;

interface DescribedAlarm {
  AlarmName?: string | undefined;
  StateValue?: string | undefined;
  StateReason?: string | undefined;
  StateTransitionedTimestamp?: Date | undefined;
  StateUpdatedTimestamp?: Date | undefined;
}

/** What the adapter needs of CloudWatch: one DescribeAlarms call (the SDK client's, or the simulator's). */
export type DescribeAlarms = (input: { AlarmNames: string[]; AlarmTypes: Array<'MetricAlarm' | 'CompositeAlarm'>; NextToken?: string }) => Promise<{
  MetricAlarms?: DescribedAlarm[] | undefined;
  CompositeAlarms?: DescribedAlarm[] | undefined;
  NextToken?: string | undefined;
}>;

/**
 * DescribeAlarms through the SDK's CloudWatch client, which is loaded (a dynamic import: esbuild puts
 * `sdk/cloudwatch.ts` and the client in a chunk of their own, read only then) and built on the first call: only a deployment that
 * watches alarms reads them, and a reconciler that never does pays nothing for the client at cold
 * start. The client is kept for the life of the container.
 */
export function describeAlarmsThroughSdk(config: CloudWatchClientConfig = {}): DescribeAlarms {
  let send: ReturnType<typeof describeAlarmsClient> | undefined;
  return async (input) => {
    send ??= (await import('./sdk/cloudwatch')).describeAlarmsClient(config);
    return send(input);
  };
}

const VALUES: readonly string[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] satisfies AlarmValue[];

export class CloudWatchAlarms implements Alarms {
  constructor(private readonly describeAlarms: DescribeAlarms) {}

  async describe(alarmNames: readonly string[]): Promise<AlarmReading[]> {
    const names = [...new Set(alarmNames)];
    const readings: AlarmReading[] = [];
    for (let i = 0; i < names.length; i += DESCRIBE_ALARMS_NAMES) {
      const chunk = names.slice(i, i + DESCRIBE_ALARMS_NAMES);
      let nextToken: string | undefined;
      do {
        const page = await this.describeAlarms({
          AlarmNames: chunk,
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        });
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          const at = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
          if (!alarm.AlarmName || !alarm.StateValue || !VALUES.includes(alarm.StateValue) || !at) continue;
          readings.push({ name: alarm.AlarmName, value: alarm.StateValue as AlarmValue, at: at.getTime(), reason: alarm.StateReason ?? '' });
        }
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
    }
    return readings;
  }
}
