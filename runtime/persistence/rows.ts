import type {
  ElementInstanceRecord,
  EventSubscriptionRecord,
  IncidentRecord,
  JobRecord,
  ProcessInstanceRecord,
  UserTaskRecord,
} from '../../engine/index.js';

/** Row <-> record mapping for the runtime tables. Keys are decimal strings on both drivers. */

export const iso = (d: Date | string | null | undefined): string | null =>
  d === null || d === undefined ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function instanceFromRow(r: any): ProcessInstanceRecord {
  return {
    processInstanceKey: String(r.process_instance_key),
    tenantId: r.tenant_id,
    processDefinitionKey: String(r.process_definition_key),
    processDefinitionId: r.process_definition_id,
    processDefinitionVersion: r.process_definition_version,
    state: r.state,
    businessKey: r.business_key,
    initiator: r.initiator,
    revision: r.revision,
    hasIncident: r.has_incident,
    runtime: r.runtime ?? {},
    parentProcessInstanceKey: str(r.parent_process_instance_key),
    parentElementInstanceKey: str(r.parent_element_instance_key),
    startDate: iso(r.start_date)!,
    endDate: iso(r.end_date),
  };
}

export function instanceToRow(i: ProcessInstanceRecord) {
  return {
    process_instance_key: i.processInstanceKey,
    tenant_id: i.tenantId,
    process_definition_key: i.processDefinitionKey,
    process_definition_id: i.processDefinitionId,
    process_definition_version: i.processDefinitionVersion,
    state: i.state,
    business_key: i.businessKey,
    initiator: i.initiator,
    revision: i.revision,
    has_incident: i.hasIncident,
    runtime: JSON.stringify(i.runtime ?? {}),
    parent_process_instance_key: i.parentProcessInstanceKey,
    parent_element_instance_key: i.parentElementInstanceKey,
    start_date: i.startDate,
    end_date: i.endDate,
  };
}

export function elementFromRow(r: any): ElementInstanceRecord {
  return {
    elementInstanceKey: String(r.element_instance_key),
    processInstanceKey: String(r.process_instance_key),
    flowScopeKey: String(r.flow_scope_key),
    elementId: r.element_id,
    elementName: r.element_name,
    elementType: r.element_type,
    state: r.state,
    incidentKey: str(r.incident_key),
    startDate: iso(r.start_date)!,
    endDate: iso(r.end_date),
  };
}

export function elementToRow(e: ElementInstanceRecord, i: ProcessInstanceRecord) {
  return {
    element_instance_key: e.elementInstanceKey,
    process_instance_key: e.processInstanceKey,
    flow_scope_key: e.flowScopeKey,
    tenant_id: i.tenantId,
    process_definition_key: i.processDefinitionKey,
    process_definition_id: i.processDefinitionId,
    element_id: e.elementId,
    element_name: e.elementName,
    element_type: e.elementType,
    state: e.state,
    incident_key: e.incidentKey,
    start_date: e.startDate,
    end_date: e.endDate,
  };
}

export function taskFromRow(r: any): UserTaskRecord {
  return {
    userTaskKey: String(r.user_task_key),
    elementInstanceKey: String(r.element_instance_key),
    processInstanceKey: String(r.process_instance_key),
    processDefinitionKey: String(r.process_definition_key),
    processDefinitionId: r.process_definition_id,
    processDefinitionVersion: r.process_definition_version,
    elementId: r.element_id,
    name: r.name,
    tenantId: r.tenant_id,
    state: r.state,
    assignee: r.assignee,
    candidateGroups: r.candidate_groups ?? [],
    candidateUsers: r.candidate_users ?? [],
    owner: r.owner ?? null,
    delegationState: r.delegation_state ?? null,
    dueDate: iso(r.due_date),
    followUpDate: iso(r.follow_up_date),
    priority: r.priority,
    formKey: str(r.form_key),
    formId: r.form_id,
    embeddedForm: r.embedded_form ?? null,
    customHeaders: r.custom_headers ?? {},
    creationDate: iso(r.creation_date)!,
    completionDate: iso(r.completion_date),
  };
}

export function taskToRow(t: UserTaskRecord) {
  return {
    user_task_key: t.userTaskKey,
    element_instance_key: t.elementInstanceKey,
    process_instance_key: t.processInstanceKey,
    process_definition_key: t.processDefinitionKey,
    process_definition_id: t.processDefinitionId,
    process_definition_version: t.processDefinitionVersion,
    element_id: t.elementId,
    name: t.name,
    tenant_id: t.tenantId,
    state: t.state,
    assignee: t.assignee,
    candidate_groups: t.candidateGroups,
    candidate_users: t.candidateUsers,
    owner: t.owner ?? null,
    delegation_state: t.delegationState ?? null,
    due_date: t.dueDate,
    follow_up_date: t.followUpDate,
    priority: t.priority,
    form_key: t.formKey,
    form_id: t.formId,
    embedded_form: t.embeddedForm === null ? null : JSON.stringify(t.embeddedForm),
    custom_headers: JSON.stringify(t.customHeaders),
    creation_date: t.creationDate,
    completion_date: t.completionDate,
  };
}

