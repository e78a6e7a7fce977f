import pino from 'pino';

/**
 * The runtime's leveled logger, on pino: one JSON object per line (time, level, msg, fields),
 * honouring LOG_LEVEL. Secrets never reach a line: password, token, Authorization and Cookie
 * fields are redacted wherever callers put them (see REDACT). Request lines with ids are written
 * by http/request-log.ts through this logger.
 */
export type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'adminPassword',
  'token',
  'csrfToken',
  'authorization',
  'cookie',
  'set-cookie',
  'x-csrf-token',
];

/** Paths pino censors: secret fields at the top, one level down, and in logged headers. */
const REDACT = [
  ...SECRET_FIELDS.map((f) => `["${f}"]`),
  ...SECRET_FIELDS.map((f) => `*["${f}"]`),
  ...SECRET_FIELDS.map((f) => `*.headers["${f}"]`),
  // Database errors (PGlite's) carry the statement's bound values: password and session hashes,
  // webhook secrets, form data. The statement itself is kept; its values are not.
  '*["params"]',
  '*["bindings"]',
];

/** A level from configuration or the environment; unknown values fall back to info. */
function normalise(level: string | undefined): Level {
  const l = (level ?? '').trim().toLowerCase();
  return (LEVELS as readonly string[]).includes(l) ? (l as Level) : 'info';
}

function serialiseErrors(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    // pino serialises `err` itself; other fields holding errors are serialised the same way.
    if (v instanceof Error && k !== 'err') {
      out ??= { ...fields };
      out[k] = pino.stdSerializers.err(v);
    }
  }
  return out ?? fields;
}

export function createLogger(
  level: Level = 'info',
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Logger {
  const destination = { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) };
  const logger = pino(
    {
      level: normalise(level),
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination,
  );
  const at =
    (lvl: 'error' | 'warn' | 'info' | 'debug') =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (!logger.isLevelEnabled(lvl)) return;
      logger[lvl](serialiseErrors(fields), msg);
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/**
 * Default level: LOG_LEVEL, else info — but warn under the test runner, so test output is not
 * flooded by request lines (tests that read log lines make their own logger).
 */
const defaultLevel = () =>
  process.env.LOG_LEVEL ? normalise(process.env.LOG_LEVEL) : process.env.VITEST ? 'warn' : 'info';

/** The process-wide logger; main.ts sets its level from the configuration. */
export let log: Logger = createLogger(defaultLevel());

/** Replaces the process-wide logger (level, and optionally where lines go — tests capture them). */
export function setLogLevel(level: Level, write?: (line: string) => void): void {
  log = createLogger(level, write);
}
