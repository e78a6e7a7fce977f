import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

/**
 * The modules page: a process owner enables a module of the group standard; an administrator
 * imports a newer standard from a file; the owner overrides a form with the company's own version
 * (the difference to the standard shown), previews the upgrade (the running instance named, the
 * override kept) and takes it, then goes back to the standard.
 */
const bpmn = (name: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_ui_patrol">
  <bpmn:process id="ui-patrol" name="${name}" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="check" name="巡检">
      <bpmn:extensionElements><zeebe:assignmentDefinition assignee="ops1"/><zeebe:formDefinition formId="ui-patrol-form"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
  </bpmn:process>
</bpmn:definitions>`;
const form = (label: string) =>
  `${JSON.stringify({ id: 'ui-patrol-form', type: 'default', components: [{ type: 'textfield', key: 'note', label }] }, null, 2)}\n`;
const moduleFile = (version: string, processName: string) => ({
  format: 'lifeflow-module',
  formatVersion: 1,
  id: 'ui-patrol',
  version,
  name: { 'zh-CN': '设备巡检', en: 'Equipment patrol' },
  description: { 'zh-CN': '定期巡检设备', en: 'Regular equipment patrols' },
  resources: [
    { name: 'ui-patrol.bpmn', content: bpmn(processName) },
    { name: 'ui-patrol.form', content: form('备注') },
  ],
});

describe.skipIf(!hasChromium)('modules', () => {
  let app: BrowserApp;
  let owner: Page;
  beforeAll(async () => {
    app = await startBrowserApp();
    const res = await app.t.api('POST', '/v2/modules', moduleFile('1.0.0', '设备巡检'));
    expect(res.status, res.text).toBe(201);
    owner = await app.newPage();
    await app.login(owner, 'owner');
  }, 60_000);
  afterAll(async () => app?.close());

  const row = (p: Page) => p.getByTestId('module-row-ui-patrol');
  const module = async () => (await app.t.api('GET', '/v2/modules/ui-patrol')).body;

  it('enables a module of the group standard', async () => {
    await owner.goto('/modules');
    await row(owner).waitFor();
    await row(owner).getByText('未启用').waitFor();
    // Process owners enable and customise; only administrators import standards.
    expect(await owner.getByTestId('module-import').count()).toBe(0);
    await row(owner).getByTestId('module-enable').click();
    await owner
      .locator('[data-testid="module-row-ui-patrol"] [data-testid="module-state"][data-version="1.0.0"]')
      .waitFor();
    expect(await module()).toMatchObject({ enabled: true, enabledVersion: '1.0.0' });
    await app.screenshot(owner, 'modules-list');
  }, 60_000);

  it('imports a newer standard from a file (administrators)', async () => {
    const admin = await app.newPage();
    await app.login(admin, 'admin');
    await admin.goto('/modules');
    await row(admin).waitFor();
    const file = path.join(tmpdir(), `ui-patrol-1.1.0-${process.pid}.lfmodule.json`);
    writeFileSync(file, JSON.stringify(moduleFile('1.1.0', '设备巡检 v1.1')));
    await admin.getByTestId('module-import-file').setInputFiles(file);
    await admin.getByText('已导入 ui-patrol 1.1.0').waitFor();
    await row(admin).getByText('可升级').waitFor();
    // A broken file: the server's reasons are shown, nothing is stored.
    const bad = path.join(tmpdir(), `bad-${process.pid}.lfmodule.json`);
    writeFileSync(
      bad,
      JSON.stringify({ ...moduleFile('1.2.0', 'x'), resources: [{ name: 'x.exe', content: 'MZ' }] }),
    );
    await admin.getByTestId('module-import-file').setInputFiles(bad);
    await admin.getByText(/resources\[0\]\.name/).waitFor();
    expect((await module()).versions).toEqual(['1.1.0', '1.0.0']);
  }, 60_000);

  it('overrides a form with the company’s own version, showing the difference to the standard', async () => {
    await owner.goto('/modules');
    await row(owner).getByTestId('module-open').click();
    await owner.getByTestId('module-page').waitFor();
    await owner.getByTestId('module-resource-ui-patrol.form').getByTestId('module-resource-open').click();
    await owner.locator('[data-testid="module-resource"][data-overridden="false"]').waitFor();
    const content = owner.getByTestId('module-resource-content');
    await content.fill(form('巡检备注（本公司）'));
    await owner.locator('[data-testid="module-diff"] [data-kind="add"]').first().waitFor();
    await owner.getByTestId('module-resource-save').click();
    await owner.getByText('已保存并部署本公司版本').waitFor();
    await owner.locator('[data-testid="module-resource"][data-overridden="true"]').waitFor();
    await owner
      .getByTestId('module-resource-ui-patrol.form')
      .getByTestId('module-resource-overridden')
      .waitFor();
    expect(await owner.locator('[data-testid="module-diff"] [data-kind="add"]').innerText()).toContain(
      '巡检备注（本公司）',
    );
    await app.screenshot(owner, 'modules-override');
    const forms = await app.t.api('POST', '/v2/forms/search', { filter: { formId: 'ui-patrol-form' } });
    expect(forms.body.items.map((f: any) => f.version).sort()).toEqual([1, 2]);

    // Refused content is shown with the server's reason and changes nothing.
    await content.fill('{"id": 1');
    await owner.getByTestId('module-resource-save').click();
    await owner.locator('.ant-alert-error').waitFor();
    expect((await module()).overriddenResources).toHaveLength(1);
  }, 60_000);

  it('previews the upgrade with the running instance it concerns, takes it and keeps the override', async () => {
    const running = await app.t.start('ui-patrol');
    await owner.goto('/modules/ui-patrol');
    await owner.getByTestId('module-upgrade').click();
    const dialog = owner.getByTestId('module-upgrade-dialog');
    await dialog.locator('[data-testid="module-change-ui-patrol.bpmn"][data-change="CHANGED"]').waitFor();
    await dialog.locator('[data-testid="module-change-ui-patrol.form"][data-change="OVERRIDDEN"]').waitFor();
    expect(await dialog.getByTestId('module-running-ui-patrol.bpmn').getAttribute('data-total')).toBe('1');
    await dialog.getByRole('link', { name: new RegExp(running) }).waitFor();
    await owner.waitForTimeout(400); // the dialog's opening animation, for a readable screenshot
    await app.screenshot(owner, 'modules-upgrade');
    await owner.getByTestId('module-upgrade-confirm').click();
    await owner.getByText('已升级到 1.1.0').waitFor();
    expect(await module()).toMatchObject({ enabledVersion: '1.1.0', upgradeAvailable: false });
    const procs = await app.t.api('POST', '/v2/process-definitions/search', {
      filter: { processDefinitionId: 'ui-patrol' },
      sort: [{ field: 'version', order: 'desc' }],
    });
    expect(procs.body.items[0].name).toBe('设备巡检 v1.1');
    // The running instance stays on its version.
    expect((await app.t.api('GET', `/v2/process-instances/${running}`)).body.processDefinitionVersion).toBe(
      1,
    );

    // Back to the standard.
    await owner.getByTestId('module-resource-ui-patrol.form').getByTestId('module-resource-open').click();
    await owner.getByTestId('module-resource-revert').click();
    await owner.getByTestId('module-resource-revert-confirm').click();
    await owner.getByText('已恢复集团标准').waitFor();
    expect((await module()).overriddenResources).toEqual([]);
  }, 60_000);
});
