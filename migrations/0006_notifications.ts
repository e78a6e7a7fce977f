import type { Knex } from 'knex';

/**
 * Notifications: one in-app row per recipient, written in the transaction of the state change
 * that caused it; an outbox of deliveries (email, webhook) a worker sends with retries and logs;
 * webhooks per tenant; per-tenant template overrides; reminders already sent for due tasks.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (t) => {
    t.bigInteger('notification_key').primary();
    t.text('tenant_id').notNullable();
    t.text('recipient').notNullable(); // username
    t.text('event').notNullable(); // TASK_CREATED | TASK_ASSIGNED | TASK_DUE_SOON | TASK_OVERDUE | ...
    t.jsonb('data').notNullable(); // what the templates may show
    t.text('title').notNullable(); // rendered in the recipient's language when written
    t.text('body').notNullable();
    t.bigInteger('process_instance_key');
    t.bigInteger('user_task_key');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('read_at', { useTz: true });
    t.index(['recipient', 'tenant_id', 'notification_key']);
  });
  await knex.raw(
    'create index notifications_unread on notifications (recipient, tenant_id) where read_at is null',
  );

  await knex.schema.createTable('webhooks', (t) => {
    t.bigInteger('webhook_key').primary();
    t.text('tenant_id').notNullable();
    t.text('name').notNullable();
    t.text('url').notNullable();
    t.text('secret').notNullable(); // the HMAC key: needed in clear to sign
    t.specificType('events', 'text[]').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id']);
  });

  // The outbox: each row is one message to send on one channel, claimed with SKIP LOCKED.
  await knex.schema.createTable('notification_deliveries', (t) => {
    t.bigInteger('delivery_key').primary();
    t.text('tenant_id').notNullable();
    t.bigInteger('notification_key'); // null for webhook events without a recipient row
    t.text('channel').notNullable(); // EMAIL | WEBHOOK
    t.text('target').notNullable(); // an email address, or a webhook key
    t.text('event').notNullable();
    t.jsonb('payload').notNullable(); // subject/body for email; the JSON document for a webhook
    t.text('state').notNullable(); // PENDING | SENT | FAILED
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.text('locked_by');
    t.timestamp('lock_expires_at', { useTz: true });
    t.text('last_error');
    t.integer('last_status');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'channel', 'target']);
  });
  await knex.raw(
    "create index notification_deliveries_due on notification_deliveries (next_attempt_at) where state = 'PENDING'",
  );

  await knex.schema.createTable('notification_templates', (t) => {
    t.text('tenant_id').notNullable();
    t.text('event').notNullable();
    t.text('channel').notNullable(); // IN_APP | EMAIL | WEBHOOK
    t.text('locale').notNullable(); // zh-CN | en
    t.text('subject').notNullable();
    t.text('body').notNullable();
    t.text('updated_by');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'event', 'channel', 'locale']);
  });

  // Reminders sent for a task (due soon, overdue), so each is sent once.
  await knex.schema.createTable('task_reminders', (t) => {
    t.bigInteger('user_task_key').notNullable();
    t.text('kind').notNullable(); // DUE_SOON | OVERDUE
    t.timestamp('sent_at', { useTz: true }).notNullable();
    t.primary(['user_task_key', 'kind']);
  });

  await knex.schema.alterTable('users', (t) => {
    t.text('locale').notNullable().defaultTo('zh-CN');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.dropColumn('locale'));
  for (const table of [
    'task_reminders',
    'notification_templates',
    'notification_deliveries',
    'webhooks',
    'notifications',
  ])
    await knex.schema.dropTable(table);
}
