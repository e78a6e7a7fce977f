/**
 * Modules: a versioned bundle (processes, forms, rule sets, notification templates, dashboards,
 * settings) imported as one file as the group standard, enabled per tenant, customised per tenant
 * (an override of a resource, its diff to the standard), and upgraded with a preview of what
 * changes and which running instances a change concerns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateModuleFile } from '../templates/index.js';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const process_ = (name: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_patrol">
  <bpmn:process id="patrol" name="${name}" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="check" name="巡检">
      <bpmn:extensionElements><zeebe:assignmentDefinition assignee="ops1"/></bpmn:extensionElements>
    </bpmn:userTask>${extra}
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;
const form_ = (label: string) =>
  JSON.stringify({
    id: 'patrol-form',
    type: 'default',
    components: [{ type: 'textfield', key: 'note', label }],
  });

const moduleFile = (version: string, over: Record<string, unknown> = {}) => ({
  format: 'lifeflow-module',
  formatVersion: 1,
  id: 'patrol',
  version,
  name: { 'zh-CN': '巡检', en: 'Patrol' },
  description: { 'zh-CN': '设备巡检', en: 'Equipment patrol' },
  resources: [
    { name: 'patrol.bpmn', content: process_('设备巡检') },
    { name: 'patrol.form', content: form_('备注') },
  ],
  notificationTemplates: [
    {
      event: 'TASK_ASSIGNED',
      channel: 'IN_APP',
      locale: 'zh-CN',
      subject: '巡检任务：{{taskName}}',
      body: '请处理 {{processName}}',
    },
  ],
  dashboards: [
    {
      id: 'patrol-volume',
      name: { 'zh-CN': '巡检量', en: 'Patrol volume' },
      query: 'feedback-volume',
      chart: 'bar',
    },
  ],
  settings: { intervalDays: 7 },
  ...over,
});

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass-1', name: 'Bob', roles: ['admin'] });
});
afterAll(async () => {
  await t?.close();
});
const bob = { user: 'bob', password: 'bob-pass-1' };

describe('importing module standards', () => {
  it('imports a module file once; the same file again is no change, other content under the same version a conflict', async () => {
    const first = await t.api('POST', '/v2/modules', moduleFile('1.0.0'));
    expect(first.status, first.text).toBe(201);
    expect(first.body).toEqual({ moduleId: 'patrol', version: '1.0.0', created: true });
    const again = await t.api('POST', '/v2/modules', moduleFile('1.0.0'));
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    const changed = await t.api(
      'POST',
      '/v2/modules',
      moduleFile('1.0.0', { settings: { intervalDays: 3 } }),
    );
    expect(changed.status).toBe(409);
    expect(changed.body.detail).toMatch(/give the changed module a new version/);

    const file = await t.api('GET', '/v2/modules/patrol/versions/1.0.0/file');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="patrol-1.0.0.lfmodule.json"');
    expect(file.body).toEqual({ ...moduleFile('1.0.0'), requires: [] });
  });

  it('imports the shipped handover module, which round-trips through its exported file', async () => {
    const shipped = templateModuleFile('handover');
    const res = await t.api('POST', '/v2/modules', shipped);
    expect(res.status, res.text).toBe(201);
    const file = await t.api('GET', `/v2/modules/handover/versions/${shipped.version}/file`);
    expect(file.body).toEqual(JSON.parse(JSON.stringify(shipped)));
    expect(file.body.resources.map((r: any) => r.name)).toContain('handover-signoff.bpmn');
  });

  it('refuses a bad module file with every field and reason, and stores nothing', async () => {
    const bad = await t.api('POST', '/v2/modules', {
      format: 'zip',
      formatVersion: 1,
      id: 'Bad Id',
      version: '1.0',
      name: { 'zh-CN': '坏' },
      resources: [{ name: 'x.exe', content: 'MZ' }],
      notificationTemplates: [
        { event: 'NOPE', channel: 'IN_APP', locale: 'zh-CN', subject: '{{{raw}}}', body: 'b' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const fields = bad.body.errors.map((e: any) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'format',
        'id',
        'version',
        'name.en',
        'resources[0].name',
        'notificationTemplates[0].event',
        'notificationTemplates[0].subject',
      ]),
    );

    // A resource the engine refuses is named by its place in the file, with the element.
    const broken = await t.api(
      'POST',
      '/v2/modules',
      moduleFile('9.0.0', {
        id: 'broken',
        resources: [
          { name: 'patrol.form', content: form_('备注') },
          {
            name: 'patrol.bpmn',
            content: process_(
              '坏',
              '<bpmn:exclusiveGateway id="gw"/><bpmn:sequenceFlow id="bad" sourceRef="gw" targetRef="nowhere"/>',
            ),
          },
        ],
      }),
    );
    expect(broken.status).toBe(400);
    expect(broken.body.errors.map((e: any) => e.field).join(' ')).toMatch(/^resources\[1\]\.content/);
    expect((await t.api('GET', '/v2/modules/broken')).status).toBe(404);
  });

  it('lets only administrators of the group tenant import standards', async () => {
    expect((await t.api('POST', '/v2/modules', moduleFile('1.0.1'), { user: 'owner' })).status).toBe(403);
    const other = await t.api('POST', '/v2/modules', moduleFile('1.0.1'), bob);
    expect(other.status).toBe(403);
    expect(other.body.detail).toMatch(/group tenant <<default>>/);
    expect((await t.api('POST', '/v2/modules/search', {}, { user: 'field1' })).status).toBe(403);
  });
});

describe('a module in a tenant', () => {
  let running: string;

  it('enables a module: deploys its resources, writes its notification templates and records the version', async () => {
    const res = await t.api('POST', '/v2/modules/patrol/enablement', {}, { user: 'owner' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ moduleId: 'patrol', version: '1.0.0', tenantId: '<default>' });
    expect(res.body.deployments.map((d: any) => Object.keys(d)[0]).sort()).toEqual([
      'form',
      'processDefinition',
    ]);

    const found = await t.api('POST', '/v2/modules/search', { filter: { moduleId: 'patrol' } });
    expect(found.body.items).toEqual([
      expect.objectContaining({
        moduleId: 'patrol',
        name: { 'zh-CN': '巡检', en: 'Patrol' },
        latestVersion: '1.0.0',
        enabled: true,
        enabledVersion: '1.0.0',
        upgradeAvailable: false,
        overrides: 0,
      }),
    ]);
    const got = await t.api('GET', '/v2/modules/patrol');
    expect(got.body).toMatchObject({
      settings: { intervalDays: 7 },
      resources: [
        { resourceName: 'patrol.bpmn', kind: 'process', overridden: false },
        { resourceName: 'patrol.form', kind: 'form', overridden: false },
      ],
      dashboards: [{ id: 'patrol-volume', name: { 'zh-CN': '巡检量', en: 'Patrol volume' } }],
    });
    const templates = await t.api('POST', '/v2/notification-templates/search', {});
    expect(
      templates.body.items.find(
        (x: any) => x.event === 'TASK_ASSIGNED' && x.channel === 'IN_APP' && x.locale === 'zh-CN',
      ),
    ).toMatchObject({ subject: '巡检任务：{{taskName}}' });

    running = await t.start('patrol');
    expect((await t.taskOf(running, 'ops1')).elementId).toBe('check');

    // Another tenant has not enabled it and sees the standard only.
    const theirs = await t.api('POST', '/v2/modules/search', { filter: { moduleId: 'patrol' } }, bob);
    expect(theirs.body.items[0]).toMatchObject({ enabled: false, enabledVersion: null });
    expect(
      (
        await t.api(
          'POST',
          '/v2/process-definitions/search',
          { filter: { processDefinitionId: 'patrol' } },
          bob,
        )
      ).body.items,
    ).toEqual([]);
  });

  it("keeps a tenant's override of a resource, shows it beside the standard, and refuses one that defines something else", async () => {
    const custom = process_('设备巡检（本公司）');
    const res = await t.api('PUT', '/v2/modules/patrol/resources/patrol.bpmn/override', { content: custom });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ resourceName: 'patrol.bpmn', baseVersion: '1.0.0' });
    const latest = await t.api('POST', '/v2/process-definitions/search', {
      filter: { processDefinitionId: 'patrol' },
      sort: [{ field: 'version', order: 'desc' }],
    });
    expect(latest.body.items[0]).toMatchObject({ version: 2, name: '设备巡检（本公司）' });

    const shown = await t.api('GET', '/v2/modules/patrol/resources/patrol.bpmn');
    expect(shown.body).toMatchObject({
      kind: 'process',
      standard: { version: '1.0.0', content: process_('设备巡检') },
      override: {
        content: custom,
        baseVersion: '1.0.0',
        baseContent: process_('设备巡检'),
        updatedBy: 'admin',
      },
      latest: null,
    });

    const elsewhere = await t.api('PUT', '/v2/modules/patrol/resources/patrol.bpmn/override', {
      content: process_('x').replace('id="patrol"', 'id="patrol-2"'),
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.errors).toEqual([
      { field: 'content', reason: 'must define process:patrol, as the standard <patrol.bpmn> does' },
    ]);
    const invalid = await t.api('PUT', '/v2/modules/patrol/resources/patrol.form/override', {
      content: '{"id": 1',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].field).toMatch(/^content|patrol\.form/);
    // Nothing half-written: the form has no override.
    expect(
      (await t.api('GET', '/v2/modules/patrol')).body.overriddenResources.map((o: any) => o.resourceName),
    ).toEqual(['patrol.bpmn']);

    // Not enabled in the other tenant: nothing to override there.
    const theirs = await t.api(
      'PUT',
      '/v2/modules/patrol/resources/patrol.bpmn/override',
      { content: custom },
      bob,
    );
    expect(theirs.status).toBe(409);
  });

  it('previews an upgrade (what changes, the running instances it concerns) and takes it, keeping the override', async () => {
    const v110 = moduleFile('1.1.0', {
      resources: [
        { name: 'patrol.bpmn', content: process_('设备巡检 v1.1') },
        { name: 'patrol.form', content: form_('巡检备注') },
        {
          name: 'patrol-score.rules.json',
          content: JSON.stringify({
            id: 'patrol-score',
            rules: [
              {
                name: '逾期',
                conditions: { all: [{ fact: 'days', operator: 'greaterThan', value: 7 }] },
                event: { type: 'late' },
              },
            ],
          }),
        },
      ],
    });
    const imported = await t.api('POST', '/v2/modules', v110);
    expect(imported.status, imported.text).toBe(201);
    expect((await t.api('GET', '/v2/modules/patrol')).body).toMatchObject({
      upgradeAvailable: true,
      version: '1.0.0',
    });

    const preview = await t.api('POST', '/v2/modules/patrol/upgrade-preview', { version: '1.1.0' });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.1.0' });
    const byName = Object.fromEntries(preview.body.changes.map((c: any) => [c.resourceName, c]));
    expect(byName['patrol.bpmn']).toEqual({
      resourceName: 'patrol.bpmn',
      kind: 'process',
      change: 'OVERRIDDEN',
      standardChanged: true,
    });
    expect(byName['patrol.form']).toMatchObject({ change: 'CHANGED', kind: 'form' });
    expect(byName['patrol-score.rules.json']).toMatchObject({ change: 'ADDED', kind: 'ruleSet' });

    // Without the override the process change would name the running instance.
    const drop = await t.api('DELETE', '/v2/modules/patrol/resources/patrol.bpmn/override');
    expect(drop.status, drop.text).toBe(200);
    const again = await t.api('POST', '/v2/modules/patrol/upgrade-preview', { version: '1.1.0' });
    const bpmn = again.body.changes.find((c: any) => c.resourceName === 'patrol.bpmn');
    expect(bpmn.change).toBe('CHANGED');
    expect(bpmn.runningInstances.total).toBeGreaterThanOrEqual(1);
    expect(bpmn.runningInstances.items.map((i: any) => i.processInstanceKey)).toContain(running);

    // Override again, then upgrade: the form and rule set are the new standard's, the process ours.
    const custom = process_('设备巡检（本公司）');
    expect(
      (await t.api('PUT', '/v2/modules/patrol/resources/patrol.bpmn/override', { content: custom })).status,
    ).toBe(200);
    const up = await t.api('POST', '/v2/modules/patrol/enablement', { version: '1.1.0' });
    expect(up.status, up.text).toBe(200);
    const got = await t.api('GET', '/v2/modules/patrol');
    expect(got.body).toMatchObject({ enabledVersion: '1.1.0', upgradeAvailable: false });
    expect(got.body.resources.find((r: any) => r.resourceName === 'patrol.bpmn').overridden).toBe(true);
    const forms = await t.api('POST', '/v2/forms/search', { filter: { formId: 'patrol-form' } });
    const newest = forms.body.items.sort((a: any, b: any) => b.version - a.version)[0];
    expect(
      JSON.parse((await t.api('GET', `/v2/forms/${newest.formKey}`)).body.schema).components[0].label,
    ).toBe('巡检备注');
    const procs = await t.api('POST', '/v2/process-definitions/search', {
      filter: { processDefinitionId: 'patrol' },
      sort: [{ field: 'version', order: 'desc' }],
    });
    expect(procs.body.items[0].name).toBe('设备巡检（本公司）');
    // The running instance stays on its version.
    expect((await t.api('GET', `/v2/process-instances/${running}`)).body.processDefinitionVersion).toBe(1);
  });

  it("keeps a template the tenant wrote itself when an upgrade brings the module's", async () => {
    const mine = await t.api('PUT', '/v2/notification-templates/TASK_ASSIGNED/IN_APP/zh-CN', {
      subject: '本公司：{{taskName}}',
      body: '请尽快处理',
    });
    expect(mine.status, mine.text).toBe(200);
    expect((await t.api('POST', '/v2/modules', moduleFile('1.2.0'))).status).toBe(201);
    expect((await t.api('POST', '/v2/modules/patrol/enablement', { version: '1.2.0' })).status).toBe(200);
    const templates = await t.api('POST', '/v2/notification-templates/search', {});
    expect(
      templates.body.items.find(
        (x: any) => x.event === 'TASK_ASSIGNED' && x.channel === 'IN_APP' && x.locale === 'zh-CN',
      ),
    ).toMatchObject({ subject: '本公司：{{taskName}}' });
  });

  it('enables a module only where the modules it requires are enabled, and keeps those enabled', async () => {
    const dependent = moduleFile('1.0.0', {
      id: 'patrol-report',
      requires: ['patrol'],
      resources: [
        { name: 'report.form', content: form_('报告').replace('patrol-form', 'patrol-report-form') },
      ],
      notificationTemplates: [],
      dashboards: [],
    });
    expect((await t.api('POST', '/v2/modules', dependent)).status).toBe(201);
    // The other tenant has not enabled patrol.
    const refused = await t.api('POST', '/v2/modules/patrol-report/enablement', {}, bob);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe(
      'module <patrol-report> needs <patrol> enabled in tenant <tenant-b> first',
    );
    expect((await t.api('POST', '/v2/modules/patrol-report/enablement', {})).status).toBe(200);
    const needed = await t.api('DELETE', '/v2/modules/patrol/enablement');
    expect(needed.status).toBe(409);
    expect(needed.body.detail).toBe('module <patrol> is needed by <patrol-report>: disable it first');
    expect((await t.api('DELETE', '/v2/modules/patrol-report/enablement')).status).toBe(204);
    const bad = await t.api('POST', '/v2/modules', {
      ...dependent,
      version: '2.0.0',
      requires: ['patrol-report', 7],
    });
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(['requires[0]', 'requires[1]']);
  });

  it('disables a module without touching its definitions or instances, and no longer starts its processes', async () => {
    const catalogue = async (startable: boolean) =>
      (
        await t.api(
          'POST',
          '/v2/process-definitions/search',
          { filter: { isLatestVersion: true, startable } },
          { user: 'field1' },
        )
      ).body.items.map((d: any) => d.processDefinitionId);
    expect(await catalogue(true)).toContain('patrol');
    expect((await t.api('DELETE', '/v2/modules/patrol/enablement')).status).toBe(204);
    expect((await t.api('GET', '/v2/modules/patrol')).body.enabled).toBe(false);
    expect((await t.api('GET', `/v2/process-instances/${running}`)).body.state).toBe('ACTIVE');
    // The start catalogue leaves it out; a start is refused and says why.
    expect(await catalogue(true)).not.toContain('patrol');
    expect(await catalogue(false)).toEqual(['patrol']);
    const refused = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'patrol' },
      { user: 'field1' },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe(
      'process <patrol> belongs to module <patrol>, which is disabled in tenant <<default>>: enable the module to start it',
    );
    // Enabled again, it starts again.
    expect((await t.api('POST', '/v2/modules/patrol/enablement', {})).status).toBe(200);
    expect(await catalogue(true)).toContain('patrol');
    const again = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'patrol' },
      { user: 'field1' },
    );
    expect(again.status, again.text).toBe(200);
    expect((await t.api('DELETE', '/v2/modules/patrol/enablement')).status).toBe(204);
    expect((await t.api('DELETE', '/v2/modules/patrol/enablement', undefined, bob)).status).toBe(404);
    expect((await t.api('POST', '/v2/modules/nope/enablement', {})).status).toBe(404);
    const bad = await t.api('POST', '/v2/modules/patrol/enablement', { version: 'latest' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'version', reason: 'must be a version like 1.0.0' }]);
  });

  it('lets the timers of a disabled module start nothing', async () => {
    const nightly = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d_nightly">
  <bpmn:process id="nightly-check" name="夜间巡检" isExecutable="true">
    <bpmn:startEvent id="at"><bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">2020-01-01T00:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="at" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;
    const file = {
      ...moduleFile('1.0.0'),
      id: 'nightly',
      resources: [{ name: 'nightly.bpmn', content: nightly }],
      notificationTemplates: [],
      dashboards: [],
    };
    expect((await t.api('POST', '/v2/modules', file)).status).toBe(201);
    expect((await t.api('POST', '/v2/modules/nightly/enablement', {})).status).toBe(200);
    expect((await t.api('DELETE', '/v2/modules/nightly/enablement')).status).toBe(204);
    expect(await t.runtime.timers.runDue()).toBe(1); // due, fired, and skipped
    const started = await t.api('POST', '/v2/process-instances/search', {
      filter: { processDefinitionId: 'nightly-check' },
    });
    expect(started.body.items).toEqual([]);
  });
});
