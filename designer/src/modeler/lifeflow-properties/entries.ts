import {
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
  isToggleSwitchEntryEdited,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  ToggleSwitchEntry,
} from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { useService } from 'bpmn-js-properties-panel';
import {
  type CalendarItem,
  type FormItem,
  type LifeflowCatalog,
  type OrgItem,
  type RuleSetItem,
  useCatalog,
} from './catalog.js';
import { change, type DiagramElement, getAttr, getExtension, getHeader } from './model.js';
import { tr } from './texts.js';
import { APPROVAL_MODES, APPROVER_STRATEGIES } from '../../../../engine/model/vocabulary.js';

/**
 * The entries of Lifeflow's groups. Values are what the engine reads (engine/elements/user-task.ts,
 * business-rule-task.ts, events.ts; runtime/jobs/builtin-workers.ts for `notify`): an empty
 * field or a select's default removes its attribute.
 */

export const APPROVAL = 'lf:Approval';
export const TIMEOUT = 'lf:Timeout';
export const RETURN_POLICY = 'lf:ReturnPolicy';
export const CALLED_RULE_SET = 'lf:CalledRuleSet';
export const OUTCOME = 'lf:Outcome';
const FORM_DEFINITION = 'zeebe:FormDefinition';
const TASK_DEFINITION = 'zeebe:TaskDefinition';
export const NOTIFY_TYPE = 'notify';

export const MODES: readonly string[] = APPROVAL_MODES;
export const SOURCES: readonly string[] = ['assignees', ...APPROVER_STRATEGIES];
/** The attribute each strategy needs besides `strategy` itself. */
const STRATEGY_ATTR: Record<string, string | undefined> = {
  initiatorHead: 'levels',
  departmentMembers: 'department',
  group: 'group',
  role: 'role',
  ruleSet: 'ruleSet',
};
const STRATEGY_ATTRS = ['levels', 'department', 'group', 'role', 'ruleSet'];

/** The engine's usernames and working-time durations (weeks, days, hours, minutes; no months or years). */
const USERNAME = /^[\p{L}\p{N}._@-]{1,100}$/u;
export const WORKING_DURATION = /^P(?=\d|T\d)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isFeel = (v: string) => v.trim().startsWith('=');

interface EntryProps {
  element: DiagramElement;
  id: string;
}
type Option = { value: string; label: string };

const options = (values: readonly string[], prefix: string): Option[] =>
  values.map((value) => ({ value, label: tr(`${prefix}.${value}`) }));

/** A select that keeps a value the lists do not know (a form not deployed yet, say) as an option. */
function withCurrent(list: Option[], current: string, label: (id: string) => string): Option[] {
  return current && !list.some((o) => o.value === current)
    ? [...list, { value: current, label: label(current) }]
    : list;
}

function loadingDescription(loaded: { data?: unknown; error?: string }, hint?: string): string | undefined {
  if (loaded.error) return tr('loadFailed', { reason: loaded.error });
  if (!loaded.data) return tr('loading');
  return hint;
}

function useInjector() {
  return useService('injector');
}

function setApproval(injector: any, element: DiagramElement, attrs: Record<string, string | undefined>) {
  change(injector, element, (c) => c.set(APPROVAL, attrs));
}

const approvalAttr = (element: DiagramElement, attr: string) => getAttr(element, APPROVAL, attr);

// ---- 审批设置 Approval

export function ApprovalEnabled({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(ToggleSwitchEntry, {
    element,
    id,
    label: tr('approval.enabled'),
    switcherLabel: tr('approval.enabledSwitch'),
    description: tr('approval.enabledHint'),
    getValue: () => !!getExtension(element, APPROVAL),
    setValue: (on: boolean) =>
      change(injector, element, (c) => {
        if (!on) {
          c.remove(APPROVAL);
          return;
        }
        c.set(APPROVAL, { mode: 'single' });
        // The engine refuses an approval with its own assignment or multi-instance.
        c.remove('zeebe:AssignmentDefinition');
        if (element.businessObject.get('loopCharacteristics')) c.own({ loopCharacteristics: undefined });
      }),
  });
}

export function ApprovalMode({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(SelectEntry, {
    element,
    id,
    label: tr('approval.mode'),
    getValue: () => approvalAttr(element, 'mode') || 'single',
    setValue: (mode: string) =>
      setApproval(injector, element, {
        mode,
        passRatio: mode === 'vote' ? approvalAttr(element, 'passRatio') || '0.6' : undefined,
      }),
    getOptions: () => options(MODES, 'approval.modes'),
  });
}

export function ApprovalPassRatio({ element, id }: EntryProps) {
  const injector = useInjector();
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element,
    id,
    label: tr('approval.passRatio'),
    description: tr('approval.passRatioHint'),
    debounce,
    getValue: () => approvalAttr(element, 'passRatio'),
    validate: (v: string) => {
      const n = Number(v);
      return v.trim() && n > 0 && n <= 1 ? null : tr('approval.passRatioInvalid');
    },
    setValue: (v: string, error?: string | null) => {
      if (!error) setApproval(injector, element, { passRatio: v.trim() });
    },
  });
}

