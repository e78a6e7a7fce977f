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
  errorElement,
  escalationElement,
  type FlowSpec,
  InstanceDriver,
  ioMapping,
  messageElement,
  multiInstance,
  namesElement,
  node,
  signalElement,
  startInstance,
  type TimerKind,
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

// ---- timers -------------------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The driver's default clock (a Wednesday). */
const T0 = Date.parse('2025-01-01T08:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** start -> timer catch `wait` -> user task `after` -> end. */
const timerCatch = (kind: TimerKind, expression: string) =>
  bpmnProcess('timerCatch', {
    nodes: [
      node.start('start'),
      node.timerCatch('wait', kind, expression),
      node.userTask('after'),
      node.end('end'),
    ],
    flows: [
      ['f0', 'start', 'wait'],
      ['f1', 'wait', 'after'],
      ['f2', 'after', 'end'],
    ],
  });

/** start -> user task `UT` -> `done`; timer boundary `sla` on UT -> user task `escalate` -> `escalated`. */
const boundaryTimer = (kind: TimerKind, expression: string, interrupting = true) =>
  bpmnProcess('boundaryTimer', {
    nodes: [
      node.start('start'),
      node.userTask('UT'),
      node.timerBoundary('sla', 'UT', kind, expression, { interrupting }),
      node.end('done'),
      interrupting ? node.userTask('escalate') : node.end('reminded'),
      ...(interrupting ? [node.end('escalated')] : []),
    ],
    flows: [
      ['f0', 'start', 'UT'],
      ['f1', 'UT', 'done'],
      ...((interrupting
        ? [
            ['b1', 'sla', 'escalate'],
            ['b2', 'escalate', 'escalated'],
          ]
        : [['b1', 'sla', 'reminded']]) as FlowSpec[]),
    ],
  });

/**
 * start -> user task `work` -> `done`; event sub-process `onTimer` whose timer start `timerStart`
 * (interrupting or not) leads to user task `handle` -> `handled`.
 */
const eventSubProcessTimer = (kind: TimerKind, expression: string, interrupting: boolean) =>
  bpmnProcess('espTimer', {
    nodes: [
      node.start('start'),
      node.userTask('work'),
      node.end('done'),
      node.eventSubProcess('onTimer', {
        nodes: [
          node.timerStart('timerStart', kind, expression, { interrupting }),
          node.userTask('handle'),
          node.end('handled'),
        ],
        flows: [
          ['e1', 'timerStart', 'handle'],
          ['e2', 'handle', 'handled'],
        ],
      }),
    ],
    flows: [
      ['f0', 'start', 'work'],
      ['f1', 'work', 'done'],
    ],
  });

describe('timers', () => {
  describe('intermediate timer catch event', () => {
    it('waits until its duration has passed, then continues', async () => {
      // given an instance waiting at a PT10M timer catch
      const inst = await startInstance(timerCatch('duration', 'PT10M'));
      expect(inst.activeElementIds()).toEqual(['wait']);
      const timer = inst.openTimer('wait');
      expect(timer).toMatchObject({ kind: 'TIMER', type: 'timer', state: 'CREATED', dueAt: at(10 * MINUTE) });
      expect(timer.elementInstanceKey).toBe(inst.elementInstanceKey('wait'));
      // when the clock passes 9:59, nothing fires
      expect(await inst.advanceAndFire(10 * MINUTE - 1)).toEqual([]);
      expect(inst.openTasks()).toEqual([]);
      // when it reaches 10:00, the timer fires and the token moves on
      await inst.advanceAndFire(1);
      expect(inst.timers('wait').map((t) => t.state)).toEqual(['COMPLETED']);
      expect(inst.count('element.completed', 'wait')).toBe(1);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['after']);
      expect(inst.takenFlows()).toEqual(['f0', 'f1']);
    });

    it('takes its duration from a FEEL variable', async () => {
      const inst = await startInstance(timerCatch('duration', '=delay'), { delay: 'PT2H' });
      expect(inst.openTimer('wait').dueAt).toBe(at(2 * HOUR));
      await inst.fireTimer('wait');
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['after']);
    });

    it('takes its duration from a FEEL duration value', async () => {
      const inst = await startInstance(timerCatch('duration', '=duration("PT90M")'));
      expect(inst.openTimer('wait').dueAt).toBe(at(90 * MINUTE));
    });

    it('waits until a FEEL date-time', async () => {
      const inst = await startInstance(timerCatch('date', '=date and time(deadline)'), {
        deadline: '2025-03-01T09:00:00Z',
      });
      expect(inst.openTimer('wait').dueAt).toBe('2025-03-01T09:00:00.000Z');
    });

    it('creates an EXTRACT_VALUE_ERROR incident naming the event when the FEEL value is not a duration, and waits once resolved with a good value', async () => {
      // given a duration from a variable that holds no duration
      const inst = await startInstance(timerCatch('duration', '=delay'), { delay: 'soon' });
      // then no timer, but an incident on the catch event that names it
      expect(inst.openTimers()).toEqual([]);
      const [incident] = inst.activeIncidents();
      expect(incident).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: 'wait' });
      expect(incident.errorMessage).toContain('<wait>');
      expect(incident.errorMessage).toContain('soon');
      expect(inst.status).toBe('ACTIVE');
      // when the variable is fixed and the incident resolved, the timer is created
      await inst.must({
        type: 'variables.set',
        scopeKey: inst.processInstanceKey,
        variables: { delay: 'PT5M' },
        local: false,
      });
      await inst.resolveIncident(incident.incidentKey);
      expect(inst.activeIncidents()).toEqual([]);
      expect(inst.openTimer('wait').dueAt).toBe(at(5 * MINUTE));
    });

    it('creates an EXTRACT_VALUE_ERROR incident naming the event when the FEEL value is a number', async () => {
      const inst = await startInstance(timerCatch('duration', '=delay'), { delay: 42 });
      const [incident] = inst.activeIncidents();
      expect(incident).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: 'wait' });
      expect(incident.errorMessage).toContain('<wait>');
    });
  });

  describe('interrupting timer boundary event', () => {
    it('terminates the user task (task CANCELED) and takes the boundary path when it fires', async () => {
      // given a user task with a PT1H interrupting boundary timer
      const inst = await startInstance(boundaryTimer('duration', 'PT1H'));
      const timer = inst.openTimer('sla');
      expect(timer.dueAt).toBe(at(HOUR));
      expect(timer.elementInstanceKey).toBe(inst.elementInstanceKey('UT'));
      // when the timer fires
      await inst.fireTimer('sla');
      // then the task is cancelled, its element terminated, and the boundary path taken
      expect(inst.tasks('UT').map((t) => t.state)).toEqual(['CANCELED']);
      expect(inst.count('element.terminated', 'UT')).toBe(1);
      expect(inst.count('element.completed', 'UT')).toBe(0);
      expect(inst.count('element.completed', 'sla')).toBe(1);
      expect(inst.takenFlows()).toEqual(['f0', 'b1']);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['escalate']);
      expect(inst.count('element.activated', 'done')).toBe(0);
      await inst.completeTask('escalate');
      expect(inst.status).toBe('COMPLETED');
    });

    it('is cancelled (job CANCELED) when the task completes first, and can no longer fire', async () => {
      const inst = await startInstance(boundaryTimer('duration', 'PT1H'));
      const timer = inst.openTimer('sla');
      // when the task completes before the timer is due
      await inst.completeTask('UT');
      // then the timer is cancelled and the normal path taken
      expect(inst.timers('sla').map((t) => t.state)).toEqual(['CANCELED']);
      expect(inst.eventsOfType('job.canceled').map((e) => e.jobKey)).toEqual([timer.jobKey]);
      expect(inst.status).toBe('COMPLETED');
      expect(inst.count('element.activated', 'sla')).toBe(0);
      // and a late trigger of it is refused
      const late = await inst.send({ type: 'timer.trigger', jobKey: timer.jobKey });
      expect(late.ok).toBe(false);
    });

    it('refuses to trigger a cancelled timer of a running instance with INVALID_STATE, changing nothing', async () => {
      // the boundary timer of the first task is cancelled; the instance goes on at a second task
      const xml = bpmnProcess('lateTimer', {
        nodes: [
          node.start('start'),
          node.userTask('UT'),
          node.timerBoundary('sla', 'UT', 'duration', 'PT1H'),
          node.userTask('next'),
          node.end('end'),
          node.end('slaEnd'),
        ],
        flows: [
          ['f0', 'start', 'UT'],
          ['f1', 'UT', 'next'],
          ['f2', 'next', 'end'],
          ['b1', 'sla', 'slaEnd'],
        ],
      });
      const inst = await startInstance(xml);
      const timer = inst.openTimer('sla');
      await inst.completeTask('UT');
      inst.advance(2 * HOUR);
      const late = await inst.send({ type: 'timer.trigger', jobKey: timer.jobKey });
      expect(late.ok).toBe(false);
      if (!late.ok) {
        expect(late.failure.code).toBe('INVALID_STATE');
        expect(late.stateUnchanged).toBe(true);
      }
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['next']);
    });

    it('on an embedded sub-process terminates everything inside it', async () => {
      const xml = bpmnProcess('subTimeout', {
        nodes: [
          node.start('start'),
          node.subProcess('sub', {
            nodes: [
              node.start('subStart'),
              node.parallel('fork'),
              node.userTask('A'),
              node.serviceTask('B'),
              node.end('subEnd1'),
              node.end('subEnd2'),
            ],
            flows: [
              ['s0', 'subStart', 'fork'],
              ['s1', 'fork', 'A'],
              ['s2', 'fork', 'B'],
              ['s3', 'A', 'subEnd1'],
              ['s4', 'B', 'subEnd2'],
            ],
          }),
          node.timerBoundary('timeout', 'sub', 'duration', 'P1D'),
          node.end('end'),
          node.end('timedOut'),
        ],
        flows: [
          ['f0', 'start', 'sub'],
          ['f1', 'sub', 'end'],
          ['b1', 'timeout', 'timedOut'],
        ],
      });
      const inst = await startInstance(xml);
      await inst.fireTimer('timeout');
      expect(inst.tasks('A').map((t) => t.state)).toEqual(['CANCELED']);
      expect(inst.jobs('B').map((j) => j.state)).toEqual(['CANCELED']);
      expect(inst.count('element.terminated', 'sub')).toBe(1);
      expect(inst.count('element.completed', 'timedOut')).toBe(1);
      expect(inst.count('element.activated', 'end')).toBe(0);
      expect(inst.status).toBe('COMPLETED');
    });

    it('creates an EXTRACT_VALUE_ERROR incident on the task, naming the boundary event, when its FEEL value is not a duration', async () => {
      const inst = await startInstance(boundaryTimer('duration', '=sla'), { sla: 'tomorrow' });
      const [incident] = inst.activeIncidents();
      expect(incident.errorType).toBe('EXTRACT_VALUE_ERROR');
      expect(incident.errorMessage).toContain('<sla>');
      expect(inst.openTimers()).toEqual([]);
    });
  });

  describe('non-interrupting timer boundary event', () => {
    it('with the cycle R3/PT1M fires three times while the task stays open, takes the boundary path once per firing, and never creates a fourth timer', async () => {
      // given a user task with a non-interrupting R3/PT1M boundary timer
      const inst = await startInstance(boundaryTimer('cycle', 'R3/PT1M', false));
      const task = inst.openTask('UT');
      for (let i = 1; i <= 3; i++) {
        // when the i-th occurrence is due
        expect(inst.openTimer('sla').dueAt).toBe(at(i * MINUTE));
        await inst.fireTimer('sla');
        // then the boundary path is taken once more, and the same task stays open
        expect(inst.count('element.completed', 'sla')).toBe(i);
        expect(inst.count('element.completed', 'reminded')).toBe(i);
        expect(inst.takenFlows().filter((f) => f === 'b1')).toHaveLength(i);
        expect(inst.openTasks().map((t) => t.userTaskKey)).toEqual([task.userTaskKey]);
        expect(inst.count('element.terminated', 'UT')).toBe(0);
      }
      // then the cycle is over: no fourth timer, not even much later
      expect(inst.openTimers()).toEqual([]);
      expect(await inst.advanceAndFire(24 * HOUR)).toEqual([]);
      expect(inst.timers('sla').map((t) => t.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      expect(inst.eventsOfType('job.created').filter((e) => e.job.kind === 'TIMER')).toHaveLength(3);
      // and the task still completes the instance
      await inst.completeTask('UT');
      expect(inst.status).toBe('COMPLETED');
      expect(inst.count('element.completed', 'done')).toBe(1);
    });

    it('with a duration fires once and leaves the task open', async () => {
      const inst = await startInstance(boundaryTimer('duration', 'PT30M', false));
      await inst.fireTimer('sla');
      expect(inst.count('element.completed', 'reminded')).toBe(1);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['UT']);
      expect(inst.openTimers()).toEqual([]);
      expect(inst.status).toBe('ACTIVE');
    });

    it('cancels the next occurrence of its cycle when the task completes', async () => {
      const inst = await startInstance(boundaryTimer('cycle', 'R/PT1M', false));
      await inst.advanceAndFire(5 * MINUTE);
      expect(inst.count('element.completed', 'reminded')).toBe(5);
      await inst.completeTask('UT');
      expect(inst.status).toBe('COMPLETED');
      expect(inst.openTimers()).toEqual([]);
      expect(inst.timers('sla').map((t) => t.state)).toEqual([...Array(5).fill('COMPLETED'), 'CANCELED']);
    });

    it('with the cron cycle "0 0 9 * * MON" is due next Monday 09:00 UTC, then the Monday after', async () => {
      // given the clock on Wednesday 2025-01-01 08:00 UTC
      const inst = await startInstance(boundaryTimer('cycle', '0 0 9 * * MON', false));
      // then the first occurrence is Monday 2025-01-06 09:00 UTC
      expect(inst.openTimer('sla').dueAt).toBe('2025-01-06T09:00:00.000Z');
      // when it fires, the next one is a week later
      await inst.fireTimer('sla');
      expect(inst.clock.toISOString()).toBe('2025-01-06T09:00:00.000Z');
      expect(inst.openTimer('sla').dueAt).toBe('2025-01-13T09:00:00.000Z');
      expect(inst.count('element.completed', 'reminded')).toBe(1);
    });

    it('with a cycle that starts at a date, R2/<start>/P1D, fires at the start and one day later', async () => {
      const inst = await startInstance(boundaryTimer('cycle', 'R2/2025-01-02T00:00:00Z/P1D', false));
      const fired = await inst.advanceAndFire(10 * 24 * HOUR);
      expect(fired.map((t) => t.dueAt)).toEqual(['2025-01-02T00:00:00.000Z', '2025-01-03T00:00:00.000Z']);
      expect(inst.openTimers()).toEqual([]);
    });
  });

  describe('event sub-process with a timer start event', () => {
    it('interrupting: terminates the main path and the instance completes through the event sub-process', async () => {
      // given an instance working on `work`, with an interrupting PT1H event sub-process
      const inst = await startInstance(eventSubProcessTimer('duration', 'PT1H', true));
      const timer = inst.openTimer('timerStart');
      expect(timer.dueAt).toBe(at(HOUR));
      expect(timer.elementInstanceKey).toBe(inst.processInstanceKey);
      // when the timer fires
      await inst.fireTimer('timerStart');
      // then the main path is terminated and the event sub-process runs
      expect(inst.tasks('work').map((t) => t.state)).toEqual(['CANCELED']);
      expect(inst.count('element.terminated', 'work')).toBe(1);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['handle']);
      // when the event sub-process ends, so does the instance, never through `done`
      await inst.completeTask('handle');
      expect(inst.count('element.completed', 'onTimer')).toBe(1);
      expect(inst.count('element.activated', 'done')).toBe(0);
      expect(inst.status).toBe('COMPLETED');
    });

    it('non-interrupting: runs alongside the main path, once per occurrence', async () => {
      const inst = await startInstance(eventSubProcessTimer('cycle', 'R2/PT1H', false));
      await inst.advanceAndFire(2 * HOUR);
      expect(inst.tasks('work').map((t) => t.state)).toEqual(['CREATED']);
      expect(
        inst
          .openTasks()
          .map((t) => t.elementId)
          .sort(),
      ).toEqual(['handle', 'handle', 'work']);
      expect(inst.count('element.activated', 'onTimer')).toBe(2);
      // the main path completing does not end the instance while an event sub-process runs
      await inst.completeTask('work');
      expect(inst.count('element.completed', 'done')).toBe(1);
      expect(inst.status).toBe('ACTIVE');
      for (const task of inst.openTasks())
        await inst.must({ type: 'task.complete', userTaskKey: task.userTaskKey, variables: {} });
      expect(inst.status).toBe('COMPLETED');
    });

    it('is cancelled when the scope completes before it fires', async () => {
      const inst = await startInstance(eventSubProcessTimer('duration', 'PT1H', true));
      await inst.completeTask('work');
      expect(inst.status).toBe('COMPLETED');
      expect(inst.timers('timerStart').map((t) => t.state)).toEqual(['CANCELED']);
    });
  });

  describe('timer start event of the process', () => {
    /** none start `start` -> `A`; timer start `nightly` (R/P1D) -> `B`. */
    const TWO_STARTS = bpmnProcess('twoStarts', {
      nodes: [
        node.start('start'),
        node.timerStart('nightly', 'cycle', 'R/P1D'),
        node.userTask('A'),
        node.userTask('B'),
        node.end('endA'),
        node.end('endB'),
      ],
      flows: [
        ['f0', 'start', 'A'],
        ['f1', 'nightly', 'B'],
        ['f2', 'A', 'endA'],
        ['f3', 'B', 'endB'],
      ],
    });
    /** Only a timer start `daily` (timeDate) -> `B`. */
    const ONLY_TIMER_START = bpmnProcess('onlyTimerStart', {
      nodes: [node.timerStart('daily', 'date', '2025-02-01T09:00:00Z'), node.userTask('B'), node.end('endB')],
      flows: [
        ['f0', 'daily', 'B'],
        ['f1', 'B', 'endB'],
      ],
    });

    it('is accepted at deploy, next to a none start event or alone', async () => {
      expect((await deploy(TWO_STARTS)).errors).toEqual([]);
      expect((await deploy(ONLY_TIMER_START)).errors).toEqual([]);
    });

    it('does not create a timer inside an instance started at the none start event', async () => {
      const inst = await startInstance(TWO_STARTS);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['A']);
      expect(inst.openTimers()).toEqual([]);
    });

    it('starts an instance there when instance.create names it as startElementId', async () => {
      const inst = await startInstance(TWO_STARTS, {}, { startElementId: 'nightly' });
      expect(inst.count('element.completed', 'nightly')).toBe(1);
      expect(inst.count('element.activated', 'start')).toBe(0);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['B']);
      expect(inst.openTimers()).toEqual([]);
    });

    it('instance.create naming an unknown start event fails with INVALID_ARGUMENT and changes nothing', async () => {
      const process = await deployProcess(TWO_STARTS);
      const { result } = await InstanceDriver.tryStart(process, {}, { startElementId: 'noSuchStart' });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.failure.code).toBe('INVALID_ARGUMENT');
        expect(result.failure.message).toContain('<noSuchStart>');
      }
    });

    // Camunda 8 rejects CreateProcessInstance for a process without a none start event; which
    // answer Lifeflow gives (failure value or incident) is still to be decided: either must say why.
    it('without a none start event: instance.create without startElementId fails or raises an incident that says why', async () => {
      const process = await deployProcess(ONLY_TIMER_START);
      const { driver, result } = await InstanceDriver.tryStart(process);
      if (result.ok) {
        const [incident] = driver.activeIncidents();
        expect(incident).toBeDefined();
        expect(incident.errorMessage).toMatch(/none start event/);
        expect(incident.errorMessage).toContain('<onlyTimerStart>');
        expect(driver.openTasks()).toEqual([]);
      } else {
        expect(result.failure.message).toMatch(/none start event/);
        expect(result.failure.message).toContain('<onlyTimerStart>');
      }
    });

    it('in an embedded sub-process is rejected at deploy, naming the sub-process', async () => {
      const xml = bpmnProcess('timerStartInSub', {
        nodes: [
          node.start('start'),
          node.subProcess('sub', {
            nodes: [node.timerStart('subTimer', 'duration', 'PT1M'), node.end('subEnd')],
            flows: [['s0', 'subTimer', 'subEnd']],
          }),
          node.end('end'),
        ],
        flows: [
          ['f0', 'start', 'sub'],
          ['f1', 'sub', 'end'],
        ],
      });
      const result = await deploy(xml);
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'sub')).toBe(true);
    });
  });

  describe('deploying timers', () => {
    it.each([
      ['duration', '10 minutes'],
      ['date', 'next monday'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a JUEL expression, on purpose
      ['duration', '${delay}'],
    ] as Array<
      [TimerKind, string]
    >)('rejects the static %s %j, naming the event', async (kind, expression) => {
      const result = await deploy(timerCatch(kind, expression));
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'wait')).toBe(true);
    });

    it('rejects a static time cycle that is neither a repeating interval nor a cron expression, naming the event', async () => {
      const result = await deploy(timerCatch('cycle', 'every day'));
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'wait')).toBe(true);
    });

    it('rejects a timer with an invalid FEEL expression, naming the event', async () => {
      const result = await deploy(timerCatch('duration', '=duration("PT1H"'));
      expect(namesElement(result, 'wait')).toBe(true);
    });

    it('rejects an anonymous message boundary event (no message name), naming it', async () => {
      const xml = boundaryTimer('duration', 'PT1H').replace(
        /<bpmn:timerEventDefinition>.*?<\/bpmn:timerEventDefinition>/,
        '<bpmn:messageEventDefinition />',
      );
      const result = await deploy(xml);
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'sla')).toBe(true);
    });
  });
});

