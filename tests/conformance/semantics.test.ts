/**
 * Focused behaviour of the engine, named for what it does (DESIGN.md "Semantics we follow":
 * Camunda 8 / BPMN 2.0). Each test is given (a model and its variables) / when (commands) / then
 * (events and state the runtime would persist).
 */
import { describe, expect, it } from 'vitest';
import {
  bpmnProcess,
  deploy,
  deployProcess,
  type InstanceDriver,
  ioMapping,
  namesElement,
  node,
  startInstance,
} from '../support/engine-driver.js';

// ---- models -----------------------------------------------------------------------------------

/** start -> fork -> [gw (no default), job `setx`]; gw: g1 `=x > 5` -> e1, g2 `=x > 10` -> e2. */
const XOR_WITHOUT_DEFAULT_NEXT_TO_A_JOB = bpmnProcess('xorNoDefault', {
  nodes: [
    node.start('start'),
    node.parallel('fork'),
    node.exclusive('gw'),
    node.serviceTask('setx'),
    node.end('e1'),
    node.end('e2'),
    node.end('e3'),
  ],
  flows: [
    ['f0', 'start', 'fork'],
    ['f1', 'fork', 'gw'],
    ['f2', 'fork', 'setx'],
    ['g1', 'gw', 'e1', '=x > 5'],
    ['g2', 'gw', 'e2', '=x > 10'],
    ['j1', 'setx', 'e3'],
  ],
});

/** gw: g1 `=x > 5` -> A, g2 `=x > 10` -> B, default gd -> C. */
const XOR_WITH_DEFAULT = bpmnProcess('xorDefault', {
  nodes: [
    node.start('start'),
    node.exclusive('gw', 'gd'),
    node.task('A'),
    node.task('B'),
    node.task('C'),
    node.end('end'),
  ],
  flows: [
    ['f0', 'start', 'gw'],
    ['g1', 'gw', 'A', '=x > 5'],
    ['g2', 'gw', 'B', '=x > 10'],
    ['gd', 'gw', 'C'],
    ['a1', 'A', 'end'],
    ['b1', 'B', 'end'],
    ['c1', 'C', 'end'],
  ],
});

/** inclusive fork on a (user task UT), b (task B), c (task C), default -> D; all join at `join`. */
const INCLUSIVE = bpmnProcess('inclusive', {
  nodes: [
    node.start('start'),
    node.inclusive('fork', 'fd'),
    node.userTask('UT'),
    node.task('B'),
    node.task('C'),
    node.task('D'),
    node.inclusive('join'),
    node.end('end'),
  ],
  flows: [
    ['f0', 'start', 'fork'],
    ['fa', 'fork', 'UT', '=a'],
    ['fb', 'fork', 'B', '=b'],
    ['fc', 'fork', 'C', '=c'],
    ['fd', 'fork', 'D'],
    ['ja', 'UT', 'join'],
    ['jb', 'B', 'join'],
    ['jc', 'C', 'join'],
    ['jd', 'D', 'join'],
    ['fe', 'join', 'end'],
  ],
});

const PARALLEL_THREE_TASKS = bpmnProcess('parallel', {
  nodes: [
    node.start('start'),
    node.parallel('fork'),
    node.userTask('A'),
    node.userTask('B'),
    node.userTask('C'),
    node.parallel('join'),
    node.end('end'),
  ],
  flows: [
    ['f0', 'start', 'fork'],
    ['fa', 'fork', 'A'],
    ['fb', 'fork', 'B'],
    ['fc', 'fork', 'C'],
    ['ja', 'A', 'join'],
    ['jb', 'B', 'join'],
    ['jc', 'C', 'join'],
    ['fe', 'join', 'end'],
  ],
});

/** A single service task of type `work` between start and end, with optional extensions. */
const oneJob = (ext = '') =>
  bpmnProcess('oneJob', {
    nodes: [node.start('start'), node.serviceTask('work', 'work', ext), node.end('end')],
    flows: [
      ['f0', 'start', 'work'],
      ['f1', 'work', 'end'],
    ],
  });

/** A single user task between start and end, with optional extensions. */
const oneUserTask = (ext = '', id = 'oneUserTask') =>
  bpmnProcess(id, {
    nodes: [node.start('start'), node.userTask('UT', ext), node.end('end')],
    flows: [
      ['f0', 'start', 'UT'],
      ['f1', 'UT', 'end'],
    ],
  });

// ---- exclusive gateway --------------------------------------------------------------------------

