import { IncidentSignal } from '../errors/engine-error.js';
import type { ElementBehaviour } from './behaviour.js';
import { extension } from './behaviour.js';
import { compileTaskDefinition, createJob } from './job-task.js';

/**
 * A business rule task runs a deployed json-rules-engine rule set (lf:calledRuleSet) with the
 * visible variables as facts, or is a job when it has a zeebe:taskDefinition.
 */
export const businessRuleTaskBehaviour: ElementBehaviour = {
  types: ['bpmn:BusinessRuleTask'],
  compile(el, node, report) {
    const ruleSet = extension(el, 'lf:CalledRuleSet');
    if (ruleSet) {
      if (!ruleSet.ruleSetId) report('lf:calledRuleSet needs a ruleSetId');
      if (!ruleSet.resultVariable) report('lf:calledRuleSet needs a resultVariable');
      node.ruleSet = { ruleSetId: ruleSet.ruleSetId ?? '', resultVariable: ruleSet.resultVariable };
      return;
    }
    if (extension(el, 'zeebe:CalledDecision')) {
      report('DMN decisions are not supported; call a rule set with lf:calledRuleSet instead');
      return;
    }
    if (!compileTaskDefinition(el, node, report))
      report('expected lf:calledRuleSet or a zeebe:taskDefinition');
  },
  async activate(run, inst, node) {
    if (!node.ruleSet) return createJob(run, inst, node);
    let result: unknown;
    try {
      result = await run.ctx.services.evaluateRuleSet(
        run.state.instance.tenantId,
        node.ruleSet.ruleSetId,
        run.variablesFor(inst.elementInstanceKey),
      );
    } catch (err) {
      throw new IncidentSignal(
        'DECISION_EVALUATION_ERROR',
        `rule set <${node.ruleSet.ruleSetId}> at <${node.id}>: ${(err as Error).message}`,
      );
    }
    if (node.ruleSet.resultVariable)
      run.mergeCompletionVariables(inst, { [node.ruleSet.resultVariable]: result });
    run.complete(inst);
  },
};
