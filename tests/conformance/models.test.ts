/**
 * Robustness of the model compiler against third-party BPMN: the OMG MIWG reference models and
 * their bpmn-js round-trips, the bpmn-js import fixtures (including broken ones) and the Camunda
 * Modeler / zeebe-bpmn-moddle fixtures (/work/shared/conformance, see each SOURCES.txt).
 *
 * For every file, compileBpmn either returns processes and no errors, or errors that each carry a
 * message and (unless the XML itself is broken) the id of the element they are about. It never
 * throws and never hangs. The same holds when every process in the file is made executable, which
 * pushes the non-executable fixtures through the whole compiler.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CompileResult } from '../../engine/index.js';
import {
  deploy,
  deployProcess,
  expectWellFormedProblems,
  InstanceDriver,
  namesElement,
} from '../support/engine-driver.js';

const CONFORMANCE =
  process.env.LIFEFLOW_CONFORMANCE_DIR ??
  fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));
const ROOTS = ['miwg/reference', 'miwg/bpmn-io-roundtrip', 'bpmn-js/bpmn', 'camunda'];
const available = existsSync(`${CONFORMANCE}/camunda/SOURCES.txt`);
// In CI the material must be there: a silent skip would hide a broken checkout.
if (!available && process.env.CI) throw new Error(`conformance material not found under ${CONFORMANCE}`);

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

const relative = (p: string) => p.slice(CONFORMANCE.length).replace(/^\//, '');
const all = available ? ROOTS.flatMap((r) => walk(join(CONFORMANCE, r))) : [];
const bpmnFiles = all.filter((f) => f.endsWith('.bpmn')).map(relative);
/** Broken inputs of bpmn-js that are not .bpmn files (a PNG, a text file). */
const otherInputs = all.filter((f) => f.includes('/error/') && !f.endsWith('.bpmn')).map(relative);

const read = (rel: string) => readFileSync(join(CONFORMANCE, rel), 'utf8');

