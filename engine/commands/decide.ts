import { CommandRejection, type Failure, fail } from '../errors/engine-error.js';
import type { EngineEvent } from '../state/events.js';
import { emptyState, type InstanceState, type ProcessInstanceRecord } from '../state/types.js';
import type { CommandContext } from './context.js';
import { PROCESS_SCOPE, Runner, type SignerPosition, TASK_REMINDER, TASK_TIMEOUT } from './runner.js';

/** Commands are `noun.verb`; each is decided against the loaded state of one instance. */
export type Command =
  | {
      type: 'instance.create';
      tenantId: string;
      processDefinitionKey: string;
      processDefinitionId: string;
      processDefinitionVersion: number;
      variables: Record<string, unknown>;
      businessKey?: string | null;
      parentProcessInstanceKey?: string | null;
      parentElementInstanceKey?: string | null;
      /** Start at this start event instead of the none start event (timer, message starts). */
      startElementId?: string;
      /** 发起人自选: the approvers the initiator picked, by approval element id. */
      approverPicks?: Record<string, string[]>;
    }
  | { type: 'instance.cancel'; reason?: 'WITHDRAWN'; comment?: string | null }
  /**
   * Process instance modification (an operator moves tokens): activate elements (in the process
   * scope or in an active sub-process instance, with variables set on that scope first), then
   * terminate element instances.
   */
  | {
      type: 'instance.modify';
      activate: Array<{
        elementId: string;
        ancestorElementInstanceKey?: string | null;
        variables?: Record<string, unknown>;
      }>;
      terminate: string[];
    }
  | {
      type: 'task.complete';
      userTaskKey: string;
      variables: Record<string, unknown>;
      /** Variables local to the task's element instance (an approval's decision and comment). */
      local?: Record<string, unknown>;
      /** 审批人自选: the approvers this decider picked for later approval nodes, by element id. */
      nextApprovers?: Record<string, string[]>;
      /** For a rejection of an onReject="return" approval: where it goes back to (found by the runtime). */
      rejectReturn?: { targetElementId: string; assignee: string | null };
    }
  | {
      type: 'task.assign';
      userTaskKey: string;
      assignee: string;
      allowOverride: boolean;
      /** 转办: the assignee hands the task to someone else, saying why. */
      operation?: 'TRANSFER';
      comment?: string | null;
    }
  | { type: 'task.unassign'; userTaskKey: string }
  /** 委派: lend the task to a delegate; the delegate resolves it back (with variables for the owner). */
  | { type: 'task.delegate'; userTaskKey: string; delegate: string; comment: string | null }
  | { type: 'task.resolve'; userTaskKey: string; variables: Record<string, unknown>; comment: string | null }
  /** 加签 / 减签 on the approval a signer's task belongs to. */
  | {
      type: 'approval.change_signers';
      userTaskKey: string;
      add: string[];
      remove: string[];
      /** Where the added go, relative to the task's signer (default: alongside, or the end of a queue). */
      position?: SignerPosition;
      comment: string | null;
    }
  /**
   * 拿回: whoever completed `userTaskKey` takes it back: the activities after it (`next`, element
   * instance keys the runtime found untouched) end and the task's element runs again for them.
   */
  | {
      type: 'task.take_back';
      userTaskKey: string;
      elementId: string;
      next: string[];
      assignee: string;
      comment: string | null;
    }
  /** 退回: send the task back to an earlier user task of the same scope (its previous assignee, if given). */
  | {
      type: 'task.return';
      userTaskKey: string;
      targetElementId: string;
      comment: string;
      assignee: string | null;
    }
  | { type: 'job.complete'; jobKey: string; variables: Record<string, unknown> }
  | {
      type: 'job.fail';
      jobKey: string;
      retries: number;
      errorMessage: string | null;
      retryBackOffMs: number;
      variables: Record<string, unknown>;
    }
  | {
      type: 'job.throw_error';
      jobKey: string;
      errorCode: string;
      errorMessage: string | null;
      variables: Record<string, unknown>;
    }
  | { type: 'incident.resolve'; incidentKey: string }
  | { type: 'variables.set'; scopeKey: string; variables: Record<string, unknown>; local: boolean }
  | { type: 'timer.trigger'; jobKey: string }
  /** A message was correlated to, or a signal broadcast to, one waiting subscription. */
  | { type: 'subscription.trigger'; subscriptionKey: string; variables: Record<string, unknown> }
  /** The child of a call activity completed; its variables come back. */
  | { type: 'call.complete'; elementInstanceKey: string; variables: Record<string, unknown> }
  /** The child of a call activity could not be created. */
  | { type: 'call.fail'; elementInstanceKey: string; message: string }
  /** The child of a call activity threw an error it did not catch. */
  | {
      type: 'call.throw_error';
      elementInstanceKey: string;
      errorCode: string | null;
      variables: Record<string, unknown>;
    }
  /** The child of a call activity threw an escalation it did not catch. */
  | { type: 'call.throw_escalation'; elementInstanceKey: string; escalationCode: string | null };