// ---- messages and signals -------------------------------------------------------------------------

/** The bpmn:message most models below wait for: `order-paid`, correlated by the variable orderId. */
const PAID = messageElement('m_paid', 'order-paid', '=orderId');

/** start -> message catch `wait` (order-paid by orderId) -> user task `after` -> end. */
const messageCatch = (catchExt = '', message = PAID) =>
  bpmnProcess(
    'messageCatch',
    {
      nodes: [
        node.start('start'),
        { ...node.messageCatch('wait', 'm_paid'), ext: catchExt || undefined },
        node.userTask('after'),
        node.end('end'),
      ],
      flows: [
        ['f0', 'start', 'wait'],
        ['f1', 'wait', 'after'],
        ['f2', 'after', 'end'],
      ],
    },
    [message],
  );

/**
 * start -> user task `review` -> `done`; message boundary `cancelled` (order-cancelled by orderId,
 * interrupting or not) on review -> `aborted`.
 */
const messageBoundary = (interrupting: boolean) =>
  bpmnProcess(
    'messageBoundary',
    {
      nodes: [
        node.start('start'),
        node.userTask('review'),
        node.messageBoundary('cancelled', 'review', 'm_cancel', { interrupting }),
        node.end('done'),
        node.end('aborted'),
      ],
      flows: [
        ['f0', 'start', 'review'],
        ['f1', 'review', 'done'],
        ['b1', 'cancelled', 'aborted'],
      ],
    },
    [messageElement('m_cancel', 'order-cancelled', '=orderId')],
  );

