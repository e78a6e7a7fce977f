import type { Knex } from 'knex';
import type { CompiledProcess, EngineEvent, InstanceState, UserTaskRecord } from '../../engine/index.js';
import { loadOverrides, type NotificationEvent, render, type TemplateOverrides } from './templates.js';

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
const CACHE_MS = 5_000;

/**
 * Turns what happened into notification rows, in the transaction of the change (the outbox): one
 * in-app row per recipient in their language, an email delivery per recipient with an address
 * (when mail is configured), and one webhook delivery per subscribed webhook of the tenant. The
 * rows announce themselves with NOTIFY, which PostgreSQL sends only when the transaction commits,
 * so live pushes never tell of anything that was rolled back.
 */
export class NotificationService {
  /**
   * Per tenant: its template overrides and webhooks, kept for a few seconds so a busy tenant does
   * not query them on every command. Changes through the API forget them at once on this node;
   * other nodes see them within `CACHE_MS`.
   */
  private readonly tenants = new Map<
    string,
    {
      until: number;
      overrides: TemplateOverrides;
      hooks: Array<{ key: string; events: string[]; locale: string }>;
    }
  >();

  /** Forgets a tenant's cached templates and webhooks (after they changed). */
  forget(tenantId: string): void {
    this.tenants.delete(tenantId);
  }

  private async tenant(db: Knex, tenantId: string) {
    const hit = this.tenants.get(tenantId);
    if (hit && hit.until > Date.now()) return hit;
    const [overrides, hooks] = [
      await loadOverrides(db, tenantId),
      await db('webhooks')
        .where({ tenant_id: tenantId, enabled: true })
        .select('webhook_key', 'events', 'locale'),
    ];
    const entry = {
      until: Date.now() + CACHE_MS,
      overrides,
      hooks: hooks.map((h: any) => ({
        key: String(h.webhook_key),
        events: h.events as string[],
        locale: h.locale as string,
      })),
    };
    if (this.tenants.size > 10_000) this.tenants.clear();
    this.tenants.set(tenantId, entry);
    return entry;
  }

  constructor(
    private readonly nextKey: () => string,
    private readonly clock: () => Date,
    private readonly emailEnabled: () => boolean,
    /** Dates in texts are shown in this time zone (the platform's; default China Standard Time). */
    private readonly timeZone = 'Asia/Shanghai',
  ) {}

