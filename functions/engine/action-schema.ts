/**
 * The executor's input contract: one `PlannerAction` (domain/planner.ts) per SQS message body, as
 * `SqsActionQueue` sends it (`JSON.stringify(action)`). Unknown keys are dropped, not refused: a
 * planner one release ahead must not make the executor dead-letter its actions.
 */
import * as z from 'zod';
import type { PlannerAction } from '../../domain/planner';

const common = {
  key: z.string().min(1),
  environment: z.string().min(1),
  deploymentId: z.string().min(1),
  epoch: z.number().int().nonnegative(),
  revision: z.number().int().positive(),
  cluster: z.string().min(1),
  reason: z.string(),
};

export const plannerActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('StartTask'), ...common, taskDefinition: z.string().min(1), instanceArn: z.string().min(1) }),
  z.object({ type: z.literal('StopTask'), ...common, taskArn: z.string().min(1) }),
]);

// The schema and the domain type must describe the same thing (checked both ways at compile time).
type Parsed = z.infer<typeof plannerActionSchema>;
const _sameShape: [Parsed extends PlannerAction ? true : false, PlannerAction extends Parsed ? true : false] = [true, true];
void _sameShape;

/** Parses a message body into an action; throws an Error naming each offending field. */
export function parseAction(body: string): PlannerAction {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('action body is not JSON');
  }
  const parsed = plannerActionSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`action body: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
