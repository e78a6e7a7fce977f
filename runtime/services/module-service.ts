import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { badRequest, conflict, type FieldError, notFound } from '../http/problem.js';
import type { NotificationService } from '../notifications/notification-service.js';
import { CHANNELS, checkTemplate, LOCALES, NOTIFICATION_EVENTS } from '../notifications/templates.js';
import { DASHBOARD_QUERIES } from '../dashboards/dashboard-queries.js';
import type { DefinitionService } from './definitions.js';

/** The `format` of a module file (`<id>-<version>.lfmodule.json`). */
export const MODULE_FORMAT = 'lifeflow-module';
export const MODULE_FORMAT_VERSION = 1;

const MODULE_ID = /^[a-z][a-z0-9-]{1,62}$/;
const SEMVER = /^(\d{1,6})\.(\d{1,6})\.(\d{1,6})$/;
const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(bpmn|form|rules\.json)$/;
const MAX_RESOURCES = 50;
const MAX_RESOURCE_CHARS = 2 * 1024 * 1024;
const MAX_DASHBOARDS = 50;
/** How a dashboard draws its data (the web app's echarts). */
export const DASHBOARD_CHARTS = ['bar', 'line', 'stacked-bar'];

export type LocalizedText = { 'zh-CN': string; en: string };

export interface ModuleTemplate {
  event: string;
  channel: string;
  locale: string;
  subject: string;
  body: string;
}

/** A module file: what `GET …/file` answers and `POST /v2/modules` takes. */
export interface ModuleFile {
  format: typeof MODULE_FORMAT;
  formatVersion: number;
  id: string;
  version: string;
  name: LocalizedText;
  description: LocalizedText;
  resources: Array<{ name: string; content: string }>;
  notificationTemplates: ModuleTemplate[];
  /** Dashboards: an id, a name, a built-in `query` (see dashboard-queries.ts) and a `chart` type. */
  dashboards: Array<{ id: string; name: LocalizedText } & Record<string, unknown>>;
  /** Default settings a tenant starts from when it enables the module. */
  settings: Record<string, unknown>;
  /** Modules a tenant must have enabled before this one (e.g. kpi starts feedback-loop instances). */
  requires: string[];
}

/** What a module file holds besides its identity (stored as `content`). */
type ModuleContent = Pick<ModuleFile, 'resources' | 'notificationTemplates' | 'dashboards' | 'settings'> & {
  requires?: string[];
};

/** `1.2.10` → `000001.000002.000010`: versions order as text. */
export const versionOrder = (v: string): string =>
  (SEMVER.exec(v) ?? [])
    .slice(1)
    .map((n) => n.padStart(6, '0'))
    .join('.');

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function localized(v: unknown, field: string, errors: FieldError[]): LocalizedText {
  if (!isObject(v)) {
    errors.push({ field, reason: 'must be an object with zh-CN and en texts' });
    return { 'zh-CN': '', en: '' };
  }
  for (const l of LOCALES)
    if (typeof v[l] !== 'string' || !(v[l] as string).trim() || (v[l] as string).length > 500)
      errors.push({ field: `${field}.${l}`, reason: 'must be a non-empty text of at most 500 characters' });
  return { 'zh-CN': String(v['zh-CN'] ?? ''), en: String(v.en ?? '') };
}

/**
 * Reads a module file, collecting every problem with its field (`resources[2].name`, …). Resources
 * are checked here for shape only; the deployment checks (BPMN, forms, rule sets) run on import.
 */
