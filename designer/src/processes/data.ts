import { api } from '../app/api.js';

/** One deployed version of a process with its deployment and its instance counts. */
export interface VersionStats {
  processDefinitionKey: string;
  processDefinitionId: string;
  name: string | null;
  resourceName: string;
  version: number;
  versionTag: string | null;
  tenantId: string;
  deploymentKey: string;
  deployedAt: string | null;
  deployedBy: string | null;
  instances: { active: number; completed: number; canceled: number; incidents: number };
}

/** A process (all versions of one processDefinitionId), newest version first. */
export interface ProcessGroup {
  processDefinitionId: string;
  latest: VersionStats;
  versions: VersionStats[];
  running: number;
  incidents: number;
}

const PAGE = 1000;

/** Every version of the tenant's processes (optionally of one process), paging through all. */
export async function loadVersions(tenantId: string | undefined, processDefinitionId?: string) {
  const filter: Record<string, string> = {};
  if (tenantId) filter.tenantId = tenantId;
  if (processDefinitionId) filter.processDefinitionId = processDefinitionId;
  const all: VersionStats[] = [];
  for (let from = 0; ; from += PAGE) {
    const res = await api.post<{ items: VersionStats[]; page: { totalItems: number } }>(
      '/v2/process-definitions/statistics',
      { filter, page: { from, limit: PAGE } },
    );
    all.push(...res.items);
    if (res.items.length < PAGE || all.length >= res.page.totalItems) break;
  }
  return all;
}

/** Groups versions by process, newest version first, processes by name/id. */
export function groupVersions(versions: VersionStats[]): ProcessGroup[] {
  const byId = new Map<string, VersionStats[]>();
  for (const v of versions) {
    const list = byId.get(v.processDefinitionId) ?? [];
    list.push(v);
    byId.set(v.processDefinitionId, list);
  }
  return [...byId.entries()]
    .map(([processDefinitionId, list]) => {
      list.sort((a, b) => b.version - a.version);
      return {
        processDefinitionId,
        latest: list[0],
        versions: list,
        running: list.reduce((n, v) => n + v.instances.active, 0),
        incidents: list.reduce((n, v) => n + v.instances.incidents, 0),
      };
    })
    .sort((a, b) => a.processDefinitionId.localeCompare(b.processDefinitionId));
}

/** The XML of a deployed version, as the server stored it. */
export function loadXml(processDefinitionKey: string): Promise<string> {
  return api.get<string>(`/v2/process-definitions/${encodeURIComponent(processDefinitionKey)}/xml`, {
    text: true,
  });
}

/** `<resourceName or id>.bpmn`, without a doubled extension. */
export function bpmnFileName(v: Pick<VersionStats, 'resourceName' | 'processDefinitionId'>): string {
  const base = (v.resourceName || v.processDefinitionId).split(/[\\/]/).pop() || v.processDefinitionId;
  return `${base.replace(/\.(bpmn|xml)$/i, '')}.bpmn`;
}
