import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

const as = (user: string, password?: string) => ({ user, password });

describe('users', () => {
  it('lets an administrator create, read, update, disable and delete a user; passwords are argon2 hashes', async () => {
    const created = await t.api('POST', '/v2/users', {
      username: 'qa1',
      password: 'qa-pass-123',
      name: '周敏（质检）',
      email: 'qa1@example.cn',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({
      username: 'qa1',
      name: '周敏（质检）',
      email: 'qa1@example.cn',
      enabled: true,
      locale: 'zh-CN',
    });
    const row = await t.runtime.knex('users').where({ username: 'qa1' }).first();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);

    // the new user is in the admin's tenant with the ordinary user role, and can log in
    const me = await t.api('GET', '/v2/authentication/me', undefined, as('qa1', 'qa-pass-123'));
    expect(me.body).toMatchObject({ username: 'qa1', roles: ['user'], tenants: [{ tenantId: '<default>' }] });

    const found = await t.api('POST', '/v2/users/search', { filter: { username: 'qa1' } });
    expect(found.body.items).toEqual([created.body]);
    expect((await t.api('GET', '/v2/users/qa1')).body.name).toBe('周敏（质检）');

    const updated = await t.api('PUT', '/v2/users/qa1', { name: '周敏', password: 'new-pass-456' });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body.name).toBe('周敏');
    expect((await t.api('GET', '/v2/authentication/me', undefined, as('qa1', 'qa-pass-123'))).status).toBe(
      401,
    );
    expect((await t.api('GET', '/v2/authentication/me', undefined, as('qa1', 'new-pass-456'))).status).toBe(
      200,
    );

    expect((await t.api('PUT', '/v2/users/qa1', { enabled: false })).status).toBe(200);
    const disabled = await t.api('GET', '/v2/authentication/me', undefined, as('qa1', 'new-pass-456'));
    expect(disabled.status).toBe(401);

    expect((await t.api('DELETE', '/v2/users/qa1')).status).toBe(204);
    expect((await t.api('GET', '/v2/users/qa1')).status).toBe(404);
    expect(await t.runtime.knex('memberships').where({ member_id: 'qa1' })).toEqual([]);
  });

  it('answers bad input with problem+json naming the field, and a taken username with 409', async () => {
    const bad = await t.api('POST', '/v2/users', { username: 'has space', password: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors[0].field).toBe('username');
    const short = await t.api('POST', '/v2/users', { username: 'okname', password: 'short' });
    expect(short.body.errors).toEqual([{ field: 'password', reason: 'must be 8 to 200 characters long' }]);
    const missing = await t.api('POST', '/v2/users', { name: 'x' });
    expect(missing.body.errors.map((e: any) => e.field)).toEqual(['username', 'password']);
    const taken = await t.api('POST', '/v2/users', { username: 'eng1', password: 'long-enough' });
    expect(taken.status).toBe(409);
    expect(await t.runtime.knex('users').where({ username: 'okname' })).toEqual([]);
  });

  it('lets everyone look up the users of their tenant, but only administrators change them', async () => {
    const list = await t.api('POST', '/v2/users/search', { page: { limit: 100 } }, as('field1'));
    expect(list.status).toBe(200);
    expect(list.body.items.map((u: any) => u.username)).toEqual(expect.arrayContaining(['eng1', 'ops1']));
    expect(list.body.items[0]).not.toHaveProperty('password_hash');
    const create = await t.api('POST', '/v2/users', { username: 'x1', password: 'long-enough' }, as('owner'));
    expect(create.status).toBe(403);
    expect(create.body.detail).toContain('only administrators');
    expect((await t.api('PUT', '/v2/users/eng1', { name: 'hacked' }, as('field1'))).status).toBe(403);
    expect((await t.api('DELETE', '/v2/users/eng1', undefined, as('owner'))).status).toBe(403);
  });

  it('lets users change their own name and password, proving the current password', async () => {
    await t.api('POST', '/v2/users', { username: 'self1', password: 'first-pass-1' });
    const noProof = await t.api(
      'PUT',
      '/v2/users/self1',
      { password: 'second-pass-2' },
      as('self1', 'first-pass-1'),
    );
    expect(noProof.status).toBe(400);
    expect(noProof.body.errors[0].field).toBe('currentPassword');
    const ok = await t.api(
      'PUT',
      '/v2/users/self1',
      { name: '自己', password: 'second-pass-2', currentPassword: 'first-pass-1' },
      as('self1', 'first-pass-1'),
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.name).toBe('自己');
    expect(
      (await t.api('GET', '/v2/authentication/me', undefined, as('self1', 'second-pass-2'))).status,
    ).toBe(200);
    const enable = await t.api('PUT', '/v2/users/self1', { enabled: true }, as('self1', 'second-pass-2'));
    expect(enable.status).toBe(400);
  });
});

describe('groups, roles and memberships', () => {
  it('creates a group, adds members, and the members get the group’s tasks and role', async () => {
    expect((await t.api('POST', '/v2/groups', { groupId: 'safety', name: '安全部' })).status).toBe(201);
    expect((await t.api('PUT', '/v2/groups/safety/users/field1')).status).toBe(204);
    const members = await t.api('POST', '/v2/groups/safety/users/search', {});
    expect(members.body.items.map((u: any) => u.username)).toEqual(['field1']);
    expect((await t.api('GET', '/v2/authentication/me', undefined, as('field1'))).body.groups).toContain(
      'safety',
    );

    // a role given to the group reaches its members
    expect((await t.api('PUT', '/v2/roles/auditor/groups/safety')).status).toBe(204);
    expect((await t.api('GET', '/v2/authentication/me', undefined, as('field1'))).body.roles).toEqual(
      expect.arrayContaining(['user', 'auditor']),
    );
    expect((await t.api('DELETE', '/v2/roles/auditor/groups/safety')).status).toBe(204);
    expect((await t.api('DELETE', '/v2/groups/safety/users/field1')).status).toBe(204);
    expect((await t.api('DELETE', '/v2/groups/safety/users/field1')).status).toBe(404);
    expect((await t.api('PUT', '/v2/groups/safety', { name: '安全环保部' })).body.name).toBe('安全环保部');
    expect((await t.api('DELETE', '/v2/groups/safety')).status).toBe(204);
    expect((await t.api('GET', '/v2/groups/safety')).status).toBe(404);
  });

  it('lists the built-in roles, which cannot be changed, and manages custom roles', async () => {
    const roles = await t.api('POST', '/v2/roles/search', {});
    expect(roles.body.items.map((r: any) => r.roleId)).toEqual(
      expect.arrayContaining(['admin', 'auditor', 'owner', 'user']),
    );
    expect((await t.api('DELETE', '/v2/roles/admin')).status).toBe(409);
    expect((await t.api('POST', '/v2/roles', { roleId: 'kpi-reviewer', name: 'KPI 评审' })).status).toBe(201);
    expect((await t.api('PUT', '/v2/roles/kpi-reviewer/users/ops1')).status).toBe(204);
    const holders = await t.api('POST', '/v2/roles/kpi-reviewer/users/search', {});
    expect(holders.body.items.map((u: any) => u.username)).toEqual(['ops1']);
    expect((await t.api('DELETE', '/v2/roles/kpi-reviewer')).status).toBe(204);
    expect((await t.api('GET', '/v2/authentication/me', undefined, as('ops1'))).body.roles).not.toContain(
      'kpi-reviewer',
    );
  });

  it('refuses to take the admin role from yourself or to disable or delete yourself', async () => {
    expect((await t.api('DELETE', '/v2/roles/admin/users/admin')).status).toBe(409);
    expect((await t.api('PUT', '/v2/users/admin', { enabled: false })).status).toBe(409);
    expect((await t.api('DELETE', '/v2/users/admin')).status).toBe(409);
  });
});

describe('tenants', () => {
  it('keeps each tenant’s users, groups and roles to itself; a shared user is changed only by an admin of all their tenants', async () => {
    // The admin creates a project company; they administer it.
    const created = await t.api('POST', '/v2/tenants', { tenantId: 'proj-b', name: '乙项目公司' });
    expect(created.status, created.text).toBe(201);
    const bAdmin = await t.api('POST', '/v2/users', {
      username: 'b-admin',
      password: 'b-admin-pass',
      tenantIds: ['proj-b'],
    });
    expect(bAdmin.status, bAdmin.text).toBe(201);
    expect((await t.api('PUT', '/v2/roles/admin/users/b-admin')).status).toBe(204);
    const b = as('b-admin', 'b-admin-pass');

    // b-admin sees only proj-b
    expect((await t.api('POST', '/v2/tenants/search', {}, b)).body.items.map((x: any) => x.tenantId)).toEqual(
      ['proj-b'],
    );
    expect((await t.api('GET', '/v2/tenants/<default>', undefined, b)).status).toBe(404);
    const users = await t.api('POST', '/v2/users/search', {}, b);
    expect(users.body.items.map((u: any) => u.username).sort()).toEqual(['admin', 'b-admin']);
    expect((await t.api('GET', '/v2/users/eng1', undefined, b)).status).toBe(404);
    expect((await t.api('GET', '/v2/groups/engineering', undefined, b)).status).toBe(404);
    expect((await t.api('PUT', '/v2/users/eng1', { name: 'x' }, b)).status).toBe(404);
    // the default tenant's admin also belongs to <default>, which b-admin does not administer
    const shared = await t.api('PUT', '/v2/users/admin', { name: 'x' }, b);
    expect(shared.status).toBe(403);
    expect(shared.body.detail).toContain('tenants you do not administer');
    // naming a tenant one is not in is refused
    const foreign = await t.api(
      'POST',
      '/v2/users',
      { username: 'sneaky', password: 'long-enough', tenantIds: ['<default>'] },
      b,
    );
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0].field).toBe('tenantIds');

    // membership: a user in no tenant is not allowed
    expect((await t.api('DELETE', '/v2/tenants/proj-b/users/b-admin')).status).toBe(409);
    expect((await t.api('PUT', '/v2/tenants/proj-b/users/eng1')).status).toBe(204);
    expect((await t.api('GET', '/v2/users/eng1', undefined, b)).status).toBe(200);
    expect((await t.api('DELETE', '/v2/tenants/proj-b/users/eng1')).status).toBe(204);

    // a tenant with process data cannot be deleted; an empty one can
    expect((await t.api('POST', '/v2/tenants', { tenantId: 'empty-co', name: '空公司' })).status).toBe(201);
    expect((await t.api('DELETE', '/v2/tenants/empty-co')).status).toBe(204);
    expect((await t.api('DELETE', '/v2/tenants/<default>')).status).toBe(409);
  });
});

