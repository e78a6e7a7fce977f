import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/logging/logger.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({
    runtime: { trustProxy: 'loopback', httpAllowedHosts: ['hooks.example.cn'] },
  });
});
afterAll(async () => {
  await t?.close();
});

const as = (user: string, password?: string) => ({ user, password });

/** Tenant proj-b with its own administrator b-admin; eng1 belongs to <default> and proj-b. */
async function tenantWithOwnAdmin(tenantId: string, admin: string) {
  expect((await t.api('POST', '/v2/tenants', { tenantId, name: tenantId })).status).toBe(201);
  const created = await t.api('POST', '/v2/users', {
    username: admin,
    password: `${admin}-pass`,
    tenantIds: [tenantId],
  });
  expect(created.status, created.text).toBe(201);
  expect((await t.api('PUT', `/v2/roles/admin/users/${admin}`)).status).toBe(204);
  return as(admin, `${admin}-pass`);
}

const rolesOf = async (user: string) =>
  (await t.api('GET', '/v2/authentication/me', undefined, as(user))).body.roles as string[];

describe('review issue 4: identity', () => {
  it('does not let an administrator of one tenant give a shared user a role through a group', async () => {
    const b = await tenantWithOwnAdmin('proj-g1', 'g1-admin');
    // eng1 is shared: <default> (not administered by g1-admin) and proj-g1.
    expect((await t.api('PUT', '/v2/tenants/proj-g1/users/eng1')).status).toBe(204);
    const group = await t.api('POST', '/v2/groups', { groupId: 'g1-admins', tenantIds: ['proj-g1'] }, b);
    expect(group.status, group.text).toBe(201);
    expect((await t.api('PUT', '/v2/roles/admin/groups/g1-admins', undefined, b)).status).toBe(204);
    // Adding the shared user to a group that carries the admin role would make them admin of <default>.
    const add = await t.api('PUT', '/v2/groups/g1-admins/users/eng1', undefined, b);
    expect(add.status).toBe(403);
    expect(await rolesOf('eng1')).not.toContain('admin');
  });

  it('does not let an administrator of one tenant give a role to a group that holds a shared user', async () => {
    const b = await tenantWithOwnAdmin('proj-g2', 'g2-admin');
    expect((await t.api('PUT', '/v2/tenants/proj-g2/users/ops1')).status).toBe(204);
    const group = await t.api('POST', '/v2/groups', { groupId: 'g2-crew', tenantIds: ['proj-g2'] }, b);
    expect(group.status, group.text).toBe(201);
    // A role-less group may take a shared user in (it only gives them tasks of proj-g2) …
    expect((await t.api('PUT', '/v2/groups/g2-crew/users/ops1', undefined, b)).status).toBe(204);
    // … but giving that group a role changes ops1 in <default> too.
    const grant = await t.api('PUT', '/v2/roles/admin/groups/g2-crew', undefined, b);
    expect(grant.status).toBe(403);
    expect(await rolesOf('ops1')).not.toContain('admin');
    // The administrator of every tenant of ops1 may.
    expect((await t.api('PUT', '/v2/roles/auditor/groups/g2-crew')).status).toBe(204);
    expect(await rolesOf('ops1')).toContain('auditor');
    expect((await t.api('DELETE', '/v2/roles/auditor/groups/g2-crew', undefined, b)).status).toBe(403);
    expect((await t.api('DELETE', '/v2/roles/auditor/groups/g2-crew')).status).toBe(204);
  });

  it('answers 400, not 500, for text with a NUL character', async () => {
    const res = await t.api('POST', '/v2/users', {
      username: 'nul-user',
      password: 'long-enough',
      name: 'a\u0000b',
    });
    expect(res.status, res.text).toBe(400);
  });

  it('answers 400, not 500, for search fields named like Object.prototype members', async () => {
    for (const body of [
      '{"sort":[{"field":"constructor"}]}',
      '{"filter":{"toString":"x"}}',
      '{"filter":{"__proto__":"x"}}',
    ]) {
      const res = await t.api('POST', '/v2/users/search', body);
      expect(res.status, res.text).toBe(400);
    }
  });

  it('refuses to delete a tenant that still holds webhooks, templates or documents', async () => {
    expect((await t.api('POST', '/v2/tenants', { tenantId: 'proj-w', name: 'w' })).status).toBe(201);
    const hook = await t.api('POST', '/v2/webhooks', {
      name: 'bot',
      url: 'https://hooks.example.cn/x',
      tenantId: 'proj-w',
    });
    expect(hook.status, hook.text).toBe(201);
    const del = await t.api('DELETE', '/v2/tenants/proj-w');
    expect(del.status).toBe(409);
    expect((await t.api('DELETE', `/v2/webhooks/${hook.body.webhookKey}`)).status).toBe(204);
    expect((await t.api('DELETE', '/v2/tenants/proj-w')).status).toBe(204);
  });

  it('refuses an empty webhook url on update', async () => {
    const hook = await t.api('POST', '/v2/webhooks', { name: 'bot2', url: 'https://hooks.example.cn/y' });
    expect(hook.status, hook.text).toBe(201);
    const res = await t.api('PUT', `/v2/webhooks/${hook.body.webhookKey}`, { url: '' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('url');
  });
});

describe('review issue 4: login rate limit', () => {
  it('counts failed logins that arrive at the same time', async () => {
    const tries = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${t.baseUrl}/v2/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
          body: JSON.stringify({ username: 'sup1', password: 'wrong-guess' }),
        }).then((r) => r.status),
      ),
    );
    expect(tries.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(tries.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
  });
});

