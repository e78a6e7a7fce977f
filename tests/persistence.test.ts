import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate, openDatabase, toJsonb } from '../runtime/persistence/db.js';
import { createKeyGenerator, KEY_EPOCH_MS } from '../runtime/persistence/keys.js';
import { DEFAULT_TENANT_ID, seed } from '../runtime/persistence/seed.js';
import { createTestDatabase, seedTestData, type TestDatabase } from './support/test-db.js';

/** Every migration file, in order: a fresh database gets all of them. */
const ALL_MIGRATIONS = readdirSync(new URL('../migrations/', import.meta.url))
  .filter((f) => /^\d{4}_.*\.ts$/.test(f))
  .sort()
  .map((f) => f.replace(/\.ts$/, ''));

const SCHEMA_TABLES = [
  'tenants',
  'users',
  'groups',
  'roles',
  'memberships',
  'api_tokens',
  'deployments',
  'process_definitions',
  'forms',
  'rule_sets',
  'process_instances',
  'element_instances',
  'variables',
  'user_tasks',
  'jobs',
  'incidents',
  'history_events',
];

const nextKey = createKeyGenerator();

describe('database', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.drop());

  it('migration creates every table of the initial schema and records itself', async () => {
    for (const table of SCHEMA_TABLES) {
      expect(await t.knex.schema.hasTable(table), table).toBe(true);
    }
    const applied = await t.knex('knex_migrations').pluck('name');
    expect(applied).toEqual(ALL_MIGRATIONS);
  });

  it('migrating an up-to-date database applies nothing', async () => {
    expect(await migrate(t.knex)).toEqual([]);
  });

  it('reads int8 keys back as the same decimal string, up to 2^63-1', async () => {
    const keys = ['9223372036854775807', nextKey(), '1'];
    await t.knex('deployments').insert(keys.map((deployment_key) => ({ deployment_key, tenant_id: 'k' })));
    const rows = await t.knex('deployments').where({ tenant_id: 'k' }).orderBy('deployment_key');
    expect(rows.map((r) => r.deployment_key)).toEqual(
      [...keys].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
    );
    for (const row of rows) expect(typeof row.deployment_key).toBe('string');
  });

  // count(*) is int8, so both drivers return a decimal string: callers convert with Number().
  it('reads count(*) as a decimal string on both drivers', async () => {
    await t.knex('tenants').insert([
      { tenant_id: 'count-a', name: 'A' },
      { tenant_id: 'count-b', name: 'B' },
    ]);
    const row = await t.knex('tenants').whereLike('tenant_id', 'count-%').count({ n: '*' }).first();
    expect(row?.n).toBe('2');
  });

  it('reads timestamptz as a Date at the same instant', async () => {
    const at = new Date('2024-05-06T07:08:09.123Z');
    await t.knex('tenants').insert({ tenant_id: 'time', name: 'T', created_at: at });
    const row = await t.knex('tenants').where({ tenant_id: 'time' }).first();
    expect(row.created_at).toBeInstanceOf(Date);
    expect(row.created_at.toISOString()).toBe(at.toISOString());
  });

  it('round-trips jsonb objects, arrays, strings and Chinese text written with toJsonb', async () => {
    const values = [{ 设备: '水泵', n: 1.5, nested: { ok: true, list: [1, 'a'] } }, [1, 2, 3], 'text', null];
    const ids = values.map(() => nextKey());
    await t.knex('variables').insert(
      values.map((value, i) => ({
        variable_key: ids[i],
        process_instance_key: '1',
        scope_key: ids[i],
        tenant_id: DEFAULT_TENANT_ID,
        name: 'v',
        value: toJsonb(value),
      })),
    );
    const rows = await t.knex('variables').whereIn('variable_key', ids);
    const byKey = new Map(rows.map((r) => [r.variable_key, r.value]));
    expect(ids.map((id) => byKey.get(id))).toEqual(values);
  });

  it('rolls back a failed transaction and keeps the connection usable', async () => {
    await expect(
      t.knex.transaction(async (trx) => {
        await trx('tenants').insert({ tenant_id: 'rolled-back', name: 'R' });
        await trx('tenants').insert({ tenant_id: 'rolled-back', name: 'duplicate' });
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await t.knex('tenants').where({ tenant_id: 'rolled-back' })).toEqual([]);
  });

  it('delivers NOTIFY payloads to listeners once the transaction commits', async () => {
    const received: string[] = [];
    const unlisten = await t.db.listen!('lifeflow_test', (payload) => received.push(payload));
    try {
      await t.knex.transaction(async (trx) => {
        await trx.raw('select pg_notify(?, ?)', ['lifeflow_test', 'job-42']);
        // Not delivered before the commit.
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(received).toEqual([]);
      });
      await vi.waitFor(() => expect(received).toEqual(['job-42']));
    } finally {
      await unlisten();
    }
  });
});

