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
    expect((await t.complete(fix, { openIssues: 0, fixedBy: 'con1' })).status).toBe(204);
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

    // Nobody up the hierarchy catches it: the incident is raised in the child at the thrower (as
    // Zeebe does), and the parent keeps waiting at its call activity.
    const other = await start('calls-failing-uncaught');
    const [oc] = await childOf(other);
    expect(oc.state).toBe('ACTIVE');
    const incidents = await t.api('POST', '/v2/incidents/search', {
      filter: { processInstanceKey: oc.processInstanceKey },
    });
    expect(incidents.body.items).toHaveLength(1);
    expect(incidents.body.items[0]).toMatchObject({
      errorType: 'UNHANDLED_ERROR_EVENT',
      elementId: 'noAccess',
    });
    expect(incidents.body.items[0].errorMessage).toContain("'SITE_CLOSED'");
    expect(await t.elements(other)).toContain('check:ACTIVE');
    const parentIncidents = await t.api('POST', '/v2/incidents/search', {
      filter: { processInstanceKey: other },
    });
    expect(parentIncidents.body.items).toHaveLength(0);
  });

  it('lets a grandparent catch an error that neither the child nor the parent catches', async () => {
    const err = '<bpmn:error id="e2" errorCode="PERMIT_REVOKED"/>';
    const grandchild = defs(
      'permit-check',
      `<bpmn:startEvent id="gs"/><bpmn:serviceTask id="askAuthority"><bpmn:extensionElements><zeebe:taskDefinition type="permit-authority"/></bpmn:extensionElements></bpmn:serviceTask>${flow('g1', 'gs', 'askAuthority')}`,
    );
    const middle = defs(
      'site-works',
      `<bpmn:startEvent id="ms"/><bpmn:callActivity id="callPermit"><bpmn:extensionElements><zeebe:calledElement processId="permit-check"/></bpmn:extensionElements></bpmn:callActivity>${flow('m1', 'ms', 'callPermit')}`,
    );
    const top = defs(
      'project-delivery',
      `<bpmn:startEvent id="ts"/><bpmn:callActivity id="callWorks"><bpmn:extensionElements><zeebe:calledElement processId="site-works"/></bpmn:extensionElements></bpmn:callActivity>
       <bpmn:boundaryEvent id="revoked" attachedToRef="callWorks"><bpmn:errorEventDefinition errorRef="e2"/></bpmn:boundaryEvent>
       <bpmn:userTask id="replan"/>${flow('t1', 'ts', 'callWorks')}${flow('t2', 'revoked', 'replan')}`,
    ).replace('<bpmn:process', `${err}<bpmn:process`);
    const res = await t.deploy([
      { name: 'g.bpmn', content: grandchild },
      { name: 'm.bpmn', content: middle },
      { name: 't.bpmn', content: top },
    ]);
    expect(res.status, res.text).toBe(200);
    const key = await start('project-delivery');
    const [mid] = await childOf(key);
    const [leaf] = await childOf(mid.processInstanceKey);
    const jobs = await t.api('POST', '/v2/jobs/activation', {
      type: 'permit-authority',
      worker: 'w',
      timeout: 60000,
      maxJobsToActivate: 1,
    });
    expect(jobs.body.jobs).toHaveLength(1);
    expect(jobs.body.jobs[0].processInstanceKey).toBe(leaf.processInstanceKey);
    const thrown = await t.api('POST', `/v2/jobs/${jobs.body.jobs[0].jobKey}/error`, {
      errorCode: 'PERMIT_REVOKED',
      variables: { reason: '许可证被撤销' },
    });
    expect(thrown.status, thrown.text).toBe(204);
    expect((await openTasks(key)).map((x: any) => x.elementId)).toEqual(['replan']);
    for (const k of [mid.processInstanceKey, leaf.processInstanceKey])
      expect((await t.api('GET', `/v2/process-instances/${k}`)).body.state).toBe('TERMINATED');
    expect(await t.rootVariables(key)).toMatchObject({ reason: '许可证被撤销' });
  });

  it('hands an escalation the child does not catch to the call activity', async () => {
    const esc = '<bpmn:escalation id="x1" escalationCode="OVERDUE"/>';
    // The child escalates and goes on; its call activity catches OVERDUE without or with interrupting.
    const child = defs(
      'rectify-with-escalation',
      `<bpmn:startEvent id="cs"/><bpmn:intermediateThrowEvent id="late"><bpmn:escalationEventDefinition escalationRef="x1"/></bpmn:intermediateThrowEvent>
       <bpmn:userTask id="fixIt"/>${flow('c1', 'cs', 'late')}${flow('c2', 'late', 'fixIt')}`,
    ).replace('<bpmn:process', `${esc}<bpmn:process`);
    const parent = (id: string, interrupting: boolean) =>
      defs(
        id,
        `<bpmn:startEvent id="s"/><bpmn:callActivity id="callFix"><bpmn:extensionElements><zeebe:calledElement processId="rectify-with-escalation"/></bpmn:extensionElements></bpmn:callActivity>
         <bpmn:boundaryEvent id="overdue" attachedToRef="callFix" cancelActivity="${interrupting}"><bpmn:escalationEventDefinition escalationRef="x1"/></bpmn:boundaryEvent>
         <bpmn:userTask id="notifyManager"/>${flow('a', 's', 'callFix')}${flow('b', 'overdue', 'notifyManager')}`,
      ).replace('<bpmn:process', `${esc}<bpmn:process`);
    const plain = defs(
      'calls-escalating',
      `<bpmn:startEvent id="s"/><bpmn:callActivity id="callFix"><bpmn:extensionElements><zeebe:calledElement processId="rectify-with-escalation"/></bpmn:extensionElements></bpmn:callActivity>${flow('a', 's', 'callFix')}`,
    );
    const res = await t.deploy([
      { name: 'ce.bpmn', content: child },
      { name: 'p1.bpmn', content: parent('escalation-noninterrupting', false) },
      { name: 'p2.bpmn', content: parent('escalation-interrupting', true) },
      { name: 'p3.bpmn', content: plain },
    ]);
    expect(res.status, res.text).toBe(200);

    const soft = await start('escalation-noninterrupting');
    const [softChild] = await childOf(soft);
    expect((await openTasks(soft)).map((x: any) => x.elementId)).toEqual(['notifyManager']);
    expect(softChild.state).toBe('ACTIVE');
    expect((await openTasks(softChild.processInstanceKey)).map((x: any) => x.elementId)).toEqual(['fixIt']);
    expect(await t.elements(soft)).toContain('callFix:ACTIVE');

    const hard = await start('escalation-interrupting');
    const [hardChild] = await childOf(hard);
    expect((await openTasks(hard)).map((x: any) => x.elementId)).toEqual(['notifyManager']);
    expect((await t.api('GET', `/v2/process-instances/${hardChild.processInstanceKey}`)).body.state).toBe(
      'TERMINATED',
    );
    expect(await t.elements(hard)).toContain('callFix:TERMINATED');

    // Uncaught anywhere: nothing happens, the child goes on.
    const none = await start('calls-escalating');
    const [noneChild] = await childOf(none);
    expect((await openTasks(noneChild.processInstanceKey)).map((x: any) => x.elementId)).toEqual(['fixIt']);
    expect(await t.elements(none)).toContain('callFix:ACTIVE');
  });
});
