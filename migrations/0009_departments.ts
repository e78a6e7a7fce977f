import type { Knex } from 'knex';

/** The org chart of a tenant: departments in a tree, each with a head, and their members. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('departments', (t) => {
    t.bigInteger('department_key').primary();
    t.text('tenant_id').notNullable();
    t.text('department_id').notNullable();
    t.text('name').notNullable();
    t.text('parent_id'); // department_id of the parent in the same tenant; null at the top
    t.text('head'); // username of the department head (部门负责人)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'department_id']);
  });
  await knex.schema.createTable('department_members', (t) => {
    t.text('tenant_id').notNullable();
    t.text('department_id').notNullable();
    t.text('username').notNullable();
    t.primary(['tenant_id', 'department_id', 'username']);
    t.index(['tenant_id', 'username']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('department_members');
  await knex.schema.dropTable('departments');
}