describe('exclusive gateway', () => {
  it('takes the first flow whose condition is true, in document order', async () => {
    // given two true conditions (x > 5 and x > 10) and a default flow
    const inst = await startInstance(XOR_WITH_DEFAULT, { x: 20 });
    // then only the first one in document order is taken
    expect(inst.status).toBe('COMPLETED');
    expect(inst.takenFlows()).toEqual(['f0', 'g1', 'a1']);
    expect(inst.count('element.activated', 'B')).toBe(0);
    expect(inst.count('element.activated', 'C')).toBe(0);
  });

  it('takes the default flow when no condition is true', async () => {
    const inst = await startInstance(XOR_WITH_DEFAULT, { x: 1 });
    expect(inst.status).toBe('COMPLETED');
    expect(inst.takenFlows()).toEqual(['f0', 'gd', 'c1']);
  });

  it('creates a CONDITION_ERROR incident naming the gateway when no condition is true and there is no default flow', async () => {
    const inst = await startInstance(XOR_WITHOUT_DEFAULT_NEXT_TO_A_JOB, { x: 3 });
    const [incident] = inst.activeIncidents();
    expect(inst.activeIncidents()).toHaveLength(1);
    expect(incident).toMatchObject({ errorType: 'CONDITION_ERROR', elementId: 'gw', state: 'ACTIVE' });
    expect(incident.errorMessage).toContain('<gw>');
    expect(inst.status).toBe('ACTIVE');
    expect(inst.state.instance.hasIncident).toBe(true);
    // the token stays at the gateway: no outgoing flow was taken
    expect(inst.takenFlows().filter((f) => f.startsWith('g'))).toEqual([]);
    expect(inst.activeElementIds()).toContain('gw');
  });

  it('raises a new incident when the incident is resolved and the conditions still fail', async () => {
    const inst = await startInstance(XOR_WITHOUT_DEFAULT_NEXT_TO_A_JOB, { x: 3 });
    const first = inst.activeIncidents()[0];
    // when the incident is resolved without any change
    const events = await inst.resolveIncident(first.incidentKey);
    // then the gateway is re-evaluated and fails again
    expect(events.map((e) => e.type)).toEqual(['incident.resolved', 'incident.created']);
    expect(inst.state.incidents.get(first.incidentKey)?.state).toBe('RESOLVED');
    const [second] = inst.activeIncidents();
    expect(second.incidentKey).not.toBe(first.incidentKey);
    expect(second).toMatchObject({
      errorType: 'CONDITION_ERROR',
      elementId: 'gw',
      elementInstanceKey: first.elementInstanceKey,
    });
    expect(inst.status).toBe('ACTIVE');
  });

  it('continues on the now-true flow when the incident is resolved after the variable changed', async () => {
    // given the gateway incident, and a parallel job whose completion sets x at the root
    const inst = await startInstance(XOR_WITHOUT_DEFAULT_NEXT_TO_A_JOB, { x: 3 });
    await inst.completeJob('setx', { x: 7 });
    expect(inst.variables().x).toBe(7);
    // when the incident is resolved
    await inst.resolveIncident(inst.activeIncidents()[0].incidentKey);
    // then the gateway takes g1 (7 > 5) and the instance completes
    expect(inst.takenFlows()).toContain('g1');
    expect(inst.takenFlows()).not.toContain('g2');
    expect(inst.activeIncidents()).toEqual([]);
    expect(inst.status).toBe('COMPLETED');
    expect(inst.state.instance.hasIncident).toBe(false);
  });

  it('creates a CONDITION_ERROR incident on the gateway when a condition is not a boolean', async () => {
    // x is not set: `=x > 5` is null in FEEL, which is not a boolean
    const inst = await startInstance(XOR_WITH_DEFAULT, {});
    const [incident] = inst.activeIncidents();
    expect(incident).toMatchObject({ errorType: 'CONDITION_ERROR', elementId: 'gw' });
    expect(incident.errorMessage).toContain('<g1>');
    expect(inst.count('element.activated', 'C')).toBe(0);
  });
});

// ---- parallel gateway ---------------------------------------------------------------------------

