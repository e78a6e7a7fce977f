import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { can, requireCapability, restrictToReadableInstances } from '../auth/access.js';
import { isForUser } from '../auth/permissions.js';
import { badRequest, conflict, type FieldError, forbidden, notFound, Problem } from '../http/problem.js';
import { log } from '../logging/logger.js';
import { iso, taskFromRow } from '../persistence/rows.js';
import type { Actor } from '../services/engine-service.js';
import { DOCUMENT_ID, type DocumentStore } from './document-store.js';
import { sniffContentType } from './sniff-content-type.js';

/** Default largest upload: 20 MB. */
export const DEFAULT_UPLOAD_MAX_BYTES = 20 * 1024 * 1024;

/** A Camunda 8 document reference, as answered on upload and stored in filepicker variables. */
export interface DocumentReference {
  'camunda.document.type': 'camunda';
  storeId: string;
  documentId: string;
  contentHash: string;
  metadata: {
    contentType: string;
    fileName: string;
    size: number;
    expiresAt: string | null;
    processDefinitionId: string | null;
    processInstanceKey: string | null;
    /** Lifeflow: the user task the document was uploaded for or submitted with. */
    userTaskKey: string | null;
    customProperties: Record<string, unknown>;
  };
}

export interface UploadRequest {
  content: Buffer;
  /** The client's file name; sanitised, kept for display and download only. */
  fileName: string;
  /** The client's Content-Type; not trusted (the type is sniffed from the bytes). */
  declaredType?: string;
  /**
   * The tenant of an unlinked document (already checked to be one of the caller's); for a linked
   * one, if given, it must be the task's or instance's tenant.
   */
  tenantId?: string;
  userTaskKey?: string;
  processInstanceKey?: string;
  expiresAt?: Date;
}

/** A filepicker value's document, as it was submitted with a task's form. */
export interface SubmittedDocument {
  /** Field path for errors, e.g. `photos[0]`. */
  field: string;
  documentId: string;
  storeId?: unknown;
  contentHash?: unknown;
}

interface DocumentRow {
  document_id: string;
  tenant_id: string;
  store_id: string;
  content_hash: string;
  file_name: string;
  content_type: string;
  size: string | number;
  uploaded_by: string;
  created_at: Date;
  process_instance_key: string | null;
  user_task_key: string | null;
  expires_at: Date | null;
  process_definition_id?: string | null;
}

/**
 * Documents: metadata in the `documents` table, bytes in a {@link DocumentStore}. Decides who may
 * upload (the people who may work the task, or read the instance, they are linked to), read (who
 * may read the linked instance; an unlinked document only its uploader) and delete. Anything a
 * caller may not read is "not found", never "forbidden", so ids in other tenants do not leak.
 */
export class DocumentService {
  constructor(
    private readonly knex: Knex,
    readonly store: DocumentStore,
    private readonly clock: () => Date,
    /** Largest accepted upload in bytes. */
    readonly maxBytes: number = DEFAULT_UPLOAD_MAX_BYTES,
  ) {}

