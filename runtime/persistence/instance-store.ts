import type { Knex } from 'knex';
import type { EngineEvent, InstanceState, VariableRecord } from '../../engine/index.js';
import {
  subscriptionFromRow,
  subscriptionToRow,
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

/** NOTIFY channels: a timer was created (payload empty); a job of a type was created (payload: type). */
export const TIMERS_CHANNEL = 'lifeflow_timers';
export const JOBS_CHANNEL = 'lifeflow_jobs';

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
      'owner',
      'delegation_state',
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
      'timer_cycle',
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
  event_subscriptions: {
    keys: ['subscription_key', 'process_instance_key', 'process_definition_key', 'element_instance_key'],
    other: [
      'kind',
      'tenant_id',
      'name',
      'correlation_key',
      'process_definition_id',
      'element_id',
      'interrupting',
      'state',
      'created_at',
    ],
  },
};

function aggregate(table: string, where: string): string {
  const c = COLUMNS[table];
  const cols = [...c.keys.map((k) => `${k}::text as ${k}`), ...c.other].join(', ');
  return `(select coalesce(json_agg(x), '[]'::json) from (select ${cols} from ${table} where ${where}) x) as ${table}`;
}

/** Where to find the instance a command is about: the instance itself, or a row that names it. */
export type InstanceLocator =
  | { by: 'instance'; key: string }
  | { by: 'user_task' | 'job' | 'incident' | 'element_instance' | 'subscription'; key: string };

const LOCATORS: Record<InstanceLocator['by'], { where: string; target?: [string, string] }> = {
  instance: { where: '?' },
  user_task: {
    where: '(select process_instance_key from user_tasks where user_task_key = ?)',
    target: ['user_tasks', 'user_task_key'],
  },
  job: { where: '(select process_instance_key from jobs where job_key = ?)', target: ['jobs', 'job_key'] },
  subscription: {
    where: '(select process_instance_key from event_subscriptions where subscription_key = ?)',
    target: ['event_subscriptions', 'subscription_key'],
  },
  element_instance: {
    where: '(select process_instance_key from element_instances where element_instance_key = ?)',
  },
  incident: {
    where: '(select process_instance_key from incidents where incident_key = ?)',
    target: ['incidents', 'incident_key'],
  },
};

/**
 * The load statement per locator: the active rows of the instance, plus the row the command
 * names whatever its state (so completing a completed task is "already completed", not "unknown").
 */
function loadSql(by: InstanceLocator['by']): string {
  const { where, target } = LOCATORS[by];
  const active = (table: string, condition: string) =>
    aggregate(
      table,
      `process_instance_key = pi.process_instance_key and (${condition}${target?.[0] === table ? ` or ${target[1]} = ?` : ''})`,
    );
  return `select pi.*,
  ${aggregate('element_instances', "process_instance_key = pi.process_instance_key and state = 'ACTIVE'")},
  ${active('user_tasks', "state = 'CREATED'")},
  ${active('jobs', "state in ('CREATED', 'ACTIVATED', 'FAILED', 'ERROR_THROWN')")},
  ${active('incidents', "state = 'ACTIVE'")},
  ${active('event_subscriptions', "state = 'ACTIVE'")},
  ${aggregate(
    'variables',
    "process_instance_key = pi.process_instance_key and scope_key in (select element_instance_key from element_instances e where e.process_instance_key = pi.process_instance_key and e.state = 'ACTIVE')",
  )}
  from process_instances pi where pi.process_instance_key = ${where}`;
}

const LOAD_SQL = Object.fromEntries(
  Object.keys(LOCATORS).map((by) => [by, loadSql(by as InstanceLocator['by'])]),
) as Record<InstanceLocator['by'], string>;

/**
 * Locks the instance's row until the transaction ends. Commands are optimistic (a revision guard)
 * and run without it; a command that lost a race takes the lock before it tries again, so on a
 * busy instance (twenty signers of one 会签 deciding at once) they queue instead of racing again.
 * A statement of its own: the load that follows then reads what the previous holder committed.
 */
