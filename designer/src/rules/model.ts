/**
 * The rule-set table model: a json-rules-engine document (`{ id, name, rules }`) as editable rows,
 * and back. Values are kept as typed text while editing (number / string / boolean / JSON) and
 * parsed into JSON values when the document is built. Nothing here evaluates user code: JSON only.
 */

export const OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;
export type Operator = (typeof OPERATORS)[number];

export type ValueType = 'number' | 'string' | 'boolean' | 'json';
export const VALUE_TYPES: ValueType[] = ['number', 'string', 'boolean', 'json'];

export interface SimpleCondition {
  id: string;
  kind: 'simple';
  fact: string;
  operator: string;
  valueType: ValueType;
  value: string;
  /** Optional property path into an object fact (`$.a.b`). */
  path: string;
  /** Other properties of the condition (params, name, …), kept as they were. */
  extra: Record<string, unknown>;
}

/** A nested all/any/not block or a condition reference: edited as JSON text. */
export interface RawCondition {
  id: string;
  kind: 'raw';
  json: string;
}

export type ConditionRow = SimpleCondition | RawCondition;

export interface ParamRow {
  id: string;
  key: string;
  valueType: ValueType;
  value: string;
}

export interface RuleRow {
  id: string;
  priority: number | null;
  mode: 'all' | 'any';
  conditions: ConditionRow[];
  eventType: string;
  params: ParamRow[];
  /** Other properties of the rule (name, …), kept as they were. */
  extra: Record<string, unknown>;
}

export interface Draft {
  id: string;
  name: string;
  rules: RuleRow[];
  /** Other top-level properties of the document, kept as they were. */
  extra: Record<string, unknown>;
}

/** Where a problem is: the header, a rule (row), one of its conditions or params, and which part. */
export interface Problem {
  rule?: number;
  cond?: number;
  param?: number;
  part?: 'id' | 'priority' | 'fact' | 'operator' | 'value' | 'path' | 'event' | 'key' | 'raw' | 'rules';
  /** A code translated by the screen (client checks) … */
  code?: string;
  /** … or the server's words. */
  reason?: string;
}

let seq = 0;
export const newId = (): string => `r${++seq}`;

export function newCondition(fact = ''): SimpleCondition {
  return {
    id: newId(),
    kind: 'simple',
    fact,
    operator: 'equal',
    valueType: 'string',
    value: '',
    path: '',
    extra: {},
  };
}

export function newParam(): ParamRow {
  return { id: newId(), key: '', valueType: 'string', value: '' };
}

export function newRule(): RuleRow {
  return {
    id: newId(),
    priority: 1,
    mode: 'all',
    conditions: [newCondition()],
    eventType: '',
    params: [],
    extra: {},
  };
}

export function newDraft(): Draft {
  return { id: '', name: '', rules: [newRule()], extra: {} };
}

export function typeOf(v: unknown): ValueType {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return 'json';
}