describe('seed', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.drop());

  it('creates the default tenant, roles, admin and demo users with argon2id-verifiable passwords', async () => {
    const result = await seedTestData(t.knex);
    expect(result.createdAdminPassword).toBeUndefined();
    expect(result.created).toBe(true);

    expect(await t.knex('tenants').where({ tenant_id: DEFAULT_TENANT_ID }).first()).toMatchObject({
      name: 'Default / 默认租户',
    });
    expect((await t.knex('roles').pluck('role_id')).sort()).toEqual(['admin', 'auditor', 'owner', 'user']);
    expect((await t.knex('groups').pluck('group_id')).sort()).toEqual(
      [
        'audit',
        'contractor',
        'design',
        'engineering',
        'field',
        'operations',
        'owners',
        'supervision',
        'survey',
      ].sort(),
    );

    const users = await t.knex('users').select().orderBy('username');
    expect(users.map((u) => u.username)).toEqual([
      'admin',
      'audit1',
      'con1',
      'des1',
      'eng1',
      'field1',
      'ops1',
      'owner',
      'sup1',
      'sur1',
    ]);
    const admin = users.find((u) => u.username === 'admin');
    expect(admin.name).toBe('系统管理员');
    expect(admin.password_hash).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(admin.password_hash, 'admin')).toBe(true);
    expect(await argon2.verify(admin.password_hash, 'demo')).toBe(false);
    const demoUsers = users.filter((u) => u.username !== 'admin');
    for (const user of demoUsers) expect(user.name, user.username).toMatch(/\p{Script=Han}/u);
    // Verify each distinct hash once: argon2 is slow on purpose.
    for (const hash of new Set(demoUsers.map((u) => u.password_hash))) {
      expect(hash).toMatch(/^\$argon2id\$/);
      expect(await argon2.verify(hash, 'demo')).toBe(true);
    }
  });

  it('puts the seeded users into their tenant, groups and roles', async () => {
    const rows = await t.knex('memberships').select();
    const has = (container_type: string, container_id: string, member_id: string) =>
      rows.some(
        (m) =>
          m.container_type === container_type &&
          m.container_id === container_id &&
          m.member_type === 'USER' &&
          m.member_id === member_id,
      );
    for (const username of ['admin', 'owner', 'field1', 'eng1', 'ops1', 'sup1', 'des1', 'con1']) {
      expect(has('TENANT', DEFAULT_TENANT_ID, username), username).toBe(true);
    }
    expect(has('ROLE', 'admin', 'admin')).toBe(true);
    expect(has('ROLE', 'owner', 'owner')).toBe(true);
    expect(has('ROLE', 'user', 'owner')).toBe(true);
    expect(has('GROUP', 'owners', 'owner')).toBe(true);
    expect(has('GROUP', 'field', 'field1')).toBe(true);
    expect(has('GROUP', 'engineering', 'eng1')).toBe(true);
    expect(has('GROUP', 'operations', 'ops1')).toBe(true);
    expect(has('GROUP', 'supervision', 'sup1')).toBe(true);
    expect(has('GROUP', 'design', 'des1')).toBe(true);
    expect(has('GROUP', 'contractor', 'con1')).toBe(true);
    for (const username of ['field1', 'eng1', 'ops1', 'sup1', 'des1', 'con1']) {
      expect(has('ROLE', 'user', username), username).toBe(true);
      expect(has('ROLE', 'owner', username), username).toBe(false);
    }
    expect(has('ROLE', 'admin', 'owner')).toBe(false);
  });

  it('is idempotent: a second run creates nothing and returns no password', async () => {
    const before = await t.knex('memberships').count({ n: '*' }).first();
    const result = await seed(t.knex, { demo: true, nextKey });
    expect(result).toEqual({ created: false });
    expect(await t.knex('users').count({ n: '*' }).first()).toEqual({ n: '10' });
    expect(await t.knex('memberships').count({ n: '*' }).first()).toEqual(before);
  });

  it('generates, returns and hashes a random admin password when none is given, without demo users', async () => {
    const fresh = await createTestDatabase();
    try {
      const logs: string[] = [];
      const { createdAdminPassword } = await seed(fresh.knex, {
        demo: false,
        nextKey,
        log: (m) => logs.push(m),
      });
      expect(createdAdminPassword).toMatch(/^[\w-]{16,}$/);
      expect(await fresh.knex('users').pluck('username')).toEqual(['admin']);
      expect(await fresh.knex('groups').count({ n: '*' }).first()).toEqual({ n: '0' });
      const admin = await fresh.knex('users').where({ username: 'admin' }).first();
      expect(await argon2.verify(admin.password_hash, createdAdminPassword!)).toBe(true);
      expect(logs.join('\n')).not.toContain(createdAdminPassword!);
    } finally {
      await fresh.drop();
    }
  });
});

