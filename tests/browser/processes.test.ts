import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOtherTenant } from '../support/test-runtime.js';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

/** A node of a straight-line diagram: its element and where it stands. */
interface Node {
  id: string;
  type: 'startEvent' | 'endEvent' | 'userTask' | 'serviceTask';
  name?: string;
  x: number;
  inner?: string;
}

const SIZE = { startEvent: [36, 36], endEvent: [36, 36], userTask: [100, 80], serviceTask: [100, 80] };

/** BPMN with diagram interchange (so the viewers draw it): nodes on one line, flows between them. */
function bpmn(id: string, name: string, nodes: Node[], flows: Array<[string, string, string]>): string {
  const at = new Map(nodes.map((n) => [n.id, n]));
  const y = (n: Node) => 120 - SIZE[n.type][1] / 2;
  const elements = nodes.map((n) => {
    const outgoing = flows.filter((f) => f[1] === n.id).map((f) => `<bpmn:outgoing>${f[0]}</bpmn:outgoing>`);
    const incoming = flows.filter((f) => f[2] === n.id).map((f) => `<bpmn:incoming>${f[0]}</bpmn:incoming>`);
    return `<bpmn:${n.type} id="${n.id}"${n.name ? ` name="${n.name}"` : ''}>${n.inner ?? ''}${incoming.join('')}${outgoing.join('')}</bpmn:${n.type}>`;
  });
  const sequenceFlows = flows.map(
    ([fid, from, to]) => `<bpmn:sequenceFlow id="${fid}" sourceRef="${from}" targetRef="${to}"/>`,
  );
  const shapes = nodes.map(
    (n) =>
      `<bpmndi:BPMNShape id="${n.id}_di" bpmnElement="${n.id}"><dc:Bounds x="${n.x}" y="${y(n)}" width="${SIZE[n.type][0]}" height="${SIZE[n.type][1]}"/></bpmndi:BPMNShape>`,
  );
  const edges = flows.map(([fid, from, to]) => {
    const a = at.get(from)!;
    const b = at.get(to)!;
    return `<bpmndi:BPMNEdge id="${fid}_di" bpmnElement="${fid}"><di:waypoint x="${a.x + SIZE[a.type][0]}" y="120"/><di:waypoint x="${b.x}" y="120"/></bpmndi:BPMNEdge>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs_${id}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${id}" name="${name}" isExecutable="true">
    ${elements.join('\n    ')}
    ${sequenceFlows.join('\n    ')}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_${id}">
    <bpmndi:BPMNPlane id="plane_${id}" bpmnElement="${id}">
      ${shapes.join('\n      ')}
      ${edges.join('\n      ')}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

const assignee = (user: string) =>
  `<bpmn:extensionElements><zeebe:assignmentDefinition assignee="${user}"/></bpmn:extensionElements>`;

// 合同审核 v1: start → 审核 → end. v2: the task renamed, a task added before the (moved) end.
const REVIEW_V1 = bpmn(
  'contract_review',
  '合同审核',
  [
    { id: 'start', type: 'startEvent', name: '发起', x: 100 },
    { id: 'review', type: 'userTask', name: '审核', x: 200, inner: assignee('owner') },
    { id: 'end', type: 'endEvent', name: '结束', x: 380 },
  ],
  [
    ['f1', 'start', 'review'],
    ['f2', 'review', 'end'],
  ],
);
const REVIEW_V2 = bpmn(
  'contract_review',
  '合同审核',
  [
    { id: 'start', type: 'startEvent', name: '发起', x: 100 },
    { id: 'review', type: 'userTask', name: '部门审核', x: 200, inner: assignee('eng1') },
    { id: 'approve', type: 'userTask', name: '经理审批', x: 360 },
    { id: 'end', type: 'endEvent', name: '结束', x: 540 },
  ],
  [
    ['f1', 'start', 'review'],
    ['f3', 'review', 'approve'],
    ['f4', 'approve', 'end'],
  ],
);
// 材料报验: a service task whose job fails for good (an incident).
const INSPECTION = bpmn(
  'material_inspection',
  '材料报验',
  [
    { id: 'start', type: 'startEvent', x: 100 },
    {
      id: 'check',
      type: 'serviceTask',
      name: '检测',
      x: 200,
      inner:
        '<bpmn:extensionElements><zeebe:taskDefinition type="processes-test-check"/></bpmn:extensionElements>',
    },
    { id: 'end', type: 'endEvent', x: 380 },
  ],
  [
    ['f1', 'start', 'check'],
    ['f2', 'check', 'end'],
  ],
);

/** Two SVG transforms that place the diagram alike (the browser formats the numbers its own way). */
function sameMatrix(a: string | null, b: string | null): boolean {
  const numbers = (m: string | null) => (m?.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number);
  const x = numbers(a);
  const y = numbers(b);
  return x.length === 6 && y.length === 6 && x.every((n, i) => Math.abs(n - y[i]) < 0.01);
}

const FORM = JSON.stringify({
  type: 'default',
  id: 'site_report',
  components: [{ type: 'textfield', key: 'title', label: '标题' }],
});

describe.skipIf(!hasChromium)('process list and version diff', () => {
  let app: BrowserApp;
  let v1: string;
  let v2: string;
  let inspection: string;

  const deployed = (res: { status: number; body: any; text: string }) => {
    if (res.status !== 200) throw new Error(`deployment failed: ${res.text}`);
    return res.body.deployments[0].processDefinition.processDefinitionKey as string;
  };

  beforeAll(async () => {
    app = await startBrowserApp();
    const t = app.t;
    v1 = deployed(await t.deploy([{ name: 'contract-review.bpmn', content: REVIEW_V1 }], { user: 'owner' }));
    // v1: one active, one completed, one canceled
    await t.start('contract_review');
    const done = await t.start('contract_review');
    const [task] = await t.openTasks(done);
    expect((await t.complete(task)).status).toBe(204);
    const canceled = await t.start('contract_review');
    expect((await t.api('POST', `/v2/process-instances/${canceled}/cancellation`)).status).toBe(204);
    v2 = deployed(await t.deploy([{ name: 'contract-review.bpmn', content: REVIEW_V2 }], { user: 'owner' }));
    await t.start('contract_review');
    await t.start('contract_review');
    // 材料报验, deployed by admin, with an instance whose job ran out of retries
    inspection = deployed(await t.deploy([{ name: 'material-inspection.bpmn', content: INSPECTION }]));
    const broken = await t.start('material_inspection');
    const activation = await t.api('POST', '/v2/jobs/activation', {
      type: 'processes-test-check',
      worker: 'test',
      timeout: 30000,
      maxJobsToActivate: 1,
      requestTimeout: -1,
    });
    const job = activation.body.jobs.find((j: any) => j.processInstanceKey === broken);
    expect(
      (await t.api('POST', `/v2/jobs/${job.jobKey}/failure`, { retries: 0, errorMessage: 'lab closed' }))
        .status,
    ).toBe(204);
  }, 120_000);
  afterAll(async () => app?.close());

  const text = (page: Page, testId: string, inner: string) =>
    page.getByTestId(testId).getByTestId(inner).first().innerText();

  const openList = async (user = 'owner', password?: string) => {
    const page = await app.newPage();
    await app.login(page, user, password);
    await page.goto('/processes');
    await page.getByTestId('processes').waitFor();
    return page;
  };

  /** Waits until the diff page shows the changes between these two versions. */
  const diffed = (page: Page, a: string, b: string) =>
    page.locator(`[data-testid="diff"][data-diffed="${a}|${b}"]`).waitFor();

  const expand = async (page: Page, id: string) => {
    await page.getByTestId(`process-row-${id}`).locator('.ant-table-row-expand-icon').click();
    await page.getByTestId(`versions-${id}`).waitFor();
  };

  it('lists each process once with its latest version and the deploy history of every version', async () => {
    const page = await openList();
    const row = page.getByTestId('process-row-contract_review');
    await row.waitFor();
    expect(await text(page, 'process-row-contract_review', 'name')).toBe('合同审核');
    expect(await text(page, 'process-row-contract_review', 'process-id')).toBe('contract_review');
    expect(await text(page, 'process-row-contract_review', 'version')).toBe('v2');
    expect(await text(page, 'process-row-contract_review', 'deployed-by')).toBe('owner');
    // one active instance on v1, two on v2
    expect(await text(page, 'process-row-contract_review', 'running')).toBe('3');
    // deployed at: local time in the zh-CN format (2026/12/07 10:11:12)
    expect(await text(page, 'process-row-contract_review', 'deployed-at')).toMatch(
      /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/,
    );
    expect(await text(page, 'process-row-material_inspection', 'deployed-by')).toBe('admin');
    expect(await text(page, 'process-row-material_inspection', 'running')).toBe('1');

    await expand(page, 'contract_review');
    const versions = page.getByTestId('versions-contract_review');
    // newest first
    const keys = await versions
      .locator('[data-testid^="version-row-"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid')));
    expect(keys).toEqual([`version-row-${v2}`, `version-row-${v1}`]);
    const counts = async (key: string) =>
      Object.fromEntries(
        await Promise.all(
          ['version', 'deployed-by', 'active', 'completed', 'canceled', 'incidents'].map(async (k) => [
            k,
            await page.getByTestId(`version-row-${key}`).getByTestId(k).innerText(),
          ]),
        ),
      );
    expect(await counts(v1)).toEqual({
      version: 'v1',
      'deployed-by': 'owner',
      active: '1',
      completed: '1',
      canceled: '1',
      incidents: '0',
    });
    expect(await counts(v2)).toEqual({
      version: 'v2',
      'deployed-by': 'owner',
      active: '2',
      completed: '0',
      canceled: '0',
      incidents: '0',
    });
    // the deployment key the server stored
    const stats = await app.t.api('POST', '/v2/process-definitions/statistics', {
      filter: { processDefinitionId: 'contract_review' },
    });
    const v1Stats = stats.body.items.find((i: any) => i.processDefinitionKey === v1);
    await expect(page.getByTestId(`version-row-${v1}`).innerText()).resolves.toContain(v1Stats.deploymentKey);
    // the oldest version has nothing to compare with
    expect(await page.getByTestId(`version-row-${v1}`).getByTestId('compare').count()).toBe(0);
    expect(await page.getByTestId(`version-row-${v2}`).getByTestId('compare').count()).toBe(1);

    // incidents in red
    await expand(page, 'material_inspection');
    const incidents = page.getByTestId(`version-row-${inspection}`).getByTestId('incidents');
    expect(await incidents.innerText()).toBe('1');
    expect(await incidents.getAttribute('class')).toContain('ant-typography-danger');
    await app.screenshot(page, 'processes-list');

    // search by name and by id
    const search = page.getByPlaceholder('按流程 ID 或名称搜索');
    await search.fill('材料');
    await page.getByTestId('process-row-contract_review').waitFor({ state: 'detached' });
    await page.getByTestId('process-row-material_inspection').waitFor();
    await search.fill('contract');
    await page.getByTestId('process-row-material_inspection').waitFor({ state: 'detached' });
    await page.getByTestId('process-row-contract_review').waitFor();
    await search.fill('没有这个流程');
    await page.getByText('没有符合“没有这个流程”的流程').waitFor();
  });

  it('shows new deployments and instances after a refresh', async () => {
    const page = await openList();
    await page.getByTestId('process-row-material_inspection').waitFor();
    expect(await text(page, 'process-row-material_inspection', 'running')).toBe('1');
    const other = await app.t.start('material_inspection');
    await page.getByTestId('processes-refresh').click();
    await expect.poll(() => text(page, 'process-row-material_inspection', 'running')).toBe('2');
    await app.t.api('POST', `/v2/process-instances/${other}/cancellation`);
  });

  it('exports a version as the .bpmn the server stored', async () => {
    const page = await openList();
    await page.getByTestId('process-row-contract_review').waitFor();
    await expand(page, 'contract_review');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId(`version-row-${v1}`).getByTestId('export').click(),
    ]);
    expect(download.suggestedFilename()).toBe('contract-review.bpmn');
    const content = await readFile(await download.path(), 'utf8');
    const stored = await app.t.api('GET', `/v2/process-definitions/${v1}/xml`);
    expect(content).toBe(stored.text);
    expect(content).toContain('name="审核"');
  });

  it('opens a version in the modeler and starts a new process', async () => {
    const page = await openList();
    await page.getByTestId('process-row-contract_review').waitFor();
    await expand(page, 'contract_review');
    await page.getByTestId(`version-row-${v2}`).getByTestId('open').click();
    await page.waitForURL(`**/processes/${v2}`);
    await page.goBack();
    await page.getByTestId('processes-new').click();
    await page.waitForURL('**/processes/new');
    await page.getByTestId('me').waitFor();
  });

  it('imports a .bpmn into the modeler and a .form into the form editor, and says why other files are refused', async () => {
    const page = await openList();
    const input = page.getByTestId('processes-import');
    const crashed = () => page.getByText('页面出现错误').count();

    await input.setInputFiles({
      name: 'imported.bpmn',
      mimeType: 'application/xml',
      buffer: Buffer.from(REVIEW_V1),
    });
    await page.waitForURL('**/processes/new');
    await page.getByTestId('me').waitFor();
    expect(await crashed()).toBe(0);

    await page.goto('/processes');
    await page.getByTestId('processes').waitFor();
    await input.setInputFiles({
      name: 'site-report.form',
      mimeType: 'application/json',
      buffer: Buffer.from(FORM),
    });
    await page.waitForURL('**/forms/new');
    await page.getByTestId('me').waitFor();
    expect(await crashed()).toBe(0);

    await page.goto('/processes');
    await page.getByTestId('processes').waitFor();
    await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    const error = page.getByTestId('processes-import-error');
    await expect(error.innerText()).resolves.toContain('只支持 .bpmn、.xml（流程）和 .form（表单）文件');
    await input.setInputFiles({
      name: 'broken.form',
      mimeType: 'application/json',
      buffer: Buffer.from('{ no'),
    });
    await expect(error.innerText()).resolves.toContain('表单文件不是有效的 JSON');
    await input.setInputFiles({
      name: 'not-bpmn.bpmn',
      mimeType: 'application/xml',
      buffer: Buffer.from('<a/>'),
    });
    await expect(error.innerText()).resolves.toContain('不是 BPMN 2.0 流程定义');
    expect(new URL(page.url()).pathname).toBe('/processes');
  });

  it('compares a version with the previous one: markers on both diagrams and a table of changes', async () => {
    const page = await openList();
    await page.getByTestId('process-row-contract_review').waitFor();
    await expand(page, 'contract_review');
    await page.getByTestId(`version-row-${v2}`).getByTestId('compare').click();
    await page.waitForURL(`**/processes/diff?a=${v1}&b=${v2}`);
    await diffed(page, v1, v2);

    const left = page.getByTestId('diff-left');
    const right = page.getByTestId('diff-right');
    const el = (side: typeof left, id: string) => side.locator(`.djs-element[data-element-id="${id}"]`);
    const classes = async (side: typeof left, id: string) => (await el(side, id).getAttribute('class')) ?? '';
    // added on the right
    expect(await classes(right, 'approve')).toContain('lf-diff-added');
    expect(await classes(right, 'f3')).toContain('lf-diff-added');
    expect(await el(left, 'approve').count()).toBe(0);
    // removed on the left
    expect(await classes(left, 'f2')).toContain('lf-diff-removed');
    // changed on both
    expect(await classes(left, 'review')).toContain('lf-diff-changed');
    expect(await classes(right, 'review')).toContain('lf-diff-changed');
    // moved on both
    expect(await classes(left, 'end')).toContain('lf-diff-layout');
    expect(await classes(right, 'end')).toContain('lf-diff-layout');
    // unchanged stays unmarked
    expect(await classes(right, 'start')).not.toMatch(/lf-diff-/);

    const table = page.getByTestId('diff-changes');
    const row = (id: string) => table.getByTestId(`diff-change-${id}`).first();
    expect(await row('approve').getAttribute('data-kind')).toBe('added');
    await expect(row('approve').innerText()).resolves.toContain('经理审批');
    await expect(row('approve').innerText()).resolves.toContain('UserTask');
    expect(await row('f2').getAttribute('data-kind')).toBe('removed');
    const review = table.locator('[data-testid="diff-change-review"][data-kind="changed"]');
    const name = review.locator('[data-attr="name"]');
    await expect(name.innerText()).resolves.toMatch(/审核\s*→\s*部门审核/);
    // a change inside the extension elements, on the element it belongs to
    const assignment = await review.locator('[data-attr^="extensionElements"]').innerText();
    expect(assignment).toMatch(/assignee=owner.*→.*assignee=eng1/);
    expect(await table.locator('[data-testid="diff-change-end"][data-kind="layout"]').count()).toBe(1);
    expect(await table.locator('[data-testid="diff-change-start"]').count()).toBe(0);
    await app.screenshot(page, 'processes-diff');

    // both canvases show the same part of the plane, also after scrolling one of them
    const viewport = (side: typeof left) => side.locator('svg .viewport').first().getAttribute('transform');
    const before = await viewport(left);
    expect(sameMatrix(before, await viewport(right))).toBe(true);
    const box = (await left.getByTestId('diff-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 120);
    await expect.poll(() => viewport(left)).not.toBe(before);
    await expect.poll(async () => sameMatrix(await viewport(left), await viewport(right))).toBe(true);

    // a row of the table selects its element on the diagrams
    await row('approve').click();
    await expect.poll(() => classes(right, 'approve')).toContain('selected');

    // the pickers offer the versions of the process; swapping them swaps the sides
    await left.locator('.ant-select').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '版本 2' }).click();
    await page.waitForURL(`**/processes/diff?a=${v2}&b=${v2}`);
    await diffed(page, v2, v2);
    await page.getByText('两个版本没有差异').first().waitFor();
    await right.locator('.ant-select').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '版本 1' }).click();
    await page.waitForURL(`**/processes/diff?a=${v2}&b=${v1}`);
    await diffed(page, v2, v1);
    expect(await classes(left, 'approve')).toContain('lf-diff-removed');
  });

  it('speaks English when the user chose it', async () => {
    const page = await openList('admin');
    await page.getByTestId('language').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: 'English' }).click();
    await page.getByText('Deployed by').first().waitFor();
    await page.getByTestId('process-row-contract_review').waitFor();
    await expand(page, 'contract_review');
    await page.getByText('Deployment history').first().waitFor();
    await expect(page.getByTestId(`version-row-${v2}`).innerText()).resolves.toContain(
      'Compare with previous',
    );
    await page.getByTestId(`version-row-${v2}`).getByTestId('compare').click();
    await diffed(page, v1, v2);
    await page.getByText('Older version').waitFor();
    await expect(page.getByTestId('diff-summary').innerText()).resolves.toBe(
      '3 added, 1 removed, 1 changed, 1 moved',
    );
    await app.screenshot(page, 'processes-diff-en');
  });

  it('shows a missing version as the server says it, not a blank page', async () => {
    const page = await openList();
    await page.goto(`/processes/diff?a=${v1}&b=999999999`);
    await expect(page.getByTestId('problem').innerText()).resolves.toContain('999999999');
    await page.getByTestId('diff-left').waitFor();
  });

  it('shows a user of another tenant only the processes of their tenant', async () => {
    await addOtherTenant(app.t, {
      username: 'stranger',
      password: 'secret',
      name: '乙公司负责人',
      roles: ['owner'],
    });
    const page = await openList('stranger', 'secret');
    await page.getByTestId('processes-empty').waitFor();
    expect(await page.locator('[data-testid^="process-row-"]').count()).toBe(0);

    const res = await app.t.deploy(
      [{ name: 'b-only.bpmn', content: INSPECTION.replaceAll('material_inspection', 'b_only') }],
      { user: 'stranger', password: 'secret', tenantId: 'tenant-b' },
    );
    deployed(res);
    await page.getByTestId('processes-refresh').click();
    await page.getByTestId('process-row-b_only').waitFor();
    expect(await page.locator('[data-testid^="process-row-"]').count()).toBe(1);
    expect(await text(page, 'process-row-b_only', 'deployed-by')).toBe('stranger');

    // the stranger cannot compare (or read) versions of the other tenant
    await page.goto(`/processes/diff?a=${v1}&b=${v2}`);
    await page.getByTestId('problem').waitFor();
    expect(await page.locator('.djs-element[data-element-id="approve"]').count()).toBe(0);

    const owner = await openList();
    await owner.getByTestId('process-row-contract_review').waitFor();
    expect(await owner.getByTestId('process-row-b_only').count()).toBe(0);
  });
});