export function parseModuleFile(input: unknown): { module?: ModuleFile; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!isObject(input))
    return { errors: [{ field: '(body)', reason: 'expected a module file (a JSON object)' }] };
  if (input.format !== MODULE_FORMAT) errors.push({ field: 'format', reason: `must be "${MODULE_FORMAT}"` });
  if (input.formatVersion !== MODULE_FORMAT_VERSION)
    errors.push({ field: 'formatVersion', reason: `must be ${MODULE_FORMAT_VERSION}` });
  const id = input.id;
  if (typeof id !== 'string' || !MODULE_ID.test(id))
    errors.push({
      field: 'id',
      reason: 'must be 2-63 lower-case letters, digits or dashes, starting with a letter',
    });
  const version = input.version;
  if (typeof version !== 'string' || !SEMVER.test(version))
    errors.push({ field: 'version', reason: 'must be a version like 1.0.0 (major.minor.patch)' });
  const name = localized(input.name, 'name', errors);
  const description =
    input.description === undefined
      ? { 'zh-CN': name['zh-CN'], en: name.en }
      : localized(input.description, 'description', errors);

  const resources: ModuleFile['resources'] = [];
  if (!Array.isArray(input.resources) || input.resources.length === 0)
    errors.push({
      field: 'resources',
      reason: 'must list at least one resource (.bpmn, .form, .rules.json)',
    });
  else if (input.resources.length > MAX_RESOURCES)
    errors.push({ field: 'resources', reason: `may hold at most ${MAX_RESOURCES} resources` });
  else {
    const seen = new Set<string>();
    input.resources.forEach((r, i) => {
      const at = `resources[${i}]`;
      if (!isObject(r)) {
        errors.push({ field: at, reason: 'must be an object with name and content' });
        return;
      }
      if (typeof r.name !== 'string' || !RESOURCE_NAME.test(r.name))
        errors.push({
          field: `${at}.name`,
          reason: 'must be a file name ending in .bpmn, .form or .rules.json',
        });
      else if (seen.has(r.name))
        errors.push({ field: `${at}.name`, reason: `duplicate resource <${r.name}>` });
      if (typeof r.content !== 'string' || !r.content.trim())
        errors.push({ field: `${at}.content`, reason: 'must be the non-empty text of the file' });
      else if (r.content.length > MAX_RESOURCE_CHARS)
        errors.push({ field: `${at}.content`, reason: `must be at most ${MAX_RESOURCE_CHARS} characters` });
      if (typeof r.name === 'string') seen.add(r.name);
      resources.push({ name: String(r.name), content: String(r.content ?? '') });
    });
  }

  const notificationTemplates: ModuleTemplate[] = [];
  if (input.notificationTemplates !== undefined) {
    if (!Array.isArray(input.notificationTemplates))
      errors.push({ field: 'notificationTemplates', reason: 'must be a list' });
    else {
      const seen = new Set<string>();
      input.notificationTemplates.forEach((tpl, i) => {
        const at = `notificationTemplates[${i}]`;
        if (!isObject(tpl)) {
          errors.push({ field: at, reason: 'must be an object' });
          return;
        }
        const one = (f: string, allowed: readonly string[]) => {
          if (!allowed.includes(tpl[f] as string))
            errors.push({ field: `${at}.${f}`, reason: `must be one of ${allowed.join(', ')}` });
        };
        one('event', NOTIFICATION_EVENTS);
        one('channel', CHANNELS);
        one('locale', LOCALES);
        for (const f of ['subject', 'body'] as const) {
          if (typeof tpl[f] !== 'string' || !(tpl[f] as string).trim())
            errors.push({ field: `${at}.${f}`, reason: 'must be a non-empty text' });
          else
            errors.push(
              ...checkTemplate(f, tpl[f] as string).map((e) => ({
                field: `${at}.${e.field}`,
                reason: e.reason,
              })),
            );
        }
        const k = `${tpl.event}/${tpl.channel}/${tpl.locale}`;
        if (seen.has(k)) errors.push({ field: at, reason: `duplicate template for ${k}` });
        seen.add(k);
        notificationTemplates.push({
          event: String(tpl.event),
          channel: String(tpl.channel),
          locale: String(tpl.locale),
          subject: String(tpl.subject ?? ''),
          body: String(tpl.body ?? ''),
        });
      });
    }
  }

  const dashboards: ModuleFile['dashboards'] = [];
  if (input.dashboards !== undefined) {
    if (!Array.isArray(input.dashboards) || input.dashboards.length > MAX_DASHBOARDS)
      errors.push({ field: 'dashboards', reason: `must be a list of at most ${MAX_DASHBOARDS} dashboards` });
    else
      input.dashboards.forEach((d, i) => {
        const at = `dashboards[${i}]`;
        if (!isObject(d) || typeof d.id !== 'string' || !MODULE_ID.test(d.id)) {
          errors.push({ field: `${at}.id`, reason: 'must be an id of lower-case letters, digits or dashes' });
          return;
        }
        if (!(DASHBOARD_QUERIES as readonly string[]).includes(d.query as string))
          errors.push({ field: `${at}.query`, reason: `must be one of ${DASHBOARD_QUERIES.join(', ')}` });
        if (d.chart !== undefined && !DASHBOARD_CHARTS.includes(d.chart as string))
          errors.push({ field: `${at}.chart`, reason: `must be one of ${DASHBOARD_CHARTS.join(', ')}` });
        dashboards.push({ ...d, id: d.id, name: localized(d.name, `${at}.name`, errors) });
      });
  }

  const requires: string[] = [];
  if (input.requires !== undefined) {
    if (!Array.isArray(input.requires) || input.requires.length > 20)
      errors.push({ field: 'requires', reason: 'must be a list of at most 20 module ids' });
    else
      input.requires.forEach((r, i) => {
        if (typeof r !== 'string' || !MODULE_ID.test(r) || r === input.id)
          errors.push({ field: `requires[${i}]`, reason: 'must be the id of another module' });
        else requires.push(r);
      });
  }

  let settings: Record<string, unknown> = {};
  if (input.settings !== undefined) {
    if (!isObject(input.settings)) errors.push({ field: 'settings', reason: 'must be an object' });
    else settings = input.settings;
  }

  if (errors.length) return { errors };
  return {
    module: {
      format: MODULE_FORMAT,
      formatVersion: MODULE_FORMAT_VERSION,
      id: id as string,
      version: version as string,
      name,
      description,
      resources,
      notificationTemplates,
      dashboards,
      settings,
      requires,
    },
    errors,
  };
}

