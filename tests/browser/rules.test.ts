import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

/** Picks an option of an antd Select (options carry their value as title). */
async function pick(page: Page, select: Locator, value: string) {
  await select.click();
  await page.locator(`.ant-select-dropdown:not(.ant-select-dropdown-hidden) [title="${value}"]`).click();
}

/** Fills one condition line of a row: fact, operator, value type and value. */
async function condition(
  page: Page,
  row: number,
  cond: number,
  c: { fact: string; operator: string; type: string; value: string },
) {
  const line = page.getByTestId(`cond-${row}-${cond}`);
  await line.getByLabel('变量').fill(c.fact);
  await pick(page, line.getByLabel('运算'), c.operator);
  await pick(page, line.getByLabel('值').first(), c.type);
  await line.getByLabel('值').last().fill(c.value);
}

async function param(page: Page, row: number, index: number, key: string, value: string) {
  await page.getByTestId(`rule-row-${row}`).getByTestId('rule-add-param').click();
  const line = page.getByTestId(`param-${row}-${index}`);
  await line.getByLabel('参数名').fill(key);
  await line.getByLabel('值').last().fill(value);
}

const ROUTING = {
  id: 'approval-routing',
  name: '审批路由',
  rules: [
    {
      conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 100000 }] },
      event: { type: 'approvers', params: { approvers: 'sup1' } },
      priority: 1,
    },
    {
      conditions: { all: [{ fact: 'amount', operator: 'lessThanInclusive', value: 100000 }] },
      event: { type: 'approvers', params: { approvers: 'eng1' } },
      priority: 1,
    },
  ],
};

const ROUTED = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="d" targetNamespace="http://lifeflow.dev/test">
  <bpmn:process id="routed-payment" name="付款审批" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:businessRuleTask id="route"><bpmn:extensionElements>
      <lf:calledRuleSet ruleSetId="approval-routing" resultVariable="routing"/>
    </bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:userTask id="approve" name="审批"><bpmn:extensionElements>
      <zeebe:assignmentDefinition assignee="=routing.params.approvers"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="route"/>
    <bpmn:sequenceFlow id="f2" sourceRef="route" targetRef="approve"/>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

