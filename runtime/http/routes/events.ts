import { Router } from 'express';
import { requireCapability } from '../../auth/access.js';
import { type AppServices, actorOf, BodyReader, targetTenant } from '../services.js';

/** Messages and signals from outside: Camunda's /messages/correlation, /messages/publication, /signals/broadcast. */
export function eventRoutes(s: AppServices): Router {
  const router = Router();
  const tenantOf = (req: any, tenantId: string | undefined) => targetTenant(req, tenantId);

  router.post('/messages/correlation', async (req, res) => {
    requireCapability(req.principal!, 'send-events', 'send messages');
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    const correlationKey = b.string('correlationKey') ?? null;
    const variables = b.object('variables');
    const tenantId = b.string('tenantId');
    b.done();
    res.json(
      await s.events.correlate(
        { name: name!, correlationKey, variables, tenantId: tenantOf(req, tenantId) },
        actorOf(req),
      ),
    );
  });

  router.post('/messages/publication', async (req, res) => {
    requireCapability(req.principal!, 'send-events', 'send messages');
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    const correlationKey = b.string('correlationKey') ?? null;
    const variables = b.object('variables');
    const timeToLive = b.integer('timeToLive', { min: 0, max: 365 * 24 * 3600 * 1000 }) ?? 0;
    const messageId = b.string('messageId') ?? null;
    const tenantId = b.string('tenantId');
    b.done();
    res.json(
      await s.events.publish(
        { name: name!, correlationKey, variables, timeToLive, messageId, tenantId: tenantOf(req, tenantId) },
        actorOf(req),
      ),
    );
  });

  router.post('/signals/broadcast', async (req, res) => {
    requireCapability(req.principal!, 'send-events', 'broadcast signals');
    const b = new BodyReader(req.body ?? {});
    const signalName = b.string('signalName', { required: true });
    const variables = b.object('variables');
    const tenantId = b.string('tenantId');
    b.done();
    res.json(
      await s.events.broadcast(
        { signalName: signalName!, variables, tenantId: tenantOf(req, tenantId) },
        actorOf(req),
      ),
    );
  });
  return router;
}
