import type { Knex } from 'knex';
import type { EngineEvent, InstanceState, UserTaskRecord } from '../../engine/index.js';
import { TemplateRenderer, type NotificationEvent } from './templates.js';

/** Channel of the NOTIFY sent (on commit) for every batch of new notifications. */
export const NOTIFICATIONS_CHANNEL = 'lifeflow_notifications';
/** Channel of the NOTIFY that wakes delivery workers. */
export const DELIVERIES_CHANNEL = 'lifeflow_deliveries';

export interface NotificationView {
  notificationKey: string;
  tenantId: string;
  recipient: string;
  event: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  processInstanceKey: string | null;
  userTaskKey: string | null;
  createdAt: string;
  readAt: string | null;
}

export function notificationView(r: any): NotificationView {
  return {
    notificationKey: String(r.notification_key),
    tenantId: r.tenant_id,
    recipient: r.recipient,
    event: r.event,
    title: r.title,
    body: r.body,
    data: r.data,
    processInstanceKey: r.process_instance_key ? String(r.process_instance_key) : null,
    userTaskKey: r.user_task_key ? String(r.user_task_key) : null,
    createdAt: new Date(r.created_at).toISOString(),
    readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
  };
}

/** Something to tell people, before it is rendered per recipient. */
export interface Notice {
  tenantId: string;
  event: NotificationEvent;
  /** Usernames; groups are expanded to their enabled members of the tenant. */
  users?: string[];
  groups?: string[];
  /** Never tell the person who caused it. */
  except?: string | null;
  data: Record<string, unknown>;
  processInstanceKey?: string | null;
  userTaskKey?: string | null;
}

const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';
const MAX_RECIPIENTS = 500;

/**
 * Turns what happened into notification rows, in the transaction of the change (the outbox): one
 * in-app row per recipient in their language, an email delivery per recipient with an address
 * (when mail is configured), and one webhook delivery per subscribed webhook of the tenant. The
 * rows announce themselves with NOTIFY, which PostgreSQL sends only when the transaction commits,
 * so live pushes never tell of anything that was rolled back.
 */
export class NotificationService {
  constructor(
    private readonly nextKey: () => string,
    private readonly clock: () => Date,
    private readonly emailEnabled: () => boolean,
  ) {}

  /** The engine's write hook: notices for the events of one command. */
  async fromEngine(
    trx: Knex.Transaction,
    state: InstanceState,
    events: EngineEvent[],
    processName: string,
    actor: string | null,
  ): Promise<void> {
    const i = state.instance;
    const base = {
      processName,
      processDefinitionId: i.processDefinitionId,
      processInstanceKey: i.processInstanceKey,
      businessKey: i.businessKey ?? '',
      actor: actor ?? '',
    };
    const taskData = (task: UserTaskRecord) => ({
      ...base,
      taskName: task.name ?? task.elementId,
      taskKey: task.userTaskKey,
      assignee: task.assignee ?? '',
      dueDate: task.dueDate ?? '',
    });
    const notices: Notice[] = [];
    for (const e of events) {
      if (e.type === 'task.created') {
        const task = e.task;
        if (task.assignee) {
          notices.push({
            tenantId: i.tenantId,
            event: 'TASK_ASSIGNED',
            users: [task.assignee],
            except: actor,
            data: taskData(task),
            processInstanceKey: i.processInstanceKey,
            userTaskKey: task.userTaskKey,
          });
        } else if (task.candidateUsers.length || task.candidateGroups.length) {
          notices.push({
            tenantId: i.tenantId,
            event: 'TASK_CREATED',
            users: task.candidateUsers,
            groups: task.candidateGroups,
            except: actor,
            data: taskData(task),
            processInstanceKey: i.processInstanceKey,
            userTaskKey: task.userTaskKey,
          });
        }
      } else if (e.type === 'task.assigned' && e.assignee) {
        const task = state.userTasks.get(e.userTaskKey);
        if (!task) continue;
        notices.push({
          tenantId: i.tenantId,
          event: 'TASK_ASSIGNED',
          users: [e.assignee],
          except: actor,
          data: taskData({ ...task, assignee: e.assignee }),
          processInstanceKey: i.processInstanceKey,
          userTaskKey: task.userTaskKey,
        });
      } else if (
        (e.type === 'instance.completed' || e.type === 'instance.terminated') &&
        e.processInstanceKey === i.processInstanceKey &&
        !i.parentProcessInstanceKey &&
        i.initiator
      ) {
        notices.push({
          tenantId: i.tenantId,
          event: e.type === 'instance.completed' ? 'INSTANCE_COMPLETED' : 'INSTANCE_CANCELED',
          users: [i.initiator],
          except: actor,
          data: base,
          processInstanceKey: i.processInstanceKey,
        });
      } else if (e.type === 'incident.created') {
        // Process owners of the tenant look after incidents.
        const owners = await this.roleMembers(trx, i.tenantId, 'owner');
        notices.push({
          tenantId: i.tenantId,
          event: 'INCIDENT_CREATED',
          users: owners,
          data: { ...base, errorMessage: e.incident.errorMessage },
          processInstanceKey: i.processInstanceKey,
        });
      }
    }
    if (notices.length) await this.notify(trx, notices);
  }

