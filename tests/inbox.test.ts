import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/**
 * The approver's inbox in one endpoint: POST /v2/inbox/search lists one tab (todo, unclaimed,
 * done, started, cc, overdue) of the caller, filtered, sorted and paged, with the counts of every
 * tab under the same process and text filters.
 */
let t: TestRuntime;

const REVIEW = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_review">
  <bpmn:process id="inbox-review" name="竣工资料审批" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="check" name="资料初审"><bpmn:extensionElements>
      <zeebe:assignmentDefinition assignee="=reviewer"/>
      <zeebe:taskSchedule dueDate="=due"/>
      <zeebe:priorityDefinition priority="=prio"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

const CLAIM = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_claim">
  <bpmn:process id="inbox-claim" name="运营问题反馈" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="triage" name="问题分派"><bpmn:extensionElements>
      <zeebe:assignmentDefinition candidateGroups="engineering" candidateUsers="=pool"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="triage"/>
  </bpmn:process>
</bpmn:definitions>`;

const BOB = { user: 'bob', password: 'bob-pass-1' };
const DAY = 24 * 60 * 60 * 1000;
const past = new Date(Date.now() - 2 * DAY).toISOString();
const soon = new Date(Date.now() + 2 * DAY).toISOString();

/** Instance and task keys of the scenario, by name. */
const k: Record<string, { instance: string; task?: string }> = {};

const start = async (
  name: string,
  processDefinitionId: string,
  variables: Record<string, unknown>,
  opts: { user?: string; password?: string; businessKey?: string } = {},
) => {
  const res = await t.api(
    'POST',
    '/v2/process-instances',
    { processDefinitionId, variables, businessKey: opts.businessKey },
    { user: opts.user ?? 'owner', password: opts.password },
  );
  expect(res.status, res.text).toBe(200);
  const instance = res.body.processInstanceKey as string;
  const tasks = (await t.api('POST', '/v2/user-tasks/search', { filter: { processInstanceKey: instance } }))
    .body.items;
  k[name] = { instance, task: tasks[0]?.userTaskKey };
};

const review = (reviewer: string, due: string | null, prio: number) => ({ reviewer, due, prio });

const inbox = async (user: string, body: unknown, password?: string) => {
  const res = await t.api('POST', '/v2/inbox/search', body, { user, password });
  expect(res.status, res.text).toBe(200);
  return res.body;
};
/** The keys a tab lists for a user (task keys, instance keys, or the instance keys of copies). */
const keysOf = (items: any[]) =>
  items.map((i) =>
    i.kind === 'TASK' ? i.userTaskKey : i.kind === 'CC' ? `cc:${i.processInstanceKey}` : i.processInstanceKey,
  );
const tasks = (...names: string[]) => names.map((n) => k[n].task);
const instances = (...names: string[]) => names.map((n) => k[n].instance);
const copies = (...names: string[]) => names.map((n) => `cc:${k[n].instance}`);
const sorted = (xs: Array<string | undefined>) => [...xs].sort();

beforeAll(async () => {
  t = await startTestRuntime();
  await addOtherTenant(t, {
    username: 'bob',
    password: 'bob-pass-1',
    name: '乙-管理员',
    roles: ['admin', 'owner'],
  });
  const res = await t.deploy([
    { name: 'review.bpmn', content: REVIEW },
    { name: 'claim.bpmn', content: CLAIM },
  ]);
  expect(res.status, res.text).toBe(200);
  const other = await t.deploy([{ name: 'review.bpmn', content: REVIEW }], { ...BOB, tenantId: 'tenant-b' });
  expect(other.status, other.text).toBe(200);

  // eng1's open reviews: overdue, due soon, without a due date (its business key holds LIKE's wildcards)
  await start('late', 'inbox-review', review('eng1', past, 80), { businessKey: 'HT-2025-001' });
  await start('soon', 'inbox-review', review('eng1', soon, 20), { businessKey: 'HT-2025-002' });
  await start('open', 'inbox-review', review('eng1', null, 50), { user: 'field1', businessKey: 'FB_100%' });
  // someone else's
  await start('ops', 'inbox-review', review('ops1', past, 50), { businessKey: 'HT-2025-003' });
  // done by eng1, after its due date
  await start('finished', 'inbox-review', review('eng1', past, 50), { businessKey: 'HT-2025-004' });
  const done = await t.complete({ userTaskKey: k.finished.task!, assignee: 'eng1' }, {}, { user: 'eng1' });
  expect(done.status, done.text).toBe(204);
  // to be claimed: by the engineering group; by the engineering group or ops1
  await start('group', 'inbox-claim', { pool: [] });
  await start('pool', 'inbox-claim', { pool: ['ops1'] });
  // copies: two to eng1 (one read), one to ops1
  for (const [name, users] of [
    ['late', ['eng1']],
    ['soon', ['eng1']],
    ['ops', ['ops1']],
  ] as const) {
    const cc = await t.api(
      'POST',
      `/v2/process-instances/${k[name].instance}/cc`,
      { users },
      { user: 'owner' },
    );
    expect(cc.status, cc.text).toBe(200);
  }
  const read = (await inbox('eng1', { filter: { tab: 'cc' } })).items.find(
    (i: any) => i.processInstanceKey === k.soon.instance,
  );
  await t.api('POST', `/v2/notifications/${read.notificationKey}/read`, undefined, { user: 'eng1' });
  // the other tenant: a task whose assignee is literally eng1, started by bob
  await start('foreign', 'inbox-review', review('eng1', past, 90), { ...BOB, businessKey: 'HT-2025-001' });
});
afterAll(async () => {
  await t?.close();
});

describe('the tabs', () => {
  it('todo lists the caller’s open tasks, in one shape, and nothing of other users or tenants', async () => {
    const res = await inbox('eng1', { filter: { tab: 'todo' } });
    expect(sorted(keysOf(res.items))).toEqual(sorted(tasks('late', 'soon', 'open')));
    expect(res.page).toEqual({ totalItems: 3, from: 0, limit: 20 });
    const late = res.items.find((i: any) => i.userTaskKey === k.late.task);
    expect(late).toEqual({
      kind: 'TASK',
      userTaskKey: k.late.task,
      processInstanceKey: k.late.instance,
      processDefinitionId: 'inbox-review',
      processDefinitionKey: expect.stringMatching(/^\d+$/),
      processName: '竣工资料审批',
      businessKey: 'HT-2025-001',
      elementId: 'check',
      taskName: '资料初审',
      assignee: 'eng1',
      initiator: 'owner',
      state: 'CREATED',
      creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      dueDate: past,
      completionDate: null,
      priority: 80,
      overdue: true,
      notificationKey: null,
      read: null,
      tenantId: '<default>',
    });
    const open = res.items.find((i: any) => i.userTaskKey === k.open.task);
    expect(open).toMatchObject({ initiator: 'field1', dueDate: null, overdue: false, priority: 50 });
    expect(keysOf((await inbox('ops1', { filter: { tab: 'todo' } })).items)).toEqual(tasks('ops'));
    expect((await inbox('sup1', { filter: { tab: 'todo' } })).items).toEqual([]);
  });

  it('overdue lists the caller’s open tasks past their due date, most overdue first', async () => {
    const res = await inbox('eng1', { filter: { tab: 'overdue' } });
    expect(keysOf(res.items)).toEqual(tasks('late'));
    expect(res.items[0].overdue).toBe(true);
    expect(keysOf((await inbox('ops1', { filter: { tab: 'overdue' } })).items)).toEqual(tasks('ops'));
  });

  it('unclaimed lists open unassigned tasks for the caller or their groups', async () => {
    const eng1 = await inbox('eng1', { filter: { tab: 'unclaimed' } });
    expect(sorted(keysOf(eng1.items))).toEqual(sorted(tasks('group', 'pool')));
    expect(eng1.items[0]).toMatchObject({
      kind: 'TASK',
      assignee: null,
      processName: '运营问题反馈',
      taskName: '问题分派',
    });
    // ops1 is a candidate user of one; sup1 and field1 of none
    expect(keysOf((await inbox('ops1', { filter: { tab: 'unclaimed' } })).items)).toEqual(tasks('pool'));
    expect((await inbox('sup1', { filter: { tab: 'unclaimed' } })).items).toEqual([]);
  });

  it('done lists the tasks the caller completed, late ones marked overdue', async () => {
    const res = await inbox('eng1', { filter: { tab: 'done' } });
    expect(keysOf(res.items)).toEqual(tasks('finished'));
    expect(res.items[0]).toMatchObject({
      state: 'COMPLETED',
      assignee: 'eng1',
      completionDate: expect.stringMatching(/Z$/),
      overdue: true,
    });
    expect((await inbox('ops1', { filter: { tab: 'done' } })).items).toEqual([]);
  });

  it('started lists the instances the caller started', async () => {
    const owner = await inbox('owner', { filter: { tab: 'started' }, page: { limit: 100 } });
    expect(sorted(keysOf(owner.items))).toEqual(
      sorted(instances('late', 'soon', 'ops', 'finished', 'group', 'pool')),
    );
    const finished = owner.items.find((i: any) => i.processInstanceKey === k.finished.instance);
    expect(finished).toEqual({
      kind: 'INSTANCE',
      userTaskKey: null,
      processInstanceKey: k.finished.instance,
      processDefinitionId: 'inbox-review',
      processDefinitionKey: expect.stringMatching(/^\d+$/),
      processName: '竣工资料审批',
      businessKey: 'HT-2025-004',
      elementId: null,
      taskName: null,
      assignee: null,
      initiator: 'owner',
      state: 'COMPLETED',
      creationDate: finished.startDate,
      startDate: expect.stringMatching(/Z$/),
      dueDate: null,
      completionDate: expect.stringMatching(/Z$/),
      priority: null,
      overdue: false,
      notificationKey: null,
      read: null,
      tenantId: '<default>',
    });
    expect(keysOf((await inbox('field1', { filter: { tab: 'started' } })).items)).toEqual(instances('open'));
    expect((await inbox('eng1', { filter: { tab: 'started' } })).items).toEqual([]);
  });

  it('cc lists the copies sent to the caller, with their instance and whether they were read', async () => {
    const res = await inbox('eng1', { filter: { tab: 'cc' } });
    expect(sorted(keysOf(res.items))).toEqual(sorted(copies('late', 'soon')));
    const late = res.items.find((i: any) => i.processInstanceKey === k.late.instance);
    expect(late).toMatchObject({
      kind: 'CC',
      notificationKey: expect.stringMatching(/^\d+$/),
      read: false,
      processDefinitionId: 'inbox-review',
      processName: '竣工资料审批',
      businessKey: 'HT-2025-001',
      initiator: 'owner',
      state: 'ACTIVE',
      creationDate: expect.stringMatching(/Z$/),
      startDate: expect.stringMatching(/Z$/),
      overdue: false,
    });
    const unread = await inbox('eng1', { filter: { tab: 'cc', unread: true } });
    expect(keysOf(unread.items)).toEqual(copies('late'));
    expect(keysOf((await inbox('eng1', { filter: { tab: 'cc', unread: false } })).items)).toEqual(
      copies('soon'),
    );
    expect(keysOf((await inbox('ops1', { filter: { tab: 'cc' } })).items)).toEqual(copies('ops'));
  });

  it('never shows another tenant’s rows, even to a user its tasks name', async () => {
    for (const tab of ['todo', 'overdue', 'done', 'started', 'cc', 'unclaimed']) {
      const res = await inbox('eng1', { filter: { tab }, page: { limit: 100 } });
      expect(
        res.items.every((i: any) => i.tenantId === '<default>'),
        tab,
      ).toBe(true);
      expect(keysOf(res.items)).not.toContain(k.foreign.task);
    }
    const bob = await inbox('bob', { filter: { tab: 'started' } }, BOB.password);
    expect(keysOf(bob.items)).toEqual(instances('foreign'));
    expect(bob.items[0]).toMatchObject({ tenantId: 'tenant-b', initiator: 'bob' });
    expect(bob.counts).toEqual({
      todo: 0,
      unclaimed: 0,
      done: 0,
      started: 1,
      cc: 0,
      ccUnread: 0,
      overdue: 0,
    });
    // the task in tenant-b names eng1, who is not of tenant-b: nobody of tenant-b has it to do
    expect((await inbox('bob', { filter: { tab: 'todo' } }, BOB.password)).items).toEqual([]);
  });
});

describe('filters', () => {
  it('narrows by process', async () => {
    const claim = await inbox('eng1', { filter: { tab: 'unclaimed', processDefinitionId: 'inbox-claim' } });
    expect(claim.items).toHaveLength(2);
    expect(
      (await inbox('eng1', { filter: { tab: 'unclaimed', processDefinitionId: 'inbox-review' } })).items,
    ).toEqual([]);
    const started = await inbox('owner', { filter: { tab: 'started', processDefinitionId: 'inbox-claim' } });
    expect(sorted(keysOf(started.items))).toEqual(sorted(instances('group', 'pool')));
    expect(
      (await inbox('eng1', { filter: { tab: 'cc', processDefinitionId: 'inbox-claim' } })).items,
    ).toEqual([]);
  });

  it('narrows by due date and by overdue', async () => {
    const now = new Date().toISOString();
    const todo = (filter: object) => inbox('eng1', { filter: { tab: 'todo', ...filter } });
    expect(keysOf((await todo({ dueDate: { $gte: now } })).items)).toEqual(tasks('soon'));
    expect(keysOf((await todo({ dueDate: { $lte: now } })).items)).toEqual(tasks('late'));
    expect(keysOf((await todo({ dueDate: { $gte: past, $lte: soon } })).items).sort()).toEqual(
      sorted(tasks('late', 'soon')),
    );
    expect(keysOf((await todo({ overdue: true })).items)).toEqual(tasks('late'));
    expect(sorted(keysOf((await todo({ overdue: false })).items))).toEqual(sorted(tasks('soon', 'open')));
    expect(keysOf((await inbox('eng1', { filter: { tab: 'done', overdue: false } })).items)).toEqual([]);
  });

  it('searches process name, task name and business key, case-insensitively and literally', async () => {
    const todo = async (search: string) =>
      sorted(keysOf((await inbox('eng1', { filter: { tab: 'todo', search } })).items));
    expect(await todo('ht-2025')).toEqual(sorted(tasks('late', 'soon')));
    expect(await todo('初审')).toEqual(sorted(tasks('late', 'soon', 'open')));
    expect(await todo('竣工资料')).toEqual(sorted(tasks('late', 'soon', 'open')));
    // LIKE's wildcards match only themselves
    expect(await todo('%')).toEqual(tasks('open'));
    expect(await todo('B_1')).toEqual(tasks('open'));
    expect(await todo('H_-2025')).toEqual([]);
    expect(await todo('nothing like it')).toEqual([]);
    const started = await inbox('owner', { filter: { tab: 'started', search: '反馈' } });
    expect(sorted(keysOf(started.items))).toEqual(sorted(instances('group', 'pool')));
    const cc = await inbox('eng1', { filter: { tab: 'cc', search: 'HT-2025-002' } });
    expect(keysOf(cc.items)).toEqual(copies('soon'));
  });
});

describe('sorting and paging', () => {
  it('sorts both ways, tasks without a due date last', async () => {
    const order = async (field: string, o: string) =>
      keysOf((await inbox('eng1', { filter: { tab: 'todo' }, sort: [{ field, order: o }] })).items);
    expect(await order('priority', 'ASC')).toEqual(tasks('soon', 'open', 'late'));
    expect(await order('priority', 'DESC')).toEqual(tasks('late', 'open', 'soon'));
    expect(await order('dueDate', 'ASC')).toEqual(tasks('late', 'soon', 'open'));
    expect(await order('dueDate', 'DESC')).toEqual(tasks('soon', 'late', 'open'));
    const started = async (o: string) =>
      (
        await inbox('owner', { filter: { tab: 'started' }, sort: [{ field: 'startDate', order: o }] })
      ).items.map((i: any) => i.startDate);
    const asc = await started('ASC');
    expect(asc).toEqual([...asc].sort());
    expect(await started('DESC')).toEqual([...asc].reverse());
  });

  it('pages with from and limit, every item once, with the total', async () => {
    const body = (page: object) => ({
      filter: { tab: 'started' },
      sort: [{ field: 'startDate', order: 'DESC' }],
      page,
    });
    const all = await inbox('owner', body({ limit: 100 }));
    expect(all.page).toEqual({ totalItems: 6, from: 0, limit: 100 });
    const pages = [];
    for (const from of [0, 2, 4]) {
      const p = await inbox('owner', body({ from, limit: 2 }));
      expect(p.page).toEqual({ totalItems: 6, from, limit: 2 });
      expect(p.items).toHaveLength(2);
      pages.push(...p.items);
    }
    expect(keysOf(pages)).toEqual(keysOf(all.items));
    const beyond = await inbox('owner', body({ from: 6, limit: 2 }));
    expect(beyond.items).toEqual([]);
    expect(beyond.page.totalItems).toBe(6);
  });
});

describe('counts', () => {
  const TABS = ['todo', 'unclaimed', 'done', 'started', 'cc', 'overdue'] as const;

  it('equal the totals of each tab, for every user, and what GET /v2/inbox/counts says', async () => {
    for (const user of ['eng1', 'ops1', 'owner', 'field1', 'sup1']) {
      const { counts } = await inbox(user, { filter: { tab: 'todo' } });
      for (const tab of TABS)
        expect((await inbox(user, { filter: { tab } })).page.totalItems, `${user} ${tab}`).toBe(counts[tab]);
      expect(counts.ccUnread).toBe(
        (await inbox(user, { filter: { tab: 'cc', unread: true } })).page.totalItems,
      );
      const plain = (await t.api('GET', '/v2/inbox/counts', undefined, { user })).body;
      for (const name of [...TABS, 'ccUnread'] as const)
        expect(plain[name], `${user} ${name}`).toBe(counts[name]);
    }
    expect((await inbox('eng1', { filter: { tab: 'todo' } })).counts).toEqual({
      todo: 3,
      unclaimed: 2,
      done: 1,
      started: 0,
      cc: 2,
      ccUnread: 1,
      overdue: 1,
    });
  });

  it('follow the process and text filters, not the filters of one tab', async () => {
    const scoped = async (filter: object) =>
      (await inbox('eng1', { filter: { tab: 'todo', ...filter } })).counts;
    expect(await scoped({ processDefinitionId: 'inbox-claim' })).toEqual({
      todo: 0,
      unclaimed: 2,
      done: 0,
      started: 0,
      cc: 0,
      ccUnread: 0,
      overdue: 0,
    });
    expect(await scoped({ search: 'HT-2025-00' })).toEqual({
      todo: 2,
      unclaimed: 0,
      done: 1,
      started: 0,
      cc: 2,
      ccUnread: 1,
      overdue: 1,
    });
    // the due date, overdue and unread filters narrow the page, not the counts
    expect((await scoped({ overdue: true })).todo).toBe(3);
    for (const filter of [{ processDefinitionId: 'inbox-review' }, { search: '初审' }]) {
      const { counts } = await inbox('eng1', { filter: { tab: 'todo', ...filter } });
      for (const tab of TABS)
        expect((await inbox('eng1', { filter: { tab, ...filter } })).page.totalItems, tab).toBe(counts[tab]);
    }
  });
});

describe('validation', () => {
  const bad = async (body: unknown) => {
    const res = await t.api('POST', '/v2/inbox/search', body, { user: 'eng1' });
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.title).toBe('INVALID_ARGUMENT');
    return (res.body.errors as Array<{ field: string; reason: string }>).map((e) => e.field);
  };

  it('requires a known tab', async () => {
    expect(await bad({})).toEqual(['filter.tab']);
    expect(await t.api('POST', '/v2/inbox/search', undefined, { user: 'eng1' })).toMatchObject({
      status: 400,
      body: { errors: [{ field: 'filter.tab', reason: 'is required' }] },
    });
    const res = await t.api('POST', '/v2/inbox/search', { filter: { tab: 'mine' } }, { user: 'eng1' });
    expect(res.body.errors).toEqual([
      { field: 'filter.tab', reason: 'must be one of todo, unclaimed, done, started, cc, overdue' },
    ]);
    expect(await bad({ filter: 'todo' })).toEqual(['filter', 'filter.tab']);
  });

  it('names every bad field at once', async () => {
    expect(
      await bad({
        filter: {
          tab: 'todo',
          assignee: 'ops1',
          processDefinitionId: 7,
          dueDate: { $gte: 'yesterday', $lte: '2025-13-45T00:00:00Z', $lt: '2025-01-01T00:00:00Z' },
          overdue: 'yes',
          unread: true,
          search: 3,
        },
        sort: [{ field: 'completionDate' }, { field: 'priority', order: 'UP' }, 'dueDate'],
        page: { from: -1, limit: 101 },
        size: 10,
      }).then((fields) => fields.sort()),
    ).toEqual(
      [
        'size',
        'filter.assignee',
        'filter.unread',
        'filter.processDefinitionId',
        'filter.search',
        'filter.dueDate.$lt',
        'filter.dueDate.$gte',
        'filter.dueDate.$lte',
        'filter.overdue',
        'sort[0].field',
        'sort[1].order',
        'sort[2]',
        'page.from',
        'page.limit',
      ].sort(),
    );
  });

  it('refuses filters and sorts the tab has no use for, and pages out of range', async () => {
    expect(await bad({ filter: { tab: 'started', dueDate: { $gte: '2025-01-01T00:00:00Z' } } })).toEqual([
      'filter.dueDate',
    ]);
    expect(await bad({ filter: { tab: 'cc', overdue: true } })).toEqual(['filter.overdue']);
    expect(await bad({ filter: { tab: 'started' }, sort: [{ field: 'priority', order: 'ASC' }] })).toEqual([
      'sort[0].field',
    ]);
    const res = await t.api(
      'POST',
      '/v2/inbox/search',
      { filter: { tab: 'cc' }, sort: [{ field: 'dueDate' }] },
      { user: 'eng1' },
    );
    expect(res.body.errors[0].reason).toBe(
      "cannot sort the tab <cc> by 'dueDate'; expected one of creationDate, startDate",
    );
    expect(await bad({ filter: { tab: 'todo' }, page: { limit: 0 } })).toEqual(['page.limit']);
    expect(await bad({ filter: { tab: 'todo' }, page: { limit: 2.5 } })).toEqual(['page.limit']);
    expect(await bad({ filter: { tab: 'todo' }, page: { from: 1, size: 2 } })).toEqual(['page.size']);
    expect(await bad({ filter: { tab: 'todo', search: 'x'.repeat(201) } })).toEqual(['filter.search']);
    // the largest page is fine
    expect((await inbox('eng1', { filter: { tab: 'todo' }, page: { limit: 100 } })).page.limit).toBe(100);
  });
});
