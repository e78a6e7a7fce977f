/**
 * A small in-memory driver for engine-level tests: deploy BPMN XML, start instances, complete
 * user tasks and jobs by element id, fire timers, correlate messages and broadcast signals to the
 * instance's subscriptions, read state, collect events. No database, no HTTP, no clock: time and
 * keys are deterministic, as the engine expects them from its context.
 */
import {
  type Command,
  type CommandContext,
  type CompiledProcess,
  type CompileResult,
  compileBpmn,
  decide,
  type EngineEvent,
  type EngineEventType,
  type EngineServices,
  type EventSubscriptionRecord,
  type FlowNode,
  type Failure,
  type IncidentRecord,
  type InstanceState,
  isFailure,
  type JobRecord,
  newInstanceState,
  type UserTaskRecord,
} from '../../engine/index.js';

// ---- deploy ---------------------------------------------------------------------------------

/** Compiles BPMN XML exactly as a deployment would. */
export function deploy(xml: string): Promise<CompileResult> {
  return compileBpmn(xml);
}

/** Compiles and returns the processes, failing loudly (with every problem) if the model is rejected. */
export async function deployOk(xml: string): Promise<CompiledProcess[]> {
  const result = await compileBpmn(xml);
  if (result.errors.length > 0 || result.processes.length === 0) {
    const list = result.errors.map((e) => `  [${e.rule}] <${e.elementId}> ${e.message}`).join('\n');
    throw new Error(`expected the model to compile, but it was rejected:\n${list}`);
  }
  return result.processes;
}

/** Compiles and returns the one process with this id (or the only process). */
export async function deployProcess(xml: string, processId?: string): Promise<CompiledProcess> {
  const processes = await deployOk(xml);
  const found = processId
    ? processes.find((p) => p.id === processId)
    : processes.length === 1
      ? processes[0]
      : undefined;
  if (!found)
    throw new Error(
      `expected process <${processId ?? '(single)'}> among ${processes.map((p) => `<${p.id}>`).join(', ')}`,
    );
  return found;
}

// ---- run ------------------------------------------------------------------------------------

export interface DriverOptions {
  /** Fixed engine time; advance it with `advance(ms)`. */
  now?: Date;
  tenantId?: string;
  actor?: string | null;
  businessKey?: string | null;
  services?: Partial<EngineServices>;
  /** Start at this start event (a timer start, as the runtime does) instead of the none start event. */
  startElementId?: string;
  /** Key source shared by several instances (`DeploymentDriver`): keys stay unique and ordered. */
  nextKey?: () => string;
  /** The call activity instance this instance was created for (a called process). */
  parent?: { processInstanceKey: string; elementInstanceKey: string };
}

const DEFAULT_NOW = new Date('2025-01-01T08:00:00.000Z');

function keyGenerator(): () => string {
  // Keys are 64-bit integers serialised as decimal strings, like Zeebe's.
  let next = 2251799813685248n;
  return () => String(++next);
}

const defaultServices: EngineServices = {
  async resolveForm(_tenantId, formId) {
    return { formKey: `form-key-${formId}`, formId };
  },
  async evaluateRuleSet(_tenantId, ruleSetId) {
    throw new Error(`no rule set <${ruleSetId}> in the test driver`);
  },
};

export type CommandResult =
  | { ok: true; events: EngineEvent[] }
  | { ok: false; failure: Failure; stateUnchanged: boolean };

/** One process instance, driven command by command. */
export class InstanceDriver {
  /** Every event of every successful command, in order. */
  readonly events: EngineEvent[] = [];
  /** The events of the last successful command. */
  lastEvents: EngineEvent[] = [];
  private now: Date;
  private readonly nextKey: () => string;
  private readonly services: EngineServices;
  /** Set by a `DeploymentDriver`: runs the runtime's cross-instance work after every command. */
  afterCommand?: () => Promise<void>;
  /** SIGNAL jobs `deliverSignalJobs` has broadcast already (the runtime marks them COMPLETED). */
  private readonly deliveredSignalJobs = new Set<string>();

  /** The instance's state; `send` replaces it after every command. */
  state!: InstanceState;

  private constructor(
    readonly process: CompiledProcess,
    private readonly options: DriverOptions,
  ) {
    this.now = options.now ?? DEFAULT_NOW;
    this.nextKey = options.nextKey ?? keyGenerator();
    this.services = { ...defaultServices, ...options.services };
  }

  /** Creates an instance and runs it until every token waits (or it ends). Throws on a failure value. */
  static async start(
    process: CompiledProcess,
    variables: Record<string, unknown> = {},
    options: DriverOptions = {},
  ): Promise<InstanceDriver> {
    const { driver, result } = await InstanceDriver.tryStart(process, variables, options);
    if (!result.ok)
      throw new Error(`instance.create failed: ${result.failure.code} ${result.failure.message}`);
    return driver;
  }

  /** Like `start`, but hands back the result of `instance.create` instead of throwing on a failure. */
  static async tryStart(
    process: CompiledProcess,
    variables: Record<string, unknown> = {},
    options: DriverOptions = {},
  ): Promise<{ driver: InstanceDriver; result: CommandResult }> {
    const command: Extract<Command, { type: 'instance.create' }> = {
      type: 'instance.create',
      tenantId: options.tenantId ?? '<default>',
      processDefinitionKey: '2251799813600001',
      processDefinitionId: process.id,
      processDefinitionVersion: 1,
      variables,
      businessKey: options.businessKey ?? null,
      ...(options.parent
        ? {
            parentProcessInstanceKey: options.parent.processInstanceKey,
            parentElementInstanceKey: options.parent.elementInstanceKey,
          }
        : {}),
      ...(options.startElementId ? { startElementId: options.startElementId } : {}),
    };
    const driver = new InstanceDriver(process, options);
    driver.state = newInstanceState(command, driver.context());
    const result = await driver.send(command);
    return { driver, result };
  }

