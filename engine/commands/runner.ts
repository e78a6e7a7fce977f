import { CommandRejection, fail, IncidentSignal, type IncidentType } from '../errors/engine-error.js';
import { clockFunctions, evaluateFeel, isFeel } from '../expressions/feel.js';
import { type CycleState, nextOccurrence, scheduleTimer, type TimerSchedule } from '../expressions/timers.js';
import { behaviourFor } from '../elements/registry.js';
import type { ApproverStrategy, CompiledProcess, FlowNode, IoMapping } from '../model/types.js';
import { apply } from '../state/apply.js';
import type { EngineEvent, EngineEventMap, EngineEventType } from '../state/events.js';
import type {
  ElementInstanceRecord,
  HeldSigner,
  IncidentRecord,
  InstanceState,
  JobRecord,
} from '../state/types.js';
import type { CommandContext } from './context.js';

type Step =
  | { op: 'activate'; nodeId: string; flowScopeKey: string }
  | { op: 'resume-activate'; key: string }
  | { op: 'complete'; key: string };

const PROCESS_SCOPE = '-1';
/** Job types of the timers of lf:timeout on user tasks. */
export const TASK_REMINDER = 'task-reminder';
export const TASK_TIMEOUT = 'task-timeout';
/** Where 加签 puts added signers, relative to the signer who adds them. */
export type SignerPosition = 'alongside' | 'before' | 'after' | 'end';
const MAX_STEPS_PER_COMMAND = 100_000;
/** Element type of the body that holds the instances of a multi-instance activity. */
const MI_BODY = 'bpmn:MultiInstanceBody';
/** The local variables a multi-instance body keeps its counts in (see `activateBody`). */
const MI_COUNTERS = new Set([
  'numberOfInstances',
  'numberOfActiveInstances',
  'numberOfCompletedInstances',
  'numberOfTerminatedInstances',
]);

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Executes steps of one instance for one command: activates elements, takes flows, completes
 * scopes. Every state change is an event that is applied at once and collected for the runtime.
 */
export class Runner {
  readonly events: EngineEvent[] = [];
  /**
   * A user task to be created in this command goes to this person instead of its model's
   * assignment (退回: the task returns to whoever did it before).
   */
  assignOnCreate: { elementId: string; assignee: string } | undefined;
  /**
   * Set while a signer's decision is being applied: the key of the deciding task. An approval
   * whose approvers that signer must pick (审批人自选) then refuses to open without them.
   */
  decidingKey: string | undefined;
  /**
   * With a rejection of an onReject="return" approval: where it goes back to, and to whom (the
   * runtime looked up the path taken).
   */
  rejectReturn: { targetElementId: string; assignee: string | null } | undefined;
  private agenda: Step[] = [];
  private readonly dirtyScopes = new Set<string>();

  constructor(
    readonly state: InstanceState,
    readonly ctx: CommandContext,
  ) {}

  get process() {
    return this.ctx.process;
  }
  get nowIso() {
    return this.ctx.now.toISOString();
  }
  get instanceKey() {
    return this.state.instance.processInstanceKey;
  }

  emit<K extends EngineEventType>(type: K, payload: EngineEventMap[K], elementId?: string): void {
    const event = {
      type,
      processInstanceKey: this.instanceKey,
      elementId,
      ...payload,
    } as unknown as EngineEvent;
    apply(this.state, event);
    this.events.push(event);
  }

  node(id: string): FlowNode {
    const node = this.process.nodes.get(id);
    if (!node) throw new Error(`unknown element <${id}> in process <${this.process.id}>`);
    return node;
  }

  // ---- variables -------------------------------------------------------------------------

  /** The chain of scope keys from an element (inclusive) up to the process instance. */
  scopeChain(scopeKey: string): string[] {
    const chain: string[] = [];
    let key: string | undefined = scopeKey;
    while (key && key !== PROCESS_SCOPE) {
      chain.push(key);
      key = this.state.elements.get(key)?.flowScopeKey;
    }
    return chain;
  }

  /** All variables visible from a scope, the closest scope winning. */
  variablesFor(scopeKey: string): Record<string, unknown> {
    return visibleVariables(this.state, scopeKey);
  }

  /**
   * The context for FEEL expressions: the visible variables, and `now()` / `today()` reading the
   * command's clock instead of the machine's, so evaluation stays deterministic.
   */
  feelContext(scopeKey: string): Record<string, unknown> {
    return { ...clockFunctions(this.ctx.now), ...this.variablesFor(scopeKey) };
  }

  setLocalVariable(scopeKey: string, name: string, value: unknown): void {
    const existing = this.state.variables.get(scopeKey)?.get(name);
    const normalised = value === undefined ? null : value;
    if (existing && deepEqual(existing.value, normalised)) return;
    this.emit('variable.set', {
      variableKey: existing?.variableKey ?? this.ctx.nextKey(),
      scopeKey,
      name,
      value: normalised,
      previous: existing?.value,
      created: !existing,
    });
  }

  /** Sets each variable in the closest scope (from `scopeKey` up) that has it, else in the root. */
  propagateVariables(scopeKey: string, variables: Record<string, unknown>): void {
    const chain = this.scopeChain(scopeKey);
    for (const [name, value] of Object.entries(variables)) {
      const target = chain.find((k) => this.state.variables.get(k)?.has(name)) ?? this.instanceKey;
      // A multi-instance body's counters are the engine's bookkeeping: a variable of the same name
      // coming up from an instance (a job's result, a called process's variables, which include
      // the copies it was given) must not overwrite them, or the body never counts to its end.
      if (MI_COUNTERS.has(name) && this.state.elements.get(target)?.elementType === MI_BODY) continue;
      this.setLocalVariable(target, name, value);
    }
  }

  private evaluateMappings(mappings: IoMapping[], context: Record<string, unknown>, what: string) {
    const out: Record<string, unknown> = {};
    const ctxWithResults = { ...context };
    for (const m of mappings) {
      const result = isFeel(m.source)
        ? evaluateFeel(m.source, ctxWithResults)
        : { ok: true as const, value: m.source };
      if (!result.ok)
        throw new IncidentSignal('IO_MAPPING_ERROR', `${what} <${m.target}>: ${result.message}`);
      setPath(out, m.target, result.value);
      setPath(ctxWithResults, m.target, result.value);
    }
    return out;
  }

  /**
   * Completion variables of a task, job or script: with output mappings they become local to the
   * element (the mappings pick what leaves); without, they propagate up the scopes.
   */
  mergeCompletionVariables(inst: ElementInstanceRecord, variables: Record<string, unknown>): void {
    const node = this.node(inst.elementId);
    if (node.outputs.length > 0) {
      for (const [name, value] of Object.entries(variables))
        this.setLocalVariable(inst.elementInstanceKey, name, value);
    } else {
      this.propagateVariables(inst.elementInstanceKey, variables);
    }
  }

  // ---- element lifecycle -----------------------------------------------------------------

  activate(nodeId: string, flowScopeKey: string): void {
    this.agenda.push({ op: 'activate', nodeId, flowScopeKey });
  }

  complete(inst: ElementInstanceRecord): void {
    this.agenda.push({ op: 'complete', key: inst.elementInstanceKey });
  }

  /** Runs the activation of an existing element instance (the root, or after an incident was resolved). */
  resumeActivation(inst: ElementInstanceRecord): void {
    this.agenda.push({ op: 'resume-activate', key: inst.elementInstanceKey });
  }

  /** Re-runs the completion of an element instance, after its incident was resolved. */
  resumeCompletion(inst: ElementInstanceRecord): void {
    this.complete(inst);
  }

  createElementInstance(
    node: FlowNode | { id: string; name?: string; type: string },
    flowScopeKey: string,
    key?: string,
  ) {
    const element: ElementInstanceRecord = {
      elementInstanceKey: key ?? this.ctx.nextKey(),
      processInstanceKey: this.instanceKey,
      flowScopeKey,
      elementId: node.id,
      elementName: node.name ?? null,
      elementType: node.type,
      state: 'ACTIVE',
      incidentKey: null,
      startDate: this.nowIso,
      endDate: null,
    };
    this.emit('element.activated', { element }, node.id);
    return this.state.elements.get(element.elementInstanceKey)!;
  }

