import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/**
 * Who approves, picked by people (发起人自选, 审批人自选) or by a rule set, with the reason in the
 * history; and where a rejection or a return goes: back to an earlier task (onReject="return",
 * the initiator), and whether the resubmission runs the path again or comes straight back to the
 * returner (lf:returnPolicy).
 */
let t: TestRuntime;

const NS = `xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"`;
const assigned = (user: string) =>
  `<bpmn:extensionElements><zeebe:assignmentDefinition assignee="${user}"/></bpmn:extensionElements>`;
/** A straight line of user tasks from start to end: [id, extensionElements]. */
const line = (id: string, tasks: Array<[string, string]>) => {
  const ids = ['s', ...tasks.map(([t]) => t), 'e'];
  return `<?xml version="1.0"?>
<bpmn:definitions ${NS} id="d_${id}">
  <bpmn:process id="${id}" name="竣工资料报审" isExecutable="true">
    <bpmn:startEvent id="s"/>
    ${tasks.map(([tid, ext]) => `<bpmn:userTask id="${tid}" name="${tid}">${ext}</bpmn:userTask>`).join('\n    ')}
    <bpmn:endEvent id="e"/>
    ${ids
      .slice(1)
      .map((to, i) => `<bpmn:sequenceFlow id="f${i}" sourceRef="${ids[i]}" targetRef="${to}"/>`)
      .join('\n    ')}
  </bpmn:process>
</bpmn:definitions>`;
};
const approval = (attrs: string, more = '') =>
  `<bpmn:extensionElements><lf:approval ${attrs}/>${more}</bpmn:extensionElements>`;

const ROUTING_RULES = JSON.stringify({
  id: 'approver-routing',
  name: '按金额确定审批人',
  rules: [
    {
      conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 100000 }] },
      event: { type: 'large', params: { approvers: ['sup1', 'ops1'] } },
    },
    {
      conditions: { all: [{ fact: 'amount', operator: 'lessThanInclusive', value: 100000 }] },
      event: { type: 'small', params: { approvers: 'eng1' } },
    },
  ],
});

beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    {
      name: 'picks.bpmn',
      content: line('initiator-picks', [['sign', approval('mode="all" strategy="initiatorPicks"')]]),
    },
    {
      name: 'next-picks.bpmn',
      content: line('previous-picks', [
        ['first', approval('assignees="eng1"')],
        ['second', approval('mode="any" strategy="previousPicks"')],
      ]),
    },
    {
      name: 'rules.bpmn',
      content: line('rule-routed', [
        ['sign', approval('mode="all" strategy="ruleSet" ruleSet="approver-routing"')],
      ]),
    },
    { name: 'approver-routing.json', content: ROUTING_RULES },
    {
      name: 'reject-return.bpmn',
      content: line('reject-return', [
        ['submit', assigned('con1')],
        ['check', assigned('eng1')],
        ['review', approval('mode="all" assignees="ops1, sup1" onReject="return" returnTo="initiator"')],
      ]),
    },
    {
      name: 'returner.bpmn',
      content: line('straight-back', [
        ['submit', assigned('con1')],
        ['check', assigned('eng1')],
        ['sign', approval('assignees="sup1"', '<lf:returnPolicy resubmit="returner"/>')],
      ]),
    },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = async (id: string, body: Record<string, unknown> = {}, user = 'con1') =>
  t.api('POST', '/v2/process-instances', { processDefinitionId: id, ...body }, { user });
const started = (id: string, body: Record<string, unknown> = {}, user = 'con1') => t.startAs(user, id, body);
const holders = async (key: string) =>
  (await t.openTasks(key)).map((x: any) => `${x.elementId}:${x.assignee}`).sort();
const taskOf = (key: string, user: string) => t.taskOf(key, user);
const decide = async (key: string, user: string, body: Record<string, unknown>) =>
  t.api('POST', `/v2/user-tasks/${(await taskOf(key, user)).userTaskKey}/decision`, body, { user });
