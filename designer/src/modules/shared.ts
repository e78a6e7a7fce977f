import { api } from '../app/api.js';

export type Localized = { 'zh-CN': string; en: string };

export interface ModuleSummary {
  moduleId: string;
  name: Localized;
  description: Localized;
  latestVersion: string;
  versions: string[];
  enabled: boolean;
  enabledVersion: string | null;
  upgradeAvailable: boolean;
  overrides: number;
}

export interface UpgradePreview {
  fromVersion: string | null;
  toVersion: string;
  changes: Array<{
    resourceName: string;
    kind: 'process' | 'form' | 'ruleSet';
    change: 'ADDED' | 'CHANGED' | 'UNCHANGED' | 'REMOVED' | 'OVERRIDDEN';
    standardChanged?: boolean;
    runningInstances?: {
      total: number;
      items: Array<{ processInstanceKey: string; businessKey: string | null; version: number }>;
    };
  }>;
}

export const localized = (text: Localized | undefined, lang: string) =>
  text ? (lang === 'en' ? text.en : text['zh-CN']) : '';

/** The tenant the page acts for, in every request (the server defaults to the caller's only or default tenant). */
export const withTenant = (tenantId: string | undefined) =>
  tenantId ? `?tenantId=${encodeURIComponent(tenantId)}` : '';

export function upgradePreview(moduleId: string, version: string, tenantId: string | undefined) {
  return api.post<UpgradePreview>(`/v2/modules/${moduleId}/upgrade-preview`, { version, tenantId });
}

/**
 * A line diff (longest common subsequence) of two texts, for showing an override against the
 * standard: each line is kept, added or removed. Texts of resources are small (a few thousand
 * lines at most); when both are long the whole texts are shown as removed and added.
 */
export function lineDiff(
  before: string,
  after: string,
): Array<{ kind: 'same' | 'add' | 'del'; text: string }> {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > 2_000_000)
    return [
      ...a.map((text) => ({ kind: 'del' as const, text })),
      ...b.map((text) => ({ kind: 'add' as const, text })),
    ];
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: Array<{ kind: 'same' | 'add' | 'del'; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ kind: 'del', text: a[i++] });
    else out.push({ kind: 'add', text: b[j++] });
  }
  while (i < n) out.push({ kind: 'del', text: a[i++] });
  while (j < m) out.push({ kind: 'add', text: b[j++] });
  return out;
}
