import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { CronExpressionParser } = require('cron-parser') as {
  CronExpressionParser: {
    parse(expr: string, opts: { currentDate: Date; tz: string }): { next(): { toDate(): Date } };
  };
};

/** A timer definition as modelled: timeDate, timeDuration or timeCycle, with its expression. */
export interface TimerDefinition {
  type: 'date' | 'duration' | 'cycle';
  expression: string;
}

/**
 * A resolved timer: when it is first due, and, for cycles, how to compute the next due time and
 * how many repetitions are left (-1 = unbounded).
 */
export interface TimerSchedule {
  dueAt: Date;
  /** For cycles: the cycle to continue with once this one fired, or null when this was the last. */
  next: CycleState | null;
}

export type CycleState =
  | { kind: 'repeat'; interval: string; remaining: number; endAt?: string }
  | { kind: 'cron'; cron: string };

const DURATION =
  /^(-)?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Adds an ISO 8601 duration (PnYnMnWnDTnHnMnS) to a date, calendar-aware for years and months. */
export function addDuration(from: Date, duration: string): Date {
  const m = DURATION.exec(duration.trim());
  if (!m || duration.trim() === 'P' || duration.trim().endsWith('T')) {
    throw new Error(`'${duration}' is not an ISO 8601 duration like PT10M or P1DT2H`);
  }
  const n = (i: number) => (m[i] ? Number(m[i].replace(',', '.')) : 0);
  const sign = m[1] ? -1 : 1;
  const d = new Date(from.getTime());
  if (n(2)) d.setUTCFullYear(d.getUTCFullYear() + sign * n(2));
  if (n(3)) d.setUTCMonth(d.getUTCMonth() + sign * n(3));
  const ms = ((n(4) * 7 + n(5)) * 86400 + n(6) * 3600 + n(7) * 60 + n(8)) * 1000;
  return new Date(d.getTime() + sign * ms);
}

export function isDuration(text: string): boolean {
  return DURATION.test(text.trim()) && text.trim() !== 'P' && !text.trim().endsWith('T');
}

function parseDate(text: string, what: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`${what} '${text}' is not an ISO 8601 date-time`);
  return d;
}

/** R[n]/[start/]interval[/end], or a cron expression (as Camunda 8 allows in timeCycle). */
function parseCycle(text: string, now: Date): TimerSchedule {
  const t = text.trim();
  if (!t.startsWith('R')) {
    const cron: CycleState = { kind: 'cron', cron: t };
    return { dueAt: nextCron(t, now), next: cron };
  }
  const parts = t.split('/');
  const rep = /^R(\d*)$/.exec(parts[0]);
  if (!rep || parts.length < 2 || parts.length > 3) {
    throw new Error(
      `'${text}' is not a repeating interval like R3/PT10M or R/2026-01-01T08:00:00Z/P1D, nor a cron expression`,
    );
  }
  const remaining = rep[1] === '' ? -1 : Number(rep[1]);
  let start = now;
  let interval: string;
  let endAt: string | undefined;
  if (parts.length === 2) interval = parts[1];
  else if (isDuration(parts[1])) {
    interval = parts[1];
    endAt = parseDate(parts[2], 'the end of the cycle').toISOString();
  } else {
    start = parseDate(parts[1], 'the start of the cycle');
    interval = parts[2];
  }
  if (!isDuration(interval)) throw new Error(`'${interval}' in '${text}' is not an ISO 8601 duration`);
  if (remaining === 0) throw new Error(`'${text}' repeats zero times`);
  // With an explicit start, the first occurrence is the start itself (or the next one after now).
  let dueAt = parts.length === 3 && !endAt ? start : addDuration(start, interval);
  let left = remaining;
  while (parts.length === 3 && !endAt && dueAt < now && left !== 1) {
    dueAt = addDuration(dueAt, interval);
    if (left > 0) left -= 1;
  }
  const nextRemaining = left < 0 ? -1 : left - 1;
  const next: CycleState | null =
    nextRemaining === 0 ? null : { kind: 'repeat', interval, remaining: nextRemaining, endAt };
  if (endAt && dueAt > new Date(endAt))
    throw new Error(`the cycle '${text}' ends before its first occurrence`);
  return { dueAt, next };
}

function nextCron(cron: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
  } catch (err) {
    throw new Error(
      `'${cron}' is not a repeating interval (R3/PT10M) nor a valid cron expression: ${(err as Error).message}`,
    );
  }
}

/** The occurrence after one that fired, or null when the cycle is over. */
export function continueCycle(state: CycleState, firedAt: Date): TimerSchedule | null {
  if (state.kind === 'cron') return { dueAt: nextCron(state.cron, firedAt), next: state };
  const dueAt = addDuration(firedAt, state.interval);
  if (state.endAt && dueAt > new Date(state.endAt)) return null;
  const nextRemaining = state.remaining < 0 ? -1 : state.remaining - 1;
  return { dueAt, next: nextRemaining === 0 ? null : { ...state, remaining: nextRemaining } };
}

/**
 * Resolves an evaluated timer value. Dates and durations may come from FEEL as strings; a FEEL
 * date-time arrives as its ISO string. Throws with a message naming what was wrong.
 */
export function scheduleTimer(type: TimerDefinition['type'], value: unknown, now: Date): TimerSchedule {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(
      `expected the time${type === 'date' ? 'Date' : type === 'duration' ? 'Duration' : 'Cycle'} to be a text, but was ${JSON.stringify(value)}`,
    );
  }
  switch (type) {
    case 'date':
      return { dueAt: parseDate(value, 'the timeDate'), next: null };
    case 'duration':
      return { dueAt: addDuration(now, value), next: null };
    case 'cycle':
      return parseCycle(value, now);
  }
}

/**
 * The first occurrence of a cycle after `now`, stepping from the planned time by whole intervals:
 * after downtime the cycle keeps its rhythm (08:00 every day stays 08:00) and fires once, not once
 * per missed occurrence. Null when the cycle ran out.
 */
export function nextOccurrence(state: CycleState, plannedDue: Date, now: Date): TimerSchedule | null {
  if (state.kind === 'cron') return continueCycle(state, plannedDue > now ? plannedDue : now);
  let next = continueCycle(state, plannedDue);
  for (let guard = 0; next && next.dueAt <= now && guard < 1_000_000; guard++) {
    next = next.next ? continueCycle(next.next, next.dueAt) : null;
  }
  return next;
}
