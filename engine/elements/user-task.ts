import { IncidentSignal } from '../errors/engine-error.js';
import { checkFeelSyntax, evaluateProperty, isFeel } from '../expressions/feel.js';
import type { ElementBehaviour } from './behaviour.js';
import { extension } from './behaviour.js';
import { readTaskHeaders } from './job-task.js';
import type { ApprovalMode, ApproverStrategy, FlowNode } from '../model/types.js';
import { APPROVAL_MODES, APPROVER_STRATEGIES } from '../model/vocabulary.js';

/** Where an approval's signers keep their decisions ({ approver, decision, comment }, in order). */
export const APPROVAL_DECISIONS = 'approvalDecisions';
const USERNAME = /^[\p{L}\p{N}._@-]{1,100}$/u;

const STRATEGIES: readonly string[] = APPROVER_STRATEGIES;

function readStrategy(a: any, report: (m: string) => void): ApproverStrategy | undefined {
  const kind = a.strategy;
  if (kind === undefined) return undefined;
  if (!STRATEGIES.includes(kind)) {
    report(`lf:approval strategy must be one of ${STRATEGIES.join(', ')}, not '${kind}'`);
    return undefined;
  }
  const need = (attr: 'department' | 'group' | 'role' | 'ruleSet') => {
    if (!a[attr]) report(`strategy ${kind} needs the ${attr} attribute`);
    return String(a[attr] ?? '');
  };
  switch (kind) {
    case 'initiator':
      return { kind };
    case 'initiatorHead': {
      const levels = a.levels === undefined ? 1 : Number(a.levels);
      if (!Number.isInteger(levels) || levels < 1 || levels > 20)
        report('levels must be a whole number from 1 to 20');
      return { kind, levels };
    }
    case 'departmentMembers':
      return { kind, department: need('department') };
    case 'group':
      return { kind, group: need('group') };
    case 'initiatorPicks':
    case 'previousPicks':
      return { kind };
    case 'ruleSet':
      return { kind, ruleSetId: need('ruleSet') };
    default:
      return { kind: 'role', role: need('role') };
  }
}

/**
 * `<lf:approval mode="all" assignees="eng1, ops1" onReject="continue"/>` on a user task: the task
 * becomes a multi-instance over the approvers (assignees: FEEL giving a list, or usernames), each
 * instance assigned to its approver, and the mode becomes the completion condition over the
 * decisions so far — 会签 ends at the first rejection, 或签 at the first decision, 票签 as soon as
 * the ratio is reached or can no longer be. Plain BPMN underneath: nothing a modeller must write.
 */