describe.skipIf(!hasChromium)('rule-set table editor', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
  }, 60_000);
  afterAll(async () => app?.close());

  it('builds a rule set in the table, tests it on the server, shows errors on their row, deploys it', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/rules');
    await page.getByTestId('rules').getByText('还没有规则集').waitFor();
    await page.getByRole('button', { name: '新建规则集' }).click();
    await page.waitForURL('**/rules/new');

    await page.getByTestId('rules-id').fill('approval-routing');
    await page.getByTestId('rules-name').fill('审批路由');
    await condition(page, 0, 0, { fact: 'amount', operator: 'greaterThan', type: 'number', value: '100000' });
    await page.getByTestId('rule-row-0').getByLabel('结果事件').fill('approvers');
    await param(page, 0, 0, 'approvers', 'sup1');

    await page.getByTestId('rules-add-row').click();
    await page.getByTestId('rule-row-1').waitFor();
    await condition(page, 1, 0, {
      fact: 'amount',
      operator: 'lessThanInclusive',
      type: 'number',
      value: '100000',
    });
    await page.getByTestId('rule-row-1').getByLabel('结果事件').fill('approvers');
    await param(page, 1, 0, 'approvers', 'eng1');
    await app.screenshot(page, 'rules-editor');

    // The test panel runs the draft on the server with the sample.
    const panel = page.getByTestId('rules-test');
    await panel.getByTestId('rules-test-variables').fill('{ "amount": 200000 }');
    await panel.getByTestId('rules-test-run').click();
    const result = page.getByTestId('rules-result');
    await expect(result.getByTestId('rules-result-event').allInnerTexts()).resolves.toEqual([
      'approvers{"approvers":"sup1"}',
    ]);
    expect(JSON.parse(await result.getByTestId('rules-result-params').innerText())).toEqual({
      approvers: 'sup1',
    });
    await panel.getByTestId('rules-test-variables').fill('{ "amount": 5000 }');
    await panel.getByTestId('rules-test-run').click();
    await page.getByTestId('rules-result-params').getByText('eng1').waitFor();
    await app.screenshot(page, 'rules-test');

    // A value that is not a number is shown on its row, and nothing is sent.
    await page.getByTestId('cond-1-0').getByLabel('值').last().fill('十万');
    await panel.getByTestId('rules-test-run').click();
    await expect(page.getByTestId('rule-row-1').getByTestId('rule-error').innerText()).resolves.toContain(
      '不是数字',
    );
    await expect(page.getByTestId('rule-row-0').getByTestId('rule-error').count()).resolves.toBe(0);
    await page.getByTestId('cond-1-0').getByLabel('值').last().fill('100000');

    // What the server refuses is shown on the row (and condition) it names.
    await page.getByTestId('cond-0-0').getByLabel('路径').fill('$.a[?(@.x)]');
    await page.getByTestId('rules-deploy').click();
    await expect(page.getByTestId('rule-row-0').getByTestId('rule-error').innerText()).resolves.toContain(
      'plain property access',
    );
    await expect(page.getByTestId('problem').innerText()).resolves.toContain(
      'approval-routing.json#rules[0]',
    );
    await app.screenshot(page, 'rules-editor-error');
    await page.getByTestId('cond-0-0').getByLabel('路径').fill('');

    // The JSON view shows the document that will be deployed.
    await page.getByTestId('rules-view').getByText('JSON').click();
    expect(JSON.parse(await page.getByTestId('rules-json').inputValue())).toEqual(ROUTING);
    // … and can be edited there: a third rule, applied to the table, then removed again
    const withThird = { ...ROUTING, rules: [...ROUTING.rules, { ...ROUTING.rules[0], priority: 5 }] };
    await page.getByTestId('rules-json').fill('{ "rules": ');
    await page.getByTestId('rules-json-apply').click();
    await page.getByTestId('rules-json-error').waitFor();
    await page.getByTestId('rules-json').fill(JSON.stringify(withThird));
    await page.getByTestId('rules-json-apply').click();
    await page.getByTestId('rule-row-2').getByLabel('优先级').waitFor();
    await expect(page.getByTestId('rule-row-2').getByLabel('优先级').inputValue()).resolves.toBe('5');
    await page.getByTestId('rule-row-2').getByTestId('rule-remove').click();
    await page.getByTestId('rule-row-2').waitFor({ state: 'detached' });

    await page.getByTestId('rules-deploy').click();
    await page.waitForURL(/\/rules\/\d+$/);
    await page.getByText('版本 1', { exact: true }).waitFor();
    const key = page.url().split('/').pop()!;
    const stored = await app.t.api('GET', `/v2/rule-sets/${key}`, undefined, { user: 'owner' });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ ruleSetId: 'approval-routing', version: 1, deployedBy: 'owner' });
    expect(stored.body.content).toEqual(ROUTING);
    // the reloaded editor shows the rows as built
    await expect(page.getByTestId('cond-1-0').getByLabel('值').last().inputValue()).resolves.toBe('100000');

    await page.goto('/rules');
    const item = page.getByTestId('rules-item-approval-routing');
    await expect(item.innerText()).resolves.toContain('v1');
    await expect(item.innerText()).resolves.toContain('审批路由');
    await page.getByText('共 1 个规则集，1 个版本').waitFor();
    await app.screenshot(page, 'rules-list');
  }, 180_000);

  it('runs a process that calls the deployed rule set: the rule set picks the approver', async () => {
    expect((await app.t.deploy([{ name: 'routed.bpmn', content: ROUTED }])).status).toBe(200);
    const big = await app.t.start('routed-payment', { amount: 250000 });
    expect((await app.t.taskOf(big, 'sup1')).elementId).toBe('approve');
    const small = await app.t.start('routed-payment', { amount: 800 });
    expect((await app.t.taskOf(small, 'eng1')).elementId).toBe('approve');
  }, 90_000);

  it('imports a .json into the editor, deploys it and exports a version', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/rules');
    await page.getByTestId('rules-list').waitFor();
    const fixture = path.resolve('tests/fixtures/severity.rules.json');
    await page.getByTestId('rules-import').setInputFiles(fixture);
    await page.waitForURL('**/rules/new');
    await expect(page.getByTestId('rules-id').inputValue()).resolves.toBe('severity');
    await page.getByTestId('rule-row-1').waitFor();
    await expect(page.getByTestId('cond-0-0').getByLabel('变量').inputValue()).resolves.toBe('downtimeHours');
    await page.getByTestId('rules-deploy').click();
    await page.waitForURL(/\/rules\/\d+$/);
    const key = page.url().split('/').pop()!;

    await page.goto('/rules');
    const download = page.waitForEvent('download');
    await page.getByTestId(`rules-export-${key}`).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('severity.json');
    const content = readFileSync((await file.path())!, 'utf8');
    expect(JSON.parse(content)).toEqual(JSON.parse(readFileSync(fixture, 'utf8')));

    // A file that is not a rule set is refused in place.
    await page.getByTestId('rules-import').setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{ "id": "x", '),
    });
    await page.getByText('无法导入 broken.json').waitFor();
  }, 90_000);

  it('speaks English, and suggests facts from the fields of forms', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.getByTestId('language').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: 'English' }).click();
    await page.getByText('Sign out').waitFor();
    await page.getByTestId('nav').getByText('Rule sets').click();
    await page.getByRole('button', { name: 'New rule set' }).click();
    await page.getByTestId('rules-add-row').getByText('Add rule').waitFor();
    await page.getByTestId('rules-deploy').click();
    await page.getByText('the ID may only use letters').waitFor();
    await expect(page.getByTestId('rule-row-0').getByTestId('rule-error').allInnerTexts()).resolves.toContain(
      'Variable: required',
    );

    // Facts are suggested from the fields of the tenant's forms.
    const form = readFileSync(path.resolve('tests/fixtures/review-form.form'), 'utf8');
    expect((await app.t.deploy([{ name: 'review-form.form', content: form }])).status).toBe(200);
    await page.reload();
    await page.getByTestId('cond-0-0').getByLabel('Variable').fill('rej');
    await page
      .locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)')
      .getByText('Form fields')
      .waitFor();
    await page.locator('.ant-select-item-option', { hasText: 'rejectReason' }).click();
    await expect(page.getByTestId('cond-0-0').getByLabel('Variable').inputValue()).resolves.toBe(
      'rejectReason',
    );
  }, 90_000);
});
