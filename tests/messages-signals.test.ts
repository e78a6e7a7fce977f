import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';
import { defs, flow } from './support/bpmn.js';

const message = (id: string, name: string, key?: string) =>
  `<bpmn:message id="${id}" name="${name}">${key ? `<bpmn:extensionElements><zeebe:subscription correlationKey="${key}"/></bpmn:extensionElements>` : ''}</bpmn:message>`;

// 运营问题反馈: a problem report waits for the rectification report of the contractor (message),
// and an IoT alarm can open a new report (message start).
const FEEDBACK = defs(
  'feedback',
  `<bpmn:startEvent id="reported"/>
   <bpmn:startEvent id="alarm"><bpmn:messageEventDefinition messageRef="m_alarm"/></bpmn:startEvent>
   <bpmn:receiveTask id="awaitRectification" messageRef="m_rect"/>
   <bpmn:boundaryEvent id="withdrawn" attachedToRef="awaitRectification"><bpmn:messageEventDefinition messageRef="m_withdraw"/></bpmn:boundaryEvent>
   <bpmn:userTask id="verify" name="现场验证"/>
   <bpmn:endEvent id="closed"/><bpmn:endEvent id="cancelled"/>
   ${flow('a', 'reported', 'awaitRectification')}${flow('b', 'alarm', 'awaitRectification')}${flow('c', 'awaitRectification', 'verify')}
   ${flow('d', 'verify', 'closed')}${flow('e', 'withdrawn', 'cancelled')}`,
  `${message('m_rect', 'rectification-reported', '=caseNo')}${message('m_withdraw', 'report-withdrawn', '=caseNo')}${message('m_alarm', 'iot-alarm')}`,
);

// A signal stops every open handover when a project is suspended (停工).
const SIGNALS = defs(
  'suspendable',
  `<bpmn:startEvent id="s"/>
   <bpmn:userTask id="work"/>
   <bpmn:boundaryEvent id="suspended" attachedToRef="work"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:boundaryEvent>
   <bpmn:endEvent id="done"/><bpmn:endEvent id="stopped"/>
   ${flow('a', 's', 'work')}${flow('b', 'work', 'done')}${flow('c', 'suspended', 'stopped')}`,
  '<bpmn:signal id="sig" name="project-suspended"/>',
);
// A KPI review can also be started ad hoc by a "quarter-closed" signal.
const SIGNAL_START = defs(
  'kpi-adhoc',
  `<bpmn:startEvent id="closed"><bpmn:signalEventDefinition signalRef="q"/></bpmn:startEvent><bpmn:userTask id="review"/>${flow('a', 'closed', 'review')}`,
  '<bpmn:signal id="q" name="quarter-closed"/>',
);
const THROWER = defs(
  'suspender',
  `<bpmn:startEvent id="s"/>
   <bpmn:intermediateThrowEvent id="announce"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateThrowEvent>
   <bpmn:endEvent id="e"/>${flow('a', 's', 'announce')}${flow('b', 'announce', 'e')}`,
  '<bpmn:signal id="sig" name="project-suspended"/>',
);

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    { name: 'feedback.bpmn', content: FEEDBACK },
    { name: 'suspendable.bpmn', content: SIGNALS },
    { name: 'suspender.bpmn', content: THROWER },
    { name: 'kpi.bpmn', content: SIGNAL_START },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = (id: string, variables: Record<string, unknown> = {}) => t.start(id, variables);
const stateOf = (key: string) => t.stateOf(key);
const openTasks = async (key: string) => (await t.openTasks(key)).map((i: any) => i.elementId);
const vars = (key: string) => t.rootVariables(key);

