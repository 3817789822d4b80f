/**
 * The simulated ELBv2's errors (`elbv2.ts`, `elbv2-listeners.ts`): `name` as the AWS SDK v3 names the
 * exception, `Code` as the service sends it, and the AWS query protocol's wording of a constraint
 * violation, which names the member (`Value '1000' at 'actions.1.member.forwardConfig.targetGroups.2.member.weight'
 * failed to satisfy constraint: Member must have value less than or equal to 999`).
 */
import { SimulatedAwsError } from './errors';

/** An ELBv2 error: `name` as the AWS SDK v3 names it, `Code` as the service sends it. */
export class Elbv2Error extends SimulatedAwsError {
  constructor(
    name: string,
    readonly Code: string,
    message: string,
    options: { httpStatusCode?: number; throttling?: boolean; requestId?: string } = {},
  ) {
    super(name, message, {
      httpStatusCode: options.httpStatusCode ?? 400,
      ...(options.throttling ? { retryable: { throttling: true } } : {}),
      ...(options.requestId !== undefined ? { requestId: options.requestId } : {}),
    });
    this.Message = message;
  }

  readonly Message: string;
}

export function validationError(message: string): Elbv2Error {
  return new Elbv2Error('ValidationError', 'ValidationError', message);
}

/** The AWS query protocol's wording of a constraint violation. */
export function constraintError(value: unknown, member: string, constraint: string): Elbv2Error {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return validationError(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}
