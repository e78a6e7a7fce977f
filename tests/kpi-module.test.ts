/**
 * The KPI review module (KPI 考核), end to end through the REST API with the demo users: the
 * feedback loop's own figures for the project (problems reported and closed, mean time to repair)
 * are computed, the operations team enters the other KPIs, a rule set scores them against the
 * targets, the review meeting approves, and every KPI below target starts a corrective action (a
 * feedback loop instance). A quarterly timer starts one review per project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateModuleFile } from '../templates/index.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let now = new Date('2026-11-02T01:00:00.000Z'); // Monday 09:00 in Beijing
const clock = () => now;
const hoursLater = (h: number) => {
  now = new Date(now.getTime() + h * 3_600_000);
};

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({ clock });
  for (const id of ['feedback', 'kpi']) {
    const imported = await t.api('POST', '/v2/modules', templateModuleFile(id));
    expect(imported.status, imported.text).toBe(201);
    const enabled = await t.api('POST', `/v2/modules/${id}/enablement`, {});
    expect(enabled.status, enabled.text).toBe(200);
  }
});
afterAll(async () => {
  await t?.close();
});

async function openTask(key: string, user: string) {
  const res = await t.api(
    'POST',
    '/v2/user-tasks/search',
    { filter: { processInstanceKey: key, state: 'CREATED' } },
    { user },
  );
  return res.body.items[0];
}
async function work(key: string, user: string, variables: Record<string, unknown>) {
  const task = await openTask(key, user);
  expect(task, `${user} sees the open task`).toBeDefined();
  const res = await t.complete(task, variables, { user });
  expect(res.status, res.text).toBe(204);
}
/** Runs the waiting jobs of a built-in type (the test runtime starts no workers). */
const runJobs = (type: string) => t.runJobs(type);

/** One feedback loop on the project, closed after so many hours. */
async function closedProblem(project: string, hours: number) {
  const key = await t.startAs('field1', 'feedback-loop', {
    variables: {
      project,
      asset: 'CH-01',
      severity: 'minor',
      category: 'usage',
      underWarranty: false,
      description: '冷机报警',
    },
  });
  hoursLater(hours);
  await work(key, 'ops1', { cause: '传感器松动', measures: '紧固', lesson: '' });
  await work(key, 'ops1', { result: 'closed', verifyComment: '正常' });
  await runJobs('design-lesson');
  expect(await t.stateOf(key)).toBe('COMPLETED');
  return key;
}

describe('KPI review', () => {
  it('computes MTTR from the feedback loop, scores the KPIs, and starts a corrective action for each one below target', async () => {
    const periodStart = now.toISOString();
    await closedProblem('一期厂房', 10);
    await closedProblem('一期厂房', 30);
    await closedProblem('二期仓库', 100); // another project: not counted
    hoursLater(2);

    const key = await t.startAs('owner', 'kpi-review', {
      variables: { project: '一期厂房', periodStart, periodEnd: now.toISOString() },
    });
    const [facts] = await runJobs('kpi-facts');
    expect(facts.processInstanceKey).toBe(key);
    expect((await t.rootVariables(key)).kpiFacts).toMatchObject({
      reported: 2,
      closed: 2,
      open: 0,
      mttrHours: 20,
    });

    const entry = {
      availability: 97.5,
      energyPerM2: 25,
      complaintRate: 1,
      firstStartupRate: 96,
      tcoToDate: 120,
      tcoBudget: 100,
    };
    await work(key, 'ops1', entry);
    // The meeting sends wrong data back once; then it approves.
    await work(key, 'owner', { decision: 'reject', minutes: '投诉率口径有误' });
    expect((await openTask(key, 'ops1')).elementId).toBe('enterKpi');
    await work(key, 'ops1', entry);
    await work(key, 'owner', { decision: 'approve', minutes: '可用率和成本未达标，需整改' });

    const started = await runJobs('start-process');
    expect(started).toHaveLength(2);
    expect(await t.stateOf(key)).toBe('COMPLETED');
    const vars = await t.rootVariables(key);
    expect(vars.kpiResult).toMatchObject({
      project: '一期厂房',
      mttrHours: 20,
      availability: 97.5,
      below: ['availability', 'tco'],
    });
    expect(vars.correctiveActions).toHaveLength(2);
    for (const child of vars.correctiveActions as string[]) {
      const v = await t.rootVariables(child);
      expect(v).toMatchObject({ project: '一期厂房', source: 'kpi-review', severity: 'major' });
      expect(['KPI 未达标：availability', 'KPI 未达标：tco']).toContain(v.description);
      // A corrective action is a feedback loop like any other: in-house maintenance rectifies it.
      expect((await openTask(child, 'ops1')).elementId).toBe('rectify');
    }
  });

  it('starts nothing more when every KPI meets its target', async () => {
    const key = await t.startAs('owner', 'kpi-review', {
      variables: { project: '二期仓库', periodStart: '2026-08-01', periodEnd: '2026-11-01' },
    });
    await runJobs('kpi-facts');
    expect((await t.rootVariables(key)).kpiFacts).toMatchObject({ reported: 0, mttrHours: null });
    await work(key, 'ops1', {
      availability: 99.2,
      energyPerM2: 20,
      complaintRate: 0.5,
      firstStartupRate: 100,
      tcoToDate: 80,
      tcoBudget: 100,
    });
    await work(key, 'owner', { decision: 'approve', minutes: '全部达标' });
    expect(await runJobs('start-process')).toHaveLength(0);
    expect(await t.stateOf(key)).toBe('COMPLETED');
    expect((await t.rootVariables(key)).kpiResult).toMatchObject({ below: [] });
  });

  it('starts one review per project on the first day of each quarter', async () => {
    now = new Date('2027-01-01T01:00:00.000Z');
    expect(await t.runtime.timers.runDue()).toBeGreaterThanOrEqual(1);
    const schedules = await t.api('POST', '/v2/process-instances/search', {
      filter: { processDefinitionId: 'kpi-quarterly' },
    });
    expect(schedules.body.items).toHaveLength(1);
    const reviews = await t.api('POST', '/v2/process-instances/search', {
      filter: {
        processDefinitionId: 'kpi-review',
        parentProcessInstanceKey: schedules.body.items[0].processInstanceKey,
      },
    });
    expect(reviews.body.items).toHaveLength(2);
    const projects = await Promise.all(
      reviews.body.items.map(async (r: any) => (await t.rootVariables(r.processInstanceKey)).project),
    );
    expect(projects.sort()).toEqual(['一期厂房', '二期仓库']);
  });
});
