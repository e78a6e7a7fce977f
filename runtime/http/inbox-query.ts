import type { Knex } from 'knex';
import { iso } from '../persistence/rows.js';
import { badRequest, type FieldError } from './problem.js';

/**
 * The approver's inbox in SQL: each tab is one source (tasks, instances or CC notifications) and
 * one condition on it, written once here and used both by the counts of the tabs and by the search
 * of one tab, so a tab always lists exactly what its count counts.
 *
 * Every fragment uses named bindings (`:me`, `:tenants`, …) so that one set of values serves all of
 * them; casts are written `cast(x as t)` because `::t` would read as a binding.
 */

export const INBOX_TABS = ['todo', 'unclaimed', 'done', 'started', 'cc', 'overdue'] as const;
export type InboxTab = (typeof INBOX_TABS)[number];

export const INBOX_SORT_FIELDS = [
  'creationDate',
  'dueDate',
  'priority',
  'completionDate',
  'startDate',
] as const;
export type InboxSortField = (typeof INBOX_SORT_FIELDS)[number];

/** Who is asking: the inbox is always theirs, within their tenants. */
export interface InboxCaller {
  username: string;
  tenantIds: string[];
  groups: string[];
}

/** What narrows every tab alike (and so the counts of the tabs too). */
export interface InboxScope {
  processDefinitionId?: string;
  /** Text matched, case-insensitively and literally, against process name, task name and business key. */
  search?: string;
}

/** A parsed, valid `POST /v2/inbox/search` body. */
export interface InboxSearch {
  tab: InboxTab;
  scope: InboxScope;
  dueDate?: { gte?: Date; lte?: Date };
  overdue?: boolean;
  unread?: boolean;
  sort: Array<{ field: InboxSortField; order: 'asc' | 'desc' }>;
  from: number;
  limit: number;
}

/** One row of any tab, in one shape: fields that do not apply to a kind are null. */
export interface InboxItem {
  kind: 'TASK' | 'INSTANCE' | 'CC';
  userTaskKey: string | null;
  processInstanceKey: string | null;
  processDefinitionId: string | null;
  processDefinitionKey: string | null;
  processName: string | null;
  businessKey: string | null;
  elementId: string | null;
  taskName: string | null;
  assignee: string | null;
  initiator: string | null;
  /** The task's state (TASK), else the instance's. */
  state: string | null;
  /** When it came to the inbox: the task's creation, the instance's start, the copy's sending. */
  creationDate: string | null;
  /** The instance's start. */
  startDate: string | null;
  dueDate: string | null;
  /** The task's completion (TASK), the instance's end (INSTANCE). */
  completionDate: string | null;
  priority: number | null;
  /** Past its due date: still open, or completed after it. */
  overdue: boolean;
  notificationKey: string | null;
  read: boolean | null;
  tenantId: string;
}

export interface InboxCounts {
  todo: number;
  overdue: number;
  unclaimed: number;
  done: number;
  started: number;
  startedActive: number;
  cc: number;
  ccUnread: number;
  unreadNotifications: number;
}

const key = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Where rows come from, and how they read as inbox items. */
interface Source {
  from: string;
  tenantColumn: string;
  /** The last sort key, so that pages never overlap. */
  keyColumn: string;
  processDefinitionIdColumn: string;
  /** What `search` matches. */
  searchable: string[];
  /** Whether the row is past due (SQL; null reads as no). */
  overdue: string;
  sortColumns: Partial<Record<InboxSortField, string>>;
  select: string;
  view: (row: any) => InboxItem;
}

const PROCESS_NAME = (idColumn: string) => `coalesce(d.name, ${idColumn})`;

