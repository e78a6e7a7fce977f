import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateResources } from '../templates/index.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy(
    templateResources().map((r) => ({
      name: r.name.replace('/', '__'),
      content: r.content.toString('utf8'),
    })),
  );
  expect(res.status).toBe(200);
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
  it('sends an incomplete package back to the contractor, then runs the joint review to acceptance', async () => {
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
    // the form is enforced: open issues need an explanation
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
        variables: { project: '滨江产业园一期', asset: '冷站 HVAC', openIssues: 3 },
      },
      { user: 'con1' },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual([{ field: 'variables.openIssuesNote', reason: 'is required' }]);

    await complete(
      submit,
      { project: '滨江产业园一期', asset: '冷站 HVAC', documents: ['asBuilt', 'manuals'], openIssues: 0 },
      'con1',
    );
    let vars = await variables(key);
    expect(vars.completeness.events.filter((e: any) => e.type === 'missing')).toHaveLength(2);
    expect(vars.completeness.params).toMatchObject({
      maintenancePlan: '缺少维保计划',
      emergencyPlan: '缺少应急预案',
    });

    const supplement = await openTask(key, 'supplement', 'con1');
    expect(supplement.priority).toBe(80);
    await complete(
      supplement,
      { project: '滨江产业园一期', asset: '冷站 HVAC', documents: ALL_DOCS, openIssues: 0 },
      'con1',
    );
    await complete(
      await openTask(key, 'submitPackage', 'con1'),
      { project: '滨江产业园一期', asset: '冷站 HVAC', documents: ALL_DOCS, openIssues: 0 },
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
    vars = await variables(key);
    expect(vars.handoverResult).toEqual({
      status: 'accepted',
      project: '滨江产业园一期',
      asset: '冷站 HVAC',
      openIssues: 0,
      acceptedBy: ['eng1 同意移交', 'ops1 同意移交', 'sup1 同意移交'],
    });
    // Acceptance starts the first year of free maintenance (built-in start-process), then ends.
    const jobs = await t.runtime.jobs.activate({
      type: 'start-process',
      worker: 'test',
      timeout: 60_000,
      maxJobsToActivate: 5,
      tenantIds: ['<default>'],
    });
    expect(jobs.map((j) => j.processInstanceKey)).toEqual([key]);
    await t.runtime.builtins.run(jobs[0]);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('COMPLETED');
    const maintenance = (await variables(key)).maintenanceKey;
    expect(await variables(maintenance)).toMatchObject({ project: '滨江产业园一期', asset: '冷站 HVAC' });
    // It waits eleven months, then reminds the owners, the contractor and operations.
    const timer = await t.api('POST', '/v2/jobs/search', { filter: { processInstanceKey: maintenance } });
    expect(timer.body.items).toEqual([expect.objectContaining({ elementId: 'beforeExpiry', kind: 'TIMER' })]);
    const months = (new Date(timer.body.items[0].dueDate).getTime() - Date.now()) / (30 * 86400_000);
    expect(months).toBeGreaterThan(10.5);
    expect(months).toBeLessThan(11.5);
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
      { project: '第二污水厂', asset: '鼓风机', documents: ALL_DOCS, openIssues: 0 },
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
    expect(vars).toMatchObject({ operationsDecision: 'reject', operationsComment: '缺少备件到货证明' });
    const inst = await t.api('POST', '/v2/process-instances/search', {
      filter: { businessKey: 'HO-2026-002' },
    });
    expect(inst.body.items[0]).toMatchObject({
      state: 'ACTIVE',
      processDefinitionName: '竣工移交验收 Handover sign-off',
    });
  });
});
