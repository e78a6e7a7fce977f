import type { Knex } from 'knex';

/**
 * Keeps the rows whose process instance (the column `instanceColumn`) has the variable `name`
 * equal to `value`, compared as jsonb: in the instance's own scope (`root`, e.g. the `asset` or
 * `project` a process was started with) or in any of its scopes (`any`, Camunda's variable filter).
 */
export function whereVariableEquals(
  q: Knex.QueryBuilder,
  instanceColumn: string,
  name: string,
  value: unknown,
  scope: 'root' | 'any' = 'root',
): Knex.QueryBuilder {
  return q.whereExists(function () {
    this.select(this.client.raw('1'))
      .from('variables as fv')
      .whereRaw('fv.process_instance_key = ??', [instanceColumn])
      .where('fv.name', name)
      .whereRaw('fv.value = ?::jsonb', [JSON.stringify(value)]);
    if (scope === 'root') this.whereRaw('fv.scope_key = fv.process_instance_key');
  });
}