describe('parallel gateway', () => {
  it('completes the parallel join only when a token arrived on every incoming flow', async () => {
    const inst = await startInstance(PARALLEL_THREE_TASKS);
    expect(
      inst
        .openTasks()
        .map((t) => t.elementId)
        .sort(),
    ).toEqual(['A', 'B', 'C']);

    await inst.completeTask('A');
    await inst.completeTask('C');
    expect(inst.joinArrivals('join')).toEqual({ ja: 1, jc: 1 });
    expect(inst.count('element.activated', 'join')).toBe(0);
    expect(inst.status).toBe('ACTIVE');

    await inst.completeTask('B');
    expect(inst.count('element.activated', 'join')).toBe(1);
    expect(inst.joinArrivals('join')).toEqual({});
    expect(inst.status).toBe('COMPLETED');
    expect(inst.eventsOfType('instance.completed')).toHaveLength(1);
  });
});

// ---- inclusive gateway --------------------------------------------------------------------------

describe('inclusive gateway', () => {
  it('forks on every true condition and joins only after the user task on a taken branch completed', async () => {
    // given 2 of 3 conditional branches taken, one of them through a user task
    const inst = await startInstance(INCLUSIVE, { a: true, b: true, c: false });
    expect(inst.takenFlows()).toEqual(['f0', 'fa', 'fb', 'jb']);
    expect(inst.count('element.activated', 'C')).toBe(0);
    expect(inst.count('element.activated', 'D')).toBe(0);
    // then the join waits while a token can still arrive from the user task
    expect(inst.joinArrivals('join')).toEqual({ jb: 1 });
    expect(inst.count('element.activated', 'join')).toBe(0);

    await inst.completeTask('UT');
    expect(inst.count('element.activated', 'join')).toBe(1);
    expect(inst.status).toBe('COMPLETED');
  });

  it('joins at once when only one branch was taken', async () => {
    const inst = await startInstance(INCLUSIVE, { a: false, b: true, c: false });
    expect(inst.takenFlows()).toEqual(['f0', 'fb', 'jb', 'fe']);
    expect(inst.count('element.activated', 'join')).toBe(1);
    expect(inst.status).toBe('COMPLETED');
  });

  it('takes only the default flow when no condition is true', async () => {
    const inst = await startInstance(INCLUSIVE, { a: false, b: false, c: false });
    expect(inst.takenFlows()).toEqual(['f0', 'fd', 'jd', 'fe']);
    expect(inst.status).toBe('COMPLETED');
  });

  it('waits for a token that is still inside an embedded sub-process on a taken branch', async () => {
    const xml = bpmnProcess('inclusiveSub', {
      nodes: [
        node.start('start'),
        node.inclusive('fork'),
        node.subProcess('sub', {
          nodes: [node.start('subStart'), node.userTask('inner'), node.end('subEnd')],
          flows: [
            ['s1', 'subStart', 'inner'],
            ['s2', 'inner', 'subEnd'],
          ],
        }),
        node.task('B'),
        node.inclusive('join'),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'fork'],
        ['fa', 'fork', 'sub', '=true'],
        ['fb', 'fork', 'B', '=true'],
        ['ja', 'sub', 'join'],
        ['jb', 'B', 'join'],
        ['fe', 'join', 'end'],
      ],
    });
    const inst = await startInstance(xml);
    expect(inst.joinArrivals('join')).toEqual({ jb: 1 });
    expect(inst.count('element.activated', 'join')).toBe(0);
    await inst.completeTask('inner');
    expect(inst.count('element.activated', 'join')).toBe(1);
    expect(inst.status).toBe('COMPLETED');
  });
});

// ---- conditional flows on tasks -----------------------------------------------------------------