  /** Stores a verified upload and answers its reference. */
  async upload(req: UploadRequest, actor: Actor): Promise<DocumentReference> {
    requireCapability(actor, 'work-tasks', 'upload documents');
    const link = await this.linkTarget(req, actor);
    if (!link.tenantId || (req.tenantId && req.tenantId !== link.tenantId))
      throw badRequest(`the document would belong to tenant <${link.tenantId}>, not <${req.tenantId}>`, [
        { field: 'tenantId', reason: 'is not the tenant of the user task or process instance' },
      ]);
    const fileName = safeFileName(req.fileName);
    const sniffed = sniffContentType(req.content, fileName, req.declaredType);
    if (!sniffed.ok) {
      const errors: FieldError[] = [{ field: 'file', reason: sniffed.reason }];
      if (req.content.length === 0) throw badRequest(`the file <${fileName}> ${sniffed.reason}`, errors);
      throw new Problem(415, 'UNSUPPORTED_MEDIA_TYPE', `the file <${fileName}> ${sniffed.reason}`, errors);
    }
    const now = this.clock();
    if (req.expiresAt && req.expiresAt.getTime() <= now.getTime())
      throw badRequest('metadata.expiresAt must be in the future', [
        { field: 'metadata.expiresAt', reason: 'must be in the future' },
      ]);
    const row: DocumentRow = {
      document_id: randomUUID(),
      tenant_id: link.tenantId,
      store_id: this.store.id,
      content_hash: createHash('sha256').update(req.content).digest('hex'),
      file_name: fileName,
      content_type: sniffed.contentType,
      size: req.content.length,
      uploaded_by: actor.username ?? '',
      created_at: now,
      process_instance_key: link.processInstanceKey,
      user_task_key: link.userTaskKey,
      expires_at: req.expiresAt ?? null,
    };
    await this.store.put(row.document_id, req.content);
    try {
      await this.knex('documents').insert(row);
    } catch (err) {
      await this.store.delete(row.document_id).catch(() => {});
      throw err;
    }
    return referenceOf({ ...row, process_definition_id: link.processDefinitionId });
  }

  /**
   * Files the system itself writes for an instance (the archived 审批单): stored under the given
   * id and linked to the instance, the row written in the caller's transaction. A caller that
   * derives the id from its job overwrites, on a retry, the bytes a rolled-back attempt stored.
   */
  async archive(
    trx: Knex.Transaction,
    req: {
      documentId: string;
      tenantId: string;
      processInstanceKey: string;
      processDefinitionId: string;
      fileName: string;
      contentType: string;
      content: Buffer;
      uploadedBy: string;
    },
  ): Promise<DocumentReference> {
    const row: DocumentRow = {
      document_id: req.documentId,
      tenant_id: req.tenantId,
      store_id: this.store.id,
      content_hash: createHash('sha256').update(req.content).digest('hex'),
      file_name: safeFileName(req.fileName),
      content_type: req.contentType,
      size: req.content.length,
      uploaded_by: req.uploadedBy,
      created_at: this.clock(),
      process_instance_key: req.processInstanceKey,
      user_task_key: null,
      expires_at: null,
    };
    await this.store.put(row.document_id, req.content);
    await trx('documents').insert(row);
    return referenceOf({ ...row, process_definition_id: req.processDefinitionId });
  }

  /** Where an upload goes: the task's (open, meant for the caller) or instance's (readable) tenant. */
  private async linkTarget(req: UploadRequest, actor: Actor) {
    if (req.userTaskKey) {
      const row = await this.knex('user_tasks')
        .where({ user_task_key: req.userTaskKey })
        .whereIn('tenant_id', actor.tenantIds)
        .first();
      const task = row ? taskFromRow(row) : undefined;
      if (!task || (!isForUser(task, actor) && !can(actor, 'read-all')))
        throw notFound(`expected to find user task with key <${req.userTaskKey}>, but none was found`);
      if (!isForUser(task, actor))
        throw forbidden(
          `only the people user task <${task.userTaskKey}> is meant for may upload documents for it`,
        );
      if (task.state !== 'CREATED')
        throw conflict(`user task <${task.userTaskKey}> is ${task.state}: documents can no longer be added`);
      if (req.processInstanceKey && req.processInstanceKey !== task.processInstanceKey)
        throw badRequest(
          `user task <${task.userTaskKey}> belongs to process instance <${task.processInstanceKey}>`,
          [{ field: 'processInstanceKey', reason: 'is not the process instance of the user task' }],
        );
      return {
        tenantId: task.tenantId,
        processInstanceKey: task.processInstanceKey,
        userTaskKey: task.userTaskKey,
        processDefinitionId: task.processDefinitionId,
      };
    }
    if (req.processInstanceKey) {
      const instance = await restrictToReadableInstances(
        this.knex('process_instances')
          .where({ process_instance_key: req.processInstanceKey })
          .whereIn('tenant_id', actor.tenantIds),
        actor,
        'process_instances.process_instance_key',
      ).first('tenant_id', 'state', 'process_definition_id');
      if (!instance)
        throw notFound(
          `expected to find process instance with key <${req.processInstanceKey}>, but none was found`,
        );
      if (instance.state !== 'ACTIVE')
        throw conflict(
          `process instance <${req.processInstanceKey}> is ${instance.state}: documents can no longer be added`,
        );
      return {
        tenantId: instance.tenant_id as string,
        processInstanceKey: req.processInstanceKey,
        userTaskKey: null,
        processDefinitionId: instance.process_definition_id as string,
      };
    }
    return {
      tenantId: req.tenantId ?? '',
      processInstanceKey: null,
      userTaskKey: null,
      processDefinitionId: null,
    };
  }

