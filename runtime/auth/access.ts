import type { Knex } from 'knex';
import { forbidden, notFound } from '../http/problem.js';

/**
 * Who may do what. Four built-in roles, the same in every tenant the user belongs to:
 *   - admin: everything in their tenants, including users, groups, roles, tenants and authorizations;
 *   - owner (process owner): deploys and models, manages instances, jobs, messages and signals;
 *   - user: starts the processes they may start and works on the tasks meant for them;
 *   - auditor: reads every process, instance and its history, and changes nothing.
 * On top, authorizations per process definition (resource id = process id, or '*') say who may start
 * it (CREATE_PROCESS_INSTANCE) and who may read its instances (READ_PROCESS_INSTANCE). A definition
 * no CREATE_PROCESS_INSTANCE authorization names may be started by every user of the tenant.
 */
export const BUILTIN_ROLES = ['admin', 'owner', 'user', 'auditor'] as const;

export type Capability =
  | 'manage-identity'
  | 'deploy'
  | 'manage-instances'
  | 'work-jobs'
  | 'send-events'
  | 'read-all'
  | 'start-instances'
  | 'work-tasks';

const GRANTED_TO: Record<Capability, readonly string[]> = {
  'manage-identity': ['admin'],
  deploy: ['admin', 'owner'],
  'manage-instances': ['admin', 'owner'],
  'work-jobs': ['admin', 'owner'],
  'send-events': ['admin', 'owner'],
  'read-all': ['admin', 'owner', 'auditor'],
  'start-instances': ['admin', 'owner', 'user'],
  'work-tasks': ['admin', 'owner', 'user'],
};

export const PERMISSION_TYPES = ['CREATE_PROCESS_INSTANCE', 'READ_PROCESS_INSTANCE'] as const;
export const RESOURCE_TYPES = ['PROCESS_DEFINITION'] as const;
export const OWNER_TYPES = ['USER', 'GROUP', 'ROLE'] as const;

export interface Subject {
  username: string | null;
  tenantIds: string[];
  groups: string[];
  roles: string[];
}

export function can(subject: Pick<Subject, 'roles'>, capability: Capability): boolean {
  return subject.roles.some((r) => GRANTED_TO[capability].includes(r));
}

const WHO: Record<Capability, string> = {
  'manage-identity': 'administrators',
  deploy: 'administrators and process owners',
  'manage-instances': 'administrators and process owners',
  'work-jobs': 'administrators and process owners',
  'send-events': 'administrators and process owners',
  'read-all': 'administrators, process owners and auditors',
  'start-instances': 'administrators, process owners and users',
  'work-tasks': 'administrators, process owners and users',
};

/** Throws 403 naming who may, unless the subject has the capability. */
export function requireCapability(
  subject: Pick<Subject, 'roles'>,
  capability: Capability,
  action: string,
): void {
  if (!can(subject, capability)) throw forbidden(`only ${WHO[capability]} may ${action}`);
}

/** SQL for a text[] built from a JSON array binding (knex would expand a plain array binding). */
const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';

/** SQL and bindings: the authorization row `a` names this subject as its owner. */
function ownedBy(subject: Subject): [string, string[]] {
  return [
    `((a.owner_type = 'USER' and a.owner_id = ?) or (a.owner_type = 'GROUP' and a.owner_id = any(${TEXT_ARRAY})) or (a.owner_type = 'ROLE' and a.owner_id = any(${TEXT_ARRAY})))`,
    [subject.username ?? '', JSON.stringify(subject.groups), JSON.stringify(subject.roles)],
  ];
}

/**
 * Restricts a query whose rows belong to process instances (column `instanceColumn`) to the
 * instances the subject may read: everything for admins, owners and auditors; otherwise instances
 * they started, in which a task is assigned to them or waits unassigned for them (as a candidate,
 * or open to all), who were copied on it (抄送), or whose process an authorization with
 * READ_PROCESS_INSTANCE grants them. Tenants are restricted by the caller's own query.
 */