export async function lockInstance(trx: Knex.Transaction, locator: InstanceLocator): Promise<void> {
  await trx
    .raw(
      `select 1 from process_instances pi where pi.process_instance_key = ${LOCATORS[locator.by].where} for update`,
      [locator.key],
    )
    .options({ name: `lf_lock_${locator.by}` });
}

/**
 * Loads the active part of one instance (what a command can touch) in one round trip, found by its
 * key or by the key of one of its tasks, jobs or incidents. Null when there is none.
 */
export async function loadInstanceState(
  trx: Knex.Transaction | Knex,
  locator: InstanceLocator | string,
): Promise<InstanceState | null> {
  const loc: InstanceLocator = typeof locator === 'string' ? { by: 'instance', key: locator } : locator;
  const bindings = LOCATORS[loc.by].target ? [loc.key, loc.key] : [loc.key];
  // A named statement: PostgreSQL plans this large query once per connection, not per command.
  const result = await trx.raw(LOAD_SQL[loc.by], bindings).options({ name: `lf_load_${loc.by}` });
  const row = result.rows[0];
  if (!row) return null;
  const state: InstanceState = {
    instance: instanceFromRow(row),
    elements: new Map(row.element_instances.map((r: any) => [r.element_instance_key, elementFromRow(r)])),
    variables: new Map(),
    userTasks: new Map(row.user_tasks.map((r: any) => [r.user_task_key, taskFromRow(r)])),
    jobs: new Map(row.jobs.map((r: any) => [r.job_key, jobFromRow(r)])),
    incidents: new Map(row.incidents.map((r: any) => [r.incident_key, incidentFromRow(r)])),
    subscriptions: new Map(
      row.event_subscriptions.map((r: any) => [r.subscription_key, subscriptionFromRow(r)]),
    ),
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
 * revision), upserts of the touched element instances, variables, tasks, jobs and incidents, and
 * one history row for the command with every event it caused.
 */
export async function persistDecision(
  trx: Knex.Transaction,
  state: InstanceState,
  events: EngineEvent[],
  meta: { isNew: boolean; command: string; actor: string | null; now: string },
): Promise<void> {
  const i = state.instance;
  const touched = {
    elements: new Set<string>(),
    variables: new Set<string>(),
    tasks: new Set<string>(),
    jobs: new Set<string>(),
    incidents: new Set<string>(),
    subscriptions: new Set<string>(),
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
      case 'task.delegated':
      case 'task.resolved':
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
      case 'subscription.opened':
        touched.subscriptions.add(e.subscription.subscriptionKey);
        break;
      case 'subscription.closed':
        touched.subscriptions.add(e.subscriptionKey);
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

  // Everything goes to the database as ONE statement of data-modifying CTEs, the instance write
  // first: its revision guard makes a concurrent command on the same instance wait on that row and
  // then match nothing. The other CTEs of that statement still run, but the statement reports the
  // conflict and the caller's transaction rolls all of it back before the command is retried.
  const instanceWrite = meta.isNew
    ? trx('process_instances')
        .insert(instanceToRow({ ...i, revision: 1 }))
        .returning('process_instance_key')
    : trx('process_instances')
        .where({ process_instance_key: i.processInstanceKey, revision: i.revision })
        .update({
          revision: i.revision + 1,
          state: i.state,
          has_incident: i.hasIncident,
          runtime: JSON.stringify(i.runtime ?? {}),
          end_date: i.endDate,
        })
        .returning('process_instance_key');
  const writes: Knex.QueryBuilder[] = [instanceWrite];
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
    writes.push(
      trx('variables')
        .insert(variableRows)
        .onConflict(['process_instance_key', 'scope_key', 'name'])
        .merge(['value']),
    );

  const taskRows = [...touched.tasks].map((k) => taskToRow(state.userTasks.get(k)!));
  if (taskRows.length) {
    writes.push(
      trx('user_tasks')
        .insert(taskRows)
        .onConflict('user_task_key')
        .merge(['state', 'assignee', 'owner', 'delegation_state', 'completion_date']),
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

  const subscriptionRows = [...touched.subscriptions].map((k) =>
    subscriptionToRow(state.subscriptions.get(k)!),
  );
  if (subscriptionRows.length)
    writes.push(
      trx('event_subscriptions').insert(subscriptionRows).onConflict('subscription_key').merge(['state']),
    );

  if (events.length) {
    writes.push(
      trx('history_events').insert({
        tenant_id: i.tenantId,
        process_instance_key: i.processInstanceKey,
        command: meta.command,
        actor: meta.actor,
        events: JSON.stringify(events.map(historyEntry)),
        created_at: meta.now,
      }),
    );
  }

  const notify: Array<[string, string]> = [];
  const createdJobs = events
    .filter((e) => e.type === 'job.created')
    .map((e) => (e as Extract<EngineEvent, { type: 'job.created' }>).job);
  if (createdJobs.some((j) => j.kind === 'TIMER' || j.kind === 'SIGNAL')) notify.push([TIMERS_CHANNEL, '']);
  for (const type of new Set(createdJobs.filter((j) => j.kind === 'BPMN_ELEMENT').map((j) => j.type)))
    notify.push([JOBS_CHANNEL, type]);
  const written = await runAsOneStatement(trx, writes, notify);
  if (written !== 1) throw new RevisionConflict(i.processInstanceKey);
  i.revision = meta.isNew ? 1 : i.revision + 1;
}

/**
 * Runs several writes as one statement of data-modifying CTEs and returns how many rows the first
 * one (which must return rows) wrote. The outer query reads the first CTE, so it runs first.
 */
async function runAsOneStatement(
  trx: Knex.Transaction,
  writes: Knex.QueryBuilder[],
  notify: Array<[string, string]>,
): Promise<number> {
  const parts: string[] = [];
  const bindings: unknown[] = [];
  writes.forEach((w, n) => {
    const q = w.toSQL();
    parts.push(`w${n} as (${q.sql})`);
    bindings.push(...q.bindings);
  });
  // NOTIFYs go out with the commit, telling other nodes about new timers and jobs.
  const notes = notify.map(() => ', pg_notify(?, ?)').join('');
  for (const [channel, payload] of notify) bindings.push(channel, payload);
  const result = await trx.raw(
    `with ${parts.join(', ')} select (select count(*)::int from w0) as n${notes}`,
    bindings as Knex.RawBinding[],
  );
  return Number(result.rows[0].n);
}

/**
 * One event of the audit trail: its type, the element it concerns, and what changed. Events that
 * carry a whole new record (instance, element, task, job, incident) keep what the trail needs to
 * say who and what; the full rows are in their own tables.
 */
function historyEntry(e: EngineEvent): Record<string, unknown> {
  switch (e.type) {
    case 'instance.created': {
      const i = e.instance;
      return {
        type: e.type,
        processDefinitionKey: i.processDefinitionKey,
        version: i.processDefinitionVersion,
        businessKey: i.businessKey,
      };
    }
    case 'element.activated': {
      const el = e.element;
      return {
        type: e.type,
        elementId: e.elementId,
        elementInstanceKey: el.elementInstanceKey,
        elementType: el.elementType,
        flowScopeKey: el.flowScopeKey,
      };
    }
    case 'task.created': {
      const t = e.task;
      return {
        type: e.type,
        elementId: e.elementId,
        userTaskKey: t.userTaskKey,
        assignee: t.assignee,
        candidateGroups: t.candidateGroups,
        candidateUsers: t.candidateUsers,
        dueDate: t.dueDate,
        formKey: t.formKey,
      };
    }
    case 'job.created':
      return {
        type: e.type,
        elementId: e.elementId,
        jobKey: e.job.jobKey,
        jobType: e.job.type,
        retries: e.job.retries,
        dueAt: e.job.dueAt,
      };
    case 'incident.created': {
      const inc = e.incident;
      return {
        type: e.type,
        elementId: e.elementId,
        incidentKey: inc.incidentKey,
        errorType: inc.errorType,
        errorMessage: inc.errorMessage,
      };
    }
    case 'instance.runtime_updated':
      return { type: e.type };
    default: {
      const { processInstanceKey: _pik, ...rest } = e as EngineEvent & Record<string, unknown>;
      return rest;
    }
  }
}
