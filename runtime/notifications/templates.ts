import Handlebars from 'handlebars';
import type { Knex } from 'knex';
import type { FieldError } from '../http/problem.js';

/** What happened that is worth telling someone. */
export const NOTIFICATION_EVENTS = [
  'TASK_CREATED',
  'TASK_ASSIGNED',
  'TASK_DUE_SOON',
  'TASK_OVERDUE',
  'INSTANCE_COMPLETED',
  'INSTANCE_CANCELED',
  'INSTANCE_REJECTED',
  'INCIDENT_CREATED',
  'CC',
  'MENTIONED',
  'URGED',
  'TASK_REMINDER',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const CHANNELS = ['IN_APP', 'EMAIL', 'WEBHOOK'] as const;
export type Channel = (typeof CHANNELS)[number];
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** The fields every template may use; a template naming anything else is refused at save time. */
export const TEMPLATE_FIELDS = [
  'recipientName',
  'taskName',
  'taskKey',
  'processName',
  'processDefinitionId',
  'processInstanceKey',
  'businessKey',
  'assignee',
  'dueDate',
  'actor',
  'errorMessage',
  'message',
  'link',
] as const;

export interface Template {
  subject: string;
  body: string;
}

const ZH = (subject: string, body: string): Template => ({ subject, body });

/** Built-in texts, zh-CN first. Email bodies are plain text; handlebars escapes every value. */
const DEFAULTS: Record<NotificationEvent, Record<Locale, Template>> = {
  TASK_CREATED: {
    'zh-CN': ZH(
      '新待办：{{taskName}}',
      '{{processName}} 有一项新待办「{{taskName}}」等待您处理。{{#if dueDate}}截止：{{dueDate}}。{{/if}}',
    ),
    en: ZH(
      'New task: {{taskName}}',
      '{{processName}} has a new task "{{taskName}}" waiting for you.{{#if dueDate}} Due {{dueDate}}.{{/if}}',
    ),
  },
  TASK_ASSIGNED: {
    'zh-CN': ZH(
      '待办已分配给您：{{taskName}}',
      '{{#if actor}}{{actor}} 将{{/if}}「{{taskName}}」（{{processName}}）分配给了您。{{#if dueDate}}截止：{{dueDate}}。{{/if}}{{#if message}}附言：{{message}}{{/if}}',
    ),
    en: ZH(
      'Task assigned to you: {{taskName}}',
      '{{#if actor}}{{actor}} assigned {{/if}}"{{taskName}}" ({{processName}}) to you.{{#if dueDate}} Due {{dueDate}}.{{/if}}{{#if message}} Note: {{message}}{{/if}}',
    ),
  },
  TASK_DUE_SOON: {
    'zh-CN': ZH(
      '待办即将到期：{{taskName}}',
      '「{{taskName}}」（{{processName}}）将于 {{dueDate}} 到期，请尽快处理。',
    ),
    en: ZH('Task due soon: {{taskName}}', '"{{taskName}}" ({{processName}}) is due {{dueDate}}.'),
  },
  TASK_OVERDUE: {
    'zh-CN': ZH('待办已逾期：{{taskName}}', '「{{taskName}}」（{{processName}}）已于 {{dueDate}} 逾期。'),
    en: ZH('Task overdue: {{taskName}}', '"{{taskName}}" ({{processName}}) was due {{dueDate}}.'),
  },
  INSTANCE_COMPLETED: {
    'zh-CN': ZH(
      '流程已完成：{{processName}}',
      '您发起的「{{processName}}」{{#if businessKey}}（{{businessKey}}）{{/if}}已完成。',
    ),
    en: ZH(
      'Process completed: {{processName}}',
      'The "{{processName}}" you started{{#if businessKey}} ({{businessKey}}){{/if}} has completed.',
    ),
  },
  INSTANCE_CANCELED: {
    'zh-CN': ZH(
      '流程已终止：{{processName}}',
      '您发起的「{{processName}}」{{#if businessKey}}（{{businessKey}}）{{/if}}已被{{#if actor}} {{actor}} {{/if}}终止。',
    ),
    en: ZH(
      'Process canceled: {{processName}}',
      'The "{{processName}}" you started{{#if businessKey}} ({{businessKey}}){{/if}} was canceled{{#if actor}} by {{actor}}{{/if}}.',
    ),
  },
  INSTANCE_REJECTED: {
    'zh-CN': ZH(
      '流程已驳回：{{processName}}',
      '您发起的「{{processName}}」{{#if businessKey}}（{{businessKey}}）{{/if}}已被驳回。',
    ),
    en: ZH(
      'Process rejected: {{processName}}',
      'The "{{processName}}" you started{{#if businessKey}} ({{businessKey}}){{/if}} was rejected.',
    ),
  },
  INCIDENT_CREATED: {
    'zh-CN': ZH(
      '流程异常：{{processName}}',
      '「{{processName}}」实例 {{processInstanceKey}} 出现异常：{{errorMessage}}',
    ),
    en: ZH(
      'Incident: {{processName}}',
      'Instance {{processInstanceKey}} of "{{processName}}" has an incident: {{errorMessage}}',
    ),
  },
  CC: {
    'zh-CN': ZH('抄送：{{processName}}', '{{#if actor}}{{actor}} {{/if}}抄送给您：{{message}}'),
    en: ZH('For your information: {{processName}}', '{{#if actor}}{{actor}}: {{/if}}{{message}}'),
  },
  URGED: {
    'zh-CN': ZH(
      '催办：{{taskName}}',
      '{{#if actor}}{{actor}} {{/if}}催您尽快处理「{{taskName}}」（{{processName}}）。{{#if message}}{{message}}{{/if}}',
    ),
    en: ZH(
      'Reminder: {{taskName}}',
      '{{#if actor}}{{actor}} asks{{else}}Please{{/if}} you to handle "{{taskName}}" ({{processName}}) soon.{{#if message}} {{message}}{{/if}}',
    ),
  },
  TASK_REMINDER: {
    'zh-CN': ZH(
      '待办提醒：{{taskName}}',
      '「{{taskName}}」（{{processName}}）仍在等待您处理。{{#if dueDate}}截止：{{dueDate}}（按工作日历计）。{{/if}}',
    ),
    en: ZH(
      'Still waiting for you: {{taskName}}',
      '"{{taskName}}" ({{processName}}) is still waiting for you.{{#if dueDate}} Due {{dueDate}} (working time).{{/if}}',
    ),
  },
  MENTIONED: {
    'zh-CN': ZH('{{actor}} 提到了您', '{{actor}} 在「{{processName}}」中提到了您：{{message}}'),
    en: ZH('{{actor}} mentioned you', '{{actor}} mentioned you in "{{processName}}": {{message}}'),
  },
};

/** Compiles in an environment of its own, with only the built-in block helpers. */
const hbs = Handlebars.create();
const KNOWN_HELPERS = { if: true, unless: true, each: true, with: true };
const COMPILE_OPTIONS = { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, strict: false };

/**
 * Checks a template before it is stored: it must parse, must not print anything unescaped
 * (`{{{…}}}` or `{{&…}}`), and may only name the known fields. Errors carry the line.
 */
export function checkTemplate(field: 'subject' | 'body', source: string): FieldError[] {
  let ast: hbs.AST.Program;
  try {
    ast = hbs.parse(source);
  } catch (err) {
    const message = (err as Error).message;
    const line = /line (\d+)/.exec(message)?.[1] ?? '1';
    const reason = message.split('\n').filter((l) => l.trim() && !/^-*\^$/.test(l.trim()))[0] ?? message;
    return [
      {
        field,
        reason: `line ${line}: ${reason.replace(/^Parse error on line \d+:\s*/, '').trim() || 'cannot be parsed'}`,
      },
    ];
  }
  const errors: FieldError[] = [];
  const known = new Set<string>(TEMPLATE_FIELDS);
  const visit = (node: any, depth: number) => {
    if (!node || typeof node !== 'object') return;
    const line = node.loc?.start?.line ?? 1;
    if (node.type === 'MustacheStatement' && node.escaped === false)
      errors.push({ field, reason: `line ${line}: unescaped output ({{{…}}} or {{&…}}) is not allowed` });
    if (
      (node.type === 'MustacheStatement' || node.type === 'BlockStatement') &&
      node.path?.type === 'PathExpression'
    ) {
      const name = node.path.original as string;
      const isHelper = name in KNOWN_HELPERS;
      if (node.type === 'BlockStatement' && !isHelper)
        errors.push({ field, reason: `line ${line}: unknown block helper '${name}'` });
      else if (node.type === 'MustacheStatement' && node.params?.length)
        errors.push({ field, reason: `line ${line}: helpers are not allowed ('${name}')` });
      else if (!isHelper && depth === 0 && !known.has(name.split('.')[0]))
        errors.push({
          field,
          reason: `line ${line}: unknown field '${name}'; known fields: ${TEMPLATE_FIELDS.join(', ')}`,
        });
    }
    if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement')
      errors.push({ field, reason: `line ${line}: partials are not allowed` });
    if (node.type === 'DecoratorBlock' || node.type === 'Decorator')
      errors.push({ field, reason: `line ${line}: decorators are not allowed` });
    for (const p of node.params ?? []) {
      if (p.type === 'PathExpression' && depth === 0 && !known.has(p.original.split('.')[0]))
        errors.push({ field, reason: `line ${line}: unknown field '${p.original}'` });
    }
    // Inside #each / #with the context changes: names there are not checked against the fields.
    const inner =
      node.type === 'BlockStatement' && ['each', 'with'].includes(node.path?.original) ? depth + 1 : depth;
    for (const child of node.body ?? []) visit(child, depth);
    if (node.program) visit(node.program, inner);
    if (node.inverse) visit(node.inverse, depth);
  };
  visit(ast, 0);
  if (!errors.length) {
    try {
      hbs.precompile(source, COMPILE_OPTIONS);
    } catch (err) {
      errors.push({ field, reason: (err as Error).message.split('\n')[0] });
    }
  }
  return errors;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();
function compile(source: string): HandlebarsTemplateDelegate {
  let fn = compiled.get(source);
  if (!fn) {
    fn = hbs.compile(source, COMPILE_OPTIONS);
    if (compiled.size > 2000) compiled.clear();
    compiled.set(source, fn);
  }
  return fn;
}

/** Sample values for every field, so a template can be previewed before anything happened. */
export function sampleData(event: NotificationEvent, locale: Locale): Record<string, string> {
  const zh = locale === 'zh-CN';
  return {
    recipientName: zh ? '张伟' : 'Zhang Wei',
    taskName: zh ? '工程部审核' : 'Engineering review',
    taskKey: '2251799813685249',
    processName: zh ? '竣工移交验收' : 'Handover sign-off',
    processDefinitionId: 'handover',
    processInstanceKey: '2251799813685248',
    businessKey: 'HO-2026-001',
    assignee: 'eng1',
    dueDate: '2026-12-31 18:00',
    actor: zh ? '李娜' : 'Li Na',
    errorMessage: event === 'INCIDENT_CREATED' ? (zh ? '没有找到审批人' : 'no approver was found') : '',
    message: zh ? '请在周五前完成审核。' : 'Please review by Friday.',
    link: '/workspace/tasks/2251799813685249',
  };
}

/** Renders a template that is not stored (the editor's live preview); errors as checkTemplate. */
export function preview(
  source: Template,
  data: Record<string, unknown>,
): { errors: FieldError[]; rendered?: Template } {
  const errors = [...checkTemplate('subject', source.subject), ...checkTemplate('body', source.body)];
  if (errors.length) return { errors };
  const options = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };
  return {
    errors,
    rendered: { subject: compile(source.subject)(data, options), body: compile(source.body)(data, options) },
  };
}

export function defaultTemplate(event: NotificationEvent, locale: Locale): Template {
  return DEFAULTS[event][locale];
}

/** A tenant's own templates, by `event|channel|locale`. */
export type TemplateOverrides = Map<string, Template>;

export async function loadOverrides(db: Knex, tenantId: string): Promise<TemplateOverrides> {
  const rows = await db('notification_templates').where({ tenant_id: tenantId });
  return new Map(
    rows.map((r: any) => [`${r.event}|${r.channel}|${r.locale}`, { subject: r.subject, body: r.body }]),
  );
}

/**
 * Renders a notification with the tenant's overrides (if any) over the built-in texts. Values
 * are escaped by handlebars; templates were checked when saved.
 */
export function render(
  overrides: TemplateOverrides,
  event: NotificationEvent,
  channel: Channel,
  locale: string,
  data: Record<string, unknown>,
): { subject: string; body: string } {
  const lang: Locale = (LOCALES as readonly string[]).includes(locale) ? (locale as Locale) : 'zh-CN';
  const t = overrides.get(`${event}|${channel}|${lang}`) ?? DEFAULTS[event][lang];
  const options = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };
  return { subject: compile(t.subject)(data, options), body: compile(t.body)(data, options) };
}
