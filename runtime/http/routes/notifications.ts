import { randomBytes } from 'node:crypto';
import { type Request, Router } from 'express';
import { requireCapability } from '../../auth/access.js';
import { refusedUrl } from '../../net/allowlist.js';
import { notificationView } from '../../notifications/notification-service.js';
import {
  CHANNELS,
  checkTemplate,
  defaultTemplate,
  preview,
  sampleData,
  LOCALES,
  NOTIFICATION_EVENTS,
  type Locale,
  type NotificationEvent,
} from '../../notifications/templates.js';
import { badRequest, notFound } from '../problem.js';
import { type FieldSpec, search } from '../search.js';
import { type AppServices, BodyReader, pathKey, targetTenant } from '../services.js';

const NOTIFICATION_FIELDS: Record<string, FieldSpec> = {
  notificationKey: { column: 'notification_key', type: 'key' },
  event: { column: 'event' },
  processInstanceKey: { column: 'process_instance_key', type: 'key' },
  userTaskKey: { column: 'user_task_key', type: 'key' },
  createdAt: { column: 'created_at', type: 'date' },
  tenantId: { column: 'tenant_id' },
  read: {
    column: 'read_at',
    filter: (q, v) => {
      if (typeof v !== 'boolean')
        throw badRequest('filter.read must be true or false', [
          { field: 'filter.read', reason: 'must be true or false' },
        ]);
      if (v) q.whereNotNull('read_at');
      else q.whereNull('read_at');
    },
  },
};

const webhookView = (r: any) => ({
  webhookKey: String(r.webhook_key),
  tenantId: r.tenant_id,
  name: r.name,
  url: r.url,
  events: r.events,
  locale: r.locale,
  enabled: r.enabled,
  createdAt: new Date(r.created_at).toISOString(),
});

const deliveryView = (r: any) => ({
  deliveryKey: String(r.delivery_key),
  event: r.event,
  state: r.state,
  attempts: Number(r.attempts),
  lastStatus: r.last_status ?? null,
  lastError: r.last_error ?? null,
  nextAttemptAt: r.state === 'PENDING' ? new Date(r.next_attempt_at).toISOString() : null,
  sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(),
  payload: r.payload,
});

function readEvents(b: BodyReader, field: string): string[] | undefined {
  const events = b.stringArray(field);
  for (const e of events ?? [])
    if (e !== '*' && !(NOTIFICATION_EVENTS as readonly string[]).includes(e))
      b.errors.push({
        field,
        reason: `'${e}' is not an event; expected '*' or ${NOTIFICATION_EVENTS.join(', ')}`,
      });
  return events;
}

/**
 * The caller's in-app notifications (list, unread count, mark read), the tenant's notification
 * templates (administrators override the built-in texts per event, channel and language), and
 * webhooks with their delivery log.
 */
