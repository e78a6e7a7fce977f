import type { Knex } from 'knex';

/**
 * Uploaded files (photos from site, documents) referenced by form filepicker fields: the metadata
 * here, the bytes in a document store (local disk under DATA_DIR, or an S3-compatible store).
 * A document is linked to the user task and process instance it was uploaded for; reading it
 * follows the rules for reading that instance. An unlinked document is its uploader's alone.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('documents', (t) => {
    // Camunda's documentId is an opaque string; ours is a random UUID, also the file's name in the store.
    t.text('document_id').primary();
    t.text('tenant_id').notNullable();
    t.text('store_id').notNullable();
    t.text('content_hash').notNullable(); // sha256 of the bytes, hex
    t.text('file_name').notNullable();
    t.text('content_type').notNullable(); // verified from the bytes, never the client's claim
    t.bigInteger('size').notNullable();
    t.text('uploaded_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.bigInteger('process_instance_key');
    t.bigInteger('user_task_key');
    t.timestamp('expires_at', { useTz: true });
    t.index(['tenant_id', 'process_instance_key']);
    t.index(['user_task_key']);
    t.index(['uploaded_by']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('documents');
}
