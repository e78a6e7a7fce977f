import type { Knex } from 'knex';

/**
 * Modules: versioned bundles of processes, forms, rule sets, notification templates, dashboards and
 * default settings. A module version is the group standard, shared by every tenant; a tenant
 * enables one version of a module and may override any of its resources (its own BPMN, form, …),
 * which it keeps across upgrades of the standard.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('module_versions', (t) => {
    t.text('module_id').notNullable();
    t.text('version').notNullable();
    // Ordering key of the version (semver, zero-padded), so "latest" is one ORDER BY.
    t.text('version_order').notNullable();
    t.jsonb('name').notNullable(); // { "zh-CN": …, "en": … }
    t.jsonb('description').notNullable();
    // The module file's content: resources, notificationTemplates, dashboards, settings.
    t.jsonb('content').notNullable();
    t.text('digest').notNullable();
    t.text('imported_by');
    t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['module_id', 'version']);
  });

  await knex.schema.createTable('tenant_modules', (t) => {
    t.text('tenant_id').notNullable();
    t.text('module_id').notNullable();
    t.text('version').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.text('updated_by');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'module_id']);
    t.foreign(['module_id', 'version']).references(['module_id', 'version']).inTable('module_versions');
  });

  await knex.schema.createTable('tenant_module_overrides', (t) => {
    t.text('tenant_id').notNullable();
    t.text('module_id').notNullable();
    t.text('resource_name').notNullable();
    t.text('content').notNullable();
    // The standard version the override was made from (its diff and its upgrades start there).
    t.text('base_version').notNullable();
    t.text('updated_by');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'module_id', 'resource_name']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
