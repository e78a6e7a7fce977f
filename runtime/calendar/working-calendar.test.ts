import chineseDays from 'chinese-days';
import { describe, expect, it } from 'vitest';
import {
  addWorkingTime,
  type CalendarDefinition,
  CN_HOLIDAYS_LAST_YEAR,
  CN_STANDARD_CALENDAR as CN,
  isWorkingDay,
  isWorkingTime,
  NATURAL_CALENDAR as NATURAL,
  nextWorkingMoment,
  parseWorkingDuration,
  validateCalendar,
  workingTimeBetween,
} from './working-calendar.js';

/** A moment on the Beijing clock. */
const bj = (local: string) => new Date(`${local}+08:00`);
/** The Beijing wall-clock time of an instant, `YYYY-MM-DDTHH:MM`. */
const onBeijingClock = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16);
const add = (def: CalendarDefinition, from: string, duration: string) =>
  onBeijingClock(addWorkingTime(def, bj(from), duration));
const HOUR = 3_600_000;

describe('working days on the Chinese calendar (base CN)', () => {
  it('takes National Day 2026 (Oct 1–7) off and works the make-up Sunday Sep 20 and Saturday Oct 10', () => {
    for (const d of ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'])
      expect(isWorkingDay(CN, d), d).toBe(false);
    // chinese-days says which weekend days are 调休 make-up working days
    expect(chineseDays.getDayDetail('2026-09-20')).toMatchObject({
      work: true,
      name: expect.stringContaining('国庆'),
    });
    expect(chineseDays.getDayDetail('2026-10-10')).toMatchObject({
      work: true,
      name: expect.stringContaining('国庆'),
    });
    expect(isWorkingDay(CN, '2026-09-20')).toBe(true); // a Sunday
    expect(isWorkingDay(CN, '2026-10-10')).toBe(true); // a Saturday
    expect(isWorkingDay(CN, '2026-10-11')).toBe(false); // the Sunday after: an ordinary weekend
    expect(isWorkingDay(CN, '2026-10-08')).toBe(true);
  });

  it('takes Spring Festival 2026 (Feb 15–23) off and works Saturdays Feb 14 and Feb 28', () => {
    for (const d of ['2026-02-15', '2026-02-17', '2026-02-20', '2026-02-23'])
      expect(isWorkingDay(CN, d), d).toBe(false);
    expect(isWorkingDay(CN, '2026-02-14')).toBe(true);
    expect(isWorkingDay(CN, '2026-02-28')).toBe(true);
    expect(isWorkingDay(CN, '2026-02-24')).toBe(true);
  });

  it('falls back to the weekday rule for years chinese-days does not cover', () => {
    expect(CN_HOLIDAYS_LAST_YEAR).toBeGreaterThanOrEqual(2026);
    const later = CN_HOLIDAYS_LAST_YEAR + 1;
    // Oct 1 of the next uncovered year on a weekday counts as a working day until the data exists
    const day = [1, 2, 3, 4, 5, 6, 7]
      .map((d) => `${later}-10-0${d}`)
      .find((d) => new Date(`${d}T00:00:00Z`).getUTCDay() % 6 !== 0)!;
    expect(isWorkingDay(CN, day)).toBe(true);
  });

  it('agrees with chinese-days’ getDayDetail on every day of 2024–2026', () => {
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2027, 0, 1); t += 86_400_000) {
      const d = new Date(t).toISOString().slice(0, 10);
      // chinese-days answers for the neighbouring day in zones west of UTC: compare by its own date
      const detail = chineseDays.getDayDetail(d);
      if (detail.date !== d) continue;
      expect(isWorkingDay(CN, d), d).toBe(detail.work);
    }
  });

  it('lets tenant holidays and workdays override the base and the weekdays', () => {
    const tenant = {
      ...CN,
      name: '项目部',
      holidays: ['2026-10-09'], // a Friday
      workdays: ['2026-10-03', '2026-10-11'], // a statutory holiday, a Sunday
    };
    expect(isWorkingDay(tenant, '2026-10-09')).toBe(false);
    expect(isWorkingDay(tenant, '2026-10-03')).toBe(true);
    expect(isWorkingDay(tenant, '2026-10-11')).toBe(true);
    expect(isWorkingDay({ ...CN, base: 'NONE' }, '2026-10-01')).toBe(true);
    expect(isWorkingDay({ ...CN, base: 'NONE' }, '2026-09-20')).toBe(false);
  });

  it('has weekends off', () => {
    expect(isWorkingDay(CN, '2026-11-14')).toBe(false);
    expect(isWorkingDay(CN, '2026-11-15')).toBe(false);
    expect(isWorkingDay(CN, '2026-11-16')).toBe(true);
    expect(isWorkingDay({ ...CN, weekdays: [1, 2, 3, 4, 5, 6] }, '2026-11-14')).toBe(true);
  });
});