  private async runActivation(inst: ElementInstanceRecord): Promise<void> {
    const node = this.node(inst.elementId);
    if (inst.elementType === MI_BODY) return this.activateBody(inst, node);
    if (node.inputs.length > 0) {
      const vars = this.evaluateMappings(
        node.inputs,
        this.feelContext(inst.elementInstanceKey),
        'input mapping',
      );
      for (const [name, value] of Object.entries(vars))
        this.setLocalVariable(inst.elementInstanceKey, name, value);
    }
    // Activation runs again after an incident: what the failed attempt opened is closed first.
    this.cancelWaitsOf(inst);
    // Boundary events listen for as long as their activity runs (on the body of a multi-instance).
    if (node.boundaries?.length && !node.multiInstance) this.openEventSubscriptions(inst, node.boundaries);
    await behaviourFor(node.type).activate(this, inst, node);
  }

  private async runCompletion(inst: ElementInstanceRecord): Promise<void> {
    const node = this.node(inst.elementId);
    if (inst.elementType === MI_BODY) return this.completeBody(inst, node);
    if (node.multiInstance) return this.completeInner(inst, node);
    if (node.outputs.length > 0) {
      const vars = this.evaluateMappings(
        node.outputs,
        this.feelContext(inst.elementInstanceKey),
        'output mapping',
      );
      this.propagateVariables(inst.flowScopeKey, vars);
    }
    const behaviour = behaviourFor(node.type);
    const back = this.resubmitTarget(inst);
    const flows = back
      ? []
      : behaviour.selectOutgoing
        ? behaviour.selectOutgoing(this, inst, node)
        : this.defaultOutgoing(inst, node);
    // What the element still listened for (boundary timers, triggers of event sub-processes) ends.
    this.cancelWaitsOf(inst);
    this.emit(
      'element.completed',
      { elementInstanceKey: inst.elementInstanceKey, elementId: inst.elementId, endDate: this.nowIso },
      inst.elementId,
    );
    this.dirtyScopes.add(inst.flowScopeKey);
    behaviour.afterComplete?.(this, inst, node);
    for (const flowId of flows) this.takeFlow(flowId, inst.flowScopeKey);
    if (back) this.activate(back, inst.flowScopeKey);
  }

  /**
   * 退回 with resubmit="returner": the element that was returned to completes, and the flow goes
   * straight back to the element that returned it (once; the mark is used up).
   */
  private resubmitTarget(inst: ElementInstanceRecord): string | undefined {
    const mark = `${inst.flowScopeKey}/${inst.elementId}`;
    const back = this.state.instance.runtime.resubmitTo?.[mark];
    if (!back) return undefined;
    this.writeRuntime((rt) => {
      const { [mark]: _used, ...rest } = rt.resubmitTo ?? {};
      rt.resubmitTo = Object.keys(rest).length ? rest : undefined;
    });
    return back;
  }

  /**
   * 退回: the flow goes back from `current` (a task, or an approval's body) to an earlier user task
   * of its scope, for whom it was before; with the returning node's resubmit="returner", the
   * resubmission comes straight back to it.
   */
  returnTo(current: ElementInstanceRecord, targetElementId: string, assignee: string | null): void {
    const returner = this.node(current.elementId);
    if (current.state === 'ACTIVE') this.terminate(current);
    if (returner.returnPolicy?.resubmit === 'returner')
      this.writeRuntime((rt) => {
        rt.resubmitTo = { ...rt.resubmitTo, [`${current.flowScopeKey}/${targetElementId}`]: returner.id };
      });
    if (assignee) this.assignOnCreate = { elementId: targetElementId, assignee };
    this.activate(targetElementId, current.flowScopeKey);
  }

  /**
   * Activities and events leave on every unconditional flow and every flow whose condition is
   * true; if they have conditional flows only and none is true, on the default flow.
   */
  defaultOutgoing(inst: ElementInstanceRecord, node: FlowNode): string[] {
    const conditional = node.outgoing.filter(
      (f) => this.process.flows.get(f)?.condition && f !== node.defaultFlow,
    );
    if (conditional.length === 0) return node.outgoing;
    const vars = this.feelContext(inst.elementInstanceKey);
    const taken = node.outgoing.filter((f) => {
      if (f === node.defaultFlow) return false;
      const flow = this.process.flows.get(f)!;
      return flow.condition ? this.evaluateCondition(flow.id, flow.condition, vars, node.id) : true;
    });
    if (taken.length > 0) return taken;
    if (node.defaultFlow) return [node.defaultFlow];
    throw new IncidentSignal(
      'CONDITION_ERROR',
      `expected at least one condition of the outgoing flows of <${node.id}> to be true, or a default flow`,
    );
  }

  evaluateCondition(
    flowId: string,
    condition: string,
    vars: Record<string, unknown>,
    nodeId: string,
  ): boolean {
    const result = evaluateFeel(condition, vars);
    if (!result.ok)
      throw new IncidentSignal(
        'CONDITION_ERROR',
        `condition of <${flowId}> at <${nodeId}>: ${result.message}`,
      );
    if (typeof result.value !== 'boolean') {
      throw new IncidentSignal(
        'CONDITION_ERROR',
        `expected the condition '${condition}' of <${flowId}> at <${nodeId}> to be a boolean, but it was ${JSON.stringify(result.value)}`,
      );
    }
    return result.value;
  }

  takeFlow(flowId: string, flowScopeKey: string): void {
    const flow = this.process.flows.get(flowId)!;
    this.emit(
      'flow.taken',
      { flowId, sourceId: flow.sourceId, targetId: flow.targetId, scopeKey: flowScopeKey },
      flow.sourceId,
    );
    const target = this.node(flow.targetId);
    const behaviour = behaviourFor(target.type);
    if (behaviour.isJoin?.(target)) {
      this.recordArrival(flowScopeKey, target.id, flowId);
      this.dirtyScopes.add(flowScopeKey);
      behaviour.onArrival?.(this, flowScopeKey, target);
    } else {
      this.activate(target.id, flowScopeKey);
    }
  }

  // ---- events: timers (and, with the next steps, messages and signals) ----------------------

  /** Opens the triggers of a scope's event sub-processes that wait for something to happen. */
  openEventSubProcesses(scope: ElementInstanceRecord, node: FlowNode): void {
    const waiting = (node.eventSubProcessStarts ?? []).filter((id) =>
      ['timer', 'message', 'signal'].includes(this.node(id).event?.kind ?? ''),
    );
    if (waiting.length) this.openEventSubscriptions(scope, waiting);
  }

  /**
   * Starts listening for the triggers of events on behalf of an owner element instance: the event
   * itself (a catch event), the activity of boundary events, or the scope of event sub-processes.
   * Expressions are evaluated in the owner's scope.
   */
  openEventSubscriptions(owner: ElementInstanceRecord, eventIds: string[]): void {
    for (const eventId of eventIds) {
      const node = this.node(eventId);
      const event = node.event;
      if (event?.kind === 'timer') this.scheduleTimer(owner, eventId, event.timer);
      else if (event?.kind === 'message' || event?.kind === 'signal') {
        const interrupting =
          !(node.type === 'bpmn:BoundaryEvent' && node.cancelActivity === false) &&
          !(node.type === 'bpmn:StartEvent' && node.isInterrupting === false);
        this.subscribe(owner, node, event, interrupting);
      }
    }
  }

  /** Evaluates a static-or-FEEL property in an element's scope, as text (names, ids, keys). */
  eventTextOf(
    owner: ElementInstanceRecord,
    eventId: string,
    what: string,
    expression: string | undefined,
  ): string | null {
    return this.eventText(owner, eventId, what, expression);
  }

  /** Evaluates a static-or-FEEL property of an event in the owner's scope, as text. */
  private eventText(
    owner: ElementInstanceRecord,
    eventId: string,
    what: string,
    expression: string | undefined,
  ): string | null {
    if (expression === undefined) return null;
    let value: unknown = expression;
    if (isFeel(expression)) {
      const result = evaluateFeel(expression, this.feelContext(owner.elementInstanceKey));
      if (!result.ok)
        throw new IncidentSignal('EXTRACT_VALUE_ERROR', `${what} of <${eventId}>: ${result.message}`);
      value = result.value;
    }
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string' || value === '') {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `expected the ${what} of <${eventId}> to be a text or a number, but it was ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  private subscribe(
    owner: ElementInstanceRecord,
    node: FlowNode,
    event: Extract<NonNullable<FlowNode['event']>, { kind: 'message' | 'signal' }>,
    interrupting: boolean,
  ): void {
    const i = this.state.instance;
    const name =
      event.kind === 'message'
        ? this.eventText(owner, node.id, 'message name', event.messageName)!
        : this.eventText(owner, node.id, 'signal name', event.signalName)!;
    const correlationKey =
      event.kind === 'message'
        ? this.eventText(owner, node.id, 'correlation key', event.correlationKey)
        : null;
    this.emit(
      'subscription.opened',
      {
        subscription: {
          subscriptionKey: this.ctx.nextKey(),
          kind: event.kind === 'message' ? 'MESSAGE' : 'SIGNAL',
          tenantId: i.tenantId,
          name,
          correlationKey,
          processInstanceKey: i.processInstanceKey,
          processDefinitionKey: i.processDefinitionKey,
          processDefinitionId: i.processDefinitionId,
          elementInstanceKey: owner.elementInstanceKey,
          elementId: node.id,
          interrupting,
          state: 'ACTIVE',
          createdAt: this.nowIso,
        },
      },
      node.id,
    );
  }

