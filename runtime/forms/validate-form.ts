import { unaryTest } from 'feelin';
import { evaluateFeel } from '../../engine/index.js';
import type { FieldError } from '../http/problem.js';

/**
 * Server-side validation of submitted data against a form-js schema: the browser is never trusted.
 *
 * The semantics follow the form-js viewer (bpmn-io/form-js, `Validator`, `Form#submit`,
 * `ConditionChecker`; bpmn.io license, see ../shared/conformance/formjs/LICENSE-form-js.txt):
 *
 * - The form state is the task's variables (`context`) with the submission laid over them
 *   (objects are merged, lists replaced), then initialised as form-js does on import: a field
 *   without a value gets its `defaultValue`, otherwise its empty value ('' for text, null for
 *   numbers/selects/dates, false for checkboxes, [] for checklists/taglists); a missing dynamic
 *   list gets `defaultRepetitions` (default 1) empty items.
 * - `conditional.hide` is a FEEL unary test (`=` prefix required, otherwise ignored) evaluated
 *   with form-js's expression context: the form data plus `this` / `parent` / `i` (and `_this_`,
 *   `_parent_`, `_i_`); inside a repeating dynamic list `this` is the item, `parent` the
 *   enclosing scope, `i` the 1-based indexes. Hidden fields (and everything inside a hidden
 *   group or list) are neither validated nor stored; evaluation errors mean "not hidden".
 * - Disabled fields (any truthy `disabled`, as in form-js) are neither validated nor taken from
 *   the submission. Read-only fields
 *   (`readonly: true` or a FEEL expression that is true) are validated (form-js does) but their
 *   value is the task's, never the submission's.
 * - Expression fields are computed here from their FEEL `expression`, never taken from the
 *   submission.
 * - Validation per field as form-js `Validator`: number (`'NaN'`, `decimalDigits`, `increment`),
 *   `pattern` (unanchored `RegExp#test`; `patternErrorMessage` is used as the reason), `required`
 *   (null/undefined/'', unchecked checkbox, empty list), `min`/`max` (also 0), `minLength`/
 *   `maxLength` (on the trimmed text), `validationType` email/phone (form-js's own patterns).
 *   `min`, `max`, `minLength`, `maxLength` may be FEEL (`"=minValue"`), evaluated in the field's
 *   scope. Empty values skip every check except `required`.
 * - Because the submission does not come from the form-js UI, values are also checked for what
 *   the UI could have produced: the JSON type of each field, select/radio/checklist/taglist
 *   values among the options (static `values`, `valuesKey` read from the data, `valuesExpression`
 *   evaluated), datetime strings in the format of `subtype` / `timeSerializingFormat`,
 *   `disallowPassedDates`. form-js's importer would silently drop such values; here they are
 *   errors.
 * - Filepicker values are Camunda document references (`{ documentId, storeId, contentHash,
 *   metadata }`, as answered by POST /v2/documents): a list, or one reference when the field is not
 *   `multiple`. Only the shape is checked here; the submitted ones are listed in `documents` so
 *   the task service can check that they exist and belong to the task.
 * - Stored data (`data`) is what form-js submits, restricted to what changes: for every top-level
 *   variable that the submission sets (or that gets a default or a computed value), the value
 *   built from the form's visible, enabled fields only. Keys the form does not know are dropped,
 *   as form-js submits only its fields' data (`unknownKeys: 'keep'` passes them through).
 *
 * Errors name the field's data path (`materials[1].qty`, `invoiceDetails.name`) and give the
 * reason in English.
 */
export interface FormValidationResult {
  data: Record<string, unknown>;
  errors: FieldError[];
  /**
   * The documents referenced by submitted filepicker values (only when valid): the caller checks
   * that they exist and may be used, and may replace them (at `path` in `data`) with the stored
   * references.
   */
  documents: FormDocumentField[];
}

/** A filepicker value from the submission: one document reference or a list of them. */
export interface FormDocumentField {
  /** Display path of the field, e.g. `photos` or `materials[1].photo`. */
  field: string;
  /** Path of the value in `data`. */
  path: (string | number)[];
  /** Whether the value is a list (else a single reference). */
  list: boolean;
  references: Array<{ documentId: string; storeId?: unknown; contentHash?: unknown }>;
}

export interface FormValidationOptions {
  /** 'drop' (default, as form-js): submitted keys that are no form field are not stored. */
  unknownKeys?: 'drop' | 'keep';
  /** The instant `disallowPassedDates` compares with (default: now). */
  now?: Date;
}

