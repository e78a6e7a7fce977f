import { Tag } from 'antd';
import type { TFunction } from 'i18next';
import { useSession } from '../app/session.js';

export interface ProcessInstance {
  processInstanceKey: string;
  processDefinitionId: string;
  processDefinitionName: string | null;
  processDefinitionVersion: number;
  processDefinitionKey: string;
  businessKey: string | null;
  initiator: string | null;
  startDate: string | null;
  endDate: string | null;
  state: string;
  hasIncident: boolean;
}

export interface Incident {
  incidentKey: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processInstanceKey: string;
  elementInstanceKey: string;
  elementId: string;
  jobKey: string | null;
  errorType: string;
  errorMessage: string;
  state: string;
  creationTime: string | null;
}

export const formatTime = (iso: string | null | undefined, lang: string) =>
  iso ? new Date(iso).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'medium' }) : '';

/** A variable value as the API wants it in search filters: JSON text (typed JSON as is, else a string). */
export function jsonText(typed: string): string {
  try {
    JSON.parse(typed);
    return typed.trim();
  } catch {
    return JSON.stringify(typed);
  }
}

/** A value shown as JSON (undefined when it did not exist). */
export const showJson = (v: unknown) => (v === undefined ? '∅' : JSON.stringify(v));

/** 1.2 s, 3 min … of a duration in milliseconds. */
export function formatDuration(ms: number | null | undefined, t: TFunction): string {
  if (ms === null || ms === undefined) return '–';
  const round = (n: number) => (n >= 10 ? Math.round(n) : Math.round(n * 10) / 10);
  if (ms < 1000) return t('durations.ms', { n: Math.round(ms) });
  if (ms < 60_000) return t('durations.s', { n: round(ms / 1000) });
  if (ms < 3_600_000) return t('durations.min', { n: round(ms / 60_000) });
  if (ms < 86_400_000) return t('durations.h', { n: round(ms / 3_600_000) });
  return t('durations.d', { n: round(ms / 86_400_000) });
}

const STATE_COLORS: Record<string, string> = {
  ACTIVE: 'blue',
  COMPLETED: 'green',
  TERMINATED: 'default',
  CANCELED: 'default',
};

export function StateTag({ state, t }: { state: string; t: TFunction }) {
  return <Tag color={STATE_COLORS[state] ?? 'default'}>{t(`states.${state}`, { defaultValue: state })}</Tag>;
}

/** Admins and process owners change instances; auditors only read. */
export function useCanWrite(): boolean {
  const { me } = useSession();
  return !!me?.roles.some((r) => r === 'admin' || r === 'owner');
}
