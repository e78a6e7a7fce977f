/**
 * The words of Lifeflow's BPMN extensions and checks that the engine and the designer (which
 * bundles this file) must agree on. No imports: it runs in the browser as well.
 */

/** `lf:approval mode`: 单人, 会签, 或签, 依次, 票签. */
export const APPROVAL_MODES = ['single', 'all', 'any', 'sequential', 'vote'] as const;

/** `lf:approval strategy`: where the approvers come from when they are not listed. */
export const APPROVER_STRATEGIES = [
  'initiator',
  'initiatorHead',
  'departmentMembers',
  'group',
  'role',
  'initiatorPicks',
  'previousPicks',
  'ruleSet',
] as const;

/**
 * bpmnlint's recommended rules that describe models no engine can run: a deployment is refused
 * for them (the others are modelling style and only warn).
 */
export const REJECTING_LINT_RULES: ReadonlySet<string> = new Set([
  'start-event-required',
  'single-blank-start-event',
  'single-event-definition',
  'sub-process-blank-start-event',
  'event-based-gateway',
  'link-event',
  'no-complex-gateway',
  'no-duplicate-sequence-flows',
  'ad-hoc-sub-process',
  'event-sub-process-typed-start-event',
]);
