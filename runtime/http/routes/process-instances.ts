import { whereVariableEquals } from '../../persistence/variable-filters.js';
import {
  findReadableInstance,
  mayStart,
  requireCapability,
  restrictToReadableInstances,
} from '../../auth/access.js';
import { Router } from 'express';
import { buildApprovalRecord, elementsOfCompiled, loadRecordSource } from '../../records/approval-record.js';
import { badRequest, type FieldError, forbidden } from '../problem.js';
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
  /**
   * Camunda's variable filter: `[{ name, value }]`, value as the variable's JSON text (a text HO-1
   * is `"\"HO-1\""`); an instance matches when it has every one (in any of its scopes).
   */
  variables: {
    column: 'process_instances.process_instance_key',
    filter: (q, raw) => {
      const errors: FieldError[] = [];
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > 10)
        throw badRequest('filter.variables must be an array of 1 to 10 { name, value }', [
          { field: 'filter.variables', reason: 'must be an array of 1 to 10 { name, value }' },
        ]);
      const wanted = raw.map((v, i) => {
        const at = `filter.variables[${i}]`;
        if (typeof v?.name !== 'string' || v.name === '')
          errors.push({ field: `${at}.name`, reason: 'must be a non-empty string' });
        let value: unknown;
        if (typeof v?.value !== 'string') errors.push({ field: `${at}.value`, reason: 'must be JSON text' });
        else
          try {
            value = JSON.parse(v.value);
          } catch {
            errors.push({ field: `${at}.value`, reason: 'is not valid JSON (a text is written ""HO-1"")' });
          }
        return { name: v?.name as string, value };
      });
      if (errors.length) throw badRequest('the variable filter is not valid', errors);
      for (const w of wanted)
        whereVariableEquals(q, 'process_instances.process_instance_key', w.name, w.value, 'any');
    },
  },
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

  /**
   * Camunda's process instance modification: activate elements (move a token = activate the
   * target and terminate the source), with variables on the activated element's scope.
   */
  router.post('/process-instances/:key/modification', async (req, res) => {
    const key = pathKey(req.params.key, 'processInstanceKey');
    requireCapability(req.principal!, 'manage-instances', 'modify process instances');
    const b = new BodyReader(req.body ?? {});
    const list = (field: string): Record<string, unknown>[] => {
      const v = b.body[field];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
        b.errors.push({ field, reason: 'must be an array of objects' });
        return [];
      }
      return v;
    };
    const activate = list('activateInstructions').map((raw, i) => {
      const a = new BodyReader(raw);
      const at = (f: string) => `activateInstructions[${i}].${f}`;
      const elementId = a.string('elementId', { required: true });
      const ancestorElementInstanceKey = a.key('ancestorElementInstanceKey');
      let variables: Record<string, unknown> = {};
      const vi = raw.variableInstructions;
      if (vi !== undefined && vi !== null) {
        if (!Array.isArray(vi)) a.errors.push({ field: 'variableInstructions', reason: 'must be an array' });
        else
          vi.forEach((v, j) => {
            const vars = v?.variables;
            if (typeof vars !== 'object' || vars === null || Array.isArray(vars))
              a.errors.push({ field: `variableInstructions[${j}].variables`, reason: 'must be an object' });
            else variables = { ...variables, ...vars };
          });
      }
      for (const e of a.errors) b.errors.push({ field: at(e.field), reason: e.reason });
      return { elementId: elementId ?? '', ancestorElementInstanceKey, variables };
    });
    const terminate = list('terminateInstructions').map((raw, i) => {
      const t = new BodyReader(raw);
      const k = t.key('elementInstanceKey', { required: true });
      for (const e of t.errors)
        b.errors.push({ field: `terminateInstructions[${i}].${e.field}`, reason: e.reason });
      return k ?? '';
    });
    if (activate.length === 0 && terminate.length === 0)
      b.errors.push({
        field: 'activateInstructions',
        reason: 'or terminateInstructions must name at least one element',
      });
    b.done();
    await findReadableInstance(s.knex, req.principal!, key);
    await s.engine.execute({ type: 'instance.modify', activate, terminate }, actorOf(req), {
      processInstanceKey: key,
    });
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