  /** Writes a signal broadcast as a SIGNAL job; the job executor delivers it after commit. */
  requestSignalBroadcast(
    inst: ElementInstanceRecord,
    node: FlowNode,
    variables: Record<string, unknown>,
  ): void {
    if (node.event?.kind !== 'signal') return;
    const name = this.eventText(inst, node.id, 'signal name', node.event.signalName)!;
    this.createJob(inst, node.id, {
      type: name,
      kind: 'SIGNAL',
      retries: 3,
      dueAt: this.nowIso,
      customHeaders: { variables: JSON.stringify(variables) },
    });
  }

  private scheduleTimer(
    owner: ElementInstanceRecord,
    eventId: string,
    timer: { type: 'date' | 'duration' | 'cycle'; expression: string },
  ): void {
    let value: unknown = timer.expression;
    if (isFeel(timer.expression)) {
      const result = evaluateFeel(timer.expression, this.feelContext(owner.elementInstanceKey));
      if (!result.ok)
        throw new IncidentSignal('EXTRACT_VALUE_ERROR', `timer of <${eventId}>: ${result.message}`);
      value = result.value;
    }
    let schedule: TimerSchedule;
    try {
      schedule = scheduleTimer(timer.type, value, this.ctx.now);
    } catch (err) {
      throw new IncidentSignal('EXTRACT_VALUE_ERROR', `timer of <${eventId}>: ${(err as Error).message}`);
    }
    this.createTimerJob(owner, eventId, schedule.dueAt, schedule.next);
  }

  private createTimerJob(
    owner: ElementInstanceRecord,
    eventId: string,
    dueAt: Date,
    cycle: CycleState | null,
  ): void {
    this.createJob(owner, eventId, {
      type: 'timer',
      kind: 'TIMER',
      retries: 1,
      dueAt: dueAt.toISOString(),
      customHeaders: {},
      timerCycle: cycle,
    });
  }

  /** Emits a new job (work for a worker, a timer, a signal broadcast) owned by an element instance. */
  createJob(
    owner: ElementInstanceRecord,
    elementId: string,
    job: Pick<JobRecord, 'type' | 'kind' | 'retries' | 'dueAt' | 'customHeaders'> & {
      timerCycle?: CycleState | null;
    },
  ): void {
    const i = this.state.instance;
    this.emit(
      'job.created',
      {
        job: {
          jobKey: this.ctx.nextKey(),
          state: 'CREATED',
          tenantId: i.tenantId,
          processInstanceKey: i.processInstanceKey,
          elementInstanceKey: owner.elementInstanceKey,
          elementId,
          processDefinitionKey: i.processDefinitionKey,
          processDefinitionId: i.processDefinitionId,
          processDefinitionVersion: i.processDefinitionVersion,
          worker: null,
          deadline: null,
          errorMessage: null,
          errorCode: null,
          createdAt: this.nowIso,
          ...job,
        },
      },
      elementId,
    );
  }

  // ---- task timeouts (lf:timeout) -----------------------------------------------------------

