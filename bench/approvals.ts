/**
 * Issue 5 figures for `npm run bench`: a 会签 (all) approval with 20 signers, all of whom decide at
 * the same moment (20 concurrent callers per instance): decisions per second and p99 latency per
 * decision, including the retries the engine makes when signers collide on one instance.
 */
import type { Runtime } from '../runtime/create-runtime.js';

const SIGNERS = Array.from({ length: 20 }, (_, i) => `signer${i + 1}`);
const PROCESS = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="d_bench_approval">
  <bpmn:process id="bench-countersign" name="会签" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="sign"><bpmn:extensionElements><lf:approval mode="all" assignees="=signers"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="sign"/><bpmn:sequenceFlow id="b" sourceRef="sign" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;

export async function benchApprovals(label: string, runtime: Runtime, instances: number): Promise<void> {
  await runtime.definitions.deploy(
    '<default>',
    [{ name: 'bench-countersign.bpmn', content: Buffer.from(PROCESS) }],
    'bench',
  );
  const admin = { username: 'bench', tenantIds: ['<default>'], groups: [], roles: ['admin'] };
  const latencies: number[] = [];
  let failures = 0;
  let seconds = 0;
  for (let i = 0; i < instances; i++) {
    const state = await runtime.engine.createInstance(
      { processDefinitionId: 'bench-countersign', variables: { signers: SIGNERS } },
      admin,
    );
    const tasks = [...state.userTasks.values()];
    const started = performance.now();
    await Promise.all(
      tasks.map(async (task) => {
        const actor = { username: task.assignee, tenantIds: ['<default>'], groups: [], roles: ['user'] };
        const t0 = performance.now();
        try {
          await runtime.tasks.decide(task.userTaskKey, 'approve', null, {}, actor);
        } catch {
          failures++;
        }
        latencies.push(performance.now() - t0);
      }),
    );
    seconds += (performance.now() - started) / 1000;
    const after = await runtime
      .knex('process_instances')
      .where({ process_instance_key: state.instance.processInstanceKey })
      .first('state');
    if (after?.state !== 'COMPLETED') failures++;
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(10)} 会签 20 signers deciding at once: ${(latencies.length / seconds).toFixed(1)} decisions/s, ` +
      `p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms over ${instances} instances` +
      `${failures ? `, ${failures} FAILED` : ''}`,
  );
}
