import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

/**
 * The admin monitor: instance search (business key, a variable), the instance page with its
 * tokens, a variable edit seen through the API and the history, moving a token, cancel, the
 * heatmap and daily chart of a process, and the jobs overview with an incident retried.
 */
const shape = (id: string, x: number, w = 100, h = 80) =>
  `<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${x}" y="${h === 36 ? 102 : 80}" width="${w}" height="${h}"/></bpmndi:BPMNShape>`;
const edge = (id: string, x1: number, x2: number) =>
  `<bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}"><di:waypoint x="${x1}" y="120"/><di:waypoint x="${x2}" y="120"/></bpmndi:BPMNEdge>`;
const NS = `xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"`;

const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="d_monitor" targetNamespace="http://lifeflow.dev/test">
  <bpmn:process id="mon-check" name="竣工验收" isExecutable="true">
    <bpmn:startEvent id="s" name="开始"/>
    <bpmn:userTask id="review" name="资料审核">
      <bpmn:extensionElements><zeebe:assignmentDefinition assignee="eng1"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="approve" name="验收确认">
      <bpmn:extensionElements><zeebe:assignmentDefinition assignee="ops1"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e" name="结束"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="approve"/>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="e"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dg"><bpmndi:BPMNPlane id="pl" bpmnElement="mon-check">
    ${shape('s', 100, 36, 36)}${shape('review', 180)}${shape('approve', 330)}${shape('e', 482, 36, 36)}
    ${edge('f1', 136, 180)}${edge('f2', 280, 330)}${edge('f3', 430, 482)}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

const JOB_PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="d_monitor_job" targetNamespace="http://lifeflow.dev/test">
  <bpmn:process id="mon-job" name="同步台账" isExecutable="true">
    <bpmn:startEvent id="s" name="开始"/>
    <bpmn:serviceTask id="sync" name="同步">
      <bpmn:extensionElements><zeebe:taskDefinition type="mon-sync"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:endEvent id="e" name="结束"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sync"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sync" targetRef="e"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dg"><bpmndi:BPMNPlane id="pl" bpmnElement="mon-job">
    ${shape('s', 100, 36, 36)}${shape('sync', 180)}${shape('e', 332, 36, 36)}
    ${edge('f1', 136, 180)}${edge('f2', 280, 332)}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;