/** A stable digest of a module's content: importing the same file twice is not a conflict. */
function digestOf(m: ModuleFile): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(v[k])]),
          )
        : v;
  // A file without dependencies digests as before `requires` existed (already imported versions match).
  const { requires, ...rest } = m;
  const hashed = requires.length ? m : rest;
  return createHash('sha256')
    .update(JSON.stringify(canonical(hashed)))
    .digest('hex');
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const kindOf = (name: string) =>
  name.endsWith('.bpmn') ? 'process' : name.endsWith('.form') ? 'form' : 'ruleSet';
/** Notification templates a module wrote carry this as updated_by; a tenant's own edits do not. */
const moduleAuthor = (moduleId: string) => `module:${moduleId}`;

export interface ResourceChange {
  resourceName: string;
  kind: 'process' | 'form' | 'ruleSet';
  /** ADDED / CHANGED / UNCHANGED / REMOVED in the standard; OVERRIDDEN: the tenant's own is kept. */
  change: 'ADDED' | 'CHANGED' | 'UNCHANGED' | 'REMOVED' | 'OVERRIDDEN';
  /** For OVERRIDDEN: whether the standard changed since the version the override was made from. */
  standardChanged?: boolean;
  /** For processes that change: the tenant's running instances of the process (they stay on their version). */
  runningInstances?: {
    total: number;
    items: Array<{ processInstanceKey: string; businessKey: string | null; version: number }>;
  };
}

/**
 * Modules: the group standard (module versions, shared by all tenants) and each tenant's use of it
 * (the version enabled, its own overrides of resources). Enabling deploys the module's resources
 * into the tenant, overrides instead of the standard's, in one transaction with the bookkeeping.
 */
export class ModuleService {
  constructor(
    private readonly knex: Knex,
    private readonly definitions: DefinitionService,
    private readonly notifications: Pick<NotificationService, 'forget'>,
  ) {}