export function ApprovalSource({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(SelectEntry, {
    element,
    id,
    label: tr('approval.source'),
    getValue: () => approvalAttr(element, 'strategy') || 'assignees',
    setValue: (source: string) => {
      const keep = STRATEGY_ATTR[source];
      const cleared = Object.fromEntries(
        STRATEGY_ATTRS.filter((a) => a !== keep).map((a) => [a, undefined] as const),
      );
      setApproval(
        injector,
        element,
        source === 'assignees'
          ? { ...cleared, strategy: undefined }
          : { ...cleared, strategy: source, assignees: undefined },
      );
    },
    getOptions: () => options(SOURCES, 'approval.sources'),
  });
}

/** Usernames or FEEL, as the engine checks them (FEEL syntax is checked by the server on deploy). */
export function assigneesError(value: string, mode: string): string | null {
  const v = value.trim();
  if (!v) return tr('approval.assigneesRequired');
  if (isFeel(v)) return null;
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.find((n) => !USERNAME.test(n));
  if (bad) return tr('approval.assigneesInvalid', { name: bad });
  if (mode === 'single' && names.length > 1) return tr('approval.singleTakesOne');
  return null;
}

export function ApprovalAssignees({ element, id }: EntryProps) {
  const injector = useInjector();
  const debounce = useService('debounceInput');
  const mode = approvalAttr(element, 'mode') || 'single';
  return h(TextFieldEntry, {
    element,
    id,
    label: tr('approval.assignees'),
    description: tr('approval.assigneesHint'),
    debounce,
    getValue: () => approvalAttr(element, 'assignees'),
    validate: (v: string) => assigneesError(v, mode),
    setValue: (v: string) => setApproval(injector, element, { assignees: v.trim() }),
  });
}

export function ApprovalLevels({ element, id }: EntryProps) {
  const injector = useInjector();
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element,
    id,
    label: tr('approval.levels'),
    description: tr('approval.levelsHint'),
    placeholder: '1',
    debounce,
    getValue: () => approvalAttr(element, 'levels'),
    validate: (v: string) => {
      if (!v.trim()) return null;
      const n = Number(v);
      return Number.isInteger(n) && n >= 1 && n <= 20 ? null : tr('approval.levelsInvalid');
    },
    setValue: (v: string, error?: string | null) => {
      if (!error) setApproval(injector, element, { levels: v.trim() });
    },
  });
}

/** department, group or role: the id the strategy needs, chosen from the tenant's org chart. */
export function ApprovalStrategyId({
  element,
  id,
  attr,
}: EntryProps & { attr: 'department' | 'group' | 'role' }) {
  const injector = useInjector();
  const catalog: LifeflowCatalog = useService('lifeflowCatalog');
  const loaded = useCatalog<OrgItem[]>(
    catalog,
    attr === 'department' ? 'departments' : attr === 'group' ? 'groups' : 'roles',
  );
  const current = approvalAttr(element, attr);
  const list = withCurrent(
    [
      { value: '', label: tr('approval.choose') },
      ...(loaded.data ?? []).map((o) => ({
        value: o.id,
        label: o.name && o.name !== o.id ? `${o.name} (${o.id})` : o.id,
      })),
    ],
    current,
    (v) => tr('approval.unknownId', { id: v }),
  );
  return h(SelectEntry, {
    element,
    id,
    label: tr(`approval.${attr}`),
    description: loadingDescription(loaded),
    getValue: () => approvalAttr(element, attr),
    validate: (v: string) => (v ? null : tr('approval.required')),
    setValue: (v: string) => setApproval(injector, element, { [attr]: v }),
    getOptions: () => list,
  });
}

