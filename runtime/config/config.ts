import path from 'node:path';

/** Log levels understood by the runtime logger, most to least severe. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Runtime configuration, read once from the environment at start-up by {@link loadConfig}.
 * Every field is already validated and defaulted; nothing else reads `process.env`.
 */
export interface Config {
  /** TCP port of the HTTP server (`PORT`, default 3000). */
  port: number;
  /** Interface the HTTP server binds to (`HOST`, default 127.0.0.1: not reachable from other machines). */
  host: string;
  /** Directory of the embedded PGlite database and its lockfile (`DATA_DIR`, default ./data). */
  dataDir: string;
  /** Directory of uploaded documents (`DOCUMENTS_DIR`, default `<DATA_DIR>/documents`). */
  documentsDir: string;
  /** Largest document upload in bytes (`UPLOAD_MAX_BYTES`, default 20 MB = 20971520). */
  uploadMaxBytes: number;
  /** PostgreSQL connection string (`DATABASE_URL`); when absent the embedded PGlite in `dataDir` is used. */
  databaseUrl?: string;
  /** Password given to the `admin` user when an empty database is seeded (`ADMIN_PASSWORD`). */
  adminPassword?: string;
  /**
   * Whether demo groups and users (password `demo`) are seeded (`DEMO`).
   * Defaults to on for the embedded database and off when `DATABASE_URL` is set; never on in production.
   */
  demo: boolean;
  /** Redis connection string for the socket.io adapter when several runtime nodes run (`REDIS_URL`). */
  redisUrl?: string;
  /**
   * Which proxies in front of the server to trust for the client address (`TRUST_PROXY`, express
   * syntax: `loopback`, `10.0.0.0/8, 127.0.0.1`, or a hop count); unset: none. Login rate limits
   * count per client address, so behind a reverse proxy this must be set.
   */
  trustProxy?: string | number;
  /** Time zone of dates in notification texts (`TIME_ZONE`, default Asia/Shanghai). */
  timeZone: string;
  /** Minimum level of log lines (`LOG_LEVEL`, default info). */
  logLevel: LogLevel;
  /**
   * 10-bit node id (0..1023) embedded in generated keys (`NODE_ID`). When absent a random id is
   * used; set distinct ids on runtime nodes that share one PostgreSQL to rule out key collisions.
   */
  nodeId?: number;
  /** SMTP server for the built-in `email` job type, e.g. smtp://user:pass@mail.example.cn:587. */
  smtpUrl?: string;
  /** Sender of those emails. */
  smtpFrom: string;
  /** Hosts (host or host:port) the built-in `http` job may call; empty: none. */
  httpAllowedHosts: string[];
  /**
   * Serve the web app at `/` (`WEB_APP`, default on; `off` for an API-only node). It is built with
   * Vite on start when designer/dist is missing.
   */
  webApp: boolean;
  /** Value of `NODE_ENV`, if any. */
  nodeEnv?: string;
}

/** Returns the variable's value, treating an empty or blank value as not set. */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  return value.trim();
}

function readInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new Error(`expected ${name} to be an integer from ${min} to ${max}, got <${raw}>`);
  }
  return Number(raw);
}

function readBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const value = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`expected ${name} to be 1/true/yes/on or 0/false/no/off, got <${raw}>`);
}

/**
 * Reads and validates the runtime configuration from environment variables.
 *
 * @throws Error with a message naming the variable when a value is invalid, or when demo data
 *   would be seeded with `NODE_ENV=production` (demo users have the well-known password `demo`).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = read(env, 'DATABASE_URL');
  const nodeEnv = read(env, 'NODE_ENV');
  const explicitDemo = readBoolean(env, 'DEMO');
  const demo = explicitDemo ?? databaseUrl === undefined;
  if (demo && nodeEnv === 'production') {
    const why = explicitDemo ? 'DEMO is set' : 'DEMO defaults to on when DATABASE_URL is not set';
    throw new Error(
      `refusing to start with demo data in production (${why}): demo users have the password 'demo'; ` +
        'set DEMO=0 or use another NODE_ENV',
    );
  }

  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new Error(`expected LOG_LEVEL to be one of ${LOG_LEVELS.join(', ')}, got <${logLevel}>`);
  }

  return {
    port: readInteger(env, 'PORT', 0, 65535) ?? 3000,
    host: read(env, 'HOST') ?? '127.0.0.1',
    dataDir: read(env, 'DATA_DIR') ?? './data',
    documentsDir: read(env, 'DOCUMENTS_DIR') ?? path.join(read(env, 'DATA_DIR') ?? './data', 'documents'),
    uploadMaxBytes: readInteger(env, 'UPLOAD_MAX_BYTES', 1, 2 ** 31 - 1) ?? 20 * 1024 * 1024,
    databaseUrl,
    adminPassword: env.ADMIN_PASSWORD ? env.ADMIN_PASSWORD : undefined,
    demo,
    redisUrl: read(env, 'REDIS_URL'),
    timeZone: (() => {
      const v = read(env, 'TIME_ZONE') ?? 'Asia/Shanghai';
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
      } catch {
        throw new Error(`expected TIME_ZONE to be an IANA time zone such as Asia/Shanghai, got <${v}>`);
      }
      return v;
    })(),
    trustProxy: (() => {
      const v = read(env, 'TRUST_PROXY');
      return v !== undefined && /^\d+$/.test(v) ? Number(v) : v;
    })(),
    logLevel: logLevel as LogLevel,
    nodeId: readInteger(env, 'NODE_ID', 0, 1023),
    nodeEnv,
    webApp: !/^(off|false|0|no)$/i.test(read(env, 'WEB_APP') ?? 'on'),
    smtpUrl: read(env, 'SMTP_URL'),
    smtpFrom: read(env, 'SMTP_FROM') ?? 'Lifeflow <lifeflow@localhost>',
    httpAllowedHosts: (read(env, 'HTTP_ALLOWED_HOSTS') ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  };
}
