import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BpmnModdle } from 'bpmn-moddle';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json' with { type: 'json' };
import lifeflowModdle from '../../engine/model/lifeflow-moddle.json' with { type: 'json' };
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

/**
 * Lifeflow's groups in the modeler's properties panel: each writes what the engine reads, through
 * the modeling commands, and a definition built with them runs as configured.
 */
const FORM = JSON.stringify({
  id: 'sign-form',
  type: 'default',
  components: [{ type: 'textfield', key: 'note', label: '备注 Note' }],
});
const RULE_SET = JSON.stringify({
  id: 'risk-level',
  name: '风险分级',
  rules: [
    {
      conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 100 }] },
      event: { type: 'high-risk', params: { level: 2 } },
    },
  ],
});

/** start → sign (user task) → approved? → check (rule set) → cc (service task) → done | rejected. */
const DIAGRAM = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Definitions_props" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="props_check" name="联合审批测试" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="sign" name="联合审批"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f4"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:businessRuleTask id="check" name="风险分级"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:serviceTask id="cc" name="抄送现场"><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="done" name="完成"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="turnedDown" name="驳回"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="gw"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="check"><bpmn:conditionExpression>=approved</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="turnedDown"/>
    <bpmn:sequenceFlow id="f5" sourceRef="check" targetRef="cc"/>
    <bpmn:sequenceFlow id="f6" sourceRef="cc" targetRef="done"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="props_check">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="sign_di" bpmnElement="sign"><dc:Bounds x="240" y="80" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="gw_di" bpmnElement="gw" isMarkerVisible="true"><dc:Bounds x="395" y="95" width="50" height="50"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="check_di" bpmnElement="check"><dc:Bounds x="500" y="80" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="cc_di" bpmnElement="cc"><dc:Bounds x="650" y="80" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="done_di" bpmnElement="done"><dc:Bounds x="802" y="102" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="turnedDown_di" bpmnElement="turnedDown"><dc:Bounds x="402" y="232" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="188" y="120"/><di:waypoint x="240" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="340" y="120"/><di:waypoint x="395" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="445" y="120"/><di:waypoint x="500" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f4_di" bpmnElement="f4"><di:waypoint x="420" y="145"/><di:waypoint x="420" y="232"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f5_di" bpmnElement="f5"><di:waypoint x="600" y="120"/><di:waypoint x="650" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f6_di" bpmnElement="f6"><di:waypoint x="750" y="120"/><di:waypoint x="802" y="120"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;