const TASKS: Source = {
  from: `user_tasks ut
    left join process_instances pi on pi.process_instance_key = ut.process_instance_key
    left join process_definitions d on d.process_definition_key = ut.process_definition_key`,
  tenantColumn: 'ut.tenant_id',
  keyColumn: 'ut.user_task_key',
  processDefinitionIdColumn: 'ut.process_definition_id',
  searchable: [PROCESS_NAME('ut.process_definition_id'), 'ut.name', 'pi.business_key'],
  overdue: 'ut.due_date < coalesce(ut.completion_date, :now)',
  sortColumns: {
    creationDate: 'ut.creation_date',
    dueDate: 'ut.due_date',
    priority: 'ut.priority',
    completionDate: 'ut.completion_date',
    startDate: 'pi.start_date',
  },
  select: `ut.user_task_key, ut.process_instance_key, ut.process_definition_id, ut.process_definition_key,
    ${PROCESS_NAME('ut.process_definition_id')} as process_name, pi.business_key, ut.element_id, ut.name,
    ut.assignee, pi.initiator, ut.state, ut.creation_date, pi.start_date, ut.due_date, ut.completion_date,
    ut.priority, ut.tenant_id`,
  view: (r) => ({
    kind: 'TASK',
    userTaskKey: key(r.user_task_key),
    processInstanceKey: key(r.process_instance_key),
    processDefinitionId: r.process_definition_id,
    processDefinitionKey: key(r.process_definition_key),
    processName: r.process_name ?? null,
    businessKey: r.business_key ?? null,
    elementId: r.element_id,
    taskName: r.name ?? null,
    assignee: r.assignee ?? null,
    initiator: r.initiator ?? null,
    state: r.state,
    creationDate: iso(r.creation_date),
    startDate: iso(r.start_date),
    dueDate: iso(r.due_date),
    completionDate: iso(r.completion_date),
    priority: r.priority ?? null,
    overdue: r.overdue === true,
    notificationKey: null,
    read: null,
    tenantId: r.tenant_id,
  }),
};

const INSTANCES: Source = {
  from: `process_instances pi
    left join process_definitions d on d.process_definition_key = pi.process_definition_key`,
  tenantColumn: 'pi.tenant_id',
  keyColumn: 'pi.process_instance_key',
  processDefinitionIdColumn: 'pi.process_definition_id',
  searchable: [PROCESS_NAME('pi.process_definition_id'), 'pi.business_key'],
  overdue: 'false',
  sortColumns: { creationDate: 'pi.start_date', startDate: 'pi.start_date', completionDate: 'pi.end_date' },
  select: `pi.process_instance_key, pi.process_definition_id, pi.process_definition_key,
    ${PROCESS_NAME('pi.process_definition_id')} as process_name, pi.business_key, pi.initiator, pi.state,
    pi.start_date, pi.end_date, pi.tenant_id`,
  view: (r) => ({
    kind: 'INSTANCE',
    userTaskKey: null,
    processInstanceKey: key(r.process_instance_key),
    processDefinitionId: r.process_definition_id,
    processDefinitionKey: key(r.process_definition_key),
    processName: r.process_name ?? null,
    businessKey: r.business_key ?? null,
    elementId: null,
    taskName: null,
    assignee: null,
    initiator: r.initiator ?? null,
    state: r.state,
    creationDate: iso(r.start_date),
    startDate: iso(r.start_date),
    dueDate: null,
    completionDate: iso(r.end_date),
    priority: null,
    overdue: false,
    notificationKey: null,
    read: null,
    tenantId: r.tenant_id,
  }),
};