  context(): CommandContext {
    return {
      now: this.now,
      nextKey: this.nextKey,
      actor: this.options.actor ?? 'tester',
      process: this.process,
      services: this.services,
    };
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  /** The driver's clock: the `now` of the next command. */
  get clock(): Date {
    return new Date(this.now.getTime());
  }

  /** Sets the clock; it never goes back (a timer due in the past fires at the current time). */
  private moveClockTo(at: Date): void {
    if (at.getTime() > this.now.getTime()) this.now = new Date(at.getTime());
  }

  /**
   * Decides one command. On a failure value the state is restored from a snapshot, and
   * `stateUnchanged` tells whether the engine kept its promise of applying nothing.
   */
  async send(command: Command): Promise<CommandResult> {
    const snapshot = structuredClone(this.state);
    const decision = await decide(this.state, command, this.context());
    if (isFailure(decision)) {
      const stateUnchanged = sameState(this.state, snapshot);
      this.state = snapshot;
      return { ok: false, failure: decision, stateUnchanged };
    }
    this.state = decision.state;
    this.lastEvents = decision.events;
    this.events.push(...decision.events);
    await this.afterCommand?.();
    return { ok: true, events: decision.events };
  }

  /** Decides a command that must succeed; returns its events. */
  async must(command: Command): Promise<EngineEvent[]> {
    const result = await this.send(command);
    if (!result.ok)
      throw new Error(`${command.type} failed: ${result.failure.code} ${result.failure.message}`);
    return result.events;
  }

  // ---- commands by element id ----

  completeTask(elementId: string, variables: Record<string, unknown> = {}) {
    return this.must({ type: 'task.complete', userTaskKey: this.openTask(elementId).userTaskKey, variables });
  }

  completeJob(elementId: string, variables: Record<string, unknown> = {}) {
    return this.must({ type: 'job.complete', jobKey: this.openJob(elementId).jobKey, variables });
  }

  failJob(
    elementId: string,
    retries: number,
    errorMessage: string | null = null,
    variables: Record<string, unknown> = {},
  ) {
    return this.must({
      type: 'job.fail',
      jobKey: this.openJob(elementId).jobKey,
      retries,
      errorMessage,
      retryBackOffMs: 0,
      variables,
    });
  }

  throwJobError(
    elementId: string,
    errorCode: string,
    errorMessage: string | null = null,
    variables: Record<string, unknown> = {},
  ) {
    return this.must({
      type: 'job.throw_error',
      jobKey: this.openJob(elementId).jobKey,
      errorCode,
      errorMessage,
      variables,
    });
  }

  // ---- call activities (the runtime's part, emulated) ----

  /**
   * The one ACTIVE instance of a call activity that waits for its child (not its multi-instance
   * body): the runtime creates the child on `call.requested` and reports back with
   * `call.complete` / `call.fail`.
   */
  waitingCall(elementId: string) {
    const calls = [...this.state.elements.values()].filter(
      (e) => e.elementId === elementId && e.state === 'ACTIVE' && e.elementType === 'bpmn:CallActivity',
    );
    if (calls.length !== 1)
      throw new Error(`expected one waiting call activity <${elementId}>, found ${calls.length}`);
    return calls[0];
  }

  /** Completes the child of a call activity as the runtime does when the child completes. */
  completeCall(elementId: string, variables: Record<string, unknown> = {}, elementInstanceKey?: string) {
    return this.must({
      type: 'call.complete',
      elementInstanceKey: elementInstanceKey ?? this.waitingCall(elementId).elementInstanceKey,
      variables,
    });
  }

  /** Reports that the child of a call activity could not be created (CALLED_ELEMENT_ERROR). */
  failCall(elementId: string, message: string) {
    return this.must({
      type: 'call.fail',
      elementInstanceKey: this.waitingCall(elementId).elementInstanceKey,
      message,
    });
  }

  /**
   * Fires the one waiting timer of an event element as the job executor would: the clock moves to
   * the timer's due time (never backwards), then `timer.trigger` runs. Returns its events.
   */
  fireTimer(elementId: string) {
    return this.fireTimerJob(this.openTimer(elementId));
  }

  /** Fires one timer job (see `fireTimer`). */
  fireTimerJob(job: JobRecord) {
    this.moveClockTo(new Date(job.dueAt));
    return this.must({ type: 'timer.trigger', jobKey: job.jobKey });
  }

  /**
   * Advances the clock by `ms`, firing every timer that falls due on the way in due order (earliest
   * first; timers created by a firing, such as the next occurrence of a cycle, take part), each at
   * its own due time. Returns the fired timers in order.
   */
  async advanceAndFire(ms: number): Promise<JobRecord[]> {
    const until = this.now.getTime() + ms;
    const fired: JobRecord[] = [];
    for (;;) {
      const due = this.openTimers()
        .filter((j) => Date.parse(j.dueAt) <= until)
        .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || compareKeys(a.jobKey, b.jobKey));
      if (due.length === 0 || this.status !== 'ACTIVE') break;
      fired.push({ ...due[0] });
      await this.fireTimerJob(due[0]);
      if (fired.length > 10_000)
        throw new Error('advanceAndFire: more than 10000 timers fired; a runaway cycle?');
    }
    this.moveClockTo(new Date(until));
    return fired;
  }

  // ---- messages and signals ----

  /** Triggers one subscription as the runtime does when a message or signal reaches it. */
  triggerSubscription(subscriptionKey: string, variables: Record<string, unknown> = {}) {
    return this.must({ type: 'subscription.trigger', subscriptionKey, variables });
  }

  /**
   * Correlates a message to this instance as `POST /v2/messages/correlation` would: the oldest
   * ACTIVE MESSAGE subscription with this name and correlation key is triggered. Returns its
   * events, or undefined when no subscription matches (the runtime answers 404).
   */
  async tryCorrelate(
    messageName: string,
    correlationKey: string | null,
    variables: Record<string, unknown> = {},
  ): Promise<EngineEvent[] | undefined> {
    const sub = this.openSubscriptions().find(
      (s) => s.kind === 'MESSAGE' && s.name === messageName && s.correlationKey === correlationKey,
    );
    return sub ? this.triggerSubscription(sub.subscriptionKey, variables) : undefined;
  }