const history = async (key: string) =>
  (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items;
const routings = async (key: string) =>
  (await history(key)).filter((h: any) => h.eventType === 'approval.routed').map((h: any) => h.data);

describe('发起人自选: the initiator picks the approvers when starting', () => {
  it('requires the picks of every such node, checks them, and routes to who was picked', async () => {
    const missing = await start('initiator-picks');
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([
      { field: 'approvers.sign', reason: expect.stringContaining('is required') },
    ]);

    const wrong = await start('initiator-picks', {
      approvers: { sign: ['eng1', 'nobody-here'], other: ['eng1'] },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'approvers.sign', reason: expect.stringContaining('<nobody-here>') },
        { field: 'approvers.other', reason: expect.stringContaining('is not an approval') },
      ]),
    );
    const notAList = await start('initiator-picks', { approvers: { sign: 'eng1' } });
    expect(notAList.body.errors).toEqual([
      { field: 'approvers.sign', reason: expect.stringContaining('list') },
    ]);
    // Nothing was started by the refused requests.
    const mine = await t.api('POST', '/v2/process-instances/search', {
      filter: { processDefinitionId: 'initiator-picks' },
    });
    expect(mine.body.items).toEqual([]);

    const key = await started('initiator-picks', { approvers: { sign: ['eng1', 'ops1'] } });
    expect(await holders(key)).toEqual(['sign:eng1', 'sign:ops1']);
    expect(await routings(key)).toEqual([
      expect.objectContaining({
        strategy: { kind: 'initiatorPicks' },
        approvers: ['eng1', 'ops1'],
        reason: 'picked by the initiator <con1> when starting',
      }),
    ]);
  });
});

describe('审批人自选: whoever decides the step before picks the next approvers', () => {
  it('refuses an approval without the picks, leaving the task as it was; then routes to the picked', async () => {
    const key = await started('previous-picks');
    const refused = await decide(key, 'eng1', { decision: 'approve' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      { field: 'nextApprovers.second', reason: expect.stringContaining('pick the approvers') },
    ]);
    expect(await holders(key)).toEqual(['first:eng1']);

    const badPick = await decide(key, 'eng1', { decision: 'approve', nextApprovers: { first: ['ops1'] } });
    expect(badPick.status).toBe(400);
    expect(badPick.body.errors[0].field).toBe('nextApprovers.first');

    expect(
      (await decide(key, 'eng1', { decision: 'approve', nextApprovers: { second: ['ops1', 'sup1'] } }))
        .status,
    ).toBe(204);
    expect(await holders(key)).toEqual(['second:ops1', 'second:sup1']);
    const [, second] = await routings(key);
    expect(second).toMatchObject({
      strategy: { kind: 'previousPicks' },
      approvers: ['ops1', 'sup1'],
      reason: 'picked by <eng1> when deciding the step before',
    });
    expect((await decide(key, 'sup1', { decision: 'approve' })).status).toBe(204);
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });
});

describe('routing by a rule set and by the model', () => {
  it('asks the rule set with the instance variables and records which rule fired', async () => {
    const large = await started('rule-routed', { variables: { amount: 250000 } });
    expect(await holders(large)).toEqual(['sign:ops1', 'sign:sup1']);
    expect((await routings(large))[0]).toMatchObject({
      strategy: { kind: 'ruleSet', ruleSetId: 'approver-routing' },
      approvers: ['sup1', 'ops1'],
      reason: "rule set <approver-routing> fired 'large', naming <sup1>, <ops1>",
    });
    const small = await started('rule-routed', { variables: { amount: 800 } });
    expect(await holders(small)).toEqual(['sign:eng1']);
  });

  it('records listed approvers with their reason too', async () => {
    const key = await started('previous-picks');
    expect(await routings(key)).toEqual([
      expect.objectContaining({
        strategy: { kind: 'assignees', assignees: 'eng1' },
        approvers: ['eng1'],
        reason: 'listed in the model',
      }),
    ]);
  });
});

