/**
 * Issue 3 figures for `npm run bench`: job throughput with an in-process worker at batch sizes 1
 * and 32 (ratio to the raw baseline measured in the same run), timer lag (p99 from due time to
 * firing for many timers due within one minute, fired by the real executor), and message
 * correlations per second.
 */
import type { Knex } from 'knex';
import type { Runtime } from '../runtime/create-runtime.js';

const actor = { username: 'bench', tenantIds: ['<default>'], groups: [], roles: ['admin'] };
const defs = (id: string, body: string, extra = '') => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_${id}">${extra}
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process></bpmn:definitions>`;
const JOB = defs(
  'bench-job',
  `<bpmn:startEvent id="s"/><bpmn:serviceTask id="w"><bpmn:extensionElements><zeebe:taskDefinition type="bench-work"/></bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="e"/>
   <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="w"/><bpmn:sequenceFlow id="b" sourceRef="w" targetRef="e"/>`,
);
const TIMER = defs(
  'bench-timer',
  `<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition><bpmn:timeDate>=dueAt</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>
   <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="b" sourceRef="t" targetRef="e"/>`,
);
const MESSAGE = defs(
  'bench-message',
  `<bpmn:startEvent id="s"/><bpmn:receiveTask id="r" messageRef="m"/><bpmn:endEvent id="e"/>
   <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="r"/><bpmn:sequenceFlow id="b" sourceRef="r" targetRef="e"/>`,
  '<bpmn:message id="m" name="bench-msg"><bpmn:extensionElements><zeebe:subscription correlationKey="=key"/></bpmn:extensionElements></bpmn:message>',
);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};

async function inParallel(total: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        await work(i);
      }
    }),
  );
}

export async function benchEvents(
  label: string,
  knex: Knex,
  runtime: Runtime,
  baselineTxPerSecond: number,
  n: number,
  timers: number,
) {
  await runtime.definitions.deploy(
    '<default>',
    [
      { name: 'job.bpmn', content: Buffer.from(JOB) },
      { name: 'timer.bpmn', content: Buffer.from(TIMER) },
      { name: 'message.bpmn', content: Buffer.from(MESSAGE) },
    ],
    'bench',
  );

  // Jobs: N instances create N jobs; one in-process worker activates batches and completes them.
  for (const batch of [1, 32]) {
    const t0 = performance.now();
    await inParallel(n, 8, async () => {
      await runtime.engine.createInstance({ processDefinitionId: 'bench-job' }, actor);
    });
    let done = 0;
    while (done < n) {
      const jobs = await runtime.jobs.activate({
        type: 'bench-work',
        worker: 'bench',
        timeout: 60_000,
        maxJobsToActivate: batch,
        tenantIds: ['<default>'],
      });
      await inParallel(jobs.length, Math.min(jobs.length, 8), async (i) => {
        await runtime.engine.execute({ type: 'job.complete', jobKey: jobs[i].jobKey, variables: {} }, actor);
      });
      done += jobs.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    // each job is two transactions (create with the instance, complete)
    const txPerSecond = (2 * n) / seconds;
    console.log(
      `${label.padEnd(10)} jobs batch=${String(batch).padStart(2)}: ${(n / seconds).toFixed(1)} jobs/s created and completed, ${txPerSecond.toFixed(1)} tx/s | ratio ${(txPerSecond / baselineTxPerSecond).toFixed(2)}`,
    );
  }

  // Timers: many instances whose timers fall due within one minute, fired by the running executor.
  const createRate = 200; // instances/s, a conservative guess so every timer is created before it is due
  const firstDue = Date.now() + Math.ceil(timers / createRate) * 1000 + 5000;
  const keys: string[] = [];
  await inParallel(timers, 8, async (i) => {
    const dueAt = new Date(firstDue + Math.floor((i / timers) * 60_000)).toISOString();
    keys.push(
      (
        await runtime.engine.createInstance(
          { processDefinitionId: 'bench-timer', variables: { dueAt } },
          actor,
        )
      ).instance.processInstanceKey,
    );
  });
  runtime.timers.start();
  const deadline = firstDue + 60_000 + 120_000;
  for (;;) {
    const left = Number(
      (
        await knex('jobs')
          .where({ kind: 'TIMER', state: 'CREATED', process_definition_id: 'bench-timer' })
          .count({ n: '*' })
      )[0].n,
    );
    if (left === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  runtime.timers.stop();
  const fired = await knex('jobs as j')
    .join('history_events as h', 'h.process_instance_key', 'j.process_instance_key')
    .where({ 'j.kind': 'TIMER', 'j.process_definition_id': 'bench-timer', 'h.command': 'timer.trigger' })
    .select('j.due_at', 'h.created_at');
  const lags = fired.map((r: any) => new Date(r.created_at).getTime() - new Date(r.due_at).getTime());
  console.log(
    `${label.padEnd(10)} timers: ${fired.length}/${timers} fired; lag from due time p50 ${pct(lags, 50).toFixed(0)} ms, p99 ${pct(lags, 99).toFixed(0)} ms, max ${Math.max(0, ...lags).toFixed(0)} ms`,
  );

  // Messages: N instances wait with distinct keys; each is correlated through the event service.
  await inParallel(n, 8, async (i) => {
    await runtime.engine.createInstance(
      { processDefinitionId: 'bench-message', variables: { key: `k${i}` } },
      actor,
    );
  });
  const t1 = performance.now();
  await inParallel(n, 8, async (i) => {
    await runtime.events.correlate(
      { name: 'bench-msg', correlationKey: `k${i}`, variables: {}, tenantId: '<default>' },
      actor,
    );
  });
  const correlations = n / ((performance.now() - t1) / 1000);
  console.log(
    `${label.padEnd(10)} messages: ${correlations.toFixed(1)} correlations/s (8 concurrent callers)`,
  );
}
