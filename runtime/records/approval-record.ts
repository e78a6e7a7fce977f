import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Knex } from 'knex';
import PDFDocument from 'pdfkit';
import type { ApprovalMode } from '../../engine/model/types.js';

/**
 * 审批单: the printable record of one process instance for the archive — who started it, what
 * happened when and by whom (同意, 驳回, 转办, 退回, 委派, 加签, 撤回, 抄送, 催办 …), what each approval
 * node decided, and the form data each task submitted. Built from the stored rows only (the
 * instance, its definition, its history, its user tasks and its final variables), then rendered as
 * a self-contained HTML page (no scripts, inline CSS, print rules) or as a PDF with an embedded
 * Chinese font (Noto Sans Hans, OFL-1.1, from @embedpdf/fonts-sc; only the glyphs used are embedded).
 */

export type RecordLang = 'zh-CN' | 'en';
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface RecordUser {
  username: string;
  /** Display name (users.name), when the user exists. */
  name: string | null;
}

export type RecordOutcome = 'ACTIVE' | 'COMPLETED' | 'REJECTED' | 'WITHDRAWN' | 'TERMINATED' | 'CANCELED';

export type TimelineAction =
  | 'started'
  | 'completed'
  | 'approved'
  | 'rejected'
  | 'claimed'
  | 'assigned'
  | 'unassigned'
  | 'transferred'
  | 'returned'
  | 'delegated'
  | 'resolved'
  | 'signers_changed'
  | 'taken_back'
  | 'modified'
  | 'copied'
  | 'urged'
  | 'withdrawn'
  | 'terminated'
  | 'approval_passed'
  | 'approval_failed'
  | 'ended'
  | 'ended_rejected'
  /** lf:timeout: nobody decided in time, the node's timeout decided for the signer. */
  | 'auto_approved'
  | 'auto_rejected'
  /** lf:timeout: the overdue task went up to the head above its assignee. */
  | 'escalated'
  /** Who an approval went to and why (only with `includeRouting`). */
  | 'routed';

export interface TimelineEntry {
  at: string;
  /** Who did it; null for the engine itself (timers, automatic steps). */
  actor: RecordUser | null;
  action: TimelineAction;
  elementId: string | null;
  elementName: string | null;
  /** Whom it went to: the new assignee, the delegate, those copied, the signers added. */
  to: RecordUser[];
  /** Signers removed (减签). */
  removed: RecordUser[];
  /** Groups copied (抄送). */
  groups: string[];
  /** The element it was returned to (退回). */
  targetName: string | null;
  comment: string | null;
  /** The task the entry is about, when it is about one. */
  userTaskKey: string | null;
  /** 代理: whose task the actor acted on, when it was someone else's. */
  onBehalfOf: RecordUser | null;
  /**
   * What a submission changed, field by field (dotted paths into objects and lists), against the
   * previous submission of the same task in this instance — or, the first time, against the values
   * the variables had before. Null for entries that submit nothing.
   */
  changes: FieldChange[] | null;
  /** Documents (form file fields) linked to the task when it was completed. */
  attachments: RecordAttachment[];
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface RecordAttachment {
  documentId: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface ApprovalDecision {
  approver: RecordUser;
  decision: 'approve' | 'reject';
  comment: string | null;
  at: string;
}

export interface ApprovalRound {
  /** PASSED / FAILED by the node's mode; RETURNED when sent back; PENDING while open; ABANDONED when the instance ended first. */
  outcome: 'PASSED' | 'FAILED' | 'RETURNED' | 'PENDING' | 'ABANDONED';
  decidedAt: string | null;
  decisions: ApprovalDecision[];
  /** Signers still to decide (open tasks) while pending. */
  waitingFor: RecordUser[];
}

export interface ApprovalNode {
  elementId: string;
  name: string;
  mode: ApprovalMode | null;
  passRatio: number | null;
  rounds: ApprovalRound[];
}

export interface RecordField {
  name: string;
  value: unknown;
}

export interface TaskEntry {
  userTaskKey: string;
  elementId: string;
  name: string;
  assignee: RecordUser | null;
  state: string;
  createdAt: string;
  completedAt: string | null;
  /** Who completed it (the actor of the completion). */
  completedBy: RecordUser | null;
  /** For approval tasks: the decision taken. */
  decision: 'approve' | 'reject' | null;
  /** The variables submitted with the completion (the task's form data). */
  formData: RecordField[];
  /** Variables a delegate handed back when resolving (委派). */
  delegateData: { by: RecordUser | null; at: string; fields: RecordField[] }[];
}

export interface ApprovalRecord {
  processInstanceKey: string;
  tenantId: string;
  processDefinitionId: string;
  processName: string;
  processVersion: number;
  businessKey: string | null;
  state: string;
  outcome: RecordOutcome;
  initiator: RecordUser | null;
  startDate: string;
  endDate: string | null;
  timeline: TimelineEntry[];
  approvals: ApprovalNode[];
  tasks: TaskEntry[];
  /** The instance's own (root scope) variables as they are now. */
  variables: RecordField[];
  generatedAt: string;
}

/** The stored rows a record is built from (column names as in the database). */
export interface RecordSource {
  instance: Record<string, any>;
  definition: { name: string | null; version: number } | null;
  /** history_events rows of the instance, oldest first. */
  history: Array<{ id: unknown; command: string; actor: string | null; events: any[]; created_at: unknown }>;
  /** user_tasks rows of the instance. */
  tasks: Array<Record<string, any>>;
  /** Root-scope variables of the instance. */
  variables: Array<{ name: string; value: unknown }>;
  /** users rows (username, name) of everyone the record names. */
  users: Array<{ username: string; name: string | null }>;
  /** Element names and approval settings of the definition, by element id. */
  elements: Record<string, { name?: string | null; approval?: { mode: ApprovalMode; passRatio?: number } }>;
  /** documents rows linked to the instance's tasks (optional: the printed record does without). */
  documents?: Array<Record<string, any>>;
}

const iso = (v: unknown): string => new Date(v as string).toISOString();
const isoOrNull = (v: unknown): string | null => (v == null ? null : iso(v));

/** Every username the rows mention, to look their display names up in one query. */
export function usernamesIn(
  source: Pick<RecordSource, 'instance' | 'history' | 'tasks' | 'variables'>,
): string[] {
  const names = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v) names.add(v);
  };
  add(source.instance.initiator);
  for (const t of source.tasks) {
    add(t.assignee);
    add(t.owner);
  }
  for (const row of source.history) {
    add(row.actor);
    for (const e of row.events ?? []) {
      add(e.assignee);
      add(e.previous);
      add(e.delegate);
      add(e.owner);
      for (const list of [e.users, e.added, e.removed]) if (Array.isArray(list)) list.forEach(add);
      if (Array.isArray(e.decisions)) for (const d of e.decisions) add(d?.approver);
    }
  }
  return [...names];
}