describe('conditional sequence flows on a task', () => {
  // conditional-flows.bpmn (bpmn-elements) without its JavaScript condition
  const xml = bpmnProcess('conditionalFlows', {
    nodes: [
      node.start('start'),
      { ...node.task('task1'), attrs: { default: 'to-task3' } },
      node.task('task2'),
      node.task('task3'),
      node.task('task4'),
      node.end('end'),
    ],
    flows: [
      ['f0', 'start', 'task1'],
      ['cond-to-task2', 'task1', 'task2', '=take2'],
      ['to-task3', 'task1', 'task3'],
      ['cond-to-task4', 'task1', 'task4', '=take4'],
      ['t2', 'task2', 'end'],
      ['t3', 'task3', 'end'],
      ['t4', 'task4', 'end'],
    ],
  });
  const reached = (inst: InstanceDriver) =>
    ['task2', 'task3', 'task4'].filter((id) => inst.count('element.completed', id) > 0);

  it('leaves on the true conditional flow only', async () => {
    expect(reached(await startInstance(xml, { take2: true, take4: false }))).toEqual(['task2']);
    expect(reached(await startInstance(xml, { take2: false, take4: true }))).toEqual(['task4']);
  });

  it('leaves on every true conditional flow (no exclusive choice without a gateway)', async () => {
    expect(reached(await startInstance(xml, { take2: true, take4: true }))).toEqual(['task2', 'task4']);
  });

  it('leaves on the default flow when no condition is true', async () => {
    expect(reached(await startInstance(xml, { take2: false, take4: false }))).toEqual(['task3']);
  });

  it('creates a CONDITION_ERROR incident naming the task when no condition is true and there is no default flow', async () => {
    const noDefault = bpmnProcess('conditionalNoDefault', {
      nodes: [node.start('start'), node.task('task1'), node.end('end1'), node.end('end2')],
      flows: [
        ['f0', 'start', 'task1'],
        ['c1', 'task1', 'end1', '=a'],
        ['c2', 'task1', 'end2', '=b'],
      ],
    });
    const inst = await startInstance(noDefault, { a: false, b: false });
    const [incident] = inst.activeIncidents();
    expect(incident).toMatchObject({ errorType: 'CONDITION_ERROR', elementId: 'task1' });
    expect(incident.errorMessage).toContain('<task1>');
  });
});

// ---- terminate end event ------------------------------------------------------------------------

describe('terminate end event', () => {
  it('terminates sibling tokens and cancels their user tasks and jobs', async () => {
    const xml = bpmnProcess('terminate', {
      nodes: [
        node.start('start'),
        node.parallel('fork'),
        node.userTask('UT'),
        node.serviceTask('job'),
        node.terminateEnd('kill'),
        node.end('e1'),
        node.end('e2'),
      ],
      flows: [
        ['f0', 'start', 'fork'],
        ['fa', 'fork', 'UT'],
        ['fb', 'fork', 'job'],
        ['fc', 'fork', 'kill'],
        ['a1', 'UT', 'e1'],
        ['b1', 'job', 'e2'],
      ],
    });
    const inst = await startInstance(xml);
    expect(inst.status).toBe('COMPLETED');
    expect(inst.tasks('UT').map((t) => t.state)).toEqual(['CANCELED']);
    expect(inst.jobs('job').map((j) => j.state)).toEqual(['CANCELED']);
    expect(inst.eventsOfType('task.canceled')).toHaveLength(1);
    expect(inst.eventsOfType('job.canceled')).toHaveLength(1);
    expect(inst.count('element.terminated', 'UT')).toBe(1);
    expect(inst.count('element.terminated', 'job')).toBe(1);
    expect(inst.count('element.completed', 'kill')).toBe(1);
    expect(inst.count('element.activated', 'e1') + inst.count('element.activated', 'e2')).toBe(0);
    expect(inst.activeElementIds()).toEqual([]);
  });

  it('inside a sub-process ends only the sub-process, which then completes and continues', async () => {
    const xml = bpmnProcess('terminateInSub', {
      nodes: [
        node.start('start'),
        node.subProcess('sub', {
          nodes: [
            node.start('subStart'),
            node.parallel('subFork'),
            node.userTask('inner'),
            node.terminateEnd('subKill'),
          ],
          flows: [
            ['s1', 'subStart', 'subFork'],
            ['s2', 'subFork', 'inner'],
            ['s3', 'subFork', 'subKill'],
          ],
        }),
        node.userTask('after'),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'sub'],
        ['f1', 'sub', 'after'],
        ['f2', 'after', 'end'],
      ],
    });
    const inst = await startInstance(xml);
    expect(inst.tasks('inner').map((t) => t.state)).toEqual(['CANCELED']);
    expect(inst.count('element.completed', 'sub')).toBe(1);
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['after']);
    expect(inst.status).toBe('ACTIVE');
  });

  // A token already on its way (queued by a sibling that completed in the same run) must not be
  // activated in the scope the terminate end event just ended.
  it('does not activate an element that a sibling token reaches after the terminate end event completed', async () => {
    const xml = bpmnProcess('terminateRace', {
      nodes: [
        node.start('start'),
        node.parallel('fork'),
        node.scriptTask('S1', '=1', 'one'),
        node.userTask('UT'),
        node.end('e2'),
        node.terminateEnd('kill'),
      ],
      flows: [
        ['f0', 'start', 'fork'],
        ['f1', 'fork', 'S1'],
        ['f2', 'fork', 'kill'],
        ['f3', 'S1', 'UT'],
        ['f4', 'UT', 'e2'],
      ],
    });
    const inst = await startInstance(xml);
    expect(inst.count('element.activated', 'UT')).toBe(0);
    expect(inst.openTasks()).toEqual([]);
    expect(inst.status).toBe('COMPLETED');
  });
});

