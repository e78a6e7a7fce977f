import type { CompiledProcess } from '../model/types.js';

/** Capabilities the runtime injects into the engine. They may read storage; they never write. */
export interface EngineServices {
  /** Finds the latest deployed form with this id in the tenant; null when there is none. */
  resolveForm(tenantId: string, formId: string): Promise<{ formKey: string; formId: string } | null>;
  /** Runs the latest deployed rule set with this id against the facts; throws with a clear message on failure. */
  evaluateRuleSet(tenantId: string, ruleSetId: string, facts: Record<string, unknown>): Promise<unknown>;
  /**
   * The approvers an org-chart strategy names for an instance, in order, with the reason (what was
   * looked up and found) for the history.
   */
  resolveApprovers?(
    tenantId: string,
    strategy: import('../model/types.js').ApproverStrategy,
    initiator: string | null,
  ): Promise<{ approvers: string[]; reason: string }>;
  /** The enabled users of the tenant among these, in the given order (for approvers people picked). */
  enabledUsers?(tenantId: string, usernames: string[]): Promise<string[]>;
  /**
   * The moment `duration` (ISO 8601) of working time after `from` on a working calendar of the
   * tenant (null: its default calendar); throws with a clear message for an unknown calendar.
   */
  addWorkingTime?(tenantId: string, calendarId: string | null, from: Date, duration: string): Promise<Date>;
  /**
   * Where an overdue task escalates to: the head above its assignee in the org chart (else the
   * tenant's administrator), with the reason; null when there is nobody.
   */
  escalationTarget?(tenantId: string, username: string): Promise<{ username: string; reason: string } | null>;
  /** 代理: who acts for this user now (an out-of-office rule), or null. */
  substituteFor?(
    tenantId: string,
    username: string,
    processDefinitionId: string,
    at: Date,
  ): Promise<string | null>;
}

/**
 * Everything non-deterministic comes from here: the engine never reads a clock or makes ids of its
 * own, so the same state, command and context always give the same events.
 */
export interface CommandContext {
  now: Date;
  nextKey(): string;
  /** Username of whoever issued the command, for the audit trail. */
  actor: string | null;
  /** The compiled model of the instance's process definition. */
  process: CompiledProcess;
  services: EngineServices;
  /**
   * Set by the runtime when no caller up the call hierarchy catches an error this called instance
   * throws: the error then stays here and becomes an incident at the thrower.
   */
  uncaughtErrorsStayLocal?: boolean;
}
