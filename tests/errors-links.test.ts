import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';
import { defs, flow } from './support/bpmn.js';

const ERRORS =
  '<bpmn:error id="err_contract" name="无合同" errorCode="NO_CONTRACT"/><bpmn:error id="err_other" name="other" errorCode="OTHER"/>';

// A worker checks the maintenance contract; a missing contract is a business error with its own path.
const JOB_ERRORS = defs(
  'contract-check',
  `<bpmn:startEvent id="s"/>
   <bpmn:serviceTask id="check"><bpmn:extensionElements><zeebe:taskDefinition type="contract-check"/></bpmn:extensionElements></bpmn:serviceTask>
   <bpmn:boundaryEvent id="noContract" attachedToRef="check"><bpmn:errorEventDefinition errorRef="err_contract"/></bpmn:boundaryEvent>
   <bpmn:boundaryEvent id="anyError" attachedToRef="check"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
   <bpmn:endEvent id="ok"/><bpmn:userTask id="negotiate"/><bpmn:userTask id="investigate"/>
   ${flow('a', 's', 'check')}${flow('b', 'check', 'ok')}${flow('c', 'noContract', 'negotiate')}${flow('d', 'anyError', 'investigate')}`,
  ERRORS,
);

const SUBPROCESS_ERRORS = defs(
  'inspection',
  `<bpmn:startEvent id="s"/>
   <bpmn:subProcess id="inspect">
     <bpmn:startEvent id="is"/>
     <bpmn:exclusiveGateway id="pass" default="fine"/>
     <bpmn:endEvent id="failed"><bpmn:errorEventDefinition errorRef="err_contract"/></bpmn:endEvent>
     <bpmn:endEvent id="ie"/>
     <bpmn:intermediateThrowEvent id="notify"><bpmn:escalationEventDefinition escalationRef="esc"/></bpmn:intermediateThrowEvent>
     ${flow('i1', 'is', 'notify')}${flow('i2', 'notify', 'pass')}
     <bpmn:sequenceFlow id="bad" sourceRef="pass" targetRef="failed"><bpmn:conditionExpression>=result = "bad"</bpmn:conditionExpression></bpmn:sequenceFlow>
     ${flow('fine', 'pass', 'ie')}
   </bpmn:subProcess>
   <bpmn:boundaryEvent id="caught" attachedToRef="inspect"><bpmn:errorEventDefinition errorRef="err_contract"/></bpmn:boundaryEvent>
   <bpmn:boundaryEvent id="escalated" attachedToRef="inspect" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="esc"/></bpmn:boundaryEvent>
   <bpmn:userTask id="inform"/><bpmn:userTask id="rework"/><bpmn:endEvent id="e"/>
   ${flow('a', 's', 'inspect')}${flow('b', 'inspect', 'e')}${flow('c', 'caught', 'rework')}${flow('d', 'escalated', 'inform')}`,
  `${ERRORS}<bpmn:escalation id="esc" name="通知业主" escalationCode="NOTIFY_OWNER"/>`,
);

const UNCAUGHT = defs(
  'uncaught',
  `<bpmn:startEvent id="s"/><bpmn:endEvent id="boom"><bpmn:errorEventDefinition errorRef="err_other"/></bpmn:endEvent>${flow('a', 's', 'boom')}
   <bpmn:subProcess id="handler" triggeredByEvent="true">
     <bpmn:startEvent id="hs"><bpmn:errorEventDefinition errorRef="err_contract"/></bpmn:startEvent><bpmn:endEvent id="he"/>${flow('h', 'hs', 'he')}
   </bpmn:subProcess>`,
  ERRORS,
);

const ESP_ERROR = defs(
  'esp-error',
  `<bpmn:startEvent id="s"/><bpmn:userTask id="main"/><bpmn:endEvent id="boom"><bpmn:errorEventDefinition errorRef="err_contract"/></bpmn:endEvent>
   <bpmn:parallelGateway id="fork"/>${flow('a', 's', 'fork')}${flow('b', 'fork', 'main')}${flow('c', 'fork', 'boom')}
   <bpmn:subProcess id="handler" triggeredByEvent="true">
     <bpmn:startEvent id="hs"><bpmn:errorEventDefinition errorRef="err_contract"/></bpmn:startEvent><bpmn:userTask id="handle"/>${flow('h', 'hs', 'handle')}
   </bpmn:subProcess>`,
  ERRORS,
);

