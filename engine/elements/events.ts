import type { EventDefinitionSpec } from '../model/types.js';
import { readEventDefinition } from '../model/event-definitions.js';
import type { ElementBehaviour, Report } from './behaviour.js';

type Kind = EventDefinitionSpec['kind'] | 'none';

/** Reads the event definition and reports kinds this element cannot have (yet). */
function compileEvent(el: any, node: any, report: Report, allowed: Kind[], where: string): void {
  node.event = readEventDefinition(el, report);
  if ((el.eventDefinitions ?? []).length > 0 && !node.event) return; // already reported
  const kind: Kind = node.event?.kind ?? 'none';
  if (!allowed.includes(kind)) report(`${kind} ${where} are not supported yet`);
}

/** Start events: none (the instance starts there), or timers of the process or of an event sub-process. */
export const startEventBehaviour: ElementBehaviour = {
  types: ['bpmn:StartEvent'],
  compile(el, node, report) {
    compileEvent(el, node, report, ['none', 'timer'], 'start events');
  },
  activate(run, inst) {
    run.complete(inst);
  },
};

/** None end events end their token; terminate end events end every token of their scope. */
export const endEventBehaviour: ElementBehaviour = {
  types: ['bpmn:EndEvent'],
  compile(el, node, report) {
    compileEvent(el, node, report, ['none', 'terminate'], 'end events');
  },
  activate(run, inst) {
    run.complete(inst);
  },
  selectOutgoing: () => [],
  afterComplete(run, inst, node) {
    if (node.event?.kind === 'terminate') run.terminateScope(inst.flowScopeKey);
  },
};

/** A none intermediate throw event marks a milestone and passes through. */
export const intermediateThrowEventBehaviour: ElementBehaviour = {
  types: ['bpmn:IntermediateThrowEvent'],
  compile(el, node, report) {
    compileEvent(el, node, report, ['none'], 'intermediate throw events');
  },
  activate(run, inst) {
    run.complete(inst);
  },
};

/** An intermediate catch event waits for its trigger (a timer), then continues. */
export const intermediateCatchEventBehaviour: ElementBehaviour = {
  types: ['bpmn:IntermediateCatchEvent'],
  compile(el, node, report) {
    compileEvent(el, node, report, ['timer'], 'intermediate catch events');
    if (!node.event) report('an intermediate catch event needs a trigger');
  },
  activate(run, inst) {
    run.openEventSubscriptions(inst, [inst.elementId]);
  },
};

/**
 * Boundary events are opened with the activity they are attached to; when their trigger fires the
 * runner creates them (see Runner.triggerEvent) and they complete at once.
 */
export const boundaryEventBehaviour: ElementBehaviour = {
  types: ['bpmn:BoundaryEvent'],
  compile(el, node, report) {
    compileEvent(el, node, report, ['timer'], 'boundary events');
    if (!node.event) report('a boundary event needs a trigger');
  },
  activate(run, inst) {
    run.complete(inst);
  },
};
