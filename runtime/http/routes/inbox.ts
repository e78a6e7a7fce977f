import { type Request, Router } from 'express';
import { countInbox, type InboxCaller, readInboxSearch, searchInbox } from '../inbox-query.js';
import type { AppServices } from '../services.js';

/**
 * Lifeflow: the approver's inbox. `GET /v2/inbox/counts` counts the tabs in one query;
 * `POST /v2/inbox/search` lists one tab (待办 todo, 待认领 unclaimed, 已办 done, 我发起的 started,
 * 抄送我的 cc, overdue), filtered, sorted and paged, with the counts of all tabs under the same
 * process and text filters. Both read the tab definitions in inbox-query.ts, so a tab lists exactly
 * what its count counts.
 */
export function inboxRoutes(s: AppServices): Router {
  const router = Router();
  const callerOf = (req: Request): InboxCaller => {
    const p = req.principal!;
    return { username: p.username, tenantIds: p.tenantIds, groups: p.groups };
  };

  router.get('/inbox/counts', async (req, res) => {
    const c = await countInbox(s.knex, callerOf(req));
    res.json({
      todo: c.todo,
      overdue: c.overdue,
      unclaimed: c.unclaimed,
      done: c.done,
      started: c.started,
      startedActive: c.startedActive,
      cc: c.cc,
      ccUnread: c.ccUnread,
      unreadNotifications: c.unreadNotifications,
    });
  });

  router.post('/inbox/search', async (req, res) => {
    const q = readInboxSearch(req.body);
    const caller = callerOf(req);
    // One clock for the page and the counts: "overdue" means the same in both.
    const now = new Date();
    const [page, c] = await Promise.all([
      searchInbox(s.knex, caller, q, now),
      countInbox(s.knex, caller, q.scope, now),
    ]);
    res.json({
      items: page.items,
      page: { totalItems: page.totalItems, from: q.from, limit: q.limit },
      counts: {
        todo: c.todo,
        unclaimed: c.unclaimed,
        done: c.done,
        started: c.started,
        cc: c.cc,
        ccUnread: c.ccUnread,
        overdue: c.overdue,
      },
    });
  });
  return router;
}
