import type { Knex } from 'knex';

/**
 * The data behind the lifecycle dashboards: a fixed set of named queries over Lifeflow's own
 * tables (no query text comes from users). Each answers columns (with zh-CN/en labels) and rows,
 * which the web app draws with echarts and exports as CSV or Excel.
 */
export const DASHBOARD_QUERIES = [
  'kpi-trend',
  'feedback-volume',
  'feedback-sla',
  'handover-progress',
  'rework-rate',
] as const;
export type DashboardQuery = (typeof DASHBOARD_QUERIES)[number];

export interface DashboardColumn {
  key: string;
  label: { 'zh-CN': string; en: string };
  type: 'text' | 'number';
}
export interface DashboardData {
  columns: DashboardColumn[];
  rows: Array<Record<string, string | number | null>>;
}
export interface DashboardRange {
  tenantId: string;
  from: Date;
  to: Date;
  /** IANA zone the months are counted in. */
  timeZone: string;
}

const text = (key: string, zh: string, en: string): DashboardColumn => ({
  key,
  label: { 'zh-CN': zh, en },
  type: 'text',
});
const num = (key: string, zh: string, en: string): DashboardColumn => ({
  key,
  label: { 'zh-CN': zh, en },
  type: 'number',
});
const round1 = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);

/** Every month of the range as `YYYY-MM` in the zone, so empty months show as zero. */
function monthsOf(r: DashboardRange): string[] {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: r.timeZone, year: 'numeric', month: '2-digit' });
  const key = (d: Date) => fmt.format(d).slice(0, 7);
  const out: string[] = [];
  for (let d = new Date(r.from); d <= r.to && out.length < 121; d = new Date(d.getTime() + 27 * 86_400_000)) {
    const k = key(d);
    if (!out.includes(k)) out.push(k);
  }
  const last = key(r.to);
  if (!out.includes(last)) out.push(last);
  return out;
}

/** The month of a timestamp column in the zone, as text. */
const month = (column: string) => `to_char(${column} at time zone ?, 'YYYY-MM')`;

/** Rows of root variables: instance key → { name: value } (jsonb arrives parsed from both drivers). */
async function rootVariables(knex: Knex, keys: unknown[], names: string[]) {
  const out = new Map<string, Record<string, any>>();
  if (!keys.length) return out;
  const rows = await knex('variables')
    .whereIn('process_instance_key', keys as string[])
    .whereRaw('scope_key = process_instance_key')
    .whereIn('name', names)
    .select('process_instance_key', 'name', 'value');
  for (const r of rows) {
    const k = String(r.process_instance_key);
    out.set(k, { ...(out.get(k) ?? {}), [r.name]: r.value });
  }
  return out;
}

/**
 * The targets a rule set scores against: for each fact, the number its first condition compares
 * with (`availability lessThan 98` → 98). The KPI chart draws the targets the reviews were really
 * scored by, the tenant's own rule set included, instead of a second copy of them.
 */
export function targetsOf(doc: { rules?: unknown[] } | null | undefined): Record<string, number> {
  const targets: Record<string, number> = {};
  const visit = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (typeof node.fact === 'string' && typeof node.value === 'number') {
      if (!(node.fact in targets)) targets[node.fact] = node.value;
      return;
    }
    for (const k of ['all', 'any', 'not']) visit(node[k]);
  };
  for (const rule of doc?.rules ?? []) visit((rule as any)?.conditions);
  return targets;
}