/** start -> event-based gateway `gw` -> message catch `paid` -> `ok` | PT1H timer catch `timeout` -> `late`. */
const EVENT_BASED = bpmnProcess(
  'eventBased',
  {
    nodes: [
      node.start('start'),
      node.eventBased('gw'),
      node.messageCatch('paid', 'm_paid'),
      node.timerCatch('timeout', 'duration', 'PT1H'),
      node.end('ok'),
      node.end('late'),
    ],
    flows: [
      ['f0', 'start', 'gw'],
      ['g1', 'gw', 'paid'],
      ['g2', 'gw', 'timeout'],
      ['f1', 'paid', 'ok'],
      ['f2', 'timeout', 'late'],
    ],
  },
  [PAID],
);

/**
 * start -> user task `work` -> `done`; event sub-process `onCancel` whose message start `cancelStart`
 * (order-cancelled by orderId, interrupting or not) leads to user task `handle` -> `handled`.
 */
const messageEventSubProcess = (
  interrupting: boolean,
  message = messageElement('m_cancel', 'order-cancelled', '=orderId'),
) =>
  bpmnProcess(
    'espMessage',
    {
      nodes: [
        node.start('start'),
        node.userTask('work'),
        node.end('done'),
        node.eventSubProcess('onCancel', {
          nodes: [
            node.messageStart('cancelStart', 'm_cancel', { interrupting }),
            node.userTask('handle'),
            node.end('handled'),
          ],
          flows: [
            ['e1', 'cancelStart', 'handle'],
            ['e2', 'handle', 'handled'],
          ],
        }),
      ],
      flows: [
        ['f0', 'start', 'work'],
        ['f1', 'work', 'done'],
      ],
    },
    [message],
  );