export interface Decision {
  state: InstanceState;
  events: EngineEvent[];
}

type Handler<C extends Command> = (
  run: Runner,
  command: C,
) => Promise<Failure | undefined> | Failure | undefined;
type Handlers = { [K in Command['type']]: Handler<Extract<Command, { type: K }>> };

function activeTask(run: Runner, key: string) {
  const task = run.state.userTasks.get(key);
  if (!task) return fail('NOT_FOUND', `expected to find user task with key <${key}>, but none was found`);
  if (task.state !== 'CREATED')
    return fail(
      'INVALID_STATE',
      `expected user task <${key}> to be open, but it is ${task.state.toLowerCase()}`,
    );
  return task;
}

function activeJob(run: Runner, key: string) {
  const job = run.state.jobs.get(key);
  // Timers and signal deliveries are the engine's own: workers cannot complete or fail them.
  if (job?.kind !== 'BPMN_ELEMENT')
    return fail('NOT_FOUND', `expected to find job with key <${key}>, but none was found`);
  if (!['CREATED', 'ACTIVATED'].includes(job.state)) {
    return fail(
      'INVALID_STATE',
      `expected job <${key}> to be activatable or activated, but it is ${job.state.toLowerCase()}`,
    );
  }
  return job;
}

function elementOf(run: Runner, key: string) {
  const el = run.state.elements.get(key);
  if (el?.state !== 'ACTIVE') return fail('INVALID_STATE', `expected element instance <${key}> to be active`);
  return el;
}

