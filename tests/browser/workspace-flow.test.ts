import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, bellCount, bellRang, hasChromium, startBrowserApp } from './browser.js';

/**
 * The whole day of one request, across three browsers: a field user on a phone starts it from the
 * catalogue and fills it in; the approver hears of it live (bell and toast), returns it with a
 * comment; the field user resubmits; the approver approves; the admin finds it in the monitor and
 * sees the path it took.
 */
const shape = (id: string, x: number, w = 100, h = 80) =>
  `<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${x}" y="${h === 36 ? 102 : 80}" width="${w}" height="${h}"/></bpmndi:BPMNShape>`;
const edge = (id: string, x1: number, x2: number) =>
  `<bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}"><di:waypoint x="${x1}" y="120"/><di:waypoint x="${x2}" y="120"/></bpmndi:BPMNEdge>`;

const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="d_flow" targetNamespace="http://lifeflow.dev/test">
  <bpmn:process id="leak-report" name="渗漏整改申请" isExecutable="true">
    <bpmn:startEvent id="s" name="发起">
      <bpmn:extensionElements><zeebe:formDefinition formId="leak-start"/></bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="fill" name="填报现场情况">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition assignee="field1"/>
        <zeebe:formDefinition formId="leak-detail"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="sign" name="工程审批">
      <bpmn:extensionElements><lf:approval mode="single" assignees="eng1"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e" name="结束"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="fill"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="sign"/>
    <bpmn:sequenceFlow id="f3" sourceRef="sign" targetRef="e"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dg"><bpmndi:BPMNPlane id="pl" bpmnElement="leak-report">
    ${shape('s', 100, 36, 36)}${shape('fill', 180)}${shape('sign', 330)}${shape('e', 482, 36, 36)}
    ${edge('f1', 136, 180)}${edge('f2', 280, 330)}${edge('f3', 430, 482)}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

const START_FORM = JSON.stringify({
  id: 'leak-start',
  type: 'default',
  components: [{ type: 'textfield', key: 'place', label: '渗漏部位', validate: { required: true } }],
});
const DETAIL_FORM = JSON.stringify({
  id: 'leak-detail',
  type: 'default',
  components: [{ type: 'textfield', key: 'detail', label: '情况说明', validate: { required: true } }],
});

describe.skipIf(!hasChromium)('one request from the catalogue to the monitor', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
    const res = await app.t.deploy([
      { name: 'leak-report.bpmn', content: PROCESS },
      { name: 'leak-start.form', content: START_FORM },
      { name: 'leak-detail.form', content: DETAIL_FORM },
    ]);
    expect(res.status, res.text).toBe(200);
  }, 60_000);
  afterAll(async () => app?.close());

  const openTask = async (page: Page, key: string, elementId: string, user: string) => {
    await expect
      .poll(async () => (await app.t.openTasks(key)).map((x: any) => `${x.elementId}:${x.assignee}`))
      .toContain(`${elementId}:${user}`);
    const task = await app.t.taskOf(key, user);
    // The inbox shows it without a reload.
    await page.getByTestId(`inbox-item-${task.userTaskKey}`).click();
    await page.waitForURL(`**/workspace/inbox/tasks/${task.userTaskKey}`);
    await page.getByTestId('task-page').waitFor();
    return task;
  };

  it('starts, is returned, resubmitted, approved, and shows its path in the monitor', async () => {
    const approver = await app.newPage();
    await app.login(approver, 'eng1');
    await approver.goto('/workspace/inbox');
    await approver.getByTestId('inbox').waitFor();
    await approver.getByTestId('bell').waitFor();
    const before = await bellCount(approver);

    // The field user on a phone: the catalogue, the start form, then the form of the first step.
    const field = await app.newPage({ width: 390, height: 844 });
    await app.login(field, 'field1');
    await field.goto('/workspace/start');
    await field.getByTestId('start-card-leak-report').click();
    await field.getByLabel('渗漏部位').fill('三号楼地下室');
    await app.screenshot(field, 'flow-start-phone');
    await field.getByTestId('start-submit').click();
    await field.waitForURL('**/workspace/requests');
    const [mine] = (
      await app.t.api('POST', '/v2/inbox/search', { filter: { tab: 'started' } }, { user: 'field1' })
    ).body.items as any[];
    const key = mine.processInstanceKey as string;
    await field.goto('/workspace/inbox');
    await field.getByTestId('inbox').waitFor();
    await openTask(field, key, 'fill', 'field1');
    await field.getByLabel('情况说明').fill('墙角渗水');
    await app.screenshot(field, 'flow-fill-phone');
    await field.getByTestId('task-action-complete').click();
    await field.getByTestId('inbox').waitFor();

    // The approver hears of it live, opens it, sees where it is, returns it with a comment.
    await bellRang(approver, before);
    await approver.getByTestId('bell-toast').first().waitFor();
    await openTask(approver, key, 'sign', 'eng1');
    await approver.locator('[data-testid="task-diagram"][data-current="sign"]').waitFor();
    expect((await approver.getByTestId('task-diagram').getAttribute('data-done'))?.split(',')).toEqual(
      expect.arrayContaining(['s', 'fill']),
    );
    await app.screenshot(approver, 'flow-task-approver');
    await approver.getByTestId('task-action-return').click();
    await approver.getByTestId('dialog-return-comment').fill('请补充渗水面积');
    await approver.getByTestId('dialog-return-submit').click();
    await approver.getByTestId('inbox').waitFor();

    // Back on the phone: the step is there again, with the comment in its history; resubmitted.
    await openTask(field, key, 'fill', 'field1');
    await field.getByTestId('task-history').getByText('请补充渗水面积').waitFor();
    await field.getByLabel('情况说明').fill('墙角渗水，约 2 平方米');
    await field.getByTestId('task-action-complete').click();
    await field.getByTestId('inbox').waitFor();

    // Approved.
    await openTask(approver, key, 'sign', 'eng1');
    await approver.getByTestId('task-action-approve').click();
    await approver.getByTestId('dialog-approve-submit').click();
    await approver.getByTestId('inbox').waitFor();
    await expect.poll(() => app.t.stateOf(key)).toBe('COMPLETED');
    expect(await app.t.rootVariables(key)).toMatchObject({
      place: '三号楼地下室',
      detail: '墙角渗水，约 2 平方米',
    });

    // The admin finds it in the monitor by a variable and sees the path it took.
    const admin = await app.newPage();
    await app.login(admin, 'admin', 'admin');
    await admin.goto('/monitor');
    await admin.getByTestId('monitor-search-variable-name').fill('place');
    await admin.getByTestId('monitor-search-variable-value').fill('三号楼地下室');
    await admin.getByTestId('monitor-search-submit').click();
    await admin.getByTestId(`monitor-row-${key}`).getByTestId('monitor-row-link').click();
    await admin.waitForURL(`**/monitor/instances/${key}`);
    const diagram = admin.locator('[data-testid="monitor-diagram"][data-ready="true"]');
    await diagram.waitFor();
    expect((await diagram.getAttribute('data-completed'))?.split(',')).toEqual(
      expect.arrayContaining(['s', 'fill', 'sign', 'e']),
    );
    expect(await diagram.getAttribute('data-active')).toBe('');
    expect(await admin.locator('[data-testid="monitor-diagram"] .lf-completed-flow').count()).toBe(3);
    // A finished instance's variables are read-only.
    await admin.getByTestId('monitor-variable-place').waitFor();
    expect(await admin.getByTestId('monitor-variable-edit').count()).toBe(0);
    await app.screenshot(admin, 'flow-monitor-instance');
  }, 150_000);
});
