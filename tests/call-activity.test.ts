import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const defs = (id: string, body: string, tag?: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_${id}">
  <bpmn:process id="${id}" isExecutable="true">${tag ? `<bpmn:extensionElements><zeebe:versionTag value="${tag}"/></bpmn:extensionElements>` : ''}${body}</bpmn:process>
</bpmn:definitions>`;
const flow = (id: string, from: string, to: string) =>
  `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"/>`;

// 移交 calls the reusable 整改 (rectification) process for each handover with open issues.
const PARENT = (called: string) =>
  defs(
    'handover-with-rectification',
    `<bpmn:startEvent id="s"/>
     <bpmn:callActivity id="callRectify"><bpmn:extensionElements>${called}</bpmn:extensionElements></bpmn:callActivity>
     <bpmn:userTask id="signOff"/>${flow('a', 's', 'callRectify')}${flow('b', 'callRectify', 'signOff')}`,
  );
const CHILD = (name: string, tag?: string) =>
  defs(
    'rectification',
    `<bpmn:startEvent id="cs"/><bpmn:userTask id="fix" name="${name}"/><bpmn:endEvent id="ce"/>${flow('c1', 'cs', 'fix')}${flow('c2', 'fix', 'ce')}`,
    tag,
  );

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    { name: 'parent.bpmn', content: PARENT('<zeebe:calledElement processId="rectification"/>') },
    { name: 'child.bpmn', content: CHILD('整改 v1', 'v1') },
  ]);
  expect(res.status, res.text).toBe(200);
  expect((await t.deploy([{ name: 'child.bpmn', content: CHILD('整改 v2', 'v2') }])).status).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = (id: string, variables: Record<string, unknown> = {}) => t.start(id, variables);
const childOf = async (parent: string) =>
  (await t.api('POST', '/v2/process-instances/search', { filter: { parentProcessInstanceKey: parent } })).body
    .items;
const openTasks = (key: string) => t.openTasks(key);

