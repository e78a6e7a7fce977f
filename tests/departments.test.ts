import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

describe('departments (组织架构)', () => {
  it('builds a tree with heads and members; refuses cycles, unknown parents and heads', async () => {
    const company = await t.api('POST', '/v2/departments', {
      departmentId: 'hq',
      name: '总部',
      head: 'owner',
    });
    expect(company.status, company.text).toBe(201);
    const eng = await t.api('POST', '/v2/departments', {
      departmentId: 'eng',
      name: '工程部',
      parentId: 'hq',
      head: 'eng1',
    });
    expect(eng.body).toMatchObject({
      departmentId: 'eng',
      parentId: 'hq',
      head: 'eng1',
      tenantId: '<default>',
    });
    const site = await t.api('POST', '/v2/departments', {
      departmentId: 'site',
      name: '现场组',
      parentId: 'eng',
    });
    expect(site.status).toBe(201);

    const dup = await t.api('POST', '/v2/departments', { departmentId: 'eng', name: 'x' });
    expect(dup.status).toBe(409);
    const orphan = await t.api('POST', '/v2/departments', {
      departmentId: 'x1',
      name: 'x',
      parentId: 'nowhere',
    });
    expect(orphan.body.errors).toEqual([{ field: 'parentId', reason: 'is not a department of the tenant' }]);
    const stranger = await t.api('POST', '/v2/departments', { departmentId: 'x2', name: 'x', head: 'ghost' });
    expect(stranger.body.errors).toEqual([{ field: 'head', reason: 'is not a user of the tenant' }]);
    // hq below site would be a cycle
    const cycle = await t.api('PUT', `/v2/departments/${company.body.departmentKey}`, {
      name: '总部',
      parentId: 'site',
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.errors[0]).toEqual({ field: 'parentId', reason: 'would make a cycle' });

    expect((await t.api('PUT', `/v2/departments/${site.body.departmentKey}/users/field1`)).status).toBe(204);
    expect((await t.api('PUT', `/v2/departments/${site.body.departmentKey}/users/ghost`)).status).toBe(404);
    const members = await t.api(
      'POST',
      `/v2/departments/${site.body.departmentKey}/users/search`,
      {},
      { user: 'field1' },
    );
    expect(members.body.items.map((u: any) => u.username)).toEqual(['field1']);
    const list = await t.api(
      'POST',
      '/v2/departments/search',
      { filter: { parentId: 'hq' } },
      { user: 'field1' },
    );
    expect(list.body.items.map((d: any) => d.departmentId)).toEqual(['eng']);

    // only administrators change it; a department with departments below stays
    expect(
      (await t.api('PUT', `/v2/departments/${eng.body.departmentKey}`, { name: 'x' }, { user: 'eng1' }))
        .status,
    ).toBe(403);
    expect((await t.api('DELETE', `/v2/departments/${eng.body.departmentKey}`)).status).toBe(409);
    expect((await t.api('DELETE', `/v2/departments/${site.body.departmentKey}/users/field1`)).status).toBe(
      204,
    );
    expect((await t.api('DELETE', `/v2/departments/${site.body.departmentKey}`)).status).toBe(204);
    expect((await t.api('DELETE', `/v2/departments/${eng.body.departmentKey}`)).status).toBe(204);
  });
});

describe('approvals routed by the org chart', () => {
  const process = (id: string, approval: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="d_${id}">
  <bpmn:process id="${id}" name="费用报销" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="sign" name="主管审批"><bpmn:extensionElements>${approval}</bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/><bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

  it('goes to the initiator’s heads up the tree (连续多级主管), in order, and says why', async () => {
    // 总部 (owner) ← 运营部 (ops1) ← 运维班 (sup1); field1 works in 运维班
    for (const [departmentId, name, parentId, head] of [
      ['co', '总部', undefined, 'owner'],
      ['ops', '运营部', 'co', 'ops1'],
      ['maint', '运维班', 'ops', 'sup1'],
    ] as const)
      expect((await t.api('POST', '/v2/departments', { departmentId, name, parentId, head })).status).toBe(
        201,
      );
    const maint = (await t.api('POST', '/v2/departments/search', { filter: { departmentId: 'maint' } })).body
      .items[0];
    expect((await t.api('PUT', `/v2/departments/${maint.departmentKey}/users/field1`)).status).toBe(204);
    const res = await t.deploy([
      {
        name: 'chain.bpmn',
        content: process('chain', '<lf:approval mode="sequential" strategy="initiatorHead" levels="3"/>'),
      },
      {
        name: 'team.bpmn',
        content: process('team', '<lf:approval mode="any" strategy="departmentMembers" department="maint"/>'),
      },
      {
        name: 'nobody.bpmn',
        content: process('nobody-head', '<lf:approval strategy="initiatorHead" onEmpty="admin"/>'),
      },
      {
        name: 'pass.bpmn',
        content: process(
          'pass-empty',
          '<lf:approval strategy="departmentMembers" department="void" onEmpty="skip"/>',
        ),
      },
    ]);
    expect(res.status, res.text).toBe(200);

    const key = (
      await t.api('POST', '/v2/process-instances', { processDefinitionId: 'chain' }, { user: 'field1' })
    ).body.processInstanceKey;
    for (const head of ['sup1', 'ops1', 'owner']) {
      const [task] = await t.openTasks(key);
      expect(task.assignee).toBe(head);
      expect(
        (
          await t.api(
            'POST',
            `/v2/user-tasks/${task.userTaskKey}/decision`,
            { decision: 'approve' },
            { user: head },
          )
        ).status,
      ).toBe(204);
    }
    expect(await t.stateOf(key)).toBe('COMPLETED');
    const routed = (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items.find(
      (h: any) => h.eventType === 'approval.routed',
    );
    expect(routed.data).toMatchObject({
      approvers: ['sup1', 'ops1', 'owner'],
      reason: expect.stringContaining('<maint> → <ops> → <co>'),
    });

    const team = (
      await t.api('POST', '/v2/process-instances', { processDefinitionId: 'team' }, { user: 'owner' })
    ).body.processInstanceKey;
    expect((await t.openTasks(team)).map((x: any) => x.assignee)).toEqual(['field1']);

    // eng1 is in no department: nobody heads them, so the administrators decide
    const orphan = (
      await t.api('POST', '/v2/process-instances', { processDefinitionId: 'nobody-head' }, { user: 'eng1' })
    ).body.processInstanceKey;
    expect((await t.openTasks(orphan)).map((x: any) => x.assignee)).toEqual(['admin']);
    // nobody at all, and the node lets it pass
    const passed = (
      await t.api('POST', '/v2/process-instances', { processDefinitionId: 'pass-empty' }, { user: 'eng1' })
    ).body.processInstanceKey;
    expect(await t.stateOf(passed)).toBe('COMPLETED');
    expect(await t.rootVariables(passed)).toMatchObject({ approved: true });
  });

  it('refuses strategies that cannot work', async () => {
    for (const [a, reason] of [
      ['<lf:approval strategy="boss"/>', 'strategy must be one of'],
      ['<lf:approval strategy="group"/>', 'needs the group attribute'],
      ['<lf:approval strategy="initiator" assignees="eng1"/>', 'assignees or a strategy, not both'],
      ['<lf:approval strategy="initiatorHead" levels="0"/>', 'levels must be'],
    ]) {
      const res = await t.deploy([{ name: 'bad.bpmn', content: process('bad-strategy', a) }]);
      expect(res.status, a).toBe(400);
      expect(res.text, a).toContain(reason);
    }
  });
});
