import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../templates/demo.js';
import { templateModuleFile, templateModules } from '../../templates/index.js';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

/**
 * The dashboards page over the demo's history: every dashboard of the enabled modules drawn with
 * echarts, the range kept in the address, and a chart's data downloaded as CSV and Excel.
 */
describe.skipIf(!hasChromium)('dashboards', () => {
  let app: BrowserApp;
  let past: Date | null = null;
  beforeAll(async () => {
    app = await startBrowserApp({ clock: () => past ?? new Date() });
    for (const id of templateModules()) {
      expect((await app.t.api('POST', '/v2/modules', templateModuleFile(id))).status).toBe(201);
      expect((await app.t.api('POST', `/v2/modules/${id}/enablement`, {})).status).toBe(200);
    }
    await seedDemo(app.t.runtime, (at) => {
      past = at;
    });
  }, 120_000);
  afterAll(async () => app?.close());

  it('draws every dashboard of the enabled modules and downloads a chart’s data', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/dashboards');
    for (const id of ['feedback-volume', 'feedback-sla', 'kpi-trend', 'handover-progress', 'rework-rate']) {
      const chart = page.getByTestId(`dashboard-chart-${id}`);
      await chart.locator('canvas').waitFor();
      expect(Number(await chart.getAttribute('data-rows')), id).toBeGreaterThan(0);
    }
    await page.getByText('KPI 趋势与目标').waitFor();
    await app.screenshot(page, 'dashboards');

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('dashboard-csv-feedback-volume').click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^feedback-volume-.*\.csv$/);
    const text = readFileSync((await csv.path())!, 'utf8');
    expect(text.replace(/^\ufeff/, '').split('\r\n')[0]).toBe('月份,上报,关闭');
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('dashboard-xlsx-kpi-trend').click(),
    ]);
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
    expect(
      readFileSync((await xlsx.path())!)
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
  }, 90_000);

  it('shows an asset’s whole story on its page, on a phone', async () => {
    const page = await app.newPage({ width: 390, height: 844 });
    await app.login(page, 'ops1');
    await page.goto('/ledger');
    await page.getByTestId('asset-row-P2-W1-ROOF').waitFor();
    await page.getByTestId('assets-project').click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option')
      .filter({ hasText: '一期厂房' })
      .click();
    await page.waitForURL(/project=/);
    await expect.poll(() => page.getByTestId('asset-row-P2-W1-ROOF').count()).toBe(0);
    await page.getByTestId('asset-row-P1-B3-HVAC-AHU03').getByTestId('asset-open').click();
    await page.locator('[data-testid="asset-page"][data-code="P1-B3-HVAC-AHU03"]').waitFor();
    const [ahu] = (await app.t.api('POST', '/v2/assets/search', { filter: { code: 'P1-B3-HVAC-AHU03' } }))
      .body.items;
    const story = (await app.t.api('GET', `/v2/assets/${ahu.assetKey}/overview`, undefined, { user: 'ops1' }))
      .body;
    expect(story.instances.length).toBeGreaterThan(0);
    await page.getByTestId(`asset-instance-${story.instances[0].processInstanceKey}`).waitFor();
    await page.getByTestId('asset-kpis').getByText(`(${story.kpis.length})`).waitFor();
    await app.screenshot(page, 'asset-page-phone');
  }, 60_000);

  it('keeps the range in the address: an empty range shows no data', async () => {
    const page = await app.newPage();
    await app.login(page, 'audit1');
    await page.goto('/dashboards?from=2020-01-01&to=2020-01-31');
    await page.getByTestId('dashboard-rework-rate').getByText('该时间范围内没有数据').waitFor();
    expect(await page.getByTestId('dashboard-chart-rework-rate').count()).toBe(0);
  }, 60_000);
});