type Validate = {
  required?: boolean;
  min?: number | string;
  max?: number | string;
  minLength?: number | string;
  maxLength?: number | string;
  pattern?: string;
  patternErrorMessage?: string;
  validationType?: string | null;
};

export type FormComponent = {
  type?: string;
  id?: string;
  key?: string;
  path?: string;
  label?: string;
  components?: FormComponent[];
  validate?: Validate;
  conditional?: { hide?: string };
  values?: unknown[];
  valuesKey?: string;
  valuesExpression?: string;
  readonly?: boolean | string;
  disabled?: boolean | string;
  defaultValue?: unknown;
  isRepeating?: boolean;
  defaultRepetitions?: number;
  decimalDigits?: number;
  increment?: number | string;
  serializeToString?: boolean;
  subtype?: string;
  timeSerializingFormat?: string;
  disallowPassedDates?: boolean;
  expression?: string;
  /** filepicker: whether several files may be picked (boolean or FEEL). */
  multiple?: boolean | string;
};

/** Patterns come from form authors: input is capped so a bad pattern cannot backtrack for long. */
const MAX_PATTERN_INPUT = 10_000;

// The two predefined patterns are form-js's (packages/form-js-viewer/src/core/Validator.js,
// bpmn-io/form-js, bpmn.io license), so a value is accepted here exactly when form-js accepts it.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const PHONE =
  /(\+|00)(297|93|244|1264|358|355|376|971|54|374|1684|1268|61|43|994|257|32|229|226|880|359|973|1242|387|590|375|501|1441|591|55|1246|673|975|267|236|1|61|41|56|86|225|237|243|242|682|57|269|238|506|53|5999|61|1345|357|420|49|253|1767|45|1809|1829|1849|213|593|20|291|212|34|372|251|358|679|500|33|298|691|241|44|995|44|233|350|224|590|220|245|240|30|1473|299|502|594|1671|592|852|504|385|509|36|62|44|91|246|353|98|964|354|972|39|1876|44|962|81|76|77|254|996|855|686|1869|82|383|965|856|961|231|218|1758|423|94|266|370|352|371|853|590|212|377|373|261|960|52|692|389|223|356|95|382|976|1670|258|222|1664|596|230|265|60|262|264|687|227|672|234|505|683|31|47|977|674|64|968|92|507|64|51|63|680|675|48|1787|1939|850|351|595|970|689|974|262|40|7|250|966|249|221|65|500|4779|677|232|503|378|252|508|381|211|239|597|421|386|46|268|1721|248|963|1649|235|228|66|992|690|993|670|676|1868|216|90|688|886|255|256|380|598|1|998|3906698|379|1784|58|1284|1340|84|678|681|685|967|27|260|263)(9[976]\d|8[987530]\d|6[987]\d|5[90]\d|42\d|3[875]\d|2[98654321]\d|9[8543210]|8[6421]|6[6543210]|5[87654321]|4[987654310]|3[9643210]|2[70]|7|1)\d{4,20}$/;

/** Keyed field types and the value form-js initialises them with. */
const EMPTY_VALUE: Record<string, unknown> = {
  textfield: '',
  textarea: '',
  number: null,
  checkbox: false,
  checklist: [],
  radio: null,
  select: null,
  taglist: [],
  datetime: null,
  expression: null,
  filepicker: null,
};
/** Presentation components: never bound to data, even when a (schema-invalid) key is set. */
const UNKEYED = new Set([
  'text',
  'html',
  'image',
  'button',
  'separator',
  'spacer',
  'iframe',
  'table',
  'documentPreview',
  'group',
  'dynamiclist',
  'default',
]);

type Seg = string | number;
type Data = Record<string, unknown>;
type Origin = 'submission' | 'context' | 'default' | 'empty' | 'computed';

interface Scope {
  /** Value path of the scope's data object. */
  base: Seg[];
  /** Display path prefix ('' or 'materials[1].'). */
  display: string;
  thisData: unknown;
  parentData: unknown;
  indexes: number[];
}

interface Instance {
  field: FormComponent;
  path: Seg[];
  display: string;
  scope: Scope;
  readonly: boolean;
  disabled: boolean;
}

// ---- small data helpers ----------------------------------------------------------------------

