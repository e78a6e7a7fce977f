import type { Knex } from 'knex';

/**
 * The processes a tenant may no longer start because their module is disabled there: written when
 * the module is disabled, removed when it is enabled again. Running instances go on; new starts
 * (by people, timers, messages or the start-process job) are refused or skipped.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('disabled_processes', (t) => {
    t.text('tenant_id').notNullable();
    t.text('process_definition_id').notNullable();
    t.text('module_id').notNullable();
    t.primary(['tenant_id', 'process_definition_id', 'module_id']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
