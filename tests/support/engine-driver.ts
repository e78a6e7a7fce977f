/**
 * A small in-memory driver for engine-level tests: deploy BPMN XML, start instances, complete
 * user tasks and jobs by element id, read state, collect events. No database, no HTTP, no clock:
 * time and keys are deterministic, as the engine expects them from its context.
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
  private readonly nextKey = keyGenerator();
  private readonly services: EngineServices;

  /** The instance's state; `send` replaces it after every command. */
  state!: InstanceState;

  private constructor(
    readonly process: CompiledProcess,
    private readonly options: DriverOptions,
  ) {
    this.now = options.now ?? DEFAULT_NOW;
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

  throwJobError(elementId: string, errorCode: string, errorMessage: string | null = null) {
    return this.must({
      type: 'job.throw_error',
      jobKey: this.openJob(elementId).jobKey,
      errorCode,
      errorMessage,
      variables: {},
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

  /** Open jobs for workers (timers are listed by `openTimers`). */
  openJobs(): JobRecord[] {
    return [...this.state.jobs.values()].filter(
      (j) => j.kind !== 'TIMER' && (j.state === 'CREATED' || j.state === 'ACTIVATED'),
    );
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

/** A definitions document with one executable process built from nodes and flows. */
export function bpmnProcess(processId: string, scope: ScopeSpec): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_${processId}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${processId}" isExecutable="true">
    ${renderScope(scope)}
  </bpmn:process>
</bpmn:definitions>`;
}

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
};

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
