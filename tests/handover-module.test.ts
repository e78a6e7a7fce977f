/**
 * The handover module (竣工移交验收), end to end through the REST API with the demo users: after the
 * three reviews, the five parties (建设 eng1, 勘察 sur1, 设计 des1, 施工 con1, 监理 sup1) sign jointly;
 * a refusal returns the package to the contractor with the reason; once all five have signed, the
 * approval record is archived as a PDF document of the instance, every open issue becomes a
 * tracked item (its own instance, assigned to its owner, due at its deadline, reminded before and
 * reported to the owner's side when overdue), and the first year of free maintenance starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateModuleFile } from '../templates/index.js';
import { pdfText } from './support/pdf-text.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let now = new Date('2026-12-07T01:00:00.000Z'); // Monday 09:00 in Beijing
const clock = () => now;

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({ clock });
  const imported = await t.api('POST', '/v2/modules', templateModuleFile('handover'));
  expect(imported.status, imported.text).toBe(201);
  const enabled = await t.api('POST', '/v2/modules/handover/enablement', {});
  expect(enabled.status, enabled.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const ALL_DOCS = ['asBuilt', 'manuals', 'maintenancePlan', 'spareParts', 'emergencyPlan', 'training'];
const PARTIES: Array<[string, string]> = [
  ['engineering', 'eng1'],
  ['survey', 'sur1'],
  ['design', 'des1'],
  ['contractor', 'con1'],
  ['supervision', 'sup1'],
];

async function tasksOf(key: string, elementId: string, user: string) {
  const res = await t.api(
    'POST',
    '/v2/user-tasks/search',
    { filter: { processInstanceKey: key, elementId, state: 'CREATED' } },
    { user },
  );
  expect(res.status, res.text).toBe(200);
  return res.body.items as any[];
}
async function work(key: string, elementId: string, user: string, variables: Record<string, unknown>) {
  const [task] = await tasksOf(key, elementId, user);
  expect(task, `${user} sees the open ${elementId}`).toBeDefined();
  const res = await t.complete(task, variables, { user });
  expect(res.status, res.text).toBe(204);
}
async function notificationsOf(user: string) {
  const res = await t.api('POST', '/v2/notifications/search', { page: { limit: 100 } }, { user });
  expect(res.status, res.text).toBe(200);
  return res.body.items as any[];
}

/** Engineering, operations and supervision approve the package. */
async function approveReviews(key: string) {
  for (const [el, user] of [
    ['engineeringReview', 'eng1'],
    ['operationsReview', 'ops1'],
    ['supervisionReview', 'sup1'],
  ])
    await work(key, el, user, { decision: 'approve', comment: '同意移交' });
}

async function reviewedPackage(openIssues: unknown[]) {
  const key = await t.startAs('owner', 'handover-signoff', { businessKey: `HO-T-${now.getTime()}` });
  const pkg = { project: '一期厂房', asset: 'HVAC-CH-01', documents: ALL_DOCS, openIssues };
  await work(key, 'submitPackage', 'con1', pkg);
  await approveReviews(key);
  return { key, pkg };
}