describe('review issue 4: logs', () => {
  it('keeps the bound values of a failed statement (password hashes, secrets) out of error lines', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    const err = Object.assign(new Error('insert into "users" … - invalid byte sequence'), {
      query: 'insert into "users" ("password_hash") values ($1)',
      params: ['$argon2id$v=19$m=65536$secret-hash'],
    });
    log.error('unexpected error', { err });
    log.error('delivery failed', { cause: err });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toContain('invalid byte sequence');
      expect(line).not.toContain('secret-hash');
    }
  });
});

describe('review issue 4: follow-ups', () => {
  it('answers 409, not 500, when the same user is created twice at the same time', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 4 }, () =>
        t.api('POST', '/v2/users', { username: 'twin', password: 'twin-pass-1' }),
      ),
    );
    expect(statuses.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
  });

  it('takes one plain email address only (notifications are mailed to it)', async () => {
    const listed = await t.api('POST', '/v2/users', {
      username: 'mailer',
      password: 'mailer-pass',
      email: 'a@example.cn, b@example.cn',
    });
    expect(listed.status).toBe(400);
    expect(listed.body.errors).toEqual([{ field: 'email', reason: 'must be one plain email address' }]);
    expect((await t.api('PUT', '/v2/users/eng1', { email: 'Eve <eve@example.cn>' })).status).toBe(400);
  });

  it('makes administrators prove their current password to change their own', async () => {
    expect((await t.api('POST', '/v2/users', { username: 'boss', password: 'boss-pass-1' })).status).toBe(
      201,
    );
    expect((await t.api('PUT', '/v2/roles/admin/users/boss')).status).toBe(204);
    const blind = await t.api(
      'PUT',
      '/v2/users/boss',
      { password: 'taken-over-1' },
      as('boss', 'boss-pass-1'),
    );
    expect(blind.status).toBe(400);
    expect(blind.body.errors[0].field).toBe('currentPassword');
    const proven = await t.api(
      'PUT',
      '/v2/users/boss',
      { password: 'boss-pass-2', currentPassword: 'boss-pass-1' },
      as('boss', 'boss-pass-1'),
    );
    expect(proven.status, proven.text).toBe(200);
  });

  it('refuses an empty webhook name on update', async () => {
    const hook = await t.api('POST', '/v2/webhooks', { name: 'ok', url: 'https://hooks.example.cn/x' });
    expect(hook.status, hook.text).toBe(201);
    const res = await t.api('PUT', `/v2/webhooks/${hook.body.webhookKey}`, { name: '' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('name');
  });
});
