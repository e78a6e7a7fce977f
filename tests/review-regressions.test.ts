/** Behaviour the issue-3 review found broken, through the public API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextOccurrence } from '../engine/expressions/timers.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';
import { defs, flow } from './support/bpmn.js';

// An error event sub-process whose own path throws an error again.
const LOOPING = defs(
  'rethrow',
  `<bpmn:startEvent id="s"/><bpmn:endEvent id="boom"><bpmn:errorEventDefinition errorRef="e"/></bpmn:endEvent>${flow('a', 's', 'boom')}
   <bpmn:subProcess id="handler" triggeredByEvent="true">
     <bpmn:startEvent id="hs"><bpmn:errorEventDefinition/></bpmn:startEvent>
     <bpmn:endEvent id="again"><bpmn:errorEventDefinition errorRef="e"/></bpmn:endEvent>${flow('h', 'hs', 'again')}
   </bpmn:subProcess>`,
  '<bpmn:error id="e" errorCode="E"/>',
);

// A sub-process with an SLA timer on it and a signal event sub-process inside.
const SLA = defs(
  'sla-process',
  `<bpmn:startEvent id="s"/>
   <bpmn:subProcess id="work">
     <bpmn:startEvent id="ws"/><bpmn:userTask id="task"/>${flow('w1', 'ws', 'task')}
     <bpmn:subProcess id="onChange" triggeredByEvent="true">
       <bpmn:startEvent id="cs"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent><bpmn:userTask id="replan"/>${flow('c1', 'cs', 'replan')}
     </bpmn:subProcess>
   </bpmn:subProcess>
   <bpmn:boundaryEvent id="sla" attachedToRef="work"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
   <bpmn:userTask id="late"/>${flow('a', 's', 'work')}${flow('b', 'sla', 'late')}`,
  '<bpmn:signal id="sig" name="scope-changed"/>',
);

// One task per approver; the input mapping reads the item.
const MI_INPUT = defs(
  'mi-input',
  `<bpmn:startEvent id="s"/>
   <bpmn:userTask id="sign"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="=who"/>
     <zeebe:ioMapping><zeebe:input source="=item.user" target="who"/></zeebe:ioMapping></bpmn:extensionElements>
     <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=people" inputElement="item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
   </bpmn:userTask>${flow('a', 's', 'sign')}`,
);

const TIMED_TASK = defs(
  'timed-task',
  `<bpmn:startEvent id="s"/><bpmn:userTask id="t"/>
   <bpmn:boundaryEvent id="tb" attachedToRef="t"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
   <bpmn:endEvent id="e"/>${flow('a', 's', 't')}${flow('b', 't', 'e')}${flow('c', 'tb', 'e')}`,
);

const INSTANT_CHILD = defs(
  'instant-child',
  `<bpmn:startEvent id="cs"/><bpmn:endEvent id="ce"/>${flow('c', 'cs', 'ce')}`,
);
const FORK_CALL_AND_WAIT = defs(
  'fork-call-wait',
  `<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>
   <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="instant-child"/></bpmn:extensionElements></bpmn:callActivity>
   <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
   <bpmn:parallelGateway id="join"/><bpmn:userTask id="after"/>
   ${flow('a', 's', 'fork')}${flow('b', 'fork', 'call')}${flow('c', 'fork', 'wait')}${flow('d', 'call', 'join')}${flow('e', 'wait', 'join')}${flow('f', 'join', 'after')}`,
  '<bpmn:message id="m" name="ready"><bpmn:extensionElements><zeebe:subscription correlationKey="=k"/></bpmn:extensionElements></bpmn:message>',
);

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    { name: 'loop.bpmn', content: LOOPING },
    { name: 'sla.bpmn', content: SLA },
    { name: 'mi.bpmn', content: MI_INPUT },
    { name: 'timed.bpmn', content: TIMED_TASK },
    { name: 'child.bpmn', content: INSTANT_CHILD },
    { name: 'fork.bpmn', content: FORK_CALL_AND_WAIT },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = (id: string, variables: Record<string, unknown> = {}) =>
  t.api('POST', '/v2/process-instances', { processDefinitionId: id, variables });

describe('review regressions', () => {
  it('does not let an error thrown inside an error event sub-process restart it; nothing catches it', async () => {
    const res = await start('rethrow');
    expect(res.status).toBe(200);
    const incidents = await t.api('POST', '/v2/incidents/search', {
      filter: { processInstanceKey: res.body.processInstanceKey },
    });
    expect(incidents.body.items).toHaveLength(1);
    expect(incidents.body.items[0]).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'again' });
  });

  it('keeps the boundary timer of a sub-process armed when its own event sub-process interrupts it', async () => {
    const key = (await start('sla-process')).body.processInstanceKey;
    await t.api('POST', '/v2/signals/broadcast', { signalName: 'scope-changed' });
    const tasks = await t.api('POST', '/v2/user-tasks/search', {
      filter: { processInstanceKey: key, state: 'CREATED' },
    });
    expect(tasks.body.items.map((x: any) => x.elementId)).toEqual(['replan']);
    const timers = await t.runtime
      .knex('jobs')
      .where({ process_instance_key: key, kind: 'TIMER' })
      .select('element_id', 'state');
    expect(timers).toEqual([{ element_id: 'sla', state: 'CREATED' }]);
  });

  it('lets input mappings of a multi-instance activity read the item of each instance', async () => {
    const key = (await start('mi-input', { people: [{ user: 'eng1' }, { user: 'ops1' }] })).body
      .processInstanceKey;
    const tasks = await t.api('POST', '/v2/user-tasks/search', { filter: { processInstanceKey: key } });
    expect(tasks.body.items.map((x: any) => x.assignee).sort()).toEqual(['eng1', 'ops1']);
  });

  it('does not let a worker complete a timer through the job API', async () => {
    const key = (await start('timed-task')).body.processInstanceKey;
    const timer = await t.runtime
      .knex('jobs')
      .where({ process_instance_key: key, kind: 'TIMER' })
      .first('job_key');
    const res = await t.api('POST', `/v2/jobs/${timer.job_key}/completion`, { variables: {} });
    expect(res.status).toBe(404);
    expect((await t.api('GET', `/v2/process-instances/${key}`)).body.state).toBe('ACTIVE');
  });

  it('recognises a message id again after the message was delivered at once', async () => {
    const body = { name: 'nobody-waits', correlationKey: 'x', timeToLive: 60_000, messageId: 'once' };
    expect((await t.api('POST', '/v2/messages/publication', body)).status).toBe(200);
    expect((await t.api('POST', '/v2/messages/publication', body)).status).toBe(409);
  });

  it('keeps a cycle on its rhythm after downtime, firing once', () => {
    const planned = new Date('2026-01-01T08:00:00Z');
    const next = nextOccurrence(
      { kind: 'repeat', interval: 'P1D', remaining: -1 },
      planned,
      new Date('2026-01-05T13:00:00Z'),
    );
    expect(next?.dueAt.toISOString()).toBe('2026-01-06T08:00:00.000Z');
    const limited = nextOccurrence(
      { kind: 'repeat', interval: 'P1D', remaining: 2 },
      planned,
      new Date('2026-01-05T13:00:00Z'),
    );
    expect(limited).toBeNull();
  });

  it('starts an instance whose child ends at once while a buffered message is consumed in the same step', async () => {
    await t.api('POST', '/v2/messages/publication', {
      name: 'ready',
      correlationKey: 'K1',
      timeToLive: 60_000,
    });
    const res = await start('fork-call-wait', { k: 'K1' });
    expect(res.status).toBe(200);
    const tasks = await t.api('POST', '/v2/user-tasks/search', {
      filter: { processInstanceKey: res.body.processInstanceKey },
    });
    expect(tasks.body.items.map((x: any) => x.elementId)).toEqual(['after']);
  });
});