  /** Stores a module version after checking every resource as a deployment would. */
  async import(
    input: unknown,
    actor: string | null,
  ): Promise<{ moduleId: string; version: string; created: boolean }> {
    const { module: m, errors } = parseModuleFile(input);
    if (!m) throw badRequest(`the module file is not valid: ${errors.length} problem(s)`, errors);
    // Known versions first: every start imports the shipped modules again, and a version stored
    // before was checked when it came (compiling its BPMN again would only slow the start).
    const digest = digestOf(m);
    const existing = await this.knex('module_versions')
      .where({ module_id: m.id, version: m.version })
      .first('digest');
    if (existing) {
      if (existing.digest === digest) return { moduleId: m.id, version: m.version, created: false };
      throw conflict(
        `module <${m.id}> version ${m.version} exists with other content; give the changed module a new version`,
      );
    }
    await this.checkResources(m.resources);
    const content: ModuleContent = {
      resources: m.resources,
      notificationTemplates: m.notificationTemplates,
      dashboards: m.dashboards,
      settings: m.settings,
      requires: m.requires,
    };
    await this.knex('module_versions')
      .insert({
        module_id: m.id,
        version: m.version,
        version_order: versionOrder(m.version),
        name: JSON.stringify(m.name),
        description: JSON.stringify(m.description),
        content: JSON.stringify(content),
        digest,
        imported_by: actor,
      })
      .onConflict(['module_id', 'version'])
      .ignore();
    return { moduleId: m.id, version: m.version, created: true };
  }

  private async checkResources(resources: Array<{ name: string; content: string }>) {
    try {
      return await this.definitions.check(
        resources.map((r) => ({ name: r.name, content: Buffer.from(r.content) })),
      );
    } catch (err) {
      const e = err as { status?: number; errors?: FieldError[] };
      if (e.status === 400 && e.errors) {
        const index = new Map(resources.map((r, i) => [r.name, i]));
        // Name the field of the module file: resources[i].content (and the element after #).
        throw badRequest(
          `the module's resources were rejected: ${e.errors.length} problem(s)`,
          e.errors.map((x) => {
            const [file, element] = x.field.split('#');
            const i = index.get(file);
            return {
              field: i === undefined ? x.field : `resources[${i}].content${element ? `#${element}` : ''}`,
              reason: x.reason,
            };
          }),
        );
      }
      throw err;
    }
  }

  private async version(moduleId: string, version?: string) {
    const q = this.knex('module_versions').where({ module_id: moduleId });
    const row = version
      ? await q.andWhere({ version }).first()
      : await q.orderBy('version_order', 'desc').first();
    if (!row)
      throw notFound(
        version
          ? `expected to find module <${moduleId}> version ${version}, but none was found`
          : `expected to find module <${moduleId}>, but none was found`,
      );
    return {
      moduleId: row.module_id as string,
      version: row.version as string,
      name: json<LocalizedText>(row.name),
      description: json<LocalizedText>(row.description),
      content: json<ModuleContent>(row.content),
      importedBy: row.imported_by as string | null,
      importedAt: new Date(row.imported_at).toISOString(),
    };
  }

  /** The module file of a version, as it was imported. */
  async file(moduleId: string, version: string): Promise<ModuleFile> {
    const v = await this.version(moduleId, version);
    return {
      format: MODULE_FORMAT,
      formatVersion: MODULE_FORMAT_VERSION,
      id: v.moduleId,
      version: v.version,
      name: v.name,
      description: v.description,
      ...v.content,
      requires: v.content.requires ?? [],
    };
  }

  private async tenantState(tenantId: string, moduleId: string) {
    const row = await this.knex('tenant_modules').where({ tenant_id: tenantId, module_id: moduleId }).first();
    const overrides = await this.knex('tenant_module_overrides')
      .where({ tenant_id: tenantId, module_id: moduleId })
      .orderBy('resource_name');
    return {
      enabled: row ? Boolean(row.enabled) : false,
      version: (row?.version as string | undefined) ?? null,
      settings: row ? json<Record<string, unknown>>(row.settings) : null,
      overrides: overrides.map((o) => ({
        resourceName: o.resource_name as string,
        baseVersion: o.base_version as string,
        updatedBy: o.updated_by as string | null,
        updatedAt: new Date(o.updated_at).toISOString(),
        content: o.content as string,
      })),
    };
  }

