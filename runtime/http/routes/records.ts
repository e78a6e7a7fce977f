import { Router, type Request } from 'express';
import { findReadableInstance } from '../../auth/access.js';
import {
  buildApprovalRecord,
  DEFAULT_TIME_ZONE,
  elementsOfCompiled,
  isTimeZone,
  loadRecordSource,
  RECORD_CSP,
  recordLang,
  renderApprovalRecordHtml,
  renderApprovalRecordPdf,
} from '../../records/approval-record.js';
import { badRequest, notFound } from '../problem.js';
import type { AppServices } from '../services.js';
import { pathKey } from '../services.js';

/**
 * Lifeflow: 审批单, the printable record of an instance for the archive.
 *   GET /v2/process-instances/{key}/record      → text/html (inline), `?lang=en`, `?timeZone=…`
 *   GET /v2/process-instances/{key}/record.pdf  → application/pdf (attachment)
 * Whoever may read the instance may print it; anyone else is told it does not exist (404).
 */
export function recordRoutes(s: AppServices, opts: { timeZone?: string } = {}): Router {
  const router = Router();
  const defaultTimeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;

  const load = async (req: Request) => {
    const key = pathKey(req.params.key, 'processInstanceKey');
    const q = req.query as Record<string, unknown>;
    const tz = q.timeZone;
    if (tz !== undefined && (typeof tz !== 'string' || !isTimeZone(tz)))
      throw badRequest('timeZone must be an IANA time zone such as Asia/Shanghai', [
        { field: 'timeZone', reason: 'must be an IANA time zone such as Asia/Shanghai' },
      ]);
    const lang = recordLang(q.lang);
    await findReadableInstance(s.knex, req.principal!, key);
    const missing = () => notFound(`expected to find process instance with key <${key}>, but none was found`);
    const source = await loadRecordSource(s.knex, key, {
      elements: async (definitionKey) => elementsOfCompiled(await s.definitions.getCompiled(definitionKey)),
    });
    if (!source) throw missing();
    return {
      key,
      record: buildApprovalRecord(source),
      render: { lang, timeZone: (tz as string | undefined) ?? defaultTimeZone },
    };
  };

  router.get('/process-instances/:key/record', async (req, res) => {
    const { key, record, render } = await load(req);
    res.setHeader('Content-Security-Policy', `${RECORD_CSP}; sandbox`);
    res.setHeader('Content-Language', render.lang);
    res.setHeader('Content-Disposition', `inline; filename="approval-record-${key}.html"`);
    res.type('text/html; charset=utf-8').send(renderApprovalRecordHtml(record, render));
  });

  router.get('/process-instances/:key/record.pdf', async (req, res) => {
    const { key, record, render } = await load(req);
    const pdf = await renderApprovalRecordPdf(record, render);
    res.setHeader('Content-Language', render.lang);
    res.setHeader('Content-Disposition', `attachment; filename="approval-record-${key}.pdf"`);
    res.type('application/pdf').send(pdf);
  });
  return router;
}
