/**
 * A small leveled logger writing one JSON object per line (time, level, msg, fields), honouring
 * LOG_LEVEL. Request logs with ids come with the API-quality work.
 */
export type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const ORDER: Record<Level, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: 100,
};

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  level: Level = 'info',
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Logger {
  const at =
    (lvl: Exclude<Level, 'silent'>) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[lvl] < ORDER[level]) return;
      const extra = Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [
          k,
          v instanceof Error ? { message: v.message, stack: v.stack } : v,
        ]),
      );
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...extra }));
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** The process-wide logger; main.ts sets its level from the configuration. */
export let log: Logger = createLogger((process.env.LOG_LEVEL as Level) || 'info');

export function setLogLevel(level: Level): void {
  log = createLogger(level);
}