describe('data directory lock (embedded PGlite)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'lifeflow-lock-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a second open of the same data directory while the first is open, and frees it on close', async () => {
    const first = await openDatabase({ dataDir });
    try {
      expect(readFileSync(path.join(dataDir, 'lifeflow.lock'), 'utf8').trim()).toBe(String(process.pid));
      await expect(openDatabase({ dataDir })).rejects.toThrow(
        `data directory <${dataDir}> is in use by process <${process.pid}>; stop it or set DATA_DIR to another directory`,
      );
      await migrate(first.knex);
    } finally {
      await first.close();
    }
    expect(existsSync(path.join(dataDir, 'lifeflow.lock'))).toBe(false);
  });

  it('takes over a stale lock left by a process that is gone, and keeps the data', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']);
    expect(dead.pid).toBeGreaterThan(0);
    writeFileSync(path.join(dataDir, 'lifeflow.lock'), `${dead.pid}\n`);

    const db = await openDatabase({ dataDir });
    try {
      expect(readFileSync(path.join(dataDir, 'lifeflow.lock'), 'utf8').trim()).toBe(String(process.pid));
      expect(await db.knex('knex_migrations').pluck('name')).toEqual(ALL_MIGRATIONS);
    } finally {
      await db.close();
    }
  });
});

describe('key generator', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('returns 100k unique, strictly increasing decimal keys below 2^63', () => {
    const next = createKeyGenerator(7);
    let previous = -1n;
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const key = next();
      expect(key).toMatch(/^[1-9]\d*$/);
      const value = BigInt(key);
      if (value <= previous) expect.fail(`key ${key} is not greater than ${previous}`);
      if (value >= 2n ** 63n) expect.fail(`key ${key} is not below 2^63`);
      previous = value;
      seen.add(key);
    }
    expect(seen.size).toBe(100_000);
  });

  it('embeds the timestamp and node id, and keeps increasing when the clock goes backwards', () => {
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    const next = createKeyGenerator(1023);
    const a = BigInt(next());
    expect(a >> 22n).toBe(BigInt(now - KEY_EPOCH_MS));
    expect((a >> 12n) & 1023n).toBe(1023n);

    clock.mockReturnValue(now - 5000);
    const b = BigInt(next());
    expect(b).toBeGreaterThan(a);
    expect((b >> 12n) & 1023n).toBe(1023n);
  });

  it('keys from generators with different node ids never collide in the same millisecond', () => {
    vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    const keys = new Set<string>();
    for (const nodeId of [1, 2]) {
      const next = createKeyGenerator(nodeId);
      for (let i = 0; i < 10_000; i++) keys.add(next());
    }
    expect(keys.size).toBe(20_000);
  });

  it('rejects a node id outside 0..1023', () => {
    expect(() => createKeyGenerator(1024)).toThrow(
      'expected node id to be an integer from 0 to 1023, got <1024>',
    );
  });
});
