import type { Runner } from '../commands/runner.js';
import type { ModdleElement } from '../model/moddle.js';
import type { FlowNode, SequenceFlow } from '../model/types.js';
import type { ElementInstanceRecord } from '../state/types.js';

/** Reports an executability problem found while compiling one element. */
export type Report = (message: string) => void;

/**
 * The lifecycle hooks of one BPMN element type, as in Zeebe's element processors. Behaviours are
 * registered by moddle type in registry.ts; shared capabilities come through the Runner.
 */
export interface ElementBehaviour {
  /** Moddle types handled, e.g. `bpmn:UserTask`. */
  readonly types: readonly string[];
  /** Reads extension elements into the compiled node and reports what cannot run. */
  compile?(el: ModdleElement, node: FlowNode, report: Report): void;
  /** Checks the compiled node once all sequence flows are known. */
  validate?(
    node: FlowNode,
    flows: Map<string, SequenceFlow>,
    report: Report,
    nodes: Map<string, FlowNode>,
  ): void;
  /** Called once the element instance exists and its input mappings are applied. */
  activate(run: Runner, inst: ElementInstanceRecord, node: FlowNode): void | Promise<void>;
  /** The flows to take on completion; default: unconditional flows plus true conditional ones. */
  selectOutgoing?(run: Runner, inst: ElementInstanceRecord, node: FlowNode): string[];
  /** After the element completed, before its outgoing flows are taken. */
  afterComplete?(run: Runner, inst: ElementInstanceRecord, node: FlowNode): void;
  /** Cleanup when the element instance is terminated (children are terminated by the runner). */
  terminate?(run: Runner, inst: ElementInstanceRecord, node: FlowNode): void;
  /** Whether tokens arriving at this node wait at a join instead of activating it. */
  isJoin?(node: FlowNode): boolean;
  onArrival?(run: Runner, scopeKey: string, node: FlowNode): void;
  canFireJoin?(run: Runner, scopeKey: string, node: FlowNode): boolean;
}

/** Helpers to read zeebe / lifeflow extension elements off a moddle element. */
export function extension(el: ModdleElement, type: string): ModdleElement | undefined {
  return el.extensionElements?.values?.find((v: ModdleElement) => v.$instanceOf?.(type) || v.$type === type);
}
