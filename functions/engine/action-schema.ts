/**
 * The executor's input contract: one `PlannerAction` (domain/planner.ts) per SQS message body, as
 * `SqsActionQueue` sends it (`JSON.stringify(action)`). Unknown keys are dropped, not refused: a
 * planner one release ahead must not make the executor dead-letter its actions.
 */
import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import type { PlannerAction } from '../../domain/rollout';
import { ACTION_BATCH } from '../../domain/rollout';

const nonEmpty = () => z.string().check(z.minLength(1));

const common = {
  key: nonEmpty(),
  environment: nonEmpty(),
  deploymentId: nonEmpty(),
  epoch: z.number().check(z.int(), z.gte(0)),
  revision: z.number().check(z.int(), z.gt(0)),
  cluster: nonEmpty(),
  reason: z.string(),
};

const batch = () => z.array(nonEmpty()).check(z.minLength(1), z.maxLength(ACTION_BATCH));

const percent = () => z.number().check(z.gte(0), z.lte(100));
const strings = () => z.array(nonEmpty());

const serviceTarget = z.object({
  name: nonEmpty(),
  desiredCount: z.number().check(z.int(), z.gte(0)),
  launchType: z.optional(z.enum(['EC2', 'FARGATE'])),
  networkConfiguration: z.optional(
    z.object({ subnets: strings(), securityGroups: z.optional(strings()), assignPublicIp: z.optional(z.enum(['ENABLED', 'DISABLED'])) }),
  ),
  loadBalancer: z.optional(z.object({ containerName: nonEmpty(), containerPort: z.number().check(z.int(), z.gte(1), z.lte(65535)), targetGroupArn: nonEmpty() })),
  traffic: z.optional(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('Alb'), listenerRuleArn: nonEmpty(), testListenerRuleArn: z.optional(nonEmpty()), blueTargetGroupArn: nonEmpty(), greenTargetGroupArn: nonEmpty() }),
      z.object({
        kind: z.literal('Route53'),
        hostedZoneId: nonEmpty(),
        recordName: nonEmpty(),
        blue: z.object({ setIdentifier: nonEmpty(), targetGroupArn: nonEmpty() }),
        green: z.object({ setIdentifier: nonEmpty(), targetGroupArn: nonEmpty() }),
      }),
    ]),
  ),
});

const HOOK_STAGES = ['PreTraffic', 'PostTestTraffic', 'PostTraffic', 'PreRollback', 'PostRollback'] as const;

const serviceOperation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('EnsureService'), desiredCount: z.number().check(z.int(), z.gte(0)) }),
  z.object({ op: z.literal('CreateTaskSet'), taskDefinition: nonEmpty(), scale: percent(), clientToken: nonEmpty(), targetGroupArn: z.optional(nonEmpty()) }),
  z.object({ op: z.literal('ScaleTaskSet'), taskSet: nonEmpty(), scale: percent(), stopTasks: strings() }),
  z.object({ op: z.literal('SetPrimaryTaskSet'), taskSet: nonEmpty() }),
  z.object({ op: z.literal('DeleteTaskSet'), taskSet: nonEmpty() }),
  z.object({ op: z.literal('SetDesiredCount'), desiredCount: z.number().check(z.int(), z.gte(0)) }),
  z.object({ op: z.literal('DeleteService') }),
  z.object({
    op: z.literal('SetWeights'),
    rule: z.enum(['production', 'test']),
    weights: z.array(z.object({ targetGroupArn: nonEmpty(), weight: z.number().check(z.gte(0), z.lte(100)) })).check(z.minLength(1), z.maxLength(2)),
  }),
]);

export const plannerActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('StartTasks'), ...common, taskDefinition: nonEmpty(), instanceArns: batch() }),
  z.object({ type: z.literal('StopTasks'), ...common, taskArns: batch() }),
  z.object({ type: z.literal('UpdateService'), ...common, service: serviceTarget, operations: z.array(serviceOperation).check(z.minLength(1)) }),
  z.object({ type: z.literal('InvokeHook'), ...common, hook: z.number().check(z.int(), z.gte(0)), stage: z.enum(HOOK_STAGES), functionArn: nonEmpty(), attempt: z.number().check(z.int(), z.gte(1)) }),
]);

// The schema and the domain type must describe the same thing (checked both ways at compile time).
type Parsed = z.infer<typeof plannerActionSchema>;
const _sameShape: [Parsed extends PlannerAction ? true : false, PlannerAction extends Parsed ? true : false] = [true, true];
void _sameShape;

/**
 * The schema uses `zod/mini`, which keeps the Lambda bundles small. It loads no locale: the English
 * messages (what full zod gives) are passed to the parse, as in `events/catalogue.ts`.
 */
const ENGLISH = { error: english().localeError };

/** Parses a message body into an action; throws an Error naming each offending field. */
export function parseAction(body: string): PlannerAction {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('action body is not JSON');
  }
  const parsed = plannerActionSchema.safeParse(json, ENGLISH);
  if (!parsed.success) {
    throw new Error(`action body: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
