/**
 * Expected failures are values, not exceptions (see DESIGN "Style"). A failure has a stable string
 * code that the HTTP layer maps to a status in one place, and a message that names ids in angle
 * brackets.
 */
export type FailureCode =
  | 'NOT_FOUND'
  | 'INVALID_STATE'
  | 'INVALID_ARGUMENT'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'VALIDATION_FAILED';

export interface Failure {
  readonly failure: true;
  readonly code: FailureCode;
  readonly message: string;
  /** Field-level details, e.g. form validation errors. */
  readonly details?: ReadonlyArray<{ field: string; reason: string }>;
}

export function fail(code: FailureCode, message: string, details?: Failure['details']): Failure {
  return { failure: true, code, message, details };
}

export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as Failure).failure === true;
}

/** Technical failures during execution become incidents; this names the incident type. */
export type IncidentType =
  | 'EXTRACT_VALUE_ERROR'
  | 'CONDITION_ERROR'
  | 'IO_MAPPING_ERROR'
  | 'JOB_NO_RETRIES'
  | 'UNHANDLED_ERROR_EVENT'
  | 'CALLED_ELEMENT_ERROR'
  | 'FORM_NOT_FOUND'
  | 'DECISION_EVALUATION_ERROR'
  | 'UNKNOWN';

/** Thrown inside element behaviours to turn the current step into an incident. */
export class IncidentSignal extends Error {
  constructor(
    readonly incidentType: IncidentType,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown while a command runs when the command itself turns out to be unacceptable (e.g. a
 * decision that leaves a step nobody can act on): the whole command fails with this failure and
 * nothing is written.
 */
export class CommandRejection extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}