export function notificationRoutes(s: AppServices): Router {
  const router = Router();
  const mine = (req: Request) =>
    s
      .knex('notifications')
      .where({ recipient: req.principal!.username })
      .whereIn('tenant_id', req.principal!.tenantIds);

  router.post('/notifications/search', async (req, res) => {
    res.json(
      await search(mine(req).select('*'), NOTIFICATION_FIELDS, req.body, notificationView, [
        { column: 'notification_key', order: 'desc' },
      ]),
    );
  });

  router.get('/notifications/unread-count', async (req, res) => {
    const row = await mine(req).whereNull('read_at').count({ n: '*' }).first();
    res.json({ count: Number(row?.n ?? 0) });
  });

  router.post('/notifications/:key/read', async (req, res) => {
    const key = pathKey(req.params.key, 'notificationKey');
    const row = await mine(req).where({ notification_key: key }).first('notification_key', 'read_at');
    if (!row) throw notFound(`expected to find notification with key <${key}>, but none was found`);
    if (!row.read_at)
      await s.knex('notifications').where({ notification_key: key }).update({ read_at: new Date() });
    res.status(204).end();
  });

  router.post('/notifications/read-all', async (req, res) => {
    await mine(req).whereNull('read_at').update({ read_at: new Date() });
    res.status(204).end();
  });

  // ---- templates ------------------------------------------------------------------------------

  router.post('/notification-templates/search', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'read notification templates');
    const b = new BodyReader(req.body ?? {});
    const tenantId = targetTenant(req, b.string('tenantId'));
    b.done();
    const overrides = await s.knex('notification_templates').where({ tenant_id: tenantId });
    const items = NOTIFICATION_EVENTS.flatMap((event) =>
      CHANNELS.flatMap((channel) =>
        LOCALES.map((locale) => {
          const o = overrides.find(
            (r: any) => r.event === event && r.channel === channel && r.locale === locale,
          );
          const t = o ?? defaultTemplate(event, locale);
          return { tenantId, event, channel, locale, subject: t.subject, body: t.body, custom: !!o };
        }),
      ),
    );
    res.json({ items, page: { totalItems: items.length } });
  });

  router.post('/notification-templates/preview', async (req, res) => {
    requireCapability(req.principal!, 'deploy', 'preview notification templates');
    const b = new BodyReader(req.body ?? {});
    const event = b.string('event', { required: true });
    const channel = b.string('channel', { required: true });
    const locale = b.string('locale', { required: true });
    const subject = b.string('subject') ?? '';
    const body = b.string('body') ?? '';
    const given = b.body.variables === undefined ? undefined : b.object('variables');
    if (event && !(NOTIFICATION_EVENTS as readonly string[]).includes(event))
      b.errors.push({ field: 'event', reason: `must be one of ${NOTIFICATION_EVENTS.join(', ')}` });
    if (channel && !(CHANNELS as readonly string[]).includes(channel))
      b.errors.push({ field: 'channel', reason: `must be one of ${CHANNELS.join(', ')}` });
    if (locale && !(LOCALES as readonly string[]).includes(locale))
      b.errors.push({ field: 'locale', reason: `must be one of ${LOCALES.join(', ')}` });
    b.done();
    const variables = given ?? sampleData(event as NotificationEvent, locale as Locale);
    const { errors, rendered } = preview({ subject, body }, variables);
    if (!rendered)
      throw badRequest(
        `the template is not valid: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
        errors,
      );
    res.json({ ...rendered, variables });
  });

  const templatePath = (req: Request) => {
    const { event, channel, locale } = req.params as Record<string, string>;
    const errors = [];
    if (!(NOTIFICATION_EVENTS as readonly string[]).includes(event))
      errors.push({ field: 'event', reason: `must be one of ${NOTIFICATION_EVENTS.join(', ')}` });
    if (!(CHANNELS as readonly string[]).includes(channel))
      errors.push({ field: 'channel', reason: `must be one of ${CHANNELS.join(', ')}` });
    if (!(LOCALES as readonly string[]).includes(locale))
      errors.push({ field: 'locale', reason: `must be one of ${LOCALES.join(', ')}` });
    if (errors.length) throw badRequest('no such notification template', errors);
    return { event: event as NotificationEvent, channel, locale: locale as Locale };
  };

  router.put('/notification-templates/:event/:channel/:locale', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'change notification templates');
    const p = templatePath(req);
    const b = new BodyReader(req.body ?? {});
    const subject = b.string('subject', { required: true });
    const body = b.string('body', { required: true });
    const tenantId = targetTenant(req, b.string('tenantId'));
    b.done();
    if (subject!.length > 500) b.errors.push({ field: 'subject', reason: 'must be at most 500 characters' });
    if (body!.length > 20_000) b.errors.push({ field: 'body', reason: 'must be at most 20000 characters' });
    b.errors.push(...checkTemplate('subject', subject!), ...checkTemplate('body', body!));
    if (b.errors.length)
      throw badRequest(
        `the template is not valid: ${b.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
        b.errors,
      );
    const row = {
      tenant_id: tenantId,
      ...p,
      subject,
      body,
      updated_by: req.principal!.username,
      updated_at: new Date(),
    };
    await s
      .knex('notification_templates')
      .insert(row)
      .onConflict(['tenant_id', 'event', 'channel', 'locale'])
      .merge(['subject', 'body', 'updated_by', 'updated_at']);
    s.notifications.forget(tenantId);
    res.json({ tenantId, ...p, subject, body, custom: true });
  });

  router.delete('/notification-templates/:event/:channel/:locale', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'change notification templates');
    const p = templatePath(req);
    const tenantId = targetTenant(req, req.query.tenantId);
    const n = await s
      .knex('notification_templates')
      .where({ tenant_id: tenantId, ...p })
      .delete();
    if (!n) throw notFound(`the tenant has no own template for ${p.event} ${p.channel} ${p.locale}`);
    s.notifications.forget(tenantId);
    res.status(204).end();
  });

  // ---- webhooks -------------------------------------------------------------------------------

  const findWebhook = async (req: Request) => {
    const key = pathKey(req.params.key as string, 'webhookKey');
    const row = await s
      .knex('webhooks')
      .where({ webhook_key: key })
      .whereIn('tenant_id', req.principal!.tenantIds)
      .first();
    if (!row) throw notFound(`expected to find webhook with key <${key}>, but none was found`);
    return row;
  };

  /** The language of a webhook's texts: one of the notification locales. */
  const readLocale = (b: BodyReader): string | undefined => {
    const locale = b.string('locale');
    if (locale !== undefined && !(LOCALES as readonly string[]).includes(locale))
      b.errors.push({ field: 'locale', reason: `must be one of ${LOCALES.join(', ')}` });
    return locale;
  };

  router.post('/webhooks', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'create webhooks');
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    const url = b.string('url', { required: true });
    const events = readEvents(b, 'events') ?? ['*'];
    const locale = readLocale(b) ?? 'zh-CN';
    const tenantId = targetTenant(req, b.string('tenantId'));
    if (url) {
      const refused = refusedUrl(url, s.httpAllowedHosts);
      if (refused) b.errors.push({ field: 'url', reason: refused });
    }
    b.done();
    const secret = randomBytes(32).toString('base64url');
    const [row] = await s
      .knex('webhooks')
      .insert({
        webhook_key: s.nextKey(),
        tenant_id: tenantId,
        name,
        url,
        secret,
        events,
        locale,
        enabled: true,
      })
      .returning('*');
    s.notifications.forget(tenantId);
    // The secret is shown once: the receiver needs it to check the X-Lifeflow-Signature header.
    res.status(201).json({ ...webhookView(row), secret });
  });

  router.post('/webhooks/search', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'read webhooks');
    res.json(
      await search(
        s.knex('webhooks').whereIn('tenant_id', req.principal!.tenantIds).select('*'),
        {
          name: { column: 'name' },
          enabled: { column: 'enabled', type: 'boolean' },
          tenantId: { column: 'tenant_id' },
        },
        req.body,
        webhookView,
        [{ column: 'webhook_key', order: 'asc' }],
      ),
    );
  });

  router.get('/webhooks/:key', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'read webhooks');
    res.json(webhookView(await findWebhook(req)));
  });

  router.put('/webhooks/:key', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'change webhooks');
    const row = await findWebhook(req);
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name');
    const url = b.string('url');
    const events = readEvents(b, 'events');
    const enabled = b.boolean('enabled');
    const locale = readLocale(b);
    if (name === '') b.errors.push({ field: 'name', reason: 'must not be empty' });
    if (url !== undefined) {
      const refused = refusedUrl(url, s.httpAllowedHosts);
      if (refused) b.errors.push({ field: 'url', reason: refused });
    }
    b.done();
    const [updated] = await s
      .knex('webhooks')
      .where({ webhook_key: row.webhook_key })
      .update({
        ...(name !== undefined ? { name } : {}),
        ...(url !== undefined ? { url } : {}),
        ...(events !== undefined ? { events } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
        ...(locale !== undefined ? { locale } : {}),
      })
      .returning('*');
    s.notifications.forget(row.tenant_id);
    res.json(webhookView(updated));
  });

  router.delete('/webhooks/:key', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'delete webhooks');
    const row = await findWebhook(req);
    await s.knex('webhooks').where({ webhook_key: row.webhook_key }).delete();
    s.notifications.forget(row.tenant_id);
    res.status(204).end();
  });

  router.post('/webhooks/:key/deliveries/search', async (req, res) => {
    requireCapability(req.principal!, 'manage-identity', 'read webhook deliveries');
    const row = await findWebhook(req);
    res.json(
      await search(
        s
          .knex('notification_deliveries')
          .where({ channel: 'WEBHOOK', target: String(row.webhook_key), tenant_id: row.tenant_id })
          .select('*'),
        { state: { column: 'state' }, event: { column: 'event' } },
        req.body,
        deliveryView,
        [{ column: 'delivery_key', order: 'desc' }],
      ),
    );
  });

  return router;
}