const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);
const splitPath = (p: string | undefined): string[] => (p ? p.split('.').filter(Boolean) : []);
const pathKey = (p: Seg[]) => p.join('\u0000');
const displayOf = (p: Seg[]) =>
  p.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i ? `.${seg}` : seg)).join('');

function getAt(obj: unknown, path: Seg[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.hasOwn(cur as object, seg)) return undefined;
    cur = (cur as Record<Seg, unknown>)[seg];
  }
  return cur;
}

function hasAt(obj: unknown, path: Seg[]): boolean {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur as object, seg)) return false;
    cur = (cur as Record<Seg, unknown>)[seg];
  }
  return true;
}

function setAt(obj: Data, path: Seg[], value: unknown): void {
  let cur: Record<Seg, unknown> = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    let next = cur[seg];
    if (next === null || typeof next !== 'object') {
      next = typeof path[i + 1] === 'number' ? [] : {};
      cur[seg] = next;
    }
    cur = next as Record<Seg, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

/** Objects are merged key by key, anything else (lists too) is replaced. */
function mergeDeep(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Data = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeDeep(base[k], v) : v;
  return out;
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Data)[k], (b as Data)[k]));
}

// ---- FEEL --------------------------------------------------------------------------------------

const isExpression = (v: unknown): v is string => typeof v === 'string' && v.startsWith('=');

/** form-js `buildExpressionContext`: the data, plus this/parent/i and their _wrapped_ aliases. */
function expressionContext(data: Data, scope: Scope): Data {
  const special = { this: scope.thisData, parent: scope.parentData, i: scope.indexes };
  return { ...special, ...data, _this_: special.this, _parent_: special.parent, _i_: special.i };
}

/** form-js `ConditionChecker#check` for `conditional.hide`: a unary test, true hides. */
function hiddenBy(c: FormComponent, ctx: Data): boolean {
  const hide = c.conditional?.hide;
  if (!isExpression(hide)) return false;
  try {
    const result = unaryTest(hide.slice(1), ctx) as unknown;
    const value = isObject(result) && 'value' in result ? result.value : result;
    return value === true;
  } catch {
    return false;
  }
}

/** form-js `runExpressionEvaluation`: `=` strings are FEEL (null on failure), the rest as is. */
function evaluated(value: unknown, ctx: Data): unknown {
  if (!isExpression(value)) return value;
  const r = evaluateFeel(value, ctx);
  return r.ok ? r.value : null;
}

// ---- form structure ----------------------------------------------------------------------------

function isKeyed(c: FormComponent): boolean {
  return !!c.key && !UNKEYED.has(c.type ?? '') && !c.components;
}

const isRepeating = (c: FormComponent) => c.type === 'dynamiclist' && c.isRepeating === true;

function emptyValueOf(c: FormComponent): unknown {
  return clone(EMPTY_VALUE[c.type ?? ''] ?? null);
}

/**
 * Walks the components against `state`, yielding every keyed field instance with its scope.
 * `hidden` decides visibility (from the FEEL context); hidden subtrees are skipped.
 */
function collect(
  components: FormComponent[],
  state: Data,
  feelData: (scope: Scope) => Data,
  scope: Scope,
  out: Instance[],
  onRepeat?: (c: FormComponent, path: Seg[], display: string) => void,
): void {
  for (const c of components) {
    const ctx = feelData(scope);
    if (hiddenBy(c, ctx)) continue;
    if (Array.isArray(c.components)) {
      const rel = splitPath(c.path);
      const path = [...scope.base, ...rel];
      const display = rel.length ? `${scope.display}${rel.join('.')}` : scope.display.replace(/\.$/, '');
      if (isRepeating(c)) {
        if (!rel.length) continue;
        onRepeat?.(c, path, display);
        const list = getAt(state, path);
        if (!Array.isArray(list)) continue;
        list.forEach((item, i) => {
          collect(
            c.components!,
            state,
            feelData,
            {
              base: [...path, i],
              display: `${display}[${i}].`,
              thisData: item,
              parentData: scope.thisData,
              indexes: [...scope.indexes, i + 1],
            },
            out,
            onRepeat,
          );
        });
      } else {
        collect(
          c.components,
          state,
          feelData,
          { ...scope, base: path, display: rel.length ? `${display}.` : scope.display },
          out,
          onRepeat,
        );
      }
      continue;
    }
    if (!isKeyed(c)) continue;
    const rel = splitPath(c.key);
    const readonly = c.readonly === true || (isExpression(c.readonly) && evaluated(c.readonly, ctx) === true);
    const disabled = !!c.disabled;
    out.push({
      field: c,
      path: [...scope.base, ...rel],
      display: `${scope.display}${rel.join('.')}`,
      scope,
      readonly,
      disabled,
    });
  }
}