  /** The documents the actor may read: linked ones by instance rules, unlinked ones by uploader. */
  private readable(q: Knex.QueryBuilder, actor: Actor): Knex.QueryBuilder {
    const now = this.clock();
    return q
      .whereIn('documents.tenant_id', actor.tenantIds)
      .where((w) => w.whereNull('documents.expires_at').orWhere('documents.expires_at', '>', now))
      .where((w) =>
        w
          .where((u) =>
            u
              .whereNull('documents.process_instance_key')
              .where('documents.uploaded_by', actor.username ?? ''),
          )
          .orWhere((l) =>
            restrictToReadableInstances(
              l.whereNotNull('documents.process_instance_key'),
              actor,
              'documents.process_instance_key',
            ),
          ),
      );
  }

  /** The document's metadata, or 404 when it does not exist or the actor may not read it. */
  async get(documentId: string, actor: Actor): Promise<DocumentRow> {
    const row = DOCUMENT_ID.test(documentId)
      ? await this.readable(this.knex('documents').where('documents.document_id', documentId), actor)
          .leftJoin('process_instances as pi', 'pi.process_instance_key', 'documents.process_instance_key')
          .first('documents.*', 'pi.process_definition_id')
      : undefined;
    if (!row) throw notFound(`expected to find document with id <${documentId}>, but none was found`);
    return row as DocumentRow;
  }

  /** The document's reference and content for download. */
  async open(documentId: string, actor: Actor): Promise<{ reference: DocumentReference; content: Readable }> {
    const row = await this.get(documentId, actor);
    const content = await this.store.get(row.document_id);
    if (!content)
      throw new Error(`the content of document <${row.document_id}> is missing from store <${row.store_id}>`);
    return { reference: referenceOf(row), content };
  }

  /**
   * Deletes a document: its uploader while it is unlinked or its task is still open;
   * administrators and process owners always.
   */
  async delete(documentId: string, actor: Actor): Promise<void> {
    await this.get(documentId, actor);
    await this.knex.transaction(async (trx) => {
      const row = (await trx('documents').where({ document_id: documentId }).forUpdate().first()) as
        | DocumentRow
        | undefined;
      if (!row) throw notFound(`expected to find document with id <${documentId}>, but none was found`);
      if (!can(actor, 'manage-instances')) {
        const own = row.uploaded_by === actor.username;
        const taskOpen =
          row.user_task_key !== null &&
          (await trx('user_tasks').where({ user_task_key: row.user_task_key }).first('state'))?.state ===
            'CREATED';
        if (!own || (row.process_instance_key !== null && !taskOpen))
          throw forbidden(
            `only its uploader (while the document is unlinked or its task is open), administrators and process owners may delete document <${documentId}>`,
          );
      }
      await trx('documents').where({ document_id: documentId }).delete();
    });
    // After the commit: a crash here leaves an orphaned file, never a row without content.
    await this.store.delete(documentId).catch((err) => {
      log.error('could not delete document content', { documentId, err });
    });
  }