export function restrictToReadableInstances(
  query: Knex.QueryBuilder,
  subject: Subject,
  instanceColumn: string,
): Knex.QueryBuilder {
  if (can(subject, 'read-all')) return query;
  const me = subject.username ?? '';
  const [owner, ownerBindings] = ownedBy(subject);
  return query.whereRaw(
    `?? in (select pi.process_instance_key from process_instances pi
        where pi.tenant_id = any(${TEXT_ARRAY}) and (
          pi.initiator = ?
          or exists (select 1 from user_tasks ut where ut.process_instance_key = pi.process_instance_key
                     and (ut.assignee = ? or ut.owner = ? or (ut.assignee is null and ut.state = 'CREATED' and (? = any(ut.candidate_users)
                          or ut.candidate_groups && ${TEXT_ARRAY}
                          or (cardinality(ut.candidate_users) = 0 and cardinality(ut.candidate_groups) = 0)))))
          or exists (select 1 from notifications n where n.process_instance_key = pi.process_instance_key
                     and n.recipient = ? and n.event = 'CC')
          or exists (select 1 from authorizations a where a.tenant_id = pi.tenant_id
                     and a.resource_type = 'PROCESS_DEFINITION'
                     and (a.resource_id = '*' or a.resource_id = pi.process_definition_id)
                     and 'READ_PROCESS_INSTANCE' = any(a.permission_types) and ${owner})))`,
    [
      instanceColumn,
      JSON.stringify(subject.tenantIds),
      me,
      me,
      me,
      me,
      JSON.stringify(subject.groups),
      me,
      ...ownerBindings,
    ],
  );
}

/** The instance row if the subject may read it; otherwise 404 (never a hint that it exists). */
export async function findReadableInstance(db: Knex, subject: Subject, key: string): Promise<any> {
  const row = await restrictToReadableInstances(
    db('process_instances').where({ process_instance_key: key }).whereIn('tenant_id', subject.tenantIds),
    subject,
    'process_instances.process_instance_key',
  ).first();
  if (!row) throw notFound(`expected to find process instance with key <${key}>, but none was found`);
  return row;
}

/**
 * Restricts a user-task query (table alias or name `table`) to the tasks meant for the subject:
 * everything for admins, owners and auditors; otherwise tasks assigned to them, or unassigned tasks
 * for which they are a candidate (or which name no candidates at all).
 */
export function restrictToOwnTasks(
  query: Knex.QueryBuilder,
  subject: Subject,
  table = 'user_tasks',
): Knex.QueryBuilder {
  if (can(subject, 'read-all')) return query;
  const me = subject.username ?? '';
  return query.where((q) =>
    q
      .where(`${table}.assignee`, me)
      .orWhere(`${table}.owner`, me)
      .orWhere((u) =>
        u.whereNull(`${table}.assignee`).andWhere((c) =>
          c
            .whereRaw(`? = any(${table}.candidate_users)`, [me])
            .orWhereRaw(`${table}.candidate_groups && ${TEXT_ARRAY}`, [JSON.stringify(subject.groups)])
            .orWhereRaw(
              `cardinality(${table}.candidate_users) = 0 and cardinality(${table}.candidate_groups) = 0`,
            ),
        ),
      ),
  );
}

/** Whether the subject may start instances of this process in this tenant. */
export async function mayStart(
  knex: Knex,
  subject: Subject,
  tenantId: string,
  processDefinitionId: string,
): Promise<boolean> {
  if (!can(subject, 'start-instances')) return false;
  if (can(subject, 'deploy')) return true;
  const [owner, ownerBindings] = ownedBy(subject);
  const rows = await knex('authorizations as a')
    .where({ 'a.tenant_id': tenantId, 'a.resource_type': 'PROCESS_DEFINITION' })
    .whereIn('a.resource_id', ['*', processDefinitionId])
    .whereRaw(`'CREATE_PROCESS_INSTANCE' = any(a.permission_types)`)
    .select(knex.raw(`bool_or(${owner}) as granted`, ownerBindings), knex.raw('count(*) as n'));
  const row = rows[0] as { granted: boolean | null; n: string | number };
  return Number(row.n) === 0 || row.granted === true;
}
