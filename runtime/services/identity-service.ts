import type { Knex } from 'knex';
import { BUILTIN_ROLES, type Subject } from '../auth/access.js';
import type { Authenticator } from '../auth/authenticate.js';
import { badRequest, conflict, forbidden, notFound } from '../http/problem.js';
import { hashPassword } from '../persistence/seed.js';

import { DEFAULT_TENANT_ID } from '../persistence/seed.js';

type Container = 'TENANT' | 'GROUP' | 'ROLE';
type Member = 'USER' | 'GROUP';

const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';

/** Ids of users, groups, roles and tenants: letters, digits and . _ - @ < > (the default tenant is `<default>`). */
const ID = /^[\p{L}\p{N}._@<>-]{1,100}$/u;

export function checkId(field: string, value: string | undefined): void {
  if (value !== undefined && !ID.test(value))
    throw badRequest(`${field} is not a valid id`, [
      { field, reason: 'must be 1 to 100 letters, digits or . _ - @ < >' },
    ]);
}

/**
 * Users, groups, roles, tenants and their memberships, within the tenants of whoever asks:
 * identity is shared (a user may belong to several tenants) but an administrator sees and changes
 * only users and groups that belong to their tenants, and changes a user only when every tenant of
 * that user is one of theirs.
 */
export class IdentityService {
  constructor(
    private readonly knex: Knex,
    private readonly nextKey: () => string,
    private readonly auth: Authenticator,
  ) {}

  /** Users in at least one of these tenants, directly or through a group. */
  usersIn(tenantIds: string[], db: Knex = this.knex): Knex.QueryBuilder {
    const t = JSON.stringify(tenantIds);
    return db('users').where((q) =>
      q
        .whereRaw(
          `users.username in (select member_id from memberships where container_type = 'TENANT' and member_type = 'USER' and container_id = any(${TEXT_ARRAY}))`,
          [t],
        )
        .orWhereRaw(
          `users.username in (select m.member_id from memberships m join memberships g on g.container_type = 'TENANT' and g.member_type = 'GROUP' and g.member_id = m.container_id and g.container_id = any(${TEXT_ARRAY}) where m.container_type = 'GROUP' and m.member_type = 'USER')`,
          [t],
        ),
    );
  }

  groupsIn(tenantIds: string[], db: Knex = this.knex): Knex.QueryBuilder {
    return db('groups').whereRaw(
      `groups.group_id in (select member_id from memberships where container_type = 'TENANT' and member_type = 'GROUP' and container_id = any(${TEXT_ARRAY}))`,
      [JSON.stringify(tenantIds)],
    );
  }

  rolesIn(tenantIds: string[], db: Knex = this.knex): Knex.QueryBuilder {
    return db('roles').where((q) => q.whereNull('roles.tenant_id').orWhereIn('roles.tenant_id', tenantIds));
  }

  /** The tenants a user belongs to, directly or through groups. */
  async tenantsOfUser(username: string, db: Knex = this.knex): Promise<string[]> {
    const rows = await db.raw(
      `select container_id from memberships where container_type = 'TENANT' and member_type = 'USER' and member_id = ?
       union select g.container_id from memberships g join memberships m on m.container_type = 'GROUP' and m.member_type = 'USER' and m.member_id = ? and g.member_id = m.container_id
       where g.container_type = 'TENANT' and g.member_type = 'GROUP'`,
      [username, username],
    );
    return rows.rows.map((r: any) => r.container_id as string);
  }

  async tenantsOfGroup(groupId: string, db: Knex = this.knex): Promise<string[]> {
    const rows = await db('memberships')
      .where({ container_type: 'TENANT', member_type: 'GROUP', member_id: groupId })
      .select('container_id');
    return rows.map((r: any) => r.container_id as string);
  }

  /** The user, if the subject may see them (they share a tenant, or it is the subject). */
  async findUser(subject: Subject, username: string, db: Knex = this.knex): Promise<any> {
    const row =
      username === subject.username
        ? await db('users').where({ username }).first()
        : await this.usersIn(subject.tenantIds, db).andWhere('users.username', username).first();
    if (!row) throw notFound(`expected to find user with username <${username}>, but none was found`);
    return row;
  }

  /** The user, if the subject administers every tenant they belong to. */
  async managedUser(subject: Subject, username: string, db: Knex = this.knex): Promise<any> {
    const row = await this.findUser(subject, username, db);
    const outside = (await this.tenantsOfUser(username, db)).filter((t) => !subject.tenantIds.includes(t));
    if (outside.length)
      throw forbidden(
        `user <${username}> also belongs to tenants you do not administer; an administrator of all of them must change it`,
      );
    return row;
  }

  async findGroup(subject: Subject, groupId: string, db: Knex = this.knex): Promise<any> {
    const row = await this.groupsIn(subject.tenantIds, db).andWhere('groups.group_id', groupId).first();
    if (!row) throw notFound(`expected to find group with id <${groupId}>, but none was found`);
    return row;
  }

