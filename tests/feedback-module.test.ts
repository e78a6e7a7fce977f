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
async function runLessonJobs() {
  const jobs = await t.runtime.jobs.activate({
    type: 'design-lesson',
    worker: 'test',
    timeout: 60_000,
    maxJobsToActivate: 10,
    tenantIds: ['<default>'],
  });
  for (const job of jobs) await t.runtime.builtins.run(job);
  return jobs.length;
}

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
