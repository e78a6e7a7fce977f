import { IncidentSignal } from '../errors/engine-error.js';
import type { EventDefinitionSpec } from '../model/types.js';
import { readEventDefinition } from '../model/event-definitions.js';
import { type ElementBehaviour, extension, type Report } from './behaviour.js';
import { compileTaskDefinition, createJob } from './job-task.js';
import type { Runner } from '../commands/runner.js';
import type { FlowNode } from '../model/types.js';
import type { ElementInstanceRecord } from '../state/types.js';

/** Messages a process waits for are matched by name and correlation key. */
function requireCorrelationKey(node: FlowNode, report: Report): void {
  if (node.event?.kind === 'message' && node.event.correlationKey === undefined) {
    report('a message catch event needs a zeebe:subscription correlationKey on its message');
  }
}

/**
 * Throwing a signal: the broadcast is written as a job of kind SIGNAL in the same transaction and
 * delivered by the job executor, so it is never lost and never blocks this instance.
 */
function throwSignal(run: Runner, inst: ElementInstanceRecord, node: FlowNode): void {
  if (node.event?.kind !== 'signal') return;
  const vars = Object.fromEntries(
    [...(run.state.variables.get(inst.elementInstanceKey)?.values() ?? [])].map((v) => [v.name, v.value]),
  );
  run.requestSignalBroadcast(inst, node, vars);
}

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
    compileEvent(
      el,
      node,
      report,
      ['none', 'timer', 'message', 'signal', 'error', 'escalation'],
      'start events',
    );
  },
  validate(node, _flows, report, nodes) {
    const kind = node.event?.kind;
    if ((kind === 'error' || kind === 'escalation') && !nodes.get(node.scopeId)?.triggeredByEvent) {
      report(`${kind} start events belong in event sub-processes`);
    }
    if (kind === 'error' && node.isInterrupting === false) report('an error start event always interrupts');
    if (
      kind === 'message' &&
      nodes.get(node.scopeId)?.triggeredByEvent &&
      node.event?.kind === 'message' &&
      node.event.correlationKey === undefined
    ) {
      report(
        'a message start event of an event sub-process needs a zeebe:subscription correlationKey on its message',
      );
    }
  },
  activate(run, inst) {
    run.complete(inst);
  },
};

/** None end events end their token; terminate end events end every token of their scope. */
export const endEventBehaviour: ElementBehaviour = {
  types: ['bpmn:EndEvent'],
  compile(el, node, report) {
    compileEvent(
      el,
      node,
      report,
      ['none', 'terminate', 'signal', 'message', 'error', 'escalation'],
      'end events',
    );
    if (node.event?.kind === 'error' && !node.event.errorCode)
      report('an error end event needs an error with an error code');
    // <lf:outcome value="rejected"/>: reaching this end means the request was turned down (驳回).
    const outcome = extension(el, 'lf:Outcome');
    if (outcome) {
      if (outcome.value === 'completed' || outcome.value === 'rejected') node.outcome = outcome.value;
      else report(`lf:outcome must be 'completed' or 'rejected', not '${outcome.value ?? ''}'`);
    }
    if (node.event?.kind === 'message' && !compileTaskDefinition(el, node, report)) {
      report('a message end event is sent by a job: it needs a zeebe:taskDefinition');
    }
  },
  activate(run, inst, node) {
    if (node.event?.kind === 'message') return createJob(run, inst, node);
    if (node.event?.kind === 'error') {
      if (!run.throwError(inst, node.event.errorCode)) {
        throw new IncidentSignal(
          'UNHANDLED_ERROR_EVENT',
          `expected to catch the error '${node.event.errorCode}' thrown by <${node.id}>, but no boundary or event sub-process catches it`,
        );
      }
      return;
    }
    if (node.event?.kind === 'escalation') run.throwEscalation(inst, node.event.escalationCode);
    throwSignal(run, inst, node);
    if (inst.state === 'ACTIVE') run.complete(inst);
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
    compileEvent(
      el,
      node,
      report,
      ['none', 'signal', 'message', 'escalation', 'link'],
      'intermediate throw events',
    );
    if (node.event?.kind === 'message' && !compileTaskDefinition(el, node, report)) {
      report('a message throw event is sent by a job: it needs a zeebe:taskDefinition');
    }
  },
  validate(node, _flows, report, nodes) {
    if (node.event?.kind !== 'link') return;
    const name = node.event.linkName;
    const catches = [...nodes.values()].filter(
      (n) =>
        n.type === 'bpmn:IntermediateCatchEvent' &&
        n.scopeId === node.scopeId &&
        n.event?.kind === 'link' &&
        n.event.linkName === name,
    );
    if (catches.length !== 1)
      report(
        `expected exactly one link catch event named '${name}' in the same scope, but found ${catches.length}`,
      );
    else node.linkTarget = catches[0].id;
  },
  activate(run, inst, node) {
    if (node.event?.kind === 'message') return createJob(run, inst, node);
    if (node.event?.kind === 'escalation') run.throwEscalation(inst, node.event.escalationCode);
    throwSignal(run, inst, node);
    if (inst.state === 'ACTIVE') run.complete(inst);
  },
  selectOutgoing: (run, inst, node) => (node.event?.kind === 'link' ? [] : run.defaultOutgoing(inst, node)),
  afterComplete(run, inst, node) {
    // A link throw continues at its catch event, as if a sequence flow led there.
    if (node.linkTarget) run.activate(node.linkTarget, inst.flowScopeKey);
  },
};

