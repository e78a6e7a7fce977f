import { randomBytes } from 'node:crypto';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../runtime/auth/authenticate.js';
import type { Notice } from '../runtime/notifications/notification-service.js';
import { NOTIFICATIONS_CHANNEL } from '../runtime/notifications/notification-service.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const process_ = (candidateGroups: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="live" name="实时" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="审核"><bpmn:incoming>a</bpmn:incoming>
      <bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="${candidateGroups}"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="review"/>
  </bpmn:process>
</bpmn:definitions>`;

/** A connected client and everything it heard. */
interface Client {
  socket: Socket;
  notifications: any[];
  tasksChanged: any[];
}

const clients: Socket[] = [];
afterEach(() => {
  for (const s of clients.splice(0)) s.disconnect();
});

function connect(
  baseUrl: string,
  opts: { token?: string; headers?: Record<string, string> } = {},
): Promise<Client> {
  const socket = connectClient(baseUrl, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: opts.token ? { token: opts.token } : {},
    extraHeaders: opts.headers,
  });
  clients.push(socket);
  const client: Client = { socket, notifications: [], tasksChanged: [] };
  socket.on('notification', (n) => client.notifications.push(n));
  socket.on('tasks:changed', (e) => client.tasksChanged.push(e));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (err) => reject(err));
  });
}

async function refused(baseUrl: string, opts: { token?: string; headers?: Record<string, string> }) {
  return connect(baseUrl, opts).then(
    () => {
      throw new Error('expected the handshake to be refused');
    },
    (err: Error) => err.message,
  );
}

async function eventually<T>(check: () => T | undefined | false, what: string, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function login(t: TestRuntime, username: string, password = 'demo') {
  const res = await fetch(`${t.baseUrl}/v2/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  expect(cookie).toMatch(/^lifeflow_session=/);
  return { cookie, csrfToken: ((await res.json()) as { csrfToken: string }).csrfToken };
}

async function createToken(t: TestRuntime, username: string) {
  const token = `lf_${randomBytes(24).toString('base64url')}`;
  await t.runtime.knex('api_tokens').insert({
    token_key: t.runtime.nextKey(),
    username,
    name: 'realtime test',
    token_hash: hashToken(token),
  });
  return token;
}

/** Writes notifications the way the engine does, in a transaction that commits or rolls back. */
async function notify(t: TestRuntime, notices: Notice[], outcome: 'commit' | 'rollback' = 'commit') {
  let keys: string[] = [];
  await t.runtime.knex
    .transaction(async (trx) => {
      keys = await t.runtime.notifications.notify(trx, notices);
      if (outcome === 'rollback') throw new Error('roll back');
    })
    .catch((err) => {
      if (outcome !== 'rollback') throw err;
    });
  return keys;
}

const noticeFor = (users: string[], tenantId = '<default>'): Notice => ({
  tenantId,
  event: 'TASK_ASSIGNED',
  users,
  data: { taskName: '验收', processName: '竣工移交' },
});

/** Inserts a row directly (any recipient and tenant), announced like the service does. */
async function insertNotification(t: TestRuntime, recipient: string, tenantId: string) {
  const key = t.runtime.nextKey();
  await t.runtime.knex.transaction(async (trx) => {
    await trx('notifications').insert({
      notification_key: key,
      tenant_id: tenantId,
      recipient,
      event: 'TASK_ASSIGNED',
      data: JSON.stringify({}),
      title: 'direct',
      body: 'direct',
      created_at: new Date(),
    });
    await trx.raw('select pg_notify(?, ?)', [NOTIFICATIONS_CHANNEL, JSON.stringify([key])]);
  });
  return key;
}

