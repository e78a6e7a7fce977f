import { whereVariableEquals } from '../persistence/variable-filters.js';
import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { DocumentService } from '../documents/document-service.js';
import {
  buildApprovalRecord,
  loadRecordSource,
  type RecordSource,
  recordLang,
  renderApprovalRecordPdf,
} from '../records/approval-record.js';
import { refusedUrl } from '../net/allowlist.js';
import type { NotificationService } from '../notifications/notification-service.js';
import { evaluateFeel, isFeel } from '../../engine/index.js';
import { log } from '../logging/logger.js';
import type { Actor, EngineService } from '../services/engine-service.js';
import type { ActivatedJob, JobService } from './job-service.js';

/**
 * Job types Lifeflow runs itself, so common steps need no external worker:
 * - `set-variables`: every task header becomes a variable (FEEL `=...` evaluated on the job's
 *   variables, other values taken as text);
 * - `http`: headers `method` (GET), `url`, optional `headers` (FEEL context) and `body` (FEEL),
 *   `resultVariable` (default `response`); only hosts on the admin's allowlist (HTTP_ALLOWED_HOSTS)
 *   may be called; a non-2xx answer or a network error fails the job with retries and back-off;
 * - `email`: headers `to` (one or more addresses, comma-separated or a FEEL list), `subject`,
 *   `body` (plain text), static or FEEL; sent through the SMTP server in SMTP_URL;
 * - `design-lesson`: records a closed problem in the design lessons library (headers `title`,
 *   `project`, `asset`, `category`, `severity`, `cause`, `measures`, `lesson`, static or FEEL);
 * - `start-process`: starts another process in the same tenant (headers `processDefinitionId`,
 *   `variables` (a FEEL context), `businessKey`, `resultVariable` default
 *   `startedProcessInstanceKey`), in the transaction that completes the job: exactly once;
 * - `kpi-facts`: figures of the feedback loop for a project over a period (headers `project`,
 *   `from`, `to`: FEEL or text; default the 90 days before now) as the variable `kpiFacts`:
 *   `{ reported, closed, open, mttrHours }` (mean time from report to closure, null when none closed);
 * - `find-design-lessons`: the lessons of earlier projects a design review should see (headers
 *   `systems`: the asset systems under review, e.g. 暖通空调, a FEEL list or comma-separated;
 *   `categories` likewise; `excludeProject`: the project under review; `limit` 1–50, default 20;
 *   `resultVariable` default `designLessons`), newest first;
 * - `archive-record`: files the instance's approval record (审批单) as a PDF document linked to the
 *   instance (headers `fileName`, `lang` zh-CN or en, static or FEEL; `resultVariable` default
 *   `approvalRecord`, the document reference), written with the job's completion: filed once.
 */
export const BUILTIN_TYPES = [
  'set-variables',
  'http',
  'email',
  'notify',
  'design-lesson',
  'start-process',
  'kpi-facts',
  'archive-record',
  'find-design-lessons',
] as const;

/** The process whose instances kpi-facts counts. */
const FEEDBACK_PROCESS = 'feedback-loop';

/** Longest text a design lesson keeps per field. */
const MAX_LESSON_TEXT = 4000;

export interface MailSettings {
  smtpUrl?: string;
  from: string;
}

const WORKER_ACTOR = 'system:worker';

