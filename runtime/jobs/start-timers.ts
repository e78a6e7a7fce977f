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
