import type { UserTaskRecord } from '../../engine/index.js';
import { conflict, forbidden } from '../http/problem.js';
import type { Actor } from '../services/engine-service.js';
import { can, requireCapability } from './access.js';

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

/**
 * Completing: only the assignee. Candidates claim the task first; administrators and process
 * owners reassign it (to themselves, too) rather than complete someone else's work.
 */
export function requireMayComplete(task: UserTaskRecord, actor: Actor): void {
  requireCapability(actor, 'work-tasks', 'complete user tasks');
  if (task.delegationState === 'PENDING')
    throw conflict(
      `user task <${task.userTaskKey}> is delegated to <${task.assignee}>: they resolve it, then <${task.owner}> completes it`,
    );
  if (task.assignee === actor.username) return;
  if (task.assignee)
    throw forbidden(
      `user task <${task.userTaskKey}> is assigned to <${task.assignee}>; only they may complete it (an administrator may reassign it)`,
    );
  if (isForUser(task, actor) || can(actor, 'manage-instances'))
    throw conflict(
      `user task <${task.userTaskKey}> is not assigned to anyone: claim it before completing it`,
    );
  throw forbidden(
    `user task <${task.userTaskKey}> is for ${[...task.candidateGroups.map((g) => `group <${g}>`), ...task.candidateUsers.map((u) => `<${u}>`)].join(', ')}`,
  );
}

/** Assigning: administrators and process owners assign anyone; others claim unassigned tasks meant for them. */
export function requireMayAssign(task: UserTaskRecord, actor: Actor, assignee: string | null): void {
  requireCapability(actor, 'work-tasks', 'claim or assign user tasks');
  if (can(actor, 'manage-instances')) return;
  if (assignee === null && task.assignee === actor.username) return; // giving a task back
  if (assignee === actor.username && task.assignee === actor.username) return; // already yours
  if (assignee === actor.username && !task.assignee && isForUser(task, actor)) return; // claiming
  throw forbidden(
    assignee === null
      ? `only the assignee or an administrator may unassign user task <${task.userTaskKey}>`
      : `you may only claim user task <${task.userTaskKey}> for yourself while it is unassigned and meant for you`,
  );
}
