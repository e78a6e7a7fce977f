/**
 * The demo a fresh start shows: two projects with assets, about six months of work in the three
 * lifecycle modules, most of it finished and some still running, with the dates spread over the
 * months (so the monitor, asset pages and dashboards have content), and the same every time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ASSETS, type DemoSummary, seedDemo } from '../templates/demo.js';
import { templateModuleFile, templateModules } from '../templates/index.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const NOW = new Date('2026-12-07T02:00:00.000Z');
let past: Date | null = null;
let t: TestRuntime;
let summary: DemoSummary;

beforeAll(async () => {
  t = await startTestRuntime({ clock: () => past ?? NOW });
  for (const id of templateModules()) {
    expect((await t.api('POST', '/v2/modules', templateModuleFile(id))).status).toBe(201);
    expect((await t.api('POST', `/v2/modules/${id}/enablement`, {})).status).toBe(200);
  }
  summary = await seedDemo(
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

describe('the demo', () => {
  it('holds the assets of two projects and about fifty finished and twenty running instances', async () => {
    expect(summary.assets).toBe(DEMO_ASSETS.length);
    const assets = (await t.api('POST', '/v2/assets/search', { page: { limit: 100 } })).body.items;
    expect(new Set(assets.map((a: any) => a.project))).toEqual(new Set(['一期厂房', '二期仓库']));
    expect(summary.finished).toBeGreaterThanOrEqual(45);
    expect(summary.finished).toBeLessThanOrEqual(60);
    expect(summary.running).toBeGreaterThanOrEqual(15);
    expect(summary.running).toBeLessThanOrEqual(30);
    const byProcess = async (state: string) => {
      const res = await t.api('POST', '/v2/process-instances/search', {
        filter: { state },
        page: { limit: 200 },
      });
      return new Set(res.body.items.map((i: any) => i.processDefinitionId));
    };
    expect(await byProcess('COMPLETED')).toEqual(
      new Set(['feedback-loop', 'handover-signoff', 'kpi-review', 'handover-open-issue']),
    );
    // Accepted handovers are in their first year of free maintenance.
    expect(await byProcess('ACTIVE')).toEqual(
      new Set([
        'feedback-loop',
        'handover-signoff',
        'kpi-review',
        'handover-maintenance',
        'handover-open-issue',
        'design-review',
      ]),
    );
    // Every accepted handover has its approval record filed, signed by the five parties.
    const accepted = await t.api('POST', '/v2/process-instances/search', {
      filter: { state: 'COMPLETED', processDefinitionId: 'handover-signoff' },
    });
    expect(accepted.body.items.length).toBeGreaterThanOrEqual(5);
    for (const h of accepted.body.items) {
      const docs = await t.runtime
        .knex('documents')
        .where({ process_instance_key: h.processInstanceKey, content_type: 'application/pdf' });
      expect(docs.map((d: any) => d.file_name)).toEqual([expect.stringMatching(/^移交审批记录-.+\.pdf$/)]);
    }
    // The clock is back: nothing is left in the past.
    expect(past).toBeNull();
  });

  it('spreads the work over the past months, with its closed problems in the lessons library', async () => {
    const done = await t.api('POST', '/v2/process-instances/search', {
      filter: { state: 'COMPLETED', processDefinitionId: 'feedback-loop' },
      page: { limit: 200 },
    });
    const months = new Set(done.body.items.map((i: any) => i.endDate.slice(0, 7)));
    expect(months.size).toBeGreaterThanOrEqual(5);
    for (const i of done.body.items) expect(new Date(i.endDate).getTime()).toBeLessThanOrEqual(NOW.getTime());
    const lessons = await t.api('POST', '/v2/design-lessons/search', {});
    expect(lessons.body.page.totalItems).toBe(done.body.page.totalItems);
    // The daily statistics of the feedback loop have something to draw.
    const def = (
      await t.api('POST', '/v2/process-definitions/search', {
        filter: { processDefinitionId: 'feedback-loop' },
      })
    ).body.items[0];
    const daily = await t.api(
      'POST',
      `/v2/process-definitions/${def.processDefinitionKey}/statistics/daily`,
      {
        from: '2026-06-01',
        to: '2026-12-07',
        timeZone: 'Asia/Shanghai',
      },
    );
    expect(daily.status, daily.text).toBe(200);
    expect(daily.body.items.filter((d: any) => d.started > 0).length).toBeGreaterThan(20);
  });

  it('gives the asset pages and KPI results content', async () => {
    const [ahu] = (await t.api('POST', '/v2/assets/search', { filter: { code: 'P1-B3-HVAC-AHU03' } })).body
      .items;
    const story = (await t.api('GET', `/v2/assets/${ahu.assetKey}/overview`)).body;
    expect(story.instances.length).toBeGreaterThan(0);
    expect(story.kpis.length).toBeGreaterThanOrEqual(1);
    expect(story.kpis[0].result.project).toBe('一期厂房');
  });
});
