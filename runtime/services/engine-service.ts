import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import {
  type Command,
  type CommandContext,
  decide,
  type EngineEvent,
  findCatch,
  type InstanceState,
  isFailure,
  newInstanceState,
} from '../../engine/index.js';
import { badRequest, conflict, notFound, problemFromFailure } from '../http/problem.js';
import {
  type InstanceLocator,
  loadInstanceState,
  lockInstance,
  persistDecision,
  RevisionConflict,
} from '../persistence/instance-store.js';
import type { DefinitionService } from './definitions.js';
import { takeBufferedMessage } from './event-service.js';
import { checkApproverPicks } from './approver-picks.js';
import { enabledTenantUsers, escalationTarget, resolveApprovers } from './org-chart.js';

/** Who is acting, and in which tenants they may act. */
export interface Actor {
  username: string | null;
  tenantIds: string[];
  groups: string[];
  roles: string[];
}

export interface CommittedEvents {
  tenantId: string;
  processInstanceKey: string;
  events: EngineEvent[];
}

const MAX_ATTEMPTS = 8;

/**
 * Runs engine commands as units of work: load the instance, decide, write rows, history and
 * effects in one transaction guarded by the instance revision. A command that loses a race is
 * retried against fresh state, so it is either applied once or answered with a clear failure.
 * Listeners of 'committed' hear about events only after the transaction committed.
 */
/** Work done in the transaction of every command after its state is written (e.g. notifications). */
export type WriteHook = (
  trx: Knex.Transaction,
  state: InstanceState,
  events: EngineEvent[],
  ctx: CommandContext,
) => Promise<void>;

/** What the engine needs of the working calendars (CalendarService). */
export interface WorkingTimeSource {
  addWorkingTime(
    tenantId: string,
    calendarId: string | null,
    from: Date,
    duration: string,
    db?: Knex,
  ): Promise<Date>;
}

export class EngineService extends EventEmitter<{ committed: [CommittedEvents] }> {
  private readonly writeHooks: WriteHook[] = [];

  /** Per tenant, whether it has any 代理 rule at all (so most task creations need no lookup). */
  private readonly substitutionTenants = new Map<string, { until: number; any: boolean }>();

  /** Forget what is known of a tenant's 代理 rules (after they changed). */
  forgetSubstitutions(tenantId: string): void {
    this.substitutionTenants.delete(tenantId);
  }

  private async tenantHasSubstitutions(db: Knex, tenantId: string): Promise<boolean> {
    const hit = this.substitutionTenants.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.any;
    const any = !!(await db('substitutions').where({ tenant_id: tenantId }).first('substitution_key'));
    if (this.substitutionTenants.size > 10_000) this.substitutionTenants.clear();
    this.substitutionTenants.set(tenantId, { until: Date.now() + 5_000, any });
    return any;
  }

  /** Working calendars for task timeouts (lf:timeout); without them such tasks raise incidents. */
  private calendars: WorkingTimeSource | undefined;
  setCalendars(calendars: WorkingTimeSource): void {
    this.calendars = calendars;
  }

  /** Adds work that runs in each command's transaction, after its state is written. */
  onWrite(hook: WriteHook): void {
    this.writeHooks.push(hook);
  }

  constructor(
    readonly knex: Knex,
    private readonly definitions: DefinitionService,
    readonly nextKey: () => string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    super();
  }

  private context(trx: Knex, process: CommandContext['process'], actor: Actor): CommandContext {
    return {
      now: this.clock(),
      nextKey: this.nextKey,
      actor: actor.username,
      process,
      services: {
        resolveForm: (tenantId, formId) => this.definitions.resolveForm(tenantId, formId, trx),
        evaluateRuleSet: (tenantId, ruleSetId, facts) =>
          this.definitions.evaluateRuleSet(tenantId, ruleSetId, facts, trx),
        resolveApprovers: (tenantId, strategy, initiator) =>
          resolveApprovers(trx, tenantId, strategy, initiator),
        enabledUsers: (tenantId, usernames) => enabledTenantUsers(trx, tenantId, usernames),
        escalationTarget: (tenantId, username) => escalationTarget(trx, tenantId, username),
        addWorkingTime: this.calendars
          ? (tenantId, calendarId, from, duration) =>
              this.calendars!.addWorkingTime(tenantId, calendarId, from, duration, trx)
          : undefined,
        substituteFor: async (tenantId, username, processDefinitionId, at) => {
          if (!(await this.tenantHasSubstitutions(trx, tenantId))) return null;
          const row = await trx('substitutions')
            .where({ tenant_id: tenantId, username })
            .where('starts_at', '<=', at)
            .where('ends_at', '>', at)
            .where((q) =>
              q.whereNull('process_definition_id').orWhere('process_definition_id', processDefinitionId),
            )
            .orderBy('created_at', 'desc')
            .first('substitute');
          return row?.substitute ?? null;
        },
      },
    };
  }

