import { EventEmitter } from 'node:events';
import { planStartTimers, replaceStartSubscriptions, replaceStartTimers } from '../jobs/start-timers.js';
import { TIMERS_CHANNEL } from '../persistence/instance-store.js';
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { type CompiledProcess, compileBpmn, type Problem as ModelProblem } from '../../engine/index.js';
import { badRequest, type FieldError, notFound } from '../http/problem.js';

import { evaluateRuleSet, type RuleSetDocument, validateRuleSet } from '../rules/rule-sets.js';

export interface Resource {
  name: string;
  content: Buffer;
}

export interface StoredForm {
  formKey: string;
  formId: string;
  version: number;
  schema: any;
  tenantId: string;
}

export interface ProcessDefinitionView {
  processDefinitionKey: string;
  processDefinitionId: string;
  name: string | null;
  version: number;
  versionTag: string | null;
  resourceName: string;
  tenantId: string;
  hasStartForm: boolean;
}

type Prepared =
  | {
      kind: 'process';
      resource: Resource;
      xml: string;
      processes: CompiledProcess[];
      warnings: ModelProblem[];
      checksum: string;
    }
  | { kind: 'form'; resource: Resource; schema: { id: string }; checksum: string }
  | { kind: 'ruleSet'; resource: Resource; doc: RuleSetDocument; checksum: string };

/** NOTIFY channel on which deployments tell every node to forget cached latest versions. */
export const DEFINITIONS_CHANNEL = 'lifeflow_definitions';

const VERSIONED = {
  process: { table: 'process_definitions', idColumn: 'process_definition_id' },
  form: { table: 'forms', idColumn: 'form_id' },
  ruleSet: { table: 'rule_sets', idColumn: 'rule_set_id' },
} as const;

/**
 * Stores a new version of a versioned resource unless its latest version has the same checksum,
 * in which case that version is the answer (as Camunda does for duplicate deployments).
 */
