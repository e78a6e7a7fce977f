import { Router } from 'express';
import type { AppServices } from '../services.js';

const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';

/**
 * Lifeflow: the counts of the inbox tabs, in one query. The tabs themselves are searches the API
 * already has: 待办 `POST /v2/user-tasks/search` {state: CREATED, assignee: me}; 待认领 {state:
 * CREATED, assignee: {$exists: false}, candidateGroup: {$in: my groups}}; 已办 {state: COMPLETED,
 * assignee: me}; 我发起的 `POST /v2/process-instances/search` {initiator: me}; 抄送我的
 * `POST /v2/notifications/search` {event: CC}.
 */
export function inboxRoutes(s: AppServices): Router {
  const router = Router();
  router.get('/inbox/counts', async (req, res) => {
    const p = req.principal!;
    const tenants = JSON.stringify(p.tenantIds);
    const now = new Date();
    const result = await s.knex.raw(
      `select
         (select count(*) from user_tasks where tenant_id = any(${TEXT_ARRAY}) and state = 'CREATED' and assignee = ?) as todo,
         (select count(*) from user_tasks where tenant_id = any(${TEXT_ARRAY}) and state = 'CREATED' and assignee = ? and due_date < ?) as overdue,
         (select count(*) from user_tasks where tenant_id = any(${TEXT_ARRAY}) and state = 'CREATED' and assignee is null
            and (? = any(candidate_users) or candidate_groups && ${TEXT_ARRAY})) as unclaimed,
         (select count(*) from user_tasks where tenant_id = any(${TEXT_ARRAY}) and state = 'COMPLETED' and assignee = ?) as done,
         (select count(*) from process_instances where tenant_id = any(${TEXT_ARRAY}) and initiator = ?) as started,
         (select count(*) from process_instances where tenant_id = any(${TEXT_ARRAY}) and initiator = ? and state = 'ACTIVE') as started_active,
         (select count(*) from notifications where tenant_id = any(${TEXT_ARRAY}) and recipient = ? and event = 'CC') as cc,
         (select count(*) from notifications where tenant_id = any(${TEXT_ARRAY}) and recipient = ? and event = 'CC' and read_at is null) as cc_unread,
         (select count(*) from notifications where tenant_id = any(${TEXT_ARRAY}) and recipient = ? and read_at is null) as unread_notifications`,
      [
        tenants,
        p.username,
        tenants,
        p.username,
        now,
        tenants,
        p.username,
        JSON.stringify(p.groups),
        tenants,
        p.username,
        tenants,
        p.username,
        tenants,
        p.username,
        tenants,
        p.username,
        tenants,
        p.username,
        tenants,
        p.username,
      ],
    );
    const r = result.rows[0];
    res.json({
      todo: Number(r.todo),
      overdue: Number(r.overdue),
      unclaimed: Number(r.unclaimed),
      done: Number(r.done),
      started: Number(r.started),
      startedActive: Number(r.started_active),
      cc: Number(r.cc),
      ccUnread: Number(r.cc_unread),
      unreadNotifications: Number(r.unread_notifications),
    });
  });
  return router;
}