describe('adding working time', () => {
  it('counts hours inside working hours only: across the lunch break and the evening', () => {
    expect(add(CN, '2026-11-16T11:00', 'PT1H')).toBe('2026-11-16T12:00'); // ends as the morning does
    expect(add(CN, '2026-11-16T11:00', 'PT4H')).toBe('2026-11-16T16:30');
    expect(add(CN, '2026-11-16T16:00', 'PT4H')).toBe('2026-11-17T11:00');
    expect(add(CN, '2026-11-16T09:00', 'PT7H30M')).toBe('2026-11-16T18:00');
    expect(add(CN, '2026-11-20T17:00', 'PT2H')).toBe('2026-11-23T10:00'); // Friday → Monday
    expect(add(CN, '2026-11-16T10:00', 'PT30M')).toBe('2026-11-16T10:30');
    expect(add(CN, '2026-11-16T10:00', 'PT1.5H')).toBe('2026-11-16T11:30');
  });

  it('moves a start outside working hours to the next working moment first', () => {
    expect(add(CN, '2026-11-16T07:00', 'PT1H')).toBe('2026-11-16T10:00');
    expect(add(CN, '2026-11-16T12:30', 'PT1H')).toBe('2026-11-16T14:30');
    expect(add(CN, '2026-11-16T18:00', 'PT1H')).toBe('2026-11-17T10:00');
    expect(add(CN, '2026-11-21T10:00', 'PT1H')).toBe('2026-11-23T10:00'); // Saturday
    expect(add(CN, '2026-11-16T12:30', 'P1D')).toBe('2026-11-17T13:30');
    expect(add(CN, '2026-11-20T19:00', 'P1D')).toBe('2026-11-24T09:00'); // Fri evening → Mon 09:00 → Tue
    expect(onBeijingClock(nextWorkingMoment(CN, bj('2026-11-20T19:00')))).toBe('2026-11-23T09:00');
    expect(isWorkingTime(CN, bj('2026-11-16T12:00'))).toBe(false);
    expect(isWorkingTime(CN, bj('2026-11-16T13:30'))).toBe(true);
  });

  it('adds a day as the same time on the next working day', () => {
    expect(add(CN, '2026-11-20T15:00', 'P1D')).toBe('2026-11-23T15:00'); // Friday → Monday
    expect(add(CN, '2026-11-16T15:00', 'P2D')).toBe('2026-11-18T15:00');
    expect(add(CN, '2026-11-20T15:00', 'P1DT4H')).toBe('2026-11-24T10:00');
  });

  it('jumps the National Day week and lands on the make-up Saturday', () => {
    // Wed Sep 30 → (Oct 1–7 off) → Thu Oct 8 → Fri Oct 9 → Sat Oct 10 (调休)
    expect(add(CN, '2026-09-30T15:00', 'P1D')).toBe('2026-10-08T15:00');
    expect(add(CN, '2026-09-30T15:00', 'P3D')).toBe('2026-10-10T15:00');
    expect(add(CN, '2026-09-30T16:00', 'PT4H')).toBe('2026-10-08T11:00');
    // the make-up Sunday before counts as well
    expect(add(CN, '2026-09-19T10:00', 'PT1H')).toBe('2026-09-20T10:00');
  });

  it('jumps Spring Festival 2026', () => {
    expect(add(CN, '2026-02-13T10:00', 'P1D')).toBe('2026-02-14T10:00'); // Sat Feb 14 is worked
    expect(add(CN, '2026-02-14T10:00', 'P1D')).toBe('2026-02-24T10:00');
  });

  it('counts a week as as many working days as the calendar has weekdays', () => {
    expect(add(CN, '2026-11-16T10:00', 'P1W')).toBe('2026-11-23T10:00');
    expect(add({ ...CN, weekdays: [1, 2, 3, 4, 5, 6] }, '2026-11-16T10:00', 'P1W')).toBe('2026-11-23T10:00');
    expect(add(NATURAL, '2026-11-16T10:00', 'P1W')).toBe('2026-11-23T10:00');
  });

  it('counts every minute on the natural calendar', () => {
    expect(add(NATURAL, '2026-10-01T22:00', 'PT4H')).toBe('2026-10-02T02:00');
    expect(add(NATURAL, '2026-10-01T22:00', 'P2D')).toBe('2026-10-03T22:00');
    expect(workingTimeBetween(NATURAL, bj('2026-10-01T00:00'), bj('2026-10-08T00:00'))).toBe(7 * 24 * HOUR);
  });

  it('returns the start for a zero duration', () => {
    expect(addWorkingTime(CN, bj('2026-11-21T10:00'), 'PT0S')).toEqual(bj('2026-11-21T10:00'));
  });

  it('is independent of the process time zone: the calendar’s zone decides', () => {
    const utc = { ...CN, base: 'NONE' as const, timeZone: 'UTC', name: 'UTC' };
    expect(addWorkingTime(utc, new Date('2026-11-16T17:00:00Z'), 'PT2H').toISOString()).toBe(
      '2026-11-17T10:00:00.000Z',
    );
  });

  it('handles a daylight saving change inside working hours (America/New_York)', () => {
    const ny: CalendarDefinition = {
      name: 'night shift',
      base: 'NONE',
      timeZone: 'America/New_York',
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      hours: [{ from: '01:00', to: '04:00' }],
      holidays: [],
      workdays: [],
    };
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so the shift lasts 2 hours
    const shift = workingTimeBetween(ny, new Date('2026-03-08T05:00:00Z'), new Date('2026-03-08T09:00:00Z'));
    expect(shift).toBe(2 * HOUR);
    // 01:00 EST + P1D = 01:00 EDT the next day (23 hours later)
    expect(addWorkingTime(ny, new Date('2026-03-08T06:00:00Z'), 'P1D').toISOString()).toBe(
      '2026-03-09T05:00:00.000Z',
    );
    // the 2 working hours of that short shift end at 04:00 EDT
    expect(addWorkingTime(ny, new Date('2026-03-08T06:00:00Z'), 'PT2H').toISOString()).toBe(
      '2026-03-08T08:00:00.000Z',
    );
    // 2026-11-01: 02:00 EDT falls back to 01:00 EST, so the shift lasts 4 hours
    expect(workingTimeBetween(ny, new Date('2026-11-01T04:00:00Z'), new Date('2026-11-01T10:00:00Z'))).toBe(
      4 * HOUR,
    );
  });
});