describe('messages', () => {
  describe('intermediate message catch event', () => {
    it('opens a subscription for its message name and the correlation key evaluated at activation', async () => {
      // given an instance for order A-1 reaching the catch event
      const inst = await startInstance(messageCatch(), { orderId: 'A-1' });
      // then it waits with one open MESSAGE subscription owned by the catch event
      expect(inst.activeElementIds()).toEqual(['wait']);
      expect(inst.openSubscription('wait')).toMatchObject({
        kind: 'MESSAGE',
        name: 'order-paid',
        correlationKey: 'A-1',
        elementId: 'wait',
        elementInstanceKey: inst.elementInstanceKey('wait'),
        processInstanceKey: inst.processInstanceKey,
        interrupting: true,
        state: 'ACTIVE',
      });
      expect(inst.eventsOfType('subscription.opened')).toHaveLength(1);
    });

    it('is triggered by a message with its name and correlation key, and by no other', async () => {
      const inst = await startInstance(messageCatch(), { orderId: 'A-1' });
      // when a message for another order, or with another name, arrives, nobody is waiting for it
      expect(await inst.tryCorrelate('order-paid', 'B-2')).toBeUndefined();
      expect(await inst.tryCorrelate('order-shipped', 'A-1')).toBeUndefined();
      expect(inst.activeElementIds()).toEqual(['wait']);
      // when the matching message arrives, the catch event completes and its subscription closes
      const events = await inst.correlate('order-paid', 'A-1');
      expect(events.map((e) => e.type)).toContain('subscription.closed');
      expect(inst.subscriptions('wait').map((s) => s.state)).toEqual(['CLOSED']);
      expect(inst.count('element.completed', 'wait')).toBe(1);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['after']);
      expect(inst.takenFlows()).toEqual(['f0', 'f1']);
    });

    it('takes a number as correlation key as its text', async () => {
      const inst = await startInstance(messageCatch(), { orderId: 42 });
      expect(inst.openSubscription('wait').correlationKey).toBe('42');
    });

    it('takes its message name from FEEL', async () => {
      const xml = messageCatch('', messageElement('m_paid', '="order-" + step', '=orderId'));
      const inst = await startInstance(xml, { orderId: 'A-1', step: 'paid' });
      expect(inst.openSubscription('wait').name).toBe('order-paid');
    });

    it('creates an EXTRACT_VALUE_ERROR incident naming the event when the correlation key is missing', async () => {
      const inst = await startInstance(messageCatch(), {});
      const [incident] = inst.activeIncidents();
      expect(incident).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR' });
      expect(incident.errorMessage).toContain('<wait>');
      expect(inst.openSubscriptions()).toEqual([]);
    });

    it('propagates the variables of the correlated message to the root scope', async () => {
      const inst = await startInstance(messageCatch(), { orderId: 'A-1' });
      await inst.correlate('order-paid', 'A-1', { amount: 120, payer: { name: 'Li' } });
      expect(inst.variables()).toEqual({ orderId: 'A-1', amount: 120, payer: { name: 'Li' } });
    });

    it('with output mappings, only the mapped message variables reach the root scope', async () => {
      const inst = await startInstance(messageCatch(ioMapping([], [['=amount * 2', 'doubled']])), {
        orderId: 'A-1',
      });
      await inst.correlate('order-paid', 'A-1', { amount: 120 });
      expect(inst.variables()).toEqual({ orderId: 'A-1', doubled: 240 });
    });

    it('refuses to trigger a closed subscription with INVALID_STATE, and an unknown one with NOT_FOUND, changing nothing', async () => {
      const inst = await startInstance(messageCatch(), { orderId: 'A-1' });
      const { subscriptionKey } = inst.openSubscription('wait');
      await inst.correlate('order-paid', 'A-1');
      const again = await inst.send({ type: 'subscription.trigger', subscriptionKey, variables: {} });
      expect(again).toMatchObject({ ok: false, stateUnchanged: true, failure: { code: 'INVALID_STATE' } });
      const unknown = await inst.send({ type: 'subscription.trigger', subscriptionKey: '1', variables: {} });
      expect(unknown).toMatchObject({ ok: false, stateUnchanged: true, failure: { code: 'NOT_FOUND' } });
      expect(inst.count('element.completed', 'wait')).toBe(1);
    });

    it('closes its subscription when the instance is cancelled', async () => {
      const inst = await startInstance(messageCatch(), { orderId: 'A-1' });
      await inst.cancel();
      expect(inst.subscriptions().map((s) => s.state)).toEqual(['CLOSED']);
    });
  });

  describe('message boundary event', () => {
    it('interrupting: terminates the user task (task CANCELED) and takes the boundary path', async () => {
      // given order A-1 under review, with an interrupting order-cancelled boundary event
      const inst = await startInstance(messageBoundary(true), { orderId: 'A-1' });
      const sub = inst.openSubscription('cancelled');
      expect(sub).toMatchObject({ name: 'order-cancelled', correlationKey: 'A-1', interrupting: true });
      expect(sub.elementInstanceKey).toBe(inst.elementInstanceKey('review'));
      // when the cancellation message arrives
      await inst.correlate('order-cancelled', 'A-1', { reason: 'customer' });
      // then the review is terminated and the instance ends through `aborted`
      expect(inst.tasks('review').map((t) => t.state)).toEqual(['CANCELED']);
      expect(inst.count('element.terminated', 'review')).toBe(1);
      expect(inst.count('element.completed', 'aborted')).toBe(1);
      expect(inst.count('element.activated', 'done')).toBe(0);
      expect(inst.subscriptions().map((s) => s.state)).toEqual(['CLOSED']);
      expect(inst.variables().reason).toBe('customer');
      expect(inst.status).toBe('COMPLETED');
    });

    it('interrupting: is closed when the task completes first, and no message reaches it afterwards', async () => {
      const inst = await startInstance(messageBoundary(true), { orderId: 'A-1' });
      await inst.completeTask('review');
      expect(inst.subscriptions('cancelled').map((s) => s.state)).toEqual(['CLOSED']);
      expect(inst.status).toBe('COMPLETED');
      expect(await inst.tryCorrelate('order-cancelled', 'A-1')).toBeUndefined();
    });

    it('non-interrupting: triggers once per message while the user task stays open', async () => {
      // given order A-1 under review, with a non-interrupting boundary event
      const inst = await startInstance(messageBoundary(false), { orderId: 'A-1' });
      const { subscriptionKey } = inst.openSubscription('cancelled');
      expect(inst.openSubscription('cancelled').interrupting).toBe(false);
      // when the message arrives twice
      await inst.correlate('order-cancelled', 'A-1');
      await inst.correlate('order-cancelled', 'A-1');
      // then the boundary path ran twice, the task is still open, the subscription still waits
      expect(inst.count('element.completed', 'cancelled')).toBe(2);
      expect(inst.count('element.completed', 'aborted')).toBe(2);
      expect(inst.tasks('review').map((t) => t.state)).toEqual(['CREATED']);
      expect(inst.openSubscription('cancelled').subscriptionKey).toBe(subscriptionKey);
      expect(inst.status).toBe('ACTIVE');
      // when the task completes, the subscription closes with it
      await inst.completeTask('review');
      expect(inst.subscriptions('cancelled').map((s) => s.state)).toEqual(['CLOSED']);
      expect(inst.status).toBe('COMPLETED');
    });
  });

  describe('receive task', () => {
    /** start -> receive task `awaitPayment` (order-paid by orderId) -> end. */
    const RECEIVE = bpmnProcess(
      'receive',
      {
        nodes: [node.start('start'), node.receiveTask('awaitPayment', 'm_paid'), node.end('end')],
        flows: [
          ['f0', 'start', 'awaitPayment'],
          ['f1', 'awaitPayment', 'end'],
        ],
      },
      [PAID],
    );

    it('waits for its message and completes with its variables', async () => {
      const inst = await startInstance(RECEIVE, { orderId: 'A-1' });
      expect(inst.activeElementIds()).toEqual(['awaitPayment']);
      expect(inst.openSubscription('awaitPayment')).toMatchObject({
        kind: 'MESSAGE',
        name: 'order-paid',
        correlationKey: 'A-1',
        elementInstanceKey: inst.elementInstanceKey('awaitPayment'),
      });
      expect(await inst.tryCorrelate('order-paid', 'B-2')).toBeUndefined();
      await inst.correlate('order-paid', 'A-1', { amount: 120 });
      expect(inst.status).toBe('COMPLETED');
      expect(inst.completedElements()).toEqual(['start', 'awaitPayment', 'end', 'receive']);
      expect(inst.variables().amount).toBe(120);
    });

    it('is rejected at deploy without a correlation key, naming the task', async () => {
      const xml = RECEIVE.replace(PAID, messageElement('m_paid', 'order-paid'));
      const result = await deploy(xml);
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'awaitPayment')).toBe(true);
    });
  });

  describe('event-based gateway', () => {
    it('opens every event after it, owned by the gateway, and completes only when one occurs', async () => {
      const inst = await startInstance(EVENT_BASED, { orderId: 'A-1' });
      const gatewayKey = inst.elementInstanceKey('gw');
      expect(inst.activeElementIds()).toEqual(['gw']);
      expect(inst.openSubscription('paid')).toMatchObject({
        elementInstanceKey: gatewayKey,
        correlationKey: 'A-1',
      });
      expect(inst.openTimer('timeout')).toMatchObject({ elementInstanceKey: gatewayKey, dueAt: at(HOUR) });
      expect(inst.count('element.completed', 'gw')).toBe(0);
      expect(inst.count('element.activated', 'paid')).toBe(0);
    });

    it('when the message wins, the timer is cancelled (job CANCELED) and the message path is taken', async () => {
      const inst = await startInstance(EVENT_BASED, { orderId: 'A-1' });
      await inst.correlate('order-paid', 'A-1', { amount: 120 });
      expect(inst.timers('timeout').map((t) => t.state)).toEqual(['CANCELED']);
      expect(inst.count('element.activated', 'timeout')).toBe(0);
      expect(inst.completedElements()).toEqual(['start', 'gw', 'paid', 'ok', 'eventBased']);
      expect(inst.takenFlows()).toEqual(['f0', 'g1', 'f1']);
      expect(inst.variables().amount).toBe(120);
      expect(inst.status).toBe('COMPLETED');
    });

    it('when the timer wins, the message subscription is CLOSED and the timer path is taken', async () => {
      const inst = await startInstance(EVENT_BASED, { orderId: 'A-1' });
      await inst.fireTimer('timeout');
      expect(inst.subscriptions('paid').map((s) => s.state)).toEqual(['CLOSED']);
      expect(inst.count('element.activated', 'paid')).toBe(0);
      expect(inst.completedElements()).toEqual(['start', 'gw', 'timeout', 'late', 'eventBased']);
      expect(inst.takenFlows()).toEqual(['f0', 'g2', 'f2']);
      expect(await inst.tryCorrelate('order-paid', 'A-1')).toBeUndefined();
      expect(inst.status).toBe('COMPLETED');
    });

    it('is rejected at deploy when a flow leads to anything but a catch event or a receive task, naming the gateway', async () => {
      const xml = EVENT_BASED.replace(
        '<bpmn:intermediateCatchEvent id="timeout"',
        '<bpmn:userTask id="timeout"',
      ).replace(/(<bpmn:userTask id="timeout".*?)<\/bpmn:intermediateCatchEvent>/s, '$1</bpmn:userTask>');
      const result = await deploy(xml);
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'gw')).toBe(true);
    });
  });

  describe('event sub-process with a message start event', () => {
    it('interrupting: terminates the main path and runs the event sub-process', async () => {
      const inst = await startInstance(messageEventSubProcess(true), { orderId: 'A-1' });
      expect(inst.openSubscription('cancelStart')).toMatchObject({
        name: 'order-cancelled',
        correlationKey: 'A-1',
        elementInstanceKey: inst.processInstanceKey,
        interrupting: true,
      });
      await inst.correlate('order-cancelled', 'A-1');
      expect(inst.tasks('work').map((t) => t.state)).toEqual(['CANCELED']);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['handle']);
      expect(inst.subscriptions('cancelStart').map((s) => s.state)).toEqual(['CLOSED']);
      await inst.completeTask('handle');
      expect(inst.count('element.completed', 'onCancel')).toBe(1);
      expect(inst.count('element.activated', 'done')).toBe(0);
      expect(inst.status).toBe('COMPLETED');
    });

    it('non-interrupting: runs alongside the main path once per message, and stays open', async () => {
      const inst = await startInstance(messageEventSubProcess(false), { orderId: 'A-1' });
      expect(inst.openSubscription('cancelStart').interrupting).toBe(false);
      await inst.correlate('order-cancelled', 'A-1');
      await inst.correlate('order-cancelled', 'A-1');
      expect(inst.tasks('work').map((t) => t.state)).toEqual(['CREATED']);
      expect(
        inst
          .openTasks()
          .map((t) => t.elementId)
          .sort(),
      ).toEqual(['handle', 'handle', 'work']);
      expect(inst.count('element.activated', 'onCancel')).toBe(2);
      expect(inst.openSubscriptions().map((s) => s.elementId)).toEqual(['cancelStart']);
      for (const task of inst.openTasks())
        await inst.must({ type: 'task.complete', userTaskKey: task.userTaskKey, variables: {} });
      expect(inst.status).toBe('COMPLETED');
      expect(inst.subscriptions('cancelStart').map((s) => s.state)).toEqual(['CLOSED']);
    });

    it('is closed when the scope completes before a message arrives', async () => {
      const inst = await startInstance(messageEventSubProcess(true), { orderId: 'A-1' });
      await inst.completeTask('work');
      expect(inst.status).toBe('COMPLETED');
      expect(inst.subscriptions('cancelStart').map((s) => s.state)).toEqual(['CLOSED']);
    });
  });

  describe('message throw and end events', () => {
    /** start -> message throw `notify` (job send-notice) -> message end `receipt` (job send-receipt). */
    const THROWS = bpmnProcess(
      'messageThrows',
      {
        nodes: [
          node.start('start'),
          node.messageThrow('notify', 'm_notice', 'send-notice'),
          node.messageEnd('receipt', 'm_receipt', 'send-receipt'),
        ],
        flows: [
          ['f0', 'start', 'notify'],
          ['f1', 'notify', 'receipt'],
        ],
      },
      [messageElement('m_notice', 'notice'), messageElement('m_receipt', 'receipt')],
    );

    it('are sent by jobs: each waits for its job, and the end event completes the instance on job completion', async () => {
      const inst = await startInstance(THROWS);
      expect(inst.openJob('notify')).toMatchObject({
        type: 'send-notice',
        kind: 'BPMN_ELEMENT',
        state: 'CREATED',
      });
      await inst.completeJob('notify');
      expect(inst.openJob('receipt')).toMatchObject({ type: 'send-receipt', kind: 'BPMN_ELEMENT' });
      expect(inst.status).toBe('ACTIVE');
      await inst.completeJob('receipt', { sentAt: '2025-01-01' });
      expect(inst.status).toBe('COMPLETED');
      expect(inst.completedElements()).toEqual(['start', 'notify', 'receipt', 'messageThrows']);
      expect(inst.variables().sentAt).toBe('2025-01-01');
    });

    it('are rejected at deploy without a zeebe:taskDefinition, naming each', async () => {
      const result = await deploy(THROWS.replace(/<zeebe:taskDefinition type="[^"]*" \/>/g, ''));
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'notify')).toBe(true);
      expect(namesElement(result, 'receipt')).toBe(true);
    });
  });

  describe('deploying messages', () => {
    const noKey = messageElement('m_paid', 'order-paid');

    it('rejects a message catch event whose message has no correlation key, naming the event', async () => {
      const result = await deploy(messageCatch('', noKey));
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'wait')).toBe(true);
      expect(result.errors.find((e) => e.elementId === 'wait')?.message).toMatch(/correlation ?key/i);
    });

    it('rejects a message boundary event whose message has no correlation key, naming it', async () => {
      const xml = messageBoundary(true).replace(
        messageElement('m_cancel', 'order-cancelled', '=orderId'),
        messageElement('m_cancel', 'order-cancelled'),
      );
      const result = await deploy(xml);
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'cancelled')).toBe(true);
    });

    // Camunda 8 needs a correlation key on the message start event of an event sub-process (it is
    // a subscription of the instance, like a catch event); only process-level message starts have none.
    it('rejects a message start event of an event sub-process whose message has no correlation key, naming it', async () => {
      const result = await deploy(
        messageEventSubProcess(true, messageElement('m_cancel', 'order-cancelled')),
      );
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'cancelStart')).toBe(true);
    });

    it('accepts a process-level message start event without a correlation key, next to a none start event', async () => {
      const xml = bpmnProcess(
        'messageStart',
        {
          nodes: [
            node.start('start'),
            node.messageStart('byMessage', 'm_open'),
            node.userTask('A'),
            node.end('end'),
          ],
          flows: [
            ['f0', 'start', 'A'],
            ['f1', 'byMessage', 'A'],
            ['f2', 'A', 'end'],
          ],
        },
        [messageElement('m_open', 'open-case')],
      );
      expect((await deploy(xml)).errors).toEqual([]);
      const inst = await startInstance(xml, {}, { startElementId: 'byMessage' });
      expect(inst.count('element.completed', 'byMessage')).toBe(1);
      expect(inst.count('element.activated', 'start')).toBe(0);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['A']);
      expect(inst.subscriptions()).toEqual([]);
    });
  });
});

