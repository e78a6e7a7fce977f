import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESIGNER_DIST } from '../../runtime/web/web-app.js';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

/** The built chunks of the designer's heavy areas, which the workspace must never download. */
function designerChunks(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(DESIGNER_DIST, '.vite', 'manifest.json'), 'utf8'));
  return ['src/modeler/index.tsx', 'src/form-editor/index.tsx'].map((k) => `/${manifest[k].file}`);
}

/**
 * The workspace inbox and the task page: live counts, the task's form, diagram and history, the
 * dialogs of 退回 / 转办 / 加签, and a form that refuses a missing required field.
 */
const shape = (id: string, x: number, w = 100, h = 80) =>
  `<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${x}" y="${h === 36 ? 102 : 80}" width="${w}" height="${h}"/></bpmndi:BPMNShape>`;
const edge = (id: string, x1: number, x2: number) =>
  `<bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}"><di:waypoint x="${x1}" y="120"/><di:waypoint x="${x2}" y="120"/></bpmndi:BPMNEdge>`;

const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="d_inbox" targetNamespace="http://lifeflow.dev/test">
  <bpmn:process id="site-issue" name="现场问题上报" isExecutable="true">
    <bpmn:startEvent id="s" name="开始"/>
    <bpmn:userTask id="report" name="上报问题">
      <bpmn:extensionElements><zeebe:assignmentDefinition assignee="field1"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="sign" name="工程会签">
      <bpmn:extensionElements><lf:approval mode="all" assignees="eng1, ops1"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="check" name="整改确认">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition assignee="eng1"/>
        <zeebe:formDefinition formId="check-form"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e" name="结束"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="report"/>
    <bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="sign"/>
    <bpmn:sequenceFlow id="f3" sourceRef="sign" targetRef="check"/>
    <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="e"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dg"><bpmndi:BPMNPlane id="pl" bpmnElement="site-issue">
    ${shape('s', 100, 36, 36)}${shape('report', 180)}${shape('sign', 330)}${shape('check', 480)}${shape('e', 632, 36, 36)}
    ${edge('f1', 136, 180)}${edge('f2', 280, 330)}${edge('f3', 430, 480)}${edge('f4', 580, 632)}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

const FORM = JSON.stringify({
  id: 'check-form',
  type: 'default',
  components: [
    { type: 'textfield', key: 'result', label: '整改结果', validate: { required: true } },
    { type: 'textfield', key: 'note', label: '备注' },
  ],
});

