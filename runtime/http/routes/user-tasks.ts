import { Router } from 'express';
import { restrictToOwnTasks, type Subject } from '../../auth/access.js';
import { notFound } from '../problem.js';
import { type FieldSpec, registerReadRoutes } from '../search.js';
import { type AppServices, actorOf, BodyReader, pathKey } from '../services.js';
import { userTaskView } from '../views.js';

const FIELDS: Record<string, FieldSpec> = {
  userTaskKey: { column: 'user_task_key', type: 'key' },
  state: { column: 'state' },
  assignee: { column: 'assignee' },
  elementId: { column: 'element_id' },
  name: { column: 'name' },
  candidateGroup: { column: 'candidate_groups', type: 'array' },
  candidateUser: { column: 'candidate_users', type: 'array' },
  processDefinitionKey: { column: 'process_definition_key', type: 'key' },
  processDefinitionId: { column: 'process_definition_id' },
  processInstanceKey: { column: 'process_instance_key', type: 'key' },
  elementInstanceKey: { column: 'element_instance_key', type: 'key' },
  formKey: { column: 'form_key', type: 'key' },
  priority: { column: 'priority', type: 'number' },
  dueDate: { column: 'due_date', type: 'date' },
  followUpDate: { column: 'follow_up_date', type: 'date' },
  creationDate: { column: 'creation_date', type: 'date' },
  completionDate: { column: 'completion_date', type: 'date' },
  tenantId: { column: 'tenant_id' },
};

export function userTaskRoutes(s: AppServices): Router {
  const router = Router();
  const find = async (key: string, subject: Subject) => {
    const row = await restrictToOwnTasks(
      s.knex('user_tasks').where({ user_task_key: key }).whereIn('tenant_id', subject.tenantIds),
      subject,
    ).first();
    if (!row) throw notFound(`expected to find user task with key <${key}>, but none was found`);
    return row;
  };

  registerReadRoutes(router, s.knex, {
    path: 'user-tasks',
    table: 'user_tasks',
    keyColumn: 'user_task_key',
    keyName: 'userTaskKey',
    what: 'user task',
    view: userTaskView,
    fields: FIELDS,
    restrict: (q, subject) => restrictToOwnTasks(q, subject),
  });

  router.get('/user-tasks/:key/form', async (req, res) => {
    const row = await find(pathKey(req.params.key, 'userTaskKey'), req.principal!);
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
    await s.tasks.assign(key, assignee!, allowOverride, actorOf(req));
    res.status(204).end();
  });

  router.delete('/user-tasks/:key/assignee', async (req, res) => {
    await s.tasks.unassign(pathKey(req.params.key, 'userTaskKey'), actorOf(req));
    res.status(204).end();
  });

  router.post('/user-tasks/:key/completion', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const variables = b.object('variables');
    b.done();
    await s.tasks.complete(key, variables, actorOf(req));
    res.status(204).end();
  });

  /** Lifeflow: 转办, the assignee hands the task to another user (it leaves their inbox). */
  router.post('/user-tasks/:key/transfer', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const assignee = b.string('assignee', { required: true });
    const comment = b.comment();
    b.done();
    await s.tasks.transfer(key, assignee!, comment, actorOf(req));
    res.status(204).end();
  });

  /** Lifeflow: 拿回, take back a task you completed while the next step is untouched. */
  router.post('/user-tasks/:key/takeback', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const comment = b.comment();
    b.done();
    await s.tasks.takeBack(key, comment, actorOf(req));
    res.status(204).end();
  });

  /** Lifeflow: 催办 one open task (its assignee or candidates are reminded); shares the instance's limit. */
  router.post('/user-tasks/:key/urge', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const comment = b.comment();
    b.done();
    const task = await s
      .knex('user_tasks')
      .where({ user_task_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first('process_instance_key');
    if (!task) throw notFound(`expected to find user task with key <${key}>, but none was found`);
    res.json(await s.instanceOps.urge(String(task.process_instance_key), comment, actorOf(req), key));
  });

  /** Lifeflow: 加签 / 减签, add signers to or remove pending signers from the task's approval. */
  router.post('/user-tasks/:key/signers', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const add = b.stringArray('add') ?? [];
    const remove = b.stringArray('remove') ?? [];
    const comment = b.comment();
    const position = b.string('position');
    if (add.length + remove.length > 100)
      b.errors.push({ field: 'add', reason: 'at most 100 signers at once' });
    if (position !== undefined && !['alongside', 'before', 'after', 'end'].includes(position))
      b.errors.push({ field: 'position', reason: 'must be alongside, before, after or end' });
    b.done();
    await s.tasks.changeSigners(
      key,
      {
        add: [...new Set(add)],
        remove: [...new Set(remove)],
        comment,
        position: position as 'alongside' | 'before' | 'after' | 'end' | undefined,
      },
      actorOf(req),
    );
    res.status(204).end();
  });

  /** Lifeflow: 委派, lend the task to a delegate who resolves it back to you. */
  router.post('/user-tasks/:key/delegation', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const delegate = b.string('delegate', { required: true });
    const comment = b.comment();
    b.done();
    await s.tasks.delegate(key, delegate!, comment, actorOf(req));
    res.status(204).end();
  });

  /** Lifeflow: the delegate resolves a delegated task back to its owner. */
  router.post('/user-tasks/:key/resolution', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const variables = b.object('variables');
    const comment = b.comment();
    b.done();
    await s.tasks.resolve(key, variables, comment, actorOf(req));
    res.status(204).end();
  });

  /** Lifeflow: 退回, send the task back to an earlier user task (`previous` or its element id). */
  router.post('/user-tasks/:key/return', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const target = b.string('target') ?? 'previous';
    const comment = b.comment({ required: true });
    b.done();
    await s.tasks.returnTask(key, target, comment ?? '', actorOf(req));
    res.status(204).end();
  });

  /** Lifeflow: an approver's decision on an approval task (approve, or reject with a comment). */
  router.post('/user-tasks/:key/decision', async (req, res) => {
    const key = pathKey(req.params.key, 'userTaskKey');
    const b = new BodyReader(req.body ?? {});
    const decision = b.string('decision', { required: true });
    const comment = b.comment();
    const variables = b.object('variables');
    // 审批人自选: the approvers this approver picks for the next approval nodes, by element id.
    const nextApprovers = b.object('nextApprovers');
    if (decision !== undefined && decision !== 'approve' && decision !== 'reject')
      b.errors.push({ field: 'decision', reason: 'must be approve or reject' });
    b.done();
    await s.tasks.decide(
      key,
      decision as 'approve' | 'reject',
      comment,
      variables,
      actorOf(req),
      nextApprovers,
    );
    res.status(204).end();
  });
  return router;
}