  /** Every module with its latest version, and what the tenant uses of it. */
  async search(tenantId: string, filter: { moduleId?: string } = {}) {
    const rows = await this.knex('module_versions')
      .modify((q) => {
        if (filter.moduleId) q.where({ module_id: filter.moduleId });
      })
      .orderBy([{ column: 'module_id' }, { column: 'version_order', order: 'desc' }])
      .select('module_id', 'version', 'name', 'description');
    const states = await this.knex('tenant_modules').where({ tenant_id: tenantId });
    const overrideCounts: Array<{ module_id: string; n: number | string }> = await this.knex(
      'tenant_module_overrides',
    )
      .where({ tenant_id: tenantId })
      .groupBy('module_id')
      .select('module_id')
      .count({ n: '*' });
    const byModule = new Map<string, any[]>();
    for (const r of rows) byModule.set(r.module_id, [...(byModule.get(r.module_id) ?? []), r]);
    return [...byModule.entries()].map(([moduleId, versions]) => {
      const state = states.find((s) => s.module_id === moduleId);
      const latest = versions[0];
      return {
        moduleId,
        name: json<LocalizedText>(latest.name),
        description: json<LocalizedText>(latest.description),
        latestVersion: latest.version as string,
        versions: versions.map((v) => v.version as string),
        enabled: state ? Boolean(state.enabled) : false,
        enabledVersion: (state?.version as string | undefined) ?? null,
        upgradeAvailable: state ? versionOrder(latest.version) > versionOrder(state.version) : false,
        overrides: Number(overrideCounts.find((c) => c.module_id === moduleId)?.n ?? 0),
      };
    });
  }

  /** One module: its latest version's resources (marked where the tenant overrides them), its versions and the tenant's state. */
  async get(tenantId: string, moduleId: string) {
    const [item] = await this.search(tenantId, { moduleId });
    if (!item) throw notFound(`expected to find module <${moduleId}>, but none was found`);
    const state = await this.tenantState(tenantId, moduleId);
    const shown = await this.version(moduleId, state.version ?? undefined);
    const overridden = new Set(state.overrides.map((o) => o.resourceName));
    return {
      ...item,
      version: shown.version,
      settings: state.settings ?? shown.content.settings,
      resources: shown.content.resources.map((r) => ({
        resourceName: r.name,
        kind: kindOf(r.name),
        overridden: overridden.has(r.name),
      })),
      notificationTemplates: shown.content.notificationTemplates.map(({ event, channel, locale }) => ({
        event,
        channel,
        locale,
      })),
      dashboards: shown.content.dashboards.map((d) => ({ id: d.id, name: d.name })),
      overriddenResources: state.overrides.map(({ content: _c, ...o }) => o),
    };
  }

  /**
   * Enables a version of a module in a tenant (or upgrades/downgrades to it): deploys its
   * resources, the tenant's overrides in place of the standard's, writes its notification templates
   * where the tenant has none of its own, and records the version, all in one transaction.
   */
  async enable(tenantId: string, moduleId: string, version: string | undefined, actor: string | null) {
    const target = await this.version(moduleId, version);
    const required = target.content.requires ?? [];
    const present = required.length
      ? ((await this.knex('tenant_modules')
          .where({ tenant_id: tenantId, enabled: true })
          .whereIn('module_id', required)
          .pluck('module_id')) as string[])
      : [];
    const missing = required.filter((r) => !present.includes(r));
    if (missing.length)
      throw conflict(
        `module <${moduleId}> needs ${missing.map((m) => `<${m}>`).join(', ')} enabled in tenant <${tenantId}> first`,
      );
    const state = await this.tenantState(tenantId, moduleId);
    const overrides = new Map(state.overrides.map((o) => [o.resourceName, o.content]));
    const resources = target.content.resources.map((r) => ({
      name: r.name,
      content: Buffer.from(overrides.get(r.name) ?? r.content),
    }));
    const settings = { ...target.content.settings, ...(state.settings ?? {}) };
    const deployed = await this.definitions.deploy(tenantId, resources, actor, {
      within: async (trx) => {
        await trx('tenant_modules')
          .insert({
            tenant_id: tenantId,
            module_id: moduleId,
            version: target.version,
            enabled: true,
            settings: JSON.stringify(settings),
            updated_by: actor,
            updated_at: new Date(),
          })
          .onConflict(['tenant_id', 'module_id'])
          .merge(['version', 'enabled', 'settings', 'updated_by', 'updated_at']);
        // Its processes may be started again.
        await trx('disabled_processes').where({ tenant_id: tenantId, module_id: moduleId }).delete();
        await this.writeTemplates(trx, tenantId, moduleId, target.content.notificationTemplates);
      },
    });
    this.notifications.forget(tenantId);
    return { moduleId, version: target.version, tenantId, deployments: deployed.deployments };
  }

