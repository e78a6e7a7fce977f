/**
 * The operations feedback loop module (运营问题反馈闭环), end to end through the REST API with the
 * demo users: a problem reported from the field is routed by its category and warranty to the
 * design unit, the contractor or in-house maintenance; the rectification is due by an SLA per
 * severity in working time and escalated when missed; operations verify on site and close or
 * reopen; a closed problem lands in the design lessons library, where the next design review
 * finds it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateModuleFile } from '../templates/index.js';
import { png } from './support/sample-files.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let now = new Date('2026-11-04T01:00:00.000Z'); // Wednesday 09:00 in Beijing
const clock = () => now;

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({ clock });
  const imported = await t.api('POST', '/v2/modules', templateModuleFile('feedback'));
  expect(imported.status, imported.text).toBe(201);
  const enabled = await t.api('POST', '/v2/modules/feedback/enablement', {}, { user: 'owner' });
  expect(enabled.status, enabled.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const report = (over: Record<string, unknown> = {}) => ({
  project: '一期厂房',
  asset: 'AHU-03',
  location: '3号楼屋面',
  severity: 'major',
  category: 'design',
  underWarranty: false,
  description: '空调机组检修通道过窄，无法更换风机',
  ...over,
});

async function openTask(key: string, user: string) {
  const res = await t.api(
    'POST',
    '/v2/user-tasks/search',
    { filter: { processInstanceKey: key, state: 'CREATED' } },
    { user },
  );
  expect(res.status).toBe(200);
  return res.body.items[0];
}

async function work(key: string, user: string, variables: Record<string, unknown>) {
  const task = await openTask(key, user);
  expect(task, `${user} sees the open task`).toBeDefined();
  const res = await t.complete(task, variables, { user });
  expect(res.status, res.text).toBe(204);
  return task;
}

/** Runs the built-in design-lesson jobs that are waiting (the test runtime starts no workers). */
const runLessonJobs = async () => (await t.runJobs('design-lesson', 10)).length;