// ---- embedded sub-process -----------------------------------------------------------------------

describe('embedded sub-process', () => {
  it('completes as soon as nothing is left inside it', async () => {
    const xml = bpmnProcess('emptySub', {
      nodes: [
        node.start('start'),
        node.subProcess('sub', {
          nodes: [node.start('subStart'), node.end('subEnd')],
          flows: [['s1', 'subStart', 'subEnd']],
        }),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'sub'],
        ['f1', 'sub', 'end'],
      ],
    });
    const inst = await startInstance(xml);
    expect(inst.completedElements()).toEqual(['start', 'subStart', 'subEnd', 'sub', 'end', 'emptySub']);
    expect(inst.status).toBe('COMPLETED');
  });

  it('keeps input-mapped variables local and propagates its output mappings to the parent scope', async () => {
    const xml = bpmnProcess('subIo', {
      nodes: [
        node.start('start'),
        node.subProcess(
          'sub',
          {
            nodes: [
              node.start('subStart'),
              node.scriptTask('calc', '=local * 2', 'doubled'),
              node.userTask('inner'),
              node.end('subEnd'),
            ],
            flows: [
              ['s1', 'subStart', 'calc'],
              ['s2', 'calc', 'inner'],
              ['s3', 'inner', 'subEnd'],
            ],
          },
          ioMapping([['=amount + 1', 'local']], [['=local + doubled', 'result']]),
        ),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'sub'],
        ['f1', 'sub', 'end'],
      ],
    });
    const inst = await startInstance(xml, { amount: 4 });
    const subKey = inst.elementInstanceKey('sub');
    expect(inst.variables(subKey)).toEqual({ local: 5 });
    expect(inst.variables()).not.toHaveProperty('local');
    expect(inst.status).toBe('ACTIVE');

    await inst.completeTask('inner');
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables()).toMatchObject({ amount: 4, result: 15 });
    expect(inst.variables()).not.toHaveProperty('local');
  });
});

// ---- variables ----------------------------------------------------------------------------------

describe('variables', () => {
  it('input mappings create local variables that are not visible at the root', async () => {
    const inst = await startInstance(oneJob(ioMapping([['=amount * 2', 'doubled']])), { amount: 21 });
    const job = inst.openJob('work');
    expect(inst.variables(job.elementInstanceKey)).toEqual({ doubled: 42 });
    expect(inst.variables()).toEqual({ amount: 21 });

    await inst.completeJob('work');
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables()).toEqual({ amount: 21 });
  });

  it('job completion variables propagate to the root scope', async () => {
    const inst = await startInstance(oneJob(), { amount: 1 });
    await inst.completeJob('work', { approved: true, amount: 2 });
    expect(inst.variables()).toEqual({ amount: 2, approved: true });
    expect(inst.status).toBe('COMPLETED');
  });

  it('with output mappings, only the mapped job variables reach the root scope', async () => {
    const inst = await startInstance(oneJob(ioMapping([], [['=result.total', 'total']])));
    await inst.completeJob('work', { result: { total: 5 }, noise: 1 });
    expect(inst.variables()).toEqual({ total: 5 });
  });

  it('user task completion variables propagate to the root scope', async () => {
    const inst = await startInstance(oneUserTask(), { a: 1 });
    await inst.completeTask('UT', { decision: 'approve' });
    expect(inst.variables()).toEqual({ a: 1, decision: 'approve' });
    expect(inst.tasks('UT')[0].state).toBe('COMPLETED');
  });
});

// ---- jobs ---------------------------------------------------------------------------------------