// ---- decimal arithmetic (number fields: decimalDigits, increment) --------------------------------

type Dec = { m: bigint; s: number };

function toDec(v: unknown): Dec | null {
  const str =
    typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : typeof v === 'string' ? v.trim() : '';
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(str);
  if (!match || (!match[2] && !match[3])) return null;
  const frac = match[3] ?? '';
  let m = BigInt(`${match[2] || '0'}${frac}`);
  let s = frac.length - Number(match[4] ?? 0);
  if (s < 0) {
    m *= 10n ** BigInt(-s);
    s = 0;
  }
  if (match[1] === '-') m = -m;
  return normalize({ m, s });
}

function normalize(d: Dec): Dec {
  let { m, s } = d;
  while (s > 0 && m % 10n === 0n) {
    m /= 10n;
    s--;
  }
  return { m, s };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const s = Math.max(a.s, b.s);
  return [a.m * 10n ** BigInt(s - a.s), b.m * 10n ** BigInt(s - b.s), s];
}

function decString(d: Dec): string {
  const neg = d.m < 0n;
  const digits = (neg ? -d.m : d.m).toString().padStart(d.s + 1, '0');
  const int = digits.slice(0, digits.length - d.s);
  const frac = d.s ? `.${digits.slice(digits.length - d.s)}` : '';
  return `${neg ? '-' : ''}${int}${frac}`;
}

// ---- datetime formats --------------------------------------------------------------------------

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return (
    d.getUTCFullYear() === Number(m[1]) &&
    d.getUTCMonth() === Number(m[2]) - 1 &&
    d.getUTCDate() === Number(m[3])
  );
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/;

/** The time form-js writes for each `timeSerializingFormat` (seconds are tolerated). */
function timeFormat(format: string | undefined): { ok: (zone: string | undefined) => boolean; hint: string } {
  switch (format) {
    case 'utc_normalized':
      return { ok: (z) => z === 'Z', hint: 'HH:mmZ' };
    case 'utc_offset':
      return { ok: (z) => z !== undefined, hint: 'HH:mm+hh:mm' };
    default:
      return { ok: (z) => z === undefined, hint: 'HH:mm' };
  }
}

function validTime(time: string, format: string | undefined): boolean {
  const m = TIME.exec(time);
  return !!m && timeFormat(format).ok(m[4]);
}

// ---- field validation --------------------------------------------------------------------------

function optionsOf(c: FormComponent, feel: Data): unknown[] | undefined {
  let raw: unknown;
  if (c.valuesKey) raw = feel[c.valuesKey];
  else if (c.valuesExpression) raw = evaluated(c.valuesExpression, feel);
  else raw = c.values;
  if (!Array.isArray(raw)) return undefined;
  const some = (o: unknown) => !!o || o === 0 || o === false;
  const readable = (o: unknown) => ['number', 'string', 'boolean'].includes(typeof o) && some(o);
  const out: unknown[] = [];
  for (const o of raw) {
    if (!some(o)) continue;
    if (readable(o)) out.push(o);
    else if (isObject(o)) {
      if (!o.label && readable(o.value)) out.push(o.value);
      else if (some(o.value) && readable(o.label)) out.push(o.value);
    }
  }
  return out;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)));

function optionReason(c: FormComponent, options: unknown[] | undefined): string {
  if (!options || options.length === 0) {
    const source = c.valuesKey
      ? `variable '${c.valuesKey}'`
      : c.valuesExpression
        ? `expression ${c.valuesExpression}`
        : 'form';
    return `must be empty: the ${source} provides no options`;
  }
  const listed = options.slice(0, 20).map(show).join(', ');
  return `must be one of ${listed}${options.length > 20 ? ', …' : ''}`;
}