const handlers: Handlers = {
  'instance.create'(run, c) {
    run.emit('instance.created', { instance: run.state.instance });
    if (c.approverPicks && Object.keys(c.approverPicks).length)
      run.writeRuntime((rt) => {
        rt.approverPicks = Object.fromEntries(
          Object.entries(c.approverPicks!).map(([id, users]) => [
            id,
            { users, by: run.ctx.actor, source: 'initiator' as const },
          ]),
        );
      });
    const processNode = run.node(run.process.id);
    const root = run.createElementInstance(processNode, PROCESS_SCOPE, run.instanceKey);
    for (const [name, value] of Object.entries(c.variables))
      run.setLocalVariable(root.elementInstanceKey, name, value);
    if (c.startElementId) {
      const start = run.process.nodes.get(c.startElementId);
      if (start?.type !== 'bpmn:StartEvent' || start.scopeId !== run.process.id) {
        return fail(
          'INVALID_ARGUMENT',
          `expected <${c.startElementId}> to be a start event of process <${run.process.id}>`,
        );
      }
      run.openEventSubProcesses(root, processNode);
      run.activate(c.startElementId, root.elementInstanceKey);
    } else if (!processNode.startId) {
      return fail(
        'INVALID_ARGUMENT',
        `process <${run.process.id}> has no none start event; it is started by its timer, message or signal start events`,
      );
    } else run.resumeActivation(root);
    return undefined;
  },

  'instance.modify'(run, c) {
    const root = run.state.elements.get(run.instanceKey);
    if (root?.state !== 'ACTIVE')
      return fail('INVALID_STATE', `expected process instance <${run.instanceKey}> to be active`);
    // Check every instruction before changing anything: a modification happens whole or not at all.
    const bad = (field: string, reason: string) =>
      fail('INVALID_ARGUMENT', `${field} ${reason}`, [{ field, reason }]);
    const activations: Array<{ elementId: string; scopeKey: string; variables: Record<string, unknown> }> =
      [];
    for (const [i, a] of c.activate.entries()) {
      const where = `activateInstructions[${i}]`;
      const node = run.process.nodes.get(a.elementId);
      if (!node || node.type === 'bpmn:Process')
        return bad(`${where}.elementId`, `names no element of the process: <${a.elementId}>`);
      if (node.type === 'bpmn:StartEvent' || node.type === 'bpmn:BoundaryEvent' || node.triggeredByEvent)
        return bad(
          `${where}.elementId`,
          `<${a.elementId}> is a start event, boundary event or event sub-process, which only an event can start`,
        );
      let scopeKey: string;
      if (node.scopeId === run.process.id) scopeKey = run.instanceKey;
      else {
        const candidates = [...run.state.elements.values()].filter(
          (e) => e.elementId === node.scopeId && e.state === 'ACTIVE',
        );
        const chosen = a.ancestorElementInstanceKey
          ? candidates.find((e) => e.elementInstanceKey === a.ancestorElementInstanceKey)
          : candidates.length === 1
            ? candidates[0]
            : undefined;
        if (!chosen)
          return a.ancestorElementInstanceKey
            ? bad(
                `${where}.ancestorElementInstanceKey`,
                `<${a.ancestorElementInstanceKey}> is not an active instance of <${node.scopeId}>, the scope of <${a.elementId}>`,
              )
            : candidates.length === 0
              ? bad(
                  `${where}.elementId`,
                  `<${a.elementId}> is inside <${node.scopeId}>, which has no active instance`,
                )
              : bad(
                  `${where}.ancestorElementInstanceKey`,
                  `is required: <${node.scopeId}> has ${candidates.length} active instances`,
                );
        scopeKey = chosen.elementInstanceKey;
      }
      activations.push({ elementId: node.id, scopeKey, variables: a.variables ?? {} });
    }
    const terminations = [];
    for (const [i, key] of c.terminate.entries()) {
      const el = run.state.elements.get(key);
      if (el?.state !== 'ACTIVE' || key === run.instanceKey)
        return bad(
          `terminateInstructions[${i}].elementInstanceKey`,
          `<${key}> is not an active element instance inside this process instance${key === run.instanceKey ? ' (cancel the instance instead)' : ''}`,
        );
      terminations.push(el);
    }
    if (activations.length === 0 && terminations.length === 0)
      return bad('activateInstructions', 'or terminateInstructions must name at least one element');
    const rootLeft = run
      .activeChildren(run.instanceKey)
      .filter((e) => !c.terminate.includes(e.elementInstanceKey));
    if (activations.length === 0 && rootLeft.length === 0)
      return bad(
        'terminateInstructions',
        'would leave the instance without an active element; cancel the instance instead',
      );
    run.emit('instance.modified', {
      activated: activations.map((a) => ({ elementId: a.elementId, flowScopeKey: a.scopeKey })),
      terminated: terminations.map((e) => ({
        elementInstanceKey: e.elementInstanceKey,
        elementId: e.elementId,
      })),
    });
    for (const a of activations) {
      for (const [name, value] of Object.entries(a.variables)) run.setLocalVariable(a.scopeKey, name, value);
      run.activate(a.elementId, a.scopeKey);
    }
    for (const e of terminations) {
      run.terminate(e);
      run.markScopeDirty(e.flowScopeKey);
    }
    return undefined;
  },

  'instance.cancel'(run, c) {
    const root = run.state.elements.get(run.instanceKey);
    if (root?.state !== 'ACTIVE')
      return fail('INVALID_STATE', `expected process instance <${run.instanceKey}> to be active`);
    run.terminate(root);
    run.emit('instance.terminated', {
      processInstanceKey: run.instanceKey,
      endDate: run.nowIso,
      ...(c.reason ? { reason: c.reason, comment: c.comment ?? null } : {}),
    });
    return undefined;
  },

  'task.complete'(run, c) {
    const task = activeTask(run, c.userTaskKey);
    if ('failure' in task) return task;
    const el = elementOf(run, task.elementInstanceKey);
    if ('failure' in el) return el;
    run.emit(
      'task.completed',
      { userTaskKey: task.userTaskKey, completionDate: run.nowIso, variables: c.variables },
      task.elementId,
    );
    if (c.local?.decision !== undefined) run.decidingKey = task.userTaskKey;
    run.rejectReturn = c.rejectReturn;
    if (c.nextApprovers && Object.keys(c.nextApprovers).length)
      run.writeRuntime((rt) => {
        rt.approverPicks = {
          ...rt.approverPicks,
          ...Object.fromEntries(
            Object.entries(c.nextApprovers!).map(([id, users]) => [
              id,
              { users, by: run.ctx.actor, source: 'previous' as const },
            ]),
          ),
        };
      });
    for (const [name, value] of Object.entries(c.local ?? {}))
      run.setLocalVariable(el.elementInstanceKey, name, value);
    run.mergeCompletionVariables(el, c.variables);
    run.complete(el);
    return undefined;
  },

  'task.delegate'(run, c) {
    const task = activeTask(run, c.userTaskKey);
    if ('failure' in task) return task;
    if (!task.assignee)
      return fail('CONFLICT', `user task <${task.userTaskKey}> must be assigned to be delegated`);
    if (task.delegationState === 'PENDING')
      return fail('CONFLICT', `user task <${task.userTaskKey}> is already delegated to <${task.assignee}>`);
    run.emit(
      'task.delegated',
      { userTaskKey: task.userTaskKey, owner: task.assignee, delegate: c.delegate, comment: c.comment },
      task.elementId,
    );
    return undefined;
  },

  'task.resolve'(run, c) {
    const task = activeTask(run, c.userTaskKey);
    if ('failure' in task) return task;
    if (task.delegationState !== 'PENDING' || !task.owner)
      return fail(
        'CONFLICT',
        `user task <${task.userTaskKey}> is not delegated: there is nothing to resolve`,
      );
    // What the delegate worked out stays with the task, for its owner to see and complete.
    for (const [name, value] of Object.entries(c.variables))
      run.setLocalVariable(task.elementInstanceKey, name, value);
    run.emit(
      'task.resolved',
      { userTaskKey: task.userTaskKey, owner: task.owner, delegate: task.assignee ?? '', comment: c.comment },
      task.elementId,
    );
    return undefined;
  },

  'approval.change_signers'(run, c) {
    const task = activeTask(run, c.userTaskKey);
    if ('failure' in task) return task;
    const el = elementOf(run, task.elementInstanceKey);
    if ('failure' in el) return el;
    const body = run.state.elements.get(el.flowScopeKey);
    const node = run.node(task.elementId);
    if (!node.approval || body?.elementId !== el.elementId)
      return fail('INVALID_STATE', `user task <${task.userTaskKey}> is not part of an approval`);
    if (node.approval.mode === 'single' || node.approval.mode === 'any')
      return fail(
        'INVALID_STATE',
        `signers can be added or removed on all, sequential and vote approvals, not ${node.approval.mode}`,
      );
    const position = c.position ?? (node.multiInstance?.sequential ? 'end' : 'alongside');
    run.emit(
      'approval.signers_changed',
      {
        elementInstanceKey: body.elementInstanceKey,
        added: c.add,
        removed: c.remove,
        position,
        signer: task.assignee,
        comment: c.comment,
      },
      task.elementId,
    );
    const why = run.changeSigners(body, node, {
      add: c.add,
      remove: c.remove,
      position,
      signer: task.assignee ?? '',
    });
    return why ? fail('INVALID_ARGUMENT', why) : undefined;
  },

  'task.take_back'(run, c) {
    const target = run.process.nodes.get(c.elementId);
    const next = c.next.map((k) => run.state.elements.get(k));
    if (!target || next.length === 0 || next.some((e) => e?.state !== 'ACTIVE'))
      return fail('CONFLICT', 'the next step has already moved on: the task can no longer be taken back');
    const scopeKey = next[0]!.flowScopeKey;
    if (
      next.some((e) => e!.flowScopeKey !== scopeKey) ||
      run.node(next[0]!.elementId).scopeId !== target.scopeId
    )
      return fail('CONFLICT', 'the next step is in another scope: the task can no longer be taken back');
    run.emit(
      'task.taken_back',
      { userTaskKey: c.userTaskKey, elementId: target.id, comment: c.comment },
      target.id,
    );
    for (const e of next) run.terminate(e!);
    if (!target.approval) run.assignOnCreate = { elementId: target.id, assignee: c.assignee };
    run.activate(target.id, scopeKey);
    return undefined;
  },

  'task.return'(run, c) {
    const task = activeTask(run, c.userTaskKey);
    if ('failure' in task) return task;
    const el = elementOf(run, task.elementInstanceKey);
    if ('failure' in el) return el;
    // An approval's signer returns the whole approval node, not just their own share of it.
    const scope = run.state.elements.get(el.flowScopeKey);
    const current = scope && scope.elementId === el.elementId ? scope : el;
    const target = run.process.nodes.get(c.targetElementId);
    if (target?.type !== 'bpmn:UserTask' || target.scopeId !== run.node(current.elementId).scopeId)
      return fail(
        'INVALID_ARGUMENT',
        `expected <${c.targetElementId}> to be a user task in the same scope as <${current.elementId}>`,
      );
    run.emit(
      'task.returned',
      { userTaskKey: task.userTaskKey, targetElementId: target.id, comment: c.comment, assignee: c.assignee },
      task.elementId,
    );
    run.returnTo(current, target.id, c.assignee);
    return undefined;
  },

  'task.assign'(run, c) {
    const task = activeTask(run, c.userTaskKey);
    if ('failure' in task) return task;
    if (task.assignee && task.assignee !== c.assignee && !c.allowOverride) {
      return fail('CONFLICT', `user task <${task.userTaskKey}> is already assigned to <${task.assignee}>`);
    }
    if (task.assignee === c.assignee) return undefined;
    run.emit(
      'task.assigned',
      {
        userTaskKey: task.userTaskKey,
        assignee: c.assignee,
        previous: task.assignee,
        ...(c.operation ? { operation: c.operation, comment: c.comment ?? null } : {}),
      },
      task.elementId,
    );
    return undefined;
  },

  'task.unassign'(run, c) {
    const task = activeTask(run, c.userTaskKey);
    if ('failure' in task) return task;
    if (task.assignee === null) return undefined;
    run.emit(
      'task.assigned',
      { userTaskKey: task.userTaskKey, assignee: null, previous: task.assignee },
      task.elementId,
    );
    return undefined;
  },

  'job.complete'(run, c) {
    const job = activeJob(run, c.jobKey);
    if ('failure' in job) return job;
    const el = elementOf(run, job.elementInstanceKey);
    if ('failure' in el) return el;
    run.emit(
      'job.completed',
      { jobKey: job.jobKey, endDate: run.nowIso, variables: c.variables },
      job.elementId,
    );
    run.mergeCompletionVariables(el, c.variables);
    run.complete(el);
    return undefined;
  },

  'job.fail'(run, c) {
    const job = activeJob(run, c.jobKey);
    if ('failure' in job) return job;
    const el = elementOf(run, job.elementInstanceKey);
    if ('failure' in el) return el;
    if (Object.keys(c.variables).length > 0) {
      for (const [name, value] of Object.entries(c.variables))
        run.setLocalVariable(el.elementInstanceKey, name, value);
    }
    const dueAt = new Date(run.ctx.now.getTime() + Math.max(0, c.retryBackOffMs)).toISOString();
    run.emit(
      'job.failed',
      { jobKey: job.jobKey, retries: c.retries, errorMessage: c.errorMessage, dueAt },
      job.elementId,
    );
    if (c.retries <= 0) {
      run.createIncident(
        el,
        'JOB_NO_RETRIES',
        c.errorMessage || `job <${job.jobKey}> of type '${job.type}' failed and has no retries left`,
        'JOB',
        job.jobKey,
      );
    }
    return undefined;
  },

  'job.throw_error'(run, c) {
    const job = activeJob(run, c.jobKey);
    if ('failure' in job) return job;
    const el = elementOf(run, job.elementInstanceKey);
    if ('failure' in el) return el;
    run.emit(
      'job.error_thrown',
      { jobKey: job.jobKey, errorCode: c.errorCode, errorMessage: c.errorMessage, endDate: run.nowIso },
      job.elementId,
    );
    if (run.throwError(el, c.errorCode, c.variables)) return undefined;
    run.createIncident(
      el,
      'UNHANDLED_ERROR_EVENT',
      `expected to catch an error event with the code '${c.errorCode}'${c.errorMessage ? ` and message '${c.errorMessage}'` : ''}, but no boundary or event sub-process catches it`,
      'JOB',
      job.jobKey,
    );
    return undefined;
  },

  'variables.set'(run, c) {
    const scope = run.state.elements.get(c.scopeKey);
    if (scope?.state !== 'ACTIVE') {
      return fail(
        'NOT_FOUND',
        `expected to find an active element instance with key <${c.scopeKey}>, but none was found`,
      );
    }
    if (c.local)
      for (const [name, value] of Object.entries(c.variables))
        run.setLocalVariable(scope.elementInstanceKey, name, value);
    else run.propagateVariables(scope.elementInstanceKey, c.variables);
    return undefined;
  },

  'timer.trigger'(run, c) {
    const job = run.state.jobs.get(c.jobKey);
    if (job?.kind !== 'TIMER')
      return fail('NOT_FOUND', `expected to find timer with key <${c.jobKey}>, but none was found`);
    if (!['CREATED', 'ACTIVATED'].includes(job.state)) {
      return fail(
        'INVALID_STATE',
        `expected timer <${c.jobKey}> to be waiting, but it is ${job.state.toLowerCase()}`,
      );
    }
    const owner = elementOf(run, job.elementInstanceKey);
    if ('failure' in owner) return owner;
    run.emit('job.completed', { jobKey: job.jobKey, endDate: run.nowIso, variables: {} }, job.elementId);
    if (job.type === TASK_REMINDER || job.type === TASK_TIMEOUT)
      return run.fireTaskTimer(owner, job).then(() => undefined);
    const event = run.node(job.elementId);
    const keepsListening =
      (event.type === 'bpmn:BoundaryEvent' && event.cancelActivity === false) ||
      (event.type === 'bpmn:StartEvent' && event.isInterrupting === false);
    if (keepsListening) run.continueTimer(owner, job);
    run.triggerEvent(owner, job.elementId, {});
    return undefined;
  },

  'subscription.trigger'(run, c) {
    const sub = run.state.subscriptions.get(c.subscriptionKey);
    if (!sub)
      return fail(
        'NOT_FOUND',
        `expected to find subscription with key <${c.subscriptionKey}>, but none was found`,
      );
    if (sub.state !== 'ACTIVE')
      return fail(
        'INVALID_STATE',
        `expected subscription <${c.subscriptionKey}> to be open, but it is closed`,
      );
    const owner = elementOf(run, sub.elementInstanceKey);
    if ('failure' in owner) return owner;
    if (sub.interrupting)
      run.emit('subscription.closed', { subscriptionKey: sub.subscriptionKey }, sub.elementId);
    run.triggerEvent(owner, sub.elementId, c.variables);
    return undefined;
  },

  'call.complete'(run, c) {
    const el = elementOf(run, c.elementInstanceKey);
    if ('failure' in el) return el;
    const call = run.node(el.elementId).callActivity;
    const variables =
      call?.propagateAllChildVariables === false && run.node(el.elementId).outputs.length === 0
        ? {}
        : c.variables;
    run.mergeCompletionVariables(el, variables);
    run.complete(el);
    return undefined;
  },

  'call.throw_error'(run, c) {
    const el = elementOf(run, c.elementInstanceKey);
    if ('failure' in el) return el;
    if (!run.throwError(el, c.errorCode ?? undefined, c.variables)) {
      run.createIncident(
        el,
        'UNHANDLED_ERROR_EVENT',
        `expected to catch the error '${c.errorCode ?? ''}' thrown by the called process of <${el.elementId}>, but nothing catches it`,
        'ACTIVATE',
      );
    }
    return undefined;
  },

  'call.throw_escalation'(run, c) {
    const el = elementOf(run, c.elementInstanceKey);
    if ('failure' in el) return el;
    run.throwEscalation(el, c.escalationCode ?? undefined);
    return undefined;
  },

  'call.fail'(run, c) {
    const el = elementOf(run, c.elementInstanceKey);
    if ('failure' in el) return el;
    run.createIncident(el, 'CALLED_ELEMENT_ERROR', c.message, 'ACTIVATE');
    return undefined;
  },

  'incident.resolve'(run, c) {
    const incident = run.state.incidents.get(c.incidentKey);
    if (!incident)
      return fail('NOT_FOUND', `expected to find incident with key <${c.incidentKey}>, but none was found`);
    if (incident.state !== 'ACTIVE')
      return fail('INVALID_STATE', `expected incident <${c.incidentKey}> to be active, but it is resolved`);
    const el = elementOf(run, incident.elementInstanceKey);
    run.emit(
      'incident.resolved',
      { incidentKey: incident.incidentKey, resolvedAt: run.nowIso },
      incident.elementId,
    );
    if ('failure' in el) return undefined;
    if (incident.retryPhase === 'ACTIVATE') run.resumeActivation(el);
    else if (incident.retryPhase === 'COMPLETE') run.resumeCompletion(el);
    else if (incident.jobKey) {
      const job = run.state.jobs.get(incident.jobKey);
      if (job?.state === 'FAILED')
        run.emit(
          'job.retries_updated',
          { jobKey: job.jobKey, retries: Math.max(1, job.retries) },
          job.elementId,
        );
      if (job?.state === 'ERROR_THROWN') {
        // The error could not be caught: resolving retries the work as a fresh job.
        run.emit('job.canceled', { jobKey: job.jobKey, endDate: run.nowIso }, job.elementId);
        run.resumeActivation(el);
      }
    }
    return undefined;
  },
};

