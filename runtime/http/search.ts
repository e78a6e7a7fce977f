import type { Knex } from 'knex';
import type { Router } from 'express';
import { badRequest, type FieldError, notFound } from './problem.js';
import { isKey, pathKey } from './keys.js';
import type { Subject } from '../auth/access.js';

export interface FieldSpec {
  column: string;
  type?: 'string' | 'key' | 'number' | 'boolean' | 'date' | 'array';
  /** A filter that is not a plain column comparison (e.g. isLatestVersion). */
  filter?: (query: Knex.QueryBuilder, value: unknown) => void;
}

export interface SearchRequest {
  filter?: Record<string, unknown>;
  sort?: Array<{ field: string; order?: string }>;
  page?: { from?: number; limit?: number };
}

/** Why a filter value does not fit its field's type, or null when it fits. */
function invalidValue(type: NonNullable<FieldSpec['type']>, value: unknown): string | null {
  switch (type) {
    case 'key':
      return isKey(value) ? null : 'must be a key (a decimal number as a string)';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'date':
      return typeof value === 'string' && !Number.isNaN(new Date(value).getTime())
        ? null
        : 'must be an ISO 8601 date-time';
    default:
      return typeof value === 'string' ? null : 'must be a text';
  }
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
    // Own fields only: `constructor`, `toString`, `__proto__` are not columns.
    const spec = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!spec) {
      errors.push({
        field: `filter.${name}`,
        reason: `is not a filterable field; expected one of ${Object.keys(fields).join(', ')}`,
      });
      continue;
    }
    if (raw === undefined) continue;
    if (spec.filter) {
      spec.filter(base, raw);
      continue;
    }
    const col = spec.column;
    const field = `filter.${name}`;
    const check = (value: unknown, where: string) => {
      const reason = invalidValue(spec.type ?? 'string', value);
      if (reason) errors.push({ field: where, reason });
      return !reason;
    };
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [op, value] of Object.entries(raw as Record<string, unknown>)) {
        const where = `${field}.${op}`;
        if (op in OPERATORS) {
          if (spec.type === 'array')
            errors.push({ field: where, reason: 'only $eq, $in and $exists apply to a list field' });
          else if (check(value, where)) base.where(col, OPERATORS[op], value as any);
        } else if (op === '$in') {
          if (!Array.isArray(value) || value.length === 0)
            errors.push({ field: where, reason: 'must be a non-empty list' });
          else if (value.every((v, i) => check(v, `${where}[${i}]`))) {
            if (spec.type === 'array') base.whereRaw('?? && ?::text[]', [col, value as string[]]);
            else base.whereIn(col, value as any[]);
          }
        } else if (op === '$like') {
          if (typeof value !== 'string' || (spec.type && spec.type !== 'string'))
            errors.push({ field: where, reason: 'applies to text fields, with a text pattern' });
          else base.where(col, 'like', value.replace(/\*/g, '%').replace(/\?/g, '_'));
        } else if (op === '$exists') {
          if (typeof value !== 'boolean') errors.push({ field: where, reason: 'must be true or false' });
          else if (value) base.whereNotNull(col);
          else base.whereNull(col);
        } else
          errors.push({
            field: where,
            reason: `unsupported operator; expected one of ${[...Object.keys(OPERATORS), '$in', '$like', '$exists'].join(', ')}`,
          });
      }
    } else if (spec.type === 'array') {
      if (typeof raw !== 'string') errors.push({ field, reason: 'must be a text' });
      else base.whereRaw('? = ANY(??)', [raw, col]);
    } else if (check(raw, field)) base.where(col, raw as string);
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
    if (s === null || typeof s !== 'object') {
      errors.push({ field: 'sort', reason: 'each entry must be an object { field, order }' });
      continue;
    }
    if (typeof s.field !== 'string' || !Object.hasOwn(fields, s.field))
      errors.push({ field: 'sort.field', reason: `cannot sort by '${s.field}'` });
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

/** A resource readable by search and by key, always within the caller's tenants. */
export interface ReadableResource {
  /** Path segment, e.g. `incidents`. */
  path: string;
  table: string;
  keyColumn: string;
  /** Name of the key in the API, e.g. `incidentKey`. */
  keyName: string;
  /** What it is called in messages, e.g. `incident`. */
  what: string;
  fields: Record<string, FieldSpec>;
  view: (row: any) => unknown;
  /** The base query; default: every column of `table`. */
  query?: (knex: Knex) => Knex.QueryBuilder;
  /** Column of the tenant id in the base query; default `tenant_id`. */
  tenantColumn?: string;
  /** Columns only GET by key adds to the base query (large ones a search leaves out). */
  detailColumns?: string[];
  /** Narrows the rows to what this caller may read within their tenants (see auth/access.ts). */
  restrict: ((query: Knex.QueryBuilder, subject: Subject) => Knex.QueryBuilder) | 'tenant-wide';
}

/** Registers `POST /{path}/search` and `GET /{path}/{key}` for a resource. */
export function registerReadRoutes(router: Router, knex: Knex, r: ReadableResource): void {
  const base = (subject: Subject) => {
    const q = (r.query ? r.query(knex) : knex(r.table).select('*')).whereIn(
      r.tenantColumn ?? 'tenant_id',
      subject.tenantIds,
    );
    return r.restrict === 'tenant-wide' ? q : r.restrict(q, subject);
  };
  router.post(`/${r.path}/search`, async (req, res) => {
    res.json(
      await search(base(req.principal!), r.fields, req.body, r.view, [{ column: r.keyColumn, order: 'asc' }]),
    );
  });
  router.get(`/${r.path}/:key`, async (req, res) => {
    const key = pathKey(req.params.key, r.keyName);
    const row = await base(req.principal!)
      .where(r.keyColumn, key)
      .first(...(r.detailColumns ?? []));
    if (!row) throw notFound(`expected to find ${r.what} with key <${key}>, but none was found`);
    res.json(r.view(row));
  });
}
