import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPGLite from 'knex-pglite';
import pg from 'pg';

/**
 * An open database: PostgreSQL (`DATABASE_URL`) or the embedded PGlite in `DATA_DIR`.
 *
 * Both drivers return the same JavaScript values: `bigint`/int8 (keys, `count(*)`) and `numeric`
 * as decimal strings, `timestamptz` as `Date`, `jsonb` as parsed values, `text[]` as string arrays.
 *
 * Write jsonb values as `JSON.stringify(value)` (see {@link toJsonb}): the pg driver turns a
 * JavaScript array into a PostgreSQL array literal, which is invalid JSON, while PGlite accepts it;
 * code that passes raw arrays would work on PGlite and fail on PostgreSQL.
 *
 * PGlite has exactly one connection: inside `knex.transaction(trx => ...)` every query must use
 * `trx`; a query on `knex` would wait for the connection the transaction holds, forever.
 */
export interface Database {
  /** Query builder bound to this database. */
  knex: Knex;
  /** Which engine is behind `knex`. */
  kind: 'pglite' | 'postgres';
  /** Destroys the pool (closing PGlite) and releases the data directory lock. Idempotent. */
  close(): Promise<void>;
  /**
   * Calls `onNotify` with the payload of every `NOTIFY` (or `pg_notify`) on `channel`, delivered
   * after the notifying transaction commits. Delivery is best effort (a PostgreSQL listener
   * reconnects after a connection loss and misses what was sent meanwhile), so use it to wake
   * pollers, never as the only trigger.
   *
   * @param channel lower-case identifier: letters, digits and `_`, at most 63 characters.
   * @returns a function that stops this subscription.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; when set, PostgreSQL is used and `dataDir` is ignored. */
  databaseUrl?: string;
  /** Directory of the embedded database (created if missing); default `./data`. */
  dataDir?: string;
  /** Schema(s) to put on the search path of every connection (used by tests for isolation). */
  searchPath?: string | string[];
  /**
   * An already created PGlite (tests). It must parse int8 as strings: create it with
   * {@link createPGlite}. No lockfile is taken; `close()` closes it.
   */
  pglite?: PGlite;
}

/**
 * Type parsers that make PGlite return what node-postgres returns: int8 (oid 20, and int8[] which
 * PGlite derives from it) and numeric (1700) as decimal strings, instead of number/bigint.
 */
export const pgliteParsers: NonNullable<PGliteOptions['parsers']> = {
  20: (value: string) => value,
  1700: (value: string) => value,
};

/** Creates a PGlite instance with {@link pgliteParsers} and waits until it is ready. */
export async function createPGlite(options: PGliteOptions = {}): Promise<PGlite> {
  const pglite = new PGlite({ ...options, parsers: { ...pgliteParsers, ...options.parsers } });
  await pglite.waitReady;
  return pglite;
}

/** Serialises a value for a jsonb column or parameter the same way on both drivers. */
export function toJsonb(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Opens PostgreSQL when `databaseUrl` is set, else the embedded PGlite in `dataDir` (or the given
 * `pglite`). Does not migrate: call {@link migrate}.
 *
 * @throws Error when the data directory is locked by another live process.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.searchPath);

  if (opts.pglite) {
    await assertInt8AsString(opts.pglite);
    return openPGlite(opts.pglite, opts.searchPath, () => {});
  }

  const dataDir = path.resolve(opts.dataDir ?? './data');
  mkdirSync(dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(dataDir);
  try {
    const pglite = await createPGlite({ dataDir: path.join(dataDir, 'pgdata') });
    return openPGlite(pglite, opts.searchPath, releaseLock);
  } catch (error) {
    releaseLock();
    throw error;
  }
}

function openPostgres(connectionString: string, searchPath?: string | string[]): Database {
  const knex = knexFactory({
    client: 'pg',
    connection: connectionString,
    pool: { min: 0, max: 10 },
    ...(searchPath ? { searchPath } : {}),
  });
  const listener = createPostgresListener(connectionString);
  let closing: Promise<void> | undefined;
  return {
    knex,
    kind: 'postgres',
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    close: () => {
      closing ??= (async () => {
        await listener.close();
        await knex.destroy();
      })();
      return closing;
    },
  };
}

/**
 * knex-pglite names a delete's command "DEL" (from knex's method name `del`), so knex's pg dialect
 * does not recognise it and returns the raw result instead of the number of deleted rows, as it
 * does with `pg`. Both databases must answer the same.
 */
class PGliteClient extends (ClientPGLite as any) {
  processResponse(obj: { method?: string }, runner: unknown) {
    return super.processResponse(obj?.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
  }
}

function openPGlite(
  pglite: PGlite,
  searchPath: string | string[] | undefined,
  releaseLock: () => void,
): Database {
  const knex = knexFactory({
    client: PGliteClient as unknown as typeof ClientPGLite,
    // The function form makes knex-pglite use our instance (with our parsers) instead of creating one.
    connection: () => ({ pglite }) as any,
    ...(searchPath ? { searchPath } : {}),
  });

  const handlers = new Map<string, Set<(payload: string) => void>>();
  let stopNotifications: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  return {
    knex,
    kind: 'pglite',
    async listen(channel, onNotify) {
      assertChannel(channel);
      stopNotifications ??= pglite.onNotification((ch, payload) => {
        for (const handler of handlers.get(ch) ?? []) handler(payload);
      });
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        // Through knex, not pglite.listen(): the single session may be inside a knex transaction,
        // and a LISTEN issued in there would be undone by its rollback.
        await knex.raw(`LISTEN ${channel}`);
      }
      set.add(onNotify);
      return async () => {
        const current = handlers.get(channel);
        if (!current?.delete(onNotify) || current.size > 0) return;
        handlers.delete(channel);
        if (!pglite.closed) await knex.raw(`UNLISTEN ${channel}`);
      };
    },
    close: () => {
      closing ??= (async () => {
        try {
          stopNotifications?.();
          handlers.clear();
          // knex-pglite closes PGlite when the pool destroys its connection, if one was acquired.
          await knex.destroy();
          if (!pglite.closed) await pglite.close();
        } finally {
          releaseLock();
        }
      })();
      return closing;
    },
  };
}

