/**
 * Domain errors: every refusal the domain can make is one of these, with a stable `code`.
 * They carry no HTTP knowledge; `functions/http/errors.ts` maps them to status codes in one place.
 */
export type DomainErrorCode = 'ValidationError' | 'NotFound' | 'Conflict';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

/** The input is malformed. `field` names the offending field (dotted path), when there is one. */
export class ValidationError extends DomainError {
  readonly code = 'ValidationError' as const;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The environment or revision the command names does not exist. */
export class NotFoundError extends DomainError {
  readonly code = 'NotFound' as const;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The command is well-formed but contradicts the environment's current state (stale base, deploy older than active, …). */
export class ConflictError extends DomainError {
  readonly code = 'Conflict' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}
