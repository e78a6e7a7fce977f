import { evaluateFeel, isFeel } from '../../engine/index.js';
import type { FieldError } from '../http/problem.js';

/**
 * Server-side validation of submitted data against a form-js schema: the browser is never trusted.
 * Results are data (`{ data, errors }`), as in form-js. Hidden fields (`conditional.hide` true) are
 * neither required nor kept.
 */
export interface FormValidationResult {
  data: Record<string, unknown>;
  errors: FieldError[];
}

type Component = {
  type?: string;
  key?: string;
  path?: string;
  label?: string;
  components?: Component[];
  validate?: {
    required?: boolean;
    min?: number;
    max?: number;
    minLength?: number;
    maxLength?: number;
    pattern?: string;
    validationType?: 'email' | 'phone' | string;
  };
  conditional?: { hide?: string };
  values?: Array<{ value: unknown }>;
  readonly?: boolean | string;
  disabled?: boolean;
};

/** Patterns come from form authors: input is capped so a bad pattern cannot backtrack for long. */
const MAX_PATTERN_INPUT = 10_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ()-]{7,20}$/;
const INPUT_TYPES = new Set([
  'textfield',
  'textarea',
  'number',
  'checkbox',
  'checklist',
  'radio',
  'select',
  'taglist',
  'datetime',
  'expression',
  'filepicker',
]);

function isHidden(c: Component, data: Record<string, unknown>): boolean {
  const hide = c.conditional?.hide;
  if (!hide) return false;
  const result = evaluateFeel(isFeel(hide) ? hide : `=${hide}`, data);
  return result.ok && result.value === true;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function validateField(c: Component, value: unknown, field: string, errors: FieldError[]): void {
  const v = c.validate ?? {};
  if (isEmpty(value)) {
    if (v.required) errors.push({ field, reason: 'is required' });
    return;
  }
  switch (c.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number.NaN;
      if (!Number.isFinite(n)) {
        errors.push({ field, reason: 'must be a number' });
        return;
      }
      if (v.min !== undefined && n < v.min) errors.push({ field, reason: `must be at least ${v.min}` });
      if (v.max !== undefined && n > v.max) errors.push({ field, reason: `must be at most ${v.max}` });
      return;
    }
    case 'checkbox':
      if (typeof value !== 'boolean') errors.push({ field, reason: 'must be true or false' });
      return;
    case 'select':
    case 'radio':
      if (c.values && !c.values.some((o) => o.value === value))
        errors.push({
          field,
          reason: `must be one of ${c.values.map((o) => JSON.stringify(o.value)).join(', ')}`,
        });
      return;
    case 'checklist':
    case 'taglist':
      if (!Array.isArray(value)) errors.push({ field, reason: 'must be a list' });
      else if (c.values) {
        const bad = value.filter((x) => !c.values!.some((o) => o.value === x));
        if (bad.length)
          errors.push({
            field,
            reason: `contains values that are not options: ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
          });
      }
      return;
    default: {
      if (typeof value !== 'string') {
        if (c.type === 'textfield' || c.type === 'textarea' || c.type === 'datetime')
          errors.push({ field, reason: 'must be text' });
        return;
      }
      if (v.minLength !== undefined && value.length < v.minLength)
        errors.push({ field, reason: `must have at least ${v.minLength} characters` });
      if (v.maxLength !== undefined && value.length > v.maxLength)
        errors.push({ field, reason: `must have at most ${v.maxLength} characters` });
      if (v.pattern && value.length > MAX_PATTERN_INPUT) {
        errors.push({ field, reason: `is too long (more than ${MAX_PATTERN_INPUT} characters)` });
      } else if (v.pattern) {
        let re: RegExp | null = null;
        try {
          re = new RegExp(v.pattern);
        } catch {
          re = null;
        }
        if (re && !re.test(value)) errors.push({ field, reason: `must match the pattern ${v.pattern}` });
      }
      if (v.validationType === 'email' && !EMAIL.test(value))
        errors.push({ field, reason: 'must be a valid email address' });
      if (v.validationType === 'phone' && !PHONE.test(value))
        errors.push({ field, reason: 'must be a valid phone number' });
    }
  }
}

function walk(
  components: Component[],
  data: Record<string, unknown>,
  all: Record<string, unknown>,
  out: Record<string, unknown>,
  prefix: string,
  errors: FieldError[],
) {
  for (const c of components) {
    if (isHidden(c, all)) continue;
    if (c.components && (c.type === 'group' || c.type === 'dynamiclist' || !c.key)) {
      if (c.type === 'dynamiclist' && c.path) {
        const list = data[c.path];
        if (Array.isArray(list)) {
          out[c.path] = list.map((item, i) => {
            const itemOut: Record<string, unknown> = {};
            walk(
              c.components!,
              (item ?? {}) as Record<string, unknown>,
              { ...all, ...(item as object) },
              itemOut,
              `${prefix}${c.path}[${i}].`,
              errors,
            );
            return itemOut;
          });
        }
        continue;
      }
      if (c.path) {
        const nested = (data[c.path] ?? {}) as Record<string, unknown>;
        const nestedOut: Record<string, unknown> = {};
        walk(c.components, nested, all, nestedOut, `${prefix}${c.path}.`, errors);
        out[c.path] = nestedOut;
      } else walk(c.components, data, all, out, prefix, errors);
      continue;
    }
    if (!c.key || !INPUT_TYPES.has(c.type ?? '')) continue;
    // Read-only and disabled fields show data; a submission cannot change them.
    if (c.disabled || c.readonly === true || c.type === 'expression') continue;
    const value = data[c.key];
    validateField(c, value, `${prefix}${c.key}`, errors);
    if (value !== undefined) out[c.key] = value;
  }
}

/**
 * Validates `data` against the schema. Values for keys the form does not know are passed through
 * (processes may set extra variables); values of hidden fields are dropped.
 */
export function validateForm(
  schema: { components?: Component[] },
  data: Record<string, unknown>,
  /** The variables the task sees: conditions read them where the submission does not set a value. */
  context: Record<string, unknown> = {},
): FormValidationResult {
  const errors: FieldError[] = [];
  const out: Record<string, unknown> = {};
  walk(schema.components ?? [], data, { ...context, ...data }, out, '', errors);
  const known = new Set<string>();
  const collect = (cs: Component[]) =>
    cs.forEach((c) => {
      if (c.key) known.add(c.key);
      if (c.path) known.add(c.path);
      if (c.components) collect(c.components);
    });
  collect(schema.components ?? []);
  // Values for keys the form does not know pass through (the process may set extra variables).
  const extra = Object.fromEntries(Object.entries(data).filter(([k]) => !known.has(k)));
  return { data: { ...extra, ...out }, errors };
}
