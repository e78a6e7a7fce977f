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

/** Column lists of the runtime tables; int8 columns are read as text so keys stay exact in JSON. */
const COLUMNS: Record<string, { keys: string[]; other: string[] }> = {
  element_instances: {
    keys: ['element_instance_key', 'process_instance_key', 'flow_scope_key', 'incident_key'],
    other: ['element_id', 'element_name', 'element_type', 'state', 'start_date', 'end_date'],
  },
  user_tasks: {
    keys: [
      'user_task_key',
      'element_instance_key',
      'process_instance_key',
      'process_definition_key',
      'form_key',
    ],
    other: [
      'process_definition_id',
      'process_definition_version',
      'element_id',
      'name',
      'tenant_id',
      'state',
      'assignee',
      'candidate_groups',
      'candidate_users',
      'due_date',
      'follow_up_date',
      'priority',
      'form_id',
      'embedded_form',
      'custom_headers',
      'creation_date',
      'completion_date',
    ],
  },
  jobs: {
    keys: ['job_key', 'process_instance_key', 'element_instance_key', 'process_definition_key'],
    other: [
      'type',
      'kind',
      'state',
      'tenant_id',
      'element_id',
      'process_definition_id',
      'process_definition_version',
      'retries',
      'worker',
      'deadline',
      'due_at',
      'custom_headers',
      'error_message',
      'error_code',
      'created_at',
    ],
  },
  incidents: {
    keys: [
      'incident_key',
      'process_instance_key',
      'process_definition_key',
      'element_instance_key',
      'job_key',
    ],
    other: [
      'tenant_id',
      'process_definition_id',
      'element_id',
      'error_type',
      'error_message',
      'state',
      'retry_phase',
      'creation_time',
    ],
  },
  variables: { keys: ['variable_key', 'scope_key'], other: ['name', 'value'] },
};

function aggregate(table: string, where: string): string {
  const c = COLUMNS[table];
  const cols = [...c.keys.map((k) => `${k}::text as ${k}`), ...c.other].join(', ');
  return `(select coalesce(json_agg(x), '[]'::json) from (select ${cols} from ${table} where ${where}) x) as ${table}`;
}

const LOAD_SQL = `select pi.*,
  ${aggregate('element_instances', "process_instance_key = pi.process_instance_key and state = 'ACTIVE'")},
  ${aggregate('user_tasks', "process_instance_key = pi.process_instance_key and state = 'CREATED'")},
  ${aggregate('jobs', "process_instance_key = pi.process_instance_key and state in ('CREATED', 'ACTIVATED', 'FAILED', 'ERROR_THROWN')")},
  ${aggregate('incidents', "process_instance_key = pi.process_instance_key and state = 'ACTIVE'")},
  ${aggregate(
    'variables',
    "process_instance_key = pi.process_instance_key and scope_key in (select element_instance_key from element_instances e where e.process_instance_key = pi.process_instance_key and e.state = 'ACTIVE')",
  )}
  from process_instances pi where pi.process_instance_key = `;

/** Where to find the instance a command is about: the instance itself, or a row that names it. */
export type InstanceLocator =
  | { by: 'instance'; key: string }
  | { by: 'user_task' | 'job' | 'incident'; key: string };

const LOCATORS: Record<InstanceLocator['by'], string> = {
  instance: '?',
  user_task: '(select process_instance_key from user_tasks where user_task_key = ?)',
  job: '(select process_instance_key from jobs where job_key = ?)',
  incident: '(select process_instance_key from incidents where incident_key = ?)',
};

/**
 * Loads the active part of one instance (what a command can touch) in one round trip, found by its
 * key or by the key of one of its tasks, jobs or incidents. Null when there is none.
 */
export async function loadInstanceState(
  trx: Knex.Transaction | Knex,
  locator: InstanceLocator | string,
): Promise<InstanceState | null> {
  const loc: InstanceLocator = typeof locator === 'string' ? { by: 'instance', key: locator } : locator;
  const result = await trx.raw(LOAD_SQL + LOCATORS[loc.by], [loc.key]);
  const row = result.rows[0];
  if (!row) return null;
  const state: InstanceState = {
    instance: instanceFromRow(row),
    elements: new Map(row.element_instances.map((r: any) => [r.element_instance_key, elementFromRow(r)])),
    variables: new Map(),
    userTasks: new Map(row.user_tasks.map((r: any) => [r.user_task_key, taskFromRow(r)])),
    jobs: new Map(row.jobs.map((r: any) => [r.job_key, jobFromRow(r)])),
    incidents: new Map(row.incidents.map((r: any) => [r.incident_key, incidentFromRow(r)])),
  };
  for (const v of row.variables) {
    const rec: VariableRecord = {
      variableKey: v.variable_key,
      scopeKey: v.scope_key,
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

  // Every row write goes to the database as one statement of data-modifying CTEs: one round trip
  // however many tables a command touched. The revision-guarded instance write above runs first,
  // so concurrent commands on one instance queue on that row and never deadlock here.
  const writes: Knex.QueryBuilder[] = [];
  const elementRows = [...touched.elements]
    .map((k) => state.elements.get(k))
    .filter((e) => !!e)
    .map((e) => elementToRow(e!, i));
  if (elementRows.length) {
    writes.push(
      trx('element_instances')
        .insert(elementRows)
        .onConflict('element_instance_key')
        .merge(['state', 'end_date', 'incident_key']),
    );
  }

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
    writes.push(trx('variables').insert(variableRows).onConflict(['scope_key', 'name']).merge(['value']));

  const taskRows = [...touched.tasks].map((k) => taskToRow(state.userTasks.get(k)!));
  if (taskRows.length) {
    writes.push(
      trx('user_tasks')
        .insert(taskRows)
        .onConflict('user_task_key')
        .merge(['state', 'assignee', 'completion_date']),
    );
  }

  const jobRows = [...touched.jobs].map((k) => {
    const j = state.jobs.get(k)!;
    return jobToRow(j, ENDED_JOB_STATES.has(j.state) ? meta.now : null);
  });
  if (jobRows.length) {
    writes.push(
      trx('jobs')
        .insert(jobRows)
        .onConflict('job_key')
        .merge([
          'state',
          'retries',
          'worker',
          'deadline',
          'due_at',
          'error_message',
          'error_code',
          'ended_at',
        ]),
    );
  }

  const incidentRows = [...touched.incidents].map((k) =>
    incidentToRow(state.incidents.get(k)!, resolved.get(k) ?? null),
  );
  if (incidentRows.length)
    writes.push(
      trx('incidents').insert(incidentRows).onConflict('incident_key').merge(['state', 'resolved_at']),
    );

  const historyRows = events.map((e) => historyRow(e, state, meta));
  if (historyRows.length) writes.push(trx('history_events').insert(historyRows));

  await runAsOneStatement(trx, writes);
}

/** Runs several insert/upsert statements as one statement of data-modifying CTEs. */
async function runAsOneStatement(trx: Knex.Transaction, writes: Knex.QueryBuilder[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1) {
    await writes[0];
    return;
  }
  const parts: string[] = [];
  const bindings: unknown[] = [];
  writes.forEach((w, n) => {
    const q = w.toSQL();
    parts.push(`w${n} as (${q.sql})`);
    bindings.push(...q.bindings);
  });
  await trx.raw(`with ${parts.join(', ')} select 1`, bindings as Knex.RawBinding[]);
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
