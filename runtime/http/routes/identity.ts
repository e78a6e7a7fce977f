import { type Request, Router } from 'express';
import { can, OWNER_TYPES, PERMISSION_TYPES, RESOURCE_TYPES, requireCapability } from '../../auth/access.js';
import { checkId } from '../../services/identity-service.js';
import { badRequest, conflict, notFound } from '../problem.js';
import { type FieldSpec, search } from '../search.js';
import { type AppServices, actorOf, BodyReader, pathKey } from '../services.js';

export const userView = (r: any) => ({
  username: r.username,
  name: r.name,
  email: r.email ?? null,
  enabled: r.enabled,
  locale: r.locale ?? 'zh-CN',
});
const groupView = (r: any) => ({ groupId: r.group_id, name: r.name, description: r.description ?? null });
const roleView = (r: any) => ({
  roleId: r.role_id,
  name: r.name,
  description: r.description ?? null,
  tenantId: r.tenant_id ?? null,
});
const tenantView = (r: any) => ({ tenantId: r.tenant_id, name: r.name, description: r.description ?? null });
const authorizationView = (r: any) => ({
  authorizationKey: String(r.authorization_key),
  tenantId: r.tenant_id,
  ownerId: r.owner_id,
  ownerType: r.owner_type,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  permissionTypes: r.permission_types,
});

export const USER_FIELDS: Record<string, FieldSpec> = {
  username: { column: 'users.username' },
  name: { column: 'users.name' },
  email: { column: 'users.email' },
  enabled: { column: 'users.enabled', type: 'boolean' },
};
const GROUP_FIELDS: Record<string, FieldSpec> = {
  groupId: { column: 'groups.group_id' },
  name: { column: 'groups.name' },
};
const ROLE_FIELDS: Record<string, FieldSpec> = {
  roleId: { column: 'roles.role_id' },
  name: { column: 'roles.name' },
};
const TENANT_FIELDS: Record<string, FieldSpec> = {
  tenantId: { column: 'tenants.tenant_id' },
  name: { column: 'tenants.name' },
};
const AUTHORIZATION_FIELDS: Record<string, FieldSpec> = {
  ownerId: { column: 'owner_id' },
  ownerType: { column: 'owner_type' },
  resourceType: { column: 'resource_type' },
  resourceId: { column: 'resource_id' },
  tenantId: { column: 'tenant_id' },
};

/** One plain address (no names, no lists): notifications are mailed to it. */
const PLAIN_ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
function readEmail(b: BodyReader): string | undefined {
  const email = b.string('email');
  if (email !== undefined && (email.length > 254 || !PLAIN_ADDRESS.test(email)))
    b.errors.push({ field: 'email', reason: 'must be one plain email address' });
  return email;
}

/** The language notifications are written in for a user: zh-CN (default) or en. */
function readLocale(b: BodyReader): string | undefined {
  const locale = b.string('locale');
  if (locale !== undefined && !['zh-CN', 'en'].includes(locale))
    b.errors.push({ field: 'locale', reason: 'must be zh-CN or en' });
  return locale;
}

const manage = (req: Request, action: string) => requireCapability(req.principal!, 'manage-identity', action);

/**
 * Users, groups, roles, tenants and authorizations in the shapes of Camunda 8's REST API v2.
 * Everyone may look up the users and groups of their tenants (to pick an assignee); only
 * administrators change anything, and only within their tenants.
 */