  /** Enabled users of the tenant who hold a role (directly or through a group). */
  private async roleMembers(db: Knex, tenantId: string, roleId: string): Promise<string[]> {
    const rows = await db.raw(
      `select distinct u.username from users u
        where u.enabled
          and (u.username in (select member_id from memberships where container_type = 'ROLE' and container_id = ? and member_type = 'USER')
               or u.username in (select m.member_id from memberships m join memberships r on r.container_type = 'ROLE' and r.container_id = ? and r.member_type = 'GROUP' and r.member_id = m.container_id
                                 where m.container_type = 'GROUP' and m.member_type = 'USER'))
          and (u.username in (select member_id from memberships where container_type = 'TENANT' and container_id = ? and member_type = 'USER')
               or u.username in (select m.member_id from memberships m join memberships t on t.container_type = 'TENANT' and t.container_id = ? and t.member_type = 'GROUP' and t.member_id = m.container_id
                                 where m.container_type = 'GROUP' and m.member_type = 'USER'))
        order by u.username limit ${MAX_RECIPIENTS}`,
      [roleId, roleId, tenantId, tenantId],
    );
    return rows.rows.map((r: any) => r.username as string);
  }

  /** Enabled users of the tenant among these usernames and the members of these groups. */
  private async recipients(db: Knex, n: Notice) {
    const rows = await db.raw(
      `select u.username, u.email, u.locale, u.name from users u
        where u.enabled
          and (u.username = any(${TEXT_ARRAY})
               or u.username in (select member_id from memberships where container_type = 'GROUP' and member_type = 'USER' and container_id = any(${TEXT_ARRAY})))
          and (u.username in (select member_id from memberships where container_type = 'TENANT' and container_id = ? and member_type = 'USER')
               or u.username in (select m.member_id from memberships m join memberships t on t.container_type = 'TENANT' and t.container_id = ? and t.member_type = 'GROUP' and t.member_id = m.container_id
                                 where m.container_type = 'GROUP' and m.member_type = 'USER'))
        order by u.username limit ${MAX_RECIPIENTS}`,
      [JSON.stringify(n.users ?? []), JSON.stringify(n.groups ?? []), n.tenantId, n.tenantId],
    );
    return (
      rows.rows as Array<{ username: string; email: string | null; locale: string; name: string }>
    ).filter((u) => u.username !== n.except);
  }

  /** Writes notifications and their deliveries in the caller's transaction. */
  async notify(trx: Knex.Transaction, notices: Notice[]): Promise<string[]> {
    const now = this.clock();
    const renderer = new TemplateRenderer(trx);
    const rows: any[] = [];
    const deliveries: any[] = [];
    for (const n of notices) {
      const told: string[] = [];
      for (const u of await this.recipients(trx, n)) {
        told.push(u.username);
        const data = { ...n.data, recipientName: u.name };
        const inApp = await renderer.render(n.tenantId, n.event, 'IN_APP', u.locale, data);
        const key = this.nextKey();
        rows.push({
          notification_key: key,
          tenant_id: n.tenantId,
          recipient: u.username,
          event: n.event,
          data: JSON.stringify(data),
          title: inApp.subject,
          body: inApp.body,
          process_instance_key: n.processInstanceKey ?? null,
          user_task_key: n.userTaskKey ?? null,
          created_at: now,
        });
        if (u.email && this.emailEnabled()) {
          const mail = await renderer.render(n.tenantId, n.event, 'EMAIL', u.locale, data);
          deliveries.push(
            this.delivery(n, key, 'EMAIL', u.email, { subject: mail.subject, html: mail.body }, now),
          );
        }
      }
      const hooks = await trx('webhooks')
        .where({ tenant_id: n.tenantId, enabled: true })
        .whereRaw(`(? = any(events) or '*' = any(events))`, [n.event])
        .select('webhook_key');
      // Chat bots (企业微信, 钉钉, Feishu) show text: the payload carries it, from the WEBHOOK template.
      const text = hooks.length
        ? await renderer.render(n.tenantId, n.event, 'WEBHOOK', 'zh-CN', n.data)
        : null;
      for (const h of hooks) {
        const payload = {
          title: text?.subject,
          text: text?.body,
          event: n.event,
          tenantId: n.tenantId,
          occurredAt: now.toISOString(),
          processInstanceKey: n.processInstanceKey ?? null,
          userTaskKey: n.userTaskKey ?? null,
          recipients: told,
          data: n.data,
        };
        deliveries.push(this.delivery(n, null, 'WEBHOOK', String(h.webhook_key), payload, now));
      }
    }
    if (rows.length) {
      await trx('notifications').insert(rows);
      // NOTIFY payloads are limited to 8000 bytes: announce the keys in chunks.
      for (let i = 0; i < rows.length; i += 200) {
        const keys = rows.slice(i, i + 200).map((r) => r.notification_key as string);
        await trx.raw('select pg_notify(?, ?)', [NOTIFICATIONS_CHANNEL, JSON.stringify(keys)]);
      }
    }
    if (deliveries.length) {
      await trx('notification_deliveries').insert(deliveries);
      await trx.raw('select pg_notify(?, ?)', [DELIVERIES_CHANNEL, '']);
    }
    return rows.map((r) => r.notification_key as string);
  }

  private delivery(
    n: Notice,
    notificationKey: string | null,
    channel: 'EMAIL' | 'WEBHOOK',
    target: string,
    payload: unknown,
    now: Date,
  ) {
    return {
      delivery_key: this.nextKey(),
      tenant_id: n.tenantId,
      notification_key: notificationKey,
      channel,
      target,
      event: n.event,
      payload: JSON.stringify(payload),
      state: 'PENDING',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
    };
  }
}
