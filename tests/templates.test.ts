import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateModules, templateResources } from '../templates/index.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  // One deployment per module: a deployment takes at most 20 files.
  for (const id of templateModules()) {
    const res = await t.deploy(
      templateResources(id).map((r) => ({
        name: r.name.replace('/', '__'),
        content: r.content.toString('utf8'),
      })),
    );
    expect(res.status, res.text).toBe(200);
  }
});
afterAll(async () => {
  await t?.close();
});

const ALL_DOCS = ['asBuilt', 'manuals', 'maintenancePlan', 'spareParts', 'emergencyPlan', 'training'];

async function openTask(processInstanceKey: string, elementId: string, user: string) {
  const res = await t.api(
    'POST',
    '/v2/user-tasks/search',
    { filter: { processInstanceKey, elementId, state: 'CREATED' } },
    { user },
  );
  expect(res.body.items, `open task ${elementId}`).toHaveLength(1);
  return res.body.items[0];
}

async function complete(task: any, variables: Record<string, unknown>, user: string) {
  const res = await t.complete(task, variables, { user });
  expect(res.status, res.text).toBe(204);
}

async function variables(processInstanceKey: string) {
  const res = await t.api('POST', '/v2/variables/search', {
    filter: { processInstanceKey, scopeKey: processInstanceKey },
    page: { limit: 100 },
  });
  return Object.fromEntries(res.body.items.map((v: any) => [v.name, JSON.parse(v.value)]));
}

describe('竣工移交验收 handover sign-off template', () => {
  it('sends an incomplete package back to the contractor, then through the three reviews to the joint sign-off of the five parties', async () => {
    const start = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'handover-signoff', variables: {} },
      { user: 'owner' },
    );
    expect(start.status).toBe(200);
    const key = start.body.processInstanceKey;

    const submit = await openTask(key, 'submitPackage', 'con1');
    expect(submit.candidateGroups).toEqual(['contractor']);
    expect(new Date(submit.dueDate).getTime()).toBeGreaterThan(Date.now() + 6 * 86400_000);
    // the form is enforced: every open issue needs an owner and a deadline
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${submit.userTaskKey}/assignment`,
          { assignee: 'con1' },
          { user: 'con1' },
        )
      ).status,
    ).toBe(204);
    const invalid = await t.api(
      'POST',
      `/v2/user-tasks/${submit.userTaskKey}/completion`,
      {
        variables: {
          project: '滨江产业园一期',
          asset: '冷站 HVAC',
          openIssues: [{ description: '冷却塔围栏未安装', deadline: '2027-01-15' }],
        },
      },
      { user: 'con1' },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual([{ field: 'variables.openIssues[0].owner', reason: 'is required' }]);

    await complete(
      submit,
      { project: '滨江产业园一期', asset: '冷站 HVAC', documents: ['asBuilt', 'manuals'], openIssues: [] },
      'con1',
    );
    const vars = await variables(key);
    expect(vars.completeness.events.filter((e: any) => e.type === 'missing')).toHaveLength(2);
    expect(vars.completeness.params).toMatchObject({
      maintenancePlan: '缺少维保计划',
      emergencyPlan: '缺少应急预案',
    });
    // The contractor is told what is missing, on the form it fills again.
    expect(vars.returnReasons).toBe('缺少维保计划；缺少应急预案');

    const supplement = await openTask(key, 'supplement', 'con1');
    expect(supplement.priority).toBe(80);
    await complete(
      supplement,
      { project: '滨江产业园一期', asset: '冷站 HVAC', documents: ALL_DOCS, openIssues: [] },
      'con1',
    );
    await complete(
      await openTask(key, 'submitPackage', 'con1'),
      { project: '滨江产业园一期', asset: '冷站 HVAC', documents: ALL_DOCS, openIssues: [] },
      'con1',
    );

    for (const [elementId, user] of [
      ['engineeringReview', 'eng1'],
      ['operationsReview', 'ops1'],
      ['supervisionReview', 'sup1'],
    ]) {
      const task = await openTask(key, elementId, user);
      await complete(task, { decision: 'approve', comment: `${user} 同意移交` }, user);
    }
    // All three approve: the five parties sign jointly, each party's group its own task.
    const signoffs = await t.api(
      'POST',
      '/v2/user-tasks/search',
      { filter: { processInstanceKey: key, elementId: 'jointSignoff', state: 'CREATED' } },
      { user: 'admin' },
    );
    expect(signoffs.body.items.map((x: any) => x.candidateGroups[0]).sort()).toEqual([
      'contractor',
      'design',
      'engineering',
      'supervision',
      'survey',
    ]);
  });

  it('returns the package to the contractor when one reviewer rejects', async () => {
    const start = await t.api(
      'POST',
      '/v2/process-instances',
      {
        processDefinitionId: 'handover-signoff',
        businessKey: 'HO-2026-002',
      },
      { user: 'owner' },
    );
    const key = start.body.processInstanceKey;
    await complete(
      await openTask(key, 'submitPackage', 'con1'),
      { project: '第二污水厂', asset: '鼓风机', documents: ALL_DOCS, openIssues: [] },
      'con1',
    );
    await complete(
      await openTask(key, 'engineeringReview', 'eng1'),
      { decision: 'approve', comment: '同意' },
      'eng1',
    );
    await complete(
      await openTask(key, 'operationsReview', 'ops1'),
      { decision: 'reject', comment: '缺少备件到货证明' },
      'ops1',
    );
    await complete(
      await openTask(key, 'supervisionReview', 'sup1'),
      { decision: 'approve', comment: '同意' },
      'sup1',
    );
    await openTask(key, 'supplement', 'con1');
    const vars = await variables(key);
    expect(vars).toMatchObject({
      operationsDecision: 'reject',
      operationsComment: '缺少备件到货证明',
      returnReasons: '运营部：缺少备件到货证明',
    });
    const inst = await t.api('POST', '/v2/process-instances/search', {
      filter: { businessKey: 'HO-2026-002' },
    });
    expect(inst.body.items[0]).toMatchObject({
      state: 'ACTIVE',
      processDefinitionName: '竣工移交验收 Handover sign-off',
    });
  });
});
