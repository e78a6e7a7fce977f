import { describe, expect, it } from 'vitest';
import { validateForm } from '../runtime/forms/validate-form.js';

const form = (...components: unknown[]) => ({ components }) as any;
const errorsOf = (
  schema: any,
  data: Record<string, unknown>,
  context?: Record<string, unknown>,
  now?: Date,
) => validateForm(schema, data, context, { now }).errors;

describe('validateForm: form-js field semantics', () => {
  it('checks decimalDigits and increment of number fields exactly (no float rounding)', () => {
    const schema = form({ type: 'number', key: 'n', decimalDigits: 2, increment: '0.05' });
    expect(errorsOf(schema, { n: 0.15 })).toEqual([]);
    expect(errorsOf(schema, { n: 0.123 })).toEqual([
      { field: 'n', reason: 'must have at most 2 decimal digits' },
      { field: 'n', reason: 'must be a multiple of 0.05 (the nearest valid values are 0.1 and 0.15)' },
    ]);
    expect(errorsOf(form({ type: 'number', key: 'n', decimalDigits: 0 }), { n: 1.5 })).toEqual([
      { field: 'n', reason: 'must be an integer' },
    ]);
  });

  it('accepts numbers as text when serializeToString is set, and rejects NaN', () => {
    const schema = form({ type: 'number', key: 'n', serializeToString: true, validate: { max: 10 } });
    expect(errorsOf(schema, { n: '12345678901234567890.5' })).toEqual([
      { field: 'n', reason: 'must be at most 10' },
    ]);
    expect(errorsOf(schema, { n: 'NaN' })).toEqual([{ field: 'n', reason: 'is not a number' }]);
    expect(errorsOf(form({ type: 'number', key: 'n' }), { n: '5' })).toEqual([
      { field: 'n', reason: 'must be a number' },
    ]);
  });

  it('checks min and max also for 0, and only required for empty values', () => {
    const schema = form({ type: 'number', key: 'n', validate: { min: 1, max: 5 } });
    expect(errorsOf(schema, { n: 0 })).toEqual([{ field: 'n', reason: 'must be at least 1' }]);
    expect(errorsOf(schema, { n: null })).toEqual([]);
  });

  it('uses form-js email and phone patterns', () => {
    const schema = form(
      { type: 'textfield', key: 'mail', validate: { validationType: 'email' } },
      { type: 'textfield', key: 'phone', validate: { validationType: 'phone' } },
    );
    expect(errorsOf(schema, { mail: 'a.b@example.org', phone: '+4930664040900' })).toEqual([]);
    expect(errorsOf(schema, { mail: 'a@', phone: '030 664040900' }).map((e) => e.field)).toEqual([
      'mail',
      'phone',
    ]);
  });

  it('applies patterns unanchored like RegExp#test, with the author message, and guards the input size', () => {
    const schema = form({
      type: 'textfield',
      key: 't',
      validate: { pattern: '[0-9]', patternErrorMessage: 'needs a digit' },
    });
    expect(errorsOf(schema, { t: 'abc1' })).toEqual([]);
    expect(errorsOf(schema, { t: 'abc' })).toEqual([{ field: 't', reason: 'needs a digit' }]);
    expect(errorsOf(schema, { t: 'x'.repeat(10_001) })[0]!.reason).toMatch(/too long/);
    expect(
      errorsOf(form({ type: 'textfield', key: 't', validate: { pattern: '(' } }), { t: 'a' })[0]!.reason,
    ).toMatch(/not a valid regular expression/);
  });

  it('measures minLength / maxLength on the trimmed text, in characters', () => {
    const schema = form({ type: 'textarea', key: 't', validate: { minLength: 2, maxLength: 3 } });
    expect(errorsOf(schema, { t: ' 一期厂 ' })).toEqual([]);
    expect(errorsOf(schema, { t: ' a ' })).toEqual([
      { field: 't', reason: 'must have at least 2 characters' },
    ]);
  });

  it('checks datetime formats per subtype and serializing format, and disallowPassedDates', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const schema = form(
      { type: 'datetime', key: 'd', subtype: 'date', disallowPassedDates: true },
      { type: 'datetime', key: 't', subtype: 'time', timeSerializingFormat: 'utc_normalized' },
      { type: 'datetime', key: 'dt', subtype: 'datetime' },
    );
    expect(errorsOf(schema, { d: '2025-06-01', t: '10:00Z', dt: '2025-01-01T10:00' }, {}, now)).toEqual([]);
    expect(errorsOf(schema, { d: '2025-05-31', t: '10:00+01:00', dt: '2025-01-01T10:00Z' }, {}, now)).toEqual(
      [
        { field: 'd', reason: 'must not be in the past' },
        { field: 't', reason: 'must be a time (HH:mmZ)' },
        { field: 'dt', reason: 'must be a date and time (YYYY-MM-DDTHH:mm)' },
      ],
    );
  });

  it('names list item fields by path and passes this/parent/i to FEEL in lists', () => {
    const schema = form({
      type: 'dynamiclist',
      path: 'materials',
      isRepeating: true,
      components: [
        { type: 'textfield', key: 'name', validate: { required: true } },
        {
          type: 'number',
          key: 'qty',
          validate: { min: '=parent.minQty' },
          conditional: { hide: '=this.name = "skip"' },
        },
        { type: 'number', key: 'pos', validate: { max: '=i[1]' } },
      ],
    });
    const res = validateForm(
      schema,
      {
        materials: [
          { name: 'steel', qty: 5, pos: 1 },
          { name: '', qty: 1, pos: 9 },
          { name: 'skip', qty: 0, pos: 3, extra: true },
        ],
      },
      { minQty: 2 },
    );
    expect(res.errors).toEqual([
      { field: 'materials[1].name', reason: 'is required' },
      { field: 'materials[1].qty', reason: 'must be at least 2' },
      { field: 'materials[1].pos', reason: 'must be at most 2' },
    ]);
    expect(res.data).toEqual({
      materials: [
        { name: 'steel', qty: 5, pos: 1 },
        { name: '', qty: 1, pos: 9 },
        { name: 'skip', pos: 3 },
      ],
    });
  });

  it('satisfies required from the task variables and stores only what the submission changes', () => {
    const schema = form(
      { type: 'textfield', key: 'a', validate: { required: true } },
      { type: 'textfield', key: 'b', defaultValue: 'x' },
      {
        type: 'group',
        path: 'g',
        components: [
          { type: 'textfield', key: 'c' },
          { type: 'textfield', key: 'd' },
        ],
      },
    );
    const res = validateForm(schema, { g: { c: 'new' }, other: 1 }, { a: 'set before', g: { d: 'kept' } });
    expect(res.errors).toEqual([]);
    expect(res.data).toEqual({ b: 'x', g: { c: 'new', d: 'kept' } });
    expect(validateForm(schema, { other: 1 }, { a: 'x' }, { unknownKeys: 'keep' }).data).toMatchObject({
      other: 1,
    });
  });

  it('ignores conditional.hide without the = prefix, as form-js does', () => {
    const schema = form({
      type: 'textfield',
      key: 't',
      conditional: { hide: 'true' },
      validate: { required: true },
    });
    expect(errorsOf(schema, {})).toEqual([{ field: 't', reason: 'is required' }]);
  });
});
