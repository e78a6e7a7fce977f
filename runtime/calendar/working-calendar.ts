import { createRequire } from 'node:module';

const DAY = 86_400_000;

/**
 * Working-time calendars (工作日历): which days are working days and which hours of them count,
 * and arithmetic on working time ("4 working hours after", "2 working days after"). Pure and
 * deterministic: no I/O, no clock; every instant is an argument.
 *
 * Days are decided in the calendar's time zone, in this order:
 *   1. the calendar's own `holidays` (off) and `workdays` (on) — tenant overrides win;
 *   2. base `CN`: the statutory holidays (off) and make-up working days (调休, on) of mainland China,
 *      from the data of the `chinese-days` package (it covers years up to
 *      {@link CN_HOLIDAYS_LAST_YEAR}; later years fall through to 3);
 *   3. the weekday rule: `weekdays` (ISO 1 = Monday … 7 = Sunday).
 *
 * Time zones with daylight saving time are handled: working hours are wall-clock times of each day,
 * an hour that does not exist (spring forward) starts when the clock resumes, a repeated hour
 * (fall back) is counted as it elapses. Working time is elapsed physical time.
 */
export interface CalendarDefinition {
  /** What people call it, e.g. `国内标准工作日`. */
  name: string;
  /** `CN`: Chinese statutory holidays and make-up days; `NONE`: the weekday rule and own lists only. */
  base: 'CN' | 'NONE';
  /** IANA time zone of the days and hours (default `Asia/Shanghai`). */
  timeZone: string;
  /** ISO weekdays that are working days, ascending (1 = Monday … 7 = Sunday; default 1–5). */
  weekdays: number[];
  /**
   * Working periods of a working day, `HH:MM`, sorted and not overlapping; `to` may be `24:00`
   * (default 09:00–12:00 and 13:30–18:00). Each period includes `from` and excludes `to`.
   */
  hours: Array<{ from: string; to: string }>;
  /** `YYYY-MM-DD` days off on top of the base (sorted, no duplicates). */
  holidays: string[];
  /** `YYYY-MM-DD` working days on top of the base (sorted, no duplicates). */
  workdays: string[];
}

export interface CalendarFieldError {
  field: string;
  reason: string;
}

