import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { Knex } from 'knex';

/** Options of {@link seed}. */
export interface SeedOptions {
  /** Password of the `admin` user; when absent a random one is generated and returned. */
  adminPassword?: string;
  /** Also create the demo groups and users (password `demo`). */
  demo: boolean;
  /** Key generator for user and group keys (see keys.ts). */
  nextKey: () => string;
  /** Receives one line per notable step. */
  log?: (msg: string) => void;
}

/** Result of {@link seed}. */
export interface SeedResult {
  /**
   * The generated admin password, set only when this call created the admin without an
   * `adminPassword`. The caller prints it once; it is stored only as a hash.
   */
  createdAdminPassword?: string;
  /** True when this call found an empty database and seeded it. */
  created: boolean;
}

/** The tenant every seeded user belongs to (Camunda's default tenant id). */
export const DEFAULT_TENANT_ID = '<default>';

/** Password of every demo user. */
export const DEMO_PASSWORD = 'demo';

const ROLES = [
  { role_id: 'admin', name: '系统管理员', description: 'Administers users, groups, tenants and settings' },
  {
    role_id: 'owner',
    name: '流程负责人',
    description: 'Process owner: deploys and maintains processes, forms and rules',
  },
  { role_id: 'user', name: '普通用户', description: 'Starts processes and works on tasks' },
  { role_id: 'auditor', name: '审计员', description: 'Reads processes, instances and history' },
];

const DEMO_GROUPS = [
  { group_id: 'field', name: '现场人员' },
  { group_id: 'engineering', name: '工程部' },
  { group_id: 'operations', name: '运营部' },
  { group_id: 'supervision', name: '监理' },
  { group_id: 'design', name: '设计院' },
  { group_id: 'survey', name: '勘察单位' },
  { group_id: 'contractor', name: '施工单位' },
  { group_id: 'owners', name: '流程管理员' },
  { group_id: 'audit', name: '审计部' },
];

const DEMO_USERS = [
  { username: 'owner', name: '流程负责人', group: 'owners', roles: ['owner', 'user'] },
  { username: 'field1', name: '张伟（现场）', group: 'field', roles: ['user'] },
  { username: 'eng1', name: '李娜（工程部）', group: 'engineering', roles: ['user'] },
  { username: 'ops1', name: '王强（运营部）', group: 'operations', roles: ['user'] },
  { username: 'sup1', name: '刘洋（监理）', group: 'supervision', roles: ['user'] },
  { username: 'des1', name: '陈静（设计院）', group: 'design', roles: ['user'] },
  { username: 'sur1', name: '周杰（勘察单位）', group: 'survey', roles: ['user'] },
  { username: 'con1', name: '赵磊（施工单位）', group: 'contractor', roles: ['user'] },
  { username: 'audit1', name: '孙丽（审计）', group: 'audit', roles: ['auditor'] },
];

interface Membership {
  container_type: 'TENANT' | 'GROUP' | 'ROLE';
  container_id: string;
  member_type: 'USER' | 'GROUP';
  member_id: string;
}

/** Hashes a password the way the runtime verifies it (argon2id, library defaults). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/**
 * Seeds an empty database (one without users): the default tenant, the roles, the `admin` user
 * and, with `demo`, the demo groups and users. Does nothing when a user exists, so it is safe to
 * call on every start, also from several runtime nodes at once (an advisory lock serialises them).
 */
export async function seed(knex: Knex, options: SeedOptions): Promise<SeedResult> {
  const log = options.log ?? (() => {});
  if (await knex('users').first('user_key')) {
    log('seed: users exist, nothing to do');
    return { created: false };
  }
  const generated = !options.adminPassword;
  const adminPassword = options.adminPassword || randomBytes(18).toString('base64url');
  const demoUsers = options.demo ? DEMO_USERS : [];

  // Hash before the transaction: argon2 is slow on purpose, and PGlite has one connection.
  // The demo users share one hash: their password is public anyway, and 7 hashes cost seconds.
  const [adminHash, demoHash] = await Promise.all([
    hashPassword(adminPassword),
    demoUsers.length > 0 ? hashPassword(DEMO_PASSWORD) : undefined,
  ]);

  return knex.transaction(async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(hashtext('lifeflow.seed'))`);
    // Checked again under the lock: another runtime node may have seeded meanwhile.
    if (await trx('users').first('user_key')) {
      log('seed: users exist, nothing to do');
      return { created: false };
    }

    await trx('tenants')
      .insert({ tenant_id: DEFAULT_TENANT_ID, name: 'Default / 默认租户' })
      .onConflict('tenant_id')
      .ignore();
    await trx('roles').insert(ROLES).onConflict('role_id').ignore();

    const users = [
      {
        user_key: options.nextKey(),
        username: 'admin',
        name: '系统管理员',
        email: null,
        password_hash: adminHash,
      },
      ...demoUsers.map((u) => ({
        user_key: options.nextKey(),
        username: u.username,
        name: u.name,
        email: `${u.username}@example.com`,
        password_hash: demoHash,
      })),
    ];
    await trx('users').insert(users);

    const memberships: Membership[] = [
      { container_type: 'ROLE', container_id: 'admin', member_type: 'USER', member_id: 'admin' },
    ];
    for (const user of users) {
      memberships.push({
        container_type: 'TENANT',
        container_id: DEFAULT_TENANT_ID,
        member_type: 'USER',
        member_id: user.username,
      });
    }

    if (options.demo) {
      await trx('groups')
        .insert(DEMO_GROUPS.map((g) => ({ group_key: options.nextKey(), ...g })))
        .onConflict('group_id')
        .ignore();
      for (const g of DEMO_GROUPS) {
        memberships.push({
          container_type: 'TENANT',
          container_id: DEFAULT_TENANT_ID,
          member_type: 'GROUP',
          member_id: g.group_id,
        });
      }
      for (const u of DEMO_USERS) {
        memberships.push({
          container_type: 'GROUP',
          container_id: u.group,
          member_type: 'USER',
          member_id: u.username,
        });
        for (const role of u.roles) {
          memberships.push({
            container_type: 'ROLE',
            container_id: role,
            member_type: 'USER',
            member_id: u.username,
          });
        }
      }
    }
    await trx('memberships').insert(memberships).onConflict().ignore();

    log(
      options.demo
        ? `seed: created tenant ${DEFAULT_TENANT_ID}, roles, admin and ${demoUsers.length} demo users (password '${DEMO_PASSWORD}')`
        : `seed: created tenant ${DEFAULT_TENANT_ID}, roles and admin`,
    );
    return generated ? { created: true, createdAdminPassword: adminPassword } : { created: true };
  });
}
