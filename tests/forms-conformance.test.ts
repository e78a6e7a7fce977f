/**
 * form-js conformance of the server-side form validation (runtime/forms/validate-form.ts).
 *
 * The form schemas are loaded, as data, from ../shared/conformance/formjs/ (see SOURCES.txt there:
 * bpmn-io/form-js at commit b5a21da942815aebf97b80dc14f71c1a0e704915, bpmn.io license =
 * MIT + watermark clause, LICENSE-form-js.txt; the camunda-forms/ files come from the repositories
 * and under the licenses SOURCES.txt names). Nothing of form-js's test code is copied: each case
 * below restates, in our own words and data, one expectation of the upstream test that SOURCES.txt
 * names for the fixture (packages/form-js-viewer/test/spec/Form.spec.js), translated to our result
 * shape: form-js keys errors by field id, we by data path.
 *
 * Every fixture file is classified: it has upstream validation/submission cases, or derived cases
 * (behaviour SOURCES.txt or form-js's Validator describes, with inputs of ours), or it is not
 * applicable with a reason. Every parseable form is also run once as a smoke test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FormValidationResult, validateForm } from '../runtime/forms/validate-form.js';

const ROOT = join(import.meta.dirname, '../../shared/conformance/formjs');
const DIRS = ['viewer-spec', 'other-spec', 'camunda-forms', 'schema-validation-fixtures'] as const;

/** SOURCES.txt rows: file | repo | path | commit | license | ... (attribution of every fixture). */
const SOURCE_LINES = readFileSync(join(ROOT, 'SOURCES.txt'), 'utf8').split('\n');
const sources = new Map<string, { repo: string; path: string; commit: string; license: string }>();
for (const line of SOURCE_LINES) {
  const cols = line.split(' | ');
  if (cols.length >= 5 && /^[\w-]+\/\S+$/.test(cols[0]!))
    sources.set(cols[0]!, { repo: cols[1]!, path: cols[2]!, commit: cols[3]!, license: cols[4]! });
}

type Form = { components?: any[] } & Record<string, unknown>;
const files = DIRS.flatMap((d) => readdirSync(join(ROOT, d)).map((f) => `${d}/${f}`)).sort();

function load(file: string): { form: Form | null; error?: string } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  try {
    const json = JSON.parse(text);
    if (file.startsWith('schema-validation-fixtures/')) return { form: json.form };
    return { form: json };
  } catch (e) {
    return { form: null, error: (e as Error).message };
  }
}

interface Case {
  fixture: string;
  /** 'upstream': restates a Form.spec.js expectation; 'derived': our inputs for a described behaviour. */
  kind: 'upstream' | 'derived';
  name: string;
  data: Record<string, unknown>;
  context?: Record<string, unknown>;
  /** Replaces the fixture's schema (the upstream test edits the schema the same way). */
  schema?: (form: Form) => Form;
  /** Exactly these field paths have errors (each with a reason matching the regex, if given). */
  errors?: Record<string, RegExp | true>;
  /** These field paths have no error. */
  noErrorsAt?: string[];
  /** The stored data includes these values (deep partial match). */
  stores?: Record<string, unknown>;
  /** The stored data has none of these top-level keys. */
  dropped?: string[];
}

const RENDER_DATA = {
  creditor: 'John Doe Company',
  amount: 456,
  invoiceNumber: 'C-123',
  approved: true,
  approvedBy: 'John Doe',
  mailto: ['regional-manager', 'approver'],
  product: 'camunda-cloud',
  tags: ['tag1', 'tag2', 'tag3'],
  language: 'english',
  documents: [{ title: 'invoice.pdf', author: 'John Doe' }, { title: 'products.pdf' }],
};
const FULL_DATA = {
  invoiceDetails: { supplementaryInfo1: 'Something cool', supplementaryInfo2: 'Something even cooler' },
  clients: [{ clientSurname: 'James', clientName: 'Avenue' }],
  creditor: 'Jane Doe Company',
  amount: 456,
  invoiceNumber: 'C-123',
  approved: true,
  approvedBy: 'John Doe',
  approverComments: 'Please review by June',
  product: 'camunda-platform',
  tags: ['tag1', 'tag2', 'tag3'],
  language: 'german',
  conversation: '2010-06-15T12:00Z',
};
const DISABLED_DATA = { amount: 456, invoiceNumber: 'C-123', approved: true, approvedBy: 'John Doe' };
const withExternalHide = (form: Form): Form => ({
  ...form,
  components: [form.components![0], { ...form.components![1], conditional: { hide: '=externalVariable' } }],
});
const REQUIRED = /is required/;

