import type { Knex } from 'knex';
import {
  addWorkingTime,
  type CalendarDefinition,
  CN_STANDARD_CALENDAR,
  freezeCalendar,
  NATURAL_CALENDAR,
  parseWorkingDuration,
  validateCalendar,
  workingTimeBetween,
} from '../calendar/working-calendar.js';
import { badRequest, conflict, notFound } from '../http/problem.js';
import { toJsonb } from '../persistence/db.js';
import { checkId } from './identity-service.js';

/** NOTIFY channel of calendar changes (payload: the tenant id), so other nodes drop their cache. */
export const CALENDARS_CHANNEL = 'lifeflow_calendars';

/** The calendar used when none is named: Chinese statutory holidays and 调休, Monday–Friday. */
export const DEFAULT_CALENDAR_ID = 'cn-standard';

/** Calendars every tenant has without storing them; a tenant calendar with the same id overrides one. */
export const BUILTIN_CALENDARS: Readonly<Record<string, CalendarDefinition>> = Object.freeze({
  [DEFAULT_CALENDAR_ID]: CN_STANDARD_CALENDAR,
  natural: NATURAL_CALENDAR,
});

/** A calendar as a tenant sees it. */
export interface WorkingCalendar {
  tenantId: string;
  calendarId: string;
  /** True for a built-in the tenant has not overridden (nothing stored; cannot be deleted). */
  builtIn: boolean;
  /** Frozen: shared with the cache. */
  definition: CalendarDefinition;
  /** Null for built-ins. */
  createdAt: Date | null;
  updatedAt: Date | null;
}

interface TenantEntry {
  loadedAt: number;
  calendars: Map<string, WorkingCalendar>;
}

/**
 * Working calendars of tenants (工作日历) and working-time arithmetic on them: "4 working hours
 * after", "2 working days after", "how much working time between". Calendars are looked up in the
 * tenant's rows first, then among the built-ins ({@link BUILTIN_CALENDARS}).
 *
 * Every method takes an optional `db`: inside a transaction, pass it (the embedded database has a
 * single connection, so a second one would wait forever). Tenant calendars are cached per tenant;
 * writes through this service drop the tenant's entry after they commit, and tell other nodes
 * with NOTIFY {@link CALENDARS_CHANNEL} (wire {@link forget} to it); entries also expire after
 * `cacheTtlMs` in case a notification is lost.
 *
 * Errors are {@link Problem}s (so they are `Error`s): NOT_FOUND naming the calendar `<id>`,
 * INVALID_ARGUMENT naming the field (`duration`, `hours[1].from`, …), CONFLICT for a taken id.
 */
