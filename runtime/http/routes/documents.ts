import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import multer from 'multer';
import { log } from '../../logging/logger.js';
import { badRequest, Problem } from '../problem.js';
import { type AppServices, actorOf, BodyReader, targetTenant } from '../services.js';

/**
 * Documents (Camunda 8 shape): `POST /v2/documents` (multipart `file`, optional `userTaskKey` or
 * `processInstanceKey` to link it, `tenantId` for an unlinked one, `metadata` JSON with `fileName`
 * and `expiresAt`) answers 201 with a document reference; `GET /v2/documents/{documentId}`
 * downloads it as an attachment; `DELETE /v2/documents/{documentId}` removes it.
 */
export function documentRoutes(s: AppServices): Router {
  const router = Router();
  const maxBytes = s.documents.maxBytes;
  const upload = multer({
    storage: multer.memoryStorage(),
    defParamCharset: 'utf8',
    limits: { fileSize: maxBytes, files: 1, fields: 8, fieldSize: 8 * 1024, parts: 10 },
  });

  router.post('/documents', (req, res, next) => {
    if (!req.is('multipart/form-data'))
      return next(
        new Problem(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'expected a multipart/form-data body with the file in part <file>',
          [{ field: '(body)', reason: 'must be multipart/form-data' }],
        ),
      );
    upload.single('file')(req, res, async (err: unknown) => {
      try {
        if (err) throw uploadProblem(err, maxBytes);
        const b = new BodyReader(req.body ?? {});
        const userTaskKey = b.key('userTaskKey');
        const processInstanceKey = b.key('processInstanceKey');
        const metadata = readMetadata(b);
        if (!req.file) b.errors.push({ field: 'file', reason: 'is required (a multipart part named file)' });
        if (req.query.documentId !== undefined)
          b.errors.push({ field: 'documentId', reason: 'is chosen by the server, not the client' });
        if (req.query.storeId !== undefined && req.query.storeId !== s.documents.store.id)
          b.errors.push({ field: 'storeId', reason: `must be <${s.documents.store.id}> (the only store)` });
        b.done();
        const linked = userTaskKey !== undefined || processInstanceKey !== undefined;
        const tenantId = linked ? b.string('tenantId') : targetTenant(req, req.body?.tenantId);
        b.done();
        const file = req.file!;
        const reference = await s.documents.upload(
          {
            content: file.buffer,
            fileName: metadata.fileName ?? file.originalname,
            declaredType: file.mimetype,
            tenantId,
            userTaskKey,
            processInstanceKey,
            expiresAt: metadata.expiresAt,
          },
          actorOf(req),
        );
        res.status(201).json(reference);
      } catch (e) {
        next(e);
      }
    });
  });

  router.get('/documents/:documentId', async (req, res) => {
    const { reference, content } = await s.documents.open(req.params.documentId, actorOf(req));
    const wrong = (value: unknown, actual: string) => value !== undefined && value !== actual;
    // Camunda's optional storeId and contentHash: a reference that does not match finds nothing.
    if (wrong(req.query.storeId, reference.storeId) || wrong(req.query.contentHash, reference.contentHash)) {
      content.destroy();
      throw new Problem(
        404,
        'NOT_FOUND',
        `expected to find document with id <${req.params.documentId}>, but none was found`,
      );
    }
    res.status(200);
    res.setHeader('Content-Type', reference.metadata.contentType);
    res.setHeader('Content-Length', String(reference.metadata.size));
    res.setHeader('Content-Disposition', attachment(reference.metadata.fileName));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('ETag', `"${reference.contentHash}"`);
    try {
      await pipeline(content, res);
    } catch (err) {
      // Headers are out: all we can do is cut the connection so the client sees a broken download.
      log.error('document download failed', { documentId: reference.documentId, err });
      res.destroy();
    }
  });

  router.delete('/documents/:documentId', async (req, res) => {
    await s.documents.delete(req.params.documentId, actorOf(req));
    res.status(204).end();
  });
  return router;
}

function uploadProblem(err: unknown, maxBytes: number): Problem {
  const e = err as { code?: string; message: string; field?: string };
  if (e.code === 'LIMIT_FILE_SIZE')
    return new Problem(413, 'PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes`, [
      { field: e.field ?? 'file', reason: `must be at most ${maxBytes} bytes` },
    ]);
  if (e.code === 'LIMIT_UNEXPECTED_FILE')
    return badRequest(`unexpected file part <${e.field}>: send one file in part <file>`, [
      { field: e.field ?? '(body)', reason: 'is not a file part this endpoint accepts (use file)' },
    ]);
  if (e.code?.startsWith('LIMIT_'))
    return badRequest(`the upload was rejected: ${e.message}`, [
      { field: e.field ?? '(body)', reason: e.message },
    ]);
  return badRequest(`the multipart body could not be read: ${e.message}`, [
    { field: '(body)', reason: 'is not a readable multipart/form-data body' },
  ]);
}

/** Camunda's optional `metadata` part (JSON): only `fileName` and `expiresAt` are taken from it. */
function readMetadata(b: BodyReader): { fileName?: string; expiresAt?: Date } {
  const raw = b.body.metadata;
  if (raw === undefined || raw === '') return {};
  let m: unknown;
  try {
    m = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    b.errors.push({ field: 'metadata', reason: 'must be a JSON object' });
    return {};
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) {
    b.errors.push({ field: 'metadata', reason: 'must be a JSON object' });
    return {};
  }
  const { fileName, expiresAt } = m as Record<string, unknown>;
  const out: { fileName?: string; expiresAt?: Date } = {};
  if (fileName !== undefined && fileName !== null) {
    if (typeof fileName !== 'string' || fileName.trim() === '')
      b.errors.push({ field: 'metadata.fileName', reason: 'must be a non-empty string' });
    else out.fileName = fileName;
  }
  if (expiresAt !== undefined && expiresAt !== null) {
    const d = typeof expiresAt === 'string' ? new Date(expiresAt) : undefined;
    if (!d || Number.isNaN(d.getTime()))
      b.errors.push({ field: 'metadata.expiresAt', reason: 'must be an ISO 8601 date-time' });
    else out.expiresAt = d;
  }
  return out;
}

/**
 * `Content-Disposition: attachment` with an ASCII fallback `filename` and the real name as an
 * RFC 5987 `filename*` (UTF-8, percent-encoded), so Chinese names survive and nothing in the
 * name can break out of the header.
 */
export function attachment(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
