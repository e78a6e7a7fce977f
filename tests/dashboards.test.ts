/**
 * The lifecycle dashboards over the demo's six months: KPI trends against targets, feedback volume,
 * SLA compliance and mean time to repair, handover progress per project, rework rate per node, as
 * JSON for the charts and as CSV and Excel files.
 */
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvOf } from '../runtime/dashboards/dashboard-queries.js';
import { seedDemo } from '../templates/demo.js';
import { templateModuleFile, templateModules } from '../templates/index.js';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const NOW = new Date('2026-12-07T02:00:00.000Z');
let past: Date | null = null;
let t: TestRuntime;
const RANGE = {
  from: '2026-06-01T00:00:00+08:00',
  to: '2026-12-07T23:59:59+08:00',
  timeZone: 'Asia/Shanghai',
};
const query = (extra: Record<string, string> = {}) => new URLSearchParams({ ...RANGE, ...extra }).toString();

beforeAll(async () => {
  t = await startTestRuntime({ clock: () => past ?? NOW });
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass-1', name: 'Bob', roles: ['admin'] });
  for (const id of templateModules()) {
    expect((await t.api('POST', '/v2/modules', templateModuleFile(id))).status).toBe(201);
    expect((await t.api('POST', `/v2/modules/${id}/enablement`, {})).status).toBe(200);
  }
  await seedDemo(
    t.runtime,
    (at) => {
      past = at;
    },
    { now: NOW },
  );
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const data = async (id: string, extra: Record<string, string> = {}, user = 'owner') =>
  t.api('GET', `/v2/dashboards/${id}/data?${query(extra)}`, undefined, { user });
const count = async (filter: Record<string, unknown>) =>
  (await t.api('POST', '/v2/process-instances/search', { filter, page: { limit: 1 } })).body.page.totalItems;

/** The text of one entry of a ZIP (the xlsx), found by its local header. */
function zipEntry(zip: Buffer, name: string): string {
  for (let i = zip.indexOf('PK\u0003\u0004'); i >= 0; i = zip.indexOf('PK\u0003\u0004', i + 4)) {
    const size = zip.readUInt32LE(i + 18);
    const nameLength = zip.readUInt16LE(i + 26);
    const extra = zip.readUInt16LE(i + 28);
    if (zip.toString('utf8', i + 30, i + 30 + nameLength) === name) {
      const start = i + 30 + nameLength + extra;
      return inflateRawSync(zip.subarray(start, start + size)).toString('utf8');
    }
  }
  throw new Error(`no ${name} in the archive`);
}

describe('dashboards', () => {
  it('lists the dashboards of the enabled modules', async () => {
    const res = await t.api('GET', '/v2/dashboards', undefined, { user: 'audit1' });
    expect(res.status).toBe(200);
    expect(res.body.items.map((d: any) => d.dashboardId).sort()).toEqual([
      'feedback-sla',
      'feedback-volume',
      'handover-progress',
      'kpi-trend',
      'rework-rate',
    ]);
    expect(res.body.items.find((d: any) => d.dashboardId === 'kpi-trend')).toMatchObject({
      moduleId: 'kpi',
      chart: 'line',
      name: { 'zh-CN': 'KPI 趋势与目标', en: 'KPI trends against targets' },
    });
  });

  it('counts the feedback loops per month, and their SLA compliance and mean time to repair', async () => {
    const volume = (await data('feedback-volume')).body;
    expect(volume.rows.map((r: any) => r.month)).toEqual([
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
      '2026-11',
      '2026-12',
    ]);
    const closed = volume.rows.reduce((n: number, r: any) => n + r.closed, 0);
    const reported = volume.rows.reduce((n: number, r: any) => n + r.reported, 0);
    expect(closed).toBeGreaterThan(20);
    expect(reported).toBeGreaterThanOrEqual(closed);
    // The same as the instance search says.
    const completedInRange = await count({
      processDefinitionId: 'feedback-loop',
      state: 'COMPLETED',
      endDate: { $gte: '2026-06-01T00:00:00+08:00', $lte: '2026-12-07T23:59:59+08:00' },
    });
    expect(closed).toBe(completedInRange);

    const sla = (await data('feedback-sla')).body;
    expect(sla.columns.map((c: any) => c.key)).toEqual(['month', 'closed', 'slaPercent', 'mttrHours']);
    const withClosures = sla.rows.filter((r: any) => r.closed > 0);
    expect(withClosures.length).toBeGreaterThan(3);
    for (const r of withClosures) {
      expect(r.slaPercent).toBeGreaterThanOrEqual(0);
      expect(r.slaPercent).toBeLessThanOrEqual(100);
      expect(r.mttrHours).toBeGreaterThan(0);
    }
    expect(sla.rows.reduce((n: number, r: any) => n + r.closed, 0)).toBe(closed);
  });

  it('shows the KPI trend against the targets, handover progress and the rework rate per node', async () => {
    const kpi = (await data('kpi-trend')).body;
    expect(kpi.rows).toHaveLength(4);
    expect(new Set(kpi.rows.map((r: any) => r.project))).toEqual(new Set(['一期厂房', '二期仓库']));
    for (const r of kpi.rows) expect(r).toMatchObject({ availabilityTarget: 98, mttrTarget: 24 });

    const handover = (await data('handover-progress', { from: '2026-01-01' })).body;
    const sum = (k: string) => handover.rows.reduce((n: number, r: any) => n + r[k], 0);
    expect(sum('accepted')).toBe(
      await count({ processDefinitionId: 'handover-signoff', state: 'COMPLETED' }),
    );
    expect(sum('inProgress')).toBe(await count({ processDefinitionId: 'handover-signoff', state: 'ACTIVE' }));

    const rework = (await data('rework-rate', { from: '2026-01-01' })).body;
    const rectify = rework.rows.find((r: any) => r.process === 'feedback-loop' && r.node === '整改');
    expect(rectify.rework).toBeGreaterThan(0); // some problems were reopened
    expect(rectify.reworkPercent).toBeCloseTo((rectify.rework / rectify.instances) * 100, 0);
    const submit = rework.rows.find(
      (r: any) => r.process === 'handover-signoff' && r.node === '提交移交清单',
    );
    expect(submit.rework).toBeGreaterThanOrEqual(1); // the package rejected once came back
    // The five parties' tasks of one round are one execution: only the refused round came back.
    const signoff = rework.rows.find(
      (r: any) => r.process === 'handover-signoff' && r.node === '五方联合签认',
    );
    expect(signoff).toMatchObject({ rework: 1 });
    expect(signoff.instances).toBeGreaterThanOrEqual(6);
  });

  it('exports a chart’s data as CSV and as an Excel workbook, in the language asked', async () => {
    const csv = await data('feedback-volume', { format: 'csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="feedback-volume-.*\.csv"/);
    // The text arrives decoded (the decoder drops the BOM); the bytes start with it.
    expect(csv.text.split('\r\n')[0]).toBe('月份,上报,关闭');
    const raw = await fetch(
      `${t.baseUrl}/v2/dashboards/feedback-volume/data?${query({ format: 'csv', lang: 'en' })}`,
      {
        headers: { authorization: `Basic ${Buffer.from('owner:demo').toString('base64')}` },
      },
    );
    const bytes = Buffer.from(await raw.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe('Month,Reported,Closed');

    const xlsx = await fetch(`${t.baseUrl}/v2/dashboards/kpi-trend/data?${query({ format: 'xlsx' })}`, {
      headers: { authorization: `Basic ${Buffer.from('owner:demo').toString('base64')}` },
    });
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const book = Buffer.from(await xlsx.arrayBuffer());
    expect(book.subarray(0, 2).toString()).toBe('PK');
    const sheet = zipEntry(book, 'xl/worksheets/sheet1.xml');
    expect(sheet).toContain('设备可用率 (%)');
    expect(sheet).toContain('一期厂房');
    expect(sheet).toMatch(/<c r="D2"><v>98<\/v><\/c>/); // the target, as a number
    expect(zipEntry(book, 'xl/workbook.xml')).toContain('name="KPI 趋势与目标"');

    // A text that Excel would run as a formula is defused.
    expect(
      csvOf(
        {
          columns: [{ key: 'a', label: { 'zh-CN': 'A', en: 'A' }, type: 'text' }],
          rows: [{ a: '=HYPERLINK("x")' }],
        },
        'en',
      ),
    ).toBe('\ufeffA\r\n"\'=HYPERLINK(""x"")"\r\n');
  });

  it('refuses bad ranges with the field, strangers and field staff', async () => {
    const bad = await t.api(
      'GET',
      '/v2/dashboards/feedback-volume/data?from=yesterday&timeZone=Mars/Base&format=pdf',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['format', 'from', 'timeZone']);
    expect((await t.api('GET', '/v2/dashboards/nope/data')).status).toBe(404);
    expect((await t.api('GET', '/v2/dashboards', undefined, { user: 'field1' })).status).toBe(403);
    // The other tenant has enabled no module: no dashboards, and none of ours.
    const bob = { user: 'bob', password: 'bob-pass-1' };
    expect((await t.api('GET', '/v2/dashboards', undefined, bob)).body.items).toEqual([]);
    expect((await t.api('GET', '/v2/dashboards/feedback-volume/data', undefined, bob)).status).toBe(404);
  });
});

describe('the KPI targets', () => {
  it('are the ones the tenant’s own scoring rules use, after the tenant overrides them', async () => {
    const shown = await t.api('GET', '/v2/modules/kpi/resources/kpi-scoring.rules.json');
    const rules = JSON.parse(shown.body.standard.content);
    const availability = rules.rules.find((r: any) => r.conditions.all[0].fact === 'availability');
    availability.conditions.all[0].value = 99.5;
    const res = await t.api('PUT', '/v2/modules/kpi/resources/kpi-scoring.rules.json/override', {
      content: JSON.stringify(rules),
    });
    expect(res.status, res.text).toBe(200);
    const kpi = (await data('kpi-trend')).body;
    expect(kpi.rows.length).toBeGreaterThan(0);
    for (const r of kpi.rows)
      expect(r).toMatchObject({ availabilityTarget: 99.5, mttrTarget: 24, energyTarget: 30 });
  });
});
