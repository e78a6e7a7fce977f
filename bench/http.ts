/**
 * Issue 4 figures for `npm run bench`: HTTP task completion through the whole stack (auth with an
 * API token, form check, engine, notification outbox) at 16 concurrent clients — requests/s, p50
 * and p99 — and, while that load runs, the latency from a notification's creation in the
 * completing transaction to its receipt by a socket.io client (p50/p99).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashToken } from '../runtime/auth/authenticate.js';
import type { Runtime } from '../runtime/create-runtime.js';
import type { Database } from '../runtime/persistence/db.js';
import { hashPassword } from '../runtime/persistence/seed.js';
import { attachRealtime } from '../runtime/realtime/realtime.js';

const CLIENTS = Number(process.env.BENCH_HTTP_CLIENTS ?? 16);
const PROCESS = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_bench_http">
  <bpmn:process id="bench-http" name="巡检确认" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="inspect" name="现场巡检"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="bench-worker"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="confirm" name="确认结果"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="bench-watcher"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="inspect"/><bpmn:sequenceFlow id="b" sourceRef="inspect" targetRef="confirm"/>
  </bpmn:process>
</bpmn:definitions>`;

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;

async function user(db: Database, runtime: Runtime, username: string): Promise<string> {
  await db.knex('users').insert({
    user_key: runtime.nextKey(),
    username,
    name: username,
    password_hash: await hashPassword(randomBytes(12).toString('hex')),
  });
  await db.knex('memberships').insert([
    { container_type: 'TENANT', container_id: '<default>', member_type: 'USER', member_id: username },
    { container_type: 'ROLE', container_id: 'user', member_type: 'USER', member_id: username },
  ]);
  const token = `lf_${randomBytes(32).toString('base64url')}`;
  await db
    .knex('api_tokens')
    .insert({ token_key: runtime.nextKey(), username, name: 'bench', token_hash: hashToken(token) });
  return token;
}

export async function benchHttp(label: string, db: Database, runtime: Runtime, tasks: number): Promise<void> {
  await db.knex('roles').insert({ role_id: 'user', name: 'user' }).onConflict('role_id').ignore();
  const workerToken = await user(db, runtime, 'bench-worker');
  const watcherToken = await user(db, runtime, 'bench-watcher');
  await runtime.definitions.deploy(
    '<default>',
    [{ name: 'bench-http.bpmn', content: Buffer.from(PROCESS) }],
    'bench',
  );
  const actor = { username: 'bench', tenantIds: ['<default>'], groups: [], roles: ['admin'] };
  const keys: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const state = await runtime.engine.createInstance({ processDefinitionId: 'bench-http' }, actor);
    keys.push([...state.userTasks.values()][0].userTaskKey);
  }

  const server = runtime.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const realtime = await attachRealtime(server, {
    knex: db.knex,
    auth: runtime.auth,
    listen: db.listen?.bind(db),
    engine: runtime.engine,
  });
  const dir = mkdtempSync(join(tmpdir(), 'lifeflow-http-bench-'));
  try {
    const settingsFile = join(dir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ base, workerToken, watcherToken, keys, clients: CLIENTS }));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./http-load.ts', import.meta.url)), settingsFile],
        { maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      seconds: number;
      latencies: number[];
      failures: number;
      notificationLatencies: number[];
    };
    const latencies = r.latencies.sort((a, b) => a - b);
    const notificationLatencies = r.notificationLatencies.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(10)} http complete-task c=${CLIENTS}: ${(keys.length / r.seconds).toFixed(1)} req/s, ` +
        `p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms` +
        `${r.failures ? `, ${r.failures} FAILED` : ''} | notification commit→socket: ` +
        `p50 ${pct(notificationLatencies, 50).toFixed(1)} ms, p99 ${pct(notificationLatencies, 99).toFixed(1)} ms ` +
        `(${notificationLatencies.length}/${keys.length} received)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await realtime.close();
  }
}