export function textOf(v: unknown, type: ValueType): string {
  if (type === 'string') return String(v ?? '');
  if (type === 'number' || type === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

/** The field keys of a form-js schema (nested groups too): the variables a form fills. */
export function formKeys(schema: unknown): Array<{ key: string; label?: string }> {
  const out: Array<{ key: string; label?: string }> = [];
  const walk = (node: unknown) => {
    if (!isObject(node)) return;
    if (typeof node.key === 'string' && node.key)
      out.push({ key: node.key, label: typeof node.label === 'string' ? node.label : undefined });
    if (Array.isArray(node.components)) for (const c of node.components) walk(c);
  };
  walk(schema);
  return out;
}

/** Parses a typed value; `code` names the problem when it does not parse. */
export function parseValue(text: string, type: ValueType): { value?: unknown; code?: string } {
  if (type === 'string') return { value: text };
  if (type === 'boolean') {
    if (text === 'true') return { value: true };
    if (text === 'false') return { value: false };
    return { code: 'notBoolean' };
  }
  if (type === 'number') {
    const s = text.trim();
    if (s === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { code: 'notNumber' };
    return { value: Number(s) };
  }
  if (text.trim() === '') return { code: 'required' };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { code: 'badJson' };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

function conditionRow(c: unknown): ConditionRow {
  if (isObject(c) && typeof c.fact === 'string' && !('all' in c) && !('any' in c) && !('not' in c)) {
    const { fact, operator, value, path, ...extra } = c;
    const valueType = typeOf(value);
    return {
      id: newId(),
      kind: 'simple',
      fact,
      operator: typeof operator === 'string' ? operator : 'equal',
      valueType,
      value: textOf(value, valueType),
      path: typeof path === 'string' ? path : '',
      extra,
    };
  }
  return { id: newId(), kind: 'raw', json: JSON.stringify(c, null, 2) };
}

/** A document (deployed, imported) as rows. Unknown properties are kept for the way back. */
export function fromDoc(doc: unknown): Draft {
  const d = isObject(doc) ? doc : {};
  const { id, name, rules, ...extra } = d;
  return {
    id: typeof id === 'string' ? id : '',
    name: typeof name === 'string' ? name : '',
    extra,
    rules: (Array.isArray(rules) ? rules : []).map((r): RuleRow => {
      const rule = isObject(r) ? r : {};
      const { conditions, event, priority, ...rest } = rule;
      let mode: 'all' | 'any' = 'all';
      let list: unknown[];
      if (isObject(conditions) && Array.isArray(conditions.any) && Object.keys(conditions).length === 1) {
        mode = 'any';
        list = conditions.any;
      } else if (
        isObject(conditions) &&
        Array.isArray(conditions.all) &&
        Object.keys(conditions).length === 1
      ) {
        list = conditions.all;
      } else {
        // a root `not` or condition reference: one raw entry of an `all`, which means the same
        list = conditions === undefined ? [] : [conditions];
      }
      const ev = isObject(event) ? event : {};
      const params = isObject(ev.params) ? ev.params : {};
      return {
        id: newId(),
        priority: typeof priority === 'number' ? priority : null,
        mode,
        conditions: list.map(conditionRow),
        eventType: typeof ev.type === 'string' ? ev.type : '',
        params: Object.entries(params).map(([key, v]) => {
          const valueType = typeOf(v);
          return { id: newId(), key, valueType, value: textOf(v, valueType) };
        }),
        extra: rest,
      };
    }),
  };
}

/**
 * The document of the rows, and what is wrong with it (checked here, before the server sees it):
 * values that do not parse, empty facts and event types, list operators without a list.
 */
export function toDoc(draft: Draft): { doc: Record<string, unknown>; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!/^[A-Za-z_][\w.-]*$/.test(draft.id)) problems.push({ part: 'id', code: 'badId' });
  if (draft.rules.length === 0) problems.push({ part: 'rules', code: 'noRules' });
  const rules = draft.rules.map((r, ri) => {
    const conditions = r.conditions.map((c, ci) => {
      if (c.kind === 'raw') {
        try {
          return JSON.parse(c.json);
        } catch {
          problems.push({ rule: ri, cond: ci, part: 'raw', code: 'badJson' });
          return c.json;
        }
      }
      if (!c.fact.trim()) problems.push({ rule: ri, cond: ci, part: 'fact', code: 'required' });
      const parsed = parseValue(c.value, c.valueType);
      if (parsed.code) problems.push({ rule: ri, cond: ci, part: 'value', code: parsed.code });
      else if ((c.operator === 'in' || c.operator === 'notIn') && !Array.isArray(parsed.value))
        problems.push({ rule: ri, cond: ci, part: 'value', code: 'notList' });
      const out: Record<string, unknown> = {
        fact: c.fact.trim(),
        operator: c.operator,
        value: parsed.code ? c.value : parsed.value,
      };
      if (c.path.trim()) out.path = c.path.trim();
      return { ...out, ...c.extra };
    });
    if (!r.eventType.trim()) problems.push({ rule: ri, part: 'event', code: 'required' });
    if (r.priority !== null && !(r.priority > 0))
      problems.push({ rule: ri, part: 'priority', code: 'priority' });
    const params: Record<string, unknown> = {};
    const seen = new Set<string>();
    r.params.forEach((p, pi) => {
      const key = p.key.trim();
      if (!key) problems.push({ rule: ri, param: pi, part: 'key', code: 'required' });
      else if (seen.has(key)) problems.push({ rule: ri, param: pi, part: 'key', code: 'duplicate' });
      seen.add(key);
      const parsed = parseValue(p.value, p.valueType);
      if (parsed.code) problems.push({ rule: ri, param: pi, part: 'value', code: parsed.code });
      params[key] = parsed.code ? p.value : parsed.value;
    });
    const rule: Record<string, unknown> = {
      conditions: { [r.mode]: conditions },
      event: { type: r.eventType.trim(), params },
    };
    if (r.priority !== null) rule.priority = r.priority;
    return { ...rule, ...r.extra };
  });
  const doc: Record<string, unknown> = { id: draft.id.trim() };
  if (draft.name.trim()) doc.name = draft.name.trim();
  doc.rules = rules;
  return { doc: { ...doc, ...draft.extra }, problems };
}

/**
 * Where a server error belongs: `<file>#rules[2].conditions.all[0].path` → rule 2, condition 0,
 * its path; `<file>#id` → the id; anything else → the whole rule set.
 */
export function problemOfField(field: string, reason: string): Problem {
  const hash = field.indexOf('#');
  const inner = hash >= 0 ? field.slice(hash + 1) : '';
  if (inner === 'id') return { part: 'id', reason };
  const m = /^rules\[(\d+)\](?:\.conditions\.(?:all|any)\[(\d+)\])?(.*)$/.exec(inner);
  if (!m) return { part: 'rules', reason };
  const p: Problem = { rule: Number(m[1]), reason };
  if (m[2] !== undefined) p.cond = Number(m[2]);
  if (/\.path$/.test(m[3] ?? '')) p.part = 'path';
  else if (p.cond !== undefined && /^\.value/.test(m[3] ?? '')) p.part = 'value';
  return p;
}

/** Facts named in the rows: the suggestions for the next fact, with the sample's variables. */
export function factsOf(draft: Draft): string[] {
  const out = new Set<string>();
  for (const r of draft.rules)
    for (const c of r.conditions) if (c.kind === 'simple' && c.fact.trim()) out.add(c.fact.trim());
  return [...out];
}

/** A sample input for the test panel: each fact with the value its first condition compares to. */
export function sampleOf(draft: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of draft.rules)
    for (const c of r.conditions) {
      if (c.kind !== 'simple' || !c.fact.trim() || c.fact in out || c.path.trim()) continue;
      const parsed = parseValue(c.value, c.valueType);
      if (parsed.code) continue;
      out[c.fact.trim()] =
        (c.operator === 'in' || c.operator === 'notIn') && Array.isArray(parsed.value)
          ? parsed.value[0]
          : parsed.value;
    }
  return out;
}
