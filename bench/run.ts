/**
 * `npm run bench`: the reference process (start -> user task -> exclusive gateway -> script task ->
 * end) driven through the engine service layer at 1 and 16 concurrent callers, beside a raw
 * baseline of transactions that each UPDATE one row by key and INSERT one history row, on the same
 * database in the same run. Prints instances/s, p50/p99 per command and the ratio of engine
 * transactions/s to baseline transactions/s. Runs on PGlite and on PostgreSQL
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; set it to "none" to skip;
 * BENCH_PGLITE=0 skips PGlite). BENCH_INSTANCES sets the number of instances per run (400).
 * Then the issue-3 figures (bench/events.ts), the issue-4 HTTP figures (bench/http.ts) and the
 * issue-5 approval figure (bench/approvals.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createRuntime } from '../runtime/create-runtime.js';
import { setLogLevel } from '../runtime/logging/logger.js';
import { benchEvents } from './events.js';
import { benchApprovals } from './approvals.js';
import { benchHttp } from './http.js';
import { createKeyGenerator } from '../runtime/persistence/keys.js';
import { type Database, migrate, openDatabase } from '../runtime/persistence/db.js';

const N = Number(process.env.BENCH_INSTANCES ?? 400);
const CONCURRENCY = [1, 16];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Timers due within one minute for the timer-lag figure (BENCH_EVENTS=0 skips the issue-3 figures). */
const TIMERS = Number(process.env.BENCH_TIMERS ?? 10_000);
/** Tasks completed over HTTP for the issue-4 figures (BENCH_HTTP=0 skips them). */
const HTTP_TASKS = Number(process.env.BENCH_HTTP_TASKS ?? 2000);
/** 会签 instances of 20 signers each for the issue-5 figure (BENCH_APPROVALS=0 skips it). */
const APPROVAL_INSTANCES = Number(process.env.BENCH_APPROVAL_INSTANCES ?? 30);
const fixture = (name: string) => readFileSync(new URL(`../tests/fixtures/${name}`, import.meta.url));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function runConcurrent(total: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = performance.now();
        await work(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, latencies };
}

