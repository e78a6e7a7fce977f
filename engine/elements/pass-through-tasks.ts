import type { ElementBehaviour } from './behaviour.js';

/** Manual tasks and plain tasks are done outside the system: the engine passes through them. */
export const passThroughTaskBehaviour: ElementBehaviour = {
  types: ['bpmn:ManualTask', 'bpmn:Task'],
  activate(run, inst) {
    run.complete(inst);
  },
};
