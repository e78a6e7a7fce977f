import type { ModdleElement } from '../model/moddle.js';
import type { ElementBehaviour, Report } from './behaviour.js';

function eventDefinitionsOf(el: ModdleElement): ModdleElement[] {
  return el.eventDefinitions ?? [];
}

function rejectEventDefinitions(el: ModdleElement, report: Report, allowed: string[] = []): void {
  for (const def of eventDefinitionsOf(el)) {
    if (allowed.includes(def.$type)) continue;
    const kind = def.$type.replace('bpmn:', '').replace('EventDefinition', '').toLowerCase();
    if (kind === 'compensate') report('compensation is not supported; remove the compensation event');
    else report(`${kind} events are not supported yet (${el.$type.replace('bpmn:', '')})`);
  }
}

/** None start events pass straight through. */
export const startEventBehaviour: ElementBehaviour = {
  types: ['bpmn:StartEvent'],
  compile(el, _node, report) {
    rejectEventDefinitions(el, report);
  },
  activate(run, inst) {
    run.complete(inst);
  },
};

/** None end events end their token; terminate end events end every token of their scope. */
export const endEventBehaviour: ElementBehaviour = {
  types: ['bpmn:EndEvent'],
  compile(el, node, report) {
    rejectEventDefinitions(el, report, ['bpmn:TerminateEventDefinition']);
    node.eventKind = eventDefinitionsOf(el).some((d) => d.$type === 'bpmn:TerminateEventDefinition')
      ? 'terminate'
      : 'none';
  },
  activate(run, inst) {
    run.complete(inst);
  },
  selectOutgoing: () => [],
  afterComplete(run, inst, node) {
    if (node.eventKind === 'terminate') run.terminateScope(inst.flowScopeKey);
  },
};

/** A none intermediate throw event marks a milestone and passes through. */
export const intermediateThrowEventBehaviour: ElementBehaviour = {
  types: ['bpmn:IntermediateThrowEvent'],
  compile(el, _node, report) {
    rejectEventDefinitions(el, report);
  },
  activate(run, inst) {
    run.complete(inst);
  },
};

/** Catch events need timers, messages or signals: they come with the event issue. */
export const unsupportedCatchEventBehaviour: ElementBehaviour = {
  types: ['bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent'],
  compile(el, _node, report) {
    if (el.$type === 'bpmn:BoundaryEvent' && eventDefinitionsOf(el).length === 0)
      report('boundary events need an event definition');
    rejectEventDefinitions(el, report);
  },
  activate() {
    throw new Error('unreachable: rejected at deploy time');
  },
};