/** A duration of working time, as parsed from ISO 8601. */
export interface WorkingDuration {
  /** Whole weeks (`W`): each is as many working days as the calendar has weekdays. */
  weeks: number;
  /** Whole working days (`D`). */
  days: number;
  /** Working time of the `T` part (hours, minutes, seconds), in milliseconds. */
  ms: number;
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
export const DEFAULT_WEEKDAYS: readonly number[] = Object.freeze([1, 2, 3, 4, 5]);
export const DEFAULT_HOURS: ReadonlyArray<{ from: string; to: string }> = Object.freeze([
  Object.freeze({ from: '09:00', to: '12:00' }),
  Object.freeze({ from: '13:30', to: '18:00' }),
]);

/** The standard Chinese working calendar: statutory holidays and 调休, Monday to Friday, 9–12, 13:30–18. */
export const CN_STANDARD_CALENDAR: CalendarDefinition = deepFreeze({
  name: '国内标准工作日 (CN standard)',
  base: 'CN',
  timeZone: DEFAULT_TIME_ZONE,
  weekdays: [...DEFAULT_WEEKDAYS],
  hours: DEFAULT_HOURS.map((h) => ({ ...h })),
  holidays: [],
  workdays: [],
});

/** Natural time: every minute of every day counts (24×7); P1D is 24 hours. */
export const NATURAL_CALENDAR: CalendarDefinition = deepFreeze({
  name: '自然时间 (24×7)',
  base: 'NONE',
  timeZone: DEFAULT_TIME_ZONE,
  weekdays: [1, 2, 3, 4, 5, 6, 7],
  hours: [{ from: '00:00', to: '24:00' }],
  holidays: [],
  workdays: [],
});

// ---- Chinese statutory holidays -----------------------------------------------------------------

/**
 * The holiday tables of `chinese-days`, read from the data file it publishes. Its functions
 * (`getDayDetail`, `isWorkday`, …) build and read those tables in the process's local time zone and
 * answer for the neighbouring day west of UTC (with TZ=America/New_York,
 * `getDayDetail('2026-10-01')` describes 2026-09-30), and its CommonJS build has no named ESM
 * exports; the plain date tables are the same data without either problem.
 */
const CN_DATA = createRequire(import.meta.url)('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
};
const CN_OFF = new Set(Object.keys(CN_DATA.holidays).map(dayNumberOf));
const CN_ON = new Set(Object.keys(CN_DATA.workdays).map(dayNumberOf));

/** The last year for which `chinese-days` knows the statutory holidays (later years: weekdays only). */
export const CN_HOLIDAYS_LAST_YEAR = Math.max(
  ...Object.keys(CN_DATA.holidays).map((d) => Number(d.slice(0, 4))),
);

// ---- validation ---------------------------------------------------------------------------------

const FIELDS = ['name', 'base', 'timeZone', 'weekdays', 'hours', 'holidays', 'workdays'] as const;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_DATES = 1000;
const MAX_PERIODS = 48;

/**
 * Checks a calendar definition and fills in the defaults (base `CN`, `Asia/Shanghai`, Monday to
 * Friday, 09:00–12:00 and 13:30–18:00, no own holidays or workdays). Results are data: every
 * problem is one `{ field, reason }` (`hours[1].from`, `weekdays[0]`, …), and `definition` is null
 * when there is any. Unknown fields are errors: a misspelt `holiday` must not be silently ignored.
 */
export function validateCalendar(input: unknown): {
  definition: CalendarDefinition | null;
  errors: CalendarFieldError[];
} {
  const errors: CalendarFieldError[] = [];
  const err = (field: string, reason: string) => errors.push({ field, reason });
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    err('(body)', 'expected a calendar definition object');
    return { definition: null, errors };
  }
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!(FIELDS as readonly string[]).includes(k))
      err(k, `is not a calendar field; expected one of ${FIELDS.join(', ')}`);

  const name = o.name;
  if (typeof name !== 'string' || !name.trim()) err('name', 'must be a non-empty string');
  else if (name.length > 200) err('name', 'must be at most 200 characters');

  const base = o.base ?? 'CN';
  if (base !== 'CN' && base !== 'NONE') err('base', 'must be CN or NONE');

  let timeZone = DEFAULT_TIME_ZONE;
  if (o.timeZone !== undefined && o.timeZone !== null) {
    const zone = typeof o.timeZone === 'string' ? canonicalTimeZone(o.timeZone) : null;
    if (zone) timeZone = zone;
    else err('timeZone', 'must be an IANA time zone, e.g. Asia/Shanghai');
  }

  let weekdays = [...DEFAULT_WEEKDAYS];
  if (o.weekdays !== undefined && o.weekdays !== null) {
    if (!Array.isArray(o.weekdays))
      err('weekdays', 'must be an array of ISO weekdays (1 = Monday … 7 = Sunday)');
    else {
      const seen = new Set<number>();
      o.weekdays.forEach((d, i) => {
        if (!Number.isInteger(d) || (d as number) < 1 || (d as number) > 7)
          err(`weekdays[${i}]`, 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)');
        else if (seen.has(d as number)) err(`weekdays[${i}]`, 'is listed twice');
        else seen.add(d as number);
      });
      weekdays = [...seen].sort((a, b) => a - b);
    }
  }

  let hours = DEFAULT_HOURS.map((h) => ({ ...h }));
  if (o.hours !== undefined && o.hours !== null) {
    if (!Array.isArray(o.hours)) err('hours', 'must be an array of { from, to } periods');
    else if (o.hours.length === 0) err('hours', 'must have at least one period');
    else if (o.hours.length > MAX_PERIODS) err('hours', `must have at most ${MAX_PERIODS} periods`);
    else {
      hours = [];
      let previousEnd = -1;
      o.hours.forEach((h, i) => {
        if (h === null || typeof h !== 'object' || Array.isArray(h)) {
          err(`hours[${i}]`, 'must be an object { from, to }');
          return;
        }
        const { from, to, ...rest } = h as Record<string, unknown>;
        for (const k of Object.keys(rest))
          err(`hours[${i}].${k}`, 'is not a period field; expected from, to');
        const start = typeof from === 'string' && TIME.test(from) ? minutesOf(from) : null;
        const end = typeof to === 'string' && (TIME.test(to) || to === '24:00') ? minutesOf(to) : null;
        if (start === null) err(`hours[${i}].from`, 'must be a time HH:MM from 00:00 to 23:59');
        if (end === null) err(`hours[${i}].to`, 'must be a time HH:MM from 00:01 to 24:00');
        if (start === null || end === null) return;
        if (end <= start) err(`hours[${i}].to`, 'must be after from');
        else if (start < previousEnd)
          err(`hours[${i}]`, `must start at or after the end of hours[${i - 1}] (sorted, not overlapping)`);
        previousEnd = Math.max(previousEnd, end);
        hours.push({ from: from as string, to: to as string });
      });
    }
  }

  const dates = (field: 'holidays' | 'workdays'): string[] => {
    const v = o[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      err(field, 'must be an array of dates YYYY-MM-DD');
      return [];
    }
    if (v.length > MAX_DATES) {
      err(field, `must have at most ${MAX_DATES} dates`);
      return [];
    }
    const out = new Set<string>();
    v.forEach((d, i) => {
      if (typeof d !== 'string' || !isDate(d)) err(`${field}[${i}]`, 'must be a date YYYY-MM-DD');
      else out.add(d);
    });
    return [...out].sort();
  };
  const holidays = dates('holidays');
  const workdays = dates('workdays');
  const off = new Set(holidays);
  (Array.isArray(o.workdays) ? o.workdays : []).forEach((d, i) => {
    if (typeof d === 'string' && off.has(d)) err(`workdays[${i}]`, 'is also listed in holidays');
  });
  if (Array.isArray(o.weekdays) && weekdays.length === 0 && workdays.length === 0)
    err(
      'weekdays',
      'must name at least one working day (or list workdays): the calendar has no working time',
    );

  if (errors.length) return { definition: null, errors };
  return {
    definition: {
      name: (name as string).trim(),
      base: base as 'CN' | 'NONE',
      timeZone,
      weekdays,
      hours,
      holidays,
      workdays,
    },
    errors,
  };
}

