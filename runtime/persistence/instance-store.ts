import type { Knex } from 'knex';
import type { EngineEvent, InstanceState, VariableRecord } from '../../engine/index.js';
import {
  elementFromRow,
  elementToRow,
  incidentFromRow,
  incidentToRow,
  instanceFromRow,
  instanceToRow,
  jobFromRow,
  jobToRow,
  taskFromRow,
  taskToRow,
} from './rows.js';

/** Thrown when another command changed the instance since it was loaded. */
export class RevisionConflict extends Error {
  constructor(readonly processInstanceKey: string) {
    super(`process instance <${processInstanceKey}> was changed concurrently`);
  }
}

/** Loads the active part of one instance: what a command can touch. Null when it does not exist. */
export async function loadInstanceState(
  trx: Knex.Transaction | Knex,
  processInstanceKey: string,
): Promise<InstanceState | null> {
  const row = await trx('process_instances').where({ process_instance_key: processInstanceKey }).first();
  if (!row) return null;
  const [elements, tasks, jobs, incidents] = await Promise.all([
    trx('element_instances').where({ process_instance_key: processInstanceKey, state: 'ACTIVE' }),
    trx('user_tasks').where({ process_instance_key: processInstanceKey, state: 'CREATED' }),
    trx('jobs')
      .where({ process_instance_key: processInstanceKey })
      .whereIn('state', ['CREATED', 'ACTIVATED', 'FAILED', 'ERROR_THROWN']),
    trx('incidents').where({ process_instance_key: processInstanceKey, state: 'ACTIVE' }),
  ]);
  const scopeKeys = elements.map((e: any) => String(e.element_instance_key));
  const variables = scopeKeys.length
    ? await trx('variables')
        .where({ process_instance_key: processInstanceKey })
        .whereIn('scope_key', scopeKeys)
    : [];
  const state: InstanceState = {
    instance: instanceFromRow(row),
    elements: new Map(elements.map((r: any) => [String(r.element_instance_key), elementFromRow(r)])),
    variables: new Map(),
    userTasks: new Map(tasks.map((r: any) => [String(r.user_task_key), taskFromRow(r)])),
    jobs: new Map(jobs.map((r: any) => [String(r.job_key), jobFromRow(r)])),
    incidents: new Map(incidents.map((r: any) => [String(r.incident_key), incidentFromRow(r)])),
  };
  for (const v of variables) {
    const rec: VariableRecord = {
      variableKey: String(v.variable_key),
      scopeKey: String(v.scope_key),
      name: v.name,
      value: v.value,
    };
    const scope = state.variables.get(rec.scopeKey) ?? new Map();
    state.variables.set(rec.scopeKey, scope);
    scope.set(rec.name, rec);
  }
  return state;
}

const ENDED_JOB_STATES = new Set(['COMPLETED', 'ERROR_THROWN', 'CANCELED']);

/**
 * Writes what the events changed, in the caller's transaction: the instance row (guarded by its
 * revision), upserts of the touched element instances, variables, tasks, jobs and incidents (one
 * statement per table), and one history row per event.
 */
