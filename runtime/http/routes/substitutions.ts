import { type Request, Router } from 'express';
import { can, requireCapability } from '../../auth/access.js';
import { badRequest, notFound } from '../problem.js';
import { type FieldSpec, search } from '../search.js';
import { type AppServices, BodyReader, pathKey, targetTenant } from '../services.js';

const view = (r: any) => ({
  substitutionKey: String(r.substitution_key),
  tenantId: r.tenant_id,
  username: r.username,
  substitute: r.substitute,
  startsAt: new Date(r.starts_at).toISOString(),
  endsAt: new Date(r.ends_at).toISOString(),
  processDefinitionId: r.process_definition_id ?? null,
});

const FIELDS: Record<string, FieldSpec> = {
  username: { column: 'username' },
  substitute: { column: 'substitute' },
  processDefinitionId: { column: 'process_definition_id' },
  tenantId: { column: 'tenant_id' },
};

/**
 * Lifeflow: 代理 (out-of-office) rules. While a user is away, new tasks assigned to them go to their
 * substitute, who acts for them (the task keeps the absent user as its owner). Users manage their
 * own rules; administrators those of anyone in their tenants.
 */
export function substitutionRoutes(s: AppServices): Router {
  const router = Router();
  const mine = (req: Request) => {
    const q = s.knex('substitutions').whereIn('tenant_id', req.principal!.tenantIds);
    return can(req.principal!, 'manage-identity') ? q : q.where({ username: req.principal!.username });
  };

  router.post('/substitutions/search', async (req, res) => {
    res.json(
      await search(mine(req).select('*'), FIELDS, req.body, view, [
        { column: 'substitution_key', order: 'asc' },
      ]),
    );
  });

  router.post('/substitutions', async (req, res) => {
    requireCapability(req.principal!, 'work-tasks', 'set out-of-office rules');
    const b = new BodyReader(req.body ?? {});
    const username = b.string('username') ?? req.principal!.username;
    const substitute = b.string('substitute', { required: true });
    const startsAt = b.string('startsAt', { required: true });
    const endsAt = b.string('endsAt', { required: true });
    const processDefinitionId = b.string('processDefinitionId') ?? null;
    const tenantId = targetTenant(req, b.string('tenantId'));
    const from = new Date(startsAt ?? '');
    const to = new Date(endsAt ?? '');
    if (startsAt && Number.isNaN(from.getTime()))
      b.errors.push({ field: 'startsAt', reason: 'must be an ISO 8601 date-time' });
    if (endsAt && Number.isNaN(to.getTime()))
      b.errors.push({ field: 'endsAt', reason: 'must be an ISO 8601 date-time' });
    if (!b.errors.length && to <= from) b.errors.push({ field: 'endsAt', reason: 'must be after startsAt' });
    if (substitute && substitute === username)
      b.errors.push({ field: 'substitute', reason: 'cannot be the absent user' });
    b.done();
    if (username !== req.principal!.username)
      requireCapability(req.principal!, 'manage-identity', 'set out-of-office rules for others');
    for (const [field, user] of [
      ['substitute', substitute!],
      ['username', username],
    ] as const) {
      const member = await s.identity
        .usersIn([tenantId])
        .andWhere('users.username', user)
        .first('users.username');
      if (!member)
        throw badRequest(`expected <${user}> to be a user of tenant <${tenantId}>`, [
          { field, reason: 'is not a user of the tenant' },
        ]);
    }
    const [row] = await s
      .knex('substitutions')
      .insert({
        substitution_key: s.nextKey(),
        tenant_id: tenantId,
        username,
        substitute,
        starts_at: from,
        ends_at: to,
        process_definition_id: processDefinitionId,
        created_by: req.principal!.username,
      })
      .returning('*');
    s.engine.forgetSubstitutions(tenantId);
    res.status(201).json(view(row));
  });

  router.delete('/substitutions/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'substitutionKey');
    const row = await mine(req).where({ substitution_key: key }).first();
    if (!row) throw notFound(`expected to find out-of-office rule with key <${key}>, but none was found`);
    await s.knex('substitutions').where({ substitution_key: key }).delete();
    s.engine.forgetSubstitutions(row.tenant_id);
    res.status(204).end();
  });
  return router;
}
