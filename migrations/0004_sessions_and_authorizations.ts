import type { Knex } from 'knex';

/**
 * Browser sessions (cookie login), per-resource authorizations, and custom roles that belong to
 * one tenant (the built-in roles admin, owner, user and auditor have no tenant).
 */
export async function up(knex: Knex): Promise<void> {
  // The cookie carries a random id; only its SHA-256 is stored, as for API tokens.
  await knex.schema.createTable('sessions', (t) => {
    t.text('session_hash').primary();
    t.text('username').notNullable();
    t.text('csrf_token').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.text('user_agent');
    t.text('ip');
    t.index(['username']);
    t.index(['expires_at']);
  });

  // Who (a user, group or role) may do what (permission types) on which resource (resource id or
  // '*'), within one tenant. Camunda 8's shape, scoped by tenant.
  await knex.schema.createTable('authorizations', (t) => {
    t.bigInteger('authorization_key').primary();
    t.text('tenant_id').notNullable();
    t.text('owner_type').notNullable(); // USER | GROUP | ROLE
    t.text('owner_id').notNullable();
    t.text('resource_type').notNullable(); // PROCESS_DEFINITION | ...
    t.text('resource_id').notNullable(); // a process definition id, or '*'
    t.specificType('permission_types', 'text[]').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'resource_type', 'resource_id']);
    t.index(['owner_type', 'owner_id']);
  });

  await knex.schema.alterTable('roles', (t) => {
    t.text('tenant_id'); // null: a built-in role, the same in every tenant
  });
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('updated_at', { useTz: true });
  });
  // Groups now belong to tenants (an administrator sees the groups of their tenants): a group that
  // belongs to none joins the tenants of its members.
  await knex.raw(`
    insert into memberships (container_type, container_id, member_type, member_id)
    select distinct 'TENANT', t.container_id, 'GROUP', g.group_id
      from groups g
      join memberships m on m.container_type = 'GROUP' and m.container_id = g.group_id and m.member_type = 'USER'
      join memberships t on t.container_type = 'TENANT' and t.member_type = 'USER' and t.member_id = m.member_id
     where not exists (select 1 from memberships x where x.container_type = 'TENANT' and x.member_type = 'GROUP' and x.member_id = g.group_id)
    on conflict do nothing`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.dropColumn('updated_at'));
  await knex.schema.alterTable('roles', (t) => t.dropColumn('tenant_id'));
  await knex.schema.dropTable('authorizations');
  await knex.schema.dropTable('sessions');
}
