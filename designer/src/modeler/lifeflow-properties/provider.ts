import { Group } from '@bpmn-io/properties-panel';
import { is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import {
  APPROVAL,
  CALLED_RULE_SET,
  ApprovalAssignees,
  ApprovalEnabled,
  ApprovalLevels,
  ApprovalMode,
  ApprovalOnEmpty,
  ApprovalOnReject,
  ApprovalPassRatio,
  ApprovalReturnTo,
  ApprovalRuleSet,
  ApprovalSource,
  ApprovalStrategyId,
  CalledRuleSetId,
  CalledRuleSetResult,
  edited,
  isNotify,
  LinkedForm,
  NotifyEnabled,
  NotifyEvent,
  NotifyMessage,
  NotifyRecipients,
  OutcomeValue,
  ReturnPolicyResubmit,
  TimeoutAction,
  TimeoutCalendar,
  TimeoutDuration,
} from './entries.js';
import { type DiagramElement, getAttr, getExtension } from './model.js';
import { tr } from './texts.js';

interface Entry {
  id: string;
  component: (props: any) => unknown;
  isEdited?: (node: any) => boolean;
  [prop: string]: unknown;
}
interface GroupDef {
  id: string;
  label: string;
  entries: Entry[];
  component?: unknown;
}

/** Runs after the Camunda 8 provider (priority 500) so its groups are there to place ours among. */
const PRIORITY = 400;

/**
 * Lifeflow's groups in the properties panel: 审批设置, 超时与工作日历, 退回策略 and 关联表单 on user
 * tasks, 规则集 on business rule tasks, 通知与抄送 on service and send tasks, 结果 on end events.
 * Only the fields that apply to the current choices are shown.
 */
export class LifeflowPropertiesProvider {
  static $inject = ['propertiesPanel'];

  constructor(propertiesPanel: any) {
    propertiesPanel.registerProvider(PRIORITY, this);
  }

  getGroups(element: DiagramElement) {
    return (groups: GroupDef[]) => {
      const ours = groupsFor(element).filter((g) => g.entries.length);
      if (!ours.length) return groups;
      const result = groups.filter((g) => !hiddenBy(element, g.id));
      const at = result.findIndex((g) => g.id === 'general');
      result.splice(at < 0 ? result.length : at + 1, 0, ...ours);
      return result;
    };
  }
}

/**
 * Camunda groups that would only write what the engine then refuses or ignores, hidden while the
 * element has nothing of theirs: "Assignment" and "Multi-instance" of an approval (lf:approval
 * assigns and multiplies; enabling it removes them), "Implementation" of a rule-set task.
 */
function hiddenBy(element: DiagramElement, groupId: string): boolean {
  // A business rule task running a Lifeflow rule set has no DMN or job implementation to choose.
  if (groupId === 'businessRuleImplementation')
    return (
      !!getExtension(element, CALLED_RULE_SET) &&
      !getExtension(element, 'zeebe:CalledDecision') &&
      !getExtension(element, 'zeebe:TaskDefinition')
    );
  if (!is(element, 'bpmn:UserTask') || !getExtension(element, APPROVAL)) return false;
  if (groupId === 'assignmentDefinition') return !getExtension(element, 'zeebe:AssignmentDefinition');
  if (groupId === 'multiInstance') return !element.businessObject.get('loopCharacteristics');
  return false;
}

/** A select is "edited" (the dot in the group header) when it is not at its default. */
const editedUnless =
  (defaultValue: string) =>
  (node: any): boolean =>
    !!node && node.value !== '' && node.value !== defaultValue;

const group = (id: string, entries: Entry[]): GroupDef => ({
  id: `lifeflow-${id}`,
  label: tr(`group.${id}`),
  entries,
  component: Group,
});

function groupsFor(element: DiagramElement): GroupDef[] {
  if (!element || element.type === 'label') return [];
  if (is(element, 'bpmn:UserTask'))
    return [
      group('approval', approvalEntries(element)),
      group('timeout', [
        {
          id: 'lf-timeout-remindEvery',
          component: TimeoutDuration,
          attr: 'remindEvery',
          isEdited: edited.text,
        },
        { id: 'lf-timeout-after', component: TimeoutDuration, attr: 'after', isEdited: edited.text },
        { id: 'lf-timeout-action', component: TimeoutAction, isEdited: editedUnless('notify') },
        { id: 'lf-timeout-calendar', component: TimeoutCalendar, isEdited: editedUnless('') },
      ]),
      group('returnPolicy', [
        { id: 'lf-returnPolicy-resubmit', component: ReturnPolicyResubmit, isEdited: editedUnless('none') },
      ]),
      group('linkedForm', [{ id: 'lf-linkedForm-formId', component: LinkedForm, isEdited: edited.select }]),
    ];
  if (is(element, 'bpmn:BusinessRuleTask'))
    return [
      group('ruleSet', [
        { id: 'lf-ruleSet-ruleSetId', component: CalledRuleSetId, isEdited: edited.select },
        { id: 'lf-ruleSet-resultVariable', component: CalledRuleSetResult, isEdited: edited.text },
      ]),
    ];
  if (isAny(element, ['bpmn:ServiceTask', 'bpmn:SendTask'])) {
    const entries: Entry[] = [{ id: 'lf-notify-enabled', component: NotifyEnabled, isEdited: edited.toggle }];
    if (isNotify(element))
      entries.push(
        { id: 'lf-notify-users', component: NotifyRecipients, header: 'users', isEdited: edited.text },
        { id: 'lf-notify-groups', component: NotifyRecipients, header: 'groups', isEdited: edited.text },
        { id: 'lf-notify-message', component: NotifyMessage, isEdited: edited.textArea },
        { id: 'lf-notify-event', component: NotifyEvent, isEdited: edited.select },
      );
    return [group('notify', entries)];
  }
  if (is(element, 'bpmn:EndEvent'))
    return [
      group('outcome', [{ id: 'lf-outcome-value', component: OutcomeValue, isEdited: editedUnless('none') }]),
    ];
  return [];
}

function approvalEntries(element: DiagramElement): Entry[] {
  const entries: Entry[] = [
    { id: 'lf-approval-enabled', component: ApprovalEnabled, isEdited: edited.toggle },
  ];
  if (!getExtension(element, APPROVAL)) return entries;
  const attr = (name: string) => getAttr(element, APPROVAL, name);
  entries.push({ id: 'lf-approval-mode', component: ApprovalMode, isEdited: edited.select });
  if (attr('mode') === 'vote')
    entries.push({ id: 'lf-approval-passRatio', component: ApprovalPassRatio, isEdited: edited.text });
  entries.push({ id: 'lf-approval-source', component: ApprovalSource, isEdited: editedUnless('assignees') });
  const strategy = attr('strategy');
  if (!strategy)
    entries.push({ id: 'lf-approval-assignees', component: ApprovalAssignees, isEdited: edited.text });
  else if (strategy === 'initiatorHead')
    entries.push({ id: 'lf-approval-levels', component: ApprovalLevels, isEdited: edited.text });
  else if (strategy === 'departmentMembers' || strategy === 'group' || strategy === 'role')
    entries.push({
      id: `lf-approval-${strategy}`,
      component: ApprovalStrategyId,
      attr: strategy === 'departmentMembers' ? 'department' : strategy,
      isEdited: edited.select,
    });
  else if (strategy === 'ruleSet')
    entries.push({ id: 'lf-approval-ruleSet', component: ApprovalRuleSet, isEdited: edited.select });
  entries.push(
    { id: 'lf-approval-onEmpty', component: ApprovalOnEmpty, isEdited: editedUnless('incident') },
    { id: 'lf-approval-onReject', component: ApprovalOnReject, isEdited: editedUnless('continue') },
  );
  if (attr('onReject') === 'return')
    entries.push({
      id: 'lf-approval-returnTo',
      component: ApprovalReturnTo,
      isEdited: editedUnless('previous'),
    });
  return entries;
}