/** Fails the test instead of hanging: a compile must answer within the limit. */
async function compileWithin(xml: string, ms = 10_000): Promise<CompileResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`compileBpmn did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([deploy(xml), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sets isExecutable="true" on every process element. */
function forceExecutable(xml: string): string {
  return xml
    .replace(/(<(?:[\w-]+:)?process\b[^>]*?)\s+isExecutable="[^"]*"/g, '$1')
    .replace(/<((?:[\w-]+:)?process)(?=[\s>/])/g, '<$1 isExecutable="true"');
}

/** What the SOURCES.txt files say bpmn-moddle does with each file: 'FAIL' means it cannot be read. */
function moddleVerdicts(): Map<string, 'FAIL' | 'OK'> {
  const out = new Map<string, 'FAIL' | 'OK'>();
  for (const line of read('bpmn-js/SOURCES.txt').split('\n')) {
    const cols = line.split(' | ');
    if (cols.length >= 7 && cols[0].endsWith('.bpmn'))
      out.set(`bpmn-js/${cols[0]}`, cols[5].trim() === 'FAIL' ? 'FAIL' : 'OK');
  }
  for (const line of read('camunda/SOURCES.txt').split('\n')) {
    const m = /^(\S+\.bpmn) \|.*\[bpmn-moddle: ([^\]]+)\]/.exec(line);
    if (m) out.set(`camunda/${m[1]}`, /FAIL/.test(m[2]) ? 'FAIL' : 'OK');
  }
  // MIWG SOURCES.txt: "All 21 reference models parse with bpmn-moddle 10".
  for (const f of bpmnFiles.filter((x) => x.startsWith('miwg/'))) out.set(f, 'OK');
  return out;
}

const isXmlError = (r: CompileResult) => r.errors.length > 0 && r.errors.every((e) => e.rule === 'xml');

describe.skipIf(!available)('third-party models compile or are rejected cleanly', () => {
  const verdicts = available ? moddleVerdicts() : new Map<string, 'FAIL' | 'OK'>();

  it('finds the fixture folders', () => {
    expect(bpmnFiles.filter((f) => f.startsWith('miwg/reference/'))).toHaveLength(21);
    expect(bpmnFiles.filter((f) => f.startsWith('miwg/bpmn-io-roundtrip/'))).toHaveLength(21);
    expect(bpmnFiles.filter((f) => f.startsWith('bpmn-js/')).length).toBeGreaterThan(100);
    expect(bpmnFiles.filter((f) => f.startsWith('camunda/')).length).toBeGreaterThan(30);
  });

  it.each(bpmnFiles)('%s', async (rel) => {
    const xml = read(rel);
    const result = await compileWithin(xml);
    expectWellFormedProblems(result, xml);
    if (result.errors.length === 0) expect(result.processes.length).toBeGreaterThan(0);
    // The XML is unreadable exactly when bpmn-moddle could not read it (per SOURCES.txt).
    const verdict = verdicts.get(rel);
    if (verdict) expect(isXmlError(result), `bpmn-moddle verdict ${verdict}`).toBe(verdict === 'FAIL');
  });

  it.each(otherInputs)('%s (not BPMN at all) is an XML error, not an exception', async (rel) => {
    const result = await compileWithin(read(rel));
    expect(result.processes).toEqual([]);
    expect(isXmlError(result)).toBe(true);
    expect(result.errors[0].message).not.toBe('');
  });

  const forcible = bpmnFiles.filter((rel) => /<(?:[\w-]+:)?process[\s>/]/.test(read(rel)));
  const forcedCase = async (rel: string) => {
    const xml = forceExecutable(read(rel));
    const result = await compileWithin(xml);
    expectWellFormedProblems(result, xml);
    if (result.errors.length === 0) expect(result.processes.length).toBeGreaterThan(0);
  };
  it.each(forcible)('%s, every process made executable', forcedCase);
});

describe('compileBpmn never throws', () => {
  // An inclusive join (2 incoming flows) in a scope where a flow leads to an element the engine
  // does not support (here a call activity): errors naming <call>, never a TypeError.
  it('rejects an unsupported element upstream of an inclusive join with errors instead of a TypeError', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="crash" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:parallelGateway id="fork" />
    <bpmn:callActivity id="call" />
    <bpmn:inclusiveGateway id="join" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork" />
    <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="join" />
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="call" />
    <bpmn:sequenceFlow id="f3" sourceRef="call" targetRef="join" />
    <bpmn:sequenceFlow id="f4" sourceRef="join" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;
    const result = await deploy(xml);
    expect(result.processes).toEqual([]);
    expect(namesElement(result, 'call')).toBe(true);
  });
});

describe.skipIf(!available)('specific expectations from the fixtures', () => {
  it('camunda-modeler broken.bpmn (closing tag mismatch) is an XML error', async () => {
    const result = await deploy(read('camunda/camunda-modeler/app-test__broken.bpmn'));
    expect(result.processes).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ rule: 'xml', elementId: '' });
    expect(result.errors[0].message).toMatch(/not valid BPMN XML/);
    expect(result.errors[0].message).toMatch(/closing tag mismatch/);
  });

  it('bpmn-js missing-namespace.bpmn is an XML error', async () => {
    const result = await deploy(read('bpmn-js/bpmn/error/missing-namespace.bpmn'));
    expect(isXmlError(result)).toBe(true);
  });

  it('an empty <definitions/> is rejected for having no executable process', async () => {
    const result = await deploy(read('camunda/camunda-modeler/app-test__illegal-whitespace.bpmn'));
    expect(result.processes).toEqual([]);
    expect(result.errors.map((e) => e.message)).toEqual([
      'expected at least one executable process (isExecutable="true")',
    ]);
  });

  it('import-warnings.bpmn reports the unresolved reference as a warning', async () => {
    const result = await deploy(read('camunda/camunda-modeler/app-test__import-warnings.bpmn'));
    expect(result.warnings.some((w) => w.message.includes('Task_0zlv465'))).toBe(true);
    // the process is not executable, which is the only error
    expect(result.errors.map((e) => e.elementId)).toEqual(['Definitions_1']);
  });

  it('a collaboration whose process is not executable cannot be started', async () => {
    const result = await deploy(
      read('camunda/camunda-modeler/start-instance__collaboration_not_executable.bpmn'),
    );
    expect(result.processes).toEqual([]);
    expect(result.errors).toEqual([
      expect.objectContaining({
        elementId: 'Definitions_0m3i0zk',
        message: expect.stringMatching(/executable process/),
      }),
    ]);
  });

  it('the minimal Camunda 8 diagram compiles and runs to completion', async () => {
    const process = await deployProcess(read('camunda/camunda-modeler/diagram__zeebe.bpmn'));
    const inst = await InstanceDriver.start(process);
    expect(inst.status).toBe('COMPLETED');
    expect(inst.completedElements()).toEqual(['StartEvent_1', 'Event_1306oap', 'Process_1k0kgas']);
  });

  it('the XSS fixture is rejected cleanly: hostile ids and Camunda 7 extensions are errors, nothing runs', async () => {
    const result = await deploy(read('camunda/camunda-modeler/diagram__xss.bpmn'));
    expect(result.processes).toEqual([]);
    // bpmn-moddle refuses the illegal ids `"><` and `\"<img src=1 onerror=alert(1)>1`: a model with
    // content the parser dropped is not run
    expect(result.errors.some((e) => e.message.includes('illegal ID <"><>'))).toBe(true);
    expect(result.errors.some((e) => e.message.includes('onerror=alert(1)'))).toBe(true);
    expect(
      result.errors
        .filter((e) => e.message.includes('camunda:inputOutput'))
        .map((e) => e.elementId)
        .sort(),
    ).toEqual(['StartEvent_1', 'Task_17p5kda']);
  });

  it('a configured Camunda 8 service task creates a job of its type with its input mapping', async () => {
    const process = await deployProcess(read('camunda/camunda-modeler/e2e__service-task-configured.bpmn'));
    const inst = await InstanceDriver.start(process, { order: { id: 'A-42' } });
    const job = inst.openJob('Task_1');
    expect(job.type).toBe('check-order');
    expect(inst.variables(job.elementInstanceKey)).toEqual({ orderId: 'A-42' });
    await inst.completeJob('Task_1');
    expect(inst.status).toBe('COMPLETED');
  });

  it('a Camunda 8 user task links its form by id', async () => {
    const process = await deployProcess(read('camunda/camunda-modeler/e2e__user-task-form.bpmn'));
    const inst = await InstanceDriver.start(process);
    expect(inst.openTask('UserTask_1')).toMatchObject({ name: 'Inspect Invoice', formId: 'invoice-form' });
  });

  it('the version tag of a Camunda 8 process is read', async () => {
    const process = await deployProcess(read('camunda/zeebe-bpmn-moddle/zeebe-versionTag.bpmn'));
    expect(process.versionTag).toBe('v1.0.0');
  });

  it('a Camunda 7 service task (camunda:class) is rejected naming the task', async () => {
    const result = await deploy(read('camunda/camunda-modeler/e2e__c7-service-task-impl.bpmn'));
    expect(result.processes).toEqual([]);
    expect(namesElement(result, 'Task_1')).toBe(true);
  });

  it('a DMN business rule task is rejected naming it; the call activity beside it is not blamed', async () => {
    const result = await deploy(read('camunda/camunda-modeler/process-application__bar__bar.bpmn'));
    expect(result.processes).toEqual([]);
    expect(namesElement(result, 'BusinessRuleTask_1')).toBe(true);
    expect(result.errors.find((e) => e.elementId === 'BusinessRuleTask_1')?.message).toMatch(/DMN/);
    expect(namesElement(result, 'CallActivity_1')).toBe(false);
  });

  it('a Camunda 8 call activity compiles and requests its called process with the binding', async () => {
    const process = await deployProcess(read('camunda/camunda-modeler/process-application__foo.bpmn'));
    const inst = await InstanceDriver.start(process, { a: 1 });
    expect(inst.activeElementIds()).toEqual(['CallActivity_1']);
    expect(inst.eventsOfType('call.requested')).toEqual([
      expect.objectContaining({
        elementInstanceKey: inst.elementInstanceKey('CallActivity_1'),
        processId: 'BarProcess',
        bindingType: 'latest',
      }),
    ]);
  });

  it.each([
    'miwg/reference/C.1.0.bpmn',
    'miwg/bpmn-io-roundtrip/C.1.0-roundtrip.bpmn',
  ])('%s: Camunda 7 JUEL conditions are rejected naming each flow', async (rel) => {
    const result = await deploy(read(rel));
    expect(result.processes).toEqual([]);
    for (const flow of ['invoiceApproved', 'invoiceNotApproved', 'reviewSuccessful', 'reviewNotSuccessful']) {
      const error = result.errors.find((e) => e.elementId === flow && /JUEL/.test(e.message));
      expect(error, `an error about the JUEL condition of <${flow}>`).toBeDefined();
    }
  });

  it.each([
    'A.1.0',
    'A.2.0',
    'A.2.1',
    'A.3.0',
    'A.4.0',
    'A.4.1',
    'B.1.0',
    'B.2.0',
    'C.2.0',
    'C.4.0',
    'C.5.0',
    'C.6.0',
    'C.7.0',
    'C.8.0',
  ])('MIWG %s (descriptive, not executable) is rejected for having no executable process, naming the definitions', async (name) => {
    const xml = read(`miwg/reference/${name}.bpmn`);
    const result = await deploy(xml);
    const definitionsId = /<(?:[\w-]+:)?definitions\b[^>]*\sid="([^"]+)"/.exec(xml)?.[1];
    expect(result.errors).toEqual([
      expect.objectContaining({
        elementId: definitionsId,
        message: expect.stringMatching(/executable process/),
      }),
    ]);
  });
});