  private async writeTemplates(
    trx: Knex.Transaction,
    tenantId: string,
    moduleId: string,
    templates: ModuleTemplate[],
  ) {
    if (!templates.length) return;
    // A template the tenant wrote itself is its customisation: an upgrade keeps it. One read of
    // the tenant's templates, one write of the module's others.
    const own = new Set(
      (
        await trx('notification_templates')
          .where({ tenant_id: tenantId })
          .whereRaw('updated_by is distinct from ?', [moduleAuthor(moduleId)])
          .select('event', 'channel', 'locale')
      ).map((r: any) => `${r.event}/${r.channel}/${r.locale}`),
    );
    const rows = templates
      .filter((tpl) => !own.has(`${tpl.event}/${tpl.channel}/${tpl.locale}`))
      .map((tpl) => ({
        tenant_id: tenantId,
        event: tpl.event,
        channel: tpl.channel,
        locale: tpl.locale,
        subject: tpl.subject,
        body: tpl.body,
        updated_by: moduleAuthor(moduleId),
        updated_at: new Date(),
      }));
    if (rows.length)
      await trx('notification_templates')
        .insert(rows)
        .onConflict(['tenant_id', 'event', 'channel', 'locale'])
        .merge(['subject', 'body', 'updated_by', 'updated_at']);
  }

  /**
   * Disables a module in a tenant. Its definitions and running instances stay; nothing is deleted.
   * Its processes can no longer be started there (the start catalogue leaves them out, timers skip
   * them) until the module is enabled again.
   */
  async disable(tenantId: string, moduleId: string, actor: string | null): Promise<void> {
    // Refused while another enabled module of the tenant needs this one.
    // (asked of the database: the contents hold every resource's text)
    const dependents = (
      (await this.knex('tenant_modules as tm')
        .join('module_versions as mv', function () {
          this.on('mv.module_id', 'tm.module_id').andOn('mv.version', 'tm.version');
        })
        .where({ 'tm.tenant_id': tenantId, 'tm.enabled': true })
        .whereRaw("mv.content->'requires' @> ?::jsonb", [JSON.stringify([moduleId])])
        .orderBy('tm.module_id')
        .pluck('tm.module_id')) as string[]
    ).map((id) => `<${id}>`);
    if (dependents.length)
      throw conflict(
        `module <${moduleId}> is needed by ${dependents.join(', ')}: disable ${dependents.length > 1 ? 'them' : 'it'} first`,
      );
    const state = await this.tenantState(tenantId, moduleId);
    if (!state.enabled || !state.version)
      throw notFound(`expected module <${moduleId}> to be enabled in tenant <${tenantId}>, but it is not`);
    // The processes it deployed: the standard's, or the tenant's override of each (same ids).
    const current = await this.version(moduleId, state.version);
    const ids = new Set(
      await this.processIdsOf(current.content.resources.filter((x) => kindOf(x.name) === 'process')),
    );
    await this.knex.transaction(async (trx) => {
      const n = await trx('tenant_modules')
        .where({ tenant_id: tenantId, module_id: moduleId, enabled: true })
        .update({ enabled: false, updated_by: actor, updated_at: new Date() });
      if (!n)
        throw notFound(`expected module <${moduleId}> to be enabled in tenant <${tenantId}>, but it is not`);
      if (ids.size)
        await trx('disabled_processes')
          .insert(
            [...ids].map((id) => ({ tenant_id: tenantId, process_definition_id: id, module_id: moduleId })),
          )
          .onConflict(['tenant_id', 'process_definition_id', 'module_id'])
          .ignore();
    });
  }

