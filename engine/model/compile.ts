import { behaviourFor, isSupportedType } from '../elements/registry.js';
import { extension } from '../elements/behaviour.js';
import { checkFeelSyntax, isFeel } from '../expressions/feel.js';
import { lint } from './lint.js';
import { type ModdleElement, parseXml } from './moddle.js';
import type {
  CompileResult,
  CompiledProcess,
  FlowNode,
  IoMapping,
  MultiInstanceSpec,
  Problem,
  SequenceFlow,
} from './types.js';

const IGNORED_FLOW_ELEMENTS = new Set([
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
]);

function noneStartOf(container: ModdleElement): ModdleElement[] {
  return (container.flowElements ?? []).filter(
    (e: ModdleElement) => e.$type === 'bpmn:StartEvent' && !(e.eventDefinitions?.length > 0),
  );
}

/** Variable names and dotted paths; never prototype keys. */
const SAFE_TARGET =
  /^(?!.*(?:^|\.)(?:__proto__|prototype|constructor)(?:\.|$))[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

function readMappings(
  el: ModdleElement,
  kind: 'inputParameters' | 'outputParameters',
  report: (m: string) => void,
): IoMapping[] {
  const io = extension(el, 'zeebe:IoMapping');
  const out: IoMapping[] = [];
  for (const p of io?.[kind] ?? []) {
    if (!p.target) {
      report(`an ${kind === 'inputParameters' ? 'input' : 'output'} mapping has no target`);
      continue;
    }
    if (!SAFE_TARGET.test(p.target)) {
      report(
        `mapping target '${p.target}' must be a variable name or a dotted path of names (letters, digits, _)`,
      );
      continue;
    }
    const source = p.source ?? '=null';
    if (isFeel(source)) {
      const err = checkFeelSyntax(source);
      if (err) report(`mapping to <${p.target}> is not a valid FEEL expression: ${err}`);
    }
    out.push({ source, target: p.target });
  }
  return out;
}

/** Reads multi-instance characteristics; standard loops are not part of Camunda 8's model. */
function readMultiInstance(el: ModdleElement, report: (m: string) => void): MultiInstanceSpec | undefined {
  const lc = el.loopCharacteristics;
  if (lc.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
    report('standard loops are not supported; use a multi-instance activity');
    return undefined;
  }
  if (el.$type === 'bpmn:SubProcess' && el.triggeredByEvent)
    report('an event sub-process cannot be multi-instance');
  const z = extension(lc, 'zeebe:LoopCharacteristics');
  const spec: MultiInstanceSpec = {
    sequential: !!lc.isSequential,
    inputCollection: z?.inputCollection,
    inputElement: z?.inputElement,
    outputCollection: z?.outputCollection,
    outputElement: z?.outputElement,
    completionCondition: lc.completionCondition?.body?.trim() || undefined,
    cardinality: lc.loopCardinality?.body?.trim() || undefined,
  };
  if (!spec.inputCollection && !spec.cardinality)
    report('a multi-instance activity needs an inputCollection (or a loopCardinality)');
  if (spec.outputCollection && !spec.outputElement) report('an outputCollection needs an outputElement');
  for (const [what, expr] of [
    ['inputCollection', spec.inputCollection],
    ['outputElement', spec.outputElement],
    ['completionCondition', spec.completionCondition],
    ['loopCardinality', spec.cardinality],
  ] as const) {
    if (!expr) continue;
    if (/^[$#]\{/.test(expr)) report(`${what} '${expr}' is a JUEL expression; use FEEL (=...)`);
    else if (isFeel(expr) || what === 'completionCondition') {
      const err = checkFeelSyntax(expr);
      if (err) report(`${what} is not a valid FEEL expression: ${err}`);
    }
  }
  for (const name of [spec.inputElement, spec.outputCollection]) {
    if (name && !SAFE_TARGET.test(name)) report(`'${name}' is not a valid variable name`);
  }
  return spec;
}

/** Extensions of other engines that change behaviour: ignoring them would run a different process. */
const FOREIGN_PREFIXES = /^(camunda|activiti|flowable):/;
const FOREIGN_ATTRIBUTES = new Set([
  'class',
  'expression',
  'delegateExpression',
  'assignee',
  'candidateUsers',
  'candidateGroups',
  'formKey',
  'resultVariable',
  'type',
  'topic',
  'dueDate',
  'followUpDate',
  'priority',
  'calledElement',
  'decisionRef',
  'collection',
  'elementVariable',
]);
const UNSUPPORTED_ZEEBE = new Map([
  ['zeebe:ExecutionListeners', 'execution listeners are not supported yet'],
  ['zeebe:TaskListeners', 'task listeners are not supported yet'],
]);

function checkForeignDialect(el: ModdleElement, report: (m: string) => void): void {
  for (const [name] of Object.entries(el.$attrs ?? {})) {
    const m = FOREIGN_PREFIXES.exec(name);
    if (m && FOREIGN_ATTRIBUTES.has(name.slice(m[0].length))) {
      report(
        `the ${m[1]} attribute ${name} is not supported; model it with the zeebe extensions (Camunda 8)`,
      );
    }
  }
  for (const ext of el.extensionElements?.values ?? []) {
    const type: string = ext.$type ?? '';
    if (FOREIGN_PREFIXES.test(type) && !/:properties$/i.test(type)) {
      report(`the extension ${type} is not supported; model it with the zeebe extensions (Camunda 8)`);
    }
    const zeebe = UNSUPPORTED_ZEEBE.get(type);
    if (zeebe) report(zeebe);
  }
}

function checkCondition(flow: ModdleElement, report: (id: string, m: string) => void): string | undefined {
  const expr = flow.conditionExpression;
  if (!expr) return undefined;
  const body: string = (expr.body ?? '').trim();
  const language: string | undefined = expr.language;
  const feelLanguage = !!language && /(^feel$|\/FEEL$)/i.test(language);
  if (language && !feelLanguage) {
    report(flow.id, `conditions in '${language}' are not evaluated; use a FEEL expression starting with =`);
    return undefined;
  }
  if (feelLanguage && !isFeel(body) && body !== '') {
    const err = checkFeelSyntax(body);
    if (err) report(flow.id, `condition '${body}' is not a valid FEEL expression: ${err}`);
    return `=${body}`;
  }
  if (/^[$#]\{/.test(body)) {
    report(
      flow.id,
      `condition '${body}' is a JUEL/JavaScript expression; use a FEEL expression starting with =`,
    );
    return undefined;
  }
  if (!isFeel(body)) {
    report(flow.id, `condition '${body}' must be a FEEL expression starting with =`);
    return undefined;
  }
  const err = checkFeelSyntax(body);
  if (err) report(flow.id, `condition '${body}' is not a valid FEEL expression: ${err}`);
  return body;
}

function compileProcess(processEl: ModdleElement, errors: Problem[]): CompiledProcess | null {
  const nodes = new Map<string, FlowNode>();
  const flows = new Map<string, SequenceFlow>();
  const report = (elementId: string, message: string) =>
    errors.push({ elementId, message, rule: 'executable' });
  const embeddedForms = new Map<string, unknown>();
  for (const f of processEl.extensionElements?.values ?? []) {
    if (f.$type === 'zeebe:UserTaskForm' && f.id) {
      try {
        embeddedForms.set(f.id, JSON.parse(f.body ?? ''));
      } catch {
        report(f.id, 'the embedded form is not valid JSON');
      }
    }
  }

  const compileScope = (
    container: ModdleElement,
    scopeId: string,
    kind: 'process' | 'sub-process' | 'event-sub-process',
  ): string | undefined => {
    const allStarts: ModdleElement[] = (container.flowElements ?? []).filter(
      (e: ModdleElement) => e.$type === 'bpmn:StartEvent',
    );
    const starts = noneStartOf(container);
    const list = (xs: ModdleElement[]) => xs.map((x) => `<${x.id}>`).join(', ');
    if (kind === 'event-sub-process' && (allStarts.length !== 1 || starts.length !== 0)) {
      report(
        container.id,
        `expected the event sub-process <${container.id}> to have exactly one start event with a trigger (timer, message, signal, error or escalation)`,
      );
    } else if (kind === 'sub-process') {
      if (starts.length !== 1 || allStarts.length !== 1) {
        report(
          container.id,
          `expected <${container.id}> to have exactly one none start event, but found ${allStarts.length ? list(allStarts) : 'none'}`,
        );
      }
    } else if (kind === 'process') {
      if (allStarts.length === 0) report(container.id, `expected <${container.id}> to have a start event`);
      if (starts.length > 1)
        report(
          container.id,
          `expected <${container.id}> to have at most one none start event, but found ${list(starts)}`,
        );
    }
    for (const sub of (container.flowElements ?? []).filter(
      (e: ModdleElement) => e.$type === 'bpmn:SubProcess' && e.triggeredByEvent,
    )) {
      const start = (sub.flowElements ?? []).find((e: ModdleElement) => e.$type === 'bpmn:StartEvent');
      if (start)
        eventSubProcessStarts.set(container.id, [
          ...(eventSubProcessStarts.get(container.id) ?? []),
          start.id,
        ]);
    }
    for (const el of container.flowElements ?? []) {
      if (el.$type === 'bpmn:SequenceFlow') {
        if (!el.sourceRef || !el.targetRef) {
          report(el.id, `sequence flow <${el.id}> needs a source and a target`);
          continue;
        }
        flows.set(el.id, {
          id: el.id,
          name: el.name,
          sourceId: el.sourceRef.id,
          targetId: el.targetRef.id,
          condition: checkCondition(el, report),
        });
        continue;
      }
      if (IGNORED_FLOW_ELEMENTS.has(el.$type) || !el.$instanceOf('bpmn:FlowNode')) continue;
      if (!isSupportedType(el.$type)) {
        report(el.id, `element <${el.id}> of type ${el.$type.replace('bpmn:', '')} is not supported`);
        continue;
      }
      const elReport = (m: string) => report(el.id, m.includes(`<${el.id}>`) ? m : `<${el.id}>: ${m}`);
      const node: FlowNode = {
        id: el.id,
        name: el.name,
        type: el.$type,
        scopeId,
        incoming: (el.incoming ?? []).map((f: ModdleElement) => f.id),
        outgoing: (el.outgoing ?? []).map((f: ModdleElement) => f.id),
        defaultFlow: el.default?.id,
        inputs: readMappings(el, 'inputParameters', elReport),
        outputs: readMappings(el, 'outputParameters', elReport),
      };
      if (el.loopCharacteristics) node.multiInstance = readMultiInstance(el, elReport);
      checkForeignDialect(el, elReport);
      if (el.isForCompensation) elReport('compensation is not supported');
      behaviourFor(el.$type).compile?.(el, node, elReport);
      if (node.userTask) {
        const formKey: string | undefined = extension(el, 'zeebe:FormDefinition')?.formKey;
        if (formKey?.startsWith('camunda-forms:bpmn:')) {
          const id = formKey.slice('camunda-forms:bpmn:'.length);
          if (!embeddedForms.has(id)) elReport(`the embedded form <${id}> is not defined in the process`);
          node.userTask.embeddedForm = embeddedForms.get(id);
        }
      }
      nodes.set(el.id, node);
      if (el.$type === 'bpmn:SubProcess') {
        node.triggeredByEvent = !!el.triggeredByEvent;
        node.startId = compileScope(el, el.id, el.triggeredByEvent ? 'event-sub-process' : 'sub-process');
      }
      if (el.$type === 'bpmn:BoundaryEvent') {
        node.attachedTo = el.attachedToRef?.id;
        node.cancelActivity = el.cancelActivity !== false;
        if (!node.attachedTo) elReport('a boundary event must be attached to an activity');
        else boundaryOf.push([node.attachedTo, el.id]);
      }
      if (el.$type === 'bpmn:StartEvent') node.isInterrupting = el.isInterrupting !== false;
    }
    return kind === 'event-sub-process' ? allStarts[0]?.id : starts[0]?.id;
  };

  const eventSubProcessStarts = new Map<string, string[]>();
  const boundaryOf: Array<[string, string]> = [];
  const startId = compileScope(processEl, processEl.id, 'process');
  nodes.set(processEl.id, {
    id: processEl.id,
    name: processEl.name,
    type: 'bpmn:Process',
    scopeId: '',
    incoming: [],
    outgoing: [],
    inputs: [],
    outputs: [],
    startId,
  });
  for (const [scopeId, startIds] of eventSubProcessStarts) {
    const scope = nodes.get(scopeId);
    if (scope) scope.eventSubProcessStarts = startIds;
  }
  for (const [activityId, boundaryId] of boundaryOf) {
    const activity = nodes.get(activityId);
    if (!activity) continue;
    activity.boundaries = [...(activity.boundaries ?? []), boundaryId];
  }

  // Outgoing flows in document order, so "first true condition" means the first in the file.
  const order = new Map([...flows.keys()].map((id, i) => [id, i]));
  for (const node of nodes.values()) {
    node.incoming = node.incoming.filter((f) => flows.has(f));
    node.outgoing = node.outgoing.filter((f) => flows.has(f)).sort((a, b) => order.get(a)! - order.get(b)!);
  }
  for (const flow of flows.values()) {
    const source = nodes.get(flow.sourceId);
    const target = nodes.get(flow.targetId);
    if (source && !source.outgoing.includes(flow.id)) source.outgoing.push(flow.id);
    if (target && !target.incoming.includes(flow.id)) target.incoming.push(flow.id);
  }

  for (const node of nodes.values()) {
    if (node.type === 'bpmn:Process') continue;
    behaviourFor(node.type).validate?.(
      node,
      flows,
      (m) => report(node.id, m.includes(`<${node.id}>`) ? m : `<${node.id}>: ${m}`),
      nodes,
    );
  }

  const versionTag = extension(processEl, 'zeebe:VersionTag')?.value;
  return {
    id: processEl.id,
    name: processEl.name,
    versionTag,
    startId: startId ?? '',
    nodes,
    flows,
    inclusiveReach: inclusiveReach(nodes, flows),
  };
}

/** For every inclusive join: from each node of its scope, which of its incoming flows are reachable. */
function inclusiveReach(nodes: Map<string, FlowNode>, flows: Map<string, SequenceFlow>) {
  const result = new Map<string, Map<string, Set<string>>>();
  for (const gw of nodes.values()) {
    if (gw.type !== 'bpmn:InclusiveGateway' || gw.incoming.length < 2) continue;
    const perNode = new Map<string, Set<string>>();
    for (const start of nodes.values()) {
      if (start.scopeId !== gw.scopeId || start.id === gw.id) continue;
      const reached = new Set<string>();
      const seen = new Set<string>([start.id]);
      const queue = [start.id];
      while (queue.length > 0) {
        const current = nodes.get(queue.shift()!);
        if (!current) continue;
        for (const flowId of current.outgoing) {
          const flow = flows.get(flowId);
          if (!flow) continue;
          if (flow.targetId === gw.id) {
            reached.add(flowId);
            continue;
          }
          if (!seen.has(flow.targetId)) {
            seen.add(flow.targetId);
            queue.push(flow.targetId);
          }
        }
      }
      perNode.set(start.id, reached);
    }
    result.set(gw.id, perNode);
  }
  return result;
}

/**
 * Parses, lints and compiles BPMN XML. Errors list every problem with its element id; a model
 * with errors must be rejected. Warnings (style findings) are returned with an accepted model.
 */
export async function compileBpmn(xml: string): Promise<CompileResult> {
  let parsed: Awaited<ReturnType<typeof parseXml>>;
  try {
    parsed = await parseXml(xml);
  } catch (err) {
    return {
      processes: [],
      errors: [
        { elementId: '', message: `the file is not valid BPMN XML: ${(err as Error).message}`, rule: 'xml' },
      ],
      warnings: [],
    };
  }
  const { definitions } = parsed;
  // bpmn-moddle warns when it drops elements it cannot read (illegal or duplicate ids, unparsable
  // content): running what is left would run a different model, so those reject. Other warnings
  // (unknown attributes, encodings, references from the diagram) are passed on.
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  for (const message of parsed.warnings) {
    if (/illegal ID|duplicate ID|unparsable content/i.test(message)) {
      const id =
        /(?:ID|element) <([^>]*)>/.exec(message)?.[1] ?? /content <([^>]*)>/.exec(message)?.[1] ?? '';
      errors.push({
        elementId: id,
        message: `the XML could not be read completely: ${message}`,
        rule: 'xml-content',
      });
    } else warnings.push({ elementId: '', message, rule: 'xml' });
  }
  if (definitions?.$type !== 'bpmn:Definitions') {
    return {
      processes: [],
      errors: [{ elementId: '', message: 'expected a bpmn:definitions root element', rule: 'xml' }],
      warnings,
    };
  }
  const executable = (definitions.rootElements ?? []).filter(
    (e: ModdleElement) => e.$type === 'bpmn:Process' && e.isExecutable,
  );
  if (executable.length === 0) {
    errors.push({
      elementId: definitions.id ?? '',
      message: 'expected at least one executable process (isExecutable="true")',
      rule: 'executable',
    });
    return { processes: [], errors, warnings };
  }
  const linted = await lint(definitions);
  // Lint errors about non-executable pools only warn: nothing will run them.
  const executableIds = new Set<string>([definitions.id ?? '']);
  const collect = (container: ModdleElement) => {
    executableIds.add(container.id);
    for (const el of container.flowElements ?? []) {
      executableIds.add(el.id);
      if (el.flowElements) collect(el);
    }
  };
  executable.forEach(collect);
  for (const problem of linted.errors)
    (executableIds.has(problem.elementId) ? errors : warnings).push(problem);
  warnings.push(...linted.warnings);
  const processes: CompiledProcess[] = [];
  for (const p of executable) {
    const compiled = compileProcess(p, errors);
    if (compiled) processes.push(compiled);
  }
  const seen = new Set<string>();
  const dedupe = (list: Problem[]) =>
    list.filter((p) => {
      const k = `${p.elementId}|${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  return {
    processes: errors.length > 0 ? [] : processes,
    errors: dedupe(errors),
    warnings: dedupe(warnings),
  };
}
