import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/** The runtime's "now": Wednesday 2026-09-30 15:00 in Beijing, the eve of National Day. */
const NOW = new Date('2026-09-30T07:00:00Z');

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({ clock: () => NOW });
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass-1', name: '乙-管理员', roles: ['admin'] });
});
afterAll(async () => {
  await t?.close();
});
const bob = { user: 'bob', password: 'bob-pass-1' };

describe('working calendars (工作日历)', () => {
  it('lists the built-ins in every tenant: cn-standard (the default) and natural', async () => {
    const res = await t.api('POST', '/v2/working-calendars/search', {});
    expect(res.status, res.text).toBe(200);
    expect(res.body.items.map((c: any) => c.calendarId)).toEqual(['cn-standard', 'natural']);
    expect(res.body.items[0]).toMatchObject({
      tenantId: '<default>',
      builtIn: true,
      base: 'CN',
      timeZone: 'Asia/Shanghai',
      weekdays: [1, 2, 3, 4, 5],
      hours: [
        { from: '09:00', to: '12:00' },
        { from: '13:30', to: '18:00' },
      ],
      statutoryHolidaysUntil: expect.any(Number),
      createdAt: null,
    });
    expect(res.body.page.totalItems).toBe(2);
    const natural = await t.api('GET', '/v2/working-calendars/natural', undefined, { user: 'field1' });
    expect(natural.body).toMatchObject({
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      hours: [{ from: '00:00', to: '24:00' }],
    });
  });

  it('creates, reads, searches, replaces and deletes a tenant calendar', async () => {
    const created = await t.api('POST', '/v2/working-calendars', {
      calendarId: 'site-6day',
      name: '项目现场（单休）',
      weekdays: [1, 2, 3, 4, 5, 6],
      hours: [
        { from: '08:00', to: '12:00' },
        { from: '13:00', to: '17:00' },
      ],
      holidays: ['2026-11-20'],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      tenantId: '<default>',
      calendarId: 'site-6day',
      name: '项目现场（单休）',
      builtIn: false,
      base: 'CN',
      weekdays: [1, 2, 3, 4, 5, 6],
      holidays: ['2026-11-20'],
      workdays: [],
    });
    expect(created.body.createdAt).toEqual(expect.any(String));

    const dup = await t.api('POST', '/v2/working-calendars', { calendarId: 'site-6day', name: 'x' });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain('<site-6day>');

    const read = await t.api('GET', '/v2/working-calendars/site-6day', undefined, { user: 'field1' });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const found = await t.api('POST', '/v2/working-calendars/search', { filter: { builtIn: false } });
    expect(found.body.items.map((c: any) => c.calendarId)).toEqual(['site-6day']);
    const byName = await t.api('POST', '/v2/working-calendars/search', {
      filter: { name: { $like: '*现场*' } },
    });
    expect(byName.body.items).toHaveLength(1);

    // Saturday is a working day of this calendar, Friday Nov 20 a tenant holiday
    const due = await t.api('POST', '/v2/working-calendars/site-6day/due-date', {
      from: '2026-11-19T16:00:00+08:00',
      duration: 'PT2H',
    });
    expect(due.body).toMatchObject({ dueDate: '2026-11-21T01:00:00.000Z', workingMs: 2 * 3_600_000 });

    const replaced = await t.api('PUT', '/v2/working-calendars/site-6day', {
      name: '项目现场',
      base: 'NONE',
    });
    expect(replaced.status, replaced.text).toBe(200);
    // a replacement: fields left out take the defaults
    expect(replaced.body).toMatchObject({
      name: '项目现场',
      base: 'NONE',
      weekdays: [1, 2, 3, 4, 5],
      holidays: [],
    });
    expect((await t.api('GET', '/v2/working-calendars/site-6day')).body.name).toBe('项目现场');

    expect((await t.api('DELETE', '/v2/working-calendars/site-6day')).status).toBe(204);
    const gone = await t.api('GET', '/v2/working-calendars/site-6day');
    expect(gone.status).toBe(404);
    expect(gone.body.detail).toContain('<site-6day>');
    expect((await t.api('DELETE', '/v2/working-calendars/site-6day')).status).toBe(404);
  });

  it('refuses invalid calendars, naming each field', async () => {
    const res = await t.api('POST', '/v2/working-calendars', {
      calendarId: 'bad cal',
      name: '',
      timeZone: 'Asia/Beijing',
      weekdays: [8],
      hours: [
        { from: '13:00', to: '18:00' },
        { from: '09:00', to: '12:00' },
      ],
      workdays: ['2026-9-1'],
      holiday: ['2026-10-01'],
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'holiday', reason: expect.stringContaining('not a calendar field') },
        { field: 'name', reason: 'must be a non-empty string' },
        { field: 'timeZone', reason: 'must be an IANA time zone, e.g. Asia/Shanghai' },
        { field: 'weekdays[0]', reason: 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)' },
        { field: 'hours[1]', reason: expect.stringContaining('sorted, not overlapping') },
        { field: 'workdays[0]', reason: 'must be a date YYYY-MM-DD' },
      ]),
    );
    const badId = await t.api('POST', '/v2/working-calendars', { calendarId: 'bad cal', name: 'x' });
    expect(badId.body.errors).toEqual([{ field: 'calendarId', reason: expect.any(String) }]);
    const missing = await t.api('POST', '/v2/working-calendars', { name: 'x' });
    expect(missing.body.errors).toEqual([{ field: 'calendarId', reason: 'is required' }]);
    const noDays = await t.api('POST', '/v2/working-calendars', {
      calendarId: 'never',
      name: 'x',
      weekdays: [],
    });
    expect(noDays.body.errors).toEqual([
      { field: 'weekdays', reason: expect.stringContaining('no working time') },
    ]);
    const badPut = await t.api('PUT', '/v2/working-calendars/natural', {
      name: 'x',
      hours: [{ from: '18:00', to: '09:00' }],
    });
    expect(badPut.body.errors).toEqual([{ field: 'hours[0].to', reason: 'must be after from' }]);
  });

  it('computes due dates over National Day, from now by default', async () => {
    // now is Wed Sep 30 15:00; Oct 1–7 are off
    const res = await t.api(
      'POST',
      '/v2/working-calendars/cn-standard/due-date',
      { duration: 'P1D' },
      { user: 'field1' },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      tenantId: '<default>',
      calendarId: 'cn-standard',
      from: NOW.toISOString(),
      duration: 'P1D',
      dueDate: '2026-10-08T07:00:00.000Z', // Thu Oct 8 15:00
      workingMs: 7.5 * 3_600_000,
    });
    // 4 working hours from 16:00: 2 on Sep 30, 2 on Oct 8
    const hours = await t.api('POST', '/v2/working-calendars/cn-standard/due-date', {
      from: '2026-09-30T16:00:00+08:00',
      duration: 'PT4H',
    });
    expect(hours.body.dueDate).toBe('2026-10-08T03:00:00.000Z');
    // the make-up Saturday Oct 10 counts
    const days = await t.api('POST', '/v2/working-calendars/cn-standard/due-date', {
      from: '2026-09-30T15:00:00+08:00',
      duration: 'P3D',
    });
    expect(days.body.dueDate).toBe('2026-10-10T07:00:00.000Z');
    const natural = await t.api('POST', '/v2/working-calendars/natural/due-date', {
      from: '2026-09-30T15:00:00+08:00',
      duration: 'P1D',
    });
    expect(natural.body).toMatchObject({ dueDate: '2026-10-01T07:00:00.000Z', workingMs: 86_400_000 });
  });

  it('refuses durations in months and start times without an offset', async () => {
    const months = await t.api('POST', '/v2/working-calendars/cn-standard/due-date', { duration: 'P1M' });
    expect(months.status).toBe(400);
    expect(months.body.errors).toEqual([{ field: 'duration', reason: expect.stringContaining('months') }]);
    const local = await t.api('POST', '/v2/working-calendars/cn-standard/due-date', {
      duration: 'PT1H',
      from: '2026-09-30T15:00:00',
    });
    expect(local.body.errors).toEqual([{ field: 'from', reason: expect.stringContaining('offset') }]);
    const unknown = await t.api('POST', '/v2/working-calendars/nope/due-date', { duration: 'PT1H' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('<nope>');
  });

  it('lets a tenant override a built-in, and deleting the override restores it', async () => {
    expect((await t.api('DELETE', '/v2/working-calendars/cn-standard')).status).toBe(409);
    // the company works the National Day holiday's first Monday (Oct 5)
    const override = await t.api('PUT', '/v2/working-calendars/cn-standard', {
      name: '公司标准日历',
      workdays: ['2026-10-05'],
    });
    expect(override.status, override.text).toBe(200);
    expect(override.body).toMatchObject({ builtIn: false, workdays: ['2026-10-05'] });
    const due = await t.api('POST', '/v2/working-calendars/cn-standard/due-date', { duration: 'P1D' });
    expect(due.body.dueDate).toBe('2026-10-05T07:00:00.000Z');
    // the service's cache was dropped by the write: the engine sees the override at once
    const engineView = await t.runtime.calendars.addWorkingTime('<default>', null, NOW, 'P1D');
    expect(engineView.toISOString()).toBe('2026-10-05T07:00:00.000Z');
    const search = await t.api('POST', '/v2/working-calendars/search', {
      filter: { calendarId: 'cn-standard' },
    });
    expect(search.body.items).toHaveLength(1);
    expect(search.body.items[0]).toMatchObject({ builtIn: false, name: '公司标准日历' });

    expect((await t.api('DELETE', '/v2/working-calendars/cn-standard')).status).toBe(204);
    const back = await t.api('GET', '/v2/working-calendars/cn-standard');
    expect(back.body).toMatchObject({ builtIn: true, workdays: [] });
    expect((await t.runtime.calendars.addWorkingTime('<default>', null, NOW, 'P1D')).toISOString()).toBe(
      '2026-10-08T07:00:00.000Z',
    );
  });

  it('keeps tenants apart', async () => {
    const mine = await t.api('POST', '/v2/working-calendars', { calendarId: 'ours', name: '甲公司日历' });
    expect(mine.status).toBe(201);
    // bob (tenant-b) sees his tenant's built-ins only
    const theirs = await t.api('POST', '/v2/working-calendars/search', {}, bob);
    expect(theirs.body.items.map((c: any) => [c.tenantId, c.calendarId])).toEqual([
      ['tenant-b', 'cn-standard'],
      ['tenant-b', 'natural'],
    ]);
    expect((await t.api('GET', '/v2/working-calendars/ours', undefined, bob)).status).toBe(404);
    expect(
      (await t.api('GET', '/v2/working-calendars/ours?tenantId=%3Cdefault%3E', undefined, bob)).status,
    ).toBe(403);
    expect((await t.api('DELETE', '/v2/working-calendars/ours', undefined, bob)).status).toBe(404);
    expect(
      (await t.api('POST', '/v2/working-calendars/ours/due-date', { duration: 'PT1H' }, bob)).status,
    ).toBe(404);
    // the same id in another tenant is another calendar
    const same = await t.api(
      'POST',
      '/v2/working-calendars',
      { calendarId: 'ours', name: '乙公司日历', base: 'NONE' },
      bob,
    );
    expect(same.status, same.text).toBe(201);
    expect(same.body.tenantId).toBe('tenant-b');
    expect((await t.api('GET', '/v2/working-calendars/ours')).body.name).toBe('甲公司日历');
    await expect(t.runtime.calendars.addWorkingTime('tenant-b', 'site-x', NOW, 'PT1H')).rejects.toThrow(
      /<site-x>/,
    );
  });

  it('answers inside the caller’s transaction, and forgets a calendar whose creation rolled back', async () => {
    const calendars = t.runtime.calendars;
    calendars.forget();
    const due = await t.runtime.knex.transaction((trx) =>
      calendars.addWorkingTime('<default>', null, NOW, 'PT1H', trx),
    );
    expect(due.toISOString()).toBe('2026-09-30T08:00:00.000Z');
    await expect(
      t.runtime.knex.transaction(async (trx) => {
        await calendars.create('<default>', 'draft', { name: '草稿', base: 'NONE' }, trx);
        expect((await calendars.get('<default>', 'draft', trx))?.definition.name).toBe('草稿');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await calendars.get('<default>', 'draft')).toBeUndefined();
    await expect(calendars.addWorkingTime('<default>', 'draft', NOW, 'PT1H')).rejects.toThrow(/<draft>/);
  });

  it('lets only administrators change calendars; every user reads them', async () => {
    for (const user of ['owner', 'field1', 'audit1']) {
      const create = await t.api(
        'POST',
        '/v2/working-calendars',
        { calendarId: `by-${user}`, name: 'x' },
        { user },
      );
      expect(create.status, user).toBe(403);
      expect((await t.api('PUT', '/v2/working-calendars/ours', { name: 'x' }, { user })).status, user).toBe(
        403,
      );
      expect((await t.api('DELETE', '/v2/working-calendars/ours', undefined, { user })).status, user).toBe(
        403,
      );
      expect((await t.api('GET', '/v2/working-calendars/ours', undefined, { user })).status, user).toBe(200);
      const due = await t.api('POST', '/v2/working-calendars/ours/due-date', { duration: 'PT1H' }, { user });
      expect(due.status, user).toBe(200);
    }
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'working calendars on two runtime nodes (needs TEST_DATABASE_URL: PGlite cannot be shared)',
  () => {
    it('drops the other node’s cached calendars when one node changes them', async () => {
      const other = await startTestRuntime({ clock: () => NOW, shareDatabaseOf: t });
      try {
        // warm the other node's cache with the built-in
        expect(
          (await other.runtime.calendars.addWorkingTime('<default>', null, NOW, 'P1D')).toISOString(),
        ).toBe('2026-10-08T07:00:00.000Z');
        const put = await t.api('PUT', '/v2/working-calendars/cn-standard', {
          name: '加班日历',
          workdays: ['2026-10-02'],
        });
        expect(put.status, put.text).toBe(200);
        // NOTIFY arrives after the commit, asynchronously
        await expect
          .poll(async () =>
            (await other.runtime.calendars.addWorkingTime('<default>', null, NOW, 'P1D')).toISOString(),
          )
          .toBe('2026-10-02T07:00:00.000Z');
      } finally {
        await t.api('DELETE', '/v2/working-calendars/cn-standard');
        await other.close();
      }
    });
  },
);
