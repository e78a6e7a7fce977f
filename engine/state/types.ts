import type { CycleState } from '../expressions/timers.js';

/**
 * Runtime records of one process instance, as the engine sees them. The runtime loads the active
 * ones for a command, the engine emits events, and `apply` folds each event into this state.
 * Keys are 64-bit integers as decimal strings; dates are ISO-8601 strings.
 */

export type InstanceStatus = 'ACTIVE' | 'COMPLETED' | 'TERMINATED';

export interface ProcessInstanceRecord {
  processInstanceKey: string;
  tenantId: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processDefinitionVersion: number;
  state: InstanceStatus;
  businessKey: string | null;
  initiator: string | null;
  revision: number;
  hasIncident: boolean;
  runtime: InstanceRuntime;
  parentProcessInstanceKey: string | null;
  parentElementInstanceKey: string | null;
  startDate: string;
  endDate: string | null;
}

/** Bookkeeping that is not an element instance: tokens waiting at joins, per flow scope key. */
export interface InstanceRuntime {
  /** scopeKey -> gatewayId -> incoming flowId -> number of tokens arrived */
  joins?: Record<string, Record<string, Record<string, number>>>;
  /** Scopes in which an interrupting event sub-process started: they accept no other. */
  interruptedScopes?: string[];
  /** Sequential multi-instance bodies (by key): the items of their input collection still to run. */
  miItems?: Record<string, unknown[]>;
  /**
   * Approvers picked by people for approval nodes (by element id): by the initiator at the start
   * (发起人自选) or by whoever decided the step before (审批人自选).
   */
  approverPicks?: Record<string, { users: string[]; by: string | null; source: 'initiator' | 'previous' }>;
  /**
   * 退回 with resubmit="returner": when the returned-to element (`scopeKey/elementId`) completes,
   * the flow goes straight back to the element that returned it instead of along the path.
   */
  resubmitTo?: Record<string, string>;
  /** 加签 before/after in parallel approvals (by body key): signers whose task opens later. */
  heldSigners?: Record<string, HeldSigner[]>;
}

/** A signer of a parallel approval whose task opens once everyone in `after` has decided. */
export interface HeldSigner {
  user: string;
  /** Their slot among the approval's decisions. */
  index: number;
  after: string[];
}

export interface ElementInstanceRecord {
  elementInstanceKey: string;
  processInstanceKey: string;
  /** Key of the enclosing scope (process instance or sub-process); '-1' for the process itself. */
  flowScopeKey: string;
  elementId: string;
  elementName: string | null;
  elementType: string;
  state: InstanceStatus;
  incidentKey: string | null;
  startDate: string;
  endDate: string | null;
}

export interface VariableRecord {
  variableKey: string;
  scopeKey: string;
  name: string;
  value: unknown;
}

export type UserTaskState = 'CREATED' | 'COMPLETED' | 'CANCELED';

export interface UserTaskRecord {
  /** 委派: who lent the task to its current assignee, and whether it is still lent. */
  owner?: string | null;
  delegationState?: 'PENDING' | 'RESOLVED' | null;
  userTaskKey: string;
  elementInstanceKey: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processDefinitionVersion: number;
  elementId: string;
  name: string | null;
  tenantId: string;
  state: UserTaskState;
  assignee: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate: string | null;
  followUpDate: string | null;
  priority: number;
  formKey: string | null;
  formId: string | null;
  embeddedForm: unknown | null;
  customHeaders: Record<string, string>;
  creationDate: string;
  completionDate: string | null;
}

export type JobState = 'CREATED' | 'ACTIVATED' | 'FAILED' | 'COMPLETED' | 'ERROR_THROWN' | 'CANCELED';

export interface JobRecord {
  jobKey: string;
  type: string;
  /**
   * BPMN_ELEMENT: work for a worker; TIMER: a timer the job executor fires when due; SIGNAL: a
   * signal broadcast the executor delivers (type = signal name, variables in customHeaders).
   */
  kind: 'BPMN_ELEMENT' | 'TIMER' | 'SIGNAL';
  state: JobState;
  tenantId: string;
  processInstanceKey: string;
  elementInstanceKey: string;
  /** For timers: the event element that fires (a boundary, catch or start event). */
  elementId: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processDefinitionVersion: number;
  retries: number;
  worker: string | null;
  deadline: string | null;
  dueAt: string;
  customHeaders: Record<string, string>;
  errorMessage: string | null;
  errorCode: string | null;
  createdAt: string;
  /** For cycle timers: how the cycle continues after this one fired (null: it was the last). */
  timerCycle?: CycleState | null;
}

export type IncidentState = 'ACTIVE' | 'RESOLVED';

export interface IncidentRecord {
  incidentKey: string;
  tenantId: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  elementInstanceKey: string;
  elementId: string;
  jobKey: string | null;
  errorType: string;
  errorMessage: string;
  state: IncidentState;
  /** Which step of the element to run again when the incident is resolved. */
  retryPhase: 'ACTIVATE' | 'COMPLETE' | 'JOB';
  creationTime: string;
}

/**
 * A waiting message or signal trigger: the event element it triggers, on behalf of an owner
 * element instance (the catch event or receive task itself, the activity of a boundary event, the
 * scope of an event sub-process, or an event-based gateway).
 */
export interface EventSubscriptionRecord {
  subscriptionKey: string;
  kind: 'MESSAGE' | 'SIGNAL';
  tenantId: string;
  name: string;
  correlationKey: string | null;
  processInstanceKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  elementInstanceKey: string;
  elementId: string;
  /** false for non-interrupting boundary events and event sub-process starts: they stay open. */
  interrupting: boolean;
  state: 'ACTIVE' | 'CLOSED';
  createdAt: string;
}

/** Everything the engine needs of one instance to run a command. */
export interface InstanceState {
  instance: ProcessInstanceRecord;
  /** Active element instances (plus those ended during the current command). */
  elements: Map<string, ElementInstanceRecord>;
  /** scopeKey -> name -> variable */
  variables: Map<string, Map<string, VariableRecord>>;
  userTasks: Map<string, UserTaskRecord>;
  jobs: Map<string, JobRecord>;
  incidents: Map<string, IncidentRecord>;
  subscriptions: Map<string, EventSubscriptionRecord>;
}

export function emptyState(instance: ProcessInstanceRecord): InstanceState {
  return {
    instance,
    elements: new Map(),
    variables: new Map(),
    userTasks: new Map(),
    jobs: new Map(),
    incidents: new Map(),
    subscriptions: new Map(),
  };
}
