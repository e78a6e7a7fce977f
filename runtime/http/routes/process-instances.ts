import {
  findReadableInstance,
  mayStart,
  requireCapability,
  restrictToReadableInstances,
} from '../../auth/access.js';
import { Router } from 'express';
import { buildApprovalRecord, elementsOfCompiled, loadRecordSource } from '../../records/approval-record.js';
import { badRequest, forbidden } from '../problem.js';
import { type FieldSpec, registerReadRoutes } from '../search.js';
import { type AppServices, actorOf, BodyReader, pathKey, tenantScope } from '../services.js';
import { processInstanceView } from '../views.js';

const FIELDS: Record<string, FieldSpec> = {
  processInstanceKey: { column: 'process_instances.process_instance_key', type: 'key' },
  processDefinitionKey: { column: 'process_instances.process_definition_key', type: 'key' },
  processDefinitionId: { column: 'process_instances.process_definition_id' },
  processDefinitionVersion: {
    column: 'process_instances.process_definition_version',
    type: 'number' as const,
  },
  state: { column: 'process_instances.state' },
  hasIncident: { column: 'process_instances.has_incident', type: 'boolean' },
  businessKey: { column: 'process_instances.business_key' },
  initiator: { column: 'process_instances.initiator' },
  parentProcessInstanceKey: { column: 'process_instances.parent_process_instance_key', type: 'key' },
  startDate: { column: 'process_instances.start_date', type: 'date' },
  endDate: { column: 'process_instances.end_date', type: 'date' },
  tenantId: { column: 'process_instances.tenant_id' },
};