// A copy names its instance; the instance row (not the copy's data) says what it is now.
const NOTIFICATIONS: Source = {
  from: `notifications n
    left join process_instances pi on pi.process_instance_key = n.process_instance_key
    left join process_definitions d on d.process_definition_key = pi.process_definition_key`,
  tenantColumn: 'n.tenant_id',
  keyColumn: 'n.notification_key',
  processDefinitionIdColumn: 'pi.process_definition_id',
  searchable: [PROCESS_NAME('pi.process_definition_id'), 'pi.business_key'],
  overdue: 'false',
  sortColumns: { creationDate: 'n.created_at', startDate: 'pi.start_date' },
  select: `n.notification_key, n.process_instance_key, n.user_task_key, n.read_at, n.created_at,
    pi.process_definition_id, pi.process_definition_key,
    ${PROCESS_NAME('pi.process_definition_id')} as process_name, pi.business_key, pi.initiator, pi.state,
    pi.start_date, n.tenant_id`,
  view: (r) => ({
    kind: 'CC',
    userTaskKey: key(r.user_task_key),
    processInstanceKey: key(r.process_instance_key),
    processDefinitionId: r.process_definition_id ?? null,
    processDefinitionKey: key(r.process_definition_key),
    processName: r.process_name ?? null,
    businessKey: r.business_key ?? null,
    elementId: null,
    taskName: null,
    assignee: null,
    initiator: r.initiator ?? null,
    state: r.state ?? null,
    creationDate: iso(r.created_at),
    startDate: iso(r.start_date),
    dueDate: null,
    completionDate: null,
    priority: null,
    overdue: false,
    notificationKey: key(r.notification_key),
    read: r.read_at !== null && r.read_at !== undefined,
    tenantId: r.tenant_id,
  }),
};

const MY_GROUPS = 'array(select jsonb_array_elements_text(cast(:groups as jsonb)))';

/** Rows of a source that one count or tab takes. */
interface Selection {
  source: Source;
  where: string;
}

interface Tab extends Selection {
  sorts: InboxSortField[];
  defaultSort: { field: InboxSortField; order: 'asc' | 'desc' };
  /** Filters beyond the scope that make sense on this tab. */
  filters: Array<'dueDate' | 'overdue' | 'unread'>;
}

const TASK_SORTS: InboxSortField[] = ['creationDate', 'dueDate', 'priority', 'startDate'];
const TASK_FILTERS: Tab['filters'] = ['dueDate', 'overdue'];

const TODO = "ut.state = 'CREATED' and ut.assignee = :me";

const TABS: Record<InboxTab, Tab> = {
  todo: {
    source: TASKS,
    where: TODO,
    sorts: TASK_SORTS,
    defaultSort: { field: 'creationDate', order: 'desc' },
    filters: TASK_FILTERS,
  },
  overdue: {
    source: TASKS,
    where: `${TODO} and ut.due_date < :now`,
    sorts: TASK_SORTS,
    defaultSort: { field: 'dueDate', order: 'asc' },
    filters: TASK_FILTERS,
  },
  unclaimed: {
    source: TASKS,
    where: `ut.state = 'CREATED' and ut.assignee is null
      and (:me = any(ut.candidate_users) or ut.candidate_groups && ${MY_GROUPS})`,
    sorts: TASK_SORTS,
    defaultSort: { field: 'creationDate', order: 'desc' },
    filters: TASK_FILTERS,
  },
  done: {
    source: TASKS,
    where: "ut.state = 'COMPLETED' and ut.assignee = :me",
    sorts: [...TASK_SORTS, 'completionDate'],
    defaultSort: { field: 'completionDate', order: 'desc' },
    filters: TASK_FILTERS,
  },
  started: {
    source: INSTANCES,
    where: 'pi.initiator = :me',
    sorts: ['creationDate', 'startDate', 'completionDate'],
    defaultSort: { field: 'startDate', order: 'desc' },
    filters: [],
  },
  cc: {
    source: NOTIFICATIONS,
    where: "n.recipient = :me and n.event = 'CC'",
    sorts: ['creationDate', 'startDate'],
    defaultSort: { field: 'creationDate', order: 'desc' },
    filters: ['unread'],
  },
};