  /** Working time from `from` on the node's calendar; a calendar problem is an incident. */
  private async workingTimeAfter(node: FlowNode, from: Date, duration: string): Promise<Date> {
    const add = this.ctx.services.addWorkingTime;
    if (!add)
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `<${node.id}> has a timeout, but this runtime has no working calendars`,
      );
    try {
      return await add(this.state.instance.tenantId, node.timeout?.calendar ?? null, from, duration);
    } catch (err) {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `the timeout of <${node.id}>: ${(err as Error).message}`,
      );
    }
  }

  /** When a task with lf:timeout opened now is due, and when it is first reminded. */
  async taskTiming(
    node: FlowNode,
    from: Date,
    /** The durations, with FEEL expressions already evaluated (default: the model's). */
    durations: { after?: string; remindEvery?: string } = node.timeout!,
  ): Promise<{ deadline?: Date; remind?: Date }> {
    const t = durations;
    const deadline = t.after ? await this.workingTimeAfter(node, from, t.after) : undefined;
    const remind = t.remindEvery ? await this.workingTimeAfter(node, from, t.remindEvery) : undefined;
    return { deadline, remind: remind && (!deadline || remind < deadline) ? remind : undefined };
  }

  /** The reminder and the timeout of a task are timers owned by its element instance. */
  scheduleTaskTimers(
    inst: ElementInstanceRecord,
    node: FlowNode,
    timing: { deadline?: Date; remind?: Date },
  ): void {
    const timer = (type: string, dueAt: Date) =>
      this.createJob(inst, node.id, {
        type,
        kind: 'TIMER',
        retries: 1,
        dueAt: dueAt.toISOString(),
        customHeaders: {},
      });
    if (timing.remind) timer(TASK_REMINDER, timing.remind);
    if (timing.deadline && node.timeout!.action !== 'notify') timer(TASK_TIMEOUT, timing.deadline);
  }

  /**
   * A task's reminder or timeout fired. A reminder tells the assignee again and plans the next
   * one (until the task is due); the timeout approves or rejects for the signer, or escalates the
   * task to the head above its assignee.
   */
  async fireTaskTimer(owner: ElementInstanceRecord, job: JobRecord): Promise<void> {
    const node = this.node(job.elementId);
    const t = node.timeout;
    const task = [...this.state.userTasks.values()].find(
      (x) => x.elementInstanceKey === owner.elementInstanceKey && x.state === 'CREATED',
    );
    if (!t || !task) return;
    if (job.type === TASK_REMINDER) {
      this.emit(
        'task.reminded',
        { userTaskKey: task.userTaskKey, assignee: task.assignee, dueDate: task.dueDate },
        node.id,
      );
      let next: Date | undefined;
      try {
        next = await this.workingTimeAfter(node, new Date(job.dueAt), t.remindEvery!);
      } catch (err) {
        // The calendar went away meanwhile: this was the last reminder; the task itself waits on.
        if (!(err instanceof IncidentSignal)) throw err;
      }
      const due = task.dueDate ? new Date(task.dueDate) : undefined;
      if (next && (!due || next < due)) this.scheduleTaskTimers(owner, node, { remind: next });
      return;
    }
    if (t.action === 'escalate') {
      const target = task.assignee
        ? await this.ctx.services.escalationTarget?.(this.state.instance.tenantId, task.assignee)
        : null;
      this.emit(
        'task.timed_out',
        {
          userTaskKey: task.userTaskKey,
          action: 'escalate',
          assignee: task.assignee,
          escalatedTo: target?.username ?? null,
          reason: target?.reason ?? `nobody to escalate <${task.assignee ?? ''}>'s task to`,
        },
        node.id,
      );
      if (target && target.username !== task.assignee)
        this.emit(
          'task.assigned',
          {
            userTaskKey: task.userTaskKey,
            assignee: target.username,
            previous: task.assignee,
            operation: 'ESCALATE',
            comment: null,
          },
          node.id,
        );
      return;
    }
    if (t.action !== 'approve' && t.action !== 'reject') return;
    // Decided for the signer, as they would have: the approval's mode counts it like any other.
    this.emit(
      'task.timed_out',
      { userTaskKey: task.userTaskKey, action: t.action, assignee: task.assignee },
      node.id,
    );
    this.emit(
      'task.completed',
      { userTaskKey: task.userTaskKey, completionDate: this.nowIso, variables: {} },
      node.id,
    );
    this.setLocalVariable(owner.elementInstanceKey, 'decision', t.action);
    this.setLocalVariable(owner.elementInstanceKey, 'comment', null);
    this.setLocalVariable(owner.elementInstanceKey, 'approver', task.assignee ?? '');
    this.complete(owner);
  }

  /**
   * A timer of a non-interrupting event fired: schedule its next occurrence. A cycle continues from
   * its planned time, or from now when the engine was away for longer than one interval (timers
   * due while it was down fire once, they do not catch up).
   */
  continueTimer(owner: ElementInstanceRecord, job: JobRecord): void {
    if (!job.timerCycle) return;
    const next = nextOccurrence(job.timerCycle, new Date(job.dueAt), this.ctx.now);
    if (next) this.createTimerJob(owner, job.elementId, next.dueAt, next.next);
  }

  /**
   * An event's trigger happened (a timer fired): the owner reacts by the kind of event.
   * - boundary event: an interrupting one terminates its activity; the event runs in the
   *   activity's scope and continues on its outgoing flows;
   * - start event of an event sub-process: an interrupting one terminates everything else in the
   *   scope; the event sub-process starts in the scope;
   * - otherwise the owner is the waiting event itself, which completes.
   */
  triggerEvent(owner: ElementInstanceRecord, eventId: string, variables: Record<string, unknown>): void {
    const event = this.node(eventId);
    if (event.type === 'bpmn:BoundaryEvent') {
      if (event.cancelActivity !== false) this.terminate(owner);
      const inst = this.createElementInstance(event, owner.flowScopeKey);
      this.mergeCompletionVariables(inst, variables);
      this.complete(inst);
      return;
    }
    if (event.type === 'bpmn:StartEvent') {
      if (event.isInterrupting !== false) {
        for (const child of this.activeChildren(owner.elementInstanceKey)) this.terminate(child);
        this.clearJoins(owner.elementInstanceKey);
        // Only the scope's event sub-process triggers end: its own boundary events stay armed.
        this.cancelWaitsOf(owner, this.node(owner.elementId).eventSubProcessStarts ?? []);
        // An interrupted scope accepts no further event sub-process (BPMN: it is ending).
        this.writeRuntime((rt) => {
          rt.interruptedScopes = [...(rt.interruptedScopes ?? []), owner.elementInstanceKey];
        });
      }
      const eventSubProcess = this.createElementInstance(this.node(event.scopeId), owner.elementInstanceKey);
      const start = this.createElementInstance(event, eventSubProcess.elementInstanceKey);
      this.mergeCompletionVariables(start, variables);
      this.complete(start);
      return;
    }
    if (owner.elementType === 'bpmn:EventBasedGateway') {
      // The first event wins: the gateway stops listening for the others and moves on to it.
      this.cancelWaitsOf(owner);
      const flowId = this.node(owner.elementId).outgoing.find(
        (f) => this.process.flows.get(f)?.targetId === eventId,
      )!;
      this.emit(
        'element.completed',
        { elementInstanceKey: owner.elementInstanceKey, elementId: owner.elementId, endDate: this.nowIso },
        owner.elementId,
      );
      this.emit(
        'flow.taken',
        { flowId, sourceId: owner.elementId, targetId: eventId, scopeKey: owner.flowScopeKey },
        owner.elementId,
      );
      const caught = this.createElementInstance(event, owner.flowScopeKey);
      this.mergeCompletionVariables(caught, variables);
      this.complete(caught);
      return;
    }
    this.mergeCompletionVariables(owner, variables);
    this.complete(owner);
  }

  // ---- multi-instance ---------------------------------------------------------------------

  private miNumber(body: ElementInstanceRecord, name: string): number {
    return Number(this.state.variables.get(body.elementInstanceKey)?.get(name)?.value ?? 0);
  }

  /**
   * The body of a multi-instance activity: evaluates the collection (or cardinality), keeps the
   * counters as its local variables (numberOfInstances, numberOfActiveInstances,
   * numberOfCompletedInstances, numberOfTerminatedInstances) and starts the instances: all at once
   * (parallel) or one after the other (sequential). Each instance has loopCounter and the input
   * element as local variables.
   */
  private async activateBody(body: ElementInstanceRecord, node: FlowNode): Promise<void> {
    const mi = node.multiInstance!;
    this.cancelWaitsOf(body);
    if (node.boundaries?.length) this.openEventSubscriptions(body, node.boundaries);
    let items = node.approval ? await this.routeApproval(body, node) : this.miItems(body, node);
    // An approval nobody can decide must not pass silently, nor wait forever: the node says what
    // to do — an incident, the tenant's administrators, or let it pass.
    if (node.approval && items.length === 0) {
      if (node.approval.onEmpty === 'admin')
        items = (await this.resolveApprovers(body, node, { kind: 'role', role: 'admin' })).approvers;
      if (items.length === 0 && node.approval.onEmpty !== 'skip')
        throw new IncidentSignal(
          'EXTRACT_VALUE_ERROR',
          `the approval <${node.id}> has no approvers: ${node.approval.strategy ? `its strategy ${node.approval.strategy.kind} found nobody` : 'its assignees gave an empty list'}`,
        );
    }
    this.setLocalVariable(body.elementInstanceKey, 'numberOfInstances', items.length);
    this.setLocalVariable(body.elementInstanceKey, 'numberOfActiveInstances', 0);
    this.setLocalVariable(body.elementInstanceKey, 'numberOfCompletedInstances', 0);
    this.setLocalVariable(body.elementInstanceKey, 'numberOfTerminatedInstances', 0);
    if (mi.outputCollection)
      this.setLocalVariable(
        body.elementInstanceKey,
        mi.outputCollection,
        items.map(() => null),
      );
    // Sequential bodies start their items one by one: the collection waits in the instance's
    // runtime bookkeeping (not a variable, so users never see it).
    if (mi.sequential && items.length > 1)
      this.writeRuntime((rt) => {
        rt.miItems = { ...rt.miItems, [body.elementInstanceKey]: items };
      });
    if (items.length === 0) {
      this.complete(body);
      return;
    }
    if (mi.sequential) this.spawnInner(body, node, 0, items[0]);
    else for (const [i, item] of items.entries()) this.spawnInner(body, node, i, item);
  }

  private async resolveApprovers(body: ElementInstanceRecord, node: FlowNode, strategy: ApproverStrategy) {
    const i = this.state.instance;
    const services = this.ctx.services;
    let found: { approvers: string[]; reason: string };
    if (strategy.kind === 'initiatorPicks' || strategy.kind === 'previousPicks') {
      const pick = i.runtime.approverPicks?.[node.id];
      if (!pick && strategy.kind === 'previousPicks' && this.decidingKey) {
        // Whoever decides the step before must say who decides this one: refuse the decision
        // rather than open a node nobody can act on.
        throw new CommandRejection(
          fail(
            'INVALID_ARGUMENT',
            `the approvers of <${node.id}> are picked by whoever decides the step before it: name them in nextApprovers`,
            [
              {
                field: `nextApprovers.${node.id}`,
                reason: 'is required: pick the approvers of the next step',
              },
            ],
          ),
        );
      }
      const users = pick?.users ?? [];
      found = {
        approvers: services.enabledUsers ? await services.enabledUsers(i.tenantId, users) : users,
        reason: !pick
          ? 'nobody picked the approvers'
          : pick.source === 'initiator'
            ? `picked by the initiator <${pick.by ?? ''}> when starting`
            : `picked by <${pick.by ?? ''}> when deciding the step before`,
      };
    } else if (strategy.kind === 'ruleSet') {
      let result: { events?: Array<{ type?: unknown }>; params?: Record<string, unknown> };
      try {
        result = (await services.evaluateRuleSet(
          i.tenantId,
          strategy.ruleSetId,
          this.variablesFor(body.flowScopeKey),
        )) as typeof result;
      } catch (err) {
        throw new IncidentSignal(
          'DECISION_EVALUATION_ERROR',
          `rule set <${strategy.ruleSetId}> routing <${node.id}>: ${(err as Error).message}`,
        );
      }
      const named = result?.params?.approvers;
      const users = Array.isArray(named)
        ? named.map(String)
        : typeof named === 'string'
          ? named
              .split(',')
              .map((u) => u.trim())
              .filter(Boolean)
          : [];
      const fired = (result?.events ?? []).map((e) => String(e?.type ?? '?'));
      found = {
        approvers: services.enabledUsers ? await services.enabledUsers(i.tenantId, users) : users,
        reason: `rule set <${strategy.ruleSetId}> fired ${fired.length ? fired.map((f) => `'${f}'`).join(', ') : 'no rule'}, naming ${users.length ? users.map((u) => `<${u}>`).join(', ') : 'nobody'}`,
      };
    } else {
      if (!services.resolveApprovers)
        throw new IncidentSignal(
          'EXTRACT_VALUE_ERROR',
          `the approval <${node.id}> needs the org chart, which this runtime lacks`,
        );
      found = await services.resolveApprovers(i.tenantId, strategy, i.initiator);
    }
    this.emit(
      'approval.routed',
      {
        elementInstanceKey: body.elementInstanceKey,
        strategy,
        approvers: found.approvers,
        reason: found.reason,
      },
      node.id,
    );
    return found;
  }

  /**
   * Who approves, and why (recorded for "why did this go to me"): by the node's strategy, or its
   * listed or computed assignees.
   */
  private async routeApproval(body: ElementInstanceRecord, node: FlowNode): Promise<unknown[]> {
    const spec = node.approval!;
    if (spec.strategy) return (await this.resolveApprovers(body, node, spec.strategy)).approvers;
    const items = this.miItems(body, node);
    const assignees = spec.assignees ?? '';
    this.emit(
      'approval.routed',
      {
        elementInstanceKey: body.elementInstanceKey,
        strategy: { kind: 'assignees', assignees },
        approvers: items.map(String),
        reason: isFeel(assignees) ? `the expression ${assignees} of the model` : 'listed in the model',
      },
      node.id,
    );
    return items;
  }

  private miItems(body: ElementInstanceRecord, node: FlowNode): unknown[] {
    const mi = node.multiInstance!;
    const context = this.feelContext(body.flowScopeKey);
    if (mi.inputCollection) {
      const r = isFeel(mi.inputCollection)
        ? evaluateFeel(mi.inputCollection, context)
        : { ok: true as const, value: mi.inputCollection };
      if (!r.ok)
        throw new IncidentSignal('EXTRACT_VALUE_ERROR', `inputCollection of <${node.id}>: ${r.message}`);
      if (!Array.isArray(r.value)) {
        throw new IncidentSignal(
          'EXTRACT_VALUE_ERROR',
          `expected the inputCollection of <${node.id}> to be a list, but it was ${JSON.stringify(r.value)}`,
        );
      }
      return r.value;
    }
    const r = isFeel(mi.cardinality!)
      ? evaluateFeel(mi.cardinality!, context)
      : { ok: true as const, value: Number(mi.cardinality) };
    const n = r.ok ? r.value : Number.NaN;
    if (!r.ok || typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new IncidentSignal(
        'EXTRACT_VALUE_ERROR',
        `expected the loopCardinality of <${node.id}> to be a whole number, but it was ${r.ok ? JSON.stringify(r.value) : r.message}`,
      );
    }
    return Array.from({ length: n }, (_, i) => i + 1);
  }

  /**
   * 加签 / 减签 on a running approval. Added signers join relative to `signer` (the task's
   * approver): `alongside` (at once, in parallel approvals), `before` them (the signer's task waits
   * until the added have decided, then comes back), `after` them (the added get their tasks once the
   * signer has decided), or at the `end` of a sequential approval's queue. Pending signers who have
   * not acted are removed. Returns why it cannot be done, or undefined.
   */
  changeSigners(
    body: ElementInstanceRecord,
    node: FlowNode,
    change: { add: string[]; remove: string[]; position: SignerPosition; signer: string },
  ): string | undefined {
    const { add, remove, position, signer } = change;
    const mi = node.multiInstance!;
    const bodyKey = body.elementInstanceKey;
    const local = (key: string, name: string) => this.state.variables.get(key)?.get(name)?.value;
    const active = this.activeChildren(bodyKey);
    const decided = ((local(bodyKey, mi.outputCollection!) as unknown[]) ?? [])
      .filter((d): d is { approver: string } => !!d && typeof d === 'object')
      .map((d) => d.approver);
    const activeUser = (c: ElementInstanceRecord) => String(local(c.elementInstanceKey, 'approver'));
    const waiting = active.map(activeUser);
    const finished = () =>
      this.miNumber(body, 'numberOfCompletedInstances') + this.miNumber(body, 'numberOfTerminatedInstances');
    const queued = mi.sequential
      ? ((this.state.instance.runtime.miItems?.[bodyKey] ?? []) as unknown[])
          .slice(finished() + active.length)
          .map(String)
      : [];
    const held = this.state.instance.runtime.heldSigners?.[bodyKey] ?? [];
    const pending = [...waiting, ...queued, ...held.map((h) => h.user)];
    const signers = new Set([...decided, ...pending]);
    const again = add.filter((u) => signers.has(u));
    if (again.length) return `${again.map((u) => `<${u}>`).join(', ')} already sign(s) this approval`;
    const notPending = remove.filter((u) => !pending.includes(u));
    if (notPending.length)
      return `${notPending.map((u) => `<${u}>`).join(', ')} cannot be removed: not a pending signer`;
    if (remove.length >= pending.length + add.length && decided.length === 0)
      return 'an approval needs at least one signer';
    if (mi.sequential && position === 'alongside')
      return 'a sequential approval (依次) takes added signers before, after the signer or at the end, not alongside';
    if (!mi.sequential && position === 'end')
      return 'added signers of a parallel approval sign alongside, before or after the signer';
    const own = active.find((c) => activeUser(c) === signer);
    if ((position === 'before' || position === 'after') && add.length && !own)
      return `<${signer}> is not a signer waiting to decide: signers go before or after a waiting signer`;
    if (position === 'before' && remove.includes(signer))
      return 'the signer cannot be removed while adding before them';

    const total = this.miNumber(body, 'numberOfInstances');
    if (add.length) {
      this.setLocalVariable(bodyKey, 'numberOfInstances', total + add.length);
      this.setLocalVariable(bodyKey, mi.outputCollection!, [
        ...((local(bodyKey, mi.outputCollection!) as unknown[]) ?? []),
        ...add.map(() => null),
      ]);
      if (mi.sequential) {
        const items = [...(this.state.instance.runtime.miItems?.[bodyKey] ?? Array(total).fill(null))];
        // A one-signer queue keeps no list: its only item is whoever is deciding now.
        if (active[0] && items[finished()] == null) items[finished()] = activeUser(active[0]);
        const at = finished() + (position === 'after' ? 1 : 0);
        if (position === 'end') items.push(...add);
        else items.splice(at, 0, ...add);
        this.writeRuntime((rt) => {
          rt.miItems = { ...rt.miItems, [bodyKey]: items };
        });
        if (position === 'before') {
          // The signer steps back in the queue: their turn comes again after the added.
          this.terminate(own!);
          this.setLocalVariable(
            bodyKey,
            'numberOfActiveInstances',
            this.miNumber(body, 'numberOfActiveInstances') - 1,
          );
          this.spawnInner(body, node, at, add[0]);
        }
      } else if (position === 'alongside') {
        for (const [i, user] of add.entries()) this.spawnInner(body, node, total + i, user);
      } else {
        const slots = add.map((user, i) => ({ user, index: total + i, after: [signer] }));
        let holds = [...held];
        if (position === 'before') {
          // The signer's task waits (in its own slot) until every added signer has decided.
          const index = Number(local(own!.elementInstanceKey, 'loopCounter')) - 1;
          this.terminate(own!);
          this.setLocalVariable(
            bodyKey,
            'numberOfActiveInstances',
            this.miNumber(body, 'numberOfActiveInstances') - 1,
          );
          holds.push({ user: signer, index, after: add });
          for (const slot of slots) this.spawnInner(body, node, slot.index, slot.user);
        } else holds = [...holds, ...slots];
        this.writeHeldSigners(bodyKey, holds);
      }
    }
    for (const user of remove) {
      const inner = this.activeChildren(bodyKey).find((c) => activeUser(c) === user);
      const hold = (this.state.instance.runtime.heldSigners?.[bodyKey] ?? []).find((h) => h.user === user);
      if (inner) {
        this.terminate(inner);
        this.setLocalVariable(
          bodyKey,
          'numberOfActiveInstances',
          this.miNumber(body, 'numberOfActiveInstances') - 1,
        );
      } else if (hold) {
        // Waiting for others to decide first: their slot ends unused.
        this.writeHeldSigners(
          bodyKey,
          (this.state.instance.runtime.heldSigners?.[bodyKey] ?? []).filter((h) => h.user !== user),
        );
      } else {
        // Not started yet (a sequential approval): it leaves the queue.
        const items = [...((this.state.instance.runtime.miItems?.[bodyKey] ?? []) as unknown[])];
        items.splice(items.lastIndexOf(user), 1);
        this.writeRuntime((rt) => {
          rt.miItems = { ...rt.miItems, [bodyKey]: items };
        });
        this.setLocalVariable(bodyKey, 'numberOfInstances', this.miNumber(body, 'numberOfInstances') - 1);
        const collection = [...((local(bodyKey, mi.outputCollection!) as unknown[]) ?? [])];
        collection.pop();
        this.setLocalVariable(bodyKey, mi.outputCollection!, collection);
        continue;
      }
      this.setLocalVariable(
        bodyKey,
        'numberOfTerminatedInstances',
        this.miNumber(body, 'numberOfTerminatedInstances') + 1,
      );
    }
    // Held signers whose turn came (those they waited for were removed) start now.
    if (!mi.sequential) this.releaseHeldSigners(body, node);
    // Everyone left has decided: the approval is decided now.
    if (this.activeChildren(bodyKey).length === 0 && finished() >= this.miNumber(body, 'numberOfInstances'))
      this.complete(body);
    else if (mi.sequential && this.activeChildren(bodyKey).length === 0) {
      const items = this.state.instance.runtime.miItems?.[bodyKey] ?? [];
      this.spawnInner(body, node, finished(), items[finished()]);
    }
    return undefined;
  }

  private writeHeldSigners(bodyKey: string, holds: HeldSigner[]): void {
    this.writeRuntime((rt) => {
      const { [bodyKey]: _old, ...rest } = rt.heldSigners ?? {};
      rt.heldSigners = holds.length
        ? { ...rest, [bodyKey]: holds }
        : Object.keys(rest).length
          ? rest
          : undefined;
    });
  }

  /**
   * 加签 before/after in a parallel approval: a held signer's task opens (in their own slot) once
   * everyone they wait for has decided or left the approval.
   */
  private releaseHeldSigners(body: ElementInstanceRecord, node: FlowNode): void {
    const bodyKey = body.elementInstanceKey;
    const holds = this.state.instance.runtime.heldSigners?.[bodyKey];
    if (!holds?.length) return;
    const local = (key: string, name: string) => this.state.variables.get(key)?.get(name)?.value;
    const stillWaiting = new Set([
      ...this.activeChildren(bodyKey).map((c) => String(local(c.elementInstanceKey, 'approver'))),
      ...holds.map((h) => h.user),
    ]);
    const ready = holds.filter((h) => h.after.every((u) => !stillWaiting.has(u)));
    if (!ready.length) return;
    this.writeHeldSigners(
      bodyKey,
      holds.filter((h) => !ready.includes(h)),
    );
    for (const h of ready) this.spawnInner(body, node, h.index, h.user);
  }

  private spawnInner(body: ElementInstanceRecord, node: FlowNode, index: number, item: unknown): void {
    const inner = this.createElementInstance(node, body.elementInstanceKey);
    this.setLocalVariable(inner.elementInstanceKey, 'loopCounter', index + 1);
    if (node.multiInstance!.inputElement)
      this.setLocalVariable(inner.elementInstanceKey, node.multiInstance!.inputElement, item);
    this.setLocalVariable(
      body.elementInstanceKey,
      'numberOfActiveInstances',
      this.miNumber(body, 'numberOfActiveInstances') + 1,
    );
    this.resumeActivation(inner);
  }

  /** One instance completed: collect its output, count it, and decide whether the body is done. */
  private completeInner(inner: ElementInstanceRecord, node: FlowNode): void {
    const mi = node.multiInstance!;
    const body = this.state.elements.get(inner.flowScopeKey)!;
    const completed = this.miNumber(body, 'numberOfCompletedInstances') + 1;
    const active = this.miNumber(body, 'numberOfActiveInstances') - 1;
    // Everything that can fail is evaluated before anything changes, so an incident here leaves
    // the instance as it was and resolving it runs this completion again.
    const outputs =
      node.outputs.length > 0
        ? this.evaluateMappings(node.outputs, this.feelContext(inner.elementInstanceKey), 'output mapping')
        : {};
    let element: unknown;
    if (mi.outputCollection && mi.outputElement) {
      const r = isFeel(mi.outputElement)
        ? evaluateFeel(mi.outputElement, this.feelContext(inner.elementInstanceKey))
        : { ok: true as const, value: mi.outputElement };
      if (!r.ok)
        throw new IncidentSignal('EXTRACT_VALUE_ERROR', `outputElement of <${node.id}>: ${r.message}`);
      element = r.value;
    }
    let done = false;
    if (mi.completionCondition) {
      const context = {
        ...this.feelContext(inner.elementInstanceKey),
        numberOfCompletedInstances: completed,
        numberOfActiveInstances: active,
      };
      const r = evaluateFeel(mi.completionCondition, context);
      if (!r.ok || typeof r.value !== 'boolean') {
        throw new IncidentSignal(
          'CONDITION_ERROR',
          `expected the completionCondition of <${node.id}> to be a boolean, but it was ${r.ok ? JSON.stringify(r.value) : r.message}`,
        );
      }
      done = r.value;
    }
    this.propagateVariables(body.elementInstanceKey, outputs);
    if (mi.outputCollection && mi.outputElement) {
      const loopCounter = Number(
        this.state.variables.get(inner.elementInstanceKey)?.get('loopCounter')?.value,
      );
      const collected = [
        ...((this.state.variables.get(body.elementInstanceKey)?.get(mi.outputCollection)
          ?.value as unknown[]) ?? []),
      ];
      collected[loopCounter - 1] = element;
      this.setLocalVariable(body.elementInstanceKey, mi.outputCollection, collected);
    }
    this.cancelWaitsOf(inner);
    this.emit(
      'element.completed',
      { elementInstanceKey: inner.elementInstanceKey, elementId: inner.elementId, endDate: this.nowIso },
      inner.elementId,
    );
    this.setLocalVariable(body.elementInstanceKey, 'numberOfCompletedInstances', completed);
    this.setLocalVariable(body.elementInstanceKey, 'numberOfActiveInstances', active);
    if (done) {
      // Done early (或签, 票签): the others are no longer needed.
      for (const other of this.activeChildren(body.elementInstanceKey)) {
        this.terminate(other);
        this.setLocalVariable(
          body.elementInstanceKey,
          'numberOfTerminatedInstances',
          this.miNumber(body, 'numberOfTerminatedInstances') + 1,
        );
        this.setLocalVariable(
          body.elementInstanceKey,
          'numberOfActiveInstances',
          this.miNumber(body, 'numberOfActiveInstances') - 1,
        );
      }
      this.complete(body);
      return;
    }
    if (!mi.sequential) this.releaseHeldSigners(body, node);
    const total = this.miNumber(body, 'numberOfInstances');
    // Signers removed (减签) count as finished: the next in turn is the one after all finished.
    const finished = completed + this.miNumber(body, 'numberOfTerminatedInstances');
    if (mi.sequential && finished < total) {
      const items = this.state.instance.runtime.miItems?.[body.elementInstanceKey] ?? [];
      this.spawnInner(body, node, finished, items[finished]);
    } else if (finished >= total) this.complete(body);
  }

  /**
   * An approval is decided: `approved` for the flow after it, and an `approval.completed` event
   * for the history. Says how it went, and whether a rejection ends the whole process (onReject="end").
   */
  private concludeApproval(
    body: ElementInstanceRecord,
    node: FlowNode,
    decisions: unknown[],
  ): { approved: boolean; endsProcess: boolean } {
    const spec = node.approval!;
    const made = decisions.filter(
      (d): d is { approver: string; decision: string; comment: unknown } =>
        !!d && typeof d === 'object' && typeof (d as { decision?: unknown }).decision === 'string',
    );
    const approvedCount = made.filter((d) => d.decision === 'approve').length;
    const rejectedCount = made.filter((d) => d.decision === 'reject').length;
    const total = decisions.length;
    // Nobody to ask and onEmpty="skip": it passes.
    const approved =
      total === 0
        ? true
        : spec.mode === 'vote'
          ? approvedCount >= (spec.passRatio ?? 1) * total
          : rejectedCount === 0 && approvedCount > 0;
    const endsProcess = !approved && spec.onReject === 'end';
    this.propagateVariables(body.flowScopeKey, { approved });
    this.emit(
      'approval.completed',
      { elementInstanceKey: body.elementInstanceKey, approved, decisions: made, endsProcess },
      body.elementId,
    );
    // Rejected for good: the process ends here, everything else in it is cancelled.
    if (endsProcess) this.terminateScope(this.instanceKey);
    return { approved, endsProcess };
  }

  private forgetMiItems(body: ElementInstanceRecord): void {
    if (this.state.instance.runtime.heldSigners?.[body.elementInstanceKey])
      this.writeHeldSigners(body.elementInstanceKey, []);
    if (!this.state.instance.runtime.miItems?.[body.elementInstanceKey]) return;
    this.writeRuntime((rt) => {
      const { [body.elementInstanceKey]: _done, ...rest } = rt.miItems ?? {};
      rt.miItems = Object.keys(rest).length ? rest : undefined;
    });
  }

  /** The body completes: the output collection goes to the enclosing scope; the activity moves on. */
  private completeBody(body: ElementInstanceRecord, node: FlowNode): void {
    const mi = node.multiInstance!;
    let rejectedToEnd = false;
    let rejected = false;
    if (mi.outputCollection) {
      const value = this.state.variables.get(body.elementInstanceKey)?.get(mi.outputCollection)?.value ?? [];
      this.propagateVariables(body.flowScopeKey, { [mi.outputCollection]: value });
      if (node.approval) {
        const outcome = this.concludeApproval(body, node, value as unknown[]);
        rejectedToEnd = outcome.endsProcess;
        rejected = !outcome.approved;
      }
    }
    this.forgetMiItems(body);
    // Rejected with onReject="return": back to an earlier task, like 退回 by the signer.
    const goBack =
      node.approval?.onReject === 'return' && this.rejectReturn && rejected ? this.rejectReturn : undefined;
    const back = goBack ? undefined : this.resubmitTarget(body);
    const flows = rejectedToEnd || goBack || back ? [] : this.defaultOutgoing(body, node);
    this.cancelWaitsOf(body);
    this.emit(
      'element.completed',
      { elementInstanceKey: body.elementInstanceKey, elementId: body.elementId, endDate: this.nowIso },
      body.elementId,
    );
    this.dirtyScopes.add(body.flowScopeKey);
    for (const flowId of flows) this.takeFlow(flowId, body.flowScopeKey);
    if (back) this.activate(back, body.flowScopeKey);
    if (goBack) {
      this.rejectReturn = undefined;
      const deciding = this.decidingKey ? this.state.userTasks.get(this.decidingKey) : undefined;
      const comment = deciding
        ? this.state.variables.get(deciding.elementInstanceKey)?.get('comment')?.value
        : undefined;
      this.emit(
        'task.returned',
        {
          userTaskKey: this.decidingKey ?? '',
          targetElementId: goBack.targetElementId,
          comment: typeof comment === 'string' ? comment : '',
          assignee: goBack.assignee,
        },
        body.elementId,
      );
      this.returnTo(body, goBack.targetElementId, goBack.assignee);
    }
  }

  // ---- errors and escalations --------------------------------------------------------------

  private findCatch(from: ElementInstanceRecord, kind: 'error' | 'escalation', code: string | undefined) {
    return findCatch(this.state, this.process, from, kind, code);
  }

  /** Throws a BPMN error; returns false when nothing catches it (the caller raises an incident). */
  throwError(
    from: ElementInstanceRecord,
    code: string | undefined,
    variables: Record<string, unknown> = {},
  ): boolean {
    const target = this.findCatch(from, 'error', code);
    if (target) {
      this.triggerEvent(target.owner, target.eventId, variables);
      return true;
    }
    // Not caught in a called process: the error goes up to the call activity in the parent,
    // and this instance ends (the runtime hands the error to the parent in the same transaction).
    // The runtime decides again with `uncaughtErrorsStayLocal` when no caller up the hierarchy
    // catches it either: then the incident is raised here, at the thrower (as Zeebe does).
    const i = this.state.instance;
    const root = this.state.elements.get(i.processInstanceKey);
    if (!i.parentElementInstanceKey || root?.state !== 'ACTIVE' || this.ctx.uncaughtErrorsStayLocal)
      return false;
    this.emit(
      'call.error_thrown',
      { parentElementInstanceKey: i.parentElementInstanceKey, errorCode: code ?? null, variables },
      from.elementId,
    );
    this.terminate(root);
    this.emit('instance.terminated', { processInstanceKey: i.processInstanceKey, endDate: this.nowIso });
    return true;
  }

  /** Throws an escalation; returns whether it was caught (uncaught escalations change nothing). */
  throwEscalation(from: ElementInstanceRecord, code: string | undefined): boolean {
    const target = this.findCatch(from, 'escalation', code);
    if (target) {
      this.triggerEvent(target.owner, target.eventId, {});
      return true;
    }
    // Not caught in a called process: the call activity in the parent gets the escalation; the
    // thrower goes on here (an interrupting catch in the parent then cancels this instance).
    const i = this.state.instance;
    if (!i.parentElementInstanceKey || this.state.elements.get(i.processInstanceKey)?.state !== 'ACTIVE')
      return false;
    this.emit(
      'call.escalation_thrown',
      { parentElementInstanceKey: i.parentElementInstanceKey, escalationCode: code ?? null },
      from.elementId,
    );
    return true;
  }

  // ---- joins ----------------------------------------------------------------------------

  joinArrivals(scopeKey: string, gatewayId: string): Record<string, number> {
    return this.state.instance.runtime.joins?.[scopeKey]?.[gatewayId] ?? {};
  }

  writeRuntime(mutate: (runtime: InstanceState['instance']['runtime']) => void): void {
    const runtime = structuredClone(this.state.instance.runtime);
    mutate(runtime);
    this.emit('instance.runtime_updated', { processInstanceKey: this.instanceKey, runtime });
  }

  private writeJoins(mutate: (joins: NonNullable<InstanceStateJoins>) => void): void {
    const joins = structuredClone(this.state.instance.runtime.joins ?? {});
    mutate(joins);
    for (const scope of Object.keys(joins)) {
      for (const gw of Object.keys(joins[scope]))
        if (Object.keys(joins[scope][gw]).length === 0) delete joins[scope][gw];
      if (Object.keys(joins[scope]).length === 0) delete joins[scope];
    }
    this.emit('instance.runtime_updated', {
      processInstanceKey: this.instanceKey,
      runtime: { ...this.state.instance.runtime, joins },
    });
  }

  private recordArrival(scopeKey: string, gatewayId: string, flowId: string): void {
    this.writeJoins((joins) => {
      joins[scopeKey] ??= {};
      joins[scopeKey][gatewayId] ??= {};
      joins[scopeKey][gatewayId][flowId] = (joins[scopeKey][gatewayId][flowId] ?? 0) + 1;
    });
  }

  /** Consumes one token per arrived incoming flow of the join and activates the gateway. */
  fireJoin(scopeKey: string, gatewayId: string): void {
    this.writeJoins((joins) => {
      const arrivals = joins[scopeKey]?.[gatewayId] ?? {};
      for (const flowId of Object.keys(arrivals)) {
        arrivals[flowId] -= 1;
        if (arrivals[flowId] <= 0) delete arrivals[flowId];
      }
    });
    this.activate(gatewayId, scopeKey);
  }

  hasPendingJoins(scopeKey: string): boolean {
    const joins = this.state.instance.runtime.joins?.[scopeKey];
    return !!joins && Object.keys(joins).length > 0;
  }

  /** Active element instances directly inside a scope. */
  activeChildren(scopeKey: string): ElementInstanceRecord[] {
    const out: ElementInstanceRecord[] = [];
    for (const el of this.state.elements.values())
      if (el.flowScopeKey === scopeKey && el.state === 'ACTIVE') out.push(el);
    return out;
  }

  // ---- incidents and termination --------------------------------------------------------

  createIncident(
    inst: ElementInstanceRecord,
    errorType: IncidentType,
    errorMessage: string,
    retryPhase: IncidentRecord['retryPhase'],
    jobKey: string | null = null,
  ): void {
    const i = this.state.instance;
    this.emit(
      'incident.created',
      {
        incident: {
          incidentKey: this.ctx.nextKey(),
          tenantId: i.tenantId,
          processInstanceKey: i.processInstanceKey,
          processDefinitionKey: i.processDefinitionKey,
          processDefinitionId: i.processDefinitionId,
          elementInstanceKey: inst.elementInstanceKey,
          elementId: inst.elementId,
          jobKey,
          errorType,
          errorMessage,
          state: 'ACTIVE',
          retryPhase,
          creationTime: this.nowIso,
        },
      },
      inst.elementId,
    );
  }

  resolveIncidentsOf(elementInstanceKey: string): void {
    for (const inc of this.state.incidents.values()) {
      if (inc.elementInstanceKey === elementInstanceKey && inc.state === 'ACTIVE') {
        this.emit(
          'incident.resolved',
          { incidentKey: inc.incidentKey, resolvedAt: this.nowIso },
          inc.elementId,
        );
      }
    }
  }

  /** Terminates an element instance and, for scopes, everything inside it. */
  terminate(inst: ElementInstanceRecord): void {
    if (inst.state !== 'ACTIVE') return;
    this.dropQueuedActivations(inst.elementInstanceKey);
    for (const child of this.activeChildren(inst.elementInstanceKey)) this.terminate(child);
    this.clearJoins(inst.elementInstanceKey);
    this.forgetMiItems(inst);
    const node = this.process.nodes.get(inst.elementId);
    if (node) behaviourFor(node.type).terminate?.(this, inst, node);
    this.cancelWaitsOf(inst);
    this.resolveIncidentsOf(inst.elementInstanceKey);
    this.emit(
      'element.terminated',
      { elementInstanceKey: inst.elementInstanceKey, elementId: inst.elementId, endDate: this.nowIso },
      inst.elementId,
    );
  }

  /** Cancels the user tasks and jobs an element instance waits on. */
  cancelWaitsOf(inst: ElementInstanceRecord, onlyEvents?: string[]): void {
    const mine = (elementId: string) => !onlyEvents || onlyEvents.includes(elementId);
    for (const sub of this.state.subscriptions.values()) {
      if (
        sub.elementInstanceKey === inst.elementInstanceKey &&
        sub.state === 'ACTIVE' &&
        mine(sub.elementId)
      ) {
        this.emit('subscription.closed', { subscriptionKey: sub.subscriptionKey }, sub.elementId);
      }
    }
    for (const task of this.state.userTasks.values()) {
      if (!onlyEvents && task.elementInstanceKey === inst.elementInstanceKey && task.state === 'CREATED') {
        this.emit(
          'task.canceled',
          { userTaskKey: task.userTaskKey, completionDate: this.nowIso },
          inst.elementId,
        );
      }
    }
    for (const job of this.state.jobs.values()) {
      if (
        job.kind !== 'SIGNAL' &&
        job.elementInstanceKey === inst.elementInstanceKey &&
        mine(job.elementId) &&
        ['CREATED', 'ACTIVATED', 'FAILED'].includes(job.state)
      ) {
        this.emit('job.canceled', { jobKey: job.jobKey, endDate: this.nowIso }, inst.elementId);
      }
    }
  }

  /** Tokens already on their way into a terminated scope never arrive. */
  private dropQueuedActivations(scopeKey: string): void {
    this.agenda = this.agenda.filter((s) => !(s.op === 'activate' && s.flowScopeKey === scopeKey));
  }

  clearJoins(scopeKey: string): void {
    if (this.hasPendingJoins(scopeKey)) this.writeJoins((joins) => delete joins[scopeKey]);
  }

  /** Terminates everything in a scope, then completes the scope (terminate end event). */
  terminateScope(scopeKey: string): void {
    this.dropQueuedActivations(scopeKey);
    for (const child of this.activeChildren(scopeKey)) this.terminate(child);
    this.clearJoins(scopeKey);
    this.dirtyScopes.add(scopeKey);
  }

  // ---- the loop ---------------------------------------------------------------------------

  /** Drains the agenda; turns IncidentSignals into incidents; completes scopes that ran empty. */
  async run(): Promise<void> {
    let steps = 0;
    for (;;) {
      while (this.agenda.length > 0) {
        const step = this.agenda.shift()!;
        // A model that loops without waiting (e.g. an error thrown back into its own handler)
        // must not hang the server: the command fails and nothing is written.
        if (++steps > MAX_STEPS_PER_COMMAND) {
          throw new Error(
            `process <${this.process.id}> ran ${MAX_STEPS_PER_COMMAND} steps without waiting; it loops`,
          );
        }
        await this.runStep(step);
      }
      if (!this.settleScopes()) break;
    }
  }

  private async runStep(step: Step): Promise<void> {
    let inst: ElementInstanceRecord;
    if (step.op === 'activate') {
      const node = this.node(step.nodeId);
      // A multi-instance activity is entered through its body, which spawns the instances.
      inst = this.createElementInstance(
        node.multiInstance ? { ...node, type: MI_BODY } : node,
        step.flowScopeKey,
      );
    } else {
      const found = this.state.elements.get(step.key);
      if (found?.state !== 'ACTIVE') return;
      inst = found;
    }
    try {
      if (step.op === 'complete') await this.runCompletion(inst);
      else await this.runActivation(inst);
    } catch (err) {
      if (err instanceof IncidentSignal) {
        this.createIncident(
          inst,
          err.incidentType,
          err.message,
          step.op === 'complete' ? 'COMPLETE' : 'ACTIVATE',
        );
      } else {
        throw err;
      }
    }
  }

  /**
   * Re-evaluates joins that wait on tokens which can no longer arrive, and completes scopes with
   * no active children and no waiting tokens. Returns true when it queued more work.
   */
  private settleScopes(): boolean {
    let queued = false;
    const scopes = [...this.dirtyScopes];
    this.dirtyScopes.clear();
    for (const scopeKey of scopes) {
      const joins = this.state.instance.runtime.joins?.[scopeKey];
      if (joins) {
        for (const gatewayId of Object.keys(joins)) {
          const gw = this.process.nodes.get(gatewayId);
          if (gw && behaviourFor(gw.type).canFireJoin?.(this, scopeKey, gw)) {
            this.fireJoin(scopeKey, gatewayId);
            queued = true;
          }
        }
      }
    }
    if (queued) {
      for (const s of scopes) this.dirtyScopes.add(s);
      return true;
    }
    for (const scopeKey of scopes) {
      const scope = this.state.elements.get(scopeKey);
      if (scope?.state !== 'ACTIVE' || scope.elementType === MI_BODY) continue;
      if (this.activeChildren(scopeKey).length > 0 || this.hasPendingJoins(scopeKey)) continue;
      if (scope.incidentKey) continue;
      this.complete(scope);
      queued = true;
    }
    return queued;
  }

  markScopeDirty(scopeKey: string): void {
    this.dirtyScopes.add(scopeKey);
  }
}

