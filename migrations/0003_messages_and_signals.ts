import type { Knex } from 'knex';

/**
 * Message and signal subscriptions of waiting events (and of message/signal start events, which
 * have no instance), and published messages buffered until their time to live runs out.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_subscriptions', (t) => {
    t.bigInteger('subscription_key').primary();
    t.text('kind').notNullable(); // MESSAGE | SIGNAL
    t.text('tenant_id').notNullable();
    t.text('name').notNullable();
    t.text('correlation_key');
    t.bigInteger('process_instance_key'); // null for start events
    t.bigInteger('process_definition_key').notNullable();
    t.text('process_definition_id').notNullable();
    t.bigInteger('element_instance_key'); // the owner; null for start events
    t.text('element_id').notNullable();
    t.boolean('interrupting').notNullable().defaultTo(true);
    t.text('state').notNullable(); // ACTIVE | CLOSED
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'kind', 'name', 'state']);
    t.index(['process_instance_key', 'state']);
  });
  await knex.schema.createTable('messages', (t) => {
    t.bigInteger('message_key').primary();
    t.text('tenant_id').notNullable();
    t.text('name').notNullable();
    t.text('correlation_key');
    t.text('message_id');
    t.jsonb('variables').notNullable().defaultTo('{}');
    t.text('state').notNullable(); // BUFFERED | CORRELATED
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.bigInteger('process_instance_key'); // who consumed it
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'name', 'correlation_key', 'state']);
  });
  // A message id identifies one publication while it is buffered: publishing it again is refused.
  await knex.raw(
    `create unique index messages_message_id_unique on messages (tenant_id, name, message_id) where message_id is not null and state = 'BUFFERED'`,
  );
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