describe('operations feedback loop', () => {
  it('routes a design defect to the design unit, reopens once, closes, and records the lesson', async () => {
    const key = await t.startAs('field1', 'feedback-loop', { variables: report() });
    const rectify = await openTask(key, 'des1');
    expect(rectify).toMatchObject({ elementId: 'rectify', candidateGroups: ['design'] });
    // The reporter's photo goes with the problem; the design unit that must fix it can open it.
    const photo = new FormData();
    photo.append('file', new Blob([png()], { type: 'image/png' }), '通道.png');
    photo.append('processInstanceKey', key);
    const uploaded = await t.upload('/v2/documents', photo, { user: 'field1' });
    expect(uploaded.status, uploaded.text).toBe(201);
    const seen = await t.api('GET', `/v2/documents/${uploaded.body.documentId}`, undefined, { user: 'des1' });
    expect(seen.status).toBe(200);
    expect(seen.headers.get('content-type')).toBe('image/png');
    // Nobody else may act on it: the contractor does not even see it.
    expect(await openTask(key, 'con1')).toBeUndefined();
    expect((await t.rootVariables(key)).responsibleGroup).toBe('design');

    await work(key, 'des1', {
      cause: '设计未预留检修空间',
      measures: '拆除隔墙，加宽通道至1.2米',
      lesson: '机房检修通道不小于1.2米',
    });
    const verify = await openTask(key, 'ops1');
    expect(verify.elementId).toBe('verify');
    await work(key, 'ops1', { result: 'reopen', verifyComment: '风机仍无法整体吊出' });
    // Back to the design unit.
    expect((await openTask(key, 'des1')).elementId).toBe('rectify');
    await work(key, 'des1', {
      cause: '设计未预留检修空间',
      measures: '增设吊装孔',
      lesson: '大型设备应预留吊装孔和更换通道',
    });
    await work(key, 'ops1', { result: 'closed', verifyComment: '已验证可更换' });

    expect(await runLessonJobs()).toBe(1);
    expect(await t.stateOf(key)).toBe('COMPLETED');
    const found = await t.api(
      'POST',
      '/v2/design-lessons/search',
      { filter: { text: '吊装孔' } },
      { user: 'des1' },
    );
    expect(found.status).toBe(200);
    expect(found.body.items).toEqual([
      expect.objectContaining({
        processInstanceKey: key,
        project: '一期厂房',
        asset: 'AHU-03',
        category: 'design',
        severity: 'major',
        title: '空调机组检修通道过窄，无法更换风机',
        cause: '设计未预留检修空间',
        measures: '增设吊装孔',
        lesson: '大型设备应预留吊装孔和更换通道',
      }),
    ]);
    const one = await t.api('GET', `/v2/design-lessons/${found.body.items[0].lessonKey}`, undefined, {
      user: 'field1',
    });
    expect(one.body.title).toBe('空调机组检修通道过窄，无法更换风机');
    // Searchable by project too; an unknown filter field is refused with its name.
    expect(
      (await t.api('POST', '/v2/design-lessons/search', { filter: { project: '一期厂房' } })).body.page
        .totalItems,
    ).toBe(1);
    const bad = await t.api('POST', '/v2/design-lessons/search', { filter: { colour: 'red' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('filter.colour');
  });

  it('sends a problem under warranty to the contractor, and one out of warranty to in-house maintenance', async () => {
    const warranty = await t.startAs('field1', 'feedback-loop', {
      variables: report({ category: 'equipment', underWarranty: true, description: '冷却塔风机异响' }),
    });
    expect((await openTask(warranty, 'con1')).candidateGroups).toEqual(['contractor']);
    const expired = await t.startAs('field1', 'feedback-loop', {
      variables: report({ category: 'equipment', underWarranty: false, description: '水泵密封漏水' }),
    });
    expect((await openTask(expired, 'ops1')).candidateGroups).toEqual(['operations']);
    const usage = await t.startAs('field1', 'feedback-loop', {
      variables: report({ category: 'usage', description: '门禁卡失灵' }),
    });
    expect((await t.rootVariables(usage)).responsibleGroup).toBe('operations');
  });

  it('is due by the SLA of its severity in working time, and escalated when it is missed', async () => {
    const due = async (severity: string) => {
      const key = await t.startAs('field1', 'feedback-loop', {
        variables: report({ severity, description: `${severity} 问题` }),
      });
      return { key, dueDate: (await openTask(key, 'des1')).dueDate as string };
    };
    const critical = await due('critical');
    const major = await due('major');
    const minor = await due('minor');
    // Critical: four working hours; major one working day; minor three — in that order.
    expect(new Date(critical.dueDate).getTime()).toBeGreaterThan(now.getTime());
    expect(new Date(critical.dueDate).getTime()).toBeLessThan(new Date(major.dueDate).getTime());
    expect(new Date(major.dueDate).getTime()).toBeLessThan(new Date(minor.dueDate).getTime());

    // des1 claims the critical one and lets it run late: it goes up (to the tenant's administrator
    // here, as the demo org chart has no head above des1), with the reason in the history.
    const task = await openTask(critical.key, 'des1');
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${task.userTaskKey}/assignment`,
          { assignee: 'des1' },
          { user: 'des1' },
        )
      ).status,
    ).toBe(204);
    now = new Date(critical.dueDate);
    expect(await t.runtime.timers.runDue()).toBeGreaterThanOrEqual(1);
    const history = (await t.api('GET', `/v2/process-instances/${critical.key}/history`)).body.items;
    expect(history.find((h: any) => h.eventType === 'task.timed_out')?.data).toMatchObject({
      action: 'escalate',
      assignee: 'des1',
    });
  });
});

describe('design review for operation (DfO)', () => {
  it('shows the reviewers the lessons of earlier projects on the systems under review, and loops until approved', async () => {
    for (const asset of [
      { code: 'DR-AHU-01', name: '空调机组 AHU-01', project: '一期厂房', system: '暖通空调' },
      { code: 'DR-FP-01', name: '消防泵', project: '一期厂房', system: '消防' },
      { code: 'DR-AHU-09', name: '空调机组 AHU-09', project: '三期数据中心', system: '暖通空调' },
    ])
      expect((await t.api('POST', '/v2/assets', asset, { user: 'owner' })).status).toBe(201);
    const close = async (project: string, asset: string, lesson: string) => {
      const key = await t.startAs('field1', 'feedback-loop', {
        variables: report({ project, asset, description: `${asset} 故障` }),
      });
      await work(key, 'des1', { cause: '设计原因', measures: '已整改', lesson });
      await work(key, 'ops1', { result: 'closed', verifyComment: '已验证' });
      expect(await runLessonJobs()).toBe(1);
    };
    await close('一期厂房', 'DR-AHU-01', '空调机组应预留整体更换通道');
    await close('一期厂房', 'DR-FP-01', '消防泵房应设排水沟');
    await close('三期数据中心', 'DR-AHU-09', '本项目自己的经验不算以往经验');

    const key = await t.startAs('des1', 'design-review', {
      variables: {
        project: '三期数据中心',
        designUnit: '华东建筑设计院',
        systems: ['暖通空调'],
        scope: '暖通空调系统施工图',
      },
    });
    const find = async () => {
      const jobs = await t.runJobs('find-design-lessons', 5);
      expect(jobs.map((j) => j.processInstanceKey)).toEqual([key]);
    };
    await find();
    const review = await openTask(key, 'ops1');
    expect(review).toMatchObject({ elementId: 'review' });
    // Only earlier projects' lessons, only on the systems under review.
    const lessons = (await t.rootVariables(key)).designLessons as any[];
    expect(lessons.map((l) => [l.project, l.asset, l.system, l.lesson])).toEqual([
      ['一期厂房', 'DR-AHU-01', '暖通空调', '空调机组应预留整体更换通道'],
    ]);
    // The reviewer's form lists them in a table.
    const form = await t.api('GET', `/v2/user-tasks/${review.userTaskKey}/form`, undefined, { user: 'ops1' });
    expect(form.status).toBe(200);
    const schema = JSON.parse(form.body.schema);
    expect(schema.components.find((c: any) => c.type === 'table')).toMatchObject({
      dataSource: '=designLessons',
    });

    await work(key, 'ops1', { decision: 'revise', opinions: '按以往经验预留空调机组整体更换通道' });
    await work(key, 'des1', { changes: '机房增设 2.4 米宽更换通道' });
    await find(); // looked up again for the second review
    await work(key, 'ops1', { decision: 'approve', opinions: '已采纳经验，通过' });
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });
});