export class CalendarService {
  private readonly cache = new Map<string, TenantEntry>();
  /** Bumped by every {@link forget}: a load that started before must not fill the cache. */
  private generation = 0;
  private readonly ttlMs: number;

  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date = () => new Date(),
    options: { cacheTtlMs?: number } = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 60_000;
  }

  /** The tenant's calendar with this id (its own, else a built-in), or undefined. */
  async get(tenantId: string, calendarId: string, db?: Knex): Promise<WorkingCalendar | undefined> {
    const own = (await this.tenantCalendars(tenantId, db)).get(calendarId);
    if (own) return own;
    return Object.hasOwn(BUILTIN_CALENDARS, calendarId) ? builtIn(tenantId, calendarId) : undefined;
  }

  /**
   * The tenant's calendar with this id (null: {@link DEFAULT_CALENDAR_ID}).
   *
   * @throws Problem NOT_FOUND `expected to find working calendar <id> …`
   */
  async require(tenantId: string, calendarId: string | null, db?: Knex): Promise<WorkingCalendar> {
    const id = calendarId ?? DEFAULT_CALENDAR_ID;
    const calendar = await this.get(tenantId, id, db);
    if (!calendar)
      throw notFound(`expected to find working calendar <${id}> in tenant <${tenantId}>, but none was found`);
    return calendar;
  }

  /** Every calendar of the tenant: its own and the built-ins it has not overridden, by id. */
  async list(tenantId: string, db?: Knex): Promise<WorkingCalendar[]> {
    const own = await this.tenantCalendars(tenantId, db);
    const builtIns = Object.keys(BUILTIN_CALENDARS)
      .filter((id) => !own.has(id))
      .map((id) => builtIn(tenantId, id));
    return [...own.values(), ...builtIns].sort((a, b) => (a.calendarId < b.calendarId ? -1 : 1));
  }

  /**
   * `from` plus a working-time duration on the tenant's calendar (null: the default calendar).
   * See `addWorkingTime` in runtime/calendar/working-calendar.ts for the semantics of `PT4H`,
   * `P2D`, `P1W`, `P1DT4H`.
   *
   * @throws Problem NOT_FOUND for an unknown calendar, INVALID_ARGUMENT (field `duration`) for a
   *   duration that is not valid
   */
  async addWorkingTime(
    tenantId: string,
    calendarId: string | null,
    from: Date,
    duration: string,
    db?: Knex,
  ): Promise<Date> {
    checkDuration(duration);
    const calendar = await this.require(tenantId, calendarId, db);
    return addWorkingTime(calendar.definition, from, duration);
  }

  /** Milliseconds of working time in [from, to) on the tenant's calendar (null: the default). */
  async workingTimeBetween(
    tenantId: string,
    calendarId: string | null,
    from: Date,
    to: Date,
    db?: Knex,
  ): Promise<number> {
    const calendar = await this.require(tenantId, calendarId, db);
    return workingTimeBetween(calendar.definition, from, to);
  }

  /**
   * The due date of `duration` from `from` (default: now by the runtime's clock), with the
   * working time between them.
   */
  async dueDate(
    tenantId: string,
    calendarId: string | null,
    duration: string,
    from: Date = this.clock(),
    db?: Knex,
  ): Promise<{ calendar: WorkingCalendar; from: Date; dueDate: Date; workingMs: number }> {
    checkDuration(duration);
    const calendar = await this.require(tenantId, calendarId, db);
    const dueDate = addWorkingTime(calendar.definition, from, duration);
    return { calendar, from, dueDate, workingMs: workingTimeBetween(calendar.definition, from, dueDate) };
  }

  /**
   * Stores a new calendar of the tenant; a built-in id makes it the tenant's override.
   * `input` holds the definition fields (`name`, `base`, `timeZone`, `weekdays`, `hours`,
   * `holidays`, `workdays`); missing ones take the defaults.
   *
   * @throws Problem INVALID_ARGUMENT naming each invalid field, CONFLICT when the tenant has it
   */
  async create(tenantId: string, calendarId: string, input: unknown, db?: Knex): Promise<WorkingCalendar> {
    checkId('calendarId', calendarId);
    const definition = checkDefinition(input);
    return this.write(tenantId, db, async (trx) => {
      if (
        await trx('working_calendars').where({ tenant_id: tenantId, calendar_id: calendarId }).first('name')
      )
        throw conflict(`the tenant already has a working calendar <${calendarId}>`);
      const [row] = await trx('working_calendars')
        .insert({ tenant_id: tenantId, calendar_id: calendarId, ...columnsOf(definition) })
        .returning('*');
      return fromRow(row);
    });
  }

  /**
   * Replaces a calendar of the tenant with `input` (missing fields take the defaults). On a
   * built-in id the tenant has not overridden yet, stores the override.
   *
   * @throws Problem INVALID_ARGUMENT naming each invalid field, NOT_FOUND for an unknown id
   */
  async replace(tenantId: string, calendarId: string, input: unknown, db?: Knex): Promise<WorkingCalendar> {
    const definition = checkDefinition(input);
    return this.write(tenantId, db, async (trx) => {
      const [updated] = await trx('working_calendars')
        .where({ tenant_id: tenantId, calendar_id: calendarId })
        .update({ ...columnsOf(definition), updated_at: trx.fn.now() })
        .returning('*');
      if (updated) return fromRow(updated);
      if (!Object.hasOwn(BUILTIN_CALENDARS, calendarId)) throw this.missing(tenantId, calendarId);
      const [inserted] = await trx('working_calendars')
        .insert({ tenant_id: tenantId, calendar_id: calendarId, ...columnsOf(definition) })
        .returning('*');
      return fromRow(inserted);
    });
  }

  /**
   * Deletes a calendar of the tenant; deleting an override brings the built-in back.
   *
   * @throws Problem NOT_FOUND for an unknown id, CONFLICT for a built-in that is not overridden
   */
  async delete(tenantId: string, calendarId: string, db?: Knex): Promise<void> {
    await this.write(tenantId, db, async (trx) => {
      const n = await trx('working_calendars')
        .where({ tenant_id: tenantId, calendar_id: calendarId })
        .delete();
      if (n) return;
      if (Object.hasOwn(BUILTIN_CALENDARS, calendarId))
        throw conflict(`working calendar <${calendarId}> is built in and cannot be deleted`);
      throw this.missing(tenantId, calendarId);
    });
  }

  /**
   * A query of every calendar of these tenants, built-ins included, for the search helper: columns
   * tenant_id, calendar_id, name, definition (without name), built_in, created_at, updated_at
   * (map rows with {@link calendarFromSearchRow}).
   */
  searchQuery(tenantIds: string[], db: Knex = this.knex): Knex.QueryBuilder {
    const ids = Object.keys(BUILTIN_CALENDARS);
    const values = ids.map(() => '(?, ?, ?::jsonb)').join(', ');
    const builtIns = ids.flatMap((id) => {
      const { name, ...definition } = BUILTIN_CALENDARS[id];
      return [id, name, toJsonb(definition)];
    });
    const tenants = 'select jsonb_array_elements_text(?::jsonb) as tenant_id';
    return db.select('*').from(
      db.raw(
        `(select w.tenant_id, w.calendar_id, w.name, w.definition, false as built_in, w.created_at, w.updated_at
              from working_calendars w where w.tenant_id in (${tenants})
            union all
            select t.tenant_id, b.calendar_id, b.name, b.definition, true, null::timestamptz, null::timestamptz
              from (${tenants}) t cross join (values ${values}) as b(calendar_id, name, definition)
              where not exists (select 1 from working_calendars o
                                where o.tenant_id = t.tenant_id and o.calendar_id = b.calendar_id)) as calendars`,
        [JSON.stringify(tenantIds), JSON.stringify(tenantIds), ...builtIns],
      ),
    );
  }

  /** Drops cached calendars: of one tenant, or of all. */
  forget(tenantId?: string): void {
    this.generation++;
    if (tenantId === undefined) this.cache.clear();
    else this.cache.delete(tenantId);
  }

  private missing(tenantId: string, calendarId: string) {
    return notFound(
      `expected to find working calendar <${calendarId}> in tenant <${tenantId}>, but none was found`,
    );
  }

  /** Runs a write in `db`'s transaction (or a new one), notifies, and forgets the tenant after commit. */
  private async write<T>(
    tenantId: string,
    db: Knex | undefined,
    work: (trx: Knex) => Promise<T>,
  ): Promise<T> {
    const run = async (trx: Knex) => {
      const result = await work(trx);
      await trx.raw('select pg_notify(?, ?)', [CALENDARS_CHANNEL, tenantId]);
      return result;
    };
    const outer = db ?? this.knex;
    if (outer.isTransaction) {
      const result = await run(outer);
      this.forget(tenantId);
      // Forget again once the caller's transaction ends: a read in between may have cached the old rows.
      (outer as Knex.Transaction).executionPromise?.then(
        () => this.forget(tenantId),
        () => this.forget(tenantId),
      );
      return result;
    }
    try {
      return await outer.transaction(run);
    } finally {
      this.forget(tenantId);
    }
  }

  private async tenantCalendars(tenantId: string, db?: Knex): Promise<Map<string, WorkingCalendar>> {
    const cached = this.cache.get(tenantId);
    if (cached && Date.now() - cached.loadedAt < this.ttlMs) return cached.calendars;
    const generation = this.generation;
    const rows = await (db ?? this.knex)('working_calendars').where({ tenant_id: tenantId }).select('*');
    const calendars = new Map(rows.map((r: any) => [r.calendar_id as string, fromRow(r)]));
    // A read inside the caller's transaction may be cached too: writes through this service in
    // that transaction forget the tenant again when it ends (see write).
    if (generation === this.generation) this.cache.set(tenantId, { loadedAt: Date.now(), calendars });
    return calendars;
  }
}

