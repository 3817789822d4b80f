/**
 * The one place where errors become HTTP responses.
 *
 * | error                         | status | code                 |
 * |-------------------------------|--------|----------------------|
 * | ValidationError (domain)      | 400    | ValidationError      |
 * | NotFoundError (domain)        | 404    | NotFound             |
 * | ConflictError (domain)        | 409    | Conflict             |
 * | ConcurrencyError (store)      | 409    | Conflict             |
 * | HttpError (transport)         | its own status and code                 |
 * | anything else                 | 500    | InternalError (logged, message hidden) |
 */
import { DomainError } from '../../domain/errors';
import { ConcurrencyError } from '../ports';

/** Transport-level refusals that have no domain meaning (size, media type, routing). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorResponse {
  statusCode: number;
  body: { error: { code: string; message: string; field?: string } };
  /** Whether this is our fault (to be logged as an error) rather than the caller's. */
  internal: boolean;
}

const domainStatus = { ValidationError: 400, NotFound: 404, Conflict: 409 } as const;

export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof DomainError) {
    const field = 'field' in error && typeof error.field === 'string' ? { field: error.field } : {};
    return { statusCode: domainStatus[error.code], body: { error: { code: error.code, message: error.message, ...field } }, internal: false };
  }
  if (error instanceof ConcurrencyError) {
    return { statusCode: 409, body: { error: { code: 'Conflict', message: error.message } }, internal: false };
  }
  if (error instanceof HttpError) {
    const field = error.field ? { field: error.field } : {};
    return { statusCode: error.statusCode, body: { error: { code: error.code, message: error.message, ...field } }, internal: false };
  }
  return {
    statusCode: 500,
    body: { error: { code: 'InternalError', message: 'internal error: the request may or may not have been applied; check the environment and retry' } },
    internal: true,
  };
}