const COUNTS: Record<keyof InboxCounts, Selection> = {
  todo: TABS.todo,
  overdue: TABS.overdue,
  unclaimed: TABS.unclaimed,
  done: TABS.done,
  started: TABS.started,
  startedActive: { source: INSTANCES, where: `${TABS.started.where} and pi.state = 'ACTIVE'` },
  cc: TABS.cc,
  ccUnread: { source: NOTIFICATIONS, where: `${TABS.cc.where} and n.read_at is null` },
  unreadNotifications: { source: NOTIFICATIONS, where: 'n.recipient = :me and n.read_at is null' },
};

/** The condition (SQL) and named bindings for the caller's rows of a selection, within a scope. */
function condition(
  sel: Selection,
  caller: InboxCaller,
  scope: InboxScope,
  now: Date,
): { sql: string; bindings: Record<string, unknown> } {
  const s = sel.source;
  const parts = [
    `${s.tenantColumn} = any(array(select jsonb_array_elements_text(cast(:tenants as jsonb))))`,
    `(${sel.where})`,
  ];
  const bindings: Record<string, unknown> = {
    tenants: JSON.stringify(caller.tenantIds),
    me: caller.username,
    groups: JSON.stringify(caller.groups),
    now,
  };
  if (scope.processDefinitionId !== undefined) {
    parts.push(`${s.processDefinitionIdColumn} = :processDefinitionId`);
    bindings.processDefinitionId = scope.processDefinitionId;
  }
  if (scope.search) {
    parts.push(`(${s.searchable.map((c) => `${c} ilike :search escape '\\'`).join(' or ')})`);
    bindings.search = `%${scope.search.replace(/[\\%_]/g, '\\$&')}%`;
  }
  return { sql: parts.join(' and '), bindings };
}

/**
 * The counts of every tab (and of unread notifications) for the caller, in one query. A scope
 * narrows them all alike: then only what belongs to that process, or matches that text, counts.
 */
export async function countInbox(
  knex: Knex,
  caller: InboxCaller,
  scope: InboxScope = {},
  now = new Date(),
): Promise<InboxCounts> {
  let bindings: Record<string, unknown> = {};
  const columns = Object.entries(COUNTS).map(([name, sel]) => {
    const c = condition(sel, caller, scope, now);
    bindings = c.bindings; // the same names and values for every count
    return `(select count(*) from ${sel.source.from} where ${c.sql}) as "${name}"`;
  });
  const result = await knex.raw(`select ${columns.join(',\n')}`, bindings as Knex.ValueDict);
  const row = result.rows[0];
  return Object.fromEntries(
    Object.keys(COUNTS).map((name) => [name, Number(row[name])]),
  ) as unknown as InboxCounts;
}

/**
 * One page of one tab: the page and its total, two queries whatever the page size. Rows are
 * ordered by the requested sort, then the tab's default, then key, so pages never overlap.
 */
export async function searchInbox(
  knex: Knex,
  caller: InboxCaller,
  q: InboxSearch,
  now = new Date(),
): Promise<{ items: InboxItem[]; totalItems: number }> {
  const tab = TABS[q.tab];
  const s = tab.source;
  const c = condition(tab, caller, q.scope, now);
  const parts = [c.sql];
  const bindings: Record<string, unknown> = { ...c.bindings, limit: q.limit, offset: q.from };
  if (q.dueDate?.gte) {
    parts.push(`${s.sortColumns.dueDate} >= :dueFrom`);
    bindings.dueFrom = q.dueDate.gte;
  }
  if (q.dueDate?.lte) {
    parts.push(`${s.sortColumns.dueDate} <= :dueTo`);
    bindings.dueTo = q.dueDate.lte;
  }
  if (q.overdue !== undefined) parts.push(q.overdue ? `(${s.overdue})` : `not coalesce(${s.overdue}, false)`);
  if (q.unread !== undefined) parts.push(q.unread ? 'n.read_at is null' : 'n.read_at is not null');
  const where = parts.join(' and ');
  const order = [...q.sort, tab.defaultSort]
    .map((o) => `${s.sortColumns[o.field]} ${o.order} nulls last`)
    .concat(`${s.keyColumn} desc`)
    .join(', ');
  const [page, total] = await Promise.all([
    knex.raw(
      `select ${s.select}, (${s.overdue}) as overdue from ${s.from} where ${where}
       order by ${order} limit :limit offset :offset`,
      bindings as Knex.ValueDict,
    ),
    knex.raw(`select count(*) as n from ${s.from} where ${where}`, bindings as Knex.ValueDict),
  ]);
  return { items: page.rows.map(s.view), totalItems: Number(total.rows[0].n) };
}

