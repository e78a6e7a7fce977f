import type { Knex } from 'knex';

/**
 * Assets of a project (项目 › 楼栋 › 系统 › 设备), identified in a tenant by their location code
 * (位置编码), which processes carry as the variable `asset`; optionally the BIM element's GUID.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('assets', (t) => {
    t.bigInteger('asset_key').primary();
    t.text('tenant_id').notNullable();
    t.text('code').notNullable();
    t.text('name').notNullable();
    t.text('project').notNullable();
    t.text('building');
    t.text('system');
    t.text('equipment');
    t.text('bim_guid');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'code']);
    t.index(['tenant_id', 'project']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