export async function persistDecision(
  trx: Knex.Transaction,
  state: InstanceState,
  events: EngineEvent[],
  meta: { isNew: boolean; actor: string | null; now: string },
): Promise<void> {
  const i = state.instance;
  const touched = {
    elements: new Set<string>(),
    variables: new Set<string>(),
    tasks: new Set<string>(),
    jobs: new Set<string>(),
    incidents: new Set<string>(),
  };
  const resolved = new Map<string, string>();
  for (const e of events) {
    switch (e.type) {
      case 'element.activated':
        touched.elements.add(e.element.elementInstanceKey);
        break;
      case 'element.completed':
      case 'element.terminated':
        touched.elements.add(e.elementInstanceKey);
        break;
      case 'variable.set':
        touched.variables.add(`${e.scopeKey}\u0000${e.name}`);
        break;
      case 'task.created':
        touched.tasks.add(e.task.userTaskKey);
        break;
      case 'task.assigned':
      case 'task.completed':
      case 'task.canceled':
        touched.tasks.add(e.userTaskKey);
        break;
      case 'job.created':
        touched.jobs.add(e.job.jobKey);
        break;
      case 'job.completed':
      case 'job.failed':
      case 'job.error_thrown':
      case 'job.canceled':
      case 'job.retries_updated':
        touched.jobs.add(e.jobKey);
        break;
      case 'incident.created':
        touched.incidents.add(e.incident.incidentKey);
        touched.elements.add(e.incident.elementInstanceKey);
        break;
      case 'incident.resolved':
        touched.incidents.add(e.incidentKey);
        resolved.set(e.incidentKey, e.resolvedAt);
        {
          const inc = state.incidents.get(e.incidentKey);
          if (inc) touched.elements.add(inc.elementInstanceKey);
        }
        break;
      default:
        break;
    }
  }

  if (meta.isNew) {
    i.revision = 1;
    await trx('process_instances').insert(instanceToRow(i));
  } else {
    const updated = await trx('process_instances')
      .where({ process_instance_key: i.processInstanceKey, revision: i.revision })
      .update({
        revision: i.revision + 1,
        state: i.state,
        has_incident: i.hasIncident,
        runtime: JSON.stringify(i.runtime ?? {}),
        end_date: i.endDate,
      });
    if (Number(updated) !== 1) throw new RevisionConflict(i.processInstanceKey);
    i.revision += 1;
  }

  const elementRows = [...touched.elements]
    .map((k) => state.elements.get(k))
    .filter((e) => !!e)
    .map((e) => elementToRow(e!, i));
  if (elementRows.length)
    await trx('element_instances')
      .insert(elementRows)
      .onConflict('element_instance_key')
      .merge(['state', 'end_date', 'incident_key']);

  const variableRows = [...touched.variables].map((id) => {
    const [scopeKey, name] = id.split('\u0000');
    const v = state.variables.get(scopeKey)!.get(name)!;
    return {
      variable_key: v.variableKey,
      process_instance_key: i.processInstanceKey,
      scope_key: v.scopeKey,
      tenant_id: i.tenantId,
      name: v.name,
      value: JSON.stringify(v.value),
    };
  });
  if (variableRows.length)
    await trx('variables').insert(variableRows).onConflict(['scope_key', 'name']).merge(['value']);

  const taskRows = [...touched.tasks].map((k) => taskToRow(state.userTasks.get(k)!));
  if (taskRows.length)
    await trx('user_tasks')
      .insert(taskRows)
      .onConflict('user_task_key')
      .merge(['state', 'assignee', 'completion_date']);

  const jobRows = [...touched.jobs].map((k) => {
    const j = state.jobs.get(k)!;
    return jobToRow(j, ENDED_JOB_STATES.has(j.state) ? meta.now : null);
  });
  if (jobRows.length) {
    await trx('jobs')
      .insert(jobRows)
      .onConflict('job_key')
      .merge(['state', 'retries', 'worker', 'deadline', 'due_at', 'error_message', 'error_code', 'ended_at']);
  }

  const incidentRows = [...touched.incidents].map((k) => {
    const inc = state.incidents.get(k)!;
    return incidentToRow(inc, resolved.get(k) ?? null);
  });
  if (incidentRows.length)
    await trx('incidents').insert(incidentRows).onConflict('incident_key').merge(['state', 'resolved_at']);

  const historyRows = events.map((e) => historyRow(e, state, meta));
  if (historyRows.length) await trx('history_events').insert(historyRows);
}

function historyRow(e: EngineEvent, state: InstanceState, meta: { actor: string | null; now: string }) {
  const { type, processInstanceKey, elementId, ...data } = e as EngineEvent & Record<string, unknown>;
  let elementInstanceKey: string | null = null;
  if (e.type === 'element.activated') elementInstanceKey = e.element.elementInstanceKey;
  else if ('elementInstanceKey' in e)
    elementInstanceKey = (e as { elementInstanceKey: string }).elementInstanceKey;
  else if (e.type === 'variable.set') elementInstanceKey = e.scopeKey;
  return {
    tenant_id: state.instance.tenantId,
    process_instance_key: processInstanceKey,
    element_instance_key: elementInstanceKey,
    element_id: elementId ?? null,
    event_type: type,
    actor: meta.actor,
    data: JSON.stringify(data),
    created_at: meta.now,
  };
}