describe('jobs', () => {
  it('failing a job with retries left makes it activatable again, without an incident', async () => {
    const inst = await startInstance(oneJob());
    await inst.failJob('work', 2, 'connection refused');
    expect(inst.jobs('work')[0]).toMatchObject({
      state: 'CREATED',
      retries: 2,
      errorMessage: 'connection refused',
    });
    expect(inst.activeIncidents()).toEqual([]);
  });

  it('failing a job with no retries left creates a JOB_NO_RETRIES incident; resolving it makes the job CREATED with one retry', async () => {
    const inst = await startInstance(oneJob());
    const jobKey = inst.openJob('work').jobKey;
    await inst.failJob('work', 0, 'boom');
    const [incident] = inst.activeIncidents();
    expect(incident).toMatchObject({
      errorType: 'JOB_NO_RETRIES',
      elementId: 'work',
      jobKey,
      errorMessage: 'boom',
    });
    expect(inst.state.jobs.get(jobKey)?.state).toBe('FAILED');
    expect(inst.openJobs()).toEqual([]);

    await inst.resolveIncident(incident.incidentKey);
    expect(inst.state.jobs.get(jobKey)).toMatchObject({ state: 'CREATED', retries: 1 });
    expect(inst.activeIncidents()).toEqual([]);

    await inst.completeJob('work');
    expect(inst.status).toBe('COMPLETED');
  });

  it('an error thrown by a job is an UNHANDLED_ERROR_EVENT incident; resolving it retries the work as a new job', async () => {
    const inst = await startInstance(oneJob());
    const jobKey = inst.openJob('work').jobKey;
    await inst.throwJobError('work', 'NOT_ELIGIBLE', 'customer is not eligible');
    const [incident] = inst.activeIncidents();
    expect(incident).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'work', jobKey });
    expect(incident.errorMessage).toContain('NOT_ELIGIBLE');
    expect(inst.state.jobs.get(jobKey)?.state).toBe('ERROR_THROWN');

    await inst.resolveIncident(incident.incidentKey);
    expect(inst.state.jobs.get(jobKey)?.state).toBe('CANCELED');
    const retry = inst.openJob('work');
    expect(retry.jobKey).not.toBe(jobKey);
  });
});

// ---- instance cancel ----------------------------------------------------------------------------

describe('instance cancel', () => {
  it('terminates every element, cancels user tasks and jobs, and refuses later commands', async () => {
    const xml = bpmnProcess('cancel', {
      nodes: [
        node.start('start'),
        node.parallel('fork'),
        node.userTask('UT'),
        node.serviceTask('job'),
        node.subProcess('sub', {
          nodes: [node.start('subStart'), node.userTask('inner'), node.end('subEnd')],
          flows: [
            ['s1', 'subStart', 'inner'],
            ['s2', 'inner', 'subEnd'],
          ],
        }),
        node.parallel('join'),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'fork'],
        ['fa', 'fork', 'UT'],
        ['fb', 'fork', 'job'],
        ['fc', 'fork', 'sub'],
        ['ja', 'UT', 'join'],
        ['jb', 'job', 'join'],
        ['jc', 'sub', 'join'],
        ['fe', 'join', 'end'],
      ],
    });
    const inst = await startInstance(xml);
    await inst.completeTask('UT'); // a token waits at the join
    const taskKey = inst.openTask('inner').userTaskKey;
    const jobKey = inst.openJob('job').jobKey;

    const events = await inst.cancel();
    expect(inst.status).toBe('TERMINATED');
    expect(events.at(-1)?.type).toBe('instance.terminated');
    expect(inst.activeElementIds()).toEqual([]);
    expect([...inst.state.elements.values()].filter((e) => e.state === 'ACTIVE')).toEqual([]);
    expect(inst.state.userTasks.get(taskKey)?.state).toBe('CANCELED');
    expect(inst.state.jobs.get(jobKey)?.state).toBe('CANCELED');
    for (const id of ['job', 'sub', 'inner', 'cancel']) expect(inst.count('element.terminated', id)).toBe(1);
    expect(inst.state.instance.runtime.joins ?? {}).toEqual({});

    const again = await inst.send({ type: 'job.complete', jobKey, variables: {} });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.failure.code).toBe('INVALID_STATE');
  });
});

// ---- commands on finished work ------------------------------------------------------------------

