import { iso } from '../persistence/rows.js';

/** Row -> API shapes, in Camunda 8 REST v2 field names. Keys are strings, dates ISO-8601. */

export const elementType = (bpmnType: string) =>
  bpmnType
    .replace(/^bpmn:/, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase();

const key = (v: unknown) => (v === null || v === undefined ? null : String(v));

export const processDefinitionView = (r: any) => ({
  processDefinitionKey: String(r.process_definition_key),
  processDefinitionId: r.process_definition_id,
  name: r.name ?? null,
  resourceName: r.resource_name,
  version: r.version,
  versionTag: r.version_tag ?? null,
  tenantId: r.tenant_id,
  hasStartForm: false,
});

export const processInstanceView = (r: any) => ({
  processInstanceKey: String(r.process_instance_key),
  processDefinitionId: r.process_definition_id,
  processDefinitionName: r.process_definition_name ?? null,
  processDefinitionVersion: r.process_definition_version,
  processDefinitionKey: String(r.process_definition_key),
  parentProcessInstanceKey: key(r.parent_process_instance_key),
  parentElementInstanceKey: key(r.parent_element_instance_key),
  businessKey: r.business_key ?? null,
  initiator: r.initiator ?? null,
  startDate: iso(r.start_date),
  endDate: iso(r.end_date),
  state: r.state,
  hasIncident: r.has_incident,
  tenantId: r.tenant_id,
});

export const userTaskView = (r: any) => ({
  userTaskKey: String(r.user_task_key),
  name: r.name ?? null,
  state: r.state,
  assignee: r.assignee ?? null,
  elementId: r.element_id,
  elementInstanceKey: String(r.element_instance_key),
  candidateGroups: r.candidate_groups ?? [],
  candidateUsers: r.candidate_users ?? [],
  owner: r.owner ?? null,
  delegationState: r.delegation_state ?? null,
  processDefinitionId: r.process_definition_id,
  processDefinitionKey: String(r.process_definition_key),
  processDefinitionVersion: r.process_definition_version,
  processInstanceKey: String(r.process_instance_key),
  formKey: key(r.form_key),
  hasEmbeddedForm: r.embedded_form !== null && r.embedded_form !== undefined,
  creationDate: iso(r.creation_date),
  completionDate: iso(r.completion_date),
  dueDate: iso(r.due_date),
  followUpDate: iso(r.follow_up_date),
  priority: r.priority,
  customHeaders: r.custom_headers ?? {},
  tenantId: r.tenant_id,
});

export const elementInstanceView = (r: any) => ({
  elementInstanceKey: String(r.element_instance_key),
  processInstanceKey: String(r.process_instance_key),
  processDefinitionKey: String(r.process_definition_key),
  processDefinitionId: r.process_definition_id,
  elementId: r.element_id,
  elementName: r.element_name ?? null,
  type: elementType(r.element_type),
  state: r.state,
  hasIncident: r.incident_key !== null && r.incident_key !== undefined,
  incidentKey: key(r.incident_key),
  startDate: iso(r.start_date),
  endDate: iso(r.end_date),
  tenantId: r.tenant_id,
});

export const variableView = (r: any) => ({
  variableKey: String(r.variable_key),
  name: r.name,
  value: JSON.stringify(r.value),
  isTruncated: false,
  scopeKey: String(r.scope_key),
  processInstanceKey: String(r.process_instance_key),
  tenantId: r.tenant_id,
});

export const incidentView = (r: any) => ({
  incidentKey: String(r.incident_key),
  processDefinitionKey: String(r.process_definition_key),
  processDefinitionId: r.process_definition_id,
  processInstanceKey: String(r.process_instance_key),
  elementInstanceKey: String(r.element_instance_key),
  elementId: r.element_id,
  jobKey: key(r.job_key),
  errorType: r.error_type,
  errorMessage: r.error_message,
  state: r.state,
  creationTime: iso(r.creation_time),
  tenantId: r.tenant_id,
});

/** A job as the monitor lists it (Camunda's job search result, with Lifeflow's kind and due date). */
export const jobView = (r: any) => ({
  jobKey: String(r.job_key),
  type: r.type,
  kind: r.kind,
  state: r.state,
  retries: Number(r.retries),
  worker: r.worker ?? null,
  errorMessage: r.error_message ?? null,
  errorCode: r.error_code ?? null,
  elementId: r.element_id ?? null,
  elementInstanceKey: r.element_instance_key == null ? null : String(r.element_instance_key),
  processInstanceKey: r.process_instance_key == null ? null : String(r.process_instance_key),
  processDefinitionKey: r.process_definition_key == null ? null : String(r.process_definition_key),
  processDefinitionId: r.process_definition_id ?? null,
  deadline: r.deadline ? new Date(r.deadline).toISOString() : null,
  dueDate: r.due_at ? new Date(r.due_at).toISOString() : null,
  creationTime: r.created_at ? new Date(r.created_at).toISOString() : null,
  endTime: r.ended_at ? new Date(r.ended_at).toISOString() : null,
  tenantId: r.tenant_id,
});