describe('socket.io live events on one node', () => {
  let t: TestRuntime;
  let acmeToken: string;
  let engToken: string;

  beforeAll(async () => {
    t = await startTestRuntime({ realtime: { revalidateMs: 200 } });
    // acme1 belongs to tenant acme only, and to a group that is not in the default tenant.
    const k = t.runtime.knex;
    await k('tenants').insert({ tenant_id: 'acme', name: 'Acme' });
    await k('groups').insert({ group_key: t.runtime.nextKey(), group_id: 'acme-eng', name: 'Acme 工程' });
    await k('users').insert({
      user_key: t.runtime.nextKey(),
      username: 'acme1',
      name: 'Acme One',
      email: null,
      password_hash: (await k('users').where({ username: 'eng1' }).first('password_hash')).password_hash,
    });
    await k('memberships').insert([
      { container_type: 'TENANT', container_id: 'acme', member_type: 'USER', member_id: 'acme1' },
      { container_type: 'GROUP', container_id: 'acme-eng', member_type: 'USER', member_id: 'acme1' },
    ]);
    acmeToken = await createToken(t, 'acme1');
    engToken = await createToken(t, 'eng1');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a handshake without credentials or with wrong ones', async () => {
    expect(await refused(t.baseUrl, {})).toMatch(/^unauthorized: send the session cookie/);
    expect(await refused(t.baseUrl, { token: 'lf_not-a-token' })).toMatch(
      /^unauthorized: the credentials are not valid/,
    );
    expect(await refused(t.baseUrl, { headers: { cookie: 'lifeflow_session=forged' } })).toMatch(
      /^unauthorized:/,
    );
    const basic = `Basic ${Buffer.from('eng1:wrong').toString('base64')}`;
    expect(await refused(t.baseUrl, { headers: { authorization: basic } })).toMatch(/^unauthorized:/);
  });

  it('accepts the session cookie of a login, the same origin only', async () => {
    const { cookie } = await login(t, 'eng1');
    const host = new URL(t.baseUrl).host;
    const c = await connect(t.baseUrl, { headers: { cookie, origin: `http://${host}` } });
    expect(c.socket.connected).toBe(true);
    // Another site's page cannot ride on the cookie (cross-site WebSocket hijacking).
    expect(await refused(t.baseUrl, { headers: { cookie, origin: 'https://evil.example' } })).toMatch(
      /^forbidden: origin <https:\/\/evil.example> may not use the session cookie/,
    );
  });

  it('accepts a bearer API token from any origin, as auth.token or an Authorization header', async () => {
    const c = await connect(t.baseUrl, { token: engToken, headers: { origin: 'https://elsewhere.example' } });
    expect(c.socket.connected).toBe(true);
    const d = await connect(t.baseUrl, { headers: { authorization: `Bearer ${engToken}` } });
    expect(d.socket.connected).toBe(true);
  });

  it('pushes a committed notification to its recipient only, and never a rolled back one', async () => {
    const eng = await connect(t.baseUrl, { token: engToken });
    const ops = await connect(t.baseUrl, {
      headers: { authorization: `Basic ${Buffer.from('ops1:demo').toString('base64')}` },
    });
    const acme = await connect(t.baseUrl, { token: acmeToken });

    const [rolledBack] = await notify(t, [noticeFor(['eng1'])], 'rollback');
    expect(rolledBack).toBeDefined();
    const [committed] = await notify(t, [noticeFor(['eng1'])]);
    const got = await eventually(
      () => eng.notifications.find((n) => n.notificationKey === committed),
      'the committed notification',
    );
    expect(got).toMatchObject({
      tenantId: '<default>',
      recipient: 'eng1',
      event: 'TASK_ASSIGNED',
      readAt: null,
    });
    // A notification of another tenant for acme1's user name in the default tenant (where acme1
    // is no member) and one for ops1; then one for each that they must get, as a sentinel: NOTIFYs
    // are handled in commit order, so anything earlier would have arrived before it.
    const crossTenant = await insertNotification(t, 'acme1', '<default>');
    const [forOps] = await notify(t, [noticeFor(['ops1'])]);
    const acmeSentinel = await insertNotification(t, 'acme1', 'acme');
    await eventually(
      () => ops.notifications.some((n) => n.notificationKey === forOps),
      'ops1’s notification',
    );
    await eventually(() => acme.notifications.some((n) => n.notificationKey === acmeSentinel), 'acme1’s one');
    await pause(100);

    expect(eng.notifications.map((n) => n.notificationKey)).toEqual([committed]);
    expect(ops.notifications.map((n) => n.notificationKey)).toEqual([forOps]);
    expect(acme.notifications.map((n) => n.notificationKey)).toEqual([acmeSentinel]);
    expect(acme.notifications.map((n) => n.notificationKey)).not.toContain(crossTenant);
    // The rolled back row does not exist at all.
    expect(
      await t.runtime.knex('notifications').where({ notification_key: rolledBack }).first(),
    ).toBeUndefined();
  });

  it('tells the candidate group that its task list changed, within the tenant only', async () => {
    expect((await t.deploy([{ name: 'live.bpmn', content: process_('engineering, acme-eng') }])).status).toBe(
      200,
    );
    const eng = await connect(t.baseUrl, { token: engToken });
    const ops = await connect(t.baseUrl, {
      headers: { authorization: `Basic ${Buffer.from('ops1:demo').toString('base64')}` },
    });
    const acme = await connect(t.baseUrl, { token: acmeToken });

    const instance = await t.start('live');
    const created = await eventually(
      () => eng.tasksChanged.find((e) => e.processInstanceKey === instance),
      'tasks:changed',
    );
    expect(created).toMatchObject({ tenantId: '<default>', changes: [{ change: 'CREATED' }] });
    const [task] = await t.openTasks(instance);
    expect(created.changes[0].userTaskKey).toBe(task.userTaskKey);

    expect((await t.complete(task, {}, { user: 'eng1' })).status).toBe(204);
    await eventually(
      () => eng.tasksChanged.filter((e) => e.processInstanceKey === instance).length >= 3,
      'assigned and completed',
    );
    expect(
      eng.tasksChanged
        .filter((e) => e.processInstanceKey === instance)
        .flatMap((e) => e.changes.map((c: any) => c.change)),
    ).toEqual(['CREATED', 'ASSIGNED', 'COMPLETED']);
    // ops1 is no candidate; acme1's group has the same name as a candidate group, but in another tenant.
    await pause(100);
    expect(ops.tasksChanged).toEqual([]);
    expect(acme.tasksChanged).toEqual([]);
  });

  it('tells a watcher of an instance what each commit did, once it proved it may read the instance', async () => {
    const instance = await t.start('live');
    const admin = await connect(t.baseUrl, {
      headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    });
    const ops = await connect(t.baseUrl, {
      headers: { authorization: `Basic ${Buffer.from('ops1:demo').toString('base64')}` },
    });
    const acme = await connect(t.baseUrl, { token: acmeToken });
    const watch = (c: Client, key: unknown) =>
      new Promise<any>((resolve) => c.socket.emit('instance:watch', key, resolve));
    const heard: Record<string, any[]> = { admin: [], ops: [], acme: [] };
    admin.socket.on('instance:changed', (e) => heard.admin.push(e));
    ops.socket.on('instance:changed', (e) => heard.ops.push(e));
    acme.socket.on('instance:changed', (e) => heard.acme.push(e));

    expect(await watch(admin, instance)).toEqual({ ok: true });
    // ops1 is no candidate of the task and started nothing; acme1 is of another tenant: both get the
    // same answer as for a key that does not exist.
    const notFound = `expected to find process instance with key <${instance}>, but none was found`;
    expect(await watch(ops, instance)).toEqual({ error: notFound });
    expect(await watch(acme, instance)).toEqual({ error: notFound });
    expect(await watch(admin, 'not a key')).toEqual({
      error: 'expected a process instance key (a decimal string)',
    });

    const [task] = await t.openTasks(instance);
    expect((await t.complete(task, {}, { user: 'eng1' })).status).toBe(204);
    const completed = await eventually(
      () => heard.admin.find((e) => e.events.includes('instance.completed')),
      'instance:changed with the completion',
    );
    expect(completed).toMatchObject({ tenantId: '<default>', processInstanceKey: instance });
    expect(completed.events).toContain('task.completed');
    await pause(100);
    expect(heard.ops).toEqual([]);
    expect(heard.acme).toEqual([]);

    // After instance:unwatch nothing more arrives, even for a commit in the same instance.
    const other = await t.start('live');
    expect(await watch(admin, other)).toEqual({ ok: true });
    admin.socket.emit('instance:unwatch', other);
    await pause(50);
    const before = heard.admin.length;
    const [next] = await t.openTasks(other);
    expect((await t.complete(next, {}, { user: 'eng1' })).status).toBe(204);
    await pause(200);
    expect(heard.admin.length).toBe(before);
  });

  it('answers a reconnecting client with the notifications it missed', async () => {
    const first = await connect(t.baseUrl, { token: engToken });
    const [seen] = await notify(t, [noticeFor(['eng1'])]);
    await eventually(
      () => first.notifications.some((n) => n.notificationKey === seen),
      'the first notification',
    );
    first.socket.disconnect();

    const missed = [...(await notify(t, [noticeFor(['eng1'])])), ...(await notify(t, [noticeFor(['eng1'])]))];
    await notify(t, [noticeFor(['ops1'])]); // someone else's
    const again = await connect(t.baseUrl, { token: engToken });
    const answer = await again.socket.emitWithAck('notifications:since', { after: seen });
    expect(answer.hasMore).toBe(false);
    expect(answer.items.map((n: any) => n.notificationKey)).toEqual(missed);
    expect(answer.items.every((n: any) => n.recipient === 'eng1')).toBe(true);

    const limited = await again.socket.emitWithAck('notifications:since', { after: seen, limit: 1 });
    expect(limited).toMatchObject({ hasMore: true, items: [{ notificationKey: missed[0] }] });
    expect(await again.socket.emitWithAck('notifications:since', seen)).toMatchObject({ items: [{}, {}] });
    expect(await again.socket.emitWithAck('notifications:since', { after: 'x; drop table' })).toEqual({
      error: 'expected after to be a notification key (a decimal string) or absent',
    });
    expect(await again.socket.emitWithAck('notifications:since', { after: seen, tenantId: 'acme' })).toEqual({
      error: 'expected tenantId to be one of your tenants (<default>)',
    });
  });

  it('disconnects a socket whose session ended', async () => {
    const { cookie, csrfToken } = await login(t, 'eng1');
    const c = await connect(t.baseUrl, { headers: { cookie } });
    const res = await fetch(`${t.baseUrl}/v2/auth/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(res.status).toBe(204);
    await eventually(() => !c.socket.connected, 'the socket to be disconnected');
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'two runtime nodes with the Redis adapter (needs TEST_DATABASE_URL: PGlite is one process, it cannot be shared by two nodes)',
  () => {
    let a: TestRuntime;
    let b: TestRuntime;
    let token: string;

    beforeAll(async () => {
      // A channel prefix of its own, so parallel test files never hear each other.
      const redisKey = `lifeflow-test:${randomBytes(6).toString('hex')}`;
      a = await startTestRuntime({ realtime: { redisUrl: REDIS_URL, redisKey, nodeId: 'A' } });
      b = await startTestRuntime({
        shareDatabaseOf: a,
        realtime: { redisUrl: REDIS_URL, redisKey, nodeId: 'B' },
      });
      token = await createToken(a, 'eng1');
      expect((await a.deploy([{ name: 'live.bpmn', content: process_('engineering') }])).status).toBe(200);
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('uses the Redis adapter on both nodes', () => {
      expect(a.realtime!.io.of('/').adapter.constructor.name).toBe('RedisAdapter');
      expect(b.realtime!.io.of('/').adapter.constructor.name).toBe('RedisAdapter');
    });

    it('delivers tasks:changed from a command on node A to a client on node B, once', async () => {
      const onB = await connect(b.baseUrl, { token });
      const onA = await connect(a.baseUrl, { token });
      const instance = await a.start('live');
      for (const c of [onB, onA]) {
        await eventually(
          () => c.tasksChanged.some((e) => e.processInstanceKey === instance),
          'tasks:changed',
        );
      }
      await pause(300);
      for (const c of [onB, onA]) {
        expect(c.tasksChanged.filter((e) => e.processInstanceKey === instance)).toHaveLength(1);
      }
    });

    it('delivers a notification committed on node A exactly once to clients on either node', async () => {
      const onB = await connect(b.baseUrl, { token });
      const onA = await connect(a.baseUrl, { token });
      const [key] = await notify(a, [noticeFor(['eng1'])]);
      for (const c of [onB, onA]) {
        await eventually(() => c.notifications.some((n) => n.notificationKey === key), 'the notification');
      }
      await pause(300);
      for (const c of [onB, onA]) {
        expect(c.notifications.filter((n) => n.notificationKey === key)).toHaveLength(1);
      }
      // Node B answers the reconnect query from the shared database as well.
      const answer = await onB.socket.emitWithAck('notifications:since', { after: String(BigInt(key) - 1n) });
      expect(answer.items.map((n: any) => n.notificationKey)).toContain(key);
    });
  },
);
