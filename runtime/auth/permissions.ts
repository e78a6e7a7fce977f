import type { Request } from 'express';
import type { UserTaskRecord } from '../../engine/index.js';
import { forbidden } from '../http/problem.js';
import type { Actor } from '../services/engine-service.js';

/**
 * What a role may do, until per-definition authorizations arrive: admins and process owners
 * manage definitions and instances; everyone in a tenant may start processes, read, and work on
 * the tasks meant for them.
 */
export const MANAGER_ROLES = ['admin', 'owner'] as const;

export function isManager(actor: Pick<Actor, 'roles'>): boolean {
  return actor.roles.some((r) => (MANAGER_ROLES as readonly string[]).includes(r));
}

/** Throws 403 unless the caller has one of the manager roles. */
export function requireManager(req: Request, action: string): void {
  if (!isManager(req.principal!)) throw forbidden(`only administrators and process owners may ${action}`);
}

/** Whether the task is meant for this user: assignee, or (unassigned) a candidate or open to all. */
export function isForUser(task: UserTaskRecord, actor: Actor): boolean {
  if (task.assignee) return task.assignee === actor.username;
  const open = task.candidateUsers.length === 0 && task.candidateGroups.length === 0;
  return (
    open ||
    (actor.username !== null && task.candidateUsers.includes(actor.username)) ||
    task.candidateGroups.some((g) => actor.groups.includes(g))
  );
}

/** Completing: the assignee, or a candidate of an unassigned task, or a manager. */
export function requireMayComplete(task: UserTaskRecord, actor: Actor): void {
  if (isManager(actor) || isForUser(task, actor)) return;
  throw forbidden(
    task.assignee
      ? `user task <${task.userTaskKey}> is assigned to <${task.assignee}>; only they (or an administrator) may complete it`
      : `user task <${task.userTaskKey}> is for ${[...task.candidateGroups.map((g) => `group <${g}>`), ...task.candidateUsers.map((u) => `<${u}>`)].join(', ')}`,
  );
}

/** Assigning: managers assign anyone; others may only claim an unassigned task meant for them. */
export function requireMayAssign(task: UserTaskRecord, actor: Actor, assignee: string | null): void {
  if (isManager(actor)) return;
  if (assignee === null && task.assignee === actor.username) return; // giving a task back
  if (assignee === actor.username && !task.assignee && isForUser(task, actor)) return; // claiming
  throw forbidden(
    assignee === null
      ? `only the assignee or an administrator may unassign user task <${task.userTaskKey}>`
      : `you may only claim user task <${task.userTaskKey}> for yourself while it is unassigned and meant for you`,
  );
}
