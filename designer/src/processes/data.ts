import { api } from '../app/api.js';
import { byResource, searchAll } from '../app/lists.js';

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

/** Every version of the tenant's processes (optionally of one process), paging through all. */
export function loadVersions(tenantId: string | undefined, processDefinitionId?: string) {
  const filter: Record<string, string> = {};
  if (tenantId) filter.tenantId = tenantId;
  if (processDefinitionId) filter.processDefinitionId = processDefinitionId;
  return searchAll<VersionStats>('/v2/process-definitions/statistics', { filter });
}

/** Groups versions by process, newest version first, processes by id. */
export function groupVersions(versions: VersionStats[]): ProcessGroup[] {
  return byResource(versions, (v) => v.processDefinitionId).map(({ id, latest, versions: list }) => ({
    processDefinitionId: id,
    latest,
    versions: list,
    running: list.reduce((n, v) => n + v.instances.active, 0),
    incidents: list.reduce((n, v) => n + v.instances.incidents, 0),
  }));
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
