import { IncidentSignal } from '../errors/engine-error.js';
import { checkFeelSyntax, evaluateProperty, isFeel } from '../expressions/feel.js';
import type { ModdleElement } from '../model/moddle.js';
import type { Runner } from '../commands/runner.js';
import type { FlowNode } from '../model/types.js';
import type { ElementInstanceRecord } from '../state/types.js';
import type { ElementBehaviour, Report } from './behaviour.js';
import { extension } from './behaviour.js';

export function readTaskHeaders(el: ModdleElement): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of extension(el, 'zeebe:TaskHeaders')?.values ?? []) if (h.key) headers[h.key] = h.value ?? '';
  return headers;
}

/** Reads zeebe:taskDefinition; returns false when the element has none. */
export function compileTaskDefinition(el: ModdleElement, node: FlowNode, report: Report): boolean {
  const def = extension(el, 'zeebe:TaskDefinition');
  if (!def) return false;
  if (!def.type) report('zeebe:taskDefinition needs a job type');
  else if (isFeel(def.type) && checkFeelSyntax(def.type))
    report(`job type is not a valid FEEL expression: ${checkFeelSyntax(def.type)}`);
  node.taskDefinition = { type: def.type ?? '', retries: def.retries ?? '3' };
  node.taskHeaders = readTaskHeaders(el);
  return true;
}

/** Creates the job an external (or built-in) worker activates and completes. */
export function createJob(run: Runner, inst: ElementInstanceRecord, node: FlowNode): void {
  const vars = run.feelContext(inst.elementInstanceKey);
  const type = evaluateProperty(node.taskDefinition!.type, vars, `<${node.id}> job type`);
  if (typeof type !== 'string' || type === '') {
    throw new IncidentSignal(
      'EXTRACT_VALUE_ERROR',
      `<${node.id}> job type: expected a non-empty string, but was ${JSON.stringify(type)}`,
    );
  }
  const retriesValue = evaluateProperty(node.taskDefinition!.retries, vars, `<${node.id}> job retries`);
  const retries = Number(retriesValue ?? 3);
  if (!Number.isInteger(retries) || retries < 0) {
    throw new IncidentSignal(
      'EXTRACT_VALUE_ERROR',
      `<${node.id}> job retries: expected a non-negative integer, but was ${JSON.stringify(retriesValue)}`,
    );
  }
  run.createJob(inst, node.id, {
    type,
    kind: 'BPMN_ELEMENT',
    retries,
    dueAt: run.nowIso,
    customHeaders: node.taskHeaders ?? {},
  });
}

/** Service and send tasks are jobs of their zeebe:taskDefinition type. */
export const jobTaskBehaviour: ElementBehaviour = {
  types: ['bpmn:ServiceTask', 'bpmn:SendTask'],
  compile(el, node, report) {
    if (
      el.implementation &&
      /##WebService/.test(el.implementation) === false &&
      !extension(el, 'zeebe:TaskDefinition')
    ) {
      report(`implementation '${el.implementation}' is not supported; use a zeebe:taskDefinition job type`);
      return;
    }
    if (!compileTaskDefinition(el, node, report)) {
      report(`expected a zeebe:taskDefinition with a job type on <${el.id}>`);
    }
  },
  activate: createJob,
};