  /**
   * Decides a command on a loaded (or new) state, writes the outcome, and runs what it causes in
   * the same transaction (buffered messages, call activities).
   */
  private async decideAndWrite(
    trx: Knex.Transaction,
    state: InstanceState,
    command: Command,
    ctx: CommandContext,
    actor: Actor,
    isNew: boolean,
  ): Promise<{ state: InstanceState; events: EngineEvent[] }> {
    // A called instance may hand an uncaught error to its caller; decide on a copy so the command
    // can be decided again if no caller catches it.
    const original = state.instance.parentElementInstanceKey ? structuredClone(state) : null;
    let decision = await decide(state, command, ctx);
    if (isFailure(decision)) throw problemFromFailure(decision);
    const handedUp = decision.events.find((e) => e.type === 'call.error_thrown');
    if (original && handedUp && !(await this.callersCatchError(trx, handedUp))) {
      ctx = { ...ctx, uncaughtErrorsStayLocal: true };
      decision = await decide(original, command, ctx);
      if (isFailure(decision)) throw problemFromFailure(decision);
    }
    await persistDecision(trx, decision.state, decision.events, {
      isNew,
      command: command.type,
      actor: actor.username,
      now: ctx.now.toISOString(),
    });
    for (const hook of this.writeHooks) await hook(trx, decision.state, decision.events, ctx);
    const more = await this.followUps(trx, decision.state, decision.events, ctx, actor);
    return { state: decision.state, events: [...decision.events, ...more] };
  }

  /**
   * Whether a caller up the call hierarchy catches an error a called instance did not: the call
   * activity's boundary events, then the caller's scopes, then the caller's own caller, and so on.
   */
  private async callersCatchError(
    trx: Knex.Transaction,
    thrown: Extract<EngineEvent, { type: 'call.error_thrown' }>,
  ): Promise<boolean> {
    const code = thrown.errorCode ?? undefined;
    let key: string | null = thrown.parentElementInstanceKey;
    for (let depth = 0; key && depth < 100; depth++) {
      const caller = await loadInstanceState(trx, { by: 'element_instance', key });
      const el = caller?.elements.get(key);
      if (!caller || el?.state !== 'ACTIVE') return false;
      const process = await this.definitions.getCompiled(caller.instance.processDefinitionKey, trx);
      if (findCatch(caller, process, el, 'error', code)) return true;
      key = caller.instance.parentElementInstanceKey;
    }
    return false;
  }

  /**
   * Runs a command inside the caller's transaction (no retries: the caller owns the transaction).
   * Listeners hear about it when that transaction commits.
   */
  async executeIn(
    trx: Knex.Transaction,
    command: Command,
    actor: Actor,
    processInstanceKey?: string,
  ): Promise<InstanceState> {
    const result = await this.applyCommand(trx, locatorOf(command, processInstanceKey), command, actor);
    if (!result)
      throw notFound(`expected to find ${describe(command, processInstanceKey)}, but none was found`);
    trx.executionPromise.then(
      () =>
        this.emit('committed', {
          tenantId: result.state.instance.tenantId,
          processInstanceKey: result.state.instance.processInstanceKey,
          events: result.events,
        }),
      () => {},
    );
    return result.state;
  }

  /** Load, check, decide, write and follow up one command, inside the caller's transaction. */
  private async applyCommand(
    trx: Knex.Transaction,
    locator: InstanceLocator,
    command: Command,
    actor: Actor,
    check?: (state: InstanceState, trx: Knex) => Promise<void> | void,
    /** Take the instance's row lock first (after a lost race: wait in line instead of racing again). */
    lock = false,
  ): Promise<{ state: InstanceState; events: EngineEvent[] } | null> {
    if (lock) await lockInstance(trx, locator);
    const state = await loadInstanceState(trx, locator);
    if (!state || !actor.tenantIds.includes(state.instance.tenantId)) return null;
    await check?.(state, trx);
    const process = await this.definitions.getCompiled(state.instance.processDefinitionKey, trx);
    return this.decideAndWrite(trx, state, command, this.context(trx, process, actor), actor, false);
  }