type InstanceStateJoins = InstanceState['instance']['runtime']['joins'];

/** Sets `a.b.c` style targets (names checked at deploy time), creating nested objects as needed. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let obj = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = Object.hasOwn(obj, parts[i]) ? obj[parts[i]] : undefined;
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      Object.defineProperty(obj, parts[i], {
        value: {},
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    obj = obj[parts[i]] as Record<string, unknown>;
  }
  Object.defineProperty(obj, parts[parts.length - 1], {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * All variables visible from a scope of an instance, the closest scope winning. Built with
 * Object.fromEntries so a variable named like a prototype key stays an ordinary property.
 */
export function visibleVariables(state: InstanceState, scopeKey: string): Record<string, unknown> {
  const entries: Array<[string, unknown]> = [];
  const chain: string[] = [];
  let key: string | undefined = scopeKey;
  while (key && key !== PROCESS_SCOPE) {
    chain.push(key);
    key = state.elements.get(key)?.flowScopeKey;
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const scope = state.variables.get(chain[i]);
    if (scope) for (const v of scope.values()) entries.push([v.name, v.value]);
  }
  return Object.fromEntries(entries);
}

export { PROCESS_SCOPE };

/**
 * Finds the catch event for a thrown error or escalation, from the thrower outwards: the
 * thrower's own boundary events, then at each enclosing scope its event sub-processes, then the
 * boundary events of the scope element, and so on up to the process. An event with the same
 * code wins over one that catches every code.
 */
