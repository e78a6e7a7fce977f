import type { Knex } from 'knex';
import {
  type Command,
  type CompiledProcess,
  type InstanceState,
  type UserTaskRecord,
  visibleVariables,
} from '../../engine/index.js';
import { requireMayAssign, requireMayComplete } from '../auth/permissions.js';
import type { DocumentService } from '../documents/document-service.js';
import { type FormDocumentField, validateForm } from '../forms/validate-form.js';
import { badRequest, conflict, forbidden } from '../http/problem.js';
import { can, requireCapability } from '../auth/access.js';
import type { DefinitionService } from './definitions.js';
import { checkApproverPicks } from './approver-picks.js';
import type { Actor, EngineService } from './engine-service.js';

/**
 * User task operations with their rules: who may act, and server-side form validation against the
 * form version linked to the task, with the variables the task sees. Every caller (HTTP, bench,
 * later the approvals module) goes through here, so no path skips a check.
 */
export class TaskService {
  constructor(
    private readonly engine: EngineService,
    private readonly definitions: DefinitionService,
    /** Checks and links the documents of submitted filepicker fields; without it they are refused. */
    private readonly documents?: DocumentService,
  ) {}

  /** The open task in a loaded state, or undefined (then the engine's decision says why). */
  private openTask(state: InstanceState, userTaskKey: string) {
    const task = state.userTasks.get(userTaskKey);
    return task && task.state === 'CREATED' && state.instance.state === 'ACTIVE' ? task : undefined;
  }