  /** Like `tryCorrelate`, but a message nobody waits for is an error that lists who waits. */
  async correlate(
    messageName: string,
    correlationKey: string | null,
    variables: Record<string, unknown> = {},
  ): Promise<EngineEvent[]> {
    const events = await this.tryCorrelate(messageName, correlationKey, variables);
    if (events) return events;
    const waiting = this.openSubscriptions()
      .filter((s) => s.kind === 'MESSAGE')
      .map((s) => `<${s.elementId}> '${s.name}'/${JSON.stringify(s.correlationKey)}`);
    throw new Error(
      `expected a subscription for message '${messageName}' with correlation key ${JSON.stringify(
        correlationKey,
      )}; waiting: ${waiting.join(', ') || 'none'}`,
    );
  }

  /**
   * Broadcasts a signal to this instance as `POST /v2/signals/broadcast` would: every SIGNAL
   * subscription with this name that is ACTIVE now is triggered, oldest first (one that closes
   * because of an earlier trigger is skipped; one opened by a trigger does not receive this
   * broadcast). `openedBefore` limits the broadcast to subscriptions with a smaller key, i.e.
   * opened before the command that created that key. Returns the triggered subscriptions.
   */
  async signal(
    name: string,
    variables: Record<string, unknown> = {},
    { openedBefore }: { openedBefore?: string } = {},
  ): Promise<EventSubscriptionRecord[]> {
    const targets = this.openSubscriptions().filter(
      (s) =>
        s.kind === 'SIGNAL' &&
        s.name === name &&
        (openedBefore === undefined || compareKeys(s.subscriptionKey, openedBefore) < 0),
    );
    const triggered: EventSubscriptionRecord[] = [];
    for (const target of targets) {
      if (this.state.subscriptions.get(target.subscriptionKey)?.state !== 'ACTIVE') continue;
      if (this.status !== 'ACTIVE') break;
      triggered.push({ ...target });
      await this.triggerSubscription(target.subscriptionKey, variables);
    }
    return triggered;
  }

  /**
   * Delivers the SIGNAL jobs this instance threw to this instance, as the runtime's executor does
   * across instances: each job not delivered yet (creation order, including jobs thrown by an
   * earlier delivery) is broadcast with its name and variables to the subscriptions that were open
   * when it was thrown (Camunda 8: the broadcast is a follow-up of the throw, so a catch event the
   * same command opens later does not receive it). Returns the delivered jobs.
   */
  async deliverSignalJobs(): Promise<JobRecord[]> {
    const delivered: JobRecord[] = [];
    for (;;) {
      const next = this.signalJobs().find((j) => !this.deliveredSignalJobs.has(j.jobKey));
      if (!next || this.status !== 'ACTIVE') break;
      this.deliveredSignalJobs.add(next.jobKey);
      delivered.push({ ...next });
      const variables = JSON.parse(String(next.customHeaders.variables ?? '{}'));
      await this.signal(next.type, variables, { openedBefore: next.jobKey });
    }
    return delivered;
  }

  resolveIncident(incidentKey: string) {
    return this.must({ type: 'incident.resolve', incidentKey });
  }

  cancel() {
    return this.must({ type: 'instance.cancel' });
  }

  // ---- reading state ----

  get status() {
    return this.state.instance.state;
  }

  get processInstanceKey() {
    return this.state.instance.processInstanceKey;
  }

  openTasks(): UserTaskRecord[] {
    return [...this.state.userTasks.values()].filter((t) => t.state === 'CREATED');
  }

  openTask(elementId: string): UserTaskRecord {
    const tasks = this.openTasks().filter((t) => t.elementId === elementId);
    if (tasks.length !== 1) {
      throw new Error(
        `expected one open user task <${elementId}>, found ${tasks.length}; open: ${
          this.openTasks()
            .map((t) => `<${t.elementId}>`)
            .join(', ') || 'none'
        }`,
      );
    }
    return tasks[0];
  }

  tasks(elementId?: string): UserTaskRecord[] {
    return [...this.state.userTasks.values()].filter((t) => !elementId || t.elementId === elementId);
  }

  /**
   * Open jobs for workers (timers are listed by `openTimers`, signal broadcasts by `signalJobs`).
   */
  openJobs(): JobRecord[] {
    return [...this.state.jobs.values()].filter(
      (j) => j.kind === 'BPMN_ELEMENT' && (j.state === 'CREATED' || j.state === 'ACTIVATED'),
    );
  }

  /** Signal broadcasts thrown by signal throw and end events (of one element, or all), in creation order. */
  signalJobs(elementId?: string): JobRecord[] {
    return [...this.state.jobs.values()]
      .filter((j) => j.kind === 'SIGNAL' && (!elementId || j.elementId === elementId))
      .sort((a, b) => compareKeys(a.jobKey, b.jobKey));
  }

  /** Every message and signal subscription (of one event element, or all), in creation order. */
  subscriptions(elementId?: string): EventSubscriptionRecord[] {
    return [...this.state.subscriptions.values()]
      .filter((s) => !elementId || s.elementId === elementId)
      .sort((a, b) => compareKeys(a.subscriptionKey, b.subscriptionKey));
  }

  /** ACTIVE subscriptions (of one event element, or all), in creation order. */
  openSubscriptions(elementId?: string): EventSubscriptionRecord[] {
    return this.subscriptions(elementId).filter((s) => s.state === 'ACTIVE');
  }

  /** The one ACTIVE subscription of an event element. */
  openSubscription(elementId: string): EventSubscriptionRecord {
    const subs = this.openSubscriptions(elementId);
    if (subs.length !== 1) {
      throw new Error(
        `expected one open subscription <${elementId}>, found ${subs.length}; open: ${
          this.openSubscriptions()
            .map((s) => `<${s.elementId}> ${s.kind} '${s.name}'`)
            .join(', ') || 'none'
        }`,
      );
    }
    return subs[0];
  }

