import type { Knex } from 'knex';
import { can, findReadableInstance, requireCapability, type Subject } from '../auth/access.js';
import { badRequest, conflict, forbidden, Problem } from '../http/problem.js';
import type { NotificationService } from '../notifications/notification-service.js';
import type { DefinitionService } from './definitions.js';
import type { Actor, EngineService } from './engine-service.js';

/** One 催办 per instance within this long. */
export const URGE_INTERVAL_MS = 10 * 60_000;

const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';

/**
 * Operations on a whole instance that approvers and initiators expect: 抄送 (carbon copy: the
 * copied people are told and may read the instance), 催办 (urge whoever holds the open tasks,
 * rate limited), 撤回 (the initiator withdraws while nobody has acted yet). Each leaves an entry in
 * the instance's history, written in the same transaction as its effect.
 */
export class InstanceOps {
  constructor(
    private readonly knex: Knex,
    private readonly engine: EngineService,
    private readonly definitions: DefinitionService,
    private readonly notifications: NotificationService,
    private readonly clock: () => Date,
  ) {}

  /** The instance, if the subject may read it (else 404: no existence leak). */
  private readable(db: Knex, subject: Subject, key: string) {
    return findReadableInstance(db, subject, key);
  }

  private async processName(db: Knex, row: any): Promise<string> {
    const process = await this.definitions.getCompiled(String(row.process_definition_key), db);
    return process.name ?? process.id;
  }

  private async history(
    trx: Knex,
    row: any,
    command: string,
    actor: string | null,
    event: Record<string, unknown>,
  ) {
    await trx('history_events').insert({
      tenant_id: row.tenant_id,
      process_instance_key: row.process_instance_key,
      command,
      actor,
      events: JSON.stringify([event]),
      created_at: this.clock(),
    });
  }

  /** 抄送: tell users and groups of the tenant about an instance; they may then read it. */
  async carbonCopy(
    key: string,
    to: { users: string[]; groups: string[]; comment: string | null },
    actor: Actor,
  ): Promise<{ notified: number }> {
    if (!to.users.length && !to.groups.length)
      throw badRequest('name whom to copy', [
        { field: 'users', reason: 'users or groups must name someone' },
      ]);
    requireCapability(actor, 'work-tasks', 'copy instances to others');
    return this.knex.transaction(async (trx) => {
      // Whoever may read the instance may copy it (an approver to a colleague, the initiator to a boss).
      const row = await this.readable(trx, actor, key);
      const known = await trx.raw(
        `select u.username from users u where u.username = any(${TEXT_ARRAY}) and u.enabled and (
           u.username in (select member_id from memberships where container_type = 'TENANT' and container_id = ? and member_type = 'USER')
           or u.username in (select m.member_id from memberships m join memberships t on t.container_type = 'TENANT' and t.container_id = ? and t.member_type = 'GROUP' and t.member_id = m.container_id where m.container_type = 'GROUP' and m.member_type = 'USER'))`,
        [JSON.stringify(to.users), row.tenant_id, row.tenant_id],
      );
      const found = new Set((known.rows as Array<{ username: string }>).map((r) => r.username));
      const unknownUsers = to.users.filter((u) => !found.has(u));
      const groups = await trx.raw(
        `select member_id from memberships where container_type = 'TENANT' and container_id = ? and member_type = 'GROUP' and member_id = any(${TEXT_ARRAY})`,
        [row.tenant_id, JSON.stringify(to.groups)],
      );
      const foundGroups = new Set((groups.rows as Array<{ member_id: string }>).map((r) => r.member_id));
      const unknownGroups = to.groups.filter((g) => !foundGroups.has(g));
      if (unknownUsers.length || unknownGroups.length)
        throw badRequest('some of those to copy are not users or groups of the tenant', [
          ...unknownUsers.map((u) => ({ field: 'users', reason: `<${u}> is not a user of the tenant` })),
          ...unknownGroups.map((g) => ({ field: 'groups', reason: `<${g}> is not a group of the tenant` })),
        ]);
      const keys = await this.notifications.notify(trx, [
        {
          tenantId: row.tenant_id,
          event: 'CC',
          users: to.users,
          groups: to.groups,
          except: actor.username,
          data: {
            processName: await this.processName(trx, row),
            processDefinitionId: row.process_definition_id,
            processInstanceKey: String(row.process_instance_key),
            businessKey: row.business_key ?? '',
            actor: actor.username ?? '',
            message: to.comment ?? '',
          },
          processInstanceKey: String(row.process_instance_key),
        },
      ]);
      await this.history(trx, row, 'instance.cc', actor.username, {
        type: 'instance.copied',
        users: to.users,
        groups: to.groups,
        comment: to.comment,
      });
      return { notified: keys.length };
    });
  }

