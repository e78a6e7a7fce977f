import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const fixture = (name: string) => ({
  name,
  content: readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'),
});
const KEY = /^\d{1,19}$/;

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

async function startReference(variables: Record<string, unknown> = {}) {
  const res = await t.api('POST', '/v2/process-instances', { processDefinitionId: 'reference', variables });
  expect(res.status).toBe(200);
  return res.body.processInstanceKey as string;
}

async function openTaskOf(processInstanceKey: string) {
  const res = await t.api('POST', '/v2/user-tasks/search', {
    filter: { processInstanceKey, state: 'CREATED' },
  });
  expect(res.status).toBe(200);
  expect(res.body.items).toHaveLength(1);
  return res.body.items[0];
}

describe('deployments', () => {
  it('deploys a process, its form and a rule set, and versions them per id', async () => {
    const res = await t.deploy([
      fixture('reference.bpmn'),
      fixture('review-form.form'),
      fixture('severity.rules.json'),
      fixture('service-flow.bpmn'),
    ]);
    expect(res.status).toBe(200);
    expect(res.body.deploymentKey).toMatch(KEY);
    expect(res.body.tenantId).toBe('<default>');
    const proc = res.body.deployments.find(
      (d: any) => d.processDefinition?.processDefinitionId === 'reference',
    ).processDefinition;
    expect(proc).toMatchObject({
      processDefinitionVersion: 1,
      resourceName: 'reference.bpmn',
      tenantId: '<default>',
    });
    expect(proc.processDefinitionKey).toMatch(KEY);
    expect(res.body.deployments.find((d: any) => d.form)?.form).toMatchObject({
      formId: 'review-form',
      version: 1,
    });
    expect(res.body.deployments.find((d: any) => d.ruleSet)?.ruleSet).toMatchObject({
      ruleSetId: 'severity',
      version: 1,
    });

    const again = await t.deploy([fixture('reference.bpmn')]);
    expect(again.body.deployments[0].processDefinition.processDefinitionVersion).toBe(1);
    expect(again.body.deployments[0].processDefinition.processDefinitionKey).toBe(proc.processDefinitionKey);

    const changed = fixture('reference.bpmn');
    changed.content = changed.content.replace('name="审核"', 'name="审核 v2"');
    const v2 = await t.deploy([changed]);
    expect(v2.body.deployments[0].processDefinition.processDefinitionVersion).toBe(2);
    // bring the original back as the latest version for the tests below
    const v3 = await t.deploy([fixture('reference.bpmn')]);
    expect(v3.body.deployments[0].processDefinition.processDefinitionVersion).toBe(3);
  });

  it('rejects a model that cannot run, listing every problem with its element id, and stores nothing', async () => {
    const before = await t.api('POST', '/v2/process-definitions/search', {});
    const bad = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="bad" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing><bpmn:outgoing>c</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:complexGateway id="cx"><bpmn:incoming>b</bpmn:incoming></bpmn:complexGateway>
    <bpmn:scriptTask id="js" scriptFormat="javascript"><bpmn:incoming>c</bpmn:incoming><bpmn:script>next()</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="gw"/>
    <bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="cx"><bpmn:conditionExpression>\${environment.variables.x}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="c" sourceRef="gw" targetRef="js"/>
  </bpmn:process>
</bpmn:definitions>`;
    const res = await t.deploy([{ name: 'bad.bpmn', content: bad }, fixture('review-form.form')]);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.title).toBe('INVALID_ARGUMENT');
    const fields = res.body.errors.map((e: any) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['bad.bpmn#cx', 'bad.bpmn#js', 'bad.bpmn#b', 'bad.bpmn#gw']),
    );
    expect(res.body.errors.find((e: any) => e.field === 'bad.bpmn#b').reason).toContain('JUEL/JavaScript');
    expect(res.body.errors.find((e: any) => e.field === 'bad.bpmn#js').reason).toContain(
      "'javascript' are not evaluated",
    );
    for (const e of res.body.errors) expect(e.reason).toEqual(expect.any(String));
    const after = await t.api('POST', '/v2/process-definitions/search', {});
    expect(after.body.page.totalItems).toBe(before.body.page.totalItems);
  });

  it('rejects files that are not BPMN, forms or rule sets with a clear reason', async () => {
    const res = await t.deploy([
      { name: 'broken.bpmn', content: '<bpmn:definitions' },
      { name: 'x.txt', content: 'hi' },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: 'broken.bpmn',
          reason: expect.stringContaining('not valid BPMN XML'),
        }),
        expect.objectContaining({
          field: 'x.txt',
          reason: expect.stringContaining('unsupported resource type'),
        }),
      ]),
    );
  });

  it('serves definitions by search, key and XML', async () => {
    const search = await t.api('POST', '/v2/process-definitions/search', {
      filter: { processDefinitionId: 'reference', isLatestVersion: true },
    });
    expect(search.status).toBe(200);
    expect(search.body.items).toHaveLength(1);
    const def = search.body.items[0];
    expect(def).toMatchObject({ processDefinitionId: 'reference', version: 3, name: '参考流程 reference' });
    const get = await t.api('GET', `/v2/process-definitions/${def.processDefinitionKey}`);
    expect(get.body.processDefinitionKey).toBe(def.processDefinitionKey);
    const xml = await t.api('GET', `/v2/process-definitions/${def.processDefinitionKey}/xml`);
    expect(xml.headers.get('content-type')).toContain('text/xml');
    expect(xml.text).toContain('<bpmn:process id="reference"');
    const missing = await t.api('GET', '/v2/process-definitions/123');
    expect(missing.status).toBe(404);
    expect(missing.body.title).toBe('NOT_FOUND');
  });
});

describe('running the reference process', () => {
  it('creates the user task with its form and candidate group, validates the submission and completes', async () => {
    const key = await startReference({ project: '一期厂房' });
    const task = await openTaskOf(key);
    expect(task).toMatchObject({
      name: '审核',
      elementId: 'review',
      state: 'CREATED',
      candidateGroups: ['engineering'],
      priority: 50,
    });
    expect(task.formKey).toMatch(KEY);

    const form = await t.api('GET', `/v2/user-tasks/${task.userTaskKey}/form`);
    expect(form.status).toBe(200);
    expect(JSON.parse(form.body.schema).id).toBe('review-form');

    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'admin' })).status,
    ).toBe(204);
    const invalid = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, {
      variables: { amount: -5, decision: 'reject' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'variables.amount', reason: 'must be at least 0' },
        { field: 'variables.rejectReason', reason: 'is required' },
      ]),
    );
    expect((await openTaskOf(key)).state).toBe('CREATED');

    const ok = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, {
      variables: { amount: 5000, decision: 'approve', rejectReason: 'hidden, so dropped' },
    });
    expect(ok.status).toBe(204);

    const inst = await t.api('GET', `/v2/process-instances/${key}`);
    expect(inst.body).toMatchObject({
      state: 'COMPLETED',
      processDefinitionId: 'reference',
      initiator: 'admin',
      hasIncident: false,
    });
    const vars = await t.api('POST', '/v2/variables/search', { filter: { processInstanceKey: key } });
    const byName = Object.fromEntries(vars.body.items.map((v: any) => [v.name, JSON.parse(v.value)]));
    expect(byName).toMatchObject({ project: '一期厂房', amount: 5000, decision: 'approve', score: 10000 });
    expect(byName).not.toHaveProperty('rejectReason');

    const elements = await t.api('POST', '/v2/element-instances/search', {
      filter: { processInstanceKey: key },
      page: { limit: 50 },
    });
    const ids = elements.body.items.map((e: any) => `${e.elementId}:${e.type}:${e.state}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        'reference:PROCESS:COMPLETED',
        'review:USER_TASK:COMPLETED',
        'decision:EXCLUSIVE_GATEWAY:COMPLETED',
        'score:SCRIPT_TASK:COMPLETED',
        'end:END_EVENT:COMPLETED',
      ]),
    );

    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    const types = history.body.items.map((h: any) => h.eventType);
    expect(types[0]).toBe('instance.created');
    expect(types.at(-1)).toBe('instance.completed');
    const completed = history.body.items.find((h: any) => h.eventType === 'task.completed');
    expect(completed).toMatchObject({ actor: 'admin', command: 'task.complete', elementId: 'review' });
    // the transitions the completion caused are recorded with it, in order
    const sameCommand = history.body.items
      .filter((h: any) => h.commandId === completed.commandId)
      .map((h: any) => h.eventType);
    expect(sameCommand.slice(0, 2)).toEqual(['task.completed', 'variable.set']);
    expect(sameCommand.at(-1)).toBe('instance.completed');
    const amountSet = history.body.items.find(
      (h: any) => h.eventType === 'variable.set' && h.data.name === 'amount',
    );
    expect(amountSet.data).toMatchObject({ value: 5000, created: true });
  });

  it('takes the default flow when the amount is small', async () => {
    const key = await startReference();
    const task = await openTaskOf(key);
    expect((await t.complete(task, { amount: 10, decision: 'approve' })).status).toBe(204);
    const score = await t.api('POST', '/v2/element-instances/search', {
      filter: { processInstanceKey: key, elementId: 'score' },
    });
    expect(score.body.page.totalItems).toBe(0);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('COMPLETED');
  });

  it('lets exactly one of several concurrent completions of a task succeed; the others get 409', async () => {
    const key = await startReference();
    const task = await openTaskOf(key);
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'admin' })).status,
    ).toBe(204);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, {
          variables: { amount: i, decision: 'approve' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(history.body.items.filter((h: any) => h.eventType === 'task.completed')).toHaveLength(1);
  });

  it('assigns and unassigns a task, refusing unknown users', async () => {
    const key = await startReference();
    const task = await openTaskOf(key);
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'eng1' })).status,
    ).toBe(204);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`)).body.assignee).toBe('eng1');
    const noOverride = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, {
      assignee: 'ops1',
      allowOverride: false,
    });
    expect(noOverride.status).toBe(409);
    const unknown = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, {
      assignee: 'nobody',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { field: 'assignee', reason: 'is not a user of the task’s tenant' },
    ]);
    expect((await t.api('DELETE', `/v2/user-tasks/${task.userTaskKey}/assignee`)).status).toBe(204);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`)).body.assignee).toBeNull();
    const byGroup = await t.api('POST', '/v2/user-tasks/search', {
      filter: { candidateGroup: 'engineering', processInstanceKey: key },
    });
    expect(byGroup.body.items).toHaveLength(1);
  });

  it('cancels an instance: it is terminated and its open task is canceled', async () => {
    const key = await startReference();
    const task = await openTaskOf(key);
    expect((await t.api('POST', `/v2/process-instances/${key}/cancellation`)).status).toBe(204);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('TERMINATED');
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`)).body.state).toBe('CANCELED');
    const again = await t.api('POST', `/v2/process-instances/${key}/cancellation`);
    expect(again.status).toBe(409);
    const late = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, { variables: {} });
    expect(late.status).toBe(409);
  });

  it('answers bad input with problem+json naming the field', async () => {
    const noDef = await t.api('POST', '/v2/process-instances', { variables: {} });
    expect(noDef.status).toBe(400);
    expect(noDef.body.errors[0].field).toBe('processDefinitionId');
    const badVars = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'reference',
      variables: [1],
    });
    expect(badVars.status).toBe(400);
    expect(badVars.body.errors).toEqual([{ field: 'variables', reason: 'must be an object' }]);
    const unknown = await t.api('POST', '/v2/process-instances', { processDefinitionId: 'nope' });
    expect(unknown.status).toBe(404);
    const badJson = await t.api('POST', '/v2/process-instances', '{oops');
    expect(badJson.status).toBe(400);
    const badFilter = await t.api('POST', '/v2/user-tasks/search', { filter: { colour: 'red' } });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.errors[0].field).toBe('filter.colour');
    const badKey = await t.api('GET', '/v2/user-tasks/abc');
    expect(badKey.status).toBe(400);
  });
});

describe('jobs, rule sets and incidents', () => {
  it('hands the service task to a worker with mapped variables and headers, then runs the rule set', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'service-flow',
      variables: { project: '污水厂二期', downtimeHours: 30 },
    });
    const key = start.body.processInstanceKey;
    const act = await t.api('POST', '/v2/jobs/activation', {
      type: 'notify-contractor',
      worker: 'w1',
      timeout: 30000,
      maxJobsToActivate: 5,
    });
    expect(act.status).toBe(200);
    const job = act.body.jobs.find((j: any) => j.processInstanceKey === key);
    expect(job).toMatchObject({
      type: 'notify-contractor',
      elementId: 'notify',
      retries: 2,
      worker: 'w1',
      customHeaders: { channel: 'sms' },
      kind: 'BPMN_ELEMENT',
      tenantId: '<default>',
    });
    expect(job.deadline).toBeGreaterThan(Date.now());
    expect(job.variables).toMatchObject({
      projectName: '污水厂二期',
      project: '污水厂二期',
      downtimeHours: 30,
    });
    const none = await t.api('POST', '/v2/jobs/activation', {
      type: 'notify-contractor',
      worker: 'w2',
      timeout: 30000,
      maxJobsToActivate: 5,
      requestTimeout: -1,
    });
    expect(none.body.jobs.find((j: any) => j.jobKey === job.jobKey)).toBeUndefined();

    expect(
      (
        await t.api('POST', `/v2/jobs/${job.jobKey}/completion`, {
          variables: { receipt: 'SMS-001', scratch: 1 },
        })
      ).status,
    ).toBe(204);
    const vars = await t.api('POST', '/v2/variables/search', {
      filter: { processInstanceKey: key, scopeKey: key },
    });
    const byName = Object.fromEntries(vars.body.items.map((v: any) => [v.name, JSON.parse(v.value)]));
    expect(byName.notifyReceipt).toBe('SMS-001');
    expect(byName).not.toHaveProperty('scratch');
    expect(byName).not.toHaveProperty('projectName');
    expect(byName.severity.params).toEqual({ level: '重大', deadlineDays: 3 });
    expect(byName.severity.events.map((e: any) => e.type)).toEqual(['major']);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('COMPLETED');
  });

  it('long-polls for a job and returns as soon as one is created', async () => {
    const poll = t.api('POST', '/v2/jobs/activation', {
      type: 'notify-contractor',
      worker: 'lp',
      timeout: 30000,
      maxJobsToActivate: 1,
      requestTimeout: 10000,
    });
    await new Promise((r) => setTimeout(r, 100));
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'service-flow',
      variables: { downtimeHours: 1 },
    });
    const res = await poll;
    expect(res.body.jobs).toHaveLength(1);
    expect(res.body.jobs[0].processInstanceKey).toBe(start.body.processInstanceKey);
  });

  it('raises an incident when a job runs out of retries, and resolution makes it available again', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'service-flow',
      variables: { downtimeHours: 2 },
    });
    const key = start.body.processInstanceKey;
    const activate = async () =>
      (
        await t.api('POST', '/v2/jobs/activation', {
          type: 'notify-contractor',
          worker: 'w',
          timeout: 30000,
          maxJobsToActivate: 10,
          requestTimeout: -1,
        })
      ).body.jobs.find((j: any) => j.processInstanceKey === key);
    const first = await activate();
    expect(
      (
        await t.api('POST', `/v2/jobs/${first.jobKey}/failure`, {
          retries: 1,
          errorMessage: 'SMS gateway down',
        })
      ).status,
    ).toBe(204);
    const second = await activate();
    expect(second.jobKey).toBe(first.jobKey);
    expect(second.retries).toBe(1);
    await t.api('POST', `/v2/jobs/${first.jobKey}/failure`, {
      retries: 0,
      errorMessage: 'SMS gateway still down',
    });
    const incidents = await t.api('POST', '/v2/incidents/search', {
      filter: { processInstanceKey: key, state: 'ACTIVE' },
    });
    expect(incidents.body.items).toHaveLength(1);
    expect(incidents.body.items[0]).toMatchObject({
      errorType: 'JOB_NO_RETRIES',
      errorMessage: 'SMS gateway still down',
      elementId: 'notify',
      jobKey: first.jobKey,
    });
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.hasIncident).toBe(true);
    expect(await activate()).toBeUndefined();

    expect(
      (await t.api('POST', `/v2/incidents/${incidents.body.items[0].incidentKey}/resolution`)).status,
    ).toBe(204);
    const third = await activate();
    expect(third).toMatchObject({ jobKey: first.jobKey, retries: 1 });
    await t.api('POST', `/v2/jobs/${third.jobKey}/completion`, { variables: { receipt: 'ok' } });
    const inst = (await t.api('GET', `/v2/process-instances/${key}`)).body;
    expect(inst).toMatchObject({ state: 'COMPLETED', hasIncident: false });
  });

  it('turns an uncaught BPMN error from a worker into an incident naming the code', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'service-flow',
      variables: { downtimeHours: 2 },
    });
    const key = start.body.processInstanceKey;
    const job = (
      await t.api('POST', '/v2/jobs/activation', {
        type: 'notify-contractor',
        worker: 'w',
        timeout: 30000,
        maxJobsToActivate: 10,
      })
    ).body.jobs.find((j: any) => j.processInstanceKey === key);
    expect((await t.api('POST', `/v2/jobs/${job.jobKey}/error`, { errorCode: 'NO_CONTRACT' })).status).toBe(
      204,
    );
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items[0]).toMatchObject({
      errorType: 'UNHANDLED_ERROR_EVENT',
      elementId: 'notify',
    });
    expect(incidents.body.items[0].errorMessage).toContain("'NO_CONTRACT'");
    const missingCode = await t.api('POST', `/v2/jobs/${job.jobKey}/error`, {});
    expect(missingCode.status).toBe(400);
    expect(missingCode.body.errors).toEqual([{ field: 'errorCode', reason: 'is required' }]);
  });

  it('raises an incident naming the gateway when no condition is true and there is no default', async () => {
    const xml = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="gw-incident" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="Gateway_1"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="Gateway_1"/>
    <bpmn:sequenceFlow id="b" sourceRef="Gateway_1" targetRef="e"><bpmn:conditionExpression>=x = 1</bpmn:conditionExpression></bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>`;
    expect((await t.deploy([{ name: 'gw.bpmn', content: xml }])).status).toBe(200);
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'gw-incident',
      variables: { x: 2 },
    });
    const key = start.body.processInstanceKey;
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items[0]).toMatchObject({
      errorType: 'CONDITION_ERROR',
      elementId: 'Gateway_1',
      state: 'ACTIVE',
    });
    expect(incidents.body.items[0].errorMessage).toBe(
      'expected <Gateway_1> to have a true condition or a default flow',
    );
    const inc = await t.api('GET', `/v2/incidents/${incidents.body.items[0].incidentKey}`);
    expect(inc.body.processInstanceKey).toBe(key);
    // Resolving without fixing the data raises a fresh incident; the instance stays active.
    await t.api('POST', `/v2/incidents/${incidents.body.items[0].incidentKey}/resolution`);
    const after = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(after.body.items.map((i: any) => i.state).sort()).toEqual(['ACTIVE', 'RESOLVED']);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('ACTIVE');

    // Fix the data on the instance, then resolve: the gateway is evaluated again and passes.
    const fix = await t.api('PUT', `/v2/element-instances/${key}/variables`, { variables: { x: 1 } });
    expect(fix.status).toBe(204);
    const active = after.body.items.find((i: any) => i.state === 'ACTIVE');
    expect((await t.api('POST', `/v2/incidents/${active.incidentKey}/resolution`)).status).toBe(204);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body).toMatchObject({
      state: 'COMPLETED',
      hasIncident: false,
    });
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(history.body.items.find((h: any) => h.command === 'variables.set')).toMatchObject({
      eventType: 'variable.set',
      actor: 'admin',
      data: { name: 'x', value: 1, previous: 2 },
    });
    const ended = await t.api('PUT', `/v2/element-instances/${key}/variables`, { variables: { x: 1 } });
    expect(ended.status).toBe(409);
    expect(ended.body.detail).toContain('completed');
    const bad = await t.api('PUT', '/v2/element-instances/123/variables', {});
    expect(bad.body.errors).toEqual([{ field: 'variables', reason: 'is required' }]);
  });
});