  async managedGroup(subject: Subject, groupId: string, db: Knex = this.knex): Promise<any> {
    const row = await this.findGroup(subject, groupId, db);
    const outside = (await this.tenantsOfGroup(groupId, db)).filter((t) => !subject.tenantIds.includes(t));
    if (outside.length)
      throw forbidden(
        `group <${groupId}> also belongs to tenants you do not administer; an administrator of all of them must change it`,
      );
    return row;
  }

  /**
   * A user joining or leaving a group. Roles reach users through their groups and hold in every
   * tenant of the user, so when the group carries a role the subject must administer every tenant
   * of the user (as for assigning the role directly); otherwise seeing the user is enough.
   */
  async userForGroupChange(subject: Subject, groupId: string, username: string, db: Knex = this.knex) {
    const carriesRole = await db('memberships')
      .where({ container_type: 'ROLE', member_type: 'GROUP', member_id: groupId })
      .first('container_id');
    return carriesRole ? this.managedUser(subject, username, db) : this.findUser(subject, username, db);
  }

  /**
   * The group, when the subject may change its roles: roles reach every user of the group in all
   * their tenants, so the subject must administer every tenant of the group and of each of its users.
   */
  async groupForRoleChange(subject: Subject, groupId: string, db: Knex = this.knex): Promise<any> {
    const row = await this.managedGroup(subject, groupId, db);
    const rows = await db.raw(
      `select distinct m.member_id from memberships m
        where m.container_type = 'GROUP' and m.container_id = ? and m.member_type = 'USER'
          and exists (select 1 from memberships t where t.container_type = 'TENANT' and not (t.container_id = any(${TEXT_ARRAY}))
                        and ((t.member_type = 'USER' and t.member_id = m.member_id)
                             or (t.member_type = 'GROUP' and t.member_id in (select g.container_id from memberships g
                                  where g.container_type = 'GROUP' and g.member_type = 'USER' and g.member_id = m.member_id))))
        order by m.member_id limit 5`,
      [groupId, JSON.stringify(subject.tenantIds)],
    );
    const outside = rows.rows.map((r: any) => r.member_id as string);
    if (outside.length)
      throw forbidden(
        `group <${groupId}> has members who also belong to tenants you do not administer (${outside.map((u: string) => `<${u}>`).join(', ')}); an administrator of all of them must change its roles`,
      );
    return row;
  }

  async findRole(subject: Subject, roleId: string, db: Knex = this.knex): Promise<any> {
    const row = await this.rolesIn(subject.tenantIds, db).andWhere('roles.role_id', roleId).first();
    if (!row) throw notFound(`expected to find role with id <${roleId}>, but none was found`);
    return row;
  }

  findTenant(subject: Subject, tenantId: string, db: Knex = this.knex): Promise<any> {
    if (!subject.tenantIds.includes(tenantId))
      throw notFound(`expected to find tenant with id <${tenantId}>, but none was found`);
    return db('tenants').where({ tenant_id: tenantId }).first();
  }

  /**
   * The tenants a new user, group, role or authorization goes into: those named (each must be one
   * of the subject's), else the subject's only tenant, else the default tenant if the subject is
   * in it; otherwise the caller must name them.
   */
  targetTenants(subject: Subject, named: string[] | undefined, field: string): string[] {
    if (named !== undefined) {
      if (named.length === 0)
        throw badRequest(`${field} must name at least one tenant`, [{ field, reason: 'must not be empty' }]);
      const foreign = named.filter((t) => !subject.tenantIds.includes(t));
      if (foreign.length)
        throw badRequest(`you are not a member of ${foreign.map((t) => `<${t}>`).join(', ')}`, [
          { field, reason: `you are not a member of ${foreign.join(', ')}` },
        ]);
      return [...new Set(named)];
    }
    if (subject.tenantIds.length === 1) return subject.tenantIds;
    if (subject.tenantIds.includes(DEFAULT_TENANT_ID)) return [DEFAULT_TENANT_ID];
    throw badRequest(`you belong to several tenants: name the ${field}`, [
      { field, reason: 'is required when you belong to several tenants' },
    ]);
  }

  async addMember(
    container: Container,
    containerId: string,
    member: Member,
    memberId: string,
    db: Knex = this.knex,
  ) {
    await db('memberships')
      .insert({
        container_type: container,
        container_id: containerId,
        member_type: member,
        member_id: memberId,
      })
      .onConflict(['container_type', 'container_id', 'member_type', 'member_id'])
      .ignore();
  }

  async removeMember(
    container: Container,
    containerId: string,
    member: Member,
    memberId: string,
    db: Knex = this.knex,
  ) {
    return db('memberships')
      .where({
        container_type: container,
        container_id: containerId,
        member_type: member,
        member_id: memberId,
      })
      .delete();
  }