  /**
   * 催办: the initiator (or an administrator or process owner) reminds whoever holds the open tasks
   * of the instance — or of one of its open tasks (`userTaskKey`): the assignee, or the candidates
   * of an unassigned task. Once per instance per ten minutes, whichever task was urged.
   */
  async urge(
    key: string,
    comment: string | null,
    actor: Actor,
    userTaskKey?: string,
  ): Promise<{ notified: number }> {
    return this.knex.transaction(async (trx) => {
      const row = await this.readable(trx, actor, key);
      if (row.initiator !== actor.username && !can(actor, 'manage-instances'))
        throw forbidden(
          'only the initiator of the instance (or an administrator or process owner) may urge it',
        );
      if (row.state !== 'ACTIVE')
        throw conflict(`process instance <${key}> has ended: there is nobody to urge`);
      // One urge at a time per instance: the row lock serialises racing urges.
      await trx('process_instances')
        .where({ process_instance_key: key })
        .forUpdate()
        .first('process_instance_key');
      const last = await trx('history_events')
        .where({ process_instance_key: key, command: 'instance.urge' })
        .max({ at: 'created_at' })
        .first();
      const now = this.clock();
      if (last?.at) {
        const wait = new Date(last.at).getTime() + URGE_INTERVAL_MS - now.getTime();
        if (wait > 0) {
          const seconds = Math.ceil(wait / 1000);
          throw Object.assign(
            new Problem(
              429,
              'TOO_MANY_REQUESTS',
              `this instance was urged a moment ago; try again in ${seconds} seconds`,
            ),
            { retryAfter: seconds },
          );
        }
      }
      const tasks = await trx('user_tasks')
        .where({ process_instance_key: key, state: 'CREATED' })
        .modify((q) => {
          if (userTaskKey) q.where({ user_task_key: userTaskKey });
        });
      if (!tasks.length)
        throw conflict(
          userTaskKey
            ? `user task <${userTaskKey}> is no longer open: there is nobody to urge`
            : `process instance <${key}> has no open task to urge`,
        );
      const processName = await this.processName(trx, row);
      const keys = await this.notifications.notify(
        trx,
        tasks.map((t: any) => ({
          tenantId: row.tenant_id,
          event: 'URGED' as const,
          users: t.assignee ? [t.assignee] : t.candidate_users,
          groups: t.assignee ? [] : t.candidate_groups,
          except: actor.username,
          data: {
            processName,
            processDefinitionId: row.process_definition_id,
            processInstanceKey: String(row.process_instance_key),
            businessKey: row.business_key ?? '',
            taskName: t.name ?? t.element_id,
            taskKey: String(t.user_task_key),
            actor: actor.username ?? '',
            message: comment ?? '',
          },
          processInstanceKey: String(row.process_instance_key),
          userTaskKey: String(t.user_task_key),
        })),
      );
      await this.history(trx, row, 'instance.urge', actor.username, {
        type: 'instance.urged',
        comment,
        userTaskKeys: tasks.map((t: any) => String(t.user_task_key)),
      });
      return { notified: keys.length };
    });
  }

  /**
   * 撤回: the initiator takes the request back while no one else has acted on it (no task was
   * completed by anyone but the initiator). The instance ends as withdrawn; open tasks are cancelled.
   */
  async withdraw(key: string, comment: string | null, actor: Actor): Promise<void> {
    const row = await this.readable(this.knex, actor, key);
    if (row.initiator !== actor.username)
      throw forbidden('only the initiator may withdraw a request; administrators cancel instances instead');
    await this.engine.execute({ type: 'instance.cancel', reason: 'WITHDRAWN', comment }, actor, {
      processInstanceKey: key,
      // Checked in the command's transaction: an approval committing meanwhile makes this one
      // retry, and the retry sees it.
      check: async (state, trx) => {
        if (state.instance.parentProcessInstanceKey)
          throw conflict('a called process is withdrawn with the request that called it');
        const acted = await trx('user_tasks')
          .where({ process_instance_key: key, state: 'COMPLETED' })
          .whereNot('assignee', actor.username ?? '')
          .first('user_task_key', 'assignee', 'name', 'element_id');
        if (acted)
          throw conflict(
            `<${acted.assignee}> has already acted on this request (${acted.name ?? acted.element_id}): it can no longer be withdrawn`,
          );
      },
    });
  }
}
