/**
 * The EventBridge envelope every inbound AWS event arrives in.
 *
 * ```json
 * { "version": "0", "id": "…", "detail-type": "…", "source": "aws.…", "account": "…",
 *   "time": "2019-10-02T17:04:40Z", "region": "us-east-1", "resources": ["arn:…"], "detail": { … } }
 * ```
 *
 * The envelope `version` is always the string "0"; it is unrelated to the `detail.version` number
 * ECS puts in its own detail (see `ecs-task-state-change.ts`). Objects are loose (`z.looseObject`):
 * AWS adds fields over time, and a new field must never make the planner drop an event.
 *
 * The schemas use `zod/mini` (the functional API), which keeps the Lambda bundles small; it loads no
 * locale, so `parseInboundEvent` passes the English messages to the parse (see `events/catalogue.ts`).
 */
import * as z from 'zod/mini';

/**
 * A timestamp as AWS writes it in events. ECS and the envelope use ISO 8601 with `Z`
 * ("2016-12-06T16:41:06.8Z", any number of fraction digits); CloudWatch alarm states use an offset
 * without a colon ("2019-10-02T17:04:40.989+0000"), which `z.iso.datetime` refuses. Both are kept
 * as the string AWS sent; the only check is that it reads as a date.
 */
export const awsTimestamp = z
  .string()
  .check(z.refine((value: string) => !Number.isNaN(Date.parse(value)), { message: 'expected a timestamp (ISO 8601)' }));

/** An EventBridge event of one source and detail-type, with the given detail schema. */
export function eventBridgeEvent<Source extends string, DetailType extends string, Detail extends z.ZodMiniType>(
  source: Source,
  detailType: DetailType,
  detail: Detail,
) {
  return z.looseObject({
    version: z.string(),
    id: z.string(),
    'detail-type': z.literal(detailType),
    source: z.literal(source),
    account: z.string(),
    time: awsTimestamp,
    region: z.string(),
    resources: z.array(z.string()),
    detail,
  });
}
