import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

const REVIEW = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://lifeflow.dev/test">
  <bpmn:process id="site-review" name="现场复核" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review" name="复核签字"><bpmn:extensionElements>
      <zeebe:assignmentDefinition candidateUsers="eng1"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

describe.skipIf(!hasChromium)('notification template editor', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
    const res = await app.t.deploy([{ name: 'site-review.bpmn', content: REVIEW }]);
    expect(res.status, res.text).toBe(200);
  }, 60_000);
  afterAll(async () => app?.close());

  /** The newest in-app notification of eng1 for a new instance of the review process. */
  const notificationOfNewTask = async () => {
    const key = await app.t.startAs('owner', 'site-review');
    const res = await app.t.api(
      'POST',
      '/v2/notifications/search',
      { filter: { processInstanceKey: key } },
      { user: 'eng1' },
    );
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    return res.body.items[0] as { event: string; title: string; body: string };
  };

  it('edits a template with a live preview, refuses a broken one, saves, and resets it', async () => {
    const page = await app.newPage();
    await app.login(page, 'admin');
    await page.goto('/templates');
    const cell = page.getByTestId('tpl-TASK_CREATED-IN_APP-zh-CN');
    await expect(cell.getAttribute('data-custom')).resolves.toBe('false');
    await cell.click();
    await page.waitForURL('**/templates/TASK_CREATED/IN_APP/zh-CN');
    const editor = page.getByTestId('template-editor');
    const preview = page.getByTestId('template-preview');
    const frame = preview.frameLocator('iframe');

    // The default text, rendered on the sample data.
    await frame.getByText('竣工移交验收 有一项新待办「工程部审核」').waitFor();
    await page.getByTestId('template-var-businessKey').waitFor();

    // Edit the body and insert a variable at the cursor.
    const body = page.getByTestId('template-body');
    await body.fill('请尽快处理「{{taskName}}」，单号 ');
    await page.getByTestId('template-var-businessKey').click();
    await expect(body.inputValue()).resolves.toBe('请尽快处理「{{taskName}}」，单号 {{businessKey}}');
    await frame.getByText('请尽快处理「工程部审核」，单号 HO-2026-001').waitFor();
    await page.getByTestId('template-subject').fill('【待办】{{taskName}}');
    await page.getByTestId('template-preview-subject').getByText('【待办】工程部审核').waitFor();

    // A broken template: the error names its line and the template cannot be saved.
    await body.fill('第一行\n{{#if}}');
    await expect(editor.getByTestId('template-body-errors').innerText()).resolves.toMatch(/^line 2: /);
    await editor.locator('[data-testid="template-gutter"] [data-error="true"]').getByText('2').waitFor();
    expect(await page.getByTestId('template-save').isDisabled()).toBe(true);
    await app.screenshot(page, 'templates-editor-error');
    // an unknown field too
    await body.fill('{{taskNmae}}');
    await editor.getByTestId('template-body-errors').getByText("line 1: unknown field 'taskNmae'").waitFor();
    expect(await page.getByTestId('template-save').isDisabled()).toBe(true);

    // A good one saves.
    await body.fill('请尽快处理「{{taskName}}」（{{processName}}）。');
    await frame.getByText('请尽快处理「工程部审核」（竣工移交验收）。').waitFor();
    await app.screenshot(page, 'templates-editor');
    await page.locator('[data-testid="template-save"]:not([disabled])').click();
    await page.getByTestId('template-state').getByText('已自定义').waitFor();
    expect(await page.getByTestId('template-reset').isDisabled()).toBe(false);

    // The override is listed, stored, and used by a real notification.
    const list = await app.t.api('POST', '/v2/notification-templates/search', {});
    expect(
      list.body.items.find(
        (x: any) => x.event === 'TASK_CREATED' && x.channel === 'IN_APP' && x.locale === 'zh-CN',
      ),
    ).toMatchObject({
      custom: true,
      subject: '【待办】{{taskName}}',
      body: '请尽快处理「{{taskName}}」（{{processName}}）。',
    });
    const custom = await notificationOfNewTask();
    expect(custom).toMatchObject({
      event: 'TASK_CREATED',
      title: '【待办】复核签字',
      body: '请尽快处理「复核签字」（现场复核）。',
    });
    await page.goto('/templates');
    await page.locator('[data-testid="tpl-TASK_CREATED-IN_APP-zh-CN"][data-custom="true"]').waitFor();
    await app.screenshot(page, 'templates-list');
    await expect(page.getByTestId('tpl-TASK_CREATED-IN_APP-en').getAttribute('data-custom')).resolves.toBe(
      'false',
    );

    // Reset restores the default text.
    await page.getByTestId('tpl-TASK_CREATED-IN_APP-zh-CN').click();
    await page.getByTestId('template-state').getByText('已自定义').waitFor();
    await page.getByTestId('template-reset').click();
    await page.locator('.ant-popconfirm .ant-btn-primary').click();
    await page.getByTestId('template-state').getByText('默认').waitFor();
    await expect(body.inputValue()).resolves.toContain('有一项新待办「{{taskName}}」');
    const again = await notificationOfNewTask();
    expect(again.title).toBe('新待办：复核签字');
    expect(again.body).toContain('现场复核 有一项新待办「复核签字」');
  }, 180_000);

  it('shows the webhook text as text', async () => {
    const page = await app.newPage();
    await app.login(page, 'admin');
    await page.goto('/templates/INSTANCE_COMPLETED/WEBHOOK/en');
    const text = JSON.parse(await page.getByTestId('template-preview-text').innerText());
    expect(text).toMatchObject({
      title: 'Process completed: Handover sign-off',
      event: 'INSTANCE_COMPLETED',
    });
    expect(text.text).toContain('(HO-2026-001) has completed.');
  }, 90_000);

  it('is for administrators only', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/templates');
    await page.getByText('您没有权限访问此页面').waitFor();
    await expect(page.getByTestId('templates').count()).resolves.toBe(0);
  }, 90_000);
});
