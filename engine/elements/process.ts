import type { ElementBehaviour } from './behaviour.js';

/** The process itself is the root scope: it starts at its none start event and ends the instance. */
export const processBehaviour: ElementBehaviour = {
  types: ['bpmn:Process'],
  activate(run, inst, node) {
    run.activate(node.startId!, inst.elementInstanceKey);
  },
  selectOutgoing: () => [],
  afterComplete(run, inst) {
    run.emit('instance.completed', { processInstanceKey: inst.processInstanceKey, endDate: run.nowIso });
  },
};