const CASES: Case[] = [
  // ---- viewer-spec/form.json (Form.spec.js) ----
  {
    fixture: 'viewer-spec/form.json',
    kind: 'upstream',
    name: '#validate adds the required error of the empty creditor',
    data: {},
    errors: { creditor: REQUIRED },
  },
  {
    fixture: 'viewer-spec/form.json',
    kind: 'upstream',
    name: 'submitting the empty form reports only the creditor as required',
    data: {},
    errors: { creditor: REQUIRED },
  },
  {
    fixture: 'viewer-spec/form.json',
    kind: 'upstream',
    name: '<submit> with only an amount: creditor required, amount submitted',
    data: { amount: 456 },
    errors: { creditor: REQUIRED },
    stores: { amount: 456 },
  },
  {
    fixture: 'viewer-spec/form.json',
    kind: 'upstream',
    name: 'update and submit: no errors, every value submitted',
    data: FULL_DATA,
    errors: {},
    stores: FULL_DATA,
  },
  {
    fixture: 'viewer-spec/form.json',
    kind: 'upstream',
    name: 'validation: emptied required creditor is an error',
    data: { ...RENDER_DATA, creditor: '' },
    errors: { creditor: REQUIRED },
  },
  {
    fixture: 'viewer-spec/form.json',
    kind: 'upstream',
    name: 'validation: invoice number not matching ^C-[0-9]+$ is an error',
    data: { ...RENDER_DATA, invoiceNumber: 'foo' },
    errors: { invoiceNumber: /pattern \^C-\[0-9\]\+\$/ },
  },
  // ---- viewer-spec/condition-errors.json ----
  {
    fixture: 'viewer-spec/condition-errors.json',
    kind: 'upstream',
    name: '#validate adds no error for the hidden required number',
    data: { checkbox_4u82gk: true },
    errors: {},
  },
  {
    fixture: 'viewer-spec/condition-errors.json',
    kind: 'upstream',
    name: '#submit reports no error for the hidden field',
    data: { checkbox_4u82gk: true },
    noErrorsAt: ['number_o4f027'],
    dropped: ['number_o4f027'],
  },
  // ---- viewer-spec/condition-errors-dynamic-list.json ----
  {
    fixture: 'viewer-spec/condition-errors-dynamic-list.json',
    kind: 'upstream',
    name: 'no error for a hidden list item, an error for the visible one',
    data: {
      hideList: false,
      list: [
        { element: null, hideElement: true },
        { element: null, hideElement: false },
      ],
    },
    errors: { 'list[1].element': REQUIRED },
  },
  {
    fixture: 'viewer-spec/condition-errors-dynamic-list.json',
    kind: 'upstream',
    name: 'no errors at all for a fully hidden list',
    data: {
      hideList: true,
      list: [
        { element: null, hideElement: true },
        { element: null, hideElement: false },
      ],
    },
    errors: {},
    dropped: ['list'],
  },
  {
    fixture: 'viewer-spec/condition-errors-dynamic-list.json',
    kind: 'upstream',
    name: 'fixing one item keeps the error of the other (no ghost entries)',
    data: {
      hideList: false,
      list: [
        { element: 5, hideElement: false },
        { element: null, hideElement: false },
      ],
    },
    errors: { 'list[1].element': REQUIRED },
  },
  // ---- viewer-spec/condition.json ----
  {
    fixture: 'viewer-spec/condition.json',
    kind: 'upstream',
    name: 'submits the field whose hide condition is not met (form variable)',
    data: { amount: 456, text: 'value' },
    errors: {},
    stores: { text: 'value' },
  },
  {
    fixture: 'viewer-spec/condition.json',
    kind: 'upstream',
    name: 'submits the field whose hide condition is not met (external variable)',
    schema: withExternalHide,
    context: { externalVariable: false },
    data: { text: 'value' },
    errors: {},
    stores: { text: 'value' },
  },
  {
    fixture: 'viewer-spec/condition.json',
    kind: 'upstream',
    name: 'does not submit the hidden field (form variable)',
    data: { amount: 0, text: 'value' },
    errors: {},
    dropped: ['text'],
  },
  {
    fixture: 'viewer-spec/condition.json',
    kind: 'upstream',
    name: 'does not submit the hidden field (external variable)',
    schema: withExternalHide,
    context: { externalVariable: true },
    data: { text: 'value' },
    errors: {},
    dropped: ['text'],
  },
  // ---- viewer-spec/disabled.json ----
  {
    fixture: 'viewer-spec/disabled.json',
    kind: 'upstream',
    name: 'does not submit the disabled field nor its error',
    data: DISABLED_DATA,
    noErrorsAt: ['creditor'],
    dropped: ['creditor'],
    stores: { amount: 456, invoiceNumber: 'C-123', approved: true },
  },
  {
    fixture: 'viewer-spec/disabled.json',
    kind: 'upstream',
    name: 'does not submit data without a corresponding field',
    data: { ...DISABLED_DATA, foo: 'bar' },
    noErrorsAt: ['foo'],
    dropped: ['foo'],
  },
  {
    fixture: 'viewer-spec/disabled.json',
    kind: 'upstream',
    name: 'does not validate the disabled required field',
    data: DISABLED_DATA,
    errors: {},
  },
  // ---- viewer-spec/required.json (SOURCES: all required errors shown on submit) ----
  {
    fixture: 'viewer-spec/required.json',
    kind: 'upstream',
    name: 'submitting empty shows every required error',
    data: {},
    errors: Object.fromEntries(
      [
        'creditor',
        'invoiceNumber',
        'amount',
        'approved',
        'approvedBy',
        'approverComments',
        'product',
        'mailto',
        'language',
        'conversation',
        'tags',
      ].map((k) => [k, REQUIRED]),
    ),
  },
  // ---- viewer-spec/nested-dynamic-list-required.json (SOURCES: errors at nested paths) ----
  {
    fixture: 'viewer-spec/nested-dynamic-list-required.json',
    kind: 'upstream',
    name: 'required errors are reported at their nested list path',
    data: { outer: [{ inner: [{ value: null }, { value: 1 }] }, { inner: [{ value: 2 }, {}] }] },
    errors: { 'outer[0].inner[0].value': REQUIRED, 'outer[1].inner[1].value': REQUIRED },
  },
  // ---- viewer-spec/dynamic-list-variables.json (SOURCES: collapsed list values are submitted) ----
  {
    fixture: 'viewer-spec/dynamic-list-variables.json',
    kind: 'upstream',
    name: 'all list items are submitted',
    data: { list: [{ key: 1 }, { key: 2 }] },
    errors: {},
    stores: { list: [{ key: 1 }, { key: 2 }] },
  },

  // ---- derived: behaviour described by SOURCES.txt / form-js's Validator, our inputs ----
  {
    fixture: 'viewer-spec/validate.json',
    kind: 'derived',
    name: 'FEEL min/max/minLength/maxLength read the variables',
    context: { min: 10, max: 20, minLength: 2, maxLength: 3 },
    data: { number_expression: 5, textfield_expression: 'abcd' },
    errors: { number_expression: /at least 10/, textfield_expression: /at most 3 characters/ },
  },
  {
    fixture: 'viewer-spec/validate.json',
    kind: 'derived',
    name: 'FEEL limits satisfied',
    context: { min: 10, max: 20, minLength: 2, maxLength: 3 },
    data: { number_expression: 20, textfield_expression: ' ab ' },
    errors: {},
  },
  {
    fixture: 'viewer-spec/dynamic.json',
    kind: 'derived',
    name: 'valuesKey options come from the data (input only, not stored)',
    context: { xyzData: [{ label: 'A', value: 'a' }, 'b'] },
    data: { product: 'a', mailto: ['a', 'b'], language: 'x', tags: ['c'] },
    errors: { language: /one of "a", "b"/, tags: /not options: "c"/ },
    dropped: ['xyzData'],
  },
  {
    fixture: 'viewer-spec/valuesExpression.json',
    kind: 'derived',
    name: 'valuesExpression options are evaluated',
    context: { myList: ['x', 'y'], myList2: ['p'], myList3: [], myList4: ['q'] },
    data: { mailto: ['y'], foo: ['p', 'z'], product: 'anything' },
    errors: { foo: /not options: "z"/, product: /provides no options/ },
  },
  {
    fixture: 'viewer-spec/readonly-expression.json',
    kind: 'derived',
    name: "read-only values are the task's, not the submission's",
    context: { text: 'kept', foo: 1, bar: 1, amount: 3 },
    data: { text: 'changed', amount: 9 },
    errors: {},
    dropped: ['text', 'amount'],
  },
  {
    fixture: 'viewer-spec/readonly-expression.json',
    kind: 'derived',
    name: 'a FEEL readonly that is false lets the value through',
    context: { foo: 1, bar: 5 },
    data: { amount: 9 },
    errors: {},
    stores: { amount: 9 },
  },
  {
    fixture: 'viewer-spec/groups.json',
    kind: 'derived',
    name: 'group paths and dotted keys nest the data; unknown keys are dropped',
    data: {
      text_root: 'a',
      text_flat: 'f',
      pathed: { text_pathed: 'b', junk: 1 },
      separated: { path: { text_separated: 'c' } },
      separated2: { key: 'd' },
      junk: 2,
    },
    errors: {},
    stores: {
      text_root: 'a',
      text_flat: 'f',
      pathed: { text_pathed: 'b' },
      separated: { path: { text_separated: 'c' } },
      separated2: { key: 'd' },
    },
    dropped: ['junk'],
  },
  {
    fixture: 'viewer-spec/groups.json',
    kind: 'derived',
    name: 'a non-object at a group path is an error',
    data: { pathed: 'x' },
    errors: { pathed: /must be an object/ },
  },
  {
    fixture: 'viewer-spec/chain-expressions.json',
    kind: 'derived',
    name: 'chained expression fields are computed on the server',
    data: { exprC: 1 },
    errors: {},
    stores: { staticValue: 10, exprA: 20, exprB: 40, exprC: 50 },
  },
  {
    fixture: 'viewer-spec/focusables.json',
    kind: 'derived',
    name: 'values of each field type as the UI produces them',
    data: {
      number: 1.5,
      date: '2024-02-29',
      time: '10:15+02:00',
      datetime: '2024-03-01T08:00-05:00',
      textfield: 't',
      textarea: 'a',
      checkbox: true,
      checklist: ['value2'],
      radio: 'value',
      select: 'value',
      searchableselect: 'value',
      taglist: ['value'],
    },
    errors: {},
  },
  {
    fixture: 'viewer-spec/focusables.json',
    kind: 'derived',
    name: 'values the UI cannot produce are errors',
    data: {
      number: '1',
      date: '2023-02-29',
      time: '10:15',
      datetime: '2024-03-01 08:00',
      textfield: 5,
      checkbox: 'yes',
      checklist: 'value',
      radio: 'other',
    },
    errors: {
      number: /must be a number/,
      date: /YYYY-MM-DD/,
      time: /HH:mm\+hh:mm/,
      datetime: /date and time/,
      textfield: /must be text/,
      checkbox: /true or false/,
      checklist: /must be a list/,
      radio: /one of/,
    },
  },
  {
    fixture: 'viewer-spec/condition-errors-dynamic-list.json',
    kind: 'derived',
    name: 'a list that is not a list is an error',
    data: { list: 'nope' },
    errors: { list: /must be a list/ },
  },
];