describe('竣工移交验收: five-party sign-off, archive and open issues', () => {
  it('asks each of the five parties to sign; one refusal returns the package with its reason', async () => {
    const { key, pkg } = await reviewedPackage([]);
    // Each party's people see their own sign-off task, and nobody else's.
    for (const [group, user] of PARTIES) {
      const mine = await tasksOf(key, 'jointSignoff', user);
      expect(
        mine.map((x) => x.candidateGroups),
        user,
      ).toEqual([[group]]);
    }
    expect(await tasksOf(key, 'jointSignoff', 'field1')).toEqual([]);
    // The survey unit hears about its task.
    const told = (await notificationsOf('sur1')).filter(
      (n) => n.event === 'TASK_CREATED' && n.processInstanceKey === key,
    );
    expect(told).toHaveLength(1);

    await work(key, 'jointSignoff', 'eng1', { decision: 'approve', comment: '建设单位同意' });
    await work(key, 'jointSignoff', 'des1', { decision: 'reject', comment: '竣工图与现场风管走向不符' });
    // The refusal ends the round: the other parties' tasks are withdrawn, the contractor supplements.
    for (const [, user] of PARTIES) expect(await tasksOf(key, 'jointSignoff', user)).toEqual([]);
    const [supplement] = await tasksOf(key, 'supplement', 'con1');
    expect(supplement).toBeDefined();
    expect((await t.rootVariables(key)).returnReasons).toBe('设计单位：竣工图与现场风管走向不符');
    // The package form shows the reason to the contractor.
    const form = await t.api('GET', `/v2/user-tasks/${supplement.userTaskKey}/form`, undefined, {
      user: 'con1',
    });
    expect(form.status).toBe(200);
    expect(form.text).toContain('{{returnReasons}}');

    await work(key, 'supplement', 'con1', pkg);
    await work(key, 'submitPackage', 'con1', pkg);
    await approveReviews(key);
    expect((await tasksOf(key, 'jointSignoff', 'admin')).length).toBe(5);
  });

  it('archives the approval record as PDF and turns every open issue into a tracked item', async () => {
    const openIssues = [
      { description: '冷却塔检修平台护栏未安装', owner: 'con1', deadline: '2026-12-20' },
      { description: '冷站排水沟盖板缺失', owner: 'con1', deadline: '2027-01-10' },
    ];
    const { key } = await reviewedPackage(openIssues);
    for (const [, user] of PARTIES)
      await work(key, 'jointSignoff', user, { decision: 'approve', comment: `${user} 签认` });
    const vars: any = await t.rootVariables(key);
    expect(vars.signoffs.map((s: any) => [s.party, s.decision])).toEqual([
      ['建设单位', 'approve'],
      ['勘察单位', 'approve'],
      ['设计单位', 'approve'],
      ['施工单位', 'approve'],
      ['监理单位', 'approve'],
    ]);
    expect(vars.handoverResult).toMatchObject({ status: 'accepted', openIssues: 2 });

    // The record is filed once, even when the job runs again after a lost completion.
    const [archiveJob] = await t.runJobs('archive-record');
    expect(archiveJob.processInstanceKey).toBe(key);
    const record = (await t.rootVariables(key)).approvalRecord as any;
    expect(record.metadata).toMatchObject({
      contentType: 'application/pdf',
      fileName: '移交审批记录-一期厂房-HVAC-CH-01.pdf',
      processInstanceKey: key,
    });
    await t.runtime.builtins.run(archiveJob); // the engine refuses the second completion; nothing new filed
    const filed = await t.runtime.knex('documents').where({ process_instance_key: key });
    expect(filed).toHaveLength(1);
    // Whoever may read the instance opens it: a real PDF, with the five signatures in it.
    const download = (user: string) =>
      fetch(`${t.baseUrl}/v2/documents/${record.documentId}`, {
        headers: { authorization: `Basic ${Buffer.from(`${user}:demo`).toString('base64')}` },
      });
    const pdf = await download('sur1');
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toContain('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(bytes);
    for (const words of ['五方联合签认', '周杰（勘察单位）', 'sur1 签认', '竣工移交验收'])
      expect(text).toContain(words);
    expect((await download('field1')).status).toBe(404);

    // Each open issue: its own instance, assigned to its owner, due on its deadline at 18:00 Beijing.
    const started = await t.runJobs('start-process');
    expect(started).toHaveLength(2);
    const items = (await t.rootVariables(key)).openIssueInstances as string[];
    expect(items).toHaveLength(2);
    const first = items[0];
    const [rectify] = await tasksOf(first, 'rectifyIssue', 'con1');
    expect(rectify).toMatchObject({ assignee: 'con1' });
    expect(rectify.dueDate).toBe('2026-12-20T10:00:00.000Z');
    expect(await t.rootVariables(first)).toMatchObject({
      project: '一期厂房',
      asset: 'HVAC-CH-01',
      description: '冷却塔检修平台护栏未安装',
      owner: 'con1',
    });
    const instance = await t.api('GET', `/v2/process-instances/${first}`);
    expect(instance.body.businessKey).toBe('一期厂房·HVAC-CH-01·遗留问题1');
    // Then the maintenance year starts, and the sign-off is done.
    await t.runJobs('start-process');
    expect(await t.stateOf(key)).toBe('COMPLETED');

    // A day before the deadline the owner is reminded; when it passes, reminded again and the
    // owner's side (建设单位 engineering) is told.
    now = new Date('2026-12-19T12:00:00.000Z');
    await t.runtime.reminders.runDue();
    const soon = (await notificationsOf('con1')).filter(
      (n) => n.event === 'TASK_DUE_SOON' && n.processInstanceKey === first,
    );
    expect(soon).toHaveLength(1);
    now = new Date('2026-12-20T10:05:00.000Z');
    expect(await t.runtime.timers.runDue()).toBeGreaterThanOrEqual(1);
    await t.runJobs('notify');
    await t.runtime.reminders.runDue();
    const overdue = (await notificationsOf('con1')).filter(
      (n) => n.event === 'TASK_OVERDUE' && n.processInstanceKey === first,
    );
    expect(overdue).toHaveLength(1);
    const reported = (await notificationsOf('eng1')).filter(
      (n) => n.event === 'MENTIONED' && n.processInstanceKey === first,
    );
    expect(reported).toHaveLength(1);
    expect(JSON.stringify(reported[0])).toContain('逾期未整改');
    // The overdue item is still open for its owner; engineering sends a poor fix back, then closes it.
    await work(first, 'rectifyIssue', 'con1', { resolution: '已临时围挡' });
    await work(first, 'confirmIssue', 'eng1', { decision: 'reject', comment: '需按图安装固定护栏' });
    const [again] = await tasksOf(first, 'rectifyIssue', 'con1');
    expect(again).toMatchObject({ assignee: 'con1' });
    expect((await t.rootVariables(first)).confirmComment).toBe('需按图安装固定护栏');
    await work(first, 'rectifyIssue', 'con1', { resolution: '固定护栏已安装并验收' });
    await work(first, 'confirmIssue', 'eng1', { decision: 'approve', comment: '已整改' });
    expect(await t.stateOf(first)).toBe('COMPLETED');
  });
});