  /** Timers waiting to fire (of one event element, or all), in due order. */
  openTimers(elementId?: string): JobRecord[] {
    return [...this.state.jobs.values()]
      .filter((j) => j.kind === 'TIMER' && j.state === 'CREATED' && (!elementId || j.elementId === elementId))
      .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || compareKeys(a.jobKey, b.jobKey));
  }

  openTimer(elementId: string): JobRecord {
    const timers = this.openTimers(elementId);
    if (timers.length !== 1) {
      throw new Error(
        `expected one waiting timer <${elementId}>, found ${timers.length}; waiting: ${
          this.openTimers()
            .map((j) => `<${j.elementId}> at ${j.dueAt}`)
            .join(', ') || 'none'
        }`,
      );
    }
    return timers[0];
  }

  /** Every timer ever created (of one event element, or all), in creation order. */
  timers(elementId?: string): JobRecord[] {
    return [...this.state.jobs.values()]
      .filter((j) => j.kind === 'TIMER' && (!elementId || j.elementId === elementId))
      .sort((a, b) => compareKeys(a.jobKey, b.jobKey));
  }

  openJob(elementId: string): JobRecord {
    const jobs = this.openJobs().filter((j) => j.elementId === elementId);
    if (jobs.length !== 1) {
      throw new Error(
        `expected one open job <${elementId}>, found ${jobs.length}; open: ${
          this.openJobs()
            .map((j) => `<${j.elementId}>`)
            .join(', ') || 'none'
        }`,
      );
    }
    return jobs[0];
  }

  jobs(elementId?: string): JobRecord[] {
    return [...this.state.jobs.values()].filter((j) => !elementId || j.elementId === elementId);
  }

  incidents(): IncidentRecord[] {
    return [...this.state.incidents.values()];
  }

  activeIncidents(): IncidentRecord[] {
    return this.incidents().filter((i) => i.state === 'ACTIVE');
  }

  /** Ids of active element instances, excluding the process itself. */
  activeElementIds(): string[] {
    return [...this.state.elements.values()]
      .filter((e) => e.state === 'ACTIVE' && e.elementInstanceKey !== this.processInstanceKey)
      .map((e) => e.elementId)
      .sort();
  }

  eventsOfType<K extends EngineEventType>(type: K): Extract<EngineEvent, { type: K }>[] {
    return this.events.filter((e): e is Extract<EngineEvent, { type: K }> => e.type === type);
  }

  /** Element ids in the order they completed. */
  completedElements(): string[] {
    return this.eventsOfType('element.completed').map((e) => e.elementId);
  }

  count(type: 'element.activated' | 'element.completed' | 'element.terminated', elementId: string): number {
    return this.events.filter((e) => e.type === type && e.elementId === elementId).length;
  }

  takenFlows(): string[] {
    return this.eventsOfType('flow.taken').map((e) => e.flowId);
  }

  /** Variables of one scope (the process instance by default), as a plain object. */
  variables(scopeKey: string = this.processInstanceKey): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const v of this.state.variables.get(scopeKey)?.values() ?? []) out[v.name] = v.value;
    return out;
  }

  /** The element instance key of the (last activated) instance of an element. */
  elementInstanceKey(elementId: string): string {
    const found = [...this.state.elements.values()].filter((e) => e.elementId === elementId);
    if (found.length === 0) throw new Error(`element <${elementId}> was never activated`);
    return found[found.length - 1].elementInstanceKey;
  }

  /** Tokens waiting at a join gateway, per incoming flow, summed over scopes. */
  joinArrivals(gatewayId: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const perGateway of Object.values(this.state.instance.runtime.joins ?? {})) {
      for (const [flowId, n] of Object.entries(perGateway[gatewayId] ?? {}))
        out[flowId] = (out[flowId] ?? 0) + n;
    }
    return out;
  }
}

/**
 * Several instances of the processes of one deployment, with the runtime's cross-instance work
 * emulated after every command (as the runtime does it in the same transaction, or its executor
 * right after): a call activity's `call.requested` creates the child instance (a process of the
 * deployment that is missing is a `call.fail`), a completed child completes its call activity with
 * the child's root variables, an error or escalation a child did not catch goes to its call activity
 * (`call.throw_error` / `call.throw_escalation`), a terminated call activity cancels its child; and
 * every SIGNAL job thrown is broadcast once, in creation order, to every instance's signal
 * subscriptions open when it was thrown and to the signal start events of the deployment's processes
 * (each starts a new instance). Messages are published with `publish`. Keys come from one source,
 * so they are unique and ordered across instances.
 */
export class DeploymentDriver {
  /** Every instance, in creation order. */
  readonly instances: InstanceDriver[] = [];
  private readonly nextKey = keyGenerator();
  private readonly seen = new Map<InstanceDriver, number>();
  private readonly broadcast = new Set<string>();
  private settling = false;

  constructor(
    readonly processes: CompiledProcess[],
    private readonly options: DriverOptions = {},
  ) {}

  process(processId: string): CompiledProcess {
    const found = this.processes.find((p) => p.id === processId);
    if (!found) throw new Error(`no process <${processId}> in the deployment`);
    return found;
  }

  /** Starts an instance (at its none start event, or `options.startElementId`) and settles. */
  async start(
    processId: string,
    variables: Record<string, unknown> = {},
    options: Pick<DriverOptions, 'startElementId' | 'businessKey'> = {},
  ): Promise<InstanceDriver> {
    const inst = await this.create(this.process(processId), variables, options);
    await this.settle();
    return inst;
  }

  /** The instances of one process, in creation order. */
  instancesOf(processId: string): InstanceDriver[] {
    return this.instances.filter((i) => i.process.id === processId);
  }

