import type {
  ElementInstanceRecord,
  EventSubscriptionRecord,
  IncidentRecord,
  InstanceRuntime,
  JobRecord,
  ProcessInstanceRecord,
  UserTaskRecord,
} from './types.js';

/**
 * The one typed event map. Events are past tense; each carries what the runtime needs to write its
 * rows and the history entry. `actor` is added by the runtime from the command context.
 */
export interface EngineEventMap {
  'instance.created': { instance: ProcessInstanceRecord };
  'instance.completed': { processInstanceKey: string; endDate: string };
  'instance.terminated': {
    processInstanceKey: string;
    endDate: string;
    /** 撤回: the initiator withdrew the request before anyone acted on it. */
    reason?: 'WITHDRAWN';
    comment?: string | null;
  };
  'instance.runtime_updated': { processInstanceKey: string; runtime: InstanceRuntime };
  'element.activated': { element: ElementInstanceRecord };
  'element.completed': { elementInstanceKey: string; elementId: string; endDate: string };
  'element.terminated': { elementInstanceKey: string; elementId: string; endDate: string };
  'flow.taken': { flowId: string; sourceId: string; targetId: string; scopeKey: string };
  'variable.set': {
    variableKey: string;
    scopeKey: string;
    name: string;
    value: unknown;
    /** undefined when the variable is new */
    previous?: unknown;
    created: boolean;
  };
  'task.created': { task: UserTaskRecord };
  'task.assigned': {
    userTaskKey: string;
    assignee: string | null;
    previous: string | null;
    /** Why, for the history: a transfer (转办) with the transferrer's comment, or an escalation. */
    operation?: 'TRANSFER' | 'ESCALATE';
    comment?: string | null;
  };
  'task.completed': { userTaskKey: string; completionDate: string; variables: Record<string, unknown> };
  'task.canceled': { userTaskKey: string; completionDate: string };
  'job.created': { job: JobRecord };
  'job.completed': { jobKey: string; endDate: string; variables: Record<string, unknown> };
  'job.failed': { jobKey: string; retries: number; errorMessage: string | null; dueAt: string };
  'job.error_thrown': { jobKey: string; errorCode: string; errorMessage: string | null; endDate: string };
  'job.canceled': { jobKey: string; endDate: string };
  'job.retries_updated': { jobKey: string; retries: number };
  'incident.created': { incident: IncidentRecord };
  'subscription.opened': { subscription: EventSubscriptionRecord };
  /** A call activity asks the runtime for a child instance. */
  'call.requested': {
    elementInstanceKey: string;
    processId: string;
    bindingType: 'latest' | 'versionTag';
    versionTag: string | null;
    variables: Record<string, unknown>;
  };
  /** An error nobody in this called instance caught: it is thrown at the parent's call activity. */
  'call.error_thrown': {
    parentElementInstanceKey: string;
    errorCode: string | null;
    variables: Record<string, unknown>;
  };
  /** An escalation nobody in this called instance caught: it goes to the parent's call activity. */
  'call.escalation_thrown': { parentElementInstanceKey: string; escalationCode: string | null };
  /** 委派: the assignee lent the task to a delegate, who resolves it back to them. */
  'task.delegated': { userTaskKey: string; owner: string; delegate: string; comment: string | null };
  'task.resolved': { userTaskKey: string; owner: string; delegate: string; comment: string | null };
  /** Who an approval went to by its org-chart strategy, and why. */
  'approval.routed': {
    elementInstanceKey: string;
    /** The node's strategy, or `assignees` for approvers listed or computed (FEEL) in the model. */
    strategy: import('../model/types.js').ApproverStrategy | { kind: 'assignees'; assignees: string };
    approvers: string[];
    reason: string;
  };
  /** 加签 / 减签: signers were added to or removed from a running approval. */
  'approval.signers_changed': {
    elementInstanceKey: string;
    added: string[];
    removed: string[];
    /** Where the added went, relative to `signer` (the task's approver). */
    position?: 'alongside' | 'before' | 'after' | 'end';
    signer?: string | null;
    comment: string | null;
  };
  /** lf:timeout: a reminder that the task still waits. */
  'task.reminded': { userTaskKey: string; assignee: string | null; dueDate: string | null };
  /** lf:timeout: the task is due and its action happens (escalate: to whom, and why). */
  'task.timed_out': {
    userTaskKey: string;
    action: 'approve' | 'reject' | 'escalate';
    assignee: string | null;
    escalatedTo?: string | null;
    reason?: string;
  };
  /** An administrator moved tokens (process instance modification): elements started and ended. */
  'instance.modified': {
    activated: Array<{ elementId: string; flowScopeKey: string }>;
    terminated: Array<{ elementInstanceKey: string; elementId: string }>;
  };
  /** 拿回: whoever completed a task took it back before the next step was acted on. */
  'task.taken_back': { userTaskKey: string; elementId: string; comment: string | null };
  /** 退回: the task was sent back to an earlier user task, with the returner's comment. */
  'task.returned': { userTaskKey: string; targetElementId: string; comment: string; assignee: string | null };
  /** An approval node was decided (by its mode, over the signers' decisions so far). */
  'approval.completed': {
    elementInstanceKey: string;
    approved: boolean;
    decisions: Array<{ approver: string; decision: string; comment: unknown }>;
    endsProcess: boolean;
  };
  /** A call activity ended early: its child instance must be cancelled. */
  'call.terminated': { elementInstanceKey: string };
  'subscription.closed': { subscriptionKey: string };
  'incident.resolved': { incidentKey: string; resolvedAt: string };
}

export type EngineEventType = keyof EngineEventMap;

export type EngineEvent = {
  [K in EngineEventType]: { type: K; processInstanceKey: string; elementId?: string } & EngineEventMap[K];
}[EngineEventType];

export type EventOf<K extends EngineEventType> = Extract<EngineEvent, { type: K }>;
