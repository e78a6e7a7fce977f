import type { Knex } from 'knex';
import { Authenticator } from './auth/authenticate.js';
import { createApp } from './http/app.js';
import { JobService } from './jobs/job-service.js';
import type { Database } from './persistence/db.js';
import { DEFINITIONS_CHANNEL, DefinitionService } from './services/definitions.js';
import { EngineService } from './services/engine-service.js';
import { TaskService } from './services/task-service.js';

export const VERSION = '0.1.0';

/**
 * Wires the services over one database. main.ts and the tests both build the runtime here, so
 * tests exercise exactly what the server runs.
 */
export function createRuntime(
  knex: Knex,
  nextKey: () => string,
  clock: () => Date = () => new Date(),
  listen?: Database['listen'],
) {
  const definitions = new DefinitionService(knex, nextKey);
  const engine = new EngineService(knex, definitions, nextKey, clock);
  const jobs = new JobService(knex, clock);
  const tasks = new TaskService(engine, definitions);
  const auth = new Authenticator(knex);
  engine.on('committed', ({ events }) => {
    for (const e of events) if (e.type === 'job.created') jobs.notifyAvailable(e.job.type);
  });
  // Deployments on other nodes: forget which versions are the latest here too.
  const ready = listen
    ? listen(DEFINITIONS_CHANNEL, () => definitions.invalidateLatest())
    : Promise.resolve(undefined);
  const services = { knex, definitions, engine, tasks, jobs, auth, nextKey, version: VERSION };
  const app = createApp(services);
  return { ...services, app, ready };
}

export type Runtime = ReturnType<typeof createRuntime>;
