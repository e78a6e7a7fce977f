import type { Knex } from 'knex';

/**
 * Working-time calendars (工作日历) of a tenant, for approval timeouts counted in working time.
 * `definition` holds base, timeZone, weekdays, hours, holidays and workdays (see
 * runtime/calendar/working-calendar.ts); the built-in calendars are not stored, and a row with a
 * built-in's id overrides it for the tenant.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('working_calendars', (t) => {
    t.text('tenant_id').notNullable();
    t.text('calendar_id').notNullable();
    t.text('name').notNullable();
    t.jsonb('definition').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'calendar_id']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
