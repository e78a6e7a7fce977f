import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/**
 * Timeouts per task (`lf:timeout`), measured in working time on a working calendar (Chinese
 * statutory holidays and make-up days, or the tenant's own): the due date, reminders every so
 * much working time, then an automatic approval or rejection, or an escalation to the head above
 * the assignee.
 */
let now = new Date('2026-09-30T01:00:00.000Z'); // Wednesday 09:00 in Beijing, before National Day
const clock = () => now;
const at = (iso: string) => {
  now = new Date(iso);
};

let t: TestRuntime;

const processOf = (id: string, task: string, name = '移交审批') => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_${id}">
  <bpmn:process id="${id}" name="${name}" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="sign" name="审批"><bpmn:extensionElements>${task}</bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/><bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

beforeAll(async () => {
  t = await startTestRuntime({ clock });
  const res = await t.deploy([
    {
      name: 'auto-approve.bpmn',
      content: processOf(
        'auto-approve',
        '<lf:approval mode="all" assignees="eng1, ops1"/><lf:timeout remindEvery="PT4H" after="P1D" action="approve"/>',
      ),
    },
    {
      name: 'auto-reject.bpmn',
      content: processOf(
        'auto-reject',
        '<lf:approval assignees="eng1" onReject="end"/><lf:timeout after="PT2H" action="reject" calendar="natural"/>',
      ),
    },
    {
      name: 'escalate.bpmn',
      content: processOf(
        'escalate',
        '<zeebe:assignmentDefinition assignee="field1"/><lf:timeout after="PT2H" action="escalate"/>',
      ),
    },
    {
      name: 'site.bpmn',
      content: processOf(
        'site-calendar',
        '<zeebe:assignmentDefinition assignee="eng1"/><lf:timeout after="P1D" calendar="site"/>',
      ),
    },
    {
      name: 'sla.bpmn',
      content: processOf(
        'sla-by-severity',
        '<zeebe:assignmentDefinition assignee="eng1"/><lf:timeout after="=if severity = &quot;critical&quot; then &quot;PT2H&quot; else if severity = &quot;minor&quot; then null else sla" calendar="natural"/>',
      ),
    },
    {
      name: 'no-calendar.bpmn',
      content: processOf(
        'no-calendar',
        '<zeebe:assignmentDefinition assignee="eng1"/><lf:timeout after="P1D" calendar="nope"/>',
      ),
    },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = (id: string) => t.startAs('owner', id);
const notices = async (key: string, user: string, event: string) =>
  (await t.api('POST', '/v2/notifications/search', { filter: { processInstanceKey: key, event } }, { user }))
    .body.items;
const history = async (key: string) =>
  (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items;

describe('approval timeouts on the Chinese working calendar', () => {
  it('is due a working day later across the National Day holiday, reminds in working hours, then approves for the silent signer', async () => {
    at('2026-09-30T01:00:00.000Z');
    const key = await start('auto-approve');
    const tasks = await t.openTasks(key);
    // Oct 1–7 are the statutory holiday: one working day after Wed 09:00 is Thu Oct 8, 09:00.
    expect(tasks.map((x: any) => x.dueDate)).toEqual([
      '2026-10-08T01:00:00.000Z',
      '2026-10-08T01:00:00.000Z',
    ]);

    // Four working hours after 09:00 skip the lunch break (12:00–13:30): 14:30.
    at('2026-09-30T06:29:00.000Z');
    expect(await t.runtime.timers.runDue()).toBe(0);
    at('2026-09-30T06:30:00.000Z');
    expect(await t.runtime.timers.runDue()).toBe(2);
    for (const u of ['eng1', 'ops1']) {
      const [n] = await notices(key, u, 'TASK_REMINDER');
      expect(n?.title, u).toBe('待办提醒：审批');
    }
    const eng = (await t.openTasks(key)).find((x: any) => x.assignee === 'eng1');
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${eng.userTaskKey}/decision`,
          { decision: 'approve' },
          { user: 'eng1' },
        )
      ).status,
    ).toBe(204);
    // The next reminder would fall after the deadline: none during the holiday.
    at('2026-10-07T12:00:00.000Z');
    expect(await t.runtime.timers.runDue()).toBe(0);
    at('2026-10-08T01:00:00.000Z');
    expect(await t.runtime.timers.runDue()).toBe(1);
    expect(await t.stateOf(key)).toBe('COMPLETED');
    const v = await t.rootVariables(key);
    expect(v.approved).toBe(true);
    expect(v.approvalDecisions).toEqual([
      { approver: 'eng1', decision: 'approve', comment: null },
      { approver: 'ops1', decision: 'approve', comment: null },
    ]);
    const timedOut = (await history(key)).find((h: any) => h.eventType === 'task.timed_out');
    expect(timedOut).toMatchObject({ actor: 'system:timer', data: { action: 'approve', assignee: 'ops1' } });
    const story = (await t.api('GET', `/v2/process-instances/${key}/history?view=timeline`)).body.items;
    expect(story.find((e: any) => e.action === 'auto_approved')).toMatchObject({
      actor: null,
      onBehalfOf: { username: 'ops1' },
    });
  });

  it('rejects on the natural calendar when nobody decides, ending the request as rejected', async () => {
    at('2026-10-03T10:00:00.000Z'); // a holiday: the natural calendar counts it anyway
    const key = await start('auto-reject');
    expect((await t.openTasks(key))[0].dueDate).toBe('2026-10-03T12:00:00.000Z');
    at('2026-10-03T12:00:00.000Z');
    expect(await t.runtime.timers.runDue()).toBe(1);
    // Ended (as a rejection ends an approval with onReject="end"), and its starter told "rejected".
    expect(await t.stateOf(key)).toBe('COMPLETED');
    expect((await t.rootVariables(key)).approved).toBe(false);
    expect((await notices(key, 'owner', 'INSTANCE_REJECTED')).length).toBe(1);
  });

  it('escalates an overdue task to the head of the assignee’s department, who is told', async () => {
    for (const body of [
      { departmentId: 'ops', name: '运营部', head: 'ops1' },
      { departmentId: 'maint', name: '运维班', parentId: 'ops', head: 'field1' },
    ])
      expect((await t.api('POST', '/v2/departments', body)).status).toBe(201);
    const maint = (await t.api('POST', '/v2/departments/search', { filter: { departmentId: 'maint' } })).body
      .items[0];
    expect((await t.api('PUT', `/v2/departments/${maint.departmentKey}/users/field1`)).status).toBe(204);

    at('2026-10-09T01:00:00.000Z'); // Friday 09:00
    const key = await start('escalate');
    expect((await t.openTasks(key))[0]).toMatchObject({
      assignee: 'field1',
      dueDate: '2026-10-09T03:00:00.000Z',
    });
    at('2026-10-09T03:00:00.000Z');
    expect(await t.runtime.timers.runDue()).toBe(1);
    // field1 heads 运维班 themselves: the task goes up to the head of 运营部.
    expect((await t.openTasks(key))[0].assignee).toBe('ops1');
    const timedOut = (await history(key)).find((h: any) => h.eventType === 'task.timed_out');
    expect(timedOut.data).toMatchObject({
      action: 'escalate',
      assignee: 'field1',
      escalatedTo: 'ops1',
      reason: 'the head of <ops> above <field1>',
    });
    expect((await notices(key, 'ops1', 'TASK_ASSIGNED')).length).toBe(1);
    const story = (await t.api('GET', `/v2/process-instances/${key}/history?view=timeline`)).body.items;
    expect(story.find((e: any) => e.action === 'escalated')).toMatchObject({
      to: [{ username: 'ops1' }],
      comment: 'the head of <ops> above <field1>',
    });
    // The printed record (审批单) tells it in words too.
    const html = await t.api('GET', `/v2/process-instances/${key}/record`);
    expect(html.text).toContain('超时上报');
  });
});

describe('tenant calendars and calendar problems', () => {
  it('follows the tenant’s own calendar: its extra holiday moves the due date', async () => {
    const created = await t.api('POST', '/v2/working-calendars', {
      calendarId: 'site',
      name: '项目现场',
      base: 'CN',
      holidays: ['2026-10-12'],
    });
    expect(created.status, created.text).toBe(201);
    at('2026-10-09T01:00:00.000Z'); // Friday 09:00; Sat Oct 10 is a make-up workday, Mon Oct 12 is off here
    const key = await start('site-calendar');
    const [task] = await t.openTasks(key);
    const expected = await t.api('POST', '/v2/working-calendars/site/due-date', {
      from: '2026-10-09T09:00:00+08:00',
      duration: 'P1D',
    });
    expect(task.dueDate).toBe(expected.body.dueDate);
    expect(task.dueDate).toBe('2026-10-10T01:00:00.000Z');
  });

  it('takes the due time from a FEEL expression when the task opens: an SLA per severity', async () => {
    at('2026-10-03T10:00:00.000Z');
    const critical = await t.startAs('owner', 'sla-by-severity', { variables: { severity: 'critical' } });
    expect((await t.openTasks(critical))[0].dueDate).toBe('2026-10-03T12:00:00.000Z');
    const major = await t.startAs('owner', 'sla-by-severity', {
      variables: { severity: 'major', sla: 'P1D' },
    });
    expect((await t.openTasks(major))[0].dueDate).toBe('2026-10-04T10:00:00.000Z');
    // null: no deadline.
    const minor = await t.startAs('owner', 'sla-by-severity', { variables: { severity: 'minor' } });
    expect((await t.openTasks(minor))[0].dueDate).toBeNull();
    // Anything but a working duration is an incident naming the attribute and the value.
    const bad = await t.startAs('owner', 'sla-by-severity', { variables: { severity: 'major', sla: 'P1M' } });
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: bad } });
    expect(incidents.body.items[0].errorMessage).toMatch(/lf:timeout after.*"P1M"/);
  });

  it('raises an incident naming the calendar when it does not exist', async () => {
    const key = await start('no-calendar');
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items).toHaveLength(1);
    expect(incidents.body.items[0].errorMessage).toContain('<nope>');
    expect(await t.openTasks(key)).toEqual([]);
  });

  it('refuses timeouts that cannot work, naming the problem', async () => {
    const cases: Array<[string, string]> = [
      ['<lf:timeout after="P1M"/>', 'duration of working time'],
      ['<lf:timeout/>', 'needs remindEvery, after, or both'],
      ['<lf:timeout after="=if then"/>', 'lf:timeout after'],
      ['<lf:timeout remindEvery="=x"/>', 'duration of working time'],
      ['<lf:timeout remindEvery="PT1H" action="escalate"/>', 'action needs after'],
      [
        '<zeebe:assignmentDefinition assignee="eng1"/><lf:timeout after="P1D" action="approve"/>',
        'for approvals',
      ],
      ['<lf:approval assignees="eng1"/><lf:timeout after="P1D" action="shrug"/>', 'action must be one of'],
    ];
    for (const [ext, reason] of cases) {
      const res = await t.deploy([{ name: 'bad.bpmn', content: processOf('bad-timeout', ext) }]);
      expect(res.status, ext).toBe(400);
      expect(res.text, ext).toContain(reason);
    }
  });
});