function useRuleSetOptions(current: string): { list: Option[]; description?: string } {
  const catalog: LifeflowCatalog = useService('lifeflowCatalog');
  const loaded = useCatalog<RuleSetItem[]>(catalog, 'ruleSets');
  const list = withCurrent(
    [
      { value: '', label: tr('ruleSet.none') },
      ...(loaded.data ?? []).map((s) => ({
        value: s.ruleSetId,
        label: s.name ? `${s.name} (${s.ruleSetId})` : s.ruleSetId,
      })),
    ],
    current,
    (v) => tr('ruleSet.notDeployed', { id: v }),
  );
  return { list, description: loadingDescription(loaded) };
}

export function ApprovalRuleSet({ element, id }: EntryProps) {
  const injector = useInjector();
  const current = approvalAttr(element, 'ruleSet');
  const { list, description } = useRuleSetOptions(current);
  return h(SelectEntry, {
    element,
    id,
    label: tr('approval.ruleSet'),
    description: description ?? tr('approval.ruleSetHint'),
    getValue: () => approvalAttr(element, 'ruleSet'),
    validate: (v: string) => (v ? null : tr('approval.required')),
    setValue: (v: string) => setApproval(injector, element, { ruleSet: v }),
    getOptions: () => list,
  });
}

export function ApprovalOnEmpty({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(SelectEntry, {
    element,
    id,
    label: tr('approval.onEmpty'),
    getValue: () => approvalAttr(element, 'onEmpty') || 'incident',
    setValue: (v: string) => setApproval(injector, element, { onEmpty: v === 'incident' ? undefined : v }),
    getOptions: () => options(['incident', 'admin', 'skip'], 'approval.onEmpties'),
  });
}

export function ApprovalOnReject({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(SelectEntry, {
    element,
    id,
    label: tr('approval.onReject'),
    getValue: () => approvalAttr(element, 'onReject') || 'continue',
    setValue: (v: string) =>
      setApproval(injector, element, {
        onReject: v === 'continue' ? undefined : v,
        returnTo: v === 'return' ? approvalAttr(element, 'returnTo') || undefined : undefined,
      }),
    getOptions: () => options(['continue', 'end', 'return'], 'approval.onRejects'),
  });
}

export function ApprovalReturnTo({ element, id }: EntryProps) {
  const injector = useInjector();
  const elementRegistry = useService('elementRegistry');
  const userTasks: Option[] = elementRegistry
    .filter((e: DiagramElement) => is(e, 'bpmn:UserTask') && e.type !== 'label' && e.id !== element.id)
    .map((e: DiagramElement) => ({
      value: e.id,
      label: e.businessObject.get('name') ? `${e.businessObject.get('name')} (${e.id})` : e.id,
    }));
  const current = approvalAttr(element, 'returnTo');
  return h(SelectEntry, {
    element,
    id,
    label: tr('approval.returnTo'),
    getValue: () => approvalAttr(element, 'returnTo') || 'previous',
    setValue: (v: string) => setApproval(injector, element, { returnTo: v === 'previous' ? undefined : v }),
    getOptions: () =>
      withCurrent(
        [...options(['previous', 'initiator'], 'approval.returnTos'), ...userTasks],
        current,
        (v) => v,
      ),
  });
}

// ---- 超时与工作日历 Timeout & calendar

const TIMEOUT_ATTRS = ['remindEvery', 'after', 'action', 'calendar'];

function setTimeoutAttr(injector: any, element: DiagramElement, attr: string, value: string) {
  change(injector, element, (c) => {
    const left = TIMEOUT_ATTRS.some((a) => (a === attr ? value : getAttr(element, TIMEOUT, a)) !== '');
    if (left) c.set(TIMEOUT, { [attr]: value });
    else c.remove(TIMEOUT);
  });
}

export function durationError(value: string): string | null {
  const v = value.trim();
  return !v || WORKING_DURATION.test(v) ? null : tr('timeout.invalidDuration');
}

export function TimeoutDuration({ element, id, attr }: EntryProps & { attr: 'remindEvery' | 'after' }) {
  const injector = useInjector();
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element,
    id,
    label: tr(`timeout.${attr}`),
    description: tr(`timeout.${attr}Hint`),
    placeholder: attr === 'after' ? 'P2D' : 'PT4H',
    debounce,
    getValue: () => getAttr(element, TIMEOUT, attr),
    validate: durationError,
    setValue: (v: string, error?: string | null) => {
      if (!error) setTimeoutAttr(injector, element, attr, v.trim());
    },
  });
}