/** Reads what a record is built from. The caller has checked the reader may see the instance. */
export async function loadRecordSource(
  knex: Knex,
  processInstanceKey: string,
  opts: {
    /** Element names and approval settings of the definition (e.g. from DefinitionService.getCompiled). */
    elements?: (processDefinitionKey: string) => Promise<RecordSource['elements']>;
    /** Also read the documents linked to the instance's tasks (the timeline lists them). */
    documents?: boolean;
  } = {},
): Promise<RecordSource | null> {
  const instance = await knex('process_instances')
    .where({ process_instance_key: processInstanceKey })
    .first();
  if (!instance) return null;
  const [definition, history, tasks, variables, elementRows] = await Promise.all([
    knex('process_definitions')
      .where({ process_definition_key: instance.process_definition_key })
      .first('name', 'version'),
    knex('history_events').where({ process_instance_key: processInstanceKey }).orderBy('id'),
    knex('user_tasks')
      .where({ process_instance_key: processInstanceKey })
      .orderBy([{ column: 'creation_date' }, { column: 'user_task_key' }]),
    knex('variables')
      .where({ process_instance_key: processInstanceKey, scope_key: processInstanceKey })
      .orderBy('variable_key')
      .select('name', 'value'),
    knex('element_instances')
      .where({ process_instance_key: processInstanceKey })
      .whereNotNull('element_name')
      .distinct('element_id', 'element_name'),
  ]);
  const elements: RecordSource['elements'] = {};
  for (const r of elementRows) elements[r.element_id] = { name: r.element_name };
  if (opts.elements) {
    try {
      for (const [id, e] of Object.entries(await opts.elements(String(instance.process_definition_key))))
        elements[id] = { ...elements[id], ...e, name: e.name ?? elements[id]?.name ?? null };
    } catch {
      // A definition that no longer compiles still has its stored names: the record goes on without it.
    }
  }
  const partial = { instance, history, tasks, variables };
  const users = await knex('users').whereIn('username', usernamesIn(partial)).select('username', 'name');
  const documents = opts.documents
    ? await knex('documents')
        .where({ tenant_id: instance.tenant_id, process_instance_key: processInstanceKey })
        .whereNotNull('user_task_key')
        .orderBy('created_at')
        .select('document_id', 'file_name', 'content_type', 'size', 'user_task_key')
    : undefined;
  return {
    ...partial,
    documents,
    definition: definition ? { name: definition.name ?? null, version: Number(definition.version) } : null,
    users,
    elements,
  };
}

/** Element names and approval settings from a compiled process. */
export function elementsOfCompiled(process: {
  nodes: Map<string, { id: string; name?: string; approval?: { mode: ApprovalMode; passRatio?: number } }>;
}): RecordSource['elements'] {
  const out: RecordSource['elements'] = {};
  for (const n of process.nodes.values())
    out[n.id] = {
      name: n.name ?? null,
      ...(n.approval ? { approval: { mode: n.approval.mode, passRatio: n.approval.passRatio } } : {}),
    };
  return out;
}

