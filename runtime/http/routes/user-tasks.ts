import { Router } from 'express';
import { validateForm } from '../../forms/validate-form.js';
import { badRequest, notFound } from '../problem.js';
import { search } from '../search.js';
import { type AppServices, actorOf, BodyReader, pathKey } from '../services.js';
import { userTaskView } from '../views.js';

const FIELDS = {
  userTaskKey: { column: 'user_task_key', type: 'key' as const },
  state: { column: 'state' },
  assignee: { column: 'assignee' },
  elementId: { column: 'element_id' },
  name: { column: 'name' },
  candidateGroup: { column: 'candidate_groups', type: 'array' as const },
  candidateUser: { column: 'candidate_users', type: 'array' as const },
  processDefinitionKey: { column: 'process_definition_key', type: 'key' as const },
  processDefinitionId: { column: 'process_definition_id' },
  processInstanceKey: { column: 'process_instance_key', type: 'key' as const },
  elementInstanceKey: { column: 'element_instance_key', type: 'key' as const },
  formKey: { column: 'form_key', type: 'key' as const },
  priority: { column: 'priority', type: 'number' as const },
  dueDate: { column: 'due_date', type: 'date' as const },
  followUpDate: { column: 'follow_up_date', type: 'date' as const },
  creationDate: { column: 'creation_date', type: 'date' as const },
  completionDate: { column: 'completion_date', type: 'date' as const },
  tenantId: { column: 'tenant_id' },
};

export function userTaskRoutes(s: AppServices): Router {
  const router = Router();
  const find = async (key: string, tenantIds: string[]) => {
    const row = await s
      .knex('user_tasks')
      .where({ user_task_key: key })
      .whereIn('tenant_id', tenantIds)
      .first();
    if (!row) throw notFound(`expected to find user task with key <${key}>, but none was found`);
    return row;
  };

  router.post('/user-tasks/search', async (req, res) => {
    const base = s.knex('user_tasks').select('*').whereIn('tenant_id', req.principal!.tenantIds);
    res.json(await search(base, FIELDS, req.body, userTaskView, [{ column: 'user_task_key', order: 'asc' }]));
  });

  router.get('/user-tasks/:key', async (req, res) => {
    res.json(userTaskView(await find(pathKey(req.params.key, 'userTaskKey'), req.principal!.tenantIds)));
  });

  router.get('/user-tasks/:key/form', async (req, res) => {
    const row = await find(pathKey(req.params.key, 'userTaskKey'), req.principal!.tenantIds);
    if (row.form_key) {
      const form = await s.definitions.getForm(String(row.form_key));
      if (!form)
        throw notFound(`the form <${row.form_id}> of user task <${row.user_task_key}> no longer exists`);
      return res.json({
        formKey: form.formKey,
        formId: form.formId,
        version: form.version,
        tenantId: form.tenantId,
        schema: JSON.stringify(form.schema),
      });
    }
    if (row.embedded_form)
      return res.json({
        formKey: null,
        formId: row.embedded_form.id ?? null,
        version: null,
        tenantId: row.tenant_id,
        schema: JSON.stringify(row.embedded_form),
      });
    res.status(204).end();
  });

  router.post('/user-tasks/:key/assignment', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const assignee = b.string('assignee', { required: true });
    const allowOverride = b.boolean('allowOverride') ?? true;
    b.done();
    const exists = await s.knex('users').where({ username: assignee }).first('username');
    if (!exists)
      throw badRequest(`expected assignee <${assignee}> to be a user`, [
        { field: 'assignee', reason: 'is not a known user' },
      ]);
    await s.engine.execute(
      { type: 'task.assign', userTaskKey: key, assignee: assignee!, allowOverride },
      actorOf(req),
    );
    res.status(204).end();
  });

  router.delete('/user-tasks/:key/assignee', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    await s.engine.execute({ type: 'task.unassign', userTaskKey: key }, actorOf(req));
    res.status(204).end();
  });

  router.post('/user-tasks/:key/completion', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const variables = b.object('variables');
    b.done();
    const command = { type: 'task.complete' as const, userTaskKey: key, variables };
    await s.engine.execute(command, actorOf(req), {
      check: async (state, trx) => {
        const task = state.userTasks.get(key);
        if (!task) return;
        const schema = task.formKey
          ? (await s.definitions.getForm(task.formKey, trx))?.schema
          : task.embeddedForm;
        if (!schema) return;
        const result = validateForm(schema as any, variables);
        if (result.errors.length) {
          throw badRequest(
            `the submitted data does not satisfy the form: ${result.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
            result.errors.map((e) => ({ field: `variables.${e.field}`, reason: e.reason })),
          );
        }
        // Hidden fields are dropped: only what the form shows is stored.
        command.variables = result.data;
      },
    });
    res.status(204).end();
  });
  return router;
}