describe.skipIf(!hasChromium)('monitor', () => {
  let app: BrowserApp;
  let page: Page;
  beforeAll(async () => {
    app = await startBrowserApp();
    const res = await app.t.deploy([
      { name: 'mon-check.bpmn', content: PROCESS },
      { name: 'mon-job.bpmn', content: JOB_PROCESS },
    ]);
    expect(res.status, res.text).toBe(200);
    page = await app.newPage();
    await app.login(page, 'admin');
  }, 60_000);
  afterAll(async () => app?.close());

  const t = () => app.t;
  const start = async (businessKey: string, variables: Record<string, unknown>) => {
    const res = await t().api('POST', '/v2/process-instances', {
      processDefinitionId: 'mon-check',
      businessKey,
      variables,
    });
    expect(res.status, res.text).toBe(200);
    return res.body as { processInstanceKey: string; processDefinitionKey: string };
  };
  const pick = async (testId: string, text: string) => {
    await page.getByTestId(testId).click();
    await page.keyboard.type(text);
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option')
      .filter({ hasText: text })
      .first()
      .click();
    // The choice shows in the select (the option list closes on it).
    await page
      .locator('.ant-select-dropdown:visible')
      .waitFor({ state: 'detached' })
      .catch(() => {});
  };
  const search = async (fields: Record<string, string>) => {
    await page.getByTestId('monitor-search-reset').click();
    for (const [testId, value] of Object.entries(fields)) await page.getByTestId(testId).fill(value);
    await page.getByTestId('monitor-search-submit').click();
  };

  let first: { processInstanceKey: string; processDefinitionKey: string };
  let second: { processInstanceKey: string; processDefinitionKey: string };

  it('finds instances by business key and by a variable', async () => {
    first = await start('HO-1', { project: '一期厂房', amount: 5 });
    second = await start('HO-2', { project: '二期仓库', amount: 7 });
    await page.goto('/monitor');
    await page.getByTestId('monitor-search').waitFor();
    await page.getByTestId(`monitor-row-${second.processInstanceKey}`).waitFor();

    await search({ 'monitor-search-business-key': 'HO-1' });
    await page.locator('[data-testid="monitor-list"] .ant-spin-spinning').waitFor({ state: 'detached' });
    await page.getByTestId(`monitor-row-${first.processInstanceKey}`).waitFor();
    await expect.poll(() => page.getByTestId(`monitor-row-${second.processInstanceKey}`).count()).toBe(0);
    await app.screenshot(page, 'monitor-list');

    // A number is sent as is, a text as a JSON string.
    await search({ 'monitor-search-variable-name': 'amount', 'monitor-search-variable-value': '7' });
    await page.getByTestId(`monitor-row-${second.processInstanceKey}`).waitFor();
    await expect.poll(() => page.getByTestId(`monitor-row-${first.processInstanceKey}`).count()).toBe(0);
    await search({ 'monitor-search-variable-name': 'project', 'monitor-search-variable-value': '一期厂房' });
    await page.getByTestId(`monitor-row-${first.processInstanceKey}`).waitFor();
    await expect.poll(() => page.getByTestId(`monitor-row-${second.processInstanceKey}`).count()).toBe(0);

    // The search is in the address: a reload (or a link sent to a colleague) shows the same.
    const url = new URL(page.url());
    expect(url.searchParams.get('varName')).toBe('project');
    expect(url.searchParams.get('varValue')).toBe('一期厂房');
    await page.reload();
    await page.getByTestId(`monitor-row-${first.processInstanceKey}`).waitFor();
    expect(await page.getByTestId(`monitor-row-${second.processInstanceKey}`).count()).toBe(0);
    expect(await page.getByTestId('monitor-search-variable-value').inputValue()).toBe('一期厂房');

    await page.getByTestId(`monitor-row-${first.processInstanceKey}`).getByTestId('monitor-row-link').click();
    await page.waitForURL(`**/monitor/instances/${first.processInstanceKey}`);
    await page.getByTestId('monitor-instance').waitFor();
    // Back to the list: still the same search.
    await page.goBack();
    await page.getByTestId(`monitor-row-${first.processInstanceKey}`).waitFor();
    expect(await page.getByTestId('monitor-search-variable-name').inputValue()).toBe('project');
  }, 60_000);

  it('follows an instance live: a task completed elsewhere moves the token without a reload', async () => {
    const { processInstanceKey: key } = await start('HO-LIVE', { project: '三期' });
    await page.goto(`/monitor/instances/${key}`);
    await page.locator('[data-testid="monitor-token-review"][data-count="1"]').waitFor();
    const task = await t().taskOf(key, 'eng1');
    expect((await t().complete(task, { checked: true }, { user: 'eng1' })).status).toBe(204);
    await page.locator('[data-testid="monitor-token-approve"][data-count="1"]').waitFor();
    expect(await page.getByTestId('monitor-token-review').count()).toBe(0);
    expect((await page.getByTestId('monitor-diagram').getAttribute('data-completed'))?.split(',')).toContain(
      'review',
    );
    const approve = await t().taskOf(key, 'ops1');
    expect((await t().complete(approve, {}, { user: 'ops1' })).status).toBe(204);
    await page.locator(`[data-testid="monitor-instance"][data-state="COMPLETED"]`).waitFor();
  }, 60_000);

  it('shows the instance with its token and edits a variable', async () => {
    const key = first.processInstanceKey;
    await page.goto(`/monitor/instances/${key}`);
    await page.locator('[data-testid="monitor-diagram"][data-ready="true"]').waitFor();
    await page.locator('[data-testid="monitor-token-review"][data-count="1"]').waitFor();
    expect(await page.getByTestId('monitor-diagram').getAttribute('data-active')).toBe('review');
    expect((await page.getByTestId('monitor-diagram').getAttribute('data-completed'))?.split(',')).toContain(
      's',
    );
    expect(await page.locator('[data-testid="monitor-diagram"] .lf-active').count()).toBeGreaterThan(0);
    await app.screenshot(page, 'monitor-instance');

    const row = page.getByTestId('monitor-variables').getByTestId('monitor-variable-amount');
    await row.getByTestId('monitor-variable-edit').click();
    await row.getByTestId('monitor-variable-input').fill('{not json');
    await row.getByTestId('monitor-variable-save').click();
    await row.getByTestId('monitor-variable-error').waitFor();
    await row.getByTestId('monitor-variable-input').fill('42');
    await row.getByTestId('monitor-variable-save').click();
    await row.getByTestId('monitor-variable-value').filter({ hasText: '42' }).waitFor();

    expect((await t().rootVariables(key)).amount).toBe(42);
    const found = await t().api('POST', '/v2/process-instances/search', {
      filter: { variables: [{ name: 'amount', value: '42' }] },
    });
    expect(found.status, found.text).toBe(200);
    expect(found.body.items.map((i: any) => i.processInstanceKey)).toEqual([key]);
    const history = (await t().api('GET', `/v2/process-instances/${key}/history`)).body.items;
    expect(
      history.filter((e: any) => e.eventType === 'variable.set' && e.data.name === 'amount').at(-1),
    ).toMatchObject({ actor: 'admin', data: { name: 'amount', value: 42, previous: 5 } });

    await page.getByRole('tab', { name: '历史' }).click();
    await page
      .getByTestId('monitor-history')
      .getByTestId('monitor-history-change')
      .filter({ hasText: 'amount: 5 → 42' })
      .waitFor();
    await app.screenshot(page, 'monitor-history');
  }, 60_000);

  it('moves the token to another element', async () => {
    const key = first.processInstanceKey;
    await page.goto(`/monitor/instances/${key}`);
    await page.locator('[data-testid="monitor-token-review"]').waitFor();
    await page.getByTestId('monitor-modify').click();
    await page.getByTestId('monitor-modify-dialog').waitFor();
    await pick('monitor-modify-target', '验收确认');
    await app.screenshot(page, 'monitor-modify');
    await page.getByTestId('monitor-modify-submit').click();
    await page.locator('[data-testid="monitor-token-approve"][data-count="1"]').waitFor();
    expect(await page.getByTestId('monitor-token-review').count()).toBe(0);
    const elements = await t().elements(key);
    expect(elements).toEqual(expect.arrayContaining(['review:TERMINATED', 'approve:ACTIVE']));
    expect(elements).not.toContain('review:ACTIVE');
  }, 60_000);

  it('shows the heatmap and the daily chart of a process', async () => {
    await page.goto(`/monitor/instances/${second.processInstanceKey}`);
    await page.getByTestId('monitor-heatmap-link').click();
    await page.waitForURL(`**/monitor/processes/${second.processDefinitionKey}`);
    await page.getByTestId('monitor-heatmap').waitFor();
    // review: the second instance waits there, the first left it (terminated by the move), the
    // one followed live passed it.
    await page.locator('[data-testid="monitor-heat-review"][data-count="3"]').waitFor();
    await page.locator('[data-testid="monitor-heat-s"][data-count="3"]').waitFor();
    await page.locator('[data-testid="monitor-daily-chart"] canvas').waitFor();
    expect(Number(await page.getByTestId('monitor-daily-chart').getAttribute('data-started'))).toBe(3);
    await app.screenshot(page, 'monitor-heatmap');
  }, 60_000);

  it('lists an incident in the jobs overview and retries it', async () => {
    const started = await t().api('POST', '/v2/process-instances', { processDefinitionId: 'mon-job' });
    expect(started.status, started.text).toBe(200);
    const key = started.body.processInstanceKey;
    const activated = await t().api('POST', '/v2/jobs/activation', {
      type: 'mon-sync',
      timeout: 60_000,
      maxJobsToActivate: 1,
      requestTimeout: -1,
    });
    expect(activated.body.jobs).toHaveLength(1);
    const failed = await t().api('POST', `/v2/jobs/${activated.body.jobs[0].jobKey}/failure`, {
      retries: 0,
      errorMessage: '台账服务不可用',
    });
    expect(failed.status, failed.text).toBe(204);
    const incident = (
      await t().api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key, state: 'ACTIVE' } })
    ).body.items[0];
    expect(incident).toBeTruthy();

    await page.goto(`/monitor/instances/${key}`);
    await page.locator('[data-testid="monitor-incident-marker-sync"][data-count="1"]').waitFor();
    await page.getByTestId('monitor-incidents-tab').click();
    await page.getByTestId(`monitor-incident-${incident.incidentKey}`).getByTestId('monitor-retry').waitFor();
    await app.screenshot(page, 'monitor-instance-incident');

    await page.goto('/monitor/jobs');
    await page.getByTestId('monitor-jobs').waitFor();
    const row = page.getByTestId(`monitor-incident-${incident.incidentKey}`);
    await row.getByText('台账服务不可用').waitFor();
    await page.locator('[data-testid="monitor-jobs-FAILED"][data-count="1"]').waitFor();
    await page.locator('[data-testid="monitor-jobs"] .ant-spin-spinning').waitFor({ state: 'detached' });
    await app.screenshot(page, 'monitor-jobs');
    await row.getByTestId('monitor-retry').click();
    await row.waitFor({ state: 'detached' });
    const open = await t().api('POST', '/v2/incidents/search', {
      filter: { processInstanceKey: key, state: 'ACTIVE' },
    });
    expect(open.body.items).toHaveLength(0);
  }, 60_000);

  it('shows an auditor the instance without the repairs', async () => {
    const audit = await app.newPage();
    await app.login(audit, 'audit1');
    await audit.goto(`/monitor/instances/${second.processInstanceKey}`);
    await audit.locator('[data-testid="monitor-diagram"][data-ready="true"]').waitFor();
    await audit.getByTestId('monitor-variables').getByTestId('monitor-variable-amount').waitFor();
    expect(await audit.getByTestId('monitor-cancel').count()).toBe(0);
    expect(await audit.getByTestId('monitor-modify').count()).toBe(0);
    expect(await audit.getByTestId('monitor-variable-edit').count()).toBe(0);

    // In English: the auditor switches the language (remembered on the server) and reads on.
    const pref = await t().api(
      'PUT',
      '/v2/authentication/me/preferences',
      { locale: 'en' },
      { user: 'audit1' },
    );
    expect(pref.status, pref.text).toBe(200);
    await audit.reload();
    await audit.getByRole('tab', { name: 'History' }).click();
    await audit.getByTestId('monitor-history').waitFor();
    await audit.getByRole('tab', { name: 'Variables' }).waitFor();
    await audit.goto('/monitor');
    await audit.getByTestId('monitor-search-submit').filter({ hasText: 'Search' }).waitFor();
    await app.screenshot(audit, 'monitor-list-en');
  }, 60_000);

  it('cancels an instance', async () => {
    const key = second.processInstanceKey;
    await page.goto(`/monitor/instances/${key}`);
    await page.getByTestId('monitor-cancel').click();
    await page.getByTestId('monitor-cancel-confirm').click();
    await page.locator('[data-testid="monitor-instance"][data-state="TERMINATED"]').waitFor();
    expect(await t().stateOf(key)).toBe('TERMINATED');
  }, 60_000);
});
