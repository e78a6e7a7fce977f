import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/**
 * 加签 relative to the signer: alongside (at once), before them (their task waits until the added
 * have decided, then comes back), after them (the added get their tasks once the signer decided),
 * or at the end of a sequential queue; 减签 of signers who are still waiting their turn.
 */
let t: TestRuntime;

const processOf = (id: string, approval: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="d_${id}">
  <bpmn:process id="${id}" name="移交会签" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="sign" name="会签"><bpmn:extensionElements>${approval}</bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/><bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    { name: 'all.bpmn', content: processOf('together', '<lf:approval mode="all" assignees="eng1, ops1"/>') },
    {
      name: 'seq.bpmn',
      content: processOf('in-turn', '<lf:approval mode="sequential" assignees="eng1, ops1"/>'),
    },
    {
      name: 'seq3.bpmn',
      content: processOf('in-turn-3', '<lf:approval mode="sequential" assignees="eng1, ops1, sup1"/>'),
    },
    {
      name: 'vote.bpmn',
      content: processOf('ballot', '<lf:approval mode="vote" passRatio="0.5" assignees="eng1, ops1"/>'),
    },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = (id: string) => t.startAs('owner', id);
const taskOf = (key: string, user: string) => t.taskOf(key, user);
const waiting = async (key: string) => (await t.openTasks(key)).map((x: any) => x.assignee).sort();
const approve = async (key: string, user: string) => {
  const res = await t.api(
    'POST',
    `/v2/user-tasks/${(await taskOf(key, user)).userTaskKey}/decision`,
    { decision: 'approve' },
    { user },
  );
  expect(res.status, res.text).toBe(204);
};
const signers = async (key: string, user: string, body: Record<string, unknown>, as = user) =>
  t.api('POST', `/v2/user-tasks/${(await taskOf(key, user)).userTaskKey}/signers`, body, { user: as });
const decisions = async (key: string) => (await t.rootVariables(key)).approvalDecisions as any[];

describe('加签 in a parallel approval (会签, 票签)', () => {
  it('before me: my task waits until the added signer has decided, then comes back', async () => {
    const key = await start('together');
    const res = await signers(key, 'eng1', { add: ['sup1'], position: 'before', comment: '请监理先看' });
    expect(res.status, res.text).toBe(204);
    expect(await waiting(key)).toEqual(['ops1', 'sup1']);
    await approve(key, 'sup1');
    expect(await waiting(key)).toEqual(['eng1', 'ops1']);
    await approve(key, 'eng1');
    await approve(key, 'ops1');
    expect(await t.stateOf(key)).toBe('COMPLETED');
    expect((await decisions(key)).map((d) => d.approver)).toEqual(['eng1', 'ops1', 'sup1']);
    const changed = (await t.api('GET', `/v2/process-instances/${key}/history`)).body.items.find(
      (h: any) => h.eventType === 'approval.signers_changed',
    );
    expect(changed.data).toMatchObject({
      added: ['sup1'],
      position: 'before',
      signer: 'eng1',
      comment: '请监理先看',
    });
  });

  it('after me: the added signer gets the task once I have decided; a vote counts them too', async () => {
    const key = await start('ballot');
    expect((await signers(key, 'eng1', { add: ['sup1'], position: 'after' })).status).toBe(204);
    expect(await waiting(key)).toEqual(['eng1', 'ops1']);
    await approve(key, 'eng1');
    expect(await waiting(key)).toEqual(['ops1', 'sup1']);
    // 1 of 3 approved: the 0.5 ratio is not reached until a second approval.
    await approve(key, 'sup1');
    expect(await t.stateOf(key)).toBe('COMPLETED');
    expect((await t.rootVariables(key)).approved).toBe(true);
  });

  it('a signer waiting their turn can be removed (减签); whoever waited only on them starts', async () => {
    const key = await start('together');
    expect((await signers(key, 'eng1', { add: ['sup1'], position: 'after' })).status).toBe(204);
    const removed = await signers(key, 'ops1', { remove: ['sup1'] });
    expect(removed.status, removed.text).toBe(204);
    await approve(key, 'eng1');
    expect(await waiting(key)).toEqual(['ops1']);
    await approve(key, 'ops1');
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });
});

describe('加签 in a sequential approval (依次)', () => {
  it('after me: the added signer is next, before the rest of the queue', async () => {
    const key = await start('in-turn');
    expect((await signers(key, 'eng1', { add: ['sup1'], position: 'after' })).status).toBe(204);
    await approve(key, 'eng1');
    expect(await waiting(key)).toEqual(['sup1']);
    await approve(key, 'sup1');
    expect(await waiting(key)).toEqual(['ops1']);
    await approve(key, 'ops1');
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });

  it('before me: the added signer decides first, then my turn comes again', async () => {
    const key = await start('in-turn');
    expect((await signers(key, 'eng1', { add: ['sup1', 'des1'], position: 'before' })).status).toBe(204);
    expect(await waiting(key)).toEqual(['sup1']);
    await approve(key, 'sup1');
    expect(await waiting(key)).toEqual(['des1']);
    await approve(key, 'des1');
    expect(await waiting(key)).toEqual(['eng1']);
    await approve(key, 'eng1');
    await approve(key, 'ops1');
    expect(await t.stateOf(key)).toBe('COMPLETED');
    expect((await decisions(key)).map((d) => d.approver)).toEqual(['sup1', 'des1', 'eng1', 'ops1']);
  });

  it('removing the signer deciding now hands the turn to the next one, each asked once', async () => {
    const key = await start('in-turn-3');
    expect((await signers(key, 'eng1', { remove: ['eng1'] }, 'admin')).status).toBe(204);
    expect(await waiting(key)).toEqual(['ops1']);
    await approve(key, 'ops1');
    expect(await waiting(key)).toEqual(['sup1']);
    await approve(key, 'sup1');
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });

  it('refuses positions that do not fit the approval, naming the field', async () => {
    const seq = await start('in-turn');
    const alongside = await signers(seq, 'eng1', { add: ['sup1'], position: 'alongside' });
    expect(alongside.status).toBe(400);
    expect(alongside.text).toContain('not alongside');
    const par = await start('together');
    const end = await signers(par, 'eng1', { add: ['sup1'], position: 'end' });
    expect(end.status).toBe(400);
    const bogus = await signers(par, 'eng1', { add: ['sup1'], position: 'first' });
    expect(bogus.status).toBe(400);
    expect(bogus.body.errors).toEqual([
      { field: 'position', reason: 'must be alongside, before, after or end' },
    ]);
    // Nothing changed on either approval.
    expect(await waiting(seq)).toEqual(['eng1']);
    expect(await waiting(par)).toEqual(['eng1', 'ops1']);
  });
});