export function processInstanceRoutes(s: AppServices): Router {
  const router = Router();
  registerReadRoutes(router, s.knex, {
    path: 'process-instances',
    table: 'process_instances',
    keyColumn: 'process_instances.process_instance_key',
    keyName: 'processInstanceKey',
    what: 'process instance',
    view: processInstanceView,
    fields: FIELDS,
    tenantColumn: 'process_instances.tenant_id',
    restrict: (q, subject) =>
      restrictToReadableInstances(q, subject, 'process_instances.process_instance_key'),
    query: (knex) =>
      knex('process_instances')
        .leftJoin(
          'process_definitions as d',
          'd.process_definition_key',
          'process_instances.process_definition_key',
        )
        .select('process_instances.*', 'd.name as process_definition_name'),
  });

  router.post('/process-instances', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const processDefinitionKey = b.key('processDefinitionKey');
    const processDefinitionId = b.string('processDefinitionId');
    const version = b.integer('processDefinitionVersion', { min: -1 });
    const variables = b.object('variables');
    const tenantId = b.string('tenantId');
    const businessKey = b.string('businessKey');
    // Lifeflow: 发起人自选, the approvers the initiator picks, by approval element id.
    const approvers = b.object('approvers');
    if (!processDefinitionKey && !processDefinitionId && !b.errors.length) {
      b.errors.push({
        field: 'processDefinitionId',
        reason: 'one of processDefinitionKey or processDefinitionId is required',
      });
    }
    b.done();
    const tenantIds = tenantScope(req, tenantId);
    const actor = actorOf(req);
    requireCapability(actor, 'start-instances', 'start process instances');
    const def = await s.definitions.findDefinition({
      processDefinitionKey,
      processDefinitionId,
      version: version === -1 ? undefined : version,
      tenantIds,
    });
    if (def && !(await mayStart(s.knex, actor, def.tenantId, def.processDefinitionId)))
      throw forbidden(
        `you may not start process <${def.processDefinitionId}>: no authorization grants it to you`,
      );
    const state = await s.engine.createInstance(
      { processDefinitionKey, processDefinitionId, version, tenantId, variables, businessKey, approvers },
      actor,
    );
    const i = state.instance;
    res.json({
      processDefinitionKey: i.processDefinitionKey,
      processDefinitionId: i.processDefinitionId,
      processDefinitionVersion: i.processDefinitionVersion,
      processInstanceKey: i.processInstanceKey,
      tenantId: i.tenantId,
      state: i.state,
    });
  });

  router.post('/process-instances/:key/cancellation', async (req, res) => {
    const key = pathKey(req.params.key, 'processInstanceKey');
    requireCapability(req.principal!, 'manage-instances', 'cancel process instances');
    // Cancelling cascades both ways: a called child is cancelled through its root instance, which
    // cancels every instance it called.
    let root = key;
    for (let depth = 0; depth < 100; depth++) {
      const row = await s
        .knex('process_instances')
        .where({ process_instance_key: root })
        .whereIn('tenant_id', req.principal!.tenantIds)
        .first('parent_process_instance_key');
      if (!row?.parent_process_instance_key) break;
      root = String(row.parent_process_instance_key);
    }
    await s.engine.execute({ type: 'instance.cancel' }, actorOf(req), { processInstanceKey: root });
    res.status(204).end();
  });

  /** Lifeflow: 抄送, tell users and groups about the instance; they may then read it. */
  router.post('/process-instances/:key/cc', async (req, res) => {
    const key = pathKey(req.params.key, 'processInstanceKey');
    const b = new BodyReader(req.body ?? {});
    const users = b.stringArray('users') ?? [];
    const groups = b.stringArray('groups') ?? [];
    const comment = b.comment();
    b.done();
    res.json(await s.instanceOps.carbonCopy(key, { users, groups, comment }, actorOf(req)));
  });

  /** Lifeflow: 催办, remind whoever holds the open tasks (once per instance per 10 minutes). */
  router.post('/process-instances/:key/urge', async (req, res) => {
    const key = pathKey(req.params.key, 'processInstanceKey');
    const b = new BodyReader(req.body ?? {});
    const comment = b.comment();
    b.done();
    res.json(await s.instanceOps.urge(key, comment, actorOf(req)));
  });

  /** Lifeflow: 撤回, the initiator withdraws the request while nobody has acted on it yet. */
  router.post('/process-instances/:key/withdrawal', async (req, res) => {
    const key = pathKey(req.params.key, 'processInstanceKey');
    const b = new BodyReader(req.body ?? {});
    const comment = b.comment();
    b.done();
    await s.instanceOps.withdraw(key, comment, actorOf(req));
    res.status(204).end();
  });

  /**
   * Lifeflow addition: the audit trail of one instance, oldest first — every engine event — or,
   * with `?view=timeline`, the approval timeline: who did what, with comments, the field-level
   * changes of each submission, attachments, and for whom (代理).
   */
  router.get('/process-instances/:key/history', async (req, res) => {
    const key = pathKey(req.params.key, 'processInstanceKey');
    const view = req.query.view;
    if (view !== undefined && view !== 'events' && view !== 'timeline')
      throw badRequest('view must be events (default) or timeline', [
        { field: 'view', reason: 'must be events or timeline' },
      ]);
    await findReadableInstance(s.knex, req.principal!, key);
    if (view === 'timeline') {
      const source = await loadRecordSource(s.knex, key, {
        elements: async (definitionKey) => elementsOfCompiled(await s.definitions.getCompiled(definitionKey)),
        documents: true,
      });
      const items = source ? buildApprovalRecord(source, new Date(), { includeRouting: true }).timeline : [];
      res.json({ items, page: { totalItems: items.length } });
      return;
    }
    const rows = await s.knex('history_events').where({ process_instance_key: key }).orderBy('id');
    // One stored row per command; the API lists every transition with who caused it and when.
    const items = rows.flatMap((r: any) =>
      (r.events as Array<Record<string, unknown>>).map((e) => {
        const { type, elementId, ...data } = e;
        return {
          eventType: type,
          elementId: elementId ?? null,
          command: r.command,
          commandId: String(r.id),
          actor: r.actor,
          data,
          createdAt: new Date(r.created_at).toISOString(),
        };
      }),
    );
    res.json({ items, page: { totalItems: items.length } });
  });
  return router;
}
