import type { ElementBehaviour } from './behaviour.js';

/** Embedded sub-process: a scope of its own that completes when nothing inside it is left. */
export const subProcessBehaviour: ElementBehaviour = {
  types: ['bpmn:SubProcess'],
  compile(el, _node, report) {
    if (el.triggeredByEvent) report('event sub-processes are not supported yet');
    if (el.$type === 'bpmn:Transaction') report('transactions are not supported');
  },
  activate(run, inst, node) {
    run.activate(node.startId!, inst.elementInstanceKey);
  },
};
