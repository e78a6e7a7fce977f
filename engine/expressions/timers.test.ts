import { describe, expect, it } from 'vitest';
import { addDuration, continueCycle, scheduleTimer } from './timers.js';

const now = new Date('2026-01-31T08:00:00.000Z');

describe('timer expressions', () => {
  it('adds ISO 8601 durations, months by the calendar', () => {
    expect(addDuration(now, 'PT10M').toISOString()).toBe('2026-01-31T08:10:00.000Z');
    expect(addDuration(now, 'P1DT2H30M').toISOString()).toBe('2026-02-01T10:30:00.000Z');
    expect(addDuration(now, 'P2W').toISOString()).toBe('2026-02-14T08:00:00.000Z');
    expect(addDuration(new Date('2026-01-15T00:00:00Z'), 'P1M').toISOString()).toBe(
      '2026-02-15T00:00:00.000Z',
    );
    expect(addDuration(now, 'PT0.5S').toISOString()).toBe('2026-01-31T08:00:00.500Z');
    expect(() => addDuration(now, 'P')).toThrow(/not an ISO 8601 duration/);
    expect(() => addDuration(now, '10 minutes')).toThrow(/not an ISO 8601 duration/);
  });

  it('schedules dates and durations once', () => {
    expect(scheduleTimer('date', '2026-03-01T09:00:00+08:00', now)).toEqual({
      dueAt: new Date('2026-03-01T01:00:00Z'),
      next: null,
    });
    expect(scheduleTimer('duration', 'PT1H', now).dueAt.toISOString()).toBe('2026-01-31T09:00:00.000Z');
    expect(() => scheduleTimer('date', 'tomorrow', now)).toThrow(/not an ISO 8601 date-time/);
    expect(() => scheduleTimer('duration', 42, now)).toThrow(/to be a text/);
  });

  it('repeats R3/PT10M three times and then stops', () => {
    const first = scheduleTimer('cycle', 'R3/PT10M', now);
    expect(first.dueAt.toISOString()).toBe('2026-01-31T08:10:00.000Z');
    const second = continueCycle(first.next!, first.dueAt)!;
    expect(second.dueAt.toISOString()).toBe('2026-01-31T08:20:00.000Z');
    const third = continueCycle(second.next!, second.dueAt)!;
    expect(third.dueAt.toISOString()).toBe('2026-01-31T08:30:00.000Z');
    expect(third.next).toBeNull();
  });

  it('repeats R/PT1M without end, and cycles with a start date begin there', () => {
    let s = scheduleTimer('cycle', 'R/PT1M', now);
    for (let i = 0; i < 100; i++) s = continueCycle(s.next!, s.dueAt)!;
    expect(s.next).toEqual({ kind: 'repeat', interval: 'PT1M', remaining: -1, endAt: undefined });
    const started = scheduleTimer('cycle', 'R2/2026-02-01T00:00:00Z/P1D', now);
    expect(started.dueAt.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(started.next).toMatchObject({ remaining: 1 });
  });

  it('accepts cron expressions in a time cycle (UTC)', () => {
    const s = scheduleTimer('cycle', '0 0 9 * * MON', now);
    expect(s.dueAt.toISOString()).toBe('2026-02-02T09:00:00.000Z');
    expect(continueCycle(s.next!, s.dueAt)!.dueAt.toISOString()).toBe('2026-02-09T09:00:00.000Z');
    expect(() => scheduleTimer('cycle', 'every day', now)).toThrow(/nor a valid cron expression/);
  });
});
