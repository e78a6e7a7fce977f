import { type Request, Router } from 'express';
import { requireCapability } from '../../auth/access.js';
import { CN_HOLIDAYS_LAST_YEAR, validateCalendar } from '../../calendar/working-calendar.js';
import { calendarFromSearchRow, type WorkingCalendar } from '../../services/calendar-service.js';
import { badRequest } from '../problem.js';
import { type FieldSpec, search } from '../search.js';
import { type AppServices, BodyReader, targetTenant } from '../services.js';

/** A date-time with its offset: a bare local time would depend on the server's time zone. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

const view = (c: WorkingCalendar) => ({
  tenantId: c.tenantId,
  calendarId: c.calendarId,
  name: c.definition.name,
  builtIn: c.builtIn,
  base: c.definition.base,
  timeZone: c.definition.timeZone,
  weekdays: c.definition.weekdays,
  hours: c.definition.hours,
  holidays: c.definition.holidays,
  workdays: c.definition.workdays,
  /** Up to which year the statutory holidays are known (base CN); later years need own lists. */
  statutoryHolidaysUntil: c.definition.base === 'CN' ? CN_HOLIDAYS_LAST_YEAR : null,
  createdAt: c.createdAt?.toISOString() ?? null,
  updatedAt: c.updatedAt?.toISOString() ?? null,
});

const FIELDS: Record<string, FieldSpec> = {
  calendarId: { column: 'calendar_id' },
  name: { column: 'name' },
  tenantId: { column: 'tenant_id' },
  builtIn: { column: 'built_in', type: 'boolean' },
};

/** The definition fields of a body: everything but the addressing fields. */
function definitionOf(body: Record<string, unknown>): Record<string, unknown> {
  const { calendarId: _id, tenantId: _tenant, ...rest } = body;
  return rest;
}

/**
 * Lifeflow: working-time calendars (工作日历) — working days (Chinese statutory holidays and 调休,
 * tenant holidays and workdays) and working hours — on which approval timeouts are counted.
 * Built-ins `cn-standard` (the default) and `natural` exist in every tenant. Everyone in a tenant
 * reads them and computes due dates; administrators change them. Calendars are addressed by id
 * within one tenant: the `tenantId` query parameter, else the caller's tenant (as on create).
 */
export function workingCalendarRoutes(s: AppServices): Router {
  const router = Router();
  const tenantOf = (req: Request) => targetTenant(req, req.query.tenantId);
  const find = async (req: Request) => s.calendars.require(tenantOf(req), req.params.calendarId as string);

  router.post('/working-calendars/search', async (req, res) => {
    res.json(
      await search(
        s.calendars.searchQuery(req.principal!.tenantIds),
        FIELDS,
        req.body,
        (r) => view(calendarFromSearchRow(r)),
        [
          { column: 'tenant_id', order: 'asc' },
          { column: 'calendar_id', order: 'asc' },
        ],
      ),
    );
  });

  router.post('/working-calendars', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'create working calendars');
    const b = new BodyReader(req.body ?? {});
    const calendarId = b.string('calendarId', { required: true });
    const tenantId = targetTenant(req, b.string('tenantId'));
    b.errors.push(...validateCalendar(definitionOf(b.body)).errors);
    b.done();
    const calendar = await s.calendars.create(tenantId, calendarId!, definitionOf(b.body));
    res.status(201).json(view(calendar));
  });

  router.get('/working-calendars/:calendarId', async (req, res) => {
    res.json(view(await find(req)));
  });

  router.put('/working-calendars/:calendarId', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'change working calendars');
    const tenantId = tenantOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.calendarId !== undefined && body.calendarId !== req.params.calendarId)
      throw badRequest('calendarId cannot be changed', [
        { field: 'calendarId', reason: 'must be the calendarId of the path, or left out' },
      ]);
    if (body.tenantId !== undefined && body.tenantId !== tenantId)
      throw badRequest('tenantId cannot be changed', [
        { field: 'tenantId', reason: 'must be the tenant of the calendar, or left out' },
      ]);
    // The calendar must be visible first: an unknown id is 404 whatever the body says.
    await find(req);
    res.json(view(await s.calendars.replace(tenantId, req.params.calendarId as string, definitionOf(body))));
  });

  router.delete('/working-calendars/:calendarId', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'delete working calendars');
    await s.calendars.delete(tenantOf(req), req.params.calendarId as string);
    res.status(204).end();
  });

  router.post('/working-calendars/:calendarId/due-date', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const duration = b.string('duration', { required: true });
    const fromText = b.string('from');
    const from = fromText === undefined ? undefined : new Date(fromText);
    if (fromText !== undefined && (!DATE_TIME.test(fromText) || Number.isNaN(from!.getTime())))
      b.errors.push({
        field: 'from',
        reason: 'must be an ISO 8601 date-time with an offset, e.g. 2026-10-09T09:00:00+08:00',
      });
    b.done();
    const tenantId = tenantOf(req);
    const result = await s.calendars.dueDate(tenantId, req.params.calendarId as string, duration!, from);
    res.json({
      tenantId,
      calendarId: result.calendar.calendarId,
      from: result.from.toISOString(),
      duration,
      dueDate: result.dueDate.toISOString(),
      workingMs: result.workingMs,
    });
  });

  return router;
}
