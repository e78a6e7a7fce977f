import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let now = new Date('2026-03-02T08:00:00Z');
let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({
    clock: () => now,
    runtime: { sessions: { idleMs: 3600_000 }, trustProxy: 'loopback' },
  });
});
afterAll(async () => {
  await t?.close();
});

/** A browser-like client: keeps the session cookie, sends the CSRF token only when told. */
async function login(username: string, password = 'demo', from = '192.0.2.1') {
  const res = await fetch(`${t.baseUrl}/v2/auth/login`, {
    method: 'POST',
    // The test talks to the server through "a proxy" on loopback, which names the client.
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ username, password }),
  });
  const body: any = await res.json();
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0];
  const call = async (method: string, path: string, data?: unknown, opts: { csrf?: boolean } = {}) => {
    const headers: Record<string, string> = { cookie };
    if (data !== undefined) headers['content-type'] = 'application/json';
    if (opts.csrf) headers['x-csrf-token'] = body.csrfToken;
    const r = await fetch(t.baseUrl + path, {
      method,
      headers,
      body: data === undefined ? undefined : JSON.stringify(data),
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
  };
  return { res, body, setCookie, cookie, call };
}

describe('cookie sessions for the web app', () => {
  it('logs in with an httpOnly SameSite cookie stored hashed, and answers who is logged in', async () => {
    const s = await login('eng1');
    expect(s.res.status).toBe(200);
    expect(s.body).toMatchObject({ username: 'eng1', displayName: '李娜（工程部）', roles: ['user'] });
    expect(s.body.csrfToken).toMatch(/^[\w-]{20,}$/);
    expect(s.setCookie).toMatch(/^lifeflow_session=[\w%-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/);
    const id = decodeURIComponent(s.cookie.split('=')[1]);
    const rows = await t.runtime.knex('sessions').where({ username: 'eng1' });
    expect(rows).toHaveLength(1);
    expect(rows[0].session_hash).not.toBe(id);
    expect(rows[0].session_hash).toMatch(/^[0-9a-f]{64}$/);

    const me = await s.call('GET', '/v2/authentication/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'eng1', csrfToken: s.body.csrfToken });
    expect((await s.call('POST', '/v2/process-definitions/search', {}, { csrf: true })).status).toBe(200);
  });

  it('refuses writes that ride on the cookie without the CSRF token', async () => {
    const s = await login('owner');
    const noToken = await s.call('POST', '/v2/process-instances/search', {});
    expect(noToken.status).toBe(403);
    expect(noToken.body.detail).toContain('X-CSRF-Token');
    const wrong = await fetch(`${t.baseUrl}/v2/process-instances/search`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': 'guess' },
      body: '{}',
    });
    expect(wrong.status).toBe(403);
    expect((await s.call('POST', '/v2/process-instances/search', {}, { csrf: true })).status).toBe(200);
    // reads need no token; Basic and bearer clients need none either (no cookie is involved)
    expect((await s.call('GET', '/v2/topology')).status).toBe(200);
    expect((await t.api('POST', '/v2/process-instances/search', {}, { user: 'owner' })).status).toBe(200);
  });

  it('ends the session on logout: the cookie is cleared and no longer works', async () => {
    const s = await login('ops1');
    const out = await s.call('POST', '/v2/auth/logout', undefined, { csrf: true });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/lifeflow_session=; .*Max-Age=0/);
    const after = await s.call('GET', '/v2/authentication/me');
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toContain('application/problem+json');
    expect(await t.runtime.knex('sessions').where({ username: 'ops1' })).toEqual([]);
  });

  it('expires an idle session, and keeps a used one alive', async () => {
    const s = await login('sup1');
    now = new Date(now.getTime() + 50 * 60_000);
    expect((await s.call('GET', '/v2/authentication/me')).status).toBe(200);
    now = new Date(now.getTime() + 50 * 60_000); // 100 minutes after login, 50 after last use
    expect((await s.call('GET', '/v2/authentication/me')).status).toBe(200);
    now = new Date(now.getTime() + 61 * 60_000);
    expect((await s.call('GET', '/v2/authentication/me')).status).toBe(401);
  });

  it('ends every session of a user who is disabled or whose password changes', async () => {
    const s = await login('des1');
    expect((await s.call('GET', '/v2/authentication/me')).status).toBe(200);
    expect((await t.api('PUT', '/v2/users/des1', { enabled: false })).status).toBe(200);
    expect((await s.call('GET', '/v2/authentication/me')).status).toBe(401);
    const again = await login('des1');
    expect(again.res.status).toBe(401);
    expect((await t.api('PUT', '/v2/users/des1', { enabled: true })).status).toBe(200);
    const back = await login('des1');
    expect(back.res.status).toBe(200);
    expect((await t.api('PUT', '/v2/users/des1', { password: 'a-new-password' })).status).toBe(200);
    expect((await back.call('GET', '/v2/authentication/me')).status).toBe(401);
  });

  it('rate limits failed logins and accepts only JSON', async () => {
    for (let i = 0; i < 5; i++) expect((await login('con1', `wrong-${i}`)).res.status).toBe(401);
    const limited = await login('con1');
    expect(limited.res.status).toBe(429);
    expect(Number(limited.res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.detail).toContain('too many failed logins');
    // another user from the same address is not locked out by con1's failures, nor con1 elsewhere
    expect((await login('field1')).res.status).toBe(200);
    expect((await login('con1', 'demo', '198.51.100.7')).res.status).toBe(200);

    const form = await fetch(`${t.baseUrl}/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=field1&password=demo',
    });
    expect(form.status).toBe(415);
    const missing = await fetch(`${t.baseUrl}/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).errors.map((e: any) => e.field)).toEqual(['username', 'password']);
  });
});

describe('API tokens', () => {
  it('creates, lists, uses and revokes personal tokens, stored hashed', async () => {
    const created = await t.api('POST', '/v2/auth/tokens', { name: '现场平板' }, { user: 'field1' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(await t.runtime.knex('api_tokens').where({ token_hash: token })).toEqual([]);
    const bearer = { authorization: `Bearer ${token}` };
    const me = await fetch(`${t.baseUrl}/v2/authentication/me`, { headers: bearer });
    expect(((await me.json()) as any).username).toBe('field1');
    const list = await t.api('GET', '/v2/auth/tokens', undefined, { user: 'field1' });
    expect(list.body.items.map((x: any) => x.name)).toEqual(['现场平板']);
    expect(list.body.items[0]).not.toHaveProperty('token');
    // someone else's token is not theirs to revoke; an unknown key is 404 on both databases
    expect(
      (await t.api('DELETE', `/v2/auth/tokens/${created.body.tokenKey}`, undefined, { user: 'eng1' })).status,
    ).toBe(404);
    expect((await t.api('DELETE', '/v2/auth/tokens/12345', undefined, { user: 'field1' })).status).toBe(404);
    expect(
      (await t.api('DELETE', `/v2/auth/tokens/${created.body.tokenKey}`, undefined, { user: 'field1' }))
        .status,
    ).toBe(204);
    expect((await fetch(`${t.baseUrl}/v2/authentication/me`, { headers: bearer })).status).toBe(401);
  });
});