export function TimeoutAction({ element, id }: EntryProps) {
  const injector = useInjector();
  const approval = !!getExtension(element, APPROVAL);
  const after = getAttr(element, TIMEOUT, 'after');
  return h(SelectEntry, {
    element,
    id,
    label: tr('timeout.action'),
    getValue: () => getAttr(element, TIMEOUT, 'action') || 'notify',
    validate: (v: string) => {
      if (v !== 'notify' && !after) return tr('timeout.actionNeedsAfter');
      if ((v === 'approve' || v === 'reject') && !approval) return tr('timeout.actionNeedsApproval');
      return null;
    },
    setValue: (v: string) => setTimeoutAttr(injector, element, 'action', v === 'notify' ? '' : v),
    getOptions: () =>
      options(['notify', 'approve', 'reject', 'escalate'], 'timeout.actions').map((o) => ({
        ...o,
        disabled: (o.value === 'approve' || o.value === 'reject') && !approval,
      })),
  });
}

const BUILT_IN_CALENDARS = ['cn-standard', 'natural'];

export function TimeoutCalendar({ element, id }: EntryProps) {
  const injector = useInjector();
  const catalog: LifeflowCatalog = useService('lifeflowCatalog');
  const loaded = useCatalog<CalendarItem[]>(catalog, 'calendars');
  const current = getAttr(element, TIMEOUT, 'calendar');
  const own = (loaded.data ?? [])
    .filter((c) => !BUILT_IN_CALENDARS.includes(c.calendarId))
    .map((c) => ({ value: c.calendarId, label: c.name ? `${c.name} (${c.calendarId})` : c.calendarId }));
  const list = withCurrent(
    [
      { value: '', label: tr('timeout.calendarDefault') },
      ...options(BUILT_IN_CALENDARS, 'timeout.calendars'),
      ...own,
    ],
    current,
    (v) => tr('timeout.unknownCalendar', { id: v }),
  );
  return h(SelectEntry, {
    element,
    id,
    label: tr('timeout.calendar'),
    description: loadingDescription(loaded),
    getValue: () => getAttr(element, TIMEOUT, 'calendar'),
    setValue: (v: string) => setTimeoutAttr(injector, element, 'calendar', v),
    getOptions: () => list,
  });
}

// ---- 退回策略 Return policy

export function ReturnPolicyResubmit({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(SelectEntry, {
    element,
    id,
    label: tr('returnPolicy.resubmit'),
    getValue: () =>
      getExtension(element, RETURN_POLICY) ? getAttr(element, RETURN_POLICY, 'resubmit') || 'path' : 'none',
    setValue: (v: string) =>
      change(injector, element, (c) => {
        if (v === 'none') c.remove(RETURN_POLICY);
        else c.set(RETURN_POLICY, { resubmit: v });
      }),
    getOptions: () => options(['none', 'path', 'returner'], 'returnPolicy.resubmits'),
  });
}

// ---- 关联表单 Linked form (zeebe:FormDefinition formId, as the Camunda "Form" group writes it)

export function LinkedForm({ element, id }: EntryProps) {
  const injector = useInjector();
  const catalog: LifeflowCatalog = useService('lifeflowCatalog');
  const loaded = useCatalog<FormItem[]>(catalog, 'forms');
  const current = getAttr(element, FORM_DEFINITION, 'formId');
  const list = withCurrent(
    [
      { value: '', label: tr('linkedForm.none') },
      ...(loaded.data ?? []).map((f) => ({ value: f.formId, label: `${f.formId} · v${f.version}` })),
    ],
    current,
    (v) => tr('linkedForm.notDeployed', { id: v }),
  );
  return h(SelectEntry, {
    element,
    id,
    label: tr('linkedForm.form'),
    description: loadingDescription(loaded, tr('linkedForm.hint')),
    getValue: () => getAttr(element, FORM_DEFINITION, 'formId'),
    setValue: (formId: string) =>
      change(injector, element, (c) => {
        if (!formId) {
          if (getAttr(element, FORM_DEFINITION, 'formId')) c.remove(FORM_DEFINITION);
          return;
        }
        // A linked form: no embedded form key or external reference beside it.
        c.set(FORM_DEFINITION, { formId, formKey: undefined, externalReference: undefined });
      }),
    getOptions: () => list,
  });
}

// ---- 规则集 Rule set (business rule task)

function setCalledRuleSet(injector: any, element: DiagramElement, attr: string, value: string) {
  change(injector, element, (c) => {
    const other = attr === 'ruleSetId' ? 'resultVariable' : 'ruleSetId';
    if (!value && !getAttr(element, CALLED_RULE_SET, other)) c.remove(CALLED_RULE_SET);
    else c.set(CALLED_RULE_SET, { [attr]: value });
  });
}

export function CalledRuleSetId({ element, id }: EntryProps) {
  const injector = useInjector();
  const current = getAttr(element, CALLED_RULE_SET, 'ruleSetId');
  const { list, description } = useRuleSetOptions(current);
  return h(SelectEntry, {
    element,
    id,
    label: tr('ruleSet.ruleSetId'),
    description,
    getValue: () => getAttr(element, CALLED_RULE_SET, 'ruleSetId'),
    validate: (v: string) => (v ? null : tr('ruleSet.required')),
    setValue: (v: string) => setCalledRuleSet(injector, element, 'ruleSetId', v),
    getOptions: () => list,
  });
}

export function CalledRuleSetResult({ element, id }: EntryProps) {
  const injector = useInjector();
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element,
    id,
    label: tr('ruleSet.resultVariable'),
    description: tr('ruleSet.resultVariableHint'),
    placeholder: 'result',
    debounce,
    getValue: () => getAttr(element, CALLED_RULE_SET, 'resultVariable'),
    validate: (v: string) =>
      !v.trim() ? tr('ruleSet.required') : VARIABLE_NAME.test(v.trim()) ? null : tr('ruleSet.invalidName'),
    setValue: (v: string, error?: string | null) => {
      if (!error || !v.trim()) setCalledRuleSet(injector, element, 'resultVariable', v.trim());
    },
  });
}

