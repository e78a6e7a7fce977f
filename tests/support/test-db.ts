import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Knex } from 'knex';
import { inject } from 'vitest';
import { createKeyGenerator } from '../../runtime/persistence/keys.js';
import { createPGlite, type Database, migrate, openDatabase } from '../../runtime/persistence/db.js';
import { type SeedResult, seed } from '../../runtime/persistence/seed.js';

/** A fresh, migrated, empty database for one test file (or one test). */
export interface TestDatabase {
  db: Database;
  knex: Knex;
  /** Drops the schema (PostgreSQL) or closes the in-memory PGlite. */
  drop(): Promise<void>;
  /**
   * PostgreSQL only: opens another connection pool (and LISTEN connection) on the same schema, as
   * a second runtime node would. The caller closes it; `drop()` does not. PGlite has one process.
   */
  reopen?(): Promise<Database>;
}

/**
 * Creates an isolated, migrated, empty database: a new schema `lf_t_<random>` on the PostgreSQL
 * named by `TEST_DATABASE_URL`, else an in-memory PGlite loaded from the template built by
 * global-setup.ts.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return createPostgresSchema(url);

  // (outside vitest, e.g. scripts/cold-load.ts, there is no shared template: migrate here)
  const templatePath = process.env.VITEST ? inject('pgliteTemplatePath') : undefined;
  const pglite = templatePath
    ? await createPGlite({ loadDataDir: new Blob([await readFile(templatePath)]) })
    : await createPGlite();
  const db = await openDatabase({ pglite });
  if (!templatePath) await migrate(db.knex);
  return { db, knex: db.knex, drop: () => db.close() };
}

async function createPostgresSchema(url: string): Promise<TestDatabase> {
  const schema = `lf_t_${randomBytes(6).toString('hex')}`;
  const db = await openDatabase({ databaseUrl: url, searchPath: schema });
  try {
    await db.knex.raw(`create schema "${schema}"`);
    await migrate(db.knex);
  } catch (error) {
    await db.knex.raw(`drop schema if exists "${schema}" cascade`).catch(() => {});
    await db.close();
    throw error;
  }
  let dropping: Promise<void> | undefined;
  const drop = () => {
    dropping ??= (async () => {
      try {
        await db.knex.raw(`drop schema if exists "${schema}" cascade`);
      } finally {
        await db.close();
      }
    })();
    return dropping;
  };
  const reopen = () => openDatabase({ databaseUrl: url, searchPath: schema });
  return { db, knex: db.knex, drop, reopen };
}

/**
 * Seeds the default tenant, roles, `admin` (password `admin`) and the demo groups and users
 * (password `demo`).
 */
export function seedTestData(knex: Knex): Promise<SeedResult> {
  return seed(knex, { demo: true, adminPassword: 'admin', nextKey: createKeyGenerator() });
}