describe('working time between two moments', () => {
  it('counts only working hours of working days', () => {
    expect(workingTimeBetween(CN, bj('2026-11-16T00:00'), bj('2026-11-17T00:00'))).toBe(7.5 * HOUR);
    expect(workingTimeBetween(CN, bj('2026-11-16T11:00'), bj('2026-11-16T14:00'))).toBe(1.5 * HOUR);
    // Fri Oct 9 + the make-up Sat Oct 10
    expect(workingTimeBetween(CN, bj('2026-10-09T09:00'), bj('2026-10-12T09:00'))).toBe(15 * HOUR);
    expect(workingTimeBetween(CN, bj('2026-10-01T00:00'), bj('2026-10-08T00:00'))).toBe(0);
    expect(workingTimeBetween(CN, bj('2026-11-17T00:00'), bj('2026-11-16T00:00'))).toBe(0);
  });

  it('is the inverse of adding hours', () => {
    const from = bj('2026-09-30T16:20');
    const due = addWorkingTime(CN, from, 'PT12H');
    expect(workingTimeBetween(CN, from, due)).toBe(12 * HOUR);
  });
});

describe('durations', () => {
  it('parses days, weeks and time', () => {
    expect(parseWorkingDuration('P1DT4H')).toEqual({
      ok: true,
      duration: { weeks: 0, days: 1, ms: 4 * HOUR },
    });
    expect(parseWorkingDuration('P1W')).toEqual({ ok: true, duration: { weeks: 1, days: 0, ms: 0 } });
    expect(parseWorkingDuration('PT30M')).toEqual({
      ok: true,
      duration: { weeks: 0, days: 0, ms: 1_800_000 },
    });
  });

  it('refuses years, months, fractions of days and malformed text with a reason', () => {
    for (const bad of ['P1Y', 'P1M', 'P1.5D', 'P', 'PT', '4h', '-PT1H', 'P1DT', 'P99999D', ''])
      expect(parseWorkingDuration(bad).ok, bad).toBe(false);
    expect(parseWorkingDuration('P1M')).toMatchObject({ reason: expect.stringContaining('months') });
    expect(() => addWorkingTime(CN, bj('2026-11-16T10:00'), 'P2M')).toThrow(/years and months/);
  });
});