function compileApproval(el: any, node: FlowNode, report: (m: string) => void): void {
  const a = extension(el, 'lf:Approval');
  if (!a) return;
  const mode = (a.mode ?? 'single') as ApprovalMode;
  if (!APPROVAL_MODES.includes(mode))
    report(`lf:approval mode must be one of ${APPROVAL_MODES.join(', ')}, not '${a.mode}'`);
  const onReject = a.onReject ?? 'continue';
  if (!['continue', 'end', 'return'].includes(onReject))
    report(`lf:approval onReject must be 'continue', 'end' or 'return', not '${onReject}'`);
  const returnTo = onReject === 'return' ? (a.returnTo ?? 'previous') : undefined;
  if (a.returnTo !== undefined && onReject !== 'return') report('returnTo is only for onReject="return"');
  if (returnTo !== undefined && returnTo !== node.id && !/^[A-Za-z_][\w.-]*$/.test(returnTo))
    report(`returnTo must be previous, initiator or the id of an earlier user task, not '${returnTo}'`);
  if (returnTo === node.id) report('returnTo cannot name the approval itself');
  let passRatio: number | undefined;
  if (mode === 'vote') {
    passRatio = Number(a.passRatio);
    if (a.passRatio === undefined || !(passRatio > 0 && passRatio <= 1))
      report(`a vote (票签) needs a passRatio above 0 and at most 1, e.g. passRatio="0.6"`);
  } else if (a.passRatio !== undefined) report('passRatio is only for mode vote');
  if (el.loopCharacteristics)
    report('an approval runs its own multi-instance over its approvers: remove the loop characteristics');
  if (node.userTask?.assignee || node.userTask?.candidateGroups || node.userTask?.candidateUsers)
    report('an approval is assigned by its lf:approval assignees, not by zeebe:assignmentDefinition');
  const onEmpty = a.onEmpty ?? 'incident';
  if (!['incident', 'admin', 'skip'].includes(onEmpty))
    report(`lf:approval onEmpty must be 'incident', 'admin' or 'skip', not '${onEmpty}'`);
  const strategy = readStrategy(a, report);
  const assignees = (a.assignees ?? '').trim();
  if (strategy && assignees) report('an approval takes assignees or a strategy, not both');
  let inputCollection: string;
  if (strategy) {
    // Resolved from the org chart when the node starts; no list to evaluate.
    inputCollection = '=[]';
  } else if (isFeel(assignees)) {
    const err = checkFeelSyntax(assignees);
    if (err) report(`assignees is not a valid FEEL expression: ${err}`);
    inputCollection = assignees;
  } else {
    const names = assignees
      .split(',')
      .map((s: string) => s.trim())
      .filter(Boolean);
    if (!names.length)
      report('lf:approval needs assignees: usernames separated by commas, or FEEL giving a list');
    const bad = names.find((n: string) => !USERNAME.test(n));
    if (bad) report(`'${bad}' is not a username`);
    inputCollection = `=[${names.map((n: string) => JSON.stringify(n)).join(', ')}]`;
  }
  if (mode === 'single' && !strategy && !isFeel(assignees) && inputCollection.split(',').length > 1)
    report('mode single takes one approver; use all (会签), any (或签), sequential or vote for several');
  // The condition is evaluated as a signer's decision comes in, before it joins the list: the
  // signer's own `decision` counts too.
  const counted = (d: string) =>
    `(count(${APPROVAL_DECISIONS}[item.decision = "${d}"]) + (if decision = "${d}" then 1 else 0))`;
  const completionCondition =
    mode === 'any' || mode === 'single'
      ? '=true'
      : mode === 'vote'
        ? `=${counted('approve')} >= ${passRatio} * numberOfInstances or ${counted('reject')} > (1 - ${passRatio}) * numberOfInstances`
        : '=decision = "reject"';
  node.multiInstance = {
    sequential: mode === 'sequential',
    inputCollection,
    inputElement: 'approver',
    outputCollection: APPROVAL_DECISIONS,
    outputElement: '={approver: approver, decision: decision, comment: comment}',
    completionCondition,
  };
  node.userTask = { ...node.userTask, assignee: '=approver' };
  node.approval = {
    mode,
    passRatio,
    onReject,
    returnTo,
    assignees: strategy ? undefined : assignees,
    strategy,
    onEmpty: onEmpty as 'incident' | 'admin' | 'skip',
  };
}

/** A duration of working time: weeks, days, hours and minutes (no months or years). */
const WORKING_DURATION = /^P(?=\d|T\d)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$/;
const TIMEOUT_ACTIONS = ['approve', 'reject', 'escalate', 'notify'];

/**
 * `<lf:timeout remindEvery="PT4H" after="P2D" action="approve" calendar="cn-standard"/>`:
 * reminders, then an action when the task is due, in working time.
 */
function compileTimeout(el: any, node: FlowNode, report: (m: string) => void): void {
  const t = extension(el, 'lf:Timeout');
  if (!t) return;
  for (const attr of ['remindEvery', 'after'] as const) {
    if (t[attr] === undefined) continue;
    // after may be a FEEL expression (e.g. an SLA per severity), evaluated when the task opens.
    if (attr === 'after' && isFeel(t[attr])) {
      const err = checkFeelSyntax(t[attr]);
      if (err) report(`lf:timeout ${attr}: ${err}`);
    } else if (!WORKING_DURATION.test(t[attr]))
      report(
        `lf:timeout ${attr} must be a duration of working time like PT4H or P2D (or a FEEL expression giving one), not '${t[attr]}'`,
      );
  }
  if (t.remindEvery === undefined && t.after === undefined)
    report('lf:timeout needs remindEvery, after, or both');
  const action = t.action ?? 'notify';
  if (!TIMEOUT_ACTIONS.includes(action))
    report(`lf:timeout action must be one of ${TIMEOUT_ACTIONS.join(', ')}, not '${action}'`);
  if (t.action !== undefined && t.after === undefined)
    report('lf:timeout action needs after: when it happens');
  if ((action === 'approve' || action === 'reject') && !extension(el, 'lf:Approval'))
    report(`lf:timeout action ${action} is for approvals (lf:approval) only`);
  if (t.calendar !== undefined && !/^[\w.-]{1,100}$/.test(t.calendar))
    report(`lf:timeout calendar must be a calendar id, not '${t.calendar}'`);
  node.timeout = { remindEvery: t.remindEvery, after: t.after, action, calendar: t.calendar };
}