/** The initial state of a new instance; `instance.create` then fills it. */
export function newInstanceState(
  c: Extract<Command, { type: 'instance.create' }>,
  ctx: CommandContext,
): InstanceState {
  const instance: ProcessInstanceRecord = {
    processInstanceKey: ctx.nextKey(),
    tenantId: c.tenantId,
    processDefinitionKey: c.processDefinitionKey,
    processDefinitionId: c.processDefinitionId,
    processDefinitionVersion: c.processDefinitionVersion,
    state: 'ACTIVE',
    businessKey: c.businessKey ?? null,
    initiator: ctx.actor,
    revision: 0,
    hasIncident: false,
    runtime: {},
    parentProcessInstanceKey: c.parentProcessInstanceKey ?? null,
    parentElementInstanceKey: c.parentElementInstanceKey ?? null,
    startDate: ctx.now.toISOString(),
    endDate: null,
  };
  return emptyState(instance);
}

/**
 * Decides a command: validates it against the state, runs the instance until every token waits,
 * and returns the events (already applied to `state`), or a failure value with nothing applied.
 * For `instance.create` pass the state from `newInstanceState`.
 */
export async function decide(
  state: InstanceState,
  command: Command,
  ctx: CommandContext,
): Promise<Decision | Failure> {
  if (command.type !== 'instance.create' && state.instance.state !== 'ACTIVE') {
    return fail(
      'INVALID_STATE',
      `expected process instance <${state.instance.processInstanceKey}> to be active, but it is ${state.instance.state.toLowerCase()}`,
    );
  }
  const run = new Runner(state, ctx);
  const handler = handlers[command.type] as Handler<Command>;
  try {
    const failure = await handler(run, command);
    if (failure) return failure;
    await run.run();
  } catch (err) {
    if (err instanceof CommandRejection) return err.failure;
    throw err;
  }
  return { state, events: run.events };
}
