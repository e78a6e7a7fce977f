import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { log } from '../logging/logger.js';

declare global {
  namespace Express {
    interface Request {
      /** The request id: the client's sane X-Request-Id, or a generated UUID. Echoed in the response. */
      id?: string;
    }
  }
}

/** What a client may choose as its request id: a short token, nothing that could forge a log line. */
const SANE_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A problem answered for this request, noted by the error middleware for the request line. */
export function noteProblem(res: Response, problem: { title: string; detail: string }): void {
  res.locals.problem = { title: problem.title, detail: problem.detail };
}

/** The path without its query string (queries may carry filter values; they are not logged). */
const pathOf = (req: Request) => {
  const url = req.originalUrl || req.url;
  const i = url.indexOf('?');
  return i < 0 ? url : url.slice(0, i);
};

/**
 * Gives every request an id (echoed in `X-Request-Id`) and writes one structured line when the
 * response has been sent (or the client went away): id, method, url, status, duration, user.
 * Headers are not logged (no Authorization, no Cookie); 5xx lines are errors, others info.
 */
export function requestLog() {
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const durationMs = Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100;
      const aborted = !res.writableFinished;
      const fields: Record<string, unknown> = {
        reqId: id,
        method: req.method,
        url: pathOf(req),
        status: res.statusCode,
        durationMs,
        ...(req.principal?.username ? { user: req.principal.username } : {}),
        ...(res.locals.problem ? { problem: res.locals.problem } : {}),
        ...(aborted ? { aborted: true } : {}),
        remoteAddress: req.ip,
      };
      const msg = `${req.method} ${pathOf(req)} ${res.statusCode}`;
      if (res.statusCode >= 500) log.error(msg, fields);
      else log.info(msg, fields);
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