/**
 * Parses an ISO 8601 duration of working time: `PT4H`, `PT30M`, `PT1.5H`, `P2D`, `P1DT4H`, `P1W`.
 * Years and months are refused (they are not working time), as are negative durations and
 * fractions of days or weeks. At most 3660 working days and 87840 hours.
 */
export function parseWorkingDuration(
  text: unknown,
): { ok: true; duration: WorkingDuration } | { ok: false; reason: string } {
  const bad = (reason: string) => ({ ok: false as const, reason });
  if (typeof text !== 'string') return bad('must be an ISO 8601 duration such as PT4H or P2D');
  const m =
    /^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/.exec(
      text.trim().toUpperCase(),
    );
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim()))
    return bad(`must be an ISO 8601 duration such as PT4H, P2D or P1DT4H, got <${text.slice(0, 50)}>`);
  const [, y, mo, w, d, h, mi, s] = m;
  if (y || mo) return bad('years and months are not working time: use working days (P20D) or weeks (P4W)');
  const num = (v: string | undefined) => (v ? Number(v.replace(',', '.')) : 0);
  if ((w && !/^\d+$/.test(w)) || (d && !/^\d+$/.test(d)))
    return bad('working days and weeks must be whole numbers (use PT…H for parts of a day)');
  const duration: WorkingDuration = {
    weeks: num(w),
    days: num(d),
    ms: Math.round(num(h) * 3_600_000 + num(mi) * 60_000 + num(s) * 1000),
  };
  if (duration.weeks * 7 + duration.days > 3660) return bad('must be at most 3660 working days');
  if (duration.ms > 87_840 * 3_600_000) return bad('must be at most 87840 hours');
  return { ok: true, duration };
}

// ---- time zones ---------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function canonicalTimeZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of the zone from UTC at an instant, in ms (+8 h for Asia/Shanghai). */
function offsetAt(timeZone: string, instant: number): number {
  const p: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(instant))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/** The wall-clock time of an instant, as ms since 1970-01-01 00:00 on the zone's clock. */
function wallOf(timeZone: string, instant: number): number {
  return instant + offsetAt(timeZone, instant);
}

/**
 * The instant a wall-clock time happens. A time the clock skips (spring forward) maps to the
 * instant the clock resumes past it; a time it repeats (fall back) to its first occurrence.
 */