  /**
   * Work a command causes in the same transaction: a message subscription it opened consumes a
   * buffered message at once (each consumption is its own command in the audit trail).
   */
  private async followUps(
    trx: Knex.Transaction,
    state: InstanceState,
    events: EngineEvent[],
    ctx: CommandContext,
    actor: Actor,
  ): Promise<EngineEvent[]> {
    const all: EngineEvent[] = [];
    let pending = events;
    for (let round = 0; round < 20 && pending.length; round++) {
      const next: EngineEvent[] = [];
      if (await this.followCalls(trx, state, pending, actor)) {
        // A nested command changed this very instance (a child completed at once): continue from
        // what is stored now, not from the state this command started with.
        const fresh = await loadInstanceState(trx, {
          by: 'instance',
          key: state.instance.processInstanceKey,
        });
        if (fresh) Object.assign(state, fresh);
      }
      for (const e of pending) {
        if (e.type !== 'subscription.opened' || e.subscription.kind !== 'MESSAGE') continue;
        const sub = state.subscriptions.get(e.subscription.subscriptionKey);
        if (sub?.state !== 'ACTIVE') continue;
        const variables = await takeBufferedMessage(trx, sub, state.instance.processInstanceKey, ctx.now);
        if (!variables) continue;
        const command: Command = {
          type: 'subscription.trigger',
          subscriptionKey: sub.subscriptionKey,
          variables,
        };
        const decision = await decide(state, command, ctx);
        if (isFailure(decision)) continue;
        await persistDecision(trx, decision.state, decision.events, {
          isNew: false,
          command: 'message.correlate',
          actor: actor.username,
          now: ctx.now.toISOString(),
        });
        for (const hook of this.writeHooks) await hook(trx, decision.state, decision.events, ctx);
        next.push(...decision.events);
      }
      all.push(...next);
      pending = next;
    }
    return all;
  }

  /**
   * Call activities across instances, in the same transaction: a requested child is created, a
   * terminated call activity cancels its child, and a completed child completes its call activity
   * in the parent with the child's variables.
   */
  private async followCalls(
    trx: Knex.Transaction,
    state: InstanceState,
    events: EngineEvent[],
    actor: Actor,
  ): Promise<boolean> {
    let changedThis = false;
    const i = state.instance;
    const sameTenant: Actor = { ...actor, tenantIds: [i.tenantId] };
    for (const e of events) {
      if (e.type === 'call.requested') {
        changedThis = true;
        const def = await this.definitions.findDefinition(
          {
            processDefinitionId: e.processId,
            tenantIds: [i.tenantId],
            versionTag: e.bindingType === 'versionTag' ? (e.versionTag ?? undefined) : undefined,
          },
          trx,
        );
        if (!def) {
          const what = e.bindingType === 'versionTag' ? ` with version tag '${e.versionTag}'` : '';
          await this.applyCommand(
            trx,
            { by: 'instance', key: i.processInstanceKey },
            {
              type: 'call.fail',
              elementInstanceKey: e.elementInstanceKey,
              message: `expected a deployed process <${e.processId}>${what} to call, but found none`,
            },
            sameTenant,
          );
          continue;
        }
        await this.createInstance(
          {
            processDefinitionKey: def.processDefinitionKey,
            variables: e.variables,
            parentProcessInstanceKey: i.processInstanceKey,
            parentElementInstanceKey: e.elementInstanceKey,
          },
          sameTenant,
          trx,
        );
      } else if (e.type === 'call.error_thrown') {
        await this.applyCommand(
          trx,
          { by: 'element_instance', key: e.parentElementInstanceKey },
          {
            type: 'call.throw_error',
            elementInstanceKey: e.parentElementInstanceKey,
            errorCode: e.errorCode,
            variables: e.variables,
          },
          sameTenant,
        );
      } else if (e.type === 'call.escalation_thrown') {
        // An interrupting catch in the caller cancels this very instance: continue from fresh state.
        changedThis = true;
        await this.applyCommand(
          trx,
          { by: 'element_instance', key: e.parentElementInstanceKey },
          {
            type: 'call.throw_escalation',
            elementInstanceKey: e.parentElementInstanceKey,
            escalationCode: e.escalationCode,
          },
          sameTenant,
        );
      } else if (e.type === 'call.terminated') {
        const child = await trx('process_instances')
          .where({ parent_element_instance_key: e.elementInstanceKey, state: 'ACTIVE' })
          .first('process_instance_key');
        if (child) {
          await this.applyCommand(
            trx,
            { by: 'instance', key: String(child.process_instance_key) },
            { type: 'instance.cancel' },
            sameTenant,
          );
        }
      } else if (
        e.type === 'instance.completed' &&
        i.parentElementInstanceKey &&
        e.processInstanceKey === i.processInstanceKey
      ) {
        // The caller may have ended the call activity meanwhile (an escalation it caught interrupted it).
        const waiting = await trx('element_instances')
          .where({ element_instance_key: i.parentElementInstanceKey, state: 'ACTIVE' })
          .first('element_instance_key');
        if (!waiting) continue;
        const root = state.variables.get(i.processInstanceKey);
        const variables = Object.fromEntries([...(root?.values() ?? [])].map((v) => [v.name, v.value]));
        await this.applyCommand(
          trx,
          { by: 'element_instance', key: i.parentElementInstanceKey },
          { type: 'call.complete', elementInstanceKey: i.parentElementInstanceKey, variables },
          sameTenant,
        );
      }
    }
    return changedThis;
  }

