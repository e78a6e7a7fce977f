/**
 * Conformance against the executable test processes of paed01/bpmn-elements and paed01/bpmn-engine
 * (/work/shared/conformance/bpmn-engine, see its SOURCES.txt for the expected behaviour per file).
 *
 * Every file is classified independently of the engine, by reading the model with bpmn-moddle:
 *   - NEG files must fail to import (XML-level error);
 *   - files without an executable process must be rejected naming the definitions;
 *   - files that use JavaScript (scripts, `language="javascript"` conditions, `next(`), expressions
 *     we cannot translate (`${environment.services.fn()}`, ...), elements out of today's scope
 *     (timers, messages, signals, errors, escalation, boundary events, event sub-processes, call
 *     activities, loops, compensation, links, event-based gateways, conditional events, ...),
 *     service tasks without a job type, or processes/sub-processes without exactly one none start
 *     event must be rejected with an error naming each offending element id;
 *   - everything else must compile and is run against the peer's expectation. Parallel joins the
 *     peer only passes with "discard propagation" (DPE flag) must deadlock here: the instance stays
 *     ACTIVE with the token waiting at the join (strict BPMN 2.0 / Camunda semantics).
 *
 * Harness adaptations (the only changes made to the XML before compiling):
 *   - conditions `${environment.variables.x}`, `${environment.output.x}`, `${variables.x}` become
 *     the FEEL `=x`; `${true}` / `${false}` become `=true` / `=false`. Where the peer treats an unset
 *     variable as false, the harness passes an explicit `false` (FEEL conditions must be booleans);
 *   - `isExecutable="true"` is set on the non-executable processes the peer ran (called processes,
 *     processes started by a message flow or a signal);
 *   - a peer `signal` of a user task is our `task.complete`; manual tasks pass through.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BpmnModdle } from 'bpmn-moddle';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledProcess, CompileResult } from '../../engine/index.js';
import { deploy, expectWellFormedProblems, InstanceDriver, namesElement } from '../support/engine-driver.js';

const CONFORMANCE =
  process.env.LIFEFLOW_CONFORMANCE_DIR ??
  fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));
const DIR = `${CONFORMANCE}/bpmn-engine`;
const available = existsSync(`${DIR}/SOURCES.txt`);
// In CI the material must be there: a silent skip would hide a broken checkout.
if (!available && process.env.CI) throw new Error(`conformance material not found under ${CONFORMANCE}`);

// ---- SOURCES.txt ------------------------------------------------------------------------------

interface SourceEntry {
  file: string;
  folder: 'resources' | 'inline';
  tags: Set<string>;
  expected: string;
}

function readSources(): Map<string, SourceEntry> {
  const entries = new Map<string, SourceEntry>();
  let folder: SourceEntry['folder'] | undefined;
  for (const line of readFileSync(`${DIR}/SOURCES.txt`, 'utf8').split('\n')) {
    if (line.startsWith('---- resources/')) folder = 'resources';
    if (line.startsWith('---- inline/')) folder = 'inline';
    if (!folder || !/^\S+\.(bpmn|json) \| /.test(line)) continue;
    // file | source repo | source path | commit | license | status | expected (may itself contain " | ")
    const cols = line.split(' | ');
    entries.set(`${folder}/${cols[0]}`, {
      file: cols[0],
      folder,
      tags: new Set(cols[5].trim().split(/\s+/)),
      expected: cols.slice(6).join(' | '),
    });
  }
  return entries;
}

// ---- harness adaptations ----------------------------------------------------------------------

/** Non-executable processes the peer ran, per SOURCES.txt (called, or started by message/signal). */
const PEER_RAN_NON_EXECUTABLE: Record<string, string[]> = {
  'resources/call-activity.bpmn': ['called-process'],
  'resources/call-activity-signal.bpmn': ['called-process'],
  'resources/lanes.bpmn': ['participantProcess'],
  'resources/messageflow-target-process.bpmn': ['Process_2'],
  'resources/messaging.bpmn': ['participant-process'],
  'resources/signals.bpmn': ['spotPriceProcess'],
  'inline/call-activity-L154-call-activity-error-boundary.bpmn': ['called-process'],
  'inline/call-activity-L366-call-activity-parallel-mi-cardinality-3.bpmn': ['called-process'],
  'inline/messaging-L179-throw-message-starts-participant.bpmn': ['participantProcess'],
  'inline/signal-L245-signal-broadcast-across-processes.bpmn': [
    'anonProcess1',
    'anonProcess2',
    'namedProcess1',
    'namedProcess2',
  ],
};

