import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from 'react-router-dom';
import { ErrorBoundary } from './error-boundary.js';
import { AppLayout } from './layout.js';
import { Notice } from './notice.js';
import { type Area, SessionProvider, useSession } from './session.js';

// Each area is a chunk of its own: the modeler and the form editor are large and load on demand.
const Processes = lazy(() => import('../processes/index.js'));
const Modeler = lazy(() => import('../modeler/index.js'));
const ProcessDiff = lazy(() => import('../processes/diff.js'));
const FormEditor = lazy(() => import('../form-editor/index.js'));
const Rules = lazy(() => import('../rules/index.js'));
const Templates = lazy(() => import('../notification-templates/index.js'));
const Home = lazy(() => import('../home/index.js'));
// The login form (antd Form and its validators) is not needed once signed in.
const LoginPage = lazy(() => import('./login-page.js'));
const Workspace = lazy(() => import('../workspace/index.js'));
const Monitor = lazy(() => import('../monitor/index.js'));
const Modules = lazy(() => import('../modules/index.js'));
const Dashboards = lazy(() => import('../dashboards/index.js'));
const Assets = lazy(() => import('../assets/index.js'));

function Loading() {
  const { t } = useTranslation();
  return (
    <div style={{ padding: 48, textAlign: 'center' }}>
      <Spin description={t('common.loading')} />
    </div>
  );
}

/**
 * The frame of every signed-in page, mounted once: pages change inside it (an Outlet), so moving
 * between areas does not rebuild the navigation. Visitors go to the login page first.
 */
function Shell() {
  const { me, loading } = useSession();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return (
    <AppLayout>
      <ErrorBoundary key={location.pathname}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </ErrorBoundary>
    </AppLayout>
  );
}

/** A page for the roles that may open it (the others see 403 in the frame). */
function Allowed({ area, children }: { area: Area; children: ReactNode }) {
  const { can } = useSession();
  const { t } = useTranslation();
  return can(area) ? children : <Notice status="warning" title="403" subTitle={t('error.forbidden')} />;
}

function NotFound() {
  const { t } = useTranslation();
  return <Notice status="info" title="404" subTitle={t('error.notFound')} />;
}

/** Whether the system asks for less motion (an accessibility setting): antd then animates nothing. */
function useReducedMotion(): boolean {
  const query = '(prefers-reduced-motion: reduce)';
  const [reduced, setReduced] = useState(() => globalThis.matchMedia?.(query).matches ?? false);
  useEffect(() => {
    const list = globalThis.matchMedia?.(query);
    if (!list) return;
    const onChange = () => setReduced(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return reduced;
}

function Localized({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  const reducedMotion = useReducedMotion();
  return (
    <ConfigProvider
      locale={i18n.language === 'en' ? enUS : zhCN}
      theme={reducedMotion ? { token: { motion: false } } : undefined}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <Localized>
      <ErrorBoundary>
        <SessionProvider>
          <BrowserRouter>
            <Routes>
              <Route
                path="/login"
                element={
                  <Suspense fallback={<Loading />}>
                    <LoginPage />
                  </Suspense>
                }
              />
              <Route element={<Shell />}>
                <Route path="/" element={<Home />} />
                <Route path="/workspace/*" element={<Allowed area="workspace">{<Workspace />}</Allowed>} />
                <Route path="/processes" element={<Allowed area="designer">{<Processes />}</Allowed>} />
                <Route
                  path="/processes/diff"
                  element={<Allowed area="designer">{<ProcessDiff />}</Allowed>}
                />
                <Route path="/processes/*" element={<Allowed area="designer">{<Modeler />}</Allowed>} />
                <Route path="/forms/*" element={<Allowed area="designer">{<FormEditor />}</Allowed>} />
                <Route path="/rules/*" element={<Allowed area="designer">{<Rules />}</Allowed>} />
                <Route path="/modules/*" element={<Allowed area="designer">{<Modules />}</Allowed>} />
                <Route path="/dashboards" element={<Allowed area="dashboards">{<Dashboards />}</Allowed>} />
                <Route path="/ledger/*" element={<Allowed area="assets">{<Assets />}</Allowed>} />
                <Route path="/templates/*" element={<Allowed area="templates">{<Templates />}</Allowed>} />
                <Route path="/monitor/*" element={<Allowed area="monitor">{<Monitor />}</Allowed>} />
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </SessionProvider>
      </ErrorBoundary>
    </Localized>
  );
}