export function findCatch(
  state: InstanceState,
  process: CompiledProcess,
  from: ElementInstanceRecord,
  kind: 'error' | 'escalation',
  code: string | undefined,
): { owner: ElementInstanceRecord; eventId: string } | null {
  const matches = (id: string) => {
    const ev = process.nodes.get(id)?.event;
    if (ev?.kind !== kind) return 0;
    const wanted =
      ev.kind === 'error' ? ev.errorCode : ev.kind === 'escalation' ? ev.escalationCode : undefined;
    if (wanted === undefined) return 1;
    return wanted === code ? 2 : 0;
  };
  const best = (ids: string[] | undefined) => {
    let found: string | undefined;
    let score = 0;
    for (const id of ids ?? []) {
      const m = matches(id);
      if (m > score) {
        score = m;
        found = id;
      }
    }
    return found;
  };
  let current: ElementInstanceRecord | undefined = from;
  while (current) {
    const currentNode = process.nodes.get(current.elementId);
    // The boundary events of a multi-instance activity belong to its body, not to each instance.
    const ownsBoundaries = !currentNode?.multiInstance || current.elementType === MI_BODY;
    const boundary = ownsBoundaries ? best(currentNode?.boundaries) : undefined;
    if (boundary) return { owner: current, eventId: boundary };
    const scope: ElementInstanceRecord | undefined = state.elements.get(current.flowScopeKey);
    if (scope?.state !== 'ACTIVE') return null;
    const interrupted = state.instance.runtime.interruptedScopes?.includes(scope.elementInstanceKey);
    const start = interrupted ? undefined : best(process.nodes.get(scope.elementId)?.eventSubProcessStarts);
    if (start) return { owner: scope, eventId: start };
    current = scope;
  }
  return null;
}