  /** The child instances called by (any instance of) a call activity of `parent`, in creation order. */
  childrenOf(parent: InstanceDriver, callActivityId?: string): InstanceDriver[] {
    return this.instances.filter((i) => {
      const key = i.state.instance.parentElementInstanceKey;
      const el = key ? parent.state.elements.get(key) : undefined;
      return !!el && (!callActivityId || el.elementId === callActivityId);
    });
  }

  /**
   * Publishes a message as `POST /v2/messages/publication` would: it is correlated to every
   * instance that waits for it (name and correlation key; the oldest subscription of each), and
   * starts an instance of every process with a message start event of that name. Returns the
   * instances it reached, correlated first, then started.
   */
  async publish(
    messageName: string,
    correlationKey: string | null,
    variables: Record<string, unknown> = {},
  ): Promise<InstanceDriver[]> {
    const reached: InstanceDriver[] = [];
    for (const inst of [...this.instances]) {
      if (inst.status !== 'ACTIVE') continue;
      if (await inst.tryCorrelate(messageName, correlationKey, variables)) reached.push(inst);
    }
    for (const p of this.processes) {
      for (const start of processStarts(p, (e) => e.kind === 'message' && e.messageName === messageName))
        reached.push(await this.create(p, variables, { startElementId: start }));
    }
    await this.settle();
    return reached;
  }

  private async create(
    process: CompiledProcess,
    variables: Record<string, unknown>,
    options: DriverOptions,
  ): Promise<InstanceDriver> {
    const inst = await InstanceDriver.start(process, variables, {
      ...this.options,
      ...options,
      nextKey: this.nextKey,
    });
    inst.afterCommand = () => this.settle();
    this.instances.push(inst);
    return inst;
  }

  private byKey(processInstanceKey: string | null): InstanceDriver | undefined {
    return this.instances.find((i) => i.processInstanceKey === processInstanceKey);
  }

  /** Does the cross-instance work until there is none left (re-entrant calls return at once). */
  async settle(): Promise<void> {
    if (this.settling) return;
    this.settling = true;
    try {
      for (let progress = true; progress; ) {
        progress = false;
        for (const inst of [...this.instances]) {
          const from = this.seen.get(inst) ?? 0;
          if (from === inst.events.length) continue;
          progress = true;
          const events = inst.events.slice(from);
          this.seen.set(inst, inst.events.length);
          for (const e of events) await this.follow(inst, e);
        }
        for (const inst of [...this.instances]) {
          for (const job of inst.signalJobs()) {
            if (this.broadcast.has(job.jobKey)) continue;
            this.broadcast.add(job.jobKey);
            progress = true;
            await this.broadcastSignal(job);
          }
        }
      }
    } finally {
      this.settling = false;
    }
  }

  private async follow(inst: InstanceDriver, e: EngineEvent): Promise<void> {
    const parent = this.byKey(inst.state.instance.parentProcessInstanceKey);
    if (e.type === 'call.requested') {
      const called = this.processes.find((p) => p.id === e.processId);
      if (!called) {
        await inst.must({
          type: 'call.fail',
          elementInstanceKey: e.elementInstanceKey,
          message: `expected a deployed process <${e.processId}> to call, but found none`,
        });
        return;
      }
      await this.create(called, e.variables, {
        parent: { processInstanceKey: inst.processInstanceKey, elementInstanceKey: e.elementInstanceKey },
      });
    } else if (e.type === 'call.error_thrown' && parent) {
      await parent.must({
        type: 'call.throw_error',
        elementInstanceKey: e.parentElementInstanceKey,
        errorCode: e.errorCode,
        variables: e.variables,
      });
    } else if (e.type === 'call.escalation_thrown' && parent) {
      await parent.must({
        type: 'call.throw_escalation',
        elementInstanceKey: e.parentElementInstanceKey,
        escalationCode: e.escalationCode,
      });
    } else if (e.type === 'call.terminated') {
      const child = this.instances.find(
        (i) => i.state.instance.parentElementInstanceKey === e.elementInstanceKey && i.status === 'ACTIVE',
      );
      if (child) await child.cancel();
    } else if (
      e.type === 'instance.completed' &&
      parent &&
      e.processInstanceKey === inst.processInstanceKey
    ) {
      const callKey = inst.state.instance.parentElementInstanceKey!;
      if (parent.state.elements.get(callKey)?.state !== 'ACTIVE') return;
      await parent.completeCall('', inst.variables(), callKey);
    }
  }

  /** One SIGNAL job: to the subscriptions open when it was thrown, then to signal start events. */
  private async broadcastSignal(job: JobRecord): Promise<void> {
    const variables = JSON.parse(String(job.customHeaders.variables ?? '{}'));
    for (const inst of [...this.instances]) {
      if (inst.status === 'ACTIVE') await inst.signal(job.type, variables, { openedBefore: job.jobKey });
    }
    for (const p of this.processes) {
      for (const start of processStarts(p, (e) => e.kind === 'signal' && e.signalName === job.type))
        await this.create(p, variables, { startElementId: start });
    }
  }
}

/** Ids of the start events of the process itself (not of its event sub-processes) matching `match`. */
function processStarts(
  process: CompiledProcess,
  match: (e: NonNullable<FlowNode['event']>) => boolean,
): string[] {
  return [...process.nodes.values()]
    .filter((n) => n.type === 'bpmn:StartEvent' && n.scopeId === process.id && n.event && match(n.event))
    .map((n) => n.id);
}

