import type { Knex } from 'knex';
import { Authenticator, DEFAULT_SESSION_SETTINGS, type SessionSettings } from './auth/authenticate.js';
import { createApp } from './http/app.js';
import { DocumentService } from './documents/document-service.js';
import { elementsOfCompiled } from './records/approval-record.js';
import { LocalDiskDocumentStore } from './documents/local-disk-document-store.js';
import { hostname } from 'node:os';
import { BuiltinWorkers, type MailSettings } from './jobs/builtin-workers.js';
import { JobService } from './jobs/job-service.js';
import { TimerExecutor } from './jobs/timer-executor.js';
import { JOBS_CHANNEL, TIMERS_CHANNEL } from './persistence/instance-store.js';
import type { Database } from './persistence/db.js';
import { DEFINITIONS_CHANNEL, DefinitionService } from './services/definitions.js';
import { ModuleService } from './services/module-service.js';
import { EngineService } from './services/engine-service.js';
import { EventService } from './services/event-service.js';
import { IdentityService } from './services/identity-service.js';
import { InstanceOps } from './services/instance-ops.js';
import { CALENDARS_CHANNEL, CalendarService } from './services/calendar-service.js';
import { log } from './logging/logger.js';
import {
  DEFAULT_DELIVERY_SETTINGS,
  DeliveryWorker,
  type DeliverySettings,
} from './notifications/delivery-worker.js';
import { NotificationService } from './notifications/notification-service.js';
import { ReminderWorker } from './notifications/reminders.js';
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
  /** Time zone of dates in notification texts (default Asia/Shanghai). */
  timeZone?: string;
  /** Proxies to trust for the client address (express `trust proxy`). */
  trustProxy?: string | number;
  /** Retry back-off of email and webhook deliveries. */
  deliveries?: Partial<DeliverySettings>;
  /** Tasks due within this long get a "due soon" reminder (default 24 hours). */
  dueSoonMs?: number;
  /** Session lifetimes and cookie flags of the web app's login. */
  sessions?: Partial<SessionSettings>;
  /**
   * Uploaded documents: the directory of the local-disk store (default `./data/documents`, created
   * on the first upload) and the largest upload in bytes (default 20 MB).
   */
  documents?: { dir: string; maxBytes?: number };
  /** The built web app (designer/dist) to serve at `/`; none when unset. */
  webRoot?: string;
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
  const documents = new DocumentService(
    knex,
    new LocalDiskDocumentStore(options.documents?.dir ?? './data/documents'),
    clock,
    options.documents?.maxBytes,
  );
  const tasks = new TaskService(engine, definitions, documents);
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
  const calendars = new CalendarService(knex, clock);
  // Task timeouts (lf:timeout) are measured on the tenant's working calendars.
  engine.setCalendars(calendars);
  // Other nodes: deployments make us forget cached latest versions; new timers and jobs wake us.
  const ready = listen
    ? Promise.all([
        listen(DEFINITIONS_CHANNEL, () => definitions.invalidateLatest()),
        listen(TIMERS_CHANNEL, () => timers.wake()),
        listen(JOBS_CHANNEL, (type) => jobs.notifyAvailable(type)),
        listen(CALENDARS_CHANNEL, (tenantId) => calendars.forget(tenantId)),
      ])
    : Promise.resolve([]);
  const node = options.node ?? `${hostname()}:${process.pid}`;
  const mail = options.mail ?? { from: 'Lifeflow <lifeflow@localhost>' };
  const notifications = new NotificationService(nextKey, clock, () => !!mail.smtpUrl, options.timeZone);
  // Notifications are written in the transaction of the change that causes them (the outbox).
  engine.onWrite((trx, state, events, ctx) =>
    notifications.fromEngine(trx, state, events, ctx.process, ctx.actor),
  );
  const deliveries = new DeliveryWorker(knex, clock, node, options.httpAllowedHosts ?? [], mail, {
    ...DEFAULT_DELIVERY_SETTINGS,
    ...options.deliveries,
  });
  const reminders = new ReminderWorker(knex, notifications, clock, options.dueSoonMs);
  const builtins = new BuiltinWorkers(
    jobs,
    engine,
    options.httpAllowedHosts ?? [],
    async () => (await knex('tenants').pluck('tenant_id')) as string[],
    options.mail,
  );
  builtins.notifications = notifications;
  builtins.archive = {
    documents,
    elements: async (key) => elementsOfCompiled(await definitions.getCompiled(key)),
    timeZone: options.timeZone,
  };
  const instanceOps = new InstanceOps(knex, engine, definitions, notifications, clock);
  const modules = new ModuleService(knex, definitions, notifications);
  const services = {
    modules,
    knex,
    definitions,
    engine,
    tasks,
    jobs,
    events,
    auth,
    identity,
    documents,
    notifications,
    instanceOps,
    calendars,
    nextKey,
    version: VERSION,
    httpAllowedHosts: options.httpAllowedHosts ?? [],
    timeZone: options.timeZone,
  };
  const app = createApp(services, { webRoot: options.webRoot });
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  return {
    ...services,
    app,
    ready,
    timers,
    builtins,
    deliveries,
    reminders,
    /** Starts background work (timers, built-in workers, deliveries, reminders). Tests may drive them by hand. */
    start: () => {
      timers.start();
      builtins.start();
      reminders.start();
      deliveries.start(listen).catch((err) => log.error('could not start notification deliveries', { err }));
    },
    stop: async () => {
      timers.stop();
      builtins.stop();
      await Promise.all([deliveries.stop(), reminders.stop()]);
    },
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