describe.skipIf(!hasChromium)('modeler: Lifeflow properties panel groups', () => {
  let app: BrowserApp;
  let diagramFile: string;
  let formKey: string;
  beforeAll(async () => {
    app = await startBrowserApp();
    const deployed = await app.t.deploy([
      { name: 'sign-form.form', content: FORM },
      { name: 'risk-level.json', content: RULE_SET },
    ]);
    expect(deployed.status).toBe(200);
    formKey = deployed.body.deployments.find((d: any) => d.form).form.formKey;
    const dir = await mkdtemp(path.join(tmpdir(), 'lf-props-'));
    diagramFile = path.join(dir, 'props_check.bpmn');
    await writeFile(diagramFile, DIAGRAM);
  }, 60_000);
  afterAll(async () => app?.close());

  const panel = (page: Page) => page.getByTestId('modeler-panel');
  const entry = (page: Page, id: string) => panel(page).locator(`[data-entry-id="${id}"]`);
  const field = (page: Page, id: string) => panel(page).locator(`#bio-properties-panel-${id}`);

  async function select(page: Page, elementId: string) {
    await page.locator(`.djs-element.djs-shape[data-element-id="${elementId}"]`).click();
    await panel(page).locator(`.bio-properties-panel-header-label`).waitFor();
    await expect
      .poll(() => panel(page).locator('.bio-properties-panel-header-label').innerText())
      .not.toBe('');
  }

  /** Opens a group of the panel by its title (groups start closed). */
  async function openGroup(page: Page, title: string) {
    const header = panel(page).locator('.bio-properties-panel-group-header', {
      has: page.locator('.bio-properties-panel-group-header-title', { hasText: new RegExp(`^${title}$`) }),
    });
    await header.waitFor();
    if (!(await header.evaluate((el) => el.classList.contains('open')))) await header.click();
  }

  const panelGroup = (page: Page, id: string) => panel(page).locator(`[data-group-id="group-${id}"]`);
  /** Switches a toggle entry and waits until it shows the new state. */
  async function toggle(page: Page, id: string) {
    const input = entry(page, id).locator('input[type="checkbox"]');
    const was = await input.isChecked();
    await entry(page, id).locator('.bio-properties-panel-toggle-switch__slider').click();
    await expect.poll(() => input.isChecked()).toBe(!was);
  }

  /** Fills a text field and waits until the panel wrote it (debounced) into the model. */
  async function fill(page: Page, id: string, value: string) {
    await field(page, id).fill(value);
    await field(page, id).blur();
  }

  it('writes approval, timeout, return policy, form, rule set, notify and outcome, and the engine runs them', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes/new?lf-test');
    await page.getByTestId('modeler-canvas').waitFor();
    await page.getByTestId('modeler-open-file').setInputFiles(diagramFile);
    await page.locator('.djs-element[data-element-id="sign"]').waitFor();

    // 审批设置: 会签 over three listed approvers.
    await select(page, 'sign');
    await panelGroup(page, 'assignmentDefinition').waitFor();
    await openGroup(page, '审批设置');
    await expect(entry(page, 'lf-approval-mode').count()).resolves.toBe(0);
    await toggle(page, 'lf-approval-enabled');
    await field(page, 'lf-approval-mode').selectOption('all');
    await expect(entry(page, 'lf-approval-passRatio').count()).resolves.toBe(0);
    await fill(page, 'lf-approval-assignees', 'eng1, not a name');
    await entry(page, 'lf-approval-assignees').getByText('“not a name”不是有效的用户名').waitFor();
    await fill(page, 'lf-approval-assignees', 'eng1, ops1, sup1');
    await expect(
      entry(page, 'lf-approval-assignees').locator('.bio-properties-panel-error').count(),
    ).resolves.toBe(0);
    await field(page, 'lf-approval-onReject').selectOption('return');
    await field(page, 'lf-approval-returnTo').selectOption('initiator');
    // Only the fields of the chosen strategy show.
    await field(page, 'lf-approval-source').selectOption('initiatorHead');
    await entry(page, 'lf-approval-levels').waitFor();
    await expect(entry(page, 'lf-approval-assignees').count()).resolves.toBe(0);
    await field(page, 'lf-approval-source').selectOption('assignees');
    await fill(page, 'lf-approval-assignees', 'eng1, ops1, sup1');
    // The Camunda assignment group would only write what an approval refuses: hidden meanwhile.
    await expect(panelGroup(page, 'assignmentDefinition').count()).resolves.toBe(0);
    await app.screenshot(page, 'modeler-properties-approval-group');

    // 超时与工作日历: a duration the engine does not take shows an error and is not written.
    await openGroup(page, '超时与工作日历');
    await fill(page, 'lf-timeout-remindEvery', 'P1M');
    await entry(page, 'lf-timeout-remindEvery').locator('.bio-properties-panel-error').waitFor();
    await fill(page, 'lf-timeout-remindEvery', 'PT4H');
    await expect(
      entry(page, 'lf-timeout-remindEvery').locator('.bio-properties-panel-error').count(),
    ).resolves.toBe(0);
    await fill(page, 'lf-timeout-after', 'P2D');
    await field(page, 'lf-timeout-action').selectOption('approve');
    await expect(field(page, 'lf-timeout-calendar').locator('option').allInnerTexts()).resolves.toEqual(
      expect.arrayContaining(['中国标准工作日历（cn-standard）', '自然日 24×7（natural）']),
    );
    await field(page, 'lf-timeout-calendar').selectOption('natural');

    await openGroup(page, '退回策略');
    await field(page, 'lf-returnPolicy-resubmit').selectOption('returner');

    // 关联表单: the deployed form, the same property the Camunda "Form" group shows.
    await openGroup(page, '关联表单');
    await field(page, 'lf-linkedForm-formId')
      .locator('option[value="sign-form"]')
      .waitFor({ state: 'attached' });
    await field(page, 'lf-linkedForm-formId').selectOption('sign-form');
    await app.screenshot(page, 'modeler-properties-approval');

    // 规则集 on the business rule task.
    await select(page, 'check');
    await panelGroup(page, 'businessRuleImplementation').waitFor();
    await openGroup(page, '规则集');
    await entry(page, 'lf-ruleSet-resultVariable').getByText('必填').waitFor();
    await field(page, 'lf-ruleSet-ruleSetId')
      .locator('option[value="risk-level"]')
      .waitFor({ state: 'attached' });
    await field(page, 'lf-ruleSet-ruleSetId').selectOption('risk-level');
    await fill(page, 'lf-ruleSet-resultVariable', 'risk');
    // No DMN/job implementation to choose for a rule-set task.
    await panelGroup(page, 'businessRuleImplementation').waitFor({ state: 'detached' });
    await app.screenshot(page, 'modeler-properties-rule-set');

    // 通知与抄送 on the service task: the built-in job type notify.
    await select(page, 'cc');
    await openGroup(page, '通知与抄送');
    await expect(entry(page, 'lf-notify-users').count()).resolves.toBe(0);
    await toggle(page, 'lf-notify-enabled');
    await entry(page, 'lf-notify-users').getByText('请至少填写通知用户或用户组').waitFor();
    await fill(page, 'lf-notify-users', 'field1');
    await fill(page, 'lf-notify-message', '联合审批已通过，请查阅');
    await app.screenshot(page, 'modeler-properties-notify');

    // 结果 on the end events.
    await select(page, 'turnedDown');
    await openGroup(page, '结果');
    await field(page, 'lf-outcome-value').selectOption('rejected');
    await select(page, 'done');
    await openGroup(page, '结果');
    await field(page, 'lf-outcome-value').selectOption('completed');
    await app.screenshot(page, 'modeler-properties-outcome');

    // One undo takes back one panel change (the outcome just set), redo brings it back.
    const modeler = () => page.evaluate(() => (globalThis as any).__lfModeler.get('commandStack').canUndo());
    await expect(modeler()).resolves.toBe(true);
    await page.evaluate(() => (globalThis as any).__lfModeler.get('commandStack').undo());
    await expect.poll(() => field(page, 'lf-outcome-value').inputValue()).toBe('none');
    await page.evaluate(() => (globalThis as any).__lfModeler.get('commandStack').redo());
    await expect.poll(() => field(page, 'lf-outcome-value').inputValue()).toBe('completed');

    await page.getByTestId('modeler-deploy').click();
    await page.waitForURL(/\/processes\/\d+/);
    const key = /\/processes\/(\d+)/.exec(page.url())![1];
    const xml = await app.t.api('GET', `/v2/process-definitions/${key}/xml`, undefined, { user: 'owner' });
    expect(xml.status).toBe(200);

    const moddle = new BpmnModdle({ zeebe: zeebeModdle, lf: lifeflowModdle });
    const { rootElement } = await moddle.fromXML(xml.text);
    const process = (rootElement as any).rootElements.find((e: any) => e.$type === 'bpmn:Process');
    const el = (id: string) => process.flowElements.find((e: any) => e.id === id);
    const ext = (id: string, type: string) =>
      el(id).extensionElements?.values.find((v: any) => v.$type === type);
    expect(ext('sign', 'lf:Approval')).toMatchObject({
      mode: 'all',
      assignees: 'eng1, ops1, sup1',
      onReject: 'return',
      returnTo: 'initiator',
    });
    expect(ext('sign', 'lf:Approval').strategy).toBeUndefined();
    expect(ext('sign', 'lf:Timeout')).toMatchObject({
      remindEvery: 'PT4H',
      after: 'P2D',
      action: 'approve',
      calendar: 'natural',
    });
    expect(ext('sign', 'lf:ReturnPolicy')).toMatchObject({ resubmit: 'returner' });
    expect(ext('sign', 'zeebe:FormDefinition')).toMatchObject({ formId: 'sign-form' });
    expect(ext('check', 'lf:CalledRuleSet')).toMatchObject({
      ruleSetId: 'risk-level',
      resultVariable: 'risk',
    });
    expect(ext('cc', 'zeebe:TaskDefinition')).toMatchObject({ type: 'notify' });
    const headers = Object.fromEntries(
      ext('cc', 'zeebe:TaskHeaders').values.map((h: any) => [h.key, h.value] as const),
    );
    expect(headers).toEqual({ event: 'CC', users: 'field1', message: '联合审批已通过，请查阅' });
    expect(ext('done', 'lf:Outcome')).toMatchObject({ value: 'completed' });
    expect(ext('turnedDown', 'lf:Outcome')).toMatchObject({ value: 'rejected' });

    // The engine honours it: 会签 gives each of the three signers a task with the linked form.
    const t = app.t;
    const instance = await t.startAs('owner', 'props_check', { variables: { amount: 500 } });
    const tasks = await t.openTasks(instance);
    expect(tasks.map((x: any) => x.assignee).sort()).toEqual(['eng1', 'ops1', 'sup1']);
    for (const task of tasks) {
      expect(task.formKey).toBe(formKey);
      // P2D on the natural calendar: 48 hours of every-minute-counts time.
      expect(Date.parse(task.dueDate) - Date.parse(task.creationDate)).toBe(48 * 3600_000);
    }
    for (const task of tasks) {
      const decided = await t.api(
        'POST',
        `/v2/user-tasks/${task.userTaskKey}/decision`,
        { decision: 'approve', comment: '同意' },
        { user: task.assignee },
      );
      expect(decided.status).toBe(204);
    }
    // The rule set ran; the built-in notify worker (driven by hand here) tells field1 (CC), then it ends.
    const jobs = await t.runtime.jobs.activate({
      type: 'notify',
      worker: 'test',
      timeout: 60_000,
      maxJobsToActivate: 5,
      tenantIds: ['<default>'],
    });
    const mine = jobs.filter((j) => j.processInstanceKey === instance);
    expect(mine).toHaveLength(1);
    expect(mine[0].customHeaders).toMatchObject({ users: 'field1', event: 'CC' });
    await t.runtime.builtins.run(mine[0]);
    expect(await t.stateOf(instance)).toBe('COMPLETED');
    expect((await t.rootVariables(instance)).risk).toMatchObject({ params: { level: 2 } });
    const cc = await t.api('POST', '/v2/notifications/search', {}, { user: 'field1' });
    expect(cc.body.items.some((n: any) => n.event === 'CC' && n.processInstanceKey === instance)).toBe(true);
  }, 120_000);

  it('shows the groups in zh-CN, then in English after a language switch', async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes/new?lf-test');
    await page.getByTestId('modeler-canvas').waitFor();
    await page.getByTestId('modeler-open-file').setInputFiles(diagramFile);
    await page.locator('.djs-element[data-element-id="sign"]').waitFor();
    await select(page, 'sign');
    for (const title of ['审批设置', '超时与工作日历', '退回策略', '关联表单'])
      await panel(page).locator('.bio-properties-panel-group-header-title', { hasText: title }).waitFor();
    await openGroup(page, '审批设置');
    await entry(page, 'lf-approval-enabled').getByText('启用审批').waitFor();

    await page.getByTestId('language').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: 'English' }).click();
    // The modeler is made anew in English with the same diagram.
    await page.locator('.djs-element[data-element-id="sign"]').waitFor();
    await select(page, 'sign');
    for (const title of ['Approval', 'Timeout & calendar', 'Return policy', 'Linked form'])
      await panel(page).locator('.bio-properties-panel-group-header-title', { hasText: title }).waitFor();
    await openGroup(page, 'Approval');
    await toggle(page, 'lf-approval-enabled');
    await expect(entry(page, 'lf-approval-mode').locator('label').innerText()).resolves.toBe('Mode');
    await expect(field(page, 'lf-approval-mode').locator('option').allInnerTexts()).resolves.toContain(
      'All must approve (countersign)',
    );
    // 票签 brings its pass ratio (0.6 to start with); another mode takes it away again.
    await field(page, 'lf-approval-mode').selectOption('vote');
    await expect.poll(() => field(page, 'lf-approval-passRatio').inputValue()).toBe('0.6');
    await fill(page, 'lf-approval-passRatio', '1.5');
    await entry(page, 'lf-approval-passRatio')
      .getByText('Enter a number above 0 and at most 1, e.g. 0.6')
      .waitFor();
    await app.screenshot(page, 'modeler-properties-english');
    await field(page, 'lf-approval-mode').selectOption('any');
    await entry(page, 'lf-approval-passRatio').waitFor({ state: 'detached' });
    // A group of the tenant: the groups to choose from.
    await field(page, 'lf-approval-source').selectOption('group');
    await field(page, 'lf-approval-group')
      .locator('option[value="engineering"]')
      .waitFor({ state: 'attached' });
    await entry(page, 'lf-approval-group').getByText('Required').waitFor();
    await field(page, 'lf-approval-group').selectOption('engineering');
    await entry(page, 'lf-approval-group').getByText('Required').waitFor({ state: 'detached' });
    // Picked by a rule set: the deployed rule sets to choose from.
    await field(page, 'lf-approval-source').selectOption('ruleSet');
    await field(page, 'lf-approval-ruleSet')
      .locator('option[value="risk-level"]')
      .waitFor({ state: 'attached' });
    await expect(
      field(page, 'lf-approval-ruleSet').locator('option[value="risk-level"]').innerText(),
    ).resolves.toBe('风险分级 (risk-level)');
    await field(page, 'lf-approval-ruleSet').selectOption('risk-level');
    const approval = await page.evaluate(() => {
      const m = (globalThis as any).__lfModeler;
      const bo = m.get('elementRegistry').get('sign').businessObject;
      const a = bo.extensionElements.values.find((v: any) => v.$type === 'lf:Approval');
      return {
        mode: a.mode,
        strategy: a.strategy,
        ruleSet: a.ruleSet,
        passRatio: a.passRatio,
        assignees: a.assignees,
      };
    });
    expect(approval).toEqual({
      mode: 'any',
      strategy: 'ruleSet',
      ruleSet: 'risk-level',
      passRatio: undefined,
      assignees: undefined,
      group: undefined,
    });
    // The notify switch off again leaves no job type and no headers behind.
    await select(page, 'cc');
    await openGroup(page, 'Notification / CC');
    await toggle(page, 'lf-notify-enabled');
    await fill(page, 'lf-notify-users', 'eng1');
    await expect(field(page, 'lf-notify-event').locator('option').allInnerTexts()).resolves.toEqual([
      'CC (copy)',
      'Mention (@)',
    ]);
    await toggle(page, 'lf-notify-enabled');
    await entry(page, 'lf-notify-users').waitFor({ state: 'detached' });
    const ccExtensions = await page.evaluate(() => {
      const m = (globalThis as any).__lfModeler;
      const bo = m.get('elementRegistry').get('cc').businessObject;
      return (bo.extensionElements?.values ?? []).map((v: any) => v.$type);
    });
    expect(ccExtensions).toEqual([]);
    await select(page, 'done');
    await panel(page)
      .locator('.bio-properties-panel-group-header-title', { hasText: /^Outcome$/ })
      .waitFor();
  }, 60_000);
});