async function baseline(knex: Knex, concurrency: number, transactions: number) {
  await knex.schema.dropTableIfExists('bench_rows');
  await knex.schema.dropTableIfExists('bench_history');
  // The baseline history table is indexed like ours (by row and id), so both pay for an index.
  await knex.schema.createTable('bench_rows', (t) => {
    t.bigInteger('id').primary();
    t.integer('counter').notNullable();
  });
  await knex.schema.createTable('bench_history', (t) => {
    t.bigIncrements('id');
    t.bigInteger('row_id').notNullable();
    t.jsonb('data').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['row_id', 'id']);
  });
  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, counter: 0 }));
  await knex('bench_rows').insert(rows);
  const { seconds, latencies } = await runConcurrent(transactions, concurrency, async (i) => {
    const id = (i % 1000) + 1;
    await knex.transaction(async (trx) => {
      await trx('bench_rows')
        .where({ id })
        .update({ counter: trx.raw('counter + 1') });
      await trx('bench_history').insert({ row_id: id, data: JSON.stringify({ i }), created_at: new Date() });
    });
  });
  return {
    txPerSecond: transactions / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function engineRun(runtime: ReturnType<typeof createRuntime>, concurrency: number, instances: number) {
  const actor = { username: 'admin', tenantIds: ['<default>'], groups: [], roles: ['admin'] };
  const commandLatencies: number[] = [];
  const timed = async <T>(fn: () => Promise<T>) => {
    const t0 = performance.now();
    const r = await fn();
    commandLatencies.push(performance.now() - t0);
    return r;
  };
  const { seconds } = await runConcurrent(instances, concurrency, async (i) => {
    const state = await timed(() =>
      runtime.engine.createInstance(
        { processDefinitionId: 'reference', variables: { project: `项目 ${i}`, starter: 'admin' } },
        actor,
      ),
    );
    const task = [...state.userTasks.values()][0];
    // Through the task service, as the API does: permission check and form validation included.
    await timed(() =>
      runtime.tasks.complete(task.userTaskKey, { amount: i % 2 ? 5000 : 10, decision: 'approve' }, actor),
    );
  });
  commandLatencies.sort((a, b) => a - b);
  const commands = instances * 2;
  return {
    instancesPerSecond: instances / seconds,
    txPerSecond: commands / seconds,
    p50: percentile(commandLatencies, 50),
    p99: percentile(commandLatencies, 99),
  };
}

async function benchDatabase(label: string, open: () => Promise<Database>) {
  const db = await open();
  try {
    await migrate(db.knex);
    const nextKey = createKeyGenerator();
    await db
      .knex('tenants')
      .insert({ tenant_id: '<default>', name: 'bench' })
      .onConflict('tenant_id')
      .ignore();
    const runtime = createRuntime(db.knex, nextKey);
    await runtime.definitions.deploy(
      '<default>',
      [
        // Assigned at creation, so the completing user is its assignee (only the assignee completes).
        {
          name: 'reference.bpmn',
          content: Buffer.from(
            fixture('reference.bpmn')
              .toString('utf8')
              .replace('candidateGroups="engineering"', 'assignee="=starter" candidateGroups="engineering"'),
          ),
        },
        { name: 'review-form.form', content: fixture('review-form.form') },
      ],
      'bench',
    );
    await engineRun(runtime, 4, Math.min(50, N)); // warm-up: compile cache, JIT, connections
    let baselineAtOne = 0;
    for (const c of CONCURRENCY) {
      // Alternate engine and baseline rounds and take the median of each, so a hiccup of the
      // machine in one round does not decide the ratio.
      const engineRounds: Awaited<ReturnType<typeof engineRun>>[] = [];
      const baseRounds: Awaited<ReturnType<typeof baseline>>[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        engineRounds.push(await engineRun(runtime, c, N));
        baseRounds.push(await baseline(db.knex, c, N * 2));
      }
      const median = <T extends { txPerSecond: number }>(xs: T[]) =>
        [...xs].sort((a, b) => a.txPerSecond - b.txPerSecond)[Math.floor(xs.length / 2)];
      const engine = median(engineRounds);
      const base = median(baseRounds);
      const ratio = engine.txPerSecond / base.txPerSecond;
      if (c === 1) baselineAtOne = base.txPerSecond;
      console.log(
        `${label.padEnd(10)} c=${String(c).padStart(2)}  engine: ${engine.instancesPerSecond.toFixed(1)} instances/s, ` +
          `${engine.txPerSecond.toFixed(1)} tx/s, p50 ${engine.p50.toFixed(2)} ms, p99 ${engine.p99.toFixed(2)} ms | ` +
          `baseline: ${base.txPerSecond.toFixed(1)} tx/s, p50 ${base.p50.toFixed(2)} ms, p99 ${base.p99.toFixed(2)} ms | ratio ${ratio.toFixed(2)}`,
      );
    }
    if (process.env.BENCH_EVENTS !== '0')
      await benchEvents(label, db.knex, runtime, baselineAtOne, N, TIMERS);
    if (process.env.BENCH_HTTP !== '0') await benchHttp(label, db, runtime, HTTP_TASKS);
    if (process.env.BENCH_APPROVALS !== '0') await benchApprovals(label, runtime, APPROVAL_INSTANCES);
  } finally {
    await db.close();
  }
}

async function main() {
  // One log line per request would measure the terminal, not the server.
  setLogLevel('warn');
  console.log(
    `Lifeflow bench: ${N} instances per round (2 engine commands each), baseline ${N * 2} transactions per round, median of ${ROUNDS} rounds`,
  );
  if (process.env.BENCH_PGLITE !== '0') {
    const dir = mkdtempSync(join(tmpdir(), 'lifeflow-bench-'));
    try {
      await benchDatabase('pglite', () => openDatabase({ dataDir: dir }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (url !== 'none') {
    const schema = `lf_bench_${process.pid}`;
    const admin = await openDatabase({ databaseUrl: url });
    await admin.knex.raw(`create schema if not exists ${schema}`);
    await admin.close();
    try {
      await benchDatabase('postgres', () => openDatabase({ databaseUrl: url, searchPath: schema }));
    } finally {
      const cleanup = await openDatabase({ databaseUrl: url });
      await cleanup.knex.raw(`drop schema if exists ${schema} cascade`);
      await cleanup.close();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
