import { IncidentSignal } from '../errors/engine-error.js';
import type { Runner } from '../commands/runner.js';
import type { FlowNode } from '../model/types.js';
import type { ElementInstanceRecord } from '../state/types.js';
import type { ElementBehaviour } from './behaviour.js';

function conditionalOutgoing(
  run: Runner,
  inst: ElementInstanceRecord,
  node: FlowNode,
  firstOnly: boolean,
): string[] {
  const vars = run.feelContext(inst.elementInstanceKey);
  const taken: string[] = [];
  for (const flowId of node.outgoing) {
    if (flowId === node.defaultFlow) continue;
    const flow = run.process.flows.get(flowId)!;
    if (!flow.condition || run.evaluateCondition(flowId, flow.condition, vars, node.id)) {
      taken.push(flowId);
      if (firstOnly) break;
    }
  }
  if (taken.length > 0) return taken;
  if (node.defaultFlow) return [node.defaultFlow];
  if (node.outgoing.length === 0) return [];
  throw new IncidentSignal(
    'CONDITION_ERROR',
    `expected <${node.id}> to have a true condition or a default flow`,
  );
}

/** Exclusive gateway: the first outgoing flow whose condition is true, else the default flow. */
export const exclusiveGatewayBehaviour: ElementBehaviour = {
  types: ['bpmn:ExclusiveGateway'],
  validate(node, flows, report) {
    if (node.outgoing.length < 2) return;
    for (const flowId of node.outgoing) {
      if (flowId !== node.defaultFlow && !flows.get(flowId)?.condition) {
        report(`expected the outgoing flow <${flowId}> to have a condition or to be the default flow`);
      }
    }
  },
  activate(run, inst) {
    run.complete(inst);
  },
  selectOutgoing: (run, inst, node) => conditionalOutgoing(run, inst, node, true),
};

function allArrived(run: Runner, scopeKey: string, node: FlowNode): boolean {
  const arrivals = run.joinArrivals(scopeKey, node.id);
  return node.incoming.every((f) => (arrivals[f] ?? 0) > 0);
}

/** Parallel gateway: forks on every outgoing flow; joins when a token came on every incoming flow. */
export const parallelGatewayBehaviour: ElementBehaviour = {
  types: ['bpmn:ParallelGateway'],
  activate(run, inst) {
    run.complete(inst);
  },
  selectOutgoing: (_run, _inst, node) => node.outgoing,
  isJoin: (node) => node.incoming.length > 1,
  onArrival(run, scopeKey, node) {
    if (allArrived(run, scopeKey, node)) run.fireJoin(scopeKey, node.id);
  },
  canFireJoin: allArrived,
};

/**
 * Inclusive gateway: forks on every flow whose condition is true (else the default); joins once no
 * token that is still alive in the scope can reach one of its incoming flows that has none yet.
 */
export const inclusiveGatewayBehaviour: ElementBehaviour = {
  types: ['bpmn:InclusiveGateway'],
  activate(run, inst) {
    run.complete(inst);
  },
  selectOutgoing: (run, inst, node) => conditionalOutgoing(run, inst, node, false),
  isJoin: (node) => node.incoming.length > 1,
  canFireJoin(run, scopeKey, node) {
    const arrivals = run.joinArrivals(scopeKey, node.id);
    const missing = node.incoming.filter((f) => !(arrivals[f] > 0));
    if (Object.keys(arrivals).length === 0) return false;
    if (missing.length === 0) return true;
    const reach = run.process.inclusiveReach.get(node.id);
    if (!reach) return true;
    const canStillArrive = (fromNodeId: string) => {
      const reachable = reach.get(fromNodeId);
      return !!reachable && missing.some((f) => reachable.has(f));
    };
    for (const child of run.activeChildren(scopeKey)) if (canStillArrive(child.elementId)) return false;
    const joins = run.state.instance.runtime.joins?.[scopeKey] ?? {};
    for (const otherGateway of Object.keys(joins)) {
      if (otherGateway !== node.id && canStillArrive(otherGateway)) return false;
    }
    return true;
  },
};
