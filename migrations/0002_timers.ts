import type { Knex } from 'knex';

/**
 * Timers are jobs of kind TIMER, fired by the job executor: how a cycle continues is stored with
 * the job, and the executor finds due timers by kind, state and due time. Timer start events have
 * jobs without an instance.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('jobs', (t) => {
    t.jsonb('timer_cycle');
    t.index(['kind', 'state', 'due_at'], 'jobs_kind_state_due_at_index');
    t.index(['process_definition_id', 'tenant_id'], 'jobs_definition_index');
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
