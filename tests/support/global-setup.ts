import { createHash } from 'node:crypto';
import {
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildWebApp } from '../../runtime/web/web-app.js';
import { createPGlite, migrate, migrationsDirectory, openDatabase } from '../../runtime/persistence/db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Tarball of a migrated, empty PGlite data directory; undefined when tests run on PostgreSQL. */
    pgliteTemplatePath: string | undefined;
  }
}

const TEMPLATE_PREFIX = 'lifeflow-pglite-template-';

/**
 * Builds, once per run, a migrated PGlite data directory that every test file loads instead of
 * running initdb and the migrations again (seconds → well under one). The tarball is cached in
 * the temp directory under a hash of the PGlite version and the migrations, so an unchanged
 * schema costs nothing on the next run either.
 */
export default async function setup(project: TestProject): Promise<void> {
  // The browser tests load the built web app: rebuild it when its sources changed.
  if (process.env.LF_SKIP_WEB_BUILD !== '1') await buildWebApp('stale', (m) => console.log(m));
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgliteTemplatePath', undefined);
    return;
  }
  const file = path.join(tmpdir(), `${TEMPLATE_PREFIX}${templateHash()}.tar`);
  if (!exists(file)) {
    removeOldTemplates();
    const pglite = await createPGlite();
    const db = await openDatabase({ pglite });
    try {
      await migrate(db.knex);
      // Uncompressed: larger on disk, but faster to load in every test file.
      const dump = await pglite.dumpDataDir('none');
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, new Uint8Array(await dump.arrayBuffer()));
      renameSync(temp, file);
    } finally {
      await db.close();
    }
  } else {
    // Marks it as in use, so that a concurrent run on another schema leaves it alone.
    utimesSync(file, new Date(), new Date());
  }
  project.provide('pgliteTemplatePath', file);
}

function templateHash(): string {
  const require = createRequire(import.meta.url);
  const pgliteDir = path.dirname(path.dirname(require.resolve('@electric-sql/pglite')));
  const hash = createHash('sha256').update(readFileSync(path.join(pgliteDir, 'package.json')));
  for (const name of readdirSync(migrationsDirectory).sort()) {
    hash.update(name).update(readFileSync(path.join(migrationsDirectory, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Templates of other schemas are 40 MB each; keep the temp directory from filling up, but spare
 * those used in the last hour: a concurrent run (another checkout, another branch) may load them.
 */
function removeOldTemplates(): void {
  for (const name of readdirSync(tmpdir())) {
    if (name.startsWith(TEMPLATE_PREFIX) && name.endsWith('.tar')) {
      try {
        const file = path.join(tmpdir(), name);
        if (Date.now() - statSync(file).mtimeMs > 60 * 60 * 1000) unlinkSync(file);
      } catch {
        // another run may be using or removing it
      }
    }
  }
}