async function assertInt8AsString(pglite: PGlite): Promise<void> {
  const { rows } = await pglite.query<{ v: unknown }>('select 1::int8 as v');
  if (typeof rows[0]?.v !== 'string') {
    throw new Error('expected the PGlite instance to parse int8 as strings; create it with createPGlite()');
  }
}

function assertChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new Error(`expected a channel name of lower-case letters, digits and _, got <${channel}>`);
  }
}

/**
 * One dedicated connection (outside the pool) for LISTEN, opened on first use and re-opened,
 * with its LISTENs, after it is lost.
 */
function createPostgresListener(connectionString: string) {
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = 500;
  let closed = false;

  const connect = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString });
      c.on('notification', (msg) => {
        for (const handler of handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
      });
      c.on('error', () => lost(c));
      c.on('end', () => lost(c));
      try {
        await c.connect();
        for (const channel of handlers.keys()) await c.query(`LISTEN ${channel}`);
      } catch (error) {
        c.end().catch(() => {});
        throw error;
      }
      if (closed) {
        await c.end();
        throw new Error('database closed');
      }
      client = c;
      retryDelay = 500;
      return c;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => {});
    scheduleReconnect();
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer || handlers.size === 0) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().catch(() => {
        retryDelay = Math.min(retryDelay * 2, 30_000);
        scheduleReconnect();
      });
    }, retryDelay);
    retryTimer.unref();
  };

  return {
    async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
      assertChannel(channel);
      if (closed) throw new Error('database closed');
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        try {
          const c = await connect();
          await c.query(`LISTEN ${channel}`);
        } catch (error) {
          handlers.delete(channel);
          throw error;
        }
      }
      set.add(onNotify);
      return async () => {
        const current = handlers.get(channel);
        if (!current?.delete(onNotify) || current.size > 0) return;
        handlers.delete(channel);
        await client?.query(`UNLISTEN ${channel}`);
      };
    },
    async close(): Promise<void> {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      handlers.clear();
      await connecting?.catch(() => {});
      const c = client;
      client = undefined;
      await c?.end();
    },
  };
}

/** Data directory locks held by this process, so a reused pid (containers) is not mistaken for us. */
const heldLocks = new Set<string>();

/**
 * Takes `<dataDir>/lifeflow.lock` for this process: PGlite must never be opened by two processes,
 * which would corrupt it. A lock whose pid is dead is stale and taken over.
 *
 * @returns a function that releases the lock.
 */
function acquireDataDirLock(dataDir: string): () => void {
  const file = path.join(dataDir, 'lifeflow.lock');
  const content = `${process.pid}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    // Write then hard-link: the lock file appears atomically, never empty or half written.
    const temp = `${file}.${process.pid}.${attempt}.tmp`;
    writeFileSync(temp, content);
    try {
      linkSync(temp, file);
      heldLocks.add(file);
      return () => releaseDataDirLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temp);
    }

    const owner = readLockPid(file);
    if (owner !== undefined && isAlive(owner) && (owner !== process.pid || heldLocks.has(file))) {
      throw new Error(
        `data directory <${dataDir}> is in use by process <${owner}>; stop it or set DATA_DIR to another directory`,
      );
    }
    try {
      unlinkSync(file); // stale: its process is gone
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`could not take the lock <${file}>: another process keeps taking it`);
}

function releaseDataDirLock(file: string): void {
  if (!heldLocks.delete(file)) return;
  // Leave a lock alone that someone else took over after deciding ours was stale.
  if (readLockPid(file) === process.pid) {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

function readLockPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const MIGRATION_FILE = /^(\d{4}_[\w-]+)\.(ts|mts|js|mjs)$/;

/** The folder of the numbered migrations, next to runtime/. */
export const migrationsDirectory = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Lists `NNNN_name.ts` files and loads them with dynamic `import()`, so migrations written in
 * TypeScript run under tsx and vitest alike. Names are recorded without extension.
 */
function createMigrationSource(directory: string): Knex.MigrationSource<{ name: string; file: string }> {
  return {
    async getMigrations() {
      const byName = new Map<string, string>();
      for (const file of (await readdir(directory)).sort()) {
        const match = MIGRATION_FILE.exec(file);
        if (match && !file.endsWith('.d.ts') && !byName.has(match[1])) byName.set(match[1], file);
      }
      return [...byName].map(([name, file]) => ({ name, file }));
    },
    getMigrationName: (migration) => migration.name,
    getMigration: (migration) => import(pathToFileURL(path.join(directory, migration.file)).href),
  };
}

/**
 * Applies the pending migrations, in file name order, each in its own transaction.
 *
 * @returns the names of the migrations applied by this call (empty when up to date).
 */
export async function migrate(knex: Knex, options: { directory?: string } = {}): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({
    migrationSource: createMigrationSource(options.directory ?? migrationsDirectory),
    tableName: 'knex_migrations',
  });
  return applied as string[];
}
