/**
 * A runtime node in its own process, for the multi-process test: it works jobs of type `slow`
 * (taking 200 ms each) on the given PostgreSQL schema, and logs each completion to stdout.
 * Usage: node --import tsx tests/support/job-worker-process.ts <databaseUrl> <schema> <name>
 */
import { createRuntime } from '../../runtime/create-runtime.js';
import { openDatabase } from '../../runtime/persistence/db.js';
import { createKeyGenerator } from '../../runtime/persistence/keys.js';

const [url, schema, name] = process.argv.slice(2);
const db = await openDatabase({ databaseUrl: url, searchPath: schema });
const runtime = createRuntime(db.knex, createKeyGenerator(), undefined, db.listen?.bind(db), { node: name });
await runtime.ready;
const actor = { username: name, tenantIds: ['<default>'], groups: [], roles: ['admin'] };
process.stdout.write(`ready ${name}\n`);
for (;;) {
  const jobs = await runtime.jobs.activate({
    type: 'slow',
    worker: name,
    timeout: 1500,
    maxJobsToActivate: 2,
    requestTimeout: 2000,
    tenantIds: ['<default>'],
  });
  for (const job of jobs) {
    process.stdout.write(`activated ${job.jobKey}\n`);
    await new Promise((r) => setTimeout(r, 200));
    try {
      await runtime.engine.execute(
        { type: 'job.complete', jobKey: job.jobKey, variables: { doneBy: name } },
        actor,
      );
      process.stdout.write(`completed ${job.jobKey}\n`);
    } catch (err) {
      process.stdout.write(`lost ${job.jobKey} ${(err as Error).message}\n`);
    }
  }
}
