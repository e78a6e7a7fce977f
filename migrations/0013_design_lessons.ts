import type { Knex } from 'knex';

/**
 * The design lessons library (设计经验库): every closed operations problem, with its cause and the
 * lesson for the next project's design (Design for Operation). Written by the built-in job type
 * `design-lesson` when a feedback loop closes; searched by design reviews.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('design_lessons', (t) => {
    t.bigInteger('lesson_key').primary();
    t.text('tenant_id').notNullable();
    // The job that wrote it: a retried job does not write the lesson twice.
    t.bigInteger('job_key').notNullable().unique();
    t.bigInteger('process_instance_key').notNullable();
    t.text('project');
    t.text('asset');
    t.text('category');
    t.text('severity');
    t.text('title').notNullable();
    t.text('cause');
    t.text('measures');
    t.text('lesson');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'created_at']);
    t.index(['tenant_id', 'project']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