/** An intermediate catch event waits for its trigger (a timer), then continues. */
export const intermediateCatchEventBehaviour: ElementBehaviour = {
  types: ['bpmn:IntermediateCatchEvent'],
  compile(el, node, report) {
    compileEvent(el, node, report, ['timer', 'message', 'signal', 'link'], 'intermediate catch events');
    if (!node.event) report('an intermediate catch event needs a trigger');
    requireCorrelationKey(node, report);
  },
  activate(run, inst, node) {
    // A link catch event is reached by its throw event and continues at once.
    if (node.event?.kind === 'link') run.complete(inst);
    else run.openEventSubscriptions(inst, [inst.elementId]);
  },
};

/**
 * Boundary events are opened with the activity they are attached to; when their trigger fires the
 * runner creates them (see Runner.triggerEvent) and they complete at once.
 */
export const boundaryEventBehaviour: ElementBehaviour = {
  types: ['bpmn:BoundaryEvent'],
  compile(el, node, report) {
    compileEvent(el, node, report, ['timer', 'message', 'signal', 'error', 'escalation'], 'boundary events');
    if (node.event?.kind === 'error' && el.cancelActivity === false)
      report('an error boundary event always interrupts');
    if (!node.event) report('a boundary event needs a trigger');
    requireCorrelationKey(node, report);
  },
  activate(run, inst) {
    run.complete(inst);
  },
};

/** A receive task waits for its message, like a message catch event. */
export const receiveTaskBehaviour: ElementBehaviour = {
  types: ['bpmn:ReceiveTask'],
  compile(el, node, report) {
    if (!el.messageRef?.name) {
      report('a receive task needs a message with a name');
      return;
    }
    node.event = readEventDefinition(
      { eventDefinitions: [{ $type: 'bpmn:MessageEventDefinition', messageRef: el.messageRef }] },
      report,
    );
    requireCorrelationKey(node, report);
  },
  activate(run, inst) {
    run.openEventSubscriptions(inst, [inst.elementId]);
  },
};

/** An event-based gateway waits for the first of the events after it; that one wins. */
export const eventBasedGatewayBehaviour: ElementBehaviour = {
  types: ['bpmn:EventBasedGateway'],
  validate(node, flows, report, nodes) {
    if (node.outgoing.length < 2) report('an event-based gateway needs at least two outgoing flows');
    for (const flowId of node.outgoing) {
      const flow = flows.get(flowId);
      if (flow?.condition)
        report(`the outgoing flow <${flowId}> of an event-based gateway cannot have a condition`);
      const target = flow && nodes.get(flow.targetId);
      const waits =
        target &&
        ((target.type === 'bpmn:IntermediateCatchEvent' && target.event) ||
          target.type === 'bpmn:ReceiveTask');
      if (target && !waits)
        report(`expected <${target.id}> after the event-based gateway to be a catch event or a receive task`);
    }
  },
  activate(run, inst, node) {
    const targets = node.outgoing.map((f) => run.process.flows.get(f)!.targetId);
    for (const id of targets) {
      const target = run.node(id);
      const ok =
        (target.type === 'bpmn:IntermediateCatchEvent' || target.type === 'bpmn:ReceiveTask') && target.event;
      if (!ok) throw new Error(`unreachable: <${id}> after an event-based gateway was not validated`);
    }
    run.openEventSubscriptions(inst, targets);
  },
};
