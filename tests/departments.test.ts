import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

describe('departments (组织架构)', () => {
  it('builds a tree with heads and members; refuses cycles, unknown parents and heads', async () => {
    const company = await t.api('POST', '/v2/departments', {
      departmentId: 'hq',
      name: '总部',
      head: 'owner',
    });
    expect(company.status, company.text).toBe(201);
    const eng = await t.api('POST', '/v2/departments', {
      departmentId: 'eng',
      name: '工程部',
      parentId: 'hq',
      head: 'eng1',
    });
    expect(eng.body).toMatchObject({
      departmentId: 'eng',
      parentId: 'hq',
      head: 'eng1',
      tenantId: '<default>',
    });
    const site = await t.api('POST', '/v2/departments', {
      departmentId: 'site',
      name: '现场组',
      parentId: 'eng',
    });
    expect(site.status).toBe(201);

    const dup = await t.api('POST', '/v2/departments', { departmentId: 'eng', name: 'x' });
    expect(dup.status).toBe(409);
    const orphan = await t.api('POST', '/v2/departments', {
      departmentId: 'x1',
      name: 'x',
      parentId: 'nowhere',
    });
    expect(orphan.body.errors).toEqual([{ field: 'parentId', reason: 'is not a department of the tenant' }]);
    const stranger = await t.api('POST', '/v2/departments', { departmentId: 'x2', name: 'x', head: 'ghost' });
    expect(stranger.body.errors).toEqual([{ field: 'head', reason: 'is not a user of the tenant' }]);
    // hq below site would be a cycle
    const cycle = await t.api('PUT', `/v2/departments/${company.body.departmentKey}`, {
      name: '总部',
      parentId: 'site',
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.errors[0]).toEqual({ field: 'parentId', reason: 'would make a cycle' });

    expect((await t.api('PUT', `/v2/departments/${site.body.departmentKey}/users/field1`)).status).toBe(204);
    expect((await t.api('PUT', `/v2/departments/${site.body.departmentKey}/users/ghost`)).status).toBe(404);
    const members = await t.api(
      'POST',
      `/v2/departments/${site.body.departmentKey}/users/search`,
      {},
      { user: 'field1' },
    );
    expect(members.body.items.map((u: any) => u.username)).toEqual(['field1']);
    const list = await t.api(
      'POST',
      '/v2/departments/search',
      { filter: { parentId: 'hq' } },
      { user: 'field1' },
    );
    expect(list.body.items.map((d: any) => d.departmentId)).toEqual(['eng']);

    // only administrators change it; a department with departments below stays
    expect(
      (await t.api('PUT', `/v2/departments/${eng.body.departmentKey}`, { name: 'x' }, { user: 'eng1' }))
        .status,
    ).toBe(403);
    expect((await t.api('DELETE', `/v2/departments/${eng.body.departmentKey}`)).status).toBe(409);
    expect((await t.api('DELETE', `/v2/departments/${site.body.departmentKey}/users/field1`)).status).toBe(
      204,
    );
    expect((await t.api('DELETE', `/v2/departments/${site.body.departmentKey}`)).status).toBe(204);
    expect((await t.api('DELETE', `/v2/departments/${eng.body.departmentKey}`)).status).toBe(204);
  });
});
