import type { Knex } from 'knex';
import { badRequest, type FieldError } from './problem.js';

export interface FieldSpec {
  column: string;
  type?: 'string' | 'key' | 'number' | 'boolean' | 'date' | 'array';
}

export interface SearchRequest {
  filter?: Record<string, unknown>;
  sort?: Array<{ field: string; order?: string }>;
  page?: { from?: number; limit?: number };
}

const OPERATORS: Record<string, string> = {
  $eq: '=',
  $neq: '<>',
  $gt: '>',
  $gte: '>=',
  $lt: '<',
  $lte: '<=',
};

/**
 * Camunda-style search: `{ filter, sort, page: { from, limit } }` -> `{ items, page: { totalItems } }`.
 * Filter values are exact values or objects of $eq/$neq/$gt/$gte/$lt/$lte/$in/$like/$exists.
 * Unknown fields are rejected, naming the field.
 */
export async function search<T>(
  base: Knex.QueryBuilder,
  fields: Record<string, FieldSpec>,
  body: SearchRequest | undefined,
  map: (row: any) => T,
  defaultSort: Array<{ column: string; order: 'asc' | 'desc' }>,
): Promise<{ items: T[]; page: { totalItems: number; startCursor: null; endCursor: null } }> {
  const req = body ?? {};
  const errors: FieldError[] = [];
  if (
    req.filter !== undefined &&
    (typeof req.filter !== 'object' || req.filter === null || Array.isArray(req.filter))
  ) {
    throw badRequest('filter must be an object', [{ field: 'filter', reason: 'must be an object' }]);
  }
  for (const [name, raw] of Object.entries(req.filter ?? {})) {
    const spec = fields[name];
    if (!spec) {
      errors.push({
        field: `filter.${name}`,
        reason: `is not a filterable field; expected one of ${Object.keys(fields).join(', ')}`,
      });
      continue;
    }
    if (raw === undefined) continue;
    const col = spec.column;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [op, value] of Object.entries(raw as Record<string, unknown>)) {
        if (op in OPERATORS) base.where(col, OPERATORS[op], value as any);
        else if (op === '$in' && Array.isArray(value)) base.whereIn(col, value as any[]);
        else if (op === '$like' && typeof value === 'string')
          base.where(col, 'like', value.replace(/\*/g, '%').replace(/\?/g, '_'));
        else if (op === '$exists') value ? base.whereNotNull(col) : base.whereNull(col);
        else errors.push({ field: `filter.${name}.${op}`, reason: 'unsupported operator or value' });
      }
    } else if (spec.type === 'array') base.whereRaw('? = ANY(??)', [raw as string, col]);
    else base.where(col, raw as string);
  }
  const sort = req.sort ?? [];
  if (!Array.isArray(sort)) errors.push({ field: 'sort', reason: 'must be an array' });
  const limit = req.page?.limit ?? 100;
  const from = req.page?.from ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    errors.push({ field: 'page.limit', reason: 'must be an integer from 1 to 1000' });
  if (!Number.isInteger(from) || from < 0)
    errors.push({ field: 'page.from', reason: 'must be a non-negative integer' });
  for (const s of Array.isArray(sort) ? sort : []) {
    if (!fields[s.field]) errors.push({ field: 'sort.field', reason: `cannot sort by '${s.field}'` });
    if (s.order && !/^(asc|desc)$/i.test(s.order))
      errors.push({ field: 'sort.order', reason: 'must be ASC or DESC' });
  }
  if (errors.length) throw badRequest('the search request is not valid', errors);
  const countQuery = base.clone().clearSelect().clearOrder().count({ n: '*' });
  const rowsQuery = base.clone();
  for (const s of sort)
    rowsQuery.orderBy(fields[s.field].column, (s.order ?? 'asc').toLowerCase() as 'asc' | 'desc');
  for (const s of defaultSort) rowsQuery.orderBy(s.column, s.order);
  const [countRow, rows] = await Promise.all([countQuery.first(), rowsQuery.offset(from).limit(limit)]);
  return {
    items: rows.map(map),
    page: { totalItems: Number((countRow as any)?.n ?? 0), startCursor: null, endCursor: null },
  };
}
