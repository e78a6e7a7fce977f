import type { Knex } from 'knex';
import { Router } from 'express';
import { restrictToReadableInstances, type Subject } from '../../auth/access.js';
import { badRequest, notFound } from '../problem.js';
import { registerReadRoutes } from '../search.js';
import { type AppServices, BodyReader, pathKey } from '../services.js';
import { jobView } from '../views.js';

/** The longest range the daily statistics cover, in days. */
const MAX_DAYS = 366;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The definition, if it is in one of the caller's tenants. */
async function definitionOf(knex: Knex, subject: Subject, key: string) {
  const row = await knex('process_definitions')
    .where({ process_definition_key: key })
    .whereIn('tenant_id', subject.tenantIds)
    .first('process_definition_key', 'tenant_id');
  if (!row) throw notFound(`expected to find process definition with key <${key}>, but none was found`);
  return row;
}

/** `YYYY-MM-DD` of a date in a time zone. */
function dayIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
}

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * The monitor's statistics of one process definition: per element (Camunda's element-instance
 * statistics, with durations for the heatmap) and per day (started and completed instances).
 * Only instances the caller may read are counted.
 */
export function monitorRoutes(s: AppServices): Router {
  const router = Router();

  // Jobs as the monitor sees them, of the instances the caller may read (workers activate jobs
  // through /v2/jobs/activation instead).
  registerReadRoutes(router, s.knex, {
    path: 'jobs',
    table: 'jobs',
    keyColumn: 'job_key',
    keyName: 'jobKey',
    what: 'job',
    view: jobView,
    restrict: (q, subject) => restrictToReadableInstances(q, subject, 'process_instance_key'),
    fields: {
      jobKey: { column: 'job_key', type: 'key' },
      type: { column: 'type' },
      kind: { column: 'kind' },
      state: { column: 'state' },
      retries: { column: 'retries', type: 'number' },
      worker: { column: 'worker' },
      elementId: { column: 'element_id' },
      elementInstanceKey: { column: 'element_instance_key', type: 'key' },
      processInstanceKey: { column: 'process_instance_key', type: 'key' },
      processDefinitionKey: { column: 'process_definition_key', type: 'key' },
      processDefinitionId: { column: 'process_definition_id' },
      dueDate: { column: 'due_at', type: 'date' },
      creationTime: { column: 'created_at', type: 'date' },
      tenantId: { column: 'tenant_id' },
    },
  });

  router.post('/process-definitions/:key/statistics/element-instances', async (req, res) => {
    const key = pathKey(req.params.key, 'processDefinitionKey');
    const b = new BodyReader(req.body ?? {});
    const filter = b.object('filter');
    for (const name of Object.keys(b.body))
      if (name !== 'filter') b.errors.push({ field: name, reason: 'is not a field; expected filter' });
    const f = new BodyReader(filter);
    const after = f.string('startDateFrom');
    const before = f.string('startDateTo');
    for (const name of Object.keys(filter))
      if (name !== 'startDateFrom' && name !== 'startDateTo')
        f.errors.push({ field: name, reason: 'is not a filter; expected startDateFrom, startDateTo' });
    for (const [name, v] of [
      ['startDateFrom', after],
      ['startDateTo', before],
    ] as const)
      if (v !== undefined && Number.isNaN(new Date(v).getTime()))
        f.errors.push({ field: name, reason: 'must be an ISO 8601 date-time' });
    b.errors.push(...f.errors.map((e) => ({ ...e, field: `filter.${e.field}` })));
    b.done();
    const subject = req.principal!;
    await definitionOf(s.knex, subject, key);
    const k = s.knex;
    const ms = 'extract(epoch from (ei.end_date - ei.start_date)) * 1000';
    const scoped = (q: Knex.QueryBuilder) => {
      q.where('ei.process_definition_key', key)
        .whereIn('ei.tenant_id', subject.tenantIds)
        .whereNot('ei.element_type', 'bpmn:MultiInstanceBody')
        .whereNot('ei.element_type', 'bpmn:Process');
      if (after) q.where('ei.start_date', '>=', after);
      if (before) q.where('ei.start_date', '<=', before);
      return restrictToReadableInstances(q, subject, 'ei.process_instance_key');
    };
    const rows = await scoped(
      k('element_instances as ei')
        .select('ei.element_id')
        .select(
          k.raw("count(*) filter (where ei.state = 'ACTIVE') as active"),
          k.raw("count(*) filter (where ei.state = 'COMPLETED') as completed"),
          k.raw("count(*) filter (where ei.state = 'TERMINATED') as canceled"),
          k.raw("count(*) filter (where ei.state = 'ACTIVE' and ei.incident_key is not null) as incidents"),
          k.raw(`avg(${ms}) filter (where ei.state = 'COMPLETED') as avg_ms`),
          k.raw(
            `percentile_cont(0.9) within group (order by ${ms}) filter (where ei.state = 'COMPLETED') as p90_ms`,
          ),
        )
        .groupBy('ei.element_id')
        .orderBy('ei.element_id'),
    );
    const round = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
    res.json({
      items: rows.map((r: any) => ({
        elementId: r.element_id,
        active: Number(r.active),
        completed: Number(r.completed),
        canceled: Number(r.canceled),
        incidents: Number(r.incidents),
        averageDurationMs: round(r.avg_ms),
        p90DurationMs: round(r.p90_ms),
      })),
    });
  });

  router.post('/process-definitions/:key/statistics/daily', async (req, res) => {
    const key = pathKey(req.params.key, 'processDefinitionKey');
    const b = new BodyReader(req.body ?? {});
    const timeZone = b.string('timeZone') ?? 'UTC';
    let from = b.string('from');
    let to = b.string('to');
    for (const name of Object.keys(b.body))
      if (!['from', 'to', 'timeZone'].includes(name))
        b.errors.push({ field: name, reason: 'is not a field; expected from, to, timeZone' });
    try {
      new Intl.DateTimeFormat('en', { timeZone });
    } catch {
      b.errors.push({
        field: 'timeZone',
        reason: `is not an IANA time zone, e.g. Asia/Shanghai: ${timeZone}`,
      });
    }
    for (const [name, v] of [
      ['from', from],
      ['to', to],
    ] as const)
      if (v !== undefined && (!DAY.test(v) || Number.isNaN(new Date(`${v}T00:00:00Z`).getTime())))
        b.errors.push({ field: name, reason: 'must be a date YYYY-MM-DD' });
    b.done();
    to ??= dayIn(new Date(), timeZone);
    from ??= addDays(to, -29);
    const days =
      Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
    if (days < 1) throw badRequest('from is after to', [{ field: 'from', reason: `is after to (${to})` }]);
    if (days > MAX_DAYS)
      throw badRequest(`the range is longer than ${MAX_DAYS} days`, [
        { field: 'from', reason: `the range from..to must be at most ${MAX_DAYS} days` },
      ]);
    const subject = req.principal!;
    await definitionOf(s.knex, subject, key);
    const k = s.knex;
    const perDay = (column: 'start_date' | 'end_date', state?: string) => {
      const q = k('process_instances as pi')
        .select(k.raw(`to_char((pi.${column} at time zone ?)::date, 'YYYY-MM-DD') as day`, [timeZone]))
        .count({ n: '*' })
        .where('pi.process_definition_key', key)
        .whereIn('pi.tenant_id', subject.tenantIds)
        .whereRaw(`pi.${column} >= (?::date)::timestamp at time zone ?`, [from, timeZone])
        .whereRaw(`pi.${column} < (?::date + 1)::timestamp at time zone ?`, [to, timeZone])
        .groupByRaw('1');
      if (state) q.where('pi.state', state);
      return restrictToReadableInstances(q, subject, 'pi.process_instance_key');
    };
    const [started, completed] = await Promise.all([perDay('start_date'), perDay('end_date', 'COMPLETED')]);
    const count = (rows: any[]) => new Map(rows.map((r) => [r.day as string, Number(r.n)]));
    const s1 = count(started);
    const c1 = count(completed);
    const items = Array.from({ length: days }, (_, i) => {
      const date = addDays(from!, i);
      return { date, started: s1.get(date) ?? 0, completed: c1.get(date) ?? 0 };
    });
    res.json({ items, timeZone });
  });

  return router;
}