export function jobFromRow(r: any): JobRecord {
  return {
    jobKey: String(r.job_key),
    type: r.type,
    kind: r.kind,
    state: r.state,
    tenantId: r.tenant_id,
    processInstanceKey: str(r.process_instance_key)!,
    elementInstanceKey: str(r.element_instance_key)!,
    elementId: r.element_id,
    processDefinitionKey: String(r.process_definition_key),
    processDefinitionId: r.process_definition_id,
    processDefinitionVersion: r.process_definition_version,
    retries: r.retries,
    worker: r.worker,
    deadline: iso(r.deadline),
    dueAt: iso(r.due_at)!,
    customHeaders: r.custom_headers ?? {},
    errorMessage: r.error_message,
    errorCode: r.error_code,
    createdAt: iso(r.created_at)!,
    timerCycle: r.timer_cycle ?? null,
  };
}

export function jobToRow(j: JobRecord, endedAt: string | null) {
  return {
    job_key: j.jobKey,
    type: j.type,
    kind: j.kind,
    state: j.state,
    tenant_id: j.tenantId,
    process_instance_key: j.processInstanceKey,
    element_instance_key: j.elementInstanceKey,
    element_id: j.elementId,
    process_definition_key: j.processDefinitionKey,
    process_definition_id: j.processDefinitionId,
    process_definition_version: j.processDefinitionVersion,
    retries: j.retries,
    worker: j.worker,
    deadline: j.deadline,
    due_at: j.dueAt,
    custom_headers: JSON.stringify(j.customHeaders),
    error_message: j.errorMessage,
    error_code: j.errorCode,
    created_at: j.createdAt,
    ended_at: endedAt,
    timer_cycle: j.timerCycle ? JSON.stringify(j.timerCycle) : null,
  };
}

export function incidentFromRow(r: any): IncidentRecord {
  return {
    incidentKey: String(r.incident_key),
    tenantId: r.tenant_id,
    processInstanceKey: String(r.process_instance_key),
    processDefinitionKey: String(r.process_definition_key),
    processDefinitionId: r.process_definition_id,
    elementInstanceKey: String(r.element_instance_key),
    elementId: r.element_id,
    jobKey: str(r.job_key),
    errorType: r.error_type,
    errorMessage: r.error_message,
    state: r.state,
    retryPhase: r.retry_phase,
    creationTime: iso(r.creation_time)!,
  };
}

export function incidentToRow(i: IncidentRecord, resolvedAt: string | null) {
  return {
    incident_key: i.incidentKey,
    tenant_id: i.tenantId,
    process_instance_key: i.processInstanceKey,
    process_definition_key: i.processDefinitionKey,
    process_definition_id: i.processDefinitionId,
    element_instance_key: i.elementInstanceKey,
    element_id: i.elementId,
    job_key: i.jobKey,
    error_type: i.errorType,
    error_message: i.errorMessage,
    state: i.state,
    retry_phase: i.retryPhase,
    creation_time: i.creationTime,
    resolved_at: resolvedAt,
  };
}

export function subscriptionFromRow(r: any): EventSubscriptionRecord {
  return {
    subscriptionKey: String(r.subscription_key),
    kind: r.kind,
    tenantId: r.tenant_id,
    name: r.name,
    correlationKey: r.correlation_key ?? null,
    processInstanceKey: str(r.process_instance_key)!,
    processDefinitionKey: String(r.process_definition_key),
    processDefinitionId: r.process_definition_id,
    elementInstanceKey: str(r.element_instance_key)!,
    elementId: r.element_id,
    interrupting: r.interrupting,
    state: r.state,
    createdAt: iso(r.created_at)!,
  };
}

export function subscriptionToRow(s: EventSubscriptionRecord) {
  return {
    subscription_key: s.subscriptionKey,
    kind: s.kind,
    tenant_id: s.tenantId,
    name: s.name,
    correlation_key: s.correlationKey,
    process_instance_key: s.processInstanceKey,
    process_definition_key: s.processDefinitionKey,
    process_definition_id: s.processDefinitionId,
    element_instance_key: s.elementInstanceKey,
    element_id: s.elementId,
    interrupting: s.interrupting,
    state: s.state,
    created_at: s.createdAt,
  };
}
