import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/**
 * Approval nodes (`lf:approval` on a user task): 会签 (all), 或签 (any), 依次 (sequential),
 * 票签 (vote) and single approvals, decided with POST /v2/user-tasks/{key}/decision.
 */
let t: TestRuntime;

const approvalProcess = (id: string, approval: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_${id}">
  <bpmn:process id="${id}" name="竣工资料审批" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="sign" name="联合审批"><bpmn:extensionElements>${approval}</bpmn:extensionElements></bpmn:userTask>
    <bpmn:exclusiveGateway id="ok" default="rework"/>
    <bpmn:userTask id="archive" name="归档"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="owner"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="fix" name="整改"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="con1"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="ok"/>
    <bpmn:sequenceFlow id="pass" sourceRef="ok" targetRef="archive"><bpmn:conditionExpression>=approved</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="rework" sourceRef="ok" targetRef="fix"/>
  </bpmn:process>
</bpmn:definitions>`;

const SIGNERS = ['eng1', 'ops1', 'sup1'];
const PROCESSES = {
  countersign: '<lf:approval mode="all" assignees="eng1, ops1, sup1"/>',
  orSign: '<lf:approval mode="any" assignees="=signers"/>',
  inTurn: '<lf:approval mode="sequential" assignees="eng1, ops1, sup1"/>',
  ballot: '<lf:approval mode="vote" passRatio="0.6" assignees="=signers"/>',
  single: '<lf:approval assignees="eng1"/>',
  endsOnReject: '<lf:approval mode="all" assignees="eng1, ops1" onReject="end"/>',
  nobody: '<lf:approval mode="all" assignees="=signers"/>',
};

beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy(
    Object.entries(PROCESSES).map(([id, a]) => ({ name: `${id}.bpmn`, content: approvalProcess(id, a) })),
  );
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = (id: string, signers = SIGNERS) =>
  t
    .api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: id, variables: { signers } },
      { user: 'owner' },
    )
    .then((r) => {
      expect(r.status, r.text).toBe(200);
      return r.body.processInstanceKey as string;
    });
const open = (key: string) => t.openTasks(key);
const taskOf = async (key: string, user: string) => (await open(key)).find((x: any) => x.assignee === user);
const decide = async (key: string, user: string, decision: 'approve' | 'reject', comment?: string) => {
  const task = await taskOf(key, user);
  expect(task, `an open task for ${user}`).toBeTruthy();
  return t.api('POST', `/v2/user-tasks/${task.userTaskKey}/decision`, { decision, comment }, { user });
};
const vars = async (key: string): Promise<Record<string, any>> => t.rootVariables(key);

describe('approval modes', () => {
  it('会签 (all): everyone must approve; the decisions are kept in order with their comments', async () => {
    const key = await start('countersign');
    expect((await open(key)).map((x: any) => x.assignee).sort()).toEqual([...SIGNERS].sort());
    for (const [i, u] of SIGNERS.entries()) {
      expect((await decide(key, u, 'approve', i === 1 ? '同意' : undefined)).status).toBe(204);
      if (i < 2) expect((await open(key)).length).toBe(2 - i);
    }
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['archive']);
    const v = await vars(key);
    expect(v.approved).toBe(true);
    expect(v.approvalDecisions).toEqual([
      { approver: 'eng1', decision: 'approve', comment: null },
      { approver: 'ops1', decision: 'approve', comment: '同意' },
      { approver: 'sup1', decision: 'approve', comment: null },
    ]);
    // the decision and comment stay with each signer's task, not in the process variables
    expect(v).not.toHaveProperty('decision');
  });

  it('会签 (all): one rejection decides at once; the other signers’ tasks are cancelled', async () => {
    const key = await start('countersign');
    expect((await decide(key, 'eng1', 'approve')).status).toBe(204);
    expect((await decide(key, 'ops1', 'reject', '资料不全')).status).toBe(204);
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['fix']);
    const v = await vars(key);
    expect(v.approved).toBe(false);
    expect(v.approvalDecisions[1]).toEqual({ approver: 'ops1', decision: 'reject', comment: '资料不全' });
    expect(v.approvalDecisions[2]).toBeNull();
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    const done = history.body.items.find((h: any) => h.eventType === 'approval.completed');
    expect(done).toMatchObject({
      elementId: 'sign',
      actor: 'ops1',
      data: { approved: false, endsProcess: false },
    });
  });

  it('或签 (any): the first decision wins', async () => {
    const key = await start('orSign', ['eng1', 'ops1']);
    expect((await decide(key, 'ops1', 'approve')).status).toBe(204);
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['archive']);
    expect((await vars(key)).approved).toBe(true);
  });

  it('依次 (sequential): one signer after the other, in the listed order; a rejection stops it', async () => {
    const key = await start('inTurn');
    expect((await open(key)).map((x: any) => x.assignee)).toEqual(['eng1']);
    expect((await decide(key, 'eng1', 'approve')).status).toBe(204);
    expect((await open(key)).map((x: any) => x.assignee)).toEqual(['ops1']);
    expect((await decide(key, 'ops1', 'reject', '需要补充竣工图')).status).toBe(204);
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['fix']);
    expect((await vars(key)).approved).toBe(false);
  });

  it('票签 (vote): passes once the ratio is reached, fails as soon as it can no longer be', async () => {
    const five = ['eng1', 'ops1', 'sup1', 'des1', 'field1'];
    const pass = await start('ballot', five);
    for (const u of ['eng1', 'ops1']) expect((await decide(pass, u, 'approve')).status).toBe(204);
    expect((await decide(pass, 'sup1', 'reject', '不同意')).status).toBe(204);
    expect((await open(pass)).length).toBe(2); // 2 of 5 approve: 3 needed, still reachable
    expect((await decide(pass, 'des1', 'approve')).status).toBe(204); // 3 of 5 = 0.6
    expect((await open(pass)).map((x: any) => x.elementId)).toEqual(['archive']);
    expect((await vars(pass)).approved).toBe(true);

    const fail = await start('ballot', five);
    expect((await decide(fail, 'eng1', 'reject', '否')).status).toBe(204);
    expect((await decide(fail, 'ops1', 'reject', '否')).status).toBe(204);
    expect((await open(fail)).length).toBe(3); // 2 rejections: 3 approvals still possible
    expect((await decide(fail, 'sup1', 'reject', '否')).status).toBe(204);
    expect((await open(fail)).map((x: any) => x.elementId)).toEqual(['fix']);
    expect((await vars(fail)).approved).toBe(false);
  });

  it('ends the whole process as rejected when the node says so, and tells the starter', async () => {
    const key = await start('endsOnReject');
    expect((await decide(key, 'eng1', 'reject', '不符合移交条件')).status).toBe(204);
    expect(await t.stateOf(key)).toBe('COMPLETED');
    expect(await open(key)).toEqual([]);
    expect((await vars(key)).approved).toBe(false);
    const told = await t.api(
      'POST',
      '/v2/notifications/search',
      { filter: { processInstanceKey: key } },
      { user: 'owner' },
    );
    expect(told.body.items.map((n: any) => n.event)).toEqual(['INSTANCE_REJECTED']);
  });

  it('raises an incident instead of waiting forever when there is nobody to approve', async () => {
    const key = await start('nobody', []);
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items[0].errorMessage).toContain('has no approvers');
  });
});

describe('deciding', () => {
  it('needs a comment to reject, a valid decision, and the approver; plain completion is refused', async () => {
    const key = await start('single');
    const task = await taskOf(key, 'eng1');
    const noComment = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/decision`,
      { decision: 'reject' },
      { user: 'eng1' },
    );
    expect(noComment.status).toBe(400);
    expect(noComment.body.errors).toEqual([{ field: 'comment', reason: 'is required when rejecting' }]);
    const wrong = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/decision`,
      { decision: 'maybe' },
      { user: 'eng1' },
    );
    expect(wrong.body.errors[0]).toMatchObject({ field: 'decision' });
    const notMine = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/decision`,
      { decision: 'approve' },
      { user: 'ops1' },
    );
    expect(notMine.status).toBe(403);
    expect(notMine.body.detail).toContain('assigned to <eng1>');
    const plain = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/completion`,
      { variables: {} },
      { user: 'eng1' },
    );
    expect(plain.status).toBe(409);
    expect(plain.body.detail).toContain('decision');
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['sign']);
    expect((await decide(key, 'eng1', 'approve')).status).toBe(204);
    // and a plain task cannot be "decided"
    const [archive] = await open(key);
    const notApproval = await t.api(
      'POST',
      `/v2/user-tasks/${archive.userTaskKey}/decision`,
      { decision: 'approve' },
      { user: 'owner' },
    );
    expect(notApproval.status).toBe(409);
  });

  it('eight signers deciding at the same moment: every decision is applied or refused cleanly, the node completes once', async () => {
    const eight = ['admin', 'owner', 'field1', 'eng1', 'ops1', 'sup1', 'des1', 'con1'];
    const decideAll = async (key: string) =>
      Promise.all(
        (await open(key)).map((task: any) =>
          t.api(
            'POST',
            `/v2/user-tasks/${task.userTaskKey}/decision`,
            { decision: 'approve' },
            { user: task.assignee },
          ),
        ),
      );
    // 会签 (all): every one of the eight decisions counts
    const all = await start('nobody', eight);
    expect((await decideAll(all)).map((r) => r.status)).toEqual(eight.map(() => 204));
    expect((await vars(all)).approvalDecisions.map((d: any) => d.approver)).toEqual(eight);
    // 票签 at 0.6 of 8 completes after the fifth approval: later ones find their task cancelled
    const vote = await start('ballot', eight);
    const results = await decideAll(vote);
    expect(results.filter((r) => r.status === 204).length).toBeGreaterThanOrEqual(5);
    expect(results.every((r) => r.status === 204 || r.status === 409)).toBe(true);
    for (const key of [all, vote]) {
      expect((await open(key)).map((x: any) => x.elementId)).toEqual(['archive']);
      const history = await t.api('GET', `/v2/process-instances/${key}/history`);
      expect(history.body.items.filter((h: any) => h.eventType === 'approval.completed')).toHaveLength(1);
    }
  });

  it('或签: two approvers deciding at once — exactly one wins, the other is told why', async () => {
    const key = await start('orSign', ['eng1', 'ops1']);
    const [a, b] = await Promise.all([
      decide(key, 'eng1', 'approve'),
      decide(key, 'ops1', 'reject', '不同意'),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([204, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body.detail).toMatch(/canceled|completed/);
    const decisions = (await vars(key)).approvalDecisions.filter(Boolean);
    expect(decisions).toHaveLength(1);
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(history.body.items.filter((h: any) => h.eventType === 'approval.completed')).toHaveLength(1);
  });

  it('refuses approval models that cannot work, naming the problem', async () => {
    const bad = (a: string) => t.deploy([{ name: 'bad.bpmn', content: approvalProcess('bad-approval', a) }]);
    const cases: Array<[string, string]> = [
      ['<lf:approval mode="most" assignees="eng1"/>', 'mode must be one of'],
      ['<lf:approval mode="vote" assignees="eng1, ops1"/>', 'needs a passRatio'],
      ['<lf:approval mode="all"/>', 'needs assignees'],
      ['<lf:approval mode="single" assignees="eng1, ops1"/>', 'mode single takes one approver'],
      ['<lf:approval assignees="eng1" onReject="shrug"/>', "onReject must be 'continue', 'end' or 'return'"],
      ['<lf:approval assignees="=[" />', 'not a valid FEEL expression'],
      ['<lf:approval strategy="ruleSet"/>', 'strategy ruleSet needs the ruleSet attribute'],
      ['<lf:approval assignees="eng1" returnTo="previous"/>', 'returnTo is only for onReject'],
      [
        '<lf:approval assignees="eng1"/><lf:returnPolicy resubmit="later"/>',
        "resubmit must be 'path' or 'returner'",
      ],
    ];
    for (const [a, reason] of cases) {
      const res = await bad(a);
      expect(res.status, a).toBe(400);
      expect(res.text, a).toContain(reason);
    }
  });
});

describe('operations', () => {
  it('转办: the assignee transfers the task with a comment; the new assignee decides and is recorded', async () => {
    const key = await start('single');
    const task = await taskOf(key, 'eng1');
    const notTheirs = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/transfer`,
      { assignee: 'sup1' },
      { user: 'ops1' },
    );
    expect(notTheirs.status).toBe(403);
    const toSelf = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/transfer`,
      { assignee: 'eng1' },
      { user: 'eng1' },
    );
    expect(toSelf.status).toBe(400);
    const unknown = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/transfer`,
      { assignee: 'nobody' },
      { user: 'eng1' },
    );
    expect(unknown.body.errors).toEqual([
      { field: 'assignee', reason: 'is not a user of the task’s tenant' },
    ]);
    const moved = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/transfer`,
      { assignee: 'ops1', comment: '出差，请王强代为审批' },
      { user: 'eng1' },
    );
    expect(moved.status, moved.text).toBe(204);
    // it left eng1's inbox and reached ops1's, with the comment
    expect(
      await t
        .api('GET', `/v2/user-tasks/${task.userTaskKey}`, undefined, { user: 'eng1' })
        .then((r) => r.status),
    ).toBe(404);
    const told = await t.api(
      'POST',
      '/v2/notifications/search',
      { filter: { userTaskKey: task.userTaskKey } },
      { user: 'ops1' },
    );
    expect(told.body.items[0].body).toContain('出差，请王强代为审批');
    expect((await decide(key, 'ops1', 'approve')).status).toBe(204);
    expect((await vars(key)).approvalDecisions).toEqual([
      { approver: 'ops1', decision: 'approve', comment: null },
    ]);
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(
      history.body.items.find((h: any) => h.eventType === 'task.assigned' && h.data.operation === 'TRANSFER'),
    ).toMatchObject({
      actor: 'eng1',
      data: { assignee: 'ops1', previous: 'eng1', comment: '出差，请王强代为审批' },
    });
  });

  it('抄送: an approver copies colleagues, who are told and may then read the instance', async () => {
    const key = await start('single');
    expect((await t.api('GET', `/v2/process-instances/${key}`, undefined, { user: 'des1' })).status).toBe(
      404,
    );
    const bad = await t.api(
      'POST',
      `/v2/process-instances/${key}/cc`,
      { users: ['des1', 'ghost'] },
      { user: 'eng1' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'users', reason: '<ghost> is not a user of the tenant' }]);
    const cc = await t.api(
      'POST',
      `/v2/process-instances/${key}/cc`,
      { users: ['des1'], comment: '请知悉' },
      { user: 'eng1' },
    );
    expect(cc.status, cc.text).toBe(200);
    expect(cc.body).toEqual({ notified: 1 });
    expect((await t.api('GET', `/v2/process-instances/${key}`, undefined, { user: 'des1' })).status).toBe(
      200,
    );
    const [n] = (
      await t.api(
        'POST',
        '/v2/notifications/search',
        { filter: { processInstanceKey: key } },
        { user: 'des1' },
      )
    ).body.items;
    expect(n).toMatchObject({ event: 'CC', readAt: null });
    expect(n.body).toContain('请知悉');
    // 已阅: marking the copy read
    expect(
      (await t.api('POST', `/v2/notifications/${n.notificationKey}/read`, undefined, { user: 'des1' }))
        .status,
    ).toBe(204);
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(history.body.items.find((h: any) => h.eventType === 'instance.copied')).toMatchObject({
      actor: 'eng1',
      data: { users: ['des1'], comment: '请知悉' },
    });
  });

  it('催办: the initiator urges whoever holds the open tasks, at most once in ten minutes', async () => {
    const key = await start('countersign');
    expect((await t.api('POST', `/v2/process-instances/${key}/urge`, {}, { user: 'eng1' })).status).toBe(403);
    const urged = await t.api(
      'POST',
      `/v2/process-instances/${key}/urge`,
      { comment: '明天截止' },
      { user: 'owner' },
    );
    expect(urged.status, urged.text).toBe(200);
    expect(urged.body).toEqual({ notified: 3 });
    for (const u of SIGNERS) {
      const items = (
        await t.api(
          'POST',
          '/v2/notifications/search',
          { filter: { processInstanceKey: key, event: 'URGED' } },
          { user: u },
        )
      ).body.items;
      expect(items, u).toHaveLength(1);
      expect(items[0].title).toBe('催办：联合审批');
    }
    const again = await t.api('POST', `/v2/process-instances/${key}/urge`, {}, { user: 'owner' });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(500);
  });

  it('催办 one task: only its holder is reminded, and the instance’s ten minutes apply', async () => {
    const key = await start('countersign');
    const ops = await taskOf(key, 'ops1');
    expect((await t.api('POST', `/v2/user-tasks/${ops.userTaskKey}/urge`, {}, { user: 'eng1' })).status).toBe(
      403,
    );
    const urged = await t.api(
      'POST',
      `/v2/user-tasks/${ops.userTaskKey}/urge`,
      { comment: '请今天处理' },
      { user: 'owner' },
    );
    expect(urged.status, urged.text).toBe(200);
    expect(urged.body).toEqual({ notified: 1 });
    const urgedOf = async (u: string) =>
      (
        await t.api(
          'POST',
          '/v2/notifications/search',
          { filter: { processInstanceKey: key, event: 'URGED' } },
          { user: u },
        )
      ).body.items.length;
    expect([await urgedOf('eng1'), await urgedOf('ops1'), await urgedOf('sup1')]).toEqual([0, 1, 0]);
    expect((await t.api('POST', `/v2/process-instances/${key}/urge`, {}, { user: 'owner' })).status).toBe(
      429,
    );
    expect((await t.api('POST', '/v2/user-tasks/999999999/urge', {}, { user: 'owner' })).status).toBe(404);
  });

  it('撤回: the initiator withdraws while nobody has acted; not once someone has', async () => {
    const key = await start('countersign');
    expect(
      (await t.api('POST', `/v2/process-instances/${key}/withdrawal`, {}, { user: 'eng1' })).status,
    ).toBe(403);
    const ok = await t.api(
      'POST',
      `/v2/process-instances/${key}/withdrawal`,
      { comment: '信息填错了' },
      { user: 'owner' },
    );
    expect(ok.status, ok.text).toBe(204);
    expect(await t.stateOf(key)).toBe('TERMINATED');
    expect(await open(key)).toEqual([]);
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(history.body.items.find((h: any) => h.eventType === 'instance.terminated')).toMatchObject({
      actor: 'owner',
      data: { reason: 'WITHDRAWN', comment: '信息填错了' },
    });

    const acted = await start('countersign');
    expect((await decide(acted, 'eng1', 'approve')).status).toBe(204);
    const late = await t.api('POST', `/v2/process-instances/${acted}/withdrawal`, {}, { user: 'owner' });
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('<eng1> has already acted');
  });

  it('撤回 racing an approval: exactly one of them happens', async () => {
    const key = await start('single');
    const task = await taskOf(key, 'eng1');
    const [withdraw, approve] = await Promise.all([
      t.api('POST', `/v2/process-instances/${key}/withdrawal`, {}, { user: 'owner' }),
      t.api('POST', `/v2/user-tasks/${task.userTaskKey}/decision`, { decision: 'approve' }, { user: 'eng1' }),
    ]);
    expect([withdraw.status, approve.status].sort()).toEqual([204, 409]);
    const state = await t.stateOf(key);
    if (withdraw.status === 204) expect(state).toBe('TERMINATED');
    else expect((await open(key)).map((x: any) => x.elementId)).toEqual(['archive']);
  });
});

describe('退回 (return)', () => {
  const RETURNABLE = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_ret">
  <bpmn:process id="returnable" name="移交资料审批" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="submit" name="提交资料"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="contractor"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="check" name="初审"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="sup1"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="sign" name="会签"><bpmn:extensionElements><lf:approval mode="all" assignees="eng1, ops1"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="submit"/>
    <bpmn:sequenceFlow id="f2" sourceRef="submit" targetRef="check"/>
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="sign"/>
    <bpmn:sequenceFlow id="f4" sourceRef="sign" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

  it('sends an approval back to an earlier task: its signers’ tasks end, the task goes to who did it, then the path runs again', async () => {
    expect((await t.deploy([{ name: 'ret.bpmn', content: RETURNABLE }])).status).toBe(200);
    const key = await start('returnable');
    expect((await t.complete((await open(key))[0], {}, { user: 'con1' })).status).toBe(204);
    expect((await t.complete((await open(key))[0], {}, { user: 'sup1' })).status).toBe(204);
    const eng = await taskOf(key, 'eng1');
    const noWhy = await t.api('POST', `/v2/user-tasks/${eng.userTaskKey}/return`, {}, { user: 'eng1' });
    expect(noWhy.status).toBe(400);
    expect(noWhy.body.errors[0].field).toBe('comment');
    const badTarget = await t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/return`,
      { target: 'e', comment: 'x' },
      { user: 'eng1' },
    );
    expect(badTarget.status).toBe(400);
    expect(badTarget.body.errors[0].reason).toContain('check, submit');
    const notTheirs = await t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/return`,
      { comment: 'x' },
      { user: 'ops1' },
    );
    expect(notTheirs.status).toBe(403);

    // back to the very first task, to the contractor who submitted
    const back = await t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/return`,
      { target: 'submit', comment: '竣工图缺少暖通部分' },
      { user: 'eng1' },
    );
    expect(back.status, back.text).toBe(204);
    const now = await open(key);
    expect(now.map((x: any) => [x.elementId, x.assignee])).toEqual([['submit', 'con1']]);
    expect((await t.api('GET', `/v2/user-tasks/${eng.userTaskKey}`)).body.state).toBe('CANCELED');
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    expect(history.body.items.find((h: any) => h.eventType === 'task.returned')).toMatchObject({
      actor: 'eng1',
      elementId: 'sign',
      data: { targetElementId: 'submit', comment: '竣工图缺少暖通部分', assignee: 'con1' },
    });

    // the resubmission runs the path again: 初审, then both signers afresh
    expect((await t.complete(now[0], {}, { user: 'con1' })).status).toBe(204);
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['check']);
    expect((await t.complete((await open(key))[0], {}, { user: 'sup1' })).status).toBe(204);
    expect((await open(key)).map((x: any) => x.assignee).sort()).toEqual(['eng1', 'ops1']);
    // 'previous' is the most recent task done before: 初审, back to sup1
    const again = await taskOf(key, 'ops1');
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${again.userTaskKey}/return`,
          { comment: '初审意见不清' },
          { user: 'ops1' },
        )
      ).status,
    ).toBe(204);
    expect((await open(key)).map((x: any) => [x.elementId, x.assignee])).toEqual([['check', 'sup1']]);
  });
});

describe('委派 (delegation)', () => {
  it('lends a task to a delegate who resolves it back; only then does the owner complete it', async () => {
    const key = await start('single');
    const task = await taskOf(key, 'eng1');
    const lent = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/delegation`,
      { delegate: 'des1', comment: '请设计院核对图纸' },
      { user: 'eng1' },
    );
    expect(lent.status, lent.text).toBe(204);
    const seen = (await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`, undefined, { user: 'eng1' })).body;
    expect(seen).toMatchObject({ assignee: 'des1', owner: 'eng1', delegationState: 'PENDING' });
    // the delegate cannot decide, nor can the owner while it is lent
    const byDelegate = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/decision`,
      { decision: 'approve' },
      { user: 'des1' },
    );
    expect(byDelegate.status).toBe(409);
    expect(byDelegate.body.detail).toContain('delegated to <des1>');
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/resolution`, {}, { user: 'eng1' })).status,
    ).toBe(403);
    const resolved = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/resolution`,
      { variables: { drawingsChecked: true }, comment: '图纸齐全' },
      { user: 'des1' },
    );
    expect(resolved.status, resolved.text).toBe(204);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`)).body).toMatchObject({
      assignee: 'eng1',
      owner: 'eng1',
      delegationState: 'RESOLVED',
    });
    expect((await decide(key, 'eng1', 'approve')).status).toBe(204);
    const history = (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items;
    expect(history.find((h: any) => h.eventType === 'task.delegated')).toMatchObject({
      actor: 'eng1',
      data: { delegate: 'des1', comment: '请设计院核对图纸' },
    });
    expect(history.find((h: any) => h.eventType === 'task.resolved')).toMatchObject({
      actor: 'des1',
      data: { owner: 'eng1', comment: '图纸齐全' },
    });
  });
});

describe('加签 / 减签 (adding and removing signers)', () => {
  it('adds a signer alongside (会签) who must approve too, and removes a pending one', async () => {
    const key = await start('countersign');
    const eng = await taskOf(key, 'eng1');
    const dup = await t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/signers`,
      { add: ['ops1'] },
      { user: 'eng1' },
    );
    expect(dup.status).toBe(400);
    expect(dup.body.detail).toContain('<ops1> already sign');
    const added = await t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/signers`,
      { add: ['des1'], comment: '请设计院一并会签' },
      { user: 'eng1' },
    );
    expect(added.status, added.text).toBe(204);
    expect((await open(key)).map((x: any) => x.assignee).sort()).toEqual(['des1', 'eng1', 'ops1', 'sup1']);
    // sup1 is removed before acting; des1 must still approve
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${eng.userTaskKey}/signers`,
          { remove: ['sup1'] },
          { user: 'eng1' },
        )
      ).status,
    ).toBe(204);
    for (const u of ['eng1', 'ops1']) expect((await decide(key, u, 'approve')).status).toBe(204);
    expect((await open(key)).map((x: any) => x.assignee)).toEqual(['des1']);
    // a signer who acted cannot be removed
    const des = await taskOf(key, 'des1');
    const gone = await t.api(
      'POST',
      `/v2/user-tasks/${des.userTaskKey}/signers`,
      { remove: ['eng1'] },
      { user: 'des1' },
    );
    expect(gone.status).toBe(400);
    expect(gone.body.detail).toContain('not a pending signer');
    expect((await decide(key, 'des1', 'approve')).status).toBe(204);
    const v = await vars(key);
    expect(v.approved).toBe(true);
    expect(
      v.approvalDecisions
        .filter(Boolean)
        .map((d: any) => d.approver)
        .sort(),
    ).toEqual(['des1', 'eng1', 'ops1']);
    const history = (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items;
    expect(
      history.filter((h: any) => h.eventType === 'approval.signers_changed').map((h: any) => h.data),
    ).toMatchObject([
      { added: ['des1'], removed: [], comment: '请设计院一并会签' },
      { added: [], removed: ['sup1'] },
    ]);
  });

  it('removing the last pending signer decides the approval; a sequential approval takes added signers at the end', async () => {
    const key = await start('countersign');
    for (const u of ['eng1', 'ops1']) expect((await decide(key, u, 'approve')).status).toBe(204);
    const sup = await taskOf(key, 'sup1');
    // an administrator removes the last signer who has not acted: the approval is decided
    expect(
      (await t.api('POST', `/v2/user-tasks/${sup.userTaskKey}/signers`, { remove: ['sup1'] })).status,
    ).toBe(204);
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['archive']);
    expect((await vars(key)).approved).toBe(true);

    const seq = await start('inTurn');
    const first = await taskOf(seq, 'eng1');
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${first.userTaskKey}/signers`,
          { add: ['des1'], remove: ['ops1'] },
          { user: 'eng1' },
        )
      ).status,
    ).toBe(204);
    for (const u of ['eng1', 'sup1', 'des1']) {
      expect((await open(seq)).map((x: any) => x.assignee)).toEqual([u]);
      expect((await decide(seq, u, 'approve')).status).toBe(204);
    }
    expect((await open(seq)).map((x: any) => x.elementId)).toEqual(['archive']);
  });

  it('does not change 或签 or single approvals', async () => {
    const key = await start('orSign', ['eng1', 'ops1']);
    const eng = await taskOf(key, 'eng1');
    const res = await t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/signers`,
      { add: ['des1'] },
      { user: 'eng1' },
    );
    expect(res.status).toBe(409);
  });
});

