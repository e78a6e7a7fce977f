import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import i18n, { type Language, LANGUAGES, rememberLanguage } from '../i18n/index.js';
import { ApiError, api, onSessionExpired, setCsrfToken } from './api.js';
import { announceSignedOut } from './signed-out.js';

export interface Me {
  username: string;
  displayName: string;
  tenants: Array<{ tenantId: string; name?: string }>;
  groups: string[];
  roles: string[];
  csrfToken?: string;
  locale?: string;
}

interface SessionValue {
  me: Me | null;
  /** True until the first "who am I" answered. */
  loading: boolean;
  /** Set when the server ended the session under the user's feet (shown on the login page). */
  expired: boolean;
  tenantId: string | undefined;
  setTenant(id: string): void;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  setLanguage(lang: Language): Promise<void>;
  can(area: Area): boolean;
}

/** What a role opens: process owners design, field staff and approvers work, admins monitor. */
export type Area = 'designer' | 'workspace' | 'monitor' | 'templates' | 'dashboards' | 'assets';
const AREAS: Record<Area, string[]> = {
  designer: ['admin', 'owner'],
  templates: ['admin'],
  workspace: ['admin', 'owner', 'user'],
  monitor: ['admin', 'auditor'],
  dashboards: ['admin', 'owner', 'auditor'],
  assets: ['admin', 'owner', 'user', 'auditor'],
};

const SessionContext = createContext<SessionValue | null>(null);
const TENANT_KEY = 'lifeflow.tenant';

function applyUser(me: Me | null, setTenantId: (id: string | undefined) => void) {
  setCsrfToken(me?.csrfToken);
  if (!me) {
    setTenantId(undefined);
    return;
  }
  const stored = localStorage.getItem(`${TENANT_KEY}.${me.username}`);
  const ids = me.tenants.map((t) => t.tenantId);
  const tenant = stored && ids.includes(stored) ? stored : ids.includes('<default>') ? '<default>' : ids[0];
  setTenantId(tenant);
  if (me.locale && (LANGUAGES as readonly string[]).includes(me.locale) && me.locale !== i18n.language) {
    void i18n.changeLanguage(me.locale);
    rememberLanguage(me.locale as Language);
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);
  const [expired, setExpired] = useState(false);
  const [tenantId, setTenantId] = useState<string | undefined>();

  useEffect(() => {
    api
      .get<Me>('/v2/authentication/me', { anonymous: true })
      .then((m) => {
        setMe(m);
        applyUser(m, setTenantId);
      })
      .catch(() => setMe(null))
      .finally(() => setLoading(false));
  }, []);

  useEffect(
    () =>
      onSessionExpired(() => {
        setMe((current) => {
          if (current) setExpired(true);
          return null;
        });
        applyUser(null, setTenantId);
        announceSignedOut();
      }),
    [],
  );

  const login = useCallback(async (username: string, password: string) => {
    const m = await api.post<Me>('/v2/auth/login', { username, password }, { anonymous: true });
    setExpired(false);
    setMe(m);
    applyUser(m, setTenantId);
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.post('/v2/auth/logout');
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
    }
    setMe(null);
    applyUser(null, setTenantId);
    announceSignedOut();
  }, []);

  const setTenant = useCallback(
    (id: string) => {
      if (me) localStorage.setItem(`${TENANT_KEY}.${me.username}`, id);
      setTenantId(id);
    },
    [me],
  );

  const setLanguage = useCallback(
    async (lang: Language) => {
      await i18n.changeLanguage(lang);
      rememberLanguage(lang);
      // Remembered per user on the server too (also the language of their notifications).
      if (me) {
        await api.put('/v2/authentication/me/preferences', { locale: lang });
        setMe({ ...me, locale: lang });
      }
    },
    [me],
  );

  const value = useMemo<SessionValue>(
    () => ({
      me,
      loading,
      expired,
      tenantId,
      setTenant,
      login,
      logout,
      setLanguage,
      can: (area) => !!me && me.roles.some((r) => AREAS[area].includes(r)),
    }),
    [me, loading, expired, tenantId, setTenant, login, logout, setLanguage],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