/** A name-based UUID (the layout of RFC 4122 version 5, SHA-1): the same name, the same id. */
function uuidFrom(name: string): string {
  const b = createHash('sha1').update(name).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
const MAX_RECIPIENTS = 50;
const MAX_RESPONSE_BYTES = 1024 * 1024;
const PLAIN_ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export class BuiltinWorkers {
  private stopped = true;
  private readonly aborts: AbortController[] = [];
  /** Writes the notifications of the `notify` type (抄送 / CC) with the job's completion. */
  notifications: NotificationService | undefined;
  /** Where `archive-record` files the record, and how it names the elements in it. */
  archive:
    | {
        documents: DocumentService;
        elements: (processDefinitionKey: string) => Promise<RecordSource['elements']>;
        timeZone?: string;
      }
    | undefined;

  constructor(
    private readonly jobs: JobService,
    private readonly engine: EngineService,
    private readonly allowedHosts: string[],
    private readonly tenantIds: () => Promise<string[]>,
    private readonly mail: MailSettings = { from: 'Lifeflow <lifeflow@localhost>' },
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  start(): void {
    this.stopped = false;
    for (const type of BUILTIN_TYPES) void this.loop(type);
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.aborts.splice(0)) a.abort();
  }

  private async loop(type: string): Promise<void> {
    while (!this.stopped) {
      const abort = new AbortController();
      this.aborts.push(abort);
      try {
        const jobs = await this.jobs.activate(
          {
            type,
            worker: WORKER_ACTOR,
            timeout: 60_000,
            maxJobsToActivate: 8,
            requestTimeout: 30_000,
            tenantIds: await this.tenantIds(),
          },
          abort.signal,
        );
        // All at once, well within their lock: a job still running when its lock ends would be
        // handed to another node and run twice.
        await Promise.all(jobs.map((job) => this.run(job)));
      } catch (err) {
        if (!this.stopped) {
          log.error('built-in worker failed; retrying in 5 s', { type, err });
          await new Promise((r) => setTimeout(r, 5000));
        }
      } finally {
        this.aborts.splice(this.aborts.indexOf(abort), 1);
      }
    }
  }

  /** Runs one job of a built-in type and reports the outcome to the engine. */
  async run(job: ActivatedJob): Promise<void> {
    const actor: Actor = { username: WORKER_ACTOR, tenantIds: [job.tenantId], groups: [], roles: ['admin'] };
    try {
      if (job.type === 'notify') {
        await this.notify(job, actor);
        return;
      }
      if (job.type === 'design-lesson') {
        await this.designLesson(job, actor);
        return;
      }
      if (job.type === 'start-process') {
        await this.startProcess(job, actor);
        return;
      }
      if (job.type === 'find-design-lessons') {
        const resultVariable = job.customHeaders.resultVariable ?? 'designLessons';
        await this.engine.execute(
          {
            type: 'job.complete',
            jobKey: job.jobKey,
            variables: { [resultVariable]: await this.findDesignLessons(job) },
          },
          actor,
        );
        return;
      }
      if (job.type === 'archive-record') {
        await this.archiveRecord(job, actor);
        return;
      }
      if (job.type === 'kpi-facts') {
        const kpiFacts = await this.kpiFacts(job);
        await this.engine.execute(
          { type: 'job.complete', jobKey: job.jobKey, variables: { kpiFacts } },
          actor,
        );
        return;
      }
      const variables =
        job.type === 'http'
          ? await this.http(job)
          : job.type === 'email'
            ? await this.email(job)
            : this.setVariables(job);
      await this.engine.execute({ type: 'job.complete', jobKey: job.jobKey, variables }, actor);
    } catch (err) {
      const retries = Math.max(0, job.retries - 1);
      const backOff = Math.min(60_000, 1000 * 2 ** Math.max(0, 3 - retries));
      await this.engine
        .execute(
          {
            type: 'job.fail',
            jobKey: job.jobKey,
            retries,
            errorMessage: (err as Error).message,
            retryBackOffMs: retries > 0 ? backOff : 0,
            variables: {},
          },
          actor,
        )
        .catch((e) => log.error('could not report a failed built-in job', { jobKey: job.jobKey, err: e }));
    }
  }

  /**
   * `notify`: tells users and groups (headers `users`, `groups`: FEEL lists or comma-separated
   * names) something (`message`), as a CC (抄送) or, with `event` MENTIONED, a mention. The
   * notifications are written in the transaction that completes the job: sent once.
   */
  private async notify(job: ActivatedJob, actor: Actor): Promise<void> {
    if (!this.notifications) throw new Error('notifications are not available in this runtime');
    const h = job.customHeaders;
    const names = (header: 'users' | 'groups') => {
      const v = h[header] === undefined ? [] : this.value(h[header], job, header);
      return (Array.isArray(v) ? v : String(v).split(',')).map((x) => String(x).trim()).filter(Boolean);
    };
    const users = names('users');
    const groups = names('groups');
    if (!users.length && !groups.length)
      throw new Error('notify needs recipients in the header <users> or <groups>');
    const event = h.event ?? 'CC';
    if (event !== 'CC' && event !== 'MENTIONED')
      throw new Error(`notify sends CC or MENTIONED, not '${event}'`);
    const message = String(this.value(h.message ?? '', job, 'message'));
    const notifications = this.notifications;
    await this.engine.knex.transaction(async (trx) => {
      await notifications.notify(trx, [
        {
          tenantId: job.tenantId,
          event,
          users,
          groups,
          data: {
            processName: String(job.variables.processName ?? job.processDefinitionId),
            processDefinitionId: job.processDefinitionId,
            processInstanceKey: job.processInstanceKey,
            message,
            actor: String(h.from ?? ''),
          },
          processInstanceKey: job.processInstanceKey,
        },
      ]);
      await this.engine.executeIn(trx, { type: 'job.complete', jobKey: job.jobKey, variables: {} }, actor);
    });
  }

  /**
   * `design-lesson`: one row of the lessons library, written with the job's completion (a retry
   * of the same job writes nothing more).
   */
  private async designLesson(job: ActivatedJob, actor: Actor): Promise<void> {
    const h = job.customHeaders;
    const text = (header: string) => {
      if (h[header] === undefined) return null;
      const v = this.value(h[header], job, header);
      if (v === null || v === undefined || v === '') return null;
      return (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, MAX_LESSON_TEXT);
    };
    const title = text('title');
    if (!title) throw new Error('design-lesson needs a title in the header <title>');
    await this.engine.knex.transaction(async (trx) => {
      await trx('design_lessons')
        .insert({
          lesson_key: this.engine.nextKey(),
          tenant_id: job.tenantId,
          job_key: job.jobKey,
          process_instance_key: job.processInstanceKey,
          project: text('project'),
          asset: text('asset'),
          category: text('category'),
          severity: text('severity'),
          title,
          cause: text('cause'),
          measures: text('measures'),
          lesson: text('lesson'),
        })
        .onConflict('job_key')
        .ignore();
      await this.engine.executeIn(trx, { type: 'job.complete', jobKey: job.jobKey, variables: {} }, actor);
    });
  }

  /** `start-process`: one new instance, started with the job's completion in one transaction. */
  private async startProcess(job: ActivatedJob, actor: Actor): Promise<void> {
    const h = job.customHeaders;
    const id =
      h.processDefinitionId === undefined
        ? ''
        : this.value(h.processDefinitionId, job, 'processDefinitionId');
    if (typeof id !== 'string' || !id)
      throw new Error('start-process needs the header <processDefinitionId>');
    const variables = h.variables === undefined ? {} : this.value(h.variables, job, 'variables');
    if (variables === null || typeof variables !== 'object' || Array.isArray(variables))
      throw new Error('start-process: the header <variables> must give a context (an object)');
    const businessKey = h.businessKey === undefined ? null : this.value(h.businessKey, job, 'businessKey');
    const resultVariable = h.resultVariable ?? 'startedProcessInstanceKey';
    await this.engine.knex.transaction(async (trx) => {
      const state = await this.engine.createInstance(
        {
          processDefinitionId: id,
          tenantId: job.tenantId,
          variables: variables as Record<string, unknown>,
          businessKey: businessKey === null ? null : String(businessKey),
        },
        actor,
        trx,
      );
      await this.engine.executeIn(
        trx,
        {
          type: 'job.complete',
          jobKey: job.jobKey,
          variables: { [resultVariable]: state.instance.processInstanceKey },
        },
        actor,
      );
    });
  }

  /**
   * `archive-record`: the 审批单 as it stands at this step (every decision before it), rendered as
   * PDF and filed with the instance in the transaction that completes the job: filed once. The
   * document id is derived from the job, so an attempt that rolled back leaves no second file.
   */
  private async archiveRecord(job: ActivatedJob, actor: Actor): Promise<void> {
    const archive = this.archive;
    if (!archive) throw new Error('archiving is not available in this runtime');
    const h = job.customHeaders;
    const lang = recordLang(h.lang === undefined ? 'zh-CN' : this.value(h.lang, job, 'lang'));
    const source = await loadRecordSource(this.engine.knex, job.processInstanceKey, {
      elements: archive.elements,
    });
    if (!source) throw new Error(`archive-record: no process instance <${job.processInstanceKey}>`);
    const record = buildApprovalRecord(source);
    const pdf = await renderApprovalRecordPdf(record, { lang, timeZone: archive.timeZone });
    const named = h.fileName === undefined ? null : this.value(h.fileName, job, 'fileName');
    const base =
      typeof named === 'string' && named.trim()
        ? named.trim()
        : `${lang === 'en' ? 'approval-record' : '审批记录'}-${job.processInstanceKey}`;
    const fileName = base.toLowerCase().endsWith('.pdf') ? base : `${base}.pdf`;
    const resultVariable = h.resultVariable ?? 'approvalRecord';
    await this.engine.knex.transaction(async (trx) => {
      const reference = await archive.documents.archive(trx, {
        documentId: uuidFrom(`lifeflow:archive-record:${job.jobKey}`),
        tenantId: job.tenantId,
        processInstanceKey: job.processInstanceKey,
        processDefinitionId: job.processDefinitionId,
        fileName,
        contentType: 'application/pdf',
        content: pdf,
        uploadedBy: WORKER_ACTOR,
      });
      await this.engine.executeIn(
        trx,
        { type: 'job.complete', jobKey: job.jobKey, variables: { [resultVariable]: reference } },
        actor,
      );
    });
  }

  /**
   * `find-design-lessons`: lessons recorded in the tenant from closed problems of other projects,
   * on assets of the systems under review (the asset's system in the asset register).
   */
  private async findDesignLessons(job: ActivatedJob) {
    const h = job.customHeaders;
    const list = (header: 'systems' | 'categories') => {
      if (h[header] === undefined) return [];
      const v = this.value(h[header], job, header);
      if (v === null || v === undefined) return [];
      return (Array.isArray(v) ? v : String(v).split(','))
        .map((x) => String(x).trim())
        .filter(Boolean)
        .slice(0, 50);
    };
    const systems = list('systems');
    const categories = list('categories');
    const exclude =
      h.excludeProject === undefined ? null : this.value(h.excludeProject, job, 'excludeProject');
    const limit = h.limit === undefined ? 20 : Number(this.value(h.limit, job, 'limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 50)
      throw new Error('find-design-lessons: <limit> must be a whole number from 1 to 50');
    const rows: any[] = await this.engine
      .knex('design_lessons as dl')
      .leftJoin('assets as a', function () {
        this.on('a.tenant_id', '=', 'dl.tenant_id').andOn('a.code', '=', 'dl.asset');
      })
      .where('dl.tenant_id', job.tenantId)
      .modify((q) => {
        if (typeof exclude === 'string' && exclude)
          q.where((w) => w.whereNull('dl.project').orWhereNot('dl.project', exclude));
        if (systems.length) q.whereIn('a.system', systems);
        if (categories.length) q.whereIn('dl.category', categories);
      })
      .orderBy([
        { column: 'dl.created_at', order: 'desc' },
        { column: 'dl.lesson_key', order: 'desc' },
      ])
      .limit(limit)
      .select(
        'dl.lesson_key',
        'dl.title',
        'dl.project',
        'dl.asset',
        'a.system',
        'dl.category',
        'dl.severity',
        'dl.cause',
        'dl.measures',
        'dl.lesson',
      );
    return rows.map((r) => ({
      lessonKey: String(r.lesson_key),
      title: r.title,
      project: r.project,
      asset: r.asset,
      system: r.system ?? null,
      category: r.category,
      severity: r.severity,
      cause: r.cause,
      measures: r.measures,
      lesson: r.lesson,
    }));
  }

  /** `kpi-facts`: the feedback loop's figures for a project over a period. */
  private async kpiFacts(job: ActivatedJob) {
    const h = job.customHeaders;
    const project = h.project === undefined ? undefined : this.value(h.project, job, 'project');
    if (typeof project !== 'string' || !project) throw new Error('kpi-facts needs the header <project>');
    const date = (header: 'from' | 'to', fallback: Date) => {
      if (h[header] === undefined) return fallback;
      const v = this.value(h[header], job, header);
      const d = new Date(String(v));
      if (Number.isNaN(d.getTime()))
        throw new Error(`kpi-facts: <${header}> is not a date: ${JSON.stringify(v)}`);
      return d;
    };
    const to = date('to', new Date());
    const from = date('from', new Date(to.getTime() - 90 * 86_400_000));
    const rows: any[] = await whereVariableEquals(
      this.engine
        .knex('process_instances as pi')
        .where({ 'pi.tenant_id': job.tenantId, 'pi.process_definition_id': FEEDBACK_PROCESS }),
      'pi.process_instance_key',
      'project',
      project,
    )
      .where('pi.start_date', '>=', from)
      .where('pi.start_date', '<', to)
      .select('pi.state', 'pi.start_date', 'pi.end_date');
    const closed = rows.filter((r) => r.state === 'COMPLETED' && r.end_date);
    const hours = closed.map(
      (r) => (new Date(r.end_date).getTime() - new Date(r.start_date).getTime()) / 3_600_000,
    );
    return {
      project,
      from: from.toISOString(),
      to: to.toISOString(),
      reported: rows.length,
      closed: closed.length,
      open: rows.filter((r) => r.state === 'ACTIVE').length,
      mttrHours: hours.length
        ? Math.round((hours.reduce((a, b) => a + b, 0) / hours.length) * 10) / 10
        : null,
    };
  }

  private value(expression: string, job: ActivatedJob, what: string): unknown {
    if (!isFeel(expression)) return expression;
    const r = evaluateFeel(expression, job.variables);
    if (!r.ok) throw new Error(`${what}: ${r.message}`);
    return r.value;
  }

  private setVariables(job: ActivatedJob): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(job.customHeaders).map(([name, expr]) => [
        name,
        this.value(expr, job, `header <${name}>`),
      ]),
    );
  }

  private transport: ReturnType<typeof createTransport> | undefined;

  private async email(job: ActivatedJob): Promise<Record<string, unknown>> {
    if (!this.mail.smtpUrl) throw new Error('email cannot be sent: no SMTP server is configured (SMTP_URL)');
    const h = job.customHeaders;
    const toValue = this.value(h.to ?? '', job, 'to');
    const to = (Array.isArray(toValue) ? toValue : String(toValue).split(','))
      .map((a) => String(a).trim())
      .filter(Boolean);
    if (to.length === 0) throw new Error('email needs at least one recipient in the header <to>');
    if (to.length > MAX_RECIPIENTS) throw new Error(`email may have at most ${MAX_RECIPIENTS} recipients`);
    // Each recipient is one plain address: no names, groups or line breaks that could smuggle in more.
    const bad = to.find((a) => !PLAIN_ADDRESS.test(a));
    if (bad) throw new Error(`'${bad.slice(0, 80)}' is not a plain email address`);
    const subject = String(this.value(h.subject ?? '', job, 'subject'));
    const text = String(this.value(h.body ?? '', job, 'body'));
    this.transport ??= createTransport(this.mail.smtpUrl);
    const info = await this.transport.sendMail({ from: this.mail.from, to, subject, text });
    return h.resultVariable
      ? { [h.resultVariable]: { messageId: info.messageId, accepted: info.accepted } }
      : {};
  }

  private async http(job: ActivatedJob): Promise<Record<string, unknown>> {
    const h = job.customHeaders;
    const url = new URL(String(this.value(h.url ?? '', job, 'url')));
    const refused = refusedUrl(url.href, this.allowedHosts);
    if (refused) throw new Error(`the http job type may not call <${url.origin}>: ${refused}`);
    const method = String(this.value(h.method ?? 'GET', job, 'method')).toUpperCase();
    const headers = (h.headers ? this.value(h.headers, job, 'headers') : {}) as Record<string, string>;
    const body = h.body !== undefined ? this.value(h.body, job, 'body') : undefined;
    const res = await this.fetchImpl(url, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body:
        body === undefined || method === 'GET'
          ? undefined
          : typeof body === 'string'
            ? body
            : JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_RESPONSE_BYTES)
      throw new Error(`the answer of ${url.origin} is larger than ${MAX_RESPONSE_BYTES} bytes`);
    const text = (await res.text()).slice(0, MAX_RESPONSE_BYTES);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (res.status < 200 || res.status >= 300)
      throw new Error(`${method} ${url.origin}${url.pathname} answered ${res.status}`);
    return { [h.resultVariable ?? 'response']: { status: res.status, body: parsed } };
  }
}
