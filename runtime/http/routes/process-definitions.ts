import { Router } from 'express';
import { notFound } from '../problem.js';
import { registerReadRoutes } from '../search.js';
import { type AppServices, pathKey } from '../services.js';
import { processDefinitionView } from '../views.js';

const LATEST =
  'version = (select max(version) from process_definitions p2 where p2.tenant_id = process_definitions.tenant_id and p2.process_definition_id = process_definitions.process_definition_id)';

export function processDefinitionRoutes(s: AppServices): Router {
  const router = Router();
  registerReadRoutes(router, s.knex, {
    path: 'process-definitions',
    table: 'process_definitions',
    keyColumn: 'process_definition_key',
    keyName: 'processDefinitionKey',
    what: 'process definition',
    view: processDefinitionView,
    // Everyone in a tenant may read its process definitions (to start them, to read their forms).
    restrict: 'tenant-wide',
    // the XML is served on its own endpoint
    query: (knex) =>
      knex('process_definitions').select(
        'process_definition_key',
        'process_definition_id',
        'name',
        'resource_name',
        'version',
        'version_tag',
        'tenant_id',
      ),
    fields: {
      processDefinitionKey: { column: 'process_definition_key', type: 'key' },
      processDefinitionId: { column: 'process_definition_id' },
      name: { column: 'name' },
      version: { column: 'version', type: 'number' },
      versionTag: { column: 'version_tag' },
      resourceName: { column: 'resource_name' },
      tenantId: { column: 'tenant_id' },
      isLatestVersion: {
        column: 'version',
        filter: (q, v) => (v === true ? q.whereRaw(LATEST) : v === false ? q.whereRaw(`not (${LATEST})`) : q),
      },
    },
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
