import type { Knex } from 'knex';

/** 委派 (delegation): a task's owner lends it to a delegate, who resolves it back. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_tasks', (t) => {
    t.text('owner'); // who delegated it, while delegated (and after it was resolved)
    t.text('delegation_state'); // PENDING | RESOLVED
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_tasks', (t) => {
    t.dropColumn('delegation_state');
    t.dropColumn('owner');
  });
}