  /** The values a template sees: dates written for a reader of that language, in the time zone. */
  private forReader(data: Record<string, unknown>, locale: string): Record<string, unknown> {
    const due = data.dueDate;
    if (typeof due !== 'string' || !due || Number.isNaN(Date.parse(due))) return data;
    const format = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: this.timeZone,
    });
    return { ...data, dueDate: format.format(new Date(due)) };
  }

  /** The engine's write hook: notices for the events of one command. */
  async fromEngine(
    trx: Knex.Transaction,
    state: InstanceState,
    events: EngineEvent[],
    process: CompiledProcess,
    actor: string | null,
  ): Promise<void> {
    const i = state.instance;
    const processName = process.name ?? process.id;
    // An instance that ends at an end event marked <lf:outcome value="rejected"/> was turned down.
    // So does one an approval rejected with onReject="end".
    const rejected = events.some(
      (e) =>
        (e.type === 'approval.completed' && e.endsProcess) ||
        (e.type === 'element.completed' &&
          e.elementId &&
          process.nodes.get(e.elementId)?.outcome === 'rejected'),
    );
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
          data: { ...taskData({ ...task, assignee: e.assignee }), message: e.comment ?? '' },
          processInstanceKey: i.processInstanceKey,
          userTaskKey: task.userTaskKey,
        });
      } else if (e.type === 'task.reminded') {
        // lf:timeout: the assignee (or, while unassigned, the candidates) hear again.
        const task = state.userTasks.get(e.userTaskKey);
        if (!task) continue;
        notices.push({
          tenantId: i.tenantId,
          event: 'TASK_REMINDER',
          users: task.assignee ? [task.assignee] : task.candidateUsers,
          groups: task.assignee ? [] : task.candidateGroups,
          data: taskData(task),
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
          event:
            e.type === 'instance.terminated'
              ? 'INSTANCE_CANCELED'
              : rejected
                ? 'INSTANCE_REJECTED'
                : 'INSTANCE_COMPLETED',
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
    const rows = await db
      .raw(
        `select u.username, u.email, u.locale, u.name from users u
        where u.enabled
          and (u.username = any(${TEXT_ARRAY})
               or u.username in (select member_id from memberships where container_type = 'GROUP' and member_type = 'USER' and container_id = any(${TEXT_ARRAY})))
          and (u.username in (select member_id from memberships where container_type = 'TENANT' and container_id = ? and member_type = 'USER')
               or u.username in (select m.member_id from memberships m join memberships t on t.container_type = 'TENANT' and t.container_id = ? and t.member_type = 'GROUP' and t.member_id = m.container_id
                                 where m.container_type = 'GROUP' and m.member_type = 'USER'))
        order by u.username limit ${MAX_RECIPIENTS}`,
        [JSON.stringify(n.users ?? []), JSON.stringify(n.groups ?? []), n.tenantId, n.tenantId],
      )
      .options({ name: 'lf_notification_recipients' });
    return (
      rows.rows as Array<{ username: string; email: string | null; locale: string; name: string }>
    ).filter((u) => u.username !== n.except);
  }

  /** Writes notifications and their deliveries in the caller's transaction. */
  async notify(trx: Knex.Transaction, notices: Notice[]): Promise<string[]> {
    const now = this.clock();
    const rows: any[] = [];
    const deliveries: any[] = [];
    for (const n of notices) {
      // Nobody to tell (the only recipient caused it): no query at all.
      if (!n.groups?.length && (n.users ?? []).every((u) => u === n.except)) continue;
      const { overrides, hooks: allHooks } = await this.tenant(trx, n.tenantId);
      const told: string[] = [];
      for (const u of await this.recipients(trx, n)) {
        told.push(u.username);
        const data = { ...n.data, recipientName: u.name };
        const shown = this.forReader(data, u.locale);
        const inApp = render(overrides, n.event, 'IN_APP', u.locale, shown);
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
          const mail = render(overrides, n.event, 'EMAIL', u.locale, shown);
          deliveries.push(
            this.delivery(n, key, 'EMAIL', u.email, { subject: mail.subject, html: mail.body }, now),
          );
        }
      }
      const hooks = allHooks.filter((h) => h.events.includes(n.event) || h.events.includes('*'));
      // Chat bots (企业微信, 钉钉, Feishu) show text: the payload carries it, from the WEBHOOK
      // template in the webhook's language (rendered once per language).
      const texts = new Map<string, { subject: string; body: string }>();
      const textIn = (locale: string) => {
        let text = texts.get(locale);
        if (!text) {
          text = render(overrides, n.event, 'WEBHOOK', locale, this.forReader(n.data, locale));
          texts.set(locale, text);
        }
        return text;
      };
      for (const h of hooks) {
        const text = textIn(h.locale);
        const payload = {
          title: text.subject,
          text: text.body,
          event: n.event,
          tenantId: n.tenantId,
          occurredAt: now.toISOString(),
          processInstanceKey: n.processInstanceKey ?? null,
          userTaskKey: n.userTaskKey ?? null,
          recipients: told,
          data: n.data,
        };
        deliveries.push(this.delivery(n, null, 'WEBHOOK', h.key, payload, now));
      }
    }
    // One statement: the rows, the deliveries and their NOTIFYs (sent by PostgreSQL on commit).
    // NOTIFY entries are [key, tenant, recipient], so a node with no socket for the recipient need
    // not load the row; payloads are limited to 8000 bytes, hence the chunks.
    const parts: string[] = [];
    const bindings: unknown[] = [];
    if (rows.length) {
      parts.push('ins_n as (?)');
      bindings.push(trx('notifications').insert(rows));
    }
    if (deliveries.length) {
      parts.push('ins_d as (?)');
      bindings.push(trx('notification_deliveries').insert(deliveries));
    }
    if (parts.length) {
      const notices: string[] = [];
      for (let i = 0; i < rows.length; i += 25) {
        notices.push('pg_notify(?, ?)');
        const entries = rows.slice(i, i + 25).map((r) => [r.notification_key, r.tenant_id, r.recipient]);
        bindings.push(NOTIFICATIONS_CHANNEL, JSON.stringify(entries));
      }
      if (deliveries.length) {
        notices.push('pg_notify(?, ?)');
        bindings.push(DELIVERIES_CHANNEL, '');
      }
      await trx.raw(`with ${parts.join(', ')} select ${notices.join(', ')}`, bindings as Knex.RawBinding[]);
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