/** Fixtures with no upstream validation/submission expectation, and why. */
function notApplicable(file: string, form: Form | null, error?: string): string | undefined {
  const desc = SOURCE_LINES.find((l) => l.startsWith(`${file} |`)) ?? '';
  if (error || form === null)
    return `not a form (${error ?? 'JSON null'}): the importer's concern, there is nothing to validate`;
  if (file.startsWith('schema-validation-fixtures/'))
    return 'checks the form definition against the form-js JSON Schema (ajv), not submitted data';
  if (file.startsWith('camunda-forms/'))
    return 'deployed .form file without submission expectations (smoke-run only)';
  if (file.startsWith('other-spec/'))
    return 'editor / playground / visual-regression fixture without data expectations (smoke-run only)';
  if (/getSchemaVariables/.test(desc) && !CASES.some((c) => c.fixture === file && c.kind === 'upstream'))
    return 'asserts variable extraction (getSchemaVariables), not validation';
  if (!CASES.some((c) => c.fixture === file && c.kind === 'upstream'))
    return 'asserts rendering, DOM events, keyboard or layout behaviour';
  return undefined;
}

function run(c: Case): { result?: FormValidationResult; failure?: string } {
  const { form } = load(c.fixture);
  const schema = c.schema ? c.schema(form!) : form!;
  let result: FormValidationResult;
  try {
    result = validateForm(schema, structuredClone(c.data), structuredClone(c.context ?? {}));
  } catch (e) {
    return { failure: `threw ${(e as Error).message}` };
  }
  const problems: string[] = [];
  const byField = new Map<string, string[]>();
  for (const e of result.errors) byField.set(e.field, [...(byField.get(e.field) ?? []), e.reason]);
  if (c.errors) {
    const want = Object.keys(c.errors).sort();
    const got = [...byField.keys()].sort();
    if (JSON.stringify(want) !== JSON.stringify(got))
      problems.push(`error fields ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    for (const [f, re] of Object.entries(c.errors))
      if (re instanceof RegExp && !(byField.get(f) ?? []).some((r) => re.test(r)))
        problems.push(`reason for ${f} is ${JSON.stringify(byField.get(f))}, expected ${re}`);
  }
  for (const f of c.noErrorsAt ?? []) if (byField.has(f)) problems.push(`unexpected error at ${f}`);
  for (const k of c.dropped ?? []) if (k in result.data) problems.push(`stored ${k}`);
  if (c.stores) {
    try {
      expect(result.data).toMatchObject(c.stores);
    } catch {
      problems.push(`stored ${JSON.stringify(result.data)}, expected to include ${JSON.stringify(c.stores)}`);
    }
  }
  for (const e of result.errors)
    if (!e.reason || /undefined|NaN|\[object/.test(e.reason))
      problems.push(`unclear reason ${JSON.stringify(e)}`);
  return { result, failure: problems.length ? problems.join('; ') : undefined };
}

// Everything is computed while collecting, so the counts can be part of the titles.
const outcomes = CASES.map((c) => ({ c, ...run(c) }));
const classified = files.map((file) => {
  const { form, error } = load(file);
  return { file, form, error, reason: notApplicable(file, form, error) };
});
const smoke = classified
  .filter((x) => x.form && typeof x.form === 'object')
  .map(({ file, form }) => {
    try {
      const r = validateForm(form as Form, { __not_a_field__: 1 });
      return {
        file,
        ok: !('__not_a_field__' in r.data) && r.errors.every((e) => typeof e.reason === 'string'),
      };
    } catch (e) {
      return { file, ok: false, error: (e as Error).message };
    }
  });

const upstream = outcomes.filter((o) => o.c.kind === 'upstream');
const derived = outcomes.filter((o) => o.c.kind === 'derived');
const na = classified.filter((x) => x.reason);
const summary = {
  fixtureFiles: files.length,
  upstreamCases: upstream.length,
  upstreamPassing: upstream.filter((o) => !o.failure).length,
  derivedCases: derived.length,
  derivedPassing: derived.filter((o) => !o.failure).length,
  fixturesWithCases: new Set(outcomes.map((o) => o.c.fixture)).size,
  notApplicable: na.length,
  smokeRuns: smoke.length,
  smokePassing: smoke.filter((s) => s.ok).length,
};
const reasons = new Map<string, number>();
for (const x of na) reasons.set(x.reason!, (reasons.get(x.reason!) ?? 0) + 1);

describe('form-js conformance of validateForm', () => {
  it('every fixture is attributed in SOURCES.txt', () => {
    expect(files.filter((f) => !sources.has(f))).toEqual([]);
  });

  for (const o of outcomes) {
    const src = sources.get(o.c.fixture);
    it(`[${o.c.kind}] ${o.c.fixture} (${src?.repo}@${src?.commit.slice(0, 7)}): ${o.c.name}`, () => {
      expect(o.failure).toBeUndefined();
    });
  }

  for (const s of smoke)
    it(`[smoke] ${s.file}: validates without throwing and stores no unknown keys`, () => {
      expect(s).toMatchObject({ ok: true });
    });

  it(
    `summary: ${summary.upstreamPassing}/${summary.upstreamCases} upstream cases and ` +
      `${summary.derivedPassing}/${summary.derivedCases} derived cases pass; ${summary.notApplicable} of ` +
      `${summary.fixtureFiles} fixture files not applicable; ${summary.smokePassing}/${summary.smokeRuns} smoke runs pass`,
    () => {
      console.log(
        `form-js conformance: ${JSON.stringify(summary)}\nnot applicable:\n${[...reasons]
          .map(([r, n]) => `  ${n} × ${r}`)
          .join('\n')}`,
      );
      expect(summary.upstreamPassing).toBe(summary.upstreamCases);
      expect(summary.derivedPassing).toBe(summary.derivedCases);
      expect(summary.smokePassing).toBe(summary.smokeRuns);
    },
  );
});
