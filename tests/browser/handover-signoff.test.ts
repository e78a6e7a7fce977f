/**
 * The handover sign-off walked by the five parties in five browsers of their own (建设 eng1,
 * 勘察 sur1, 设计 des1, 施工 con1 on a phone, 监理 sup1): each hears of its sign-off task live (the bell
 * rings, a toast shows), claims it from 待认领, signs on the task page; after the last signature the
 * approval record is filed and the contractor hears, live again, of the open issue it now owns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { templateModuleFile } from '../../templates/index.js';
import { type BrowserApp, bellCount, bellRang, hasChromium, startBrowserApp } from './browser.js';

const PHONE = { width: 390, height: 844 };
const PARTIES: Array<{ user: string; group: string; phone?: boolean }> = [
  { user: 'eng1', group: 'engineering' },
  { user: 'sur1', group: 'survey' },
  { user: 'des1', group: 'design' },
  { user: 'con1', group: 'contractor', phone: true },
  { user: 'sup1', group: 'supervision' },
];
const ALL_DOCS = ['asBuilt', 'manuals', 'maintenancePlan', 'spareParts', 'emergencyPlan', 'training'];

describe.skipIf(!hasChromium)('handover sign-off by the five parties, each in a browser of its own', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
    const imported = await app.t.api('POST', '/v2/modules', templateModuleFile('handover'));
    expect(imported.status, imported.text).toBe(201);
    const enabled = await app.t.api('POST', '/v2/modules/handover/enablement', {});
    expect(enabled.status, enabled.text).toBe(200);
  }, 90_000);
  afterAll(async () => app?.close());

  const work = async (key: string, elementId: string, user: string, variables: Record<string, unknown>) => {
    const res = await app.t.api(
      'POST',
      '/v2/user-tasks/search',
      { filter: { processInstanceKey: key, elementId, state: 'CREATED' } },
      { user },
    );
    const [task] = res.body.items;
    expect(task, `${user} sees ${elementId}`).toBeDefined();
    const done = await app.t.complete(task, variables, { user });
    expect(done.status, done.text).toBe(204);
  };
  const runJobs = async (type: string) => (await app.t.runJobs(type, 10)).length;
  const notices = async (user: string) =>
    (await app.t.api('POST', '/v2/notifications/search', { page: { limit: 100 } }, { user })).body
      .items as any[];

  it('rings each party, lets each sign on its own page, files the record and hands the open issue to its owner', async () => {
    const key = await app.t.startAs('owner', 'handover-signoff', { businessKey: 'HO-BROWSER-001' });
    await work(key, 'submitPackage', 'con1', {
      project: '一期厂房',
      asset: 'HVAC-CH-01',
      documents: ALL_DOCS,
      openIssues: [{ description: '冷却塔检修平台护栏未安装', owner: 'con1', deadline: '2027-03-31' }],
    });
    await work(key, 'engineeringReview', 'eng1', { decision: 'approve', comment: '同意' });
    await work(key, 'supervisionReview', 'sup1', { decision: 'approve', comment: '同意' });

    // Five people, five browsers, each on its inbox.
    const pages = new Map<string, Page>();
    const before = new Map<string, number>();
    for (const p of PARTIES) {
      const page = await app.newPage(p.phone ? PHONE : {});
      await app.login(page, p.user);
      await page.goto('/workspace/inbox');
      await page.getByTestId('inbox').waitFor();
      await page.getByTestId('bell').waitFor();
      pages.set(p.user, page);
      before.set(p.user, await bellCount(page));
    }

    // The last review passes (operations: not one of the five, who would not be told of their own
    // doing): each party's bell rings, without a reload.
    await work(key, 'operationsReview', 'ops1', { decision: 'approve', comment: '同意' });
    const tasks = (
      await app.t.api('POST', '/v2/user-tasks/search', {
        filter: { processInstanceKey: key, elementId: 'jointSignoff', state: 'CREATED' },
      })
    ).body.items as any[];
    expect(tasks).toHaveLength(5);
    for (const p of PARTIES) {
      const page = pages.get(p.user)!;
      await bellRang(page, before.get(p.user)!);
      await page.getByTestId('bell-toast').first().waitFor();
      const told = (await notices(p.user)).filter(
        (n) => n.processInstanceKey === key && n.event === 'TASK_CREATED',
      );
      const mine = tasks.find((x) => x.candidateGroups.includes(p.group));
      expect(
        told.map((n) => n.userTaskKey),
        p.user,
      ).toContain(mine.userTaskKey);
    }
    await app.screenshot(pages.get('sur1')!, 'handover-signoff-bell');

    // Each claims its own task from 待认领, opens it, signs.
    for (const p of PARTIES) {
      const page = pages.get(p.user)!;
      const mine = tasks.find((x) => x.candidateGroups.includes(p.group));
      await page.getByTestId('inbox-tab-unclaimed').click();
      await page.getByTestId(`inbox-claim-${mine.userTaskKey}`).click();
      await page.getByTestId('inbox-tab-todo').click();
      await page.getByTestId(`inbox-item-${mine.userTaskKey}`).click();
      await page.waitForURL(`**/workspace/inbox/tasks/${mine.userTaskKey}`);
      await page.getByTestId('task-page').waitFor();
      await page.getByText('签认单位 Signing party').waitFor();
      await page.getByLabel('同意移交 Sign').check();
      await page.getByLabel('签认意见 Comment').fill(`${p.user} 同意移交`);
      if (p.user === 'sur1') await app.screenshot(page, 'handover-signoff-task');
      await page.getByTestId('task-action-complete').click();
      await page.getByTestId('inbox').waitFor();
      await expect(page.getByTestId(`inbox-item-${mine.userTaskKey}`).count()).resolves.toBe(0);
    }
    const vars = await app.t.rootVariables(key);
    expect((vars.signoffs as any[]).map((s) => s.decision)).toEqual(Array(5).fill('approve'));

    // The record is filed; the open issue goes to its owner, whose phone rings.
    const con1 = pages.get('con1')!;
    const beforeIssue = await bellCount(con1);
    expect(await runJobs('archive-record')).toBe(1);
    expect(await runJobs('start-process')).toBe(1); // the open issue
    await bellRang(con1, beforeIssue);
    const issueKey = ((await app.t.rootVariables(key)).openIssueInstances as string[])[0]!;
    const [issueTask] = await app.t.openTasks(issueKey);
    expect(issueTask).toMatchObject({ elementId: 'rectifyIssue', assignee: 'con1' });
    await con1.getByTestId(`inbox-item-${issueTask.userTaskKey}`).waitFor();
    await app.screenshot(con1, 'handover-open-issue-phone');
    expect(await runJobs('start-process')).toBe(1); // the first year of free maintenance
    expect(await app.t.stateOf(key)).toBe('COMPLETED');
    const filed = await app.t.runtime.knex('documents').where({ process_instance_key: key });
    expect(filed.map((d: any) => d.content_type)).toEqual(['application/pdf']);
  }, 180_000); // five people's walks in one test
});
