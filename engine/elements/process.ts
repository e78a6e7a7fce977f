import { IncidentSignal } from '../errors/engine-error.js';
import type { ElementBehaviour } from './behaviour.js';

/** The process itself is the root scope: it starts at its none start event and ends the instance. */
export const processBehaviour: ElementBehaviour = {
  types: ['bpmn:Process'],
  activate(run, inst, node) {
    run.openEventSubProcesses(inst, node);
    if (!node.startId) {
      throw new IncidentSignal(
        'UNKNOWN',
        `process <${node.id}> has no none start event; it starts by its triggers`,
      );
    }
    run.activate(node.startId, inst.elementInstanceKey);
  },
  selectOutgoing: () => [],
  afterComplete(run, inst) {
    run.emit('instance.completed', { processInstanceKey: inst.processInstanceKey, endDate: run.nowIso });
  },
};
