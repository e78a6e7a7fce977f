import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../runtime/create-runtime.js';
import { createKeyGenerator } from '../runtime/persistence/keys.js';
import { createTestDatabase, seedTestData, type TestDatabase } from './support/test-db.js';

// Two runtime processes on one PostgreSQL: only meaningful (and possible) with PostgreSQL.
const url = process.env.TEST_DATABASE_URL;
const WORKER = fileURLToPath(new URL('./support/job-worker-process.ts', import.meta.url));
const PROCESS = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="slow-work" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="slow"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="e"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="work"/><bpmn:sequenceFlow id="b" sourceRef="work" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

interface Worker {
  proc: ChildProcess;
  lines: string[];
}

function startWorker(schema: string, name: string): Promise<Worker> {
  const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, url!, schema, name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        if (line === `ready ${name}`) resolve({ proc, lines });
      }
    });
    proc.on('exit', (code) => reject(new Error(`worker ${name} exited with ${code}`)));
  });
}

describe.skipIf(!url)('two runtime processes on one PostgreSQL', () => {
  let test: TestDatabase;
  let runtime: Runtime;
  const workers: Worker[] = [];
  beforeAll(async () => {
    test = await createTestDatabase();
    await seedTestData(test.knex);
    runtime = createRuntime(test.knex, createKeyGenerator(7));
    await runtime.definitions.deploy(
      '<default>',
      [{ name: 'slow.bpmn', content: Buffer.from(PROCESS) }],
      'admin',
    );
  });
  afterAll(async () => {
    for (const w of workers) w.proc.kill('SIGKILL');
    await test?.drop();
  });

  it('completes every job exactly once when one process is killed with SIGKILL while it holds jobs', async () => {
    const schema = (await test.knex.raw('select current_schema() as s')).rows[0].s as string;
    const actor = { username: 'admin', tenantIds: ['<default>'], groups: [], roles: ['admin'] };
    const keys: string[] = [];
    for (let i = 0; i < 24; i++)
      keys.push(
        (await runtime.engine.createInstance({ processDefinitionId: 'slow-work' }, actor)).instance
          .processInstanceKey,
      );
    const [a, b] = await Promise.all([startWorker(schema, 'node-a'), startWorker(schema, 'node-b')]);
    workers.push(a, b);
    // wait until node-a holds a job it has not completed, then kill it mid-job
    for (let i = 0; i < 200; i++) {
      const activated = a.lines.filter((l) => l.startsWith('activated')).length;
      const completed = a.lines.filter((l) => l.startsWith('completed')).length;
      if (activated > completed) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    a.proc.kill('SIGKILL');
    const heldByA = a.lines.filter((l) => l.startsWith('activated')).map((l) => l.split(' ')[1]);
    const doneByA = new Set(a.lines.filter((l) => l.startsWith('completed')).map((l) => l.split(' ')[1]));
    expect(heldByA.some((k) => !doneByA.has(k))).toBe(true);

    let completed = 0;
    for (let i = 0; i < 300 && completed < keys.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      completed = Number(
        (
          await test
            .knex('process_instances')
            .where({ state: 'COMPLETED' })
            .whereIn('process_instance_key', keys)
            .count({ n: '*' })
        )[0].n,
      );
    }
    expect(completed).toBe(keys.length);
    // each job completed exactly once (the engine refuses a second completion)
    const jobs = await test.knex('jobs').whereIn('process_instance_key', keys).select('job_key', 'state');
    expect(jobs).toHaveLength(keys.length);
    expect(jobs.every((j: any) => j.state === 'COMPLETED')).toBe(true);
    for (const key of keys) {
      const history = await test
        .knex('history_events')
        .where({ process_instance_key: key, command: 'job.complete' });
      expect(history).toHaveLength(1);
    }
    // the jobs node-a held but never completed were finished by node-b after their lock expired
    const doneByB = new Set(b.lines.filter((l) => l.startsWith('completed')).map((l) => l.split(' ')[1]));
    for (const k of heldByA.filter((k) => !doneByA.has(k))) expect(doneByB.has(k)).toBe(true);
  }, 60_000);
});