describe('authentication and system endpoints', () => {
  it('refuses calls without valid credentials with 401 problem+json', async () => {
    const none = await fetch(`${t.baseUrl}/v2/topology`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(((await none.json()) as any).title).toBe('UNAUTHORIZED');
    const wrong = await t.api('GET', '/v2/topology', undefined, { user: 'admin', password: 'wrong' });
    expect(wrong.status).toBe(401);
    const bogusBearer = await t.api('GET', '/v2/topology', undefined, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(bogusBearer.status).toBe(401);
  });

  it('issues bearer tokens that work until revoked', async () => {
    const created = await t.api('POST', '/v2/auth/tokens', { name: 'ci worker' }, { user: 'eng1' });
    expect(created.status).toBe(201);
    const bearer = { authorization: `Bearer ${created.body.token}` };
    const me = await t.api('GET', '/v2/authentication/me', undefined, { headers: bearer });
    expect(me.body).toMatchObject({ username: 'eng1', groups: ['engineering'] });
    const list = await t.api('GET', '/v2/auth/tokens', undefined, { user: 'eng1' });
    expect(list.body.items.map((i: any) => i.name)).toEqual(['ci worker']);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(
      (await t.api('DELETE', `/v2/auth/tokens/${created.body.tokenKey}`, undefined, { user: 'eng1' })).status,
    ).toBe(204);
    expect((await t.api('GET', '/v2/authentication/me', undefined, { headers: bearer })).status).toBe(401);
  });

  it('reports topology and health', async () => {
    const topo = await t.api('GET', '/v2/topology');
    expect(topo.body).toMatchObject({ clusterSize: 1, partitionsCount: 1 });
    expect(topo.body.brokers[0].partitions[0]).toMatchObject({ role: 'leader', health: 'healthy' });
    const health = await fetch(`${t.baseUrl}/healthz`);
    expect(await health.json()).toEqual({ status: 'UP' });
    const unknown = await t.api('GET', '/v2/nothing-here');
    expect(unknown.status).toBe(404);
  });
});
