import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../engine/model/lint.js';
import { parseXml } from '../../engine/model/moddle.js';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';
import { appendAmountSplit, appendUserTask, clickBlank, elementsOf, group, select } from './modeler-page.js';

const XSS_FILE = new URL(
  '../../../shared/conformance/camunda/camunda-modeler/diagram__xss.bpmn',
  import.meta.url,
);
const LINT_FILE = new URL(
  '../../../shared/conformance/camunda/camunda-modeler/diagram__lint-errors.bpmn',
  import.meta.url,
);
const ZEEBE_FILE = new URL(
  '../../../shared/conformance/camunda/camunda-modeler/diagram__zeebe.bpmn',
  import.meta.url,
);
const FORM = readFileSync(new URL('../fixtures/review-form.form', import.meta.url), 'utf8');

describe.skipIf(!hasChromium)('BPMN modeler', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
    const res = await app.t.deploy([{ name: 'review-form.form', content: FORM }], { user: 'owner' });
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(async () => app?.close());

  it('lets a process owner build a process on the canvas, deploy it and run it', {
    timeout: 120_000,
  }, async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes/new?lf-test');
    const canvas = page.getByTestId('modeler-canvas');
    await canvas.locator('.djs-shape[data-element-id="StartEvent_1"]').waitFor();
    // zh-CN palette
    await expect(
      page.locator('.djs-palette .entry[data-action="create.exclusive-gateway"]').getAttribute('aria-label'),
    ).resolves.toBe('创建网关');

    // start → user task "审批" with the linked form
    const task = await appendUserTask(page, 'StartEvent_1', '审批');
    await select(page, task);
    const form = await group(page, 'group-form');
    await form.locator('#bio-properties-panel-formType').selectOption('camunda-form-linked');
    await form.locator('#bio-properties-panel-formId').fill('review-form');
    await page.waitForFunction(
      (id) =>
        (globalThis as any).__lfModeler
          .get('elementRegistry')
          .get(id)
          .businessObject.extensionElements?.values?.some((v: any) => v.formId === 'review-form'),
      task,
    );

    // → exclusive gateway → 大额 when `=amount > 100`, else (the default flow) 小额
    const { big, small } = await appendAmountSplit(page, task);
    await app.screenshot(page, 'modeler-built');

    const processId = (await elementsOf(page)).find((e) => e.type === 'bpmn:Process')!.id;
    await page.getByTestId('modeler-deploy').click();
    await page.waitForURL(/\/processes\/\d+$/);
    const key = page.url().split('/').pop()!;
    await expect(page.getByTestId('modeler-version').innerText()).resolves.toBe('v1');
    await expect(page.getByTestId('modeler-process-id').innerText()).resolves.toBe(processId);
    await page.locator(`.djs-shape[data-element-id="${big}"]`).waitFor();
    await app.screenshot(page, 'modeler-deployed');

    const definition = await app.t.api('GET', `/v2/process-definitions/${key}`, undefined, { user: 'owner' });
    expect(definition.body.processDefinitionId).toBe(processId);
    const xml = await app.t.api('GET', `/v2/process-definitions/${key}/xml`, undefined, { user: 'owner' });
    expect(xml.text).toContain('formId="review-form"');

    // the definition runs: a big amount ends at 大额, a small one at 小额
    for (const [amount, end] of [
      [500, big],
      [50, small],
    ] as const) {
      const instance = await app.t.startAs('owner', processId, { variables: { amount } });
      const [open] = await app.t.openTasks(instance);
      expect(open.elementId).toBe(task);
      // the linked form's fields are what the server validates the completion against
      const done = await app.t.complete(open, { amount, decision: 'approve' });
      expect(done.status, done.text).toBe(204);
      await expect.poll(() => app.t.stateOf(instance)).toBe('COMPLETED');
      expect(await app.t.elements(instance)).toContain(`${end}:COMPLETED`);
    }

    // editing the deployed version (a new name in the panel) deploys version 2
    await page.locator('[data-testid="modeler"] .djs-shape').first().waitFor();
    await select(page, big);
    const general = await group(page, 'group-general');
    await general.locator('#bio-properties-panel-name').fill('大额审批通过');
    await page.waitForFunction(
      (id) =>
        (globalThis as any).__lfModeler.get('elementRegistry').get(id).businessObject.name === '大额审批通过',
      big,
    );
    await page.getByTestId('modeler-deploy').click();
    await page.waitForURL((url) => /\/processes\/\d+$/.test(url.pathname) && !url.pathname.endsWith(key));
    await page.getByTestId('modeler-version').filter({ hasText: 'v2' }).waitFor();
  });

  it("shows the server's refusal on the element it names and in the problem list", {
    timeout: 60_000,
  }, async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes/new?lf-test');
    await page.getByTestId('modeler-canvas').locator('.djs-shape').first().waitFor();
    await page.getByTestId('modeler-open-file').setInputFiles({
      name: 'bad-condition.bpmn',
      mimeType: 'application/xml',
      buffer: Buffer.from(BAD_CONDITION),
    });
    await page.locator('.djs-connection[data-element-id="Flow_big"]').waitFor();
    await page.getByTestId('modeler-deploy').click();

    const overlay = page.locator('.lf-deploy-error-overlay');
    await expect(overlay.innerText()).resolves.toContain('is not a valid FEEL expression');
    await page.locator('.djs-connection.lf-deploy-error[data-element-id="Flow_big"]').waitFor();
    const problems = page.getByTestId('modeler-problems');
    await expect(problems.innerText()).resolves.toContain('Flow_big');
    await expect(problems.innerText()).resolves.toContain('is not a valid FEEL expression');
    expect(new URL(page.url()).pathname).toBe('/processes/new');
    await app.screenshot(page, 'modeler-deploy-error');

    // the list item selects the element (the properties panel shows it)
    await problems.locator('li', { hasText: 'Flow_big' }).locator('button').click();
    await page.locator('.djs-connection.selected[data-element-id="Flow_big"]').waitFor();
    await page.getByTestId('modeler-panel').locator('[data-group-id="group-condition"]').waitFor();

    // another language: the modeler is rebuilt in English with the same diagram and problems
    const palette = page.locator('.djs-palette .entry[data-action="create.exclusive-gateway"]');
    await expect(palette.getAttribute('aria-label')).resolves.toBe('创建网关');
    await page.getByTestId('language').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: 'English' }).click();
    await page.locator('.djs-palette .entry[aria-label="Create gateway"]').waitFor();
    await page.locator('.djs-connection.lf-deploy-error[data-element-id="Flow_big"]').waitFor();
    await expect(overlay.innerText()).resolves.toContain('is not a valid FEEL expression');
    await page.getByTestId('modeler-canvas').locator('.djs-shape[data-element-id="Gateway"]').waitFor();
    await select(page, 'Gateway');
    await expect(
      page
        .getByTestId('modeler-panel')
        .locator('[data-group-id="group-general"] .bio-properties-panel-group-header-title')
        .innerText(),
    ).resolves.toBe('General');
    await app.screenshot(page, 'modeler-english');
    await page.getByTestId('language').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: '简体中文' }).click();
    await page.locator('.djs-palette .entry[aria-label="创建网关"]').waitFor();
  });

  it('shows a refusal of the whole process above the canvas', { timeout: 60_000 }, async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes/new');
    await page.locator('[data-testid="modeler"][data-imports="1"]').waitFor();
    await page.getByTestId('modeler-open-file').setInputFiles({
      name: 'no-start.bpmn',
      mimeType: 'application/xml',
      buffer: Buffer.from(NO_START),
    });
    await page.locator('[data-testid="modeler"][data-imports="2"]').waitFor();
    await page.getByTestId('modeler-deploy').click();
    const problem = page.getByTestId('problem');
    await expect(problem.innerText()).resolves.toContain('NoStart.bpmn#NoStart');
    await expect(problem.innerText()).resolves.toContain('start event');
    // nothing on the canvas names the process itself
    expect(await page.getByTestId('modeler-problems').count()).toBe(0);
    expect(await page.locator('.lf-deploy-error-overlay').count()).toBe(0);
    expect(new URL(page.url()).pathname).toBe('/processes/new');
  });

  it('opens the file the process list imported, as it is', { timeout: 60_000 }, async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes');
    await page.getByTestId('processes').waitFor();
    await page.getByTestId('processes-import').setInputFiles(ZEEBE_FILE.pathname);
    await page.waitForURL('**/processes/new');
    await page.locator('[data-testid="modeler"][data-imports="1"]').waitFor();
    await page.getByTestId('modeler-canvas').locator('.djs-shape[data-element-id="StartEvent_1"]').waitFor();
    await expect(page.getByTestId('modeler-process-id').innerText()).resolves.toBe('Process_1k0kgas');
    await expect(page.getByTestId('modeler-file-name').innerText()).resolves.toBe('diagram__zeebe.bpmn');
    expect(await page.getByTestId('modeler-import-error').count()).toBe(0);
  });

  it('lints in the browser as the server does', { timeout: 60_000 }, async () => {
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes/new?lf-test');
    await page.locator('[data-testid="modeler"][data-imports="1"]').waitFor();
    await page.getByTestId('modeler-open-file').setInputFiles(LINT_FILE.pathname);
    await page.locator('[data-testid="modeler"][data-imports="2"]').waitFor();
    const inBrowser: string[] = await page.evaluate(async () => {
      const reports = await (globalThis as any).__lfModeler.get('linting').lint();
      return Object.entries(reports as Record<string, Array<{ id: string; category: string }>>).flatMap(
        ([rule, items]) =>
          items.map((i) => `${rule} ${i.id} ${i.category === 'error' ? 'error' : 'warning'}`),
      );
    });
    const { definitions } = await parseXml(readFileSync(LINT_FILE, 'utf8'));
    const onServer = await lint(definitions);
    const expected = [
      ...onServer.errors.map((p) => `${p.rule} ${p.elementId} error`),
      ...onServer.warnings.map((p) => `${p.rule} ${p.elementId} warning`),
    ];
    expect(inBrowser.sort()).toEqual(expected.sort());
    expect(onServer.errors.length + onServer.warnings.length).toBeGreaterThan(0);
    // the toolbar counts them, the canvas shows them
    await page
      .getByTestId('modeler-lint')
      .filter({ hasText: new RegExp(`^\\D*${onServer.errors.length}\\D+${onServer.warnings.length}\\D*$`) })
      .waitFor();
    await page.locator('.bjsl-overlay').first().waitFor();
    await app.screenshot(page, 'modeler-lint');
  });

  it('opens a diagram written to attack the page without running any of it', {
    timeout: 60_000,
  }, async () => {
    const page = await app.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.addInitScript(() => {
      const w = globalThis as any;
      w.__lfXss = 0;
      const original = w.alert;
      w.alert = (...args: unknown[]) => {
        w.__lfXss++;
        return original.apply(w, args);
      };
    });
    await app.login(page, 'owner');
    await page.goto('/processes/new?lf-test');
    await page.getByTestId('modeler-canvas').locator('.djs-shape').first().waitFor();
    await page.getByTestId('modeler-open-file').setInputFiles(XSS_FILE.pathname);
    await page.locator('.djs-shape[data-element-id="Task_17p5kda"]').waitFor();
    // bpmn-js refuses the element whose id is markup (an import warning), shows the others;
    // every element's properties are rendered once
    await page.getByTestId('modeler-import-warnings').waitFor();
    for (const id of ['StartEvent_1', 'Task_17p5kda']) await select(page, id);
    await clickBlank(page);
    // the server's problems (if any) are written next to the elements as text
    await page.getByTestId('modeler-deploy').click();
    await page
      .locator('.lf-deploy-error-overlay, [data-testid="problem"]')
      .first()
      .waitFor()
      .catch(() => {});
    await app.screenshot(page, 'modeler-xss');

    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (globalThis as any).__lfXss)).toBe(0);
    expect(
      await page.locator('[data-testid="modeler"] img[onerror], [data-testid="modeler"] script').count(),
    ).toBe(0);
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
  });
});

