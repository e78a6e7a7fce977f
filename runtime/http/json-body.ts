import express, { type NextFunction, type Request, type Response } from 'express';
import { badRequest, Problem } from './problem.js';

/** Media types parsed as JSON: application/json and the structured-syntax `+json` types. */
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * The path of the first string (or key) in a parsed JSON value that holds a NUL character, or
 * null. PostgreSQL stores no NUL in text or jsonb: such a body would fail at the database (500)
 * after the request was checked, so it is refused at the edge.
 */
export function nulPath(value: unknown): string | null {
  // Iterative: a deeply nested body must not overflow the stack.
  const stack: Array<[unknown, string]> = [[value, '(body)']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const at = path === '(body)' ? k : `${path}.${k}`;
        if (k.includes('\u0000')) return at;
        stack.push([x, at]);
      }
    }
  }
  return null;
}

/** Throws 400 naming the field when a parsed JSON body holds a NUL character. */
export function refuseNul(body: unknown): void {
  const field = nulPath(body);
  if (field)
    throw badRequest(`${field} contains a NUL character, which cannot be stored`, [
      { field, reason: 'must not contain a NUL character (\\u0000)' },
    ]);
}

/** Whether the request carries a body at all (a declared length of 0 is none). */
function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * The edge check of request bodies for the JSON API: parses JSON bodies up to `limit`, and answers
 * problem+json for what the routes must never see — 415 for a body that is not JSON (multipart
 * uploads pass through to the routes that read them), 400 for JSON that is not an object, and
 * (through the error middleware) 400 for malformed JSON and 413 for a body over the limit.
 */
export function jsonBody(limit: string) {
  const parse = express.json({ limit, type: JSON_TYPES });
  const check = (req: Request, _res: Response, next: NextFunction) => {
    if (!hasBody(req)) return next();
    if (req.is(JSON_TYPES)) {
      const body: unknown = req.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        return next(
          badRequest('the request body must be a JSON object', [
            { field: '(body)', reason: 'expected a JSON object' },
          ]),
        );
      try {
        refuseNul(body);
      } catch (err) {
        return next(err);
      }
      return next();
    }
    if (req.is('multipart/form-data')) return next();
    const type = req.headers['content-type'];
    next(
      new Problem(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `expected a JSON body (Content-Type: application/json), got ${type ? `<${type.slice(0, 100)}>` : 'no Content-Type'}`,
      ),
    );
  };
  return [parse, check];
}

/**
 * The problem for an error of the body parser (http-errors with a `type`), or undefined for any
 * other error. Malformed JSON is a 400 naming `(body)`, an oversize body 413, an unsupported
 * charset or content encoding 415.
 */
export function bodyProblem(err: unknown): Problem | undefined {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; message?: string } | null;
  if (!e || typeof e.type !== 'string' || typeof e.status !== 'number') return undefined;
  switch (e.type) {
    case 'entity.parse.failed':
      return badRequest(`the request body is not valid JSON: ${e.message}`, [
        { field: '(body)', reason: 'is not valid JSON' },
      ]);
    case 'entity.too.large':
      return new Problem(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new Problem(415, 'UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported body encoding');
    default:
      // request.aborted, request.size.invalid, …: the client's fault, said as the parser says it.
      return e.status >= 400 && e.status < 500 && e.expose
        ? new Problem(
            e.status,
            e.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_ARGUMENT',
            String(e.message),
          )
        : undefined;
  }
}