describe('inbox', () => {
  it('counts each tab for the caller, matching the searches behind them', async () => {
    const counts = async (user: string) => (await t.api('GET', '/v2/inbox/counts', undefined, { user })).body;
    const before = await counts('sup1');
    const key = await start('countersign');
    const after = await counts('sup1');
    expect(after.todo).toBe(before.todo + 1);
    const todo = await t.api(
      'POST',
      '/v2/user-tasks/search',
      { filter: { state: 'CREATED', assignee: 'sup1' }, page: { limit: 1000 } },
      { user: 'sup1' },
    );
    expect(todo.body.page.totalItems).toBe(after.todo);
    expect((await decide(key, 'sup1', 'approve')).status).toBe(204);
    const done = await counts('sup1');
    expect(done.todo).toBe(before.todo);
    expect(done.done).toBe(before.done + 1);
    const owner = await counts('owner');
    const started = await t.api(
      'POST',
      '/v2/process-instances/search',
      { filter: { initiator: 'owner' } },
      { user: 'owner' },
    );
    expect(owner.started).toBe(started.body.page.totalItems);
    expect(owner.startedActive).toBeLessThanOrEqual(owner.started);
    // copies
    const cc0 = await counts('des1');
    await t.api('POST', `/v2/process-instances/${key}/cc`, { users: ['des1'] }, { user: 'owner' });
    const cc1 = await counts('des1');
    expect([cc1.cc, cc1.ccUnread]).toEqual([cc0.cc + 1, cc0.ccUnread + 1]);
    // unclaimed: a task for the contractor group
    const c0 = await counts('con1');
    await t.api('POST', '/v2/process-instances', { processDefinitionId: 'returnable' }, { user: 'owner' });
    expect((await counts('con1')).unclaimed).toBe(c0.unclaimed + 1);
  });
});