describe('where rejections and returns go', () => {
  it('onReject="return": a rejection sends the request back to the initiator’s task; resubmitting runs the path again', async () => {
    const key = await started('reject-return');
    expect((await t.complete(await taskOf(key, 'con1'), {}, { user: 'con1' })).status).toBe(204);
    expect((await t.complete(await taskOf(key, 'eng1'), {}, { user: 'eng1' })).status).toBe(204);
    expect(await holders(key)).toEqual(['review:ops1', 'review:sup1']);

    const rejected = await decide(key, 'sup1', { decision: 'reject', comment: '竣工图不全' });
    expect(rejected.status, rejected.text).toBe(204);
    // Back to the initiator's own task (not the previous one, eng1's check); the other signer's task ended.
    expect(await holders(key)).toEqual(['submit:con1']);
    const returned = (await history(key)).find((h: any) => h.eventType === 'task.returned');
    expect(returned.data).toMatchObject({
      targetElementId: 'submit',
      comment: '竣工图不全',
      assignee: 'con1',
    });

    expect((await t.complete(await taskOf(key, 'con1'), {}, { user: 'con1' })).status).toBe(204);
    expect(await holders(key)).toEqual(['check:eng1']);
  });

  it('退回 to the initiator by name, and resubmit="returner" comes straight back to whoever returned it', async () => {
    const key = await started('straight-back');
    expect((await t.complete(await taskOf(key, 'con1'), {}, { user: 'con1' })).status).toBe(204);
    expect((await t.complete(await taskOf(key, 'eng1'), {}, { user: 'eng1' })).status).toBe(204);
    const sign = await taskOf(key, 'sup1');
    const back = await t.api(
      'POST',
      `/v2/user-tasks/${sign.userTaskKey}/return`,
      { target: 'initiator', comment: '请补充备品备件清单' },
      { user: 'sup1' },
    );
    expect(back.status, back.text).toBe(204);
    expect(await holders(key)).toEqual(['submit:con1']);
    // The resubmission skips eng1's check: the returner decides again at once.
    expect((await t.complete(await taskOf(key, 'con1'), {}, { user: 'con1' })).status).toBe(204);
    expect(await holders(key)).toEqual(['sign:sup1']);
    expect((await decide(key, 'sup1', { decision: 'approve' })).status).toBe(204);
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });

  it('退回 racing the completion of the same task: exactly one happens, and the history says which', async () => {
    for (let round = 0; round < 3; round++) {
      const key = await started('straight-back');
      expect((await t.complete(await taskOf(key, 'con1'), {}, { user: 'con1' })).status).toBe(204);
      const check = await taskOf(key, 'eng1');
      const [returned, completed] = await Promise.all([
        t.api(
          'POST',
          `/v2/user-tasks/${check.userTaskKey}/return`,
          { comment: '图纸缺页' },
          { user: 'admin' },
        ),
        t.api('POST', `/v2/user-tasks/${check.userTaskKey}/completion`, { variables: {} }, { user: 'eng1' }),
      ]);
      expect([returned.status, completed.status].sort()).toEqual([204, 409]);
      const types = (await history(key)).map((h: any) => h.eventType);
      if (returned.status === 204) {
        expect(await holders(key)).toEqual(['submit:con1']);
        expect(types).toContain('task.returned');
        expect(types.filter((x: string) => x === 'task.completed')).toHaveLength(1);
      } else {
        expect(await holders(key)).toEqual(['sign:sup1']);
        expect(types).not.toContain('task.returned');
      }
    }
  });

  it('names the choices when there is nothing to return to', async () => {
    const key = await started('straight-back', {}, 'owner');
    const submit = (await t.openTasks(key))[0];
    const res = await t.api(
      'POST',
      `/v2/user-tasks/${submit.userTaskKey}/return`,
      { target: 'initiator', comment: '退回' },
      { user: 'con1' },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'target', reason: 'must be previous, initiator or one of: (none)' },
    ]);
  });
});
