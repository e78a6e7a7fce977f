import type { Knex } from 'knex';

/** 代理: while a user is away (from/to, optionally for one process), their new tasks go to a substitute. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('substitutions', (t) => {
    t.bigInteger('substitution_key').primary();
    t.text('tenant_id').notNullable();
    t.text('username').notNullable(); // who is away
    t.text('substitute').notNullable(); // who acts for them
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.timestamp('ends_at', { useTz: true }).notNullable();
    t.text('process_definition_id'); // null: every process
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'username', 'starts_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('substitutions');
}