describe('拿回 (take back)', () => {
  it('takes a task back while the next step is untouched, not once someone acted on it', async () => {
    const key = await start('returnable');
    const [submit] = await open(key);
    expect((await t.complete(submit, {}, { user: 'con1' })).status).toBe(204);
    expect((await open(key)).map((x: any) => x.elementId)).toEqual(['check']);
    // someone else cannot take it back
    expect(
      (await t.api('POST', `/v2/user-tasks/${submit.userTaskKey}/takeback`, {}, { user: 'sup1' })).status,
    ).toBe(409);
    const back = await t.api(
      'POST',
      `/v2/user-tasks/${submit.userTaskKey}/takeback`,
      { comment: '漏传了附件' },
      { user: 'con1' },
    );
    expect(back.status, back.text).toBe(204);
    expect((await open(key)).map((x: any) => [x.elementId, x.assignee])).toEqual([['submit', 'con1']]);
    const history = (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items;
    expect(history.find((h: any) => h.eventType === 'task.taken_back')).toMatchObject({
      actor: 'con1',
      data: { comment: '漏传了附件' },
    });

    // again, but this time 初审 acts first
    const [again] = await open(key);
    expect((await t.complete(again, {}, { user: 'con1' })).status).toBe(204);
    expect((await t.complete((await open(key))[0], {}, { user: 'sup1' })).status).toBe(204);
    const late = await t.api('POST', `/v2/user-tasks/${again.userTaskKey}/takeback`, {}, { user: 'con1' });
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('<sup1> has already acted');
  });

  it('拿回 racing the next approver: exactly one of them happens', async () => {
    const key = await start('returnable');
    const [submit] = await open(key);
    expect((await t.complete(submit, {}, { user: 'con1' })).status).toBe(204);
    const [check] = await open(key);
    const [takeBack, approve] = await Promise.all([
      t.api('POST', `/v2/user-tasks/${submit.userTaskKey}/takeback`, {}, { user: 'con1' }),
      t.api('POST', `/v2/user-tasks/${check.userTaskKey}/completion`, { variables: {} }, { user: 'sup1' }),
    ]);
    expect([takeBack.status, approve.status].sort()).toEqual([204, 409]);
    const now = (await open(key)).map((x: any) => x.elementId).sort();
    expect(now).toEqual(takeBack.status === 204 ? ['submit'] : ['sign', 'sign']);
  });
});

describe('代理 (out-of-office)', () => {
  it('sends new tasks of an absent user to their substitute, who acts for them; the absent user still sees them', async () => {
    const now = Date.now();
    const bad = await t.api(
      'POST',
      '/v2/substitutions',
      { substitute: 'ops1', startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' },
      { user: 'eng1' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'endsAt', reason: 'must be after startsAt' }]);
    const forOther = await t.api(
      'POST',
      '/v2/substitutions',
      {
        username: 'ops1',
        substitute: 'sup1',
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3600_000).toISOString(),
      },
      { user: 'eng1' },
    );
    expect(forOther.status).toBe(403);
    const rule = await t.api(
      'POST',
      '/v2/substitutions',
      {
        substitute: 'des1',
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 3600_000).toISOString(),
        processDefinitionId: 'single',
      },
      { user: 'eng1' },
    );
    expect(rule.status, rule.text).toBe(201);
    // only the named process: a 会签 still reaches eng1 himself
    const other = await start('countersign');
    expect(await taskOf(other, 'eng1')).toBeTruthy();
    const key = await start('single');
    const [task] = await open(key);
    expect(task).toMatchObject({ assignee: 'des1', owner: 'eng1' });
    expect(
      (await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`, undefined, { user: 'eng1' })).status,
    ).toBe(200);
    expect((await decide(key, 'des1', 'approve')).status).toBe(204);
    expect((await vars(key)).approvalDecisions).toEqual([
      { approver: 'des1', decision: 'approve', comment: null },
    ]);
    const rules = await t.api('POST', '/v2/substitutions/search', {}, { user: 'eng1' });
    expect(rules.body.items.map((r: any) => r.substitute)).toEqual(['des1']);
    expect(
      (await t.api('DELETE', `/v2/substitutions/${rule.body.substitutionKey}`, undefined, { user: 'eng1' }))
        .status,
    ).toBe(204);
    const after = await start('single');
    expect((await open(after))[0]).toMatchObject({ assignee: 'eng1', owner: null });
  });
});