// ---- 通知与抄送 Notification / CC (built-in job type notify)

export const isNotify = (element: DiagramElement) =>
  getAttr(element, TASK_DEFINITION, 'type') === NOTIFY_TYPE;
const NOTIFY_HEADERS = ['users', 'groups', 'message', 'event'];

export function NotifyEnabled({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(ToggleSwitchEntry, {
    element,
    id,
    label: tr('notify.enabled'),
    switcherLabel: tr('notify.enabledSwitch'),
    getValue: () => isNotify(element),
    setValue: (on: boolean) =>
      change(injector, element, (c) => {
        if (on) {
          c.set(TASK_DEFINITION, { type: NOTIFY_TYPE });
          if (!getHeader(element, 'event')) c.header('event', 'CC');
        } else {
          c.remove(TASK_DEFINITION);
          for (const key of NOTIFY_HEADERS) c.header(key, '');
        }
      }),
  });
}

export function NotifyRecipients({ element, id, header }: EntryProps & { header: 'users' | 'groups' }) {
  const injector = useInjector();
  const debounce = useService('debounceInput');
  const other = getHeader(element, header === 'users' ? 'groups' : 'users');
  return h(TextFieldEntry, {
    element,
    id,
    label: tr(`notify.${header}`),
    description: tr(`notify.${header}Hint`),
    debounce,
    getValue: () => getHeader(element, header),
    validate: (v: string) =>
      header === 'users' && !v.trim() && !other ? tr('notify.recipientsRequired') : null,
    setValue: (v: string) => change(injector, element, (c) => c.header(header, v.trim())),
  });
}

export function NotifyMessage({ element, id }: EntryProps) {
  const injector = useInjector();
  const debounce = useService('debounceInput');
  return h(TextAreaEntry, {
    element,
    id,
    label: tr('notify.message'),
    debounce,
    rows: 2,
    getValue: () => getHeader(element, 'message'),
    setValue: (v: string) => change(injector, element, (c) => c.header('message', v)),
  });
}

export function NotifyEvent({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(SelectEntry, {
    element,
    id,
    label: tr('notify.event'),
    getValue: () => getHeader(element, 'event') || 'CC',
    setValue: (v: string) => change(injector, element, (c) => c.header('event', v)),
    getOptions: () => options(['CC', 'MENTIONED'], 'notify.events'),
  });
}

// ---- 结果 Outcome (end event)

export function OutcomeValue({ element, id }: EntryProps) {
  const injector = useInjector();
  return h(SelectEntry, {
    element,
    id,
    label: tr('outcome.value'),
    getValue: () => getAttr(element, OUTCOME, 'value') || 'none',
    setValue: (v: string) =>
      change(injector, element, (c) => {
        if (v === 'none') c.remove(OUTCOME);
        else c.set(OUTCOME, { value: v });
      }),
    getOptions: () => options(['none', 'completed', 'rejected'], 'outcome.values'),
  });
}

export const edited = {
  select: isSelectEntryEdited,
  text: isTextFieldEntryEdited,
  textArea: isTextAreaEntryEdited,
  toggle: isToggleSwitchEntryEdited,
};
