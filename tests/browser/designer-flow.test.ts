import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';
import { dragToCanvas } from './form-editor-page.js';
import { appendAmountSplit, appendUserTask, elementsOf, select } from './modeler-page.js';

/**
 * The process owner's whole way through the designer: a form made in the form editor, a process
 * drawn from the palette that links it and branches on a FEEL condition, deployed, listed, and run.
 */
describe.skipIf(!hasChromium)('designer, end to end', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
  }, 60_000);
  afterAll(async () => app?.close());

  it('builds a form and a process in the browser, deploys both, and the process runs with the form', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');

    // 1. The form: one required number field "amount", made in the form editor.
    await page.goto('/forms/new');
    await page.locator('.fjs-palette-field[data-field-type="number"]').waitFor();
    await dragToCanvas(page, 'number');
    await page.locator('.fjs-form-container .fjs-form-field-label', { hasText: '数字' }).waitFor();
    await page.locator('.bio-properties-panel-group-header', { hasText: '常规' }).click();
    await page.locator('.fjs-properties-container #bio-properties-panel-key').fill('amount');
    await page.locator('.fjs-properties-container #bio-properties-panel-label').fill('金额');
    await page.locator('.bio-properties-panel-group-header', { hasText: '校验' }).click();
    await page.locator('.fjs-properties-container #bio-properties-panel-required').check();
    await page.getByTestId('form-id').fill('expense-form');
    await page.getByTestId('form-deploy').click();
    await page.waitForURL(/\/forms\/\d+$/);

    // 2. The process: start → 费用审批 (user task, the form) → gateway → 大额 (amount > 100) | 小额.
    await page.goto('/processes/new?lf-test');
    await page.getByTestId('modeler-canvas').locator('.djs-shape[data-element-id="StartEvent_1"]').waitFor();
    const task = await appendUserTask(page, 'StartEvent_1', '费用审批');
    await select(page, task);

    // the form is picked from the deployed ones in Lifeflow's "linked form" group
    const panel = page.getByTestId('modeler-panel');
    const linked = panel.locator('.bio-properties-panel-group-header', {
      has: page.locator('.bio-properties-panel-group-header-title', { hasText: /^关联表单$/ }),
    });
    if (!(await linked.evaluate((el) => el.classList.contains('open')))) await linked.click();
    const formSelect = panel.locator('#bio-properties-panel-lf-linkedForm-formId');
    await formSelect.locator('option[value="expense-form"]').waitFor({ state: 'attached' });
    await formSelect.selectOption('expense-form');

    const { big, small } = await appendAmountSplit(page, task);

    const processId = (await elementsOf(page)).find((e) => e.type === 'bpmn:Process')!.id;
    await page.getByTestId('modeler-deploy').click();
    await page.waitForURL(/\/processes\/\d+$/);
    const key = page.url().split('/').pop()!;
    await app.screenshot(page, 'designer-flow-process');

    // 3. The process list shows it: version 1, deployed by the owner, nothing running yet.
    await page.goto('/processes');
    const row = page.getByTestId(`process-row-${processId}`);
    await row.waitFor();
    await expect(row.getByTestId('version').innerText()).resolves.toBe('v1');
    await expect(row.getByTestId('deployed-by').innerText()).resolves.toBe('owner');
    await expect(row.getByTestId('running').innerText()).resolves.toBe('0');

    // 4. It runs: the task carries the form made above, and the amount picks the branch.
    for (const [amount, end] of [
      [500, big],
      [50, small],
    ] as const) {
      const instance = await app.t.startAs('owner', processId, { variables: {} });
      const [open] = await app.t.openTasks(instance);
      expect(open.elementId).toBe(task);
      expect(open.processDefinitionKey).toBe(key);
      const form = await app.t.api('GET', `/v2/user-tasks/${open.userTaskKey}/form`, undefined, {
        user: 'owner',
      });
      expect(form.status, form.text).toBe(200);
      const schema = typeof form.body.schema === 'string' ? JSON.parse(form.body.schema) : form.body.schema;
      expect(schema.components).toEqual([
        expect.objectContaining({ type: 'number', key: 'amount', validate: { required: true } }),
      ]);
      // the form's rule holds on completion: the amount is required
      const refused = await app.t.complete(open, {});
      expect(refused.status).toBe(400);
      const done = await app.t.complete(open, { amount });
      expect(done.status, done.text).toBe(204);
      await expect.poll(() => app.t.stateOf(instance)).toBe('COMPLETED');
      expect(await app.t.elements(instance)).toContain(`${end}:COMPLETED`);
    }

    // the list counts the two completed instances on version 1
    await page.reload();
    await page.getByTestId(`process-row-${processId}`).locator('.ant-table-row-expand-icon').click();
    const version = page.getByTestId(`version-row-${key}`);
    await expect(version.getByTestId('completed').innerText()).resolves.toBe('2');
    await expect(version.getByTestId('active').innerText()).resolves.toBe('0');
    await app.screenshot(page, 'designer-flow-list');
  }, 180_000);
});