/** The signal most models below use: `project-suspended`. */
const SUSPENDED = signalElement('s_suspended', 'project-suspended');

describe('signals', () => {
  it('an intermediate signal catch waits for a broadcast of its name and takes its variables', async () => {
    const xml = bpmnProcess(
      'signalCatch',
      {
        nodes: [
          node.start('start'),
          node.signalCatch('wait', 's_suspended'),
          node.userTask('after'),
          node.end('end'),
        ],
        flows: [
          ['f0', 'start', 'wait'],
          ['f1', 'wait', 'after'],
          ['f2', 'after', 'end'],
        ],
      },
      [SUSPENDED],
    );
    const inst = await startInstance(xml);
    expect(inst.openSubscription('wait')).toMatchObject({
      kind: 'SIGNAL',
      name: 'project-suspended',
      correlationKey: null,
      elementInstanceKey: inst.elementInstanceKey('wait'),
    });
    expect(await inst.signal('project-resumed')).toEqual([]);
    expect((await inst.signal('project-suspended', { since: '2025-01-02' })).map((s) => s.elementId)).toEqual(
      ['wait'],
    );
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['after']);
    expect(inst.variables()).toEqual({ since: '2025-01-02' });
    expect(inst.subscriptions().map((s) => s.state)).toEqual(['CLOSED']);
  });

  /** start -> user task `work` -> `done`; signal boundary `suspended` on work -> `stopped`. */
  const signalBoundary = (interrupting: boolean) =>
    bpmnProcess(
      'signalBoundary',
      {
        nodes: [
          node.start('start'),
          node.userTask('work'),
          node.signalBoundary('suspended', 'work', 's_suspended', { interrupting }),
          node.end('done'),
          node.end('stopped'),
        ],
        flows: [
          ['f0', 'start', 'work'],
          ['f1', 'work', 'done'],
          ['b1', 'suspended', 'stopped'],
        ],
      },
      [SUSPENDED],
    );

  it('an interrupting signal boundary event terminates the user task and takes the boundary path', async () => {
    const inst = await startInstance(signalBoundary(true));
    expect(inst.openSubscription('suspended').elementInstanceKey).toBe(inst.elementInstanceKey('work'));
    await inst.signal('project-suspended');
    expect(inst.tasks('work').map((t) => t.state)).toEqual(['CANCELED']);
    expect(inst.count('element.completed', 'stopped')).toBe(1);
    expect(inst.count('element.activated', 'done')).toBe(0);
    expect(inst.status).toBe('COMPLETED');
  });

  it('a non-interrupting signal boundary event fires per broadcast while the task stays open', async () => {
    const inst = await startInstance(signalBoundary(false));
    await inst.signal('project-suspended');
    await inst.signal('project-suspended');
    expect(inst.count('element.completed', 'stopped')).toBe(2);
    expect(inst.tasks('work').map((t) => t.state)).toEqual(['CREATED']);
    expect(inst.openSubscription('suspended').interrupting).toBe(false);
    await inst.completeTask('work');
    expect(inst.subscriptions().map((s) => s.state)).toEqual(['CLOSED']);
    expect(inst.status).toBe('COMPLETED');
  });

  it('an interrupting signal boundary event on a sub-process closes the subscriptions inside it', async () => {
    const xml = bpmnProcess(
      'signalOnSub',
      {
        nodes: [
          node.start('start'),
          node.subProcess('sub', {
            nodes: [node.start('subStart'), node.messageCatch('inner', 'm_paid'), node.end('subEnd')],
            flows: [
              ['s0', 'subStart', 'inner'],
              ['s1', 'inner', 'subEnd'],
            ],
          }),
          node.signalBoundary('suspended', 'sub', 's_suspended'),
          node.end('done'),
          node.end('stopped'),
        ],
        flows: [
          ['f0', 'start', 'sub'],
          ['f1', 'sub', 'done'],
          ['b1', 'suspended', 'stopped'],
        ],
      },
      [PAID, SUSPENDED],
    );
    const inst = await startInstance(xml, { orderId: 'A-1' });
    expect(inst.openSubscriptions().map((s) => s.elementId)).toEqual(['suspended', 'inner']);
    await inst.signal('project-suspended');
    expect(inst.subscriptions().map((s) => [s.elementId, s.state])).toEqual([
      ['suspended', 'CLOSED'],
      ['inner', 'CLOSED'],
    ]);
    expect(inst.count('element.terminated', 'inner')).toBe(1);
    expect(await inst.tryCorrelate('order-paid', 'A-1')).toBeUndefined();
    expect(inst.status).toBe('COMPLETED');
  });

  it('one broadcast reaches every waiting event of that name in the instance', async () => {
    const xml = bpmnProcess(
      'signalFanOut',
      {
        nodes: [
          node.start('start'),
          node.parallel('fork'),
          node.signalCatch('wait', 's_suspended'),
          node.userTask('work'),
          node.signalBoundary('noted', 'work', 's_suspended', { interrupting: false }),
          node.end('e1'),
          node.end('e2'),
          node.end('e3'),
        ],
        flows: [
          ['f0', 'start', 'fork'],
          ['f1', 'fork', 'wait'],
          ['f2', 'fork', 'work'],
          ['f3', 'wait', 'e1'],
          ['f4', 'work', 'e2'],
          ['f5', 'noted', 'e3'],
        ],
      },
      [SUSPENDED],
    );
    const inst = await startInstance(xml);
    const reached = await inst.signal('project-suspended');
    expect(reached.map((s) => s.elementId).sort()).toEqual(['noted', 'wait']);
    expect(inst.count('element.completed', 'e1')).toBe(1);
    expect(inst.count('element.completed', 'e3')).toBe(1);
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['work']);
  });

  it('an event sub-process with a signal start event runs when the signal is broadcast', async () => {
    const xml = bpmnProcess(
      'signalEsp',
      {
        nodes: [
          node.start('start'),
          node.userTask('work'),
          node.end('done'),
          node.eventSubProcess('onSuspend', {
            nodes: [node.signalStart('suspendStart', 's_suspended'), node.end('suspendedEnd')],
            flows: [['e1', 'suspendStart', 'suspendedEnd']],
          }),
        ],
        flows: [
          ['f0', 'start', 'work'],
          ['f1', 'work', 'done'],
        ],
      },
      [SUSPENDED],
    );
    const inst = await startInstance(xml);
    expect(inst.openSubscription('suspendStart').elementInstanceKey).toBe(inst.processInstanceKey);
    await inst.signal('project-suspended');
    expect(inst.tasks('work').map((t) => t.state)).toEqual(['CANCELED']);
    expect(inst.count('element.completed', 'onSuspend')).toBe(1);
    expect(inst.status).toBe('COMPLETED');
  });

  describe('signal throw', () => {
    /**
     * start -> signal throw `announce` (input mappings orderId, version) -> signal end `finished`.
     * The instance also holds a variable `secret` that is not the throw event's.
     */
    const THROW = bpmnProcess(
      'signalThrow',
      {
        nodes: [
          node.start('start'),
          node.signalThrow(
            'announce',
            's_suspended',
            ioMapping([
              ['=orderId', 'orderId'],
              ['="v2"', 'version'],
            ]),
          ),
          node.signalEnd('finished', 's_done'),
        ],
        flows: [
          ['f0', 'start', 'announce'],
          ['f1', 'announce', 'finished'],
        ],
      },
      [SUSPENDED, signalElement('s_done', 'order-finished')],
    );

    it('creates a SIGNAL job named for the signal, carrying the variables of the throw event, and moves on', async () => {
      const inst = await startInstance(THROW, { orderId: 'A-1', secret: 's3' });
      const [announce, finished] = inst.signalJobs();
      expect(announce).toMatchObject({
        kind: 'SIGNAL',
        type: 'project-suspended',
        state: 'CREATED',
        elementId: 'announce',
        processInstanceKey: inst.processInstanceKey,
      });
      expect(JSON.parse(String(announce.customHeaders.variables))).toEqual({ orderId: 'A-1', version: 'v2' });
      expect(finished).toMatchObject({ kind: 'SIGNAL', type: 'order-finished', elementId: 'finished' });
      expect(JSON.parse(String(finished.customHeaders.variables))).toEqual({});
      // a broadcast is not work for a job worker, and the instance does not wait for it
      expect(inst.openJobs()).toEqual([]);
      expect(inst.status).toBe('COMPLETED');
      expect(inst.completedElements()).toEqual(['start', 'announce', 'finished', 'signalThrow']);
    });

    it('is rejected at deploy for an anonymous signal, naming the event', async () => {
      const result = await deploy(
        THROW.replace(
          '<bpmn:signalEventDefinition signalRef="s_suspended" />',
          '<bpmn:signalEventDefinition />',
        ),
      );
      expect(result.processes).toEqual([]);
      expect(namesElement(result, 'announce')).toBe(true);
    });
  });
});

