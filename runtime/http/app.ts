import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { log } from '../logging/logger.js';
import { docsRoutes } from './docs-page.js';
import { bodyProblem, jsonBody } from './json-body.js';
import { Problem } from './problem.js';
import { noteProblem, requestLog } from './request-log.js';
import { authRoutes, loginRoutes } from './routes/auth.js';
import { identityRoutes } from './routes/identity.js';
import { notificationRoutes } from './routes/notifications.js';
import { inboxRoutes } from './routes/inbox.js';
import { substitutionRoutes } from './routes/substitutions.js';
import { departmentRoutes } from './routes/departments.js';
import { workingCalendarRoutes } from './routes/working-calendars.js';
import { recordRoutes } from './routes/records.js';
import { deploymentRoutes } from './routes/deployments.js';
import { documentRoutes } from './routes/documents.js';
import { elementInstanceRoutes } from './routes/element-instances.js';
import { eventRoutes } from './routes/events.js';
import { incidentRoutes } from './routes/incidents.js';
import { jobRoutes } from './routes/jobs.js';
import { assetRoutes } from './routes/assets.js';
import { dashboardRoutes } from './routes/dashboards.js';
import { designLessonRoutes } from './routes/design-lessons.js';
import { moduleRoutes } from './routes/modules.js';
import { monitorRoutes } from './routes/monitor.js';
import { processDefinitionRoutes } from './routes/process-definitions.js';
import { processInstanceRoutes } from './routes/process-instances.js';
import { resourceRoutes } from './routes/resources.js';
import { systemRoutes } from './routes/system.js';
import { userTaskRoutes } from './routes/user-tasks.js';
import type { AppServices } from './services.js';
import { webAppRoutes } from '../web/web-app.js';

/** The HTTP surface: thin routes over the services, one error middleware, problem+json everywhere. */
export function createApp(s: AppServices, options: { webRoot?: string } = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // One structured log line per request, with an id echoed in X-Request-Id.
  app.use(requestLog());
  // Baseline security headers everywhere; the v2 router below tightens them for the API.
  // No upgrade-insecure-requests: the server may well be reached over plain HTTP on a LAN.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));

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
  // The API's description and reference page are public, like the login.
  v2.use(docsRoutes(s.version));
  // Credentials are checked before any body is read.
  v2.use(s.auth.middleware());
  // A module file carries its BPMN, forms and rule sets: up to 50 resources of 2 MB each.
  const [parseModuleFile] = jsonBody('32mb');
  v2.use('/modules', (req, res, next) =>
    req.method === 'POST' && req.path === '/' ? parseModuleFile(req, res, next) : next(),
  );
  v2.use(jsonBody('2mb'));
  for (const routes of [
    authRoutes,
    identityRoutes,
    notificationRoutes,
    inboxRoutes,
    substitutionRoutes,
    departmentRoutes,
    workingCalendarRoutes,
    (services: AppServices) => recordRoutes(services, { timeZone: services.timeZone }),
    deploymentRoutes,
    monitorRoutes,
    moduleRoutes,
    designLessonRoutes,
    assetRoutes,
    dashboardRoutes,
    processDefinitionRoutes,
    resourceRoutes,
    processInstanceRoutes,
    userTaskRoutes,
    documentRoutes,
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
  // The web app, from the same origin as the API (cookie session, CSRF header, socket.io).
  if (options.webRoot) app.use(webAppRoutes(options.webRoot));

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let problem: Problem | undefined;
    if (err instanceof Problem) problem = err;
    else if ((err as { code?: string })?.code === '23505') {
      // Two requests created the same thing at once: the unique index decided, the loser is told.
      problem = new Problem(
        409,
        'CONFLICT',
        'it already exists (created at the same time by another request)',
      );
    } else problem = bodyProblem(err);
    if (!problem) {
      log.error('unexpected error', { reqId: req.id, method: req.method, url: req.originalUrl, err });
      problem = new Problem(
        500,
        'INTERNAL_ERROR',
        `an unexpected error occurred; it was logged with request id ${req.id ?? '(none)'}`,
      );
    }
    noteProblem(res, problem);
    const retryAfter = (problem as { retryAfter?: number }).retryAfter;
    if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
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
