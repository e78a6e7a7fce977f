import { Router } from 'express';
import type { Knex } from 'knex';
import { requireCapability } from '../../auth/access.js';
import { iso } from '../../persistence/rows.js';
import { evaluateRuleSet, runRuleSet, validateRuleSet } from '../../rules/rule-sets.js';
import { badRequest, notFound } from '../problem.js';
import { type FieldSpec, registerReadRoutes } from '../search.js';
import { type AppServices, BodyReader } from '../services.js';

/**
 * Forms and rule sets as deployed (read-only: a new version is a new deployment). The designer
 * lists them, opens one to edit it, and runs a rule set on sample input before deploying it.
 */
interface Versioned {
  table: 'forms' | 'rule_sets';
  idColumn: string;
  keyColumn: string;
  /** Columns of the resource itself, besides the shared ones. */
  extra: string[];
}

const latest = (v: Versioned) =>
  `${v.table}.version = (select max(version) from ${v.table} v2 where v2.tenant_id = ${v.table}.tenant_id and v2.${v.idColumn} = ${v.table}.${v.idColumn})`;

/** One row per version with who deployed it and when (from its deployment). */
const versionsQuery = (v: Versioned) => (knex: Knex) =>
  knex(v.table)
    .join('deployments', 'deployments.deployment_key', `${v.table}.deployment_key`)
    .select(
      `${v.table}.${v.keyColumn}`,
      `${v.table}.${v.idColumn}`,
      `${v.table}.version`,
      `${v.table}.resource_name`,
      `${v.table}.tenant_id`,
      `${v.table}.deployment_key`,
      `${v.table}.created_at`,
      'deployments.created_by as deployed_by',
      ...v.extra.map((c) => `${v.table}.${c}`),
    );

const sharedFields = (v: Versioned): Record<string, FieldSpec> => ({
  version: { column: `${v.table}.version`, type: 'number' },
  resourceName: { column: `${v.table}.resource_name` },
  tenantId: { column: `${v.table}.tenant_id` },
  deploymentKey: { column: `${v.table}.deployment_key`, type: 'key' },
  deployedBy: { column: 'deployments.created_by' },
  isLatestVersion: {
    column: `${v.table}.version`,
    filter: (q, value) =>
      value === true ? q.whereRaw(latest(v)) : value === false ? q.whereRaw(`not (${latest(v)})`) : q,
  },
});

const deployed = (r: any) => ({
  version: r.version,
  resourceName: r.resource_name,
  tenantId: r.tenant_id,
  deploymentKey: String(r.deployment_key),
  deployedAt: iso(r.created_at),
  deployedBy: r.deployed_by ?? null,
});

const FORM: Versioned = { table: 'forms', idColumn: 'form_id', keyColumn: 'form_key', extra: [] };
const RULE_SET: Versioned = {
  table: 'rule_sets',
  idColumn: 'rule_set_id',
  keyColumn: 'rule_set_key',
  extra: ['name'],
};

export function resourceRoutes(s: AppServices): Router {
  const router = Router();

  // Everyone in a tenant may read its forms (they fill them); the schema comes with GET only,
  // as a JSON string like Camunda's GET /v2/user-tasks/{key}/form.
  registerReadRoutes(router, s.knex, {
    path: 'forms',
    table: 'forms',
    keyColumn: 'forms.form_key',
    keyName: 'formKey',
    what: 'form',
    tenantColumn: 'forms.tenant_id',
    restrict: 'tenant-wide',
    query: versionsQuery(FORM),
    detailColumns: ['forms.schema'],
    view: (r: any) => ({
      formKey: String(r.form_key),
      formId: r.form_id,
      ...deployed(r),
      ...(r.schema !== undefined ? { schema: JSON.stringify(r.schema) } : {}),
    }),
    fields: {
      formKey: { column: 'forms.form_key', type: 'key' },
      formId: { column: 'forms.form_id' },
      ...sharedFields(FORM),
    },
  });

  // Rule sets hold the business's thresholds: process owners and administrators read them.
  const ruleSetView = (r: any) => ({
    ruleSetKey: String(r.rule_set_key),
    ruleSetId: r.rule_set_id,
    name: r.name ?? null,
    ...deployed(r),
    ...(r.content !== undefined ? { content: r.content } : {}),
  });
  router.use('/rule-sets', (req, _res, next) => {
    requireCapability(req.principal!, 'deploy', 'read and test rule sets');
    next();
  });
  router.post('/rule-sets/evaluation', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const key = b.key('ruleSetKey');
    const draft = req.body?.ruleSet;
    const variables = b.object('variables');
    if ((key === undefined) === (draft === undefined) && !b.errors.length)
      b.errors.push({ field: 'ruleSet', reason: 'give either ruleSet (a rule-set document) or ruleSetKey' });
    b.done();
    if (key !== undefined) {
      const row = await s
        .knex('rule_sets')
        .whereIn('tenant_id', req.principal!.tenantIds)
        .where({ rule_set_key: key })
        .first('rule_set_key', 'content');
      if (!row) throw notFound(`expected to find rule set with key <${key}>, but none was found`);
      return res.json(await evaluateRuleSet(String(row.rule_set_key), row.content, variables));
    }
    const { doc, errors } = validateRuleSet(draft, 'ruleSet');
    if (!doc)
      throw badRequest(
        `the rule set is not valid: ${errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
        errors,
      );
    res.json(await runRuleSet(doc, variables));
  });
  registerReadRoutes(router, s.knex, {
    path: 'rule-sets',
    table: 'rule_sets',
    keyColumn: 'rule_sets.rule_set_key',
    keyName: 'ruleSetKey',
    what: 'rule set',
    tenantColumn: 'rule_sets.tenant_id',
    restrict: 'tenant-wide',
    query: versionsQuery(RULE_SET),
    detailColumns: ['rule_sets.content'],
    view: ruleSetView,
    fields: {
      ruleSetKey: { column: 'rule_sets.rule_set_key', type: 'key' },
      ruleSetId: { column: 'rule_sets.rule_set_id' },
      name: { column: 'rule_sets.name' },
      ...sharedFields(RULE_SET),
    },
  });
  return router;
}