/** `<lf:returnPolicy resubmit="returner"/>`: where the resubmission goes after this task returned the flow. */
function compileReturnPolicy(el: any, node: FlowNode, report: (m: string) => void): void {
  const p = extension(el, 'lf:ReturnPolicy');
  if (!p) return;
  const resubmit = p.resubmit ?? 'path';
  if (resubmit !== 'path' && resubmit !== 'returner')
    report(`lf:returnPolicy resubmit must be 'path' or 'returner', not '${resubmit}'`);
  node.returnPolicy = { resubmit };
}

function toList(value: unknown, what: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  throw new IncidentSignal(
    'EXTRACT_VALUE_ERROR',
    `${what}: expected a list of strings or a comma-separated string, but was ${JSON.stringify(value)}`,
  );
}

function toDate(value: unknown, what: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) {
    throw new IncidentSignal(
      'EXTRACT_VALUE_ERROR',
      `${what}: expected an ISO 8601 date-time, but was ${JSON.stringify(value)}`,
    );
  }
  return d.toISOString();
}

/**
 * A user task waits for a person. Assignee, candidates, dates and priority may be static or FEEL;
 * the form is linked by id (resolved to the latest deployed version when the task is created) or
 * embedded in the model.
 */
export const userTaskBehaviour: ElementBehaviour = {
  types: ['bpmn:UserTask'],
  compile(el, node, report) {
    const assignment = extension(el, 'zeebe:AssignmentDefinition');
    const schedule = extension(el, 'zeebe:TaskSchedule');
    const priority = extension(el, 'zeebe:PriorityDefinition');
    const form = extension(el, 'zeebe:FormDefinition');
    const legacyFormKey: string | undefined = el.extensionElements?.values?.find(
      (v: any) => v.$type === 'zeebe:FormDefinition',
    )?.formKey;
    node.userTask = {
      assignee: assignment?.assignee,
      candidateGroups: assignment?.candidateGroups,
      candidateUsers: assignment?.candidateUsers,
      dueDate: schedule?.dueDate,
      followUpDate: schedule?.followUpDate,
      priority: priority?.priority,
      formId: form?.formId,
      externalFormReference:
        form?.externalReference ??
        (legacyFormKey && !legacyFormKey.startsWith('camunda-forms:bpmn:') ? legacyFormKey : undefined),
    };
    node.taskHeaders = readTaskHeaders(el);
    compileApproval(el, node, report);
    compileReturnPolicy(el, node, report);
    compileTimeout(el, node, report);
    for (const [prop, value] of Object.entries(node.userTask)) {
      if (typeof value === 'string' && isFeel(value)) {
        const err = checkFeelSyntax(value);
        if (err) report(`${prop} is not a valid FEEL expression: ${err}`);
      }
    }
    if (node.userTask.priority !== undefined && !isFeel(node.userTask.priority)) {
      const p = Number(node.userTask.priority);
      if (!Number.isInteger(p) || p < 0 || p > 100)
        report(`priority must be an integer from 0 to 100, but was '${node.userTask.priority}'`);
    }
  },
  async activate(run, inst, node) {
    const props = node.userTask ?? {};
    const vars = run.feelContext(inst.elementInstanceKey);
    const what = (p: string) => `<${node.id}> ${p}`;
    const override = run.assignOnCreate?.elementId === node.id ? run.assignOnCreate.assignee : undefined;
    if (override) run.assignOnCreate = undefined;
    const assignee = override ?? evaluateProperty(props.assignee, vars, what('assignee'));
    const candidateGroups = toList(
      evaluateProperty(props.candidateGroups, vars, what('candidateGroups')),
      what('candidateGroups'),
    );
    const candidateUsers = toList(
      evaluateProperty(props.candidateUsers, vars, what('candidateUsers')),
      what('candidateUsers'),
    );
    const dueDate = toDate(evaluateProperty(props.dueDate, vars, what('dueDate')), what('dueDate'));
    const followUpDate = toDate(
      evaluateProperty(props.followUpDate, vars, what('followUpDate')),
      what('followUpDate'),
    );
    const priorityValue = evaluateProperty(props.priority, vars, what('priority'));
    let priority = 50;
    if (priorityValue !== undefined && priorityValue !== null) {
      priority = Number(priorityValue);
      if (!Number.isInteger(priority) || priority < 0 || priority > 100) {
        throw new IncidentSignal(
          'EXTRACT_VALUE_ERROR',
          `${what('priority')}: expected an integer from 0 to 100, but was ${JSON.stringify(priorityValue)}`,
        );
      }
    }
    if (assignee !== undefined && assignee !== null && typeof assignee !== 'string') {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `${what('assignee')}: expected a string, but was ${JSON.stringify(assignee)}`,
      );
    }
    let formKey: string | null = null;
    let formId: string | null = null;
    if (props.formId) {
      const form = await run.ctx.services.resolveForm(run.state.instance.tenantId, props.formId);
      if (!form)
        throw new IncidentSignal(
          'FORM_NOT_FOUND',
          `expected a deployed form with id <${props.formId}> for <${node.id}>, but found none`,
        );
      formKey = form.formKey;
      formId = form.formId;
    }
    const i = run.state.instance;
    // lf:timeout: the task is due after its working time; reminders come every so much of it.
    let timing: Awaited<ReturnType<typeof run.taskTiming>> | undefined;
    if (node.timeout) {
      const duration = (attr: 'after') => {
        const raw = node.timeout![attr];
        if (!isFeel(raw)) return raw;
        const value = evaluateProperty(raw, vars, what(`lf:timeout ${attr}`));
        if (value === null || value === undefined) return undefined;
        if (typeof value !== 'string' || !WORKING_DURATION.test(value))
          throw new IncidentSignal(
            'EXTRACT_VALUE_ERROR',
            `${what(`lf:timeout ${attr}`)}: expected a duration of working time like PT4H or P2D, but was ${JSON.stringify(value)}`,
          );
        return value;
      };
      timing = await run.taskTiming(node, run.ctx.now, {
        after: duration('after'),
        remindEvery: node.timeout.remindEvery,
      });
    }
    // 代理: an assignee who is away has their new tasks go to their substitute, who acts for them
    // (the task keeps them as its owner, so they still see it and the history says for whom).
    let owner: string | null = null;
    let finalAssignee = (assignee as string | undefined) || null;
    if (finalAssignee && !override && run.ctx.services.substituteFor) {
      const substitute = await run.ctx.services.substituteFor(
        i.tenantId,
        finalAssignee,
        i.processDefinitionId,
        run.ctx.now,
      );
      if (substitute && substitute !== finalAssignee) {
        owner = finalAssignee;
        finalAssignee = substitute;
      }
    }
    run.emit(
      'task.created',
      {
        task: {
          userTaskKey: run.ctx.nextKey(),
          elementInstanceKey: inst.elementInstanceKey,
          processInstanceKey: i.processInstanceKey,
          processDefinitionKey: i.processDefinitionKey,
          processDefinitionId: i.processDefinitionId,
          processDefinitionVersion: i.processDefinitionVersion,
          elementId: node.id,
          name: node.name ?? null,
          tenantId: i.tenantId,
          state: 'CREATED',
          assignee: finalAssignee,
          owner,
          candidateGroups,
          candidateUsers,
          dueDate: dueDate ?? timing?.deadline?.toISOString() ?? null,
          followUpDate,
          priority,
          formKey,
          formId,
          embeddedForm: props.embeddedForm ?? null,
          customHeaders: node.taskHeaders ?? {},
          creationDate: run.nowIso,
          completionDate: null,
        },
      },
      node.id,
    );
    if (timing) run.scheduleTaskTimers(inst, node, timing);
  },
};