// ---- the request ----------------------------------------------------------------------------------

const FILTER_KEYS = ['tab', 'processDefinitionId', 'dueDate', 'overdue', 'unread', 'search'] as const;
const BODY_KEYS = ['filter', 'sort', 'page'];
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
export const INBOX_PAGE_LIMIT = { default: 20, max: 100 };
const SEARCH_MAX = 200;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function readDate(value: unknown, field: string, errors: FieldError[]): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const d = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : undefined;
  if (!d || Number.isNaN(d.getTime())) {
    errors.push({ field, reason: 'must be an ISO 8601 date-time, e.g. 2025-06-30T00:00:00Z' });
    return undefined;
  }
  return d;
}

function readFlag(value: unknown, field: string, errors: FieldError[]): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    errors.push({ field, reason: 'must be true or false' });
    return undefined;
  }
  return value;
}

/**
 * Reads a `POST /v2/inbox/search` body, or throws one 400 naming every invalid field: an unknown
 * tab, filter or body field, a filter the tab has no use for, a sort field the tab cannot sort by,
 * a date that is not ISO 8601, a page out of range.
 */
export function readInboxSearch(body: unknown): InboxSearch {
  const errors: FieldError[] = [];
  const b = isObject(body) ? body : {};
  for (const k of Object.keys(b))
    if (!BODY_KEYS.includes(k))
      errors.push({
        field: k,
        reason: `is not a field of an inbox search; expected ${BODY_KEYS.join(', ')}`,
      });

  // filter
  let f: Record<string, unknown> = {};
  if (b.filter !== undefined && !isObject(b.filter))
    errors.push({ field: 'filter', reason: 'must be an object' });
  else f = (b.filter as Record<string, unknown> | undefined) ?? {};
  for (const k of Object.keys(f))
    if (!(FILTER_KEYS as readonly string[]).includes(k))
      errors.push({
        field: `filter.${k}`,
        reason: `is not an inbox filter; expected one of ${FILTER_KEYS.join(', ')}`,
      });
  let tab: Tab | undefined;
  if (f.tab === undefined || f.tab === null) errors.push({ field: 'filter.tab', reason: 'is required' });
  else if (typeof f.tab !== 'string' || !Object.hasOwn(TABS, f.tab))
    errors.push({ field: 'filter.tab', reason: `must be one of ${INBOX_TABS.join(', ')}` });
  else tab = TABS[f.tab as InboxTab];
  const tabName = tab ? (f.tab as InboxTab) : undefined;
  const applies = (filter: Tab['filters'][number]) => {
    if (!tab || tab.filters.includes(filter)) return true;
    const tabs = INBOX_TABS.filter((t) => TABS[t].filters.includes(filter));
    errors.push({
      field: `filter.${filter}`,
      reason: `does not apply to the tab <${tabName}>; it applies to ${tabs.join(', ')}`,
    });
    return false;
  };

  const scope: InboxScope = {};
  if (f.processDefinitionId !== undefined && f.processDefinitionId !== null) {
    if (typeof f.processDefinitionId !== 'string' || f.processDefinitionId === '')
      errors.push({ field: 'filter.processDefinitionId', reason: 'must be a non-empty string' });
    else scope.processDefinitionId = f.processDefinitionId;
  }
  if (f.search !== undefined && f.search !== null) {
    if (typeof f.search !== 'string' || f.search.length > SEARCH_MAX)
      errors.push({ field: 'filter.search', reason: `must be a text of at most ${SEARCH_MAX} characters` });
    else if (f.search.trim()) scope.search = f.search.trim();
  }

  let dueDate: InboxSearch['dueDate'];
  if (f.dueDate !== undefined && f.dueDate !== null && applies('dueDate')) {
    if (!isObject(f.dueDate))
      errors.push({ field: 'filter.dueDate', reason: 'must be an object { $gte?, $lte? }' });
    else {
      for (const op of Object.keys(f.dueDate))
        if (op !== '$gte' && op !== '$lte')
          errors.push({ field: `filter.dueDate.${op}`, reason: 'unsupported operator; expected $gte, $lte' });
      dueDate = {
        gte: readDate(f.dueDate.$gte, 'filter.dueDate.$gte', errors),
        lte: readDate(f.dueDate.$lte, 'filter.dueDate.$lte', errors),
      };
    }
  }
  const overdue =
    f.overdue !== undefined && applies('overdue') ? readFlag(f.overdue, 'filter.overdue', errors) : undefined;
  const unread =
    f.unread !== undefined && applies('unread') ? readFlag(f.unread, 'filter.unread', errors) : undefined;

  // sort
  const sort: InboxSearch['sort'] = [];
  if (b.sort !== undefined && b.sort !== null && !Array.isArray(b.sort))
    errors.push({ field: 'sort', reason: 'must be an array of { field, order }' });
  for (const [i, s] of (Array.isArray(b.sort) ? b.sort : []).entries()) {
    const at = `sort[${i}]`;
    if (!isObject(s)) {
      errors.push({ field: at, reason: 'must be an object { field, order }' });
      continue;
    }
    const fields = tab ? tab.sorts : INBOX_SORT_FIELDS;
    const field = s.field;
    let ok = true;
    if (typeof field !== 'string' || !(fields as readonly string[]).includes(field)) {
      errors.push({
        field: `${at}.field`,
        reason: `cannot sort ${tab ? `the tab <${tabName}> ` : ''}by '${String(field)}'; expected one of ${fields.join(', ')}`,
      });
      ok = false;
    }
    const order = s.order ?? 'ASC';
    if (typeof order !== 'string' || !/^(asc|desc)$/i.test(order)) {
      errors.push({ field: `${at}.order`, reason: 'must be ASC or DESC' });
      ok = false;
    }
    if (ok)
      sort.push({ field: field as InboxSortField, order: (order as string).toLowerCase() as 'asc' | 'desc' });
  }

  // page
  let from = 0;
  let limit = INBOX_PAGE_LIMIT.default;
  if (b.page !== undefined && b.page !== null) {
    if (!isObject(b.page)) errors.push({ field: 'page', reason: 'must be an object { from, limit }' });
    else {
      for (const k of Object.keys(b.page))
        if (k !== 'from' && k !== 'limit')
          errors.push({ field: `page.${k}`, reason: 'is not a page field; expected from, limit' });
      if (b.page.from !== undefined) {
        if (!Number.isInteger(b.page.from) || (b.page.from as number) < 0)
          errors.push({ field: 'page.from', reason: 'must be a non-negative integer' });
        else from = b.page.from as number;
      }
      if (b.page.limit !== undefined) {
        const l = b.page.limit;
        if (!Number.isInteger(l) || (l as number) < 1 || (l as number) > INBOX_PAGE_LIMIT.max)
          errors.push({
            field: 'page.limit',
            reason: `must be an integer from 1 to ${INBOX_PAGE_LIMIT.max}`,
          });
        else limit = l as number;
      }
    }
  }

  if (errors.length || !tabName)
    throw badRequest(
      `the inbox search is not valid: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
      errors,
    );
  return { tab: tabName, scope, dueDate, overdue, unread, sort, from, limit };
}
