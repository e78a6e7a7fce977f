import { requireCapability, restrictToReadableInstances } from '../../auth/access.js';
import { Router } from 'express';
import { registerReadRoutes } from '../search.js';
import { type AppServices, actorOf, pathKey } from '../services.js';
import { incidentView } from '../views.js';

export function incidentRoutes(s: AppServices): Router {
  const router = Router();
  registerReadRoutes(router, s.knex, {
    path: 'incidents',
    table: 'incidents',
    keyColumn: 'incident_key',
    keyName: 'incidentKey',
    what: 'incident',
    view: incidentView,
    restrict: (q, subject) => restrictToReadableInstances(q, subject, 'process_instance_key'),
    fields: {
      incidentKey: { column: 'incident_key', type: 'key' },
      processDefinitionKey: { column: 'process_definition_key', type: 'key' },
      processDefinitionId: { column: 'process_definition_id' },
      processInstanceKey: { column: 'process_instance_key', type: 'key' },
      elementInstanceKey: { column: 'element_instance_key', type: 'key' },
      elementId: { column: 'element_id' },
      jobKey: { column: 'job_key', type: 'key' },
      errorType: { column: 'error_type' },
      errorMessage: { column: 'error_message' },
      state: { column: 'state' },
      creationTime: { column: 'creation_time', type: 'date' },
      tenantId: { column: 'tenant_id' },
    },
  });
  router.post('/incidents/:key/resolution', async (req, res) => {
    const key = pathKey(req.params.key, 'incidentKey');
    requireCapability(req.principal!, 'manage-instances', 'resolve incidents');
    await s.engine.execute({ type: 'incident.resolve', incidentKey: key }, actorOf(req));
    res.status(204).end();
  });
  return router;
}