describe('authorizations per process definition', () => {
  const PROCESS = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="kpi-review" name="KPI 评审" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:userTask id="review"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="operations"/></bpmn:extensionElements></bpmn:userTask><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="review"/>
  </bpmn:process>
</bpmn:definitions>`;

  it('says who may start a process and who may read its instances', async () => {
    expect((await t.deploy([{ name: 'kpi.bpmn', content: PROCESS }])).status).toBe(200);
    // without an authorization every user of the tenant may start it
    const free = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'kpi-review' },
      as('field1'),
    );
    expect(free.status).toBe(200);

    const grant = await t.api('POST', '/v2/authorizations', {
      ownerType: 'GROUP',
      ownerId: 'operations',
      resourceType: 'PROCESS_DEFINITION',
      resourceId: 'kpi-review',
      permissionTypes: ['CREATE_PROCESS_INSTANCE', 'READ_PROCESS_INSTANCE'],
    });
    expect(grant.status, grant.text).toBe(201);
    const key = grant.body.authorizationKey;
    expect((await t.api('GET', `/v2/authorizations/${key}`)).body).toMatchObject({
      ownerType: 'GROUP',
      ownerId: 'operations',
      tenantId: '<default>',
      permissionTypes: ['CREATE_PROCESS_INSTANCE', 'READ_PROCESS_INSTANCE'],
    });

    const refused = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'kpi-review' },
      as('field1'),
    );
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('kpi-review');
    const byOps = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'kpi-review' },
      as('ops1'),
    );
    expect(byOps.status).toBe(200);

    // ops1 (operations) reads every kpi-review instance, also the one field1 started; eng1 sees none
    expect(
      (await t.api('GET', `/v2/process-instances/${free.body.processInstanceKey}`, undefined, as('ops1')))
        .status,
    ).toBe(200);
    expect(
      (await t.api('GET', `/v2/process-instances/${byOps.body.processInstanceKey}`, undefined, as('eng1')))
        .status,
    ).toBe(404);
    // field1 still reads the instance they started
    expect(
      (await t.api('GET', `/v2/process-instances/${free.body.processInstanceKey}`, undefined, as('field1')))
        .status,
    ).toBe(200);

    const bad = await t.api('PUT', `/v2/authorizations/${key}`, {
      ownerType: 'TEAM',
      ownerId: 'operations',
      resourceType: 'PROCESS_DEFINITION',
      resourceId: 'kpi-review',
      permissionTypes: ['FLY'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(['ownerType', 'permissionTypes']);
    expect((await t.api('GET', `/v2/authorizations/${key}`)).body.ownerType).toBe('GROUP');

    const list = await t.api('POST', '/v2/authorizations/search', { filter: { resourceId: 'kpi-review' } });
    expect(list.body.items).toHaveLength(1);
    expect((await t.api('POST', '/v2/authorizations/search', {}, as('owner'))).status).toBe(403);
    expect((await t.api('DELETE', `/v2/authorizations/${key}`)).status).toBe(204);
    expect(
      (await t.api('POST', '/v2/process-instances', { processDefinitionId: 'kpi-review' }, as('field1')))
        .status,
    ).toBe(200);
  });

  it('shows ordinary users only their own tasks and the instances they take part in; auditors read all and change nothing', async () => {
    const started = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'kpi-review' },
      as('owner'),
    );
    const key = started.body.processInstanceKey;
    const [task] = await t.openTasks(key);
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'eng1' })).status,
    ).toBe(204);
    const engTasks = await t.api(
      'POST',
      '/v2/user-tasks/search',
      { filter: { processInstanceKey: key } },
      as('eng1'),
    );
    expect(engTasks.body.items).toHaveLength(1);
    const opsTasks = await t.api(
      'POST',
      '/v2/user-tasks/search',
      { filter: { processInstanceKey: key } },
      as('ops1'),
    );
    expect(opsTasks.body.items).toEqual([]);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`, undefined, as('ops1'))).status).toBe(
      404,
    );
    expect((await t.api('GET', `/v2/process-instances/${key}`, undefined, as('eng1'))).status).toBe(200);
    expect((await t.api('GET', `/v2/process-instances/${key}`, undefined, as('ops1'))).status).toBe(404);
    const vars = await t.api(
      'POST',
      '/v2/variables/search',
      { filter: { processInstanceKey: key } },
      as('ops1'),
    );
    expect(vars.body.items).toEqual([]);

    const audit = as('audit1');
    expect((await t.api('GET', `/v2/process-instances/${key}`, undefined, audit)).status).toBe(200);
    expect((await t.api('GET', `/v2/process-instances/${key}/history`, undefined, audit)).status).toBe(200);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`, undefined, audit)).status).toBe(200);
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, { variables: {} }, audit)).status,
    ).toBe(403);
    expect(
      (await t.api('POST', '/v2/process-instances', { processDefinitionId: 'kpi-review' }, audit)).status,
    ).toBe(403);

    // only the assignee completes; an unassigned task must be claimed first
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, { variables: {} })).status,
    ).toBe(403);
    expect((await t.api('DELETE', `/v2/user-tasks/${task.userTaskKey}/assignee`)).status).toBe(204);
    const unclaimed = await t.api(
      'POST',
      `/v2/user-tasks/${task.userTaskKey}/completion`,
      { variables: {} },
      as('ops1'),
    );
    expect(unclaimed.status).toBe(409);
    expect(unclaimed.body.detail).toContain('claim it');
    // eng1 is no candidate of the unassigned task: not theirs to claim
    expect((await t.complete(task, {}, { user: 'eng1' })).status).toBe(403);
    expect((await t.complete(task, {}, { user: 'ops1' })).status).toBe(204);
  });
});
