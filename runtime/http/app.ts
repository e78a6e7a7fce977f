import express, { type NextFunction, type Request, type Response } from 'express';
import { log } from '../logging/logger.js';
import { Problem } from './problem.js';
import { authRoutes, loginRoutes } from './routes/auth.js';
import { identityRoutes } from './routes/identity.js';
import { deploymentRoutes } from './routes/deployments.js';
import { elementInstanceRoutes } from './routes/element-instances.js';
import { eventRoutes } from './routes/events.js';
import { incidentRoutes } from './routes/incidents.js';
import { jobRoutes } from './routes/jobs.js';
import { processDefinitionRoutes } from './routes/process-definitions.js';
import { processInstanceRoutes } from './routes/process-instances.js';
import { systemRoutes } from './routes/system.js';
import { userTaskRoutes } from './routes/user-tasks.js';
import type { AppServices } from './services.js';

/** The HTTP surface: thin routes over the services, one error middleware, problem+json everywhere. */
export function createApp(s: AppServices) {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', async (_req, res) => {
    try {
      await s.knex.raw('select 1');
      res.json({ status: 'UP' });
    } catch (err) {
      res.status(503).json({ status: 'DOWN', reason: (err as Error).message });
    }
  });

  const v2 = express.Router();
  // An API answers data, never pages: browsers must not sniff, frame or run anything from here
  // (a stored BPMN file is served as text/xml and could otherwise carry script).
  v2.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; sandbox");
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  v2.use(loginRoutes(s));
  // Credentials are checked before any body is read.
  v2.use(s.auth.middleware());
  v2.use(express.json({ limit: '2mb' }));
  for (const routes of [
    authRoutes,
    identityRoutes,
    deploymentRoutes,
    processDefinitionRoutes,
    processInstanceRoutes,
    userTaskRoutes,
    jobRoutes,
    incidentRoutes,
    elementInstanceRoutes,
    eventRoutes,
    systemRoutes,
  ]) {
    v2.use(routes(s));
  }
  v2.use('/{*splat}', (req, _res, next) =>
    next(new Problem(404, 'NOT_FOUND', `no such endpoint: ${req.method} ${req.originalUrl}`)),
  );
  app.use('/v2', v2);

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let problem: Problem;
    if (err instanceof Problem) problem = err;
    else if ((err as { type?: string })?.type === 'entity.parse.failed') {
      problem = new Problem(
        400,
        'INVALID_ARGUMENT',
        `the request body is not valid JSON: ${(err as Error).message}`,
        [{ field: '(body)', reason: 'is not valid JSON' }],
      );
    } else if ((err as { type?: string })?.type === 'entity.too.large') {
      problem = new Problem(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    } else {
      log.error('unexpected error', { method: req.method, url: req.originalUrl, err });
      problem = new Problem(500, 'INTERNAL_ERROR', 'an unexpected error occurred; it was logged');
    }
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        instance: req.originalUrl,
        ...(problem.errors ? { errors: problem.errors } : {}),
      });
  });
  return app;
}