function checkDuration(duration: unknown): void {
  const parsed = parseWorkingDuration(duration);
  if (!parsed.ok)
    throw badRequest(`duration ${parsed.reason}`, [{ field: 'duration', reason: parsed.reason }]);
}

function checkDefinition(input: unknown): CalendarDefinition {
  const { definition, errors } = validateCalendar(input);
  if (!definition)
    throw badRequest(
      `the working calendar is not valid: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
      errors,
    );
  return definition;
}

function columnsOf(definition: CalendarDefinition) {
  const { name, ...rest } = definition;
  return { name, definition: toJsonb(rest) };
}

const asObject = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function fromRow(r: any): WorkingCalendar {
  return {
    tenantId: r.tenant_id,
    calendarId: r.calendar_id,
    builtIn: false,
    definition: freezeCalendar({ ...asObject(r.definition), name: r.name }),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function builtIn(tenantId: string, calendarId: string): WorkingCalendar {
  return {
    tenantId,
    calendarId,
    builtIn: true,
    definition: BUILTIN_CALENDARS[calendarId],
    createdAt: null,
    updatedAt: null,
  };
}

/** A row of {@link CalendarService.searchQuery} as a {@link WorkingCalendar}. */
export function calendarFromSearchRow(r: any): WorkingCalendar {
  if (!r.built_in) return fromRow(r);
  return builtIn(r.tenant_id, r.calendar_id);
}
