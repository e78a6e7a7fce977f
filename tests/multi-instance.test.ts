import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const defs = (id: string, task: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_${id}">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="s"/>${task}<bpmn:userTask id="next"/>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="sign"/><bpmn:sequenceFlow id="b" sourceRef="sign" targetRef="next"/>
  </bpmn:process>
</bpmn:definitions>`;
const signTask = (loop: string, extra = '') => `<bpmn:userTask id="sign" name="会签">
  <bpmn:extensionElements><zeebe:assignmentDefinition assignee="=approver"/>
    <zeebe:ioMapping><zeebe:output source="=decision" target="lastDecision"/></zeebe:ioMapping></bpmn:extensionElements>
  ${loop}${extra}</bpmn:userTask>`;
const loop = (
  sequential: boolean,
  condition?: string,
) => `<bpmn:multiInstanceLoopCharacteristics isSequential="${sequential}">
  <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=approvers" inputElement="approver" outputCollection="decisions" outputElement="={by: approver, decision: decision}"/></bpmn:extensionElements>
  ${condition ? `<bpmn:completionCondition>${condition}</bpmn:completionCondition>` : ''}
</bpmn:multiInstanceLoopCharacteristics>`;

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    { name: 'all.bpmn', content: defs('countersign', signTask(loop(false))) },
    {
      name: 'any.bpmn',
      content: defs('anysign', signTask(loop(false, '=numberOfCompletedInstances &gt;= 1'))),
    },
    { name: 'seq.bpmn', content: defs('sequential', signTask(loop(true))) },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const APPROVERS = ['eng1', 'ops1', 'sup1'];
const start = async (id: string, approvers = APPROVERS) =>
  (await t.api('POST', '/v2/process-instances', { processDefinitionId: id, variables: { approvers } })).body
    .processInstanceKey as string;
const open = async (key: string) =>
  (await t.api('POST', '/v2/user-tasks/search', { filter: { processInstanceKey: key, state: 'CREATED' } }))
    .body.items;
const complete = (task: any, decision: string) =>
  t.complete(task, { decision }, { user: task.assignee ?? 'admin' });
const rootVars = (key: string) => t.rootVariables(key);

describe('multi-instance user tasks', () => {
  it('会签: creates one task per approver in parallel and moves on when all have signed, collecting their decisions in order', async () => {
    const key = await start('countersign');
    const tasks = await open(key);
    expect(tasks.map((x: any) => x.assignee).sort()).toEqual([...APPROVERS].sort());
    const byAssignee = Object.fromEntries(tasks.map((x: any) => [x.assignee, x]));
    expect((await complete(byAssignee.sup1, 'approve')).status).toBe(204);
    expect((await complete(byAssignee.eng1, 'approve')).status).toBe(204);
    expect((await open(key)).map((x: any) => x.assignee)).toEqual(['ops1']);
    expect((await complete(byAssignee.ops1, 'reject')).status).toBe(204);
    const next = await open(key);
    expect(next.map((x: any) => x.elementId)).toEqual(['next']);
    const vars = await rootVars(key);
    expect(vars.decisions).toEqual([
      { by: 'eng1', decision: 'approve' },
      { by: 'ops1', decision: 'reject' },
      { by: 'sup1', decision: 'approve' },
    ]);
    const body = await t.api('POST', '/v2/element-instances/search', {
      filter: { processInstanceKey: key, type: 'MULTI_INSTANCE_BODY' },
    });
    expect(body.body.items).toHaveLength(1);
    expect(body.body.items[0]).toMatchObject({ elementId: 'sign', state: 'COMPLETED' });
  });

  it('或签: the first decision completes the activity and cancels the other tasks', async () => {
    const key = await start('anysign');
    const tasks = await open(key);
    expect(tasks).toHaveLength(3);
    await complete(
      tasks.find((x: any) => x.assignee === 'ops1'),
      'approve',
    );
    const after = await open(key);
    expect(after.map((x: any) => x.elementId)).toEqual(['next']);
    for (const other of tasks.filter((x: any) => x.assignee !== 'ops1')) {
      expect((await t.api('GET', `/v2/user-tasks/${other.userTaskKey}`)).body.state).toBe('CANCELED');
    }
    expect((await rootVars(key)).decisions).toEqual([null, { by: 'ops1', decision: 'approve' }, null]);
  });

  it('依次审批: asks the approvers one after the other, in the listed order', async () => {
    const key = await start('sequential');
    for (const approver of APPROVERS) {
      const tasks = await open(key);
      expect(tasks.map((x: any) => x.assignee)).toEqual([approver]);
      // Only the documented multi-instance variables are visible, never the engine's bookkeeping.
      const names = (
        await t.api('POST', '/v2/variables/search', {
          filter: { processInstanceKey: key },
          page: { limit: 100 },
        })
      ).body.items.map((v: any) => v.name);
      expect(names.filter((n: string) => n.startsWith('_'))).toEqual([]);
      expect(names).toContain('numberOfCompletedInstances');
      expect((await complete(tasks[0], 'approve')).status).toBe(204);
    }
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['next']);
  });

  it('moves straight on for an empty list, and raises an incident when the collection is not a list', async () => {
    const empty = await start('countersign', []);
    expect((await open(empty)).map((x: any) => x.elementId)).toEqual(['next']);
    expect((await rootVars(empty)).decisions).toEqual([]);
    const res = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'countersign',
      variables: { approvers: 'eng1' },
    });
    const incidents = await t.api('POST', '/v2/incidents/search', {
      filter: { processInstanceKey: res.body.processInstanceKey },
    });
    expect(incidents.body.items[0]).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: 'sign' });
    expect(incidents.body.items[0].errorMessage).toContain('to be a list');
  });
});
