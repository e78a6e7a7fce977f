import type { Knex } from 'knex';
import type { CompiledProcess } from '../../engine/index.js';
import { badRequest } from '../http/problem.js';
import { enabledTenantUsers } from './org-chart.js';

const PICKERS = {
  // 发起人自选: picked in the start request (`approvers`).
  initiator: {
    strategy: 'initiatorPicks',
    field: 'approvers',
    notNode: 'is not an approval whose approvers the initiator picks',
    summary: 'the approvers picked at the start are not right',
  },
  // 审批人自选: picked in the decision before (`nextApprovers`).
  previous: {
    strategy: 'previousPicks',
    field: 'nextApprovers',
    notNode: 'is not an approval whose approvers the step before picks',
    summary: 'the approvers picked for the next steps are not right',
  },
} as const;

/** A picked list of approvers: 1 to 50 distinct usernames, or undefined when it is not one. */
export function pickList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 50) return undefined;
  if (!value.every((u) => typeof u === 'string' && /^[\p{L}\p{N}._@-]{1,100}$/u.test(u))) return undefined;
  return [...new Set(value as string[])];
}

/**
 * Approvers picked by people, by approval element id: each must name an approval node whose
 * strategy takes picks of this kind, and only enabled users of the tenant. With `requireAll`,
 * every such node that would otherwise raise an incident must be picked for. Answers the checked
 * picks (undefined when none), or a 400 naming each wrong field.
 */
export async function checkApproverPicks(
  db: Knex,
  process: CompiledProcess,
  tenantId: string,
  picks: Record<string, unknown>,
  by: keyof typeof PICKERS,
  requireAll = false,
): Promise<Record<string, string[]> | undefined> {
  const kind = PICKERS[by];
  const errors: Array<{ field: string; reason: string }> = [];
  const out: Record<string, string[]> = {};
  for (const [id, value] of Object.entries(picks)) {
    const field = `${kind.field}.${id}`;
    if (process.nodes.get(id)?.approval?.strategy?.kind !== kind.strategy) {
      errors.push({ field, reason: kind.notNode });
      continue;
    }
    const users = pickList(value);
    if (!users) {
      errors.push({ field, reason: 'expected a list of 1 to 50 usernames' });
      continue;
    }
    const known = new Set(await enabledTenantUsers(db, tenantId, users));
    const unknown = users.filter((u) => !known.has(u));
    if (unknown.length)
      errors.push({
        field,
        reason: `${unknown.map((u) => `<${u}>`).join(', ')} is not a user of tenant <${tenantId}>`,
      });
    else out[id] = users;
  }
  if (requireAll)
    for (const node of process.nodes.values())
      if (
        node.approval?.strategy?.kind === kind.strategy &&
        node.approval.onEmpty === 'incident' &&
        !(node.id in picks)
      )
        errors.push({
          field: `${kind.field}.${node.id}`,
          reason: `is required: pick who approves ${node.name ? `${node.name} ` : ''}<${node.id}>`,
        });
  if (errors.length)
    throw badRequest(`${kind.summary}: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`, errors);
  return Object.keys(out).length ? out : undefined;
}