const DECISIONS = new Set(['approve', 'reject']);
const byName = (a: RecordField, b: RecordField) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Builds the record model from the stored rows. Pure: no database, no clock but `now`. */
export function buildApprovalRecord(
  source: RecordSource,
  now: Date = new Date(),
  opts: { includeRouting?: boolean } = {},
): ApprovalRecord {
  const userNames = new Map(source.users.map((u) => [u.username, u.name]));
  const user = (username: unknown): RecordUser | null =>
    typeof username === 'string' && username ? { username, name: userNames.get(username) ?? null } : null;
  const users = (list: unknown): RecordUser[] =>
    Array.isArray(list) ? list.map(user).filter((u): u is RecordUser => !!u) : [];
  const tasksByKey = new Map(source.tasks.map((t) => [String(t.user_task_key), t]));
  const elementName = (id: unknown): string | null => {
    if (typeof id !== 'string') return null;
    return (
      source.elements[id]?.name ??
      source.tasks.find((t) => t.element_id === id && t.name)?.name ??
      (id === source.instance.process_definition_id ? null : id)
    );
  };
  const instanceKey = String(source.instance.process_instance_key);

  const timeline: TimelineEntry[] = [];
  const entry = (
    at: string,
    actor: string | null,
    action: TimelineAction,
    more: Partial<TimelineEntry> = {},
  ): void => {
    const elementId = more.elementId ?? null;
    timeline.push({
      at,
      actor: user(actor),
      action,
      elementId,
      elementName: elementId ? elementName(elementId) : null,
      to: [],
      removed: [],
      groups: [],
      targetName: null,
      comment: null,
      userTaskKey: null,
      onBehalfOf: null,
      changes: null,
      attachments: [],
      ...more,
    });
  };
  // Per element: what its last submission was, for the field-level diff of the next one.
  const lastSubmission = new Map<string, Record<string, unknown>>();
  const attachmentsOf = (userTaskKey: string): RecordAttachment[] =>
    (source.documents ?? [])
      .filter((d) => String(d.user_task_key) === userTaskKey)
      .map((d) => ({
        documentId: String(d.document_id),
        fileName: String(d.file_name),
        contentType: String(d.content_type),
        size: Number(d.size),
      }));
  const onBehalfOf = (task: Record<string, any> | undefined, actor: string | null) =>
    task?.owner && task.owner !== actor ? user(task.owner) : null;

  // Per task: who completed it, its decision, its form data, what a delegate handed back.
  const completion = new Map<
    string,
    { by: string | null; decision: 'approve' | 'reject' | null; variables: Record<string, unknown> }
  >();
  const delegateData = new Map<string, TaskEntry['delegateData']>();
  // Approval rounds per node, in the order the nodes were first met.
  const approvalNodes = new Map<string, ApprovalNode>();
  const openRound = new Map<string, ApprovalRound>();
  const nodeOf = (elementId: string): ApprovalNode => {
    let node = approvalNodes.get(elementId);
    if (!node) {
      const spec = source.elements[elementId]?.approval;
      node = {
        elementId,
        name: elementName(elementId) ?? elementId,
        mode: spec?.mode ?? null,
        passRatio: spec?.passRatio ?? null,
        rounds: [],
      };
      approvalNodes.set(elementId, node);
    }
    return node;
  };
  const roundOf = (elementId: string): ApprovalRound => {
    let round = openRound.get(elementId);
    if (!round) {
      round = { outcome: 'PENDING', decidedAt: null, decisions: [], waitingFor: [] };
      openRound.set(elementId, round);
      nodeOf(elementId).rounds.push(round);
    }
    return round;
  };
  const closeRound = (elementId: string, outcome: ApprovalRound['outcome'], at: string) => {
    const round = roundOf(elementId);
    round.outcome = outcome;
    round.decidedAt = at;
    openRound.delete(elementId);
  };
  let outcome: RecordOutcome | null = null;

  for (const row of source.history) {
    const at = iso(row.created_at);
    const actor = row.actor ?? null;
    const events: any[] = Array.isArray(row.events) ? row.events : [];
    for (const e of events) {
      switch (e.type) {
        case 'instance.created':
          entry(at, actor, 'started');
          break;
        case 'task.completed': {
          const key = String(e.userTaskKey);
          const task = tasksByKey.get(key);
          // An approval's decision is a variable local to the signer's task (its element instance).
          const scope = task ? String(task.element_instance_key) : null;
          const decided = events.find(
            (v) =>
              v.type === 'variable.set' &&
              v.name === 'decision' &&
              DECISIONS.has(v.value) &&
              (scope === null || String(v.scopeKey) === scope),
          );
          const commentVar = decided
            ? events.find(
                (v) => v.type === 'variable.set' && v.name === 'comment' && v.scopeKey === decided.scopeKey,
              )
            : undefined;
          const decision = (decided?.value as 'approve' | 'reject' | undefined) ?? null;
          const comment = typeof commentVar?.value === 'string' ? commentVar.value : null;
          const variables = e.variables && typeof e.variables === 'object' ? e.variables : {};
          // lf:timeout decided for the silent signer: the decision is theirs, nobody acted.
          const timedOut = events.some((v) => v.type === 'task.timed_out' && String(v.userTaskKey) === key);
          const by = timedOut ? (task?.assignee ?? null) : actor;
          completion.set(key, { by, decision, variables });
          const elementId = e.elementId ?? task?.element_id ?? null;
          const previous =
            (elementId && lastSubmission.get(elementId)) ||
            Object.fromEntries(
              events
                .filter((v) => v.type === 'variable.set' && v.name in variables && !v.created)
                .map((v) => [v.name, v.previous]),
            );
          if (elementId) lastSubmission.set(elementId, variables);
          const about = {
            elementId,
            userTaskKey: key,
            onBehalfOf: timedOut ? user(by) : onBehalfOf(task, actor),
            changes: fieldChanges(previous, variables),
            attachments: attachmentsOf(key),
          };
          if (decision) {
            const action = timedOut
              ? decision === 'approve'
                ? 'auto_approved'
                : 'auto_rejected'
              : decision === 'approve'
                ? 'approved'
                : 'rejected';
            entry(at, timedOut ? null : actor, action, { ...about, comment });
            if (elementId)
              roundOf(elementId).decisions.push({
                approver: user(by) ?? { username: '', name: null },
                decision,
                comment,
                at,
              });
          } else entry(at, actor, 'completed', about);
          break;
        }
        case 'task.timed_out':
          if (e.action === 'escalate')
            entry(at, null, 'escalated', {
              elementId: e.elementId ?? null,
              userTaskKey: String(e.userTaskKey),
              to: users([e.escalatedTo]),
              comment: e.reason ?? null,
            });
          break;
        case 'approval.routed':
          if (opts.includeRouting)
            entry(at, actor, 'routed', {
              elementId: e.elementId ?? null,
              to: users(e.approvers),
              comment: e.reason ?? null,
            });
          break;
        case 'task.assigned': {
          if (e.operation === 'ESCALATE') break; // told by its task.timed_out
          if (e.operation === 'TRANSFER')
            entry(at, actor, 'transferred', {
              elementId: e.elementId ?? null,
              to: users([e.assignee]),
              comment: e.comment ?? null,
            });
          else if (e.assignee == null) entry(at, actor, 'unassigned', { elementId: e.elementId ?? null });
          else if (e.assignee === actor && !e.previous)
            entry(at, actor, 'claimed', { elementId: e.elementId ?? null });
          else entry(at, actor, 'assigned', { elementId: e.elementId ?? null, to: users([e.assignee]) });
          break;
        }
        case 'task.returned': {
          const task = tasksByKey.get(String(e.userTaskKey));
          const elementId = e.elementId ?? task?.element_id ?? null;
          entry(at, actor, 'returned', {
            elementId,
            to: users([e.assignee]),
            targetName: elementName(e.targetElementId) ?? e.targetElementId ?? null,
            comment: e.comment ?? null,
          });
          if (elementId && openRound.has(elementId)) closeRound(elementId, 'RETURNED', at);
          break;
        }
        case 'task.delegated':
          entry(at, actor, 'delegated', {
            elementId: e.elementId ?? null,
            to: users([e.delegate]),
            comment: e.comment ?? null,
          });
          break;
        case 'task.resolved': {
          const handedBack = events.filter((v) => v.type === 'variable.set');
          entry(at, actor, 'resolved', {
            elementId: e.elementId ?? null,
            userTaskKey: String(e.userTaskKey),
            onBehalfOf: user(e.owner),
            to: users([e.owner]),
            comment: e.comment ?? null,
            changes: handedBack.length
              ? fieldChanges(
                  Object.fromEntries(handedBack.filter((v) => !v.created).map((v) => [v.name, v.previous])),
                  Object.fromEntries(handedBack.map((v) => [v.name, v.value])),
                )
              : null,
          });
          const fields = events
            .filter((v) => v.type === 'variable.set')
            .map((v) => ({ name: String(v.name), value: v.value }))
            .sort(byName);
          if (fields.length) {
            const key = String(e.userTaskKey);
            delegateData.set(key, [...(delegateData.get(key) ?? []), { by: user(actor), at, fields }]);
          }
          break;
        }
        case 'approval.signers_changed':
          entry(at, actor, 'signers_changed', {
            elementId: e.elementId ?? null,
            to: users(e.added),
            removed: users(e.removed),
            comment: e.comment ?? null,
          });
          if (e.elementId) nodeOf(e.elementId);
          break;
        case 'approval.completed':
          if (e.elementId) closeRound(e.elementId, e.approved ? 'PASSED' : 'FAILED', at);
          entry(at, actor, e.approved ? 'approval_passed' : 'approval_failed', {
            elementId: e.elementId ?? null,
          });
          if (!e.approved && e.endsProcess) outcome = 'REJECTED';
          break;
        case 'task.taken_back':
          entry(at, actor, 'taken_back', { elementId: e.elementId ?? null, comment: e.comment ?? null });
          break;
        case 'instance.modified': {
          // An administrator moved a token (monitor): from the elements ended to those started.
          const activated = Array.isArray(e.activated) ? e.activated : [];
          const terminated = Array.isArray(e.terminated) ? e.terminated : [];
          const names = [
            ...new Set(activated.map((a: any) => elementName(a.elementId) ?? String(a.elementId))),
          ];
          entry(at, actor, 'modified', {
            elementId: terminated[0]?.elementId ?? null,
            targetName: names.length ? names.join('、') : null,
          });
          break;
        }
        case 'instance.copied':
          entry(at, actor, 'copied', {
            to: users(e.users),
            groups: Array.isArray(e.groups) ? e.groups.map(String) : [],
            comment: e.comment ?? null,
          });
          break;
        case 'instance.urged':
          entry(at, actor, 'urged', { comment: e.comment ?? null });
          break;
        case 'instance.terminated':
          if (e.reason === 'WITHDRAWN') {
            entry(at, actor, 'withdrawn', { comment: e.comment ?? null });
            outcome = 'WITHDRAWN';
          } else {
            entry(at, actor, 'terminated', { comment: e.comment ?? null });
            outcome = 'TERMINATED';
          }
          break;
        case 'instance.completed':
          entry(at, actor, outcome === 'REJECTED' ? 'ended_rejected' : 'ended');
          break;
      }
    }
  }

  const state = String(source.instance.state);
  const finalOutcome: RecordOutcome =
    state === 'ACTIVE'
      ? 'ACTIVE'
      : state === 'CANCELED'
        ? 'CANCELED'
        : state === 'TERMINATED'
          ? outcome === 'WITHDRAWN'
            ? 'WITHDRAWN'
            : 'TERMINATED'
          : outcome === 'REJECTED'
            ? 'REJECTED'
            : 'COMPLETED';

  // Rounds still open: waiting for the signers of open tasks, or abandoned when the instance ended.
  for (const [elementId, round] of openRound) {
    if (state === 'ACTIVE')
      round.waitingFor = source.tasks
        .filter((t) => t.element_id === elementId && t.state === 'CREATED')
        .map((t) => user(t.assignee))
        .filter((u): u is RecordUser => !!u);
    else round.outcome = 'ABANDONED';
  }
  // Approval nodes waiting for their first decision.
  for (const t of source.tasks) {
    if (t.state !== 'CREATED' || !source.elements[t.element_id]?.approval) continue;
    const round = roundOf(t.element_id);
    const who = user(t.assignee);
    if (who && !round.waitingFor.some((u) => u.username === who.username)) round.waitingFor.push(who);
  }

  const tasks: TaskEntry[] = source.tasks.map((t) => {
    const key = String(t.user_task_key);
    const done = completion.get(key);
    return {
      userTaskKey: key,
      elementId: String(t.element_id),
      name: t.name ?? elementName(t.element_id) ?? String(t.element_id),
      assignee: user(t.assignee),
      state: String(t.state),
      createdAt: iso(t.creation_date),
      completedAt: isoOrNull(t.completion_date),
      completedBy: t.state === 'COMPLETED' ? user(done?.by ?? t.assignee) : null,
      decision: done?.decision ?? null,
      // jsonb keeps no key order: fields by name, the same every time.
      formData: Object.entries(done?.variables ?? {})
        .map(([name, value]) => ({ name, value }))
        .sort(byName),
      delegateData: delegateData.get(key) ?? [],
    };
  });

  return {
    processInstanceKey: instanceKey,
    tenantId: String(source.instance.tenant_id),
    processDefinitionId: String(source.instance.process_definition_id),
    processName: source.definition?.name || String(source.instance.process_definition_id),
    processVersion: source.definition?.version ?? Number(source.instance.process_definition_version),
    businessKey: source.instance.business_key ?? null,
    state,
    outcome: finalOutcome,
    initiator: user(source.instance.initiator),
    startDate: iso(source.instance.start_date),
    endDate: isoOrNull(source.instance.end_date),
    timeline,
    approvals: [...approvalNodes.values()].filter((n) => n.rounds.length),
    tasks,
    variables: source.variables.map((v) => ({ name: v.name, value: v.value })),
    generatedAt: now.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Words

interface Labels {
  docTitle: string;
  processInstanceKey: string;
  businessKey: string;
  process: string;
  version: (v: number) => string;
  status: string;
  initiator: string;
  startDate: string;
  endDate: string;
  timeZone: string;
  generatedAt: string;
  timeline: string;
  when: string;
  who: string;
  node: string;
  action: string;
  comment: string;
  approvals: string;
  round: (n: number) => string;
  approver: string;
  decision: string;
  decidedAt: string;
  waitingFor: string;
  tasks: string;
  taskName: string;
  assignee: string;
  created: string;
  completed: string;
  result: string;
  formData: string;
  field: string;
  value: string;
  delegateData: (who: string) => string;
  variables: string;
  none: string;
  system: string;
  outcome: Record<RecordOutcome, string>;
  roundOutcome: Record<ApprovalRound['outcome'], string>;
  decisionWord: Record<'approve' | 'reject', string>;
  taskState: Record<string, string>;
  mode: Record<ApprovalMode, string>;
  passRatio: (r: number) => string;
  actions: Record<TimelineAction, string>;
  to: string;
  removed: string;
  groups: string;
  returnedTo: (target: string) => string;
  movedTo: (target: string) => string;
  list: string;
}

const ZH: Labels = {
  docTitle: '审批单',
  processInstanceKey: '流程实例编号',
  businessKey: '业务编号',
  process: '流程',
  version: (v) => `第 ${v} 版`,
  status: '状态',
  initiator: '发起人',
  startDate: '发起时间',
  endDate: '结束时间',
  timeZone: '时区',
  generatedAt: '生成时间',
  timeline: '审批记录',
  when: '时间',
  who: '办理人',
  node: '节点',
  action: '操作',
  comment: '意见',
  approvals: '审批意见',
  round: (n) => `第 ${n} 轮`,
  approver: '审批人',
  decision: '结论',
  decidedAt: '决定时间',
  waitingFor: '待审批',
  tasks: '任务',
  taskName: '任务',
  assignee: '处理人',
  created: '到达时间',
  completed: '完成时间',
  result: '结果',
  formData: '表单数据',
  field: '字段',
  value: '值',
  delegateData: (who) => `委派处理（${who}）`,
  variables: '流程数据（最终）',
  none: '无',
  system: '系统',
  outcome: {
    ACTIVE: '审批中',
    COMPLETED: '已完成',
    REJECTED: '已驳回',
    WITHDRAWN: '已撤回',
    TERMINATED: '已终止',
    CANCELED: '已取消',
  },
  roundOutcome: {
    PASSED: '通过',
    FAILED: '不通过',
    RETURNED: '已退回',
    PENDING: '审批中',
    ABANDONED: '未完成',
  },
  decisionWord: { approve: '同意', reject: '驳回' },
  taskState: { CREATED: '待办', COMPLETED: '已完成', CANCELED: '已取消' },
  mode: { single: '单人审批', all: '会签', any: '或签', sequential: '依次审批', vote: '票签' },
  passRatio: (r) => `通过比例 ${Math.round(r * 100)}%`,
  actions: {
    started: '发起',
    completed: '提交',
    approved: '同意',
    rejected: '驳回',
    claimed: '认领',
    assigned: '指派',
    unassigned: '取消指派',
    transferred: '转办',
    returned: '退回',
    delegated: '委派',
    resolved: '委派办结',
    signers_changed: '加签/减签',
    taken_back: '拿回',
    modified: '流程调整',
    copied: '抄送',
    urged: '催办',
    withdrawn: '撤回',
    terminated: '终止',
    approval_passed: '审批通过',
    approval_failed: '审批不通过',
    ended: '流程结束',
    ended_rejected: '流程结束（驳回）',
    auto_approved: '超时自动同意',
    auto_rejected: '超时自动驳回',
    escalated: '超时上报',
    routed: '分配审批人',
  },
  to: '给',
  removed: '减签',
  groups: '群组',
  returnedTo: (target) => `退回至「${target}」`,
  movedTo: (target) => `管理员调整至「${target}」`,
  list: '、',
};

const EN: Labels = {
  docTitle: 'Approval record',
  processInstanceKey: 'Process instance',
  businessKey: 'Business key',
  process: 'Process',
  version: (v) => `version ${v}`,
  status: 'Status',
  initiator: 'Initiator',
  startDate: 'Started',
  endDate: 'Ended',
  timeZone: 'Time zone',
  generatedAt: 'Generated',
  timeline: 'Timeline',
  when: 'When',
  who: 'Who',
  node: 'Step',
  action: 'Action',
  comment: 'Comment',
  approvals: 'Approval decisions',
  round: (n) => `Round ${n}`,
  approver: 'Approver',
  decision: 'Decision',
  decidedAt: 'Decided',
  waitingFor: 'Waiting for',
  tasks: 'Tasks',
  taskName: 'Task',
  assignee: 'Assignee',
  created: 'Created',
  completed: 'Completed',
  result: 'Result',
  formData: 'Form data',
  field: 'Field',
  value: 'Value',
  delegateData: (who) => `Resolved by delegate (${who})`,
  variables: 'Process data (final)',
  none: 'none',
  system: 'System',
  outcome: {
    ACTIVE: 'In progress',
    COMPLETED: 'Completed',
    REJECTED: 'Rejected',
    WITHDRAWN: 'Withdrawn',
    TERMINATED: 'Terminated',
    CANCELED: 'Canceled',
  },
  roundOutcome: {
    PASSED: 'Approved',
    FAILED: 'Not approved',
    RETURNED: 'Returned',
    PENDING: 'In progress',
    ABANDONED: 'Not finished',
  },
  decisionWord: { approve: 'Approve', reject: 'Reject' },
  taskState: { CREATED: 'Open', COMPLETED: 'Completed', CANCELED: 'Canceled' },
  mode: {
    single: 'Single approver',
    all: 'Countersign (all)',
    any: 'Any one',
    sequential: 'Sequential',
    vote: 'Vote',
  },
  passRatio: (r) => `pass ratio ${Math.round(r * 100)}%`,
  actions: {
    started: 'Started',
    completed: 'Submitted',
    approved: 'Approved',
    rejected: 'Rejected',
    claimed: 'Claimed',
    assigned: 'Assigned',
    unassigned: 'Unassigned',
    transferred: 'Transferred',
    returned: 'Returned',
    delegated: 'Delegated',
    resolved: 'Resolved delegation',
    signers_changed: 'Changed signers',
    taken_back: 'Took back',
    modified: 'Moved by an administrator',
    copied: 'Copied (CC)',
    urged: 'Urged',
    withdrawn: 'Withdrawn',
    terminated: 'Terminated',
    approval_passed: 'Approval passed',
    approval_failed: 'Approval not passed',
    ended: 'Process ended',
    ended_rejected: 'Process ended (rejected)',
    auto_approved: 'Approved automatically (timeout)',
    auto_rejected: 'Rejected automatically (timeout)',
    escalated: 'Escalated (timeout)',
    routed: 'Approvers assigned',
  },
  to: 'to',
  removed: 'removed',
  groups: 'groups',
  returnedTo: (target) => `Returned to “${target}”`,
  movedTo: (target) => `Moved by an administrator to “${target}”`,
  list: ', ',
};

export function labelsFor(lang: RecordLang): Labels {
  return lang === 'en' ? EN : ZH;
}

/** `zh-CN` unless `en` (or `en-…`) is asked for. */
export function recordLang(value: unknown): RecordLang {
  return typeof value === 'string' && /^en(-|$)/i.test(value) ? 'en' : 'zh-CN';
}

/** Whether a time zone name is one Intl knows. */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export interface RenderOptions {
  lang?: RecordLang;
  /** IANA time zone of the dates shown (default Asia/Shanghai). */
  timeZone?: string;
}

/** The words and formats a renderer needs, for one language and time zone. */
function textOf(record: ApprovalRecord, opts: RenderOptions) {
  const lang = opts.lang ?? 'zh-CN';
  const timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
  const L = labelsFor(lang);
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const time = (v: string | null): string => {
    if (!v) return '—';
    const p = Object.fromEntries(fmt.formatToParts(new Date(v)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  };
  const who = (u: RecordUser | null): string =>
    u ? (u.name && u.name !== u.username ? `${u.name} (${u.username})` : u.username) : L.system;
  const whoList = (list: RecordUser[]) => list.map(who).join(L.list);
  const value = (v: unknown): string => {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean') return lang === 'en' ? (v ? 'yes' : 'no') : v ? '是' : '否';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    const json = JSON.stringify(v, null, 1) ?? String(v);
    return json.length > 4000 ? `${json.slice(0, 4000)} …` : json;
  };
  /** The action in words, with whom it went to. */
  const action = (e: TimelineEntry): string => {
    let s = L.actions[e.action];
    if (e.action === 'signers_changed') {
      const parts: string[] = [];
      if (e.to.length) parts.push(`${lang === 'en' ? 'added' : '加签'} ${whoList(e.to)}`);
      if (e.removed.length) parts.push(`${L.removed} ${whoList(e.removed)}`);
      return parts.join('; ') || s;
    }
    if (e.action === 'returned' && e.targetName) s = L.returnedTo(e.targetName);
    if (e.action === 'modified' && e.targetName) s = L.movedTo(e.targetName);
    const targets = [...e.to.map(who), ...e.groups.map((g) => `${L.groups} ${g}`)];
    if (targets.length && e.action !== 'resolved') s += ` → ${targets.join(L.list)}`;
    return s;
  };
  const title = `${record.processName} · ${L.docTitle}`;
  const modeOf = (n: ApprovalNode) =>
    n.mode ? L.mode[n.mode] + (n.mode === 'vote' && n.passRatio ? `, ${L.passRatio(n.passRatio)}` : '') : '';
  const header: Array<[string, string]> = [
    [L.process, `${record.processName} (${record.processDefinitionId}, ${L.version(record.processVersion)})`],
    [L.businessKey, record.businessKey ?? '—'],
    [L.processInstanceKey, record.processInstanceKey],
    [L.status, L.outcome[record.outcome]],
    [L.initiator, record.initiator ? who(record.initiator) : '—'],
    [L.startDate, time(record.startDate)],
    [L.endDate, time(record.endDate)],
    [L.timeZone, timeZone],
  ];
  const timelineRows = record.timeline.map((e) => [
    time(e.at),
    who(e.actor),
    e.elementName ?? '',
    action(e),
    e.comment ?? '',
  ]);
  const taskResult = (t: TaskEntry) =>
    t.decision ? L.decisionWord[t.decision] : (L.taskState[t.state] ?? t.state);
  const taskRows = record.tasks.map((t) => [
    t.name,
    t.state === 'COMPLETED' ? who(t.completedBy) : t.assignee ? who(t.assignee) : '—',
    time(t.createdAt),
    time(t.completedAt),
    taskResult(t),
  ]);
  const forms = record.tasks.flatMap((t) => {
    const out: Array<{ heading: string; rows: string[][] }> = [];
    if (t.formData.length)
      out.push({
        heading: `${t.name} · ${who(t.completedBy)} · ${time(t.completedAt)}`,
        rows: t.formData.map((f) => [f.name, value(f.value)]),
      });
    for (const d of t.delegateData)
      out.push({
        heading: `${t.name} · ${L.delegateData(who(d.by))} · ${time(d.at)}`,
        rows: d.fields.map((f) => [f.name, value(f.value)]),
      });
    return out;
  });
  return {
    lang,
    timeZone,
    L,
    time,
    who,
    whoList,
    value,
    title,
    modeOf,
    header,
    timelineRows,
    taskRows,
    forms,
  };
}

// ---------------------------------------------------------------------------------------------
// HTML

const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

const CSS = `
*{box-sizing:border-box}
body{margin:0 auto;max-width:1000px;padding:24px;font:14px/1.5 "Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","Helvetica Neue",Arial,sans-serif;color:#111;background:#fff}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:24px 0 8px;padding-bottom:4px;border-bottom:2px solid #333}
h3{font-size:14px;margin:14px 0 6px}
.sub{color:#555;margin:0 0 16px}
table{width:100%;border-collapse:collapse;margin:0 0 8px}
th,td{border:1px solid #999;padding:4px 6px;text-align:left;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere}
th{background:#f0f0f0;font-weight:600}
table.meta th{width:9em}
table.kv th:first-child{width:14em}
td.when{white-space:nowrap;width:11em}
.approve,.PASSED{color:#11691f;font-weight:600}
.reject,.FAILED{color:#a3120b;font-weight:600}
.muted{color:#666}
footer{margin-top:24px;color:#666;font-size:12px}
@page{size:A4;margin:15mm 12mm}
@media print{
body{padding:0;max-width:none;font-size:11pt}
h2{break-after:avoid}
thead{display:table-header-group}
tr,.block{break-inside:avoid}
th{background:#eee;-webkit-print-color-adjust:exact;print-color-adjust:exact}
}`;

/** The hash of the one inline style block, for the Content-Security-Policy. */
export const RECORD_STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

/** The CSP the HTML record is served under: nothing loads, nothing runs, only its own style. */
export const RECORD_CSP = `default-src 'none'; style-src ${RECORD_STYLE_HASH}; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function htmlTable(head: string[], rows: string[][], cls: string[] = [], tableClass = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (cls[i] ? `<td class="${cls[i]}">${esc(c)}</td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<table${tableClass ? ` class="${tableClass}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The record as one self-contained, print-friendly HTML page: no scripts, no external resources. */
export function renderApprovalRecordHtml(record: ApprovalRecord, opts: RenderOptions = {}): string {
  const x = textOf(record, opts);
  const { L } = x;
  const parts: string[] = [];
  parts.push(
    `<h1>${esc(record.processName)} · ${esc(L.docTitle)}</h1>`,
    `<p class="sub">${esc(L.businessKey)}: ${esc(record.businessKey ?? '—')} · ${esc(L.processInstanceKey)}: ${esc(record.processInstanceKey)}</p>`,
    `<table class="meta"><tbody>${x.header.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`,
  );
  parts.push(`<h2>${esc(L.timeline)}</h2>`);
  parts.push(
    x.timelineRows.length
      ? htmlTable([L.when, L.who, L.node, L.action, L.comment], x.timelineRows, ['when'])
      : `<p class="muted">${esc(L.none)}</p>`,
  );
  parts.push(`<h2>${esc(L.approvals)}</h2>`);
  if (!record.approvals.length) parts.push(`<p class="muted">${esc(L.none)}</p>`);
  for (const node of record.approvals) {
    const mode = x.modeOf(node);
    node.rounds.forEach((round, i) => {
      const roundName = node.rounds.length > 1 ? ` · ${L.round(i + 1)}` : '';
      parts.push(
        `<div class="block"><h3>${esc(node.name)}${mode ? ` (${esc(mode)})` : ''}${esc(roundName)}: <span class="${round.outcome}">${esc(L.roundOutcome[round.outcome])}</span>${round.decidedAt ? ` <span class="muted">${esc(x.time(round.decidedAt))}</span>` : ''}</h3>`,
      );
      const rows = round.decisions.map((d) => [
        x.who(d.approver),
        L.decisionWord[d.decision],
        d.comment ?? '',
        x.time(d.at),
      ]);
      if (rows.length) {
        const th = [L.approver, L.decision, L.comment, L.decidedAt].map((h) => `<th>${esc(h)}</th>`).join('');
        const body = round.decisions
          .map(
            (d, j) =>
              `<tr><td>${esc(rows[j][0])}</td><td class="${d.decision}">${esc(rows[j][1])}</td><td>${esc(rows[j][2])}</td><td class="when">${esc(rows[j][3])}</td></tr>`,
          )
          .join('\n');
        parts.push(`<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`);
      }
      if (round.waitingFor.length)
        parts.push(`<p>${esc(L.waitingFor)}: ${esc(x.whoList(round.waitingFor))}</p>`);
      parts.push('</div>');
    });
  }
  parts.push(`<h2>${esc(L.tasks)}</h2>`);
  parts.push(
    x.taskRows.length
      ? htmlTable([L.taskName, L.assignee, L.created, L.completed, L.result], x.taskRows, [
          '',
          '',
          'when',
          'when',
        ])
      : `<p class="muted">${esc(L.none)}</p>`,
  );
  parts.push(`<h2>${esc(L.formData)}</h2>`);
  if (!x.forms.length) parts.push(`<p class="muted">${esc(L.none)}</p>`);
  for (const f of x.forms)
    parts.push(
      `<div class="block"><h3>${esc(f.heading)}</h3>${htmlTable([L.field, L.value], f.rows, [], 'kv')}</div>`,
    );
  if (record.variables.length) {
    parts.push(`<h2>${esc(L.variables)}</h2>`);
    parts.push(
      htmlTable(
        [L.field, L.value],
        record.variables.map((v) => [v.name, x.value(v.value)]),
        [],
        'kv',
      ),
    );
  }
  parts.push(
    `<footer>${esc(L.generatedAt)}: ${esc(x.time(record.generatedAt))} (${esc(x.timeZone)}) · Lifeflow</footer>`,
  );
  return `<!DOCTYPE html>
<html lang="${x.lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(RECORD_CSP.replace(/; frame-ancestors 'none'/, ''))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(x.title)}</title>
<style>${CSS}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// PDF

let fontCache: { regular: Buffer; bold: Buffer } | undefined;

/** Noto Sans Hans (OFL-1.1) from @embedpdf/fonts-sc: read once, subset into each PDF by pdfkit. */
function cjkFonts(): { regular: Buffer; bold: Buffer } {
  if (!fontCache) {
    const entry = createRequire(import.meta.url).resolve('@embedpdf/fonts-sc');
    const dir = path.resolve(path.dirname(entry), '../fonts');
    fontCache = {
      regular: readFileSync(path.join(dir, 'NotoSansHans-Regular.otf')),
      bold: readFileSync(path.join(dir, 'NotoSansHans-Bold.otf')),
    };
  }
  return fontCache;
}

/** The record as an A4 PDF with the Chinese font embedded (subset to the glyphs used). */
export async function renderApprovalRecordPdf(
  record: ApprovalRecord,
  opts: RenderOptions & { compress?: boolean } = {},
): Promise<Buffer> {
  const x = textOf(record, opts);
  const { L } = x;
  const fonts = cjkFonts();
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 50, bottom: 50, left: 45, right: 45 },
    compress: opts.compress ?? true,
    bufferPages: true,
    info: {
      Title: x.title,
      Subject: `${record.processName} ${record.businessKey ?? ''} ${record.processInstanceKey}`.trim(),
      Creator: 'Lifeflow',
      Producer: 'Lifeflow',
      CreationDate: new Date(record.generatedAt),
    },
    lang: x.lang,
    displayTitle: true,
  });
  doc.registerFont('cjk', fonts.regular);
  doc.registerFont('cjk-bold', fonts.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };
  const heading = (text: string, size = 13) => {
    // with room for a table's first rows, so that a heading never ends a page
    ensure(size * 3 + 60);
    doc.moveDown(0.6);
    doc.font('cjk-bold').fontSize(size).fillColor('#111').text(text, left, doc.y, { width });
    const y = doc.y + 2;
    doc
      .moveTo(left, y)
      .lineTo(left + width, y)
      .lineWidth(size > 12 ? 1.2 : 0.5)
      .strokeColor('#333')
      .stroke();
    doc.y = y + 6;
  };
  const small = (text: string) => {
    doc.font('cjk').fontSize(9).fillColor('#555').text(text, left, doc.y, { width });
    doc.fillColor('#111');
  };
  /** A table with wrapping cells; the header row repeats on every page it spans. */
  const table = (
    head: string[] | null,
    rows: string[][],
    ratios: number[],
    opts2: { colors?: string[][]; firstColumnFill?: string } = {},
  ) => {
    const total = ratios.reduce((a, b) => a + b, 0);
    const widths = ratios.map((r) => (r / total) * width);
    const pad = 3;
    const size = 8.5;
    const heightOf = (cells: string[], font: string) => {
      doc.font(font).fontSize(size);
      return (
        Math.max(
          ...cells.map((c, i) => doc.heightOfString(c || ' ', { width: widths[i] - 2 * pad, lineGap: 1 })),
        ) +
        2 * pad
      );
    };
    const drawRow = (cells: string[], font: string, fill?: string, colors?: string[]) => {
      const h = heightOf(cells, font);
      let x0 = left;
      const y0 = doc.y;
      cells.forEach((c, i) => {
        const background = fill ?? (i === 0 ? opts2.firstColumnFill : undefined);
        if (background) doc.rect(x0, y0, widths[i], h).fillColor(background).fill();
        doc.rect(x0, y0, widths[i], h).lineWidth(0.5).strokeColor('#999').stroke();
        doc
          .font(font)
          .fontSize(size)
          .fillColor(colors?.[i] || '#111')
          .text(c || '', x0 + pad, y0 + pad, { width: widths[i] - 2 * pad, lineGap: 1 });
        x0 += widths[i];
      });
      doc.fillColor('#111');
      doc.x = left;
      doc.y = y0 + h;
    };
    ensure((head ? heightOf(head, 'cjk-bold') : 0) + 20);
    if (head) drawRow(head, 'cjk-bold', '#eeeeee');
    rows.forEach((r, j) => {
      const h = heightOf(r, 'cjk');
      if (doc.y + h > bottom()) {
        doc.addPage();
        if (head) drawRow(head, 'cjk-bold', '#eeeeee');
      }
      // A cell taller than a page: pdfkit continues the text on the next page by itself.
      drawRow(r, 'cjk', undefined, opts2.colors?.[j]);
    });
    doc.moveDown(0.4);
  };

  doc
    .font('cjk-bold')
    .fontSize(18)
    .fillColor('#111')
    .text(`${record.processName} · ${L.docTitle}`, left, doc.y, { width });
  doc.moveDown(0.2);
  small(
    `${L.businessKey}: ${record.businessKey ?? '—'} · ${L.processInstanceKey}: ${record.processInstanceKey}`,
  );
  doc.moveDown(0.5);
  table(
    null,
    x.header.map(([k, v]) => [k, v]),
    [1, 4],
    { firstColumnFill: '#f3f3f3' },
  );

  heading(L.timeline);
  if (x.timelineRows.length)
    table([L.when, L.who, L.node, L.action, L.comment], x.timelineRows, [2.2, 2.2, 1.5, 2.4, 3]);
  else small(L.none);

  heading(L.approvals);
  if (!record.approvals.length) small(L.none);
  for (const node of record.approvals) {
    const mode = x.modeOf(node);
    node.rounds.forEach((round, i) => {
      const roundName = node.rounds.length > 1 ? ` · ${L.round(i + 1)}` : '';
      ensure(40);
      doc
        .font('cjk-bold')
        .fontSize(10.5)
        .fillColor('#111')
        .text(
          `${node.name}${mode ? ` (${mode})` : ''}${roundName}: ${L.roundOutcome[round.outcome]}${round.decidedAt ? `  ${x.time(round.decidedAt)}` : ''}`,
          left,
          doc.y,
          { width },
        );
      doc.moveDown(0.2);
      if (round.decisions.length)
        table(
          [L.approver, L.decision, L.comment, L.decidedAt],
          round.decisions.map((d) => [
            x.who(d.approver),
            L.decisionWord[d.decision],
            d.comment ?? '',
            x.time(d.at),
          ]),
          [2.4, 1, 4, 2.2],
          {
            colors: round.decisions.map((d) => ['', d.decision === 'approve' ? '#11691f' : '#a3120b']),
          },
        );
      if (round.waitingFor.length) {
        doc
          .font('cjk')
          .fontSize(9)
          .text(`${L.waitingFor}: ${x.whoList(round.waitingFor)}`, left, doc.y, { width });
        doc.moveDown(0.3);
      }
    });
  }

  heading(L.tasks);
  if (x.taskRows.length)
    table([L.taskName, L.assignee, L.created, L.completed, L.result], x.taskRows, [2, 2.4, 2, 2, 1.2]);
  else small(L.none);

  heading(L.formData);
  if (!x.forms.length) small(L.none);
  for (const f of x.forms) {
    ensure(40);
    doc.font('cjk-bold').fontSize(10).fillColor('#111').text(f.heading, left, doc.y, { width });
    doc.moveDown(0.2);
    table([L.field, L.value], f.rows, [1, 3]);
  }
  if (record.variables.length) {
    heading(L.variables);
    table(
      [L.field, L.value],
      record.variables.map((v) => [v.name, x.value(v.value)]),
      [1, 3],
    );
  }

  // Page footers: the record, the page number, when it was generated.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const footer = `${record.processName} · ${record.processInstanceKey} · ${L.generatedAt} ${x.time(record.generatedAt)} (${x.timeZone}) · ${i + 1}/${range.count}`;
    const y = doc.page.height - doc.page.margins.bottom + 16;
    // Writing below the bottom margin must not start a new page.
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('cjk').fontSize(7.5).fillColor('#666').text(footer, left, y, { width, lineBreak: false });
    doc.page.margins.bottom = margin;
  }
  doc.end();
  return finished;
}

/** Values as dotted paths (`items[0].qty`) down to scalars; large lists and deep values stay whole. */
function flatten(value: unknown, path: string, out: Map<string, unknown>, depth = 0): void {
  if (value !== null && typeof value === 'object' && depth < 6) {
    const entries = Array.isArray(value)
      ? value.length <= 200
        ? value.map((v, i) => [`${path}[${i}]`, v] as const)
        : null
      : Object.entries(value as Record<string, unknown>).map(
          ([k, v]) => [path ? `${path}.${k}` : k, v] as const,
        );
    if (entries) {
      if (!entries.length) out.set(path, value);
      for (const [p, v] of entries) flatten(v, p, out, depth + 1);
      return;
    }
  }
  out.set(path, value);
}

/**
 * The field-level diff of a submission against what was there before: every field the
 * submission changed (or added), with its value before (null when new) and after.
 */
export function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const name of Object.keys(after).sort()) {
    const was = new Map<string, unknown>();
    const now = new Map<string, unknown>();
    if (name in before) flatten(before[name], name, was);
    flatten(after[name], name, now);
    for (const [field, value] of now) {
      const old = was.has(field) ? was.get(field) : null;
      if (JSON.stringify(old) !== JSON.stringify(value))
        changes.push({ field, before: old ?? null, after: value });
    }
    // Entries a list or object lost are changes too.
    for (const [field, value] of was)
      if (!now.has(field)) changes.push({ field, before: value, after: null });
  }
  return changes;
}