const BAD_CONDITION = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_bad" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="BadCondition" name="条件有误" isExecutable="true">
    <bpmn:startEvent id="Start" name="开始"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="Gateway" name="金额？" default="Flow_small"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_big</bpmn:outgoing><bpmn:outgoing>Flow_small</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Gateway" />
    <bpmn:sequenceFlow id="Flow_big" name="大额" sourceRef="Gateway" targetRef="EndBig"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=(amount</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_small" name="小额" sourceRef="Gateway" targetRef="EndSmall" />
    <bpmn:endEvent id="EndBig" name="大额"><bpmn:incoming>Flow_big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="EndSmall" name="小额"><bpmn:incoming>Flow_small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="BadCondition">
      <bpmndi:BPMNShape id="Start_di" bpmnElement="Start"><dc:Bounds x="152" y="182" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_di" bpmnElement="Gateway" isMarkerVisible="true"><dc:Bounds x="245" y="175" width="50" height="50" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndBig_di" bpmnElement="EndBig"><dc:Bounds x="402" y="92" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndSmall_di" bpmnElement="EndSmall"><dc:Bounds x="402" y="272" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="188" y="200" /><di:waypoint x="245" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_big_di" bpmnElement="Flow_big"><di:waypoint x="270" y="175" /><di:waypoint x="270" y="110" /><di:waypoint x="402" y="110" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_small_di" bpmnElement="Flow_small"><di:waypoint x="270" y="225" /><di:waypoint x="270" y="290" /><di:waypoint x="402" y="290" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;

const NO_START = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="Definitions_ns" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="NoStart" name="没有开始" isExecutable="true">
    <bpmn:task id="Lonely" name="孤立任务" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="NoStart">
      <bpmndi:BPMNShape id="Lonely_di" bpmnElement="Lonely"><dc:Bounds x="200" y="100" width="100" height="80" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
