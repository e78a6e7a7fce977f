/**
 * The API the designer's screens read: deployed forms and rule sets with who deployed them, a rule
 * set run on sample input before it is deployed, a template preview, and the process list with
 * instance counts per version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
const OWNER = { user: 'owner' };

const form = (id: string, label: string) =>
  JSON.stringify({
    id,
    type: 'default',
    components: [{ type: 'textfield', key: 'projectName', label, validate: { required: true } }],
  });
const ruleSet = (id: string, threshold: number) =>
  JSON.stringify({
    id,
    name: '风险分级',
    rules: [
      {
        conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: threshold }] },
        event: { type: 'high-risk', params: { level: 2 } },
      },
    ],
  });
const bpmn = (id: string, tasks: string[]) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_${id}">
  <bpmn:process id="${id}" name="移交验收" isExecutable="true">
    <bpmn:startEvent id="s"/>
    ${tasks.map((task) => `<bpmn:userTask id="${task}"/>`).join('')}
    <bpmn:endEvent id="e"/>
    ${['s', ...tasks, 'e']
      .slice(1)
      .map((to, i) => `<bpmn:sequenceFlow id="f${i}" sourceRef="${['s', ...tasks][i]}" targetRef="${to}"/>`)
      .join('')}
  </bpmn:process>
</bpmn:definitions>`;

beforeAll(async () => {
  t = await startTestRuntime();
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass-1', name: 'Bob', roles: ['admin'] });
  for (const files of [
    [
      { name: 'checklist.form', content: form('checklist', '项目名称') },
      { name: 'risk.json', content: ruleSet('risk', 1000) },
    ],
    [
      { name: 'checklist.form', content: form('checklist', '工程名称') },
      { name: 'risk.json', content: ruleSet('risk', 2000) },
    ],
  ])
    expect((await t.deploy(files, OWNER)).status).toBe(200);
}, 60_000);
afterAll(async () => t?.close());

describe('deployed forms', () => {
  it('lists every version with who deployed it, and the latest alone on request', async () => {
    const all = await t.api('POST', '/v2/forms/search', { filter: { formId: 'checklist' } });
    expect(all.status).toBe(200);
    expect(all.body.items.map((f: any) => [f.formId, f.version, f.deployedBy])).toEqual([
      ['checklist', 1, 'owner'],
      ['checklist', 2, 'owner'],
    ]);
    expect(all.body.items[0].schema).toBeUndefined();
    expect(Date.parse(all.body.items[0].deployedAt)).not.toBeNaN();
    const latest = await t.api('POST', '/v2/forms/search', {
      filter: { formId: 'checklist', isLatestVersion: true },
    });
    expect(latest.body.items.map((f: any) => f.version)).toEqual([2]);
  });

  it('gives one version with its schema (a JSON string, as Camunda does) to anyone of the tenant', async () => {
    const [v2] = (await t.api('POST', '/v2/forms/search', { filter: { formId: 'checklist', version: 2 } }))
      .body.items;
    const got = await t.api('GET', `/v2/forms/${v2.formKey}`, undefined, { user: 'field1' });
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body.schema).components[0].label).toBe('工程名称');
    expect(got.body).toMatchObject({ formId: 'checklist', version: 2, tenantId: '<default>' });
    const other = await t.api('GET', `/v2/forms/${v2.formKey}`, undefined, {
      user: 'bob',
      password: 'bob-pass-1',
    });
    expect(other.status).toBe(404);
    const search = await t.api('POST', '/v2/forms/search', {}, { user: 'bob', password: 'bob-pass-1' });
    expect(search.body.items).toEqual([]);
  });

  it('refuses an unknown filter naming it', async () => {
    const res = await t.api('POST', '/v2/forms/search', { filter: { schema: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('filter.schema');
  });
});

describe('rule sets', () => {
  it('are read by process owners with their content; users may not', async () => {
    const found = await t.api('POST', '/v2/rule-sets/search', { filter: { ruleSetId: 'risk' } }, OWNER);
    expect(found.body.items.map((r: any) => [r.ruleSetId, r.name, r.version])).toEqual([
      ['risk', '风险分级', 1],
      ['risk', '风险分级', 2],
    ]);
    const got = await t.api('GET', `/v2/rule-sets/${found.body.items[1].ruleSetKey}`, undefined, OWNER);
    expect(got.body.content.rules[0].conditions.all[0].value).toBe(2000);
    expect((await t.api('POST', '/v2/rule-sets/search', {}, { user: 'field1' })).status).toBe(403);
  });

  it('run a draft on sample input: fired events and merged params', async () => {
    const draft = JSON.parse(ruleSet('draft', 1000));
    draft.rules.push({
      priority: 1,
      conditions: { any: [{ fact: 'category', operator: 'in', value: ['结构', '消防'] }] },
      event: { type: 'design-unit', params: { route: 'design', level: 3 } },
    });
    const fired = await t.api(
      'POST',
      '/v2/rule-sets/evaluation',
      { ruleSet: draft, variables: { amount: 5000, category: '消防' } },
      OWNER,
    );
    expect(fired.status).toBe(200);
    expect(fired.body.events.map((e: any) => e.type).sort()).toEqual(['design-unit', 'high-risk']);
    // params merge in priority order: the higher-priority rule first, later ones override it
    expect(fired.body.params).toEqual({ level: 3, route: 'design' });
    const quiet = await t.api(
      'POST',
      '/v2/rule-sets/evaluation',
      { ruleSet: draft, variables: { amount: 10 } },
      OWNER,
    );
    expect(quiet.body).toEqual({ events: [], params: {} });
  });

  it('run a deployed version by key', async () => {
    const [v1] = (await t.api('POST', '/v2/rule-sets/search', { filter: { version: 1 } }, OWNER)).body.items;
    const res = await t.api(
      'POST',
      '/v2/rule-sets/evaluation',
      { ruleSetKey: v1.ruleSetKey, variables: { amount: 1500 } },
      OWNER,
    );
    expect(res.body.params).toEqual({ level: 2 });
  });

  it('refuse a draft that cannot run, naming the rule', async () => {
    const res = await t.api(
      'POST',
      '/v2/rule-sets/evaluation',
      {
        ruleSet: {
          id: 'bad',
          rules: [
            {
              conditions: { all: [{ fact: 'a', operator: 'equal', value: 1, path: '$.x[?(@.y)]' }] },
              event: { type: 'x' },
            },
          ],
        },
      },
      OWNER,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('ruleSet#rules[0].conditions.all[0].path');
    const neither = await t.api('POST', '/v2/rule-sets/evaluation', { variables: {} }, OWNER);
    expect(neither.status).toBe(400);
    expect(neither.body.errors[0].field).toBe('ruleSet');
  });
});

describe('notification template preview', () => {
  it('renders a draft on sample data, escaped', async () => {
    const res = await t.api(
      'POST',
      '/v2/notification-templates/preview',
      {
        event: 'TASK_CREATED',
        channel: 'IN_APP',
        locale: 'zh-CN',
        subject: '待办：{{taskName}}',
        body: '{{message}}',
      },
      OWNER,
    );
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('待办：工程部审核');
    expect(res.body.variables.taskName).toBe('工程部审核');
    const own = await t.api(
      'POST',
      '/v2/notification-templates/preview',
      {
        event: 'CC',
        channel: 'EMAIL',
        locale: 'en',
        subject: '{{actor}}',
        body: 'x',
        variables: { actor: '<b>Li</b>' },
      },
      OWNER,
    );
    expect(own.body.subject).toBe('&lt;b&gt;Li&lt;/b&gt;');
  });

  it('refuses a broken template with its line, and an unknown event', async () => {
    const res = await t.api(
      'POST',
      '/v2/notification-templates/preview',
      {
        event: 'TASK_CREATED',
        channel: 'IN_APP',
        locale: 'zh-CN',
        subject: 'ok',
        body: 'a\n{{#if taskName}}b',
      },
      OWNER,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ field: 'body' });
    expect(res.body.errors[0].reason).toMatch(/^line 2/);
    const bad = await t.api(
      'POST',
      '/v2/notification-templates/preview',
      { event: 'NOPE', channel: 'IN_APP', locale: 'xx', subject: 'a', body: 'b' },
      OWNER,
    );
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(['event', 'locale']);
  });
});

describe('process definition statistics', () => {
  it('lists every version with who deployed it and its instances by state', async () => {
    expect((await t.deploy([{ name: 'stat.bpmn', content: bpmn('stat', ['a']) }], OWNER)).status).toBe(200);
    const done = await t.start('stat');
    await t.complete((await t.openTasks(done))[0]);
    expect(await t.stateOf(done)).toBe('COMPLETED');
    await t.start('stat');
    expect((await t.deploy([{ name: 'stat.bpmn', content: bpmn('stat', ['a', 'b']) }])).status).toBe(200);
    await t.start('stat');
    const res = await t.api(
      'POST',
      '/v2/process-definitions/statistics',
      { filter: { processDefinitionId: 'stat' } },
      OWNER,
    );
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((d: any) => [d.version, d.deployedBy, d.instances.active, d.instances.completed]),
    ).toEqual([
      [2, 'admin', 1, 0],
      [1, 'owner', 1, 1],
    ]);
    expect(res.body.page.totalItems).toBe(2);
    expect(res.body.items[0]).toMatchObject({
      processDefinitionId: 'stat',
      name: '移交验收',
      resourceName: 'stat.bpmn',
    });
    const other = await t.api(
      'POST',
      '/v2/process-definitions/statistics',
      {},
      { user: 'bob', password: 'bob-pass-1' },
    );
    expect(other.body.items).toEqual([]);
    const bad = await t.api('POST', '/v2/process-definitions/statistics', { filter: { state: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('filter.state');
  });
});