// ---- errors ---------------------------------------------------------------------------------

/** start -> sub[ s0 -> work (job) -> fail (error end `code`) ] -> after; boundaries on `sub` as given. */
function errorFromSubProcess(endErrorRef: string, boundaries: ReturnType<typeof node.errorBoundary>[]) {
  return bpmnProcess(
    'errors',
    {
      nodes: [
        node.start('start'),
        node.subProcess('sub', {
          nodes: [node.start('s0'), node.serviceTask('work'), node.errorEnd('fail', endErrorRef)],
          flows: [
            ['i1', 's0', 'work'],
            ['i2', 'work', 'fail'],
          ],
        }),
        node.end('after'),
        ...boundaries,
        node.userTask('handleSpecific'),
        node.userTask('handleAny'),
      ],
      flows: [
        ['f1', 'start', 'sub'],
        ['f2', 'sub', 'after'],
        ...boundaries.map(
          (b): FlowSpec => [`to_${b.id}`, b.id, b.id === 'catchAll' ? 'handleAny' : 'handleSpecific'],
        ),
      ],
    },
    [errorElement('e_rejected', 'REJECTED'), errorElement('e_other', 'OTHER')],
  );
}

describe('errors', () => {
  it('an error end event in a sub-process is caught by the boundary with its code, not by the catch-all', async () => {
    // given both a catch-all and a REJECTED boundary on the sub-process (catch-all first in the file)
    const inst = await startInstance(
      errorFromSubProcess('e_rejected', [
        node.errorBoundary('catchAll', 'sub'),
        node.errorBoundary('catchRejected', 'sub', 'e_rejected'),
      ]),
    );
    // when the sub-process reaches its error end event
    await inst.completeJob('work');
    // then the specific boundary wins, the sub-process is terminated, never completed
    expect(inst.count('element.completed', 'catchRejected')).toBe(1);
    expect(inst.count('element.activated', 'catchAll')).toBe(0);
    expect(inst.count('element.terminated', 'sub')).toBe(1);
    expect(inst.count('element.completed', 'sub')).toBe(0);
    expect(inst.count('element.activated', 'after')).toBe(0);
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['handleSpecific']);
    expect(inst.activeIncidents()).toEqual([]);
  });

  it('an error whose code no boundary names is caught by the catch-all boundary', async () => {
    const inst = await startInstance(
      errorFromSubProcess('e_other', [
        node.errorBoundary('catchAll', 'sub'),
        node.errorBoundary('catchRejected', 'sub', 'e_rejected'),
      ]),
    );
    await inst.completeJob('work');
    expect(inst.count('element.completed', 'catchAll')).toBe(1);
    expect(inst.count('element.activated', 'catchRejected')).toBe(0);
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['handleAny']);
  });

  it('an uncaught error end event raises UNHANDLED_ERROR_EVENT on the thrower and the instance stays active', async () => {
    const inst = await startInstance(
      errorFromSubProcess('e_other', [node.errorBoundary('catchRejected', 'sub', 'e_rejected')]),
    );
    await inst.completeJob('work');
    const incidents = inst.activeIncidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'fail' });
    expect(incidents[0].errorMessage).toContain('OTHER');
    expect(inst.status).toBe('ACTIVE');
    expect(inst.count('element.activated', 'catchRejected')).toBe(0);
    expect(inst.activeElementIds()).toEqual(['fail', 'sub']);
  });

  it('an error start event of an event sub-process in the sub-process catches before the boundary', async () => {
    // given a sub-process with its own error event sub-process, and an error boundary outside
    const xml = bpmnProcess(
      'errorEsp',
      {
        nodes: [
          node.start('start'),
          node.subProcess('sub', {
            nodes: [
              node.start('s0'),
              node.serviceTask('work'),
              node.errorEnd('fail', 'e_rejected'),
              node.eventSubProcess('onError', {
                nodes: [
                  node.errorStart('errStart', 'e_rejected'),
                  node.userTask('repair'),
                  node.end('repaired'),
                ],
                flows: [
                  ['e1', 'errStart', 'repair'],
                  ['e2', 'repair', 'repaired'],
                ],
              }),
            ],
            flows: [
              ['i1', 's0', 'work'],
              ['i2', 'work', 'fail'],
            ],
          }),
          node.errorBoundary('outer', 'sub', 'e_rejected'),
          node.end('after'),
          node.end('afterOuter'),
        ],
        flows: [
          ['f1', 'start', 'sub'],
          ['f2', 'sub', 'after'],
          ['f3', 'outer', 'afterOuter'],
        ],
      },
      [errorElement('e_rejected', 'REJECTED')],
    );
    const inst = await startInstance(xml);
    await inst.completeJob('work');
    // then the event sub-process handles it inside; the boundary does not fire
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['repair']);
    expect(inst.count('element.activated', 'outer')).toBe(0);
    await inst.completeTask('repair');
    // and the sub-process completes normally, leaving by its outgoing flow
    expect(inst.count('element.completed', 'sub')).toBe(1);
    expect(inst.count('element.completed', 'after')).toBe(1);
    expect(inst.status).toBe('COMPLETED');
  });

  it('an error start event of the process event sub-process interrupts the main path', async () => {
    const xml = bpmnProcess('errorEspProcess', {
      nodes: [
        node.start('start'),
        node.parallel('fork'),
        node.serviceTask('work'),
        node.userTask('other'),
        node.end('end1'),
        node.end('end2'),
        node.eventSubProcess('onError', {
          nodes: [node.errorStart('errStart'), node.end('handled')],
          flows: [['e1', 'errStart', 'handled']],
        }),
      ],
      flows: [
        ['f1', 'start', 'fork'],
        ['f2', 'fork', 'work'],
        ['f3', 'fork', 'other'],
        ['f4', 'work', 'end1'],
        ['f5', 'other', 'end2'],
      ],
    });
    const inst = await startInstance(xml);
    await inst.throwJobError('work', 'ANY');
    expect(inst.tasks('other').map((t) => t.state)).toEqual(['CANCELED']);
    expect(inst.count('element.completed', 'handled')).toBe(1);
    expect(inst.status).toBe('COMPLETED');
  });

  it('an error nobody catches inside the sub-process propagates to the error event sub-process of the process', async () => {
    const xml = errorFromSubProcess('e_rejected', []).replace(
      '<bpmn:endEvent id="after">',
      `<bpmn:subProcess id="onError" triggeredByEvent="true"><bpmn:startEvent id="errStart"><bpmn:outgoing>e1</bpmn:outgoing><bpmn:errorEventDefinition errorRef="e_rejected" /></bpmn:startEvent><bpmn:endEvent id="handled"><bpmn:incoming>e1</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="e1" sourceRef="errStart" targetRef="handled" /></bpmn:subProcess><bpmn:endEvent id="after">`,
    );
    const inst = await startInstance(xml);
    await inst.completeJob('work');
    expect(inst.count('element.terminated', 'sub')).toBe(1);
    expect(inst.count('element.completed', 'handled')).toBe(1);
    expect(inst.count('element.activated', 'after')).toBe(0);
    expect(inst.status).toBe('COMPLETED');
  });

  it('a job error is caught by the boundary with its code and the error variables reach the handler', async () => {
    const xml = bpmnProcess(
      'jobError',
      {
        nodes: [
          node.start('start'),
          node.serviceTask('charge'),
          node.errorBoundary('declined', 'charge', 'e_declined'),
          node.end('paid'),
          node.userTask('callCustomer'),
        ],
        flows: [
          ['f1', 'start', 'charge'],
          ['f2', 'charge', 'paid'],
          ['f3', 'declined', 'callCustomer'],
        ],
      },
      [errorElement('e_declined', 'DECLINED')],
    );
    const inst = await startInstance(xml);
    await inst.throwJobError('charge', 'DECLINED', 'card declined', { reason: 'limit' });
    expect(inst.jobs('charge').map((j) => j.state)).not.toContain('CREATED');
    expect(inst.count('element.terminated', 'charge')).toBe(1);
    expect(inst.count('element.activated', 'paid')).toBe(0);
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['callCustomer']);
    expect(inst.variables()).toMatchObject({ reason: 'limit' });
  });

  it('a job error nobody catches raises UNHANDLED_ERROR_EVENT on the job activity', async () => {
    const inst = await startInstance(
      bpmnProcess('jobErrorUncaught', {
        nodes: [node.start('start'), node.serviceTask('charge'), node.end('paid')],
        flows: [
          ['f1', 'start', 'charge'],
          ['f2', 'charge', 'paid'],
        ],
      }),
    );
    await inst.throwJobError('charge', 'DECLINED', 'card declined');
    expect(inst.activeIncidents()).toEqual([
      expect.objectContaining({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'charge' }),
    ]);
    expect(inst.status).toBe('ACTIVE');
  });

  it('is rejected at deploy for an error end event without an error code, and a non-interrupting error boundary', async () => {
    const xml = errorFromSubProcess('e_nocode', [node.errorBoundary('catchAll', 'sub')])
      .replace('</bpmn:definitions>', `${errorElement('e_nocode')}</bpmn:definitions>`)
      .replace('attachedToRef="sub"', 'attachedToRef="sub" cancelActivity="false"');
    const result = await deploy(xml);
    expect(result.processes).toEqual([]);
    expect(namesElement(result, 'fail')).toBe(true);
    expect(namesElement(result, 'catchAll')).toBe(true);
  });
});

