import { checkFeelSyntax, isFeel } from '../expressions/feel.js';
import type { ElementBehaviour } from './behaviour.js';
import { extension } from './behaviour.js';

/**
 * A call activity starts an instance of another process (latest version, or the one with a version
 * tag) and waits for it. Variables go down (all visible ones by default, or only the input
 * mappings) and come back up on completion (all of the child's by default, or only the output
 * mappings). The runtime creates the child in the same transaction ('call.requested'), completes
 * the activity when the child completes, and cancels the child when the activity is terminated.
 */
export const callActivityBehaviour: ElementBehaviour = {
  types: ['bpmn:CallActivity'],
  compile(el, node, report) {
    const called = extension(el, 'zeebe:CalledElement');
    const processId: string | undefined = called?.processId ?? called?.processIdExpression;
    if (!processId) {
      report('a call activity needs a zeebe:calledElement with a processId');
      return;
    }
    if (isFeel(processId) && checkFeelSyntax(processId))
      report(`processId is not a valid FEEL expression: ${checkFeelSyntax(processId)}`);
    const bindingType: string = called.bindingType ?? 'latest';
    if (!['latest', 'versionTag'].includes(bindingType))
      report(`bindingType '${bindingType}' is not supported; use latest or versionTag`);
    if (bindingType === 'versionTag' && !called.versionTag)
      report('bindingType versionTag needs a versionTag');
    node.callActivity = {
      processId,
      bindingType: bindingType === 'versionTag' ? 'versionTag' : 'latest',
      versionTag: called.versionTag,
      propagateAllChildVariables: called.propagateAllChildVariables !== false,
      propagateAllParentVariables: called.propagateAllParentVariables !== false,
    };
  },
  activate(run, inst, node) {
    const call = node.callActivity!;
    const processId = run.eventTextOf(inst, node.id, 'called processId', call.processId)!;
    const variables = call.propagateAllParentVariables
      ? run.variablesFor(inst.elementInstanceKey)
      : Object.fromEntries(
          [...(run.state.variables.get(inst.elementInstanceKey)?.values() ?? [])].map((v) => [
            v.name,
            v.value,
          ]),
        );
    run.emit(
      'call.requested',
      {
        elementInstanceKey: inst.elementInstanceKey,
        processId,
        bindingType: call.bindingType,
        versionTag: call.versionTag ?? null,
        variables,
      },
      node.id,
    );
  },
  terminate(run, inst) {
    run.emit('call.terminated', { elementInstanceKey: inst.elementInstanceKey }, inst.elementId);
  },
};
