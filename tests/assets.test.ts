/**
 * Assets (项目 › 楼栋 › 系统 › 设备, a location code, an optional BIM GUID) and the asset's whole
 * story in one answer: the instances that name it, its open problems, the handover documents and
 * the KPI results of its project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateModuleFile } from '../templates/index.js';
import { png } from './support/sample-files.js';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass-1', name: 'Bob', roles: ['admin'] });
  for (const id of ['feedback', 'kpi', 'handover']) {
    expect((await t.api('POST', '/v2/modules', templateModuleFile(id))).status).toBe(201);
    expect((await t.api('POST', `/v2/modules/${id}/enablement`, {})).status).toBe(200);
  }
});
afterAll(async () => {
  await t?.close();
});
const bob = { user: 'bob', password: 'bob-pass-1' };

const ahu = {
  code: 'P1-B3-HVAC-AHU03',
  name: '3号楼空调机组 AHU-03',
  project: '一期厂房',
  building: '3号楼',
  system: '暖通空调',
  equipment: '组合式空调机组',
  bimGuid: '2O2Fr$t4X7Zf8NOew3FLOH',
};

describe('assets', () => {
  let key: string;

  it('creates, finds, changes and refuses assets with the field and the reason', async () => {
    const created = await t.api('POST', '/v2/assets', ahu, { user: 'owner' });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ ...ahu, tenantId: '<default>' });
    key = created.body.assetKey;

    expect((await t.api('POST', '/v2/assets', ahu)).status).toBe(409);
    const bad = await t.api('POST', '/v2/assets', {
      code: 'has space',
      name: '',
      bimGuid: 'nope',
      colour: 'red',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual([
      'bimGuid',
      'code',
      'colour',
      'name',
      'project',
    ]);
    expect((await t.api('POST', '/v2/assets', { ...ahu, code: 'X-1' }, { user: 'field1' })).status).toBe(403);

    const found = await t.api(
      'POST',
      '/v2/assets/search',
      { filter: { project: '一期厂房' } },
      { user: 'field1' },
    );
    expect(found.body.items.map((a: any) => a.code)).toEqual([ahu.code]);
    const patched = await t.api('PATCH', `/v2/assets/${key}`, { name: '3号楼 AHU-03（改）', bimGuid: null });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ name: '3号楼 AHU-03（改）', bimGuid: null, code: ahu.code });
    expect((await t.api('PATCH', `/v2/assets/${key}`, { project: null })).status).toBe(400);

    // Another tenant sees nothing of it.
    expect((await t.api('GET', `/v2/assets/${key}`, undefined, bob)).status).toBe(404);
    expect((await t.api('POST', '/v2/assets/search', {}, bob)).body.items).toEqual([]);
  });

  it('tells an asset’s story: instances, open problems, handover documents and the project’s KPIs', async () => {
    const problem = await t.startAs('field1', 'feedback-loop', {
      variables: {
        project: '一期厂房',
        asset: ahu.code,
        severity: 'critical',
        category: 'design',
        underWarranty: false,
        description: '检修通道过窄',
      },
    });
    const other = await t.startAs('field1', 'feedback-loop', {
      variables: {
        project: '一期厂房',
        asset: 'ELSEWHERE',
        severity: 'minor',
        category: 'usage',
        description: '别处',
      },
    });
    const handover = (
      await t.api('POST', '/v2/process-instances', {
        processDefinitionId: 'handover-signoff',
        variables: { project: '一期厂房', asset: ahu.code },
      })
    ).body.processInstanceKey;
    const form = new FormData();
    form.append('file', new Blob([png()], { type: 'image/png' }), '竣工图.png');
    form.append('processInstanceKey', handover);
    const uploaded = await t.upload('/v2/documents', form);
    expect(uploaded.status, uploaded.text).toBe(201);

    // A finished KPI review of the project.
    const review = await t.startAs('owner', 'kpi-review', {
      variables: { project: '一期厂房', periodStart: '2026-07-01', periodEnd: '2026-10-01' },
    });
    const jobs = await t.runtime.jobs.activate({
      type: 'kpi-facts',
      worker: 't',
      timeout: 60_000,
      maxJobsToActivate: 5,
      tenantIds: ['<default>'],
    });
    for (const j of jobs) await t.runtime.builtins.run(j);
    for (const [user, vars] of [
      [
        'ops1',
        {
          availability: 99,
          energyPerM2: 20,
          complaintRate: 1,
          firstStartupRate: 99,
          tcoToDate: 50,
          tcoBudget: 100,
        },
      ],
      ['owner', { decision: 'approve', minutes: '达标' }],
    ] as const) {
      const task = await t.taskOf(review, user).catch(async () => {
        const r = await t.api(
          'POST',
          '/v2/user-tasks/search',
          { filter: { processInstanceKey: review, state: 'CREATED' } },
          { user },
        );
        return r.body.items[0];
      });
      expect((await t.complete(task, vars, { user })).status).toBe(204);
    }
    expect(await t.stateOf(review)).toBe('COMPLETED');

    const res = await t.api('GET', `/v2/assets/${key}/overview`);
    expect(res.status, res.text).toBe(200);
    const story = res.body;
    expect(story.asset.code).toBe(ahu.code);
    expect(story.instances.map((i: any) => i.processInstanceKey).sort()).toEqual([problem, handover].sort());
    expect(story.instances.map((i: any) => i.processInstanceKey)).not.toContain(other);
    expect(story.openProblems).toEqual([
      expect.objectContaining({
        processInstanceKey: problem,
        severity: 'critical',
        description: '检修通道过窄',
        state: 'ACTIVE',
      }),
    ]);
    expect(story.handoverDocuments).toEqual([
      expect.objectContaining({ fileName: '竣工图.png', processInstanceKey: handover }),
    ]);
    expect(story.kpis).toEqual([
      expect.objectContaining({
        processInstanceKey: review,
        result: expect.objectContaining({ availability: 99, below: [] }),
      }),
    ]);

    // Field staff see what they may read: their own report, not the handover the admin started.
    const theirs = (await t.api('GET', `/v2/assets/${key}/overview`, undefined, { user: 'field1' })).body;
    expect(theirs.instances.map((i: any) => i.processInstanceKey)).toEqual([problem]);
    expect(theirs.handoverDocuments).toEqual([]);
  });

  it('deletes an asset (administrators and owners)', async () => {
    expect((await t.api('DELETE', `/v2/assets/${key}`, undefined, { user: 'field1' })).status).toBe(403);
    expect((await t.api('DELETE', `/v2/assets/${key}`)).status).toBe(204);
    expect((await t.api('GET', `/v2/assets/${key}`)).status).toBe(404);
  });
});
