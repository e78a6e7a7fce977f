/**
 * What the monitor reads and does: instances found by a variable's value, a token moved from one
 * element to another (process instance modification), per-element statistics with durations for
 * the heatmap, instances per day, and the jobs overview — each within the caller's tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;

const PROCESS = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_mon">
  <bpmn:process id="monitored" name="移交巡检" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <bpmn:userTask id="check" name="现场检查"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="sign"/>
    <bpmn:userTask id="sign" name="签认"/>
    <bpmn:sequenceFlow id="f3" sourceRef="sign" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="ss"/>
      <bpmn:sequenceFlow id="sf1" sourceRef="ss" targetRef="inner"/>
      <bpmn:userTask id="inner" name="整改"/>
      <bpmn:sequenceFlow id="sf2" sourceRef="inner" targetRef="se"/>
      <bpmn:endEvent id="se"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f4" sourceRef="sub" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>`;

let definitionKey: string;

beforeAll(async () => {
  t = await startTestRuntime();
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass-1', name: 'Bob', roles: ['admin'] });
  const res = await t.deploy([{ name: 'monitored.bpmn', content: PROCESS }]);
  expect(res.status).toBe(200);
  definitionKey = res.body.deployments[0].processDefinition.processDefinitionKey;
}, 60_000);
afterAll(async () => t?.close());

const activeElement = async (key: string, elementId: string) => {
  const r = await t.api('POST', '/v2/element-instances/search', {
    filter: { processInstanceKey: key, elementId, state: 'ACTIVE' },
  });
  return r.body.items as any[];
};

describe('instance search by variable', () => {
  it('finds instances whose variable has the JSON value, all conditions together', async () => {
    const a = await t.start('monitored', { packageNo: 'HO-1', floors: 12 });
    const b = await t.start('monitored', { packageNo: 'HO-2', floors: 12 });
    const find = async (variables: unknown) =>
      t.api('POST', '/v2/process-instances/search', {
        filter: { processDefinitionId: 'monitored', variables },
      });
    const one = await find([{ name: 'packageNo', value: '"HO-1"' }]);
    expect(one.status).toBe(200);
    expect(one.body.items.map((i: any) => i.processInstanceKey)).toEqual([a]);
    const both = await find([{ name: 'floors', value: '12' }]);
    expect(both.body.items.map((i: any) => i.processInstanceKey).sort()).toEqual([a, b].sort());
    const none = await find([
      { name: 'floors', value: '12' },
      { name: 'packageNo', value: '"HO-3"' },
    ]);
    expect(none.body.items).toEqual([]);
    // The text itself, not its JSON, is a mistake the answer names.
    const bad = await find([{ name: 'packageNo', value: 'HO-1' }]);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual(expect.objectContaining({ field: 'filter.variables[0].value' }));
    expect((await find('HO-1')).body.errors[0].field).toBe('filter.variables');
  });
});

describe('process instance modification', () => {
  it('moves a token from one user task to another, with variables, and records who did it', async () => {
    const key = await t.start('monitored');
    const [check] = await activeElement(key, 'check');
    const res = await t.api('POST', `/v2/process-instances/${key}/modification`, {
      activateInstructions: [
        { elementId: 'sign', variableInstructions: [{ variables: { movedBy: 'ops' } }] },
      ],
      terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }],
    });
    expect(res.status).toBe(204);
    expect(await t.elements(key)).toEqual(expect.arrayContaining(['check:TERMINATED', 'sign:ACTIVE']));
    expect((await t.openTasks(key)).map((task) => task.elementId)).toEqual(['sign']);
    expect(await t.rootVariables(key)).toMatchObject({ movedBy: 'ops' });
    const history = (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items as any[];
    expect(history).toContainEqual(
      expect.objectContaining({ eventType: 'instance.modified', actor: 'admin', command: 'instance.modify' }),
    );
    // The approval timeline and the printable record tell who moved it where.
    const timeline = (await t.api('GET', `/v2/process-instances/${key}/history?view=timeline`)).body
      .items as any[];
    expect(timeline.find((e) => e.action === 'modified')).toMatchObject({
      actor: { username: 'admin' },
      elementId: 'check',
      elementName: '现场检查',
      targetName: '签认',
    });
    const record = await t.api('GET', `/v2/process-instances/${key}/record`);
    expect(record.status).toBe(200);
    expect(record.text).toContain('管理员调整至「签认」');
    // The moved token runs on: completing 签认 enters the sub-process.
    const [sign] = await t.openTasks(key);
    expect((await t.complete(sign)).status).toBe(204);
    expect(await activeElement(key, 'inner')).toHaveLength(1);
  });

  it('activates inside the active sub-process instance and ends the instance when the path ends', async () => {
    const key = await t.start('monitored');
    const [check] = await activeElement(key, 'check');
    // Into the sub-process while it has no instance: refused, naming the field, nothing changed.
    const refused = await t.api('POST', `/v2/process-instances/${key}/modification`, {
      activateInstructions: [{ elementId: 'inner' }],
      terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toContainEqual(
      expect.objectContaining({ field: 'activateInstructions[0].elementId' }),
    );
    expect(await activeElement(key, 'check')).toHaveLength(1);
    // Into the sub-process element itself, then to its end.
    expect(
      (
        await t.api('POST', `/v2/process-instances/${key}/modification`, {
          activateInstructions: [{ elementId: 'sub' }],
          terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }],
        })
      ).status,
    ).toBe(204);
    const [inner] = await activeElement(key, 'inner');
    const [sub] = await activeElement(key, 'sub');
    expect(inner).toBeTruthy();
    const toEnd = await t.api('POST', `/v2/process-instances/${key}/modification`, {
      activateInstructions: [{ elementId: 'se', ancestorElementInstanceKey: sub.elementInstanceKey }],
      terminateInstructions: [{ elementInstanceKey: inner.elementInstanceKey }],
    });
    expect(toEnd.status).toBe(204);
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });

  it('refuses bad instructions with the field and the reason, and strangers and field staff', async () => {
    const key = await t.start('monitored');
    const [check] = await activeElement(key, 'check');
    const modify = (body: unknown, user = 'admin', password?: string) =>
      t.api('POST', `/v2/process-instances/${key}/modification`, body, { user, password });
    const cases: Array<[unknown, string]> = [
      [{}, 'activateInstructions'],
      [{ activateInstructions: 'sign' }, 'activateInstructions'],
      [{ activateInstructions: [{}] }, 'activateInstructions[0].elementId'],
      [{ activateInstructions: [{ elementId: 'nope' }] }, 'activateInstructions[0].elementId'],
      [{ activateInstructions: [{ elementId: 's' }] }, 'activateInstructions[0].elementId'],
      [
        { activateInstructions: [{ elementId: 'sign', variableInstructions: [{ variables: [] }] }] },
        'activateInstructions[0].variableInstructions[0].variables',
      ],
      [
        { terminateInstructions: [{ elementInstanceKey: 'x' }] },
        'terminateInstructions[0].elementInstanceKey',
      ],
      [
        { terminateInstructions: [{ elementInstanceKey: key }] },
        'terminateInstructions[0].elementInstanceKey',
      ],
      [
        { terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }] },
        'terminateInstructions',
      ],
    ];
    for (const [body, field] of cases) {
      const r = await modify(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(
        r.body.errors.map((e: any) => e.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect(await t.elements(key)).toContain('check:ACTIVE');
    const move = {
      activateInstructions: [{ elementId: 'sign' }],
      terminateInstructions: [{ elementInstanceKey: check.elementInstanceKey }],
    };
    expect((await modify(move, 'field1')).status).toBe(403);
    expect((await modify(move, 'bob', 'bob-pass-1')).status).toBe(404);
    expect(await t.elements(key)).toContain('check:ACTIVE');
  });
});

describe('definition statistics', () => {
  it('counts element instances per element with average and p90 durations', async () => {
    const res = await t.api(
      'POST',
      `/v2/process-definitions/${definitionKey}/statistics/element-instances`,
      {},
    );
    expect(res.status).toBe(200);
    const by = Object.fromEntries((res.body.items as any[]).map((i) => [i.elementId, i]));
    const instances = (
      await t.api('POST', '/v2/process-instances/search', { filter: { processDefinitionKey: definitionKey } })
    ).body.items as any[];
    // Every instance passed the start event; the check task is active or was ended in each.
    expect(by.s.completed).toBe(instances.length);
    expect(by.check.active + by.check.completed + by.check.canceled).toBe(instances.length);
    expect(by.check.canceled).toBeGreaterThanOrEqual(2);
    expect(by.s.averageDurationMs).toBeGreaterThanOrEqual(0);
    expect(by.s.p90DurationMs).toBeGreaterThanOrEqual(0);
    expect(by.check.averageDurationMs).toBeNull();
    expect(by.monitored).toBeUndefined();
    // Another tenant's admin does not see the definition.
    const stranger = await t.api(
      'POST',
      `/v2/process-definitions/${definitionKey}/statistics/element-instances`,
      {},
      { user: 'bob', password: 'bob-pass-1' },
    );
    expect(stranger.status).toBe(404);
    const bad = await t.api('POST', `/v2/process-definitions/${definitionKey}/statistics/element-instances`, {
      filter: { state: 'ACTIVE' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('filter.state');
  });

  it('counts started and completed instances per day in the time zone asked for, zero-filled', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const res = await t.api('POST', `/v2/process-definitions/${definitionKey}/statistics/daily`, {
      timeZone: 'Asia/Shanghai',
    });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(30);
    const last = res.body.items.at(-1);
    expect(last.date).toBe(today);
    const total = (
      await t.api('POST', '/v2/process-instances/search', { filter: { processDefinitionKey: definitionKey } })
    ).body.page.totalItems;
    const completed = (
      await t.api('POST', '/v2/process-instances/search', {
        filter: { processDefinitionKey: definitionKey, state: 'COMPLETED' },
      })
    ).body.page.totalItems;
    expect(res.body.items.reduce((n: number, d: any) => n + d.started, 0)).toBe(total);
    expect(res.body.items.reduce((n: number, d: any) => n + d.completed, 0)).toBe(completed);
    expect(res.body.items[0]).toMatchObject({ started: 0, completed: 0 });
    const range = await t.api('POST', `/v2/process-definitions/${definitionKey}/statistics/daily`, {
      from: '2026-01-01',
      to: '2026-01-03',
    });
    expect(range.body.items.map((d: any) => d.date)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    for (const [body, field] of [
      [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ from: '2026-13-01' }, 'from'],
      [{ from: '2026-02-01', to: '2026-01-01' }, 'from'],
      [{ from: '2020-01-01', to: '2026-01-01' }, 'from'],
      [{ days: 3 }, 'days'],
    ] as const) {
      const r = await t.api('POST', `/v2/process-definitions/${definitionKey}/statistics/daily`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors[0].field).toBe(field);
    }
  });
});

describe('jobs overview', () => {
  it('lists jobs by state, of the instances the caller may read, within their tenant', async () => {
    const TIMER = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_wait">
  <bpmn:process id="waiting" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>`;
    expect((await t.deploy([{ name: 'waiting.bpmn', content: TIMER }])).status).toBe(200);
    const key = await t.start('waiting');
    const res = await t.api('POST', '/v2/jobs/search', {
      filter: { processInstanceKey: key, state: 'CREATED' },
      page: { limit: 1 },
    });
    expect(res.status).toBe(200);
    expect(res.body.page.totalItems).toBe(1);
    expect(res.body.items[0]).toMatchObject({ kind: 'TIMER', elementId: 'wait', processInstanceKey: key });
    const one = await t.api('GET', `/v2/jobs/${res.body.items[0].jobKey}`);
    expect(one.body.jobKey).toBe(res.body.items[0].jobKey);
    // Field staff see the jobs of their own instances only; this one is not theirs.
    const field = await t.api(
      'POST',
      '/v2/jobs/search',
      { filter: { processInstanceKey: key } },
      { user: 'field1' },
    );
    expect(field.status).toBe(200);
    expect(field.body.items).toEqual([]);
    const stranger = await t.api('POST', '/v2/jobs/search', {}, { user: 'bob', password: 'bob-pass-1' });
    expect(stranger.body.items).toEqual([]);
    expect((await t.api('POST', '/v2/jobs/search', { filter: { colour: 'red' } })).status).toBe(400);
  });
});