  private async enabledState(tenantId: string, moduleId: string) {
    await this.version(moduleId); // 404 for an unknown module
    const state = await this.tenantState(tenantId, moduleId);
    if (!state.enabled || !state.version)
      throw conflict(`module <${moduleId}> is not enabled in tenant <${tenantId}>: enable it first`);
    return state as typeof state & { version: string };
  }

  private standardResource(content: ModuleContent, moduleId: string, version: string, name: string) {
    const r = content.resources.find((x) => x.name === name);
    if (!r)
      throw notFound(
        `expected module <${moduleId}> version ${version} to have resource <${name}>, but it has none`,
      );
    return r;
  }

  /** A resource as the tenant runs it: the standard of its version, its override, and the latest standard. */
  async resource(tenantId: string, moduleId: string, name: string) {
    const state = await this.tenantState(tenantId, moduleId);
    const current = await this.version(moduleId, state.version ?? undefined);
    const latest = await this.version(moduleId);
    const standard = this.standardResource(current.content, moduleId, current.version, name);
    const override = state.overrides.find((o) => o.resourceName === name) ?? null;
    const base =
      override && override.baseVersion !== current.version
        ? await this.version(moduleId, override.baseVersion).catch(() => null)
        : null;
    const latestResource = latest.content.resources.find((x) => x.name === name);
    return {
      moduleId,
      resourceName: name,
      kind: kindOf(name),
      standard: { version: current.version, content: standard.content },
      override: override
        ? {
            content: override.content,
            baseVersion: override.baseVersion,
            // The standard as it was when the override was made (what its diff is against).
            baseContent: base
              ? (base.content.resources.find((x) => x.name === name)?.content ?? null)
              : standard.content,
            updatedBy: override.updatedBy,
            updatedAt: override.updatedAt,
          }
        : null,
      latest:
        latest.version !== current.version && latestResource
          ? { version: latest.version, content: latestResource.content }
          : null,
    };
  }

  /**
   * Stores the tenant's own version of a module resource and deploys it. It must define the same
   * process, form or rule set as the standard (an override replaces, it does not add).
   */
  async override(tenantId: string, moduleId: string, name: string, content: string, actor: string | null) {
    const state = await this.enabledState(tenantId, moduleId);
    const current = await this.version(moduleId, state.version);
    const standard = this.standardResource(current.content, moduleId, current.version, name);
    const [mine] = await this.checkResources([{ name, content }]).catch((err) => {
      // Name the field of this request, not of a module file.
      const e = err as { status?: number; errors?: FieldError[]; message: string };
      if (e.status === 400 && e.errors)
        throw badRequest(
          e.message,
          e.errors.map((x) => ({
            field: x.field.replace(/^resources\[0\]\.content/, 'content'),
            reason: x.reason,
          })),
        );
      throw err;
    });
    const [theirs] = await this.definitions.check([{ name, content: Buffer.from(standard.content) }]);
    const expected = [...theirs.ids].sort().join(', ');
    if ([...mine.ids].sort().join(', ') !== expected)
      throw badRequest(`an override of <${name}> must define what the standard does (${expected})`, [
        { field: 'content', reason: `must define ${expected}, as the standard <${name}> does` },
      ]);
    const deployed = await this.definitions.deploy(
      tenantId,
      [{ name, content: Buffer.from(content) }],
      actor,
      {
        within: async (trx) => {
          await trx('tenant_module_overrides')
            .insert({
              tenant_id: tenantId,
              module_id: moduleId,
              resource_name: name,
              content,
              base_version: current.version,
              updated_by: actor,
              updated_at: new Date(),
            })
            .onConflict(['tenant_id', 'module_id', 'resource_name'])
            .merge(['content', 'base_version', 'updated_by', 'updated_at']);
        },
      },
    );
    return { moduleId, resourceName: name, baseVersion: current.version, deployments: deployed.deployments };
  }

