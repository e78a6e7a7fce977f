import type { Knex } from 'knex';

/**
 * The language of a webhook's texts (its chat bot's readers): the WEBHOOK templates exist per
 * language, and without this only the zh-CN one could ever be sent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhooks', (t) => {
    t.text('locale').notNullable().defaultTo('zh-CN');
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