describe('commands on finished work', () => {
  const twoTasks = bpmnProcess('twoTasks', {
    nodes: [
      node.start('start'),
      node.parallel('fork'),
      node.userTask('A'),
      node.userTask('B'),
      node.parallel('join'),
      node.end('end'),
    ],
    flows: [
      ['f0', 'start', 'fork'],
      ['fa', 'fork', 'A'],
      ['fb', 'fork', 'B'],
      ['ja', 'A', 'join'],
      ['jb', 'B', 'join'],
      ['fe', 'join', 'end'],
    ],
  });

  it('completing an already completed user task fails with INVALID_STATE and changes nothing', async () => {
    const inst = await startInstance(twoTasks);
    const keyA = inst.openTask('A').userTaskKey;
    await inst.completeTask('A');
    const eventsBefore = inst.events.length;

    const result = await inst.send({ type: 'task.complete', userTaskKey: keyA, variables: { late: true } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(['INVALID_STATE', 'NOT_FOUND']).toContain(result.failure.code);
    expect(result.failure.code).toBe('INVALID_STATE');
    expect(result.failure.message).toContain(`<${keyA}>`);
    expect(result.stateUnchanged).toBe(true);
    expect(inst.events.length).toBe(eventsBefore);
    expect(inst.variables()).not.toHaveProperty('late');
  });

  it('completing an unknown user task fails with NOT_FOUND', async () => {
    const inst = await startInstance(twoTasks);
    const result = await inst.send({ type: 'task.complete', userTaskKey: '1', variables: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.code).toBe('NOT_FOUND');
      expect(result.stateUnchanged).toBe(true);
    }
  });

  it('completing an already completed job fails with INVALID_STATE', async () => {
    const inst = await startInstance(oneJob());
    const jobKey = inst.openJob('work').jobKey;
    await inst.completeJob('work');
    const result = await inst.send({ type: 'job.complete', jobKey, variables: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(['INVALID_STATE', 'NOT_FOUND']).toContain(result.failure.code);
  });

  it('completing the last task of a completed instance again fails with INVALID_STATE', async () => {
    const inst = await startInstance(oneUserTask());
    const key = inst.openTask('UT').userTaskKey;
    await inst.completeTask('UT');
    expect(inst.status).toBe('COMPLETED');
    const result = await inst.send({ type: 'task.complete', userTaskKey: key, variables: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.code).toBe('INVALID_STATE');
  });
});

// ---- user task properties -----------------------------------------------------------------------

describe('user task properties', () => {
  it('takes assignee, candidate groups and users, priority, due and follow-up dates from FEEL', async () => {
    const ext =
      '<zeebe:assignmentDefinition assignee="=owner" candidateGroups="=[&quot;qa&quot;, team]" candidateUsers="=owner + &quot;,bob&quot;" />' +
      '<zeebe:taskSchedule dueDate="=date and time(&quot;2025-01-01T10:00:00Z&quot;) + duration(&quot;P3D&quot;)" followUpDate="=start + &quot;T09:00:00Z&quot;" />' +
      '<zeebe:priorityDefinition priority="=base + 10" />';
    const inst = await startInstance(oneUserTask(ext), {
      owner: 'alice',
      team: 'ops',
      base: 20,
      start: '2025-01-02',
    });
    expect(inst.openTask('UT')).toMatchObject({
      assignee: 'alice',
      candidateGroups: ['qa', 'ops'],
      candidateUsers: ['alice', 'bob'],
      priority: 30,
      dueDate: '2025-01-04T10:00:00.000Z',
      followUpDate: '2025-01-02T09:00:00.000Z',
    });
  });

  it('takes static values as they are, and defaults the priority to 50', async () => {
    const withStatic = await startInstance(
      oneUserTask(
        '<zeebe:assignmentDefinition assignee="bob" candidateGroups="qa, ops" /><zeebe:taskSchedule dueDate="2025-03-01T12:00:00Z" /><zeebe:priorityDefinition priority="70" />',
      ),
    );
    expect(withStatic.openTask('UT')).toMatchObject({
      assignee: 'bob',
      candidateGroups: ['qa', 'ops'],
      priority: 70,
      dueDate: '2025-03-01T12:00:00.000Z',
    });
    const plain = await startInstance(oneUserTask());
    expect(plain.openTask('UT')).toMatchObject({
      assignee: null,
      candidateGroups: [],
      priority: 50,
      dueDate: null,
    });
  });

  it('creates an EXTRACT_VALUE_ERROR incident naming the task when a FEEL priority is out of range', async () => {
    const inst = await startInstance(oneUserTask('<zeebe:priorityDefinition priority="=p" />'), { p: 150 });
    expect(inst.openTasks()).toEqual([]);
    const [incident] = inst.activeIncidents();
    expect(incident).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: 'UT' });
    expect(incident.errorMessage).toContain('<UT>');
  });

  it('links the deployed form by id, and raises FORM_NOT_FOUND when there is none', async () => {
    const xml = oneUserTask('<zeebe:formDefinition formId="invoice-form" />');
    const found = await startInstance(xml);
    expect(found.openTask('UT')).toMatchObject({ formId: 'invoice-form', formKey: 'form-key-invoice-form' });

    const missing = await startInstance(xml, {}, { services: { resolveForm: async () => null } });
    expect(missing.openTasks()).toEqual([]);
    expect(missing.activeIncidents()[0]).toMatchObject({ errorType: 'FORM_NOT_FOUND', elementId: 'UT' });
  });
});

// ---- script task --------------------------------------------------------------------------------

describe('script task', () => {
  it('stores the result of its FEEL expression in the result variable', async () => {
    const xml = bpmnProcess('script', {
      nodes: [
        node.start('start'),
        node.scriptTask('sum', '=a + b', 'total'),
        node.scriptTask('greet', '="你好, " + name', 'greeting'),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'sum'],
        ['f1', 'sum', 'greet'],
        ['f2', 'greet', 'end'],
      ],
    });
    const inst = await startInstance(xml, { a: 2, b: 40, name: '张工' });
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables()).toMatchObject({ total: 42, greeting: '你好, 张工' });
  });

  it("reads now() and today() from the command's clock, not the machine's", async () => {
    const xml = bpmnProcess('clock', {
      nodes: [
        node.start('start'),
        node.scriptTask('stamp', '=string(now())', 'stampedAt'),
        node.scriptTask('day', '=string(today() + duration("P1D"))', 'tomorrow'),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'stamp'],
        ['f1', 'stamp', 'day'],
        ['f2', 'day', 'end'],
      ],
    });
    const inst = await startInstance(xml, {}, { now: new Date('2031-02-03T04:05:06.000Z') });
    expect(new Date(inst.variables().stampedAt as string).toISOString()).toBe('2031-02-03T04:05:06.000Z');
    expect(inst.variables().tomorrow).toBe('2031-02-04');
  });

  it('rejects a JavaScript script at deploy time, naming the task', async () => {
    const xml = bpmnProcess('jsScript', {
      nodes: [
        node.start('start'),
        {
          tag: 'scriptTask',
          id: 'js',
          attrs: { scriptFormat: 'javascript' },
          body: '<bpmn:script>next(null, 1)</bpmn:script>',
        },
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'js'],
        ['f1', 'js', 'end'],
      ],
    });
    const result = await deploy(xml);
    expect(result.processes).toEqual([]);
    expect(namesElement(result, 'js')).toBe(true);
  });
});

