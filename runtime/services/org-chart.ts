import type { Knex } from 'knex';
import type { ApproverStrategy } from '../../engine/index.js';

const TENANT_USERS = `(u.username in (select member_id from memberships where container_type = 'TENANT' and container_id = ? and member_type = 'USER')
  or u.username in (select m.member_id from memberships m join memberships t on t.container_type = 'TENANT' and t.container_id = ? and t.member_type = 'GROUP' and t.member_id = m.container_id where m.container_type = 'GROUP' and m.member_type = 'USER'))`;

/** Enabled users of the tenant among these, in the given order. */
export async function enabledTenantUsers(db: Knex, tenantId: string, usernames: string[]): Promise<string[]> {
  if (!usernames.length) return [];
  const rows = await db.raw(
    `select u.username from users u where u.enabled and u.username = any(array(select jsonb_array_elements_text(?::jsonb))) and ${TENANT_USERS}`,
    [JSON.stringify(usernames), tenantId, tenantId],
  );
  const ok = new Set((rows.rows as Array<{ username: string }>).map((r) => r.username));
  return usernames.filter((u) => ok.has(u));
}

/**
 * Who approves by an org-chart strategy, with the reason in words for the history ("why did this
 * go to me"). Only enabled users of the tenant are named; nobody found is an empty list (the
 * approval node's onEmpty decides).
 */
export async function resolveApprovers(
  db: Knex,
  tenantId: string,
  strategy: ApproverStrategy,
  initiator: string | null,
): Promise<{ approvers: string[]; reason: string }> {
  switch (strategy.kind) {
    case 'initiator':
      return {
        approvers: initiator ? await enabledTenantUsers(db, tenantId, [initiator]) : [],
        reason: `the initiator <${initiator ?? ''}>`,
      };
    case 'initiatorHead': {
      const memberOf = initiator
        ? await db('department_members')
            .where({ tenant_id: tenantId, username: initiator })
            .orderBy('department_id')
            .first('department_id')
        : undefined;
      if (!memberOf)
        return { approvers: [], reason: `the initiator <${initiator ?? ''}> belongs to no department` };
      const heads: string[] = [];
      const path: string[] = [];
      let id: string | null = memberOf.department_id;
      // Up the tree: each department's head, skipping the initiator heading their own department.
      for (let depth = 0; id && heads.length < strategy.levels && depth < 50; depth++) {
        const dept: { department_id: string; head: string | null; parent_id: string | null } | undefined =
          await db('departments')
            .where({ tenant_id: tenantId, department_id: id })
            .first('department_id', 'head', 'parent_id');
        if (!dept) break;
        path.push(dept.department_id);
        if (dept.head && dept.head !== initiator && !heads.includes(dept.head)) heads.push(dept.head);
        id = dept.parent_id;
      }
      return {
        approvers: await enabledTenantUsers(db, tenantId, heads),
        reason: `the heads of ${path.map((p) => `<${p}>`).join(' → ')} above the initiator <${initiator}>, ${strategy.levels} level(s)`,
      };
    }
    case 'departmentMembers': {
      const rows = await db('department_members')
        .where({ tenant_id: tenantId, department_id: strategy.department })
        .orderBy('username')
        .pluck('username');
      return {
        approvers: await enabledTenantUsers(db, tenantId, rows as string[]),
        reason: `the members of department <${strategy.department}>`,
      };
    }
    case 'group':
    case 'role': {
      const [type, id] = strategy.kind === 'group' ? ['GROUP', strategy.group] : ['ROLE', strategy.role];
      const direct = (await db('memberships')
        .where({ container_type: type, container_id: id, member_type: 'USER' })
        .orderBy('member_id')
        .pluck('member_id')) as string[];
      const viaGroups =
        type === 'ROLE'
          ? ((await db('memberships as m')
              .join('memberships as r', function () {
                this.on('r.member_id', '=', 'm.container_id')
                  .andOn('r.member_type', '=', db.raw("'GROUP'"))
                  .andOn('r.container_type', '=', db.raw("'ROLE'"));
              })
              .where({ 'r.container_id': id, 'm.container_type': 'GROUP', 'm.member_type': 'USER' })
              .orderBy('m.member_id')
              .pluck('m.member_id')) as string[])
          : [];
      return {
        approvers: await enabledTenantUsers(db, tenantId, [...new Set([...direct, ...viaGroups])]),
        reason: `the members of ${strategy.kind} <${id}>`,
      };
    }
    default:
      // Picks and rule sets are resolved by the engine from the instance itself.
      throw new Error(`the org chart does not resolve the strategy ${strategy.kind}`);
  }
}

/**
 * Where an overdue task of `username` escalates to (超时上报): the head of their department, or of
 * the department above when they head it themselves, up the tree; else the tenant's first
 * administrator. Only enabled users of the tenant; null when there is nobody.
 */
export async function escalationTarget(
  db: Knex,
  tenantId: string,
  username: string,
): Promise<{ username: string; reason: string } | null> {
  const memberOf = await db('department_members')
    .where({ tenant_id: tenantId, username })
    .orderBy('department_id')
    .first('department_id');
  let id: string | null = memberOf?.department_id ?? null;
  for (let depth = 0; id && depth < 50; depth++) {
    const dept: { department_id: string; head: string | null; parent_id: string | null } | undefined =
      await db('departments')
        .where({ tenant_id: tenantId, department_id: id })
        .first('department_id', 'head', 'parent_id');
    if (!dept) break;
    if (dept.head && dept.head !== username && (await enabledTenantUsers(db, tenantId, [dept.head])).length)
      return { username: dept.head, reason: `the head of <${dept.department_id}> above <${username}>` };
    id = dept.parent_id;
  }
  const admins = await resolveApprovers(db, tenantId, { kind: 'role', role: 'admin' }, null);
  const admin = admins.approvers.find((a) => a !== username);
  return admin
    ? {
        username: admin,
        reason: `no head above <${username}> in the org chart: the administrator <${admin}>`,
      }
    : null;
}
