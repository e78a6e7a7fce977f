import { date, dateAndTime, evaluate, parseExpression, unaryTest } from 'feelin';
import { IncidentSignal, type IncidentType } from '../errors/engine-error.js';

/**
 * Expressions in Camunda 8 models: a value starting with `=` is FEEL, anything else is a static
 * string. User JavaScript is never evaluated.
 */
export function isFeel(expression: string | undefined | null): boolean {
  return typeof expression === 'string' && expression.trimStart().startsWith('=');
}

export type EvalResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Converts feelin's temporal and range objects into plain JSON values. */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return null;
    return value;
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  const v = value as Record<string, unknown>;
  if (typeof v.iso === 'string') return v.iso;
  if (typeof v.toString === 'function' && v.constructor && v.constructor !== Object) {
    const s = String(value);
    if (s !== '[object Object]') return s;
  }
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'function') out[k] = toJsonValue(val);
  }
  return out;
}

/** `now()` and `today()` for FEEL, from a given instant (the command's clock), in UTC. */
export function clockFunctions(now: Date): Record<string, () => unknown> {
  const iso = now.toISOString();
  return { now: () => dateAndTime(iso), today: () => date(iso.slice(0, 10)) };
}

const cache = new Map<string, string>();

/** Evaluates a FEEL expression (with or without the leading `=`) against a variable context. */
export function evaluateFeel(expression: string, variables: Record<string, unknown>): EvalResult {
  let body = cache.get(expression);
  if (body === undefined) {
    body = expression.trimStart().replace(/^=/, '');
    if (cache.size > 5000) cache.clear();
    cache.set(expression, body);
  }
  try {
    const { value } = evaluate(body, variables);
    return { ok: true, value: toJsonValue(value) };
  } catch (err) {
    return { ok: false, message: `failed to evaluate expression '${body}': ${(err as Error).message}` };
  }
}

/**
 * Checks that a FEEL expression parses; returns a message naming where it breaks, or null. Only
 * parses: a model's expressions are never evaluated at deploy time.
 */
export function checkFeelSyntax(expression: string): string | null {
  const body = expression.trimStart().replace(/^=/, '');
  let at = -1;
  try {
    parseExpression(body, {}, undefined).iterate({
      enter(node) {
        if (at < 0 && node.type.isError) at = node.from;
      },
    });
  } catch (err) {
    return (err as Error).message;
  }
  if (at < 0) return null;
  return `unexpected input at position ${at + 1}${body.length ? ` ('${body.slice(Math.max(0, at - 10), at + 10)}')` : ''}`;
}

export { unaryTest };

/**
 * Evaluates a property that may be static or FEEL and throws an IncidentSignal on failure, naming
 * the element and the property, so the caller's step becomes an incident.
 */
export function evaluateProperty(
  expression: string | undefined,
  variables: Record<string, unknown>,
  what: string,
  incidentType: IncidentType = 'EXTRACT_VALUE_ERROR',
): unknown {
  if (expression === undefined || expression === null || expression === '') return undefined;
  if (!isFeel(expression)) return expression;
  const result = evaluateFeel(expression, variables);
  if (!result.ok) throw new IncidentSignal(incidentType, `${what}: ${result.message}`);
  return result.value;
}