  complete(
    userTaskKey: string,
    variables: Record<string, unknown>,
    actor: Actor,
    approval?: {
      decision: 'approve' | 'reject';
      comment: string | null;
      approver: string;
      nextApprovers: Record<string, unknown>;
    },
  ): Promise<InstanceState> {
    const command: Extract<Command, { type: 'task.complete' }> = {
      type: 'task.complete' as const,
      userTaskKey,
      variables,
      // An approval's decision and comment belong to this signer's task, not to the whole process.
      // `approver` is who decided (after a transfer, not who the task was first meant for).
      local: approval
        ? { decision: approval.decision, comment: approval.comment, approver: approval.approver }
        : undefined,
    };
    return this.engine.execute(command, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireMayComplete(task, actor);
        const node = (await this.definitions.getCompiled(state.instance.processDefinitionKey, trx)).nodes.get(
          task.elementId,
        );
        if (approval && !node?.approval)
          throw conflict(`user task <${userTaskKey}> is not an approval: complete it instead of deciding it`);
        if (!approval && node?.approval)
          throw conflict(
            `user task <${userTaskKey}> is an approval: decide it (POST /v2/user-tasks/${userTaskKey}/decision) with approve or reject`,
          );
        if (approval && node?.approval) {
          const process = await this.definitions.getCompiled(state.instance.processDefinitionKey, trx);
          command.nextApprovers = await checkApproverPicks(
            trx,
            process,
            state.instance.tenantId,
            approval.nextApprovers,
            'previous',
          );
          // Rejected with onReject="return": where it goes back to is looked up on the path taken.
          if (approval.decision === 'reject' && node.approval.onReject === 'return')
            command.rejectReturn = await findReturnTarget(
              trx,
              state,
              task,
              node.approval.returnTo ?? 'previous',
              process,
              'returnTo',
            );
        }
        const schema = task.formKey
          ? (await this.definitions.getForm(task.formKey, trx))?.schema
          : task.embeddedForm;
        if (!schema) return;
        const result = validateForm(
          schema as any,
          variables,
          visibleVariables(state, task.elementInstanceKey),
        );
        if (result.errors.length) {
          throw badRequest(
            `the submitted data does not satisfy the form: ${result.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
            result.errors.map((e) => ({ field: `variables.${e.field}`, reason: e.reason })),
          );
        }
        if (result.documents.length)
          await this.linkDocuments(trx, result.documents, result.data, state, task.userTaskKey, actor);
        // Hidden and read-only fields are dropped: only what the form lets a person enter is stored.
        command.variables = result.data;
      },
    });
  }

  /**
   * An approver decides (approve, or reject with a comment), with the task's form data; the
   * approval node's mode then decides the node.
   */
  decide(
    userTaskKey: string,
    decision: 'approve' | 'reject',
    comment: string | null,
    variables: Record<string, unknown>,
    actor: Actor,
    nextApprovers: Record<string, unknown> = {},
  ): Promise<InstanceState> {
    if (decision === 'reject' && !comment?.trim())
      throw badRequest('a rejection needs a comment saying why', [
        { field: 'comment', reason: 'is required when rejecting' },
      ]);
    return this.complete(userTaskKey, variables, actor, {
      decision,
      comment: comment?.trim() || null,
      approver: actor.username ?? '',
      nextApprovers,
    });
  }

  /**
   * Submitted documents must exist in the task's tenant and belong to this task or instance; they
   * are linked to both in the completing transaction, and the variables get the stored references
   * (verified type, name, size and hash) instead of what the client sent.
   */
  private async linkDocuments(
    trx: Knex,
    fields: FormDocumentField[],
    data: Record<string, unknown>,
    state: InstanceState,
    userTaskKey: string,
    actor: Actor,
  ): Promise<void> {
    const submitted = fields.flatMap((f) =>
      f.references.map((r, i) => ({ ...r, field: f.list ? `${f.field}[${i}]` : f.field })),
    );
    if (!this.documents)
      throw badRequest('documents cannot be submitted: this server has no document store', [
        { field: `variables.${submitted[0]!.field}`, reason: 'cannot refer to documents here' },
      ]);
    const stored = await this.documents.verifyAndLink(trx, submitted, {
      tenantId: state.instance.tenantId,
      processInstanceKey: state.instance.processInstanceKey,
      processDefinitionId: state.instance.processDefinitionId,
      userTaskKey,
      actor,
    });
    for (const f of fields) {
      const refs = f.references.map((r) => stored.get(r.documentId));
      let parent: any = data;
      for (const seg of f.path.slice(0, -1)) parent = parent?.[seg];
      if (parent && typeof parent === 'object') parent[f.path[f.path.length - 1]!] = f.list ? refs : refs[0];
    }
  }

  assign(
    userTaskKey: string,
    assignee: string,
    allowOverride: boolean,
    actor: Actor,
  ): Promise<InstanceState> {
    return this.engine.execute({ type: 'task.assign', userTaskKey, assignee, allowOverride }, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireMayAssign(task, actor, assignee);
        if (!(await isTenantMember(trx, assignee, state.instance.tenantId))) {
          throw badRequest(
            `expected assignee <${assignee}> to be a user of tenant <${state.instance.tenantId}>`,
            [{ field: 'assignee', reason: 'is not a user of the task’s tenant' }],
          );
        }
      },
    });
  }

  /**
   * 转办: the assignee (or an administrator or process owner) hands the task to another user of
   * the tenant; it leaves their inbox. The comment goes into the history.
   */
  transfer(
    userTaskKey: string,
    assignee: string,
    comment: string | null,
    actor: Actor,
  ): Promise<InstanceState> {
    const command = {
      type: 'task.assign' as const,
      userTaskKey,
      assignee,
      allowOverride: true,
      operation: 'TRANSFER' as const,
      comment,
    };
    return this.engine.execute(command, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireCapability(actor, 'work-tasks', 'transfer user tasks');
        if (task.assignee !== actor.username && !can(actor, 'manage-instances'))
          throw task.assignee
            ? forbidden(
                `user task <${userTaskKey}> is assigned to <${task.assignee}>; only they may transfer it`,
              )
            : conflict(
                `user task <${userTaskKey}> is not assigned to anyone: claim it before transferring it`,
              );
        if (task.assignee === assignee)
          throw badRequest(`user task <${userTaskKey}> is already assigned to <${assignee}>`, [
            { field: 'assignee', reason: 'is the current assignee' },
          ]);
        if (!(await isTenantMember(trx, assignee, state.instance.tenantId)))
          throw badRequest(
            `expected assignee <${assignee}> to be a user of tenant <${state.instance.tenantId}>`,
            [{ field: 'assignee', reason: 'is not a user of the task’s tenant' }],
          );
      },
    });
  }

  /**
   * 拿回: whoever completed a task takes it back while the next step has not been acted on (its
   * tasks are open and untouched): they end, and the task opens again for the same person.
   */
  takeBack(userTaskKey: string, comment: string | null, actor: Actor): Promise<InstanceState> {
    const command = {
      type: 'task.take_back' as const,
      userTaskKey,
      elementId: '',
      next: [] as string[],
      assignee: actor.username ?? '',
      comment,
    };
    return this.engine.execute(command, actor, {
      check: async (state, trx) => {
        requireCapability(actor, 'work-tasks', 'take back user tasks');
        const task = state.userTasks.get(userTaskKey);
        if (!task) return;
        if (task.state !== 'COMPLETED' || task.assignee !== actor.username)
          throw conflict(
            `only whoever completed user task <${userTaskKey}> may take it back, once it is completed`,
          );
        const node = (await this.definitions.getCompiled(state.instance.processDefinitionKey, trx)).nodes.get(
          task.elementId,
        );
        if (node?.approval && !['single', 'any'].includes(node.approval.mode))
          throw conflict(
            'a decision shared with other signers (会签, 依次, 票签) cannot be taken back; return the next step instead',
          );
        const after = await trx('user_tasks')
          .where({ process_instance_key: state.instance.processInstanceKey })
          .where('creation_date', '>=', task.completionDate!)
          .whereNot('user_task_key', userTaskKey)
          .select('user_task_key', 'state', 'element_instance_key', 'element_id', 'assignee');
        const acted = after.find((t: any) => t.state === 'COMPLETED');
        if (acted)
          throw conflict(
            `<${acted.assignee}> has already acted on the next step: the task can no longer be taken back`,
          );
        const open = after.filter((t: any) => t.state === 'CREATED');
        if (!open.length) throw conflict('there is no waiting next step to take the task back from');
        const next = new Set<string>();
        for (const t of open) {
          const el = state.elements.get(String(t.element_instance_key));
          const scope = el ? state.elements.get(el.flowScopeKey) : undefined;
          // A task of an approval is taken back with its whole approval node.
          next.add(
            scope && el && scope.elementId === el.elementId
              ? scope.elementInstanceKey
              : String(t.element_instance_key),
          );
        }
        command.elementId = task.elementId;
        command.next = [...next];
      },
    });
  }

  /**
   * 加签 / 减签: a signer of an approval (or an administrator or process owner) adds signers of the
   * tenant — alongside them, before them (their task waits for the added), after them, or at the
   * end of a sequential approval's queue — or removes pending signers who have not acted yet.
   */
  changeSigners(
    userTaskKey: string,
    change: {
      add: string[];
      remove: string[];
      comment: string | null;
      /** Relative to the task's signer: alongside, before, after them, or at the end of a queue. */
      position?: 'alongside' | 'before' | 'after' | 'end';
    },
    actor: Actor,
  ): Promise<InstanceState> {
    if (!change.add.length && !change.remove.length)
      throw badRequest('name signers to add or remove', [
        { field: 'add', reason: 'add or remove must name someone' },
      ]);
    const both = change.add.filter((u) => change.remove.includes(u));
    if (both.length)
      throw badRequest('a signer cannot be added and removed at once', [
        { field: 'remove', reason: `names ${both.join(', ')}, who is also added` },
      ]);
    return this.engine.execute({ type: 'approval.change_signers', userTaskKey, ...change }, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireCapability(actor, 'work-tasks', 'change the signers of approvals');
        if (task.assignee !== actor.username && !can(actor, 'manage-instances'))
          throw forbidden(
            `only the signer of user task <${userTaskKey}> (or an administrator) may change its approval's signers`,
          );
        for (const user of change.add)
          if (!(await isTenantMember(trx, user, state.instance.tenantId)))
            throw badRequest(`expected <${user}> to be a user of tenant <${state.instance.tenantId}>`, [
              { field: 'add', reason: `<${user}> is not a user of the task’s tenant` },
            ]);
      },
    });
  }

  /**
   * 委派: the assignee lends the task to another user of the tenant, who works it out and resolves
   * it back (they cannot complete it); the owner then completes it.
   */
  delegate(
    userTaskKey: string,
    delegate: string,
    comment: string | null,
    actor: Actor,
  ): Promise<InstanceState> {
    return this.engine.execute({ type: 'task.delegate', userTaskKey, delegate, comment }, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireCapability(actor, 'work-tasks', 'delegate user tasks');
        if (task.assignee !== actor.username)
          throw task.assignee
            ? forbidden(
                `user task <${userTaskKey}> is assigned to <${task.assignee}>; only they may delegate it`,
              )
            : conflict(`user task <${userTaskKey}> is not assigned to anyone: claim it before delegating it`);
        if (delegate === actor.username)
          throw badRequest('you cannot delegate a task to yourself', [
            { field: 'delegate', reason: 'is you' },
          ]);
        if (!(await isTenantMember(trx, delegate, state.instance.tenantId)))
          throw badRequest(
            `expected delegate <${delegate}> to be a user of tenant <${state.instance.tenantId}>`,
            [{ field: 'delegate', reason: 'is not a user of the task’s tenant' }],
          );
      },
    });
  }

  /** The delegate hands a delegated task back to its owner, with what they worked out. */
  resolve(
    userTaskKey: string,
    variables: Record<string, unknown>,
    comment: string | null,
    actor: Actor,
  ): Promise<InstanceState> {
    return this.engine.execute({ type: 'task.resolve', userTaskKey, variables, comment }, actor, {
      check: (state) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireCapability(actor, 'work-tasks', 'resolve user tasks');
        if (task.delegationState === 'PENDING' && task.assignee !== actor.username)
          throw forbidden(
            `user task <${userTaskKey}> is delegated to <${task.assignee}>; only they may resolve it`,
          );
      },
    });
  }

  /**
   * 退回: the assignee sends the task back to an earlier user task of the same scope that was
   * done on the path taken — the most recent one (`previous`) or one named by its element id —
   * saying why. The returned-to task goes to whoever did it before (approval nodes ask their
   * approvers again); the resubmission then runs the path again.
   */
  returnTask(userTaskKey: string, target: string, comment: string, actor: Actor): Promise<InstanceState> {
    if (!comment.trim())
      throw badRequest('a return needs a comment saying why', [{ field: 'comment', reason: 'is required' }]);
    const command = {
      type: 'task.return' as const,
      userTaskKey,
      targetElementId: target,
      comment: comment.trim(),
      assignee: null as string | null,
    };
    return this.engine.execute(command, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireCapability(actor, 'work-tasks', 'return user tasks');
        if (task.assignee !== actor.username && !can(actor, 'manage-instances'))
          throw task.assignee
            ? forbidden(
                `user task <${userTaskKey}> is assigned to <${task.assignee}>; only they may return it`,
              )
            : conflict(`user task <${userTaskKey}> is not assigned to anyone: claim it before returning it`);
        const process = await this.definitions.getCompiled(state.instance.processDefinitionKey, trx);
        const chosen = await findReturnTarget(trx, state, task, target, process, 'target');
        command.targetElementId = chosen.targetElementId;
        command.assignee = chosen.assignee;
      },
    });
  }

  unassign(userTaskKey: string, actor: Actor): Promise<InstanceState> {
    return this.engine.execute({ type: 'task.unassign', userTaskKey }, actor, {
      check: (state) => {
        const task = this.openTask(state, userTaskKey);
        if (task) requireMayAssign(task, actor, null);
      },
    });
  }
}