const CONDITION =
  /(<(?:[\w-]+:)?conditionExpression\b[^>]*>)\s*\$\{\s*([^}]*?)\s*\}\s*(<\/(?:[\w-]+:)?conditionExpression>)/g;
const VARIABLE_PATH =
  /^(?:environment\.(?:variables|output)\.|variables\.)([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$/;

function prepare(key: string, xml: string): string {
  let out = xml.replace(CONDITION, (whole, open: string, inner: string, close: string) => {
    if (/\blanguage=/.test(open)) return whole;
    if (inner === 'true' || inner === 'false') return `${open}=${inner}${close}`;
    const m = VARIABLE_PATH.exec(inner);
    return m ? `${open}=${m[1]}${close}` : whole;
  });
  for (const id of PEER_RAN_NON_EXECUTABLE[key] ?? []) {
    const tag = new RegExp(`<((?:[\\w-]+:)?process)\\b([^>]*?)\\sid="${id}"([^>]*)>`);
    out = out.replace(tag, (_w, name: string, before: string, after: string) => {
      const attrs = `${before} id="${id}"${after}`.replace(/\sisExecutable="[^"]*"/, '');
      return `<${name}${attrs} isExecutable="true">`;
    });
  }
  return out;
}

// ---- independent classification -----------------------------------------------------------------

type Reason = 'javascript' | 'expression-dialect' | 'out-of-scope' | 'structural' | 'no-job-type';
interface Offense {
  id: string;
  reason: Reason;
  detail: string;
}
type Analysis =
  | { kind: 'xml-error'; message: string }
  | { kind: 'no-executable'; definitionsId: string }
  | { kind: 'model'; offenses: Offense[] };

const require = createRequire(import.meta.url);
const zeebeDescriptor = require('zeebe-bpmn-moddle/resources/zeebe.json');

const IN_SCOPE = new Set([
  'bpmn:StartEvent',
  'bpmn:EndEvent',
  'bpmn:IntermediateThrowEvent',
  'bpmn:UserTask',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:ScriptTask',
  'bpmn:BusinessRuleTask',
  'bpmn:ManualTask',
  'bpmn:Task',
  'bpmn:ExclusiveGateway',
  'bpmn:ParallelGateway',
  'bpmn:InclusiveGateway',
  'bpmn:SubProcess',
  'bpmn:SequenceFlow',
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
]);

type El = any;
const hasExtension = (el: El, type: string) =>
  (el.extensionElements?.values ?? []).some((v: El) => v.$type === type);
const isJs = (s: string | undefined) => !!s && /^(java)?script$|^js$/i.test(s.trim());

function scanScope(container: El, offenses: Offense[]): void {
  const add = (id: string, reason: Reason, detail: string) => offenses.push({ id, reason, detail });
  const elements: El[] = container.flowElements ?? [];
  const noneStarts = elements.filter(
    (e) => e.$type === 'bpmn:StartEvent' && !(e.eventDefinitions?.length > 0),
  );
  if (!container.triggeredByEvent && noneStarts.length !== 1) {
    add(container.id, 'structural', `${noneStarts.length} none start events (exactly one is required)`);
  }
  for (const el of elements) {
    const type: string = el.$type;
    if (type === 'bpmn:SequenceFlow') {
      const cond = el.conditionExpression;
      if (!cond) continue;
      const body: string = (cond.body ?? '').trim();
      if (isJs(cond.language) || /\bnext\s*\(/.test(body)) add(el.id, 'javascript', `JavaScript condition`);
      else if (cond.language && !/feel/i.test(cond.language))
        add(el.id, 'expression-dialect', `condition language ${cond.language}`);
      else if (!body.startsWith('=')) add(el.id, 'expression-dialect', `condition '${body}' is not FEEL`);
      continue;
    }
    if (!IN_SCOPE.has(type)) {
      add(el.id, 'out-of-scope', type);
      continue; // the engine does not look inside elements it cannot run
    }
    if (el.loopCharacteristics) add(el.id, 'out-of-scope', 'loop / multi-instance');
    for (const ext of /^bpmn:Data/.test(type) ? [] : (el.extensionElements?.values ?? [])) {
      if (/^camunda:/.test(ext.$type) && !/:properties$/i.test(ext.$type))
        add(el.id, 'expression-dialect', `Camunda 7 extension ${ext.$type}`);
    }
    if (el.isForCompensation) add(el.id, 'out-of-scope', 'compensation');
    if (el.triggeredByEvent) add(el.id, 'out-of-scope', 'event sub-process');
    const definitions: El[] = el.eventDefinitions ?? [];
    const allowed = type === 'bpmn:EndEvent' ? ['bpmn:TerminateEventDefinition'] : [];
    for (const def of definitions) if (!allowed.includes(def.$type)) add(el.id, 'out-of-scope', def.$type);
    if (type === 'bpmn:ScriptTask') {
      if (el.script || el.scriptFormat) {
        add(
          el.id,
          isJs(el.scriptFormat) || /\bnext\s*\(/.test(el.script ?? '') ? 'javascript' : 'expression-dialect',
          `script in ${el.scriptFormat}`,
        );
      } else if (!hasExtension(el, 'zeebe:Script') && !hasExtension(el, 'zeebe:TaskDefinition')) {
        add(el.id, 'no-job-type', 'script task without zeebe:script');
      }
    }
    if (
      (type === 'bpmn:ServiceTask' || type === 'bpmn:SendTask' || type === 'bpmn:BusinessRuleTask') &&
      !hasExtension(el, 'zeebe:TaskDefinition')
    ) {
      add(
        el.id,
        'no-job-type',
        `${type} without zeebe:taskDefinition (implementation: ${el.implementation ?? 'none'})`,
      );
    }
    if (type === 'bpmn:SubProcess') scanScope(el, offenses);
  }
}

async function analyse(xml: string): Promise<Analysis> {
  let definitions: El;
  try {
    ({ rootElement: definitions } = await new BpmnModdle({ zeebe: zeebeDescriptor }).fromXML(
      xml,
      'bpmn:Definitions',
    ));
  } catch (err) {
    return { kind: 'xml-error', message: (err as Error).message };
  }
  const executable = (definitions.rootElements ?? []).filter(
    (e: El) => e.$type === 'bpmn:Process' && e.isExecutable,
  );
  if (executable.length === 0) return { kind: 'no-executable', definitionsId: definitions.id ?? '' };
  const offenses: Offense[] = [];
  for (const p of executable) scanScope(p, offenses);
  return { kind: 'model', offenses };
}

// ---- scenarios for the files that compile -------------------------------------------------------

type Scenario =
  | { kind: 'executed'; run: (processes: CompiledProcess[]) => Promise<void> }
  | { kind: 'dpe'; run: (processes: CompiledProcess[]) => Promise<void> }
  | { kind: 'skipped'; reason: string; run?: (processes: CompiledProcess[]) => Promise<void> };

const byId = (processes: CompiledProcess[], id: string) => {
  const p = processes.find((x) => x.id === id);
  if (!p) throw new Error(`expected a compiled process <${id}>`);
  return p;
};

async function runsStraightThrough(process: CompiledProcess, order: string[]) {
  const inst = await InstanceDriver.start(process);
  expect(inst.status).toBe('COMPLETED');
  expect(inst.completedElements()).toEqual([...order, process.id]);
  expect(inst.eventsOfType('instance.completed')).toHaveLength(1);
}

/** The DPE verdict: nothing left to do, no incident, and the token(s) parked at the join(s). */
function expectDeadlockAtJoins(inst: InstanceDriver, arrivals: Record<string, Record<string, number>>) {
  expect(inst.status).toBe('ACTIVE');
  expect(inst.activeElementIds()).toEqual([]);
  expect(inst.openTasks()).toEqual([]);
  expect(inst.openJobs()).toEqual([]);
  expect(inst.activeIncidents()).toEqual([]);
  for (const [joinId, arrived] of Object.entries(arrivals)) {
    expect(inst.joinArrivals(joinId)).toEqual(arrived);
    expect(inst.count('element.activated', joinId)).toBe(0);
  }
  expect(inst.eventsOfType('instance.completed')).toHaveLength(0);
}

const SCENARIOS: Record<string, Scenario> = {
  // TESTED: task with a data input association -> run completes (data associations are not evaluated).
  'resources/engine-issue-139.bpmn': {
    kind: 'executed',
    run: (ps) => runsStraightThrough(ps[0], ['Event_071j3c6', 'Activity_0ksziuo', 'Event_08mzzqt']),
  },
  // TESTED (parse): same process under the bpmn2: prefix and another target namespace.
  'resources/issue-139.bpmn': {
    kind: 'executed',
    run: (ps) => runsStraightThrough(ps[0], ['Event_071j3c6', 'Activity_0ksziuo', 'Event_08mzzqt']),
  },
  // TESTED: bpmn:group + category artifacts are ignored at runtime; run completes.
  'resources/groups.bpmn': {
    kind: 'executed',
    run: (ps) =>
      runsStraightThrough(ps[0], ['StartEvent_1', 'Activity_1kgsmgl', 'Activity_1v17yu5', 'Event_09abgyv']),
  },
  // TESTED: collaboration with two executable processes: both run to completion.
  'resources/two-executable-processes.bpmn': {
    kind: 'executed',
    run: async (ps) => {
      expect(ps.map((p) => p.id).sort()).toEqual(['Process_1', 'Process_2']);
      await runsStraightThrough(byId(ps, 'Process_1'), ['StartEvent_1', 'Task_1', 'EndEvent_1']);
      await runsStraightThrough(byId(ps, 'Process_2'), ['StartEvent_2', 'Task_2', 'EndEvent_2']);
    },
  },
  // TESTED: none throw event with a message flow to another participant; both processes complete.
  // The message flow is documentation to us (no message semantics); the participant (made
  // executable by the harness) completes when started.
  'resources/messageflow-target-process.bpmn': {
    kind: 'executed',
    run: async (ps) => {
      await runsStraightThrough(byId(ps, 'Process_1'), ['start1', 'Event_02mf8yt', 'Event_0j4p7z5']);
      await runsStraightThrough(byId(ps, 'Process_2'), ['start2']);
    },
  },
  // TESTED (engine issue 125): fork to user tasks A and B -> join -> end; after A, B still waits;
  // after B the run completes and every activity ran once.
  'inline/issues-L724-fork-two-usertasks-join.bpmn': {
    kind: 'executed',
    run: async (ps) => {
      const inst = await InstanceDriver.start(ps[0]);
      expect(
        inst
          .openTasks()
          .map((t) => t.elementId)
          .sort(),
      ).toEqual(['A', 'B']);
      await inst.completeTask('A');
      expect(inst.status).toBe('ACTIVE');
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['B']);
      expect(inst.joinArrivals('join')).toEqual({ 'from-a': 1 });
      expect(inst.count('element.activated', 'join')).toBe(0);
      await inst.completeTask('B');
      expect(inst.status).toBe('COMPLETED');
      for (const id of ['start', 'fork', 'A', 'B', 'join', 'end'])
        expect(inst.count('element.completed', id)).toBe(1);
    },
  },
  // TESTED: XOR with ${condition1} to end1 and default to end2; no variable -> end2 taken, end1 not.
  // FEEL needs a boolean, so "no variable" is condition1=false; condition1=true takes end1.
  'inline/Process-L224-exclusive-decision.bpmn': {
    kind: 'executed',
    run: async (ps) => {
      const byDefault = await InstanceDriver.start(ps[0], { condition1: false });
      expect(byDefault.status).toBe('COMPLETED');
      expect(byDefault.completedElements()).toEqual(['start', 'decision', 'end2', 'theProcess']);
      expect(byDefault.count('element.activated', 'end1')).toBe(0);
      expect(byDefault.takenFlows()).toEqual(['flow1', 'flow3']);
      const byCondition = await InstanceDriver.start(ps[0], { condition1: true });
      expect(byCondition.completedElements()).toEqual(['start', 'decision', 'end1', 'theProcess']);
    },
  },
  // TESTED: XOR with two loopbacks keyed on the user task's output (the peer's test extension copies
  // it to environment.output.usertask; here the task is completed with a `usertask` variable):
  // iteration one -> back to usertask; iteration two -> task -> usertask; neither -> default -> end.
  'resources/engine-issue-73_2.bpmn': {
    kind: 'executed',
    run: async (ps) => {
      const inst = await InstanceDriver.start(ps[0]);
      await inst.completeTask('usertask', { usertask: { isIterationOne: true, isIterationTwo: false } });
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['usertask']);
      expect(inst.count('element.activated', 'task')).toBe(0);
      await inst.completeTask('usertask', { usertask: { isIterationOne: false, isIterationTwo: true } });
      expect(inst.count('element.completed', 'task')).toBe(1);
      expect(inst.openTasks().map((t) => t.elementId)).toEqual(['usertask']);
      await inst.completeTask('usertask', { usertask: { isIterationOne: false, isIterationTwo: false } });
      expect(inst.status).toBe('COMPLETED');
      expect(inst.count('element.completed', 'usertask')).toBe(3);
      expect(inst.count('element.completed', 'end')).toBe(1);
    },
  },

  // ---- DPE: the peer completes only by counting the untaken XOR branch as arrived ----
  'inline/Process-L561-decision-into-parallel-join.bpmn': {
    kind: 'dpe',
    run: async (ps) => {
      const inst = await InstanceDriver.start(ps[0], { condition1: false });
      expect(inst.takenFlows()).toEqual(['flow1', 'flow3']);
      expectDeadlockAtJoins(inst, { join: { flow3: 1 } });
    },
  },
  'resources/parallel-join-edgecase.bpmn': {
    kind: 'dpe',
    run: async (ps) => {
      const inst = await InstanceDriver.start(ps[0]);
      expect(inst.count('element.completed', 'task')).toBe(1);
      expectDeadlockAtJoins(inst, { join: { toJoin1: 1 } });
    },
  },
  'resources/succeeding-joins.bpmn': {
    kind: 'dpe',
    run: async (ps) => {
      const inst = await InstanceDriver.start(ps[0], { takeJoin1: false, takeJoin2: false });
      expectDeadlockAtJoins(inst, {
        join1: { SequenceFlow_0f0dkku: 1, SequenceFlow_01624fc: 1 },
        join2: { SequenceFlow_05akcgw: 1 },
      });
    },
  },

  // ---- compiled, but the peer states no run outcome ----
  'resources/data-store-reference.bpmn': {
    kind: 'skipped',
    reason: 'PARSE-only fixture (no peer run expectation); compiled and smoke-run',
    run: (ps) => runsStraightThrough(ps[0], ['StartEvent_1', 'Task_1tsro36', 'EndEvent_1x3m70n']),
  },
  'resources/process-message.bpmn': {
    kind: 'skipped',
    reason: 'PARSE-only fixture (no peer run expectation); compiled and smoke-run',
    run: (ps) => runsStraightThrough(ps[0], ['StartEvent_1']),
  },
};

// ---- the tests ------------------------------------------------------------------------------

const tally = { executed: 0, rejected: 0, rejectedDpe: 0, dpe: 0, skipped: [] as string[] };
const rejectionReasons = new Map<string, number>();

const files = available
  ? (['resources', 'inline'] as const).flatMap((folder) =>
      readdirSync(`${DIR}/${folder}`)
        .filter((f) => f.endsWith('.bpmn'))
        .sort()
        .map((f) => `${folder}/${f}`),
    )
  : [];

function expectRejectedNaming(result: CompileResult, offenses: Offense[]) {
  expect(result.processes).toEqual([]);
  expect(result.errors.length).toBeGreaterThan(0);
  const missing = offenses.filter((o) => !namesElement(result, o.id));
  expect(
    missing.map((o) => `<${o.id}> (${o.reason}: ${o.detail})`),
    'offending elements not named by any error',
  ).toEqual([]);
}

describe.skipIf(!available)('bpmn-engine conformance (paed01/bpmn-elements + bpmn-engine fixtures)', () => {
  const sources = available ? readSources() : new Map<string, SourceEntry>();

  it('has a SOURCES.txt entry for every fixture, and a scenario only for fixtures that exist', () => {
    expect(files.filter((f) => !sources.has(f))).toEqual([]);
    expect(Object.keys(SCENARIOS).filter((k) => !files.includes(k))).toEqual([]);
  });

  it.each(files)('%s', async (key) => {
    const entry = sources.get(key)!;
    const xml = prepare(key, readFileSync(`${DIR}/${key}`, 'utf8'));
    const analysis = await analyse(xml);
    const result = await deploy(xml);
    expectWellFormedProblems(result, xml);
    if (process.env.CONFORMANCE_VERBOSE) {
      const what =
        analysis.kind === 'model'
          ? analysis.offenses.map((o) => `${o.id}:${o.reason}`).join(' ') || 'in scope'
          : analysis.kind;
      console.log(`${key} [${[...entry.tags].join(' ')}] -> ${what}`);
    }

    if (entry.tags.has('NEG')) {
      expect(analysis.kind).toBe('xml-error');
      expect(result.processes).toEqual([]);
      expect(result.errors.map((e) => e.rule)).toEqual(['xml']);
      expect(result.errors[0].message).toMatch(/not valid BPMN XML|bpmn:definitions/i);
      tally.rejected++;
      rejectionReasons.set(
        'NEG (not BPMN 2.0 XML)',
        (rejectionReasons.get('NEG (not BPMN 2.0 XML)') ?? 0) + 1,
      );
      return;
    }
    expect(analysis.kind, 'only NEG fixtures may fail to parse').not.toBe('xml-error');

    if (analysis.kind === 'no-executable') {
      expect(result.processes).toEqual([]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0].elementId).toBe(analysis.definitionsId);
      expect(result.errors[0].message).toMatch(/executable process/);
      tally.rejected++;
      rejectionReasons.set('no executable process', (rejectionReasons.get('no executable process') ?? 0) + 1);
      return;
    }
    if (analysis.kind !== 'model') return;

    if (analysis.offenses.length > 0) {
      expect(SCENARIOS[key], 'a rejected fixture has no run scenario').toBeUndefined();
      expectRejectedNaming(result, analysis.offenses);
      tally.rejected++;
      if (entry.tags.has('DPE')) tally.rejectedDpe++;
      for (const reason of new Set(analysis.offenses.map((o) => o.reason)))
        rejectionReasons.set(reason, (rejectionReasons.get(reason) ?? 0) + 1);
      return;
    }

    // In scope: must compile, and must have a scenario matching its DPE flag.
    expect(result.errors, 'an in-scope fixture must compile').toEqual([]);
    const scenario = SCENARIOS[key];
    expect(scenario, `no scenario written for the runnable fixture ${key}: ${entry.expected}`).toBeDefined();
    if (scenario.kind !== 'skipped') expect(scenario.kind === 'dpe').toBe(entry.tags.has('DPE'));
    await scenario.run?.(result.processes);
    if (scenario.kind === 'executed') tally.executed++;
    else if (scenario.kind === 'dpe') tally.dpe++;
    else tally.skipped.push(`${key.split('/')[1]}: ${scenario.reason}`);
  });

  afterAll(() => {
    if (files.length === 0) return;
    const reasons = [...rejectionReasons.entries()].map(([r, n]) => `${r} ${n}`).join(', ');
    const skipped = tally.skipped.length;
    console.log(
      `bpmn-engine conformance: ${tally.executed} executed and passing, ${tally.rejected} rejected as expected, ` +
        `${tally.dpe} DPE deadlocks, ${skipped} skipped (${tally.skipped.join('; ') || 'none'})\n` +
        `  rejections by reason (a file may have several): ${reasons}\n` +
        `  of the rejected, ${tally.rejectedDpe} carry the DPE flag but are rejected for other elements first`,
    );
  });
});
