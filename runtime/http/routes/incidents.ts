import { Router } from 'express';
import { notFound } from '../problem.js';
import { search } from '../search.js';
import { type AppServices, actorOf, pathKey } from '../services.js';
import { incidentView } from '../views.js';

const FIELDS = {
  incidentKey: { column: 'incident_key', type: 'key' as const },
  processDefinitionKey: { column: 'process_definition_key', type: 'key' as const },
  processDefinitionId: { column: 'process_definition_id' },
  processInstanceKey: { column: 'process_instance_key', type: 'key' as const },
  elementInstanceKey: { column: 'element_instance_key', type: 'key' as const },
  elementId: { column: 'element_id' },
  jobKey: { column: 'job_key', type: 'key' as const },
  errorType: { column: 'error_type' },
  errorMessage: { column: 'error_message' },
  state: { column: 'state' },
  creationTime: { column: 'creation_time', type: 'date' as const },
  tenantId: { column: 'tenant_id' },
};

export function incidentRoutes(s: AppServices): Router {
  const router = Router();
  router.post('/incidents/search', async (req, res) => {
    const base = s.knex('incidents').select('*').whereIn('tenant_id', req.principal!.tenantIds);
    res.json(await search(base, FIELDS, req.body, incidentView, [{ column: 'incident_key', order: 'asc' }]));
  });
  router.get('/incidents/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'incidentKey');
    const row = await s
      .knex('incidents')
      .where({ incident_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find incident with key <${key}>, but none was found`);
    res.json(incidentView(row));
  });
  router.post('/incidents/:key/resolution', async (req, res) => {
    const key = pathKey(req.params.key, 'incidentKey');
    await s.engine.execute({ type: 'incident.resolve', incidentKey: key }, actorOf(req));
    res.status(204).end();
  });
  return router;
}