const LINKS = defs(
  'links',
  `<bpmn:startEvent id="s"/>
   <bpmn:intermediateThrowEvent id="goto"><bpmn:linkEventDefinition name="page2"/></bpmn:intermediateThrowEvent>
   <bpmn:intermediateCatchEvent id="landing"><bpmn:linkEventDefinition name="page2"/></bpmn:intermediateCatchEvent>
   <bpmn:userTask id="after"/>${flow('a', 's', 'goto')}${flow('b', 'landing', 'after')}`,
);

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([
    { name: 'jobs.bpmn', content: JOB_ERRORS },
    { name: 'sub.bpmn', content: SUBPROCESS_ERRORS },
    { name: 'uncaught.bpmn', content: UNCAUGHT },
    { name: 'esp.bpmn', content: ESP_ERROR },
    { name: 'links.bpmn', content: LINKS },
  ]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const start = (id: string, variables: Record<string, unknown> = {}) => t.start(id, variables);
const openTasks = async (key: string) => (await t.openTasks(key)).map((i: any) => i.elementId).sort();
const elements = (key: string) => t.elements(key);
async function jobOf(key: string) {
  const res = await t.api('POST', '/v2/jobs/activation', {
    type: 'contract-check',
    timeout: 10000,
    maxJobsToActivate: 20,
    requestTimeout: -1,
  });
  return res.body.jobs.find((j: any) => j.processInstanceKey === key);
}

describe('BPMN errors', () => {
  it('catches a worker’s error by its code on the boundary event, with the error variables', async () => {
    const key = await start('contract-check');
    const job = await jobOf(key);
    expect(
      (
        await t.api('POST', `/v2/jobs/${job.jobKey}/error`, {
          errorCode: 'NO_CONTRACT',
          variables: { contractor: '某施工单位' },
        })
      ).status,
    ).toBe(204);
    expect(await openTasks(key)).toEqual(['negotiate']);
    expect(await elements(key)).toEqual(expect.arrayContaining(['check:TERMINATED', 'noContract:COMPLETED']));
    const vars = await t.api('POST', '/v2/variables/search', {
      filter: { processInstanceKey: key, name: 'contractor' },
    });
    expect(JSON.parse(vars.body.items[0].value)).toBe('某施工单位');
  });

  it('falls back to the catch-all boundary for other codes', async () => {
    const key = await start('contract-check');
    const job = await jobOf(key);
    await t.api('POST', `/v2/jobs/${job.jobKey}/error`, { errorCode: 'SOMETHING_ELSE' });
    expect(await openTasks(key)).toEqual(['investigate']);
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items).toEqual([]);
  });

  it('catches an error end event of a sub-process on the sub-process boundary', async () => {
    const key = await start('inspection', { result: 'bad' });
    expect(await openTasks(key)).toEqual(['inform', 'rework']);
    expect(await elements(key)).toEqual(
      expect.arrayContaining(['inspect:TERMINATED', 'caught:COMPLETED', 'failed:TERMINATED']),
    );
  });

  it('lets a non-interrupting escalation run its path while the sub-process completes', async () => {
    const key = await start('inspection', { result: 'good' });
    expect(await openTasks(key)).toEqual(['inform']);
    expect(await elements(key)).toEqual(
      expect.arrayContaining(['inspect:COMPLETED', 'escalated:COMPLETED', 'e:COMPLETED']),
    );
  });

  it('starts an error event sub-process, interrupting the rest of the scope', async () => {
    const key = await start('esp-error');
    expect(await openTasks(key)).toEqual(['handle']);
    expect(await elements(key)).toEqual(
      expect.arrayContaining(['main:TERMINATED', 'handler:ACTIVE', 'hs:COMPLETED']),
    );
  });

  it('raises an incident for an error nobody catches, naming the code', async () => {
    const key = await start('uncaught');
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items[0]).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'boom' });
    expect(incidents.body.items[0].errorMessage).toContain("'OTHER'");
  });
});

describe('link events', () => {
  it('continues at the link catch event of the same name', async () => {
    const key = await start('links');
    expect(await openTasks(key)).toEqual(['after']);
    expect(await elements(key)).toEqual(expect.arrayContaining(['goto:COMPLETED', 'landing:COMPLETED']));
  });

  it('rejects a link throw without its catch', async () => {
    const res = await t.deploy([
      {
        name: 'badlink.bpmn',
        content: LINKS.replace(
          'name="page2"/></bpmn:intermediateCatchEvent>',
          'name="page3"/></bpmn:intermediateCatchEvent>',
        )
          .replace(/d_links/, 'd_bl')
          .replace('id="links"', 'id="badlinks"'),
      },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.field)).toContain('badlink.bpmn#goto');
  });
});
