import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';
import { dragToCanvas } from './form-editor-page.js';

const CONFORMANCE = path.resolve('../shared/conformance/formjs/camunda-forms');

describe.skipIf(!hasChromium)('form editor', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
  }, 60_000);
  afterAll(async () => app?.close());

  const chooseLanguage = async (page: Page, name: string) => {
    await page.getByTestId('language').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: name }).click();
  };

  const formsOf = async (formId: string) =>
    (
      await app.t.api(
        'POST',
        '/v2/forms/search',
        { filter: { formId }, sort: [{ field: 'version' }] },
        { user: 'owner' },
      )
    ).body.items as Array<{ formKey: string; version: number }>;

  it('builds a form in Chinese, previews it on a phone, deploys it and deploys a second version', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/forms/new');

    // The palette speaks Chinese (groups and entries).
    const palette = page.locator('.fjs-palette');
    await palette.locator('.fjs-palette-group-title', { hasText: '输入' }).waitFor();
    await expect(
      palette.locator('.fjs-palette-field[data-field-type="textfield"]').innerText(),
    ).resolves.toContain('文本框');
    await expect(palette.locator('.fjs-palette-header').innerText()).resolves.toBe('组件');
    await expect(palette.locator('.fjs-palette-search').getAttribute('placeholder')).resolves.toBe(
      '搜索组件',
    );

    // A text field from the palette; it is selected, so the properties panel shows it.
    await dragToCanvas(page, 'textfield');
    await page.locator('.fjs-form-container .fjs-form-field-label', { hasText: '文本框' }).waitFor();
    await page.locator('.bio-properties-panel-group-header', { hasText: '常规' }).click();
    const key = page.locator('.fjs-properties-container #bio-properties-panel-key');
    await key.fill('applicantName');
    await page.locator('.fjs-properties-container #bio-properties-panel-label').fill('申请人');
    await page.locator('.bio-properties-panel-group-header', { hasText: '校验' }).click();
    await page.locator('.fjs-properties-container #bio-properties-panel-required').check();
    await page.getByTestId('form-id').fill('leave_request');
    await app.screenshot(page, 'form-editor');

    // Variables: the field's key is read and written.
    await page.getByRole('tab', { name: '变量' }).click();
    await page.getByTestId('form-variables-writes-applicantName').waitFor();
    await page.getByTestId('form-variables-reads-applicantName').waitFor();

    // Preview on a phone: 375 px wide; submitting it empty shows the required message in Chinese.
    await page.getByRole('tab', { name: '预览' }).click();
    const preview = page.locator('[data-testid="form-preview"][data-lang="zh-CN"]');
    await preview.locator('.fjs-form-field-label', { hasText: '申请人' }).waitFor();
    await preview.locator('.ant-segmented-item', { hasText: '手机' }).click();
    const phone = page.getByTestId('form-preview-phone');
    expect((await phone.boundingBox())?.width).toBe(375);
    await page.getByTestId('form-preview-submit').click();
    await phone.locator('.fjs-form-field-error', { hasText: '此项为必填项。' }).waitFor();
    await expect(page.getByTestId('form-preview-errors').innerText()).resolves.toContain('applicantName');
    await app.screenshot(page, 'form-preview-phone');

    // Filled in, it submits the data.
    await phone.locator('input.fjs-input').first().fill('张三');
    await page.getByTestId('form-preview-submit').click();
    await expect
      .poll(async () => JSON.parse(await page.getByTestId('form-preview-data').innerText()))
      .toEqual({ applicantName: '张三' });

    // In English the same message is English (the preview is rebuilt in the new language).
    await chooseLanguage(page, 'English');
    const previewEn = page.locator('[data-testid="form-preview"][data-lang="en"]');
    await previewEn.waitFor();
    await page.getByTestId('form-preview-reset').click();
    await page.getByTestId('form-preview-submit').click();
    await previewEn.locator('.fjs-form-field-error', { hasText: 'Field is required.' }).waitFor();
    await page.getByRole('tab', { name: 'Design' }).click();
    await page
      .locator('.fjs-palette-field[data-field-type="textfield"]', { hasText: 'Text field' })
      .waitFor();
    await chooseLanguage(page, '简体中文');
    await page.getByRole('tab', { name: '设计' }).waitFor();
    await page.locator('.fjs-palette-field[data-field-type="textfield"]', { hasText: '文本框' }).waitFor();

    // Deploy: the server stores the schema with the field; the page opens the deployed version.
    await page.getByTestId('form-deploy').click();
    await page.waitForURL(/\/forms\/\d+$/);
    let versions = await formsOf('leave_request');
    expect(versions.map((v) => v.version)).toEqual([1]);
    expect(page.url()).toMatch(new RegExp(`/forms/${versions[0].formKey}$`));
    const stored = await app.t.api('GET', `/v2/forms/${versions[0].formKey}`, undefined, { user: 'owner' });
    const schema = JSON.parse(stored.body.schema);
    expect(schema.id).toBe('leave_request');
    expect(schema.components).toEqual([
      expect.objectContaining({
        type: 'textfield',
        key: 'applicantName',
        label: '申请人',
        validate: { required: true },
      }),
    ]);
    await page.getByTestId('form-version').filter({ hasText: '第 1 版' }).waitFor();

    // Edit the deployed form (the label of its field) and deploy again: version 2.
    await page
      .locator('.fjs-form-container .fjs-form-field-label', { hasText: '申请人' })
      .click({ force: true });
    await page.locator('.bio-properties-panel-group-header', { hasText: '常规' }).click();
    await page.locator('.fjs-properties-container #bio-properties-panel-label').fill('申请人姓名');
    await page.getByTestId('form-deploy').click();
    await expect.poll(async () => (await formsOf('leave_request')).map((v) => v.version)).toEqual([1, 2]);
    versions = await formsOf('leave_request');
    await page.waitForURL(new RegExp(`/forms/${versions[1].formKey}$`));
    await page.getByTestId('form-version').filter({ hasText: '第 2 版' }).waitFor();

    // The list: one row, latest v2, both versions with who deployed them; export downloads the .form.
    await page.goto('/forms');
    await expect(page.getByTestId('form-latest-leave_request').innerText()).resolves.toContain('v2');
    await page.getByTestId('form-row-leave_request').locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('form-open-leave_request-v1').waitFor();
    await expect(page.getByTestId('form-versions-leave_request').innerText()).resolves.toContain('owner');
    await app.screenshot(page, 'forms-list');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('form-export-leave_request').click(),
    ]);
    expect(download.suggestedFilename()).toBe('leave_request.form');
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(exported.id).toBe('leave_request');
    expect(exported.components[0]).toMatchObject({ key: 'applicantName', label: '申请人姓名' });
  }, 120_000);

  it('imports a Camunda Modeler .form as it is, shows a refused deployment and deploys it', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/forms');
    await page.getByTestId('forms-list').waitFor();
    await page
      .getByTestId('forms-import')
      .setInputFiles(path.join(CONFORMANCE, 'camunda-8-js-sdk__demoForm.form'));
    await page.waitForURL('**/forms/new');
    await expect(page.getByTestId('form-id').inputValue()).resolves.toBe('DemoForm');
    await page.locator('.fjs-form-container .fjs-form-field-label', { hasText: 'Name' }).waitFor();
    await page.getByRole('tab', { name: '变量' }).click();
    await page.getByTestId('form-variables-writes-field_1dqp4e0').waitFor();
    await page.getByRole('tab', { name: '设计' }).click();

    // An empty id is refused on the field.
    await page.getByTestId('form-id').fill('');
    await page.getByText('请输入表单 ID').waitFor();
    await page.getByTestId('form-id').fill('DemoForm');

    // A refusal of the server shows in the alert, and on the id field when it names the id.
    await page.route('**/v2/deployments', (route) =>
      route.fulfill({
        status: 400,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'INVALID_ARGUMENT',
          status: 400,
          detail: 'the deployment is not valid',
          errors: [{ field: 'DemoForm.form#id', reason: 'is already used by another resource' }],
        }),
      }),
    );
    await page.getByTestId('form-deploy').click();
    await expect(page.getByTestId('problem').innerText()).resolves.toContain('the deployment is not valid');
    await page.getByText('is already used by another resource').first().waitFor();
    await page.unrouteAll();

    await page.getByTestId('form-deploy').click();
    await page.waitForURL(/\/forms\/\d+$/);
    const versions = await formsOf('DemoForm');
    expect(versions).toHaveLength(1);
    const stored = JSON.parse(
      (await app.t.api('GET', `/v2/forms/${versions[0].formKey}`, undefined, { user: 'owner' })).body.schema,
    );
    const original = JSON.parse(
      readFileSync(path.join(CONFORMANCE, 'camunda-8-js-sdk__demoForm.form'), 'utf8'),
    );
    expect(stored.components.map((c: any) => c.id)).toEqual(original.components.map((c: any) => c.id));
  }, 60_000);
});