describe('messages', () => {
  it('correlates a message to the instance waiting with that correlation key, with its variables', async () => {
    const a = await start('feedback', { caseNo: 'FB-001' });
    const b = await start('feedback', { caseNo: 'FB-002' });
    const res = await t.api('POST', '/v2/messages/correlation', {
      name: 'rectification-reported',
      correlationKey: 'FB-002',
      variables: { rectifiedBy: '施工单位', photos: 3 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ processInstanceKey: b, tenantId: '<default>' });
    expect(res.body.messageKey).toMatch(/^\d+$/);
    expect(await openTasks(b)).toEqual(['verify']);
    expect(await openTasks(a)).toEqual([]);
    expect(await vars(b)).toMatchObject({ rectifiedBy: '施工单位', photos: 3 });
    // nobody waits any more for FB-002
    const again = await t.api('POST', '/v2/messages/correlation', {
      name: 'rectification-reported',
      correlationKey: 'FB-002',
    });
    expect(again.status).toBe(404);
    expect(again.body.detail).toContain('<rectification-reported>');
  });

  it('interrupts the waiting receive task on its message boundary event', async () => {
    const key = await start('feedback', { caseNo: 'FB-003' });
    await t.api('POST', '/v2/messages/correlation', { name: 'report-withdrawn', correlationKey: 'FB-003' });
    expect(await stateOf(key)).toBe('COMPLETED');
    const els = await t.api('POST', '/v2/element-instances/search', {
      filter: { processInstanceKey: key },
      page: { limit: 50 },
    });
    expect(els.body.items.map((e: any) => `${e.elementId}:${e.state}`)).toEqual(
      expect.arrayContaining(['awaitRectification:TERMINATED', 'withdrawn:COMPLETED', 'cancelled:COMPLETED']),
    );
  });

  it('starts an instance at a message start event', async () => {
    const res = await t.api('POST', '/v2/messages/correlation', {
      name: 'iot-alarm',
      variables: { caseNo: 'IOT-9', sensor: '冷却塔振动' },
    });
    expect(res.status).toBe(200);
    const key = res.body.processInstanceKey;
    const els = await t.api('POST', '/v2/element-instances/search', {
      filter: { processInstanceKey: key, elementId: 'alarm' },
    });
    expect(els.body.items).toHaveLength(1);
    expect(await vars(key)).toMatchObject({ caseNo: 'IOT-9', sensor: '冷却塔振动' });
  });

  it('buffers a published message nobody waits for, and the next subscription consumes it once', async () => {
    const pub = await t.api('POST', '/v2/messages/publication', {
      name: 'rectification-reported',
      correlationKey: 'FB-EARLY',
      timeToLive: 60_000,
      messageId: 'msg-early-1',
      variables: { early: true },
    });
    expect(pub.status).toBe(200);
    const dup = await t.api('POST', '/v2/messages/publication', {
      name: 'rectification-reported',
      correlationKey: 'FB-EARLY',
      timeToLive: 60_000,
      messageId: 'msg-early-1',
    });
    expect(dup.status).toBe(409);
    const first = await start('feedback', { caseNo: 'FB-EARLY' });
    expect(await openTasks(first)).toEqual(['verify']);
    expect(await vars(first)).toMatchObject({ early: true });
    const second = await start('feedback', { caseNo: 'FB-EARLY' });
    expect(await openTasks(second)).toEqual([]);
    const history = await t.api('GET', `/v2/process-instances/${first}/history`);
    expect(history.body.items.some((h: any) => h.command === 'message.correlate')).toBe(true);
  });

  it('publishes to every instance waiting with the key, and a message without time to live is not kept', async () => {
    const a = await start('feedback', { caseNo: 'FB-MANY' });
    const b = await start('feedback', { caseNo: 'FB-MANY' });
    expect(
      (
        await t.api('POST', '/v2/messages/publication', {
          name: 'rectification-reported',
          correlationKey: 'FB-MANY',
        })
      ).status,
    ).toBe(200);
    expect(await openTasks(a)).toEqual(['verify']);
    expect(await openTasks(b)).toEqual(['verify']);
    await t.api('POST', '/v2/messages/publication', {
      name: 'rectification-reported',
      correlationKey: 'FB-LATE',
    });
    const late = await start('feedback', { caseNo: 'FB-LATE' });
    expect(await openTasks(late)).toEqual([]);
  });

  it('rejects bad message requests naming the field', async () => {
    const res = await t.api('POST', '/v2/messages/publication', { correlationKey: 'x', timeToLive: -1 });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.field).sort()).toEqual(['name', 'timeToLive']);
    expect((await t.api('POST', '/v2/messages/correlation', { name: 'x' }, { user: 'field1' })).status).toBe(
      403,
    );
  });
});

describe('signals', () => {
  it('broadcasts a signal to every instance waiting for it', async () => {
    const a = await start('suspendable');
    const b = await start('suspendable');
    const res = await t.api('POST', '/v2/signals/broadcast', {
      signalName: 'project-suspended',
      variables: { reason: '停工整顿' },
    });
    expect(res.status).toBe(200);
    expect(res.body.signalKey).toMatch(/^\d+$/);
    expect(await stateOf(a)).toBe('COMPLETED');
    expect(await stateOf(b)).toBe('COMPLETED');
    expect(await vars(a)).toMatchObject({ reason: '停工整顿' });
  });

  it('delivers a signal thrown by a process through the job executor', async () => {
    const waiting = await start('suspendable');
    const thrower = await start('suspender');
    expect(await stateOf(thrower)).toBe('COMPLETED');
    expect(await stateOf(waiting)).toBe('ACTIVE');
    expect(await t.runtime.timers.runDue()).toBe(1);
    expect(await stateOf(waiting)).toBe('COMPLETED');
    expect(await t.runtime.timers.runDue()).toBe(0);
  });

  it('starts an instance at a signal start event', async () => {
    await t.api('POST', '/v2/signals/broadcast', {
      signalName: 'quarter-closed',
      variables: { quarter: '2026Q3' },
    });
    const started = await t.api('POST', '/v2/process-instances/search', {
      filter: { processDefinitionId: 'kpi-adhoc' },
    });
    expect(started.body.items).toHaveLength(1);
    expect(await vars(started.body.items[0].processInstanceKey)).toMatchObject({ quarter: '2026Q3' });
  });
});