// ---- deploying ----------------------------------------------------------------------------------

describe('deploying', () => {
  // bpmnlint rules may keep state per Linter (no-duplicate-sequence-flows does): each compile must
  // start fresh, or recompiling a stored model rejects it.
  it('compiles the same model twice with the same result', async () => {
    // ids used by no other model, so the first compile is clean whatever ran before
    const xml = bpmnProcess('compileTwice', {
      nodes: [node.start('twiceStart'), node.userTask('twiceTask'), node.end('twiceEnd')],
      flows: [
        ['twice1', 'twiceStart', 'twiceTask'],
        ['twice2', 'twiceTask', 'twiceEnd'],
      ],
    });
    const first = await deploy(xml);
    const second = await deploy(xml);
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  // The check reads the sequence flows, not the optional <bpmn:outgoing> references.
  it('rejects an exclusive gateway with two unconditional flows whether or not the XML lists <outgoing> references', async () => {
    const withoutRefs = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="xorRefs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="xorWithoutRefs" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:exclusiveGateway id="gw" />
    <bpmn:endEvent id="e1" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />
    <bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="e1" />
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>`;
    const withRefs = bpmnProcess('xorWithRefs', {
      nodes: [node.start('start'), node.exclusive('gw'), node.end('e1'), node.end('e2')],
      flows: [
        ['f0', 'start', 'gw'],
        ['f1', 'gw', 'e1'],
        ['f2', 'gw', 'e2'],
      ],
    });
    // with references the model is rejected, naming the gateway ...
    expect(namesElement(await deploy(withRefs), 'gw')).toBe(true);
    // ... and so must be the same model without them
    const result = await deploy(withoutRefs);
    expect(result.processes).toEqual([]);
    expect(namesElement(result, 'gw')).toBe(true);
  });

  it('compiles a model with a default flow on a task and FEEL everywhere', async () => {
    const process = await deployProcess(XOR_WITH_DEFAULT);
    expect(process.id).toBe('xorDefault');
    expect(process.nodes.get('gw')?.outgoing).toEqual(['g1', 'g2', 'gd']);
  });
});
