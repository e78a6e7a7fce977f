import type { Knex } from 'knex';
import { Authenticator, DEFAULT_SESSION_SETTINGS, type SessionSettings } from './auth/authenticate.js';
import { createApp } from './http/app.js';
import { hostname } from 'node:os';
import { BuiltinWorkers, type MailSettings } from './jobs/builtin-workers.js';
import { JobService } from './jobs/job-service.js';
import { TimerExecutor } from './jobs/timer-executor.js';
import { JOBS_CHANNEL, TIMERS_CHANNEL } from './persistence/instance-store.js';
import type { Database } from './persistence/db.js';
import { DEFINITIONS_CHANNEL, DefinitionService } from './services/definitions.js';
import { EngineService } from './services/engine-service.js';
import { EventService } from './services/event-service.js';
import { IdentityService } from './services/identity-service.js';
import { TaskService } from './services/task-service.js';

export const VERSION = '0.1.0';

/**
 * Wires the services over one database. main.ts and the tests both build the runtime here, so
 * tests exercise exactly what the server runs.
 */
export interface RuntimeOptions {
  /** Name of this node in job and timer locks; default host:pid. */
  node?: string;
  /** Hosts the built-in http job type may call. */
  httpAllowedHosts?: string[];
  /** SMTP settings of the built-in email job type. */
  mail?: MailSettings;
  /** Session lifetimes and cookie flags of the web app's login. */
  sessions?: Partial<SessionSettings>;
}

export function createRuntime(
  knex: Knex,
  nextKey: () => string,
  clock: () => Date = () => new Date(),
  listen?: Database['listen'],
  options: RuntimeOptions = {},
) {
  const definitions = new DefinitionService(knex, nextKey, clock);
  const engine = new EngineService(knex, definitions, nextKey, clock);
  const jobs = new JobService(knex, clock);
  const tasks = new TaskService(engine, definitions);
  const auth = new Authenticator(knex, { ...DEFAULT_SESSION_SETTINGS, ...options.sessions }, clock);
  const identity = new IdentityService(knex, nextKey, auth);
  const events = new EventService(knex, engine, clock);
  const timers = new TimerExecutor(
    knex,
    engine,
    clock,
    options.node ?? `${hostname()}:${process.pid}`,
    (job, actor, now) => events.deliverSignalJob(job, actor, now),
  );
  engine.on('committed', ({ events }) => {
    for (const e of events) {
      if (e.type !== 'job.created') continue;
      if (e.job.kind === 'TIMER' || e.job.kind === 'SIGNAL') timers.wake();
      else jobs.notifyAvailable(e.job.type);
    }
  });
  definitions.on('timers', () => timers.wake());
  // Other nodes: deployments make us forget cached latest versions; new timers and jobs wake us.
  const ready = listen
    ? Promise.all([
        listen(DEFINITIONS_CHANNEL, () => definitions.invalidateLatest()),
        listen(TIMERS_CHANNEL, () => timers.wake()),
        listen(JOBS_CHANNEL, (type) => jobs.notifyAvailable(type)),
      ])
    : Promise.resolve([]);
  const builtins = new BuiltinWorkers(
    jobs,
    engine,
    options.httpAllowedHosts ?? [],
    async () => (await knex('tenants').pluck('tenant_id')) as string[],
    options.mail,
  );
  const services = {
    knex,
    definitions,
    engine,
    tasks,
    jobs,
    events,
    auth,
    identity,
    nextKey,
    version: VERSION,
  };
  const app = createApp(services);
  return {
    ...services,
    app,
    ready,
    timers,
    builtins,
    /** Starts background work (timer executor, built-in workers). Tests may drive them by hand. */
    start: () => {
      timers.start();
      builtins.start();
    },
    stop: () => {
      timers.stop();
      builtins.stop();
    },
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
