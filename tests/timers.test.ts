import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../runtime/create-runtime.js';
import { createKeyGenerator } from '../runtime/persistence/keys.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';
import { defs, flow } from './support/bpmn.js';

// 整改期限: a rectification task with a 3-day deadline; when it passes the case escalates.
const ESCALATION = defs(
  'rectification',
  `<bpmn:startEvent id="s"/>
   <bpmn:userTask id="rectify" name="整改"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="contractor"/></bpmn:extensionElements></bpmn:userTask>
   <bpmn:boundaryEvent id="deadline" attachedToRef="rectify"><bpmn:timerEventDefinition><bpmn:timeDuration>=deadline</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
   <bpmn:boundaryEvent id="reminder" attachedToRef="rectify" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT12H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>
   <bpmn:serviceTask id="remind"><bpmn:extensionElements><zeebe:taskDefinition type="remind"/></bpmn:extensionElements></bpmn:serviceTask>
   <bpmn:userTask id="escalate" name="升级处理"/>
   <bpmn:endEvent id="done"/><bpmn:endEvent id="reminded"/><bpmn:endEvent id="escalated"/>
   ${flow('f1', 's', 'rectify')}${flow('f2', 'rectify', 'done')}${flow('f3', 'deadline', 'escalate')}${flow('f4', 'escalate', 'escalated')}
   ${flow('f5', 'reminder', 'remind')}${flow('f6', 'remind', 'reminded')}`,
);

const LONG_WAIT = defs(
  'warranty',
  `<bpmn:startEvent id="s"/>
   <bpmn:intermediateCatchEvent id="oneYear" name="首年免费运维期满"><bpmn:timerEventDefinition><bpmn:timeDuration>P1Y</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
   <bpmn:endEvent id="e"/>${flow('a', 's', 'oneYear')}${flow('b', 'oneYear', 'e')}`,
);

const QUARTERLY = (cycle: string, name: string) =>
  defs(
    'kpi-review',
    `<bpmn:startEvent id="quarterly" name="${name}"><bpmn:timerEventDefinition><bpmn:timeCycle>${cycle}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
     <bpmn:userTask id="review" name="KPI 复盘"/>${flow('a', 'quarterly', 'review')}`,
  );

