import type { ElementBehaviour } from './behaviour.js';

/** Embedded sub-process: a scope of its own that completes when nothing inside it is left. */
export const subProcessBehaviour: ElementBehaviour = {
  types: ['bpmn:SubProcess'],
  compile(el, _node, report) {
    if (el.$type === 'bpmn:Transaction') report('transactions are not supported');
  },
  activate(run, inst, node) {
    // Event sub-processes are started by their trigger (Runner.triggerEvent), never by a token.
    if (node.triggeredByEvent) return;
    run.openEventSubProcesses(inst, node);
    run.activate(node.startId!, inst.elementInstanceKey);
  },
  selectOutgoing: (run, inst, node) => (node.triggeredByEvent ? [] : run.defaultOutgoing(inst, node)),
};
