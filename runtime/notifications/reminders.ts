import type { Knex } from 'knex';
import { log } from '../logging/logger.js';
import type { NotificationService } from './notification-service.js';

/**
 * Tells people about tasks that are due soon or overdue, once per task and kind: a task due within
 * `dueSoonMs` gets TASK_DUE_SOON, a task past its due date TASK_OVERDUE, sent to its assignee or,
 * while unassigned, to its candidates. The reminder row and the notifications are written in one
 * transaction, so several nodes never remind twice.
 */
export class ReminderWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly notifications: NotificationService,
    private readonly clock: () => Date,
    private readonly dueSoonMs = 24 * 3600_000,
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.runDue()
        .catch((err) => log.error('task reminders failed', { err }))
        .finally(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Sends the reminders due now; returns how many tasks were reminded about. */
  async runDue(limit = 200): Promise<number> {
    const now = this.clock();
    const soon = new Date(now.getTime() + this.dueSoonMs);
    return this.knex.transaction(async (trx) => {
      const due = await trx('user_tasks as ut')
        .leftJoin('process_definitions as d', 'd.process_definition_key', 'ut.process_definition_key')
        .leftJoin('process_instances as pi', 'pi.process_instance_key', 'ut.process_instance_key')
        .where('ut.state', 'CREATED')
        .whereNotNull('ut.due_date')
        .where('ut.due_date', '<=', soon)
        .select(
          'ut.*',
          'd.name as process_name',
          'pi.business_key',
          trx.raw(`case when ut.due_date <= ? then 'OVERDUE' else 'DUE_SOON' end as kind`, [now]),
        )
        .whereNotExists((q) =>
          q
            .select(trx.raw('1'))
            .from('task_reminders as r')
            .whereRaw('r.user_task_key = ut.user_task_key')
            .whereRaw(`r.kind = case when ut.due_date <= ? then 'OVERDUE' else 'DUE_SOON' end`, [now]),
        )
        .orderBy('ut.due_date')
        .limit(limit)
        .forUpdate('ut')
        .skipLocked();
      let sent = 0;
      for (const task of due) {
        const inserted = await trx('task_reminders')
          .insert({ user_task_key: task.user_task_key, kind: task.kind, sent_at: now })
          .onConflict(['user_task_key', 'kind'])
          .ignore()
          .returning('user_task_key');
        if (!inserted.length) continue;
        sent++;
        await this.notifications.notify(trx, [
          {
            tenantId: task.tenant_id,
            event: task.kind === 'OVERDUE' ? 'TASK_OVERDUE' : 'TASK_DUE_SOON',
            users: task.assignee ? [task.assignee] : task.candidate_users,
            groups: task.assignee ? [] : task.candidate_groups,
            data: {
              taskName: task.name ?? task.element_id,
              taskKey: String(task.user_task_key),
              processName: task.process_name ?? task.process_definition_id,
              processDefinitionId: task.process_definition_id,
              processInstanceKey: String(task.process_instance_key),
              businessKey: task.business_key ?? '',
              assignee: task.assignee ?? '',
              dueDate: new Date(task.due_date).toISOString(),
            },
            processInstanceKey: String(task.process_instance_key),
            userTaskKey: String(task.user_task_key),
          },
        ]);
      }
      return sent;
    });
  }
}