let now = new Date('2026-03-01T00:00:00.000Z');
const clock = () => now;
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
const HOUR = 3600_000;

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({ clock });
  const res = await t.deploy([
    { name: 'rectify.bpmn', content: ESCALATION },
    { name: 'warranty.bpmn', content: LONG_WAIT },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

async function elementsOf(key: string) {
  const res = await t.api('POST', '/v2/element-instances/search', {
    filter: { processInstanceKey: key },
    page: { limit: 200 },
  });
  return res.body.items.map((e: any) => `${e.elementId}:${e.state}`);
}

describe('timers on a controllable clock', () => {
  it('reminds twice while the task is open, then escalates when the deadline passes', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'rectification',
      variables: { deadline: 'P3D' },
    });
    const key = start.body.processInstanceKey;
    expect(await t.runtime.timers.runDue()).toBe(0);
    advance(12 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(1);
    advance(12 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(1);
    advance(24 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(0); // R2: no third reminder
    const jobs = await t.api('POST', '/v2/jobs/activation', {
      type: 'remind',
      timeout: 1000,
      maxJobsToActivate: 10,
      requestTimeout: -1,
    });
    expect(jobs.body.jobs.filter((j: any) => j.processInstanceKey === key)).toHaveLength(2);
    const task = (
      await t.api('POST', '/v2/user-tasks/search', {
        filter: { processInstanceKey: key, elementId: 'rectify' },
      })
    ).body.items[0];
    expect(task.state).toBe('CREATED');

    advance(24 * HOUR); // three days after the start
    expect(await t.runtime.timers.runDue()).toBe(1);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`)).body.state).toBe('CANCELED');
    const elements = await elementsOf(key);
    expect(elements).toEqual(
      expect.arrayContaining(['rectify:TERMINATED', 'deadline:COMPLETED', 'escalate:ACTIVE']),
    );
    const history = await t.api('GET', `/v2/process-instances/${key}/history`);
    const fired = history.body.items.filter((h: any) => h.command === 'timer.trigger');
    expect(new Set(fired.map((h: any) => h.commandId)).size).toBe(3);
    expect(fired[0].actor).toBe('system:timer');
  });

  it('cancels the timers of a task that is completed in time', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'rectification',
      variables: { deadline: 'PT1H' },
    });
    const key = start.body.processInstanceKey;
    const task = (
      await t.api('POST', '/v2/user-tasks/search', {
        filter: { processInstanceKey: key, elementId: 'rectify' },
      })
    ).body.items[0];
    expect((await t.complete(task)).status).toBe(204);
    advance(48 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(0);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('COMPLETED');
  });

  it('raises an incident naming the timer when its expression gives no duration', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'rectification',
      variables: { deadline: 'three days' },
    });
    const incidents = await t.api('POST', '/v2/incidents/search', {
      filter: { processInstanceKey: start.body.processInstanceKey },
    });
    expect(incidents.body.items[0]).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: 'rectify' });
    expect(incidents.body.items[0].errorMessage).toContain('<deadline>');
  });

  it('waits a year on an intermediate timer and fires once, even after a restart', async () => {
    const start = await t.api('POST', '/v2/process-instances', { processDefinitionId: 'warranty' });
    const key = start.body.processInstanceKey;
    advance(364 * 24 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(0);
    // the server is down while the timer falls due; a new runtime on the same database fires it once
    advance(10 * 24 * HOUR);
    const restarted = createRuntime(t.runtime.knex, createKeyGenerator(), clock);
    expect(await restarted.timers.runDue()).toBe(1);
    expect(await restarted.timers.runDue()).toBe(0);
    expect(await t.runtime.timers.runDue()).toBe(0);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('COMPLETED');
  });

  it('starts a process on its timer start event and replaces the schedule with a new version', async () => {
    expect((await t.deploy([{ name: 'kpi.bpmn', content: QUARTERLY('R/P3M', '每季度') }])).status).toBe(200);
    const noneStart = await t.api('POST', '/v2/process-instances', { processDefinitionId: 'kpi-review' });
    expect(noneStart.status).toBe(400);
    expect(noneStart.body.detail).toContain('no none start event');
    advance(31 * 24 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(0);
    advance(62 * 24 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(1);
    const started = await t.api('POST', '/v2/process-instances/search', {
      filter: { processDefinitionId: 'kpi-review' },
    });
    expect(started.body.items).toHaveLength(1);
    expect(started.body.items[0]).toMatchObject({
      state: 'ACTIVE',
      processDefinitionVersion: 1,
      initiator: 'system:timer',
    });
    // version 2 runs monthly; version 1's schedule is gone
    expect((await t.deploy([{ name: 'kpi.bpmn', content: QUARTERLY('R/P1M', '每月') }])).status).toBe(200);
    advance(32 * 24 * HOUR);
    expect(await t.runtime.timers.runDue()).toBe(1);
    const all = await t.api('POST', '/v2/process-instances/search', {
      filter: { processDefinitionId: 'kpi-review' },
    });
    expect(all.body.items.map((i: any) => i.processDefinitionVersion).sort()).toEqual([1, 2]);
    const badCycle = await t.deploy([
      { name: 'bad.bpmn', content: QUARTERLY('every quarter', 'x').replace('kpi-review', 'bad-kpi') },
    ]);
    expect(badCycle.status).toBe(400);
    expect(badCycle.body.errors[0].field).toBe('bad.bpmn#quarterly');
  });

  it('lets two nodes fire 40 due timers together, each exactly once', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 40; i++)
      keys.push(
        (await t.api('POST', '/v2/process-instances', { processDefinitionId: 'warranty' })).body
          .processInstanceKey,
      );
    advance(366 * 24 * HOUR);
    const other = createRuntime(t.runtime.knex, createKeyGenerator(), clock, undefined, { node: 'other' });
    const [a, b] = await Promise.all([t.runtime.timers.runDue(4), other.timers.runDue(4)]);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(a + b).toBe(41); // the 40 warranty timers and the monthly KPI start timer
    for (const key of keys) {
      const history = await t.api('GET', `/v2/process-instances/${key}/history`);
      const triggers = new Set(
        history.body.items.filter((h: any) => h.command === 'timer.trigger').map((h: any) => h.commandId),
      );
      expect(triggers.size).toBe(1);
      expect(history.body.items.at(-1).eventType).toBe('instance.completed');
    }
  });
});

describe('timers in real time', () => {
  it('fires a short timer by itself, woken by the new timer rather than by polling', async () => {
    const rt = await startTestRuntime();
    try {
      rt.runtime.start();
      const res = await rt.deploy([
        {
          name: 'short.bpmn',
          content: LONG_WAIT.replace('P1Y', 'PT0.3S').replace(/warranty/g, 'short-wait'),
        },
      ]);
      expect(res.status).toBe(200);
      const start = await rt.api('POST', '/v2/process-instances', { processDefinitionId: 'short-wait' });
      const key = start.body.processInstanceKey;
      let state = 'ACTIVE';
      for (let i = 0; i < 60 && state === 'ACTIVE'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await rt.api('GET', `/v2/process-instances/${key}`)).body.state;
      }
      expect(state).toBe('COMPLETED');
    } finally {
      rt.runtime.stop();
      await rt.close();
    }
  });
});
