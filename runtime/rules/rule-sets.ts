import { Engine } from 'json-rules-engine';
import type { FieldError } from '../http/problem.js';

/**
 * A rule set resource (.json): `{ "id", "name"?, "rules": [json-rules-engine rules] }`.
 * Evaluating it returns `{ events: [{ type, params }], params }` where `params` merges the params of
 * the fired events in priority order (later overrides earlier), so a process can read
 * `=result.params.level` or test `=list contains(result.events.type, "high-risk")`.
 */
export interface RuleSetDocument {
  id: string;
  name?: string;
  rules: unknown[];
}

export interface RuleSetResult {
  events: Array<{ type: string; params: Record<string, unknown> }>;
  params: Record<string, unknown>;
}

/** JSONPath filter and script expressions could evaluate code: paths are plain property paths only. */
function checkPaths(node: unknown, where: string, errors: FieldError[]): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => {
      checkPaths(n, `${where}[${i}]`, errors);
    });
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'path' && typeof v === 'string' && /[()?@]/.test(v)) {
        errors.push({
          field: `${where}.path`,
          reason: `path '${v}' may only use plain property access like $.a.b`,
        });
      }
      checkPaths(v, `${where}.${k}`, errors);
    }
  }
}

export function validateRuleSet(
  content: unknown,
  resourceName: string,
): { doc?: RuleSetDocument; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const doc = content as RuleSetDocument;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    return { errors: [{ field: resourceName, reason: 'expected a JSON object' }] };
  if (typeof doc.id !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(doc.id)) {
    errors.push({ field: `${resourceName}#id`, reason: 'expected an id made of letters, digits, _ . -' });
  }
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) {
    errors.push({ field: `${resourceName}#rules`, reason: 'expected a non-empty array of rules' });
    return { errors };
  }
  checkPaths(doc.rules, `${resourceName}#rules`, errors);
  const engine = new Engine([], { allowUndefinedFacts: true });
  doc.rules.forEach((rule, i) => {
    try {
      engine.addRule(rule as any);
    } catch (err) {
      errors.push({ field: `${resourceName}#rules[${i}]`, reason: (err as Error).message });
    }
  });
  return { doc: errors.length ? undefined : doc, errors };
}

const engines = new Map<string, Engine>();

/** Runs a rule set against facts. Engines are cached by rule set key (versions are immutable). */
export async function evaluateRuleSet(
  ruleSetKey: string,
  doc: RuleSetDocument,
  facts: Record<string, unknown>,
): Promise<RuleSetResult> {
  let engine = engines.get(ruleSetKey);
  if (!engine) {
    engine = new Engine(doc.rules as any[], { allowUndefinedFacts: true });
    engines.set(ruleSetKey, engine);
  }
  return run(engine, facts);
}

/** Runs a rule set that was not deployed (a draft in the designer's test panel), uncached. */
export function runRuleSet(doc: RuleSetDocument, facts: Record<string, unknown>): Promise<RuleSetResult> {
  return run(new Engine(doc.rules as any[], { allowUndefinedFacts: true }), facts);
}

async function run(engine: Engine, facts: Record<string, unknown>): Promise<RuleSetResult> {
  const { events } = await engine.run({ ...facts });
  const params: Record<string, unknown> = {};
  const out = events.map((e) => ({ type: e.type, params: (e.params ?? {}) as Record<string, unknown> }));
  for (const e of out) Object.assign(params, e.params);
  return { events: out, params };
}