export function identityRoutes(s: AppServices): Router {
  const router = Router();
  const ids = s.identity;

  // ---- users ----------------------------------------------------------------------------------

  router.post('/users/search', async (req, res) => {
    const subject = actorOf(req);
    res.json(
      await search(ids.usersIn(subject.tenantIds).select('users.*'), USER_FIELDS, req.body, userView, [
        { column: 'users.username', order: 'asc' },
      ]),
    );
  });

  router.post('/users', async (req, res) => {
    manage(req, 'create users');
    const b = new BodyReader(req.body ?? {});
    const username = b.string('username', { required: true });
    const password = b.string('password', { required: true });
    const name = b.string('name') ?? username;
    const email = readEmail(b);
    const enabled = b.boolean('enabled');
    const tenantIds = b.stringArray('tenantIds');
    const locale = readLocale(b);
    b.done();
    const row = await ids.createUser(actorOf(req), {
      username: username!,
      password: password!,
      name: name!,
      email,
      enabled,
      tenantIds,
      locale,
    });
    res.status(201).json(userView(row));
  });

  router.get('/users/:username', async (req, res) => {
    res.json(userView(await ids.findUser(actorOf(req), req.params.username)));
  });

  router.put('/users/:username', async (req, res) => {
    const subject = actorOf(req);
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name');
    const email = b.body.email === null ? null : readEmail(b);
    const password = b.string('password');
    const currentPassword = b.string('currentPassword');
    const enabled = b.boolean('enabled');
    const locale = readLocale(b);
    b.done();
    const self = req.params.username === subject.username;
    // Changing one's own password always proves the current one, administrators included: a
    // stolen session must not lock the owner out.
    if (
      !can(subject, 'manage-identity') ||
      (self && (currentPassword !== undefined || password !== undefined))
    ) {
      if (!self) manage(req, 'change other users');
      if (enabled !== undefined)
        throw badRequest('only administrators enable or disable users', [
          { field: 'enabled', reason: 'only administrators may change it' },
        ]);
      res.json(
        userView(await ids.updateSelf(subject.username!, { name, email, password, currentPassword, locale })),
      );
      return;
    }
    res.json(
      userView(
        await ids.updateUser(subject, req.params.username, { name, email, password, enabled, locale }),
      ),
    );
  });

  router.delete('/users/:username', async (req, res) => {
    manage(req, 'delete users');
    await ids.deleteUser(actorOf(req), req.params.username);
    res.status(204).end();
  });

  // ---- groups ---------------------------------------------------------------------------------

  router.post('/groups/search', async (req, res) => {
    res.json(
      await search(
        ids.groupsIn(actorOf(req).tenantIds).select('groups.*'),
        GROUP_FIELDS,
        req.body,
        groupView,
        [{ column: 'groups.group_id', order: 'asc' }],
      ),
    );
  });

  router.post('/groups', async (req, res) => {
    manage(req, 'create groups');
    const b = new BodyReader(req.body ?? {});
    const groupId = b.string('groupId', { required: true });
    const name = b.string('name') ?? groupId;
    const description = b.string('description') ?? null;
    const tenantIds = b.stringArray('tenantIds');
    b.done();
    checkId('groupId', groupId);
    const tenants = ids.targetTenants(actorOf(req), tenantIds, 'tenantIds');
    const row = await s.knex.transaction(async (trx) => {
      if (await trx('groups').where({ group_id: groupId }).first('group_id'))
        throw conflict(`a group with id <${groupId}> already exists`);
      const [inserted] = await trx('groups')
        .insert({ group_key: s.nextKey(), group_id: groupId, name, description })
        .returning('*');
      for (const t of tenants) await ids.addMember('TENANT', t, 'GROUP', groupId!, trx);
      return inserted;
    });
    res.status(201).json(groupView(row));
  });

  router.get('/groups/:groupId', async (req, res) => {
    res.json(groupView(await ids.findGroup(actorOf(req), req.params.groupId)));
  });

  router.put('/groups/:groupId', async (req, res) => {
    manage(req, 'change groups');
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    const description = b.string('description') ?? null;
    b.done();
    await ids.managedGroup(actorOf(req), req.params.groupId);
    const [row] = await s
      .knex('groups')
      .where({ group_id: req.params.groupId })
      .update({ name, description })
      .returning('*');
    res.json(groupView(row));
  });

  router.delete('/groups/:groupId', async (req, res) => {
    manage(req, 'delete groups');
    const groupId = req.params.groupId;
    await s.knex.transaction(async (trx) => {
      await ids.managedGroup(actorOf(req), groupId, trx);
      const members = await trx('memberships').where({ container_type: 'GROUP', container_id: groupId });
      await trx('memberships')
        .where((q) =>
          q
            .where({ container_type: 'GROUP', container_id: groupId })
            .orWhere({ member_type: 'GROUP', member_id: groupId }),
        )
        .delete();
      await trx('authorizations').where({ owner_type: 'GROUP', owner_id: groupId }).delete();
      await trx('groups').where({ group_id: groupId }).delete();
      for (const m of members) {
        if ((await ids.tenantsOfUser(m.member_id, trx)).length === 0)
          throw conflict(`user <${m.member_id}> would belong to no tenant; move them to a tenant first`);
      }
    });
    res.status(204).end();
  });

  router.put('/groups/:groupId/users/:username', async (req, res) => {
    manage(req, 'change group members');
    const subject = actorOf(req);
    await ids.managedGroup(subject, req.params.groupId);
    await ids.userForGroupChange(subject, req.params.groupId, req.params.username);
    await ids.addMember('GROUP', req.params.groupId, 'USER', req.params.username);
    res.status(204).end();
  });

  router.delete('/groups/:groupId/users/:username', async (req, res) => {
    manage(req, 'change group members');
    const subject = actorOf(req);
    await s.knex.transaction(async (trx) => {
      await ids.managedGroup(subject, req.params.groupId, trx);
      await ids.userForGroupChange(subject, req.params.groupId, req.params.username, trx);
      const n = await ids.removeMember('GROUP', req.params.groupId, 'USER', req.params.username, trx);
      if (!n)
        throw notFound(
          `expected user <${req.params.username}> to be a member of group <${req.params.groupId}>, but it is not`,
        );
      if ((await ids.tenantsOfUser(req.params.username, trx)).length === 0)
        throw conflict(`user <${req.params.username}> would belong to no tenant; delete the user instead`);
    });
    res.status(204).end();
  });

  router.post('/groups/:groupId/users/search', async (req, res) => {
    const subject = actorOf(req);
    await ids.findGroup(subject, req.params.groupId);
    const base = ids
      .usersIn(subject.tenantIds)
      .whereIn(
        'users.username',
        s
          .knex('memberships')
          .where({ container_type: 'GROUP', container_id: req.params.groupId, member_type: 'USER' })
          .select('member_id'),
      )
      .select('users.*');
    res.json(
      await search(base, USER_FIELDS, req.body, userView, [{ column: 'users.username', order: 'asc' }]),
    );
  });

  // ---- roles ----------------------------------------------------------------------------------

  router.post('/roles/search', async (req, res) => {
    res.json(
      await search(ids.rolesIn(actorOf(req).tenantIds).select('roles.*'), ROLE_FIELDS, req.body, roleView, [
        { column: 'roles.role_id', order: 'asc' },
      ]),
    );
  });

  router.post('/roles', async (req, res) => {
    manage(req, 'create roles');
    const b = new BodyReader(req.body ?? {});
    const roleId = b.string('roleId', { required: true });
    const name = b.string('name') ?? roleId;
    const description = b.string('description') ?? null;
    const tenantId = b.string('tenantId');
    b.done();
    checkId('roleId', roleId);
    const [tenant] = ids.targetTenants(actorOf(req), tenantId ? [tenantId] : undefined, 'tenantId');
    const row = await s.knex.transaction(async (trx) => {
      if (await trx('roles').where({ role_id: roleId }).first('role_id'))
        throw conflict(`a role with id <${roleId}> already exists`);
      const [inserted] = await trx('roles')
        .insert({ role_id: roleId, name, description, tenant_id: tenant })
        .returning('*');
      return inserted;
    });
    res.status(201).json(roleView(row));
  });

  router.get('/roles/:roleId', async (req, res) => {
    res.json(roleView(await ids.findRole(actorOf(req), req.params.roleId)));
  });

  const customRole = async (req: Request) => {
    const role = await ids.findRole(actorOf(req), req.params.roleId as string);
    if (role.tenant_id === null)
      throw conflict(`role <${role.role_id}> is built in: it cannot be changed or deleted`);
    return role;
  };

  router.put('/roles/:roleId', async (req, res) => {
    manage(req, 'change roles');
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    const description = b.string('description') ?? null;
    b.done();
    await customRole(req);
    const [row] = await s
      .knex('roles')
      .where({ role_id: req.params.roleId })
      .update({ name, description })
      .returning('*');
    res.json(roleView(row));
  });

  router.delete('/roles/:roleId', async (req, res) => {
    manage(req, 'delete roles');
    await customRole(req);
    await s.knex.transaction(async (trx) => {
      await trx('memberships').where({ container_type: 'ROLE', container_id: req.params.roleId }).delete();
      await trx('authorizations').where({ owner_type: 'ROLE', owner_id: req.params.roleId }).delete();
      await trx('roles').where({ role_id: req.params.roleId }).delete();
    });
    res.status(204).end();
  });

  for (const member of ['users', 'groups'] as const) {
    const memberType = member === 'users' ? 'USER' : 'GROUP';
    const param = member === 'users' ? 'username' : 'groupId';
    const managed = (req: Request) =>
      member === 'users'
        ? ids.managedUser(actorOf(req), req.params.memberId as string)
        : ids.groupForRoleChange(actorOf(req), req.params.memberId as string);

    router.put(`/roles/:roleId/${member}/:memberId`, async (req, res) => {
      manage(req, 'assign roles');
      await ids.findRole(actorOf(req), req.params.roleId);
      await managed(req);
      await ids.addMember('ROLE', req.params.roleId, memberType, req.params.memberId);
      res.status(204).end();
    });

    router.delete(`/roles/:roleId/${member}/:memberId`, async (req, res) => {
      manage(req, 'unassign roles');
      await ids.findRole(actorOf(req), req.params.roleId);
      await managed(req);
      if (
        req.params.roleId === 'admin' &&
        memberType === 'USER' &&
        req.params.memberId === req.principal!.username
      )
        throw conflict('you cannot take the admin role from yourself; another administrator must');
      const n = await ids.removeMember('ROLE', req.params.roleId, memberType, req.params.memberId);
      if (!n)
        throw notFound(
          `expected ${param} <${req.params.memberId}> to have role <${req.params.roleId}>, but it has not`,
        );
      res.status(204).end();
    });

    router.post(`/roles/:roleId/${member}/search`, async (req, res) => {
      const subject = actorOf(req);
      await ids.findRole(subject, req.params.roleId);
      const members = s
        .knex('memberships')
        .where({ container_type: 'ROLE', container_id: req.params.roleId, member_type: memberType })
        .select('member_id');
      const base =
        member === 'users'
          ? ids.usersIn(subject.tenantIds).whereIn('users.username', members).select('users.*')
          : ids.groupsIn(subject.tenantIds).whereIn('groups.group_id', members).select('groups.*');
      res.json(
        member === 'users'
          ? await search(base, USER_FIELDS, req.body, userView, [{ column: 'users.username', order: 'asc' }])
          : await search(base, GROUP_FIELDS, req.body, groupView, [
              { column: 'groups.group_id', order: 'asc' },
            ]),
      );
    });
  }

  // ---- tenants --------------------------------------------------------------------------------

  router.post('/tenants/search', async (req, res) => {
    res.json(
      await search(
        s.knex('tenants').whereIn('tenants.tenant_id', actorOf(req).tenantIds).select('tenants.*'),
        TENANT_FIELDS,
        req.body,
        tenantView,
        [{ column: 'tenants.tenant_id', order: 'asc' }],
      ),
    );
  });

  router.post('/tenants', async (req, res) => {
    manage(req, 'create tenants');
    const b = new BodyReader(req.body ?? {});
    const tenantId = b.string('tenantId', { required: true });
    const name = b.string('name', { required: true });
    const description = b.string('description') ?? null;
    b.done();
    checkId('tenantId', tenantId);
    const row = await s.knex.transaction(async (trx) => {
      if (await trx('tenants').where({ tenant_id: tenantId }).first('tenant_id'))
        throw conflict(`a tenant with id <${tenantId}> already exists`);
      const [inserted] = await trx('tenants')
        .insert({ tenant_id: tenantId, name, description })
        .returning('*');
      // Whoever creates a tenant administers it.
      await ids.addMember('TENANT', tenantId!, 'USER', req.principal!.username, trx);
      return inserted;
    });
    res.status(201).json(tenantView(row));
  });

  router.get('/tenants/:tenantId', async (req, res) => {
    res.json(tenantView(await ids.findTenant(actorOf(req), req.params.tenantId)));
  });

  router.put('/tenants/:tenantId', async (req, res) => {
    manage(req, 'change tenants');
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    const description = b.string('description') ?? null;
    b.done();
    await ids.findTenant(actorOf(req), req.params.tenantId);
    const [row] = await s
      .knex('tenants')
      .where({ tenant_id: req.params.tenantId })
      .update({ name, description })
      .returning('*');
    res.json(tenantView(row));
  });

  router.delete('/tenants/:tenantId', async (req, res) => {
    manage(req, 'delete tenants');
    const tenantId = req.params.tenantId;
    await ids.findTenant(actorOf(req), tenantId);
    await s.knex.transaction(async (trx) => {
      // Whatever a tenant holds would pass to whoever creates a tenant of the same id later
      // (webhooks and their delivery logs, templates, documents): refused while it holds any.
      for (const table of [
        'process_definitions',
        'process_instances',
        'forms',
        'rule_sets',
        'documents',
        'webhooks',
        'notification_templates',
      ]) {
        if (await trx(table).where({ tenant_id: tenantId }).first('tenant_id'))
          throw conflict(
            `tenant <${tenantId}> still holds ${table.replaceAll('_', ' ')}; it cannot be deleted`,
          );
      }
      const users = await trx('memberships').where({ container_type: 'TENANT', container_id: tenantId });
      await trx('memberships').where({ container_type: 'TENANT', container_id: tenantId }).delete();
      await trx('authorizations').where({ tenant_id: tenantId }).delete();
      await trx('roles').where({ tenant_id: tenantId }).delete();
      await trx('tenants').where({ tenant_id: tenantId }).delete();
      for (const m of users.filter((u: any) => u.member_type === 'USER')) {
        if ((await ids.tenantsOfUser(m.member_id, trx)).length === 0)
          throw conflict(`user <${m.member_id}> would belong to no tenant; move or delete them first`);
      }
    });
    res.status(204).end();
  });

  for (const member of ['users', 'groups'] as const) {
    const memberType = member === 'users' ? 'USER' : 'GROUP';
    router.put(`/tenants/:tenantId/${member}/:memberId`, async (req, res) => {
      manage(req, 'change tenant members');
      const subject = actorOf(req);
      await ids.findTenant(subject, req.params.tenantId);
      if (member === 'users') await ids.findUser(subject, req.params.memberId);
      else await ids.findGroup(subject, req.params.memberId);
      await ids.addMember('TENANT', req.params.tenantId, memberType, req.params.memberId);
      res.status(204).end();
    });

    router.delete(`/tenants/:tenantId/${member}/:memberId`, async (req, res) => {
      manage(req, 'change tenant members');
      if (member === 'users' && req.params.memberId === req.principal!.username)
        throw conflict('you cannot leave a tenant yourself; another administrator must remove you');
      await ids.removeFromTenant(actorOf(req), req.params.tenantId, memberType, req.params.memberId);
      res.status(204).end();
    });

    router.post(`/tenants/:tenantId/${member}/search`, async (req, res) => {
      const subject = actorOf(req);
      await ids.findTenant(subject, req.params.tenantId);
      const members = s
        .knex('memberships')
        .where({ container_type: 'TENANT', container_id: req.params.tenantId, member_type: memberType })
        .select('member_id');
      res.json(
        member === 'users'
          ? await search(
              s.knex('users').whereIn('users.username', members).select('users.*'),
              USER_FIELDS,
              req.body,
              userView,
              [{ column: 'users.username', order: 'asc' }],
            )
          : await search(
              s.knex('groups').whereIn('groups.group_id', members).select('groups.*'),
              GROUP_FIELDS,
              req.body,
              groupView,
              [{ column: 'groups.group_id', order: 'asc' }],
            ),
      );
    });
  }

  // ---- authorizations -------------------------------------------------------------------------

  const readAuthorization = (req: Request, opts: { tenantRequired: boolean }) => {
    const b = new BodyReader(req.body ?? {});
    const ownerId = b.string('ownerId', { required: true });
    const ownerType = b.string('ownerType', { required: true });
    const resourceType = b.string('resourceType', { required: true });
    const resourceId = b.string('resourceId', { required: true });
    const permissionTypes = b.stringArray('permissionTypes');
    const tenantId = b.string('tenantId');
    if (ownerType && !(OWNER_TYPES as readonly string[]).includes(ownerType))
      b.errors.push({ field: 'ownerType', reason: `must be one of ${OWNER_TYPES.join(', ')}` });
    if (resourceType && !(RESOURCE_TYPES as readonly string[]).includes(resourceType))
      b.errors.push({ field: 'resourceType', reason: `must be one of ${RESOURCE_TYPES.join(', ')}` });
    if (!permissionTypes?.length)
      b.errors.push({ field: 'permissionTypes', reason: 'must name at least one permission' });
    for (const p of permissionTypes ?? [])
      if (!(PERMISSION_TYPES as readonly string[]).includes(p))
        b.errors.push({
          field: 'permissionTypes',
          reason: `'${p}' is not supported; expected ${PERMISSION_TYPES.join(', ')}`,
        });
    b.done();
    const [tenant] =
      opts.tenantRequired || tenantId
        ? ids.targetTenants(actorOf(req), tenantId ? [tenantId] : undefined, 'tenantId')
        : [undefined];
    return {
      ownerId: ownerId!,
      ownerType: ownerType!,
      resourceType: resourceType!,
      resourceId: resourceId!,
      permissionTypes: [...new Set(permissionTypes)],
      tenantId: tenant,
    };
  };

  /** The owner must exist where the caller can see it. */
  const checkOwner = async (req: Request, ownerType: string, ownerId: string) => {
    const subject = actorOf(req);
    if (ownerType === 'USER') await ids.findUser(subject, ownerId);
    else if (ownerType === 'GROUP') await ids.findGroup(subject, ownerId);
    else await ids.findRole(subject, ownerId);
  };

  const findAuthorization = async (req: Request) => {
    const key = pathKey(req.params.authorizationKey as string, 'authorizationKey');
    const row = await s
      .knex('authorizations')
      .where({ authorization_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find authorization with key <${key}>, but none was found`);
    return row;
  };

  router.post('/authorizations/search', async (req, res) => {
    manage(req, 'read authorizations');
    res.json(
      await search(
        s.knex('authorizations').whereIn('tenant_id', req.principal!.tenantIds).select('*'),
        AUTHORIZATION_FIELDS,
        req.body,
        authorizationView,
        [{ column: 'authorization_key', order: 'asc' }],
      ),
    );
  });

  router.post('/authorizations', async (req, res) => {
    manage(req, 'create authorizations');
    const a = readAuthorization(req, { tenantRequired: true });
    await checkOwner(req, a.ownerType, a.ownerId);
    const authorizationKey = s.nextKey();
    await s.knex('authorizations').insert({
      authorization_key: authorizationKey,
      tenant_id: a.tenantId,
      owner_type: a.ownerType,
      owner_id: a.ownerId,
      resource_type: a.resourceType,
      resource_id: a.resourceId,
      permission_types: a.permissionTypes,
    });
    res.status(201).json({ authorizationKey });
  });

  router.get('/authorizations/:authorizationKey', async (req, res) => {
    manage(req, 'read authorizations');
    res.json(authorizationView(await findAuthorization(req)));
  });

  router.put('/authorizations/:authorizationKey', async (req, res) => {
    manage(req, 'change authorizations');
    const row = await findAuthorization(req);
    const a = readAuthorization(req, { tenantRequired: false });
    await checkOwner(req, a.ownerType, a.ownerId);
    await s
      .knex('authorizations')
      .where({ authorization_key: row.authorization_key })
      .update({
        owner_type: a.ownerType,
        owner_id: a.ownerId,
        resource_type: a.resourceType,
        resource_id: a.resourceId,
        permission_types: a.permissionTypes,
        ...(a.tenantId ? { tenant_id: a.tenantId } : {}),
      });
    res.status(204).end();
  });

  router.delete('/authorizations/:authorizationKey', async (req, res) => {
    manage(req, 'delete authorizations');
    const row = await findAuthorization(req);
    await s.knex('authorizations').where({ authorization_key: row.authorization_key }).delete();
    res.status(204).end();
  });

  return router;
}