  async createUser(
    subject: Subject,
    u: {
      username: string;
      password: string;
      name: string;
      email?: string | null;
      enabled?: boolean;
      tenantIds?: string[];
      locale?: string;
    },
  ) {
    checkId('username', u.username);
    checkPassword(u.password);
    const tenants = this.targetTenants(subject, u.tenantIds, 'tenantIds');
    const passwordHash = await hashPassword(u.password);
    return this.knex.transaction(async (trx) => {
      const exists = await trx('users').where({ username: u.username }).first('username');
      if (exists) throw conflict(`a user with username <${u.username}> already exists`);
      const [row] = await trx('users')
        .insert({
          user_key: this.nextKey(),
          username: u.username,
          name: u.name,
          email: u.email ?? null,
          password_hash: passwordHash,
          enabled: u.enabled ?? true,
          locale: u.locale ?? 'zh-CN',
        })
        .returning('*');
      for (const t of tenants) await this.addMember('TENANT', t, 'USER', u.username, trx);
      // A new user works with the platform as an ordinary user until given other roles.
      await this.addMember('ROLE', 'user', 'USER', u.username, trx);
      return row;
    });
  }

  async updateUser(
    subject: Subject,
    username: string,
    changes: { name?: string; email?: string | null; password?: string; enabled?: boolean; locale?: string },
  ) {
    if (changes.password !== undefined) checkPassword(changes.password);
    const passwordHash = changes.password !== undefined ? await hashPassword(changes.password) : undefined;
    return this.knex.transaction(async (trx) => {
      await this.managedUser(subject, username, trx);
      if (changes.enabled === false && username === subject.username)
        throw conflict('you cannot disable yourself; another administrator must');
      const [row] = await trx('users')
        .where({ username })
        .update({
          ...(changes.name !== undefined ? { name: changes.name } : {}),
          ...(changes.email !== undefined ? { email: changes.email } : {}),
          ...(passwordHash ? { password_hash: passwordHash } : {}),
          ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
          ...(changes.locale !== undefined ? { locale: changes.locale } : {}),
          updated_at: new Date(),
        })
        .returning('*');
      if (passwordHash || changes.enabled === false) await this.auth.forget(username, trx);
      return row;
    });
  }

  /** A user changes their own name, email or password (the current password proves it is them). */
  async updateSelf(
    username: string,
    changes: {
      name?: string;
      email?: string | null;
      password?: string;
      currentPassword?: string;
      locale?: string;
    },
  ) {
    if (changes.password !== undefined) {
      checkPassword(changes.password);
      if (!changes.currentPassword || !(await this.auth.verifyPassword(username, changes.currentPassword)))
        throw badRequest('to change your password, send your current password too', [
          { field: 'currentPassword', reason: 'is missing or not correct' },
        ]);
    }
    const passwordHash = changes.password !== undefined ? await hashPassword(changes.password) : undefined;
    const [row] = await this.knex('users')
      .where({ username })
      .update({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.email !== undefined ? { email: changes.email } : {}),
        ...(passwordHash ? { password_hash: passwordHash } : {}),
        ...(changes.locale !== undefined ? { locale: changes.locale } : {}),
        updated_at: new Date(),
      })
      .returning('*');
    if (passwordHash) await this.auth.forget(username);
    return row;
  }

  async deleteUser(subject: Subject, username: string) {
    if (username === subject.username)
      throw conflict('you cannot delete yourself; another administrator must');
    await this.knex.transaction(async (trx) => {
      await this.managedUser(subject, username, trx);
      await trx('memberships').where({ member_type: 'USER', member_id: username }).delete();
      await trx('api_tokens').where({ username }).whereNull('revoked_at').update({ revoked_at: new Date() });
      await this.auth.forget(username, trx);
      await trx('authorizations').where({ owner_type: 'USER', owner_id: username }).delete();
      await trx('users').where({ username }).delete();
    });
  }

  /** Removing a user or group from a tenant must not leave a user in no tenant at all. */
  async removeFromTenant(subject: Subject, tenantId: string, member: Member, memberId: string) {
    await this.knex.transaction(async (trx) => {
      await this.findTenant(subject, tenantId, trx);
      if (member === 'USER') await this.managedUser(subject, memberId, trx);
      else await this.managedGroup(subject, memberId, trx);
      const removed = await this.removeMember('TENANT', tenantId, member, memberId, trx);
      if (!removed)
        throw notFound(
          `expected ${member === 'USER' ? 'user' : 'group'} <${memberId}> to be a member of tenant <${tenantId}>, but it is not`,
        );
      const users =
        member === 'USER'
          ? [memberId]
          : (
              await trx('memberships').where({
                container_type: 'GROUP',
                container_id: memberId,
                member_type: 'USER',
              })
            ).map((m: any) => m.member_id as string);
      for (const u of users) {
        if ((await this.tenantsOfUser(u, trx)).length === 0)
          throw conflict(`user <${u}> would belong to no tenant; delete the user instead`);
      }
      if (member === 'GROUP' && (await this.tenantsOfGroup(memberId, trx)).length === 0)
        throw conflict(`group <${memberId}> would belong to no tenant; delete the group instead`);
    });
  }

  async isBuiltinRole(roleId: string) {
    return (BUILTIN_ROLES as readonly string[]).includes(roleId);
  }
}

function checkPassword(password: string): void {
  if (password.length < 8 || password.length > 200)
    throw badRequest('the password must be 8 to 200 characters long', [
      { field: 'password', reason: 'must be 8 to 200 characters long' },
    ]);
}