/** Keys are decimal strings of 64-bit integers: compare them as numbers. */
function compareKeys(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function sameState(a: InstanceState, b: InstanceState): boolean {
  const plain = (s: InstanceState) =>
    JSON.stringify({
      instance: s.instance,
      elements: [...s.elements.entries()],
      variables: [...s.variables.entries()].map(([k, m]) => [k, [...m.entries()]]),
      userTasks: [...s.userTasks.entries()],
      jobs: [...s.jobs.entries()],
      incidents: [...s.incidents.entries()],
      subscriptions: [...(s.subscriptions?.entries() ?? [])],
    });
  return plain(a) === plain(b);
}

/** Starts an instance of a freshly compiled model. */
export async function startInstance(
  xml: string,
  variables: Record<string, unknown> = {},
  options: DriverOptions & { processId?: string } = {},
) {
  const process = await deployProcess(xml, options.processId);
  return InstanceDriver.start(process, variables, options);
}

// ---- a tiny BPMN builder for hand-written test models -----------------------------------------

export interface NodeSpec {
  /** Element name without prefix, e.g. `userTask`, `exclusiveGateway`. */
  tag: string;
  id: string;
  attrs?: Record<string, string>;
  /** Content of <bpmn:extensionElements> (zeebe:* elements). */
  ext?: string;
  /** Extra content after incoming/outgoing (event definitions, ...). */
  body?: string;
  /** For sub-processes: the scope inside. */
  scope?: ScopeSpec;
}

/** [id, source, target, FEEL condition?] */
export type FlowSpec = [string, string, string, string?];

export interface ScopeSpec {
  nodes: NodeSpec[];
  flows: FlowSpec[];
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function renderScope(scope: ScopeSpec): string {
  const nodes = scope.nodes.map((n) => {
    const attrs = Object.entries(n.attrs ?? {})
      .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
      .join('');
    const ext = n.ext ? `<bpmn:extensionElements>${n.ext}</bpmn:extensionElements>` : '';
    const incoming = scope.flows
      .filter((f) => f[2] === n.id)
      .map((f) => `<bpmn:incoming>${f[0]}</bpmn:incoming>`);
    const outgoing = scope.flows
      .filter((f) => f[1] === n.id)
      .map((f) => `<bpmn:outgoing>${f[0]}</bpmn:outgoing>`);
    const inner = n.scope ? renderScope(n.scope) : '';
    return `<bpmn:${n.tag} id="${n.id}"${attrs}>${ext}${incoming.join('')}${outgoing.join('')}${n.body ?? ''}${inner}</bpmn:${n.tag}>`;
  });
  const flows = scope.flows.map(([id, source, target, condition]) => {
    const cond = condition
      ? `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${escapeXml(condition)}</bpmn:conditionExpression>`
      : '';
    return `<bpmn:sequenceFlow id="${id}" sourceRef="${source}" targetRef="${target}">${cond}</bpmn:sequenceFlow>`;
  });
  return [...nodes, ...flows].join('\n    ');
}

/**
 * A definitions document with one executable process built from nodes and flows; `roots` are
 * further root elements (bpmn:message, bpmn:signal: see `messageElement`, `signalElement`).
 */
export function bpmnProcess(processId: string, scope: ScopeSpec, roots: string[] = []): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_${processId}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${processId}" isExecutable="true">
    ${renderScope(scope)}
  </bpmn:process>
  ${roots.join('\n  ')}
</bpmn:definitions>`;
}

/**
 * A bpmn:message root element; a correlation key (FEEL `=...` or static) adds the
 * zeebe:subscription that catch events, boundary events and receive tasks need.
 */
export function messageElement(id: string, name: string, correlationKey?: string): string {
  const ext =
    correlationKey === undefined
      ? ''
      : `<bpmn:extensionElements><zeebe:subscription correlationKey="${escapeXml(correlationKey)}" /></bpmn:extensionElements>`;
  return `<bpmn:message id="${id}" name="${escapeXml(name)}">${ext}</bpmn:message>`;
}

/** A bpmn:error root element (no code: an error without errorCode). */
export function errorElement(id: string, errorCode?: string): string {
  return `<bpmn:error id="${id}" name="${id}"${errorCode === undefined ? '' : ` errorCode="${escapeXml(errorCode)}"`} />`;
}

/** A bpmn:escalation root element. */
export function escalationElement(id: string, escalationCode?: string): string {
  return `<bpmn:escalation id="${id}" name="${id}"${escalationCode === undefined ? '' : ` escalationCode="${escalationCode}"`} />`;
}

/** A bpmn:signal root element. */
export function signalElement(id: string, name: string): string {
  return `<bpmn:signal id="${id}" name="${escapeXml(name)}" />`;
}

const messageDef = (messageRef: string) => `<bpmn:messageEventDefinition messageRef="${messageRef}" />`;
const signalDef = (signalRef: string) => `<bpmn:signalEventDefinition signalRef="${signalRef}" />`;
const errorDef = (errorRef?: string) =>
  errorRef ? `<bpmn:errorEventDefinition errorRef="${errorRef}" />` : '<bpmn:errorEventDefinition />';
const escalationDef = (escalationRef?: string) =>
  escalationRef
    ? `<bpmn:escalationEventDefinition escalationRef="${escalationRef}" />`
    : '<bpmn:escalationEventDefinition />';
const linkDef = (name: string) => `<bpmn:linkEventDefinition name="${name}" />`;
const boundaryAttrs = (attachedTo: string, interrupting: boolean) => ({
  attachedToRef: attachedTo,
  ...(interrupting ? {} : { cancelActivity: 'false' }),
});
const startAttrs = (interrupting: boolean): Record<string, string> =>
  interrupting ? {} : { isInterrupting: 'false' };

/** Shorthands for the nodes most tests need. */
export const node = {
  start: (id: string): NodeSpec => ({ tag: 'startEvent', id }),
  end: (id: string): NodeSpec => ({ tag: 'endEvent', id }),
  terminateEnd: (id: string): NodeSpec => ({
    tag: 'endEvent',
    id,
    body: '<bpmn:terminateEventDefinition />',
  }),
  userTask: (id: string, ext = ''): NodeSpec => ({ tag: 'userTask', id, ext: `<zeebe:userTask />${ext}` }),
  serviceTask: (id: string, type = id, ext = ''): NodeSpec => ({
    tag: 'serviceTask',
    id,
    ext: `<zeebe:taskDefinition type="${type}" />${ext}`,
  }),
  scriptTask: (id: string, expression: string, resultVariable: string, ext = ''): NodeSpec => ({
    tag: 'scriptTask',
    id,
    ext: `<zeebe:script expression="${escapeXml(expression)}" resultVariable="${resultVariable}" />${ext}`,
  }),
  task: (id: string): NodeSpec => ({ tag: 'task', id }),
  manualTask: (id: string): NodeSpec => ({ tag: 'manualTask', id }),
  exclusive: (id: string, defaultFlow?: string): NodeSpec => ({
    tag: 'exclusiveGateway',
    id,
    attrs: defaultFlow ? { default: defaultFlow } : {},
  }),
  inclusive: (id: string, defaultFlow?: string): NodeSpec => ({
    tag: 'inclusiveGateway',
    id,
    attrs: defaultFlow ? { default: defaultFlow } : {},
  }),
  parallel: (id: string): NodeSpec => ({ tag: 'parallelGateway', id }),
  subProcess: (id: string, scope: ScopeSpec, ext = ''): NodeSpec => ({
    tag: 'subProcess',
    id,
    scope,
    ext: ext || undefined,
  }),
  /** An event sub-process (`triggeredByEvent`); its start event carries the trigger. */
  eventSubProcess: (id: string, scope: ScopeSpec): NodeSpec => ({
    tag: 'subProcess',
    id,
    attrs: { triggeredByEvent: 'true' },
    scope,
  }),
  /** An intermediate timer catch event. */
  timerCatch: (id: string, kind: TimerKind, expression: string): NodeSpec => ({
    tag: 'intermediateCatchEvent',
    id,
    body: timerDefinition(kind, expression),
  }),
  /** A timer boundary event on `attachedTo`; `interrupting: false` sets cancelActivity="false". */
  timerBoundary: (
    id: string,
    attachedTo: string,
    kind: TimerKind,
    expression: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({
    tag: 'boundaryEvent',
    id,
    attrs: { attachedToRef: attachedTo, ...(interrupting ? {} : { cancelActivity: 'false' }) },
    body: timerDefinition(kind, expression),
  }),
  /**
   * A timer start event: of the process, or of an event sub-process (where `interrupting: false`
   * sets isInterrupting="false").
   */
  timerStart: (
    id: string,
    kind: TimerKind,
    expression: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({
    tag: 'startEvent',
    id,
    attrs: interrupting ? {} : { isInterrupting: 'false' },
    body: timerDefinition(kind, expression),
  }),
  /** An intermediate message catch event waiting for the bpmn:message `messageRef`. */
  messageCatch: (id: string, messageRef: string): NodeSpec => ({
    tag: 'intermediateCatchEvent',
    id,
    body: messageDef(messageRef),
  }),
  /** A message boundary event on `attachedTo`; `interrupting: false` sets cancelActivity="false". */
  messageBoundary: (
    id: string,
    attachedTo: string,
    messageRef: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({
    tag: 'boundaryEvent',
    id,
    attrs: boundaryAttrs(attachedTo, interrupting),
    body: messageDef(messageRef),
  }),
  /** A message start event: of the process, or of an event sub-process (`interrupting` applies there). */
  messageStart: (
    id: string,
    messageRef: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({ tag: 'startEvent', id, attrs: startAttrs(interrupting), body: messageDef(messageRef) }),
  /** A receive task waiting for the bpmn:message `messageRef`. */
  receiveTask: (id: string, messageRef: string): NodeSpec => ({
    tag: 'receiveTask',
    id,
    attrs: { messageRef },
  }),
  /** An intermediate message throw event, sent by a job of type `type`. */
  messageThrow: (id: string, messageRef: string, type: string): NodeSpec => ({
    tag: 'intermediateThrowEvent',
    id,
    ext: `<zeebe:taskDefinition type="${type}" />`,
    body: messageDef(messageRef),
  }),
  /** A message end event, sent by a job of type `type`. */
  messageEnd: (id: string, messageRef: string, type: string): NodeSpec => ({
    tag: 'endEvent',
    id,
    ext: `<zeebe:taskDefinition type="${type}" />`,
    body: messageDef(messageRef),
  }),
  /** An intermediate signal catch event. */
  signalCatch: (id: string, signalRef: string): NodeSpec => ({
    tag: 'intermediateCatchEvent',
    id,
    body: signalDef(signalRef),
  }),
  /** A signal boundary event on `attachedTo`; `interrupting: false` sets cancelActivity="false". */
  signalBoundary: (
    id: string,
    attachedTo: string,
    signalRef: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({
    tag: 'boundaryEvent',
    id,
    attrs: boundaryAttrs(attachedTo, interrupting),
    body: signalDef(signalRef),
  }),
  /** A signal start event: of the process, or of an event sub-process (`interrupting` applies there). */
  signalStart: (
    id: string,
    signalRef: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({ tag: 'startEvent', id, attrs: startAttrs(interrupting), body: signalDef(signalRef) }),
  /** An intermediate signal throw event; `ext` may carry a zeebe:ioMapping for its variables. */
  signalThrow: (id: string, signalRef: string, ext = ''): NodeSpec => ({
    tag: 'intermediateThrowEvent',
    id,
    ext: ext || undefined,
    body: signalDef(signalRef),
  }),
  /** A signal end event. */
  signalEnd: (id: string, signalRef: string, ext = ''): NodeSpec => ({
    tag: 'endEvent',
    id,
    ext: ext || undefined,
    body: signalDef(signalRef),
  }),
  /** An event-based gateway; its outgoing flows lead to catch events or receive tasks. */
  eventBased: (id: string): NodeSpec => ({ tag: 'eventBasedGateway', id }),
  /** An error end event throwing the bpmn:error `errorRef`. */
  errorEnd: (id: string, errorRef?: string): NodeSpec => ({ tag: 'endEvent', id, body: errorDef(errorRef) }),
  /** An error boundary event (always interrupting); without `errorRef` it catches every error. */
  errorBoundary: (id: string, attachedTo: string, errorRef?: string): NodeSpec => ({
    tag: 'boundaryEvent',
    id,
    attrs: { attachedToRef: attachedTo },
    body: errorDef(errorRef),
  }),
  /** An error start event of an event sub-process (always interrupting). */
  errorStart: (id: string, errorRef?: string): NodeSpec => ({
    tag: 'startEvent',
    id,
    body: errorDef(errorRef),
  }),
  escalationThrow: (id: string, escalationRef?: string): NodeSpec => ({
    tag: 'intermediateThrowEvent',
    id,
    body: escalationDef(escalationRef),
  }),
  escalationEnd: (id: string, escalationRef?: string): NodeSpec => ({
    tag: 'endEvent',
    id,
    body: escalationDef(escalationRef),
  }),
  escalationBoundary: (
    id: string,
    attachedTo: string,
    escalationRef?: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({
    tag: 'boundaryEvent',
    id,
    attrs: boundaryAttrs(attachedTo, interrupting),
    body: escalationDef(escalationRef),
  }),
  escalationStart: (
    id: string,
    escalationRef?: string,
    { interrupting = true }: { interrupting?: boolean } = {},
  ): NodeSpec => ({
    tag: 'startEvent',
    id,
    attrs: startAttrs(interrupting),
    body: escalationDef(escalationRef),
  }),
  linkThrow: (id: string, name: string): NodeSpec => ({
    tag: 'intermediateThrowEvent',
    id,
    body: linkDef(name),
  }),
  linkCatch: (id: string, name: string): NodeSpec => ({
    tag: 'intermediateCatchEvent',
    id,
    body: linkDef(name),
  }),
  /** A call activity of `processId` (zeebe:calledElement); `ext` may add an ioMapping. */
  callActivity: (id: string, processId: string, ext = '', calledAttrs = ''): NodeSpec => ({
    tag: 'callActivity',
    id,
    ext: `<zeebe:calledElement processId="${escapeXml(processId)}"${calledAttrs} />${ext}`,
  }),
};

export interface MultiInstanceSpec {
  sequential?: boolean;
  inputCollection?: string;
  inputElement?: string;
  outputCollection?: string;
  outputElement?: string;
  loopCardinality?: string;
  completionCondition?: string;
}

/**
 * Makes an activity multi-instance: adds <bpmn:multiInstanceLoopCharacteristics> with
 * zeebe:loopCharacteristics (input/output collection and element), loopCardinality and
 * completionCondition as given.
 */
export function multiInstance(spec: NodeSpec, mi: MultiInstanceSpec): NodeSpec {
  const zeebe = (['inputCollection', 'inputElement', 'outputCollection', 'outputElement'] as const)
    .filter((k) => mi[k] !== undefined)
    .map((k) => ` ${k}="${escapeXml(mi[k]!)}"`)
    .join('');
  const ext = zeebe
    ? `<bpmn:extensionElements><zeebe:loopCharacteristics${zeebe} /></bpmn:extensionElements>`
    : '';
  const expr = (tag: string, value?: string) =>
    value === undefined
      ? ''
      : `<bpmn:${tag} xsi:type="bpmn:tFormalExpression">${escapeXml(value)}</bpmn:${tag}>`;
  const loop = `<bpmn:multiInstanceLoopCharacteristics${mi.sequential ? ' isSequential="true"' : ''}>${ext}${expr(
    'loopCardinality',
    mi.loopCardinality,
  )}${expr('completionCondition', mi.completionCondition)}</bpmn:multiInstanceLoopCharacteristics>`;
  return { ...spec, body: `${spec.body ?? ''}${loop}` };
}

export type TimerKind = 'date' | 'duration' | 'cycle';

/** A <bpmn:timerEventDefinition> with one timeDate, timeDuration or timeCycle. */
export function timerDefinition(kind: TimerKind, expression: string): string {
  const tag = { date: 'timeDate', duration: 'timeDuration', cycle: 'timeCycle' }[kind];
  return `<bpmn:timerEventDefinition><bpmn:${tag} xsi:type="bpmn:tFormalExpression">${escapeXml(expression)}</bpmn:${tag}></bpmn:timerEventDefinition>`;
}

/** A zeebe:ioMapping with [source, target] pairs. */
export function ioMapping(inputs: Array<[string, string]>, outputs: Array<[string, string]> = []): string {
  const i = inputs.map(([s, t]) => `<zeebe:input source="${escapeXml(s)}" target="${t}" />`).join('');
  const o = outputs.map(([s, t]) => `<zeebe:output source="${escapeXml(s)}" target="${t}" />`).join('');
  return `<zeebe:ioMapping>${i}${o}</zeebe:ioMapping>`;
}

// ---- assertions on compile results ------------------------------------------------------------

/** Whether some error names the element: as its elementId or as `<id>` in its message. */
export function namesElement(result: CompileResult, id: string): boolean {
  return result.errors.some((e) => e.elementId === id || e.message.includes(`<${id}>`));
}

/**
 * Every problem has a message; every error that is not about the XML itself names an element.
 * The one allowed exception: "no executable process" is about the definitions element, and when
 * that has no id attribute there is nothing to name.
 */
export function expectWellFormedProblems(result: CompileResult, xml: string): void {
  const definitionsHasId = /<(?:[\w-]+:)?definitions\b[^>]*\sid="[^"]+"/.test(xml);
  const bad: string[] = [];
  for (const p of [...result.errors, ...result.warnings]) {
    if (typeof p.message !== 'string' || p.message.trim() === '')
      bad.push(`empty message: ${JSON.stringify(p)}`);
  }
  for (const e of result.errors) {
    if (e.rule === 'xml' || e.elementId) continue;
    if (!definitionsHasId && /executable process/.test(e.message)) continue;
    bad.push(`error without elementId: ${JSON.stringify(e)}`);
  }
  if (result.errors.length > 0 && result.processes.length > 0)
    bad.push('a model with errors must not return processes');
  if (bad.length > 0) throw new Error(`malformed compile problems:\n  ${bad.join('\n  ')}`);
}