export async function dashboardData(
  knex: Knex,
  query: DashboardQuery,
  r: DashboardRange,
  settings: { targets?: Record<string, number> } = {},
): Promise<DashboardData> {
  switch (query) {
    case 'feedback-volume': {
      const reported = await knex('process_instances')
        .where({ tenant_id: r.tenantId, process_definition_id: 'feedback-loop' })
        .whereBetween('start_date', [r.from, r.to])
        .select(knex.raw(`${month('start_date')} as m`, [r.timeZone]))
        .count({ n: '*' })
        .groupByRaw('1');
      const closed = await knex('process_instances')
        .where({ tenant_id: r.tenantId, process_definition_id: 'feedback-loop', state: 'COMPLETED' })
        .whereBetween('end_date', [r.from, r.to])
        .select(knex.raw(`${month('end_date')} as m`, [r.timeZone]))
        .count({ n: '*' })
        .groupByRaw('1');
      const of = (list: any[], m: string) => Number(list.find((x) => x.m === m)?.n ?? 0);
      return {
        columns: [
          text('month', '月份', 'Month'),
          num('reported', '上报', 'Reported'),
          num('closed', '关闭', 'Closed'),
        ],
        rows: monthsOf(r).map((m) => ({ month: m, reported: of(reported, m), closed: of(closed, m) })),
      };
    }
    case 'feedback-sla': {
      // Within SLA: the first rectification was done by its due date (the SLA of its severity).
      const rows: any[] = await knex
        .with('first_fix', (q) =>
          q
            .from('user_tasks')
            .where({ tenant_id: r.tenantId, process_definition_id: 'feedback-loop', element_id: 'rectify' })
            .distinctOn('process_instance_key')
            .orderBy([{ column: 'process_instance_key' }, { column: 'creation_date' }])
            .select('process_instance_key', 'due_date', 'completion_date'),
        )
        .from('process_instances as pi')
        .leftJoin('first_fix as f', 'f.process_instance_key', 'pi.process_instance_key')
        .where({
          'pi.tenant_id': r.tenantId,
          'pi.process_definition_id': 'feedback-loop',
          'pi.state': 'COMPLETED',
        })
        .whereBetween('pi.end_date', [r.from, r.to])
        .select(
          knex.raw(`${month('pi.end_date')} as m`, [r.timeZone]),
          knex.raw('count(*) as closed'),
          knex.raw('count(*) filter (where f.due_date is null or f.completion_date <= f.due_date) as within'),
          knex.raw('avg(extract(epoch from (pi.end_date - pi.start_date)) / 3600) as mttr'),
        )
        .groupByRaw('1');
      return {
        columns: [
          text('month', '月份', 'Month'),
          num('closed', '关闭', 'Closed'),
          num('slaPercent', 'SLA 达成率 (%)', 'Within SLA (%)'),
          num('mttrHours', '平均修复时长 (小时)', 'Mean time to repair (h)'),
        ],
        rows: monthsOf(r).map((m) => {
          const x = rows.find((y) => y.m === m);
          const closed = Number(x?.closed ?? 0);
          return {
            month: m,
            closed,
            slaPercent: closed ? round1((Number(x.within) / closed) * 100) : null,
            mttrHours: closed ? round1(x.mttr) : null,
          };
        }),
      };
    }
    case 'kpi-trend': {
      const done = await knex('process_instances')
        .where({ tenant_id: r.tenantId, process_definition_id: 'kpi-review', state: 'COMPLETED' })
        .whereBetween('end_date', [r.from, r.to])
        .orderBy('end_date')
        .select('process_instance_key');
      const vars = await rootVariables(
        knex,
        done.map((d) => d.process_instance_key),
        ['kpiResult'],
      );
      const t = settings.targets ?? {};
      return {
        columns: [
          text('period', '考核期', 'Period'),
          text('project', '项目', 'Project'),
          num('availability', '设备可用率 (%)', 'Availability (%)'),
          num('availabilityTarget', '可用率目标', 'Availability target'),
          num('mttrHours', '修复时长 (小时)', 'MTTR (h)'),
          num('mttrTarget', '修复时长目标', 'MTTR target'),
          num('energyPerM2', '单位面积能耗', 'Energy per m²'),
          num('energyTarget', '能耗目标', 'Energy target'),
          num('complaintRate', '投诉率', 'Complaint rate'),
          num('firstStartupRate', '首次开机成功率 (%)', 'First start-up (%)'),
          text('below', '未达标', 'Below target'),
        ],
        rows: done.map((d) => {
          const k = vars.get(String(d.process_instance_key))?.kpiResult ?? {};
          return {
            period: typeof k.periodStart === 'string' ? k.periodStart.slice(0, 7) : null,
            project: k.project ?? null,
            availability: k.availability ?? null,
            availabilityTarget: t.availability ?? null,
            mttrHours: k.mttrHours ?? null,
            mttrTarget: t.mttrHours ?? null,
            energyPerM2: k.energyPerM2 ?? null,
            energyTarget: t.energyPerM2 ?? null,
            complaintRate: k.complaintRate ?? null,
            firstStartupRate: k.firstStartupRate ?? null,
            below: Array.isArray(k.below) ? k.below.join(', ') : null,
          };
        }),
      };
    }
    case 'handover-progress': {
      const all = await knex('process_instances')
        .where({ tenant_id: r.tenantId, process_definition_id: 'handover-signoff' })
        .whereIn('state', ['ACTIVE', 'COMPLETED'])
        .whereBetween('start_date', [r.from, r.to])
        .select('process_instance_key', 'state');
      const vars = await rootVariables(
        knex,
        all.map((a) => a.process_instance_key),
        ['project'],
      );
      const byProject = new Map<string, { accepted: number; inProgress: number }>();
      for (const a of all) {
        const p = String(vars.get(String(a.process_instance_key))?.project ?? '—');
        const e = byProject.get(p) ?? { accepted: 0, inProgress: 0 };
        if (a.state === 'COMPLETED') e.accepted++;
        else e.inProgress++;
        byProject.set(p, e);
      }
      return {
        columns: [
          text('project', '项目', 'Project'),
          num('accepted', '已移交', 'Accepted'),
          num('inProgress', '进行中', 'In progress'),
        ],
        rows: [...byProject.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([project, e]) => ({ project, ...e })),
      };
    }
    case 'rework-rate': {
      // A node done more than once in an instance was reworked (退回, reopened, sent back). The
      // tasks of one multi-instance round (会签, the five parties' sign-off) are one execution.
      const rows: any[] = await knex('user_tasks as ut')
        .leftJoin('element_instances as ei', 'ei.element_instance_key', 'ut.element_instance_key')
        .leftJoin('element_instances as body', function () {
          this.on('body.element_instance_key', '=', 'ei.flow_scope_key').andOnVal(
            'body.element_type',
            '=',
            'bpmn:MultiInstanceBody',
          );
        })
        .where({ 'ut.tenant_id': r.tenantId })
        .whereBetween('ut.creation_date', [r.from, r.to])
        .groupBy('ut.process_definition_id', 'ut.element_id')
        .select(
          'ut.process_definition_id',
          'ut.element_id',
          knex.raw('max(ut.name) as name'),
          knex.raw(
            'count(distinct coalesce(body.element_instance_key, ut.element_instance_key)) as executions',
          ),
          knex.raw('count(distinct ut.process_instance_key) as instances'),
        )
        .orderBy([{ column: 'ut.process_definition_id' }, { column: 'ut.element_id' }]);
      return {
        columns: [
          text('process', '流程', 'Process'),
          text('node', '节点', 'Node'),
          num('instances', '实例数', 'Instances'),
          num('rework', '返工次数', 'Rework'),
          num('reworkPercent', '返工率 (%)', 'Rework rate (%)'),
        ],
        rows: rows.map((x) => {
          const instances = Number(x.instances);
          const rework = Number(x.executions) - instances;
          return {
            process: x.process_definition_id,
            node: x.name ?? x.element_id,
            instances,
            rework,
            reworkPercent: instances ? round1((rework / instances) * 100) : 0,
          };
        }),
      };
    }
  }
}

/** CSV with a BOM (Excel opens UTF-8 Chinese text correctly only with it), header in the language asked. */
export function csvOf(data: DashboardData, lang: 'zh-CN' | 'en'): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    // Quote what needs it, and defuse formulas (a cell starting with = + - @ runs in Excel).
    const safe = /^[=+\-@\t\r]/.test(s) && typeof v !== 'number' ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [
    data.columns.map((c) => cell(c.label[lang])).join(','),
    ...data.rows.map((row) => data.columns.map((c) => cell(row[c.key])).join(',')),
  ];
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
