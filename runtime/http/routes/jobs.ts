import { requireCapability } from '../../auth/access.js';
import { Router } from 'express';
import { type AppServices, actorOf, BodyReader, pathKey, tenantScope } from '../services.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function jobRoutes(s: AppServices): Router {
  const router = Router();
  // Workers are technical users: an administrator's or process owner's credentials or token.
  router.use('/jobs', (req, _res, next) => {
    requireCapability(req.principal!, 'work-jobs', 'work on jobs');
    next();
  });

  router.post('/jobs/activation', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const type = b.string('type', { required: true });
    const worker = b.string('worker') ?? 'default';
    const timeout = b.integer('timeout', { required: true, min: 1 });
    const maxJobsToActivate = b.integer('maxJobsToActivate', { required: true, min: 1, max: 1000 });
    const fetchVariable = b.stringArray('fetchVariable');
    const requestTimeout = b.integer('requestTimeout', { max: 600_000 }) ?? 0;
    const tenantIds = b.stringArray('tenantIds');
    b.done();
    const scope = tenantIds?.length
      ? tenantIds.flatMap((t) => tenantScope(req, t))
      : req.principal!.tenantIds;
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const jobs = await s.jobs.activate(
      {
        type: type!,
        worker,
        timeout: timeout!,
        maxJobsToActivate: maxJobsToActivate!,
        fetchVariable,
        // As in Camunda: 0 (or absent) long-polls for the default time, a negative value answers at once.
        requestTimeout: requestTimeout < 0 ? 0 : requestTimeout || DEFAULT_REQUEST_TIMEOUT_MS,
        tenantIds: scope,
      },
      gone.signal,
    );
    res.json({ jobs });
  });

  router.post('/jobs/:key/completion', async (req, res) => {
    const key = pathKey(req.params.key, 'jobKey');
    const b = new BodyReader(req.body ?? {});
    const variables = b.object('variables');
    b.done();
    await s.engine.execute({ type: 'job.complete', jobKey: key, variables }, actorOf(req));
    res.status(204).end();
  });

  router.post('/jobs/:key/failure', async (req, res) => {
    const key = pathKey(req.params.key, 'jobKey');
    const b = new BodyReader(req.body ?? {});
    const retries = b.integer('retries', { min: 0 }) ?? 0;
    const errorMessage = b.string('errorMessage') ?? null;
    const retryBackOff = b.integer('retryBackOff', { min: 0 }) ?? 0;
    const variables = b.object('variables');
    b.done();
    await s.engine.execute(
      { type: 'job.fail', jobKey: key, retries, errorMessage, retryBackOffMs: retryBackOff, variables },
      actorOf(req),
    );
    if (retries > 0) setTimeout(() => s.jobs.notifyAvailable(''), retryBackOff).unref();
    res.status(204).end();
  });

  router.post('/jobs/:key/error', async (req, res) => {
    const key = pathKey(req.params.key, 'jobKey');
    const b = new BodyReader(req.body ?? {});
    const errorCode = b.string('errorCode', { required: true });
    const errorMessage = b.string('errorMessage') ?? null;
    const variables = b.object('variables');
    b.done();
    await s.engine.execute(
      { type: 'job.throw_error', jobKey: key, errorCode: errorCode!, errorMessage, variables },
      actorOf(req),
    );
    res.status(204).end();
  });
  return router;
}