// ---- escalations ----------------------------------------------------------------------------

/** start -> sub[ s0 -> escalate (throw) -> work (user task) -> s1 ] -> after. */
function escalationFromSubProcess(boundaryInterrupting: boolean | null) {
  return bpmnProcess(
    'escalations',
    {
      nodes: [
        node.start('start'),
        node.subProcess('sub', {
          nodes: [
            node.start('s0'),
            node.escalationThrow('escalate', 'x_late'),
            node.userTask('work'),
            node.end('s1'),
          ],
          flows: [
            ['i1', 's0', 'escalate'],
            ['i2', 'escalate', 'work'],
            ['i3', 'work', 's1'],
          ],
        }),
        node.end('after'),
        ...(boundaryInterrupting === null
          ? []
          : [
              node.escalationBoundary('onLate', 'sub', 'x_late', { interrupting: boundaryInterrupting }),
              node.userTask('informBoss'),
            ]),
      ],
      flows: [
        ['f1', 'start', 'sub'],
        ['f2', 'sub', 'after'],
        ...(boundaryInterrupting === null ? [] : ([['f3', 'onLate', 'informBoss']] as FlowSpec[])),
      ],
    },
    [escalationElement('x_late', 'LATE')],
  );
}

describe('escalations', () => {
  it('a non-interrupting escalation boundary starts its path and the sub-process keeps running', async () => {
    const inst = await startInstance(escalationFromSubProcess(false));
    expect(
      inst
        .openTasks()
        .map((t) => t.elementId)
        .sort(),
    ).toEqual(['informBoss', 'work']);
    expect(inst.count('element.completed', 'escalate')).toBe(1);
    expect(inst.count('element.terminated', 'sub')).toBe(0);
    await inst.completeTask('work');
    expect(inst.count('element.completed', 'sub')).toBe(1);
    await inst.completeTask('informBoss');
    expect(inst.status).toBe('COMPLETED');
  });

  it('an escalation end event caught by a non-interrupting boundary: the sub-process still completes', async () => {
    const inst = await startInstance(
      bpmnProcess(
        'escalationEnd',
        {
          nodes: [
            node.start('start'),
            node.subProcess('sub', {
              nodes: [node.start('s0'), node.escalationEnd('escalate', 'x_late')],
              flows: [['i1', 's0', 'escalate']],
            }),
            node.escalationBoundary('onLate', 'sub', 'x_late', { interrupting: false }),
            node.userTask('informBoss'),
            node.end('after'),
          ],
          flows: [
            ['f1', 'start', 'sub'],
            ['f2', 'sub', 'after'],
            ['f3', 'onLate', 'informBoss'],
          ],
        },
        [escalationElement('x_late', 'LATE')],
      ),
    );
    expect(inst.count('element.completed', 'sub')).toBe(1);
    expect(inst.count('element.completed', 'after')).toBe(1);
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['informBoss']);
  });

  it('an interrupting escalation boundary terminates the sub-process', async () => {
    const inst = await startInstance(escalationFromSubProcess(true));
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['informBoss']);
    expect(inst.count('element.terminated', 'sub')).toBe(1);
    expect(inst.count('element.activated', 'work')).toBe(0);
  });

  it('an uncaught escalation changes nothing: the thrower continues, no incident', async () => {
    const inst = await startInstance(escalationFromSubProcess(null));
    expect(inst.count('element.completed', 'escalate')).toBe(1);
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['work']);
    expect(inst.activeIncidents()).toEqual([]);
    await inst.completeTask('work');
    expect(inst.status).toBe('COMPLETED');
  });

  it('a non-interrupting escalation event sub-process runs beside the thrower, which goes on', async () => {
    const xml = bpmnProcess(
      'escalationEsp',
      {
        nodes: [
          node.start('start'),
          node.escalationThrow('escalate', 'x_late'),
          node.userTask('work'),
          node.end('end'),
          node.eventSubProcess('onLate', {
            nodes: [
              node.escalationStart('lateStart', 'x_late', { interrupting: false }),
              node.userTask('informBoss'),
              node.end('informed'),
            ],
            flows: [
              ['e1', 'lateStart', 'informBoss'],
              ['e2', 'informBoss', 'informed'],
            ],
          }),
        ],
        flows: [
          ['f1', 'start', 'escalate'],
          ['f2', 'escalate', 'work'],
          ['f3', 'work', 'end'],
        ],
      },
      [escalationElement('x_late', 'LATE')],
    );
    const inst = await startInstance(xml);
    expect(
      inst
        .openTasks()
        .map((t) => t.elementId)
        .sort(),
    ).toEqual(['informBoss', 'work']);
    await inst.completeTask('informBoss');
    expect(inst.status).toBe('ACTIVE');
    await inst.completeTask('work');
    expect(inst.status).toBe('COMPLETED');
  });
});

// ---- link events ----------------------------------------------------------------------------

describe('link events', () => {
  const LINKED = bpmnProcess('links', {
    nodes: [
      node.start('start'),
      node.task('A'),
      node.linkThrow('goTo', 'PAGE2'),
      node.linkCatch('arrive', 'PAGE2'),
      node.task('B'),
      node.end('end'),
    ],
    flows: [
      ['f1', 'start', 'A'],
      ['f2', 'A', 'goTo'],
      ['f3', 'arrive', 'B'],
      ['f4', 'B', 'end'],
    ],
  });

  it('a link throw continues at the link catch with the same name', async () => {
    const inst = await startInstance(LINKED);
    expect(inst.status).toBe('COMPLETED');
    expect(inst.completedElements()).toEqual(['start', 'A', 'goTo', 'arrive', 'B', 'end', 'links']);
  });

  it('is rejected at deploy when no link catch has the throw name, naming the throw', async () => {
    const result = await deploy(
      LINKED.replace(
        'name="PAGE2" /></bpmn:intermediateCatchEvent',
        'name="PAGE3" /></bpmn:intermediateCatchEvent',
      ),
    );
    expect(result.processes).toEqual([]);
    expect(namesElement(result, 'goTo')).toBe(true);
  });
});

// ---- multi-instance -------------------------------------------------------------------------

/** start -> approve (user task, multi-instance as given) -> end. */
function approvals(mi: Parameters<typeof multiInstance>[1], ext = '') {
  return bpmnProcess('approvals', {
    nodes: [node.start('start'), multiInstance(node.userTask('approve', ext), mi), node.end('end')],
    flows: [
      ['f1', 'start', 'approve'],
      ['f2', 'approve', 'end'],
    ],
  });
}

const openApprovers = (inst: InstanceDriver) =>
  inst.openTasks().map((t) => inst.variables(t.elementInstanceKey).approver);