function numberOrUndefined(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/** Most documents one filepicker value may hold. */
const MAX_DOCUMENTS = 100;

/**
 * A filepicker value is what Camunda's Tasklist stores: a list of document references (objects
 * with `documentId`, as answered by POST /v2/documents), or a single reference when the field
 * does not allow multiple files. Answers [path suffix, reason] pairs.
 */
function documentValueProblems(c: FormComponent, value: unknown, feel: Data): Array<[string, string]> {
  const multiple = c.multiple === true || (isExpression(c.multiple) && evaluated(c.multiple, feel) === true);
  if (Array.isArray(value)) {
    if (!multiple && value.length > 1)
      return [['', 'must hold at most one document (the field does not allow multiple files)']];
    if (value.length > MAX_DOCUMENTS) return [['', `must hold at most ${MAX_DOCUMENTS} documents`]];
    return value.flatMap((item, i) => referenceProblems(item).map((r): [string, string] => [`[${i}]`, r]));
  }
  if (!isObject(value)) {
    const what = multiple ? 'a list of document references' : 'a document reference or a list of one';
    return [['', `must be ${what} (objects with documentId, as answered by the upload)`]];
  }
  return referenceProblems(value).map((r): [string, string] => ['', r]);
}

function referenceProblems(ref: unknown): string[] {
  if (!isObject(ref)) return ['must be a document reference (an object with documentId)'];
  const out: string[] = [];
  const id = ref.documentId;
  if (typeof id !== 'string' || id === '' || id.length > 200)
    out.push('documentId must be a non-empty string (the id answered by the document upload)');
  const type = ref['camunda.document.type'];
  if (type !== undefined && type !== 'camunda') out.push("camunda.document.type must be 'camunda'");
  for (const k of ['storeId', 'endpoint'])
    if (ref[k] !== undefined && typeof ref[k] !== 'string') out.push(`${k} must be a string`);
  if (ref.contentHash !== undefined && ref.contentHash !== null && typeof ref.contentHash !== 'string')
    out.push('contentHash must be a string');
  if (ref.metadata !== undefined && ref.metadata !== null && !isObject(ref.metadata))
    out.push('metadata must be an object');
  return out;
}

function validateInstance(inst: Instance, value: unknown, feel: Data, now: Date, errors: FieldError[]): void {
  const c = inst.field;
  const field = inst.display;
  const push = (reason: string): void => {
    errors.push({ field, reason });
  };
  const present = value !== undefined && value !== null && value !== '';

  // (1) the JSON type the form-js UI produces for the field
  if (present) {
    switch (c.type) {
      case 'number':
        if (value === 'NaN') {
          push('is not a number');
          return;
        }
        if (
          c.serializeToString ? toDec(value) === null : typeof value !== 'number' || !Number.isFinite(value)
        ) {
          push(c.serializeToString ? 'must be a number written as text' : 'must be a number');
          return;
        }
        break;
      case 'checkbox':
        if (typeof value !== 'boolean') {
          push('must be true or false');
          return;
        }
        break;
      case 'checklist':
      case 'taglist':
        if (!Array.isArray(value)) {
          push('must be a list');
          return;
        }
        break;
      case 'filepicker': {
        const reasons = documentValueProblems(c, value, feel);
        if (reasons.length) {
          for (const [at, reason] of reasons) errors.push({ field: `${field}${at}`, reason });
          return;
        }
        break;
      }
      case 'textfield':
      case 'textarea':
      case 'datetime':
        if (typeof value !== 'string') {
          push('must be text');
          return;
        }
        break;
    }
  }

  // (2) form-js Validator: number specifics
  if (c.type === 'number' && present) {
    const dec = toDec(value)!;
    const digits = c.decimalDigits;
    if (typeof digits === 'number' && digits >= 0 && dec.s > digits)
      push(
        digits === 0
          ? 'must be an integer'
          : `must have at most ${digits} decimal digit${digits > 1 ? 's' : ''}`,
      );
    const inc = c.increment !== undefined && c.increment !== '' ? toDec(c.increment) : null;
    if (inc && inc.m > 0n) {
      const [a, b, s] = align(dec, inc);
      const offset = a % b;
      if (offset !== 0n) {
        const prev = normalize({ m: a - offset, s });
        const next = normalize({ m: a - offset + b, s });
        push(
          `must be a multiple of ${decString(inc)} (the nearest valid values are ${decString(prev)} and ${decString(next)})`,
        );
      }
    }
  }

  const v: Validate = c.validate ?? {};
  const limit = (x: unknown) => numberOrUndefined(evaluated(x, feel));

  // (3) form-js Validator: preset validation, in its order
  if (v.pattern && typeof value === 'string' && value) {
    if (value.length > MAX_PATTERN_INPUT)
      push(`is too long to check (more than ${MAX_PATTERN_INPUT} characters)`);
    else {
      let re: RegExp | null = null;
      try {
        re = new RegExp(v.pattern);
      } catch {
        push(`cannot be checked: the form's pattern ${v.pattern} is not a valid regular expression`);
      }
      if (re && !re.test(value)) push(v.patternErrorMessage || `must match the pattern ${v.pattern}`);
    }
  }
  if (v.required) {
    const unchecked = c.type === 'checkbox' && value === false;
    const unset = value === undefined || value === null || value === '';
    const emptyList = Array.isArray(value) && value.length === 0;
    if (unchecked || unset || emptyList) push('is required');
  }
  const n =
    typeof value === 'number' ? value : typeof value === 'string' ? numberOrUndefined(value) : undefined;
  if (n !== undefined && (value || value === 0)) {
    const min = 'min' in v ? limit(v.min) : undefined;
    const max = 'max' in v ? limit(v.max) : undefined;
    if (min !== undefined && n < min) push(`must be at least ${min}`);
    if (max !== undefined && n > max) push(`must be at most ${max}`);
  }
  if (typeof value === 'string' && value) {
    const len = [...value.trim()].length;
    const minLength = 'minLength' in v ? limit(v.minLength) : undefined;
    const maxLength = 'maxLength' in v ? limit(v.maxLength) : undefined;
    if (minLength !== undefined && len < minLength) push(`must have at least ${minLength} characters`);
    if (maxLength !== undefined && len > maxLength) push(`must have at most ${maxLength} characters`);
    if (v.validationType === 'phone' || v.validationType === 'email') {
      if (value.length > MAX_PATTERN_INPUT) push(`is too long (more than ${MAX_PATTERN_INPUT} characters)`);
      else if (v.validationType === 'phone' && !PHONE.test(value))
        push('must be a valid international phone number (e.g. +4930664040900)');
      else if (v.validationType === 'email' && !EMAIL.test(value)) push('must be a valid email address');
    }
  }

  // (4) what the UI offers: options and date/time formats
  if (!present) return;
  switch (c.type) {
    case 'select':
    case 'radio': {
      const options = optionsOf(c, feel);
      if (!options?.some((o) => deepEqual(o, value))) push(optionReason(c, options));
      break;
    }
    case 'checklist':
    case 'taglist': {
      const options = optionsOf(c, feel);
      const bad = (value as unknown[]).filter((x) => !options?.some((o) => deepEqual(o, x)));
      if (bad.length)
        push(
          options?.length
            ? `contains values that are not options: ${bad.map(show).join(', ')}`
            : optionReason(c, options),
        );
      break;
    }
    case 'datetime': {
      const s = value as string;
      const subtype = c.subtype ?? 'date';
      let date: string | undefined;
      if (subtype === 'date') {
        if (!validDate(s)) {
          push('must be a date (YYYY-MM-DD)');
          return;
        }
        date = s;
      } else if (subtype === 'time') {
        if (!validTime(s, c.timeSerializingFormat)) {
          push(`must be a time (${timeFormat(c.timeSerializingFormat).hint})`);
          return;
        }
      } else {
        const [d, t, ...rest] = s.split('T');
        if (!d || !validDate(d) || t === undefined || rest.length || !validTime(t, c.timeSerializingFormat)) {
          push(`must be a date and time (YYYY-MM-DDT${timeFormat(c.timeSerializingFormat).hint})`);
          return;
        }
        date = d;
      }
      if (c.disallowPassedDates && date && date < now.toISOString().slice(0, 10))
        push('must not be in the past');
      break;
    }
  }
}

// ---- the whole form ----------------------------------------------------------------------------

/**
 * Validates `data` (the submission) against the form-js `schema`, with `context` being the
 * variables the task sees (the form's initial data).
 */
export function validateForm(
  schema: { components?: FormComponent[] },
  data: Record<string, unknown>,
  context: Record<string, unknown> = {},
  options: FormValidationOptions = {},
): FormValidationResult {
  const components = Array.isArray(schema?.components) ? schema.components : [];
  const submission = isObject(data) ? data : {};
  const now = options.now ?? new Date();
  const rootsOfFields = fieldRoots(components);
  const root = (d: unknown): Scope => ({ base: [], display: '', thisData: d, parentData: null, indexes: [] });

  const origins = new Map<string, Origin>();
  /** Places where the form expects an object but the data holds something else. */
  const blocked = new Map<string, Seg[]>();
  const isBlocked = (target: Data, path: Seg[], from: number, to: number, record: boolean): boolean => {
    for (let n = from; n <= to; n++) {
      const v = getAt(target, path.slice(0, n));
      if (v !== undefined && v !== null && !isObject(v)) {
        if (record) blocked.set(pathKey(path.slice(0, n)), path.slice(0, n));
        return true;
      }
    }
    return false;
  };
  const submittedLists = new Set<string>();

  // (1) the form state: variables, submission laid over them, initialised as form-js does
  const state = clone(mergeDeep(clone(context), submission)) as Data;
  const initial = clone(context) as Data;
  initialise(components, initial, root(initial), null);
  initialise(components, state, root(state), initial);

  function initialise(cs: FormComponent[], target: Data, scope: Scope, ctxData: Data | null): void {
    for (const c of cs) {
      if (Array.isArray(c.components)) {
        const rel = splitPath(c.path);
        const path = [...scope.base, ...rel];
        if (isRepeating(c)) {
          if (!rel.length) continue;
          let list = getAt(target, path);
          if (ctxData && hasAt(submission, path) && Array.isArray(getAt(submission, path)))
            submittedLists.add(pathKey(path));
          if (!Array.isArray(list)) {
            if (list !== undefined && list !== null) continue; // reported as 'must be a list'
            const n = c.defaultRepetitions ?? 1;
            list = Array.from({ length: Math.max(0, Math.min(n, 1000)) }, () => ({}));
            setAt(target, path, list);
          }
          (list as unknown[]).forEach((item, i) => {
            if (!isObject(item)) return;
            initialise(c.components!, target, { ...scope, base: [...path, i], thisData: item }, ctxData);
          });
        } else if (!isBlocked(target, path, scope.base.length + 1, path.length, !!ctxData))
          initialise(c.components, target, { ...scope, base: path }, ctxData);
        continue;
      }
      if (!isKeyed(c)) continue;
      const path = [...scope.base, ...splitPath(c.key)];
      if (isBlocked(target, path, scope.base.length + 1, path.length - 1, !!ctxData)) continue;
      const key = pathKey(path);
      if (ctxData) {
        const fromSubmission = hasAt(submission, path) && getAt(submission, path) !== undefined;
        // read-only, disabled and computed fields never take the submission's value
        const protectedField =
          c.type === 'expression' ||
          !!c.disabled ||
          c.readonly === true ||
          (isExpression(c.readonly) && evaluated(c.readonly, expressionContext(target, scope)) === true);
        if (fromSubmission && !protectedField) {
          origins.set(key, 'submission');
          continue;
        }
        if (protectedField) {
          const inContext = getAt(ctxData, path);
          if (hasAt(context, path)) {
            setAt(target, path, clone(inContext));
            origins.set(key, 'context');
            continue;
          }
          setAt(target, path, undefined);
        } else if (hasAt(context, path) && getAt(context, path) !== undefined) {
          origins.set(key, 'context');
          continue;
        }
      }
      if (getAt(target, path) !== undefined) continue;
      if (c.defaultValue !== undefined && c.type !== 'expression') {
        setAt(target, path, clone(c.defaultValue));
        if (ctxData) origins.set(key, c.disabled ? 'empty' : 'default');
      } else {
        setAt(target, path, emptyValueOf(c));
        if (ctxData) origins.set(key, 'empty');
      }
    }
  }

  // (2) expression fields: computed here, in dependency order (repeated until stable)
  const rawFeel = (scope: Scope) => expressionContext(state, scope);
  const expressions: Instance[] = [];
  collect(components, state, rawFeel, root(state), expressions);
  const computed = expressions.filter((i) => i.field.type === 'expression');
  for (let pass = 0; pass <= computed.length && computed.length; pass++) {
    let changed = false;
    for (const inst of computed) {
      const value = evaluated(inst.field.expression ?? null, expressionContext(state, inst.scope)) ?? null;
      if (!deepEqual(getAt(state, inst.path), value)) {
        setAt(state, inst.path, value);
        changed = true;
      }
      origins.set(pathKey(inst.path), 'computed');
    }
    if (!changed) break;
  }

  // (3) form-js `ConditionChecker#applyConditions(data, data)`: hidden values filtered out...
  const visibleRaw: Instance[] = [];
  collect(components, state, rawFeel, root(state), visibleRaw);
  const filtered: Data = {};
  for (const inst of visibleRaw) {
    const value = getAt(state, inst.path);
    if (value !== undefined) setAt(filtered, inst.path, clone(value));
  }
  for (const [k, v] of Object.entries(state)) if (!(k in filtered) && !rootsOfFields.has(k)) filtered[k] = v;
  // ...then laid over the initial data: the data FEEL sees while the form is shown
  const feelData: Data = { ...initial, ...filtered };
  const feel = (scope: Scope) => expressionContext(feelData, scope);

  // (4) the visible fields, as rendered, validated and submitted
  const instances: Instance[] = [];
  const lists: { path: Seg[]; display: string }[] = [];
  collect(components, state, feel, root(state), instances, (_c, path, display) =>
    lists.push({ path, display }),
  );

  const errors: FieldError[] = [];
  const documents: FormDocumentField[] = [];
  for (const { path, display } of lists) {
    const list = getAt(state, path);
    if (list !== undefined && list !== null && !Array.isArray(list))
      errors.push({ field: display, reason: 'must be a list' });
    else if (Array.isArray(list))
      list.forEach((item, i) => {
        if (!isObject(item)) errors.push({ field: `${display}[${i}]`, reason: 'must be an object' });
      });
  }
  for (const inst of instances) {
    if (inst.disabled) continue;
    const at = inst.path.findIndex((_, n) => n > 0 && blocked.has(pathKey(inst.path.slice(0, n))));
    if (at > 0) {
      errors.push({ field: displayOf(inst.path.slice(0, at)), reason: 'must be an object' });
      continue;
    }
    const before = errors.length;
    const value = getAt(state, inst.path);
    validateInstance(inst, value, feel(inst.scope), now, errors);
    if (
      inst.field.type === 'filepicker' &&
      errors.length === before &&
      origins.get(pathKey(inst.path)) === 'submission' &&
      value !== null &&
      value !== undefined &&
      value !== ''
    ) {
      const list = Array.isArray(value);
      const refs = (list ? value : [value]) as Data[];
      if (refs.length)
        documents.push({
          field: inst.display,
          path: inst.path,
          list,
          references: refs.map((r) => ({
            documentId: r.documentId as string,
            storeId: r.storeId,
            contentHash: r.contentHash,
          })),
        });
    }
  }
  const seen = new Set<string>();
  const uniqueErrors = errors.filter((e) => {
    const k = `${e.field}\u0000${e.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });

  // (5) what is stored: the submitted (or defaulted, or computed) variables, form fields only
  const touched = new Set<string>();
  for (const inst of instances) {
    const origin = origins.get(pathKey(inst.path));
    if (!inst.disabled && (origin === 'submission' || origin === 'default' || origin === 'computed'))
      touched.add(String(inst.path[0]));
  }
  for (const k of submittedLists) touched.add(k.split('\u0000')[0]!);
  const out: Data = {};
  for (const k of touched) {
    const listPaths = lists.filter((l) => String(l.path[0]) === k);
    for (const l of listPaths) {
      const list = getAt(state, l.path);
      if (Array.isArray(list) && (l.path.length === 1 || getAt(out, l.path) === undefined))
        setAt(
          out,
          l.path,
          list.map(() => ({})),
        );
    }
  }
  for (const inst of instances) {
    const root0 = String(inst.path[0]);
    if (!touched.has(root0)) continue;
    const origin = origins.get(pathKey(inst.path));
    if (origin === 'empty' || (inst.disabled && origin !== 'context')) continue;
    const value = getAt(state, inst.path);
    if (value !== undefined) setAt(out, inst.path, clone(value));
  }
  if (options.unknownKeys === 'keep') {
    for (const [k, v] of Object.entries(submission)) if (!rootsOfFields.has(k) && !(k in out)) out[k] = v;
  }
  return { data: out, errors: uniqueErrors, documents: uniqueErrors.length ? [] : documents };
}

/** Top-level data keys the form binds: the first segment of every field key or container path. */
function fieldRoots(components: FormComponent[], inPath = false, out = new Set<string>()): Set<string> {
  for (const c of components) {
    if (Array.isArray(c.components)) {
      const first = splitPath(c.path)[0];
      if (first && !inPath) out.add(first);
      fieldRoots(c.components, inPath || !!first, out);
    } else if (!inPath && isKeyed(c)) out.add(splitPath(c.key)[0]!);
  }
  return out;
}
