import type { FailureCode } from '../../engine/index.js';

export interface FieldError {
  field: string;
  reason: string;
}

/**
 * An RFC 9457 problem, thrown by services and routes and rendered by the one error middleware.
 * `title` is a stable code (Camunda uses e.g. INVALID_ARGUMENT, NOT_FOUND).
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }
}

const STATUS: Record<FailureCode, number> = {
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  CONFLICT: 409,
  INVALID_ARGUMENT: 400,
  FORBIDDEN: 403,
  VALIDATION_FAILED: 400,
};

export function problemFromFailure(f: {
  code: FailureCode;
  message: string;
  details?: ReadonlyArray<FieldError>;
}): Problem {
  return new Problem(STATUS[f.code] ?? 500, f.code, f.message, f.details ? [...f.details] : undefined);
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new Problem(400, 'INVALID_ARGUMENT', detail, errors);
export const notFound = (detail: string) => new Problem(404, 'NOT_FOUND', detail);
export const conflict = (detail: string) => new Problem(409, 'CONFLICT', detail);
export const forbidden = (detail: string) => new Problem(403, 'FORBIDDEN', detail);
export const unauthorized = (detail: string) => new Problem(401, 'UNAUTHORIZED', detail);
