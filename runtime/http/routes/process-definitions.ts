import { Router } from 'express';
import { notFound } from '../problem.js';
import { search } from '../search.js';
import { type AppServices, pathKey } from '../services.js';
import { processDefinitionView } from '../views.js';

const FIELDS = {
  processDefinitionKey: { column: 'process_definition_key', type: 'key' as const },
  processDefinitionId: { column: 'process_definition_id' },
  name: { column: 'name' },
  version: { column: 'version', type: 'number' as const },
  versionTag: { column: 'version_tag' },
  resourceName: { column: 'resource_name' },
  tenantId: { column: 'tenant_id' },
};

export function processDefinitionRoutes(s: AppServices): Router {
  const router = Router();
  router.post('/process-definitions/search', async (req, res) => {
    const body = req.body ?? {};
    const base = s.knex('process_definitions').select('*').whereIn('tenant_id', req.principal!.tenantIds);
    if (body.filter?.isLatestVersion === true) {
      delete body.filter.isLatestVersion;
      base.whereRaw(
        'version = (select max(version) from process_definitions p2 where p2.tenant_id = process_definitions.tenant_id and p2.process_definition_id = process_definitions.process_definition_id)',
      );
    }
    res.json(
      await search(base, FIELDS, body, processDefinitionView, [
        { column: 'process_definition_key', order: 'asc' },
      ]),
    );
  });
  router.get('/process-definitions/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'processDefinitionKey');
    const row = await s
      .knex('process_definitions')
      .where({ process_definition_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find process definition with key <${key}>, but none was found`);
    res.json(processDefinitionView(row));
  });
  router.get('/process-definitions/:key/xml', async (req, res) => {
    const key = pathKey(req.params.key, 'processDefinitionKey');
    const xml = await s.definitions.getXml(key, req.principal!.tenantIds);
    if (xml === null)
      throw notFound(`expected to find process definition with key <${key}>, but none was found`);
    res.type('text/xml').send(xml);
  });
  return router;
}
