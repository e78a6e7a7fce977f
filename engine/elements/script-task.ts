import { IncidentSignal } from '../errors/engine-error.js';
import { checkFeelSyntax, evaluateFeel, isFeel } from '../expressions/feel.js';
import type { ElementBehaviour } from './behaviour.js';
import { extension } from './behaviour.js';
import { compileTaskDefinition, createJob } from './job-task.js';

/**
 * A script task evaluates a zeebe:script FEEL expression into its result variable, or is a job
 * when it has a zeebe:taskDefinition. Inline scripts in other languages are never run.
 */
export const scriptTaskBehaviour: ElementBehaviour = {
  types: ['bpmn:ScriptTask'],
  compile(el, node, report) {
    if (el.script || (el.scriptFormat && !extension(el, 'zeebe:Script'))) {
      report(
        `scripts in '${el.scriptFormat ?? 'an unknown language'}' are not evaluated; use a zeebe:script FEEL expression`,
      );
      return;
    }
    const script = extension(el, 'zeebe:Script');
    if (script) {
      if (!script.expression || !isFeel(script.expression))
        report('zeebe:script needs a FEEL expression starting with =');
      else if (checkFeelSyntax(script.expression))
        report(`zeebe:script is not a valid FEEL expression: ${checkFeelSyntax(script.expression)}`);
      if (!script.resultVariable) report('zeebe:script needs a resultVariable');
      node.script = { expression: script.expression ?? '', resultVariable: script.resultVariable };
      return;
    }
    if (!compileTaskDefinition(el, node, report))
      report('expected a zeebe:script expression or a zeebe:taskDefinition');
  },
  activate(run, inst, node) {
    if (!node.script) return createJob(run, inst, node);
    const result = evaluateFeel(node.script.expression, run.feelContext(inst.elementInstanceKey));
    if (!result.ok)
      throw new IncidentSignal('EXTRACT_VALUE_ERROR', `script of <${node.id}>: ${result.message}`);
    if (node.script.resultVariable)
      run.mergeCompletionVariables(inst, { [node.script.resultVariable]: result.value });
    run.complete(inst);
  },
};
