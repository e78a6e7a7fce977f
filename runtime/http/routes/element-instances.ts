import { requireCapability, restrictToReadableInstances } from '../../auth/access.js';
import { Router } from 'express';
import { registerReadRoutes } from '../search.js';
import { type AppServices, actorOf, BodyReader, pathKey } from '../services.js';
import { elementInstanceView, variableView } from '../views.js';

/** `USER_TASK` -> `bpmn:UserTask` */
const bpmnType = (apiType: unknown) =>
  `bpmn:${String(apiType)
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m: string, _p: string, c: string) => c.toUpperCase())}`;

/** Element instances and variables: read-only views of the runtime state. */
export function elementInstanceRoutes(s: AppServices): Router {
  const router = Router();
  registerReadRoutes(router, s.knex, {
    path: 'element-instances',
    table: 'element_instances',
    keyColumn: 'element_instance_key',
    keyName: 'elementInstanceKey',
    what: 'element instance',
    view: elementInstanceView,
    restrict: (q, subject) => restrictToReadableInstances(q, subject, 'process_instance_key'),
    fields: {
      elementInstanceKey: { column: 'element_instance_key', type: 'key' },
      processInstanceKey: { column: 'process_instance_key', type: 'key' },
      processDefinitionKey: { column: 'process_definition_key', type: 'key' },
      processDefinitionId: { column: 'process_definition_id' },
      elementId: { column: 'element_id' },
      elementName: { column: 'element_name' },
      type: { column: 'element_type', filter: (q, v) => q.where('element_type', bpmnType(v)) },
      state: { column: 'state' },
      incidentKey: { column: 'incident_key', type: 'key' },
      tenantId: { column: 'tenant_id' },
    },
  });
  registerReadRoutes(router, s.knex, {
    path: 'variables',
    table: 'variables',
    keyColumn: 'variable_key',
    keyName: 'variableKey',
    what: 'variable',
    view: variableView,
    restrict: (q, subject) => restrictToReadableInstances(q, subject, 'process_instance_key'),
    fields: {
      variableKey: { column: 'variable_key', type: 'key' },
      name: { column: 'name' },
      scopeKey: { column: 'scope_key', type: 'key' },
      processInstanceKey: { column: 'process_instance_key', type: 'key' },
      tenantId: { column: 'tenant_id' },
    },
  });
  /** Camunda's variable update: set variables on an element instance's scope (or propagate them). */
  router.put('/element-instances/:key/variables', async (req, res) => {
    const key = pathKey(req.params.key, 'elementInstanceKey');
    requireCapability(req.principal!, 'manage-instances', 'change variables');
    const b = new BodyReader(req.body ?? {});
    const variables = b.object('variables');
    const local = b.boolean('local') ?? false;
    if (!req.body?.variables) b.errors.push({ field: 'variables', reason: 'is required' });
    b.done();
    await s.engine.execute({ type: 'variables.set', scopeKey: key, variables, local }, actorOf(req));
    res.status(204).end();
  });
  return router;
}
