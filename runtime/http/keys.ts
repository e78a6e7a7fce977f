import { badRequest } from './problem.js';

const INT8_MAX = 2n ** 63n - 1n;

/** Whether a key is a decimal int8 (what the database can hold), as Camunda's 64-bit keys are. */
export function isKey(value: unknown): boolean {
  return typeof value === 'string' && /^\d{1,19}$/.test(value) && BigInt(value) <= INT8_MAX;
}

/** Reads a key from a path segment or throws a 400 naming it. */
export function pathKey(value: unknown, name: string): string {
  const s = String(value ?? '');
  if (!isKey(s))
    throw badRequest(`${name} must be a key (a decimal number)`, [
      { field: name, reason: 'must be a decimal number' },
    ]);
  return s;
}