describe('multi-instance', () => {
  it('parallel (会签): one task per approver at once; the output collection keeps the input order', async () => {
    const inst = await startInstance(
      approvals({
        inputCollection: '=approvers',
        inputElement: 'approver',
        outputCollection: 'votes',
        outputElement: '=vote',
      }),
      { approvers: ['li', 'wang', 'zhang'] },
    );
    expect(openApprovers(inst)).toEqual(['li', 'wang', 'zhang']);
    const body = inst.state.elements.get(
      inst.openTasks()[0].elementInstanceKey ? inst.elementInstanceKey('approve') : '',
    );
    expect(body).toBeDefined();
    const bodies = [...inst.state.elements.values()].filter(
      (e) => e.elementType === 'bpmn:MultiInstanceBody',
    );
    expect(bodies.map((b) => b.elementId)).toEqual(['approve']);
    // complete in reverse order
    const byApprover = (name: string) =>
      inst.openTasks().find((t) => inst.variables(t.elementInstanceKey).approver === name)!;
    for (const [name, vote] of [
      ['zhang', 'no'],
      ['li', 'yes'],
      ['wang', 'yes'],
    ] as const) {
      await inst.must({
        type: 'task.complete',
        userTaskKey: byApprover(name).userTaskKey,
        variables: { vote },
      });
    }
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables().votes).toEqual(['yes', 'yes', 'no']);
    expect(inst.count('element.completed', 'approve')).toBe(4); // 3 instances + the body
  });

  it('parallel with completionCondition (或签): the first approval completes it and cancels the others', async () => {
    const inst = await startInstance(
      approvals({
        inputCollection: '=approvers',
        inputElement: 'approver',
        completionCondition: '=numberOfCompletedInstances >= 1',
      }),
      { approvers: ['li', 'wang', 'zhang'] },
    );
    const wang = inst.openTasks().find((t) => inst.variables(t.elementInstanceKey).approver === 'wang')!;
    await inst.must({ type: 'task.complete', userTaskKey: wang.userTaskKey, variables: {} });
    expect(
      inst
        .tasks('approve')
        .map((t) => t.state)
        .sort(),
    ).toEqual(['CANCELED', 'CANCELED', 'COMPLETED']);
    expect(inst.count('element.terminated', 'approve')).toBe(2);
    expect(inst.status).toBe('COMPLETED');
  });

  it('sees numberOfInstances and numberOfCompletedInstances in the completionCondition (majority)', async () => {
    // completes once a majority (2 of 3) is done
    const inst = await startInstance(
      approvals({
        inputCollection: '=approvers',
        inputElement: 'approver',
        completionCondition: '=numberOfCompletedInstances > numberOfInstances / 2',
      }),
      { approvers: ['li', 'wang', 'zhang'] },
    );
    await inst.must({ type: 'task.complete', userTaskKey: inst.openTasks()[0].userTaskKey, variables: {} });
    expect(inst.status).toBe('ACTIVE');
    expect(inst.openTasks()).toHaveLength(2);
    await inst.must({ type: 'task.complete', userTaskKey: inst.openTasks()[0].userTaskKey, variables: {} });
    expect(inst.status).toBe('COMPLETED');
    expect(inst.count('element.terminated', 'approve')).toBe(1);
  });

  it('sequential (依次审批): one task at a time, in collection order, with loopCounter 1..n', async () => {
    const inst = await startInstance(
      approvals({ sequential: true, inputCollection: '=approvers', inputElement: 'approver' }),
      { approvers: ['li', 'wang', 'zhang'] },
    );
    const seen: Array<[unknown, unknown]> = [];
    for (let i = 0; i < 3; i++) {
      const open = inst.openTasks();
      expect(open).toHaveLength(1);
      const vars = inst.variables(open[0].elementInstanceKey);
      seen.push([vars.approver, vars.loopCounter]);
      await inst.completeTask('approve');
    }
    expect(seen).toEqual([
      ['li', 1],
      ['wang', 2],
      ['zhang', 3],
    ]);
    expect(inst.status).toBe('COMPLETED');
  });

  it('sequential with a completionCondition on loopCounter stops after that instance, creating no more', async () => {
    const inst = await startInstance(
      approvals({
        sequential: true,
        inputCollection: '=approvers',
        inputElement: 'approver',
        completionCondition: '=loopCounter = 2',
      }),
      { approvers: ['li', 'wang', 'zhang'] },
    );
    await inst.completeTask('approve');
    await inst.completeTask('approve');
    expect(inst.status).toBe('COMPLETED');
    expect(inst.tasks('approve')).toHaveLength(2);
  });

  it('an empty input collection completes the activity at once with an empty output collection', async () => {
    const inst = await startInstance(
      approvals({
        inputCollection: '=approvers',
        inputElement: 'approver',
        outputCollection: 'votes',
        outputElement: '=vote',
      }),
      { approvers: [] },
    );
    expect(inst.openTasks()).toEqual([]);
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables().votes).toEqual([]);
  });

  it('loopCardinality creates that many instances', async () => {
    const inst = await startInstance(approvals({ loopCardinality: '=n' }), { n: 3 });
    expect(inst.openTasks()).toHaveLength(3);
    expect(inst.openTasks().map((t) => inst.variables(t.elementInstanceKey).loopCounter)).toEqual([1, 2, 3]);
  });

  it('a non-list input collection raises an incident naming the activity', async () => {
    const inst = await startInstance(approvals({ inputCollection: '=approvers', inputElement: 'approver' }), {
      approvers: 'li',
    });
    expect(inst.activeIncidents()).toEqual([expect.objectContaining({ errorType: 'EXTRACT_VALUE_ERROR' })]);
    expect(inst.activeIncidents()[0].errorMessage).toContain('<approve>');
  });

  it('a multi-instance sub-process runs its whole scope once per element', async () => {
    const xml = bpmnProcess('miSub', {
      nodes: [
        node.start('start'),
        multiInstance(
          node.subProcess('review', {
            nodes: [node.start('s0'), node.userTask('check'), node.end('s1')],
            flows: [
              ['i1', 's0', 'check'],
              ['i2', 'check', 's1'],
            ],
          }),
          {
            inputCollection: '=docs',
            inputElement: 'doc',
            outputCollection: 'results',
            outputElement: '=ok',
          },
        ),
        node.end('end'),
      ],
      flows: [
        ['f1', 'start', 'review'],
        ['f2', 'review', 'end'],
      ],
    });
    const inst = await startInstance(xml, { docs: ['a', 'b'] });
    expect(inst.openTasks().map((t) => t.elementId)).toEqual(['check', 'check']);
    for (const t of inst.openTasks())
      await inst.must({ type: 'task.complete', userTaskKey: t.userTaskKey, variables: { ok: true } });
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables().results).toEqual([true, true]);
    expect(inst.count('element.completed', 'check')).toBe(2);
  });

  it('a boundary event on a multi-instance activity belongs to the body: it terminates every instance', async () => {
    const xml = bpmnProcess('miBoundary', {
      nodes: [
        node.start('start'),
        multiInstance(node.userTask('approve'), { loopCardinality: '3' }),
        node.timerBoundary('tooLate', 'approve', 'duration', 'PT1H'),
        node.end('end'),
        node.end('late'),
      ],
      flows: [
        ['f1', 'start', 'approve'],
        ['f2', 'approve', 'end'],
        ['f3', 'tooLate', 'late'],
      ],
    });
    const inst = await startInstance(xml);
    expect(inst.openTimers('tooLate')).toHaveLength(1);
    await inst.fireTimer('tooLate');
    expect(inst.tasks('approve').map((t) => t.state)).toEqual(['CANCELED', 'CANCELED', 'CANCELED']);
    expect(inst.status).toBe('COMPLETED');
    expect(inst.count('element.completed', 'late')).toBe(1);
  });

  it('is rejected at deploy for a standard loop, naming the activity', async () => {
    const xml = bpmnProcess('loop', {
      nodes: [
        node.start('start'),
        { ...node.task('again'), body: '<bpmn:standardLoopCharacteristics />' },
        node.end('end'),
      ],
      flows: [
        ['f1', 'start', 'again'],
        ['f2', 'again', 'end'],
      ],
    });
    const result = await deploy(xml);
    expect(result.processes).toEqual([]);
    expect(result.errors.find((e) => e.elementId === 'again')?.message).toMatch(
      /standard loops are not supported/,
    );
  });
});

// ---- call activities (engine level: the runtime creates the child) -------------------------

describe('call activity', () => {
  const CALLER = bpmnProcess('caller', {
    nodes: [
      node.start('start'),
      node.callActivity('callChild', 'child'),
      node.timerBoundary('tooLong', 'callChild', 'duration', 'PT1H'),
      node.end('end'),
      node.end('late'),
    ],
    flows: [
      ['f1', 'start', 'callChild'],
      ['f2', 'callChild', 'end'],
      ['f3', 'tooLong', 'late'],
    ],
  });

  it('requests the child with the caller variables and waits', async () => {
    const inst = await startInstance(CALLER, { orderId: 'A-1' });
    expect(inst.activeElementIds()).toEqual(['callChild']);
    expect(inst.eventsOfType('call.requested')).toEqual([
      expect.objectContaining({
        elementInstanceKey: inst.elementInstanceKey('callChild'),
        processId: 'child',
        bindingType: 'latest',
        versionTag: null,
        variables: { orderId: 'A-1' },
      }),
    ]);
  });

  it('completes with the child variables when the child completes', async () => {
    const inst = await startInstance(CALLER, { orderId: 'A-1' });
    await inst.completeCall('callChild', { approved: true });
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables()).toEqual({ orderId: 'A-1', approved: true });
    expect(inst.timers('tooLong').map((t) => t.state)).toEqual(['CANCELED']);
  });

  it('a failed child creation raises CALLED_ELEMENT_ERROR on the call activity', async () => {
    const inst = await startInstance(CALLER);
    await inst.failCall('callChild', 'expected process <child> to be deployed');
    expect(inst.activeIncidents()).toEqual([
      expect.objectContaining({ errorType: 'CALLED_ELEMENT_ERROR', elementId: 'callChild' }),
    ]);
    expect(inst.activeElementIds()).toEqual(['callChild']);
  });

  it('terminating the call activity (a boundary fires) emits call.terminated for its child', async () => {
    const inst = await startInstance(CALLER);
    const key = inst.elementInstanceKey('callChild');
    await inst.fireTimer('tooLong');
    expect(inst.eventsOfType('call.terminated')).toEqual([
      expect.objectContaining({ elementInstanceKey: key }),
    ]);
    expect(inst.status).toBe('COMPLETED');
  });

  it('cancelling the instance emits call.terminated', async () => {
    const inst = await startInstance(CALLER);
    await inst.cancel();
    expect(inst.eventsOfType('call.terminated')).toHaveLength(1);
  });

  it('a parallel multi-instance call activity requests one child per element', async () => {
    const xml = bpmnProcess('miCaller', {
      nodes: [
        node.start('start'),
        multiInstance(node.callActivity('callChild', 'child'), {
          inputCollection: '=items',
          inputElement: 'item',
          outputCollection: 'results',
          outputElement: '=result',
        }),
        node.end('end'),
      ],
      flows: [
        ['f1', 'start', 'callChild'],
        ['f2', 'callChild', 'end'],
      ],
    });
    const inst = await startInstance(xml, { items: [1, 2] });
    const requests = inst.eventsOfType('call.requested');
    expect(requests.map((r) => r.variables.item)).toEqual([1, 2]);
    for (const [i, r] of [...requests].reverse().entries())
      await inst.completeCall('callChild', { result: `r${2 - i}` }, r.elementInstanceKey);
    expect(inst.status).toBe('COMPLETED');
    expect(inst.variables().results).toEqual(['r1', 'r2']);
  });

  it('a parallel multi-instance call activity completes when every child has returned all its variables', async () => {
    // A child gets every visible variable, the body's counters included, and by default hands all
    // of its variables back: those stale copies must not overwrite the body's counts.
    const xml = bpmnProcess('miCallerCardinality', {
      nodes: [
        node.start('start'),
        multiInstance(node.callActivity('callChild', 'child'), { loopCardinality: '3' }),
        node.end('end'),
      ],
      flows: [
        ['f1', 'start', 'callChild'],
        ['f2', 'callChild', 'end'],
      ],
    });
    const inst = await startInstance(xml);
    const requests = inst.eventsOfType('call.requested');
    expect(requests).toHaveLength(3);
    expect(requests[0].variables).toMatchObject({
      numberOfCompletedInstances: 0,
      numberOfActiveInstances: 3,
    });
    for (const [i, r] of requests.entries()) {
      await inst.completeCall('callChild', { ...r.variables, fromChild: i }, r.elementInstanceKey);
      expect(inst.status).toBe(i < 2 ? 'ACTIVE' : 'COMPLETED');
    }
    expect(inst.count('element.completed', 'end')).toBe(1);
    expect(inst.variables()).toMatchObject({ fromChild: 2 });
    expect(inst.variables()).not.toHaveProperty('numberOfCompletedInstances');
  });
});