  /** The module, disabled in the tenant, that keeps this process from being started (or null). */
  async startDisabled(tenantId: string, processDefinitionId: string, db?: Knex): Promise<string | null> {
    const row = await (db ?? this.knex)('disabled_processes')
      .where({ tenant_id: tenantId, process_definition_id: processDefinitionId })
      .first('module_id');
    return row ? String(row.module_id) : null;
  }

  async createInstance(
    req: {
      processDefinitionKey?: string;
      processDefinitionId?: string;
      version?: number;
      tenantId?: string;
      variables?: Record<string, unknown>;
      businessKey?: string | null;
      startElementId?: string;
      parentProcessInstanceKey?: string;
      parentElementInstanceKey?: string;
      /**
       * 发起人自选: the approvers the initiator picks, by approval element id. Given (even empty)
       * by starts on behalf of a person, whose picks are then required.
       */
      approvers?: Record<string, unknown>;
    },
    actor: Actor,
    /** Run inside this transaction (e.g. a timer start), instead of a new one. */
    outer?: Knex.Transaction,
  ): Promise<InstanceState> {
    if (!req.processDefinitionKey && !req.processDefinitionId) {
      throw badRequest('expected processDefinitionKey or processDefinitionId', [
        {
          field: 'processDefinitionId',
          reason: 'one of processDefinitionKey or processDefinitionId is required',
        },
      ]);
    }
    const tenantIds = req.tenantId ? actor.tenantIds.filter((t) => t === req.tenantId) : actor.tenantIds;
    const def = await this.definitions.findDefinition(
      {
        processDefinitionKey: req.processDefinitionKey,
        processDefinitionId: req.processDefinitionId,
        version: req.version,
        tenantIds,
      },
      outer,
    );
    if (!def) {
      throw notFound(
        req.processDefinitionKey
          ? `expected to find process definition with key <${req.processDefinitionKey}>, but none was found`
          : `expected to find process definition with id <${req.processDefinitionId}>${req.version && req.version !== -1 ? ` and version ${req.version}` : ''}, but none was found`,
      );
    }
    // A process of a module disabled in the tenant is not started; running instances (and the
    // call activities they reach) go on.
    if (!req.parentProcessInstanceKey) {
      const off = await this.startDisabled(def.tenantId, def.processDefinitionId, outer);
      if (off)
        throw conflict(
          `process <${def.processDefinitionId}> belongs to module <${off}>, which is disabled in tenant <${def.tenantId}>: enable the module to start it`,
        );
    }
    const process = await this.definitions.getCompiled(def.processDefinitionKey, outer);
    if (!req.startElementId && !process.startId) {
      throw badRequest(
        `process <${process.id}> has no none start event; it is started by its timer, message or signal start events`,
        [{ field: 'processDefinitionId', reason: 'has no none start event' }],
      );
    }
    // Starts by people pick; timer, message and call-activity starts have nobody to ask (the
    // node's onEmpty applies when it is reached).
    const approverPicks = req.approvers
      ? await checkApproverPicks(outer ?? this.knex, process, def.tenantId, req.approvers, 'initiator', true)
      : undefined;
    const command: Extract<Command, { type: 'instance.create' }> = {
      type: 'instance.create',
      approverPicks,
      tenantId: def.tenantId,
      processDefinitionKey: def.processDefinitionKey,
      processDefinitionId: def.processDefinitionId,
      processDefinitionVersion: def.version,
      variables: req.variables ?? {},
      businessKey: req.businessKey ?? null,
      startElementId: req.startElementId,
      parentProcessInstanceKey: req.parentProcessInstanceKey ?? null,
      parentElementInstanceKey: req.parentElementInstanceKey ?? null,
    };
    const run = async (trx: Knex.Transaction) => {
      const ctx = this.context(trx, process, actor);
      return this.decideAndWrite(trx, newInstanceState(command, ctx), command, ctx, actor, true);
    };
    const { state, events } = outer ? await run(outer) : await this.knex.transaction(run);
    const announce = () =>
      this.emit('committed', {
        tenantId: state.instance.tenantId,
        processInstanceKey: state.instance.processInstanceKey,
        events,
      });
    if (outer) outer.executionPromise.then(announce, () => {});
    else announce();
    return state;
  }

