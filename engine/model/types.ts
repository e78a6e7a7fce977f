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

export type EventDefinitionSpec =
  | { kind: 'timer'; timer: { type: 'date' | 'duration' | 'cycle'; expression: string } }
  | { kind: 'message'; messageName: string; correlationKey?: string }
  | { kind: 'signal'; signalName: string }
  /** errorCode undefined: catches every error */
  | { kind: 'error'; errorCode?: string; errorName?: string }
  | { kind: 'escalation'; escalationCode?: string }
  | { kind: 'link'; linkName: string }
  | { kind: 'terminate' };

export interface TaskTimeout {
  /** ISO 8601 duration in working time, e.g. PT4H. */
  remindEvery?: string;
  /** ISO 8601 duration in working time, e.g. P2D: when the task is due and the action happens. */
  after?: string;
  /** What happens when it is due: approve / reject (approvals only), escalate, or notify only. */
  action: 'approve' | 'reject' | 'escalate' | 'notify';
  calendar?: string;
}

export type ApprovalMode = 'single' | 'all' | 'any' | 'sequential' | 'vote';

export interface ApprovalSpec {
  /** single: one approver; all (会签): everyone; any (或签): the first decision; sequential (依次); vote (票签). */
  mode: ApprovalMode;
  /** For vote: the share of approvals needed (0 < passRatio <= 1). */
  passRatio?: number;
  /**
   * On rejection: `continue` along the outgoing flow with approved = false (route with a gateway),
   * `end` the process as rejected, or `return` to an earlier user task (`returnTo`), as 退回 does.
   */
  onReject: 'continue' | 'end' | 'return';
  /** With onReject="return": `previous`, `initiator` or an element id. */
  returnTo?: string;
  /** The model's `assignees` (usernames, or FEEL), when there is no strategy. */
  assignees?: string;
  /** Who approves, when not listed (`assignees`): resolved from the org chart when the node starts. */
  strategy?: ApproverStrategy;
  /** When the strategy finds nobody: an incident (default), the tenant's administrators, or pass. */
  onEmpty: 'incident' | 'admin' | 'skip';
}

export type ApproverStrategy =
  | { kind: 'initiator' }
  /** The initiator's department head, and the heads above it up to `levels` (连续多级主管). */
  | { kind: 'initiatorHead'; levels: number }
  | { kind: 'departmentMembers'; department: string }
  | { kind: 'group'; group: string }
  | { kind: 'role'; role: string }
  /** 发起人自选: the initiator names the approvers when starting the instance. */
  | { kind: 'initiatorPicks' }
  /** 审批人自选: whoever decides the step before names the approvers of this one. */
  | { kind: 'previousPicks' }
  /** A rule set over the instance's variables names them (`approvers` in its result params). */
  | { kind: 'ruleSet'; ruleSetId: string };

export interface MultiInstanceSpec {
  sequential: boolean;
  /** FEEL giving the list to iterate (zeebe:loopCharacteristics inputCollection). */
  inputCollection?: string;
  /** Variable holding the current item, local to each instance. */
  inputElement?: string;
  /** Variable that collects each instance's outputElement, in order. */
  outputCollection?: string;
  outputElement?: string;
  /** FEEL evaluated after each instance completes; true ends the activity early. */
  completionCondition?: string;
  /** FEEL or number of instances when there is no input collection (bpmn loopCardinality). */
  cardinality?: string;
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
  /**
   * For approval user tasks (`lf:approval`): how the signers decide. The task runs as a
   * multi-instance over the approvers; `approved` tells the flow after it how it went.
   */
  approval?: ApprovalSpec;
  /**
   * For user tasks (`lf:returnPolicy`): after this task returned the flow (退回), whether the
   * resubmission comes straight back here (`returner`) or runs the path again (`path`, default).
   */
  returnPolicy?: { resubmit: 'path' | 'returner' };
  /**
   * For user tasks (`lf:timeout`): reminders every `remindEvery` and, `after` the task opened,
   * an automatic approval, rejection or escalation to the assignee's head — both measured in
   * working time on a working calendar (`calendar`, the tenant's default when absent).
   */
  timeout?: TaskTimeout;
  /** For end events: how reaching it ends the process for its starter (`lf:outcome`). */
  outcome?: 'completed' | 'rejected';
  /** For events: the event definition (absent for none events). */
  event?: EventDefinitionSpec;
  /** For activities: the boundary events attached to it. */
  boundaries?: string[];
  /** For boundary events: the activity they are attached to, and whether they interrupt it. */
  attachedTo?: string;
  cancelActivity?: boolean;
  /** For start events of event sub-processes: whether they interrupt the enclosing scope. */
  isInterrupting?: boolean;
  /** For scopes (process, sub-process): the start events of their event sub-processes. */
  eventSubProcessStarts?: string[];
  /** For event sub-processes. */
  triggeredByEvent?: boolean;
  /** For link throw events: the catch link event of the same name in the same scope. */
  linkTarget?: string;
  /** Call activities: which process to call and which variables cross. */
  callActivity?: {
    processId: string;
    bindingType: 'latest' | 'versionTag';
    versionTag?: string;
    propagateAllChildVariables: boolean;
    propagateAllParentVariables: boolean;
  };
  /** Multi-instance activities: how many instances, over what, collecting what, until when. */
  multiInstance?: MultiInstanceSpec;
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