  /**
   * Checks, inside the completing transaction, that every submitted document exists in the task's
   * tenant and was uploaded for this task or its instance (or, not yet linked, by the completing
   * user), then links them to the task and instance. Answers the stored references by id, so
   * the variables hold verified metadata rather than what the client sent.
   *
   * @throws Problem 400 naming each field whose document is unknown, foreign or altered.
   */
  async verifyAndLink(
    trx: Knex,
    submitted: SubmittedDocument[],
    target: {
      tenantId: string;
      processInstanceKey: string;
      processDefinitionId: string;
      userTaskKey: string;
      actor: Actor;
    },
  ): Promise<Map<string, DocumentReference>> {
    const ids = [...new Set(submitted.map((d) => d.documentId))].filter((id) => DOCUMENT_ID.test(id));
    const rows = ids.length
      ? ((await trx('documents')
          .whereIn('document_id', ids)
          .where('tenant_id', target.tenantId)
          .forUpdate()) as DocumentRow[])
      : [];
    const byId = new Map(rows.map((r) => [r.document_id, r]));
    const now = this.clock();
    const errors: FieldError[] = [];
    for (const d of submitted) {
      const row = byId.get(d.documentId);
      const usable =
        row &&
        (row.expires_at === null || row.expires_at.getTime() > now.getTime()) &&
        (String(row.user_task_key) === target.userTaskKey ||
          String(row.process_instance_key) === target.processInstanceKey ||
          (row.process_instance_key === null &&
            row.user_task_key === null &&
            row.uploaded_by === target.actor.username));
      if (!usable)
        errors.push({
          field: `variables.${d.field}`,
          reason: `refers to document <${d.documentId}>, which does not exist or was not uploaded for this task or its process instance`,
        });
      else if (d.storeId !== undefined && d.storeId !== row.store_id)
        errors.push({ field: `variables.${d.field}`, reason: `storeId must be <${row.store_id}>` });
      else if (d.contentHash !== undefined && d.contentHash !== null && d.contentHash !== row.content_hash)
        errors.push({
          field: `variables.${d.field}`,
          reason: `contentHash does not match the content of document <${d.documentId}>`,
        });
    }
    if (errors.length)
      throw badRequest(
        `the submitted documents are not valid: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
        errors,
      );
    if (!rows.length) return new Map();
    await trx('documents')
      .whereIn(
        'document_id',
        rows.map((r) => r.document_id),
      )
      .update({
        process_instance_key: trx.raw('coalesce(process_instance_key, ?)', [target.processInstanceKey]),
        user_task_key: trx.raw('coalesce(user_task_key, ?)', [target.userTaskKey]),
      });
    return new Map(
      rows.map((r) => [
        r.document_id,
        referenceOf({
          ...r,
          process_instance_key: r.process_instance_key ?? target.processInstanceKey,
          user_task_key: r.user_task_key ?? target.userTaskKey,
          process_definition_id: target.processDefinitionId,
        }),
      ]),
    );
  }
}

function referenceOf(row: DocumentRow): DocumentReference {
  return {
    'camunda.document.type': 'camunda',
    storeId: row.store_id,
    documentId: row.document_id,
    contentHash: row.content_hash,
    metadata: {
      contentType: row.content_type,
      fileName: row.file_name,
      size: Number(row.size),
      expiresAt: iso(row.expires_at),
      processDefinitionId: row.process_definition_id ?? null,
      processInstanceKey: row.process_instance_key === null ? null : String(row.process_instance_key),
      userTaskKey: row.user_task_key === null ? null : String(row.user_task_key),
      customProperties: {},
    },
  };
}

/**
 * The file name kept for display: no directories, no control or bidirectional-override characters
 * (which can disguise `exe.jpg` as `gpj.exe`), at most 255 characters.
 */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const hidden = (c: number) =>
    c < 0x20 || c === 0x7f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
  const clean = [...base]
    .filter((ch) => !hidden(ch.codePointAt(0)!))
    .join('')
    .trim();
  const short = [...clean].slice(0, 255).join('');
  return short === '' || short === '.' || short === '..' ? 'document' : short;
}
