import { type Request, Router } from 'express';
import type { Knex } from 'knex';
import { requireCapability } from '../../auth/access.js';
import { checkId } from '../../services/identity-service.js';
import { USER_FIELDS, userView } from './identity.js';
import { badRequest, conflict, notFound } from '../problem.js';
import { type FieldSpec, search } from '../search.js';
import { type AppServices, actorOf, BodyReader, pathKey, targetTenant } from '../services.js';

const view = (r: any) => ({
  departmentKey: String(r.department_key),
  tenantId: r.tenant_id,
  departmentId: r.department_id,
  name: r.name,
  parentId: r.parent_id ?? null,
  head: r.head ?? null,
});

const FIELDS: Record<string, FieldSpec> = {
  departmentId: { column: 'department_id' },
  name: { column: 'name' },
  parentId: { column: 'parent_id' },
  head: { column: 'head' },
  tenantId: { column: 'tenant_id' },
};

/**
 * Lifeflow: the org chart (组织架构) of a tenant — departments in a tree, each with a head
 * (部门负责人), and their members — which approval routing by department head uses. Everyone in a
 * tenant may read it; administrators change it.
 */
export function departmentRoutes(s: AppServices): Router {
  const router = Router();
  const find = async (req: Request, db: Knex = s.knex) => {
    const key = pathKey(req.params.key as string, 'departmentKey');
    const row = await db('departments')
      .where({ department_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find department with key <${key}>, but none was found`);
    return row;
  };
  // Inside a transaction, use it: the embedded database has one connection.
  const isTenantUser = async (tenantId: string, username: string, db: Knex = s.knex) =>
    !!(await s.identity.usersIn([tenantId], db).andWhere('users.username', username).first('users.username'));

  /** Parent and head must exist in the tenant; a parent may not be the department or below it. */
  const checkLinks = async (
    db: Knex,
    tenantId: string,
    departmentId: string,
    parentId: string | null,
    head: string | null,
  ) => {
    if (head && !(await isTenantUser(tenantId, head, db)))
      throw badRequest(`expected head <${head}> to be a user of the tenant`, [
        { field: 'head', reason: 'is not a user of the tenant' },
      ]);
    for (let id = parentId, depth = 0; id; depth++) {
      if (id === departmentId || depth > 100)
        throw badRequest('a department cannot be placed below itself', [
          { field: 'parentId', reason: 'would make a cycle' },
        ]);
      const parent = await db('departments')
        .where({ tenant_id: tenantId, department_id: id })
        .first('parent_id');
      if (!parent)
        throw badRequest(`expected parent <${id}> to be a department of the tenant`, [
          { field: 'parentId', reason: 'is not a department of the tenant' },
        ]);
      id = parent.parent_id;
    }
  };

  router.post('/departments/search', async (req, res) => {
    res.json(
      await search(
        s.knex('departments').whereIn('tenant_id', req.principal!.tenantIds).select('*'),
        FIELDS,
        req.body,
        view,
        [{ column: 'department_key', order: 'asc' }],
      ),
    );
  });

  router.post('/departments', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'create departments');
    const b = new BodyReader(req.body ?? {});
    const departmentId = b.string('departmentId', { required: true });
    const name = b.string('name', { required: true });
    const parentId = b.string('parentId') ?? null;
    const head = b.string('head') ?? null;
    const tenantId = targetTenant(req, b.string('tenantId'));
    b.done();
    checkId('departmentId', departmentId);
    const row = await s.knex.transaction(async (trx) => {
      if (
        await trx('departments')
          .where({ tenant_id: tenantId, department_id: departmentId })
          .first('department_key')
      )
        throw conflict(`the tenant already has a department <${departmentId}>`);
      await checkLinks(trx, tenantId, departmentId!, parentId, head);
      const [inserted] = await trx('departments')
        .insert({
          department_key: s.nextKey(),
          tenant_id: tenantId,
          department_id: departmentId,
          name,
          parent_id: parentId,
          head,
        })
        .returning('*');
      return inserted;
    });
    res.status(201).json(view(row));
  });

  router.get('/departments/:key', async (req, res) => {
    res.json(view(await find(req)));
  });

  router.put('/departments/:key', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'change departments');
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    const parentId = b.string('parentId') ?? null;
    const head = b.string('head') ?? null;
    b.done();
    const row = await s.knex.transaction(async (trx) => {
      const dept = await find(req, trx);
      await checkLinks(trx, dept.tenant_id, dept.department_id, parentId, head);
      const [updated] = await trx('departments')
        .where({ department_key: dept.department_key })
        .update({ name, parent_id: parentId, head })
        .returning('*');
      return updated;
    });
    res.json(view(row));
  });

  router.delete('/departments/:key', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'delete departments');
    await s.knex.transaction(async (trx) => {
      const dept = await find(req, trx);
      if (
        await trx('departments')
          .where({ tenant_id: dept.tenant_id, parent_id: dept.department_id })
          .first('department_key')
      )
        throw conflict(`department <${dept.department_id}> still has departments below it`);
      await trx('department_members')
        .where({ tenant_id: dept.tenant_id, department_id: dept.department_id })
        .delete();
      await trx('departments').where({ department_key: dept.department_key }).delete();
    });
    res.status(204).end();
  });

  router.put('/departments/:key/users/:username', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'change department members');
    const dept = await find(req);
    const username = req.params.username;
    if (!(await isTenantUser(dept.tenant_id, username)))
      throw notFound(`expected to find user with username <${username}>, but none was found`);
    await s
      .knex('department_members')
      .insert({ tenant_id: dept.tenant_id, department_id: dept.department_id, username })
      .onConflict(['tenant_id', 'department_id', 'username'])
      .ignore();
    res.status(204).end();
  });

  router.delete('/departments/:key/users/:username', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'change department members');
    const dept = await find(req);
    const n = await s
      .knex('department_members')
      .where({ tenant_id: dept.tenant_id, department_id: dept.department_id, username: req.params.username })
      .delete();
    if (!n)
      throw notFound(
        `expected user <${req.params.username}> to be a member of department <${dept.department_id}>`,
      );
    res.status(204).end();
  });

  router.post('/departments/:key/users/search', async (req, res) => {
    const dept = await find(req);
    const subject = actorOf(req);
    const base = s.identity
      .usersIn(subject.tenantIds)
      .whereIn(
        'users.username',
        s
          .knex('department_members')
          .where({ tenant_id: dept.tenant_id, department_id: dept.department_id })
          .select('username'),
      )
      .select('users.*');
    // The same shape and filters as the user search.
    res.json(
      await search(base, USER_FIELDS, req.body, userView, [{ column: 'users.username', order: 'asc' }]),
    );
  });

  return router;
}