describe.skipIf(!hasChromium)('workspace inbox and task page', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
    const res = await app.t.deploy([
      { name: 'site-issue.bpmn', content: PROCESS },
      { name: 'check-form.form', content: FORM },
    ]);
    expect(res.status, res.text).toBe(200);
  }, 60_000);
  afterAll(async () => app?.close());

  const t = () => app.t;
  /** field1 starts a report and submits it: the 会签 tasks go to eng1 and ops1. */
  const reportIssue = async (title: string) => {
    const key = await t().startAs('field1', 'site-issue', { variables: { title } });
    const report = await t().taskOf(key, 'field1');
    const done = await t().api(
      'POST',
      `/v2/user-tasks/${report.userTaskKey}/completion`,
      { variables: { title } },
      { user: 'field1' },
    );
    expect(done.status, done.text).toBe(204);
    return key;
  };
  const count = async (page: Page, tab: string) =>
    Number(await page.getByTestId(`inbox-count-${tab}`).innerText());
  const pick = async (page: Page, testId: string, text: string) => {
    await page.getByTestId(testId).click();
    await page.keyboard.type(text);
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option')
      .filter({ hasText: text })
      .first()
      .click();
    // The choice shows in the select (the typed search is an input's value, not its text).
    await page.getByTestId(testId).filter({ hasText: text }).waitFor();
    // Closes the option list by clicking beside it: Escape would close the dialog itself once the
    // list has closed on its own.
    await page.locator('.ant-modal-title:visible').click();
    await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'detached' });
  };

  it('shows a new task live, opens it and returns it to the previous step', async () => {
    const eng = await app.newPage();
    const scripts: string[] = [];
    eng.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
    });
    await app.login(eng, 'eng1');
    await eng.goto('/workspace/inbox');
    await eng.getByTestId('inbox').waitFor();
    await eng.getByTestId('inbox-count-todo').waitFor();
    const before = await count(eng, 'todo');

    const field = await app.newPage({ width: 390, height: 844 });
    await app.login(field, 'field1');
    await field.goto('/workspace/inbox');
    await field.getByTestId('inbox').waitFor();

    const key = await reportIssue('三号楼渗水');
    const sign = await t().taskOf(key, 'eng1');
    // Live: no reload on eng1's page.
    await eng.getByTestId(`inbox-item-${sign.userTaskKey}`).waitFor();
    await expect.poll(() => count(eng, 'todo')).toBe(before + 1);
    await app.screenshot(eng, 'inbox-desktop');
    await field.getByTestId('inbox-tab-done').click();
    await field
      .getByTestId(
        `inbox-item-${(await t().api('POST', '/v2/user-tasks/search', { filter: { processInstanceKey: key, elementId: 'report' } })).body.items[0].userTaskKey}`,
      )
      .waitFor();
    await app.screenshot(field, 'inbox-phone');

    await eng.getByTestId(`inbox-item-${sign.userTaskKey}`).click();
    await eng.waitForURL(`**/workspace/inbox/tasks/${sign.userTaskKey}`);
    await eng.getByTestId('task-page').waitFor();
    await expect(eng.getByTestId('task-name').innerText()).resolves.toBe('工程会签');
    await eng.locator('[data-testid="task-diagram"][data-current="sign"]').waitFor();
    expect((await eng.getByTestId('task-diagram').getAttribute('data-done'))?.split(',')).toEqual(
      expect.arrayContaining(['s', 'report']),
    );
    expect(await eng.locator('[data-testid="task-diagram"] .lf-current').count()).toBeGreaterThan(0);
    await eng.locator('[data-testid="task-history-entry"][data-action="completed"]').first().waitFor();
    await eng.getByTestId('task-action-approve').waitFor();
    await eng.getByTestId('task-action-signers').waitFor();
    await app.screenshot(eng, 'task-page');
    // The inbox and the task page (form viewer, diagram viewer) never pull in the modeler or the
    // form editor.
    expect(scripts.length).toBeGreaterThan(3);
    expect(scripts).not.toEqual(expect.arrayContaining([expect.stringMatching(/modeler|form-editor/)]));
    for (const chunk of designerChunks()) expect(scripts).not.toContain(chunk);

    await eng.getByTestId('task-action-return').click();
    await eng.getByTestId('dialog-return').waitFor();
    // The comment is required: nothing is sent without it.
    await eng.getByTestId('dialog-return-submit').click();
    await eng.getByText('请填写意见').waitFor();
    await eng.getByTestId('dialog-return-comment').fill('照片不清楚，请重新上报');
    await app.screenshot(eng, 'task-dialog-return');
    await eng.getByTestId('dialog-return-submit').click();
    await eng.getByTestId('inbox').waitFor();

    const open = await t().openTasks(key);
    expect(open.map((x: any) => `${x.elementId}:${x.assignee}`)).toEqual(['report:field1']);
    const timeline = (await t().api('GET', `/v2/process-instances/${key}/history?view=timeline`)).body.items;
    expect(timeline.find((e: any) => e.action === 'returned')).toMatchObject({
      comment: '照片不清楚，请重新上报',
    });
  }, 90_000);

  it('transfers a task and adds a signer through the dialogs', async () => {
    const key = await reportIssue('消防通道堵塞');
    const eng = await app.newPage();
    await app.login(eng, 'eng1');

    // 加签 sup1 alongside eng1.
    const sign = await t().taskOf(key, 'eng1');
    await eng.goto(`/workspace/inbox/tasks/${sign.userTaskKey}`);
    await eng.getByTestId('task-action-signers').click();
    await eng.getByTestId('dialog-signers').waitFor();
    await pick(eng, 'dialog-signers-add', 'sup1');
    await eng.getByTestId('dialog-signers-comment').fill('请监理一起看');
    await eng.getByTestId('dialog-signers-submit').click();
    await eng.getByTestId('inbox').waitFor();
    expect((await t().openTasks(key)).map((x: any) => x.assignee).sort()).toEqual(['eng1', 'ops1', 'sup1']);

    // 转办 eng1's task to con1.
    await eng.goto(`/workspace/inbox/tasks/${sign.userTaskKey}`);
    await eng.getByTestId('task-action-transfer').click();
    await eng.getByTestId('dialog-transfer').waitFor();
    await eng.getByTestId('dialog-transfer-submit').click();
    await eng.getByText('请填写转办给').waitFor();
    await pick(eng, 'dialog-transfer-assignee', 'con1');
    await eng.getByTestId('dialog-transfer-comment').fill('施工单位处理');
    await eng.getByTestId('dialog-transfer-submit').click();
    await eng.getByTestId('inbox').waitFor();
    const task = (await t().api('GET', `/v2/user-tasks/${sign.userTaskKey}`)).body;
    expect(task.assignee).toBe('con1');
    expect((await t().openTasks(key)).map((x: any) => x.assignee).sort()).toEqual(['con1', 'ops1', 'sup1']);
  }, 60_000);

  it('refuses a form with a missing required field in Chinese and stores nothing', async () => {
    const key = await reportIssue('临电箱破损');
    for (const user of ['eng1', 'ops1']) {
      const task = await t().taskOf(key, user);
      const res = await t().api(
        'POST',
        `/v2/user-tasks/${task.userTaskKey}/decision`,
        { decision: 'approve' },
        { user },
      );
      expect(res.status, res.text).toBe(204);
    }
    const check = await t().taskOf(key, 'eng1');
    expect(check.elementId).toBe('check');
    const eng = await app.newPage();
    await app.login(eng, 'eng1');
    await eng.goto(`/workspace/inbox/tasks/${check.userTaskKey}`);
    await eng.locator('[data-testid="task-form"][data-lang="zh-CN"]').waitFor();
    await eng.getByLabel('备注').fill('已更换');
    await eng.getByTestId('task-action-complete').click();
    await eng.getByTestId('task-form').getByText('此项为必填项。').waitFor();
    await eng.getByText('表单有未通过校验的字段').waitFor();

    const still = (await t().api('GET', `/v2/user-tasks/${check.userTaskKey}`)).body;
    expect(still.state).toBe('CREATED');
    const vars = await t().rootVariables(key);
    expect(vars).not.toHaveProperty('note');
    expect(vars).not.toHaveProperty('result');

    // Filled in, it is submitted with what was typed.
    await eng.getByLabel('整改结果').fill('已整改');
    await eng.getByTestId('task-action-complete').click();
    await eng.getByTestId('inbox').waitFor();
    expect(await t().stateOf(key)).toBe('COMPLETED');
    expect(await t().rootVariables(key)).toMatchObject({ result: '已整改', note: '已更换' });
  }, 60_000);
});