describe('call activities', () => {
  it('starts the latest version of the called process with the parent’s variables and continues with the child’s', async () => {
    const parent = await start('handover-with-rectification', { project: '一期', openIssues: 2 });
    const [child] = await childOf(parent);
    expect(child).toMatchObject({
      processDefinitionId: 'rectification',
      processDefinitionVersion: 2,
      state: 'ACTIVE',
      parentProcessInstanceKey: parent,
    });
    const vars = await t.api('POST', '/v2/variables/search', {
      filter: { processInstanceKey: child.processInstanceKey },
    });
    expect(Object.fromEntries(vars.body.items.map((v: any) => [v.name, JSON.parse(v.value)]))).toMatchObject({
      project: '一期',
      openIssues: 2,
    });
    const [fix] = await openTasks(child.processInstanceKey);
    expect(fix.name).toBe('整改 v2');
    expect(
      (
        await t.api('POST', `/v2/user-tasks/${fix.userTaskKey}/completion`, {
          variables: { openIssues: 0, fixedBy: 'con1' },
        })
      ).status,
    ).toBe(204);
    expect((await t.api('GET', `/v2/process-instances/${child.processInstanceKey}`)).body.state).toBe(
      'COMPLETED',
    );
    expect((await openTasks(parent)).map((x: any) => x.elementId)).toEqual(['signOff']);
    const parentVars = await t.api('POST', '/v2/variables/search', {
      filter: { processInstanceKey: parent, scopeKey: parent },
    });
    expect(
      Object.fromEntries(parentVars.body.items.map((v: any) => [v.name, JSON.parse(v.value)])),
    ).toMatchObject({ openIssues: 0, fixedBy: 'con1' });
  });

  it('binds to a version tag when asked', async () => {
    const res = await t.deploy([
      {
        name: 'parent.bpmn',
        content: PARENT(
          '<zeebe:calledElement processId="rectification" bindingType="versionTag" versionTag="v1"/>',
        ),
      },
    ]);
    expect(res.status).toBe(200);
    const parent = await start('handover-with-rectification');
    const [child] = await childOf(parent);
    expect(child.processDefinitionVersion).toBe(1);
    // back to "latest" for the other tests
    await t.deploy([
      { name: 'parent.bpmn', content: PARENT('<zeebe:calledElement processId="rectification"/>') },
    ]);
  });

  it('raises an incident when the called process does not exist, and calls it once deployed and resolved', async () => {
    const res = await t.deploy([
      {
        name: 'p2.bpmn',
        content: PARENT('<zeebe:calledElement processId="later"/>').replace(
          /handover-with-rectification/g,
          'calls-later',
        ),
      },
    ]);
    expect(res.status).toBe(200);
    const parent = await start('calls-later');
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: parent } });
    expect(incidents.body.items[0]).toMatchObject({
      errorType: 'CALLED_ELEMENT_ERROR',
      elementId: 'callRectify',
    });
    expect(incidents.body.items[0].errorMessage).toContain('<later>');
    await t.deploy([{ name: 'later.bpmn', content: CHILD('later').replace(/rectification/g, 'later') }]);
    expect(
      (await t.api('POST', `/v2/incidents/${incidents.body.items[0].incidentKey}/resolution`)).status,
    ).toBe(204);
    expect(await childOf(parent)).toHaveLength(1);
  });

  it('cancels the child with the parent, and the parent with the child', async () => {
    const p1 = await start('handover-with-rectification');
    const [c1] = await childOf(p1);
    expect((await t.api('POST', `/v2/process-instances/${p1}/cancellation`)).status).toBe(204);
    expect((await t.api('GET', `/v2/process-instances/${c1.processInstanceKey}`)).body.state).toBe(
      'TERMINATED',
    );
    const p2 = await start('handover-with-rectification');
    const [c2] = await childOf(p2);
    expect((await t.api('POST', `/v2/process-instances/${c2.processInstanceKey}/cancellation`)).status).toBe(
      204,
    );
    expect((await t.api('GET', `/v2/process-instances/${p2}`)).body.state).toBe('TERMINATED');
    expect((await t.api('GET', `/v2/process-instances/${c2.processInstanceKey}`)).body.state).toBe(
      'TERMINATED',
    );
  });

  it('hands an error the child does not catch to the call activity, whose boundary catches it', async () => {
    const child = defs(
      'failing-check',
      `<bpmn:startEvent id="cs"/><bpmn:endEvent id="noAccess"><bpmn:errorEventDefinition errorRef="e1"/></bpmn:endEvent>${flow('c1', 'cs', 'noAccess')}`,
    ).replace('<bpmn:process', '<bpmn:error id="e1" errorCode="SITE_CLOSED"/><bpmn:process');
    const parent = defs(
      'calls-failing',
      `<bpmn:startEvent id="s"/><bpmn:callActivity id="check"><bpmn:extensionElements><zeebe:calledElement processId="failing-check"/></bpmn:extensionElements></bpmn:callActivity>
       <bpmn:boundaryEvent id="closed" attachedToRef="check"><bpmn:errorEventDefinition errorRef="e1"/></bpmn:boundaryEvent>
       <bpmn:userTask id="reschedule"/><bpmn:endEvent id="e"/>${flow('a', 's', 'check')}${flow('b', 'check', 'e')}${flow('c', 'closed', 'reschedule')}`,
    ).replace('<bpmn:process', '<bpmn:error id="e1" errorCode="SITE_CLOSED"/><bpmn:process');
    const uncaught = parent
      .replace(/calls-failing/g, 'calls-failing-uncaught')
      .replace(/<bpmn:boundaryEvent[\s\S]*?<\/bpmn:boundaryEvent>/, '')
      .replace(flow('c', 'closed', 'reschedule'), '');
    expect(
      (
        await t.deploy([
          { name: 'fc.bpmn', content: child },
          { name: 'cf.bpmn', content: parent },
          { name: 'cfu.bpmn', content: uncaught },
        ])
      ).status,
    ).toBe(200);

    const key = await start('calls-failing');
    expect((await openTasks(key)).map((x: any) => x.elementId)).toEqual(['reschedule']);
    const [c] = await childOf(key);
    expect(c.state).toBe('TERMINATED');

    const other = await start('calls-failing-uncaught');
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: other } });
    expect(incidents.body.items[0]).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'check' });
    expect(incidents.body.items[0].errorMessage).toContain("'SITE_CLOSED'");
  });
});
