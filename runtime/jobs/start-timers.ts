import type { Knex } from 'knex';
import { type CompiledProcess, evaluateFeel, isFeel } from '../../engine/index.js';
import { scheduleTimer } from '../../engine/expressions/timers.js';
import type { FieldError } from '../http/problem.js';

/** The timer start events of a process (start events of the process itself, not of its sub-processes). */
export function startTimersOf(process: CompiledProcess) {
  return [...process.nodes.values()].filter(
    (n) => n.type === 'bpmn:StartEvent' && n.scopeId === process.id && n.event?.kind === 'timer',
  );
}

/**
 * Resolves the first occurrence of each timer start event; expressions see no variables (there is
 * no instance yet). Problems are returned as field errors so the deployment can be rejected.
 */
export function planStartTimers(process: CompiledProcess, now: Date, resourceName: string) {
  const errors: FieldError[] = [];
  const plans: Array<{ elementId: string; dueAt: Date; cycle: unknown }> = [];
  for (const node of startTimersOf(process)) {
    if (node.event?.kind !== 'timer') continue;
    const { type, expression } = node.event.timer;
    let value: unknown = expression;
    if (isFeel(expression)) {
      const r = evaluateFeel(expression, {});
      if (!r.ok) {
        errors.push({ field: `${resourceName}#${node.id}`, reason: r.message });
        continue;
      }
      value = r.value;
    }
    try {
      const s = scheduleTimer(type, value, now);
      plans.push({ elementId: node.id, dueAt: s.dueAt, cycle: s.next });
    } catch (err) {
      errors.push({ field: `${resourceName}#${node.id}`, reason: (err as Error).message });
    }
  }
  return { plans, errors };
}

/**
 * A new version replaces the schedule of the old one: its start timers are canceled and the new
 * version's are created, in the deployment's transaction.
 */
export async function replaceStartTimers(
  trx: Knex.Transaction,
  def: { tenantId: string; processDefinitionId: string; processDefinitionKey: string; version: number },
  plans: Array<{ elementId: string; dueAt: Date; cycle: unknown }>,
  now: Date,
  nextKey: () => string,
): Promise<void> {
  await trx('jobs')
    .where({ kind: 'TIMER', tenant_id: def.tenantId, process_definition_id: def.processDefinitionId })
    .whereNull('process_instance_key')
    .whereIn('state', ['CREATED', 'ACTIVATED'])
    .update({ state: 'CANCELED', ended_at: now });
  if (plans.length === 0) return;
  await trx('jobs').insert(
    plans.map((p) => ({
      job_key: nextKey(),
      type: 'timer',
      kind: 'TIMER',
      state: 'CREATED',
      tenant_id: def.tenantId,
      process_instance_key: null,
      element_instance_key: null,
      element_id: p.elementId,
      process_definition_key: def.processDefinitionKey,
      process_definition_id: def.processDefinitionId,
      process_definition_version: def.version,
      retries: 1,
      due_at: p.dueAt,
      custom_headers: '{}',
      created_at: now,
      timer_cycle: p.cycle ? JSON.stringify(p.cycle) : null,
    })),
  );
}

/**
 * Message and signal start events of a new version: their subscriptions replace the old version's.
 * Names may be FEEL without variables (there is no instance yet).
 */
export async function replaceStartSubscriptions(
  trx: Knex.Transaction,
  process: CompiledProcess,
  def: { tenantId: string; processDefinitionId: string; processDefinitionKey: string },
  now: Date,
  nextKey: () => string,
): Promise<FieldError[]> {
  await trx('event_subscriptions')
    .where({ tenant_id: def.tenantId, process_definition_id: def.processDefinitionId, state: 'ACTIVE' })
    .whereNull('process_instance_key')
    .update({ state: 'CLOSED' });
  const errors: FieldError[] = [];
  const rows = [];
  for (const node of process.nodes.values()) {
    if (node.type !== 'bpmn:StartEvent' || node.scopeId !== process.id) continue;
    const event = node.event;
    if (event?.kind !== 'message' && event?.kind !== 'signal') continue;
    let name: unknown = event.kind === 'message' ? event.messageName : event.signalName;
    if (isFeel(name as string)) {
      const r = evaluateFeel(name as string, {});
      name = r.ok ? r.value : null;
    }
    if (typeof name !== 'string' || name === '') {
      errors.push({
        field: node.id,
        reason: `the ${event.kind} name of a start event must be a text without variables`,
      });
      continue;
    }
    rows.push({
      subscription_key: nextKey(),
      kind: event.kind === 'message' ? 'MESSAGE' : 'SIGNAL',
      tenant_id: def.tenantId,
      name,
      correlation_key: null,
      process_instance_key: null,
      process_definition_key: def.processDefinitionKey,
      process_definition_id: def.processDefinitionId,
      element_instance_key: null,
      element_id: node.id,
      interrupting: true,
      state: 'ACTIVE',
      created_at: now,
    });
  }
  if (rows.length) await trx('event_subscriptions').insert(rows);
  return errors;
}