/** Whether a user (enabled) belongs to a tenant, directly or through a group. */
async function isTenantMember(trx: Knex, username: string, tenantId: string): Promise<boolean> {
  const row = await trx('users as u')
    .where({ 'u.username': username, 'u.enabled': true })
    .whereExists((q) =>
      q
        .select(trx.raw('1'))
        .from('memberships as m')
        .where({ 'm.container_type': 'TENANT', 'm.container_id': tenantId })
        .where((w) =>
          w
            .where((d) => d.where('m.member_type', 'USER').whereRaw('m.member_id = u.username'))
            .orWhere((g) =>
              g
                .where('m.member_type', 'GROUP')
                .whereIn(
                  'm.member_id',
                  trx('memberships')
                    .select('container_id')
                    .where({ container_type: 'GROUP', member_type: 'USER', member_id: username }),
                ),
            ),
        ),
    )
    .first('u.username');
  return !!row;
}

/**
 * Where a 退回 goes: an earlier user task of the same scope done on this instance's path — the most
 * recent one (`previous`), the first one the initiator did (`initiator`), or one named by its
 * element id — and to whom (whoever did it; approval nodes ask their approvers again).
 */
async function findReturnTarget(
  trx: Knex,
  state: InstanceState,
  task: UserTaskRecord,
  target: string,
  process: CompiledProcess,
  field: string,
): Promise<{ targetElementId: string; assignee: string | null }> {
  const scopeId = process.nodes.get(task.elementId)?.scopeId;
  const done = await trx('user_tasks')
    .where({ process_instance_key: state.instance.processInstanceKey, state: 'COMPLETED' })
    .whereNot('element_id', task.elementId)
    .orderBy('completion_date', 'desc')
    .orderBy('user_task_key', 'desc')
    .select('element_id', 'assignee');
  const earlier = done.filter((d: any) => process.nodes.get(d.element_id)?.scopeId === scopeId);
  const initiator = state.instance.initiator;
  const chosen =
    target === 'previous'
      ? earlier[0]
      : target === 'initiator'
        ? earlier.findLast((d: any) => initiator && d.assignee === initiator)
        : earlier.find((d: any) => d.element_id === target);
  if (!chosen) {
    const choices = [...new Set(earlier.map((d: any) => d.element_id))].join(', ') || '(none)';
    throw badRequest(
      target === 'previous'
        ? `there is no earlier user task of this scope to return <${task.elementId}> to`
        : target === 'initiator'
          ? `the initiator <${initiator ?? ''}> did no earlier user task of this scope to return <${task.elementId}> to`
          : `<${target}> is not a user task done earlier on this instance's path in the scope of <${task.elementId}>`,
      [{ field, reason: `must be previous, initiator or one of: ${choices}` }],
    );
  }
  return {
    targetElementId: chosen.element_id,
    assignee: process.nodes.get(chosen.element_id)?.approval ? null : (chosen.assignee ?? null),
  };
}