describe('validating a calendar', () => {
  it('fills in the defaults', () => {
    const { definition, errors } = validateCalendar({ name: '默认' });
    expect(errors).toEqual([]);
    expect(definition).toEqual({
      name: '默认',
      base: 'CN',
      timeZone: 'Asia/Shanghai',
      weekdays: [1, 2, 3, 4, 5],
      hours: [
        { from: '09:00', to: '12:00' },
        { from: '13:30', to: '18:00' },
      ],
      holidays: [],
      workdays: [],
    });
  });

  it('names every invalid field', () => {
    const { definition, errors } = validateCalendar({
      name: '',
      base: 'US',
      timeZone: 'Mars/Olympus',
      weekdays: [0, 3, 3],
      hours: [
        { from: '9:00', to: '12:00' },
        { from: '14:00', to: '13:00' },
        { from: '15:00', to: '18:00' },
        { from: '17:00', to: '19:00' },
      ],
      holidays: ['2026-02-30'],
      workdays: ['2026-10-01', 'soon'],
      holiday: ['2026-10-01'],
    });
    expect(definition).toBeNull();
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'holiday', reason: expect.stringContaining('not a calendar field') },
        { field: 'name', reason: 'must be a non-empty string' },
        { field: 'base', reason: 'must be CN or NONE' },
        { field: 'timeZone', reason: 'must be an IANA time zone, e.g. Asia/Shanghai' },
        { field: 'weekdays[0]', reason: 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)' },
        { field: 'weekdays[2]', reason: 'is listed twice' },
        { field: 'hours[0].from', reason: 'must be a time HH:MM from 00:00 to 23:59' },
        { field: 'hours[1].to', reason: 'must be after from' },
        { field: 'hours[3]', reason: expect.stringContaining('sorted, not overlapping') },
        { field: 'holidays[0]', reason: 'must be a date YYYY-MM-DD' },
        { field: 'workdays[1]', reason: 'must be a date YYYY-MM-DD' },
      ]),
    );
    expect(errors).toHaveLength(11);
  });

  it('refuses a calendar without any working day, and a date both off and on', () => {
    expect(validateCalendar({ name: 'x', weekdays: [] }).errors).toEqual([
      { field: 'weekdays', reason: expect.stringContaining('at least one working day') },
    ]);
    expect(validateCalendar({ name: 'x', hours: [] }).errors).toEqual([
      { field: 'hours', reason: 'must have at least one period' },
    ]);
    expect(
      validateCalendar({ name: 'x', holidays: ['2026-10-12'], workdays: ['2026-10-12'] }).errors,
    ).toEqual([{ field: 'workdays[0]', reason: 'is also listed in holidays' }]);
  });

  it('gives up instead of looping when a calendar runs out of working days', () => {
    const once: CalendarDefinition = { ...CN, name: 'once', weekdays: [], workdays: ['2026-11-16'] };
    expect(add(once, '2026-11-16T10:00', 'PT1H')).toBe('2026-11-16T11:00');
    expect(() => addWorkingTime(once, bj('2026-11-16T10:00'), 'PT8H')).toThrow(/working time within/);
    expect(() => addWorkingTime(once, bj('2026-11-16T10:00'), 'P1D')).toThrow(/working time within/);
  });

  it('accepts 24:00 and sorts and de-duplicates dates; canonicalises the time zone', () => {
    const { definition } = validateCalendar({
      name: 'x',
      timeZone: 'asia/shanghai',
      hours: [{ from: '20:00', to: '24:00' }],
      holidays: ['2026-12-31', '2026-01-01', '2026-12-31'],
    });
    expect(definition).toMatchObject({
      timeZone: 'Asia/Shanghai',
      hours: [{ from: '20:00', to: '24:00' }],
      holidays: ['2026-01-01', '2026-12-31'],
    });
  });

  it('refuses an invalid definition passed to the calculations', () => {
    expect(() => isWorkingDay({ ...CN, hours: [] }, '2026-11-16')).toThrow(
      /hours must have at least one period/,
    );
    expect(() => isWorkingDay(CN, '2026-13-01')).toThrow(/YYYY-MM-DD/);
  });
});
