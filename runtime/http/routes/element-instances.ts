import { Router } from 'express';
import { notFound } from '../problem.js';
import { search } from '../search.js';
import { type AppServices, pathKey } from '../services.js';
import { elementInstanceView, variableView } from '../views.js';

const ELEMENT_FIELDS = {
  elementInstanceKey: { column: 'element_instance_key', type: 'key' as const },
  processInstanceKey: { column: 'process_instance_key', type: 'key' as const },
  processDefinitionKey: { column: 'process_definition_key', type: 'key' as const },
  processDefinitionId: { column: 'process_definition_id' },
  elementId: { column: 'element_id' },
  elementName: { column: 'element_name' },
  state: { column: 'state' },
  incidentKey: { column: 'incident_key', type: 'key' as const },
  tenantId: { column: 'tenant_id' },
};

const VARIABLE_FIELDS = {
  variableKey: { column: 'variable_key', type: 'key' as const },
  name: { column: 'name' },
  scopeKey: { column: 'scope_key', type: 'key' as const },
  processInstanceKey: { column: 'process_instance_key', type: 'key' as const },
  tenantId: { column: 'tenant_id' },
};

/** Element instances and variables: read-only views of the runtime state. */
export function elementInstanceRoutes(s: AppServices): Router {
  const router = Router();
  router.post('/element-instances/search', async (req, res) => {
    const body = { ...(req.body ?? {}) };
    const base = s.knex('element_instances').select('*').whereIn('tenant_id', req.principal!.tenantIds);
    if (body.filter?.type) {
      const { type, ...rest } = body.filter;
      const bpmn = `bpmn:${String(type)
        .toLowerCase()
        .replace(/(^|_)([a-z])/g, (_m: string, _p: string, c: string) => c.toUpperCase())}`;
      base.where('element_type', bpmn);
      body.filter = rest;
    }
    res.json(
      await search(base, ELEMENT_FIELDS, body, elementInstanceView, [
        { column: 'element_instance_key', order: 'asc' },
      ]),
    );
  });
  router.get('/element-instances/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'elementInstanceKey');
    const row = await s
      .knex('element_instances')
      .where({ element_instance_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find element instance with key <${key}>, but none was found`);
    res.json(elementInstanceView(row));
  });
  router.post('/variables/search', async (req, res) => {
    const base = s.knex('variables').select('*').whereIn('tenant_id', req.principal!.tenantIds);
    res.json(
      await search(base, VARIABLE_FIELDS, req.body, variableView, [{ column: 'variable_key', order: 'asc' }]),
    );
  });
  router.get('/variables/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'variableKey');
    const row = await s
      .knex('variables')
      .where({ variable_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find variable with key <${key}>, but none was found`);
    res.json(variableView(row));
  });
  return router;
}
