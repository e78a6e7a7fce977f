import { Router } from 'express';
import { requireCapability } from '../../auth/access.js';
import {
  csvOf,
  DASHBOARD_QUERIES,
  type DashboardQuery,
  dashboardData,
  targetsOf,
} from '../../dashboards/dashboard-queries.js';
import { xlsxOf } from '../../dashboards/xlsx.js';
import { badRequest, notFound } from '../problem.js';
import { type AppServices, targetTenant } from '../services.js';

const MAX_DAYS = 3660;

/**
 * The dashboards of the modules a tenant has enabled, in module order. Only the `dashboards` part
 * of a module's content is read: the rest holds every resource's text.
 */
async function dashboardsOf(s: AppServices, tenantId: string) {
  const rows = await s
    .knex('tenant_modules as tm')
    .join('module_versions as mv', function () {
      this.on('mv.module_id', 'tm.module_id').andOn('mv.version', 'tm.version');
    })
    .where({ 'tm.tenant_id': tenantId, 'tm.enabled': true })
    .orderBy('tm.module_id')
    .select('tm.module_id', s.knex.raw("mv.content->'dashboards' as dashboards"));
  return rows.flatMap((r: any) =>
    ((r.dashboards ?? []) as any[]).map((d) => ({
      dashboardId: d.id as string,
      moduleId: r.module_id as string,
      name: d.name as { 'zh-CN': string; en: string },
      query: d.query as DashboardQuery,
      chart: (d.chart as string | undefined) ?? 'bar',
    })),
  );
}

/**
 * Lifeflow: the dashboards of the enabled modules (KPI trends, feedback volume, SLA and MTTR,
 * handover progress, rework rate), their data for a range as JSON, CSV or Excel. Administrators,
 * process owners and auditors read them.
 */
export function dashboardRoutes(s: AppServices): Router {
  const router = Router();

  router.get('/dashboards', async (req, res) => {
    requireCapability(req.principal!, 'read-all', 'read dashboards');
    const tenantId = targetTenant(req, req.query.tenantId);
    const items = await dashboardsOf(s, tenantId);
    res.json({ items, page: { totalItems: items.length } });
  });

  router.get('/dashboards/:dashboardId/data', async (req, res) => {
    requireCapability(req.principal!, 'read-all', 'read dashboards');
    const tenantId = targetTenant(req, req.query.tenantId);
    const errors: Array<{ field: string; reason: string }> = [];
    const date = (name: 'from' | 'to', fallback: Date) => {
      const v = req.query[name];
      if (v === undefined || v === '') return fallback;
      const d = new Date(String(v));
      if (typeof v !== 'string' || Number.isNaN(d.getTime())) {
        errors.push({ field: name, reason: 'must be an ISO 8601 date or date-time' });
        return fallback;
      }
      return d;
    };
    const now = new Date();
    const to = date('to', now);
    const from = date('from', new Date(to.getTime() - 365 * 86_400_000));
    if (from > to) errors.push({ field: 'from', reason: 'must not be after to' });
    if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000)
      errors.push({ field: 'from', reason: `the range may span at most ${MAX_DAYS} days` });
    const timeZone = String(req.query.timeZone ?? s.timeZone ?? 'Asia/Shanghai');
    try {
      new Intl.DateTimeFormat('en', { timeZone });
    } catch {
      errors.push({ field: 'timeZone', reason: 'must be an IANA time zone like Asia/Shanghai' });
    }
    const format = String(req.query.format ?? 'json');
    if (!['json', 'csv', 'xlsx'].includes(format))
      errors.push({ field: 'format', reason: 'must be json, csv or xlsx' });
    const lang = String(req.query.lang ?? 'zh-CN');
    if (lang !== 'zh-CN' && lang !== 'en') errors.push({ field: 'lang', reason: 'must be zh-CN or en' });
    if (errors.length)
      throw badRequest(
        `the request is not valid: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
        errors,
      );

    const id = String(req.params.dashboardId);
    const dashboard = (await dashboardsOf(s, tenantId)).find((d) => d.dashboardId === id);
    if (!dashboard || !(DASHBOARD_QUERIES as readonly string[]).includes(dashboard.query))
      throw notFound(`expected to find dashboard <${id}> in the enabled modules, but none was found`);
    // The KPI chart's targets are those the reviews are scored by: the tenant's kpi-scoring rules.
    const scoring =
      dashboard.query === 'kpi-trend' ? await s.definitions.latestRuleSet(tenantId, 'kpi-scoring') : null;
    const data = await dashboardData(
      s.knex,
      dashboard.query,
      { tenantId, from, to, timeZone },
      {
        targets: targetsOf(scoring?.doc),
      },
    );
    const file = `${id}-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}`;
    if (format === 'csv') {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="${file}.csv"`);
      res.send(csvOf(data, lang as 'zh-CN' | 'en'));
      return;
    }
    if (format === 'xlsx') {
      res.setHeader('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      res.setHeader('content-disposition', `attachment; filename="${file}.xlsx"`);
      res.send(
        xlsxOf(
          dashboard.name[lang as 'zh-CN' | 'en'],
          data.columns.map((c) => c.label[lang as 'zh-CN' | 'en']),
          data.rows.map((row) => data.columns.map((c) => row[c.key])),
        ),
      );
      return;
    }
    res.json({ ...dashboard, from: from.toISOString(), to: to.toISOString(), timeZone, ...data });
  });

  return router;
}