  /**
   * Runs a command on an existing instance, found from the command itself (its task, job or
   * incident key) or from `processInstanceKey`. Anything outside the actor's tenants is "not found".
   * `check` runs inside the transaction before the command is decided (e.g. form validation).
   */
  async execute(
    command: Command,
    actor: Actor,
    opts: {
      processInstanceKey?: string;
      check?: (state: InstanceState, trx: Knex) => Promise<void> | void;
    } = {},
  ): Promise<InstanceState> {
    const locator = locatorOf(command, opts.processInstanceKey);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.knex.transaction((trx) =>
          this.applyCommand(trx, locator, command, actor, opts.check, attempt > 1),
        );
        if (!result)
          throw notFound(
            `expected to find ${describe(command, opts.processInstanceKey)}, but none was found`,
          );
        this.emit('committed', {
          tenantId: result.state.instance.tenantId,
          processInstanceKey: result.state.instance.processInstanceKey,
          events: result.events,
        });
        return result.state;
      } catch (err) {
        if (err instanceof RevisionConflict || isSerializationFailure(err)) {
          if (attempt >= MAX_ATTEMPTS)
            throw conflict(
              `${describe(command, opts.processInstanceKey)} was changed concurrently; try again`,
            );
          await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
          continue;
        }
        throw err;
      }
    }
  }
}

function locatorOf(command: Command, processInstanceKey?: string): InstanceLocator {
  switch (command.type) {
    case 'task.complete':
    case 'task.assign':
    case 'task.unassign':
    case 'task.return':
    case 'task.delegate':
    case 'task.resolve':
    case 'approval.change_signers':
    case 'task.take_back':
      return { by: 'user_task', key: command.userTaskKey };
    case 'job.complete':
    case 'job.fail':
    case 'job.throw_error':
    case 'timer.trigger':
      return { by: 'job', key: command.jobKey };
    case 'incident.resolve':
      return { by: 'incident', key: command.incidentKey };
    case 'variables.set':
      return { by: 'element_instance', key: command.scopeKey };
    case 'subscription.trigger':
      return { by: 'subscription', key: command.subscriptionKey };
    default:
      if (!processInstanceKey) throw new Error(`${command.type} needs a processInstanceKey`);
      return { by: 'instance', key: processInstanceKey };
  }
}

function isSerializationFailure(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '40001' || code === '40P01';
}

function describe(command: Command, processInstanceKey?: string): string {
  switch (command.type) {
    case 'task.complete':
    case 'task.assign':
    case 'task.unassign':
    case 'task.return':
    case 'task.delegate':
    case 'task.resolve':
    case 'approval.change_signers':
    case 'task.take_back':
      return `user task with key <${command.userTaskKey}>`;
    case 'job.complete':
    case 'job.fail':
    case 'job.throw_error':
      return `job with key <${command.jobKey}>`;
    case 'timer.trigger':
      return `timer with key <${command.jobKey}>`;
    case 'incident.resolve':
      return `incident with key <${command.incidentKey}>`;
    case 'variables.set':
      return `element instance with key <${command.scopeKey}>`;
    case 'subscription.trigger':
      return `subscription with key <${command.subscriptionKey}>`;
    default:
      return `process instance with key <${processInstanceKey}>`;
  }
}
