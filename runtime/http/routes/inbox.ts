import { Router } from 'express';
import type { AppServices } from '../services.js';

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
    // Named bindings: every count is for the same caller and tenants.
    const tenantsIn = 'tenant_id = any(array(select jsonb_array_elements_text(cast(:tenants as jsonb))))';
    const result = await s.knex.raw(
      `select
         (select count(*) from user_tasks where ${tenantsIn} and state = 'CREATED' and assignee = :me) as todo,
         (select count(*) from user_tasks where ${tenantsIn} and state = 'CREATED' and assignee = :me and due_date < :now) as overdue,
         (select count(*) from user_tasks where ${tenantsIn} and state = 'CREATED' and assignee is null
            and (:me = any(candidate_users) or candidate_groups && array(select jsonb_array_elements_text(cast(:groups as jsonb))))) as unclaimed,
         (select count(*) from user_tasks where ${tenantsIn} and state = 'COMPLETED' and assignee = :me) as done,
         (select count(*) from process_instances where ${tenantsIn} and initiator = :me) as started,
         (select count(*) from process_instances where ${tenantsIn} and initiator = :me and state = 'ACTIVE') as started_active,
         (select count(*) from notifications where ${tenantsIn} and recipient = :me and event = 'CC') as cc,
         (select count(*) from notifications where ${tenantsIn} and recipient = :me and event = 'CC' and read_at is null) as cc_unread,
         (select count(*) from notifications where ${tenantsIn} and recipient = :me and read_at is null) as unread_notifications`,
      {
        tenants: JSON.stringify(p.tenantIds),
        me: p.username,
        now: new Date(),
        groups: JSON.stringify(p.groups),
      },
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
