import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import { ApiError, api } from '../../app/api.js';

/**
 * What the panel's selects offer, read from the server: the tenant's deployed forms and rule sets
 * (latest versions) and its working calendars. One catalog per modeler; each list is kept for a
 * short while so moving between elements does not ask again.
 */
export interface FormItem {
  formId: string;
  version: number;
  tenantId: string;
}
export interface RuleSetItem {
  ruleSetId: string;
  name: string | null;
  version: number;
  tenantId: string;
}
export interface CalendarItem {
  calendarId: string;
  name?: string;
  builtIn?: boolean;
  tenantId: string;
}

const FRESH_MS = 15_000;

export class LifeflowCatalog {
  static $inject = ['config'];
  /** The tenant whose resources to list: a tenant id, or a function answering the current one. */
  private readonly tenantOption: string | (() => string | undefined) | undefined;
  private readonly cache = new Map<string, { at: number; promise: Promise<unknown>; value?: unknown }>();

  constructor(config: any) {
    this.tenantOption = config?.lifeflowProperties?.tenantId;
  }

  private tenantId(): string | undefined {
    return typeof this.tenantOption === 'function' ? this.tenantOption() : this.tenantOption;
  }

  private filter(extra: Record<string, unknown> = {}) {
    const tenantId = this.tenantId();
    return tenantId ? { ...extra, tenantId } : extra;
  }

  private load<T>(list: string, fetcher: () => Promise<T>): Promise<T> {
    const name = `${list}@${this.tenantId() ?? ''}`;
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < FRESH_MS) return hit.promise as Promise<T>;
    const entry: { at: number; promise: Promise<unknown>; value?: unknown } = {
      at: Date.now(),
      promise: Promise.resolve(),
      value: hit?.value,
    };
    entry.promise = fetcher().then(
      (v) => {
        entry.value = v;
        return v;
      },
      (err) => {
        this.cache.delete(name);
        throw err;
      },
    );
    this.cache.set(name, entry);
    return entry.promise as Promise<T>;
  }

  /** The last list loaded, to render at once while a fresh one loads. */
  known<T>(list: string): T | undefined {
    return this.cache.get(`${list}@${this.tenantId() ?? ''}`)?.value as T | undefined;
  }

  forms(): Promise<FormItem[]> {
    return this.load('forms', async () => {
      const r = await api.post<{ items: FormItem[] }>('/v2/forms/search', {
        filter: this.filter({ isLatestVersion: true }),
        page: { limit: 1000 },
      });
      return unique(r.items, (f) => f.formId).sort((a, b) => a.formId.localeCompare(b.formId));
    });
  }

  ruleSets(): Promise<RuleSetItem[]> {
    return this.load('ruleSets', async () => {
      const r = await api.post<{ items: RuleSetItem[] }>('/v2/rule-sets/search', {
        filter: this.filter({ isLatestVersion: true }),
        page: { limit: 1000 },
      });
      return unique(r.items, (s) => s.ruleSetId).sort((a, b) => a.ruleSetId.localeCompare(b.ruleSetId));
    });
  }

  calendars(): Promise<CalendarItem[]> {
    return this.load('calendars', async () => {
      const r = await api.post<{ items: CalendarItem[] }>('/v2/working-calendars/search', {
        filter: this.filter(),
        page: { limit: 1000 },
      });
      return unique(r.items, (c) => c.calendarId);
    });
  }

  /** Departments, groups and roles (the org-chart strategies' ids) as {id, name}. */
  departments(): Promise<OrgItem[]> {
    return this.load('departments', async () => {
      const r = await api.post<{ items: any[] }>('/v2/departments/search', {
        filter: this.filter(),
        page: { limit: 1000 },
      });
      return org(r.items.map((d) => ({ id: d.departmentId, name: d.name })));
    });
  }

  groups(): Promise<OrgItem[]> {
    return this.load('groups', async () => {
      const r = await api.post<{ items: any[] }>('/v2/groups/search', { page: { limit: 1000 } });
      return org(r.items.map((g) => ({ id: g.groupId, name: g.name })));
    });
  }

  roles(): Promise<OrgItem[]> {
    return this.load('roles', async () => {
      const r = await api.post<{ items: any[] }>('/v2/roles/search', { page: { limit: 1000 } });
      return org(r.items.map((g) => ({ id: g.roleId, name: g.name })));
    });
  }
}

export interface OrgItem {
  id: string;
  name?: string;
}

const org = (items: OrgItem[]) => unique(items, (i) => i.id).sort((a, b) => a.id.localeCompare(b.id));

export type CatalogList = 'forms' | 'ruleSets' | 'calendars' | 'departments' | 'groups' | 'roles';

function unique<T>(items: T[], id: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(id(i)) && !!seen.add(id(i)));
}

export interface Loaded<T> {
  data?: T;
  error?: string;
}

/** A list of the catalog inside an entry: the known one at once, the fresh one when it arrives. */
export function useCatalog<T>(catalog: LifeflowCatalog, name: CatalogList): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>(() => ({ data: catalog.known<T>(name) }));
  useEffect(() => {
    let live = true;
    (catalog[name]() as Promise<T>).then(
      (data) => live && setState({ data }),
      (err: unknown) =>
        live &&
        setState({
          error: err instanceof ApiError ? err.detail || err.title || err.message : String(err),
        }),
    );
    return () => {
      live = false;
    };
  }, [catalog, name]);
  return state;
}
