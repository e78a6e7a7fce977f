/** A compiled, executable view of one BPMN process, cached per definition version. */

export interface IoMapping {
  source: string;
  target: string;
}

export interface UserTaskProps {
  assignee?: string;
  candidateGroups?: string;
  candidateUsers?: string;
  dueDate?: string;
  followUpDate?: string;
  priority?: string;
  formId?: string;
  externalFormReference?: string;
  /** form-js schema embedded in the model (zeebe:UserTaskForm referenced by formKey). */
  embeddedForm?: unknown;
}

export interface FlowNode {
  id: string;
  name?: string;
  /** The moddle type, e.g. `bpmn:UserTask`. */
  type: string;
  /** Id of the process or sub-process that contains this node. */
  scopeId: string;
  incoming: string[];
  outgoing: string[];
  defaultFlow?: string;
  inputs: IoMapping[];
  outputs: IoMapping[];
  /** For end events: `terminate` when it carries a terminateEventDefinition. */
  eventKind?: 'none' | 'terminate';
  userTask?: UserTaskProps;
  taskDefinition?: { type: string; retries: string };
  taskHeaders?: Record<string, string>;
  script?: { expression: string; resultVariable?: string };
  ruleSet?: { ruleSetId: string; resultVariable?: string };
  /** For sub-processes: the id of their none start event. */
  startId?: string;
}

export interface SequenceFlow {
  id: string;
  name?: string;
  sourceId: string;
  targetId: string;
  /** FEEL expression (with leading `=`) or undefined when unconditional. */
  condition?: string;
}

export interface CompiledProcess {
  id: string;
  name?: string;
  versionTag?: string;
  startId: string;
  nodes: Map<string, FlowNode>;
  flows: Map<string, SequenceFlow>;
  /**
   * For each inclusive join gateway: for each node in its scope, the incoming flows of the gateway
   * that a token at that node can still reach without passing through the gateway itself.
   */
  inclusiveReach: Map<string, Map<string, Set<string>>>;
}

export interface Problem {
  /** Element id the problem is about, or the definitions id. */
  elementId: string;
  message: string;
  /** bpmnlint rule name or our own check name. */
  rule: string;
}

export interface CompileResult {
  processes: CompiledProcess[];
  errors: Problem[];
  warnings: Problem[];
}