  /** Drops the tenant's override: the standard of its enabled version is deployed again. */
  async removeOverride(tenantId: string, moduleId: string, name: string, actor: string | null) {
    const state = await this.enabledState(tenantId, moduleId);
    if (!state.overrides.some((o) => o.resourceName === name))
      throw notFound(
        `expected tenant <${tenantId}> to override <${name}> of module <${moduleId}>, but it does not`,
      );
    const current = await this.version(moduleId, state.version);
    const standard = this.standardResource(current.content, moduleId, current.version, name);
    const deployed = await this.definitions.deploy(
      tenantId,
      [{ name, content: Buffer.from(standard.content) }],
      actor,
      {
        within: async (trx) => {
          await trx('tenant_module_overrides')
            .where({ tenant_id: tenantId, module_id: moduleId, resource_name: name })
            .delete();
        },
      },
    );
    return { moduleId, resourceName: name, deployments: deployed.deployments };
  }

  /**
   * What enabling another version would change in the tenant, resource by resource, with the
   * running instances of each process that changes (they keep running on their version).
   */
  async upgradePreview(tenantId: string, moduleId: string, version: string) {
    const target = await this.version(moduleId, version);
    const state = await this.tenantState(tenantId, moduleId);
    const current = state.version ? await this.version(moduleId, state.version) : null;
    const overrides = new Map(state.overrides.map((o) => [o.resourceName, o]));
    const before = new Map((current?.content.resources ?? []).map((r) => [r.name, r.content]));
    const changes: ResourceChange[] = [];
    // Overrides made from the same older standard share one read of it.
    const bases = new Map<string, Promise<Awaited<ReturnType<typeof this.version>> | null>>();
    const baseOf = (v: string) => {
      if (!bases.has(v))
        bases.set(
          v,
          this.version(moduleId, v).catch(() => null),
        );
      return bases.get(v)!;
    };
    for (const r of target.content.resources) {
      const kind = kindOf(r.name);
      const override = overrides.get(r.name);
      if (override) {
        const base =
          override.baseVersion === target.version
            ? r.content
            : (await baseOf(override.baseVersion))?.content.resources.find((x) => x.name === r.name)?.content;
        changes.push({
          resourceName: r.name,
          kind,
          change: 'OVERRIDDEN',
          standardChanged: base !== r.content,
        });
        continue;
      }
      const old = before.get(r.name);
      const change = old === undefined ? 'ADDED' : old === r.content ? 'UNCHANGED' : 'CHANGED';
      const entry: ResourceChange = { resourceName: r.name, kind, change };
      if (change === 'CHANGED' && kind === 'process')
        entry.runningInstances = await this.running(
          tenantId,
          await this.processIdsOf([{ name: r.name, content: old! }]),
        );
      changes.push(entry);
    }
    for (const [name] of before)
      if (!target.content.resources.some((r) => r.name === name))
        changes.push({ resourceName: name, kind: kindOf(name), change: 'REMOVED' });
    return { moduleId, tenantId, fromVersion: current?.version ?? null, toVersion: target.version, changes };
  }

  /** The ids of the processes the given BPMN resources define (checked, as a deployment would). */
  private async processIdsOf(resources: Array<{ name: string; content: string }>): Promise<string[]> {
    if (!resources.length) return [];
    const checked = await this.definitions.check(
      resources.map((r) => ({ name: r.name, content: Buffer.from(r.content) })),
    );
    return checked.flatMap((c) =>
      c.ids.filter((id) => id.startsWith('process:')).map((id) => id.slice('process:'.length)),
    );
  }

  private async running(tenantId: string, processIds: string[]) {
    const base = this.knex('process_instances')
      .where({ tenant_id: tenantId, state: 'ACTIVE' })
      .whereIn('process_definition_id', processIds);
    const [{ n }] = await base.clone().count({ n: '*' });
    const rows = await base
      .clone()
      .orderBy('process_instance_key', 'desc')
      .limit(50)
      .select('process_instance_key', 'business_key', 'process_definition_version');
    return {
      total: Number(n),
      items: rows.map((r) => ({
        processInstanceKey: String(r.process_instance_key),
        businessKey: (r.business_key as string | null) ?? null,
        version: Number(r.process_definition_version),
      })),
    };
  }
}