async function storeVersion(
  trx: Knex.Transaction,
  kind: (typeof VERSIONED)[keyof typeof VERSIONED],
  id: string,
  checksum: string,
  newRow: (version: number) => Record<string, unknown> & { tenant_id: string },
): Promise<any> {
  const candidate = newRow(0);
  const latest = await trx(kind.table)
    .where({ tenant_id: candidate.tenant_id, [kind.idColumn]: id })
    .orderBy('version', 'desc')
    .first();
  if (latest && latest.checksum === checksum) return latest;
  const row = { ...candidate, version: (latest?.version ?? 0) + 1 };
  await trx(kind.table).insert(row);
  return row;
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function toView(r: any): ProcessDefinitionView {
  return {
    processDefinitionKey: String(r.process_definition_key),
    processDefinitionId: r.process_definition_id,
    name: r.name ?? null,
    version: r.version,
    versionTag: r.version_tag ?? null,
    resourceName: r.resource_name,
    tenantId: r.tenant_id,
    hasStartForm: false,
  };
}

/**
 * Deploys and versions processes, forms and rule sets per tenant, and keeps compiled models in
 * memory per definition key (versions are immutable, so the cache never goes stale).
 */
export class DefinitionService extends EventEmitter<{ timers: [] }> {
  private readonly compiled = new Map<string, CompiledProcess>();
  private readonly forms = new Map<string, StoredForm>();
  /**
   * Which version is the latest, per kind, tenant and id. Cleared by every deployment: here at
   * once, on other nodes when the deployment's NOTIFY arrives (see `invalidateLatest`). Only
   * resolved values are kept, never a pending query (with PGlite's single connection a pending
   * query outside a transaction must not be awaited inside one).
   */
  private readonly latest = new Map<string, unknown>();

  /** Forgets which versions are the latest; called on deployments, local and remote. */
  invalidateLatest(): void {
    this.generation++;
    this.latest.clear();
  }

  private async cachedLatest<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.latest.has(key)) return this.latest.get(key) as T;
    const generation = this.generation;
    const value = await load();
    if (value !== null && generation === this.generation) this.latest.set(key, value);
    return value;
  }

  private generation = 0;

  constructor(
    private readonly knex: Knex,
    private readonly nextKey: () => string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    super();
  }

  private async prepare(resource: Resource): Promise<{ prepared?: Prepared; errors: FieldError[] }> {
    const name = resource.name;
    const text = resource.content.toString('utf8');
    if (/\.(bpmn|bpmn20\.xml|xml)$/i.test(name)) {
      const result = await compileBpmn(text);
      if (result.errors.length > 0) {
        return {
          errors: result.errors.map((e) => ({
            field: e.elementId ? `${name}#${e.elementId}` : name,
            reason: e.message,
          })),
        };
      }
      return {
        prepared: {
          kind: 'process',
          resource,
          xml: text,
          processes: result.processes,
          warnings: result.warnings,
          checksum: sha(text),
        },
        errors: [],
      };
    }
    if (/\.(form|json)$/i.test(name)) {
      let json: any;
      try {
        json = JSON.parse(text);
      } catch (err) {
        return { errors: [{ field: name, reason: `is not valid JSON: ${(err as Error).message}` }] };
      }
      if (/\.form$/i.test(name) || (Array.isArray(json?.components) && !Array.isArray(json?.rules))) {
        if (typeof json?.id !== 'string' || json.id === '')
          return { errors: [{ field: `${name}#id`, reason: 'a form needs an id' }] };
        if (!Array.isArray(json.components))
          return { errors: [{ field: `${name}#components`, reason: 'a form needs a components array' }] };
        return { prepared: { kind: 'form', resource, schema: json, checksum: sha(text) }, errors: [] };
      }
      const { doc, errors } = validateRuleSet(json, name);
      if (!doc) return { errors };
      return { prepared: { kind: 'ruleSet', resource, doc, checksum: sha(text) }, errors: [] };
    }
    return {
      errors: [
        { field: name, reason: 'unsupported resource type; expected .bpmn, .form or a rule set .json' },
      ],
    };
  }

  /**
   * Validates every resource first (an error anywhere rejects the whole deployment and lists every
   * problem), then stores them in one transaction. A resource identical to the latest version is
   * not stored again: its latest version is returned, as in Camunda.
   */
  async deploy(
    tenantId: string,
    resources: Resource[],
    actor: string | null,
    opts: {
      /** Runs inside the deployment's transaction (use `trx` only): what it writes commits with it. */
      within?: (trx: Knex.Transaction) => Promise<void>;
    } = {},
  ) {
    const prepared = await this.validate(resources);
    return this.store(tenantId, prepared, actor, opts.within);
  }

  /**
   * Checks resources as a deployment would, without storing anything: throws the same 400 with
   * every problem, each named by its resource (and element). Answers what each resource defines
   * (`process:<id>`, `form:<id>`, `ruleSet:<id>`).
   */
  async check(resources: Resource[]): Promise<Array<{ name: string; ids: string[] }>> {
    return (await this.validate(resources)).map((p) => ({
      name: p.resource.name,
      ids:
        p.kind === 'process'
          ? p.processes.map((x) => `process:${x.id}`)
          : [p.kind === 'form' ? `form:${p.schema.id}` : `ruleSet:${p.doc.id}`],
    }));
  }

  private async validate(resources: Resource[]): Promise<Prepared[]> {
    if (resources.length === 0)
      throw badRequest('expected at least one resource', [{ field: 'resources', reason: 'is required' }]);
    const prepared: Prepared[] = [];
    const errors: FieldError[] = [];
    for (const r of resources) {
      const p = await this.prepare(r);
      errors.push(...p.errors);
      if (p.prepared) prepared.push(p.prepared);
    }
    const ids = new Map<string, string>();
    for (const p of prepared) {
      const list =
        p.kind === 'process'
          ? p.processes.map((x) => `process:${x.id}`)
          : [p.kind === 'form' ? `form:${p.schema.id}` : `ruleSet:${p.doc.id}`];
      for (const id of list) {
        if (ids.has(id))
          errors.push({
            field: p.resource.name,
            reason: `duplicate ${id.replace(':', ' id <')}> also in ${ids.get(id)}`,
          });
        ids.set(id, p.resource.name);
      }
    }
    if (errors.length > 0)
      throw badRequest(`the deployment was rejected: ${errors.length} problem(s)`, errors);

    // Timer start events: their first occurrence must be computable now, or the deployment fails.
    for (const p of prepared) {
      if (p.kind === 'process')
        for (const proc of p.processes)
          errors.push(...planStartTimers(proc, this.clock(), p.resource.name).errors);
    }
    if (errors.length > 0)
      throw badRequest(`the deployment was rejected: ${errors.length} problem(s)`, errors);
    return prepared;
  }

  private async store(
    tenantId: string,
    prepared: Prepared[],
    actor: string | null,
    within?: (trx: Knex.Transaction) => Promise<void>,
  ) {
    let timersCreated = false;
    const deploymentKey = this.nextKey();
    const deployments: unknown[] = [];
    const warnings: Array<{ resourceName: string; elementId: string; message: string; rule: string }> = [];
    await this.knex.transaction(async (trx) => {
      // Other nodes forget their "latest version" caches when this commits.
      await trx.raw('select pg_notify(?, ?)', [DEFINITIONS_CHANNEL, deploymentKey]);
      await trx.raw('select pg_notify(?, ?)', [TIMERS_CHANNEL, '']);
      await trx('deployments').insert({
        deployment_key: deploymentKey,
        tenant_id: tenantId,
        created_by: actor,
      });
      for (const p of prepared) {
        const base = {
          tenant_id: tenantId,
          resource_name: p.resource.name,
          checksum: p.checksum,
          deployment_key: deploymentKey,
        };
        if (p.kind === 'process') {
          for (const w of p.warnings) warnings.push({ resourceName: p.resource.name, ...w });
          for (const proc of p.processes) {
            const row = await storeVersion(trx, VERSIONED.process, proc.id, p.checksum, (version) => ({
              ...base,
              process_definition_key: this.nextKey(),
              process_definition_id: proc.id,
              version,
              version_tag: proc.versionTag ?? null,
              name: proc.name ?? null,
              bpmn_xml: p.xml,
            }));
            if (row.deployment_key === deploymentKey) {
              const { plans } = planStartTimers(proc, this.clock(), p.resource.name);
              await replaceStartTimers(
                trx,
                {
                  tenantId,
                  processDefinitionId: proc.id,
                  processDefinitionKey: String(row.process_definition_key),
                  version: row.version,
                },
                plans,
                this.clock(),
                this.nextKey,
              );
              if (plans.length) timersCreated = true;
              const problems = await replaceStartSubscriptions(
                trx,
                proc,
                {
                  tenantId,
                  processDefinitionId: proc.id,
                  processDefinitionKey: String(row.process_definition_key),
                },
                this.clock(),
                this.nextKey,
              );
              if (problems.length) {
                throw badRequest(
                  'the deployment was rejected: start events need fixed names',
                  problems.map((e) => ({ field: `${p.resource.name}#${e.field}`, reason: e.reason })),
                );
              }
            }
            deployments.push({
              processDefinition: {
                processDefinitionId: proc.id,
                processDefinitionVersion: row.version,
                resourceName: p.resource.name,
                tenantId,
                processDefinitionKey: String(row.process_definition_key),
              },
            });
          }
        } else if (p.kind === 'form') {
          const row = await storeVersion(trx, VERSIONED.form, p.schema.id, p.checksum, (version) => ({
            ...base,
            form_key: this.nextKey(),
            form_id: p.schema.id,
            version,
            schema: JSON.stringify(p.schema),
          }));
          deployments.push({
            form: {
              formId: p.schema.id,
              version: row.version,
              resourceName: p.resource.name,
              tenantId,
              formKey: String(row.form_key),
            },
          });
        } else {
          const row = await storeVersion(trx, VERSIONED.ruleSet, p.doc.id, p.checksum, (version) => ({
            ...base,
            rule_set_key: this.nextKey(),
            rule_set_id: p.doc.id,
            version,
            name: p.doc.name ?? null,
            content: JSON.stringify(p.doc),
          }));
          deployments.push({
            ruleSet: {
              ruleSetId: p.doc.id,
              version: row.version,
              resourceName: p.resource.name,
              tenantId,
              ruleSetKey: String(row.rule_set_key),
            },
          });
        }
      }
      if (within) await within(trx);
    });
    this.invalidateLatest();
    if (timersCreated) this.emit('timers');
    return { deploymentKey, tenantId, deployments, warnings };
  }

  /**
   * The compiled model of a definition version. Only finished compilations are cached: a pending
   * load may be waiting for PGlite's single connection, which the caller's transaction holds.
   */
  async getCompiled(processDefinitionKey: string, trx: Knex = this.knex): Promise<CompiledProcess> {
    const cached = this.compiled.get(processDefinitionKey);
    if (cached) return cached;
    const row = await trx('process_definitions')
      .where({ process_definition_key: processDefinitionKey })
      .first('process_definition_id', 'bpmn_xml');
    if (!row)
      throw notFound(
        `expected to find process definition with key <${processDefinitionKey}>, but none was found`,
      );
    const result = await compileBpmn(row.bpmn_xml);
    const proc = result.processes.find((x) => x.id === row.process_definition_id);
    if (!proc) {
      throw new Error(
        `stored definition <${processDefinitionKey}> no longer compiles: ${result.errors.map((e) => e.message).join('; ')}`,
      );
    }
    this.compiled.set(processDefinitionKey, proc);
    return proc;
  }

  /** Finds a definition by key, or by id and version (-1 or absent = latest), within the tenants. */
  async findDefinition(
    q: {
      processDefinitionKey?: string;
      processDefinitionId?: string;
      version?: number;
      versionTag?: string;
      tenantIds: string[];
    },
    trx: Knex = this.knex,
  ): Promise<ProcessDefinitionView | null> {
    if (!q.processDefinitionKey && !q.versionTag && (q.version === undefined || q.version === -1)) {
      const key = `process\u0000${q.tenantIds.join(',')}\u0000${q.processDefinitionId}`;
      return this.cachedLatest(key, () => this.queryDefinition(q, trx));
    }
    return this.queryDefinition(q, trx);
  }

  private async queryDefinition(
    q: {
      processDefinitionKey?: string;
      processDefinitionId?: string;
      version?: number;
      versionTag?: string;
      tenantIds: string[];
    },
    trx: Knex,
  ): Promise<ProcessDefinitionView | null> {
    const query = trx('process_definitions')
      .select(
        'process_definition_key',
        'process_definition_id',
        'name',
        'version',
        'version_tag',
        'resource_name',
        'tenant_id',
      )
      .whereIn('tenant_id', q.tenantIds);
    if (q.processDefinitionKey) query.where({ process_definition_key: q.processDefinitionKey });
    else {
      query.where({ process_definition_id: q.processDefinitionId });
      if (q.version !== undefined && q.version !== -1) query.where({ version: q.version });
      if (q.versionTag) query.where({ version_tag: q.versionTag });
      query.orderBy('version', 'desc');
    }
    const row = await query.first();
    return row ? toView(row) : null;
  }

  async getXml(processDefinitionKey: string, tenantIds: string[]): Promise<string | null> {
    const row = await this.knex('process_definitions')
      .whereIn('tenant_id', tenantIds)
      .where({ process_definition_key: processDefinitionKey })
      .first('bpmn_xml');
    return row?.bpmn_xml ?? null;
  }

  async resolveForm(tenantId: string, formId: string, trx: Knex = this.knex) {
    return this.cachedLatest(`form\u0000${tenantId}\u0000${formId}`, async () => {
      const row = await trx('forms')
        .where({ tenant_id: tenantId, form_id: formId })
        .orderBy('version', 'desc')
        .first('form_key', 'form_id');
      return row ? { formKey: String(row.form_key), formId: row.form_id as string } : null;
    });
  }

  async getForm(formKey: string, trx: Knex = this.knex): Promise<StoredForm | null> {
    // A form version never changes, so a loaded one is kept (finished loads only, see getCompiled).
    const cached = this.forms.get(formKey);
    if (cached) return cached;
    const row = await trx('forms').where({ form_key: formKey }).first();
    if (!row) return null;
    const form: StoredForm = {
      formKey: String(row.form_key),
      formId: row.form_id,
      version: row.version,
      schema: row.schema,
      tenantId: row.tenant_id,
    };
    if (this.forms.size > 10_000) this.forms.clear();
    this.forms.set(formKey, form);
    return form;
  }

  /** The latest deployed version of a rule set in a tenant (its key and document), or null. */
  async latestRuleSet(
    tenantId: string,
    ruleSetId: string,
    trx: Knex = this.knex,
  ): Promise<{ ruleSetKey: string; doc: RuleSetDocument } | null> {
    const row = await this.cachedLatest(`ruleSet\u0000${tenantId}\u0000${ruleSetId}`, () =>
      trx('rule_sets')
        .where({ tenant_id: tenantId, rule_set_id: ruleSetId })
        .orderBy('version', 'desc')
        .first('rule_set_key', 'content')
        .then((r) => r ?? null),
    );
    return row ? { ruleSetKey: String(row.rule_set_key), doc: row.content as RuleSetDocument } : null;
  }

  async evaluateRuleSet(
    tenantId: string,
    ruleSetId: string,
    facts: Record<string, unknown>,
    trx: Knex = this.knex,
  ) {
    const latest = await this.latestRuleSet(tenantId, ruleSetId, trx);
    if (!latest) throw new Error(`expected a deployed rule set with id <${ruleSetId}>, but found none`);
    return evaluateRuleSet(latest.ruleSetKey, latest.doc, facts);
  }
}
