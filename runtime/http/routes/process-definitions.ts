import { Router } from 'express';
import { notFound } from '../problem.js';
import { registerReadRoutes } from '../search.js';
import { iso } from '../../persistence/rows.js';
import { type AppServices, BodyReader, pathKey } from '../services.js';
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
      // Lifeflow: false for the processes of a module disabled in their tenant (not startable there).
      startable: {
        column: 'process_definition_id',
        filter: (q, v) => {
          const disabled = (sub: any) =>
            sub
              .select(s.knex.raw('1'))
              .from('disabled_processes as dp')
              .whereRaw('dp.tenant_id = process_definitions.tenant_id')
              .whereRaw('dp.process_definition_id = process_definitions.process_definition_id');
          return v === true ? q.whereNotExists(disabled) : v === false ? q.whereExists(disabled) : q;
        },
      },
    },
  });
  // The designer's process list: every version with who deployed it, when, and its instances.
  router.post('/process-definitions/statistics', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const filter = b.object('filter');
    const page = new BodyReader(b.object('page'));
    const from = page.integer('from', { min: 0 }) ?? 0;
    const limit = page.integer('limit', { min: 1, max: 1000 }) ?? 1000;
    b.errors.push(...page.errors.map((e) => ({ ...e, field: `page.${e.field}` })));
    b.done();
    const f = new BodyReader(filter);
    const id = f.string('processDefinitionId');
    const tenantId = f.string('tenantId');
    for (const name of Object.keys(filter))
      if (!['processDefinitionId', 'tenantId'].includes(name))
        f.errors.push({
          field: `filter.${name}`,
          reason: 'is not a filter; expected processDefinitionId, tenantId',
        });
    for (const e of f.errors) if (!e.field.startsWith('filter.')) e.field = `filter.${e.field}`;
    f.done();
    const k = s.knex;
    const counts = k('process_instances')
      .select('process_definition_key')
      .select(
        k.raw("count(*) filter (where state = 'ACTIVE') as active"),
        k.raw("count(*) filter (where state = 'COMPLETED') as completed"),
        k.raw("count(*) filter (where state in ('CANCELED', 'TERMINATED')) as canceled"),
        k.raw("count(*) filter (where state = 'ACTIVE' and has_incident) as incidents"),
      )
      .whereIn('tenant_id', req.principal!.tenantIds)
      .groupBy('process_definition_key')
      .as('c');
    const q = k('process_definitions as d')
      .join('deployments as dep', 'dep.deployment_key', 'd.deployment_key')
      .leftJoin(counts, 'c.process_definition_key', 'd.process_definition_key')
      .whereIn('d.tenant_id', req.principal!.tenantIds)
      .select(
        'd.process_definition_key',
        'd.process_definition_id',
        'd.name',
        'd.resource_name',
        'd.version',
        'd.version_tag',
        'd.tenant_id',
        'd.deployment_key',
        'd.created_at',
        'dep.created_by',
        'c.active',
        'c.completed',
        'c.canceled',
        'c.incidents',
      )
      .orderBy([
        { column: 'd.process_definition_id', order: 'asc' },
        { column: 'd.version', order: 'desc' },
      ]);
    if (id !== undefined) q.where('d.process_definition_id', id);
    if (tenantId !== undefined) q.where('d.tenant_id', tenantId);
    const [rows, total] = await Promise.all([
      q.clone().offset(from).limit(limit),
      q.clone().clearSelect().clearOrder().count({ n: '*' }).first(),
    ]);
    res.json({
      items: rows.map((r: any) => ({
        ...processDefinitionView(r),
        deploymentKey: String(r.deployment_key),
        deployedAt: iso(r.created_at),
        deployedBy: r.created_by ?? null,
        instances: {
          active: Number(r.active ?? 0),
          completed: Number(r.completed ?? 0),
          canceled: Number(r.canceled ?? 0),
          incidents: Number(r.incidents ?? 0),
        },
      })),
      page: { totalItems: Number((total as any)?.n ?? 0) },
    });
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
