import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

const bpmn = (id: string, body: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_${id}">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;

const TWO_TASKS = bpmn(
  'two-tasks',
  `<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
   <bpmn:parallelGateway id="fork"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing><bpmn:outgoing>c</bpmn:outgoing></bpmn:parallelGateway>
   <bpmn:userTask id="first"><bpmn:incoming>b</bpmn:incoming><bpmn:outgoing>d</bpmn:outgoing></bpmn:userTask>
   <bpmn:userTask id="second"><bpmn:incoming>c</bpmn:incoming><bpmn:outgoing>e</bpmn:outgoing></bpmn:userTask>
   <bpmn:endEvent id="e1"><bpmn:incoming>d</bpmn:incoming></bpmn:endEvent>
   <bpmn:endEvent id="e2"><bpmn:incoming>e</bpmn:incoming></bpmn:endEvent>
   <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="fork"/>
   <bpmn:sequenceFlow id="b" sourceRef="fork" targetRef="first"/>
   <bpmn:sequenceFlow id="c" sourceRef="fork" targetRef="second"/>
   <bpmn:sequenceFlow id="d" sourceRef="first" targetRef="e1"/>
   <bpmn:sequenceFlow id="e" sourceRef="second" targetRef="e2"/>`,
);

const SERVICE = bpmn(
  'one-job',
  `<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
   <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="robustness-work"/></bpmn:extensionElements><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:serviceTask>
   <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
   <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="work"/>
   <bpmn:sequenceFlow id="b" sourceRef="work" targetRef="e"/>`,
);

describe('robustness of the API', () => {
  it('answers 409 to every losing completion of a task while the instance goes on', async () => {
    expect((await t.deploy([{ name: 'two.bpmn', content: TWO_TASKS }])).status).toBe(200);
    const start = await t.api('POST', '/v2/process-instances', { processDefinitionId: 'two-tasks' });
    const key = start.body.processInstanceKey;
    const tasks = await t.api('POST', '/v2/user-tasks/search', {
      filter: { processInstanceKey: key, elementId: 'first' },
    });
    const task = tasks.body.items[0];
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'admin' })).status,
    ).toBe(204);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, { variables: {} }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([204, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.detail).toContain('completed');
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('ACTIVE');
  });

  it('rejects filter values of the wrong type and keys out of range with 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ filter: { processInstanceKey: 'abc' } }, 'filter.processInstanceKey'],
      [{ filter: { hasIncident: 'maybe' } }, 'filter.hasIncident'],
      [{ filter: { state: { $in: [] } } }, 'filter.state.$in'],
      [{ filter: { startDate: { $gt: 'yesterday' } } }, 'filter.startDate.$gt'],
      [{ filter: { state: { $regex: '.*' } } }, 'filter.state.$regex'],
      [{ sort: [null] }, 'sort'],
    ];
    for (const [body, field] of cases) {
      const res = await t.api('POST', '/v2/process-instances/search', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    }
    const tooBig = await t.api('GET', '/v2/process-instances/9999999999999999999');
    expect(tooBig.status).toBe(400);
    const groups = await t.api('POST', '/v2/user-tasks/search', {
      filter: { candidateGroup: { $in: ['engineering', 'operations'] } },
    });
    expect(groups.status).toBe(200);
  });

  it('never evaluates FEEL while deploying, and rejects what does not parse', async () => {
    const heavy = bpmn(
      'heavy-feel',
      `<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
       <bpmn:scriptTask id="big"><bpmn:extensionElements><zeebe:script expression="=count(for i in 1..100000000 return i)" resultVariable="n"/></bpmn:extensionElements><bpmn:incoming>a</bpmn:incoming></bpmn:scriptTask>
       <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="big"/>`,
    );
    const started = Date.now();
    expect((await t.deploy([{ name: 'heavy.bpmn', content: heavy }])).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const broken = heavy
      .replace('heavy-feel', 'broken-feel')
      .replace('=count(for i in 1..100000000 return i)', '=count(');
    const res = await t.deploy([{ name: 'broken.bpmn', content: broken }]);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ field: 'broken.bpmn#big' });
    expect(res.body.errors[0].reason).toContain('not a valid FEEL expression');
  });

  it('refuses mapping targets that would reach the prototype', async () => {
    const evil = bpmn(
      'proto',
      `<bpmn:startEvent id="s"><bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=&quot;x&quot;" target="__proto__.polluted"/></zeebe:ioMapping></bpmn:extensionElements><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
       <bpmn:endEvent id="e"><bpmn:incoming>a</bpmn:incoming></bpmn:endEvent>
       <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="e"/>`,
    );
    const res = await t.deploy([{ name: 'proto.bpmn', content: evil }]);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].reason).toContain("mapping target '__proto__.polluted'");
    expect(({} as any).polluted).toBeUndefined();
  });

  it('keeps a variable named __proto__ an ordinary variable', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'two-tasks',
      variables: JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}'),
    });
    expect(start.status).toBe(200);
    expect(({} as any).polluted).toBeUndefined();
    const vars = await t.api('POST', '/v2/variables/search', {
      filter: { processInstanceKey: start.body.processInstanceKey },
    });
    expect(vars.body.items.map((v: any) => v.name).sort()).toEqual(['__proto__', 'plain']);
  });

  it('does not lock a job for a long-polling worker that went away', async () => {
    expect((await t.deploy([{ name: 'job.bpmn', content: SERVICE }])).status).toBe(200);
    const gone = new AbortController();
    const poll = fetch(`${t.baseUrl}/v2/jobs/activation`, {
      method: 'POST',
      signal: gone.signal,
      headers: {
        authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        type: 'robustness-work',
        worker: 'gone',
        timeout: 60000,
        maxJobsToActivate: 1,
        requestTimeout: 20000,
      }),
    }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    gone.abort();
    await poll;
    await new Promise((r) => setTimeout(r, 100));
    const start = await t.api('POST', '/v2/process-instances', { processDefinitionId: 'one-job' });
    await new Promise((r) => setTimeout(r, 200));
    const act = await t.api('POST', '/v2/jobs/activation', {
      type: 'robustness-work',
      worker: 'here',
      timeout: 60000,
      maxJobsToActivate: 1,
      requestTimeout: -1,
    });
    expect(act.body.jobs).toHaveLength(1);
    expect(act.body.jobs[0]).toMatchObject({
      worker: 'here',
      processInstanceKey: start.body.processInstanceKey,
    });
  });

  it('serves stored models so a browser cannot run them, and limits uploads', async () => {
    const defs = await t.api('POST', '/v2/process-definitions/search', {
      filter: { processDefinitionId: 'two-tasks' },
    });
    const xml = await t.api('GET', `/v2/process-definitions/${defs.body.items[0].processDefinitionKey}/xml`);
    expect(xml.headers.get('x-content-type-options')).toBe('nosniff');
    expect(xml.headers.get('content-security-policy')).toContain('sandbox');
    const huge = await t.deploy([{ name: 'huge.bpmn', content: `<!--${'x'.repeat(2 * 1024 * 1024)}-->` }]);
    expect(huge.status).toBe(400);
    expect(huge.body.errors[0].reason).toContain('at most');
    const many = await t.deploy(
      Array.from({ length: 21 }, (_, i) => ({ name: `f${i}.bpmn`, content: TWO_TASKS })),
    );
    expect(many.status).toBe(400);
  });

  it('reads no request body before the caller is authenticated', async () => {
    const res = await fetch(`${t.baseUrl}/v2/process-instances`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{broken',
    });
    expect(res.status).toBe(401);
  });
});