function instantOf(timeZone: string, wall: number): number {
  const before = offsetAt(timeZone, wall - DAY);
  const after = offsetAt(timeZone, wall + DAY);
  if (before === after) return wall - before;
  const candidates = [wall - before, wall - after].filter((t) => wallOf(timeZone, t) === wall);
  return candidates.length ? Math.min(...candidates) : wall - before;
}

// ---- compiled calendars -------------------------------------------------------------------------

interface Compiled {
  timeZone: string;
  cn: boolean;
  weekdays: boolean[];
  weekLength: number;
  holidays: Set<number>;
  workdays: Set<number>;
  /** Working periods as [start, end) ms after the wall-clock midnight. */
  periods: Array<[number, number]>;
}

/** Consecutive days without working time after which a search gives up (the calendar ran dry). */
const MAX_IDLE_DAYS = 3 * 366;
/** The longest span `workingTimeBetween` measures. */
const MAX_SPAN_DAYS = 100 * 366;

const compiled = new WeakMap<CalendarDefinition, Compiled>();

/** Definitions are treated as immutable once used (the service freezes the ones it hands out). */
function compile(def: CalendarDefinition): Compiled {
  const cached = compiled.get(def);
  if (cached) return cached;
  const { definition, errors } = validateCalendar(def);
  if (!definition)
    throw new TypeError(
      `expected a valid calendar definition${typeof def?.name === 'string' ? ` <${def.name}>` : ''}: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
    );
  const weekdays = Array.from({ length: 8 }, (_, i) => definition.weekdays.includes(i));
  const c: Compiled = {
    timeZone: definition.timeZone,
    cn: definition.base === 'CN',
    weekdays,
    weekLength: definition.weekdays.length || 1,
    holidays: new Set(definition.holidays.map(dayNumberOf)),
    workdays: new Set(definition.workdays.map(dayNumberOf)),
    periods: definition.hours.map((h) => [minutesOf(h.from) * 60_000, minutesOf(h.to) * 60_000]),
  };
  compiled.set(def, c);
  return c;
}

function workingDay(c: Compiled, day: number): boolean {
  if (c.holidays.has(day)) return false;
  if (c.workdays.has(day)) return true;
  if (c.cn) {
    if (CN_OFF.has(day)) return false;
    if (CN_ON.has(day)) return true;
  }
  return c.weekdays[isoWeekdayOf(day)];
}

/** The working periods of a day as instants [start, end). */
function periodsOn(c: Compiled, day: number): Array<[number, number]> {
  const midnight = day * DAY;
  // One offset for the whole day unless the zone changes its clock around it.
  const before = offsetAt(c.timeZone, midnight - DAY);
  const steady = before === offsetAt(c.timeZone, midnight + 2 * DAY);
  const at = (ms: number) => (steady ? midnight + ms - before : instantOf(c.timeZone, midnight + ms));
  return c.periods.map(([s, e]) => [at(s), at(e)]);
}

function dayOf(c: Compiled, instant: number): number {
  return Math.floor(wallOf(c.timeZone, instant) / DAY);
}

function ranDry(c: Compiled, day: number): Error {
  return new RangeError(
    `expected the calendar to have working time within ${MAX_IDLE_DAYS} days after <${dateOf(day)}> (time zone ${c.timeZone}), but it has none`,
  );
}

/** The first working moment at or after `t` (ms), and its day. */
function nextWorking(c: Compiled, t: number): { instant: number; day: number } {
  let day = dayOf(c, t) - 1; // a period of the previous wall day may still be running (DST)
  for (let idle = 0; idle <= MAX_IDLE_DAYS; day++) {
    if (workingDay(c, day)) {
      for (const [s, e] of periodsOn(c, day)) if (t < e) return { instant: Math.max(s, t), day };
      idle = 0;
    } else idle++;
  }
  throw ranDry(c, day);
}

function addDays(c: Compiled, t: number, n: number): number {
  const start = nextWorking(c, t);
  const timeOfDay = wallOf(c.timeZone, start.instant) - start.day * DAY;
  let day = start.day;
  for (let count = 0, idle = 0; count < n; ) {
    day++;
    if (workingDay(c, day)) {
      count++;
      idle = 0;
    } else if (++idle > MAX_IDLE_DAYS) throw ranDry(c, day);
  }
  return instantOf(c.timeZone, day * DAY + timeOfDay);
}

function addMs(c: Compiled, t: number, ms: number): number {
  if (ms <= 0) return t;
  let remaining = ms;
  let day = dayOf(c, t) - 1;
  for (let idle = 0; idle <= MAX_IDLE_DAYS; day++) {
    if (!workingDay(c, day)) {
      idle++;
      continue;
    }
    for (const [s, e] of periodsOn(c, day)) {
      if (e <= t) continue;
      const from = Math.max(s, t);
      if (remaining <= e - from) return from + remaining;
      remaining -= e - from;
      idle = 0;
    }
  }
  throw ranDry(c, day);
}

// ---- the calendar functions ---------------------------------------------------------------------

/** Whether a `YYYY-MM-DD` date is a working day of the calendar. */
export function isWorkingDay(def: CalendarDefinition, date: string): boolean {
  if (!isDate(date)) throw new RangeError(`expected a date YYYY-MM-DD, got <${String(date).slice(0, 50)}>`);
  return workingDay(compile(def), dayNumberOf(date));
}

/** Whether the instant lies inside working hours of a working day. */
export function isWorkingTime(def: CalendarDefinition, at: Date): boolean {
  const c = compile(def);
  return nextWorking(c, instantOfDate(at, 'at')).instant === at.getTime();
}

/** The first moment at or after `from` inside working hours of a working day. */
export function nextWorkingMoment(def: CalendarDefinition, from: Date): Date {
  return new Date(nextWorking(compile(def), instantOfDate(from, 'from')).instant);
}

/**
 * `from` plus a working-time duration (ISO 8601, see {@link parseWorkingDuration}), in the
 * calendar's time zone:
 *   - days (`P2D`): a start outside working hours first moves to the next working moment; the
 *     result is that same time of day on the Nth next working day (Friday 15:00 + P1D = the next
 *     working day 15:00);
 *   - weeks (`P1W`): as many working days as the calendar has weekdays (5 by default, 7 for natural);
 *   - hours, minutes, seconds (`PT4H`): counted only inside working hours of working days; the
 *     result is the earliest moment the time has elapsed (11:00 + PT1H = 12:00, not 13:30);
 *   - days then time (`P1DT4H`): the days first, then the time.
 * A zero duration returns `from`.
 *
 * @throws RangeError for a duration that is not valid, or a calendar that runs out of working days
 */
export function addWorkingTime(def: CalendarDefinition, from: Date, duration: string): Date {
  const c = compile(def);
  const parsed = parseWorkingDuration(duration);
  if (!parsed.ok) throw new RangeError(`expected a working-time duration: ${parsed.reason}`);
  const { weeks, days, ms } = parsed.duration;
  let t = instantOfDate(from, 'from');
  const n = weeks * c.weekLength + days;
  if (n > 0) t = addDays(c, t, n);
  return new Date(addMs(c, t, ms));
}

/** Milliseconds of working time in [from, to); 0 when `to` is not after `from`. */
export function workingTimeBetween(def: CalendarDefinition, from: Date, to: Date): number {
  const c = compile(def);
  const a = instantOfDate(from, 'from');
  const b = instantOfDate(to, 'to');
  if (b <= a) return 0;
  const first = dayOf(c, a) - 1;
  const last = dayOf(c, b);
  if (last - first > MAX_SPAN_DAYS)
    throw new RangeError(`expected at most ${MAX_SPAN_DAYS} days between from and to`);
  let total = 0;
  for (let day = first; day <= last; day++) {
    if (!workingDay(c, day)) continue;
    for (const [s, e] of periodsOn(c, day)) total += Math.max(0, Math.min(e, b) - Math.max(s, a));
  }
  return total;
}

// ---- helpers ------------------------------------------------------------------------------------

function instantOfDate(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(t)) throw new RangeError(`expected ${what} to be a valid Date`);
  return t;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === s;
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` date. */
function dayNumberOf(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY;
}

function dateOf(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a day number; 1970-01-01 was a Thursday. */
function isoWeekdayOf(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Freezes a definition (and its lists) so it can be shared and cached safely. */
export function freezeCalendar(def: CalendarDefinition): CalendarDefinition {
  return deepFreeze(def);
}
